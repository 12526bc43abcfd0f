/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_format.c - the stable pixel-format table, plane layout of a
 * geometry, geometry consistency checks and the data-object layout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shmout_priv.h"

/* Plane p has bytewidth = w(p) * bpp[p] and height h(p); planes 1 and 2 of
 * subsampled formats use the chroma size ceil(w >> log2_cw), ceil(h >> log2_ch). */
struct fmt_desc {
    uint32_t code;
    const char *name;
    uint8_t nb_planes;
    uint8_t log2_cw, log2_ch;
    uint8_t even_width;      /* packed 4:2:2: width rounded up to even */
    uint8_t bpp[4];
};

static const struct fmt_desc fmts[] = {
    { SHMOUT_PIX_RGBA,       "rgba",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_BGRA,       "bgra",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_ARGB,       "argb",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_ABGR,       "abgr",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_RGB24,      "rgb24",      1, 0, 0, 0, { 3 } },
    { SHMOUT_PIX_BGR24,      "bgr24",      1, 0, 0, 0, { 3 } },
    { SHMOUT_PIX_RGB0,       "rgb0",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_BGR0,       "bgr0",       1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_RGBA64LE,   "rgba64le",   1, 0, 0, 0, { 8 } },
    { SHMOUT_PIX_BGRA64LE,   "bgra64le",   1, 0, 0, 0, { 8 } },
    { SHMOUT_PIX_RGB48LE,    "rgb48le",    1, 0, 0, 0, { 6 } },
    { SHMOUT_PIX_GRAY,       "gray",       1, 0, 0, 0, { 1 } },
    { SHMOUT_PIX_GRAY16LE,   "gray16le",   1, 0, 0, 0, { 2 } },
    { SHMOUT_PIX_GRAYF32LE,  "grayf32le",  1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_YA8,        "ya8",        1, 0, 0, 0, { 2 } },
    { SHMOUT_PIX_YA16LE,     "ya16le",     1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_RG8,        "rg8",        1, 0, 0, 0, { 2 } },
    { SHMOUT_PIX_RG16LE,     "rg16le",     1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_RGF16LE,    "rgf16le",    1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_RGF32LE,    "rgf32le",    1, 0, 0, 0, { 8 } },
    { SHMOUT_PIX_GBRP,       "gbrp",       3, 0, 0, 0, { 1, 1, 1 } },
    { SHMOUT_PIX_GBRAP,      "gbrap",      4, 0, 0, 0, { 1, 1, 1, 1 } },
    { SHMOUT_PIX_GBRP16LE,   "gbrp16le",   3, 0, 0, 0, { 2, 2, 2 } },
    { SHMOUT_PIX_GBRAP16LE,  "gbrap16le",  4, 0, 0, 0, { 2, 2, 2, 2 } },
    { SHMOUT_PIX_GBRPF32LE,  "gbrpf32le",  3, 0, 0, 0, { 4, 4, 4 } },
    { SHMOUT_PIX_GBRAPF32LE, "gbrapf32le", 4, 0, 0, 0, { 4, 4, 4, 4 } },
    { SHMOUT_PIX_RGBAF16LE,  "rgbaf16le",  1, 0, 0, 0, { 8 } },
    { SHMOUT_PIX_RGBAF32LE,  "rgbaf32le",  1, 0, 0, 0, { 16 } },
    { SHMOUT_PIX_RGBF32LE,   "rgbf32le",   1, 0, 0, 0, { 12 } },
    { SHMOUT_PIX_X2RGB10LE,  "x2rgb10le",  1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_X2BGR10LE,  "x2bgr10le",  1, 0, 0, 0, { 4 } },
    { SHMOUT_PIX_YUV420P,    "yuv420p",    3, 1, 1, 0, { 1, 1, 1 } },
    { SHMOUT_PIX_YUV422P,    "yuv422p",    3, 1, 0, 0, { 1, 1, 1 } },
    { SHMOUT_PIX_YUV444P,    "yuv444p",    3, 0, 0, 0, { 1, 1, 1 } },
    { SHMOUT_PIX_YUVA420P,   "yuva420p",   4, 1, 1, 0, { 1, 1, 1, 1 } },
    { SHMOUT_PIX_YUV420P10LE,"yuv420p10le",3, 1, 1, 0, { 2, 2, 2 } },
    { SHMOUT_PIX_YUV422P10LE,"yuv422p10le",3, 1, 0, 0, { 2, 2, 2 } },
    { SHMOUT_PIX_YUV444P10LE,"yuv444p10le",3, 0, 0, 0, { 2, 2, 2 } },
    { SHMOUT_PIX_NV12,       "nv12",       2, 1, 1, 0, { 1, 2 } },
    { SHMOUT_PIX_NV21,       "nv21",       2, 1, 1, 0, { 1, 2 } },
    { SHMOUT_PIX_P010LE,     "p010le",     2, 1, 1, 0, { 2, 4 } },
    { SHMOUT_PIX_YUYV422,    "yuyv422",    1, 0, 0, 1, { 2 } },
    { SHMOUT_PIX_UYVY422,    "uyvy422",    1, 0, 0, 1, { 2 } },
};

