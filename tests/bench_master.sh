#!/bin/sh
# make bench: how fast a server sees another master writing its PLC (issue 10;
# control/core/master.h).  One server against the real meltsim at the shipped
# 250 ms period; each run a raw Modbus TCP client writes hr:0 (firing_demand)
# every 100 ms until the server's foreign_master alarm shows in `status
# --json` (polled every 0.1 s); the writer stops, the alarm returns, an
# engineer (this user: root, or the engineer group of the temp config)
# acknowledges and control restarts from the read-back for the next run.
# Two figures per run, min/median/max over the runs:
#   detection   the writer's first write -> the alarm's journal line (the
#               server's own time stamps: MASTER_PERSIST reads and no more)
#   shown       the writer's first write -> the alarm in `status --json`
#               (adds the snapshot rate, 4 Hz, and the poll)
# Goal (issue 10): shown within 2 s.  The machine is shared: figures to read,
# nothing fails on a timing.
# Usage: bench_master.sh BUILD_DIR [RUNS]      (default 10 runs; KEEP=1 keeps the temp dir)
set -u
B=${1:-build}
RUNS=${2:-10}
MC=$B/meltcon
tmp=$(mktemp -d)
simpid=""
srvpid=""
wpid=""
cleanup() {
    for p in $wpid $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
for p in "$MC" "$B/meltsim"; do
    [ -x "$p" ] || skip "$p is not built"
done
command -v python3 >/dev/null || skip "python3 is needed for the raw Modbus client"

echo "== another master: detection latency of a foreign writer on hr:0, $RUNS runs at 250 ms"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" config/meltcon.ini >"$tmp/m.ini"
M() { "$MC" -c "$tmp/m.ini" "$@"; }

# The writer: prints the wall time of its first answered write, then writes every 100 ms.
cat >"$tmp/writer.py" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=2)
i = 0
while True:
    s.sendall(struct.pack(">HHHBBHH", i & 0xffff, 0, 6, 1, 6, 0, (200, 250)[i % 2]))
    if len(s.recv(260)) < 12:
        sys.exit("no answer")
    if i == 0:
        print("%.3f" % time.time(), flush=True)
    i += 1
    time.sleep(0.1)
EOF
# wait_state STATE: until foreign_master is STATE (NORMAL when not listed); prints the wall time
cat >"$tmp/wait.py" <<'EOF'
import json, subprocess, sys, time
mc, cfg, want = sys.argv[1], sys.argv[2], sys.argv[3]
end = time.monotonic() + 20
while time.monotonic() < end:
    p = subprocess.run([mc, "-c", cfg, "status", "--json"], capture_output=True, text=True)
    if p.returncode == 0:
        st = [a["state"] for a in json.loads(p.stdout)["alarms"] if a["name"] == "foreign_master"]
        if (st or ["NORMAL"])[0] == want:
            print("%.3f" % time.time())
            sys.exit(0)
    time.sleep(0.1)
sys.exit("foreign_master never became " + want)
EOF
wait_state() { python3 "$tmp/wait.py" "$MC" "$tmp/m.ini" "$1"; }
# the wall time of the last journal line with TEXT
journal_wall() {
    M journal --since @0 2>/dev/null | grep -F -- "$1" | tail -1 | python3 -c '
import datetime, sys
ts = sys.stdin.read().split(" ")[0]
print("%.3f" % datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
      .replace(tzinfo=datetime.timezone.utc).timestamp())'
}
started() { M journal --since @0 2>/dev/null | grep -c "control started from the PLC's read-back"; }
until_started() { # N: until the journal has N starts
    i=0
    until [ "$(started)" -ge "$1" ]; do
        i=$((i + 1)); [ "$i" -ge 100 ] && skip "control did not start ($1)"; sleep 0.1
    done
}

"$B/meltsim" -c "$tmp/m.ini" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
sleep 0.5
"$MC" -c "$tmp/m.ini" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
until_started 1
: >"$tmp/det"
: >"$tmp/shown"
run=1
while [ "$run" -le "$RUNS" ]; do
    sleep 1 # control settled, writing
    python3 "$tmp/writer.py" "$port" >"$tmp/w.out" 2>&1 &
    wpid=$!
    seen=$(wait_state UNACK) || skip "run $run: no alarm"
    first=$(head -1 "$tmp/w.out")
    kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=""
    raised=$(journal_wall "alarm foreign_master NORMAL -> UNACK")
    python3 -c "print('%.3f' % ($raised - $first))" >>"$tmp/det"
    python3 -c "print('%.3f' % ($seen - $first))" >>"$tmp/shown"
    wait_state RTN_UNACK >/dev/null || skip "run $run: the alarm did not return"
    M ack foreign_master >/dev/null 2>&1 || skip "run $run: the engineer's acknowledgement failed"
    until_started $((run + 1))
    run=$((run + 1))
done
stats() { sort -n "$1" | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
    printf "min %.2f s, median %.2f s, max %.2f s", a[1], m, a[NR]}'; }
say "per run, detection/shown (s): $(paste -d/ "$tmp/det" "$tmp/shown" | tr '\n' ' ')"
say "detection (first foreign write -> alarm raised in the journal): $(stats "$tmp/det")"
say "shown (first foreign write -> alarm in status --json):        $(stats "$tmp/shown")"
say "goal: shown within 2 s; each run: MASTER_PERSIST = 3 reads at 250 ms"
