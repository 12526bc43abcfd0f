/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_unit.c - unit tests of every libshmout API call and its error paths.
 * "test_unit --enospc" runs only the ENOSPC test (run_tests.sh runs it in a
 * private mount namespace with a tiny tmpfs on /dev/shm).
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>

static struct shmout_geometry rgba(uint32_t w, uint32_t h)
{
    struct shmout_geometry g;

    shmout_geometry_init(&g, SHMOUT_PIX_RGBA, w, h, 1);
    return g;
}

static mode_t shm_mode(const char *obj)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof(path), "/dev/shm%s", obj);
    return stat(path, &st) == 0 ? st.st_mode & 0777 : 0;
}

static int shm_exists(const char *obj)
{
    return shm_mode(obj) != 0;
}

/* The objects of block name: its primary, its wait object, its first data object. */
struct objects {
    char prim[128], wait[160], data[160];
};

static struct objects objects_of(const char *name, int memtype)
{
    struct objects o;

    shmout_object_name(name, memtype, o.prim, sizeof(o.prim));
    snprintf(o.wait, sizeof(o.wait), "%s@w", o.prim);
    snprintf(o.data, sizeof(o.data), "%s@d1", o.prim);
    return o;
}

/* The modes of the objects in o: prim, data, wait. */
static void check_modes(const struct objects *o, mode_t prim, mode_t data, mode_t wait)
{
    CHECK_EQ(shm_mode(o->prim), prim);
    CHECK_EQ(shm_mode(o->data), data);
    CHECK_EQ(shm_mode(o->wait), wait);
}

