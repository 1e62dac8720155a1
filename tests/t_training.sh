#!/bin/sh
# The instructor's clock with the real chain attached (issue 16): meltsim at 30x (the
# shipped 5 s watchdog, not widened) <- Modbus -> meltcon server <- socket -> the console
# in tmux.  The console shows the speed; then, each by `meltsim inject`:
#   freeze     -> the console shows FROZEN; plc_clock stands still for 6 s of wall time
#                 (longer than the watchdog and the server's 2 s heartbeat_stale_s)
#   snapshot   -> a named file
#   run        -> the clock goes on from where it stood (no jump)
#   restore    -> plc_clock steps back to the snapshot's, sim_restarts counts 1
#   backtrack 5 -> 5 process minutes back from there, sim_restarts 2
# with a sampler reading the PLC every 50 ms throughout.  Checked: the watchdog never
# tripped (di:11), no output bump (no output the server writes ever moves faster than
# its loop's out_rate_per_s allows: not between reads just before and just after each
# restore, nor between any two samples),
# the journal holds no alarm, no link or watchdog event and no restart of control but
# one line for each of the instructor's actions (speed, freeze, run, each restore), and
# the instructor's verbs refuse bad input with their reason and change nothing.
# Everything is stopped by its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
MB="$B/mbtool"
tmp=$TUI_TMP
simpid=""
srvpid=""
smppid=""
cur=""
say() { echo "t_training: $*"; }
cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    for p in $smppid $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -12 "$tmp/$f"; }
    done
    exit 1
}
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

port=$("$MB" freeport) || fail "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^speed = .*/speed = 30/" config/meltcon.ini >"$cfg"
grep -q '^watchdog_s = 5$' "$cfg" || fail "the shipped watchdog is no longer 5 s: adjust this test"
chmod 644 "$cfg"
M() { "$MC" -c "$cfg" "$@"; }
I() { "$MS" -c "$cfg" --port "$port" inject "$@"; }
wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}
clock() { set -- $("$MB" read "$port" ir 24 2); echo $(($1 * 65536 + $2)); }
restarts() { "$MB" read "$port" ir 32 1; }
outputs() { "$MB" read "$port" hr 0 4; }

"$MS" -c "$cfg" --port "$port" --snapshots "$tmp/snaps" >>"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 "$MB" read "$port" ir 0 1 || fail "meltsim did not answer on port $port"
"$MC" -c "$cfg" server -f >>"$tmp/srv.log" 2>&1 &
srvpid=$!
wait_for 50 M status || fail "the server did not answer"
cur=con
tui_start con 100 30 "exec '$MC' -c '$cfg'" || fail "tmux"
tui_wait con 'SIMULATED PLC - TRAINING 30x' 15 || fail "the console does not show the speed"
say "console: $(tui_capture con | grep -o 'SIMULATED PLC - TRAINING [^ ]*')"

# the sampler: wall time, watchdog_tripped, firing/pump/fan/damper demand (x0.1 %), clock
(
    while :; do
        set -- $("$MB" read "$port" ir 24 2 2>/dev/null || echo 0 0)
        printf '%s %s %s %s\n' "$(date +%s.%N)" "$("$MB" read "$port" di 11 1 2>/dev/null || echo x)" \
            "$("$MB" read "$port" hr 0 4 2>/dev/null || echo x x x x)" $(($1 * 65536 + $2))
        sleep 0.05
    done
) >"$tmp/samples" 2>/dev/null &
smppid=$!

# undisturbed, until the ring reaches back more than 8 process minutes
wait_for 400 sh -c "[ \$(set -- \$('$MB' read '$port' ir 24 2); echo \$((\$1 * 65536 + \$2))) -ge 560 ]" ||
    fail "the process clock did not reach 560 s"

# ---- freeze -------------------------------------------------------------------------------------
out=$(I freeze) || fail "freeze: $out"
tui_wait con 'SIMULATED PLC - TRAINING FROZEN' 5 || fail "the console does not show FROZEN"
c1=$(clock)
sleep 6
c2=$(clock)
[ "$c1" = "$c2" ] || fail "frozen, yet plc_clock moved from $c1 to $c2"
M status >"$tmp/st" || fail "status while frozen"
grep -q '^alarms  0 active' "$tmp/st" || fail "alarms while frozen: $(grep '^alarms' "$tmp/st")"
out=$(I snapshot lesson_a) || fail "snapshot: $out"
[ -s "$tmp/snaps/lesson_a.snap" ] || fail "no snapshot file"
say "frozen at $c1 s for 6 s of wall time, no alarm; $out"

# bad requests: each refused with its reason, nothing changed
for bad in "speed 0" "speed fast" "backtrack 0" "backtrack 61" "restore ../m" "restore nothere" \
    "snapshot a/b" "freeze now" "backtrack"; do
    if out=$(I $bad 2>&1); then fail "inject $bad accepted: $out"; fi
    case $out in error:*) ;; *) fail "inject $bad: $out" ;; esac
done
[ "$(clock)" = "$c1" ] && [ "$(restarts)" = 0 ] || fail "a refused request changed the simulator"
say "refused: speed 0, speed fast, backtrack 0/61, restore ../m, snapshot a/b, ... ($out)"

out=$(I run) || fail "run: $out"
tui_wait con 'SIMULATED PLC - TRAINING 30x' 5 || fail "the console does not show the speed again"
sleep 0.5
c3=$(clock)
[ "$c3" -ge "$c1" ] && [ "$c3" -le $((c1 + 40)) ] || fail "run: clock $c1 -> $c3 (a jump)"
sleep 10 # 5 process minutes

