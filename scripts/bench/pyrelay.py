# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""pyrelay.py: the Python relay of `make bench` (issue 14), the counterpart of `benchtool relay`.
Runs examples/relay.py itself, its code unchanged, in this process, as

    python3 examples/relay.py --invert --quiet SRC DST

until SIGTERM or SIGINT, then removes the block DST (relay.py closes its writer but leaves the
block's primary and wait objects for a next writer), so that the bench leaves /dev/shm as it
found it even when it is stopped or killed.

    /usr/bin/python3 scripts/bench/pyrelay.py SRC DST

It also times, with perf_counter around each call (about half a microsecond a call, a dozen
calls a frame), where relay.py's frames go: its relay_frame (the numpy work) and np.bitwise_xor
within it, and the module's calls it makes (Reader.next_view, FrameView.intact, the view's
close, Writer.frame's enter and exit = publish, Reader.status). At the end one JSON line on
standard output: the frames timed and, per label, the calls and seconds over the whole loops
between the first and the last relay_frame (`top`: called by relay.py itself; `nested`: within
those, as "outer > inner"). Needs numpy, as relay.py does.
"""
import importlib.util
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "..", "..", "examples", "relay.py")

clock = time.perf_counter
done = {}           # label -> [calls, seconds], whole loops only
pending = {}        # the loop under way
stack = []          # the labels of the timed calls under way
loops = {"first": None, "last": None, "frames": 0}


def timed(label, fn):
    """fn, its calls counted and timed under label (nested ones apart)."""
    def call(*args, **kwargs):
        key = ("nested", stack[0] + " > " + label) if stack else ("top", label)
        stack.append(label)
        t = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            stack.pop()
            e = pending.setdefault(key, [0, 0.0])
            e[0] += 1
            e[1] += clock() - t
    return call


def loop_start(fn):
    """relay_frame: a loop starts with it; the one before is whole."""
    timed_fn = timed("relay_frame (the numpy work)", fn)

    def call(*args, **kwargs):
        now = clock()
        if loops["first"] is None:
            loops["first"] = now
            pending.clear()         # what came before the first frame: set-up
        else:
            for k, (n, s) in pending.items():
                e = done.setdefault(k, [0, 0.0])
                e[0] += n
                e[1] += s
            pending.clear()
            loops["frames"] += 1
        loops["last"] = now
        return timed_fn(*args, **kwargs)
    return call


def timed_property(cls, attr, label):
    for k in cls.__mro__:
        if attr in vars(k):
            p = vars(k)[attr]
            setattr(cls, attr, property(timed(label, p.fget)))
            return


class TimedNumpy:
    """numpy as relay.py sees it: np.bitwise_xor (its inversion) timed, the rest as it is."""
    def __init__(self, np):
        self._np = np
        self.bitwise_xor = timed("np.bitwise_xor(src, mask, out=dst)", np.bitwise_xor)

    def __getattr__(self, name):
        return getattr(self._np, name)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1:]
    # SIGTERM before relay.py sets its own handler (the same: exit, so that finally runs)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        spec = importlib.util.spec_from_file_location("relay", RELAY)
        relay = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(relay)      # not as __main__: main() is called below
        shmout = relay.shmout
        relay.np = TimedNumpy(relay.np)
        relay.relay_frame = loop_start(relay.relay_frame)
        shmout.Reader.next_view = timed("Reader.next_view (wait, acquire, FrameView)",
                                        shmout.Reader.next_view)
        timed_property(shmout.Reader, "status", "Reader.status")
        timed_property(shmout.FrameView, "intact", "FrameView.intact")
        timed_property(shmout.FrameView, "planes", "FrameView.planes (the arrays)")
        shmout.FrameView.__exit__ = timed("FrameView close (the end of `with view`)",
                                          shmout.FrameView.__exit__)
        ctx = shmout.writer._FrameContext
        ctx.__enter__ = timed("Writer.frame() enter (the next slot, its arrays)", ctx.__enter__)
        ctx.__exit__ = timed("Writer.frame() exit (publish)", ctx.__exit__)
        timed_property(shmout.writer.WriterFrame, "planes", "WriterFrame.planes (the arrays)")
        sys.argv = [RELAY, "--invert", "--quiet", src, dst]
        try:
            relay.main()
        except SystemExit as e:
            if e.code not in (0, None):
                raise
        n = loops["frames"]
        out = {"frames": n, "seconds": loops["last"] - loops["first"] if n else 0.0}
        for (where, label), (calls, secs) in done.items():
            out.setdefault(where, {})[label] = {"calls": calls, "seconds": secs}
        print(json.dumps(out), flush=True)
    finally:
        sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
        import shmout as module
        try:
            module.remove(dst, force=True)
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
