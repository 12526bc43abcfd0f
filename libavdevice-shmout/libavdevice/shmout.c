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
 * compile to a libavfilter chain (scale, setsar/setdar, chanmask, format), repeated
 * npasses times; its output is copied once into the next ring slot, or packed there for
 * the TouchDesigner-style formats swscale cannot write. Frames come as wrapped AVFrames
 * (no encoder copy, colour properties preserved).
 *
 * Usage: ffmpeg -i INPUT [-outputresolution half -format rgba16float ...] -f shmout NAME
 */

#include <pthread.h>
#include <time.h>
#include <stdlib.h>

#include "libavutil/avassert.h"
#include "libavutil/avstring.h"
#include "libavutil/bprint.h"
#include "libavutil/imgutils.h"
#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/parseutils.h"
#include "libavutil/pixdesc.h"
#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavformat/mux.h"
#include "libswscale/swscale.h"
#include "shmdev_common.h"
#include "shmdev_pack.h"

enum { DOWNLOAD_IMMEDIATE, DOWNLOAD_NEXTFRAME };
enum { RES_USEINPUT, RES_EIGHTH, RES_QUARTER, RES_HALF, RES_2X, RES_4X, RES_8X,
       RES_FIT, RES_LIMIT, RES_CUSTOM };
enum { ASPECT_USEINPUT, ASPECT_RESOLUTION, ASPECT_CUSTOM };
enum { CHAN_R = 1, CHAN_G = 2, CHAN_B = 4, CHAN_A = 8, CHAN_ALL = 15 };

/* The machine-wide resolution multiplier (TouchDesigner's Global Res Multiplier preference). */
#define RESMULT_ENV "SHMOUT_RESMULT"

typedef struct ShmOutContext {
    const AVClass *class;

    /* options, named after the Shared Mem Out TOP's parameters */
    int active;
    char *name;
    int memtype;
    int downloadtype;
    int outputresolution;
    int res_w, res_h;
    char *resmenu;
    int resmult;
    int outputaspect;
    AVRational aspect;
    int armenu;
    int inputfiltertype;
    int fillmode;
    int filtertype;
    int npasses;
    int chanmask;
    char *format;
    int slots;                          /* ring depth: not a TOP parameter */

    /* from the options */
    double resmult_factor;
    enum AVPixelFormat out_fmt;         /* AV_PIX_FMT_NONE: useinput */
    const ShmDevTopFormat *pack;        /* packed format written after the graph, or NULL */

    /* the filter chain, for the input properties it was built for */
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int in_w, in_h, in_fmt;
    AVRational in_sar;
    AVFrame *filtered;

    shmout_writer *writer;
    struct shmout_geometry geometry;
    AVRational time_base;

    /* the worker thread: heartbeat, and with downloadtype=nextframe the frames handed over */
    pthread_t worker;
    int worker_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    AVFrame *pending;                   /* set by write_packet, taken by the worker */
    int worker_ret;                     /* first error of the worker, returned by the next call */
    int quit;
} ShmOutContext;

/* Scale flags of inputfiltertype's values. */
static const char *const scale_flags[] = { "neighbor", "bilinear", "area", "bicubic", "lanczos", "spline" };

static const AVRational armenu_ratios[] = {
    { 0, 1 }, { 1, 1 }, { 4, 3 }, { 16, 9 }, { 16, 10 }, { 21, 9 }, { 239, 100 }, { 9, 16 },
};

/* Pixel formats newer than FFmpeg 5.1, or that swscale writes only from a later series:
 * name, first series that knows it, first series whose swscale writes it (NULL: none).
 * Read from libavutil/pixfmt.h and libswscale of 5.1.9, 7.1.5, 8.1.2 and 9.0.2. */
