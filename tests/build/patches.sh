#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# patches.sh: patches/ is what users apply to their own FFmpeg tree, so it must be current and
# correct. Regenerating it gives exactly the committed files; the sources patch and each series'
# registration patch apply, in that order, without fuzz to a pristine release tree of that
# series; and for the series of this build, the patched tree is file for file the tree
# scripts/register-ffmpeg gives.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_TREE:?run through make check}"
top=$(cd "$(dirname "$0")/../.." && pwd)

"$top/scripts/make-patches" "$T/patches" >/dev/null
out=$(diff -r "$top/patches" "$T/patches" 2>&1)
[ -z "$out" ] && ok "patches/ is current (make patches changes nothing)" ||
    fail "patches/ is current (make patches changes nothing)" "$out"

for dir in "$top"/patches/*/; do
    series=$(basename "$dir")
    pristine=$("$top/scripts/fetch-ffmpeg" "$series")
    rm -rf "$T/tree" && cp -a "$pristine" "$T/tree" && rm -f "$T/tree/.shmout-pristine"
    out=$(cd "$T/tree" && for p in "$top"/patches/0001-*.patch "$dir"*.patch; do
              patch -p1 -F0 --no-backup-if-mismatch < "$p" || exit 1; done 2>&1)
    if [ $? -eq 0 ]; then ok "the sources and $series patches apply to FFmpeg $(cat "$pristine/RELEASE") without fuzz"
    else fail "the sources and $series patches apply to FFmpeg $(cat "$pristine/RELEASE") without fuzz" "$out"; continue; fi
    if [ "$(cat "$pristine/RELEASE")" = "$(cat "$FFMPEG_TREE/RELEASE")" ]; then
        out=$(diff -r -x '.shmout-*' "$T/tree" "$FFMPEG_TREE" 2>&1)
        [ -z "$out" ] && ok "the patched $series tree equals the registered build tree" ||
            fail "the patched $series tree equals the registered build tree" "$out"
    fi
done
finish
