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
 *   soak read NAME [--mode every|latest] [--delay-us N] [--follow] [--open-timeout MS] [--peek]
 *                           a libshmout reader that checks every frame it gets; on exit (writer
 *                           closed, or SIGTERM) prints one line of counters. --peek: zero-copy,
 *                           checks only each frame's number (its first 8 bytes); --no-oracle:
 *                           frames not made by `soak gen` or `storm`, nothing checked
 *   soak storm NAME N EVERY [--slots S] [--delay-us N] [--pause-after K FILE] [--die-in-fallocate K]
 *                           a libshmout writer that changes size and format every EVERY frames;
 *                           --die-in-fallocate K: SIGKILL itself right after the library's K-th
 *                           posix_fallocate: 1 and 2 size the primary and wait objects in set-up,
 *                           3 the first data object, each later one a grown data object (sized,
 *                           not yet announced)
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

static int cmd_read(int argc, char **argv)
{
    const char *name = NULL;
    int mode = SHMOUT_READ_LATEST, follow = 0, peek = 0, oracle = 1, open_timeout = 10000;
    int ret, in_stale = 0;
    long delay_us = 0;
    shmout_reader *r;
    struct planes pl = { 0 };
    struct shmout_geometry og;
    struct shmout_frame_meta meta;
    struct shmout_reader_stats st;
    uint64_t seen = 0, bad = 0, badnum = 0, first = 0, last = 0, sessions = 0;
    int64_t last_pts = INT64_MIN;
    uint64_t badpts = 0;

    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            mode = !strcmp(argv[i], "every") ? SHMOUT_READ_EVERY : SHMOUT_READ_LATEST;
        } else if (!strcmp(argv[i], "--delay-us") && i + 1 < argc) {
            delay_us = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--open-timeout") && i + 1 < argc) {
            open_timeout = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--follow")) {
            follow = 1;
        } else if (!strcmp(argv[i], "--peek")) {
            peek = 1;
        } else if (!strcmp(argv[i], "--no-oracle")) {
            oracle = 0;
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
    ret = shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, open_timeout);
    if (ret < 0) {
        fprintf(stderr, "soak read: %s\n", shmout_errmsg());
        return 1;
    }
    shmout_reader_set_mode(r, mode);

    while (!stop && peek) {
        /* Zero-copy: each frame's number, from its first 8 bytes, checked after validate. */
        struct shmout_frame_view v;
        uint64_t k;
        ret = shmout_reader_acquire(r, &v);
        if (ret == 0 && v.meta.frame_number != last) {
            memcpy(&k, v.data[0], 8);
            if (shmout_reader_validate(r, &v) < 0)
                continue;
            seen++;
            first = first ? first : v.meta.frame_number;
            last = v.meta.frame_number;
            badnum += oracle && k + 1 != last;
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
        if (ret == 0 && meta.frame_number != last) {
            uint64_t k;
            if (meta.frame_number < last || !seen) {
                in_stale = 0;
                sessions++;
                last_pts = INT64_MIN;
            }
            if (!seen)
                first = meta.frame_number;
            seen++;
            last = meta.frame_number;
            if (!oracle)
                ;
            else if (t_identify(&pl.g, (const uint8_t *const *)pl.data, pl.ls, &k) < 0)
                bad++;
            else if (k + 1 != meta.frame_number)
                badnum++;
            if (meta.pts != SHMOUT_NOPTS) {
                if (last_pts != INT64_MIN && meta.pts <= last_pts)
                    badpts++;
                last_pts = meta.pts;
            }
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
            /* The writer's death, once per session, with the CLOCK_MONOTONIC time it was seen. */
            if (ret == -ESTALE && !in_stale) {
                printf("stale at=%" PRIu64 " last=%" PRIu64 "\n", now_ns(), last);
                fflush(stdout);
                in_stale = 1;
            }
            /* The end: return what was published before it first. */
            if (shmout_reader_read(r, &pl.g, pl.data, pl.ls, &og, &meta) != -EAGAIN &&
                meta.frame_number != last)
                continue;
            if (ret == -ESHUTDOWN || !follow)
                break;
            continue;
        }
        fprintf(stderr, "soak read: wait: %s\n", shmout_strerror(ret));
        break;
    }
    shmout_reader_get_stats(r, &st);
    printf("seen=%" PRIu64 " skipped=%" PRIu64 " lib_seen=%" PRIu64 " first=%" PRIu64
           " last=%" PRIu64 " bad=%" PRIu64 " badnum=%" PRIu64
           " badpts=%" PRIu64 " sessions=%" PRIu64 " torn_retries=%" PRIu64
           " geometry_changes=%" PRIu64 " status=%d\n",
           seen, st.frames_skipped, st.frames_seen, first, last, bad, badnum,
           badpts, sessions, st.torn_retries, st.geometry_changes, shmout_reader_status(r));
    shmout_reader_close(r);
    free(pl.buf);
    return bad || badnum || badpts ? 1 : 0;
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
    shmout_writer *w;
    struct shmout_geometry g;
    struct shmout_frame_meta meta;
    uint64_t n, every;
    long delay_us = 0;
    uint64_t pause_after = 0;
    const char *resume_file = NULL;
    int ret;

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
        if (delay_us)
            usleep((useconds_t)delay_us);
        if (k + 1 == pause_after)
            wait_for_file(resume_file);
    }
    shmout_writer_close(w);
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
