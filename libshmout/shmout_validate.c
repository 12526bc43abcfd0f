/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_validate.c - validation of untrusted shared memory: the primary
 * header, the data-object header, slot descriptors and the announced
 * geometry, and the seqlock reads of the last two. Every check works on a
 * private snapshot so a block that changes while it is being checked cannot
 * make a later access go out of bounds. The fuzz target
 * (tests/libshmout/fuzz/fuzz_block.c) drives these.
 */
#include <errno.h>
#include <string.h>

#include "shmout_priv.h"

static int bad(const char *what, unsigned long long v)
{
    return shmout_priv_fail(-EPROTO, "corrupt or incompatible shared-memory block: %s "
                            "(value %llu); if no writer uses it, remove it with "
                            "'shmout rm NAME --force'", what, v);
}

int shmout_priv_validate_header(const void *map, size_t map_size, struct shmout_header *out)
{
    struct shmout_header *h = out;

    if (map_size < sizeof(*h))
        return bad("primary object smaller than the header", map_size);
    shmout_priv_shared_copy(h, map, sizeof(*h));
    if (h->magic == 0)
        return shmout_priv_fail(-EAGAIN, "block is still being set up by its writer");
    if (h->magic == __builtin_bswap64(SHMOUT_MAGIC_HEADER))
        return bad("block written with the other byte order", h->magic);
    if (h->magic != SHMOUT_MAGIC_HEADER)
        return bad("not a shmout block (bad magic)", h->magic);
    if (h->byte_order != SHMOUT_BYTE_ORDER_MARK)
        return bad("bad byte-order mark", h->byte_order);
    if (h->version_major != SHMOUT_PROTO_MAJOR)
        return bad("unsupported protocol major version", h->version_major);
    if (h->header_size < sizeof(*h) || h->header_size > map_size)
        return bad("bad header_size", h->header_size);
    if (h->state > SHMOUT_STATE_CLOSED)
        return bad("bad state", h->state);
    if (h->memtype != SHMOUT_MEMTYPE_LOCAL && h->memtype != SHMOUT_MEMTYPE_GLOBAL)
        return bad("bad memtype", h->memtype);
    if (!memchr(h->name, 0, sizeof(h->name)))
        return bad("block name not NUL-terminated", 0);
    /* tools print it: no control characters or escape sequences from a hostile block */
    if (shmout_name_validate(h->name, NULL, 0) < 0)
        return bad("block name in the header is not a valid name", 0);
    return 0;
}

int shmout_priv_validate_segment(const void *map, size_t map_size,
                                 struct shmout_segment_header *out)
{
    struct shmout_segment_header *s = out;
    uint64_t table_end;

    if (map_size < sizeof(*s))
        return bad("data object smaller than its header", map_size);
    shmout_priv_shared_copy(s, map, sizeof(*s));
    if (s->magic != SHMOUT_MAGIC_SEGMENT)
        return bad("data object has a bad magic", s->magic);
    if (s->version_major != SHMOUT_PROTO_MAJOR)
        return bad("data object has an unsupported major version", s->version_major);
    if (s->header_size < sizeof(*s) || s->header_size > map_size)
        return bad("data object has a bad header_size", s->header_size);
    if (s->slot_count < SHMOUT_MIN_SLOTS || s->slot_count > SHMOUT_MAX_SLOTS)
        return bad("bad slot_count", s->slot_count);
    if (s->slot_desc_size < sizeof(struct shmout_slot_desc) || s->slot_desc_size > 65536 ||
        s->slot_desc_size % 64)
        return bad("bad slot_desc_size", s->slot_desc_size);
    if (s->slot_table_offset < s->header_size || s->slot_table_offset % 64 ||
        s->slot_table_offset > map_size)
        return bad("bad slot_table_offset", s->slot_table_offset);
    table_end = s->slot_table_offset + s->slot_count * s->slot_desc_size; /* small */
    if (table_end > map_size || s->data_offset < table_end || s->data_offset > map_size)
        return bad("bad data_offset", s->data_offset);
    if (!s->capacity || s->capacity > SHMOUT_PRIV_MAX_CAPACITY)
        return bad("bad capacity", s->capacity);
    if (s->data_stride < s->capacity || s->data_stride > SHMOUT_PRIV_MAX_CAPACITY + 4096 ||
        s->data_stride > (map_size - s->data_offset) / s->slot_count)
        return bad("slot data areas extend past the end of the data object", s->data_stride);
    if (s->segment_size > map_size)
        return bad("data object is shorter than its segment_size", s->segment_size);
    return 0;
}

