/* loops — the furnace's loops over the tag image (see loops.h).
 *
 * Cascade: the master's output is the slave's remote setpoint (slave in CAS).
 *
 * Override (roof): with R the override PV, L its limit and G its gain,
 *   reduce = G * (R - L)   when R > L, else 0
 *   slave SPeff = clamp(SPwork - reduce, sp_lo, sp_hi)
 * so the override only ever lowers the setpoint.  A bad override PV holds
 * the last reduction (the PLC's roof limiter stays the last line).  So does an
 * implausible one: with override_max_above_pv M > 0, R > PV + M (a roof far above
 * the HC gas that heats it is a thermocouple drifting high, which would otherwise
 * drag the bath down with the setpoint) -- while the loop's own PV is GOOD.
 *
 * The master does not wind up when its slave cannot follow: from the slave's
 * status of the previous step,
 *   hold_up   if the slave's effective SP is below what it was asked for
 *             (override, SP limit, ramp) or its output is limited in the
 *             direction that would raise its PV;
 *   hold_down the mirror image;
 *   both      while the slave's output is forced (tracking).
 * When the slave is not in CAS the master tracks the slave's working SP, so
 * putting the slave back in CAS does not step it.
 *
 * Two measurements (pv, pv2: the HC and SC bath thermocouples): the PV is their weighted
 * mean, never more than split_max below pv (the split guard: with the SC side far behind,
 * after a cold charge or with the pump stopped, the mean alone would drive the HC side
 * far above SP); one failed thermocouple leaves the other (loops_blend_pv).
 *
 * Combustion override (low O2 / high CO), a max select over two measurements:
 *   want   = max(0, o2_gain (o2_limit - O2), co_gain (COload - co_limit))
 *   COload = CO x (m + (1 - m) F / 100)   F: co_flow_pv (%), m: co_flow_min; no F: CO
 *            (a concentration times the off-gas flow that carries it: the pyrolysis gas
 *            itself, which a slower fan would otherwise seem to raise)
 *   want   = min(want, SPwork - sp_lo)   (no deeper than the setpoint can go)
 *   reduce = want                                     when want >= reduce (at once)
 *          = max(want, reduce - release/60 dt)        else (release 0: at once)
 *   SPeff  = clamp(SPwork - max(roof reduce, reduce), sp_lo, sp_hi)
 *   out_hi = max(out_lo, out_hi - comb_cap_gain reduce)   while reduce > 0
 * so both the setpoint and the output can only go down, the deepest cut wins, and the
 * cut comes back slowly (the scrap's temperature, which drives the pyrolysis, lags the
 * SC gas by minutes: released at once, the fan would heat it straight into the next
 * fuel-rich spell).  A reading that is not GOOD cannot lower the cut: the last
 * reduction is held (the other reading may still deepen it).  On the SC loop this slows
 * the pyrolysis when the pyrolysis gas outruns the air (control/README.md, 'Control
 * loops').
 *
 * Priority (prio_loop, prio_band, prio_gain; loops_prio_cap): a loop that shares a heat
 * source with another gives way to it.  The SC fan draws HC gas into the SC to preheat
 * the next charge; with clean scrap (no pyrolysis gas to burn in the SC) it runs at full
 * speed through the whole pyrolysis, and the bath, at full fire, is still short of its
 * setpoint at the next push.  With the bath loop as the fan's prio_loop, the fan's high
 * limit comes down prio_gain per K the bath is more than prio_band below its setpoint, so
 * the burners' heat goes to the bath first; the charge preheats once the bath is back.
 * The deficit is the other loop's working setpoint less its filtered PV, from its last
 * step; that loop in MAN (or dropped there by a bad PV) caps nothing, one holding through a
 * bad PV caps from its last good PV.  It pays where the scrap carries
 * no organics and costs throughput where it does (the pyrolysis it slows is the cycle), so
 * with [scrap.NAME] classes it acts only while the last charge accepted is of a class with
 * bath_priority = yes (loops_prio_on; the core passes that class in struct loops_ext);
 * without classes on every charge.  PID_ST_PRIO_CAP marks a loop whose cap is below out_hi.
 *
 * High-limit override (hicap_pv, hicap_start, hicap_gain, hicap_release_per_min;
 * loops_hicap): another measurement rising above hicap_start lowers this loop's output high
 * limit by hicap_gain per unit, from the output down at the output's own rate limit (at
 * once without one), and the limit comes back at most hicap_release_per_min.  On the
 * firing, with the furnace pressure: the pyrolysis gas and the air that burns it are flue
 * volume as much as the burners' gas, and with the damper wide open only less fuel makes
 * room for them (the gas's own heat replaces the burners' meanwhile).  A reading that is not GOOD holds the last cap.  The cap is a limit like the
 * others: the output marked limited, a cascade master held (slave_holds).
 */
