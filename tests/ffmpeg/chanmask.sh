#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# Test of the chanmask video filter (libavdevice-shmout/libavfilter/vf_chanmask.c).
# Usage: FFMPEG=/path/to/ffmpeg sh tests/ffmpeg/chanmask.sh
#        (default FFMPEG=build/bin/ffmpeg relative to the repository root;
#         PYTHON may name a python3 with numpy, see numpy_python in tests/lib/testlib.sh)
# Every filter output is compared byte for byte with an oracle computed
# independently: tests/ffmpeg/chanmask/oracle.py (numpy, hand-written format
# layouts) for every format, plus FFmpeg's own lutrgb/lut where they support
# the format. Prints "ok - ...", "not ok - ..." or "skip - ..." per case and
# "N passed, M failed" at the end; exits 1 if anything failed.

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/testlib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
FFMPEG=${FFMPEG:-$ROOT/build/bin/ffmpeg}
ORACLE=$HERE/chanmask/oracle.py
W=64 H=48 N=3
TMP=$T

ff() { "$FFMPEG" -nostdin -hide_banner -loglevel error -y "$@"; }
fsize() { wc -c < "$1" | tr -d ' '; }

# ---- prerequisites ---------------------------------------------------------
if ! "$FFMPEG" -hide_banner -version >/dev/null 2>&1; then
    fail "ffmpeg under test runs ($FFMPEG)"
    finish; exit
fi
"$FFMPEG" -hide_banner -filters  > "$TMP/filters"  2>/dev/null
"$FFMPEG" -hide_banner -pix_fmts > "$TMP/pix_fmts" 2>/dev/null
"$FFMPEG" -hide_banner -formats  > "$TMP/formats"  2>/dev/null
"$FFMPEG" -hide_banner -devices  > "$TMP/devices"  2>/dev/null
has_filter() { grep -Eq "^ [A-Z.|]+ +$1 " "$TMP/filters"; }
has_pixfmt() { grep -Eq "^[A-Z.]+ +$1 " "$TMP/pix_fmts"; }

if has_filter chanmask; then
    ok "ffmpeg has the chanmask filter"
else
    fail "ffmpeg has the chanmask filter ($FFMPEG -filters does not list it)"
    finish; exit
fi
if ! grep -Eq '^ +D[E ]?[d ]? +rawvideo ' "$TMP/formats" ||
   ! grep -Eq '^ +[D ]?E[d ]? +rawvideo ' "$TMP/formats"; then
    fail "ffmpeg has the rawvideo demuxer and muxer (needed by every case)"
    finish; exit
fi

PYTHON=$(numpy_python)
if [ -z "$PYTHON" ]; then
    fail "python3 with numpy found for the oracle (set PYTHON=...)"
    finish; exit
fi
oracle() { "$PYTHON" "$ORACLE" "$@"; }

# testsrc2 through lavfi, converted by swscale, is the preferred input source
CAN_TESTSRC=0
if grep -Eq '^ *D +lavfi ' "$TMP/devices" && has_filter testsrc2; then
    CAN_TESTSRC=1
fi

# make_input FMT W H FRAMES OUT: raw frames of FMT; prints the source used.
# testsrc2 when swscale can write FMT (and the size is one testsrc2 keeps),
# else deterministic numpy data.
make_input() {
    if [ "$CAN_TESTSRC" = 1 ] &&
       ff -f lavfi -i "testsrc2=s=$2x$3:r=5" -frames:v "$4" -vf "format=$1" \
          -f rawvideo "$5" 2>/dev/null &&
       [ "$(fsize "$5")" = $(($(oracle size "$1" "$2" "$3") * $4)) ]; then
        echo testsrc2
    else
        oracle gen "$1" "$2" "$3" "$4" "$5" && echo numpy
    fi
}

# run_chanmask FMT W H IN OUT FILTERS [extra ffmpeg options]
run_raw() {
    _fmt=$1 _w=$2 _h=$3 _in=$4 _out=$5 _vf=$6
    shift 6
    ff "$@" -f rawvideo -pixel_format "$_fmt" -video_size "${_w}x${_h}" -framerate 5 -i "$_in" \
       -vf "$_vf" -pix_fmt "$_fmt" -f rawvideo "$_out" 2> "$_out.err"
}

