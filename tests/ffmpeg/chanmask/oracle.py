# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# Permission is hereby granted, free of charge, to any person obtaining a copy
# of this software and associated documentation files (the "Software"), to
# deal in the Software without restriction, including without limitation the
# rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
# sell copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions: The above copyright
# notice and this permission notice shall be included in all copies or
# substantial portions of the Software.
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""Independent oracle for the chanmask filter test (tests/ffmpeg/chanmask.sh).

Describes the byte layout of each tested pixel format by hand (not from
FFmpeg's pixdesc) and applies the chanmask semantics with numpy:
colour channels not in the mask become 0, alpha not in the mask becomes the
maximum (1.0 for float); gray counts as r, ya is r+a; padding (rgb0's X
byte, x2rgb10's two X bits) is left unchanged.

Usage:
  oracle.py size FMT W H                       print the bytes of one frame
  oracle.py gen  FMT W H N OUT                 write N deterministic frames
  oracle.py mask FMT W H IN OUTPREFIX MASK...  write OUTPREFIX.MASK.raw per mask
"""

import re
import sys

import numpy as np

HALF_ONE = 0x3C00
FLOAT_ONE = 0x3F800000


def layout(fmt):
    """Return dict: planar, dtype (unsigned, with byte order), chans, depth, kind, and for
    formats with the value in the top bits of each word (gbrp10msb...) shift."""
    m = re.fullmatch(r'(x2rgb10|x2bgr10)(le|be)', fmt)
    if m:
        return dict(kind='x2', order=m.group(1)[2:5], dtype=('<' if m.group(2) == 'le' else '>') + 'u4')
    packed8 = {'rgba': 'rgba', 'bgra': 'bgra', 'argb': 'argb', 'abgr': 'abgr',
               'rgb0': 'rgbx', 'bgr0': 'bgrx', '0rgb': 'xrgb', '0bgr': 'xbgr',
               'rgb24': 'rgb', 'bgr24': 'bgr', 'gray': 'r', 'ya8': 'ra'}
    if fmt in packed8:
        return dict(kind='int', planar=False, dtype='u1', chans=packed8[fmt], depth=8)
    if fmt == 'gbrp':
        return dict(kind='int', planar=True, dtype='u1', chans='gbr', depth=8)
    if fmt == 'gbrap':
        return dict(kind='int', planar=True, dtype='u1', chans='gbra', depth=8)
    m = re.fullmatch(r'(.*?)(le|be)', fmt)
    if not m:
        raise SystemExit('oracle.py: unknown format ' + fmt)
    base, end = m.group(1), '<' if m.group(2) == 'le' else '>'
    table = {
        # packed
        'rgb48': (False, 'rgb', 16), 'bgr48': (False, 'bgr', 16),
        'rgba64': (False, 'rgba', 16), 'bgra64': (False, 'bgra', 16),
        'rgbaf16': (False, 'rgba', 'f16'), 'rgbf16': (False, 'rgb', 'f16'),
        'rgbf32': (False, 'rgb', 'f32'), 'rgbaf32': (False, 'rgba', 'f32'),
        'rgb96': (False, 'rgb', 32), 'rgba128': (False, 'rgba', 32),
        'gray32': (False, 'r', 32), 'grayf32': (False, 'r', 'f32'), 'grayf16': (False, 'r', 'f16'),
        'ya16': (False, 'ra', 16), 'yaf16': (False, 'ra', 'f16'), 'yaf32': (False, 'ra', 'f32'),
        # planar
        'gbrpf32': (True, 'gbr', 'f32'), 'gbrapf32': (True, 'gbra', 'f32'),
        'gbrpf16': (True, 'gbr', 'f16'), 'gbrapf16': (True, 'gbra', 'f16'),
        'gbrap32': (True, 'gbra', 32),
    }
    shift = 0
    if base in table:
        planar, chans, depth = table[base]
    else:
        # gbrp10msb etc.: the value in the top bits of each 16-bit word, the rest padding
        m2 = re.fullmatch(r'(gbrp|gbrap|gray)(9|10|12|14|16)(msb)?', base)
        if not m2:
            raise SystemExit('oracle.py: unknown format ' + fmt)
        planar = m2.group(1) != 'gray'
        chans = {'gbrp': 'gbr', 'gbrap': 'gbra', 'gray': 'r'}[m2.group(1)]
        depth = int(m2.group(2))
        shift = 16 - depth if m2.group(3) else 0
    size = 4 if depth in (32, 'f32') else 2
    kind = 'float' if isinstance(depth, str) else 'int'
    return dict(kind=kind, planar=planar, dtype=end + 'u%d' % size, chans=chans, depth=depth,
                shift=shift)


def frame_elems(L, w, h):
    if L['kind'] == 'x2':
        return w * h
    return w * h * len(L['chans'])


def frame_size(L, w, h):
    return frame_elems(L, w, h) * np.dtype(L['dtype']).itemsize


def alpha_max(L):
    d = L['depth']
    if d == 'f16':
        return HALF_ONE
    if d == 'f32':
        return FLOAT_ONE
    return (1 << d) - 1


def channel_view(frame, L, w, h, ch):
    """A writable view of channel ch ('r','g','b','a') of one frame, or None."""
    if ch not in L['chans']:
        return None
    i = L['chans'].index(ch)
    n = len(L['chans'])
    if L['planar']:
        return frame[i * w * h:(i + 1) * w * h]
    return frame[i::n]


def parse_mask(mask):
    if mask in ('all', 'rgba'):
        return set('rgba')
    if mask == 'none':
        return set()
    parts = mask.split('+')
    if not all(p in ('r', 'g', 'b', 'a') for p in parts):
        raise SystemExit('oracle.py: bad mask ' + mask)
    return set(parts)


def apply(data, L, w, h, keep):
    out = data.copy()
    fsz = frame_elems(L, w, h)
    for f in range(len(out) // fsz):
        frame = out[f * fsz:(f + 1) * fsz]
        if L['kind'] == 'x2':
            shifts = {'rgb': dict(r=20, g=10, b=0), 'bgr': dict(r=0, g=10, b=20)}[L['order']]
            for ch, sh in shifts.items():
                if ch not in keep:
                    frame &= np.array(~(0x3FF << sh) & 0xFFFFFFFF, dtype=np.uint32).astype(frame.dtype)
            continue
        for ch in 'rgba':
            v = channel_view(frame, L, w, h, ch)
            if v is None or ch in keep:
                continue
            if L.get('shift'):     # msb formats: the value bits only, the padding kept
                bits = ((1 << L['depth']) - 1) << L['shift']
                v[:] = (v & ~bits & 0xFFFF) | ((alpha_max(L) << L['shift']) if ch == 'a' else 0)
            else:
                v[:] = alpha_max(L) if ch == 'a' else 0
    return out


def generate(L, w, h, n):
    rng = np.random.default_rng(20260524)
    count = frame_elems(L, w, h) * n
    dt = np.dtype(L['dtype'])
    if L['kind'] == 'x2':
        return rng.integers(0, 1 << 32, count, dtype=np.uint64).astype(dt)
    if L['kind'] == 'float':
        vals = rng.random(count)
        if L['depth'] == 'f16':
            return vals.astype(dt.byteorder.replace('|', '=') + 'f2').view(dt)
        return vals.astype(dt.byteorder.replace('|', '=') + 'f4').view(dt)
    bits = 16 if L.get('shift') else L['depth']     # msb formats: padding bits set too
    return rng.integers(0, 1 << bits, count, dtype=np.uint64).astype(dt)


def main(argv):
    cmd, fmt, w, h = argv[1], argv[2], int(argv[3]), int(argv[4])
    L = layout(fmt)
    if cmd == 'size':
        print(frame_size(L, w, h))
    elif cmd == 'gen':
        generate(L, w, h, int(argv[5])).tofile(argv[6])
    elif cmd == 'mask':
        data = np.fromfile(argv[5], dtype=L['dtype'])
        if data.nbytes == 0 or data.nbytes % frame_size(L, w, h):
            raise SystemExit('oracle.py: %s is not a whole number of %s frames' % (argv[5], fmt))
        for mask in argv[7:]:
            apply(data, L, w, h, parse_mask(mask)).tofile('%s.%s.raw' % (argv[6], mask))
    else:
        raise SystemExit('oracle.py: unknown command ' + cmd)


if __name__ == '__main__':
    main(sys.argv)
