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
 * shmout: writes each video frame into a shared-memory block (the shmout protocol) the
 * moment it arrives, for other programs to read. The options are the parameters of
 * TouchDesigner's Shared Mem Out TOP. Resolution, aspect, channel mask and pixel format
 * compile to a libavfilter chain (shmdev_chain.c) whose output is copied once into the next
 * ring slot, or packed there for the TouchDesigner-style formats swscale cannot write.
 * Frames come as wrapped AVFrames (no encoder copy, colour properties preserved).
 *
 * Usage: ffmpeg -i INPUT [-outputresolution half -format rgba16float ...] -f shmout NAME
 */

#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/thread.h"
#include "libavutil/time.h"
#include "libavformat/mux.h"
#include "shmdev_chain.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

enum { DOWNLOAD_IMMEDIATE, DOWNLOAD_NEXTFRAME };

typedef struct ShmOutContext {
    const AVClass *class;

    /* options, named after the Shared Mem Out TOP's parameters (the image ones in chain) */
    int active;
    char *name;
    int memtype;
    int downloadtype;
    int fillmode;
    int filtertype;
    int slots;                          /* ring depth: not a TOP parameter */
    int layout;                         /* enum ShmDevLayoutId */
    int64_t lock_timeout;
    int64_t lossless_timeout;
    int wait_readers;
    int64_t wait_readers_timeout;
    int wait_readers_fail;
    ShmDevChain chain;

    const ShmDevOutLayout *ops;
    void *writer;
    struct shmout_geometry geometry;
    AVFrame *packet_frame;              /* write_packet's reference to the wrapped frame */

    /* the worker thread: heartbeat, and with downloadtype=nextframe the frames handed over */
    pthread_t worker;
    int worker_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    AVFrame *pending;                   /* set by write_packet, taken by the worker */
    int worker_ret;                     /* first error of the worker, returned by the next call */
    int quit;
} ShmOutContext;

/* Open the block for this geometry, or follow a change of size or format. */
static int prepare_block(AVFormatContext *s, const struct shmout_geometry *g)
{
    ShmOutContext *c = s->priv_data;
    ShmDevWriterParams p = {
        .name = c->name, .memtype = c->memtype, .slots = c->slots, .active = c->active,
        .fill_mode = c->fillmode, .smoothness = c->filtertype, .lock_timeout = c->lock_timeout,
        .lossless_timeout = c->lossless_timeout,
    };
    int ret;

    if (c->writer && !memcmp(g, &c->geometry, sizeof(*g)))
        return 0;
    if (!c->writer)
        ret = c->ops->open(&c->writer, s, &p, g);
    else if ((ret = c->ops->set_geometry(c->writer, s, g)) >= 0)
        av_log(s, AV_LOG_VERBOSE, "Geometry changed to %ux%u %s\n", g->width, g->height, g->pix_fmt_name);
    if (ret < 0)
        return ret;
    c->geometry = *g;
    return 0;
}

/* Run one frame through the chain and into the block. */
static int process_frame(AVFormatContext *s, AVFrame *frame)
{
    ShmOutContext *c = s->priv_data;
    AVRational tb = s->streams[0]->time_base;
    const AVFrame *out;
    struct shmout_geometry g;
    struct shmout_frame_meta meta = { 0 };
    uint8_t *dst[4];
    int dst_linesize[4], ret;

    if (c->ops->get_active ? !c->ops->get_active(c->writer) : !c->active) {
        if (c->ops->heartbeat)
            c->ops->heartbeat(c->writer);
        return 0;
    }
    if ((ret = ff_shmdev_chain_filter(&c->chain, s, frame, &out, &g)) < 0 ||
        (ret = prepare_block(s, &g)) < 0)
        return ret;
    /* dropped: a reader holds the block, or Ctrl-C stopped a wait for a lossless reader */
    if ((ret = c->ops->begin_frame(c->writer, s, dst, dst_linesize)) < 0)
        return ret == AVERROR(EAGAIN) || ret == AVERROR_EXIT ? 0 : ret;
    ff_shmdev_chain_write(&c->chain, out, dst, dst_linesize);
    meta.pts      = frame->pts == AV_NOPTS_VALUE ? SHMOUT_NOPTS : frame->pts;
    meta.duration = SHMDEV_FRAME_DURATION(frame);
    meta.tb_num   = tb.num;
    meta.tb_den   = tb.den;
    return c->ops->publish(c->writer, s, &meta);
}

