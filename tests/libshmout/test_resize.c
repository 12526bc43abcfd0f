/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * test_resize.c - geometry changes with readers attached: shrink in place,
 * grow beyond the reserved capacity (new data object), change format.
 * Every frame a reader accepts must match the geometry it was published
 * with (by its geometry generation) and carry that geometry's pattern.
 */
#include "testutil.h"

struct step {
    uint32_t fmt, w, h;
};

static const struct step steps[] = {
    { SHMOUT_PIX_RGBA, 64, 64 },
    { SHMOUT_PIX_RGBA, 32, 32 },          /* shrink: in place */
    { SHMOUT_PIX_RGBA, 128, 96 },         /* grow: new data object */
    { SHMOUT_PIX_YUV420P, 640, 480 },     /* grow + format */
    { SHMOUT_PIX_NV12, 16, 16 },          /* shrink */
    { SHMOUT_PIX_BGRA, 320, 200 },        /* fits the capacity: in place */
    { SHMOUT_PIX_GRAYF32LE, 1000, 700 },  /* grow */
    { SHMOUT_PIX_RGB24, 7, 5 },           /* odd sizes */
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))
#define NREADERS 3
#define PER_STEP 100

struct result {
    uint64_t accepted, bad, mask, reattaches;
    int ready;
};

struct shared {
    volatile int done, go;
    struct result r[NREADERS];
};

static struct shmout_geometry step_geom(unsigned i)
{
    struct shmout_geometry g;

    shmout_geometry_init(&g, steps[i].fmt, steps[i].w, steps[i].h, 1);
    return g;
}

static int matches(const struct shmout_geometry *g, uint64_t gen)
{
    struct shmout_geometry e;

    if (gen < 1 || gen > NSTEPS)
        return 0;
    e = step_geom((unsigned)gen - 1);
    return g->width == e.width && g->height == e.height && g->pix_fmt == e.pix_fmt &&
           g->frame_bytes == e.frame_bytes && !strcmp(g->pix_fmt_name, e.pix_fmt_name);
}

static void reader_proc(const char *name, int kind, struct result *res, struct shared *sh)
{
    struct shmout_geometry want = step_geom(0), out;
    struct shmout_frame_view v;
    struct shmout_frame_meta m;
    struct shmout_reader_stats st;
    uint8_t *buf = malloc(want.frame_bytes), *dst[4];
    int dls[4], ret, ok;
    shmout_reader *r;
    unsigned p;

    if (shmout_reader_open(&r, name, SHMOUT_MEMTYPE_LOCAL, 5000) < 0)
        _exit(1);
    res->ready = 1;
    while (!sh->done) {
        if (shmout_reader_wait(r, 100) != 0)
            continue;
        if (kind == 0) {
            if (shmout_reader_acquire(r, &v) < 0)
                continue;
            ok = matches(&v.geometry, v.meta.geometry_gen) &&
                 t_verify(&v.geometry, v.data, v.linesize, v.meta.frame_number) == 0;
            if (shmout_reader_validate(r, &v) < 0)
                continue;
            m = v.meta;
        } else {
            for (p = 0; p < 4; p++) {
                dst[p] = p < want.nb_planes ? buf + want.plane_offset[p] : NULL;
                dls[p] = (int)want.plane_linesize[p];
            }
            ret = shmout_reader_read(r, &want, dst, dls, &out, &m);
            if (ret == -EMSGSIZE) {           /* new geometry: reallocate */
                want = out;
                free(buf);
                buf = malloc(want.frame_bytes);
                continue;
            }
            if (ret < 0)
                continue;
            {
                const uint8_t *cd[4] = { dst[0], dst[1], dst[2], dst[3] };
                ok = matches(&out, m.geometry_gen) &&
                     t_verify(&out, cd, dls, m.frame_number) == 0;
            }
            if (kind == 2)
                t_sleep_ms(3);
        }
        res->accepted++;
        __atomic_fetch_or(&res->mask, 1ull << (m.geometry_gen & 63), __ATOMIC_RELEASE);
        if (!ok)
            res->bad++;
    }
    shmout_reader_get_stats(r, &st);
    res->reattaches = st.reattaches;
    shmout_reader_close(r);
    free(buf);
    _exit(0);
}

static void test_resize(void)
{
    const char *name = tname("resize");
    struct shared *sh = t_shared(sizeof(struct shared));
    struct shmout_geometry g = step_geom(0);
    uint64_t all = 0, bit, deadline;
    shmout_writer *w;
    pid_t pids[NREADERS];
    unsigned i, j;
    int ready, status;

    CHECK_EQ(shmout_writer_open(&w, name, SHMOUT_MEMTYPE_LOCAL, &g, NULL), 0);
    if (!w)
        return;
    for (i = 0; i < NREADERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            reader_proc(name, (int)i, &sh->r[i], sh);
    }
    do {
        t_sleep_ms(1);
        for (ready = 0, i = 0; i < NREADERS; i++)
            ready += sh->r[i].ready;
    } while (ready < NREADERS);
    for (i = 0; i < NSTEPS; i++) {
        if (i) {
            g = step_geom(i);
            CHECK_EQ(shmout_writer_set_geometry(w, &g), 0);
        }
        for (j = 0; j < PER_STEP; j++) {
            CHECK_EQ(t_publish(w), 0);
            if (j % 4 == 0)
                t_sleep_ms(1);
        }
        /* Readers 0 and 1 must follow every geometry. A slow reader (a loaded machine, a
         * sanitizer) can miss all PER_STEP frames of a step, so go on publishing this geometry,
         * slower, until both took a frame of it; the deadline only guards against a hang. */
        bit = 1ull << (i + 1);
        for (deadline = t_now_ms() + 20000; t_now_ms() < deadline; t_sleep_ms(20)) {
            if (__atomic_load_n(&sh->r[0].mask, __ATOMIC_ACQUIRE) & bit &&
                __atomic_load_n(&sh->r[1].mask, __ATOMIC_ACQUIRE) & bit)
                break;
            CHECK_EQ(t_publish(w), 0);
        }
        all |= bit;
    }
    t_sleep_ms(50);
    sh->done = 1;
    for (i = 0; i < NREADERS; i++) {
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("# reader %u: %llu frames accepted, %llu mismatched, geometry gens seen "
               "0x%llx of 0x%llx, %llu reattaches\n", i,
               (unsigned long long)sh->r[i].accepted, (unsigned long long)sh->r[i].bad,
               (unsigned long long)sh->r[i].mask, (unsigned long long)all,
               (unsigned long long)sh->r[i].reattaches);
        CHECK_EQ(sh->r[i].bad, 0);
        CHECK(sh->r[i].accepted > 0);
        CHECK_EQ(sh->r[i].mask & ~all, 0);
    }
    CHECK_EQ(sh->r[0].mask, all);
    CHECK_EQ(sh->r[1].mask, all);
    CHECK(sh->r[0].reattaches >= 3);
    shmout_writer_close(w);
    shmout_remove(name, SHMOUT_MEMTYPE_LOCAL, 0);
}

int main(void)
{
    RUN(test_resize);
    return t_failed_total != 0;
}
