/*
 * Shared-memory video input device (shmin)
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
 * shmin: reads the frames a shmout writer (or any program following the shmout protocol)
 * publishes in a shared-memory block, the twin of TouchDesigner's Shared Mem In TOP.
 * Each frame is copied once out of the ring slot, never torn, into an AVFrame that travels
 * as a wrapped AVFrame, so size and format changes reach FFmpeg frame by frame. It takes
 * every frame (naming the frames it lost), every frame with the writer waiting for it
 * (lossless), or the newest, stamps frames with the writer's pts or the wall clock, and at the
 * writer's close ends the stream or waits for the next writer; Ctrl-C ends any wait.
 * Usage: ffmpeg -f shmin -i NAME ...   ffplay -f shmin -mode latest NAME
 */

#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavutil/time.h"
#include "libavformat/demux.h"
#include "libavformat/internal.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

enum { TS_WRITER, TS_WALLCLOCK };
enum { ONCLOSE_EOF, ONCLOSE_WAIT };

typedef struct ShmInContext {
    const AVClass *class;
    int memtype;
    int64_t timeout;
    int mode;
    int timestamps;
    int onclose;
    int layout;                  /* enum ShmDevLayoutId */
    int64_t lock_timeout;

    const ShmDevInLayout *ops;
    void *reader;
    AVFrame *first;              /* the frame read by read_header, returned by the first read_packet */
    struct shmout_frame_meta first_meta;
    uint64_t last_frame;         /* frame number of the last frame returned */
    int64_t last_pts;            /* last pts returned, in the stream time base */
    int64_t pts_offset;          /* added to the writer's pts after a restart */
} ShmInContext;

static void shmin_free_frame(av_unused void *opaque, uint8_t *data)
{
    AVFrame *frame = (AVFrame *)data;
    av_frame_free(&frame);
}

static av_cold int shmin_read_close(AVFormatContext *s);

static av_cold int read_header(AVFormatContext *s)
{
    ShmInContext *c = s->priv_data;
    ShmDevReaderParams p = {
        .memtype = c->memtype, .mode = c->mode, .onclose_wait = c->onclose == ONCLOSE_WAIT,
        .timeout = c->timeout, .lock_timeout = c->lock_timeout,
    };
    AVStream *st;
    int64_t deadline = c->timeout < 0 ? INT64_MAX : av_gettime_relative() + c->timeout;
    int ret, waited = 0;

    if (c->mode == SHMOUT_READ_LOSSLESS && c->layout != SHMDEV_LAYOUT_SHMOUT) {
        av_log(s, AV_LOG_ERROR, "-mode lossless needs -layout shmout: TouchDesigner's layout has no "
               "frame numbers for a writer to wait on\n");
        return AVERROR(EINVAL);
    }
    ff_shmdev_watch_signals();
    if ((ret = ff_shmdev_in_layout(s, c->layout, &c->ops)) < 0 ||
        (ret = c->ops->open(&c->reader, s, &p)) < 0)
        return ret;
    /* The stream parameters are those of the first frame, which is kept for the first packet. */
    if (!(c->first = av_frame_alloc()))
        return AVERROR(ENOMEM);
    /* The timeout bounds the whole wait: a frame can be announced that is never intact
     * (a writer that died or lies), then waiting returns at once and reading fails again. */
    while ((ret = c->ops->read(c->reader, s, c->first, &c->first_meta)) == AVERROR(EAGAIN)) {
        int64_t left = deadline - av_gettime_relative();
        if (left <= 0) {
            av_log(s, AV_LOG_ERROR, "No intact frame arrived in block '%s' within the timeout: %s\n",
                   s->url, shmout_errmsg());
            return AVERROR(ETIMEDOUT);
        }
        if (waited)
            av_usleep(FFMIN(left, 10000));
        if ((ret = c->ops->wait(c->reader, s, c->timeout < 0 ? -1 : left)) < 0) {
            if (ret == AVERROR(ETIMEDOUT))
                av_log(s, AV_LOG_ERROR, "No frame arrived in block '%s' within the timeout\n", s->url);
            return ret;
        }
        waited = 1;
    }
    if (ret < 0)
        return ret;

    if (!(st = avformat_new_stream(s, NULL)))
        return AVERROR(ENOMEM);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id   = AV_CODEC_ID_WRAPPED_AVFRAME;
    st->codecpar->width      = c->first->width;
    st->codecpar->height     = c->first->height;
    st->codecpar->format     = c->first->format;
    st->codecpar->sample_aspect_ratio = c->first->sample_aspect_ratio;
    if (c->timestamps == TS_WRITER && c->first_meta.tb_num > 0 && c->first_meta.tb_den > 0)
        avpriv_set_pts_info(st, 64, c->first_meta.tb_num, c->first_meta.tb_den);
    else
        avpriv_set_pts_info(st, 64, 1, 1000000);
    c->last_pts = AV_NOPTS_VALUE;
    return 0;
}