/*
 * The worker thread. With downloadtype=nextframe it converts and publishes each frame while
 * ffmpeg makes the next one. In both modes it refreshes the block's heartbeat (where the
 * layout has one) once a second while no frame comes, as the shmout protocol asks of an idle
 * writer.
 */
static void *worker_main(void *arg)
{
    AVFormatContext *s = arg;
    ShmOutContext *c = s->priv_data;
    int ret;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->quit) {
            /* pthread_cond_timedwait's clock is the wall clock, here and in compat/w32pthreads.h */
            int64_t t = av_gettime() + 1000000;
            struct timespec deadline = { .tv_sec = t / 1000000, .tv_nsec = t % 1000000 * 1000 };

            if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == ETIMEDOUT &&
                c->ops->heartbeat)
                c->ops->heartbeat(c->writer);    /* an atomic store: safe beside publish */
        }
        if (!c->pending)
            break;
        pthread_mutex_unlock(&c->lock);
        ret = c->worker_ret < 0 ? 0 : process_frame(s, c->pending);
        pthread_mutex_lock(&c->lock);
        av_frame_free(&c->pending);        /* frees the slot: write_packet may hand over the next */
        if (ret < 0 && !c->worker_ret)
            c->worker_ret = ret;
        pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Hand a frame (its references) to the worker once it took the previous one; its errors
 * surface here. */
static int hand_over(ShmOutContext *c, AVFrame *frame)
{
    AVFrame *ref = av_frame_alloc();
    int ret;

    if (!ref)
        return AVERROR(ENOMEM);
    av_frame_move_ref(ref, frame);
    pthread_mutex_lock(&c->lock);
    while (c->pending && !c->worker_ret)
        pthread_cond_wait(&c->cond, &c->lock);
    if ((ret = c->worker_ret) < 0)
        av_frame_free(&ref);
    else
        c->pending = ref;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return ret;
}

static int stop_worker(ShmOutContext *c)
{
    if (!c->worker_started)
        return 0;
    pthread_mutex_lock(&c->lock);
    c->quit = 1;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->worker, NULL);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    c->worker_started = 0;
    return c->worker_ret;
}

/* wait_readers: publish nothing until that many readers are attached, or the timeout. */
static av_cold int wait_for_readers(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    int ret;

    if (!c->ops->wait_readers) {
        av_log(s, AV_LOG_ERROR, "-wait_readers needs -layout shmout: the %s layout cannot count its readers\n",
               c->ops->name);
        return AVERROR(EINVAL);
    }
    av_log(s, AV_LOG_INFO, "Waiting for %d reader%s of block '%s'\n", c->wait_readers,
           c->wait_readers > 1 ? "s" : "", c->name);
    ret = c->ops->wait_readers(c->writer, s, c->wait_readers, c->wait_readers_timeout);
    if (ret >= 0) {
        av_log(s, AV_LOG_INFO, "%d reader%s attached to block '%s'\n", ret, ret > 1 ? "s" : "", c->name);
        return 0;
    }
    if (ret != AVERROR(ETIMEDOUT))
        return ret;
    av_log(s, c->wait_readers_fail ? AV_LOG_ERROR : AV_LOG_WARNING,
           "Fewer than %d readers attached to block '%s' within -wait_readers_timeout %.3g s: %s\n",
           c->wait_readers, c->name, c->wait_readers_timeout / 1e6,
           c->wait_readers_fail ? "giving up (-wait_readers_fail 1)" : "publishing anyway");
    return c->wait_readers_fail ? AVERROR(ETIMEDOUT) : 0;
}

