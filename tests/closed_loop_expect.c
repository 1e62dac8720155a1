/* closed_loop_expect — the report of a run: the figures judged (on a normal shift), the
 * --step response, the alarms, the loops, the operator's counts, the link (transactions
 * against the read plan, the command handshake as the PLC received it), and each fault
 * script or link fault judged on what an operator expects to see (table `expects`, keyed by
 * the script's file name — sim_scenario rejects unknown sections, so the expectations live
 * here — or by "link KIND" for --link-fault).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "closed_loop.h"

/* ---- the report --------------------------------------------------------------------- */

struct verdict {
    int failed;
};

static __attribute__((format(printf, 4, 5))) void judge(struct verdict *v, bool judged, bool ok,
                                                        const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("  %-4s %s\n", !judged ? "" : ok ? "ok" : "FAIL", line);
    v->failed += judged && !ok;
}

static double alarm_limit(const struct cfg *c, const char *name, double dflt)
{
    for (int i = 0; i < c->nalarms; i++)
        if (!strcmp(c->alarms[i].name, name))
            return c->alarms[i].limit;
    return dflt;
}

static int raised(const struct harness *h, const char *name)
{
    int a = alarm_find(&h->core.alarms, name);
    return a >= 0 ? h->f.raised[a] : 0;
}

/* The recovery figures over the charges (the last one may still be open when the run ends:
 * not counted). */
struct rec {
    double worst, sum, worst_sc, melt_worst;
    int n, bad, n_sc, bad_sc, melt_never;
};

static struct rec recovery_of(const struct figs *f)
{
    struct rec r = {0};
    for (int i = 0; i < f->ncharges; i++) {
        const struct charge_rec *c = &f->ch[i];
        if (c->open && i == f->ncharges - 1)
            continue;
        if (c->recovered_s < 0)
            r.bad++;
        else {
            r.worst = fmax(r.worst, c->recovered_s);
            r.sum += c->recovered_s;
            r.n++;
        }
        if (c->recovered_sc_s < 0)
            r.bad_sc++;
        else {
            r.worst_sc = fmax(r.worst_sc, c->recovered_sc_s);
            r.n_sc++;
        }
        if (c->melted_s < 0)
            r.melt_never++;
        else
            r.melt_worst = fmax(r.melt_worst, c->melted_s);
    }
    return r;
}

static const char *lag_text(const struct harness *h)
{
    static char buf[64];
    const struct splc_params *p = &h->plc.prm;
    bool own = false;
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        own |= p->tc_lag_each_s[i] >= 0;
    snprintf(buf, sizeof buf, "%.0f s%s", p->tc_lag_s, own ? " (some sensors their own)" : "");
    return buf;
}

/* --cold-ingot, judged against issue 13's goal: no deadlock. */
static void report_ingot(const struct harness *h, struct verdict *v)
{
    const struct figs *f = &h->f;
    const struct phys_state *s = &h->plc.phys;
    if (!h->cold_ingot)
        return;
    judge(v, true, f->t_ingot >= 0 && f->ingot_melted_s >= 0 && f->ingot_melted_s <= INGOT_MELT_MAX_S,
          "cold ingot: %.0f t at %.0f min; all solid melted %.1f min later (goal %.0f min; -1: "
          "not by the end, %.0f kg left); %.0f kg of bath froze onto it; SC side min %.1f degC "
          "true",
          INGOT_KG / 1000, f->t_ingot / 60, f->ingot_melted_s >= 0 ? f->ingot_melted_s / 60 : -1,
          INGOT_MELT_MAX_S / 60, s->solid_kg, s->frozen_kg - f->frozen_kg0, f->sc_true_min);
    bool stopped = f->t_pump_stop >= 0, back = f->t_pump_restart > f->t_pump_stop;
    judge(v, true, !stopped || back,
          "cold ingot: pump %s%s (%d starts refused by the console, %d by the PLC)",
          !stopped ? "never stopped" : "stopped",
          !stopped ? ""
          : back   ? ", running again"
                   : ", never running again",
          h->op.refused_gate, h->op.refused_plc);
    if (stopped)
        printf("       cold ingot: pump stopped at %.1f min, back at %.1f min\n",
               f->t_pump_stop / 60, back ? f->t_pump_restart / 60 : -1);
}

