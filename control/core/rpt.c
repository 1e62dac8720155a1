/* rpt — per-charge and per-shift figures from the record (see rpt.h for the equations).
 *
 * Pure: no clock, no I/O; the caller feeds lines and samples in time order.  Between two
 * inputs the values in force stand (stepwise, at most max_gap_s: a gap in the historian is
 * not filled with invented fuel), so a caller that feeds every control cycle and one that
 * feeds the historian's deadbanded samples integrate the same signal.
 */
#include "rpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The kinds of line that are a person's action (any other kind is the server's). */
static const char *const action_kinds[] = {"set",  "cmd", "ack", "shelve", "phase", "confirm",
                                           "tune", "loop", "wet", "oos",    "stop"};

static bool is_action(const char *user, const char *kind)
{
    if (!strcmp(user, "meltcon") || !*user)
        return false;
    for (size_t i = 0; i < sizeof action_kinds / sizeof action_kinds[0]; i++)
        if (!strcmp(kind, action_kinds[i]))
            return true;
    return false;
}

static struct rpt_charge *open_charge(struct rpt *r)
{
    return r->ncharges > 0 ? &r->ch[r->ncharges - 1] : NULL;
}

/* Time passes from t_last to t with r->s in force. */
static void advance(struct rpt *r, double t)
{
    double dt = t - r->t_last;
    if (!(dt > 0))
        return;
    r->t_last = t;
    if (dt > r->p.max_gap_s)
        dt = r->p.max_gap_s;
    double de = 0;
    if (!isnan(r->s.gas_flow) && r->s.gas_flow > 0)
        de = r->s.gas_flow / 3600.0 * dt * r->p.lhv_mj_nm3 / 3.6;
    r->e_kwh += de;
    struct rpt_charge *c = open_charge(r);
    if (c)
        c->energy_kwh += de;
    if (r->phase == PH_HOLD && !isnan(r->s.bath_c)) {
        double dev = fabs(r->s.bath_c - r->sp);
        r->sh.bath_iae_kmin += dev * dt / 60.0;
        if (dev > r->sh.bath_dev_max_k)
            r->sh.bath_dev_max_k = dev;
    }
}

/* The flat-bath stretch of every pushed charge not yet flat, at a new bath value. */
static void watch_flat(struct rpt *r, double t)
{
    for (int i = 0; i < r->ncharges; i++) {
        struct rpt_charge *c = &r->ch[i];
        if (c->done || c->t_push < 0 || c->flat_s >= 0)
            continue;
        bool in = !isnan(r->s.bath_c) && fabs(r->s.bath_c - r->sp) <= r->p.band_k;
        if (!in)
            c->t_band = -1;
        else if (c->t_band < 0)
            c->t_band = t;
        if (c->t_band >= 0 && t - c->t_band >= r->p.stay_s) {
            c->flat_s = c->t_band - c->t_push;
            if (!isnan(r->s.metal_kg) && !isnan(c->metal0))
                c->gain_kg = r->s.metal_kg - c->metal0;
        }
    }
}

static void watch_dev(struct rpt *r)
{
    bool out = r->phase == PH_HOLD && !isnan(r->s.bath_c) &&
               fabs(r->s.bath_c - r->sp) > r->p.band_dev_k;
    if (out && !r->out_dev)
        r->sh.deviations++;
    r->out_dev = out;
}

static void leave_phase(struct rpt *r, double t)
{
    double dur = t - r->ph_t0;
    struct rpt_charge *c = open_charge(r);
    if (r->phase == PH_PYROLYSIS && c) {
        c->pyro_s += dur;
        if (!isnan(c->hearth0) && !isnan(r->s.scrap_kg) && c->hearth0 > r->s.scrap_kg)
            c->organics_kg = (isnan(c->organics_kg) ? 0 : c->organics_kg) + c->hearth0 -
                             r->s.scrap_kg;
        else if (!isnan(c->hearth0) && !isnan(r->s.scrap_kg) && isnan(c->organics_kg))
            c->organics_kg = 0;
    }
    if (r->phase == PH_TAP && !isnan(r->tap_metal0) && !isnan(r->s.metal_kg) &&
        r->tap_metal0 > r->s.metal_kg)
        r->sh.tapped_t += (r->tap_metal0 - r->s.metal_kg) / 1000.0;
}

static void enter_phase(struct rpt *r, double t, enum cfg_phase ph)
{
    r->phase = ph;
    r->ph_t0 = t;
    struct rpt_charge *c = open_charge(r);
    if (ph == PH_PYROLYSIS && c)
        c->hearth0 = r->s.scrap_kg;
    if (ph == PH_TAP) {
        r->tap_metal0 = r->s.metal_kg;
        for (int i = 0; i < r->ncharges; i++)
            if (r->ch[i].flat_s < 0)
                r->ch[i].tapped = true;
    }
}

