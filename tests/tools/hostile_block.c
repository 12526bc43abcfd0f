/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * hostile_block: writes shmout blocks that an attacker could have written, for
 * tests/reliability/hostile_blocks.sh, which runs every real reader on them.
 *
 *   hostile_block list                     the names of the cases, one per line
 *   hostile_block make NAME CASE           write the local block NAME: a stale copy of a
 *                                          libshmout writer's block (the source of
 *                                          corrupt_fields.h: 16x8 rgba, 3 slots of 4096
 *                                          bytes, frame 1 published, in slot 1), then apply
 *                                          CASE to its objects: a case of corrupt_fields.h
 *                                          (the table test_corrupt.c tests the library
 *                                          with), or one of the whole-object and layout
 *                                          cases below
 *   hostile_block live NAME ACTION DELAY_MS HOLD_MS
 *                                          on the existing block NAME: take the writer lock
 *                                          (the block looks alive), go to the background
 *                                          (prints the pid), after DELAY_MS do ACTION and
 *                                          wake the readers, keep the lock HOLD_MS more, exit
 *                                          (the block is then stale). ACTION: swap (announce
 *                                          a data object @d2 with a hostile slot table) or
 *                                          ahead (latest_frame 7, a frame never written)
 *   hostile_block run [-t] SECONDS CMD [ARGS...]
 *                                          run CMD in its own process group and tell how it
 *                                          ended, on stderr ("run: ...") and in the exit
 *                                          status: CMD's own status if below 124 (100 for a
 *                                          higher one, e.g. ffmpeg's AVERROR codes), 124 if it
 *                                          was still running after SECONDS (it is killed),
 *                                          128+N if signal N ended it. -t: CMD is meant to
 *                                          stay up (a viewer waiting for frames): after
 *                                          SECONDS it gets SIGTERM, and 124 only if it is
 *                                          still there 5 seconds later. Also prints the CPU
 *                                          time CMD used ("cpu MS ms")
 *   hostile_block flip NAME MS             on the existing block NAME: take the writer lock,
 *                                          go to the background (prints the pid) and for MS
 *                                          rewrite random 4-byte words of the primary header,
 *                                          the data-object header and the slot descriptors,
 *                                          putting the valid bytes back one time in four;
 *                                          the valid bytes are restored before it exits
 *
 * Exit status 0, or 1 with a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmout.h"
#include "corrupt_fields.h"

static uint8_t *prim, *seg, *waitobj;   /* private copies of the three objects */
static size_t prim_size = SHMOUT_PRIMARY_SIZE, seg_size, wait_size = SHMOUT_WAIT_SIZE;
static int have_seg = 1;
static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static void die(const char *what)
{
    fprintf(stderr, "hostile_block: %s: %s\n", what, *shmout_errmsg() ? shmout_errmsg() :
            strerror(errno));
    exit(1);
}

static uint64_t rnd(void)
{
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* A copy of the object obj, in at least room bytes (zero past its *size). */
static uint8_t *read_object(const char *obj, size_t *size, size_t room)
{
    struct stat st;
    uint8_t *p;
    int fd = shm_open(obj, O_RDONLY, 0);

    if (fd < 0 || fstat(fd, &st) < 0)
        die(obj);
    *size = (size_t)st.st_size;
    if (!(p = calloc(1, *size > room ? *size : room)) || pread(fd, p, *size, 0) != (ssize_t)*size)
        die(obj);
    close(fd);
    return p;
}

static void write_object(const char *obj, const uint8_t *p, size_t size)
{
    int fd;

    shm_unlink(obj);
    fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || pwrite(fd, p, size, 0) != (ssize_t)size)
        die(obj);
    close(fd);
}

