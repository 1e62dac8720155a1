/* alarm — the furnace's alarm system, after ISA-18.2.
 *
 * Each [alarm.NAME] of the config becomes one struct alarm: a condition on a
 * tag (or on the link, the PLC heartbeat, the disk, another master, cycles
 * overrun, requests the PLC refuses), debounced by on- and
 * off-delays and a deadband, and a state the operator sees:
 *
 *   NORMAL      condition clear, nothing to do
 *   UNACK       condition active, not acknowledged        (annunciated)
 *   ACKED       condition active, acknowledged
 *   RTN_UNACK   condition returned, not acknowledged
 *   SHELVED     hidden by an operator for a time, with a reason
 *   SUPPRESSED  hidden by design: in the current melt phase, or as the
 *               consequence of another alarm (`suppresses`): recorded in
 *               the journal, not annunciated
 *   OOS         out of service (an engineer took it away)
 *
 * alarm_step() evaluates every alarm once per control cycle from the tag
 * image; the operator actions (ack, shelve, out of service) change states
 * between steps.  Both append to an event queue that the server drains into
 * the journal.  Flood detection and the KPI counts ride along.  Time is the
 * process time in seconds, always passed in.  No I/O, no allocation.
 */
#ifndef MELTCON_ALARM_H
#define MELTCON_ALARM_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "tag.h"

#define ALARM_MAX CFG_MAX_ALARMS
#define ALARM_EVENTS_MAX 256 /* queue between two drains; oldest dropped */
#define ALARM_EVENT_TEXT 200
#define ALARM_REASON_MAX 96
#define ALARM_NOTE_MAX 100 /* what the core says of a foreign_master, overrun or refused
                              alarm's source */
#define ALARM_FLOOD_WINDOW_S 600.0  /* sliding window of the annunciation rate */
#define ALARM_FLOOD_START 10        /* more than this in the window: flood */
#define ALARM_FLOOD_END 5           /* fewer than this in the window: flood over */
#define ALARM_RATE_RING 512         /* annunciation times kept; the rate saturates here */
#define ALARM_CHATTER_N 3           /* this many annunciations ... */
#define ALARM_CHATTER_WINDOW_S 60.0 /* ... within this: chattering */
#define ALARM_KPI_TOP 10
#define ALARM_SHELVE_LIMIT_MIN 10080.0 /* nobody shelves longer (7 days): use OOS */
#define ALARM_CONS_MAX 8 /* consequences one alarm may suppress */

enum alarm_state {
    ALARM_NORMAL,
    ALARM_UNACK,
    ALARM_ACKED,
    ALARM_RTN_UNACK,
    ALARM_SHELVED,
    ALARM_SUPPRESSED,
    ALARM_OOS,
    ALARM_STATE_COUNT
};

enum alarm_event_kind {
    AEV_RAISED,   /* -> UNACK: an annunciation */
    AEV_RETURNED, /* condition cleared */
    AEV_ACKED,
    AEV_SHELVED,
    AEV_UNSHELVED,      /* by the operator */
    AEV_SHELVE_EXPIRED, /* the shelving time ran out */
    AEV_SUPPRESSED,     /* the melt phase suppresses it */
    AEV_UNSUPPRESSED,
    AEV_OOS_ON,
    AEV_OOS_OFF,
    AEV_FLOOD_START, /* name "" */
    AEV_FLOOD_END,
    AEV_KIND_COUNT
};

struct alarm_event {
    double t; /* process time, s */
    enum alarm_event_kind kind;
    char name[CFG_NAME_MAX]; /* "" for flood events */
    enum cfg_priority prio;
    enum alarm_state from, to;   /* equal for flood events */
    char user[CFG_NAME_MAX];     /* who acted; "" for the system */
    char text[ALARM_EVENT_TEXT]; /* one sentence for the journal */
};

