/*
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

/**
 * @file
 * Channel mask filter, after the "Channel Mask" parameter of TouchDesigner's
 * Shared Mem Out TOP: keep the selected channels of an RGB(A) or gray(+alpha)
 * image; colour channels left out become 0, alpha left out becomes opaque.
 *
 * The work is format independent: for every plane, the bytes of one pixel
 * are rewritten as (pixel & and_pattern) | or_pattern. Both patterns are
 * derived from the pixel format descriptor (component plane, offset, step,
 * shift, depth, endianness, float flag), so no per-format code is needed.
 */

#include <stdio.h>
#include <string.h>

#include "libavutil/attributes.h"
#include "libavutil/common.h"
#include "libavutil/imgutils.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "version_major.h"
#include "avfilter.h"
#include "formats.h"
#if LIBAVFILTER_VERSION_MAJOR >= 10
#include "filters.h"
#else
#include "internal.h"
#endif
#include "video.h"

enum ChanMaskChannel {
    CHANMASK_R = 1 << 0,
    CHANMASK_G = 1 << 1,
    CHANMASK_B = 1 << 2,
    CHANMASK_A = 1 << 3,
    CHANMASK_RGB  = CHANMASK_R | CHANMASK_G | CHANMASK_B,
    CHANMASK_RGBA = CHANMASK_RGB | CHANMASK_A,
};

#define MAX_STEP 16 ///< largest pixel step of a supported format (rgba128, rgbaf32)

typedef struct ChanMaskContext {
    const AVClass *class;
    int mask;                       ///< CHANMASK_* flags, runtime changeable

    const AVPixFmtDescriptor *desc;
    int nb_planes;
    int built_mask;                 ///< mask the patterns below were built for, -1: none
    int passthrough;                ///< the mask keeps every channel of the format
    int touched[4];                 ///< plane has bytes to change
    int step[4];                    ///< bytes per pixel in the plane
    uint8_t and_pat[4][MAX_STEP];   ///< bits to keep, one pixel
    uint8_t or_pat[4][MAX_STEP];    ///< bits to set, one pixel
} ChanMaskContext;

#define OFFSET(x) offsetof(ChanMaskContext, x)
#define FLAGS (AV_OPT_FLAG_FILTERING_PARAM | AV_OPT_FLAG_VIDEO_PARAM | AV_OPT_FLAG_RUNTIME_PARAM)

static const AVOption chanmask_options[] = {
    { "mask", "channels to keep (r, g, b, a, e.g. r+g+a); colour channels left out "
              "become 0, alpha left out becomes opaque; the grey of gray formats counts as r",
      OFFSET(mask), AV_OPT_TYPE_FLAGS, { .i64 = CHANMASK_RGBA }, 0, CHANMASK_RGBA, FLAGS, .unit = "mask" },
        { "r",    "red (the grey channel of gray formats)", 0, AV_OPT_TYPE_CONST, { .i64 = CHANMASK_R },    0, 0, FLAGS, .unit = "mask" },
        { "g",    "green",                                  0, AV_OPT_TYPE_CONST, { .i64 = CHANMASK_G },    0, 0, FLAGS, .unit = "mask" },
        { "b",    "blue",                                   0, AV_OPT_TYPE_CONST, { .i64 = CHANMASK_B },    0, 0, FLAGS, .unit = "mask" },
        { "a",    "alpha",                                  0, AV_OPT_TYPE_CONST, { .i64 = CHANMASK_A },    0, 0, FLAGS, .unit = "mask" },
        { "all",  "all channels (passthrough)",             0, AV_OPT_TYPE_CONST, { .i64 = CHANMASK_RGBA }, 0, 0, FLAGS, .unit = "mask" },
        { "none", "no channel: black, opaque",              0, AV_OPT_TYPE_CONST, { .i64 = 0 },             0, 0, FLAGS, .unit = "mask" },
    { 0 }
};

AVFILTER_DEFINE_CLASS(chanmask);

/**
 * Formats without chroma subsampling whose components are R, G, B[, A] or
 * grey[, alpha], each at least 8 bits deep (so one pixel's bits are whole
 * bytes of its planes); the padding of rgb0, x2rgb10, gbrp10msb etc. is
 * copied unchanged. Derived from pixdesc, so every series offers all the
 * formats it has.
 */
static int is_supported(const AVPixFmtDescriptor *desc)
{
    if (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                       AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BAYER) ||
        desc->log2_chroma_w || desc->log2_chroma_h)
        return 0;
    if (desc->flags & AV_PIX_FMT_FLAG_RGB ? desc->nb_components < 3 : desc->nb_components > 2)
        return 0;
    for (int c = 0; c < desc->nb_components; c++)
        if (desc->comp[c].depth < 8 || desc->comp[c].step > MAX_STEP)
            return 0;
    return 1;
}

