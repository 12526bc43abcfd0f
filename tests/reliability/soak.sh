#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# soak.sh: faults and load through the real paths (tests/reliability/soak.py drives them;
# tests/tools/soak.c holds the frame source and checking readers of the frame oracle in
# tests/tools/frame_oracle.h, and a resizing writer):
#   soak         1 writer (`ffmpeg -f shmout`) and 11 readers: every/latest/lossless, fast, slow,
#                SIGSTOPped, killed and restarted, and `ffmpeg -f shmin`; no bad frame, seen +
#                skipped = published, a lossless reader never evicted loses nothing, the writer
#                goes on past stopped and dead lossless readers, no memory growth. Before it, the
#                writer's rate at full speed (1080p from its own source) alone and with 8
#                readers, zero-copy and copying
#   kill         ffmpeg SIGKILLed at random points and restarted on the same name; a lossless
#                reader reads every frame of every writer
#   storm        size and format change every 3 frames under 8 readers, 4 of them lossless (one
#                stalled, one killed): the writer's stats show them evicted and reclaimed
#   growth-kill  the resizing writer killed in set-up, inside data-object growths, at random;
#                a lossless reader follows
# Lossless readers are waited for 100 ms at most per frame (soak.py --lossless-timeout), so that
# the chaos evicts a stopped one quickly.
# make check runs the short version (20,000 frames) and reports the rates; SHMOUT_SOAK=long
# (make soak) the long one: 1,000,000 frames, 50 kills, 100,000 storm frames, 7 rate rounds, and
# the writer's rate with 8 readers taking every frame (zero-copy) must be within 10% of its rate
# alone. Readers that copy whole frames also share the caches and memory bandwidth with the
# writer: their ratio is reported, not asserted.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${B:?}" "${SHMOUT_TOOL:?}"
here=$(cd "$(dirname "$0")" && pwd)
${CC:-cc} -std=c11 -Wall -Wextra -O2 -I"$B/include/shmout" "$here/../tools/soak.c" "$B/lib/libshmout.a" \
    -pthread -o "$T/soak" || { fail "build tests/tools/soak.c"; finish; exit; }
if [ "${SHMOUT_SOAK:-}" = long ]; then
    set -- --frames 1000000 --kills 50 --storm-frames 100000 --rate-rounds 7 --rate-frames 6000 --assert-rate
else
    set -- --frames 20000 --kills 5 --storm-frames 3000
fi
"${PYTHON:-python3}" "$here/soak.py" --soak "$T/soak" --ffmpeg "$FFMPEG" --tool "$SHMOUT_TOOL" \
    --tmp "$T" --prefix "$(blockname soak)" "$@"