static av_cold int shmout_write_header(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    const AVCodecParameters *par;
    struct shmout_geometry g;
    const char *fmt;
    char err[128];
    int ret;

    if (s->nb_streams != 1 || s->streams[0]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
        av_log(s, AV_LOG_ERROR, "shmout takes exactly one video stream and nothing else; "
               "select one with -map 0:v:0 and drop audio with -an\n");
        return AVERROR(EINVAL);
    }
    par = s->streams[0]->codecpar;
    if (par->codec_id != AV_CODEC_ID_WRAPPED_AVFRAME || par->width <= 0 || par->height <= 0 ||
        par->format < 0) {
        av_log(s, AV_LOG_ERROR, "shmout takes raw frames (codec wrapped_avframe), not %s: "
               "drop -c:v / -vcodec from the command line\n", avcodec_get_name(par->codec_id));
        return AVERROR(EINVAL);
    }
    if (!c->name || !*c->name) {
        av_freep(&c->name);
        if (!(c->name = av_strdup(s->url)))
            return AVERROR(ENOMEM);
    }
    if ((ret = ff_shmdev_out_layout(s, c->layout, &c->ops)) < 0)
        return ret;
    ff_shmdev_watch_signals();
    if ((ret = c->ops->check_name(c->name, err, sizeof(err))) < 0) {
        av_log(s, AV_LOG_ERROR, "Invalid block name for option 'name' (or the output URL): %s\n", err);
        return AVERROR(EINVAL);
    }
    if (c->ops->useinput_format && !strcmp(c->chain.format, "useinput") &&
        (fmt = c->ops->useinput_format(par->format))) {
        av_freep(&c->chain.format);
        if (!(c->chain.format = av_strdup(fmt)))
            return AVERROR(ENOMEM);
    }
    if (!(c->packet_frame = av_frame_alloc()))
        return AVERROR(ENOMEM);
    if (!c->lock_timeout) {           /* one frame's duration */
        AVRational fr = s->streams[0]->avg_frame_rate;
        c->lock_timeout = fr.num > 0 && fr.den > 0 ? av_rescale(1000000, fr.den, fr.num) : 40000;
    }

    /* Open the block now, with the geometry the stream's frames will have, so that a name in
     * use or a full /dev/shm fails before any frame. */
    if ((ret = ff_shmdev_chain_init(&c->chain, s, par, s->streams[0]->time_base, &g)) < 0 ||
        (ret = prepare_block(s, &g)) < 0)
        return ret;

    if (c->wait_readers && (ret = wait_for_readers(s)) < 0)
        return ret;

    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if ((ret = pthread_create(&c->worker, NULL, worker_main, s))) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        return AVERROR(ret);
    }
    c->worker_started = 1;
    return 0;
}

static int shmout_write_frame(AVFormatContext *s, av_unused int stream_index, AVFrame **framep,
                              unsigned flags)
{
    ShmOutContext *c = s->priv_data;

    if (flags & AV_WRITE_UNCODED_FRAME_QUERY)
        return 0;
    if (c->downloadtype == DOWNLOAD_NEXTFRAME)
        return hand_over(c, *framep);
    return process_frame(s, *framep);
}

static int shmout_write_packet(AVFormatContext *s, AVPacket *pkt)
{
    ShmOutContext *c = s->priv_data;
    int ret;

    /* The packet's pts and duration are in the stream time base; the wrapped frame's may not be. */
    if ((ret = av_frame_ref(c->packet_frame, (const AVFrame *)pkt->data)) < 0)
        return ret;
    c->packet_frame->pts = pkt->pts;
    SHMDEV_FRAME_DURATION(c->packet_frame) = pkt->duration;
    ret = shmout_write_frame(s, pkt->stream_index, &c->packet_frame, 0);
    av_frame_unref(c->packet_frame);
    return ret;
}

static int shmout_write_trailer(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    int ret = stop_worker(c);

    if (c->ops)
        c->ops->close(&c->writer, s);
    return ret;
}

static void shmout_deinit(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;

    stop_worker(c);
    if (c->ops)
        c->ops->close(&c->writer, s);
    ff_shmdev_chain_uninit(&c->chain);
    av_frame_free(&c->packet_frame);
}

