#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# test_tool.sh - tests of the shmout command: output and exit codes of
# ls/info/set/rm/watch/test-writer, --json validity, usage errors.
# usage: test_tool.sh PATH_TO_SHMOUT
set -u
S=$1
N=tt$$
TMP=$(mktemp -d)
WPID=
cleanup() {
    [ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null
    "$S" rm "$N" --force >/dev/null 2>&1
    "$S" rm "$N-g" --memtype global --force >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT

# check DESCRIPTION EXPECTED_STATUS COMMAND...: stdout in $TMP/out, stderr in $TMP/err
check() {
    desc=$1 want=$2
    shift 2
    [ -f "$TMP/out" ] && cp "$TMP/out" "$TMP/prev"   # previous stdout, for JSON checks
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        echo "ok - $desc"
    else
        echo "not ok - $desc (exit $got, wanted $want)"
        sed 's/^/#   stdout: /' "$TMP/prev"
        sed 's/^/#   stderr: /' "$TMP/err"
    fi
}

# expect DESCRIPTION FILE PATTERN
expect() {
    if grep -q -- "$3" "$2"; then
        echo "ok - $1"
    else
        echo "not ok - $1 ('$3' not in $2)"
        sed 's/^/#   /' "$2"
    fi
}

wait_for() {   # wait until info works
    i=0
    while ! "$S" info "$@" >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

check "--help exits 0" 0 "$S" --help
expect "--help lists commands" "$TMP/out" "test-writer NAME"
check "--version exits 0" 0 "$S" --version
expect "--version prints the protocol" "$TMP/out" "protocol 1.1"
check "no command is a usage error" 2 "$S"
check "unknown command is a usage error" 2 "$S" frobnicate
expect "usage error names the command" "$TMP/err" "unknown command 'frobnicate'"
check "bad name is a usage error" 2 "$S" info "a/b"
expect "bad name message" "$TMP/err" "invalid block name"
check "unknown option is a usage error" 2 "$S" ls --bogus
check "bad memtype is a usage error" 2 "$S" info x --memtype shared
check "info on a missing block exits 1" 1 "$S" info "$N"
expect "missing block message" "$TMP/err" "no such block"

"$S" test-writer "$N" --fps 200 --width 32 --height 16 --format bgra >/dev/null 2>&1 &
WPID=$!
wait_for "$N"
check "ls exits 0" 0 "$S" ls
expect "ls shows the block" "$TMP/out" "^$N  *local  *active  *$WPID  *32x16  *bgra"
check "ls --json exits 0" 0 "$S" ls --json
check "ls --json is valid JSON" 0 python3 -m json.tool "$TMP/prev"
check "info exits 0" 0 "$S" info "$N"
expect "info shows the owner" "$TMP/out" "owner pid: *$WPID"
expect "info shows the geometry" "$TMP/out" "32x16 bgra"
check "info --json exits 0" 0 "$S" info "$N" --json
check "info --json fields" 0 python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == sys.argv[2] and d["status"] == "active" and d["alive"] is True
assert d["width"] == 32 and d["height"] == 16 and d["format"] == "bgra"
assert d["owner_pid"] == int(sys.argv[3]) and d["frames"] > 0 and d["planes"][0]["linesize"] == 128
' "$TMP/prev" "$N" "$WPID"
check "watch --count 2 exits 0" 0 "$S" watch "$N" --count 2
expect "watch prints the size, format and frame rate" "$TMP/out" "^$N: active, 32x16 bgra, [0-9][0-9.]* fps"
check "watch printed 2 lines" 0 test "$(wc -l <"$TMP/out")" -eq 2
check "set active=0" 0 "$S" set "$N" active=0
check "info after active=0" 0 "$S" info "$N" --json
check "status is inactive" 0 python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["status"] == "inactive" and not d["active"]
' "$TMP/prev"
check "set active=1" 0 "$S" set "$N" active=1
check "set with a bad value is a usage error" 2 "$S" set "$N" active=2
check "rm of a live block is refused" 1 "$S" rm "$N"
expect "rm refusal names the pid and the fix" "$TMP/err" "in use by pid $WPID.*--force"
check "a second writer gets EBUSY" 1 "$S" test-writer "$N" --frames 1
expect "EBUSY message" "$TMP/err" "in use by pid $WPID"
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
WPID=
check "info on a stale block" 0 "$S" info "$N" --json
check "status is stale" 0 python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["status"] == "stale" and not d["alive"]
' "$TMP/prev"
check "a new writer takes over the stale block" 0 "$S" test-writer "$N" --frames 5 --fps 0
check "info after a clean exit" 0 "$S" info "$N"
expect "status is closed" "$TMP/out" "status: *closed"
expect "frames of the new session" "$TMP/out" "session: *2"
check "rm of a closed block" 0 "$S" rm "$N"
check "rm again fails" 1 "$S" rm "$N"
check "watch of a missing block fails" 1 "$S" watch "$N" --count 1

"$S" test-writer "$N-g" --memtype global --fps 100 >/dev/null 2>&1 &
WPID=$!
wait_for "$N-g"
check "info finds a global block without --memtype" 0 "$S" info "$N-g" --json
check "global block in ls --json" 0 python3 -c '
import json, subprocess, sys
d = json.loads(subprocess.check_output([sys.argv[1], "ls", "--json"]))
assert any(b["name"] == sys.argv[2] and b["memtype"] == "global" for b in d)
' "$S" "$N-g"
check "rm --force of a live block" 0 "$S" rm "$N-g" --memtype global --force
check "block is gone" 1 "$S" info "$N-g" --memtype global
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
WPID=

# A block whose writer died before writing the header (an empty primary object, no lock):
# stale, its geometry unknown, listed by ls, removable.
: > "/dev/shm/shmout.u$(id -u).$N"
check "info on a half-set-up block exits 0" 0 "$S" info "$N"
expect "it is stale" "$TMP/out" "^status: *stale"
expect "its geometry is unknown" "$TMP/out" "^geometry: *unknown"
check "ls exits 0" 0 "$S" ls
expect "ls lists it, stale, with no geometry" "$TMP/out" "^$N  *local  *stale  *0 -"
check "rm removes it" 0 "$S" rm "$N"

# A corrupt block is listed as such (info says why); a name planted with control characters
# is never printed.
head -c 4096 /dev/urandom > "/dev/shm/shmout.u$(id -u).$N"
check "info on a corrupt block exits 1" 1 "$S" info "$N"
expect "and says why" "$TMP/err" "corrupt or incompatible"
check "ls exits 0" 0 "$S" ls
expect "ls lists it as corrupt" "$TMP/out" "^$N  *local  *corrupt"
check "rm --force removes it" 0 "$S" rm "$N" --force
: > "/dev/shm/shmout.u$(id -u).$(printf 'x\033[2Jx')"
check "ls with a planted name exits 0" 0 "$S" ls
cp "$TMP/out" "$TMP/ls"
check "and prints no escape character" 1 grep -q "$(printf '\033')" "$TMP/ls"
rm -f "/dev/shm/shmout.u$(id -u).$(printf 'x\033[2Jx')"
