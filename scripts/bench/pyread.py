# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""pyread.py: the Python readers of `make bench` (issue 14), the counterparts of `benchtool sum`.
Reads the newest frames of a block that `benchtool source` writes, with the Python module
(python/shmout), and touches every byte of each with the same checksum as benchtool: the
wrapping sum of the frame as little-endian uint64 words, numpy's add.reduce. Each frame accepted
must have the checksum of the known frame (see benchtool.c: byte i is (i + (i >> 8) + (i >> 16))
mod 256, bytes 0..7 the frame number n; checksum = base + n), base derived here independently,
with numpy, from that formula. One JSON line, as benchtool sum's.

    /usr/bin/python3 scripts/bench/pyread.py view|copy NAME SECONDS WARMUP

  view  zero-copy: Reader.next_view() (newest frame), the checksum over FrameView.planes[0] (a
        read-only array over the slot), then the view closed: accepted if it was intact
  copy  Reader.next_frame() (newest frame, copied out as bytes), the checksum over
        np.frombuffer of the bytes

Frames in the first WARMUP seconds are checked, not counted; then frames accepted in SECONDS.
Also the time spent in the reader's calls and in the checksum (frames checked in the SECONDS),
for the report's reasons. Needs
numpy (a python3 that has it: make bench looks for one).
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import numpy as np  # noqa: E402
import shmout  # noqa: E402


def pattern_base(nbytes):
    """The wrapping uint64 sum of the known frame of nbytes bytes, word 0 (the frame number) left
    out, in pieces so as not to hold the whole index range at once."""
    total = 0
    step = 1 << 20                      # a multiple of 8: pieces of whole words
    for start in range(0, nbytes - nbytes % 8, step):
        i = np.arange(start, min(start + step, nbytes - nbytes % 8), dtype=np.uint64)
        b = ((i + (i >> np.uint64(8)) + (i >> np.uint64(16))) & np.uint64(0xff)).astype(np.uint8)
        w = b.view("<u8")
        if start == 0:
            w = w[1:]
        total = (total + int(np.add.reduce(w, dtype=np.uint64))) & 0xFFFFFFFFFFFFFFFF
    return total


def words(plane):
    """A plane (rows, pixels[, channels]) of uint8 as (rows, words) of little-endian uint64, no
    copy (the row stride stays the plane's linesize)."""
    rows = plane.reshape(plane.shape[0], -1)
    return rows.view("<u8")


def checksum(w):
    return int(np.add.reduce(w, axis=None, dtype=np.uint64))


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("view", "copy"):
        sys.exit(__doc__)
    mode, name, seconds, warmup = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    r = shmout.Reader(name, "local", timeout=20)
    base = None
    ok = torn = bad = checked = window = 0
    first = last = None                 # (number, publish time) of the first, last frame counted
    t0 = c0 = t1 = 0.0
    tw = None
    counting = False
    call_s = sum_s = 0.0                # in the reader's calls (wait, acquire/copy, close); sum
    mask = (1 << 64) - 1
    try:
        while True:
            ta = time.perf_counter()
            if mode == "view":
                f = r.next_view(5.0)
                if f is None:
                    break
                tb = time.perf_counter()
                s = checksum(words(f.planes[0]))
                tc = time.perf_counter()
                intact = f.close()
                td = time.perf_counter()
            else:
                f = r.next_frame(5.0)
                if f is None:
                    break
                tb = time.perf_counter()
                s = checksum(np.frombuffer(f.data[0], dtype="<u8"))
                tc = td = time.perf_counter()
                intact = True           # a copy is only returned whole (the seqlock after it)
            if base is None:
                pl = f.geometry.planes
                if len(pl) != 1 or pl[0].bytewidth % 8:
                    sys.exit("pyread: want one plane of rows of whole uint64 words, not %s"
                             % f.pix_fmt_name)
                base = pattern_base(pl[0].bytewidth * pl[0].height)
                tw = time.monotonic() + warmup
            checked += 1
            if counting:
                call_s += (tb - ta) + (td - tc)
                sum_s += tc - tb
                window += 1
            if not intact:
                torn += counting
            elif s != (base + f.number) & mask:
                print("pyread: frame %d of %r: checksum %016x, not %016x"
                      % (f.number, name, s, (base + f.number) & mask), file=sys.stderr)
                bad += 1
            elif counting:
                ok += 1
                last = (f.number, f.monotonic_ns)
                first = first or last
            now = time.monotonic()
            if not counting and now >= tw:
                counting, t0, c0 = True, now, cpu()
            elif counting and now - t0 >= seconds:
                t1 = now
                break
    finally:
        r.close()
    if not t1:
        t1 = time.monotonic()
    print(json.dumps({"frames": ok, "seconds": t1 - t0 if counting else 0.0,
                      "cpu": cpu() - c0 if counting else 0.0, "torn": torn, "bad": bad,
                      "checked": checked, "window": window, "base": "%016x" % (base or 0),
                      "sum_seconds": sum_s, "call_seconds": call_s,
                      "published": last[0] - first[0] if first else 0,
                      "publish_seconds": (last[1] - first[1]) / 1e9 if first else 0.0}))
    sys.exit(1 if bad or not counting or not ok else 0)


if __name__ == "__main__":
    main()
