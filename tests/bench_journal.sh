#!/bin/sh
# make bench: what the keyed chain costs (issue 15).  One journal line
# appended (no fsync: the writer syncs a round of lines at once) unkeyed
# (h=, SHA-256: the chain before the key) and keyed (k=, HMAC-SHA-256 with
# the furnace's key), and the hash step alone, medians of 7 rounds of 20000
# lines each (build/journalbench, tests/tool_journalbench.c).  Figures to
# read: nothing fails on a timing.
# Usage: bench_journal.sh BUILD_DIR
set -u
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
echo "== journal: one line appended, unkeyed (SHA-256) vs keyed (HMAC-SHA-256), medians of 7 x 20000 lines"
[ -x "$B/journalbench" ] || { echo "   SKIP: $B/journalbench is not built"; exit 0; }
"$B/journalbench" "$tmp" 20000 7 >"$tmp/out" || { echo "   journalbench failed"; exit 0; }
awk '
/^append unkeyed/ {au = $3} /^append keyed/ {ak = $3}
/^hash unkeyed/ {hu = $3} /^hash keyed/ {hk = $3}
END {
    printf "   append, no fsync:  unkeyed %.2f us/line, keyed %.2f us/line (x%.2f)\n", au / 1000, ak / 1000, ak / au
    printf "   hash step alone:   SHA-256 %.0f ns, HMAC-SHA-256 %.0f ns per 232-byte line, key set each time (x%.2f)\n", hu, hk, hk / hu
}' "$tmp/out"
