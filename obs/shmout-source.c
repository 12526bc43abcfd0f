/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (c) 2026 the shmout authors
 *
 * shmout-source.c - OBS Studio source "shmout block" (GPL because it links libobs): shows the
 * newest frame of a shmout block as an async video source. A reader thread waits on the block,
 * copies each new frame (shmout_reader_read, never torn) and outputs it in an OBS format, as it
 * is or converted with libswscale; it shows nothing while no writer is there and follows
 * resizes, writer restarts and changes of the block name in the settings. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <obs-module.h>
#include <util/bmem.h>
#include <util/platform.h>
#include <util/threading.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "shmout.h"

OBS_DECLARE_MODULE()

#define SRC_ID "shmout_source"
#define SET_NAME "name"
#define SET_MEMTYPE "memtype"
#define SET_PICK "pick"

/* the largest frame side shown: larger than the textures OBS's renderers make */
#define MAX_SIDE 16384

#define blog_src(lvl, s, fmt, ...) \
    blog(lvl, "[shmout source '%s'] " fmt, obs_source_get_name((s)->source), ##__VA_ARGS__)

struct shm_src {
    obs_source_t *source;

    /* reader thread; name and memtype are its copy, changed only while it is stopped */
    pthread_t thread;
    bool thread_started;
    volatile long stop;
    char name[SHMOUT_NAME_MAX + 1];
    int memtype;

    /* the thread's buffers: the block's frame as read, and the converted frame */
    struct shmout_geometry geo;     /* geometry the read buffers are for (width 0: none) */
    struct shmout_geometry refused; /* a geometry that cannot be shown (width 0: none) */
    uint8_t *plane[4];
    int linesize[4];
    enum video_format obs_fmt;      /* format to show it in; VIDEO_FORMAT_NONE: unsupported */
    struct SwsContext *sws;         /* when OBS has no equivalent */
    enum AVPixelFormat sws_src, sws_dst;
    uint8_t *conv[4];
    int conv_linesize[4];
    bool showing;                   /* a frame was output and not yet cleared with NULL */
    uint64_t last_output_ns;        /* when, os_gettime_ns() */
    bool warned_format;
};

/* ---- formats --------------------------------------------------------- */

/* The OBS format that holds pix_fmt as it is, or VIDEO_FORMAT_NONE. */
static enum video_format direct_format(uint32_t pix_fmt)
{
    switch (pix_fmt) {
    case SHMOUT_PIX_RGBA:        return VIDEO_FORMAT_RGBA;
    case SHMOUT_PIX_BGRA:        return VIDEO_FORMAT_BGRA;
    case SHMOUT_PIX_BGR0:        return VIDEO_FORMAT_BGRX;
    case SHMOUT_PIX_BGR24:       return VIDEO_FORMAT_BGR3;
    case SHMOUT_PIX_GRAY:        return VIDEO_FORMAT_Y800;
    case SHMOUT_PIX_YUV420P:     return VIDEO_FORMAT_I420;
    case SHMOUT_PIX_YUV422P:     return VIDEO_FORMAT_I422;
    case SHMOUT_PIX_YUV444P:     return VIDEO_FORMAT_I444;
    case SHMOUT_PIX_YUVA420P:    return VIDEO_FORMAT_I40A;
    case SHMOUT_PIX_YUV420P10LE: return VIDEO_FORMAT_I010;
    case SHMOUT_PIX_YUV422P10LE: return VIDEO_FORMAT_I210;
    case SHMOUT_PIX_NV12:        return VIDEO_FORMAT_NV12;
    case SHMOUT_PIX_P010LE:      return VIDEO_FORMAT_P010;
    case SHMOUT_PIX_YUYV422:     return VIDEO_FORMAT_YUY2;
    case SHMOUT_PIX_UYVY422:     return VIDEO_FORMAT_UYVY;
    default:                     return VIDEO_FORMAT_NONE;
    }
}

/* For a format OBS lacks: the FFmpeg format swscale converts it to, and its OBS name. */
static bool convert_format(enum AVPixelFormat src, enum AVPixelFormat *dst, enum video_format *obs)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src);
    bool alpha;

    if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL)))
        return false;
    alpha = (d->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
    if ((d->flags & AV_PIX_FMT_FLAG_RGB) || (d->nb_components == 2 && alpha)) {
        *dst = AV_PIX_FMT_RGBA, *obs = VIDEO_FORMAT_RGBA;       /* RGB-ish, gray + alpha */
    } else if (d->nb_components == 1) {
        *dst = AV_PIX_FMT_GRAY8, *obs = VIDEO_FORMAT_Y800;      /* deeper gray */
    } else if (alpha) {
        *dst = AV_PIX_FMT_YUVA444P, *obs = VIDEO_FORMAT_YUVA;   /* YUV with alpha */
    } else if (d->log2_chroma_w == 0 && d->log2_chroma_h == 0) {
        *dst = AV_PIX_FMT_YUV444P, *obs = VIDEO_FORMAT_I444;
    } else if (d->log2_chroma_h == 0) {
        *dst = AV_PIX_FMT_YUV422P, *obs = VIDEO_FORMAT_I422;
    } else {
        *dst = AV_PIX_FMT_YUV420P, *obs = VIDEO_FORMAT_I420;
    }
    return sws_isSupportedInput(src) && sws_isSupportedOutput(*dst);
}

