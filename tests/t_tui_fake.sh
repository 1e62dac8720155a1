#!/bin/sh
# The operator console driven through tmux as a person would, against
# build/fakeserver (a scripted server speaking the real protocol from the
# shipped config), at 80x24 (ASCII locale) and 200x50 (UTF-8):
#   the overview shows the temperatures, the phase and the SIMULATED banner;
#   Tab and g open a value's trend, g on an alarm its tag's; the journal's
#   user, tag and since filters show and clear; the next charge while
#   melting is BLOCKED with its conditions;
#   the trends screen starts with the historian's samples (the fake's export)
#   from before the console attached;
#   a setpoint typed in the dialog reaches the server (its log), after a bad
#   entry was refused with its sentence and nothing was sent;
#   a blocked command lists its conditions and is not sent; a server refusal
#   is shown as its sentence; an alarm is acknowledged and shelved;
#   resize below 80x24 shows the notice and back; snapshots stopping shows
#   STALE, the server gone shows "connection lost"; q y quits with status 0,
#   SIGTERM ends it cleanly; NO_COLOR sends no colour, without it the high
#   alarm is in colour; a viewer's write keys say why they are unavailable.
#
# The console is "$MELTCON -c CONFIG" (MELTCON_CONSOLE overrides the whole
# command, e.g. a test driver); the server's socket comes from the config's
# [server] socket.  The fake server is $BUILD_DIR/fakeserver (FAKESERVER
# overrides).
set -u
. "$(dirname "$0")/fake_lib.sh"
CONSOLE=${MELTCON_CONSOLE:-$MELTCON}

w() { tui_wait "$cur" "$@" || fail "screen of $cur"; }

