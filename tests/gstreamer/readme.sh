#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# readme.sh: the README's GStreamer and OBS Studio commands, run as written, do what it says.
#
# The commands are taken from README.md itself (the ```sh blocks of "## GStreamer", the ```sh
# block of "## OBS Studio"), not restated here, so that a change there is tested here; a command
# this suite does not recognise, or one it looks for and no longer finds, is a failure. The only
# changes made to them: the block names cam1 and movie become unique names (blockname), files go
# into $T, `-t 10` becomes `-t 2`, `build/bin/` becomes "$B/bin/" when B is not $top/build, a
# trailing `&` is dropped (the suite starts it in the background itself), and for the install
# lines `sudo` is dropped with HOME and DESTDIR pointed into $T. Each command runs the way a user
# would run it, next to its counterpart:
#   - the ffmpeg writer with `shmoutsrc ! autovideosink` under Xvfb (ximagesink): the viewer
#     attaches, shows a window, and ends with status 0 on EOS at the writer's close;
#   - the lossless recording: the .mkv has exactly the writer's frame count at its size, each
#     frame the writer's frame of the same number (PSNR against testsrc2);
#   - on-close=wait: the viewer outlives a first writer, reads a second one, and ends with
#     status 0 on SIGINT (-e);
#   - the is-live shmoutsink: ffmpeg -f shmin gets 30 frames of 1280x720 from it, the README's
#     ffplay shows it in a window, SIGINT stops the sink with status 0;
#   - the file into a block: movie.mkv of the README's ffv1 recorder holds every frame of
#     in.webm, framemd5 equal to in.webm's decoded frames;
#   - the export line and gst-inspect-1.0 shmoutsrc: every property of the README's table;
#   - make install-obs-user and make install-obs PREFIX=/usr put the plugin where the README says.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${FFMPEG:?}" "${FFPROBE:?}" "${SHMOUT_TOOL:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
case $B in /*) ;; *) B=$PWD/$B ;; esac
case $FFMPEG in */*) FFMPEG=$(cd "$(dirname "$FFMPEG")" && pwd)/$(basename "$FFMPEG") ;; esac
case $FFPROBE in */*) FFPROBE=$(cd "$(dirname "$FFPROBE")" && pwd)/$(basename "$FFPROBE") ;; esac
case $SHMOUT_TOOL in */*) SHMOUT_TOOL=$(cd "$(dirname "$SHMOUT_TOOL")" && pwd)/$(basename "$SHMOUT_TOOL") ;; esac
cd "$top" || exit 1
README=$top/README.md

# ---- the README's commands -------------------------------------------------------------------

