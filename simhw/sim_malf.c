/* sim_malf — timed and ramped malfunctions (see sim_malf.h). */
#include "sim_malf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "sim_scenario.h"
#include "util.h"

void malf_init(struct malf_list *l)
{
    memset(l, 0, sizeof *l);
    l->next_id = 1;
}

/* "HH:MM" or "HH:MM:SS" (hours 0..99999, minutes and seconds 0..59) in seconds, -1 if not. */
static double clock_text(const char *s)
{
    long part[3] = {0, 0, 0};
    int n = 0;
    const char *p = s;
    while (n < 3) {
        if (!isdigit((unsigned char)*p))
            return -1;
        long v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 6) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        part[n++] = v;
        if (*p == ':' && n < 3) {
            p++;
            continue;
        }
        break;
    }
    if (*p || n < 2 || part[0] > 99999 || part[1] > 59 || part[2] > 59)
        return -1;
    if (n == 2)
        return (double)(part[0] * 3600 + part[1] * 60);
    return (double)(part[0] * 3600 + part[1] * 60 + part[2]);
}

static void hms(double t, char *buf, size_t n) /* n >= 64 */
{
    long s = lround(t);
    snprintf(buf, n, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

/* The faults a ramp can move, for the sentence that refuses another. */
static void value_faults(char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < splc_nfaults && k < n; i++)
        if (splc_faults[i].value)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", splc_faults[i].name);
}

static const struct splc_fault_desc *fault_desc(const char *name)
{
    for (size_t i = 0; i < splc_nfaults; i++)
        if (!strcmp(splc_faults[i].name, name))
            return &splc_faults[i];
    return NULL;
}

/* Check fault/target/value as `inject` would, on a scratch PLC. */
static int try_fault(const char *fault, const char *target, double value, char *err,
                     size_t errlen)
{
    static struct splc scratch;
    static bool ready;
    if (!ready) {
        struct splc_params p;
        struct phys_params pp;
        splc_params_default(&p);
        phys_params_default(&pp);
        splc_init(&scratch, &p, &pp, false);
        ready = true;
    }
    if (!strcmp(fault, "silent")) {
        if (!(value >= 1 && value <= 3600))
            return err_set(err, errlen, "silent SECONDS: expected 1 to 3600");
        return 0;
    }
    return splc_fault(&scratch, fault, target, value, err, errlen);
}

#define RAMP_USAGE "expected ramp FAULT [TARGET] FROM TO MINUTES"
#define AT_USAGE "expected at MINUTES|HH:MM[:SS] FAULT [TARGET] [VALUE] (or ... ramp ...)"

static int parse_ramp(char **w, int n, struct malf *m, char *err, size_t errlen)
{
    if (n < 4 || n > 5)
        return err_set(err, errlen, "ramp takes FAULT [TARGET] FROM TO MINUTES (%d words "
                       "given): " RAMP_USAGE, n);
    char list[200];
    const struct splc_fault_desc *d = fault_desc(w[0]);
    if (!d || !d->value || !strcmp(w[0], "silent")) {
        value_faults(list, sizeof list);
        return err_set(err, errlen, "ramp %s: %s; a ramp moves a fault's VALUE: %s", w[0],
                       d ? "this fault has no VALUE" : "unknown fault", list);
    }
    snprintf(m->fault, sizeof m->fault, "%s", w[0]);
    snprintf(m->target, sizeof m->target, "%s", n == 5 ? w[1] : "");
    char *const *v = w + (n == 5 ? 2 : 1);
    double x[3];
    static const char *const what[] = {"FROM", "TO", "MINUTES"};
    for (int i = 0; i < 3; i++) {
        char why[200], shown[INPUT_SHOW_SIZE];
        if (input_number(v[i], &x[i], why, sizeof why) < 0) {
            input_show(shown, sizeof shown, v[i]);
            return err_set(err, errlen, "ramp %s \"%s\": not a number: " RAMP_USAGE, what[i],
                           shown);
        }
    }
    if (!(x[2] > 0 && x[2] <= MALF_MAX_MIN))
        return err_set(err, errlen, "ramp MINUTES %g: expected more than 0 and at most %g "
                       "process minutes", x[2], MALF_MAX_MIN);
    char why[300];
    for (int i = 0; i < 2; i++)
        if (try_fault(m->fault, m->target, x[i], why, sizeof why) < 0)
            return err_set(err, errlen, "ramp %s %g: %s", what[i], x[i], why);
    m->from = x[0];
    m->to = x[1];
    m->dur_s = x[2] * 60;
    m->value = NAN;
    return 0;
}

int malf_parse(const char *req, double now_s, struct malf *m, char *err, size_t errlen)
{
    char buf[256], *save = NULL, *w[12];
    int n = 0;
    if (strlen(req) >= sizeof buf)
        return err_set(err, errlen, "request too long (%zu characters)", strlen(req));
    snprintf(buf, sizeof buf, "%s", req);
    for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 12)
            return err_set(err, errlen, "too many words: " AT_USAGE);
        w[n++] = t;
    }
    if (n == 0 || (strcmp(w[0], "at") && strcmp(w[0], "ramp")))
        return 0;
    memset(m, 0, sizeof *m);
    m->state = MALF_PENDING;
    m->at_s = now_s;
    int k = 1;
    if (!strcmp(w[0], "at")) {
        if (n < 3)
            return err_set(err, errlen, "at needs a time and a fault: " AT_USAGE);
        char shown[INPUT_SHOW_SIZE], why[200], now[64];
        double x;
        input_show(shown, sizeof shown, w[1]);
        if (strchr(w[1], ':')) {
            x = clock_text(w[1]);
            hms(now_s, now, sizeof now);
            if (x < 0)
                return err_set(err, errlen, "at \"%s\": expected a process clock HH:MM or "
                               "HH:MM:SS (minutes and seconds below 60)", shown);
            if (x < floor(now_s))
                return err_set(err, errlen, "at %s: the process clock is already %s; give a "
                               "later time, or minutes from now", shown, now);
            m->at_s = x > now_s ? x : now_s;
        } else {
            if (input_number(w[1], &x, why, sizeof why) < 0 || !(x >= 0 && x <= MALF_MAX_MIN))
                return err_set(err, errlen, "at \"%s\": expected process minutes from now, 0 "
                               "to %g, or a process clock HH:MM[:SS]", shown, MALF_MAX_MIN);
            m->at_s = now_s + x * 60;
        }
        k = 2;
        if (strcmp(w[k], "ramp")) { /* a one-shot: FAULT [TARGET] [VALUE] as inject takes it */
            char rest[256] = "";
            size_t r = 0;
            for (int i = k; i < n && r < sizeof rest; i++)
                r += (size_t)snprintf(rest + r, sizeof rest - r, "%s%s", i > k ? " " : "", w[i]);
            if (scen_parse_inject(rest, m->fault, sizeof m->fault, m->target, sizeof m->target,
                                  &m->value, why, sizeof why) < 0)
                return err_set(err, errlen, "at %s: %s", shown, why);
            if (!strcmp(m->fault, "at") || !strcmp(m->fault, "ramp") ||
                !strcmp(m->fault, "clear") || try_fault(m->fault, m->target, m->value, why,
                                                        sizeof why) < 0)
                return err_set(err, errlen, "at %s: %s", shown,
                               !strcmp(m->fault, "at") || !strcmp(m->fault, "ramp")
                                   ? "expected a fault after the time (`ramp` follows it "
                                     "directly: at WHEN ramp ...)"
                               : !strcmp(m->fault, "clear")
                                   ? "clear is not a malfunction: cancel the entry, or clear "
                                     "now"
                                   : why);
            return 1;
        }
        k = 3;
    } else if (n < 2) {
        return err_set(err, errlen, "ramp needs a fault: " RAMP_USAGE);
    }
    if (parse_ramp(w + k, n - k, m, err, errlen) < 0)
        return -1;
    return 1;
}

