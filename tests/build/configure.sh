#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# configure.sh: ./configure's failures each name the problem and the fix (unknown series or
# option, a missing tool, no apt, no source), and its other sources of FFmpeg work: a release
# tarball and an existing tree. Runs configure out of tree in a scratch directory, so the
# checkout's own config.mk is untouched; missing tools are simulated with a PATH of links to
# every program but that one.
. "$(dirname "$0")/../lib/testlib.sh"
: "${SHMOUT_CACHE:?run through make check}"
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$T/work"

# path_without TOOL: a directory of links to every program on PATH except TOOL.
path_without() {
    d=$T/path-$1
    mkdir -p "$d"
    for p in $(echo "$PATH" | tr ':' ' '); do
        for f in "$p"/*; do
            b=$(basename "$f")
            [ "$b" = "$1" ] || [ -e "$d/$b" ] || ln -s "$f" "$d/$b" 2>/dev/null
        done
    done
    echo "$d"
}
# conf DESC STATUS PATTERN [env VAR=... ...] -- ARGS...: configure exits with STATUS (0 or 1)
# and its output matches PATTERN.
conf() {
    desc=$1 want=$2 pattern=$3; shift 3
    out=$(cd "$T/work" && "$@" 2>&1)
    got=$?
    [ $got -ne 0 ] && got=1
    if [ $got -eq "$want" ] && echo "$out" | grep -Eq -- "$pattern"; then ok "$desc"; else fail "$desc" "$out"; fi
}

conf "an unknown series is named with the supported ones" 1 \
    "unknown FFmpeg series '4.4': supported are 5.1 7.1 8.1 9.0" "$top/configure" --ffmpeg=4.4
conf "an unknown option is named" 1 "unknown option '--bogus' \(see ./configure --help\)" "$top/configure" --bogus
conf "--help lists every option" 0 "--ffmpeg=SERIES.*" "$top/configure" --help
help=$("$top/configure" --help)
for o in --ffmpeg= --ffmpeg-source= --ffmpeg-tarball= --prefix= --enable-libx264 --ffmpeg-flags= --minimal --cache-dir=; do
    echo "$help" | grep -q -- "$o" || fail "--help lists $o"
done
conf "missing nasm names the package and the alternative" 1 \
    "nasm not found: apt-get install nasm .*--ffmpeg-flags=--disable-x86asm" env PATH="$(path_without nasm)" "$top/configure"
conf "missing pkg-config names the package" 1 "pkg-config not found: apt-get install pkg-config" \
    env PATH="$(path_without pkg-config)" "$top/configure"
conf "no apt names the other sources" 1 \
    "apt-get not found: .*pass --ffmpeg-tarball=FILE or --ffmpeg-source=DIR" \
    env PATH="$(path_without apt-get)" "$top/configure" --cache-dir="$T/empty-cache"
conf "a missing tree is named" 1 "/nonexistent is not an FFmpeg source tree" "$top/configure" --ffmpeg-source=/nonexistent
conf "a missing tarball is named" 1 "tarball /nonexistent.tar.xz not found" "$top/configure" --ffmpeg-tarball=/nonexistent.tar.xz
conf "a tarball that is not FFmpeg is refused" 1 "does not look like an FFmpeg source tarball" \
    sh -c "tar -cJf '$T/other.tar.xz' -C '$top' scripts && '$top/configure' --ffmpeg-tarball='$T/other.tar.xz' --cache-dir='$T/cache2'"
conf "a cache inside the checkout is refused" 1 "is inside the checkout; use --cache-dir=DIR outside it" \
    "$top/configure" --cache-dir="$top/build/cache"
conf "--ffmpeg-source and --ffmpeg-tarball exclude each other" 1 "exclude each other" \
    "$top/configure" --ffmpeg-source=/a --ffmpeg-tarball=/b

tarball=$(ls "$SHMOUT_CACHE"/dist/ffmpeg_*.orig.tar.xz | head -n 1)
conf "a release tarball configures" 0 "configure: FFmpeg [0-9.]+ from .*/tree/user-" \
    "$top/configure" --ffmpeg-tarball="$tarball" --cache-dir="$T/cache3" --minimal
grep -q "^FFMPEG_TREE = $T/cache3/tree/user-" "$T/work/config.mk" && ok "config.mk points at the unpacked tarball" ||
    fail "config.mk points at the unpacked tarball" "$(cat "$T/work/config.mk")"
grep -qx "TOP := $top" "$T/work/Makefile" && grep -qxF 'include $(TOP)/Makefile' "$T/work/Makefile" && ok "configure out of tree writes a Makefile including the checkout's" ||
    fail "configure out of tree writes a Makefile including the checkout's" "$(cat "$T/work/Makefile")"
tree=$(sed -n 's/^FFMPEG_TREE = //p' "$T/work/config.mk")
conf "an existing tree configures" 0 "configure: FFmpeg [0-9.]+ from $tree" "$top/configure" --ffmpeg-source="$tree"
touch "$tree/config.h"
conf "a tree configured in place is refused with the fix" 1 "was configured in place: run 'make distclean' in it" \
    "$top/configure" --ffmpeg-source="$tree"
finish
