/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the shmout authors */

/*
 * soak.c: the frame source, writers and checking readers that the reliability suites
 * (tests/reliability/) drive. Every frame's bytes are a function of its index k and its
 * geometry (the oracle of frame_oracle.h, which the libshmout tests use too), with k stored in
 * the first 8 bytes of plane 0, so any reader can tell a torn, wrong-geometry or misnumbered
 * frame from a good one, byte for byte.
 *
 *   soak gen W H N [--pause-after K FILE]
 *                           N rgba frames on stdout, for ffmpeg -f rawvideo -pix_fmt rgba -s WxH -i -;
 *                           after the K-th frame, waits until FILE exists
 *   soak check W H          checks rgba frames on stdin (e.g. from ffmpeg -f shmin ... -f rawvideo -)
 *   soak read NAME [--mode every|latest|lossless] [--delay-us N] [--follow] [--open-timeout MS]
 *             [--peek] [--no-oracle]
 *                           a libshmout reader that checks every frame it gets, opened in its mode
 *                           (shmout_reader_open_opts: an every or lossless reader is registered
 *                           before it counts as attached); prints "attached registered=R" once
 *                           open, (lossless) "gap from=A to=B" for the frames missing before
 *                           one it returns, "evicted at=M frame=F skipped=S" when it finds it
 *                           was evicted (take_frame),
 *                           "session first=F last=L seen=S gaps=G lost=X" for each session it
 *                           read (frame numbers restart: a new writer), and on exit (writer
 *                           closed, or SIGTERM) one line of counters. --peek: zero-copy,
 *                           checks only each frame's number (its first 8 bytes); --no-oracle:
 *                           frames not made by `soak gen` or `storm`, nothing checked
 *   soak storm NAME N EVERY [--slots S] [--delay-us N] [--pause-after K FILE] [--die-in-fallocate K]
 *              [--lossless-timeout-ms MS] [--count-file FILE]
 *                           a libshmout writer that changes size and format every EVERY frames;
 *                           --count-file: after each frame, the number published so far in FILE
 *                           (a SIGKILL may come between a frame and its count: the block tells);
 *                           --die-in-fallocate K: SIGKILL itself right after the library's K-th
 *                           posix_fallocate: 1 and 2 size the primary and wait objects in set-up,
 *                           3 the first data object, each later one a grown data object (sized,
 *                           not yet announced); at its end it prints its writer stats
 *                           (shmout_writer_get_stats) in one line "writer frames=..."
 *
 * Exit status: 0 ok, 1 a check failed or an error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmout.h"
#include "frame_oracle.h"

static int rgba_geometry(struct shmout_geometry *g, const char *w, const char *h)
{
    int ret = shmout_geometry_init(g, SHMOUT_PIX_RGBA, (uint32_t)atoi(w), (uint32_t)atoi(h), 1);
    if (ret < 0 || g->plane_bytewidth[0] < 8) {
        fprintf(stderr, "soak: bad size %sx%s\n", w, h);
        return -1;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --pause-after K FILE: after the K-th frame, a writer waits here until FILE exists. */
static void wait_for_file(const char *path)
{
    while (access(path, F_OK) < 0)
        usleep(1000);
}

/* ---- gen, check: raw rgba through pipes ------------------------------------------------- */

