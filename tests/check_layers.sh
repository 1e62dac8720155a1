#!/bin/sh
# check_layers.sh — the layering of meltcon, checked rather than hoped for
# (the house style: "layers are checked, not hoped for").  `make check-layers` runs
# it after building the objects; `make test` runs that before the tests.
#
# Usage: sh tests/check_layers.sh [BUILD_DIR]     (from the source root;
#        BUILD_DIR defaults to build; objects are BUILD_DIR/obj/<src>.o)
#
# Two checks, both by rule over whatever files the folders hold today:
#
#  1. Includes.  Every `#include "x.h"` in config/, control/*/, tui/ and
#     simhw/ is resolved the way the compiler does (the including file's own
#     folder, then the -I folders of the Makefile, in order) and the folder it
#     lands in must be one the including folder may depend on:
#         config          -> config
#         control/core    -> control/core, config (never config/clock.h)
#         control/wire    -> control/wire, control/core, config
#         control/server  -> control/server, control/wire, control/core, config
#         tui             -> tui, control/*, config
#         simhw           -> simhw, config, and of control/ only
#                            control/core/plc_contract.h and control/core/tag.h
#     tests/ may include anything and is not checked.  A folder with sources
#     that is in no rule is itself a violation (give it a rule here).
#     System headers `#include <...>` in control/core must be on a short list
#     of the C standard's pure headers (SYSTEM_OK below).
#
#  2. Purity.  `nm -u` on every control/core object: each symbol it needs
#     must be defined by another control/core object, or by a *pure* config/
#     object, or be on ALLOW below (libc functions that only compute on the
#     caller's memory, and compiler/sanitizer/coverage instrumentation).
#     A config object is pure when everything it needs is on ALLOW or defined
#     by pure config objects: computed here (largest such set), never listed.
#
# Each violation is one line, "file:line: what: why"; the last line counts
# them.  Exit status 0 when there are none, 1 otherwise, 2 on a usage error.

BUILD=${1:-build}
LC_ALL=C
export LC_ALL

for d in config control/core; do
    [ -d "$d" ] || { echo "check-layers: run me from the source root (no $d/ here)" >&2; exit 2; }
done
for t in nm objdump awk; do
    command -v $t >/dev/null 2>&1 || { echo "check-layers: $t is missing (binutils)" >&2; exit 2; }
done

# The -I order of the Makefile: where "x.h" is looked for after the
# including file's own folder.
SEARCH="config control/core control/wire control/server simhw tui"

# System headers the functional core may include: the C standard's headers
# that declare only types, macros and computations on the caller's memory.
# stdio.h stays for snprintf (the purity check refuses FILE I/O by symbol),
# stdlib.h for strtod/qsort (it refuses malloc, getenv, exit the same way).
# Not here, on purpose: time.h (the core is given its times), threads.h,
# stdatomic.h, signal.h, setjmp.h, locale.h, and every POSIX or library
# header (unistd.h, pthread.h, sys/*, modbus.h, ncurses, iniparser): those
# are the shell's business.
SYSTEM_OK="assert.h complex.h ctype.h errno.h float.h inttypes.h iso646.h
limits.h math.h stdalign.h stdarg.h stdbool.h stddef.h stdint.h stdio.h
stdlib.h stdnoreturn.h string.h strings.h tgmath.h"

