/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * gen_seeds.c - writes the fuzz seed corpus into DIR: real blocks made by
 * the library (first 1024 bytes of the primary object followed by the data
 * object, the fuzz target's input format) and broken variants of them.
 * usage: gen_seeds DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmout.h"

static unsigned char *blob;
static size_t blob_size;

static int snapshot(uint32_t fmt, uint32_t w, uint32_t h, uint32_t slots)
{
    struct shmout_writer_options o;
    struct shmout_geometry g;
    shmout_writer *wr;
    char name[64], obj[128], dname[160];
    uint8_t *data[4];
    int ls[4], fd, ok = 0;
    struct stat st;

    snprintf(name, sizeof(name), "seedgen%d", (int)getpid());
    shmout_geometry_init(&g, fmt, w, h, 1);
    shmout_writer_options_default(&o);
    o.slots = slots;
    if (shmout_writer_open(&wr, name, SHMOUT_MEMTYPE_LOCAL, &g, &o) < 0)
        return -1;
    shmout_writer_begin_frame(wr, data, ls);
    memset(data[0], 0x5a, ls[0]);
    shmout_writer_publish(wr, NULL);
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    free(blob);
    blob = NULL;
    fd = shm_open(dname, O_RDONLY, 0);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        blob_size = 1024 + (size_t)st.st_size;
        blob = calloc(1, blob_size);
        ok = pread(fd, blob + 1024, (size_t)st.st_size, 0) == st.st_size;
        close(fd);
    }
    fd = shm_open(obj, O_RDONLY, 0);
    if (fd >= 0) {
        ok = ok && pread(fd, blob, 1024, 0) == 1024;
        close(fd);
    }
    shmout_writer_close(wr);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    return ok ? 0 : -1;
}

static int save(const char *dir, const char *file, size_t size)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "wb");
    if (!f || fwrite(blob, 1, size, f) != size) {
        perror(path);
        return -1;
    }
    return fclose(f);
}

static void put32(size_t off, uint32_t v)
{
    memcpy(blob + off, &v, 4);
}

int main(int argc, char **argv)
{
    const size_t seg = 1024;            /* data object starts here in a seed */
    const size_t geo = seg + 256 + 512 + 256;   /* slot 1's geometry (frame 1) */
    int err = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds DIR\n");
        return 2;
    }
    if (snapshot(SHMOUT_PIX_RGBA, 8, 8, 2) < 0)
        return 1;
    err |= save(argv[1], "valid-rgba-8x8", blob_size);
    err |= save(argv[1], "truncated", seg + 300);
    put32(seg + 20, 0);                 /* slot_count */
    err |= save(argv[1], "bad-slot-count", blob_size);
    put32(seg + 20, 2);
    put32(geo + 56, 0xffffffffu);       /* plane_linesize[0] */
    err |= save(argv[1], "bad-linesize", blob_size);
    if (snapshot(SHMOUT_PIX_YUV420P, 6, 4, 3) < 0)
        return 1;
    err |= save(argv[1], "valid-yuv420p-6x4", blob_size);
    put32(0, 0xdeadbeef);               /* header magic */
    err |= save(argv[1], "bad-magic", blob_size);
    return err ? 1 : 0;
}
