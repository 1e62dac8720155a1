/* screens — the console's screens (ISA-101: overview -> loops, commands,
 * alarms -> trends, events -> diagnostics, help) and what they share.
 *
 * Each screen_*.c exports one const struct screen: its name and title, a
 * draw function, a key handler and the table of its own keys (for the help
 * screen and the hint line).  screen_get() is the table, indexed by enum
 * screen_id.  The console owns the terminal; a screen draws the body rows
 * [u->top, u->top + u->height) through the screen_* helpers, which write
 * every row out to its last column (so a frame is built into the same window
 * and ncurses sends only the cells that changed: nothing is ever erased
 * wholesale), fit text to the width, transliterate UTF-8 on an ASCII
 * terminal and turn a severity into an attribute.
 */
#ifndef MELTCON_SCREENS_H
#define MELTCON_SCREENS_H

#include <stdbool.h>

#include "cfg.h"
#include "client.h"
#include "dialog.h"
#include "trend.h"
#include "view.h"
#include "widgets.h"

enum screen_id {
    SCR_OVERVIEW,
    SCR_LOOPS,
    SCR_COMMANDS,
    SCR_ALARMS,
    SCR_TRENDS,
    SCR_EVENTS,
    SCR_DIAG,
    SCR_HELP,
    SCR_COUNT
};

/* The console's state, shared by the screens. */
struct ui {
    const struct cfg *cfg;
    struct client *cl;
    struct trend *tr;
    const struct wg_glyphs *g;
    bool ascii, mono;
    int rows, cols;  /* the terminal */
    int top, height; /* the body: rows [top, top + height) */
    double now;      /* monotonic s */
    enum screen_id cur, prev;
    int attr[SEV_COUNT];    /* attribute of each severity */
    int attr_bar, attr_key; /* title/key-bar labels, the keys in the key bar */
    /* drawing cursor of screen_at / screen_add */
    int y, x, xmax;
    /* per-screen state */
    int sel[SCR_COUNT];    /* selected item */
    int scroll[SCR_COUNT]; /* first row shown (events: rows up from the newest) */
    int trend_span;        /* 0 10 min, 1 1 h, 2 8 h */
    /* trend history from the historian (console.c asks, trend.c merges) */
    struct trend_hist *th;
    long hist_id;              /* the export request in flight, 0: none */
    int hist_next;             /* the first pen of the next request */
    int hist_upto;             /* the pen after those of the request in flight */
    double hist_from, hist_to; /* the window asked for (Unix s) */
    bool hist_want;            /* ask (again) as soon as nothing is in flight */
    bool hist_loading;         /* collecting */
    char hist_note[200];       /* why there is no history, "" when fine */
    struct view_jfilter jf;    /* events: the journal's filters */
    struct dialog dlg;
    /* the detail view: a text too long for its row, read whole (Enter);
     * any key closes it */
    bool detail;
    char detail_title[120];
    char detail_text[WG_MAX_LINES * 80];
    int hscroll; /* events: columns scrolled right */
    bool literal; /* drawing what a person typed: no -> to → (wg_utf8_signs) */
    /* the horn (ISA-18.2): sounds (bell, or flash) on a new high or
     * critical UNACK alarm; silencing stops it and acknowledges nothing */
    bool horn;              /* sounding now */
    struct view_horn hmem;  /* the UNACK high/critical alarms known */
    bool horn_primed;       /* the first snapshot only fills hmem */
    double horn_last;       /* when it last sounded (monotonic s) */
    bool quit_ask, quit;
    char msg[600]; /* the message line; "" shows the screen's keys */
    enum wg_sev msg_sev;
    double msg_t;
    char last_msg[600]; /* the last answer, refusal or warning, for M (screen_msg_keep) */
    double last_msg_t;
    /* display deadband, by config tag index */
    double shown[CFG_MAX_TAGS];
    bool shown_init[CFG_MAX_TAGS];
};

/* One of a screen's own keys, for the help screen and the hint line. */
struct screen_key {
    const char *key;  /* "s" "Up/Down" */
    const char *hint; /* one word for the hint line: "setpoint" */
    const char *help; /* the help screen's sentence */
    bool write;       /* changes the furnace: unavailable to a viewer */
};

struct screen {
    const char *name;  /* "overview" (the --screen option) */
    const char *title; /* "Overview" */
    void (*draw)(struct ui *u);
    bool (*key)(struct ui *u, int ch); /* true: the key was for this screen */
    const struct screen_key *keys;
    int nkeys;
};

extern const struct screen screen_overview, screen_loops, screen_commands, screen_alarms,
    screen_trends, screen_events, screen_diag, screen_help;

const struct screen *screen_get(enum screen_id id);
int screen_by_name(const char *name); /* enum screen_id or -1 */