/* read_close is not called when read_header fails (no init cleanup in every series): clean up here. */
static av_cold int shmin_read_header(AVFormatContext *s)
{
    int ret = read_header(s);

    if (ret < 0)
        shmin_read_close(s);
    return ret;
}

/*
 * The frame's pts in the stream time base: the writer's, or the wall clock at publishing.
 * After a writer restart the writer's pts start again; an offset keeps them increasing.
 */
static int64_t shmin_pts(AVFormatContext *s, const struct shmout_frame_meta *meta)
{
    ShmInContext *c = s->priv_data;
    AVStream *st = s->streams[0];
    int64_t pts;
    int restarted = meta->frame_number <= c->last_frame;   /* numbers restart with a new writer */

    c->last_frame = meta->frame_number;
    if (restarted)
        av_log(s, AV_LOG_INFO, "A new writer took over block '%s'\n", s->url);
    if (c->timestamps == TS_WALLCLOCK || meta->pts == SHMOUT_NOPTS || meta->tb_num <= 0 || meta->tb_den <= 0)
        return av_rescale_q(meta->realtime_ns / 1000, AV_TIME_BASE_Q, st->time_base);
    pts = av_rescale_q(meta->pts, (AVRational){ meta->tb_num, meta->tb_den }, st->time_base);
    if (restarted && c->last_pts != AV_NOPTS_VALUE)
        c->pts_offset = c->last_pts + 1 - pts;
    return pts + c->pts_offset;
}

static int shmin_read_packet(AVFormatContext *s, AVPacket *pkt)
{
    ShmInContext *c = s->priv_data;
    struct shmout_frame_meta meta;
    AVFrame *frame;
    int ret;

    if (c->first) {
        frame = c->first;
        meta  = c->first_meta;
        c->first = NULL;
    } else {
        if ((ret = c->ops->wait(c->reader, s, -1)) == AVERROR_EXIT) {
            /* Ctrl-C: end the stream, so that ffmpeg finishes its outputs */
            av_log(s, AV_LOG_INFO, "Stopped reading block '%s'\n", s->url);
            return AVERROR_EOF;
        }
        if (ret < 0)
            return ret;
        if (!(frame = av_frame_alloc()))
            return AVERROR(ENOMEM);
        if ((ret = c->ops->read(c->reader, s, frame, &meta)) < 0) {
            av_frame_free(&frame);
            return ret == AVERROR(EAGAIN) ? c->ops->unreadable(c->reader, s) : ret;
        }
    }
    c->ops->report(c->reader, s, &meta);
    frame->pts = shmin_pts(s, &meta);
    c->last_pts = frame->pts;

    pkt->buf = av_buffer_create((uint8_t *)frame, sizeof(*frame), shmin_free_frame, NULL, 0);
    if (!pkt->buf) {
        av_frame_free(&frame);
        return AVERROR(ENOMEM);
    }
    pkt->data   = pkt->buf->data;
    pkt->size   = pkt->buf->size;
    pkt->flags |= AV_PKT_FLAG_TRUSTED | AV_PKT_FLAG_KEY;
    pkt->pts    = pkt->dts = frame->pts;
    pkt->stream_index = 0;
    return 0;
}

static av_cold int shmin_read_close(AVFormatContext *s)
{
    ShmInContext *c = s->priv_data;

    if (c->ops)
        c->ops->close(&c->reader);
    av_frame_free(&c->first);
    return 0;
}

