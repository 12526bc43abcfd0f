#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# run_tests.sh - runs every libshmout test (called by the top-level "make
# check-lib", which builds them and sets the SHMOUT_* variables), counts the
# "ok"/"not ok" lines they print and ends with the line "N passed, M failed".
set -u
T=$SHMOUT_TESTBIN
HERE=$(cd "$(dirname "$0")" && pwd)
W=$SHMOUT_WORK
rm -rf "$W" && mkdir -p "$W"
pass=0 fail=0 skip=0

case "$SHMOUT_SANITIZE" in
  "") ;;
  *thread*) export SHMOUT_STRESS_FRAMES=${SHMOUT_STRESS_FRAMES:-5000} \
                   SHMOUT_HOSTILE_ITERS=${SHMOUT_HOSTILE_ITERS:-1000} \
                   SHMOUT_STRESS_MIN_RATIO_PCT=${SHMOUT_STRESS_MIN_RATIO_PCT:-25} ;;
  *) export SHMOUT_STRESS_FRAMES=${SHMOUT_STRESS_FRAMES:-30000} \
            SHMOUT_HOSTILE_ITERS=${SHMOUT_HOSTILE_ITERS:-3000} \
            SHMOUT_STRESS_MIN_RATIO_PCT=${SHMOUT_STRESS_MIN_RATIO_PCT:-25} ;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}

# run NAME COMMAND...: one test program; its ok/not ok lines are counted,
# a non-zero exit without a "not ok" line counts as one failure.
run() {
    name=$1
    shift
    log="$W/$name.log"
    "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    s=$(grep -c '^ok .*# SKIP' "$log")
    n=$(grep -c '^not ok ' "$log")
    grep -E '^(ok|not ok|#)' "$log" | sed "s/^/[$name] /"
    if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
        echo "[$name] not ok - exited with status $rc"
        n=1
    fi
    if [ "$n" -gt 0 ]; then
        echo "---- $name output ----"
        cat "$log"
        echo "----"
    fi
    pass=$((pass + p - s))
    skip=$((skip + s))
    fail=$((fail + n))
}

run compile sh "$HERE/compile_checks.sh"
run layout sh -c '"$0" >"$1" && python3 "$2" "$3" "$1"' "$T/test_layout" "$W/layout.txt" \
    "$HERE/test_layout.py" "$HERE/../../docs/PROTOCOL.md"
run pylayout sh -c '"$0" >"$1" && python3 "$2" "$1" "$3"' "$T/test_layout" "$W/pylayout.txt" \
    "$HERE/test_python_layout.py" "$HERE/../../python"
run unit "$T/test_unit"
run corrupt "$T/test_corrupt"
run crash "$T/test_crash"
run resize "$T/test_resize"
run lossless "$T/test_lossless"
run stress "$T/test_stress"
run tool sh "$HERE/test_tool.sh" "$SHMOUT_TOOL"
run compat sh "$HERE/compat_1_0.sh" "$SHMOUT_TOOL"

if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    run enospc unshare -m sh -c \
        'mount -t tmpfs -o size=512k shmout-test /dev/shm && exec "$0" --enospc' "$T/test_unit"
else
    echo "[enospc] ok - test_enospc # SKIP needs root and 'unshare -m' (private tmpfs on /dev/shm)"
    skip=$((skip + 1))
fi

if [ -x "$SHMOUT_FUZZBIN" ]; then
    mkdir -p "$W/corpus"
    cp "$HERE"/fuzz/corpus/* "$W/corpus/"
    run fuzz sh -c '"$0" -runs=${SHMOUT_FUZZ_RUNS:-30000} "$1" >"$2" 2>&1 &&
                    echo "ok - fuzz_block: $(grep -o "Done [0-9]* runs" "$2")" ||
                    { cat "$2"; echo "not ok - fuzz_block"; }' \
        "$SHMOUT_FUZZBIN" "$W/corpus" "$W/fuzz-raw.log"
else
    echo "[fuzz] ok - fuzz_block # SKIP clang with libFuzzer not available"
    skip=$((skip + 1))
fi

[ "$skip" -gt 0 ] && echo "($skip skipped)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
