/*
 * Shared-memory video devices: helpers shared by the shmout muxer and the shmin demuxer
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

/* Error translation, block listing and frame geometry for the shm devices. */

#include <stdlib.h>

#include "libavutil/avstring.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "shmdev_common.h"

int ff_shmdev_error(void *logctx, int err, const char *what)
{
    const char *msg = shmout_errmsg();
    av_log(logctx, AV_LOG_ERROR, "%s: %s\n", what, msg[0] ? msg : shmout_strerror(err));
    return AVERROR(-err);
}

int ff_shmdev_get_device_list(AVFormatContext *s, AVDeviceInfoList *device_list)
{
    struct shmout_block_info *blocks = NULL;
    size_t nb_blocks = 0, i;
    int ret;

    if (!device_list)
        return AVERROR(EINVAL);
    if ((ret = shmout_list(&blocks, &nb_blocks)) < 0)
        return ff_shmdev_error(s, ret, "Cannot list shared-memory blocks");

    for (i = 0; i < nb_blocks; i++) {
        const struct shmout_block_info *b = &blocks[i];
        AVDeviceInfo *device = av_mallocz(sizeof(*device));

        if (!device) {
            ret = AVERROR(ENOMEM);
            break;
        }
        device->device_name = av_strdup(b->name);
        device->device_description = av_asprintf("%s, %ux%u %s, %s, pid %d",
            shmout_memtype_name(b->memtype), b->geometry.width, b->geometry.height,
            b->geometry.pix_fmt_name[0] ? b->geometry.pix_fmt_name : "-",
            shmout_status_name(b->status),
            (int)b->owner_pid);
        if (!device->device_name || !device->device_description ||
            (ret = av_dynarray_add_nofree(&device_list->devices,
                                          &device_list->nb_devices, device)) < 0) {
            av_freep(&device->device_name);
            av_freep(&device->device_description);
            av_freep(&device);
            ret = ret < 0 ? ret : AVERROR(ENOMEM);
            break;
        }
    }
    free(blocks);
    return ret < 0 ? ret : 0;
}

int ff_shmdev_geometry_from_frame(void *logctx, const AVFrame *frame,
                                  struct shmout_geometry *g)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(frame->format);
    const char *name = av_get_pix_fmt_name(frame->format);
    ptrdiff_t linesizes[4];
    size_t sizes[4];
    int ls[4], i, ret;
    uint64_t offset = 0;

    if (!desc || !name || (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                                          AV_PIX_FMT_FLAG_PAL))) {
        av_log(logctx, AV_LOG_ERROR, "Pixel format %s cannot be stored in a shared-memory block: "
               "convert it first (e.g. -pix_fmt rgba)\n", name ? name : "none");
        return AVERROR(EINVAL);
    }
    if (strlen(name) >= sizeof(g->pix_fmt_name)) {
        av_log(logctx, AV_LOG_ERROR, "Pixel format name %s is too long for the block header\n", name);
        return AVERROR(EINVAL);
    }
    if ((ret = av_image_fill_linesizes(ls, frame->format, frame->width)) < 0)
        return ret;
    for (i = 0; i < 4; i++)
        linesizes[i] = ls[i];
    if ((ret = av_image_fill_plane_sizes(sizes, frame->format, frame->height, linesizes)) < 0)
        return ret;

    memset(g, 0, sizeof(*g));
    g->width  = frame->width;
    g->height = frame->height;
    g->pix_fmt = shmout_pix_fmt_from_name(name);
    av_strlcpy(g->pix_fmt_name, name, sizeof(g->pix_fmt_name));
    for (i = 0; i < 4 && sizes[i]; i++) {
        g->plane_offset[i]    = offset;
        g->plane_linesize[i]  = ls[i];
        g->plane_bytewidth[i] = ls[i];
        g->plane_height[i]    = sizes[i] / ls[i];
        offset = FFALIGN(offset + sizes[i], SHMOUT_PLANE_ALIGN);
    }
    g->nb_planes = i;
    g->frame_bytes = g->plane_offset[i - 1] + sizes[i - 1];
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
    g->color.transfer        = frame->color_trc;
    g->color.chroma_location = frame->chroma_location;

    if ((ret = shmout_geometry_check(g, 0)) < 0)
        return ff_shmdev_error(logctx, ret, "Invalid frame geometry");
    return 0;
}
