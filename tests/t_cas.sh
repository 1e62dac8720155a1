#!/bin/sh
# Compare-and-set on the real chain (issue 14): two consoles race on one
# setpoint.  Console B opens the bath setpoint's dialog at 740 and types
# 710; console A sets 725 meanwhile; B's dialog shows the live 725 as
# changed, and B's confirmation is refused with the sentence naming the
# new value, who changed it and when; nothing changes, the refusal is
# journalled and the journal has no "725 -> 710".  Then the CLI: --expect
# right is carried out, --expect wrong is refused with the sentence and
# changes nothing, no --expect reads the base first (and is carried out);
# a command carries the phase it was asked in.  meltsim and the server run
# on free ports and sockets of this test; everything is stopped by its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
cfg=$TUI_TMP/m.ini
simpid=""
srvpid=""
say() { echo "t_cas: $*"; }
cleanup() {
    for s in "$TUI_TMP"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TUI_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    tail -5 "$TUI_TMP/srv.log" 2>/dev/null
    exit 1
}
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"
port=$("$B/mbtool" freeport) || fail "no free port"
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $TUI_TMP/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $TUI_TMP/state|" \
    -e "s|^inject_socket =.*|inject_socket = $TUI_TMP/i.sock|" \
    -e "s/^operator_group = .*/operator_group = $(id -gn)/" config/meltcon.ini >"$cfg"