/* ---- drawing ------------------------------------------------------------ */

/* Start writing at terminal row y, column x; nothing goes past column xmax
 * (exclusive). */
void screen_at(struct ui *u, int y, int x, int xmax);
/* Start body row y (0 = first body row) across the whole width. */
void screen_row(struct ui *u, int y);
/* Write text with the severity's attribute and advance. */
__attribute__((format(printf, 3, 4))) void screen_add(struct ui *u, enum wg_sev sev,
                                                      const char *fmt, ...);
void screen_text(struct ui *u, int attr, const char *s);
/* Spaces up to column x (absolute), or to the end (screen_eol). */
void screen_pad(struct ui *u, int x);
void screen_eol(struct ui *u);
/* Blank body rows [from, height). */
void screen_blank_from(struct ui *u, int from);
/* Lines of a widget at terminal row y, column x, each `w` cells wide, with
 * their marks; at most max rows.  Returns the rows written. */
int screen_lines(struct ui *u, int y, int x, int w, const struct wg_lines *l, int max);

/* ---- values --------------------------------------------------------------- */

struct screen_val {
    bool found;       /* the tag is in the config */
    double v;         /* after the display deadband */
    int q;            /* the quality shown: STALE when the console is not live */
    double age;       /* s since the value was last good */
    const char *unit; /* as shown */
    int dec;
    const struct cfg_tag *def;
};

bool screen_live(const struct ui *u);
struct screen_val screen_val(struct ui *u, const char *tag);
/* "741 °C" or "STALE 12s"; returns the severity (SEV_BAD when not live). */
enum wg_sev screen_fmt(struct ui *u, const char *tag, char *buf, size_t n);
/* A two-state input: on_word when true, off_word when false, the quality
 * word and age when not GOOD. */
enum wg_sev screen_bool(struct ui *u, const char *tag, const char *on_word, const char *off_word,
                        char *buf, size_t n);

/* One alarm as a list row from the cursor: glyph and priority, state, the
 * first-out mark (FO), name, the time of day it was raised (never moved by
 * an acknowledgement), its age since then, the value of its tag now, then
 * its message; `sel` marks the selection. */
void screen_alarm_line(struct ui *u, const struct snap_alarm *a, bool sel);
/* The alarm's value now in words: "TAG now VALUE", or for an override alarm
 * its loop's setpoint cut and which override acts; "" when it has neither. */
void screen_alarm_value_text(struct ui *u, const struct cfg_alarm *d, char *buf, size_t n);
/* The wall-clock time of day ("10:42:07", local time) of a process time of
 * the snapshot; "--:--:--" when unknown. */
void screen_clock(const struct ui *u, double t, char *buf, size_t n);
/* The whole text of one alarm for the detail view. */
void screen_alarm_detail(struct ui *u, const struct snap_alarm *a);
/* Open the detail view: a title and a text ("\n" starts a paragraph),
 * word-wrapped in a box; any key closes it. */
__attribute__((format(printf, 3, 4))) void screen_detail(struct ui *u, const char *title,
                                                         const char *fmt, ...);

/* ---- actions -------------------------------------------------------------- */

/* May this console write?  If not, says why on the message line. */
bool screen_may_write(struct ui *u, const char *what);
/* The same, and the engineer's role (tuning, out of service, forcing a
 * phase); if not, says why. */
bool screen_may_engineer(struct ui *u, const char *what);
/* Keep the message now on the message line for M (the last message whole):
 * screen_msg keeps every one that is not SEV_NONE by itself; the console
 * keeps the server's answers. */
void screen_msg_keep(struct ui *u);
__attribute__((format(printf, 3, 4))) void screen_msg(struct ui *u, enum wg_sev sev,
                                                      const char *fmt, ...);
void screen_dialog(struct ui *u, const struct dialog_spec *s);
/* Send a request that needs no dialog (acknowledge, unshelve). */
void screen_send(struct ui *u, const char *verb, const char *target, const char *value);
/* The same with the base the operator saw (compare-and-set, snap.h). */
void screen_send_expect(struct ui *u, const char *verb, const char *target, const char *value,
                        const char *expect);
/* Open the trend screen on tag's pen, adding the pen when the tag is not
 * one yet (the console then asks the historian for its past).  Says why on
 * the message line and returns false when it cannot (no such tag, pens
 * full). */
bool screen_trend_open(struct ui *u, const char *tag);
/* Up/Down/PgUp/PgDn/Home/End on a selection of n items; true if handled. */
bool screen_nav(int ch, int *sel, int n, int page);
/* Keep sel visible in a window of `rows` items starting at *first. */
void screen_follow(int sel, int rows, int *first);

#endif