/* Open a local block as writer (default options: 3 slots) and a reader on it; 1 if both opened. */
static int open_pair(const char *name, const struct shmout_geometry *g, shmout_writer **w, shmout_reader **r)
{
    *w = NULL;
    *r = NULL;
    CHECK_EQ(shmout_writer_open(w, name, SHMOUT_MEMTYPE_LOCAL, g, NULL), 0);
    CHECK_EQ(shmout_reader_open(r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    return *w && *r;
}

/* The block of a test run with RUN_PAIR or RUN_WRITER: its name, the writer's geometry, the
 * writer and a reader on it (open_pair) or none, and a view for the frames the test acquires.
 * A test that closes the writer or the reader itself sets it to NULL. */
struct pair {
    const char *name;
    struct shmout_geometry g;
    shmout_writer *w;
    shmout_reader *r;
    struct shmout_frame_view v;
};

/* Open p's writer and, if reader, a reader on it; 1 if they opened. */
static int pair_open(struct pair *p, int reader)
{
    if (reader)
        return open_pair(p->name, &p->g, &p->w, &p->r);
    CHECK_EQ(shmout_writer_open(&p->w, p->name, SHMOUT_MEMTYPE_LOCAL, &p->g, NULL), 0);
    return p->w != NULL;
}

/* RUN(fn) for a test of a pair: fn(&pair) on a WxH rgba block named after the test, once its
 * writer and (RUN_PAIR) a reader or (RUN_WRITER) none opened; then what is open is closed and
 * the block removed. */
#define RUN_PAIR(fn, W, H) RUN_ON(fn, W, H, 1)
#define RUN_WRITER(fn, W, H) RUN_ON(fn, W, H, 0)
#define RUN_ON(fn, W, H, reader) do { \
        struct pair pair_ = { .name = tname(#fn), .g = rgba(W, H) }; \
        t_case_failed = 0; \
        if (pair_open(&pair_, reader)) \
            fn(&pair_); \
        shmout_reader_close(pair_.r); \
        shmout_writer_close(pair_.w); \
        shmout_remove(pair_.name, SHMOUT_MEMTYPE_LOCAL, 1); \
        t_report(#fn); \
    } while (0)

static void test_names(void)
{
    static const char *const bad[] = {
        "", "a/b", "..", "a..b", ".a", "-a", "_a", "a b", "a\x01", "caf\xc3\xa9", "a\tb",
        "a:b", "a@b", "a*b",
        "0123456789012345678901234567890123456789012345678901234567890123", /* 64 */
    };
    char err[256], buf[128], exp[128];
    size_t i;

    CHECK_EQ(shmout_name_validate("cam1", err, sizeof(err)), 0);
    CHECK_EQ(shmout_name_validate("A-b_c.d9", NULL, 0), 0);
    CHECK_EQ(shmout_name_validate(
        "012345678901234567890123456789012345678901234567890123456789012", NULL, 0), 0);
    CHECK_EQ(shmout_name_validate(NULL, err, sizeof(err)), -EINVAL);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        CHECK_EQ(shmout_name_validate(bad[i], err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "invalid block name") != NULL);
        CHECK(strstr(shmout_errmsg(), "invalid block name") != NULL);
    }
    CHECK_EQ(shmout_object_name("cam1", SHMOUT_MEMTYPE_GLOBAL, buf, sizeof(buf)), 0);
    CHECK(!strcmp(buf, "/shmout.g.cam1"));
    CHECK_EQ(shmout_object_name("cam1", SHMOUT_MEMTYPE_LOCAL, buf, sizeof(buf)), 0);
    snprintf(exp, sizeof(exp), "/shmout.u%u.cam1", (unsigned)geteuid());
    CHECK(!strcmp(buf, exp));
    CHECK_EQ(shmout_object_name("cam1", 7, buf, sizeof(buf)), -EINVAL);
    CHECK_EQ(shmout_object_name("a/b", SHMOUT_MEMTYPE_LOCAL, buf, sizeof(buf)), -EINVAL);
    CHECK_EQ(shmout_object_name("cam1", SHMOUT_MEMTYPE_LOCAL, buf, 8), -ENAMETOOLONG);
    CHECK_EQ(shmout_memtype_parse("local"), SHMOUT_MEMTYPE_LOCAL);
    CHECK_EQ(shmout_memtype_parse("global"), SHMOUT_MEMTYPE_GLOBAL);
    CHECK_EQ(shmout_memtype_parse("Global"), -EINVAL);
    CHECK(!strcmp(shmout_memtype_name(SHMOUT_MEMTYPE_GLOBAL), "global"));
    CHECK(strstr(shmout_strerror(-EBUSY), "in use") != NULL);
    CHECK(!strcmp(shmout_strerror(-EPROTO), "corrupt or incompatible shared-memory block"));
    CHECK(!strcmp(shmout_strerror(0), "success"));
    snprintf(exp, sizeof(exp), "%s", strerror(12345));     /* unknown codes: libc's text */
    CHECK(!strcmp(shmout_strerror(-12345), exp));
}

/* The names of statuses, fill modes, smoothness values and memtypes: each value's name, "unknown"
 * for values without one, and parse as the inverse of name. */
static void test_enum_names(void)
{
    static const struct { int v; const char *name; } status[] = {
        { SHMOUT_STATUS_ACTIVE, "active" }, { SHMOUT_STATUS_INACTIVE, "inactive" },
        { SHMOUT_STATUS_CLOSED, "closed" }, { SHMOUT_STATUS_STALE, "stale" },
        { SHMOUT_STATUS_STARTING, "starting" }, { SHMOUT_STATUS_CORRUPT, "corrupt" },
    }, fill[] = {
        { SHMOUT_FILL_FILL, "fill" }, { SHMOUT_FILL_FITHORIZONTAL, "fithorizontal" },
        { SHMOUT_FILL_FITVERTICAL, "fitvertical" }, { SHMOUT_FILL_BEST, "best" },
        { SHMOUT_FILL_OUTSIDE, "outside" }, { SHMOUT_FILL_NATIVE, "native" },
    }, smooth[] = {
        { SHMOUT_SMOOTH_NEAREST, "nearest" }, { SHMOUT_SMOOTH_LINEAR, "linear" },
        { SHMOUT_SMOOTH_MIPMAP, "mipmap" },
    }, memtype[] = {
        { SHMOUT_MEMTYPE_LOCAL, "local" }, { SHMOUT_MEMTYPE_GLOBAL, "global" },
    };
    static const char *const not_names[] = { "", "Fill", "best ", " linear", "unknown", "0",
                                             "activ", "nearest\n" };
    static const int bad_int[] = { -1, 6, 7, 1000, INT32_MIN, INT32_MAX };
    static const uint32_t bad_u32[] = { 6, 7, 0x80000000u, UINT32_MAX };
    size_t i;

    for (i = 0; i < sizeof(status) / sizeof(status[0]); i++)
        CHECK(!strcmp(shmout_status_name(status[i].v), status[i].name));
    for (i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
        CHECK(!strcmp(shmout_fill_mode_name((uint32_t)fill[i].v), fill[i].name));
        CHECK_EQ(shmout_fill_mode_parse(fill[i].name), fill[i].v);
        CHECK_EQ(shmout_fill_mode_parse(shmout_fill_mode_name((uint32_t)fill[i].v)), fill[i].v);
    }
    for (i = 0; i < sizeof(smooth) / sizeof(smooth[0]); i++) {
        CHECK(!strcmp(shmout_smoothness_name((uint32_t)smooth[i].v), smooth[i].name));
        CHECK_EQ(shmout_smoothness_parse(smooth[i].name), smooth[i].v);
        CHECK_EQ(shmout_smoothness_parse(shmout_smoothness_name((uint32_t)smooth[i].v)),
                 smooth[i].v);
    }
    for (i = 0; i < sizeof(memtype) / sizeof(memtype[0]); i++) {
        CHECK(!strcmp(shmout_memtype_name(memtype[i].v), memtype[i].name));
        CHECK_EQ(shmout_memtype_parse(shmout_memtype_name(memtype[i].v)), memtype[i].v);
    }
    /* out of range: a fixed "unknown", never NULL */
    for (i = 0; i < sizeof(bad_int) / sizeof(bad_int[0]); i++)
        CHECK(!strcmp(shmout_status_name(bad_int[i]), "unknown"));
    CHECK(!strcmp(shmout_memtype_name(0), "unknown"));
    CHECK(!strcmp(shmout_memtype_name(3), "unknown"));
    CHECK(!strcmp(shmout_memtype_name(-1), "unknown"));
    for (i = 0; i < sizeof(bad_u32) / sizeof(bad_u32[0]); i++)
        CHECK(!strcmp(shmout_fill_mode_name(bad_u32[i]), "unknown"));
    CHECK(!strcmp(shmout_smoothness_name(3), "unknown"));
    CHECK(!strcmp(shmout_smoothness_name(UINT32_MAX), "unknown"));
    /* parse: the exact names only; the message lists them */
    for (i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++) {
        CHECK_EQ(shmout_fill_mode_parse(not_names[i]), -EINVAL);
        CHECK_EQ(shmout_smoothness_parse(not_names[i]), -EINVAL);
        CHECK_EQ(shmout_memtype_parse(not_names[i]), -EINVAL);
    }
    CHECK_EQ(shmout_fill_mode_parse(NULL), -EINVAL);
    CHECK_EQ(shmout_smoothness_parse(NULL), -EINVAL);
    CHECK_EQ(shmout_memtype_parse(NULL), -EINVAL);
    CHECK_EQ(shmout_fill_mode_parse("Best"), -EINVAL);
    CHECK(!strcmp(shmout_errmsg(), "unknown fill mode 'Best' (use fill, fithorizontal, "
                  "fitvertical, best, outside or native)"));
    CHECK_EQ(shmout_smoothness_parse("bilinear"), -EINVAL);
    CHECK(!strcmp(shmout_errmsg(), "unknown smoothness 'bilinear' (use nearest, linear or "
                  "mipmap)"));
    CHECK_EQ(shmout_memtype_parse("shared"), -EINVAL);
    CHECK(!strcmp(shmout_errmsg(), "unknown memtype 'shared' (use local or global)"));
}

static void test_formats(void)
{
    static const uint32_t codes[] = {
        SHMOUT_PIX_RGBA, SHMOUT_PIX_BGRA, SHMOUT_PIX_ARGB, SHMOUT_PIX_ABGR, SHMOUT_PIX_RGB24,
        SHMOUT_PIX_BGR24, SHMOUT_PIX_RGBA64LE, SHMOUT_PIX_BGRA64LE, SHMOUT_PIX_GRAY,
        SHMOUT_PIX_GRAY16LE, SHMOUT_PIX_GRAYF32LE, SHMOUT_PIX_YA8, SHMOUT_PIX_YA16LE,
        SHMOUT_PIX_RG8, SHMOUT_PIX_RGF32LE, SHMOUT_PIX_GBRP, SHMOUT_PIX_GBRAPF32LE,
        SHMOUT_PIX_RGBAF16LE, SHMOUT_PIX_RGBAF32LE, SHMOUT_PIX_RGBF32LE, SHMOUT_PIX_X2RGB10LE,
        SHMOUT_PIX_X2BGR10LE, SHMOUT_PIX_YUV420P, SHMOUT_PIX_YUV422P, SHMOUT_PIX_YUV444P,
        SHMOUT_PIX_NV12, SHMOUT_PIX_YUV420P10LE, SHMOUT_PIX_P010LE, SHMOUT_PIX_YUYV422,
        SHMOUT_PIX_UYVY422,
    };
    struct shmout_geometry g, b;
    unsigned i, p;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *n = shmout_pix_fmt_name(codes[i]);
        CHECK(n != NULL);
        CHECK_EQ(shmout_pix_fmt_from_name(n), codes[i]);
        CHECK_EQ(shmout_geometry_init(&g, codes[i], 33, 17, 64), 0);
        CHECK_EQ(shmout_geometry_check(&g, 0), 0);
        for (p = 0; p < g.nb_planes; p++) {
            CHECK_EQ(g.plane_offset[p] % 64, 0);
            CHECK_EQ(g.plane_linesize[p] % 64, 0);
        }
    }
    CHECK_EQ(shmout_pix_fmt_from_name("no-such-format"), SHMOUT_PIX_OTHER);
    CHECK(shmout_pix_fmt_name(SHMOUT_PIX_OTHER) == NULL);
    CHECK(shmout_pix_fmt_name(9999) == NULL);
    /* exact plane layouts */
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_YUV420P, 5, 3, 1), 0);
    CHECK_EQ(g.nb_planes, 3);
    CHECK_EQ(g.plane_bytewidth[0], 5);
    CHECK_EQ(g.plane_height[0], 3);
    CHECK_EQ(g.plane_bytewidth[1], 3);
    CHECK_EQ(g.plane_height[1], 2);
    CHECK_EQ(g.plane_offset[1], 64);
    CHECK_EQ(g.plane_offset[2], 128);
    CHECK_EQ(g.frame_bytes, 134);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_NV12, 5, 3, 1), 0);
    CHECK_EQ(g.nb_planes, 2);
    CHECK_EQ(g.plane_bytewidth[1], 6);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_YUYV422, 5, 2, 1), 0);
    CHECK_EQ(g.plane_bytewidth[0], 12);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 1920, 1080, 1), 0);
    CHECK_EQ(g.frame_bytes, 1920 * 1080 * 4);
    CHECK(!strcmp(g.pix_fmt_name, "rgba"));
    /* init errors */
    CHECK_EQ(shmout_geometry_init(&g, 9999, 8, 8, 1), -EINVAL);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 0, 8, 1), -EINVAL);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 70000, 8, 1), -EINVAL);
    CHECK_EQ(shmout_geometry_init(&g, SHMOUT_PIX_RGBA, 8, 8, 3), -EINVAL);
    /* check errors */
    shmout_geometry_init(&g, SHMOUT_PIX_YUV420P, 64, 64, 1);
    CHECK_EQ(shmout_geometry_check(&g, g.frame_bytes - 1), -EFBIG);
    b = g; b.width = 0;                         CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.nb_planes = 0;                     CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.nb_planes = 5;                     CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.plane_offset[2] = g.frame_bytes;   CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.plane_offset[1] = UINT64_MAX - 8;  CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.plane_linesize[0] = 0;             CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.plane_bytewidth[0] = 65;           CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.plane_height[3] = 1;               CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.pix_fmt = 0;                       CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.pix_fmt = 7777;                    /* a newer minor's code: like OTHER */
    CHECK_EQ(shmout_geometry_check(&b, 0), 0);
    b = g; strcpy(b.pix_fmt_name, "rgba");      CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; memset(b.pix_fmt_name, 'x', 32);     CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    b = g; b.frame_bytes = UINT64_MAX;          CHECK_EQ(shmout_geometry_check(&b, 0), -EINVAL);
    /* OTHER: caller-described planes are accepted */
    b = g; b.pix_fmt = SHMOUT_PIX_OTHER; strcpy(b.pix_fmt_name, "yuv420p12le");
    CHECK_EQ(shmout_geometry_check(&b, 0), 0);
}

