/* cli_report — `meltcon report charge|shift|day [--from T --to T] [--csv|--json]`.
 *
 * Reads the furnace's record straight from its state directory (journal/ and hist/, the
 * server's own read API: journal_read, hist_query), so it works with the server stopped
 * and on a copy of the directory.  The figures come from control/core/rpt.c, the module
 * the closed-loop harness measures with; this file only feeds it in time order and prints.
 * Default window: the last 8 h (shift) or 24 h (charge, day), to now.  The phase in force
 * at the window's start is the last phase line of the two days before it (HOLD if none).
 * Times on the record are wall-clock: a run faster than real time shows wall durations.
 */
#include "cli_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hist.h"
#include "journal.h"
#include "rpt.h"
#include "session.h"

#define SHIFT_S (8 * 3600.0)
#define DAY_S 86400.0
#define PHASE_LOOKBACK_S (2 * 86400.0)

/* The samples the figures are made of, in the order of struct rpt_sample. */
static const char *const sample_tags[] = CLI_RECORD_TAGS;
#define NSAMPLE CLI_RECORD_NTAGS
_Static_assert(sizeof sample_tags / sizeof sample_tags[0] == CLI_RECORD_NTAGS, "the tags");

static void *grow(void *p, long *cap, size_t size)
{
    long n = *cap ? *cap * 2 : 1024;
    void *q = realloc(p, (size_t)n * size);
    if (q)
        *cap = n;
    return q;
}

static int take_phase(const struct journal_entry *e, const char *line, void *ctx)
{
    (void)line;
    struct cli_record *l = ctx;
    if (!strcmp(e->kind, "phase") && !strncmp(e->result, "ok", 2)) {
        int ph = cfg_phase_from_name(e->new_value);
        if (ph >= 0)
            l->phase = ph;
    }
    return 0;
}

static void copy(char *dst, size_t n, const char *src)
{
    size_t k = strlen(src);
    if (k >= n)
        k = n - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
}

static int take_event(const struct journal_entry *e, const char *line, void *ctx)
{
    (void)line;
    struct cli_record *l = ctx;
    if (l->nev == l->cap_ev) {
        struct rec_ev *q = grow(l->ev, &l->cap_ev, sizeof *q);
        if (!q) {
            l->oom = true;
            return 1;
        }
        l->ev = q;
    }
    struct rec_ev *v = &l->ev[l->nev++];
    v->t = e->t;
    v->ok = !strncmp(e->result, "ok", 2);
    const char *text = e->result;
    if (!strncmp(text, "ok: ", 4))
        text += 4;
    else if (!strncmp(text, "refused: ", 9))
        text += 9;
    copy(v->user, sizeof v->user, e->user);
    copy(v->kind, sizeof v->kind, e->kind);
    copy(v->what, sizeof v->what, e->what);
    copy(v->old_v, sizeof v->old_v, e->old_value);
    copy(v->new_v, sizeof v->new_v, e->new_value);
    copy(v->text, sizeof v->text, text);
    return 0;
}

static int take_point(const struct hist_point *p, void *ctx)
{
    struct cli_record *l = ctx;
    if (l->npt == l->cap_pt) {
        struct rec_pt *q = grow(l->pt, &l->cap_pt, sizeof *q);
        if (!q) {
            l->oom = true;
            return 1;
        }
        l->pt = q;
    }
    l->pt[l->npt++] = (struct rec_pt){.t = p->t, .v = p->q == Q_GOOD ? p->v : NAN, .tag = p->tag};
    return 0;
}

static int by_time(const void *a, const void *b)
{
    double x = ((const struct rec_pt *)a)->t, y = ((const struct rec_pt *)b)->t;
    return (x > y) - (x < y);
}

static void set_field(struct rpt_sample *s, int tag, double v)
{
    double *f[NSAMPLE] = {&s->gas_flow, &s->metal_kg, &s->bath_c,
                          &s->roof_c,   &s->o2_pct,   &s->scrap_kg};
    if (tag >= 0 && tag < NSAMPLE)
        *f[tag] = v;
}

