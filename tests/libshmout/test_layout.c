/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_layout.c - prints "struct field offset size" for every field of the
 * shared layout, for test_layout.py, which checks that the tables in
 * docs/PROTOCOL.md say exactly the same, and for test_python_layout.py,
 * which checks the Python module against it; also "pixfmt code name 0" for
 * every pixel-format code the library knows, "const NAME value" for the
 * protocol's constants and "name KIND value name" for the names of the
 * statuses, fill modes, smoothness values and memtypes.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "shmout.h"

#define F(s, f) printf("%s %s %zu %zu\n", #s, #f, offsetof(struct s, f), \
                       sizeof(((struct s *)0)->f))
#define SIZE(s) printf("%s sizeof %zu 0\n", #s, sizeof(struct s))
#define CONST(c) printf("const %s %" PRId64 "\n", #c, (int64_t)(c))
/* every value with a name, up to the first one without (name() says "unknown") */
#define NAMES(kind, fn, first) do { \
        int v_; \
        for (v_ = (first); strcmp(fn(v_), "unknown"); v_++) \
            printf("name %s %d %s\n", kind, v_, fn(v_)); \
    } while (0)

int main(void)
{
    F(shmout_header, magic); F(shmout_header, version_major); F(shmout_header, version_minor);
    F(shmout_header, header_size); F(shmout_header, byte_order); F(shmout_header, state);
    F(shmout_header, control); F(shmout_header, wake_word); F(shmout_header, segment_gen);
    F(shmout_header, memtype); F(shmout_header, session); F(shmout_header, owner_pid);
    F(shmout_header, owner_uid); F(shmout_header, owner_starttime);
    F(shmout_header, heartbeat_ns); F(shmout_header, created_ns); F(shmout_header, fill_mode);
    F(shmout_header, smoothness); F(shmout_header, fps_milli); F(shmout_header, reserved0);
    F(shmout_header, name); F(shmout_header, geometry_seq); F(shmout_header, geometry_gen);
    F(shmout_header, reader_slots); F(shmout_header, lossless_timeout_ms);
    F(shmout_header, reserved1); F(shmout_header, geometry); F(shmout_header, reserved2);
    SIZE(shmout_header);
    F(shmout_geometry, width); F(shmout_geometry, height); F(shmout_geometry, pix_fmt);
    F(shmout_geometry, nb_planes); F(shmout_geometry, frame_bytes);
    F(shmout_geometry, plane_offset); F(shmout_geometry, plane_linesize);
    F(shmout_geometry, plane_bytewidth); F(shmout_geometry, plane_height);
    F(shmout_geometry, dar_num); F(shmout_geometry, dar_den);
    F(shmout_geometry, sar_num); F(shmout_geometry, sar_den);
    F(shmout_geometry, color.range); F(shmout_geometry, color.matrix);
    F(shmout_geometry, color.primaries); F(shmout_geometry, color.transfer);
    F(shmout_geometry, color.chroma_location); F(shmout_geometry, pix_fmt_name);
    SIZE(shmout_geometry);
    F(shmout_segment_header, magic); F(shmout_segment_header, version_major);
    F(shmout_segment_header, version_minor); F(shmout_segment_header, header_size);
    F(shmout_segment_header, segment_gen); F(shmout_segment_header, slot_count);
    F(shmout_segment_header, session); F(shmout_segment_header, slot_table_offset);
    F(shmout_segment_header, slot_desc_size); F(shmout_segment_header, data_offset);
    F(shmout_segment_header, data_stride); F(shmout_segment_header, capacity);
    F(shmout_segment_header, segment_size); F(shmout_segment_header, latest_frame);
    F(shmout_segment_header, reserved);
    SIZE(shmout_segment_header);
    F(shmout_slot_desc, seq); F(shmout_slot_desc, reserved0); F(shmout_slot_desc, meta);
    F(shmout_slot_desc, reserved1); F(shmout_slot_desc, geometry);
    SIZE(shmout_slot_desc);
    F(shmout_frame_meta, frame_number); F(shmout_frame_meta, pts);
    F(shmout_frame_meta, duration); F(shmout_frame_meta, tb_num); F(shmout_frame_meta, tb_den);
    F(shmout_frame_meta, realtime_ns); F(shmout_frame_meta, monotonic_ns);
    F(shmout_frame_meta, geometry_gen); F(shmout_frame_meta, reserved);
    SIZE(shmout_frame_meta);
    F(shmout_wait_page, waiters); F(shmout_wait_page, ack_word);
    F(shmout_wait_page, writer_waiting); F(shmout_wait_page, reserved);
    F(shmout_wait_page, readers);
    SIZE(shmout_wait_page);
    F(shmout_reader_slot, state); F(shmout_reader_slot, pid); F(shmout_reader_slot, session);
    F(shmout_reader_slot, ack); F(shmout_reader_slot, evicted); F(shmout_reader_slot, reg_id);
    F(shmout_reader_slot, reserved);
    SIZE(shmout_reader_slot);
    CONST(SHMOUT_MAGIC_HEADER); CONST(SHMOUT_MAGIC_SEGMENT); CONST(SHMOUT_BYTE_ORDER_MARK);
    CONST(SHMOUT_PROTO_MAJOR); CONST(SHMOUT_PROTO_MINOR);
    CONST(SHMOUT_PRIMARY_SIZE); CONST(SHMOUT_WAIT_SIZE); CONST(SHMOUT_NAME_MAX);
    CONST(SHMOUT_PIX_FMT_NAME_LEN); CONST(SHMOUT_MAX_PLANES);
    CONST(SHMOUT_MIN_SLOTS); CONST(SHMOUT_MAX_SLOTS);
    CONST(SHMOUT_STATE_INIT); CONST(SHMOUT_STATE_OPEN); CONST(SHMOUT_STATE_CLOSED);
    CONST(SHMOUT_CONTROL_ACTIVE);
    CONST(SHMOUT_READER_SLOTS_MAX); CONST(SHMOUT_READER_SLOTS_OFFSET);
    CONST(SHMOUT_LOSSLESS_TIMEOUT_MAX_MS);
    CONST(SHMOUT_REG_FREE); CONST(SHMOUT_REG_EVERY); CONST(SHMOUT_REG_LOSSLESS);
    CONST(SHMOUT_MEMTYPE_LOCAL); CONST(SHMOUT_MEMTYPE_GLOBAL);
    CONST(SHMOUT_NOPTS); CONST(SHMOUT_PIX_NONE); CONST(SHMOUT_PIX_OTHER);
    CONST(SHMOUT_PLANE_ALIGN); CONST(SHMOUT_DATA_ALIGN);
    NAMES("status", shmout_status_name, 0);
    NAMES("fill_mode", shmout_fill_mode_name, 0);
    NAMES("smoothness", shmout_smoothness_name, 0);
    NAMES("memtype", shmout_memtype_name, 1);
    {
        uint32_t code;
        for (code = 0; code < 4096; code++)
            if (shmout_pix_fmt_name(code))
                printf("pixfmt %u %s 0\n", (unsigned)code, shmout_pix_fmt_name(code));
    }
    return 0;
}
