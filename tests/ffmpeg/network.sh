#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# network.sh: a block beyond one machine, through FFmpeg's own network outputs, on loopback:
# the command lines of the README's "Beyond one machine". (1) The command that writes a block
# also streams it as H.264 in MPEG-TS over UDP: a receiver bound first decodes every frame,
# equal to the same frames encoded and decoded here with the same settings, while a shmin
# reader reads the block; one that joins late decodes from the next keyframe on; with nobody
# listening the block is written all the same. (2) Over TCP, lossless (FFV1 in NUT): the
# receiver gets every frame equal to the source and writes a block of its own with those
# pixels; with no receiver listening the sender fails at once, before the block exists; a
# receiver that leaves ends the sender, block included. (3) A relay from a block as RTP: a
# receiver started from an earlier run's SDP gets every frame, equal to the oracle.
# Without libx264 the H.264 cases use mpeg2video. Every process runs under timeout; the ports
# come from the pid, checked free in /proc/net; a receiver is bound before its sender starts.
. "$(dirname "$0")/../lib/testlib.sh"
: "${FFMPEG:?}" "${FFPROBE:?}" "${SHMOUT_TOOL:?}"

# has LIST NAME: ffmpeg -LIST (encoders, muxers, protocols, ...) names NAME.
has() { "$FFMPEG" -hide_banner "-$1" 2>/dev/null | grep -Eq "(^| )$2( |$)"; }
for need in encoders:ffv1 decoders:ffv1 muxers:mpegts demuxers:mpegts muxers:nut demuxers:nut muxers:rtp \
            demuxers:sdp protocols:udp protocols:tcp protocols:rtp filters:testsrc2; do
    has "${need%%:*}" "${need#*:}" || { skip "network outputs: this ffmpeg has no ${need#*:} (${need%%:*})"; finish; exit; }
done
if has encoders libx264; then
    X="-c:v libx264 -preset veryfast -tune zerolatency -g 50 -pix_fmt yuv420p" codec=h264
else
    X="-c:v mpeg2video -g 50 -pix_fmt yuv420p" codec=mpeg2video
fi

W=320 H=240 N=50
SRC="testsrc2=s=${W}x${H}:r=25:d=2"                 # N frames, pts 0..N-1
# Local ports: 20 of them to each suite from its pid (so that suites run at the same time, whose
# pids are close, get distinct ones), below the kernel's ephemeral range; of those, the next
# pair that no TCP or UDP socket has (RTP takes PORT and PORT + 1).
next_port=$((10000 + $$ % 1100 * 20))
on_port() { awk -v p="$(printf ':%04X' "$1")" -v st="${2:-}" \
    'FNR > 1 && substr($2, length($2) - 4) == p && (st == "" || $4 == st) { f = 1 } END { exit !f }' "$3"; }
