#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# hostile_blocks.sh: blocks written by an attacker, end to end through every real reader: the
# shmout tool (info, ls, watch), ffmpeg -f shmin, the Python module, shmout-view (headless, SDL's
# dummy video driver) and examples/read_frames. tests/tools/hostile_block writes each case (a
# libshmout writer's block copied, then one thing in it made hostile: whole objects, every
# field of the primary header, the data-object header, the slot descriptor and the frame's
# geometry of docs/PROTOCOL.md §4-§6), or plays a hostile live writer (announces a corrupt data
# object, or a frame it never writes) or scribbles on the headers while they are read. For each
# reader and case: it ends by itself (10 s, else it hangs), is not killed by a signal, never
# raises an undocumented exception, and on an invalid block prints an error naming the problem
# instead of pixels; on a block with nothing intact it returns no frame, and the viewer and
# `watch` wait for one without spinning. The valid cases (the copy itself, a writer that died
# in the middle of a frame, a newer minor version) must give frame 1.
. "$(dirname "$0")/../lib/testlib.sh"
: "${B:?}" "${FFMPEG:?}" "${SHMOUT_TOOL:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
VIEW=$B/bin/shmout-view FRAMES=$B/examples/read_frames
PY=$(numpy_python) || PY=python3
HB=$T/hostile_block
for p in "$VIEW" "$FRAMES"; do
    [ -x "$p" ] || { fail "$p was built (make viewer examples; the viewer needs libsdl2-dev)"; finish; exit; }
done
${CC:-cc} -std=c11 -O2 -Wall -Wextra -I"$B/include/shmout" "$top/tests/tools/hostile_block.c" \
    "$B/lib/libshmout.a" -pthread -o "$HB" || { fail "build tests/tools/hostile_block.c"; finish; exit; }
export SDL_VIDEODRIVER=dummy        # the viewer without a display
unset DISPLAY WAYLAND_DISPLAY

# The Python reader. once: the newest frame or "no frame"; live: that, then every new frame
# until none comes within 3 s; flip: read and wait for 2.5 s, reopening after each error.
# Documented errors exit 1 ("error: TYPE: message"); anything else is a crash of the module
# (traceback, exit 3).
cat > "$T/pyread.py" <<'PY'
import sys, time, traceback
sys.path.insert(0, sys.argv[1])
import shmout
mode, name = sys.argv[2], sys.argv[3]
DOC = (shmout.ProtocolError, shmout.OverwrittenError, shmout.NotReadyError)
def show(f):
    print("frame %d: %dx%d %s, %d bytes" % (f.number, f.width, f.height, f.pix_fmt_name,
                                            sum(len(d) for d in f.data)), flush=True)
try:
    if mode == "flip":
        end, counts = time.monotonic() + 2.5, {}
        while time.monotonic() < end:
            try:
                with shmout.Reader(name) as r:
                    for _ in range(20):
                        f = r.read()
                        counts["frame" if f else "none"] = counts.get("frame" if f else "none", 0) + 1
                        r.status
                        r.wait(0.02)
            except DOC as e:
                counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
        print("outcomes:", counts)
    else:
        with shmout.Reader(name) as r:
            f = r.read()
            if f is None:
                print("no frame")
            else:
                show(f)
            while mode == "live":
                f = r.next_frame(timeout=3)
                if f is None:
                    print("no new frame; block", r.status)
                    break
                show(f)
except DOC as e:
    print("error: %s: %s" % (type(e).__name__, e))
    sys.exit(1)
except BaseException:
    traceback.print_exc()
    sys.exit(3)
PY

