/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * fuzz_block.c - libFuzzer target for the validation of untrusted blocks.
 * Input: the first 1024 bytes are a primary header, the rest a data object.
 * Whatever validation accepts is then used the way a reader uses it (slot
 * descriptors, plane extents), so an accepted out-of-bounds layout shows up
 * as an AddressSanitizer report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shmout_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PRIMARY_PART sizeof(struct shmout_header)

static void use_segment(const uint8_t *s, size_t size)
{
    struct shmout_segment_header sh;
    struct shmout_slot_desc d;
    volatile uint8_t sink = 0;
    const uint8_t *base;
    uint32_t i;
    unsigned p;

    if (shmout_priv_validate_segment(s, size, &sh) < 0)
        return;
    for (i = 0; i < sh.slot_count; i++) {
        memcpy(&d, s + sh.slot_table_offset + (uint64_t)i * sh.slot_desc_size, sizeof(d));
        if (d.seq & 1 || shmout_priv_validate_slot(&d, &sh, d.seq / 2) < 0)
            continue;
        base = s + sh.data_offset + (uint64_t)i * sh.data_stride;
        for (p = 0; p < d.geometry.nb_planes; p++) {
            const uint8_t *pl = base + d.geometry.plane_offset[p];
            sink ^= pl[0];
            sink ^= pl[(size_t)d.geometry.plane_linesize[p] * (d.geometry.plane_height[p] - 1) +
                       d.geometry.plane_bytewidth[p] - 1];
        }
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct shmout_header h;
    struct shmout_geometry g;
    uint64_t gen;
    size_t psize = size < PRIMARY_PART ? size : PRIMARY_PART;
    uint8_t *p = malloc(psize + 1), *s;

    memcpy(p, data, psize);       /* own, aligned copies: a mapping is page aligned */
    if (shmout_priv_validate_header(p, psize, &h) == 0)
        shmout_priv_read_geometry((const struct shmout_header *)(void *)p, &g, &gen);
    free(p);
    if (size > PRIMARY_PART) {
        s = malloc(size - PRIMARY_PART);
        memcpy(s, data + PRIMARY_PART, size - PRIMARY_PART);
        use_segment(s, size - PRIMARY_PART);
        free(s);
    }
    return 0;
}
