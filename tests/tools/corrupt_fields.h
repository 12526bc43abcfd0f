/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * corrupt_fields.h - the one table of corrupt blocks that tests/libshmout/test_corrupt.c (the
 * library's reader) and tests/tools/hostile_block.c (every real reader, through
 * tests/reliability/hostile_blocks.sh) both test: each case is a copy of one block, the source
 * (cf_source_open: 16x8 rgba, 3 slots of 4096 bytes, frame 1 published, so in slot 1), with
 * fields of its primary header, data-object header, slot descriptor or frame geometry
 * (docs/PROTOCOL.md §4-§6) set to hostile values, or an object cut or grown. Offsets come from
 * the structs of libshmout/shmout_protocol.h. Each case says what the library must answer:
 * lib, the first error of open + acquire + read; info, shmout_block_info's.
 */
#ifndef SHMOUT_CORRUPT_FIELDS_H
#define SHMOUT_CORRUPT_FIELDS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shmout.h"
#include "shmout_protocol.h"

#define CF_W 16
#define CF_H 8
#define CF_CAPACITY 4096u
#define CF_SLOTS 3u
#define CF_FRAME 1u                     /* the one frame published, in slot CF_FRAME % CF_SLOTS */
#define CF_PRIM_MAX 8192u               /* room for the largest primary object a case makes */

/* The source block: name opened as a local writer of the source geometry and options. */
static inline int cf_source_open(shmout_writer **w, const char *name)
{
    struct shmout_writer_options o;
    struct shmout_geometry g;

    shmout_geometry_init(&g, SHMOUT_PIX_RGBA, CF_W, CF_H, 1);
    shmout_writer_options_default(&o);
    o.slots = CF_SLOTS;
    o.capacity = CF_CAPACITY;
    return shmout_writer_open(w, name, SHMOUT_MEMTYPE_LOCAL, &g, &o);
}

#define CF_PH(f) offsetof(struct shmout_header, f)
#define CF_PG(f) (offsetof(struct shmout_header, geometry) + offsetof(struct shmout_geometry, f))
#define CF_SH(f) offsetof(struct shmout_segment_header, f)
/* descriptor of the frame's slot, as the libshmout writer lays the data object out */
#define CF_DESC (sizeof(struct shmout_segment_header) + \
                 (CF_FRAME % CF_SLOTS) * sizeof(struct shmout_slot_desc))
#define CF_DM(f) (CF_DESC + offsetof(struct shmout_slot_desc, meta) + \
                  offsetof(struct shmout_frame_meta, f))
#define CF_DG(f) (CF_DESC + offsetof(struct shmout_slot_desc, geometry) + \
                  offsetof(struct shmout_geometry, f))
#define CF_PLANE(field, p) (CF_DG(field) + (p) * sizeof(((struct shmout_geometry *)0)->field[0]))
/* the data area of the frame's slot, from the layout above (PROTOCOL.md §6: page aligned) */
#define CF_DATA_OFFSET SHMOUT_DATA_ALIGN
#define CF_SLOT_DATA (CF_DATA_OFFSET + (CF_FRAME % CF_SLOTS) * CF_CAPACITY)

enum cf_obj {
    CF_PRIM,                            /* value (size bytes, little-endian) at off, primary */
    CF_SEG,                             /* the same in the data object */
    CF_PRIM_FILL,                       /* size bytes at off set to the byte value, primary */
    CF_SEG_FILL,                        /* the same in the data object */
    CF_PRIM_SIZE,                       /* the primary object is value bytes long (zero-filled) */
    CF_SEG_SIZE,                        /* the data object is value bytes long */
};

/* One edit of a case; a case is the run of entries of one name, its expectations on the first. */
struct corrupt_field {
    const char *name;
    int obj;
    size_t off, size;
    uint64_t value;
    int lib, info;
};

#define E(name, obj, off, size, value) { name, obj, off, size, value, -EPROTO, 0 }
#define P(name, obj, off, size, value) { name, obj, off, size, value, -EPROTO, -EPROTO }
#define V(name, obj, off, size, value) { name, obj, off, size, value, 0, 0 }
#define MORE(name, obj, off, size, value) { name, obj, off, size, value, 0, 0 }