static const struct fmt_desc *find_fmt(uint32_t code)
{
    size_t i;

    for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
        if (fmts[i].code == code)
            return &fmts[i];
    return NULL;
}

const char *shmout_pix_fmt_name(uint32_t pix_fmt)
{
    const struct fmt_desc *d = find_fmt(pix_fmt);

    return d ? d->name : NULL;
}

uint32_t shmout_pix_fmt_from_name(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof(fmts) / sizeof(fmts[0]); i++)
        if (!strcmp(fmts[i].name, name))
            return fmts[i].code;
    return SHMOUT_PIX_OTHER;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int shmout_geometry_init(struct shmout_geometry *g, uint32_t pix_fmt,
                         uint32_t width, uint32_t height, uint32_t linesize_align)
{
    const struct fmt_desc *d = find_fmt(pix_fmt);
    uint64_t off = 0;
    unsigned p;

    memset(g, 0, sizeof(*g));
    /* Colour unknown: H.273's "unspecified" is 2 (0 is the identity matrix, reserved primaries
     * and transfer); range and chroma location use 0 for it. */
    g->color.matrix = g->color.primaries = g->color.transfer = 2;
    if (!d)
        return shmout_priv_fail(-EINVAL, "unknown shmout pixel format code %u "
                                "(use a SHMOUT_PIX_* constant; for other formats fill "
                                "the geometry yourself)", (unsigned)pix_fmt);
    if (!width || !height || width > 65536 || height > 65536)
        return shmout_priv_fail(-EINVAL, "invalid frame size %ux%u (1..65536 each)",
                                (unsigned)width, (unsigned)height);
    if (!linesize_align || linesize_align > 4096 || (linesize_align & (linesize_align - 1)))
        return shmout_priv_fail(-EINVAL, "linesize alignment %u is not a power of two "
                                "<= 4096", (unsigned)linesize_align);
    g->width = width;
    g->height = height;
    g->pix_fmt = pix_fmt;
    g->nb_planes = d->nb_planes;
    snprintf(g->pix_fmt_name, sizeof(g->pix_fmt_name), "%s", d->name);
    for (p = 0; p < d->nb_planes; p++) {
        int chroma = p == 1 || p == 2;
        uint64_t w = chroma ? ((uint64_t)width + (1u << d->log2_cw) - 1) >> d->log2_cw : width;
        uint64_t h = chroma ? ((uint64_t)height + (1u << d->log2_ch) - 1) >> d->log2_ch : height;
        if (d->even_width)
            w = align_up(w, 2);
        g->plane_bytewidth[p] = (uint32_t)(w * d->bpp[p]);   /* <= 65536*16 */
        g->plane_linesize[p] = (uint32_t)align_up(w * d->bpp[p], linesize_align);
        g->plane_height[p] = (uint32_t)h;
        off = align_up(off, SHMOUT_PLANE_ALIGN);
        g->plane_offset[p] = off;
        off += (uint64_t)g->plane_linesize[p] * h;
    }
    g->frame_bytes = off;
    return 0;
}

