#!/bin/sh
# make bench: the targets of tests/README.md, measured here, medians of
# repeated runs (shared, noisy machines: never judge a single run).
# Usage: bench.sh BUILD_DIR
B=${1:-build}
export MELTCON_SRC="$PWD"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "meltcon benchmarks on $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"

echo
echo "== meltsim run: an 8 h shift, headless (goal: >= 20000x real time)"
for i in 1 2 3 4 5; do
    "$B/meltsim" -c config/meltcon.ini run --hours 8 2>&1 | sed -n 's/.*in \([0-9.]*\) s (\([0-9]*\)x real time.*/\2/p'
done | median | awk '{printf "   simulated/wall ratio, median of 5: %dx\n", $1}'
"$B/meltsim" -c config/meltcon.ini run --hours 8 2>&1 | sed 's/^/   /'

for part in tests/bench_*.sh; do
    [ -e "$part" ] || continue
    echo
    sh "$part" "$B"
done
