/*
 * Shared-memory video output device (shmout)
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
 * shmout: writes each video frame into a shared-memory block (docs/PROTOCOL.md of the
 * shmout project) the moment it arrives, for other programs to read. Frames come as
 * wrapped AVFrames (no encoder copy, colour properties preserved) and are copied once,
 * straight into the next ring slot. Usage: ffmpeg -i INPUT -f shmout NAME
 */

#include "libavutil/imgutils.h"
#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavformat/mux.h"
#include "shmdev_common.h"

typedef struct ShmOutContext {
    const AVClass *class;
    char *name;
    int memtype;

    shmout_writer *writer;
    struct shmout_geometry geometry;
} ShmOutContext;

/* Open the block for this geometry, or follow a change of size or format. */
static int shmout_prepare(AVFormatContext *s, const AVFrame *frame)
{
    ShmOutContext *c = s->priv_data;
    struct shmout_geometry g;
    int ret;

    if ((ret = ff_shmdev_geometry_from_frame(s, frame, &g)) < 0)
        return ret;
    if (c->writer && !memcmp(&g, &c->geometry, sizeof(g)))
        return 0;
    if (!c->writer) {
        if ((ret = shmout_writer_open(&c->writer, c->name, c->memtype, &g, NULL)) < 0)
            return ff_shmdev_error(s, ret, "Cannot open the shared-memory block");
        av_log(s, AV_LOG_VERBOSE, "Writing %ux%u %s frames to %s block '%s'\n",
               g.width, g.height, g.pix_fmt_name, shmout_memtype_name(c->memtype), c->name);
    } else {
        if ((ret = shmout_writer_set_geometry(c->writer, &g)) < 0)
            return ff_shmdev_error(s, ret, "Cannot change the block's geometry");
        av_log(s, AV_LOG_VERBOSE, "Geometry changed to %ux%u %s\n", g.width, g.height, g.pix_fmt_name);
    }
    c->geometry = g;
    return 0;
}

static av_cold int shmout_write_header(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    AVStream *st;
    AVFrame *frame;
    char err[128];
    int ret;

    if (s->nb_streams != 1 || s->streams[0]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
        av_log(s, AV_LOG_ERROR, "shmout takes exactly one video stream and nothing else; "
               "select one with -map 0:v:0 and drop audio with -an\n");
        return AVERROR(EINVAL);
    }
    st = s->streams[0];
    if (st->codecpar->codec_id != AV_CODEC_ID_WRAPPED_AVFRAME) {
        av_log(s, AV_LOG_ERROR, "shmout takes raw frames (codec wrapped_avframe), not %s: "
               "drop -c:v / -vcodec from the command line\n", avcodec_get_name(st->codecpar->codec_id));
        return AVERROR(EINVAL);
    }
    if (!c->name || !*c->name) {
        av_freep(&c->name);
        if (!(c->name = av_strdup(s->url)))
            return AVERROR(ENOMEM);
    }
    if ((ret = shmout_name_validate(c->name, err, sizeof(err))) < 0) {
        av_log(s, AV_LOG_ERROR, "Invalid block name for option 'name' (or the output URL): %s\n", err);
        return AVERROR(EINVAL);
    }
    /* Open the block now, with the stream's geometry, so that a name in use fails before any frame. */
    frame = av_frame_alloc();
    if (!frame)
        return AVERROR(ENOMEM);
    frame->width  = st->codecpar->width;
    frame->height = st->codecpar->height;
    frame->format = st->codecpar->format;
    frame->sample_aspect_ratio = st->codecpar->sample_aspect_ratio;
    frame->color_range     = st->codecpar->color_range;
    frame->colorspace      = st->codecpar->color_space;
    frame->color_primaries = st->codecpar->color_primaries;
    frame->color_trc       = st->codecpar->color_trc;
    frame->chroma_location = st->codecpar->chroma_location;
    ret = shmout_prepare(s, frame);
    av_frame_free(&frame);
    return ret;
}

