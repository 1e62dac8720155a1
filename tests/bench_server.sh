#!/bin/sh
# make bench: the meltcon server against the real meltsim (issue 5; tests/README.md, 'Targets'):
#   Modbus transactions per cycle against the per-tag count (the server's own
#     statistics over a measured interval, and the read plan of the shipped map);
#   cycle lateness p50/p99/max at 250 ms and 10 ms, idle and under load from
#     busy loops (one per core), side by side with cyclictest (rt-tests) at the
#     same period for the same time, SCHED_OTHER like the server (SCHED_FIFO
#     printed for reference when allowed); goal: server p99 <= 1.5x cyclictest's;
#   server RSS (goal <= 8 MB) and CPU % of one core at 4 Hz (goal <= 1 %);
#   the cost of 20 attached clients: CPU, RSS and slow cycles (goal: none);
#   real time ([cycle] realtime = yes, SCHED_FIFO RT_PRIO, mlockall) beside
#     cyclictest -p RT_PRIO -m at the same period, idle and loaded: the same
#     p99 goal against SCHED_FIFO cyclictest.
# The 10 ms cycle answers a PLC in at most 4 ms (check-config: one read and one
# write must fit the period).  Every run starts a fresh server (its lateness ring and max start empty) on a
# temp config; meltsim serves a free port; everything is stopped by its pid.
# The machine is shared: these are figures to read, nothing fails on a timing.
# Usage: bench_server.sh BUILD_DIR      (BENCH_SECONDS: length of each run, default 20;
#        BENCH_RT_PRIO: the real-time priority, default 50)
# shellcheck disable=SC2086 # lists of figures are split into words on purpose
set -u
B=${1:-build}
D=${BENCH_SECONDS:-20}
RT_PRIO=${BENCH_RT_PRIO:-50}
MC=$B/meltcon
tmp=$(mktemp -d)
simpid=""
srvpid=""
busy=""
cleanup() {
    for p in $busy $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
for p in "$MC" "$B/meltsim" "$B/mbtool" "$B/clients" "$B/plcplan"; do
    [ -x "$p" ] || skip "$p is not built"
done
command -v python3 >/dev/null || skip "python3 is needed to read status --json"
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)

echo "== server: Modbus transactions, cycle lateness vs cyclictest, RSS, CPU, 20 clients"

port=$("$B/mbtool" freeport) || skip "no free port"
# cfg PERIOD_MS FILE: the shipped config on our port, socket and state dir
cfg() {
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
        -e "s|^state_dir =.*|state_dir = $tmp/state|" \
        -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^period_ms = .*/period_ms = $1/" \
        -e "s/^response_timeout_ms = .*/response_timeout_ms = $(($1 < 250 ? ($1 - 1) / 2 : 100))/" \
        config/meltcon.ini >"$2"
}
cfg 250 "$tmp/c250.ini"
cfg 10 "$tmp/c10.ini"
grep -q "^period_ms = 10$" "$tmp/c10.ini" || skip "could not set [cycle] period_ms in a copy"
for ms in 250 10; do # the same, real time
    sed -e 's/^realtime = no$/realtime = yes/' -e "s/^rt_priority = .*/rt_priority = $RT_PRIO/" \
        "$tmp/c$ms.ini" >"$tmp/c${ms}rt.ini"
done