# section_sh TITLE: the lines of the ```sh blocks of the README section "## TITLE"
section_sh() {
    awk -v title="## $1" '
        $0 == title { in_sec = 1; next }
        in_sec && /^## / { in_sec = 0 }
        in_sec && $0 == "```sh" { in_blk = 1; next }
        in_sec && in_blk && /^```/ { in_blk = 0; next }
        in_sec && in_blk { print }' "$README"
}
section_sh GStreamer | sed -e '/^[[:space:]]*#/d' -e 's/[[:space:]][[:space:]]*#.*$//' \
    -e '/^[[:space:]]*$/d' >"$T/gst.cmds"
section_sh "OBS Studio" >"$T/obs.cmds"
ncmds=$(wc -l <"$T/gst.cmds")
[ "$ncmds" -gt 0 ] && ok "README.md: the GStreamer section has $ncmds commands" ||
    fail "README.md: the GStreamer section has commands in \`\`\`sh blocks"

# pick VAR DESC FILE GREP-ARGS...: set VAR to the one line of FILE that grep GREP-ARGS selects;
# fail DESC (VAR empty) when there is none or more than one. Keeps the lines picked in $T/picked.
pick() {
    _var=$1 _desc=$2 _f=$3; shift 3
    _m=$(grep "$@" "$_f")
    if [ -z "$_m" ] || [ "$(printf '%s\n' "$_m" | wc -l)" -ne 1 ]; then
        fail "README.md has one $_desc line" "found: ${_m:-none}
in: $(cat "$_f")"
        _m=
    fi
    eval "$_var=\$_m"
    [ -z "$_m" ] || printf '%s\n' "$_m" >>"$T/picked"
}
: >"$T/picked"
pick export_line "export GST_PLUGIN_PATH" "$T/gst.cmds" '^export GST_PLUGIN_PATH='
pick inspect_line "gst-inspect-1.0 shmoutsrc" "$T/gst.cmds" '^gst-inspect-1.0 shmoutsrc'
pick writer_line "ffmpeg writer (-f shmout cam1)" "$T/gst.cmds" -E '^build/bin/ffmpeg .*-f shmout cam1$'
grep '^gst-launch-1.0 .*shmoutsrc' "$T/gst.cmds" | grep -v -e 'mode=lossless' -e 'on-close=' >"$T/view.cmds"
pick view_line "shmoutsrc ... autovideosink viewer" "$T/view.cmds" 'autovideosink'
pick lossless_line "shmoutsrc mode=lossless recording" "$T/gst.cmds" -E '^gst-launch-1.0 .*shmoutsrc .*mode=lossless.*filesink'
pick wait_line "shmoutsrc on-close=wait" "$T/gst.cmds" -E '^gst-launch-1.0 .*shmoutsrc .*on-close=wait'
pick sink_line "videotestsrc is-live=true ... shmoutsink" "$T/gst.cmds" -E '^gst-launch-1.0 videotestsrc is-live=true .*shmoutsink'
pick ffplay_line "ffplay -f shmin" "$T/gst.cmds" -E '^build/bin/ffplay -f shmin '
pick recorder_line "ffmpeg -f shmin -mode lossless recorder" "$T/gst.cmds" -E '^build/bin/ffmpeg -f shmin -mode lossless .*&$'
pick file_line "filesrc ... shmoutsink" "$T/gst.cmds" -E '^gst-launch-1.0 filesrc .*shmoutsink'
pick obs_user_line "make install-obs-user" "$T/obs.cmds" -E '^make install-obs-user[[:space:]]'
pick obs_sys_line "sudo make install-obs PREFIX=/usr" "$T/obs.cmds" -E '^sudo make install-obs PREFIX=/usr[[:space:]]'
# every command of the section is one this suite runs
untested=$(grep -v -x -F -f "$T/picked" "$T/gst.cmds")
[ -z "$untested" ] && ok "every command of the README's GStreamer section is tested here" ||
    fail "every command of the README's GStreamer section is tested here" "untested: $untested"

# adapt LINE [NAME]: LINE with the allowed substitutions: the block names cam1 and movie become
# NAME, *.mkv/*.webm/*.mp4 files go into $T, -t N becomes -t 2, build/bin/ becomes $B/bin/ (when
# B is not $top/build), and a trailing & goes
adapt() {
    _bin=
    [ "$B" = "$top/build" ] || _bin=$B/bin/
    printf '%s\n' "$1" | sed -E \
        -e "s#(^|[ =])(cam1|movie)( |\$)#\\1${2:-cam1}\\3#g" \
        -e "s#(^|[ =])([A-Za-z0-9_-]+\\.(mkv|webm|mp4))( |\$)#\\1$T/\\2\\4#g" \
        -e 's#(^| )-t [0-9]+( |$)#\1-t 2\2#' \
        -e "s#^build/bin/#${_bin:-build/bin/}#" \
        -e 's#[[:space:]]*&$##'
}
# run_bg OUT CMDLINE: CMDLINE (a README command, adapted) in the background, as its own process
# ($bg: its pid), stdout and stderr in OUT, killed at exit if still there
run_bg() {
    sh -c "exec $2" </dev/null >"$1" 2>&1 &
    bg=$!
    at_exit "kill -9 $bg 2>/dev/null"
}
# gone PID: process PID has ended (a zombie counts: its parent, this shell, has not waited yet)
gone() {
    ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}
playing() { grep -q 'Setting pipeline to PLAYING' "$1"; }
readers() { "$SHMOUT_TOOL" info "$1" 2>/dev/null | awk '$1 == "readers:" { print $2 }'; }
has_reader() { [ "$(readers "$1")" = 1 ]; }
frames_written() { tr '\r' '\n' <"$1" | grep -o 'frame= *[0-9]*' | tail -n 1 | tr -dc 0-9; }
# window TITLE: the X server has a window named TITLE (true without xwininfo: nothing to look at)
window() {
    command -v xwininfo >/dev/null 2>&1 || return 0
    xwininfo -root -tree 2>/dev/null | grep -q "\"$1\""
}
newblock() { _b=$(blockname "$1"); echo "$_b" >>"$T/names"; echo "$_b"; }   # (in $(...): a file)
at_exit '[ ! -f "$T/names" ] || for n in $(cat "$T/names"); do "$SHMOUT_TOOL" rm --force "$n" >/dev/null 2>&1; done'
have_element() { gst-inspect-1.0 "$1" >/dev/null 2>&1; }

# ---- OBS Studio: the install lines -----------------------------------------------------------
# (before the GStreamer cases: they need neither GStreamer nor a display)
OBS_SO=$B/lib/obs-plugins/shmout-obs.so
makeargs=
[ "$B" = "$top/build" ] || makeargs="B=$B"
multiarch=$(${CC:-cc} -print-multiarch 2>/dev/null)
# readme_path LINE: the path the README's comment after LINE names, with ~ as $T/home and the
# multiarch directory as this machine's
readme_path() {
    printf '%s\n' "$1" | sed -n 's/^[^#]*#[[:space:]]*\([~/][^[:space:]]*\).*/\1/p' |
        sed -e "s#^~/#$T/home/#" -e "s#/x86_64-linux-gnu/#/${multiarch:-x86_64-linux-gnu}/#"
}
if [ ! -f "$OBS_SO" ]; then
    skip "OBS install lines: the plugin $OBS_SO is not built (libobs-dev libswscale-dev, make obs)"
elif [ -n "$obs_user_line" ] && [ -n "$obs_sys_line" ]; then
    mkdir -p "$T/home"
    cmd=$(printf '%s\n' "$obs_user_line" | sed 's/[[:space:]]*#.*$//')
    want=$(readme_path "$obs_user_line")
    # shellcheck disable=SC2086
    out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL HOME="$T/home" sh -c "exec $cmd $makeargs" 2>&1); rc=$?
    if [ $rc -eq 0 ] && [ -n "$want" ] && cmp -s "$OBS_SO" "$want"; then
        ok "OBS: '$cmd' with HOME=\$T/home installs the plugin at ${want#"$T/home/"} (~/...)"
    else
        fail "OBS: '$cmd' installs the plugin at the README's path" "status $rc, want '$want': $out
$(find "$T/home" -name '*.so' 2>/dev/null)"
    fi
    cmd=$(printf '%s\n' "$obs_sys_line" | sed -e 's/[[:space:]]*#.*$//' -e 's/^sudo //')
    want=$(readme_path "$obs_sys_line")
    out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL sh -c "exec $cmd DESTDIR=$T/dest $makeargs" 2>&1); rc=$?
    if [ $rc -eq 0 ] && [ -n "$want" ] && cmp -s "$OBS_SO" "$T/dest$want"; then
        ok "OBS: '$cmd' with DESTDIR=\$T/dest installs the plugin at $want"
    else
        fail "OBS: '$cmd' installs the plugin at the README's path under DESTDIR" "status $rc, want '$want': $out
$(find "$T/dest" -name '*.so' 2>/dev/null)"
    fi
fi

# ---- GStreamer -------------------------------------------------------------------------------
if ! command -v gst-launch-1.0 >/dev/null 2>&1 || ! command -v gst-inspect-1.0 >/dev/null 2>&1; then
    skip "GStreamer's tools (gst-launch-1.0, gst-inspect-1.0: gstreamer1.0-tools) are not installed"
    finish; exit
fi
if [ ! -f "$B/lib/gstreamer-1.0/libgstshmout.so" ]; then
    skip "the plugin $B/lib/gstreamer-1.0/libgstshmout.so is not built (make gst)"; finish; exit
fi

# The export line, evaluated here ($PWD: the top directory), is how every pipeline finds the
# plugin. (A private registry, and no system path but GStreamer's own.)
[ "$B" = "$top/build" ] || export_line=$(printf '%s\n' "$export_line" | sed "s#\$PWD/build/#$B/#")
eval "$export_line"
export GST_REGISTRY=$T/registry.bin
unset GST_PLUGIN_SYSTEM_PATH_1_0
if [ "$GST_PLUGIN_PATH" = "$B/lib/gstreamer-1.0" ]; then
    ok "'$export_line' names the plugin's directory"
else
    fail "'$export_line' names the plugin's directory" "GST_PLUGIN_PATH=$GST_PLUGIN_PATH, the plugin is in $B/lib/gstreamer-1.0"
fi
out=$(timeout 30 sh -c "exec $inspect_line" 2>&1); rc=$?
# the properties of the README's shmoutsrc table
props=$(awk '/^### Reading a block: shmoutsrc/ { s = 1; next } s && /^###? / { s = 0 }
             s && /^\| `[a-z-]+` \|/ { split($0, f, "`"); print f[2] }' "$README")
missing=
for p in $props; do printf '%s\n' "$out" | grep -q "^  $p *:" || missing="$missing $p"; done
if [ $rc -eq 0 ] && [ -n "$props" ] && [ -z "$missing" ]; then
    ok "'$inspect_line' succeeds and shows the README's properties ($(echo $props))"
else
    fail "'$inspect_line' succeeds and shows the README's properties" "status $rc, table: $(echo $props), missing:${missing:-} $(printf '%s\n' "$out" | head -n 20)"
fi
[ $rc -eq 0 ] || { finish; exit; }

# An X server for the viewers (autovideosink picks ximagesink there, ffplay opens an SDL window);
# -noreset: no server reset when the last client leaves, which refuses the next one for a moment
display=
if ! command -v Xvfb >/dev/null 2>&1; then
    skip "Xvfb is not installed (apt-get install xvfb): no display for the viewers"
elif ! have_element ximagesink; then
    skip "ximagesink is not installed (apt-get install gstreamer1.0-x): autovideosink has no sink for Xvfb"
else
    Xvfb -displayfd 9 -screen 0 1600x900x24 -nolisten tcp -noreset 9>"$T/display" 2>"$T/xvfb.err" &
    xvfb=$!
    at_exit "kill $xvfb 2>/dev/null"
    if wait_for 10 test -s "$T/display"; then
        display=:$(head -n 1 "$T/display")
        DISPLAY=$display; export DISPLAY
    else
        fail "Xvfb starts" "$(head -n 5 "$T/xvfb.err")"
    fi
fi

# run_writer NAME ERR: the README's writer into block NAME, in the foreground (at most 20 s)
run_writer() {
    timeout 20 sh -c "exec $(adapt "$writer_line" "$1")" </dev/null 2>"$2"
}
# start_viewer OUT LINE NAME: the README's pipeline LINE on block NAME in the background ($viewer),
# returns once the pipeline is PLAYING and its source waits for the block (libshmout watches
# /dev/shm with inotify: a reader started first gets frame 1; 2 s at most for that watch)
start_viewer() {
    run_bg "$1" "$(adapt "$2" "$3")"
    viewer=$bg
    wait_for 15 playing "$1" || return 1
    wait_for 2 watching "$viewer" || :
}
watching() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q inotify; }

