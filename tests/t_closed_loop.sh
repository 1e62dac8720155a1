#!/bin/sh
# The closed-loop harness (tests/tool_closed-loop.c) under make test: an 8-hour normal
# shift judged on the targets of tests/README.md, then every scenario of simhw/scenarios
# (a scenario that says the furnace is holding runs with --hold, the operator holding
# instead of working a shift; heavy_organics with --organics 9, the 9 % its situation tells
# the operator, who declares the scrap oily and charges what the recipe allows) and two faults of
# the PLC link (the ir block refused for 30 s, the connection dropped for 20 s, both at
# 10 min) judged on what an operator expects (the table `expects` in
# tests/closed_loop_expect.c).  Every run also judges the link's read transactions per
# cycle against the read plan and the command handshake as the PLC received it.  Every
# part runs; the test fails if any part misses, and shows the report of each part that
# did.  About 1 s in all (~3x that under SANITIZE=1); nothing here is judged on wall time.
set -u
B=${BUILD_DIR:-build}
CL="$B/closed-loop"
[ -x "$CL" ] || { echo "FAIL: $CL is not built"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=""
part() { # NAME ARGS...
    name=$1; shift
    if "$CL" -c config/meltcon.ini --quiet "$@" >"$tmp/$name" 2>&1; then
        echo "ok   $name: $(grep -c '^  ok' "$tmp/$name") checks met"
    else
        failed="$failed $name"
        echo "FAIL $name: $(grep -c '^  FAIL' "$tmp/$name") missed"
    fi
}
part shift --hours 8
for f in simhw/scenarios/*.ini; do
    s=$(basename "$f" .ini)
    case $s in
    drifting_roof_tc) part "$s" --hours 1.5 --hold --script "$f" ;;
    heavy_organics) part "$s" --hours 1.5 --organics 9 --script "$f" ;;
    *) part "$s" --hours 1.5 --script "$f" ;;
    esac
done
part link_refuse --hours 1.5 --link-fault refuse:ir:2,600,30
part link_drop --hours 1.5 --link-fault drop,600,20
[ -z "$failed" ] && { echo ok; exit 0; }
for name in $failed; do
    echo "--- $name"
    cat "$tmp/$name"
done
echo "missed:$failed"
exit 1
