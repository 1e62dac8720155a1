#!/bin/sh
# Install the Debian packages meltcon needs, or say exactly how to.
# Usage: deps.sh [EXTRA...]   or   DEPS_EXTRA="EXTRA..." deps.sh
# Extras: bench (make bench: cyclictest, htop), coverage (make coverage: gcovr).
set -e
# python3: the shell tests use it for JSON and raw sockets (Debian's, not pip).
# libsystemd-dev: sd_journal_send, the server's events in the system journal.
# nettle-dev: SHA-256 (the config digest).
# groff-base, man-db: t_cli and t_install render the man pages (groff -ww, man -l).
# systemd, strace: t_install (systemd-analyze, -sysusers, -tmpfiles; the
# server's system calls against the unit's filter).
# locales: t_locale compiles de_DE.UTF-8 with localedef from its definitions.
# libsqlite3-dev, sqlite3: the historian database and the query the README shows.
# libmosquitto-dev, mosquitto, libprotobuf-c-dev, protobuf-c-compiler: the
# Sparkplug B publisher and the broker its tests start; python3-paho-mqtt and
# python3-protobuf (+ protobuf-compiler) decode the payloads in those tests.
# openssl: t_mqtt_tls makes its CA and certificates.
PKGS="libncurses-dev libmodbus-dev libiniparser-dev libcmocka-dev nettle-dev tmux pkg-config python3 libsystemd-dev groff-base man-db systemd strace locales libsqlite3-dev sqlite3 libmosquitto-dev mosquitto libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3-paho-mqtt python3-protobuf openssl"
for x in "$@" ${DEPS_EXTRA:-}; do
    case "$x" in
        bench) PKGS="$PKGS rt-tests htop" ;;
        coverage) PKGS="$PKGS gcovr" ;;
        *) echo "deps: unknown extra '$x' (known: bench coverage)" >&2; exit 2 ;;
    esac
done
command -v dpkg-query >/dev/null 2>&1 || {
    echo "deps: not a Debian system; install: $PKGS" >&2; exit 0; }
missing=""
for p in $PKGS; do
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$s" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $missing >/dev/null 2>&1 || {
        apt-get update -q >/dev/null && apt-get install -y -q $missing; }
else
    echo "deps: missing packages; run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 1
fi