# start_reader R NAME MODE: run reader R on block NAME in the background, output in $T/R.out;
# $HB run gives it 10 s (-t: the viewer is meant to stay up; it gets SIGTERM, which SDL turns
# into a window close, after $VIEW_SECS). MODE: static (a block that does not change), live
# (a hostile writer acts while it reads) or flip.
start_reader() {
    r=$1 name=$2 mode=$3
    case $r in
        info)   set -- "$SHMOUT_TOOL" info "$name" ;;
        ls)     set -- "$SHMOUT_TOOL" ls ;;
        watch)  set -- "$SHMOUT_TOOL" watch "$name" --seconds "$([ "$mode" = static ] && echo 1 || echo 3)" ;;
        ffmpeg) rm -f "$T/ff.raw"
                set -- "$FFMPEG" -hide_banner -nostdin -loglevel warning -xerror -f shmin -timeout 0.5 -i "$name" \
                    -f rawvideo -y "$T/ff.raw" ;;
        python) set -- "$PY" "$T/pyread.py" "$top/python" "$([ "$mode" = static ] && echo once || echo "$mode")" "$name" ;;
        view)   rm -f "$T/shot.bmp"
                if [ "$mode" = static ]; then
                    set -- -t "$VIEW_SECS" "$VIEW" "$name" --screenshot "$T/shot.bmp" --frames 1
                else
                    set -- -t "$VIEW_SECS" "$VIEW" "$name"
                fi
                "$HB" run "$@" </dev/null >"$T/$r.out" 2>&1 &
                return ;;
        frames) set -- "$FRAMES" "$name" "$([ "$mode" = static ] && echo 1 || echo 1000)" ;;
    esac
    "$HB" run 10 "$@" </dev/null >"$T/$r.out" 2>&1 &
}
READERS="info ls watch ffmpeg python view frames"
# run_readers NAME MODE: every reader at once on NAME (they only read it), then wait for all.
run_readers() {
    pids=
    for r in $READERS; do start_reader $r "$1" "$2"; pids="$pids $!"; done
    for p in $pids; do wait $p; echo $? > "$T/rc.$p"; done
    set -- $pids
    for r in $READERS; do cp "$T/rc.$1" "$T/$r.rc"; shift; done
}
# cpu_ok R: reader R used less than half of its wall time in CPU (no busy loop).
cpu_ok() {
    sed -n 's/.*cpu \([0-9]*\) ms of \([0-9]*\) ms.*/\1 \2/p' "$T/$1.out" | {
        read -r cpu wall && [ $((cpu * 2)) -lt "$wall" ]; }
}
# gave_frame R NAME: reader R's output shows frame 1 of the 16x8 rgba copy (the viewer: saved
# its screenshot; ffmpeg: wrote 512 bytes; ls: lists NAME).
gave_frame() {
    o=$T/$1.out
    case $1 in
        info)   grep -q '^status: *stale' "$o" ;;
        ls)     grep -q "^$2 " "$o" ;;
        watch)  grep -q ', 1 frames' "$o" ;;
        ffmpeg) [ -s "$T/ff.raw" ] && [ $(($(wc -c < "$T/ff.raw") % 512)) -eq 0 ] ;;
        python|frames) grep -q '^frame 1:' "$o" ;;
        view)   grep -q 'ended by itself' "$o" && [ -s "$T/shot.bmp" ] ;;
    esac
}
# judge CASE R WANT PATTERN NAME: one reader's outcome.
#   V valid: exit 0 with frame 1          I invalid: an error matching PATTERN (ls: not listed,
#                                           or listed as corrupt)
#   N nothing intact: no frame, no error required; the viewer stays up and, like watch, idles
#   - anything, as long as it does not crash or hang (the checks below apply to every reader)
judge() {
    c=$1 r=$2 want=$3 pat=$4 name=$5 rc=$(cat "$T/$2.rc") out=$(cat "$T/$2.out") why=
    if [ "$rc" -eq 124 ]; then why="hangs"
    elif [ "$rc" -ge 128 ]; then why="killed by a signal"
    elif [ "$r" = python ] && [ "$rc" -eq 3 ]; then why="raises an undocumented exception"
    else
        case $want in
            V) [ "$rc" -eq 0 ] && gave_frame $r "$name" || why="does not give frame 1" ;;
            I) if [ $r = ls ]; then
                   [ "$rc" -eq 0 ] && { ! grep -q "^$name " "$T/ls.out" ||
                       grep -Eq "^$name +(local|global) +corrupt " "$T/ls.out"; } ||
                       why="lists the block as valid, or fails"
               elif [ "$rc" -eq 0 ] || ! grep -Eiq -- "$pat" "$T/$r.out"; then
                   why="does not fail with an error matching '$pat'"
               elif [ $r = view ] && ! grep -q 'ended by itself' "$T/view.out"; then
                   why="does not quit by itself"
               fi ;;
            N) if [ $r = ffmpeg ] && [ -s "$T/ff.raw" ]; then why="returns pixels"
               elif [ $r = python ] || [ $r = frames ] && grep -q '^frame ' "$T/$r.out"; then why="returns a frame"
               elif [ $r = view ] && ! grep -q 'quit on SIGTERM' "$T/view.out"; then why="does not wait for a frame"
               elif [ $r = view ] || [ $r = watch ] && ! cpu_ok $r; then why="spins while waiting"
               fi ;;
        esac
    fi
    if [ -z "$why" ]; then
        ok "$c: $r"
    else
        fail "$c: $r $why (status $rc)" "$out"
    fi
}