# Symbols a pure object may need besides its own layer's.  One per line;
# a trailing * is a prefix.  Anything else - FILE I/O, stdout/stderr, clocks,
# sleeping, malloc/free, getenv, rand (hidden state), strtok (hidden state),
# strerror, setlocale, exit/abort/__assert_fail (a controller must not stop
# itself) - makes the object impure.
ALLOW='
# memory and strings, on the caller'"'"'s buffers
memcpy
memmove
memset
memcmp
memchr
memrchr
strlen
strnlen
strcmp
strncmp
strcasecmp
strncasecmp
strchr
strrchr
strstr
strpbrk
strcspn
strspn
strtok_r
# numbers parsed from and formatted into the caller'"'"'s buffers (LC_NUMERIC
# stays "C": numbers are parsed in the C locale)
strtod
strtof
strtol
strtoll
strtoul
strtoull
snprintf
vsnprintf
# _FORTIFY_SOURCE spellings of the above (hardened builds)
__snprintf_chk
__vsnprintf_chk
__memcpy_chk
__memmove_chk
__memset_chk
# sorting and searching the caller'"'"'s arrays
qsort
bsearch
# ctype: isdigit() and friends read a constant table through these
__ctype_b_loc
__ctype_tolower_loc
__ctype_toupper_loc
tolower
toupper
# errno is thread-local; strtod/strtol report range errors through it
__errno_location
# math
sqrt
exp
expm1
log
log10
log1p
pow
fabs
floor
ceil
round
lround
llround
lrint
rint
trunc
nearbyint
fmod
fmin
fmax
hypot
copysign
sin
cos
tan
atan
atan2
tanh
__isnan
__isinf
__finite
__fpclassify
__signbit
# instrumentation, not program behaviour: the stack protector, the
# sanitizers (make SANITIZE=1), gcov (make coverage), PIC addressing
__stack_chk_fail
__asan_*
__ubsan_*
__sanitizer_*
__gcov_*
_GLOBAL_OFFSET_TABLE_
'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---------------------------------------------------------------- includes
# Every file of every folder that holds sources (tests/ excepted).
find config control tui simhw -name '*.[ch]' 2>/dev/null | sort >"$tmp/files"
# path:line:text of each #include line (a file without any gives nothing)
tr '\n' '\0' <"$tmp/files" | xargs -0 grep -Hn '^[[:space:]]*#[[:space:]]*include' >"$tmp/incs" 2>/dev/null

