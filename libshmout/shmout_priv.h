/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_priv.h - declarations shared between the libshmout source files
 * (not installed). Everything here is internal: names start with shmout_priv_.
 */
#ifndef SHMOUT_PRIV_H
#define SHMOUT_PRIV_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "shmout.h"

#define SHMOUT_PRIV_SHM_DIR "/dev/shm"
#define SHMOUT_PRIV_OBJ_LEN 128      /* buffer size for object names */
#define SHMOUT_PRIV_MAX_CAPACITY (UINT64_C(1) << 40)   /* 1 TiB per slot */
#define SHMOUT_PRIV_SLICE_MS 50      /* liveness check interval while waiting */
#define SHMOUT_PRIV_GEN_TRIES 16     /* data-object generations tried (§9 step 8) */

/* Bound of every retry loop over a seqlock (PROTOCOL.md §16 "Bounded loops"): a frame's
 * descriptor (acquire, shmout info), the announced geometry, a copy-out. A try fails only when
 * the writer changes the slot (or the geometry) while it is being copied, so a live block
 * settles within a few tries even under a writer publishing as fast as it can; only one that
 * never settles fails them all: a corrupt or hostile block whose seq is never 2n, a writer
 * that died inside the geometry window and left geometry_seq odd. Nothing is copied while the
 * sequence says the data is not stable, so for those 1000 tries are 1000 loads, well under a
 * millisecond; a copy-out that keeps being overwritten gives up after 1000 frame copies. The
 * Python module uses the same bound (reader.MAX_RETRIES). */
#define SHMOUT_PRIV_MAX_TRIES 1000

/* Atomic views of fields of the shared structs (plain fixed-width types in
 * shmout_protocol.h). _Atomic uint32_t/uint64_t have the size and alignment
 * of the plain types on every Linux ABI we build for (checked below). */
#define SHMOUT_A32(p) ((_Atomic uint32_t *)(void *)(uintptr_t)(p))
#define SHMOUT_A64(p) ((_Atomic uint64_t *)(void *)(uintptr_t)(p))
_Static_assert(sizeof(_Atomic uint64_t) == 8 && _Alignof(_Atomic uint64_t) == 8,
               "64-bit atomics must match uint64_t");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "32-bit atomics must match uint32_t");

/* Seqlock fences. GCC warns (-Wtsan) that ThreadSanitizer does not model
 * atomic_thread_fence, so GCC TSan builds call an out-of-line copy compiled
 * with that warning off; the fence is still a real fence, and the racy
 * copies it orders are deliberately not instrumented (shmout_priv_shared_copy). */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
void shmout_priv_fence(memory_order order);
#define SHMOUT_FENCE(order) shmout_priv_fence(order)
#else
#define SHMOUT_FENCE(order) atomic_thread_fence(order)
#endif

