#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# sink.sh: the GStreamer sink shmoutsink, against FFmpeg's shmin as the reader. Frames that
# videotestsrc sends through shmoutsink reach ffmpeg -f shmin -mode lossless byte for byte equal
# to the same pipeline's frames at an appsink (tests/gstreamer/gst_frames: same bytes as
# framemd5), in packed, gray, planar, semi-planar and 16-bit formats at an odd size (GStreamer's
# strides are not tight rows); a size change mid-stream reaches the reader at both sizes;
# videotestsrc's buffers come from the sink's pool and are published without a copy (stats
# zero-copy), an upstream that ignores the pool is copied, still exactly; videorate, tee and
# queue neither deadlock nor corrupt; bad properties and a block in use give errors, not
# crashes; a reader with -onclose wait follows a second run of the sink; nothing is left behind.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${FFMPEG:?}" "${SHMOUT_TOOL:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)

. "$top/tests/lib/gstreamer.sh"
gst_prepare shmoutsink gst_frames sink_stats sink_hold
GF=$T/gst_frames ST=$T/sink_stats

fsizes() { framemd5_lines "$1" | awk '{ print $2 }' | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }'; }
# reader NAME OUT [ARGS]: a lossless ffmpeg reader of block NAME in the background ($reader)
reader() {
    _rn=$1 _ro=$2; shift 2
    "$FFMPEG" -hide_banner -nostdin -y -loglevel error -f shmin -mode lossless -timeout 20 "$@" \
        -i "$_rn" -noautoscale -f framemd5 "$_ro" 2>"$_ro.err" &
    reader=$!
    at_exit "kill $reader 2>/dev/null"
}
# through SRC NAME: the frames of "SRC ! shmoutsink" as ffmpeg reads them ($T/got.md5) and as the
# appsink sees them ($T/want.txt); 0 if they are the same frames, byte for byte, in order
through() {
    _src=$1 _n=$2
    "$GF" "$_src" >"$T/want.txt" 2>"$T/want.err" || return 1
    reader "$_n" "$T/got.md5"
    gst-launch-1.0 -q $_src ! shmoutsink block="$_n" wait-readers=1 sync=false \
        >"$T/sink.out" 2>&1 || { cat "$T/sink.out"; return 1; }
    wait "$reader" || { cat "$T/got.md5.err"; return 1; }
    md5s "$T/got.md5" >"$T/got.lines"
    gmd5s "$T/want.txt" >"$T/want.lines"
    [ -s "$T/want.lines" ] && cmp -s "$T/got.lines" "$T/want.lines" || {
        echo "ffmpeg read $(wc -l <"$T/got.lines") frames, the appsink got $(wc -l <"$T/want.lines"); first differing:"
        diff "$T/got.lines" "$T/want.lines" | head -n 4
        return 1
    }
}