run() { # NAME COLS ROWS LOCALE
    name=$1 cols=$2 rows=$3 loc=$4
    start_fake
    att=$(date -u +%s)
    console "$name" "$cols" "$rows" "LC_ALL=$loc" TZ=UTC
    # overview: temperatures, phase, program, banner, alarm
    w 'PYROLYSIS'
    w 'HC gas +1[0-9]{3} '
    w 'Bath HC +7[0-9]{2} '
    w 'SC gas +4[0-9]{2} '
    w 'SIMULATED PLC - TRAINING'
    w 'program a226'
    w 'roof_h'
    w 'Scrap +BAD [0-9]+[smh]'

    # trends: the history (1.25 x the live values) from before it attached
    tui_keys "$cur" F6
    w 'history from [0-9]{2}:[0-9]{2}:[0-9]{2} \(historian\), then live'
    w 'hc_gas_temp .*\.\.1262'
    logged 'verb=export target=[a-z_,]*hc_gas_temp'
    from=$(tui_capture "$cur" | sed -n 's/.*history from \([0-9:]*\) (historian).*/\1/p' | head -n 1)
    fs=$(echo "$from" | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }')
    as=$((att % 86400))
    [ "$as" -lt 700 ] || [ "$fs" -le $((as - 60)) ] ||
        fail "the trend starts at $from, not before the console attached ($(date -u -d "@$att" +%T))"

    # a trend from any value: Tab selects on the overview, g opens it; g on
    # an alarm opens its tag
    tui_keys "$cur" F2
    w 'Heating chamber HC'
    tui_keys "$cur" Tab Tab Tab
    w 'Selected hc_gas_temp'
    tui_keys "$cur" g
    w '^>hc_gas_temp '
    tui_keys "$cur" F5
    w '> *! +MED +UNACK +roof_h'
    tui_keys "$cur" g
    w '^>roof_temp '

    # a setpoint through the dialog, after two bad entries
    tui_keys "$cur" F3
    w 'Bath temperature \(master\)'
    tui_keys "$cur" s
    w 'Allowed +limits 680 to 800'
    tui_type "$cur" 74x
    w '"74x" is not a number'
    tui_keys "$cur" BSpace BSpace BSpace
    tui_type "$cur" 900
    w '900 .{1,5} is outside the limits 680 to 800'
    tui_keys "$cur" Enter
    w '900 .{1,5} is outside the limits 680 to 800'
    tui_keys "$cur" BSpace BSpace BSpace
    tui_type "$cur" 790
    w 'is a step of 50 .{1,5} beyond the largest step 30'
    tui_keys "$cur" BSpace BSpace
    tui_type "$cur" 45
    tui_keys "$cur" Enter
    tui_type "$cur" "tmux test"
    tui_keys "$cur" Enter
    w 'bath.sp 740 (->|→) 745 '
    not_logged 'verb=set'
    tui_keys "$cur" y
    w 'Done: bath.sp 740 (->|→) 745'
    logged 'verb=set target=bath.sp value=745 reason=tmux test -> ok'
    logged 'expect=740 verb=set target=bath.sp value=745' # the value the dialog showed
    w 'SP 745 '

    # the journal's filters, each its own field and shown; x clears them
    tui_keys "$cur" F7
    w 'anna@console set bath.sp'
    tui_keys "$cur" u
    tui_type "$cur" anna
    tui_keys "$cur" Enter
    w 'filter user anna: 1 match'
    tui_keys "$cur" T
    tui_type "$cur" roof
    tui_keys "$cur" Enter
    w 'filter user anna tag roof: 0 match'
    tui_keys "$cur" s
    tui_type "$cur" yesterday
    tui_keys "$cur" Enter
    w 'since "yesterday": expected -30m'
    tui_keys "$cur" x
    tui_wait_not "$cur" 'filter user' || fail "x did not clear the filters"
    w 'anna@console set bath.sp'

    # commands: blocked ones list their conditions and are not sent
    tui_keys "$cur" F4
    w 'BLOCKED +Open charging door'
    w '- firing 78 % > low-fire limit 30 %'
    w '- CO 2400 ppm > door CO limit 2000 ppm'
    # the phase's steps first (PYROLYSIS: advance to PUSH, blocked here, so no
    # NEXT mark), then the rest; a hotkey on every row (read before a refusal's
    # two wrapped rows cover the bottom of the list)
    w ' \[p\] BLOCKED +Advance phase to PUSH +phase_advance'
    w '\[u\] BLOCKED +Push scrap +push'
    tui_keys "$cur" s # its hotkey
    w 'BLOCKED, not sent: Open charging door'
    not_logged 'sc_door_open'
    tui_capture "$cur" >"$TUI_TMP/cmds.txt"
    lp=$(grep -n 'Advance phase to PUSH' "$TUI_TMP/cmds.txt" | cut -d: -f1)
    lb=$(grep -n 'Start burner' "$TUI_TMP/cmds.txt" | cut -d: -f1)
    [ -n "$lp" ] && [ -n "$lb" ] && [ "$lp" -lt "$lb" ] ||
        fail "the phase's step is not first: $(cat "$TUI_TMP/cmds.txt")"
    grep -q NEXT "$TUI_TMP/cmds.txt" && fail "NEXT on a blocked step: $(cat "$TUI_TMP/cmds.txt")"
    # a READY command the server refuses: its sentence is shown.  Its key asks
    # at once; Enter never sends; the key again does
    tui_keys "$cur" L
    w 'Reset burner lockout\?'
    w 'y or L = send'
    tui_keys "$cur" Enter Enter Enter
    w 'Enter does not send: type y or L to send'
    not_logged 'lockout_reset'
    tui_keys "$cur" L
    w 'REFUSED: Reset burner lockout: the PLC refused it'
    logged 'expect=PYROLYSIS verb=cmd target=lockout_reset'
    tui_keys "$cur" Escape
    # the next charge while melting: blocked outside MELT, with the hearth full
    tui_keys "$cur" r
    w '> +\[r\] BLOCKED +Start next charge \(while melting\) +CHARGE'
    w '- phase PYROLYSIS, not MELT'
    w 'scrap on hearth 3.00 t >= empty below 0.10 t'
    w 'BLOCKED, not sent: Start next charge'
    not_logged 'target=CHARGE'

    # alarms: acknowledge, then shelve with a reason
    tui_keys "$cur" F5
    w '> *! +MED +UNACK +roof_h'
    tui_keys "$cur" k
    w 'ACKED +roof_h'
    logged 'verb=ack target=roof_h'
    tui_keys "$cur" s
    w 'Shelve roof_h'
    tui_keys "$cur" Enter Enter
    w 'A reason is required'
    tui_type "$cur" "TC being replaced"
    tui_keys "$cur" Enter
    w 'Shelve roof_h for 30 min\?'
    tui_keys "$cur" y
    w 'SHELVED +roof_h'
    logged 'verb=shelve target=roof_h value=30 reason=TC being replaced -> ok'
    # K asks first; Enter does not send; K again does
    tui_keys "$cur" K
    w 'Acknowledge all [0-9]+\?'
    tui_keys "$cur" Enter
    w 'Enter does not send: type y or K to send'
    not_logged 'target=all'
    tui_keys "$cur" K
    i=0
    until grep -q 'verb=ack target=all' "$log"; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "K, K did not send ack all"; sleep 0.05
    done

    # Esc goes up to the overview; Esc then a digit is an F-key
    tui_keys "$cur" Escape
    w 'Heating chamber HC'
    tui_keys "$cur" Escape 8
    w 'PLC link UP'
    w 'bath_hc_temp +ir:2'

    # resize below 80x24 and back
    tui_resize "$cur" 70 20
    w 'Terminal too small: 70x20'
    tui_resize "$cur" "$cols" "$rows"
    tui_wait_not "$cur" 'too small' || fail "still too small after the resize back"
    w 'F1Help F2Overview'

    # snapshots stop: STALE; the server goes: connection lost
    tui_keys "$cur" F2
    kill -USR1 "$fpid"
    w 'STALE [0-9]+s: no snapshot from the server'
    w 'HC gas +STALE [0-9]+s'
    stop_fake
    w '!! ALL VALUES STALE - connection lost'
    w 'Phase PYROLYSIS +STALE [0-9]+s'

    # quit asks first, then leaves with status 0
    tui_keys "$cur" q
    w 'Quit the console\?'
    tui_keys "$cur" n
    tui_wait_not "$cur" 'Quit the console' || fail "quit not cancelled"
    tui_alive "$cur" || fail "the console ended on n"
    tui_keys "$cur" q
    w 'Quit the console\?'
    tui_keys "$cur" y
    tui_wait_dead "$cur" || fail "q y did not quit"
    [ "$(tui_status "$cur")" = 0 ] || fail "exit status \"$(tui_status "$cur")\" after q y"
    tui_stop "$cur"
    cur=""
}

