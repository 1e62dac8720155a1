#!/bin/sh
# make demo: the simulated furnace (meltsim) and the console against it, the
# training default.  Uses config/meltcon.ini; when its Modbus port is taken,
# a free one is used through a copy of the file.  Everything started here is
# stopped by its pid on the way out.
B=${1:-build}
cfg=config/meltcon.ini
work=$(mktemp -d "${TMPDIR:-/tmp}/meltcon-demo.XXXXXX")
simpid=""
cleanup() {
    [ -x "$B/meltcon" ] && "$B/meltcon" -c "$cfg" stop >/dev/null 2>&1
    [ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM HUP
port=$(sed -n '/^\[sim\]/,/^\[/s/^port = //p' "$cfg")
if "$B/mbtool" read "$port" ir 0 1 >/dev/null 2>&1; then
    port=$("$B/mbtool" freeport)
    sed -e "s/^port = 1502$/port = $port/" -e "s|^socket =$|socket = $work/meltcon.sock|" \
        -e "s|^state_dir =$|state_dir = $work/state|" "$cfg" >"$work/meltcon.ini"
    cfg=$work/meltcon.ini
    echo "demo: port 1502 is taken; using $port ($cfg)"
fi
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
echo "demo: meltsim runs on 127.0.0.1:$port (pid $simpid); faults: $B/meltsim -c $cfg inject list --port $port"
if "$B/meltcon" --help 2>/dev/null | grep -q "attach"; then
    "$B/meltcon" -c "$cfg"
else
    echo "demo: the console is not built yet; reading the simulator every 2 s (Ctrl-C stops)"
    while kill -0 "$simpid" 2>/dev/null; do
        set -- $("$B/mbtool" read "$port" ir 0 7)
        echo "HC gas $(($1 / 10)) degC  roof $(($2 / 10))  bath $(($3 / 10))/$(($4 / 10))  SC gas $(($5 / 10))  flue $(($6 / 10))"
        sleep 2
    done
fi
