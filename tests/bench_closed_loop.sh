#!/bin/sh
# make bench: the closed-loop harness, an 8-hour shift of the control core, the PLC logic
# and the furnace physics in lockstep, joined by the server's real PLC link over an
# in-memory PLC: the targets of tests/README.md, the link's transactions per cycle and the
# simulated-to-wall ratio (goal: 8 h in <= 1 s, i.e. >= 28800x), median of 5 runs.
# Usage: bench_closed_loop.sh BUILD_DIR
B=${1:-build}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "== closed-loop: an 8 h shift through the control core and plc_link (goal: 8 h in <= 1 s)"
runs=$(for i in 1 2 3 4 5; do
    "$B/closed-loop" -c config/meltcon.ini --hours 8 --quiet | sed -n 's/^closed-loop: .* in \([0-9.]*\) s (\([0-9]*\)x real time).*/\1 \2/p'
done)
wall=$(echo "$runs" | awk '{print $1}' | median)
ratio=$(echo "$runs" | awk '{print $2}' | median)
echo "   wall time, median of 5: $wall s; simulated/wall ratio: ${ratio}x"
"$B/closed-loop" -c config/meltcon.ini --hours 8 --quiet | sed 's/^/   /'
