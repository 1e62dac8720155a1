#!/bin/sh
# run.sh: one at a time (it adds and removes accounts and groups)
# Under pressure (issue 12, the server's share), against the real meltsim
# and real accounts:
#   expiry    a CLI `set` is stamped, then the server is held (SIGSTOP) for
#             3 s before it reads it: refused by age with a sentence, never
#             carried out (journal, old setpoint in `status --json`); the
#             same for a console (in tmux) whose operator confirms while the
#             server is held and closes the dialog with Esc; one without a
#             time and one from the future are refused too; a fresh one
#             still works;
#   slots     60 connections from one viewer account (nobody) take 8 slots
#             (max_per_user), the rest get a `bye` saying why; a second
#             viewer account stops short of the 4 slots kept for operators
#             and engineers; an operator (a real account made here) and the
#             engineer still connect and act;
#   flood     the viewer's refused `set`s for 10 s: each answered, but the
#             journal holds at most refusals_per_10s lines per 10 s plus
#             summaries, which together count every one; the 52 refused
#             connections likewise;
#   follow    `journal --follow` started while lines are being logged
#             misses none and doubles none (its output is a contiguous run
#             of the journal), the readers' children are reaped;
#   losses    more than 64 results of the core in one cycle (96 alarms
#             raised at once): the number lost is journalled.
# Root only (accounts, setpriv); everything stopped by its pid, accounts
# removed at the end, also on failure.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
chmod 755 "$tmp"
TUI_TMP=$tmp
. "$(dirname "$0")/tui_lib.sh"
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
simpid=""
srvpid=""
holdpids=""
users=""
groups=""
say() { echo "t_pressure: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
cleanup() {
    tui_stop con
    [ -n "$srvpid" ] && kill -CONT "$srvpid" 2>/dev/null
    for p in $holdpids $srvpid $simpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    for u in $users; do userdel "$u" 2>/dev/null || echo "t_pressure: could not remove account $u"; done
    for g in $groups; do groupdel "$g" 2>/dev/null || echo "t_pressure: could not remove group $g"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# not root, nothing here can run: it makes accounts and runs clients as them (as root,
# which CI is, it always runs; tests/run.sh fails a SKIP line there)
[ "$(id -u)" -eq 0 ] || { echo "t_pressure: SKIP (not root, uid $(id -u)): it makes accounts and runs clients as them"; exit 0; }
for c in useradd groupadd setpriv strace tmux; do
    command -v $c >/dev/null || fail "$c is needed (passwd, util-linux, strace)"
done
PY=/usr/bin/python3 # the system's: every account can run it
[ -x $PY ] || fail "$PY is needed"

wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}

# the accounts: an operator in its own group, a second viewer
op=mcop$sfx view2=mcvw$sfx
groupadd "$op" || fail "groupadd $op"
groups="$op"
useradd -M -N -s /usr/sbin/nologin -G "$op" "$op" || fail "useradd $op"
users="$op"
useradd -M -N -s /usr/sbin/nologin "$view2" || fail "useradd $view2"
users="$users $view2"

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    fail "no free port"
cfg=$tmp/m.ini
mkcfg() { # FILE: the shipped config on this port, 16 slots, our operator group
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $tmp/m.sock|" \
        -e "s|^state_dir =.*|state_dir = $tmp/state|" -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^operator_group = .*/operator_group = $op/" -e "s/^max_clients = .*/max_clients = 16/" \
        config/meltcon.ini >"$1"
    chmod 644 "$1"
}
mkcfg "$cfg"
cp "$MC" "$tmp/meltcon" && chmod 755 "$tmp/meltcon"
M() { "$MC" -c "$cfg" "$@"; }
as() { # WHO CMD...
    who=$1; shift
    setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups "$@"
}
asx() { # WHO CMD...: as, in place of the (background) subshell, so $! is its pid
    who=$1; shift
    exec setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups "$@"
}
json() { $PY -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
sp() { M status --json | json '[l["sp"] for l in d["loops"] if l["name"] == "bath"][0]'; }
sp_is() { [ "$(M status --json | json '[l["sp"] for l in d["loops"] if l["name"] == "bath"][0] == '"$1")" = True ]; }

# A raw client: req.py SOCKET [T|none|future] VERB TARGET VALUE REASON -> "ok|refused TEXT"
cat >"$tmp/req.py" <<'EOF'
import socket, sys, time, urllib.parse
path, when, verb, target, value, reason = sys.argv[1:7]
q = lambda s: urllib.parse.quote(s, safe="._-:/+")
t = "" if when == "none" else " t=%.3f" % (time.time() + (30 if when == "future" else 0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
while True:
    m = s.recv(70000)
    if not m:
        sys.exit("closed")
    head = m.split(b"\n")[0].decode()
    kv = dict(w.split("=", 1) for w in head.split(" ")[2:] if "=" in w)
    if head.startswith("hello "):
        s.send(("req 1 id=1%s verb=%s target=%s value=%s reason=%s" % (t, q(verb), q(target), q(value), q(reason))).encode())
    if head.startswith("reply ") and kv.get("id") == "1":
        print(("ok " if kv.get("ok") == "1" else "refused ") + urllib.parse.unquote(kv.get("text", "")))
        sys.exit(0 if kv.get("ok") == "1" else 1)
EOF
chmod 644 "$tmp/req.py"

"$MS" -c "$cfg" --port "$port" >>"$tmp/sim.log" 2>&1 &
simpid=$!
start_server() {
    "$MC" -c "$cfg" server -f >>"$tmp/srv.log" 2>&1 &
    srvpid=$!
    wait_for 100 M status || fail "the server did not answer: $(tail -5 "$tmp/srv.log")"
}
start_server

# ---- expiry: a request the server reads too late is refused --------------------------------------
M set bath.sp 745 --reason "before" >/dev/null 2>&1 || fail "set bath.sp 745"
# the CLI stamps its `set`, then strace holds its send 1.5 s (younger than
# 2 s: it would be taken) while the server is stopped for 3 s; --expect, so
# the set is the second request (after `origin`; without it the CLI reads
# the base first)
strace -f -s 256 -o "$tmp/strace.log" -e trace=sendto -e inject=sendto:delay_enter=1500000:when=2 \
    "$MC" -c "$cfg" set bath.sp 738 --reason "held up" --expect 745 >"$tmp/held.out" 2>&1 &
clipid=$!
i=0
until grep -q 'verb=set' "$tmp/strace.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && fail "the CLI did not get to its set: $(cat "$tmp/held.out")"; sleep 0.02
done
kill -STOP "$srvpid"
sleep 3
kill -CONT "$srvpid"
wait "$clipid" && fail "a set held up 3 s was carried out: $(cat "$tmp/held.out")"
grep -q 'not carried out: the request was made [0-9.]* s ago' "$tmp/held.out" ||
    fail "held-up set: $(cat "$tmp/held.out")"
grep -q 'older than 2.0 s are refused (\[server\] request_max_age_ms)' "$tmp/held.out" ||
    fail "the sentence does not name the limit: $(cat "$tmp/held.out")"
sp_is 745 || fail "bath.sp is $(sp) after a refused set, want 745"
M journal --since -1m | grep -q 'set bath.sp .*reason="held up" result="refused: set bath.sp 738: not carried out' ||
    fail "the refusal by age is not journalled: $(M journal --since -1m | tail -3)"
$PY "$tmp/req.py" "$tmp/m.sock" none set bath.sp 737 "no time" >"$tmp/out" 2>&1 &&
    fail "a request without a time was carried out"
grep -q 'does not say when it was made' "$tmp/out" || fail "undated: $(cat "$tmp/out")"
$PY "$tmp/req.py" "$tmp/m.sock" future set bath.sp 737 "future" >"$tmp/out" 2>&1 &&
    fail "a request from the future was carried out"
grep -q 'dated 30.0 s ahead of the server' "$tmp/out" || fail "future: $(cat "$tmp/out")"
sp_is 745 || fail "bath.sp is $(sp), want 745"
# the console: the operator confirms while the server is held, waits, closes
# the dialog with Esc; the server, back, refuses the request by its age
tui_start con 120 40 "exec $MC -c $cfg" || fail "tmux would not start"
tui_wait con 'Bath HC' || fail "the console did not show the furnace"
tui_keys con F3
tui_wait con 'AUTO' || fail "the loops screen"
tui_keys con s
tui_wait con 'Setpoint of bath' || fail "no setpoint dialog for bath"
tui_type con 739
tui_keys con Enter
tui_type con "console held up"
tui_keys con Enter
tui_wait con 'bath.sp .* (->|→) 739' || fail "no confirmation"
kill -STOP "$srvpid"
tui_keys con y
tui_wait con 'waiting for the server' || fail "the console did not send"
sleep 1
tui_keys con Escape
tui_wait_not con 'waiting for the server' || fail "Esc did not close the dialog"
sleep 2
kill -CONT "$srvpid"
wait_for 50 sh -c "\"$MC\" -c '$cfg' journal --since -1m | grep -q 'reason=\"console held up\" result=\"refused: set bath.sp 739: not carried out: the request was made'" ||
    fail "the console's request is not refused by age: $(M journal --since -1m | tail -3)"
sp_is 745 || fail "bath.sp is $(sp) after the console's late request, want 745"
tui_stop con
out=$(M set bath.sp 746 --reason "fresh" 2>&1) || fail "a fresh set refused: $out"
echo "$out" | grep -q '745 -> 746' || fail "fresh set: $out"
say "expiry: CLI and console held 3 s -> refused by age and journalled, SP kept; undated and future refused; fresh ok"

# ---- slots: one viewer account cannot lock the operator and the engineer out ----------------------
# hold.py SOCKET N: N connections held until stdin closes; prints "hello H bye B" and each
# distinct bye reason once they are all answered
cat >"$tmp/hold.py" <<'EOF'
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks, hello, byes = [], 0, {}
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    m = s.recv(70000)
    if m.startswith(b"hello "):
        hello += 1
        socks.append(s)
    else:
        r = dict(w.split("=", 1) for w in m.split(b"\n")[0].decode().split(" ")[2:] if "=" in w).get("reason", "")
        import urllib.parse
        r = urllib.parse.unquote(r)
        byes[r] = byes.get(r, 0) + 1
        s.close()
out = "hello %d bye %d\n" % (hello, sum(byes.values()))
for r, k in byes.items():
    out += "%d x %s\n" % (k, r)
sys.stdout.write(out)
sys.stdout.flush()
sys.stdin.read()
EOF
chmod 644 "$tmp/hold.py"
mkfifo "$tmp/hold1" "$tmp/hold2"
asx nobody $PY "$tmp/hold.py" "$tmp/m.sock" 60 <"$tmp/hold1" >"$tmp/h1.out" &
holdpids="$!"
exec 7>"$tmp/hold1"
wait_for 200 test -s "$tmp/h1.out" || fail "the viewer's 60 connections did not finish"
head -1 "$tmp/h1.out" | grep -qx 'hello 8 bye 52' || fail "nobody's 60 connections: $(cat "$tmp/h1.out")"
grep -q '^52 x user nobody has 8 connections to this server already, the most one account may hold (\[server\] max_per_user)' \
    "$tmp/h1.out" || fail "the bye does not say why: $(cat "$tmp/h1.out")"
asx "$view2" $PY "$tmp/hold.py" "$tmp/m.sock" 6 <"$tmp/hold2" >"$tmp/h2.out" 7>&- &
holdpids="$holdpids $!"
exec 8>"$tmp/hold2"
wait_for 100 test -s "$tmp/h2.out" || fail "the second viewer's connections did not finish"
# 16 slots: nobody 8, view2 4, then the 4 kept for operators and engineers
head -1 "$tmp/h2.out" | grep -qx 'hello 4 bye 2' || fail "$view2's 6 connections: $(cat "$tmp/h2.out")"
grep -q 'the last 4 are kept for operators and engineers (\[server\] reserved_slots)' "$tmp/h2.out" ||
    fail "the reserved slots' bye: $(cat "$tmp/h2.out")"
out=$(as "$op" "$tmp/meltcon" -c "$cfg" set bath.sp 744 --reason "operator under load" 2>&1) ||
    fail "the operator's set with 12 viewer connections: $out"
echo "$out" | grep -q '746 -> 744' || fail "operator's set: $out"
out=$(M set bath.sp 745 --reason "engineer under load" 2>&1) || fail "the engineer's set: $out"
as "$op" "$tmp/meltcon" -c "$cfg" status --json | json 'd["role"]' | grep -qx operator ||
    fail "the operator's status"
say "slots: 60 from nobody -> 8 held, 52 refused with why; $view2 stopped at the reserved 4; operator and engineer act"

# ---- flood: refused sets from the viewer, bounded in the journal ------------------------------------
cat >"$tmp/flood.py" <<'EOF'
import socket, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
assert s.recv(70000).startswith(b"hello ")
end, n, refused = time.time() + secs, 0, 0
while time.time() < end:
    n += 1
    s.send(b"req 1 id=%d t=%.3f verb=set target=bath.sp value=760 reason=flood" % (n, time.time()))
    while True:
        m = s.recv(70000)
        if m.startswith(b"reply 1 id=%d " % n):
            refused += b" ok=0 " in m
            break
print(n, refused)
EOF
chmod 644 "$tmp/flood.py"
echo >&7 # nobody lets its 8 go: the flood needs a slot
exec 7>&-
wait_for 50 sh -c "! kill -0 ${holdpids%% *} 2>/dev/null" || fail "the holder did not end"
t0=$(date +%s.%N)
as nobody $PY "$tmp/flood.py" "$tmp/m.sock" 10 >"$tmp/flood.out" 2>&1 || fail "flood: $(cat "$tmp/flood.out")"
read -r sent refused <"$tmp/flood.out"
[ "$sent" -gt 1000 ] && [ "$sent" = "$refused" ] || fail "flood: $sent sent, $refused refused"
say "flood: nobody sent $sent refused sets in 10 s"

# ---- follow: no line missed or doubled at a reader's end ----------------------------------------
cat >"$tmp/load.py" <<'EOF'
import socket, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
assert s.recv(70000).startswith(b"hello ")
end, n = time.time() + secs, 0
while time.time() < end:
    n += 1
    s.send(b"req 1 id=%d t=%.3f verb=set target=bath.sp value=%d reason=load" % (n, time.time(), 745 + n % 2))
    while not s.recv(70000).startswith(b"reply 1 id=%d " % n):
        pass
print(n)
EOF
$PY "$tmp/load.py" "$tmp/m.sock" 6 >"$tmp/load.out" 2>&1 &
loadpid=$!
fpids=""
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do # each follows for 1.5 s (root holds at most 8 slots)
    timeout 1.5 "$MC" -c "$cfg" journal --follow >"$tmp/f$k.out" 2>&1 &
    fpids="$fpids $!"
    sleep 0.35
done
wait "$loadpid" || fail "load: $(cat "$tmp/load.out")"
for p in $fpids; do wait "$p" 2>/dev/null; done
M journal --since -5m >"$tmp/all.out" 2>&1 || fail "journal --since: $(cat "$tmp/all.out")"
$PY - "$tmp" <<'EOF' || fail "journal --follow: $(cat "$tmp/follow.err")"
import sys
d = sys.argv[1]
full = open(d + "/all.out").read().splitlines()
bad = []
for k in range(1, 13):
    f = open("%s/f%d.out" % (d, k)).read().splitlines()
    starts = [i for i in range(len(full)) if full[i:i + len(f)] == f]
    if len(f) < 60 or not starts:
        # where it goes wrong, for the report
        i = full.index(f[0]) if f and f[0] in full else -1
        j = next((j for j in range(len(f)) if i < 0 or i + j >= len(full) or full[i + j] != f[j]), None)
        bad.append("follower %d: %d lines; first difference at its line %s: %r vs %r" %
                   (k, len(f), j, f[j] if j is not None and j < len(f) else None,
                    full[i + j] if j is not None and 0 <= i + j < len(full) else None))
open(d + "/follow.err", "w").write("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
sleep 0.3
zombies=$(ps -o stat= --ppid "$srvpid" | grep -c Z)
[ "$zombies" -eq 0 ] || fail "$zombies job children not reaped"
say "follow: 12 followers over $(cat "$tmp/load.out") sets each saw a contiguous run of the journal; no zombies"

# ---- the record of the flood and of the refused connections ------------------------------------------
out=$(M stop --reason "pressure test" 2>&1) || fail "the engineer's stop with viewers attached: $out"
wait "$srvpid" 2>/dev/null
srvpid=""
cat "$tmp"/state/journal/journal-*.log >"$tmp/j.log"
$PY - "$tmp/j.log" "$refused" "$t0" <<'EOF' >"$tmp/count.out" 2>&1 || fail "flood record: $(cat "$tmp/count.out")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
refused, t0 = int(sys.argv[2]), float(sys.argv[3])
own = [l for l in lines if " nobody@" in l and " set bath.sp " in l and 'reason=flood' in l]
conn = [l for l in lines if " nobody@socket session connect " in l]
summ = [l for l in lines if " nobody@server refusals " in l]
counted = [int(re.search(r'result="(\d+) more refusals? from nobody in \d+ s', l).group(1)) for l in summ]
# 52 refused connections, then some seconds later 10 s of refused sets: at
# most three windows of 10 s, each at most 10 lines and one summary
if not (1 <= len(conn) <= 10 and len(own) + len(conn) <= 30 and 1 <= len(summ) <= 3):
    sys.exit("%d connection lines, %d set lines, %d summaries" % (len(conn), len(own), len(summ)))
if sum(counted) + len(own) + len(conn) != refused + 52:
    sys.exit("%d lines + %d counted (%s) != %d refusals + 52 connections" %
             (len(own) + len(conn), sum(counted), counted, refused))
print("%d lines and %d summaries (%s)" % (len(own) + len(conn), len(summ), " + ".join(map(str, counted))))
EOF
say "record: $refused refused sets and 52 refused connections -> $(cat "$tmp/count.out")"

# ---- losses: more than 64 results in one cycle -------------------------------------------------------
# the shipped alarms replaced by 90 that all raise in the first cycle that
# reads the bath: more results than the core keeps between two drains
mkcfg "$tmp/m2.ini"
$PY - "$tmp/m2.ini" >"$tmp/many.ini" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
secs = re.split(r"(?m)^(?=\[)", text)
out = "".join(x for x in secs if not x.startswith("[alarm."))
for i in range(90):
    out += "\n[alarm.warm_%d]\nkind = hi\ntag = bath_hc_temp\nlimit = 100\npriority = low\n" \
           "message = warm %d\naction = none\n" % (i, i)
sys.stdout.write(out)
EOF
cfg=$tmp/many.ini
start_server
lost() { M journal --since -1m | grep -q 'results of the control core were lost unjournalled (more than 64'; }
wait_for 50 lost || fail "no journal line for the lost results: $(M journal --since -1m | tail -5)"
n=$(M journal --since -1m | sed -n 's/.*result="\([0-9]*\) results of the control core.*/\1/p' | head -1)
say "losses: $n results lost in one cycle, journalled"
kill "$srvpid"
wait "$srvpid" 2>/dev/null
srvpid=""
echo ok