port_used() { for f in /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6; do on_port "$1" "" $f && return 0; done; return 1; }
new_port() {
    while port_used $next_port || port_used $((next_port + 1)); do next_port=$((next_port + 2)); done
    port=$next_port next_port=$((next_port + 2))
}
udp_bound() { on_port "$1" "" /proc/net/udp; }
tcp_listening() { on_port "$1" 0A /proc/net/tcp; }
# ff ARGS: ffmpeg, for at most 30 s. ff_bg ARGS: the same in the background, its pid (timeout's) in $!.
ff() { timeout -k 5 30 "$FFMPEG" -hide_banner -nostdin "$@"; }
ff_bg() { timeout -k 5 30 "$FFMPEG" -hide_banner -nostdin "$@" & }
# child_attached PID NAME: the ffmpeg that timeout PID runs has block NAME mapped.
child_attached() { c=$(cat "/proc/$1/task/$1/children" 2>/dev/null); attached "${c% }" "$2"; }
field() { "$SHMOUT_TOOL" info "$1" 2>/dev/null | awk -v k="$2:" '$1 == k { print $2 }'; }
frames_above() { [ "$(field "$1" frames)" -gt "$2" ] 2>/dev/null; }
count() { framemd5_lines "$1" | wc -l; }
sizes_md5s() { framemd5_lines "$1" | cut -d' ' -f2-; }
# errors FILE: the lines of FILE other than the usual ones given as further arguments (grep -E).
errors() { f=$1; shift; pat=$(IFS='|'; echo "$*"); grep -Ev "${pat:-^$}" "$f" | tr '\n' ' '; }
# A shmin reader that attaches a little after its writer says which frames it missed:
ATTACH='published before this reader attached'
# oracle SRC OUT: the frames of lavfi SRC, encoded with the settings $X and decoded here.
# shellcheck disable=SC2086
oracle() { ff -loglevel error -y -f lavfi -i "$1" $X -f mpegts "$T/oracle.ts" && ff -loglevel error -i "$T/oracle.ts" -f framemd5 "$2"; }
# reader_check MD5: the frames a shmin reader (-mode lossless -copyts: the writer's pts) wrote
# to MD5 are the source's (src.md5) from its first one to the last (N-1), every one, pixels
# and pts. Prints "K frames from pts F" or what is wrong.
reader_check() {
    framemd5_lines "$T/src.md5" > "$T/src.lines"
    framemd5_lines "$1" | awk -v last=$((N - 1)) '
        NR == FNR { want[$1] = $2 " " $3; next }
        { n++; if (n == 1) first = prev = $1 - 1
          if ($1 != prev + 1) bad = bad " pts " $1 " after " prev ";"
          else if (want[$1] != $2 " " $3) bad = bad " pts " $1 ": " $2 " " $3 " is not the source frame;"
          prev = $1 }
        END { if (n == 0) { print "no frames"; exit 1 }
              if (prev != last) bad = bad " last pts " prev ", want " last ";"
              if (bad != "") { print bad; exit 1 }
              print n " frames from pts " first + 1 }' "$T/src.lines" -
}
# keyframe_tail GOT ORACLE: GOT's frames (size, md5) are ORACLE's from a keyframe (a multiple
# of 50) to the end. Prints "K frames, from frame F" or what is wrong.
keyframe_tail() {
    sizes_md5s "$2" > "$T/tail.want"
    sizes_md5s "$1" | awk 'NR == FNR { o[++n] = $0; next } { g[++m] = $0 }
        END { for (i = 1; i <= n && o[i] != g[1]; i++);
              if (m == 0 || i > n || (i - 1) % 50) { print "the first frame is not a keyframe of the oracle"; exit 1 }
              if (m != n - i + 1) { print m " frames from frame " i - 1 ", want " n - i + 1; exit 1 }
              for (j = 1; j <= m; j++) if (o[i + j - 1] != g[j]) { print "frame " i + j - 2 " differs"; exit 1 }
              print m " frames, from frame " i - 1 }' "$T/tail.want" -
}

ff -loglevel error -f lavfi -i "$SRC" -f framemd5 "$T/src.md5"
oracle "$SRC" "$T/oracle.md5"
probe=$("$FFPROBE" -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 "$T/oracle.ts" 2>&1 |
    awk -F, 'NR == 1 { print $1 "," $2 "," $3 }')
[ "$(count "$T/oracle.md5")" -eq $N ] && [ "$probe" = "$codec,$W,$H" ] &&
    ok "the oracle: $N frames, $codec ${W}x$H in MPEG-TS ($X)" ||
    fail "the oracle: $N frames, $codec ${W}x$H in MPEG-TS" "$(count "$T/oracle.md5") frames, ffprobe: $probe"

# 1. A second output of the command that writes the block: MPEG-TS over UDP. The receiver
#    ends 3 s after the last datagram (udp's timeout), which ffmpeg reports as an I/O error.
new_port
name=$(blockname udp)
ff_bg -loglevel error -i "udp://127.0.0.1:$port?timeout=3000000" -f framemd5 "$T/udp.md5" 2>"$T/udp.err"
rx=$!
at_exit "kill $rx 2>/dev/null; wait $rx 2>/dev/null"
ff_bg -loglevel warning -f shmin -mode lossless -timeout 10 -copyts -i "$name" -f framemd5 "$T/local.md5" 2>"$T/local.err"
reader=$!
at_exit "kill $reader 2>/dev/null; wait $reader 2>/dev/null"
wait_for 10 udp_bound $port || fail "the UDP receiver is bound to port $port" "$(cat "$T/udp.err")"
# shellcheck disable=SC2086
ff -loglevel error -re -f lavfi -i "$SRC" -f shmout "$name" $X -f mpegts "udp://127.0.0.1:$port?pkt_size=1316" \
    2>"$T/udp-tx.err"
