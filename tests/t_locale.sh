#!/bin/sh
# Numbers whatever the locale.  The real chain - meltsim <- Modbus -> meltcon
# server <- socket -> consoles in tmux - under LANG=de_DE.UTF-8, whose decimal
# point is ',': meltsim, the server and one console run under it, a second
# console under LANG=C.UTF-8.  Both consoles show the same values with the
# same quality marks (under de_DE, with LC_ALL set by the console, every wire
# number read as 0 with no BAD/STALE mark); a setpoint of 745.5 typed in the
# de_DE console's dialog reaches the server as 745.5 (status --json and the
# journal line), not 745; the CLI under de_DE (LANG, and LC_ALL) sets 746.5
# and prints '.' decimals in status --json and status.  The sources never set
# LC_ALL or LC_NUMERIC.
#
# de_DE.UTF-8 is the system's when installed, else compiled by localedef
# from Debian's locales package (make deps) into this test's folder and
# found through LOCPATH: no root needed, the system left as it was.
set -u
TUI_TMP=$(mktemp -d)
chmod 755 "$TUI_TMP"
. "$(dirname "$0")/tui_lib.sh"
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
cfg=$TUI_TMP/m.ini
simpid=""
server_pid() { cat "$TUI_TMP/state/server.lock" 2>/dev/null; }
cleanup() {
    for s in "$TUI_TMP"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    p=$(server_pid)
    [ -n "$p" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null && kill "$p"
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TUI_TMP"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    tail -5 "$TUI_TMP/state/server.log" 2>/dev/null
    exit 1
}
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"
command -v python3 >/dev/null || fail "python3 is not installed (make deps)"

# ---- the sources: LC_CTYPE only, never LC_ALL or LC_NUMERIC
src=${MELTCON_SRC:-.}
bad=$(grep -rnE 'setlocale *\( *LC_(ALL|NUMERIC)' "$src/config" "$src/control" "$src/tui" "$src/simhw")
[ -z "$bad" ] || fail "a program sets the numeric locale (numbers must stay in the C locale): $bad"

# ---- a real de_DE.UTF-8
NOLC="-u LC_ALL -u LC_CTYPE -u LC_NUMERIC -u LANGUAGE"
DE="LANG=de_DE.UTF-8"
if ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\{0,1\}8'; then
    why=""
    if ! command -v localedef >/dev/null; then
        why="localedef is not installed"
    elif [ ! -f /usr/share/i18n/locales/de_DE ]; then
        why="/usr/share/i18n/locales/de_DE is missing"
    else
        mkdir "$TUI_TMP/locale"
        localedef -i de_DE -f UTF-8 "$TUI_TMP/locale/de_DE.UTF-8" >"$TUI_TMP/localedef.log" 2>&1
        [ -f "$TUI_TMP/locale/de_DE.UTF-8/LC_NUMERIC" ] ||
            why="localedef -i de_DE -f UTF-8 failed: $(tail -3 "$TUI_TMP/localedef.log")"
        DE="LOCPATH=$TUI_TMP/locale $DE"
    fi
    if [ -n "$why" ]; then
        [ "$(id -u)" -eq 0 ] && fail "cannot make the de_DE.UTF-8 locale: $why (Debian's locales package: make deps)"
        echo "SKIP: cannot make the de_DE.UTF-8 locale as $(id -un), not root: $why; make deps as root installs Debian's locales package"
        exit 0
    fi
fi
de() { env $NOLC $DE "$@"; }
dp=$(de locale decimal_point 2>&1)
[ "$dp" = "," ] || fail "de_DE.UTF-8 is not in effect: its decimal point reads \"$dp\", not \",\" ($DE)"

# ---- the chain, meltsim under de_DE
port=$("$B/mbtool" freeport) || fail "no free port"
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $TUI_TMP/m.sock|" \
    -e "s|^state_dir =.*|state_dir = $TUI_TMP/state|" \
    -e "s|^inject_socket =.*|inject_socket = $TUI_TMP/i.sock|" \
    -e "s/^engineer_group = .*/engineer_group = $(id -gn)/" config/meltcon.ini >"$cfg"
# (the test's own user is an engineer through its group, as root is anyway)
de "$MS" -c "$cfg" --port "$port" >>"$TUI_TMP/sim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "meltsim did not answer: $(tail -3 "$TUI_TMP/sim.log")"; sleep 0.05
done

# the de_DE console starts the server (which inherits de_DE), the C one attaches
tui_start de 200 50 "exec env $NOLC $DE $MC -c $cfg" || fail "tmux would not start"
tui_wait de 'Bath HC +[0-9]+ °C' 20 || fail "the de_DE console shows no bath temperature"
tui_wait de 'plc_clock +[1-9]' 20 || fail "the de_DE console shows no PLC clock"
[ -n "$(server_pid)" ] || fail "the console did not start a server"
tui_start c 200 50 "exec env $NOLC LANG=C.UTF-8 $MC -c $cfg" || fail "tmux would not start"
tui_wait c 'Bath HC +7[0-9]{2} °C' 20 || fail "the C console shows no bath temperature near 740"

# The Values column of the overview, one row per analog tag: NAME, the first
# number shown, and the row with every number written N (units, quality
# marks, alarm words and decimal separators compared as they are).
values() {
    tui_capture "$1" | awk -F'│' 'NF > 1 {
        s = $NF; sub(/^ +/, "", s)
        if (s !~ /^[a-z][a-z0-9_]* +/) next
        name = s; sub(/ .*/, "", name)
        rest = substr(s, length(name) + 1)
        num = "-"
        if (match(rest, /-?[0-9]+([.,][0-9]+)?/)) num = substr(rest, RSTART, RLENGTH)
        gsub(/[0-9]+/, "N", rest); gsub(/  +/, " ", rest)
        print name "\t" num "\t" rest }'
}
# same rows, same text around the numbers, numbers within 2 + 0.5 % (the
# two screens are captured a moment apart while the furnace runs)
same() { # FILE_A FILE_B
    awk -F'\t' 'NR == FNR { n[$1] = $2; r[$1] = $3; next }
        { rows++
          if (!($1 in n)) { print "only in one: " $1; bad++; next }
          if (r[$1] != $3) { print $1 ": \"" r[$1] "\" against \"" $3 "\""; bad++; next }
          a = n[$1]; b = $2
          if (a !~ /^-?[0-9]+(\.[0-9]+)?$/ || b !~ /^-?[0-9]+(\.[0-9]+)?$/) {
              if (a != b) { print $1 ": " a " against " b; bad++ }; next }
          d = a - b; if (d < 0) d = -d
          m = (a < 0 ? -a : a); if (m < (b < 0 ? -b : b)) m = (b < 0 ? -b : b)
          if (d > 2 + m * 0.005) { print $1 ": " a " against " b; bad++ } }
        END { if (rows < 20) { print "only " rows " value rows on the screen"; bad++ }
              exit bad > 0 }' "$1" "$2"
}
tui_keys de F2
tui_keys c F2
tui_wait de 'Values' || fail "no overview in the de_DE console"
i=0
while :; do
    values c >"$TUI_TMP/c.val"
    values de >"$TUI_TMP/de.val"
    same "$TUI_TMP/c.val" "$TUI_TMP/de.val" >"$TUI_TMP/diff" && break
    i=$((i + 1))
    if [ $i -ge 10 ]; then
        echo "C.UTF-8 and de_DE.UTF-8 consoles differ:"
        sed 's/^/    /' "$TUI_TMP/diff"
        echo "the de_DE screen:"
        tui_capture de | sed 's/^/    | /'
        fail "the de_DE console does not show the values the C console shows"
    fi
    sleep 0.3
