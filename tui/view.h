/* view — what the screens derive from a snapshot and the config, as pure
 * functions: which alarm heads the banner, the order of the alarm list, the
 * alarm words beside a value ("!! HH"), a bar's scale, the quality a value is
 * shown with, the phase timeline, a blocked command's conditions.  No
 * terminal, no I/O: tested with cmocka.
 */
#ifndef MELTCON_VIEW_H
#define MELTCON_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "snap.h"
#include "widgets.h"

/* Index in s->tags of the tag called name (hint: where to look first), or
 * -1. */
int view_tag(const struct snap *s, const char *name, int hint);

/* Index in s->loops of the loop called name, or -1. */
int view_loop(const struct snap *s, const char *name);

/* The quality a value is shown with: the tag's own, or STALE when the
 * console's snapshot is not live (server gone or silent). */
int view_quality(int q, bool live);

/* The bad PV's countdown a screen shows for loop l ("BAD PV, MAN in 4 s"): its man_in_s once
 * it is in the second half of the loop's pv_bad_hold_s, else 0.  A PV bad for less than half
 * the hold is a reading late (a block the PLC link put off, a reconnect: under a PLC
 * answering 70 ms late every loop is in a hold most of the time, up to a second into it),
 * not yet a loop about to be handed over; a countdown that restarts every second only
 * teaches the operator to ignore it.  0 too when the snapshot is not live (a frozen count
 * says nothing) or the loop is not in the config. */
double view_man_in(const struct cfg *c, const struct snap_loop *l, bool live);

/* Indices of the alarms in s->alarms to list as active (UNACK, ACKED,
 * RTN_UNACK), critical first, then newest first; returns how many. */
int view_alarm_order(const struct snap *s, int *idx, int max);

/* Indices of the shelved, suppressed and out-of-service alarms, by name. */
int view_alarm_hidden(const struct snap *s, int *idx, int max);

/* The banner alarm: an unacknowledged one whose condition holds (UNACK)
 * before any that has cleared (RTN_UNACK), then the highest priority, then
 * the newest; -1 when none is unacknowledged. */
int view_banner(const struct snap *s);

/* The alarms by ISA-18.2 state, never one counted as another: active is
 * UNACK + ACKED (the condition holds now), active_unacked the UNACK of those,
 * cleared_unacked RTN_UNACK (the condition cleared, awaiting acknowledgement),
 * shelved SHELVED, hidden SUPPRESSED + OOS. */
struct view_counts {
    int active, active_unacked, cleared_unacked, shelved, hidden;
};
void view_alarm_counts(const struct snap *s, struct view_counts *c);

/* The horn's memory: the UNACK high and critical alarms last seen, each by
 * name and raise time (a re-raise is a new alarm). */
struct view_horn {
    int n;
    char name[CFG_MAX_ALARMS][CFG_NAME_MAX];
    double t_raised[CFG_MAX_ALARMS];
};

/* Compare the snapshot's UNACK high and critical alarms with *h and take
 * them as the new memory.  Returns how many are new (not in *h before);
 * *urgent gets how many there are now (the horn stops when none is left). */
int view_horn_scan(const struct snap *s, struct view_horn *h, int *urgent);

/* "2 active (1 unack), 11 cleared-unack, 1 shelved": the active count
 * always, the others only when not zero. */
void view_counts_text(const struct view_counts *c, char *buf, size_t n);

/* The alarm words for a value: of the alarms on `tag` whose condition is
 * active now (UNACK or ACKED), the most severe, as "!! HH", "! H", "! L",
 * "!! LL", "! BAD" or "! ON" in word, with its severity; SEV_NONE and ""
 * when none.  HH/LL: the alarm's name ends in _hh/_ll or it is critical. */
enum wg_sev view_tag_alarm(const struct cfg *c, const struct snap *s, const char *tag, char *word,
                           size_t n);

/* The scale of a value's bar: its loop's setpoint limits and its alarm
 * limits, widened by a quarter of their span on each side (at least 5 % of
 * the tag's range), inside the tag's range; the alarm limits and (has_sp)
 * the setpoint as marks. */
void view_bar_spec(const struct cfg *c, const char *tag, bool has_sp, double sp,
                   struct wg_bar_spec *b);

/* The loop whose PV is `tag`, or NULL. */
const struct cfg_loop *view_loop_of(const struct cfg *c, const char *tag);

/* "HOLD . CHARGE . [PYROLYSIS] . PUSH ..." fitted to `cells`: the current
 * phase bracketed; the names shortened to 4 letters when the full line does
 * not fit. */
void view_timeline(char *buf, size_t n, int phase, int cells, const struct wg_glyphs *g);

/* Split a "; "-separated list of failing conditions; returns how many (at
 * most max), each at most len bytes. */
int view_split(const char *why, char out[][SNAP_WHY_MAX], int max);

/* The scale of a trend: the samples' range, widened around its middle to at
 * least min_span so a steady value's noise is not blown up to full height.
 * Returns false (and leaves lo, hi alone) when there is no finite sample. */
bool view_trend_scale(const float *v, int n, double min_span, double *lo, double *hi);

/* The next selection of n items after sel, by step (+1 or -1), wrapping
 * round; from no selection (sel < 0 or >= n) +1 gives the first and -1 the
 * last.  -1 when n <= 0. */
int view_step(int sel, int n, int step);

/* Case-insensitive substring test for the events filter ("" matches all). */
bool view_match(const char *line, const char *filter);

/* The events screen's journal filters; "" (has_since false) lets all pass. */
#define VIEW_FILTER_MAX 32
struct view_jfilter {
    char text[VIEW_FILTER_MAX]; /* anywhere in the line, any case */
    char user[VIEW_FILTER_MAX]; /* the line's user (before the '@'), any case */
    char tag[VIEW_FILTER_MAX];  /* a word of the line is the tag or starts with
                                   it and '.' or '_' (bath: bath.sp, roof_temp:
                                   roof_temp_bad) */
    bool has_since;
    double since; /* Unix s: lines stamped before are hidden */
};

/* Does a journal line ("2026-11-29T10:00:00.000Z anna@pts/1 set bath.sp
 * 740 -> 745 reason=...") pass every filter set?  With a time filter, a line
 * without a leading time stamp does not; with a user filter, a line without
 * a USER@ORIGIN word does not. */
bool view_journal_match(const char *line, const struct view_jfilter *f);

/* The events screen's "since": "-30m", "-2h", "-1d" (before now), "HH:MM"
 * (today in UTC, yesterday when that is after now), "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DDTHH:MM" (UTC, as the journal's stamps).  0 with *since set, or
 * -1 with a sentence in why and *since unchanged. */
int view_since(const char *text, double now, double *since, char *why, size_t n);

/* The semi-continuous cycle: may the next charge start while the last one
 * melts?  True in MELT with scrap_on_hearth GOOD and under
 * SEQ_HEARTH_EMPTY_KG (the sequencer's can_charge rule); otherwise false and
 * every failing condition in why, "; "-separated, with its live value. */
bool view_next_charge(const struct snap *s, char *why, size_t n);

/* The config's alarm definition for a snapshot alarm name, or NULL. */
const struct cfg_alarm *view_alarm_def(const struct cfg *c, const char *name);

#endif