tx=$?
wait $rx; rxs=$?
wait $reader; rs=$?
[ $tx -eq 0 ] && [ ! -s "$T/udp-tx.err" ] && ok "shmout and MPEG-TS over UDP from one command: it ends cleanly" ||
    fail "shmout and MPEG-TS over UDP from one command: it ends cleanly" "status $tx: $(cat "$T/udp-tx.err")"
errs=$(errors "$T/udp.err" 'Error during demuxing: Input/output error')
[ $rxs -eq 0 ] && [ -z "$errs" ] && [ "$(sizes_md5s "$T/udp.md5")" = "$(sizes_md5s "$T/oracle.md5")" ] &&
    ok "the UDP receiver decodes all $N frames, ${W}x$H, equal to the oracle, without an error" ||
    fail "the UDP receiver decodes all $N frames, equal to the oracle, without an error" \
        "status $rxs, $(count "$T/udp.md5") frames; $errs; $(diff "$T/oracle.md5" "$T/udp.md5" | head -n 8)"
out=$(reader_check "$T/local.md5") && [ $rs -eq 0 ] && [ -z "$(errors "$T/local.err" "$ATTACH")" ] &&
    ok "meanwhile a shmin reader of the block gets the source's frames: $out" ||
    fail "meanwhile a shmin reader of the block gets the source's frames" "status $rs: $out; $(cat "$T/local.err")"

# A receiver that joins late (once the block has 10 frames) decodes from the next keyframe
# (-g 50) on: the oracle's frames from a multiple of 50 to the end. Before that keyframe the
# decoder complains of what it lacks (its messages are let through: every frame it outputs
# is checked).
new_port
name=$(blockname join)
oracle "testsrc2=s=${W}x$H:r=25:d=6" "$T/oracle6.md5"
# shellcheck disable=SC2086
ff_bg -loglevel error -re -f lavfi -i "testsrc2=s=${W}x$H:r=25:d=6" -f shmout "$name" $X \
    -f mpegts "udp://127.0.0.1:$port?pkt_size=1316" 2>"$T/join-tx.err"
tx=$!
at_exit "kill $tx 2>/dev/null; wait $tx 2>/dev/null"
wait_for 10 frames_above "$name" 9 || fail "the sender writes the block" "$(cat "$T/join-tx.err")"
ff -loglevel error -i "udp://127.0.0.1:$port?timeout=3000000" -f framemd5 "$T/join.md5" 2>"$T/join.err"
rxs=$?
wait $tx; txs=$?
out=$(keyframe_tail "$T/join.md5" "$T/oracle6.md5"); kt=$?
errs=$(errors "$T/join.err" 'Error during demuxing: Input/output error' '^\[(h264|mpeg2video) @' '^ +Last message repeated')
[ $kt -eq 0 ] && [ $rxs -eq 0 ] && [ $txs -eq 0 ] && [ -z "$errs" ] &&
    ok "a UDP receiver that joins late decodes from the next keyframe on, equal to the oracle: $out" ||
    fail "a UDP receiver that joins late decodes from the next keyframe on, equal to the oracle" \
        "receiver $rxs, sender $txs: $out; $errs"

# With nobody listening, UDP changes nothing for the block.
new_port
name=$(blockname alone)
ff_bg -loglevel warning -f shmin -mode lossless -timeout 10 -copyts -i "$name" -f framemd5 "$T/alone.md5" 2>"$T/alone.err"
reader=$!
at_exit "kill $reader 2>/dev/null; wait $reader 2>/dev/null"
# shellcheck disable=SC2086
ff -loglevel error -re -f lavfi -i "$SRC" -f shmout "$name" $X -f mpegts "udp://127.0.0.1:$port?pkt_size=1316" \
    2>"$T/alone-tx.err"
tx=$?
wait $reader; rs=$?
out=$(reader_check "$T/alone.md5") && [ $rs -eq 0 ] && [ -z "$(errors "$T/alone.err" "$ATTACH")" ] &&
    [ $tx -eq 0 ] && [ ! -s "$T/alone-tx.err" ] &&
    ok "with no UDP receiver the command runs as usual and the block gets the frames: $out" ||
    fail "with no UDP receiver the command runs as usual and the block gets the frames" \
        "sender $tx: $(cat "$T/alone-tx.err"); reader $rs: $out $(cat "$T/alone.err")"

