/* exercise — a scenario's expectations, read with the schema machinery (see exercise.h). */
#include "exercise.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "input.h"
#include "util.h"

static const char *const type_names[] = {"expected", "forbidden", NULL};

#define SK(k, t, mn, mx, d, u, h, field, ...)                                                   \
    {.key = k, .type = t, .min = mn, .max = mx, .def = d, .unit = u, .help = h,               \
     .off = offsetof(STRUCT, field), .has = -1, __VA_ARGS__}
#define END {.key = NULL}

#define STRUCT struct exercise_scen
static const struct cfg_key scen_keys[] = {
    SK("title", KT_STRING, 0, 0, NULL, "", "the scenario's title", title,
       .size = sizeof(((STRUCT *)0)->title)),
    SK("situation", KT_STRING, 0, 0, "", "", "what the furnace is doing", situation,
       .size = sizeof(((STRUCT *)0)->situation)),
    SK("notice", KT_STRING, 0, 0, "", "", "what the trainee should notice", notice,
       .size = sizeof(((STRUCT *)0)->notice)),
    SK("action", KT_STRING, 0, 0, "", "", "what the trainee should do", action,
       .size = sizeof(((STRUCT *)0)->action)),
    SK("cold", KT_BOOL, 0, 0, "no", "", "start cold", cold),
    END,
};
#undef STRUCT
#define STRUCT struct exercise_event
static const struct cfg_key event_keys[] = {
    SK("at_min", KT_DOUBLE, 0, 100000, NULL, "min", "process minutes after the start", at_min),
    SK("inject", KT_STRING, 0, 0, "", "", "FAULT [TARGET] [VALUE], as meltsim inject", inject,
       .size = sizeof(((STRUCT *)0)->inject)),
    SK("organics", KT_DOUBLE, 0, 1, "", "", "the next charges' organics share", organics),
    SK("moisture", KT_DOUBLE, 0, 1, "", "", "the next charges' moisture share", moisture),
    END,
};
#undef STRUCT
#define STRUCT struct exercise_expect
static const struct cfg_key expect_keys[] = {
    SK("type", KT_ENUM, 0, 0, "expected", "", "expected or forbidden", type,
       .names = type_names),
    SK("action", KT_STRING, 0, 0, NULL, "",
       "KIND WHAT as journalled: ack ALARM, cmd COMMAND, phase PHASE, set LOOP.sp, shelve "
       "ALARM, confirm chemistry",
       action, .size = sizeof(((STRUCT *)0)->action)),
    SK("after", KT_STRING, 0, 0, "start", "",
       "start, alarm NAME, clear NAME, phase NAME or event NAME", after,
       .size = sizeof(((STRUCT *)0)->after)),
    SK("within_s", KT_DOUBLE, 0, 86400, "0", "s", "expected: done within this (0: any time)",
       within_s),
    SK("while", KT_STRING, 0, 0, "", "", "forbidden: only while alarm NAME is active", while_,
       .size = sizeof(((STRUCT *)0)->while_)),
    SK("until", KT_STRING, 0, 0, "", "",
       "forbidden: the window closes at alarm NAME, clear NAME, phase NAME or event NAME", until,
       .size = sizeof(((STRUCT *)0)->until)),
    SK("text", KT_STRING, 0, 0, NULL, "", "what the trainee should (not) do, for the debrief",
       text, .size = sizeof(((STRUCT *)0)->text)),
    SK("points", KT_INT, 0, 100, "10", "", "weight in the score", points),
    END,
};
#undef STRUCT

static const struct cfg_section exercise_sections[] = {
    {.name = "scenario", .help = "the scenario", .keys = scen_keys,
     .off = offsetof(struct exercise, scen)},
    {.name = "event", .multi = true, .help = "a timed event", .keys = event_keys,
     .off = offsetof(struct exercise, ev), .item_size = sizeof(struct exercise_event),
     .count_off = offsetof(struct exercise, nevents), .max_items = 64, .example = "event.lost"},
    {.name = "expect", .multi = true, .help = "an expected or forbidden action",
     .keys = expect_keys, .off = offsetof(struct exercise, ex),
     .item_size = sizeof(struct exercise_expect), .count_off = offsetof(struct exercise, n),
     .max_items = EXERCISE_MAX, .example = "expect.ack_flame"},
};

static const char *const action_kinds[] = {"ack",     "cmd", "phase", "set", "shelve",
                                           "confirm", "wet", NULL};
static const char *const when_names[] = {"start", "alarm", "clear", "phase",
                                          "event", "tapped", NULL};

/* "WORD REST" -> the two, false when not exactly two words (one for `start`). */
static int split2(const char *s, char *a, size_t na, char *b, size_t nb)
{
    char buf[EXERCISE_WORD];
    str_copy(buf, sizeof buf, s);
    char *save = NULL, *w1 = strtok_r(buf, " \t", &save), *w2 = strtok_r(NULL, " \t", &save);
    if (!w1 || strtok_r(NULL, " \t", &save))
        return -1;
    str_copy(a, na, w1);
    str_copy(b, nb, w2 ? w2 : "");
    return w2 ? 2 : 1;
}

static bool has_event(const struct exercise *e, const char *name)
{
    for (int i = 0; i < e->nevents; i++)
        if (!strcmp(e->ev[i].name, name))
            return true;
    return false;
}

/* KEY = "start | alarm NAME | clear NAME | phase NAME | event NAME | tapped T" into *when
 * and its NAME (tapped: T also in *tonnes), or an error (start only where may_start). */
