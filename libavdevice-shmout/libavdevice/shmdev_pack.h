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

/*
 * The TouchDesigner-style pixel formats of shmout's `format` option (rgba16float, rg8fixed,
 * mono32float, ...). Each is produced in two steps: the filter graph converts to a base
 * format that swscale writes in every FFmpeg series (rgba, rgba64le, gbrapf32le, ...), then
 * ff_shmdev_pack() picks the channels and stores them as the element type, straight into
 * the block. That second step is plain repacking, except for the conversion of 32-bit floats
 * to 16-bit and 11/10-bit floats, which no FFmpeg series' swscale writes.
 */

#ifndef AVDEVICE_SHMDEV_PACK_H
#define AVDEVICE_SHMDEV_PACK_H

#include <stdint.h>

#include "libavutil/bprint.h"
#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"

enum ShmDevElem {
    SHMDEV_ELEM_NONE,     /* the base format is stored as it is */
    SHMDEV_ELEM_U8,
    SHMDEV_ELEM_U16,
    SHMDEV_ELEM_F16,
    SHMDEV_ELEM_F32,
    SHMDEV_ELEM_R11G11B10F,   /* packed 32-bit: R 11, G 11, B 10 bits unsigned float (LSB first) */
};

typedef struct ShmDevTopFormat {
    const char *name;             /* the option value, as in TouchDesigner */
    enum AVPixelFormat base;      /* what the filter graph delivers */
    const char *channels;         /* channels stored, in order: letters of "rgba" */
    enum ShmDevElem elem;
    const char *stored_name;      /* pixel format name written into the block header */
    int srgb;                     /* tag the block's transfer as sRGB (IEC 61966-2-1) */
} ShmDevTopFormat;

/** The TouchDesigner-style format of this name, or NULL. */
const ShmDevTopFormat *ff_shmdev_top_format(const char *name);

/** The packing route of an FFmpeg pixel format swscale cannot write itself, or NULL. */
const ShmDevTopFormat *ff_shmdev_ffmpeg_format(const char *name);

/** The names of the TouchDesigner-style formats, separated by spaces. */
void ff_shmdev_top_format_names(AVBPrint *bp);

/** The names of the FFmpeg pixel formats ff_shmdev_ffmpeg_format() knows, separated by spaces. */
void ff_shmdev_ffmpeg_format_names(AVBPrint *bp);

/** Bytes one pixel takes once packed (0 for SHMDEV_ELEM_NONE). */
int ff_shmdev_pack_pixel_size(const ShmDevTopFormat *f);

/**
 * Pack a frame of the format's base pixel format into one plane of width * pixel_size
 * bytes per row, rows dst_linesize apart.
 */
void ff_shmdev_pack(const ShmDevTopFormat *f, const AVFrame *src, uint8_t *dst, int dst_linesize);

/** IEEE 754 binary32 to binary16, rounding to nearest even (Inf, NaN and subnormals kept). */
uint16_t ff_shmdev_float_to_half(float f);

/**
 * binary32 to an unsigned float with a 5-bit exponent (bias 15) and mbits mantissa bits
 * (6: the 11-bit, 5: the 10-bit float of R11G11B10F), rounding to nearest even;
 * negative values and -0 become 0.
 */
uint32_t ff_shmdev_float_to_ufloat(float f, int mbits);

#endif /* AVDEVICE_SHMDEV_PACK_H */
