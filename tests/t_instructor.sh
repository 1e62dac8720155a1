#!/bin/sh
# `meltsim instructor` as an instructor uses it, through tmux (issue 16): against meltsim
# at 10x it shows the plant at a glance and RUNNING 10x; f freezes (FROZEN, and `meltsim
# inject status` agrees), + speeds up, s with a name takes a snapshot (the file is
# there), b with 1 backtracks a minute, a bad name is refused on the reply line with
# its reason, i injects a fault that the status line shows, c clears it, f runs again,
# q quits with status 0.  As root, another account is refused by the socket's rule
# ("not the instructor's account" or no access to the socket).  Everything is stopped by
# its pid.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MS=${MELTSIM:-$B/meltsim}
MB="$B/mbtool"
tmp=$TUI_TMP
simpid=""
cur=""
say() { echo "t_instructor: $*"; }
cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    [ -n "$cur" ] && tui_capture "$cur" | sed 's/^/    | /'
    tail -5 "$tmp/sim.log"
    exit 1
}
w() { tui_wait "$cur" "$@" || fail "screen"; }
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

port=$("$MB" freeport) || fail "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^speed = .*/speed = 10/" config/meltcon.ini >"$cfg"
chmod 644 "$cfg"
"$MS" -c "$cfg" --port "$port" --snapshots "$tmp/snaps" >"$tmp/sim.log" 2>&1 &
simpid=$!
i=0
until "$MB" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "meltsim did not answer"; sleep 0.1
done
sleep 7 # a process minute and more: the ring holds one to go back to

cur=ins
tui_start ins 110 30 "exec '$MS' -c '$cfg' instructor --port $port" || fail "tmux"
w 'meltsim instructor - furnace tcf1' 10
w 'RUNNING 10x'
w 'bath HC [0-9.]+ degC'
w 'burners firing'
w 'EXERCISE +none: meltsim runs no --scenario'
say "the plant at a glance: $(tui_capture ins | grep -m1 'bath HC' | sed 's/^ *//')"

tui_keys ins f
w 'FROZEN 10x'
"$MS" -c "$cfg" --port "$port" inject status | grep -q ', frozen,' || fail "status does not say frozen"
tui_keys ins +
w 'FROZEN 20x'
tui_keys ins s
w 'snapshot NAME:'
tui_type ins "class_a"
tui_keys ins Enter
w 'REPLY +snapshot class_a: ok: snapshot class_a'
[ -s "$tmp/snaps/class_a.snap" ] || fail "no snapshot file"
w 'SNAPSHOTS +snapshots in .*: class_a'
tui_keys ins s
tui_type ins "../x"
tui_keys ins Enter
w "REPLY +snapshot ../x: error: snapshot name \"../x\": must not start with '.'"
tui_keys ins b
w 'backtrack MINUTES:'
tui_type ins "1"
tui_keys ins Enter
w 'REPLY +backtrack 1: ok: back 1 min'
tui_keys ins i
tui_type ins "pump_trip"
tui_keys ins Enter
w 'STATUS .*faults: pump_trip'
tui_keys ins c
w 'STATUS .*faults: none'
tui_keys ins f
w 'RUNNING 20x'
say "freeze, speed, snapshot, a bad name refused, backtrack, a fault and clear, run: each on the screen"
if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
    cp "$MS" "$tmp/meltsim-other" && chmod 755 "$tmp/meltsim-other"
    out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/meltsim-other" -c "$cfg" \
        --port "$port" inject freeze 2>&1) && fail "another account froze the simulator: $out"
    "$MS" -c "$cfg" --port "$port" inject status | grep -q ', running,' || fail "another account changed it"
    say "another account refused: $out"
else
    say "SKIP another account: not root (uid $(id -u)); running as another account needs root"
fi
tui_keys ins q
tui_wait_dead ins 5 || fail "the station did not quit"
[ "$(tui_status ins)" = 0 ] || fail "exit status $(tui_status ins)"
echo "t_instructor: ok"
