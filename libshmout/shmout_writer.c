/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_writer.c - the writer side: create or take over a block, reserve
 * its storage, publish frames through the seqlock ring, change geometry
 * (in place or by moving to a larger data object), control word, hints,
 * heartbeat and close. The writer waits for no reader, except registered
 * lossless ones and for at most its bound per frame (PROTOCOL.md §21), and,
 * when asked, for readers to attach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmout_priv.h"

/* A data object's mapping, reference-counted: the writer holds one reference while the object
 * is current, shmout_writer_retain_mapping() hands out more; the last release unmaps it. */
struct shmout_mapping {
    atomic_uint refs;
    void *map;
    size_t size;
};

struct segment {
    uint8_t *map;
    size_t size;
    struct shmout_mapping *mapping;  /* the writer's reference to map */
    uint32_t gen;
    ino_t ino;                       /* to unlink only our own object */
    struct shmout_segment_header *sh;
};

/* What the writer knows of registration entry i (PROTOCOL.md §21 "Loss counts"). */
struct registration {
    uint64_t reg_id;
    uint64_t lost;                   /* frames overwritten before this registration read them */
    int seen;
};

struct shmout_writer {
    char obj[SHMOUT_PRIV_OBJ_LEN];
    char name[SHMOUT_NAME_MAX + 1];
    int memtype;
    mode_t mode;
    int fd;                          /* primary object, holds the writer lock */
    struct shmout_header *hdr;
    struct shmout_wait_page *wait;
    int wait_fd;                     /* wait object, for the registrations' locks */
    struct segment seg;
    uint32_t slots;
    uint64_t session;
    struct shmout_geometry geom;
    uint64_t geometry_gen;
    uint64_t frames;
    uint64_t seg_first;              /* first frame published in the current data object */
    int pending;                     /* begin_frame called, not yet published */
    uint64_t last_pub_ns;
    double fps;
    uint32_t lossless_timeout_ms;
    int (*interrupt)(void *opaque);
    void *interrupt_opaque;
    struct shmout_writer_stats stats;
    struct registration reg[SHMOUT_READER_SLOTS_MAX];
};

void shmout_writer_options_default(struct shmout_writer_options *o)
{
    memset(o, 0, sizeof(*o));
    o->slots = 3;
    o->fill_mode = SHMOUT_FILL_FILL;
    o->smoothness = SHMOUT_SMOOTH_LINEAR;
    o->active = 1;
    o->lossless_timeout_ms = SHMOUT_PRIV_LOSSLESS_TIMEOUT_MS;
}

static int sys_fail(int err, const char *what, const char *obj)
{
    return shmout_priv_fail(-err, "%s of shared-memory object %s failed: %s", what, obj,
                            strerror(err));
}

/* Make fd at least size bytes and reserve the storage. */
static int reserve(int fd, uint64_t size, const char *obj, const char *name)
{
    int r;

    if (ftruncate(fd, (off_t)size) < 0)
        return sys_fail(errno, "ftruncate", obj);
    r = posix_fallocate(fd, 0, (off_t)size);
    if (r == ENOSPC)
        return shmout_priv_fail(-ENOSPC, "/dev/shm is full: %llu bytes needed for block "
                                "'%s' (ENOSPC); free space in /dev/shm, enlarge it (mount -o "
                                "remount,size=... /dev/shm) or use a smaller frame or fewer "
                                "slots", (unsigned long long)size, name);
    if (r)
        return sys_fail(r, "posix_fallocate", obj);
    return 0;
}

/* Map an object read-write, creating it (mode) if needed; never shrinks.
 * *ino (if not NULL) receives its inode number; *fdp (if not NULL) the open descriptor, which
 * the caller then closes. */
