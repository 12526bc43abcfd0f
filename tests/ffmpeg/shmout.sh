#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# shmout.sh: the shmout output device's options against an oracle. For each case, frames go
# through `ffmpeg ... -f shmout` and are read back out of shared memory by tests/tools/shmdump;
# they must equal, byte for byte, what `ffmpeg -vf CHAIN -f rawvideo` writes for the equivalent
# explicit chain, written out below from the rules the device documents:
#   per pass (npasses times): scale (outputresolution, with inputfiltertype as its flags),
#   setsar=1 | setdar=A (outputaspect), chanmask=mask=M, format=pix_fmts=F;
#   eighth..8x: w='max(1,round(iw*K))'; fit: force_original_aspect_ratio=decrease;
#   limit: w='min(iw,W)':h='min(ih,H)' with decrease; custom: W x H;
#   auto-inserted conversions use the same swscale flags (-sws_flags);
#   TouchDesigner formats: the chain ends in a base format, then tests/ffmpeg/shmout/pack.py
#   (numpy) packs the chosen channels as the element type.
# Each frame is fed through a FIFO only after the reader took the previous one, so every frame
# must arrive: the frame count, frame numbers and pts are checked too.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${B:?}"
here=$(cd "$(dirname "$0")" && pwd)
W=70 H=54 N=3
PYTHON=$(numpy_python) || { fail "a python3 with numpy for the oracle (apt-get install python3-numpy)"; finish; exit; }
${CC:-cc} -std=c11 -O2 -I"$B/include/shmout" "$here/../tools/shmdump.c" "$B/lib/libshmout.a" -pthread \
    -o "$T/shmdump" || { fail "build tests/tools/shmdump.c"; finish; exit; }

ff() { "$FFMPEG" -hide_banner -nostdin -loglevel error -y "$@"; }
for f in rgba rgb24 yuv420p yuv420p10le gray; do
    ff -f lavfi -i "testsrc2=s=${W}x${H}:r=25" -frames:v $N -pix_fmt $f -f rawvideo "$T/in.$f"
done

# run_device IN NAME OPTS...: frames of in.IN through the device, read back into got.raw/got.meta.
run_device() {
    in=$1 name=$2; shift 2
    fsize=$(($(wc -c < "$T/in.$in") / N))
    rm -f "$T/got.raw" "$T/got.meta"
    feed_start "$T/fifo" "$T/writer.err" ff -f rawvideo -pix_fmt "$in" -s ${W}x${H} -framerate 25 \
        -i "$T/fifo" "$@" -f shmout "$name"
    wpid=$feed_pid
    feed_frame "$T/in.$in" $fsize 0
    if ! wait_for 10 block_exists "$name"; then
        feed_end; wait $wpid; return 1
    fi
    "$T/shmdump" "$name" "$T/got.raw" --timeout 10000 >"$T/got.meta" 2>"$T/reader.err" 7>&- &
    rpid=$!
    wait_for 10 attached $rpid "$name"
    feed_frames "$T/in.$in" $fsize 1 $N 0.1
    feed_end
    wait $wpid; ws=$?
    wait $rpid; rs=$?
    [ $ws -eq 0 ] && [ $rs -eq 0 ]
}

# case DESC IN "OPTS" "CHAIN" OUTFMT [PACK] [SWSFLAGS]
#   PACK: "BASE CHANNELS ELEM" for TouchDesigner formats (OUTFMT is then BASE)
case_() {
    desc=$1 in=$2 opts=$3 chain=$4 outfmt=$5 pack=${6:-} sws=${7:-bilinear}
    name=$(blockname m)
    if ! run_device "$in" "$name" $opts; then
        fail "$desc: device run" "$(cat "$T/writer.err" "$T/reader.err" 2>/dev/null)"; return
    fi
    set -- -f rawvideo -pix_fmt "$in" -s ${W}x${H} -framerate 25 -i "$T/in.$in" -sws_flags "$sws"
    [ -z "$chain" ] || set -- "$@" -vf "$chain"
    ff "$@" -f rawvideo -pix_fmt "$outfmt" "$T/want.raw"
    if [ -n "$pack" ]; then
        # shellcheck disable=SC2086
        set -- $pack
        "$PYTHON" "$here/shmout/pack.py" "$1" "$2" "$3" \
            "$(sed -n '1s/.*size=\([0-9]*\)x.*/\1/p' "$T/got.meta")" \
            "$(sed -n '1s/.*size=[0-9]*x\([0-9]*\) .*/\1/p' "$T/got.meta")" "$T/want.raw" "$T/want.packed"
        mv "$T/want.packed" "$T/want.raw"
    fi
    frames=$(wc -l < "$T/got.meta")
    pts=$(awk '{ split($2, p, "="); split($3, t, "[=/]"); printf "%s ", p[2] * t[2] / t[3] * 25 }' "$T/got.meta")
    if [ "$frames" -ne $N ] || [ "$pts" != "0 1 2 " ] || ! grep -q '^frame=1 ' "$T/got.meta"; then
        fail "$desc: $N frames, numbered from 1, pts 0 1 2 (in 1/25 s)" "$(cat "$T/got.meta")"
    elif cmp -s "$T/got.raw" "$T/want.raw"; then
        ok "$desc"
    else
        fail "$desc: pixels differ from the oracle (-vf \"$chain\" -pix_fmt $outfmt${pack:+, pack $pack})" \
             "$(cmp "$T/got.raw" "$T/want.raw" 2>&1; ls -l "$T/got.raw" "$T/want.raw"; head -n 1 "$T/got.meta")"
    fi
    # The caller may check got.meta further.
}

