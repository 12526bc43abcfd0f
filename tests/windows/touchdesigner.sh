#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# touchdesigner.sh: the Windows ffmpeg.exe under Wine, writing and reading TouchDesigner's own
# shared-memory layout, against tests/tools/td_peer.c: an independent peer written from the
# layout's facts (docs/TOUCHDESIGNER.md), not from the devices, that plays TouchDesigner's
# Shared Mem In and Out TOPs.
#   1. Each format the peer reads from `ffmpeg.exe -f shmout` equals, byte for byte and row
#      order included, what the Linux ffmpeg writes with the equivalent -vf chain (the oracle of
#      tests/ffmpeg/shmout.sh, packing by tests/ffmpeg/shmout/pack.py), every frame.
#   2. ffmpeg.exe -f shmout -> ffmpeg.exe -f shmin gives the same bytes.
#   3. Frames the peer writes (its documented pattern, in each of its formats) reach
#      ffmpeg.exe -f shmin unchanged, across a resize (a new postfix); relayed through
#      ffmpeg.exe -f shmin ... -f shmout, the peer reads back each frame at its size.
#   4. A reader holding the mutex 2 s: the writer goes on and counts drops; a reader that dies
#      holding it: the writer takes it over. A writer killed: the reader says so and ends.
#   5. Hostile headers and bad options: clear errors, never a crash.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/wine.sh"
here=$(cd "$(dirname "$0")" && pwd)
wine_setup
: "${FFMPEG:?}"
PYTHON=$(numpy_python) || { fail "a python3 with numpy for the oracle"; finish; exit; }
W=70 H=54 N=6

ff() { "$FFMPEG" -hide_banner -nostdin -loglevel error -y "$@"; }
wff() { win ffmpeg.exe -hide_banner -nostdin -y "$@"; }
# peer_info NAME: the peer finds a valid header in block NAME (for wait_for).
peer_info() { wine "$TD_PEER" info "$1" 2>/dev/null | grep -q 'valid=yes'; }
# A reader started in the background is given this long to attach (ffmpeg.exe's start under Wine).
ATTACH=3
for f in rgba yuv420p; do
    # r=5: at 25 frames/s a frame this small can repeat the one before, and a repeat is no new frame
    ff -f lavfi -i "testsrc2=s=${W}x${H}:r=5" -frames:v $N -pix_fmt $f -f rawvideo "$T/in.$f"
done
# The writer paces the frames, 5 a second (the realtime filter: -re lets ffmpeg run ahead), so
# that a reader sees each.
paced() { echo -f rawvideo -pix_fmt "$1" -s ${W}x${H} -framerate 5 -i "$(winpath "$T/in.$1")" -vf realtime; }

# oracle IN CHAIN OUTFMT [PACK]: want.raw, as tests/ffmpeg/shmout.sh computes it.
oracle() {
    ff -f rawvideo -pix_fmt "$1" -s ${W}x${H} -framerate 25 -i "$T/in.$1" -sws_flags bilinear \
        -vf "$2" -f rawvideo -pix_fmt "$3" "$T/want.raw"
    if [ -n "${4:-}" ]; then
        # shellcheck disable=SC2086
        set -- $4
        "$PYTHON" "$here/../ffmpeg/shmout/pack.py" "$1" "$2" "$3" $W $H "$T/want.raw" "$T/want.packed" &&
            mv "$T/want.packed" "$T/want.raw"
    fi
}