# lut expression for a channel: kept -> val, colour dropped -> 0, alpha -> maxval
lutexpr() {
    case "+$2+" in
        *"+$1+"*|+all+) echo val ;;
        *) if [ "$1" = a ]; then echo maxval; else echo 0; fi ;;
    esac
}
lut_filter() { # FMT MASK -> filter string, or nothing if lut does not do FMT
    case $1 in
        # not lutrgb's planar >8-bit formats: there it maps 65535 to 65280 (5.1 to 9.0)
        argb|rgba|abgr|bgra|rgb24|bgr24|rgb48le|rgba64le|gbrp|gbrap)
            has_filter lutrgb &&
            echo "lutrgb=r=$(lutexpr r "$2"):g=$(lutexpr g "$2"):b=$(lutexpr b "$2"):a=$(lutexpr a "$2")" ;;
        gray|gray9le|gray10le|gray12le|gray14le|gray16le)
            has_filter lut && echo "lut=c0=$(lutexpr r "$2")" ;;
    esac
}

# ---- per-format, per-mask cases --------------------------------------------
FORMATS="rgba bgra argb abgr rgb0 bgr0 0rgb 0bgr rgb24 bgr24 gbrp gbrap
rgb48le bgr48le rgba64le bgra64le rgba64be gbrp10le gbrp16le gbrap10le gbrap16le gbrap16be
gray gray10le gray16le gray16be ya8 ya16le grayf32le gbrpf32le gbrapf32le
rgbaf32le rgbf32le rgbaf16le x2rgb10le x2bgr10le
gbrpf16le gbrapf16le grayf16le yaf32le rgb96le rgba128le gray32le gbrap32le
gbrp10msble gbrp12msble gbrp10msbbe gbrp12msbbe
bgr48be bgra64be rgb48be rgb96be rgba128be rgbaf16be rgbaf32be rgbf16le rgbf16be rgbf32be
x2bgr10be x2rgb10be gbrp9le gbrp9be gbrp10be gbrp12le gbrp12be gbrp14le gbrp14be gbrp16be
gbrap10be gbrap12le gbrap12be gbrap14le gbrap14be gbrap32be gbrpf16be gbrpf32be gbrapf16be
gbrapf32be gray9le gray9be gray10be gray12le gray12be gray14le gray14be gray32be grayf16be
grayf32be ya16be yaf16le yaf16be yaf32be"
MASKS="r g+b r+g+b a r+a none all"

for fmt in $FORMATS; do
    if ! has_pixfmt "$fmt"; then
        skip "$fmt: pixel format not in this FFmpeg"
        continue
    fi
    in=$TMP/$fmt.in.raw
    src=$(make_input "$fmt" $W $H $N "$in")
    fs=$(oracle size "$fmt" $W $H)
    if [ -z "$src" ] || [ "$(fsize "$in")" != $((fs * N)) ]; then
        fail "$fmt: input of $N frames generated"
        continue
    fi
    # shellcheck disable=SC2086 # MASKS is a word list
    oracle mask "$fmt" $W $H "$in" "$TMP/$fmt.exp" $MASKS
    for mask in $MASKS; do
        out=$TMP/$fmt.$mask.out
        exp=$TMP/$fmt.exp.$mask.raw
        name="$fmt mask=$mask (input: $src)"
        if ! run_raw "$fmt" $W $H "$in" "$out" "chanmask=$mask"; then
            fail "$name: ffmpeg failed: $(head -c 300 "$out.err")"
            continue
        fi
        if [ "$(fsize "$out")" != $((fs * N)) ]; then
            fail "$name: output has $(fsize "$out") bytes, expected $N frames of $fs"
            continue
        fi
        if ! cmp -s "$out" "$exp"; then
            fail "$name: differs from the numpy oracle"
            continue
        fi
        how=numpy
        lf=$(lut_filter "$fmt" "$mask")
        if [ -n "$lf" ]; then
            if ! run_raw "$fmt" $W $H "$in" "$out.lut" "$lf" ||
               ! cmp -s "$out" "$out.lut"; then
                fail "$name: differs from the FFmpeg oracle $lf"
                continue
            fi
            how="numpy, ${lf%%=*}"
        fi
        ok "$name equals oracle ($how)"
    done
