/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * frame_oracle.h - the frame oracle of the test programs (the libshmout tests through
 * tests/libshmout/testutil.h, and tests/tools/soak.c): every byte of frame n is a function of
 * n and of the geometry the frame was made for (a splitmix64 stream seeded per plane and row),
 * and the first 8 bytes of plane 0 hold n itself, so that a reader can name the frame it holds
 * and tell a torn, misnumbered or wrong-geometry frame from a good one, byte for byte.
 * Frames whose plane-0 rows are shorter than 8 bytes carry no number, only the pattern.
 */
#ifndef SHMOUT_FRAME_ORACLE_H
#define SHMOUT_FRAME_ORACLE_H

#include <stdint.h>
#include <string.h>

#include "shmout.h"

/* splitmix64's output function. */
static inline uint64_t t_mix(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Seed of plane p, row y of frame n with geometry g. */
static inline uint64_t t_row_seed(const struct shmout_geometry *g, uint64_t n, unsigned p,
                                  unsigned y)
{
    return t_mix(n * 0x100000001b3ULL ^ ((uint64_t)g->width << 40) ^
                 ((uint64_t)g->height << 20) ^ ((uint64_t)g->pix_fmt << 8) ^
                 ((uint64_t)p << 60) ^ ((uint64_t)y << 2));
}

/* Fill frame n of geometry g into the planes data with the given linesizes. */
static inline void t_fill(const struct shmout_geometry *g, uint8_t *const data[4],
                          const int linesize[4], uint64_t n)
{
    unsigned p, y, x;

    for (p = 0; p < g->nb_planes; p++)
        for (y = 0; y < g->plane_height[p]; y++) {
            uint8_t *row = data[p] + (size_t)y * (size_t)linesize[p];
            uint64_t v = t_row_seed(g, n, p, y);
            for (x = 0; x + 8 <= g->plane_bytewidth[p]; x += 8) {
                memcpy(row + x, &v, 8);
                v = t_mix(v);
            }
            for (; x < g->plane_bytewidth[p]; x++)
                row[x] = (uint8_t)(v >> (8 * (x & 7)));
        }
    if (g->plane_bytewidth[0] >= 8)
        memcpy(data[0], &n, 8);
}

/* 0 if the planes hold exactly frame n of geometry g, its number included. */
static inline int t_verify(const struct shmout_geometry *g, const uint8_t *const data[4],
                           const int linesize[4], uint64_t n)
{
    unsigned p, y, x;
    uint64_t got;

    if (g->plane_bytewidth[0] >= 8) {
        memcpy(&got, data[0], 8);
        if (got != n)
            return -1;
    }
    for (p = 0; p < g->nb_planes; p++)
        for (y = 0; y < g->plane_height[p]; y++) {
            const uint8_t *row = data[p] + (size_t)y * (size_t)linesize[p];
            uint64_t v = t_row_seed(g, n, p, y);
            for (x = 0; x + 8 <= g->plane_bytewidth[p]; x += 8) {
                if ((p || y || x) && memcmp(row + x, &v, 8))
                    return -1;
                v = t_mix(v);
            }
            for (; x < g->plane_bytewidth[p]; x++)
                if (row[x] != (uint8_t)(v >> (8 * (x & 7))))
                    return -1;
        }
    return 0;
}

/* The frame a frame says it is (its first 8 bytes) into *n, and 0 if it is that frame of
 * geometry g; -1 if it is not, or carries no number (plane-0 rows shorter than 8 bytes). */
static inline int t_identify(const struct shmout_geometry *g, const uint8_t *const data[4],
                             const int linesize[4], uint64_t *n)
{
    if (g->plane_bytewidth[0] < 8)
        return -1;
    memcpy(n, data[0], 8);
    return t_verify(g, data, linesize, *n);
}

#endif /* SHMOUT_FRAME_ORACLE_H */
