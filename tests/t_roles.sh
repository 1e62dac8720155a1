#!/bin/sh
# run.sh: one at a time (it adds and removes accounts and groups)
# Roles, as the README says, with real accounts: the server (root, on
# meltsim) decides viewer / operator / engineer from SO_PEERCRED and the
# account's groups; the socket is 0666 so every account may connect and a
# peer outside viewer_group is refused at connect with a sentence.
#
# As root: unique groups and accounts (useradd -M -N, nologin) for an
# outsider, a viewer, an operator and an engineer who is in 70 more groups
# (the engineer group listed last: the whole group list is looked at); a uid
# without an account; an account database that fails (a getgrnam_r that
# returns EIO, LD_PRELOADed into a second server: glibc's files module
# reports read errors as "not found", so a real failure cannot be made).
# Each account runs every CLI verb the server takes (status, set, tune, cmd
# with the resets, ack, shelve, unshelve, oos, wet, phase with and without
# --force, confirm, journal, export, stop; `server` starts a server and is
# no request), tune and oos also as a raw client over the socket, and the
# console in tmux with every request key (setpoint, mode, tune, wet, force,
# the resets, advance, acknowledge all); every answer, accepted or refused
# with its sentence, is checked per role.
# Accounts and groups are removed at the end, also on failure.
#
# Not root: no accounts can be made; the test's own account plays each role
# in turn through the config (one server per role), the failing database is
# checked for it, and the script names the checks it could not run.
set -u
B=${BUILD_DIR:-build}
MC=${MELTCON:-$B/meltcon}
MS=${MELTSIM:-$B/meltsim}
tmp=$(mktemp -d)
chmod 755 "$tmp" # the accounts reach the socket, the config and the program
TUI_TMP=$tmp
. "$(dirname "$0")/tui_lib.sh"
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
simpid=""
srvpid=""
srv2pid=""
users=""
groups=""
checks=0
say() { echo "t_roles: $*"; }
fail() {
    echo "FAIL: $*"
    for f in sim.log srv.log srv2.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -15 "$tmp/$f"; }
    done
    exit 1
}
cleanup() {
    for s in "$tmp"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    for p in $srvpid $srv2pid $simpid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    for u in $users; do userdel "$u" 2>/dev/null || echo "t_roles: could not remove account $u"; done
    for g in $groups; do groupdel "$g" 2>/dev/null || echo "t_roles: could not remove group $g"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

wait_for() { # TRIES CMD...: retry every 0.1 s
    n=$1; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -ge "$n" ] && return 1; sleep 0.1
    done
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    fail "no free port"
cp "$MC" "$tmp/meltcon" && chmod 755 "$tmp/meltcon" || fail "cannot copy $MC"
# cfg FILE VIEWER OPERATOR ENGINEER [SOCKET STATE]: the config with these groups
cfg() {
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = ${5:-$tmp/m.sock}|" \
        -e "s|^state_dir =.*|state_dir = ${6:-$tmp/state}|" \
        -e "s|^inject_socket =.*|inject_socket = $tmp/i.sock|" \
        -e "s/^viewer_group =.*/viewer_group = $2/" -e "s/^operator_group =.*/operator_group = $3/" \
        -e "s/^engineer_group =.*/engineer_group = $4/" config/meltcon.ini >"$1"
    chmod 644 "$1"
}

# A raw client for the console's requests that have no CLI verb (stamped
# with the time it is made, as every client does):
# req.py SOCKET VERB TARGET VALUE REASON -> "ok TEXT" (exit 0) or "refused TEXT".
cat >"$tmp/req.py" <<'EOF'
import socket, sys, time, urllib.parse
path, verb, target, value, reason = sys.argv[1:6]
q = lambda s: urllib.parse.quote(s, safe="._-:/+")
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(path)
sent = False
while True:
    m = s.recv(70000)
    if not m:
        sys.exit("refused: the server closed the connection")
    head = m.split(b"\n")[0].decode()
    kv = dict(w.split("=", 1) for w in head.split(" ")[2:] if "=" in w)
    if head.startswith("bye "):
        sys.exit("refused: the server closed the connection: " + urllib.parse.unquote(kv.get("reason", "")))
    if head.startswith("hello ") and not sent:  # as the CLI: the request after the hello
        s.send(("req 1 id=1 t=%.3f verb=%s target=%s value=%s reason=%s" % (time.time(), q(verb), q(target), q(value), q(reason))).encode())
        sent = True
    if head.startswith("reply ") and kv.get("id") == "1":
        text = urllib.parse.unquote(kv.get("text", ""))
        if kv.get("ok") == "1":
            print("ok " + text)
            sys.exit(0)
        sys.exit("refused: " + text)
EOF
chmod 644 "$tmp/req.py"

# as WHO CMD...: run a command as account WHO ("self": as this process)
as() {
    who=$1; shift
    if [ "$who" = self ]; then "$@"; else runuser -u "$who" -- "$@"; fi
}
# check WHO ROLE accepted|refused PATTERN VERB...: one verb of the CLI as WHO
check() {
    who=$1 role=$2 want=$3 pat=$4; shift 4
    if as "$who" "$tmp/meltcon" -c "$cfg" "$@" >"$tmp/out" 2>&1 </dev/null; then got=accepted; else got=refused; fi
    [ "$got" = "$want" ] || fail "$role $who: meltcon $*: $got, want $want: $(cat "$tmp/out")"
    [ -z "$pat" ] || grep -q -- "$pat" "$tmp/out" || fail "$role $who: meltcon $*: no \"$pat\" in: $(cat "$tmp/out")"
    checks=$((checks + 1))
}
# request WHO ROLE accepted|refused PATTERN VERB TARGET VALUE: a console request
request() {
    who=$1 role=$2 want=$3 pat=$4
    if as "$who" python3 "$tmp/req.py" "$tmp/m.sock" "$5" "$6" "$7" "roles test" >"$tmp/out" 2>&1; then
        got=accepted
    else
        got=refused
    fi
    [ "$got" = "$want" ] || fail "$role $who: request $5 $6 $7: $got, want $want: $(cat "$tmp/out")"
    grep -q -- "$pat" "$tmp/out" || fail "$role $who: request $5 $6 $7: no \"$pat\" in: $(cat "$tmp/out")"
    checks=$((checks + 1))
}

VIEWER_NO='the viewer role may look but not change anything'
STOP_NO='stopping the server needs the engineer role'
# The whole matrix for one account in one role.  The engineer's `stop` ends
# the server; the others' stop is refused.
verbs() { # WHO ROLE
    w=$1 r=$2
    if [ "$r" = outsider ]; then
        out='is in none of the groups allowed to view this furnace'
        for v in status "status --json" "set bath.sp 742 --reason roles" "cmd pump_speed 50 --reason roles" \
            "ack --all" "shelve bath_h 30 --reason roles" "journal --since -10m" "journal --verify" \
            "export --from -5m --to now --tags bath_hc_temp --csv" stop; do
            # the state directory's owner (this account when not root) is refused by the
            # server too, but may read its own files: checked below
            [ "$w" = self ] && [ "$v" = "journal --verify" ] && continue
            # shellcheck disable=SC2086 # the verb's words
            check "$w" $r refused "$out" $v
        done
        [ "$w" = self ] && check "$w" $r accepted "$out.*verifying the files directly" journal --verify
        request "$w" $r refused "$out" tune bath.kp 2
        return
    fi
    [ "$r" = viewer ] && ch=refused || ch=accepted
    check "$w" $r accepted '^link ' status
    check "$w" $r accepted "\"role\": *\"$r\"" status --json
    check "$w" $r $ch "$([ $ch = refused ] && echo "$VIEWER_NO" || echo 'bath.sp .* -> 74[23]')" \
        set bath.sp "$([ $r = operator ] && echo 742 || echo 743)" --reason "roles $r"
    check "$w" $r $ch "$([ $ch = refused ] && echo "$VIEWER_NO" || echo 'pump speed')" \
        cmd pump_speed 50 --reason "roles $r"
    [ $ch = accepted ] && raise_alarm "$([ $r = operator ] && echo pump_trip || echo fan_trip)"
    check "$w" $r $ch "$([ $ch = refused ] && echo "$VIEWER_NO" || echo 'acknowledged')" ack --all
    check "$w" $r $ch "$([ $ch = refused ] && echo "$VIEWER_NO" || echo 'shelved for 30 min')" \
        shelve bath_h 30 --reason "roles $r"
    case $r in
    viewer) check "$w" $r refused "$VIEWER_NO" shelve flue_h 600 --reason "roles $r" ;;
    operator) check "$w" $r refused 'more than the operator limit of 480 min' shelve flue_h 600 --reason "roles $r" ;;
    engineer) check "$w" $r accepted 'shelved for 600 min' shelve flue_h 600 --reason "roles $r" ;;
    esac
    check "$w" $r accepted 'refused: ' journal --since -10m
    check "$w" $r accepted '^OK' journal --verify
    check "$w" $r accepted '^time,bath_hc_temp' export --from -5m --to now --tags bath_hc_temp --csv
    # every other request verb, from the CLI (issue 14): allowed ones carried
    # out, the rest refused with their reason (the role's, or the state's)
    if [ $r = viewer ]; then
        for v in "tune bath.kp 2 --reason roles" "oos co_high on --reason roles" "wet yes" \
            "unshelve bath_h" "phase CHARGE" "phase CHARGE --force" confirm \
            "cmd lockout_reset" "cmd estop_reset" "cmd watchdog_reset" "set bath.mode MAN --reason roles"; do
            # shellcheck disable=SC2086 # the verb's words
            check "$w" $r refused "$VIEWER_NO" $v
        done
    else
        check "$w" $r accepted 'flagged wet' wet yes --reason "roles $r"
        check "$w" $r accepted 'wet flag cleared' wet no --expect yes
        check "$w" $r accepted 'bath_h' unshelve bath_h
        check "$w" $r refused 'phase is HOLD, not ALLOY' confirm
        check "$w" $r refused 'HOLD goes on only to CHARGE' phase TAP
        check "$w" $r refused 'burner not in lockout' cmd lockout_reset
        check "$w" $r refused 'E-stop not tripped' cmd estop_reset
        check "$w" $r refused 'PLC watchdog not tripped' cmd watchdog_reset
        check "$w" $r refused 'phase is HOLD now, not PUSH as you saw; nothing was sent' \
            cmd burner_stop --expect PUSH
    fi
    case $r in
    viewer)
        request "$w" $r refused "$VIEWER_NO" tune bath.kp 2
        request "$w" $r refused "$VIEWER_NO" oos co_high on
        check "$w" $r refused "$STOP_NO" stop --reason "roles $r"
        ;;
    operator)
        request "$w" $r refused 'tuning needs the engineer role' tune bath.kp 2
        request "$w" $r refused 'out of service needs the engineer role' oos co_high on
        check "$w" $r refused 'tuning needs the engineer role' tune bath.kp 2 --reason "roles $r"
        check "$w" $r refused 'out of service needs the engineer role' oos co_high on --reason "roles $r"
        check "$w" $r refused 'forcing a phase needs the engineer role' phase CHARGE --force
        check "$w" $r refused "$STOP_NO" stop --reason "roles $r"
        ;;
    engineer)
        request "$w" $r accepted 'bath.kp .* -> 2' tune bath.kp 2
        request "$w" $r accepted 'out of service' oos co_high on
        check "$w" $r accepted 'bath.kp 2 -> 3' tune bath.kp 3 --reason "roles $r" --expect 2
        check "$w" $r refused "bath.kp was changed to 3 by $([ "$w" = self ] && id -un || echo "$w")" \
            tune bath.kp 4 --reason "roles $r" --expect 2
        check "$w" $r accepted 'back in service' oos co_high off --reason "roles $r"
        check "$w" $r accepted 'HOLD -> CHARGE' phase CHARGE --force
        check "$w" $r accepted 'CHARGE -> PYROLYSIS' phase PYROLYSIS --force --expect CHARGE
        check "$w" $r accepted 'server stopped' stop --reason "roles $r"
        ;;
    esac
}

