/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_corrupt.c - readers facing corrupt or hostile blocks: every header,
 * data-object and slot field mutated gives -EPROTO (never a crash), and a
 * block that another process scribbles on while it is being read never
 * makes a reader crash, hang or touch memory outside its mappings.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>

#define SLOT_BASE (256 + 512)          /* frame 1 lives in slot 1 */
#define GEO (SLOT_BASE + 256)

static uint8_t *prim, *seg;
static size_t seg_size;
static char src_obj[128];

/* Snapshot a live, valid block with one published frame. */
static int make_source(shmout_writer **w)
{
    struct shmout_geometry g;
    char dname[160];
    struct stat st;
    int fd;

    shmout_geometry_init(&g, SHMOUT_PIX_YUV420P, 32, 16, 1);
    if (shmout_writer_open(w, tname("src"), SHMOUT_MEMTYPE_LOCAL, &g, NULL) < 0)
        return -1;
    t_publish(*w);
    shmout_object_name(tname("src"), SHMOUT_MEMTYPE_LOCAL, src_obj, sizeof(src_obj));
    prim = malloc(SHMOUT_PRIMARY_SIZE);
    fd = shm_open(src_obj, O_RDONLY, 0);
    if (fd < 0 || pread(fd, prim, SHMOUT_PRIMARY_SIZE, 0) != SHMOUT_PRIMARY_SIZE)
        return -1;
    close(fd);
    snprintf(dname, sizeof(dname), "%s@d1", src_obj);
    fd = shm_open(dname, O_RDONLY, 0);
    if (fd < 0 || fstat(fd, &st) < 0)
        return -1;
    seg_size = (size_t)st.st_size;
    seg = malloc(seg_size);
    if (pread(fd, seg, seg_size, 0) != (ssize_t)seg_size)
        return -1;
    close(fd);
    return 0;
}

/* Write a clone named `name` from the given bytes. */
static void write_clone(const char *name, const uint8_t *p, const uint8_t *s, size_t ssize)
{
    char obj[128], dname[160];
    int fd;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    shm_unlink(obj);
    shm_unlink(dname);
    fd = shm_open(obj, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || pwrite(fd, p, SHMOUT_PRIMARY_SIZE, 0) != SHMOUT_PRIMARY_SIZE)
        abort();
    close(fd);
    fd = shm_open(dname, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)ssize) < 0 ||
        pwrite(fd, s, ssize, 0) != (ssize_t)ssize)
        abort();
    close(fd);
}

/* Open + acquire + read the clone; returns the first error (or 0). */
static int try_read(const char *name)
{
    struct shmout_frame_view v;
    struct shmout_geometry want;
    uint8_t buf[32 * 16 * 2], *dst[4];
    int dls[4] = { 32, 16, 16, 0 };
    shmout_reader *r;
    unsigned p;
    int ret;

    ret = shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 0);
    if (ret < 0)
        return ret;
    ret = shmout_reader_acquire(r, &v);
    if (ret == 0) {
        volatile uint8_t sink = 0;
        for (p = 0; p < v.geometry.nb_planes; p++) {
            size_t last = (size_t)v.linesize[p] * (v.geometry.plane_height[p] - 1) +
                          v.geometry.plane_bytewidth[p] - 1;
            sink ^= v.data[p][0];
            sink ^= v.data[p][last];
        }
        (void)sink;
        shmout_geometry_init(&want, SHMOUT_PIX_YUV420P, 32, 16, 1);
        dst[0] = buf;
        dst[1] = buf + 512;
        dst[2] = buf + 512 + 128;
        dst[3] = NULL;
        ret = shmout_reader_read(r, &want, dst, dls, NULL, NULL);
        if (ret == -EMSGSIZE)
            ret = 0;
    }
    shmout_reader_close(r);
    return ret;
}

struct mutation {
    const char *what;
    int in_seg;
    size_t off, size;
    uint64_t value;
};