#include "loops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int loop_index(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nloops; i++)
        if (!strcmp(c->loops[i].name, name))
            return i;
    return -1;
}

/* Resolve one loop's tags and its slave.  0 or -1 with err. */
static int resolve(struct loops *lp, const struct cfg *c, int i, char *err, size_t errlen)
{
    const struct cfg_loop *l = &c->loops[i];
    struct loops_loop *x = &lp->loop[i];

    x->pv_tag = cfg_tag_index(c, l->pv);
    if (x->pv_tag < 0)
        return err_set(err, errlen, "[loop.%s] pv = \"%s\": no such tag", l->name, l->pv);
    x->out_tag = -1;
    if (l->out[0]) {
        x->out_tag = cfg_tag_index(c, l->out);
        if (x->out_tag < 0)
            return err_set(err, errlen, "[loop.%s] out = \"%s\": no such tag", l->name, l->out);
    }
    x->ovr_tag = -1;
    if (l->override_pv[0]) {
        x->ovr_tag = cfg_tag_index(c, l->override_pv);
        if (x->ovr_tag < 0)
            return err_set(err, errlen, "[loop.%s] override_pv = \"%s\": no such tag", l->name,
                        l->override_pv);
    }
    x->slave = -1;
    if (l->cascade_to[0]) {
        int s = loop_index(c, l->cascade_to);
        if (s < 0 || s == i)
            return err_set(err, errlen, "[loop.%s] cascade_to = \"%s\": no other loop of that name",
                        l->name, l->cascade_to);
        if (lp->loop[s].master >= 0)
            return err_set(err, errlen,
                        "[loop.%s] cascade_to = \"%s\": that loop already follows [loop.%s]",
                        l->name, l->cascade_to, c->loops[lp->loop[s].master].name);
        x->slave = s;
        lp->loop[s].master = i;
    }
    if (x->out_tag < 0 && x->slave < 0)
        return err_set(err, errlen, "[loop.%s] drives nothing: give it an out tag or a cascade_to",
                    l->name);
    x->ovr_limit = l->override_limit;
    x->ovr_gain = l->override_gain;
    x->ovr_max_above = l->override_max_above_pv;
    x->pv2_tag = -1;
    if (l->pv2[0] && (x->pv2_tag = cfg_tag_index(c, l->pv2)) < 0)
        return err_set(err, errlen, "[loop.%s] pv2 = \"%s\": no such tag", l->name, l->pv2);
    x->pv2_weight = l->pv2_weight;
    x->split_max = l->split_max;
    x->o2_tag = x->co_tag = x->flow_tag = -1;
    if (l->co_flow_pv[0] && (x->flow_tag = cfg_tag_index(c, l->co_flow_pv)) < 0)
        return err_set(err, errlen, "[loop.%s] co_flow_pv = \"%s\": no such tag", l->name,
                       l->co_flow_pv);
    x->co_flow_min = l->co_flow_min;
    if (l->o2_pv[0] && (x->o2_tag = cfg_tag_index(c, l->o2_pv)) < 0)
        return err_set(err, errlen, "[loop.%s] o2_pv = \"%s\": no such tag", l->name, l->o2_pv);
    if (l->co_pv[0] && (x->co_tag = cfg_tag_index(c, l->co_pv)) < 0)
        return err_set(err, errlen, "[loop.%s] co_pv = \"%s\": no such tag", l->name, l->co_pv);
    x->o2_limit = l->o2_limit;
    x->o2_gain = l->o2_gain;
    x->co_limit = l->co_limit;
    x->co_gain = l->co_gain;
    x->comb_release_per_min = l->comb_release_per_min;
    x->comb_cap_gain = l->comb_cap_gain;
    x->comb_cap = l->out_hi;
    x->prio = -1;
    if (l->prio_loop[0]) {
        x->prio = loop_index(c, l->prio_loop);
        if (x->prio < 0 || x->prio == i)
            return err_set(err, errlen, "[loop.%s] prio_loop = \"%s\": no other loop of that name",
                           l->name, l->prio_loop);
    }
    x->prio_band = l->prio_band;
    x->prio_gain = l->prio_gain;
    x->prio_cap = l->out_hi;
    x->hicap_tag = -1;
    if (l->hicap_pv[0] && (x->hicap_tag = cfg_tag_index(c, l->hicap_pv)) < 0)
        return err_set(err, errlen, "[loop.%s] hicap_pv = \"%s\": no such tag", l->name,
                       l->hicap_pv);
    x->hicap_start = l->hicap_start;
    x->hicap_gain = l->hicap_gain;
    x->hicap_release_per_min = l->hicap_release_per_min;
    x->hicap = l->out_hi;
    return 0;
}

