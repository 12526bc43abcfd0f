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

for opt in memtype downloadtype outputresolution outputaspect armenu inputfiltertype fillmode filtertype chanmask; do
    bad "$opt rejects an unknown value" "Error setting option $opt to value bogus|Unable to parse.*$opt.*bogus" -$opt bogus
done
bad "active rejects 2"                 "Error setting option active to value 2"   -active 2
bad "npasses rejects 0"                "'npasses' out of range \[1 - 16\]" -npasses 0
bad "npasses rejects 17"               "'npasses' out of range \[1 - 16\]" -npasses 17
bad "slots rejects 1"                  "'slots' out of range \[2 - 16\]" -slots 1
bad "resolution rejects a bad size"    "Error setting option resolution to value 12xx|Unable to parse.*resolution" -resolution 12xx
bad "resmenu rejects an unknown name"  "Invalid value 'bogus' for option 'resmenu': give a size name such as hd720" -outputresolution custom -resmenu bogus
bad "resolution and resmenu must agree" "Options 'resolution' \(640x480\) and 'resmenu' \(hd720\) disagree" \
    -outputresolution custom -resolution 640x480 -resmenu hd720
bad "custom needs a resolution"        "Option 'outputresolution' custom needs a size: -resolution WxH" -outputresolution custom
bad "fit needs a resolution"           "Option 'outputresolution' fit needs a size" -outputresolution fit
# Without -aspect, custom pins the stream's own display aspect; with none known it needs one.
bad "outputaspect custom needs an aspect when the input has none" \
    "Option 'outputaspect' custom needs an aspect ratio: ffmpeg's -aspect W:H, or -armenu NAME" \
    -vf setsar=0 -outputaspect custom
bad "format rejects an unknown name and lists the accepted ones" \
    "Invalid value 'bogus' for option 'format': accepted are useinput, rgba8fixed .*monoalpha32float, and the pixel formats swscale writes" \
    -format bogus
bad "format names the series for a format swscale cannot write" \
    "Invalid value 'yaf32le' for option 'format': (no FFmpeg series' swscale writes it|this FFmpeg .* does not know that pixel format; FFmpeg 8.1 does, but no series' swscale writes it)" \
    -format yaf32le
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
