/* dialog — entry dialogs as a pure state machine (see dialog.h).
 *
 * Numbers are shown with at most spec->dec decimals and no trailing zeros.
 * Number rule: config/input.h's input_number(), the server's own reader
 * (optional sign, digits, optional point and digits: "745", "-2.5", ".5";
 * no "1e3", "0x10", "nan", no trailing text), because an operator who typed
 * "74S" meant something and must be told, not guessed at.  The value is then
 * checked in this order: at most spec->dec decimals (so the confirmation
 * shows every digit that is sent), range (lo, hi; lo exclusive when
 * lo_open), the largest step |new - old| <= max_step (0: any), and
 * "unchanged" (within half a display step of old).
 */
#include "dialog.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "numtext.h"

#define KEY_ESC 27

/* v with at most dec decimals, trailing zeros dropped: 740, 745.5. */
static void fmtnum(char *buf, size_t n, double v, int dec)
{
    snprintf(buf, n, "%.*f", dec < 0 ? 0 : dec, v);
    if (strchr(buf, '.')) {
        size_t k = strlen(buf);
        while (k > 0 && buf[k - 1] == '0')
            buf[--k] = 0;
        if (k > 0 && buf[k - 1] == '.')
            buf[--k] = 0;
    }
    if (!strcmp(buf, "-0"))
        snprintf(buf, n, "0");
}

static const char *sp_unit(const struct dialog_spec *s)
{
    return s->unit[0] ? " " : "";
}

/* Copy t without leading and trailing blanks. */
static void trim(char *dst, size_t n, const char *t)
{
    while (*t == ' ')
        t++;
    snprintf(dst, n, "%s", t);
    size_t k = strlen(dst);
    while (k > 0 && dst[k - 1] == ' ')
        dst[--k] = 0;
}

int dialog_check(const struct dialog_spec *s, const char *text, double *out, char *why, size_t n)
{
    char t[DIALOG_VALUE_MAX], a[32], b[32], c[32];
    trim(t, sizeof t, text ? text : "");
    if (!t[0]) {
        snprintf(why, n, "Type the new value");
        return -1;
    }
    double v;
    if (input_number(t, &v, why, n) < 0)
        return -1;
    int dec = input_decimals(t);
    if (dec > (s->dec < 0 ? 0 : s->dec)) {
        char shown[INPUT_SHOW_SIZE];
        input_show(shown, sizeof shown, t);
        if (s->dec <= 0)
            snprintf(why, n, "\"%s\": a whole number here", shown);
        else
            snprintf(why, n, "\"%s\": at most %d decimal%s here", shown, s->dec,
                     s->dec == 1 ? "" : "s");
        return -1;
    }
    const char *lim = s->lim_name[0] ? s->lim_name : "limits";
    fmtnum(a, sizeof a, v, s->dec);
    fmtnum(b, sizeof b, s->lo, s->dec);
    fmtnum(c, sizeof c, s->hi, s->dec);
    bool below = s->has_lo && (s->lo_open ? v <= s->lo : v < s->lo);
    bool above = s->has_hi && v > s->hi;
    if (below || above) {
        if (s->has_lo && s->has_hi && s->lo_open)
            snprintf(why, n, "%s%s%s is outside the %s: more than %s%s%s and at most %s%s%s", a,
                     sp_unit(s), s->unit, lim, b, sp_unit(s), s->unit, c, sp_unit(s), s->unit);
        else if (s->has_lo && s->has_hi)
            snprintf(why, n, "%s%s%s is outside the %s %s to %s%s%s", a, sp_unit(s), s->unit, lim,
                     b, c, sp_unit(s), s->unit);
        else if (below)
            snprintf(why, n, "%s%s%s is below the %s %s%s%s", a, sp_unit(s), s->unit, lim, b,
                     sp_unit(s), s->unit);
        else
            snprintf(why, n, "%s%s%s is above the %s %s%s%s", a, sp_unit(s), s->unit, lim, c,
                     sp_unit(s), s->unit);
        return -1;
    }
    if (s->has_old && s->max_step > 0 && fabs(v - s->old) > s->max_step + 1e-9) {
        char o[32], st[32], mx[32];
        fmtnum(o, sizeof o, s->old, s->dec);
        fmtnum(st, sizeof st, fabs(v - s->old), s->dec);
        fmtnum(mx, sizeof mx, s->max_step, s->dec);
        snprintf(why, n, "%s to %s is a step of %s%s%s, beyond the largest step %s%s%s", o, a, st,
                 sp_unit(s), s->unit, mx, sp_unit(s), s->unit);
        return -1;
    }
    if (s->has_old && fabs(v - s->old) < 0.5 * pow(10.0, -s->dec)) {
        snprintf(why, n, "%s%s%s is the current value", a, sp_unit(s), s->unit);
        return -1;
    }
    *out = v;
    why[0] = 0;
    return 0;
}