#define OFFSET(x) offsetof(ShmOutContext, x)
#define CHAIN(x) OFFSET(chain.x)
#define ENC AV_OPT_FLAG_ENCODING_PARAM
static const AVOption options[] = {
    { "active", "write frames to the block; off: consume frames without writing, the block says inactive "
      "(toggle while running: shmout set NAME active=0|1)", OFFSET(active), AV_OPT_TYPE_BOOL, { .i64 = 1 }, 0, 1, .flags = ENC },
    { "name", "name of the shared-memory block (default: the output URL)", OFFSET(name),
      AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, .flags = ENC },

    { "memtype", "where the block lives", OFFSET(memtype),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_MEMTYPE_LOCAL }, SHMOUT_MEMTYPE_LOCAL, SHMOUT_MEMTYPE_GLOBAL, ENC, .unit = "memtype" },
    { "local",  "private to this user",                          0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_LOCAL },  0, 0, ENC, .unit = "memtype" },
    { "global", "readable by every user, writable by its owner", 0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_MEMTYPE_GLOBAL }, 0, 0, ENC, .unit = "memtype" },

    { "downloadtype", "when a frame is in the block", OFFSET(downloadtype),
      AV_OPT_TYPE_INT, { .i64 = DOWNLOAD_IMMEDIATE }, DOWNLOAD_IMMEDIATE, DOWNLOAD_NEXTFRAME, ENC, .unit = "downloadtype" },
    { "immediate", "converted and written before ffmpeg goes on",                     0, AV_OPT_TYPE_CONST, { .i64 = DOWNLOAD_IMMEDIATE }, 0, 0, ENC, .unit = "downloadtype" },
    { "nextframe", "converted and written by a worker while ffmpeg makes the next frame "
      "(one frame more latency, more throughput)",                                     0, AV_OPT_TYPE_CONST, { .i64 = DOWNLOAD_NEXTFRAME }, 0, 0, ENC, .unit = "downloadtype" },

    { "outputresolution", "size of the frames in the block", CHAIN(outputresolution),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_RES_USEINPUT }, SHMDEV_RES_USEINPUT, SHMDEV_RES_CUSTOM, ENC, .unit = "outputresolution" },
    { "useinput", "the input's size",                              0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_USEINPUT }, 0, 0, ENC, .unit = "outputresolution" },
    { "eighth",   "1/8 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_EIGHTH },   0, 0, ENC, .unit = "outputresolution" },
    { "quarter",  "1/4 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_QUARTER },  0, 0, ENC, .unit = "outputresolution" },
    { "half",     "1/2 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_HALF },     0, 0, ENC, .unit = "outputresolution" },
    { "2x",       "twice the input's width and height",            0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_2X },       0, 0, ENC, .unit = "outputresolution" },
    { "4x",       "4 times the input's width and height",          0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_4X },       0, 0, ENC, .unit = "outputresolution" },
    { "8x",       "8 times the input's width and height",          0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_8X },       0, 0, ENC, .unit = "outputresolution" },
    { "fit",      "fit inside resolution, keeping the aspect",     0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_FIT },      0, 0, ENC, .unit = "outputresolution" },
    { "limit",    "like fit, but only shrink",                     0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_LIMIT },    0, 0, ENC, .unit = "outputresolution" },
    { "custom",   "exactly resolution",                            0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_RES_CUSTOM },   0, 0, ENC, .unit = "outputresolution" },
    { "resolution", "size for outputresolution fit, limit and custom: WxH or a name (hd1080, 4k, ...)",
      CHAIN(res_w), AV_OPT_TYPE_IMAGE_SIZE, { .str = NULL }, 0, 0, .flags = ENC },
    { "resmenu", "set resolution by name: hd720, hd1080, 2k, 4k, uhd2160, vga, svga, xga, sxga, qhd, ...",
      CHAIN(resmenu_w), AV_OPT_TYPE_IMAGE_SIZE, { .str = NULL }, 0, 0, .flags = ENC },
    { "resmult", "multiply the resolution by the machine-wide factor in $SHMOUT_RESMULT",
      CHAIN(resmult), AV_OPT_TYPE_BOOL, { .i64 = 1 }, 0, 1, .flags = ENC },

    { "outputaspect", "display aspect ratio written into the block", CHAIN(outputaspect),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_ASPECT_USEINPUT }, SHMDEV_ASPECT_USEINPUT, SHMDEV_ASPECT_CUSTOM, ENC, .unit = "outputaspect" },
    { "useinput",   "the input's",                                          0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_ASPECT_USEINPUT },   0, 0, ENC, .unit = "outputaspect" },
    { "resolution", "the output's width:height (square pixels)",            0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_ASPECT_RESOLUTION }, 0, 0, ENC, .unit = "outputaspect" },
    { "custom",     "aspect (on the command line: ffmpeg's -aspect W:H)",  0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_ASPECT_CUSTOM },     0, 0, ENC, .unit = "outputaspect" },
    { "aspect", "display aspect ratio for outputaspect custom, W:H or a number (ffmpeg's own -aspect "
      "takes this name on the command line and arrives as the stream's aspect)",
      CHAIN(aspect), AV_OPT_TYPE_RATIONAL, { .dbl = 0 }, 0, INT_MAX, .flags = ENC },
    { "armenu", "set aspect from a common ratio", CHAIN(armenu),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_AR_NONE }, 0, SHMDEV_AR_NB - 1, ENC, .unit = "armenu" },
    { "square",    "1:1",    0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_SQUARE }, 0, 0, ENC, .unit = "armenu" },
    { "sd",        "4:3",    0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_SD }, 0, 0, ENC, .unit = "armenu" },
    { "hd",        "16:9",   0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_HD }, 0, 0, ENC, .unit = "armenu" },
    { "wide",      "16:10",  0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_WIDE }, 0, 0, ENC, .unit = "armenu" },
    { "ultrawide", "21:9",   0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_ULTRAWIDE }, 0, 0, ENC, .unit = "armenu" },
    { "scope",     "2.39:1", 0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_SCOPE }, 0, 0, ENC, .unit = "armenu" },
    { "vertical",  "9:16",   0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_AR_VERTICAL }, 0, 0, ENC, .unit = "armenu" },

    { "inputfiltertype", "scaling filter (input smoothness)", CHAIN(inputfiltertype),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_FILTER_LINEAR }, 0, SHMDEV_FILTER_NB - 1, ENC, .unit = "inputfiltertype" },
    { "nearest", "nearest pixel (swscale point)",  0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_NEAREST }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "linear",  "bilinear",                       0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_LINEAR }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "mipmap",  "area averaging (swscale area)",  0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_MIPMAP }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "bicubic", "bicubic",                        0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_BICUBIC }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "lanczos", "Lanczos",                        0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_LANCZOS }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "spline",  "natural bicubic spline",         0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_FILTER_SPLINE }, 0, 0, ENC, .unit = "inputfiltertype" },

    { "fillmode", "viewer hint: how a viewer fits the image in its window", OFFSET(fillmode),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_FILL_BEST }, SHMOUT_FILL_FILL, SHMOUT_FILL_NATIVE, ENC, .unit = "fillmode" },
    { "fill",          "stretch to the window",                    0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_FILL },          0, 0, ENC, .unit = "fillmode" },
    { "fithorizontal", "fit the width",                            0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_FITHORIZONTAL }, 0, 0, ENC, .unit = "fillmode" },
    { "fitvertical",   "fit the height",                           0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_FITVERTICAL },   0, 0, ENC, .unit = "fillmode" },
    { "best",          "fit inside the window, keeping the aspect", 0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_BEST },          0, 0, ENC, .unit = "fillmode" },
    { "outside",       "cover the window, keeping the aspect",     0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_OUTSIDE },       0, 0, ENC, .unit = "fillmode" },
    { "native",        "one image pixel per screen pixel",         0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_FILL_NATIVE },        0, 0, ENC, .unit = "fillmode" },
    { "filtertype", "viewer hint: viewer smoothness", OFFSET(filtertype),
      AV_OPT_TYPE_INT, { .i64 = SHMOUT_SMOOTH_LINEAR }, SHMOUT_SMOOTH_NEAREST, SHMOUT_SMOOTH_MIPMAP, ENC, .unit = "filtertype" },
    { "nearest", "nearest pixel",      0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_SMOOTH_NEAREST }, 0, 0, ENC, .unit = "filtertype" },
    { "linear",  "linear",             0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_SMOOTH_LINEAR },  0, 0, ENC, .unit = "filtertype" },
    { "mipmap",  "mipmapped",          0, AV_OPT_TYPE_CONST, { .i64 = SHMOUT_SMOOTH_MIPMAP },  0, 0, ENC, .unit = "filtertype" },

    { "npasses", "run the whole operation this many times, each pass on the previous pass's output",
      CHAIN(npasses), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, 16, .flags = ENC },
    { "chanmask", "channels to keep (the chanmask filter): left-out colour channels become 0, "
      "left-out alpha opaque", CHAIN(chanmask), AV_OPT_TYPE_FLAGS, { .i64 = SHMDEV_CHAN_ALL }, 0, SHMDEV_CHAN_ALL, ENC, .unit = "chanmask" },
    { "r", "red",   0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_CHAN_R }, 0, 0, ENC, .unit = "chanmask" },
    { "g", "green", 0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_CHAN_G }, 0, 0, ENC, .unit = "chanmask" },
    { "b", "blue",  0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_CHAN_B }, 0, 0, ENC, .unit = "chanmask" },
    { "a", "alpha", 0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_CHAN_A }, 0, 0, ENC, .unit = "chanmask" },
    { "format", "pixel format in the block: useinput, a TouchDesigner name (rgba8fixed, srgba8fixed, "
      "rgba16fixed, rgba16float, rgba32float, rgb10a2fixed, rgb11float, mono8fixed ... mono32float, "
      "rg8fixed ... rg32float, a8fixed ... a32float, monoalpha8fixed ... monoalpha32float; mono keeps red) "
      "or an FFmpeg pixel format name", CHAIN(format), AV_OPT_TYPE_STRING, { .str = "useinput" }, 0, 0, .flags = ENC },
    { "slots", "frames the block's ring holds: more let a reader that takes every frame fall further "
      "behind without losing any (each slot is one frame of shared memory)", OFFSET(slots),
      AV_OPT_TYPE_INT, { .i64 = 3 }, SHMOUT_MIN_SLOTS, SHMOUT_MAX_SLOTS, .flags = ENC },
    { "layout", "how the block sits in shared memory", OFFSET(layout),
      AV_OPT_TYPE_INT, { .i64 = SHMDEV_LAYOUT_DEFAULT }, SHMDEV_LAYOUT_SHMOUT, SHMDEV_LAYOUT_TOUCHDESIGNER, ENC, .unit = "layout" },
    { "shmout",        "the shmout protocol: a ring of frames with counters and timestamps (Linux)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_LAYOUT_SHMOUT },        0, 0, ENC, .unit = "layout" },
    { "touchdesigner", "TouchDesigner's own, read by its Shared Mem In TOP (type Local; Windows)",
      0, AV_OPT_TYPE_CONST, { .i64 = SHMDEV_LAYOUT_TOUCHDESIGNER }, 0, 0, ENC, .unit = "layout" },
    { "lock_timeout", "touchdesigner layout: longest wait for a reader to release the block's mutex; "
      "a frame that waited longer is dropped and counted (0: one frame's duration)", OFFSET(lock_timeout),
      AV_OPT_TYPE_DURATION, { .i64 = 0 }, 0, INT_MAX, .flags = ENC },
    { "wait_readers", "publish nothing until this many readers are attached (any mode; like GStreamer's "
      "wait-for-connection)", OFFSET(wait_readers), AV_OPT_TYPE_INT, { .i64 = 0 }, 0, 1000, .flags = ENC },
    { "wait_readers_timeout", "longest wait for wait_readers readers (-1: forever)", OFFSET(wait_readers_timeout),
      AV_OPT_TYPE_DURATION, { .i64 = 10000000 }, -1000000, INT_MAX * 1000.0, .flags = ENC },
    { "wait_readers_fail", "at the wait_readers timeout: fail (1) instead of publishing anyway (0)",
      OFFSET(wait_readers_fail), AV_OPT_TYPE_BOOL, { .i64 = 0 }, 0, 1, .flags = ENC },
    { "lossless_timeout", "longest wait, per frame, for a reader that reads with -mode lossless; one that stays "
      "behind longer is evicted and told which frames it lost", OFFSET(lossless_timeout),
      AV_OPT_TYPE_DURATION, { .i64 = 1000000 }, 1000, SHMOUT_LOSSLESS_TIMEOUT_MAX_MS * 1000LL, .flags = ENC },
    { 0 },
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
