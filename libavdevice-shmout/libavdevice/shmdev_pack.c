/*
 * Shared-memory video output device: TouchDesigner pixel formats
 * Copyright (c) 2026 the shmout authors
 *
 * This file is part of FFmpeg.
 *
 * FFmpeg is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * FFmpeg is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with FFmpeg; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA
 */

/* The TouchDesigner-style formats of shmout's `format` option and their packing. */

#include <string.h>

#include "libavutil/bprint.h"
#include "libavutil/intfloat.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/macros.h"
#include "libavutil/pixdesc.h"
#include "shmdev_pack.h"

/*
 * Mono formats keep the red channel, as TouchDesigner's do (an FFmpeg name such as `gray`
 * asks swscale for luma instead). 16-bit float and 11-bit float formats start from 32-bit
 * float planes; `rgb10a2fixed` is swscale's x2bgr10le, whose 2 top bits are always 3 (opaque).
 */
static const ShmDevTopFormat top_formats[] = {
    { "rgba8fixed",        AV_PIX_FMT_RGBA,       "rgba", SHMDEV_ELEM_NONE,       "rgba", 0 },
    { "srgba8fixed",       AV_PIX_FMT_RGBA,       "rgba", SHMDEV_ELEM_NONE,       "rgba", 1 },
    { "rgba16fixed",       AV_PIX_FMT_RGBA64LE,   "rgba", SHMDEV_ELEM_NONE,       "rgba64le", 0 },
    { "rgba16float",       AV_PIX_FMT_GBRAPF32LE, "rgba", SHMDEV_ELEM_F16,        "rgbaf16le", 0 },
    { "rgba32float",       AV_PIX_FMT_GBRAPF32LE, "rgba", SHMDEV_ELEM_F32,        "rgbaf32le", 0 },
    { "rgb10a2fixed",      AV_PIX_FMT_X2BGR10LE,  "rgba", SHMDEV_ELEM_NONE,       "x2bgr10le", 0 },
    { "rgb11float",        AV_PIX_FMT_GBRPF32LE,  "rgb",  SHMDEV_ELEM_R11G11B10F, "r11g11b10f", 0 },
    { "mono8fixed",        AV_PIX_FMT_RGBA,       "r",    SHMDEV_ELEM_U8,         "gray", 0 },
    { "mono16fixed",       AV_PIX_FMT_RGBA64LE,   "r",    SHMDEV_ELEM_U16,        "gray16le", 0 },
    { "mono16float",       AV_PIX_FMT_GBRPF32LE,  "r",    SHMDEV_ELEM_F16,        "grayf16le", 0 },
    { "mono32float",       AV_PIX_FMT_GBRPF32LE,  "r",    SHMDEV_ELEM_F32,        "grayf32le", 0 },
    { "rg8fixed",          AV_PIX_FMT_RGBA,       "rg",   SHMDEV_ELEM_U8,         "rg8", 0 },
    { "rg16fixed",         AV_PIX_FMT_RGBA64LE,   "rg",   SHMDEV_ELEM_U16,        "rg16le", 0 },
    { "rg16float",         AV_PIX_FMT_GBRPF32LE,  "rg",   SHMDEV_ELEM_F16,        "rgf16le", 0 },
    { "rg32float",         AV_PIX_FMT_GBRPF32LE,  "rg",   SHMDEV_ELEM_F32,        "rgf32le", 0 },
    { "a8fixed",           AV_PIX_FMT_RGBA,       "a",    SHMDEV_ELEM_U8,         "a8", 0 },
    { "a16fixed",          AV_PIX_FMT_RGBA64LE,   "a",    SHMDEV_ELEM_U16,        "a16le", 0 },
    { "a16float",          AV_PIX_FMT_GBRAPF32LE, "a",    SHMDEV_ELEM_F16,        "af16le", 0 },
    { "a32float",          AV_PIX_FMT_GBRAPF32LE, "a",    SHMDEV_ELEM_F32,        "af32le", 0 },
    { "monoalpha8fixed",   AV_PIX_FMT_RGBA,       "ra",   SHMDEV_ELEM_U8,         "ya8", 0 },
    { "monoalpha16fixed",  AV_PIX_FMT_RGBA64LE,   "ra",   SHMDEV_ELEM_U16,        "ya16le", 0 },
    { "monoalpha16float",  AV_PIX_FMT_GBRAPF32LE, "ra",   SHMDEV_ELEM_F16,        "yaf16le", 0 },
    { "monoalpha32float",  AV_PIX_FMT_GBRAPF32LE, "ra",   SHMDEV_ELEM_F32,        "yaf32le", 0 },
};

/*
 * FFmpeg pixel formats that no series' swscale writes, but that are a repacking of one it
 * writes. `grayf16le` is luma, like FFmpeg's gray formats, so it starts from grayf32le.
 */
static const ShmDevTopFormat ffmpeg_formats[] = {
    { "rgbaf32le", AV_PIX_FMT_GBRAPF32LE, "rgba", SHMDEV_ELEM_F32, "rgbaf32le", 0 },
    { "rgbaf16le", AV_PIX_FMT_GBRAPF32LE, "rgba", SHMDEV_ELEM_F16, "rgbaf16le", 0 },
    { "rgbf32le",  AV_PIX_FMT_GBRPF32LE,  "rgb",  SHMDEV_ELEM_F32, "rgbf32le", 0 },
    { "grayf16le", AV_PIX_FMT_GRAYF32LE,  "r",    SHMDEV_ELEM_F16, "grayf16le", 0 },
};

