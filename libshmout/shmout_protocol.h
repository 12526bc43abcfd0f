/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_protocol.h - the shared-memory layout of protocol 1.x, uapi style.
 * Fixed-width types only, explicit padding, every size and offset checked by
 * _Static_assert. docs/PROTOCOL.md is the normative text; this header is its
 * machine-readable twin. All multi-byte values are native little-endian.
 * Fields marked "atomic" are accessed with atomic loads/stores.
 */
#ifndef SHMOUT_PROTOCOL_H
#define SHMOUT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define SHMOUT_PROTO_MAJOR 1u
#define SHMOUT_PROTO_MINOR 0u

/* "SHMOUTHD" / "SHMOUTDS" as little-endian u64; a big-endian reader sees
 * them byte-swapped and refuses the block. */
#define SHMOUT_MAGIC_HEADER  UINT64_C(0x444854554f4d4853)
#define SHMOUT_MAGIC_SEGMENT UINT64_C(0x534454554f4d4853)
#define SHMOUT_BYTE_ORDER_MARK 0x01020304u

#define SHMOUT_PRIMARY_SIZE 4096u   /* size of the primary object */
#define SHMOUT_WAIT_SIZE    4096u   /* size of the wait object */
#define SHMOUT_NAME_MAX     63u     /* max name length, without NUL */
#define SHMOUT_PIX_FMT_NAME_LEN 32u
#define SHMOUT_MAX_PLANES   4u
#define SHMOUT_MIN_SLOTS    2u
#define SHMOUT_MAX_SLOTS    16u
#define SHMOUT_DATA_ALIGN   4096u   /* slot data areas: page aligned */
#define SHMOUT_PLANE_ALIGN  64u     /* plane offsets written by shmout */

enum shmout_memtype {
    SHMOUT_MEMTYPE_LOCAL  = 1,
    SHMOUT_MEMTYPE_GLOBAL = 2,
};

/* header.state (atomic u32) */
enum shmout_state {
    SHMOUT_STATE_INIT   = 0,   /* writer is setting the block up */
    SHMOUT_STATE_OPEN   = 1,   /* a writer owns the block */
    SHMOUT_STATE_CLOSED = 2,   /* the writer closed the block on purpose */
};

/* header.control (atomic u32) bits */
#define SHMOUT_CONTROL_ACTIVE 0x1u

enum shmout_fill_mode {
    SHMOUT_FILL_FILL          = 0,
    SHMOUT_FILL_FITHORIZONTAL = 1,
    SHMOUT_FILL_FITVERTICAL   = 2,
    SHMOUT_FILL_BEST          = 3,
    SHMOUT_FILL_OUTSIDE       = 4,
    SHMOUT_FILL_NATIVE        = 5,
};

enum shmout_smoothness {
    SHMOUT_SMOOTH_NEAREST = 0,
    SHMOUT_SMOOTH_LINEAR  = 1,
    SHMOUT_SMOOTH_MIPMAP  = 2,
};

/* Stable pixel-format codes. Never renumbered; new codes are only added.
 * The FFmpeg name is also stored in the geometry (pix_fmt_name). */
