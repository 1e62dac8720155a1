#!/bin/sh
# A console that tells the truth at any size (issue 14, part B), driven
# through tmux as a person would, against build/fakeserver with scripted
# alarms (its --alarms and --shed):
#   banners: active, cleared-unacked and shelved are counted apart and never
#   shown as one another; a cleared "PLC link lost" is not read as a link
#   that is down, and a new active fault heads the banner before it;
#   alarms: the time of day of the raise (unchanged by an acknowledgement),
#   the age, the value now, the first-out mark; Enter shows an alarm whole
#   (its action not cut at ';'); the horn starts on a new high alarm and F9
#   silences it without acknowledging; the terminal gets a BEL (horn = bell)
#   or a flash (flash), and nothing with horn = off;
#   a loop shed to MAN by a bad PV is marked SHED until put back to AUTO;
#   layout: 80x23 works (no "too small"; the message line goes first and a
#   message covers the body's last row), 200x50 uses the width (two columns
#   on the overview, wider trends); a long message wraps instead of being
#   cut; help rows wrap; events scroll sideways and Enter shows a line
#   whole; TERM=linux and TERM=vt100 get ASCII even in a UTF-8 locale, an
#   xterm in UTF-8 gets °C; masses are in tonnes, never kg.
#
# The console is "$MELTCON -c CONFIG"; the fake server is $BUILD_DIR/fakeserver.
set -u
. "$(dirname "$0")/fake_lib.sh"
locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || fail "the C.UTF-8 locale is missing"

w() { tui_wait "$cur" "$@" || fail "screen of $cur"; }
wn() { tui_wait_not "$cur" "$@" || fail "screen of $cur"; }
row() { tui_capture "$cur" | sed -n "${1}p"; } # one screen row (1 = top)
shows() { tui_capture "$cur" | grep -Eq -- "$1"; }

# ---- banners: states apart, a cleared link alarm is not a link that is down --
start_fake --alarms plc_link:RTN_UNACK:90,bath_hc_temp_bad:UNACK:10:fo,roof_h:ACKED:300,o2_high:SHELVED:100
console ban 80 24 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
# the new active fault heads the banner, not the cleared critical-looking link
row 2 | grep -q 'bath_hc_temp_bad' || fail "banner: the active fault is not on it: $(row 2)"
row 2 | grep -q 'PLC link lost' && fail "banner: a cleared link alarm reads as a link that is down: $(row 2)"
row 2 | grep -Eq '2 active, 1 cleared, 1 shelved|2 active \(1 unack\), 1 cleared-unack, 1 shelved' ||
    fail "banner counts: $(row 2)"
w 'Alarms: 2 active \(1 unack\), 1 cleared-unack, 1 shelved'
shows 'Active alarms' && fail "the overview calls every listed alarm active"
# the alarm list: raise time of day, age, value now, first out
tui_keys "$cur" a
w 'PRIO STATE +FO NAME +RAISED +AGE VALUE NOW +MESSAGE'
w 'UNACK +FO bath_hc_temp_bad +[0-2][0-9]:[0-5][0-9]:[0-5][0-9] +1[0-9]s 7[0-9]{2} degC +bath HC'
w 'RTN_UNACK +plc_link +[0-2][0-9]:[0-5][0-9]:[0-5][0-9] +1m +PLC link lost'
# the time column keeps its meaning on acknowledge
when=$(tui_capture "$cur" | sed -n 's/.*UNACK  *FO bath_hc_temp_bad  *\([0-9:]*\) .*/\1/p')
[ -n "$when" ] || fail "no raise time for bath_hc_temp_bad"
tui_keys "$cur" Down
w '^>.*bath_hc_temp_bad'
tui_keys "$cur" k
w 'ACKED +FO bath_hc_temp_bad'
logged 'verb=ack target=bath_hc_temp_bad'
after=$(tui_capture "$cur" | sed -n 's/.*ACKED  *FO bath_hc_temp_bad  *\([0-9:]*\) .*/\1/p')
[ "$when" = "$after" ] || fail "the raise time moved on acknowledge: $when -> $after"
# only the cleared one is left unacknowledged: the banner says cleared, not lost
w '^cleared [0-9]+[smh], unacknowledged: plc_link'
row 2 | grep -q 'PLC link lost' && fail "banner: the cleared link alarm's message is on it: $(row 2)"
# Enter shows the alarm whole, the action with its ';'
tui_keys "$cur" Enter
w 'Action: Check the sensor; its loop holds in MAN'
w 'First out'
w 'any key closes'
tui_keys "$cur" x
wn 'any key closes'
not_logged 'target=all'
done_console
stop_fake