static void when_form(struct cfg_ctx *x, const struct exercise *e, int s, const char *sec,
                      const char *key, const char *v, bool may_start, int *when, char *what,
                      size_t nwhat, double *tonnes)
{
    char w1[EXERCISE_WORD], w2[EXERCISE_WORD];
    int n = split2(v, w1, sizeof w1, w2, sizeof w2);
    int wi = n > 0 ? cfg_enum_index(w1, when_names) : -1;
    double t = 0;
    char why[160];
    if (wi < 0 || (wi == EXW_START) != (n == 1) || (wi == EXW_START && !may_start))
        cfg_err(x, cfg_key_line(x, s, key), sec, key, v, "expected %salarm NAME, clear NAME, "
                "phase NAME, event NAME or tapped T", may_start ? "start, " : "");
    else if (wi == EXW_TAPPED && (input_number(w2, &t, why, sizeof why) < 0 || !(t > 0) || t > 500))
        cfg_err(x, cfg_key_line(x, s, key), sec, key, v,
                "expected tapped T, T the tonnes tapped since TAP was entered, more than 0 and "
                "at most 500 (e.g. tapped 16)");
    else if (wi == EXW_PHASE && cfg_phase_from_name(w2) < 0)
        cfg_err(x, cfg_key_line(x, s, key), sec, key, v,
                "no such phase; phases are HOLD, CHARGE, PYROLYSIS, PUSH, MELT, ALLOY, SKIM, TAP");
    else if (wi == EXW_EVENT && !has_event(e, w2))
        cfg_err(x, cfg_key_line(x, s, key), sec, key, v, "no [event.%s] in this file", w2);
    else {
        *when = wi;
        str_copy(what, nwhat, w2);
        *tonnes = t;
    }
}

/* The forms of action, after, until and while, and the keys that go together. */
static void check(struct cfg_ctx *x)
{
    struct exercise *e = (struct exercise *)x->base;
    for (int i = 0; i < e->n; i++) {
        struct exercise_expect *q = &e->ex[i];
        char sec[80];
        snprintf(sec, sizeof sec, "expect.%s", q->name);
        int s = cfg_scan_find_sec(&x->sc, sec);
        char w1[EXERCISE_WORD], w2[EXERCISE_WORD];
        if (split2(q->action, w1, sizeof w1, w2, sizeof w2) != 2 ||
            cfg_enum_index(w1, action_kinds) < 0)
            cfg_err(x, cfg_key_line(x, s, "action"), sec, "action", q->action,
                    "expected KIND WHAT, KIND one of ack, cmd, phase, set, shelve, confirm, "
                    "wet, WHAT a name or * for any (e.g. ack flame_failure, cmd lockout_reset)");
        else {
            str_copy(q->kind, sizeof q->kind, w1);
            str_copy(q->what, sizeof q->what, w2);
        }
        when_form(x, e, s, sec, "after", q->after, true, &q->when, q->when_what,
                  sizeof q->when_what, &q->when_t);
        q->until_when = EXW_START;
        if (*q->until)
            when_form(x, e, s, sec, "until", q->until, false, &q->until_when, q->until_what,
                      sizeof q->until_what, &q->until_t);
        if (*q->while_) {
            if (split2(q->while_, w1, sizeof w1, w2, sizeof w2) != 2 || strcmp(w1, "alarm"))
                cfg_err(x, cfg_key_line(x, s, "while"), sec, "while", q->while_,
                        "expected alarm NAME (forbidden while that alarm is active)");
            else
                str_copy(q->while_alarm, sizeof q->while_alarm, w2);
        }
        if (q->type == EX_EXPECTED && *q->while_)
            cfg_err(x, cfg_key_line(x, s, "while"), sec, "while", q->while_,
                    "only a forbidden action has a `while`; an expected one has after and "
                    "within_s");
        if (q->type == EX_FORBIDDEN && q->within_s > 0)
            cfg_err(x, cfg_key_line(x, s, "within_s"), sec, "within_s", NULL,
                    "a forbidden action has no time window; use `while` to limit it");
    }
}

int exercise_load_text(const char *name, const char *text, size_t len, struct exercise *out,
                       struct cfg_errors *errs)
{
    struct exercise *x = calloc(1, sizeof *x);
    if (!x) {
        memset(errs, 0, sizeof *errs);
        errs->n = 1;
        snprintf(errs->e[0].text, sizeof errs->e[0].text, "%s: out of memory", name);
        return -1;
    }
    int rc = cfg_table_load_text(name, text, len, exercise_sections,
                                 sizeof exercise_sections / sizeof exercise_sections[0], x, check,
                                 errs);
    if (rc == 0)
        *out = *x;
    free(x);
    return rc;
}

int exercise_load(const char *file, struct exercise *out, struct cfg_errors *errs)
{
    enum { MAX = 1 << 16 };
    FILE *f = fopen(file, "rb");
    char *text = f ? malloc(MAX) : NULL;
    size_t len = text ? fread(text, 1, MAX, f) : 0;
    bool more = text && len == MAX && fgetc(f) != EOF;
    int e = errno;
    if (f)
        fclose(f);
    if (!text || more) {
        memset(errs, 0, sizeof *errs);
        errs->n = 1;
        snprintf(errs->e[0].text, sizeof errs->e[0].text, "%s: %s", file,
                 !f     ? strerror(e)
                 : more ? "larger than 64 KiB: not a scenario"
                        : "out of memory");
        free(text);
        return -1;
    }
    int rc = exercise_load_text(file, text, len, out, errs);
    free(text);
    return rc;
}