static void test_write_read(void)
{
    const char *name = tname("wr");
    struct shmout_geometry g = rgba(16, 8), out;
    struct shmout_writer_options o;
    struct shmout_frame_meta m;
    struct shmout_frame_view v, v1;
    struct shmout_reader_stats st;
    struct objects obj;
    shmout_writer *w;
    shmout_reader *r;
    uint8_t buf[16 * 8 * 4], *dst[4] = { buf };
    int dls[4] = { 64 }, i;

    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), -ENOENT);
    CHECK(r == NULL);
    shmout_writer_options_default(&o);
    CHECK_EQ(o.slots, 3);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, &o), 0);
    if (!w)
        return;
    obj = objects_of(name, SHMOUT_MEMTYPE_LOCAL);
    check_modes(&obj, 0600, 0600, 0600);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    if (!r)
        return;
    CHECK_EQ(shmout_reader_status(r), SHMOUT_STATUS_ACTIVE);
    CHECK_EQ(shmout_reader_acquire(r, &v), -EAGAIN);
    CHECK_EQ(shmout_reader_wait(r, 0), -ETIMEDOUT);
    CHECK_EQ(shmout_writer_publish(w, NULL), -EINVAL);     /* no begin_frame */
    memset(&m, 0, sizeof(m));
    m.pts = 42;
    m.duration = 2;
    m.tb_num = 1;
    m.tb_den = 25;
    {
        uint8_t *data[4];
        int ls[4];
        CHECK_EQ(shmout_writer_begin_frame(w, data, ls), 0);
        CHECK_EQ(ls[0], 64);
        CHECK(data[1] == NULL && ls[1] == 0);
        t_fill(&g, data, ls, 1);
        CHECK_EQ(shmout_writer_publish(w, &m), 0);
    }
    CHECK_EQ(m.frame_number, 1);
    CHECK_EQ(m.geometry_gen, 1);
    CHECK(m.monotonic_ns > 0 && m.realtime_ns > 0);
    CHECK_EQ(shmout_writer_frames(w), 1);
    CHECK_EQ(shmout_reader_wait(r, 1000), 0);
    CHECK_EQ(shmout_reader_acquire(r, &v1), 0);
    CHECK_EQ(v1.meta.frame_number, 1);
    CHECK_EQ(v1.meta.pts, 42);
    CHECK_EQ(v1.meta.duration, 2);
    CHECK_EQ(v1.meta.tb_den, 25);
    CHECK_EQ(v1.meta.monotonic_ns, m.monotonic_ns);
    CHECK_EQ(v1.geometry.width, 16);
    CHECK_EQ(t_verify(&v1.geometry, v1.data, v1.linesize, 1), 0);
    CHECK_EQ(shmout_reader_validate(r, &v1), 0);
    CHECK_EQ(shmout_reader_wait(r, 0), -ETIMEDOUT);        /* nothing newer */
    for (i = 0; i < 3; i++)
        CHECK_EQ(t_publish(w), 0);
    CHECK_EQ(shmout_reader_validate(r, &v1), -EAGAIN);      /* slot reused by frame 4 */
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(v.meta.frame_number, 4);
    CHECK_EQ(v.meta.pts, SHMOUT_NOPTS);
    CHECK_EQ(shmout_reader_read(r, &g, dst, dls, &out, &m), 0);
    CHECK_EQ(m.frame_number, 4);
    {
        const uint8_t *cd[4] = { buf };
        CHECK_EQ(t_verify(&out, cd, dls, 4), 0);
    }
    shmout_reader_get_stats(r, &st);
    CHECK_EQ(st.frames_seen, 2);
    CHECK_EQ(st.frames_skipped, 2);
    CHECK_EQ(st.geometry_changes, 0);
    CHECK(st.torn_retries >= 1);
    /* read with buffers for another geometry */
    {
        struct shmout_geometry other = rgba(8, 8);
        CHECK_EQ(shmout_reader_read(r, &other, dst, dls, &out, NULL), -EMSGSIZE);
        CHECK_EQ(out.width, 16);
        CHECK_EQ(shmout_reader_read(r, NULL, dst, dls, NULL, NULL), -EINVAL);
    }
    /* writer_write convenience */
    {
        const uint8_t *src[4] = { buf };
        CHECK_EQ(shmout_writer_write(w, src, dls, NULL), 0);
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(v.meta.frame_number, 5);
        CHECK_EQ(memcmp(v.data[0], buf, 64), 0);
    }
    shmout_writer_close(w);
    CHECK_EQ(shmout_reader_wait(r, 1000), -ESHUTDOWN);
    CHECK_EQ(shmout_reader_status(r), SHMOUT_STATUS_CLOSED);
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);              /* last frame stays readable */
    CHECK_EQ(v.meta.frame_number, 5);
    CHECK(!shm_exists(obj.data));                            /* data object unlinked */
    CHECK(shm_exists(obj.prim));
    shmout_reader_close(r);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK(!shm_exists(obj.prim) && !shm_exists(obj.wait));
    shmout_writer_close(NULL);
    shmout_reader_close(NULL);
}

static void test_global_modes(void)
{
    const char *name = tname("glob");
    struct shmout_geometry g = rgba(8, 8);
    struct objects o = objects_of(name, SHMOUT_MEMTYPE_GLOBAL);
    shmout_writer *w;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_GLOBAL, &g, NULL), 0);
    if (!w)
        return;
    check_modes(&o, 0644, 0644, 0666);
    shmout_writer_close(w);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_GLOBAL, 0), 0);
}

static void test_bad_open_args(void)
{
    struct shmout_geometry g = rgba(8, 8), bad = g;
    struct shmout_writer_options o;
    shmout_writer *w;
    shmout_reader *r;

    CHECK_EQ(shmout_writer_open(&w, "a/b", SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EINVAL);
    CHECK(strstr(shmout_errmsg(), "invalid block name"));
    CHECK_EQ(shmout_writer_open(&w, tname("x"), 3, &g, NULL), -EINVAL);
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, NULL, NULL), -EINVAL);
    bad.nb_planes = 0;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &bad, NULL), -EINVAL);
    CHECK(strstr(shmout_errmsg(), "geometry"));
    bad = g;
    bad.pix_fmt = 7777;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &bad, NULL), -EINVAL);
    CHECK(strstr(shmout_errmsg(), "unknown pixel format code 7777"));
    shmout_writer_options_default(&o);
    o.slots = 1;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &g, &o), -EINVAL);
    o.slots = SHMOUT_MAX_SLOTS + 1;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &g, &o), -EINVAL);
    shmout_writer_options_default(&o);
    o.fill_mode = 6;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &g, &o), -EINVAL);
    shmout_writer_options_default(&o);
    o.capacity = UINT64_MAX;
    CHECK_EQ(shmout_writer_open(&w, tname("x"), SHMOUT_MEMTYPE_LOCAL, &g, &o), -EINVAL);
    CHECK(w == NULL);
    CHECK_EQ(shmout_reader_open(&r, "", SHMOUT_MEMTYPE_LOCAL, 0), -EINVAL);
    CHECK_EQ(shmout_reader_open(&r, tname("none"), 0, 0), -EINVAL);
    CHECK_EQ(shmout_reader_open(&r, tname("none"), SHMOUT_MEMTYPE_LOCAL, 0), -ENOENT);
    CHECK(strstr(shmout_errmsg(), "start its writer"));
    {
        uint64_t t0 = t_now_ms();
        CHECK_EQ(shmout_reader_open(&r, tname("none"), SHMOUT_MEMTYPE_LOCAL, 150), -ETIMEDOUT);
        CHECK(t_now_ms() - t0 >= 150);
    }
}

