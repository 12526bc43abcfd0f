/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_reader.c - the reader side: attach read-only (told of the block's
 * creation by inotify), follow the writer to new data objects and new
 * sessions, wait for frames on the futex word, zero-copy acquire/validate and
 * torn-read-free copy-out, liveness status, and the registration of every and
 * lossless readers with their acknowledgements (PROTOCOL.md §21).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmout_priv.h"

struct rseg {
    const uint8_t *map;
    size_t size;
    uint32_t gen;
    struct shmout_segment_header snap;     /* validated snapshot */
};

struct shmout_reader {
    char obj[SHMOUT_PRIV_OBJ_LEN];
    char name[SHMOUT_NAME_MAX + 1];
    int memtype;
    int fd;                                /* primary object, read-only */
    int notify;                            /* inotify on /dev/shm while opening, or -1; closed
                                              only by shmout_reader_close (a close can take
                                              milliseconds, during which frames go by) */
    ino_t ino;
    const struct shmout_header *hdr;
    struct shmout_wait_page *wait;         /* NULL if not writable for us */
    int wait_fd;                           /* its descriptor: holds our entry's lock */
    uint32_t reader_slots;                 /* entries the writer honours, <= 32 */
    int reg;                               /* our registration entry, -1 none */
    uint32_t reg_state;                    /* what we registered as (enum shmout_reg_state) */
    uint64_t reg_session, acked;           /* its session, the last frame acknowledged */
    uint32_t reg_counter;
    struct rseg cur, retired;
    int force_remap;
    uint32_t missing_gen;                  /* announced data object we could not open */
    uint64_t session;                      /* session of cur */
    uint64_t last;                         /* last frame number returned */
    uint64_t attach_session, attach_latest;    /* session and newest frame when we attached */
    int unconfirmed;                       /* last was counted seen by acquire, not validated */
    uint64_t last_geometry_gen, last_session;  /* of the last frame returned */
    int last_status;
    uint64_t end_session;                  /* session whose end wait last reported */
    int mode;                              /* SHMOUT_READ_LATEST or SHMOUT_READ_EVERY */
    struct shmout_reader_stats st;
};

static void unmap_seg(struct rseg *s)
{
    if (s->map)
        munmap((void *)(uintptr_t)s->map, s->size);
    memset(s, 0, sizeof(*s));
}

/* Leave our registration (PROTOCOL.md §21 "Leave"); closing wait_fd drops its lock. */
static void unregister(shmout_reader *r)
{
    if (r->reg >= 0)
        atomic_store_explicit(SHMOUT_A32(&r->wait->readers[r->reg].state), SHMOUT_REG_FREE,
                              memory_order_release);
    r->reg = -1;
    r->reg_state = SHMOUT_REG_FREE;
}

static void detach_primary(shmout_reader *r)
{
    unregister(r);
    if (r->wait_fd >= 0)
        close(r->wait_fd);
    r->wait_fd = -1;
    if (r->wait)
        munmap(r->wait, SHMOUT_WAIT_SIZE);
    if (r->hdr)
        munmap((void *)(uintptr_t)r->hdr, SHMOUT_PRIMARY_SIZE);
    if (r->fd >= 0)
        close(r->fd);
    r->wait = NULL;
    r->hdr = NULL;
    r->fd = -1;
}

/* A primary object without a header yet (size 0 or magic 0): its writer is still setting it
 * up, or died doing so (no writer lock, PROTOCOL.md §13); either way there is nothing to read
 * until a writer finishes, so -EAGAIN, with the message telling which. */
static int unset_block(const shmout_reader *r, int fd)
{
    if (shmout_priv_writer_alive(fd) == 0)
        return shmout_priv_fail(-EAGAIN, "block '%s' was left half set up by a writer that "
                                "died; the next writer of the name takes it over ('shmout rm "
                                "%s' removes it)", r->name, r->name);
    return shmout_priv_fail(-EAGAIN, "block '%s' is still being set up by its writer", r->name);
}

