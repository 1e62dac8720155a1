/* exam — a training run judged against its exercise (see exam.h for the rules). */
#include "exam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src)
{
    size_t k = strlen(src);
    if (k >= n)
        k = n - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
}

static bool by_person(const char *user)
{
    return *user && strcmp(user, "meltcon") != 0;
}

static bool matches(const struct exercise_expect *q, const char *kind, const char *what)
{
    return !strcmp(q->kind, kind) && (!strcmp(q->what, "*") || !strcmp(q->what, what));
}

/* The latest episode of alarm NAME, NULL none. */
static struct exam_alarm *episode(struct exam *m, const char *name)
{
    for (int i = m->nalarms - 1; i >= 0; i--)
        if (!strcmp(m->al[i].name, name))
            return &m->al[i];
    return NULL;
}

static bool active(struct exam *m, const char *name)
{
    const struct exam_alarm *a = episode(m, name);
    return a && a->t_cleared < 0;
}

/* Windows that open (after) or close (until) at this happening. */
static void open_when(struct exam *m, int when, const char *name, double t)
{
    for (int i = 0; i < m->ex->n; i++) {
        const struct exercise_expect *q = &m->ex->ex[i];
        if (m->it[i].t_open < 0 && q->when == when && !strcmp(q->when_what, name))
            m->it[i].t_open = t;
        if (m->it[i].t_close < 0 && q->until_when == when && when != EXW_START &&
            !strcmp(q->until_what, name))
            m->it[i].t_close = t;
    }
}

/* Windows that open by the clock: start and the scenario's events, up to t. */
static void open_by_time(struct exam *m, double t)
{
    for (int i = 0; i < m->ex->n; i++) {
        const struct exercise_expect *q = &m->ex->ex[i];
        double at = q->when == EXW_START   ? m->t_start
                    : q->when == EXW_EVENT ? exam_event_time(m, q->when_what)
                                           : -1;
        if (m->it[i].t_open < 0 && at >= 0 && at <= t)
            m->it[i].t_open = at;
        double until = q->until_when == EXW_EVENT ? exam_event_time(m, q->until_what) : -1;
        if (m->it[i].t_close < 0 && until >= 0 && until <= t)
            m->it[i].t_close = until;
    }
}

/* Windows that open or close at T tonnes tapped, now that m->tapped_t are. */
static void open_by_tapped(struct exam *m, double t)
{
    for (int i = 0; i < m->ex->n; i++) {
        const struct exercise_expect *q = &m->ex->ex[i];
        if (m->it[i].t_open < 0 && q->when == EXW_TAPPED && m->tapped_t >= q->when_t)
            m->it[i].t_open = t;
        if (m->it[i].t_close < 0 && q->until_when == EXW_TAPPED && m->tapped_t >= q->until_t)
            m->it[i].t_close = t;
    }
}

static void on_alarm(struct exam *m, double t, const char *what, const char *new_v,
                     const char *text)
{
    bool raised = !strncmp(text, "raised ", 7);
    if (raised && m->nalarms < EXAM_MAX_ALARMS) {
        struct exam_alarm *a = &m->al[m->nalarms++];
        memset(a, 0, sizeof *a);
        copy(a->name, sizeof a->name, what);
        const char *p = text + 7;
        size_t n = strcspn(p, ":"); /* "raised PRIORITY: ..." */
        if (n >= sizeof a->prio)
            n = sizeof a->prio - 1;
        memcpy(a->prio, p, n);
        a->prio[n] = 0;
        a->t_raised = t;
        a->t_acked = a->t_cleared = -1;
        open_when(m, EXW_ALARM, what, t);
        return;
    }
    struct exam_alarm *a = episode(m, what);
    if (!a)
        return;
    if (!strcmp(new_v, "ACKED") || (!strcmp(new_v, "NORMAL") && !strncmp(text, "acked", 5)))
        if (a->t_acked < 0)
            a->t_acked = t;
    bool gone = !strcmp(new_v, "NORMAL") || !strcmp(new_v, "RTN_UNACK");
    if (gone && a->t_cleared < 0) {
        a->t_cleared = t;
        open_when(m, EXW_CLEAR, what, t);
    }
}

void exam_init(struct exam *m, const struct exercise *ex, double t_start, double speed)
{
    memset(m, 0, sizeof *m);
    m->ex = ex;
    m->t_start = t_start;
    m->speed = speed > 0 ? speed : 1;
    m->speed_from_record = !(speed > 0);
    for (int i = 0; i < EXERCISE_MAX; i++)
        m->it[i].t_open = m->it[i].t_done = m->it[i].t_close = m->it[i].t_past = -1;
    m->tap_peak_kg = -1;
    open_by_time(m, t_start);
}

