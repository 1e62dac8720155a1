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