/* ack_word += 1 and wake the writer if it sleeps on it (PROTOCOL.md §21). */
static void wake_writer(shmout_reader *r)
{
    atomic_fetch_add_explicit(SHMOUT_A32(&r->wait->ack_word), 1, memory_order_seq_cst);
    if (atomic_load_explicit(SHMOUT_A32(&r->wait->writer_waiting), memory_order_seq_cst))
        shmout_priv_futex_wake_all(&r->wait->ack_word);
}

/*
 * Register as the mode needs (PROTOCOL.md §21 "Register"), in session, with every frame up to
 * the last one returned done (none, for a session we have not read yet): claim an entry by its lock if we have none, then fill it, state last. Latest mode,
 * a 1.0 writer (reader_slots 0), no writable wait object or no free entry: not registered.
 */
static void register_as(shmout_reader *r, uint64_t session)
{
    uint32_t want = r->mode == SHMOUT_READ_LOSSLESS ? SHMOUT_REG_LOSSLESS :
                    r->mode == SHMOUT_READ_EVERY ? SHMOUT_REG_EVERY : SHMOUT_REG_FREE;
    uint64_t done = session == r->session ? r->last : 0;
    struct shmout_reader_slot *e;
    unsigned i;

    if (want == SHMOUT_REG_FREE || !r->wait || !r->reader_slots) {
        unregister(r);
        return;
    }
    for (i = 0; r->reg < 0 && i < r->reader_slots; i++)
        if (shmout_priv_lock_byte(r->wait_fd, SHMOUT_PRIV_ENTRY_OFF(i)) == 0) {
            r->reg = (int)i;
            /* what a dead reader left there is not ours: no longer a registration */
            atomic_store_explicit(SHMOUT_A32(&r->wait->readers[i].state), SHMOUT_REG_FREE,
                                  memory_order_release);
        }
    if (r->reg < 0)
        return;
    e = &r->wait->readers[r->reg];
    atomic_store_explicit(SHMOUT_A64(&e->evicted), 0, memory_order_relaxed);
    e->pid = (int32_t)getpid();
    atomic_store_explicit(SHMOUT_A64(&e->ack), done, memory_order_release);
    atomic_store_explicit(SHMOUT_A64(&e->session), session, memory_order_release);
    atomic_store_explicit(SHMOUT_A64(&e->reg_id), (uint64_t)getpid() << 32 | ++r->reg_counter,
                          memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A32(&e->state), want, memory_order_release);
    r->reg_state = want;
    r->reg_session = session;
    r->acked = done;
    if (want == SHMOUT_REG_LOSSLESS)
        wake_writer(r);
}

/* We are done with every frame up to n (PROTOCOL.md §21 "Acknowledge"). */
static void acknowledge(shmout_reader *r, uint64_t n)
{
    if (r->reg < 0 || n <= r->acked || r->reg_session != r->session)
        return;
    r->acked = n;
    atomic_store_explicit(SHMOUT_A64(&r->wait->readers[r->reg].ack), n, memory_order_release);
    if (r->reg_state == SHMOUT_REG_LOSSLESS)
        wake_writer(r);
}

/* A lossless registration that is not one any more (§21 "Eviction, seen by the reader"):
 * count an eviction, register again. */
static void check_eviction(shmout_reader *r)
{
    struct shmout_reader_slot *e;
    uint64_t ev;

    if (r->reg < 0 || r->reg_state != SHMOUT_REG_LOSSLESS)
        return;
    e = &r->wait->readers[r->reg];
    if (atomic_load_explicit(SHMOUT_A32(&e->state), memory_order_acquire) == SHMOUT_REG_LOSSLESS)
        return;
    /* not lossless any more: evicted (evicted != 0), or freed by a writer that had found the
     * entry's previous owner dead just before we took it over: register again either way */
    if ((ev = atomic_load_explicit(SHMOUT_A64(&e->evicted), memory_order_acquire))) {
        r->st.evictions++;
        r->st.evicted_at = ev;
    }
    register_as(r, r->session);
}

