/* sim_scenario — timed teaching events (see sim_scenario.h). */
#include "sim_scenario.h"

#include <ctype.h>
#include <errno.h>
#include <iniparser/iniparser.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exercise.h"
#include "ini_value.h"

static int ini_quiet(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

static int num(const char *s, double *v)
{
    char *end;
    errno = 0;
    while (isspace((unsigned char)*s))
        s++;
    double d = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (!*s || *end || errno || !isfinite(d))
        return -1;
    *v = d;
    return 0;
}

int scen_parse_inject(const char *text, char *fault, size_t nf, char *target, size_t nt,
                      double *value, char *err, size_t errlen)
{
    char buf[160], *save = NULL;
    snprintf(buf, sizeof buf, "%s", text);
    char *w[4] = {0};
    int n = 0;
    for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 3) {
            snprintf(err, errlen, "\"%s\": expected FAULT [TARGET] [VALUE]", text);
            return -1;
        }
        w[n++] = t;
    }
    if (n == 0) {
        snprintf(err, errlen, "empty: expected FAULT [TARGET] [VALUE]");
        return -1;
    }
    snprintf(fault, nf, "%s", w[0]);
    target[0] = 0;
    *value = NAN;
    for (int i = 1; i < n; i++) {
        double v;
        if (num(w[i], &v) == 0)
            *value = v;
        else if (!target[0])
            snprintf(target, nt, "%s", w[i]);
        else {
            snprintf(err, errlen, "\"%s\": %s is not a number", text, w[i]);
            return -1;
        }
    }
    return 0;
}

static int by_time(const void *a, const void *b)
{
    double x = ((const struct scen_event *)a)->at_s, y = ((const struct scen_event *)b)->at_s;
    return (x > y) - (x < y);
}

static const char *const scen_keys[] = {"title", "situation", "notice", "action", "cold", NULL};
static const char *const event_keys[] = {"at_min", "inject", "organics", "moisture", NULL};

static bool known(const char *k, const char *const *keys)
{
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i]))
            return true;
    return false;
}

/* Every value of FILE read by iniparser as written (config/ini_value.h): a
 * value cut at ';' or '#' is refused with the line and the fix. */
static int check_values(const char *file, char *err, size_t errlen)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return 0; /* iniparser_load says it cannot read the file */
    enum { MAX = 1 << 16 };
    char *text = malloc(MAX);
    size_t len = text ? fread(text, 1, MAX, f) : 0;
    bool more = len == MAX && fgetc(f) != EOF;
    fclose(f);
    int rc = -1;
    if (!text)
        snprintf(err, errlen, "%s: out of memory", file);
    else if (more)
        snprintf(err, errlen, "%s: larger than %d bytes: not a scenario", file, MAX);
    else
        rc = ini_value_check_text(file, text, len, err, errlen);
    free(text);
    return rc;
}

