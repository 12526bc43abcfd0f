#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# devices.sh: the FFmpeg components exist and work in the ffmpeg under test: shmout and shmin
# are listed as devices and chanmask as a filter, their help shows every documented option and
# value, and frames written with -f shmout come back through -f shmin with the same pixels and
# timestamps as the source.
# Runs against any build, minimal ones included (scripts/check-series).
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${FFPROBE:?}"
here=$(cd "$(dirname "$0")" && pwd)

devices=$("$FFMPEG" -hide_banner -devices 2>&1)
echo "$devices" | grep -Eq '^ *E +shmout +Shared-memory video output device' && ok "-devices lists shmout as an output device" ||
    fail "-devices lists shmout as an output device" "$devices"
echo "$devices" | grep -Eq '^ *D +shmin +Shared-memory video input device' && ok "-devices lists shmin as an input device" ||
    fail "-devices lists shmin as an input device" "$devices"
filters=$("$FFMPEG" -hide_banner -filters 2>&1)
echo "$filters" | grep -Eq ' chanmask +V->V ' && ok "-filters lists chanmask" || fail "-filters lists chanmask" "$filters"

# -h as the user sees it, option by option, against the documentation (tests/ffmpeg/devices/help.py):
# every option of shmout (the 17 TouchDesigner parameters and slots) and shmin in README.md, with
# their values, ranges and defaults; chanmask's mask and its constants in docs/chanmask.md.
"${PYTHON:-python3}" "$here/devices/help.py" "$FFMPEG" "$here/../../README.md" "$here/../../docs/chanmask.md" \
    > "$T/help.out" 2>&1 || fail "tests/ffmpeg/devices/help.py ran" "$(cat "$T/help.out")"
while IFS='	' read -r st desc detail; do
    if [ "$st" = ok ]; then ok "$desc"; else fail "$desc" "$detail"; fi
done < "$T/help.out"

# Round trip. The writer reads raw frames from a FIFO that this test feeds one at a time; the
# reader attaches after the first frame (checked in its memory map) and takes each later frame
# before the next is fed, so it must see every frame, byte for byte, with its pts.
N=10 W=160 H=120
SRC="testsrc2=s=${W}x${H}:r=25"
name=$(blockname rt)
"$FFMPEG" -hide_banner -nostdin -loglevel error -f lavfi -i "$SRC" -frames:v $N -pix_fmt rgba -f rawvideo "$T/src.rgba"
"$FFMPEG" -hide_banner -nostdin -loglevel error -f lavfi -i "$SRC" -frames:v $N -pix_fmt rgba -f framemd5 "$T/want.md5"
feed_start "$T/fifo" "$T/writer.err" "$FFMPEG" -hide_banner -nostdin -loglevel error -f rawvideo \
    -pix_fmt rgba -s ${W}x${H} -framerate 25 -i "$T/fifo" -f shmout "$name"
writer=$feed_pid
at_exit "kill $writer 2>/dev/null"
feed_frame "$T/src.rgba" $((W * H * 4)) 0
wait_for 10 block_exists "$name"
"$FFMPEG" -hide_banner -nostdin -loglevel error -f shmin -timeout 10 -i "$name" -f framemd5 "$T/got.md5" \
    2>"$T/reader.err" 7>&- &
reader=$!
at_exit "kill $reader 2>/dev/null"
wait_for 10 attached $reader "$name"
feed_frames "$T/src.rgba" $((W * H * 4)) 1 $N 0.15
feed_end
wait $writer; wstatus=$?
wait $reader; rstatus=$?
[ $wstatus -eq 0 ] && ok "shmout wrote $N frames and exited cleanly" ||
    fail "shmout wrote $N frames and exited cleanly" "$(cat "$T/writer.err")"
[ $rstatus -eq 0 ] && ok "shmin ended cleanly when the writer closed the block" ||
    fail "shmin ended cleanly when the writer closed the block" "$(cat "$T/reader.err")"
# framemd5 lines: stream, dts, pts, duration, size, md5. Compare pts, size and md5.
if [ "$(framemd5_lines "$T/got.md5")" = "$(framemd5_lines "$T/want.md5")" ] &&
   [ "$(framemd5_lines "$T/want.md5" | wc -l)" -eq $N ]; then
    ok "all $N frames read back equal the source, pixels and pts"
else
    fail "all $N frames read back equal the source, pixels and pts" "$(diff "$T/want.md5" "$T/got.md5")"
fi

# Bad input gets a clear error naming the problem.
out=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i "$SRC" -frames:v 1 -f shmout "bad/name" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "Invalid block name" && ok "an invalid block name is refused" ||
    fail "an invalid block name is refused" "$out"
out=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i "$SRC" -map 0 -map 0 -frames:v 1 -f shmout "$(blockname two)" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "exactly one video stream" && ok "a second video stream is refused" ||
    fail "a second video stream is refused" "$out"
out=$("$FFMPEG" -hide_banner -nostdin -f shmin -timeout 0 -i "$(blockname none)" -f null - 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi "no.*block\|does not exist\|not found" && ok "reading a missing block fails with a clear error" ||
    fail "reading a missing block fails with a clear error" "$out"
finish
