/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * benchtool: the measuring end of `make bench`. Every reader touches every byte of every frame
 * it accepts: it compares each row (memcmp) with a row of the pixel the source is known to
 * produce (a constant colour), so no transport wins by not reading. One JSON line per run.
 *
 *   benchtool shm NAME FRAMES PIXEL [--lossless]
 *                                           read every frame of a block (zero-copy, validated),
 *                                           registered as an every reader from the open on
 *                                           (shmout_reader_open_opts); --lossless: as a lossless
 *                                           one, and fail (exit 1) unless it read all FRAMES
 *                                           frames, 1 to FRAMES, every byte as expected, none
 *                                           skipped, torn or lost to an eviction, and no frame
 *                                           after frame FRAMES before the writer closes the block
 *   benchtool pipe FRAME_BYTES ROW_BYTES FRAMES PIXEL   read raw frames from standard input
 *   benchtool memcpy FRAME_BYTES SECONDS    the limit: memcpy frames into a shared mapping
 *   benchtool latency NAME FRAMES           wait for each frame; publish-to-wake-up times
 *   benchtool publish NAME FRAMES           the cost of begin_frame + publish alone (64x64 rgba,
 *                                           no pixel writes): without a reader, then with one
 *                                           reader looping on wait + acquire (publish then
 *                                           issues FUTEX_WAKE whenever it is registered as
 *                                           waiting); fails if a call does not return 0
 *
 * PIXEL: the bytes of one pixel in hex, e.g. 000000ff for opaque black rgba.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmout.h"
#include "measure.h"

#define MAX_ROW (1 << 20)
static uint8_t ref_row[MAX_ROW];

/* 1 if the row differs from the pattern (memcmp: every byte is read, at memory speed). */
static int row_bad(const uint8_t *p, size_t len)
{
    return len > MAX_ROW || memcmp(p, ref_row, len) != 0;
}

