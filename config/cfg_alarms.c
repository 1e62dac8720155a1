/* cfg_alarms — the alarm philosophy's rules, checked when a file loads, and
 * its figure (the share of each priority).
 *
 * The philosophy is written at the top of the alarms of config/meltcon.ini
 * and in control/README.md 'Alarms'.  The loader enforces what can be
 * enforced from the file alone:
 *   - a critical alarm latches, is never shelved (max_shelve_min, if given,
 *     is 0; the loader sets 0) and is never suppressed: no suppress_phases,
 *     named in no other alarm's `suppresses`;
 *   - a high alarm is shelved at most CFG_HIGH_SHELVE_MAX_MIN, by anyone;
 *   - `suppresses` names other alarms of this file;
 *   - the alarms of one first-out group share one group_window_s;
 *   - dev names a loop, diff and and a second tag (analog), and the keys of
 *     one kind are not given to another.
 */
#include "cfg_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Report an error at KEY of [alarm.NAME], quoting its value as written. */
__attribute__((format(printf, 4, 5))) static void aerr(struct cfg_ctx *x, const char *name,
                                                       const char *key, const char *fmt, ...)
{
    char sec[80], msg[300];
    snprintf(sec, sizeof sec, "alarm.%s", name);
    int si = cfg_scan_find_sec(&x->sc, sec);
    const char *val = si >= 0 ? cfg_key_value(x, si, key) : NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_err(x, si >= 0 ? cfg_key_line(x, si, key) : 0, sec, key, val, "%s", msg);
}

static int alarm_index(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nalarms; i++)
        if (!strcmp(c->alarms[i].name, name))
            return i;
    return -1;
}

/* Call fn for every name of a comma-separated list (blanks around names
 * ignored); a name too long is passed cut, and fails the lookup. */
static void each_name(const char *list, void (*fn)(void *, const char *), void *ctx)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        char name[CFG_NAME_MAX + 1];
        size_t n = 0;
        while (*p && *p != ',') {
            if (*p != ' ' && n < sizeof name - 1)
                name[n++] = *p;
            p++;
        }
        name[n] = '\0';
        fn(ctx, name);
    }
}

struct sup_ctx {
    struct cfg_ctx *x;
    const struct cfg_alarm *a;
};

static void check_consequence(void *vctx, const char *name)
{
    struct sup_ctx *s = vctx;
    const struct cfg *c = s->x->c;
    int j = alarm_index(c, name);
    if (j < 0) {
        const char *cands[CFG_MAX_ALARMS];
        for (int i = 0; i < c->nalarms; i++)
            cands[i] = c->alarms[i].name;
        char dym[100];
        cfg_suggest(dym, sizeof dym, name, cands, (size_t)c->nalarms);
        aerr(s->x, s->a->name, "suppresses", "no [alarm.%s] in this file%s", name, dym);
    } else if (!strcmp(name, s->a->name)) {
        aerr(s->x, s->a->name, "suppresses", "an alarm cannot be its own consequence");
    } else if (c->alarms[j].priority == PRIO_CRITICAL) {
        aerr(s->x, s->a->name, "suppresses",
             "[alarm.%s] is critical: a critical alarm is never suppressed", name);
    }
}

static bool analog(const struct cfg_tag *t) { return t && t->type != TAG_BOOL; }

/* The keys of dev, diff and and: present where they belong, absent elsewhere. */
static void check_kind_keys(struct cfg_ctx *x, const struct cfg_alarm *a)
{
    const struct cfg *c = x->c;
    bool dev = a->kind == ALARM_DEV, two = a->kind == ALARM_DIFF || a->kind == ALARM_AND;
    if (a->kind == ALARM_OVERRIDE) {
        if (!*a->loop)
            aerr(x, a->name, "loop", "an override alarm watches a loop's overrides: name the "
                 "loop (loop = sc)");
        else if (!cfg_loop_find(c, a->loop))
            aerr(x, a->name, "loop", "no [loop.%s] in this file", a->loop);
        if (a->limit <= 0)
            aerr(x, a->name, "limit", "the setpoint reduction that raises it must be above 0");
        if (a->when != 2)
            aerr(x, a->name, "when", "only diff and and alarms take when");
        return;
    }
    if (dev && !*a->loop)
        aerr(x, a->name, "loop", "a dev alarm compares its tag with a loop's setpoint: name the "
             "loop (loop = bath)");
    else if (dev && !cfg_loop_find(c, a->loop))
        aerr(x, a->name, "loop", "no [loop.%s] in this file", a->loop);
    else if (!dev && *a->loop)
        aerr(x, a->name, "loop", "only a dev alarm takes a loop");
    if (two && !*a->tag2)
        aerr(x, a->name, "tag2", "a %s alarm needs a second tag (tag2 = ...)",
             a->kind == ALARM_DIFF ? "diff" : "and");
    else if (!two && *a->tag2)
        aerr(x, a->name, "tag2", "only diff and and alarms take a second tag");
    if (two && *a->tag2) {
        const struct cfg_tag *t2 = cfg_tag_find(c, a->tag2);
        if (!t2)
            aerr(x, a->name, "tag2", "no [tag.%s] in this file", a->tag2);
        else if (!analog(t2))
            aerr(x, a->name, "tag2", "[tag.%s] is a bool; %s alarms compare analog values",
                 a->tag2, a->kind == ALARM_DIFF ? "diff" : "and");
        else if (a->kind == ALARM_DIFF && !strcmp(a->tag, a->tag2))
            aerr(x, a->name, "tag2", "a diff alarm compares two different tags");
    }
    if ((dev || two) && *a->tag && !analog(cfg_tag_find(c, a->tag)))
        aerr(x, a->name, "tag", "dev, diff and and alarms need an analog tag");
    if (a->kind == ALARM_AND && (a->when == 2 || a->when2 == 2))
        aerr(x, a->name, a->when == 2 ? "when" : "when2",
             "an and alarm needs each condition hi or lo (when = lo, when2 = hi)");
    else if (a->kind != ALARM_AND && a->kind != ALARM_DIFF && a->when != 2)
        aerr(x, a->name, "when", "only diff and and alarms take when");
    if ((dev || a->kind == ALARM_DIFF) && a->limit <= 0)
        aerr(x, a->name, "limit", "the largest difference must be above 0");
}

