/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * formats.c - a block's geometry as GStreamer sees it: pixel-format codes to GstVideoFormat
 * (the same pairs gst-libav uses for FFmpeg's formats), GStreamer's plane layout as a block's
 * plane table, aspect and colour (H.273 code points) to GstVideoColorimetry.
 */
#include <string.h>

#include "shmoutgst.h"

static const struct {
    uint32_t code;
    GstVideoFormat format;
} formats[] = {
    { SHMOUT_PIX_RGBA,        GST_VIDEO_FORMAT_RGBA },
    { SHMOUT_PIX_BGRA,        GST_VIDEO_FORMAT_BGRA },
    { SHMOUT_PIX_ARGB,        GST_VIDEO_FORMAT_ARGB },
    { SHMOUT_PIX_ABGR,        GST_VIDEO_FORMAT_ABGR },
    { SHMOUT_PIX_RGB24,       GST_VIDEO_FORMAT_RGB },
    { SHMOUT_PIX_BGR24,       GST_VIDEO_FORMAT_BGR },
    { SHMOUT_PIX_RGB0,        GST_VIDEO_FORMAT_RGBx },
    { SHMOUT_PIX_BGR0,        GST_VIDEO_FORMAT_BGRx },
    { SHMOUT_PIX_RGBA64LE,    GST_VIDEO_FORMAT_RGBA64_LE },
    { SHMOUT_PIX_BGRA64LE,    GST_VIDEO_FORMAT_BGRA64_LE },
    { SHMOUT_PIX_GRAY,        GST_VIDEO_FORMAT_GRAY8 },
    { SHMOUT_PIX_GRAY16LE,    GST_VIDEO_FORMAT_GRAY16_LE },
    { SHMOUT_PIX_GBRP,        GST_VIDEO_FORMAT_GBR },
    { SHMOUT_PIX_GBRAP,       GST_VIDEO_FORMAT_GBRA },
    { SHMOUT_PIX_YUV420P,     GST_VIDEO_FORMAT_I420 },
    { SHMOUT_PIX_YUV422P,     GST_VIDEO_FORMAT_Y42B },
    { SHMOUT_PIX_YUV444P,     GST_VIDEO_FORMAT_Y444 },
    { SHMOUT_PIX_YUVA420P,    GST_VIDEO_FORMAT_A420 },
    { SHMOUT_PIX_YUV420P10LE, GST_VIDEO_FORMAT_I420_10LE },
    { SHMOUT_PIX_YUV422P10LE, GST_VIDEO_FORMAT_I422_10LE },
    { SHMOUT_PIX_YUV444P10LE, GST_VIDEO_FORMAT_Y444_10LE },
    { SHMOUT_PIX_NV12,        GST_VIDEO_FORMAT_NV12 },
    { SHMOUT_PIX_NV21,        GST_VIDEO_FORMAT_NV21 },
    { SHMOUT_PIX_P010LE,      GST_VIDEO_FORMAT_P010_10LE },
    { SHMOUT_PIX_YUYV422,     GST_VIDEO_FORMAT_YUY2 },
    { SHMOUT_PIX_UYVY422,     GST_VIDEO_FORMAT_UYVY },
};

GstVideoFormat gst_shmout_format_to_gst(uint32_t pix_fmt)
{
    for (gsize i = 0; i < G_N_ELEMENTS(formats); i++)
        if (formats[i].code == pix_fmt)
            return formats[i].format;
    return GST_VIDEO_FORMAT_UNKNOWN;
}

uint32_t gst_shmout_format_from_gst(GstVideoFormat format)
{
    for (gsize i = 0; i < G_N_ELEMENTS(formats); i++)
        if (formats[i].format == format)
            return formats[i].code;
    return SHMOUT_PIX_NONE;
}

GstCaps *gst_shmout_template_caps(void)
{
    GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
    GstCaps *caps;

    g_value_init(&list, GST_TYPE_LIST);
    g_value_init(&v, G_TYPE_STRING);
    for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
        g_value_set_string(&v, gst_video_format_to_string(formats[i].format));
        gst_value_list_append_value(&list, &v);
    }
    caps = gst_caps_new_simple("video/x-raw",
                               "width", GST_TYPE_INT_RANGE, 1, 65536,
                               "height", GST_TYPE_INT_RANGE, 1, 65536,
                               "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
    gst_caps_set_value(caps, "format", &list);
    g_value_unset(&v);
    g_value_unset(&list);
    return caps;
}

/* Range and chroma location: FFmpeg's AVColorRange and AVChromaLocation values (PROTOCOL.md
 * §5); matrix, primaries and transfer are H.273 code points, which GStreamer converts itself. */
static GstVideoColorRange range_to_gst(uint8_t range)
{
    return range == 1 ? GST_VIDEO_COLOR_RANGE_16_235 :
           range == 2 ? GST_VIDEO_COLOR_RANGE_0_255 : GST_VIDEO_COLOR_RANGE_UNKNOWN;
}

static uint8_t range_from_gst(GstVideoColorRange range)
{
    return range == GST_VIDEO_COLOR_RANGE_16_235 ? 1 : range == GST_VIDEO_COLOR_RANGE_0_255 ? 2 : 0;
}

static GstVideoChromaSite chroma_to_gst(uint8_t loc)
{
    switch (loc) {
    case 1:  return GST_VIDEO_CHROMA_SITE_MPEG2;         /* left: horizontally co-sited */
    case 2:  return GST_VIDEO_CHROMA_SITE_JPEG;          /* center */
    case 3:  return GST_VIDEO_CHROMA_SITE_COSITED;       /* top left */
    default: return GST_VIDEO_CHROMA_SITE_UNKNOWN;
    }
}

static uint8_t chroma_from_gst(GstVideoChromaSite site)
{
    return site == GST_VIDEO_CHROMA_SITE_MPEG2 ? 1 : site == GST_VIDEO_CHROMA_SITE_JPEG ? 2 :
           site == GST_VIDEO_CHROMA_SITE_COSITED ? 3 : 0;
}

gboolean gst_shmout_info_from_geometry(GstVideoInfo *info, const struct shmout_geometry *g,
                                       gint fps_n, gint fps_d, GError **error)
{
    GstVideoFormat format = gst_shmout_format_to_gst(g->pix_fmt);
    GstVideoColorimetry *c = &info->colorimetry;
    char name[SHMOUT_PIX_FMT_NAME_LEN];

    memcpy(name, g->pix_fmt_name, sizeof(name));
    name[sizeof(name) - 1] = 0;
    if (format == GST_VIDEO_FORMAT_UNKNOWN) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "the block holds pixel format '%s' (code %u), which GStreamer has no format "
                    "for; write the block in one it has, e.g. ffmpeg ... -pix_fmt rgba -f shmout",
                    name[0] ? name : "?", g->pix_fmt);
        return FALSE;
    }
    if (!gst_video_info_set_format(info, format, g->width, g->height)) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "GStreamer cannot describe %ux%u %s", g->width, g->height, name);
        return FALSE;
    }
    if (GST_VIDEO_INFO_N_PLANES(info) != g->nb_planes) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "the block's %s frames have %u planes, GStreamer's %s has %u",
                    name, g->nb_planes, gst_video_format_to_string(format),
                    GST_VIDEO_INFO_N_PLANES(info));
        return FALSE;
    }
    info->fps_n = fps_n;
    info->fps_d = fps_d;
    if (g->sar_num > 0 && g->sar_den > 0) {
        info->par_n = g->sar_num;
        info->par_d = g->sar_den;
    }
    c->range = range_to_gst(g->color.range);
    c->matrix = gst_video_color_matrix_from_iso(g->color.matrix);
    c->transfer = gst_video_transfer_function_from_iso(g->color.transfer);
    c->primaries = gst_video_color_primaries_from_iso(g->color.primaries);
    info->chroma_site = chroma_to_gst(g->color.chroma_location);
    return TRUE;
}

