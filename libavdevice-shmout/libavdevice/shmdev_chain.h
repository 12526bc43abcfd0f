/*
 * Shared-memory video output device: the processing chain
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
 * The shmout device's image options (the Shared Mem Out TOP's resolution, aspect, filter,
 * passes, channel mask and format parameters) compiled into a libavfilter chain: scale,
 * setsar/setdar, chanmask and format, once per pass. Frames run through it, and the result
 * is described as a block geometry and written into a ring slot (copied, or packed for the
 * TouchDesigner formats swscale cannot write).
 */

#ifndef AVDEVICE_SHMDEV_CHAIN_H
#define AVDEVICE_SHMDEV_CHAIN_H

#include <stdint.h>

#include "libavutil/frame.h"
#include "libavutil/rational.h"
#include "libavcodec/codec_par.h"
#include "libavfilter/avfilter.h"
#include "shmdev_pack.h"
#include "shmout.h"

/* outputresolution */
enum { SHMDEV_RES_USEINPUT, SHMDEV_RES_EIGHTH, SHMDEV_RES_QUARTER, SHMDEV_RES_HALF,
       SHMDEV_RES_2X, SHMDEV_RES_4X, SHMDEV_RES_8X, SHMDEV_RES_FIT, SHMDEV_RES_LIMIT,
       SHMDEV_RES_CUSTOM };
/* outputaspect */
enum { SHMDEV_ASPECT_USEINPUT, SHMDEV_ASPECT_RESOLUTION, SHMDEV_ASPECT_CUSTOM };
/* armenu: none, then 1:1, 4:3, 16:9, 16:10, 21:9, 2.39:1, 9:16 */
enum { SHMDEV_AR_NONE, SHMDEV_AR_SQUARE, SHMDEV_AR_SD, SHMDEV_AR_HD, SHMDEV_AR_WIDE,
       SHMDEV_AR_ULTRAWIDE, SHMDEV_AR_SCOPE, SHMDEV_AR_VERTICAL, SHMDEV_AR_NB };
/* inputfiltertype: swscale's point, bilinear, area, bicubic, lanczos, spline */
enum { SHMDEV_FILTER_NEAREST, SHMDEV_FILTER_LINEAR, SHMDEV_FILTER_MIPMAP,
       SHMDEV_FILTER_BICUBIC, SHMDEV_FILTER_LANCZOS, SHMDEV_FILTER_SPLINE, SHMDEV_FILTER_NB };
/* chanmask: the bits of the chanmask filter's mask option, which the chain passes on as a
 * number so that the filter's own check rejects bad values */
enum { SHMDEV_CHAN_R = 1, SHMDEV_CHAN_G = 2, SHMDEV_CHAN_B = 4, SHMDEV_CHAN_A = 8,
       SHMDEV_CHAN_ALL = 15 };

typedef struct ShmDevChain {
    /* options, set through the device's AVOption table */
    int outputresolution;
    int res_w, res_h;                   /* resolution */
    int resmenu_w, resmenu_h;           /* resmenu: the same, by name */
    int resmult;
    int outputaspect;
    AVRational aspect;
    int armenu;
    int inputfiltertype;
    int npasses;
    int chanmask;
    char *format;

    /* derived from the options and the stream by ff_shmdev_chain_init() */
    double resmult_factor;
    enum AVPixelFormat out_fmt;         /* AV_PIX_FMT_NONE: useinput */
    const ShmDevTopFormat *pack;        /* packed format written after the graph, or NULL */
    AVRational time_base, stream_sar;

    /* the filter graph, for the input properties it was built for */
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int in_w, in_h, in_fmt;
    AVRational in_sar;
    AVFrame *filtered;
} ShmDevChain;

/**
 * Check the options, derive the output format and the resolution multiplier, and build the
 * chain for the stream's frames. g receives the geometry those frames will have in the
 * block, so that the block can be opened before the first frame.
 */
int ff_shmdev_chain_init(ShmDevChain *c, void *logctx, const AVCodecParameters *par,
                         AVRational time_base, struct shmout_geometry *g);

/**
 * Run a frame through the chain (rebuilt first when the frame's size, format or aspect
 * differ from the last one's). On success *out is the processed frame, valid until the next
 * call, or frame itself when the chain is empty; g receives its block geometry.
 */
int ff_shmdev_chain_filter(ShmDevChain *c, void *logctx, AVFrame *frame,
                           const AVFrame **out, struct shmout_geometry *g);

/** Write a processed frame into the planes of a slot: copied, or packed. */
void ff_shmdev_chain_write(const ShmDevChain *c, const AVFrame *out,
                           uint8_t *dst[4], int dst_linesize[4]);

void ff_shmdev_chain_uninit(ShmDevChain *c);

#endif /* AVDEVICE_SHMDEV_CHAIN_H */