static const struct { const char *name, *known, *writes; } newer_formats[] = {
    { "ayuv", "8.1", "8.1" },
    { "ayuv64be", "5.1", "8.1" },
    { "gbrap14be", "7.1", "7.1" },
    { "gbrap14le", "7.1", "7.1" },
    { "gbrap32be", "8.1", NULL },
    { "gbrap32le", "8.1", NULL },
    { "gbrapf16be", "8.1", NULL },
    { "gbrapf16le", "8.1", NULL },
    { "gbrp10msbbe", "8.1", "8.1" },
    { "gbrp10msble", "8.1", "8.1" },
    { "gbrp12msbbe", "8.1", "8.1" },
    { "gbrp12msble", "8.1", "8.1" },
    { "gbrpf16be", "8.1", NULL },
    { "gbrpf16le", "8.1", NULL },
    { "gray32be", "8.1", NULL },
    { "gray32le", "8.1", NULL },
    { "grayf16be", "8.1", NULL },
    { "grayf16le", "8.1", NULL },
    { "nv16", "5.1", "7.1" },
    { "nv20be", "5.1", "8.1" },
    { "nv20le", "5.1", "8.1" },
    { "p012be", "7.1", "7.1" },
    { "p012le", "7.1", "7.1" },
    { "p212be", "7.1", "7.1" },
    { "p212le", "7.1", "7.1" },
    { "p412be", "7.1", "7.1" },
    { "p412le", "7.1", "7.1" },
    { "rgb96be", "8.1", NULL },
    { "rgb96le", "8.1", NULL },
    { "rgba128be", "8.1", NULL },
    { "rgba128le", "8.1", NULL },
    { "rgbaf16be", "7.1", NULL },
    { "rgbaf16le", "7.1", NULL },
    { "rgbaf32be", "7.1", NULL },
    { "rgbaf32le", "7.1", NULL },
    { "rgbf16be", "8.1", NULL },
    { "rgbf16le", "8.1", NULL },
    { "rgbf32be", "7.1", NULL },
    { "rgbf32le", "7.1", NULL },
    { "uyva", "8.1", "8.1" },
    { "v30xbe", "8.1", NULL },
    { "v30xle", "8.1", "8.1" },
    { "vuya", "7.1", "7.1" },
    { "vuyx", "7.1", "7.1" },
    { "vyu444", "8.1", "8.1" },
    { "xv30be", "7.1", NULL },
    { "xv30le", "7.1", "7.1" },
    { "xv36be", "7.1", "8.1" },
    { "xv36le", "7.1", "7.1" },
    { "xv48be", "8.1", "8.1" },
    { "xv48le", "8.1", "8.1" },
    { "y210le", "5.1", "7.1" },
    { "y212be", "7.1", NULL },
    { "y212le", "7.1", "7.1" },
    { "y216be", "8.1", NULL },
    { "y216le", "8.1", "8.1" },
    { "yaf16be", "8.1", NULL },
    { "yaf16le", "8.1", NULL },
    { "yaf32be", "8.1", NULL },
    { "yaf32le", "8.1", NULL },
    { "yuv444p10msbbe", "8.1", "8.1" },
    { "yuv444p10msble", "8.1", "8.1" },
    { "yuv444p12msbbe", "8.1", "8.1" },
    { "yuv444p12msble", "8.1", "8.1" },
};

/* The resolution a pass produces, as scale filter options (empty: keep the size). */
static void pass_scale(ShmOutContext *c, AVBPrint *bp)
{
    static const double factors[] = { [RES_EIGHTH] = 0.125, [RES_QUARTER] = 0.25, [RES_HALF] = 0.5,
                                      [RES_2X] = 2, [RES_4X] = 4, [RES_8X] = 8 };
    double m = c->resmult_factor;
    int w = FFMAX(1, lrint(c->res_w * m)), h = FFMAX(1, lrint(c->res_h * m));

    switch (c->outputresolution) {
    case RES_USEINPUT:
        if (m != 1)
            av_bprintf(bp, "scale=w='max(1,round(iw*%.17g))':h='max(1,round(ih*%.17g))'", m, m);
        break;
    case RES_FIT:
        av_bprintf(bp, "scale=w=%d:h=%d:force_original_aspect_ratio=decrease", w, h);
        break;
    case RES_LIMIT:
        av_bprintf(bp, "scale=w='min(iw,%d)':h='min(ih,%d)':force_original_aspect_ratio=decrease", w, h);
        break;
    case RES_CUSTOM:
        av_bprintf(bp, "scale=w=%d:h=%d", w, h);
        break;
    default:
        av_bprintf(bp, "scale=w='max(1,round(iw*%.17g))':h='max(1,round(ih*%.17g))'",
                   factors[c->outputresolution] * m, factors[c->outputresolution] * m);
    }
    if (bp->len)
        av_bprintf(bp, ":flags=%s", scale_flags[c->inputfiltertype]);
}

/*
 * The chain for one pass: scale, aspect, chanmask, format. Passes after the first take the
 * previous pass's output, so `half` with 2 passes gives a quarter-size image.
 */