# 1. The writer and the viewer. With the writer shortened to 2 s the viewer starts first (its
#    source waits for the block, as after a writer's restart), then the writer runs as written.
if [ -z "$display" ]; then
    skip "writer + '$view_line': no display"
elif [ -n "$writer_line" ] && [ -n "$view_line" ]; then
    name=$(newblock cam1)
    if start_viewer "$T/view.out" "$view_line" "$name"; then
        run_writer "$name" "$T/writer.err"; wrc=$?
        n=$(frames_written "$T/writer.err")
        # it must end by itself at the writer's close: EOS
        wait_for 10 gone "$viewer"; gone=$?
        [ $gone -eq 0 ] || kill -9 "$viewer" 2>/dev/null
        wait "$viewer"; rc=$?
        if [ $wrc -eq 0 ] && [ "${n:-0}" -gt 0 ] && [ $gone -eq 0 ] && [ $rc -eq 0 ] &&
           grep -q 'Got EOS from element' "$T/view.out"; then
            ok "'$(adapt "$writer_line" "$name")' ($n frames) + '$view_line': the viewer ends with status 0 on EOS at the writer's close"
        else
            fail "writer + '$view_line': the viewer ends with status 0 on EOS at the writer's close" \
                "writer status $wrc, $n frames: $(tail -n 3 "$T/writer.err")
