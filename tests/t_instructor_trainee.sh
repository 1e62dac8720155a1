#!/bin/sh
# The instructor station shows the trainee (issue 16): meltsim at 30x runs an E-stop
# exercise of the test's own (after estop_recovery.ini) with the meltcon server
# attached, and `meltsim instructor` runs in tmux at 80x24, the console's smallest
# terminal.  Checked on the screen:
#   - EXERCISE names the scenario (asked from meltsim) with its expectations pending;
#   - a trainee's `meltcon set` appears under ACTIONS within a few seconds, with the
#     user and the result (from a child `meltcon journal --follow`);
#   - the E-stop comes at 5 process minutes; the trainee's `meltcon ack estop` appears
#     under ACTIONS and ack_estop turns MET on the EXERCISE panel (a child
#     `meltcon debrief --progress` every 5 s), the MET count going from 0 to 1; the
#     same `debrief --progress` run here prints its tab-separated run, expect and score
#     lines (ack_estop MET, reset_estop PENDING); with --html it is refused (exit 2);
#   - t with "1 pump_trip" puts a timed malfunction on the TIMED line and on the reply
#     line; x with its number cancels it; t with a bad time is refused on the reply line;
#   - resized to 80x23 every panel and the key bar are still there.
# q quits with status 0 and leaves no child behind.  Everything is stopped by its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=$(readlink -f "${MELTCON:-$B/meltcon}")
MS=$(readlink -f "${MELTSIM:-$B/meltsim}")
SRC=$(readlink -f "${MELTCON_SRC:-.}")
MB="$B/mbtool"
tmp=$TUI_TMP
# the test's own exercise (the shipped ones change with their lessons): the E-stop at 5
# process minutes, released only at 600, so reset and restart stay pending
SCEN=$tmp/station.ini
cat >"$SCEN" <<'INI'
[scenario]
title = E-stop and recovery, station test
situation = "The E-stop will be pressed at 5 minutes."
notice = The E-stop alarm
action = Acknowledge it
[event.pressed]
at_min = 5
inject = estop
[event.released]
at_min = 600
inject = clear estop
[expect.ack_estop]
action = ack estop
after = alarm estop
within_s = 600
text = "Acknowledge the E-stop"
points = 20
[expect.reset_estop]
action = cmd estop_reset
after = event released
within_s = 300
text = "Reset the E-stop after its release"
points = 20
[expect.restart_burner]
action = cmd burner_start
after = event released
within_s = 900
text = "Restart the burners after the reset"
points = 20
INI
simpid=""
srvpid=""
cur=""
say() { echo "t_instructor_trainee: $*"; }
cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    [ -n "$cur" ] && tui_capture "$cur" | sed 's/^/    | /'
    tail -n 5 "$tmp/sim.log" "$tmp/srv.log"
    exit 1
}
w() { tui_wait "$cur" "$@" || fail "screen"; }
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"
json() { python3 -c "import json, sys; d = json.loads(sys.stdin.read()); print($1)"; }

port=$("$MB" freeport) || fail "no free port"
cfg=$tmp/c.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/s.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^mode = auto$/mode = private/" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" "$SRC/config/meltcon.ini" >"$cfg"
chmod 644 "$cfg"
"$MS" -c "$cfg" --speed 30 --seed 1 --scenario "$SCEN" --snapshots "$tmp/snaps" >"$tmp/sim.log" 2>&1 &
simpid=$!
"$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
i=0
until "$MC" -c "$cfg" status --json 2>/dev/null | json 'd["link"]["state"]' 2>/dev/null | grep -qx UP; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the server did not come up"; sleep 0.1
done

cur=ins
tui_start ins 80 24 "exec '$MS' -c '$cfg' instructor --port $port" || fail "tmux"
w 'meltsim instructor - furnace' 10
w 'RUNNING 30x'
w 'EXERCISE +0 MET, 0 LATE, [1-9][0-9]* pending, 0 MISSED, 0 TAKEN; 0/[0-9]+ points; E-stop' 15
w 'PENDING +ack_estop'
w 'ACTIONS'
w 'f freeze .* q quit'
say "at 80x24: $(tui_capture ins | grep -m1 EXERCISE | sed 's/  */ /g')"

# a trainee's action appears as it happens
"$MC" -c "$cfg" set bath.sp 745 --reason "trainee: a little hotter" >/dev/null 2>&1 ||
    fail "set bath.sp refused"
