# tui_lib.sh — drive a terminal program through tmux as a person would.
#
# Source it after setting TUI_TMP to a private folder (mktemp -d).  Every
# pane runs in its own tmux server (socket $TUI_TMP/tmux-NAME, no user
# config, no status line, the pane kept when its program ends).  The
# program runs from a small script that writes its pid ($TUI_TMP/NAME.pid,
# the program's own when the command line execs it) and a wrapper writes its
# exit status ($TUI_TMP/NAME.status): tmux itself does not always reap a
# pane's process promptly.  Nothing here kills by name: tui_stop ends the
# one tmux server it started.
#
#   tui_start NAME COLS ROWS CMD     start CMD (a shell command line; end it
#                                    with "exec PROGRAM ..." so the pid is the
#                                    program's) in a COLS x ROWS pane
#   tui_keys NAME KEY...             press keys (tmux names: Enter Escape F3
#                                    BSpace Up Down C-c, or single characters)
#   tui_type NAME TEXT               type TEXT literally
#   tui_capture NAME [-e]            print the screen (-e: with attributes)
#   tui_wait NAME REGEX [SECONDS]    wait until a screen line matches REGEX
#                                    (grep -E); on timeout print the screen
#                                    and return 1 (default 10 s)
#   tui_wait_not NAME REGEX [SECONDS]  wait until no line matches
#   tui_resize NAME COLS ROWS        resize the pane's window
#   tui_pid NAME                     the pid of the pane's program
#   tui_alive NAME                   0 while the program runs
#   tui_status NAME                  its exit status once it has ended
#   tui_wait_dead NAME [SECONDS]     wait until the program has ended and its
#                                    status is known
#   tui_stop NAME                    end the pane and its tmux server

_tui() { tmux -S "$TUI_TMP/tmux-$1" "$@"; }
_tui_sock() { echo "$TUI_TMP/tmux-$1"; }

tui_start() {
    _n=$1 _c=$2 _r=$3; shift 3
    printf 'set -g status off\nset -g remain-on-exit on\nset -g default-terminal screen\nset -g history-limit 0\n' \
        >"$TUI_TMP/tmux.conf"
    rm -f "$TUI_TMP/$_n.pid" "$TUI_TMP/$_n.status"
    printf 'echo $$ >"%s"\n%s\n' "$TUI_TMP/$_n.pid" "$*" >"$TUI_TMP/$_n.sh"
    tmux -S "$(_tui_sock "$_n")" -f "$TUI_TMP/tmux.conf" new-session -d -s "$_n" \
        -x "$_c" -y "$_r" "sh '$TUI_TMP/$_n.sh'; echo \$? >'$TUI_TMP/$_n.st'; mv '$TUI_TMP/$_n.st' '$TUI_TMP/$_n.status'" || return 1
    _i=0
    while [ ! -s "$TUI_TMP/$_n.pid" ] && [ "$_i" -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    tmux -S "$(_tui_sock "$_n")" set-option -t "$_n" -w window-size manual >/dev/null 2>&1
    tmux -S "$(_tui_sock "$_n")" resize-window -t "$_n" -x "$_c" -y "$_r" >/dev/null 2>&1
    return 0
}

tui_keys() { _n=$1; shift; tmux -S "$(_tui_sock "$_n")" send-keys -t "$_n" "$@"; }
tui_type() { tmux -S "$(_tui_sock "$1")" send-keys -t "$1" -l "$2"; }

tui_capture() {
    if [ "${2:-}" = -e ]; then
        tmux -S "$(_tui_sock "$1")" capture-pane -p -e -t "$1"
    else
        tmux -S "$(_tui_sock "$1")" capture-pane -p -t "$1"
    fi
}

# poll every 0.1 s; $3 seconds at most
_tui_poll() { # NAME REGEX SECONDS WANT(0 match, 1 no match)
    _i=0 _max=$(($3 * 10))
    while [ "$_i" -lt "$_max" ]; do
        if tui_capture "$1" | grep -Eq -- "$2"; then _m=0; else _m=1; fi
        [ "$_m" = "$4" ] && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    echo "tui: waited ${3}s for the screen of $1 to $([ "$4" = 0 ] && echo show || echo lose) /$2/; the screen:"
    tui_capture "$1" | sed 's/^/    | /'
    return 1
}

tui_wait() { _tui_poll "$1" "$2" "${3:-10}" 0; }
tui_wait_not() { _tui_poll "$1" "$2" "${3:-10}" 1; }

tui_resize() { tmux -S "$(_tui_sock "$1")" resize-window -t "$1" -x "$2" -y "$3"; }
tui_pid() { cat "$TUI_TMP/$1.pid"; }
tui_alive() { [ ! -e "$TUI_TMP/$1.status" ]; }
tui_status() { cat "$TUI_TMP/$1.status" 2>/dev/null; }

tui_wait_dead() {
    _i=0 _max=$((${2:-5} * 10))
    while tui_alive "$1"; do
        [ "$_i" -ge "$_max" ] && { echo "tui: $1 still running after ${2:-5}s"; return 1; }
        sleep 0.1
        _i=$((_i + 1))
    done
    return 0
}

tui_stop() {
    tmux -S "$(_tui_sock "$1")" kill-server >/dev/null 2>&1
    rm -f "$(_tui_sock "$1")"
    return 0
}
