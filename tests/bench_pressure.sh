#!/bin/sh
# make bench: the server under pressure from its clients (issue 12), against
# the real meltsim, at 250 ms:
#   60 connections from one viewer account (nobody): how many it got, and
#     the answer times of an operator's and an engineer's `set` meanwhile
#     (an operator account is made for it, and removed);
#   a viewer flooding refused `set`s for 10 s: how many, the journal lines
#     they cost, the slow cycles meanwhile;
#   100 attached consoles at 4 Hz for BENCH_SECONDS: slow cycles, lateness,
#     CPU (the goal is none slow; printed, not judged: a shared machine).
# Root only (accounts, setpriv); everything is stopped by its pid.
# Usage: bench_pressure.sh BUILD_DIR      (BENCH_SECONDS: the consoles' run, default 20)
set -u
B=${1:-build}
D=${BENCH_SECONDS:-20}
MC=$B/meltcon
PY=/usr/bin/python3
tmp=$(mktemp -d)
chmod 755 "$tmp"
simpid=""
srvpid=""
holdpid=""
user=""
cleanup() {
    for p in $holdpid $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$user" ] && { userdel "$user" 2>/dev/null; groupdel "$user" 2>/dev/null; }
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }

echo "== server under pressure: 60 viewer connections, a flood of refusals, 100 consoles"
for p in "$MC" "$B/meltsim" "$B/mbtool" "$B/clients"; do
    [ -x "$p" ] || skip "$p is not built"
done
[ -x $PY ] || skip "$PY is needed"
[ "$(id -u)" -eq 0 ] || skip "run as root: an operator account is made, clients run as nobody"
port=$("$B/mbtool" freeport) || skip "no free port"
user=mcbench$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
groupadd "$user" && useradd -M -N -s /usr/sbin/nologin -G "$user" "$user" || skip "cannot make an account"
cfg() { # FILE SED...: the shipped config on our port, socket and state dir
    f=$1; shift
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
        -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^operator_group = .*/operator_group = $user/" "$@" config/meltcon.ini >"$f"
    chmod 644 "$f"
}
cfg "$tmp/c.ini"
cfg "$tmp/c100.ini" -e "s/^max_clients = .*/max_clients = 128/" -e "s/^max_per_user = .*/max_per_user = 0/"
"$B/meltsim" -c "$tmp/c.ini" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
start_server() {
    "$MC" -c "$1" server -f >>"$tmp/srv.log" 2>&1 &
    srvpid=$!
    i=0
    until "$MC" -c "$1" status >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && skip "the server did not start: $(tail -3 "$tmp/srv.log")"; sleep 0.1
    done
}
stop_server() { kill "$srvpid"; wait "$srvpid" 2>/dev/null; srvpid=""; }
status() { "$MC" -c "$1" status --json >"$2"; }
# cycles FILE_A FILE_B: "SLOW CYCLES LATE_MAX_MS" between two status --json
cycles() {
    $PY -c "import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(b['cycle']['slow'] - a['cycle']['slow'], b['cycle']['cycles'] - a['cycle']['cycles'],
      '%.1f' % b['cycle']['late_max_ms'])" "$1" "$2"
}
ms_of() { # CMD...: run it, print its wall time in ms (and its status)
    s=$(date +%s%N)
    "$@" >"$tmp/cmd.out" 2>&1
    rc=$?
    e=$(date +%s%N)
    echo "$(((e - s) / 1000000)) ms$([ $rc -ne 0 ] && echo " (FAILED: $(head -c 160 "$tmp/cmd.out"))")"
}

# ---- 60 connections from one viewer ------------------------------------------------------------
start_server "$tmp/c.ini"
cat >"$tmp/hold.py" <<'EOF'
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
socks, hello = [], 0
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    if s.recv(70000).startswith(b"hello "):
        hello += 1
        socks.append(s)
    else:
        s.close()
print(hello, flush=True)
sys.stdin.read()
EOF
chmod 644 "$tmp/hold.py"
mkfifo "$tmp/hold"
(exec setpriv --reuid=nobody --regid="$(id -g nobody)" --init-groups $PY "$tmp/hold.py" "$tmp/m.sock" 60 \
    <"$tmp/hold" >"$tmp/hold.out") &
holdpid=$!
exec 7>"$tmp/hold"
i=0
until [ -s "$tmp/hold.out" ]; do i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.05; done
status "$tmp/c.ini" "$tmp/a.json"
cp "$MC" "$tmp/meltcon" && chmod 755 "$tmp/meltcon"
op=$(ms_of setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups "$tmp/meltcon" -c "$tmp/c.ini" \
    set bath.sp 744 --reason bench)
eng=$(ms_of "$MC" -c "$tmp/c.ini" set bath.sp 745 --reason bench)
say "60 connections from nobody: $(cat "$tmp/hold.out") taken (max_per_user 8), the rest refused with a bye"
say "meanwhile: the operator's set answered in $op, the engineer's in $eng (whole CLI run)"
exec 7>&-
wait "$holdpid" 2>/dev/null
holdpid=""

# ---- a flood of refused sets -----------------------------------------------------------------------
cat >"$tmp/flood.py" <<'EOF'
import socket, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
assert s.recv(70000).startswith(b"hello ")
end, n = time.time() + secs, 0
while time.time() < end:
    n += 1
    s.send(b"req 1 id=%d t=%.3f verb=set target=bath.sp value=760 reason=flood" % (n, time.time()))
    while not s.recv(70000).startswith(b"reply 1 id=%d " % n):
        pass
print(n)
EOF
chmod 644 "$tmp/flood.py"
status "$tmp/c.ini" "$tmp/a.json"
l0=$(cat "$tmp"/state/journal/journal-*.log | wc -l)
setpriv --reuid=nobody --regid="$(id -g nobody)" --init-groups $PY "$tmp/flood.py" "$tmp/m.sock" 10 >"$tmp/flood.out"
status "$tmp/c.ini" "$tmp/b.json"
stop_server
l1=$(cat "$tmp"/state/journal/journal-*.log | wc -l)
set -- $(cycles "$tmp/a.json" "$tmp/b.json")
say "flood: $(cat "$tmp/flood.out") refused sets from nobody in 10 s -> $((l1 - l0 - 1)) journal lines" \
    "(with the summaries and the stop); slow cycles $1 of $2, lateness max $3 ms"

# ---- 100 attached consoles at 4 Hz -----------------------------------------------------------------
start_server "$tmp/c100.ini"
sleep 1
status "$tmp/c100.ini" "$tmp/a.json"
"$B/clients" "$tmp/m.sock" 100 "$D" >"$tmp/clients.out" 2>&1
status "$tmp/c100.ini" "$tmp/b.json"
stop_server
set -- $(cycles "$tmp/a.json" "$tmp/b.json")
say "100 consoles, $D s: $(cat "$tmp/clients.out")"
say "slow cycles during it: $1 of $2 (goal: none); lateness max $3 ms"
