/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_crash.c - crash tests: a writer SIGKILLed in the middle of a frame
 * (readers see "writer gone" within a bound, keep the last complete frame,
 * and a new writer takes the name over), and readers SIGKILLed in the
 * middle of reads or waits (the writer is unaffected).
 */
#include "testutil.h"

static struct shmout_geometry geom(void)
{
    struct shmout_geometry g;

    shmout_geometry_init(&g, SHMOUT_PIX_BGRA, 32, 32, 1);
    return g;
}

static void test_writer_killed_mid_frame(void)
{
    const char *name = tname("wkill");
    struct shmout_geometry g = geom();
    struct shmout_frame_view v;
    volatile int *flag = t_shared(4096);
    shmout_writer *w;
    shmout_reader *r;
    uint64_t t0, dt;
    pid_t pid;
    int ret;

    pid = fork();
    if (pid == 0) {
        uint8_t *data[4];
        int ls[4], i;
        if (shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0)
            _exit(1);
        for (i = 0; i < 10; i++)
            t_publish(w);
        shmout_writer_begin_frame(w, data, ls);
        memset(data[0], 0xab, 1000);         /* frame 11 half written */
        *flag = 1;
        for (;;)
            pause();
    }
    while (!*flag)
        t_sleep_ms(1);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 1000), 0);
    if (!r)
        return;
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(v.meta.frame_number, 10);
    CHECK_EQ(shmout_reader_wait(r, 0), -ETIMEDOUT);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    t0 = t_now_ms();
    ret = shmout_reader_wait(r, 5000);       /* was already waiting-capable */
    dt = t_now_ms() - t0;
    CHECK_EQ(ret, -ESTALE);
    CHECK(strstr(shmout_errmsg(), "died") != NULL);
    printf("# writer death seen by a reader's next wait after %llu ms\n",
           (unsigned long long)dt);
    CHECK(dt < 1000);
    CHECK_EQ(shmout_reader_status(r), SHMOUT_STATUS_STALE);
    /* the last complete frame is still there; the half-written one is not accepted */
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(v.meta.frame_number, 10);
    CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 10), 0);
    CHECK_EQ(shmout_reader_validate(r, &v), 0);
    CHECK_EQ(shmout_reader_wait(r, 100), -ESTALE);      /* still gone at timeout */
    /* a new writer takes the stale name over without any cleanup */
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (w) {
        t_publish(w);
        CHECK_EQ(shmout_reader_wait(r, 2000), 0);
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(v.meta.frame_number, 1);
        CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 1), 0);
        CHECK_EQ(shmout_reader_status(r), SHMOUT_STATUS_ACTIVE);
        shmout_writer_close(w);
    }
    shmout_reader_close(r);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

/* A reader blocked in wait() when the writer dies notices within the
 * liveness slice, not at its (long) timeout. A helper process kills the
 * writer and records when. */
/* A writer (child) that publishes one frame and waits to be killed; returns its pid. */
static pid_t dying_writer(const char *name, volatile uint64_t *ready)
{
    struct shmout_geometry g = geom();
    shmout_writer *w;
    pid_t pid;

    *ready = 0;
    pid = fork();
    if (pid == 0) {
        if (shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0)
            _exit(1);
        t_publish(w);
        *ready = 1;
        for (;;)
            pause();
    }
    while (!*ready)
        t_sleep_ms(1);
    return pid;
}

static void test_waiting_reader_sees_death(void)
{
    const char *name = tname("wdeath");
    volatile uint64_t *shm = t_shared(4096);   /* [0] writer ready, [1] kill time (ms) */
    shmout_reader *r;
    uint64_t dt;
    pid_t pid, killer;

    pid = dying_writer(name, shm);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 1000), 0);
    if (!r)
        return;
    CHECK_EQ(shmout_reader_wait(r, 0), 0);
    {
        struct shmout_frame_view v;
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    }
    killer = fork();
    if (killer == 0) {
        t_sleep_ms(225);             /* not a multiple of the 50 ms slice */
        shm[1] = t_now_ms();
        kill(pid, SIGKILL);
        _exit(0);
    }
    CHECK_EQ(shmout_reader_wait(r, 10000), -ESTALE);
    dt = t_now_ms() - shm[1];
    waitpid(killer, NULL, 0);
    waitpid(pid, NULL, 0);
    printf("# a reader blocked in wait saw the writer's death %llu ms after SIGKILL\n",
           (unsigned long long)dt);
    CHECK(dt < 500);
    shmout_reader_close(r);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

/* A successor that takes the name over and dies between two waits is a new end of session:
 * reported at once, not at the wait's timeout (PROTOCOL.md §12). */
static void test_unseen_successor_death(void)
{
    const char *name = tname("unseen");
    volatile uint64_t *shm = t_shared(4096);
    struct shmout_frame_view v;
    shmout_reader *r;
    uint64_t t0;
    pid_t pid;

    pid = dying_writer(name, shm);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 1000), 0);
    if (!r)
        return;
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK_EQ(shmout_reader_wait(r, 5000), -ESTALE);
    pid = dying_writer(name, shm);      /* comes, publishes and dies, all between two waits */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);     /* its frame */
    CHECK_EQ(v.meta.frame_number, 1);
    t0 = t_now_ms();
    CHECK_EQ(shmout_reader_wait(r, 5000), -ESTALE);
    CHECK(t_now_ms() - t0 < 1000);
    shmout_reader_close(r);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

static void test_reader_killed(void)
{
    const char *name = tname("rkill");
    struct shmout_geometry g = geom();
    struct shmout_block_info info;
    shmout_writer *w;
    pid_t pids[6];
    uint64_t before, t0;
    int i;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!w)
        return;
    t_publish(w);
    for (i = 0; i < 6; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            struct shmout_frame_view v;
            uint8_t buf[32 * 32 * 4], *dst[4] = { buf };
            int dls[4] = { 128 };
            shmout_reader *r;
            if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 1000) < 0)
                _exit(1);
            for (;;) {                   /* half wait, half busy reading */
                if (i % 2)
                    shmout_reader_wait(r, 1000);
                if (shmout_reader_acquire(r, &v) == 0)
                    shmout_reader_validate(r, &v);
                shmout_reader_read(r, &g, dst, dls, NULL, NULL);
            }
        }
    }
    for (i = 0; i < 200; i++)
        t_publish(w);
    t_sleep_ms(50);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.readers, 6);
    for (i = 0; i < 6; i++) {
        t_publish(w);
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    /* the writer keeps publishing at full speed, nothing blocks it */
    before = shmout_writer_frames(w);
    t0 = t_now_ms();
    for (i = 0; i < 10000; i++)
        CHECK_EQ(t_publish(w), 0);
    CHECK_EQ(shmout_writer_frames(w), before + 10000);
    printf("# 10000 frames after killing 6 readers took %llu ms\n",
           (unsigned long long)(t_now_ms() - t0));
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.readers, 0);
    CHECK_EQ(info.status, SHMOUT_STATUS_ACTIVE);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

int main(void)
{
    RUN(test_writer_killed_mid_frame);
    RUN(test_waiting_reader_sees_death);
    RUN(test_unseen_successor_death);
    RUN(test_reader_killed);
    return t_failed_total != 0;
}
