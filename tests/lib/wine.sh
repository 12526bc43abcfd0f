# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# wine.sh: what the suites under Wine (tests/windows) share. Sourced after testlib.sh.
#   wine_setup              skip the suite (exit) unless the Windows build ($WIN_BIN), mingw-w64
#                           and Wine are there; else give it a Wine prefix of its own in the
#                           cache ($SHMOUT_CACHE/wine, made once: about 10 s), one persistent
#                           wineserver for all its processes (a Windows process sees another's
#                           named objects only through the same wineserver), and
#                           $TD_PEER, tests/tools/td_peer.c built for Windows
#   win PROG.exe ARGS...    run a Windows program of the build (ffmpeg.exe, ffprobe.exe) or
#                           $TD_PEER under Wine, Wine itself silent (WINEDEBUG=-all); one still
#                           running after WIN_TIMEOUT seconds (default 120: every case here
#                           ends within 40) is stopped, and its status is 124
#   winpath FILE            FILE as the Windows programs see it (Z:/..., slashes: no escapes)
: "${B:?}"
wine_setup() {
    if [ -z "${WIN_BIN:-}" ] || [ ! -x "$WIN_BIN/ffmpeg.exe" ]; then
        skip "no Windows build: install mingw-w64 and Wine (scripts/setup --windows) and rerun make check"
        finish; exit
    fi
    command -v wine >/dev/null && command -v wineserver >/dev/null &&
        command -v x86_64-w64-mingw32-gcc >/dev/null ||
        { fail "Wine and mingw-w64 (scripts/setup --windows installs them)"; finish; exit; }
    export WINEPREFIX="${SHMOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shmout}/wine" WINEDEBUG=-all
    # No Mono or Gecko: ffmpeg.exe needs neither, and their installers would ask.
    export WINEDLLOVERRIDES="mscoree,mshtml="
    mkdir -p "$(dirname "$WINEPREFIX")"
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        wine wineboot -i >/dev/null 2>&1 || { fail "create the Wine prefix $WINEPREFIX"; finish; exit; }
    fi
    wineserver -p
    at_exit "wineserver -k 2>/dev/null"
    TD_PEER=$T/td_peer.exe
    x86_64-w64-mingw32-gcc -std=c11 -O2 -Wall -Wextra -static -o "$TD_PEER" \
        "$(dirname "$0")/../tools/td_peer.c" 2>"$T/peer.err" ||
        { fail "build tests/tools/td_peer.c for Windows" "$(cat "$T/peer.err")"; finish; exit; }
}
win() {
    p=$1; shift
    case $p in */*) ;; *) p=$WIN_BIN/$p ;; esac
    # --foreground: the program stays in the suite's process group, which tests/run can stop.
    timeout --foreground --kill-after=5 "${WIN_TIMEOUT:-120}" wine "$p" "$@"
}
winpath() { printf 'Z:%s' "$1"; }
