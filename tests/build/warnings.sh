#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# warnings.sh: our sources in FFmpeg's tree compile without a warning under -Wall -Wextra, with
# the FFmpeg build's own flags, with gcc and with clang. Only diagnostics located in our files
# count (FFmpeg's own headers are not -Wextra clean in every series). libshmout's Makefile
# checks the library the same way, with FFmpeg's flags, in its own check.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_BUILD:?run through make check}" "${FFMPEG_TREE:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)

cflags=$(sed -n 's/^CFLAGS=//p' "$FFMPEG_BUILD/ffbuild/config.mak")
cppflags=$(sed -n 's/^CPPFLAGS=//p' "$FFMPEG_BUILD/ffbuild/config.mak")
for cc in gcc clang; do
    command -v $cc >/dev/null 2>&1 || { skip "$cc is not installed"; continue; }
    for src in "$top"/libavdevice-shmout/libavdevice/*.c "$top"/libavdevice-shmout/libavfilter/*.c; do
        rel=$(basename "$(dirname "$src")")/$(basename "$src")
        # shellcheck disable=SC2086
        out=$(cd "$FFMPEG_BUILD" && eval $cc -DHAVE_AV_CONFIG_H $cppflags $cflags -I. -I"$FFMPEG_TREE" \
              -Wall -Wextra -c "$FFMPEG_TREE/$rel" -o "$T/out.o" 2>&1)
        status=$?
        ours=$(printf '%s\n' "$out" | grep -E "/(shm[a-z_]*|vf_chanmask)\.[ch]:[0-9]+:[0-9]+: (warning|error)")
        [ $status -eq 0 ] && [ -z "$ours" ] && ok "$cc -Wall -Wextra: $rel" || fail "$cc -Wall -Wextra: $rel" "${ours:-$out}"
    done
done
finish
