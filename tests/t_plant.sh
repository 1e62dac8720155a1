#!/bin/sh
# `meltcon plant` as a shift leader uses it over SSH: an 80x24 tmux pane,
# a real mosquitto and two furnaces (meltsim + meltcon server each)
# publishing to it.  Checked: one LIVE row per furnace with its phase, bath
# temperature and setpoint, PLC link; a killed server's furnace turns
# OFFLINE with its age (never a value), sorts to the top, and its detail
# (Enter) says its values are the last received; Esc goes back; the broker
# killed: a banner and no row called LIVE; q quits with status 0.  Everything stopped by its pid; tmux by its own socket.
set -u
tmp=$(mktemp -d)
chmod 755 "$tmp"
TUI_TMP=$tmp
say() { echo "t_plant: $*"; }
fail() {
    echo "FAIL: $*"
    [ -S "$tmp/tmux-plant" ] && { echo "--- screen"; tui_capture plant; }
    for f in mosq.log f1/srv.log f2/srv.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -5 "$tmp/$f"; }
    done
    exit 1
}
. "${MELTCON_SRC:-.}/tests/mqtt_lib.sh"
. "${MELTCON_SRC:-.}/tests/tui_lib.sh"
command -v tmux >/dev/null 2>&1 || fail "tmux is missing (make deps)"
trap 'tui_stop plant 2>/dev/null; stop_all; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

mqtt_prereq
broker_start
furnace_start f1 5
furnace_start f2 5
tui_start plant 80 24 "exec '$MC' -c '$tmp/f1/m.ini' plant" || fail "tmux did not start"
tui_wait plant '^f1 +HOLD +[0-9]+:[0-9]{2} +7[0-9]{2}/740 .* UP +LIVE +[0-9]+s$' 20 ||
    fail "no LIVE row for f1 with HOLD, the bath near 740/740 and the link UP"
tui_wait plant '^f2 +HOLD .* UP +LIVE' 10 || fail "no LIVE row for f2"
tui_wait plant '2 furnaces: 2 live, 0 offline' 5 || fail "title"
tui_capture plant | awk 'length > 80 { bad = 1 } END { exit bad }' || fail "a line wider than 80"
say "80x24: f1 and f2 LIVE, HOLD, bath/SP, link UP"

kill -9 "$(cat "$tmp/f2/srv.pid")"
tui_wait plant '^f2 +- +- +- +- +- +- +- +OFFLINE +[0-9]+s$' 15 || fail "f2 not OFFLINE (with its age, no values)"
tui_wait plant '2 furnaces: 1 live, 1 offline' 5 || fail "title after the death"
first=$(tui_capture plant | awk '/^FURNACE/ { getline; print $1; exit }')
[ "$first" = f2 ] || fail "the OFFLINE furnace is not first (first row: $first)"
sleep 2.2
tui_wait plant '^f2 .* OFFLINE +([2-9]|[1-9][0-9])s$' 5 || fail "the OFFLINE age does not grow"
say "f2 killed: OFFLINE with its age, sorted first, no values shown"

tui_keys plant Enter
tui_wait plant 'furnace f2 +OFFLINE' 5 || fail "Enter: no detail of f2"
tui_wait plant '^OFFLINE: the values below are the last ones received' 5 || fail "detail: the OFFLINE warning"
tui_wait plant '^tags/' 5 || fail "detail: no metrics"
tui_keys plant Escape
tui_wait plant '^FURNACE +PHASE' 5 || fail "Esc: not back on the overview"
tui_keys plant Down Enter
tui_wait plant 'furnace f1 +LIVE' 5 || fail "Down Enter: no detail of f1"
i=0 # PgDn down to the melt: its phase is there
until tui_capture plant | grep -qE '^melt/phase +HOLD$'; do
    i=$((i + 1)); [ $i -gt 8 ] && fail "PgDn: no melt/phase HOLD in f1's detail"
    tui_keys plant NPage; sleep 0.3
done
tui_keys plant Escape
tui_wait plant '^FURNACE +PHASE' 5 || fail "Esc: not back on the overview"
kill -9 "$brokerpid" # no wills sent: the console alone must tell its news is old
tui_wait plant '^BROKER NOT CONNECTED for [0-9]+ s .*: nothing below is live' 10 ||
    fail "no banner with the broker gone"
tui_wait plant '^f1 .* NO-BRKR +[0-9]+s$' 5 || fail "f1 still said LIVE with the broker gone"
tui_capture plant | grep -q ' LIVE ' && fail "a row LIVE with the broker gone"
say "the broker gone: a banner, and no row called LIVE"
tui_keys plant q
tui_wait_dead plant 5 || fail "q did not quit"
[ "$(tui_status plant)" = 0 ] || fail "exit status $(tui_status plant)"
say "Enter shows the furnace (PgDn to its phase), Esc goes back, q quits (status 0)"
say "OK"
