#!/bin/sh
# coverage.sh — line coverage of a gcov build (make coverage), per folder and
# in total, from the counts the test run left beside the objects.
# Usage: sh tests/coverage.sh BUILD_DIR        (from the source root)
# gcovr (Debian's, `make deps DEPS_EXTRA=coverage`) runs gcov on every
# object, also those no test reached (their lines count as not run); its
# per-file table and an HTML report go to BUILD_DIR/coverage/.  tests/ itself
# is not counted: only the product's folders are.
BUILD=${1:-build/cov}
out=$BUILD/coverage
command -v gcovr >/dev/null 2>&1 || {
    echo "coverage: gcovr is missing; make deps DEPS_EXTRA=coverage (or apt-get install gcovr)" >&2; exit 2; }
[ -d "$BUILD/obj" ] || { echo "coverage: no $BUILD/obj; run make coverage" >&2; exit 2; }
ls "$BUILD"/obj/*/*.gcno "$BUILD"/obj/*/*/*.gcno >/dev/null 2>&1 || {
    echo "coverage: no .gcno under $BUILD/obj: not a coverage build (make coverage builds one)" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"

# gcovr's filters are regular expressions on paths relative to the root.
gcovr -r . -j 2 \
    --filter 'config/' --filter 'control/' --filter 'tui/' --filter 'simhw/' \
    --txt "$out/coverage.txt" --html-details "$out/index.html" \
    --json-summary "$out/summary.json" "$BUILD/obj" >"$out/gcovr.log" 2>&1 || {
    echo "coverage: gcovr failed:" >&2; sed 's/^/    /' "$out/gcovr.log" >&2; exit 1; }

python3 - "$out/summary.json" "$out" <<'EOF'
import json, sys
summary, out = sys.argv[1], sys.argv[2]
folders = ["config", "control/core", "control/wire", "control/server", "tui", "simhw"]
got = {f: [0, 0, 0] for f in folders + ["other"]}      # covered, total, files
for f in json.load(open(summary))["files"]:
    name = f["filename"]
    home = next((d for d in sorted(folders, key=len, reverse=True)
                 if name.startswith(d + "/")), "other")
    got[home][0] += f["line_covered"]
    got[home][1] += f["line_total"]
    got[home][2] += 1
pct = lambda c, t: "%5.1f %%" % (100.0 * c / t) if t else "    - "
print("line coverage of the test suite (per file: %s/coverage.txt, HTML: %s/index.html)" % (out, out))
tc = tt = 0
for d in folders + ["other"]:
    c, t, n = got[d]
    if d == "other" and not n:
        continue
    print("  %-16s %s   %6d of %6d lines  (%d files)" % (d, pct(c, t), c, t, n))
    tc += c; tt += t
print("  %-16s %s   %6d of %6d lines" % ("total", pct(tc, tt), tc, tt))
if tt == 0:
    sys.exit("coverage: no line counted at all")
EOF
