#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# compat_1_0.sh - protocol 1.1 against a real 1.0 implementation: the library, the shmout tool
# and tests/tools/shmdump as they were at the last 1.0 commit, taken from the repository's
# history and built here. A 1.0 reader reads a 1.1 block (with a lossless 1.1 reader beside
# it) frame for frame; a 1.1 reader, asked to be lossless, reads a 1.0 block as an every
# reader and says that the writer does not honour it. Skipped (saying so) where the history is
# not there (a tarball, a shallow clone).
# usage: compat_1_0.sh PATH_TO_SHMOUT (the 1.1 tool; its library is in ../lib)
set -u
V10=6863790     # the last commit of protocol 1.0
S=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
lib=$(dirname "$S")/../lib/libshmout.a
W=${SHMOUT_WORK:-/tmp}/compat
N=cp$$
rm -rf "$W" && mkdir -p "$W/v10"
trap 'kill $(jobs -p) 2>/dev/null; rm -f /dev/shm/shmout.u$(id -u).${N}_*' EXIT

if ! git -C "$top" cat-file -e "$V10^{commit}" 2>/dev/null; then
    echo "ok - protocol 1.0 compatibility # SKIP commit $V10 (protocol 1.0) is not in this checkout's history"
    exit 0
fi
git -C "$top" archive "$V10" libshmout tools/shmout.c tests/tools/shmdump.c | tar -x -C "$W/v10"
cc -std=c11 -O2 -I"$W/v10/libshmout" "$W/v10/tools/shmout.c" "$W/v10"/libshmout/*.c -o "$W/shmout10" &&
cc -std=c11 -O2 -I"$W/v10/libshmout" "$W/v10/tests/tools/shmdump.c" "$W/v10"/libshmout/*.c -o "$W/shmdump10" &&
# the 1.1 library may be built with sanitizers (make check-lib SANITIZE=...): link them too
cc -std=c11 -O2 ${SHMOUT_SANITIZE:+-fsanitize=$SHMOUT_SANITIZE} -I"$top/libshmout" "$top/tests/tools/shmdump.c" \
    "$lib" -o "$W/shmdump11" ||
    { echo "not ok - build the 1.0 library, tool and shmdump from $V10"; exit 1; }
grep -q "SHMOUT_PROTO_MINOR 0u" "$W/v10/libshmout/shmout_protocol.h" ||
    { echo "not ok - $V10 is protocol 1.0"; exit 1; }

# check FILE FRAMES: FILE holds frames 1..FRAMES of test-writer's 32x16 rgba pattern (byte i of
# frame n is (n + i) & 255), one after the other
check() {
    python3 -c "
import sys
data = open(sys.argv[1], 'rb').read()
want = b''.join(bytes((n + i) & 255 for i in range(32 * 16 * 4)) for n in range(1, int(sys.argv[2]) + 1))
sys.exit(data != want)" "$1" "$2"
}

# A 1.0 reader of a 1.1 block, beside a 1.1 lossless reader.
"$W/shmdump10" ${N}_a "$W/a10.raw" --timeout 10000 > "$W/a10.meta" 2> "$W/a10.err" & r10=$!
"$W/shmdump11" ${N}_a "$W/a11.raw" --timeout 10000 --mode lossless > "$W/a11.meta" 2> "$W/a11.err" & r11=$!
sleep 0.3
# 20 fps: a 1.0 reader polls for a new block every 20 ms, so it attaches before frame 2
"$S" test-writer ${N}_a --width 32 --height 16 --fps 20 --frames 60 --slots 16 > /dev/null
wait $r10; s10=$?
wait $r11; s11=$?
[ $s10 -eq 0 ] && check "$W/a10.raw" 60 && [ "$(wc -l < "$W/a10.meta")" -eq 60 ] &&
    echo "ok - a 1.0 reader reads a 1.1 block: 60 frames, byte for byte" ||
    { echo "not ok - a 1.0 reader reads a 1.1 block"; echo "# status $s10, $(wc -l < "$W/a10.meta") frames"
      sed 's/^/# /' "$W/a10.err" "$W/a10.meta" | head -n 5; }
[ $s11 -eq 0 ] && check "$W/a11.raw" 60 && [ ! -s "$W/a11.err" ] &&
    echo "ok - beside it, a 1.1 lossless reader: 60 frames, honoured" ||
    { echo "not ok - beside it, a 1.1 lossless reader"; sed 's/^/# /' "$W/a11.err"; }

# A 1.1 lossless reader of a 1.0 block.
"$W/shmdump11" ${N}_b "$W/b11.raw" --timeout 10000 --mode lossless > "$W/b11.meta" 2> "$W/b11.err" & r11=$!
sleep 0.3
"$W/shmout10" test-writer ${N}_b --width 32 --height 16 --fps 20 --frames 60 --slots 16 > /dev/null
wait $r11; s11=$?
[ $s11 -eq 0 ] && check "$W/b11.raw" 60 && grep -q "the writer does not honour lossless readers" "$W/b11.err" &&
    echo "ok - a 1.1 lossless reader of a 1.0 block reads all 60 frames as an every reader, and says so" ||
    { echo "not ok - a 1.1 lossless reader of a 1.0 block"; sed 's/^/# /' "$W/b11.err"; }
"$S" info ${N}_b --json > "$W/b.json" 2>&1
grep -q '"status": "closed"' "$W/b.json" &&
    echo "ok - the 1.1 tool inspects a 1.0 block" || { echo "not ok - the 1.1 tool inspects a 1.0 block"; sed 's/^/# /' "$W/b.json"; }
"$S" rm ${N}_a > /dev/null; "$S" rm ${N}_b > /dev/null
exit 0