/* Step order: a loop comes after its master.  -1 on a cascade cycle. */
static int order_loops(struct loops *lp)
{
    bool placed[CFG_MAX_LOOPS] = {false};
    int k = 0;
    while (k < lp->n) {
        int before = k;
        for (int i = 0; i < lp->n; i++) {
            int m = lp->loop[i].master;
            if (!placed[i] && (m < 0 || placed[m])) {
                placed[i] = true;
                lp->order[k++] = i;
            }
        }
        if (k == before)
            return -1;
    }
    return 0;
}

/* The unit a tag shows, "" when unknown. */
static void copy_unit(char *dst, size_t n, const struct cfg *c, int tag)
{
    snprintf(dst, n, "%s", tag >= 0 ? c->tags[tag].unit : "");
}

int loops_init(struct loops *lp, const struct cfg *c, char *err, size_t errlen)
{
    memset(lp, 0, sizeof *lp);
    if (c->nloops < 0 || c->nloops > CFG_MAX_LOOPS)
        return err_set(err, errlen, "%d loops: at most %d are supported", c->nloops, CFG_MAX_LOOPS);
    lp->n = c->nloops;
    lp->by_class = c->nscrap > 0;
    for (int i = 0; i < lp->n; i++)
        lp->loop[i].master = -1;
    for (int i = 0; i < lp->n; i++)
        if (resolve(lp, c, i, err, errlen) < 0)
            return -1;
    if (order_loops(lp) < 0)
        return err_set(err, errlen, "the cascade_to settings form a cycle");
    for (int i = 0; i < lp->n; i++) {
        const struct cfg_loop *l = &c->loops[i];
        struct loops_loop *x = &lp->loop[i];
        if (l->mode == LOOP_CAS && x->master < 0)
            return err_set(err, errlen,
                        "[loop.%s] mode = CAS: no loop has cascade_to = %s to drive it", l->name,
                        l->name);
        struct pid_params prm;
        pid_params_from_cfg(&prm, l);
        prm.cas_allowed = x->master >= 0;
        copy_unit(prm.pv_unit, sizeof prm.pv_unit, c, x->pv_tag);
        if (x->out_tag >= 0)
            copy_unit(prm.out_unit, sizeof prm.out_unit, c, x->out_tag);
        else
            copy_unit(prm.out_unit, sizeof prm.out_unit, c, lp->loop[x->slave].pv_tag);
        pid_init(&x->pid, &prm, l->mode, l->sp);
    }
    return 0;
}

