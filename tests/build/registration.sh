#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# registration.sh: a registration FFmpeg's configure would silently skip stops the build with
# a message naming the fix. On a copy of the registered FFmpeg tree: the intact registration
# passes scripts/check-registration after FFmpeg's configure; the output device's extern line
# with the other series' type name (what a patch for the wrong series produces) fails it.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG_TREE:?run through make check}"
top=$(cd "$(dirname "$0")/../.." && pwd)

cp -a "$FFMPEG_TREE" "$T/tree"
rm -f "$T/tree/config.h"
"$top/scripts/register-ffmpeg" "$T/tree"
flags="--disable-everything --disable-autodetect --disable-doc --disable-programs --enable-outdev=shmout --enable-indev=shmin --enable-filter=chanmask"

# configure_into DIR: FFmpeg's configure of the copied tree, out of tree in DIR.
configure_into() { mkdir -p "$1" && (cd "$1" && "$T/tree/configure" $flags >configure.log 2>&1); }

configure_into "$T/good"
check "intact registration passes the check" "$top/scripts/check-registration" "$T/good" "$T/tree"

good=$(grep ' ff_shmout_muxer;$' "$T/tree/libavdevice/alldevices.c")
case $good in
    *FFOutputFormat*) wrong=AVOutputFormat ;;
    *) wrong=FFOutputFormat ;;
esac
sed -i "s/^extern const [A-Za-z]* ff_shmout_muxer;/extern const $wrong ff_shmout_muxer;/" "$T/tree/libavdevice/alldevices.c"
configure_into "$T/bad"
grep -q "did not match anything" "$T/bad/configure.log" && ok "FFmpeg's configure only warns about the skipped device" ||
    skip "FFmpeg's configure printed no warning for the skipped device"
out=$("$top/scripts/check-registration" "$T/bad" "$T/tree" 2>&1)
status=$?
[ $status -ne 0 ] && ok "a wrong type name fails the check" || fail "a wrong type name fails the check" "$out"
echo "$out" | grep -q "shmout output device is missing" &&
    echo "$out" | grep -Fq "$good" &&
    echo "$out" | grep -Fq "extern const $wrong ff_shmout_muxer;" &&
    ok "the message shows the wrong line and the form configure needs" ||
    fail "the message shows the wrong line and the form configure needs" "$out"
[ "$(echo "$out" | grep -c ' is missing from ')" -eq 1 ] && echo "$out" | grep -q "shmout output device is missing" &&
    ok "only the broken component is reported" || fail "only the broken component is reported" "$out"
finish
