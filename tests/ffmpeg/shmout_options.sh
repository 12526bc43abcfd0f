#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# shmout_options.sh: every option of the shmout device rejects bad values before the first
# frame, with a message that names the option (and, for the values the device parses itself,
# the accepted ones); ffmpeg then exits non-zero and no block is left behind.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}"

# bad DESC PATTERN OPTS...: shmout with OPTS fails, stderr matches PATTERN (grep -E).
bad() {
    desc=$1 pattern=$2; shift 2
    name=$(blockname opt)
    out=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i testsrc2=s=64x48:r=25 -frames:v 2 "$@" -f shmout "$name" 2>&1)
    status=$?
    if [ $status -eq 0 ]; then
        fail "$desc: ffmpeg must fail" "$out"
    elif ! echo "$out" | grep -Eq -- "$pattern"; then
        fail "$desc: message /$pattern/" "$out"
    elif ls /dev/shm | grep -q "$name"; then
        fail "$desc: no block left behind" "$(ls /dev/shm | grep "$name")"
    else
        ok "$desc"
    fi
}

for opt in memtype layout downloadtype outputresolution outputaspect armenu inputfiltertype fillmode filtertype chanmask; do
    bad "$opt rejects an unknown value" "Error setting option $opt to value bogus|Unable to parse.*$opt.*bogus" -$opt bogus
done
bad "active rejects 2"                 "Error setting option active to value 2"   -active 2
bad "npasses rejects 0"                "'npasses' out of range \[1 - 16\]" -npasses 0
bad "npasses rejects 17"               "'npasses' out of range \[1 - 16\]" -npasses 17
bad "slots rejects 1"                  "'slots' out of range \[2 - 16\]" -slots 1
bad "layout touchdesigner needs a Windows build" "This build has no touchdesigner layout: .*use a Windows build" -layout touchdesigner
bad "resolution rejects a bad size"    "Error setting option resolution to value 12xx|Unable to parse.*resolution" -resolution 12xx
bad "resmenu rejects an unknown name"  "Error setting option resmenu to value bogus" -outputresolution custom -resmenu bogus
bad "resolution and resmenu must agree" "Options 'resolution' \(640x480\) and 'resmenu' \(1280x720\) disagree" \
    -outputresolution custom -resolution 640x480 -resmenu hd720
# chanmask is handed to the chanmask filter as a number: the filter's own check refuses bits
# beyond r+g+b+a (AVOption does not range-check flags).
bad "chanmask rejects bits beyond r+g+b+a" \
    "Invalid mask value 16: only r \(1\), g \(2\), b \(4\) and a \(8\) may be combined" -chanmask 16
bad "chanmask rejects 255"             "Invalid mask value 255" -chanmask 255
bad "custom needs a resolution"        "Option 'outputresolution' custom needs a size: -resolution WxH" -outputresolution custom
bad "fit needs a resolution"           "Option 'outputresolution' fit needs a size" -outputresolution fit
# Without -aspect, custom pins the stream's own display aspect; with none known it needs one.
bad "outputaspect custom needs an aspect when the input has none" \
    "Option 'outputaspect' custom needs an aspect ratio: ffmpeg's -aspect W:H, or -armenu NAME" \
    -vf setsar=0 -outputaspect custom
bad "format rejects an unknown name" \
    "Invalid value 'bogus' for option 'format': this FFmpeg \(.*\) does not know that pixel format" -format bogus
bad "format lists the accepted values" \
    "Accepted values of 'format': useinput; the TouchDesigner formats rgba8fixed .*monoalpha32float; rgbaf32le rgbaf16le rgbf32le grayf16le \(packed by shmout\); and the pixel formats this FFmpeg's swscale writes: " \
    -format bogus
# The formats listed are this build's: those ffmpeg -pix_fmts marks as written by swscale (O),
# less hardware, paletted and bitstream ones, and less the names shmout packs itself.
got=$("$FFMPEG" -hide_banner -nostdin -f lavfi -i testsrc2=s=64x48:r=25 -frames:v 1 -format bogus -f shmout "$(blockname opt)" 2>&1 |
      sed -n "s/.*and the pixel formats this FFmpeg's swscale writes: //p" | tr ' ' '\n' | sort)
want=$("$FFMPEG" -hide_banner -pix_fmts | awk 'f && substr($1, 2, 1) == "O" && substr($1, 3, 3) == "..." { print $2 } /^-----/ { f = 1 }' |
       grep -vxE 'rgbaf32le|rgbaf16le|rgbf32le|grayf16le' | sort)
echo "$want" > "$T/want.fmts"; echo "$got" > "$T/got.fmts"
[ -n "$want" ] && [ "$got" = "$want" ] && ok "format lists exactly the pixel formats this build's swscale writes ($(echo "$want" | wc -l))" ||
    fail "format lists exactly the pixel formats this build's swscale writes" "$(diff "$T/want.fmts" "$T/got.fmts" | head -n 20)"
# yaf32le: a format that no series' swscale writes (and that 5.1 and 7.1 do not know).
if "$FFMPEG" -hide_banner -pix_fmts | grep -q ' yaf32le '; then why="the swscale of this FFmpeg \(.*\) cannot write that pixel format"
else why="this FFmpeg \(.*\) does not know that pixel format"; fi
bad "format says why this FFmpeg cannot write yaf32le" "Invalid value 'yaf32le' for option 'format': $why" -format yaf32le
bad "format rejects a hardware format"  "Invalid value 'vaapi' for option 'format'" -format vaapi
bad "name rejects a slash"              "Invalid block name for option 'name' \(or the output URL\)" -name a/b
bad "name rejects .."                   "Invalid block name" -name ..
long=$(printf 'x%.0s' $(seq 1 80))
bad "name rejects 80 characters"        "Invalid block name" -name "$long"
SHMOUT_RESMULT=abc bad "a bad SHMOUT_RESMULT is named"  "Invalid SHMOUT_RESMULT='abc': give a number above 0 and at most 16" -outputresolution half
SHMOUT_RESMULT=0 bad "SHMOUT_RESMULT=0 is refused"      "Invalid SHMOUT_RESMULT='0'" -outputresolution half
bad "a codec other than raw frames is refused" "shmout takes raw frames \(codec wrapped_avframe\), not rawvideo: drop -c:v" -c:v rawvideo

help=$("$FFMPEG" -hide_banner -h muxer=shmout 2>&1)
missing=
for opt in active name memtype downloadtype outputresolution resolution resmenu resmult outputaspect aspect \
           armenu inputfiltertype fillmode filtertype npasses chanmask format; do
    echo "$help" | grep -Eq "^ +-$opt +<" || missing="$missing $opt"
done
[ -z "$missing" ] && ok "-h muxer=shmout lists all 17 Shared Mem Out TOP parameters" ||
    fail "-h muxer=shmout lists all 17 Shared Mem Out TOP parameters" "missing:$missing"
for c in fithorizontal outside native mipmap nextframe eighth limit; do
    echo "$help" | grep -Eq "^ +$c +" || missing="$missing $c"
done
[ -z "$missing" ] && ok "-h muxer=shmout lists the named constants" || fail "-h muxer=shmout lists the named constants" "missing:$missing"
finish