void cli_record_feed_rpt(struct rpt *r, const struct cli_record *l, double from)
{
    struct rpt_sample s = {NAN, NAN, NAN, NAN, NAN, NAN};
    long i = 0, j = 0;
    while (i < l->npt || j < l->nev) {
        if (i < l->npt && (j >= l->nev || l->pt[i].t <= l->ev[j].t)) {
            double t = l->pt[i].t;
            while (i < l->npt && l->pt[i].t == t) {
                set_field(&s, l->pt[i].tag, l->pt[i].v);
                i++;
            }
            rpt_sample(r, t < from ? from : t, &s);
        } else {
            const struct rec_ev *e = &l->ev[j++];
            rpt_event(r, e->t, e->user, e->kind, e->what, e->old_v, e->new_v, e->ok, e->text);
        }
    }
}

/* ---- printing ------------------------------------------------------------------------- */

static void iso(double t, char *buf, size_t n)
{
    time_t s = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A number for CSV and JSON: empty / null when not known. */
static void num(char *buf, size_t n, double v, int dec, bool json)
{
    if (!isfinite(v))
        snprintf(buf, n, "%s", json ? "null" : "");
    else
        snprintf(buf, n, "%.*f", dec, v);
}

static void print_charges(const struct rpt *r, bool csv, bool json)
{
    if (csv)
        printf("charge,time,mass_kg,organics_kg,pyrolysis_min,push_to_flat_min,energy_kwh,"
               "kwh_per_t,pyrolysis_share_pct,metal_gain_kg,dross_kg,scrap\n");
    else if (!json && r->ncharges > 0)
        printf("%-3s %-20s %7s %9s %7s %8s %8s %6s %6s %8s %7s %s\n", "#", "charged (UTC)",
               "mass t", "organ kg", "pyro m", "flat m", "kWh", "kWh/t", "pyro%", "gain kg",
               "dross", "scrap");
    for (int i = 0; i < r->ncharges; i++) {
        const struct rpt_charge *c = &r->ch[i];
        char t[32], org[24], pyro[24], flat[24], e[24], kt[24], sh[24], gain[24], dross[24];
        iso(c->t, t, sizeof t);
        bool j = json;
        num(org, sizeof org, c->organics_kg, 0, j);
        num(pyro, sizeof pyro, c->pyro_s / 60, 1, j);
        num(flat, sizeof flat, c->flat_s >= 0 ? c->flat_s / 60 : NAN, 1, j);
        num(e, sizeof e, c->energy_kwh, 0, j);
        num(kt, sizeof kt, c->kwh_t, 0, j);
        num(sh, sizeof sh, isnan(c->pyro_share) ? NAN : 100 * c->pyro_share, 1, j);
        num(gain, sizeof gain, c->gain_kg, 0, j);
        num(dross, sizeof dross, c->dross_kg, 0, j);
        if (json)
            printf("{\"schema\":1,\"record\":\"charge\",\"n\":%d,\"time\":\"%s\",\"mass_kg\":%.0f,"
                   "\"organics_kg\":%s,\"pyrolysis_min\":%s,\"push_to_flat_min\":%s,"
                   "\"energy_kwh\":%s,\"kwh_per_t\":%s,\"pyrolysis_share_pct\":%s,"
                   "\"metal_gain_kg\":%s,\"dross_kg\":%s,\"scrap\":%s%s%s}\n",
                   i + 1, t, c->mass_kg, org, pyro, flat, e, kt, sh, gain, dross,
                   *c->scrap ? "\"" : "", *c->scrap ? c->scrap : "null", *c->scrap ? "\"" : "");
        else if (csv)
            printf("%d,%s,%.0f,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", i + 1, t, c->mass_kg, org, pyro,
                   flat, e, kt, sh, gain, dross, c->scrap);
        else
            printf("%-3d %-20s %7.2f %9s %7s %8s %8s %6s %6s %8s %7s %s\n", i + 1, t,
                   c->mass_kg / 1000, *org ? org : "-", pyro, *flat ? flat : "-", e, kt,
                   *sh ? sh : "-", *gain ? gain : "-", *dross ? dross : "-",
                   *c->scrap ? c->scrap : "-");
    }
    if (!csv && !json && r->ncharges == 0)
        printf("no charge in the window\n");
}

static void print_shift(const struct rpt *r, const char *kind, bool csv, bool json)
{
    const struct rpt_shift *s = &r->sh;
    char from[32], to[32], roof[24], o2[24];
    iso(s->t_from, from, sizeof from);
    iso(s->t_to, to, sizeof to);
    num(roof, sizeof roof, s->roof_max, 1, json);
    num(o2, sizeof o2, s->o2_min, 2, json);
    if (json) {
        printf("{\"schema\":1,\"record\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"hours\":%.3f,"
               "\"charges\":%d,\"charged_t\":%.2f,\"energy_kwh\":%.0f,\"kwh_per_t\":%.0f,"
               "\"melt_rate_t_h\":%.2f,\"taps\":%d,\"tapped_t\":%.2f,"
               "\"alarms\":{\"low\":%d,\"medium\":%d,\"high\":%d,\"critical\":%d},"
               "\"alarms_per_10min\":%.2f,\"max_per_10min\":%d,\"flood_pct\":%.1f,"
               "\"top10_pct\":%.1f,\"chattering\":%d,\"standing\":%d,\"actions\":%d,"
               "\"refused\":%d,\"bath_iae_kmin\":%.1f,\"bath_dev_max_k\":%.2f,"
               "\"deviations\":%d,\"roof_max_c\":%s,\"o2_min_pct\":%s}\n",
               kind, from, to, s->hours, r->ncharges, s->charged_t, s->energy_kwh, s->kwh_t,
               s->rate_t_h, s->taps, s->tapped_t, s->by_prio[PRIO_LOW], s->by_prio[PRIO_MEDIUM],
               s->by_prio[PRIO_HIGH], s->by_prio[PRIO_CRITICAL], s->per_10min, s->max_per_period,
               s->flood_pct, s->top10_pct, s->chattering, s->standing, s->actions, s->refused,
               s->bath_iae_kmin, s->bath_dev_max_k, s->deviations, roof, o2);
        return;
    }
    if (csv) {
        printf("record,from,to,hours,charges,charged_t,energy_kwh,kwh_per_t,melt_rate_t_h,taps,"
               "tapped_t,alarms_low,alarms_medium,alarms_high,alarms_critical,alarms_per_10min,"
               "max_per_10min,flood_pct,top10_pct,chattering,standing,actions,refused,"
               "bath_iae_kmin,bath_dev_max_k,deviations,roof_max_c,o2_min_pct\n");
        printf("%s,%s,%s,%.3f,%d,%.2f,%.0f,%.0f,%.2f,%d,%.2f,%d,%d,%d,%d,%.2f,%d,%.1f,%.1f,%d,%d,"
               "%d,%d,%.1f,%.2f,%d,%s,%s\n",
               kind, from, to, s->hours, r->ncharges, s->charged_t, s->energy_kwh, s->kwh_t,
               s->rate_t_h, s->taps, s->tapped_t, s->by_prio[PRIO_LOW], s->by_prio[PRIO_MEDIUM],
               s->by_prio[PRIO_HIGH], s->by_prio[PRIO_CRITICAL], s->per_10min, s->max_per_period,
               s->flood_pct, s->top10_pct, s->chattering, s->standing, s->actions, s->refused,
               s->bath_iae_kmin, s->bath_dev_max_k, s->deviations, roof, o2);
        return;
    }
    printf("%s report %s .. %s (%.2f h)\n", kind, from, to, s->hours);
    printf("melt      %d charges, %.2f t charged, %.2f t/h; %d taps, %.2f t tapped\n",
           r->ncharges, s->charged_t, s->rate_t_h, s->taps, s->tapped_t);
    printf("energy    %.0f kWh fuel, %.0f kWh/t\n", s->energy_kwh, s->kwh_t);
    printf("alarms    %d annunciations: %d critical, %d high, %d medium, %d low\n",
           s->annunciations, s->by_prio[PRIO_CRITICAL], s->by_prio[PRIO_HIGH],
           s->by_prio[PRIO_MEDIUM], s->by_prio[PRIO_LOW]);
    printf("ISA-18.2  %.2f per 10 min per operator (max %d), %.1f %% of 10-min periods in flood "
           "(>%d), top 10 sources %.0f %%, %d chattering, %d standing\n",
           s->per_10min, s->max_per_period, s->flood_pct, r->p.flood_n, s->top10_pct,
           s->chattering, s->standing);
    printf("actions   %d by operators, %d refused\n", s->actions, s->refused);
    printf("process   bath in HOLD: IAE %.1f K*min, max %.1f K off SP, %d excursions over "
           "%.0f K; roof max %s degC; O2 min %s %%\n",
           s->bath_iae_kmin, s->bath_dev_max_k, s->deviations, r->p.band_dev_k,
           *roof ? roof : "-", *o2 ? o2 : "-");
}

/* ---- the verb ------------------------------------------------------------------------- */

int cli_record_load(const struct cfg *cfg, double from, double to, struct cli_record *l,
                    char *err, size_t errlen)
{
    char state[CFG_PATH_MAX], jdir[CFG_PATH_MAX + 16], hdir[CFG_PATH_MAX + 16];
    memset(l, 0, sizeof *l);
    l->phase = -1;
    if (session_state_dir(cfg, state, sizeof state, err, errlen) < 0)
        return -1;
    snprintf(jdir, sizeof jdir, "%s/journal", state);
    if (hist_dir_of(cfg, hdir, sizeof hdir, err, errlen) < 0)
        return -1;
    if (journal_read(jdir, from - PHASE_LOOKBACK_S, from, take_phase, l) < 0 ||
        journal_read(jdir, from, to, take_event, l) < 0) {
        snprintf(err, errlen, "cannot read the journal in %s: %s", jdir, strerror(errno));
        return -1;
    }
    if (hist_query(hdir, sample_tags, NSAMPLE, from, to, true, take_point, l) < 0) {
        snprintf(err, errlen, "cannot read the historian in %s: %s", hdir, strerror(errno));
        return -1;
    }
    if (l->oom) {
        snprintf(err, errlen, "out of memory reading the record; take a shorter window");
        return -1;
    }
    if (l->npt > 0) /* qsort takes no NULL, even for nothing */
        qsort(l->pt, (size_t)l->npt, sizeof l->pt[0], by_time);
    return 0;
}

void cli_record_free(struct cli_record *l)
{
    free(l->ev);
    free(l->pt);
    memset(l, 0, sizeof *l);
}

int cli_verb_report(const struct cfg *cfg, const struct cli_args *a)
{
    char err[400];
    const char *kind = a->pos[0];
    double now = (double)time(NULL);
    double span = !strcmp(kind, "shift") ? SHIFT_S : DAY_S;
    double from = now - span, to = now;
    if ((a->from && cli_parse_time(a->from, now, &from, err, sizeof err) < 0) ||
        (a->to && cli_parse_time(a->to, now, &to, err, sizeof err) < 0)) {
        fprintf(stderr, "meltcon report: %s\n", err);
        return 2;
    }
    if (a->from && !a->to)
        to = fmin(now, from + span);
    if (!a->from && a->to)
        from = to - span;
    if (!(to > from)) {
        fprintf(stderr, "meltcon report: --to must be after --from\n");
        return 2;
    }
    struct cli_record l;
    struct rpt *r = malloc(sizeof *r);
    if (!r || cli_record_load(cfg, from, to, &l, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon report: %s\n", r ? err : "out of memory");
        if (r)
            cli_record_free(&l);
        free(r);
        return 1;
    }
    struct rpt_params p;
    rpt_params_default(&p, cfg);
    rpt_init(r, &p, from, l.phase >= 0 ? (enum cfg_phase)l.phase : PH_HOLD);
    cli_record_feed_rpt(r, &l, from);
    rpt_finish(r, to);
    if (!strcmp(kind, "charge"))
        print_charges(r, a->csv, a->json);
    else
        print_shift(r, kind, a->csv, a->json);
    cli_record_free(&l);
    free(r);
    return 0;
}