static const struct mutation muts[] = {
    { "header.magic", 0, 0, 8, 0x1234 },
    { "header.magic byte-swapped", 0, 0, 8, 0x53484d4f55544844ULL },
    { "header.version_major", 0, 8, 2, 2 },
    { "header.header_size small", 0, 12, 4, 16 },
    { "header.header_size huge", 0, 12, 4, 8192 },
    { "header.byte_order", 0, 16, 4, 0x04030201 },
    { "header.state", 0, 20, 4, 9 },
    { "header.memtype", 0, 36, 4, 0 },
    { "header.name with ESC", 0, 96, 1, 0x1b },
    { "header.name with a slash", 0, 97, 1, '/' },
    { "segment.magic", 1, 0, 8, 0 },
    { "segment.version_major", 1, 8, 2, 9 },
    { "segment.header_size small", 1, 12, 4, 8 },
    { "segment.header_size huge", 1, 12, 4, 0xffffffffu },
    { "segment.segment_gen", 1, 16, 4, 5 },
    { "segment.slot_count 0", 1, 20, 4, 0 },
    { "segment.slot_count 1", 1, 20, 4, 1 },
    { "segment.slot_count 17", 1, 20, 4, 17 },
    { "segment.slot_count huge", 1, 20, 4, 0xffffffffu },
    { "segment.slot_table_offset 0", 1, 32, 8, 0 },
    { "segment.slot_table_offset misaligned", 1, 32, 8, 257 },
    { "segment.slot_table_offset huge", 1, 32, 8, 1ULL << 62 },
    { "segment.slot_desc_size 0", 1, 40, 8, 0 },
    { "segment.slot_desc_size 100", 1, 40, 8, 100 },
    { "segment.slot_desc_size huge", 1, 40, 8, 1ULL << 40 },
    { "segment.data_offset 0", 1, 48, 8, 0 },
    { "segment.data_offset huge", 1, 48, 8, 1ULL << 63 },
    { "segment.data_stride small", 1, 56, 8, 1 },
    { "segment.data_stride huge", 1, 56, 8, 1ULL << 50 },
    { "segment.capacity 0", 1, 64, 8, 0 },
    { "segment.capacity huge", 1, 64, 8, 1ULL << 62 },
    { "segment.segment_size huge", 1, 72, 8, 1ULL << 40 },
    { "slot.meta.frame_number", 1, SLOT_BASE + 16, 8, 5 },
    { "slot.geometry.width", 1, GEO + 0, 4, 0 },
    { "slot.geometry.pix_fmt 0", 1, GEO + 8, 4, 0 },
    { "slot.geometry.pix_fmt differs from its name", 1, GEO + 8, 4, SHMOUT_PIX_RGBA },
    { "slot.geometry.nb_planes 0", 1, GEO + 12, 4, 0 },
    { "slot.geometry.nb_planes 7", 1, GEO + 12, 4, 7 },
    { "slot.geometry.frame_bytes > capacity", 1, GEO + 16, 8, 1ULL << 30 },
    { "slot.geometry.frame_bytes huge", 1, GEO + 16, 8, UINT64_MAX },
    { "slot.geometry.plane_offset", 1, GEO + 24, 8, 1ULL << 62 },
    { "slot.geometry.plane_offset[2] past end", 1, GEO + 40, 8, 700 },
    { "slot.geometry.plane_linesize 0", 1, GEO + 56, 4, 0 },
    { "slot.geometry.plane_linesize huge", 1, GEO + 56, 4, 0xffffffffu },
    { "slot.geometry.plane_bytewidth > linesize", 1, GEO + 72, 4, 100000 },
    { "slot.geometry.plane_height huge", 1, GEO + 88, 4, 0xffffffffu },
    { "slot.geometry.unused plane 3", 1, GEO + 100, 4, 1 },
};

