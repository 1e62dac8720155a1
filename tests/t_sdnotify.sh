#!/bin/sh
# The server under a service manager (Type=notify), with a Python SOCK_DGRAM
# listener standing in for systemd's notify socket (the one thing here that
# is not the real thing: PID 1 is not systemd in a test):
#   - a watchdog shorter than 3 cycles is widened (WATCHDOG_USEC=) and journalled;
#   - READY=1 arrives once, after the first cycle ran and when the socket
#     answers (the listener connects the moment READY=1 arrives: it must get
#     the server's hello, and status must show cycles);
#   - STATUS= says the PLC link is up, then down when meltsim is killed;
#   - WATCHDOG=1 keeps arriving, never more often than the cycle runs;
#   - SIGSTOP: the pings stop (systemd's watchdog would fire); SIGCONT: they
#     come back; SIGTERM: STOPPING=1 and a clean exit.
# Without NOTIFY_SOCKET the server sends nothing (t_server runs it so).
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
simpid=""
srvpid=""
lpid=""
say() { echo "t_sdnotify: $*"; }
fail() {
    echo "FAIL: $*"
    for f in notes srv.log sim.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -20 "$tmp/$f"; }
    done
    exit 1
}
cleanup() {
    [ -n "$srvpid" ] && kill -CONT "$srvpid" 2>/dev/null
    for p in $srvpid $simpid $lpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$("$B/mbtool" freeport) || fail "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    config/meltcon.ini >"$cfg"
grep -q "^socket = $tmp/m.sock$" "$cfg" || fail "could not set [server] socket in a copy of the config"

# The listener: one line per datagram, "SECONDS MSG" (newlines in MSG as |).
# On READY=1 it connects to the server's socket at once and notes whether a
# hello came ("hello-at-ready yes|no") and the cycles status reported.
cat >"$tmp/listen.py" <<'EOF'
import os, socket, subprocess, sys, time, json
path, out, sock, mc, cfg = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
f = open(out, "a", buffering=1)
f.write("listening\n")
while True:
    m = s.recv(4096).decode(errors="replace").replace("\n", "|")
    f.write("%.3f %s\n" % (time.monotonic(), m))
    if "READY=1" in m.split("|"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.settimeout(2)
        try:
            c.connect(sock)
            hello = c.recv(65536).decode(errors="replace")
            ok = hello.startswith("hello")
        except OSError as e:
            ok, hello = False, str(e)
        c.close()
        f.write("hello-at-ready %s %s\n" % ("yes" if ok else "no", hello[:40].replace("\n", " ")))
        r = subprocess.run([mc, "-c", cfg, "status", "--json"], capture_output=True, text=True)
        try:
            f.write("cycles-at-ready %d\n" % json.loads(r.stdout)["cycle"]["cycles"])
        except (ValueError, KeyError):
            f.write("cycles-at-ready ? %s\n" % r.stderr.strip())
EOF
python3 "$tmp/listen.py" "$tmp/n.sock" "$tmp/notes" "$tmp/m.sock" "$MC" "$cfg" &
lpid=$!
wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}
notes() { grep -c "$1" "$tmp/notes"; }
wait_for 50 grep -q listening "$tmp/notes" || fail "the listener did not start"

"$MS" -c "$cfg" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 "$B/mbtool" read "$port" ir 0 1 || fail "meltsim did not answer on port $port"

# 600 ms is shorter than 3 cycles of 250 ms: the server must widen it to 750 ms
NOTIFY_SOCKET=$tmp/n.sock WATCHDOG_USEC=600000 "$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
wait_for 100 grep -q "cycles-at-ready" "$tmp/notes" || fail "no READY=1 from the server"
grep -q " WATCHDOG_USEC=750000$" "$tmp/notes" || fail "the short watchdog was not widened to 750 ms"
"$MC" -c "$cfg" journal --since -5m | grep -q 'widened to 750 ms' || fail "the widening is not journalled"
grep -q "^hello-at-ready yes" "$tmp/notes" || fail "READY=1 came before the socket answered"
c=$(sed -n 's/^cycles-at-ready //p' "$tmp/notes")
[ "$c" -ge 1 ] 2>/dev/null || fail "READY=1 came before the first cycle (cycles $c)"
[ "$(notes ' READY=1$')" -eq 1 ] || fail "READY=1 not sent exactly once"
# the order: widened watchdog, then the link's STATUS=, then READY=1
awk '/WATCHDOG_USEC=/ { w = NR } /STATUS=.*PLC 127.0.0.1:'"$port"' up/ && !s { s = NR }
     / READY=1$/ { r = NR } END { exit !(w && s && r && w < r && s < r) }' "$tmp/notes" ||
    fail "expected WATCHDOG_USEC=, STATUS= (PLC up), then READY=1"
say "READY=1 once, after the first cycle ($c cycles) with the socket answering; watchdog widened"

# WATCHDOG=1 keeps coming, at most once a cycle: count over a stretch of 3 s
c0=$("$MC" -c "$cfg" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycle"]["cycles"])')
w0=$(notes ' WATCHDOG=1$')
sleep 3
w1=$(notes ' WATCHDOG=1$')
c1=$("$MC" -c "$cfg" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycle"]["cycles"])')
[ $((w1 - w0)) -ge 3 ] || fail "only $((w1 - w0)) WATCHDOG=1 in 3 s with a 750 ms watchdog"
[ $((w1 - w0)) -le $((c1 - c0 + 1)) ] ||
    fail "$((w1 - w0)) WATCHDOG=1 for $((c1 - c0)) cycles: pings not from the cycle"
say "WATCHDOG=1: $((w1 - w0)) in 3 s over $((c1 - c0)) cycles"

# the PLC killed: STATUS= says so, the pings go on (the cycle runs)
kill -9 "$simpid"
wait "$simpid" 2>/dev/null
simpid=""
wait_for 50 grep -q "STATUS=.*PLC 127.0.0.1:$port DOWN" "$tmp/notes" || fail "no STATUS= for the link down"
w0=$(notes ' WATCHDOG=1$')
sleep 1.5
[ "$(notes ' WATCHDOG=1$')" -gt "$w0" ] || fail "the pings stopped with the PLC down (the cycle runs)"
say "STATUS= follows the link (up, DOWN); pings go on while the cycle runs"

# SIGSTOP: nothing more; SIGCONT: the pings come back
kill -STOP "$srvpid"
sleep 0.5 # a ping already on its way
w0=$(notes ' WATCHDOG=1$')
sleep 2
w1=$(notes ' WATCHDOG=1$')
kill -CONT "$srvpid"
[ "$w1" -eq "$w0" ] || fail "$((w1 - w0)) WATCHDOG=1 while the server was stopped"
wait_for 30 sh -c "[ \$(grep -c ' WATCHDOG=1\$' '$tmp/notes') -gt $w1 ]" ||
    fail "no WATCHDOG=1 after SIGCONT"
say "SIGSTOP: no WATCHDOG=1 for 2 s; SIGCONT: they resume"

kill -TERM "$srvpid"
wait "$srvpid"
rc=$?
srvpid=""
[ "$rc" -eq 0 ] || fail "the server exited $rc on SIGTERM"
wait_for 20 grep -q ' STOPPING=1|STATUS=stopping (signal' "$tmp/notes" || fail "no STOPPING=1"
say "SIGTERM: STOPPING=1, exit 0"
echo ok
