/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * testutil.h - tiny test harness shared by the libshmout test programs:
 * CHECK macros, TAP-style "ok"/"not ok" lines counted by run_tests.sh,
 * unique block names, and the self-checking frame pattern.
 */
#ifndef SHMOUT_TESTUTIL_H
#define SHMOUT_TESTUTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmout.h"

static int t_case_failed, t_failed_total;

#define CHECK(c) do { \
        if (!(c)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last shmout error: %s)\n", \
                    __FILE__, __LINE__, #c, shmout_errmsg()); \
            t_case_failed = 1; \
        } \
    } while (0)

#define CHECK_EQ(a, b) do { \
        long long a_ = (long long)(a), b_ = (long long)(b); \
        if (a_ != b_) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld; last shmout " \
                    "error: %s)\n", __FILE__, __LINE__, #a, #b, a_, b_, shmout_errmsg()); \
            t_case_failed = 1; \
        } \
    } while (0)

#define RUN(fn) do { \
        t_case_failed = 0; \
        fn(); \
        printf("%s - %s\n", t_case_failed ? "not ok" : "ok", #fn); \
        fflush(stdout); \
        t_failed_total += t_case_failed; \
    } while (0)

#define SKIP(fn, why) printf("ok - %s # SKIP %s\n", #fn, why)

static inline const char *tname(const char *tag)
{
    static char buf[8][64];
    static int i;
    char *b = buf[i++ & 7];

    snprintf(b, 64, "t%d-%s", (int)getpid(), tag);
    return b;
}

static inline uint64_t t_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void t_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static inline uint64_t t_mix(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Seed of plane p, row y of frame n with geometry g: every byte of a frame
 * depends on the frame number and on the geometry it was published with. */
static inline uint64_t t_row_seed(const struct shmout_geometry *g, uint64_t n, unsigned p,
                                  unsigned y)
{
    return t_mix(n * 0x100000001b3ULL ^ ((uint64_t)g->width << 40) ^
                 ((uint64_t)g->height << 20) ^ ((uint64_t)g->pix_fmt << 8) ^
                 ((uint64_t)p << 60) ^ ((uint64_t)y << 2));
}

/* Fill frame n: row bytes from a mixed stream; plane 0 row 0 starts with n. */
static inline void t_fill(const struct shmout_geometry *g, uint8_t *const data[4],
                          const int linesize[4], uint64_t n)
{
    unsigned p, y, x;

    for (p = 0; p < g->nb_planes; p++)
        for (y = 0; y < g->plane_height[p]; y++) {
            uint8_t *row = data[p] + (size_t)y * (size_t)linesize[p];
            uint64_t v = t_row_seed(g, n, p, y);
            for (x = 0; x + 8 <= g->plane_bytewidth[p]; x += 8) {
                memcpy(row + x, &v, 8);
                v = t_mix(v);
            }
            for (; x < g->plane_bytewidth[p]; x++)
                row[x] = (uint8_t)(v >> (8 * (x & 7)));
        }
    if (g->plane_bytewidth[0] >= 8)
        memcpy(data[0], &n, 8);
}

/* 0 if the frame holds exactly frame n's pattern for geometry g. */
static inline int t_verify(const struct shmout_geometry *g, const uint8_t *const data[4],
                           const int linesize[4], uint64_t n)
{
    unsigned p, y, x;
    uint64_t got;

    if (g->plane_bytewidth[0] >= 8) {
        memcpy(&got, data[0], 8);
        if (got != n)
            return -1;
    }
    for (p = 0; p < g->nb_planes; p++)
        for (y = 0; y < g->plane_height[p]; y++) {
            const uint8_t *row = data[p] + (size_t)y * (size_t)linesize[p];
            uint64_t v = t_row_seed(g, n, p, y);
            for (x = 0; x + 8 <= g->plane_bytewidth[p]; x += 8) {
                if ((p || y || x) && memcmp(row + x, &v, 8))
                    return -1;
                v = t_mix(v);
            }
            for (; x < g->plane_bytewidth[p]; x++)
                if (row[x] != (uint8_t)(v >> (8 * (x & 7))))
                    return -1;
        }
    return 0;
}

/* Publish frame number (next) with the test pattern. */
static inline int t_publish(shmout_writer *w)
{
    const struct shmout_geometry *g = shmout_writer_geometry(w, NULL);
    uint8_t *data[4];
    int linesize[4], ret;

    ret = shmout_writer_begin_frame(w, data, linesize);
    if (ret < 0)
        return ret;
    t_fill(g, data, linesize, shmout_writer_frames(w) + 1);
    return shmout_writer_publish(w, NULL);
}

/* Memory shared with forked children (results, flags). */
static inline void *t_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static inline int t_env_int(const char *name, int def)
{
    const char *v = getenv(name);

    return v && *v ? atoi(v) : def;
}

#endif /* SHMOUT_TESTUTIL_H */