static void pass_chain(ShmOutContext *c, enum AVPixelFormat in_fmt, AVBPrint *bp)
{
    size_t start = bp->len;
    enum AVPixelFormat fmt = c->pack ? c->pack->base : c->out_fmt;

#define SEP() (bp->len > start ? "," : "")
    pass_scale(c, bp);
    if (c->outputaspect == ASPECT_RESOLUTION)
        av_bprintf(bp, "%ssetsar=1", SEP());
    else if (c->outputaspect == ASPECT_CUSTOM)
        av_bprintf(bp, "%ssetdar=%d/%d", SEP(), c->aspect.num, c->aspect.den);
    if (c->chanmask != CHAN_ALL) {
        av_bprintf(bp, "%schanmask=mask=", SEP());
        for (int i = 0; i < 4; i++)
            if (c->chanmask & (1 << i))
                av_bprintf(bp, "%s%c", bp->str[bp->len - 1] == '=' ? "" : "+", "rgba"[i]);
        if (!c->chanmask)
            av_bprintf(bp, "0");
        /* useinput keeps the input's format: convert back after masking in RGB. */
        if (fmt == AV_PIX_FMT_NONE)
            fmt = in_fmt;
    }
    if (fmt != AV_PIX_FMT_NONE)
        av_bprintf(bp, "%sformat=pix_fmts=%s", SEP(), av_get_pix_fmt_name(fmt));
#undef SEP
}

/* (Re)build the chain for frames of this size, format and sample aspect ratio. */
static int build_graph(AVFormatContext *s, int w, int h, enum AVPixelFormat fmt, AVRational sar)
{
    ShmOutContext *c = s->priv_data;
    AVFilterInOut *in = NULL, *out = NULL;
    AVBPrint pass, chain;
    char args[256];
    int ret;

    avfilter_graph_free(&c->graph);
    c->in_w = w; c->in_h = h; c->in_fmt = fmt; c->in_sar = sar;

    /* Every pass is the same chain, on the previous pass's output. */
    av_bprint_init(&pass, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&chain, 0, AV_BPRINT_SIZE_UNLIMITED);
    pass_chain(c, fmt, &pass);
    for (int i = 0; pass.len && i < c->npasses; i++)
        av_bprintf(&chain, "%s%s", i ? "," : "", pass.str);
    if (!av_bprint_is_complete(&pass) || !av_bprint_is_complete(&chain)) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if (!chain.len) {                         /* passthrough: the frames go straight to the block */
        ret = 0;
        goto end;
    }
    av_log(s, AV_LOG_VERBOSE, "Processing chain for %dx%d %s: %s\n", w, h, av_get_pix_fmt_name(fmt), chain.str);

    if (!(c->graph = avfilter_graph_alloc()) ||
        !(c->graph->scale_sws_opts = av_asprintf("flags=%s", scale_flags[c->inputfiltertype]))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             w, h, fmt, c->time_base.num, c->time_base.den, sar.num, sar.den);
    if ((ret = avfilter_graph_create_filter(&c->src, avfilter_get_by_name("buffer"), "in",
                                            args, NULL, c->graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&c->sink, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, c->graph)) < 0)
        goto end;
    if (!(in = avfilter_inout_alloc()) || !(out = avfilter_inout_alloc())) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    out->name = av_strdup("in");
    out->filter_ctx = c->src;
    in->name = av_strdup("out");
    in->filter_ctx = c->sink;
    if (!out->name || !in->name) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = avfilter_graph_parse_ptr(c->graph, chain.str, &in, &out, s)) < 0 ||
        (ret = avfilter_graph_config(c->graph, s)) < 0) {
        av_log(s, AV_LOG_ERROR, "Cannot set up the processing chain '%s'\n", chain.str);
        goto end;
    }
end:
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    av_bprint_finalize(&pass, NULL);
    av_bprint_finalize(&chain, NULL);
    if (ret < 0)
        avfilter_graph_free(&c->graph);
    return ret;
}

/* The aspect ratio a frame enters the chain with: the stream's (ffmpeg's -aspect sets it), else its own. */
static AVRational input_sar(AVFormatContext *s, const AVFrame *frame)
{
    AVRational sar = s->streams[0]->codecpar->sample_aspect_ratio;

    if (sar.num <= 0 || sar.den <= 0)
        sar = frame->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    return sar;
}