static int shmout_write_frame(AVFormatContext *s, int stream_index, AVFrame **framep,
                              unsigned flags)
{
    ShmOutContext *c = s->priv_data;
    const AVFrame *frame = *framep;
    AVStream *st = s->streams[stream_index];
    struct shmout_frame_meta meta = { 0 };
    uint8_t *dst[4];
    int dst_linesize[4], ret;

    if (flags & AV_WRITE_UNCODED_FRAME_QUERY)
        return 0;
    if ((ret = shmout_prepare(s, frame)) < 0)
        return ret;
    if (!shmout_writer_get_active(c->writer)) {
        shmout_writer_heartbeat(c->writer);
        return 0;
    }
    if ((ret = shmout_writer_begin_frame(c->writer, dst, dst_linesize)) < 0)
        return ff_shmdev_error(s, ret, "Cannot get a slot of the block");
    av_image_copy(dst, dst_linesize, (const uint8_t **)frame->data, frame->linesize,
                  frame->format, frame->width, frame->height);
    meta.pts    = frame->pts == AV_NOPTS_VALUE ? SHMOUT_NOPTS : frame->pts;
    meta.tb_num = st->time_base.num;
    meta.tb_den = st->time_base.den;
    if ((ret = shmout_writer_publish(c->writer, &meta)) < 0)
        return ff_shmdev_error(s, ret, "Cannot publish the frame");
    return 0;
}

static int shmout_write_packet(AVFormatContext *s, AVPacket *pkt)
{
    AVFrame *frame = (AVFrame *)pkt->data;
    AVFrame tmp;

    /* The packet's pts is the one in the stream time base; the wrapped frame's may not be. */
    tmp = *frame;
    tmp.pts = pkt->pts;
    frame = &tmp;
    return shmout_write_frame(s, pkt->stream_index, &frame, 0);
}

static int shmout_write_trailer(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;

    if (c->writer)
        av_log(s, AV_LOG_VERBOSE, "Closing block '%s' after %"PRIu64" frames\n",
               c->name, shmout_writer_frames(c->writer));
    shmout_writer_close(c->writer);
    c->writer = NULL;
    return 0;
}

static void shmout_deinit(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;

    shmout_writer_close(c->writer);
    c->writer = NULL;
}

#define OFFSET(x) offsetof(ShmOutContext, x)
#define ENC AV_OPT_FLAG_ENCODING_PARAM
static const AVOption options[] = {
    { "name",    "name of the shared-memory block (default: the output URL)", OFFSET(name),
      AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, ENC },
    { "memtype", "where the block lives", OFFSET(memtype),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_MEMTYPE_LOCAL }, SHMOUT_MEMTYPE_LOCAL, SHMOUT_MEMTYPE_GLOBAL, ENC, "memtype" },
    { "local",   "private to this user",                        0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_LOCAL },  0, 0, ENC, "memtype" },
    { "global",  "readable by every user, writable by its owner", 0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_GLOBAL }, 0, 0, ENC, "memtype" },
    { NULL },
};

static const AVClass shmout_class = {
    .class_name = "shmout outdev",
    .item_name  = av_default_item_name,
    .option     = options,
    .version    = LIBAVUTIL_VERSION_INT,
    .category   = AV_CLASS_CATEGORY_DEVICE_VIDEO_OUTPUT,
};

#if LIBAVFORMAT_VERSION_MAJOR >= 60
const FFOutputFormat ff_shmout_muxer = {
#else
const AVOutputFormat ff_shmout_muxer = {
#endif
    SHMDEV_OUT_P(name)        = "shmout",
    SHMDEV_OUT_P(long_name)   = NULL_IF_CONFIG_SMALL("Shared-memory video output device"),
    SHMDEV_OUT_P(audio_codec) = AV_CODEC_ID_NONE,
    SHMDEV_OUT_P(video_codec) = AV_CODEC_ID_WRAPPED_AVFRAME,
    SHMDEV_OUT_P(flags)       = AVFMT_NOFILE | AVFMT_VARIABLE_FPS | AVFMT_NOTIMESTAMPS,
    SHMDEV_OUT_P(priv_class)  = &shmout_class,
    .priv_data_size      = sizeof(ShmOutContext),
    .write_header        = shmout_write_header,
    .write_packet        = shmout_write_packet,
    .write_uncoded_frame = shmout_write_frame,
    .write_trailer       = shmout_write_trailer,
    .deinit              = shmout_deinit,
    .get_device_list     = ff_shmdev_get_device_list,
};