int scen_load(const char *file, struct scenario *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", file);
    if (check_values(file, err, errlen) < 0)
        return -1;
    iniparser_set_error_callback(ini_quiet);
    dictionary *d = iniparser_load(file);
    iniparser_set_error_callback(NULL);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read, or not INI (expected [scenario] and "
                 "[event.NAME] sections)", file);
        return -1;
    }
    int rc = -1;
    static struct splc scratch;
    struct splc_params p;
    struct phys_params pp;
    splc_params_default(&p);
    phys_params_default(&pp);
    splc_init(&scratch, &p, &pp, false);
    int nsec = iniparser_getnsec(d);
    bool have_scen = false;
    for (int i = 0; i < nsec; i++) {
        const char *sec = iniparser_getsecname(d, i);
        int nk = iniparser_getsecnkeys(d, sec);
        const char *keys[32];
        if (nk > 32) {
            snprintf(err, errlen, "%s: [%s]: too many keys", file, sec);
            goto out;
        }
        iniparser_getseckeys(d, sec, keys);
        bool is_scen = !strcmp(sec, "scenario");
        bool is_ev = !strncmp(sec, "event.", 6) && sec[6];
        if (!strncmp(sec, "expect.", 7) && sec[7]) /* config/exercise.c reads these */
            continue;
        if (!is_scen && !is_ev) {
            snprintf(err, errlen,
                     "%s: [%s]: unknown section; expected [scenario], [event.NAME] or "
                     "[expect.NAME]",
                     file, sec);
            goto out;
        }
        for (int k = 0; k < nk; k++) {
            const char *key = strchr(keys[k], ':') + 1;
            if (!known(key, is_scen ? scen_keys : event_keys)) {
                snprintf(err, errlen, "%s: [%s] %s: unknown key; expected one of %s", file, sec,
                         key, is_scen ? "title, situation, notice, action, cold"
                                      : "at_min, inject, organics, moisture");
                goto out;
            }
        }
        char full[128];
        if (is_scen) {
            have_scen = true;
            const char *const *k;
            char *dst[] = {s->title, s->situation, s->notice, s->action};
            int j = 0;
            for (k = scen_keys; j < 4; k++, j++) {
                snprintf(full, sizeof full, "scenario:%s", *k);
                const char *text = iniparser_getstring(d, full, "");
                if (strlen(text) >= SCEN_TEXT) {
                    snprintf(err, errlen, "%s: [scenario] %s: %zu characters, at most %d", file,
                             *k, strlen(text), SCEN_TEXT - 1);
                    goto out;
                }
                snprintf(dst[j], SCEN_TEXT, "%s", text);
            }
            const char *cold = iniparser_getstring(d, "scenario:cold", "no");
            if (strcasecmp(cold, "yes") && strcasecmp(cold, "no")) {
                snprintf(err, errlen, "%s: [scenario] cold = \"%s\": expected yes or no", file,
                         cold);
                goto out;
            }
            s->cold = !strcasecmp(cold, "yes");
            continue;
        }
        if (s->nevents == SCEN_MAX_EVENTS) {
            snprintf(err, errlen, "%s: more than %d events", file, SCEN_MAX_EVENTS);
            goto out;
        }
        struct scen_event *e = &s->ev[s->nevents++];
        snprintf(e->name, sizeof e->name, "%s", sec + 6);
        e->value = NAN;
        double v;
        snprintf(full, sizeof full, "%s:at_min", sec);
        const char *at = iniparser_getstring(d, full, NULL);
        if (!at || num(at, &v) < 0 || v < 0 || v > 100000) {
            snprintf(err, errlen, "%s: [%s] at_min = \"%s\": expected minutes from 0 to 100000",
                     file, sec, at ? at : "(missing)");
            goto out;
        }
        e->at_s = v * 60;
        snprintf(full, sizeof full, "%s:inject", sec);
        const char *inj = iniparser_getstring(d, full, NULL);
        if (inj) {
            char why[300];
            int bad = 0;
            if (!strncmp(inj, "ramp", 4) && (inj[4] == ' ' || inj[4] == '\t' || !inj[4])) {
                bad = malf_parse(inj, e->at_s, &e->ramp, why, sizeof why) == 1 ? 0 : -1;
                e->has_ramp = !bad;
                char rf[sizeof e->ramp.fault], rt[sizeof e->ramp.target];
                memcpy(rf, e->ramp.fault, sizeof rf);
                memcpy(rt, e->ramp.target, sizeof rt);
                snprintf(e->fault, sizeof e->fault, "ramp %.26s", rf);
                snprintf(e->target, sizeof e->target, "%s", rt);
            } else {
                bad = scen_parse_inject(inj, e->fault, sizeof e->fault, e->target,
                                        sizeof e->target, &e->value, why, sizeof why);
            }
            if (e->has_ramp) {
                /* checked whole by malf_parse */
            } else if (!bad && !strcmp(e->fault, "silent")) {
                if (!(e->value >= 1 && e->value <= 3600)) {
                    snprintf(why, sizeof why, "silent SECONDS: expected 1 to 3600");
                    bad = -1;
                }
                e->silent_s = e->value;
            } else if (!bad) {
                bad = splc_fault(&scratch, e->fault, e->target, e->value, why, sizeof why);
            }
            if (bad) {
                snprintf(err, errlen, "%s: [%s] inject = \"%s\": %s", file, sec, inj, why);
                goto out;
            }
            e->has_fault = true;
        }
        const char *org, *moi;
        snprintf(full, sizeof full, "%s:organics", sec);
        org = iniparser_getstring(d, full, NULL);
        snprintf(full, sizeof full, "%s:moisture", sec);
        moi = iniparser_getstring(d, full, NULL);
        if (org || moi) {
            e->has_charge = true;
            if ((org && (num(org, &e->organics) < 0 || e->organics < 0 || e->organics > 0.3)) ||
                (moi && (num(moi, &e->moisture) < 0 || e->moisture < 0 || e->moisture > 0.3))) {
                snprintf(err, errlen, "%s: [%s] organics/moisture: expected shares from 0 to 0.3",
                         file, sec);
                goto out;
            }
        }
        if (!e->has_fault && !e->has_charge) {
            snprintf(err, errlen, "%s: [%s]: an event needs inject or organics/moisture", file,
                     sec);
            goto out;
        }
    }
    if (!have_scen) {
        snprintf(err, errlen, "%s: missing [scenario] with title, situation, notice, action",
                 file);
        goto out;
    }
    /* the exercise's expectations, checked whole too: the first mistake stops meltsim */
    static struct exercise ex;
    static struct cfg_errors ex_errs;
    if (exercise_load(file, &ex, &ex_errs) < 0) {
        snprintf(err, errlen, "%s", ex_errs.n ? ex_errs.e[0].text : "bad [expect.NAME]");
        goto out;
    }
    qsort(s->ev, (size_t)s->nevents, sizeof s->ev[0], by_time);
    rc = 0;