# 1. The independent reader against ffmpeg.exe -f shmout.
peer_case() {
    desc=$1 in=$2 opts=$3 chain=$4 outfmt=$5 code=$6 pack=${7:-}
    name=$(blockname td)
    rm -f "$T/got.raw"
    win "$TD_PEER" read "$name" $N "$(winpath "$T/got.raw")" 30000 >"$T/got.meta" 2>"$T/reader.err" &
    rpid=$!
    # shellcheck disable=SC2046,SC2086
    wff -loglevel error $(paced "$in") $opts -f shmout "$name" 2>"$T/writer.err"; ws=$?
    wait $rpid; rs=$?
    oracle "$in" "$chain" "$outfmt" "$pack"
    frames=$(grep -c "^frame .* code $code " "$T/got.meta")
    if [ $ws -ne 0 ] || [ $rs -ne 0 ]; then
        fail "$desc: writer and reader run" "$(cat "$T/writer.err" "$T/reader.err" "$T/got.meta")"
    elif [ "$frames" -ne $N ]; then
        fail "$desc: the peer read $N frames of TouchDesigner code $code" "$(cat "$T/got.meta")"
    elif cmp -s "$T/got.raw" "$T/want.raw"; then
        ok "$desc: $N frames, code $code, equal to the Linux build's -vf \"$chain\"${pack:+ + pack $pack}"
    else
        fail "$desc: pixels differ from the oracle" "$(cmp "$T/got.raw" "$T/want.raw" 2>&1; ls -l "$T/got.raw" "$T/want.raw")"
    fi
}
peer_case "rgba8fixed"   yuv420p "-format rgba8fixed"   "format=pix_fmts=rgba"       rgba       37
peer_case "bgra"         rgba    "-format bgra"         "format=pix_fmts=bgra"       bgra       44
peer_case "rgba16float"  yuv420p "-format rgba16float"  "format=pix_fmts=gbrapf32le" gbrapf32le 97 "gbrapf32le rgba f16"
peer_case "rgba32float"  rgba    "-format rgba32float"  "format=pix_fmts=gbrapf32le" gbrapf32le 109 "gbrapf32le rgba f32"
peer_case "mono8fixed"   rgba    "-format mono8fixed"   "format=pix_fmts=rgba"       rgba       9 "rgba r u8"
peer_case "rgb10a2fixed" rgba    "-format rgb10a2fixed" "format=pix_fmts=x2bgr10le"  x2bgr10le  64
peer_case "rgba16fixed"  yuv420p "-format rgba16fixed"  "format=pix_fmts=rgba64le"   rgba64le   91
peer_case "srgba8fixed"  yuv420p "-format srgba8fixed"  "format=pix_fmts=rgba"       rgba       43
peer_case "monoalpha8fixed" rgba "-format monoalpha8fixed" "format=pix_fmts=rgba"    rgba       983045 "rgba ra u8"
peer_case "rg16float"    rgba    "-format rg16float"    "format=pix_fmts=gbrpf32le"  gbrpf32le  83 "gbrpf32le rg f16"
peer_case "rgb11float"   rgba    "-format rgb11float"   "format=pix_fmts=gbrpf32le"  gbrpf32le  122 "gbrpf32le rgb r11g11b10f"
peer_case "useinput from yuv420p is rgba8fixed" yuv420p "" "format=pix_fmts=rgba" rgba 37
peer_case "half, chanmask r+g" rgba "-outputresolution half -chanmask r+g" \
    "scale=w='max(1,round(iw*0.5))':h='max(1,round(ih*0.5))':flags=bilinear,chanmask=mask=r+g" rgba 37

# 2. ffmpeg.exe -f shmout -> ffmpeg.exe -f shmin, byte for byte.
round_trip() {
    desc=$1 in=$2 opts=$3 chain=$4 outfmt=$5 pack=${6:-}
    name=$(blockname rt)
    wff -loglevel error -f shmin -timeout 30 -i "$name" -fps_mode passthrough -f rawvideo "$(winpath "$T/rt.raw")" 2>"$T/rt.err" &
    rpid=$!
    # shellcheck disable=SC2046,SC2086
    wff -loglevel error $(paced "$in") $opts -f shmout "$name" 2>"$T/writer.err"; ws=$?
    wait $rpid; rs=$?
    oracle "$in" "$chain" "$outfmt" "$pack"
    if [ $ws -ne 0 ] || [ $rs -ne 0 ]; then
        fail "$desc: round trip runs" "$(cat "$T/writer.err" "$T/rt.err")"
    elif cmp -s "$T/rt.raw" "$T/want.raw"; then
        ok "$desc: ffmpeg.exe -f shmout to ffmpeg.exe -f shmin, $N frames byte for byte"
    else
        fail "$desc: round trip differs from the oracle" "$(cmp "$T/rt.raw" "$T/want.raw" 2>&1; ls -l "$T/rt.raw" "$T/want.raw"; cat "$T/rt.err")"
    fi
}
round_trip "round trip rgba"        yuv420p "-format rgba8fixed"  "format=pix_fmts=rgba" rgba
round_trip "round trip rgba16float" rgba    "-format rgba16float" "format=pix_fmts=gbrapf32le" gbrapf32le "gbrapf32le rgba f16"

