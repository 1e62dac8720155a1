/* exam — a training run judged against its exercise (config/exercise.h), from the record.
 *
 * Pure: fed the run's record lines in time order (the same lines rpt_event takes: the
 * journal's, or a core's results), it keeps the timeline the debrief prints and judges
 * every expectation:
 *   a window opens at `after`: start (t_start), the first raise of alarm NAME, its first
 *   return to normal (clear NAME), the first entry into phase NAME, the scenario's
 *   event NAME (t_start + at_min * 60 / speed: the record is wall-clock, the scenario
 *   process time), or the first metal_mass sample (exam_sample) with T tonnes tapped
 *   (tapped T: the highest metal_mass since TAP was last entered minus this one); it
 *   closes at `until` (the same forms), if given;
 *   expected   MET  an accepted action by a person matching KIND WHAT (WHAT * any) at or
 *                   after the opening and before the close, within within_s / speed (0:
 *                   any time after);
 *              LATE the same after within_s (half the points);
 *              MISSED none before the close, or the window never opened (named as such);
 *   forbidden  TAKEN an accepted matching action after the opening, before `until`
 *                   closes it, while the `while` alarm is active (UNACK or ACKED);
 *                   else KEPT (its points).
 * Score: points earned over points possible, in %.  The run passes with no expectation
 * MISSED or TAKEN and a score of at least EXAM_PASS_PCT.
 */
#ifndef MELTCON_EXAM_H
#define MELTCON_EXAM_H

#include <stdbool.h>

#include "exercise.h"

#define EXAM_PASS_PCT 70.0
#define EXAM_MAX_ALARMS 128
#define EXAM_MAX_REFUSED 64

enum exam_verdict { EXV_MET, EXV_LATE, EXV_MISSED, EXV_TAKEN, EXV_KEPT };

struct exam_item {
    double t_open;   /* the window opened, -1 never */
    double t_close;  /* a forbidden one's window closed (until), -1 not */
    double t_done;   /* the action (expected: first matching; forbidden: first taken), -1 */
    double t_past;   /* expected: the first matching action after `until` closed it, -1 */
    int verdict;     /* enum exam_verdict, after exam_finish */
    int points;      /* earned */
};

/* One alarm episode: raised, acknowledged, cleared (-1 not). */
struct exam_alarm {
    char name[48];
    char prio[12];
    double t_raised, t_acked, t_cleared;
};

struct exam_refused {
    double t;
    char user[32], kind[16], what[48], why[160];
};

struct exam {
    const struct exercise *ex;
    double t_start, speed;
    bool speed_from_record; /* exam_init's speed was 0: the first `training speed` line's */
    struct exam_item it[EXERCISE_MAX];
    int nalarms;
    struct exam_alarm al[EXAM_MAX_ALARMS];
    int nrefused;
    struct exam_refused rf[EXAM_MAX_REFUSED];
    bool in_tap;        /* the last phase line entered TAP */
    double tap_peak_kg; /* highest metal_mass sample since, -1 none */
    double tapped_t;    /* tonnes tapped since (0 outside TAP) */
    int actions;
    double score_pct;
    int earned, possible;
    bool passed;
};

/* Start judging ex (kept by pointer) for a run that started at t_start (wall) at speed;
 * speed 0: the speed the record names — its first "training speed" line ("simulator at
 * Xx real time", written by the server when it first sees the simulator), 1 until then.
 * A run whose speed changes later is judged at that first speed. */
void exam_init(struct exam *m, const struct exercise *ex, double t_start, double speed);

/* The wall time of the scenario's event NAME, -1 if none. */
double exam_event_time(const struct exam *m, const char *name);

/* One record line (see rpt.h for the fields). */
void exam_event(struct exam *m, double t, const char *user, const char *kind, const char *what,
                const char *old_v, const char *new_v, bool ok, const char *text);

/* One historian sample of tag (its name) at t, in time order with the record lines;
 * only metal_mass (kg) counts (the `tapped T` windows), a NaN is no sample. */
void exam_sample(struct exam *m, double t, const char *tag, double v);

/* Judge at the end of the run. */
void exam_finish(struct exam *m, double t_end);

/* "MET" "LATE" "MISSED" "TAKEN" "KEPT" */
const char *exam_verdict_name(int v);

#endif