gboolean gst_shmout_geometry_from_info(struct shmout_geometry *g, const GstVideoInfo *info,
                                       GError **error)
{
    GstVideoFormat format = GST_VIDEO_INFO_FORMAT(info);
    uint32_t code = gst_shmout_format_from_gst(format);
    const GstVideoColorimetry *c = &info->colorimetry;
    gint64 dar_n, dar_d, d;

    if (code == SHMOUT_PIX_NONE) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "a block cannot hold %s; put videoconvert before shmoutsink "
                    "(gst-inspect-1.0 shmoutsink lists the formats)",
                    gst_video_format_to_string(format));
        return FALSE;
    }
    /* the library's plane widths and heights for the format, GStreamer's offsets and strides */
    if (shmout_geometry_init(g, code, GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info),
                             1) < 0) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, "%s", shmout_errmsg());
        return FALSE;
    }
    for (guint p = 0; p < g->nb_planes; p++) {
        g->plane_offset[p] = GST_VIDEO_INFO_PLANE_OFFSET(info, p);
        g->plane_linesize[p] = (uint32_t)GST_VIDEO_INFO_PLANE_STRIDE(info, p);
    }
    g->frame_bytes = GST_VIDEO_INFO_SIZE(info);
    g->sar_num = GST_VIDEO_INFO_PAR_N(info);
    g->sar_den = GST_VIDEO_INFO_PAR_D(info);
    dar_n = (gint64)g->width * g->sar_num;
    dar_d = (gint64)g->height * g->sar_den;
    d = gst_util_greatest_common_divisor_int64(dar_n, dar_d);
    if (d > 0 && dar_n / d <= G_MAXINT32 && dar_d / d <= G_MAXINT32) {
        g->dar_num = (int32_t)(dar_n / d);
        g->dar_den = (int32_t)(dar_d / d);
    }
    g->color.range = range_from_gst(c->range);
    g->color.matrix = (uint8_t)gst_video_color_matrix_to_iso(c->matrix);
    g->color.primaries = (uint8_t)gst_video_color_primaries_to_iso(c->primaries);
    g->color.transfer = (uint8_t)gst_video_transfer_function_to_iso(c->transfer);
    g->color.chroma_location = chroma_from_gst(info->chroma_site);
    if (shmout_geometry_check(g, 0) < 0) {
        g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
                    "GStreamer's layout of %dx%d %s is not a valid block geometry: %s",
                    GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info),
                    gst_video_format_to_string(format), shmout_errmsg());
        return FALSE;
    }
    return TRUE;
}
