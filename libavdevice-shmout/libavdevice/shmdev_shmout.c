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
 * of slots that the writer fills without waiting for a reader, unless it reads losslessly (and
 * then at most -lossless_timeout a frame), read without tearing, every frame, losslessly or
 * the newest, with losses, writer restarts and the writer's death reported.
 */

#include <stdlib.h>

#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/time.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

typedef struct ShmDevShmoutWriter {
    shmout_writer *writer;
    const char *name;
    uint64_t lost_reported;      /* slowest_reader_lost last logged */
    int64_t lost_logged;         /* when (av_gettime_relative) */
    uint64_t evictions, reclaimed;   /* last logged */
} ShmDevShmoutWriter;

/* libshmout's interrupt callback: the device's (Ctrl-C). */
static int interrupted(void *logctx)
{
    return ff_shmdev_interrupted(logctx);
}

static int out_open(void **wp, void *logctx, const ShmDevWriterParams *p,
                    const struct shmout_geometry *g)
{
    ShmDevShmoutWriter *w = av_mallocz(sizeof(*w));
    struct shmout_writer_options opts;
    int ret;

    if (!w)
        return AVERROR(ENOMEM);
    *wp = w;
    w->name = p->name;
    shmout_writer_options_default(&opts);
    opts.slots      = p->slots;
    opts.active     = p->active;
    opts.fill_mode  = p->fill_mode;
    opts.smoothness = p->smoothness;
    opts.lossless_timeout_ms = FFMAX(1, FFMIN(p->lossless_timeout / 1000, SHMOUT_LOSSLESS_TIMEOUT_MAX_MS));
    opts.interrupt        = interrupted;
    opts.interrupt_opaque = logctx;
    if ((ret = shmout_writer_open(&w->writer, p->name, p->memtype, g, &opts)) < 0) {
        av_freep(wp);
        return ff_shmdev_error(logctx, ret, "Cannot open the shared-memory block");
    }
    av_log(logctx, AV_LOG_VERBOSE, "Writing %ux%u %s frames to %s block '%s'\n",
           g->width, g->height, g->pix_fmt_name, shmout_memtype_name(p->memtype), p->name);
    return 0;
}

static int out_set_geometry(void *wp, void *logctx, const struct shmout_geometry *g)
{
    ShmDevShmoutWriter *w = wp;
    int ret = shmout_writer_set_geometry(w->writer, g);

    if (ret < 0)
        return ff_shmdev_error(logctx, ret, "Cannot change the block's geometry");
    return 0;
}

static int out_begin_frame(void *wp, void *logctx, uint8_t *dst[4], int dst_linesize[4])
{
    ShmDevShmoutWriter *w = wp;
    int ret = shmout_writer_begin_frame(w->writer, dst, dst_linesize);

    if (ret == -EINTR)
        return AVERROR_EXIT;
    return ret < 0 ? ff_shmdev_error(logctx, ret, "Cannot get a slot of the block") : 0;
}

/*
 * -v verbose: lossless readers evicted or found dead, as it happens, and the frames the
 * slowest registered reader lost, at most once a second.
 */
static void report_lost(ShmDevShmoutWriter *w, void *logctx)
{
    struct shmout_writer_stats st;
    int64_t now = av_gettime_relative();

    shmout_writer_get_stats(w->writer, &st);
    if (st.evictions > w->evictions)
        av_log(logctx, AV_LOG_VERBOSE, "Evicted a lossless reader of block '%s' that stayed behind for "
               "longer than -lossless_timeout (frame %"PRIu64")\n", w->name, st.frames);
    if (st.reclaimed > w->reclaimed)
        av_log(logctx, AV_LOG_VERBOSE, "A registered reader of block '%s' died; its registration is freed (a lossless one is no longer waited for)\n",
               w->name);
    w->evictions = st.evictions;
    w->reclaimed = st.reclaimed;
    if (st.slowest_reader_lost > w->lost_reported && now - w->lost_logged >= 1000000) {
        av_log(logctx, AV_LOG_VERBOSE, "The slowest reader of block '%s' has lost %"PRIu64" frames\n",
               w->name, st.slowest_reader_lost);
        w->lost_reported = st.slowest_reader_lost;
        w->lost_logged   = now;
    }
}