int loops_init_outputs(struct loops *lp, const struct tag_value *tags)
{
    int bad = 0;
    for (int k = lp->n - 1; k >= 0; k--) {
        struct loops_loop *x = &lp->loop[lp->order[k]];
        if (x->out_tag >= 0) {
            struct tag_value rb = tags[x->out_tag];
            if (rb.q == Q_GOOD && isfinite(rb.v))
                pid_init_output(&x->pid, rb.v);
            else
                bad++;
        } else {
            const struct loops_loop *s = &lp->loop[x->slave];
            struct tag_value spv = tags[s->pv_tag];
            pid_init_output(&x->pid, spv.q == Q_GOOD && isfinite(spv.v) ? spv.v : s->pid.sp_work);
        }
    }
    return bad;
}

/* The override's reduction of the setpoint for this step. */
static void step_override(struct loops_loop *x, const struct tag_value *tags)
{
    if (x->ovr_tag < 0) {
        x->ovr_reduce = 0;
        return;
    }
    struct tag_value o = tags[x->ovr_tag], pv = tags[x->pv_tag];
    x->ovr_bad = o.q != Q_GOOD || !isfinite(o.v) ||
                 (x->ovr_max_above > 0 && pv.q == Q_GOOD && isfinite(pv.v) &&
                  o.v > pv.v + x->ovr_max_above);
    if (x->ovr_bad)
        return;
    double r = x->ovr_gain * (o.v - x->ovr_limit);
    x->ovr_reduce = r > 0 ? r : 0;
}

/* The combustion override's reduction and output cap for this step (top of the file). */
static void step_comb(struct loops_loop *x, const struct tag_value *tags, double dt)
{
    if (x->o2_tag < 0 && x->co_tag < 0) {
        x->comb_reduce = 0;
        x->comb_cap = x->pid.prm.out_hi;
        return;
    }
    double want = 0;
    x->comb_bad = false;
    if (x->o2_tag >= 0) {
        struct tag_value o = tags[x->o2_tag];
        if (o.q != Q_GOOD || !isfinite(o.v))
            x->comb_bad = true;
        else if (x->o2_gain * (x->o2_limit - o.v) > want)
            want = x->o2_gain * (x->o2_limit - o.v);
    }
    if (x->co_tag >= 0) {
        struct tag_value o = tags[x->co_tag];
        double load = o.v;
        if (x->flow_tag >= 0) {
            struct tag_value f = tags[x->flow_tag];
            if (f.q != Q_GOOD || !isfinite(f.v))
                o.q = f.q != Q_GOOD ? f.q : Q_BAD_SENSOR;
            else {
                double fl = f.v < 0 ? 0 : f.v > 100 ? 1 : f.v / 100.0;
                load = o.v * (x->co_flow_min + (1.0 - x->co_flow_min) * fl);
            }
        }
        if (o.q != Q_GOOD || !isfinite(load))
            x->comb_bad = true;
        else if (x->co_gain * (load - x->co_limit) > want)
            want = x->co_gain * (load - x->co_limit);
    }
    /* no deeper than the setpoint can go: a deeper cut would act no more, only come back
     * later (and keep the next charge cold) */
    double span = x->pid.sp_work - x->pid.prm.sp_lo;
    if (want > span)
        want = span > 0 ? span : 0;
    if (x->comb_reduce > want && x->comb_reduce > span)
        x->comb_reduce = span > want ? span : want;
    if (want >= x->comb_reduce)
        x->comb_reduce = want;
    else if (!x->comb_bad) {
        double fall = !(dt > 0 && isfinite(dt)) ? 0
                      : x->comb_release_per_min > 0 ? x->comb_release_per_min / 60.0 * dt
                                                    : HUGE_VAL;
        x->comb_reduce = x->comb_reduce - fall > want ? x->comb_reduce - fall : want;
    }
    const struct pid_params *prm = &x->pid.prm;
    double cap = prm->out_hi - x->comb_cap_gain * x->comb_reduce;
    x->comb_cap = cap > prm->out_lo ? cap : prm->out_lo;
}