static int open_rw(const char *obj, const char *name, mode_t mode, int excl, uint64_t size,
                   void **map, ino_t *ino, int *fdp)
{
    struct stat st;
    int fd, ret;

    fd = shmout_priv_shm_open(obj, O_RDWR | O_CREAT | (excl ? O_EXCL : 0), mode);
    if (fd < 0)
        return sys_fail(errno, "shm_open", obj);
    if (fstat(fd, &st) < 0) {
        ret = sys_fail(errno, "fstat", obj);
        goto fail;
    }
    if (st.st_uid != geteuid()) {
        ret = shmout_priv_fail(-EPERM, "shared-memory object %s belongs to uid %u, not "
                               "to you; pick another block name", obj, (unsigned)st.st_uid);
        goto fail;
    }
    if (fchmod(fd, mode) < 0) {
        ret = sys_fail(errno, "fchmod", obj);
        goto fail;
    }
    if ((uint64_t)st.st_size < size && (ret = reserve(fd, size, obj, name)) < 0)
        goto fail;
    /* MAP_POPULATE: every page is faulted in (and tmpfs clears it) here, when the ring is
     * created or grown, not by the first frames written into it. */
    *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (*map == MAP_FAILED) {
        ret = sys_fail(errno, "mmap", obj);
        goto fail;
    }
    if (ino)
        *ino = st.st_ino;
    if (fdp)
        *fdp = fd;
    else
        close(fd);
    return 0;
fail:
    close(fd);
    if (excl)
        shm_unlink(obj);
    return ret;
}

/* Create data object generation gen, or the next free one (PROTOCOL.md §9 step 8). */
static int create_segment(shmout_writer *w, uint32_t gen, uint64_t capacity, struct segment *s)
{
    char dname[SHMOUT_PRIV_OBJ_LEN];
    uint64_t off, stride, size;
    struct shmout_segment_header *sh;
    void *map;
    int ret, tries;

    if (shmout_priv_segment_layout(w->slots, capacity, &off, &stride, &size) < 0 ||
        size > SIZE_MAX)
        return shmout_priv_fail(-EINVAL, "frame capacity of %llu bytes is too large",
                                (unsigned long long)capacity);
    for (tries = 0;; tries++) {
        if (shmout_priv_data_name(dname, sizeof(dname), w->obj, gen) < 0)
            return shmout_priv_fail(-ENAMETOOLONG, "object name too long");
        shm_unlink(dname);          /* leftover of a crashed writer; we own the name */
        /* O_EXCL: never use an object someone else left at that name; skip the name */
        ret = open_rw(dname, w->name, w->mode, 1, size, &map, &s->ino, NULL);
        if (ret != -EEXIST)
            break;
        if (tries == SHMOUT_PRIV_GEN_TRIES - 1)
            return shmout_priv_fail(-EEXIST, "cannot create a data object for block '%s': "
                                    "%d generations up to %s are taken by objects that cannot "
                                    "be removed", w->name, SHMOUT_PRIV_GEN_TRIES, dname);
        gen = shmout_priv_next_gen(gen);
    }
    if (ret < 0)
        return ret;
    if (!(s->mapping = malloc(sizeof(*s->mapping)))) {
        munmap(map, (size_t)size);
        shm_unlink(dname);
        return shmout_priv_fail(-ENOMEM, "out of memory");
    }
    atomic_init(&s->mapping->refs, 1);
    s->mapping->map = map;
    s->mapping->size = (size_t)size;
    s->map = map;
    s->size = (size_t)size;
    s->gen = gen;
    s->sh = sh = map;
    sh->version_major = SHMOUT_PROTO_MAJOR;
    sh->version_minor = SHMOUT_PROTO_MINOR;
    sh->header_size = sizeof(*sh);
    sh->segment_gen = gen;
    sh->slot_count = w->slots;
    sh->session = w->session;
    sh->slot_table_offset = sizeof(*sh);
    sh->slot_desc_size = sizeof(struct shmout_slot_desc);
    sh->data_offset = off;
    sh->data_stride = stride;
    sh->capacity = capacity;
    sh->segment_size = size;
    atomic_store_explicit(SHMOUT_A64(&sh->magic), SHMOUT_MAGIC_SEGMENT, memory_order_release);
    return 0;
}

static void drop_segment(shmout_writer *w, struct segment *s, int unlink_it)
{
    char dname[SHMOUT_PRIV_OBJ_LEN], path[SHMOUT_PRIV_OBJ_LEN + 16];
    struct stat st;

    if (!s->map)
        return;
    /* unlink only if the name is still ours ("shmout rm --force" and a new
     * writer may have reused it meanwhile) */
    if (unlink_it && shmout_priv_data_name(dname, sizeof(dname), w->obj, s->gen) == 0) {
        snprintf(path, sizeof(path), SHMOUT_PRIV_SHM_DIR "%s", dname);
        if (stat(path, &st) == 0 && st.st_ino == s->ino)
            shm_unlink(dname);
    }
    shmout_mapping_release(s->mapping);     /* unmapped once no retained reference is left */
    s->mapping = NULL;
    s->map = NULL;
}

