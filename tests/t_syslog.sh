#!/bin/sh
# The server's own logs: every journal event also in the system journal,
# with structured fields (sd_journal_send), never holding up the cycle; and
# state_dir/server.log, which cannot grow without bound.
#
# With a running journald (its socket exists) the fields are read back with
# `journalctl -o json`.  Without one (systemd not PID 1, as in CI
# containers) and as root, the server runs in a private mount namespace
# (unshare -m) with a tmpfs on /run/systemd and a small Python listener
# bound at /run/systemd/journal/socket that decodes journald's native
# protocol (KEY=VALUE lines; KEY, newline, 64-bit little-endian length and
# the bytes for a value with newlines).  A second listener that never reads
# plays a stuck journald: sd_journal_send would block on it, the server must
# not.  meltsim runs on a free port; everything is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
simpid=""
srvpid=""
lpid=""
say() { echo "t_syslog: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log state/server.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
daemon_pid() { # the detached server's pid, from its lock file, if it is ours
    p=$(cat "$tmp/state/server.lock" 2>/dev/null) || return 1
    [ -n "$p" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}
cleanup() {
    for p in $srvpid $lpid $simpid $(daemon_pid); do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "${MELTCON_SRC:-.}/tests/lib.sh"
port=$(free_port) || fail "no free port"
cfg=$tmp/m.ini
furnace_ini "$cfg" "$tmp" "$port" "s/^engineer_group = .*/engineer_group = $(id -gn)/"
M() { "$MC" -c "$cfg" "$@"; }
furnace=$(sed -n '/^\[furnace\]/,/^\[/s/^name = *//p' "$cfg")
"$MS" -c "$cfg" --port "$port" >>"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" ||
    fail "meltsim did not answer on port $port"
stop_fg() { # the foreground server, by its pid
    M stop --reason "syslog test" >/dev/null 2>&1 || kill "$srvpid"
    wait "$srvpid" 2>/dev/null
    srvpid=""
}

# ---- the journald listener: native protocol -> one JSON object per message --------------
cat >"$tmp/listen.py" <<'EOF'
import json, os, signal, socket, struct, sys
path, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
if mode == "stuck":  # a journald that takes nothing: its queue fills, senders would block
    open(out, "w").close()
    while True:
        signal.pause()
f = open(out, "a")
while True:
    d = s.recv(1 << 20)
    rec, i = {}, 0
    while i < len(d):
        nl = d.index(b"\n", i)
        line = d[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:  # KEY \n LEN(le64) VALUE \n
            k = line
            n = struct.unpack("<Q", d[nl + 1:nl + 9])[0]
            v = d[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        rec[k.decode()] = v.decode()
    f.write(json.dumps(rec) + "\n")
    f.flush()
EOF
# start_ns MODE: the server inside a mount namespace whose /run/systemd is
# a tmpfs with the listener at journal/socket
start_ns() {
    rm -f "$tmp/lpid"
    unshare -m sh -c '
        mount --make-rprivate / && mount -t tmpfs -o size=1m,mode=755 tmpfs /run/systemd &&
        mkdir -p /run/systemd/journal || exit 1
        python3 "$1/listen.py" /run/systemd/journal/socket "$1/sys.json" "$2" &
        echo $! >"$1/lpid"
        i=0
        while [ ! -S /run/systemd/journal/socket ]; do
            i=$((i + 1)); [ $i -gt 100 ] && exit 1; sleep 0.05
        done
        exec "$3" -c "$4" server -f' sh "$tmp" "$1" "$MC" "$cfg" >>"$tmp/srv.log" 2>&1 &
    srvpid=$!
    wait_for 50 M status || fail "the server in the namespace did not answer: $(cat "$tmp/srv.log")"
    lpid=$(cat "$tmp/lpid")
}
# field_check WHERE PY: a Python condition over the records r (list of dicts)
field_check() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if eval(sys.argv[2]) else "no record with %s among %d:\n%s" % (sys.argv[2], len(r), "\n".join(json.dumps(x) for x in r[-6:])))
EOF
}

me=$(id -un)
# a reason is one line of printable UTF-8 (config/input.h): no newline to
# carry any more, but the UTF-8 must arrive as it was typed
reason_utf8="St$(printf '\303\266')rung am Brenner 2"
set_ok="[x for x in r if x.get('MELTCON_VERB') == 'set' and x.get('MELTCON_TARGET') == 'bath.sp' \
 and x.get('MELTCON_RESULT') == 'ok' and x.get('MELTCON_USER') == '$me' and x.get('MELTCON_FURNACE') == '$furnace' \
 and x.get('SYSLOG_IDENTIFIER') == 'meltcon' and x.get('PRIORITY') == '5' and x.get('MELTCON_NEW') == '745' \
 and x.get('MELTCON_REASON') == 'St\u00f6rung am Brenner 2' and 'bath.sp' in x.get('MESSAGE', '')]"
set_no="[x for x in r if x.get('MELTCON_VERB') == 'set' and x.get('MELTCON_TARGET') == 'bath.sp' \
 and x.get('MELTCON_RESULT') == 'refused' and x.get('PRIORITY') == '4' and x.get('MELTCON_USER') == '$me' \
 and 'outside the limits' in x.get('MELTCON_TEXT', '') and x.get('MELTCON_FURNACE') == '$furnace']"
started="[x for x in r if x.get('MELTCON_VERB') == 'server' and x.get('MELTCON_TARGET') == 'start' \
 and x.get('MELTCON_USER') == 'meltcon' and x.get('PRIORITY') == '6' and x.get('MELTCON_RESULT') == 'ok']"

if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null; then
    # ---- a real journald --------------------------------------------------------------------
    since=$(date '+%Y-%m-%d %H:%M:%S')
    M server -f >>"$tmp/srv.log" 2>&1 &
    srvpid=$!
    wait_for 50 M status || fail "the server did not answer: $(cat "$tmp/srv.log")"
    M set bath.sp 745 --reason "$reason_utf8" >"$tmp/out" 2>&1 || fail "set: $(cat "$tmp/out")"
    M set bath.sp 900 --reason test >"$tmp/out" 2>&1 && fail "900 degC accepted"
    stop_fg
    got() {
        journalctl -o json --since "$since" SYSLOG_IDENTIFIER=meltcon "MELTCON_FURNACE=$furnace" |
            python3 -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(json.dumps({k: (bytes(v).decode() if isinstance(v, list) else v) for k, v in d.items()}))' >"$tmp/sys.json"
        field_check "$tmp/sys.json" "$set_ok" && field_check "$tmp/sys.json" "$set_no"
    }
    wait_for 50 got || { got; fail "journalctl: the fields of a set and a refused set"; }
    say "journald: a set (ok) and a refused set with every field (journalctl -o json)"
elif [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    # ---- no journald: a listener in a private mount namespace --------------------------------
    start_ns read
    M set bath.sp 745 --reason "$reason_utf8" >"$tmp/out" 2>&1 || fail "set: $(cat "$tmp/out")"
    M set bath.sp 900 --reason test >"$tmp/out" 2>&1 && fail "900 degC accepted"
    wait_for 50 field_check "$tmp/sys.json" "$set_ok" || field_check "$tmp/sys.json" "$set_ok" ||
        fail "the accepted set's fields"
    wait_for 50 field_check "$tmp/sys.json" "$set_no" || field_check "$tmp/sys.json" "$set_no" ||
        fail "the refused set's fields"
    field_check "$tmp/sys.json" "$started" || fail "the server's start event"
    stop_fg
    kill "$lpid" || fail "the listener was not there to the end"
    wait "$lpid" 2>/dev/null
    lpid=""
    say "system journal (listener in a namespace): start, a set (ok) and a refused set with every field;"
    say "  a reason with a newline came in the native protocol's binary form"

    # ---- a stuck journald: the server carries on -----------------------------------------------
    start_ns stuck
    c1=$(M status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["cycle"]["cycles"])')
    i=0
    while [ $i -lt 40 ]; do # 40 events, each a datagram journald never takes
        M set bath.sp $((741 + i % 2)) --reason "stuck $i" >"$tmp/out" 2>&1 || fail "set $i with journald stuck: $(cat "$tmp/out")"
        i=$((i + 1))
    done
    c2=$(M status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["cycle"]["cycles"])') ||
        fail "status with journald stuck"
    [ "$c2" -gt "$c1" ] || fail "the cycle stopped with journald stuck: cycles $c1 -> $c2"
    M stop --reason "stuck journald" >"$tmp/out" 2>&1 || fail "stop with journald stuck: $(cat "$tmp/out")"
    wait_for 100 sh -c "! kill -0 $srvpid" || fail "the server did not exit with journald stuck"
    wait "$srvpid" 2>/dev/null
    srvpid=""
    kill "$lpid" || fail "the stuck listener was not there to the end"
    wait "$lpid" 2>/dev/null
    lpid=""
    say "journald stuck: 40 sets answered, the cycle went on ($c1 -> $c2 cycles), the server stopped"
else
    say "NOT CHECKED: the system journal's fields (no journald, and a listener in a private"
    say "  mount namespace needs root and unshare)"
fi

# ---- server.log: a large one is rotated at start ----------------------------------------------------
mkdir -p "$tmp/state"
python3 -c "import sys; sys.stdout.write('old log line\n' * 200000)" >"$tmp/state/server.log" # 2.6 MB
echo "OLD-MARKER" >>"$tmp/state/server.log"
big=$(stat -c %s "$tmp/state/server.log")
M server >"$tmp/out" 2>&1 || fail "detached start: $(cat "$tmp/out")"
[ -f "$tmp/state/server.log.1" ] || fail "a $big-byte server.log was not rotated"
[ "$(stat -c %s "$tmp/state/server.log.1")" = "$big" ] && tail -1 "$tmp/state/server.log.1" | grep -qx OLD-MARKER ||
    fail "server.log.1 is not the old log"
now=$(stat -c %s "$tmp/state/server.log")
[ "$now" -lt 1048576 ] || fail "server.log is $now bytes after the rotation"
M stop --reason "syslog test" >/dev/null 2>&1 || fail "stop the detached server"
i=0
while [ -n "$(daemon_pid)" ]; do i=$((i + 1)); [ $i -gt 50 ] && fail "the server did not exit"; sleep 0.1; done
echo "small" >>"$tmp/state/server.log"
M server >"$tmp/out" 2>&1 || fail "second detached start: $(cat "$tmp/out")"
grep -qx small "$tmp/state/server.log" || fail "a small server.log was rotated"
[ "$(stat -c %s "$tmp/state/server.log.1")" = "$big" ] || fail "server.log.1 changed at a start with a small log"
M stop --reason "syslog test" >/dev/null 2>&1 || fail "stop the detached server"
say "server.log: $big bytes rotated to server.log.1 at start; a small one kept"
