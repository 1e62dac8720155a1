/* dialog — the console's entry dialogs as a pure state machine.
 *
 * One engine serves every write the operator makes: a setpoint, a loop mode
 * or manual output, a command (with the charge mass or pump speed when it
 * takes one), shelving an alarm, and the text filter of the events screen.
 *
 *   EDIT      the value field (typed, or a choice) and the reason field; the
 *             value is checked on every keystroke and what is wrong with it is
 *             shown as a sentence (not a number, too many decimals, outside
 *             the limits, beyond the largest step, unchanged); the reason is
 *             checked by input_reason() before CONFIRM (printable UTF-8, not
 *             blank, at most INPUT_REASON_CHARS characters: a key past the
 *             maximum is refused with that sentence, not dropped);
 *   CONFIRM   "bath.sp 740 -> 745 degC?": y (or the command's own hotkey,
 *             spec.hotkey) sends; Enter alone never does (three Enters must
 *             not issue anything); n, Esc or Backspace goes back to EDIT.  A
 *             command without a value (DV_NONE) opens here unless its
 *             reason is required: Tab adds a reason;
 *   WAIT      the request is out; the server's reply closes the dialog when
 *             accepted, or moves it to
 *   RESULT    showing the server's refusal as its sentence; any key closes,
 *             but a refusal while the base had moved (dialog_track) goes
 *             back to EDIT on the value now, the entry kept (Esc closes).
 *
 * Compare-and-set: spec.base is the value the dialog shows as current
 * (the setpoint, the mode, the phase ...) and goes out as the request's
 * expect=, so the server refuses the change if someone else moved it
 * meanwhile.  dialog_track() follows the live value from each snapshot;
 * when it moves away from the base the dialog says so (moved, live).
 * A verb whose reason the server requires (set, tune, shelve, oos) has the
 * reason required here too: an empty one is refused in place, the entry
 * kept.
 *
 * Nothing is sent before CONFIRM is answered: dialog_key() returns DR_SEND
 * once, and the caller builds the request with dialog_request().  Keys are
 * ncurses key codes; no terminal I/O happens here.
 */
#ifndef MELTCON_DIALOG_H
#define MELTCON_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "input.h"
#include "snap.h"

#define DIALOG_CHOICES 4
#define DIALOG_CLASSES 8 /* scrap classes of a charge (CFG_MAX_SCRAP) */
#define DIALOG_VALUE_MAX 24
#define DIALOG_REASON_MAX INPUT_REASON_SIZE /* INPUT_REASON_CHARS characters of UTF-8 */

enum dialog_value {
    DV_NONE,   /* a command without an argument: reason and confirmation only */
    DV_NUMBER, /* a number with limits */
    DV_CHOICE, /* one of a few words (loop modes) */
    DV_TEXT,   /* free text, no request (the events filter) */
};

enum dialog_stage { DS_EDIT, DS_CONFIRM, DS_WAIT, DS_RESULT };

enum dialog_result {
    DR_NONE,   /* key taken, nothing to do */
    DR_CANCEL, /* closed without sending */
    DR_SEND,   /* confirmed: send dialog_request() now, then dialog_sent() */
    DR_TEXT,   /* DV_TEXT finished: the text is in value */
    DR_CLOSE,  /* a result was read and the dialog closed */
};

