#!/bin/sh
# Nothing cut without a way to read it whole, what issue 13 added, and the
# smallest terminals (issue 14's leftovers), driven through tmux as a person
# would, against build/fakeserver (its --alarms, --held, --comb, --trip):
#   the overview's alarm rows: Enter shows the most important one whole, Tab
#   selects an alarm row (marked >) and Enter shows that one, never a trend;
#   the Alarms screen's bottom rows, cut at 80 columns, end in "[Enter]" and
#   Enter shows the alarm whole;
#   a refusal or warning too long for its line wraps until the next key and
#   says "[M: again]"; M shows the last one whole in a detail view, also
#   after other keys; M before any says so;
#   the override alarm kind: the value now is its loop's setpoint cut
#   ("SP -20 K"), the detail names the O2/CO override and the alarm's limit;
#   the Loops screen marks a loop whose output the gap holds ("HELD by gap")
#   and one whose setpoint the O2/CO override cuts ("O2/CO CUT"), the
#   overview's loop row too; status --json has no part here (cli);
#   a pump or fan trip: the drawing shows "TRIPPED" instead of RUN/STOP and
#   the PLC's interlock line names the drive ("DRIVE-TRIP pump");
#   80x24, 80x23, 80x22 and 80x20 all work (the message row goes first, then
#   the function-key bar), 80x19 and 79x24 say too small with the minimum.
#
# The console is "$MELTCON -c CONFIG"; the fake server is $BUILD_DIR/fakeserver.
set -u
. "$(dirname "$0")/fake_lib.sh"

w() { tui_wait "$cur" "$@" || fail "screen of $cur: no $1"; }
wn() { tui_wait_not "$cur" "$@" || fail "screen of $cur: still $1"; }
shows() { tui_capture "$cur" | grep -Eq -- "$1"; }
nrows() { tui_capture "$cur" | wc -l; }

start_fake --alarms comb_override:UNACK:30,pump_trip:UNACK:20,roof_h:ACKED:300 \
    --held bath --comb sc --trip pump
console ov 80 24 LC_ALL=C TZ=UTC
w 'PYROLYSIS'

# ---- the override kind, the trip, the loop marks on the overview ------------
w 'UNACK +comb_override +[0-2][0-9]:[0-5][0-9]:[0-5][0-9] +[0-9]+s SP -20 K +Combustion'
w 'pump ! TRIPPED'
shows 'pump RUN' && fail "a tripped pump reads RUN"
w 'PLC interlocks ! DRIVE-TRIP pump'
# a two-state alarm tag reads ON, not 1
w 'UNACK +pump_trip +[0-2][0-9]:[0-5][0-9]:[0-5][0-9] +[0-9]+s ON +Metal pump trip'
# the loops that do not fit 80 columns are counted, never cut off in silence
w 'Loops +bath AUTO sp 740 HELD +hc CAS sp 1000 +sc AUTO sp 450 O2/CO +\+2 \(F3\)'
w 'Alarms: 3 active \(2 unack\) Enter: whole'

# ---- the overview's alarm rows: Enter shows one whole, never a trend --------
tui_keys "$cur" Enter
w 'any key closes'
w 'the condition holds, unacknowledged'
shows 'over 10 min' && fail "Enter on the overview opened a trend"
tui_keys "$cur" x
wn 'any key closes'
# Shift-Tab from nothing selects the last alarm row shown
tui_keys "$cur" BTab
w 'Selected alarm roof_h: Enter shows it whole'
w '^>! +MED +ACKED +roof_h'
tui_keys "$cur" Enter
w 'Action: Reduce firing; check the roof override'
w 'the condition holds, acknowledged'
tui_keys "$cur" x
wn 'any key closes'
# up to the comb_override row: its detail says what cuts and the limit
tui_keys "$cur" BTab
w 'Selected alarm comb_override'
tui_keys "$cur" Enter
w 'loop sc: SP -20 K now, cut by the O2/CO override; the alarm from a cut'
w '\| of 60; raised at'
tui_keys "$cur" x
wn 'any key closes'
[ "$(grep -c 'verb=' "$log")" -eq 0 ] || fail "reading alarms sent a request: $(cat "$log")"

# ---- the Loops screen marks the held output and the O2/CO cut ----------------
tui_keys "$cur" l
w 'PV [0-9]+ degC +SP 740 +WSP 740 .*HELD by gap'
w 'SP 450 +WSP 430 .*OVERRIDE O2/CO CUT'

# ---- the Alarms screen's bottom rows: cut ones end in [Enter] ---------------
tui_keys "$cur" a
w '^>!  MED  UNACK +pump_trip|^>! +MED +UNACK +comb_override'
# select comb_override (its message is longer than a row)
i=0
while ! shows '^>.*comb_override'; do
    i=$((i + 1)); [ $i -gt 4 ] && fail "could not select comb_override"
    tui_keys "$cur" Down; sleep 0.3
done
w '^ comb_override: Combustion override acting: .* \[Enter\]$'
w '^ Action: Keep every door shut; .* \[Enter\]$'
tui_keys "$cur" Enter
w 'Keep every door shut; watch the SC gas fall; for oily scrap'
w 'lower the SC setpoint'
tui_keys "$cur" x
wn 'any key closes'
done_console

# ---- a refusal wraps, then M shows it whole ---------------------------------
console msg 80 24 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
tui_keys "$cur" M
w 'No answer, refusal or warning yet this session'
# a long warning: an engineer's key pressed by an operator
tui_keys "$cur" l
w 'bath +AUTO'
tui_keys "$cur" P
w 'tune the loop: needs the engineer role \(user anna is operator'
w '\[M: again\]'
tui_keys "$cur" Down
wn '\[M: again\]'
tui_keys "$cur" M
w 'The last message'
w 'tune the loop: needs the engineer role \(user anna is operator, not in'
w 'ago\)'
tui_keys "$cur" x
wn 'The last message'
done_console

# ---- small terminals: rows go first, 80x20 is the minimum --------------------
console small 80 22 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
shows 'too small' && fail "80x22 says too small"
shows 'F1Help F2Overview' && fail "80x22: the function-key bar is still shown"
w 'Alarms: 3 active'
[ "$(nrows)" -le 22 ] || fail "more than 22 rows"
tui_keys "$cur" z
w 'z: nothing on this screen'
tui_resize "$cur" 80 20
w 'Alarms: 3 active \(2 unack\) \(the 2 most important; F5 lists all\)'
w 'PLC interlocks ! DRIVE-TRIP pump'
for k in l c a t e d '?'; do
    tui_keys "$cur" "$k"
    sleep 0.4
    shows 'too small' && fail "80x20, screen $k: too small"
done
tui_keys "$cur" a
w 'PRIO STATE +FO NAME'
w '^ Action: '
[ "$(nrows)" -le 20 ] || fail "more than 20 rows"
tui_resize "$cur" 80 19
w 'Terminal too small: 80x19'
w 'meltcon needs at least 80x20'
tui_resize "$cur" 79 24
w 'Terminal too small: 79x24'
tui_resize "$cur" 80 24
wn 'too small'
w 'F1Help F2Overview'
done_console
stop_fake
echo "ok: t_tui_whole"
