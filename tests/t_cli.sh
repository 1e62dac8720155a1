#!/bin/sh
# run.sh: one at a time (it may make and remove /etc/meltcon)
# The command lines of meltcon and meltsim (issue 10), as a person mistypes
# them: an unknown option, a typo or a missing value exits 2 with the usage
# on stderr and starts nothing (no new process, no socket, no lock, no state
# directory); --version and every verb's --help exit 0; --config=FILE and
# -c FILE both work and the current directory is never looked in; `--` ends
# the options.  A system furnace (mode = system, socket and state in the
# temp dir) with no server: the console and a verb say how systemd starts it
# and exit 1, `meltcon server` is refused, `meltcon server -f` runs; as root,
# a file whose real path is under /etc/meltcon/ is a system furnace by
# itself.  A private furnace still auto-starts.  meltcon.ini(5) renders
# without a groff warning and has every schema section.  Every process this
# test starts is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=$(readlink -f "${MELTCON:-$B/meltcon}")
MS=$(readlink -f "${MELTSIM:-$B/meltsim}")
tmp=$(mktemp -d)
pids=""
etc_made=""
etc_file=""
say() { echo "t_cli: $*"; }
fail() {
    echo "FAIL: $*"
    [ -s "$tmp/err" ] && { echo "--- stderr"; tail -20 "$tmp/err"; }
    [ -s "$tmp/state/server.log" ] && { echo "--- server.log"; tail -10 "$tmp/state/server.log"; }
    exit 1
}
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$etc_file" ] && rm -f "$etc_file"
    [ -n "$etc_made" ] && rmdir /etc/meltcon 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    fail "no free port"
# mkcfg FILE MODE DIR: the shipped file with its own port, socket, state and inject socket
mkcfg() {
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $3/s.sock|" \
        -e "s|^state_dir =.*|state_dir = $3/state|" -e "s|^inject_socket =.*|inject_socket = $3/i.sock|" \
        -e "s/^mode = auto$/mode = $2/" config/meltcon.ini >"$1"
}
cfg=$tmp/priv.ini
mkcfg "$cfg" auto "$tmp"
sys=$tmp/sys/tcf9.ini
mkdir -p "$tmp/sys"
mkcfg "$sys" system "$tmp/sys"
version=$(sed -n 's/^#define MELTCON_VERSION "\(.*\)"$/\1/p' config/version.h)
[ -n "$version" ] || fail "no version in config/version.h"

