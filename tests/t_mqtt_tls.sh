#!/bin/sh
# The Sparkplug B publisher through TLS and a login, against a real mosquitto
# (issue 17's [mqtt] tls_ca, tls_cert, tls_key, username, password_file):
# certificates made here with openssl (a CA, the broker's certificate for
# 127.0.0.1, a client certificate, and a second CA nobody trusts).  The broker
# has a TLS listener that wants a client certificate and a password, and a
# plain listener on loopback for the test's own subscriber.  Checked: the
# furnace with the right files and password is born (its NBIRTH reaches the
# subscriber); a wrong password, a broker certificate from an unknown CA and a
# missing client certificate and a broker whose certificate names another host
# are each refused, each said in the furnace's
# journal, and the server runs its cycle on regardless; an unreadable key file
# stops start-up with a sentence naming the key and the file.
set -u
tmp=$(mktemp -d)
chmod 755 "$tmp"
say() { echo "t_mqtt_tls: $*"; }
fail() {
    echo "FAIL: $*"
    for f in mosq.log sub.log ok/srv.log; do
        [ -s "$tmp/$f" ] && { echo "--- $f"; tail -8 "$tmp/$f"; }
    done
    exit 1
}
. "${MELTCON_SRC:-.}/tests/mqtt_lib.sh"
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

mqtt_prereq
command -v openssl >/dev/null 2>&1 || fail "openssl is missing (make deps: openssl)"
# ---- certificates ------------------------------------------------------------------------
c=$tmp/pki
mkdir -p "$c"
ossl() { openssl "$@" >>"$c/openssl.log" 2>&1 || fail "openssl $1: $(tail -3 "$c/openssl.log")"; }
for ca in ca rogue; do
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=meltcon test $ca" \
        -keyout "$c/$ca.key" -out "$c/$ca.crt"
done
printf 'subjectAltName = IP:127.0.0.1\n' >"$c/san.ext"
ossl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$c/broker.key" -out "$c/broker.csr"
ossl x509 -req -in "$c/broker.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 2 \
    -extfile "$c/san.ext" -out "$c/broker.crt"
# the right CA, the wrong name: a broker that is not the one asked for
printf 'subjectAltName = DNS:other-broker.invalid\n' >"$c/other.ext"
ossl req -newkey rsa:2048 -nodes -subj "/CN=other-broker.invalid" -keyout "$c/other.key" -out "$c/other.csr"
ossl x509 -req -in "$c/other.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 2 \
    -extfile "$c/other.ext" -out "$c/other.crt"
ossl req -newkey rsa:2048 -nodes -subj "/CN=tcf-furnace" -keyout "$c/client.key" -out "$c/client.csr"
ossl x509 -req -in "$c/client.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 2 \
    -out "$c/client.crt"
