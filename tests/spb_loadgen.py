#!/usr/bin/python3
"""spb_loadgen.py -- N simulated furnaces speaking the meltcon server's
Sparkplug B payload (the metric names, datatypes, units and quality
property of control/server/mqtt_metric.h), for tests/bench_mqtt.sh.

    spb_loadgen.py --gen DIR --port P --nodes N --seconds S [--group G] [--hz 4]

Each node: NBIRTH (bdSeq), DBIRTH of 127 metrics by alias, then DDATA at
--hz with what a furnace in HOLD changes in a cycle (bath, HC and roof
temperatures, the firing, the heartbeats: 6 metrics), each stamped with the
time it was made.  One MQTT connection carries every node.  Prints the
messages and bytes sent.
"""
import argparse, random, sys, time

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--gen", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--nodes", type=int, required=True)
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--group", default="meltcon")
ap.add_argument("--hz", type=float, default=4)
a = ap.parse_args()
sys.path.insert(0, a.gen)
import sparkplug_b_pb2 as spb  # noqa: E402

DOUBLE, BOOL, INT32, INT64, STRING = 10, 11, 3, 4, 12
metrics = [("tags/hc_gas_temp", DOUBLE, "degC", 893.0), ("tags/roof_temp", DOUBLE, "degC", 843.0),
           ("tags/firing_fb", DOUBLE, "%", 23.0), ("tags/plc_heartbeat", DOUBLE, "", 0.0),
           ("tags/console_heartbeat", DOUBLE, "", 0.0)]
metrics += [("tags/t%02d" % i, DOUBLE, "degC", 500.0) for i in range(40)]
metrics += [("tags/b%02d" % i, BOOL, "", True) for i in range(6)]
for l in ("bath", "hc", "sc", "pressure"):
    metrics += [("loops/%s/mode" % l, STRING, "", "AUTO"), ("loops/%s/sp" % l, DOUBLE, "degC", 740.0),
                ("loops/%s/pv" % l, DOUBLE, "degC", 740.0), ("loops/%s/out" % l, DOUBLE, "%", 20.0)]
metrics += [("melt/phase", STRING, "", "HOLD"), ("melt/phase_time_s", DOUBLE, "s", 0.0),
            ("melt/program", STRING, "", "a226")]
metrics += [("alarms/%s" % k, INT32, "", 0) for k in ("active", "unacked", "shelved", "critical",
                                                      "high", "medium", "low")]
metrics += [("alarms/flood", BOOL, "", False)]
metrics += [("alarm/a%02d" % i, INT32, "", 0) for i in range(47)]
metrics += [("link/state", STRING, "", "UP"), ("server/slow_cycles", INT64, "", 0)]
alias = {m[0]: i + 1 for i, m in enumerate(metrics)}
moving = ["loops/bath/pv", "tags/hc_gas_temp", "tags/roof_temp", "tags/firing_fb",
          "tags/plc_heartbeat", "tags/console_heartbeat"]


def setv(m, dt, v):
    if dt == DOUBLE:
        m.double_value = v
    elif dt == BOOL:
        m.boolean_value = v
    elif dt in (INT32,):
        m.int_value = v
    elif dt == INT64:
        m.long_value = v
    else:
        m.string_value = v


def q(m, code):
    m.properties.keys.append("Quality")
    pv = m.properties.values.add()
    pv.type, pv.int_value = INT32, code


asked = set()


def on_message(cl, ud, msg):
    asked.add(msg.topic.split("/")[3])


c = mqtt.Client()
c.max_queued_messages_set(0)
c.on_message = on_message
c.on_connect = lambda cl, ud, fl, rc: cl.subscribe("spBv1.0/%s/NCMD/+" % a.group)
c.connect("127.0.0.1", a.port, keepalive=60)
c.loop_start()
sent = nbytes = 0
seq = {}


def pub(topic, p):
    global sent, nbytes
    b = p.SerializeToString()
    c.publish(topic, b)
    sent += 1
    nbytes += len(b)


now_ms = lambda: int(time.time() * 1000)


def births(node):
    p = spb.Payload(timestamp=now_ms(), seq=0)
    m = p.metrics.add(name="bdSeq", datatype=INT64, long_value=1)
    m = p.metrics.add(name="Node Control/Rebirth", datatype=BOOL, boolean_value=False)
    pub("spBv1.0/%s/NBIRTH/%s" % (a.group, node), p)
    p = spb.Payload(timestamp=now_ms(), seq=1)
    for name, dt, unit, v in metrics:
        m = p.metrics.add(name=name, alias=alias[name], datatype=dt, timestamp=now_ms())
        setv(m, dt, v)
        if unit:
            m.properties.keys.append("engUnit")
            pv = m.properties.values.add()
            pv.type, pv.string_value = STRING, unit
        q(m, 192)
    pub("spBv1.0/%s/DBIRTH/%s/furnace" % (a.group, node), p)
    seq[node] = 1


for n in range(a.nodes):
    births("lg%03d" % n)
t0 = time.time()
period = 1.0 / a.hz
k = 0
while time.time() - t0 < a.seconds:
    k += 1
    while asked:
        births(asked.pop())
    for n in range(a.nodes):
        node = "lg%03d" % n
        seq[node] = (seq[node] + 1) % 256
        ts = now_ms()
        p = spb.Payload(timestamp=ts, seq=seq[node])
        for name in moving:
            m = p.metrics.add(alias=alias[name], timestamp=ts)
            m.double_value = (740 if "bath" in name else 800) + random.uniform(-3, 3) + k % 7
        pub("spBv1.0/%s/DDATA/%s/furnace" % (a.group, node), p)
    time.sleep(max(0.0, t0 + k * period - time.time()))
c.loop_stop()
print("loadgen: %d nodes, %.0f s: %d messages, %d bytes (%.0f B/s per node)" %
      (a.nodes, a.seconds, sent, nbytes, nbytes / a.seconds / a.nodes))