static struct rpt_source *source(struct rpt *r, const char *name)
{
    for (int i = 0; i < r->nsources; i++)
        if (!strcmp(r->src[i].name, name))
            return &r->src[i];
    if (r->nsources >= RPT_MAX_SOURCES)
        return NULL;
    struct rpt_source *s = &r->src[r->nsources++];
    memset(s, 0, sizeof *s);
    size_t n = strlen(name);
    if (n >= sizeof s->name)
        n = sizeof s->name - 1;
    memcpy(s->name, name, n);
    return s;
}

/* "raised high: ..." -> the event word and the priority; false when not that shape. */
static bool alarm_words(const char *text, char *ev, size_t evlen, int *prio)
{
    size_t n = strcspn(text, " ");
    if (n == 0 || n >= evlen || text[n] != ' ')
        return false;
    memcpy(ev, text, n);
    ev[n] = 0;
    const char *p = text + n + 1;
    size_t m = strcspn(p, ":");
    static const char *const names[] = {"low", "medium", "high", "critical"};
    *prio = -1;
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == m && !strncmp(p, names[i], m))
            *prio = i;
    return true;
}

static void on_alarm(struct rpt *r, double t, const char *what, const char *new_v,
                     const char *text)
{
    char ev[24];
    int prio;
    if (!alarm_words(text, ev, sizeof ev, &prio))
        return;
    struct rpt_source *s = source(r, what);
    if (!strcmp(ev, "raised")) {
        r->sh.annunciations++;
        if (prio >= 0)
            r->sh.by_prio[prio]++;
        double k = floor((t - r->t0) / r->p.period_s);
        if (k >= 0 && k < RPT_MAX_PERIODS)
            r->period_n[(int)k]++;
        if (s) {
            s->raised_at[s->count % RPT_CHATTER_RING] = t;
            s->count++;
            int n = r->p.chatter_n;
            if (n >= 2 && n <= RPT_CHATTER_RING && s->count >= n &&
                t - s->raised_at[(s->count - n) % RPT_CHATTER_RING] <= r->p.chatter_s)
                s->chattered = true;
        }
    }
    if (!s)
        return;
    bool active = !strcmp(new_v, "UNACK") || !strcmp(new_v, "ACKED") || !strcmp(new_v, "RTN_UNACK");
    if (active && !s->active)
        s->t_active = t;
    s->active = active;
}

/* ---- public ------------------------------------------------------------------------- */

void rpt_params_default(struct rpt_params *p, const struct cfg *c)
{
    *p = (struct rpt_params){.lhv_mj_nm3 = 36.0,
                             .organics_mj_kg = 30.0,
                             .bath_sp = 740.0,
                             .band_k = 3.0,
                             .stay_s = 300.0,
                             .band_dev_k = 5.0,
                             .max_gap_s = 120.0,
                             .period_s = 600.0,
                             .flood_n = 10,
                             .chatter_n = 3,
                             .chatter_s = 60.0,
                             .standing_s = 86400.0};
    if (c && c->nprograms > 0) {
        for (int i = 0; i < c->nprograms; i++)
            if (!strcmp(c->programs[i].name, c->furnace.program))
                p->bath_sp = c->programs[i].bath_sp;
    }
}

void rpt_init(struct rpt *r, const struct rpt_params *p, double t0, enum cfg_phase ph)
{
    memset(r, 0, sizeof *r);
    r->p = *p;
    r->t0 = r->t_last = t0;
    r->sp = p->bath_sp;
    r->s = (struct rpt_sample){NAN, NAN, NAN, NAN, NAN, NAN};
    r->tap_metal0 = NAN;
    r->metal_good = r->scrap_good = NAN;
    r->sh.roof_max = NAN;
    r->sh.o2_min = NAN;
    enter_phase(r, t0, ph);
}

void rpt_event(struct rpt *r, double t, const char *user, const char *kind, const char *what,
               const char *old_v, const char *new_v, bool ok, const char *text)
{
    (void)old_v;
    advance(r, t);
    if (is_action(user, kind)) {
        if (ok)
            r->sh.actions++;
        else
            r->sh.refused++;
    }
    if (!strcmp(kind, "alarm")) {
        on_alarm(r, t, what, new_v, text);
        return;
    }
    if (!ok)
        return;
    if (!strcmp(kind, "phase")) {
        int ph = cfg_phase_from_name(new_v);
        if (ph < 0 || (enum cfg_phase)ph == r->phase)
            return;
        leave_phase(r, t);
        enter_phase(r, t, (enum cfg_phase)ph);
        watch_dev(r);
    } else if ((!strcmp(kind, "set") || !strcmp(kind, "program")) && !strcmp(what, "bath.sp")) {
        char *end;
        double sp = strtod(new_v, &end);
        if (end != new_v && !*end && isfinite(sp))
            r->sp = sp;
    } else if (!strcmp(kind, "cmd") && !strcmp(what, "charge")) {
        char *end;
        double mass_t = strtod(new_v, &end);
        if (end == new_v || *end || !(mass_t > 0) || r->ncharges >= RPT_MAX_CHARGES)
            return;
        struct rpt_charge *c = &r->ch[r->ncharges++];
        *c = (struct rpt_charge){.t = t,
                                 .mass_kg = mass_t * 1000.0,
                                 .t_push = -1,
                                 .flat_s = -1,
                                 .organics_kg = NAN,
                                 .pyro_share = NAN,
                                 .gain_kg = NAN,
                                 .dross_kg = NAN,
                                 .hearth0 = NAN,
                                 .t_band = -1,
                                 .metal0 = r->s.metal_kg};
        if (old_v && strcmp(old_v, "-") && strlen(old_v) < sizeof c->scrap)
            strcpy(c->scrap, old_v); /* the class (rpt.h); a longer one is not ours */
    } else if (!strcmp(kind, "cmd") && !strcmp(what, "push")) {
        struct rpt_charge *c = open_charge(r);
        if (c && c->t_push < 0) {
            for (int i = 0; i + 1 < r->ncharges; i++) /* an older one never went flat */
                r->ch[i].done = true;
            c->t_push = t;
        }
    } else if (!strcmp(kind, "cmd") && !strcmp(what, "tap_open")) {
        r->sh.taps++;
    }
}

