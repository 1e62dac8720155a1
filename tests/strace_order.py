#!/usr/bin/env python3
"""Check, from an `strace -f -tt -y -s 400 -e trace=write,fsync,fdatasync,sendto`
log of the meltcon server, that every reply confirming an action went out
after an fsync of the journal that started after the action's line was
written and returned 0: "on disk before confirmed".

  strace_order.py STRACE_LOG COUNT [BASE]

The actions are tests/actions.py's: `set bath.sp` to BASE + 0.01 * i, so
"-> VALUE" names action i in its journal line and in its reply.  Prints
one summary line; exit 1 with the first violation."""
import re
import sys

log, count = sys.argv[1], int(sys.argv[2])
base = float(sys.argv[3]) if len(sys.argv) > 3 else 741.0
keys = {"-> %g" % (base + 0.01 * i): i for i in range(1, count + 1)}  # as the server prints it
JOURNAL = "/journal/journal-"
line_re = re.compile(r"^(\d+)\s+\S+\s+(.*)$")

written = set()        # keys written to the journal, not yet in an fsync
in_sync = {}           # tid -> keys covered by the fsync it has in flight
synced = set()         # keys whose fsync returned 0
replied, bad = set(), []
fsyncs = 0


def keys_in(text):
    return [k for k in keys if k + " " in text or text.endswith(k)]


for raw in open(log, errors="replace"):
    m = line_re.match(raw.rstrip("\n"))
    if not m:
        continue
    tid, rest = m.group(1), m.group(2)
    if rest.startswith("write(") and JOURNAL in rest.split(",", 1)[0]:
        for k in keys_in(rest):
            written.add(k)
    elif rest.startswith(("fsync(", "fdatasync(")) and JOURNAL in rest.split(")", 1)[0]:
        in_sync[tid] = set(written)
        written.clear()
        if not rest.endswith("<unfinished ...>"):  # finished on the same line
            if re.search(r"\) = 0", rest):
                synced |= in_sync.pop(tid)
                fsyncs += 1
            else:
                in_sync.pop(tid)
    elif rest.startswith(("<... fsync resumed>", "<... fdatasync resumed>")) and tid in in_sync:
        if re.search(r"\) = 0", rest):
            synced |= in_sync.pop(tid)
            fsyncs += 1
        else:
            in_sync.pop(tid)
    elif rest.startswith("sendto(") and '"reply 1 ' in rest and "ok=1" in rest:
        text = re.sub(r"%([0-9A-F]{2})", lambda h: chr(int(h.group(1), 16)), rest)
        for k in keys_in(text):
            replied.add(k)
            if k not in synced:
                bad.append("action %d (%s): its reply went out before an fsync of its journal "
                           "line returned" % (keys[k], k))

if bad:
    print("strace_order: " + bad[0])
    sys.exit(1)
if len(replied) != count:
    print("strace_order: %d of %d confirmations seen in the trace" % (len(replied), count))
    sys.exit(1)
print("strace_order: %d confirmations, each after the fsync of its journal line "
      "(%d journal fsyncs)" % (len(replied), fsyncs))