static void test_each_field(void)
{
    const char *name = tname("cor");
    uint8_t *p = malloc(SHMOUT_PRIMARY_SIZE), *s = malloc(seg_size);
    size_t i;
    int ret;

    write_clone(name, prim, seg, seg_size);
    CHECK_EQ(try_read(name), 0);           /* the unmodified clone is fine */
    for (i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
        memcpy(s, seg, seg_size);
        memcpy((muts[i].in_seg ? s : p) + muts[i].off, &muts[i].value, muts[i].size);
        write_clone(name, p, s, seg_size);
        ret = try_read(name);
        if (ret != -EPROTO)
            fprintf(stderr, "mutation %s: got %d (%s), want -EPROTO\n", muts[i].what, ret,
                    shmout_errmsg());
        CHECK_EQ(ret, -EPROTO);
    }
    /* a pix_fmt_name with an escape sequence, under a code that allows any name (OTHER) */
    memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
    memcpy(s, seg, seg_size);
    s[GEO + 8] = SHMOUT_PIX_OTHER;
    memcpy(s + GEO + 128, "\x1b[2J", 5);
    write_clone(name, p, s, seg_size);
    CHECK_EQ(try_read(name), -EPROTO);
    memcpy(s + GEO + 128, "rgba", 5);             /* the same with a clean name is fine */
    write_clone(name, p, s, seg_size);
    CHECK_EQ(try_read(name), 0);
    /* strings without NUL */
    memcpy(s, seg, seg_size);
    memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
    memset(p + 96, 'A', 64);
    write_clone(name, p, s, seg_size);
    CHECK_EQ(try_read(name), -EPROTO);
    memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
    memset(s + GEO + 128, 'x', 32);
    write_clone(name, p, s, seg_size);
    CHECK_EQ(try_read(name), -EPROTO);
    /* truncated data objects */
    write_clone(name, prim, seg, 200);
    CHECK_EQ(try_read(name), -EPROTO);
    write_clone(name, prim, seg, 8192 + 100);
    CHECK_EQ(try_read(name), -EPROTO);
    /* announced geometry corrupt: block_info refuses it */
    {
        struct shmout_block_info info;
        memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
        memset(p + 256 + 12, 0x7f, 4);     /* nb_planes */
        write_clone(name, p, seg, seg_size);
        CHECK_EQ(shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info), -EPROTO);
    }
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    free(p);
    free(s);
}

/* Another process rewrites random header/descriptor fields while we read. */
static void test_hostile_concurrent(void)
{
    const char *name = tname("hostile");
    char obj[128], dname[160];
    volatile int *stop = t_shared(4096);
    int i, ret, ok = 0, proto = 0, other = 0, iters = t_env_int("SHMOUT_HOSTILE_ITERS", 20000);
    pid_t pid;

    write_clone(name, prim, seg, seg_size);
    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    pid = fork();
    if (pid == 0) {
        int pf = shm_open(obj, O_RDWR, 0), sf = shm_open(dname, O_RDWR, 0);
        uint8_t *pm = mmap(NULL, SHMOUT_PRIMARY_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, pf, 0);
        uint8_t *sm = mmap(NULL, seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, sf, 0);
        uint64_t rnd = 12345, v;
        if (pm == MAP_FAILED || sm == MAP_FAILED)
            _exit(1);
        while (!*stop) {
            size_t off;
            rnd = t_mix(rnd);
            if (rnd % 4 == 0) {            /* back to valid so reads get further */
                memcpy(pm, prim, 1024);
                memcpy(sm, seg, 2048);
                continue;
            }
            v = t_mix(rnd) >> (rnd % 64);
            off = (rnd >> 8) % 2048 & ~(size_t)3;
            if (rnd & 0x10)
                memcpy(sm + off, &v, 4);
            else
                memcpy(pm + off % 1024, &v, 4);
        }
        _exit(0);
    }
    for (i = 0; i < iters; i++) {
        ret = try_read(name);
        if (ret == 0)
            ok++;
        else if (ret == -EPROTO)
            proto++;
        else if (ret == -EAGAIN || ret == -ENOENT)
            other++;
        else
            CHECK_EQ(ret, 0);
    }
    *stop = 1;
    waitpid(pid, NULL, 0);
    printf("# hostile block: %d reads ok, %d -EPROTO, %d -EAGAIN/-ENOENT\n", ok, proto, other);
    CHECK(proto > 0);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
}

int main(void)
{
    shmout_writer *w = NULL;

    if (make_source(&w) < 0) {
        printf("not ok - make_source (%s)\n", shmout_errmsg());
        return 1;
    }
    RUN(test_each_field);
    RUN(test_hostile_concurrent);
    shmout_writer_close(w);
    shmout_remove(tname("src"), SHMOUT_MEMTYPE_LOCAL, 0);
    free(prim);
    free(seg);
    return t_failed_total != 0;
}