/* Child process: open writer, publish n frames, report, then wait forever
 * (optionally in the middle of a begun frame). */
static pid_t spawn_writer(const char *name, int frames, int stop_in_frame)
{
    struct shmout_geometry g = rgba(16, 16);
    int pfd[2];
    pid_t pid;
    char c = 0;

    if (pipe(pfd) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        shmout_writer *w;
        uint8_t *data[4];
        int ls[4], i;
        close(pfd[0]);
        if (shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0)
            _exit(1);
        for (i = 0; i < frames; i++)
            t_publish(w);
        if (stop_in_frame) {
            shmout_writer_begin_frame(w, data, ls);
            memset(data[0], 0xee, 100);          /* half-written frame */
        }
        c = 1;
        if (write(pfd[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(pfd[1]);
    if (read(pfd[0], &c, 1) != 1)
        c = 0;
    close(pfd[0]);
    if (!c) {
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void test_busy_and_takeover(void)
{
    const char *name = tname("busy");
    struct shmout_geometry g = rgba(16, 16);
    struct shmout_block_info info;
    shmout_writer *w, *w2;
    char expect[64];
    pid_t pid = spawn_writer(name, 3, 0);

    CHECK(pid > 0);
    if (pid <= 0)
        return;
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EBUSY);
    snprintf(expect, sizeof(expect), "in use by pid %d", (int)pid);
    CHECK(strstr(shmout_errmsg(), expect) != NULL);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.status, SHMOUT_STATUS_ACTIVE);
    CHECK_EQ(info.owner_pid, pid);
    CHECK_EQ(info.frames, 3);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0), -EBUSY);
    CHECK(strstr(shmout_errmsg(), expect) != NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.status, SHMOUT_STATUS_STALE);
    CHECK_EQ(info.session, 1);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!w)
        return;
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.status, SHMOUT_STATUS_ACTIVE);
    CHECK_EQ(info.session, 2);
    CHECK_EQ(info.owner_pid, getpid());
    CHECK_EQ(info.frames, 0);
    CHECK_EQ(info.segment_gen, 2);
    /* the same process opening twice is also refused */
    CHECK_EQ(shmout_writer_open(&w2, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EBUSY);
    shmout_writer_close(w);
    /* a closed block is reused with no cleanup */
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    shmout_writer_close(w);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0), -ENOENT);
}

/* "shmout rm --force" under a live writer, then a new writer on the name:
 * closing the old writer must not remove the new writer's objects. */
static void test_force_removed_writer(void)
{
    const char *name = tname("forced");
    struct shmout_geometry g = rgba(8, 8);
    struct shmout_frame_view v;
    char obj[128], d1[160];
    shmout_writer *a, *b;
    shmout_reader *r;

    CHECK_EQ(shmout_writer_open(&a, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!a)
        return;
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1), 0);
    CHECK_EQ(shmout_writer_open(&b, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!b)
        return;
    t_publish(b);
    shmout_writer_close(a);
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(d1, sizeof(d1), "%s@d1", obj);
    CHECK(shm_exists(d1));
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    if (r) {
        CHECK_EQ(shmout_reader_status(r), SHMOUT_STATUS_ACTIVE);
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 1), 0);
        shmout_reader_close(r);
    }
    shmout_writer_close(b);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

/* Each publish wakes a reader asleep in shmout_reader_wait: a forked copy of the writer
 * publishes frame i only once the reader has taken frame i - 1 and is registered as waiting
 * again (the wait object's waiters word), and the reader comes out of each wait with exactly
 * that frame: 1..N in order, none missed, none twice, no success without a new frame. How
 * soon it wakes is a figure of make bench (publish-to-wake-up latency), not a bound here: the
 * waits only guard against a hang. */
static void test_wait_wakeup(struct pair *p)
{
    enum { N = 5 };
    struct shmout_block_info info;
    volatile int *taken = t_shared(4096);
    uint64_t t0 = t_now_ms();
    int i, status;
    pid_t pid;

    CHECK_EQ(shmout_reader_wait(p->r, 120), -ETIMEDOUT);
    CHECK(t_now_ms() - t0 >= 119);
    pid = fork();
    if (pid == 0) {
        for (i = 0; i < N; i++) {   /* the forked copy publishes through the same mapping */
            uint64_t guard = t_now_ms() + 10000;
            while ((*taken != i || t_waiters(p->name) != 1) && t_now_ms() < guard)
                t_sleep_ms(1);
            if (t_now_ms() >= guard || t_publish(p->w) < 0)
                _exit(1);
        }
        _exit(0);
    }
    for (i = 0; i < N; i++) {
        CHECK_EQ(shmout_reader_wait(p->r, 10000), 0);
        CHECK_FRAME(p->r, &p->v, i + 1);
        *taken = i + 1;
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(shmout_reader_wait(p->r, 0), -ETIMEDOUT);     /* nothing after frame N */
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.frames, N);
    CHECK_EQ(t_waiters(p->name), 0);                       /* every waiter deregistered */
}

/* Frames published just before the writer ends come before the end is reported: nothing is lost. */
static void test_last_frame_before_close(struct pair *p)
{
    t_publish(p->w);
    CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);
    CHECK_FRAME(p->r, &p->v, 1);
    t_publish(p->w);
    shmout_writer_close(p->w);          /* frame 2 and the end, before the reader looks */
    p->w = NULL;
    CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);
    CHECK_FRAME(p->r, &p->v, 2);
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), 0);
    CHECK_EQ(shmout_reader_wait(p->r, 1000), -ESHUTDOWN);
}

/* Publish n frames of the t_publish pattern. */
static void publish_n(shmout_writer *w, int n)
{
    while (n-- > 0)
        CHECK_EQ(t_publish(w), 0);
}

/* SHMOUT_READ_EVERY: frames in order while the ring holds them, lapped ones counted as skipped. */
static void test_read_every(struct pair *p)
{
    struct shmout_reader_stats st;
    int n;

    CHECK_EQ(shmout_reader_set_mode(p->r, 7), -EINVAL);
    CHECK_EQ(shmout_reader_set_mode(p->r, SHMOUT_READ_EVERY), 0);
    publish_n(p->w, 2);
    CHECK_FRAME(p->r, &p->v, 1);           /* the first frame read is the oldest in the ring */
    CHECK_FRAME(p->r, &p->v, 2);
    publish_n(p->w, 2);
    CHECK_FRAME(p->r, &p->v, 3);
    CHECK_FRAME(p->r, &p->v, 4);
    publish_n(p->w, 4);                    /* 5..8: the ring keeps 6, 7, 8 */
    CHECK_FRAME(p->r, &p->v, 6);
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), 0);
    for (n = 7; n <= 8; n++)
        CHECK_FRAME(p->r, &p->v, n);
    shmout_reader_get_stats(p->r, &st);
    CHECK_EQ(st.frames_seen, 7);            /* 1, 2, 3, 4, 6, 7, 8 */
    CHECK_EQ(st.frames_skipped, 1);        /* frame 5 */
    CHECK_EQ(shmout_reader_wait(p->r, 0), -ETIMEDOUT);
    /* a frame acquired, then overwritten before validate: skipped after all, not seen */
    publish_n(p->w, 1);                    /* 9 */
    CHECK_FRAME(p->r, &p->v, 9);
    publish_n(p->w, 3);                    /* 10, 11, 12: 12 takes 9's slot */
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), -EAGAIN);
    shmout_reader_get_stats(p->r, &st);
    CHECK_EQ(st.frames_seen, 7);
    CHECK_EQ(st.frames_skipped, 2);        /* 5, 9 */
    CHECK_FRAME(p->r, &p->v, 10);
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), 0);
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), 0);
    shmout_reader_get_stats(p->r, &st);
    CHECK_EQ(st.frames_seen + st.frames_skipped, 10);
}

