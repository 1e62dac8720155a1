# The console tests against build/fakeserver share this start: a temporary
# directory with tui_lib.sh loaded, a copy of the shipped config whose
# [server] socket points into it, cleanup of the fake and every tmux server
# on exit, and fail().  Sourced (". tests/fake_lib.sh") by t_tui_fake,
# t_tui_truth and t_tui_whole, which then define their own start_fake.
TUI_TMP=$(mktemp -d)
. "$(dirname "$0")/tui_lib.sh"
FAKE=${FAKESERVER:-$BUILD_DIR/fakeserver}
sock=$TUI_TMP/s.sock
cfg=$TUI_TMP/meltcon.ini
log=$TUI_TMP/fake.log
fpid=""
cur=""

cleanup() {
    [ -n "$cur" ] && tui_stop "$cur"
    [ -n "$fpid" ] && kill "$fpid" 2>/dev/null
    for s in "$TUI_TMP"/tmux-*; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
    rm -rf "$TUI_TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$FAKE" ] || fail "no fake server at $FAKE"
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"
sed "s|^socket =.*|socket = $sock|" config/meltcon.ini >"$cfg"
grep -q "^socket = $sock" "$cfg" || fail "could not point [server] socket at $sock"

start_fake() { # extra options for the fake server
    : >"$log"
    rm -f "$sock"
    "$FAKE" -c "${CFG:-$cfg}" -s "$sock" -l "$log" --user anna "$@" &
    fpid=$!
    _sf_i=0
    while [ ! -S "$sock" ]; do
        _sf_i=$((_sf_i + 1)); [ $_sf_i -gt 50 ] && fail "fake server did not start"
        sleep 0.1
    done
}
stop_fake() {
    kill "$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    fpid=""
}
console() { # NAME COLS ROWS ENV...: the console in tmux session NAME
    n=$1 c=$2 r=$3; shift 3
    cur=$n
    tui_start "$n" "$c" "$r" "$* exec ${CONSOLE:-$MELTCON} -c ${CFG:-$cfg}" || fail "tmux would not start"
}
done_console() { tui_stop "$cur"; cur=""; }
logged() { grep -q -- "$1" "$log" || fail "not in the server log: $1 (log: $(cat "$log"))"; }
not_logged() { grep -q -- "$1" "$log" && fail "sent although it must not be: $1"; return 0; }