# ---- the horn: a new high alarm sounds it, F9 silences, nothing acknowledged --
start_fake --alarms roof_h:UNACK:30,roof_hh:UNACK:-4
console horn 80 24 LC_ALL=C TZ=UTC
w 'roof_h '
wn 'HORN'
w 'HORN \(F9 silences\)' 15
tui_keys "$cur" F9
w 'Horn silenced; the alarms stay unacknowledged'
wn 'HORN \(F9'
tui_keys "$cur" a
w 'UNACK +roof_hh'
not_logged 'verb=ack'
done_console
stop_fake
# [console] horn = off: the same alarm, no horn
sed 's/^horn = bell$/horn = off/' "$cfg" >"$TUI_TMP/off.ini"
grep -q '^horn = off' "$TUI_TMP/off.ini" || fail "could not set [console] horn = off"
CFG=$TUI_TMP/off.ini
start_fake --alarms roof_h:UNACK:30,roof_hh:UNACK:-3
console quiet 80 24 LC_ALL=C TZ=UTC
w 'roof_h '
w '!! HIGH roof_hh|! HIGH roof_hh' 15
sleep 1
shows 'HORN' && fail "horn = off: the horn sounded"
done_console
stop_fake
CFG=

# the horn's bytes: the terminal's bell (BEL) for bell, the terminal's flash
# for flash, nothing for off; the console runs in a pty under script(1)
command -v script >/dev/null || fail "script (util-linux) is not installed"
horn_bytes() { # HORN: the console's bytes with [console] horn = HORN, in $TUI_TMP/pty.out
    sed "s/^horn = bell$/horn = $1/" "$cfg" >"$TUI_TMP/h.ini"
    CFG=$TUI_TMP/h.ini
    start_fake --alarms roof_h:UNACK:30,roof_hh:UNACK:-2
    sleep 8 | TERM=xterm LC_ALL=C script -q -e -c \
        "stty cols 80 rows 24; exec $MELTCON -c $TUI_TMP/h.ini --bench-seconds 5" /dev/null \
        >"$TUI_TMP/pty.out" 2>/dev/null
    stop_fake
    CFG=
}
bel=$(printf '\007')
horn_bytes bell
grep -q "$bel" "$TUI_TMP/pty.out" || fail "horn = bell: no BEL written to the terminal"
horn_bytes flash
grep -q "$bel" "$TUI_TMP/pty.out" && fail "horn = flash: a BEL instead of a flash"
grep -q "$(printf '\033')\\[?5h" "$TUI_TMP/pty.out" || fail "horn = flash: no flash (ESC [?5h) written"
horn_bytes off
grep -q "$bel" "$TUI_TMP/pty.out" && fail "horn = off: a BEL was written"
grep -q "$(printf '\033')\\[?5h" "$TUI_TMP/pty.out" && fail "horn = off: the screen flashed"

# ---- shed: MAN after a bad PV, marked until put back ------------------------
start_fake --shed bath
console shed 80 24 LC_ALL=C TZ=UTC
w 'bath MAN sp 740 SHED'
tui_keys "$cur" l
w 'SHED to MAN'
tui_keys "$cur" m
w 'Mode of bath'
tui_keys "$cur" Enter
tui_type "$cur" "TC replaced"
tui_keys "$cur" Enter
w 'bath.mode MAN (->|→) AUTO'
tui_keys "$cur" y
w 'Done: bath.mode MAN (->|→) AUTO'
wn 'SHED to MAN'
done_console
stop_fake