/* Attach the primary object. -ENOENT/-EAGAIN: not there or not ready yet. */
static int attach_primary(shmout_reader *r)
{
    struct shmout_header snap;
    struct shmout_geometry ag;
    char wname[SHMOUT_PRIV_OBJ_LEN];
    struct stat st;
    uint64_t agen;
    uid_t owner;
    void *map;
    int fd, wfd, ret;

    ret = shmout_priv_open_primary(r->obj, O_RDONLY, r->memtype == SHMOUT_MEMTYPE_LOCAL, &st,
                                   &fd, &map);
    if (ret == -ENOENT)
        return shmout_priv_fail(-ENOENT, "no shared-memory block '%s' (%s) exists; start "
                                "its writer first", r->name, shmout_memtype_name(r->memtype));
    if (ret < 0 && ret != -EAGAIN)
        return ret;
    if (ret == 0) {
        ret = shmout_priv_validate_header(map, SHMOUT_PRIMARY_SIZE, &snap);
        /* announced geometry: checked on its own, never against a data object; if its seqlock
         * does not settle it is unavailable, not an error (PROTOCOL.md §4, §14, §16) */
        if (ret == 0 && shmout_priv_read_geometry(map, &ag, &agen) == -EPROTO)
            ret = -EPROTO;
        if (ret < 0)
            munmap(map, SHMOUT_PRIMARY_SIZE);
    }
    if (ret == -EAGAIN)             /* size 0 or magic 0: no header yet */
        ret = unset_block(r, fd);
    if (ret < 0)
        goto fail;
    owner = st.st_uid;
    detach_primary(r);
    r->fd = fd;
    r->ino = st.st_ino;
    r->hdr = map;
    r->reader_slots = snap.reader_slots < SHMOUT_READER_SLOTS_MAX ? snap.reader_slots :
                      SHMOUT_READER_SLOTS_MAX;
    if (shmout_priv_wait_name(wname, sizeof(wname), r->obj) == 0 &&
        (wfd = shmout_priv_shm_open(wname, O_RDWR, 0)) >= 0) {
        /* only a regular file (shm_open checked) of the primary's owner, >= 4096 bytes (§7) */
        if (fstat(wfd, &st) == 0 && st.st_uid == owner && st.st_size >= SHMOUT_WAIT_SIZE) {
            map = mmap(NULL, SHMOUT_WAIT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
            r->wait = map == MAP_FAILED ? NULL : map;
        }
        if (r->wait)
            r->wait_fd = wfd;
        else
            close(wfd);
    }
    /* registered before it counts as attached (shmout_writer_wait_readers) */
    if (r->mode != SHMOUT_READ_LATEST)
        register_as(r, snap.session);
    shmout_priv_lock_reader(fd);    /* only for counting readers */
    if (r->wait)
        wake_writer(r);             /* a writer waiting for readers to attach counts again */
    r->force_remap = 1;
    return 0;
fail:
    close(fd);
    return ret;
}

/* Follow header.segment_gen. Returns 0, 1 if a remap is due but the
 * retired mapping may still be in use (may_unmap == 0), or -EPROTO. */
static int refresh_segment(shmout_reader *r, int may_unmap)
{
    char dname[SHMOUT_PRIV_OBJ_LEN];
    struct rseg n;
    struct stat st;
    uint32_t gen;
    void *map;
    int fd, ret;

    gen = atomic_load_explicit(SHMOUT_A32(&r->hdr->segment_gen), memory_order_acquire);
    if (r->cur.map && gen == r->cur.gen && !r->force_remap)
        return 0;
    if (r->retired.map) {
        if (!may_unmap)
            return 1;
        unmap_seg(&r->retired);
    }
    if (shmout_priv_data_name(dname, sizeof(dname), r->obj, gen) < 0)
        return 0;
    fd = shmout_priv_shm_open(dname, O_RDONLY, 0);
    if (fd < 0) {
        r->missing_gen = gen;        /* closed, or moved on again: keep what we have */
        return 0;
    }
    if (fstat(fd, &st) < 0) {
        ret = shmout_priv_fail(-errno, "fstat of %s failed: %s", dname, strerror(errno));
        close(fd);
        return ret;
    }
    if (st.st_size < (off_t)sizeof(struct shmout_segment_header) ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return shmout_priv_fail(-EPROTO, "corrupt block: data object %s has %lld bytes",
                                dname, (long long)st.st_size);
    }
    memset(&n, 0, sizeof(n));
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return shmout_priv_fail(-errno, "mmap of %s failed: %s", dname, strerror(errno));
    n.map = map;
    n.size = (size_t)st.st_size;
    n.gen = gen;
    ret = shmout_priv_validate_segment(map, n.size, &n.snap);
    if (ret == 0 && n.snap.segment_gen != gen)
        ret = shmout_priv_fail(-EPROTO, "corrupt block: data object %s says generation %u",
                               dname, (unsigned)n.snap.segment_gen);
    if (ret < 0) {
        unmap_seg(&n);
        return ret;
    }
    if (r->cur.map) {
        r->retired = r->cur;
        r->st.reattaches++;
    }
    r->cur = n;
    r->force_remap = 0;
    if (n.snap.session != r->session) {
        r->session = n.snap.session;
        r->last = 0;                 /* a new writer: frame numbers restart */
        if (r->mode != SHMOUT_READ_LATEST)
            register_as(r, r->session);
    }
    return 0;
}

/* latest_frame of a mapped data object (§10). */
static uint64_t seg_latest(const struct rseg *s)
{
    const struct shmout_segment_header *sh = (const void *)s->map;

    return atomic_load_explicit(SHMOUT_A64(&sh->latest_frame), memory_order_acquire);
}

static uint64_t latest(const shmout_reader *r)
{
    return r->cur.map ? seg_latest(&r->cur) : 0;
}

/* Every and lossless modes: the data object the writer left for a larger one (§14) still holds
 * frames of this session we have not returned: they come first. */
static int retired_pending(const shmout_reader *r)
{
    return r->mode != SHMOUT_READ_LATEST && r->retired.map &&
           r->retired.snap.session == r->session && seg_latest(&r->retired) > r->last;
}

/*
 * Sleep until something changes in /dev/shm (inotify, PROTOCOL.md §10 "Attach") or ms pass;
 * without inotify (ino < 0) just sleep.
 */
static void wait_dir_event(int ino, int ms)
{
    struct pollfd pfd = { .fd = ino, .events = POLLIN };
    char buf[4096];

    if (ino < 0) {
        struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000L };

        nanosleep(&pause, NULL);
        return;
    }
    if (poll(&pfd, 1, ms) > 0)
        while (read(ino, buf, sizeof(buf)) > 0)
            ;
}

