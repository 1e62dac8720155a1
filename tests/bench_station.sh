#!/bin/sh
# make bench: the instructor station's view of the trainee and the timed malfunctions
# (issue 16; simhw/README.md, 'Instructor station', 'Timed and ramped malfunctions').
#   action shown   wall time from a trainee's `meltcon set` returning to its line on the
#                  station's ACTIONS panel (tmux, 80x24, the screen read every 50 ms):
#                  journal --follow, the station's wait on it, tmux
#   progress       one `meltcon debrief --scenario FILE --progress` (what the station
#                  runs every 5 s), on the record of this run so far
#   timed verb     the `meltsim inject at ...` and `inject pending` round trips (process
#                  start, socket, reply)
# Medians of repeated runs; the machine is shared: figures to read, nothing fails on a
# timing.
# Usage: bench_station.sh BUILD_DIR [RUNS]     (default 7)
set -u
B=${1:-build}
RUNS=${2:-7}
MC=$(readlink -f "$B/meltcon")
MS=$(readlink -f "$B/meltsim")
MB=$B/mbtool
SRC=${MELTCON_SRC:-.}
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$SRC/tests/tui_lib.sh"
tmp=$TUI_TMP
simpid=""
srvpid=""
started=""
cleanup() {
    [ -n "$started" ] && tui_stop st
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms() { date +%s%3N; }
echo "== the instructor station and timed malfunctions (meltsim 30x, server attached; $RUNS runs each)"
command -v tmux >/dev/null || { echo "   tmux missing: not measured"; exit 0; }

port=$("$MB" freeport) || { echo "   no free port"; exit 0; }
cfg=$tmp/c.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/s.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^mode = auto$/mode = private/" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" "$SRC/config/meltcon.ini" >"$cfg"
chmod 644 "$cfg"
"$MS" -c "$cfg" --speed 30 --seed 1 --scenario "$SRC/simhw/scenarios/estop_recovery.ini" \
    --snapshots "$tmp/snaps" >"$tmp/sim.log" 2>&1 &
simpid=$!
"$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
i=0
until "$MC" -c "$cfg" status >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "   the server did not come up: not measured"; exit 0; }; sleep 0.1
done
tui_start st 80 24 "exec '$MS' -c '$cfg' instructor --port $port" && started=1
tui_wait st 'ACTIONS' 10 >/dev/null || { echo "   the station did not come up: not measured"; exit 0; }
sleep 2

for i in $(seq 1 "$RUNS"); do
    sp=$((740 + i)) # a new value each run: its line is not on the screen yet
    "$MC" -c "$cfg" set bath.sp $sp --reason "bench $i" >/dev/null 2>&1 || continue
    t0=$(ms)
    k=0
    until tui_capture st | grep -q "bath.sp [0-9.]* -> $sp ok"; do
        k=$((k + 1)); [ $k -gt 200 ] && break; sleep 0.05
    done
    [ $k -le 200 ] && echo $(($(ms) - t0))
    sleep 0.6
done | median | awk '{printf "   action shown on the station, median: %d ms\n", $1}'

for i in $(seq 1 "$RUNS"); do
    t0=$(ms)
    "$MC" -c "$cfg" debrief --scenario "$SRC/simhw/scenarios/estop_recovery.ini" --progress \
        >/dev/null 2>&1
    echo $(($(ms) - t0))
done | median | awk '{printf "   debrief --progress (every 5 s on the station), median: %d ms\n", $1}'

for i in $(seq 1 "$RUNS"); do
    t0=$(ms)
    "$MS" -c "$cfg" --port "$port" inject at 600 gas_low >/dev/null 2>&1
    echo $(($(ms) - t0))
done | median | awk '{printf "   inject at ... round trip, median: %d ms\n", $1}'
for i in $(seq 1 "$RUNS"); do
    t0=$(ms)
    "$MS" -c "$cfg" --port "$port" inject pending >/dev/null 2>&1
    echo $(($(ms) - t0))
done | median | awk '{printf "   inject pending round trip, median: %d ms\n", $1}'
echo "   (load while measured: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores)"
