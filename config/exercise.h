/* exercise — what a trainee is expected to do, and must not do, in a scenario.
 *
 * A scenario file (simhw/scenarios/NAME.ini, see simhw/sim_scenario.h) may hold any number
 * of [expect.NAME] sections besides [scenario] and [event.NAME]:
 *
 *   [expect.ack_flame]
 *   type     = expected          ; expected (default) or forbidden
 *   action   = ack flame_failure ; KIND WHAT as the journal writes it: ack ALARM,
 *                                ; cmd COMMAND, phase PHASE, set LOOP.sp, shelve ALARM,
 *                                ; confirm chemistry, wet ...; WHAT * is any
 *   after    = alarm flame_failure ; when the window opens: start (default), alarm NAME
 *                                ; (raised), clear NAME (returned to normal), phase NAME
 *                                ; (entered), event NAME (this file's [event.NAME]),
 *                                ; tapped T (T tonnes tapped since TAP was entered: the
 *                                ; fall of metal_mass from its highest in the phase)
 *   within_s = 60                ; expected: done this long after it opened (process s;
 *                                ; 0: any time after)
 *   while    = alarm co_high     ; forbidden: only while this alarm is active (UNACK or
 *                                ; ACKED); empty: never, after `after`
 *   until    = event cleaned     ; the window closes here (same forms as after, not
 *                                ; start); empty: never closes.  Forbidden: allowed again
 *                                ; after it; expected: done after it is not done at all
 *                                ; ("close the tap before 16 t are out": tapped 16)
 *   text     = "Acknowledge the flame failure within a minute"
 *   points   = 20                ; weight in the score (default 10)
 *
 * The file is read with the config's schema machinery (config/cfg_table.c): every value
 * as written, unknown sections and keys refused with "did you mean", every error naming
 * FILE:LINE, [SECTION], KEY, the value and what was expected.  The forms of action, after
 * and while are checked too, and an `event NAME` must name an [event.NAME] of the file.
 */
#ifndef MELTCON_EXERCISE_H
#define MELTCON_EXERCISE_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

#define EXERCISE_MAX 32
#define EXERCISE_TEXT 200
#define EXERCISE_WORD 64

enum exercise_type { EX_EXPECTED, EX_FORBIDDEN };
enum exercise_when { EXW_START, EXW_ALARM, EXW_CLEAR, EXW_PHASE, EXW_EVENT, EXW_TAPPED };

struct exercise_expect {
    char name[CFG_NAME_MAX]; /* first: the schema machinery writes the item's name here */
    int type;                /* enum exercise_type */
    char action[EXERCISE_WORD];
    char after[EXERCISE_WORD];
    double within_s;
    char while_[EXERCISE_WORD];
    char until[EXERCISE_WORD];
    char text[EXERCISE_TEXT];
    int points;
    /* the forms, split */
    char kind[16], what[48];      /* action */
    int when;                     /* enum exercise_when */
    char when_what[48];           /* its NAME (tapped: T as written) */
    double when_t;                /* tapped: T, tonnes */
    char while_alarm[48];         /* "" none */
    int until_when;               /* enum exercise_when; EXW_START: no end */
    char until_what[48];
    double until_t;               /* tapped: T, tonnes */
};

/* The other sections of a scenario file, read to be checked (meltsim runs them). */
struct exercise_scen {
    char title[400], situation[400], notice[400], action[400];
    bool cold;
};
struct exercise_event {
    char name[CFG_NAME_MAX];
    double at_min;
    char inject[160];
    double organics, moisture;
};

struct exercise {
    struct exercise_scen scen;
    int nevents;
    struct exercise_event ev[64];
    int n;
    struct exercise_expect ex[EXERCISE_MAX];
};

/* Read a scenario's text (called `name` in messages) into *out.  0, or -1 with every
 * mistake in *errs and *out unchanged. */
int exercise_load_text(const char *name, const char *text, size_t len, struct exercise *out,
                       struct cfg_errors *errs);

/* The same from a file (at most 64 KiB).  -1 with the reason in *errs when it cannot be
 * read; *out unchanged. */
int exercise_load(const char *file, struct exercise *out, struct cfg_errors *errs);

#endif