done
echo "the same $(wc -l <"$TUI_TMP/c.val") values under C.UTF-8 and de_DE.UTF-8"

# ---- a setpoint typed in the de_DE console arrives as typed
tui_keys de F3
tui_wait de '^> bath ' || fail "bath is not the selected loop"
tui_keys de s
tui_wait de 'Setpoint of bath' || fail "no setpoint dialog"
tui_type de 745.5
tui_keys de Enter
tui_type de "locale test"
tui_keys de Enter
tui_wait de 'bath\.sp [0-9.]+ (→|->) 745\.5 °C\?' || fail "the dialog does not confirm 745.5"
tui_keys de y
tui_wait de 'Done: bath\.sp [0-9.]+ (->|→) 745\.5' || fail "the setpoint was not done as 745.5"
sp_of() { # the bath setpoint in status --json, as JSON text and as a number
    python3 -c 'import json, sys
d = json.load(sys.stdin)
print(repr([l["sp"] for l in d["loops"] if l["name"] == "bath"][0]))'
}
de "$MC" -c "$cfg" status --json >"$TUI_TMP/status.json" || fail "status --json under de_DE"
sp=$(sp_of <"$TUI_TMP/status.json") || fail "status --json under de_DE is not JSON: $(head -c 300 "$TUI_TMP/status.json")"
[ "$sp" = 745.5 ] || fail "the server holds bath.sp $sp, not the 745.5 typed"
de "$MC" -c "$cfg" journal >"$TUI_TMP/journal" 2>&1 || fail "journal under de_DE"
grep -Eq 'set bath\.sp [0-9.]+ -> 745\.5 reason="locale test" result="ok: bath\.sp [0-9.]+ -> 745\.5 ' \
    "$TUI_TMP/journal" || fail "no journal line for bath.sp -> 745.5: $(grep bath.sp "$TUI_TMP/journal")"

# ---- the CLI under de_DE: LANG, then LC_ALL
de "$MC" -c "$cfg" set bath.sp 746.5 --reason "cli under de_DE" >"$TUI_TMP/set.out" 2>&1 ||
    fail "set bath.sp 746.5 under LANG=de_DE.UTF-8: $(cat "$TUI_TMP/set.out")"
grep -q '745\.5 -> 746\.5' "$TUI_TMP/set.out" || fail "set says: $(cat "$TUI_TMP/set.out")"
env $NOLC ${DE%LANG=*} LC_ALL=de_DE.UTF-8 "$MC" -c "$cfg" status --json >"$TUI_TMP/status.json" ||
    fail "status --json under LC_ALL=de_DE.UTF-8"
sp=$(sp_of <"$TUI_TMP/status.json") || fail "status --json under LC_ALL=de_DE.UTF-8 is not JSON"
[ "$sp" = 746.5 ] || fail "the server holds bath.sp $sp after set 746.5"
grep -q '"sp":746\.5[,}]' "$TUI_TMP/status.json" || fail "status --json does not write \"sp\":746.5"
grep -Eq '[0-9],[0-9]' "$TUI_TMP/status.json" && fail "status --json has a decimal comma"
de "$MC" -c "$cfg" status >"$TUI_TMP/status.txt" || fail "status under de_DE"
grep -Eq '^bath +AUTO +746\.5 ' "$TUI_TMP/status.txt" || fail "status does not show bath 746.5: $(grep '^bath' "$TUI_TMP/status.txt")"
grep -Eq '[0-9],[0-9]' "$TUI_TMP/status.txt" && fail "status has a decimal comma: $(grep -E '[0-9],[0-9]' "$TUI_TMP/status.txt" | head -3)"
echo ok
