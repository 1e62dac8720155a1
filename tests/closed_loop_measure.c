/* closed_loop_measure — the targets of tests/README.md measured at every cycle (HOLD, the
 * recovery after each charge, the roof, alarms, the melt), what the fault scripts are
 * judged on (lockouts, a broken thermocouple, the pump), the quality of each loop, the
 * --step response, and the --trace rows.  closed_loop_expect.c judges them after the run.
 */
#include <math.h>

#include "closed_loop.h"

/* ---- measuring ----------------------------------------------------------------------------- */

/* Recovery after each charge: a charge opens when the scrap drops into the bath (the push);
 * it is recovered, on each bath thermocouple (HC and SC side) apart, at the start of the
 * first stretch in which that reading stays within RECOVER_BAND_K of the program's holding
 * setpoint for RECOVER_STAY_S, whatever the phase; still open when the next charge drops (or
 * the run ends): not recovered.  Also measured: the time from the drop until no solid is
 * left in the bath.  Only the HC side is judged on a normal shift: at 30 % pump the SC side
 * sits ~3 K below it in a steady hold, which the bath loop (HC thermocouple only) cannot
 * change; both are printed, for the bath PV that will see both chambers. */
static bool recovered_on(struct harness *h, bool live, const struct tag_value *tv, double *t_run,
                         double t_drop, double *recovered)
{
    if (*recovered >= 0)
        return true;
    bool in_band = live && tv->q == Q_GOOD &&
                   fabs(tv->v - h->core.prog->bath_sp) <= RECOVER_BAND_K;
    if (!in_band)
        *t_run = -1;
    else if (*t_run < 0)
        *t_run = h->t;
    if (*t_run >= 0 && h->t - *t_run >= RECOVER_STAY_S)
        *recovered = *t_run - t_drop;
    return *recovered >= 0;
}

static void measure_recovery(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct plant *p = &h->core.plant;
    double solid = h->plc.phys.solid_kg;
    if (solid > f->solid_before + 100 && f->ncharges < MAX_CHARGES) {
        if (f->ncharges > 0 && f->ch[f->ncharges - 1].open) {
            f->ch[f->ncharges - 1].open = false;
            say(h, "figure: not recovered before the next charge");
        }
        f->ch[f->ncharges++] = (struct charge_rec){.t_drop = h->t,
                                                   .t_run = -1,
                                                   .t_run_sc = -1,
                                                   .recovered_s = -1,
                                                   .recovered_sc_s = -1,
                                                   .melted_s = -1,
                                                   .sc_in_s = -1,
                                                   .open = true};
    }
    f->solid_before = solid;
    if (f->ncharges == 0 || !f->ch[f->ncharges - 1].open)
        return;
    struct charge_rec *c = &f->ch[f->ncharges - 1];
    if (c->melted_s < 0 && solid <= 0)
        c->melted_s = h->t - c->t_drop;
    if (c->sc_in_s < 0 && c->melted_s >= 0 && live && p->bath_sc_temp.q == Q_GOOD &&
        fabs(p->bath_sc_temp.v - h->core.prog->bath_sp) <= RECOVER_BAND_K)
        c->sc_in_s = h->t - c->t_drop;
    bool was_hc = c->recovered_s >= 0, was_sc = c->recovered_sc_s >= 0;
    bool hc = recovered_on(h, live, &p->bath_hc_temp, &c->t_run, c->t_drop, &c->recovered_s);
    bool sc = recovered_on(h, live, &p->bath_sc_temp, &c->t_run_sc, c->t_drop, &c->recovered_sc_s);
    if (hc && !was_hc)
        say(h, "figure: HC side recovered to %.0f K %.1f min after the push", RECOVER_BAND_K,
            c->recovered_s / 60);
    if (sc && !was_sc)
        say(h, "figure: SC side recovered to %.0f K %.1f min after the push", RECOVER_BAND_K,
            c->recovered_sc_s / 60);
    c->open = !(hc && sc && c->melted_s >= 0);
}

/* Combustion over the whole run, from the physics' true values: the flue O2's minimum, its
 * time below O2_LOW_PCT in all and in the longest stretch, the CO, the unburnt gas held in
 * the HC; and for --cold-ingot, the drop, the time until no solid is left, the SC side's
 * lowest true temperature. */