/* The verbs whose reason the server's gate requires (core_gate.c). */
static const char *const reason_verbs[] = {"set", "tune", "shelve", "oos"};

void dialog_open(struct dialog *d, const struct dialog_spec *s)
{
    memset(d, 0, sizeof *d);
    d->open = true;
    d->spec = *s;
    d->stage = s->kind == DV_NONE ? DS_CONFIRM : DS_EDIT;
    d->field = s->kind == DV_NONE ? 1 : 0;
    d->choice = s->choice;
    d->cls = s->cls >= 0 && s->cls < s->nclasses ? s->cls : 0;
    snprintf(d->value, sizeof d->value, "%s", s->initial);
    for (size_t i = 0; i < sizeof reason_verbs / sizeof reason_verbs[0]; i++)
        if (!strcmp(s->verb, reason_verbs[i]) && s->ask_reason)
            d->spec.reason_required = true;
    if (s->kind == DV_NONE && d->spec.reason_required)
        d->stage = DS_EDIT; /* the reason first */
    if (!s->base[0] && s->has_old && s->kind == DV_NUMBER)
        (void)numtext(d->spec.base, sizeof d->spec.base, s->old);
    else if (!s->base[0] && s->has_old && s->kind == DV_CHOICE && (int)s->old >= 0 &&
             (int)s->old < s->nchoices)
        snprintf(d->spec.base, sizeof d->spec.base, "%s", s->choices[(int)s->old]);
    snprintf(d->live, sizeof d->live, "%s", d->spec.base);
}

/* Whether two texts of a base are the same value: numbers as numbers. */
static bool same_value(const char *a, const char *b)
{
    double x, y;
    char why[120];
    if (input_number(a, &x, why, sizeof why) == 0 && input_number(b, &y, why, sizeof why) == 0)
        return x == y;
    return strcasecmp(a, b) == 0;
}

void dialog_track(struct dialog *d, const struct snap *s)
{
    const struct dialog_spec *sp = &d->spec;
    char now[sizeof d->live] = "";
    if (!d->open || !sp->base[0])
        return;
    if (!strcmp(sp->verb, "set") || !strcmp(sp->verb, "tune")) {
        const char *dot = strchr(sp->target, '.');
        for (int i = 0; dot && i < s->nloops; i++) {
            const struct snap_loop *l = &s->loops[i];
            if (strlen(l->name) != (size_t)(dot - sp->target) ||
                strncmp(l->name, sp->target, (size_t)(dot - sp->target)))
                continue;
            if (!strcmp(dot, ".sp"))
                (void)numtext(now, sizeof now, l->sp);
            else if (!strcmp(dot, ".out"))
                (void)numtext(now, sizeof now, l->out);
            else if (!strcmp(dot, ".mode"))
                snprintf(now, sizeof now, "%s", cfg_loop_mode_name((enum cfg_loop_mode)l->mode));
            else if (!strcmp(dot, ".kp") || !strcmp(dot, ".ti_s") || !strcmp(dot, ".td_s"))
                (void)numtext(now, sizeof now,
                              dot[1] == 'k' ? l->kp : dot[2] == 'i' ? l->ti_s : l->td_s);
        }
    } else if (!strcmp(sp->verb, "wet")) {
        snprintf(now, sizeof now, "%s", s->wet ? "yes" : "no");
    } else if (!strcmp(sp->verb, "cmd") || !strcmp(sp->verb, "phase") ||
               !strcmp(sp->verb, "confirm")) {
        if (strcmp(sp->target, "pump_speed") != 0)
            snprintf(now, sizeof now, "%s", cfg_phase_name((enum cfg_phase)s->phase));
    }
    if (!now[0])
        return;
    snprintf(d->live, sizeof d->live, "%s", now);
    d->moved = !same_value(now, sp->base);
}