/* The priority cap for this step (top of the file); `on`: loops_prio_on. */
static void step_prio(struct loops *lp, struct loops_loop *x, bool on)
{
    const struct pid_params *prm = &x->pid.prm;
    if (x->prio < 0 || !on) {
        x->prio_cap = prm->out_hi;
        return;
    }
    const struct pid *o = &lp->loop[x->prio].pid;
    double s = o->prm.action == LOOP_DIRECT ? -1.0 : 1.0;
    /* a loop holding through a bad PV (pv_bad_hold_s) keeps its last good PV, and so the
     * cap: a reading late every other cycle does not lift the cap between readings */
    bool valid = o->mode != LOOP_MAN && o->pv_valid;
    x->prio_cap = loops_prio_cap(prm->out_lo, prm->out_hi, x->prio_band, x->prio_gain,
                                 s * (o->sp_work - o->pv), valid);
}

bool loops_prio_on(bool by_class, const struct cfg_scrap *scrap)
{
    return !by_class || (scrap && scrap->bath_priority);
}

double loops_prio_cap(double out_lo, double out_hi, double band, double gain, double deficit,
                      bool valid)
{
    if (!valid || !isfinite(deficit) || !(gain > 0) || deficit <= band)
        return out_hi;
    double cap = out_hi - gain * (deficit - band);
    return cap > out_lo ? cap : out_lo;
}

/* The high-limit override for this step (top of the file). */
static void step_hicap(struct loops_loop *x, const struct tag_value *tags, double dt)
{
    const struct pid_params *prm = &x->pid.prm;
    if (x->hicap_tag < 0) {
        x->hicap = prm->out_hi;
        return;
    }
    struct tag_value v = tags[x->hicap_tag];
    x->hicap_bad = v.q != Q_GOOD || !isfinite(v.v);
    double fall = prm->out_rate_per_s > 0 && dt > 0 && isfinite(dt) ? prm->out_rate_per_s * dt : 0;
    x->hicap = loops_hicap(prm->out_lo, prm->out_hi, x->hicap_start, x->hicap_gain,
                           x->hicap_release_per_min, x->hicap, v.v, !x->hicap_bad, dt, x->pid.out,
                           fall);
}

double loops_hicap(double out_lo, double out_hi, double start, double gain, double release_per_min,
                   double prev, double x, bool valid, double dt, double out, double fall)
{
    if (!isfinite(prev) || prev > out_hi)
        prev = out_hi;
    if (!valid || !isfinite(x))
        return prev;
    double want = out_hi;
    if (gain > 0 && x > start) {
        want = out_hi - gain * (x - start);
        if (want < out_lo)
            want = out_lo;
    }
    if (want <= prev) {
        double from = isfinite(out) && out < prev ? out : prev;
        return fall > 0 && want < from - fall ? from - fall : want;
    }
    if (!(release_per_min > 0))
        return want;
    double rise = dt > 0 && isfinite(dt) ? release_per_min / 60.0 * dt : 0;
    return prev + rise < want ? prev + rise : want;
}

/* The lowest of the output caps wins: `cap` below out_hi and below any cap set already. */
static void lower_cap(struct pid_in *in, double cap, double out_hi)
{
    if (cap < out_hi && (!in->out_cap || cap < in->out_cap_value)) {
        in->out_cap = true;
        in->out_cap_value = cap;
    }
}