/* query_func (not query_func2, which 5.1 lacks) works in every series. */
static int query_formats(AVFilterContext *ctx)
{
    AVFilterFormats *formats = NULL;
    const AVPixFmtDescriptor *desc = NULL;
    int ret;

    while ((desc = av_pix_fmt_desc_next(desc)))
        if (is_supported(desc) &&
            (ret = ff_add_format(&formats, av_pix_fmt_desc_get_id(desc))) < 0)
            return ret;
    return ff_set_common_formats(ctx, formats);
}

static void mask_to_str(char *buf, size_t size, int mask)
{
    snprintf(buf, size, "%s%s%s%s%s",
             mask & CHANMASK_R ? "r" : "", mask & CHANMASK_G ? "g" : "",
             mask & CHANMASK_B ? "b" : "", mask & CHANMASK_A ? "a" : "",
             mask ? "" : "none");
}

/** The CHANMASK_* channel that component c of the format stands for. */
static int component_channel(const AVPixFmtDescriptor *desc, int c)
{
    static const int rgba[4] = { CHANMASK_R, CHANMASK_G, CHANMASK_B, CHANMASK_A };

    if (!(desc->flags & AV_PIX_FMT_FLAG_RGB))           /* grey[, alpha] */
        return c == 0 ? CHANMASK_R : CHANMASK_A;
    return rgba[c];                             /* pixdesc order is R, G, B, A */
}

/**
 * Build the per-plane and/or byte patterns for the current mask. The bits of
 * a component are found by letting av_write_image_line2() write an all-ones
 * value into a zeroed one-pixel image; the replacement value (0, or the
 * opaque alpha value) is written the same way.
 */
static void build_patterns(AVFilterContext *ctx)
{
    ChanMaskContext *s = ctx->priv;
    const AVPixFmtDescriptor *desc = s->desc;
    uint8_t bits[4][MAX_STEP] = { { 0 } };
    uint8_t *data[4], *or_data[4];
    int linesize[4] = { MAX_STEP, MAX_STEP, MAX_STEP, MAX_STEP };
    char buf[16];

    for (int p = 0; p < 4; p++) {
        data[p]    = bits[p];
        or_data[p] = s->or_pat[p];
        memset(s->and_pat[p], 0xff, MAX_STEP);
        memset(s->or_pat[p],  0x00, MAX_STEP);
        s->touched[p] = 0;
    }

    s->passthrough = 1;
    for (int c = 0; c < desc->nb_components; c++) {
        const AVComponentDescriptor *comp = &desc->comp[c];
        int channel = component_channel(desc, c);
        uint32_t ones = comp->depth >= 32 ? UINT32_MAX : (1U << comp->depth) - 1;
        uint32_t value = 0;

        if (s->mask & channel)
            continue;
        if (channel == CHANMASK_A) {
            if (desc->flags & AV_PIX_FMT_FLAG_FLOAT)
                value = comp->depth == 16 ? 0x3c00 : 0x3f800000; /* 1.0 half/single */
            else
                value = ones;
        }

        memset(bits, 0, sizeof(bits));
        av_write_image_line2(&ones,  data,  linesize, desc, 0, 0, c, 1, 4);
        av_write_image_line2(&value, or_data, linesize, desc, 0, 0, c, 1, 4);
        for (int i = 0; i < comp->step; i++)
            s->and_pat[comp->plane][i] &= ~bits[comp->plane][i];
        s->touched[comp->plane] = 1;
        s->passthrough = 0;
    }
    s->built_mask = s->mask;

    mask_to_str(buf, sizeof(buf), s->mask);
    av_log(ctx, AV_LOG_VERBOSE, "mask:%s fmt:%s%s\n", buf, desc->name,
           s->passthrough ? " (passthrough)" : "");
}

/* AV_OPT_TYPE_FLAGS values are not range checked by AVOptions: do it here. */
static int check_mask(AVFilterContext *ctx, int mask)
{
    if (mask & ~CHANMASK_RGBA) {
        av_log(ctx, AV_LOG_ERROR, "Invalid mask value %d: only r (1), g (2), b (4) "
               "and a (8) may be combined, e.g. mask=r+g+a.\n", mask);
        return AVERROR(EINVAL);
    }
    return 0;
}

static av_cold int init(AVFilterContext *ctx)
{
    ChanMaskContext *s = ctx->priv;

    s->built_mask = -1;
    return check_mask(ctx, s->mask);
}

static int process_command(AVFilterContext *ctx, const char *cmd, const char *args,
                           char *res, int res_len, int flags)
{
    ChanMaskContext *s = ctx->priv;
    int old_mask = s->mask;
    int ret;

    ret = ff_filter_process_command(ctx, cmd, args, res, res_len, flags);
    if (ret < 0)
        return ret;
    ret = check_mask(ctx, s->mask);
    if (ret < 0)
        s->mask = old_mask;
    return ret;
}

