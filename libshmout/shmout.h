/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout.h - public API of libshmout: publish video frames into POSIX shared
 * memory (writer) and read the newest frame from it (reader), Linux only.
 * The shared layout is in shmout_protocol.h, specified by docs/PROTOCOL.md.
 *
 * Conventions:
 *  - Functions returning int return 0 (or a documented non-negative value)
 *    on success and a negative errno code on failure.
 *  - After a failure, shmout_errmsg() returns a human-readable message that
 *    names the problem and, where possible, the fix. The message is kept per
 *    thread (thread-local) and stays valid until the next failing call in
 *    the same thread.
 *  - A writer or reader object is not thread-safe; use it from one thread at
 *    a time. Different objects may be used concurrently.
 */
#ifndef SHMOUT_H
#define SHMOUT_H

#include <stddef.h>
#include <stdint.h>

#include "shmout_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SHMOUT_VERSION_STRING "1.0.0"

/* Layout conventions of the libshmout writer, not of the protocol: readers
 * MUST take the layout from the block (the plane table, the data-object
 * header) and never assume these (PROTOCOL.md §5, §6). */
#define SHMOUT_PLANE_ALIGN  64u     /* plane offsets (shmout_geometry_init) */
#define SHMOUT_DATA_ALIGN   4096u   /* data_offset, data_stride: areas on pages */

/* ---- errors, names, formats ------------------------------------------ */

/* Message of the last failing shmout call in this thread ("" if none). */
const char *shmout_errmsg(void);

/* Description of a negative error code as returned by shmout functions,
 * e.g. shmout_strerror(-EBUSY). Never NULL. */
const char *shmout_strerror(int err);

/* Check a block name: 1..SHMOUT_NAME_MAX characters from [A-Za-z0-9_.-],
 * first character a letter or digit, no "..". Returns 0 or -EINVAL; on
 * error writes a message to errbuf (if errlen > 0) and to shmout_errmsg(). */
int shmout_name_validate(const char *name, char *errbuf, size_t errlen);

/* Map (name, memtype) to the POSIX shm object name of the primary object,
 * with leading '/': "/shmout.u<uid>.<name>" (local, uid = geteuid()) or
 * "/shmout.g.<name>" (global). The object lives at /dev/shm/<that without
 * '/'>. Returns 0, -EINVAL (bad name/memtype) or -ENAMETOOLONG. */
int shmout_object_name(const char *name, int memtype, char *buf, size_t len);

/* Names of enum values, as the tools print them and PROTOCOL.md uses them.
 * name() returns "unknown" for a value without a name, never NULL; parse()
 * returns the value of a name, or -EINVAL (shmout_errmsg() lists the names)
 * for anything else, NULL included.
 *   memtype, SHMOUT_MEMTYPE_*: "local", "global"
 *   status, enum shmout_block_status: "active", "inactive", "closed",
 *     "stale", "starting", "corrupt"
 *   fill mode, enum shmout_fill_mode: "fill", "fithorizontal", "fitvertical",
 *     "best", "outside", "native"
 *   smoothness, enum shmout_smoothness: "nearest", "linear", "mipmap" */
int shmout_memtype_parse(const char *s);
const char *shmout_memtype_name(int memtype);
const char *shmout_status_name(int status);
int shmout_fill_mode_parse(const char *s);
const char *shmout_fill_mode_name(uint32_t fill_mode);
int shmout_smoothness_parse(const char *s);
const char *shmout_smoothness_name(uint32_t smoothness);

/* Stable pixel-format code <-> FFmpeg pix_fmt name. name() returns NULL for
 * unknown codes and for SHMOUT_PIX_OTHER; from_name() returns
 * SHMOUT_PIX_OTHER for names it does not know. */
const char *shmout_pix_fmt_name(uint32_t pix_fmt);
uint32_t shmout_pix_fmt_from_name(const char *name);

/* Fill *g for a known pix_fmt (not OTHER): planes packed one after the
 * other, each plane offset aligned to SHMOUT_PLANE_ALIGN, each linesize
 * rounded up to a multiple of linesize_align (1 = tightly packed, must be a
 * power of two <= 4096). Aspect is 0/0 and colour unspecified (matrix,
 * primaries and transfer 2, range and chroma location 0); set them
 * afterwards. For SHMOUT_PIX_OTHER fill the struct yourself (width, height,
 * pix_fmt_name, nb_planes and the plane arrays, frame_bytes).
 * Returns 0 or -EINVAL (unknown format, zero/huge size, bad alignment). */