# 2. Lossless over TCP: FFV1 in NUT. The receiver listens and writes a block of its own.
new_port
name=$(blockname tcp) far=$(blockname far)
ff_bg -loglevel error -i "tcp://127.0.0.1:$port?listen=1" -f shmout "$far" -f framemd5 "$T/tcp.md5" 2>"$T/tcp.err"
rx=$!
at_exit "kill $rx 2>/dev/null; wait $rx 2>/dev/null"
ff_bg -loglevel warning -f shmin -mode lossless -timeout 10 -copyts -i "$far" -f framemd5 "$T/far.md5" 2>"$T/far.err"
reader=$!
at_exit "kill $reader 2>/dev/null; wait $reader 2>/dev/null"
wait_for 10 tcp_listening $port || fail "the TCP receiver listens on port $port" "$(cat "$T/tcp.err")"
ff -loglevel error -re -f lavfi -i "$SRC" -f shmout "$name" -c:v ffv1 -f nut "tcp://127.0.0.1:$port" 2>"$T/tcp-tx.err"
tx=$?
wait $rx; rxs=$?
wait $reader; rs=$?
[ $tx -eq 0 ] && [ ! -s "$T/tcp-tx.err" ] && ok "shmout and FFV1 in NUT over TCP from one command: it ends cleanly" ||
    fail "shmout and FFV1 in NUT over TCP from one command: it ends cleanly" "status $tx: $(cat "$T/tcp-tx.err")"
[ $rxs -eq 0 ] && [ ! -s "$T/tcp.err" ] && [ "$(framemd5_lines "$T/tcp.md5")" = "$(framemd5_lines "$T/src.md5")" ] &&
    ok "the TCP receiver gets all $N frames equal to the source, pixels and pts" ||
    fail "the TCP receiver gets all $N frames equal to the source, pixels and pts" \
        "status $rxs: $(cat "$T/tcp.err"); $(diff "$T/src.md5" "$T/tcp.md5" | head -n 8)"
out=$(reader_check "$T/far.md5") && [ $rs -eq 0 ] && [ -z "$(errors "$T/far.err" "$ATTACH")" ] &&
    ok "the receiver's own block holds the source's pixels: $out" ||
    fail "the receiver's own block holds the source's pixels" "status $rs: $out; $(cat "$T/far.err")"

# With no TCP receiver listening the command fails at once: no block.
new_port
name=$(blockname none)
# shellcheck disable=SC2086
ff -loglevel error -re -f lavfi -i "testsrc2=s=${W}x$H:r=25" -t 60 -f shmout "$name" $X -f mpegts "tcp://127.0.0.1:$port" \
    2>"$T/none-tx.err"
tx=$?
[ $tx -ne 0 ] && [ $tx -ne 124 ] && [ $tx -ne 137 ] && grep -q 'Connection refused' "$T/none-tx.err" && ! block_exists "$name" &&
    ok "with no TCP receiver the command fails at once (status $tx, connection refused), before the block exists" ||
    fail "with no TCP receiver the command fails at once, before the block exists" "status $tx: $(cat "$T/none-tx.err")"

# A TCP receiver that leaves (after 10 frames) ends the sender: the block closes with it.
# (-analyzeduration: MPEG-TS has no header, so by default a receiver reads 5 s before it starts.)
new_port
name=$(blockname quit)
ff_bg -loglevel error -analyzeduration 500000 -i "tcp://127.0.0.1:$port?listen=1" -frames:v 10 -f null - 2>"$T/quit.err"
rx=$!
at_exit "kill $rx 2>/dev/null; wait $rx 2>/dev/null"
wait_for 10 tcp_listening $port || fail "the TCP receiver listens on port $port" "$(cat "$T/quit.err")"
# shellcheck disable=SC2086
ff -loglevel error -re -f lavfi -i "testsrc2=s=${W}x$H:r=25" -t 60 -f shmout "$name" $X -f mpegts "tcp://127.0.0.1:$port" \
    2>"$T/quit-tx.err"
tx=$?
wait $rx; rxs=$?
st=$(field "$name" status)
[ $rxs -eq 0 ] && [ $tx -ne 0 ] && [ $tx -ne 124 ] && [ $tx -ne 137 ] && grep -Eq 'Broken pipe|Connection reset' "$T/quit-tx.err" &&
    [ "$st" = closed ] && ok "a TCP receiver that leaves ends the sender (status $tx, broken pipe): the block is closed" ||
    fail "a TCP receiver that leaves ends the sender: the block is closed" \
        "receiver $rxs, sender $tx, block '$st': $(cat "$T/quit-tx.err")"

