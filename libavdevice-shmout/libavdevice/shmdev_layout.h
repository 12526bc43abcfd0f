/*
 * Shared-memory video devices: the seam between the devices and a block layout
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
 * A layout is how a block sits in shared memory: the shmout protocol (shmdev_shmout.c,
 * libshmout, on systems with POSIX shared memory) or TouchDesigner's own (shmdev_td.c,
 * Windows named mappings). The devices keep everything else (options, the filter chain,
 * packing, timestamps) and reach a block only through these two tables.
 */

#ifndef AVDEVICE_SHMDEV_LAYOUT_H
#define AVDEVICE_SHMDEV_LAYOUT_H

#include <stdint.h>

#include "config.h"
#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"
#include "libavformat/avformat.h"
#include "avdevice.h"
#include "shmout.h"

enum ShmDevLayoutId { SHMDEV_LAYOUT_SHMOUT, SHMDEV_LAYOUT_TOUCHDESIGNER };

/* What a writer is opened with: the device's options that concern the block. */
typedef struct ShmDevWriterParams {
    const char *name;
    int memtype;
    int slots, active, fill_mode, smoothness;
    int64_t lock_timeout;           /* microseconds a writer waits for a reader's lock */
    int64_t lossless_timeout;       /* microseconds a writer waits for a lossless reader */
} ShmDevWriterParams;

typedef struct ShmDevOutLayout {
    const char *name;
    /**
     * The format option's value that stands for useinput with frames of this pixel format,
     * or NULL to keep the input's format.
     */
    const char *(*useinput_format)(enum AVPixelFormat in);
    /** Whether the layout can hold a block of this name: 0, or < 0 with the reason in err. */
    int  (*check_name)(const char *name, char *err, size_t err_size);
    int  (*open)(void **w, void *logctx, const ShmDevWriterParams *p,
                 const struct shmout_geometry *g);
    /** Follow a change of size or format. */
    int  (*set_geometry)(void *w, void *logctx, const struct shmout_geometry *g);
    /**
     * Planes the next frame is written into. AVERROR(EAGAIN): this frame cannot be
     * written now (a reader holds the block) and is dropped; the layout counts it.
     */
    int  (*begin_frame)(void *w, void *logctx, uint8_t *dst[4], int dst_linesize[4]);
    int  (*publish)(void *w, void *logctx, struct shmout_frame_meta *meta);
    /** The active toggle as the block says; NULL: the option's value stands. */
    int  (*get_active)(void *w);
    /** Tell readers the writer lives while no frame comes; NULL: the layout has no heartbeat. */
    void (*heartbeat)(void *w);
    /**
     * Wait up to timeout microseconds (-1: forever) until count readers are attached: the
     * number attached, AVERROR(ETIMEDOUT), AVERROR_EXIT (interrupted) or another error.
     * NULL: the layout cannot count its readers.
     */
    int  (*wait_readers)(void *w, void *logctx, int count, int64_t timeout);
    /** Close the block, logging what it did (frames, drops) into logctx. */
    void (*close)(void **w, void *logctx);
    /** The blocks on this machine (-sinks, -sources); NULL: the layout cannot list them. */
    int  (*list)(AVFormatContext *s, AVDeviceInfoList *device_list);
} ShmDevOutLayout;

/* What a reader is opened with: shmin's options. */
typedef struct ShmDevReaderParams {
    int memtype;
    int mode;                       /* enum shmout_read_mode */
    int onclose_wait;               /* at the writer's close: wait for the next one */
    int64_t timeout;                /* microseconds to wait for the block, -1 forever */
    int64_t lock_timeout;           /* microseconds to wait for a writer's lock */
} ShmDevReaderParams;

typedef struct ShmDevInLayout {
    const char *name;
    int  (*open)(void **r, AVFormatContext *s, const ShmDevReaderParams *p);
    /**
     * Wait up to timeout microseconds (-1: forever) for a frame newer than the last one
     * read: 0, AVERROR_EOF (the writer closed or died, and onclose is eof),
     * AVERROR(ETIMEDOUT), AVERROR_EXIT (interrupted) or another error.
     */
    int  (*wait)(void *r, AVFormatContext *s, int64_t timeout);
    /**
     * Copy the next frame into frame, allocating it, with its size, format, aspect and
     * colour properties; meta gets its timing. AVERROR(EAGAIN): no intact frame yet.
     */
    int  (*read)(void *r, AVFormatContext *s, AVFrame *frame, struct shmout_frame_meta *meta);
    /** A frame was announced but none could be read: AVERROR(EAGAIN) to go on, or AVERROR_EOF. */
    int  (*unreadable)(void *r, AVFormatContext *s);
    /** Log the frames lost before the frame just read, whose timing is meta. */
    void (*report)(void *r, AVFormatContext *s, const struct shmout_frame_meta *meta);
    void (*close)(void **r);
} ShmDevInLayout;

#if HAVE_MMAP
extern const ShmDevOutLayout ff_shmdev_out_shmout;
extern const ShmDevInLayout  ff_shmdev_in_shmout;
#endif
#if HAVE_MAPVIEWOFFILE
extern const ShmDevOutLayout ff_shmdev_out_touchdesigner;
extern const ShmDevInLayout  ff_shmdev_in_touchdesigner;
#endif

/* The layout a build writes and reads unless told otherwise: the only one it has. */
#if HAVE_MMAP
#define SHMDEV_LAYOUT_DEFAULT SHMDEV_LAYOUT_SHMOUT
#else
#define SHMDEV_LAYOUT_DEFAULT SHMDEV_LAYOUT_TOUCHDESIGNER
#endif

/**
 * The writer or reader side of the layout option's value, or an error (logged) naming
 * what this build has.
 */
int ff_shmdev_out_layout(void *logctx, int id, const ShmDevOutLayout **layout);
int ff_shmdev_in_layout(void *logctx, int id, const ShmDevInLayout **layout);

#endif /* AVDEVICE_SHMDEV_LAYOUT_H */
