#!/bin/sh
# [cycle] realtime = yes: the server runs SCHED_FIFO at rt_priority with its
# memory locked, or refuses to start with a sentence and starts nothing.
#   - check-config refuses rt_priority outside 1..99 and a realtime that is
#     not yes/no;
#   - root: chrt -p shows SCHED_FIFO at the priority, VmLck shows the lock,
#     the journal's start line says so;
#   - an ordinary account (nobody) without RLIMIT_RTPRIO: refused, foreground
#     and detached, with the sentence; no socket, no journal;
#   - nobody with RLIMIT_RTPRIO but a tiny RLIMIT_MEMLOCK: refused (mlockall);
#   - nobody with both limits, as the unit's realtime.conf grants them (no
#     capability): SCHED_FIFO.
# Needs root (to run as nobody and to grant limits); the suite runs as root.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
tmp=$(mktemp -d)
chmod 755 "$tmp"
srvpid=""
say() { echo "t_realtime: $*"; }
fail() {
    echo "FAIL: $*"
    [ -s "$tmp/srv.log" ] && { echo "--- srv.log"; tail -15 "$tmp/srv.log"; }
    exit 1
}
cleanup() {
    [ -n "$srvpid" ] && kill -9 "$srvpid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# not root, nothing here can run (as root, which CI is, it always runs; tests/run.sh
# fails a SKIP line there)
[ "$(id -u)" -eq 0 ] || { echo "t_realtime: SKIP (not root, uid $(id -u)): it runs the server as nobody and grants it real-time limits"; exit 0; }
for t in chrt prlimit setpriv python3; do
    command -v $t >/dev/null || fail "$t is missing (util-linux, python3)"
done
wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}
# cfg DIR PRIO [REALTIME]: the shipped config, socket and state in DIR (no PLC needed:
# the server runs with the link down)
cfg() {
    sed -e "s|^socket =.*|socket = $1/m.sock|" -e "s|^state_dir =.*|state_dir = $1/state|" \
        -e "s|^inject_socket =.*|inject_socket = $1/i.sock|" -e "s/^port = 1502$/port = 1/" \
        -e "s/^realtime = no$/realtime = ${3:-yes}/" -e "s/^rt_priority = 50$/rt_priority = $2/" \
        config/meltcon.ini >"$1/m.ini"
    chmod 644 "$1/m.ini"
}
cp "$MC" "$tmp/meltcon" && chmod 755 "$tmp/meltcon" # nobody may not reach the build tree
MC=$tmp/meltcon

# ---- the keys ---------------------------------------------------------------------------
mkdir "$tmp/k"
for bad in "0 yes" "100 yes" "50 maybe"; do
    set -- $bad
    cfg "$tmp/k" "$1" "$2"
    "$MC" check-config "$tmp/k/m.ini" >"$tmp/out" 2>&1 && fail "check-config took rt_priority $1 realtime $2"
    grep -q '\[cycle\]' "$tmp/out" || fail "check-config, rt_priority $1 realtime $2: $(cat "$tmp/out")"
done
cfg "$tmp/k" 99 yes
"$MC" check-config "$tmp/k/m.ini" >"$tmp/out" 2>&1 || fail "rt_priority 99 refused: $(cat "$tmp/out")"
say "check-config: rt_priority 1..99, realtime yes/no"

# ---- root: SCHED_FIFO at the priority, memory locked --------------------------------------
mkdir "$tmp/r"
cfg "$tmp/r" 37
"$MC" -c "$tmp/r/m.ini" server -f >"$tmp/srv.log" 2>&1 &
srvpid=$!
wait_for 100 "$MC" -c "$tmp/r/m.ini" status || fail "the real-time server did not answer"
chrt -p "$srvpid" >"$tmp/chrt"
grep -q "policy: SCHED_FIFO" "$tmp/chrt" || fail "not SCHED_FIFO: $(cat "$tmp/chrt")"
grep -q "priority: 37$" "$tmp/chrt" || fail "not priority 37: $(cat "$tmp/chrt")"
lck=$(awk '/^VmLck:/ {print $2}' "/proc/$srvpid/status")
case $B in
*/san) # ASan's interceptor makes mlockall() a no-op that returns 0 (sanitizer_common)
    say "NOT CHECKED in the sanitizer build: VmLck (root cannot: ASan turns mlockall into a no-op)" ;;
*) [ "${lck:-0}" -gt 0 ] || fail "no memory locked (VmLck ${lck:-?} kB)" ;;
esac
"$MC" -c "$tmp/r/m.ini" journal --since -5m | grep -q 'real time (SCHED_FIFO 37, memory locked)' ||
    fail "the start line does not say real time"
kill "$srvpid"
wait "$srvpid" || fail "the real-time server did not stop cleanly"
srvpid=""
say "root: $(tr '\n' ' ' <"$tmp/chrt")VmLck $lck kB"