# 3. A relay from a block: RTP, and an SDP for the receiver. The block's writer takes frames
#    one by one from a FIFO (the first before the relay starts, the others 40 ms apart once
#    the relay has the block mapped), so the relay encodes exactly the source's frames. RTP
#    sent before a receiver is bound is lost, so the receiver starts first, from the SDP of an
#    earlier one-frame run with the same settings; the relay's own SDP must be the same file.
new_port
name=$(blockname rtp)
# shellcheck disable=SC2086
ff -loglevel error -f lavfi -i "$SRC" -frames:v 1 $X -f rtp -sdp_file "$T/before.sdp" "rtp://127.0.0.1:$port" ||
    fail "a one-frame RTP run writes an SDP"
ff -loglevel error -f lavfi -i "$SRC" -f rawvideo "$T/src.yuv"
fsize=$((W * H * 3 / 2))
feed_start "$T/fifo" "$T/rtp-w.err" timeout -k 5 30 "$FFMPEG" -hide_banner -nostdin -loglevel error \
    -f rawvideo -pix_fmt yuv420p -s ${W}x$H -framerate 25 -i "$T/fifo" -f shmout "$name"
writer=$feed_pid
at_exit "kill $writer 2>/dev/null; wait $writer 2>/dev/null"
feed_frame "$T/src.yuv" $fsize 0
wait_for 10 block_exists "$name" || fail "the FIFO writer makes the block" "$(cat "$T/rtp-w.err")"
ff_bg -loglevel error -protocol_whitelist file,udp,rtp -listen_timeout 3 -i "$T/before.sdp" \
    -f framemd5 "$T/rtp.md5" 2>"$T/rtp.err" 7>&-
rx=$!
at_exit "kill $rx 2>/dev/null; wait $rx 2>/dev/null"
wait_for 10 udp_bound $port && wait_for 10 udp_bound $((port + 1)) ||
    fail "the RTP receiver is bound to ports $port and $((port + 1))" "$(cat "$T/rtp.err")"
# shellcheck disable=SC2086
ff_bg -loglevel error -f shmin -i "$name" $X -f rtp -sdp_file "$T/relay.sdp" "rtp://127.0.0.1:$port" \
    2>"$T/relay.err" 7>&-
relay=$!
at_exit "kill $relay 2>/dev/null; wait $relay 2>/dev/null"
wait_for 10 child_attached $relay "$name" || fail "the relay maps the block"
feed_frames "$T/src.yuv" $fsize 1 $N 0.04
feed_end
wait $writer; ws=$?
wait $relay; rls=$?
wait $rx; rxs=$?
[ $ws -eq 0 ] && [ $rls -eq 0 ] && [ ! -s "$T/relay.err" ] && ok "the RTP relay reads the block to its end and exits cleanly" ||
    fail "the RTP relay reads the block to its end and exits cleanly" "writer $ws, relay $rls: $(cat "$T/rtp-w.err" "$T/relay.err")"
cmp -s "$T/before.sdp" "$T/relay.sdp" && grep -q "^m=video $port RTP/AVP" "$T/relay.sdp" &&
    ok "the relay's SDP is the earlier run's: $(sed -n 's/^m=video [0-9]* //p; s/^a=rtpmap:[0-9]* //p' "$T/relay.sdp" | tr '\n' ' ')" ||
    fail "the relay's SDP is the earlier run's" "$(diff "$T/before.sdp" "$T/relay.sdp" 2>&1)"
errs=$(errors "$T/rtp.err" 'Error during demuxing: Connection timed out')
[ $rxs -eq 0 ] && [ -z "$errs" ] && [ "$(sizes_md5s "$T/rtp.md5")" = "$(sizes_md5s "$T/oracle.md5")" ] &&
    ok "the RTP receiver decodes all $N frames, equal to the oracle, without an error" ||
    fail "the RTP receiver decodes all $N frames, equal to the oracle, without an error" \
        "status $rxs, $(count "$T/rtp.md5") frames; $errs; $(diff "$T/oracle.md5" "$T/rtp.md5" | head -n 8)"
finish
