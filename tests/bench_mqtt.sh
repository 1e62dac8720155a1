#!/bin/sh
# make bench: plant scale over MQTT Sparkplug B (issue 17), against a real
# mosquitto on a free port.
#  1. 8 real furnaces (meltsim + meltcon server each) publishing to one
#     broker for BENCH_MQTT_S seconds: slow cycles of each server (goal 0);
#     bytes/s per furnace on the broker (what the host application
#     tests/sparkplug_sub.py received, births excluded); value change ->
#     `meltcon plant` screen latency p50/p99 (goal p99 <= 1 s), from the
#     console's own record (MELTCON_PLANT_LATENCY, tui/plant_ui.c).
#  2. 200 furnaces from tests/spb_loadgen.py (the same payload, 4 Hz): the
#     console's latency p50/p99, its CPU (% of one core) and peak RSS, and
#     the bytes/s it writes to an 80x24 terminal at steady state beside
#     htop -d 10 (the rate from a short and a long run side by side, as
#     bench_tui.sh does).
# Nothing fails on a figure; everything is stopped by its pid.
set -u
B=${1:-build}
MELTCON=$PWD/$B/meltcon
MELTSIM=$PWD/$B/meltsim
S=${BENCH_MQTT_S:-30}
tmp=$(mktemp -d)
chmod 755 "$tmp"
say() { echo "   $*"; }
fail() { echo "   SKIP: $*"; exit 0; }
. tests/mqtt_lib.sh
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export TERM=xterm-256color
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
pct() { # P FILE: the P-th percentile of the numbers in FILE (ms)
    grep -v '^#' "$2" | sort -n | awk -v p="$1" '{a[NR]=$1} END {
        if (!NR) { print "-"; exit }
        i = int(p / 100 * NR + 0.999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.0f", a[i] * 1000 }'
}
echo "== MQTT Sparkplug B: 8 real furnaces on one broker, then 200 from a load generator" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, shared)"
mqtt_prereq
broker_start
# plant_tty NAME SECONDS CONFIG: `meltcon plant` in an 80x24 pty for SECONDS,
# its latency record in $tmp/NAME.lat, the terminal's bytes in $tmp/NAME.bytes
plant_tty() {
    (sleep $(($2 + 2)) | MELTCON_PLANT_LATENCY=$tmp/$1.lat \
        script -q -e -c "stty cols 80 rows 24; exec timeout $2 $MC -c $3 plant" /dev/null 2>/dev/null |
        wc -c >"$tmp/$1.bytes") &
    ttypids="$ttypids $!"
}
htop_tty() {
    (sleep $(($2 + 2)) | script -q -e -c "stty cols 80 rows 24; exec timeout $2 $HTOP -d 10" /dev/null \
        2>/dev/null | wc -c >"$tmp/$1.bytes") &
    ttypids="$ttypids $!"
}
ttywait() { for p in $ttypids; do wait "$p"; done; ttypids=""; }
ttypids=""

# ---- 1. eight real furnaces -------------------------------------------------------------
sub_start
for i in 1 2 3 4 5 6 7 8; do furnace_start "f$i" 10; done
sleep 3
for i in 1 2 3 4 5 6 7 8; do
    "$MC" -c "$tmp/f$i/m.ini" status --json | $PY -c 'import json, sys; print(json.load(sys.stdin)["cycle"]["slow"])'
done >"$tmp/slow0"
t0=$($PY -c 'import time; print(time.time())')
plant_tty p8 "$S" "$tmp/f1/m.ini"
ttywait
t1=$($PY -c 'import time; print(time.time())')
for i in 1 2 3 4 5 6 7 8; do
    "$MC" -c "$tmp/f$i/m.ini" status --json | $PY -c 'import json, sys; print(json.load(sys.stdin)["cycle"]["slow"])'
done >"$tmp/slow1"
slow=$(paste "$tmp/slow0" "$tmp/slow1" | awk '{ s += $2 - $1 } END { print s }')
cyc=$(( S * 4 * 8 ))
say "slow cycles of the 8 servers during ${S} s: $slow (of about $cyc cycles; goal 0)"
$PY - "$tmp/ev.log" "$t0" "$t1" <<'PY'
import json, sys
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
per = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("kind") in ("DDATA", "NDATA") and t0 <= e["t"] <= t1:
        per[e["node"]] = per.get(e["node"], 0) + e["bytes"]
r = sorted(b / (t1 - t0) for b in per.values())
if r:
    print("   bytes/s per furnace on the broker (Sparkplug payloads, DDATA, births excluded): "
          "median %.0f, min %.0f, max %.0f over %d furnaces" % (r[len(r) // 2], r[0], r[-1], len(r)))
PY
n8=$(grep -vc '^#' "$tmp/p8.lat")
say "value change -> meltcon plant screen (80x24, 8 furnaces): p50 $(pct 50 "$tmp/p8.lat") ms," \
    "p99 $(pct 99 "$tmp/p8.lat") ms over $n8 row updates (goal p99 <= 1000 ms)"
for i in 1 2 3 4 5 6 7 8; do kill "$(cat "$tmp/f$i/srv.pid")" "$(cat "$tmp/f$i/sim.pid")" 2>/dev/null; done
kill "$subpid" 2>/dev/null

# ---- 2. two hundred furnaces from the load generator --------------------------------------
T1=$((S / 3)); T2=$S
HTOP=$(command -v htop) || HTOP=""
$PY tests/spb_loadgen.py --gen "$tmp/gen" --port "$bport" --nodes 200 --seconds $((S + 6)) \
    >"$tmp/lg.out" 2>&1 &
lgpid=$!
pids="$pids $lgpid"
sleep 2
plant_tty p200s "$T1" "$tmp/f1/m.ini"
plant_tty p200 "$T2" "$tmp/f1/m.ini"
ttywait
wait "$lgpid"
say "$(cat "$tmp/lg.out")"
[ -n "$HTOP" ] && { htop_tty hts "$T1"; htop_tty ht "$T2"; ttywait; }
rate() { awk -v a="$(cat "$tmp/$1.bytes")" -v b="$(cat "$tmp/$2.bytes")" -v d="$((T2 - T1))" \
    'BEGIN { printf "%.0f", (b - a) / d }'; }
n200=$(grep -vc '^#' "$tmp/p200.lat")
say "value change -> meltcon plant screen (80x24, 200 furnaces): p50 $(pct 50 "$tmp/p200.lat") ms," \
    "p99 $(pct 99 "$tmp/p200.lat") ms over $n200 row updates (goal p99 <= 1000 ms)"
grep '^#' "$tmp/p200.lat" | sed 's/^# //' | awk '{
    split($1, c, "="); split($2, r, "="); split($3, w, "=");
    printf "   meltcon plant with 200 furnaces: CPU %.1f %% of one core, peak RSS %.1f MB (%s s)\n",
        100 * c[2] / w[2], r[2] / 1024, w[2] }'
hr=-
[ -n "$HTOP" ] && hr=$(rate hts ht)
say "terminal bytes/s at 80x24, steady state (${T1} s and ${T2} s runs): meltcon plant (200 furnaces)" \
    "$(rate p200s p200), htop -d 10 $hr (goal: plant below htop)"