/* One alarm: its definition (copied from the config) and its live state. */
struct alarm {
    struct cfg_alarm def;
    int tag;       /* index into the tag image, -1 for none */
    int tag2;      /* diff, and: the second tag, -1 for none */
    int loop;      /* dev: index of the loop whose setpoint is the reference, -1 */
    char unit[16]; /* of the tag, for messages */
    enum alarm_state state;
    bool active;          /* debounced condition */
    bool pending;         /* raw condition differs from `active` ... */
    double pending_since; /* ... since this time */
    bool oos, shelved;
    double shelve_until;
    char shelve_reason[ALARM_REASON_MAX];
    char shelve_user[CFG_NAME_MAX];
    double t_state;        /* last state change */
    double t_raised;       /* last annunciation */
    double t_active;       /* when the debounced condition last became active */
    bool first_out;        /* raised first of its group (def.group) within the window */
    int sup_by;            /* suppressed as the consequence of this alarm, -1 none */
    int ncons;             /* the alarms it suppresses (def.suppresses), indices */
    int cons[ALARM_CONS_MAX];
    struct tag_value last; /* source value at the last step */
    struct tag_value last2; /* second tag (diff, and) at the last step */
    double last_sp;         /* dev: the loop's setpoint at the last step */
    double last_reduce;     /* override: what the loop's overrides took off its SP */
    double last_limit;      /* the limit at the last step (def.alt_limit in def.alt_phases) */
    char note[ALARM_NOTE_MAX]; /* foreign_master: the registers, from alarm_inputs */
    unsigned long annunciations;
    unsigned long chatter;          /* annunciations that made ALARM_CHATTER_N in the window */
    double recent[ALARM_CHATTER_N]; /* last annunciation times, ring by count */
};

struct alarm_inputs {
    const struct tag_value *tags; /* indexed like cfg->tags; NULL: all BAD_COMMS */
    int ntags;
    bool link_up;         /* PLC link up */
    bool plc_stale;       /* plc_heartbeat frozen */
    bool disk_ok;         /* journal and historian can write */
    enum cfg_phase phase; /* current melt phase */
    bool foreign_master;  /* another master writes the PLC (control/core/master.h) */
    const char *master_note; /* which registers, for the journal; NULL: none */
    bool overrun;            /* cycles overrun (the shell's judgement, held over a while) */
    const char *overrun_note; /* what did not fit; NULL: none */
    bool refused;            /* the PLC refuses a read block or a write, repeatedly */
    const char *refused_note; /* which ones, and the PLC's answer; NULL: none */
    const double *loop_sp;   /* setpoint of each loop, indexed like cfg->loops; NULL: none */
    const double *loop_reduce; /* what each loop's overrides take off its SP; NULL: none */
    int nloops;
};

struct alarms {
    int n;
    struct alarm al[ALARM_MAX];
    double now;           /* time of the last step or action */
    enum cfg_phase phase; /* of the last step */
    /* event queue (ring) */
    struct alarm_event ev[ALARM_EVENTS_MAX];
    int ev_head, ev_count;
    unsigned long events_dropped;
    /* annunciation rate and floods */
    double ann[ALARM_RATE_RING];
    int ann_head, ann_count;
    unsigned long annunciations;
    bool flood;
    double flood_since;
    unsigned floods;
    double time_in_flood_s;
};

struct alarm_kpi_source {
    char name[CFG_NAME_MAX];
    unsigned long count;
};

struct alarm_kpi {
    int per_10min;               /* annunciations in the last 10 min (saturates at the ring) */
    unsigned long annunciations; /* since start */
    bool flood_active;
    unsigned floods; /* flood episodes started */
    double time_in_flood_s;
    int ntop; /* most frequent sources, most first */
    struct alarm_kpi_source top[ALARM_KPI_TOP];
    int nchattering;                                   /* alarms that chattered at least once */
    struct alarm_kpi_source chattering[ALARM_KPI_TOP]; /* count = chatter annunciations */
    unsigned long events_dropped;
};

struct alarm_counts {
    int by_state[ALARM_STATE_COUNT];
    int listed[PRIO_CRITICAL + 1];  /* UNACK + ACKED + RTN_UNACK, by priority */
    int unacked[PRIO_CRITICAL + 1]; /* UNACK + RTN_UNACK, by priority */
};

