#!/bin/sh
# The keyed journal against a forger (issue 15), on a real server against
# meltsim:
#   - the server creates STATE_DIR/journal.key at its first start (32 bytes,
#     mode 0400, the server's account) and starts the chain with a `server
#     rekey` line; every line carries k= (HMAC-SHA-256 with the key);
#   - it publishes the chain's head at start and stop in the system journal
#     (MESSAGE_ID=188b1007..., "journal-head furnace=... n=SEQ k=HASH").  As
#     root the server runs in a private mount namespace with a listener at
#     /run/systemd/journal/socket (as tests/t_syslog.sh does); the heads come
#     back from it as `journalctl -o short` would print them;
#   - `meltcon journal --verify --heads FILE` with the server stopped: OK
#     with the key; then, on copies of the journal: an edit, an insert, a
#     delete, a chain recomputed with SHA-256 and one with an HMAC under
#     another key (the forger without the key), each caught and the line
#     named, with the key and without it (an account that cannot read the
#     key: the keyed lines' form and order only, and the verdict says the key
#     was not checked); truncation: caught given the heads, the last line
#     named without them;
#   - upgrade: a journal from before the key (unkeyed h= lines) gets its
#     rekey line at the next start and still verifies as a whole;
#   - a lost key: the next start makes a new one and a rekey line under it;
#     the keyed lines before it verify for their order and form, said so.
# meltsim runs on a free port; everything is stopped by its pid.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
chmod 755 "$tmp"
simpid=""
srvpid=""
lpid=""
say() { echo "t_journal_tamper: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
cleanup() {
    for p in $srvpid $lpid $simpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "${MELTCON_SRC:-.}/tests/lib.sh"
port=$(free_port) || fail "no free port"
cfg=$tmp/m.ini
furnace_ini "$cfg" "$tmp" "$port" "s/^engineer_group = .*/engineer_group = $(id -gn)/"
M() { "$MC" -c "$cfg" "$@"; }
furnace=$(sed -n '/^\[furnace\]/,/^\[/s/^name = *//p' "$cfg")
"$MS" -c "$cfg" --port "$port" >>"$tmp/sim.log" 2>&1 &
simpid=$!
wait_for 50 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" ||
    fail "meltsim did not answer on port $port"
J=$tmp/state/journal
KEY=$tmp/state/journal.key
MSGID=188b10076d5247b2a76bd1b61eb62c88

# ---- the server, with a journald listener when root can have one ------------------------------
cat >"$tmp/listen.py" <<'EOF'
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
f = open(sys.argv[2], "a")
while True:
    d = s.recv(1 << 20)
    rec, i = {}, 0
    while i < len(d):
        nl = d.index(b"\n", i)
        line = d[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            n = struct.unpack("<Q", d[nl + 1:nl + 9])[0]
            v = d[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        rec[k.decode()] = v.decode()
    f.write(json.dumps(rec) + "\n")
    f.flush()
EOF
listener=no
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && listener=yes
start() {
    if [ $listener = yes ]; then
        rm -f "$tmp/lpid"
        unshare -m sh -c '
            mount --make-rprivate / && mount -t tmpfs -o size=1m,mode=755 tmpfs /run/systemd &&
            mkdir -p /run/systemd/journal || exit 1
            python3 "$1/listen.py" /run/systemd/journal/socket "$1/sys.json" &
            echo $! >"$1/lpid"
            i=0
            while [ ! -S /run/systemd/journal/socket ]; do
                i=$((i + 1)); [ $i -gt 100 ] && exit 1; sleep 0.05
            done
            exec "$2" -c "$3" server -f' sh "$tmp" "$MC" "$cfg" >>"$tmp/srv.log" 2>&1 &
        srvpid=$!
        wait_for 50 M status || fail "the server did not answer: $(cat "$tmp/srv.log")"
        lpid=$(cat "$tmp/lpid")
    else
        M server -f >>"$tmp/srv.log" 2>&1 &
        srvpid=$!
        wait_for 50 M status || fail "the server did not answer: $(cat "$tmp/srv.log")"
    fi
}
stop() {
    M stop --reason "tamper test" >/dev/null 2>&1 || fail "stop refused"
    wait "$srvpid" 2>/dev/null
    srvpid=""
    if [ -n "$lpid" ]; then
        wait_for 20 sh -c "grep -q '\"MELTCON_HEAD_EVENT\": \"stop\"' '$tmp/sys.json'"
        kill "$lpid"
        wait "$lpid" 2>/dev/null
        lpid=""
    fi
}
# heads OUT: the published heads as `journalctl -o short MESSAGE_ID=...` prints them
heads() {
    python3 - "$tmp/sys.json" "$MSGID" >"$1" <<'EOF' || fail "no heads from the listener"
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("MESSAGE_ID") == sys.argv[2]:
        print("Dec 07 04:00:00 plant-log meltcon[%s]: %s" % (r.get("_PID", "1"), r["MESSAGE"]))
        n += 1
sys.exit(0 if n else 1)
EOF
}

start
M set bath.sp 745 --reason "tamper test one" >"$tmp/out" 2>&1 || fail "set: $(cat "$tmp/out")"
M set bath.sp 742 --reason "tamper test two" >"$tmp/out" 2>&1 || fail "set: $(cat "$tmp/out")"
M journal --verify >"$tmp/out" 2>&1 || fail "verify through the server: $(cat "$tmp/out")"
grep -q '^OK: .*HMAC checked with the key' "$tmp/out" || fail "the server's verify: $(cat "$tmp/out")"
stop

# ---- the key and the keyed chain ----------------------------------------------------------------
[ "$(stat -c '%a %s %u' "$KEY")" = "400 32 $(id -u)" ] ||
    fail "journal.key: $(stat -c 'mode %a, %s bytes, uid %u' "$KEY"), want mode 400, 32 bytes, uid $(id -u)"
day=$(ls "$J" | sed -n 's/^journal-\(.*\)\.log$/\1/p' | tail -1)
F=$J/journal-$day.log
head -1 "$F" | grep -q ' meltcon@journal server rekey ' || fail "the first line is not the rekey: $(head -1 "$F")"
grep -v ' k=[0-9a-f]\{64\}$' "$F" && fail "an unkeyed line in a journal started with the key"
n=$(wc -l <"$F")
say "first start: journal.key 0400, 32 bytes, the server's uid; the rekey line, then $n keyed lines"

if [ $listener = yes ]; then
    heads "$tmp/heads"
    grep -q "journal-head furnace=$furnace event=start date=$day n=1 k=" "$tmp/heads" ||
        fail "no start head: $(cat "$tmp/heads")"
    last=$(tail -1 "$F" | sed 's/.* n=\([0-9]*\) k=\([0-9a-f]*\)$/n=\1 k=\2/')
    grep -q "event=stop date=$day $last\$" "$tmp/heads" || fail "the stop head is not the last line's ($last): $(cat "$tmp/heads")"
    say "heads published in the system journal (listener in a namespace): start and stop, MESSAGE_ID=$MSGID"
else
    # the stop head is the last line's: what the server publishes, made from the file
    tail -1 "$F" | sed "s/.* n=\([0-9]*\) k=\([0-9a-f]*\)$/journal-head furnace=$furnace event=stop date=$day n=\1 k=\2/" >"$tmp/heads"
    say "NOT CHECKED: the heads' way through the system journal (no journald here, and a listener needs a"
    say "  private mount namespace: root); the stop head was made from the file"
fi
M journal --verify --heads "$tmp/heads" >"$tmp/out" 2>&1 || fail "verify with the heads: $(cat "$tmp/out")"
grep -q '^OK: .*HMAC checked with the key' "$tmp/out" && grep -q 'published heads\? matched' "$tmp/out" ||
    fail "verify with the heads: $(cat "$tmp/out")"
say "verify --heads, server stopped: $(head -1 "$tmp/out")"

# ---- the forger ---------------------------------------------------------------------------------
cp -a "$J" "$tmp/pristine"
cat >"$tmp/forge.py" <<'EOF'
# forge.py FILE EDIT MODE [KEYHEX]: change "tamper test one" on line EDIT (0: none) and
# recompute the whole chain from the seed: sha (h=), shak (SHA-256 under k=), hmac KEYHEX (k=)
import hashlib, hmac, sys
path, edit, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
key = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else None
prev = bytes(32)
out = []
for no, line in enumerate(open(path, "rb").read().split(b"\n")[:-1], 1):
    text = line[:-67]
    if no == edit:
        text = text.replace(b"tamper test one", b"tamper test ONE")
    m = prev + text
    prev = hmac.new(key, m, hashlib.sha256).digest() if mode == "hmac" else hashlib.sha256(m).digest()
    out.append(text + (b" h=" if mode == "sha" else b" k=") + prev.hex().encode())
open(path, "wb").write(b"\n".join(out) + b"\n")
EOF
restore() { rm -rf "$J" && cp -a "$tmp/pristine" "$J"; }
# noreader: an account that can read the journal but not the key
if [ "$(id -u)" -eq 0 ]; then
    nouid=$(id -u nobody) || fail "no account nobody"
    chmod -R a+rX "$tmp/state" "$tmp/pristine"
    chmod 400 "$KEY" # the journal for all to read, the key for the server's account only
    nokey() { setpriv --reuid="$nouid" --regid="$nouid" --clear-groups "$MC" -c "$cfg" "$@"; }
else
    nokey() { chmod 000 "$KEY"; "$MC" -c "$cfg" "$@"; rc=$?; chmod 400 "$KEY"; return $rc; }
fi
nokey journal --verify >"$tmp/out" 2>&1 || fail "verify without the key, untouched: $(cat "$tmp/out")"
grep -q '^OK: .*HMAC NOT checked' "$tmp/out" && grep -q '^note: the key was not checked (cannot read the journal key' "$tmp/out" ||
    fail "verify without the key does not say so: $(cat "$tmp/out")"
# expect WHO WANT_PATTERN LABEL: verify fails and says WANT_PATTERN
expect() {
    if [ "$1" = key ]; then M journal --verify >"$tmp/out" 2>&1; else nokey journal --verify >"$tmp/out" 2>&1; fi
    rc=$?
    [ $rc -eq 1 ] || fail "$3 ($1): exit $rc, want 1: $(cat "$tmp/out")"
    grep -q -- "$2" "$tmp/out" || fail "$3 ($1): no \"$2\" in: $(cat "$tmp/out")"
}
edit_no=$(grep -n 'tamper test one' "$F" | cut -d: -f1)
keyhex=$(od -An -tx1 "$KEY" | tr -d ' \n')
otherkey=$(python3 -c 'print("07" * 32)')

restore
sed -i "${edit_no}s/tamper test one/tamper test 0ne/" "$F"
expect key "journal-$day.log line $edit_no: changed: its HMAC does not match" "an edited reason"
nokey journal --verify >"$tmp/out" 2>&1 && grep -q '^note: the key was not checked' "$tmp/out" ||
    fail "an edit without the key: $(cat "$tmp/out")"
say "edit (line $edit_no): caught with the key; without it the verdict says the key was not checked"

restore
sed -i "$((edit_no - 1))d" "$F"
expect key "journal-$day.log line $((edit_no - 1)): 1 line(s) removed before it" "a deleted line"
expect nokey "journal-$day.log line $((edit_no - 1)): 1 line(s) removed before it" "a deleted line"
restore
sed -i "${edit_no}p" "$F" # line edit_no twice
expect key "journal-$day.log line $((edit_no + 1)): inserted" "an inserted line"
expect nokey "journal-$day.log line $((edit_no + 1)): inserted" "an inserted line"
say "delete and insert: caught and named with and without the key"

restore
python3 "$tmp/forge.py" "$F" "$edit_no" sha || fail "forge sha"
expect key "a key exists but no line is keyed" "the chain recomputed with SHA-256 (h=)"
expect nokey "a key exists but no line is keyed" "the chain recomputed with SHA-256 (h=)"
restore
python3 "$tmp/forge.py" "$F" "$edit_no" shak || fail "forge shak"
expect key "journal-$day.log line 1: changed: its HMAC does not match" "the chain recomputed with SHA-256 as k="
restore
python3 "$tmp/forge.py" "$F" "$edit_no" hmac "$otherkey" || fail "forge hmac"
expect key "journal-$day.log line 1: changed: its HMAC does not match" "the chain recomputed with another key"
restore
python3 "$tmp/forge.py" "$F" "$edit_no" hmac "$keyhex" || fail "forge with the key"
M journal --verify >"$tmp/out" 2>&1 || fail "the forger in python with the right key is not the same HMAC: $(cat "$tmp/out")"
say "forger without the key: SHA-256 chain, SHA-256 as k=, HMAC with another key: all fail (with the real key: verifies)"

restore
total=$(wc -l <"$F")
head -n $((total - 2)) "$F" >"$tmp/cut" && cat "$tmp/cut" >"$F"
M journal --verify >"$tmp/out" 2>&1 || fail "a truncated journal without heads: $(cat "$tmp/out")"
grep -q "^note: .*the last line (journal-$day.log line $((total - 2)), n=[0-9]*) is not the server's stop line" "$tmp/out" ||
    fail "truncation without heads: the last line is not named: $(cat "$tmp/out")"
for who in key nokey; do
    if [ $who = key ]; then M journal --verify --heads "$tmp/heads" >"$tmp/out" 2>&1; else
        nokey journal --verify --heads - <"$tmp/heads" >"$tmp/out" 2>&1; fi
    [ $? -eq 1 ] && grep -q "truncated after journal-$day.log line $((total - 2)) (n=[0-9]*): the head published at stop of $day.*at least 2 line(s) were cut off" "$tmp/out" ||
        fail "truncation with the heads ($who): $(cat "$tmp/out")"
done
say "truncation (2 lines): caught given the heads, with and without the key; named as the last line without them"

sed "s/furnace=$furnace/furnace=other/" "$tmp/heads" >"$tmp/heads2"
M journal --verify --heads "$tmp/heads2" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "heads2 line 1: a head of furnace other, not of $furnace" "$tmp/out" ||
    fail "another furnace's heads: $(cat "$tmp/out")"
M journal --heads "$tmp/heads" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q -- '--heads goes with --verify' "$tmp/out" || fail "--heads without --verify: $(cat "$tmp/out")"

# ---- a key others may read: no start --------------------------------------------------------------
chmod 644 "$KEY"
M server -f >"$tmp/out" 2>&1 && fail "the server started with a key others may read"
grep -q "journal key $KEY has mode 0644: group or others may read it" "$tmp/out" ||
    fail "a readable key: $(cat "$tmp/out")"
chmod 400 "$KEY"
say "a key with mode 0644: the server does not start, and says why"

# ---- upgrade: a journal from before the key ------------------------------------------------------
restore
python3 "$tmp/forge.py" "$F" 0 sha || fail "make an unkeyed journal"
rm -f "$KEY"
M journal --verify >"$tmp/out" 2>&1 && grep -q '^note: the chain is unkeyed' "$tmp/out" ||
    fail "an old unkeyed journal: $(cat "$tmp/out")"
old=$(wc -l <"$F")
start
stop
[ -f "$KEY" ] || fail "no key made at the upgrade's start"
sed -n "$((old + 1))p" "$F" | grep -q " server rekey .*the lines up to n=$old before it carry unkeyed SHA-256" ||
    fail "no rekey line after the old lines: $(sed -n "$((old + 1))p" "$F")"
M journal --verify >"$tmp/out" 2>&1 || fail "verify after the upgrade: $(cat "$tmp/out")"
grep -q "^OK: .*HMAC checked with the key" "$tmp/out" || fail "after the upgrade: $(cat "$tmp/out")"
sed -i "2s/ -> / => /" "$F" # an old line edited
expect key "journal-$day.log line 2: changed: its hash does not match" "an old line after the upgrade"
say "upgrade: $old unkeyed lines kept, the rekey line after them, the whole verifies; an old line edited is caught"

# ---- a lost key: a new one, and a rekey line under it ------------------------------------------------
restore
rm -f "$KEY"
before=$(wc -l <"$F")
start
M journal --verify >"$tmp/out" 2>&1 || fail "the server's verify after a new key: $(cat "$tmp/out")"
grep -q "^OK: .*; note: .*keyed lines before the last rekey line .* carry the HMAC of an earlier key" "$tmp/out" ||
    fail "the server's verify after a new key does not say what it could not check: $(cat "$tmp/out")"
stop
sed -n "$((before + 1))p" "$F" | grep -q " server rekey .*a new key: the journal's key was not there" ||
    fail "no rekey line for the new key: $(sed -n "$((before + 1))p" "$F")"
M journal --verify >"$tmp/out" 2>&1 || fail "verify after a new key: $(cat "$tmp/out")"
grep -q "^note: .*keyed lines before the last rekey line (journal-$day.log line $((before + 1))) carry the HMAC of an earlier key" "$tmp/out" ||
    fail "after a new key the note does not say what was not checked: $(cat "$tmp/out")"
say "a lost key: a new one at the next start, a rekey line under it; the lines before it: order and form, said so"
