# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""shmout: read and write live video frames in POSIX shared memory, following the shmout
shared-memory protocol 1.1 (docs/PROTOCOL.md). Pure standard library; numpy, when installed,
gives frames as arrays: copies (``Frame.to_numpy``) or, with no copy, arrays over the shared
memory itself (``FrameView.planes``, ``WriterFrame.planes``).

    import shmout
    with shmout.Reader("cam1", timeout=5) as r:
        for frame in r.frames(timeout=2):
            print(frame.number, frame.width, frame.height, frame.pix_fmt_name, frame.pts)

    with shmout.Reader("cam1", timeout=5, lossless=True) as r:   # every frame, none lost
        for frame in r.frames(timeout=2):
            ...

    with shmout.Reader("cam1", timeout=5) as r:                  # zero-copy (numpy)
        with r.latest(timeout=2) as f:
            total = f.planes[0].sum()       # an array over the slot itself
        print(f.intact)                     # False: the writer overwrote it meanwhile

    with shmout.Writer("mine", 640, 480, "rgba") as w:
        w.wait_readers(1, timeout=10)       # optional: do not start before a reader is there
        w.write(bytes(640 * 480 * 4), pts=0, tb=(1, 30))
        with w.frame(pts=1, tb=(1, 30)) as f:   # straight into the next slot
            f.planes[0][:] = 255            # (480, 640, 4) uint8; published on exit
"""

from ._protocol import (ProtocolError, Error, BusyError, NotReadyError, OverwrittenError,
                        Geometry, Plane, Color, Header, Segment, Meta, ReaderSlot, check_name,
                        make_geometry,
                        PIX_FMTS, PIX_FMT_CODES, pix_fmt_code, base_name,
                        VERSION_MAJOR, VERSION_MINOR)
from .reader import Reader, Frame, FrameView, BlockInfo, list_blocks, inspect, probe
from .writer import Writer, WriterFrame, WriterStats, remove
from ._version import __version__

PROTOCOL_VERSION = (VERSION_MAJOR, VERSION_MINOR)

__all__ = ["Reader", "Writer", "Frame", "FrameView", "WriterFrame", "WriterStats", "BlockInfo", "Geometry",
           "Plane", "Color", "Header", "Segment", "Meta", "ReaderSlot", "ProtocolError",
           "Error", "BusyError", "NotReadyError", "OverwrittenError", "list_blocks", "inspect", "probe",
           "remove", "check_name", "make_geometry", "pix_fmt_code", "base_name", "PIX_FMTS",
           "PIX_FMT_CODES", "PROTOCOL_VERSION"]