/* frame colour from the block's H.273 matrix/transfer and FFmpeg range */
static void set_color(struct obs_source_frame *f, const struct shmout_geometry *g)
{
    enum video_colorspace cs;
    enum video_range_type range;

    f->trc = VIDEO_TRC_DEFAULT;
    if (!format_is_yuv(f->format)) {
        f->full_range = true;
        video_format_get_parameters_for_format(VIDEO_CS_SRGB, VIDEO_RANGE_FULL, f->format,
                                               f->color_matrix, f->color_range_min,
                                               f->color_range_max);
        return;
    }
    switch (g->color.matrix) {
    case 1:          cs = VIDEO_CS_709; break;
    case 5: case 6:  cs = VIDEO_CS_601; break;
    case 9: case 10:
        /* OBS 29 knows BT.2020 only as BT.2100; the matrix is the same */
        cs = g->color.transfer == 18 ? VIDEO_CS_2100_HLG : VIDEO_CS_2100_PQ;
        f->trc = g->color.transfer == 16 ? VIDEO_TRC_PQ
               : g->color.transfer == 18 ? VIDEO_TRC_HLG : VIDEO_TRC_DEFAULT;
        break;
    default:         cs = g->height >= 720 ? VIDEO_CS_709 : VIDEO_CS_601; break; /* unspecified */
    }
    range = g->color.range == 2 ? VIDEO_RANGE_FULL : VIDEO_RANGE_PARTIAL;
    f->full_range = range == VIDEO_RANGE_FULL;
    video_format_get_parameters_for_format(cs, range, f->format, f->color_matrix,
                                           f->color_range_min, f->color_range_max);
}

/* ---- buffers ---------------------------------------------------------- */

static void free_buffers(struct shm_src *s)
{
    for (int i = 0; i < 4; i++) {
        bfree(s->plane[i]);
        s->plane[i] = NULL;
        s->linesize[i] = 0;
    }
    if (s->conv[0])
        bfree(s->conv[0]);
    memset(s->conv, 0, sizeof(s->conv));
    memset(s->conv_linesize, 0, sizeof(s->conv_linesize));
    sws_freeContext(s->sws);
    s->sws = NULL;
    memset(&s->geo, 0, sizeof(s->geo));
    s->obs_fmt = VIDEO_FORMAT_NONE;
}

/* libobs and libswscale take the pixels by format, width and height, not by the block's plane
 * table: the planes must be those of the format at its size (as the shmout device writes them),
 * or a hostile block could announce a large frame in small planes. */