static void measure_combustion(struct harness *h)
{
    struct figs *f = &h->f;
    const struct phys_state *s = &h->plc.phys;
    f->o2_min = fmin(f->o2_min, s->o2_pct);
    if (s->o2_pct < O2_LOW_PCT) {
        f->o2_low_s += h->dt;
        f->o2_low_run += h->dt;
        f->o2_low_run_max = fmax(f->o2_low_run_max, f->o2_low_run);
    } else {
        f->o2_low_run = 0;
    }
    f->co_max = fmax(f->co_max, s->co_ppm);
    f->comb_max = fmax(f->comb_max, s->comb_kg);
    if (f->t_ingot < 0)
        return;
    f->sc_true_min = fmin(f->sc_true_min, s->bath_sc_c);
    if (f->ingot_melted_s < 0 && s->solid_kg <= 0) {
        f->ingot_melted_s = h->t - f->t_ingot;
        say(h, "figure: all solid melted %.1f min after the ingot", f->ingot_melted_s / 60);
    }
}

/* The HC-SC bath split as the two thermocouples read it, per phase (the time in each 0.1 K
 * bin): how far apart the pump lets the sides drift while scrap melts and while holding. */
static void measure_split(struct harness *h, bool live)
{
    const struct plant *p = &h->core.plant;
    if (!live || p->bath_hc_temp.q != Q_GOOD || p->bath_sc_temp.q != Q_GOOD)
        return;
    double d = p->bath_hc_temp.v - p->bath_sc_temp.v;
    int i = (int)floor((d - SPLIT_LO_K) / SPLIT_BIN_K);
    i = i < 0 ? 0 : i >= SPLIT_BINS ? SPLIT_BINS - 1 : i;
    h->f.split_hist[h->core.seq.phase][i] += h->dt;
}

double measure_split_pct(const struct figs *f, unsigned phases, double pct, double *secs)
{
    double total = 0, run = 0;
    for (int ph = 0; ph < PH_COUNT; ph++)
        for (int i = 0; i < SPLIT_BINS && (phases >> ph & 1u); i++)
            total += f->split_hist[ph][i];
    if (secs)
        *secs = total;
    if (total <= 0)
        return NAN;
    for (int i = 0; i < SPLIT_BINS; i++) {
        for (int ph = 0; ph < PH_COUNT; ph++)
            if (phases >> ph & 1u)
                run += f->split_hist[ph][i];
        if (run >= pct / 100 * total)
            return SPLIT_LO_K + (i + 0.5) * SPLIT_BIN_K;
    }
    return SPLIT_LO_K + SPLIT_BINS * SPLIT_BIN_K;
}

/* The burner and the HC loop around a lockout. */
static void measure_burner(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct plant *p = &h->core.plant;
    double demand = h->firing_demand;
    bool firing = p->bms_state.q == Q_GOOD && (int)p->bms_state.v == BMS_FIRING;
    bool locked = plant_on(p->bms_lockout);
    const struct core *k = &h->core;
    unsigned forced = k->hc_loop >= 0 ? k->loops.loop[k->hc_loop].pid.status & PID_ST_TRACK : 0;
    bool capped = k->seq.out.fire_cap_pct < 100;
    if (live && f->last_firing >= 0 && !forced && !capped)
        f->max_firing_step = fmax(f->max_firing_step, fabs(demand - f->last_firing));
    f->last_firing = live && !forced && !capped ? demand : -1;
    if (locked && !f->was_locked) {
        f->lockouts++;
        if (f->t_lockout < 0)
            f->t_lockout = h->t;
    }
    f->was_locked = locked;
    int bms = p->bms_state.q == Q_GOOD ? (int)p->bms_state.v : -1;
    if (bms == BMS_STANDBY && f->last_bms == BMS_FIRING)
        f->standbys++;
    if (bms == BMS_PREPURGE && f->last_bms == BMS_STANDBY) {
        f->relights++;
        f->relights_hold += k->seq.phase == PH_HOLD;
    }
    if (bms >= 0)
        f->last_bms = bms;
    if (f->t_lockout >= 0 && !firing && live && p->firing_fb.q == Q_GOOD)
        f->forced_track_err = fmax(f->forced_track_err, fabs(demand - p->firing_fb.v));
    if (firing && !f->was_firing && f->t_lockout >= 0) {
        f->t_restart = h->t;
        f->t_fixed = h->t;
        f->restart_gap = fmax(f->restart_gap, fabs(demand - p->firing_fb.v));
    }
    f->was_firing = firing;
}

