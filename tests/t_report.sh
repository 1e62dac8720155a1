#!/bin/sh
# `meltcon report` against a real run (issue 15): meltsim at 10x and the server on a free
# port; a scripted operator takes one 3 t charge through CHARGE, PYROLYSIS and the push with
# CLI verbs, waiting for each phase's `ready` (and a flue thermocouple broken by meltsim
# inject for an alarm, acknowledged); then the server is stopped and the report is
# read from the files alone.  Compared:
#   with the record itself (exact or nearly): one charge of 3000 kg; the operator actions
#     the script sent (8 with the ack, and any loop put back after a shed; refused: as many
#     as the script met); the alarms by priority against the journal
#     files' own "raised PRIO:" lines (parsed here, exactly); the shift's fuel energy
#     against this script's own stepwise integral of `meltcon export --csv` gas_flow over
#     the same window (within 3 %: the export's rows are the stored instants);
#   with the closed-loop harness's figures for the same furnace, scrap and program
#     (build/closed-loop, seed 1: the same control/core/rpt.c, fed by the core in process
#     time): organics from the hearth's load cells within 25 % (mass is mass, whatever the
#     clock), and the pyrolysis time within 35 % after scaling the record's wall minutes by
#     the speed (the record is in wall-clock time; at 10x a process minute is 6 wall
#     seconds; the operators' waits differ).
# Also: a bad kind exits 2 and --csv with --json exits 2; the report of an empty state
# directory says "no charge".  The account running it is the engineer (its own group as
# engineer_group), as root or not.  Every process this test starts is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=$(readlink -f "${MELTCON:-$B/meltcon}")
MS=$(readlink -f "${MELTSIM:-$B/meltsim}")
CL=$(readlink -f "$B/closed-loop")
SPEED=10
tmp=$(mktemp -d)
simpid=""
srvpid=""
say() { echo "t_report: $*"; }
fail() {
    echo "FAIL: $*"
    [ -s "$tmp/srv.log" ] && { echo "--- server log"; tail -10 "$tmp/srv.log"; }
    exit 1
}
cleanup() {
    [ -n "$srvpid" ] && kill -9 "$srvpid" 2>/dev/null
    [ -n "$simpid" ] && kill -9 "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$CL" ] || fail "no $CL (make $B/closed-loop)"
. "${MELTCON_SRC:-.}/tests/lib.sh"
port=$(free_port) || fail "no free port"
cfg=$tmp/c.ini
furnace_ini "$cfg" "$tmp" "$port" "s/^mode = auto$/mode = private/" \
    "s/^engineer_group = .*/engineer_group = $(id -gn)/"
M() { "$MC" -c "$cfg" "$@"; }
json() { python3 -c "import json, sys; d = json.loads(sys.stdin.read()); print($1)"; }

# ---- usage and an empty record ----------------------------------------------------------
M report week >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'report charge, shift or day, not week' "$tmp/err" ||
    fail "report week: $(cat "$tmp/err")"
M report shift --csv --json >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- '--csv or --json, not both' "$tmp/err" || fail "csv+json: $(cat "$tmp/err")"
mkdir -p "$tmp/state/journal" "$tmp/state/hist"
out=$(M report charge 2>&1) || fail "report of an empty record: $out"
[ "$out" = "no charge in the window" ] || fail "empty record: $out"