static bool planes_fit(const struct shmout_geometry *g, enum AVPixelFormat fmt)
{
    int linesize[4];
    ptrdiff_t linesizes[4];
    size_t sizes[4];

    if (g->width > MAX_SIDE || g->height > MAX_SIDE ||
        av_image_fill_linesizes(linesize, fmt, (int)g->width) < 0)
        return false;
    for (int i = 0; i < 4; i++)
        linesizes[i] = linesize[i];
    if (av_image_fill_plane_sizes(sizes, fmt, (int)g->height, linesizes) < 0)
        return false;
    for (uint32_t i = 0; i < 4; i++) {
        bool used = i < g->nb_planes;
        if (used != (sizes[i] > 0) || (used && (linesize[i] <= 0 ||
                                                g->plane_bytewidth[i] != (uint32_t)linesize[i] ||
                                                g->plane_height[i] != sizes[i] / linesize[i])))
            return false;
    }
    return true;
}

/* Buffers and conversion for geometry g. false: OBS cannot show it (nothing allocated). */
static bool setup_buffers(struct shm_src *s, const struct shmout_geometry *g)
{
    uint32_t fmt_code = g->pix_fmt;
    enum AVPixelFormat av_fmt = av_get_pix_fmt(g->pix_fmt_name);

    free_buffers(s);
    if (av_fmt == AV_PIX_FMT_NONE || !planes_fit(g, av_fmt))
        return false;
    if (fmt_code == SHMOUT_PIX_OTHER || !shmout_pix_fmt_name(fmt_code))
        fmt_code = shmout_pix_fmt_from_name(g->pix_fmt_name);
    s->obs_fmt = direct_format(fmt_code);
    if (s->obs_fmt == VIDEO_FORMAT_NONE) {
        /* convert with swscale */
        s->sws_src = av_fmt;
        if (!convert_format(s->sws_src, &s->sws_dst, &s->obs_fmt))
            goto refuse;
        s->sws = sws_getContext((int)g->width, (int)g->height, s->sws_src,
                                (int)g->width, (int)g->height, s->sws_dst,
                                SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL,
                                NULL);
        if (!s->sws)
            goto refuse;
    }
    /* bytewidth <= 65536 * 8 (planes_fit): rounding it up stays far below INT_MAX */
    s->geo = *g;
    for (uint32_t i = 0; i < g->nb_planes; i++) {
        s->linesize[i] = (int)((g->plane_bytewidth[i] + 63u) & ~63u);
        s->plane[i] = bmalloc((size_t)s->linesize[i] * g->plane_height[i]);
    }
    if (!s->sws)
        return true;
    {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(s->sws_dst);
        size_t total = 0, off[4] = { 0 };
        int np = 0;
        for (int c = 0; c < d->nb_components; c++)
            if (d->comp[c].plane + 1 > np)
                np = d->comp[c].plane + 1;
        for (int p = 0; p < np; p++) {
            int cw = (p == 1 || p == 2) ? AV_CEIL_RSHIFT((int)g->width, d->log2_chroma_w)
                                        : (int)g->width;
            int ch = (p == 1 || p == 2) ? AV_CEIL_RSHIFT((int)g->height, d->log2_chroma_h)
                                        : (int)g->height;
            int bpp = s->sws_dst == AV_PIX_FMT_RGBA ? 4 : 1;
            s->conv_linesize[p] = (cw * bpp + 63) & ~63;
            off[p] = total;
            total += (size_t)s->conv_linesize[p] * (size_t)ch;
        }
        s->conv[0] = bmalloc(total + 64);
        for (int p = 1; p < np; p++)
            s->conv[p] = s->conv[0] + off[p];
    }
    return true;

refuse:
    free_buffers(s);
    return false;
}

static void clear_output(struct shm_src *s)
{
    if (s->showing)
        obs_source_output_video(s->source, NULL);
    s->showing = false;
}

/* ---- reader thread ------------------------------------------------------ */

static int stop_requested(void *opaque)
{
    struct shm_src *s = opaque;
    return os_atomic_load_long(&s->stop) != 0;
}

/* sleep ms, returning early (true) when asked to stop */
static bool nap(struct shm_src *s, int ms)
{
    for (; ms > 0; ms -= 20) {
        if (stop_requested(s))
            return true;
        os_sleep_ms(ms < 20 ? ms : 20);
    }
    return stop_requested(s);
}

