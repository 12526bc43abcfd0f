/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_protocol.h - the shared-memory layout of protocol 1.x, uapi style.
 * Fixed-width types only, explicit padding, every size and offset checked by
 * _Static_assert. docs/PROTOCOL.md is the normative text; this header is its
 * machine-readable twin and says the same. All multi-byte values are native
 * little-endian.
 *
 * Each field's comment starts with its offset and who writes it:
 *   W  the block's writer (the process that holds the writer lock, §13)
 *   O  the block's owner through the primary object (e.g. "shmout set", §15)
 *   R  readers (only in the wait object: readers map the others read-only)
 * Plain fields are written by W only while no reader may rely on them:
 * during set-up (state INIT, §9 steps 6-9; a data object before segment_gen
 * names it) or inside the seqlock window that guards them (seq,
 * geometry_seq). Readers use only private copies they validated (§16); a
 * copy of a struct that contains atomic fields is a plain copy (§8).
 * "atomic" fields are only accessed with aligned atomic operations of their
 * exact width (§8); their comment gives the memory order of every access
 * libshmout makes: the order PROTOCOL.md §9-§15 require where they name one
 * (a stronger one is always allowed), libshmout's choice where they do not
 * (marked "libshmout"; the table in §8 lists them all). "readers copy":
 * readers use the field only from their validated copy of the header.
 */
#ifndef SHMOUT_PROTOCOL_H
#define SHMOUT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define SHMOUT_PROTO_MAJOR 1u
#define SHMOUT_PROTO_MINOR 1u

/* "SHMOUTHD" / "SHMOUTDS" as little-endian u64; a big-endian reader sees
 * them byte-swapped and refuses the block. */
#define SHMOUT_MAGIC_HEADER  UINT64_C(0x444854554f4d4853)
#define SHMOUT_MAGIC_SEGMENT UINT64_C(0x534454554f4d4853)
#define SHMOUT_BYTE_ORDER_MARK 0x01020304u

#define SHMOUT_PRIMARY_SIZE 4096u   /* size of the primary object */
#define SHMOUT_WAIT_SIZE    4096u   /* size of the wait object */
#define SHMOUT_NAME_MAX     63u     /* max block name length, without NUL (§3) */
#define SHMOUT_PIX_FMT_NAME_LEN 32u /* geometry.pix_fmt_name, NUL included */
#define SHMOUT_MAX_PLANES   4u
#define SHMOUT_MIN_SLOTS    2u      /* slot_count: SHMOUT_MIN_SLOTS..SHMOUT_MAX_SLOTS */
#define SHMOUT_MAX_SLOTS    16u

#define SHMOUT_NOPTS INT64_MIN      /* frame_meta.pts: unknown */

/* Reader registration (1.1, §21): entries in the wait object. */
#define SHMOUT_READER_SLOTS_MAX 32u       /* entries in the wait object */
#define SHMOUT_READER_SLOTS_OFFSET 2048u  /* offset of entry 0 in the wait object */
#define SHMOUT_LOSSLESS_TIMEOUT_MAX_MS 600000u   /* header.lossless_timeout_ms bound */

/* shmout_reader_slot.state (§21) */
enum shmout_reg_state {
    SHMOUT_REG_FREE     = 0,   /* no registration */
    SHMOUT_REG_EVERY    = 1,   /* reads every frame; the writer counts its losses, never waits */
    SHMOUT_REG_LOSSLESS = 2,   /* the writer waits for its acknowledgement, up to the bound */
};

enum shmout_memtype {
    SHMOUT_MEMTYPE_LOCAL  = 1,
    SHMOUT_MEMTYPE_GLOBAL = 2,
};

/* header.state */
enum shmout_state {
    SHMOUT_STATE_INIT   = 0,   /* writer is setting the block up */
    SHMOUT_STATE_OPEN   = 1,   /* a writer owns the block */
    SHMOUT_STATE_CLOSED = 2,   /* the writer closed the block on purpose */
};