/* A FIFO planted at a block's name is refused at once: no open() or read ever blocks. */
static void test_fifo_refused(void)
{
    const char *name = tname("fifo");
    struct shmout_geometry g = rgba(8, 8);
    struct shmout_block_info info;
    char obj[128], path[160];
    shmout_reader *r;
    shmout_writer *w;
    uint64_t t0 = t_now_ms();

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(path, sizeof(path), "/dev/shm%s", obj);
    CHECK_EQ(mkfifo(path, 0600), 0);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), -EPROTO);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), -EPROTO);
    CHECK(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0);
    CHECK(t_now_ms() - t0 < 1000);
    unlink(path);
}

static void test_control_and_hints(struct pair *p)
{
    struct shmout_block_info info;

    CHECK_EQ(shmout_writer_get_active(p->w), 1);
    CHECK_EQ(shmout_set_active(p->name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_writer_get_active(p->w), 0);
    CHECK_EQ(shmout_writer_get_control(p->w) & SHMOUT_CONTROL_ACTIVE, 0);
    CHECK_EQ(shmout_reader_status(p->r), SHMOUT_STATUS_INACTIVE);
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.status, SHMOUT_STATUS_INACTIVE);
    CHECK_EQ(shmout_writer_set_active(p->w, 1), 0);
    CHECK_EQ(shmout_reader_status(p->r), SHMOUT_STATUS_ACTIVE);
    CHECK_EQ(shmout_writer_set_active(p->w, 0), 0);
    CHECK_EQ(shmout_reader_status(p->r), SHMOUT_STATUS_INACTIVE);
    CHECK_EQ(shmout_writer_get_active(p->w), 0);
    CHECK_EQ(shmout_set_active(p->name, SHMOUT_MEMTYPE_LOCAL, 1), 0);
    CHECK_EQ(shmout_writer_get_active(p->w), 1);
    CHECK_EQ(shmout_set_active(tname("nope"), SHMOUT_MEMTYPE_LOCAL, 1), -ENOENT);
    CHECK_EQ(shmout_writer_set_hints(p->w, SHMOUT_FILL_BEST, SHMOUT_SMOOTH_MIPMAP), 0);
    CHECK_EQ(shmout_writer_set_hints(p->w, 6, 0), -EINVAL);
    CHECK_EQ(shmout_writer_set_hints(p->w, 0, 3), -EINVAL);
    shmout_writer_heartbeat(p->w);
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.fill_mode, SHMOUT_FILL_BEST);
    CHECK_EQ(info.smoothness, SHMOUT_SMOOTH_MIPMAP);
    CHECK(info.heartbeat_age_ns >= 0 && info.heartbeat_age_ns < 1000000000LL);
    CHECK_EQ(info.readers, 1);
    CHECK(!strcmp(info.name, p->name));
    shmout_reader_close(p->r);
    p->r = NULL;
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.readers, 0);
}

static void test_geometry_change(struct pair *p)
{
    struct shmout_geometry small = rgba(8, 8), big = rgba(128, 128), bad = p->g;
    struct shmout_reader_stats st;
    struct shmout_block_info info;
    uint64_t gen;
    char obj[128], d1[160], d2[160];

    shmout_object_name(p->name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(d1, sizeof(d1), "%s@d1", obj);
    snprintf(d2, sizeof(d2), "%s@d2", obj);
    t_publish(p->w);
    CHECK_EQ(shmout_reader_acquire(p->r, &p->v), 0);
    bad.nb_planes = 9;
    CHECK_EQ(shmout_writer_set_geometry(p->w, &bad), -EINVAL);
    CHECK_EQ(shmout_writer_set_geometry(p->w, &small), 0);     /* in place */
    shmout_writer_geometry(p->w, &gen);
    CHECK_EQ(gen, 2);
    CHECK(shm_exists(d1));
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), 0);          /* old frame untouched */
    t_publish(p->w);
    CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);
    CHECK_FRAME(p->r, &p->v, 2);
    CHECK_EQ(p->v.geometry.width, 8);
    CHECK_EQ(p->v.meta.geometry_gen, 2);
    CHECK_EQ(shmout_writer_set_geometry(p->w, &big), 0);       /* new data object */
    CHECK(!shm_exists(d1));
    CHECK(shm_exists(d2));
    CHECK_EQ(t_verify(&p->v.geometry, p->v.data, p->v.linesize, 2), 0);  /* old mapping still valid */
    CHECK_EQ(shmout_reader_wait(p->r, 50), -ETIMEDOUT);    /* moves to d2, no new frame */
    CHECK_EQ(t_verify(&p->v.geometry, p->v.data, p->v.linesize, 2), 0);  /* view valid until acquire */
    t_publish(p->w);
    CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);
    CHECK_FRAME(p->r, &p->v, 3);
    CHECK_EQ(p->v.meta.geometry_gen, 3);
    CHECK_EQ(p->v.geometry.width, 128);
    shmout_reader_get_stats(p->r, &st);
    CHECK_EQ(st.reattaches, 1);
    CHECK_EQ(st.geometry_changes, 2);      /* 32x32 -> 8x8 -> 128x128 */
    /* two moves between acquires: the second one waits for acquire, which
     * may release the mapping the current view points into */
    {
        struct shmout_geometry b2 = rgba(200, 100), b3 = rgba(300, 100);
        CHECK_EQ(shmout_writer_set_geometry(p->w, &b2), 0);
        CHECK_EQ(shmout_reader_wait(p->r, 30), -ETIMEDOUT);     /* maps d3, keeps d2 */
        CHECK_EQ(t_verify(&p->v.geometry, p->v.data, p->v.linesize, 3), 0);
        CHECK_EQ(shmout_writer_set_geometry(p->w, &b3), 0);
        CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);            /* d4 pending */
        CHECK_EQ(t_verify(&p->v.geometry, p->v.data, p->v.linesize, 3), 0);
        t_publish(p->w);
        CHECK_FRAME(p->r, &p->v, 4);
        CHECK_EQ(p->v.geometry.width, 300);
        shmout_reader_get_stats(p->r, &st);
        CHECK_EQ(st.reattaches, 3);
    }
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.geometry.width, 300);
    CHECK_EQ(info.geometry_gen, 5);
    CHECK_EQ(info.segment_gen, 4);
    CHECK_EQ(info.capacity, 300 * 100 * 4);
}