chmod 644 "$c"/*
# ---- the broker: TLS + client certificate + password, and a plain loopback listener -------
printf 'furnace-secret\n' >"$c/pw.ok"
printf 'not-the-password\n' >"$c/pw.bad"
: >"$c/passwd"
mosquitto_passwd -b "$c/passwd" furnace furnace-secret >>"$c/openssl.log" 2>&1 ||
    fail "mosquitto_passwd: $(tail -2 "$c/openssl.log")"
chmod 644 "$c/passwd"
bport=$(free_port)  # the plain one, for the subscriber
tport=$(free_port)  # the TLS one, for the furnaces
oport=$(free_port)  # TLS with a certificate for another name
cat >"$tmp/mosq.conf" <<EOF
per_listener_settings true
persistence false
listener $bport 127.0.0.1
allow_anonymous true
listener $tport 127.0.0.1
allow_anonymous false
password_file $c/passwd
cafile $c/ca.crt
certfile $c/broker.crt
keyfile $c/broker.key
require_certificate true
listener $oport 127.0.0.1
allow_anonymous false
password_file $c/passwd
cafile $c/ca.crt
certfile $c/other.crt
keyfile $c/other.key
require_certificate true
EOF
"$MOSQ" -c "$tmp/mosq.conf" >>"$tmp/mosq.log" 2>&1 &
brokerpid=$!
pids="$pids $brokerpid"
wait_for 50 $PY -c "import socket; socket.create_connection(('127.0.0.1', $tport), 1)" ||
    fail "mosquitto did not listen on $tport: $(tail -3 "$tmp/mosq.log")"
sub_start
# tls NAME CA CERT KEY PASSWORD_FILE: furnace NAME's config, publishing to the TLS listener
tls() {
    furnace_cfg "$1" 5
    sed -i -e "/^\[mqtt\]/,/^\[/{s|^port = .*|port = $tport|;s|^tls_ca =.*|tls_ca = $2|;s|^tls_cert =.*|tls_cert = $3|" \
        -e "s|^tls_key =.*|tls_key = $4|;s|^username =.*|username = furnace|;s|^password_file =.*|password_file = $5|}" \
        "$tmp/$1/m.ini"
}
# furnace_start writes the config itself; start one from the config tls made
start() {
    d=$tmp/$1
    "$MS" -c "$d/m.ini" --port "$(cat "$d/port")" >>"$d/sim.log" 2>&1 &
    pids="$pids $!"
    wait_for 50 $PY -c "import socket; socket.create_connection(('127.0.0.1', $(cat "$d/port")), 1)" ||
        fail "meltsim of $1 did not listen"
    "$MC" -c "$d/m.ini" server -f >>"$d/srv.log" 2>&1 &
    pids="$pids $!"
    wait_for 100 "$MC" -c "$d/m.ini" status || fail "the server of $1 did not answer: $(tail -3 "$d/srv.log")"
}
journal_has() { "$MC" -c "$tmp/$1/m.ini" journal 2>/dev/null | grep -q "$2"; }

# ---- the right files and password: born ----------------------------------------------------
tls ok "$c/ca.crt" "$c/client.crt" "$c/client.key" "$c/pw.ok"
start ok
wait_for 150 st "'ok' in n and n['ok']['online'] and len(n['ok']['values']) > 100" ||
    fail "the furnace with a good certificate and password was not born: $("$MC" -c "$tmp/ok/m.ini" journal 2>&1 | grep MQTT | tail -3)"
wait_for 50 journal_has ok "MQTT: node born on 127.0.0.1:$tport" || fail "no 'node born' line in ok's journal"
say "TLS with a client certificate and a password: born, $($PY -c "import json; print(len(json.load(open('$tmp/st.json'))['ok']['values']))") metrics"

# ---- each wrong thing: refused, said, the cycle runs on ------------------------------------
tls badpw "$c/ca.crt" "$c/client.crt" "$c/client.key" "$c/pw.bad"
tls rogue "$c/rogue.crt" "$c/client.crt" "$c/client.key" "$c/pw.ok"
tls nocert "$c/ca.crt" "" "" "$c/pw.ok"
tls othername "$c/ca.crt" "$c/client.crt" "$c/client.key" "$c/pw.ok"
sed -i "/^\[mqtt\]/,/^\[/s|^port = .*|port = $oport|" "$tmp/othername/m.ini"
for f in badpw rogue nocert othername; do start $f; done
wait_for 100 journal_has badpw "MQTT: the broker 127.0.0.1:$tport refused the connection: .*not authori[sz]ed" ||
    fail "a wrong password: $("$MC" -c "$tmp/badpw/m.ini" journal 2>&1 | grep MQTT | tail -2)"
say "a wrong password: $("$MC" -c "$tmp/badpw/m.ini" journal | grep -o 'MQTT: the broker[^"]*' | head -1)"
for f in rogue nocert othername; do
    p=$tport; [ $f = othername ] && p=$oport
    wait_for 100 journal_has $f "MQTT: \(cannot reach\|connection to\) the broker 127.0.0.1:$p" ||
        fail "$f: no journal line: $("$MC" -c "$tmp/$f/m.ini" journal 2>&1 | grep MQTT | tail -2)"
    say "$f: $("$MC" -c "$tmp/$f/m.ini" journal | grep -o 'MQTT: \(cannot reach\|connection to\) the broker[^"]*' | head -1)"
done
sleep 2
for f in badpw rogue nocert othername; do
    st "'$f' not in n" || fail "$f was born through a broker that should have refused it"
    # the cycle runs on: the link up and the cycle counter moving
    a=$("$MC" -c "$tmp/$f/m.ini" status --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["link"]["state"], d["cycle"]["cycles"])' 2>&1)
    sleep 1
    b=$("$MC" -c "$tmp/$f/m.ini" status --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["link"]["state"], d["cycle"]["cycles"])' 2>&1)
    case "$a $b" in "UP "*" UP "*) ;; *) fail "$f: status: $a / $b" ;; esac
    [ "${a#* }" != "${b#* }" ] || fail "$f: the cycle did not move in 1 s ($a / $b)"
done
st "n['ok']['online']" || fail "the good furnace went offline"
say "refused four ways; each said in its journal; not born; every cycle ran on"

# ---- a key file the server cannot read: start-up stops with the key and the file -----------
tls badkey "$c/ca.crt" "$c/client.crt" "$tmp/pki/none.key" "$c/pw.ok"
"$MC" -c "$tmp/badkey/m.ini" server -f >"$tmp/badkey.out" 2>&1 && fail "started with an unreadable tls_key"
grep -qx "meltcon server: \[mqtt\] tls_key = \"$tmp/pki/none.key\": cannot read it: No such file or directory" \
    "$tmp/badkey.out" || fail "unreadable tls_key: $(cat "$tmp/badkey.out")"
say "an unreadable [mqtt] tls_key: refused to start, with its sentence"
echo "t_mqtt_tls: ok"