/* header.control bits; the others are reserved, zero (§15) */
#define SHMOUT_CONTROL_ACTIVE 0x1u

/* header.fill_mode, a viewer hint (§15); readers treat unknown values as FILL */
enum shmout_fill_mode {
    SHMOUT_FILL_FILL          = 0,
    SHMOUT_FILL_FITHORIZONTAL = 1,
    SHMOUT_FILL_FITVERTICAL   = 2,
    SHMOUT_FILL_BEST          = 3,
    SHMOUT_FILL_OUTSIDE       = 4,
    SHMOUT_FILL_NATIVE        = 5,
};

/* header.smoothness, a viewer hint (§15); readers treat unknown values as LINEAR */
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

/* Geometry of one frame (§5), 256 bytes, plain: written by W, in the header
 * inside the geometry_seq window, in a slot inside its seq window. Plane
 * offsets are relative to the start of the slot data area; plane p occupies
 * plane_offset[p] .. plane_offset[p] + plane_linesize[p] * plane_height[p].
 * Readers take the layout from these fields only, never from the format:
 * entries of planes >= nb_planes are zero. */
struct shmout_geometry {
    uint32_t width;                         /*   0 pixels, 1..65536 */
    uint32_t height;                        /*   4 pixels, 1..65536 */
    uint32_t pix_fmt;                       /*   8 enum shmout_pix_fmt */
    uint32_t nb_planes;                     /*  12 1..4 */
    uint64_t frame_bytes;                   /*  16 bytes used in the data area */
    uint64_t plane_offset[SHMOUT_MAX_PLANES];   /*  24 from the start of the data area */
    uint32_t plane_linesize[SHMOUT_MAX_PLANES]; /*  56 stride in bytes, > 0 */
    uint32_t plane_bytewidth[SHMOUT_MAX_PLANES];/*  72 bytes of pixels per row, <= linesize */
    uint32_t plane_height[SHMOUT_MAX_PLANES];   /*  88 rows */
    int32_t  dar_num, dar_den;              /* 104 display aspect, 0/0 unknown */
    int32_t  sar_num, sar_den;              /* 112 sample aspect, 0/0 unknown */
    struct shmout_color color;              /* 120 */
    char     pix_fmt_name[SHMOUT_PIX_FMT_NAME_LEN]; /* 128 FFmpeg name, NUL-terminated */
    uint8_t  reserved[96];                  /* 160 zero */
};

/* Per-frame metadata (§6), 64 bytes, plain: written by W inside the slot's
 * seq window. */
struct shmout_frame_meta {
    uint64_t frame_number;    /*  0 1, 2, 3 ... within one writer session */
    int64_t  pts;             /*  8 in tb_num/tb_den; SHMOUT_NOPTS = unknown */
    int64_t  duration;        /* 16 0 = unknown */
    int32_t  tb_num, tb_den;  /* 24 time base of pts and duration */
    uint64_t realtime_ns;     /* 32 CLOCK_REALTIME at publish */
    uint64_t monotonic_ns;    /* 40 CLOCK_MONOTONIC at publish */
    uint64_t geometry_gen;    /* 48 geometry generation of this frame */
    uint64_t reserved;        /* 56 zero */
};

/* Primary object "/<base>" (§3, §4), SHMOUT_PRIMARY_SIZE bytes, header at 0,
 * the rest zero. */