# ---- restore and backtrack, each with the outputs read just before and just after ---------------
restore_check() { # WHAT RESTARTS: inject WHAT, then the checks
    t_before=$(date +%s.%N)
    before=$(outputs)
    out=$(I $1) || fail "$1: $out"
    after=$(outputs)
    t_after=$(date +%s.%N)
    [ "$(restarts)" = "$2" ] || fail "$1: sim_restarts $(restarts), want $2"
    # the server writes between the two reads: no output may move faster than its loop
    # allows over that time (as below), plus 0.2 % for the register's rounding
    python3 - "$before" "$after" "$t_before" "$t_after" <<'EOF' || fail "$1: outputs bumped: $before -> $after"
import sys
b, a = [list(map(int, s.split())) for s in sys.argv[1:3]]
dt = (float(sys.argv[4]) - float(sys.argv[3])) * 30
rate = [5.0, 0.0, 5.0, 10.0]
sys.exit(0 if all(abs(x - y) / 10 <= r * dt + 0.2 for x, y, r in zip(b, a, rate)) else 1)
EOF
    say "$out; outputs (x0.1 %) $before -> $after"
}
restore_check "restore lesson_a" 1
# the clocks the simulator's replies give: "process clock FROM s -> TO s"
from_to() { echo "$out" | sed -n 's/.*process clock \([0-9]*\)\.[0-9] s -> \([0-9]*\)\.[0-9] s.*/\1 \2/p'; }
set -- $(from_to)
[ "${2:-x}" -ge $((c1 - 1)) ] && [ "$2" -le $((c1 + 1)) ] || fail "restore: landed at ${2:-?} s, the snapshot at $c1 s"
sleep 4
restore_check "backtrack 5" 2
set -- $(from_to)
[ "${2:-x}" -le $(($1 - 300)) ] && [ "$2" -ge $(($1 - 361)) ] ||
    fail "backtrack 5 from ${1:-?} s landed at ${2:-?} s"
sleep 8
kill "$smppid"; wait "$smppid" 2>/dev/null; smppid=""

# ---- the record -----------------------------------------------------------------------------------
awk '$2 == 1 { bad = 1 } END { exit bad }' "$tmp/samples" || fail "the watchdog tripped: $(awk '$2 == 1' "$tmp/samples" | head -3)"
python3 - "$tmp/samples" <<'EOF' || fail "an output bumped"
import sys
# An output bumps when it moves faster than its loop may move it ([loop.*] out_rate_per_s of
# the shipped file: hc -> firing_demand 5 %/s, sc -> fan_demand 5, pressure -> damper_demand
# 10; the pump demand has no loop and holds in HOLD) over the process time between two
# samples: wall time x 30, plus 0.2 % for the register's rounding.
rate = [5.0, 0.0, 5.0, 10.0]
rows = [l.split() for l in open(sys.argv[1])]
rows = [r for r in rows if len(r) == 7 and 'x' not in r]
worst, where = 0.0, None
for a, b in zip(rows, rows[1:]):
    dt = (float(b[0]) - float(a[0])) * 30
    for k in range(4):
        step = abs(int(b[2 + k]) - int(a[2 + k])) / 10
        use = step / (rate[k] * dt + 0.2)
        if use > worst:
            worst, where = use, (k, step, dt, a[6], b[6])
print("t_training: %d samples; the largest output step used %.0f %% of what its loop's rate "
      "allows (output %d: %.1f %% in %.1f process s, clock %s -> %s)"
      % (len(rows), worst * 100, where[0], where[1], where[2], where[3], where[4]))
sys.exit(0 if worst <= 1.0 else 1)
EOF
M journal >"$tmp/journal" 2>&1 || fail "journal: $(cat "$tmp/journal")"
# cycle_overrun says the machine ran the cycle late (the server under ASan on
# a loaded 2-core machine at 30x); it is counted and printed, not judged here:
# the cycle's timing at speed is the training bench's figure.
ovr=$(grep -c 'alarm cycle_overrun NORMAL -> UNACK' "$tmp/journal" || true)
[ "$ovr" -gt 0 ] && say "cycle_overrun raised $ovr time(s): the machine's load, not judged here"
if grep -E 'alarm|raised|link down|watchdog|another master|control started' "$tmp/journal" |
    grep -v 'control started from the PLC.s read-back: firing' |
    grep -v ' alarm cycle_overrun ' >"$tmp/badj"; then
    [ -s "$tmp/badj" ] && fail "the journal: $(head -3 "$tmp/badj")"
fi
[ "$(grep -c 'control started' "$tmp/journal")" = 1 ] || fail "control restarted: $(grep 'control started' "$tmp/journal")"
for line in 'simulator at 30x real time' 'simulator frozen by the instructor' \
    'simulator running again' 'restored the plant (restart 1)' 'restored the plant (restart 2)'; do
    grep -qF "$line" "$tmp/journal" || fail "the journal lacks \"$line\": $(grep training "$tmp/journal")"
done
M status >"$tmp/st2"
grep -q '^alarms  0 active' "$tmp/st2" || fail "alarms at the end: $(grep '^alarms' "$tmp/st2")"
say "journal: $(wc -l <"$tmp/journal") lines, no alarm, no link or watchdog event, control started once; the instructor's: $(grep -c ' training ' "$tmp/journal")"
echo "t_training: ok"