/*
 * The primary exists without a header: sleep on its futex word until the writer finishes the
 * set-up (it wakes it after state = OPEN, PROTOCOL.md §9 step 10), or ms pass. An object of
 * size 0 has no futex word yet: wait for its resize (inotify IN_MODIFY) instead.
 */
static void wait_setup(const shmout_reader *r, int ino, int ms)
{
    const struct shmout_header *h;
    struct stat st;
    uint32_t w0;
    void *map = NULL;
    int fd = -1;

    if (shmout_priv_open_primary(r->obj, O_RDONLY, r->memtype == SHMOUT_MEMTYPE_LOCAL, &st,
                                 &fd, &map) < 0 || !map) {
        if (fd >= 0)
            close(fd);
        wait_dir_event(ino, 2);
        return;
    }
    h = map;
    w0 = atomic_load_explicit(SHMOUT_A32(&h->wake_word), memory_order_seq_cst);
    if (!atomic_load_explicit(SHMOUT_A64(&h->magic), memory_order_acquire))
        shmout_priv_futex_wait(&h->wake_word, w0, ms);
    munmap(map, SHMOUT_PRIMARY_SIZE);
    close(fd);
}

int shmout_reader_open(shmout_reader **rp, const char *name, int memtype, int timeout_ms)
{
    return shmout_reader_open_opts(rp, name, memtype, timeout_ms, NULL);
}

