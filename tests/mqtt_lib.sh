# mqtt_lib.sh — sourced by t_mqtt.sh, t_plant.sh and bench_mqtt.sh: a real
# mosquitto on a free port, N furnaces (meltsim + meltcon server each, their
# [mqtt] pointing at it), the Sparkplug host application
# (tests/sparkplug_sub.py) and the Python it needs, each started by us and
# stopped by its own pid.  Needs: tmp, say, fail defined by the caller.
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
SRC=${MELTCON_SRC:-.}
case $MC in /*) ;; *) MC=$PWD/$MC ;; esac
case $MS in /*) ;; *) MS=$PWD/$MS ;; esac
# Debian's python3 has paho-mqtt and protobuf (tests/deps.sh); a python3
# earlier on PATH (pyenv) may not
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
pids=""
. "$SRC/tests/lib.sh" # free_port, wait_for
mqtt_prereq() {
    command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] ||
        fail "mosquitto is not installed (make deps installs it)"
    $PY -c 'import paho.mqtt.client, google.protobuf' 2>/dev/null ||
        fail "$PY lacks paho-mqtt or protobuf (make deps: python3-paho-mqtt python3-protobuf)"
    command -v protoc >/dev/null 2>&1 || fail "protoc is missing (make deps: protobuf-compiler)"
    mkdir -p "$tmp/gen"
    protoc --proto_path="$SRC/control/wire" --python_out="$tmp/gen" sparkplug_b.proto ||
        fail "protoc could not compile control/wire/sparkplug_b.proto"
}
MOSQ=$(command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto)
broker_start() { # the broker on $bport (chosen the first time)
    [ -n "${bport:-}" ] || bport=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n' \
        "$bport" >"$tmp/mosq.conf"
    "$MOSQ" -c "$tmp/mosq.conf" >>"$tmp/mosq.log" 2>&1 &
    brokerpid=$!
    pids="$pids $brokerpid"
    wait_for 50 $PY -c "import socket; socket.create_connection(('127.0.0.1', $bport), 1)" ||
        fail "mosquitto did not listen on $bport: $(tail -3 "$tmp/mosq.log")"
}
# furnace_cfg NAME KEEPALIVE [STORE_FORWARD]: $tmp/NAME/m.ini, a copy of the
# shipped config for furnace NAME with its own ports, socket and state,
# publishing to $bport
furnace_cfg() {
    d=$tmp/$1
    mkdir -p "$d"
    chmod 755 "$d"
    p=$(free_port)
    echo "$p" >"$d/port"
    $PY - "$SRC/config/meltcon.ini" "$d/m.ini" "$1" "$p" "$d" "$bport" "$2" "${3:-}" <<'PY'
import re, sys
src, dst, name, port, d, bport, ka, sf = sys.argv[1:]
s = open(src).read()
def sect(s, name, key, value):
    a = s.index("[%s]\n" % name)
    b = s.find("\n[", a + 1)
    b = len(s) if b < 0 else b
    body, n = re.subn(r"(?m)^%s =.*$" % key, "%s = %s" % (key, value), s[a:b], count=1)
    assert n == 1, (name, key)
    return s[:a] + body + s[b:]
s = sect(s, "furnace", "name", name)
s = sect(s, "sim", "port", port)
s = sect(s, "plc", "port", port)
s = sect(s, "sim", "inject_socket", d + "/i.sock")
s = sect(s, "server", "socket", d + "/m.sock")
s = sect(s, "server", "state_dir", d + "/state")
s = sect(s, "mqtt", "enabled", "yes")
s = sect(s, "mqtt", "port", bport)
s = sect(s, "mqtt", "keepalive_s", ka)
if sf:
    s = sect(s, "mqtt", "store_forward", sf)
open(dst, "w").write(s)
PY
    chmod 644 "$d/m.ini"
}
# furnace_start NAME [KEEPALIVE [STORE_FORWARD]]: meltsim and the server of furnace NAME
furnace_start() {
    furnace_cfg "$1" "${2:-5}" "${3:-}"
    d=$tmp/$1
    "$MS" -c "$d/m.ini" --port "$(cat "$d/port")" >>"$d/sim.log" 2>&1 &
    echo $! >"$d/sim.pid"
    pids="$pids $!"
    wait_for 50 $PY -c "import socket; socket.create_connection(('127.0.0.1', $(cat "$d/port")), 1)" ||
        fail "meltsim of $1 did not listen"
    "$MC" -c "$d/m.ini" server -f >>"$d/srv.log" 2>&1 &
    echo $! >"$d/srv.pid"
    pids="$pids $!"
    wait_for 100 "$MC" -c "$d/m.ini" status || fail "the server of $1 did not answer: $(tail -3 "$d/srv.log")"
}
sub_start() { # the host application, logging to $tmp/ev.log, state in $tmp/st.json
    $PY "$SRC/tests/sparkplug_sub.py" --gen "$tmp/gen" --port "$bport" --log "$tmp/ev.log" \
        --state "$tmp/st.json" >>"$tmp/sub.log" 2>&1 &
    subpid=$!
    pids="$pids $subpid"
    wait_for 50 grep -q subscribed "$tmp/ev.log" || fail "the subscriber did not subscribe: $(cat "$tmp/sub.log")"
}
# st EXPR: a Python expression over the subscriber's state (n = nodes) -> exit status
st() { $PY -c "import json, sys; n = json.load(open('$tmp/st.json')); sys.exit(not ($1))" 2>/dev/null; }
stop_all() {
    for p in $pids; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
}