/* The firing demand's wear in HOLD: judged with --hold (issue 13), printed otherwise. */
static void report_wear(const struct harness *h, struct verdict *v)
{
    const struct figs *f = &h->f;
    double hrs = f->fire_s / 3600;
    double rev = hrs > 0 ? f->fire_rev / hrs : 0, travel = hrs > 0 ? f->fire_travel / hrs : 0;
    bool plain_hold = h->hold_only && !h->have_scen;
    judge(v, plain_hold && hrs > 0, rev <= FIRE_REV_MAX_H && travel <= FIRE_TRAVEL_MAX_H,
          "firing in HOLD: %.0f reversals/h, %.0f %%/h of travel over %.1f h (goals %.0f/h, "
          "%.0f %%/h)",
          rev, travel, hrs, FIRE_REV_MAX_H, FIRE_TRAVEL_MAX_H);
    if (plain_hold)
        judge(v, true, f->hold_all_s > 0 && f->hold_all_dev_k <= HOLD_BAND_K,
              "HOLD (--hold): bath within %.0f K of SP over all %.0f min: max %.2f K", HOLD_BAND_K,
              f->hold_all_s / 60, f->hold_all_dev_k);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of v[0..n), sorted in place; NAN when n == 0. */
static double quantile(double *v, int n, double q)
{
    if (n <= 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[(int)floor(q * (n - 1) + 0.5)];
}

/* The SC side's window: for each charge whose HC side recovered and that a next charge
 * followed, the time from the start of the HC side's 5 min in-band stretch to the next
 * push (the SC side's stretch must begin RECOVER_STAY_S before it); for the charges
 * recovered on both, how much later the SC side's stretch began than the HC side's. */
struct sc_window {
    double win_med, win_p10, lag_med; /* min */
    double in_med;                    /* min: SC side first in band -> the next push */
    int nw, nl, ni, never;            /* never: no SC reading in band before the next push */
};

static struct sc_window sc_window_of(const struct figs *f)
{
    static double win[MAX_CHARGES], lag[MAX_CHARGES], in[MAX_CHARGES];
    struct sc_window w = {0};
    for (int i = 0; i + 1 < f->ncharges; i++) {
        const struct charge_rec *c = &f->ch[i];
        double next = f->ch[i + 1].t_drop - c->t_drop;
        if (c->sc_in_s >= 0 && c->sc_in_s < next)
            in[w.ni++] = (next - c->sc_in_s) / 60;
        else
            w.never++;
        if (c->recovered_s < 0)
            continue;
        win[w.nw++] = (next - c->recovered_s) / 60;
        if (c->recovered_sc_s >= 0)
            lag[w.nl++] = (c->recovered_sc_s - c->recovered_s) / 60;
    }
    w.win_med = quantile(win, w.nw, 0.5);
    w.win_p10 = quantile(win, w.nw, 0.1);
    w.lag_med = quantile(lag, w.nl, 0.5);
    w.in_med = quantile(in, w.ni, 0.5);
    return w;
}

static void report_sc_window(const struct harness *h)
{
    struct sc_window w = sc_window_of(&h->f);
    printf("       SC side's window: from the HC side back in band to the next push median "
           "%.1f min, p10 %.1f (%d charges; the SC side needs its %.0f min in band before "
           "it); where both came back, the SC side %.1f min after the HC side (median, %d "
           "charges); the SC side first read in band %.1f min before the next push (median "
           "of %d; %d never did)\n",
           w.win_med, w.win_p10, w.nw, RECOVER_STAY_S / 60, w.lag_med, w.nl, w.in_med, w.ni,
           w.never);
}

#define PH_BIT(ph) (1u << (ph))
#define SPLIT_CP (PH_BIT(PH_CHARGE) | PH_BIT(PH_PYROLYSIS) | PH_BIT(PH_PUSH))

/* Where the energy went over the run (simhw/sim_physics.h, phys_balance), per tonne melted,
 * the metal counted to the program's holding setpoint; and the HC-SC bath split. */
static void report_energy(const struct harness *h)
{
    struct phys_balance b;
    phys_balance(&h->plc.phys, &h->plc.phys_prm, &h->f.mark0, h->core.prog->bath_sp, &b);
    double t = b.melted_kg / 1000, k = t > 0 ? 1 / (3.6e6 * t) : 0;
    printf("       energy over %.1f h, %.1f t melted (%.2f t/h), kWh/t: fuel %.0f + organics "
           "burnt %.0f = %.0f in; metal to %.0f degC %.0f (solid %.0f, of it %.0f preheat on "
           "the hearth; latent %.0f; liquid %.0f); walls %.0f (%.2f MW); doors %.0f; flue: "
           "burners %.0f (available heat %.3f, flue %.0f degC fuel-weighted), pyrolysis gas "
           "%.0f, dilution air %.0f; dross %.0f; water %.0f; stored: lining %+.0f, metal rest "
           "%+.0f (taps, heel); closes to %.2g %% of the input\n",
           b.hours, t, b.hours > 0 ? t / b.hours : 0, b.fuel_j * k, b.organics_j * k, b.in_j * k,
           h->core.prog->bath_sp, (b.metal_solid_j + b.metal_latent_j + b.metal_liquid_j) * k,
           b.metal_solid_j * k, b.preheat_j * k, b.metal_latent_j * k, b.metal_liquid_j * k,
           b.walls_j * k, b.hours > 0 ? b.walls_j / (b.hours * 3600) / 1e6 : 0, b.door_j * k,
           b.flue_fuel_j * k, b.avail_heat, b.flue_c, b.flue_pyro_j * k, b.dilution_j * k,
           b.dross_j * k, b.water_j * k, b.stored_refr_j * k, b.stored_metal_j * k,
           100 * b.closure_frac);
    static const struct {
        const char *name;
        unsigned phases;
    } groups[] = {{"MELT", PH_BIT(PH_MELT)},
                  {"HOLD", PH_BIT(PH_HOLD)},
                  {"CHARGE..PUSH", SPLIT_CP},
                  {"all", ~0u}};
    char line[400];
    size_t used = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0] && used < sizeof line; i++) {
        double secs, med = measure_split_pct(&h->f, groups[i].phases, 50, &secs);
        double p90 = measure_split_pct(&h->f, groups[i].phases, 90, NULL);
        used += (size_t)snprintf(line + used, sizeof line - used,
                                 "%s%s median %.1f, p90 %.1f (%.0f min)", used ? "; " : "",
                                 groups[i].name, med, p90, secs / 60);
    }
    printf("       bath split HC - SC as read, K: %s\n", line);
}

