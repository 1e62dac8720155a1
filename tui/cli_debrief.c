/* cli_debrief — `meltcon debrief --scenario FILE [--from T] [--to T] [--speed X]
 * [--html FILE | --progress]`: a training run judged from its record, for the trainee and
 * instructor; --progress prints the run so far as tab-separated lines for a program (the
 * instructor station, print_progress below).
 *
 * The record (journal and historian files, read directly: cli_record_load) from the run's
 * start to its end is fed to control/core/exam.c (the expectations of the scenario's
 * [expect.NAME] sections, config/exercise.h) and control/core/rpt.c (the process
 * figures).  Printed: the malfunctions (the scenario's events, at start + at_min / speed),
 * the alarms (raised, acknowledged after how long, cleared), the operator's actions, the
 * refused requests, every expectation's verdict, bath IAE in HOLD, roof max, O2 min, and
 * the score.  --html also writes one self-contained page (inline CSS and SVG trend plots
 * of the bath, the roof and the flue O2, the malfunctions marked) for printing.
 * Exit 0 when the run passed, 1 when it failed (or the record cannot be read), 2 usage.
 * Times are wall-clock seconds from the start (+m:ss), as the record keeps them.
 * The speed: --speed, else the record's first `training speed` line (exam.h).
 */
#include "cli_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exam.h"
#include "exercise.h"
#include "input.h"
#include "rpt.h"

#define LOOKBACK_S 86400.0

/* The last "server start" line before `to` within a day: the run's start, -1 none. */
static double last_server_start(const struct cli_record *l)
{
    double t = -1;
    for (long i = 0; i < l->nev; i++)
        if (!strcmp(l->ev[i].kind, "server") && !strcmp(l->ev[i].what, "start"))
            t = l->ev[i].t;
    return t;
}

static void rel(double t, double t0, char *buf, size_t n)
{
    if (t < 0) {
        snprintf(buf, n, "-");
        return;
    }
    long s = lround(t - t0);
    snprintf(buf, n, "%s%ld:%02ld", s < 0 ? "-" : "+", labs(s) / 60, labs(s) % 60);
}

/* ---- text --------------------------------------------------------------------------------- */