int shmout_reader_open_opts(shmout_reader **rp, const char *name, int memtype, int timeout_ms,
                            const struct shmout_reader_options *opts)
{
    uint64_t deadline = 0, now;
    shmout_reader *r;
    int ret, ms;

    *rp = NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return shmout_priv_fail(-ENOMEM, "out of memory");
    r->fd = -1;
    r->notify = -1;
    r->wait_fd = -1;
    r->reg = -1;
    r->last_status = -1;
    if (opts && (ret = shmout_reader_set_mode(r, opts->mode)) < 0)
        goto fail;
    ret = shmout_object_name(name, memtype, r->obj, sizeof(r->obj));
    if (ret < 0)
        goto fail;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->memtype = memtype;
    if (timeout_ms > 0)
        deadline = shmout_priv_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000u;
    /* watch first, then look: a block created in between is not missed */
    if (timeout_ms != 0 && (r->notify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
        inotify_add_watch(r->notify, SHMOUT_PRIV_SHM_DIR, IN_CREATE | IN_MOVED_TO | IN_MODIFY |
                          IN_ATTRIB | IN_CLOSE_WRITE) < 0) {
        close(r->notify);
        r->notify = -1;
    }
    while ((ret = attach_primary(r)) == -ENOENT || ret == -EAGAIN) {
        if (timeout_ms == 0)
            goto fail;
        now = shmout_priv_now_ns(CLOCK_MONOTONIC);
        if (timeout_ms > 0 && now >= deadline) {
            ret = shmout_priv_fail(-ETIMEDOUT, "no writer created block '%s' (%s) within "
                                   "%d ms", name, shmout_memtype_name(memtype), timeout_ms);
            goto fail;
        }
        if (opts && opts->interrupt && opts->interrupt(opts->interrupt_opaque)) {
            ret = shmout_priv_fail(-EINTR, "interrupted while waiting for block '%s'", name);
            goto fail;
        }
        /* without inotify, poll every 20 ms */
        ms = r->notify < 0 ? 20 : SHMOUT_PRIV_SLICE_MS;
        if (timeout_ms > 0 && (deadline - now) / 1000000u + 1 < (uint64_t)ms)
            ms = (int)((deadline - now) / 1000000u) + 1;
        if (ret == -EAGAIN)
            wait_setup(r, r->notify, ms);
        else
            wait_dir_event(r->notify, ms);
    }
    if (ret < 0)
        goto fail;
    ret = refresh_segment(r, 1);
    if (ret < 0)
        goto fail;
    r->attach_session = r->session;
    r->attach_latest = latest(r);
    *rp = r;
    return 0;
fail:
    shmout_reader_close(r);
    return ret;
}

/* If the name now refers to a different primary object (the block was
 * removed and created again), move to it. */
static void follow_new_primary(shmout_reader *r)
{
    char path[SHMOUT_PRIV_OBJ_LEN + 16];
    struct stat st;

    snprintf(path, sizeof(path), SHMOUT_PRIV_SHM_DIR "%s", r->obj);
    if (stat(path, &st) == 0 && st.st_ino != r->ino && !r->retired.map)
        attach_primary(r);
}

static int status_code(int status)
{
    return status == SHMOUT_STATUS_STALE ? -ESTALE :
           status == SHMOUT_STATUS_CLOSED ? -ESHUTDOWN : -ETIMEDOUT;
}

int shmout_reader_wait(shmout_reader *r, int timeout_ms)
{
    uint64_t now, deadline = 0;
    uint32_t w0, gen;
    int ret, status, slice;

    if (timeout_ms > 0)
        deadline = shmout_priv_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        ret = refresh_segment(r, 0);
        if (ret < 0)
            return ret;
        if (ret == 1)
            return 0;                /* new data object: acquire will move to it */
        status = shmout_priv_status(r->hdr, r->fd);
        if (status < 0)
            return shmout_priv_fail(status, "liveness check failed: %s", strerror(-status));
        if (status == SHMOUT_STATUS_STALE || status == SHMOUT_STATUS_CLOSED) {
            /* Frames published before the end come first: nothing is lost (PROTOCOL.md §13). */
            if (latest(r) > r->last || retired_pending(r))
                return 0;
            /* once per end: a writer that took over and died since is a new end */
            if (status != r->last_status || r->session != r->end_session) {
                r->last_status = status;
                r->end_session = r->session;
                /* the next writer's session is this one + 1 (§9 step 8): be known from its
                 * first frame (§21) */
                if (r->mode != SHMOUT_READ_LATEST)
                    register_as(r, r->session + 1);
                return shmout_priv_fail(status_code(status), "the writer of block '%s' %s",
                                        r->name, status == SHMOUT_STATUS_STALE ?
                                        "died (block is stale)" : "closed the block");
            }
            follow_new_primary(r);
        } else {
            r->last_status = status;
        }
        if (r->wait)
            atomic_fetch_add_explicit(SHMOUT_A32(&r->wait->waiters), 1, memory_order_seq_cst);
        w0 = atomic_load_explicit(SHMOUT_A32(&r->hdr->wake_word), memory_order_seq_cst);
        gen = atomic_load_explicit(SHMOUT_A32(&r->hdr->segment_gen), memory_order_acquire);
        now = shmout_priv_now_ns(CLOCK_MONOTONIC);
        if (latest(r) > r->last || retired_pending(r)) {
            ret = 1;
        } else if (timeout_ms == 0 || (timeout_ms > 0 && now >= deadline)) {
            ret = 2;
        } else if (gen != r->cur.gen && gen != r->missing_gen) {
            ret = 0;                 /* moved since the refresh above: look again */
        } else {
            slice = r->wait ? SHMOUT_PRIV_SLICE_MS : 5;
            if (timeout_ms > 0 && (deadline - now) / 1000000u < (uint64_t)slice)
                slice = (int)((deadline - now) / 1000000u) + 1;
            shmout_priv_futex_wait(&r->hdr->wake_word, w0, slice);
            ret = 0;
        }
        if (r->wait)
            atomic_fetch_sub_explicit(SHMOUT_A32(&r->wait->waiters), 1, memory_order_seq_cst);
        if (ret == 1)
            return 0;
        if (ret == 2) {
            ret = status_code(status);
            return shmout_priv_fail(ret, "%s", ret == -ETIMEDOUT ?
                                    "no new frame before the timeout" :
                                    "the writer of the block is gone");
        }
    }
}

