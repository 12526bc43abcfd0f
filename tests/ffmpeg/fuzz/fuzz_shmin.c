/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (c) 2026 the shmout authors */

/*
 * fuzz_shmin.c: libFuzzer target for the shmin input device's option handling. For each input
 * (see fuzz_common.h) a libshmout writer publishes two frames of the chosen geometry in a local
 * and a global block of the same name, then the device opens the name the way ffmpeg does,
 * with the fuzzed options, and reads its first packet. Errors are fine; crashes, leaks, hangs
 * and out-of-bounds accesses are not (ASan, UBSan, LSan).
 */
#define FUZZ_BLOCK_PREFIX "fuzzin"
#include "fuzz_common.h"

#include "libavdevice/shmout.h"
#include "libavformat/avformat.h"
#include "libavutil/pixdesc.h"

static shmout_writer *open_writer(int memtype, int index)
{
    const char *name = av_get_pix_fmt_name(fuzz_geometries[index].fmt);
    struct shmout_geometry g;
    shmout_writer *w = NULL;
    uint8_t *data[4];
    int linesize[4];

    if (shmout_geometry_init(&g, shmout_pix_fmt_from_name(name), fuzz_geometries[index].w,
                             fuzz_geometries[index].h, 1) < 0 ||
        shmout_writer_open(&w, fuzz_block_name, memtype, &g, NULL) < 0)
        abort();    /* every geometry of the table is valid: a broken harness */
    for (int i = 0; i < 2; i++) {
        struct shmout_frame_meta meta = { .pts = i, .tb_num = 1, .tb_den = 25 };
        if (shmout_writer_begin_frame(w, data, linesize) < 0)
            abort();
        for (uint32_t p = 0; p < g.nb_planes; p++)
            memset(data[p], 0x30 + i, (size_t)linesize[p] * g.plane_height[p]);
        shmout_writer_publish(w, &meta);
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const AVInputFormat *shmin = av_find_input_format("shmin");
    AVFormatContext *ic = NULL;
    AVDictionary *opts = NULL;
    shmout_writer *local, *global;
    AVPacket *pkt;

    if (size < 1 || size > 4096)
        return -1;
    if (!shmin)
        abort();    /* the device is not in this build: not a finding, a broken harness */
    if (fuzz_options(data, size, &opts) < 0) {
        av_dict_free(&opts);
        return 0;
    }
    local = open_writer(SHMOUT_MEMTYPE_LOCAL, data[0] % FUZZ_NB_GEOMETRIES);
    global = open_writer(SHMOUT_MEMTYPE_GLOBAL, data[0] % FUZZ_NB_GEOMETRIES);
    if (avformat_open_input(&ic, fuzz_block_name, shmin, &opts) == 0) {
        if ((pkt = av_packet_alloc())) {
            av_read_frame(ic, pkt);
            av_packet_free(&pkt);
        }
        avformat_close_input(&ic);
    }
    shmout_writer_close(local);
    shmout_writer_close(global);
    av_dict_free(&opts);
    fuzz_cleanup();
    return 0;
}