/* One line for scripts (tests/bench_envelope.sh): the figures as KEY=VALUE. */
static void report_machine(const struct harness *h)
{
    const struct figs *f = &h->f;
    const struct phys_state *s = &h->plc.phys;
    struct rec r = recovery_of(f);
    double tonnes = (s->melted_kg - f->melted_kg0) / 1000;
    double kwh = (s->led.fuel_j - f->fuel_j0) / 3.6e6;
    const struct stepper *st = &h->st;
    double span = st->sp1 - st->y0;
    double overshoot = st->loop >= 0 && st->stage == 2 && span != 0
                           ? 100 * (st->peak - st->sp1) / span
                           : -1; /* -1: no --step */
    printf("figures: hold_dev=%.2f hold_all=%.2f rec_worst=%.1f rec_bad=%d rec_sc_worst=%.1f rec_sc_bad=%d "
           "charges=%d melt_worst=%.1f melt_never=%d kwh_t=%.0f t_h=%.2f o2_min=%.2f "
           "o2_low_s=%.0f o2_low_run=%.0f co_max=%.0f comb_max=%.2f hc_gas_max=%.0f "
           "hc_gas_hh=%d solid_end=%.0f ingot_melt=%.1f pump_back=%d overshoot=%.1f "
           "fire_rev_h=%.0f fire_travel_h=%.0f",
           f->hold_dev_k, f->hold_all_dev_k, r.worst / 60, r.bad, r.worst_sc / 60, r.bad_sc, r.n + r.bad,
           r.melt_worst / 60, r.melt_never, tonnes > 0 ? kwh / tonnes : 0,
           tonnes / h->hours, f->o2_min, f->o2_low_s, f->o2_low_run_max, f->co_max, f->comb_max,
           f->hc_gas_max, raised(h, "hc_gas_hh"), s->solid_kg,
           f->ingot_melted_s >= 0 ? f->ingot_melted_s / 60 : -1,
           f->t_pump_stop < 0 ? 1 : f->t_pump_restart > f->t_pump_stop, overshoot,
           f->fire_s > 0 ? f->fire_rev / (f->fire_s / 3600) : 0,
           f->fire_s > 0 ? f->fire_travel / (f->fire_s / 3600) : 0);
    struct phys_balance b;
    phys_balance(s, &h->plc.phys_prm, &f->mark0, h->core.prog->bath_sp, &b);
    struct sc_window w = sc_window_of(f);
    double k = b.melted_kg > 0 ? 1 / (3.6e3 * b.melted_kg) : 0;
    printf(" e_fuel=%.1f e_org=%.1f e_metal=%.1f e_preheat=%.1f e_walls=%.1f "
           "e_doors=%.1f e_flue=%.1f e_flue_pyro=%.1f e_dil=%.1f e_dross=%.1f e_water=%.1f "
           "e_lining=%.1f e_metal_rest=%.1f e_close=%.2g flue_c=%.0f avail=%.3f "
           "split_melt_med=%.1f split_melt_p90=%.1f split_hold_med=%.1f split_hold_p90=%.1f "
           "split_cp_med=%.1f split_cp_p90=%.1f sc_win_med=%.1f sc_lag_med=%.1f sc_in_med=%.1f "
           "sc_in_never=%d",
           b.fuel_j * k, b.organics_j * k,
           (b.metal_solid_j + b.metal_latent_j + b.metal_liquid_j) * k, b.preheat_j * k,
           b.walls_j * k, b.door_j * k, b.flue_fuel_j * k, b.flue_pyro_j * k, b.dilution_j * k,
           b.dross_j * k, b.water_j * k, b.stored_refr_j * k, b.stored_metal_j * k,
           100 * b.closure_frac, b.flue_c, b.avail_heat,
           measure_split_pct(f, PH_BIT(PH_MELT), 50, NULL),
           measure_split_pct(f, PH_BIT(PH_MELT), 90, NULL),
           measure_split_pct(f, PH_BIT(PH_HOLD), 50, NULL),
           measure_split_pct(f, PH_BIT(PH_HOLD), 90, NULL), measure_split_pct(f, SPLIT_CP, 50, NULL),
           measure_split_pct(f, SPLIT_CP, 90, NULL), w.win_med, w.lag_med, w.in_med, w.never);
    printf(" standby=%d relights=%d relights_hold_h=%.1f\n", f->standbys, f->relights,
           f->hold_all_s > 0 ? f->relights_hold / (f->hold_all_s / 3600) : 0);
}

