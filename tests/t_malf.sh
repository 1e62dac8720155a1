#!/bin/sh
# Timed and ramped malfunctions through the real inject socket of a running meltsim
# (issue 16).  meltsim at 30x; each step by `meltsim inject`:
#   at 1 pump_trip while frozen      -> pending, and still pending after 3 s of wall time
#                                       (3 s frozen would be 1.5 process minutes running)
#   run                              -> it fires (status shows pump_trip; pending: done)
#   at HH:MM:SS (absolute) fan_trip  -> fires when the process clock gets there
#   ramp tc_drift roof_temp 0 30 3   -> running with a value between, then done at 30
#   cancel N                         -> a waiting entry is gone and never fires
#   snapshot, at 0.5 gas_low fires, restore -> the fault is gone with the restore and the
#                                       entry is pending again; it fires a second time
#   bad requests (a bad time, an unknown fault, a ramp of a fault with no VALUE, a value
#   out of range, cancel of no entry) -> exit 1, "error: ..." with the reason, and the
#                                       pending list unchanged.
# Waits are bounded (no timing is asserted beyond "within 15 s").  Stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MS=${MELTSIM:-$B/meltsim}
MB="$B/mbtool"
tmp=$(mktemp -d)
simpid=""
say() { echo "t_malf: $*"; }
cleanup() {
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
    echo "FAIL: $*"
    tail -15 "$tmp/sim.log"
    exit 1
}

port=$("$MB" freeport) || fail "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^speed = .*/speed = 30/" config/meltcon.ini >"$cfg"
"$MS" -c "$cfg" --port "$port" --snapshots "$tmp/snaps" >"$tmp/sim.log" 2>&1 &
simpid=$!
i=0
until "$MB" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "meltsim did not answer"; sleep 0.1
done
inj() { "$MS" -c "$cfg" --port "$port" inject "$@" 2>&1; }
# until inject status matches $1 (15 s at most)
until_status() {
    i=0
    until inj status | grep -Eq "$1"; do
        i=$((i + 1)); [ $i -gt 150 ] && fail "status never matched \"$1\": $(inj status)"; sleep 0.1
    done
}
until_pending() {
    i=0
    until inj pending | grep -Eq "$1"; do
        i=$((i + 1)); [ $i -gt 150 ] && fail "pending never matched \"$1\": $(inj pending)"; sleep 0.1
    done
}

# --- at a time, held by freeze --------------------------------------------------------
inj freeze | grep -q '^ok: frozen' || fail "freeze"
out=$(inj at 1 pump_trip) || fail "at 1 pump_trip refused: $out"
echo "$out" | grep -Eq '^ok: #1 pending [0-9:]+ \(in 1\.0 min\) pump_trip' || fail "reply: $out"
echo "$out" | grep -q 'frozen: it waits' || fail "the reply does not say it waits while frozen: $out"
sleep 3
inj status | grep -q 'faults: none' || fail "fired while frozen: $(inj status)"
inj pending | grep -q '^#1 pending' || fail "not pending while frozen: $(inj pending)"
inj run | grep -q '^ok: running' || fail "run"
until_status 'faults: pump_trip'
inj pending | grep -q '^#1 done' || fail "not done after firing: $(inj pending)"
say "at 1 pump_trip waited 3 s frozen, fired after run"

# --- at an absolute process clock --------------------------------------------------------
clk=$(inj status | sed -n 's/^ok: clock \([0-9]*\) s.*/\1/p')
[ -n "$clk" ] || fail "no clock in status"
t=$((clk + 45))
hhmmss=$(printf '%02d:%02d:%02d' $((t / 3600)) $((t / 60 % 60)) $((t % 60)))
out=$(inj at "$hhmmss" fan_trip) || fail "at $hhmmss refused: $out"
echo "$out" | grep -q "^ok: #2 pending $hhmmss" || fail "reply: $out"
until_status 'faults: .*fan_trip'
say "at $hhmmss fan_trip fired"

# --- bad requests: refused with the reason, nothing changed ------------------------------
before=$(inj pending | sed 1d)
for req in "at soon pump_trip" "at -3 pump_trip" "at 00:00:01 pump_trip" "at 5 pump_tripp" \
    "ramp pump_trip 0 1 5" "ramp tc_drift roof_temp 0 500 5" "ramp tc_drift roof_temp 0 5 0" \
    "at 5" "cancel 99" "cancel" "cancel 1 2"; do
    # shellcheck disable=SC2086
    out=$(inj $req) && fail "\"$req\" was accepted: $out"
    echo "$out" | grep -q '^error: .' || fail "\"$req\": no reason given: $out"
    [ "$(inj pending | sed 1d)" = "$before" ] || fail "\"$req\" changed the list: $(inj pending)"
done
say "bad requests refused, e.g.: $(inj at 00:00:01 pump_trip)"

# --- ramped --------------------------------------------------------------------------------
inj clear >/dev/null
out=$(inj ramp tc_drift roof_temp 0 30 3) || fail "ramp refused: $out"
echo "$out" | grep -q '^ok: #3 pending .* ramp tc_drift roof_temp 0 -> 30 over 3 min' ||
    fail "reply: $out"
until_pending '^#3 running .*\(now ([1-9]|[12][0-9])(\.[0-9]+)?\)'
mid=$(inj pending | grep '^#3')
until_pending '^#3 done'
inj status | grep -q 'faults: tc_drift roof_temp' || fail "the ramp left no drift: $(inj status)"
say "ramp: \"$mid\", then done"

# --- cancel -----------------------------------------------------------------------------
inj clear >/dev/null
out=$(inj at 0.3 gas_low) || fail "at 0.3 gas_low refused: $out"
inj cancel 4 | grep -q '^ok: cancelled 1 timed malfunction;' || fail "cancel 4"
inj pending | grep -q '^#4' && fail "#4 still listed after cancel"
sleep 1.5 # 0.75 process minutes: past its time
inj status | grep -q 'faults: none' || fail "a cancelled entry fired: $(inj status)"
say "cancel 4: gone, did not fire"

# --- restore: pending again, fires again -------------------------------------------------
inj snapshot before_gas | grep -q '^ok: snapshot' || fail "snapshot"
out=$(inj at 0.5 gas_low) || fail "at 0.5 gas_low refused: $out"
until_status 'faults: gas_low'
until_pending '^#5 done'
inj restore before_gas | grep -q '^ok: restored' || fail "restore"
inj status | grep -q 'faults: none' || fail "restore kept the fault: $(inj status)"
inj pending | grep -q '^#5 pending' || fail "not pending again after restore: $(inj pending)"
until_status 'faults: gas_low'
say "after restore #5 was pending again and fired again"
inj cancel all | grep -q '^ok: cancelled 4 timed malfunctions' || fail "cancel all: $(inj cancel all)"
grep -q 'timed malfunction fired: #1' "$tmp/sim.log" || fail "meltsim's log has no fired line"
echo "t_malf: ok"