run a 80 24 C
run b 200 50 C.UTF-8

# NO_COLOR: no colour escape at all; without it the high alarm is coloured
start_fake
colour='\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38|48)(;[0-9;]*)?m'
console nc 80 24 "NO_COLOR=1"
w '! H'
tui_capture nc -e | grep -Eq "$colour" && fail "NO_COLOR: colour escapes were sent"
tui_stop nc
console col 80 24 "LC_ALL=C"
w '! H'
tui_capture col -e | grep -Eq "$colour" || fail "without NO_COLOR the high alarm has no colour"
# SIGTERM ends it cleanly (terminal restored by the loop, status 128 + 15)
kill -TERM "$(tui_pid col)"
tui_wait_dead col || fail "SIGTERM did not end the console"
[ "$(tui_status col)" = 143 ] || fail "exit status $(tui_status col) after SIGTERM"
tui_stop col
cur=""
stop_fake

# a viewer sees everything; write keys say why they are unavailable
start_fake --role viewer
console v 80 24 "LC_ALL=C"
w 'anna \(viewer\)'
tui_keys "$cur" F3
w 'viewer: read-only'
tui_keys "$cur" s
w 'not available to a viewer'
tui_keys "$cur" F5
w 'UNACK +roof_h' # the alarm list is on screen (the snapshot came), as a person waits for it
tui_keys "$cur" k
w 'acknowledge: not available to a viewer'
not_logged 'req '
tui_stop "$cur"
cur=""
stop_fake
echo ok