/* The source block of corrupt_fields.h, frame 1 published: copies of its objects. */
static void snapshot(const char *name)
{
    struct shmout_frame_meta meta;
    shmout_writer *w;
    char src[80], obj[128], dname[160];
    uint8_t *data[4];
    int linesize[4];

    snprintf(src, sizeof(src), "%.60s-src", name);
    if (cf_source_open(&w, src) < 0)
        die("shmout_writer_open");
    shmout_writer_begin_frame(w, data, linesize);
    for (int y = 0; y < CF_H; y++)
        for (int x = 0; x < CF_W * 4; x++)
            data[0][y * linesize[0] + x] = (uint8_t)(CF_FRAME + y * CF_W * 4 + x);
    memset(&meta, 0, sizeof(meta));
    meta.tb_num = 1;
    meta.tb_den = 25;
    shmout_writer_publish(w, &meta);
    shmout_object_name(src, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    prim = read_object(obj, &prim_size, CF_PRIM_MAX);
    seg = read_object(dname, &seg_size, 0);
    snprintf(dname, sizeof(dname), "%s@w", obj);
    waitobj = read_object(dname, &wait_size, 0);
    shmout_writer_close(w);
    shmout_remove(src, SHMOUT_MEMTYPE_LOCAL, 1);
    /* the copy's own name, as a writer of NAME would have put it */
    memset(prim + offsetof(struct shmout_header, name), 0, 64);
    memcpy(prim + offsetof(struct shmout_header, name), name, strlen(name));
}

/* The cases that are not a field of corrupt_fields.h, done in apply(): whole objects made
 * random or left out (readers of the data object must cope with each on its own), and plane
 * layouts valid for §16 (a generic reader copies by the plane fields) whose planes do not
 * have the size the format and width x height give: readers that take the pixels by the
 * format's name (shmin, the viewer) must refuse them. `list` gives valid and the whole-object
 * cases, then the table's, then the layouts. */
static const char *const whole_cases[] = {
    "valid", "prim.random", "data.random",
    "data.missing",                     /* announced, not there */
    "wait.short",                       /* 16 bytes: readers must not map it */
    "wait.random",
};
static const char *const layout_cases[] = {
    "layout.wide_row",                  /* one row of 4000 bytes */
    "layout.long_stride",               /* one row, linesize 4096 */
    "layout.extra_plane",               /* OTHER "rgba" with 2 planes */
    "layout.gray_small_plane",          /* gray 4096x4096 in a 64x8 plane */
};

static void put(uint8_t *base, size_t off, size_t size, uint64_t v)
{
    memcpy(base + off, &v, size);       /* little-endian host (PROTOCOL.md §2) */
}

/* Replace the frame's geometry by an explicit one-plane (or two-plane) layout. */
static void set_layout(uint32_t code, const char *name, uint32_t w, uint32_t h, uint32_t nb,
                       uint32_t bytewidth, uint32_t linesize, uint32_t rows, uint64_t frame_bytes)
{
    struct shmout_geometry g;

    memcpy(&g, seg + CF_DG(width), sizeof(g));
    g.width = w;
    g.height = h;
    g.pix_fmt = code;
    memset(g.pix_fmt_name, 0, sizeof(g.pix_fmt_name));
    snprintf(g.pix_fmt_name, sizeof(g.pix_fmt_name), "%s", name);
    g.nb_planes = nb;
    g.frame_bytes = frame_bytes;
    for (uint32_t p = 0; p < 4; p++) {
        g.plane_offset[p] = p < nb ? p * 512u : 0;
        g.plane_bytewidth[p] = p < nb ? bytewidth : 0;
        g.plane_linesize[p] = p < nb ? linesize : 0;
        g.plane_height[p] = p < nb ? rows : 0;
    }
    memcpy(seg + CF_DG(width), &g, sizeof(g));
}

static int apply(const char *c)
{
    if (cf_apply(c, prim, &prim_size, seg, &seg_size) || !strcmp(c, "valid"))
        ;
    else if (!strcmp(c, "prim.random"))
        fill_random(prim, prim_size);
    else if (!strcmp(c, "data.random"))
        fill_random(seg, seg_size);
    else if (!strcmp(c, "data.missing"))
        have_seg = 0;
    else if (!strcmp(c, "wait.short"))
        wait_size = 16;
    else if (!strcmp(c, "wait.random"))
        fill_random(waitobj, wait_size);
    else if (!strcmp(c, "layout.wide_row"))
        set_layout(SHMOUT_PIX_RGBA, "rgba", CF_W, CF_H, 1, 4000, 4000, 1, 4000);
    else if (!strcmp(c, "layout.long_stride"))
        set_layout(SHMOUT_PIX_RGBA, "rgba", CF_W, CF_H, 1, CF_W * 4, 4096, 1, 4096);
    else if (!strcmp(c, "layout.extra_plane"))
        set_layout(SHMOUT_PIX_OTHER, "rgba", CF_W, CF_H, 2, CF_W * 4, CF_W * 4, 1, 512 + CF_W * 4);
    else if (!strcmp(c, "layout.gray_small_plane"))
        set_layout(SHMOUT_PIX_GRAY, "gray", 4096, 4096, 1, 64, 64, 8, 512);
    else
        return -1;
    return 0;
}

static void make(const char *name, const char *c)
{
    char obj[128], dname[160];

    snapshot(name);
    if (apply(c) < 0) {
        fprintf(stderr, "hostile_block: unknown case '%s' (see 'hostile_block list')\n", c);
        exit(2);
    }
    if (shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj)) < 0)
        die(name);
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    shm_unlink(dname);
    if (have_seg)
        write_object(dname, seg, seg_size);
    snprintf(dname, sizeof(dname), "%s@w", obj);
    write_object(dname, waitobj, wait_size);
    write_object(obj, prim, prim_size);      /* last: readers may be waiting for it */
}