# console_roles WHO ROLE: the console in tmux as WHO tries every request
# key: a viewer's each say it is not available to a viewer; an operator's
# engineer keys (tune, force a phase) say they need the engineer role, the
# rest open their dialog or say why the command is blocked; the engineer's
# all open, and a tuning is sent through the dialog.
console_roles() {
    who=$1 r=$2 n=con$2
    if [ "$who" = self ]; then run="exec $tmp/meltcon -c $cfg"; else run="exec runuser -u $who -- $tmp/meltcon -c $cfg"; fi
    tui_start $n 100 30 "LC_ALL=C $run" || fail "tmux would not start the $r console"
    cw() { tui_wait $n "$@" || fail "$r console: no /$1/ on the screen"; checks=$((checks + 1)); }
    cw "\\($r\\)"
    no="not available to a viewer"
    eng="needs the engineer role"
    tui_keys $n F3
    cw '^> bath '
    cw 'PV [0-9]+ degC +SP [0-9]' # the server's snapshot is in
    tui_keys $n s
    if [ $r = viewer ]; then cw "change the setpoint: $no"; else cw 'Setpoint of bath'; tui_keys $n Escape; fi
    tui_keys $n m
    if [ $r = viewer ]; then cw "change the mode: $no"; else cw 'Mode of bath'; tui_keys $n Escape; fi
    tui_keys $n P
    case $r in
    viewer) cw "tune the loop: $no" ;;
    operator) cw "tune the loop: $eng" ;;
    engineer)
        cw 'Gain kp of bath \(engineer\)'
        tui_keys $n C-u
        tui_type $n 5
        tui_keys $n Enter
        tui_type $n "console roles"
        tui_keys $n Enter
        cw 'bath.kp [0-9.]+ -> 5\?'
        tui_keys $n y
        cw 'Done: bath.kp [0-9.]+ -> 5'
        ;;
    esac
    tui_keys $n F4
    cw 'Phase HOLD: its steps first'
    tui_keys $n w
    if [ $r = viewer ]; then cw "Flag the charge wet \(no push\): $no"; else cw 'charge wet no -> yes\?|New mode'; tui_keys $n Escape; fi
    tui_keys $n P
    case $r in
    viewer) cw "Force phase to CHARGE \(engineer\): $no" ;;
    operator) cw "Force phase to CHARGE \(engineer\): $eng" ;;
    engineer) cw 'Force phase HOLD -> CHARGE without its normal exit\?'; tui_keys $n Escape ;;
    esac
    for k in "L:Reset burner lockout" "E:Reset E-stop" "W:Reset PLC watchdog"; do
        tui_keys $n "${k%%:*}"
        if [ $r = viewer ]; then cw "${k#*:}: $no"; else cw "BLOCKED, not sent: ${k#*:}"; fi
    done
    tui_keys $n p
    if [ $r = viewer ]; then cw "Advance phase to CHARGE: $no"; else cw 'Advance phase to CHARGE\?'; tui_keys $n Escape; fi
    tui_keys $n F5
    tui_keys $n K
    if [ $r = viewer ]; then cw "acknowledge all: $no"; else cw 'Acknowledge all: [0-9]+ alarm'; tui_keys $n Escape; fi
    tui_stop $n
    say "$r console: every request key answered for the role"
}