static void report_figures(const struct harness *h, struct verdict *v)
{
    const struct figs *f = &h->f;
    const struct phys_state *s = &h->plc.phys;
    bool normal = !h->have_scen && !*h->lf_key && h->st.loop < 0 && !h->cold_ingot && !h->hold_only;
    bool long_run = h->hours >= MELT_MIN_HOURS;

    judge(v, normal && f->hold_s > 0, f->hold_dev_k <= HOLD_BAND_K,
          "HOLD: bath within %.0f K of SP from %.0f min after entering HOLD: max %.2f K over "
          "%.0f min (true mixed bath %.2f K)",
          HOLD_BAND_K, HOLD_SETTLE_S / 60, f->hold_dev_k, f->hold_s / 60, f->hold_true_dev_k);
    if (normal && f->hold_s <= 0)
        judge(v, true, false, "HOLD: no HOLD lasted %.0f min: nothing measured",
              HOLD_SETTLE_S / 60);
    judge(v, false, true,
          "HOLD over all HOLD time, from entering it: max %.2f K off SP over %.0f min (issue "
          "13's goal: %.0f K; judged once the control meets it)",
          f->hold_all_dev_k, f->hold_all_s / 60, HOLD_BAND_K);
    struct rec r = recovery_of(f);
    judge(v, normal && (r.n + r.bad) > 0, r.bad == 0 && r.worst <= RECOVER_MAX_S,
          "recovery after a 3 t charge to %.0f K of the holding SP (from the push): worst %.1f "
          "min, mean %.1f min over %d charges, %d not recovered (target %.0f min)",
          RECOVER_BAND_K, r.worst / 60, r.n ? r.sum / r.n / 60 : 0, r.n, r.bad,
          RECOVER_MAX_S / 60);
    if (normal && r.n + r.bad == 0)
        judge(v, true, false, "recovery: no charge was pushed and melted");
    judge(v, false, true,
          "recovery on the SC side's thermocouple: worst %.1f min, %d of %d not recovered; "
          "all solid melted after a charge: worst %.1f min, %d never; %.0f kg solid at the end",
          r.worst_sc / 60, r.bad_sc, r.n_sc + r.bad_sc, r.melt_worst / 60, r.melt_never,
          s->solid_kg);
    judge(v, false, true,
          "combustion: flue O2 min %.2f %%, below %.1f %% for %.0f s in all, %.0f s at most at "
          "once (goal <= %.0f s); CO max %.0f ppm; unburnt gas in the HC max %.1f kg, %.1f kg "
          "left unburnt in the flue; hc_gas_hh x%d; organics %.1f %%, thermocouple lag %s",
          f->o2_min, O2_LOW_PCT, f->o2_low_s, f->o2_low_run_max, O2_LOW_MAX_S, f->co_max,
          f->comb_max, s->unburnt_kg, raised(h, "hc_gas_hh"), h->plc.prm.charge_organics * 100,
          lag_text(h));
    double hh = alarm_limit(&h->cfg, ROOF_HH_ALARM, 1250);
    judge(v, normal, f->roof_max < hh && f->roof_true_max < hh && !raised(h, ROOF_HH_ALARM),
          "roof: max %.1f degC read, %.1f degC true (HH %.0f); HC gas max %.1f degC", f->roof_max,
          f->roof_true_max, hh, f->hc_gas_max);
    judge(v, normal, f->floods == 0,
          "alarms: %d annunciations, at most %d in 10 min, %d floods, %d critical",
          f->annunciations, f->max_per_10min, f->floods, f->critical);
    double tonnes = (s->melted_kg - f->melted_kg0) / 1000;
    double kwh = (s->led.fuel_j - f->fuel_j0) / 3.6e6;
    double kwh_t = tonnes > 0 ? kwh / tonnes : 0, rate = tonnes / h->hours;
    judge(v, normal && long_run,
          kwh_t >= KWH_T_LO && kwh_t <= KWH_T_HI && rate >= RATE_T_H_LO && rate <= RATE_T_H_HI,
          "melt: %.1f t melted (%.2f t/h), %.1f t tapped; fuel %.0f kWh = %.0f kWh/t "
          "(%.0f..%.0f), pyrolysis gas %.0f kWh",
          tonnes, rate, (s->tapped_kg - f->tapped_kg0) / 1000, kwh, kwh_t, KWH_T_LO, KWH_T_HI,
          (s->led.pyro_j - f->pyro_j0) / 3.6e6);
    judge(v, false, true,
          "bath true %.1f..%.1f degC; %d lockouts; burner standby %d times, relit %d times "
          "(%d in HOLD: %.1f per hour of HOLD)",
          f->bath_true_min, f->bath_true_max, f->lockouts, f->standbys, f->relights,
          f->relights_hold, f->hold_all_s > 0 ? f->relights_hold / (f->hold_all_s / 3600) : 0);
}

static void report_alarms(const struct harness *h)
{
    const struct alarms *a = &h->core.alarms;
    char line[600] = "";
    size_t used = 0;
    for (int i = 0; i < a->n && used < sizeof line; i++)
        if (h->f.raised[i])
            used += (size_t)snprintf(line + used, sizeof line - used, "%s%s x%d", used ? ", " : "",
                                     a->al[i].def.name, h->f.raised[i]);
    printf("       alarms raised: %s\n", used ? line : "none");
}

/* ---- expectations of the fault scripts ------------------------------------------------ */

struct expect {
    const char *script; /* file name of the scenario, or "link KIND" for --link-fault */
    const char *what;   /* what an operator expects to see */
    bool (*met)(const struct harness *h, char *got, size_t n);
};

#define GOT(...) snprintf(got, n, __VA_ARGS__)

static bool x_flame_alarms(const struct harness *h, char *got, size_t n)
{
    int ff = alarm_find(&h->core.alarms, "flame_failure"), lk = alarm_find(&h->core.alarms, "lockout");
    if (ff < 0 || lk < 0) {
        GOT("no flame_failure or lockout alarm in the file");
        return false;
    }
    GOT("flame_failure x%d (first out x%d), lockout annunciated x%d, recorded as its consequence "
        "x%d", h->f.raised[ff], h->f.first_out[ff], h->f.raised[lk], h->f.consequence[lk]);
    return h->f.raised[ff] > 0 && h->f.first_out[ff] == h->f.raised[ff] && h->f.raised[lk] == 0 &&
           h->f.consequence[lk] > 0;
}

