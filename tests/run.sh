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
#
# Tests run one after the other, or TEST_JOBS at a time (TEST_JOBS=2: some 10
# minutes on 2 cores instead of 19).  Not by default: tests at a time compete
# for the processors with each other's simulated furnaces and servers, and on 2
# cores a server's PLC answers then come late (a link timing out, blocks put
# off and read STALE, loops shed to MAN) more often than one test alone meets.
# A test whose script has the line
# "# run.sh: one at a time" (it changes the machine: accounts, /etc) never
# runs beside another such test.  The longest tests of the last run start
# first (BUILD_DIR/tests/log/durations); without one, the shell tests do.
# Each test's report (its PASS or FAIL line, a failure's log tail) is
# printed whole when it ends.
BUILD=$1; shift
export MELTSIM="$PWD/$BUILD/meltsim" MELTCON="$PWD/$BUILD/meltcon" BUILD_DIR="$PWD/$BUILD"
export MELTCON_SRC="$PWD"
log=$BUILD/tests/log; mkdir -p "$log"

# The lines of a test's output that skip a check root could have run.
skips() { # log
    [ "$(id -u)" -eq 0 ] || return 0
    grep -E 'SKIP|NOT CHECKED' "$1" | grep -v 'root cannot'
}

# run.sh BUILD --one TEST: run one test program or script, report it.
if [ "${1-}" = --one ]; then
    t=$2
    case $t in
    *.sh) name=$(basename "$t" .sh); set -- sh "$t" ;;
    *) name=$(basename "$t")
       if [ "${VALGRIND-}" = 1 ]; then
           set -- valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$t"
       else
           set -- "$t"
       fi ;;
    esac
    out=$log/$name.out rep=$log/$name.report
    # a test that changes the machine waits for the other such test to end
    case $t in
    *.sh) if grep -q '^# run.sh: one at a time' "$t"; then exec 9>"$log/.one-at-a-time"; flock 9; fi ;;
    esac
    t0=$(date +%s)
    # each test runs in a session of its own (setsid: not a group leader here, so it does
    # not fork and $! is the session's id); whatever it leaves running is stopped by that
    # process group, never by name, and named in its log
    setsid "$@" >"$out" 2>&1 </dev/null 9>&- &
    tpid=$!
    echo "$tpid" >"$log/.running/$name"
    wait $tpid; rc=$?
    secs=$(($(date +%s) - t0))
    left=$(ps -o pid=,args= --sid "$tpid" 2>/dev/null)
    if [ -n "$left" ]; then
        echo "run.sh: $name left these running; stopped:" >>"$out"
        echo "$left" | sed 's/^/    /' >>"$out"
        kill -TERM "-$tpid" 2>/dev/null; sleep 1; kill -KILL "-$tpid" 2>/dev/null
    fi
    rm -f "$log/.running/$name"
    exec 9>&-
    if [ $rc -ne 0 ]; then
        { echo "FAIL $name ($secs s)"; sed 's/^/    /' "$out" | tail -40; } >"$rep"
        verdict="FAIL $name"
    elif [ -n "$(skips "$out")" ]; then
        { echo "FAIL $name: run as root, it skipped a check without saying why root cannot run it:"
          skips "$out" | sed 's/^/    /'; } >"$rep"
        verdict="FAIL $name(skipped)"
    else
        echo "PASS $name ($secs s)" >"$rep"
        verdict="PASS $name"
    fi
    # one report at a time on the terminal, whole
    flock "$log/.print" sh -c 'cat "$1"; echo "$2" >>"$3"; echo "$4 $5" >>"$6"' \
        sh "$rep" "$verdict" "$log/.results" "$name" "$secs" "$log/.durations.new"
    rm -f "$rep"
    exit 0
fi

jobs=${TEST_JOBS:-1}
case $jobs in ''|*[!0-9]*|0) echo "run.sh: TEST_JOBS=$jobs: want a whole number, 1 or more"; exit 2 ;; esac
rm -rf "$log/.running"; mkdir -p "$log/.running"
: >"$log/.results"; : >"$log/.durations.new"
fail=0; failed=""
list=""
for t in "$@"; do
    if [ ! -x "$t" ]; then fail=$((fail + 1)); failed="$failed $(basename "$t")(missing)"; echo "FAIL $(basename "$t") (missing)"; continue; fi
    list="$list $t"
done
if [ "${VALGRIND-}" != 1 ]; then
    shells=""
    for s in tests/t_*.sh; do [ -e "$s" ] && shells="$shells $s"; done
    list="$shells $list"
fi
# Stopped (Ctrl-C, a CI timeout): stop xargs (so it starts no more), the runners it started
# and the tests that are running, by their sessions.  Ctrl-C does not reach xargs and the
# runners themselves: a non-interactive shell starts them ignoring it.
stop_all() {
    kill -TERM "$xpid" 2>/dev/null
    for p in $(ps -o pid= --ppid "$xpid" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
    for f in "$log"/.running/*; do
        [ -e "$f" ] || continue
        kill -TERM "-$(cat "$f")" 2>/dev/null
    done
    echo "run.sh: stopped"; exit 130
}
trap stop_all INT TERM
# longest first, by the last run's durations; a test not in them keeps its place at the front
for t in $list; do
    n=$(basename "$t" .sh)
    d=$(awk -v n="$n" '$1 == n { print $2 }' "$log/durations" 2>/dev/null)
    echo "${d:-999999} $t"
done | sort -s -k1,1nr | cut -d' ' -f2 | xargs -r -n1 -P "$jobs" sh "$0" "$BUILD" --one &
xpid=$!
wait $xpid
trap - INT TERM
[ -s "$log/.durations.new" ] && mv "$log/.durations.new" "$log/durations"
pass=$(grep -c '^PASS ' "$log/.results")
fail=$((fail + $(grep -c '^FAIL ' "$log/.results")))
failed="$failed$(sed -n 's/^FAIL / /p' "$log/.results" | tr -d '\n')"
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
