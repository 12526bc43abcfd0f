# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# gstreamer.sh: what the GStreamer suites share, sourced after tests/lib/testlib.sh. Not run.
#   gst_prepare ELEMENT PROGRAM...   skip the suite (finish, exit) without GStreamer or the
#                                    plugin; point GStreamer at the plugin with a private
#                                    registry; build tests/gstreamer/PROGRAM.c into $T/PROGRAM;
#                                    check that gst-inspect-1.0 loads ELEMENT
#   newblock PREFIX                  a block name for the suite, remembered in $T/names (a file,
#                                    so that it also works in $(...))
#   remove_blocks                    remove every block newblock named
#   left_blocks                      the suite's objects still in /dev/shm (names carry its pid)
#   md5s FILE / gmd5s FILE           md5 per frame of an ffmpeg framemd5 / of gst_frames' output
#   gsizes FILE                      "WxH:count,..." of gst_frames' output, runs of equal sizes
GST_PKGS="gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0"

gst_prepare() {
    _el=$1; shift
    if ! pkg-config --exists $GST_PKGS 2>/dev/null || ! command -v gst-launch-1.0 >/dev/null; then
        skip "GStreamer (pkg-config $GST_PKGS, gst-launch-1.0) is not installed"; finish; exit
    fi
    if [ ! -f "$B/lib/gstreamer-1.0/libgstshmout.so" ]; then
        skip "the plugin $B/lib/gstreamer-1.0/libgstshmout.so is not built (make gst)"; finish; exit
    fi
    export GST_PLUGIN_PATH=$B/lib/gstreamer-1.0 GST_REGISTRY=$T/registry.bin
    unset GST_PLUGIN_SYSTEM_PATH_1_0
    for _p do
        # shellcheck disable=SC2046
        ${CC:-cc} -O2 "$top/tests/gstreamer/$_p.c" $(pkg-config --cflags --libs $GST_PKGS) -o "$T/$_p" ||
            { fail "build tests/gstreamer/$_p.c"; finish; exit; }
    done
    if ! gst-inspect-1.0 "$_el" >"$T/inspect.out" 2>&1; then
        fail "gst-inspect-1.0 $_el: the plugin loads" "$(cat "$T/inspect.out")"; finish; exit
    fi
}

: > "$T/names"
newblock() { _b=$(blockname "$1"); echo "$_b" >> "$T/names"; echo "$_b"; }
remove_blocks() { while read -r _n; do "$SHMOUT_TOOL" rm "$_n" --force >/dev/null 2>&1; done < "$T/names"; }
at_exit remove_blocks
left_blocks() { ls /dev/shm | grep "_$$_" || true; }
md5s() { framemd5_lines "$1" | awk '{ print $3 }'; }
gmd5s() { awk '$1 != "eos" { print $5 }' "$1"; }
gsizes() { awk '$1 != "eos" { print $2 }' "$1" | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }'; }