/* What a master may not do because of its slave (see the top of the file). */
static void slave_holds(const struct loops_loop *s, struct pid_in *in)
{
    unsigned st = s->pid.status;
    bool reverse = s->pid.prm.action == LOOP_REVERSE;
    bool out_up = st & (reverse ? PID_ST_LIM_UP : PID_ST_LIM_DOWN);
    bool out_down = st & (reverse ? PID_ST_LIM_DOWN : PID_ST_LIM_UP);
    /* a slave holding its output on a bad PV follows nothing: the master waits too */
    bool held = st & (PID_ST_TRACK | PID_ST_BAD_PV);
    in->hold_up = (st & PID_ST_SP_LIM_UP) || out_up || held;
    in->hold_down = (st & PID_ST_SP_LIM_DOWN) || out_down || held;
    if (s->pid.mode != LOOP_CAS) {
        in->track = true;
        in->track_value = s->pid.sp_work;
    }
}

int loops_step(struct loops *lp, const struct tag_value *tags, const struct loops_ext *ext,
               double dt)
{
    int dropped = 0;
    lp->nout = 0;
    lp->prio_on = loops_prio_on(lp->by_class, ext ? ext->scrap : NULL);
    for (int k = 0; k < lp->n; k++) {
        int i = lp->order[k];
        struct loops_loop *x = &lp->loop[i];
        struct pid_in in = {.pv = tags[x->pv_tag]};
        if (x->pv2_tag >= 0)
            in.pv = loops_blend_pv(in.pv, tags[x->pv2_tag], x->pv2_weight, x->split_max);
        if (ext) {
            const struct loops_ext_loop *e = &ext->loop[i];
            in.sp_ext = e->sp_set;
            in.sp_ext_value = e->sp;
            in.out_cap = e->cap;
            in.out_cap_value = e->cap_value;
            in.track = e->track;
            in.track_value = e->track_value;
            in.ff = e->ff;
        }
        if (x->master >= 0)
            in.rsp = lp->loop[x->master].pid.out;
        step_override(x, tags);
        step_comb(x, tags, dt);
        in.sp_reduce = x->ovr_reduce > x->comb_reduce ? x->ovr_reduce : x->comb_reduce;
        lower_cap(&in, x->comb_cap, x->pid.prm.out_hi);
        step_prio(lp, x, lp->prio_on);
        lower_cap(&in, x->prio_cap, x->pid.prm.out_hi);
        step_hicap(x, tags, dt);
        lower_cap(&in, x->hicap, x->pid.prm.out_hi);
        if (x->slave >= 0)
            slave_holds(&lp->loop[x->slave], &in);
        pid_step(&x->pid, &in, dt);
        if (x->comb_reduce > 0)
            x->pid.status |= PID_ST_COMB_CUT;
        if (x->prio_cap < x->pid.prm.out_hi)
            x->pid.status |= PID_ST_PRIO_CAP;
        if (x->pid.events & PID_EV_DROPPED_MAN)
            dropped++;
        if (x->out_tag >= 0)
            lp->out[lp->nout++] =
                (struct loops_output){.loop = i, .tag = x->out_tag, .value = x->pid.out};
    }
    return dropped;
}

struct tag_value loops_blend_pv(struct tag_value a, struct tag_value b, double w, double split)
{
    bool ga = a.q == Q_GOOD && isfinite(a.v), gb = b.q == Q_GOOD && isfinite(b.v);
    if (!(w >= 0 && w <= 1))
        w = 0;
    if (ga && gb) {
        double v = (1 - w) * a.v + w * b.v;
        if (split > 0 && v < a.v - split)
            v = a.v - split;
        return (struct tag_value){.v = v, .q = Q_GOOD};
    }
    return !ga && gb ? b : a;
}

double loops_charge_ff(double per_t, double tau_s, double mass_kg, double age_s)
{
    if (!(per_t > 0) || !(tau_s > 0) || !(mass_kg > 0) || !(age_s >= 0) || !isfinite(per_t) ||
        !isfinite(mass_kg) || !isfinite(age_s))
        return 0;
    return per_t * mass_kg / 1000.0 * exp(-age_s / tau_s);
}

int loops_find(const struct loops *lp, const char *name)
{
    for (int i = 0; i < lp->n; i++)
        if (!strcmp(lp->loop[i].pid.prm.name, name))
            return i;
    return -1;
}
