#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# shmin.sh: the shmin input device. A writer that changes size mid-stream (`shmout test-writer
# --resize-every`) reaches FFmpeg frame by frame, every pixel equal to the test pattern the tool
# documents; a reader that falls behind reports the frames it lost (mode every) and keeps
# going, or skips quietly (mode latest); -onclose wait follows a restarted writer with pts that
# keep increasing, and the first SIGINT or SIGTERM ends its wait for that writer with a finished
# output; -timestamps wallclock stamps frames with the publish time; -sources lists.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${FFPROBE:?}" "${SHMOUT_TOOL:?}"
PYTHON=$(numpy_python) || { fail "a python3 with numpy for the oracle"; finish; exit; }

# 1. Resize: 64x48 and 96x72 alternating every 4 frames. The oracle is the tool's pattern:
#    byte i of frame n (plane 0) is (n + i) & 255; frame n = pts + 1.
name=$(blockname rs)
"$FFMPEG" -hide_banner -nostdin -loglevel error -reinit_filter 0 -f shmin -timeout 10 -i "$name" \
    -f framemd5 "$T/rs.md5" 2>"$T/rs.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
"$SHMOUT_TOOL" test-writer "$name" --width 64 --height 48 --fps 20 --frames 16 --resize-every 4
wait $reader
framemd5_lines "$T/rs.md5" > "$T/rs.lines"
"$PYTHON" - "$T/rs.lines" > "$T/rs.check" <<'PY'
import hashlib, sys
for line in open(sys.argv[1]):
    pts, size, md5 = line.split()
    n = int(pts) + 1
    w, h = (96, 72) if (n - 1) // 4 % 2 else (64, 48)
    want = hashlib.md5(bytes((n + i) & 255 for i in range(w * h * 4))).hexdigest()
    print(pts, "ok" if (md5 == want and int(size) == w * h * 4) else "BAD %s %s want %d %s" % (size, md5, w * h * 4, want))
PY
sizes=$(awk '{ print $2 }' "$T/rs.lines" | sort -u | tr '\n' ' ')
if grep -q BAD "$T/rs.check" || [ "$(wc -l < "$T/rs.lines")" -lt 10 ]; then
    fail "frames across resizes equal the pattern" "$(cat "$T/rs.check" "$T/rs.err")"
else
    ok "frames across resizes equal the pattern, sizes: $sizes($(wc -l < "$T/rs.lines") frames)"
fi
[ "$sizes" = "12288 27648 " ] && ok "both sizes reached FFmpeg" || fail "both sizes reached FFmpeg" "sizes: $sizes"
first=$(head -n 1 "$T/rs.lines" | cut -d' ' -f1)
[ "$(cut -d' ' -f1 "$T/rs.lines" | tr '\n' ' ')" = "$(seq "$first" 15 | tr '\n' ' ')" ] &&
    ok "mode every: consecutive frames from attaching to the end ($first..15)" ||
    fail "mode every: consecutive frames from attaching to the end" "$(cat "$T/rs.lines")"

# 2. A reader stopped for a while (SIGSTOP) is lapped: mode every reports it, mode latest does not.
for mode in every latest; do
    name=$(blockname lap)
    "$FFMPEG" -hide_banner -nostdin -loglevel warning -f shmin -mode $mode -timeout 10 -i "$name" \
        -f framemd5 "$T/lap-$mode.md5" 2>"$T/lap.err" &
    reader=$!
    at_exit "kill -CONT $reader 2>/dev/null; kill $reader 2>/dev/null"
    "$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 50 --frames 60 &
    writer=$!
    wait_for 10 attached $reader "$name"
    sleep 0.3; kill -STOP $reader; sleep 0.4; kill -CONT $reader
    wait $writer; wait $reader; status=$?
    n=$(framemd5_lines "$T/lap-$mode.md5" | wc -l)
    if [ $mode = every ]; then
        grep -q "frames [0-9]*-[0-9]* of block '$name' lost ([0-9]* in all): the writer lapped this reader" "$T/lap.err" && [ $status -eq 0 ] &&
            ok "mode every reports frames lost while the reader was stopped, and goes on ($n frames)" ||
            fail "mode every reports frames lost while the reader was stopped" "status $status: $(cat "$T/lap.err")"
    else
        ! grep -q "lost\|before this reader attached" "$T/lap.err" && [ $status -eq 0 ] && [ "$n" -gt 1 ] &&
            ok "mode latest skips quietly ($n frames)" || fail "mode latest skips quietly" "status $status, $n frames: $(cat "$T/lap.err")"
    fi