# ours: the pids whose command line names this test's folder (grep's own
# entry, which names it too, is gone once grep has ended)
ours() {
    for f in $(grep -l -s -F -- "$tmp" /proc/[0-9]*/cmdline); do
        p=${f#/proc/}
        p=${p%/cmdline}
        [ "$p" != $$ ] && [ -e "$f" ] && echo "$p"
    done
}
# nothing_started WHAT DIR: no process, no socket, no state under DIR
nothing_started() {
    [ -z "$(ours)" ] || fail "$1: a process was started: $(ours)"
    [ -z "$(find "$2" -type s)" ] || fail "$1: a socket appeared: $(find "$2" -type s)"
    [ ! -e "$2/state" ] || fail "$1: a state directory (lock) appeared: $(ls -R "$2/state")"
}
# bad EXPECT_PROG ARGS...: exit 2, the usage on stderr, nothing on stdout, nothing started
bad() {
    prog=$1; shift
    "$prog" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" = 2 ] || fail "$(basename "$prog") $*: exit $rc, want 2"
    grep -q "^usage: " "$tmp/err" || fail "$(basename "$prog") $*: no usage on stderr"
    [ ! -s "$tmp/out" ] || fail "$(basename "$prog") $*: wrote to stdout: $(cat "$tmp/out")"
    nothing_started "$(basename "$prog") $*" "$tmp"
}

# ---- mistakes: exit 2, usage, nothing started ---------------------------------------------
nothing_started "before" "$tmp"
bad "$MC" -c "$cfg" --bogus
bad "$MC" -c "$cfg" --vresion
bad "$MC" -c "$cfg" -x
bad "$MC" -c
bad "$MC" --config
bad "$MC" -c "$cfg" --screen
bad "$MC" -c "$cfg" --screen=overveiw
bad "$MC" -c "$cfg" --bench-seconds=abc
bad "$MC" -c "$cfg" --mono status
bad "$MC" -c "$cfg" stauts
bad "$MC" -c "$cfg" server --bogus
bad "$MC" -c "$cfg" server -x
bad "$MC" -c "$cfg" status --jsno
bad "$MC" -c "$cfg" status --json=yes
bad "$MC" -c "$cfg" status extra
bad "$MC" -c "$cfg" set bath.sp
bad "$MC" -c "$cfg" set bath.sp 745 --reason
bad "$MC" -c "$cfg" cmd
bad "$MC" -c "$cfg" ack
bad "$MC" -c "$cfg" ack roof_h --all
bad "$MC" -c "$cfg" shelve roof_h
bad "$MC" -c "$cfg" journal --since
bad "$MC" -c "$cfg" export --form -1h
bad "$MC" -c "$cfg" stop now
bad "$MC" -c "$cfg" check-config --bogus
bad "$MC" -c "$cfg" check-config --describe --man
"$MC" -c "$cfg" --bogus 2>&1 >/dev/null | grep -q '^meltcon: unknown option "--bogus"$' ||
    fail "meltcon --bogus does not name the option"
"$MC" -c "$cfg" set bath.sp --reason 2>&1 >/dev/null | grep -q '^meltcon set: option --reason needs a value$' ||
    fail "a missing value is not named"
bad "$MS" -c "$cfg" --bogus
bad "$MS" -c "$cfg" --port
bad "$MS" -c "$cfg" --port=70000
bad "$MS" -c "$cfg" --port "$port" --speed=fast
bad "$MS" -c "$cfg" --port "$port" --hours 1
bad "$MS" -c "$cfg" --port "$port" serve
bad "$MS" -c "$cfg" run
bad "$MS" -c "$cfg" run --hours 1 --speed 2
bad "$MS" -c "$cfg" run --hours
bad "$MS" -c "$cfg" run --hours 1 extra
bad "$MS" -c "$cfg" inject --bogus
bad "$MS" -c "$cfg" inject a b c d e f g h i # 8 words at most (at WHEN ramp FAULT TARGET FROM TO MIN)
bad "$MS" -c
"$MS" -c "$cfg" --bogus 2>&1 >/dev/null | grep -q '^meltsim: unknown option "--bogus"$' ||
    fail "meltsim --bogus does not name the option"
say "mistakes: exit 2 with the usage on stderr, nothing started"

# ---- --version, --help ---------------------------------------------------------------------
for prog in "$MC" "$MS"; do
    n=$(basename "$prog")
    out=$("$prog" --version 2>"$tmp/err") || fail "$n --version: exit $?"
    [ "$out" = "$n $version" ] || fail "$n --version says \"$out\", want \"$n $version\""
    out=$("$prog" -c "$cfg" --version 2>&1) || fail "$n -c FILE --version: exit $?"
    "$prog" --help >"$tmp/out" 2>"$tmp/err" || fail "$n --help: exit $?"
    grep -q "^usage: $n" "$tmp/out" || fail "$n --help: no usage on stdout"
done
for v in server stop status set tune cmd ack shelve unshelve oos wet phase confirm journal export \
    check-config; do
    "$MC" "$v" --help >"$tmp/out" 2>"$tmp/err" || fail "meltcon $v --help: exit $?"
    grep -q "^usage: meltcon .*$v" "$tmp/out" || fail "meltcon $v --help does not name the verb: $(cat "$tmp/out")"
    [ "$(wc -l <"$tmp/out")" -ge 3 ] || fail "meltcon $v --help: too short"
    "$MC" -c "$cfg" "$v" -h >/dev/null 2>&1 || fail "meltcon $v -h: exit $?"
done
"$MC" server --help | grep -q -- "-f, --foreground" || fail "server --help has no -f"
for v in set tune cmd ack shelve unshelve oos wet phase confirm; do # compare-and-set (issue 14)
    "$MC" "$v" --help | grep -q -- "--expect=V" || fail "meltcon $v --help has no --expect"
done
"$MC" phase --help | grep -q -- "--force" || fail "phase --help has no --force"
for v in inject run; do
    "$MS" "$v" --help >"$tmp/out" 2>"$tmp/err" || fail "meltsim $v --help: exit $?"
    grep -q "^usage: meltsim .*$v" "$tmp/out" || fail "meltsim $v --help does not name the verb"
done
nothing_started "--version and --help" "$tmp"
say "--version ($version) and every verb's --help: exit 0"

# ---- where the file comes from ---------------------------------------------------------------
for form in "--config=$cfg" "-c$cfg"; do
    "$MC" "$form" check-config >"$tmp/out" 2>"$tmp/err" || fail "meltcon $form check-config"
    grep -q "^$cfg: OK: furnace tcf1 (private)," "$tmp/out" || fail "$form: $(cat "$tmp/out")"
done
"$MC" --config "$cfg" check-config | grep -q "^$cfg: OK" || fail "--config FILE"
"$MC" check-config --config="$sys" | grep -q "^$sys: OK: furnace tcf1 (system)," || fail "check-config --config="
MELTCON_CONFIG=$cfg "$MC" check-config | grep -q "^$cfg: OK" || fail "MELTCON_CONFIG is not used"
MELTCON_CONFIG=$cfg "$MC" -c "$sys" check-config | grep -q "^$sys: OK" || fail "-c does not win over MELTCON_CONFIG"
# from a directory that holds a (broken) config/meltcon.ini: never looked at
mkdir -p "$tmp/cwd/config"
echo "[bogus]" >"$tmp/cwd/config/meltcon.ini"
(cd "$tmp/cwd" && env -u MELTCON_CONFIG "$MC" check-config) >"$tmp/out" 2>&1
grep -q "config/meltcon.ini" "$tmp/out" && fail "meltcon used the current directory: $(cat "$tmp/out")"
grep -q "^/etc/meltcon/meltcon.ini:" "$tmp/out" || fail "the lookup did not end at /etc/meltcon/meltcon.ini: $(cat "$tmp/out")"
(cd "$tmp/cwd" && env -u MELTCON_CONFIG "$MS" run --hours 0.01) >"$tmp/out" 2>&1
grep -q "config/meltcon.ini" "$tmp/out" && fail "meltsim used the current directory: $(cat "$tmp/out")"
[ -e /etc/meltcon/meltcon.ini ] || grep -q "/etc/meltcon/meltcon.ini" "$tmp/out" ||
    fail "meltsim looked somewhere else than /etc/meltcon/meltcon.ini: $(cat "$tmp/out")"
"$MS" --config="$cfg" run --hours=0.01 2>"$tmp/err" || fail "meltsim --config=FILE run --hours=H"
"$MS" -c "$cfg" run --hours 0.01 --seed=3 2>"$tmp/err" || fail "meltsim -c FILE run"
# `--` ends the options: what follows is an argument
"$MC" -c "$cfg" check-config -- "$cfg" | grep -q "^$cfg: OK" || fail "check-config -- FILE"
"$MC" -c "$cfg" status -- --json >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q 'one argument too many: "--json"' "$tmp/err" || fail "status -- --json: $(cat "$tmp/err")"
"$MC" -c "$cfg" -- --mono >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q 'unknown verb "--mono"' "$tmp/err" || fail "meltcon -- --mono: $(cat "$tmp/err")"
nothing_started "config lookup" "$tmp"
say "--config=FILE, -c FILE, \$MELTCON_CONFIG, then /etc/meltcon (never ./config); -- ends the options"

# ---- a system furnace without its server -----------------------------------------------------
sentence="tcf1 is a system furnace and its server is not running; it is started by systemd: systemctl start meltcon@tcf9"
"$MC" -c "$sys" >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
[ $rc = 1 ] || fail "console on a system furnace without server: exit $rc, want 1"
grep -qx "meltcon: $sentence" "$tmp/err" || fail "console: $(cat "$tmp/err")"
nothing_started "console on a system furnace" "$tmp/sys"
"$MC" -c "$sys" status >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "status on a system furnace without server: exit $rc, want 1"
grep -qx "meltcon status: $sentence" "$tmp/err" || fail "status: $(cat "$tmp/err")"
"$MC" --config="$sys" set bath.sp 745 --reason test >/dev/null 2>"$tmp/err" && fail "set without a server"
grep -qx "meltcon set: $sentence" "$tmp/err" || fail "set: $(cat "$tmp/err")"
"$MC" -c "$sys" server >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "a detached server for a system furnace: exit $rc, want 1"
grep -q "^meltcon server: tcf1 is a system furnace: its server is started by systemd only (systemctl start meltcon@tcf9)" "$tmp/err" ||
    fail "server: $(cat "$tmp/err")"
nothing_started "meltcon server on a system furnace" "$tmp/sys"
nothing_started "system furnace" "$tmp"
say "system furnace without its server: console and verbs say how systemd starts it, exit 1; server refused"

# `server -f` is what the unit runs: allowed, and then the verbs reach it (no PLC needed)
"$MC" -c "$sys" server -f >"$tmp/sysfg.log" 2>&1 &
fgpid=$!
pids="$pids $fgpid"
i=0
until "$MC" -c "$sys" status >/dev/null 2>"$tmp/err"; do
    i=$((i + 1))
    [ $i -gt 100 ] && { cat "$tmp/sysfg.log"; fail "server -f on a system furnace did not answer"; }
    kill -0 "$fgpid" 2>/dev/null || { cat "$tmp/sysfg.log"; fail "server -f on a system furnace exited"; }
    sleep 0.1
done
[ -S "$tmp/sys/s.sock" ] || fail "the system server's socket is not where [server] socket says"
kill "$fgpid"
wait "$fgpid" 2>/dev/null
say "meltcon server -f on a system furnace runs; the verbs reach it"

# as root: a file whose real path is under /etc/meltcon/ is a system furnace by itself
if [ "$(id -u)" = 0 ]; then
    [ -d /etc/meltcon ] || { mkdir /etc/meltcon && etc_made=1; }
    mkdir -p "$tmp/etc"
    inst=t-cli-$$
    etc_file=/etc/meltcon/$inst.ini
    mkcfg "$etc_file" auto "$tmp/etc"
    ln -s "$etc_file" "$tmp/link.ini"
    "$MC" -c "$tmp/link.ini" check-config | grep -q "OK: furnace tcf1 (system)," ||
        fail "a link to a file under /etc/meltcon/ is not a system furnace"
    "$MC" -c "$tmp/link.ini" status >/dev/null 2>"$tmp/err" && fail "status without a server"
    grep -q "systemctl start meltcon@$inst\$" "$tmp/err" || fail "/etc/meltcon status: $(cat "$tmp/err")"
    "$MC" -c "$etc_file" >/dev/null 2>"$tmp/err" </dev/null && fail "console without a server"
    grep -q "^meltcon: tcf1 is a system furnace" "$tmp/err" || fail "/etc/meltcon console: $(cat "$tmp/err")"
    nothing_started "/etc/meltcon furnace" "$tmp/etc"
    say "a file under /etc/meltcon/ (through a symlink) is a system furnace"
else
    say "not root: the /etc/meltcon/ real-path case is not checked here (test_cfg checks the rule)"
fi

# ---- a private furnace still auto-starts ------------------------------------------------------
"$MC" -c "$cfg" >"$tmp/out" 2>"$tmp/err" </dev/null
# no terminal: the console itself refuses, after starting the server
grep -q "^meltcon: server started (pid [0-9]*), socket $tmp/s.sock$" "$tmp/err" ||
    fail "a private furnace's server was not auto-started: $(cat "$tmp/err")"
grep -q "the console needs a terminal" "$tmp/err" || fail "no terminal, no sentence: $(cat "$tmp/err")"
spid=$(sed -n 's/^meltcon: server started (pid \([0-9]*\)).*/\1/p' "$tmp/err")
pids="$pids $spid"
[ "$(cat "$tmp/state/server.lock")" = "$spid" ] || fail "the lock does not hold the started server's pid"
grep -q meltcon "/proc/$spid/cmdline" || fail "pid $spid is not the server"
"$MC" --config="$cfg" status >/dev/null 2>"$tmp/err" || fail "status on the auto-started server"
"$MC" status -c "$cfg" --json >/dev/null 2>"$tmp/err" || fail "status -c FILE after the verb"
# a negative value is an argument, not an option: the server (not the parser) refuses it
"$MC" -c "$cfg" set bath.sp -5 --reason test >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "^meltcon set: refused: " "$tmp/err" || fail "set bath.sp -5: exit $rc: $(cat "$tmp/err")"
"$MC" -c "$cfg" set bath.sp --reason test -- -5 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "^meltcon set: refused: " "$tmp/err" || fail "set bath.sp -- -5: exit $rc: $(cat "$tmp/err")"
kill "$spid"
i=0
while kill -0 "$spid" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the server (pid $spid) did not stop on SIGTERM"; sleep 0.1
done
say "a private furnace still auto-starts (stopped by its pid $spid)"

# ---- meltcon.ini(5) -----------------------------------------------------------------------------
"$MC" check-config --man >"$tmp/man.5" || fail "check-config --man: exit $?"
groff -man -ww -z "$tmp/man.5" >"$tmp/groff" 2>&1
[ ! -s "$tmp/groff" ] || fail "groff warns: $(head -5 "$tmp/groff")"
MANWIDTH=80 man -l "$tmp/man.5" >"$tmp/man.txt" 2>"$tmp/err" || fail "man -l: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "man -l says: $(cat "$tmp/err")"
grep -q "^MELTCON.INI(5)" "$tmp/man.txt" || fail "man -l: no title line"
n=0
for sec in $("$MC" check-config --describe | sed -n 's/^\[\([a-z.A-Z]*\)\].*/\1/p'); do
    grep -qF ".SS [$sec]" "$tmp/man.5" || fail "meltcon.ini(5) has no subsection [$sec]"
    grep -qF "[$sec]" "$tmp/man.txt" || fail "the rendered page has no [$sec]"
    n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n sections in --describe"
awk 'length > 80' "$tmp/man.txt" | grep -q . && fail "man -l at MANWIDTH=80 has longer lines"
say "meltcon.ini(5): groff -ww silent, man -l renders, all $n schema sections"
echo ok
