#!/bin/sh
# meltsim as a trainee's console and an instructor meet it: a standard Modbus
# client reads plausible, changing values at the documented addresses;
# commands go through the handshake and the PLC's interlocks; the watchdog
# trips; faults and scenarios land; garbage is dropped.  The simulator runs
# on a free port and is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MB="$B/mbtool"
fail() { echo "FAIL: $*"; cat "$tmp/sim.log" 2>/dev/null | tail -20; exit 1; }
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port=$("$MB" freeport) || fail "no free port"
sed "s|^inject_socket =.*|inject_socket = $tmp/inject.sock|" config/meltcon.ini >"$tmp/m.ini"

"$MELTSIM" -c "$tmp/m.ini" --port "$port" --speed 20 >"$tmp/sim.log" 2>&1 &
pid=$!
i=0
until "$MB" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "meltsim did not answer"; sleep 0.05
done

# plausible values (raw registers: 0.1 degC, kg as uint32 ABCD)
set -- $("$MB" read "$port" ir 0 30)
[ $# -eq 30 ] || fail "ir read: $*"
hc=$1 bath=$3 hb1=${21} mode=${24} mass=$(( ${27} * 65536 + ${28} ))
[ "$hc" -gt 8000 ] && [ "$hc" -lt 12000 ] || fail "HC gas $hc"
[ "$bath" -gt 7000 ] && [ "$bath" -lt 7800 ] || fail "bath $bath"
[ "$mode" -eq 1 ] || fail "plc_mode $mode, want 1 (simulated)"
[ "$mass" -gt 40000 ] && [ "$mass" -lt 50000 ] || fail "metal mass $mass"
sleep 0.3
set -- $("$MB" read "$port" ir 20 6)
[ "$1" != "$hb1" ] || fail "plc_heartbeat not counting ($hb1)"
[ "$6" -gt 0 ] || fail "plc_clock not running"
set -- $("$MB" read "$port" di 0 12)
[ "$1" -eq 1 ] && [ "$3" -eq 1 ] && [ "$4" -eq 1 ] || fail "doors/flame/estop: $*"

# the handshake: an unknown code is answered invalid, once per new seq
ack() { # SEQ -> prints result when cmd_ack_seq == SEQ
    j=0
    while :; do
        set -- $("$MB" read "$port" ir 21 2)
        [ "${1:-x}" = "$SEQ" ] && { echo "$2"; return 0; }
        j=$((j + 1)); [ $j -gt 100 ] && return 1; sleep 0.02
    done
}
SEQ=1; "$MB" write "$port" 10 99 0 1 || fail "write cmd"
r=$(ack) || fail "no ack for seq 1"; [ "$r" -eq 2 ] || fail "unknown code: result $r, want 2"
# open the charging door, then a push with it open is refused by the PLC
SEQ=2; "$MB" write "$port" 10 4 0 2
r=$(ack) || fail "no ack for seq 2"; [ "$r" -eq 0 ] || fail "door open: result $r"
SEQ=3; "$MB" write "$port" 10 13 0 3
r=$(ack) || fail "no ack for seq 3"; [ "$r" -eq 1 ] || fail "push with door open: result $r, want 1"
set -- $("$MB" read "$port" ir 19 1)
[ $(( $1 & 2 )) -ne 0 ] || fail "door-open firing interlock bit not set: $1"

# writing a read-only tag or an unmapped address is an exception
"$MB" read "$port" ir 200 1 2>/dev/null | grep -q "exception 2" || fail "unmapped read not refused"
"$MB" write "$port" 5 1 2>/dev/null | grep -q "exception 2" || fail "unmapped write not refused"

# garbage from one client, the others carry on
"$MB" garbage "$port" || fail "garbage client could not connect"
"$MB" read "$port" ir 0 2 >/dev/null || fail "meltsim stopped answering after garbage"

# the watchdog: armed by the first heartbeat change, trips 5 s (process) later
"$MB" write "$port" 20 1; sleep 0.1; "$MB" write "$port" 20 2
i=0
until [ "$("$MB" read "$port" di 11 1)" = 1 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "watchdog did not trip"; sleep 0.05
done
SEQ=4; "$MB" write "$port" 10 5 0 4
r=$(ack) || fail "no ack for seq 4"; [ "$r" -eq 3 ] || fail "command while tripped: $r, want 3 (busy)"

# the instructor's channel
INJ="$MELTSIM -c $tmp/m.ini --port $port inject"
$INJ tc_broken bath_hc_temp >/dev/null || fail "inject refused"
sleep 0.1
[ "$("$MB" read "$port" ir 2 1)" = 32767 ] || fail "broken TC does not read 32767"
$INJ nosuch 2>&1 | grep -q 'unknown fault "nosuch"' || fail "unknown fault accepted"
$INJ status | grep -q "tc_broken bath_hc_temp" || fail "status"
$INJ clear >/dev/null && sleep 0.1
[ "$("$MB" read "$port" ir 2 1)" != 32767 ] || fail "clear did not repair the TC"
[ "$(stat -c %a "$tmp/inject.sock")" = 600 ] || fail "inject socket is not 0600"

kill "$pid"; wait "$pid"; pid=""
grep -q "meltsim: stopped" "$tmp/sim.log" || fail "no clean stop"

# bad configuration and bad scenarios stop meltsim before it starts
sed 's/^port = 1502$/port = 15x/' config/meltcon.ini >"$tmp/bad.ini"
"$MELTSIM" -c "$tmp/bad.ini" >"$tmp/out" 2>&1 && fail "bad config started"
grep -q 'port = "15x": not a whole decimal number' "$tmp/out" || fail "bad config message"
printf '[scenario]\ntitle = t\n[event.x]\nat_min = 1\ninject = tc_broken roof\n' >"$tmp/s.ini"
"$MELTSIM" -c "$tmp/m.ini" --scenario "$tmp/s.ini" --port "$port" >"$tmp/out" 2>&1 && fail "bad scenario started"
grep -q 'event.x\] inject = "tc_broken roof"' "$tmp/out" || fail "bad scenario message: $(cat "$tmp/out")"
# a text cut at ';' by iniparser is refused, naming the line and the fix
printf '[scenario]\ntitle = t\nnotice = pump off; bath drifts\n[event.x]\nat_min = 1\ninject = pump_trip\n' >"$tmp/s.ini"
"$MELTSIM" -c "$tmp/m.ini" run --hours 0.1 --scenario "$tmp/s.ini" >"$tmp/out" 2>&1 && fail "cut scenario text accepted"
grep -qF 's.ini:3: [scenario] notice = "pump off; bath drifts": iniparser would read only "pump off"' "$tmp/out" ||
    fail "cut scenario message: $(cat "$tmp/out")"
for s in simhw/scenarios/*.ini; do
    "$MELTSIM" -c "$tmp/m.ini" run --hours 0.5 --scenario "$s" 2>"$tmp/out" || fail "$s: $(cat "$tmp/out")"
done
"$MELTSIM" -c "$tmp/m.ini" run --hours 1 --csv "$tmp/run.csv" --every 60 2>/dev/null || fail "run"
[ "$(wc -l <"$tmp/run.csv")" -eq 61 ] || fail "csv rows: $(wc -l <"$tmp/run.csv")"
head -1 "$tmp/run.csv" | grep -q '^t_s,hc_gas_temp,roof_temp,bath_hc_temp' || fail "csv header"
echo ok
