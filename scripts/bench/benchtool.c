/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * benchtool: the measuring end of `make bench`. Every reader touches every byte of every frame
 * it accepts: it compares each row (memcmp) with a row of the pixel the source is known to
 * produce (a constant colour), or with the known frame of the Python rows (below; `sum` adds up
 * all of it instead), so no transport wins by not reading. One JSON line per run.
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
 *   benchtool readers NAME WIDTH HEIGHT READERS SECONDS
 *                                           the writer's rate with READERS readers waiting: rgba
 *                                           frames, each written whole into its slot (row by row,
 *                                           as a writer does), for SECONDS after a 0.2 s warm-up;
 *                                           each reader a process of its own, attached before the
 *                                           writer starts, in the default newest-frame mode:
 *                                           wait, acquire, validate, no pixel read (the cost of
 *                                           waking them is what is measured); also the page
 *                                           faults the writer took while writing
 *
 * The Python rows (issue 14) share a known frame, rgba, tight rows: byte i of the frame is
 * (i + (i >> 8) + (i >> 16)) mod 256, except bytes 0..7, which hold the frame number n
 * (little-endian). Its checksum, the wrapping sum of the frame as little-endian uint64 words, is
 * base + n, base that sum with word 0 left out; every reader derives base itself (here: a loop;
 * scripts/bench/pyread.py: numpy) and checks each frame it accepts against it.
 *
 *   benchtool source NAME WIDTH HEIGHT FPS  publish that frame (16 slots, pts = n) FPS times a
 *                                           second (0: as fast as it goes) until SIGTERM or
 *                                           SIGINT; the pixels are written once per slot, then
 *                                           only the frame number: far faster than any reader.
 *                                           At nice -10 where it may (root), so that a busy
 *                                           machine does not delay its publishes. Removes the
 *                                           block when it ends.
 *   benchtool sum NAME SECONDS WARMUP       the C reader: newest frame (SHMOUT_READ_LATEST),
 *                                           zero-copy, checksum, validate; counts the frames
 *                                           accepted intact with the right checksum in SECONDS
 *                                           after WARMUP seconds (frames then checked, not
 *                                           counted); fails on a wrong checksum
 *   benchtool relay SRC DST FRAMES          relay the newest frame of SRC into DST (3 slots)
 *                                           inverted (255 - v, alpha kept) as examples/relay.py
 *                                           --invert does, zero-copy both sides (acquire,
 *                                           begin_frame, write, validate, publish with the
 *                                           source's pts; a torn source frame is dropped),
 *                                           FRAMES frames (0: until SIGTERM or SIGINT), and
 *                                           the time the inverting took. Removes DST when it
 *                                           ends.
 *   benchtool relaycheck DST SECONDS WARMUP read DST's newest frames for SECONDS after WARMUP and
 *                                           check every byte of each is the inversion (alpha
 *                                           kept) of the source frame its pts names, sleeping
 *                                           3 times as long as a check took after each (a
 *                                           quarter of a core: the relay keeps the rest); the
 *                                           relay's rate from the frame numbers and publish
 *                                           times of DST's frames (and the source's from their
 *                                           pts); fails on a wrong byte
 *
 * PIXEL: the bytes of one pixel in hex, e.g. 000000ff for opaque black rgba.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* The rate a block's frames were published at, from the first and the last frame a reader
 * accepted: their numbers and the writer's own publish times (no clock of the reader's). */
struct span {
    uint64_t frames, first_n, last_n, first_t, last_t;
};

static void span_add(struct span *s, const struct shmout_frame_meta *m)
{
    if (!s->frames++) {
        s->first_n = m->frame_number;
        s->first_t = m->monotonic_ns;
    }
    s->last_n = m->frame_number;
    s->last_t = m->monotonic_ns;
}

