#!/bin/sh
# meltcon check-config as a maintenance engineer uses it: the shipped file
# passes with a one-line summary; a broken file gets every error, exit 1.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$MELTCON" check-config config/meltcon.ini) || fail "shipped config refused: $out"
echo "$out" | grep -q '^config/meltcon.ini: OK: furnace tcf1 (private), [0-9]* tags, 4 loops, [0-9]* alarms, [0-9]* programs$' \
    || fail "summary line: $out"

sed -e 's/^addr = ir:7$/addr = ir:7x/' -e 's/^port = 1502$/port = 12abc/' \
    -e 's/^\[cycle\]$/[cycel]/' config/meltcon.ini >"$tmp/bad.ini"
"$MELTCON" check-config "$tmp/bad.ini" >"$tmp/out" 2>&1 && fail "a broken file passed"
grep -q "bad.ini:[0-9]*: \[tag.o2_pct\] addr = \"ir:7x\": expected TABLE:ADDRESS" "$tmp/out" || fail "addr: $(cat "$tmp/out")"
grep -q "\[plc\] port = \"12abc\": not a whole decimal number" "$tmp/out" || fail "port: $(cat "$tmp/out")"
grep -q "\[cycel\]: unknown section (did you mean \"cycle\"?)" "$tmp/out" || fail "section: $(cat "$tmp/out")"
grep -q "nothing will start" "$tmp/out" || fail "no closing line"

MELTCON_CONFIG="$tmp/bad.ini" "$MELTCON" check-config >/dev/null 2>&1 && fail "MELTCON_CONFIG not used"
"$MELTCON" check-config --describe | grep -q '^\[tag.NAME\]' || fail "--describe"
echo ok