/* The bath loop while its thermocouple is broken, and the pump. */
static void measure_faults(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    double bath = phys_bath_c(&h->plc.phys);
    if (k->bath_loop >= 0 && live && p->bath_hc_temp.q != Q_GOOD) {
        double out = k->loops.loop[k->bath_loop].pid.out;
        if (!f->bad_seen) {
            f->bad_seen = true;
            f->bad_out0 = out;
            f->bad_bath_lo = f->bad_bath_hi = bath;
        }
        f->bad_out_drift = fmax(f->bad_out_drift, fabs(out - f->bad_out0));
        f->bad_fire_max = fmax(f->bad_fire_max, h->firing_demand);
        f->bad_bath_lo = fmin(f->bad_bath_lo, bath);
        f->bad_bath_hi = fmax(f->bad_bath_hi, bath);
    }
    if (k->bath_loop >= 0 && f->t_restored[k->bath_loop] > f->t_fixed)
        f->t_fixed = f->t_restored[k->bath_loop];
    if (!live || p->pump_running.q != Q_GOOD)
        return;
    bool pump = plant_on(p->pump_running);
    if (!pump && f->t_pump_stop < 0)
        f->t_pump_stop = h->t;
    if (pump && f->t_pump_stop >= 0 && f->t_pump_restart < 0)
        f->t_pump_restart = f->t_fixed = h->t;
    if (p->bath_hc_temp.q != Q_GOOD || p->bath_sc_temp.q != Q_GOOD)
        return;
    double split = fabs(p->bath_hc_temp.v - p->bath_sc_temp.v);
    if (f->t_pump_stop < 0)
        f->split_before = fmax(f->split_before, split);
    else if (f->t_pump_restart < 0)
        f->split_trip = fmax(f->split_trip, split);
    else if (h->t - f->t_pump_restart <= 600)
        f->split_after = split;
}

/* Per loop: RMS and largest |SPeff - PV| while it controls (AUTO or CAS, PV GOOD, not
 * tracking, output not saturated), and the output's travel (actuator wear). */
static void measure_loops(struct harness *h)
{
    struct figs *f = &h->f;
    const struct loops *lp = &h->core.loops;
    if (!h->core.started) /* the loops wait for a good read-back of the outputs */
        return;
    for (int i = 0; i < lp->n; i++) {
        const struct pid *p = &lp->loop[i].pid;
        if (f->lq_started)
            f->lq_travel[i] += fabs(p->out - f->lq_last[i]);
        f->lq_last[i] = p->out;
        unsigned off = PID_ST_BAD_PV | PID_ST_TRACK | PID_ST_SAT_HI | PID_ST_SAT_LO;
        if (p->mode == LOOP_MAN || (p->status & off))
            continue;
        double e = p->sp_eff - p->pv;
        f->lq_sq[i] += e * e * h->dt;
        f->lq_s[i] += h->dt;
        f->lq_max[i] = fmax(f->lq_max[i], fabs(e));
    }
    f->lq_started = true;
}

/* The link: when it went down and came back, and around a link fault: the followed tag's
 * quality (COMMS first, STALE once its last good read is older than the link's stale_ms),
 * every tag GOOD again after the fault, and for a refused block the tags of the other
 * blocks (GOOD throughout) and the outputs of the loops dropped to MAN (held). */