# json FILE EXPR: a Python expression over the parsed status --json as d
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }
status() { "$MC" -c "$1" status --json >"$2" 2>/dev/null; }
now() { date +%s.%N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, clock ticks
oncpu() { awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0; } # ns on a CPU
# cpu K0 K1 N0 N1 T0 T1: "X Y", % of one core from ticks and from schedstat's ns
cpu() {
    awk -v k="$(($2 - $1))" -v n="$(($4 - $3))" -v hz="$HZ" -v t="$5" -v u="$6" \
        -v ss="$([ -r /proc/self/schedstat ] && echo 1)" \
        'BEGIN { printf "%.2f %s", 100 * k / hz / (u - t),
                 ss ? sprintf("%.2f", n / 1e7 / (u - t)) : "-" }'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_sim() { # [chrt -f PRIO]: meltsim under that scheduling
    "$@" "$B/meltsim" -c "$tmp/c250.ini" --port "$port" >"$tmp/sim.log" 2>&1 &
    simpid=$!
    i=0
    until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/sim.log"; skip "meltsim did not answer"; }
        sleep 0.1
    done
}
start_server() { # CONFIG
    "$MC" -c "$1" server -f >"$tmp/srv.log" 2>&1 &
    srvpid=$!
    i=0
    until status "$1" "$tmp/up.json" && [ "$(json "$tmp/up.json" 'd["link"]["state"]')" = UP ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { cat "$tmp/srv.log"; skip "the server did not come up"; }
        sleep 0.1
    done
}
stop_server() {
    kill "$srvpid" 2>/dev/null
    wait "$srvpid" 2>/dev/null
    srvpid=""
}
load_on() {
    for i in $(seq "$NCPU"); do
        timeout $((D + 60)) sh -c 'while :; do :; done' & # bounded, should this script die
        busy="$busy $!"
    done
}
load_off() {
    for p in $busy; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    busy=""
}

# cyclictest: print "p50 p99 max" (ms) of its histogram (1 us buckets, nearest
# rank; a rank in the overflow prints ">H"), or "- - -" when it could not run.
ct() { # PERIOD_US OUT [EXTRA...]: one cyclictest run of D seconds
    us=$1 out=$2; shift 2
    : >"$out"
    command -v cyclictest >/dev/null &&
        cyclictest -q -D "$D" -i "$us" -h 50000 --default-system "$@" >"$out" 2>/dev/null
}
ct_figures() {
    awk '/^[0-9]+ [0-9]+$/ { n[$1 + 0] = $2 + 0; tot += $2; if ($1 + 0 > top) top = $1 + 0 }
         /^# Histogram Overflows:/ { ovf = $4 + 0 }
         /^# Max Latencies:/ { max = $4 + 0 }
         function rank(p,   k, c, i) {
             k = int(p * (tot + ovf)); if (k < p * (tot + ovf)) k++; if (k < 1) k = 1
             for (i = 0; i <= top; i++)
                 if ((c += n[i]) >= k)
                     return sprintf("%.3f", i / 1000)
             return ">" (top + 1) / 1000
         }
         END { if (tot + ovf == 0) print "- - -"
               else print rank(0.5), rank(0.99), sprintf("%.3f", max / 1000) }' "$1"
}
ratio() {
    awk -v a="$1" -v b="$2" \
        'BEGIN { if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a / b; else print "-" }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # kB -> MB

# run PERIOD_MS LOAD(0|1): a fresh server for D seconds beside cyclictest; sets
# the figures of the run in r_* and prints nothing.
run() {
    ms=$1
    [ "$2" = 1 ] && load_on
    start_server "$tmp/c$ms.ini"
    sleep 1
    status "$tmp/c$ms.ini" "$tmp/a.json"
    t0=$(now) k0=$(ticks "$srvpid") n0=$(oncpu "$srvpid")
    ct $((ms * 1000)) "$tmp/ct_other.txt" &
    c1=$!
    ct $((ms * 1000)) "$tmp/ct_fifo.txt" -p 80 &
    c2=$!
    sleep "$D"
    wait "$c1" "$c2" 2>/dev/null
    k1=$(ticks "$srvpid") n1=$(oncpu "$srvpid") t1=$(now)
    r_rss=$(rss_kb "$srvpid")
    status "$tmp/c$ms.ini" "$tmp/b.json"
    stop_server
    [ "$2" = 1 ] && load_off
    r_srv=$(json "$tmp/b.json" '"%.3f %.3f %.3f" % tuple(d["cycle"]["late_%s_ms" % k]
                                                       for k in ("p50", "p99", "max"))')
    r_slow=$(json "$tmp/b.json" 'd["cycle"]["slow"]')
    r_cycles=$(json "$tmp/b.json" 'd["cycle"]["cycles"]')
    r_cpu=$(cpu "$k0" "$k1" "$n0" "$n1" "$t0" "$t1")
    r_ct=$(ct_figures "$tmp/ct_other.txt")
    r_fifo=$(ct_figures "$tmp/ct_fifo.txt")
}
# report LABEL: one block of lines for the last run
report() {
    set -- "$1" $r_srv $r_ct
    printf '   %-22s server     p50 %7s  p99 %7s  max %7s ms  (%s cycles, %s slow)\n' \
        "$1" "$2" "$3" "$4" "$r_cycles" "$r_slow"
    printf '   %-22s cyclictest p50 %7s  p99 %7s  max %7s ms  (SCHED_OTHER)\n' "" "$5" "$6" "$7"
    set -- "$1" $r_fifo
    [ "$2" != - ] && printf \
        '   %-22s cyclictest p50 %7s  p99 %7s  max %7s ms  (SCHED_FIFO 80, reference)\n' \
        "" "$2" "$3" "$4"
    set -- $r_srv $r_ct
    printf '   %-22s p99 ratio server/cyclictest %s (goal <= 1.5); server CPU %s %%\n' "" \
        "$(ratio "$2" "$5")" "${r_cpu%% *}"
}

start_sim
command -v cyclictest >/dev/null ||
    say "(cyclictest is not installed: make bench installs rt-tests; its figures show -)"

# ---- Modbus transactions per cycle, RSS and CPU at 4 Hz: 250 ms, idle ------------------
run 250 0
dtx=$(python3 -c "import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
dc = b['cycle']['cycles'] - a['cycle']['cycles']
print('%.2f %d %d' % ((b['link']['transactions'] - a['link']['transactions']) / max(dc, 1),
      b['link']['transactions'] - a['link']['transactions'], dc))" "$tmp/a.json" "$tmp/b.json")
idle_cpu=$r_cpu idle_rss=$r_rss
"$B/plcplan" "$tmp/c250.ini" >"$tmp/plan" || skip "plcplan failed"
ntags=$(sed -n 's/^tags \([0-9]*\):.*/\1/p' "$tmp/plan")
blocks=$(sed -n 's/^blocks \([0-9]*\):.*/\1/p' "$tmp/plan")
nogap=$(sed -n 's/^blocks_nogap \([0-9]*\):.*/\1/p' "$tmp/plan")
set -- $dtx
echo
echo "-- Modbus transactions per cycle (goal: one per contiguous block)"
say "$1 transactions/cycle for $ntags tags (one per tag would be $ntags)" \
    "($2 reads and writes over $3 cycles)"
perblock=$(sed -n 's/^blocks [0-9]*: \(.*\) (.*/\1/p' "$tmp/plan")
say "read plan of the map: $blocks blocks ($perblock) taking in gaps, $nogap without gaps"
lasterr=$(json "$tmp/b.json" 'd["link"]["last_error"]')
reads=$blocks
case $lasterr in
*"Illegal data address"*)
    reads=$nogap
    say "the PLC refused a block with a gap (\"$lasterr\"): the link re-planned it," \
        "up to $nogap reads a cycle" ;;
esac
say "so about $(awk -v a="$1" -v b="$reads" 'BEGIN { printf "%.2f", a - b }') write requests" \
    "a cycle (heartbeat, changed outputs) beside $reads reads"
echo
echo "-- server RSS and CPU at 4 Hz (goals: <= 8 MB, <= 1 % of a core)"
say "RSS $(mb "$idle_rss") MB (VmRSS)"
say "CPU ${idle_cpu%% *} % of one core over $D s (utime+stime;" \
    "${idle_cpu##* } % from the ns of /proc/PID/schedstat)"

# ---- 20 attached clients (a fresh 250 ms server, no load) ------------------------------
echo
echo "-- 20 attached clients, 250 ms, $D s (goal: no missed cycle)"
start_server "$tmp/c250.ini"
sleep 1
status "$tmp/c250.ini" "$tmp/a.json"
t0=$(now) k0=$(ticks "$srvpid") n0=$(oncpu "$srvpid")
"$B/clients" "$tmp/m.sock" 20 "$D" >"$tmp/clients.out" 2>&1 &
clpid=$!
sleep "$((D - 1))"
crss=$(rss_kb "$srvpid")
wait "$clpid"
crc=$?
k1=$(ticks "$srvpid") n1=$(oncpu "$srvpid") t1=$(now)
status "$tmp/c250.ini" "$tmp/b.json"
stop_server
ccpu=$(cpu "$k0" "$k1" "$n0" "$n1" "$t0" "$t1")
cslow=$(python3 -c "import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(b['cycle']['slow'] - a['cycle']['slow'], b['cycle']['cycles'] - a['cycle']['cycles'],
      '%.3f' % b['cycle']['late_max_ms'])" "$tmp/a.json" "$tmp/b.json")
set -- $cslow
say "clients: $(cat "$tmp/clients.out")$([ $crc -ne 0 ] && echo ' (some client got too little)')"
say "CPU ${ccpu%% *} % with 20 clients vs ${idle_cpu%% *} % with none" \
    "(schedstat: ${ccpu##* } vs ${idle_cpu##* } %); RSS $(mb "$crss") MB vs $(mb "$idle_rss") MB"
say "slow cycles during it: $1 of $2 (a missed cycle is also a slow one); lateness max $3 ms"

# ---- lateness under load and at 10 ms --------------------------------------------------
echo
echo "-- cycle lateness, $D s each, load = $NCPU busy loops (sh), cyclictest beside the server"
report "250 ms, idle" # the first run, above
run 250 1
report "250 ms, loaded"
run 10 0
report "10 ms, idle"
run 10 1
report "10 ms, loaded"
say "server: p50/p99 over its last 1024 cycles (all of a 250 ms run, the last 10 s at 10 ms)," \
    "max since start;"
say "at 250 ms a run has ~$(((D + 2) * 4)) cycles, so p99 is its largest or next-largest lateness"

# ---- real time: SCHED_FIFO server beside SCHED_FIFO cyclictest ---------------------------
# A cycle waits for the PLC's answers, so a late answer makes the next cycle
# late.  A plant PLC answers from its own hardware; here meltsim shares the
# machine with the load, so for these runs it gets SCHED_FIFO RT_PRIO-1 to
# stand in for that (one run with meltsim under SCHED_OTHER shows the rig).
restart_sim() { # [chrt -f PRIO]
    kill "$simpid" 2>/dev/null
    wait "$simpid" 2>/dev/null
    start_sim "$@"
}
# run_rt PERIOD_MS LOAD(0|1) [NOTE]: a fresh real-time server and cyclictest -p
# RT_PRIO -m (SCHED_FIFO, memory locked, like the server) for D seconds; one block
run_rt() {
    ms=$1
    label="$ms ms, $([ "$2" = 1 ] && echo loaded || echo idle)${3:+, $3}"
    [ "$2" = 1 ] && load_on
    start_server "$tmp/c${ms}rt.ini"
    sleep 1
    ct $((ms * 1000)) "$tmp/ct_rt.txt" -p "$RT_PRIO" -m
    status "$tmp/c${ms}rt.ini" "$tmp/b.json"
    pol=$(chrt -p "$srvpid" 2>/dev/null | sed -n 's/.*policy: //p')
    stop_server
    [ "$2" = 1 ] && load_off
    srv=$(json "$tmp/b.json" '"%.3f %.3f %.3f %d %d" % (tuple(d["cycle"]["late_%s_ms" % k]
                                 for k in ("p50", "p99", "max")) + (d["cycle"]["cycles"], d["cycle"]["slow"]))')
    set -- $srv $(ct_figures "$tmp/ct_rt.txt")
    printf '   %-22s server     p50 %7s  p99 %7s  max %7s ms  (%s cycles, %s slow; %s)\n' \
        "$label" "$1" "$2" "$3" "$4" "$5" "${pol:-?}"
    printf '   %-22s cyclictest p50 %7s  p99 %7s  max %7s ms  (SCHED_FIFO %s, -m)\n' "" "$6" "$7" "$8" \
        "$RT_PRIO"
    printf '   %-22s p99 ratio server/cyclictest %s (goal <= 1.5)\n' "" "$(ratio "$2" "$7")"
}
echo
echo "-- real time: realtime = yes, rt_priority $RT_PRIO, beside cyclictest -p $RT_PRIO -m at the" \
    "same period, $D s each; load = $NCPU busy loops (sh)"
if ! chrt -f "$RT_PRIO" true 2>/dev/null; then
    say "not measured: SCHED_FIFO $RT_PRIO is not permitted to this account (root, or RLIMIT_RTPRIO)"
elif ! command -v cyclictest >/dev/null; then
    say "not measured: cyclictest is not installed (rt-tests)"
else
    restart_sim chrt -f $((RT_PRIO > 1 ? RT_PRIO - 1 : 1))
    for ms in 250 10; do
        for load in 0 1; do run_rt $ms $load; done
    done
    restart_sim
    run_rt 10 1 "sim OTHER"
    say "meltsim SCHED_FIFO $((RT_PRIO > 1 ? RT_PRIO - 1 : 1)) (a PLC answers from its own hardware) except" \
        "\"sim OTHER\", where a late answer from meltsim can make the next cycle late"
    say "server: p50/p99 over its last 1024 cycles, max since start; cyclictest: its histogram"
fi
