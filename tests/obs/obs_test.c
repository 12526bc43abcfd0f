/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (c) 2026 the shmout authors
 *
 * obs_test.c - runs libobs headless and prints the frames of a shmout source (GPL because it links libobs)
 *
 * obs_test PLUGIN.so BLOCK MEMTYPE SECONDS [FRAMES]
 * Starts libobs (X11/EGL, libobs-opengl) on $DISPLAY, loads PLUGIN, creates a "shmout_source"
 * on BLOCK (memtype 1 local, 2 global) as output channel 0 with an async video filter that sees
 * every frame the video thread takes from the source. Per frame it prints
 *   frame WxH FORMAT MD5 full_range=0|1 min=Y_MIN
 * (MD5 over the tight rows of every plane, the way ffmpeg -f framemd5 hashes raw video), and
 *   size WxH
 * whenever obs_source_get_width/height change, and "list VALUE = LABEL" for each entry of the
 * source's block list property. Prints "ready" once the source exists; stops
 * after SECONDS, or FRAMES frames, or once the file $OBS_TEST_STOP exists. With
 * $OBS_TEST_RENAME=NAME@S it switches the source to block NAME after S seconds (obs_source_update)
 * and prints "renamed NAME". libobs's log goes to
 * $OBS_TEST_LOG (default: dropped). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <glib.h>
#include <obs.h>
#include <obs-module.h>
#include <obs-nix-platform.h>
#include <util/base.h>
#include <util/platform.h>
#include <util/threading.h>

static FILE *log_file;
static volatile long nframes;
static uint64_t t_start;

static void log_handler(int lvl, const char *msg, va_list args, void *p)
{
    (void)p;
    if (!log_file)
        return;
    fprintf(log_file, "%d: ", lvl);
    vfprintf(log_file, msg, args);
    fputc('\n', log_file);
    fflush(log_file);
}

/* tight bytes per row and rows of plane p of an OBS frame, 0 when there is no plane p */
static void plane_size(enum video_format f, uint32_t w, uint32_t h, int p, size_t *bw, size_t *rows)
{
    size_t cw = (w + 1) / 2, ch = (h + 1) / 2;

    *bw = 0, *rows = h;
    switch (f) {
    case VIDEO_FORMAT_I420: case VIDEO_FORMAT_I40A:
        *bw = p == 0 || p == 3 ? w : cw; *rows = p == 0 || p == 3 ? h : ch;
        if (p == 3 && f != VIDEO_FORMAT_I40A) *bw = 0;
        break;
    case VIDEO_FORMAT_I010:
        *bw = p == 0 ? 2 * w : p < 3 ? 2 * cw : 0; *rows = p == 0 ? h : ch; break;
    case VIDEO_FORMAT_NV12:
        *bw = p == 0 ? w : p == 1 ? 2 * cw : 0; *rows = p == 0 ? h : ch; break;
    case VIDEO_FORMAT_P010:
        *bw = p == 0 ? 2 * w : p == 1 ? 4 * cw : 0; *rows = p == 0 ? h : ch; break;
    case VIDEO_FORMAT_I422: case VIDEO_FORMAT_I42A:
        *bw = p == 0 || p == 3 ? w : cw;
        if (p == 3 && f != VIDEO_FORMAT_I42A) *bw = 0;
        break;
    case VIDEO_FORMAT_I210:
        *bw = p == 0 ? 2 * w : p < 3 ? 2 * cw : 0; break;
    case VIDEO_FORMAT_I444: *bw = p < 3 ? w : 0; break;
    case VIDEO_FORMAT_YUVA: *bw = w; break;
    case VIDEO_FORMAT_YUY2: case VIDEO_FORMAT_UYVY: case VIDEO_FORMAT_YVYU:
        *bw = p == 0 ? 4 * cw : 0; break;
    case VIDEO_FORMAT_RGBA: case VIDEO_FORMAT_BGRA: case VIDEO_FORMAT_BGRX: case VIDEO_FORMAT_AYUV:
        *bw = p == 0 ? 4 * w : 0; break;
    case VIDEO_FORMAT_BGR3: *bw = p == 0 ? 3 * w : 0; break;
    case VIDEO_FORMAT_Y800: *bw = p == 0 ? w : 0; break;
    default: break;
    }
}

/* ---- the tap: an async video filter ------------------------------------ */

static const char *tap_name(void *unused)
{
    (void)unused;
    return "obs_test tap";
}

static void *tap_create(obs_data_t *settings, obs_source_t *source)
{
    (void)settings;
    return source;
}

static void tap_destroy(void *data)
{
    (void)data;
}

static struct obs_source_frame *tap_video(void *data, struct obs_source_frame *f)
{
    GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);

    (void)data;
    for (int p = 0; p < MAX_AV_PLANES; p++) {
        size_t bw, rows;
        plane_size(f->format, f->width, f->height, p, &bw, &rows);
        if (!bw || !f->data[p])
            continue;
        for (size_t y = 0; y < rows; y++)
            g_checksum_update(md5, f->data[p] + y * f->linesize[p], bw);
    }
    printf("frame %ux%u %s %s full_range=%d min=%.4f t=%.0f\n", f->width, f->height,
           get_video_format_name(f->format), g_checksum_get_string(md5), f->full_range ? 1 : 0,
           f->color_range_min[0], (os_gettime_ns() - t_start) / 1e6);
    fflush(stdout);
    g_checksum_free(md5);
    os_atomic_inc_long(&nframes);
    return f;
}

static struct obs_source_info tap_info = {
    .id = "obs_test_tap",
    .type = OBS_SOURCE_TYPE_FILTER,
    .output_flags = OBS_SOURCE_ASYNC_VIDEO,
    .get_name = tap_name,
    .create = tap_create,
    .destroy = tap_destroy,
    .filter_video = tap_video,
};