/* The descriptor of the newest complete frame in data object s (every mode: the next one),
 * a consistent snapshot. */
static int grab_in(shmout_reader *r, const struct rseg *s, struct shmout_frame_view *v)
{
    const struct shmout_segment_header *sh = &s->snap;
    const struct shmout_slot_desc *d;
    struct shmout_slot_desc snap;
    uint64_t n, newest, overwritten = 0;
    const uint8_t *base;
    int tries, ret;
    unsigned p;

    for (tries = 0; s->map && tries < SHMOUT_PRIV_MAX_TRIES; tries++) {
        newest = n = seg_latest(s);
        if (n == 0)
            break;
        if (r->mode != SHMOUT_READ_LATEST && r->last < newest) {
            /* The oldest frame after the last one returned (none yet, or a new writer: 0)
             * that the ring can still hold, past those found overwritten. */
            n = r->last + 1 + overwritten;
            if (newest - n >= sh->slot_count)
                n = newest - sh->slot_count + 1;
        }
        d = (const void *)(s->map + shmout_priv_slot_desc_off(sh, n));
        ret = shmout_priv_read_slot(d, n, &snap);
        if (ret != SHMOUT_PRIV_SLOT_OK) {
            r->st.torn_retries++;
            /* every mode: a slot not holding frame n means that frame is gone, take the next */
            overwritten += ret == SHMOUT_PRIV_SLOT_NOT_N && n < newest;
            continue;
        }
        ret = shmout_priv_validate_slot(&snap, sh, n);
        if (ret < 0)
            return ret;
        base = s->map + shmout_priv_slot_data_off(sh, n);
        memset(v, 0, sizeof(*v));
        v->geometry = snap.geometry;
        v->meta = snap.meta;
        for (p = 0; p < snap.geometry.nb_planes; p++) {
            v->data[p] = base + snap.geometry.plane_offset[p];
            v->linesize[p] = (int)snap.geometry.plane_linesize[p];
        }
        v->priv_slot = d;
        v->priv_seq = 2 * n;
        return 0;
    }
    return shmout_priv_fail(-EAGAIN, tries == SHMOUT_PRIV_MAX_TRIES ? "the writer kept "
                            "overwriting the frame being read" : "no frame has been published "
                            "in block '%s' yet", r->name);
}

