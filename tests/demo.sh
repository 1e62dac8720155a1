#!/bin/sh
# make demo: the training default.  Starts meltsim (the simulated furnace)
# and the console against it; the console starts the meltcon server.  The
# demo runs on a copy of config/meltcon.ini whose socket, state (journal,
# historian) and instructor channel live in a private folder, on port 1502
# or a free one if that is taken.  On the way out the server and meltsim
# are stopped by their pids.
B=${1:-build}
work=$(mktemp -d "${TMPDIR:-/tmp}/meltcon-demo.XXXXXX")
cfg=$work/meltcon.ini
simpid=""
cleanup() {
    p=$(cat "$work/state/server.lock" 2>/dev/null)
    [ -n "$p" ] && grep -q meltcon "/proc/$p/cmdline" 2>/dev/null && kill "$p"
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
port=1502
"$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1 && port=$("$B/mbtool" freeport)
sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =.*|socket = $work/meltcon.sock|" \
    -e "s|^state_dir =.*|state_dir = $work/state|" \
    -e "s|^inject_socket =.*|inject_socket = $work/inject.sock|" config/meltcon.ini >"$cfg"
"$B/meltsim" -c "$cfg" --port "$port" >"$work/meltsim.log" 2>&1 &
simpid=$!
i=0
until "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$simpid" 2>/dev/null; then
        echo "demo: meltsim did not start:"; cat "$work/meltsim.log"; exit 1
    fi
    sleep 0.05
done
cat <<MSG
demo: meltsim, the simulated furnace, runs on 127.0.0.1:$port (pid $simpid).
demo: from another terminal, as the instructor:
        $B/meltsim -c $cfg inject list
        $B/meltsim -c $cfg inject tc_broken bath_hc_temp
      and as maintenance: $B/meltcon -c $cfg status
demo: starting the console (F1 or ? for help, q to quit) ...
MSG
sleep 2
if [ -t 0 ] && [ -t 1 ]; then
    "$B/meltcon" -c "$cfg"
else
    echo "demo: not on a terminal: the console needs one; showing status instead"
    "$B/meltcon" -c "$cfg" server >/dev/null && sleep 2 && "$B/meltcon" -c "$cfg" status
fi
