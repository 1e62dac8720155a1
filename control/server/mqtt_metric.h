/* mqtt_metric — the furnace as Sparkplug B metrics: the table of every
 * metric (name, datatype, unit, deadband), the image of their values one
 * control cycle gives, which of them changed enough to publish, and the
 * payloads (NBIRTH, DBIRTH, DDATA, NDEATH) encoded with protobuf-c from
 * control/wire/sparkplug_b.proto.  No I/O, no clock, no threads: the
 * publisher's thread (mqtt.c) calls it, and so does tests/test_mqtt.c.
 *
 * Topics (Sparkplug B, namespace spBv1.0): the server is the edge node
 * GROUP/NODE (NODE = [furnace] name); the furnace is its one device,
 * MQTT_DEVICE.  Node metrics: bdSeq, "Node Control/Rebirth".  Device
 * metrics, aliased 1..n in DBIRTH order (DDATA carries the alias only):
 *
 *   tags/NAME             Double (Boolean for a bool tag), engUnit, Quality
 *   loops/NAME/mode       String MAN AUTO CAS
 *   loops/NAME/sp|pv|out  Double (pv with the PV tag's Quality)
 *   melt/phase            String HOLD CHARGE ... TAP
 *   melt/phase_time_s     Double, process seconds in the phase (deadband 5 s)
 *   melt/program          String
 *   alarms/active|unacked|shelved   Int32 counts
 *   alarms/critical|high|medium|low Int32: alarms needing attention (raised,
 *                         acknowledged or returned unacknowledged) per priority
 *   alarms/flood          Boolean
 *   alarm/NAME            Int32 ISA-18.2 state (0 normal, 1 unacknowledged,
 *                         2 acknowledged, 3 returned unacknowledged,
 *                         4 shelved, 5 suppressed, 6 out of service);
 *                         DBIRTH gives its priority as a property
 *   link/state            String DOWN UP CONNECTING (the PLC link)
 *   server/slow_cycles    Int64
 *
 * Quality is the property "Quality" (Int32, OPC DA codes as Ignition reads
 * them): 192 GOOD, 16 BAD sensor (sensor failure), 24 BAD comms (comm
 * failure), 68 STALE (uncertain, last usable value).  Every DBIRTH metric
 * carries it; a DDATA metric carries it whenever it changed.  A metric is
 * published when its quality changed, always, or when its value moved by its
 * deadband or more (deadband 0: any change).
 */
#ifndef MELTCON_MQTT_METRIC_H
#define MELTCON_MQTT_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "core_view.h"

#define MQTT_DEVICE "furnace"
#define MM_MAX (CFG_MAX_TAGS + 4 * CFG_MAX_LOOPS + CFG_MAX_ALARMS + 16)
#define MM_NAME_MAX 64

/* Sparkplug B datatypes used here */
enum { SPB_INT32 = 3, SPB_INT64 = 4, SPB_DOUBLE = 10, SPB_BOOLEAN = 11, SPB_STRING = 12 };

/* Quality codes of the "Quality" property */
enum { MM_Q_GOOD = 192, MM_Q_BAD_SENSOR = 16, MM_Q_BAD_COMMS = 24, MM_Q_STALE = 68 };

struct mm_def {
    char name[MM_NAME_MAX];
    int type;                  /* SPB_* */
    const char *const *names;  /* String metrics: the value is an index into names */
    int nnames;
    char unit[16];             /* "" = none */
    double deadband;           /* 0: any change */
    int prio;                  /* alarm/NAME: enum cfg_priority; -1 otherwise */
};

struct mm_val {
    double v;                  /* String metrics: the index into the def's names */
    int q;                     /* enum tag_quality */
};

struct mm_table {
    int n;
    struct mm_def d[MM_MAX];
    /* melt/program's names (its def points here: a table is never copied) */
    char progs[CFG_MAX_PROGRAMS][CFG_NAME_MAX];
    const char *prog_names[CFG_MAX_PROGRAMS + 1];
    const char *phase_names[PH_COUNT + 1];
    const char *mode_names[4];
};

/* The image's inputs besides the core's view: the shell's own figures. */
struct mm_shell {
    int link;                  /* enum snap_link: 0 down, 1 up, 2 connecting */
    uint64_t slow_cycles;
};

/* Every metric of this config, in alias order (alias = index + 1). */
void mm_build(struct mm_table *t, const struct cfg *c);

/* The values of one cycle, indexed like t->d. */
void mm_image(const struct mm_table *t, const struct cfg *c, const struct core_view *v,
              const struct mm_shell *sh, struct mm_val *out);

/* The metrics to publish going from `last` to `now`: their indices in idx
 * (room for t->n), and in qchg whether the quality changed.  Returns how many. */
int mm_changes(const struct mm_table *t, const struct mm_val *last, const struct mm_val *now,
               int *idx, bool *qchg);

/* The OPC quality code of an enum tag_quality. */
int mm_quality_code(int q);

/* Encoders.  Each writes one Payload into buf[0..cap-1] and returns its
 * length, or 0 when it does not fit.  ts_ms: the payload's timestamp (ms
 * since the epoch). */
size_t mm_encode_nbirth(uint64_t bdseq, uint64_t ts_ms, uint8_t *buf, size_t cap);
size_t mm_encode_ndeath(uint64_t bdseq, uint64_t ts_ms, uint8_t *buf, size_t cap);
/* DBIRTH: every metric with name, alias, datatype, engUnit, Quality. */
size_t mm_encode_dbirth(const struct mm_table *t, const struct mm_val *vals, uint64_t seq,
                        uint64_t ts_ms, uint8_t *buf, size_t cap);
/* DDATA: the n metrics idx[] by alias, each stamped val_ms, the Quality
 * property where qchg[k]; historical marks a replay from store-and-forward. */
size_t mm_encode_ddata(const struct mm_table *t, const struct mm_val *vals, const int *idx,
                       const bool *qchg, int n, uint64_t seq, uint64_t ts_ms, uint64_t val_ms,
                       bool historical, uint8_t *buf, size_t cap);

/* A command received: whether it is the node's rebirth request (an NCMD
 * whose metrics are exactly "Node Control/Rebirth" = true).  Otherwise 0
 * and a sentence naming what was asked, for the journal's refusal. */
int mm_is_rebirth(const uint8_t *buf, size_t len, char *what, size_t whatlen);

#endif
