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

/* Error translation, block listing and frame layout for the shm devices. */

#include <stdlib.h>

#include "libavutil/avstring.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
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

int ff_shmdev_layout(struct shmout_geometry *g, enum AVPixelFormat fmt, int packed_bpp,
                     int width, int height)
{
    int linesize[4] = { 0 }, rows[4] = { 0 }, ret;
    uint64_t offset = 0, end = 0;

    if (packed_bpp) {
        linesize[0] = width * packed_bpp;
        rows[0]     = height;
    } else {
        ptrdiff_t linesizes[4];
        size_t sizes[4];

        if ((ret = av_image_fill_linesizes(linesize, fmt, width)) < 0)
            return ret;
        for (int i = 0; i < 4; i++)
            linesizes[i] = linesize[i];
        if ((ret = av_image_fill_plane_sizes(sizes, fmt, height, linesizes)) < 0)
            return ret;
        for (int i = 0; i < 4 && sizes[i]; i++)
            rows[i] = sizes[i] / linesize[i];
    }
    g->width  = width;
    g->height = height;
    g->nb_planes = 0;
    for (int i = 0; i < 4; i++) {
        int used = rows[i] > 0;

        g->plane_offset[i]    = used ? offset : 0;
        g->plane_linesize[i]  = used ? linesize[i] : 0;
        g->plane_bytewidth[i] = used ? linesize[i] : 0;
        g->plane_height[i]    = rows[i];
        if (used) {
            g->nb_planes = i + 1;
            end    = offset + (uint64_t)linesize[i] * rows[i];
            offset = FFALIGN(end, SHMOUT_PLANE_ALIGN);
        }
    }
    g->frame_bytes = end;
    return 0;
}
