# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# testlib.sh: the small harness the shell test suites share. Sourced, not run.
#   ok DESC / fail DESC [DETAILS] / skip DESC   record a case
#   check DESC CMD...                           ok if CMD succeeds, else fail with its output
#   finish                                      print "N passed, M failed" and exit non-zero on failure
#   numpy_python                                the python3 that the numpy oracles run with
#   wait_for SECONDS CMD...                     run CMD every 0.05 s until it succeeds (status 0),
#                                               or give up after SECONDS (status 1)
#   block_exists NAME                           the local block NAME's primary object is there
#   attached PID NAME                           process PID has block NAME's objects mapped
#   framemd5_lines FILE                         "pts size md5" per frame of ffmpeg -f framemd5 FILE
# The FIFO feeder, for a writer that must get frames one at a time (e.g. each only after a
# reader took the one before):
#   feed_start FIFO ERR CMD...                  make the FIFO FIFO, start CMD (which reads it) in
#                                               the background, its stderr in ERR and its pid in
#                                               $feed_pid, and open FIFO for writing on fd 7
#                                               (start readers with 7>&- so that only the suite
#                                               holds it)
#   feed_frame FILE BYTES K                     write frame K (frames of BYTES bytes, from 0) of
#                                               the raw file FILE to fd 7
#   feed_frames FILE BYTES FROM TO SECS         frames FROM..TO-1 of FILE, each after SECS of sleep
#   feed_end                                    close fd 7: CMD sees the end of its input
# Every suite gets a private scratch directory $T (removed at exit) and unique block names via
# blockname PREFIX, so suites never collide with each other or with the user's blocks, and
# leave none behind.

T=$(mktemp -d)
_passed=0 _failed=0 _cleanup=:
# At exit: the suite's own cleanups, its scratch directory, and the shared-memory objects of the
# blocks it named with blockname (their names carry this shell's pid).
trap 'eval "$_cleanup"; rm -rf "$T"; rm -f /dev/shm/shmout.*_$$_*' EXIT
trap 'exit 130' INT TERM

ok()   { _passed=$((_passed + 1)); echo "ok - $1"; }
skip() { echo "skip - $1"; }
fail() {
    _failed=$((_failed + 1)); echo "not ok - $1"
    [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/    # /' | head -n 40
}
check() {
    desc=$1; shift
    if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$out"; fi
}
# at_exit CMD: run CMD (a string) when the suite ends, e.g. to kill a background writer.
at_exit() { _cleanup="$_cleanup
$1"; }
# numpy_python: print a python3 that imports numpy ($PYTHON, python3, /usr/bin/python3), or fail.
# (tests/run exports PYTHON found the same way for the suites it runs.)
numpy_python() {
    for p in ${PYTHON:-} python3 /usr/bin/python3; do
        if "$p" -c 'import numpy' >/dev/null 2>&1; then echo "$p"; return 0; fi
    done
    return 1
}
wait_for() {
    _n=$(($1 * 20)); shift
    while [ $_n -gt 0 ]; do "$@" && return 0; sleep 0.05; _n=$((_n - 1)); done
    return 1
}
block_exists() { test -e "/dev/shm/shmout.u$(id -u).$1"; }
attached() { grep -q "shmout.*$2" "/proc/$1/maps" 2>/dev/null; }
framemd5_lines() { grep -v '^#' "$1" | awk -F', *' '{ print $3, $5, $6 }'; }
feed_start() {
    _fifo=$1 _err=$2; shift 2
    rm -f "$_fifo" && mkfifo "$_fifo" || return 1
    "$@" 2>"$_err" &
    feed_pid=$!
    exec 7>"$_fifo"
}
feed_frame() { dd if="$1" bs="$2" skip="$3" count=1 status=none >&7; }
feed_frames() {
    _k=$3
    while [ "$_k" -lt "$4" ]; do sleep "$5"; feed_frame "$1" "$2" "$_k"; _k=$((_k + 1)); done
}
feed_end() { exec 7>&-; }
blockname() { echo "${1}_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"; }
finish() {
    echo "$_passed passed, $_failed failed"
    [ "$_failed" -eq 0 ]
}
