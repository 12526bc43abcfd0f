#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 the shmout authors
#
# obs_source.sh - the OBS source "shmout block" in a real libobs under Xvfb (GPL: obs_test links libobs)
# obs_test (tests/obs/obs_test.c) starts libobs with libobs-opengl on an Xvfb display, loads
# build/lib/obs-plugins/shmout-obs.so, shows a "shmout_source" on output channel 0 and prints
# every frame the video thread takes from it (an async video filter), as "frame WxH FORMAT MD5
# full_range=N min=Y", and "size WxH" when obs_source_get_width/height change. The oracle is
# ffmpeg's -f framemd5 of the same frames in the matching pix_fmt. Writers publish 10 frames a
# second (the realtime filter: bursts frames at the start, and the source, being live and
# unbuffered, shows only the newest frame at each of OBS's 30 fps ticks). Each observed frame
# must be one of the oracle's, in order, and every distinct oracle frame must be seen.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${SHMOUT_TOOL:?}" "${B:?}"

PLUGIN=$B/lib/obs-plugins/shmout-obs.so
OBS_TEST=$T/obs_test
if ! pkg-config --exists libobs glib-2.0 x11 2>/dev/null; then
    skip "OBS source: no libobs/glib/X11 development files (apt-get install libobs-dev libglib2.0-dev libx11-dev)"
    finish; exit
fi
if ! command -v Xvfb >/dev/null 2>&1; then
    skip "OBS source: no Xvfb (apt-get install xvfb)"; finish; exit
fi
if [ ! -f "$PLUGIN" ]; then
    skip "OBS source: $PLUGIN not built (make obs)"; finish; exit
fi
# shellcheck disable=SC2046
if ! out=$(${CC:-cc} -std=gnu11 -Wall -Wextra -O1 -g "$(dirname "$0")/obs_test.c" \
        $(pkg-config --cflags --libs libobs glib-2.0 x11) -o "$OBS_TEST" 2>&1); then
    fail "OBS source: obs_test builds" "$out"; finish; exit
fi

# an X server of our own
Xvfb -displayfd 9 -screen 0 640x480x24 -nolisten tcp 9>"$T/display" 2>"$T/xvfb.err" &
xvfb=$!
at_exit "kill $xvfb 2>/dev/null"
if ! wait_for 10 test -s "$T/display"; then
    skip "OBS source: Xvfb does not start: $(head -3 "$T/xvfb.err")"; finish; exit
fi
DISPLAY=:$(head -1 "$T/display"); export DISPLAY

ff() { "$FFMPEG" -hide_banner -nostdin -loglevel error "$@"; }
blocks="" extra=""
# obs_start NAME SECONDS [FRAMES]: obs_test on local block NAME in the background ($obs_pid),
# its output in $T/NAME.out; returns once the source exists
obs_start() {
    blocks="$blocks $1"
    rm -f "$T/$1.stop"
    OBS_TEST_STOP=$T/$1.stop OBS_TEST_LOG=$T/$1.log "$OBS_TEST" "$PLUGIN" "$1" 1 "$2" ${3:-} >"$T/$1.out" 2>"$T/$1.err" &
    obs_pid=$!
    at_exit "kill $obs_pid 2>/dev/null"
    wait_for 15 grep -qs '^ready' "$T/$1.out"
}
# obs_stop NAME: stop obs_test half a second after the writer's last frame
obs_stop() { sleep 0.5; touch "$T/$1.stop"; wait $obs_pid; }
# oracle FILE ARGS...: md5 of each frame ffmpeg makes of ARGS (input and filters), one a line
oracle() {
    _o=$1; shift
    ff -y "$@" -f framemd5 "$T/oracle.md5" && framemd5_lines "$T/oracle.md5" | awk '{ print $3 }' >"$_o"
}
# compare ORACLE OUT: every frame line of OUT is an oracle frame, in order; every distinct oracle
# frame is seen. Prints a summary; status 0 if so.
compare() {
    grep '^frame ' "$2" | awk '{ print $4 }' | awk -v oracle="$1" '
        BEGIN { while ((getline m < oracle) > 0) { n++; if (!(m in idx)) { idx[m] = n; d++ } } }
        { got++; if (!($1 in idx)) { bad++; next } if (idx[$1] < last) order++; last = idx[$1]
          if (!($1 in seen)) { seen[$1] = 1; s++ } }
        END { printf "%d frames observed, %d of %d distinct oracle frames seen, %d unknown, %d out of order\n",
                     got, s, d, bad, order
              exit !(got > 0 && bad == 0 && order == 0 && s == d) }'
}
formats() { grep '^frame ' "$1" | awk '{ print $2, $3 }' | uniq | tr '\n' ',' | sed 's/,$//'; }
shutdown_ok() { grep -q '^shutdown' "$1" && [ "$(awk '/^shutdown/ { print int($2) }' "$1")" -lt 2000 ]; }

