/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_lossless.c - reader registration and lossless readers (PROTOCOL.md §21): every
 * readers are counted, never waited for; lossless readers lose nothing behind a writer that
 * never pauses; a stopped one is evicted after the bound and told which frames it lost; a
 * killed one is reclaimed; a hostile process scribbling over the registrations cannot corrupt
 * a frame; frames published before a reader's first frame are counted; wait_readers. Readers
 * run in child processes, which report through their exit status and a pipe.
 */
#include "testutil.h"

#include <poll.h>

#define W 64
#define H 48

static struct shmout_geometry geom(void)
{
    struct shmout_geometry g;

    shmout_geometry_init(&g, SHMOUT_PIX_RGBA, W, H, 1);
    return g;
}

static shmout_writer *open_writer(const char *name, uint32_t timeout_ms)
{
    struct shmout_writer_options o;
    struct shmout_geometry g = geom();
    shmout_writer *w = NULL;

    shmout_writer_options_default(&o);
    o.lossless_timeout_ms = timeout_ms;
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, &o), 0);
    return w;
}

/* What a child reader saw, sent to the parent through a pipe. */
struct seen {
    uint64_t first, last, gap_from, gap_to, bad;
    struct shmout_reader_stats st;
};

/*
 * Child: a reader in mode that reads (copy-out) every frame until the writer closes the
 * block, checking each against the pattern, sleeping delay_us after each; it writes one
 * byte to ready when registered and its struct seen to out at the end. Frames may change size
 * up to 16 times the area of geom().
 */
static void child_reader(const char *name, int mode, int delay_us, int ready, int out)
{
    struct shmout_geometry want = geom(), got;
    struct shmout_frame_meta m;
    struct shmout_reader_options o = { .mode = mode };
    struct seen s;
    shmout_reader *r = NULL;
    uint8_t *buf = malloc(16 * want.frame_bytes), *data[4] = { buf, NULL, NULL, NULL };
    int linesize[4] = { (int)want.plane_linesize[0], 0, 0, 0 }, ret;
    uint64_t prev = 0;

    memset(&s, 0, sizeof(s));
    if (!buf || shmout_reader_open_opts(&r, name, SHMOUT_MEMTYPE_LOCAL, 10000, &o) < 0)
        _exit(3);
    if (write(ready, "r", 1) != 1)
        _exit(3);
    for (;;) {
        ret = shmout_reader_wait(r, 10000);
        if (ret == -ESHUTDOWN || ret == -ESTALE)
            break;
        if (ret < 0)
            _exit(4);
        ret = shmout_reader_read(r, &want, data, linesize, &got, &m);
        if (ret == -EMSGSIZE && got.frame_bytes <= 16 * geom().frame_bytes) {
            want = got;             /* a new size: read it again at that size */
            linesize[0] = (int)got.plane_linesize[0];
            continue;
        }
        if (ret == -EAGAIN)
            continue;
        if (ret < 0)
            _exit(5);
        if (t_verify(&got, (const uint8_t *const *)data, linesize, m.frame_number))
            s.bad++;
        if (!s.first)
            s.first = m.frame_number;
        if (m.frame_number != prev + 1 && prev && !s.gap_from) {
            s.gap_from = prev + 1;
            s.gap_to = m.frame_number - 1;
        }
        prev = s.last = m.frame_number;
        if (delay_us)
            usleep((useconds_t)delay_us);
    }
    shmout_reader_get_stats(r, &s.st);
    if (write(out, &s, sizeof(s)) != (ssize_t)sizeof(s))
        _exit(6);
    shmout_reader_close(r);
    _exit(0);
}

struct kid {
    pid_t pid;
    int ready, out;
};

static struct kid spawn(const char *name, int mode, int delay_us)
{
    int rp[2], op[2];
    struct kid k = { -1, -1, -1 };

    if (pipe(rp) < 0 || pipe(op) < 0)
        return k;
    k.pid = fork();
    if (k.pid == 0) {
        close(rp[0]);
        close(op[0]);
        child_reader(name, mode, delay_us, rp[1], op[1]);
    }
    close(rp[1]);
    close(op[1]);
    k.ready = rp[0];
    k.out = op[0];
    return k;
}

/* Wait until the child says it is registered (up to 10 s). */
static int kid_ready(const struct kid *k)
{
    struct pollfd p = { .fd = k->ready, .events = POLLIN };
    char c;

    return poll(&p, 1, 10000) == 1 && read(k->ready, &c, 1) == 1 ? 0 : -1;
}