# raise_alarm FAULT: an alarm that awaits acknowledgement, from meltsim's instructor socket
unacked() {
    "$MC" -c "$cfg" status --json |
        python3 -c 'import json, sys; sys.exit(not any(a["state"] == "UNACK" for a in json.load(sys.stdin)["alarms"]))'
}
raise_alarm() {
    "$MS" -c "$cfg" inject clear --port "$port" >/dev/null || fail "inject clear"
    "$MS" -c "$cfg" inject "$1" --port "$port" >/dev/null || fail "inject $1"
    wait_for 100 unacked || fail "no alarm awaits acknowledgement after inject $1"
}
# eio_check WHO GROUP [NOTE]: a server whose getgrnam_r fails (EIO, as an
# unreachable directory service would) refuses WHO with a sentence naming
# GROUP, never a guessed role.  glibc's files module reports read errors as
# "not found", so this one failure is made with an LD_PRELOADed shim.
eio_check() {
    cat >"$tmp/eio.c" <<'EOF'
#include <errno.h>
#include <grp.h>
#include <stddef.h>
int getgrnam_r(const char *name, struct group *g, char *buf, size_t len, struct group **res)
{
    (void)name; (void)g; (void)buf; (void)len;
    *res = NULL;
    return EIO;
}
EOF
    cc -shared -fPIC -o "$tmp/eio.so" "$tmp/eio.c" || fail "cannot build the failing getgrnam_r"
    # the sanitizer build's runtime must let the shim come first
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" LD_PRELOAD=$tmp/eio.so \
        "$MC" -c "$cfg" server -f >>"$tmp/srv2.log" 2>&1 &
    srv2pid=$!
    wait_for 50 test -S "$tmp/m.sock" || fail "no socket: $(cat "$tmp/srv2.log")"
    check "$1" engineer refused "cannot look up group $2 (\\[server\\] viewer_group) in the account database (Input/output error)" status
    [ "$1" = self ] || check self root accepted '"role": *"engineer"' status --json # root's role needs no group
    kill "$srv2pid"
    wait "$srv2pid" 2>/dev/null
    srv2pid=""
    say "a failing account database: refused with the sentence${3:-}"
}

