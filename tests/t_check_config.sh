#!/bin/sh
# meltcon check-config as a maintenance engineer uses it: the shipped file
# passes with a one-line summary; a broken file gets every error, exit 1.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$MELTCON" check-config config/meltcon.ini) || fail "shipped config refused: $out"
echo "$out" | grep -q '^config/meltcon.ini: OK: furnace tcf1 (private), [0-9]* tags, 5 loops, [0-9]* alarms, [0-9]* programs$' \
    || fail "summary line: $out"
echo "$out" | grep -qx 'config/meltcon.ini: alarms by priority: critical 3 (6 %), high 8 (17 %), medium 27 (56 %), low 10 (21 %)' \
    || fail "priority shares: $out"

# the philosophy's hard rule: a critical alarm that could be shelved is refused
sed '/^\[alarm.fuel_rich\]$/a max_shelve_min = 60' config/meltcon.ini >"$tmp/shelf.ini"
"$MELTCON" check-config "$tmp/shelf.ini" >"$tmp/out" 2>&1 && fail "a shelvable critical alarm passed"
grep -qF '[alarm.fuel_rich] max_shelve_min = "60": a critical alarm is never shelved' "$tmp/out" ||
    fail "shelvable critical: $(cat "$tmp/out")"

sed -e 's/^addr = ir:7$/addr = ir:7x/' -e 's/^port = 1502$/port = 12abc/' \
    -e 's/^\[cycle\]$/[cycel]/' config/meltcon.ini >"$tmp/bad.ini"
"$MELTCON" check-config "$tmp/bad.ini" >"$tmp/out" 2>&1 && fail "a broken file passed"
grep -q "bad.ini:[0-9]*: \[tag.o2_pct\] addr = \"ir:7x\": expected TABLE:ADDRESS" "$tmp/out" || fail "addr: $(cat "$tmp/out")"
grep -q "\[plc\] port = \"12abc\": not a whole decimal number" "$tmp/out" || fail "port: $(cat "$tmp/out")"
grep -q "\[cycel\]: unknown section (did you mean \"cycle\"?)" "$tmp/out" || fail "section: $(cat "$tmp/out")"
grep -q "nothing will start" "$tmp/out" || fail "no closing line"

# a value iniparser would cut at ';' (the shipped file before issue 11) is
# refused with its line, the value and the fix; quoted, it loads whole
sed 's/^action = "\(Burners to low fire; .*\)"$/action = \1/' config/meltcon.ini >"$tmp/cut.ini"
line=$(grep -n '^action = Burners to low fire; ' "$tmp/cut.ini" | cut -d: -f1)
[ -n "$line" ] || fail "no roof_hh action in the shipped file"
"$MELTCON" check-config "$tmp/cut.ini" >"$tmp/out" 2>&1 && fail "a value cut at ';' passed"
grep -qF "cut.ini:$line: [alarm.roof_hh] action = \"Burners to low fire; the PLC limiter trips at 1250\": iniparser would read only \"Burners to low fire\"" "$tmp/out" ||
    fail "cut value: $(cat "$tmp/out")"
grep -qF 'quote it: action = "Burners to low fire; the PLC limiter trips at 1250"' "$tmp/out" ||
    fail "no fix: $(cat "$tmp/out")"
[ "$(grep -c ': \[' "$tmp/out")" = 1 ] || fail "more than the one error: $(cat "$tmp/out")"

MELTCON_CONFIG="$tmp/bad.ini" "$MELTCON" check-config >/dev/null 2>&1 && fail "MELTCON_CONFIG not used"
"$MELTCON" check-config --describe | grep -q '^\[tag.NAME\]' || fail "--describe"
echo ok