# ---- nobody: refused, nothing started -------------------------------------------------------
# AS LIMITS [SETPRIV-OPTIONS] CMD...: run as nobody (no PAM, no groups) with the given
# prlimit options; only in the background (`AS ... &`): it execs, so $! is the server
AS() {
    lim=$1; shift
    # shellcheck disable=SC2086 # the limit options are words
    exec prlimit $lim setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
AS_T() { # the same, ended after 20 s (a refusal is at once; a start would hang here)
    lim=$1; shift
    # shellcheck disable=SC2086
    timeout 20 prlimit $lim setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
nothing_started() { # DIR WHAT
    [ -e "$1/m.sock" ] && fail "$2: a socket was created"
    [ -n "$(find "$1/state" -type f -path '*journal*' 2>/dev/null)" ] && fail "$2: a journal was written"
    return 0
}
refused() { # DIR WHAT EXPECT CMD...: exit 1 with the sentence, nothing started
    d=$1 what=$2 expect=$3; shift 3
    "$@" >"$tmp/out" 2>&1
    rc=$?
    [ $rc -eq 1 ] || fail "$what: exit $rc, expected 1: $(cat "$tmp/out")"
    grep -q "$expect" "$tmp/out" || fail "$what: $(cat "$tmp/out")"
    nothing_started "$d" "$what"
}
mkdir "$tmp/n"
chown nobody "$tmp/n"
cfg "$tmp/n" 50
sentence='realtime = yes but SCHED_FIFO 50 is not permitted: .*RLIMIT_RTPRIO is 0.*grant it with LimitRTPRIO= in the unit or run as root'
refused "$tmp/n" "nobody, foreground" "^meltcon server: $sentence" \
    AS_T "--rtprio=0" "$MC" -c "$tmp/n/m.ini" server -f
refused "$tmp/n" "nobody, detached" "^meltcon server: $sentence" \
    AS_T "--rtprio=0" "$MC" -c "$tmp/n/m.ini" server
say "nobody without RLIMIT_RTPRIO: refused with the sentence, foreground and detached; nothing started"

# CAP_SYS_NICE (ambient) lets nobody have SCHED_FIFO; RLIMIT_MEMLOCK lowered to 64 kB
case $B in
*/san) say "NOT CHECKED in the sanitizer build: the mlockall refusal (root cannot: ASan turns it into a no-op)" ;;
*)
    refused "$tmp/n" "nobody, RLIMIT_MEMLOCK 64 kB" \
        "realtime = yes but mlockall() is not permitted: .*RLIMIT_MEMLOCK is 64 kB.*LimitMEMLOCK=infinity" \
        AS_T "--memlock=65536" --inh-caps=+sys_nice --ambient-caps=+sys_nice \
        "$MC" -c "$tmp/n/m.ini" server -f
    say "nobody allowed SCHED_FIFO but with 64 kB RLIMIT_MEMLOCK: refused with the sentence"
    ;;
esac

# ---- nobody granted real time: by the limits (the unit's realtime.conf), and by capabilities --
# started GRANT LIMITS SETPRIV-OPTIONS...: nobody's server comes up SCHED_FIFO 50
started() {
    grant=$1 lim=$2; shift 2
    AS "$lim" "$@" "$MC" -c "$tmp/n/m.ini" server -f >"$tmp/srv.log" 2>&1 &
    srvpid=$!
    wait_for 100 "$MC" -c "$tmp/n/m.ini" status || fail "$grant: nobody's real-time server did not answer"
    chrt -p "$srvpid" >"$tmp/chrt"
    grep -q "policy: SCHED_FIFO" "$tmp/chrt" && grep -q "priority: 50$" "$tmp/chrt" ||
        fail "$grant: nobody's server is not SCHED_FIFO 50: $(cat "$tmp/chrt")"
    [ "$(awk '/^Uid:/ {print $2}' "/proc/$srvpid/status")" = "$(id -u nobody)" ] || fail "not nobody's"
    kill "$srvpid"
    wait "$srvpid" || fail "$grant: nobody's real-time server did not stop cleanly"
    srvpid=""
    say "nobody with $grant: SCHED_FIFO 50"
}
if prlimit --rtprio=50:50 true 2>/dev/null; then
    started "LimitRTPRIO=50 and LimitMEMLOCK=infinity (no capability)" "--rtprio=50 --memlock=unlimited"
else
    # raising a hard limit needs CAP_SYS_RESOURCE, which systemd has and this
    # sandbox does not: the limits route is checked wherever it can be
    say "NOT CHECKED here: the limits route (root cannot: raising RLIMIT_RTPRIO needs" \
        "CAP_SYS_RESOURCE, which this root lacks)"
fi
started "CAP_SYS_NICE and CAP_IPC_LOCK (ambient)" "--rtprio=0" \
    --inh-caps=+sys_nice,+ipc_lock --ambient-caps=+sys_nice,+ipc_lock
echo ok