static bool is_enter(int key)
{
    return key == '\n' || key == '\r' || key == KEY_ENTER;
}
static bool is_backspace(int key)
{
    return key == KEY_BACKSPACE || key == 127 || key == 8;
}

/* Characters (UTF-8 lead bytes) in s. */
static int chars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static char *field_text(struct dialog *d, size_t *cap)
{
    if (d->field == 0) {
        *cap = sizeof d->value;
        return d->value;
    }
    *cap = sizeof d->reason;
    return d->reason;
}

/* Live check of the value field: silent while it is empty. */
static void recheck(struct dialog *d)
{
    d->problem[0] = 0;
    if (d->spec.kind == DV_NUMBER && d->value[0])
        dialog_check(&d->spec, d->value, &d->parsed, d->problem, sizeof d->problem);
}

/* Everything needed before CONFIRM; sets problem and the field to fix. */
static bool complete(struct dialog *d)
{
    if (d->spec.kind == DV_NUMBER &&
        dialog_check(&d->spec, d->value, &d->parsed, d->problem, sizeof d->problem) < 0) {
        d->field = 0;
        return false;
    }
    if (d->spec.kind == DV_CHOICE && d->spec.has_old && d->choice == (int)d->spec.old) {
        snprintf(d->problem, sizeof d->problem, "%s is the current mode; choose another",
                 d->spec.choices[d->choice]);
        d->field = 0;
        return false;
    }
    if (d->spec.reason_required && !d->reason[0]) {
        snprintf(d->problem, sizeof d->problem, "A reason is required");
        d->field = 1;
        return false;
    }
    if (input_reason(d->reason, false, INPUT_REASON_CHARS, sizeof d->reason, d->problem,
                     sizeof d->problem) < 0) {
        if (d->problem[0] >= 'a' && d->problem[0] <= 'z') /* a sentence of its own */
            d->problem[0] = (char)(d->problem[0] - 'a' + 'A');
        d->field = 1;
        return false;
    }
    d->problem[0] = 0;
    return true;
}

static enum dialog_result edit_key(struct dialog *d, int key)
{
    const struct dialog_spec *s = &d->spec;
    bool two_fields = s->ask_reason && (s->kind == DV_NUMBER || s->kind == DV_CHOICE);
    if (key == KEY_ESC) {
        d->open = false;
        return DR_CANCEL;
    }
    if (key == '\t' || key == KEY_BTAB || key == KEY_UP || key == KEY_DOWN) {
        if (two_fields)
            d->field = !d->field;
        return DR_NONE;
    }
    if (is_enter(key)) {
        if (s->kind == DV_TEXT) {
            d->open = false;
            return DR_TEXT;
        }
        if (d->field == 0 && two_fields) {
            /* on to what is still needed: the confirmation when the entry is
             * complete (an optional reason left empty), else the reason */
            if (complete(d))
                d->stage = DS_CONFIRM;
            else if (d->problem[0] && d->field == 1)
                d->problem[0] = 0;
            return DR_NONE;
        }
        if (complete(d))
            d->stage = DS_CONFIRM;
        return DR_NONE;
    }
    if (s->nclasses > 0 && d->field == 0 && (key == KEY_LEFT || key == KEY_RIGHT)) {
        d->cls = (d->cls + (key == KEY_LEFT ? s->nclasses - 1 : 1)) % s->nclasses;
        return DR_NONE;
    }
    if (s->kind == DV_CHOICE && d->field == 0) {
        if (key == KEY_LEFT || key == KEY_RIGHT || key == ' ') {
            int step = key == KEY_LEFT ? s->nchoices - 1 : 1;
            d->choice = (d->choice + step) % (s->nchoices > 0 ? s->nchoices : 1);
        } else {
            for (int i = 0; i < s->nchoices; i++)
                if (key >= 'a' && key <= 'z' && (s->choices[i][0] | 0x20) == key)
                    d->choice = i;
        }
        d->problem[0] = 0;
        return DR_NONE;
    }
    size_t cap;
    char *f = field_text(d, &cap);
    size_t len = strlen(f);
    /* the reason takes UTF-8 as the terminal sends it, a byte per key (an
     * invalid sequence is refused by input_reason before CONFIRM) */
    bool text_byte = (key >= 32 && key < 127) || (d->field == 1 && key >= 0x80 && key <= 0xFF);
    if (is_backspace(key)) {
        while (len > 0 && ((unsigned char)f[len - 1] & 0xC0) == 0x80) /* a whole character */
            f[--len] = 0;
        if (len > 0)
            f[len - 1] = 0;
    } else if (key == 21) { /* Ctrl-U */
        f[0] = 0;
    } else if (text_byte) {
        bool starts_char = (key & 0xC0) != 0x80;
        if (d->field == 1 && starts_char && chars(f) >= INPUT_REASON_CHARS) {
            snprintf(d->problem, sizeof d->problem, "A reason has at most %d characters",
                     INPUT_REASON_CHARS);
            return DR_NONE;
        }
        if (len + 1 < cap) {
            f[len] = (char)key;
            f[len + 1] = 0;
        }
    } else {
        return DR_NONE;
    }
    if (d->field == 0)
        recheck(d);
    else if (!strncmp(d->problem, "A reason ", 9) || !strncmp(d->problem, "The reason ", 11))
        d->problem[0] = 0; /* the reason's problem is being fixed */
    return DR_NONE;
}