static bool x_tracking(const struct harness *h, char *got, size_t n)
{
    GOT("max |demand - feedback| %.2f %% while not firing, %.2f %% when the flame came back",
        h->f.forced_track_err, h->f.restart_gap);
    return h->f.t_lockout >= 0 && h->f.forced_track_err <= 0.5 && h->f.restart_gap <= 1.0;
}

static bool x_restarted(const struct harness *h, char *got, size_t n)
{
    GOT("%d lockouts; firing again at %.1f min (lockout at %.1f min)", h->f.lockouts,
        h->f.t_restart / 60, h->f.t_lockout / 60);
    return h->f.t_restart > h->f.t_lockout && h->f.t_lockout >= 0;
}

static bool x_back_in_band(const struct harness *h, char *got, size_t n)
{
    double d = h->f.t_back_in_band - h->f.t_fixed;
    GOT("%.1f min after the fault was dealt with", h->f.t_fixed >= 0 && d >= 0 ? d / 60 : -1);
    return h->f.t_fixed >= 0 && h->f.t_back_in_band >= h->f.t_fixed && d <= 1800;
}

static bool x_rate_limited(const struct harness *h, char *got, size_t n)
{
    const struct core *k = &h->core;
    double rate = k->hc_loop >= 0 ? k->loops.loop[k->hc_loop].pid.prm.out_rate_per_s : 0;
    double lim = rate > 0 ? rate * h->dt + 0.11 : 100;
    GOT("largest firing-demand step %.2f %% per cycle (rate limit %.2f)", h->f.max_firing_step,
        lim);
    return h->f.max_firing_step <= lim;
}

static bool x_bad_alarm(const struct harness *h, char *got, size_t n)
{
    int b = h->core.bath_loop;
    GOT("bath_hc_temp_bad x%d; bath loop to MAN at %.1f min", raised(h, "bath_hc_temp_bad"),
        b >= 0 ? h->f.t_dropped[b] / 60 : -1);
    return raised(h, "bath_hc_temp_bad") > 0 && b >= 0 && h->f.t_dropped[b] >= 0;
}

static bool x_bad_held(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    double hh = alarm_limit(&h->cfg, "hc_gas_hh", 1180);
    GOT("HC gas SP moved %.2f K while broken; firing max %.1f %%; bath %.1f..%.1f degC; "
        "HC gas max %.1f degC (HH %.0f)",
        f->bad_out_drift, f->bad_fire_max, f->bad_bath_lo, f->bad_bath_hi, f->hc_gas_max, hh);
    return f->bad_seen && f->bad_out_drift <= 0.5 && f->hc_gas_max < hh && f->bad_bath_lo >= 720 &&
           f->bad_bath_hi <= 760;
}

static bool x_auto_refused(const struct harness *h, char *got, size_t n)
{
    int b = h->core.bath_loop;
    GOT("%d refused while bad; back in AUTO at %.1f min", b >= 0 ? h->f.mode_refused_bad[b] : 0,
        b >= 0 ? h->f.t_restored[b] / 60 : -1);
    return b >= 0 && h->f.mode_refused_bad[b] > 0 && h->f.t_restored[b] > h->f.t_dropped[b];
}

static bool x_pump_alarm(const struct harness *h, char *got, size_t n)
{
    GOT("pump_trip x%d; pump stopped at %.1f min", raised(h, "pump_trip"), h->f.t_pump_stop / 60);
    return raised(h, "pump_trip") > 0 && h->f.t_pump_stop >= 0;
}

static bool x_diverge(const struct harness *h, char *got, size_t n)
{
    GOT("|bath HC - bath SC| max %.1f K with the pump running before, %.1f K stopped",
        h->f.split_before, h->f.split_trip);
    return h->f.split_trip >= 3 && h->f.split_trip > h->f.split_before + 1;
}

static bool x_pump_back(const struct harness *h, char *got, size_t n)
{
    GOT("restarted at %.1f min (%d starts refused at the PLC before); sides %.1f K apart 10 "
        "min later (%.1f K at most while stopped)",
        h->f.t_pump_restart / 60, h->op.refused_plc, h->f.split_after, h->f.split_trip);
    return h->f.t_pump_restart > h->f.t_pump_stop && h->op.refused_plc > 0 &&
           h->f.split_after <= 0.5 * h->f.split_trip;
}

static bool x_link(const struct harness *h, char *got, size_t n)
{
    int dropped = 0;
    for (int i = 0; i < h->core.loops.n; i++)
        dropped += h->f.t_dropped[i] >= 0;
    GOT("plc_link x%d; %d loops dropped to MAN", raised(h, "plc_link"), dropped);
    return raised(h, "plc_link") > 0 && dropped == 0;
}

static bool x_watchdog(const struct harness *h, char *got, size_t n)
{
    GOT("watchdog x%d; reset at %.1f min; tripped now: %s", raised(h, "watchdog"),
        h->f.t_wd_reset / 60, plant_on(h->core.plant.watchdog_tripped) ? "yes" : "no");
    return raised(h, "watchdog") > 0 && h->f.t_wd_reset >= 0 &&
           !plant_on(h->core.plant.watchdog_tripped);
}

/* The followed tag through a link fault, as plc_link.h defines its quality: COMMS from the
 * first failed read, STALE once its last good read is older than stale_ms; with a refused
 * block, the other blocks GOOD and the link up throughout. */
