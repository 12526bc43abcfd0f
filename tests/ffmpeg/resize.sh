#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# resize.sh: the command lines of the README's "When the frame size changes", as given there.
# A writer with -noautoscale makes the block follow its input's size, frame for frame equal to
# the input; without it the block keeps the first size. Recordings of a block whose size
# changes are valid files at the first size (ffv1 in Matroska, PNGs); -noautoscale with raw
# output keeps each frame at its own size, byte for byte the writer's pattern; ffprobe lists
# the sizes; -drop_changed 1 keeps only the frames of the first size.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${FFPROBE:?}" "${SHMOUT_TOOL:?}"

ff() { "$FFMPEG" -hide_banner -nostdin -y -loglevel error "$@"; }
sizes() { framemd5_lines "$1" | cut -d' ' -f2 | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }'; }
frames() { framemd5_lines "$1" | cut -d' ' -f2-; }     # size and md5 of each frame, no pts

# Writer: two clips of different sizes, one after the other (the README's concat list), in
# PNG, which carries its size in every frame (the concat demuxer does not pass a change of
# stream parameters on; a codec that takes its size from the stream would not see it).
ff -f lavfi -i testsrc2=size=320x240:rate=25 -frames:v 25 -c:v png "$T/a.mkv"
ff -f lavfi -i testsrc2=size=640x360:rate=25 -frames:v 25 -c:v png "$T/b.mkv"
printf "file '%s'\nfile '%s'\n" "$T/a.mkv" "$T/b.mkv" > "$T/list.txt"
ff -f concat -safe 0 -i "$T/list.txt" -noautoscale -f framemd5 "$T/own.md5"
ff -f concat -safe 0 -i "$T/list.txt" -f framemd5 "$T/first.md5"
for case in follow keep; do
    name=$(blockname w)
    "$FFMPEG" -hide_banner -nostdin -y -loglevel error -f shmin -mode lossless -timeout 20 -i "$name" \
        -noautoscale -f framemd5 "$T/got.md5" 2>"$T/r.err" &
    reader=$!
    at_exit "kill $reader 2>/dev/null"
    sleep 0.5
    if [ $case = follow ]; then
        (cd "$T" && "$FFMPEG" -hide_banner -nostdin -loglevel error -f concat -safe 0 -i list.txt -noautoscale -f shmout "$name")
        want=$T/own.md5
    else
        (cd "$T" && "$FFMPEG" -hide_banner -nostdin -loglevel error -f concat -safe 0 -i list.txt -f shmout "$name")
        want=$T/first.md5
    fi
    wait $reader
    frames "$want" > "$T/a.lines"; frames "$T/got.md5" > "$T/b.lines"
    cmp -s "$T/a.lines" "$T/b.lines" &&
        ok "writer $( [ $case = follow ] && echo "-noautoscale: the block follows the size" || echo "default: the block keeps the first size" ) ($(sizes "$T/got.md5")), equal to the input" ||
        fail "writer ($case): the block's frames" "got $(sizes "$T/got.md5"), want $(sizes "$want"): $(cat "$T/r.err")"
done

# Readers: `shmout test-writer` (75 rgba frames at 25 fps: 25 of 320x240, 25 of 480x360, 25 of
# 320x240; byte i of plane 0 of frame n is (n + i) & 255), a reader started first.
src() { "$SHMOUT_TOOL" test-writer "$1" --width 320 --height 240 --fps 25 --frames 75 --resize-every 25 --slots 16; }
# reader NAME ARGS...: the README's reader command line on a size-changing block
reader() {
    _n=$1; shift
    "$FFMPEG" -hide_banner -nostdin -y -loglevel error "$@" 2>"$T/reader.err" &
    _r=$!
    at_exit "kill $_r 2>/dev/null"
    sleep 0.5; src "$_n"; wait $_r
}
# decoded NAME FILE...: framemd5 of what the files decode to, "" and status 1 on any error
decoded() {
    _out=$1; shift
    : > "$_out"
    for _f do
        _e=$("$FFMPEG" -hide_banner -nostdin -y -v error -i "$_f" -f framemd5 - 2>&1 >>"$_out.tmp") || _e="status $?: $_e"
        cat "$_out.tmp" >> "$_out"; rm -f "$_out.tmp"
        [ -z "$_e" ] || { echo "$_f: $_e"; return 1; }
    done
}