/* The block geometry of a processed frame. */
static int output_geometry(AVFormatContext *s, const AVFrame *frame, struct shmout_geometry *g)
{
    ShmOutContext *c = s->priv_data;
    int ret;

    if ((ret = ff_shmdev_geometry_from_frame(s, frame, g)) < 0)
        return ret;
    if (c->pack && c->pack->elem != SHMDEV_ELEM_NONE) {
        int bpp = ff_shmdev_pack_pixel_size(c->pack);
        g->nb_planes = 1;
        memset(g->plane_offset, 0, sizeof(g->plane_offset));
        memset(g->plane_linesize, 0, sizeof(g->plane_linesize));
        memset(g->plane_bytewidth, 0, sizeof(g->plane_bytewidth));
        memset(g->plane_height, 0, sizeof(g->plane_height));
        g->plane_linesize[0] = g->plane_bytewidth[0] = frame->width * bpp;
        g->plane_height[0] = frame->height;
        g->frame_bytes = (uint64_t)g->plane_linesize[0] * frame->height;
    }
    if (c->pack) {
        av_strlcpy(g->pix_fmt_name, c->pack->stored_name, sizeof(g->pix_fmt_name));
        g->pix_fmt = shmout_pix_fmt_from_name(c->pack->stored_name);
        if (c->pack->srgb)
            g->color.transfer = AVCOL_TRC_IEC61966_2_1;
    }
    if ((ret = shmout_geometry_check(g, 0)) < 0)
        return ff_shmdev_error(s, ret, "Invalid block geometry");
    return 0;
}

/* Open the block for this geometry, or follow a change of size or format. */
static int prepare_block(AVFormatContext *s, const struct shmout_geometry *g)
{
    ShmOutContext *c = s->priv_data;
    struct shmout_writer_options opts;
    int ret;

    if (c->writer && !memcmp(g, &c->geometry, sizeof(*g)))
        return 0;
    if (!c->writer) {
        shmout_writer_options_default(&opts);
        opts.slots      = c->slots;
        opts.active     = c->active;
        opts.fill_mode  = c->fillmode;
        opts.smoothness = c->filtertype;
        if ((ret = shmout_writer_open(&c->writer, c->name, c->memtype, g, &opts)) < 0)
            return ff_shmdev_error(s, ret, "Cannot open the shared-memory block");
        av_log(s, AV_LOG_VERBOSE, "Writing %ux%u %s frames to %s block '%s'\n",
               g->width, g->height, g->pix_fmt_name, shmout_memtype_name(c->memtype), c->name);
    } else {
        if ((ret = shmout_writer_set_geometry(c->writer, g)) < 0)
            return ff_shmdev_error(s, ret, "Cannot change the block's geometry");
        av_log(s, AV_LOG_VERBOSE, "Geometry changed to %ux%u %s\n", g->width, g->height, g->pix_fmt_name);
    }
    c->geometry = *g;
    return 0;
}

