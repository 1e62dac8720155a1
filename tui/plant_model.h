/* plant_model — what `meltcon plant` knows of every furnace on the broker,
 * from the Sparkplug B messages of one group (control/server/mqtt_metric.h
 * names the metrics).  Pure: a message and the time go in, the table
 * changes; no I/O, no clock, no curses.  tui/plant.c feeds it from
 * libmosquitto and draws it; tests/test_plant.c feeds it payloads.
 *
 * A node is live between its NBIRTH and an NDEATH carrying the same bdSeq
 * (an older bdSeq's death is a stale will and changes nothing); DBIRTH
 * binds aliases to names; DDATA updates by alias.  A dead node keeps its
 * last values for the detail view but is shown OFFLINE with the time since
 * its death, never as live.  A message that does not decode, or DDATA
 * from a node not born (the host then asks for a rebirth), is dropped.
 */
#ifndef MELTCON_PLANT_MODEL_H
#define MELTCON_PLANT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLANT_MAX 512          /* furnaces on one broker */
#define PLANT_NAME_MAX 40
#define PLANT_METRIC_MAX 256   /* metrics of one furnace kept for the detail view */

/* One metric of a furnace, for the detail view. */
struct plant_metric {
    char name[64];
    char unit[12];
    int type;                  /* Sparkplug datatype */
    double v;
    char s[24];                /* a String metric's value */
    int quality;               /* OPC code, 192 = GOOD */
};

/* The fields the overview row shows, found by name at DBIRTH. */
enum plant_field {
    PF_PHASE, PF_PHASE_T, PF_BATH, PF_BATH_SP, PF_HC, PF_ROOF, PF_CRIT, PF_HIGH, PF_MED,
    PF_LOW, PF_ACTIVE, PF_UNACKED, PF_LINK, PF_COUNT
};

struct plant_node {
    char name[PLANT_NAME_MAX];
    bool born;                 /* NBIRTH seen (and not dead since) */
    bool dbirth;               /* DBIRTH seen since the NBIRTH: aliases known */
    uint64_t bdseq;
    double t_msg;              /* monotonic s of its last message */
    double t_death;            /* when it died (NDEATH), 0 while live */
    double t_phase_at;         /* when melt/phase_time_s last came */
    bool rebirth_asked;
    int nm;
    struct plant_metric m[PLANT_METRIC_MAX]; /* in alias order: alias = index + 1 */
    int field[PF_COUNT];       /* index into m, -1 when the furnace has none */
    uint64_t value_ms;         /* the newest value's own timestamp */
    uint64_t pending_ms;       /* the oldest value not drawn yet (its timestamp), 0 none:
                                  the screen clears it (latency measurement) */
};

struct plant_tab {
    int n;
    struct plant_node *node[PLANT_MAX];
    unsigned long dropped;     /* messages that did not decode or came unborn */
    unsigned long msgs;
    uint64_t bytes;
};

enum plant_take_rc { PT_IGNORED, PT_CHANGED, PT_DROPPED, PT_ASK_REBIRTH };

/* Take one message of topic spBv1.0/GROUP/KIND/NODE[/DEVICE]; now: the
 * monotonic time.  PT_ASK_REBIRTH: a node sent data before its birth was
 * seen; the caller should publish NCMD Node Control/Rebirth to it (once). */
enum plant_take_rc plant_take(struct plant_tab *p, const char *topic, const uint8_t *payload,
                              size_t len, double now);

/* The node's state word: LIVE, OFFLINE (dead), WAIT (not born yet). */
const char *plant_state(const struct plant_node *n);

/* Attention rank, 0 the most urgent: critical alarms, then OFFLINE, then
 * the PLC link not UP, high alarms, unacknowledged, medium/low, normal. */
int plant_rank(const struct plant_node *n);

/* idx[0..p->n-1]: the nodes by rank, then name. */
void plant_order(const struct plant_tab *p, int *idx);

/* The header and one row of the overview, cut to width (80 at least). */
void plant_header(char *buf, size_t len, int width);
void plant_row(const struct plant_node *n, double now, char *buf, size_t len, int width);

/* A metric's value as text, with its unit and quality: "740.1 degC",
 * "HOLD", "12 (BAD)". */
void plant_metric_text(const struct plant_metric *m, char *buf, size_t len);

void plant_free(struct plant_tab *p);

#endif