/* A mass read at an instant: a reading that is not GOOD (NAN) leaves the last GOOD one
 * in force for up to max_gap_s (rpt.h). */
static void hold_mass(double *v, double *good, double *good_t, double t, double gap)
{
    if (!isnan(*v)) {
        *good = *v;
        *good_t = t;
    } else if (!isnan(*good) && t - *good_t <= gap) {
        *v = *good;
    }
}

void rpt_sample(struct rpt *r, double t, const struct rpt_sample *s)
{
    advance(r, t);
    r->s = *s;
    hold_mass(&r->s.metal_kg, &r->metal_good, &r->metal_good_t, t, r->p.max_gap_s);
    hold_mass(&r->s.scrap_kg, &r->scrap_good, &r->scrap_good_t, t, r->p.max_gap_s);
    if (!isnan(s->roof_c) && (isnan(r->sh.roof_max) || s->roof_c > r->sh.roof_max))
        r->sh.roof_max = s->roof_c;
    if (!isnan(s->o2_pct) && (isnan(r->sh.o2_min) || s->o2_pct < r->sh.o2_min))
        r->sh.o2_min = s->o2_pct;
    watch_flat(r, t);
    watch_dev(r);
}

static int by_count(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

void rpt_finish(struct rpt *r, double t)
{
    advance(r, t);
    watch_flat(r, t);
    leave_phase(r, t);
    enter_phase(r, t, r->phase);
    struct rpt_shift *sh = &r->sh;
    sh->t_from = r->t0;
    sh->t_to = t;
    sh->hours = (t - r->t0) / 3600.0;
    sh->energy_kwh = r->e_kwh;
    for (int i = 0; i < r->ncharges; i++) {
        struct rpt_charge *c = &r->ch[i];
        sh->charged_t += c->mass_kg / 1000.0;
        c->kwh_t = c->energy_kwh / (c->mass_kg / 1000.0);
        if (!isnan(c->organics_kg)) {
            double heat = c->organics_kg * r->p.organics_mj_kg / 3.6;
            double all = heat + c->energy_kwh;
            c->pyro_share = all > 0 ? heat / all : 0;
        }
        if (c->flat_s >= 0 && !c->tapped && !isnan(c->gain_kg))
            c->dross_kg = c->mass_kg - c->gain_kg - (isnan(c->organics_kg) ? 0 : c->organics_kg);
    }
    sh->kwh_t = sh->charged_t > 0 ? sh->energy_kwh / sh->charged_t : 0;
    sh->rate_t_h = sh->hours > 0 ? sh->charged_t / sh->hours : 0;
    int np = (int)ceil((t - r->t0) / r->p.period_s);
    if (np < 1)
        np = 1;
    if (np > RPT_MAX_PERIODS)
        np = RPT_MAX_PERIODS;
    sh->periods = np;
    for (int k = 0; k < np; k++) {
        if (r->period_n[k] > r->p.flood_n)
            sh->flood_periods++;
        if (r->period_n[k] > sh->max_per_period)
            sh->max_per_period = r->period_n[k];
    }
    sh->per_10min = (double)sh->annunciations / np * (600.0 / r->p.period_s);
    sh->flood_pct = 100.0 * sh->flood_periods / np;
    int counts[RPT_MAX_SOURCES];
    for (int i = 0; i < r->nsources; i++) {
        counts[i] = r->src[i].count;
        sh->chattering += r->src[i].chattered;
        sh->standing += r->src[i].active && t - r->src[i].t_active >= r->p.standing_s;
    }
    qsort(counts, (size_t)r->nsources, sizeof counts[0], by_count);
    int top = 0;
    for (int i = 0; i < r->nsources && i < RPT_TOP; i++)
        top += counts[i];
    sh->top10_pct = sh->annunciations > 0 ? 100.0 * top / sh->annunciations : 0;
}