static int cmd_shm(const char *name, long frames, int lossless)
{
    shmout_reader *r;
    struct shmout_reader_options ro = { .mode = lossless ? SHMOUT_READ_LOSSLESS : SHMOUT_READ_EVERY };
    struct shmout_frame_view v;
    struct shmout_reader_stats st;
    struct shmout_block_info info;
    uint64_t bad = 0, block_bytes = 0, first_n = 0, last_n = 0, first_t = 0, last_t = 0, published = 0;
    long got = 0;
    double t0 = 0, c0 = cpu_s();
    int ret, fail = 0;

    /* Registered before it counts as attached: a writer with -wait_readers 1 loses nothing for it. */
    if (shmout_reader_open_opts(&r, name, SHMOUT_MEMTYPE_LOCAL, 20000, &ro) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    while (got < frames) {
        ret = shmout_reader_wait(r, 20000);
        if (ret == -ESHUTDOWN)
            break;
        if (ret < 0 || shmout_reader_acquire(r, &v) < 0) {
            fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
            return 1;
        }
        if (!got) {
            t0 = now_s();
            if (shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info) == 0)
                block_bytes = (uint64_t)info.slots * info.capacity + 2 * 4096;
        }
        for (uint32_t p = 0; p < v.geometry.nb_planes; p++)
            for (uint32_t y = 0; y < v.geometry.plane_height[p]; y++)
                bad += row_bad(v.data[p] + (size_t)y * v.linesize[p], v.geometry.plane_bytewidth[p]);
        if (shmout_reader_validate(r, &v) == 0) {
            /* The writer's own rate, from the publish times of the frames themselves. */
            if (!got) {
                first_n = v.meta.frame_number;
                first_t = v.meta.monotonic_ns;
            }
            last_n = v.meta.frame_number;
            last_t = v.meta.monotonic_ns;
            got++;
        }
    }
    t0 = now_s() - t0;
    shmout_reader_get_stats(r, &st);
    if (lossless) {
        /* What the writer published in all: the frames it still publishes before it closes the
         * block (none, if it made exactly FRAMES), which a closed block returns first. */
        published = last_n;
        while ((ret = shmout_reader_wait(r, 20000)) == 0 && shmout_reader_acquire(r, &v) == 0)
            published = v.meta.frame_number;
        if (ret != -ESHUTDOWN) {
            fprintf(stderr, "benchtool: the writer of '%s' did not close the block: %s\n", name, shmout_errmsg());
            fail = 1;
        }
        if (got != frames || st.frames_seen != (uint64_t)frames || published != (uint64_t)frames ||
            first_n != 1 || last_n != (uint64_t)frames || st.frames_skipped || st.frames_before_attach ||
            st.torn_retries || st.evictions || st.registered != SHMOUT_REG_LOSSLESS || bad) {
            fprintf(stderr, "benchtool: lossless reader of '%s' did not get every frame intact: read %ld of %ld "
                    "(frames %llu to %llu), frames_seen %llu, the writer published %llu, skipped %llu "
                    "(%llu before attach), torn %llu, evictions %llu (at frame %llu), registered %u "
                    "(lossless is %d), rows not as expected %llu\n", name, got, frames,
                    (unsigned long long)first_n, (unsigned long long)last_n,
                    (unsigned long long)st.frames_seen, (unsigned long long)published,
                    (unsigned long long)st.frames_skipped, (unsigned long long)st.frames_before_attach,
                    (unsigned long long)st.torn_retries, (unsigned long long)st.evictions,
                    (unsigned long long)st.evicted_at, (unsigned)st.registered, SHMOUT_REG_LOSSLESS,
                    (unsigned long long)bad);
            fail = 1;
        }
    }
    printf("{\"frames\": %ld, \"seconds\": %.6f, \"cpu\": %.6f, \"skipped\": %llu, \"torn\": %llu, "
           "\"bad_rows\": %llu, \"block_bytes\": %llu, \"published\": %llu, \"publish_seconds\": %.6f, "
           "\"seen\": %llu, \"evictions\": %llu, \"registered\": %u, \"writer_frames\": %llu}\n",
           got, t0, cpu_s() - c0,
           (unsigned long long)st.frames_skipped, (unsigned long long)st.torn_retries,
           (unsigned long long)bad, (unsigned long long)block_bytes,
           (unsigned long long)(last_n - first_n), (last_t - first_t) / 1e9,
           (unsigned long long)st.frames_seen, (unsigned long long)st.evictions, (unsigned)st.registered,
           (unsigned long long)published);
    shmout_reader_close(r);
    return fail;
}

static int cmd_pipe(size_t size, size_t row, long frames)
{
    uint8_t *buf = aligned_alloc(64, (size + 63) / 64 * 64);
    uint64_t bad = 0;
    long got = 0;
    double t0 = 0, c0 = cpu_s();

    if (!buf)
        return 1;
    while (got < frames) {
        size_t have = 0;
        while (have < size) {
            ssize_t n = read(0, buf + have, size - have);
            if (n <= 0)
                goto end;
            have += (size_t)n;
        }
        if (!got)
            t0 = now_s();
        for (size_t off = 0; off < size; off += row)
            bad += row_bad(buf + off, size - off < row ? size - off : row);
        got++;
    }
end:
    printf("{\"frames\": %ld, \"seconds\": %.6f, \"cpu\": %.6f, \"bad_rows\": %llu}\n",
           got, now_s() - t0, cpu_s() - c0, (unsigned long long)bad);
    free(buf);
    return 0;
}

