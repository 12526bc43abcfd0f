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
 * shmout's image options compiled into a libavfilter chain and run frame by frame: the
 * option checks, the chain for one pass (scale, setsar/setdar, chanmask, format) repeated
 * npasses times, the block geometry of its output, and the write into a slot.
 */

#include <stdlib.h>

#include "libavutil/avstring.h"
#include "libavutil/bprint.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libswscale/swscale.h"
#include "shmdev_chain.h"
#include "shmdev_common.h"

/* The machine-wide resolution multiplier (TouchDesigner's Global Res Multiplier preference). */
#define RESMULT_ENV "SHMOUT_RESMULT"

static const char *const scale_flags[SHMDEV_FILTER_NB] = {
    "neighbor", "bilinear", "area", "bicubic", "lanczos", "spline",
};

static const AVRational armenu_ratios[SHMDEV_AR_NB] = {
    { 0, 1 }, { 1, 1 }, { 4, 3 }, { 16, 9 }, { 16, 10 }, { 21, 9 }, { 239, 100 }, { 9, 16 },
};

/* A pixel format the chain can deliver through swscale's format conversion. */
static int sws_writes(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);

    return desc && !(desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                                    AV_PIX_FMT_FLAG_PAL)) &&
           sws_isSupportedOutput(fmt);
}

/*
 * `format`: useinput, a TouchDesigner name, a pixel format swscale writes, or one the
 * device packs from a format swscale writes. A refused name gets the accepted ones, as this
 * build's libavutil and swscale know them.
 */
static int parse_format(ShmDevChain *c, void *logctx)
{
    const AVPixFmtDescriptor *desc = NULL;
    enum AVPixelFormat fmt;
    AVBPrint bp;
    int ret;

    c->out_fmt = AV_PIX_FMT_NONE;
    if (!strcmp(c->format, "useinput") || (c->pack = ff_shmdev_top_format(c->format)))
        return 0;
    fmt = av_get_pix_fmt(c->format);
    if (sws_writes(fmt)) {
        c->out_fmt = fmt;
        return 0;
    }
    if ((c->pack = ff_shmdev_ffmpeg_format(c->format)))
        return 0;

    if (fmt == AV_PIX_FMT_NONE)
        av_log(logctx, AV_LOG_ERROR, "Invalid value '%s' for option 'format': this FFmpeg (%s) "
               "does not know that pixel format\n", c->format, av_version_info());
    else
        av_log(logctx, AV_LOG_ERROR, "Invalid value '%s' for option 'format': the swscale of this "
               "FFmpeg (%s) cannot write that pixel format\n", c->format, av_version_info());
    av_bprint_init(&bp, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&bp, "useinput; the TouchDesigner formats ");
    ff_shmdev_top_format_names(&bp);
    av_bprintf(&bp, "; ");
    ff_shmdev_ffmpeg_format_names(&bp);
    av_bprintf(&bp, " (packed by shmout); and the pixel formats this FFmpeg's swscale writes:");
    while ((desc = av_pix_fmt_desc_next(desc)))
        if (sws_writes(av_pix_fmt_desc_get_id(desc)) && !ff_shmdev_ffmpeg_format(desc->name))
            av_bprintf(&bp, " %s", desc->name);
    ret = av_bprint_is_complete(&bp) ? AVERROR(EINVAL) : AVERROR(ENOMEM);
    if (ret == AVERROR(EINVAL))
        av_log(logctx, AV_LOG_ERROR, "Accepted values of 'format': %s\n", bp.str);
    av_bprint_finalize(&bp, NULL);
    return ret;
}

