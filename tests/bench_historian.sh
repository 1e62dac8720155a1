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
#                  same rate (every tag moving every second: the most it can be); and
#                  the server with the shipped config against meltsim for
#                  BENCH_SERVER_SECONDS (120): its rows per hour, and a day of them at
#                  the bytes per row measured above (the first instant stores every tag:
#                  a short run overstates the rate a little)
# Figures to read: nothing fails on a timing.  The machine is shared: wall times
# include waiting for a core, CPU times do not.
# Usage: bench_historian.sh BUILD_DIR     (BENCH_SECONDS: the cycle runs, default 60;
#        BENCH_SERVER_SECONDS: the server run, default 120)
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

# A furnace-day as the server stores it: meltsim and the server with the shipped config
# (historian_period_s 1, deadband 0.1 %) for S seconds; the rows it stored per hour, and
# the day's size at the bytes per row historian.db took above.
S=${BENCH_SERVER_SECONDS:-120}
MC=$B/meltcon
[ -x "$B/meltsim" ] && [ -x "$B/mbtool" ] && [ -x "$MC" ] || skip "meltsim, mbtool or meltcon is not built"
port=$("$B/mbtool" freeport) || skip "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    "${MELTCON_SRC:-.}/config/meltcon.ini" >"$cfg"
"$B/meltsim" -c "$cfg" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
trap 'kill $simpid $srvpid 2>/dev/null; rm -rf "$tmp"' EXIT
srvpid=""
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && skip "meltsim did not answer"; sleep 0.1
done
"$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
sleep "$S"
kill -TERM "$srvpid"
wait "$srvpid" 2>/dev/null
srvpid=""
rows=$(sqlite3 -readonly "$tmp/state/historian.db" "SELECT count(*) FROM samples" 2>/dev/null) ||
    skip "sqlite3 could not read the server's historian.db"
awk -v r="$rows" -v s="$S" -v b="$bytes" 'BEGIN {
    d = r / s * 86400
    printf "   the server, shipped config, %d s against meltsim: %d rows (%.0f per hour); a furnace-day: %.0f rows, %.1f MB at %.1f bytes per row\n",
        s, r, r / s * 3600, d, d * b / 1440000 / 1e6, b / 1440000 }'
