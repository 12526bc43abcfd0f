/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_corrupt.c - readers facing corrupt or hostile blocks: every case of
 * tests/tools/corrupt_fields.h (header, data-object, slot and geometry fields
 * mutated, objects cut or grown) gives the error the table says (-EPROTO for
 * a corrupt one, never a crash), and a block that another process scribbles
 * on while it is being read never makes a reader crash, hang or touch memory
 * outside its mappings.
 */
#include "testutil.h"
#include "../tools/corrupt_fields.h"

#include <fcntl.h>
#include <sys/stat.h>

static uint8_t *prim, *seg;
static size_t seg_size;
static char src_obj[128];

/* Snapshot the source block of corrupt_fields.h, live and valid, frame 1 published. */
static int make_source(shmout_writer **w)
{
    char dname[160];
    struct stat st;
    int fd;

    if (cf_source_open(w, tname("src")) < 0 || t_publish(*w) < 0)
        return -1;
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
static void write_clone(const char *name, const uint8_t *p, size_t psize, const uint8_t *s,
                        size_t ssize)
{
    char obj[128], dname[160];
    int fd;

    shmout_object_name(name, SHMOUT_MEMTYPE_LOCAL, obj, sizeof(obj));
    snprintf(dname, sizeof(dname), "%s@d1", obj);
    shm_unlink(obj);
    shm_unlink(dname);
    fd = shm_open(obj, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || pwrite(fd, p, psize, 0) != (ssize_t)psize)
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
    uint8_t buf[CF_W * CF_H * 4], *dst[4] = { buf };
    int dls[4] = { CF_W * 4 };
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
        shmout_geometry_init(&want, SHMOUT_PIX_RGBA, CF_W, CF_H, 1);
        ret = shmout_reader_read(r, &want, dst, dls, NULL, NULL);
        if (ret == -EMSGSIZE)
            ret = 0;
    }
    shmout_reader_close(r);
    return ret;
}

/* Every case of corrupt_fields.h: what the reader and shmout_block_info answer. */
static void test_each_field(void)
{
    const char *name = tname("cor");
    const struct shmout_segment_header *sh = (const void *)seg;
    struct shmout_block_info info;
    uint8_t *p = malloc(CF_PRIM_MAX), *s = malloc(seg_size);
    size_t i, psize, ssize;
    int ret;

    /* the source is laid out as the table says, and its unmodified clone is fine */
    CHECK_EQ(sh->data_offset, CF_DATA_OFFSET);
    CHECK_EQ(sh->data_stride, CF_CAPACITY);
    CHECK_EQ(((const struct shmout_slot_desc *)(seg + CF_DESC))->meta.frame_number, CF_FRAME);
    write_clone(name, prim, SHMOUT_PRIMARY_SIZE, seg, seg_size);
    CHECK_EQ(try_read(name), 0);
    for (i = 0; i < CF_COUNT; i++) {
        const struct corrupt_field *c = &corrupt_fields[i];
        if (!cf_first(i))
            continue;
        memcpy(p, prim, SHMOUT_PRIMARY_SIZE);
        memcpy(s, seg, seg_size);
        psize = SHMOUT_PRIMARY_SIZE;
        ssize = seg_size;
        cf_apply(c->name, p, &psize, s, &ssize);
        write_clone(name, p, psize, s, ssize);
        ret = try_read(name);
        if (ret != c->lib)
            fprintf(stderr, "case %s: got %d (%s), want %d\n", c->name, ret, shmout_errmsg(),
                    c->lib);
        CHECK_EQ(ret, c->lib);
        ret = shmout_block_info(name, SHMOUT_MEMTYPE_LOCAL, &info);
        if (ret != c->info)
            fprintf(stderr, "case %s: block_info got %d (%s), want %d\n", c->name, ret,
                    shmout_errmsg(), c->info);
        CHECK_EQ(ret, c->info);
    }
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 1);
    free(p);
    free(s);
}

/* Another process rewrites random header/descriptor fields while we read: iters reads from
 * when it has begun, and more (a hundred times as many at most) until one met a corrupt
 * block, so that the scribbler is seen to have got through on a loaded machine too. */
static void test_hostile_concurrent(void)
{
    const char *name = tname("hostile");
    char obj[128], dname[160];
    volatile int *stop = t_shared(4096), *started = stop + 1;
    int i, ret, ok = 0, proto = 0, other = 0, iters = t_env_int("SHMOUT_HOSTILE_ITERS", 20000);
    pid_t pid;

    write_clone(name, prim, SHMOUT_PRIMARY_SIZE, seg, seg_size);
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
            *started = 1;
        }
        _exit(0);
    }
    while (!*started && waitpid(pid, NULL, WNOHANG) == 0)
        t_sleep_ms(1);
    for (i = 0; i < iters || (proto == 0 && i < 100 * iters); i++) {
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