/* Collect the child's report and exit status (0 = ran to the end). */
static int kid_end(struct kid *k, struct seen *s)
{
    int status = -1;
    ssize_t n = read(k->out, s, sizeof(*s));

    waitpid(k->pid, &status, 0);
    close(k->ready);
    close(k->out);
    if (n != (ssize_t)sizeof(*s))
        memset(s, 0, sizeof(*s));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void publish_n(shmout_writer *w, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(t_publish(w), 0);
}

/* An every reader is registered and counted, never waited for: the writer's count of the
 * frames it lost equals the reader's own count of the frames before its first one. */
static void test_every_reader_counted(void)
{
    const char *name = tname("every");
    shmout_writer *w = open_writer(name, 1000);
    shmout_reader *r = NULL;
    struct shmout_writer_stats ws;
    struct shmout_reader_stats rs;
    struct shmout_frame_view v;

    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_reader_set_mode(r, SHMOUT_READ_EVERY), 0);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.registered, SHMOUT_REG_EVERY);
    publish_n(w, 10);
    shmout_writer_get_stats(w, &ws);
    CHECK_EQ(ws.lossless_waits, 0);
    CHECK_EQ(ws.registered, 1);
    CHECK_FRAME(r, &v, 8);          /* 10 - 3 slots + 1 */
    CHECK_EQ(shmout_reader_validate(r, &v), 0);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.frames_before_attach, 0);   /* attached before frame 1: all lapped */
    CHECK_EQ(rs.frames_skipped, 7);
    CHECK_EQ(ws.slowest_reader_lost, rs.frames_skipped);
    CHECK_FRAME(r, &v, 9);
    CHECK_FRAME(r, &v, 10);
    CHECK_EQ(shmout_reader_validate(r, &v), 0);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.frames_seen + rs.frames_skipped, 10);
    shmout_reader_close(r);
    /* one that attaches now: frames 1-10 were before its time, 11 and 12 are its own */
    CHECK_EQ(shmout_reader_open_opts(&r, name, SHMOUT_MEMTYPE_LOCAL, 0,
                                     &(struct shmout_reader_options){ .mode = SHMOUT_READ_EVERY }), 0);
    publish_n(w, 2);
    CHECK_FRAME(r, &v, 10);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.frames_before_attach, 9);
    CHECK_EQ(rs.frames_skipped, 9);
    CHECK_FRAME(r, &v, 11);
    CHECK_FRAME(r, &v, 12);
    shmout_reader_close(r);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A latest reader is not registered, and frames before its first one count as skipped too. */
static void test_latest_reader_counts_from_frame_1(void)
{
    const char *name = tname("latest");
    shmout_writer *w = open_writer(name, 1000);
    shmout_reader *r = NULL;
    struct shmout_reader_stats rs;
    struct shmout_frame_view v;

    publish_n(w, 5);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_FRAME(r, &v, 5);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.registered, SHMOUT_REG_FREE);
    CHECK_EQ(rs.frames_before_attach, 4);
    CHECK_EQ(rs.frames_seen + rs.frames_skipped, 5);
    shmout_reader_close(r);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A slow lossless reader behind a writer that publishes as fast as it can gets every frame,
 * byte for byte; so does each of eight at once. */