start_sim() {
    "$MS" -c "$cfg" --port "$port" >>"$tmp/sim.log" 2>&1 &
    simpid=$!
    wait_for 50 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" ||
        fail "meltsim did not answer on port $port"
}
# start_server LOG [ENV...]: the server as root (or this account), in the foreground
start_server() {
    log=$1; shift
    env "$@" "$MC" -c "$cfg" server -f >>"$tmp/$log" 2>&1 &
    srvpid=$!
    wait_for 50 "$MC" -c "$cfg" status || fail "the server did not answer: $(cat "$tmp/$log")"
}
server_gone() {
    wait "$srvpid" 2>/dev/null
    srvpid=""
}

if [ "$(id -u)" -ne 0 ]; then
    # ---- not root: this account plays each role through the config --------------------
    me=$(id -gn)
    none=mcnone$sfx # no such group
    for r in outsider viewer operator engineer; do
        case $r in
        outsider) cfg "$tmp/m.ini" "$none" "$none" "$none" ;;
        viewer) cfg "$tmp/m.ini" "$me" "$none" "$none" ;;
        operator) cfg "$tmp/m.ini" "$none" "$me" "$none" ;;
        engineer) cfg "$tmp/m.ini" "$none" "$none" "$me" ;;
        esac
        cfg=$tmp/m.ini
        [ -n "$simpid" ] || start_sim
        "$MC" -c "$cfg" server -f >>"$tmp/srv.log" 2>&1 &
        srvpid=$!
        wait_for 50 test -S "$tmp/m.sock" || fail "no socket: $(cat "$tmp/srv.log")"
        wait_for 50 python3 "$tmp/req.py" "$tmp/m.sock" origin "" x "" || [ $r = outsider ] ||
            fail "the server did not answer"
        [ $r = outsider ] || console_roles self $r
        verbs self $r
        if [ $r = engineer ]; then server_gone; else kill "$srvpid"; server_gone; fi
        say "$r ($(id -un) through its group $me): every verb answered as the README says"
    done
    cfg "$tmp/m.ini" "$none" "$none" "$me"
    eio_check self "$none"
    say "$checks checks passed"
    say "NOT CHECKED (needs root to create accounts and groups):"
    say "  - four different accounts connected to one server at the same time"
    say "  - an engineer in 70 more groups than its role group (the whole group list)"
    say "  - a uid without an account is refused with a sentence"
    exit 0
