#!/usr/bin/env python3
"""plcproxy -- a Modbus TCP proxy in front of meltsim that plays a slow or
refusing PLC, for the tests and `make bench` (issue 12).

    plcproxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE

Every request from a client is read whole (MBAP header and PDU), then, as
CONTROL_FILE says at that moment (read again whenever it changes; missing or
empty: pass everything at once):
    delay MS            answer each request MS milliseconds later
    refuse-read TABLE   answer reads of TABLE (ir hr di co) with exception 2
                        (illegal data address) without asking meltsim
    refuse-write ADDR   answer writes of holding registers or coils starting
                        at ADDR with exception 2
Otherwise the request goes to meltsim on 127.0.0.1:TARGET_PORT and its answer
back.  One thread per client, one meltsim connection each.  Prints "ready" on
stdout once it listens.
"""
import os
import socket
import struct
import sys
import threading
import time

READ_FC = {1: "co", 2: "di", 3: "hr", 4: "ir"}
WRITE_FC = (5, 6, 15, 16)


class Control:
    def __init__(self, path):
        self.path, self.mtime, self.rules = path, None, {}
        self.lock = threading.Lock()

    def get(self):
        with self.lock:
            try:
                m = os.stat(self.path).st_mtime_ns
            except OSError:
                self.mtime, self.rules = None, {}
                return self.rules
            if m != self.mtime:
                rules = {"refuse-read": set(), "refuse-write": set()}
                try:
                    with open(self.path) as f:
                        for line in f:
                            w = line.split()
                            if len(w) == 2 and w[0] == "delay":
                                rules["delay"] = float(w[1]) / 1000.0
                            elif len(w) == 2 and w[0] in ("refuse-read", "refuse-write"):
                                rules[w[0]].add(w[1])
                except (OSError, ValueError):
                    return self.rules
                self.mtime, self.rules = m, rules
            return self.rules


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def serve(cli, target, ctl):
    up = None
    try:
        up = socket.create_connection(("127.0.0.1", target), timeout=5)
        while True:
            hdr = recv_exact(cli, 7)
            if hdr is None:
                return
            tid, _, length, unit = struct.unpack(">HHHB", hdr)
            pdu = recv_exact(cli, length - 1)
            if pdu is None:
                return
            rules = ctl.get()
            if rules.get("delay"):
                time.sleep(rules["delay"])
            fc = pdu[0]
            addr = struct.unpack(">H", pdu[1:3])[0] if len(pdu) >= 3 else -1
            refuse = (fc in READ_FC and READ_FC[fc] in rules.get("refuse-read", ())) or (
                fc in WRITE_FC and str(addr) in rules.get("refuse-write", ()))
            if refuse:
                cli.sendall(struct.pack(">HHHBBB", tid, 0, 3, unit, fc | 0x80, 2))
                continue
            up.sendall(hdr + pdu)
            rh = recv_exact(up, 7)
            if rh is None:
                return
            body = recv_exact(up, struct.unpack(">H", rh[4:6])[0] - 1)
            if body is None:
                return
            cli.sendall(rh + body)
    except OSError:
        return
    finally:
        cli.close()
        if up:
            up.close()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: plcproxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE")
    listen, target, ctl = int(sys.argv[1]), int(sys.argv[2]), Control(sys.argv[3])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        cli, _ = srv.accept()
        cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(cli, target, ctl), daemon=True).start()


if __name__ == "__main__":
    main()