static int cmd_memcpy(size_t size, double seconds)
{
    const int slots = 3;
    char obj[64];
    uint8_t *src = aligned_alloc(64, (size + 63) / 64 * 64), *map;
    long n = 0;
    double t0;
    int fd;

    snprintf(obj, sizeof(obj), "/shmout-bench-memcpy.%d", (int)getpid());
    fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0)
        shm_unlink(obj);
    if (!src || fd < 0 || posix_fallocate(fd, 0, (off_t)size * slots) != 0 ||
        (map = mmap(NULL, size * slots, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        fprintf(stderr, "benchtool: cannot set up a %zu-byte shared mapping\n", size * slots);
        free(src);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    memset(src, 1, size);
    memset(map, 0, size * slots);            /* fault the pages in, as a running block has */
    t0 = now_s();
    do {
        memcpy(map + (size_t)(n % slots) * size, src, size);
        n++;
    } while (now_s() - t0 < seconds);
    printf("{\"frames\": %ld, \"seconds\": %.6f}\n", n, now_s() - t0);
    munmap(map, size * slots);
    free(src);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_latency(const char *name, long frames)
{
    shmout_reader *r;
    struct shmout_frame_view v;
    struct timespec ts;
    uint64_t *lat = calloc((size_t)frames, sizeof(*lat));
    long n = 0;

    if (!lat || shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 20000) < 0)
        return 1;
    while (n < frames && shmout_reader_wait(r, 20000) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (shmout_reader_acquire(r, &v) < 0)
            break;
        lat[n++] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - v.meta.monotonic_ns;
    }
    qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
    printf("{\"frames\": %ld, \"median_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f}\n", n,
           n ? lat[n / 2] / 1e3 : 0.0, n ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e3 : 0.0,
           n ? lat[n - 1] / 1e3 : 0.0);
    shmout_reader_close(r);
    free(lat);
    return 0;
}

/* Seconds per begin_frame + publish over frames publishes; -1 if one failed. */
static double publish_loop(shmout_writer *w, long frames)
{
    uint8_t *data[4];
    int ls[4];
    double t0 = now_s();

    for (long i = 0; i < frames; i++)
        if (shmout_writer_begin_frame(w, data, ls) != 0 || shmout_writer_publish(w, NULL) != 0) {
            fprintf(stderr, "benchtool: publish %ld: %s\n", i + 1, shmout_errmsg());
            return -1;
        }
    return (now_s() - t0) / frames;
}

static int cmd_publish(const char *name, long frames)
{
    struct shmout_geometry g;
    shmout_writer *w;
    volatile int *stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double idle, waiting;
    int status;
    pid_t pid;

    shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 64, 64, 1);
    if (stop == MAP_FAILED || frames <= 0 || shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    idle = publish_loop(w, frames);
    pid = idle < 0 ? -1 : fork();
    if (pid == 0) {
        shmout_reader *r;
        struct shmout_frame_view v;
        if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 1000) < 0)
            _exit(1);
        *stop = 1;                              /* attached */
        while (*stop == 1)
            if (shmout_reader_wait(r, 100) == 0)
                shmout_reader_acquire(r, &v);
        shmout_reader_close(r);
        _exit(0);
    }
    while (pid > 0 && *stop == 0 && waitpid(pid, &status, WNOHANG) == 0)
        usleep(1000);
    usleep(50000);                              /* the reader is asleep in its wait */
    waiting = pid > 0 && *stop == 1 ? publish_loop(w, frames) : -1;
    *stop = 2;
    if (pid > 0)
        waitpid(pid, &status, 0);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    if (idle < 0 || waiting < 0)
        return 1;
    printf("{\"frames\": %ld, \"idle_ns\": %.1f, \"waiting_ns\": %.1f}\n", frames, idle * 1e9, waiting * 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 5 || (argc == 6 && !strcmp(argv[5], "--lossless"))) && !strcmp(argv[1], "shm") &&
        fill_pattern(ref_row, MAX_ROW, argv[4]))
        return cmd_shm(argv[2], atol(argv[3]), argc == 6);
    if (argc == 6 && !strcmp(argv[1], "pipe") && fill_pattern(ref_row, MAX_ROW, argv[5]))
        return cmd_pipe((size_t)atol(argv[2]), (size_t)atol(argv[3]), atol(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "memcpy"))
        return cmd_memcpy((size_t)atol(argv[2]), atof(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "latency"))
        return cmd_latency(argv[2], atol(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "publish"))
        return cmd_publish(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: benchtool shm NAME FRAMES PIXEL [--lossless] | pipe FRAME_BYTES ROW_BYTES FRAMES PIXEL |\n"
                    "                 memcpy FRAME_BYTES SECONDS | latency NAME FRAMES | publish NAME FRAMES\n");
    return 2;
}