static int grab(shmout_reader *r, struct shmout_frame_view *v)
{
    int ret;

    if (!retired_pending(r))
        unmap_seg(&r->retired);
    ret = refresh_segment(r, 1);
    if (ret < 0)
        return ret;
    acknowledge(r, r->last);        /* done with the frame acquire returned before */
    check_eviction(r);
    if (retired_pending(r) && (ret = grab_in(r, &r->retired, v)) != -EAGAIN)
        return ret;
    return grab_in(r, &r->cur, v);
}

/* Count a frame returned for the first time; 1 if it was. */
static int account(shmout_reader *r, const struct shmout_frame_meta *m)
{
    if (m->frame_number <= r->last)
        return 0;
    /* from frame 1: a first frame n of the session skipped 1 .. n-1 (PROTOCOL.md §10), of
     * which those published before we attached were never ours to read */
    r->st.frames_skipped += m->frame_number - r->last - 1;
    if (!r->last && r->session == r->attach_session)
        r->st.frames_before_attach += m->frame_number - 1 < r->attach_latest ?
                                      m->frame_number - 1 : r->attach_latest;
    if (r->st.frames_seen && (m->geometry_gen != r->last_geometry_gen ||
                              r->session != r->last_session))
        r->st.geometry_changes++;
    r->st.frames_seen++;
    r->last = m->frame_number;
    r->last_geometry_gen = m->geometry_gen;
    r->last_session = r->session;
    return 1;
}

int shmout_reader_set_mode(shmout_reader *r, int mode)
{
    if (mode != SHMOUT_READ_LATEST && mode != SHMOUT_READ_EVERY && mode != SHMOUT_READ_LOSSLESS)
        return shmout_priv_fail(-EINVAL, "unknown read mode %d", mode);
    r->mode = mode;
    if (r->hdr)
        register_as(r, r->session);
    return 0;
}

int shmout_reader_acquire(shmout_reader *r, struct shmout_frame_view *v)
{
    int ret = grab(r, v);

    if (ret == 0)
        r->unconfirmed = account(r, &v->meta);
    return ret;
}