static bool x_lf_stale(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    const struct link_fault *lf = &h->mp.lf;
    double stale_s = h->link.stale_ms / 1000.0, age = f->lf_t_stale - f->lf_last_good;
    const char *name = f->lf_tag >= 0 ? h->cfg.tags[f->lf_tag].name : "?";
    GOT("%s: COMMS %.2f s into the fault, STALE %.2f s after its last good read (stale after "
        "%.2f s); %d cycles with another block not GOOD; link %s",
        name, f->lf_t_comms >= 0 ? f->lf_t_comms - lf->at : -1, f->lf_t_stale >= 0 ? age : -1,
        stale_s, f->lf_other_bad, f->lf_link_lost ? "down at times" : "up throughout");
    bool q = f->lf_t_comms >= lf->at && f->lf_t_comms <= lf->at + h->dt + 1e-6 &&
             f->lf_t_stale >= 0 && f->lf_last_good >= 0 && age > stale_s + 1e-6 &&
             age <= stale_s + h->dt + 1e-6;
    bool refuse = lf->kind == LF_REFUSE;
    return q &&
           (!refuse || (f->lf_other_bad == 0 && !f->lf_link_lost && raised(h, "plc_link") == 0));
}

/* Does loop l read its PV in the block that was refused? */
static bool pv_in_refused_block(const struct harness *h, int l)
{
    int pv = h->core.loops.loop[l].pv_tag, t = h->f.lf_tag;
    return pv >= 0 && t >= 0 && h->link.plan.block_of[pv] == h->link.plan.block_of[t];
}

static bool x_lf_dropped(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    const struct link_fault *lf = &h->mp.lf;
    bool ok = true;
    size_t used = 0;
    for (int l = 0; l < h->core.loops.n && used < n; l++) {
        bool dep = pv_in_refused_block(h, l);
        double at = f->t_dropped[l], hold = h->core.loops.loop[l].pid.prm.pv_bad_hold_s;
        /* the output held from the fault on; MAN once the PV has been bad for the hold
         * (counted in steps from the first bad one, which comes within a step) */
        bool fine = dep ? at >= lf->at + hold - h->dt - 1e-6 && at <= lf->at + hold + h->dt + 1e-6 &&
                              !isnan(f->lf_out0[l]) && f->lf_out_drift[l] <= 0.01
                        : at < 0;
        ok = ok && fine;
        char when[48] = "";
        if (dep && at >= 0)
            snprintf(when, sizeof when, " %.2f s in (hold %.0f s)", at - lf->at, hold);
        used += (size_t)snprintf(got + used, n - used, "%s%s %s%s", used ? "; " : "",
                                 h->core.loops.loop[l].pid.prm.name,
                                 !dep     ? (at < 0 ? "kept its mode" : "DROPPED")
                                 : at < 0 ? "NOT dropped"
                                 : fine   ? "dropped, held"
                                          : "dropped early or late, or moved",
                                 when);
    }
    return ok && h->core.loops.n > 0;
}

static bool x_lf_recovered(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    const struct link_fault *lf = &h->mp.lf;
    bool ok = f->lf_t_good >= lf->until && f->lf_t_good <= lf->until + h->dt + 1e-6;
    int back = 0, dropped = 0;
    for (int l = 0; l < h->core.loops.n; l++) {
        if (!pv_in_refused_block(h, l))
            continue;
        dropped++;
        bool b =
            f->t_restored[l] >= lf->until && h->core.loops.loop[l].pid.mode == h->cfg.loops[l].mode;
        back += b;
    }
    GOT("every tag GOOD %.2f s after the fault; %d of %d dropped loops back in their modes",
        f->lf_t_good >= 0 ? f->lf_t_good - lf->until : -1, back, dropped);
    return ok && back == dropped;
}

static bool x_lf_reconnect(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    const struct link_fault *lf = &h->mp.lf;
    double cap = h->cfg.plc.reconnect_max_ms / 1000.0;
    GOT("link down %.2f s into the fault, up again %.2f s after it ended (backoff at most "
        "%.1f s); %lu reconnects",
        f->t_link_down >= 0 ? f->t_link_down - lf->at : -1,
        f->t_link_up >= 0 ? f->t_link_up - lf->until : -1, cap, h->link.stats.reconnects);
    return f->t_link_down >= lf->at && f->t_link_down <= lf->at + h->dt + 1e-6 &&
           f->t_link_up >= lf->until && f->t_link_up - lf->until <= cap + h->dt + 1e-6 &&
           h->link.stats.reconnects >= 1;
}

/* wet_charge.ini: the push waits for dry scrap; no water reaches the metal. */
static bool x_no_steam(const struct harness *h, char *got, size_t n)
{
    GOT("%.1f kg of water pushed into the metal; %d pushes, %d refused by the gate",
        h->plc.phys.steam_kg, h->op.pushes, h->op.refused_gate);
    return h->plc.phys.steam_kg <= 0 && h->op.pushes >= 1;
}

/* heavy_organics.ini: issue 13's combustion goals, and the hazard annunciated. */
static bool x_o2_goal(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    GOT("flue O2 min %.2f %%, below %.1f %% for %.0f s at most at once; hc_gas_hh x%d",
        f->o2_min, O2_LOW_PCT, f->o2_low_run_max, raised(h, "hc_gas_hh"));
    return f->o2_low_run_max <= O2_LOW_MAX_S && raised(h, "hc_gas_hh") == 0;
}

static bool x_fuel_rich_told(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    GOT("O2 below %.1f %% for %.0f s at most at once; fuel_rich x%d", O2_LOW_PCT,
        f->o2_low_run_max, raised(h, "fuel_rich"));
    return f->o2_low_run_max <= O2_LOW_MAX_S || raised(h, "fuel_rich") > 0;
}