static int out_publish(void *wp, void *logctx, struct shmout_frame_meta *meta)
{
    ShmDevShmoutWriter *w = wp;
    int ret = shmout_writer_publish(w->writer, meta);

    if (ret < 0)
        return ff_shmdev_error(logctx, ret, "Cannot publish the frame");
    report_lost(w, logctx);
    return 0;
}

static int out_get_active(void *wp)
{
    ShmDevShmoutWriter *w = wp;
    return shmout_writer_get_active(w->writer);
}

static void out_heartbeat(void *wp)
{
    ShmDevShmoutWriter *w = wp;
    shmout_writer_heartbeat(w->writer);
}

static int out_wait_readers(void *wp, void *logctx, int count, int64_t timeout)
{
    ShmDevShmoutWriter *w = wp;
    int ret = shmout_writer_wait_readers(w->writer, count,
                                         timeout < 0 ? -1 : (int)FFMIN(timeout / 1000, INT_MAX));

    if (ret == -EINTR)
        return AVERROR_EXIT;
    if (ret == -ETIMEDOUT)
        return AVERROR(ETIMEDOUT);   /* the caller says what happens now */
    return ret < 0 ? ff_shmdev_error(logctx, ret, "Cannot wait for readers") : ret;
}

/* Close, saying what readers lost: the writer waits only for lossless readers. */
static void out_close(void **wp, void *logctx)
{
    ShmDevShmoutWriter *w = *wp;
    struct shmout_writer_stats st;

    if (!w)
        return;
    if (w->writer) {
        shmout_writer_get_stats(w->writer, &st);
        if (st.lossless_waits)
            av_log(logctx, AV_LOG_VERBOSE, "%"PRIu64" frames waited %.3f s in all for lossless readers\n",
                   st.lossless_waits, st.lossless_wait_ns / 1e9);
        if (st.evictions)
            av_log(logctx, AV_LOG_WARNING, "%"PRIu64" times a lossless reader of block '%s' stayed behind "
                   "for longer than -lossless_timeout and was evicted (it lost frames, and was told which)\n",
                   st.evictions, w->name);
        if (st.slowest_reader_lost)
            av_log(logctx, AV_LOG_WARNING, "The slowest registered reader of block '%s' lost %"PRIu64" frames: "
                   "the writer never waits for readers unless they read with -mode lossless\n",
                   w->name, st.slowest_reader_lost);
        av_log(logctx, AV_LOG_VERBOSE, "Closing the block after %"PRIu64" frames\n", st.frames);
        shmout_writer_close(w->writer);
    }
    av_freep(wp);
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
    .wait_readers = out_wait_readers,
    .close        = out_close,
    .list         = out_list,
};

typedef struct ShmDevShmoutReader {
    shmout_reader *reader;
    ShmDevReaderParams p;
    struct shmout_geometry geometry;
    struct shmout_reader_stats reported;   /* the counters already reported */
    int end_reported;            /* the writer's end was logged since the last frame */
    int got_frame;               /* a frame was read */
} ShmDevShmoutReader;

#define SHMDEV_STEP_MS 100       /* waits are cut into steps this long, for Ctrl-C */

static int in_open(void **rp, AVFormatContext *s, const ShmDevReaderParams *p)
{
    ShmDevShmoutReader *r = av_mallocz(sizeof(*r));
    struct shmout_reader_options opts = {
        .mode = p->mode, .interrupt = interrupted, .interrupt_opaque = s,
    };
    struct shmout_reader_stats st;
    int ret;

    if (!r)
        return AVERROR(ENOMEM);
    *rp  = r;
    r->p = *p;
    ret = shmout_reader_open_opts(&r->reader, s->url, p->memtype,
                                  p->timeout < 0 ? -1 : (int)FFMIN(p->timeout / 1000, INT_MAX), &opts);
    if (ret == -EINTR)
        return AVERROR_EXIT;
    if (ret == -ETIMEDOUT) {
        av_log(s, AV_LOG_ERROR, "Cannot open the shared-memory block: no writer created block '%s' "
               "(%s) within %.3g s; start its writer, or wait longer with -timeout\n",
               s->url, shmout_memtype_name(p->memtype), p->timeout / 1e6);
        return AVERROR(ETIMEDOUT);
    }
    if (ret < 0)
        return ff_shmdev_error(s, ret, "Cannot open the shared-memory block");
    shmout_reader_get_stats(r->reader, &st);
    if (p->mode == SHMOUT_READ_LOSSLESS && st.registered != SHMOUT_REG_LOSSLESS)
        av_log(s, AV_LOG_WARNING, "The writer of block '%s' cannot keep frames for this lossless reader "
               "(it speaks protocol 1.0, the block's wait object is not writable for you, or 32 readers "
               "are registered already): reading every frame it keeps, losses reported\n", s->url);
    return 0;
}

