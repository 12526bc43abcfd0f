# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# testlib.sh: the small harness the shell test suites share. Sourced, not run.
#   ok DESC / fail DESC [DETAILS] / skip DESC   record a case
#   check DESC CMD...                           ok if CMD succeeds, else fail with its output
#   finish                                      print "N passed, M failed" and exit non-zero on failure
#   numpy_python                                the python3 that the numpy oracles run with
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
blockname() { echo "${1}_$$_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"; }
finish() {
    echo "$_passed passed, $_failed failed"
    [ "$_failed" -eq 0 ]
}
