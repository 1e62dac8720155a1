#!/bin/sh
# Two masters on one PLC (issue 10), with the real meltsim and real servers:
#  1. server A controls; a second server B (its own state dir and socket,
#     the same PLC) hears A's heartbeat while listening and stands down:
#     its foreign_master alarm within 2 s, the journal line, it never
#     writes, and the holding registers show one writer only (A's);
#  2. a raw Modbus TCP client writes hr:0 every 100 ms while A runs: A's
#     alarm within 2 s, A stops writing (its heartbeat hr:20 freezes), an
#     operator's acknowledgement is refused (root only: run as nobody), an
#     engineer's while the writer still writes keeps the writes suspended;
#     once the writer has stopped and the alarm returned, the engineer's
#     acknowledgement restarts control from the PLC's read-back (the firing
#     demand the writer left), and A writes again.
# meltsim runs on a free port; everything is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
chmod 755 "$tmp" # nobody (the operator) must reach the socket and the config
simpid=""
apid=""
bpid=""
wpid=""
say() { echo "t_two_masters: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log a.log b.log a/server.log b/server.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
cleanup() {
    for p in $wpid $bpid $apid $simpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    fail "no free port"
for n in a b; do
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/$n.sock|" \
        -e "s|^state_dir =.*|state_dir = $tmp/$n|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" -e "s/^operator_group = .*/operator_group = nogroup/" \
        config/meltcon.ini >"$tmp/$n.ini"
    chmod 644 "$tmp/$n.ini"
done
A() { "$MC" -c "$tmp/a.ini" "$@"; }
Bc() { "$MC" -c "$tmp/b.ini" "$@"; }

# Raw Modbus TCP (no libraries): hr ADDR N -> N holding registers.
cat >"$tmp/mb.py" <<'EOF'
import socket, struct, sys
port, addr, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(struct.pack(">HHHBBHH", 1, 0, 6, 1, 3, addr, n))
d = b""
while len(d) < 9 or len(d) < 9 + d[8]:
    c = s.recv(260)
    if not c:
        sys.exit("closed")
    d += c
    if len(d) >= 8 and d[7] & 0x80:
        sys.exit("exception %d" % d[8])
print(" ".join(str(v) for v in struct.unpack(">%dH" % n, d[9:9 + 2 * n])))
EOF
hr() { python3 "$tmp/mb.py" "$port" "$1" "${2:-1}"; }
# Another master: write hr:ADDR every 100 ms, alternating two values, until killed.
cat >"$tmp/writer.py" <<'EOF'
import socket, struct, sys, time
port, addr = int(sys.argv[1]), int(sys.argv[2])
vals = [int(v) for v in sys.argv[3].split(",")]
s = socket.create_connection(("127.0.0.1", port), timeout=2)
i = 0
while True:
    s.sendall(struct.pack(">HHHBBHH", i & 0xffff, 0, 6, 1, 6, addr, vals[i % len(vals)]))
    if len(s.recv(260)) < 12:
        sys.exit("no answer")
    i += 1
    time.sleep(0.1)
EOF
# fm SERVER: the foreign_master alarm's state in that server's status, or NORMAL
fm() {
    "$MC" -c "$tmp/$1.ini" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(([a["state"] for a in d["alarms"] if a["name"] == "foreign_master"] or ["NORMAL"])[0])'
}
wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}
wall() { python3 -c 'import time; print("%.3f" % time.time())'; }
# seen_at SERVER: poll `status --json` every 0.1 s (for up to 10 s); print the wall
# time (s) at which the foreign_master alarm first showed UNACK
cat >"$tmp/poll.py" <<'EOF'
import json, subprocess, sys, time
mc, cfg = sys.argv[1], sys.argv[2]
give_up = time.monotonic() + 10
while time.monotonic() < give_up:
    p = subprocess.run([mc, "-c", cfg, "status", "--json"], capture_output=True, text=True)
    if p.returncode == 0 and any(a["name"] == "foreign_master" and a["state"] == "UNACK"
                                 for a in json.loads(p.stdout)["alarms"]):
        print("%.3f" % time.time())
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
seen_at() { python3 "$tmp/poll.py" "$MC" "$tmp/$1.ini"; }
# journal_wall SERVER TEXT: the wall time (s) of the first journal line with TEXT
journal_wall() {
    "$MC" -c "$tmp/$1.ini" journal --since @0 2>/dev/null | grep -F -m1 -- "$2" | python3 -c '
import datetime, sys
ts = sys.stdin.read().split(" ")[0]
print("%.3f" % datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
      .replace(tzinfo=datetime.timezone.utc).timestamp())'
}
# within2 FROM TO: TO - FROM in s, and whether it is at most 2 s
within2() { python3 -c "import sys; d = $2 - $1; print('%.2f' % d); sys.exit(not 0 <= d <= 2.0)"; }
journal_has() { "$MC" -c "$tmp/$1.ini" journal --since @0 2>/dev/null | grep -F -- "$2"; }
# hb_moves: A's heartbeat hr:20 changes within 1 s
hb_moves() {
    h0=$(hr 20) || return 1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.1
        [ "$(hr 20)" != "$h0" ] && return 0
    done
    return 1
}

"$MS" -c "$tmp/a.ini" --port "$port" >>"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 hr 0 || fail "meltsim did not answer on port $port"
"$MC" -c "$tmp/a.ini" server -f >>"$tmp/a.log" 2>&1 &
apid=$!
wait_for 50 journal_has a "control started from the PLC's read-back" ||
    fail "server A did not start control: $(A journal 2>&1 | tail -3)"
hb_moves || fail "server A does not write its heartbeat"
say "server A controls (heartbeat hr:20 $(hr 20))"

# ---- 1. a second server stands down ------------------------------------------------------
"$MC" -c "$tmp/b.ini" server -f >>"$tmp/b.log" 2>&1 &
bpid=$!
# from B's first read of the PLC (it cannot hear A before) to the alarm in its status
seen=$(seen_at b) || fail "server B: no foreign_master alarm ($(fm b))"
up=$(journal_wall b "PLC link up") || fail "B's journal has no link up"
lat=$(within2 "$up" "$seen") || fail "server B: the alarm showed $lat s after its link came up"
journal_has b "another master is writing the PLC (" | grep -q "console_heartbeat hr:20 changed" ||
    fail "B's journal: $(Bc journal | tail -3)"
journal_has b "alarm foreign_master NORMAL -> UNACK" >/dev/null || fail "B's journal has no alarm line"
[ "$(fm a)" = NORMAL ] || fail "server A was disturbed: foreign_master $(fm a)"
# one writer: A's heartbeat only counts up (a second writer's count, from 1, would
# send it back); B started nothing
prev=$(hr 20)
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
    sleep 0.1
    cur=$(hr 20)
    d=$(((cur - prev + 65536) % 65536))
    [ "$d" -le 100 ] || fail "hr:20 went back $prev -> $cur: two writers"
    prev=$cur
done
journal_has b "control started" >/dev/null && fail "server B wrote the PLC: $(journal_has b 'control started')"
Bc cmd pump_stop >"$tmp/out" 2>&1 && fail "B sent a command while standing down"
grep -q "not sent: another master is writing the PLC" "$tmp/out" || fail "B's command refusal: $(cat "$tmp/out")"
say "server B stood down (alarm in its status $lat s after its link came up) without writing; hr:0..3 = $(hr 0 4), A undisturbed"
kill "$bpid"; wait "$bpid" 2>/dev/null; bpid=""

# ---- 2. a foreign writer on hr:0 while A runs ----------------------------------------------
t0=$(wall)
python3 "$tmp/writer.py" "$port" 0 200,250 >>"$tmp/w.log" 2>&1 &
wpid=$!
seen=$(seen_at a) || fail "server A: no foreign_master alarm ($(fm a))"
lat=$(within2 "$t0" "$seen") || fail "server A: the alarm showed $lat s after the writer started"
journal_has a "another master is writing the PLC (" | grep -q "firing_demand hr:0 wrote .* read 2[05]" ||
    fail "A's journal: $(A journal | tail -3)"
journal_has a "alarm foreign_master NORMAL -> UNACK" | grep -q "firing_demand hr:0" ||
    fail "A's alarm line does not name hr:0"
sleep 0.3
h1=$(hr 20); sleep 1; h2=$(hr 20)
[ "$h1" = "$h2" ] || fail "A still writes its heartbeat ($h1 -> $h2)"
A cmd pump_stop >"$tmp/out" 2>&1 && fail "A sent a command while another master writes"
say "A: alarm $lat s after the writer started; A writes nothing (hr:20 stays $h2)"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    cp "$MC" "$tmp/meltcon-op" && chmod 755 "$tmp/meltcon-op"
    chgrp nogroup "$tmp/a.sock"
    OP() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/meltcon-op" -c "$tmp/a.ini" "$@"; }
    OP status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["role"])' | grep -qx operator ||
        fail "nobody is not an operator"
    OP ack foreign_master >"$tmp/out" 2>&1 && fail "an operator's acknowledgement accepted"
    grep -q "needs the engineer role" "$tmp/out" || fail "operator ack: $(cat "$tmp/out")"
    [ "$(fm a)" = UNACK ] || fail "the operator's refused ack changed the alarm: $(fm a)"
    say "an operator's acknowledgement refused: $(cat "$tmp/out")"
