#!/bin/sh
# make bench: the record off the control cycle (issue 12; tests/README.md, 'Targets'):
# slow cycles and cycle lateness p99 at 4 Hz while 50 operator actions a
# second arrive on one connection (tests/actions.py), each journalled, the
# loops' state saved, and answered once on disk:
#   plain          the disk as it is
#   fsync +200 ms  the server under strace, every fsync and fdatasync delayed
#                  200 ms (strace -e inject=fsync:delay_enter=200000)
#   NSS +2 s       getpwuid_r and getgrouplist delayed 2 s (tests/nss_slow.c,
#                  LD_PRELOAD) while clients of new accounts connect
# Goal: 0 slow cycles in each.  Also printed: actions answered, and how many
# journal rounds (fsyncs) the writer needed for them (group commit).
# Every run starts a fresh server; meltsim serves a free port; everything is
# stopped by its pid.  Figures to read: nothing fails on a timing.
# Usage: bench_writer.sh BUILD_DIR      (BENCH_SECONDS: length of each run, default 20)
set -u
B=${1:-build}
D=${BENCH_SECONDS:-20}
MC=$B/meltcon
SRC=${MELTCON_SRC:-.}
tmp=$(mktemp -d)
chmod 755 "$tmp"
simpid=""
srvpid=""
cleanup() {
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
for p in "$MC" "$B/meltsim" "$B/mbtool"; do
    [ -x "$p" ] || skip "$p is not built"
done
command -v python3 >/dev/null || skip "python3 is needed for the actions and status --json"

echo "== writer: slow cycles and lateness p99 at 4 Hz with 50 operator actions/s, $D s each"

port=$("$B/mbtool" freeport) || skip "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^period_ms = .*/period_ms = 250/" "$SRC/config/meltcon.ini" >"$cfg"
chmod 644 "$cfg"
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo '?'; }
status() { "$MC" -c "$cfg" status --json >"$1" 2>/dev/null; }
status_retry() { # FILE: a server held up by its disk may not answer at once
    for _ in 1 2 3 4 5; do status "$1" && return 0; sleep 1; done
    return 1
}

"$B/meltsim" -c "$cfg" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && skip "meltsim did not answer"; sleep 0.1
done

start_server() { # [WRAPPER...]: the server under it
    rm -rf "$tmp/state"
    "$@" "$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
    srvpid=$!
    i=0
    until status "$tmp/up.json" && [ "$(json "$tmp/up.json" 'd["link"]["state"]')" = UP ]; do
        i=$((i + 1)); [ $i -gt 150 ] && { cat "$tmp/srv.log"; skip "the server did not come up"; }
        sleep 0.1
    done
    sleep 1 # control started
}
stop_server() {
    "$MC" -c "$cfg" stop --reason "bench run over" >/dev/null 2>&1 || kill "$srvpid" 2>/dev/null
    wait "$srvpid" 2>/dev/null
    srvpid=""
}
# run NAME: 50 actions/s for D s against the running server, then the figures
run() {
    status_retry "$tmp/a.json"
    python3 "$SRC/tests/actions.py" "$tmp/m.sock" 50 $((50 * D)) >/dev/null 2>"$tmp/act"
    status_retry "$tmp/b.json" || say "($1: status did not answer for 5 tries)"
    lines=$(cat "$tmp/state/journal/"journal-*.log 2>/dev/null | wc -l)
    printf '   %-16s slow cycles %s, lateness p99 %s ms (max %s ms; max before the run %s ms); %s; %s journal lines\n' "$1" \
        "$(python3 -c 'import sys; print(int(sys.argv[1]) - int(sys.argv[2]))' \
            "$(json "$tmp/b.json" 'd["cycle"]["slow"]')" "$(json "$tmp/a.json" 'd["cycle"]["slow"]')" 2>/dev/null || echo '?')" \
        "$(json "$tmp/b.json" 'round(d["cycle"]["late_p99_ms"], 2)')" \
        "$(json "$tmp/b.json" 'round(d["cycle"]["late_max_ms"], 1)')" \
        "$(json "$tmp/a.json" 'round(d["cycle"]["late_max_ms"], 1)')" \
        "$(tail -1 "$tmp/act")" "$lines"
}

start_server
run "plain"
stop_server

if command -v strace >/dev/null; then
    start_server strace -f -o "$tmp/strace.log" -e trace=fsync,fdatasync \
        -e inject=fsync:delay_enter=200000 -e inject=fdatasync:delay_enter=200000
    run "fsync +200 ms"
    stop_server
    say "                 fsyncs in that run: $(grep -c 'fsync' "$tmp/strace.log") (journal, loops.state, its directory)"
else
    say "SKIP fsync +200 ms: strace is not installed"
fi

if command -v cc >/dev/null && cc -shared -fPIC -O2 -o "$tmp/nss_slow.so" "$SRC/tests/nss_slow.c" -ldl; then
    pre=$tmp/nss_slow.so
    asan=$(ldd "$MC" 2>/dev/null | awk '/libasan/ {print $3}')
    [ -n "$asan" ] && pre="$asan $pre"
    start_server env NSS_SLOW_MS=2000 LD_PRELOAD="$pre"
    # clients of accounts the server has not seen, each a 2-4 s lookup, during the run
    (
        for u in 60001 60002 60003 60004 60005 60006 60007 60008; do
            if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
                setpriv --reuid="$u" --regid="$u" --clear-groups "$MC" -c "$cfg" status >/dev/null 2>&1 &
            fi
            "$MC" -c "$cfg" status >/dev/null 2>&1
            sleep 1
        done
        wait
    ) &
    conn=$!
    run "NSS +2 s"
    wait "$conn"
    stop_server
else
    say "SKIP NSS +2 s: cannot build tests/nss_slow.c"
fi
