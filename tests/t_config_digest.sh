#!/bin/sh
# The console's limits are the server's (tui/cfgmatch.h): meltsim and the
# server run with config A (a private copy in a temp dir, meltsim on a free
# port); B is A with one alarm limit changed, in another folder.
#   the console with B refuses to attach: the sentence naming both files on
#   its stderr, exit 1; the console with A attaches and shows the overview;
#   `status` (local units) is refused with B and works with A; `set` (the
#   server judges it) works with B;
#   A edited while the server runs: `status -c A` says the file changed;
#   the server restarted with B under an attached console with A: the
#   console leaves the terminal and says so, exit 1.
# Everything is stopped by its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
mkdir "$TUI_TMP/a" "$TUI_TMP/b"
A=$TUI_TMP/a/meltcon.ini
BB=$TUI_TMP/b/meltcon.ini
simpid=""
srvpid=""
cur=""
say() { echo "t_config_digest: $*"; }
fail() {
    echo "FAIL: $*"
    [ -s "$TUI_TMP/srv.log" ] && { echo "--- srv.log"; tail -10 "$TUI_TMP/srv.log"; }
    exit 1
}
cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    for s in "$TUI_TMP"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    for p in $srvpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TUI_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

port=$("$B/mbtool" freeport) || fail "no free port"
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $TUI_TMP/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $TUI_TMP/state|" \
    -e "s|^inject_socket =.*|inject_socket = $TUI_TMP/i.sock|" \
    -e "s/^operator_group = .*/operator_group = $(id -gn)/" config/meltcon.ini >"$A"
# (the test's own user is an operator through its group: root is anyway, anyone else is
# a viewer by default and could not `set`)
# B: [alarm.roof_h] limit 1200 -> 1190, nothing else
sed '/^\[alarm.roof_h\]$/,/^limit/s/^limit = 1200$/limit = 1190/' "$A" >"$BB"
[ "$(diff "$A" "$BB" | grep -c '^[<>]')" = 2 ] || fail "B should differ from A in one line"
grep -q '^limit = 1190$' "$BB" || fail "B: the roof_h limit was not changed"
"$MC" check-config "$BB" >/dev/null || fail "B is not a valid config"

"$MS" -c "$A" --port "$port" >>"$TUI_TMP/sim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "meltsim did not answer"; sleep 0.05
done
start_server() { # CONFIG
    "$MC" -c "$1" server -f >>"$TUI_TMP/srv.log" 2>&1 &
    srvpid=$!
    i=0
    until "$MC" -c "$1" status >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "the server did not answer"; sleep 0.1
    done
}
stop_server() {
    kill "$srvpid"
    wait "$srvpid" 2>/dev/null
    srvpid=""
}
start_server "$A"

# ---- the verbs ------------------------------------------------------------------------------
"$MC" -c "$A" status >"$TUI_TMP/out" 2>&1 || fail "status with A: $(cat "$TUI_TMP/out")"
grep -q '^furnace ' "$TUI_TMP/out" || fail "status with A: $(cat "$TUI_TMP/out")"
"$MC" -c "$BB" status >"$TUI_TMP/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "status with B: exit $rc, not 1"
want="meltcon status: this command read $BB but the server for tcf1 controls with $A (a different file): limits shown would not be the server's; run meltcon -c $A status"
grep -qxF "$want" "$TUI_TMP/out" || fail "status with B said: $(cat "$TUI_TMP/out")"
grep -q '^furnace ' "$TUI_TMP/out" && fail "status with B printed values"
say "status: refused with B, works with A"
out=$("$MC" -c "$BB" set bath.sp 745 --reason "digest test" 2>&1) || fail "set with B: $out"
echo "$out" | grep -q 'bath.sp 740 -> 745' || fail "set with B answered: $out"
say "set: works with B (the server judges it)"

# ---- the console ----------------------------------------------------------------------------
# (stderr goes to a file: a pane that ends at once does not always keep its text)
tui_start refuse 120 40 "exec $MC -c $BB --ascii 2>$TUI_TMP/refuse.err" || fail "tmux would not start"
cur=refuse
tui_wait_dead refuse 10 || fail "the console with B is still running"
[ "$(tui_status refuse)" = 1 ] || fail "the console with B: exit $(tui_status refuse), not 1"
want="meltcon: this console read $BB but the server for tcf1 controls with $A (a different file): limits shown would not be the server's; run meltcon -c $A"
grep -qxF "$want" "$TUI_TMP/refuse.err" || fail "the console with B said: $(cat "$TUI_TMP/refuse.err")"
tui_stop refuse
cur=""
say "console with B: refused, exit 1"

tui_start same 120 40 "exec $MC -c $A --ascii 2>$TUI_TMP/same.err" || fail "tmux would not start"
cur=same
tui_wait same 'Bath HC +7[0-9]{2}' || fail "the console with A shows no overview"
tui_wait same 'HOLD' || fail "the console with A shows no phase"
tui_alive same || fail "the console with A ended"
say "console with A: attached, overview shown"

# the server restarted with B under the attached console
stop_server
start_server "$BB"
tui_wait_dead same 15 || fail "the console with A still runs against a server with B"
[ "$(tui_status same)" = 1 ] || fail "the console with A: exit $(tui_status same), not 1"
want="meltcon: this console read $A but the server for tcf1 controls with $BB (a different file): limits shown would not be the server's; run meltcon -c $BB"
grep -qxF "$want" "$TUI_TMP/same.err" || fail "the console with A left saying: $(cat "$TUI_TMP/same.err")"
tui_wait_not same 'Bath HC' 5 || fail "the console with A left its screen on the terminal"
tui_stop same
cur=""
say "server restarted with B: the attached console with A left with the sentence"

# ---- the same file, changed since the server loaded it --------------------------------------
echo "; edited after the server started" >>"$BB"
"$MC" -c "$BB" status >"$TUI_TMP/out" 2>&1 && fail "status with the edited B accepted"
grep -q "this command read $BB, but the server for tcf1 controls with that file as it was when the server started (it has changed since)" \
    "$TUI_TMP/out" || fail "status with the edited B said: $(cat "$TUI_TMP/out")"
say "edited file: refused, named as changed"
stop_server