/* After a refusal on a moved base: the value now becomes the base (and the
 * dialog's current value), the entry is kept, and the operator is back in
 * EDIT to decide again.  False when the live value cannot be the base. */
static bool rebase(struct dialog *d)
{
    struct dialog_spec *s = &d->spec;
    char why[120];
    double v;
    if (s->kind == DV_NUMBER && s->has_old) {
        if (input_number(d->live, &v, why, sizeof why) < 0)
            return false;
        s->old = v;
    } else if (s->kind == DV_CHOICE && s->has_old) {
        int found = -1;
        for (int i = 0; i < s->nchoices; i++)
            if (!strcasecmp(s->choices[i], d->live))
                found = i;
        if (found < 0)
            return false;
        s->old = found;
    }
    snprintf(s->base, sizeof s->base, "%s", d->live);
    d->moved = false;
    d->stage = s->kind == DV_NONE ? DS_CONFIRM : DS_EDIT;
    d->field = s->kind == DV_NONE ? 1 : 0;
    snprintf(d->problem, sizeof d->problem, "Now %s: look again; the entry is kept", d->live);
    return true;
}

enum dialog_result dialog_key(struct dialog *d, int key)
{
    if (!d->open)
        return DR_NONE;
    switch (d->stage) {
    case DS_EDIT:
        return edit_key(d, key);
    case DS_CONFIRM:
        if (key == 'y' || key == 'Y' || (d->spec.hotkey && key == d->spec.hotkey)) {
            d->problem[0] = 0;
            d->stage = DS_WAIT;
            return DR_SEND;
        }
        if (is_enter(key)) { /* never a confirmation: say which key is */
            if (d->spec.hotkey)
                snprintf(d->problem, sizeof d->problem,
                         "Enter does not send: type y or %c to send, n to go back",
                         d->spec.hotkey);
            else
                snprintf(d->problem, sizeof d->problem,
                         "Enter does not send: type y to send, n to go back");
            return DR_NONE;
        }
        if (d->spec.kind == DV_NONE && (key == KEY_ESC || key == 'n' || key == 'N')) {
            d->open = false; /* nothing to go back to */
            return DR_CANCEL;
        }
        if (key == '\t' && d->spec.kind == DV_NONE && d->spec.ask_reason) {
            d->problem[0] = 0;
            d->stage = DS_EDIT; /* add a reason; Enter comes back here */
            return DR_NONE;
        }
        if (key == 'n' || key == 'N' || key == KEY_ESC || is_backspace(key)) {
            d->problem[0] = 0;
            d->stage = DS_EDIT;
        }
        return DR_NONE;
    case DS_WAIT:
        if (key == KEY_ESC) {
            d->open = false;
            return DR_CANCEL;
        }
        return DR_NONE;
    case DS_RESULT:
        if (d->moved && !d->ok && key != KEY_ESC && rebase(d))
            return DR_NONE; /* refused on a moved base: again, on the value now */
        d->open = false;
        return DR_CLOSE;
    }
    return DR_NONE;
}

