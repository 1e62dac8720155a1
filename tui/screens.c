/* screens — the table of screens and the helpers they draw with (see
 * screens.h).
 *
 * Display deadband: a value is shown through wg_deadband() keyed by its
 * config tag index, so noise in the last digit does not repaint it each
 * frame; a value that is not live is shown as its quality word and age.
 */
#include "screens.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alarm.h"
#include "tag.h"
#include "view.h"

static const struct screen *const table[SCR_COUNT] = {
    [SCR_OVERVIEW] = &screen_overview, [SCR_LOOPS] = &screen_loops,
    [SCR_COMMANDS] = &screen_commands, [SCR_ALARMS] = &screen_alarms,
    [SCR_TRENDS] = &screen_trends,     [SCR_EVENTS] = &screen_events,
    [SCR_DIAG] = &screen_diag,         [SCR_HELP] = &screen_help,
};

const struct screen *screen_get(enum screen_id id)
{
    return (unsigned)id < SCR_COUNT ? table[id] : table[SCR_OVERVIEW];
}

int screen_by_name(const char *name)
{
    for (int i = 0; i < SCR_COUNT; i++)
        if (!strcmp(table[i]->name, name))
            return i;
    return -1;
}

void screen_at(struct ui *u, int y, int x, int xmax)
{
    u->y = y;
    u->x = x;
    u->xmax = xmax > u->cols ? u->cols : xmax;
}

void screen_row(struct ui *u, int y)
{
    screen_at(u, u->top + y, 0, u->cols);
}

void screen_text(struct ui *u, int attr, const char *s)
{
    char tmp[2048], fit[2048];
    if (u->x >= u->xmax || u->y < 0 || u->y >= u->rows)
        return;
    if (u->ascii) {
        wg_ascii(tmp, sizeof tmp, s);
        s = tmp;
    } else if (!u->literal) {
        wg_utf8_signs(tmp, sizeof tmp, s);
        s = tmp;
    }
    int w = wg_fit(fit, sizeof fit, s, u->xmax - u->x, false);
    if (w <= 0)
        return;
    attrset(attr);
    mvaddstr(u->y, u->x, fit);
    attrset(A_NORMAL);
    u->x += w;
}

void screen_add(struct ui *u, enum wg_sev sev, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    screen_text(u, u->attr[sev], buf);
}

void screen_pad(struct ui *u, int x)
{
    static const char spaces[] = "                                                                ";
    if (x > u->xmax)
        x = u->xmax;
    while (u->x < x) {
        int n = x - u->x < (int)sizeof spaces - 1 ? x - u->x : (int)sizeof spaces - 1;
        char chunk[sizeof spaces];
        memcpy(chunk, spaces, (size_t)n);
        chunk[n] = 0;
        screen_text(u, A_NORMAL, chunk);
    }
}

void screen_eol(struct ui *u)
{
    screen_pad(u, u->xmax);
}

void screen_blank_from(struct ui *u, int from)
{
    for (int y = from; y < u->height; y++) {
        screen_row(u, y);
        screen_eol(u);
    }
}

int screen_lines(struct ui *u, int y, int x, int w, const struct wg_lines *l, int max)
{
    int k = 0;
    for (; k < l->n && k < max; k++) {
        screen_at(u, y + k, x, x + w);
        const char *s = l->line[k];
        if (l->sev[k] == SEV_NONE || l->mark_len[k] <= 0) {
            screen_text(u, A_NORMAL, s);
        } else {
            char a[WG_LINE], b[WG_LINE];
            int ca = wg_fit(a, sizeof a, s, l->mark_col[k], false);
            screen_text(u, A_NORMAL, a);
            const char *rest = s + strlen(a);
            if (ca == l->mark_col[k]) {
                wg_fit(b, sizeof b, rest, l->mark_len[k], false);
                screen_text(u, u->attr[l->sev[k]], b);
                screen_text(u, A_NORMAL, rest + strlen(b));
            }
        }
        screen_eol(u);
    }
    return k;
}

bool screen_live(const struct ui *u)
{
    return client_live(u->cl, u->now);
}