static void print_text(FILE *f, const struct exercise *ex, const char *file, const struct exam *m,
                       const struct rpt *r, const struct cli_record *l, double to)
{
    char a[24], b[24], c[24];
    fprintf(f, "debrief: %s (%s), %.1f min wall at speed %g\n", ex->scen.title, file,
            (to - m->t_start) / 60, m->speed);
    fprintf(f, "malfunctions\n");
    for (int i = 0; i < ex->nevents; i++) {
        rel(exam_event_time(m, ex->ev[i].name), m->t_start, a, sizeof a);
        fprintf(f, "  %-8s %s: %s\n", a, ex->ev[i].name,
                *ex->ev[i].inject ? ex->ev[i].inject : "next charges' properties");
    }
    fprintf(f, "alarms\n");
    if (m->nalarms == 0)
        fprintf(f, "  none\n");
    for (int i = 0; i < m->nalarms; i++) {
        const struct exam_alarm *al = &m->al[i];
        rel(al->t_raised, m->t_start, a, sizeof a);
        rel(al->t_acked, m->t_start, b, sizeof b);
        rel(al->t_cleared, m->t_start, c, sizeof c);
        fprintf(f, "  %-8s %s (%s) raised; acknowledged %s", a, al->name, al->prio, b);
        if (al->t_acked >= 0)
            fprintf(f, " (%.0f s)", al->t_acked - al->t_raised);
        fprintf(f, "; cleared %s\n", al->t_cleared >= 0 ? c : "no (still active)");
    }
    fprintf(f, "actions\n");
    int n = 0;
    for (long i = 0; i < l->nev; i++) {
        const struct rec_ev *e = &l->ev[i];
        if (e->t < m->t_start || !e->ok || !strcmp(e->kind, "alarm") ||
            !strcmp(e->user, "meltcon") || !*e->user)
            continue;
        rel(e->t, m->t_start, a, sizeof a);
        fprintf(f, "  %-8s %s %s %s%s%s\n", a, e->user, e->kind, e->what, *e->new_v ? " " : "",
                e->new_v);
        n++;
    }
    if (!n)
        fprintf(f, "  none\n");
    fprintf(f, "refused requests\n");
    if (m->nrefused == 0)
        fprintf(f, "  none\n");
    for (int i = 0; i < m->nrefused; i++) {
        rel(m->rf[i].t, m->t_start, a, sizeof a);
        fprintf(f, "  %-8s %s %s %s: %s\n", a, m->rf[i].user, m->rf[i].kind, m->rf[i].what,
                m->rf[i].why);
    }
    fprintf(f, "expectations\n");
    for (int i = 0; i < ex->n; i++) {
        const struct exercise_expect *q = &ex->ex[i];
        const struct exam_item *it = &m->it[i];
        rel(it->t_open, m->t_start, a, sizeof a);
        rel(it->t_done, m->t_start, b, sizeof b);
        fprintf(f, "  %-6s %s: %s (%s %s", exam_verdict_name(it->verdict), q->name, q->text,
                q->kind, q->what);
        if (q->type == EX_EXPECTED) {
            fprintf(f, "; window opened %s", it->t_open >= 0 ? a : "never");
            if (q->within_s > 0)
                fprintf(f, ", %g s process = %.0f s wall", q->within_s, q->within_s / m->speed);
            if (q->until_when != EXW_START) {
                rel(it->t_close, m->t_start, c, sizeof c);
                fprintf(f, ", closes at %s: %s", q->until, it->t_close >= 0 ? c : "never came");
            }
            if (it->t_done >= 0)
                fprintf(f, "; done %s, %.0f s after", b, it->t_done - it->t_open);
            else if (it->t_past >= 0) {
                rel(it->t_past, m->t_start, b, sizeof b);
                fprintf(f, "; done %s, after it closed", b);
            }
        } else if (it->t_done >= 0) {
            fprintf(f, "; taken %s", b);
        }
        fprintf(f, ") %d/%d points\n", it->points, q->points);
    }
    const struct rpt_shift *s = &r->sh;
    fprintf(f, "process   bath in HOLD: IAE %.1f K*min, max %.1f K off SP; roof max ", s->bath_iae_kmin,
            s->bath_dev_max_k);
    if (isnan(s->roof_max))
        fprintf(f, "-");
    else
        fprintf(f, "%.0f degC", s->roof_max);
    fprintf(f, "; O2 min ");
    if (isnan(s->o2_min))
        fprintf(f, "-\n");
    else
        fprintf(f, "%.2f %%\n", s->o2_min);
    fprintf(f, "score     %d of %d points (%.0f %%): %s", m->earned, m->possible, m->score_pct,
            m->passed ? "PASSED" : "FAILED");
    if (!m->passed) {
        const char *sep = ": ";
        for (int i = 0; i < ex->n; i++) {
            int v = m->it[i].verdict;
            if (v == EXV_MISSED || v == EXV_TAKEN) {
                fprintf(f, "%s%s %s", sep, v == EXV_MISSED ? "missed" : "forbidden taken",
                        ex->ex[i].name);
                sep = ", ";
            }
        }
        if (!strcmp(sep, ": "))
            fprintf(f, ": score below %.0f %%", EXAM_PASS_PCT);
    }
    fprintf(f, "\n");
}

/* ---- HTML --------------------------------------------------------------------------------- */

