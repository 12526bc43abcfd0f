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

/* Error translation, block listing, the choice of layout and the frame layout for the shm devices. */


#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>

#include "libavutil/avstring.h"
#include "libavutil/bprint.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/thread.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

int ff_shmdev_error(void *logctx, int err, const char *what)
{
    const char *msg = shmout_errmsg();
    av_log(logctx, AV_LOG_ERROR, "%s: %s\n", what, msg[0] ? msg : shmout_strerror(err));
    return AVERROR(-err);
}

/*
 * The ffmpeg command line's interrupt callback fires only at the second Ctrl-C (it returns
 * received_nb_signals > transcode_init_done), and from FFmpeg 6.1 on, the first one makes the
 * main thread join the demuxer thread: a device waiting for a writer that never comes would
 * hold ffmpeg until the second, and its outputs would never be finished. So the devices also
 * note SIGINT and SIGTERM themselves, in a handler that counts the signal and then calls the
 * handler the application installed (ffmpeg's, ffplay's SDL one), with its flags and mask.
 * Only signals the application handles are watched: by default SIGINT ends the process anyway.
 */
#ifdef SA_SIGINFO                       /* sigaction (not on Windows, whose Ctrl-C goes elsewhere) */
static atomic_int shmdev_signals;
static struct sigaction shmdev_prev[2];

static void shmdev_note_signal(int sig, siginfo_t *info, void *uctx)
{
    const struct sigaction *prev = &shmdev_prev[sig == SIGTERM];

    atomic_fetch_add(&shmdev_signals, 1);
    if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN)
        return;
    if (prev->sa_flags & SA_SIGINFO)
        prev->sa_sigaction(sig, info, uctx);
    else
        prev->sa_handler(sig);
}

static void shmdev_install_watch(void)
{
    static const int sigs[2] = { SIGINT, SIGTERM };

    for (int i = 0; i < 2; i++) {
        struct sigaction sa;

        if (sigaction(sigs[i], NULL, &shmdev_prev[i]) < 0 ||
            shmdev_prev[i].sa_handler == SIG_DFL || shmdev_prev[i].sa_handler == SIG_IGN)
            continue;
        sa = shmdev_prev[i];
        sa.sa_flags |= SA_SIGINFO;
        sa.sa_sigaction = shmdev_note_signal;
        sigaction(sigs[i], &sa, NULL);
    }
}

void ff_shmdev_watch_signals(void)
{
    static AVOnce once = AV_ONCE_INIT;

    ff_thread_once(&once, shmdev_install_watch);
}
#else
void ff_shmdev_watch_signals(void)
{
}
#endif

int ff_shmdev_interrupted(AVFormatContext *s)
{
#ifdef SA_SIGINFO
    if (atomic_load(&shmdev_signals))
        return 1;
#endif
    return s->interrupt_callback.callback && s->interrupt_callback.callback(s->interrupt_callback.opaque);
}

int ff_shmdev_add_device(AVDeviceInfoList *device_list, const char *name, const char *fmt, ...)
{
    AVDeviceInfo *device = av_mallocz(sizeof(*device));
    AVBPrint bp;
    va_list ap;
    int ret = AVERROR(ENOMEM);

    if (!device)
        return ret;
    av_bprint_init(&bp, 0, AV_BPRINT_SIZE_UNLIMITED);
    va_start(ap, fmt);
    av_vbprintf(&bp, fmt, ap);
    va_end(ap);
    av_bprint_finalize(&bp, &device->device_description);
    device->device_name = av_strdup(name);
    if (!device->device_name || !device->device_description ||
        (ret = av_dynarray_add_nofree(&device_list->devices, &device_list->nb_devices, device)) < 0) {
        av_freep(&device->device_name);
        av_freep(&device->device_description);
        av_freep(&device);
        return ret < 0 ? ret : AVERROR(ENOMEM);
    }
    return 0;
}

int ff_shmdev_get_device_list(AVFormatContext *s, AVDeviceInfoList *device_list)
{
    const ShmDevOutLayout *layout;
    int ret;

    if (!device_list)
        return AVERROR(EINVAL);
    if ((ret = ff_shmdev_out_layout(s, SHMDEV_LAYOUT_DEFAULT, &layout)) < 0)
        return ret;
    if (!layout->list) {
        av_log(s, AV_LOG_ERROR, "Blocks in the %s layout cannot be listed: name the block\n",
               layout->name);
        return AVERROR(ENOSYS);
    }
    return layout->list(s, device_list);
}

/* The layouts this build has, by enum ShmDevLayoutId; NULL: not on this system. */
#if HAVE_MMAP
#define OUT_SHMOUT &ff_shmdev_out_shmout
#define IN_SHMOUT  &ff_shmdev_in_shmout
#else
#define OUT_SHMOUT NULL
#define IN_SHMOUT  NULL
#endif
#if HAVE_MAPVIEWOFFILE
#define OUT_TD &ff_shmdev_out_touchdesigner
#define IN_TD  &ff_shmdev_in_touchdesigner
#else
#define OUT_TD NULL
#define IN_TD  NULL
#endif
static const ShmDevOutLayout *const out_layouts[] = { OUT_SHMOUT, OUT_TD };
static const ShmDevInLayout  *const in_layouts[]  = { IN_SHMOUT,  IN_TD };

static int layout_missing(void *logctx, int id)
{
    static const char *const names[] = { "shmout", "touchdesigner" };

    av_log(logctx, AV_LOG_ERROR, "This build has no %s layout: %s\n", names[id],
           id == SHMDEV_LAYOUT_SHMOUT ?
           "the shmout protocol needs POSIX shared memory (Linux); use -layout touchdesigner here" :
           "TouchDesigner's layout is Windows named shared memory (use a Windows build; macOS is not "
           "supported yet); use -layout shmout here");
    return AVERROR(ENOSYS);
}

int ff_shmdev_out_layout(void *logctx, int id, const ShmDevOutLayout **layout)
{
    return (*layout = out_layouts[id]) ? 0 : layout_missing(logctx, id);
}

int ff_shmdev_in_layout(void *logctx, int id, const ShmDevInLayout **layout)
{
    return (*layout = in_layouts[id]) ? 0 : layout_missing(logctx, id);
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
