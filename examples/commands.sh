#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# commands.sh: the classic shmout command lines, one per subcommand, runnable as they are.
# FFMPEG (default: build/bin/ffmpeg of this checkout) and PYTHON (default python3) can be set.
#
#   examples/commands.sh camera NAME [/dev/videoN]     a camera into a block
#   examples/commands.sh file NAME FILE                a file at its native rate into a block
#   examples/commands.sh record NAME OUT.mkv [SECONDS] a block to an H.264 recording (libx264
#                                                      when this ffmpeg has it, else FFV1, lossless)
#   examples/commands.sh relay IN OUT                  block IN through Python (inverted) into block OUT
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FFMPEG=${FFMPEG:-$here/../build/bin/ffmpeg}
PYTHON=${PYTHON:-python3}

case ${1:-} in
camera)
    # -f v4l2: Linux cameras; the frames keep the camera's format (often yuyv422 or mjpeg decoded).
    exec "$FFMPEG" -f v4l2 -i "${3:-/dev/video0}" -f shmout "$2" ;;
file)
    # -re: at the file's own frame rate, as a live source would be (FFmpeg 6.1 and later first
    # send half a second at once; -readrate_initial_burst shortens that, 0 means the default);
    # -an: video only; -slots 8: a ring of 8 frames, so a reader that records every frame may
    # fall 7 frames behind without losing any.
    burst=
    "$FFMPEG" -hide_banner -h long 2>/dev/null | grep -q readrate_initial_burst && burst="-readrate_initial_burst 0.001"
    # shellcheck disable=SC2086
    exec "$FFMPEG" -re $burst -i "$3" -an -slots 8 -f shmout "$2" ;;
record)
    # Every frame of the block (mode every), with the writer's timestamps, until the writer
    # closes it (or for SECONDS).
    if "$FFMPEG" -hide_banner -encoders 2>/dev/null | grep -q ' libx264 '; then
        codec="-c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p"
    else
        codec="-c:v ffv1"
    fi
    # shellcheck disable=SC2086
    exec "$FFMPEG" -f shmin -mode every -i "$2" ${4:+-t "$4"} $codec -y "$3" ;;
relay)
    # Python in the middle: every frame of IN, inverted, into OUT (examples/relay.py).
    exec "$PYTHON" "$here/relay.py" --invert "$2" "$3" ;;
*)
    sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2 ;;
esac