static int cmd_shm(const char *name, long frames, int lossless)
{
    shmout_reader *r;
    struct shmout_reader_options ro = { .mode = lossless ? SHMOUT_READ_LOSSLESS : SHMOUT_READ_EVERY };
    struct shmout_frame_view v;
    struct shmout_reader_stats st;
    struct shmout_block_info info;
    uint64_t bad = 0, block_bytes = 0, published = 0;
    struct span sp = { 0 };
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
            span_add(&sp, &v.meta);
            got++;
        }
    }
    t0 = now_s() - t0;
    shmout_reader_get_stats(r, &st);
    if (lossless) {
        /* What the writer published in all: the frames it still publishes before it closes the
         * block (none, if it made exactly FRAMES), which a closed block returns first. */
        published = sp.last_n;
        while ((ret = shmout_reader_wait(r, 20000)) == 0 && shmout_reader_acquire(r, &v) == 0)
            published = v.meta.frame_number;
        if (ret != -ESHUTDOWN) {
            fprintf(stderr, "benchtool: the writer of '%s' did not close the block: %s\n", name, shmout_errmsg());
            fail = 1;
        }
        if (got != frames || st.frames_seen != (uint64_t)frames || published != (uint64_t)frames ||
            sp.first_n != 1 || sp.last_n != (uint64_t)frames || st.frames_skipped || st.frames_before_attach ||
            st.torn_retries || st.evictions || st.registered != SHMOUT_REG_LOSSLESS || bad) {
            fprintf(stderr, "benchtool: lossless reader of '%s' did not get every frame intact: read %ld of %ld "
                    "(frames %llu to %llu), frames_seen %llu, the writer published %llu, skipped %llu "
                    "(%llu before attach), torn %llu, evictions %llu (at frame %llu), registered %u "
                    "(lossless is %d), rows not as expected %llu\n", name, got, frames,
                    (unsigned long long)sp.first_n, (unsigned long long)sp.last_n,
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
           (unsigned long long)(sp.last_n - sp.first_n), (sp.last_t - sp.first_t) / 1e9,
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

#define READERS_MAX 64
#define READERS_WARMUP 0.2                  /* seconds written before the count starts */

/* What benchtool readers shares with its reader processes. */
struct readers_ctl {
    long stop, attached, counting;          /* counting: set once the warm-up is over */
    long frames[READERS_MAX];               /* reader i's frames while counting */
};

static int cmd_readers(const char *name, uint32_t width, uint32_t height, int readers, double seconds)
{
    struct shmout_geometry g;
    shmout_writer *w;
    struct readers_ctl *ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint8_t *src = NULL, *data[4];
    pid_t pids[READERS_MAX];
    long n = 0, woken = 0;
    double t0, t = 0, deadline;
    int ls[4], started = 0, fail = 0, status;
    struct rusage ru0, ru1;

    if (ctl == MAP_FAILED || readers < 0 || readers > READERS_MAX || seconds <= 0 ||
        shmout_geometry_init(&g, SHMOUT_PIX_RGBA, width, height, 1) < 0 ||
        shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0) {
        fprintf(stderr, "benchtool: %s\n", readers < 0 || readers > READERS_MAX ? "0 to 64 readers" : shmout_errmsg());
        return 1;
    }
    for (; started < readers; started++) {
        pids[started] = fork();
        if (pids[started] == 0) {
            shmout_reader *r;
            struct shmout_frame_view v;
            long got = 0;
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 5000) < 0)
                _exit(1);
            __atomic_add_fetch(&ctl->attached, 1, __ATOMIC_SEQ_CST);
            while (!__atomic_load_n(&ctl->stop, __ATOMIC_RELAXED))
                if (shmout_reader_wait(r, 100) == 0 && shmout_reader_acquire(r, &v) == 0 &&
                    shmout_reader_validate(r, &v) == 0 && __atomic_load_n(&ctl->counting, __ATOMIC_RELAXED))
                    got++;
            ctl->frames[started] = got;
            shmout_reader_close(r);
            _exit(0);
        }
        if (pids[started] < 0) {
            fail = 1;
            break;
        }
    }
    deadline = now_s() + 10;
    while (!fail && __atomic_load_n(&ctl->attached, __ATOMIC_SEQ_CST) < readers && now_s() < deadline)
        usleep(1000);
    fail |= __atomic_load_n(&ctl->attached, __ATOMIC_SEQ_CST) < readers;
    usleep(50000);                              /* the readers are asleep in their waits */
    if (!fail && !(src = malloc(g.frame_bytes)))
        fail = 1;
    if (src)
        memset(src, 0x55, g.frame_bytes);
    getrusage(RUSAGE_SELF, &ru0);
    t0 = now_s();
    while (!fail && (t = now_s() - t0) < seconds + READERS_WARMUP) {
        if (shmout_writer_begin_frame(w, data, ls) != 0) {
            fail = 1;
            break;
        }
        for (uint32_t y = 0; y < g.plane_height[0]; y++)
            memcpy(data[0] + (size_t)y * ls[0], src + (size_t)y * g.plane_bytewidth[0], g.plane_bytewidth[0]);
        if (shmout_writer_publish(w, NULL) != 0) {
            fail = 1;
            break;
        }
        if (t >= READERS_WARMUP && !n++)
            __atomic_store_n(&ctl->counting, 1, __ATOMIC_RELAXED);
    }
    getrusage(RUSAGE_SELF, &ru1);
    __atomic_store_n(&ctl->stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < started; i++) {
        waitpid(pids[i], &status, 0);
        fail |= !WIFEXITED(status) || WEXITSTATUS(status);
    }
    for (int i = 0; i < started; i++)
        woken += ctl->frames[i];
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    free(src);
    if (fail) {
        fprintf(stderr, "benchtool: readers: %s\n", shmout_errmsg());
        return 1;
    }
    printf("{\"readers\": %d, \"frames\": %ld, \"seconds\": %.6f, \"reader_frames\": %ld, \"writer_faults\": %ld}\n",
           readers, n, t - READERS_WARMUP, woken, ru1.ru_minflt + ru1.ru_majflt - ru0.ru_minflt - ru0.ru_majflt);
    return 0;
}

/* ---- the Python rows (issue 14): a known frame, its checksum, a relay and its check ---- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

/* SIGTERM and SIGINT end the command's loop (no SA_RESTART: a sleep returns early). */
static void catch_stop(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

    while (!stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Byte i of the known frame (bytes 0..7 aside: the frame number). */
static inline uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i + (i >> 8) + (i >> 16));
}

/* The wrapping sum of the known frame of `bytes` bytes as little-endian uint64 words, word 0
 * (the frame number) left out: a frame n's checksum is this + n. */
static uint64_t pattern_base(uint64_t bytes)
{
    uint64_t s = 0;

    for (uint64_t k = 1; k < bytes / 8; k++) {
        uint64_t w = 0;
        for (unsigned b = 0; b < 8; b++)
            w |= (uint64_t)pattern(8 * k + b) << (8 * b);
        s += w;
    }
    return s;
}

/* A frame in the known layout: one plane (rgba and the like) whose rows are whole words. */
static int known_layout(const struct shmout_geometry *g)
{
    if (g->nb_planes != 1 || g->plane_bytewidth[0] % 8) {
        fprintf(stderr, "benchtool: want one plane of rows of whole uint64 words, not %s %ux%u\n",
                g->pix_fmt_name, g->width, g->height);
        return 0;
    }
    return 1;
}

/* The checksum: the wrapping sum of the frame's rows as little-endian uint64 words, a plain
 * loop (built -O2). */
static uint64_t frame_sum(const struct shmout_frame_view *v)
{
    uint64_t s = 0;

    for (uint32_t y = 0; y < v->geometry.plane_height[0]; y++) {
        const uint8_t *row = v->data[0] + (size_t)y * v->linesize[0];
        for (uint32_t x = 0; x < v->geometry.plane_bytewidth[0]; x += 8) {
            uint64_t w;
            memcpy(&w, row + x, 8);
            s += w;
        }
    }
    return s;
}

static int cmd_source(const char *name, uint32_t width, uint32_t height, double fps)
{
    struct shmout_writer_options opts;
    struct shmout_geometry g;
    struct shmout_frame_meta meta;
    shmout_writer *w;
    uint8_t *data[4], *filled[SHMOUT_MAX_SLOTS] = { 0 };
    int ls[4], ret = 0;
    unsigned nfilled = 0;
    uint64_t n;
    double t0, next;

    if (shmout_geometry_init(&g, SHMOUT_PIX_RGBA, width, height, 1) < 0 || !known_layout(&g))
        return 2;
    shmout_writer_options_default(&opts);
    opts.slots = SHMOUT_MAX_SLOTS;          /* a reader slower than the writer is not lapped */
    catch_stop();
    /* paced publishes on time, also on a loaded machine (the priority where allowed: root) */
    prctl(PR_SET_TIMERSLACK, 1UL);
    if (setpriority(PRIO_PROCESS, 0, -10) < 0)
        errno = 0;
    if (shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, &opts) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    t0 = next = now_s();
    for (n = 1; !stop; n++) {
        unsigned k;
        if (shmout_writer_begin_frame(w, data, ls) < 0) {
            fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
            ret = 1;
            break;
        }
        for (k = 0; k < nfilled && filled[k] != data[0]; k++)
            ;
        if (k == nfilled) {                 /* a slot not written yet: the whole frame */
            for (uint32_t y = 0; y < g.plane_height[0]; y++)
                for (uint32_t x = 0; x < g.plane_bytewidth[0]; x++)
                    data[0][(size_t)y * ls[0] + x] = pattern((uint64_t)y * g.plane_bytewidth[0] + x);
            if (nfilled < SHMOUT_MAX_SLOTS)
                filled[nfilled++] = data[0];
        }
        for (unsigned b = 0; b < 8; b++)    /* bytes 0..7: the frame number, little-endian */
            data[0][b] = (uint8_t)(n >> (8 * b));
        memset(&meta, 0, sizeof(meta));
        meta.pts = (int64_t)n;
        meta.duration = 1;
        meta.tb_num = 1;
        meta.tb_den = fps > 0 ? (int)fps : 1000;
        if (shmout_writer_publish(w, &meta) < 0) {
            fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
            ret = 1;
            break;
        }
        if (fps > 0) {
            struct timespec ts;
            double t = now_s();
            next += 1 / fps;
            if (next < t - 1 / fps)         /* fell behind (descheduled): no burst to catch up */
                next = t;
            ts.tv_sec = (time_t)next;
            ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
            while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
        }
    }
    printf("{\"frames\": %llu, \"seconds\": %.6f}\n", (unsigned long long)(n - 1), now_s() - t0);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    return ret;
}

/* Wait for a new frame of r and acquire it: 0, 1 (stopped, or the writer is gone: -ESHUTDOWN,
 * -ESTALE) or -1 (an error, said). */
static int next_view(shmout_reader *r, struct shmout_frame_view *v, int timeout_ms)
{
    int ret;

    do
        ret = shmout_reader_wait(r, timeout_ms);
    while (ret == -ETIMEDOUT && !stop);
    if (stop || ret == -ESHUTDOWN || ret == -ESTALE)
        return 1;
    if (ret < 0 || shmout_reader_acquire(r, v) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return -1;
    }
    return 0;
}

static int cmd_sum(const char *name, double seconds, double warmup)
{
    shmout_reader *r;
    struct shmout_frame_view v;
    uint64_t base = 0, ok = 0, torn = 0, bad = 0, checked = 0, window = 0;
    struct span sp = { 0 };
    double t0 = 0, t1 = 0, tw = 0, c0 = 0, sum_s = 0, now;
    int ret = 0, counting = 0;

    if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 20000) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    catch_stop();
    for (;;) {
        uint64_t s;
        double ts;
        if ((ret = next_view(r, &v, 5000)) != 0)
            break;
        if (!checked) {
            if (!known_layout(&v.geometry)) {
                ret = -1;
                break;
            }
            base = pattern_base((uint64_t)v.geometry.plane_bytewidth[0] * v.geometry.plane_height[0]);
            tw = now_s() + warmup;
        }
        ts = now_s();
        s = frame_sum(&v);
        if (counting) {                     /* frames checked in the SECONDS */
            sum_s += now_s() - ts;
            window++;
        }
        checked++;
        if (shmout_reader_validate(r, &v) != 0)
            torn += counting;
        else if (s != base + v.meta.frame_number) {
            fprintf(stderr, "benchtool: frame %llu of '%s': checksum %016llx, not %016llx\n",
                    (unsigned long long)v.meta.frame_number, name, (unsigned long long)s,
                    (unsigned long long)(base + v.meta.frame_number));
            bad++;
        } else if (counting) {
            span_add(&sp, &v.meta);         /* the writer's rate */
            ok++;
        }
        now = now_s();
        if (!counting && now >= tw) {       /* the warm-up is over: count from here */
            counting = 1;
            t0 = now;
            c0 = cpu_s();
        } else if (counting && now - t0 >= seconds) {
            t1 = now;
            break;
        }
    }
    if (!t1)
        t1 = now_s();
    printf("{\"frames\": %llu, \"seconds\": %.6f, \"cpu\": %.6f, \"torn\": %llu, \"bad\": %llu, "
           "\"checked\": %llu, \"window\": %llu, \"base\": \"%016llx\", \"sum_seconds\": %.6f, "
           "\"published\": %llu, \"publish_seconds\": %.6f}\n",
           (unsigned long long)ok, counting ? t1 - t0 : 0.0, counting ? cpu_s() - c0 : 0.0,
           (unsigned long long)torn, (unsigned long long)bad, (unsigned long long)checked,
           (unsigned long long)window, (unsigned long long)base, sum_s,
           (unsigned long long)(sp.last_n - sp.first_n), (sp.last_t - sp.first_t) / 1e9);
    shmout_reader_close(r);
    return ret < 0 || bad || !counting || ok == 0;
}