struct shmout_header {
    /*   0 W, atomic. SHMOUT_MAGIC_HEADER; 0 = not set up yet. W stores it
     *     release, after every other field of the set-up and before
     *     state = OPEN (§9 step 9); readers copy. */
    uint64_t magic;
    uint16_t version_major;    /*   8 W. SHMOUT_PROTO_MAJOR; readers refuse another */
    uint16_t version_minor;    /*  10 W. readers accept any */
    uint32_t header_size;      /*  12 W. sizeof(struct shmout_header) for this minor */
    uint32_t byte_order;       /*  16 W. SHMOUT_BYTE_ORDER_MARK */
    /*  20 W, atomic, enum shmout_state. W stores INIT on open (§9 step 6),
     *     OPEN last of the set-up (step 9), CLOSED on close and after a failed
     *     takeover, each release; readers load it for the status (§13;
     *     libshmout: acquire). */
    uint32_t state;
    /*  24 W, O, atomic, SHMOUT_CONTROL_* bits. W stores it at set-up; W and O
     *     flip ACTIVE with fetch_or / fetch_and, then bump wake_word (§15);
     *     readers load it (libshmout: relaxed throughout). */
    uint32_t control;
    /*  28 W, O, atomic futex word (§12). W and O add 1 (fetch_add, seq_cst)
     *     after every publish, geometry change, active toggle, open and close,
     *     then FUTEX_WAKE (W: if waiters != 0, and always on open and close);
     *     readers load it seq_cst (after waiters += 1 if they use the wait
     *     object) and FUTEX_WAIT on the value loaded. Any value is valid. */
    uint32_t wake_word;
    /*  32 W, atomic. Generation of the current data object. W stores it
     *     release once that object is complete (§9 step 9, §14); readers load
     *     acquire before opening "/<base>@d<segment_gen>" (§10). */
    uint32_t segment_gen;
    uint32_t memtype;          /*  36 W. enum shmout_memtype */
    /*  40 W, atomic. +1 on every writer open or takeover; W stores it at
     *     set-up (libshmout: relaxed); readers copy (frame numbers restart per
     *     session: readers follow the session of the data object, §10). */
    uint64_t session;
    int32_t  owner_pid;        /*  48 W. writer pid (in the writer's pid namespace) */
    uint32_t owner_uid;        /*  52 W. writer's effective uid */
    uint64_t owner_starttime;  /*  56 W. /proc/PID/stat field 22 of the writer, 0 unknown */
    /*  64 W, atomic. CLOCK_MONOTONIC ns of the last publish or heartbeat; W
     *     stores it relaxed; readers copy (liveness for tools, §13, §19). */
    uint64_t heartbeat_ns;
    uint64_t created_ns;       /*  72 W. CLOCK_REALTIME ns when this session began */
    /*  80, 84 W, atomic. Viewer hints (enum shmout_fill_mode, enum
     *     shmout_smoothness); W stores them at set-up and on a change
     *     (libshmout: relaxed); readers copy (§15). */
    uint32_t fill_mode;
    uint32_t smoothness;
    /*  88 W, atomic. Measured publish rate x 1000, 0 = unknown, advisory (§4);
     *     W stores it relaxed after a publish; readers copy. */
    uint32_t fps_milli;
    uint32_t reserved0;        /*  92 zero */
    char     name[64];         /*  96 W. block name, NUL-terminated, rest zero */
    /* 160 W, atomic seqlock over geometry_gen and geometry (§14), even =
     *     stable. W loads it (libshmout: relaxed) and rounds it up to even,
     *     s += s & 1 (a dead writer may have left it odd), stores s+1 relaxed
     *     + release fence before writing them, s+2 release after; readers
     *     load acquire (odd: retry), copy, acquire fence, reload relaxed,
     *     equal = consistent; a read that does not settle in a bounded number
     *     of tries means the announced geometry is unavailable, not corrupt. */
    uint64_t geometry_seq;
    uint64_t geometry_gen;     /* 168 W. geometry generation, 1 at each session start */
    /* 176 W (1.1). Registration entries of the wait object this writer honours (§21),
     *     0..SHMOUT_READER_SLOTS_MAX; 0: registrations are ignored (every 1.0 writer, whose
     *     reserved bytes are zero). Set up before magic; readers copy and use at most
     *     SHMOUT_READER_SLOTS_MAX. */
    uint32_t reader_slots;
    /* 180 W (1.1). The longest a writer waits for a lossless reader before it evicts it
     *     (§21), in ms; 0 when reader_slots is 0. Set up before magic; readers copy. */
    uint32_t lossless_timeout_ms;
    uint8_t  reserved1[72];    /* 184 zero */
    /* 256 W. Current (announced) geometry: informational, never used to
     *     address a data object (§4). */
    struct shmout_geometry geometry;
    uint8_t  reserved2[512];   /* 512 zero, for future minor versions */
};