struct screen_val screen_val(struct ui *u, const char *tag)
{
    struct screen_val r = {.q = Q_STALE, .unit = "", .dec = 0};
    int ci = cfg_tag_index(u->cfg, tag);
    if (ci < 0)
        return r;
    r.found = true;
    r.def = &u->cfg->tags[ci];
    double scale = 1;
    const char *unit = wg_tonnes(r.def->unit, &scale); /* kg: shown as t */
    r.unit = wg_unit(unit, u->g);
    r.dec = wg_decimals(unit, r.def->has_range ? (r.def->range_hi - r.def->range_lo) * scale : 0);
    const struct client *cl = u->cl;
    int si = cl->have_snap ? view_tag(&cl->snap, tag, ci) : -1;
    bool live = screen_live(u);
    if (si < 0) {
        r.age = client_snap_age(cl, u->now);
        return r;
    }
    const struct snap_tag *t = &cl->snap.tags[si];
    r.q = view_quality(t->q, live);
    r.age = t->age_s + (live ? 0 : client_snap_age(cl, u->now));
    r.v = wg_deadband(&u->shown[ci], &u->shown_init[ci], t->v * scale, r.dec);
    return r;
}

enum wg_sev screen_fmt(struct ui *u, const char *tag, char *buf, size_t n)
{
    struct screen_val v = screen_val(u, tag);
    return wg_value(buf, n, v.v, v.q, v.age, v.dec, v.unit);
}

enum wg_sev screen_bool(struct ui *u, const char *tag, const char *on_word, const char *off_word,
                        char *buf, size_t n)
{
    struct screen_val v = screen_val(u, tag);
    if (v.q != Q_GOOD)
        return wg_value(buf, n, v.v, v.q, v.age, 0, "");
    snprintf(buf, n, "%s", v.v > 0.5 ? on_word : off_word);
    return SEV_NONE;
}

void screen_clock(const struct ui *u, double t, char *buf, size_t n)
{
    const struct snap *s = &u->cl->snap;
    snprintf(buf, n, "--:--:--");
    if (!u->cl->have_snap || !(s->wall > 0) || !(t > 0))
        return;
    time_t w = (time_t)(s->wall - (s->t - t) + 0.5);
    struct tm tm;
    if (localtime_r(&w, &tm))
        strftime(buf, n, "%H:%M:%S", &tm);
}

/* The time an alarm was raised: the server's raise time, or (a server
 * older than the field) its last change. */
static double raised_at(const struct snap_alarm *a)
{
    return a->t_raised > 0 ? a->t_raised : a->t;
}

/* The raise's wall-clock time, taken once per raise: the offset between
 * process time and the wall clock jitters by a cycle's lateness from one
 * snapshot to the next, and a time of day that flickers a second on the
 * next frame (or on an acknowledgement) would not be the same raise. */
static void raised_clock(const struct ui *u, const struct snap_alarm *a, char *buf, size_t n)
{
    static struct {
        char name[CFG_NAME_MAX];
        double tr;
        char clock[16];
    } memo[CFG_MAX_ALARMS];
    double tr = raised_at(a);
    int slot = -1;
    for (int i = 0; i < CFG_MAX_ALARMS; i++) {
        if (!strcmp(memo[i].name, a->name)) {
            slot = i;
            break;
        }
        if (slot < 0 && !memo[i].name[0])
            slot = i;
    }
    if (slot < 0)
        slot = 0;
    if (strcmp(memo[slot].name, a->name) != 0 || memo[slot].tr != tr || !memo[slot].clock[0] ||
        memo[slot].clock[0] == '-') {
        snprintf(memo[slot].name, sizeof memo[slot].name, "%s", a->name);
        memo[slot].tr = tr;
        screen_clock(u, tr, memo[slot].clock, sizeof memo[slot].clock);
    }
    snprintf(buf, n, "%s", memo[slot].clock);
}

/* An override alarm's "value now": how far its loop's setpoint is cut now (the
 * setpoint less the effective one), in the loop PV's unit ("SP -25 K"; a
 * temperature difference is in K); "-" when the server reports no such loop.
 * `loop`, when not NULL, gets the loop's flags (LF_COMB_CUT says O2/CO). */
static enum wg_sev override_value(struct ui *u, const struct cfg_alarm *d, char *buf, size_t n,
                                  unsigned *flags)
{
    int i = u->cl->have_snap ? view_loop(&u->cl->snap, d->loop) : -1;
    if (flags)
        *flags = i >= 0 ? u->cl->snap.loops[i].flags : 0;
    if (i < 0) {
        snprintf(buf, n, "-");
        return SEV_NONE;
    }
    const struct snap_loop *l = &u->cl->snap.loops[i];
    const struct cfg_loop *cl = cfg_loop_find(u->cfg, d->loop);
    const struct cfg_tag *t = cl ? cfg_tag_find(u->cfg, cl->pv) : NULL;
    const char *unit = t ? t->unit : "";
    bool temp = !strcmp(unit, "degC");
    double cut = l->sp - l->wsp;
    if (cut < 0)
        cut = 0;
    snprintf(buf, n, "SP -%.0f %s", cut, temp ? "K" : wg_unit(unit, u->g));
    return cut >= alarm_limit_in(d, (enum cfg_phase)u->cl->snap.phase) ? SEV_NOTE : SEV_NONE;
}

