#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# lossless.sh: recording and transcoding through a block without losing frames. A recorder
# started before its writer gets frame 1 on, through -re's initial burst (-mode lossless, and
# -mode every with a ring that holds the burst); one that attaches late names the frames it
# could not have read; -wait_readers holds the first frame back until enough readers are
# attached, and at its timeout goes on or fails as asked; a lossless transcode of 2000 1080p
# frames with no -re equals its source frame for frame; so does each of eight lossless
# recorders; a stopped lossless reader is evicted after -lossless_timeout and names exactly
# the frames it lost; a killed one costs the writer nothing; a writer that laps an every reader
# says how many frames its slowest reader lost; Ctrl-C and SIGTERM end a reader
# waiting for its next writer with a finished file. Every oracle is FFmpeg's own framemd5 of
# the same source.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${FFPROBE:?}" "${SHMOUT_TOOL:?}"

# (background ffmpegs are started directly, not through a function: $! must be ffmpeg's pid)
# same FILE1 FILE2: the two framemd5 files list the same frames (pts, size, md5)
same() { framemd5_lines "$1" > "$T/a.lines"; framemd5_lines "$2" > "$T/b.lines"; cmp -s "$T/a.lines" "$T/b.lines"; }
count() { framemd5_lines "$1" | wc -l; }
exited() { ! kill -0 "$1" 2>/dev/null; }
lines_at_least() { [ "$(count "$2" 2>/dev/null)" -ge "$1" ] 2>/dev/null; }
# time for a reader started before its writer to be waiting for the block
settle() { sleep 0.5; }

SRC360="testsrc2=size=640x360:rate=25"
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC360" -frames:v 75 -pix_fmt yuv420p -f framemd5 "$T/src75.md5"

# 1. A recorder started first, then a writer with -re and its burst: all 75 frames.
for mode in "lossless" "every -slots 16"; do
    name=$(blockname first)
    set -- $mode
    "$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode "$1" -timeout 20 -i "$name" -f framemd5 "$T/first.md5" 2>"$T/first.err" &
    reader=$!
    at_exit "kill $reader 2>/dev/null"
    settle
    shift
    "$FFMPEG" -hide_banner -nostdin -y -loglevel error -re -f lavfi -i "$SRC360" -frames:v 75 -pix_fmt yuv420p -format useinput "$@" -f shmout "$name"
    wait $reader
    same "$T/src75.md5" "$T/first.md5" && [ ! -s "$T/first.err" ] &&
        ok "-mode $mode, started before the writer (-re): all 75 frames equal the source" ||
        fail "-mode $mode, started before the writer (-re): all 75 frames equal the source" \
            "$(count "$T/first.md5") frames; $(cat "$T/first.err")"
done

