#!/bin/sh
# Exercises judged from the record (issue 16): simhw/scenarios/estop_recovery.ini runs on
# meltsim at 30x with the server, twice.  A scripted "good trainee" uses the CLI verbs at
# the right moments (acknowledges the E-stop once it is raised, resets it once the button
# is released, restarts the burners); a "passive trainee" does nothing.  Then, with the
# server stopped, `meltcon debrief --scenario ...` from the files, the speed read from the
# record (the server's `training speed` journal line, no --speed): the good run PASSES
# (exit 0, every expectation MET) and writes a self-contained HTML page with SVG trends;
# the passive run FAILS (exit 1) naming the missed actions (ack_estop, reset_estop,
# restart_burner).  Every other shipped exercise: tests/t_exercises.sh.
# Also: debrief without --scenario exits 2; a scenario with a bad [expect] exits 1 with
# the sentence.  The account running it is the engineer (its own group as engineer_group),
# as root or not.  Every process is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=$(readlink -f "${MELTCON:-$B/meltcon}")
MS=$(readlink -f "${MELTSIM:-$B/meltsim}")
SRC=$(readlink -f "${MELTCON_SRC:-.}")
SCEN=$SRC/simhw/scenarios/estop_recovery.ini
SPEED=30
tmp=$(mktemp -d)
simpid=""
srvpid=""
say() { echo "t_debrief: $*"; }
fail() {
    echo "FAIL: $*"
    exit 1
}
cleanup() {
    [ -n "$srvpid" ] && kill -9 "$srvpid" 2>/dev/null
    [ -n "$simpid" ] && kill -9 "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
json() { python3 -c "import json, sys; d = json.loads(sys.stdin.read()); print($1)"; }

# run WHO: one exercise run in $tmp/WHO; sets t0 (the scenario's start) and t1 (its end)
run() {
    dir=$tmp/$1
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
        fail "no free port"
    cfg=$dir/c.ini
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $dir/s.sock|" \
        -e "s|^state_dir =.*|state_dir = $dir/state|" -e "s|^inject_socket =.*|inject_socket = $dir/i.sock|" \
        -e "s/^mode = auto$/mode = private/" \
        -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" "$SRC/config/meltcon.ini" >"$cfg"
    t0=$(date +%s)
    "$MS" -c "$cfg" --speed $SPEED --seed 1 --scenario "$SCEN" >"$dir/sim.log" 2>&1 &
    simpid=$!
    "$MC" -c "$cfg" server -f >"$dir/srv.log" 2>&1 &
    srvpid=$!
    i=0
    until "$MC" -c "$cfg" status --json 2>/dev/null | json 'd["link"]["state"]' 2>/dev/null | grep -qx UP; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "$1: the server did not come up"; sleep 0.1
    done
    if [ "$1" = good ]; then
        M() { "$MC" -c "$cfg" "$@"; }
        alarm_state() { M status --json 2>/dev/null | json "[a['state'] for a in d['alarms'] if a['name'] == '$1'] or ['-']" ; }
        # the E-stop at 5 process min (30 s): acknowledge it when it comes
        i=0
        until alarm_state estop | grep -q UNACK; do
            i=$((i + 1)); [ $i -gt 240 ] && fail "good: no estop alarm"; sleep 0.25
        done
        M ack estop >/dev/null || fail "good: ack estop"
        # released at 8 min (48 s): reset once the button is out
        i=0
        until [ "$(M status --json 2>/dev/null | json 'd["tags"]["estop_released"]["v"]')" = 1 ]; do
            i=$((i + 1)); [ $i -gt 240 ] && fail "good: the E-stop was not released"; sleep 0.25
        done
        M cmd estop_reset --reason "released: the platform is clear" >/dev/null ||
            fail "good: estop_reset refused"
        i=0
        until M cmd burner_start --reason "after the E-stop" >/dev/null 2>&1; do
            i=$((i + 1)); [ $i -gt 60 ] && fail "good: burner_start refused 60 times"; sleep 1
        done
    fi
    # the passive trainee waits as long as the good one needs at most
    while [ $(($(date +%s) - t0)) -lt 45 ]; do sleep 1; done
    t1=$(date +%s)
    "$MC" -c "$cfg" stop --reason "end of the exercise" >/dev/null 2>&1
    wait "$srvpid" 2>/dev/null; srvpid=""
    kill "$simpid"; wait "$simpid" 2>/dev/null; simpid=""
}

# ---- usage and a bad scenario -------------------------------------------------------------------
"$MC" -c "$SRC/config/meltcon.ini" debrief >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--scenario FILE is required' "$tmp/err" || fail "debrief without --scenario: $(cat "$tmp/err")"
printf '[scenario]\ntitle = t\n[expect.a]\naction = ack\ntext = t\n' >"$tmp/bad.ini"
"$MC" -c "$SRC/config/meltcon.ini" debrief --scenario "$tmp/bad.ini" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'bad.ini:4: \[expect.a\] action = "ack": expected KIND WHAT' "$tmp/err" ||
    fail "bad expectation: $(cat "$tmp/err")"

# ---- the good trainee ----------------------------------------------------------------------------
run good
"$MC" -c "$tmp/good/c.ini" debrief --scenario "$SCEN" --from @$t0 --to @$t1 \
    --html "$tmp/good.html" >"$tmp/good.txt" 2>&1
rc=$?
cat "$tmp/good.txt"
[ $rc -eq 0 ] || fail "the good trainee did not pass (exit $rc)"
grep -q 'PASSED' "$tmp/good.txt" || fail "good: no PASSED"
grep -q "at speed $SPEED\$" "$tmp/good.txt" || fail "good: the speed was not read from the record"
for e in ack_estop reset_estop restart_burner; do
    grep -q "^  MET    $e:" "$tmp/good.txt" || fail "good: $e not MET"
done
grep -q '<svg' "$tmp/good.html" && grep -q '<polyline' "$tmp/good.html" || fail "good: no SVG trend in the HTML"
grep -q 'src=\|href=' "$tmp/good.html" && fail "the HTML page is not self-contained"
python3 -c "import html.parser, sys; html.parser.HTMLParser().feed(open(sys.argv[1]).read())" "$tmp/good.html" ||
    fail "the HTML does not parse"

# ---- the passive trainee -------------------------------------------------------------------------
run passive
"$MC" -c "$tmp/passive/c.ini" debrief --scenario "$SCEN" --from @$t0 --to @$t1 \
    >"$tmp/passive.txt" 2>&1
rc=$?
cat "$tmp/passive.txt"
[ $rc -eq 1 ] || fail "the passive trainee passed (exit $rc)"
grep -q 'FAILED: missed ack_estop, missed reset_estop, missed restart_burner' "$tmp/passive.txt" ||
    fail "passive: the missed actions are not named"
grep -q 'estop (medium) raised; acknowledged -' "$tmp/passive.txt" || fail "passive: the alarm timeline"
say "ok: good trainee PASSED, passive trainee FAILED with the missed actions named (estop_recovery at ${SPEED}x)"