enum shmout_pix_fmt {
    SHMOUT_PIX_NONE = 0,       /* invalid */
    SHMOUT_PIX_OTHER = 1,      /* see pix_fmt_name and the plane table */
    SHMOUT_PIX_RGBA = 16,
    SHMOUT_PIX_BGRA = 17,
    SHMOUT_PIX_ARGB = 18,
    SHMOUT_PIX_ABGR = 19,
    SHMOUT_PIX_RGB24 = 20,
    SHMOUT_PIX_BGR24 = 21,
    SHMOUT_PIX_RGB0 = 22,
    SHMOUT_PIX_BGR0 = 23,
    SHMOUT_PIX_RGBA64LE = 32,
    SHMOUT_PIX_BGRA64LE = 33,
    SHMOUT_PIX_RGB48LE = 34,
    SHMOUT_PIX_GRAY = 48,
    SHMOUT_PIX_GRAY16LE = 49,
    SHMOUT_PIX_GRAYF32LE = 50,
    SHMOUT_PIX_YA8 = 51,
    SHMOUT_PIX_YA16LE = 52,
    SHMOUT_PIX_RG8 = 64,       /* name "rg8": not an FFmpeg format */
    SHMOUT_PIX_RG16LE = 65,    /* name "rg16le": not an FFmpeg format */
    SHMOUT_PIX_RGF16LE = 66,   /* FFmpeg "rgf16le" (recent FFmpeg only) */
    SHMOUT_PIX_RGF32LE = 67,   /* FFmpeg "rgf32le" (recent FFmpeg only) */
    SHMOUT_PIX_GBRP = 80,
    SHMOUT_PIX_GBRAP = 81,
    SHMOUT_PIX_GBRP16LE = 82,
    SHMOUT_PIX_GBRAP16LE = 83,
    SHMOUT_PIX_GBRPF32LE = 84,
    SHMOUT_PIX_GBRAPF32LE = 85,
    SHMOUT_PIX_RGBAF16LE = 96,
    SHMOUT_PIX_RGBAF32LE = 97,
    SHMOUT_PIX_RGBF32LE = 98,
    SHMOUT_PIX_X2RGB10LE = 99,
    SHMOUT_PIX_X2BGR10LE = 100,
    SHMOUT_PIX_YUV420P = 128,
    SHMOUT_PIX_YUV422P = 129,
    SHMOUT_PIX_YUV444P = 130,
    SHMOUT_PIX_YUVA420P = 131,
    SHMOUT_PIX_YUV420P10LE = 132,
    SHMOUT_PIX_YUV422P10LE = 133,
    SHMOUT_PIX_YUV444P10LE = 134,
    SHMOUT_PIX_NV12 = 135,
    SHMOUT_PIX_NV21 = 136,
    SHMOUT_PIX_P010LE = 137,
    SHMOUT_PIX_YUYV422 = 138,
    SHMOUT_PIX_UYVY422 = 139,
};

/* Colour description: ITU-T H.273 code points (equal to FFmpeg's AVCOL_*). */
struct shmout_color {
    uint8_t range;            /* 0 unspecified, 1 limited (tv), 2 full (pc) -
                                 FFmpeg AVColorRange values */
    uint8_t matrix;           /* H.273 MatrixCoefficients (AVColorSpace) */
    uint8_t primaries;        /* H.273 ColourPrimaries (AVColorPrimaries) */
    uint8_t transfer;         /* H.273 TransferCharacteristics (AVColorTransferCharacteristic) */
    uint8_t chroma_location;  /* FFmpeg AVChromaLocation, 0 = unspecified */
    uint8_t reserved[3];
};

/* Geometry of one frame. 256 bytes. Plane offsets are relative to the start
 * of the slot data area; plane p occupies plane_offset[p] ..
 * plane_offset[p] + plane_linesize[p] * plane_height[p]. */
struct shmout_geometry {
    uint32_t width;                         /*   0 */
    uint32_t height;                        /*   4 */
    uint32_t pix_fmt;                       /*   8 enum shmout_pix_fmt */
    uint32_t nb_planes;                     /*  12 1..4 */
    uint64_t frame_bytes;                   /*  16 bytes used in the data area */
    uint64_t plane_offset[SHMOUT_MAX_PLANES];   /*  24 */
    uint32_t plane_linesize[SHMOUT_MAX_PLANES]; /*  56 stride in bytes, > 0 */
    uint32_t plane_bytewidth[SHMOUT_MAX_PLANES];/*  72 bytes of pixels per row */
    uint32_t plane_height[SHMOUT_MAX_PLANES];   /*  88 rows */
    int32_t  dar_num, dar_den;              /* 104 display aspect, 0/0 unknown */
    int32_t  sar_num, sar_den;              /* 112 sample aspect, 0/0 unknown */
    struct shmout_color color;              /* 120 */
    char     pix_fmt_name[SHMOUT_PIX_FMT_NAME_LEN]; /* 128 FFmpeg name, NUL-terminated */
    uint8_t  reserved[96];                  /* 160 zero */
};