name=$(blockname mkv)
reader "$name" -f shmin -i "$name" -c:v ffv1 "$T/movie.mkv"
if errs=$(decoded "$T/mkv.md5" "$T/movie.mkv") && [ "$(sizes "$T/mkv.md5")" = "307200:75" ]; then
    ok "-c:v ffv1 movie.mkv: valid, 75 frames of 320x240"
else
    fail "-c:v ffv1 movie.mkv: valid, 75 frames of 320x240" "$errs $(sizes "$T/mkv.md5"): $(cat "$T/reader.err")"
fi

name=$(blockname png)
mkdir "$T/png"
reader "$name" -f shmin -i "$name" "$T/png/frame_%04d.png"
if errs=$(decoded "$T/png.md5" "$T"/png/frame_*.png) && [ "$(sizes "$T/png.md5")" = "307200:75" ]; then
    ok "frame_%04d.png: 75 valid PNGs of 320x240"
else
    fail "frame_%04d.png: 75 valid PNGs of 320x240" "$errs $(sizes "$T/png.md5"): $(cat "$T/reader.err")"
fi

name=$(blockname raw)
"$FFPROBE" -hide_banner -loglevel error -f shmin -i "$name" -show_entries frame=width,height -of csv=p=0 \
    > "$T/probe.txt" 2>"$T/probe.err" &
probe=$!
at_exit "kill $probe 2>/dev/null"
reader "$name" -f shmin -i "$name" -noautoscale -c:v rawvideo -f rawvideo "$T/movie.raw"
wait $probe
# the oracle: the writer's pattern, frame after frame at its own size
python3 - "$T/movie.raw" > "$T/raw.check" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
off, bad = 0, []
for n in range(1, 76):
    w, h = (480, 360) if 26 <= n <= 50 else (320, 240)
    want = bytes((n + i) & 255 for i in range(256)) * (w * h * 4 // 256)
    if data[off:off + len(want)] != want:
        bad.append(n)
    off += len(want)
print("ok" if not bad and off == len(data) else "frames %s differ; %d of %d bytes" % (bad[:5], off, len(data)))
PY
[ "$(cat "$T/raw.check")" = ok ] && ok "-noautoscale -c:v rawvideo -f rawvideo: every frame at its own size, byte for byte" ||
    fail "-noautoscale -c:v rawvideo -f rawvideo: every frame at its own size" "$(cat "$T/raw.check" "$T/reader.err")"
[ "$(uniq -c "$T/probe.txt" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 "x" $2 }')" = "25x320,240 25x480,360 25x320,240" ] &&
    ok "ffprobe -show_entries frame=width,height beside it lists the sizes" ||
    fail "ffprobe lists the sizes" "$(uniq -c "$T/probe.txt") $(cat "$T/probe.err")"

if "$FFMPEG" -hide_banner -h full 2>/dev/null | grep -q -- "-drop_changed"; then
    name=$(blockname drop)
    reader "$name" -drop_changed 1 -f shmin -i "$name" -c:v ffv1 "$T/drop.mkv"
    if errs=$(decoded "$T/drop.md5" "$T/drop.mkv") && [ "$(sizes "$T/drop.md5")" = "307200:50" ]; then
        ok "-drop_changed 1: valid, only the 50 frames of the first size"
    else
        fail "-drop_changed 1: valid, only the 50 frames of the first size" "$errs $(sizes "$T/drop.md5"): $(cat "$T/reader.err")"
    fi
else
    skip "-drop_changed 1 (this FFmpeg has no -drop_changed)"
fi

finish
