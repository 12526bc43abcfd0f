/*
 * Shared-memory video devices: the shmout protocol layout
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
 * The shmout protocol (docs/PROTOCOL.md, libshmout) behind the devices' layout seam: a ring
 * of slots that the writer fills without ever waiting for a reader, read without tearing,
 * every frame or the newest, with gaps, writer restarts and the writer's death reported.
 */

#include <stdlib.h>

#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/time.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

static int out_open(void **w, void *logctx, const ShmDevWriterParams *p,
                    const struct shmout_geometry *g)
{
    struct shmout_writer_options opts;
    int ret;

    shmout_writer_options_default(&opts);
    opts.slots      = p->slots;
    opts.active     = p->active;
    opts.fill_mode  = p->fill_mode;
    opts.smoothness = p->smoothness;
    if ((ret = shmout_writer_open((shmout_writer **)w, p->name, p->memtype, g, &opts)) < 0)
        return ff_shmdev_error(logctx, ret, "Cannot open the shared-memory block");
    av_log(logctx, AV_LOG_VERBOSE, "Writing %ux%u %s frames to %s block '%s'\n",
           g->width, g->height, g->pix_fmt_name, shmout_memtype_name(p->memtype), p->name);
    return 0;
}

static int out_set_geometry(void *w, void *logctx, const struct shmout_geometry *g)
{
    int ret = shmout_writer_set_geometry(w, g);

    if (ret < 0)
        return ff_shmdev_error(logctx, ret, "Cannot change the block's geometry");
    return 0;
}

static int out_begin_frame(void *w, void *logctx, uint8_t *dst[4], int dst_linesize[4])
{
    int ret = shmout_writer_begin_frame(w, dst, dst_linesize);

    return ret < 0 ? ff_shmdev_error(logctx, ret, "Cannot get a slot of the block") : 0;
}

static int out_publish(void *w, void *logctx, struct shmout_frame_meta *meta)
{
    int ret = shmout_writer_publish(w, meta);

    return ret < 0 ? ff_shmdev_error(logctx, ret, "Cannot publish the frame") : 0;
}

static int out_get_active(void *w)
{
    return shmout_writer_get_active(w);
}

static void out_heartbeat(void *w)
{
    shmout_writer_heartbeat(w);
}

static void out_close(void **w, void *logctx)
{
    if (!*w)
        return;
    av_log(logctx, AV_LOG_VERBOSE, "Closing the block after %"PRIu64" frames\n",
           shmout_writer_frames(*w));
    shmout_writer_close(*w);
    *w = NULL;
}

static int out_list(AVFormatContext *s, AVDeviceInfoList *device_list)
{
    struct shmout_block_info *blocks = NULL;
    size_t nb_blocks = 0, i;
    int ret;

    if ((ret = shmout_list(&blocks, &nb_blocks)) < 0)
        return ff_shmdev_error(s, ret, "Cannot list shared-memory blocks");
    for (i = 0; i < nb_blocks && ret >= 0; i++) {
        const struct shmout_block_info *b = &blocks[i];

        ret = ff_shmdev_add_device(device_list, b->name,
                                   "%s, %ux%u %s, %s, pid %d", shmout_memtype_name(b->memtype),
                                   b->geometry.width, b->geometry.height,
                                   b->geometry.pix_fmt_name[0] ? b->geometry.pix_fmt_name : "-",
                                   shmout_status_name(b->status), (int)b->owner_pid);
    }
    free(blocks);
    return ret < 0 ? ret : 0;
}

const ShmDevOutLayout ff_shmdev_out_shmout = {
    .name         = "shmout",
    .check_name   = shmout_name_validate,
    .open         = out_open,
    .set_geometry = out_set_geometry,
    .begin_frame  = out_begin_frame,
    .publish      = out_publish,
    .get_active   = out_get_active,
    .heartbeat    = out_heartbeat,
    .close        = out_close,
    .list         = out_list,
};

typedef struct ShmDevShmoutReader {
    shmout_reader *reader;
    ShmDevReaderParams p;
    struct shmout_geometry geometry;
    uint64_t skipped;            /* frames_skipped already reported */
} ShmDevShmoutReader;

static int in_open(void **rp, AVFormatContext *s, const ShmDevReaderParams *p)
{
    ShmDevShmoutReader *r = av_mallocz(sizeof(*r));
    int timeout_ms = p->timeout < 0 ? -1 : (int)FFMIN(p->timeout / 1000, INT_MAX);
    int ret;

    if (!r)
        return AVERROR(ENOMEM);
    *rp  = r;
    r->p = *p;
    if ((ret = shmout_reader_open(&r->reader, s->url, p->memtype, timeout_ms)) < 0)
        return ff_shmdev_error(s, ret, "Cannot open the shared-memory block");
    shmout_reader_set_mode(r->reader, p->mode);
    return 0;
}

