/* sim_malf — the instructor's malfunctions "at a time" and "ramped": a list of timed
 * injections that follow process time (simhw/README.md, 'Timed and ramped malfunctions').
 *
 *   at MIN FAULT [TARGET] [VALUE]              MIN process minutes from now (0 to 100000)
 *   at HH:MM[:SS] FAULT [TARGET] [VALUE]       at that process clock (not before now)
 *   ramp FAULT [TARGET] FROM TO MINUTES        the fault's VALUE from FROM to TO over
 *                                              MINUTES of process time, starting now
 *   at WHEN ramp FAULT [TARGET] FROM TO MINUTES   the same ramp, starting at WHEN
 *   pending                                    the list
 *   cancel N | cancel all                      drop one entry (by its number), or all
 *
 * A one-shot entry is the injection `meltsim inject FAULT [TARGET] [VALUE]` makes, made
 * by splc_fault() when the process clock reaches at_s ("silent SECONDS" too: the caller
 * mutes its server).  A ramp is that same injection repeated every scan with
 *
 *   VALUE(t) = FROM + (TO - FROM) * (t - at_s) / dur_s,   at_s <= t <= at_s + dur_s
 *
 * and TO once more at its end, so a ramp is nothing but a sequence of injections: only
 * the faults with a VALUE (tc_drift, wet_charge, heavy_organics) can be ramped, and FROM
 * and TO are checked against the fault's range like any injected value.
 *
 * Everything is in process time: a frozen simulator runs no scans, so nothing fires or
 * moves; at a higher speed the same process minutes pass sooner.  After a restore or a
 * backtrack to clock t (malf_seek) each entry's state follows from t alone, the rule the
 * scenario's events follow: an entry starting after t is pending again (one that had
 * already fired will fire again: the trainee gets the same lesson), a ramp that spans t
 * is running, the rest are done.  Done entries stay listed for that reason, until the
 * list is full (the oldest done one makes room) or they are cancelled.
 *
 * Pure: no I/O, no clock; the simulator's loop calls malf_run_due() before each scan.
 */
#ifndef MELTCON_SIM_MALF_H
#define MELTCON_SIM_MALF_H

#include <stdbool.h>
#include <stddef.h>

#include "sim_plc.h"

#define MALF_MAX 32
#define MALF_MAX_MIN 100000.0 /* the furthest start and the longest ramp, process minutes */

enum malf_state { MALF_PENDING, MALF_RUNNING, MALF_DONE };

struct malf {
    int id;                /* 1, 2, ...: what `pending` shows and `cancel` takes */
    double at_s;           /* process clock at which it fires or the ramp starts */
    double dur_s;          /* ramp length, 0 for a one-shot */
    double from, to;       /* a ramp's VALUE at its start and its end */
    double value;          /* a one-shot's VALUE, NAN when none */
    char fault[32], target[32];
    enum malf_state state;
};

struct malf_list {
    int n, next_id;
    struct malf m[MALF_MAX]; /* in the order they were added */
};

void malf_init(struct malf_list *l);

/* Parse req ("at ..." or "ramp ...") given the process clock now_s into *m (state
 * PENDING, no id yet).  1 when parsed, 0 when req is not an `at` or `ramp` request,
 * -1 with one sentence in err (what was wrong and what was expected) and *m unusable.
 * The fault, target and value(s) are checked by splc_fault() on a scratch PLC. */
int malf_parse(const char *req, double now_s, struct malf *m, char *err, size_t errlen);

/* Add m (its id assigned and written back).  0, or -1 with err when the list is full of
 * entries not yet done. */
int malf_add(struct malf_list *l, struct malf *m, char *err, size_t errlen);

/* "N" or "all": drop entry N, or every entry.  The number dropped, or -1 with err (not a
 * number, no such entry) and nothing changed.  A ramp cancelled while running leaves
 * its fault at the value it had reached. */
int malf_cancel(struct malf_list *l, const char *arg, char *err, size_t errlen);

/* A ramp's VALUE at process time t (clamped to its span); a one-shot's value. */
double malf_value_at(const struct malf *m, double t);

/* One entry at process time t: a one-shot whose time has come fires (DONE), a ramp
 * whose span holds t gets its value at t (RUNNING, DONE at its end).  A due "silent N"
 * sets *silent_s = N.  Each start and end is passed to log (may be NULL).  1 when it
 * fired, started or ended, else 0.  The scenario engine steps its ramped events with
 * this too (sim_scenario.c): one code path for every ramp. */
int malf_step(struct malf *m, struct splc *plc, double t, double *silent_s,
              void (*log)(void *ctx, const char *line), void *ctx);

/* Apply what is due at process time t: one-shots whose time has come, every running
 * ramp's value at t.  A due "silent N" sets *silent_s = N.  Each start and end is passed
 * to log (may be NULL).  Returns the entries that started or ended. */
int malf_run_due(struct malf_list *l, struct splc *plc, double t, double *silent_s,
                 void (*log)(void *ctx, const char *line), void *ctx);

/* After a restore or backtrack to process clock t: each entry's state from t alone. */
void malf_seek(struct malf_list *l, double t);
void malf_seek_one(struct malf *m, double t);

/* One entry as a line: "#2 pending  00:15:00 (in 5.0 min) ramp tc_drift roof_temp 0 -> 8
 * over 10 min". */
void malf_describe(const struct malf *m, double now_s, char *buf, size_t n);

/* Entries not yet done. */
int malf_pending(const struct malf_list *l);

#endif