# 3. The peer as TouchDesigner's Shared Mem Out TOP: its frames (20, resized to 32x16 at frame
#    10) reach ffmpeg.exe -f shmin as it wrote them. pattern.raw is what it wrote, top row first.
td_out_case() {
    desc=$1 code=$2 fmt=$3 bpp=$4
    name=$(blockname to)
    rm -f "$T/pat.raw" "$T/in.raw"
    wff -loglevel error -reinit_filter 0 -f shmin -timeout 30 -i "$name" -fps_mode passthrough -f rawvideo \
        "$(winpath "$T/in.raw")" -fps_mode passthrough -f framemd5 "$(winpath "$T/in.md5")" 2>"$T/in.err" &
    rpid=$!
    sleep $ATTACH
    win "$TD_PEER" write "$name" 64 48 "$code" 20 10 32 16 --pattern-out "$(winpath "$T/pat.raw")" \
        >/dev/null 2>"$T/peer.err"; ps=$?
    wait $rpid; rs=$?
    sizes=$(framemd5_lines "$T/in.md5" | awk '{ print $2 }' | uniq -c | awk '{ printf "%s:%s ", $1, $2 }')
    if [ $ps -ne 0 ] || [ $rs -ne 0 ]; then
        fail "$desc: peer writer and shmin run" "$(cat "$T/peer.err" "$T/in.err")"
    elif ! cmp -s "$T/in.raw" "$T/pat.raw"; then
        fail "$desc: shmin's frames equal the peer's" "$(cmp "$T/in.raw" "$T/pat.raw" 2>&1; ls -l "$T/in.raw" "$T/pat.raw"; echo "$sizes")"
    elif [ "$sizes" != "10:$((64 * 48 * bpp)) 10:$((32 * 16 * bpp)) " ]; then
        fail "$desc: 10 frames of 64x48, then 10 of 32x16" "$sizes"
    else
        ok "$desc: all 20 frames of the peer's Shared Mem Out, as $fmt, across the resize ($sizes)"
    fi
}
td_out_case "TouchDesigner RGBA8 to shmin"        37     rgba      4
td_out_case "TouchDesigner BGRA8 to shmin"        44     bgra      4
td_out_case "TouchDesigner R8 to shmin"           9      gray      1
td_out_case "TouchDesigner RGBA16 to shmin"       91     rgba64le  8
td_out_case "TouchDesigner RGBA16F to shmin"      97     rgbaf16le 8
td_out_case "TouchDesigner RGBA32F to shmin"      109    rgbaf32le 16
td_out_case "TouchDesigner R8A8 to shmin"         983045 ya8       2
td_out_case "TouchDesigner A2B10G10R10 to shmin"  64     x2bgr10le 4

# The same resize through ffmpeg.exe -f shmin ... -f shmout: the peer, as Shared Mem In, reads
# each frame at the size it was written.
a=$(blockname ra) b=$(blockname rb)
win "$TD_PEER" read "$b" 20 "$(winpath "$T/relay.raw")" 30000 >"$T/relay.meta" 2>"$T/relay.err" &
rpid=$!
# (-analyzeduration 0 -fpsprobesize 0: without them ffmpeg holds the first frames while it
# probes the stream, then writes them all at once, faster than any reader of the layout can see)
wff -loglevel error -reinit_filter 0 -analyzeduration 0 -fpsprobesize 0 -f shmin -timeout 30 -i "$a" \
    -fps_mode passthrough -f shmout "$b" 2>"$T/relayw.err" &
fpid=$!
sleep $ATTACH
win "$TD_PEER" write "$a" 64 48 37 20 10 32 16 --pattern-out "$(winpath "$T/pat.raw")" >/dev/null 2>"$T/peer.err"
wait $fpid; fs=$?
wait $rpid; rs=$?
sizes=$(awk '/^frame/ { print $3 }' "$T/relay.meta" | uniq -c | awk '{ printf "%s:%s ", $1, $2 }')
if [ $fs -eq 0 ] && [ $rs -eq 0 ] && cmp -s "$T/relay.raw" "$T/pat.raw" && [ "$sizes" = "10:64x48 10:32x16 " ]; then
    ok "a resize through ffmpeg.exe -f shmin -f shmout: the peer reads every frame at its size ($sizes)"