static void test_reader_follows_restart(struct pair *p)
{
    uint64_t t0;

    publish_n(p->w, 2);
    CHECK_EQ(shmout_reader_acquire(p->r, &p->v), 0);
    shmout_writer_close(p->w);
    t0 = t_now_ms();
    CHECK_EQ(shmout_reader_wait(p->r, 5000), -ESHUTDOWN);     /* at once, not at the timeout */
    CHECK(t_now_ms() - t0 < 1000);
    t0 = t_now_ms();
    CHECK_EQ(shmout_reader_wait(p->r, 50), -ESHUTDOWN);       /* level at timeout */
    CHECK(t_now_ms() - t0 >= 49);
    CHECK_EQ(shmout_writer_open(&p->w, p->name, SHMOUT_MEMTYPE_LOCAL, &p->g, NULL), 0);
    t_publish(p->w);
    CHECK_EQ(shmout_reader_wait(p->r, 1000), 0);
    CHECK_FRAME(p->r, &p->v, 1);                              /* new session */
    shmout_writer_close(p->w);
    /* removed and created again: a new inode, the reader follows too */
    CHECK_EQ(shmout_remove(p->name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    CHECK_EQ(shmout_writer_open(&p->w, p->name, SHMOUT_MEMTYPE_LOCAL, &p->g, NULL), 0);
    publish_n(p->w, 2);
    CHECK_EQ(shmout_reader_wait(p->r, 2000), -ESHUTDOWN);     /* edge seen on the old object */
    CHECK_EQ(shmout_reader_wait(p->r, 2000), 0);
    CHECK_FRAME(p->r, &p->v, 2);
    CHECK_EQ(shmout_reader_status(p->r), SHMOUT_STATUS_ACTIVE);
}

static void test_foreign_objects(void)
{
    const char *name = tname("foreign");
    struct shmout_geometry g = rgba(8, 8);
    char obj[128];
    shmout_writer *w;
    shmout_reader *r;
    int fd;

    /* an object of the wrong size squatting on the name */
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    fd = shm_open(obj, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 100), 0);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EPROTO);
    CHECK(strstr(shmout_errmsg(), "shmout rm"));
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), -EPROTO);
    /* right size, but not a shmout header */
    CHECK_EQ(ftruncate(fd, 4096), 0);
    CHECK_EQ(pwrite(fd, "garbage!", 8, 0), 8);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EPROTO);
    CHECK(strstr(shmout_errmsg(), "incompatible or corrupt"));
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), -EPROTO);
    CHECK(strstr(shmout_errmsg(), "bad magic"));
    /* owned by another user */
    if (geteuid() == 0) {
        CHECK_EQ(ftruncate(fd, 0), 0);
        CHECK_EQ(fchown(fd, 65534, 65534), 0);
        CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), -EPERM);
        CHECK(strstr(shmout_errmsg(), "uid 65534"));
        CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), -EPERM);
    }
    close(fd);
    CHECK_EQ(shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1), 0);
}

/* Another user (nobody) reads a global block: read-only access works,
 * including waiting; writing, toggling and taking it over do not. */
static void test_other_user(void)
{
    const char *name = tname("other");
    struct shmout_geometry g = rgba(8, 8);
    shmout_writer *w, *lw;
    struct shmout_block_info info;
    char lobj[128];
    int status;
    pid_t pid;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_GLOBAL, &g, NULL), 0);
    CHECK_EQ(shmout_writer_open(&lw, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, lobj, sizeof(lobj));
    if (!w || !lw)
        return;
    t_publish(w);
    pid = fork();
    if (pid == 0) {
        struct shmout_frame_view v;
        shmout_writer *w2;
        shmout_reader *r, *r2;
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(10);
        if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_GLOBAL, 0) < 0)
            _exit(11);
        if (shmout_reader_acquire(r, &v) < 0 || t_verify(&v.geometry, v.data, v.linesize, 1))
            _exit(12);
        if (shmout_reader_wait(r, 2000) != 0)            /* the parent publishes frame 2 */
            _exit(13);
        if (shmout_reader_acquire(r, &v) < 0 || v.meta.frame_number != 2)
            _exit(14);
        if (shmout_writer_open(&w2, name, SHMOUT_MEMTYPE_GLOBAL, &g, NULL) != -EACCES)
            _exit(15);
        if (shmout_set_active(name, SHMOUT_MEMTYPE_GLOBAL, 0) != -EACCES)
            _exit(16);
        if (shmout_reader_open(&r2, name, SHMOUT_MEMTYPE_LOCAL, 0) != -ENOENT)
            _exit(17);                                   /* root's local name is not ours */
        if (shmout_remove(name, SHMOUT_MEMTYPE_GLOBAL, 1) == 0)
            _exit(18);                                   /* no deleting (or replacing) it */
        if (shm_open(lobj, O_RDONLY, 0) >= 0 || errno != EACCES)
            _exit(19);                                   /* root's local block, by its object name */
        {
            /* listed: the global block, never root's local one (not even its name) */
            struct shmout_block_info *list;
            size_t n, i, global = 0, local = 0;
            if (shmout_list(&list, &n) < 0)
                _exit(20);
            for (i = 0; i < n; i++) {
                if (strcmp(list[i].name, name))
                    continue;
                if (list[i].memtype == SHMOUT_MEMTYPE_GLOBAL)
                    global++;
                else
                    local++;
            }
            free(list);
            if (global != 1 || local != 0)
                _exit(21);
        }
        shmout_reader_close(r);
        _exit(0);
    }
    t_sleep_ms(100);
    t_publish(w);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(shmout_writer_get_active(w), 1);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_GLOBAL, &info), 0);   /* still there, still ours */
    CHECK_EQ(info.status, SHMOUT_STATUS_ACTIVE);
    CHECK_EQ(info.owner_pid, getpid());
    shmout_writer_close(w);
    shmout_writer_close(lw);
    shmout_remove(name, SHMOUT_MEMTYPE_GLOBAL, 0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

static void test_list(void)
{
    const char *a = tname("lsA"), *b = tname("lsB");
    struct shmout_geometry g = rgba(8, 8);
    struct shmout_block_info *list;
    shmout_writer *wa, *wb;
    size_t n, i;
    int found = 0;

    CHECK_EQ(shmout_writer_open(&wa, a, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    CHECK_EQ(shmout_writer_open(&wb, b, SHMOUT_MEMTYPE_GLOBAL, &g, NULL), 0);
    if (!wa || !wb)
        return;
    t_publish(wa);
    CHECK_EQ(shmout_list(&list, &n), 0);
    for (i = 0; i < n; i++) {
        if (!strcmp(list[i].name, a)) {
            found++;
            CHECK_EQ(list[i].memtype, SHMOUT_MEMTYPE_LOCAL);
            CHECK_EQ(list[i].frames, 1);
            CHECK(list[i].last_frame_age_ns >= 0);
        }
        if (!strcmp(list[i].name, b)) {
            found++;
            CHECK_EQ(list[i].memtype, SHMOUT_MEMTYPE_GLOBAL);
            CHECK_EQ(list[i].frames, 0);
            CHECK_EQ(list[i].last_frame_age_ns, -1);
        }
    }
    CHECK_EQ(found, 2);
    free(list);
    shmout_writer_close(wa);
    shmout_writer_close(wb);
    shmout_remove(a, SHMOUT_MEMTYPE_LOCAL, 0);
    shmout_remove(b, SHMOUT_MEMTYPE_GLOBAL, 0);
}

/* Run with a tiny tmpfs on /dev/shm (see run_tests.sh). */
static void test_enospc(void)
{
    const char *name = tname("nospc");
    struct shmout_geometry big = rgba(1024, 1024), small = rgba(16, 16);
    shmout_writer *w;
    char obj[128], d[160];
    int i;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &big, NULL), -ENOSPC);
    CHECK(strstr(shmout_errmsg(), "/dev/shm is full") != NULL);
    CHECK(strstr(shmout_errmsg(), name) != NULL);
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(d, sizeof(d), "%s@d1", obj);
    CHECK(!shm_exists(d));                          /* nothing half-made left behind */
    CHECK(!shm_exists(obj));                        /* §9 "A failed open" */
    snprintf(d, sizeof(d), "%s@w", obj);
    CHECK(!shm_exists(d));
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &small, NULL), 0);
    if (!w)
        return;
    shmout_writer_close(w);
    /* a failed takeover leaves the block closed, not stale */
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &big, NULL), -ENOSPC);
    {
        struct shmout_block_info bi;
        CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &bi), 0);
        CHECK_EQ(bi.status, SHMOUT_STATUS_CLOSED);
    }
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &small, NULL), 0);
    if (!w)
        return;
    CHECK_EQ(t_publish(w), 0);
    CHECK_EQ(shmout_writer_set_geometry(w, &big), -ENOSPC);
    for (i = 0; i < 5; i++)                         /* still works with the old geometry */
        CHECK_EQ(t_publish(w), 0);
    CHECK_EQ(shmout_writer_frames(w), 6);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

/* ---- protocol clarifications (PROTOCOL.md §4, §7, §9, §10, §12, §14) ---- */