struct shmout_mapping *shmout_writer_retain_mapping(shmout_writer *w)
{
    atomic_fetch_add_explicit(&w->seg.mapping->refs, 1, memory_order_relaxed);
    return w->seg.mapping;
}

void shmout_mapping_release(struct shmout_mapping *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        munmap(m->map, m->size);
        free(m);
    }
}

/* Publish geometry + generation through the header's geometry seqlock. */
static void announce_geometry(shmout_writer *w)
{
    _Atomic uint64_t *seq = SHMOUT_A64(&w->hdr->geometry_seq);
    uint64_t s = atomic_load_explicit(seq, memory_order_relaxed);

    s += s & 1;                     /* a dead writer may have left it odd */
    atomic_store_explicit(seq, s + 1, memory_order_relaxed);
    SHMOUT_FENCE(memory_order_release);
    w->hdr->geometry_gen = w->geometry_gen;
    memcpy(&w->hdr->geometry, &w->geom, sizeof(w->geom));
    atomic_store_explicit(seq, s + 2, memory_order_release);
}

/* Open or create the primary object and take the writer lock. */
static int open_primary(shmout_writer *w, uint32_t *old_gen, uint64_t *old_session)
{
    struct shmout_header *h;
    struct stat st;
    int tries, ret, fd = -1;
    void *map;

    for (tries = 0; tries < 5 && fd < 0; tries++) {
        fd = shmout_priv_shm_open(w->obj, O_RDWR | O_CREAT | O_EXCL, w->mode);
        if (fd < 0 && errno == EEXIST)
            fd = shmout_priv_shm_open(w->obj, O_RDWR, 0);
        if (fd < 0 && errno == EACCES)
            return shmout_priv_fail(-EACCES, "shared-memory block '%s' (%s) exists and "
                                    "belongs to another user; pick another name", w->name,
                                    w->obj);
        if (fd < 0 && errno != ENOENT)
            return sys_fail(errno, "shm_open", w->obj);
    }
    if (fd < 0)
        return sys_fail(ENOENT, "shm_open", w->obj);
    w->fd = fd;
    if (fstat(fd, &st) < 0)
        return sys_fail(errno, "fstat", w->obj);
    if (st.st_uid != geteuid())
        return shmout_priv_fail(-EPERM, "shared-memory block '%s' (%s) belongs to uid %u; "
                                "pick another name", w->name, w->obj, (unsigned)st.st_uid);
    ret = shmout_priv_lock_writer(fd);
    if (ret == -EBUSY)
        return shmout_priv_fail(-EBUSY, "shared-memory block '%s' is in use by pid %d; stop "
                                "that writer or use another name", w->name,
                                (int)shmout_priv_owner_pid(fd));
    if (ret < 0)
        return sys_fail(-ret, "locking", w->obj);
    if (st.st_size != 0 && st.st_size != SHMOUT_PRIMARY_SIZE)
        return shmout_priv_fail(-EPROTO, "shared-memory object %s has %lld bytes and is not "
                                "a shmout block; remove it with 'shmout rm %s --force'",
                                w->obj, (long long)st.st_size, w->name);
    if (fchmod(fd, w->mode) < 0)
        return sys_fail(errno, "fchmod", w->obj);
    ret = reserve(fd, SHMOUT_PRIMARY_SIZE, w->obj, w->name);
    if (ret < 0)
        return ret;
    map = mmap(NULL, SHMOUT_PRIMARY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return sys_fail(errno, "mmap", w->obj);
    w->hdr = h = map;
    *old_gen = 0;
    *old_session = 0;
    if (h->magic == SHMOUT_MAGIC_HEADER && h->version_major == SHMOUT_PROTO_MAJOR) {
        *old_gen = h->segment_gen;
        *old_session = h->session;
    } else if (h->magic != 0) {
        return shmout_priv_fail(-EPROTO, "shared-memory object %s holds an incompatible or "
                                "corrupt block; remove it with 'shmout rm %s --force'",
                                w->obj, w->name);
    }
    return 0;
}

int shmout_writer_open(shmout_writer **wp, const char *name, int memtype,
                       const struct shmout_geometry *geometry,
                       const struct shmout_writer_options *opts_in)
{
    struct shmout_writer_options opts;
    char wname[SHMOUT_PRIV_OBJ_LEN];
    struct shmout_header *h;
    uint64_t capacity, old_session;
    uint32_t old_gen;
    shmout_writer *w;
    void *wmap;
    int ret, claimed = 0;

    *wp = NULL;
    wname[0] = 0;
    if (!geometry)
        return shmout_priv_fail(-EINVAL, "no geometry given");
    if (opts_in)
        opts = *opts_in;
    else
        shmout_writer_options_default(&opts);
    if (opts.slots < SHMOUT_MIN_SLOTS || opts.slots > SHMOUT_MAX_SLOTS)
        return shmout_priv_fail(-EINVAL, "invalid slot count %u (%u..%u)",
                                (unsigned)opts.slots, SHMOUT_MIN_SLOTS, SHMOUT_MAX_SLOTS);
    if (opts.fill_mode > SHMOUT_FILL_NATIVE || opts.smoothness > SHMOUT_SMOOTH_MIPMAP ||
        opts.active > 1)
        return shmout_priv_fail(-EINVAL, "invalid fill mode %u, smoothness %u or active %u",
                                (unsigned)opts.fill_mode, (unsigned)opts.smoothness,
                                (unsigned)opts.active);
    if (shmout_priv_writer_geometry_check(geometry) < 0)
        return -EINVAL;
    capacity = opts.capacity > geometry->frame_bytes ? opts.capacity : geometry->frame_bytes;
    if (capacity > SHMOUT_PRIV_MAX_CAPACITY)
        return shmout_priv_fail(-EINVAL, "capacity of %llu bytes is too large",
                                (unsigned long long)capacity);
    if (opts.lossless_timeout_ms < 1 || opts.lossless_timeout_ms > SHMOUT_LOSSLESS_TIMEOUT_MAX_MS)
        return shmout_priv_fail(-EINVAL, "invalid lossless timeout %u ms (1..%u)",
                                (unsigned)opts.lossless_timeout_ms,
                                SHMOUT_LOSSLESS_TIMEOUT_MAX_MS);
    w = calloc(1, sizeof(*w));
    if (!w)
        return shmout_priv_fail(-ENOMEM, "out of memory");
    w->fd = -1;
    w->wait_fd = -1;
    w->lossless_timeout_ms = opts.lossless_timeout_ms;
    w->interrupt = opts.interrupt;
    w->interrupt_opaque = opts.interrupt_opaque;
    ret = shmout_object_name(name, memtype, w->obj, sizeof(w->obj));
    if (ret < 0)
        goto fail;
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->memtype = memtype;
    w->mode = memtype == SHMOUT_MEMTYPE_LOCAL ? 0600 : 0644;
    w->slots = opts.slots;
    w->geom = *geometry;
    w->geometry_gen = 1;
    w->seg_first = 1;
    ret = open_primary(w, &old_gen, &old_session);
    if (ret < 0)
        goto fail;
    h = w->hdr;
    atomic_store_explicit(SHMOUT_A32(&h->state), SHMOUT_STATE_INIT, memory_order_release);
    claimed = 1;
    shmout_priv_unlink_data_objects(w->obj);
    if ((ret = shmout_priv_wait_name(wname, sizeof(wname), w->obj)) < 0)
        goto fail;
    ret = open_rw(wname, w->name, memtype == SHMOUT_MEMTYPE_LOCAL ? 0600 : 0666, 0,
                  SHMOUT_WAIT_SIZE, &wmap, NULL, &w->wait_fd);
    if (ret < 0)
        goto fail;
    w->wait = wmap;
    w->session = old_session + 1;
    ret = create_segment(w, shmout_priv_next_gen(old_gen), capacity, &w->seg);
    if (ret < 0)
        goto fail;

    h->version_major = SHMOUT_PROTO_MAJOR;
    h->version_minor = SHMOUT_PROTO_MINOR;
    h->header_size = sizeof(*h);
    h->byte_order = SHMOUT_BYTE_ORDER_MARK;
    h->memtype = (uint32_t)memtype;
    h->owner_pid = (int32_t)getpid();
    h->owner_uid = (uint32_t)geteuid();
    h->owner_starttime = shmout_priv_proc_starttime(getpid());
    h->created_ns = shmout_priv_now_ns(CLOCK_REALTIME);
    memset(h->name, 0, sizeof(h->name));
    memcpy(h->name, w->name, strlen(w->name));
    atomic_store_explicit(SHMOUT_A32(&h->fill_mode), opts.fill_mode, memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A32(&h->smoothness), opts.smoothness, memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A32(&h->fps_milli), 0, memory_order_relaxed);
    h->reader_slots = SHMOUT_READER_SLOTS_MAX;
    h->lossless_timeout_ms = w->lossless_timeout_ms;
    atomic_store_explicit(SHMOUT_A32(&w->wait->writer_waiting), 0, memory_order_seq_cst);
    atomic_store_explicit(SHMOUT_A32(&h->control), opts.active ? SHMOUT_CONTROL_ACTIVE : 0,
                          memory_order_relaxed);
    announce_geometry(w);
    atomic_store_explicit(SHMOUT_A64(&h->session), w->session, memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A64(&h->heartbeat_ns), shmout_priv_now_ns(CLOCK_MONOTONIC),
                          memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A32(&h->segment_gen), w->seg.gen, memory_order_release);
    atomic_store_explicit(SHMOUT_A64(&h->magic), SHMOUT_MAGIC_HEADER, memory_order_release);
    atomic_store_explicit(SHMOUT_A32(&h->state), SHMOUT_STATE_OPEN, memory_order_release);
    shmout_priv_wake_readers(w->hdr, NULL);         /* always on open (§12) */
    *wp = w;
    return 0;
fail:
    drop_segment(w, &w->seg, 1);
    /* No half-made block is left behind (e.g. on ENOSPC): one that never had a header is
     * removed while we still hold its writer lock; one we were taking over is left closed. */
    if (claimed && w->hdr->magic == 0) {
        if (wname[0])
            shm_unlink(wname);
        shm_unlink(w->obj);
    } else if (claimed) {
        atomic_store_explicit(SHMOUT_A32(&w->hdr->state), SHMOUT_STATE_CLOSED,
                              memory_order_release);
    }
    if (w->wait)
        munmap(w->wait, SHMOUT_WAIT_SIZE);
    if (w->wait_fd >= 0)
        close(w->wait_fd);
    if (w->hdr)
        munmap(w->hdr, SHMOUT_PRIMARY_SIZE);
    if (w->fd >= 0)
        close(w->fd);
    free(w);
    return ret;
}

static struct shmout_slot_desc *slot_desc(const shmout_writer *w, uint64_t n)
{
    return (struct shmout_slot_desc *)(void *)(w->seg.map +
                                               shmout_priv_slot_desc_off(w->seg.sh, n));
}

/*
 * Registration entry i's claim on frame m, the frame that the slot of the next one holds
 * (PROTOCOL.md §21): 0 none (free, another session, done with m, or, checking its lock, dead:
 * reclaimed), 1 an every reader that has not read m (it is lost to it), 2 a lossless reader
 * that has not finished with m.
 */
static int claim(shmout_writer *w, unsigned i, uint64_t m, int check_lock)
{
    struct shmout_reader_slot *e = &w->wait->readers[i];
    uint32_t st = atomic_load_explicit(SHMOUT_A32(&e->state), memory_order_acquire);
    uint64_t id;

    if ((st != SHMOUT_REG_EVERY && st != SHMOUT_REG_LOSSLESS) ||
        atomic_load_explicit(SHMOUT_A64(&e->session), memory_order_acquire) != w->session) {
        w->reg[i].seen = 0;
        return 0;
    }
    id = atomic_load_explicit(SHMOUT_A64(&e->reg_id), memory_order_relaxed);
    if (!w->reg[i].seen || w->reg[i].reg_id != id) {
        w->reg[i].seen = 1;
        w->reg[i].reg_id = id;
        w->reg[i].lost = 0;
    }
    if (atomic_load_explicit(SHMOUT_A64(&e->ack), memory_order_acquire) >= m)
        return 0;
    if (check_lock && shmout_priv_byte_locked(w->wait_fd, SHMOUT_PRIV_ENTRY_OFF(i)) == 0) {
        /* its reader died: the kernel dropped its lock */
        if (atomic_compare_exchange_strong_explicit(SHMOUT_A32(&e->state), &st, SHMOUT_REG_FREE,
                                                    memory_order_acq_rel, memory_order_acquire))
            w->stats.reclaimed++;
        w->reg[i].seen = 0;
        return 0;
    }
    return st == SHMOUT_REG_LOSSLESS ? 2 : 1;
}

static int interrupted(const shmout_writer *w)
{
    return w->interrupt && w->interrupt(w->interrupt_opaque);
}

/*
 * Wait for the lossless readers that have not finished with frame m, at most
 * lossless_timeout_ms, then evict them; with count, count frame m lost to every readers that
 * have not read it (PROTOCOL.md §21). Before the slot of frame n is marked, m = n - slot_count;
 * before a growth leaves the data object, m is its last frame (§14).
 */
static int wait_lossless(shmout_writer *w, uint64_t m, int count)
{
    uint64_t start = 0, deadline = 0, now, lost_max = 0;
    uint32_t pending = 0, w0, registered = 0;
    unsigned i;
    int c, first = 1, ret = 0;

    for (;;) {
        pending = 0;
        for (i = 0; i < SHMOUT_READER_SLOTS_MAX; i++) {
            /* a registration behind: is its reader alive (a syscall only then)? */
            if ((c = claim(w, i, m, !first)) && first)
                c = claim(w, i, m, 1);
            if (first && count && c == 1)
                w->reg[i].lost++;
            pending |= (uint32_t)(c == 2) << i;
        }
        if (first) {
            for (i = 0; i < SHMOUT_READER_SLOTS_MAX; i++) {
                registered += w->reg[i].seen;
                if (w->reg[i].seen && w->reg[i].lost > lost_max)
                    lost_max = w->reg[i].lost;
            }
            w->stats.registered = registered;
            if (lost_max > w->stats.slowest_reader_lost)
                w->stats.slowest_reader_lost = lost_max;
        }
        if (!pending)
            break;
        now = shmout_priv_now_ns(CLOCK_MONOTONIC);
        if (first) {
            first = 0;
            start = now;
            deadline = now + (uint64_t)w->lossless_timeout_ms * 1000000u;
            w->stats.lossless_waits++;
        }
        if (interrupted(w)) {
            ret = shmout_priv_fail(-EINTR, "interrupted while waiting for a lossless reader");
            break;
        }
        if (now >= deadline) {
            for (i = 0; i < SHMOUT_READER_SLOTS_MAX; i++) {
                struct shmout_reader_slot *e = &w->wait->readers[i];
                uint32_t st = SHMOUT_REG_LOSSLESS;

                if (!(pending >> i & 1))
                    continue;
                atomic_store_explicit(SHMOUT_A64(&e->evicted), m, memory_order_release);
                if (atomic_compare_exchange_strong_explicit(SHMOUT_A32(&e->state), &st,
                                                            SHMOUT_REG_EVERY,
                                                            memory_order_acq_rel,
                                                            memory_order_acquire)) {
                    w->stats.evictions++;
                    w->reg[i].lost++;       /* frame m is lost to it */
                }
            }
            break;
        }
        /* sleep until a lossless reader acknowledges (or a slice passes: dead readers) */
        atomic_store_explicit(SHMOUT_A32(&w->wait->writer_waiting), 1, memory_order_seq_cst);
        w0 = atomic_load_explicit(SHMOUT_A32(&w->wait->ack_word), memory_order_seq_cst);
        for (i = 0; i < SHMOUT_READER_SLOTS_MAX; i++)
            if ((pending >> i & 1) && claim(w, i, m, 0) != 2)
                pending &= ~(UINT32_C(1) << i);
        if (pending) {
            uint64_t left_ms = (deadline - now) / 1000000u + 1;

            shmout_priv_futex_wait(&w->wait->ack_word, w0,
                                   left_ms < SHMOUT_PRIV_LOSSLESS_SLICE_MS ? (int)left_ms :
                                   SHMOUT_PRIV_LOSSLESS_SLICE_MS);
        }
        atomic_store_explicit(SHMOUT_A32(&w->wait->writer_waiting), 0, memory_order_seq_cst);
    }
    if (start)
        w->stats.lossless_wait_ns += shmout_priv_now_ns(CLOCK_MONOTONIC) - start;
    return ret;
}

int shmout_writer_begin_frame(shmout_writer *w, uint8_t *data[4], int linesize[4])
{
    uint64_t n = w->frames + 1;
    uint8_t *base;
    unsigned p;
    int ret;

    /* the slot holds frame n - slot_count if that one is in this data object */
    if (!w->pending && n > w->slots && n - w->slots >= w->seg_first) {
        if ((ret = wait_lossless(w, n - w->slots, 1)) < 0)
            return ret;
    }
    if (!w->pending) {
        atomic_store_explicit(SHMOUT_A64(&slot_desc(w, n)->seq), 2 * n - 1,
                              memory_order_relaxed);
        SHMOUT_FENCE(memory_order_release);
        w->pending = 1;
    }
    base = w->seg.map + shmout_priv_slot_data_off(w->seg.sh, n);
    for (p = 0; p < 4; p++) {
        data[p] = p < w->geom.nb_planes ? base + w->geom.plane_offset[p] : NULL;
        linesize[p] = p < w->geom.nb_planes ? (int)w->geom.plane_linesize[p] : 0;
    }
    return 0;
}

int shmout_writer_publish(shmout_writer *w, struct shmout_frame_meta *meta)
{
    struct shmout_slot_desc *d;
    struct shmout_frame_meta m;
    uint64_t n = w->frames + 1, now;
    double inst;

    if (!w->pending)
        return shmout_priv_fail(-EINVAL, "shmout_writer_publish called without "
                                "shmout_writer_begin_frame");
    memset(&m, 0, sizeof(m));
    m.pts = meta ? meta->pts : SHMOUT_NOPTS;
    m.duration = meta ? meta->duration : 0;
    m.tb_num = meta ? meta->tb_num : 0;
    m.tb_den = meta ? meta->tb_den : 0;
    m.frame_number = n;
    m.realtime_ns = shmout_priv_now_ns(CLOCK_REALTIME);
    m.monotonic_ns = now = shmout_priv_now_ns(CLOCK_MONOTONIC);
    m.geometry_gen = w->geometry_gen;
    if (meta)
        *meta = m;
    d = slot_desc(w, n);
    memcpy(&d->meta, &m, sizeof(m));
    memcpy(&d->geometry, &w->geom, sizeof(w->geom));
    atomic_store_explicit(SHMOUT_A64(&d->seq), 2 * n, memory_order_release);
    atomic_store_explicit(SHMOUT_A64(&w->seg.sh->latest_frame), n, memory_order_release);
    w->frames = n;
    w->pending = 0;
    if (w->last_pub_ns && now > w->last_pub_ns) {
        inst = 1e9 / (double)(now - w->last_pub_ns);
        w->fps = w->fps > 0 ? w->fps * 0.9 + inst * 0.1 : inst;
        atomic_store_explicit(SHMOUT_A32(&w->hdr->fps_milli),
                              w->fps * 1000.0 < 4294967295.0 ? (uint32_t)(w->fps * 1000.0) :
                              UINT32_MAX,
                              memory_order_relaxed);
    }
    w->last_pub_ns = now;
    atomic_store_explicit(SHMOUT_A64(&w->hdr->heartbeat_ns), now, memory_order_relaxed);
    shmout_priv_wake_readers(w->hdr, w->wait);
    return 0;
}

int shmout_writer_write(shmout_writer *w, const uint8_t *const src[4],
                        const int src_linesize[4], struct shmout_frame_meta *meta)
{
    uint8_t *data[4];
    int linesize[4], ret;
    unsigned p, y;

    if ((ret = shmout_writer_begin_frame(w, data, linesize)) < 0)
        return ret;          /* -EINTR: nothing marked, nothing to copy into */
    for (p = 0; p < w->geom.nb_planes; p++)
        for (y = 0; y < w->geom.plane_height[p]; y++)
            memcpy(data[p] + (size_t)y * (size_t)linesize[p],
                   src[p] + (ptrdiff_t)y * src_linesize[p], w->geom.plane_bytewidth[p]);
    return shmout_writer_publish(w, meta);
}

int shmout_writer_set_geometry(shmout_writer *w, const struct shmout_geometry *g)
{
    struct segment old = w->seg, nseg;
    int ret;

    if (shmout_priv_writer_geometry_check(g) < 0)
        return -EINVAL;
    if (g->frame_bytes > w->seg.sh->capacity) {
        /* Readers find the frames of this data object only while it is current: lossless ones
         * read them to the last before it is left (or are evicted, §21); an interrupt just
         * stops the wait. */
        if (w->frames >= w->seg_first)
            wait_lossless(w, w->frames, 0);
        memset(&nseg, 0, sizeof(nseg));
        ret = create_segment(w, shmout_priv_next_gen(old.gen), g->frame_bytes, &nseg);
        if (ret < 0)
            return ret;
        /* frame numbers continue in the new object */
        atomic_store_explicit(SHMOUT_A64(&nseg.sh->latest_frame), 0, memory_order_relaxed);
        w->seg = nseg;
        w->seg_first = w->frames + 1;
    }
    w->pending = 0;
    w->geom = *g;
    w->geometry_gen++;
    announce_geometry(w);
    if (w->seg.map != old.map) {
        atomic_store_explicit(SHMOUT_A32(&w->hdr->segment_gen), w->seg.gen,
                              memory_order_release);
        drop_segment(w, &old, 1);
    }
    shmout_priv_wake_readers(w->hdr, w->wait);
    return 0;
}

const struct shmout_geometry *shmout_writer_geometry(const shmout_writer *w,
                                                      uint64_t *geometry_gen)
{
    if (geometry_gen)
        *geometry_gen = w->geometry_gen;
    return &w->geom;
}

int shmout_writer_set_active(shmout_writer *w, int active)
{
    shmout_priv_set_active(w->hdr, w->wait, active);
    return 0;
}

uint32_t shmout_writer_get_control(const shmout_writer *w)
{
    return atomic_load_explicit(SHMOUT_A32(&w->hdr->control), memory_order_relaxed);
}

int shmout_writer_get_active(const shmout_writer *w)
{
    return !!(shmout_writer_get_control(w) & SHMOUT_CONTROL_ACTIVE);
}

int shmout_writer_set_hints(shmout_writer *w, uint32_t fill_mode, uint32_t smoothness)
{
    if (fill_mode > SHMOUT_FILL_NATIVE || smoothness > SHMOUT_SMOOTH_MIPMAP)
        return shmout_priv_fail(-EINVAL, "invalid fill mode %u or smoothness %u",
                                (unsigned)fill_mode, (unsigned)smoothness);
    atomic_store_explicit(SHMOUT_A32(&w->hdr->fill_mode), fill_mode, memory_order_relaxed);
    atomic_store_explicit(SHMOUT_A32(&w->hdr->smoothness), smoothness, memory_order_relaxed);
    return 0;
}

void shmout_writer_heartbeat(shmout_writer *w)
{
    atomic_store_explicit(SHMOUT_A64(&w->hdr->heartbeat_ns), shmout_priv_now_ns(CLOCK_MONOTONIC),
                          memory_order_relaxed);
}

uint64_t shmout_writer_frames(const shmout_writer *w)
{
    return w->frames;
}

void shmout_writer_get_stats(const shmout_writer *w, struct shmout_writer_stats *st)
{
    *st = w->stats;
    st->frames = w->frames;
}

int shmout_writer_wait_readers(shmout_writer *w, int count, int timeout_ms)
{
    uint64_t deadline = 0;
    uint32_t w0;
    int n, stop = 0;

    if (timeout_ms >= 0)
        deadline = shmout_priv_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        /* readers bump ack_word when they attach (PROTOCOL.md §21): sleep on it */
        atomic_store_explicit(SHMOUT_A32(&w->wait->writer_waiting), 1, memory_order_seq_cst);
        w0 = atomic_load_explicit(SHMOUT_A32(&w->wait->ack_word), memory_order_seq_cst);
        n = shmout_priv_count_readers(w->fd);
        if (n < 0 || n >= count ||
            (timeout_ms >= 0 && shmout_priv_now_ns(CLOCK_MONOTONIC) >= deadline) ||
            (stop = interrupted(w)))
            break;
        shmout_priv_futex_wait(&w->wait->ack_word, w0, SHMOUT_PRIV_LOSSLESS_SLICE_MS);
    }
    atomic_store_explicit(SHMOUT_A32(&w->wait->writer_waiting), 0, memory_order_seq_cst);
    if (n < 0)
        return shmout_priv_fail(-ENOTSUP, "cannot count the readers of block '%s' "
                                "(/proc/locks is not readable)", w->name);
    if (n >= count)
        return n;
    if (stop)
        return shmout_priv_fail(-EINTR, "interrupted while waiting for readers");
    return shmout_priv_fail(-ETIMEDOUT, "%d of %d readers attached to block '%s' within %d ms",
                            n, count, w->name, timeout_ms);
}

void shmout_writer_close(shmout_writer *w)
{
    if (!w)
        return;
    /* the data object goes with the close: lossless readers read it to the end first (§21) */
    if (w->frames >= w->seg_first)
        wait_lossless(w, w->frames, 0);
    atomic_store_explicit(SHMOUT_A32(&w->hdr->state), SHMOUT_STATE_CLOSED, memory_order_release);
    shmout_priv_wake_readers(w->hdr, NULL);         /* always on close (§12) */
    drop_segment(w, &w->seg, 1);
    munmap(w->wait, SHMOUT_WAIT_SIZE);
    close(w->wait_fd);
    munmap(w->hdr, SHMOUT_PRIMARY_SIZE);
    close(w->fd);                   /* releases the writer lock */
    free(w);
}