# 1. Static hostile blocks. Columns: the case (tests/tools/corrupt_fields.h, the table
#    test_corrupt.c tests the library with, or one of hostile_block.c's own), what each reader
#    must do (info ls watch ffmpeg python view read_frames), and what its error must name.
#    info and ls describe a block from its primary object: a bad data object or slot is none
#    of their business (ls lists a block whose primary is corrupt as "corrupt"). Blocks of a writer that is gone
#    and left nothing intact are "N". The layout cases are valid per §16 (a generic reader copies
#    by the plane fields), but their planes do not hold a frame of their size and format, so
#    the readers that take pixels by the format (shmin, the viewer) must refuse them.
cat > "$T/cases" <<'EOF'
valid                       V V V V V V V
prim.random                 I I I I I I I  not a shmout block|magic
data.random                 V V I I I I I  data object.*magic
data.missing                V V N N N N N
wait.short                  V V V V V V V
wait.random                 V V V V V V V
prim.short                  I I I I I I I  not a shmout block|not 4096
prim.long                   I I I I I I I  not a shmout block|not 4096
data.short                  V V I I I I I  data object.* 128 bytes
data.truncated              V V I I I I I  extend past the end|data_stride 4096 invalid
data.truncated.in_slot      V V I I I I I  extend past the end|data_stride 4096 invalid \(capacity 4096, size 8292\)
prim.magic                  I I I I I I I  magic
prim.magic.swapped          I I I I I I I  other byte order
prim.version_major          I I I I I I I  major
prim.version_minor          V V V V V V V
prim.header_size.small      I I I I I I I  header_size
prim.header_size.huge       I I I I I I I  header_size
prim.header_size.past       I I I I I I I  header_size (\(value )?8192
prim.byte_order             I I I I I I I  byte.order mark
prim.state                  I I I I I I I  state
prim.memtype                I I I I I I I  memtype
prim.memtype.0              I I I I I I I  memtype (\(value )?0[ )]
prim.segment_gen            V V N N N N N
prim.name.nonul             I I I I I I I  name (is )?not NUL-terminated
prim.name.escape            I I I I I I I  block name in the header is not a valid name
prim.name.slash             I I I I I I I  block name in the header is not a valid name
prim.geometry_seq.odd       V V V V - V V
prim.hints.unknown          V V V V V V V
prim.geometry.nb_planes     I I I I I I I  announced geometry.*(plane count|nb_planes)
prim.geometry.width         I I I I I I I  announced geometry.*size 0x8
data.magic                  V V I I I I I  data object.*magic
data.version_major          V V I I I I I  data object.*version
data.header_size.small      V V I I I I I  header_size
data.header_size.huge       V V I I I I I  header_size
data.segment_gen            V V I I I I I  generation 5|segment_gen 5
data.slot_count.0           V V I I I I I  slot_count (\(value )?0[ )]
data.slot_count.1           V V I I I I I  slot_count
data.slot_count.17          V V I I I I I  slot_count
data.slot_count.huge        V V I I I I I  slot_count
data.slot_table_offset.0    V V I I I I I  slot_table_offset (\(value )?0[ )]
data.slot_table_offset.odd  V V I I I I I  slot_table_offset
data.slot_table_offset.huge V V I I I I I  slot_table_offset
data.slot_desc_size.0       V V I I I I I  slot_desc_size (\(value )?0[ )]
data.slot_desc_size.small   V V I I I I I  slot_desc_size
data.slot_desc_size.huge    V V I I I I I  slot_desc_size
data.data_offset.0          V V I I I I I  data_offset
data.data_offset.huge       V V I I I I I  data_offset
data.data_stride.small      V V I I I I I  extend past the end|data_stride 1 invalid
data.data_stride.huge       V V I I I I I  extend past the end|data_stride 1125899906842624 invalid
data.data_stride.wrap       V V I I I I I  extend past the end|data_stride 6148914691236517206 invalid
data.capacity.0             V V I I I I I  capacity
data.capacity.huge          V V I I I I I  capacity
data.segment_size           V V I I I I I  segment_size
data.latest_frame.ahead     V V N I I N I  kept overwriting|no intact frame
data.latest_frame.huge      V V N I I N I  kept overwriting|no intact frame
slot.seq.odd                V V N I I N I  kept overwriting|no intact frame
slot.died_mid_frame         V V V V V V V
slot.frame_number           V V I I I I I  slot holds
geom.width.0                V V I I I I I  size 0x8
geom.width.huge             V V I I I I I  size 65537x8
geom.height.0               V V I I I I I  size 16x0
geom.pix_fmt.0              V V I I I I I  (pixel format code|pix_fmt) 0
geom.pix_fmt.mismatch       V V I I I I I  does not match code 128|pix_fmt 128 must be named
geom.pix_fmt.other_escape   V V I I I I I  (pixel format name|pix_fmt_name) has characters other than
geom.pix_fmt.other_named    V V V V V V V
geom.pix_fmt_name.nonul     V V I I I I I  NUL-terminated
geom.pix_fmt_name.empty     V V I I I I I  empty
geom.nb_planes.0            V V I I I I I  (plane count|nb_planes) 0
geom.nb_planes.5            V V I I I I I  (plane count|nb_planes) 5
geom.frame_bytes.capacity   V V I I I I I  4097.*capacity
geom.frame_bytes.huge       V V I I I I I  18446744073709551615
geom.plane_offset.past      V V I I I I I  offset 4000
geom.plane_offset.past_frame V V I I I I I  offset 64, .*frame_bytes 512
geom.plane_offset.huge      V V I I I I I  offset 4611686018427387904
geom.plane_offset.wrap      V V I I I I I  offset 18446744073709551607
geom.linesize.0             V V I I I I I  linesize 0|zero linesize
geom.linesize.int_max       V V I I I I I  linesize 2147483648
geom.linesize.huge          V V I I I I I  linesize 4294967295
geom.stride.wrap            V V I I I I I  linesize 4294967295
geom.bytewidth              V V I I I I I  byte ?width 65
geom.height.huge            V V I I I I I  4294967295|274877906880
geom.unused_plane           V V I I I I I  unused plane 3
geom.unused_plane.height    V V I I I I I  unused plane 3
layout.wide_row             V V V I V I V  planes do not fit a 16x8 rgba frame
layout.long_stride          V V V I V I V  planes do not fit a 16x8 rgba frame
layout.extra_plane          V V V I V I V  planes do not fit a 16x8 rgba frame
layout.gray_small_plane     V V V I V I V  planes do not fit a 4096x4096 gray frame
EOF
"$HB" list > "$T/generated"
cut -d' ' -f1 "$T/cases" > "$T/tabled"
cmp -s "$T/generated" "$T/tabled" && ok "every case of hostile_block has a row, in order" ||
    fail "every case of hostile_block has a row, in order" "$(diff "$T/generated" "$T/tabled")"

VIEW_SECS=1
while read -r c w_info w_ls w_watch w_ffmpeg w_python w_view w_frames pat; do
    name=$(blockname hb)
    "$HB" make "$name" "$c" || { fail "$c: hostile_block make"; continue; }
    run_readers "$name" static
    for r in $READERS; do
        eval "judge \"\$c\" $r \"\$w_$r\" \"\$pat\" \"\$name\""
    done
    rm -f "/dev/shm/shmout.u$(id -u).$name" "/dev/shm/shmout.u$(id -u).$name@"*
done < "$T/cases"

# 2. A hostile live writer: the readers have frame 1 and wait for the next one when it
#    announces a data object whose slot table lies 2^62 bytes away (swap), or a frame 7 that it
#    never writes (ahead); then it is gone. Readers of frames report the corrupt data object;
#    a frame that never becomes intact is no frame: the viewer and watch wait without spinning,
#    ffmpeg ends its stream once the writer is gone (it used to retry forever).
VIEW_SECS=3
for action in swap ahead; do
    name=$(blockname hbl)
    "$HB" make "$name" valid
    pid=$("$HB" live "$name" $action 700 1500) || { fail "live $action: hostile_block live"; continue; }
    at_exit "kill $pid 2>/dev/null"
    run_readers "$name" live
    for r in info ls; do judge "live.$action" $r - "" "$name"; done
    if [ $action = swap ]; then
        for r in watch ffmpeg python view frames; do judge "live.swap" $r I "slot_table_offset" "$name"; done
    else
        judge live.ahead watch N "" "$name"
        judge live.ahead view N "" "$name"
        judge live.ahead python I "kept overwriting" "$name"
        judge live.ahead frames I "kept overwriting" "$name"
        judge live.ahead ffmpeg - "" "$name"
        [ "$(cat "$T/ffmpeg.rc")" -eq 0 ] && [ "$(wc -c < "$T/ff.raw")" -eq 512 ] &&
            grep -q "newest frame cannot be read" "$T/ffmpeg.out" &&
            ok "live.ahead: ffmpeg keeps frame 1, then ends: the writer is gone, frame 7 never came" ||
            fail "live.ahead: ffmpeg keeps frame 1, then ends" "status $(cat "$T/ffmpeg.rc"): $(cat "$T/ffmpeg.out")"
    fi
    wait $pid 2>/dev/null
done

# 3. Headers that change while they are read: random words of the primary header, the
#    data-object header and the slot table rewritten in a loop for 2 s (the valid bytes put
#    back one time in four) under every reader at once, and ls run meanwhile.
name=$(blockname hbf)
"$HB" make "$name" valid
pid=$("$HB" flip "$name" 2000) && at_exit "kill $pid 2>/dev/null"
( for i in 1 2 3 4 5; do "$HB" run 10 "$SHMOUT_TOOL" ls </dev/null >/dev/null 2>&1 || echo "ls $?"; sleep 0.3; done ) > "$T/ls-flip" &
lsloop=$!
VIEW_SECS=3
run_readers "$name" flip
wait $lsloop
for r in $READERS; do judge flip $r - "" "$name"; done
[ ! -s "$T/ls-flip" ] && ok "flip: ls five times meanwhile" || fail "flip: ls five times meanwhile" "$(cat "$T/ls-flip")"
wait $pid 2>/dev/null
finish
