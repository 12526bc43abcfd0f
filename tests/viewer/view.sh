#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# view.sh: shmout-view in a real window under Xvfb. Its screenshots equal the source frame
# pixel for pixel (rgba as it is, gray expanded), it places the image as the block's fill-mode
# hint says (one it does not know as the default, fill) and as --fill overrides, and it follows
# a writer that resizes (its last frame shown pixel for pixel at that frame's size). The source
# frames are the pattern `shmout test-writer` documents: byte i of frame n is (n + i) & 255;
# with --resize-every N, frames alternate between WxH and 1.5 times that every N frames.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${SHMOUT_TOOL:?}" "${FFMPEG:?}"
VIEW=$B/bin/shmout-view
[ -x "$VIEW" ] || { fail "shmout-view was built (needs libsdl2-dev)"; finish; exit; }
command -v Xvfb >/dev/null || { fail "Xvfb is installed (apt-get install xvfb)"; finish; exit; }
PYTHON=$(numpy_python) || PYTHON=python3

Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$T/display" >/dev/null 2>&1 &
xvfb=$!
at_exit "kill $xvfb 2>/dev/null"
n=50; while [ ! -s "$T/display" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
export DISPLAY=":$(cat "$T/display")"

# bmp_check FILE FORMAT W H [N]: the BMP shows frame N (default 1) of the pattern in FORMAT (rgba
# or gray) at W x H.
bmp_check() {
    "$PYTHON" - "$@" <<'PY'
import struct, sys
path, fmt, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
n = int(sys.argv[5]) if len(sys.argv) > 5 else 1
d = open(path, "rb").read()
off = struct.unpack_from("<I", d, 10)[0]
bw, bh = struct.unpack_from("<ii", d, 18)
if (bw, abs(bh)) != (w, h):
    sys.exit("size %dx%d, want %dx%d" % (bw, abs(bh), w, h))
row = (bw * 3 + 3) // 4 * 4
for y in range(h):
    ry = h - 1 - y if bh > 0 else y
    for x in range(w):
        b, g, r = d[off + ry * row + x * 3: off + ry * row + x * 3 + 3]
        if fmt == "rgba":
            i = (y * w + x) * 4
            want = ((n + i) & 255, (n + 1 + i) & 255, (n + 2 + i) & 255)
        else:
            v = (n + y * w + x) & 255
            want = (v, v, v)
        if (r, g, b) != want:
            sys.exit("pixel %d,%d is %s, want %s" % (x, y, (r, g, b), want))
PY
}
# pixel FILE X Y: "R G B" of a BMP pixel.
pixel() {
    "$PYTHON" - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
x, y = int(sys.argv[2]), int(sys.argv[3])
off = struct.unpack_from("<I", d, 10)[0]
w, h = struct.unpack_from("<ii", d, 18)
row = (w * 3 + 3) // 4 * 4
ry = h - 1 - y if h > 0 else y
b, g, r = d[off + ry * row + x * 3: off + ry * row + x * 3 + 3]
print(r, g, b)
PY
}

for fmt in rgba gray; do
    name=$(blockname view)
    "$SHMOUT_TOOL" test-writer "$name" --width 64 --height 48 --format $fmt --frames 1 --hold &
    w=$!
    out=$(timeout 20 "$VIEW" "$name" --fill native --screenshot "$T/$fmt.bmp" --frames 1 2>&1)
    kill $w; wait $w 2>/dev/null
    if msg=$(bmp_check "$T/$fmt.bmp" $fmt 64 48 2>&1); then ok "$fmt: the window shows the frame pixel for pixel ($out)"
    else fail "$fmt: the window shows the frame pixel for pixel" "$out $msg"; fi
done

# Fill modes on a 4:3 frame in a 160x60 window: best leaves bars left and right, fill none.
name=$(blockname hint)
"$FFMPEG" -hide_banner -nostdin -loglevel error -re -f lavfi -i color=white:s=64x48:r=25 -t 30 \
    -pix_fmt rgba -fillmode best -f shmout "$name" &
w=$!
at_exit "kill $w 2>/dev/null"
timeout 20 "$VIEW" "$name" --window 160x60 --screenshot "$T/best.bmp" --frames 2 >/dev/null 2>&1
timeout 20 "$VIEW" "$name" --window 160x60 --fill fill --screenshot "$T/fill.bmp" --frames 2 >/dev/null 2>&1
# A fill-mode hint this version does not know (a newer writer's) means the default, fill.
top=$(cd "$(dirname "$0")/../.." && pwd)
PYTHONPATH=$top/python "$PYTHON" -c "
import mmap, os, struct, sys
from shmout import _protocol as P
fd = os.open(sys.argv[1], os.O_RDWR)
struct.pack_into('<I', mmap.mmap(fd, P.PRIMARY_SIZE), P.OFF_FILL_MODE, 0xffffffff)" "/dev/shm/shmout.u$(id -u).$name"
timeout 20 "$VIEW" "$name" --window 160x60 --screenshot "$T/unknown.bmp" --frames 2 >/dev/null 2>&1
kill $w; wait $w 2>/dev/null
[ "$(pixel "$T/best.bmp" 10 30)" = "0 0 0" ] && [ "$(pixel "$T/best.bmp" 80 30)" = "255 255 255" ] &&
    ok "the block's fill-mode hint (best) keeps the aspect: bars at the sides" ||
    fail "the block's fill-mode hint (best) keeps the aspect" "$(pixel "$T/best.bmp" 10 30) / $(pixel "$T/best.bmp" 80 30)"
[ "$(pixel "$T/fill.bmp" 10 30)" = "255 255 255" ] && ok "--fill fill overrides the hint: no bars" ||
    fail "--fill fill overrides the hint" "$(pixel "$T/fill.bmp" 10 30)"
[ "$(pixel "$T/unknown.bmp" 10 30)" = "255 255 255" ] && [ "$(pixel "$T/unknown.bmp" 80 30)" = "255 255 255" ] &&
    ok "an unknown fill-mode hint is shown as the default, fill: no bars" ||
    fail "an unknown fill-mode hint is shown as the default, fill" "$(pixel "$T/unknown.bmp" 10 30)"

# A writer that resizes every 2 frames: the 5 frames the viewer shows span resizes, and its last
# one is on screen as it is, at its own size. Its number k is its first byte (the red of the
# top-left pixel); frames 1 and 2 are 64x48, 3 and 4 96x72, and so on.
name=$(blockname resize)
"$SHMOUT_TOOL" test-writer "$name" --width 64 --height 48 --fps 10 --frames 40 --resize-every 2 &
w=$!
out=$(timeout 20 "$VIEW" "$name" --screenshot "$T/rs.bmp" --frames 5 2>&1)
status=$?
kill $w 2>/dev/null; wait $w 2>/dev/null
size=$(echo "$out" | sed -n 's/.* - \([0-9]*x[0-9]*\) rgba - .*/\1/p')
bmp=$("$PYTHON" -c "import struct,sys; d=open('$T/rs.bmp','rb').read(); w,h=struct.unpack_from('<ii',d,18); print('%dx%d'%(w,abs(h)))" 2>&1)
k=$(pixel "$T/rs.bmp" 0 0 2>/dev/null | cut -d' ' -f1)
case $k in ''|*[!0-9]*) k=0 ;; esac
if [ $(((k - 1) / 2 % 2)) -eq 1 ]; then want=96x72; else want=64x48; fi
[ $status -eq 0 ] && [ "$k" -ge 5 ] && [ "$size" = "$want" ] && [ "$bmp" = "$want" ] &&
    msg=$(bmp_check "$T/rs.bmp" rgba ${want%x*} ${want#*x} "$k" 2>&1) &&
    ok "it follows a resizing writer (frame $k, $size, pixel for pixel)" ||
    fail "it follows a resizing writer" "status $status, title '$out', screenshot $bmp of frame $k (want $want) $msg"
finish
