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
 * as a wrapped AVFrame, so size and format changes reach FFmpeg frame by frame.
 * Usage: ffmpeg -f shmin -i NAME ...   ffplay -f shmin NAME
 */

#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavutil/time.h"
#include "libavformat/demux.h"
#include "libavformat/internal.h"
#include "shmdev_common.h"

typedef struct ShmInContext {
    const AVClass *class;
    int memtype;
    int64_t timeout;

    shmout_reader *reader;
    struct shmout_geometry geometry;
    int first_pending;           /* the frame seen by read_header is still to be returned */
} ShmInContext;

static void shmin_free_frame(av_unused void *opaque, uint8_t *data)
{
    AVFrame *frame = (AVFrame *)data;
    av_frame_free(&frame);
}

/* Wait for a frame newer than the last one, in short steps so that Ctrl-C works. */
static int shmin_wait(AVFormatContext *s, int64_t timeout)
{
    ShmInContext *c = s->priv_data;
    int64_t deadline = timeout < 0 ? INT64_MAX : av_gettime_relative() + timeout;
    int ret;

    for (;;) {
        ret = shmout_reader_wait(c->reader, 100);
        if (ret != -ETIMEDOUT)
            break;
        if (s->interrupt_callback.callback && s->interrupt_callback.callback(s->interrupt_callback.opaque))
            return AVERROR_EXIT;
        if (av_gettime_relative() >= deadline)
            return AVERROR(ETIMEDOUT);
    }
    switch (ret) {
    case 0:           return 0;
    case -ESHUTDOWN: av_log(s, AV_LOG_INFO, "The writer closed block '%s'\n", s->url);
                     return AVERROR_EOF;
    case -ESTALE:    av_log(s, AV_LOG_WARNING, "The writer of block '%s' is gone\n", s->url);
                     return AVERROR_EOF;
    default:         return ff_shmdev_error(s, ret, "Cannot wait for a frame");
    }
}

/* Copy the newest frame out of the block into a new AVFrame of its geometry. */
static int shmin_read_frame(AVFormatContext *s, AVFrame *frame, struct shmout_frame_meta *meta)
{
    ShmInContext *c = s->priv_data;
    struct shmout_geometry got;
    int ret;

    for (;;) {
        av_frame_unref(frame);
        frame->width  = c->geometry.width;
        frame->height = c->geometry.height;
        frame->format = av_get_pix_fmt(c->geometry.pix_fmt_name);
        if (frame->format == AV_PIX_FMT_NONE) {
            av_log(s, AV_LOG_ERROR, "Block '%s' holds pixel format '%s', which this FFmpeg does not know\n",
                   s->url, c->geometry.pix_fmt_name);
            return AVERROR_PATCHWELCOME;
        }
        if ((ret = av_frame_get_buffer(frame, 0)) < 0)
            return ret;
        ret = shmout_reader_read(c->reader, &c->geometry, frame->data, frame->linesize, &got, meta);
        if (ret != -EMSGSIZE)
            break;
        c->geometry = got;   /* the writer changed size or format: reallocate */
    }
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

static av_cold int shmin_read_header(AVFormatContext *s)
{
    ShmInContext *c = s->priv_data;
    struct shmout_frame_view view;
    AVStream *st;
    int timeout_ms = c->timeout < 0 ? -1 : (int)FFMIN(c->timeout / 1000, INT_MAX);
    int ret;

    if ((ret = shmout_reader_open(&c->reader, s->url, c->memtype, timeout_ms)) < 0)
        return ff_shmdev_error(s, ret, "Cannot open the shared-memory block");
    /* The stream parameters are those of the first frame. */
    while ((ret = shmout_reader_acquire(c->reader, &view)) == -EAGAIN) {
        if ((ret = shmin_wait(s, c->timeout)) < 0) {
            if (ret == AVERROR(ETIMEDOUT))
                av_log(s, AV_LOG_ERROR, "No frame arrived in block '%s' within the timeout\n", s->url);
            return ret;
        }
    }
    if (ret < 0)
        return ff_shmdev_error(s, ret, "Cannot read the block");
    c->geometry = view.geometry;
    c->first_pending = 1;

    if (!(st = avformat_new_stream(s, NULL)))
        return AVERROR(ENOMEM);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id   = AV_CODEC_ID_WRAPPED_AVFRAME;
    st->codecpar->width      = c->geometry.width;
    st->codecpar->height     = c->geometry.height;
    st->codecpar->format     = av_get_pix_fmt(c->geometry.pix_fmt_name);
    st->codecpar->sample_aspect_ratio = (AVRational){ c->geometry.sar_num, c->geometry.sar_den };
    if (view.meta.tb_num > 0 && view.meta.tb_den > 0)
        avpriv_set_pts_info(st, 64, view.meta.tb_num, view.meta.tb_den);
    else
        avpriv_set_pts_info(st, 64, 1, 1000000);
    return 0;
}

static int shmin_read_packet(AVFormatContext *s, AVPacket *pkt)
{
    ShmInContext *c = s->priv_data;
    AVStream *st = s->streams[0];
    struct shmout_frame_meta meta;
    AVFrame *frame;
    int ret;

    if (!c->first_pending && (ret = shmin_wait(s, -1)) < 0)
        return ret;
    c->first_pending = 0;
    if (!(frame = av_frame_alloc()))
        return AVERROR(ENOMEM);
    if ((ret = shmin_read_frame(s, frame, &meta)) < 0) {
        av_frame_free(&frame);
        return ret;
    }
    if (meta.pts != SHMOUT_NOPTS && meta.tb_num > 0 && meta.tb_den > 0)
        frame->pts = av_rescale_q(meta.pts, (AVRational){ meta.tb_num, meta.tb_den }, st->time_base);
    else
        frame->pts = av_rescale_q(meta.monotonic_ns / 1000, AV_TIME_BASE_Q, st->time_base);

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

    shmout_reader_close(c->reader);
    c->reader = NULL;
    return 0;
}

#define OFFSET(x) offsetof(ShmInContext, x)
#define DEC AV_OPT_FLAG_DECODING_PARAM
static const AVOption options[] = {
    { "memtype", "where the block lives", OFFSET(memtype),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_MEMTYPE_LOCAL }, SHMOUT_MEMTYPE_LOCAL, SHMOUT_MEMTYPE_GLOBAL, DEC, .unit = "memtype" },
    { "local",   "private to this user",                        0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_LOCAL },  0, 0, DEC, .unit = "memtype" },
    { "global",  "readable by every user, writable by its owner", 0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_GLOBAL }, 0, 0, DEC, .unit = "memtype" },
    { "timeout", "how long to wait for the writer and its first frame (-1: forever)", OFFSET(timeout),
      AV_OPT_TYPE_DURATION, { .i64 = 5000000 }, -1, INT_MAX * 1000.0, .flags = DEC },
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
