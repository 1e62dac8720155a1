# tests/lib.sh — sourced by the shell tests that run meltsim and a server of
# their own: a free port, waiting for a condition, and a furnace's own copy of
# the shipped configuration.  Sourcing it defines functions only; the caller
# keeps its own tmp, say and fail, and stops what it started by pid.

# free_port: a TCP port on 127.0.0.1 nobody listens on now
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for TRIES CMD...: run CMD (output dropped) every 0.1 s until it succeeds;
# 1 when it has failed TRIES times
wait_for() {
    _wf_n=$1; shift
    _wf_i=0
    until "$@" >/dev/null 2>&1; do
        _wf_i=$((_wf_i + 1)); [ "$_wf_i" -ge "$_wf_n" ] && return 1; sleep 0.1
    done
    return 0
}

# furnace_ini FILE DIR PORT [SED-EXPRESSION...]: FILE, the shipped
# configuration with meltsim and the PLC link on PORT, the server's socket
# DIR/m.sock, its state in DIR/state, meltsim's inject socket DIR/i.sock, and
# each further argument applied as one more sed expression; readable by all
# (the tests' other accounts read it too)
furnace_ini() {
    _fi_file=$1 _fi_dir=$2 _fi_port=$3
    shift 3
    {
        printf '%s\n' "s/^port = 1502\$/port = $_fi_port/" "s|^socket =.*|socket = $_fi_dir/m.sock|" \
            "s|^state_dir =.*|state_dir = $_fi_dir/state|" \
            "s|^inject_socket =.*|inject_socket = $_fi_dir/i.sock|"
        for _fi_e in "$@"; do printf '%s\n' "$_fi_e"; done
    } >"$_fi_file.sed"
    sed -f "$_fi_file.sed" "${MELTCON_SRC:-.}/config/meltcon.ini" >"$_fi_file" || return 1
    rm -f "$_fi_file.sed"
    chmod 644 "$_fi_file"
}