/* resolution, resmenu and resmult. */
static int parse_resolution(ShmDevChain *c, void *logctx)
{
    const char *env;
    char *end;

    if (c->resmenu_w) {
        if (c->res_w && (c->res_w != c->resmenu_w || c->res_h != c->resmenu_h)) {
            av_log(logctx, AV_LOG_ERROR, "Options 'resolution' (%dx%d) and 'resmenu' (%dx%d) "
                   "disagree: give one\n", c->res_w, c->res_h, c->resmenu_w, c->resmenu_h);
            return AVERROR(EINVAL);
        }
        c->res_w = c->resmenu_w;
        c->res_h = c->resmenu_h;
    }
    if (c->outputresolution >= SHMDEV_RES_FIT && !c->res_w) {
        av_log(logctx, AV_LOG_ERROR, "Option 'outputresolution' %s needs a size: -resolution WxH "
               "(e.g. 1280x720 or hd720) or -resmenu NAME\n",
               c->outputresolution == SHMDEV_RES_FIT   ? "fit" :
               c->outputresolution == SHMDEV_RES_LIMIT ? "limit" : "custom");
        return AVERROR(EINVAL);
    }
    if (c->outputresolution < SHMDEV_RES_FIT && c->res_w)
        av_log(logctx, AV_LOG_WARNING, "Option 'resolution' is used only with outputresolution fit, "
               "limit or custom\n");

    c->resmult_factor = 1;
    if (c->resmult && (env = getenv(RESMULT_ENV)) && *env) {
        c->resmult_factor = strtod(env, &end);
        if (*end || !(c->resmult_factor > 0 && c->resmult_factor <= 16)) {
            av_log(logctx, AV_LOG_ERROR, "Invalid %s='%s': give a number above 0 and at most 16 "
                   "(or -resmult 0 to ignore it)\n", RESMULT_ENV, env);
            return AVERROR(EINVAL);
        }
        if (c->resmult_factor != 1)
            av_log(logctx, AV_LOG_VERBOSE, "Resolution multiplier %g from %s\n",
                   c->resmult_factor, RESMULT_ENV);
    }
    return 0;
}

/* outputaspect, aspect and armenu. ffmpeg's own -aspect sets the stream's aspect ratio. */
static int parse_aspect(ShmDevChain *c, void *logctx, const AVCodecParameters *par)
{
    AVRational preset = armenu_ratios[c->armenu];

    if (c->aspect.num < 0 || c->aspect.den < 0 || (c->aspect.num && !c->aspect.den)) {
        av_log(logctx, AV_LOG_ERROR, "Invalid value %d:%d for option 'aspect': give a positive W:H "
               "or number\n", c->aspect.num, c->aspect.den);
        return AVERROR(EINVAL);
    }
    if (c->armenu) {
        if (c->aspect.num && av_cmp_q(c->aspect, preset)) {
            av_log(logctx, AV_LOG_ERROR, "Options 'aspect' (%d:%d) and 'armenu' disagree: give one\n",
                   c->aspect.num, c->aspect.den);
            return AVERROR(EINVAL);
        }
        c->aspect = preset;
    }
    if (c->outputaspect != SHMDEV_ASPECT_CUSTOM) {
        if (c->aspect.num)
            av_log(logctx, AV_LOG_WARNING, "Options 'aspect' and 'armenu' are used only with "
                   "outputaspect custom\n");
        return 0;
    }
    if (!c->aspect.num && par->sample_aspect_ratio.num > 0 && par->width > 0 && par->height > 0)
        av_reduce(&c->aspect.num, &c->aspect.den, (int64_t)par->width * par->sample_aspect_ratio.num,
                  (int64_t)par->height * par->sample_aspect_ratio.den, INT_MAX);
    if (!c->aspect.num) {
        av_log(logctx, AV_LOG_ERROR, "Option 'outputaspect' custom needs an aspect ratio: ffmpeg's "
               "-aspect W:H, or -armenu NAME\n");
        return AVERROR(EINVAL);
    }
    return 0;
}