done

# 3. -onclose wait: a second writer of the name takes over; pts go on increasing.
name=$(blockname restart)
"$FFMPEG" -hide_banner -nostdin -loglevel info -f shmin -onclose wait -timeout 10 -i "$name" -frames:v 10 \
    -f framemd5 "$T/re.md5" 2>"$T/re.err" &
reader=$!
at_exit "kill $reader 2>/dev/null"
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 20 --frames 6
sleep 0.3
"$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 20 --frames 10 &
writer=$!
wait $reader; status=$?
kill $writer 2>/dev/null; wait $writer 2>/dev/null
pts=$(framemd5_lines "$T/re.md5" | cut -d' ' -f1 | tr '\n' ' ')
increasing=$(echo "$pts" | awk '{ for (i = 2; i <= NF; i++) if ($i <= $(i - 1)) { print "no"; exit } print "yes" }')
[ $status -eq 0 ] && grep -q "A new writer took over block '$name'" "$T/re.err" && [ "$increasing" = yes ] &&
    [ "$(echo "$pts" | wc -w)" -eq 10 ] && ok "-onclose wait follows the next writer, pts increasing: $pts" ||
    fail "-onclose wait follows the next writer, pts increasing" "status $status, pts: $pts; $(grep -v '^frame=' "$T/re.err")"

# 3b. The first Ctrl-C (or SIGTERM) ends a reader waiting for the next writer, and ffmpeg
#     finishes its output: every frame read is in it. (ffmpeg passes only the second signal on.)
for sig in INT TERM; do
    name=$(blockname sig)
    "$FFMPEG" -hide_banner -nostdin -loglevel info -f shmin -mode every -onclose wait -timeout 10 -i "$name" \
        -f framemd5 "$T/sig.md5" 2>"$T/sig.err" &
    reader=$!
    at_exit "kill -KILL $reader 2>/dev/null"
    "$SHMOUT_TOOL" test-writer "$name" --width 32 --height 32 --fps 50 --frames 20 --slots 16
    wait_for 10 grep -q "waiting for the next writer" "$T/sig.err"
    kill -$sig $reader
    if wait_for 1 sh -c "! kill -0 $reader 2>/dev/null"; then
        n=$(framemd5_lines "$T/sig.md5" | wc -l)
        [ "$n" -eq 20 ] && ok "SIG$sig ends an -onclose wait reader within a second, its output finished (20 frames)" ||
            fail "SIG$sig: the output has every frame read" "$n frames: $(grep -v '^frame=' "$T/sig.err")"
    else
        fail "SIG$sig ends an -onclose wait reader within a second" "$(tail -n 5 "$T/sig.err")"
    fi
done

# 4. -timestamps wallclock: pts are the publish time (framemd5 gives them in its own time base).
name=$(blockname wc)
"$SHMOUT_TOOL" test-writer "$name" --width 16 --height 16 --fps 20 --frames 200 &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_for 10 block_exists "$name"
"$FFMPEG" -hide_banner -nostdin -loglevel error -f shmin -timestamps wallclock -i "$name" -frames:v 3 -copyts \
    -f framemd5 "$T/wc.md5" 2>"$T/wc.err"
now=$(date +%s)
tb=$(sed -n 's/^#tb 0: //p' "$T/wc.md5")
pts=$(framemd5_lines "$T/wc.md5" | head -n 1 | cut -d' ' -f1)
secs=$(echo "$pts $tb" | awk '{ split($2, t, "/"); printf "%d", $1 * t[1] / t[2] }')
[ -n "$pts" ] && [ $((secs - now)) -le 5 ] && [ $((now - secs)) -le 60 ] &&
    ok "-timestamps wallclock: pts are the publish time ($secs s, now $now s)" ||
    fail "-timestamps wallclock: pts are the publish time" "tb $tb pts $pts = $secs s, now $now $(cat "$T/wc.err")"

# 5. -sources shmin lists a block being written.
out=$("$FFMPEG" -hide_banner -sources shmin 2>&1)
echo "$out" | grep -q "$name" && ok "ffmpeg -sources shmin lists the block" || fail "ffmpeg -sources shmin lists the block" "$out"
kill $writer; wait $writer 2>/dev/null
finish
