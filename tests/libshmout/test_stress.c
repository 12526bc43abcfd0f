/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_stress.c - multi-process stress: one writer publishing as fast as it
 * can (SHMOUT_STRESS_FRAMES frames, default 200000, 64x64 rgba, each frame a
 * pattern derived from its number), several readers (zero-copy, copy-out,
 * slow, and one repeatedly SIGSTOPped/SIGCONTed) verifying every frame they
 * accept. Asserts that every publish succeeds, that no torn frame is
 * accepted, and reports the writer's rate with readers relative to without.
 * (The cost of a publish itself, with and without a waiting reader, is a
 * figure of make bench: scripts/bench/benchtool.c publish.)
 */
#include "testutil.h"

#include <sys/resource.h>

#define NREADERS 4

struct result {
    uint64_t accepted, bad, caught, seen, skipped, torn;
    int ready;
};

struct shared {
    volatile int done;
    volatile int writer_ready;
    double writer_secs;
    int published;                      /* frames whose begin_frame and publish returned 0 */
    struct result r[NREADERS];
};

static struct shmout_geometry geom(void)
{
    struct shmout_geometry g;

    shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 64, 64, 1);
    return g;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void writer_proc(const char *name, int frames, struct shared *sh)
{
    struct shmout_geometry g = geom();
    shmout_writer *w;
    double t0;
    int i;

    if (shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0) {
        fprintf(stderr, "writer: %s\n", shmout_errmsg());
        _exit(1);
    }
    sh->writer_ready = 1;
    while (sh->writer_ready != 2)          /* wait until the readers are attached */
        t_sleep_ms(1);
    t0 = now_s();
    for (i = 0; i < frames; i++)
        sh->published += t_publish(w) == 0;
    sh->writer_secs = now_s() - t0;
    sh->done = 1;
    shmout_writer_close(w);
    _exit(0);
}

/* kind 0: zero-copy verify in place; 1: copy-out; 2: slow copy-out */
static void reader_proc(const char *name, int kind, struct result *res, struct shared *sh)
{
    struct shmout_geometry g = geom(), out;
    struct shmout_frame_view v;
    struct shmout_frame_meta m;
    struct shmout_reader_stats st;
    static uint8_t buf[64 * 64 * 4];
    uint8_t *dst[4] = { buf };
    const uint8_t *cdst[4] = { buf };
    int dls[4] = { 256 }, ret;
    shmout_reader *r;

    if (setpriority(PRIO_PROCESS, 0, 10) < 0)
        perror("setpriority");
    if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 5000) < 0) {
        fprintf(stderr, "reader: %s\n", shmout_errmsg());
        _exit(1);
    }
    res->ready = 1;
    while (!sh->done) {
        ret = shmout_reader_wait(r, 100);
        if (ret != 0)
            continue;
        if (kind == 0) {
            if (shmout_reader_acquire(r, &v) < 0)
                continue;
            ret = t_verify(&v.geometry, v.data, v.linesize, v.meta.frame_number);
            if (shmout_reader_validate(r, &v) < 0) {
                res->caught += ret != 0;      /* torn content that validate caught */
                continue;                     /* overwritten: discard */
            }
        } else {
            if (shmout_reader_read(r, &g, dst, dls, &out, &m) < 0)
                continue;
            ret = t_verify(&out, cdst, dls, m.frame_number);
            if (kind == 2)
                t_sleep_ms(1);
        }
        res->accepted++;
        if (ret != 0)
            res->bad++;
    }
    shmout_reader_get_stats(r, &st);
    res->seen = st.frames_seen;
    res->skipped = st.frames_skipped;
    res->torn = st.torn_retries;
    shmout_reader_close(r);
    _exit(0);
}

static double run(const char *name, int frames, int nreaders, struct shared *sh)
{
    pid_t wpid, rpid[NREADERS];
    int i, ready, status;

    memset(sh, 0, sizeof(*sh));
    wpid = fork();
    if (wpid == 0)
        writer_proc(name, frames, sh);
    while (!sh->writer_ready)
        t_sleep_ms(1);
    for (i = 0; i < nreaders; i++) {
        rpid[i] = fork();
        if (rpid[i] == 0)
            reader_proc(name, i == 0 ? 0 : i == 2 ? 2 : 1, &sh->r[i], sh);
    }
    do {
        t_sleep_ms(1);
        for (ready = 0, i = 0; i < nreaders; i++)
            ready += sh->r[i].ready;
    } while (ready < nreaders);
    sh->writer_ready = 2;
    /* reader 3 gets stopped and continued while the writer runs */
    while (!sh->done) {
        if (nreaders > 3) {
            kill(rpid[3], SIGSTOP);
            t_sleep_ms(3);
            kill(rpid[3], SIGCONT);
        }
        t_sleep_ms(2);
    }
    waitpid(wpid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(sh->published, frames);
    for (i = 0; i < nreaders; i++) {
        kill(rpid[i], SIGCONT);
        waitpid(rpid[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return frames / sh->writer_secs;
}

static void test_stress(void)
{
    const char *name = tname("stress");
    struct shared *sh = t_shared(sizeof(struct shared));
    int frames = t_env_int("SHMOUT_STRESS_FRAMES", 200000), i;
    double alone, with;
    static const char *const kinds[] = { "zero-copy", "copy", "slow copy", "stopped copy" };

    alone = run(name, frames, 0, sh);
    with = run(name, frames, NREADERS, sh);
    printf("# stress: %d frames 64x64 rgba; writer alone %.0f frames/s, with %d readers "
           "%.0f frames/s, ratio %.2f\n", frames, alone, NREADERS, with, with / alone);
    for (i = 0; i < NREADERS; i++) {
        printf("# reader %d (%s): %llu frames accepted, %llu bad, %llu torn caught by "
               "validate, %llu skipped, %llu torn reads retried\n", i, kinds[i],
               (unsigned long long)sh->r[i].accepted, (unsigned long long)sh->r[i].bad,
               (unsigned long long)sh->r[i].caught, (unsigned long long)sh->r[i].skipped,
               (unsigned long long)sh->r[i].torn);
        CHECK_EQ(sh->r[i].bad, 0);
        CHECK(sh->r[i].accepted > 0);
        CHECK(sh->r[i].seen + sh->r[i].skipped <= (uint64_t)frames);
    }
    /* sanity only, not a benchmark; sanitizer builds lower it via the environment */
    CHECK(with / alone > t_env_int("SHMOUT_STRESS_MIN_RATIO_PCT", 50) / 100.0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

int main(void)
{
    RUN(test_stress);
    return t_failed_total != 0;
}