/* Data object "/<base>@d<segment_gen>" (§6), header at 0. Every field but
 * latest_frame is written by W before it announces the object and never
 * changes after; readers use the values of their validated copy, never the
 * libshmout formulas (§6). */
struct shmout_segment_header {
    /*   0 W. SHMOUT_MAGIC_SEGMENT. W stores it last of the object's set-up,
     *     release (§9 step 8); readers copy. */
    uint64_t magic;
    uint16_t version_major;    /*   8 W */
    uint16_t version_minor;    /*  10 W */
    uint32_t header_size;      /*  12 W. sizeof(struct shmout_segment_header) */
    uint32_t segment_gen;      /*  16 W. equals the name suffix */
    uint32_t slot_count;       /*  20 W. SHMOUT_MIN_SLOTS..SHMOUT_MAX_SLOTS */
    uint64_t session;          /*  24 W. header.session that created this object */
    uint64_t slot_table_offset;/*  32 W. offset of slot descriptor 0 */
    uint64_t slot_desc_size;   /*  40 W. bytes per slot descriptor */
    uint64_t data_offset;      /*  48 W. offset of slot 0's data area */
    uint64_t data_stride;      /*  56 W. distance between data areas */
    uint64_t capacity;         /*  64 W. usable bytes per data area */
    uint64_t segment_size;     /*  72 W. size of this object in bytes */
    /*  80 W, atomic. Newest complete frame number, 0 = none. W stores n
     *     release after the slot's seq = 2n (§9), and 0 into a new object of a
     *     geometry change before segment_gen names it (§14; libshmout:
     *     relaxed); readers load acquire (§10). */
    uint64_t latest_frame;
    uint8_t  reserved[168];    /*  88 zero */
};

/* Slot descriptor i at slot_table_offset + i * slot_desc_size; slot i's data
 * area at data_offset + i * data_stride. Frame n lives in slot
 * n % slot_count. */
struct shmout_slot_desc {
    /*   0 W, atomic seqlock of the slot (§9, §10, §11): 0 never written,
     *     2n-1 while frame n is being written, 2n once it is complete. W
     *     stores 2n-1 relaxed + release fence before writing the slot's
     *     pixels and descriptor, 2n release after; readers load acquire (must
     *     be 2n), copy, acquire fence, reload relaxed (must be unchanged), and
     *     after using pixels in place: acquire fence, load relaxed. */
    uint64_t seq;
    uint64_t reserved0;        /*   8 zero */
    struct shmout_frame_meta meta;       /*  16 W, inside the seq window */
    uint8_t  reserved1[176];   /*  80 zero */
    struct shmout_geometry geometry;     /* 256 W, inside the seq window */
};

/* Registration entry i of the wait object (1.1, §21), 64 bytes at
 * SHMOUT_READER_SLOTS_OFFSET + 64 * i. A reader owns entry i while it holds an OFD write lock
 * on that entry's first byte of the wait object; untrusted like the rest of the wait object:
 * a wrong value costs the writer at most its lossless_timeout_ms per frame. */
