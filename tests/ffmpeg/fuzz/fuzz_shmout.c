/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (c) 2026 the shmout authors */

/*
 * fuzz_shmout.c: libFuzzer target for the shmout output device's option handling. Each input
 * (see fuzz_common.h) opens the device the way ffmpeg does, with the fuzzed options: the
 * options are parsed (AVOption), the filter chain is built, the block is created, up to three
 * frames of the chosen geometry are written and the block is closed. Errors are fine; crashes,
 * leaks, hangs and out-of-bounds accesses are not (ASan, UBSan, LSan).
 */
#define FUZZ_BLOCK_PREFIX "fuzzout"
#include "fuzz_common.h"

#include "libavformat/avformat.h"
#include "libavutil/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AVFormatContext *oc = NULL;
    AVDictionary *opts = NULL;
    AVStream *st;
    int i, ret;

    if (size < 1 || size > 4096)
        return -1;
    if (fuzz_options(data, size, &opts) < 0)
        goto end;
    if (avformat_alloc_output_context2(&oc, NULL, "shmout", fuzz_block_name) < 0)
        abort();    /* the device is not in this build: not a finding, a broken harness */
    if (!(st = avformat_new_stream(oc, NULL)))
        goto end;
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_WRAPPED_AVFRAME;
    st->codecpar->width = fuzz_geometries[data[0] % FUZZ_NB_GEOMETRIES].w;
    st->codecpar->height = fuzz_geometries[data[0] % FUZZ_NB_GEOMETRIES].h;
    st->codecpar->format = fuzz_geometries[data[0] % FUZZ_NB_GEOMETRIES].fmt;
    st->time_base = (AVRational){ 1, 25 };
    if (avformat_write_header(oc, &opts) < 0)
        goto end;
    for (i = 0; i < 1 + (int)(data[0] / FUZZ_NB_GEOMETRIES % 3); i++) {
        AVFrame *frame = av_frame_alloc();
        if (!frame)
            break;
        frame->width = st->codecpar->width;
        frame->height = st->codecpar->height;
        frame->format = st->codecpar->format;
        frame->pts = i;
        if (av_frame_get_buffer(frame, 0) < 0) {
            av_frame_free(&frame);
            break;
        }
        for (int p = 0; p < 4 && frame->buf[p]; p++)
            memset(frame->buf[p]->data, 0x40 + 0x20 * p + i, frame->buf[p]->size);
        ret = av_write_uncoded_frame(oc, 0, frame);    /* takes the frame */
        if (ret < 0)
            break;
    }
    av_write_trailer(oc);
end:
    avformat_free_context(oc);
    av_dict_free(&opts);
    fuzz_cleanup();
    return 0;
}
