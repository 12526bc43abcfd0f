/*
 * Shared-memory video devices: helpers shared by the shmout muxer and the shmin demuxer
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
 * What both devices need in FFmpeg terms: error translation, the block list
 * for -sinks/-sources, the plane layout of a frame in a block, and the series
 * differences of the (de)muxer structs.
 */

#ifndef AVDEVICE_SHMDEV_COMMON_H
#define AVDEVICE_SHMDEV_COMMON_H

#include "libavutil/attributes.h"
#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"
#include "libavutil/version.h"
#include "libavformat/avformat.h"
#include "libavformat/version.h"
#include "avdevice.h"
#include "shmout.h"

/* FFOutputFormat / FFInputFormat wrap the public struct from libavformat 60 / 61 on. */
#if LIBAVFORMAT_VERSION_MAJOR >= 60
#define SHMDEV_OUT_P(field) .p.field
#else
#define SHMDEV_OUT_P(field) .field
#endif
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define SHMDEV_IN_P(field) .p.field
#else
#define SHMDEV_IN_P(field) .field
#endif

/* AVFrame.duration replaced pkt_duration in libavutil 58. */
#if LIBAVUTIL_VERSION_MAJOR >= 58
#define SHMDEV_FRAME_DURATION(frame) ((frame)->duration)
#else
#define SHMDEV_FRAME_DURATION(frame) ((frame)->pkt_duration)
#endif

/**
 * Log the protocol library's message for a failed call and return the
 * matching AVERROR code.
 */
int ff_shmdev_error(void *logctx, int err, const char *what);

/**
 * List the blocks on this machine (get_device_list), in the build's default layout.
 */
int ff_shmdev_get_device_list(AVFormatContext *s, AVDeviceInfoList *device_list);

/**
 * Whether the user asked to stop: a SIGINT or SIGTERM arrived since ff_shmdev_watch_signals()
 * (the first Ctrl-C, which the ffmpeg command line does not pass on), or the context's
 * interrupt callback says so.
 */
int ff_shmdev_interrupted(AVFormatContext *s);

/** Start noting SIGINT and SIGTERM for ff_shmdev_interrupted() (once per process). */
void ff_shmdev_watch_signals(void);

/** Add a block, described by a printf format, to a device list. */
int ff_shmdev_add_device(AVDeviceInfoList *device_list, const char *name, const char *fmt, ...)
    av_printf_format(3, 4);

/**
 * The planes of a width x height frame in a block, the layout both devices use: planes one
 * after the other, rows tightly packed as in rawvideo, plane starts aligned to
 * SHMOUT_PLANE_ALIGN. packed_bpp > 0 describes a format the device packs itself instead
 * (shmdev_pack.h): one plane of width * packed_bpp bytes a row. Sets width, height,
 * nb_planes, the plane arrays (unused planes zero) and frame_bytes.
 */
int ff_shmdev_layout(struct shmout_geometry *g, enum AVPixelFormat fmt, int packed_bpp,
                     int width, int height);

#endif /* AVDEVICE_SHMDEV_COMMON_H */