/* A block's object ("" = the primary, "@w", "@d1" ...) mapped read-write, as its owner may. */
static void *map_obj(const char *name, const char *suffix, size_t size)
{
    char obj[128], path[192];
    void *m;
    int fd;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(path, sizeof(path), "%s%s", obj, suffix);
    fd = shm_open(path, O_RDWR, 0);
    if (fd < 0)
        return NULL;
    m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

/* "/dev/shm/<object of name><suffix>" */
static void shm_path(char *buf, size_t len, const char *name, const char *suffix)
{
    char obj[128];

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(buf, len, "/dev/shm%s%s", obj, suffix);
}

/* Announce g as the writer does (§14), on a primary mapped read-write. */
static void announce(struct shmout_header *h, const struct shmout_geometry *g, uint64_t gen)
{
    uint64_t s = __atomic_load_n(&h->geometry_seq, __ATOMIC_SEQ_CST);

    s += s & 1;
    __atomic_store_n(&h->geometry_seq, s + 1, __ATOMIC_SEQ_CST);
    h->geometry_gen = gen;
    memcpy(&h->geometry, g, sizeof(*g));
    __atomic_store_n(&h->geometry_seq, s + 2, __ATOMIC_SEQ_CST);
}

/* §4/§16: the announced geometry is checked on its own (2^40 bound), never against the data
 * object's capacity; §14: an odd geometry_seq left by a dead writer makes it unavailable, not
 * an error, and the next writer rounds it up to even. */
static void test_announced_geometry(struct pair *p)
{
    struct shmout_geometry big = rgba(64, 64), bad, g2 = rgba(4, 2);
    struct shmout_block_info info;
    struct shmout_frame_view v;
    struct shmout_header *h;
    shmout_reader *r;
    uint64_t seq, t0;

    t_publish(p->w);
    h = map_obj(p->name, "", SHMOUT_PRIMARY_SIZE);
    CHECK(h != NULL);
    if (!h)
        return;
    /* §14 "does not fit" between announce and segment_gen: 16384 bytes announced, 256-byte
     * slots named: a valid block */
    announce(h, &big, 2);
    CHECK_EQ(shmout_reader_open(&r, p->name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    if (r) {
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(v.meta.frame_number, 1);
        CHECK_EQ(v.geometry.width, 8);
        CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 1), 0);
        shmout_reader_close(r);
    }
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.geometry.width, 64);
    CHECK_EQ(info.capacity, 8 * 8 * 4);
    /* an invalid announced geometry is refused by the reader too, not only by block_info */
    bad = big;
    bad.nb_planes = 7;
    announce(h, &bad, 3);
    CHECK_EQ(shmout_reader_open(&r, p->name, SHMOUT_MEMTYPE_LOCAL, 0), -EPROTO);
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), -EPROTO);
    bad = big;
    bad.frame_bytes = UINT64_C(1) << 41;          /* planes fit, but beyond 2^40 */
    announce(h, &bad, 3);
    CHECK_EQ(shmout_reader_open(&r, p->name, SHMOUT_MEMTYPE_LOCAL, 0), -EPROTO);
    announce(h, &big, 3);
    /* a writer that died inside the window: geometry_seq stays odd */
    seq = __atomic_load_n(&h->geometry_seq, __ATOMIC_SEQ_CST);
    __atomic_store_n(&h->geometry_seq, seq + 1, __ATOMIC_SEQ_CST);
    t0 = t_now_ms();
    CHECK_EQ(shmout_reader_open(&r, p->name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    if (r) {
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);  /* frames carry their own geometry */
        CHECK_EQ(v.meta.frame_number, 1);
        shmout_reader_close(r);
    }
    memset(&info.geometry, 0x55, sizeof(info.geometry));
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.geometry.width, 0);                /* unavailable: all zero */
    CHECK_EQ(info.geometry.nb_planes, 0);
    CHECK_EQ(info.geometry_gen, 0);
    CHECK(t_now_ms() - t0 < 1000);                   /* bounded, no spinning */
    shmout_writer_close(p->w);
    /* the next writer rounds the odd sequence up and announces from there */
    CHECK_EQ(shmout_writer_open(&p->w, p->name, SHMOUT_MEMTYPE_LOCAL, &g2, NULL), 0);
    CHECK_EQ(__atomic_load_n(&h->geometry_seq, __ATOMIC_SEQ_CST), seq + 4);
    CHECK_EQ(shmout_block_info(p->name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.geometry.width, 4);
    CHECK_EQ(info.geometry_gen, 1);
    munmap(h, SHMOUT_PRIMARY_SIZE);
}

/* §9 step 8: a data-object name that cannot be freed (here a directory) is skipped, never
 * used; after 16 generations the writer fails with -EEXIST and keeps what it has. */
static void test_data_object_name_taken(void)
{
    const char *name = tname("dtaken");
    struct shmout_geometry g = rgba(8, 8), big = rgba(64, 64), huge = rgba(128, 128);
    struct shmout_block_info info;
    struct shmout_frame_view v;
    char path[192], sfx[16];
    struct stat st;
    shmout_writer *w;
    shmout_reader *r;
    int i;

    shm_path(path, sizeof(path), name, "@d1");
    CHECK_EQ(mkdir(path, 0700), 0);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!w)
        goto out;
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.segment_gen, 2);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));   /* left alone */
    t_publish(w);
    CHECK_EQ(shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
    if (!r)
        goto out;
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 1), 0);
    shm_path(path, sizeof(path), name, "@d3");
    CHECK_EQ(mkdir(path, 0700), 0);
    CHECK_EQ(shmout_writer_set_geometry(w, &big), 0);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK_EQ(info.segment_gen, 4);
    t_publish(w);
    CHECK_EQ(shmout_reader_wait(r, 1000), 0);
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(v.meta.frame_number, 2);
    CHECK_EQ(v.geometry.width, 64);
    CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 2), 0);
    for (i = 5; i < 5 + 16; i++) {
        snprintf(sfx, sizeof(sfx), "@d%d", i);
        shm_path(path, sizeof(path), name, sfx);
        CHECK_EQ(mkdir(path, 0700), 0);
    }
    CHECK_EQ(shmout_writer_set_geometry(w, &huge), -EEXIST);
    CHECK_EQ(shmout_writer_geometry(w, NULL)->width, 64);   /* nothing changed */
    t_publish(w);
    CHECK_EQ(shmout_reader_wait(r, 1000), 0);
    CHECK_EQ(shmout_reader_acquire(r, &v), 0);
    CHECK_EQ(v.meta.frame_number, 3);
    CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, 3), 0);
    shmout_reader_close(r);
out:
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
    for (i = 1; i < 5 + 16; i++) {
        snprintf(sfx, sizeof(sfx), "@d%d", i);
        shm_path(path, sizeof(path), name, sfx);
        rmdir(path);
    }
}

/* §10 every mode: a frame found overwritten is lost, never retried; the reader goes on with
 * the next one, also before it has returned anything (last = 0). */
static void test_read_every_lost_frame(struct pair *p)
{
    uint8_t *data[4];
    int ls[4];
    uint64_t t0;

    CHECK_EQ(shmout_reader_set_mode(p->r, SHMOUT_READ_EVERY), 0);
    publish_n(p->w, 3);
    shmout_writer_begin_frame(p->w, data, ls);  /* frame 4 takes frame 1's slot, and stalls */
    t0 = t_now_ms();
    CHECK_FRAME(p->r, &p->v, 2);                /* frame 1 is gone: frame 2, not a retry */
    CHECK(t_now_ms() - t0 < 500);
    CHECK_FRAME(p->r, &p->v, 3);
    t_fill(&p->g, data, ls, 4);
    shmout_writer_publish(p->w, NULL);
    CHECK_FRAME(p->r, &p->v, 4);
    /* used in place, overwritten meanwhile: validate fails, the next acquire moves on */
    publish_n(p->w, 3);                         /* 5, 6, 7: frame 7 is in frame 4's slot */
    CHECK_EQ(shmout_reader_validate(p->r, &p->v), -EAGAIN);
    CHECK_FRAME(p->r, &p->v, 5);
}

