#!/bin/sh
# t_check_layers — make check-layers (tests/check_layers.sh) passes on the
# real tree, and catches each kind of violation planted in a copy of it.
#
# The copy holds the source folders and this build's config/ and
# control/core/ objects (BUILD_DIR from tests/run.sh, else build/), so no
# rebuild is needed; a planted .c is compiled into the copy's objects.  Each
# plant runs the check alone and must add exactly the violations expected,
# with their sentences (file:line: what: why): never merely "it failed".
set -u
SRC=${MELTCON_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD_DIR:-$SRC/build}
CC=${CC:-cc}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
fails=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; fails=$((fails + 1)); }

# count OUTPUT_FILE: the number of violations the check's last line reports
count() {
    tail -1 "$1" | awk '/^check-layers: ok/ { print 0; exit }
        /^check-layers: [0-9]+ violations/ { print $2; exit } { print "?" }'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_check_layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- 1. the real tree -------------------------------------------------------
(cd "$SRC" && sh tests/check_layers.sh "$BUILD") >"$tmp/real.out" 2>&1
real_rc=$?
if [ $real_rc -eq 0 ] && [ "$(count "$tmp/real.out")" = 0 ]; then
    ok "the real tree keeps its layers: $(tail -1 "$tmp/real.out")"
else
    bad "the real tree breaks its layers (exit $real_rc):"
    sed 's/^/    /' "$tmp/real.out"
fi

# --- 2. the copy --------------------------------------------------------------
cp -r "$SRC/config" "$SRC/control" "$SRC/tui" "$SRC/simhw" "$tmp/"
mkdir -p "$tmp/tests" "$tmp/build/obj/control"
cp "$SRC/tests/check_layers.sh" "$tmp/tests/"
cp -r "$BUILD/obj/config" "$tmp/build/obj/" &&
cp -r "$BUILD/obj/control/core" "$tmp/build/obj/control/" || {
    echo "FAIL no objects in $BUILD/obj (build first: make check-layers)"; exit 1; }
cd "$tmp" || exit 1

check() { sh tests/check_layers.sh build >"$1" 2>&1; }
check base.out; base_rc=$?
base=$(count base.out)
if [ "$base" = "$(count real.out)" ] && [ $base_rc = $real_rc ]; then
    ok "the copy checks as the real tree does ($base violations)"
else
    bad "the copy does not check as the real tree does: $(tail -1 base.out)"
fi

# plant NAME N: the check after planting must fail with N more violations
# than the unplanted copy and print every line of expect (fixed strings,
# one per line), and none of refuse.
expect=""; refuse=""
plant() {
    name=$1; n=$2
    check "$name.out"; rc=$?
    got=$(count "$name.out")
    good=1
    if [ $rc -ne 1 ]; then bad "$name: the check exited $rc, not 1"; good=0; fi
    if [ "$got" = "?" ] || [ "$got" -ne $((base + n)) ]; then
        bad "$name: $got violations, expected $base + ($n)"; good=0
    fi
    printf '%s\n' "$expect" | while IFS= read -r e; do
        [ -n "$e" ] || continue
        grep -qF -- "$e" base.out && echo "VACUOUS $e"
        grep -qF -- "$e" "$name.out" || echo "MISSING $e"
    done >"$name.miss"
    printf '%s\n' "$refuse" | while IFS= read -r e; do
        [ -n "$e" ] || continue
        grep -qF -- "$e" "$name.out" && echo "UNWANTED $e"
    done >>"$name.miss"
    if [ -s "$name.miss" ]; then
        bad "$name:"; sed 's/^/    /' "$name.miss"; good=0
    fi
    if [ $good = 1 ]; then
        ok "$name"
    else
        echo "    the check printed:"; sed 's/^/    | /' "$name.out"
    fi
    expect=""; refuse=""
}
# lines FILE: how many lines FILE has (the next appended line is lines+1)
lines() { wc -l <"$1" | tr -d ' '; }
# cc_obj FILE.c: compile a planted file into the copy's objects
cc_obj() {
    o=build/obj/${1%.c}.o
    $CC -std=c11 -g -O2 -D_GNU_SOURCE -Iconfig -Icontrol/core -c "$1" -o "$o" ||
        bad "could not compile the planted $1"
}

# a. A core source includes a server header.
core_c=$(ls control/core/*.c | head -1)
srv_h=control/server/server.h; [ -e $srv_h ] || srv_h=$(ls control/server/*.h | head -1)
cp "$core_c" "$core_c.orig"
n=$(($(lines "$core_c") + 1))
echo "#include \"${srv_h##*/}\"" >>"$core_c"
expect="$core_c:$n: include: \"${srv_h##*/}\" is $srv_h, from control/server/; the functional core (control/core) may include only control/core/ and config/ headers"
plant "core includes ${srv_h##*/}" 1
mv "$core_c.orig" "$core_c"

# b. A core object does file I/O and reads the clock (and includes <time.h>
#    and <unistd.h> for it).  Line numbers below are those of the file.
cat >control/core/zz_planted_io.c <<'EOF'
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int planted_io(void);
int planted_io(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    FILE *f = fopen("/dev/null", "r");
    if (f)
        fclose(f);
    return (int)ts.tv_sec + (int)getpid();
}
EOF
cc_obj control/core/zz_planted_io.c
expect="control/core/zz_planted_io.c:2: include: <time.h> in the functional core; it may include only the C standard's pure headers
control/core/zz_planted_io.c:3: include: <unistd.h> in the functional core
control/core/zz_planted_io.c:8: purity: build/obj/control/core/zz_planted_io.o needs clock_gettime, which is neither in control/core, nor a pure config/ helper, nor on the allow-list of pure libc functions: the functional core does no I/O, reads no clock
control/core/zz_planted_io.c:9: purity: build/obj/control/core/zz_planted_io.o needs fopen, which is neither in control/core
control/core/zz_planted_io.c:11: purity: build/obj/control/core/zz_planted_io.o needs fclose, which is neither in control/core
control/core/zz_planted_io.c:12: purity: build/obj/control/core/zz_planted_io.o needs getpid, which is neither in control/core"
plant "core calls fopen and clock_gettime" 6
rm -f control/core/zz_planted_io.c build/obj/control/core/zz_planted_io.o

# c. Purity of config/ is computed, not listed: a pure helper is fine for
#    the core, an impure one is not, nor one that is impure only because it
#    calls an impure one; two pure helpers calling each other stay pure.
cat >config/zz_pure_a.c <<'EOF'
#include <string.h>
unsigned long zz_pure_a(const char *s, int d);
unsigned long zz_pure_b(const char *s, int d);
unsigned long zz_pure_a(const char *s, int d) { return d > 0 ? zz_pure_b(s, d - 1) : strlen(s); }
EOF
cat >config/zz_pure_b.c <<'EOF'
unsigned long zz_pure_a(const char *s, int d);
unsigned long zz_pure_b(const char *s, int d);
unsigned long zz_pure_b(const char *s, int d) { return d > 0 ? zz_pure_a(s, d - 1) : 1; }
EOF
cat >config/zz_impure.c <<'EOF'
#include <stdlib.h>
const char *zz_impure(void);
const char *zz_impure(void) { return getenv("MELTCON"); }
EOF
cat >config/zz_chain.c <<'EOF'
const char *zz_impure(void);
const char *zz_chain(void);
const char *zz_chain(void) { return zz_impure(); }
EOF
cat >control/core/zz_planted_cfg.c <<'EOF'
unsigned long zz_pure_a(const char *s, int d);
const char *zz_impure(void);
const char *zz_chain(void);
unsigned long zz_planted_cfg(void);
unsigned long zz_planted_cfg(void)
{
    return zz_pure_a("x", 3) + (zz_impure() != 0) + (zz_chain() != 0);
}
EOF
for f in config/zz_pure_a.c config/zz_pure_b.c config/zz_impure.c config/zz_chain.c control/core/zz_planted_cfg.c; do
    cc_obj $f
done
expect="control/core/zz_planted_cfg.c:7: purity: build/obj/control/core/zz_planted_cfg.o needs zz_impure, defined by config/zz_impure.o, which is not pure (it needs getenv)
control/core/zz_planted_cfg.c:7: purity: build/obj/control/core/zz_planted_cfg.o needs zz_chain, defined by config/zz_chain.o, which is not pure (it needs zz_impure from config/zz_impure.o, not pure)"
refuse="needs zz_pure_a
needs zz_pure_b"
plant "core calls impure config helpers, directly and through another" 2
rm -f config/zz_*.c build/obj/config/zz_*.o control/core/zz_planted_cfg.c build/obj/control/core/zz_planted_cfg.o

# d. A core file includes config/clock.h (the one config header it may not).
if [ -e config/clock.h ]; then
    printf '#include "cfg.h"\n#include "clock.h"\n' >control/core/zz_planted.h
    expect="control/core/zz_planted.h:2: include: \"clock.h\" is config/clock.h; the core is given its times as arguments and never reads a clock"
    refuse="zz_planted.h:1:"
    plant "core includes clock.h" 1
    rm -f control/core/zz_planted.h
fi

# e. meltsim includes the core's header beyond the tag codec and the PLC
#    contract (which it may include).
core_h=control/core/core.h; [ -e $core_h ] || core_h=$(ls control/core/*.h | grep -v -e /tag.h -e /plc_contract.h | head -1)
printf '#include "tag.h"\n#include "plc_contract.h"\n#include "%s"\n' "${core_h##*/}" >simhw/zz_planted.h
expect="simhw/zz_planted.h:3: include: \"${core_h##*/}\" is $core_h, from control/core/; meltsim (simhw) may include only simhw/ and config/ headers, and of control/ only the PLC contract (control/core/plc_contract.h) and the tag codec (control/core/tag.h)"
refuse="simhw/zz_planted.h:1:
simhw/zz_planted.h:2:"
plant "simhw includes ${core_h##*/}" 1
rm -f simhw/zz_planted.h

# f. config/ includes the tag codec.
printf '/* planted */\n#include "tag.h"\n' >config/zz_planted.h
expect="config/zz_planted.h:2: include: \"tag.h\" is control/core/tag.h, from control/core/; config/ is the bottom layer and may include only config/ headers"
plant "config includes tag.h" 1
rm -f config/zz_planted.h

# g. The console includes the simulator; the server the console; the wire
#    the server.
sim_h=$(ls simhw/*.h | head -1); tui_h=$(ls tui/*.h | head -1)
printf '#include "%s"\n' "${sim_h##*/}" >tui/zz_planted.h
printf '#include "%s"\n' "${tui_h##*/}" >control/server/zz_planted.h
printf '#include "%s"\n' "${srv_h##*/}" >control/wire/zz_planted.h
expect="tui/zz_planted.h:1: include: \"${sim_h##*/}\" is $sim_h, from simhw/; the console (tui) may include only tui/, control/*/ and config/ headers
control/server/zz_planted.h:1: include: \"${tui_h##*/}\" is $tui_h, from tui/; the server shell (control/server) may include only
control/wire/zz_planted.h:1: include: \"${srv_h##*/}\" is $srv_h, from control/server/; the client protocol (control/wire) may include only"
plant "tui includes simhw, server includes tui, wire includes server" 3
rm -f tui/zz_planted.h control/server/zz_planted.h control/wire/zz_planted.h

# h. A header nobody can find, and a folder with no rule.
mkdir control/extra
printf '#include "cfg.h"\n' >control/extra/x.h
printf '\n#include "zz_nowhere.h"\n' >tui/zz_planted.h
expect="control/extra/x.h:1: folder: control/extra/ is in no layer rule
tui/zz_planted.h:2: include: \"zz_nowhere.h\" is in none of"
plant "unknown folder and unresolvable include" 2
rm -rf control/extra tui/zz_planted.h

# i. A core object that is missing cannot pass for a pure one.
core_o=build/obj/${core_c%.c}.o
mv "$core_o" "$core_o.away"
expect="$core_c:1: object: build/obj/${core_c%.c}.o is missing, so the purity of $core_c cannot be checked"
n=$((1 - $(grep -c ": purity: " base.out)))  # and no purity verdict at all
plant "a core object is missing" $n
mv "$core_o.away" "$core_o"

# And the copy is back to what it was.
check after.out
if [ "$(count after.out)" = "$base" ]; then ok "the copy checks as before once the plants are gone"
else bad "the copy does not check as before: $(tail -1 after.out)"; fi

echo "t_check_layers: $fails failed"
[ $fails -eq 0 ]
