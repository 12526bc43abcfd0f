#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""opencv_relay.py: run an OpenCV operation on every frame of one shmout block and publish the
result as another block, with no copy either way: OpenCV reads the source frame where it lies in
shared memory and writes its result straight into the destination's next slot.

    python3 examples/opencv_relay.py cam1 cam1-blur --op blur --ksize 9
    python3 examples/opencv_relay.py cam1 cam1-edges --op edges --low 50 --high 150
    python3 examples/opencv_relay.py cam1 cam1-mirror --op flip --axis h
    python3 examples/opencv_relay.py cam1 cam1-gray --op gray --mode lossless --once

    build/bin/ffmpeg -f v4l2 -i /dev/video0 -pix_fmt bgr24 -f shmout cam1     # a BGR source

Operations (--op):
  blur   cv2.GaussianBlur(src, (k, k), 0, dst=out): same format as the source
  edges  cv2.Canny of the source's gray image (cvtColor to gray first unless it is gray):
         a gray block of 0 and 255
  flip   cv2.flip(src, code, dst=out), --axis h (mirror), v (upside down) or both: same format
  gray   cv2.cvtColor(src, COLOR_BGR2GRAY, dst=out) (or BGRA2GRAY, ...): a gray block

Formats: OpenCV's own layouts, i.e. the 8-bit packed blocks ffmpeg writes with -pix_fmt bgr24,
bgra, bgr0 or gray. blur and flip do not care about the channel order and also take rgb24,
rgba, rgb0, argb and abgr; gray and edges convert rgb24/rgba/rgb0 with cvtColor's RGB codes
(argb/abgr: have the writer convert, e.g. ffmpeg -pix_fmt bgra). Planar and high-depth formats
(yuv420p, nv12, gray16le, ...) are refused: put -pix_fmt bgr24 on the writer's command line.

Zero-copy: each source frame is a FrameView (a read-only numpy array over its slot) and each
output frame is Writer.frame()'s writable array over the next slot of DEST, given to OpenCV as
dst=. OpenCV silently allocates a new array when dst does not fit (wrong size, type or number
of channels); the relay checks that what OpenCV returned is the slot itself and stops with an
error otherwise, so a frame is never published unwritten. A source frame its writer
overwrote while OpenCV read it is dropped (the output frame is abandoned), never published
torn. pts, time base and duration are kept; DEST follows SOURCE's size and aspect
(set_geometry) and its active toggle.

--mode latest (default) takes the newest frame each time (lowest latency); every takes every
frame in order and counts those the writer lapped; lossless makes SOURCE's writer wait for the
relay (up to its lossless timeout), so no frame is lost. With --once the relay ends when
SOURCE's writer closes or dies (after its last frame) instead of waiting for the next one;
Ctrl-C or SIGTERM closes DEST cleanly. A one-line summary goes to stderr unless --quiet.
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
    import cv2
except ImportError as e:
    sys.exit("opencv_relay: needs OpenCV's Python bindings and numpy (%s): Debian: apt install "
             "python3-opencv (it brings python3-numpy); or pip install opencv-python-headless"
             % e)

PROG = "opencv_relay"
OPS = ("blur", "edges", "flip", "gray")
# 8-bit packed formats, one plane of (rows, pixels[, channels]) uint8: what OpenCV takes as is
PACKED8 = ("bgr24", "bgra", "bgr0", "rgb24", "rgba", "rgb0", "argb", "abgr", "gray")
# cvtColor codes to gray (None: already gray); argb/abgr have none
TO_GRAY = {"bgr24": cv2.COLOR_BGR2GRAY, "bgra": cv2.COLOR_BGRA2GRAY, "bgr0": cv2.COLOR_BGRA2GRAY,
           "rgb24": cv2.COLOR_RGB2GRAY, "rgba": cv2.COLOR_RGBA2GRAY, "rgb0": cv2.COLOR_RGBA2GRAY,
           "gray": None}
FLIP_CODES = {"h": 1, "v": 0, "both": -1}


class NotInPlace(RuntimeError):
    """OpenCV wrote its result somewhere other than the destination slot."""


def in_place(result, dst, what):
    """Check that OpenCV's `result` is the array `dst` (the output slot) and return it. cv2
    returns its dst argument itself when it wrote into it; when dst did not fit it allocates
    and returns a new array and leaves dst as it was, which would publish an unwritten slot."""
    if result is dst:
        return dst
    if (isinstance(result, np.ndarray) and result.shape == dst.shape and
            result.dtype == dst.dtype and result.strides == dst.strides and
            result.__array_interface__["data"][0] == dst.__array_interface__["data"][0]):
        return dst          # another ndarray object over the very same memory
    desc = lambda a: ("%s %s strides %s%s" % (a.shape, a.dtype, a.strides,
                                              "" if a.flags.writeable else " read-only")
                      if isinstance(a, np.ndarray) else type(a).__name__)
    raise NotInPlace("%s: OpenCV did not write in place: it returned a new array (%s) instead "
                     "of the destination slot (%s); the frame is not published. This is a bug "
                     "of the relay or of this OpenCV build (cv2 %s): report it with the source "
                     "format" % (what, desc(result), desc(dst), cv2.__version__))