else
    fail "a resize through ffmpeg.exe -f shmin -f shmout" "$sizes $(cat "$T/relay.err" "$T/relayw.err" "$T/peer.err"; cmp "$T/relay.raw" "$T/pat.raw" 2>&1)"
fi

# 4. Readers that hold the mutex, and a writer that dies.
#    A reader holds the mutex for 2 s of the writer's 4 s at 25 frames/s: the writer ends on time
#    (it never waits longer than lock_timeout), reports the dropped frames, and each with -v verbose.
name=$(blockname hold)
wff -loglevel verbose -f lavfi -i testsrc2=s=64x48:r=25 -vf realtime -frames:v 100 \
    -f shmout "$name" 2>"$T/hold.err" &
wpid=$!
wait_for 10 sh -c "grep -q 'Writing .* TouchDesigner block' '$T/hold.err'"
sleep 0.5
win "$TD_PEER" hold "$name" 2000 >"$T/holder.out" 2>&1
wait $wpid; ws=$?
dropped=$(sed -n "s/.*after \([0-9]*\) frames; \([0-9]*\) dropped.*/\2/p" "$T/hold.err")
written=$(sed -n "s/.*after \([0-9]*\) frames; \([0-9]*\) dropped.*/\1/p" "$T/hold.err")
if [ $ws -eq 0 ] && grep -q held "$T/holder.out" && [ "${dropped:-0}" -ge 20 ] &&
   [ $((written + dropped)) -eq 100 ] && [ "$(grep -c 'Frame dropped' "$T/hold.err")" -eq "$dropped" ]; then
    ok "a reader holding the mutex 2 s: the writer goes on, $written frames written, $dropped dropped and reported"
else
    fail "a reader holding the mutex 2 s" "status $ws, written ${written:-?}, dropped ${dropped:-?}; $(grep -v '^\[' "$T/hold.err" | tail -n 5; cat "$T/holder.out")"
fi

#    A reader that dies holding the mutex: the writer takes it over and goes on.
name=$(blockname die)
wff -loglevel warning -f lavfi -i testsrc2=s=64x48:r=25 -vf realtime -frames:v 250 \
    -f shmout "$name" 2>"$T/die.err" &
wpid=$!
wait_for 10 peer_info "$name"
win "$TD_PEER" hold-die "$name" >"$T/dier.out" 2>&1
wait_for 5 grep -q "died holding its mutex" "$T/die.err"    # the writer's next frame, before a reader's
win "$TD_PEER" read "$name" 5 "$(winpath "$T/after.raw")" 10000 >"$T/after.meta" 2>&1
wait $wpid; ws=$?
if [ $ws -eq 0 ] && grep -q "died holding its mutex; the writer took the mutex over" "$T/die.err" &&
   [ "$(grep -c '^frame' "$T/after.meta")" -eq 5 ]; then
    ok "a reader that dies holding the mutex: the writer takes it over, frames go on"
else
    fail "a reader that dies holding the mutex" "status $ws; $(cat "$T/die.err" "$T/dier.out" "$T/after.meta")"
fi

#    The writer killed: shmin says so and ends at once (the bound: one 2 ms poll, documented).
name=$(blockname kill)
wff -loglevel warning -f lavfi -i testsrc2=s=64x48:r=25 -vf realtime -f shmout "$name" 2>/dev/null &
wpid=$!
wff -loglevel info -f shmin -timeout 20 -i "$name" -f null - 2>"$T/kill.err" &
rpid=$!
wait_for 20 sh -c "grep -q 'frame=' '$T/kill.err'"
sleep 1
pkill -9 -f -- "-f shmout $name\$"     # ffmpeg.exe itself, not the shell that started wine
if wait_for 5 sh -c "! kill -0 $rpid 2>/dev/null"; then
    wait $rpid; rs=$?
    grep -q "The writer of block '$name' is gone" "$T/kill.err" && [ $rs -eq 0 ] &&
        ok "the writer killed: shmin reports it and ends the stream within 5 s" ||
        fail "the writer killed: shmin's report" "status $rs: $(tail -n 5 "$T/kill.err")"
else
    kill $rpid 2>/dev/null
    fail "the writer killed: shmin ends" "$(tail -n 5 "$T/kill.err")"
fi