fi

# ---- root: real accounts and groups ------------------------------------------------------------
command -v useradd >/dev/null && command -v runuser >/dev/null || fail "useradd and runuser are needed (passwd, util-linux)"
gv=mcv$sfx go=mco$sfx ge=mce$sfx
fill=""
i=1
while [ $i -le 70 ]; do # groups before the engineer group: it comes late in the list
    groupadd "mcf$sfx$i" || fail "groupadd mcf$sfx$i"
    groups="$groups mcf$sfx$i"
    fill="$fill,mcf$sfx$i"
    i=$((i + 1))
done
for g in $gv $go $ge; do
    groupadd "$g" || fail "groupadd $g"
    groups="$groups $g"
done
uo=mcout$sfx uv=mcview$sfx up=mcop$sfx ue=mceng$sfx
mk() { # NAME GROUPS
    useradd -M -N -s /usr/sbin/nologin ${2:+-G "$2"} "$1" || fail "useradd $1"
    users="$users $1"
}
mk "$uo" ""
mk "$uv" "$gv"
mk "$up" "$go"
mk "$ue" "${fill#,},$ge"
[ "$(id -G "$ue" | wc -w)" -ge 72 ] || fail "$ue is in $(id -G "$ue" | wc -w) groups, want 72"
say "accounts $uo $uv $up $ue; groups $gv $go $ge and 70 more for $ue"