int malf_pending(const struct malf_list *l)
{
    int n = 0;
    for (int i = 0; i < l->n; i++)
        n += l->m[i].state != MALF_DONE;
    return n;
}

static void drop(struct malf_list *l, int i)
{
    memmove(&l->m[i], &l->m[i + 1], sizeof l->m[0] * (size_t)(l->n - i - 1));
    l->n--;
}

int malf_add(struct malf_list *l, struct malf *m, char *err, size_t errlen)
{
    if (l->n == MALF_MAX) {
        int oldest = -1;
        for (int i = 0; i < l->n && oldest < 0; i++)
            if (l->m[i].state == MALF_DONE)
                oldest = i;
        if (oldest < 0)
            return err_set(err, errlen, "%d timed malfunctions are waiting or running: cancel "
                           "one first (`pending` lists them)", MALF_MAX);
        drop(l, oldest);
    }
    m->id = l->next_id++;
    l->m[l->n++] = *m;
    return 0;
}

int malf_cancel(struct malf_list *l, const char *arg, char *err, size_t errlen)
{
    char shown[INPUT_SHOW_SIZE];
    if (arg && !strcmp(arg, "all")) {
        int n = l->n;
        l->n = 0;
        return n;
    }
    double x;
    char why[200];
    input_show(shown, sizeof shown, arg);
    if (!arg || input_number(arg, &x, why, sizeof why) < 0 || x != floor(x) || x < 1)
        return err_set(err, errlen, "cancel \"%s\": expected the number of an entry (`pending` "
                       "lists them) or all", shown);
    for (int i = 0; i < l->n; i++)
        if (l->m[i].id == (int)x) {
            drop(l, i);
            return 1;
        }
    return err_set(err, errlen, "cancel %s: no timed malfunction #%s (`pending` lists them)",
                   shown, shown);
}