/* Run one frame through the chain and into the block. */
static int process_frame(AVFormatContext *s, AVFrame *frame)
{
    ShmOutContext *c = s->priv_data;
    AVRational sar = input_sar(s, frame);
    const AVFrame *out = frame;
    struct shmout_geometry g;
    struct shmout_frame_meta meta = { 0 };
    uint8_t *dst[4];
    int dst_linesize[4], ret;

    if (!shmout_writer_get_active(c->writer)) {
        shmout_writer_heartbeat(c->writer);
        return 0;
    }
    if (frame->width != c->in_w || frame->height != c->in_h || frame->format != c->in_fmt ||
        av_cmp_q(sar, c->in_sar)) {
        if ((ret = build_graph(s, frame->width, frame->height, frame->format, sar)) < 0)
            return ret;
    }
    frame->sample_aspect_ratio = sar;
    if (c->graph) {
        av_frame_unref(c->filtered);
        if ((ret = av_buffersrc_add_frame_flags(c->src, frame, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0 ||
            (ret = av_buffersink_get_frame(c->sink, c->filtered)) < 0) {
            av_log(s, AV_LOG_ERROR, "The processing chain failed: %s\n", av_err2str(ret));
            return ret;
        }
        out = c->filtered;
    }
    if ((ret = output_geometry(s, out, &g)) < 0 || (ret = prepare_block(s, &g)) < 0)
        return ret;
    if ((ret = shmout_writer_begin_frame(c->writer, dst, dst_linesize)) < 0)
        return ff_shmdev_error(s, ret, "Cannot get a slot of the block");
    if (c->pack && c->pack->elem != SHMDEV_ELEM_NONE)
        ff_shmdev_pack(c->pack, out, dst[0], dst_linesize[0]);
    else
        av_image_copy(dst, dst_linesize, (const uint8_t **)out->data, out->linesize,
                      out->format, out->width, out->height);
    meta.pts      = frame->pts == AV_NOPTS_VALUE ? SHMOUT_NOPTS : frame->pts;
    meta.duration = SHMDEV_FRAME_DURATION(frame);
    meta.tb_num   = c->time_base.num;
    meta.tb_den   = c->time_base.den;
    if ((ret = shmout_writer_publish(c->writer, &meta)) < 0)
        return ff_shmdev_error(s, ret, "Cannot publish the frame");
    return 0;
}

/*
 * The worker thread. With downloadtype=nextframe it converts and publishes each frame while
 * ffmpeg makes the next one. In both modes it refreshes the block's heartbeat once a second
 * while no frame comes (the input stalls), as the protocol asks of an idle writer.
 */
static void *worker_main(void *arg)
{
    AVFormatContext *s = arg;
    ShmOutContext *c = s->priv_data;
    struct timespec deadline;
    int ret;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->quit) {
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += 1;
            if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == ETIMEDOUT)
                shmout_writer_heartbeat(c->writer);    /* an atomic store: safe beside publish */
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

/* Hand a frame to the worker once it took the previous one; its errors surface here. */
static int hand_over(ShmOutContext *c, const AVFrame *frame)
{
    AVFrame *ref = av_frame_clone(frame);
    int ret;

    if (!ref)
        return AVERROR(ENOMEM);
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

/* `format`: useinput, a TouchDesigner-style name, or an FFmpeg pixel format swscale writes. */
static int parse_format(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    const AVPixFmtDescriptor *desc;
    char names[1024];

    c->out_fmt = AV_PIX_FMT_NONE;
    if (!strcmp(c->format, "useinput"))
        return 0;
    if ((c->pack = ff_shmdev_top_format(c->format)))
        return 0;
    c->out_fmt = av_get_pix_fmt(c->format);
    desc = av_pix_fmt_desc_get(c->out_fmt);
    if (desc && !(desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL)) &&
        sws_isSupportedOutput(c->out_fmt))
        return 0;
    /* Formats swscale cannot write but that are a repacking of one it can. */
    if ((c->pack = ff_shmdev_ffmpeg_format(c->format))) {
        c->out_fmt = AV_PIX_FMT_NONE;
        return 0;
    }
    for (size_t i = 0; i < FF_ARRAY_ELEMS(newer_formats); i++) {
        if (strcmp(newer_formats[i].name, c->format))
            continue;
        if (!desc)
            av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'format': this FFmpeg (%s) does not "
                   "know that pixel format; FFmpeg %s does%s\n", c->format, av_version_info(),
                   newer_formats[i].known, newer_formats[i].writes ? "" : ", but no series' swscale writes it");
        if (desc && newer_formats[i].writes)
            av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'format': the swscale of this FFmpeg (%s) "
                   "cannot write it; FFmpeg %s can\n", c->format, av_version_info(), newer_formats[i].writes);
        else if (desc)
            av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'format': no FFmpeg series' swscale "
                   "writes it\n", c->format);
        return AVERROR(EINVAL);
    }
    ff_shmdev_top_format_names(names, sizeof(names));
    if (desc)
        av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'format': swscale cannot write that pixel "
               "format\n", c->format);
    else
        av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'format': accepted are useinput, %s, "
               "and the pixel formats swscale writes (ffmpeg -pix_fmts, column O)\n", c->format, names);
    return AVERROR(EINVAL);
}

/* resolution, resmenu and resmult. */
static int parse_resolution(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    const char *env;
    char *end;
    int w, h;

    if (c->resmenu) {
        if (av_parse_video_size(&w, &h, c->resmenu) < 0) {
            av_log(s, AV_LOG_ERROR, "Invalid value '%s' for option 'resmenu': give a size name such as "
                   "hd720, hd1080, 2k, 4k, uhd2160, vga, svga, xga, sxga or qhd\n", c->resmenu);
            return AVERROR(EINVAL);
        }
        if (c->res_w && (c->res_w != w || c->res_h != h)) {
            av_log(s, AV_LOG_ERROR, "Options 'resolution' (%dx%d) and 'resmenu' (%s) disagree: give one\n",
                   c->res_w, c->res_h, c->resmenu);
            return AVERROR(EINVAL);
        }
        c->res_w = w;
        c->res_h = h;
    }
    if (c->outputresolution >= RES_FIT && !c->res_w) {
        av_log(s, AV_LOG_ERROR, "Option 'outputresolution' %s needs a size: -resolution WxH "
               "(e.g. 1280x720 or hd720) or -resmenu NAME\n",
               c->outputresolution == RES_FIT ? "fit" : c->outputresolution == RES_LIMIT ? "limit" : "custom");
        return AVERROR(EINVAL);
    }
    if (c->outputresolution < RES_FIT && c->res_w)
        av_log(s, AV_LOG_WARNING, "Option 'resolution' is used only with outputresolution fit, limit or custom\n");

    c->resmult_factor = 1;
    if (c->resmult && (env = getenv(RESMULT_ENV)) && *env) {
        c->resmult_factor = strtod(env, &end);
        if (*end || !(c->resmult_factor > 0 && c->resmult_factor <= 16)) {
            av_log(s, AV_LOG_ERROR, "Invalid %s='%s': give a number above 0 and at most 16 "
                   "(or -resmult 0 to ignore it)\n", RESMULT_ENV, env);
            return AVERROR(EINVAL);
        }
        if (c->resmult_factor != 1)
            av_log(s, AV_LOG_VERBOSE, "Resolution multiplier %g from %s\n", c->resmult_factor, RESMULT_ENV);
    }
    return 0;
}