static void output_frame(struct shm_src *s, const struct shmout_geometry *g,
                         const struct shmout_frame_meta *meta)
{
    struct obs_source_frame f;

    memset(&f, 0, sizeof(f));
    f.width = g->width;
    f.height = g->height;
    f.format = s->obs_fmt;
    f.timestamp = meta->monotonic_ns ? meta->monotonic_ns : os_gettime_ns();
    if (s->sws) {
        const uint8_t *src[4] = { s->plane[0], s->plane[1], s->plane[2], s->plane[3] };
        sws_scale(s->sws, src, s->linesize, 0, (int)g->height, s->conv, s->conv_linesize);
        for (int i = 0; i < 4; i++) {
            f.data[i] = s->conv[i];
            f.linesize[i] = (uint32_t)s->conv_linesize[i];
        }
    } else {
        for (int i = 0; i < 4; i++) {
            f.data[i] = s->plane[i];
            f.linesize[i] = (uint32_t)s->linesize[i];
        }
    }
    set_color(&f, g);
    obs_source_output_video(s->source, &f);
    s->showing = true;
    s->last_output_ns = os_gettime_ns();
}

/* The writer is gone: show nothing, but only once OBS's video thread has had 3 ticks to take
 * the last frame (a NULL frame drops the frames libobs has queued but not shown yet, and a
 * writer usually closes right after its last frame). */
static void writer_gone(struct shm_src *s)
{
    if (s->showing) {
        uint64_t grace = 3 * obs_get_frame_interval_ns(), since = os_gettime_ns() - s->last_output_ns;
        if (since < grace && nap(s, (int)((grace - since) / 1000000) + 1))
            return;
    }
    clear_output(s);
}

/* Read the newest frame and show it. Returns 0, -EAGAIN (no intact frame: the writer kept
 * overwriting it, or announces one it never wrote) or another error of shmout_reader_read. */
static int read_and_show(struct shm_src *s, shmout_reader *r)
{
    struct shmout_geometry got;
    struct shmout_frame_meta meta;
    int ret, status;

    for (int tries = 0; tries < 3; tries++) {
        ret = shmout_reader_read(r, &s->geo, s->plane, s->linesize, &got, &meta);
        if (ret != -EMSGSIZE)
            break;
        if (s->refused.width && !memcmp(&got, &s->refused, sizeof(got))) {
            /* a frame that cannot be shown: take it without copying it, show nothing */
            struct shmout_frame_view view;
            ret = shmout_reader_acquire(r, &view);
            if (ret == 0)
                clear_output(s);
            return ret;
        }
        memset(&s->refused, 0, sizeof(s->refused));
        if (!setup_buffers(s, &got)) {
            if (!s->warned_format)
                blog_src(LOG_WARNING, s, "block %s: its %" PRIu32 "x%" PRIu32 " %s frames "
                         "cannot be shown", s->name, got.width, got.height, got.pix_fmt_name);
            s->warned_format = true;
            s->refused = got;
        }
    }
    if (ret == -EMSGSIZE)
        return -EAGAIN;             /* the geometry kept changing: soon again */
    if (ret < 0)
        return ret;
    /* the last frame of a writer that is gone is not shown (unless it was published just now,
     * right before the writer closed) */
    status = shmout_reader_status(r);
    if (status != SHMOUT_STATUS_ACTIVE && status != SHMOUT_STATUS_INACTIVE &&
        (!meta.monotonic_ns || os_gettime_ns() - meta.monotonic_ns > 200000000u)) {
        clear_output(s);
        return 0;
    }
    output_frame(s, &got, &meta);
    return 0;
}