cfg "$tmp/m.ini" "$gv" "$go" "$ge"
cfg=$tmp/m.ini
start_sim
start_server srv.log
mode=$(stat -c %a "$tmp/m.sock")
[ "$mode" = 666 ] || fail "socket mode $mode, want 666"
say "socket $tmp/m.sock: mode 666"

verbs "$uo" outsider
say "outsider $uo: every verb refused at connect, with the sentence"
verbs "$uv" viewer
say "viewer $uv: status, journal, export; every change and stop refused with the sentence"
console_roles "$uv" viewer
console_roles "$up" operator
verbs "$up" operator
say "operator $up: set, cmd, ack, shelve to 480 min; long shelve, tune, oos and stop refused"

# ---- a uid without an account -----------------------------------------------------------------------
nouid=$((3000000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ')))
while getent passwd "$nouid" >/dev/null; do nouid=$((nouid + 1)); done
setpriv --reuid="$nouid" --regid="$nouid" --clear-groups "$tmp/meltcon" -c "$cfg" status >"$tmp/out" 2>&1 &&
    fail "uid $nouid without an account was answered: $(cat "$tmp/out")"
grep -q "uid $nouid has no account in the account database" "$tmp/out" ||
    fail "uid without an account: $(cat "$tmp/out")"
checks=$((checks + 1))
say "uid $nouid without an account: refused, with the sentence"

"$MC" -c "$cfg" journal --since -10m >"$tmp/j" 2>&1 || fail "journal: $(cat "$tmp/j")"
grep -q "^[^ ]* $uo@socket session connect .*refused: user $uo is in none of the groups" "$tmp/j" ||
    fail "the outsider's refusal is not journalled under its name"
grep -q "^[^ ]* uid$nouid@socket session connect .*has no account" "$tmp/j" ||
    fail "the refusal of uid $nouid is not journalled"
grep -q "^[^ ]* $up@.* shelve flue_h .*more than the operator limit" "$tmp/j" ||
    fail "the operator's long shelve refusal is not journalled"

console_roles "$ue" engineer
verbs "$ue" engineer # ends with stop
server_gone
say "engineer $ue (in 72 groups): everything, tune, oos, long shelve and stop"
eio_check "$ue" "$gv" " (root, engineer by its uid, still served)"

say "$checks checks passed"