int shmout_geometry_init(struct shmout_geometry *g, uint32_t pix_fmt,
                         uint32_t width, uint32_t height, uint32_t linesize_align);

/* Check a geometry for internal consistency and against a data-area
 * capacity (0 = no capacity limit), as a reader does: pix_fmt codes this
 * version does not know are accepted like SHMOUT_PIX_OTHER (writers refuse
 * them). Returns 0, -EINVAL or, if it is consistent but larger than
 * capacity, -EFBIG. */
int shmout_geometry_check(const struct shmout_geometry *g, uint64_t capacity);

/* ---- writer ------------------------------------------------------------ */

typedef struct shmout_writer shmout_writer;

struct shmout_writer_options {
    uint32_t slots;          /* ring slots, SHMOUT_MIN_SLOTS..SHMOUT_MAX_SLOTS; default 3 */
    uint32_t fill_mode;      /* viewer hint, enum shmout_fill_mode; default fill */
    uint32_t smoothness;     /* viewer hint, enum shmout_smoothness; default linear */
    uint32_t active;         /* initial active toggle, 0/1; default 1 */
    uint64_t capacity;       /* bytes reserved per slot; 0 = the geometry's frame_bytes */
    /* The longest begin_frame waits for a lossless reader (PROTOCOL.md §21) before it evicts
     * it, in ms, 1..SHMOUT_LOSSLESS_TIMEOUT_MAX_MS; default 1000. */
    uint32_t lossless_timeout_ms;
    /* Called while begin_frame or wait_readers wait, at least every 10 ms; non-zero stops the
     * wait (-EINTR). NULL: never. */
    int (*interrupt)(void *opaque);
    void *interrupt_opaque;
};

/* Defaults as documented above. */
void shmout_writer_options_default(struct shmout_writer_options *opts);

/* Create the block (name, memtype) or take it over if it exists and its
 * previous writer is gone (dead or closed). All storage is reserved here
 * (posix_fallocate), so a full /dev/shm fails now with -ENOSPC instead of a
 * SIGBUS later. opts may be NULL (defaults).
 * Errors: -EINVAL (name, memtype, geometry, options), -EBUSY (a live writer
 * owns the block: "in use by pid N"), -EACCES/-EPERM (object owned by another
 * user), -ENOSPC (/dev/shm full), -EPROTO (an incompatible object holds the
 * name; remove it with "shmout rm NAME --force"), -EEXIST (16 data-object
 * names in a row are taken by objects that cannot be removed), -ENOMEM,
 * other -errno. */
int shmout_writer_open(shmout_writer **w, const char *name, int memtype,
                       const struct shmout_geometry *geometry,
                       const struct shmout_writer_options *opts);

/* Get pointers into the ring slot that the next publish will fill, one per
 * plane of the current geometry (unused planes: NULL/0). The slot is marked
 * "being written" so readers will not accept it. Calling it again before
 * publish returns the same slot. If a lossless reader (PROTOCOL.md §21) has
 * not finished with the frame the slot holds, it first waits for it, at most
 * lossless_timeout_ms, then evicts it. Returns 0, -EINTR (the interrupt
 * callback stopped the wait; nothing was marked, call it again or close) or
 * another negative error. */
int shmout_writer_begin_frame(shmout_writer *w, uint8_t *data[4], int linesize[4]);

/* Publish the slot filled since begin_frame. meta may be NULL; from it the
 * writer takes pts, duration, tb_num, tb_den and fills frame_number,
 * realtime_ns, monotonic_ns and geometry_gen itself (written back to *meta
 * if meta is not NULL). Wakes waiting readers. Never waits for a reader.
 * Returns 0, or -EINVAL if begin_frame was not called. */
int shmout_writer_publish(shmout_writer *w, struct shmout_frame_meta *meta);

/* Convenience: begin_frame, copy the planes from src, publish. */
int shmout_writer_write(shmout_writer *w, const uint8_t *const src[4],
                        const int src_linesize[4], struct shmout_frame_meta *meta);

/* Change the frame geometry (size and/or format) while readers stay
 * attached. If it fits the reserved capacity the ring is reused; otherwise
 * a new, larger data object is created and readers move to it. Memory a
 * reader may have mapped is never shrunk. Abandons a frame begun but not
 * published. Returns 0, -EINVAL, -ENOSPC, or another -errno. */
int shmout_writer_set_geometry(shmout_writer *w, const struct shmout_geometry *geometry);