/* outputaspect, aspect and armenu. ffmpeg's own -aspect sets the stream's aspect ratio. */
static int parse_aspect(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    const AVCodecParameters *par = s->streams[0]->codecpar;
    AVRational preset = armenu_ratios[c->armenu];

    if (c->aspect.num < 0 || c->aspect.den < 0 || (c->aspect.num && !c->aspect.den)) {
        av_log(s, AV_LOG_ERROR, "Invalid value %d:%d for option 'aspect': give a positive W:H or number\n",
               c->aspect.num, c->aspect.den);
        return AVERROR(EINVAL);
    }
    if (c->armenu) {
        if (c->aspect.num && av_cmp_q(c->aspect, preset)) {
            av_log(s, AV_LOG_ERROR, "Options 'aspect' (%d:%d) and 'armenu' disagree: give one\n",
                   c->aspect.num, c->aspect.den);
            return AVERROR(EINVAL);
        }
        c->aspect = preset;
    }
    if (c->outputaspect != ASPECT_CUSTOM) {
        if (c->aspect.num)
            av_log(s, AV_LOG_WARNING, "Options 'aspect' and 'armenu' are used only with outputaspect custom\n");
        return 0;
    }
    if (!c->aspect.num && par->sample_aspect_ratio.num > 0 && par->width > 0 && par->height > 0)
        av_reduce(&c->aspect.num, &c->aspect.den, (int64_t)par->width * par->sample_aspect_ratio.num,
                  (int64_t)par->height * par->sample_aspect_ratio.den, INT_MAX);
    if (!c->aspect.num) {
        av_log(s, AV_LOG_ERROR, "Option 'outputaspect' custom needs an aspect ratio: ffmpeg's -aspect W:H, "
               "or -armenu NAME\n");
        return AVERROR(EINVAL);
    }
    return 0;
}

static av_cold int shmout_write_header(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    const AVCodecParameters *par;
    struct shmout_geometry g;
    AVFrame *frame;
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
    if ((ret = shmout_name_validate(c->name, err, sizeof(err))) < 0) {
        av_log(s, AV_LOG_ERROR, "Invalid block name for option 'name' (or the output URL): %s\n", err);
        return AVERROR(EINVAL);
    }
    if ((ret = parse_format(s)) < 0 || (ret = parse_resolution(s)) < 0 || (ret = parse_aspect(s)) < 0)
        return ret;
    c->time_base = s->streams[0]->time_base;
    if (!(c->filtered = av_frame_alloc()) || !(frame = av_frame_alloc()))
        return AVERROR(ENOMEM);

    /* Open the block now, with the geometry the stream will have, so that a name in use
     * or a full /dev/shm fails before any frame. */
    frame->width  = par->width;
    frame->height = par->height;
    frame->format = par->format;
    frame->sample_aspect_ratio = input_sar(s, frame);
    frame->color_range     = par->color_range;
    frame->colorspace      = par->color_space;
    frame->color_primaries = par->color_primaries;
    frame->color_trc       = par->color_trc;
    frame->chroma_location = par->chroma_location;
    if ((ret = build_graph(s, frame->width, frame->height, frame->format, frame->sample_aspect_ratio)) >= 0 &&
        c->graph) {
        frame->width  = av_buffersink_get_w(c->sink);
        frame->height = av_buffersink_get_h(c->sink);
        frame->format = av_buffersink_get_format(c->sink);
        frame->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(c->sink);
    }
    if (ret >= 0 && (ret = output_geometry(s, frame, &g)) >= 0)
        ret = prepare_block(s, &g);
    av_frame_free(&frame);
    if (ret < 0)
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
    AVFrame *frame = (AVFrame *)pkt->data, tmp;

    /* The packet's pts and duration are in the stream time base; the wrapped frame's may not be. */
    tmp = *frame;
    tmp.extended_data = tmp.data;     /* av_frame_ref() reads a foreign pointer as audio planes */
    tmp.pts = pkt->pts;
    SHMDEV_FRAME_DURATION(&tmp) = pkt->duration;
    frame = &tmp;
    return shmout_write_frame(s, pkt->stream_index, &frame, 0);
}

