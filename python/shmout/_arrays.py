# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""numpy arrays over the planes of a frame, wherever the plane's bytes are (shared memory or a
private copy): the dtype and shape of each plane come from the pixel-format table
(``_protocol.PIX_FMTS``), the row stride from the plane's linesize, so padded rows are never
copied. numpy is optional: only these functions import it, and say how to get it."""

from typing import Any, List, Tuple

from . import _protocol as P

_NO_NUMPY = ("numpy arrays need numpy (Debian: apt install python3-numpy; or pip install "
             "numpy); without it use the frame's memoryviews (.buffers) or bytes (Reader.read)")


def numpy() -> Any:
    """The numpy module, or ModuleNotFoundError saying what to install."""
    try:
        import numpy as np
    except ImportError:
        raise ModuleNotFoundError("shmout: " + _NO_NUMPY, name="numpy") from None
    return np


def elements(geometry: P.Geometry) -> List[Tuple[str, int]]:
    """(dtype, channels) of each plane; planes of a format outside the table are bytes."""
    fmt = P.PIX_FMTS.get(geometry.pix_fmt)
    elems = fmt[2] if fmt is not None else ()
    return [elems[p] if p < len(elems) else ("u1", 1) for p in range(len(geometry.planes))]


def plane_array(np: Any, buf: Any, offset: int, plane: P.Plane, elem: Tuple[str, int]) -> Any:
    """A plane whose first row starts at byte `offset` of `buf`, as an array over `buf` (no
    copy): (rows, pixels, channels), or (rows, pixels) for one channel, with a row stride of
    the plane's linesize. It is writable exactly when `buf` is."""
    dtype = np.dtype(elem[0])
    ch = elem[1]
    px = dtype.itemsize * ch
    pixels = plane.bytewidth // px
    shape: Tuple[int, ...]
    strides: Tuple[int, ...]
    if ch == 1:
        shape, strides = (plane.height, pixels), (plane.linesize, dtype.itemsize)
    else:
        shape, strides = (plane.height, pixels, ch), (plane.linesize, px, dtype.itemsize)
    return np.ndarray(shape, dtype, buffer=buf, offset=offset, strides=strides)


def plane_arrays(buf: Any, offset: int, geometry: P.Geometry) -> Tuple[Any, ...]:
    """Every plane of the frame whose data area starts at byte `offset` of `buf`, as
    plane_array."""
    np = numpy()
    return tuple(plane_array(np, buf, offset + pl.offset, pl, el)
                 for pl, el in zip(geometry.planes, elements(geometry)))