/* Per-frame metadata. 64 bytes. */
struct shmout_frame_meta {
    uint64_t frame_number;    /*  0 1, 2, 3 ... within one writer session */
    int64_t  pts;             /*  8 INT64_MIN = unknown */
    int64_t  duration;        /* 16 0 = unknown */
    int32_t  tb_num, tb_den;  /* 24 time base of pts and duration */
    uint64_t realtime_ns;     /* 32 CLOCK_REALTIME at publish */
    uint64_t monotonic_ns;    /* 40 CLOCK_MONOTONIC at publish */
    uint64_t geometry_gen;    /* 48 geometry generation of this frame */
    uint64_t reserved;        /* 56 zero */
};

/* Primary object "/<objname>", SHMOUT_PRIMARY_SIZE bytes, header at 0. */
struct shmout_header {
    uint64_t magic;            /*   0 SHMOUT_MAGIC_HEADER */
    uint16_t version_major;    /*   8 */
    uint16_t version_minor;    /*  10 */
    uint32_t header_size;      /*  12 sizeof(struct shmout_header) for this minor */
    uint32_t byte_order;       /*  16 SHMOUT_BYTE_ORDER_MARK */
    uint32_t state;            /*  20 atomic, enum shmout_state */
    uint32_t control;          /*  24 atomic, SHMOUT_CONTROL_* bits */
    uint32_t wake_word;        /*  28 atomic futex word, +1 on every event */
    uint32_t segment_gen;      /*  32 atomic, current data object generation */
    uint32_t memtype;          /*  36 enum shmout_memtype */
    uint64_t session;          /*  40 atomic, +1 on every writer open/takeover */
    int32_t  owner_pid;        /*  48 writer pid (in the writer's pid namespace) */
    uint32_t owner_uid;        /*  52 */
    uint64_t owner_starttime;  /*  56 /proc/PID/stat field 22 of the writer */
    uint64_t heartbeat_ns;     /*  64 atomic, CLOCK_MONOTONIC of last publish/heartbeat */
    uint64_t created_ns;       /*  72 CLOCK_REALTIME when this session began */
    uint32_t fill_mode;        /*  80 atomic, enum shmout_fill_mode */
    uint32_t smoothness;       /*  84 atomic, enum shmout_smoothness */
    uint32_t fps_milli;        /*  88 atomic, publish rate estimate x1000 */
    uint32_t reserved0;        /*  92 */
    char     name[64];         /*  96 block name, NUL-terminated */
    uint64_t geometry_seq;     /* 160 atomic seqlock over geometry_gen+geometry */
    uint64_t geometry_gen;     /* 168 current geometry generation (starts at 1) */
    uint8_t  reserved1[80];    /* 176 zero */
    struct shmout_geometry geometry; /* 256 current (announced) geometry */
    uint8_t  reserved2[512];   /* 512 zero, for future minor versions */
};

/* Data object "/<objname>@d<segment_gen>", header at 0. */
struct shmout_segment_header {
    uint64_t magic;            /*   0 SHMOUT_MAGIC_SEGMENT */
    uint16_t version_major;    /*   8 */
    uint16_t version_minor;    /*  10 */
    uint32_t header_size;      /*  12 sizeof(struct shmout_segment_header) */
    uint32_t segment_gen;      /*  16 equals the name suffix */
    uint32_t slot_count;       /*  20 SHMOUT_MIN_SLOTS..SHMOUT_MAX_SLOTS */
    uint64_t session;          /*  24 header.session that created this object */
    uint64_t slot_table_offset;/*  32 offset of slot descriptor 0 */
    uint64_t slot_desc_size;   /*  40 bytes per slot descriptor */
    uint64_t data_offset;      /*  48 offset of slot 0's data area */
    uint64_t data_stride;      /*  56 distance between data areas */
    uint64_t capacity;         /*  64 usable bytes per data area */
    uint64_t segment_size;     /*  72 size of this object in bytes */
    uint64_t latest_frame;     /*  80 atomic, newest complete frame number (0 = none) */
    uint8_t  reserved[168];    /*  88 zero */
};

/* Slot descriptor i at slot_table_offset + i * slot_desc_size. Frame n lives
 * in slot n % slot_count. seq: 2n-1 while frame n is being written, 2n once
 * complete, 0 never written. */
