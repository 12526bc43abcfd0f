#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# install.sh: `make install PREFIX=DIR` puts the programs, the library (static and shared), its
# headers and its pkg-config file, and the GStreamer plugin under DIR, and a program built with `pkg-config shmout`
# against the installed copy links and runs, statically and dynamically.
. "$(dirname "$0")/../lib/testlib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
P=$T/prefix

out=$(make -s -C "$top" install PREFIX="$P" 2>&1) && ok "make install PREFIX=... succeeds" || fail "make install PREFIX=... succeeds" "$out"
for f in bin/ffmpeg bin/ffprobe bin/shmout lib/libshmout.a lib/libshmout.so include/shmout/shmout.h \
         include/shmout/shmout_protocol.h lib/pkgconfig/shmout.pc; do
    [ -e "$P/$f" ] && ok "installs $f" || fail "installs $f" "$(cd "$P" && find . | head -n 30)"
done
# The GStreamer plugin, where GStreamer looks under the prefix, loadable from there
if pkg-config --exists gstreamer-1.0 gstreamer-video-1.0 gstreamer-base-1.0; then
    gdir=$P/$(pkg-config --variable=pluginsdir gstreamer-1.0 | sed "s|^$(pkg-config --variable=prefix gstreamer-1.0)/||")
    [ -e "$gdir/libgstshmout.so" ] && ok "installs the GStreamer plugin into ${gdir#"$P/"}" ||
        fail "installs the GStreamer plugin into ${gdir#"$P/"}" "$(cd "$P" && find . -name '*.so' | head)"
    out=$(GST_PLUGIN_PATH=$gdir GST_REGISTRY=$T/registry.bin gst-inspect-1.0 shmoutsink 2>&1) &&
        ok "gst-inspect-1.0 finds shmoutsink in the installed plugin" ||
        fail "gst-inspect-1.0 finds shmoutsink in the installed plugin" "$out"
else
    skip "GStreamer's development files are not installed: no plugin to install"
fi
cat > "$T/reader.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <shmout.h>
int main(void)
{
    shmout_reader *r;
    int ret = shmout_reader_open(&r, "no_such_block_for_install_test", SHMOUT_MEMTYPE_LOCAL, 0);
    printf("%s\n", ret == -ENOENT ? "ENOENT" : shmout_strerror(ret));
    return ret == -ENOENT ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
flags=$(pkg-config --cflags --libs shmout) && ok "pkg-config shmout: $flags" || fail "pkg-config shmout"
# shellcheck disable=SC2086
if ${CC:-cc} -o "$T/reader" "$T/reader.c" $flags 2>"$T/cc.err" && LD_LIBRARY_PATH="$P/lib" "$T/reader" >/dev/null; then
    ok "a reader built with pkg-config against the shared library runs"
else
    fail "a reader built with pkg-config against the shared library runs" "$(cat "$T/cc.err")"
fi
# shellcheck disable=SC2086
if ${CC:-cc} -o "$T/reader-static" "$T/reader.c" $(pkg-config --cflags shmout) "$P/lib/libshmout.a" -pthread 2>"$T/cc.err" &&
   "$T/reader-static" >/dev/null; then
    ok "a reader linked with the static library runs"
else
    fail "a reader linked with the static library runs" "$(cat "$T/cc.err")"
fi
finish
