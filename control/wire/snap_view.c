/* snap_view — the core's view in the protocol's words: snap_from_view()
 * copies a struct core_view into the parts of a struct snap the core
 * knows, and translates the PID status bits into the loop flags (LF_*).
 * The wire depends on the core here, never the other way round.  Where
 * fixed-size text crosses between the two, the sizes are checked below.
 */
#include "snap.h"

#include "core.h"
#include "util.h"

#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)
#define SAME_SIZE(ta, fa, tb, fb)                                                                  \
    _Static_assert(FIELD_SIZE(ta, fa) == FIELD_SIZE(tb, fb), #ta "." #fa " and " #tb "." #fb      \
                                                                 " must have the same size")

/* core view -> snapshot: every text fits, nothing is cut on the way. */
SAME_SIZE(struct core_view, program, struct snap, program);
SAME_SIZE(struct core_view, phase_why, struct snap, phase_why);
SAME_SIZE(struct core_view_tag, name, struct snap_tag, name);
SAME_SIZE(struct core_view_loop, name, struct snap_loop, name);
SAME_SIZE(struct core_view_alarm, name, struct snap_alarm, name);
SAME_SIZE(struct core_view_alarm, shelved_by, struct snap_alarm, shelved_by);
SAME_SIZE(struct core_view_alarm, shelve_reason, struct snap_alarm, shelve_reason);
SAME_SIZE(struct core_view_perm, cmd, struct snap_perm, cmd);
SAME_SIZE(struct core_view_perm, why, struct snap_perm, why);
_Static_assert(FIELD_SIZE(struct core_view, tags) / FIELD_SIZE(struct core_view, tags[0]) ==
                   FIELD_SIZE(struct snap, tags) / FIELD_SIZE(struct snap, tags[0]),
               "the view and the snapshot hold as many tags");
_Static_assert(FIELD_SIZE(struct core_view, loops) / FIELD_SIZE(struct core_view, loops[0]) ==
                   FIELD_SIZE(struct snap, loops) / FIELD_SIZE(struct snap, loops[0]),
               "the view and the snapshot hold as many loops");
_Static_assert(FIELD_SIZE(struct core_view, alarms) / FIELD_SIZE(struct core_view, alarms[0]) ==
                   FIELD_SIZE(struct snap, alarms) / FIELD_SIZE(struct snap, alarms[0]),
               "the view and the snapshot hold as many alarms");

/* request -> core request (the server copies each field across): the same
 * sizes, so a request the protocol accepted reaches the gate whole. */
SAME_SIZE(struct snap_req, verb, struct core_req, verb);
SAME_SIZE(struct snap_req, target, struct core_req, target);
SAME_SIZE(struct snap_req, value, struct core_req, value);
SAME_SIZE(struct snap_req, reason, struct core_req, reason);

/* core result -> reply: the result's sentence fits the reply's. */
_Static_assert(FIELD_SIZE(struct core_result, text) <= FIELD_SIZE(struct snap_reply, text),
               "a core result's text must fit a reply");

static const struct {
    unsigned pid_st; /* PID_ST_* (pid.h) */
    unsigned lf;     /* LF_* (snap.h) */
} loop_flags[] = {
    {PID_ST_SAT_HI, LF_SAT_HI}, {PID_ST_SAT_LO, LF_SAT_LO},       {PID_ST_RATE, LF_RATE},
    {PID_ST_BAD_PV, LF_BAD_PV}, {PID_ST_SP_REDUCED, LF_OVERRIDE}, {PID_ST_TRACK, LF_TRACK},
    {PID_ST_SHED, LF_SHED},     {PID_ST_OUT_HELD, LF_OUT_HELD},  {PID_ST_COMB_CUT, LF_COMB_CUT},
    {PID_ST_PRIO_CAP, LF_PRIO_CAP},
};

static unsigned flags_from_status(unsigned st)
{
    unsigned f = 0;
    for (size_t i = 0; i < sizeof loop_flags / sizeof loop_flags[0]; i++)
        if (st & loop_flags[i].pid_st)
            f |= loop_flags[i].lf;
    return f;
}

void snap_from_view(const struct core_view *v, struct snap *s)
{
    s->t = v->t;
    str_copy(s->program, sizeof s->program, v->program);
    s->phase = v->phase;
    s->t_phase = v->t_phase;
    s->ready = v->ready;
    s->overrun = v->overrun;
    s->wet = v->wet;
    str_copy(s->phase_why, sizeof s->phase_why, v->phase_why);
    s->ntags = v->ntags;
    for (int i = 0; i < v->ntags; i++) {
        const struct core_view_tag *t = &v->tags[i];
        struct snap_tag *o = &s->tags[i];
        str_copy(o->name, sizeof o->name, t->name);
        o->v = t->v;
        o->q = t->q;
        o->age_s = t->age_s;
        o->raw = t->raw;
    }
    s->nloops = v->nloops;
    for (int i = 0; i < v->nloops; i++) {
        const struct core_view_loop *l = &v->loops[i];
        struct snap_loop *o = &s->loops[i];
        str_copy(o->name, sizeof o->name, l->name);
        o->mode = l->mode;
        o->sp = l->sp;
        o->wsp = l->wsp;
        o->pv = l->pv;
        o->pv_q = l->pv_q;
        o->out = l->out;
        o->kp = l->kp;
        o->ti_s = l->ti_s;
        o->td_s = l->td_s;
        o->flags = flags_from_status(l->status);
        o->man_in_s = l->man_in_s;
    }
    s->nalarms = v->nalarms;
    for (int i = 0; i < v->nalarms; i++) {
        const struct core_view_alarm *a = &v->alarms[i];
        struct snap_alarm *o = &s->alarms[i];
        str_copy(o->name, sizeof o->name, a->name);
        o->state = a->state;
        o->prio = a->prio;
        o->t = a->t;
        o->t_raised = a->t_raised;
        o->shelved_until = a->shelved_until;
        o->first_out = a->first_out;
        str_copy(o->shelved_by, sizeof o->shelved_by, a->shelved_by);
        str_copy(o->shelve_reason, sizeof o->shelve_reason, a->shelve_reason);
    }
    s->n_unacked = v->n_unacked;
    s->n_active = v->n_active;
    s->n_shelved = v->n_shelved;
    s->flood = v->flood;
    s->alarms_per_10min = v->alarms_per_10min;
    /* the snapshot carries the first SNAP_MAX_PERMS permissives */
    s->nperms = v->nperms < SNAP_MAX_PERMS ? v->nperms : SNAP_MAX_PERMS;
    for (int i = 0; i < s->nperms; i++) {
        struct snap_perm *o = &s->perms[i];
        str_copy(o->cmd, sizeof o->cmd, v->perms[i].cmd);
        o->ready = v->perms[i].ready;
        str_copy(o->why, sizeof o->why, v->perms[i].why);
    }
}