/* Map an existing object of NAME read-write; *fd gets its descriptor. */
static uint8_t *map_rw(const char *obj, size_t *size, int *fd)
{
    struct stat st;
    void *p;

    if ((*fd = shm_open(obj, O_RDWR, 0)) < 0 || fstat(*fd, &st) < 0)
        die(obj);
    *size = (size_t)st.st_size;
    p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (p == MAP_FAILED)
        die(obj);
    return p;
}

static void wake(uint8_t *pm)
{
    __atomic_fetch_add((uint32_t *)(pm + CF_PH(wake_word)), 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, pm + CF_PH(wake_word), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Take the writer lock of NAME's primary (PROTOCOL.md §13) and go to the background: the
 * parent prints the child's pid and exits, the child keeps the lock (same open file). */
static uint8_t *go_live(const char *name, char *obj, size_t len, int *fd)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    size_t size;
    uint8_t *pm;
    pid_t pid;

    if (shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, len) < 0)
        die(name);
    pm = map_rw(obj, &size, fd);
    if (size != SHMOUT_PRIMARY_SIZE || fcntl(*fd, F_OFD_SETLK, &fl) < 0)
        die("writer lock");
    fflush(stdout);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid > 0) {
        printf("%d\n", (int)pid);
        exit(0);
    }
    if (!freopen("/dev/null", "w", stdout))
        die("/dev/null");
    return pm;
}

static void live(const char *name, const char *action, long delay, long hold)
{
    char obj[128], dname[160];
    uint8_t *pm, *sm, *bad;
    size_t size;
    int fd, sfd, swap = !strcmp(action, "swap");

    if (!swap && strcmp(action, "ahead")) {
        fprintf(stderr, "hostile_block: live ACTION is swap or ahead, not '%s'\n", action);
        exit(2);
    }
    pm = go_live(name, obj, sizeof(obj), &fd);
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    sm = map_rw(dname, &size, &sfd);
    if (swap) {
        /* @d2: a copy of @d1 with the generation of its name but a hostile slot table */
        bad = read_object(dname, &size, 0);
        put(bad, CF_SH(segment_gen), 4, 2);
        put(bad, CF_SH(slot_table_offset), 8, UINT64_C(1) << 62);
        snprintf(dname, sizeof(dname), "%s@d2", obj);
        write_object(dname, bad, size);
    }
    sleep_ms(delay);
    if (swap)
        __atomic_store_n((uint32_t *)(pm + CF_PH(segment_gen)), 2, __ATOMIC_RELEASE);
    else
        __atomic_store_n((uint64_t *)(sm + CF_SH(latest_frame)), 7, __ATOMIC_RELEASE);
    wake(pm);
    sleep_ms(hold);
    _exit(0);
}