def supported(op, fmt):
    """None if `op` takes frames of `fmt`, else the reason and the fix."""
    if fmt not in PACKED8:
        return ("--op %s takes 8-bit packed frames (%s), not %s: have the writer convert, "
                "e.g. ffmpeg ... -pix_fmt bgr24 -f shmout NAME" % (op, ", ".join(PACKED8), fmt))
    if op in ("gray", "edges") and fmt not in TO_GRAY:
        return ("--op %s cannot convert %s to gray (OpenCV has no code for it): have the "
                "writer convert, e.g. ffmpeg ... -pix_fmt bgra -f shmout NAME" % (op, fmt))
    return None


def out_format(op, fmt):
    return "gray" if op in ("gray", "edges") else fmt


class Op:
    """One OpenCV operation, from a source plane (read-only, in place) into an output plane
    (writable, in place). `scratch` is the private gray image edges needs between cvtColor and
    Canny (reallocated only when the size changes)."""

    def __init__(self, args):
        self.name, self.args = args.op, args
        self.scratch = None

    def __call__(self, fmt, src, dst):
        a, op = self.args, self.name
        if not dst.flags.writeable:
            # cv2 ignores numpy's writeable flag: it would write into a published frame (a
            # WriterFrame array after its block) or crash on a reader's read-only mapping
            raise NotInPlace("%s: the destination array is read-only (a source view or a "
                             "frame already published), not the slot being written" % op)
        if op == "blur":
            in_place(cv2.GaussianBlur(src, (a.ksize, a.ksize), 0, dst=dst), dst, "blur")
        elif op == "flip":
            in_place(cv2.flip(src, FLIP_CODES[a.axis], dst=dst), dst, "flip")
        elif op == "gray":
            code = TO_GRAY[fmt]
            if code is None:
                np.copyto(dst, src)             # gray to gray: the frame as it is
            else:
                in_place(cv2.cvtColor(src, code, dst=dst), dst, "gray")
        elif op == "edges":
            code = TO_GRAY[fmt]
            if code is None:
                gray = src
            else:
                if self.scratch is None or self.scratch.shape != src.shape[:2]:
                    self.scratch = np.empty(src.shape[:2], np.uint8)
                gray = in_place(cv2.cvtColor(src, code, dst=self.scratch), self.scratch,
                                "edges (cvtColor to gray)")
            in_place(cv2.Canny(gray, a.low, a.high, edges=dst), dst, "edges (Canny)")
        else:
            raise ValueError("unknown op %r" % op)


class Stop:
    """SIGINT/SIGTERM handler. While frames are relayed (`soft`) it only asks the loop to stop
    after the current frame, so that a signal never lands in the middle of a publication; before
    that (waiting for the source, for DEST's readers) it interrupts at once. A second signal
    always interrupts."""

    def __init__(self):
        self.requested = False
        self.soft = False

    def __call__(self, signum, frame):
        again, self.requested = self.requested, True
        if not self.soft or again:
            raise KeyboardInterrupt