# the test's own account is an operator through its group (root is engineer anyway)
M() { "$MC" -c "$cfg" "$@"; }
"$MS" -c "$cfg" --port "$port" >>"$TUI_TMP/sim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "meltsim did not answer"; sleep 0.05
done
"$MC" -c "$cfg" server -f >>"$TUI_TMP/srv.log" 2>&1 &
srvpid=$!
i=0
until M status >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the server did not answer"; sleep 0.1
done
sp() { M status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([l["sp"] for l in d["loops"] if l["name"]=="bath"][0])'; }
[ "$(sp)" = 740 ] || fail "bath.sp starts at $(sp), want 740"
me=$(id -un)

# ---- two consoles racing on bath.sp ---------------------------------------------------------
tui_start A 80 24 "LC_ALL=C exec $MC -c $cfg" || fail "tmux would not start A"
tui_start Bc 80 24 "LC_ALL=C exec $MC -c $cfg" || fail "tmux would not start B"
for c in A Bc; do
    tui_wait $c 'Bath HC' || fail "console $c did not show the furnace"
    tui_keys $c F3
    tui_wait $c '^> bath ' || fail "console $c: bath is not the selected loop"
    tui_wait $c 'PV [0-9]+ degC +SP 740 ' || fail "console $c: no snapshot yet"
done
# B opens the dialog at 740 and gets to the confirmation of 740 -> 710
tui_keys Bc s
tui_wait Bc 'Current +740' || fail "B's dialog does not show 740"
tui_type Bc 710
tui_keys Bc Enter
tui_type Bc "lower for the alloy"
tui_keys Bc Enter
tui_wait Bc 'bath.sp 740 -> 710 degC\?' || fail "B is not at its confirmation"
# A sets 725 meanwhile
tui_keys A s
tui_wait A 'Current +740' || fail "A's dialog does not show 740"
tui_type A 725
tui_keys A Enter
tui_type A "raise for the tap"
tui_keys A Enter
tui_wait A 'bath.sp 740 -> 725 degC\?' || fail "A is not at its confirmation"
tui_keys A y
tui_wait A 'Done: bath.sp 740 -> 725' || fail "A's set was not done"
# B's dialog shows the live value as moved; B confirms anyway: refused
tui_wait Bc 'Now +725 degC: changed since this opened' || fail "B's dialog does not show the live 725"
tui_keys Bc y
tui_wait Bc "REFUSED: bath.sp was changed to 725 by $me at [0-2][0-9]:[0-5][0-9] while you" ||
    fail "B's confirmation was not refused with the sentence"
tui_wait Bc "typing; nothing was sent \(you saw 740\)" || fail "the sentence is not whole"
[ "$(sp)" = 725 ] || fail "bath.sp is $(sp) after B's refused change, want 725"
# a key brings B's dialog back on the value now, B's entry kept; B decides
# against it (Esc): nothing sent
tui_wait Bc 'any key: again, on the value now' || fail "B's refusal does not offer to look again"
tui_keys Bc Space
tui_wait Bc 'Current +725 degC' || fail "B's dialog is not back on 725"
tui_wait Bc 'Now 725: look again; the entry is kept' || fail "B's dialog does not say why it is back"
tui_wait Bc 'New value +> *\[710' || fail "B's entry was not kept"
tui_keys Bc Escape
tui_wait_not Bc 'Setpoint of bath' || fail "Esc did not close B's dialog"
M journal >"$TUI_TMP/j" || fail "journal"
grep -q 'set bath.sp 740 -> 725 .*result="ok' "$TUI_TMP/j" || fail "A's change is not journalled: $(tail -3 "$TUI_TMP/j")"
grep -q 'set bath.sp 740 -> 710 reason="lower for the alloy" result="refused: bath.sp was changed to 725 by' "$TUI_TMP/j" ||
    fail "B's refusal is not journalled: $(tail -3 "$TUI_TMP/j")"
grep -q '725 -> 710' "$TUI_TMP/j" && fail "the journal records 725 -> 710: $(grep '725 -> 710' "$TUI_TMP/j")"
say "race: B's 740 -> 710 refused after A's 725, journalled, nothing changed"
for c in A Bc; do tui_stop $c; done

# ---- the CLI: --expect right, wrong, absent -----------------------------------------------
M set bath.sp 730 --reason "cli right" --expect 725 >"$TUI_TMP/out" 2>&1 || fail "--expect right: $(cat "$TUI_TMP/out")"
grep -q 'bath.sp 725 -> 730' "$TUI_TMP/out" || fail "--expect right: $(cat "$TUI_TMP/out")"
M set bath.sp 700 --reason "cli wrong" --expect 725 >"$TUI_TMP/out" 2>&1 && fail "--expect wrong was carried out"
grep -q "refused: bath.sp was changed to 730 by $me at [0-9:]* while you were typing; nothing was sent (you saw 725)" "$TUI_TMP/out" ||
    fail "--expect wrong: $(cat "$TUI_TMP/out")"
[ "$(sp)" = 730 ] || fail "bath.sp is $(sp) after a refused --expect, want 730"
M set bath.sp 735 --reason "cli read first" >"$TUI_TMP/out" 2>&1 || fail "no --expect: $(cat "$TUI_TMP/out")"
grep -q 'bath.sp 730 -> 735' "$TUI_TMP/out" || fail "no --expect: $(cat "$TUI_TMP/out")"
# a command carries the phase it was asked in
M cmd burner_stop --expect PUSH >"$TUI_TMP/out" 2>&1 && fail "a command for PUSH was sent in HOLD"
grep -q 'refused: phase is HOLD now, not PUSH as you saw; nothing was sent' "$TUI_TMP/out" ||
    fail "cmd --expect: $(cat "$TUI_TMP/out")"
M set bath.mode MAN --reason "cli mode" --expect CAS >"$TUI_TMP/out" 2>&1 && fail "a mode change on a wrong base was carried out"
grep -q 'refused: bath.mode is AUTO now, not CAS as you saw' "$TUI_TMP/out" || fail "mode --expect: $(cat "$TUI_TMP/out")"
M journal >"$TUI_TMP/j"
grep -q 'set bath.sp .*reason="cli wrong" result="refused: bath.sp was changed to 730' "$TUI_TMP/j" ||
    fail "the CLI's refusal is not journalled"
say "CLI: --expect right done, wrong refused and journalled, absent read first"
echo ok