# ---- 80x23: everything there, the message line goes first -------------------
start_fake
console small 80 23 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
shows 'too small' && fail "80x23 says too small"
w 'F1Help F2Overview'
w 'Alarms: 2 active'
[ "$(tui_capture "$cur" | wc -l)" -le 23 ] || fail "more than 23 rows"
shows 'Tab/arrows select' && fail "80x23: the key hints (message line) are still shown"
tui_keys "$cur" z
w 'z: nothing on this screen'
w 'F1Help F2Overview'
# below 80x23 the function-key bar goes next, down to 80x20 (t_tui_whole.sh)
tui_resize "$cur" 80 19
w 'Terminal too small: 80x19'
w 'meltcon needs at least 80x20'
tui_resize "$cur" 80 23
wn 'too small'
done_console
stop_fake

# ---- a long message wraps; help wraps (a viewer at 80 columns) --------------
start_fake --role viewer
console view 80 24 LC_ALL=C TZ=UTC
w 'anna \(viewer\)'
tui_keys "$cur" a
w 'UNACK +roof_h'
tui_keys "$cur" k
w 'acknowledge: not available to a viewer \(user anna is not in the operator group'
w '^meltop\)'
tui_keys "$cur" '?'
w 'Esc +back: close the dialog, or go up to the overview; Esc then a'
w '^ {18}digit = F-key'
done_console
stop_fake

# ---- events: sideways, and a line whole --------------------------------------
start_fake
console ev 80 24 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
tui_keys "$cur" e
w '^>08:12:00 fakeserver started for furnace'
tui_keys "$cur" Right
w 'from column 21; Left scrolls back'
w '^>started for furnace'
tui_keys "$cur" Enter
w 'journal line'
w '08:12:00 fakeserver started for furnace tcf1'
tui_keys "$cur" Escape Left
w '^>08:12:00 fakeserver'
done_console
stop_fake

# ---- diagnostics: the cut header lines and a tag whole on Enter -------------
start_fake
console diag 80 24 LC_ALL=C TZ=UTC
w 'PYROLYSIS'
tui_keys "$cur" d
w '^>hc_gas_temp +ir:0'
tui_keys "$cur" Down Enter
w 'diagnostics'
w 'PLC link UP +127\.0\.0\.1:'
w 'Cycle +period 250 ms .*lateness'
w 'Tag roof_temp \(ir:1 int16\): raw [0-9]+, value 1[0-9]{3} degC, GOOD; HC roof'
tui_keys "$cur" Escape
wn 'any key closes'
done_console
stop_fake

# ---- 200x50 in UTF-8: two columns, wide trends, °C and tonnes ---------------
start_fake
console wide 200 50 LC_ALL=C.UTF-8 TERM=xterm-256color TZ=UTC
w 'HC gas +1[0-9]{3} °C'
w '│ Values'
w 'scrap_on_hearth +3\.0 t '
w 'metal_mass +48\.2 t '
shows '[0-9] kg' && fail "a mass in kg on the overview"
tui_keys "$cur" t
w '^>?bath_hc_temp'
spark=$(tui_capture "$cur" | grep -E '^.bath_hc_temp ' | head -n 1)
[ "$(printf '%s' "$spark" | wc -m)" -gt 150 ] || fail "the trend rows do not use 200 columns: $spark"
done_console
stop_fake

# ---- ASCII where the terminal cannot draw UTF-8, whatever the locale --------
start_fake
for term in linux vt100; do
    console "a$term" 80 24 LC_ALL=C.UTF-8 TERM=$term TZ=UTC
    w 'HC gas +1[0-9]{3} degC'
    tui_capture "$cur" | LC_ALL=C grep -q "$(printf '[\200-\377]')" &&
        fail "TERM=$term: UTF-8 bytes on the screen: $(tui_capture "$cur" | LC_ALL=C grep "$(printf '[\200-\377]')" | head -n 2)"
    w 'pump RUN [0-9]+ % ->'
    done_console
done
stop_fake
echo ok