/* What the dialog asks for; filled by the screen that opens it. */
struct dialog_spec {
    char title[128]; /* "Setpoint of bath" */
    char verb[16];   /* request verb: set, cmd, shelve ... */
    char target[64]; /* request target: bath.sp, sc_door_open ... */
    char what[96];   /* the confirmation's subject when not target */
    char unit[16];   /* shown after numbers */
    enum dialog_value kind;
    bool has_old;
    double old; /* current value (setpoints, outputs) */
    int dec;    /* decimals shown */
    bool has_lo, has_hi;
    double lo, hi;     /* allowed range, inclusive ... */
    bool lo_open;      /* ... except lo when set (a charge must be > 0) */
    double max_step;   /* largest |new - old|, 0 = any */
    char lim_name[32]; /* "limits", "charge limit" */
    int nchoices;
    char choices[DIALOG_CHOICES][8];
    int choice;      /* preselected choice */
    bool ask_reason; /* show the reason field */
    bool reason_required;
    char initial[DIALOG_VALUE_MAX]; /* value field's starting text */
    char base[48]; /* the value shown as current, sent as expect= ("" none; a
                      number or choice with has_old gets it from old at open) */
    int hotkey;    /* the command's own key, which confirms as y does (0 none) */
    char value[16]; /* DV_NONE: the request's fixed value ("force"), "" none */
    /* a charge (DV_NUMBER): the scrap's class, chosen with Left/Right while the
     * mass is edited (digits never change it), sent as scrap=; 0: none */
    int nclasses;
    char classes[DIALOG_CLASSES][CFG_NAME_MAX];
    double class_pct[DIALOG_CLASSES]; /* its organics, % */
    double class_max[DIALOG_CLASSES]; /* the largest charge it allows, t */
    int cls;                          /* preselected: [limits] default_scrap */
};

struct dialog {
    bool open;
    struct dialog_spec spec;
    enum dialog_stage stage;
    int field; /* 0 value, 1 reason */
    char value[DIALOG_VALUE_MAX];
    char reason[DIALOG_REASON_MAX];
    int choice;
    int cls;           /* the scrap class chosen (spec.nclasses > 0) */
    char problem[200]; /* what is wrong with the entry, "" when nothing */
    double parsed;     /* the checked number (DV_NUMBER) */
    long req_id;       /* the request sent, while WAIT */
    bool ok;
    char reply[1024]; /* the server's sentence */
    char live[48];    /* the base's value in the latest snapshot (dialog_track) */
    bool moved;       /* live is no longer spec.base: sending would be refused */
};

/* Check the text typed for a DV_NUMBER spec.  Returns 0 with *out set, or -1
 * with one sentence in why: not a number (input_number's sentences: the
 * server reads the value with the same reader), more decimals than the
 * dialog shows (what is confirmed must be what is sent), outside the limits,
 * beyond the largest step, or unchanged.  Blanks around the text are
 * dropped first (the field's, not the number's); empty text is -1 with why =
 * "Type the new value". */
int dialog_check(const struct dialog_spec *s, const char *text, double *out, char *why, size_t n);

/* Open with the spec: EDIT stage, focus on the value (the reason field for
 * DV_NONE), value field holding spec->initial. */
void dialog_open(struct dialog *d, const struct dialog_spec *s);

/* Feed one key.  See the stages above. */
enum dialog_result dialog_key(struct dialog *d, int key);

/* The request for a dialog that answered DR_SEND: a number goes as the text
 * typed (without the field's blanks), so the server reads what was
 * confirmed, digit for digit. */
void dialog_request(const struct dialog *d, struct snap_req *r);

/* Follow the live value of the dialog's base in snapshot s: set d->live
 * and d->moved (numbers compared as numbers).  Bases it knows: LOOP.sp,
 * LOOP.out and LOOP.mode of `set`, LOOP.kp|ti_s|td_s of `tune`, the phase
 * of `cmd`, `phase` and `confirm`, the wet flag of `wet`. */
void dialog_track(struct dialog *d, const struct snap *s);

/* The request went out with this id (WAIT), or could not be sent (RESULT
 * showing why). */
void dialog_sent(struct dialog *d, long id, const char *send_error);

/* The server answered: accepted closes the dialog (returns true: show the
 * text on the message line), refused moves to RESULT with the sentence. */
bool dialog_reply(struct dialog *d, const struct snap_reply *r);

/* "bath.sp 740 -> 745 degC?" / "Open charging door?" / "Shelve roof_h for
 * 30 min?" with the given arrow glyph. */
void dialog_confirm_text(const struct dialog *d, char *buf, size_t n, const char *arrow);

/* The limits line: "limits 680 to 800 degC, largest step 30 degC" ("" when
 * the spec has none). */
void dialog_limits_text(const struct dialog_spec *s, char *buf, size_t n);

#endif
