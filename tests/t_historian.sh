#!/bin/sh
# The historian in SQLite against the real meltsim and server: the old day
# files (tests/hist_v1, written by the binary historian) are imported at the
# first start and said in the journal; `status --json` has its schema and
# ISO times; with the server stopped, `export` (CSV with units and quality
# columns, JSON lines) and `journal` read the files themselves, and
# `sqlite3 -readonly` answers the README's example query with the imported
# day's figures; a slow disk (strace delaying every fdatasync, which only
# SQLite calls: the journal uses fsync) makes no slow cycle and the samples
# still arrive.  meltsim runs on a free port; everything is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
SRC=${MELTCON_SRC:-.}
tmp=$(mktemp -d)
simpid=""
srvpid=""
say() { echo "t_historian: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log strace.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
server_pid() { # the server's pid, from its lock file, if it is ours (under strace it is not $!)
    p=$(cat "$tmp/state/server.lock" 2>/dev/null) || return 1
    [ -n "$p" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}
cleanup() {
    for p in $(server_pid) $srvpid $simpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
command -v sqlite3 >/dev/null || fail "sqlite3 is needed (make deps installs it)"
command -v strace >/dev/null || fail "strace is needed (make deps installs it)"
command -v python3 >/dev/null || fail "python3 is needed"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    fail "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" \
    "$SRC/config/meltcon.ini" >"$cfg"
M() { "$MC" -c "$cfg" "$@"; }
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}
sim_up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"; }
stop_server() {
    kill -TERM "$srvpid" 2>/dev/null
    wait "$srvpid" 2>/dev/null
    srvpid=""
}

# ---- the upgrade: old day files in the state directory -------------------------------
mkdir -p "$tmp/state/hist"
cp "$SRC"/tests/hist_v1/hist-*.dat "$tmp/state/hist/"
"$MS" -c "$cfg" --port "$port" >>"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 sim_up || fail "meltsim did not answer on port $port"
"$MC" -c "$cfg" server -f >>"$tmp/srv.log" 2>&1 &
srvpid=$!
wait_for 50 M status || fail "the server did not answer: $(cat "$tmp/srv.log")"
sleep 3 # a few sampling instants

M status --json >"$tmp/s.json" || fail "status --json"
[ "$(json 'd["schema"]' <"$tmp/s.json")" = 2 ] || fail "status --json has no \"schema\": 2"
json 'd["time"]' <"$tmp/s.json" | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z' ||
    fail "status --json \"time\" is not ISO 8601 UTC: $(json 'd["time"]' <"$tmp/s.json")"
python3 - "$tmp/s.json" <<'EOF' || fail "status --json alarm or phase times"
import json, re, sys
d = json.load(open(sys.argv[1]))
iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
assert iso.match(d["phase"]["since"]), d["phase"]
import datetime
def iso_of(w):
    ms = round(w * 1000)
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
assert d["time"] == iso_of(d["wall"]), (d["time"], d["wall"])
for a in d["alarms"]:
    # the wall time is the process time moved by the snapshot's offset
    assert a["time"] == iso_of(d["wall"] - d["t"] + a["t"]), a
EOF
M export --from -1m --to now --tags bath_hc_temp --csv >"$tmp/live.csv" 2>"$tmp/err" ||
    fail "export through the server: $(cat "$tmp/err")"
head -1 "$tmp/live.csv" | grep -qx 'time,bath_hc_temp,bath_hc_temp_quality' ||
    fail "export header through the server: $(head -2 "$tmp/live.csv")"
[ "$(wc -l <"$tmp/live.csv")" -ge 2 ] || fail "no rows through the server"
stop_server
say "the server ran, imported, and answered export; status --json has schema 2 and ISO times"

# ---- with the server stopped ------------------------------------------------------------
[ -s "$tmp/state/historian.db" ] || fail "no historian.db in the state directory"
M export --from -10m --to now --csv --units >"$tmp/off.csv" 2>"$tmp/err" ||
    fail "export with the server stopped: $(cat "$tmp/err")"
grep -q "no server running: read from $tmp/state/historian.db" "$tmp/err" ||
    fail "export did not say it read the file: $(cat "$tmp/err")"
python3 - "$tmp/off.csv" <<'EOF' || fail "the offline CSV"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, units, data = rows[0], rows[1], rows[2:]
assert head[0] == "time" and units[0] == "unit", (head[:3], units[:3])
assert len(head) % 2 == 1 and all(head[i + 1] == head[i] + "_quality" for i in range(1, len(head), 2)), head
i = head.index("bath_hc_temp")
assert units[i] == "degC" and units[i + 1] == "", units[i:i + 2]
assert len(data) >= 2, len(data)
for r in data:
    assert len(r) == len(head) and r[0].endswith("Z"), r
    for c in range(1, len(head), 2):
        assert r[c + 1] in ("", "GOOD", "BAD", "COMMS", "STALE"), r[c + 1]
        if r[c + 1] == "GOOD":
            float(r[c])
        else:
            assert r[c] == "", (head[c], r[c], r[c + 1])
EOF
M export --from -10m --to now --json >"$tmp/off.jsonl" 2>"$tmp/err" ||
    fail "export --json with the server stopped: $(cat "$tmp/err")"
python3 - "$tmp/off.jsonl" <<'EOF' || fail "the offline JSON lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 2
for l in lines:
    d = json.loads(l)
    k = list(d)
    assert k[0] == "time" and len(k) % 2 == 1 and "bath_hc_temp" in k, k
    for i in range(1, len(k), 2):
        assert k[i + 1] == k[i] + "_quality", k
        assert (d[k[i]] is None) == (d[k[i + 1]] != "GOOD"), d
        assert d[k[i]] is None or isinstance(d[k[i]], (int, float)), d
EOF
M export --from -10m --to now --json --units >/dev/null 2>"$tmp/err" && fail "--json --units accepted"
grep -q -- '--json writes JSON lines; --units is for CSV' "$tmp/err" || fail "--json --units: $(cat "$tmp/err")"
M export --from -10m --to now --tags no_such_tag >/dev/null 2>"$tmp/err" && fail "an unknown tag accepted"
grep -q 'no tag "no_such_tag" in' "$tmp/err" || fail "unknown tag: $(cat "$tmp/err")"

# the imported day, exactly as the old historian read it back
M export --from 2026-11-29T09:00:00Z --to 2026-11-30T02:00:00Z >"$tmp/old.csv" 2>"$tmp/err" ||
    fail "export of the imported days: $(cat "$tmp/err")"
# roof_temp is also a tag of this config: its id came first, at the start, before the import
head -1 "$tmp/old.csv" | grep -qx 'time,roof_temp,roof_temp_quality,bath_temp,bath_temp_quality,chamber_p,chamber_p_quality' ||
    fail "imported tags: $(head -1 "$tmp/old.csv")"
grep -qx '2026-11-29T10:00:04.000Z,,STALE,749.5,GOOD,-2,GOOD' "$tmp/old.csv" ||
    fail "imported row at 10:00:04: $(grep 10:00:04 "$tmp/old.csv")"
[ "$(wc -l <"$tmp/old.csv")" = 15 ] || fail "imported rows: $(wc -l <"$tmp/old.csv") lines, not 1 + 14"

M journal >"$tmp/j.txt" 2>"$tmp/err" || fail "journal with the server stopped: $(cat "$tmp/err")"
grep -q 'imported 28 samples from 2 old day files of .*(2026-11-29 to 2026-11-30)' "$tmp/j.txt" ||
    fail "the import is not in the journal: $(tail -5 "$tmp/j.txt")"
M journal --verify >"$tmp/v.txt" 2>&1 || fail "journal --verify with the server stopped: $(cat "$tmp/v.txt")"
M journal --follow >/dev/null 2>"$tmp/err" && fail "journal --follow without a server succeeded"
grep -q -- '--follow needs the server' "$tmp/err" || fail "journal --follow: $(cat "$tmp/err")"

# the README's example query, exactly as written there
q=$(sed -n '/<!-- historian-example -->/,/<!-- \/historian-example -->/p' "$SRC/README.md" | sed '1,2d;$d' | sed '$d')
[ -n "$q" ] || fail "no example query in README.md"
sqlite3 -readonly "$tmp/state/historian.db" "$q" >"$tmp/q.out" 2>&1 || fail "sqlite3: $(cat "$tmp/q.out")"
# the means of the good samples of 10:00 (tests/hist_v1/points.txt): roof_temp at the
# config's 1 decimal and unit, the others at 6 decimals and no unit (not in the config)
printf '%s\n' '2026-11-29T10:00Z|roof_temp|1115.0|degC' '2026-11-29T10:00Z|bath_temp|750.625|' \
    '2026-11-29T10:00Z|chamber_p|-2.0|' | cmp -s - "$tmp/q.out" ||
    fail "the README's query answered: $(cat "$tmp/q.out")"
say "server stopped: export (CSV, units, JSON lines), journal and the README's sqlite3 query read the files"

# ---- a slow disk: every fdatasync delayed 1.5 s ------------------------------------------
strace -f --seccomp-bpf -qq -e trace=fdatasync -e inject=fdatasync:delay_enter=1500000 \
    -o "$tmp/strace.log" "$MC" -c "$cfg" server -f >>"$tmp/srv.log" 2>&1 &
srvpid=$!
wait_for 100 M status || fail "the server under strace did not answer"
sleep 1
M status --json >"$tmp/a.json" || fail "status --json"
t0=$(date +%s)
sleep 8
M status --json >"$tmp/b.json" || fail "status --json"
slow_a=$(json 'd["cycle"]["slow"]' <"$tmp/a.json")
slow_b=$(json 'd["cycle"]["slow"]' <"$tmp/b.json")
cyc=$(($(json 'd["cycle"]["cycles"]' <"$tmp/b.json") - $(json 'd["cycle"]["cycles"]' <"$tmp/a.json")))
n=$(grep -c 'fdatasync.*(DELAYED)' "$tmp/strace.log")
[ "$n" -ge 3 ] || fail "strace delayed only $n fdatasync calls: $(tail -3 "$tmp/strace.log")"
# on the cycle's path each delayed fdatasync would make a slow cycle (1.5 s on a 250 ms
# period) and cost 6 cycles; a busy machine makes the odd slow cycle on its own
[ $((slow_b - slow_a)) -le 1 ] || fail "$((slow_b - slow_a)) slow cycles while the historian's disk was slow"
[ "$cyc" -ge 28 ] || fail "only $cyc cycles in 8 s"
M export --from "@$t0" --to now >"$tmp/slow.csv" 2>"$tmp/err" || fail "export: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/slow.csv")" -ge 3 ] || fail "no samples written while the disk was slow: $(cat "$tmp/slow.csv")"
# the server itself (its pid is in its lock file), then strace, which follows it out
p=$(server_pid) && kill -TERM "$p"
stop_server
say "slow disk: $n fdatasync calls delayed 1.5 s each, $cyc cycles, $((slow_b - slow_a)) slow; samples still written"
kill -TERM "$simpid" 2>/dev/null
wait "$simpid" 2>/dev/null
simpid=""
echo "t_historian: ok"