out:
    iniparser_freedict(d);
    return rc;
}

int scen_run_due(struct scenario *s, struct splc *plc, double t, double *silent_s,
                 void (*log)(void *ctx, const char *line), void *ctx)
{
    int n = 0;
    for (int i = 0; i < s->nevents; i++) {
        struct scen_event *e = &s->ev[i];
        if (e->done || e->at_s > t)
            continue;
        if (e->has_ramp) { /* every scan until its end, as the instructor's ramps */
            bool starting = e->ramp.state == MALF_PENDING;
            malf_step(&e->ramp, plc, t, NULL, NULL, NULL);
            e->done = e->ramp.state == MALF_DONE;
            if (!starting && !e->done)
                continue;
            char line[300];
            snprintf(line, sizeof line, "scenario %.0f min: %s: %s %s%s%s", t / 60, e->name,
                     e->fault, e->target, *e->target ? " " : "",
                     e->done ? "ended" : "started");
            if (log)
                log(ctx, line);
            n++;
            continue;
        }
        e->done = true;
        char line[300], why[200] = "";
        int rc = 0;
        if (e->silent_s > 0) {
            if (silent_s)
                *silent_s = e->silent_s;
        } else if (e->has_fault) {
            rc = splc_fault(plc, e->fault, e->target, e->value, why, sizeof why);
        }
        if (e->has_charge)
            rc |= splc_set_charge(plc, e->organics, e->moisture, plc->charge_temp_c,
                                  plc->charge_hv_mj_kg);
        snprintf(line, sizeof line, "scenario %.0f min: %s: %s%s%s%s", t / 60, e->name,
                 e->has_fault ? e->fault : "charge properties", e->target[0] ? " " : "", e->target,
                 rc ? " (refused)" : "");
        if (log)
            log(ctx, line);
        n++;
    }
    return n;
}
