/* core_view — the view of the control core (see core_view.h): tags, loops,
 * the alarms not NORMAL with their counts, the phase, and the permissive of
 * every operator command evaluated now.
 */
#include "core.h"

#include <math.h>
#include <stdio.h>

#include "core_int.h"
#include "util.h"

/* The argument each permissive is shown for: a 3 t charge of the default
 * scrap class, or the largest that class allows when less (the charge can
 * go, in that mass); the pump at the speed it runs now; 0 for the rest. */
static double perm_view_arg(const struct core *k, enum perm_cmd cmd)
{
    const struct cfg_limits *lim = &k->cfg->limits;
    if (cmd == PERM_CHARGE)
        return fmin(3.0, perm_charge_max_t(lim, cfg_scrap_find(k->cfg, lim->default_scrap)));
    return cmd == PERM_PUMP_SPEED ? k->pump_pct : 0;
}

void core_view_fill(const struct core *k, const struct tag_value *tags, const double *age_s,
                    const double *raw, struct core_view *v)
{
    const struct cfg *c = k->cfg;
    v->t = k->t_proc;
    str_copy(v->program, sizeof v->program, k->prog->name);
    v->phase = k->seq.phase;
    v->t_phase = k->seq.t_phase_s;
    v->ready = k->seq.ready;
    v->overrun = k->seq.overrun;
    v->wet = k->seq.wet;
    if (k->seq.overrun)
        snprintf(v->phase_why, sizeof v->phase_why, "%s; %s", k->seq.overrun_why, k->seq.why);
    else
        str_copy(v->phase_why, sizeof v->phase_why, k->seq.why);
    v->ntags = c->ntags;
    for (int i = 0; i < c->ntags; i++) {
        struct core_view_tag *t = &v->tags[i];
        str_copy(t->name, sizeof t->name, c->tags[i].name);
        t->v = tags[i].v;
        t->q = tags[i].q;
        t->age_s = age_s ? age_s[i] : 0;
        t->raw = raw ? raw[i] : 0;
    }
    v->nloops = k->loops.n;
    for (int i = 0; i < k->loops.n; i++) {
        const struct loops_loop *l = &k->loops.loop[i];
        struct core_view_loop *o = &v->loops[i];
        str_copy(o->name, sizeof o->name, c->loops[i].name);
        o->mode = l->pid.mode;
        o->sp = l->pid.sp;
        o->wsp = l->pid.sp_eff;
        o->pv = l->pid.pv;
        o->pv_q = l->pv_tag >= 0 ? tags[l->pv_tag].q : Q_BAD_COMMS;
        o->out = l->pid.out;
        o->kp = l->pid.prm.kp;
        o->ti_s = l->pid.prm.ti_s;
        o->td_s = l->pid.prm.td_s;
        o->status = l->pid.status;
        o->man_in_s = k->loops_live ? pid_hold_left(&l->pid) : 0; /* a held loop drops nowhere */
    }
    v->nalarms = 0;
    for (int i = 0; i < k->alarms.n && v->nalarms < CFG_MAX_ALARMS; i++) {
        const struct alarm *a = &k->alarms.al[i];
        if (a->state == ALARM_NORMAL)
            continue;
        struct core_view_alarm *o = &v->alarms[v->nalarms++];
        str_copy(o->name, sizeof o->name, a->def.name);
        o->state = a->state;
        o->prio = a->def.priority;
        o->t = a->t_state;
        o->t_raised = a->t_raised;
        o->shelved_until = a->shelved ? a->shelve_until : 0;
        o->first_out = a->first_out;
        if (a->shelved) {
            str_copy(o->shelved_by, sizeof o->shelved_by, a->shelve_user);
            str_copy(o->shelve_reason, sizeof o->shelve_reason, a->shelve_reason);
        } else {
            o->shelved_by[0] = o->shelve_reason[0] = 0;
        }
    }
    struct alarm_counts ac;
    alarm_counts(&k->alarms, &ac);
    v->n_unacked = 0;
    for (int p = 0; p <= PRIO_CRITICAL; p++)
        v->n_unacked += ac.unacked[p];
    v->n_active = ac.by_state[ALARM_UNACK] + ac.by_state[ALARM_ACKED];
    v->n_shelved = ac.by_state[ALARM_SHELVED];
    struct alarm_kpi kpi;
    alarm_kpi(&k->alarms, &kpi);
    v->flood = kpi.flood_active;
    v->alarms_per_10min = kpi.per_10min;
    struct perm_ctx ctx;
    core_perm_context(k, &ctx);
    v->nperms = 0;
    for (int i = 0; i < PERM_COUNT; i++) {
        enum perm_cmd cmd = (enum perm_cmd)i;
        if (cmd == PERM_SETPOINT || cmd == PERM_MODE)
            continue;
        struct perm_result pr;
        struct core_view_perm *o = &v->perms[v->nperms++];
        str_copy(o->cmd, sizeof o->cmd, perm_cmd_name(cmd));
        o->ready = perm_eval(cmd, &ctx, perm_view_arg(k, cmd), &pr) == PERM_READY;
        perm_join(&pr, o->why, sizeof o->why);
    }
}