/* State-based limit: alt_limit and alt_phases come together, on a kind with a limit, and
 * every alt phase is one the alarm exists in. */
static void check_alt_limit(struct cfg_ctx *x, const struct cfg_alarm *a)
{
    bool limited = a->kind == ALARM_HI || a->kind == ALARM_LO || a->kind == ALARM_DEV ||
                   a->kind == ALARM_DIFF || a->kind == ALARM_AND || a->kind == ALARM_OVERRIDE;
    if (!a->has_alt_limit && !a->alt_phases)
        return;
    if (!limited)
        aerr(x, a->name, a->has_alt_limit ? "alt_limit" : "alt_phases",
             "only hi, lo, dev, diff, and and override alarms have a limit to vary by phase");
    else if (!a->has_alt_limit)
        aerr(x, a->name, "alt_phases", "alt_phases needs alt_limit: the limit in those phases");
    else if (!a->alt_phases)
        aerr(x, a->name, "alt_limit", "alt_limit needs alt_phases: the phases it is the limit in");
    else if (a->phases && (a->alt_phases & ~a->phases))
        aerr(x, a->name, "alt_phases", "every phase of alt_phases must be one of phases (the "
             "alarm does not exist in the others)");
    else if ((a->kind == ALARM_DEV || a->kind == ALARM_DIFF || a->kind == ALARM_OVERRIDE) &&
             a->alt_limit <= 0)
        aerr(x, a->name, "alt_limit", "the largest difference must be above 0");
}

void cfg_check_alarm_rules(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->nalarms; i++) {
        struct cfg_alarm *a = &c->alarms[i];
        check_kind_keys(x, a);
        check_alt_limit(x, a);
        if (a->priority == PRIO_CRITICAL) {
            if (!a->latching)
                aerr(x, a->name, "latching", "a critical alarm must latch (latching = yes): the "
                     "operator acknowledges it after it returned");
            if (a->has_max_shelve && a->max_shelve_min > 0)
                aerr(x, a->name, "max_shelve_min", "a critical alarm is never shelved: leave "
                     "max_shelve_min out (or 0), or lower its priority by the philosophy");
            a->max_shelve_min = 0;
            if (a->suppress_phases)
                aerr(x, a->name, "suppress_phases", "a critical alarm is never suppressed; use "
                     "phases = ... if its condition exists only in some phases");
        } else if (a->priority == PRIO_HIGH && a->max_shelve_min > CFG_HIGH_SHELVE_MAX_MIN) {
            aerr(x, a->name, "max_shelve_min", "a high alarm is shelved at most %.0f min (one "
                 "shift), by anyone", CFG_HIGH_SHELVE_MAX_MIN);
        }
        if (*a->suppresses) {
            struct sup_ctx s = {.x = x, .a = a};
            each_name(a->suppresses, check_consequence, &s);
        }
        if (*a->group)
            for (int j = 0; j < i; j++)
                if (!strcmp(c->alarms[j].group, a->group) &&
                    c->alarms[j].group_window_s != a->group_window_s) {
                    aerr(x, a->name, "group_window_s", "[alarm.%s] of group %s has %g s: one "
                         "group, one window", c->alarms[j].name, a->group,
                         c->alarms[j].group_window_s);
                    break;
                }
    }
}

void cfg_alarm_shares(const struct cfg *c, char *buf, size_t len)
{
    int n[PRIO_CRITICAL + 1] = {0};
    for (int i = 0; i < c->nalarms; i++)
        if ((unsigned)c->alarms[i].priority <= PRIO_CRITICAL)
            n[c->alarms[i].priority]++;
    int all = c->nalarms > 0 ? c->nalarms : 1;
    snprintf(buf, len,
             "alarms by priority: critical %d (%.0f %%), high %d (%.0f %%), medium %d (%.0f %%), "
             "low %d (%.0f %%)",
             n[PRIO_CRITICAL], 100.0 * n[PRIO_CRITICAL] / all, n[PRIO_HIGH],
             100.0 * n[PRIO_HIGH] / all, n[PRIO_MEDIUM], 100.0 * n[PRIO_MEDIUM] / all,
             n[PRIO_LOW], 100.0 * n[PRIO_LOW] / all);
}