/* P: the primary is refused (by block_info too); E: the data object or the frame is; V: valid;
 * the rest give no frame without being corrupt: the reader's errors are spelled out. */
static const struct corrupt_field corrupt_fields[] = {
    /* whole objects */
    P("prim.short",                  CF_PRIM_SIZE, 0, 0, 512),     /* smaller than the header */
    P("prim.long",                   CF_PRIM_SIZE, 0, 0, 8192),
    E("data.short",                  CF_SEG_SIZE, 0, 0, 128),      /* smaller than its header */
    E("data.truncated",              CF_SEG_SIZE, 0, 0, 4096),     /* slot areas past the end */
    E("data.truncated.in_slot",      CF_SEG_SIZE, 0, 0, CF_SLOT_DATA + 100),
    /* primary header (§4) */
    P("prim.magic",                  CF_PRIM, CF_PH(magic), 8, 0x1234),
    P("prim.magic.swapped",          CF_PRIM, CF_PH(magic), 8, 0x53484d4f55544844u),
    P("prim.version_major",          CF_PRIM, CF_PH(version_major), 2, 2),
    V("prim.version_minor",          CF_PRIM, CF_PH(version_minor), 2, 7),   /* accepted, */
    MORE("prim.version_minor",       CF_PRIM_FILL, CF_PH(reserved2),         /* reserved set */
         sizeof(((struct shmout_header *)0)->reserved2), 0xff),
    P("prim.header_size.small",      CF_PRIM, CF_PH(header_size), 4, 16),
    P("prim.header_size.huge",       CF_PRIM, CF_PH(header_size), 4, 0xffffffffu),
    P("prim.header_size.past",       CF_PRIM, CF_PH(header_size), 4, 2 * SHMOUT_PRIMARY_SIZE),
    P("prim.byte_order",             CF_PRIM, CF_PH(byte_order), 4, 0x04030201),
    P("prim.state",                  CF_PRIM, CF_PH(state), 4, 7),
    P("prim.memtype",                CF_PRIM, CF_PH(memtype), 4, 5),
    P("prim.memtype.0",              CF_PRIM, CF_PH(memtype), 4, 0),
    { "prim.segment_gen",            CF_PRIM, CF_PH(segment_gen), 4, 99, -EAGAIN, 0 },
    P("prim.name.nonul",             CF_PRIM_FILL, CF_PH(name), 64, 'A'),
    P("prim.name.escape",            CF_PRIM, CF_PH(name), 1, 0x1b),
    P("prim.name.slash",             CF_PRIM, CF_PH(name) + 1, 1, '/'),
    V("prim.geometry_seq.odd",       CF_PRIM, CF_PH(geometry_seq), 8, 7),
    /* viewer hints no version defines: readers take the default (§15) */
    V("prim.hints.unknown",          CF_PRIM, CF_PH(fill_mode), 4, 0xffffffffu),
    MORE("prim.hints.unknown",       CF_PRIM, CF_PH(smoothness), 4, 0x80000000u),
    P("prim.geometry.nb_planes",     CF_PRIM, CF_PG(nb_planes), 4, 0x7f7f7f7f),
    P("prim.geometry.width",         CF_PRIM, CF_PG(width), 4, 0),
    /* data-object header (§6) */
    E("data.magic",                  CF_SEG, CF_SH(magic), 8, 0),
    E("data.version_major",          CF_SEG, CF_SH(version_major), 2, 9),
    E("data.header_size.small",      CF_SEG, CF_SH(header_size), 4, 8),
    E("data.header_size.huge",       CF_SEG, CF_SH(header_size), 4, 0xffffffffu),
    E("data.segment_gen",            CF_SEG, CF_SH(segment_gen), 4, 5),
    E("data.slot_count.0",           CF_SEG, CF_SH(slot_count), 4, 0),
    E("data.slot_count.1",           CF_SEG, CF_SH(slot_count), 4, 1),
    E("data.slot_count.17",          CF_SEG, CF_SH(slot_count), 4, 17),
    E("data.slot_count.huge",        CF_SEG, CF_SH(slot_count), 4, 0xffffffffu),
    E("data.slot_table_offset.0",    CF_SEG, CF_SH(slot_table_offset), 8, 0),
    E("data.slot_table_offset.odd",  CF_SEG, CF_SH(slot_table_offset), 8, 257),
    E("data.slot_table_offset.huge", CF_SEG, CF_SH(slot_table_offset), 8, UINT64_C(1) << 62),
    E("data.slot_desc_size.0",       CF_SEG, CF_SH(slot_desc_size), 8, 0),
    E("data.slot_desc_size.small",   CF_SEG, CF_SH(slot_desc_size), 8, 100),
    E("data.slot_desc_size.huge",    CF_SEG, CF_SH(slot_desc_size), 8, UINT64_C(1) << 40),
    E("data.data_offset.0",          CF_SEG, CF_SH(data_offset), 8, 0),
    E("data.data_offset.huge",       CF_SEG, CF_SH(data_offset), 8, UINT64_C(1) << 63),
    E("data.data_stride.small",      CF_SEG, CF_SH(data_stride), 8, 1),
    E("data.data_stride.huge",       CF_SEG, CF_SH(data_stride), 8, UINT64_C(1) << 50),
    /* 3 slots * 0x5555555555555556 wraps 64 bits to 2 */
    E("data.data_stride.wrap",       CF_SEG, CF_SH(data_stride), 8, UINT64_C(0x5555555555555556)),
    E("data.capacity.0",             CF_SEG, CF_SH(capacity), 8, 0),
    E("data.capacity.huge",          CF_SEG, CF_SH(capacity), 8, UINT64_C(1) << 62),
    E("data.segment_size",           CF_SEG, CF_SH(segment_size), 8, UINT64_C(1) << 40),
    /* a frame announced that no slot holds: nothing intact to return */
    { "data.latest_frame.ahead",     CF_SEG, CF_SH(latest_frame), 8, 7, -EAGAIN, 0 },
    { "data.latest_frame.huge",      CF_SEG, CF_SH(latest_frame), 8, UINT64_MAX, -EAGAIN, 0 },
    /* slot descriptor (§6) and the frame's geometry (§5) */
    { "slot.seq.odd",                CF_SEG, CF_DESC, 8, 2 * CF_FRAME - 1, -EAGAIN, 0 },   /* never completes */
    /* frame 2 begun in the next slot, latest still 1: valid */
    V("slot.died_mid_frame",         CF_SEG, CF_DESC + sizeof(struct shmout_slot_desc), 8,
      2 * (CF_FRAME + 1) - 1),
    E("slot.frame_number",           CF_SEG, CF_DM(frame_number), 8, 5),
    E("geom.width.0",                CF_SEG, CF_DG(width), 4, 0),
    E("geom.width.huge",             CF_SEG, CF_DG(width), 4, 65537),
    E("geom.height.0",               CF_SEG, CF_DG(height), 4, 0),
    E("geom.pix_fmt.0",              CF_SEG, CF_DG(pix_fmt), 4, 0),
    E("geom.pix_fmt.mismatch",       CF_SEG, CF_DG(pix_fmt), 4, SHMOUT_PIX_YUV420P),
    /* OTHER allows any name, but not one with an escape sequence; a clean one is fine */
    E("geom.pix_fmt.other_escape",   CF_SEG, CF_DG(pix_fmt), 4, SHMOUT_PIX_OTHER),
    MORE("geom.pix_fmt.other_escape", CF_SEG, CF_DG(pix_fmt_name), 5, 0x4a325b1bu),   /* "\e[2J" */
    V("geom.pix_fmt.other_named",    CF_SEG, CF_DG(pix_fmt), 4, SHMOUT_PIX_OTHER),
    E("geom.pix_fmt_name.nonul",     CF_SEG_FILL, CF_DG(pix_fmt_name), SHMOUT_PIX_FMT_NAME_LEN, 'x'),
    E("geom.pix_fmt_name.empty",     CF_SEG, CF_DG(pix_fmt_name), 8, 0),
    E("geom.nb_planes.0",            CF_SEG, CF_DG(nb_planes), 4, 0),
    E("geom.nb_planes.5",            CF_SEG, CF_DG(nb_planes), 4, 5),
    E("geom.frame_bytes.capacity",   CF_SEG, CF_DG(frame_bytes), 8, CF_CAPACITY + 1),
    E("geom.frame_bytes.huge",       CF_SEG, CF_DG(frame_bytes), 8, UINT64_MAX),
    E("geom.plane_offset.past",      CF_SEG, CF_DG(plane_offset), 8, 4000),
    /* plane 0 ends past frame_bytes, inside the capacity */
    E("geom.plane_offset.past_frame", CF_SEG, CF_DG(plane_offset), 8, SHMOUT_PLANE_ALIGN),
    E("geom.plane_offset.huge",      CF_SEG, CF_DG(plane_offset), 8, UINT64_C(1) << 62),
    E("geom.plane_offset.wrap",      CF_SEG, CF_DG(plane_offset), 8, UINT64_MAX - 8),
    E("geom.linesize.0",             CF_SEG, CF_DG(plane_linesize), 4, 0),
    E("geom.linesize.int_max",       CF_SEG, CF_DG(plane_linesize), 4, 0x80000000u),
    E("geom.linesize.huge",          CF_SEG, CF_DG(plane_linesize), 4, 0xffffffffu),
    /* linesize * height close to 2^64 */
    E("geom.stride.wrap",            CF_SEG, CF_DG(plane_linesize), 4, 0xffffffffu),
    MORE("geom.stride.wrap",         CF_SEG, CF_DG(plane_height), 4, 0xffffffffu),
    E("geom.bytewidth",              CF_SEG, CF_DG(plane_bytewidth), 4, 65),
    E("geom.height.huge",            CF_SEG, CF_DG(plane_height), 4, 0xffffffffu),
    E("geom.unused_plane",           CF_SEG, CF_PLANE(plane_linesize, 3), 4, 64),
    E("geom.unused_plane.height",    CF_SEG, CF_PLANE(plane_height, 3), 4, 1),
};

