#!/bin/sh
# The console on the real chain, as an operator uses it: meltsim (the
# simulated furnace) <- Modbus -> meltcon server (started by the console
# itself, detached) <- socket -> the console in tmux, at 200x50 (UTF-8) and
# 80x24 (ASCII).  The overview shows the furnace's temperatures and phase; a
# second console attaches to the same server and its trends start with the
# historian's samples from before it attached; a loop put in MAN through the
# dialogs drives the simulator's damper; bad entries are refused with their
# sentence; a blocked command shows its conditions; an alarm caused by an
# instructor's fault is acknowledged and shelved; a broken bath thermocouple
# shows the bath loop's hold (status --json), its second half counting down to
# MAN on the overview, then the drop, with no countdown left (overview, Loops
# screen); resize works; NO_COLOR
# sends no colour; the simulator stopped shows the values as not live and
# the link alarm.  Everything is stopped by its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
cfg=$TUI_TMP/m.ini
simpid=""
cur=""
server_pid() { cat "$TUI_TMP/state/server.lock" 2>/dev/null; }
cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    for s in "$TUI_TMP"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    p=$(server_pid)
    [ -n "$p" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null && kill "$p"
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TUI_TMP"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    tail -5 "$TUI_TMP/state/server.log" 2>/dev/null
    exit 1
}
w() { tui_wait "$cur" "$@" || fail "screen of $cur"; }
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

port=$("$B/mbtool" freeport) || fail "no free port"
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $TUI_TMP/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $TUI_TMP/state|" \
    -e "s|^inject_socket =.*|inject_socket = $TUI_TMP/i.sock|" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" config/meltcon.ini >"$cfg"
# (the test's own user is an engineer through its group, as root is anyway)
start_sim() {
    "$MS" -c "$cfg" --port "$port" >>"$TUI_TMP/sim.log" 2>&1 &
    simpid=$!
    i=0
    until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "meltsim did not answer"; sleep 0.05
    done
}
console() { # NAME COLS ROWS ENV...
    n=$1 c=$2 r=$3; shift 3
    cur=$n
    tui_start "$n" "$c" "$r" "$* exec $MC -c $cfg" || fail "tmux would not start"
}
quit() {
    tui_keys "$cur" q
    w 'Quit the console\?'
    tui_keys "$cur" y
    tui_wait_dead "$cur" || fail "q y did not quit"
    [ "$(tui_status "$cur")" = 0 ] || fail "exit status $(tui_status "$cur")"
    tui_stop "$cur"
    cur=""
}
start_sim

# 200x50, UTF-8: the console starts the server, then shows the live furnace
console wide 200 50 LC_ALL=C.UTF-8
w 'SIMULATED PLC - TRAINING'
w 'HOLD'
w 'Bath HC +7[0-9]{2}'
w 'HC gas +[89][0-9]{2}|HC gas +1[01][0-9]{2}'
w 'program a226'
[ -n "$(server_pid)" ] || fail "the console did not start a server"
# the trends screen, for the historian to gather some samples
tui_keys "$cur" F6
w 'history from|samples since this console attached'
sleep 10
quit
p1=$(server_pid)
kill -0 "$p1" 2>/dev/null || fail "the server ended with its console"

# 80x24, ASCII: a second console attaches to the same server
att=$(date -u +%s)
console op 80 24 LC_ALL=C TZ=UTC
w 'HOLD'
[ "$(server_pid)" = "$p1" ] || fail "a second server was started"

# its trends start with the historian's samples from before it attached
tui_keys "$cur" F6
w 'history from [0-9]{2}:[0-9]{2}:[0-9]{2} \(historian\)' 15
from=$(tui_capture "$cur" | sed -n 's/.*history from \([0-9:]*\) (historian).*/\1/p' | head -n 1)
fs=$(echo "$from" | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }')
as=$((att % 86400))
[ "$as" -lt 120 ] || [ "$fs" -le $((as - 8)) ] ||
    fail "the trend starts at $from, not 8 s before the console attached ($(date -u -d "@$att" +%T))"

# the pressure loop to MAN, then its output by hand: the damper follows
tui_keys "$cur" F3
w 'Furnace pressure'
tui_keys "$cur" Down Down Down m
w 'Mode of pressure'
tui_keys "$cur" Enter
tui_type "$cur" "tmux test: damper by hand"
tui_keys "$cur" Enter
w 'pressure.mode AUTO (->|→) MAN'
tui_keys "$cur" y
w 'Done: pressure.mode AUTO (->|→) MAN'
w '> pressure +MAN'
tui_keys "$cur" u
w 'Manual output of pressure'
tui_type "$cur" abc
w '"abc" is not a number'
# the server's own reader (config/input.h): no hexadecimal
tui_keys "$cur" BSpace BSpace BSpace
tui_type "$cur" 0x2E9
w '"0x2E9" is not a number: digits'
tui_keys "$cur" BSpace BSpace BSpace BSpace BSpace
tui_keys "$cur" BSpace BSpace BSpace
tui_type "$cur" 150
w 'is outside the limits 5 to 100'
tui_keys "$cur" BSpace BSpace BSpace
tui_type "$cur" 40
tui_keys "$cur" Enter
tui_type "$cur" "tmux test"
tui_keys "$cur" Enter
w 'pressure.out .* (->|→) 40'
tui_keys "$cur" y
w 'Done: pressure.out'
i=0
until [ "$("$B/mbtool" read "$port" hr 3 1)" = 400 ]; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "damper_demand in meltsim is $("$B/mbtool" read "$port" hr 3 1), want 400"
    sleep 0.1