viewer gone: $gone, status $rc: $(cat "$T/view.out")"
        fi
    else
        fail "'$view_line' reaches PLAYING" "$(cat "$T/view.out")"
    fi
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

# 1b. What the viewer showed: run again with the writer in the background, and look while it
#     writes: the viewer is attached to the block and has its window, at the block's size.
if [ -n "$display" ] && [ -n "$writer_line" ] && [ -n "$view_line" ]; then
    name=$(newblock cam1)
    if start_viewer "$T/view2.out" "$view_line" "$name"; then
        sh -c "exec $(adapt "$writer_line" "$name")" </dev/null 2>"$T/writer2.err" &
        w=$!
        at_exit "kill -9 $w 2>/dev/null"
        wait_for 5 has_reader "$name"; att=$?
        wait_for 3 window gst-launch-1.0; win=$?
        geo=$(command -v xwininfo >/dev/null && xwininfo -root -tree | grep '"gst-launch-1.0"' | grep -o '[0-9]*x[0-9]*+' | head -n 1)
        wait "$w"
        wait_for 10 gone "$viewer" || kill -9 "$viewer" 2>/dev/null
        wait "$viewer"; rc=$?
        size=$(printf '%s\n' "$writer_line" | grep -o 'size=[0-9]*x[0-9]*' | cut -d= -f2)
        if [ $att -eq 0 ] && [ $win -eq 0 ] && { [ -z "$geo" ] || [ "$geo" = "$size+" ]; } && [ $rc -eq 0 ]; then
            ok "'$view_line' reads the writer's block and shows it in a window (${geo%+})"
        else
            fail "'$view_line' reads the writer's block and shows it in a window" \
                "attached: $att (readers $(readers "$name")), window: $win ($geo, want $size), status $rc: $(cat "$T/view2.out")"
        fi
    else
        fail "'$view_line' reaches PLAYING" "$(cat "$T/view2.out")"
    fi
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