/* The byte index of alpha in the pixels of an 8-bit format relay.py --invert takes (-1: none,
 * every byte is inverted), or -2 for a format it refuses. */
static int alpha_at(const char *fmt)
{
    static const char *const eight_bit[] = { "rgb0", "bgr0", "rgb24", "bgr24", "gray", "yuv420p",
                                             "yuv422p", "yuv444p", "nv12", "nv21", NULL };

    if (!strcmp(fmt, "rgba") || !strcmp(fmt, "bgra"))
        return 3;
    if (!strcmp(fmt, "argb") || !strcmp(fmt, "abgr"))
        return 0;
    for (int i = 0; eight_bit[i]; i++)
        if (!strcmp(fmt, eight_bit[i]))
            return -1;
    return -2;
}

/* d = 255 - s over n bytes, alpha (byte `alpha` of each 4-byte pixel, -1 none) kept: eight
 * bytes at a time, 255 - v being v ^ 0xff. */
static void invert_row(uint8_t *d, const uint8_t *s, size_t n, int alpha)
{
    uint64_t m = ~(uint64_t)0;
    size_t x = 0;

    if (alpha >= 0)                         /* little-endian words: byte k is bits 8k..8k+7 */
        m &= ~((uint64_t)0xff << (8 * alpha) | (uint64_t)0xff << (8 * (alpha + 4)));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; x + 8 <= n; x += 8) {
        uint64_t v;
        memcpy(&v, s + x, 8);
        v ^= m;
        memcpy(d + x, &v, 8);
    }