static void measure_link(struct harness *h)
{
    struct figs *f = &h->f;
    const struct link_fault *lf = &h->mp.lf;
    if (!h->link_up && f->t_link_down < 0)
        f->t_link_down = h->t;
    if (h->link_up && f->t_link_down >= 0 && f->t_link_up < 0)
        f->t_link_up = h->t;
    int i = f->lf_tag;
    if (i < 0)
        return;
    enum tag_quality q = h->tags[i].q;
    if ((lf->kind == LF_NONE || h->t < lf->at) && q == Q_GOOD)
        f->lf_last_good = h->t;
    if (lf->kind == LF_NONE)
        return;
    bool during = h->t >= lf->at && h->t < lf->until;
    if (during) {
        if (q == Q_BAD_COMMS && f->lf_t_comms < 0)
            f->lf_t_comms = h->t;
        if (q == Q_STALE && f->lf_t_stale < 0)
            f->lf_t_stale = h->t;
        bool other_bad = false;
        for (int t = 0; t < h->cfg.ntags && lf->kind == LF_REFUSE; t++)
            if (h->link.plan.block_of[t] != h->link.plan.block_of[i] && h->tags[t].q != Q_GOOD &&
                h->tags[t].q != Q_BAD_SENSOR)
                other_bad = true;
        f->lf_other_bad += other_bad;
        f->lf_link_lost |= !h->link_up;
        if (lf->kind != LF_REFUSE)
            return;
        const struct loops *lp = &h->core.loops;
        for (int l = 0; l < lp->n; l++) {
            const struct pid *p = &lp->loop[l].pid;
            if (!(p->status & PID_ST_BAD_PV) || h->t < lf->at)
                continue;
            if (isnan(f->lf_out0[l])) /* its first cycle with the PV bad: held from here */
                f->lf_out0[l] = p->out;
            f->lf_out_drift[l] = fmax(f->lf_out_drift[l], fabs(p->out - f->lf_out0[l]));
        }
    } else if (h->t >= lf->until && f->lf_t_good < 0) {
        bool all = true;
        for (int t = 0; t < h->cfg.ntags && all; t++)
            all = h->tags[t].q == Q_GOOD;
        if (all)
            f->lf_t_good = h->t;
    }
}

static void measure_step(struct harness *h)
{
    struct stepper *st = &h->st;
    if (st->loop < 0)
        return;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    if (!st->have_y)
        st->y = p->pv;
    st->have_y = true;
    st->y += (p->pv - st->y) * (1 - exp(-h->dt / STEP_FILTER_S));
    if (st->stage != 2)
        return;
    double span = st->sp1 - st->y0, frac = span != 0 ? (st->y - st->y0) / span : 0;
    if (st->t10 < 0 && frac >= 0.1)
        st->t10 = h->t;
    if (st->t90 < 0 && frac >= 0.9)
        st->t90 = h->t;
    if ((span > 0 && st->y > st->peak) || (span < 0 && st->y < st->peak))
        st->peak = st->y;
    if (fabs(st->y - st->sp1) > STEP_BAND * fabs(span))
        st->t_in = -1;
    else if (st->t_in < 0)
        st->t_in = h->t;
    if (st->t_settled < 0 && st->t_in >= 0 && h->t - st->t_in >= STEP_STAY_S)
        st->t_settled = st->t_in;
}

/* The record's figures: the core's results and the tags the server's historian stores,
 * fed to control/core/rpt.c as `meltcon report` feeds it the journal and the historian. */
void measure_result(struct harness *h, const struct core_result *r)
{
    rpt_event(&h->rpt, h->t, r->user, r->kind, r->what, r->old_v, r->new_v, r->ok, r->text);
}

static double good(const struct tag_value *tv, bool live)
{
    return live && tv->q == Q_GOOD ? tv->v : NAN;
}

static void measure_rpt(struct harness *h, bool live)
{
    const struct plant *p = &h->core.plant;
    struct rpt_sample s = {.gas_flow = good(&p->gas_flow, live),
                           .metal_kg = good(&p->metal_mass, live),
                           .bath_c = good(&p->bath_hc_temp, live),
                           .roof_c = good(&p->roof_temp, live),
                           .o2_pct = good(&p->o2_pct, live),
                           .scrap_kg = good(&p->scrap_on_hearth, live)};
    rpt_sample(&h->rpt, h->t, &s);
}