static const ShmDevTopFormat *find_format(const ShmDevTopFormat *list, int nb, const char *name)
{
    for (int i = 0; i < nb; i++)
        if (!strcmp(list[i].name, name))
            return &list[i];
    return NULL;
}

const ShmDevTopFormat *ff_shmdev_top_format(const char *name)
{
    return find_format(top_formats, FF_ARRAY_ELEMS(top_formats), name);
}

const ShmDevTopFormat *ff_shmdev_ffmpeg_format(const char *name)
{
    return find_format(ffmpeg_formats, FF_ARRAY_ELEMS(ffmpeg_formats), name);
}

static void format_names(AVBPrint *bp, const ShmDevTopFormat *list, int nb)
{
    for (int i = 0; i < nb; i++)
        av_bprintf(bp, "%s%s", i ? " " : "", list[i].name);
}

void ff_shmdev_top_format_names(AVBPrint *bp)
{
    format_names(bp, top_formats, FF_ARRAY_ELEMS(top_formats));
}

void ff_shmdev_ffmpeg_format_names(AVBPrint *bp)
{
    format_names(bp, ffmpeg_formats, FF_ARRAY_ELEMS(ffmpeg_formats));
}

int ff_shmdev_pack_pixel_size(const ShmDevTopFormat *f)
{
    int n = strlen(f->channels);

    switch (f->elem) {
    case SHMDEV_ELEM_U8:         return n;
    case SHMDEV_ELEM_U16:        return 2 * n;
    case SHMDEV_ELEM_F16:        return 2 * n;
    case SHMDEV_ELEM_F32:        return 4 * n;
    case SHMDEV_ELEM_R11G11B10F: return 4;
    default:                     return 0;
    }
}

uint32_t ff_shmdev_float_to_ufloat(float f, int mbits)
{
    uint32_t x = av_float2int(f), e, m, h, rem, half;
    int shift;

    if ((x & 0x7fffffff) > 0x7f800000)              /* NaN */
        return 31u << mbits | 1u << (mbits - 1);
    if (x & 0x80000000)                             /* negative, -0, -Inf */
        return 0;
    if (x == 0x7f800000)                            /* +Inf */
        return 31u << mbits;
    e = x >> 23;
    m = x & 0x7fffff;
    if (e < 113) {                                  /* below 2^-14: subnormal or 0 */
        if (e < 112u - mbits)                       /* less than half the smallest subnormal */
            return 0;
        m |= 0x800000;
        shift = 136 - mbits - (int)e;               /* units of the smallest subnormal, 2^(-14-mbits) */
        h    = m >> shift;
        rem  = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
    } else {
        shift = 23 - mbits;
        h    = (x - (112u << 23)) >> shift;         /* rebias the exponent from 127 to 15 */
        rem  = x & ((1u << shift) - 1);
        half = 1u << (shift - 1);
    }
    if (rem > half || (rem == half && (h & 1)))
        h++;
    return FFMIN(h, 31u << mbits);                  /* overflow: +Inf */
}

uint16_t ff_shmdev_float_to_half(float f)
{
    uint32_t x = av_float2int(f);
    uint16_t sign = x >> 16 & 0x8000;

    return sign | ff_shmdev_float_to_ufloat(av_int2float(x & 0x7fffffff), 10);
}

void ff_shmdev_pack(const ShmDevTopFormat *f, const AVFrame *src, uint8_t *dst, int dst_linesize)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(src->format);
    int nb = strlen(f->channels), plane[4], offset[4], step[4];

    for (int c = 0; c < nb; c++) {
        /* pixdesc lists the components of RGB formats as R, G, B, A, whatever the layout. */
        const AVComponentDescriptor *comp = &desc->comp[strchr("rgba", f->channels[c]) - "rgba"];
        plane[c]  = comp->plane;
        offset[c] = comp->offset;
        step[c]   = comp->step;
    }
    for (int y = 0; y < src->height; y++) {
        const uint8_t *row[4];
        uint8_t *out = dst + (ptrdiff_t)y * dst_linesize;

        for (int c = 0; c < nb; c++)
            row[c] = src->data[plane[c]] + (ptrdiff_t)y * src->linesize[plane[c]] + offset[c];
        switch (f->elem) {
        case SHMDEV_ELEM_U8:
            for (int x = 0; x < src->width; x++)
                for (int c = 0; c < nb; c++)
                    *out++ = row[c][x * step[c]];
            break;
        case SHMDEV_ELEM_U16:
            for (int x = 0; x < src->width; x++)
                for (int c = 0; c < nb; c++, out += 2)
                    AV_WL16(out, AV_RL16(row[c] + x * step[c]));
            break;
        case SHMDEV_ELEM_F16:
            for (int x = 0; x < src->width; x++)
                for (int c = 0; c < nb; c++, out += 2)
                    AV_WL16(out, ff_shmdev_float_to_half(av_int2float(AV_RL32(row[c] + x * step[c]))));
            break;
        case SHMDEV_ELEM_F32:
            for (int x = 0; x < src->width; x++)
                for (int c = 0; c < nb; c++, out += 4)
                    AV_WL32(out, AV_RL32(row[c] + x * step[c]));
            break;
        case SHMDEV_ELEM_R11G11B10F:
            for (int x = 0; x < src->width; x++, out += 4)
                AV_WL32(out, ff_shmdev_float_to_ufloat(av_int2float(AV_RL32(row[0] + x * step[0])), 6) |
                             ff_shmdev_float_to_ufloat(av_int2float(AV_RL32(row[1] + x * step[1])), 6) << 11 |
                             ff_shmdev_float_to_ufloat(av_int2float(AV_RL32(row[2] + x * step[2])), 5) << 22);
            break;
        default:
            break;
        }
    }
}
