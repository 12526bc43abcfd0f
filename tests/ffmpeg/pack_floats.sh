#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# pack_floats.sh: builds tests/ffmpeg/shmout/float_test.c against the device's packing code as
# compiled in the FFmpeg build (shmdev_pack.o, libavutil) and runs it.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_BUILD:?run through make check}" "${FFMPEG_TREE:?}"
here=$(cd "$(dirname "$0")" && pwd)

if ! out=$(${CC:-cc} -std=c11 -O2 -I"$FFMPEG_BUILD" -I"$FFMPEG_TREE" "$here/shmout/float_test.c" \
        "$FFMPEG_BUILD/libavdevice/shmdev_pack.o" "$FFMPEG_BUILD/libavutil/libavutil.a" -lm -pthread \
        -o "$T/float_test" 2>&1); then
    fail "build float_test against the FFmpeg build" "$out"
    finish; exit
fi
"$T/float_test"
