#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# incremental.sh: editing one of our FFmpeg-side sources and running make recompiles that one
# object and relinks, nothing else. It edits libavdevice-shmout/libavdevice/shmout.c (a comment
# line, restored at exit), runs make, and reads FFmpeg's make log.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_BUILD:?run through make check}"
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/libavdevice-shmout/libavdevice/shmout.c

cp -p "$src" "$T/shmout.c.orig"
at_exit "cp -p '$T/shmout.c.orig' '$src'; make -s -C '$top' >/dev/null 2>&1"
echo "/* incremental build test */" >> "$src"
if out=$(make -s -C "$top" 2>&1); then ok "make after an edit succeeds"; else fail "make after an edit succeeds" "$out"; fi
compiled=$(grep -E '^(CC|CXX|X86ASM)[[:space:]]' "$FFMPEG_BUILD/make.log" | awk '{ print $2 }')
[ "$compiled" = "libavdevice/shmout.o" ] && ok "only libavdevice/shmout.o was recompiled" ||
    fail "only libavdevice/shmout.o was recompiled" "compiled: $compiled"
grep -Eq '^LD[[:space:]]+ffmpeg_g' "$FFMPEG_BUILD/make.log" && ok "ffmpeg was relinked" ||
    fail "ffmpeg was relinked" "$(tail -n 20 "$FFMPEG_BUILD/make.log")"
finish