done

# ---- the formats chanmask takes are exactly the ones tested above -------------
# chanmask derives its formats from pixdesc. For every pixel format of this build, a raw frame
# of it goes into chanmask; the filter logs the format it got ("mask:r fmt:X"): X itself when
# it takes X, another format when FFmpeg had to convert first.
taken=
for fmt in $(awk 'f { print $2 } /^-----/ { f = 1 }' "$TMP/pix_fmts"); do
    "$FFMPEG" -nostdin -hide_banner -v verbose -f rawvideo -pixel_format "$fmt" -video_size 16x16 \
        -i /dev/zero -frames:v 1 -vf chanmask=r -f null - 2>&1 | grep -q "mask:r fmt:$fmt\( \|\$\)" &&
        taken="$taken $fmt"
done
tested=
for fmt in $FORMATS; do has_pixfmt "$fmt" && tested="$tested $fmt"; done
sorted() { printf '%s\n' $1 | sort; }
if [ "$(sorted "$taken")" = "$(sorted "$tested")" ]; then
    ok "chanmask takes exactly the $(sorted "$tested" | wc -l) formats tested against the oracle"
else
    fail "chanmask takes exactly the formats tested against the oracle" \
        "taken, not tested: $(sorted "$taken" | grep -vxF "$(sorted "$tested")" | tr '\n' ' ')
tested, not taken: $(sorted "$tested" | grep -vxF "$(sorted "$taken")" | tr '\n' ' ')"
fi

# ---- passthrough: full mask gives the input back ----------------------------
for fmt in rgba gbrap16le ya8 rgb24 grayf32le; do
    in=$TMP/$fmt.in.raw
    [ -s "$in" ] || continue
    for vf in chanmask chanmask=all chanmask=mask=r+g+b+a; do
        if run_raw "$fmt" $W $H "$in" "$TMP/pt.out" "$vf" && cmp -s "$in" "$TMP/pt.out"; then
            ok "passthrough: $fmt -vf $vf equals input"
        else
            fail "passthrough: $fmt -vf $vf equals input"
        fi
    done
done
if [ -s "$TMP/rgb24.in.raw" ]; then
    if run_raw rgb24 $W $H "$TMP/rgb24.in.raw" "$TMP/pt.out" chanmask=r+g+b &&
       cmp -s "$TMP/rgb24.in.raw" "$TMP/pt.out"; then
        ok "passthrough: rgb24 (no alpha) with mask r+g+b equals input"
    else
        fail "passthrough: rgb24 (no alpha) with mask r+g+b equals input"
    fi
fi

