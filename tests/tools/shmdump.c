/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmdump: a test reader. It reads every frame of a block through libshmout and writes the
 * pixels to a file, plane after plane with rows tightly packed (the layout of ffmpeg's
 * -f rawvideo), and one line of metadata per frame to stdout:
 *   frame=N pts=P tb=NUM/DEN size=WxH format=NAME dar=NUM:DEN sar=NUM:DEN
 * It stops when the writer closes the block or after --frames N, and fails (exit 3) if a frame
 * was skipped, so a test that feeds frames slowly enough can compare every one. --mode takes
 * the newest frame (latest, the default), every frame, or every frame as a lossless reader; a
 * lossless reader the writer does not honour says so on stderr.
 *
 *   shmdump NAME OUTFILE [--frames N] [--timeout MS] [--memtype local|global]
 *           [--mode latest|every|lossless]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmout.h"

int main(int argc, char **argv)
{
    const char *name, *path;
    long max_frames = -1, timeout_ms = 10000;
    int memtype = SHMOUT_MEMTYPE_LOCAL, ret, i;
    struct shmout_geometry want, got;
    struct shmout_frame_meta meta;
    struct shmout_reader_stats st;
    struct shmout_reader_options opts = { .mode = SHMOUT_READ_LATEST };
    shmout_reader *r;
    uint8_t *buf = NULL, *dst[4] = { 0 };
    int dst_linesize[4] = { 0 };
    long frames = 0;
    FILE *out;

    if (argc < 3) {
        fprintf(stderr, "usage: shmdump NAME OUTFILE [--frames N] [--timeout MS] [--memtype local|global] "
                "[--mode latest|every|lossless]\n");
        return 2;
    }
    name = argv[1];
    path = argv[2];
    for (i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--frames"))        max_frames = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--timeout"))  timeout_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--memtype"))  memtype = shmout_memtype_parse(argv[i + 1]);
        else if (!strcmp(argv[i], "--mode"))
            opts.mode = !strcmp(argv[i + 1], "every") ? SHMOUT_READ_EVERY :
                        !strcmp(argv[i + 1], "lossless") ? SHMOUT_READ_LOSSLESS : SHMOUT_READ_LATEST;
        else { fprintf(stderr, "shmdump: unknown option %s\n", argv[i]); return 2; }
    }
    if (!(out = fopen(path, "wb"))) {
        perror(path);
        return 1;
    }
    if ((ret = shmout_reader_open_opts(&r, name, memtype, (int)timeout_ms, &opts)) < 0) {
        fprintf(stderr, "shmdump: %s\n", shmout_errmsg());
        return 1;
    }
    memset(&want, 0, sizeof(want));
    while (max_frames < 0 || frames < max_frames) {
        ret = shmout_reader_wait(r, (int)timeout_ms);
        if (ret == -ESHUTDOWN)
            break;
        if (ret < 0) {
            fprintf(stderr, "shmdump: waiting for frame %ld: %s\n", frames + 1, shmout_strerror(ret));
            return 1;
        }
        while ((ret = shmout_reader_read(r, &want, dst, dst_linesize, &got, &meta)) == -EMSGSIZE) {
            /* First frame or a new geometry: tightly packed planes, one buffer. */
            uint64_t size = 0, off[4];
            for (i = 0; i < (int)got.nb_planes; i++) {
                off[i] = size;
                size += (uint64_t)got.plane_bytewidth[i] * got.plane_height[i];
            }
            free(buf);
            if (!(buf = malloc(size ? size : 1)))
                return 1;
            memset(dst, 0, sizeof(dst));
            for (i = 0; i < (int)got.nb_planes; i++) {
                dst[i] = buf + off[i];
                dst_linesize[i] = (int)got.plane_bytewidth[i];
            }
            want = got;
        }
        if (ret < 0) {
            fprintf(stderr, "shmdump: reading frame %ld: %s\n", frames + 1, shmout_errmsg());
            return 1;
        }
        for (i = 0; i < (int)got.nb_planes; i++)
            fwrite(dst[i], 1, (size_t)got.plane_bytewidth[i] * got.plane_height[i], out);
        printf("frame=%llu pts=%lld tb=%d/%d size=%ux%u format=%s dar=%d:%d sar=%d:%d\n",
               (unsigned long long)meta.frame_number, (long long)meta.pts, meta.tb_num, meta.tb_den,
               got.width, got.height, got.pix_fmt_name, got.dar_num, got.dar_den, got.sar_num, got.sar_den);
        frames++;
    }
    shmout_reader_get_stats(r, &st);
    if (opts.mode == SHMOUT_READ_LOSSLESS && st.registered != SHMOUT_REG_LOSSLESS)
        fprintf(stderr, "shmdump: the writer does not honour lossless readers\n");
    shmout_reader_close(r);
    fclose(out);
    free(buf);
    if (st.frames_skipped) {
        fprintf(stderr, "shmdump: %llu frames skipped\n", (unsigned long long)st.frames_skipped);
        return 3;
    }
    return 0;
}
