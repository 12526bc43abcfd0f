/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * read_frames: the smallest useful reader of a shmout block. It waits for the writer, then
 * for each new frame prints its number, size, format and timestamp and the average of its
 * first plane, copied out of shared memory (never torn). Build it against an installed
 * libshmout:
 *
 *   cc read_frames.c $(pkg-config --cflags --libs shmout) -o read_frames
 *   ./read_frames cam1 100          # 100 frames of the block "cam1"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <shmout.h>

int main(int argc, char **argv)
{
    struct shmout_geometry want = { 0 }, got;
    struct shmout_frame_meta meta;
    uint8_t *planes[4] = { NULL }, *buf = NULL;
    int linesize[4] = { 0 };
    shmout_reader *r;
    long count, n;
    int ret;

    if (argc != 3 || (count = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: read_frames NAME FRAMES\n");
        return 2;
    }
    /* Wait up to 10 s for the writer; take every frame, in order. */
    if (shmout_reader_open(&r, argv[1], SHMOUT_MEMTYPE_LOCAL, 10000) < 0) {
        fprintf(stderr, "read_frames: %s\n", shmout_errmsg());
        return 1;
    }
    shmout_reader_set_mode(r, SHMOUT_READ_EVERY);
    for (n = 0; n < count; n++) {
        uint64_t sum = 0;
        uint32_t y, x;

        if ((ret = shmout_reader_wait(r, 10000)) < 0) {
            fprintf(stderr, "read_frames: %s\n", ret == -ESHUTDOWN ? "the writer closed the block" : shmout_errmsg());
            break;
        }
        /* The first frame, and any change of size or format, says which buffers to allocate. */
        while ((ret = shmout_reader_read(r, &want, planes, linesize, &got, &meta)) == -EMSGSIZE) {
            size_t size = 0;
            free(buf);
            for (uint32_t p = 0; p < got.nb_planes; p++)
                size += (size_t)got.plane_bytewidth[p] * got.plane_height[p];
            if (!(buf = malloc(size)))
                return 1;
            size = 0;
            for (uint32_t p = 0; p < got.nb_planes; p++) {
                planes[p] = buf + size;
                linesize[p] = (int)got.plane_bytewidth[p];
                size += (size_t)got.plane_bytewidth[p] * got.plane_height[p];
            }
            want = got;
        }
        if (ret < 0) {
            fprintf(stderr, "read_frames: %s\n", shmout_errmsg());
            break;
        }
        for (y = 0; y < got.plane_height[0]; y++)
            for (x = 0; x < got.plane_bytewidth[0]; x++)
                sum += planes[0][(size_t)y * linesize[0] + x];
        printf("frame %llu: %ux%u %s, pts %lld (%d/%d), plane 0 average %.2f\n",
               (unsigned long long)meta.frame_number, got.width, got.height, got.pix_fmt_name,
               (long long)meta.pts, meta.tb_num, meta.tb_den,
               (double)sum / ((double)got.plane_bytewidth[0] * got.plane_height[0]));
    }
    shmout_reader_close(r);
    free(buf);
    return n == count ? 0 : 1;
}