# ---- non-writable input frames (split): copy path, the other branch untouched
for fm in rgba:r+a gbrap:r+a gbrp:g+b; do
    fmt=${fm%:*} mask=${fm#*:} in=$TMP/${fm%:*}.in.raw
    name="shared (non-writable) $fmt frames, mask $mask: output equals oracle, other split branch unchanged"
    if ! has_filter split; then
        skip "$name: ffmpeg lacks the split filter"
    elif ff -f rawvideo -pixel_format "$fmt" -video_size ${W}x$H -framerate 5 -i "$in" \
          -filter_complex "[0:v]split[a][b];[a]chanmask=${mask}[o1];[b]null[o2]" \
          -map "[o1]" -pix_fmt "$fmt" -f rawvideo "$TMP/split1.out" \
          -map "[o2]" -pix_fmt "$fmt" -f rawvideo "$TMP/split2.out" 2> "$TMP/split.err" &&
       cmp -s "$TMP/split1.out" "$TMP/$fmt.exp.$mask.raw" &&
       cmp -s "$TMP/split2.out" "$in"; then
        ok "$name"
    else
        fail "$name $(head -c 300 "$TMP/split.err")"
    fi
done

# ---- YUV input: automatic conversion to a format chanmask lists --------------
if [ "$CAN_TESTSRC" = 1 ] && has_filter scale; then
    yuv=$TMP/in.yuv
    ff -f lavfi -i "testsrc2=s=${W}x$H:r=5" -frames:v $N -pix_fmt yuv420p -f rawvideo "$yuv" 2>/dev/null
    "$FFMPEG" -nostdin -hide_banner -v verbose -y -f rawvideo -pixel_format yuv420p -video_size ${W}x$H \
        -framerate 5 -i "$yuv" -vf chanmask=r+a -f rawvideo "$TMP/yuv.out" 2> "$TMP/yuv.err"
    # the auto-inserted scaler reports "fmt:yuv420p ... -> ... fmt:X"
    neg=$(sed -n 's/.*auto[-_]scale.*fmt:yuv420p .*-> .*fmt:\([a-z0-9]*\) .*/\1/p' "$TMP/yuv.err" | head -n 1)
    if [ -z "$neg" ]; then
        fail "yuv420p input is converted automatically (no auto scaler line found) $(grep -i error "$TMP/yuv.err" | head -n 3)"
    elif ! oracle size "$neg" $W $H >/dev/null 2>&1; then
        fail "yuv420p input: negotiated format $neg is not an RGB/gray format"
    else
        ff -f rawvideo -pixel_format yuv420p -video_size ${W}x$H -framerate 5 -i "$yuv" \
           -vf "format=$neg" -f rawvideo "$TMP/yuvconv.raw" 2>/dev/null
        oracle mask "$neg" $W $H "$TMP/yuvconv.raw" "$TMP/yuvexp" r+a
        if cmp -s "$TMP/yuv.out" "$TMP/yuvexp.r+a.raw" &&
           [ "$(fsize "$TMP/yuv.out")" = $(($(oracle size "$neg" $W $H) * N)) ]; then
            ok "yuv420p input converted to $neg automatically, output equals format=$neg + oracle"
        else
            fail "yuv420p input converted to $neg automatically, output equals format=$neg + oracle"
        fi
    fi
else
    skip "yuv420p automatic conversion: ffmpeg lacks lavfi/testsrc2 or scale"
fi

# ---- runtime changes: sendcmd -> process_command ---------------------------
if has_filter sendcmd; then
    fmt=rgba in8=$TMP/rgba8.in.raw
    src=$(make_input $fmt $W $H 8 "$in8")
    fs=$(oracle size $fmt $W $H)
    oracle mask $fmt $W $H "$in8" "$TMP/cmd" g+b r+a
    # frames at t = 0, 0.2, ... 1.4: g+b for 0-2, r+a for 3-4, all for 5-7
    printf '0.5 chanmask mask r+a;\n0.9 chanmask mask all;\n' > "$TMP/cmds.txt"
    { head -c $((fs * 3)) "$TMP/cmd.g+b.raw"
      head -c $((fs * 5)) "$TMP/cmd.r+a.raw" | tail -c $((fs * 2))
      tail -c $((fs * 3)) "$in8"; } > "$TMP/cmd.exp"
    if run_raw $fmt $W $H "$in8" "$TMP/cmd.out" "sendcmd=f=$TMP/cmds.txt,chanmask=g+b" &&
       cmp -s "$TMP/cmd.out" "$TMP/cmd.exp"; then
        ok "sendcmd changes mask at runtime (g+b -> r+a at 0.5 s -> all at 0.9 s; input: $src)"
    else
        fail "sendcmd changes mask at runtime (g+b -> r+a at 0.5 s -> all at 0.9 s; input: $src) $(head -c 300 "$TMP/cmd.out.err")"
    fi
    # bad runtime values are refused and the mask stays
    printf '0.3 chanmask mask bogus;\n0.5 chanmask mask 16;\n' > "$TMP/cmds2.txt"
    if run_raw $fmt $W $H "$in8" "$TMP/cmd2.out" "sendcmd=f=$TMP/cmds2.txt,chanmask=g+b" -loglevel warning &&
       cmp -s "$TMP/cmd2.out" "$TMP/cmd.g+b.raw"; then
        ok "sendcmd with a bad mask value keeps the previous mask"
    else
        fail "sendcmd with a bad mask value keeps the previous mask $(head -c 300 "$TMP/cmd2.out.err")"
    fi
else
    skip "runtime mask changes: ffmpeg lacks the sendcmd filter"
fi

# ---- timeline: enable= ------------------------------------------------------
fmt=rgba in=$TMP/rgba.in.raw fs=$(oracle size rgba $W $H)
{ head -c $((fs * 2)) "$in"; tail -c $((fs * 1)) "$TMP/rgba.exp.r.raw"; } > "$TMP/tl.exp"
if run_raw $fmt $W $H "$in" "$TMP/tl.out" "chanmask=r:enable=gte(n\,2)" &&
   cmp -s "$TMP/tl.out" "$TMP/tl.exp"; then
    ok "timeline: enable='gte(n,2)' masks from frame 2 on"
else
    fail "timeline: enable='gte(n,2)' masks from frame 2 on $(head -c 300 "$TMP/tl.out.err")"
fi

# ---- bad option values ------------------------------------------------------
bad_value() { # FILTER VALUE
    if run_raw rgba $W $H "$TMP/rgba.in.raw" "$TMP/bad.out" "$1"; then
        fail "-vf $1 is refused (ffmpeg succeeded)"
    elif grep -Eq "(\"$2\"|value $2)" "$TMP/bad.out.err"; then
        ok "-vf $1 is refused with a message naming '$2'"
    else
        fail "-vf $1 is refused with a message naming '$2': $(head -c 300 "$TMP/bad.out.err")"
    fi
}
bad_value chanmask=x x
bad_value chanmask=mask=foo foo
bad_value chanmask=r+q q
bad_value chanmask=16 16

# ---- help ------------------------------------------------------------------
"$FFMPEG" -hide_banner -h filter=chanmask > "$TMP/help" 2>&1
missing=
for re in '^Filter chanmask' 'slice threading' '^ +mask +<flags>' 'become 0' 'opaque' \
          '^ +r +' '^ +g +' '^ +b +' '^ +a +' '^ +all +' 'timeline'; do
    grep -Eq "$re" "$TMP/help" || missing="$missing '$re'"
done
if [ -z "$missing" ]; then
    ok "-h filter=chanmask shows the mask option, its constants and semantics"
else
    fail "-h filter=chanmask lacks:$missing"
fi

# ---- slice threading: 1 vs 2 threads, larger odd-sized frames ----------------
for fmt in rgba gbrap16le rgbaf32le; do
    has_pixfmt $fmt || { skip "slice threading $fmt: pixel format not in this FFmpeg"; continue; }
    bw=1279 bh=721 in=$TMP/big.$fmt.raw
    src=$(make_input $fmt $bw $bh 2 "$in")
    oracle mask $fmt $bw $bh "$in" "$TMP/big.$fmt" r+a
    run_raw $fmt $bw $bh "$in" "$TMP/big1.out" chanmask=r+a -filter_threads 1
    r1=$?
    run_raw $fmt $bw $bh "$in" "$TMP/big2.out" chanmask=r+a -filter_threads 2
    r2=$?
    run_raw $fmt $bw $bh "$in" "$TMP/big7.out" chanmask=r+a -filter_threads 7
    r7=$?
    if [ $r1 = 0 ] && [ $r2 = 0 ] && [ $r7 = 0 ] &&
       cmp -s "$TMP/big1.out" "$TMP/big2.out" && cmp -s "$TMP/big1.out" "$TMP/big7.out" &&
       cmp -s "$TMP/big1.out" "$TMP/big.$fmt.r+a.raw"; then
        ok "slice threading: $fmt ${bw}x$bh, -filter_threads 1/2/7 identical and equal to oracle (input: $src)"
    else
        fail "slice threading: $fmt ${bw}x$bh, -filter_threads 1/2/7 identical and equal to oracle (input: $src)"
    fi
done

finish
