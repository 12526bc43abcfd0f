/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (c) 2026 the shmout authors
 *
 * float_test: checks shmout's float packing (shmdev_pack.c) against independent oracles:
 * GCC's _Float16 conversion for binary16, and double arithmetic with nearbyint (round to
 * nearest even) for the unsigned 11- and 10-bit floats of R11G11B10F. Inputs: a stride through
 * all 2^32 float bit patterns, and every exact tie point between two adjacent codes with its
 * neighbours, where rounding mistakes live. Prints "N passed, M failed".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libavdevice/shmdev_pack.h"

static float f_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* Oracle: nearest unsigned float with a 5-bit exponent (bias 15) and mbits mantissa bits. */
static uint32_t ufloat_oracle(float f, int mbits)
{
    double v = f, q;
    int k;

    if (isnan(f))
        return 31u << mbits | 1u << (mbits - 1);
    if (signbit(f) || v == 0)
        return 0;
    if (isinf(f))
        return 31u << mbits;
    if (v < ldexp(1, -14))                       /* subnormal range: units of 2^(-14-mbits) */
        return (uint32_t)nearbyint(v / ldexp(1, -14 - mbits));
    frexp(v, &k);                                /* v = m * 2^k, m in [0.5, 1) */
    q = nearbyint((ldexp(v, 1 - k) - 1) * ldexp(1, mbits));
    if (q == ldexp(1, mbits)) { q = 0; k++; }
    if (k - 1 + 15 >= 31)
        return 31u << mbits;
    return (uint32_t)(k - 1 + 15) << mbits | (uint32_t)q;
}

static uint16_t half_oracle(float f)
{
    _Float16 h = (_Float16)f;
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}

static unsigned long checked, failed;

static void check(float f)
{
    uint16_t h = ff_shmdev_float_to_half(f), ho = half_oracle(f);
    int m;

    checked++;
    /* Any NaN is accepted for a NaN: payloads are not specified. */
    if (h != ho && !(isnan(f) && (h & 0x7c00) == 0x7c00 && (h & 0x3ff) && (ho & 0x7c00) == 0x7c00 && (ho & 0x3ff))) {
        if (failed++ < 10)
            printf("not ok - half(%a) = 0x%04x, oracle 0x%04x\n", f, h, ho);
    }
    for (m = 5; m <= 6; m++) {
        uint32_t u = ff_shmdev_float_to_ufloat(f, m), uo = ufloat_oracle(f, m);
        if (u != uo && failed++ < 10)
            printf("not ok - ufloat%d(%a) = 0x%x, oracle 0x%x\n", m + 5, f, u, uo);
    }
}

/* decode a non-negative code of a float with mbits mantissa bits (5-bit exponent, bias 15) */
static double decode(uint32_t code, int mbits)
{
    uint32_t e = code >> mbits, mant = code & ((1u << mbits) - 1);
    return e ? ldexp(1 + ldexp(mant, -mbits), (int)e - 15) : ldexp(mant, -14 - mbits);
}

int main(void)
{
    unsigned long before;
    uint64_t u;
    int mbits;
    uint32_t c;

    for (u = 0; u < (1ull << 32); u += 997)
        check(f_of((uint32_t)u));
    before = failed;
    printf("%s - a stride through all float bit patterns (%lu values)\n", before ? "not ok" : "ok", checked);

    checked = 0;
    for (mbits = 5; mbits <= 10; mbits += (mbits == 6 ? 4 : 1)) {
        for (c = 0; c < (31u << mbits); c++) {
            float mid = (float)((decode(c, mbits) + decode(c + 1, mbits)) / 2);
            check(mid);
            check(nextafterf(mid, 0));
            check(nextafterf(mid, INFINITY));
            check(-mid);
        }
    }
    printf("%s - every tie point between adjacent codes and its neighbours (%lu values)\n",
           failed > before ? "not ok" : "ok", checked);
    printf("%d passed, %d failed\n", (before == 0) + (failed == before), (before != 0) + (failed != before));
    return failed != 0;
}