int main(int argc, char **argv)
{
    struct obs_video_info ovi;
    struct obs_audio_info oai;
    obs_module_t *mod = NULL;
    obs_data_t *settings;
    obs_source_t *src, *tap;
    Display *dpy;
    uint32_t w = ~0u, h = ~0u;
    uint64_t end;
    long max_frames;
    const char *stop_file = getenv("OBS_TEST_STOP");
    const char *rename_to = getenv("OBS_TEST_RENAME");
    uint64_t rename_at = 0;
    int ret;

    if (argc < 5) {
        fprintf(stderr, "usage: obs_test PLUGIN.so BLOCK MEMTYPE SECONDS [FRAMES]\n");
        return 2;
    }
    max_frames = argc > 5 ? atol(argv[5]) : 0;
    t_start = os_gettime_ns();
    if (getenv("OBS_TEST_LOG"))
        log_file = fopen(getenv("OBS_TEST_LOG"), "w");
    base_set_log_handler(log_handler, NULL);

    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "obs_test: cannot open the X display\n");
        return 1;
    }
    obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
    obs_set_nix_platform_display(dpy);
    if (!obs_startup("en-US", NULL, NULL)) {
        fprintf(stderr, "obs_test: obs_startup failed\n");
        return 1;
    }
    memset(&ovi, 0, sizeof(ovi));
    ovi.graphics_module = "libobs-opengl";
    ovi.fps_num = 30, ovi.fps_den = 1;
    ovi.base_width = ovi.output_width = 640;
    ovi.base_height = ovi.output_height = 360;
    ovi.output_format = VIDEO_FORMAT_NV12;
    ovi.colorspace = VIDEO_CS_709;
    ovi.range = VIDEO_RANGE_PARTIAL;
    ovi.gpu_conversion = true;
    ovi.scale_type = OBS_SCALE_BICUBIC;
    ret = obs_reset_video(&ovi);
    if (ret != OBS_VIDEO_SUCCESS) {
        fprintf(stderr, "obs_test: obs_reset_video failed (%d)\n", ret);
        return 1;
    }
    memset(&oai, 0, sizeof(oai));
    oai.samples_per_sec = 48000;
    oai.speakers = SPEAKERS_STEREO;
    obs_reset_audio(&oai);

    ret = obs_open_module(&mod, argv[1], NULL);
    if (ret != MODULE_SUCCESS || !obs_init_module(mod)) {
        fprintf(stderr, "obs_test: cannot load %s (%d)\n", argv[1], ret);
        return 1;
    }
    obs_register_source(&tap_info);
    printf("module %s: %s\n", obs_get_module_file_name(mod), obs_get_module_description(mod));
    printf("display name %s\n", obs_source_get_display_name("shmout_source"));

    settings = obs_data_create();
    obs_data_set_string(settings, "name", argv[2]);
    obs_data_set_int(settings, "memtype", atoi(argv[3]));
    src = obs_source_create("shmout_source", "block", settings, NULL);
    obs_data_release(settings);
    if (!src) {
        fprintf(stderr, "obs_test: cannot create the source\n");
        return 1;
    }
    {   /* the properties: the block list */
        obs_properties_t *props = obs_source_properties(src);
        obs_property_t *pick = obs_properties_get(props, "pick");
        for (size_t i = 0; pick && i < obs_property_list_item_count(pick); i++)
            printf("list %s = %s\n", obs_property_list_item_string(pick, i),
                   obs_property_list_item_name(pick, i));
        obs_properties_destroy(props);
    }
    tap = obs_source_create_private("obs_test_tap", "tap", NULL);
    obs_source_filter_add(src, tap);
    obs_set_output_source(0, src);
    printf("ready\n");
    fflush(stdout);

    end = os_gettime_ns() + (uint64_t)(atof(argv[4]) * 1e9);
    if (rename_to && strchr(rename_to, '@'))
        rename_at = os_gettime_ns() + (uint64_t)(atof(strchr(rename_to, '@') + 1) * 1e9);
    while (os_gettime_ns() < end && (!max_frames || os_atomic_load_long(&nframes) < max_frames) &&
           !(stop_file && os_file_exists(stop_file))) {
        uint32_t nw = obs_source_get_width(src), nh = obs_source_get_height(src);
        if (nw != w || nh != h) {
            printf("size %ux%u\n", nw, nh);
            fflush(stdout);
            w = nw, h = nh;
        }
        if (rename_at && os_gettime_ns() >= rename_at) {
            char newname[128];
            obs_data_t *upd = obs_data_create();
            snprintf(newname, sizeof(newname), "%.*s", (int)(strchr(rename_to, '@') - rename_to),
                     rename_to);
            obs_data_set_string(upd, "name", newname);
            obs_source_update(src, upd);
            obs_data_release(upd);
            printf("renamed %s\n", newname);
            fflush(stdout);
            rename_at = 0;
        }
        os_sleep_ms(5);
    }

    printf("video frames %u, lagged %u\n", obs_get_total_frames(), obs_get_lagged_frames());
    {   /* the source's destroy must join its thread promptly */
        uint64_t t0 = os_gettime_ns();
        obs_set_output_source(0, NULL);
        obs_source_filter_remove(src, tap);
        obs_source_release(tap);
        obs_source_release(src);
        obs_shutdown();
        printf("shutdown %.0f ms\n", (os_gettime_ns() - t0) / 1e6);
    }
    XCloseDisplay(dpy);
    if (log_file)
        fclose(log_file);
    return 0;
}