struct shmout_reader_slot {
    /*  0 R, W, atomic, enum shmout_reg_state. R stores EVERY or LOSSLESS release, last
     *    of a registration, FREE release when it leaves; W (or a new reader after the
     *    entry's lock was found free) compare-exchanges LOSSLESS -> EVERY on eviction and
     *    a dead reader's state -> FREE; W loads it acquire. */
    uint32_t state;
    int32_t  pid;          /*  4 R. the reader's pid, informational */
    /*  8 R, atomic. The session ack refers to. R stores it release after ack when it
     *    registers or follows a new session; W loads it acquire after state. */
    uint64_t session;
    /* 16 R, atomic. Number of the newest frame of session that the reader is done with
     *    (0: none); every frame up to it may be overwritten. R stores it release; W loads
     *    it acquire after session. */
    uint64_t ack;
    /* 24 W, R, atomic. 0, or the number of the frame the writer overwrote when it stopped
     *    waiting for this lossless registration (eviction). W stores it release before
     *    its state exchange; R loads it acquire and stores 0 when it registers again. */
    uint64_t evicted;
    /* 32 R, atomic. Changes with every registration (libshmout: pid << 32 | a counter),
     *    so a writer tells registrations of one entry apart. R stores it relaxed before
     *    state; W loads it relaxed after state. */
    uint64_t reg_id;
    uint8_t  reserved[24]; /* 40 zero */
};

/* Wait object "/<base>@w" (§7), SHMOUT_WAIT_SIZE bytes, created by W, the
 * only object readers map writable. Untrusted: a wrong value only costs
 * wake-ups. */
struct shmout_wait_page {
    /*   0 R, atomic. Readers inside (or about to enter) FUTEX_WAIT on
     *     wake_word: readers fetch_add 1 seq_cst before loading wake_word,
     *     fetch_sub 1 seq_cst after the wait; W loads it seq_cst after its
     *     wake_word increment and calls FUTEX_WAKE only if it is not 0 (§12). */
    uint32_t waiters;
    /*   4 R, atomic (1.1, §21). Futex word the writer sleeps on while it waits for lossless
     *     readers: a lossless reader adds 1 (fetch_add, seq_cst) after every acknowledgement
     *     and registration, then FUTEX_WAKE if writer_waiting != 0. Any value is valid. */
    uint32_t ack_word;
    /*   8 W, atomic (1.1, §21). 1 while the writer is in (or about to enter) FUTEX_WAIT on
     *     ack_word: W stores 1 seq_cst before loading ack_word, 0 after the wait; lossless
     *     readers load it seq_cst after their ack_word increment. Only a hint. */
    uint32_t writer_waiting;
    uint8_t  reserved[SHMOUT_READER_SLOTS_OFFSET - 12];  /*  12 zero */
    struct shmout_reader_slot readers[SHMOUT_READER_SLOTS_MAX];  /* 2048 (§21) */
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
SHMOUT_ASSERT_OFF(shmout_header, reader_slots, 176);
SHMOUT_ASSERT_OFF(shmout_header, lossless_timeout_ms, 180);
SHMOUT_ASSERT_OFF(shmout_header, reserved1, 184);
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
_Static_assert(sizeof(struct shmout_reader_slot) == 64, "reader slot size");
SHMOUT_ASSERT_OFF(shmout_reader_slot, session, 8);
SHMOUT_ASSERT_OFF(shmout_reader_slot, ack, 16);
SHMOUT_ASSERT_OFF(shmout_reader_slot, evicted, 24);
SHMOUT_ASSERT_OFF(shmout_reader_slot, reg_id, 32);
SHMOUT_ASSERT_OFF(shmout_wait_page, ack_word, 4);
SHMOUT_ASSERT_OFF(shmout_wait_page, writer_waiting, 8);
SHMOUT_ASSERT_OFF(shmout_wait_page, readers, SHMOUT_READER_SLOTS_OFFSET);
_Static_assert(sizeof(struct shmout_wait_page) == SHMOUT_WAIT_SIZE, "wait page size");
_Static_assert(sizeof(struct shmout_header) <= SHMOUT_PRIMARY_SIZE, "primary too small");

#endif /* SHMOUT_PROTOCOL_H */
