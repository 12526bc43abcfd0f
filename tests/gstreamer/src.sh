#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# src.sh: the GStreamer source shmoutsrc, against FFmpeg as the oracle. Frames that ffmpeg
# writes with -f shmout reach an appsink (tests/gstreamer/gst_frames) byte for byte equal to
# ffmpeg's own framemd5 of the same source, in every format family (packed, gray, planar,
# semi-planar, 16-bit) and at an odd size (GStreamer's strides differ from the block's); a size
# change mid-stream renegotiates the caps; on-close=wait follows a second writer, on-close=eos
# ends at the first close; timestamps follow the writer's frame rate; a format GStreamer lacks,
# a missing block, bad property values and hostile blocks give errors, not crashes or hangs;
# a waiting pipeline stops at once on SIGINT; gst-inspect-1.0 documents every property.
# mode=lossless is zero-copy (the pushed buffers are the block's slots, stats say so), byte for
# byte in every format; buffers still held downstream (queue, tee, appsink, held samples, a
# stalled pipeline past the writer's lossless timeout) keep their content; downstream without
# GstVideoMeta on a layout that is not GStreamer's gets copies.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${FFMPEG:?}" "${SHMOUT_TOOL:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)

. "$top/tests/lib/gstreamer.sh"
gst_prepare shmoutsrc gst_frames sink_stats
GF=$T/gst_frames ST=$T/sink_stats

