/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (c) 2026 the shmout authors */

/*
 * fuzz_common.h: what the devices' libFuzzer targets share. An input is one byte choosing the
 * stream's geometry, then the device options as ffmpeg's command line hands them over
 * ("key=value:key=value", parsed by av_dict_parse_string). Each target runs in a private mount
 * namespace with a 128 MiB tmpfs on /dev/shm (when it may: as root), so that options asking
 * for huge frames meet ENOSPC instead of filling the machine's /dev/shm, and never touch the
 * user's blocks; and with av_max_alloc() bounding FFmpeg's heap. A target defines
 * FUZZ_BLOCK_PREFIX (its blocks' name prefix) before including this header, which provides its
 * LLVMFuzzerInitialize.
 */
#ifndef SHMOUT_FUZZ_COMMON_H
#define SHMOUT_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "libavdevice/avdevice.h"
#include "libavutil/dict.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixfmt.h"

static const struct { int w, h; enum AVPixelFormat fmt; } fuzz_geometries[] = {
    { 32, 24, AV_PIX_FMT_RGBA },  { 17, 9, AV_PIX_FMT_YUV420P }, { 8, 8, AV_PIX_FMT_GRAY8 },
    { 33, 21, AV_PIX_FMT_RGB24 }, { 16, 16, AV_PIX_FMT_YUV420P10LE },
    { 12, 6, AV_PIX_FMT_GBRPF32LE }, { 1, 1, AV_PIX_FMT_RGBA }, { 64, 2, AV_PIX_FMT_YA8 },
};
#define FUZZ_NB_GEOMETRIES (sizeof(fuzz_geometries) / sizeof(fuzz_geometries[0]))

static char fuzz_block_name[64];
static int fuzz_private_shm;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_private_shm = unshare(CLONE_NEWNS) == 0 &&
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
        mount("shmout-fuzz", "/dev/shm", "tmpfs", 0, "size=128m,mode=1777") == 0;
    fprintf(stderr, "fuzz: %s\n", fuzz_private_shm ? "private 128 MiB /dev/shm" :
            "not root: using the machine's /dev/shm");
    snprintf(fuzz_block_name, sizeof(fuzz_block_name), "%s%d", FUZZ_BLOCK_PREFIX, (int)getpid());
    avdevice_register_all();
    av_max_alloc(256 << 20);
    av_log_set_level(getenv("FUZZ_VERBOSE") ? AV_LOG_DEBUG : AV_LOG_QUIET);
    return 0;
}

/* After each input: remove the blocks it made, whatever names its options gave them (all of
 * the private /dev/shm), or the default name's objects on the machine's /dev/shm. */
static void fuzz_cleanup(void)
{
    struct dirent *de;
    char path[300];
    DIR *d;

    if (!fuzz_private_shm || !(d = opendir("/dev/shm")))
        return;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof(path), "/dev/shm/%s", de->d_name);
            unlink(path);
        }
    closedir(d);
}

/* Options from the input after its first byte; 0, or -1 if they do not parse. */
static int fuzz_options(const uint8_t *data, size_t size, AVDictionary **opts)
{
    char *s = av_malloc(size);
    int ret;

    if (!s)
        return -1;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    ret = av_dict_parse_string(opts, s, "=", ":", 0);
    av_free(s);
    return ret < 0 ? -1 : 0;
}

#endif