static void *reader_thread(void *data)
{
    struct shm_src *s = data;
    struct shmout_reader_options opts = { 0 };
    bool warned = false;
    int backoff = 0;

    os_set_thread_name("shmout-source");
    opts.mode = SHMOUT_READ_LATEST;
    opts.interrupt = stop_requested;
    opts.interrupt_opaque = s;

    while (!stop_requested(s)) {
        shmout_reader *r = NULL;
        int ret = shmout_reader_open_opts(&r, s->name, s->memtype, -1, &opts);

        if (ret == -EINTR)
            break;
        if (ret < 0) {
            if (!warned)
                blog_src(LOG_WARNING, s, "block %s: %s", s->name, shmout_errmsg());
            warned = true;
            clear_output(s);
            if (nap(s, 500))
                break;
            continue;
        }
        warned = false;
        blog_src(LOG_INFO, s, "attached to block %s (%s)", s->name,
                 shmout_memtype_name(s->memtype));
        while (!stop_requested(s)) {
            ret = shmout_reader_wait(r, 100);
            if (ret == 0) {
                ret = read_and_show(s, r);
                if (ret == -EAGAIN) {
                    /* the wait would say "new frame" again at once: 1, 2, 4 ... 32 ms, short
                     * for a writer that lapped us, no busy loop on a broken one */
                    backoff = backoff ? (backoff < 32 ? 2 * backoff : 32) : 1;
                    if (nap(s, backoff))
                        break;
                    ret = 0;
                    continue;
                }
                backoff = 0;
                if (ret < 0)
                    break;                  /* -EPROTO: open it again */
            } else if (ret == -ESTALE || ret == -ESHUTDOWN) {
                writer_gone(s);             /* no writer: show nothing */
            } else if (ret != -ETIMEDOUT) {
                break;                      /* -EPROTO: open it again */
            }
        }
        shmout_reader_close(r);
        clear_output(s);
        if (ret != -ETIMEDOUT && ret != 0 && ret != -ESTALE && ret != -ESHUTDOWN && nap(s, 200))
            break;
    }
    clear_output(s);
    free_buffers(s);
    return NULL;
}