#define OFFSET(x) offsetof(ShmInContext, x)
#define DEC AV_OPT_FLAG_DECODING_PARAM
static const AVOption options[] = {
    { "memtype", "where the block lives", OFFSET(memtype),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_MEMTYPE_LOCAL }, SHMOUT_MEMTYPE_LOCAL, SHMOUT_MEMTYPE_GLOBAL, DEC, .unit = "memtype" },
    { "local",   "private to this user",                        0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_LOCAL },  0, 0, DEC, .unit = "memtype" },
    { "global",  "readable by every user, writable by its owner", 0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_GLOBAL }, 0, 0, DEC, .unit = "memtype" },
    { "mode", "which frames to take", OFFSET(mode),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_READ_EVERY }, SHMOUT_READ_LATEST, SHMOUT_READ_LOSSLESS, DEC, .unit = "mode" },
    { "every",  "every frame, in order; frames lost because the writer lapped the reader are reported",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_READ_EVERY },  0, 0, DEC, .unit = "mode" },
    { "lossless", "every frame, and the writer waits for this reader (up to its -lossless_timeout per "
      "frame, then it evicts the reader, which reports the frames it lost)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_READ_LOSSLESS }, 0, 0, DEC, .unit = "mode" },
    { "latest", "the newest frame, skipping older ones (lowest latency, for display)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_READ_LATEST }, 0, 0, DEC, .unit = "mode" },
    { "timestamps", "timestamps of the frames", OFFSET(timestamps),
      AV_OPT_TYPE_INT, { .i64 = TS_WRITER }, TS_WRITER, TS_WALLCLOCK, DEC, .unit = "timestamps" },
    { "writer",    "the writer's pts, in its time base",                    0, AV_OPT_TYPE_CONST, { .i64 = TS_WRITER },    0, 0, DEC, .unit = "timestamps" },
    { "wallclock", "the wall-clock time each frame was published, in microseconds", 0, AV_OPT_TYPE_CONST, { .i64 = TS_WALLCLOCK }, 0, 0, DEC, .unit = "timestamps" },
    { "onclose", "what to do when the writer closes the block or dies", OFFSET(onclose),
      AV_OPT_TYPE_INT, { .i64 = ONCLOSE_EOF }, ONCLOSE_EOF, ONCLOSE_WAIT, DEC, .unit = "onclose" },
    { "eof",  "end the stream",                                           0, AV_OPT_TYPE_CONST, { .i64 = ONCLOSE_EOF },  0, 0, DEC, .unit = "onclose" },
    { "wait", "wait for the next writer of the name and go on with its frames", 0, AV_OPT_TYPE_CONST, { .i64 = ONCLOSE_WAIT }, 0, 0, DEC, .unit = "onclose" },
    { "timeout", "how long to wait for the writer and its first frame (-1: forever)", OFFSET(timeout),
      AV_OPT_TYPE_DURATION, { .i64 = 5000000 }, -1000000, INT_MAX * 1000.0, .flags = DEC },
    { "layout", "how the block sits in shared memory", OFFSET(layout),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_LAYOUT_DEFAULT }, SHMDEV_LAYOUT_SHMOUT, SHMDEV_LAYOUT_TOUCHDESIGNER, DEC, .unit = "layout" },
    { "shmout",        "the shmout protocol (Linux)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_LAYOUT_SHMOUT },        0, 0, DEC, .unit = "layout" },
    { "touchdesigner", "TouchDesigner's own, as its Shared Mem Out TOP writes it (type Local; Windows)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_LAYOUT_TOUCHDESIGNER }, 0, 0, DEC, .unit = "layout" },
    { "lock_timeout", "touchdesigner layout: longest wait for the writer to release the block's mutex",
      OFFSET(lock_timeout), AV_OPT_TYPE_DURATION, { .i64 = 100000 }, 0, INT_MAX, .flags = DEC },
    { 0 },
};

static const AVClass shmin_class = {
    .class_name = "shmin indev",
    .item_name  = av_default_item_name,
    .option     = options,
    .version    = LIBAVUTIL_VERSION_INT,
    .category   = AV_CLASS_CATEGORY_DEVICE_VIDEO_INPUT,
};

#if LIBAVFORMAT_VERSION_MAJOR >= 61
const FFInputFormat ff_shmin_demuxer = {
#else
const AVInputFormat ff_shmin_demuxer = {
#endif
    SHMDEV_IN_P(name)       = "shmin",
    SHMDEV_IN_P(long_name)  = NULL_IF_CONFIG_SMALL("Shared-memory video input device"),
    SHMDEV_IN_P(flags)      = AVFMT_NOFILE,
    SHMDEV_IN_P(priv_class) = &shmin_class,
    .priv_data_size  = sizeof(ShmInContext),
    .read_header     = shmin_read_header,
    .read_packet     = shmin_read_packet,
    .read_close      = shmin_read_close,
    .get_device_list = ff_shmdev_get_device_list,
};