ff() { "$FFMPEG" -hide_banner -nostdin -y -loglevel error "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. Formats, at an odd size: 12 frames of testsrc2 scaled to 33x17 in FORMAT; the writer waits
#    for the reader (-wait_readers 1), the reader is lossless (the writer waits for it).
SRC="testsrc2=size=40x30:rate=25"
for fmt in rgba:RGBA bgra:BGRA gray:GRAY8 yuv420p:I420 nv12:NV12 gray16le:GRAY16_LE rgba64le:RGBA64_LE yuyv422:YUY2; do
    pf=${fmt%%:*} gf=${fmt#*:}
    name=$(newblock f)
    ff -f lavfi -i "$SRC" -frames:v 12 -vf scale=33:17 -pix_fmt "$pf" -f framemd5 "$T/want.md5"
    ff -f lavfi -i "$SRC" -frames:v 12 -vf scale=33:17 -pix_fmt "$pf" -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
    writer=$!
    "$GF" --timeout 10 "shmoutsrc block=$name mode=lossless" >"$T/got.out" 2>"$T/got.err"; rc=$?
    wait $writer
    md5s "$T/want.md5" > "$T/a"; gmd5s "$T/got.out" > "$T/b"
    if [ $rc -eq 0 ] && cmp -s "$T/a" "$T/b" && [ "$(gsizes "$T/got.out")" = "33x17:12" ] &&
       grep -q "^0 33x17 $gf " "$T/got.out" && grep -q '^eos 12$' "$T/got.out"; then
        ok "-pix_fmt $pf 33x17: 12 frames as $gf, byte for byte ffmpeg's framemd5, then EOS"
    else
        fail "-pix_fmt $pf 33x17: 12 frames as $gf, byte for byte ffmpeg's framemd5, then EOS" \
            "status $rc; $(head -3 "$T/got.out"; cat "$T/got.err" "$T/w.err"; diff "$T/a" "$T/b" | head -5)"
    fi
done

# 2. mode=every: a ring of 16 slots holds the 14 frames a fast writer makes, so none is lost.
name=$(newblock ev)
ff -f lavfi -i "$SRC" -frames:v 14 -pix_fmt rgba -f framemd5 "$T/want.md5"
ff -f lavfi -i "$SRC" -frames:v 14 -pix_fmt rgba -f shmout -slots 16 -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$GF" --timeout 10 "shmoutsrc block=$name mode=every" >"$T/got.out" 2>"$T/got.err"; rc=$?
wait $writer
md5s "$T/want.md5" > "$T/a"; gmd5s "$T/got.out" > "$T/b"
[ $rc -eq 0 ] && cmp -s "$T/a" "$T/b" &&
    ok "mode=every: all 14 frames of a 16-slot ring, byte for byte" ||
    fail "mode=every: all 14 frames of a 16-slot ring, byte for byte" "status $rc; $(cat "$T/got.err" "$T/w.err"; diff "$T/a" "$T/b" | head -5)"

# 3. A size change mid-stream: 10 frames of 40x30, then 10 of 33x17 (PNG clips concatenated;
#    -noautoscale makes the block follow the input's size), oracle: ffmpeg's own framemd5.
ff -f lavfi -i testsrc2=size=40x30:rate=25 -frames:v 10 -c:v png "$T/a.mkv"
ff -f lavfi -i testsrc2=size=34x18:rate=25 -frames:v 10 -vf scale=33:17 -c:v png "$T/b.mkv"
printf "file '%s'\nfile '%s'\n" "$T/a.mkv" "$T/b.mkv" > "$T/list.txt"
ff -f concat -safe 0 -i "$T/list.txt" -noautoscale -pix_fmt rgba -f framemd5 "$T/want.md5"
name=$(newblock rs)
ff -f concat -safe 0 -i "$T/list.txt" -noautoscale -pix_fmt rgba -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$GF" --timeout 10 "shmoutsrc block=$name mode=lossless" >"$T/got.out" 2>"$T/got.err"; rc=$?
wait $writer
md5s "$T/want.md5" > "$T/a"; gmd5s "$T/got.out" > "$T/b"
if [ $rc -eq 0 ] && cmp -s "$T/a" "$T/b" && [ "$(gsizes "$T/got.out")" = "40x30:10,33x17:10" ]; then
    ok "size change mid-stream: caps renegotiated, $(gsizes "$T/got.out"), every frame byte for byte"
else
    fail "size change mid-stream: caps renegotiated, every frame byte for byte" \
        "status $rc, sizes $(gsizes "$T/got.out"); $(cat "$T/got.err" "$T/w.err"; diff "$T/a" "$T/b" | head -5)"
fi
# the same on shmout test-writer's resizes (320x240 / 480x360 every 4 frames), mode latest
name=$(newblock tw)
"$GF" --timeout 10 "shmoutsrc block=$name mode=every" >"$T/got.out" 2>"$T/got.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
sleep 0.3
"$SHMOUT_TOOL" test-writer "$name" --width 64 --height 48 --fps 50 --frames 16 --resize-every 4 --slots 8 >/dev/null
wait $reader; rc=$?
[ $rc -eq 0 ] && [ "$(gsizes "$T/got.out")" = "64x48:4,96x72:4,64x48:4,96x72:4" ] &&
    ok "shmout test-writer --resize-every 4: sizes $(gsizes "$T/got.out"), then EOS" ||
    fail "shmout test-writer --resize-every 4: every size reaches GStreamer" "status $rc, sizes $(gsizes "$T/got.out"); $(cat "$T/got.err")"

# 4. A restarted writer. Writer A: 8 frames 40x30, writer B: 8 frames 33x17, one after the other.
ff -f lavfi -i testsrc2=size=40x30:rate=25 -frames:v 8 -pix_fmt rgba -f framemd5 "$T/a.md5"
ff -f lavfi -i testsrc2=size=34x18:rate=25 -frames:v 8 -vf scale=33:17 -pix_fmt rgba -f framemd5 "$T/b.md5"
writer_a() { ff -f lavfi -i testsrc2=size=40x30:rate=25 -frames:v 8 -pix_fmt rgba -f shmout -slots 16 -wait_readers 1 "$1"; }
writer_b() { ff -f lavfi -i testsrc2=size=34x18:rate=25 -frames:v 8 -vf scale=33:17 -pix_fmt rgba -f shmout -slots 16 -wait_readers 1 "$1"; }
name=$(newblock ow)
"$GF" --max 16 --timeout 10 "shmoutsrc block=$name mode=lossless on-close=wait" >"$T/got.out" 2>"$T/got.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
writer_a "$name"; sleep 0.3; writer_b "$name"
wait $reader; rc=$?
{ md5s "$T/a.md5"; md5s "$T/b.md5"; } > "$T/a"; gmd5s "$T/got.out" > "$T/b"
if [ $rc -eq 0 ] && cmp -s "$T/a" "$T/b" && [ "$(gsizes "$T/got.out")" = "40x30:8,33x17:8" ]; then
    ok "on-close=wait: both writers' frames ($(gsizes "$T/got.out")), byte for byte, caps renegotiated"
else
    fail "on-close=wait: both writers' frames, byte for byte" "status $rc, sizes $(gsizes "$T/got.out"); $(cat "$T/got.err"; diff "$T/a" "$T/b" | head -5)"
fi
name=$(newblock oe)
"$GF" --timeout 10 "shmoutsrc block=$name mode=lossless" >"$T/got.out" 2>"$T/got.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
writer_a "$name"
wait_for 3 sh -c "! kill -0 $reader 2>/dev/null"
ended=$?
writer_b "$name" 2>/dev/null &    # nobody reads it: only -wait_readers would block, so a time bound
wb=$!; at_exit "kill $wb 2>/dev/null"
wait $reader; rc=$?
kill $wb 2>/dev/null; wait $wb 2>/dev/null
md5s "$T/a.md5" > "$T/a"; gmd5s "$T/got.out" > "$T/b"
[ $ended -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$T/a" "$T/b" && grep -q '^eos 8$' "$T/got.out" &&
    ok "on-close=eos (default): EOS after the first writer's 8 frames" ||
    fail "on-close=eos (default): EOS after the first writer's 8 frames" "ended $ended status $rc; $(tail -2 "$T/got.out"; cat "$T/got.err")"

# 5. Timestamps: a writer at its input's rate (-re, RATE fps), a viewer-like reader (mode latest).
#    PTS must increase and be spaced 1/RATE apart (within 15 ms), the caps carry the rate.
RATE=25
name=$(newblock ts)
ff -re -f lavfi -i testsrc2=size=64x48:rate=$RATE -frames:v 40 -pix_fmt rgba -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$GF" --timeout 10 "shmoutsrc block=$name" >"$T/got.out" 2>"$T/got.err"; rc=$?
wait $writer
# -re may send the first frames in a burst (ffmpeg's -readrate_initial_burst): judge the last 25
awk '$1 != "eos" { print $4 }' "$T/got.out" | tail -n 25 > "$T/pts"
bad=$(awk -v rate=$RATE 'NR > 1 { d = ($1 - p) / 1e6; want = 1000 / rate
        if ($1 <= p || d < want - 15 || d > want + 15) printf "%d: %.1f ms (want %.1f); ", NR, d, want }
        { p = $1 }' "$T/pts")
if [ $rc -eq 0 ] && [ "$(wc -l < "$T/pts")" -eq 25 ] && [ -z "$bad" ] && ! grep -q ' none ' "$T/got.out"; then
    ok "timestamps: increasing, spaced 1/$RATE s (±15 ms) like the writer's frames"
else
    fail "timestamps: increasing, spaced 1/$RATE s (±15 ms)" "status $rc, $(wc -l < "$T/pts") frames: $bad $(cat "$T/got.err")"
fi
# the first PTS is near the running time the frame was published at: within 100 ms of 0 for a
# pipeline that started right before the writer's first frame
first=$(awk 'NR == 1 { print $4 }' "$T/got.out")
[ -n "$first" ] && [ "$first" != none ] && [ "$first" -lt 500000000 ] &&
    ok "timestamps: running time of the publish (first PTS $((first / 1000000)) ms)" ||
    fail "timestamps: running time of the publish" "first PTS $first"
name=$(newblock fr)
ff -f lavfi -i testsrc2=size=32x24:rate=30000/1001 -frames:v 20 -pix_fmt rgba -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
timeout 10 gst-launch-1.0 -v shmoutsrc block=$name mode=lossless ! fakesink >"$T/v.out" 2>&1; rc=$?
wait $writer
grep -q 'caps = video/x-raw, format=(string)RGBA, width=(int)32, height=(int)24.*framerate=(fraction)30000/1001' "$T/v.out" && [ $rc -eq 0 ] &&
    ok "caps from the block: RGBA 32x24, framerate 30000/1001 from the frames' durations" ||
    fail "caps from the block: framerate from the frames' durations" "status $rc: $(grep caps "$T/v.out" | head -3)"

# 6. Errors. A format GStreamer has no equivalent for.
for pf in grayf32le ya8; do
    name=$(newblock nf)
    ff -f lavfi -i "$SRC" -frames:v 5 -pix_fmt $pf -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
    writer=$!
    at_exit "kill $writer 2>/dev/null"
    "$GF" --timeout 10 "shmoutsrc block=$name" >"$T/got.out" 2>"$T/got.err"; rc=$?
    wait $writer
    [ $rc -eq 1 ] && grep -q "pixel format '$pf'.*GStreamer has no format" "$T/got.err" &&
        ok "-pix_fmt $pf: error naming the format ($(head -c 120 "$T/got.err")...)" ||
        fail "-pix_fmt $pf: error naming the format" "status $rc: $(cat "$T/got.err")"
done
# A block nobody writes, timeout=500: an error naming it, after about 0.5 s.
name=$(newblock none)
t0=$(now_ms)
"$GF" --timeout 10 "shmoutsrc block=$name timeout=500" >"$T/got.out" 2>"$T/got.err"; rc=$?
dt=$(($(now_ms) - t0))
[ $rc -eq 1 ] && grep -q "no writer created block '$name' (local memory) within 500 ms" "$T/got.err" && [ $dt -lt 1500 ] &&
    ok "missing block, timeout=500: error naming it after $dt ms" ||
    fail "missing block, timeout=500: error naming it within ~1 s" "status $rc after $dt ms: $(cat "$T/got.err")"
name=$(newblock none)
t0=$(now_ms)
"$GF" --timeout 10 "shmoutsrc name=$name memtype=global timeout=300" >"$T/got.out" 2>"$T/got.err"; rc=$?
dt=$(($(now_ms) - t0))
[ $rc -eq 1 ] && grep -q "no writer created block '$name' (global memory) within 300 ms" "$T/got.err" && [ $dt -lt 1300 ] &&
    ok "name=NAME is the block name; memtype=global named in the error ($dt ms)" ||
    fail "name=NAME is the block name; memtype=global named in the error" "status $rc after $dt ms: $(cat "$T/got.err")"
# memtype=auto finds a global block (no local one of the name).
name=$(newblock ga)
ff -f lavfi -i "$SRC" -frames:v 6 -pix_fmt rgba -f shmout -memtype global -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$GF" --timeout 10 "shmoutsrc block=$name memtype=auto mode=lossless" >"$T/got.out" 2>"$T/got.err"; rc=$?
wait $writer
[ $rc -eq 0 ] && grep -q '^eos 6$' "$T/got.out" &&
    ok "memtype=auto: reads the global block (6 frames)" ||
    fail "memtype=auto: reads the global block" "status $rc: $(cat "$T/got.err" "$T/w.err")"
"$SHMOUT_TOOL" rm "$name" --memtype global --force >/dev/null 2>&1
# Bad property values.
badprop() {   # DESC PATTERN PROPS...
    _d=$1 _p=$2; shift 2
    timeout 10 gst-launch-1.0 shmoutsrc "$@" ! fakesink >"$T/bp.out" 2>&1; _rc=$?
    [ $_rc -ne 0 ] && [ $_rc -ne 124 ] && { [ $_rc -lt 128 ] || [ $_rc -eq 255 ]; } && grep -Eq "$_p" "$T/bp.out" &&
        ok "bad value: $_d" || fail "bad value: $_d" "status $_rc: $(cat "$T/bp.out")"
}
badprop "mode=fastest" 'could not set property "mode".*fastest|mode.*fastest' mode=fastest
badprop "memtype=shared" 'could not set property "memtype".*shared|memtype.*shared' memtype=shared
badprop "on-close=restart" 'could not set property "on-close".*restart|on-close.*restart' on-close=restart
badprop "timeout=-5" 'timeout' timeout=-5
badprop "block=../etc" "'\.\./etc' is not a valid block name" block=../etc

# 7. Hostile blocks (tests/tools/hostile_block): errors naming the problem, no crash, no hang;
#    the valid copy gives its frame 1 and EOS (its writer is gone).
HB=$T/hostile_block
if ${CC:-cc} -std=c11 -O2 -I"$B/include/shmout" "$top/tests/tools/hostile_block.c" \
        "$B/lib/libshmout.a" -pthread -o "$HB" 2>"$T/hb.err"; then
    while read -r c want pat; do
        name=$(newblock hb)
        "$HB" make "$name" "$c" >/dev/null 2>"$T/hbm.err" || { fail "hostile_block make $c" "$(cat "$T/hbm.err")"; continue; }
        "$HB" run 10 "$GF" --timeout 5 "shmoutsrc block=$name timeout=1000" >"$T/got.out" 2>"$T/got.err"; rc=$?
        why=
        if [ $rc -eq 124 ]; then why="hangs"
        elif [ $rc -ge 128 ]; then why="killed by a signal"
        elif [ "$want" = V ]; then
            [ $rc -eq 0 ] && grep -q '^0 16x8 RGBA ' "$T/got.out" && grep -q '^eos 1$' "$T/got.out" || why="does not give frame 1 then EOS"
        elif [ $rc -ne 1 ] || ! grep -Eiq "$pat" "$T/got.err"; then why="no error matching '$pat'"
        fi
        [ -z "$why" ] && ok "hostile block $c: $( [ "$want" = V ] && echo "frame 1, EOS" || echo "error: $(grep -o 'error from.*' "$T/got.err" | head -1 | cut -c1-110)")" ||
            fail "hostile block $c: $why" "status $rc: $(cat "$T/got.out" "$T/got.err")"
    done <<'EOF'
valid                   V
prim.random             I  not a shmout block|magic
prim.magic              I  magic
prim.version_major      I  major
data.random             I  data object.*magic
data.slot_count.0       I  slot_count
geom.width.0            I  size 0x8
geom.nb_planes.5        I  plane count|nb_planes
geom.frame_bytes.huge   I  18446744073709551615
data.latest_frame.ahead I  kept overwriting|no intact frame
layout.wide_row         I  does not fit|planes
layout.long_stride      I  does not fit the format
layout.gray_small_plane I  does not fit the format
layout.extra_plane      I  planes|no format for
EOF
    # a hostile live writer: scribbling on the headers while they are read (flip), announcing a
    # hostile data object (swap) or a frame it never writes (ahead); any outcome but a crash,
    # a hang or a busy loop
    for act in flip swap ahead; do
        name=$(newblock hl)
        "$HB" make "$name" valid >/dev/null 2>&1
        if [ $act = flip ]; then "$HB" flip "$name" 1500 >/dev/null; else "$HB" live "$name" $act 300 1200 >/dev/null; fi
        "$HB" run 10 "$GF" --timeout 4 "shmoutsrc block=$name timeout=1000" >"$T/got.out" 2>"$T/got.err"; rc=$?
        cpu=$(sed -n 's/.*cpu \([0-9]*\) ms of \([0-9]*\) ms.*/\1 \2/p' "$T/got.err")
        if [ $rc -ne 124 ] && [ $rc -lt 128 ] && [ -n "$cpu" ] && [ $((${cpu% *} * 2)) -lt "$((${cpu#* } + 100))" ]; then
            ok "hostile live writer ($act): status $rc, no crash, no hang, cpu ${cpu% *} of ${cpu#* } ms ($(grep -o 'error from.*' "$T/got.err" | head -1 | cut -c1-90))"
        else
            fail "hostile live writer ($act): no crash, no hang, no busy loop" "status $rc cpu $cpu: $(cat "$T/got.out" "$T/got.err")"
        fi
    done
else
    fail "build tests/tools/hostile_block.c" "$(cat "$T/hb.err")"
fi

# 8. Stopping: gst-launch-1.0 -e waiting (for a block that never comes, and for the next frame of
#    a live writer) ends within 0.5 s of SIGINT.
stop_case() {   # DESC PIPELINE-ARGS...
    _d=$1; shift
    gst-launch-1.0 -e "$@" >"$T/stop.out" 2>&1 &
    _g=$!
    at_exit "kill -9 $_g 2>/dev/null"
    sleep 1
    _t0=$(now_ms); kill -INT $_g
    wait_for 3 sh -c "! kill -0 $_g 2>/dev/null"; _r=$?
    _dt=$(($(now_ms) - _t0))
    wait $_g; _rc=$?
    [ $_r -eq 0 ] && [ $_dt -lt 500 ] && [ $_rc -eq 0 ] &&
        ok "SIGINT while waiting $_d: gst-launch-1.0 -e ends in $_dt ms" ||
        fail "SIGINT while waiting $_d: gst-launch-1.0 -e ends promptly" "gone $_r after $_dt ms, status $_rc: $(cat "$T/stop.out")"
}
name=$(newblock st)
stop_case "for a block" shmoutsrc block=$name timeout=-1 ! fakesink
name=$(newblock st)
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 30 --frames 2 --hold >/dev/null 2>&1 &
tw=$!
at_exit "kill $tw 2>/dev/null"
wait_for 3 block_exists "$name"
stop_case "for the next frame of a live writer" shmoutsrc block=$name ! fakesink
kill $tw 2>/dev/null; wait $tw 2>/dev/null
name=$(newblock st)
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 30 --frames 2 >/dev/null 2>&1 &
tw=$!
stop_case "for the next writer (on-close=wait)" shmoutsrc block=$name on-close=wait ! fakesink
wait $tw 2>/dev/null

# 8b. Zero copy in mode=lossless. stat KEY FILE: a shmoutsrc stats value (--stats of gst_frames,
#     or sink_stats' line).
stat() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p" | head -1; }
# every received frame is one of the writer's, in order (frames an evicted reader lost aside)
subseq() { awk 'NR == FNR { want[n++] = $0; next } { while (i < n && want[i] != $0) i++; if (i++ >= n) bad = 1 } END { exit bad }' "$1" "$2"; }
# zc_case DESC PIXFMT FRAMES WRITER_OPTS GST_FRAMES_OPTS READER_TAIL MATCH: ffmpeg writes FRAMES of
# testsrc2 at 33x17 in PIXFMT, gst_frames reads "shmoutsrc ... mode=lossless READER_TAIL"; passes if
# the frames are ffmpeg's framemd5 byte for byte (MATCH subseq: each frame received is one of
# ffmpeg's, in order) and the shell condition $_check_expr holds (on $zc, $cp, $de, $wd, $fr:
# zero-copy, copied, detached, watchdog-detached, frames).
zc_case() {
    _d=$1 _pf=$2 _n=$3 _wo=$4 _go=$5 _tail=$6 _check=$7
    name=$(newblock zc)
    ff -f lavfi -i "$SRC" -frames:v "$_n" -vf scale=33:17 -pix_fmt "$_pf" -f framemd5 "$T/want.md5"
    # shellcheck disable=SC2086
    ff -f lavfi -i "$SRC" -frames:v "$_n" -vf scale=33:17 -pix_fmt "$_pf" -f shmout -wait_readers 1 $_wo "$name" 2>"$T/w.err" &
    writer=$!
    rm -f "$T/zc.stats"
    # shellcheck disable=SC2086
    "$GF" --timeout 10 --stats "$T/zc.stats" $_go "shmoutsrc block=$name mode=lossless $_tail" >"$T/got.out" 2>"$T/got.err"; rc=$?
    wait $writer
    md5s "$T/want.md5" > "$T/a"; gmd5s "$T/got.out" > "$T/b"
    zc=$(stat zero-copy "$T/zc.stats") cp=$(stat copied "$T/zc.stats") de=$(stat detached "$T/zc.stats")
    wd=$(stat watchdog-detached "$T/zc.stats") fr=$(stat frames "$T/zc.stats")
    if [ $rc -eq 0 ] && [ -n "$fr" ] && { [ "$_check" = subseq ] && subseq "$T/a" "$T/b" ||
       cmp -s "$T/a" "$T/b"; } && eval "$_check_expr"; then
        ok "$_d ($(cat "$T/zc.stats" | cut -d' ' -f2-))"
    else
        fail "$_d" "status $rc; stats $(cat "$T/zc.stats" 2>/dev/null); $(head -3 "$T/got.err" "$T/w.err"; diff "$T/a" "$T/b" | head -5)"
    fi
}
# formats at an odd size, downstream taking GstVideoMeta (the block's strides): every frame zero-copy
for pf in rgba yuv420p nv12 gray16le yuyv422; do
    _check_expr='[ "$zc" = 12 ] && [ "$cp" = 0 ] && [ "$fr" = 12 ]'
    zc_case "lossless zero copy, -pix_fmt $pf 33x17 with GstVideoMeta: zero-copy = frames = 12, copied 0, byte for byte" \
        "$pf" 12 "" "--video-meta" "" x
done
# no GstVideoMeta downstream: a block in GStreamer's own layout (rgba 33x17) still zero-copy; one
# whose strides differ (yuv420p 33x17: ffmpeg's) is copied, byte for byte
_check_expr='[ "$zc" = 12 ] && [ "$cp" = 0 ]'
zc_case "lossless, no GstVideoMeta downstream, rgba 33x17 (GStreamer's layout): zero copy" rgba 12 "" "" "" x
_check_expr='[ "$zc" = 0 ] && [ "$cp" = 12 ]'
zc_case "lossless, no GstVideoMeta downstream, yuv420p 33x17 (other strides): copied, byte for byte" yuv420p 12 "" "" "" x
# holders that outlive the next frame: each is detached (copied off the slot) when the frame is
# given back, its holders see the same bytes; held samples are checked again when released.
# (A frame already half the writer's lossless timeout old when it is taken is copied instead,
# by design: on a loaded machine a slow consumer makes some. Every frame is one or the other.)
_check_expr='[ $((zc + cp)) = 30 ] && [ "$zc" -gt 0 ] && [ "$de" -gt 0 ]'
zc_case "lossless zero copy, queue max-size-buffers=5 before a slow element (identity sleep-time=10 ms): detached, byte for byte" \
    nv12 30 "" "--video-meta" "! queue max-size-buffers=5 ! identity sleep-time=10000" x
zc_case "lossless zero copy, tee: fakesink (last sample) and the appsink, both through queues: byte for byte" \
    rgba 30 "" "" "! tee name=t t. ! queue ! fakesink sync=false t. ! queue" x
zc_case "lossless zero copy, appsink holding its last 6 samples (the 3-slot ring laps them) while pulling slowly: unchanged when released" \
    yuv420p 30 "-slots 3" "--video-meta --hold 6 --sleep 15" "" x
# a pipeline stalled past the writer's lossless timeout (300 ms; the appsink takes one sample at a
# time, pulled every 700 ms): the watchdog detaches the held frame at half the timeout, so held
# samples keep their content; the writer evicts the slow reader (frames lost), never tears a frame
_check_expr='[ "$wd" -gt 0 ]'
zc_case "lossless, stalled 700 ms per frame past a 300 ms lossless timeout: watchdog detaches, held samples unchanged, no torn frame" \
    nv12 8 "-lossless_timeout 0.3" "--video-meta --hold 3 --sleep 700 --appsink max-buffers=1" "" subseq
# pure zero copy: fakesink keeping nothing, no buffer ever detached
name=$(newblock zc)
ff -f lavfi -i "$SRC" -frames:v 20 -pix_fmt rgba -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$ST" --timeout 10 "shmoutsrc name=r block=$name mode=lossless ! fakesink enable-last-sample=false" >"$T/st.out" 2>&1; rc=$?
wait $writer
l=$(grep '^r ' "$T/st.out")
[ $rc -eq 0 ] && [ "$l" = "r frames=20 zero-copy=20 copied=0 detached=0 watchdog-detached=0" ] &&
    ok "lossless into fakesink enable-last-sample=false: $l" ||
    fail "lossless into fakesink: every frame zero-copy, none detached" "status $rc; $(cat "$T/st.out")"
# a buffer kept MAPPED downstream (1.5 s, behind a queue) cannot be detached: after the bounded
# wait (500 ms) an element error, not a torn frame nor a hang; the pipeline stops cleanly. The
# writer goes at 25 frames/s (realtime: -re would send its first half second at once), so that
# the queue's thread has mapped the first slot buffer before the next frame makes shmoutsrc give
# it back (unmapped, it would just be detached).
name=$(newblock zc)
ff -f lavfi -i "$SRC,realtime" -frames:v 20 -pix_fmt rgba -f shmout -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
t0=$(now_ms)
"$GF" --timeout 3 --map-first 1500 "shmoutsrc block=$name mode=lossless ! queue" >"$T/got.out" 2>"$T/got.err"; rc=$?
t1=$(now_ms)
wait $writer
[ $rc -eq 1 ] && grep -q "stays mapped downstream" "$T/got.err" && [ $((t1 - t0)) -lt 8000 ] &&
    ok "lossless, a pushed buffer kept mapped 1.5 s downstream: element error after the bounded wait ($((t1 - t0)) ms in all)" ||
    fail "lossless, a pushed buffer kept mapped downstream: element error" "status $rc, $((t1 - t0)) ms; $(head -3 "$T/got.err")"
# mode=every keeps copying
name=$(newblock zc)
ff -f lavfi -i "$SRC" -frames:v 10 -pix_fmt rgba -f shmout -slots 16 -wait_readers 1 "$name" 2>"$T/w.err" &
writer=$!
"$ST" --timeout 10 "shmoutsrc name=r block=$name mode=every ! fakesink" >"$T/st.out" 2>&1; rc=$?
wait $writer
l=$(grep '^r ' "$T/st.out")
[ $rc -eq 0 ] && [ "$l" = "r frames=10 zero-copy=0 copied=10 detached=0 watchdog-detached=0" ] &&
    ok "mode=every copies: $l" || fail "mode=every copies" "status $rc; $(cat "$T/st.out")"

# 9. gst-inspect-1.0 lists every property with its help.
miss=
for p in "block *: Name of the shmout block" "memtype *: Where the block is" "mode *: Which frames" \
         "timeout *: Milliseconds to wait" "on-close *: When the writer closes" "stats *: Frames pushed" \
         '\(1\): local' '\(2\): global' '\(0\): auto' '\(0\): latest' '\(1\): every' '\(2\): lossless' \
         '\(0\): eos' '\(1\): wait'; do
    grep -Eq "$p" "$T/inspect.out" || miss="$miss [$p]"
done
[ -z "$miss" ] && ok "gst-inspect-1.0 shmoutsrc: every property, its help and the enum names" ||
    fail "gst-inspect-1.0 shmoutsrc: every property and its help" "missing:$miss"

# 10. Nothing left: the blocks the writers left (primary and wait objects) removed by name.
remove_blocks
left=$(left_blocks)
[ -z "$left" ] && ok "nothing left in /dev/shm" || fail "nothing left in /dev/shm" "$left"
finish
