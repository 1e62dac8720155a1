/* core_cas — compare-and-set: a change is made only on the value the
 * operator saw (see core.h, core_current and core_req.expect).
 *
 * Every changing verb has a *base*: the value it changes, or the state it
 * was decided on.
 *
 *   set LOOP.sp / LOOP.out        the setpoint / manual output now (a number)
 *   set LOOP.mode                 the mode now (MAN, AUTO, CAS)
 *   tune LOOP.kp|ti_s|td_s        the parameter now (a number)
 *   cmd pump_speed                the pump speed now (a number)
 *   cmd NAME, phase, confirm      the phase now (HOLD ... TAP): a command
 *                                 is chosen for the phase it was offered in
 *   wet                           the wet flag now (yes, no)
 *   ack, shelve, unshelve, oos    the alarm's state now (UNACK, SHELVED, ...);
 *                                 `ack all` has none
 *
 * A request with an expect= is carried out only while its base is still
 * that value (numbers compared as numbers, words without case); otherwise
 * it is refused with a sentence that names the base, its value now and,
 * when this core made that change, who made it and when ("bath.sp was
 * changed to 725 by root at 10:42 while you were typing; nothing was
 * sent").  The time of day is the shell's (core_req.when): the core reads
 * no clock.  A request without expect= is judged as before (scripts and
 * the closed-loop harness); the console and the CLI always send one.
 */
#include "core.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core_int.h"
#include "input.h"
#include "numtext.h"
#include "util.h"

static const struct {
    const char *name;
    size_t off;
} tune_params[] = {
    {"kp", offsetof(struct pid_params, kp)},
    {"ti_s", offsetof(struct pid_params, ti_s)},
    {"td_s", offsetof(struct pid_params, td_s)},
};

/* The loop of "LOOP.field" (field set to what follows the dot), or -1. */
static int loop_field(const struct core *k, const char *target, const char **field)
{
    const char *dot = strchr(target, '.');
    char name[CFG_NAME_MAX];
    if (!dot || (size_t)(dot - target) >= sizeof name)
        return -1;
    snprintf(name, sizeof name, "%.*s", (int)(dot - target), target);
    *field = dot + 1;
    return loops_find(&k->loops, name);
}

int core_current(const struct core *k, const char *verb, const char *target, char *key,
                 size_t keylen, char *val, size_t vallen)
{
    const char *field = "";
    if (!strcmp(verb, "set") || !strcmp(verb, "tune")) {
        int li = loop_field(k, target, &field);
        if (li < 0)
            return -1;
        const struct pid *p = &k->loops.loop[li].pid;
        if (verb[0] == 's' && !strcmp(field, "sp"))
            (void)numtext(val, vallen, p->sp);
        else if (verb[0] == 's' && !strcmp(field, "out"))
            (void)numtext(val, vallen, p->out);
        else if (verb[0] == 's' && !strcmp(field, "mode"))
            str_copy(val, vallen, cfg_loop_mode_name(p->mode));
        else if (verb[0] == 't') {
            size_t i = 0;
            while (i < sizeof tune_params / sizeof tune_params[0] &&
                   strcmp(field, tune_params[i].name))
                i++;
            if (i == sizeof tune_params / sizeof tune_params[0])
                return -1;
            (void)numtext(val, vallen,
                          *(const double *)((const char *)&p->prm + tune_params[i].off));
        } else
            return -1;
        str_copy(key, keylen, target);
        return 0;
    }
    if (!strcmp(verb, "cmd") && !strcmp(target, "pump_speed")) {
        str_copy(key, keylen, "pump_speed");
        (void)numtext(val, vallen, k->pump_pct);
        return 0;
    }
    if (!strcmp(verb, "cmd") || !strcmp(verb, "phase") || !strcmp(verb, "confirm")) {
        str_copy(key, keylen, "phase");
        str_copy(val, vallen, cfg_phase_name(k->seq.phase));
        return 0;
    }
    if (!strcmp(verb, "wet")) {
        str_copy(key, keylen, "wet");
        str_copy(val, vallen, k->seq.wet ? "yes" : "no");
        return 0;
    }
    if (!strcmp(verb, "ack") || !strcmp(verb, "shelve") || !strcmp(verb, "unshelve") ||
        !strcmp(verb, "oos")) {
        const struct alarm *a = alarm_get(&k->alarms, target);
        if (!a)
            return -1;
        str_copy(key, keylen, target);
        str_copy(val, vallen, alarm_state_name(a->state));
        return 0;
    }
    return -1;
}

/* Whether the text the operator saw is the value now: numbers as numbers
 * ("700" is 700.0), words without case. */
static bool same(const char *seen, const char *now)
{
    double a, b;
    char why[120];
    if (input_number(seen, &a, why, sizeof why) == 0 && input_number(now, &b, why, sizeof why) == 0)
        return a == b;
    return strcasecmp(seen, now) == 0;
}

static const struct core_change *change_find(const struct core *k, const char *key)
{
    for (int i = 0; i < k->nchanges; i++)
        if (!strcmp(k->changes[i].key, key))
            return &k->changes[i];
    return NULL;
}

void core_note_change(struct core *k, const char *key, const char *value, const char *by,
                      const char *when)
{
    struct core_change *c = (struct core_change *)change_find(k, key);
    if (!c) {
        if (k->nchanges == CORE_CHANGES) { /* the oldest entry makes room */
            memmove(&k->changes[0], &k->changes[1], sizeof k->changes[0] * (CORE_CHANGES - 1));
            k->nchanges--;
        }
        c = &k->changes[k->nchanges++];
    }
    str_copy(c->key, sizeof c->key, key);
    str_copy(c->value, sizeof c->value, value);
    str_copy(c->by, sizeof c->by, by);
    str_copy(c->when, sizeof c->when, when ? when : "");
}

void core_note_request(struct core *k, const struct core_req *r)
{
    char key[64], val[48];
    if (core_current(k, r->verb, r->target, key, sizeof key, val, sizeof val) == 0)
        core_note_change(k, key, val, r->user, r->when);
}

int core_cas_check(const struct core *k, const struct core_req *r, char *why, size_t n)
{
    char key[64], val[48], seen[INPUT_SHOW_SIZE];
    if (!r->expect[0] || core_current(k, r->verb, r->target, key, sizeof key, val, sizeof val) < 0)
        return 0;
    if (same(r->expect, val))
        return 0;
    input_show(seen, sizeof seen, r->expect);
    const struct core_change *c = change_find(k, key);
    if (c && same(c->value, val))
        snprintf(why, n, "%s was changed to %s by %s%s%s while you were typing; nothing was sent "
                 "(you saw %s)", key, val, c->by, c->when[0] ? " at " : "", c->when, seen);
    else
        snprintf(why, n, "%s is %s now, not %s as you saw; nothing was sent", key, val, seen);
    return -1;
}
