#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# cppcheck.sh: cppcheck finds nothing (warning, portability, performance) in our C sources: the
# library, the tool, the viewer, the examples, the benchmark helpers and test programs, the
# GStreamer plugin and the OBS source, and the
# FFmpeg-side sources (and the devices' fuzz targets) read with the FFmpeg build's headers. Findings inside FFmpeg's own
# headers do not count.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_BUILD:?run through make check}" "${FFMPEG_TREE:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v cppcheck >/dev/null || { fail "cppcheck is installed (apt-get install cppcheck)"; finish; exit; }

check_set() {
    desc=$1; shift
    out=$(cppcheck --quiet --enable=warning,portability,performance --std=c11 --error-exitcode=0 "$@" 2>&1)
    ours=$(printf '%s\n' "$out" | grep -E "^$top/[^:]+:[0-9]+:[0-9]+: ")
    [ -z "$ours" ] && ok "cppcheck: $desc" || fail "cppcheck: $desc" "$ours"
}
cd "$top"
check_set "library, tool, viewer, examples, bench and test tools" -I "$top/libshmout" \
    "$top"/libshmout/*.c "$top"/tools/*.c "$top"/examples/*.c \
    "$top"/scripts/bench/*.c "$top"/tests/tools/*.c
# GObject's and GStreamer's type and plugin macros, which cppcheck cannot expand without their headers
check_set "the GStreamer plugin, the OBS source and their test programs" -I "$top/libshmout" \
    '-DG_DEFINE_TYPE(a,b,c)=' '-DGST_PLUGIN_DEFINE(...)=' \
    "$top"/gst/*.c "$top"/obs/*.c "$top"/tests/gstreamer/*.c "$top"/tests/obs/*.c
check_set "the devices and the filter, with FFmpeg's headers" -DHAVE_AV_CONFIG_H -I "$FFMPEG_BUILD" \
    -I "$FFMPEG_TREE" -I "$top/libshmout" "$top"/libavdevice-shmout/libavdevice/*.c "$top"/libavdevice-shmout/libavfilter/*.c \
    "$top"/tests/ffmpeg/fuzz/*.c
finish