/* Wait for a frame newer than the last one, in short steps so that Ctrl-C works. */
static int in_wait(void *rp, AVFormatContext *s, int64_t timeout)
{
    ShmDevShmoutReader *r = rp;
    int64_t deadline = timeout < 0 ? INT64_MAX : av_gettime_relative() + timeout;
    int ret;

    for (;;) {
        ret = shmout_reader_wait(r->reader, 100);
        if (ret != -ETIMEDOUT)
            break;
        if (ff_shmdev_interrupted(s))
            return AVERROR_EXIT;
        if (av_gettime_relative() >= deadline)
            return AVERROR(ETIMEDOUT);
    }
    switch (ret) {
    case 0:
        return 0;
    case -ESHUTDOWN:
    case -ESTALE:
        av_log(s, ret == -ESTALE ? AV_LOG_WARNING : AV_LOG_INFO, "The writer of block '%s' %s%s\n",
               s->url, ret == -ESTALE ? "is gone" : "closed it",
               r->p.onclose_wait ? "; waiting for the next writer" : "");
        if (!r->p.onclose_wait)
            return AVERROR_EOF;
        return in_wait(rp, s, -1);
    default:
        return ff_shmdev_error(s, ret, "Cannot wait for a frame");
    }
}

/*
 * The block's planes must be those of its pixel format at its size (the layout the shmout
 * device writes): the frame's buffers are allocated, and filled row by row, by that format.
 */
static int check_planes(AVFormatContext *s, const struct shmout_geometry *g, enum AVPixelFormat fmt)
{
    struct shmout_geometry want;
    unsigned i;

    if (ff_shmdev_layout(&want, fmt, 0, g->width, g->height) >= 0 && want.nb_planes == g->nb_planes) {
        for (i = 0; i < want.nb_planes; i++)
            if (want.plane_bytewidth[i] != g->plane_bytewidth[i] ||
                want.plane_height[i] != g->plane_height[i])
                break;
        if (i == want.nb_planes)
            return 0;
    }
    av_log(s, AV_LOG_ERROR, "Block '%s' is corrupt: its planes do not fit a %ux%u %s frame\n",
           s->url, g->width, g->height, g->pix_fmt_name);
    return AVERROR_INVALIDDATA;
}

/* Copy the next frame (per mode) out of the block into an AVFrame of its geometry. */
static int in_read(void *rp, AVFormatContext *s, AVFrame *frame, struct shmout_frame_meta *meta)
{
    ShmDevShmoutReader *r = rp;
    struct shmout_geometry got;
    int ret;

    for (;;) {
        av_frame_unref(frame);
        if (r->geometry.width) {          /* unknown before the first frame: read says its size */
            frame->width  = r->geometry.width;
            frame->height = r->geometry.height;
            frame->format = av_get_pix_fmt(r->geometry.pix_fmt_name);
            if (frame->format == AV_PIX_FMT_NONE) {
                av_log(s, AV_LOG_ERROR, "Block '%s' holds pixel format '%s', which this FFmpeg does not know\n",
                       s->url, r->geometry.pix_fmt_name);
                return AVERROR_PATCHWELCOME;
            }
            if ((ret = check_planes(s, &r->geometry, frame->format)) < 0)
                return ret;
            if ((ret = av_frame_get_buffer(frame, 0)) < 0)
                return ret;
        }
        ret = shmout_reader_read(r->reader, &r->geometry, frame->data, frame->linesize, &got, meta);
        if (ret != -EMSGSIZE)
            break;
        r->geometry = got;   /* first frame, or the writer changed size or format: reallocate */
    }
    if (ret == -EAGAIN)
        return AVERROR(EAGAIN);
    if (ret < 0)
        return ff_shmdev_error(s, ret, "Cannot read a frame");
    frame->sample_aspect_ratio = (AVRational){ got.sar_num, got.sar_den };
    frame->color_range     = got.color.range;
    frame->colorspace      = got.color.matrix;
    frame->color_primaries = got.color.primaries;
    frame->color_trc       = got.color.transfer;
    frame->chroma_location = got.color.chroma_location;
    return 0;
}

/*
 * A frame is announced but none could be read intact. A live writer may still publish one;
 * a writer that is gone never will (it died in the middle of a frame, or the block lies).
 */
static int in_unreadable(void *rp, AVFormatContext *s)
{
    ShmDevShmoutReader *r = rp;
    const char *why = shmout_errmsg();
    int status = shmout_reader_status(r->reader);

    if (r->p.onclose_wait || (status != SHMOUT_STATUS_STALE && status != SHMOUT_STATUS_CLOSED))
        return AVERROR(EAGAIN);
    av_log(s, AV_LOG_WARNING, "The writer of block '%s' is gone and its newest frame cannot be read: %s\n",
           s->url, why);
    return AVERROR_EOF;
}

/* Log frames lost since the last report. */
static void in_report(void *rp, AVFormatContext *s)
{
    ShmDevShmoutReader *r = rp;
    struct shmout_reader_stats st;
    int every = r->p.mode == SHMOUT_READ_EVERY;

    shmout_reader_get_stats(r->reader, &st);
    if (st.frames_skipped > r->skipped)
        av_log(s, every ? AV_LOG_WARNING : AV_LOG_DEBUG,
               "%"PRIu64" frames of block '%s' were not read (%"PRIu64" in all)%s\n",
               st.frames_skipped - r->skipped, s->url, st.frames_skipped,
               every ? ": the writer lapped the reader" : "");
    r->skipped = st.frames_skipped;
}

static void in_close(void **rp)
{
    ShmDevShmoutReader *r = *rp;

    if (r)
        shmout_reader_close(r->reader);
    av_freep(rp);
}

const ShmDevInLayout ff_shmdev_in_shmout = {
    .name       = "shmout",
    .open       = in_open,
    .wait       = in_wait,
    .read       = in_read,
    .unreadable = in_unreadable,
    .report     = in_report,
    .close      = in_close,
};