static void html_s(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* One trend as an SVG polyline: tag (index into CLI_RECORD_TAGS) over [t0, t1]. */
static void svg_plot(FILE *f, const struct cli_record *l, int tag, const char *title,
                     const char *unit, double t0, double t1, const struct exercise *ex,
                     const struct exam *m)
{
    const double W = 720, H = 160, PAD = 40;
    double lo = INFINITY, hi = -INFINITY;
    for (long i = 0; i < l->npt; i++)
        if (l->pt[i].tag == tag && !isnan(l->pt[i].v) && l->pt[i].t >= t0 && l->pt[i].t <= t1) {
            lo = fmin(lo, l->pt[i].v);
            hi = fmax(hi, l->pt[i].v);
        }
    fprintf(f, "<h3>");
    html_s(f, title);
    fprintf(f, "</h3>\n");
    if (!(hi >= lo)) {
        fprintf(f, "<p>no samples in the historian</p>\n");
        return;
    }
    if (hi - lo < 1e-6) {
        lo -= 1;
        hi += 1;
    }
    double span = t1 > t0 ? t1 - t0 : 1;
#define X(t) (PAD + ((t) - t0) / span * (W - 2 * PAD))
#define Y(v) (H - PAD / 2 - ((v) - lo) / (hi - lo) * (H - PAD))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\">\n", W, H, W, H);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
               "stroke=\"#888\"/>\n", PAD, PAD / 2, W - 2 * PAD, H - PAD);
    fprintf(f, "<text x=\"2\" y=\"%.0f\" font-size=\"10\">%.4g</text>\n", PAD / 2 + 10, hi);
    fprintf(f, "<text x=\"2\" y=\"%.0f\" font-size=\"10\">%.4g</text>\n", H - PAD / 2, lo);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\">", W - PAD + 2, PAD / 2 + 10);
    html_s(f, unit);
    fprintf(f, "</text>\n");
    for (int i = 0; i < ex->nevents; i++) {
        double te = exam_event_time(m, ex->ev[i].name);
        if (te < t0 || te > t1)
            continue;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#c00\" "
                   "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.0f\" font-size=\"9\" "
                   "fill=\"#c00\">", X(te), PAD / 2, X(te), H - PAD / 2, X(te) + 2, PAD / 2 + 20);
        html_s(f, ex->ev[i].name);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "<polyline fill=\"none\" stroke=\"#036\" stroke-width=\"1.2\" points=\"");
    for (long i = 0; i < l->npt; i++) {
        const struct rec_pt *p = &l->pt[i];
        if (p->tag == tag && !isnan(p->v) && p->t >= t0 && p->t <= t1)
            fprintf(f, "%.1f,%.1f ", X(p->t), Y(p->v));
    }
    fprintf(f, "\"/>\n</svg>\n");
#undef X
#undef Y
}

static int write_html(const char *path, const struct exercise *ex, const char *file,
                      const struct exam *m, const struct rpt *r, const struct cli_record *l,
                      double to)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Debrief: ");
    html_s(f, ex->scen.title);
    fprintf(f, "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:1em auto}"
               "pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}"
               ".pass{color:#060}.fail{color:#a00}@media print{pre{background:none}}"
               "</style></head><body>\n<h1>Debrief: ");
    html_s(f, ex->scen.title);
    fprintf(f, "</h1>\n<p class=\"%s\"><b>%s</b>: %d of %d points (%.0f %%)</p>\n",
            m->passed ? "pass" : "fail", m->passed ? "PASSED" : "FAILED", m->earned, m->possible,
            m->score_pct);
    fprintf(f, "<p>");
    html_s(f, ex->scen.situation);
    fprintf(f, "</p>\n<h2>Trends</h2>\n");
    svg_plot(f, l, 2, "Bath (HC thermocouple)", "degC", m->t_start, to, ex, m);
    svg_plot(f, l, 3, "Roof", "degC", m->t_start, to, ex, m);
    svg_plot(f, l, 4, "Flue O2", "%", m->t_start, to, ex, m);
    fprintf(f, "<h2>Timeline and verdicts</h2>\n<pre>");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        print_text(mem, ex, file, m, r, l, to);
        fclose(mem);
        html_s(f, buf);
        free(buf);
    }
    fprintf(f, "</pre>\n</body></html>\n");
    return fclose(f);
}

/* ---- the run so far (--progress) ---------------------------------------------------------- */

