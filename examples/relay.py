#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""relay.py: republish one shmout block under another name or memtype, frame by frame, with the
Python module only (for instance to share a private camera block with every user), optionally
processing each frame on the way (--invert: a negative image of 8-bit formats, alpha kept):

    python3 examples/relay.py cam1 cam1-shared --to-memtype global
    python3 examples/relay.py cam1 cam1-negative --invert

Each new frame of SOURCE is copied into DEST with its pts, time base and duration; DEST follows
SOURCE's geometry (set_geometry) and its active toggle. When SOURCE's writer closes or dies the
relay keeps DEST open, marked inactive, and resumes when a writer comes back; Ctrl-C closes
DEST. Only formats of the protocol's table (§5) can be relayed.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import shmout  # noqa: E402


INVERT = bytes(range(255, -1, -1))
ALPHA_AT = {"rgba": 3, "bgra": 3, "argb": 0, "abgr": 0}
EIGHT_BIT = {"rgba", "bgra", "argb", "abgr", "rgb0", "bgr0", "rgb24", "bgr24", "gray",
             "yuv420p", "yuv422p", "yuv444p", "nv12", "nv21"}


def invert(frame):
    """Every 8-bit sample v becomes 255 - v, except alpha (bytes.translate: no numpy needed)."""
    planes = []
    for p in frame.data:
        out = bytearray(p.translate(INVERT))
        if frame.pix_fmt_name in ALPHA_AT:
            a = ALPHA_AT[frame.pix_fmt_name]
            out[a::4] = p[a::4]
        planes.append(bytes(out))
    return planes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("dest")
    ap.add_argument("--from-memtype", default="auto", choices=["auto", "local", "global"])
    ap.add_argument("--to-memtype", default="local", choices=["local", "global"])
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds to wait for SOURCE to appear (default 10)")
    ap.add_argument("--slots", type=int, default=3)
    ap.add_argument("--invert", action="store_true",
                    help="publish the negative of 8-bit formats (alpha kept)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    reader = shmout.Reader(args.source, args.from_memtype, timeout=args.timeout)
    # A closed or stale source ends a wait at once: keep waiting for its next writer.
    deadline = time.monotonic() + args.timeout
    first = None
    while first is None:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit("relay: no frame from %r within %g s (its block is %s)"
                     % (args.source, args.timeout, reader.status))
        if reader.wait(left):
            first = reader.read()
    g = first.geometry
    if args.invert and g.pix_fmt_name not in EIGHT_BIT:
        sys.exit("relay: --invert takes 8-bit formats (%s), not %s" % (", ".join(sorted(EIGHT_BIT)), g.pix_fmt_name))
    writer = shmout.Writer(args.dest, g.width, g.height, g.pix_fmt_name, args.to_memtype,
                           slots=args.slots, dar=g.dar, sar=g.sar, color=g.color)
    relayed = 0
    try:
        frame = first
        while True:
            if frame is not None:
                fg = frame.geometry
                cur = writer.geometry
                if (fg.width, fg.height, fg.pix_fmt) != (cur.width, cur.height, cur.pix_fmt) \
                        or (fg.dar, fg.sar, fg.color) != (cur.dar, cur.sar, cur.color):
                    writer.set_geometry(fg.width, fg.height, fg.pix_fmt_name, fg.dar, fg.sar,
                                        fg.color)
                tb = frame.time_base if frame.tb_den else None
                data = invert(frame) if args.invert else list(frame.data)
                if writer.write(data, pts=frame.pts, tb=tb,
                                duration=frame.duration):
                    relayed += 1
            if reader.wait(0.5):
                frame = reader.read()
            else:
                frame = None
            live = reader.status == "active"
            if live != writer.active:
                writer.set_active(live)
                if not args.quiet:
                    print("relay: %s is %s" % (args.source, reader.status), file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        writer.close()
        reader.close()
        if not args.quiet:
            print("relay: %d frames relayed, %d skipped" % (relayed, reader.frames_skipped),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