/* drifting_roof_tc.ini: the sensor is suspected, and the bath is not dragged down. */
static bool x_roof_suspect(const struct harness *h, char *got, size_t n)
{
    GOT("roof_temp_bad x%d, roof_tc_check x%d", raised(h, "roof_temp_bad"),
        raised(h, "roof_tc_check"));
    return raised(h, "roof_temp_bad") + raised(h, "roof_tc_check") > 0;
}

static bool x_bath_kept(const struct harness *h, char *got, size_t n)
{
    GOT("bath (true, mixed) %.1f..%.1f degC; bath_l x%d", h->f.bath_true_min,
        h->f.bath_true_max, raised(h, "bath_l"));
    return h->f.bath_true_min >= 720 && h->f.bath_true_max <= 760;
}

static const struct expect expects[] = {
    {"wet_charge.ini", "no water into the metal: the push waited for dry scrap", x_no_steam},
    {"heavy_organics.ini", "a fuel-rich furnace is annunciated (fuel_rich, critical)",
     x_fuel_rich_told},
    {"heavy_organics.ini", "issue 13: O2 never below 0.5 % for > 60 s, no hc_gas_hh", x_o2_goal},
    {"drifting_roof_tc.ini", "the drifting roof thermocouple is flagged", x_roof_suspect},
    {"drifting_roof_tc.ini", "the bath kept within 720..760 degC, not chased down", x_bath_kept},
    {"flame_failure_melt.ini",
     "flame_failure raised first out; the lockout recorded as its consequence, not annunciated",
     x_flame_alarms},
    {"flame_failure_melt.ini", "HC loop tracks the forced firing; no jump at the restart",
     x_tracking},
    {"flame_failure_melt.ini", "operator reset the lockout and restarted the burners", x_restarted},
    {"flame_failure_melt.ini", "bath within 3 K of SP within 30 min of the restart",
     x_back_in_band},
    {"broken_bath_tc.ini", "bath_hc_temp_bad raised, bath loop dropped to MAN", x_bad_alarm},
    {"broken_bath_tc.ini", "HC setpoint held, no wild firing, bath kept 720..760", x_bad_held},
    {"broken_bath_tc.ini", "firing demand never steps faster than the HC loop's rate limit",
     x_rate_limited},
    {"broken_bath_tc.ini", "AUTO refused while the PV was bad, accepted once GOOD", x_auto_refused},
    {"broken_bath_tc.ini", "bath within 3 K of SP within 30 min of AUTO", x_back_in_band},
    {"pump_trip.ini", "pump_trip alarm raised, pump stopped", x_pump_alarm},
    {"pump_trip.ini", "bath sides drift apart while the pump is stopped", x_diverge},
    {"pump_trip.ini", "restart refused while tripped, accepted once cleared; split halved",
     x_pump_back},
    {"pump_trip.ini", "bath within 3 K of SP within 30 min of the restart", x_back_in_band},
    {"plc_silent.ini", "plc_link alarm raised; every loop kept its mode (outputs held)", x_link},
    {"plc_silent.ini", "PLC watchdog tripped by the silence, reset by the operator", x_watchdog},
    {"plc_silent.ini", "values COMMS at once, STALE after the link's stale age", x_lf_stale},
    {"plc_silent.ini", "link down at once, reconnected within the backoff cap", x_lf_reconnect},
    {"link refuse", "refused block COMMS then STALE; other blocks GOOD, link up", x_lf_stale},
    {"link refuse", "loops with a PV in the block held their outputs, MAN after their pv_bad_hold_s",
     x_lf_dropped},
    {"link refuse", "every tag GOOD at the first read after; loops back in their modes",
     x_lf_recovered},
    {"link refuse", "bath within 3 K of SP within 30 min of AUTO", x_back_in_band},
    {"link drop", "plc_link alarm raised; every loop kept its mode (outputs held)", x_link},
    {"link drop", "values COMMS at once, STALE after the link's stale age", x_lf_stale},
    {"link drop", "link down at once, reconnected within the backoff cap", x_lf_reconnect},
    {"link drop", "PLC watchdog tripped by the silence, reset by the operator", x_watchdog},
    {"link timeout", "plc_link alarm raised; every loop kept its mode (outputs held)", x_link},
    {"link timeout", "values COMMS at once, STALE after the link's stale age", x_lf_stale},
    {"link timeout", "link down at once, reconnected within the backoff cap", x_lf_reconnect},
};

static void report_expectations(const struct harness *h, struct verdict *v)
{
    int found = 0;
    for (size_t i = 0; i < sizeof expects / sizeof expects[0]; i++) {
        if (strcmp(expects[i].script, h->script) && strcmp(expects[i].script, h->lf_key))
            continue;
        char got[300];
        bool ok = expects[i].met(h, got, sizeof got);
        judge(v, true, ok, "%s: %s", expects[i].what, got);
        found++;
    }
    if ((h->have_scen || *h->lf_key) && !found)
        printf("       no expectations for %s: generic checks only\n",
               h->have_scen ? h->script : h->lf_key);
}