#undef E
#undef P
#undef V
#undef MORE

#define CF_COUNT (sizeof(corrupt_fields) / sizeof(corrupt_fields[0]))

/* 1 if entry i starts a case (a case is its entries of one name, in a row). */
static inline int cf_first(size_t i)
{
    return i == 0 || strcmp(corrupt_fields[i].name, corrupt_fields[i - 1].name) != 0;
}

/* Apply every entry of case c to copies of the objects: prim (CF_PRIM_MAX bytes of room) of
 * *prim_size bytes and seg of *seg_size bytes; the sizes may change (a data object only
 * shrinks). Returns the case's first entry, or NULL if there is no case c. */
static inline const struct corrupt_field *cf_apply(const char *c, uint8_t *prim, size_t *prim_size,
                                                   uint8_t *seg, size_t *seg_size)
{
    const struct corrupt_field *first = NULL;
    size_t i;

    for (i = 0; i < CF_COUNT; i++) {
        const struct corrupt_field *f = &corrupt_fields[i];
        uint8_t *base = f->obj == CF_PRIM || f->obj == CF_PRIM_FILL ? prim : seg;
        if (strcmp(f->name, c))
            continue;
        first = first ? first : f;
        if (f->obj == CF_PRIM || f->obj == CF_SEG)
            memcpy(base + f->off, &f->value, f->size);      /* little-endian host (§2) */
        else if (f->obj == CF_PRIM_FILL || f->obj == CF_SEG_FILL)
            memset(base + f->off, (int)f->value, f->size);
        else if (f->obj == CF_PRIM_SIZE) {
            if (f->value > *prim_size)
                memset(prim + *prim_size, 0, (size_t)f->value - *prim_size);
            *prim_size = (size_t)f->value;
        } else if (f->value < *seg_size)
            *seg_size = (size_t)f->value;
    }
    return first;
}

#endif /* SHMOUT_CORRUPT_FIELDS_H */
