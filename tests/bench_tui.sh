#!/bin/sh
# make bench: the bytes per second the operator console writes to its terminal
# at steady state (issue 6; tests/README.md, 'Targets'), on the overview and the trend screen
# at 80x24 and 200x50, against the real meltsim + server (and the scripted
# fakeserver), side by side with htop at the same sizes and a 1 s refresh
# (htop -d 10).  Goal: the console's overview at 80x24 below htop's.
# Then every screen at 80x24 on the real chain (issue 14: goal <= 500 B/s
# each, usable over a 9600-baud line, and below htop), four at a time.
# Method: each program runs under script(1) in a pty of the given size, once
# for SHORT and once for LONG seconds, side by side; the bytes script passes
# to its stdout are counted and (LONG - SHORT) / (LONG - SHORT seconds) is the
# steady rate (the start-up repaint and the exit cancel out).  Median of REPS.
# The console draws at most 4 frames a second on new data (the shipped config
# sends 4 snapshots a second) and at least one a second.
# Nothing fails on a figure; everything is stopped by its pid.
# Usage: bench_tui.sh BUILD_DIR    (BENCH_TUI_SHORT, BENCH_TUI_LONG, BENCH_TUI_REPS:
#                                   defaults 3 s, 10 s, 3)
set -u
B=${1:-build}
T1=${BENCH_TUI_SHORT:-3}
T2=${BENCH_TUI_LONG:-10}
REPS=${BENCH_TUI_REPS:-3}
MC=$B/meltcon
tmp=$(mktemp -d)
simpid=""
srvpid=""
fakepid=""
# A console that finds no server starts one detached (its pid in the lock file):
# if that happened, it is ours to stop too.
daemon_pid() {
    p=$(cat "$tmp/state/server.lock" 2>/dev/null) || return 1
    [ -n "$p" ] && [ "$p" != "$srvpid" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null &&
        echo "$p"
}
cleanup() {
    for p in $srvpid $fakepid $simpid $(daemon_pid); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "   $*"; }
skip() { echo "   SKIP: $*"; exit 0; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== console: bytes/s written to the terminal at steady state, beside htop"
for p in "$MC" "$B/meltsim" "$B/mbtool"; do
    [ -x "$p" ] || skip "$p is not built"
done
command -v script >/dev/null || skip "script (util-linux) is not installed"
command -v python3 >/dev/null || skip "python3 is needed to read status --json"
HTOP=$(command -v htop) || say "(htop is not installed: make bench installs it; its row shows -)"
export TERM=xterm-256color
unset NO_COLOR
if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then
    export LC_ALL=C.UTF-8
fi
loc=${LC_ALL:-${LANG:-C}}

# ---- the real furnace: meltsim + server on a temp config --------------------------------
port=$("$B/mbtool" freeport) || skip "no free port"
cfg=$tmp/m.ini
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $tmp/state|" \
    -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" config/meltcon.ini >"$cfg"
sed -e "s|^socket =.*|socket = $tmp/f.sock|" "$cfg" >"$tmp/f.ini"
"$B/meltsim" -c "$cfg" --port "$port" >"$tmp/sim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && { cat "$tmp/sim.log"; skip "meltsim did not answer"; }
    sleep 0.1
done
"$MC" -c "$cfg" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
up() {
    "$MC" -c "$cfg" status --json 2>/dev/null |
        python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["link"]["state"] != "UP")' \
            2>/dev/null
}
i=0
until up; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$tmp/srv.log"; skip "the server did not come up"; }
    sleep 0.1
done
if [ -x "$B/fakeserver" ]; then
    "$B/fakeserver" -c "$tmp/f.ini" -s "$tmp/f.sock" -l "$tmp/fake.log" >/dev/null 2>&1 &
    fakepid=$!
    i=0
    while [ ! -S "$tmp/f.sock" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
    [ -S "$tmp/f.sock" ] || fakepid=""
fi
sleep 2 # a little history for the trend screen

# tty_run NAME COLS ROWS SECONDS CMD: run CMD in a COLS x ROWS pty for SECONDS
# (the console leaves by itself; htop gets `timeout`): the bytes into
# $tmp/NAME, CMD's exit status into $tmp/NAME.rc.  stdin is a pipe held open,
# so script never passes an end of file to the program as a key.
tty_run() {
    tn=$1 tc=$2 tr=$3 tt=$4; shift 4
    (sleep $((tt + 2)) | {
        script -q -e -c "stty cols $tc rows $tr; exec $*" /dev/null 2>/dev/null
        echo $? >"$tmp/$tn.rc"
    } | wc -c >"$tmp/$tn") &
    jobs_pids="$jobs_pids $!"
}
# pair NAME COLS ROWS CMD-WITHOUT-TIME MODE: a short and a long run side by side;
# MODE console appends --bench-seconds T, MODE timeout prefixes timeout T.
pair() {
    n=$1 c=$2 r=$3 cmd=$4 mode=$5
    for t in "$T1" "$T2"; do
        if [ "$mode" = console ]; then
            tty_run "$n.$t" "$c" "$r" "$t" "$cmd --bench-seconds $t"
        else
            tty_run "$n.$t" "$c" "$r" "$t" "timeout $t $cmd"
        fi
    done
}
# settle: wait for this batch, then add each pair's rate to $tmp/NAME.rates;
# a run that failed (exit status other than 0, or 124 from timeout) counts not.
settle() {
    for p in $jobs_pids; do wait "$p"; done
    jobs_pids=""
    for f in "$tmp"/*."$T1"; do
        [ -e "$f" ] || continue
        n=${f%."$T1"}
        ok=1
        for rc in "$f.rc" "$n.$T2.rc"; do
            case $(cat "$rc" 2>/dev/null) in
            0 | 124) ;;
            *) ok=0; say "WARNING: ${rc##*/}: exit status $(cat "$rc" 2>/dev/null)" ;;
            esac
        done
        [ $ok = 1 ] && awk -v a="$(cat "$f")" -v b="$(cat "$n.$T2")" -v d="$((T2 - T1))" \
            'BEGIN { printf "%.0f\n", (b - a) / d }' >>"$n.rates"
        rm -f "$f" "$n.$T2" "$f.rc" "$n.$T2.rc"
    done
}

jobs_pids=""
con="$MC -c $cfg"
fake="$MC -c $tmp/f.ini"
rep=0
while [ $rep -lt "$REPS" ]; do
    rep=$((rep + 1))
    # the consoles together (they do not see each other), then htop on its own
    pair ov80 80 24 "$con --screen overview" console
    pair ov200 200 50 "$con --screen overview" console
    pair tr80 80 24 "$con --screen trends" console
    pair tr200 200 50 "$con --screen trends" console
    if [ -n "$fakepid" ]; then
        pair fov80 80 24 "$fake --screen overview" console
        pair fov200 200 50 "$fake --screen overview" console
    fi
    settle
    if [ -n "${HTOP:-}" ]; then
        pair ht80 80 24 "$HTOP -d 10" timeout
        pair ht200 200 50 "$HTOP -d 10" timeout
        settle
    fi
done
# every screen at 80x24, four consoles side by side (eight programs) per batch
SCREENS="overview loops commands alarms trends events diag help"
rep=0
while [ $rep -lt "$REPS" ]; do
    rep=$((rep + 1))
    k=0
    for s in $SCREENS; do
        pair "s80_$s" 80 24 "$con --screen $s" console
        k=$((k + 1))
        [ $((k % 4)) = 0 ] && settle
    done
    settle
done
kill -0 "$srvpid" 2>/dev/null || say "WARNING: the server ended: $(tail -2 "$tmp/srv.log")"

rate() { [ -s "$tmp/$1.rates" ] && median <"$tmp/$1.rates" || echo -; }
runs() { [ -s "$tmp/$1.rates" ] && tr '\n' ' ' <"$tmp/$1.rates" | sed 's/ $//'; }
ratio() {
    awk -v a="$1" -v b="$2" \
        'BEGIN { if (a != "-" && b != "-" && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}
row() { # LABEL NAME80 NAME200
    printf '   %-36s %8s %8s     (runs: %s | %s)\n' "$1" "$(rate "$2")" "$(rate "$3")" \
        "$(runs "$2")" "$(runs "$3")"
}
echo "-- $TERM, $loc; steady rate from ${T1} s and ${T2} s runs, median of $REPS, in B/s" \
    "(goal: the overview at 80x24 below htop)"
printf '   %-36s %8s %8s\n' "" 80x24 200x50
row "console overview (meltsim + server)" ov80 ov200
row "console trends   (meltsim + server)" tr80 tr200
[ -n "$fakepid" ] && row "console overview (fakeserver)" fov80 fov200
row "htop -d 10 (1 s refresh)" ht80 ht200
say "ratio console overview / htop: $(ratio "$(rate ov80)" "$(rate ht80)") at 80x24 (goal < 1)," \
    "$(ratio "$(rate ov200)" "$(rate ht200)") at 200x50"
echo "-- every screen at 80x24 (meltsim + server), B/s, median of $REPS; goal <= 500 and below htop" \
    "($(rate ht80) B/s)"
for s in $SCREENS; do
    r=$(rate "s80_$s")
    verdict=$(awk -v r="$r" -v h="$(rate ht80)" 'BEGIN { if (r == "-") print "-";
        else printf "%s%s", (r + 0 <= 500 ? "<= 500" : "> 500 (over the goal)"),
            (h != "-" ? (r + 0 < h + 0 ? ", below htop" : ", NOT below htop") : "") }')
    printf '   %-12s %8s     %s   (runs: %s)\n' "$s" "$r" "$verdict" "$(runs "s80_$s")"
done