awk -v search="$SEARCH" -v sysok="$SYSTEM_OK" '
function layer(p) {
    if (p ~ /^config\/[^\/]+$/) return "config"
    if (p ~ /^control\/(core|wire|server)\/[^\/]+$/) { split(p, a, "/"); return "control/" a[2] }
    if (p ~ /^tui\/[^\/]+$/) return "tui"
    if (p ~ /^simhw\/[^\/]+$/) return "simhw"
    if (p ~ /^tests\//) return "tests"
    return ""
}
function dirname(p) { return (p ~ /\//) ? substr(p, 1, match(p, /\/[^\/]*$/) - 1) : "." }
function normal(p,   n, a, out, k, i) {         # a/b/../c -> a/c
    n = split(p, a, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (a[i] == "." || a[i] == "") continue
        if (a[i] == ".." && k > 0 && st[k] != "..") { k--; continue }
        st[++k] = a[i]
    }
    out = ""
    for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") st[i]
    return out
}
function resolve(from, name,   c, i, n, d) {
    c = normal(dirname(from) "/" name); if (c in exists) return c
    n = split(search, d, " ")
    for (i = 1; i <= n; i++) { c = normal(d[i] "/" name); if (c in exists) return c }
    return ""
}
function complain(file, line, msg) { printf "%s:%s: %s\n", file, line, msg; nviol++ }
BEGIN {
    # may[FROM] = the folders FROM may include from
    may["config"]         = " config "
    may["control/core"]   = " control/core config "
    may["control/wire"]   = " control/wire control/core config "
    may["control/server"] = " control/server control/wire control/core config "
    may["tui"]            = " tui control/core control/wire control/server config "
    may["simhw"]          = " simhw config "
    # single headers outside those folders that a folder may still include
    extra["simhw", "control/core/plc_contract.h"] = 1
    extra["simhw", "control/core/tag.h"] = 1
    # single headers inside those folders that a folder may not include
    deny["control/core", "config/clock.h"] = "the core is given its times as arguments and never reads a clock (config/clock.h is for the shell)"
    why["config"]         = "config/ is the bottom layer and may include only config/ headers"
    why["control/core"]   = "the functional core (control/core) may include only control/core/ and config/ headers, so it cannot depend on the client protocol, the server shell, the console or the simulator"
    why["control/wire"]   = "the client protocol (control/wire) may include only control/wire/, control/core/ and config/ headers"
    why["control/server"] = "the server shell (control/server) may include only control/server/, control/wire/, control/core/ and config/ headers, never the console or the simulator"
    why["tui"]            = "the console (tui) may include only tui/, control/*/ and config/ headers; the simulator is reached over Modbus, not by including it"
    why["simhw"]          = "meltsim (simhw) may include only simhw/ and config/ headers, and of control/ only the PLC contract (control/core/plc_contract.h) and the tag codec (control/core/tag.h)"
    n = split(sysok, s, /[ \n]+/); for (i = 1; i <= n; i++) if (s[i] != "") sys_ok[s[i]] = 1
    nviol = 0
}
FILENAME == ARGV[1] { exists[$0] = 1; next }
{
    # path:line:text
    file = $0; sub(/:.*/, "", file)
    rest = substr($0, length(file) + 2); line = rest; sub(/:.*/, "", line)
    text = substr(rest, length(line) + 2)
    from = layer(file)
    if (from == "") {
        if (!(file in unknown)) { unknown[file] = 1
            complain(file, 1, "folder: " dirname(file) "/ is in no layer rule; give it one in tests/check_layers.sh before putting sources there") }
        next
    }
    if (match(text, /"[^"]+"/)) {
        name = substr(text, RSTART + 1, RLENGTH - 2)
        target = resolve(file, name)
        if (target == "") {
            complain(file, line, "include: \"" name "\" is in none of " search " (nor beside the file), so its layer cannot be checked")
            next
        }
        to = layer(target)
        if ((from, target) in deny) {
            complain(file, line, "include: \"" name "\" is " target "; " deny[from, target])
        } else if (index(may[from], " " to " ") == 0 && !((from, target) in extra)) {
            complain(file, line, "include: \"" name "\" is " target ", from " (to == "" ? "outside every layer" : to "/") "; " why[from])
        }
    } else if (from == "control/core" && match(text, /<[^>]+>/)) {
        name = substr(text, RSTART + 1, RLENGTH - 2)
        if (!(name in sys_ok))
            complain(file, line, "include: <" name "> in the functional core; it may include only the C standard'"'"'s pure headers (" sysok_line() "): clocks, OS calls, threads, signals, locales and libraries are the shell'"'"'s, and the core is given their results as arguments")
    }
}
function sysok_line(   k, out, n, a, i) {
    n = split(sysok, a, /[ \n]+/); out = ""
    for (i = 1; i <= n; i++) if (a[i] != "") out = out (out == "" ? "" : " ") a[i]
    return out
}
END { print nviol >"/dev/stderr" }
' "$tmp/files" "$tmp/incs" >"$tmp/inc.out" 2>"$tmp/inc.n"

# ------------------------------------------------------------------ purity
# One row per symbol: KIND OBJECT D|U SYMBOL, KIND = core | config.
: >"$tmp/syms"
missing=0
for src in $(find control/core config -maxdepth 1 -name '*.c' | sort); do
    case $src in control/core/*) kind=core ;; *) kind=config ;; esac
    o="$BUILD/obj/${src%.c}.o"
    if [ ! -f "$o" ]; then
        echo "$src:1: object: $o is missing, so the purity of $src cannot be checked (make check-layers builds it first)"
        missing=$((missing + 1)); continue
    fi
    nm -g --defined-only "$o" | awk -v k=$kind -v s="$src" 'NF >= 3 { print k, s, "D", $NF }' >>"$tmp/syms"
    nm -u "$o" | awk -v k=$kind -v s="$src" 'NF >= 2 { print k, s, "U", $NF }' >>"$tmp/syms"
done

printf '%s\n' "$ALLOW" | awk '/^[^#]/ && NF { print $1 }' >"$tmp/allow"
# Without every object the symbol tables are partial, and every symbol the
# missing ones define would show up as a violation: say what is missing only.
[ $missing -eq 0 ] || : >"$tmp/syms"

# Violations as "SRC SYMBOL OWNER REASON..." (OWNER "-" when nobody defines it).
awk '
function obj(src) { sub(/\.c$/, ".o", src); return src }
function allowed(s,   p) {
    if (s in allow) return 1
    for (p in prefix) if (substr(s, 1, length(p)) == p) return 1
    return 0
}
FILENAME == ARGV[1] { if ($1 ~ /\*$/) prefix[substr($1, 1, length($1) - 1)] = 1; else allow[$1] = 1; next }
{
    kind[$2] = $1
    if ($3 == "D") { if (!(($1, $4) in def)) { def[$1, $4] = $2; if ($1 == "config") cfgdef[$4] = $2; else coredef[$4] = $2 } }
    else { nu[$2]++; u[$2, nu[$2]] = $4 }
}
END {
    # The largest set of pure config objects: start from all, drop any that
    # needs something neither allowed nor defined by a still-pure one.
    for (o in kind) if (kind[o] == "config") pure[o] = 1
    do {
        changed = 0
        for (o in pure) {
            if (!pure[o]) continue
            for (i = 1; i <= nu[o]; i++) {
                s = u[o, i]
                if (allowed(s)) continue
                if ((s in cfgdef) && pure[cfgdef[s]]) continue
                pure[o] = 0; changed = 1; break
            }
        }
    } while (changed)
    # Why each impure config object is impure: what it needs directly.
    for (o in pure) if (!pure[o]) {
        r = ""; nr = 0
        for (i = 1; i <= nu[o]; i++) {
            s = u[o, i]
            if (allowed(s) || ((s in cfgdef) && pure[cfgdef[s]])) continue
            nr++
            if (nr <= 6) r = r (r == "" ? "" : ", ") s ((s in cfgdef) ? " from " obj(cfgdef[s]) ", not pure" : "")
        }
        if (nr > 6) r = r " and " (nr - 6) " more"
        impure[o] = r
    }
    for (o in kind) if (kind[o] == "core") {
        for (i = 1; i <= nu[o]; i++) {
            s = u[o, i]
            if (allowed(s) || (s in coredef)) continue
            if ((s in cfgdef) && pure[cfgdef[s]]) continue
            if (s in cfgdef) print o, s, cfgdef[s], "impure", impure[cfgdef[s]]
            else print o, s, "-", "unknown"
        }
    }
}' "$tmp/allow" "$tmp/syms" | sort >"$tmp/pur"

# Where each offending call is: the first source line objdump ties to a
# relocation against the symbol (needs -g, which every build has).
: >"$tmp/pur.out"
while read -r src sym owner how why; do
    o="$BUILD/obj/${src%.c}.o"
    loc=$(objdump -drl --no-show-raw-insn "$o" 2>/dev/null | awk -v s="$sym" '
        /\.[ch]:[0-9]+/ { l = $0; sub(/ \(discriminator [0-9]+\)$/, "", l)
            if (match(l, /(config|control\/core|control\/wire|control\/server|tui|simhw|tests)\/[^\/]+\.[ch]:[0-9]+$/)) loc = substr(l, RSTART, RLENGTH) }
        /R_[A-Z0-9_]+[ \t]/ { r = $NF; sub(/[-+]0x[0-9a-f]+$/, "", r); if (r == s && loc != "") { print loc; exit } }')
    [ -n "$loc" ] || loc="$src:1"
    if [ "$how" = impure ]; then
        echo "$loc: purity: ${o#./} needs $sym, defined by ${owner%.c}.o, which is not pure (it needs $why): the functional core may call only control/core, pure config/ helpers and the allow-list of tests/check_layers.sh; move $sym to a pure config/ file or do this in the shell"
    else
        echo "$loc: purity: ${o#./} needs $sym, which is neither in control/core, nor a pure config/ helper, nor on the allow-list of pure libc functions: the functional core does no I/O, reads no clock, keeps no hidden state and allocates nothing; do it in the server shell and pass the result in"
    fi
done <"$tmp/pur" >>"$tmp/pur.out"

ninc=$(cat "$tmp/inc.n")
npur=$(($(wc -l <"$tmp/pur.out") + missing))
sort -t: -k1,1 -k2,2n "$tmp/inc.out"
sort -t: -k1,1 -k2,2n "$tmp/pur.out"
ncore=$(find control/core -maxdepth 1 -name '*.c' | wc -l)
ncfg=$(find config -maxdepth 1 -name '*.c' | wc -l)
nfiles=$(wc -l <"$tmp/files")
if [ "$ninc" -eq 0 ] && [ "$npur" -eq 0 ]; then
    echo "check-layers: ok ($nfiles files' includes, $ncore core objects and $ncfg config objects against the rules)"
    exit 0
fi
echo "check-layers: $((ninc + npur)) violations ($ninc include, $npur purity) in $nfiles files, $ncore core and $ncfg config objects (rules: tests/check_layers.sh)"
exit 1