int shmout_reader_validate(shmout_reader *r, const struct shmout_frame_view *v)
{
    const struct shmout_slot_desc *d = v->priv_slot;

    SHMOUT_FENCE(memory_order_acquire);
    if (atomic_load_explicit(SHMOUT_A64(&d->seq), memory_order_relaxed) == v->priv_seq) {
        r->unconfirmed = 0;
        if (v->meta.frame_number <= r->last)
            acknowledge(r, v->meta.frame_number);
        return 0;
    }
    /* the frame acquire counted as seen was lost after all: seen + skipped stays published */
    if (r->unconfirmed && v->meta.frame_number == r->last) {
        r->st.frames_seen--;
        r->st.frames_skipped++;
        r->unconfirmed = 0;
    }
    r->st.torn_retries++;
    return shmout_priv_fail(-EAGAIN, "frame %llu was overwritten while it was being read",
                            (unsigned long long)v->meta.frame_number);
}

static int same_layout(const struct shmout_geometry *a, const struct shmout_geometry *b)
{
    unsigned p;

    if (a->width != b->width || a->height != b->height || a->pix_fmt != b->pix_fmt ||
        a->nb_planes != b->nb_planes || strncmp(a->pix_fmt_name, b->pix_fmt_name,
                                                sizeof(a->pix_fmt_name)))
        return 0;
    for (p = 0; p < a->nb_planes && p < SHMOUT_MAX_PLANES; p++)
        if (a->plane_bytewidth[p] != b->plane_bytewidth[p] ||
            a->plane_height[p] != b->plane_height[p])
            return 0;
    return 1;
}

int shmout_reader_read(shmout_reader *r, const struct shmout_geometry *want,
                       uint8_t *const dst[4], const int dst_linesize[4],
                       struct shmout_geometry *out_geometry,
                       struct shmout_frame_meta *out_meta)
{
    struct shmout_frame_view v;
    struct shmout_geometry w;   /* a copy: out_geometry may be the same struct as want */
    unsigned p, y;
    int tries, ret;

    if (!want || !dst || !dst_linesize)
        return shmout_priv_fail(-EINVAL, "shmout_reader_read needs want, dst and dst_linesize");
    w = *want;
    for (tries = 0; tries < SHMOUT_PRIV_MAX_TRIES; tries++) {
        ret = grab(r, &v);
        if (ret < 0)
            return ret;
        if (out_geometry)
            *out_geometry = v.geometry;
        if (out_meta)
            *out_meta = v.meta;
        if (!same_layout(&v.geometry, &w))
            return shmout_priv_fail(-EMSGSIZE, "frame is %ux%u %s, buffers are for %ux%u %s",
                                    (unsigned)v.geometry.width, (unsigned)v.geometry.height,
                                    v.geometry.pix_fmt_name, (unsigned)w.width,
                                    (unsigned)w.height, w.pix_fmt_name);
        for (p = 0; p < v.geometry.nb_planes; p++)
            for (y = 0; y < v.geometry.plane_height[p]; y++)
                shmout_priv_shared_copy(dst[p] + (ptrdiff_t)y * dst_linesize[p],
                                        v.data[p] + (size_t)y * (size_t)v.linesize[p],
                                        v.geometry.plane_bytewidth[p]);
        if (shmout_reader_validate(r, &v) == 0) {
            account(r, &v.meta);
            acknowledge(r, r->last);
            return 0;
        }
    }
    return shmout_priv_fail(-EAGAIN, "the writer kept overwriting the frame being read");
}

void shmout_reader_get_stats(const shmout_reader *r, struct shmout_reader_stats *st)
{
    *st = r->st;
    st->registered = r->reg_state;
}

int shmout_reader_status(shmout_reader *r)
{
    return shmout_priv_status(r->hdr, r->fd);
}

void shmout_reader_close(shmout_reader *r)
{
    if (!r)
        return;
    unmap_seg(&r->cur);
    unmap_seg(&r->retired);
    detach_primary(r);
    if (r->notify >= 0)
        close(r->notify);
    free(r);
}
