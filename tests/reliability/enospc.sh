#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# enospc.sh: a full /dev/shm, through ffmpeg. In a private mount namespace with a 2 MiB tmpfs on
# /dev/shm (so it needs root, as in CI), a small block runs while `ffmpeg -f shmout` asks for
# more than is left: ffmpeg fails at once with the ENOSPC message and the fix, not with a SIGBUS;
# it leaves no object behind; the running block and its readers carry on unharmed; and once
# there is room, the same command works.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${SHMOUT_TOOL:?}"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    skip "a full /dev/shm: needs root for a private tmpfs"
    finish
    exit
fi
small=$(blockname small) big=$(blockname big)
export FFMPEG SHMOUT_TOOL small big T
unshare -m sh -c '
    mount --make-rprivate / && mount -t tmpfs -o size=2m shmout-test /dev/shm || exit 99
    "$SHMOUT_TOOL" test-writer "$small" --fps 200 --frames 60000 2>/dev/null &
    writer=$!
    i=0
    until "$SHMOUT_TOOL" info "$small" >/dev/null 2>&1 || [ $i -ge 200 ]; do sleep 0.02; i=$((i + 1)); done
    "$SHMOUT_TOOL" info "$small" --json > "$T/small-before.json"
    # 1280x720 yuv420p: 3 slots of 1.4 MB, more than the 2 MiB there are.
    "$FFMPEG" -nostdin -v error -f lavfi -i testsrc2=s=1280x720:r=25 -frames:v 5 -f shmout "$big" \
        2> "$T/big.err"
    echo $? > "$T/big.rc"
    ls /dev/shm > "$T/after.ls"
    sleep 0.3
    "$SHMOUT_TOOL" info "$small" --json > "$T/small-after.json"
    kill $writer; wait $writer
    # Room again: the same command works.
    "$FFMPEG" -nostdin -v error -f lavfi -i testsrc2=s=320x240:r=25 -frames:v 5 -f shmout "$big" \
        2> "$T/again.err"
    echo $? > "$T/again.rc"
    umount /dev/shm
'
rc=$?
[ $rc -ne 99 ] || { fail "mount a private tmpfs on /dev/shm"; finish; exit; }
bigrc=$(cat "$T/big.rc")
# ffmpeg exits with the error code (228 for ENOSPC); a signal would show as 129..192.
check "ffmpeg -f shmout fails on a full /dev/shm, with an error status, not a signal (status $bigrc)" \
    sh -c "[ $bigrc -ne 0 ] && { [ $bigrc -le 128 ] || [ $bigrc -gt 192 ]; }"
check "the message names ENOSPC and the fix" grep -q "/dev/shm is full.*(ENOSPC).*enlarge it" "$T/big.err"
check "the failed ffmpeg leaves no object behind" sh -c "! grep -F '$big' '$T/after.ls'"
frames() { sed -n 's/.*"frames": \([0-9]*\).*/\1/p' "$1"; }
status() { sed -n 's/.*"status": "\([a-z]*\)".*/\1/p' "$1"; }
check "the block already there stays active and keeps publishing ($(frames "$T/small-before.json") -> $(frames "$T/small-after.json") frames)" \
    test "$(status "$T/small-after.json")" = active -a "$(frames "$T/small-after.json")" -gt "$(frames "$T/small-before.json")"
check "with room again, the same command works" test "$(cat "$T/again.rc")" = 0
finish
