/* widgets — the console's drawing vocabulary as pure string formatters.
 *
 * Every widget writes text into a caller's buffer and returns a severity;
 * nothing here touches the terminal, so each one is tested with cmocka.  The
 * console maps a severity to an attribute (colour, or reverse/bold under
 * NO_COLOR and --mono).  Grey first: SEV_NONE is the terminal's default look,
 * and an abnormal severity is ALWAYS also spelt out in the text ("!! HH",
 * "BAD 12s", "STALE 3s"), so nothing depends on colour.
 *
 * Glyphs come from one of two const tables: UTF-8 (box drawing, blocks,
 * sparkline eighths) or plain ASCII for terminals without UTF-8 (--ascii, or
 * a non-UTF-8 locale).  Every glyph is one terminal cell wide, so a string's
 * width is its number of UTF-8 code points (wg_width).
 */
#ifndef MELTCON_WIDGETS_H
#define MELTCON_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "dialog.h"

/* What a piece of text means to the operator, most severe last. */
enum wg_sev {
    SEV_NONE, /* normal: default colours */
    SEV_NOTE, /* worth a look (low/medium alarm, a hint) */
    SEV_HIGH, /* high-priority alarm, an H/L limit crossed, a refusal */
    SEV_CRIT, /* critical alarm, HH/LL, connection lost */
    SEV_BAD,  /* a value that is not live: BAD, COMMS, STALE */
    SEV_COUNT
};

struct wg_glyphs {
    const char *h, *v, *tl, *tr, *bl, *br, *tee_down, *tee_up; /* box drawing */
    const char *fill, *empty, *sp, *lim, *nodata;              /* bars */
    const char *spark[8];                                      /* lowest .. highest */
    const char *arrow, *dot, *wave;                            /* "->", separators, metal */
    bool utf8;
};

const struct wg_glyphs *wg_glyphs(bool ascii);

/* Must the console draw in ASCII?  True when the locale's codeset is not
 * UTF-8, or the terminal cannot draw UTF-8 whatever the locale: the Linux
 * console (TERM=linux, its font has no blocks nor arrows), the DEC VTs
 * (vt52, vt100, vt220 ...), dumb and unknown (NULL or "") terminals. */
bool wg_need_ascii(const char *term, const char *codeset);

/* Display cells of a UTF-8 string (code points; every glyph used is 1 cell). */
int wg_width(const char *s);

/* Copy at most `cells` cells of s into dst (always terminated, never splits a
 * UTF-8 sequence), then pad with spaces to exactly `cells` when pad is set.
 * Returns the cells written. */
int wg_fit(char *dst, size_t n, const char *s, int cells, bool pad);

/* Server text for an ASCII terminal: known UTF-8 signs become ASCII ("°C" ->
 * "degC", "→" -> "->", "≤" -> "<="), anything else non-ASCII becomes '?'. */
void wg_ascii(char *dst, size_t n, const char *s);

/* One vocabulary: masses are shown in tonnes everywhere.  A value in "kg"
 * is scaled to t in *v and "t" is returned; any other unit is returned as
 * it is and *v is left alone. */
const char *wg_tonnes(const char *unit, double *v);

/* Text for a UTF-8 terminal in the console's one vocabulary: "->" becomes
 * "→" and the word "degC" becomes "°C" (the server's replies and journal
 * write them in ASCII).  Not for what a person typed: a dialog shows that
 * exactly as it will be sent. */
void wg_utf8_signs(char *dst, size_t n, const char *s);

/* The unit as shown: "degC" becomes "°C" on a UTF-8 terminal. */
const char *wg_unit(const char *unit, const struct wg_glyphs *g);

/* A duration, compact: "12s", "7m", "3h", "2d" (never more than 3 cells). */
void wg_age(char *buf, size_t n, double s);

/* A clock-style duration: "15:12" (m:ss) under an hour, "1:02:03" above. */
void wg_hms(char *buf, size_t n, double s);

/* Decimals shown for a unit and the span of its range: degC 0, Pa 1, t 1,
 * others 1 when the span is 30 or less (O2 %), else 0 (firing %). */
int wg_decimals(const char *unit, double span);

/* The display deadband: keep showing *shown until v has moved a whole
 * display step (10^-dec) away from it, so last-digit sensor noise does not
 * repaint the value every frame.  *init false: take v.  Returns *shown. */
double wg_deadband(double *shown, bool *init, double v, int dec);

/* A value as the operator reads it: "741 degC", or, when its quality q
 * (enum tag_quality) is not GOOD, the quality word and its age instead of
 * the number: "BAD 12s", "COMMS 3s", "STALE 40s" (SEV_BAD).  unit may be
 * NULL or "". */