static int shmout_write_trailer(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;
    int ret = stop_worker(c);

    if (c->writer)
        av_log(s, AV_LOG_VERBOSE, "Closing block '%s' after %"PRIu64" frames\n",
               c->name, shmout_writer_frames(c->writer));
    shmout_writer_close(c->writer);
    c->writer = NULL;
    return ret;
}

static void shmout_deinit(AVFormatContext *s)
{
    ShmOutContext *c = s->priv_data;

    stop_worker(c);
    shmout_writer_close(c->writer);
    c->writer = NULL;
    avfilter_graph_free(&c->graph);
    av_frame_free(&c->filtered);
}

#define OFFSET(x) offsetof(ShmOutContext, x)
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

    { "outputresolution", "size of the frames in the block", OFFSET(outputresolution),
      AV_OPT_TYPE_INT, { .i64 = RES_USEINPUT }, RES_USEINPUT, RES_CUSTOM, ENC, .unit = "outputresolution" },
    { "useinput", "the input's size",                              0, AV_OPT_TYPE_CONST, { .i64 = RES_USEINPUT }, 0, 0, ENC, .unit = "outputresolution" },
    { "eighth",   "1/8 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = RES_EIGHTH },   0, 0, ENC, .unit = "outputresolution" },
    { "quarter",  "1/4 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = RES_QUARTER },  0, 0, ENC, .unit = "outputresolution" },
    { "half",     "1/2 of the input's width and height",           0, AV_OPT_TYPE_CONST, { .i64 = RES_HALF },     0, 0, ENC, .unit = "outputresolution" },
    { "2x",       "twice the input's width and height",            0, AV_OPT_TYPE_CONST, { .i64 = RES_2X },       0, 0, ENC, .unit = "outputresolution" },
    { "4x",       "4 times the input's width and height",          0, AV_OPT_TYPE_CONST, { .i64 = RES_4X },       0, 0, ENC, .unit = "outputresolution" },
    { "8x",       "8 times the input's width and height",          0, AV_OPT_TYPE_CONST, { .i64 = RES_8X },       0, 0, ENC, .unit = "outputresolution" },
    { "fit",      "fit inside resolution, keeping the aspect",     0, AV_OPT_TYPE_CONST, { .i64 = RES_FIT },      0, 0, ENC, .unit = "outputresolution" },
    { "limit",    "like fit, but only shrink",                     0, AV_OPT_TYPE_CONST, { .i64 = RES_LIMIT },    0, 0, ENC, .unit = "outputresolution" },
    { "custom",   "exactly resolution",                            0, AV_OPT_TYPE_CONST, { .i64 = RES_CUSTOM },   0, 0, ENC, .unit = "outputresolution" },
    { "resolution", "size for outputresolution fit, limit and custom: WxH or a name (hd1080, 4k, ...)",
      OFFSET(res_w), AV_OPT_TYPE_IMAGE_SIZE, { .str = NULL }, 0, 0, .flags = ENC },
    { "resmenu", "set resolution by name: hd720, hd1080, 2k, 4k, uhd2160, vga, svga, xga, sxga, qhd, ...",
      OFFSET(resmenu), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, .flags = ENC },
    { "resmult", "multiply the resolution by the machine-wide factor in $" RESMULT_ENV,
      OFFSET(resmult), AV_OPT_TYPE_BOOL, { .i64 = 1 }, 0, 1, .flags = ENC },

    { "outputaspect", "display aspect ratio written into the block", OFFSET(outputaspect),
      AV_OPT_TYPE_INT, { .i64 = ASPECT_USEINPUT }, ASPECT_USEINPUT, ASPECT_CUSTOM, ENC, .unit = "outputaspect" },
    { "useinput",   "the input's",                                          0, AV_OPT_TYPE_CONST, { .i64 = ASPECT_USEINPUT },   0, 0, ENC, .unit = "outputaspect" },
    { "resolution", "the output's width:height (square pixels)",            0, AV_OPT_TYPE_CONST, { .i64 = ASPECT_RESOLUTION }, 0, 0, ENC, .unit = "outputaspect" },
    { "custom",     "aspect (on the command line: ffmpeg's -aspect W:H)",  0, AV_OPT_TYPE_CONST, { .i64 = ASPECT_CUSTOM },     0, 0, ENC, .unit = "outputaspect" },
    { "aspect", "display aspect ratio for outputaspect custom, W:H or a number (ffmpeg's own -aspect "
      "takes this name on the command line and arrives as the stream's aspect)",
      OFFSET(aspect), AV_OPT_TYPE_RATIONAL, { .dbl = 0 }, 0, INT_MAX, .flags = ENC },
    { "armenu", "set aspect from a common ratio", OFFSET(armenu),
      AV_OPT_TYPE_INT, { .i64 = 0 }, 0, FF_ARRAY_ELEMS(armenu_ratios) - 1, ENC, .unit = "armenu" },
    { "square",    "1:1",    0, AV_OPT_TYPE_CONST, { .i64 = 1 }, 0, 0, ENC, .unit = "armenu" },
    { "sd",        "4:3",    0, AV_OPT_TYPE_CONST, { .i64 = 2 }, 0, 0, ENC, .unit = "armenu" },
    { "hd",        "16:9",   0, AV_OPT_TYPE_CONST, { .i64 = 3 }, 0, 0, ENC, .unit = "armenu" },
    { "wide",      "16:10",  0, AV_OPT_TYPE_CONST, { .i64 = 4 }, 0, 0, ENC, .unit = "armenu" },
    { "ultrawide", "21:9",   0, AV_OPT_TYPE_CONST, { .i64 = 5 }, 0, 0, ENC, .unit = "armenu" },
    { "scope",     "2.39:1", 0, AV_OPT_TYPE_CONST, { .i64 = 6 }, 0, 0, ENC, .unit = "armenu" },
    { "vertical",  "9:16",   0, AV_OPT_TYPE_CONST, { .i64 = 7 }, 0, 0, ENC, .unit = "armenu" },

    { "inputfiltertype", "scaling filter (input smoothness)", OFFSET(inputfiltertype),
      AV_OPT_TYPE_INT, { .i64 = 1 }, 0, FF_ARRAY_ELEMS(scale_flags) - 1, ENC, .unit = "inputfiltertype" },
    { "nearest", "nearest pixel (swscale point)",  0, AV_OPT_TYPE_CONST, { .i64 = 0 }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "linear",  "bilinear",                       0, AV_OPT_TYPE_CONST, { .i64 = 1 }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "mipmap",  "area averaging (swscale area)",  0, AV_OPT_TYPE_CONST, { .i64 = 2 }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "bicubic", "bicubic",                        0, AV_OPT_TYPE_CONST, { .i64 = 3 }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "lanczos", "Lanczos",                        0, AV_OPT_TYPE_CONST, { .i64 = 4 }, 0, 0, ENC, .unit = "inputfiltertype" },
    { "spline",  "natural bicubic spline",         0, AV_OPT_TYPE_CONST, { .i64 = 5 }, 0, 0, ENC, .unit = "inputfiltertype" },

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
      OFFSET(npasses), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, 16, .flags = ENC },
    { "chanmask", "channels to keep (the chanmask filter): left-out colour channels become 0, "
      "left-out alpha opaque", OFFSET(chanmask), AV_OPT_TYPE_FLAGS, { .i64 = CHAN_ALL }, 0, CHAN_ALL, ENC, .unit = "chanmask" },
    { "r", "red",   0, AV_OPT_TYPE_CONST, { .i64 = CHAN_R }, 0, 0, ENC, .unit = "chanmask" },
    { "g", "green", 0, AV_OPT_TYPE_CONST, { .i64 = CHAN_G }, 0, 0, ENC, .unit = "chanmask" },
    { "b", "blue",  0, AV_OPT_TYPE_CONST, { .i64 = CHAN_B }, 0, 0, ENC, .unit = "chanmask" },
    { "a", "alpha", 0, AV_OPT_TYPE_CONST, { .i64 = CHAN_A }, 0, 0, ENC, .unit = "chanmask" },
    { "format", "pixel format in the block: useinput, a TouchDesigner name (rgba8fixed, srgba8fixed, "
      "rgba16fixed, rgba16float, rgba32float, rgb10a2fixed, rgb11float, mono8fixed ... mono32float, "
      "rg8fixed ... rg32float, a8fixed ... a32float, monoalpha8fixed ... monoalpha32float; mono keeps red) "
      "or an FFmpeg pixel format name", OFFSET(format), AV_OPT_TYPE_STRING, { .str = "useinput" }, 0, 0, .flags = ENC },
    { "slots", "frames the block's ring holds: more let a reader that takes every frame fall further "
      "behind without losing any (each slot is one frame of shared memory)", OFFSET(slots),
      AV_OPT_TYPE_INT, { .i64 = 3 }, SHMOUT_MIN_SLOTS, SHMOUT_MAX_SLOTS, .flags = ENC },
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