done

# a blocked command shows its conditions and is not sent
tui_keys "$cur" F4
w 'BLOCKED +Charge scrap'
w 'phase HOLD, not CHARGE'

# the instructor breaks the roof thermocouple: acknowledge, then shelve
"$MS" -c "$cfg" --port "$port" inject tc_broken roof_temp >/dev/null || fail "inject"
tui_keys "$cur" F5
w 'UNACK +roof_temp_bad' 15
tui_keys "$cur" Home
i=0
until tui_capture "$cur" | grep -Eq '^ *>.*roof_temp_bad'; do
    i=$((i + 1)); [ $i -gt 10 ] && fail "cannot select roof_temp_bad"
    tui_keys "$cur" Down; sleep 0.2
done
tui_keys "$cur" k
w 'ACKED +roof_temp_bad'
tui_keys "$cur" s
w 'Shelve roof_temp_bad'
# whole minutes only: what is confirmed is what is applied
tui_keys "$cur" BSpace BSpace
tui_type "$cur" 0.5
w '"0.5": a whole number here'
tui_keys "$cur" BSpace BSpace BSpace
tui_type "$cur" 30
tui_keys "$cur" Enter
# a blank reason is refused with a sentence, not sent
tui_type "$cur" "   "
tui_keys "$cur" Enter
w 'The reason is blank: write why, not only spaces'
tui_keys "$cur" C-u
tui_type "$cur" "TC being replaced"
tui_keys "$cur" Enter
w 'Shelve roof_temp_bad for [0-9]+ min\?'
tui_keys "$cur" y
w 'SHELVED +roof_temp_bad'
w "Shelved by $(id -un): TC being replaced"
"$MS" -c "$cfg" --port "$port" inject clear >/dev/null

# the instructor breaks the bath thermocouple: the bath loop keeps AUTO for its
# pv_bad_hold_s (10 s); the screens count the hold's second half down (the first is a
# reading late), status --json all of it; then it drops to MAN and no countdown is left
tui_keys "$cur" F2
w '  bath AUTO sp 740 '
"$MS" -c "$cfg" --port "$port" inject tc_broken bath_hc_temp >/dev/null || fail "inject bath"
w 'bath AUTO sp 740 BAD PV' 10
scr=$(tui_capture "$cur")
js=$("$MC" -c "$cfg" status --json) || fail "status --json"
bath=$(echo "$js" | grep '"name":"bath"')
echo "$bath" | grep -Eq '"mode":"AUTO",.*"pv_quality":"BAD","out":[0-9.]+,"man_in_s":([1-9]|10)(\.[0-9]+)?,"flags":\["bad_pv"' ||
    echo "$bath" | grep -q '"mode":"MAN",.*"man_in_s":null,' || fail "status --json: the bath's hold: $bath"
echo "$js" | grep -q '"name":"pressure",.*"man_in_s":null,' || fail "status --json: a loop with no hold"
# a countdown on the screen before the status call means the hold was in its second half
# by then (the count only falls)
if echo "$scr" | grep -q 'bath AUTO sp 740 BAD PV, MAN in'; then
    mi=$(echo "$bath" | sed -n 's/.*"man_in_s":\([0-9.]*\),.*/\1/p')
    [ -z "$mi" ] || awk -v m="$mi" 'BEGIN { exit !(m <= 5) }' ||
        fail "a countdown in the hold's first half: $(echo "$scr" | grep 'bath AUTO'); man_in_s $mi"
fi
w 'bath AUTO sp 740 BAD PV, MAN in [1-5] s' 12
n1=$(tui_capture "$cur" | sed -n 's/.*bath AUTO sp 740 BAD PV, MAN in \([0-9]*\) s.*/\1/p' | head -n 1)
sleep 2
n2=$(tui_capture "$cur" | sed -n 's/.*bath AUTO sp 740 BAD PV, MAN in \([0-9]*\) s.*/\1/p' | head -n 1)
[ -z "$n2" ] || [ "$n2" -lt "$n1" ] || fail "the hold does not count down: $n1 s, 2 s later $n2 s"
w 'bath MAN sp 740 BAD PV' 20
tui_capture "$cur" | grep -q 'MAN in' && fail "a countdown is left after the drop: $(tui_capture "$cur" | grep 'MAN in')"
tui_keys "$cur" F3
w '(>| ) bath +MAN '
w 'BAD PV SHED to MAN'
tui_capture "$cur" | grep -q 'MAN in' && fail "Loops: a countdown is left after the drop"
"$MS" -c "$cfg" --port "$port" inject clear >/dev/null

# resize below 80x24 and back
tui_resize "$cur" 70 20
w 'Terminal too small'
tui_resize "$cur" 80 24
tui_wait_not "$cur" 'too small' || fail "still too small after the resize back"

# the simulator stops: nothing looks live, the link alarm comes up
tui_keys "$cur" F2
w 'Bath HC +7[0-9]{2}'
kill "$simpid"; wait "$simpid" 2>/dev/null; simpid=""
w 'Bath HC +(COMMS|STALE|BAD)' 15
w 'plc_link'
quit

# NO_COLOR: no colour escape at all, even with an alarm up
console nc 80 24 NO_COLOR=1 LC_ALL=C
w 'plc_link'
tui_capture nc -e | grep -Eq '\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38|48)(;[0-9;]*)?m' &&
    fail "NO_COLOR: colour escapes were sent"
quit
echo ok
