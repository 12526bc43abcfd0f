#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""relay.py: republish one shmout block under another name or memtype, frame by frame, with the
Python module and numpy (for instance to share a private camera block with every user),
optionally processing each frame on the way (--invert: a negative image of 8-bit formats,
alpha kept):

    python3 examples/relay.py cam1 cam1-shared --to-memtype global
    python3 examples/relay.py cam1 cam1-negative --invert

No frame is copied through Python's heap: each new frame of SOURCE is read in place (a
FrameView) and written in place into DEST's next slot (Writer.frame), with its pts, time base
and duration. A source frame the writer overwrote while it was being relayed is dropped, never
published torn. SOURCE is found as a local or a global block (--from-memtype auto), whichever
appears first. DEST follows SOURCE's geometry (set_geometry) and its active toggle. When
SOURCE's writer closes or dies the relay keeps DEST open, marked inactive, and resumes when a
writer comes back; Ctrl-C closes DEST. Only formats of the protocol's table (§5) can be relayed.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import shmout  # noqa: E402

try:
    import numpy as np
except ImportError:
    sys.exit("relay: needs numpy (Debian: apt install python3-numpy; or pip install numpy)")


ALPHA_AT = {"rgba": 3, "bgra": 3, "argb": 0, "abgr": 0}
EIGHT_BIT = {"rgba", "bgra", "argb", "abgr", "rgb0", "bgr0", "rgb24", "bgr24", "gray",
             "yuv420p", "yuv422p", "yuv444p", "nv12", "nv21"}


def relay_frame(view, out, invert):
    """Write the view's planes into the output frame's: a copy, or 255 - v (v ^ 0xff) of every
    sample but alpha, in one pass over the frame."""
    a = ALPHA_AT.get(view.pix_fmt_name)
    for src, dst in zip(view.planes, out.planes):
        if not invert:
            np.copyto(dst, src)
        elif a is not None:     # each pixel as one little-endian u32, its alpha byte kept
            np.bitwise_xor(src.view("<u4"), np.uint32(0xFFFFFFFF ^ 0xFF << 8 * a),
                           out=dst.view("<u4"))
        else:
            np.bitwise_xor(src, 0xFF, out=dst)


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
    try:
        reader = shmout.Reader(args.source, args.from_memtype, timeout=args.timeout)
    except shmout.NotReadyError as e:
        sys.exit("relay: %s" % e)
    # A closed or stale source ends a wait at once: keep waiting for its next writer.
    deadline = time.monotonic() + args.timeout
    first = None
    while first is None:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit("relay: no frame from %r within %g s (its block is %s)"
                     % (args.source, args.timeout, reader.status))
        first = reader.next_view(left)
    g = first.geometry
    if args.invert and g.pix_fmt_name not in EIGHT_BIT:
        sys.exit("relay: --invert takes 8-bit formats (%s), not %s"
                 % (", ".join(sorted(EIGHT_BIT)), g.pix_fmt_name))
    writer = shmout.Writer(args.dest, g.width, g.height, g.pix_fmt_name, args.to_memtype,
                           slots=args.slots, dar=g.dar, sar=g.sar, color=g.color)
    relayed = dropped = 0
    try:
        view = first
        while True:
            if view is not None:
                with view:
                    fg, cur = view.geometry, writer.geometry
                    if (fg.width, fg.height, fg.pix_fmt, fg.dar, fg.sar, fg.color) != \
                            (cur.width, cur.height, cur.pix_fmt, cur.dar, cur.sar, cur.color):
                        writer.set_geometry(fg.width, fg.height, fg.pix_fmt_name, fg.dar,
                                            fg.sar, fg.color)
                    with writer.frame(pts=view.pts, tb=view.time_base if view.tb_den else None,
                                      duration=view.duration) as out:
                        if out.in_shm:
                            relay_frame(view, out, args.invert)
                            if not view.intact:     # lapped while relayed: never published
                                out.abandon()
                    relayed += out.in_shm and not out.abandoned
                    dropped += out.abandoned
            view = reader.next_view(0.5)
            # a frame in hand was published by an active writer, even one that has closed or
            # gone inactive since: DEST goes inactive only when no frame is left
            live = view is not None or reader.status == "active"
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
            print("relay: %d frames relayed, %d skipped, %d dropped torn"
                  % (relayed, reader.frames_skipped, dropped), file=sys.stderr)


if __name__ == "__main__":
    main()