static void flip(const char *name, long ms)
{
    char obj[128], dname[160];
    uint8_t *pm, *sm, *ps, *ss;
    size_t ssize, n;
    uint64_t end, i;
    int fd, sfd;

    pm = go_live(name, obj, sizeof(obj), &fd);
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    sm = map_rw(dname, &ssize, &sfd);
    n = ssize < 2048 ? ssize : 2048;    /* header and slot table */
    ps = malloc(1024);
    ss = malloc(n);
    if (!ps || !ss)
        die("malloc");
    memcpy(ps, pm, 1024);
    memcpy(ss, sm, n);
    rnd_state ^= (uint64_t)getpid();
    end = now_ms() + (uint64_t)ms;
    for (i = 0; now_ms() < end; i++) {
        uint64_t r = rnd(), v = rnd() >> (r % 64);
        if (r % 4 == 0) {
            memcpy(pm, ps, 1024);
            memcpy(sm, ss, n);
        } else if (r & 0x10) {
            memcpy(sm + (r >> 8) % n / 4 * 4, &v, 4);
        } else {
            memcpy(pm + (r >> 8) % 1024 / 4 * 4, &v, 4);
        }
        if (i % 64 == 0) {
            wake(pm);
            sched_yield();              /* two cores, shared: let the readers run */
        }
    }
    memcpy(pm, ps, 1024);
    memcpy(sm, ss, n);
    wake(pm);
    _exit(0);
}

/* waitpid with a deadline (ms since now_ms's epoch); 0 if the child is still running */
static pid_t wait_until(pid_t pid, int *status, struct rusage *ru, uint64_t deadline)
{
    pid_t r;

    while ((r = wait4(pid, status, WNOHANG, ru)) == 0 && now_ms() < deadline)
        sleep_ms(10);
    return r;
}

static int run(int argc, char **argv)
{
    int stay = argc > 0 && !strcmp(argv[0], "-t"), status = 0;
    struct rusage ru;
    double secs;
    uint64_t start = now_ms(), cpu;
    pid_t pid, r;
    const char *how;

    argv += stay;
    argc -= stay;
    if (argc < 2 || (secs = atof(argv[0])) <= 0) {
        fprintf(stderr, "usage: hostile_block run [-t] SECONDS CMD [ARGS...]\n");
        return 2;
    }
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork");
    if (pid == 0) {
        setpgid(0, 0);
        execvp(argv[1], argv + 1);
        fprintf(stderr, "run: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    r = wait_until(pid, &status, &ru, start + (uint64_t)(secs * 1000));
    how = stay ? "quit on SIGTERM" : NULL;
    if (r == 0 && stay) {
        kill(-pid, SIGTERM);
        r = wait_until(pid, &status, &ru, now_ms() + 5000);
    } else if (stay) {
        how = "ended by itself";
    }
    if (r == 0) {
        kill(-pid, SIGKILL);
        wait4(pid, &status, 0, &ru);
        fprintf(stderr, "run: %s still running after %.1f s: killed (a hang)\n", argv[1],
                (now_ms() - start) / 1000.0);
        return 124;
    }
    kill(-pid, SIGKILL);                /* whatever CMD left behind */
    cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000u +
          (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000u;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "run: %s killed by signal %d (%s), cpu %llu ms\n", argv[1],
                WTERMSIG(status), strsignal(WTERMSIG(status)), (unsigned long long)cpu);
        return 128 + WTERMSIG(status);
    }
    fprintf(stderr, "run: %s exit %d%s%s, cpu %llu ms of %llu ms\n", argv[1],
            WEXITSTATUS(status), how ? ", " : "", how ? how : "", (unsigned long long)cpu,
            (unsigned long long)(now_ms() - start));
    return WEXITSTATUS(status) < 124 ? WEXITSTATUS(status) : 100;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "list")) {
        for (size_t i = 0; i < sizeof(whole_cases) / sizeof(whole_cases[0]); i++)
            printf("%s\n", whole_cases[i]);
        for (size_t i = 0; i < CF_COUNT; i++)
            if (cf_first(i))
                printf("%s\n", corrupt_fields[i].name);
        for (size_t i = 0; i < sizeof(layout_cases) / sizeof(layout_cases[0]); i++)
            printf("%s\n", layout_cases[i]);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "make"))
        make(argv[2], argv[3]);
    else if (argc == 6 && !strcmp(argv[1], "live"))
        live(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
    else if (argc >= 2 && !strcmp(argv[1], "run"))
        return run(argc - 2, argv + 2);
    else if (argc == 4 && !strcmp(argv[1], "flip"))
        flip(argv[2], atol(argv[3]));
    else {
        fprintf(stderr, "usage: hostile_block list | make NAME CASE | live NAME ACTION DELAY_MS HOLD_MS"
                " | flip NAME MS | run [-t] SECONDS CMD...\n");
        return 2;
    }
    return 0;
}
