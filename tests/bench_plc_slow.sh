#!/bin/sh
# make bench: a slow PLC (issue 12).  meltsim behind tests/plcproxy.py, which
# answers every Modbus request 70 ms late (8 requests a full round: 560 ms
# against a 250 ms period), then without delay for comparison:
#   the share of `meltcon status` calls answered and their latency p50/p99
#     (one call every 0.1 s, each timed from start to exit);
#   the server's slow cycles and its deadlines missed meanwhile;
#   the loops dropped to MAN meanwhile, with the shipped pv_bad_hold_s and
#   (the anchor) with every hold at 0, MAN at the first reading not GOOD;
#   how often a call found loops in a bad PV's hold: the share of answered
#   calls with any, the loops per call on average, and the share with any in
#   the second half of its hold (what the console counts down as "BAD PV, MAN
#   in N s", tui/view.h view_man_in).
# Figures to read; nothing fails on a timing.
# Usage: bench_plc_slow.sh BUILD_DIR     (BENCH_SECONDS: length of each run, default 20)
set -u
B=${1:-build}
D=${BENCH_SECONDS:-20}
MC=$B/meltcon
tmp=$(mktemp -d)
simpid=""
prxpid=""
srvpid=""
cleanup() {
    for p in $srvpid $prxpid $simpid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
for p in "$MC" "$B/meltsim" "$B/mbtool"; do
    [ -x "$p" ] || skip "$p is not built"
done
command -v python3 >/dev/null || skip "python3 runs the delaying proxy"

echo "== a PLC answering in 70 ms: status calls answered, their latency"
simport=$("$B/mbtool" freeport) || skip "no free port"
prxport=$("$B/mbtool" freeport) || skip "no free port"
sed -e "s/^port = 1502$/port = $prxport/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    config/meltcon.ini >"$tmp/m.ini"
"$B/meltsim" -c "$tmp/m.ini" --port "$simport" >/dev/null 2>&1 &
simpid=$!
: >"$tmp/ctl"
python3 tests/plcproxy.py "$prxport" "$simport" "$tmp/ctl" >"$tmp/prx.log" 2>&1 &
prxpid=$!
sleep 1
grep -q ready "$tmp/prx.log" || skip "the proxy did not start"
"$MC" -c "$tmp/m.ini" server -f >/dev/null 2>&1 &
srvpid=$!
sleep 3
"$MC" -c "$tmp/m.ini" status >/dev/null 2>&1 || skip "the server did not answer"

cfg=$tmp/m.ini
# run DELAY_MS: D seconds of status calls, one every 0.1 s
run() {
    printf 'delay %s\n' "$1" >"$tmp/ctl"
    sleep 2
    "$MC" -c "$cfg" status --json >"$tmp/before.json" 2>/dev/null
    : >"$tmp/lat"
    : >"$tmp/js"
    end=$(($(date +%s) + D))
    while [ "$(date +%s)" -lt "$end" ]; do
        t0=$(date +%s%N)
        if "$MC" -c "$cfg" status --json >"$tmp/st" 2>&1; then r=ok; else r=failed; fi
        echo "$r $((($(date +%s%N) - t0) / 1000))" >>"$tmp/lat"
        [ $r = ok ] && tr -d '\n' <"$tmp/st" >>"$tmp/js" && echo >>"$tmp/js"
        sleep 0.1
    done
    "$MC" -c "$cfg" status --json >"$tmp/after.json" 2>/dev/null
    drops=$("$MC" -c "$cfg" journal --since "-$((D + 3))s" 2>/dev/null | grep -c 'dropped to MAN')
    python3 - "$1" "$tmp/lat" "$tmp/before.json" "$tmp/after.json" "$drops" "$2" "$tmp/js" "$cfg" <<'PY'
import configparser, json, math, sys
delay, lat = sys.argv[1], [l.split() for l in open(sys.argv[2])]
ok = sorted(int(us) / 1000 for r, us in lat if r == "ok")
ini = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=False, interpolation=None)
ini.read(sys.argv[8])
hold = {s[5:]: float(ini[s].get("pv_bad_hold_s", "0")) for s in ini.sections() if s.startswith("loop.")}
held, late = [], []
for line in open(sys.argv[7]):
    try:
        loops = json.loads(line)["loops"]
    except (ValueError, KeyError):
        continue
    mi = [(l["name"], l.get("man_in_s")) for l in loops if l.get("man_in_s") is not None]
    held.append(len(mi))
    late.append(any(m <= hold[n] / 2 for n, m in mi))
def rank(p):
    return ok[max(0, min(len(ok) - 1, math.ceil(p * len(ok)) - 1))] if ok else float("nan")
try:
    b, a = json.load(open(sys.argv[3]))["cycle"], json.load(open(sys.argv[4]))["cycle"]
    cyc = "%d cycles, %d slow, lateness p99 %.1f ms" % (a["cycles"] - b["cycles"], a["slow"] - b["slow"],
                                                       a["late_p99_ms"])
except (OSError, ValueError, KeyError):
    cyc = "cycle figures not read"
print("   PLC +%s ms%s: status answered %d of %d (%.0f %%), latency p50 %.0f ms, p99 %.0f ms; %s; "
      "loops dropped to MAN %s; loops in a bad PV's hold in %.0f %% of the calls answered, "
      "%.1f loops a call, in its second half (the console's countdown) in %.0f %%"
      % (delay, sys.argv[6], len(ok), len(lat), 100.0 * len(ok) / max(1, len(lat)), rank(0.5),
         rank(0.99), cyc, sys.argv[5], 100.0 * sum(1 for h in held if h) / max(1, len(held)),
         sum(held) / max(1, len(held)), 100.0 * sum(late) / max(1, len(late))))
PY
}
run 70 ""
run 0 ""

# the anchor: the same slow PLC with every loop's hold at 0 (a server of its own)
kill "$srvpid" 2>/dev/null
wait "$srvpid" 2>/dev/null
sed -e "s/^pv_bad_hold_s = .*/pv_bad_hold_s = 0/" -e "s|^socket =.*|socket = $tmp/m0.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state0|" "$tmp/m.ini" >"$tmp/m0.ini"
cfg=$tmp/m0.ini
"$MC" -c "$cfg" server -f >/dev/null 2>&1 &
srvpid=$!
sleep 3
"$MC" -c "$cfg" status >/dev/null 2>&1 || skip "the server with every hold at 0 did not answer"
run 70 " (every pv_bad_hold_s 0)"
