#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# warnings.sh: our sources in FFmpeg's tree compile without a warning under -Wall -Wextra, with
# the FFmpeg build's own flags, with gcc and with clang. Only diagnostics located in our files
# count (FFmpeg's own headers are not -Wextra clean in every series). libshmout's Makefile
# checks the library the same way, with FFmpeg's flags, in its own check. With the Windows build
# beside this one (WIN_BIN), the sources it compiles are checked with its mingw-w64 gcc and flags.
# Each layout file is compiled where its system is: shmdev_shmout.c (POSIX) on Linux,
# shmdev_td.c (Windows) for Windows.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_BUILD:?run through make check}" "${FFMPEG_TREE:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)

# check_build BUILD_DIR SKIP CC...: every source, but SKIP, with each CC and BUILD_DIR's flags.
check_build() {
    build=$1 skipped=$2; shift 2
    cflags=$(sed -n 's/^CFLAGS=//p' "$build/ffbuild/config.mak")
    cppflags=$(sed -n 's/^CPPFLAGS=//p' "$build/ffbuild/config.mak")
    for cc do
        command -v $cc >/dev/null 2>&1 || { skip "$cc is not installed"; continue; }
        for src in "$top"/libavdevice-shmout/libavdevice/*.c "$top"/libavdevice-shmout/libavfilter/*.c; do
            [ "$(basename "$src")" != "$skipped" ] || continue
            rel=$(basename "$(dirname "$src")")/$(basename "$src")
            # shellcheck disable=SC2086
            out=$(cd "$build" && eval $cc -DHAVE_AV_CONFIG_H $cppflags $cflags -I. -I"$FFMPEG_TREE" \
                  -Wall -Wextra -c "$FFMPEG_TREE/$rel" -o "$T/out.o" 2>&1)
            status=$?
            ours=$(printf '%s\n' "$out" | grep -E "/(shm[a-z_]*|vf_chanmask)\.[ch]:[0-9]+:[0-9]+: (warning|error)")
            [ $status -eq 0 ] && [ -z "$ours" ] && ok "$cc -Wall -Wextra: $rel" || fail "$cc -Wall -Wextra: $rel" "${ours:-$out}"
        done
    done
}
check_build "$FFMPEG_BUILD" shmdev_td.c gcc clang
if [ -n "${WIN_BIN:-}" ]; then
    win_build=$(sed -n 's/^FFMPEG_BUILD = //p' "$WIN_BIN/../../config.mk" 2>/dev/null)
    [ -f "$win_build/ffbuild/config.mak" ] && check_build "$win_build" shmdev_shmout.c x86_64-w64-mingw32-gcc ||
        fail "the Windows build's flags (FFMPEG_BUILD in $WIN_BIN/../../config.mk)"
fi
finish
