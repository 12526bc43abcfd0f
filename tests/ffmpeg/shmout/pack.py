# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""pack.py: the oracle for shmout's TouchDesigner-style formats, computed independently of the
device's C code. It reads frames of a base pixel format that ffmpeg wrote with -f rawvideo and
writes what the block must hold: the chosen channels, interleaved, as the element type.

    python3 pack.py BASE CHANNELS ELEM WIDTH HEIGHT IN OUT
    BASE: rgba | rgba64le | gbrpf32le | gbrapf32le | grayf32le    CHANNELS: letters of rgba
    ELEM: u8 | u16 | f16 | f32 | r11g11b10f

16-bit floats use numpy's float16 cast (round to nearest even). The 11- and 10-bit unsigned
floats of r11g11b10f are found by searching the table of every code's value for the nearest
one (ties to the even code), which shares nothing with the device's bit arithmetic.
"""
import sys
import numpy as np


def planes(base, raw, w, h):
    """Return a dict channel -> array of shape (frames, h, w)."""
    if base in ("rgba", "rgba64le"):
        dt = np.uint8 if base == "rgba" else np.dtype("<u2")
        a = np.frombuffer(raw, dtype=dt).reshape(-1, h, w, 4)
        return {c: a[..., i] for i, c in enumerate("rgba")}
    if base == "grayf32le":
        a = np.frombuffer(raw, dtype="<f4").reshape(-1, h, w)
        return {"r": a}
    n = 4 if base == "gbrapf32le" else 3
    a = np.frombuffer(raw, dtype="<f4").reshape(-1, n, h, w)
    return dict(zip("gbra", (a[:, i] for i in range(n))))


def ufloat_table(mbits):
    """Value of every code of an unsigned float (5-bit exponent, bias 15), the Inf code last."""
    codes = np.arange((31 << mbits) + 1, dtype=np.int64)
    e, m = codes >> mbits, codes & ((1 << mbits) - 1)
    vals = np.where(e == 0, m * 2.0 ** (-14 - mbits), (1 + m / 2.0 ** mbits) * 2.0 ** (e - 15))
    vals[-1] = 2.0 ** 16          # Inf: rounding treats it as the next value after the largest
    return vals


def to_ufloat(x, mbits):
    x = np.asarray(x, dtype=np.float64)
    table = ufloat_table(mbits)
    v = np.clip(np.nan_to_num(x, nan=0.0, posinf=2.0 ** 17), 0, 2.0 ** 17)
    hi = np.clip(np.searchsorted(table, v), 0, len(table) - 1)
    lo = np.clip(hi - 1, 0, len(table) - 1)
    dl, dh = v - table[lo], table[hi] - v
    code = np.where(dl < dh, lo, np.where(dh < dl, hi, np.where(lo % 2 == 0, lo, hi)))
    code = np.where(v >= table[-1], len(table) - 1, code)
    return np.where(np.isnan(x), (31 << mbits) | (1 << (mbits - 1)), code).astype(np.uint32)


def main():
    base, channels, elem, w, h, src, dst = sys.argv[1:8]
    w, h = int(w), int(h)
    p = planes(base, open(src, "rb").read(), w, h)
    if elem == "r11g11b10f":
        r, g, b = (p[c].astype(np.float32) for c in "rgb")
        out = to_ufloat(r, 6) | to_ufloat(g, 6) << 11 | to_ufloat(b, 5) << 22
        out = out.astype("<u4")
    else:
        dt = {"u8": np.uint8, "u16": "<u2", "f16": "<f2", "f32": "<f4"}[elem]
        out = np.stack([p[c].astype(dt) for c in channels], axis=-1)
    open(dst, "wb").write(out.tobytes())


if __name__ == "__main__":
    main()