enum wg_sev wg_value(char *buf, size_t n, double v, int q, double age_s, int dec, const char *unit);

/* A horizontal bar of `width` cells over [lo, hi]: filled up to v, the
 * setpoint marked by g->sp, alarm limits by g->lim; a value that is not good
 * shows g->nodata in every cell (it must never look live). */
struct wg_bar_spec {
    double lo, hi;
    bool has_sp;
    double sp;
    int nlim;
    double lim[4];
};
void wg_bar(char *buf, size_t n, int width, double v, bool good, const struct wg_bar_spec *s,
            const struct wg_glyphs *g);

/* A sparkline of `width` cells from count samples (NAN = no good sample: a
 * blank cell).  More samples than cells: each cell shows the mean of its
 * share; fewer: right-aligned, the newest at the right.  lo >= hi: scaled to
 * the samples' own range.  Returns the range used in *used_lo, *used_hi
 * (both may be NULL). */
void wg_spark(char *buf, size_t n, const float *v, int count, int width, double lo, double hi,
              const struct wg_glyphs *g, double *used_lo, double *used_hi);

/* Row `row` (0 = top) of an nrows-high strip chart over the same sample
 * mapping as wg_spark, with eighth-cell resolution on a UTF-8 terminal. */
void wg_chart_row(char *buf, size_t n, const float *v, int count, int width, double lo, double hi,
                  int row, int nrows, const struct wg_glyphs *g);

/* The words for the loop flags (LF_* of snap.h): "SAT HI RATE".  man_in_s > 0 (a bad PV's
 * hold, snap_loop man_in_s) follows BAD PV with when the loop drops: "BAD PV, MAN in 4 s",
 * the whole seconds left rounded up (it never reads 0 while the loop is still in AUTO). */
void wg_loop_flags(char *buf, size_t n, unsigned flags, double man_in_s);

/* "MAN in 4 s" for a bad PV's hold of man_in_s left (> 0), as wg_loop_flags has it. */
void wg_man_in(char *buf, size_t n, double man_in_s);

/* Lines of a composed widget (faceplate, dialog): each line may mark one
 * span of cells [mark_col, mark_col + mark_len) with a severity. */
#define WG_LINE 600
#define WG_MAX_LINES 12
struct wg_lines {
    int n;
    char line[WG_MAX_LINES][WG_LINE];
    enum wg_sev sev[WG_MAX_LINES];
    int mark_col[WG_MAX_LINES], mark_len[WG_MAX_LINES];
};

/* Word-wrap s into lines of at most `cells` cells, starting at *l->n, at
 * most max lines in all; returns the lines added. */
int wg_wrap(struct wg_lines *l, const char *s, int cells, int max, enum wg_sev sev);

/* A loop faceplate, four lines of `width` cells:
 *   > bath     AUTO  Bath temperature (master): sets the HC gas temperature
 *     PV 741 degC   SP 740  WSP 740  OUT 1012 degC   SAT HI
 *     [#####|####..!..]  SP 680 to 800, step 30   OUT 800 to 1150
 *     _.-~=+*#  10 min  738 to 744
 * PV is marked with its quality's severity, the flags with SEV_NOTE (BAD PV
 * SEV_BAD). */
struct wg_faceplate {
    const char *name, *description, *mode;
    bool selected;
    double pv, sp, wsp, out;
    int pv_q;
    double pv_age;
    unsigned flags;
    double man_in_s; /* a bad PV's hold: s until MAN, 0: none (wg_loop_flags) */
    const char *pv_unit, *out_unit;
    int pv_dec, out_dec;
    double sp_lo, sp_hi, sp_max_step, out_lo, out_hi;
    struct wg_bar_spec bar;
    const float *hist;
    int nhist;
    double hist_lo, hist_hi; /* the sparkline's scale; lo >= hi: the samples' range */
    const char *span;        /* "10 min" */
};
void wg_faceplate(struct wg_lines *l, int width, const struct wg_faceplate *f,
                  const struct wg_glyphs *g);

/* Short priority words, "CRIT" "HIGH" "MED" "LOW", and their severity. */
const char *wg_prio_word(int prio);
enum wg_sev wg_prio_sev(int prio);
/* "!!" for critical, "!" for high and below, as the glyph paired with colour. */
const char *wg_prio_glyph(int prio);

/* The dialog's lines for a box `width` cells wide: title, current value,
 * limits, the entry with a cursor, what is wrong with it (SEV_HIGH), the
 * reason, and the footer of the stage: the keys, the confirmation "bath.sp
 * 740 -> 745 degC?  y = send, n = back", "waiting", or the server's refusal
 * as its sentence (SEV_HIGH). */
void wg_dialog(struct wg_lines *l, int width, const struct dialog *d, const struct wg_glyphs *g);

#endif