int shmout_priv_validate_slot(const struct shmout_slot_desc *desc,
                              const struct shmout_segment_header *seg, uint64_t n)
{
    int ret;

    if (desc->meta.frame_number != n)
        return bad("slot holds a different frame number than its sequence says",
                   desc->meta.frame_number);
    ret = shmout_geometry_check(&desc->geometry, seg->capacity);
    if (ret < 0)
        return shmout_priv_fail(-EPROTO, "corrupt shared-memory block: frame %llu: %s",
                                (unsigned long long)n, shmout_errmsg());
    return 0;
}

int shmout_priv_read_slot(const struct shmout_slot_desc *d, uint64_t n,
                          struct shmout_slot_desc *out)
{
    uint64_t s1 = atomic_load_explicit(SHMOUT_A64(&d->seq), memory_order_acquire);

    if (s1 != 2 * n)
        return SHMOUT_PRIV_SLOT_NOT_N;
    shmout_priv_shared_copy(out, d, sizeof(*out));
    SHMOUT_FENCE(memory_order_acquire);
    if (atomic_load_explicit(SHMOUT_A64(&d->seq), memory_order_relaxed) != s1)
        return SHMOUT_PRIV_SLOT_CHANGED;
    return SHMOUT_PRIV_SLOT_OK;
}

int shmout_priv_read_geometry(const struct shmout_header *h, struct shmout_geometry *g,
                              uint64_t *gen)
{
    uint64_t s1 = 0, s2;
    int tries, ret;

    for (tries = 0; tries < SHMOUT_PRIV_MAX_TRIES; tries++) {
        s1 = atomic_load_explicit(SHMOUT_A64(&h->geometry_seq), memory_order_acquire);
        if (s1 & 1)
            continue;
        shmout_priv_shared_copy(gen, &h->geometry_gen, sizeof(*gen));
        shmout_priv_shared_copy(g, &h->geometry, sizeof(*g));
        SHMOUT_FENCE(memory_order_acquire);
        s2 = atomic_load_explicit(SHMOUT_A64(&h->geometry_seq), memory_order_relaxed);
        if (s1 != s2)
            continue;
        ret = shmout_geometry_check(g, 0);
        if (ret < 0)
            return shmout_priv_fail(-EPROTO, "corrupt shared-memory block: announced "
                                    "geometry: %s", shmout_errmsg());
        return 0;
    }
    /* Unavailable (a writer died inside the window and left geometry_seq odd, or it kept
     * changing): not corruption (PROTOCOL.md §14). Never hand out a torn copy. */
    memset(g, 0, sizeof(*g));
    *gen = 0;
    return shmout_priv_fail(-EAGAIN, "announced geometry unavailable (geometry_seq %s)",
                            s1 & 1 ? "stays odd" : "kept changing");
}

int shmout_priv_status(const struct shmout_header *h, int primary_fd)
{
    uint32_t state = atomic_load_explicit(SHMOUT_A32(&h->state), memory_order_acquire);
    uint32_t control = atomic_load_explicit(SHMOUT_A32(&h->control), memory_order_relaxed);
    int alive;

    if (state == SHMOUT_STATE_CLOSED)
        return SHMOUT_STATUS_CLOSED;
    alive = shmout_priv_writer_alive(primary_fd);
    if (alive < 0)
        return alive;
    if (!alive)
        return SHMOUT_STATUS_STALE;
    if (state == SHMOUT_STATE_INIT)
        return SHMOUT_STATUS_STARTING;
    return control & SHMOUT_CONTROL_ACTIVE ? SHMOUT_STATUS_ACTIVE : SHMOUT_STATUS_INACTIVE;
}