# ---- the harness's figures for the same furnace --------------------------------------------
"$CL" -c "$cfg" --hours 1 --quiet --seed 1 >"$tmp/cl.out" 2>&1
ref=$(sed -n 's/^ *charge 1 at .*pyrolysis \([0-9.]*\) min,.*organics ~\([0-9]*\) kg.*/\1 \2/p' "$tmp/cl.out")
[ -n "$ref" ] || fail "the harness printed no record figures: $(tail -5 "$tmp/cl.out")"
ref_pyro=${ref% *}
ref_org=${ref#* }
say "harness (process time): charge 1 pyrolysis $ref_pyro min, organics $ref_org kg"

# ---- a real run ------------------------------------------------------------------------------
"$MS" -c "$cfg" --speed $SPEED --seed 1 >"$tmp/sim.log" 2>&1 &
simpid=$!
"$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
i=0
until M status --json 2>/dev/null | json 'd["link"]["state"]' 2>/dev/null | grep -qx UP; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the server did not come up"; sleep 0.1
done
# unshed: a loop that a late or bad reading shed to MAN (a busy machine: the PLC's answers
# come late, the blocks put off read STALE) is put back in its configured mode, as an
# operator would; else the furnace sits at its held outputs and the charge never heats.
# Each request counts in the report, as an action or a refusal.
nact=8
unshed() {
    for l in $(M status --json 2>/dev/null |
        json '" ".join(l["name"] for l in d["loops"] if "shed" in l["flags"] and l["mode"] == "MAN")'); do
        mode=$(awk -v s="[loop.$l]" '$0 == s { f = 1; next } /^\[/ { f = 0 } f && $1 == "mode" { print $3; exit }' "$cfg")
        say "loop $l shed to MAN: put back in $mode"
        if M set "$l.mode" "$mode" --reason "t_report: shed" >/dev/null 2>&1; then
            nact=$((nact + 1))
        else
            nref=$((nref + 1))
        fi
    done
}
# wait_ready PHASE SECONDS: the phase is PHASE and says it is ready to move on
wait_ready() {
    i=0
    while :; do
        unshed
        st=$(M status --json 2>/dev/null | json 'd["phase"]["name"] + " " + str(d["phase"]["ready"])')
        [ "$st" = "$1 True" ] && return 0
        i=$((i + 1)); [ $i -gt $(($2 * 2)) ] && fail "$1 not ready after $2 s: $st"; sleep 0.5
    done
}
# act WHAT ARGS...: an operator's request.  Refused only because values were BAD for a
# moment (the PLC link timing out on a busy machine), it is sent again, as an operator
# would; each refusal is counted, as the report must count it.
nref=0
act() {
    _what=$1; shift
    _n=0
    until M "$@" >"$tmp/act.out" 2>&1; do
        grep -q 'BAD (no good value)' "$tmp/act.out" || fail "$_what: $(cat "$tmp/act.out")"
        nref=$((nref + 1)); _n=$((_n + 1)); [ $_n -gt 20 ] && fail "$_what: $(cat "$tmp/act.out")"
        sleep 0.5
    done
}
t0=$(date +%s)
sleep 2
wait_ready HOLD 60
# an alarm for the record: the flue thermocouple breaks (flue_temp_bad) and is mended
"$MS" -c "$cfg" inject tc_broken flue_temp >/dev/null 2>&1 || fail "inject tc_broken flue_temp"
i=0
until M status --json 2>/dev/null | json '[a["state"] for a in d["alarms"] if a["name"] == "flue_temp_bad"]' | grep -q UNACK; do
    i=$((i + 1)); [ $i -gt 60 ] && fail "no flue_temp_bad alarm"; sleep 0.25
done
"$MS" -c "$cfg" inject clear >/dev/null 2>&1 || fail "inject clear"
act "ack flue_temp_bad" ack flue_temp_bad
act "phase CHARGE" phase CHARGE --reason "t_report"
# CHARGE brings the burner down to low fire; the charging door opens only at or below the
# low-fire limit, so the operator waits for the door's permissive (a request sent earlier
# would be refused and counted as a refusal in the report)
i=0
until [ "$(M status --json 2>/dev/null | json 'd["permissives"]["sc_door_open"]["ready"]')" = True ]; do
    i=$((i + 1)); [ $i -gt 240 ] && fail "the charging door's permissive never came: $(M status --json 2>/dev/null | json 'd["permissives"]["sc_door_open"]["why"]')"; sleep 0.25
done
act sc_door_open cmd sc_door_open
# the door travels 8 process seconds (its open end has no tag): leave the closed switch,
# then give it 30 process seconds
i=0
until [ "$(M status --json 2>/dev/null | json 'd["tags"]["sc_door_closed"]["v"]')" = 0 ]; do
    i=$((i + 1)); [ $i -gt 120 ] && fail "the charging door did not open"; sleep 0.25
done
sleep $((30 / SPEED))
# declared painted (5 %: 150 kg of organics, within [limits] max_organics_kg): the journal's
# charge line and the charge report carry the class (meltsim's scrap is its own 3 % whatever
# is declared)
act "charge 3 --scrap painted" cmd charge 3 --scrap painted
act sc_door_close cmd sc_door_close
wait_ready CHARGE 60
act "phase PYROLYSIS" phase PYROLYSIS
say "PYROLYSIS at $(($(date +%s) - t0)) s"
wait_ready PYROLYSIS 400
say "PYROLYSIS ready at $(($(date +%s) - t0)) s"
# PYROLYSIS's readiness needs CO below its end value, and CO can stand right at it: the
# phase can be ready at one poll and not at the request a moment later.  Such a refusal
# is what an operator meets too; it is counted here and the report must count it the same
until M phase PUSH >"$tmp/push.out" 2>&1; do
    grep -q 'PYROLYSIS not ready' "$tmp/push.out" || fail "phase PUSH: $(cat "$tmp/push.out")"
    nref=$((nref + 1)); [ $nref -gt 20 ] && fail "phase PUSH: $(cat "$tmp/push.out")"
    sleep 0.5
done
act push cmd push
# the sequence goes on to MELT by itself once the pusher is home
i=0
until M status --json 2>/dev/null | json 'd["phase"]["name"]' | grep -qx MELT; do
    i=$((i + 1)); [ $i -gt 240 ] && fail "no MELT after the push"; sleep 0.5
done
say "PUSH -> MELT by the sequence at $(($(date +%s) - t0)) s"
sleep 20
t1=$(date +%s)
sleep 1
M export --from @$t0 --to @$t1 --tags gas_flow --csv >"$tmp/gas.csv" 2>/dev/null || fail "export"
M stop --reason "t_report: the report reads the files" >/dev/null 2>&1
wait "$srvpid" 2>/dev/null
srvpid=""
kill "$simpid"; wait "$simpid" 2>/dev/null; simpid=""
M status >/dev/null 2>&1 && fail "the server still answers"
say "run: one charge at ${SPEED}x in $((t1 - t0)) s wall; server stopped"

# ---- the report, from the files ----------------------------------------------------------------
M report charge --from @$t0 --to @$t1 --json >"$tmp/charge.json" 2>"$tmp/err" || fail "report charge: $(cat "$tmp/err")"
M report shift --from @$t0 --to @$t1 --json >"$tmp/shift.json" 2>"$tmp/err" || fail "report shift: $(cat "$tmp/err")"
M report shift --from @$t0 --to @$t1 --csv >"$tmp/shift.csv" || fail "report shift --csv"
M report shift --from @$t0 --to @$t1 >"$tmp/shift.txt" || fail "report shift (text)"
[ "$(wc -l <"$tmp/charge.json")" -eq 1 ] || fail "want one charge: $(cat "$tmp/charge.json")"
c() { json "$1" <"$tmp/charge.json"; }
s() { json "$1" <"$tmp/shift.json"; }
[ "$(c 'd["mass_kg"]')" = 3000 ] || fail "charge mass: $(cat "$tmp/charge.json")"
[ "$(c 'd["scrap"]')" = painted ] || fail "charge class: $(cat "$tmp/charge.json")"
M report charge --from @$t0 --to @$t1 --csv | sed -n 2p | grep -q ',painted$' ||
    fail "charge class in the CSV: $(M report charge --from @$t0 --to @$t1 --csv)"
M journal --since @$t0 | grep -q 'cmd charge painted -> 3 .*result="ok: Charge scrap 3.00 t of painted scrap' ||
    fail "the journal's charge line: $(M journal --since @$t0 | grep 'cmd charge')"
[ "$(s 'd["charges"]')" = 1 ] || fail "shift charges: $(cat "$tmp/shift.json")"
[ "$(s 'd["actions"]')" = "$nact" ] || fail "actions: want the $nact the script sent: $(cat "$tmp/shift.json")"
[ "$(s 'd["refused"]')" = "$nref" ] || fail "refused: want the $nref refusal(s) the script met: $(cat "$tmp/shift.json")"
[ "$(sed -n 1p "$tmp/shift.csv" | cut -d, -f1-5)" = "record,from,to,hours,charges" ] || fail "csv header: $(cat "$tmp/shift.csv")"
grep -q '^ISA-18.2 ' "$tmp/shift.txt" || fail "text report: $(cat "$tmp/shift.txt")"

# alarms by priority: the journal files' own lines in the window
python3 - "$tmp/state/journal" "$t0" "$t1" "$tmp/shift.json" <<'EOF' || fail "alarms by priority differ from the journal (or none was raised)"
import json, re, sys, glob, datetime
d, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
want = {"low": 0, "medium": 0, "high": 0, "critical": 0}
for f in sorted(glob.glob(d + "/journal-*.log")):
    for line in open(f, encoding="utf-8", errors="replace"):
        ts = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        m = re.search(r' alarm \S+ .* result="ok: raised (\w+):', line)
        if m and t0 <= ts < t1:
            want[m.group(1)] += 1
got = json.load(open(sys.argv[4]))["alarms"]
print("t_report: alarms raised by priority, journal", want, "report", got)
sys.exit(want != got or sum(want.values()) == 0)
EOF

# energy: the script's own integral of the exported gas_flow (Nm3/h, 36 MJ/Nm3), stepwise,
# a value standing at most 120 s and a value not GOOD counting nothing, from t0 to t1
python3 - "$tmp/gas.csv" "$t0" "$t1" "$tmp/shift.json" <<'EOF' || fail "energy differs from the export's integral"
import csv, json, sys, datetime
rows = list(csv.reader(open(sys.argv[1])))
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
pts = []
for r in rows[1:]:
    if len(r) < 2:
        continue
    # a value that is not GOOD (empty in the CSV) is not known: it ends the value before
    # it and adds nothing, the report's rule (control/core/rpt.h); on a loaded machine the
    # link's timeouts make such gaps, and holding the last value across them instead gave
    # 191 against the report's 184 kWh once
    try:
        v = float(r[1]) if r[1] != "" else 0.0
    except ValueError:
        continue
    t = datetime.datetime.strptime(r[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    pts.append((t, v))
e = 0.0
for i, (t, v) in enumerate(pts):
    nxt = pts[i + 1][0] if i + 1 < len(pts) else t1
    e += v / 3600 * min(nxt - t, 120) * 36 / 3.6
got = json.load(open(sys.argv[4]))["energy_kwh"]
print("t_report: fuel energy of the window: report %.0f kWh, export integral %.0f kWh" % (got, e))
sys.exit(not (e > 0 and abs(got - e) <= 0.03 * e + 1))
EOF

# against the harness: organics (load cells) and pyrolysis time (scaled by the speed)
# on a disagreement, the record the report read: the hearth's load cells and the journal's
# charge and phase lines (what to look at if it ever fails)
hearth_record() {
    echo "--- scrap_on_hearth as recorded"
    M export --from @$t0 --to @$t1 --tags scrap_on_hearth --csv 2>&1 | head -40
    echo "--- the journal's charge, push and phase lines"
    M journal --since @$t0 2>&1 | grep -E ' (cmd charge|cmd push|phase) ' | head -20
}
python3 - "$tmp/charge.json" "$ref_pyro" "$ref_org" "$SPEED" <<'EOF' || { hearth_record; fail "the report and the harness disagree beyond the tolerances"; }
import json, sys
c = json.load(open(sys.argv[1]))
ref_pyro, ref_org, speed = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
pyro = c["pyrolysis_min"] * speed
org = c["organics_kg"]
print("t_report: charge 1: organics %s kg (harness %.0f), pyrolysis %.1f process min (harness %.1f)"
      % (org, ref_org, pyro, ref_pyro))
ok = org is not None and abs(org - ref_org) <= 0.25 * ref_org and abs(pyro - ref_pyro) <= 0.35 * ref_pyro
sys.exit(not ok)
EOF
say "ok: report charge/shift from the files with the server stopped; record and harness agree"