/* s on one line with no tab, for a tab-separated field. */
static void field(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* The exercise so far at time `to`, for a program (the instructor station): tab-separated
 *   run      T_START  SPEED  TITLE
 *   expect   NAME  STATE  POINTS  MAX  KIND WHAT  TEXT
 *   score    EARNED  POSSIBLE  PERCENT
 * STATE is exam.h's verdict as if the run ended now, except that an expected action not
 * yet taken whose window has not opened, or is still open, is PENDING (no points yet). */
static void print_progress(FILE *f, const struct exercise *ex, const struct exam *m, double to)
{
    fprintf(f, "run\t%.3f\t%g\t", m->t_start, m->speed);
    field(f, ex->scen.title);
    fputc('\n', f);
    int earned = 0;
    for (int i = 0; i < ex->n; i++) {
        const struct exercise_expect *q = &ex->ex[i];
        const struct exam_item *it = &m->it[i];
        const char *state = exam_verdict_name(it->verdict);
        int points = it->points;
        if (q->type == EX_EXPECTED && it->t_done < 0 &&
            (it->t_open < 0 || q->within_s <= 0 || to - it->t_open <= q->within_s / m->speed)) {
            state = "PENDING";
            points = 0;
        }
        earned += points;
        fprintf(f, "expect\t");
        field(f, q->name);
        fprintf(f, "\t%s\t%d\t%d\t", state, points, q->points);
        field(f, q->kind);
        fputc(' ', f);
        field(f, q->what);
        fputc('\t', f);
        field(f, q->text);
        fputc('\n', f);
    }
    fprintf(f, "score\t%d\t%d\t%.0f\n", earned, m->possible,
            m->possible > 0 ? 100.0 * earned / m->possible : 100.0);
}

/* ---- the verb ----------------------------------------------------------------------------- */

int cli_verb_debrief(const struct cfg *cfg, const struct cli_args *a)
{
    char err[600];
    double now = (double)time(NULL), to = now, from = -1, speed = 0;
    if ((a->to && cli_parse_time(a->to, now, &to, err, sizeof err) < 0) ||
        (a->from && cli_parse_time(a->from, now, &from, err, sizeof err) < 0)) {
        fprintf(stderr, "meltcon debrief: %s\n", err);
        return 2;
    }
    if (a->speed && (input_number(a->speed, &speed, err, sizeof err) < 0 || !(speed > 0) ||
                     speed > 100000)) {
        fprintf(stderr, "meltcon debrief: --speed \"%s\": expected a number from 0.1 to 100000\n",
                a->speed);
        return 2;
    }
    static struct exercise ex;
    static struct cfg_errors errs;
    if (exercise_load(a->scenario, &ex, &errs) < 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        fprintf(stderr, "meltcon debrief: %s: nothing judged\n", a->scenario);
        return 1;
    }
    struct cli_record l;
    double lo = from >= 0 ? from : to - LOOKBACK_S;
    if (cli_record_load(cfg, lo, to, &l, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon debrief: %s\n", err);
        cli_record_free(&l);
        return 1;
    }
    if (from < 0) {
        from = last_server_start(&l);
        if (from < 0) {
            fprintf(stderr, "meltcon debrief: no server start in the day before --to: give "
                            "--from (when the run started)\n");
            cli_record_free(&l);
            return 1;
        }
    }
    struct exam *m = malloc(sizeof *m);
    struct rpt *r = malloc(sizeof *r);
    int rc = 1;
    if (!m || !r) {
        fprintf(stderr, "meltcon debrief: out of memory\n");
        goto out;
    }
    exam_init(m, &ex, from, speed);
    struct rpt_params p;
    rpt_params_default(&p, cfg);
    rpt_init(r, &p, from, l.phase >= 0 ? (enum cfg_phase)l.phase : PH_HOLD);
    /* the journal's lines and the historian's samples, merged in time order */
    static const char *const tags[] = CLI_RECORD_TAGS;
    for (long i = 0, j = 0; i < l.nev || j < l.npt;) {
        if (j >= l.npt || (i < l.nev && l.ev[i].t <= l.pt[j].t)) {
            const struct rec_ev *e = &l.ev[i++];
            if (e->t >= from)
                exam_event(m, e->t, e->user, e->kind, e->what, e->old_v, e->new_v, e->ok,
                           e->text);
        } else {
            const struct rec_pt *pt = &l.pt[j++];
            if (pt->t >= from && pt->tag >= 0 && pt->tag < CLI_RECORD_NTAGS)
                exam_sample(m, pt->t, tags[pt->tag], pt->v);
        }
    }
    exam_finish(m, to);
    if (a->progress) {
        print_progress(stdout, &ex, m, to);
        rc = 0;
        goto out;
    }
    struct cli_record tail = l; /* the process figures from the run's start only */
    long k = 0;
    while (k < l.nev && l.ev[k].t < from)
        k++;
    tail.ev = l.ev + k;
    tail.nev = l.nev - k;
    cli_record_feed_rpt(r, &tail, from);
    rpt_finish(r, to);
    print_text(stdout, &ex, a->scenario, m, r, &l, to);
    rc = m->passed ? 0 : 1;
    if (a->html && write_html(a->html, &ex, a->scenario, m, r, &l, to) != 0) {
        fprintf(stderr, "meltcon debrief: cannot write %s\n", a->html);
        rc = 1;
    }
out:
    free(m);
    free(r);
    cli_record_free(&l);
    return rc;
}