# 5. Hostile headers: shmin refuses each with its reason. The older header generation is read.
hostile() {
    kind=$1 want=$2
    name=$(blockname h)
    win "$TD_PEER" hostile "$name" "$kind" 15000 >"$T/h.out" 2>&1 &
    hpid=$!
    wait_for 10 grep -q ready "$T/h.out"
    wff -loglevel error -f shmin -timeout 3 -i "$name" -frames:v 1 -f rawvideo "$(winpath "$T/h.raw")" 2>"$T/h.err"; rs=$?
    kill $hpid 2>/dev/null; wait $hpid 2>/dev/null
    if [ "$want" = read ]; then
        [ $rs -eq 0 ] && [ "$(wc -c < "$T/h.raw")" -eq $((64 * 48 * 4)) ] &&
            ok "hostile $kind: the older header generation is read" ||
            fail "hostile $kind: read" "status $rs: $(cat "$T/h.err")"
    elif [ $rs -ne 0 ] && grep -q "$want" "$T/h.err"; then
        ok "hostile $kind: refused ($(grep -o "$want.*" "$T/h.err" | head -n 1 | cut -c1-70))"
    else
        fail "hostile $kind: refused with '$want'" "status $rs: $(cat "$T/h.err")"
    fi
}
hostile bigsize     "beyond its mapping"
hostile badoffset   "beyond its mapping"
hostile smalloffset "inside its header"
hostile badcode     "pixel format code 12345"
hostile badmagic    "is not a TouchDesigner block"
hostile badversion  "header version 99"
hostile negsize     "claims a -5x"
hostile mismatch    "image bytes"
hostile hugedims    "claims a 2147483647x"
hostile infomagic   "info segment .* is not one"
hostile oldgen      read

# Bad input: each a clear error naming the problem.
bad() {
    desc=$1 want=$2; shift 2
    win "$@" >"$T/bad.out" 2>&1; rs=$?
    if [ $rs -ne 0 ] && grep -q "$want" "$T/bad.out"; then ok "bad input: $desc"
    else fail "bad input: $desc: error '$want'" "status $rs: $(tail -n 5 "$T/bad.out")"; fi
}
src="-hide_banner -f lavfi -i testsrc2=s=64x48 -frames:v 1"
# shellcheck disable=SC2086
{
bad "writer -memtype global" "Global shared memory is one segment per machine" ffmpeg.exe $src -memtype global -f shmout g1
bad "reader -memtype global" "other applications talk to its Shared Mem TOPs only" ffmpeg.exe -hide_banner -f shmin -memtype global -i g2 -f null -
bad "a name with a backslash" "which Windows reserves" ffmpeg.exe $src -f shmout 'a\b'
bad "a name of 250 characters" "longer than 200 bytes" ffmpeg.exe $src -f shmout "$(printf 'n%.0s' $(seq 250))"
bad "the shmout layout on Windows" "This build has no shmout layout" ffmpeg.exe $src -layout shmout -f shmout l1
bad "shmin with the shmout layout" "This build has no shmout layout" ffmpeg.exe -hide_banner -f shmin -layout shmout -i l2 -f null -
bad "a format TouchDesigner cannot show" "TouchDesigner cannot show pixel format yuv420p" ffmpeg.exe $src -format yuv420p -f shmout f1
bad "an unknown format" "nosuchformat" ffmpeg.exe $src -format nosuchformat -f shmout f2
bad "no writer within the timeout" "No writer created TouchDesigner block 'nobody' (local)" ffmpeg.exe -hide_banner -f shmin -timeout 1 -i nobody -f null -
}
# (ffmpeg -sinks exits 0 even when the device cannot list)
win ffmpeg.exe -hide_banner -sinks shmout >"$T/bad.out" 2>&1
grep -q "Blocks in the touchdesigner layout cannot be listed: name the block" "$T/bad.out" &&
    ok "bad input: -sinks shmout says TouchDesigner blocks cannot be listed" ||
    fail "bad input: -sinks shmout" "$(cat "$T/bad.out")"
name=$(blockname busy)
wff -loglevel error -f lavfi -i testsrc2=s=64x48:r=25 -vf realtime -frames:v 125 -f shmout "$name" 2>/dev/null &
wpid=$!
wait_for 10 peer_info "$name"
# shellcheck disable=SC2086
bad "a second writer of a live block" "is in use by process" ffmpeg.exe $src -f shmout "$name"
wait $wpid

finish
