#!/bin/sh
# make bench: the historian (historian.db, issue 15; tests/README.md, 'Targets'):
#   cycle          a 4 Hz loop on absolute deadlines offering 50 tags that all move
#                  every cycle to hist_sample (sampled every cycle), as the control
#                  cycle would if it called the historian itself (the server's writer
#                  thread does): slow cycles (goal 0) and hist_sample's cost
#   slow disk      the same under strace, every fdatasync (only SQLite's: the
#                  historian's thread) delayed 1 s: slow cycles (goal 0), rows lost
#   export         8 h of all 50 tags, every one moving every second (the default
#                  historian_period_s 1), exported as CSV to /dev/null: median of 5
#                  (goal <= 1 s), wall and CPU
#   size           historian.db after those 8 h; a furnace-day is 3 times that at the
#                  same rate (every tag moving every second: the most it can be)
# Figures to read: nothing fails on a timing.  The machine is shared: wall times
# include waiting for a core, CPU times do not.
# Usage: bench_historian.sh BUILD_DIR     (BENCH_SECONDS: the cycle runs, default 60)
set -u
B=${1:-build}
D=${BENCH_SECONDS:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
[ -x "$B/histbench" ] || skip "$B/histbench is not built"

echo "== historian: 50 tags moving every cycle at 4 Hz, $D s; 8 h export; size"
mkdir "$tmp/a" "$tmp/b" "$tmp/c"
r=$("$B/histbench" cycle "$tmp/a" "$D") || skip "histbench cycle failed"
say "plain disk:        $r"
if command -v strace >/dev/null; then
    r=$(strace -f --seccomp-bpf -qq -o /dev/null -e trace=fdatasync \
        -e inject=fdatasync:delay_enter=1000000 "$B/histbench" cycle "$tmp/b" "$D") ||
        skip "histbench cycle under strace failed"
    say "fdatasync +1 s:     $r"
else
    echo "   NOT CHECKED: the slow disk (strace is not installed: make deps DEPS_EXTRA=bench)"
fi
r=$("$B/histbench" fill "$tmp/c" 8) || skip "histbench fill failed"
say "fill 8 h:          $r"
bytes=$(echo "$r" | sed -n 's/.* bytes \([0-9]*\).*/\1/p')
"$B/histbench" export "$tmp/c" 8 >"$tmp/x" || skip "histbench export failed"
say "export 8 h, all tags, CSV: $(tail -1 "$tmp/x")"
[ -n "$bytes" ] && awk -v b="$bytes" 'BEGIN {
    printf "   size: %.1f MB for 8 h; a furnace-day at this rate (3 x 8 h): %.1f MB\n", b / 1e6, 3 * b / 1e6 }'