int shmout_geometry_check(const struct shmout_geometry *g, uint64_t capacity)
{
    uint64_t size;
    unsigned p;

    if (!g->width || !g->height || g->width > 65536 || g->height > 65536)
        return shmout_priv_fail(-EINVAL, "invalid frame size %ux%u (1..65536 each)",
                                (unsigned)g->width, (unsigned)g->height);
    if (g->pix_fmt == SHMOUT_PIX_NONE)
        return shmout_priv_fail(-EINVAL, "pixel format code 0 (none)");
    if (!memchr(g->pix_fmt_name, 0, sizeof(g->pix_fmt_name)) || !g->pix_fmt_name[0])
        return shmout_priv_fail(-EINVAL, "pixel format name is empty or not NUL-terminated");
    /* printed by tools and logs: nothing but a-z 0-9 _, as FFmpeg's names */
    if (strspn(g->pix_fmt_name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(g->pix_fmt_name))
        return shmout_priv_fail(-EINVAL, "pixel format name has characters other than a-z 0-9 _");
    /* codes this version does not know (a newer minor's) count as OTHER */
    if (find_fmt(g->pix_fmt) && strcmp(g->pix_fmt_name, shmout_pix_fmt_name(g->pix_fmt)))
        return shmout_priv_fail(-EINVAL, "pixel format name '%s' does not match code %u",
                                g->pix_fmt_name, (unsigned)g->pix_fmt);
    if (g->nb_planes < 1 || g->nb_planes > SHMOUT_MAX_PLANES)
        return shmout_priv_fail(-EINVAL, "invalid plane count %u (1..4)", (unsigned)g->nb_planes);
    if (g->frame_bytes > SHMOUT_PRIV_MAX_CAPACITY)
        return shmout_priv_fail(-EINVAL, "frame of %llu bytes is too large",
                                (unsigned long long)g->frame_bytes);
    for (p = 0; p < g->nb_planes; p++) {
        if (!g->plane_linesize[p] || !g->plane_bytewidth[p] || !g->plane_height[p] ||
            g->plane_bytewidth[p] > g->plane_linesize[p] || g->plane_linesize[p] > INT32_MAX)
            return shmout_priv_fail(-EINVAL, "plane %u has invalid linesize %u, byte width "
                                    "%u or height %u", p, (unsigned)g->plane_linesize[p],
                                    (unsigned)g->plane_bytewidth[p],
                                    (unsigned)g->plane_height[p]);
        /* both factors < 2^32: the product fits in 64 bits */
        size = (uint64_t)g->plane_linesize[p] * g->plane_height[p];
        if (g->plane_offset[p] > g->frame_bytes || size > g->frame_bytes - g->plane_offset[p])
            return shmout_priv_fail(-EINVAL, "plane %u (offset %llu, %llu bytes) extends "
                                    "past frame_bytes %llu", p,
                                    (unsigned long long)g->plane_offset[p],
                                    (unsigned long long)size,
                                    (unsigned long long)g->frame_bytes);
    }
    for (; p < SHMOUT_MAX_PLANES; p++)
        if (g->plane_offset[p] || g->plane_linesize[p] || g->plane_bytewidth[p] ||
            g->plane_height[p])
            return shmout_priv_fail(-EINVAL, "unused plane %u is not zeroed", p);
    if (capacity && g->frame_bytes > capacity)
        return shmout_priv_fail(-EFBIG, "frame of %llu bytes exceeds the slot capacity "
                                "of %llu bytes", (unsigned long long)g->frame_bytes,
                                (unsigned long long)capacity);
    return 0;
}

int shmout_priv_segment_layout(uint32_t slots, uint64_t capacity,
                               uint64_t *data_offset, uint64_t *data_stride,
                               uint64_t *size)
{
    if (slots < SHMOUT_MIN_SLOTS || slots > SHMOUT_MAX_SLOTS || !capacity ||
        capacity > SHMOUT_PRIV_MAX_CAPACITY)
        return -EINVAL;
    *data_offset = align_up(sizeof(struct shmout_segment_header) +
                            (uint64_t)slots * sizeof(struct shmout_slot_desc),
                            SHMOUT_DATA_ALIGN);
    *data_stride = align_up(capacity, SHMOUT_DATA_ALIGN);
    /* <= 16 * (2^40 + 4096) + small: no overflow */
    *size = *data_offset + (uint64_t)slots * *data_stride;
    return 0;
}

int shmout_priv_writer_geometry_check(const struct shmout_geometry *g)
{
    if (g->pix_fmt != SHMOUT_PIX_OTHER && !find_fmt(g->pix_fmt))
        return shmout_priv_fail(-EINVAL, "invalid geometry: unknown pixel format code %u (use "
                                "a SHMOUT_PIX_* constant or SHMOUT_PIX_OTHER)",
                                (unsigned)g->pix_fmt);
    if (shmout_geometry_check(g, 0) < 0)
        return shmout_priv_fail(-EINVAL, "invalid geometry: %s", shmout_errmsg());
    return 0;
}