/* A tag's value now as an alarm shows it: a two-state tag as ON or OFF (a
 * trip reads "ON", not "1"), any other as screen_fmt has it. */
static enum wg_sev tag_now(struct ui *u, const char *tag, char *buf, size_t n)
{
    const struct cfg_tag *t = cfg_tag_find(u->cfg, tag);
    if (t && t->type == TAG_BOOL)
        return screen_bool(u, tag, "ON", "OFF", buf, n);
    return screen_fmt(u, tag, buf, n);
}

/* An alarm's value now: its tag's, or for an override alarm its loop's cut. */
static enum wg_sev alarm_value(struct ui *u, const struct cfg_alarm *d, char *buf, size_t n)
{
    buf[0] = 0;
    if (d && d->kind == ALARM_OVERRIDE && d->loop[0])
        return override_value(u, d, buf, n, NULL);
    if (d && d->tag[0])
        return tag_now(u, d->tag, buf, n);
    return SEV_NONE;
}

void screen_alarm_value_text(struct ui *u, const struct cfg_alarm *d, char *buf, size_t n)
{
    buf[0] = 0;
    if (d && d->kind == ALARM_OVERRIDE && d->loop[0]) {
        char v[40];
        unsigned fl;
        override_value(u, d, v, sizeof v, &fl);
        const char *by = fl & LF_COMB_CUT   ? "cut by the O2/CO override"
                         : fl & LF_OVERRIDE ? "cut by the roof override"
                                            : "no override acting";
        snprintf(buf, n, "loop %s: %s now, %s; the alarm from a cut of %g", d->loop, v, by,
                 alarm_limit_in(d, (enum cfg_phase)u->cl->snap.phase));
    } else if (d && d->tag[0]) {
        char v[40];
        tag_now(u, d->tag, v, sizeof v);
        snprintf(buf, n, "%s now %s", d->tag, v);
    }
}

void screen_alarm_line(struct ui *u, const struct snap_alarm *a, bool sel)
{
    const struct cfg_alarm *d = view_alarm_def(u->cfg, a->name);
    enum wg_sev sev = wg_prio_sev(a->prio);
    char age[16], when[16], val[48] = "";
    double tr = raised_at(a);
    wg_age(age, sizeof age, u->cl->snap.t - tr);
    raised_clock(u, a, when, sizeof when);
    enum wg_sev vs = alarm_value(u, d, val, sizeof val);
    bool unacked = a->state == ALARM_UNACK || a->state == ALARM_RTN_UNACK;
    screen_add(u, SEV_NONE, "%s", sel ? ">" : " ");
    screen_add(u, unacked ? sev : SEV_NONE, "%-2s %-4s", wg_prio_glyph(a->prio),
               wg_prio_word(a->prio));
    screen_add(u, SEV_NONE, " %-9s %-2s %-16s %8s %4s ",
               alarm_state_name((enum alarm_state)a->state), a->first_out ? "FO" : "", a->name,
               when, age);
    int x = u->x;
    screen_add(u, vs, "%s", val);
    screen_pad(u, x + 11);
    screen_add(u, SEV_NONE, " %s", d ? d->message : "");
    screen_eol(u);
}

void screen_alarm_detail(struct ui *u, const struct snap_alarm *a)
{
    const struct cfg_alarm *d = view_alarm_def(u->cfg, a->name);
    char when[16], age[16], val[120] = "", shelf[300] = "";
    double tr = raised_at(a);
    raised_clock(u, a, when, sizeof when);
    wg_age(age, sizeof age, u->cl->snap.t - tr);
    screen_alarm_value_text(u, d, val, sizeof val - 2);
    if (val[0])
        strcat(val, "; ");
    if (a->state == ALARM_SHELVED) {
        char left[16];
        wg_age(left, sizeof left, a->shelved_until - u->cl->snap.t);
        snprintf(shelf, sizeof shelf, "\nShelved by %s: %s; %s left.",
                 *a->shelved_by ? a->shelved_by : "?", *a->shelve_reason ? a->shelve_reason : "-",
                 left);
    }
    screen_detail(u, a->name,
                  "%s %s, %s.%s\n%s\nAction: %s\n%sraised at %s (%s ago); priority %s%s; "
                  "operators may shelve it up to %g min.%s",
                  wg_prio_word(a->prio), alarm_state_name((enum alarm_state)a->state),
                  a->state == ALARM_RTN_UNACK ? "the condition has cleared, awaiting acknowledgement"
                  : a->state == ALARM_ACKED   ? "the condition holds, acknowledged"
                  : a->state == ALARM_UNACK   ? "the condition holds, unacknowledged"
                                              : "hidden from the active list",
                  a->first_out ? " First out: raised first of its group." : "",
                  d ? d->message : "(not in this console's config)", d ? d->action : "-", val,
                  when, age, d ? cfg_priority_name(d->priority) : wg_prio_word(a->prio),
                  d && d->latching ? ", latching" : "", d ? d->max_shelve_min : 0, shelf);
}