/* Take the definitions from the config; every alarm NORMAL, queue empty.
 * Returns 0, or -1 with a sentence in err when an alarm's tag, tag2, loop
 * or a name in its `suppresses` is not in the config (that alarm then sees
 * its source as BAD_COMMS: a BAD alarm on it raises, a limit alarm holds;
 * an unknown consequence is left out).  err may be NULL. */
int alarm_init(struct alarms *a, const struct cfg *c, char *err, size_t errlen);

/* The limit of `d` in `phase`: def.alt_limit in def.alt_phases, else def.limit. */
double alarm_limit_in(const struct cfg_alarm *d, enum cfg_phase phase);

/* Append one more definition (the core's built-in foreign_master alarm, for
 * a config without one): tagless kinds only.  Returns its index, or -1 with
 * a sentence when the table is full or the kind needs a tag. */
int alarm_add(struct alarms *a, const struct cfg_alarm *def, char *err, size_t errlen);

/* Evaluate every alarm at process time now_s, dt seconds after the last
 * step: condition with deadband and hold on bad quality, on/off delays (all
 * alarms first), then consequential suppression, then per alarm shelving
 * expiry, suppression by phase, the state machine with first-out, then the
 * flood detector.  Events go to the queue. */
void alarm_step(struct alarms *a, const struct alarm_inputs *in, double now_s, double dt);

/* Operator actions.  Each returns 0 and a sentence saying what was done, or
 * -1 and a sentence saying why not (nothing changed).  `msg` may be NULL;
 * `user` names who acted, for the journal. */
int alarm_ack(struct alarms *a, const char *name, const char *user, double now_s, char *msg,
              size_t msglen);
int alarm_ack_all(struct alarms *a, const char *user, double now_s, char *msg, size_t msglen);

/* Shelve for `minutes`: whole minutes, at least 1 (the time shown is the
 * time applied).  A reason is required: printable UTF-8 of at most
 * ALARM_REASON_MAX - 1 characters and bytes (input_reason).  A critical alarm
 * is never shelved, by anyone.  Operators may shelve up to the alarm's
 * max_shelve_min (0: not at all); an engineer may exceed it, but not for a
 * high alarm (its max_shelve_min binds everyone), and nobody past
 * ALARM_SHELVE_LIMIT_MIN.  Shelving again replaces the time and
 * reason.  The shelving ends by itself at its time and the alarm
 * re-evaluates (raises at once if its condition is still active). */
int alarm_shelve(struct alarms *a, const char *name, double minutes, const char *reason,
                 const char *user, bool role_is_engineer, double now_s, char *msg, size_t msglen);
int alarm_unshelve(struct alarms *a, const char *name, const char *user, double now_s, char *msg,
                   size_t msglen);

/* Take an alarm out of service or put it back (engineer only: the caller
 * checks the role).  Out of service replaces a shelving; back in service the
 * alarm re-evaluates. */
int alarm_set_oos(struct alarms *a, const char *name, bool oos, const char *user, double now_s,
                  char *msg, size_t msglen);

/* Move up to `max` queued events, oldest first, to out; returns how many. */
int alarm_events_take(struct alarms *a, struct alarm_event *out, int max);

/* Index of the alarm called `name`, or -1; the alarm itself or NULL. */
int alarm_find(const struct alarms *a, const char *name);
const struct alarm *alarm_get(const struct alarms *a, const char *name);

/* Indices of the alarms in UNACK, ACKED or RTN_UNACK sorted by priority
 * (critical first), then time raised (newest first), up to max; returns how
 * many were written. */
int alarm_list_active(const struct alarms *a, int *idx, int max);

/* The banner: the highest-priority unacknowledged alarm (UNACK before
 * RTN_UNACK, then newest), or -1. */
int alarm_banner(const struct alarms *a);

void alarm_counts(const struct alarms *a, struct alarm_counts *out);
void alarm_kpi(const struct alarms *a, struct alarm_kpi *out);

/* "NORMAL" "UNACK" "ACKED" "RTN_UNACK" "SHELVED" "SUPPRESSED" "OOS" */
const char *alarm_state_name(enum alarm_state s);
/* "raised" "returned" "acked" ... "flood start" "flood end" */
const char *alarm_event_name(enum alarm_event_kind k);

#endif