#endif
    for (; x < n; x++)
        d[x] = alpha >= 0 && x % 4 == (size_t)alpha ? s[x] : (uint8_t)(255 - s[x]);
}

static int same_geometry(const struct shmout_geometry *a, const struct shmout_geometry *b)
{
    return a->width == b->width && a->height == b->height && a->pix_fmt == b->pix_fmt &&
           !strcmp(a->pix_fmt_name, b->pix_fmt_name) && a->dar_num == b->dar_num &&
           a->dar_den == b->dar_den && a->sar_num == b->sar_num && a->sar_den == b->sar_den &&
           !memcmp(&a->color, &b->color, sizeof(a->color));
}

static int cmd_relay(const char *src, const char *dst, long frames)
{
    shmout_reader *r;
    shmout_writer *w = NULL;
    struct shmout_frame_view v;
    struct shmout_frame_meta meta;
    uint8_t *data[4];
    int ls[4], alpha, ret;
    long relayed = 0, dropped = 0;
    double t0, ti, invert_s = 0;

    catch_stop();
    if (shmout_reader_open(&r, src, SHMOUT_MEMTYPE_LOCAL, 20000) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    if ((ret = next_view(r, &v, 20000)) != 0) {
        fprintf(stderr, "benchtool: no frame from '%s'\n", src);
        shmout_reader_close(r);
        return 1;
    }
    if ((alpha = alpha_at(v.geometry.pix_fmt_name)) == -2) {
        fprintf(stderr, "benchtool: relay --invert takes 8-bit formats, not %s\n", v.geometry.pix_fmt_name);
        shmout_reader_close(r);
        return 1;
    }
    if (shmout_writer_open(&w, dst, SHMOUT_MEMTYPE_LOCAL, &v.geometry, NULL) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        shmout_reader_close(r);
        return 1;
    }
    t0 = now_s();
    while (!stop && (frames <= 0 || relayed < frames)) {
        if (!same_geometry(&v.geometry, shmout_writer_geometry(w, NULL))) {
            if (shmout_writer_set_geometry(w, &v.geometry) < 0 ||
                (alpha = alpha_at(v.geometry.pix_fmt_name)) == -2) {
                fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
                ret = -1;
                break;
            }
        }
        if (shmout_writer_get_active(w)) {
            if (shmout_writer_begin_frame(w, data, ls) < 0) {
                fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
                ret = -1;
                break;
            }
            ti = now_s();
            for (uint32_t p = 0; p < v.geometry.nb_planes; p++)
                for (uint32_t y = 0; y < v.geometry.plane_height[p]; y++)
                    invert_row(data[p] + (size_t)y * ls[p], v.data[p] + (size_t)y * v.linesize[p],
                               v.geometry.plane_bytewidth[p], p ? -1 : alpha);
            invert_s += now_s() - ti;
            if (shmout_reader_validate(r, &v) == 0) {
                memset(&meta, 0, sizeof(meta));
                meta.pts = v.meta.pts;
                meta.duration = v.meta.duration;
                meta.tb_num = v.meta.tb_num;
                meta.tb_den = v.meta.tb_den;
                if (shmout_writer_publish(w, &meta) < 0) {
                    fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
                    ret = -1;
                    break;
                }
                relayed++;
            } else
                dropped++;                  /* torn: the slot begun is reused by the next frame */
        }
        /* follow the source's active toggle, as relay.py does */
        if ((shmout_reader_status(r) == SHMOUT_STATUS_ACTIVE) != shmout_writer_get_active(w))
            shmout_writer_set_active(w, shmout_reader_status(r) == SHMOUT_STATUS_ACTIVE);
        while (!stop && (ret = next_view(r, &v, 500)) == 1)
            ;                               /* the source's writer is gone: wait for the next */
        if (ret < 0)
            break;
        ret = 0;
    }
    printf("{\"relayed\": %ld, \"dropped\": %ld, \"seconds\": %.6f, \"invert_seconds\": %.6f}\n", relayed, dropped,
           now_s() - t0, invert_s);
    shmout_writer_close(w);
    shmout_remove(dst, SHMOUT_MEMTYPE_LOCAL, 1);
    shmout_reader_close(r);
    return ret < 0;
}

static int cmd_relaycheck(const char *name, double seconds, double warmup)
{
    shmout_reader *r;
    struct shmout_frame_view v;
    uint8_t *ref = NULL, head[8];
    uint64_t ok = 0, torn = 0, bad = 0, checked = 0, first_src = 0, last_src = 0;
    struct span sp = { 0 };
    size_t bw = 0;
    double t0 = 0, t1 = 0, tw = 0, now;
    int ret = 0, counting = 0, alpha = -1;

    if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 20000) < 0) {
        fprintf(stderr, "benchtool: %s\n", shmout_errmsg());
        return 1;
    }
    catch_stop();
    for (;;) {
        uint64_t rows_bad = 0, stamp;
        double tc;
        if ((ret = next_view(r, &v, 5000)) != 0)
            break;
        tc = now_s();
        if (!ref) {
            if (!known_layout(&v.geometry) || (alpha = alpha_at(v.geometry.pix_fmt_name)) == -2 ||
                !(ref = malloc((size_t)v.geometry.frame_bytes))) {
                ret = -1;
                break;
            }
            /* what the relay makes of the known frame: 255 - v, alpha kept */
            bw = v.geometry.plane_bytewidth[0];
            for (size_t i = 0; i < bw * v.geometry.plane_height[0]; i++)
                ref[i] = alpha >= 0 && i % 4 == (size_t)alpha ? pattern(i) : (uint8_t)(255 - pattern(i));
            tw = now_s() + warmup;
        }
        if (v.geometry.plane_bytewidth[0] != bw || v.geometry.frame_bytes < bw * v.geometry.plane_height[0]) {
            fprintf(stderr, "benchtool: the geometry of '%s' changed\n", name);
            ret = -1;
            break;
        }
        /* bytes 0..7: the source's frame number (its pts), inverted but for alpha */
        stamp = (uint64_t)v.meta.pts;
        for (unsigned b = 0; b < 8; b++) {
            uint8_t s = (uint8_t)(stamp >> (8 * b));
            head[b] = alpha >= 0 && b % 4 == (unsigned)alpha ? s : (uint8_t)(255 - s);
        }
        rows_bad += memcmp(v.data[0], head, 8) != 0 || memcmp(v.data[0] + 8, ref + 8, bw - 8) != 0;
        for (uint32_t y = 1; y < v.geometry.plane_height[0]; y++)
            rows_bad += memcmp(v.data[0] + (size_t)y * v.linesize[0], ref + (size_t)y * bw, bw) != 0;
        checked++;
        if (shmout_reader_validate(r, &v) != 0)
            torn += counting;
        else if (rows_bad) {
            fprintf(stderr, "benchtool: frame %llu of '%s' (source frame %llu): %llu rows not the "
                    "inverted source\n", (unsigned long long)v.meta.frame_number, name,
                    (unsigned long long)stamp, (unsigned long long)rows_bad);
            bad++;
        } else if (counting) {
            span_add(&sp, &v.meta);         /* the relay's own rate */
            if (!ok)
                first_src = stamp;
            last_src = stamp;
            ok++;
        }
        now = now_s();
        if (!counting && now >= tw) {
            counting = 1;
            t0 = now;
        } else if (counting && now - t0 >= seconds) {
            t1 = now;
            break;
        }
        /* a quarter of a core: the relay it measures keeps the machine's (2 cores) rest */
        sleep_s(3 * (now - tc));
    }
    if (!t1)
        t1 = now_s();
    printf("{\"frames\": %llu, \"seconds\": %.6f, \"torn\": %llu, \"bad\": %llu, \"checked\": %llu, "
           "\"published\": %llu, \"publish_seconds\": %.6f, \"source_published\": %llu}\n",
           (unsigned long long)ok, counting ? t1 - t0 : 0.0, (unsigned long long)torn,
           (unsigned long long)bad, (unsigned long long)checked,
           (unsigned long long)(sp.last_n - sp.first_n), (sp.last_t - sp.first_t) / 1e9,
           (unsigned long long)(last_src - first_src));
    free(ref);
    shmout_reader_close(r);
    return ret < 0 || bad || ok < 2;
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
    if (argc == 7 && !strcmp(argv[1], "readers"))
        return cmd_readers(argv[2], (uint32_t)atol(argv[3]), (uint32_t)atol(argv[4]), atoi(argv[5]), atof(argv[6]));
    if (argc == 6 && !strcmp(argv[1], "source"))
        return cmd_source(argv[2], (uint32_t)atol(argv[3]), (uint32_t)atol(argv[4]), atof(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "sum"))
        return cmd_sum(argv[2], atof(argv[3]), atof(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "relay"))
        return cmd_relay(argv[2], argv[3], atol(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "relaycheck"))
        return cmd_relaycheck(argv[2], atof(argv[3]), atof(argv[4]));
    fprintf(stderr, "usage: benchtool shm NAME FRAMES PIXEL [--lossless] | pipe FRAME_BYTES ROW_BYTES FRAMES PIXEL |\n"
                    "                 memcpy FRAME_BYTES SECONDS | latency NAME FRAMES | publish NAME FRAMES |\n"
                    "                 source NAME WIDTH HEIGHT FPS | sum NAME SECONDS WARMUP | relay SRC DST FRAMES |\n"
                    "                 relaycheck DST SECONDS WARMUP | readers NAME WIDTH HEIGHT READERS SECONDS\n");
    return 2;
}
