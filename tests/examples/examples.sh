#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# examples.sh: the examples work as documented. read_frames (built by make with pkg-config)
# reads every frame of a block, its averages matching the tool's pattern; commands.sh file and
# record carry a file into a block and the block into an H.264 (or FFV1) recording; relay
# passes a block through Python (inverted) into another.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${SHMOUT_TOOL:?}" "${FFMPEG:?}" "${FFPROBE:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=$(numpy_python) || PYTHON=python3

name=$(blockname ex)
"$B/examples/read_frames" "$name" 8 > "$T/read.out" 2>"$T/read.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
sleep 0.3
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 16 --fps 20 --frames 30
wait $reader; status=$?
# The pattern: byte i of frame n is (n + i) & 255, 32*16*4 bytes.
"$PYTHON" - "$T/read.out" > "$T/read.check" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"frame (\d+): 32x16 rgba, pts (\d+) \(1000/20000\), plane 0 average ([\d.]+)", line)
    if not m:
        print("BAD line", line.strip()); continue
    n = int(m.group(1))
    avg = sum((n + i) & 255 for i in range(32 * 16 * 4)) / (32 * 16 * 4)
    print("ok" if "%.2f" % avg == m.group(3) and int(m.group(2)) == n - 1 else "BAD %s want %.2f" % (line.strip(), avg))
PY
[ $status -eq 0 ] && [ "$(grep -c '^ok$' "$T/read.check")" -eq 8 ] && ok "read_frames reads 8 frames, pixels and pts as written" ||
    fail "read_frames reads 8 frames, pixels and pts as written" "status $status $(cat "$T/read.out" "$T/read.check" "$T/read.err")"
first=$(head -n 1 "$T/read.out" | sed 's/frame \([0-9]*\):.*/\1/')
[ "$(sed 's/frame \([0-9]*\):.*/\1/' "$T/read.out" | tr '\n' ' ')" = "$(seq "$first" $((first + 7)) | tr '\n' ' ')" ] &&
    ok "read_frames takes every frame, in order" || fail "read_frames takes every frame, in order" "$(cat "$T/read.out")"

# file -> block -> recording
"$FFMPEG" -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=s=160x120:r=25 -frames:v 50 -c:v ffv1 "$T/in.mkv"
name=$(blockname rec)
FFMPEG=$FFMPEG "$top/examples/commands.sh" record "$name" "$T/out.mkv" >"$T/rec.log" 2>&1 &
rec=$!
at_exit "kill $rec 2>/dev/null"
sleep 0.5
FFMPEG=$FFMPEG "$top/examples/commands.sh" file "$name" "$T/in.mkv" >"$T/file.log" 2>&1; fstatus=$?
wait $rec; rstatus=$?
frames=$("$FFPROBE" -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,codec_name -of csv=p=0 "$T/out.mkv" 2>&1)
codec=${frames%%,*} count=${frames##*,}
want=ffv1; "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q ' libx264 ' && want=h264
[ $fstatus -eq 0 ] && [ $rstatus -eq 0 ] && [ "$codec" = "$want" ] && [ "$count" -ge 48 ] && [ "$count" -le 50 ] &&
    ok "commands.sh file and record: a file through a block into a $codec recording ($count of 50 frames)" ||
    fail "commands.sh file and record" "file $fstatus, record $rstatus, probe '$frames'; $(tail -n 5 "$T/rec.log" "$T/file.log")"
# block -> Python (inverted) -> block, read back by read_frames: RGB inverted, alpha kept.
src=$(blockname rin) dst=$(blockname rout)
"$top/examples/commands.sh" relay "$src" "$dst" >"$T/relay.log" 2>&1 &
relay=$!
at_exit "kill $relay 2>/dev/null"
"$SHMOUT_TOOL" test-writer "$src" --width 32 --height 16 --fps 10 --frames 60 >/dev/null 2>&1 &
writer=$!
at_exit "kill $writer 2>/dev/null"
"$B/examples/read_frames" "$dst" 3 > "$T/relay.out" 2>"$T/relay.err"; rstatus=$?
kill $writer $relay 2>/dev/null; wait $writer $relay 2>/dev/null
"$PYTHON" - "$T/relay.out" > "$T/relay.check" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"frame \d+: 32x16 rgba, pts (\d+) .*average ([\d.]+)", line)
    n = int(m.group(1)) + 1 if m else 0
    b = [(n + i) & 255 for i in range(32 * 16 * 4)]
    avg = sum(v if i % 4 == 3 else 255 - v for i, v in enumerate(b)) / len(b)
    print("ok" if m and "%.2f" % avg == m.group(2) else "BAD %s want %.2f" % (line.strip(), avg))
PY
[ $rstatus -eq 0 ] && [ "$(grep -c '^ok$' "$T/relay.check")" -eq 3 ] &&
    ok "commands.sh relay: frames through Python come out inverted, alpha kept, with their pts" ||
    fail "commands.sh relay" "status $rstatus $(cat "$T/relay.out" "$T/relay.check" "$T/relay.err" "$T/relay.log")"

out=$("$top/examples/commands.sh" 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "commands.sh camera NAME" && ok "commands.sh without a command shows its usage" ||
    fail "commands.sh without a command shows its usage" "$out"
finish
