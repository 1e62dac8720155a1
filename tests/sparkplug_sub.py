#!/usr/bin/python3
"""sparkplug_sub.py -- a Sparkplug B host application for the tests: it
decodes every message of a group with Debian's paho-mqtt and protobuf and
the repository's own control/wire/sparkplug_b.proto (compiled by protoc
into GEN, a temporary directory), and checks the node's side of the
protocol as it goes.

    sparkplug_sub.py --gen DIR --port P [--group G] --log FILE --state FILE
        run until SIGTERM: every message one JSON line in FILE (arrival time,
        topic, kind, node, seq, bdSeq, metrics with name, value, quality,
        historical flag and timestamp); the nodes' current values written to
        the state FILE (JSON) every 0.2 s; protocol errors (a seq out of
        order, DDATA before a birth, an alias never born) as lines
        {"error": ...} in the log.
    sparkplug_sub.py --gen DIR --port P --send TOPIC METRIC=BOOL...
        publish one command payload (NCMD/DCMD) and exit.
"""
import argparse, json, os, signal, sys, threading, time

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--gen", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--group", default="meltcon")
ap.add_argument("--log")
ap.add_argument("--state")
ap.add_argument("--send", nargs="+")
a = ap.parse_args()
sys.path.insert(0, a.gen)
import sparkplug_b_pb2 as spb  # noqa: E402

QNAME = {192: "GOOD", 16: "BAD_SENSOR", 24: "BAD_COMMS", 68: "STALE"}


def value_of(m):
    w = m.WhichOneof("value")
    return None if w is None else getattr(m, w)


def props(m):
    out = {}
    if m.HasField("properties"):
        for k, v in zip(m.properties.keys, m.properties.values):
            out[k] = value_of(v)
    return out


if a.send:
    p = spb.Payload()
    p.timestamp = int(time.time() * 1000)
    for kv in a.send[1:]:
        k, v = kv.rsplit("=", 1)
        m = p.metrics.add()
        m.name = k
        m.datatype = 11
        m.boolean_value = v == "true"
    c = mqtt.Client()
    c.connect("127.0.0.1", a.port)
    c.loop_start()
    c.publish(a.send[0], p.SerializeToString(), qos=1).wait_for_publish()
    c.loop_stop()
    c.disconnect()
    sys.exit(0)

def rebirth_payload():
    p = spb.Payload()
    p.timestamp = int(time.time() * 1000)
    m = p.metrics.add()
    m.name, m.datatype, m.boolean_value = "Node Control/Rebirth", 11, True
    return p.SerializeToString()


lock = threading.Lock()
nodes = {}  # node -> {"online", "bdSeq", "seq", "aliases", "values", "quality", "births", ...}
logf = open(a.log, "a", buffering=1)


def log(obj):
    logf.write(json.dumps(obj) + "\n")


def on_connect(c, userdata, flags, rc):
    c.subscribe("spBv1.0/%s/#" % a.group, qos=0)
    log({"t": time.time(), "subscribed": rc})


def on_message(c, userdata, msg):
    t = time.time()
    parts = msg.topic.split("/")
    if len(parts) < 4:
        return
    kind, node = parts[2], parts[3]
    try:
        p = spb.Payload()
        p.ParseFromString(msg.payload)
    except Exception as e:  # a garbage payload is an error of the node
        log({"t": t, "topic": msg.topic, "error": "not Sparkplug B: %s" % e})
        return
    with lock:
        n = nodes.setdefault(node, {"online": False, "bdSeq": None, "seq": None, "aliases": {},
                                    "values": {}, "quality": {}, "births": 0, "deaths": 0,
                                    "last": t, "units": {}})
        rec = {"t": t, "topic": msg.topic, "kind": kind, "node": node,
               "seq": p.seq if p.HasField("seq") else None, "ts": p.timestamp,
               "bytes": len(msg.payload), "metrics": []}
        if kind in ("NBIRTH", "DBIRTH", "DDATA", "NDATA"):
            if kind == "NBIRTH":
                if p.seq != 0:
                    log({"t": t, "error": "%s NBIRTH seq %d, not 0" % (node, p.seq)})
            elif n["seq"] is None:  # joined after the birth: ask for one, as a host does
                if not n.get("asked"):
                    n["asked"] = True
                    log({"t": t, "late": node})
                    c.publish("spBv1.0/%s/NCMD/%s" % (a.group, node), rebirth_payload())
                return
            elif p.seq != (n["seq"] + 1) % 256:
                log({"t": t, "error": "%s %s seq %d after %d" % (node, kind, p.seq, n["seq"])})
            n["seq"] = p.seq
        for m in p.metrics:
            name = m.name if m.name else n["aliases"].get(m.alias)
            if kind == "DBIRTH":
                n["aliases"][m.alias] = m.name
            if name is None:
                log({"t": t, "error": "%s %s alias %d never born" % (node, kind, m.alias)})
                continue
            pr = props(m)
            r = {"name": name, "v": value_of(m), "ts": m.timestamp}
            if m.is_historical:
                r["hist"] = True
            if "Quality" in pr:
                r["q"] = QNAME.get(pr["Quality"], str(pr["Quality"]))
            if "engUnit" in pr:
                r["unit"] = pr["engUnit"]
            if "priority" in pr:
                r["prio"] = pr["priority"]
            rec["metrics"].append(r)
            if kind in ("NBIRTH", "NDEATH") and name == "bdSeq":
                rec["bdSeq"] = r["v"]
            if kind in ("DBIRTH", "DDATA") and not m.is_historical:
                n["values"][name] = r["v"]
                if "q" in r:
                    n["quality"][name] = r["q"]
                if "unit" in r:
                    n["units"][name] = r["unit"]
        if kind == "NBIRTH":
            n["online"], n["bdSeq"], n["births"] = True, rec.get("bdSeq"), n["births"] + 1
        if kind == "NDEATH":
            if rec.get("bdSeq") == n["bdSeq"]:
                n["online"], n["deaths"] = False, n["deaths"] + 1
            else:
                rec["stale_death"] = True
        n["last"] = t
        log(rec)


def dump():
    while True:
        time.sleep(0.2)
        with lock:
            s = json.dumps(nodes)
        tmp = a.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(s)
        os.replace(tmp, a.state)


signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
c = mqtt.Client()
c.on_connect = on_connect
c.on_message = on_message
c.reconnect_delay_set(min_delay=1, max_delay=1)
c.connect("127.0.0.1", a.port, keepalive=120)
threading.Thread(target=dump, daemon=True).start()
c.loop_forever(retry_first_connection=True)