static void stop_thread(struct shm_src *s)
{
    if (!s->thread_started)
        return;
    os_atomic_set_long(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->thread_started = false;
}

static void start_thread(struct shm_src *s)
{
    if (!s->name[0]) {
        obs_source_output_video(s->source, NULL);
        return;
    }
    os_atomic_set_long(&s->stop, 0);
    s->warned_format = false;
    memset(&s->refused, 0, sizeof(s->refused));
    if (pthread_create(&s->thread, NULL, reader_thread, s) == 0)
        s->thread_started = true;
    else
        blog_src(LOG_ERROR, s, "cannot start the reader thread");
}

/* ---- obs_source_info ------------------------------------------------------ */

static const char *src_get_name(void *unused)
{
    UNUSED_PARAMETER(unused);
    return "shmout block";
}

static void src_update(void *data, obs_data_t *settings)
{
    struct shm_src *s = data;
    const char *name = obs_data_get_string(settings, SET_NAME);
    int memtype = (int)obs_data_get_int(settings, SET_MEMTYPE);

    if (memtype != SHMOUT_MEMTYPE_GLOBAL)
        memtype = SHMOUT_MEMTYPE_LOCAL;
    if (s->thread_started && !strcmp(name, s->name) && memtype == s->memtype)
        return;
    stop_thread(s);
    /* a name too long for s->name is invalid: not cut to another block's name */
    if (name[0] && shmout_name_validate(name, NULL, 0) < 0) {
        blog_src(LOG_WARNING, s, "'%s' is not a valid block name: %s", name, shmout_errmsg());
        name = "";
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->memtype = memtype;
    start_thread(s);
}

static void *src_create(obs_data_t *settings, obs_source_t *source)
{
    struct shm_src *s = bzalloc(sizeof(*s));

    s->source = source;
    obs_source_set_async_unbuffered(source, true);   /* live: show the newest frame */
    src_update(s, settings);
    return s;
}

static void src_destroy(void *data)
{
    struct shm_src *s = data;

    stop_thread(s);
    bfree(s);
}

static void src_defaults(obs_data_t *settings)
{
    obs_data_set_default_string(settings, SET_NAME, "");
    obs_data_set_default_int(settings, SET_MEMTYPE, SHMOUT_MEMTYPE_LOCAL);
}

/* picking a block from the list fills in name and memtype */
static bool pick_modified(obs_properties_t *props, obs_property_t *p, obs_data_t *settings)
{
    const char *v = obs_data_get_string(settings, SET_PICK);
    const char *slash = strchr(v, '/');

    UNUSED_PARAMETER(props);
    UNUSED_PARAMETER(p);
    if (!slash)
        return false;
    obs_data_set_int(settings, SET_MEMTYPE,
                     !strncmp(v, "global", 6) ? SHMOUT_MEMTYPE_GLOBAL : SHMOUT_MEMTYPE_LOCAL);
    obs_data_set_string(settings, SET_NAME, slash + 1);
    obs_data_set_string(settings, SET_PICK, "");
    return true;
}

static void fill_block_list(obs_property_t *list)
{
    struct shmout_block_info *info = NULL;
    size_t n = 0;

    obs_property_list_clear(list);
    obs_property_list_add_string(list, "(pick a block, or type its name below)", "");
    if (shmout_list(&info, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char label[256], value[SHMOUT_NAME_MAX + 16];
        const struct shmout_geometry *g = &info[i].geometry;
        snprintf(label, sizeof(label), "%s (%s) %" PRIu32 "x%" PRIu32 " %s, %s", info[i].name,
                 shmout_memtype_name(info[i].memtype), g->width, g->height,
                 g->pix_fmt_name[0] ? g->pix_fmt_name : "?", shmout_status_name(info[i].status));
        snprintf(value, sizeof(value), "%s/%s", shmout_memtype_name(info[i].memtype),
                 info[i].name);
        obs_property_list_add_string(list, label, value);
    }
    free(info);
}

static bool refresh_clicked(obs_properties_t *props, obs_property_t *p, void *data)
{
    UNUSED_PARAMETER(p);
    UNUSED_PARAMETER(data);
    fill_block_list(obs_properties_get(props, SET_PICK));
    return true;
}

static obs_properties_t *src_properties(void *data)
{
    obs_properties_t *props = obs_properties_create();
    obs_property_t *p;

    UNUSED_PARAMETER(data);
    p = obs_properties_add_list(props, SET_PICK, "Blocks on this machine", OBS_COMBO_TYPE_LIST,
                                OBS_COMBO_FORMAT_STRING);
    fill_block_list(p);
    obs_property_set_modified_callback(p, pick_modified);
    obs_properties_add_button(props, "refresh", "Refresh list", refresh_clicked);
    p = obs_properties_add_text(props, SET_NAME, "Block name", OBS_TEXT_DEFAULT);
    obs_property_set_long_description(p, "The block to show; it may not exist yet: the source "
                                         "waits for it and follows every writer of the name.");
    p = obs_properties_add_list(props, SET_MEMTYPE, "Memory type", OBS_COMBO_TYPE_LIST,
                                OBS_COMBO_FORMAT_INT);
    obs_property_list_add_int(p, "local (this user)", SHMOUT_MEMTYPE_LOCAL);
    obs_property_list_add_int(p, "global (all users)", SHMOUT_MEMTYPE_GLOBAL);
    return props;
}

static struct obs_source_info shmout_source_info = {
    .id = SRC_ID,
    .type = OBS_SOURCE_TYPE_INPUT,
    .output_flags = OBS_SOURCE_ASYNC_VIDEO | OBS_SOURCE_DO_NOT_DUPLICATE,
    .get_name = src_get_name,
    .create = src_create,
    .destroy = src_destroy,
    .update = src_update,
    .get_defaults = src_defaults,
    .get_properties = src_properties,
    .icon_type = OBS_ICON_TYPE_MEDIA,
};

MODULE_EXPORT const char *obs_module_description(void);
const char *obs_module_description(void)
{
    return "shmout block: shows a shmout shared-memory video block (libshmout " SHMOUT_VERSION_STRING ")";
}

MODULE_EXPORT const char *obs_module_name(void);
const char *obs_module_name(void)
{
    return "shmout-obs";
}

bool obs_module_load(void)
{
    obs_register_source(&shmout_source_info);
    return true;
}