# meta_is KEY=VALUE DESC: the first frame's metadata has it.
meta_is() {
    grep -q " $1\( \|$\)" "$T/got.meta" && ok "$2" || fail "$2" "$(head -n 1 "$T/got.meta")"
}

half="scale=w='max(1,round(iw*0.5))':h='max(1,round(ih*0.5))'"

# Input formats, passthrough (format useinput keeps planar YUV too).
case_ "rgba passthrough"                rgba        ""  ""  rgba
case_ "yuv420p passthrough"             yuv420p     ""  ""  yuv420p
case_ "yuv420p10le passthrough"         yuv420p10le ""  ""  yuv420p10le
case_ "gray passthrough"                gray        ""  ""  gray
case_ "rgb24 passthrough"               rgb24       ""  ""  rgb24
# Pixel formats by FFmpeg name.
case_ "rgb24 to rgba"                   rgb24   "-format rgba"       "format=pix_fmts=rgba"       rgba
case_ "yuv420p to rgba"                 yuv420p "-format rgba"       "format=pix_fmts=rgba"       rgba
case_ "yuv420p10le to rgba64le"         yuv420p10le "-format rgba64le" "format=pix_fmts=rgba64le" rgba64le
case_ "rgba to grayf32le (float)"       rgba    "-format grayf32le"  "format=pix_fmts=grayf32le"  grayf32le
case_ "yuv420p to gbrapf32le (float)"   yuv420p "-format gbrapf32le" "format=pix_fmts=gbrapf32le" gbrapf32le
case_ "gray to yuv444p"                 gray    "-format yuv444p"    "format=pix_fmts=yuv444p"    yuv444p
# outputresolution, each inputfiltertype.
case_ "half, linear"                    yuv420p "-outputresolution half" "$half:flags=bilinear" yuv420p
case_ "eighth, nearest"                 rgba    "-outputresolution eighth -inputfiltertype nearest" \
      "scale=w='max(1,round(iw*0.125))':h='max(1,round(ih*0.125))':flags=neighbor" rgba "" neighbor
case_ "quarter, mipmap"                 rgba    "-outputresolution quarter -inputfiltertype mipmap" \
      "scale=w='max(1,round(iw*0.25))':h='max(1,round(ih*0.25))':flags=area" rgba "" area
case_ "2x, bicubic"                     rgb24   "-outputresolution 2x -inputfiltertype bicubic" \
      "scale=w='max(1,round(iw*2))':h='max(1,round(ih*2))':flags=bicubic" rgb24 "" bicubic
case_ "4x, lanczos"                     gray    "-outputresolution 4x -inputfiltertype lanczos" \
      "scale=w='max(1,round(iw*4))':h='max(1,round(ih*4))':flags=lanczos" gray "" lanczos
case_ "8x, spline"                      rgba    "-outputresolution 8x -inputfiltertype spline" \
      "scale=w='max(1,round(iw*8))':h='max(1,round(ih*8))':flags=spline" rgba "" spline
case_ "fit 100x100"                     yuv420p "-outputresolution fit -resolution 100x100" \
      "scale=w=100:h=100:force_original_aspect_ratio=decrease:flags=bilinear" yuv420p
case_ "limit 40x40 (shrinks)"           rgba    "-outputresolution limit -resolution 40x40" \
      "scale=w='min(iw,40)':h='min(ih,40)':force_original_aspect_ratio=decrease:flags=bilinear" rgba
case_ "limit 400x400 (keeps)"           rgba    "-outputresolution limit -resolution 400x400" \
      "scale=w='min(iw,400)':h='min(ih,400)':force_original_aspect_ratio=decrease:flags=bilinear" rgba
case_ "custom 33x17 to rgba64le"        yuv420p10le "-outputresolution custom -resolution 33x17 -format rgba64le" \
      "scale=w=33:h=17:flags=bilinear,format=pix_fmts=rgba64le" rgba64le
case_ "resmenu qvga"                    rgba    "-outputresolution custom -resmenu qvga" \
      "scale=w=320:h=240:flags=bilinear" rgba
SHMOUT_RESMULT=0.5 case_ "resmult 0.5 from SHMOUT_RESMULT" rgba "-outputresolution custom -resolution 40x30" \
      "scale=w=20:h=15:flags=bilinear" rgba