double malf_value_at(const struct malf *m, double t)
{
    if (m->dur_s <= 0)
        return m->value;
    double f = (t - m->at_s) / m->dur_s;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    return m->from + (m->to - m->from) * f;
}

static void say(const struct malf *m, double t, const char *what,
                void (*log)(void *ctx, const char *line), void *ctx)
{
    if (!log)
        return;
    char line[300], d[200];
    malf_describe(m, t, d, sizeof d);
    snprintf(line, sizeof line, "timed malfunction %s: %s", what, d);
    log(ctx, line);
}

int malf_step(struct malf *m, struct splc *plc, double t, double *silent_s,
              void (*log)(void *ctx, const char *line), void *ctx)
{
    char why[300];
    if (m->state == MALF_DONE || m->at_s > t + 1e-9)
        return 0;
    if (m->dur_s <= 0) { /* one-shot */
        m->state = MALF_DONE;
        if (!strcmp(m->fault, "silent")) {
            if (silent_s)
                *silent_s = m->value;
        } else if (splc_fault(plc, m->fault, m->target, m->value, why, sizeof why) < 0) {
            say(m, t, "refused", log, ctx); /* checked when added: not expected */
            return 1;
        }
        say(m, t, "fired", log, ctx);
        return 1;
    }
    int changed = 0;
    bool end = t >= m->at_s + m->dur_s - 1e-9;
    (void)splc_fault(plc, m->fault, m->target, end ? m->to : malf_value_at(m, t), why,
                     sizeof why);
    if (m->state == MALF_PENDING) {
        m->state = MALF_RUNNING;
        say(m, t, "ramp started", log, ctx);
        changed = 1;
    }
    if (end) {
        m->state = MALF_DONE;
        say(m, t, "ramp ended", log, ctx);
        changed = 1;
    }
    return changed;
}

int malf_run_due(struct malf_list *l, struct splc *plc, double t, double *silent_s,
                 void (*log)(void *ctx, const char *line), void *ctx)
{
    int changed = 0;
    for (int i = 0; i < l->n; i++)
        changed += malf_step(&l->m[i], plc, t, silent_s, log, ctx);
    return changed;
}

void malf_seek_one(struct malf *m, double t)
{
    if (m->at_s > t + 1e-9)
        m->state = MALF_PENDING;
    else if (m->dur_s > 0 && t < m->at_s + m->dur_s - 1e-9)
        m->state = MALF_RUNNING;
    else
        m->state = MALF_DONE;
}

void malf_seek(struct malf_list *l, double t)
{
    for (int i = 0; i < l->n; i++)
        malf_seek_one(&l->m[i], t);
}

void malf_describe(const struct malf *m, double now_s, char *buf, size_t n)
{
    static const char *const st[] = {"pending", "running", "done"};
    char at[64], when[48] = "", what[160];
    hms(m->at_s, at, sizeof at);
    if (m->state == MALF_PENDING)
        snprintf(when, sizeof when, " (in %.1f min)", (m->at_s - now_s) / 60);
    else if (m->state == MALF_RUNNING)
        snprintf(when, sizeof when, " (now %g)", malf_value_at(m, now_s));
    if (m->dur_s > 0)
        snprintf(what, sizeof what, "ramp %s%s%s %g -> %g over %g min", m->fault,
                 *m->target ? " " : "", m->target, m->from, m->to, m->dur_s / 60);
    else if (isnan(m->value))
        snprintf(what, sizeof what, "%s%s%s", m->fault, *m->target ? " " : "", m->target);
    else
        snprintf(what, sizeof what, "%s%s%s %g", m->fault, *m->target ? " " : "", m->target,
                 m->value);
    snprintf(buf, n, "#%d %s %s%s %s", m->id, st[m->state], at, when, what);
}