w "[0-9:]{8} $(id -un)@[^ ]+ set bath.sp [0-9.]+ -> 745 ok" 5
say "the trainee's set on the station: $(tui_capture ins | grep -m1 'set bath.sp' | sed 's/^ *//')"

# timed malfunctions from the keys
tui_keys ins t
w 'at MIN\|HH:MM FAULT'
tui_type ins "30 pump_trip"
tui_keys ins Enter
w 'REPLY +at 30 pump_trip: ok: #1 pending'
w 'TIMED +#1 pending [0-9:]+ \(in [0-9.]+ min\) pump_trip'
tui_keys ins t
tui_type ins "soon pump_trip"
tui_keys ins Enter
w 'REPLY +at soon pump_trip: error: at "soon": expected process minutes'
tui_keys ins x
w 'cancel N\|all:'
tui_type ins "1"
tui_keys ins Enter
w 'REPLY +cancel 1: ok: cancelled 1 timed malfunction'
w 'TIMED +none waiting'
say "t and x: a timed pump_trip listed, a bad time refused, the entry cancelled"

# the E-stop (5 process min) and the trainee's acknowledgement: an action, and MET
i=0
until "$MC" -c "$cfg" status --json 2>/dev/null |
    json "[a['state'] for a in d['alarms'] if a['name'] == 'estop'] or ['-']" | grep -q UNACK; do
    i=$((i + 1)); [ $i -gt 240 ] && fail "no estop alarm"; sleep 0.25
done
tui_capture ins | grep -q 'MET +ack_estop' && fail "ack_estop MET before the trainee acknowledged"
"$MC" -c "$cfg" ack estop >/dev/null 2>&1 || fail "ack estop refused"
w "$(id -un)@[^ ]+ ack estop .* ok" 5
w 'EXERCISE +1 MET' 15
w 'MET +ack_estop'
say "ack estop on the station, then: $(tui_capture ins | grep -m1 EXERCISE | sed 's/  */ /g')"

# what the station reads: debrief --progress, tab-separated
"$MC" -c "$cfg" debrief --scenario "$SCEN" --progress >"$tmp/progress" 2>&1 || fail "debrief --progress: $(cat "$tmp/progress")"
tab=$(printf '\t')
grep -q "^run${tab}[0-9.]*${tab}30${tab}E-stop and recovery, station test\$" "$tmp/progress" || fail "progress: run line: $(cat "$tmp/progress")"
grep -q "^expect${tab}ack_estop${tab}MET${tab}20${tab}20${tab}ack estop${tab}" "$tmp/progress" || fail "progress: ack_estop: $(cat "$tmp/progress")"
grep -q "^expect${tab}reset_estop${tab}PENDING${tab}0${tab}20${tab}cmd estop_reset${tab}" "$tmp/progress" || fail "progress: reset_estop: $(cat "$tmp/progress")"
grep -q "^score${tab}20${tab}60${tab}33\$" "$tmp/progress" || fail "progress: score: $(cat "$tmp/progress")"
"$MC" -c "$cfg" debrief --scenario "$SCEN" --progress --html "$tmp/x.html" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--html or --progress, not both' "$tmp/err" || fail "--html with --progress: $(cat "$tmp/err")"
[ -e "$tmp/x.html" ] && fail "--html with --progress wrote a page"
say "debrief --progress: run, expect and score lines; with --html refused"

# the console's other size
tui_resize ins 80 23
sleep 1
w 'EXERCISE +1 MET'
w 'ACTIONS'
w 'ack estop'
w 'TIMED'
w 'STATUS'
w 'f freeze .* q quit'
[ "$(tui_capture ins | wc -l)" -le 23 ] || fail "more than 23 lines at 80x23"
say "at 80x23: every panel and the key bar"

spid=$(tui_pid ins)
kids=$(ps -o pid= --ppid "$spid" | tr -d ' ' | tr '\n' ' ')
[ -n "$kids" ] || fail "no meltcon child under the station"
tui_keys ins q
tui_wait_dead ins 5 || fail "the station did not quit"
[ "$(tui_status ins)" = 0 ] || fail "exit status $(tui_status ins)"
for k in $kids; do
    kill -0 "$k" 2>/dev/null && ps -o comm= -p "$k" | grep -q meltcon && fail "child $k left running"
done
echo "t_instructor_trainee: ok"
