/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * testutil.h - tiny test harness shared by the libshmout test programs:
 * CHECK macros, TAP-style "ok"/"not ok" lines counted by run_tests.sh,
 * unique block names, and the self-checking frame pattern (t_fill, t_verify: the
 * frame oracle of tests/tools/frame_oracle.h, shared with tests/tools/soak.c).
 */
#ifndef SHMOUT_TESTUTIL_H
#define SHMOUT_TESTUTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include "../tools/frame_oracle.h"

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

/* The line of a test case that ran: ok unless a check failed. */
static inline void t_report(const char *name)
{
    printf("%s - %s\n", t_case_failed ? "not ok" : "ok", name);
    fflush(stdout);
    t_failed_total += t_case_failed;
}

#define RUN(fn) do { \
        t_case_failed = 0; \
        fn(); \
        t_report(#fn); \
    } while (0)

/* The reader r's acquire into the view *v gives frame n, with frame n's pattern (t_fill). */
#define CHECK_FRAME(r, v, n) do { \
        int acquired_ = shmout_reader_acquire(r, v); \
        CHECK_EQ(acquired_, 0); \
        CHECK_EQ((v)->meta.frame_number, n); \
        if (acquired_ == 0) \
            CHECK_EQ(t_verify(&(v)->geometry, (v)->data, (v)->linesize, n), 0); \
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

/* The waiters word of the local block name's wait object (readers registered in
 * shmout_reader_wait), or UINT32_MAX if it cannot be read. */
static inline uint32_t t_waiters(const char *name)
{
    char obj[128], wobj[160];
    uint32_t n = UINT32_MAX;
    int fd;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(wobj, sizeof(wobj), "%s@w", obj);
    fd = shm_open(wobj, O_RDONLY, 0);
    if (fd >= 0 && pread(fd, &n, 4, 0) != 4)
        n = UINT32_MAX;
    if (fd >= 0)
        close(fd);
    return n;
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
