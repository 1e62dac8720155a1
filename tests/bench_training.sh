#!/bin/sh
# make bench: the instructor's clock (issue 16; simhw/README.md, 'Training time').
#   snapshot    size of a snapshot file; time to take and save one (meltsim's own
#               monotonic clock around the save, as its reply reports it), and the
#               whole `meltsim inject snapshot NAME` round trip (process start,
#               socket, save, reply)
#   restore     time to read, check and restore a named snapshot, and to backtrack
#               to an automatic one (meltsim's reply), and the inject round trip
#   speed       the highest speed at which the whole chain (meltsim, the server
#               attached, its cycle at period/speed) keeps every timer right: at each
#               speed, RUNS runs of an alarm delay (pump_trip, on_delay_s = 120 in the
#               temp config) measured from the inject to the journal's raise, in
#               process seconds; right = the median error within 1.25 s (the shipped
#               250 ms cycle plus plc_clock's 1 s resolution, what 1x gives) and no
#               watchdog trip, no other alarm
#   cost        CPU of the server and of meltsim over 10 s at 1x and at 60x (the server
#               cycles every 10 ms at 60x)
# Goal (issue 16): snapshot and restore <= 50 ms.  The machine is shared: figures to
# read, nothing fails on a timing.
# Usage: bench_training.sh BUILD_DIR [RUNS]     (default 3 runs per speed, 21 snapshots)
set -u
B=${1:-build}
RUNS=${2:-3}
MC=$B/meltcon
MS=$B/meltsim
MB=$B/mbtool
tmp=$(mktemp -d)
simpid=""
srvpid=""
stop_all() {
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    srvpid="" simpid=""
}
cleanup() { stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wait_for() {
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.05
    done
}
now() { date +%s.%N; }
start() { # SPEED [server]
    port=$("$MB" freeport) || exit 1
    rm -rf "$tmp/state"
    cfg=$tmp/m.ini
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
        -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^speed = .*/speed = $1/" -e "s/^tag = pump_trip$/tag = pump_trip\non_delay_s = 120/" \
        config/meltcon.ini >"$cfg"
    "$MS" -c "$cfg" --port "$port" --snapshots "$tmp/snaps" >"$tmp/sim.log" 2>&1 &
    simpid=$!
    wait_for 100 "$MB" read "$port" ir 0 1 || { echo "   meltsim did not start"; exit 1; }
    if [ "${2:-}" = server ]; then
        "$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
        srvpid=$!
        wait_for 200 sh -c "'$MC' -c '$cfg' journal | grep -q 'control started'" ||
            { echo "   the server did not start control"; exit 1; }
    fi
}
I() { "$MS" -c "$cfg" --port "$port" inject "$@"; }

echo "== training: snapshots, restore, backtrack; the highest speed with every timer right"
echo "   (issue 16 goal: snapshot and restore <= 50 ms; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), shared machine)"

# ---- snapshots and restores: meltsim at 60x, no server ---------------------------------------------
start 60
sleep 6 # 6 process minutes: the ring reaches back 5
: >"$tmp/save" ; : >"$tmp/load" ; : >"$tmp/back" ; : >"$tmp/rt_save" ; : >"$tmp/rt_load"
for i in $(seq 1 21); do
    a=$(now); out=$(I snapshot "b$i"); b=$(now)
    echo "$out" | sed -n 's/.*bytes, \([0-9.]*\) ms)$/\1/p' >>"$tmp/save"
    echo "$a $b" | awk '{printf "%.3f\n", ($2 - $1) * 1000}' >>"$tmp/rt_save"
    a=$(now); out=$(I restore "b$i"); b=$(now)
    echo "$out" | sed -n 's/.*restart [0-9]*, \([0-9.]*\) ms)$/\1/p' >>"$tmp/load"
    echo "$a $b" | awk '{printf "%.3f\n", ($2 - $1) * 1000}' >>"$tmp/rt_load"
done
for i in $(seq 1 5); do
    sleep 2.2 # the ring grows again after each backtrack
    I backtrack 1 | sed -n 's/.*restart [0-9]*, \([0-9.]*\) ms)$/\1/p' >>"$tmp/back"
done
size=$(stat -c %s "$tmp/snaps/b1.snap")
printf '   snapshot file: %d bytes (header 88, struct splc %d, SHA-256 32)\n' "$size" $((size - 120))
printf '   snapshot (save, in meltsim):    median %s ms of %d\n' "$(median <"$tmp/save")" "$(wc -l <"$tmp/save")"
printf '   restore (read, check, restore): median %s ms of %d\n' "$(median <"$tmp/load")" "$(wc -l <"$tmp/load")"
printf '   backtrack 1 min (from the ring): median %s ms of %d\n' "$(median <"$tmp/back")" "$(wc -l <"$tmp/back")"
printf '   inject round trip (new process, socket, reply): snapshot median %s ms, restore median %s ms\n' \
    "$(median <"$tmp/rt_save")" "$(median <"$tmp/rt_load")"
stop_all

# ---- the highest speed with every timer right ---------------------------------------------------------
best=0
for speed in 10 20 30 60 90 120 240; do
    : >"$tmp/err"
    wd=0 other=0
    for r in $(seq 1 "$RUNS"); do
        start "$speed" server
        a=$(now); I pump_trip >/dev/null; b=$(now)
        wait_for $((100 + 6000 / speed)) sh -c "'$MC' -c '$cfg' journal | grep -q 'raised.*Metal pump'"
        "$MC" -c "$cfg" journal >"$tmp/journal" 2>&1
        [ "$("$MB" read "$port" di 11 1)" = 0 ] || wd=$((wd + 1))
        grep -E 'raised|link down|deadlines missed' "$tmp/journal" | grep -qv 'Metal pump' && other=$((other + 1))
        python3 - "$tmp/journal" "$a" "$b" "$speed" <<'EOF' >>"$tmp/err"
import datetime, sys
lines = [l for l in open(sys.argv[1]) if 'raised' in l and 'Metal pump' in l]
if not lines:
    print(999)
    sys.exit(0)
raised = datetime.datetime.strptime(lines[0].split()[0], '%Y-%m-%dT%H:%M:%S.%fZ').replace(
    tzinfo=datetime.timezone.utc).timestamp()
a, b, s = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print('%.2f' % abs((raised - (a + b) / 2) * s - 120))
EOF
        stop_all
    done
    med=$(median <"$tmp/err")
    ok=$(awk -v m="$med" -v w="$wd" -v o="$other" 'BEGIN {print (m <= 1.25 && w == 0 && o == 0) ? "right" : "OFF"}')
    printf '   %4dx: 120 s alarm delay off by %s process s (median of %d; runs: %s), watchdog trips %d, other alarms %d: %s\n' \
        "$speed" "$med" "$RUNS" "$(tr '\n' ' ' <"$tmp/err" | sed 's/ $//')" "$wd" "$other" "$ok"
    [ "$ok" = right ] && best=$speed
    [ "$ok" = right ] || break
done
printf '   highest speed with every timer right: %sx\n' "$best"

# ---- what the speed costs: CPU of the server and meltsim over 10 s of wall time -----------------
cpu() { # PID: utime + stime in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)
for speed in 1 60; do
    start "$speed" server
    sleep 2
    s0=$(cpu "$srvpid") m0=$(cpu "$simpid")
    sleep 10
    s1=$(cpu "$srvpid") m1=$(cpu "$simpid")
    printf '   %2dx: CPU over 10 s: server %.1f %% of a core, meltsim %.1f %% (the cycle every %s)\n' "$speed" \
        "$(echo "$s0 $s1 $hz" | awk '{print ($2 - $1) / $3 / 10 * 100}')" \
        "$(echo "$m0 $m1 $hz" | awk '{print ($2 - $1) / $3 / 10 * 100}')" \
        "$("$MC" -c "$cfg" journal | sed -n 's/.*the cycle runs every \([0-9.]* ms\).*/\1/p' | tail -1 | grep . || echo '250 ms')"
    stop_all
done