/* errors: set the thread-local message, return err */
int shmout_priv_fail(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* shm_open that never blocks and accepts only regular files: a FIFO or device planted at a
 * block's name would otherwise hang open() or the reads. Returns an fd, or -1 with errno set
 * (EPROTO for an object that is not a regular file). */
int shmout_priv_shm_open(const char *name, int flags, mode_t mode);

/* Open the primary object obj (flags O_RDONLY, or O_RDWR to map it writable too), check it and
 * map it whole (PROTOCOL.md §10 "Attach", §16): a regular file, with owner_only of our
 * effective uid (-EPERM), of SHMOUT_PRIMARY_SIZE bytes (-EPROTO). *st receives its fstat.
 * Returns 0 with *fd open and *map mapped; -EAGAIN if its size is 0 (no header yet: the writer
 * is setting it up, or died doing so), with *fd open for the caller's liveness check and *map
 * NULL; -ENOENT without a message (the caller says what is missing and what to do); -EPROTO,
 * -EPERM or another -errno with the message. The caller closes *fd and unmaps *map. */
int shmout_priv_open_primary(const char *obj, int flags, int owner_only, struct stat *st,
                             int *fd, void **map);

/* owner_pid of the primary object open at fd (pread: no mapping needed), 0 if unreadable. */
int32_t shmout_priv_owner_pid(int fd);

/* time */
uint64_t shmout_priv_now_ns(int clock_id);

/* /proc/PID/stat field 22 (start time in clock ticks), 0 if unknown */
uint64_t shmout_priv_proc_starttime(pid_t pid);

/* futex on a shared (non-private) 32-bit word */
int shmout_priv_futex_wait(const uint32_t *addr, uint32_t expected, int timeout_ms);
void shmout_priv_futex_wake_all(const uint32_t *addr);

/* Wake the readers of block h (§12): wake_word += 1 (seq_cst), then FUTEX_WAKE all, unless the
 * wait page says no reader sleeps (wait NULL: always wake). */
void shmout_priv_wake_readers(struct shmout_header *h, const struct shmout_wait_page *wait);

/* Set or clear SHMOUT_CONTROL_ACTIVE in h->control (fetch_or / fetch_and, relaxed) and wake
 * the readers (§15), as shmout_priv_wake_readers. */
void shmout_priv_set_active(struct shmout_header *h, const struct shmout_wait_page *wait,
                            int active);

/* Writer lock: OFD write lock on byte 0 of the primary object.
 * Reader lock: OFD read lock on byte 1 (only used to count readers). */
int shmout_priv_lock_writer(int fd);                /* 0 or -EBUSY/-errno */
int shmout_priv_writer_alive(int fd);               /* 1 alive, 0 not, <0 error */
int shmout_priv_lock_reader(int fd);
int shmout_priv_count_readers(int fd);              /* >= 0 or -1 unknown */

/* Registration entries (PROTOCOL.md §21): an OFD write lock on byte off of the wait object
 * owns the entry at off. */
#define SHMOUT_PRIV_ENTRY_OFF(i) \
    ((off_t)(SHMOUT_READER_SLOTS_OFFSET + (i) * sizeof(struct shmout_reader_slot)))
int shmout_priv_lock_byte(int fd, off_t off);       /* 0, -EBUSY (taken) or -errno */
int shmout_priv_byte_locked(int fd, off_t off);     /* 1 held by another, 0 free, <0 error */
#define SHMOUT_PRIV_LOSSLESS_SLICE_MS 10  /* writer's check for dead lossless readers (§21) */
#define SHMOUT_PRIV_LOSSLESS_TIMEOUT_MS 1000   /* default bound of a lossless wait */

/* object names */
int shmout_priv_data_name(char *buf, size_t len, const char *obj, uint32_t gen);
int shmout_priv_wait_name(char *buf, size_t len, const char *obj);
void shmout_priv_unlink_data_objects(const char *obj);   /* all obj@d* */

/* Copy bytes from shared memory that another process may be writing at the
 * same time (seqlock read side). Not instrumented by ThreadSanitizer: the
 * race is intended and the copy is validated by the sequence check. */
void shmout_priv_shared_copy(void *dst, const void *src, size_t n);

/* Validation of untrusted shared memory. Each copies the structure out of
 * the mapping into *out (so later checks cannot be raced) and checks it.
 * Return 0, -EAGAIN (primary not initialised yet) or -EPROTO with message. */
int shmout_priv_validate_header(const void *map, size_t map_size,
                                struct shmout_header *out);
int shmout_priv_validate_segment(const void *map, size_t map_size,
                                 struct shmout_segment_header *out);
/* checks a snapshot of a slot descriptor of frame n against its segment */
int shmout_priv_validate_slot(const struct shmout_slot_desc *desc,
                              const struct shmout_segment_header *seg, uint64_t n);
/* consistent snapshot of the announced geometry (seqlock), -EAGAIN if the
 * writer kept changing it */
int shmout_priv_read_geometry(const struct shmout_header *h,
                              struct shmout_geometry *g, uint64_t *gen);

/* Frame n lives in slot n % slot_count (§6): the offsets, in the data object that sh describes
 * (a validated snapshot for readers), of its slot descriptor and of its data area. */
static inline uint64_t shmout_priv_slot_desc_off(const struct shmout_segment_header *sh,
                                                 uint64_t n)
{
    return sh->slot_table_offset + (n % sh->slot_count) * sh->slot_desc_size;
}

static inline uint64_t shmout_priv_slot_data_off(const struct shmout_segment_header *sh,
                                                 uint64_t n)
{
    return sh->data_offset + (n % sh->slot_count) * sh->data_stride;
}

/* The data-object generation after gen: gen + 1, skipping 0 when it wraps (§9 step 8). */
static inline uint32_t shmout_priv_next_gen(uint32_t gen)
{
    return gen + 1 ? gen + 1 : 1;
}

/* Results of shmout_priv_read_slot */
enum shmout_priv_slot_read {
    SHMOUT_PRIV_SLOT_OK = 0,        /* *out is a consistent copy of frame n's descriptor */
    SHMOUT_PRIV_SLOT_NOT_N = 1,     /* seq != 2n: the slot holds a newer frame, is being
                                       written, or never held frame n */
    SHMOUT_PRIV_SLOT_CHANGED = 2,   /* seq was 2n but changed during the copy (torn) */
};

/* Seqlock read of the descriptor d of frame n (§10 "Acquire"): load seq (acquire), which must be
 * 2n; copy *d into *out; acquire fence; reload seq (relaxed), which must still be 2n. Returns an
 * enum shmout_priv_slot_read. The copy is not validated (shmout_priv_validate_slot does that). */
int shmout_priv_read_slot(const struct shmout_slot_desc *d, uint64_t n,
                          struct shmout_slot_desc *out);

/* status from a header snapshot plus the liveness lock */
int shmout_priv_status(const struct shmout_header *snap, int primary_fd);

/* shmout_geometry_check plus: the code must be one this version knows or
 * OTHER (readers accept unknown codes, writers may not produce them) */
int shmout_priv_writer_geometry_check(const struct shmout_geometry *g);

/* segment layout arithmetic; 0 or -EINVAL on overflow */
int shmout_priv_segment_layout(uint32_t slots, uint64_t capacity,
                               uint64_t *data_offset, uint64_t *data_stride,
                               uint64_t *size);

#endif /* SHMOUT_PRIV_H */
