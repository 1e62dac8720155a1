#!/usr/bin/env python3
"""Operator actions at a steady rate on one connection, for t_record.sh and
bench_writer.sh: `set bath.sp` to a new value each time, sent without
waiting for the answers (as a busy control room would), every reply read.

  actions.py SOCKET RATE_PER_S COUNT [BASE]

Values are BASE + 0.01 * i (i = 1..COUNT; BASE 741), so each action's value
is unique in the journal and in its reply.  Prints one line per reply,
"reply ID OK VALUE", and a summary "sent N replied M ok K" on stderr.
Exit 0 when every action was answered within 30 s of the last send."""
import socket
import sys
import time


def esc(s):
    plain = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-:/+")
    return "".join(chr(c) if c in plain else "%%%02X" % c for c in s.encode())


def fields(msg):
    first = msg.split("\n", 1)[0].split(" ")
    return first[0], dict(kv.split("=", 1) for kv in first[2:] if "=" in kv)


def main():
    path, rate, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    base = float(sys.argv[4]) if len(sys.argv) > 4 else 741.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.settimeout(10)
    while True:  # the hello (the account may be looked up first)
        kind, _ = fields(s.recv(70000).decode(errors="replace"))
        if kind == "hello":
            break
        if kind == "bye":
            sys.exit("actions.py: refused")
    s.setblocking(False)
    want = {}
    replied = ok = 0
    t0 = time.monotonic()
    i = 0
    last = None
    while True:
        now = time.monotonic()
        if i < count and now >= t0 + i / rate:
            value = "%.2f" % (base + 0.01 * (i + 1))
            try:  # a server that does not read: the socket fills, we wait for it
                s.send(("req 1 id=%d t=%.3f verb=set target=bath.sp value=%s reason=%s"
                        % (i + 1, time.time(), value, esc("bench action %d" % (i + 1)))).encode())
            except BlockingIOError:
                time.sleep(0.002)
            else:
                i += 1
                want[i] = value
                if i == count:
                    last = time.monotonic()
                continue
        try:
            m = s.recv(70000).decode(errors="replace")
        except BlockingIOError:
            if last and (replied >= count or time.monotonic() - last > 30):
                break
            time.sleep(0.002)
            continue
        if not m:
            break
        kind, f = fields(m)
        if kind == "reply" and int(f.get("id", "0")) in want:
            replied += 1
            ok += f.get("ok") == "1"
            print("reply %s %s %s %s" % (f["id"], f.get("ok"), f.get("unrec", "0"),
                                         want[int(f["id"])]), flush=True)
        elif kind == "bye":
            break
    print("sent %d replied %d ok %d" % (i, replied, ok), file=sys.stderr)
    sys.exit(0 if replied == count else 1)


main()