static int config_input(AVFilterLink *inlink)
{
    AVFilterContext *ctx = inlink->dst;
    ChanMaskContext *s = ctx->priv;

    s->desc = av_pix_fmt_desc_get(inlink->format);
    if (!s->desc)
        return AVERROR_BUG;
    s->nb_planes = av_pix_fmt_count_planes(inlink->format);
    for (int c = 0; c < s->desc->nb_components; c++)
        s->step[s->desc->comp[c].plane] = s->desc->comp[c].step;
    s->built_mask = -1;
    return 0;
}

typedef struct ThreadData {
    AVFrame *in, *out;
} ThreadData;

/* One row of one plane: dst = (src & and) | or, size bytes at a time. */
#define MASK_ROW(RN, WN, size)                                              \
    for (int x = 0; x < bytes; x += step)                                   \
        for (int i = 0; i < step; i += size)                                \
            WN(dst + x + i, (RN(src + x + i) & RN(and_pat + i)) | RN(or_pat + i))

static int filter_slice(AVFilterContext *ctx, void *arg, int jobnr, int nb_jobs)
{
    ChanMaskContext *s = ctx->priv;
    ThreadData *td = arg;
    const AVFrame *in = td->in;
    AVFrame *out = td->out;
    const int h = in->height;
    const int slice_start = (h *  jobnr     ) / nb_jobs;
    const int slice_end   = (h * (jobnr + 1)) / nb_jobs;

    for (int p = 0; p < s->nb_planes; p++) {
        const int step = s->step[p];
        const int bytes = in->width * step;
        const uint8_t *and_pat = s->and_pat[p];
        const uint8_t *or_pat  = s->or_pat[p];

        for (int y = slice_start; y < slice_end; y++) {
            const uint8_t *src = in->data[p]  + y * in->linesize[p];
            uint8_t       *dst = out->data[p] + y * out->linesize[p];

            if (!s->touched[p]) {
                if (dst != src)
                    memcpy(dst, src, bytes);
            } else if (!(step & 7)) {
                MASK_ROW(AV_RN64, AV_WN64, 8);
            } else if (!(step & 3)) {
                MASK_ROW(AV_RN32, AV_WN32, 4);
            } else if (!(step & 1)) {
                MASK_ROW(AV_RN16, AV_WN16, 2);
            } else {
                for (int x = 0; x < bytes; x += step)
                    for (int i = 0; i < step; i++)
                        dst[x + i] = (src[x + i] & and_pat[i]) | or_pat[i];
            }
        }
    }
    return 0;
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx = inlink->dst;
    AVFilterLink *outlink = ctx->outputs[0];
    ChanMaskContext *s = ctx->priv;
    ThreadData td;
    AVFrame *out;
    int ret;

    if (s->built_mask != s->mask)       /* first frame, or changed by a command */
        build_patterns(ctx);
    if (s->passthrough)
        return ff_filter_frame(outlink, in);

    if (av_frame_is_writable(in)) {
        out = in;
    } else {
        out = ff_get_video_buffer(outlink, outlink->w, outlink->h);
        if (!out) {
            av_frame_free(&in);
            return AVERROR(ENOMEM);
        }
        ret = av_frame_copy_props(out, in);
        if (ret < 0) {
            av_frame_free(&out);
            av_frame_free(&in);
            return ret;
        }
    }

    td.in  = in;
    td.out = out;
    ff_filter_execute(ctx, filter_slice, &td, NULL,
                      FFMIN(in->height, ff_filter_get_nb_threads(ctx)));

    if (out != in)
        av_frame_free(&in);
    return ff_filter_frame(outlink, out);
}

static const AVFilterPad chanmask_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_input,
        .filter_frame = filter_frame,
    },
};

static const AVFilterPad chanmask_outputs[] = {
    {
        .name = "default",
        .type = AVMEDIA_TYPE_VIDEO,
    },
};

#define CHANMASK_DESCRIPTION "Keep the selected RGBA channels; zero the other colour channels, make alpha opaque."
#define CHANMASK_FLAGS (AVFILTER_FLAG_SUPPORT_TIMELINE_GENERIC | AVFILTER_FLAG_SLICE_THREADS)

#if LIBAVFILTER_VERSION_MAJOR >= 11
const FFFilter ff_vf_chanmask = {
    .p.name          = "chanmask",
    .p.description   = NULL_IF_CONFIG_SMALL(CHANMASK_DESCRIPTION),
    .p.priv_class    = &chanmask_class,
    .p.flags         = CHANMASK_FLAGS,
#else
const AVFilter ff_vf_chanmask = {
    .name            = "chanmask",
    .description     = NULL_IF_CONFIG_SMALL(CHANMASK_DESCRIPTION),
    .priv_class      = &chanmask_class,
    .flags           = CHANMASK_FLAGS,
#endif
    .priv_size       = sizeof(ChanMaskContext),
    .init            = init,
    FILTER_INPUTS(chanmask_inputs),
    FILTER_OUTPUTS(chanmask_outputs),
    FILTER_QUERY_FUNC(query_formats),
    .process_command = process_command,
};