# 2. A recorder that attaches late says which frames were published before it came.
name=$(blockname late)
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 100 --frames 600 &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 block_exists "$name"
sleep 0.5
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode every -timeout 10 -i "$name" -frames:v 10 -f framemd5 "$T/late.md5" 2>"$T/late.err"
kill $writer 2>/dev/null; wait $writer 2>/dev/null
# the number of the first frame it got, from its pixels (the tool's pattern: byte i of frame n
# is (n + i) & 255; ffmpeg's output timestamps start at 0, so they cannot tell)
md5=$(framemd5_lines "$T/late.md5" | head -n 1 | cut -d' ' -f3)
n=$(python3 -c "import hashlib, sys
print(next((n for n in range(1, 601) if hashlib.md5(bytes((n + i) & 255 for i in range(4096))).hexdigest() == sys.argv[1]), 0))" "$md5")
# frames 1-B came before it; if it was slow to its first frame, B+1 .. n-1 went by after it came
b=$(sed -n "s/.*frames 1-\([0-9]*\) of block '$name' were published before this reader attached.*/\1/p" "$T/late.err")
lapped=yes
if [ -n "$b" ] && [ "$b" -lt $((n - 1)) ]; then
    grep -q "frames\? $((b + 1))\(-$((n - 1))\)\? of block '$name' lost" "$T/late.err" || lapped=no
fi
if [ "$n" -gt 2 ] && [ -n "$b" ] && [ "$b" -ge 1 ] && [ "$b" -le $((n - 1)) ] && [ $lapped = yes ]; then
    ok "a late reader, whose first frame is frame $n: 'frames 1-$b ... were published before this reader attached'"
else
    fail "a late reader names the frames published before it attached" "first frame $n: $(cat "$T/late.err")"
fi

# 3. -wait_readers 2: nothing is published before the second reader attaches.
name=$(blockname wr)
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC360" -frames:v 75 -pix_fmt yuv420p -f shmout -wait_readers 2 \
    -wait_readers_timeout 30 "$name" 2>"$T/wr.err" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 block_exists "$name"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -f framemd5 "$T/wr1.md5" 2>"$T/wr1.err" &
r1=$!
at_exit "kill $r1 2>/dev/null"
sleep 0.5
frames=$("$SHMOUT_TOOL" info "$name" --json | sed -n 's/.*"frames": \([0-9]*\).*/\1/p')
[ "$frames" = 0 ] && ok "-wait_readers 2: no frame published with one reader attached" ||
    fail "-wait_readers 2: no frame published with one reader attached" "frames: $frames"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode every -timeout 20 -i "$name" -f framemd5 "$T/wr2.md5" 2>"$T/wr2.err"
wait $r1; wait $writer; status=$?
same "$T/src75.md5" "$T/wr1.md5" && [ $status -eq 0 ] &&
    ok "-wait_readers 2: the lossless reader got all 75 frames once the second attached" ||
    fail "-wait_readers 2: the lossless reader got all 75 frames" "status $status, $(count "$T/wr1.md5") frames: $(cat "$T/wr.err" "$T/wr1.err")"
name=$(blockname wrt)
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f lavfi -i "$SRC360" -frames:v 5 -f shmout -wait_readers 1 -wait_readers_timeout 0.3 "$name" 2>"$T/wrt.err"
status=$?
grep -q "Fewer than 1 readers attached to block '$name' within -wait_readers_timeout 0.3 s: publishing anyway" "$T/wrt.err" &&
    [ $status -eq 0 ] && ok "-wait_readers at its timeout: publishes anyway, with a warning" ||
    fail "-wait_readers at its timeout: publishes anyway, with a warning" "status $status: $(cat "$T/wrt.err")"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f lavfi -i "$SRC360" -frames:v 5 -f shmout -wait_readers 1 -wait_readers_timeout 0.3 \
    -wait_readers_fail 1 "$name" 2>"$T/wrf.err"
status=$?
grep -q "within -wait_readers_timeout 0.3 s: giving up (-wait_readers_fail 1)" "$T/wrf.err" && [ $status -ne 0 ] &&
    ok "-wait_readers_fail 1 at the timeout: fails, saying why (status $status)" ||
    fail "-wait_readers_fail 1 at the timeout: fails, saying why" "status $status: $(cat "$T/wrf.err")"

# 4. A lossless transcode with no -re: 2000 1080p frames, frame for frame.
SRC1080="testsrc2=size=1920x1080:rate=25"
name=$(blockname big)
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC1080" -frames:v 2000 -pix_fmt yuv420p -f framemd5 "$T/src1080.md5"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -f framemd5 "$T/big.md5" 2>"$T/big.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
settle
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f lavfi -i "$SRC1080" -frames:v 2000 -pix_fmt yuv420p -f shmout "$name" 2>"$T/bigw.err"
wait $reader
same "$T/src1080.md5" "$T/big.md5" && [ ! -s "$T/big.err" ] && [ ! -s "$T/bigw.err" ] &&
    ok "a lossless transcode of 2000 1080p frames (no -re) equals the source" ||
    fail "a lossless transcode of 2000 1080p frames (no -re) equals the source" \
        "$(count "$T/big.md5") frames: $(cat "$T/big.err" "$T/bigw.err")"

# 5. Eight lossless recorders at once: each gets every frame.
SRC240="testsrc2=size=320x240:rate=25"
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC240" -frames:v 300 -f framemd5 "$T/src240.md5"
name=$(blockname eight)
pids=
for i in 1 2 3 4 5 6 7 8; do
    "$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -f framemd5 "$T/eight$i.md5" 2>"$T/eight$i.err" &
    pids="$pids $!"
done
at_exit "kill $pids 2>/dev/null"
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC240" -frames:v 300 -f shmout -wait_readers 8 "$name"
bad=
for i in 1 2 3 4 5 6 7 8; do
    wait_for 20 exited "$(echo $pids | cut -d' ' -f$i)"
    same "$T/src240.md5" "$T/eight$i.md5" && [ ! -s "$T/eight$i.err" ] || bad="$bad $i($(count "$T/eight$i.md5"))"
done
[ -z "$bad" ] && ok "eight lossless recorders: each has all 300 frames" ||
    fail "eight lossless recorders: each has all 300 frames" "incomplete:$bad"

# 6. A stopped lossless reader: evicted after -lossless_timeout; it names the frames it lost,
#    which are exactly those missing from its recording.
name=$(blockname stop)
"$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC240" -frames:v 1000 -f framemd5 "$T/src1000.md5"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -flush_packets 1 \
    -f framemd5 "$T/stop.md5" 2>"$T/stop.err" &
reader=$!
at_exit "kill -CONT $reader 2>/dev/null; kill $reader 2>/dev/null"
settle
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -readrate 10 -f lavfi -i "$SRC240" -frames:v 1000 -lossless_timeout 0.2 \
    -f shmout -wait_readers 1 "$name" \
    2>"$T/stopw.err" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 lines_at_least 30 "$T/stop.md5"
kill -STOP $reader
wait_for 20 exited $writer; wait $writer; wstatus=$?
kill -CONT $reader
wait $reader; status=$?
range=$(sed -n "s/.*was evicted at frame [0-9]*: frames \([0-9]*-[0-9]*\) lost.*/\1/p" "$T/stop.err")
from=${range%-*} to=${range#*-}
framemd5_lines "$T/src1000.md5" | awk -v a="$from" -v b="$to" '$1 + 1 < a || $1 + 1 > b' > "$T/want.lines"
framemd5_lines "$T/stop.md5" > "$T/got.lines"
if [ -n "$range" ] && [ $wstatus -eq 0 ] && [ $status -eq 0 ] && cmp -s "$T/want.lines" "$T/got.lines" &&
   grep -q "a lossless reader of block '$name' stayed behind" "$T/stopw.err"; then
    ok "a stopped lossless reader is evicted; it lost exactly frames $range, as it says"
else
    fail "a stopped lossless reader is evicted and names what it lost" \
        "range '$range', statuses $wstatus $status, $(wc -l < "$T/got.lines") frames: $(cat "$T/stop.err" "$T/stopw.err")"
fi

# 7. A killed lossless reader: the writer frees its registration and goes on without waiting
#    out -lossless_timeout (30 s here); the other lossless reader still gets everything.
name=$(blockname kill)
"$FFMPEG" -hide_banner -nostdin -y -loglevel verbose -f lavfi -i "$SRC240" -frames:v 300 -lossless_timeout 30 -f shmout -wait_readers 2 \
    "$name" 2>"$T/killw.err" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 block_exists "$name"
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -f null - 2>/dev/null &
victim=$!
at_exit "kill -KILL $victim 2>/dev/null"
wait_for 10 attached $victim "$name"
kill -STOP $victim              # registered, stopped before its first frame: the writer waits for it
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode lossless -timeout 20 -i "$name" -f framemd5 "$T/keep.md5" 2>"$T/keep.err" &
keeper=$!
at_exit "kill $keeper 2>/dev/null"
sleep 0.5; kill -KILL $victim
wait_for 20 exited $writer; wait $writer; wstatus=$?
wait $keeper
grep -q "A registered reader of block '$name' died; its registration is freed" "$T/killw.err" &&
    ! grep -q "evicted" "$T/killw.err" && [ $wstatus -eq 0 ] && same "$T/src240.md5" "$T/keep.md5" &&
    ok "a killed lossless reader is let go at once; the other one has all 300 frames" ||
    fail "a killed lossless reader is let go at once" "status $wstatus, $(count "$T/keep.md5") frames: $(grep -i "lossless\|evict\|error" "$T/killw.err")"

# 8. A writer that laps an every reader says at its end how many frames its slowest reader lost:
#    at least what the reader itself reports losing (a frame the reader had copied but not yet
#    acknowledged when the writer overwrote it counts for the writer only).
name=$(blockname lap)
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -f shmin -mode every -timeout 20 -i "$name" -flush_packets 1 \
    -f framemd5 "$T/lap.md5" 2>"$T/lap.err" &
reader=$!
at_exit "kill -CONT $reader 2>/dev/null; kill $reader 2>/dev/null"
settle
"$FFMPEG" -hide_banner -nostdin -y -loglevel warning -readrate 10 -f lavfi -i "$SRC240" -frames:v 1000 \
    -f shmout -wait_readers 1 "$name" 2>"$T/lapw.err" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 lines_at_least 30 "$T/lap.md5"
kill -STOP $reader; sleep 0.5; kill -CONT $reader
wait $writer; wait $reader
wlost=$(sed -n "s/.*slowest registered reader of block '$name' lost \([0-9]*\) frames: the writer never waits.*/\1/p" "$T/lapw.err")
rlost=$(sed -n "s/.* lost (\([0-9]*\) in all): the writer lapped this reader.*/\1/p" "$T/lap.err" | tail -n 1)
seen=$(count "$T/lap.md5")
[ -n "$wlost" ] && [ -n "$rlost" ] && [ "$rlost" -gt 0 ] && [ "$wlost" -ge "$rlost" ] && [ $((seen + rlost)) -eq 1000 ] &&
    ok "a lapping writer reports its slowest reader's loss: $wlost frames (the reader: $rlost lost, $seen read)" ||
    fail "a lapping writer reports its slowest reader's loss" "writer '$wlost', reader '$rlost', $seen read: $(cat "$T/lapw.err" "$T/lap.err")"

# 9. Bad input: a lossless reader of a layout without frame numbers, and a bound out of range,
#    are refused, naming the problem.
out=$("$FFMPEG" -hide_banner -nostdin -f shmin -layout touchdesigner -mode lossless -i x -f null - 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q -- "-mode lossless needs -layout shmout" &&
    ok "-mode lossless with -layout touchdesigner: refused, naming -layout shmout" ||
    fail "-mode lossless with -layout touchdesigner: refused" "$out"
out=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i "$SRC240" -frames:v 1 -f shmout -lossless_timeout 0 "$(blockname bad)" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "parameter 'lossless_timeout' out of range" &&
    ok "-lossless_timeout 0: refused as out of range" || fail "-lossless_timeout 0: refused as out of range" "$out"

# 10. Ctrl-C and SIGTERM end a reader waiting for its next writer (-onclose wait); the
#    recording is finished and holds every frame.
for sig in INT TERM; do
    name=$(blockname sig)
    "$FFMPEG" -hide_banner -nostdin -y -loglevel info -f shmin -mode lossless -onclose wait -timeout 20 -i "$name" -c:v ffv1 -y "$T/sig.mkv" 2>"$T/sig.err" &
    reader=$!
    at_exit "kill -KILL $reader 2>/dev/null"
    settle
    "$FFMPEG" -hide_banner -nostdin -y -loglevel error -f lavfi -i "$SRC240" -frames:v 40 -f shmout "$name"
    wait_for 10 grep -q "waiting for the next writer" "$T/sig.err"
    kill -$sig $reader
    if wait_for 1 exited $reader; then
        n=$("$FFPROBE" -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/sig.mkv")
        errs=$("$FFMPEG" -hide_banner -nostdin -y -v error -i "$T/sig.mkv" -f null - 2>&1)
        [ "$n" = 40 ] && [ -z "$errs" ] && ok "SIG$sig ends an -onclose wait reader within a second; the mkv is complete (40 frames)" ||
            fail "SIG$sig: the mkv is complete" "$n frames, $errs: $(cat "$T/sig.err")"
    else
        fail "SIG$sig ends an -onclose wait reader within a second" "$(tail -n 5 "$T/sig.err")"
    fi
done

finish