static void report_loops(const struct harness *h)
{
    const struct figs *f = &h->f;
    const struct loops *lp = &h->core.loops;
    for (int i = 0; i < lp->n; i++) {
        const struct pid *p = &lp->loop[i].pid;
        printf("       loop %-8s %s, controlling %3.0f %% of the time: error RMS %.2f, max %.1f "
               "%s; output travel %.0f %s\n",
               p->prm.name, cfg_loop_mode_name(p->mode), 100 * f->lq_s[i] / (h->hours * 3600),
               f->lq_s[i] > 0 ? sqrt(f->lq_sq[i] / f->lq_s[i]) : 0, f->lq_max[i], p->prm.pv_unit,
               f->lq_travel[i], p->prm.out_unit);
    }
    char line[400] = "";
    size_t used = 0;
    for (int ph = 0; ph < PH_COUNT && used < sizeof line; ph++)
        if (f->ph_n[ph])
            used += (size_t)snprintf(line + used, sizeof line - used, "%s%s %.1f", used ? ", " : "",
                                     cfg_phase_name((enum cfg_phase)ph),
                                     f->ph_s[ph] / f->ph_n[ph] / 60);
    printf("       mean minutes per phase: %s\n", line);
    printf("       pyrolysis: SC gas mean |error| %.1f K, max %.0f degC; CO max %.0f ppm\n",
           f->pyro_s > 0 ? f->pyro_sc_dev / f->pyro_s : 0, f->pyro_sc_max, f->pyro_co_max);
}

static void report_step(const struct harness *h)
{
    const struct stepper *st = &h->st;
    if (st->loop < 0)
        return;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    if (st->stage != 2) {
        printf("       step %s: the setpoint was not stepped (see the log)\n", p->prm.name);
        return;
    }
    double span = st->sp1 - st->y0;
    printf("       step %s %.1f -> %.1f %s (PV filtered %.0f s): 10-90 %% rise %.1f min, "
           "overshoot %.1f %% (%.2f %s), within %.0f %% for %.0f min from %.1f min\n",
           p->prm.name, st->y0, st->sp1, p->prm.pv_unit, STEP_FILTER_S,
           st->t10 >= 0 && st->t90 >= 0 ? (st->t90 - st->t10) / 60 : -1,
           span != 0 ? 100 * (st->peak - st->sp1) / span : 0, fabs(st->peak - st->sp1),
           p->prm.pv_unit, 100 * STEP_BAND, STEP_STAY_S / 60,
           st->t_settled >= 0 ? (st->t_settled - st->t0) / 60 : -1);
}

/* What went over the link, judged: every cycle in which all blocks were read took exactly
 * the plan's transactions (the first cycle the plan made at open, with gaps; later the plan
 * as the link re-made it); the PLC received each command's code and arg with or before
 * its seq, every command the core sent exactly once. */
static void report_link(const struct harness *h, struct verdict *v)
{
    const struct figs *f = &h->f;
    const struct plc_stats *s = &h->link.stats;
    const struct memplc *m = &h->mp;
    int now = plc_plan_count(&h->link.plan, -1);
    judge(v, true,
          f->reads_first == f->plan_open && f->read_cycles > 0 && f->reads_min == now &&
              f->reads_max == now,
          "link: read transactions per cycle: %d in the first (plan at open: %d blocks), then "
          "%d..%d in %ld cycles with every block read (plan now: %d blocks, %lu re-plans)",
          f->reads_first, f->plan_open, f->reads_min, f->reads_max, f->read_cycles, now,
          s->replans);
    printf("       link: %lu reads, %lu writes (%.2f write requests per cycle); %lu connects, "
           "%lu reconnects; %lu refused, %lu timed out, %lu reset\n",
           m->reads, m->writes, f->write_cycles ? (double)f->writes_sum / f->write_cycles : 0,
           m->connects, s->reconnects, m->refused, m->timeouts, m->resets);
    judge(v, true, m->cmds == f->cmds_sent && m->seq_first == 0 && m->seq_repeated == 0,
          "handshake: %lu commands reached the PLC of %lu sent (%lu not sent); %lu with "
          "cmd_seq before its cmd_code and cmd_arg, %lu cmd_seq written again",
          m->cmds, f->cmds_sent, f->cmds_not_sent, m->seq_first, m->seq_repeated);
}

int expect_report(const struct harness *h, double wall_s)
{
    struct verdict verdict = {0}, *v = &verdict;
    const struct op *o = &h->op;
    printf("closed-loop: %.1f h simulated in %.3f s (%.0fx real time), seed %u, %s\n", h->hours,
           wall_s, wall_s > 0 ? h->hours * 3600 / wall_s : 0, h->plc.prm.seed,
           h->have_scen    ? h->scen.path
           : *h->lf_key    ? h->lf_key
           : h->cold_ingot ? "cold ingot"
           : h->hold_only  ? "hold"
                           : "normal shift");
    report_figures(h, v);
    report_ingot(h, v);
    report_wear(h, v);
    report_energy(h);
    report_sc_window(h);
    report_step(h);
    report_alarms(h);
    report_loops(h);
    printf("       operator: %d charges, %d pushes, %d taps; %d requests, %d refused by the gate, "
           "%d at the PLC handshake\n",
           o->charges, o->pushes, o->taps, o->requests, o->refused_gate, o->refused_plc);
    judge(v, true, h->f.silent_text == 0 && h->f.write_errors == 0,
          "every reply carries a sentence (%lu without); the codec took every write (%lu refused)",
          h->f.silent_text, h->f.write_errors);
    report_link(h, v);
    report_expectations(h, v);
    measure_record(h);
    report_machine(h);
    printf("result: %s\n", v->failed ? "FAIL" : "PASS");
    return v->failed;
}
