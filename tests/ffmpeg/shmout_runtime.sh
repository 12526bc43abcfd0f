#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# shmout_runtime.sh: the shmout device while it runs. `ffmpeg -sinks shmout` lists the block; a
# second writer on the same name fails with "in use by pid N" before any frame; the active
# toggle (`shmout set NAME active=0|1`) stops and resumes writing while frames keep being
# consumed; -active 0 starts inactive; Ctrl-C closes the block cleanly (closed, not stale);
# while the input stalls the heartbeat stays fresh; the viewer hints reach the block.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${SHMOUT_TOOL:?}"

field() { "$SHMOUT_TOOL" info "$1" 2>/dev/null | awk -v k="$2:" '$1 == k { print $2 }'; }
frames_above() { [ "$(field "$1" frames)" -gt "$2" ] 2>/dev/null; }

name=$(blockname run)
"$FFMPEG" -hide_banner -nostdin -loglevel error -re -f lavfi -i testsrc2=s=64x48:r=25 -t 60 -f shmout "$name" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 frames_above "$name" 2 && ok "the writer publishes frames" || fail "the writer publishes frames" "$("$SHMOUT_TOOL" info "$name" 2>&1)"

out=$("$FFMPEG" -hide_banner -sinks shmout 2>&1)
echo "$out" | grep -q "$name" && ok "ffmpeg -sinks shmout lists the running block" || fail "ffmpeg -sinks shmout lists the running block" "$out"

out=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i testsrc2=s=64x48:r=25 -frames:v 5 -f shmout "$name" 2>&1)
status=$?
[ $status -ne 0 ] && echo "$out" | grep -q "in use by pid $writer" && ok "a second writer on the name fails: in use by pid $writer" ||
    fail "a second writer on the name fails: in use by pid $writer" "$out"
kill -0 $writer 2>/dev/null && frames_above "$name" 0 && ok "the first writer is unaffected" || fail "the first writer is unaffected"

"$SHMOUT_TOOL" set "$name" active=0
sleep 0.3
f1=$(field "$name" frames)
sleep 1
f2=$(field "$name" frames)
[ -n "$f1" ] && [ "$f1" = "$f2" ] && ok "active=0 stops writing ($f1 frames)" || fail "active=0 stops writing" "frames $f1 then $f2"
"$SHMOUT_TOOL" ls | grep -Eq "^$name +local +inactive " && ok "shmout ls says inactive" || fail "shmout ls says inactive" "$("$SHMOUT_TOOL" ls)"
kill -0 $writer 2>/dev/null && ok "ffmpeg keeps running while inactive" || fail "ffmpeg keeps running while inactive"
"$SHMOUT_TOOL" set "$name" active=1
wait_for 5 frames_above "$name" "$f2" && ok "active=1 resumes writing" || fail "active=1 resumes writing" "frames stayed at $f2"

kill -INT $writer
wait $writer
st=$(field "$name" status)
[ "$st" = closed ] && ok "Ctrl-C leaves the block closed" || fail "Ctrl-C leaves the block closed" "status: $st"
"$SHMOUT_TOOL" ls | grep -Eq "^$name +local +closed " && ok "no stale block after Ctrl-C: ls lists it closed" ||
    fail "no stale block after Ctrl-C: ls lists it closed" "$("$SHMOUT_TOOL" ls 2>&1)"

name=$(blockname inact)
"$FFMPEG" -hide_banner -nostdin -loglevel error -re -f lavfi -i testsrc2=s=64x48:r=25 -t 60 -active 0 -f shmout "$name" &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 test -n "$(field "$name" status)"
sleep 0.5
[ "$(field "$name" status)" = inactive ] && [ "$(field "$name" frames)" = 0 ] && ok "-active 0 starts inactive, writing nothing" ||
    fail "-active 0 starts inactive, writing nothing" "$("$SHMOUT_TOOL" info "$name" 2>&1)"
"$SHMOUT_TOOL" set "$name" active=1
wait_for 5 frames_above "$name" 0 && ok "and active=1 starts it" || fail "and active=1 starts it"
kill -INT $writer; wait $writer

# A stalled input: one frame through a FIFO, then nothing. The last frame ages, the heartbeat
# does not (the device refreshes it once a second). -fillmode and -filtertype reach the header.
name=$(blockname stall)
feed_start "$T/fifo" /dev/stderr "$FFMPEG" -hide_banner -nostdin -loglevel error -f rawvideo -pix_fmt rgba \
    -s 8x8 -i "$T/fifo" -fillmode outside -filtertype nearest -f shmout "$name"
writer=$feed_pid
at_exit "kill $writer 2>/dev/null"
head -c 256 /dev/zero >&7
wait_for 10 frames_above "$name" 0
sleep 2.5
ms() { awk '{ v = $1; if (v ~ /ms$/) v += 0; else if (v ~ /s$/) v *= 1000; print int(v) }'; }
hb=$("$SHMOUT_TOOL" info "$name" | awk '/^heartbeat age:/ { print $3 }' | ms)
age=$("$SHMOUT_TOOL" info "$name" | awk '/^last frame age:/ { print $4 }' | ms)
[ "${age:-0}" -ge 2000 ] && [ "${hb:-99999}" -le 1500 ] && ok "a stalled input keeps the heartbeat fresh (frame ${age} ms old, heartbeat ${hb} ms)" ||
    fail "a stalled input keeps the heartbeat fresh" "$("$SHMOUT_TOOL" info "$name")"
"$SHMOUT_TOOL" info "$name" | grep -Eq "^fill mode: +outside$" && "$SHMOUT_TOOL" info "$name" | grep -Eq "^smoothness: +nearest$" &&
    ok "-fillmode and -filtertype reach the block's viewer hints" || fail "-fillmode and -filtertype reach the block's viewer hints" "$("$SHMOUT_TOOL" info "$name")"
feed_end
wait $writer
finish