else
    say "SKIP operator refusal: needs root to run a client as nobody"
fi
A ack foreign_master >"$tmp/out" 2>&1 || fail "engineer ack while writing: $(cat "$tmp/out")"
grep -q "still writing" "$tmp/out" || fail "engineer ack while writing: $(cat "$tmp/out")"
[ "$(fm a)" = ACKED ] || fail "not ACKED: $(fm a)"
hb_moves && fail "A writes again while the other master still writes"

kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=""
i=0
until [ "$(fm a)" = RTN_UNACK ]; do
    i=$((i + 1)); [ "$i" -ge 60 ] && fail "the alarm did not return after the writer stopped: $(fm a)"
    sleep 0.1
done
left=$(hr 0)
hb_moves && fail "A writes before the engineer's acknowledgement"
A ack foreign_master >"$tmp/out" 2>&1 || fail "engineer ack: $(cat "$tmp/out")"
grep -q "control restarts from the PLC's read-back" "$tmp/out" || fail "engineer ack: $(cat "$tmp/out")"
want=$(python3 -c "print('firing %.1f %%' % ($left / 10))")
wait_for 30 journal_has a "control started from the PLC's read-back: $want" ||
    fail "no bumpless restart from $want: $(A journal | tail -3)"
hb_moves || fail "A does not write again after the engineer's acknowledgement"
[ "$(fm a)" = NORMAL ] || fail "foreign_master $(fm a) after the restart"
say "engineer's acknowledgement: control restarted from the read-back ($want)"
kill "$apid"; wait "$apid" 2>/dev/null; apid=""
echo "t_two_masters: OK"