/* A reader forked off waits 300 ms on the block; returns the waiters word of its wait object
 * as seen 150 ms into that wait. */
static uint32_t waiters_during_wait(const char *name)
{
    uint32_t n;
    pid_t pid;

    pid = fork();
    if (pid == 0) {
        shmout_reader *r;
        struct shmout_frame_view v;
        if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0) < 0)
            _exit(1);
        shmout_reader_acquire(r, &v);      /* nothing newer than this: wait sleeps */
        shmout_reader_wait(r, 300);
        shmout_reader_close(r);
        _exit(0);
    }
    t_sleep_ms(150);
    n = t_waiters(name);
    waitpid(pid, NULL, 0);
    return n;
}

/* §7: a reader uses the wait object only if it is a regular file of the primary's owner of at
 * least 4096 bytes; anything else is ignored (not an error, no SIGBUS, waits still work). */
static void test_wait_object_checked(struct pair *p)
{
    struct shmout_frame_view v;
    char wpath[192];
    shmout_reader *r;
    int kind, fd;

    shm_path(wpath, sizeof(wpath), p->name, "@w");
    t_publish(p->w);
    for (kind = 0; kind < 4; kind++) {     /* short file, directory, FIFO, symlink */
        CHECK_EQ(unlink(wpath) == 0 || rmdir(wpath) == 0, 1);
        if (kind == 0) {
            fd = open(wpath, O_RDWR | O_CREAT | O_EXCL, 0600);
            CHECK(fd >= 0 && ftruncate(fd, 100) == 0);
            close(fd);
        } else if (kind == 1) {
            CHECK_EQ(mkdir(wpath, 0700), 0);
        } else if (kind == 2) {
            CHECK_EQ(mkfifo(wpath, 0600), 0);
        } else {
            CHECK_EQ(symlink("/etc/passwd", wpath), 0);
        }
        CHECK_EQ(shmout_reader_open(&r, p->name, SHMOUT_MEMTYPE_LOCAL, 0), 0);
        if (!r)
            continue;
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(shmout_reader_wait(r, 30), -ETIMEDOUT);
        t_publish(p->w);
        CHECK_EQ(shmout_reader_wait(r, 1000), 0);
        CHECK_EQ(shmout_reader_acquire(r, &v), 0);
        CHECK_EQ(t_verify(&v.geometry, v.data, v.linesize, v.meta.frame_number), 0);
        shmout_reader_close(r);
    }
    /* a proper one of ours is used (this is what the check below observes) ... */
    CHECK_EQ(unlink(wpath), 0);
    fd = open(wpath, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && ftruncate(fd, SHMOUT_WAIT_SIZE) == 0);
    CHECK_EQ(waiters_during_wait(p->name), 1);
    /* ... one of another owner is not: its owner could truncate it under the reader */
    if (geteuid() == 0) {
        CHECK_EQ(fchown(fd, 65534, 65534), 0);
        CHECK_EQ(waiters_during_wait(p->name), 0);
    } else {
        printf("# wait object of another owner: not tested (needs root for chown)\n");
    }
    close(fd);
}

/* §4: fps_milli is frames per 1000 s, 0 until the second publish of a session. */
static void test_fps_milli(void)
{
    const char *name = tname("fps");
    struct shmout_geometry g = rgba(8, 8);
    struct shmout_block_info info;
    const struct shmout_header *h;
    shmout_writer *w;
    uint32_t fm;
    int i;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!w)
        return;
    h = map_obj(name, "", SHMOUT_PRIMARY_SIZE);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_EQ(h->fps_milli, 0);
    t_publish(w);
    CHECK_EQ(h->fps_milli, 0);                     /* one publish: no interval yet */
    for (i = 0; i < 6; i++) {
        t_sleep_ms(20);                            /* at most 50 frames/s */
        t_publish(w);
    }
    fm = __atomic_load_n(&h->fps_milli, __ATOMIC_RELAXED);
    printf("# fps_milli after 20 ms intervals: %u\n", (unsigned)fm);
    CHECK(fm >= 10000 && fm <= 50000);
    CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), 0);
    CHECK(info.fps >= 10.0 && info.fps <= 50.0);
    shmout_writer_close(w);
    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    CHECK_EQ(h->fps_milli, 0);                     /* unknown again in the new session */
    munmap((void *)(uintptr_t)h, SHMOUT_PRIMARY_SIZE);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

/* Lines of /proc/self/maps that map one of block name's objects. */
static int mapped_objects(const char *name)
{
    char line[512];
    int n = 0;
    FILE *f = fopen("/proc/self/maps", "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, name) != NULL;
    fclose(f);
    return n;
}

/* shmout_writer_retain_mapping: a pointer from begin_frame stays readable and writable while
 * its mapping is retained, after set_geometry moved to a larger data object and after close;
 * the last release unmaps it. */
static void test_retained_mapping(struct pair *p)
{
    struct shmout_geometry big = rgba(256, 256);
    struct shmout_mapping *m1, *m2;
    uint8_t *d1[4], *d2[4];
    int ls[4], base;

    base = mapped_objects(p->name);             /* primary, wait and data object */
    CHECK(base >= 3);
    CHECK_EQ(shmout_writer_begin_frame(p->w, d1, ls), 0);
    m1 = shmout_writer_retain_mapping(p->w);
    memset(d1[0], 0x5a, (size_t)ls[0] * p->g.height);
    CHECK_EQ(shmout_writer_set_geometry(p->w, &big), 0);       /* new data object */
    CHECK_EQ(d1[0][0], 0x5a);
    CHECK_EQ(d1[0][(size_t)ls[0] * p->g.height - 1], 0x5a);
    memset(d1[0], 0xa5, (size_t)ls[0] * p->g.height);          /* still writable */
    CHECK_EQ(d1[0][7], 0xa5);
    CHECK_EQ(mapped_objects(p->name), base + 1);                /* the old one is kept */
    CHECK_EQ(shmout_writer_begin_frame(p->w, d2, ls), 0);
    m2 = shmout_writer_retain_mapping(p->w);
    d2[0][0] = 1;
    shmout_writer_close(p->w);
    p->w = NULL;
    CHECK_EQ(d1[0][3], 0xa5);                                   /* both outlive the writer */
    d2[0][(size_t)ls[0] * big.height - 1] = 2;
    CHECK_EQ(d2[0][0], 1);
    CHECK_EQ(d2[0][(size_t)ls[0] * big.height - 1], 2);
    shmout_mapping_release(m1);
    CHECK_EQ(d2[0][0], 1);
    shmout_mapping_release(m2);
    shmout_mapping_release(NULL);
    CHECK_EQ(mapped_objects(p->name), 0);                       /* the last release unmaps */
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--enospc")) {
        RUN(test_enospc);
        return t_failed_total != 0;
    }
    RUN(test_names);
    RUN(test_enum_names);
    RUN(test_formats);
    RUN(test_write_read);
    RUN(test_global_modes);
    RUN(test_bad_open_args);
    RUN(test_busy_and_takeover);
    RUN(test_force_removed_writer);
    RUN_PAIR(test_wait_wakeup, 8, 8);
    RUN_PAIR(test_last_frame_before_close, 8, 8);
    RUN_PAIR(test_read_every, 8, 8);
    RUN(test_fifo_refused);
    RUN_PAIR(test_control_and_hints, 8, 8);
    RUN_PAIR(test_geometry_change, 32, 32);
    RUN_PAIR(test_reader_follows_restart, 8, 8);
    RUN(test_foreign_objects);
    if (geteuid() == 0)
        RUN(test_other_user);
    else
        SKIP(test_other_user, "needs root to switch to uid 65534");
    RUN(test_list);
    RUN_WRITER(test_announced_geometry, 8, 8);
    RUN(test_data_object_name_taken);
    RUN_PAIR(test_read_every_lost_frame, 8, 8);
    RUN_WRITER(test_wait_object_checked, 8, 8);
    RUN(test_fps_milli);
    RUN_WRITER(test_retained_mapping, 8, 8);
    return t_failed_total != 0;
}