void dialog_request(const struct dialog *d, struct snap_req *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->verb, sizeof r->verb, "%s", d->spec.verb);
    snprintf(r->target, sizeof r->target, "%s", d->spec.target);
    if (d->spec.kind == DV_NUMBER)
        trim(r->value, sizeof r->value, d->value); /* checked by dialog_check() */
    else if (d->spec.kind == DV_CHOICE && d->choice >= 0 && d->choice < d->spec.nchoices)
        snprintf(r->value, sizeof r->value, "%s", d->spec.choices[d->choice]);
    else if (d->spec.kind == DV_NONE)
        snprintf(r->value, sizeof r->value, "%s", d->spec.value);
    snprintf(r->reason, sizeof r->reason, "%s", d->reason);
    snprintf(r->expect, sizeof r->expect, "%s", d->spec.base); /* what the operator saw */
    if (d->spec.nclasses > 0 && d->cls >= 0 && d->cls < d->spec.nclasses)
        snprintf(r->scrap, sizeof r->scrap, "%s", d->spec.classes[d->cls]);
}

void dialog_sent(struct dialog *d, long id, const char *send_error)
{
    if (send_error) {
        d->stage = DS_RESULT;
        d->ok = false;
        snprintf(d->reply, sizeof d->reply, "Not sent: %s", send_error);
        return;
    }
    d->stage = DS_WAIT;
    d->req_id = id;
}

bool dialog_reply(struct dialog *d, const struct snap_reply *r)
{
    if (!d->open || d->stage != DS_WAIT || r->id != d->req_id)
        return false;
    d->ok = r->ok;
    snprintf(d->reply, sizeof d->reply, "%s", r->text);
    if (r->ok) {
        d->open = false;
        return true;
    }
    d->stage = DS_RESULT;
    return false;
}

void dialog_confirm_text(const struct dialog *d, char *buf, size_t n, const char *arrow)
{
    const struct dialog_spec *s = &d->spec;
    const char *subject = s->what[0] ? s->what : s->target;
    char o[32], v[32];
    switch (s->kind) {
    case DV_NUMBER:
        fmtnum(v, sizeof v, d->parsed, s->dec);
        if (s->has_old) {
            fmtnum(o, sizeof o, s->old, s->dec);
            snprintf(buf, n, "%s %s %s %s%s%s?", subject, o, arrow, v, sp_unit(s), s->unit);
        } else if (s->nclasses > 0 && d->cls >= 0 && d->cls < s->nclasses) {
            snprintf(buf, n, "%s %s%s%s of %s scrap?", subject, v, sp_unit(s), s->unit,
                     s->classes[d->cls]);
        } else {
            snprintf(buf, n, "%s %s%s%s?", subject, v, sp_unit(s), s->unit);
        }
        return;
    case DV_CHOICE:
        if (s->has_old && (int)s->old >= 0 && (int)s->old < s->nchoices)
            snprintf(buf, n, "%s %s %s %s?", subject, s->choices[(int)s->old], arrow,
                     s->choices[d->choice]);
        else
            snprintf(buf, n, "%s %s?", subject, s->choices[d->choice]);
        return;
    case DV_NONE:
    case DV_TEXT:
        snprintf(buf, n, "%s?", subject);
        return;
    }
}

void dialog_limits_text(const struct dialog_spec *s, char *buf, size_t n)
{
    char a[32], b[32], st[32];
    const char *lim = s->lim_name[0] ? s->lim_name : "limits";
    buf[0] = 0;
    if (s->kind != DV_NUMBER)
        return;
    fmtnum(a, sizeof a, s->lo, s->dec);
    fmtnum(b, sizeof b, s->hi, s->dec);
    int k = 0;
    if (s->has_lo && s->has_hi && s->lo_open)
        k = snprintf(buf, n, "%s: more than %s, at most %s%s%s", lim, a, b, sp_unit(s), s->unit);
    else if (s->has_lo && s->has_hi)
        k = snprintf(buf, n, "%s %s to %s%s%s", lim, a, b, sp_unit(s), s->unit);
    else if (s->has_hi)
        k = snprintf(buf, n, "at most %s%s%s", b, sp_unit(s), s->unit);
    else if (s->has_lo)
        k = snprintf(buf, n, "at least %s%s%s", a, sp_unit(s), s->unit);
    if (s->max_step > 0 && s->has_old && k >= 0 && (size_t)k < n) {
        fmtnum(st, sizeof st, s->max_step, s->dec);
        snprintf(buf + k, n - (size_t)k, "%slargest step %s%s%s", k ? ", " : "", st, sp_unit(s),
                 s->unit);
    }
}