static void lossless_readers(int nkids, int frames, const char *tag)
{
    const char *name = tname(tag);
    shmout_writer *w = open_writer(name, 5000);
    struct shmout_writer_stats ws;
    struct kid k[8];
    struct seen s;
    int i;

    for (i = 0; i < nkids; i++) {
        k[i] = spawn(name, SHMOUT_READ_LOSSLESS, i == 0 ? 300 : 0);
        CHECK_EQ(kid_ready(&k[i]), 0);
    }
    publish_n(w, frames);
    shmout_writer_get_stats(w, &ws);
    shmout_writer_close(w);
    for (i = 0; i < nkids; i++) {
        CHECK_EQ(kid_end(&k[i], &s), 0);
        CHECK_EQ(s.first, 1);
        CHECK_EQ(s.last, frames);
        CHECK_EQ(s.bad, 0);
        CHECK_EQ(s.gap_from, 0);
        CHECK_EQ(s.st.frames_seen, frames);
        CHECK_EQ(s.st.frames_skipped, 0);
        CHECK_EQ(s.st.evictions, 0);
        CHECK_EQ(s.st.registered, SHMOUT_REG_LOSSLESS);
    }
    CHECK_EQ(ws.evictions, 0);
    CHECK(ws.lossless_waits > 0);   /* the writer was faster: it did wait */
    CHECK_EQ(ws.slowest_reader_lost, 0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

static void test_lossless_slow_reader(void)
{
    lossless_readers(1, 400, "slow");
}

static void test_eight_lossless_readers(void)
{
    lossless_readers(8, 600, "eight");
}

/* A lossless reader started before the writer gets frame 1 on: wait_readers makes sure it is
 * attached (and so registered) before the first frame. */
static void test_lossless_reader_first(void)
{
    const char *name = tname("first");
    struct kid k = spawn(name, SHMOUT_READ_LOSSLESS, 0);
    shmout_writer *w;
    struct seen s;

    t_sleep_ms(20);                 /* the reader waits for the block (inotify) */
    w = open_writer(name, 5000);
    CHECK_EQ(shmout_writer_wait_readers(w, 1, 10000), 1);
    publish_n(w, 200);
    shmout_writer_close(w);
    CHECK_EQ(kid_ready(&k), 0);
    CHECK_EQ(kid_end(&k, &s), 0);
    CHECK_EQ(s.first, 1);
    CHECK_EQ(s.last, 200);
    CHECK_EQ(s.st.frames_skipped, 0);
    CHECK_EQ(s.bad, 0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A stopped lossless reader holds the writer for the bound, then is evicted; after SIGCONT
 * it reports the eviction, and the frames it lost are exactly one gap that holds the frame
 * the writer overwrote. */
static void test_stopped_reader_evicted(void)
{
    const char *name = tname("stop");
    shmout_writer *w = open_writer(name, 100);
    struct shmout_writer_stats ws;
    struct kid k = spawn(name, SHMOUT_READ_LOSSLESS, 0);
    struct seen s;

    CHECK_EQ(kid_ready(&k), 0);
    publish_n(w, 10);
    kill(k.pid, SIGSTOP);
    publish_n(w, 20);               /* the first one that needs the reader waits 100 ms */
    shmout_writer_get_stats(w, &ws);
    CHECK_EQ(ws.evictions, 1);
    CHECK_EQ(shmout_writer_frames(w), 30);
    kill(k.pid, SIGCONT);
    t_sleep_ms(50);
    publish_n(w, 10);
    t_sleep_ms(50);
    shmout_writer_close(w);
    CHECK_EQ(kid_end(&k, &s), 0);
    CHECK_EQ(s.st.evictions, 1);
    CHECK_EQ(s.bad, 0);
    CHECK_EQ(s.last, 40);
    CHECK_EQ(s.st.frames_seen + s.st.frames_skipped, 40);
    CHECK(s.gap_from > 0);
    CHECK_EQ(s.gap_to - s.gap_from + 1, s.st.frames_skipped);
    CHECK(s.st.evicted_at >= s.gap_from && s.st.evicted_at <= s.gap_to);
    CHECK_EQ(s.st.registered, SHMOUT_REG_LOSSLESS);   /* registered again */
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A killed lossless reader's registration is reclaimed without waiting for the bound. */
static void test_killed_reader_reclaimed(void)
{
    const char *name = tname("kill");
    shmout_writer *w = open_writer(name, 60000);
    struct shmout_writer_stats ws;
    struct kid k = spawn(name, SHMOUT_READ_LOSSLESS, 0);
    struct seen s;

    CHECK_EQ(kid_ready(&k), 0);
    publish_n(w, 5);
    kill(k.pid, SIGKILL);
    CHECK_EQ(kid_end(&k, &s), 128 + SIGKILL);
    publish_n(w, 20);
    shmout_writer_get_stats(w, &ws);
    CHECK_EQ(ws.reclaimed, 1);
    CHECK_EQ(ws.evictions, 0);      /* 60 s bound: not waited out */
    CHECK_EQ(shmout_writer_frames(w), 25);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A process that owns every registration entry and keeps writing garbage into the wait
 * object (plausible lossless registrations of the current session among it) slows the writer
 * down to at most the bound per frame: every frame is still published, and every frame a
 * reader gets is intact. */
static void test_hostile_registrations(void)
{
    const char *name = tname("hostile");
    shmout_writer *w = open_writer(name, 5);
    struct shmout_writer_stats ws;
    struct shmout_geometry want = geom(), got;
    struct shmout_frame_meta m;
    shmout_reader *r = NULL;
    uint8_t *buf = malloc(want.frame_bytes), *data[4] = { buf, NULL, NULL, NULL };
    int linesize[4] = { (int)want.plane_linesize[0], 0, 0, 0 }, bad = 0, got_frames = 0, i;
    char obj[128], wobj[160], c;
    int ready[2];
    pid_t pid;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(wobj, sizeof(wobj), "%s@w", obj);
    CHECK_EQ(pipe(ready), 0);
    pid = fork();
    if (pid == 0) {
        int fd = shm_open(wobj, O_RDWR, 0);
        uint8_t *p = fd < 0 ? MAP_FAILED : mmap(NULL, SHMOUT_WAIT_SIZE, PROT_READ | PROT_WRITE,
                                                  MAP_SHARED, fd, 0);
        struct shmout_wait_page *wp = (void *)p;
        uint64_t x = 0x9e3779b97f4a7c15u;
        struct flock fl;

        if (p == MAP_FAILED)
            _exit(3);
        for (i = 0; i < (int)SHMOUT_READER_SLOTS_MAX; i++) {
            memset(&fl, 0, sizeof(fl));
            fl.l_type = F_WRLCK;
            fl.l_start = SHMOUT_READER_SLOTS_OFFSET + i * 64;
            fl.l_len = 1;
            fcntl(fd, F_OFD_SETLK, &fl);
        }
        for (int round = 0;; round++) {
            if (round == 1 && write(ready[1], "h", 1) != 1)   /* at work: the writer may start */
                _exit(3);
            for (i = 0; i < (int)SHMOUT_WAIT_SIZE; i += 8) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                memcpy(p + i, &x, 8);
            }
            for (i = 0; i < (int)SHMOUT_READER_SLOTS_MAX; i += 3) {
                wp->readers[i].state = SHMOUT_REG_LOSSLESS;
                wp->readers[i].session = 1;
                wp->readers[i].ack = x & 3;
            }
        }
    }
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    for (i = 0; i < 300; i++) {
        CHECK_EQ(t_publish(w), 0);
        if (shmout_reader_read(r, &want, data, linesize, &got, &m) == 0) {
            got_frames++;
            bad += t_verify(&got, (const uint8_t *const *)data, linesize, m.frame_number) != 0;
        }
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    shmout_writer_get_stats(w, &ws);
    CHECK_EQ(shmout_writer_frames(w), 300);
    CHECK(ws.lossless_waits > 0);   /* the garbage did make it wait */
    CHECK_EQ(bad, 0);
    CHECK(got_frames > 250);
    shmout_reader_close(r);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    free(buf);
}

/* wait_readers returns once enough readers are attached, or times out saying how many were. */
static void test_wait_readers(void)
{
    const char *name = tname("waitr");
    shmout_writer *w = open_writer(name, 1000);
    shmout_reader *r1 = NULL, *r2 = NULL;

    CHECK_EQ(shmout_writer_wait_readers(w, 2, 50), -ETIMEDOUT);
    CHECK(strstr(shmout_errmsg(), "0 of 2 readers") != NULL);
    CHECK_EQ(shmout_reader_open(&r1, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_writer_wait_readers(w, 2, 50), -ETIMEDOUT);
    CHECK(strstr(shmout_errmsg(), "1 of 2 readers") != NULL);
    CHECK_EQ(shmout_reader_open(&r2, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_writer_wait_readers(w, 2, 5000), 2);
    CHECK_EQ(shmout_writer_frames(w), 0);
    shmout_reader_close(r1);
    shmout_reader_close(r2);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A block whose writer does not honour registrations (a 1.0 writer: reader_slots 0): a
 * lossless reader says it is not registered and reads as an every reader. */
static void test_writer_without_registrations(void)
{
    const char *name = tname("v10");
    shmout_writer *w = open_writer(name, 1000);
    shmout_reader *r = NULL;
    struct shmout_reader_stats rs;
    struct shmout_frame_view v;
    char obj[128];
    int fd;
    struct shmout_header *h;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    fd = shm_open(obj, O_RDWR, 0);
    h = mmap(NULL, SHMOUT_PRIMARY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(h != MAP_FAILED);
    h->version_minor = 0;           /* what a 1.0 writer writes */
    h->reader_slots = 0;
    h->lossless_timeout_ms = 0;
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_reader_set_mode(r, SHMOUT_READ_LOSSLESS), 0);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.registered, SHMOUT_REG_FREE);
    publish_n(w, 4);
    CHECK_FRAME(r, &v, 2);
    shmout_reader_close(r);
    munmap(h, SHMOUT_PRIMARY_SIZE);
    close(fd);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* Every and lossless readers read the frames left in a data object the writer outgrew before
 * those of the new one: nothing is lost to a resize. */
static void test_frames_left_behind_by_growth(void)
{
    const char *name = tname("grow");
    shmout_writer *w = open_writer(name, 1000);
    struct shmout_geometry big;
    struct shmout_reader_stats rs;
    struct shmout_frame_view v;
    shmout_reader *r = NULL;

    CHECK_EQ(shmout_reader_open_opts(&r, name, SHMOUT_MEMTYPE_LOCAL, 0,
                                     &(struct shmout_reader_options){ .mode = SHMOUT_READ_LOSSLESS }), 0);
    publish_n(w, 3);
    CHECK_FRAME(r, &v, 1);
    shmout_geometry_init(&big, SHMOUT_PIX_RGBA, 2 * W, 2 * H, 1);
    CHECK_EQ(shmout_writer_set_geometry(w, &big), 0);     /* a new, larger data object */
    publish_n(w, 2);
    CHECK_FRAME(r, &v, 2);          /* 2 and 3 are in the old object */
    CHECK_EQ(v.geometry.width, W);
    CHECK_FRAME(r, &v, 3);
    CHECK_FRAME(r, &v, 4);
    CHECK_EQ(v.geometry.width, 2 * W);
    CHECK_FRAME(r, &v, 5);
    CHECK_EQ(shmout_reader_validate(r, &v), 0);
    shmout_reader_get_stats(r, &rs);
    CHECK_EQ(rs.frames_skipped, 0);
    CHECK_EQ(rs.frames_seen, 5);
    shmout_reader_close(r);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* A writer that grows its data object at every frame: a slow lossless reader still gets every
 * frame, none evicted (the writer leaves a data object only once lossless readers have read
 * its frames, or would lose the ones a reader never mapped). */
static void test_lossless_across_growths(void)
{
    const char *name = tname("growths");
    shmout_writer *w = open_writer(name, 5000);
    struct shmout_writer_stats ws;
    struct shmout_geometry g;
    struct kid k = spawn(name, SHMOUT_READ_LOSSLESS, 1000);
    struct seen s;
    int i;

    CHECK_EQ(kid_ready(&k), 0);
    for (i = 0; i < 16; i++) {
        shmout_geometry_init(&g, SHMOUT_PIX_RGBA, W + 8 * (unsigned)i, H + 6 * (unsigned)i, 1);
        CHECK_EQ(shmout_writer_set_geometry(w, &g), 0);
        CHECK_EQ(t_publish(w), 0);
    }
    shmout_writer_get_stats(w, &ws);
    shmout_writer_close(w);
    CHECK_EQ(kid_end(&k, &s), 0);
    CHECK_EQ(s.first, 1);
    CHECK_EQ(s.last, 16);
    CHECK_EQ(s.gap_from, 0);
    CHECK_EQ(s.bad, 0);
    CHECK_EQ(s.st.frames_skipped, 0);
    CHECK_EQ(s.st.evictions, 0);
    CHECK_EQ(ws.evictions, 0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

/* The writer's interrupt callback stops a lossless wait with -EINTR, nothing marked. */
static int stop_now(void *opaque)
{
    return ++*(int *)opaque > 3;
}

static void test_interrupted_wait(void)
{
    const char *name = tname("intr");
    struct shmout_writer_options o;
    struct shmout_geometry g = geom();
    shmout_writer *w = NULL;
    shmout_reader *r = NULL;
    struct shmout_frame_view v;
    uint8_t *data[4];
    int linesize[4], calls = 0;

    shmout_writer_options_default(&o);
    o.lossless_timeout_ms = 60000;
    o.interrupt = stop_now;
    o.interrupt_opaque = &calls;
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, &o), 0);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_reader_set_mode(r, SHMOUT_READ_LOSSLESS), 0);
    publish_n(w, 3);
    CHECK_EQ(shmout_writer_begin_frame(w, data, linesize), -EINTR);
    CHECK_FRAME(r, &v, 1);          /* frame 1 is intact: its slot was not marked */
    CHECK_EQ(shmout_reader_validate(r, &v), 0);
    CHECK_EQ(t_publish(w), 0);      /* frame 1 acknowledged: frame 4 goes */
    shmout_reader_close(r);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_every_reader_counted);
    RUN(test_latest_reader_counts_from_frame_1);
    RUN(test_lossless_slow_reader);
    RUN(test_eight_lossless_readers);
    RUN(test_lossless_reader_first);
    RUN(test_stopped_reader_evicted);
    RUN(test_killed_reader_reclaimed);
    RUN(test_hostile_registrations);
    RUN(test_wait_readers);
    RUN(test_writer_without_registrations);
    RUN(test_interrupted_wait);
    RUN(test_frames_left_behind_by_growth);
    RUN(test_lossless_across_growths);
    return t_failed_total ? 1 : 0;
}