/*
 * Wait for a frame newer than the last one, in short steps so that Ctrl-C works. At the
 * writer's end with onclose wait, this waits for the next writer for as long as it takes. A
 * block that ended before this reader read anything (left by an earlier run) is waited on
 * for a writer within the timeout, whatever onclose says.
 */
static int in_wait(void *rp, AVFormatContext *s, int64_t timeout)
{
    ShmDevShmoutReader *r = rp;
    int64_t deadline = timeout < 0 ? INT64_MAX : av_gettime_relative() + timeout;
    int ret;

    for (;;) {
        if (ff_shmdev_interrupted(s))
            return AVERROR_EXIT;
        ret = shmout_reader_wait(r->reader, SHMDEV_STEP_MS);
        if (ret == 0)
            return 0;
        if (ret == -ESHUTDOWN || ret == -ESTALE) {
            if (!r->got_frame) {
                if (!r->end_reported)
                    av_log(s, AV_LOG_INFO, "Block '%s' has no writer now (its last one %s); waiting for one\n",
                           s->url, ret == -ESTALE ? "died" : "closed it");
            } else if (!r->end_reported) {
                av_log(s, ret == -ESTALE ? AV_LOG_WARNING : AV_LOG_INFO, "The writer of block '%s' %s%s\n",
                       s->url, ret == -ESTALE ? "is gone" : "closed it",
                       r->p.onclose_wait ? "; waiting for the next writer" : "");
            }
            r->end_reported = 1;
            if (r->got_frame && !r->p.onclose_wait)
                return AVERROR_EOF;
            if (r->got_frame)
                deadline = INT64_MAX;
        } else if (ret != -ETIMEDOUT) {
            return ff_shmdev_error(s, ret, "Cannot wait for a frame");
        }
        if (av_gettime_relative() >= deadline)
            return AVERROR(ETIMEDOUT);
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
    r->end_reported = 0;
    r->got_frame = 1;
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

/*
 * Log the frames lost just before frame meta->frame_number (n): the d frames the counters
 * added since the last report are n - d .. n - 1, lost before this reader attached, to an
 * eviction or to the writer lapping the reader. A newest-frame reader skips on purpose.
 */
static void in_report(void *rp, AVFormatContext *s, const struct shmout_frame_meta *meta)
{
    ShmDevShmoutReader *r = rp;
    struct shmout_reader_stats st;
    uint64_t d, n = meta->frame_number;
    int level = r->p.mode == SHMOUT_READ_LATEST ? AV_LOG_DEBUG : AV_LOG_WARNING;
    char range[64];

    shmout_reader_get_stats(r->reader, &st);
    d = st.frames_skipped - r->reported.frames_skipped;
    if (d && d < n && st.frames_before_attach > r->reported.frames_before_attach) {
        /* frames 1 .. b came before this reader; the rest of the gap went by after it came */
        uint64_t b = st.frames_before_attach - r->reported.frames_before_attach;
        int before_level = r->p.mode == SHMOUT_READ_LATEST ? AV_LOG_VERBOSE : AV_LOG_WARNING;

        if (b == 1)
            av_log(s, before_level, "frame 1 of block '%s' was published before this reader attached\n",
                   s->url);
        else
            av_log(s, before_level, "frames 1-%"PRIu64" of block '%s' were published before this reader "
                   "attached\n", b, s->url);
        d -= FFMIN(b, d);
    }
    if (d && d < n) {
        if (d == 1)
            snprintf(range, sizeof(range), "frame %"PRIu64, n - 1);
        else
            snprintf(range, sizeof(range), "frames %"PRIu64"-%"PRIu64, n - d, n - 1);
        if (st.evictions > r->reported.evictions)
            av_log(s, level, "This lossless reader stayed behind the writer of block '%s' for longer than "
                   "its -lossless_timeout and was evicted at frame %"PRIu64": %s lost; reading "
                   "losslessly again\n", s->url, st.evicted_at, range);
        else
            av_log(s, level, "%s of block '%s' lost (%"PRIu64" in all): the writer lapped this reader; "
                   "it waits only for readers with -mode lossless\n", range, s->url, st.frames_skipped);
    }
    r->reported = st;
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
