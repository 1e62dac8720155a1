/* core_view — what the control core shows of itself: the tags it was
 * given, its loops, the alarms not NORMAL, the melt phase and the
 * permissives of every operator command.
 *
 * The core's own words (enum values, PID_ST_* bits, its own text sizes):
 * the client protocol translates a view into its snapshot
 * (control/wire/snap_view.c), so the core never knows the wire.
 */
#ifndef MELTCON_CORE_VIEW_H
#define MELTCON_CORE_VIEW_H

#include <stdbool.h>

#include "alarm.h"
#include "cfg.h"
#include "perm.h"
#include "tag.h"

#define CORE_VIEW_WHY_MAX 400 /* a phase's or a permissive's reasons, "; "-joined */

struct core_view_tag {
    char name[CFG_NAME_MAX];
    double v;                   /* engineering value (last good when not GOOD) */
    double raw;                 /* raw register value, 0 when not given */
    int q;                      /* enum tag_quality */
    double age_s;               /* since the last good read, 0 when not given */
};

struct core_view_loop {
    char name[CFG_NAME_MAX];
    int mode;                   /* enum cfg_loop_mode */
    double sp, wsp, pv;         /* target and working setpoint, process value */
    int pv_q;                   /* quality of the PV tag (BAD_COMMS: no PV tag) */
    double out;
    unsigned status;            /* PID_ST_* (pid.h) */
    double kp, ti_s, td_s;      /* the tuning now (an engineer's `tune` changes it) */
    double man_in_s;            /* a bad PV's hold: s until MAN (pid_hold_left; 0: none) */
};

struct core_view_alarm {
    char name[CFG_NAME_MAX];
    int state;                  /* enum alarm_state, not NORMAL */
    int prio;                   /* enum cfg_priority */
    double t;                   /* process time of the last change */
    double t_raised;            /* process time of the last annunciation */
    double shelved_until;       /* process time; 0 when not shelved */
    char shelved_by[CFG_NAME_MAX]; /* "" when not shelved */
    char shelve_reason[ALARM_REASON_MAX];
    bool first_out;             /* raised first of its first-out group */
};

struct core_view_perm {
    char cmd[CFG_NAME_MAX];     /* CLI name, e.g. sc_door_open */
    bool ready;
    char why[CORE_VIEW_WHY_MAX]; /* failing conditions, "; "-separated */
};

struct core_view {
    double t;                   /* process time of the last step */
    char program[CFG_NAME_MAX];
    int phase;                  /* enum cfg_phase */
    double t_phase;             /* s in phase */
    bool ready, overrun;
    bool wet;                   /* the charge is flagged wet (no push until cleared) */
    char phase_why[CORE_VIEW_WHY_MAX];
    /* ISA-18.2 states, never one counted as another: unacked UNACK +
     * RTN_UNACK; active UNACK + ACKED (the condition holds now: a cleared
     * alarm awaiting acknowledgement is not active); shelved SHELVED */
    int n_unacked, n_active, n_shelved;
    bool flood;
    double alarms_per_10min;
    int ntags, nloops, nalarms, nperms;
    struct core_view_tag tags[CFG_MAX_TAGS];
    struct core_view_loop loops[CFG_MAX_LOOPS];
    struct core_view_alarm alarms[CFG_MAX_ALARMS];
    struct core_view_perm perms[PERM_COUNT]; /* every command but setpoint and mode */
};

struct core;

/* Fill v from the core after a step.  tags: the decoded image the step was
 * given (indexed like cfg->tags); age_s and raw: per tag, or NULL for 0.
 * Every counted entry is written; entries past the counts are left as
 * they were.  The shell adds the link and cycle figures to what it sends. */
void core_view_fill(const struct core *k, const struct tag_value *tags, const double *age_s,
                    const double *raw, struct core_view *v);

#endif