/* The resolution a pass produces, as scale filter options (empty: keep the size). */
static void pass_scale(const ShmDevChain *c, AVBPrint *bp)
{
    static const double factors[] = {
        [SHMDEV_RES_EIGHTH] = 0.125, [SHMDEV_RES_QUARTER] = 0.25, [SHMDEV_RES_HALF] = 0.5,
        [SHMDEV_RES_2X] = 2, [SHMDEV_RES_4X] = 4, [SHMDEV_RES_8X] = 8,
    };
    double m = c->resmult_factor;
    int w = FFMAX(1, lrint(c->res_w * m)), h = FFMAX(1, lrint(c->res_h * m));

    switch (c->outputresolution) {
    case SHMDEV_RES_USEINPUT:
        if (m != 1)
            av_bprintf(bp, "scale=w='max(1,round(iw*%.17g))':h='max(1,round(ih*%.17g))'", m, m);
        break;
    case SHMDEV_RES_FIT:
        av_bprintf(bp, "scale=w=%d:h=%d:force_original_aspect_ratio=decrease", w, h);
        break;
    case SHMDEV_RES_LIMIT:
        av_bprintf(bp, "scale=w='min(iw,%d)':h='min(ih,%d)':force_original_aspect_ratio=decrease", w, h);
        break;
    case SHMDEV_RES_CUSTOM:
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
static void pass_chain(const ShmDevChain *c, enum AVPixelFormat in_fmt, AVBPrint *bp)
{
    size_t start = bp->len;
    enum AVPixelFormat fmt = c->pack ? c->pack->base : c->out_fmt;

#define SEP() (bp->len > start ? "," : "")
    pass_scale(c, bp);
    if (c->outputaspect == SHMDEV_ASPECT_RESOLUTION)
        av_bprintf(bp, "%ssetsar=1", SEP());
    else if (c->outputaspect == SHMDEV_ASPECT_CUSTOM)
        av_bprintf(bp, "%ssetdar=%d/%d", SEP(), c->aspect.num, c->aspect.den);
    if (c->chanmask != SHMDEV_CHAN_ALL) {
        av_bprintf(bp, "%schanmask=mask=%d", SEP(), c->chanmask);
        /* useinput keeps the input's format: convert back after masking in RGB. */
        if (fmt == AV_PIX_FMT_NONE)
            fmt = in_fmt;
    }
    if (fmt != AV_PIX_FMT_NONE)
        av_bprintf(bp, "%sformat=pix_fmts=%s", SEP(), av_get_pix_fmt_name(fmt));
#undef SEP
}

/* (Re)build the chain for frames of this size, format and sample aspect ratio. */
static int build_graph(ShmDevChain *c, void *logctx, int w, int h, enum AVPixelFormat fmt,
                       AVRational sar)
{
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
    av_log(logctx, AV_LOG_VERBOSE, "Processing chain for %dx%d %s: %s\n", w, h,
           av_get_pix_fmt_name(fmt), chain.str);

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
    if ((ret = avfilter_graph_parse_ptr(c->graph, chain.str, &in, &out, logctx)) < 0 ||
        (ret = avfilter_graph_config(c->graph, logctx)) < 0) {
        av_log(logctx, AV_LOG_ERROR, "Cannot set up the processing chain '%s'\n", chain.str);
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
static AVRational input_sar(const ShmDevChain *c, const AVFrame *frame)
{
    AVRational sar = c->stream_sar;

    if (sar.num <= 0 || sar.den <= 0)
        sar = frame->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    return sar;
}

/*
 * The block geometry of a processed frame: its layout (ff_shmdev_layout), or the packed
 * format's single plane, under the format's name; colour properties and aspect from the frame.
 */
static int frame_geometry(const ShmDevChain *c, void *logctx, const AVFrame *frame,
                          struct shmout_geometry *g)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(frame->format);
    const char *name = c->pack ? c->pack->stored_name : av_get_pix_fmt_name(frame->format);
    int ret;

    if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                                 AV_PIX_FMT_FLAG_PAL))) {
        av_log(logctx, AV_LOG_ERROR, "Pixel format %s cannot be stored in a shared-memory block: "
               "convert it first (e.g. -pix_fmt rgba)\n", desc ? desc->name : "none");
        return AVERROR(EINVAL);
    }
    if (strlen(name) >= sizeof(g->pix_fmt_name)) {
        av_log(logctx, AV_LOG_ERROR, "Pixel format name %s is too long for the block header\n", name);
        return AVERROR(EINVAL);
    }
    memset(g, 0, sizeof(*g));
    if ((ret = ff_shmdev_layout(g, frame->format, c->pack ? ff_shmdev_pack_pixel_size(c->pack) : 0,
                                frame->width, frame->height)) < 0)
        return ret;
    g->pix_fmt = shmout_pix_fmt_from_name(name);
    av_strlcpy(g->pix_fmt_name, name, sizeof(g->pix_fmt_name));
    if (frame->sample_aspect_ratio.num > 0 && frame->sample_aspect_ratio.den > 0) {
        AVRational dar;
        g->sar_num = frame->sample_aspect_ratio.num;
        g->sar_den = frame->sample_aspect_ratio.den;
        av_reduce(&dar.num, &dar.den, (int64_t)frame->width * g->sar_num,
                  (int64_t)frame->height * g->sar_den, INT32_MAX);
        g->dar_num = dar.num;
        g->dar_den = dar.den;
    }
    g->color.range           = frame->color_range;
    g->color.matrix          = frame->colorspace;
    g->color.primaries       = frame->color_primaries;
    g->color.transfer        = c->pack && c->pack->srgb ? AVCOL_TRC_IEC61966_2_1 : frame->color_trc;
    g->color.chroma_location = frame->chroma_location;
    if ((ret = shmout_geometry_check(g, 0)) < 0)
        return ff_shmdev_error(logctx, ret, "Invalid block geometry");
    return 0;
}

