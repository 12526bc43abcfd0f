#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# compile_checks.sh - every library source compiles with the flags FFmpeg builds libavdevice
# with (the library is compiled into FFmpeg's tree) plus -Werror, and the library and the
# shmout tool are warning-free with the project's warnings (SHMOUT_WARN), under gcc and clang.
# Run by run_tests.sh; prints ok/not ok lines.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${SHMOUT_WORK:-/tmp}/compile-checks
mkdir -p "$out"
ffmpeg_cflags="-std=c11 -D_ISOC11_SOURCE -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE
  -D_POSIX_C_SOURCE=200112 -D_XOPEN_SOURCE=600 -DPIC -fPIC -Wall
  -Wdeclaration-after-statement -Wmissing-prototypes -Werror=implicit-function-declaration
  -Werror=return-type -Werror=vla"
warn=${SHMOUT_WARN:?set by make check-lib}
status=0
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    ok=1
    for f in "$top"/libshmout/*.c; do
        # shellcheck disable=SC2086
        $cc $ffmpeg_cflags -Werror -c "$f" -o "$out/lib.o" ||
            { echo "not ok - $(basename "$f") with FFmpeg's flags ($cc)"; ok=0; }
        # shellcheck disable=SC2086
        $cc -std=c11 $warn -O2 -Werror -c "$f" -o "$out/lib.o" ||
            { echo "not ok - $(basename "$f") with -Wall -Wextra -Werror ($cc)"; ok=0; }
    done
    # shellcheck disable=SC2086
    $cc -std=c11 $warn -O2 -Werror -I"$top/libshmout" -c "$top/tools/shmout.c" -o "$out/tool.o" ||
        { echo "not ok - tools/shmout.c with -Wall -Wextra -Werror ($cc)"; ok=0; }
    if [ $ok = 1 ]; then
        echo "ok - library compiles with FFmpeg's flags and -Werror ($cc)"
        echo "ok - library and tool warning-free with -Wall -Wextra ($cc)"
    else
        status=1
    fi
done
exit $status