/* Current geometry and its generation (starts at 1, +1 per set_geometry). */
const struct shmout_geometry *shmout_writer_geometry(const shmout_writer *w,
                                                      uint64_t *geometry_gen);

/* The active toggle in the header's control word. Another process (the
 * block's owner, e.g. "shmout set NAME active=0") may flip it at any time;
 * a writer that finds itself inactive should keep consuming frames but not
 * publish them. get returns 1 (active) or 0. */
int shmout_writer_set_active(shmout_writer *w, int active);
int shmout_writer_get_active(const shmout_writer *w);

/* Raw control word (SHMOUT_CONTROL_* bits). */
uint32_t shmout_writer_get_control(const shmout_writer *w);

/* Viewer hints for readers. Returns 0 or -EINVAL for unknown values. */
int shmout_writer_set_hints(shmout_writer *w, uint32_t fill_mode, uint32_t smoothness);

/* Refresh the liveness heartbeat without publishing (publish does it too). */
void shmout_writer_heartbeat(shmout_writer *w);

/* Number of frames published so far in this session. */
uint64_t shmout_writer_frames(const shmout_writer *w);

/* Wait until at least count readers are attached (libshmout and Python readers of any mode,
 * counted as shmout_block_info's readers), at most timeout_ms (negative: forever).
 * Returns the number attached, -ETIMEDOUT (the message says how many were), -EINTR (the
 * interrupt callback), or -ENOTSUP (readers cannot be counted here: no /proc/locks). */
int shmout_writer_wait_readers(shmout_writer *w, int count, int timeout_ms);

struct shmout_writer_stats {
    uint64_t frames;              /* published in this session */
    uint64_t lossless_waits;      /* frames that waited for a lossless reader */
    uint64_t lossless_wait_ns;    /* time spent in those waits */
    uint64_t evictions;           /* lossless readers evicted at the bound */
    uint64_t reclaimed;           /* registrations of dead readers freed */
    uint64_t slowest_reader_lost; /* most frames one registered reader lost (overwritten
                                     before it had read them) */
    uint32_t registered;          /* registrations seen at the last frame */
};

void shmout_writer_get_stats(const shmout_writer *w, struct shmout_writer_stats *st);

/* Mark the block closed, wake all readers, unlink the current data object
 * if its name is still this writer's (readers keep their mappings and the
 * last frame) and release ownership. The small primary and wait objects
 * stay so readers attached now will reattach to the next writer using the
 * name; "shmout rm NAME" removes them. NULL-safe. */
void shmout_writer_close(shmout_writer *w);

/* Keep the writer's current data object mapped beyond the writer's own use of it. Pointers from
 * shmout_writer_begin_frame point into this mapping; shmout_writer_set_geometry (when it moves
 * to a larger data object) and shmout_writer_close unmap it, which would leave pointers lent
 * elsewhere (e.g. a buffer another thread still holds) dangling. A retained mapping stays
 * mapped, readable and writable, until its last reference is released: the object is still
 * unlinked on schedule, only the munmap waits. Not a protocol change: what is written there
 * after the writer left the object is seen by no reader that follows the block. The reference
 * count is atomic: shmout_mapping_release may be called from any thread, also after
 * shmout_writer_close. retain never fails (the writer always has a data object). */
struct shmout_mapping;
struct shmout_mapping *shmout_writer_retain_mapping(shmout_writer *w);
void shmout_mapping_release(struct shmout_mapping *m);    /* NULL-safe */

/* ---- reader ------------------------------------------------------------ */

typedef struct shmout_reader shmout_reader;

enum shmout_block_status {
    SHMOUT_STATUS_ACTIVE   = 0,  /* live writer, active */
    SHMOUT_STATUS_INACTIVE = 1,  /* live writer, active toggle off */
    SHMOUT_STATUS_CLOSED   = 2,  /* writer closed the block */
    SHMOUT_STATUS_STALE    = 3,  /* writer died without closing */
    SHMOUT_STATUS_STARTING = 4,  /* a writer is setting the block up */
    SHMOUT_STATUS_CORRUPT  = 5,  /* only in shmout_list(): its header fails validation
                                    (shmout_block_info() returns -EPROTO and the reason) */
};

/* A frame in shared memory (zero-copy). The plane pointers stay mapped
 * until the next shmout_reader_acquire/read/close call on the same reader,
 * but their CONTENT may be overwritten by the writer at any time: check
 * with shmout_reader_validate() after using them. */