void measure_record(const struct harness *h)
{
    static struct rpt r;
    r = h->rpt;
    rpt_finish(&r, h->t);
    const struct rpt_shift *s = &r.sh;
    double pyro = 0;
    for (int i = 0; i < r.ncharges; i++)
        pyro += r.ch[i].pyro_s;
    printf("record: the figures of `meltcon report` (control/core/rpt.c) for this run:\n");
    for (int i = 0; i < r.ncharges; i++) {
        const struct rpt_charge *c = &r.ch[i];
        printf("       charge %d at %.1f min: %.2f t, pyrolysis %.1f min, push to flat bath "
               "%.1f min, %.0f kWh = %.0f kWh/t, organics ~%.0f kg, pyrolysis share %.1f %%, "
               "dross %.0f kg\n",
               i + 1, c->t / 60, c->mass_kg / 1000, c->pyro_s / 60,
               c->flat_s >= 0 ? c->flat_s / 60 : -1, c->energy_kwh, c->kwh_t, c->organics_kg,
               100 * c->pyro_share, c->dross_kg);
    }
    printf("       shift: %.2f t charged, %.2f t/h, %.0f kWh = %.0f kWh/t, %d taps (%.2f t); "
           "alarms %d (%d critical, %d high), %.2f per 10 min, %.1f %% flood, top 10 %.0f %%, "
           "%d chattering; %d actions, %d refused; bath IAE %.1f K*min\n",
           s->charged_t, s->rate_t_h, s->energy_kwh, s->kwh_t, s->taps, s->tapped_t,
           s->annunciations, s->by_prio[PRIO_CRITICAL], s->by_prio[PRIO_HIGH], s->per_10min,
           s->flood_pct, s->top10_pct, s->chattering, s->actions, s->refused, s->bath_iae_kmin);
    printf("record: charges=%d charged_t=%.2f energy_kwh=%.0f kwh_t=%.0f rate_t_h=%.2f taps=%d "
           "alarms=%d actions=%d refused=%d pyro_min_mean=%.1f\n",
           r.ncharges, s->charged_t, s->energy_kwh, s->kwh_t, s->rate_t_h, s->taps,
           s->annunciations, s->actions, s->refused, r.ncharges > 0 ? pyro / r.ncharges / 60 : 0);
}

void measure_cycle(struct harness *h)
{
    struct figs *f = &h->f;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    const struct phys_state *s = &h->plc.phys;
    bool live = h->link_up;
    double sp = k->seq.out.bath_sp, bath = phys_bath_c(s);

    f->roof_true_max = fmax(f->roof_true_max, s->roof_c);
    f->bath_true_min = fmin(f->bath_true_min, bath);
    f->bath_true_max = fmax(f->bath_true_max, bath);
    if (live && p->roof_temp.q == Q_GOOD)
        f->roof_max = fmax(f->roof_max, p->roof_temp.v);
    if (live && p->hc_gas_temp.q == Q_GOOD)
        f->hc_gas_max = fmax(f->hc_gas_max, p->hc_gas_temp.v);
    bool hold = k->seq.phase == PH_HOLD && live && p->bath_hc_temp.q == Q_GOOD;
    if (hold) {
        f->hold_all_dev_k = fmax(f->hold_all_dev_k, fabs(p->bath_hc_temp.v - sp));
        f->hold_all_s += h->dt;
        /* the firing demand as the PLC holds it: a reversal is a move against the last
         * move's direction, travel the sum of the moves */
        double d = h->firing_demand - f->fire_last;
        if (f->fire_s > 0 && d != 0) {
            if (f->fire_dir != 0 && (d > 0) != (f->fire_dir > 0))
                f->fire_rev++;
            f->fire_dir = d;
            f->fire_travel += fabs(d);
        }
        f->fire_s += h->dt;
    }
    f->fire_last = h->firing_demand;
    if (hold && k->seq.t_phase_s >= HOLD_SETTLE_S) {
        double dev = fabs(p->bath_hc_temp.v - sp);
        f->hold_dev_k = fmax(f->hold_dev_k, dev);
        f->hold_ep_dev_k = fmax(f->hold_ep_dev_k, dev);
        f->hold_true_dev_k = fmax(f->hold_true_dev_k, fabs(bath - sp));
        f->hold_s += h->dt;
        f->hold_ep_s += h->dt;
    } else if (f->hold_ep_s > 0) {
        say(h, "figure: HOLD from %.0f min after entry: max %.2f K off SP over %.1f min",
            HOLD_SETTLE_S / 60, f->hold_ep_dev_k, f->hold_ep_s / 60);
        f->hold_ep_s = f->hold_ep_dev_k = 0;
    }
    f->ph_s[k->seq.phase] += h->dt;
    if (k->seq.phase != f->last_phase)
        f->ph_n[k->seq.phase]++;
    f->last_phase = k->seq.phase;
    if (k->seq.phase == PH_PYROLYSIS && live && p->sc_gas_temp.q == Q_GOOD) {
        f->pyro_sc_max = fmax(f->pyro_sc_max, p->sc_gas_temp.v);
        f->pyro_sc_dev += fabs(p->sc_gas_temp.v - k->seq.out.sc_gas_sp) * h->dt;
        f->pyro_s += h->dt;
        if (p->co_ppm.q == Q_GOOD)
            f->pyro_co_max = fmax(f->pyro_co_max, p->co_ppm.v);
    }
    measure_rpt(h, live);
    measure_loops(h);
    measure_link(h);
    measure_step(h);
    measure_recovery(h, live);
    measure_combustion(h);
    measure_burner(h, live);
    measure_faults(h, live);
    measure_split(h, live);
    if (f->t_fixed >= 0 && f->t_back_in_band < f->t_fixed && live && p->bath_hc_temp.q == Q_GOOD &&
        fabs(p->bath_hc_temp.v - sp) <= RECOVER_BAND_K)
        f->t_back_in_band = h->t;
    if (h->t >= f->next_kpi) {
        struct alarm_kpi kpi;
        alarm_kpi(&k->alarms, &kpi);
        f->max_per_10min = kpi.per_10min > f->max_per_10min ? kpi.per_10min : f->max_per_10min;
        f->next_kpi = h->t + 10;
    }
}