int ff_shmdev_chain_init(ShmDevChain *c, void *logctx, const AVCodecParameters *par,
                         AVRational time_base, struct shmout_geometry *g)
{
    AVFrame *frame;
    int ret;

    if ((ret = parse_format(c, logctx)) < 0 || (ret = parse_resolution(c, logctx)) < 0 ||
        (ret = parse_aspect(c, logctx, par)) < 0)
        return ret;
    c->time_base  = time_base;
    c->stream_sar = par->sample_aspect_ratio;
    if (!(c->filtered = av_frame_alloc()) || !(frame = av_frame_alloc()))
        return AVERROR(ENOMEM);

    /* A frame with the stream's properties, through the chain, tells the geometry. */
    frame->width  = par->width;
    frame->height = par->height;
    frame->format = par->format;
    frame->sample_aspect_ratio = input_sar(c, frame);
    frame->color_range     = par->color_range;
    frame->colorspace      = par->color_space;
    frame->color_primaries = par->color_primaries;
    frame->color_trc       = par->color_trc;
    frame->chroma_location = par->chroma_location;
    if ((ret = build_graph(c, logctx, frame->width, frame->height, frame->format,
                           frame->sample_aspect_ratio)) >= 0 && c->graph) {
        frame->width  = av_buffersink_get_w(c->sink);
        frame->height = av_buffersink_get_h(c->sink);
        frame->format = av_buffersink_get_format(c->sink);
        frame->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(c->sink);
    }
    if (ret >= 0)
        ret = frame_geometry(c, logctx, frame, g);
    av_frame_free(&frame);
    return ret;
}

int ff_shmdev_chain_filter(ShmDevChain *c, void *logctx, AVFrame *frame,
                           const AVFrame **out, struct shmout_geometry *g)
{
    AVRational sar = input_sar(c, frame);
    int ret;

    if (frame->width != c->in_w || frame->height != c->in_h || frame->format != c->in_fmt ||
        av_cmp_q(sar, c->in_sar)) {
        if ((ret = build_graph(c, logctx, frame->width, frame->height, frame->format, sar)) < 0)
            return ret;
    }
    frame->sample_aspect_ratio = sar;
    *out = frame;
    if (c->graph) {
        av_frame_unref(c->filtered);
        if ((ret = av_buffersrc_add_frame_flags(c->src, frame, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0 ||
            (ret = av_buffersink_get_frame(c->sink, c->filtered)) < 0) {
            av_log(logctx, AV_LOG_ERROR, "The processing chain failed: %s\n", av_err2str(ret));
            return ret;
        }
        *out = c->filtered;
    }
    return frame_geometry(c, logctx, *out, g);
}

void ff_shmdev_chain_write(const ShmDevChain *c, const AVFrame *out,
                           uint8_t *dst[4], int dst_linesize[4])
{
    if (c->pack && c->pack->elem != SHMDEV_ELEM_NONE)
        ff_shmdev_pack(c->pack, out, dst[0], dst_linesize[0]);
    else
        av_image_copy(dst, dst_linesize, (const uint8_t **)out->data, out->linesize,
                      out->format, out->width, out->height);
}

void ff_shmdev_chain_uninit(ShmDevChain *c)
{
    avfilter_graph_free(&c->graph);
    av_frame_free(&c->filtered);
}