def out_geometry(g, op):
    """What DEST's geometry must be for source frames of geometry `g`: the same size, aspect
    and colour description, in the op's output format."""
    return (g.width, g.height, out_format(op, g.pix_fmt_name), g.dar, g.sar, g.color)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("source", help="block to read")
    ap.add_argument("dest", help="block to write")
    ap.add_argument("--op", choices=OPS, default="blur", help="the operation (default blur)")
    ap.add_argument("--ksize", type=int, default=5,
                    help="blur: Gaussian kernel size, odd (default 5)")
    ap.add_argument("--low", type=float, default=100.0,
                    help="edges: Canny's lower threshold (default 100)")
    ap.add_argument("--high", type=float, default=200.0,
                    help="edges: Canny's upper threshold (default 200)")
    ap.add_argument("--axis", choices=sorted(FLIP_CODES), default="h",
                    help="flip: h mirrors left-right, v upside down, both rotates 180 (default h)")
    ap.add_argument("--mode", choices=["latest", "every", "lossless"], default="latest",
                    help="which source frames to take (default latest)")
    ap.add_argument("--from-memtype", default="auto", choices=["auto", "local", "global"])
    ap.add_argument("--to-memtype", default="local", choices=["local", "global"])
    ap.add_argument("--slots", type=int, default=3, help="DEST's ring size, 2..16 (default 3)")
    ap.add_argument("--lossless-timeout", type=float, default=1.0,
                    help="longest wait per frame for a lossless reader of DEST (default 1 s)")
    ap.add_argument("--wait-readers", type=int, default=0, metavar="N",
                    help="publish nothing until N readers are attached to DEST (at most "
                         "--timeout seconds, then go on)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds to wait for SOURCE and its first frame (default 10)")
    ap.add_argument("--once", action="store_true",
                    help="end when SOURCE's writer closes or dies, after its last frame")
    ap.add_argument("--quiet", action="store_true", help="no summary line")
    args = ap.parse_args()
    if args.ksize < 1 or args.ksize % 2 == 0:
        ap.error("--ksize must be a positive odd number, not %d" % args.ksize)
    if not 2 <= args.slots <= 16:
        ap.error("--slots must be in 2..16, not %d" % args.slots)
    if args.wait_readers < 0:
        ap.error("--wait-readers must be >= 0")

    stop = Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    every = args.mode == "every"
    op = Op(args)
    reader = writer = view = None
    relayed = dropped = 0
    try:
        try:
            reader = shmout.Reader(args.source, args.from_memtype, timeout=args.timeout,
                                   lossless=args.mode == "lossless")
        except shmout.NotReadyError as e:
            sys.exit("%s: %s (start its writer, or give a longer --timeout)" % (PROG, e))
        # A closed or stale source ends a wait at once: keep waiting for its next writer.
        deadline = time.monotonic() + args.timeout
        while view is None:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.exit("%s: no frame from %r within %g s (its block is %s)"
                         % (PROG, args.source, args.timeout, reader.status))
            view = reader.next_view(min(left, 0.5), every)
        g = view.geometry
        why = supported(args.op, g.pix_fmt_name)
        if why:
            sys.exit("%s: source %r: %s" % (PROG, args.source, why))
        try:
            writer = shmout.Writer(args.dest, g.width, g.height, out_format(args.op,
                                   g.pix_fmt_name), args.to_memtype, slots=args.slots,
                                   dar=g.dar, sar=g.sar, color=g.color,
                                   lossless_timeout=args.lossless_timeout)
        except shmout.BusyError as e:
            sys.exit("%s: %s: another writer holds %r; stop it or choose another DEST name"
                     % (PROG, e, args.dest))
        if args.wait_readers:
            try:
                writer.wait_readers(args.wait_readers, timeout=args.timeout)
            except (TimeoutError, OSError) as e:
                print("%s: %s; going on" % (PROG, e), file=sys.stderr)
        stop.soft = True
        while not stop.requested:
            if view is not None:
                with view:
                    fmt = view.pix_fmt_name
                    want, cur = out_geometry(view.geometry, args.op), writer.geometry
                    if want != (cur.width, cur.height, cur.pix_fmt_name, cur.dar, cur.sar,
                                cur.color):
                        why = supported(args.op, fmt)
                        if why:
                            sys.exit("%s: source %r changed to %dx%d %s: %s"
                                     % (PROG, args.source, view.width, view.height, fmt, why))
                        w, h, pf, dar, sar, color = want
                        writer.set_geometry(w, h, pf, dar, sar, color)
                    with writer.frame(pts=view.pts, tb=view.time_base if view.tb_den else None,
                                      duration=view.duration) as out:
                        if out.in_shm:          # DEST inactive: nothing would be published
                            op(fmt, view.planes[0], out.planes[0])
                            if not view.intact:     # lapped while OpenCV read it: drop it
                                out.abandon()
                    relayed += out.in_shm and not out.abandoned
                    dropped += out.abandoned
                view = None
            view = reader.next_view(0.5, every)
            status = reader.status
            if view is None and args.once and status in ("closed", "stale"):
                break
            # a frame in hand was published by an active writer, even one that has closed or
            # gone inactive since: DEST goes inactive only when no frame is left
            live = view is not None or status == "active"
            if live != writer.active:
                writer.set_active(live)
                if not args.quiet:
                    print("%s: %s is %s: %s %s" % (PROG, args.source, status, args.dest,
                                                   "active" if live else "inactive"),
                          file=sys.stderr)
    except KeyboardInterrupt:
        pass
    except NotInPlace as e:
        sys.exit("%s: %s" % (PROG, e))
    except cv2.error as e:
        sys.exit("%s: OpenCV failed on a %s frame (--op %s): %s"
                 % (PROG, view.pix_fmt_name if view is not None else "source", args.op,
                    str(e).strip()))
    finally:
        stop.soft = False
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # let the close run to its end
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if view is not None:
            view.close()
        if writer is not None:
            writer.close()
        if reader is not None:
            if not args.quiet and writer is not None:
                g = writer.geometry
                print("%s: %s %s -> %s %dx%d %s: %d frames relayed, %d skipped, %d dropped torn"
                      % (PROG, args.op, args.source, args.dest, g.width, g.height,
                         g.pix_fmt_name, relayed, reader.frames_skipped, dropped),
                      file=sys.stderr)
            reader.close()


if __name__ == "__main__":
    main()