# 2. The lossless recording: started first (it gets frame 1, README "Recording every frame"),
#    then the writer. Every frame the writer wrote is in cam1.mkv, at the writer's size, and
#    frame k is the writer's frame k: JPEG is lossy, so by PSNR against testsrc2's own frame k
#    (about 29 dB here; a frame off by one is about 23 dB).
if ! have_element jpegenc || ! have_element matroskamux; then
    skip "'$lossless_line': jpegenc or matroskamux is not installed (gstreamer1.0-plugins-good)"
elif [ -n "$writer_line" ] && [ -n "$lossless_line" ]; then
    name=$(newblock cam1)
    rec=$(adapt "$lossless_line" "$name")
    mkv=$(printf '%s\n' "$rec" | grep -o 'location=[^ ]*' | cut -d= -f2)
    if start_viewer "$T/rec.out" "$lossless_line" "$name"; then
        run_writer "$name" "$T/writer.err"; wrc=$?
        n=$(frames_written "$T/writer.err")
        wait_for 10 gone "$viewer"; gone=$?
        [ $gone -eq 0 ] || kill -9 "$viewer" 2>/dev/null
        wait "$viewer"; rc=$?
        got=$("$FFPROBE" -v error -count_frames -select_streams v:0 \
              -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$mkv" 2>&1)
        size=$(printf '%s\n' "$writer_line" | grep -o 'size=[0-9]*x[0-9]*' | cut -d= -f2)
        rate=$(printf '%s\n' "$writer_line" | grep -o 'rate=[0-9]*' | cut -d= -f2)
        want="$(echo "$size" | tr x ,),$n"
        if [ $wrc -eq 0 ] && [ "${n:-0}" -gt 0 ] && [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
            ok "'$rec': cam1.mkv has all $n frames the writer wrote, at $size"
        else
            fail "'$rec': cam1.mkv has every frame the writer wrote, at its size" \
                "writer status $wrc, $n frames; recorder gone: $gone, status $rc; ffprobe width,height,frames: '$got', want '$want'
$(tail -n 5 "$T/rec.out")"
        fi
        src=$(printf '%s\n' "$writer_line" | grep -o 'testsrc2=[^ ]*')
        "$FFMPEG" -hide_banner -nostdin -loglevel error -i "$mkv" -f lavfi -i "$src" -lavfi \
            "[0:v]settb=1/$rate,setpts=N,format=yuv420p[a];[1:v]trim=end_frame=${n:-0},settb=1/$rate,setpts=N,format=yuv420p[b];[a][b]psnr=stats_file=$T/psnr.log" \
            -f null - 2>"$T/psnr.err"
        low=$(awk '{ sub("psnr_avg:", "", $6); if ($6 + 0 < 27) print $1, $6 }' "$T/psnr.log" 2>/dev/null | head -n 5)
        cnt=$(wc -l <"$T/psnr.log" 2>/dev/null)
        if [ -s "$T/psnr.log" ] && [ "$cnt" = "$n" ] && [ -z "$low" ]; then
            ok "'$rec': frame k of cam1.mkv is the writer's frame k, for every k (PSNR >= 27 dB)"
        else
            fail "'$rec': frame k of cam1.mkv is the writer's frame k" "$cnt compared, below 27 dB: $low $(cat "$T/psnr.err")"
        fi
    else
        fail "'$lossless_line' reaches PLAYING" "$(cat "$T/rec.out")"
    fi
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

# 3. on-close=wait: the viewer outlives the writer's close, reads the next writer of the name,
#    and ends on Ctrl-C (SIGINT) with status 0 (-e: an EOS, not an error).
if [ -z "$display" ]; then
    skip "'$wait_line': no display"
elif [ -n "$writer_line" ] && [ -n "$wait_line" ]; then
    name=$(newblock cam1)
    if start_viewer "$T/wait.out" "$wait_line" "$name"; then
        run_writer "$name" "$T/writer.err"; w1=$?
        sleep 0.5
        gone "$viewer"; alive1=$?                       # 1: still running
        sh -c "exec $(adapt "$writer_line" "$name")" </dev/null 2>"$T/writer2.err" &
        w=$!
        at_exit "kill -9 $w 2>/dev/null"
        wait_for 5 has_reader "$name"; att=$?
        wait "$w"; w2=$?
        sleep 0.5
        gone "$viewer"; alive2=$?
        kill -INT "$viewer" 2>/dev/null
        wait_for 5 gone "$viewer"; stopped=$?
        [ $stopped -eq 0 ] || kill -9 "$viewer" 2>/dev/null
        wait "$viewer"; rc=$?
        if [ $w1 -eq 0 ] && [ $w2 -eq 0 ] && [ $alive1 -ne 0 ] && [ $att -eq 0 ] && [ $alive2 -ne 0 ] &&
           [ $stopped -eq 0 ] && [ $rc -eq 0 ] && grep -q 'Got EOS from element' "$T/wait.out"; then
            ok "'$wait_line': outlives the writer's close, reads its restart, SIGINT ends it with status 0"
        else
            fail "'$wait_line': outlives the writer's close, reads its restart, SIGINT ends it with status 0" \
                "writers $w1 $w2; running after the first: $alive1, attached to the second: $att, running after it: $alive2; stopped by SIGINT: $stopped, status $rc: $(cat "$T/wait.out")"
        fi
    else
        fail "'$wait_line' reaches PLAYING" "$(cat "$T/wait.out")"
    fi
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

# 4. The live test pattern into a block: an ffmpeg reader gets 30 frames of 1280x720 from it,
#    the README's ffplay shows it, and SIGINT stops the sink with status 0.
if [ -n "$sink_line" ]; then
    name=$(newblock cam1)
    sink=$(adapt "$sink_line" "$name")
    run_bg "$T/sink.out" "$sink"
    sinkpid=$bg
    wsize=$(printf '%s\n' "$sink_line" | sed -n 's/.*width=\([0-9]*\),height=\([0-9]*\).*/\1x\2/p')
    if wait_for 10 block_exists "$name"; then
        timeout 20 "$FFMPEG" -hide_banner -nostdin -f shmin -i "$name" -frames:v 30 \
            -f framemd5 "$T/sink.md5" 2>"$T/sink.err"; rc=$?
        nf=$(framemd5_lines "$T/sink.md5" | wc -l)
        if [ $rc -eq 0 ] && [ "$nf" -eq 30 ] && grep -q "Stream #0:0: Video: .*, $wsize[ ,]" "$T/sink.err"; then
            ok "'$sink': ffmpeg -f shmin -i BLOCK -frames:v 30 gets 30 frames of $wsize"
        else
            fail "'$sink': ffmpeg -f shmin gets 30 frames of $wsize" "status $rc, $nf frames: $(grep -e Stream -e rror "$T/sink.err")"
        fi
        # ffplay, as written, for 2 s
        if [ -z "$display" ]; then
            skip "'$ffplay_line': no display"
        elif [ -z "$ffplay_line" ]; then
            :
        elif [ ! -x "$B/bin/ffplay" ]; then
            skip "'$ffplay_line': ffplay is not built (SDL2's development files)"
        else
            play=$(adapt "$ffplay_line" "$name")
            run_bg "$T/ffplay.out" "$play"
            p=$bg
            wait_for 5 window "$name"; win=$?
            sleep 2
            gone "$p"; alive=$?
            att=1; attached "$p" "$name" && att=0
            geo=$(command -v xwininfo >/dev/null && xwininfo -root -tree | grep "\"$name\"" | grep -o '[0-9]*x[0-9]*+' | head -n 1)
            kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
            errs=$(tr '\r' '\n' <"$T/ffplay.out" | grep -i -e error -e fail -e 'could not' -e invalid)
            if [ $alive -ne 0 ] && [ $win -eq 0 ] && [ $att -eq 0 ] && [ -z "$errs" ] &&
               { [ -z "$geo" ] || [ "$geo" = "$wsize+" ]; }; then
                ok "'$play': still showing the block after 2 s (window ${geo%+}, attached, no error)"
            else
                fail "'$play' shows the block" "running: $alive, window: $win ($geo), attached: $att; $(tr '\r' '\n' <"$T/ffplay.out" | tail -n 8)"
            fi
        fi
    else
        fail "'$sink' creates its block" "$(cat "$T/sink.out")"
    fi
    kill -INT "$sinkpid" 2>/dev/null
    wait_for 5 gone "$sinkpid"; stopped=$?
    [ $stopped -eq 0 ] || kill -9 "$sinkpid" 2>/dev/null
    wait "$sinkpid"; rc=$?
    [ $stopped -eq 0 ] && [ $rc -eq 0 ] && ok "'$sink': SIGINT stops it with status 0" ||
        fail "'$sink': SIGINT stops it with status 0" "stopped: $stopped, status $rc: $(cat "$T/sink.out")"
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

# 5. A file into a block, every frame kept: in.webm made with GStreamer (60 frames of VP8), the
#    README's recorder started first (&), then its pipeline. movie.mkv (lossless FFV1) holds the
#    60 frames of in.webm exactly: framemd5 equal to in.webm decoded by ffmpeg, both yuv420p.
if ! have_element vp8enc || ! have_element webmmux; then
    skip "'$file_line': vp8enc or webmmux is not installed (gstreamer1.0-plugins-good)"
elif [ -n "$recorder_line" ] && [ -n "$file_line" ]; then
    name=$(newblock movie)
    rec=$(adapt "$recorder_line" "$name")
    play=$(adapt "$file_line" "$name")
    webm=$(printf '%s\n' "$play" | grep -o 'location=[^ ]*' | cut -d= -f2)
    mkv=$(printf '%s\n' "$rec" | awk '{ print $NF }')
    if ! out=$(timeout 30 gst-launch-1.0 -q videotestsrc num-buffers=60 ! vp8enc ! webmmux ! filesink location="$webm" 2>&1); then
        fail "in.webm: videotestsrc num-buffers=60 ! vp8enc ! webmmux ! filesink" "$out"
    else
        run_bg "$T/recorder.out" "$rec"
        r=$bg
        timeout 30 sh -c "exec $play" </dev/null >"$T/file.out" 2>&1; prc=$?
        wait_for 10 gone "$r"; gone=$?
        [ $gone -eq 0 ] || kill -9 "$r" 2>/dev/null
        wait "$r"; rrc=$?
        n=$("$FFPROBE" -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$mkv" 2>&1)
        "$FFMPEG" -hide_banner -nostdin -loglevel error -i "$mkv" -pix_fmt yuv420p -f framemd5 "$T/got.md5"
        "$FFMPEG" -hide_banner -nostdin -loglevel error -i "$webm" -pix_fmt yuv420p -f framemd5 "$T/want.md5"
        framemd5_lines "$T/got.md5" | awk '{ print $2, $3 }' >"$T/got.sums"
        framemd5_lines "$T/want.md5" | awk '{ print $2, $3 }' >"$T/want.sums"
        if [ $prc -eq 0 ] && [ $gone -eq 0 ] && [ $rrc -eq 0 ] && [ "$n" = 60 ] &&
           [ "$(wc -l <"$T/want.sums")" -eq 60 ] && cmp -s "$T/got.sums" "$T/want.sums"; then
            ok "'$rec' & '$play': movie.mkv holds the 60 frames of in.webm, framemd5 equal"
        else
            fail "'$rec' & '$play': movie.mkv holds the 60 frames of in.webm, framemd5 equal" \
                "pipeline status $prc, recorder gone $gone status $rrc, movie.mkv frames: $n, in.webm frames: $(wc -l <"$T/want.sums")
$(diff "$T/want.sums" "$T/got.sums" | head -n 6)
$(tail -n 5 "$T/file.out")
$(tr '\r' '\n' <"$T/recorder.out" | grep -v '^ ' | tail -n 5)"
        fi
    fi
    "$SHMOUT_TOOL" rm "$name" >/dev/null 2>&1
fi

finish