SRC="-f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 20"

# 1. formats OBS has: each frame byte for byte the block's
for pair in rgba:RGBA bgra:BGRA bgr0:BGRX bgr24:BGR3 gray:Y800 nv12:NV12 yuv420p:I420 yuyv422:YUY2 \
        uyvy422:UYVY yuv444p:I444 yuv420p10le:I010 p010le:P010; do
    pf=${pair%%:*} of=${pair#*:}
    name=$(blockname obs)
    oracle "$T/want" $SRC -pix_fmt "$pf"
    if obs_start "$name" 10; then
        ff $SRC -vf realtime -pix_fmt "$pf" -f shmout "$name"
        obs_stop "$name"
        if sum=$(compare "$T/want" "$T/$name.out") && [ "$(formats "$T/$name.out")" = "160x120 $of" ]; then
            ok "$pf block shown as OBS $of, byte-exact: $sum"
        else
            fail "$pf block shown as OBS $of" "$sum; formats $(formats "$T/$name.out"); $(cat "$T/$name.err")"
        fi
    else
        fail "$pf: obs_test starts" "$(cat "$T/$name.err")"
    fi
done

# 2. formats OBS lacks, converted with libswscale; the oracle is ffmpeg's own swscale conversion
for pair in rgb24:rgba:RGBA gbrp:rgba:RGBA yuv444p10le:yuv444p:I444; do
    pf=${pair%%:*} rest=${pair#*:}; to=${rest%%:*} of=${rest#*:}
    name=$(blockname obs)
    oracle "$T/want" $SRC -vf "format=$pf,format=$to"
    if obs_start "$name" 10; then
        ff $SRC -vf realtime -pix_fmt "$pf" -f shmout "$name"
        obs_stop "$name"
        if sum=$(compare "$T/want" "$T/$name.out") && [ "$(formats "$T/$name.out")" = "160x120 $of" ]; then
            ok "$pf block converted to OBS $of, equal to ffmpeg's $pf->$to conversion: $sum"
        else
            fail "$pf block converted to OBS $of" "$sum; formats $(formats "$T/$name.out"); $(cat "$T/$name.err")"
        fi
    else
        fail "$pf: obs_test starts" "$(cat "$T/$name.err")"
    fi
done

# 3. a resize mid-stream: two clips of different sizes (PNG in Matroska carries the size in each
# frame), -noautoscale: the block follows the size; both sizes arrive, byte-exact. Writer paced
# by -re as well (ffmpeg rebuilds its filter graph at the change, restarting realtime's clock),
# and the first clip ends with its last frame twice: libobs drops the frames it has queued but
# not shown when one of another size arrives (its async frame cache is rebuilt), so a frame
# published just before the change may be dropped by libobs itself.
ff -y -f lavfi -i testsrc2=size=160x120:rate=10:duration=1.5 -vf tpad=stop=1:stop_mode=clone -c:v png "$T/a.mkv"
ff -y -f lavfi -i testsrc=size=240x180:rate=10 -frames:v 15 -c:v png "$T/b.mkv"
printf "file '%s'\nfile '%s'\n" "$T/a.mkv" "$T/b.mkv" >"$T/list.txt"
oracle "$T/want" -f concat -safe 0 -i "$T/list.txt" -noautoscale -pix_fmt rgba
name=$(blockname obs)
if obs_start "$name" 12; then
    ff -re -f concat -safe 0 -i "$T/list.txt" -noautoscale -vf realtime -pix_fmt rgba -f shmout "$name"
    obs_stop "$name"
    if sum=$(compare "$T/want" "$T/$name.out") && [ "$(formats "$T/$name.out")" = "160x120 RGBA,240x180 RGBA" ]; then
        ok "resize mid-stream: frames of both sizes ($(formats "$T/$name.out")), byte-exact: $sum"
    else
        fail "resize mid-stream" "$sum; formats $(formats "$T/$name.out"); $(cat "$T/$name.err")"
    fi
else
    fail "resize: obs_test starts" "$(cat "$T/$name.err")"
fi

# 4. a writer restart: the source follows the next writer of the name; in between it shows
# nothing (obs_source_get_width 0, no frame)
name=$(blockname obs)
oracle "$T/want1" $SRC -pix_fmt rgba
oracle "$T/want2" -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 20 -pix_fmt rgba
if obs_start "$name" 15; then
    ff $SRC -vf realtime -pix_fmt rgba -f shmout "$name"
    sleep 1.5
    ff -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 20 -vf realtime -pix_fmt rgba -f shmout "$name"
    obs_stop "$name"
    out=$T/$name.out
    # split the output at the first frame of writer 2
    awk -v w2="$T/want2" 'BEGIN { while ((getline m < w2) > 0) two[m] = 1 }
        /^frame / && ($4 in two) { second = 1 } { print > (second ? "'"$T"'/part2" : "'"$T"'/part1") }' "$out"
    touch "$T/part1" "$T/part2"
    s1=$(compare "$T/want1" "$T/part1"); r1=$?
    s2=$(compare "$T/want2" "$T/part2"); r2=$?
    # after writer 1's last frame: a "size 0x0" and no further frame before writer 2's
    gap=$(awk '/^frame /{ last = NR } END { print last }' "$T/part1")
    cleared=$(awk -v g="${gap:-0}" 'NR > g && /^size 0x0/ { print "yes"; exit }' "$T/part1")
    if [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$cleared" = yes ]; then
        ok "writer restart: writer 1 ($s1), then width 0 and no frame, then writer 2 ($s2)"
    else
        fail "writer restart" "writer 1: $s1; writer 2: $s2; cleared between: ${cleared:-no}; $(grep -v '^frame' "$out" | tr '\n' ' ')"
    fi
    check "the source outputs nothing once the last writer is gone (width 0)" \
        sh -c "grep '^size\|^frame' '$T/part2' | tail -1 | grep -q '^size 0x0'"
else
    fail "restart: obs_test starts" "$(cat "$T/$name.err")"
fi

# 5. colour: limited vs full range yuv420p (block range 1 vs 2) arrives as full_range 0 / 1
for rng in tv:0 pc:1; do
    r=${rng%%:*} want_full=${rng#*:}
    name=$(blockname obs)
    vf=realtime; [ $r = pc ] && vf="scale=out_range=full,realtime"
    if obs_start "$name" 8; then
        ff -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 12 -vf "$vf" -pix_fmt yuv420p \
            -color_range $r -f shmout "$name"
        obs_stop "$name"
        got=$(grep '^frame ' "$T/$name.out" | awk '{ print $5, $6 }' | sort -u | tr '\n' ' ')
        if [ "$want_full" = 1 ]; then exp="full_range=1 min=0.0000 "; else exp="full_range=0 min=0.0627 "; fi
        [ "$got" = "$exp" ] && ok "yuv420p color_range $r: frames carry $got" ||
            fail "yuv420p color_range $r" "got '$got', want '$exp'"
    else
        fail "colour: obs_test starts" "$(cat "$T/$name.err")"
    fi
done

# 6. a block that does not exist: nothing shown, and destroy returns at once while the reader
# waits for the block
name=$(blockname obs)
if obs_start "$name" 1.5; then
    wait $obs_pid
    if ! grep -q '^frame' "$T/$name.out" && ! grep '^size' "$T/$name.out" | grep -qv '^size 0x0' &&
        shutdown_ok "$T/$name.out"; then
        ok "a block that does not exist: no frame, width 0, $(grep '^shutdown' "$T/$name.out")"
    else
        fail "a block that does not exist" "$(cat "$T/$name.out")"
    fi
else
    fail "no block: obs_test starts" "$(cat "$T/$name.err")"
fi

# 7. a block whose writer has closed it before the source starts: its last frame is not shown
name=$(blockname obs)
ff $SRC -pix_fmt rgba -f shmout "$name"
if obs_start "$name" 1.5; then
    wait $obs_pid
    if ! grep -q '^frame' "$T/$name.out" && ! grep '^size' "$T/$name.out" | grep -qv '^size 0x0'; then
        ok "a closed block: its last frame is not shown, width 0"
    else
        fail "a closed block" "$(grep -v '^frame' "$T/$name.out" | tr '\n' ' ') $(grep -c '^frame' "$T/$name.out") frames"
    fi
    check "the properties list the block ($(grep "^list local/$name " "$T/$name.out" | cut -d' ' -f4-))" \
        grep -q "^list local/$name = $name (local) 160x120 rgba, closed" "$T/$name.out"
else
    fail "closed block: obs_test starts" "$(cat "$T/$name.err")"
fi

# 8. changing the block name in the settings (obs_source_update) restarts the reader on the new
# block: two writers at once, the source switched from the first to the second after 2 s
name=$(blockname obs) name2=$(blockname obs)
oracle "$T/want1" -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 40 -pix_fmt rgba
oracle "$T/want2" -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 40 -pix_fmt rgba
extra="$name2"
if OBS_TEST_RENAME="$name2@2" obs_start "$name" 10; then
    ff -f lavfi -i testsrc2=size=160x120:rate=10 -frames:v 40 -vf realtime -pix_fmt rgba -f shmout "$name" &
    w1=$!
    ff -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 40 -vf realtime -pix_fmt rgba -f shmout "$name2"
    wait $w1
    obs_stop "$name"
    out=$T/$name.out
    n1=$(grep '^frame' "$out" | awk '{ print $4 }' | grep -cxFf "$T/want1")
    n2=$(grep '^frame' "$out" | awk '{ print $4 }' | grep -cxFf "$T/want2")
    # no frame of the first block after the first of the second
    late=$(grep '^frame' "$out" | awk -v a="$T/want1" -v b="$T/want2" '
        BEGIN { while ((getline m < a) > 0) one[m] = 1; while ((getline m < b) > 0) two[m] = 1 }
        ($4 in two) { second = 1 } second && ($4 in one) { n++ } END { print n + 0 }')
    if [ "$n1" -ge 10 ] && [ "$n2" -ge 10 ] && [ "$late" = 0 ] && grep -q '^renamed' "$out"; then
        ok "update to another block name: $n1 frames of the first block, then $n2 of the second, none of the first after"
    else
        fail "update to another block name" "first $n1, second $n2, first after second $late; $(grep -v '^frame' "$out" | tr '\n' ' ')"
    fi
else
    fail "rename: obs_test starts" "$(cat "$T/$name.err")"
fi

# 9. hostile blocks (tests/tools/hostile_block): planes smaller or larger than the format at its
# size, read while the block looks alive (libobs and swscale take the pixels by format and size:
# nothing may be shown, no crash), and frames that cannot be read (a corrupt frame geometry, a
# frame announced but never written): no busy loop, the CPU time stays far below the wall time
HB=$T/hostile_block
if ${CC:-cc} -std=c11 -O2 -I"$B/include/shmout" "$(dirname "$0")/../tools/hostile_block.c" \
        "$B/lib/libshmout.a" -pthread -o "$HB" 2>"$T/hb.err"; then
    while read -r c live; do
        name=$(blockname obsh)
        extra="$extra $name"
        "$HB" make "$name" "$c" >/dev/null 2>"$T/hbm.err" || { fail "hostile_block make $c" "$(cat "$T/hbm.err")"; continue; }
        [ "$live" = live ] && "$HB" live "$name" ahead 1500 2500 >/dev/null
        OBS_TEST_LOG=$T/$name.log "$HB" run 15 "$OBS_TEST" "$PLUGIN" "$name" 1 3 >"$T/$name.out" 2>"$T/$name.err"; rc=$?
        cpu=$(sed -n 's/.*cpu \([0-9]*\) ms of \([0-9]*\) ms.*/\1 \2/p' "$T/$name.err")
        if [ $rc -eq 0 ] && ! grep -q '^frame' "$T/$name.out" && shutdown_ok "$T/$name.out" &&
           [ -n "$cpu" ] && [ $((${cpu% *} * 4)) -lt "${cpu#* }" ] &&
           { [ "$live" != live ] || grep -q 'frames cannot be shown' "$T/$name.log"; }; then
            ok "hostile block $c${live:+ (alive)}: nothing shown, no crash, cpu ${cpu% *} of ${cpu#* } ms"
        else
            fail "hostile block $c${live:+ (alive)}: nothing shown, no crash, no busy loop" \
                "status $rc, cpu $cpu: $(grep -v '^frame' "$T/$name.out" | tr '\n' ' ') $(grep -c '^frame' "$T/$name.out") frames; $(cat "$T/$name.err")"
        fi
    done <<'EOF'
layout.gray_small_plane live
layout.long_stride      live
layout.wide_row         live
layout.extra_plane      live
geom.width.0
data.latest_frame.ahead
EOF
else
    fail "build tests/tools/hostile_block.c" "$(cat "$T/hb.err")"
fi

# 10. a name longer than a block name may be (63) is refused, not cut to another block's name
long=$(printf 'n%.0s' $(seq 100))
if obs_start "$long" 1; then
    wait $obs_pid
    ! grep -q '^frame' "$T/$long.out" && grep -q "is not a valid block name" "$T/$long.log" &&
        ok "a 100-character name: refused (logged), nothing shown" ||
        fail "a 100-character name is refused" "$(cat "$T/$long.out") $(grep -i 'shmout' "$T/$long.log")"
else
    fail "long name: obs_test starts" "$(cat "$T/$long.err")"
fi

# every obs_test shut down promptly (the source's destroy joins its reader thread)
slow=""
for n in $blocks; do shutdown_ok "$T/$n.out" || slow="$slow $n($(grep '^shutdown' "$T/$n.out"))"; done
[ -z "$slow" ] && ok "every source destroyed promptly (obs_shutdown < 2 s)" || fail "slow or missing shutdown" "$slow"

for n in $blocks $extra; do "$SHMOUT_TOOL" rm "$n" >/dev/null 2>&1; done
left=$(find /dev/shm -maxdepth 1 -name "shmout.*_$$_*" 2>/dev/null)
[ -z "$left" ] && ok "nothing left in /dev/shm" || fail "left in /dev/shm" "$left"
finish