double exam_event_time(const struct exam *m, const char *name)
{
    for (int i = 0; i < m->ex->nevents; i++)
        if (!strcmp(m->ex->ev[i].name, name))
            return m->t_start + m->ex->ev[i].at_min * 60.0 / m->speed;
    return -1;
}

void exam_event(struct exam *m, double t, const char *user, const char *kind, const char *what,
                const char *old_v, const char *new_v, bool ok, const char *text)
{
    (void)old_v;
    static const char at[] = "simulator at ";
    if (m->speed_from_record && !strcmp(kind, "training") && !strcmp(what, "speed") &&
        !strncmp(text, at, sizeof at - 1)) {
        char *end;
        double x = strtod(text + sizeof at - 1, &end);
        if (end != text + sizeof at - 1 && *end == 'x' && x > 0 && x <= 1000) {
            m->speed = x;
            m->speed_from_record = false;
        }
    }
    open_by_time(m, t);
    if (!strcmp(kind, "alarm")) {
        on_alarm(m, t, what, new_v, text);
        return;
    }
    if (ok && !strcmp(kind, "phase")) {
        m->in_tap = !strcmp(new_v, "TAP");
        m->tap_peak_kg = -1;
        m->tapped_t = 0;
        open_when(m, EXW_PHASE, new_v, t);
    }
    if (!by_person(user))
        return;
    if (!ok) {
        if (m->nrefused < EXAM_MAX_REFUSED) {
            struct exam_refused *r = &m->rf[m->nrefused++];
            r->t = t;
            copy(r->user, sizeof r->user, user);
            copy(r->kind, sizeof r->kind, kind);
            copy(r->what, sizeof r->what, what);
            copy(r->why, sizeof r->why, text);
        }
        return;
    }
    m->actions++;
    for (int i = 0; i < m->ex->n; i++) {
        const struct exercise_expect *q = &m->ex->ex[i];
        struct exam_item *it = &m->it[i];
        if (it->t_open < 0 || it->t_done >= 0 || !matches(q, kind, what))
            continue;
        if (it->t_close >= 0) {
            if (q->type == EX_EXPECTED && it->t_past < 0)
                it->t_past = t;
            continue;
        }
        if (q->type == EX_EXPECTED || !*q->while_alarm || active(m, q->while_alarm))
            it->t_done = t;
    }
}

void exam_sample(struct exam *m, double t, const char *tag, double v)
{
    open_by_time(m, t);
    if (!m->in_tap || strcmp(tag, "metal_mass") != 0 || isnan(v))
        return;
    if (v > m->tap_peak_kg)
        m->tap_peak_kg = v;
    m->tapped_t = (m->tap_peak_kg - v) / 1000.0;
    open_by_tapped(m, t);
}

void exam_finish(struct exam *m, double t_end)
{
    open_by_time(m, t_end);
    m->earned = m->possible = 0;
    bool bad = false;
    for (int i = 0; i < m->ex->n; i++) {
        const struct exercise_expect *q = &m->ex->ex[i];
        struct exam_item *it = &m->it[i];
        m->possible += q->points;
        if (q->type == EX_FORBIDDEN) {
            it->verdict = it->t_done >= 0 ? EXV_TAKEN : EXV_KEPT;
            it->points = it->t_done >= 0 ? 0 : q->points;
        } else if (it->t_done < 0) {
            it->verdict = EXV_MISSED;
            it->points = 0;
        } else if (q->within_s > 0 && it->t_done - it->t_open > q->within_s / m->speed) {
            it->verdict = EXV_LATE;
            it->points = q->points / 2;
        } else {
            it->verdict = EXV_MET;
            it->points = q->points;
        }
        bad |= it->verdict == EXV_MISSED || it->verdict == EXV_TAKEN;
        m->earned += it->points;
    }
    m->score_pct = m->possible > 0 ? 100.0 * m->earned / m->possible : 100.0;
    m->passed = !bad && m->score_pct >= EXAM_PASS_PCT;
}

const char *exam_verdict_name(int v)
{
    static const char *const names[] = {"MET", "LATE", "MISSED", "TAKEN", "KEPT"};
    return v >= 0 && v <= EXV_KEPT ? names[v] : "?";
}
