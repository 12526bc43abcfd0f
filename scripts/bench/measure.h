/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * measure.h: what the benchmark's readers (benchtool, gstread) share: the wall and CPU clocks
 * they time with, and the reference row every row of every frame is compared with.
 */
#ifndef SHMOUT_BENCH_MEASURE_H
#define SHMOUT_BENCH_MEASURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Fill row[0..len) with the pixel given in hex (1 to 16 bytes, e.g. 000000ff for opaque black
 * rgba); returns 0 if the pixel is not that. */
static inline int fill_pattern(uint8_t *row, size_t len, const char *hex)
{
    uint8_t px[16];
    size_t n = strlen(hex) / 2, i;

    if (!n || n > 16 || strlen(hex) % 2)
        return 0;
    for (i = 0; i < n; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &px[i]) != 1)
            return 0;
    for (i = 0; i < len; i++)
        row[i] = px[i % n];
    return 1;
}

#endif