# 1. Formats at an odd size: 12 moving frames, the sink waits for the reader, which is lossless.
for f in rgba:RGBA bgra:BGRA gray:GRAY8 yuv420p:I420 nv12:NV12 gray16le:GRAY16_LE rgba64le:RGBA64_LE; do
    ff=${f%%:*} gf=${f#*:}
    name=$(newblock fmt)
    src="videotestsrc num-buffers=12 pattern=ball ! video/x-raw,format=$gf,width=33,height=17"
    if out=$(through "$src" "$name" 2>&1) && [ "$(wc -l <"$T/got.lines")" -eq 12 ]; then
        ok "$gf 33x17 through shmoutsink: ffmpeg -f shmin reads all 12 frames as $ff, byte for byte"
    else
        fail "$gf 33x17 through shmoutsink: byte-exact frames" "$out"
    fi
done

# 2. A size change mid-stream (concat of 48x20 and 64x36 segments): the block follows the caps,
#    ffmpeg reads 6 frames at each size, byte for byte.
name=$(newblock resize)
src="videotestsrc num-buffers=6 pattern=ball ! video/x-raw,format=RGBA,width=48,height=20 ! c. videotestsrc num-buffers=6 pattern=ball ! video/x-raw,format=RGBA,width=64,height=36 ! c. concat name=c ! video/x-raw,format=RGBA"
if out=$(through "$src" "$name" 2>&1) && [ "$(fsizes "$T/got.md5")" = "3840:6,9216:6" ] &&
   [ "$(gsizes "$T/want.txt")" = "48x20:6,64x36:6" ]; then
    ok "a caps change mid-stream: the reader follows, 6 frames of 48x20 then 6 of 64x36, byte for byte"
else
    fail "a caps change mid-stream" "$out
got sizes: $(fsizes "$T/got.md5" 2>/dev/null) want: $(gsizes "$T/want.txt")"
fi

# 3. Zero copy: videotestsrc fills the slots of the sink's pool, nothing is copied.
stats() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/stats.out"; }
name=$(newblock zc)
for fmt in RGBA I420 NV12; do
    if "$ST" "videotestsrc num-buffers=20 ! video/x-raw,format=$fmt,width=33,height=17 ! shmoutsink block=$name sync=false" \
        >"$T/stats.out" 2>&1 && [ "$(stats zero-copy)" = 20 ] && [ "$(stats copied)" = 0 ] &&
        [ "$(stats published)" = 20 ]; then
        ok "videotestsrc ! shmoutsink ($fmt): 20 frames published zero-copy from the pool, none copied"
    else
        fail "zero copy ($fmt): stats zero-copy=20 copied=0" "$(cat "$T/stats.out")"
    fi
done
# ... also while a lossless reader reads them, byte for byte
name=$(newblock zcread)
src="videotestsrc num-buffers=15 pattern=ball ! video/x-raw,format=I420,width=33,height=17"
"$GF" "$src" >"$T/want.txt" 2>/dev/null
reader "$name" "$T/got.md5"
"$ST" "$src ! shmoutsink block=$name wait-readers=1 sync=false" >"$T/stats.out" 2>&1
wait "$reader"
md5s "$T/got.md5" >"$T/got.lines"; gmd5s "$T/want.txt" >"$T/want.lines"
if cmp -s "$T/got.lines" "$T/want.lines" && [ "$(wc -l <"$T/got.lines")" = 15 ] &&
   [ "$(stats zero-copy)" -ge 14 ]; then
    ok "zero-copy frames read by ffmpeg: 15 of 15 byte for byte ($(stats zero-copy) zero-copy, the first one copied while waiting for the reader)"
else
    fail "zero-copy frames read by ffmpeg" "$(cat "$T/stats.out"; diff "$T/got.lines" "$T/want.lines" | head -5)"
fi

# ... without block=, the element's name is the block name
name=$(newblock named)
if "$ST" "videotestsrc num-buffers=3 ! shmoutsink name=$name sync=false" >"$T/stats.out" 2>&1 &&
   block_exists "$name" && [ "$(stats published)" = 3 ]; then
    ok "shmoutsink name=NAME (no block property) writes block NAME"
else
    fail "the element's name is the default block name" "$(cat "$T/stats.out")"
fi
# wait-readers with no reader: a warning at wait-readers-timeout, then the frames are published
name=$(newblock noreader)
t0=$(date +%s%N)
out=$(timeout 20 gst-launch-1.0 videotestsrc num-buffers=4 ! shmoutsink block=$name wait-readers=1 wait-readers-timeout=300 sync=false 2>&1); rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
"$ST" "videotestsrc num-buffers=4 ! shmoutsink block=$name wait-readers=1 wait-readers-timeout=300 sync=false" >"$T/stats.out" 2>&1
frames=$(stats published)
if [ $rc -eq 0 ] && [ $ms -ge 300 ] && echo "$out" | grep -q "WARNING.*wait-readers=1: 0 of 1 readers" && [ "$frames" = 4 ]; then
    ok "wait-readers=1 wait-readers-timeout=300 without a reader: a warning after ${ms} ms, then 4 frames published"
else
    fail "wait-readers timeout: warning and go on" "rc=$rc ms=$ms frames=$frames $out"
fi

# 4. An upstream that ignores the pool (a raw file through rawvideoparse): every frame copied,
#    byte for byte; GStreamer's I420 rows at 33 pixels are padded (36, 20, 20).
gst-launch-1.0 -q videotestsrc num-buffers=10 pattern=ball ! video/x-raw,format=I420,width=33,height=17,framerate=25/1 ! \
    filesink location="$T/raw.i420" >/dev/null 2>&1
name=$(newblock copy)
src="filesrc location=$T/raw.i420 blocksize=1020 ! rawvideoparse format=i420 width=33 height=17 framerate=25/1"
"$GF" "$src" >"$T/want.txt" 2>/dev/null
reader "$name" "$T/got.md5"
"$ST" "$src ! shmoutsink block=$name wait-readers=1 sync=false" >"$T/stats.out" 2>&1
wait "$reader"
md5s "$T/got.md5" >"$T/got.lines"; gmd5s "$T/want.txt" >"$T/want.lines"
if cmp -s "$T/got.lines" "$T/want.lines" && [ "$(wc -l <"$T/got.lines")" = 10 ] &&
   [ "$(stats copied)" = 10 ] && [ "$(stats zero-copy)" = 0 ]; then
    ok "filesrc ! rawvideoparse ! shmoutsink: 10 frames copied (not from the pool), byte for byte"
else
    fail "an upstream without the pool is copied exactly" "$(cat "$T/stats.out"; diff "$T/got.lines" "$T/want.lines" | head -5)"
fi

# 5. Pipelines that hold the sink's buffers: videorate duplicating (10 -> 30 fps), a tee with
#    two sinks, a queue. Each ends (no deadlock) with exact frames.
check_pipe() {   # DESC SRC TAIL(after shmoutsink's source part) N
    _d=$1 _src=$2 _n=$4
    name=$(newblock pipe)
    "$GF" "$_src" >"$T/want.txt" 2>/dev/null
    reader "$name" "$T/got.md5"
    _tail=$(echo "$3" | sed "s/BLOCK/$name/g")
    timeout 30 "$ST" "$_src ! $_tail" >"$T/stats.out" 2>&1
    _rc=$?
    wait "$reader"
    md5s "$T/got.md5" >"$T/got.lines"; gmd5s "$T/want.txt" >"$T/want.lines"
    if [ $_rc -eq 0 ] && cmp -s "$T/got.lines" "$T/want.lines" && [ "$(wc -l <"$T/got.lines")" = "$_n" ]; then
        ok "$_d: ends, $_n frames byte for byte ($(grep "$name\|^s " "$T/stats.out" | head -1 | cut -d' ' -f2-))"
    else
        fail "$_d" "rc=$_rc $(cat "$T/stats.out"; diff "$T/got.lines" "$T/want.lines" | head -5)"
    fi
}
check_pipe "videorate duplicating 10 -> 30 fps" \
    "videotestsrc num-buffers=10 pattern=ball ! video/x-raw,format=RGBA,width=33,height=17,framerate=10/1 ! videorate ! video/x-raw,framerate=30/1" \
    "shmoutsink name=s block=BLOCK wait-readers=1 sync=false" 27
check_pipe "tee with shmoutsink and a fakesink" \
    "videotestsrc num-buffers=20 pattern=ball ! video/x-raw,format=NV12,width=33,height=17 ! tee name=t ! queue" \
    "shmoutsink name=s block=BLOCK wait-readers=1 sync=false t. ! queue ! fakesink sync=false" 20
check_pipe "queue before shmoutsink (upstream runs ahead)" \
    "videotestsrc num-buffers=30 pattern=ball ! video/x-raw,format=I420,width=33,height=17 ! queue max-size-buffers=8" \
    "shmoutsink name=s block=BLOCK wait-readers=1 sync=false" 30
check_pipe "clocked sink (sync=true) after a queue, 25 fps" \
    "videotestsrc num-buffers=15 pattern=ball ! video/x-raw,format=GRAY8,width=33,height=17,framerate=25/1 ! queue" \
    "shmoutsink name=s block=BLOCK wait-readers=1" 15

# gst-launch-1.0 exits 1 or 255 (-1) on errors; a signal (crash) gives 128 + its number
not_crashed() { [ "$1" -lt 128 ] || [ "$1" -eq 255 ]; }
# decoders (GstVideoDecoder's decide_allocation takes the sink's pool) write into the slots
for dec in "jpegenc ! jpegdec" "vp8enc ! vp8dec"; do
    set -- $dec
    if gst-inspect-1.0 "$1" >/dev/null 2>&1 && gst-inspect-1.0 "$3" >/dev/null 2>&1; then
        check_pipe "$dec before shmoutsink (66x48)" \
            "videotestsrc num-buffers=12 pattern=ball ! video/x-raw,format=I420,width=66,height=48 ! $dec" \
            "shmoutsink name=s block=BLOCK wait-readers=1 sync=false" 12
    else
        skip "$dec: not installed"
    fi
done

# 5b. An upstream that holds the sink's slot buffers (tests/gstreamer/sink_hold): a published one
#     kept while the ring laps its slot keeps its content; an unpublished one held back while
#     another frame goes first is not written over; one kept mapped gets an error after 1 s.
#     The reader gets every frame in push order, byte for byte. A pool configuration asking for
#     VIDEO_ALIGNMENT is refused in a way that makes upstream fall back to its own pool.
name=$(newblock hold)
reader "$name" "$T/hold.md5"
timeout 30 "$T/sink_hold" "$name" >"$T/hold.out" 2>"$T/hold.err"
rc=$?
wait "$reader"
md5s "$T/hold.md5" >"$T/got.lines"
sed -n 's/^want //p' "$T/hold.out" >"$T/want.lines"
if [ $rc -eq 0 ] && grep -q "^held-intact yes" "$T/hold.out" && grep -q "^refused-alignment yes" "$T/hold.out" && [ "$(grep -c '^lent' "$T/hold.out")" = 3 ] &&
   grep -q "^error-after-ms 1[0-9][0-9][0-9] upstream holds a buffer of shmoutsink's pool" "$T/hold.out" &&
   cmp -s "$T/got.lines" "$T/want.lines" && [ "$(wc -l <"$T/got.lines")" = 9 ]; then
    ok "upstream holding slot buffers: a config with VIDEO_ALIGNMENT refused (so upstream falls back), held content intact, no frame written over, 9 frames in order byte for byte, a mapped one: error after 1 s ($(grep '^stats' "$T/hold.out"))"
else
    fail "upstream holding slot buffers" "rc=$rc $(cat "$T/hold.out" "$T/hold.err" | head -20; diff "$T/got.lines" "$T/want.lines" | head -5)"
fi

# 6. Bad properties and a block in use: errors that say what to fix, no crash.
out=$(gst-launch-1.0 videotestsrc num-buffers=2 ! shmoutsink block='bad/name' 2>&1); rc=$?
if [ $rc -ne 0 ] && not_crashed $rc && echo "$out" | grep -q "bad block name 'bad/name'"; then
    ok "block=bad/name: an error naming the block name (exit $rc)"
else
    fail "block=bad/name gives an error" "rc=$rc $out"
fi
out=$(gst-launch-1.0 videotestsrc num-buffers=2 ! shmoutsink name='x..y' 2>&1); rc=$?
if [ $rc -ne 0 ] && not_crashed $rc && echo "$out" | grep -q "bad block name 'x..y'"; then
    ok "no block, element name x..y: the element's name is the block name, and it is refused"
else
    fail "a bad element name as block name" "rc=$rc $out"
fi
name=$(newblock slots)
out=$(gst-launch-1.0 videotestsrc num-buffers=2 ! shmoutsink block=$name slots=1 sync=false 2>&1); rc=$?
if not_crashed $rc && echo "$out" | grep -qi "out of range\|invalid"; then
    ok "slots=1: refused by the property's range, no crash (exit $rc)"
else
    fail "slots=1 is refused" "rc=$rc $out"
fi
out=$(gst-launch-1.0 videotestsrc num-buffers=2 ! shmoutsink block=$name memtype=bogus 2>&1); rc=$?
if [ $rc -ne 0 ] && not_crashed $rc && echo "$out" | grep -q "memtype"; then
    ok "memtype=bogus: a parse error naming memtype (exit $rc)"
else
    fail "memtype=bogus is refused" "rc=$rc $out"
fi
name=$(newblock busy)
gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=32,height=16 ! shmoutsink block=$name >/dev/null 2>&1 &
first=$!
at_exit "kill $first 2>/dev/null"
if wait_for 10 block_exists "$name" && sleep 0.3 &&
   out=$(timeout 20 gst-launch-1.0 videotestsrc num-buffers=2 ! video/x-raw,width=32,height=16 ! shmoutsink block=$name 2>&1); then
    fail "a second sink on a block in use fails" "$out"
elif echo "$out" | grep -q "in use by pid $first"; then
    ok "a second shmoutsink on a block in use: error 'in use by pid $first'"
else
    fail "a second sink on a block in use says who has it" "$out"
fi
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null

# 7. Writer restart: a reader with -onclose wait gets the frames of two runs of the sink.
name=$(newblock restart)
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f shmin -mode lossless -onclose wait -timeout 20 \
    -i "$name" -flush_packets 1 -f framemd5 "$T/restart.md5" 2>"$T/restart.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
gst-launch-1.0 -q videotestsrc num-buffers=8 pattern=ball ! video/x-raw,format=RGBA,width=33,height=17 ! \
    shmoutsink block=$name wait-readers=1 sync=false >/dev/null 2>&1
gst-launch-1.0 -q videotestsrc num-buffers=8 pattern=smpte ! video/x-raw,format=RGBA,width=33,height=17 ! \
    shmoutsink block=$name wait-readers=1 sync=false >/dev/null 2>&1
# it waits for a third writer: stop it (SIGINT ends it with a finished file) once it has 16
sixteen() { [ "$(framemd5_lines "$T/restart.md5" 2>/dev/null | wc -l)" -ge 16 ]; }
wait_for 10 sixteen
kill -INT "$reader" 2>/dev/null; wait "$reader"
"$GF" "videotestsrc num-buffers=8 pattern=ball ! video/x-raw,format=RGBA,width=33,height=17" >"$T/w1.txt" 2>/dev/null
"$GF" "videotestsrc num-buffers=8 pattern=smpte ! video/x-raw,format=RGBA,width=33,height=17" >"$T/w2.txt" 2>/dev/null
{ gmd5s "$T/w1.txt"; gmd5s "$T/w2.txt"; } >"$T/want.lines"
md5s "$T/restart.md5" >"$T/got.lines" 2>/dev/null
if cmp -s "$T/got.lines" "$T/want.lines"; then
    ok "a reader with -onclose wait follows a second run of shmoutsink: 8 + 8 frames, byte for byte"
else
    fail "a reader follows a restarted shmoutsink" "$(cat "$T/restart.err"; diff "$T/got.lines" "$T/want.lines" | head -5)"
fi

# 8. The block's active toggle: frames sent while it is off are consumed, not published.
name=$(newblock inactive)
gst-launch-1.0 -q videotestsrc is-live=true ! video/x-raw,width=32,height=16,framerate=50/1 ! shmoutsink block=$name >/dev/null 2>&1 &
w=$!
at_exit "kill $w 2>/dev/null"
frames_of() { "$SHMOUT_TOOL" info "$1" 2>/dev/null | sed -n 's/^frames: *\([0-9]*\).*/\1/p'; }
published() { [ "$(frames_of "$1")" -gt 0 ] 2>/dev/null; }
if wait_for 10 published "$name" && "$SHMOUT_TOOL" set "$name" active=0 >/dev/null 2>&1; then
    f1=$(frames_of "$name"); sleep 0.4; f2=$(frames_of "$name")
    "$SHMOUT_TOOL" set "$name" active=1 >/dev/null 2>&1
    sleep 0.4; f3=$(frames_of "$name")
    if [ -n "$f1" ] && [ "$f2" -le $((f1 + 1)) ] && [ "$f3" -gt $((f2 + 5)) ]; then
        ok "active=0: the sink publishes nothing ($f1 -> $f2 frames in 0.4 s), active=1: again ($f3)"
    else
        fail "the active toggle is honoured" "frames $f1 $f2 $f3; $("$SHMOUT_TOOL" info "$name" 2>&1)"
    fi
else
    fail "the active toggle: block up and switched off" "$("$SHMOUT_TOOL" info "$name" 2>&1)"
fi
kill "$w" 2>/dev/null; wait "$w" 2>/dev/null

# 9. Nothing left behind once the blocks are removed.
remove_blocks
left=$(left_blocks)
if [ -z "$left" ]; then
    ok "no shared-memory object of the suite's blocks is left in /dev/shm"
else
    fail "nothing left in /dev/shm" "$left"
fi
finish
