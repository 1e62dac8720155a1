#!/bin/sh
# Run every test program and test script; print one closing line.
# Usage: run.sh BUILD_DIR TEST_BINARY...
# Each cmocka binary is one test program; tests/t_*.sh are shell tests
# (tmux-driven console tests and the like).  A test program that is listed
# but missing counts as failed.  VALGRIND=1 runs the binaries under valgrind.
#
# A check that could have run must not pass as skipped: run as root (as CI
# is), a test that prints a line with SKIP or NOT CHECKED fails, unless that
# same line says why root cannot run it (the words "root cannot").
BUILD=$1; shift
export MELTSIM="$PWD/$BUILD/meltsim" MELTCON="$PWD/$BUILD/meltcon" BUILD_DIR="$PWD/$BUILD"
export MELTCON_SRC="$PWD"
pass=0; fail=0; failed=""
log=$BUILD/tests/log; mkdir -p "$log"
uid=$(id -u)
# The lines of a test's output that skip a check root could have run.
skips() { # log
    [ "$uid" -eq 0 ] || return 0
    grep -E 'SKIP|NOT CHECKED' "$1" | grep -v 'root cannot'
}
run() { # name cmd...
    name=$1; shift
    t0=$(date +%s)
    # each test runs in a session of its own (setsid: not a group leader here, so it does
    # not fork and $! is the session's id); whatever it leaves running is stopped by that
    # process group, never by name, and named in its log
    setsid "$@" >"$log/$name.out" 2>&1 </dev/null &
    tpid=$!
    wait $tpid; rc=$?
    secs=$(($(date +%s) - t0))
    left=$(ps -o pid=,args= --sid "$tpid" 2>/dev/null)
    if [ -n "$left" ]; then
        echo "run.sh: $name left these running; stopped:" >>"$log/$name.out"
        echo "$left" | sed 's/^/    /' >>"$log/$name.out"
        kill -TERM "-$tpid" 2>/dev/null; sleep 1; kill -KILL "-$tpid" 2>/dev/null
    fi
    if [ $rc -ne 0 ]; then
        fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name ($secs s)"
        sed 's/^/    /' "$log/$name.out" | tail -40
    elif [ -n "$(skips "$log/$name.out")" ]; then
        fail=$((fail + 1)); failed="$failed $name(skipped)"
        echo "FAIL $name: run as root, it skipped a check without saying why root cannot run it:"
        skips "$log/$name.out" | sed 's/^/    /'
    else
        pass=$((pass + 1)); echo "PASS $name ($secs s)"
    fi
}
for t in "$@"; do
    n=$(basename "$t")
    if [ ! -x "$t" ]; then fail=$((fail + 1)); failed="$failed $n(missing)"; echo "FAIL $n (missing)"; continue; fi
    if [ "$VALGRIND" = 1 ]; then
        run "$n" valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t"
    else
        run "$n" "$t"
    fi
done
if [ "$VALGRIND" != 1 ]; then
    for s in tests/t_*.sh; do
        [ -e "$s" ] || continue
        run "$(basename "$s" .sh)" sh "$s"
    done
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