static int write_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(1, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int cmd_gen(int argc, char **argv)
{
    struct shmout_geometry g;
    uint8_t *buf;
    uint64_t n, pause_after = 0;
    const char *resume_file = NULL;

    if ((argc != 3 && !(argc == 6 && !strcmp(argv[3], "--pause-after"))) ||
        rgba_geometry(&g, argv[0], argv[1]) < 0)
        return 2;
    n = strtoull(argv[2], NULL, 10);
    if (argc == 6) {
        pause_after = strtoull(argv[4], NULL, 10);
        resume_file = argv[5];
    }
    buf = malloc(g.frame_bytes);
    if (!buf)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    for (uint64_t k = 0; k < n; k++) {
        uint8_t *data[4] = { buf };
        int ls[4] = { (int)g.plane_linesize[0] };
        t_fill(&g, data, ls, k);
        if (write_all(buf, g.frame_bytes) < 0) {
            if (errno != EPIPE)     /* the writer was killed: expected */
                fprintf(stderr, "soak gen: write failed after %" PRIu64 " frames: %s\n", k,
                        strerror(errno));
            free(buf);
            return 1;
        }
        if (k + 1 == pause_after)
            wait_for_file(resume_file);
    }
    free(buf);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    struct shmout_geometry g;
    uint8_t *buf;
    uint64_t frames = 0, bad = 0, gaps = 0, k, last = 0;
    size_t have = 0;

    if (argc != 2 || rgba_geometry(&g, argv[0], argv[1]) < 0)
        return 2;
    buf = malloc(g.frame_bytes);
    if (!buf)
        return 1;
    for (;;) {
        ssize_t r = read(0, buf + have, g.frame_bytes - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        if (have < g.frame_bytes)
            continue;
        have = 0;
        const uint8_t *data[4] = { buf };
        int ls[4] = { (int)g.plane_linesize[0] };
        if (t_identify(&g, data, ls, &k) < 0) {
            bad++;
            continue;
        }
        if (frames && k != last + 1)
            gaps++;
        frames++;
        last = k;
    }
    printf("frames=%" PRIu64 " bad=%" PRIu64 " gaps=%" PRIu64 " last=%" PRIu64 " partial=%zu\n",
           frames, bad, gaps, frames ? last + 1 : 0, have);
    free(buf);
    return bad || have ? 1 : 0;
}

/* ---- read: a checking libshmout reader --------------------------------------------------- */

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

struct planes {
    struct shmout_geometry g;
    uint8_t *buf;
    uint8_t *data[4];
    int ls[4];
};

static int planes_alloc(struct planes *pl, const struct shmout_geometry *g)
{
    uint64_t off = 0;

    free(pl->buf);
    pl->g = *g;
    for (uint32_t p = 0; p < g->nb_planes; p++)
        off += (uint64_t)g->plane_bytewidth[p] * g->plane_height[p];
    pl->buf = malloc(off ? off : 1);
    if (!pl->buf)
        return -1;
    off = 0;
    memset(pl->data, 0, sizeof(pl->data));
    memset(pl->ls, 0, sizeof(pl->ls));
    for (uint32_t p = 0; p < g->nb_planes; p++) {
        pl->data[p] = pl->buf + off;
        pl->ls[p] = (int)g->plane_bytewidth[p];
        off += (uint64_t)g->plane_bytewidth[p] * g->plane_height[p];
    }
    return 0;
}

/* What a checking reader counts of the frames it returns (the library counts too: stats). */
struct tally {
    int oracle, lossless;
    uint64_t seen, bad, badnum, badpts, first, last, sessions, gaps, evictions;
    int64_t last_pts;
    /* the current session as this reader saw it: the frames it returned, from its first to
     * its last, and the numbers missing in between (those before its first are the library's
     * to count) */
    uint64_t s_first, s_last, s_seen, s_gaps, s_lost;
};

static void session_print(const struct tally *t)
{
    if (t->s_seen)
        printf("session first=%" PRIu64 " last=%" PRIu64 " seen=%" PRIu64 " gaps=%" PRIu64
               " lost=%" PRIu64 "\n", t->s_first, t->s_last, t->s_seen, t->s_gaps, t->s_lost);
    fflush(stdout);
}

/* A frame read returned (copied into pl): checked against the oracle and counted, once. A
 * lossless reader names the frames it lost, right away (an every reader loses many, unnamed):
 * "gap from=A to=B" (with before_attach=N, the library's count, at its very first frame),
 * then, if the library found an eviction before it returned this frame, "evicted ..." (the
 * frames it lost to that are those of the gap just before). Returns 1 if the frame starts a
 * new session. */
static int take_frame(struct tally *t, shmout_reader *r, const struct planes *pl,
                      const struct shmout_frame_meta *meta)
{
    struct shmout_reader_stats st;
    uint64_t k, n = meta->frame_number, from = 0;
    int new_session = 0;

    shmout_reader_get_stats(r, &st);
    if (n < t->last || !t->seen) {
        /* a new session (a new writer: frame numbers restart) */
        new_session = 1;
        t->sessions++;
        t->last_pts = INT64_MIN;
        session_print(t);
        t->s_first = n;
        t->s_seen = t->s_gaps = t->s_lost = 0;
        from = n > 1 ? 1 : 0;
    } else if (n != t->last + 1) {
        t->s_gaps++;
        t->s_lost += n - t->last - 1;
        t->gaps++;
        from = t->last + 1;
    }
    if (t->lossless && from) {
        if (!t->seen)
            printf("gap from=%" PRIu64 " to=%" PRIu64 " before_attach=%" PRIu64 "\n", from,
                   n - 1, st.frames_before_attach);
        else
            printf("gap from=%" PRIu64 " to=%" PRIu64 "\n", from, n - 1);
    }
    if (st.evictions != t->evictions) {
        t->evictions = st.evictions;
        printf("evicted at=%" PRIu64 " frame=%" PRIu64 " skipped=%" PRIu64 "\n", st.evicted_at,
               n, st.frames_skipped);
    }
    fflush(stdout);
    t->s_seen++;
    t->s_last = n;
    if (!t->seen)
        t->first = n;
    t->seen++;
    t->last = n;
    if (!t->oracle)
        ;
    else if (t_identify(&pl->g, (const uint8_t *const *)pl->data, pl->ls, &k) < 0)
        t->bad++;
    else if (k + 1 != n)
        t->badnum++;
    if (meta->pts != SHMOUT_NOPTS) {
        if (t->last_pts != INT64_MIN && meta->pts <= t->last_pts)
            t->badpts++;
        t->last_pts = meta->pts;
    }
    return new_session;
}

static int cmd_read(int argc, char **argv)
{
    const char *name = NULL;
    int mode = SHMOUT_READ_LATEST, follow = 0, peek = 0, open_timeout = 10000;
    int ret, end, in_stale = 0;
    long delay_us = 0;
    shmout_reader *r;
    struct shmout_reader_options ro = { 0 };
    struct planes pl = { 0 };
    struct shmout_geometry og;
    struct shmout_frame_meta meta;
    struct shmout_reader_stats st;
    struct tally t = { .oracle = 1, .last_pts = INT64_MIN };
    uint64_t stale_reattaches = 0;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            mode = !strcmp(argv[i], "every") ? SHMOUT_READ_EVERY :
                   !strcmp(argv[i], "lossless") ? SHMOUT_READ_LOSSLESS : SHMOUT_READ_LATEST;
        } else if (!strcmp(argv[i], "--delay-us") && i + 1 < argc) {
            delay_us = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--open-timeout") && i + 1 < argc) {
            open_timeout = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--follow")) {
            follow = 1;
        } else if (!strcmp(argv[i], "--peek")) {
            peek = 1;
        } else if (!strcmp(argv[i], "--no-oracle")) {
            t.oracle = 0;
        } else if (!name && argv[i][0] != '-') {
            name = argv[i];
        } else {
            fprintf(stderr, "soak read: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!name)
        return 2;
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    /* In its mode from the open on: an every or lossless reader is registered before it counts
     * as attached, so that a writer that waited for its readers loses nothing for it. */
    ro.mode = mode;
    t.lossless = mode == SHMOUT_READ_LOSSLESS;
    ret = shmout_reader_open_opts(&r, name, SHMOUT_MEMTYPE_LOCAL, open_timeout, &ro);
    if (ret < 0) {
        fprintf(stderr, "soak read: %s\n", shmout_errmsg());
        return 1;
    }
    shmout_reader_get_stats(r, &st);
    printf("attached registered=%u\n", (unsigned)st.registered);
    fflush(stdout);

    while (!stop && peek) {
        /* Zero-copy: each frame's number, from its first 8 bytes, checked after validate. */
        struct shmout_frame_view v;
        uint64_t k;
        ret = shmout_reader_acquire(r, &v);
        if (ret == 0 && v.meta.frame_number != t.last) {
            memcpy(&k, v.data[0], 8);
            if (shmout_reader_validate(r, &v) < 0)
                continue;
            t.seen++;
            t.first = t.first ? t.first : v.meta.frame_number;
            t.last = v.meta.frame_number;
            t.badnum += t.oracle && k + 1 != t.last;
            continue;
        }
        if (ret < 0 && ret != -EAGAIN)
            break;
        ret = shmout_reader_wait(r, 1000);
        if (ret != 0 && ret != -ETIMEDOUT)
            break;
    }
    while (!stop && !peek) {
        ret = shmout_reader_read(r, &pl.g, pl.data, pl.ls, &og, &meta);
        if (ret == -EMSGSIZE) {
            if (planes_alloc(&pl, &og) < 0)
                return 1;
            continue;
        }
        if (ret == 0 && meta.frame_number != t.last) {
            if (take_frame(&t, r, &pl, &meta))
                in_stale = 0;
            if (delay_us)
                usleep((useconds_t)delay_us);
            continue;
        }
        if (ret < 0 && ret != -EAGAIN) {
            fprintf(stderr, "soak read: %s\n", shmout_errmsg());
            break;
        }
        ret = shmout_reader_wait(r, 1000);
        if (ret == 0 || ret == -ETIMEDOUT)
            continue;
        if (ret == -ESHUTDOWN || ret == -ESTALE) {
            /* The writer's death, once per session, with the CLOCK_MONOTONIC time it was seen
             * (a new session: one it returned a frame of, or whose data object it attached,
             * even if that one had none left for it). */
            shmout_reader_get_stats(r, &st);
            if (ret == -ESTALE && (!in_stale || st.reattaches != stale_reattaches)) {
                printf("stale at=%" PRIu64 " last=%" PRIu64 "\n", now_ns(), t.last);
                fflush(stdout);
                in_stale = 1;
                stale_reattaches = st.reattaches;
            }
            /* The end: return what was published before it first (a frame this read returns
             * is counted here: the next read would return the one after it). */
            end = ret;
            ret = shmout_reader_read(r, &pl.g, pl.data, pl.ls, &og, &meta);
            if (ret == -EMSGSIZE)
                continue;
            if (ret == 0 && meta.frame_number != t.last) {
                if (take_frame(&t, r, &pl, &meta))
                    in_stale = 0;
                continue;
            }
            if (end == -ESHUTDOWN || !follow)
                break;
            continue;
        }
        fprintf(stderr, "soak read: wait: %s\n", shmout_strerror(ret));
        break;
    }
    session_print(&t);
    shmout_reader_get_stats(r, &st);
    printf("seen=%" PRIu64 " skipped=%" PRIu64 " lib_seen=%" PRIu64 " first=%" PRIu64
           " last=%" PRIu64 " bad=%" PRIu64 " badnum=%" PRIu64
           " badpts=%" PRIu64 " sessions=%" PRIu64 " torn_retries=%" PRIu64
           " geometry_changes=%" PRIu64 " gaps=%" PRIu64 " before_attach=%" PRIu64
           " evictions=%" PRIu64 " evicted_at=%" PRIu64 " registered=%u status=%d\n",
           t.seen, st.frames_skipped, st.frames_seen, t.first, t.last, t.bad, t.badnum,
           t.badpts, t.sessions, st.torn_retries, st.geometry_changes, t.gaps,
           st.frames_before_attach, st.evictions, st.evicted_at, (unsigned)st.registered,
           shmout_reader_status(r));
    shmout_reader_close(r);
    free(pl.buf);
    return t.bad || t.badnum || t.badpts ? 1 : 0;
}

/* ---- storm: a writer that changes size and format every few frames ---------------------- */

static int die_countdown = -1;   /* posix_fallocate calls left before dying; -1 = never */

/* The library sizes every object it creates with posix_fallocate: this definition, linked into
 * the program, stands in for libc's so that --die-in-fallocate can stop the writer right there. */
int posix_fallocate(int fd, off_t offset, off_t len)
{
    if (fallocate(fd, 0, offset, len) < 0)
        return errno;
    if (die_countdown > 0 && --die_countdown == 0)
        raise(SIGKILL);
    return 0;
}

static int cmd_storm(int argc, char **argv)
{
    /* Sizes grow along the list, so that the data object grows more than once. */
    static const struct { uint32_t fmt, w, h; } cycle[] = {
        { SHMOUT_PIX_RGBA, 32, 24 }, { SHMOUT_PIX_GRAY, 48, 20 }, { SHMOUT_PIX_YUV420P, 64, 48 },
        { SHMOUT_PIX_RGBA64LE, 40, 30 }, { SHMOUT_PIX_RGBA, 96, 64 }, { SHMOUT_PIX_GBRP, 80, 60 },
        { SHMOUT_PIX_GRAY16LE, 128, 96 }, { SHMOUT_PIX_RGBA, 160, 120 },
    };
    const size_t nc = sizeof(cycle) / sizeof(cycle[0]);
    struct shmout_writer_options opts;
    struct shmout_writer_stats st;
    shmout_writer *w;
    struct shmout_geometry g;
    struct shmout_frame_meta meta;
    uint64_t n, every;
    long delay_us = 0;
    uint64_t pause_after = 0;
    const char *resume_file = NULL;
    int ret, count_fd = -1;

    if (argc < 3)
        return 2;
    shmout_writer_options_default(&opts);
    n = strtoull(argv[1], NULL, 10);
    every = strtoull(argv[2], NULL, 10);
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--slots"))
            opts.slots = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--die-in-fallocate"))
            die_countdown = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--delay-us"))
            delay_us = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--lossless-timeout-ms"))
            opts.lossless_timeout_ms = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--count-file")) {
            count_fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (count_fd < 0) {
                fprintf(stderr, "soak storm: %s: %s\n", argv[i + 1], strerror(errno));
                return 1;
            }
        }
        else if (!strcmp(argv[i], "--pause-after") && i + 2 < argc) {
            pause_after = strtoull(argv[i + 1], NULL, 10);
            resume_file = argv[++i + 1];
        } else
            return 2;
    }
    if (!every)
        return 2;
    shmout_geometry_init(&g, cycle[0].fmt, cycle[0].w, cycle[0].h, 1);
    ret = shmout_writer_open(&w, argv[0], SHMOUT_MEMTYPE_LOCAL, &g, &opts);
    if (ret < 0) {
        fprintf(stderr, "soak storm: %s\n", shmout_errmsg());
        return 1;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint8_t *data[4];
        int ls[4];
        if (k && k % every == 0) {
            size_t c = (size_t)(k / every) % nc;
            shmout_geometry_init(&g, cycle[c].fmt, cycle[c].w, cycle[c].h, 1);
            if ((ret = shmout_writer_set_geometry(w, &g)) < 0) {
                fprintf(stderr, "soak storm: %s\n", shmout_errmsg());
                shmout_writer_close(w);
                return 1;
            }
        }
        if ((ret = shmout_writer_begin_frame(w, data, ls)) < 0)
            break;
        t_fill(&g, data, ls, k);
        memset(&meta, 0, sizeof(meta));
        meta.pts = (int64_t)k;
        meta.tb_num = 1;
        meta.tb_den = 1000;
        if ((ret = shmout_writer_publish(w, &meta)) < 0)
            break;
        if (count_fd >= 0) {
            /* frames published so far, for whoever outlives a SIGKILL of this writer */
            char cnt[32];
            int len = snprintf(cnt, sizeof(cnt), "%20" PRIu64 "\n", k + 1);
            if (pwrite(count_fd, cnt, (size_t)len, 0) != len) {
                fprintf(stderr, "soak storm: count file: %s\n", strerror(errno));
                shmout_writer_close(w);
                return 1;
            }
        }
        if (delay_us)
            usleep((useconds_t)delay_us);
        if (k + 1 == pause_after)
            wait_for_file(resume_file);
    }
    /* What the lossless readers cost it and what it did about them (PROTOCOL.md §21). */
    shmout_writer_get_stats(w, &st);
    printf("writer frames=%" PRIu64 " lossless_waits=%" PRIu64 " lossless_wait_ms=%" PRIu64
           " evictions=%" PRIu64 " reclaimed=%" PRIu64 " slowest_reader_lost=%" PRIu64
           " registered=%u\n", st.frames, st.lossless_waits, st.lossless_wait_ns / 1000000u,
           st.evictions, st.reclaimed, st.slowest_reader_lost, (unsigned)st.registered);
    fflush(stdout);
    shmout_writer_close(w);
    if (count_fd >= 0)
        close(count_fd);
    if (ret < 0)
        fprintf(stderr, "soak storm: %s\n", shmout_errmsg());
    return ret < 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "gen"))
        return cmd_gen(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "read"))
        return cmd_read(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "storm"))
        return cmd_storm(argc - 2, argv + 2);
    fprintf(stderr, "usage: soak gen W H N | check W H | read NAME [...] | storm NAME N EVERY [...]\n");
    return 2;
}