struct shmout_frame_view {
    const uint8_t *data[4];
    int linesize[4];
    struct shmout_geometry geometry;    /* geometry this frame was published with */
    struct shmout_frame_meta meta;
    const void *priv_slot;              /* private */
    uint64_t priv_seq;                  /* private */
};

struct shmout_reader_stats {
    uint64_t frames_seen;      /* distinct frames returned by acquire/read (a frame that
                                  validate finds overwritten counts as skipped instead) */
    uint64_t frames_skipped;   /* frames published but never returned */
    uint64_t torn_retries;     /* reads retried because the slot was overwritten */
    uint64_t reattaches;       /* data-object switches (growth, writer restart) */
    uint64_t geometry_changes; /* returned frames whose geometry_gen (or session)
                                  differed from the previous returned frame's */
    uint64_t frames_before_attach; /* of frames_skipped: published before this reader
                                  attached (frames 1 .. the newest one then, of the session
                                  it attached in); the others were lost to a lapping writer */
    uint64_t evictions;        /* times the writer evicted this lossless reader */
    uint64_t evicted_at;       /* the frame the writer overwrote at the last eviction, 0 none */
    uint32_t registered;       /* enum shmout_reg_state: how the writer knows this reader now
                                  (FREE: not registered) */
};

/* Attach to block (name, memtype). timeout_ms: 0 = fail at once with
 * -ENOENT if it does not exist yet (-EAGAIN if its writer is still setting
 * it up), negative = wait forever, >0 = wait up to that many milliseconds
 * (then -ETIMEDOUT); the wait learns of the block's creation from inotify
 * and of the end of its set-up from its futex word. Maps read-only. A block whose writer is dead or closed
 * can be opened (status says so; the last frame is readable if its data
 * object still exists) and the reader follows the next writer of the name.
 * Errors: -EINVAL, -ENOENT, -EAGAIN, -ETIMEDOUT, -EACCES, -EPERM (local
 * block owned by another uid), -EPROTO (corrupt or incompatible block),
 * -ENOMEM. */
int shmout_reader_open(shmout_reader **r, const char *name, int memtype, int timeout_ms);

struct shmout_reader_options {
    /* Read mode (enum shmout_read_mode) from the start: an every or lossless reader is
     * registered (PROTOCOL.md §21) before it counts as attached (shmout_writer_wait_readers),
     * so a writer that waited for it loses nothing for it. Default: SHMOUT_READ_LATEST. */
    int mode;
    /* Called at least every 50 ms while open waits for the block; non-zero stops the wait
     * (-EINTR). NULL: never. */
    int (*interrupt)(void *opaque);
    void *interrupt_opaque;
};

/* shmout_reader_open with options (NULL: the defaults). */
int shmout_reader_open_opts(shmout_reader **r, const char *name, int memtype, int timeout_ms,
                            const struct shmout_reader_options *opts);

/* Which frame acquire and read return. */
enum shmout_read_mode {
    SHMOUT_READ_LATEST = 0,   /* the newest complete frame (default; lowest latency) */
    SHMOUT_READ_EVERY  = 1,   /* the oldest frame newer than the last one returned that is
                                 still in the ring: every frame, unless the writer laps the
                                 reader (those count as frames_skipped). A reader that has
                                 returned nothing yet, or whose writer restarted, starts at
                                 the oldest frame still in the ring. Registers as an every
                                 reader (PROTOCOL.md §21) so the writer can count its losses. */
    SHMOUT_READ_LOSSLESS = 2, /* as EVERY, and registered as lossless: the writer does not
                                 overwrite a frame this reader has not finished with (the copy
                                 of read, or acquire until validate or the next acquire), for
                                 at most its lossless timeout per frame, then evicts it (stats:
                                 evictions) and the reader registers again. If the writer
                                 cannot honour it (protocol 1.0, no writable wait object, all
                                 32 registrations taken) it reads as EVERY: stats.registered
                                 tells. */
};

/* Set the read mode (enum shmout_read_mode), registering or leaving the registration as the
 * mode needs. Returns 0 or -EINVAL. */
int shmout_reader_set_mode(shmout_reader *r, int mode);

/* Wait without polling (futex) until a frame newer than the last one
 * returned by acquire/read exists. timeout_ms: 0 = don't wait, negative =
 * forever. Returns 0 (new frame), -ETIMEDOUT, -ESTALE (writer died),
 * -ESHUTDOWN (writer closed the block), -EPROTO. -ESTALE/-ESHUTDOWN are
 * returned as soon as the change is seen (at most ~50 ms after a writer
 * dies) and again when a later wait times out while the block is still
 * stale/closed. When a new writer takes the name over the reader follows it
 * transparently (frame numbers restart at 1 in the new session). */