SHMOUT_RESMULT=0.5 case_ "resmult 0 ignores SHMOUT_RESMULT" rgba "-outputresolution custom -resolution 40x30 -resmult 0" \
      "scale=w=40:h=30:flags=bilinear" rgba
# npasses.
case_ "half, 2 passes"                  rgba    "-outputresolution half -npasses 2" \
      "$half:flags=bilinear,$half:flags=bilinear" rgba
case_ "half, 3 passes, to rgba"         yuv420p "-outputresolution half -npasses 3 -format rgba" \
      "$half:flags=bilinear,format=pix_fmts=rgba,$half:flags=bilinear,format=pix_fmts=rgba,$half:flags=bilinear,format=pix_fmts=rgba" rgba
# chanmask.
case_ "chanmask r+g"                    rgba    "-chanmask r+g"      "chanmask=mask=r+g"  rgba
case_ "chanmask b+a keeps yuv420p"      yuv420p "-chanmask b+a"      "chanmask=mask=b+a,format=pix_fmts=yuv420p" yuv420p
case_ "chanmask g to gray"              rgb24   "-chanmask g -format gray" "chanmask=mask=g,format=pix_fmts=gray" gray
# TouchDesigner formats.
case_ "rgba32float"                     rgba    "-format rgba32float"  "format=pix_fmts=gbrapf32le" gbrapf32le "gbrapf32le rgba f32"
case_ "rgba16float"                     yuv420p "-format rgba16float"  "format=pix_fmts=gbrapf32le" gbrapf32le "gbrapf32le rgba f16"
case_ "rgbaf32le (FFmpeg name, packed)" rgba    "-format rgbaf32le"    "format=pix_fmts=gbrapf32le" gbrapf32le "gbrapf32le rgba f32"
case_ "rgba16fixed"                     rgb24   "-format rgba16fixed"  "format=pix_fmts=rgba64le"   rgba64le
case_ "rg8fixed"                        rgb24   "-format rg8fixed"     "format=pix_fmts=rgba"       rgba "rgba rg u8"
case_ "rg16fixed"                       rgba    "-format rg16fixed"    "format=pix_fmts=rgba64le"   rgba64le "rgba64le rg u16"
case_ "rg32float"                       rgba    "-format rg32float"    "format=pix_fmts=gbrpf32le"  gbrpf32le "gbrpf32le rg f32"
case_ "mono8fixed keeps red"            rgba    "-format mono8fixed"   "format=pix_fmts=rgba"       rgba "rgba r u8"
case_ "mono16float"                     yuv420p10le "-format mono16float" "format=pix_fmts=gbrpf32le" gbrpf32le "gbrpf32le r f16"
case_ "a8fixed"                         rgba    "-format a8fixed"      "format=pix_fmts=rgba"       rgba "rgba a u8"
case_ "monoalpha32float"                rgba    "-format monoalpha32float" "format=pix_fmts=gbrapf32le" gbrapf32le "gbrapf32le ra f32"
case_ "rgb11float"                      rgba    "-format rgb11float"   "format=pix_fmts=gbrpf32le"  gbrpf32le "gbrpf32le rgb r11g11b10f"
case_ "rgb10a2fixed"                    rgba    "-format rgb10a2fixed" "format=pix_fmts=x2bgr10le"  x2bgr10le
case_ "srgba8fixed"                     yuv420p "-format srgba8fixed"  "format=pix_fmts=rgba"       rgba
case_ "half, 2 passes, chanmask r+a, rgba16float" rgba "-outputresolution half -npasses 2 -chanmask r+a -format rgba16float" \
      "$half:flags=bilinear,chanmask=mask=r+a,format=pix_fmts=gbrapf32le,$half:flags=bilinear,chanmask=mask=r+a,format=pix_fmts=gbrapf32le" \
      gbrapf32le "gbrapf32le rgba f16"
# downloadtype nextframe gives the same frames.
case_ "nextframe, half, to rgba"        yuv420p "-downloadtype nextframe -outputresolution half -format rgba" \
      "$half:flags=bilinear,format=pix_fmts=rgba" rgba
# Aspect: pixels unchanged, the block's display aspect set.
case_ "outputaspect resolution"         rgba    "-outputresolution custom -resolution 100x50 -outputaspect resolution" \
      "scale=w=100:h=50:flags=bilinear,setsar=1" rgba
meta_is "dar=2:1" "outputaspect resolution: display aspect 2:1 in the block"
case_ "outputaspect custom, -aspect 16:9" rgba  "-outputaspect custom -aspect 16:9" "setdar=16/9" rgba
meta_is "dar=16:9" "ffmpeg's -aspect 16:9 reaches the block's display aspect"
case_ "outputaspect custom, armenu sd"  rgba    "-outputaspect custom -armenu sd" "setdar=4/3" rgba
meta_is "dar=4:3" "armenu sd gives display aspect 4:3"
case_ "useinput aspect follows -aspect" rgba    "-aspect 2:1" "" rgba
meta_is "dar=2:1" "outputaspect useinput keeps the stream's aspect"
finish