void screen_detail(struct ui *u, const char *title, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->detail_text, sizeof u->detail_text, fmt, ap);
    va_end(ap);
    snprintf(u->detail_title, sizeof u->detail_title, "%s", title);
    u->detail = true;
}

void screen_msg(struct ui *u, enum wg_sev sev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->msg, sizeof u->msg, fmt, ap);
    va_end(ap);
    u->msg_sev = sev;
    u->msg_t = u->now;
    if (sev != SEV_NONE)
        screen_msg_keep(u);
}

void screen_msg_keep(struct ui *u)
{
    snprintf(u->last_msg, sizeof u->last_msg, "%s", u->msg);
    u->last_msg_t = u->now;
}

bool screen_may_write(struct ui *u, const char *what)
{
    const struct client *cl = u->cl;
    if (cl->have_hello && !strcmp(cl->hello.role, "viewer")) {
        const char *grp = u->cfg->server.operator_group;
        screen_msg(u, SEV_NOTE,
                   "%s: not available to a viewer (user %s is not in the operator group%s%s)", what,
                   cl->hello.user, grp[0] ? " " : "", grp);
        return false;
    }
    if (!client_connected(cl)) {
        screen_msg(u, SEV_HIGH, "%s: not available: %s", what, cl->err);
        return false;
    }
    return true;
}

bool screen_may_engineer(struct ui *u, const char *what)
{
    const struct client *cl = u->cl;
    if (!screen_may_write(u, what))
        return false;
    if (cl->have_hello && strcmp(cl->hello.role, "engineer") != 0) {
        const char *grp = u->cfg->server.engineer_group;
        screen_msg(u, SEV_NOTE, "%s: needs the engineer role (user %s is %s, not in the "
                   "engineer group%s%s)", what, cl->hello.user, cl->hello.role,
                   grp[0] ? " " : "", grp);
        return false;
    }
    return true;
}

void screen_dialog(struct ui *u, const struct dialog_spec *s)
{
    dialog_open(&u->dlg, s);
}

void screen_send(struct ui *u, const char *verb, const char *target, const char *value)
{
    screen_send_expect(u, verb, target, value, NULL);
}

void screen_send_expect(struct ui *u, const char *verb, const char *target, const char *value,
                        const char *expect)
{
    char err[300];
    long id = client_send_expect(u->cl, verb, target, value, "", expect, err, sizeof err);
    if (id < 0)
        screen_msg(u, SEV_HIGH, "%s %s not sent: %s", verb, target, err);
    else
        screen_msg(u, SEV_NONE, "%s %s sent; waiting for the server ...", verb, target);
}

bool screen_trend_open(struct ui *u, const char *tag)
{
    if (!tag || !tag[0] || !cfg_tag_find(u->cfg, tag)) {
        screen_msg(u, SEV_NONE, "%s: no tag to trend", tag && tag[0] ? tag : "this item");
        return false;
    }
    int p = trend_add_pen(u->tr, tag);
    if (p < 0) {
        screen_msg(u, SEV_NONE, "%s: the trend has its %d pens already", tag, TREND_PENS);
        return false;
    }
    u->sel[SCR_TRENDS] = p;
    if (u->cur != SCR_TRENDS)
        u->prev = u->cur;
    u->cur = SCR_TRENDS;
    return true;
}

bool screen_nav(int ch, int *sel, int n, int page)
{
    int s = *sel;
    switch (ch) {
    case KEY_UP:
        s--;
        break;
    case KEY_DOWN:
        s++;
        break;
    case KEY_PPAGE:
        s -= page > 1 ? page : 1;
        break;
    case KEY_NPAGE:
        s += page > 1 ? page : 1;
        break;
    case KEY_HOME:
        s = 0;
        break;
    case KEY_END:
        s = n - 1;
        break;
    default:
        return false;
    }
    *sel = s >= n ? n - 1 : s;
    if (*sel < 0)
        *sel = 0;
    return true;
}

void screen_follow(int sel, int rows, int *first)
{
    if (rows < 1)
        rows = 1;
    if (sel < *first)
        *first = sel;
    if (sel >= *first + rows)
        *first = sel - rows + 1;
    if (*first < 0)
        *first = 0;
}