/* The header names every column measure_trace_row() writes, in its order. */
void measure_trace_header(struct harness *h)
{
    if (h->trace)
        fprintf(h->trace, "t_s,phase,bath_hc,bath_sc,bath_sp,hc_gas,hc_sp,roof,sc_gas,sc_sp,"
                          "firing,fan,damper,pressure,scrap,co,metal_kg,solid_kg,melted_kg,"
                          "fuel_kwh,o2_pct,afterburn,pyro_kg_s,comb_kg\n");
}

void measure_trace_row(struct harness *h)
{
    if (!h->trace || h->t < h->next_trace)
        return;
    h->next_trace += TRACE_EVERY_S;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    const struct loops *lp = &k->loops;
    double hc_sp = k->hc_loop >= 0 ? lp->loop[k->hc_loop].pid.sp_eff : 0;
    double sc_sp = k->sc_loop >= 0 ? lp->loop[k->sc_loop].pid.sp_eff : 0;
    fprintf(h->trace,
            "%.0f,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,"
            "%.0f,%.0f,%.0f,%.2f,%.1f,%.3f,%.2f\n",
            h->t, cfg_phase_name(k->seq.phase), p->bath_hc_temp.v, p->bath_sc_temp.v,
            k->seq.out.bath_sp, p->hc_gas_temp.v, hc_sp, p->roof_temp.v, p->sc_gas_temp.v, sc_sp,
            p->firing_fb.v, p->fan_speed_fb.v, p->damper_fb.v, p->furnace_pressure.v,
            p->scrap_temp.v, p->co_ppm.v, p->metal_mass.v, h->plc.phys.solid_kg,
            h->plc.phys.melted_kg, h->plc.phys.led.fuel_j / 3.6e6, p->o2_pct.v, h->plc.afterburn,
            h->plc.phys.pyro_kg_s, h->plc.phys.comb_kg);
}

void measure_init(struct harness *h)
{
    struct figs *f = &h->f;
    f->t_lockout = f->t_restart = f->t_pump_stop = f->t_pump_restart = -1;
    f->last_bms = -1;
    f->t_fixed = f->t_back_in_band = f->last_firing = f->t_wd_reset = -1;
    f->was_firing = true;
    f->last_phase = PH_COUNT;
    for (int i = 0; i < CFG_MAX_LOOPS; i++) {
        f->t_dropped[i] = f->t_restored[i] = -1;
        f->lf_out0[i] = NAN;
    }
    f->t_link_down = f->t_link_up = f->lf_t_comms = f->lf_t_stale = -1;
    f->lf_last_good = f->lf_t_good = -1;
    f->bath_true_min = f->o2_min = f->sc_true_min = 1e9;
    f->t_ingot = f->ingot_melted_s = -1;
    f->bath_true_max = -1e9;
    f->fuel_j0 = h->plc.phys.led.fuel_j;
    f->pyro_j0 = h->plc.phys.led.pyro_j;
    f->melted_kg0 = h->plc.phys.melted_kg;
    f->tapped_kg0 = h->plc.phys.tapped_kg;
    phys_mark(&h->plc.phys, &h->plc.phys_prm, &f->mark0);
    struct rpt_params rp;
    rpt_params_default(&rp, &h->cfg);
    rpt_init(&h->rpt, &rp, h->t, h->core.seq.phase);
}