struct shmout_slot_desc {
    uint64_t seq;              /*   0 atomic seqlock sequence */
    uint64_t reserved0;        /*   8 */
    struct shmout_frame_meta meta;       /*  16 */
    uint8_t  reserved1[176];   /*  80 zero */
    struct shmout_geometry geometry;     /* 256 */
};

/* Wait object "/<objname>@w", SHMOUT_WAIT_SIZE bytes; writable by readers. */
struct shmout_wait_page {
    uint32_t waiters;          /*   0 atomic, readers currently in FUTEX_WAIT */
    uint32_t reserved[15];
};

#define SHMOUT_ASSERT_OFF(t, f, o) \
    _Static_assert(offsetof(struct t, f) == (o), #t "." #f " offset")

_Static_assert(sizeof(struct shmout_color) == 8, "shmout_color size");
_Static_assert(sizeof(struct shmout_geometry) == 256, "shmout_geometry size");
SHMOUT_ASSERT_OFF(shmout_geometry, frame_bytes, 16);
SHMOUT_ASSERT_OFF(shmout_geometry, plane_offset, 24);
SHMOUT_ASSERT_OFF(shmout_geometry, plane_linesize, 56);
SHMOUT_ASSERT_OFF(shmout_geometry, plane_bytewidth, 72);
SHMOUT_ASSERT_OFF(shmout_geometry, plane_height, 88);
SHMOUT_ASSERT_OFF(shmout_geometry, dar_num, 104);
SHMOUT_ASSERT_OFF(shmout_geometry, sar_num, 112);
SHMOUT_ASSERT_OFF(shmout_geometry, color, 120);
SHMOUT_ASSERT_OFF(shmout_geometry, pix_fmt_name, 128);
SHMOUT_ASSERT_OFF(shmout_geometry, reserved, 160);
_Static_assert(sizeof(struct shmout_frame_meta) == 64, "shmout_frame_meta size");
SHMOUT_ASSERT_OFF(shmout_frame_meta, tb_num, 24);
SHMOUT_ASSERT_OFF(shmout_frame_meta, realtime_ns, 32);
SHMOUT_ASSERT_OFF(shmout_frame_meta, geometry_gen, 48);
_Static_assert(sizeof(struct shmout_header) == 1024, "shmout_header size");
SHMOUT_ASSERT_OFF(shmout_header, state, 20);
SHMOUT_ASSERT_OFF(shmout_header, wake_word, 28);
SHMOUT_ASSERT_OFF(shmout_header, session, 40);
SHMOUT_ASSERT_OFF(shmout_header, owner_pid, 48);
SHMOUT_ASSERT_OFF(shmout_header, heartbeat_ns, 64);
SHMOUT_ASSERT_OFF(shmout_header, fill_mode, 80);
SHMOUT_ASSERT_OFF(shmout_header, name, 96);
SHMOUT_ASSERT_OFF(shmout_header, geometry_seq, 160);
SHMOUT_ASSERT_OFF(shmout_header, geometry, 256);
SHMOUT_ASSERT_OFF(shmout_header, reserved2, 512);
_Static_assert(sizeof(struct shmout_segment_header) == 256, "segment header size");
SHMOUT_ASSERT_OFF(shmout_segment_header, segment_gen, 16);
SHMOUT_ASSERT_OFF(shmout_segment_header, session, 24);
SHMOUT_ASSERT_OFF(shmout_segment_header, capacity, 64);
SHMOUT_ASSERT_OFF(shmout_segment_header, latest_frame, 80);
_Static_assert(sizeof(struct shmout_slot_desc) == 512, "slot descriptor size");
SHMOUT_ASSERT_OFF(shmout_slot_desc, meta, 16);
SHMOUT_ASSERT_OFF(shmout_slot_desc, geometry, 256);
_Static_assert(sizeof(struct shmout_wait_page) == 64, "wait page size");
_Static_assert(sizeof(struct shmout_header) <= SHMOUT_PRIMARY_SIZE, "primary too small");

#endif /* SHMOUT_PROTOCOL_H */