int shmout_reader_wait(shmout_reader *r, int timeout_ms);

/* Zero-copy access to a complete frame: the newest, or in SHMOUT_READ_EVERY
 * mode the next one (shmout_reader_set_mode). Returns 0, -EAGAIN (no frame
 * published yet, or the writer kept overwriting it), -EPROTO (corrupt
 * block). */
int shmout_reader_acquire(shmout_reader *r, struct shmout_frame_view *view);

/* 0 if the frame in *view was not touched by the writer since acquire
 * (so everything read from it before this call is a complete frame),
 * -EAGAIN if it has been (partly) overwritten: discard what you read. */
int shmout_reader_validate(shmout_reader *r, const struct shmout_frame_view *view);

/* Copy the newest complete frame into caller buffers, retrying torn reads;
 * never returns a torn frame. dst/dst_linesize describe buffers for
 * geometry *want (width, height, pix_fmt/pix_fmt_name, plane byte widths
 * and heights must match the frame; linesizes may differ). On success and
 * on -EMSGSIZE (frame geometry differs from *want: reallocate for
 * out_geometry and call again) *out_geometry and *out_meta are filled
 * (either may be NULL). Returns 0, -EAGAIN (no frame yet, or the writer
 * kept overwriting it), -EMSGSIZE, -EPROTO. */
int shmout_reader_read(shmout_reader *r, const struct shmout_geometry *want,
                       uint8_t *const dst[4], const int dst_linesize[4],
                       struct shmout_geometry *out_geometry,
                       struct shmout_frame_meta *out_meta);

/* Counters of this reader. */
void shmout_reader_get_stats(const shmout_reader *r, struct shmout_reader_stats *st);

/* Block status as seen now (enum shmout_block_status), or -EPROTO. */
int shmout_reader_status(shmout_reader *r);

void shmout_reader_close(shmout_reader *r);   /* NULL-safe */

/* ---- inspection and administration (used by the shmout tool) ----------- */

struct shmout_block_info {
    char name[SHMOUT_NAME_MAX + 1];
    int memtype;                   /* SHMOUT_MEMTYPE_* */
    int status;                    /* enum shmout_block_status */
    int32_t owner_pid;
    uint32_t owner_uid;
    uint64_t owner_starttime;
    uint64_t session;
    uint32_t control;
    uint32_t fill_mode, smoothness;
    uint32_t segment_gen;
    uint32_t slots;                /* 0 if there is no data object */
    uint64_t capacity;             /* bytes per slot */
    uint64_t geometry_gen;
    struct shmout_geometry geometry;   /* announced geometry */
    uint64_t frames;               /* frames published in this session */
    double fps;                    /* publish rate estimate, 0 if unknown */
    int64_t last_frame_age_ns;     /* -1 if no frame */
    int64_t heartbeat_age_ns;      /* -1 if unknown */
    int readers;                   /* attached libshmout readers (their OFD read locks
                                      counted in /proc/locks, PROTOCOL.md §13), -1 if
                                      unknown */
    char object[96];               /* primary object name, with '/' */
};

/* Inspect one block. Returns 0, -ENOENT, -EACCES, -EPROTO. */
int shmout_block_info(const char *name, int memtype, struct shmout_block_info *info);

/* Every block visible to this user: its own local blocks and all global
 * ones (root sees every user's local blocks). *list is malloc'ed (free with
 * free()); a block whose header fails validation is listed with status
 * SHMOUT_STATUS_CORRUPT, other entries that cannot be inspected (and names
 * that are not valid block names) are skipped. Returns 0 or -errno. */
int shmout_list(struct shmout_block_info **list, size_t *count);

/* Flip the active toggle of a block owned by this user (needs write access
 * to the primary object) and wake its readers. Returns 0, -ENOENT, -EACCES,
 * -EAGAIN (no header yet), -EPROTO. */
int shmout_set_active(const char *name, int memtype, int active);

/* Remove every object of a block. A block with a live writer is refused
 * with -EBUSY unless force is non-zero. Returns 0, -ENOENT, -EBUSY, -errno. */
int shmout_remove(const char *name, int memtype, int force);

#ifdef __cplusplus
}
#endif

#endif /* SHMOUT_H */
