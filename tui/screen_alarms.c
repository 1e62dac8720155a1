/* screen_alarms — the alarm list (ISA-18.2).
 *
 * Active alarms (UNACK, ACKED, RTN_UNACK) sorted by priority, then newest
 * first; under them the shelved, suppressed and out-of-service ones.  A flood
 * (more than ALARM_FLOOD_START in 10 min) gets a banner.  The selected alarm
 * shows its message, what to do, and its shelving.  k acknowledges it, K
 * every alarm, s shelves it (dialog: minutes up to the alarm's limit and a
 * required reason), u unshelves.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "alarm.h"
#include "screens.h"
#include "view.h"

#define DETAIL_ROWS 3

/* The list shown: active ones, then hidden ones; returns the count. */
static int build(const struct ui *u, int *idx, int *nactive)
{
    if (!u->cl->have_snap) {
        *nactive = 0;
        return 0;
    }
    const struct snap *s = &u->cl->snap;
    *nactive = view_alarm_order(s, idx, CFG_MAX_ALARMS);
    return *nactive + view_alarm_hidden(s, idx + *nactive, CFG_MAX_ALARMS - *nactive);
}

static void header(struct ui *u)
{
    const struct snap *s = &u->cl->snap;
    screen_row(u, 0);
    if (!u->cl->have_snap) {
        screen_add(u, SEV_BAD, " No snapshot from the server: alarms unknown");
    } else if (s->flood) {
        screen_add(u, SEV_CRIT,
                   " !! ALARM FLOOD: %.0f alarms in 10 min - handle the highest "
                   "priority first",
                   s->alarms_per_10min);
    } else {
        struct view_counts vc;
        char text[100];
        view_alarm_counts(s, &vc);
        view_counts_text(&vc, text, sizeof text);
        screen_add(u, SEV_NONE, " %s;  %.0f raised in the last 10 min", text, s->alarms_per_10min);
    }
    if (u->cl->have_snap && !screen_live(u))
        screen_add(u, SEV_BAD, "  (STALE)");
    screen_eol(u);
}

/* A row of the selected alarm's lines; one too long for the terminal is cut
 * and ends in "[Enter]", which shows the alarm whole.  True when it fitted. */
static bool fit_row(struct ui *u, enum wg_sev sev, const char *text)
{
    int room = u->cols - 1;
    if (wg_width(text) <= room) {
        screen_add(u, sev, "%s", text);
        return true;
    }
    char b[WG_LINE];
    wg_fit(b, sizeof b, text, room - 8, false);
    screen_add(u, sev, "%s", b);
    screen_add(u, SEV_NOTE, " [Enter]");
    return false;
}

static void detail(struct ui *u, const struct snap_alarm *a, int y)
{
    const struct cfg_alarm *d = a ? view_alarm_def(u->cfg, a->name) : NULL;
    screen_row(u, y);
    char whole[WG_LINE * 2];
    if (a) {
        char now[160] = "";
        screen_alarm_value_text(u, d, now, sizeof now);
        snprintf(whole, sizeof whole, " %s: %s%s%s%s", a->name,
                 d ? d->message : "(not in this config)", now[0] ? "  [" : "", now,
                 now[0] ? "]" : "");
    }
    if (a && wg_width(whole) > u->cols - 1) {
        fit_row(u, SEV_NONE, whole);
    } else if (a) {
        screen_add(u, SEV_NONE, " %s: %s", a->name, d ? d->message : "(not in this config)");
        if (d && d->kind == ALARM_OVERRIDE && d->loop[0]) {
            char now[160];
            screen_alarm_value_text(u, d, now, sizeof now);
            screen_add(u, SEV_NONE, "  [%s]", now);
        } else if (d && d->tag[0]) {
            char now[48];
            enum wg_sev vs = screen_fmt(u, d->tag, now, sizeof now);
            screen_add(u, SEV_NONE, "  [%s now ", d->tag);
            screen_add(u, vs, "%s", now);
            if (d->kind == ALARM_HI || d->kind == ALARM_LO)
                screen_add(u, SEV_NONE, ", limit %g",
                           alarm_limit_in(d, (enum cfg_phase)u->cl->snap.phase));
            screen_add(u, SEV_NONE, "]");
        }
    }
    screen_eol(u);
    screen_row(u, y + 1);
    if (d) {
        snprintf(whole, sizeof whole, " Action: %s", d->action);
        fit_row(u, SEV_NONE, whole);
    }
    screen_eol(u);
    screen_row(u, y + 2);
    if (a && a->state == ALARM_SHELVED) {
        char left[16];
        wg_age(left, sizeof left, a->shelved_until - u->cl->snap.t);
        snprintf(whole, sizeof whole, " Shelved by %s: %s; %s left (u unshelves)",
                 *a->shelved_by ? a->shelved_by : "?", *a->shelve_reason ? a->shelve_reason : "-",
                 left);
        fit_row(u, SEV_NOTE, whole);
    } else if (d) {
        screen_add(u, SEV_NONE, " Priority %s%s; operators may shelve it up to %g min",
                   cfg_priority_name(d->priority), d->latching ? ", latching" : "",
                   d->max_shelve_min);
    }
    screen_eol(u);
}

static void draw(struct ui *u)
{
    int idx[CFG_MAX_ALARMS], nact;
    int n = build(u, idx, &nact);
    int *sel = &u->sel[SCR_ALARMS];
    if (*sel >= n)
        *sel = n > 0 ? n - 1 : 0;
    header(u);
    screen_row(u, 1);
    /* the columns of screen_alarm_line */
    screen_add(u, SEV_NONE, "    %-4s %-9s %-2s %-16s %8s %4s %-11s %s", "PRIO", "STATE", "FO", "NAME",
               "RAISED", "AGE", "VALUE NOW", "MESSAGE");
    screen_eol(u);
    int rows = u->height - 3 - DETAIL_ROWS;
    screen_follow(*sel, rows, &u->scroll[SCR_ALARMS]);
    int y = 2;
    for (int k = u->scroll[SCR_ALARMS]; k < n && y < 2 + rows; k++) {
        if (k == nact && y < 2 + rows) {
            screen_row(u, y++);
            screen_add(u, SEV_NONE, " -- shelved, suppressed, out of service --");
            screen_eol(u);
            if (y >= 2 + rows)
                break;
        }
        screen_row(u, y++);
        screen_alarm_line(u, &u->cl->snap.alarms[idx[k]], k == *sel);
    }
    if (n == 0 && u->cl->have_snap) {
        screen_row(u, y++);
        screen_add(u, SEV_NONE, " No active alarms.");
        screen_eol(u);
    }
    for (; y < u->height - DETAIL_ROWS; y++) {
        screen_row(u, y);
        screen_eol(u);
    }
    detail(u, n ? &u->cl->snap.alarms[idx[*sel]] : NULL, u->height - DETAIL_ROWS);
}

static void shelve(struct ui *u, const struct snap_alarm *a)
{
    const struct cfg_alarm *d = view_alarm_def(u->cfg, a->name);
    bool engineer = u->cl->have_hello && !strcmp(u->cl->hello.role, "engineer");
    double max = d ? d->max_shelve_min : 0;
    if (engineer)
        max = ALARM_SHELVE_LIMIT_MIN;
    if (max <= 0) {
        screen_msg(u, SEV_NOTE, "%s cannot be shelved by an operator (max_shelve_min = 0)",
                   a->name);
        return;
    }
    struct dialog_spec s = {
        .kind = DV_NUMBER,
        .verb = "shelve",
        .dec = 0,
        .has_lo = true,
        .has_hi = true,
        .lo = 0,
        .lo_open = true,
        .hi = max,
        .ask_reason = true,
        .reason_required = true,
    };
    snprintf(s.title, sizeof s.title, "Shelve %s: hide it for a time", a->name);
    snprintf(s.target, sizeof s.target, "%s", a->name);
    snprintf(s.what, sizeof s.what, "Shelve %s for", a->name);
    snprintf(s.unit, sizeof s.unit, "min");
    snprintf(s.lim_name, sizeof s.lim_name, "shelving limits");
    snprintf(s.initial, sizeof s.initial, "%d", max >= 30 ? 30 : (int)max);
    screen_dialog(u, &s);
}

static bool key(struct ui *u, int ch)
{
    int idx[CFG_MAX_ALARMS], nact;
    int n = build(u, idx, &nact);
    if (screen_nav(ch, &u->sel[SCR_ALARMS], n, u->height / 2))
        return true;
    if (ch != 'k' && ch != 'K' && ch != 's' && ch != 'u' && ch != 'g' && ch != 'O' &&
        ch != '\n')
        return false;
    if (ch == 'K') { /* every alarm at once: asks first (K again or y sends) */
        if (screen_may_write(u, "acknowledge all")) {
            int waiting = u->cl->snap.n_unacked;
            struct dialog_spec all = {.kind = DV_NONE, .verb = "ack", .target = "all",
                                      .hotkey = 'K'};
            snprintf(all.title, sizeof all.title, "Acknowledge all: %d alarm%s awaiting "
                     "acknowledgement", waiting, waiting == 1 ? "" : "s");
            snprintf(all.what, sizeof all.what, "Acknowledge all %d", waiting);
            screen_dialog(u, &all);
        }
        return true;
    }
    if (n == 0) {
        screen_msg(u, SEV_NONE, "No alarm selected");
        return true;
    }
    const struct snap_alarm *a = &u->cl->snap.alarms[idx[u->sel[SCR_ALARMS]]];
    if (ch == '\n') {
        screen_alarm_detail(u, a);
        return true;
    }
    if (ch == 'g') {
        const struct cfg_alarm *d = view_alarm_def(u->cfg, a->name);
        if (d && d->tag[0])
            screen_trend_open(u, d->tag);
        else
            screen_msg(u, SEV_NONE, "%s watches no tag (link, staleness or disk): no trend",
                       a->name);
        return true;
    }
    if (ch == 'O') { /* out of service, or back in (engineer) */
        if (!screen_may_engineer(u, "out of service"))
            return true;
        bool oos = a->state == ALARM_OOS;
        struct dialog_spec s = {.kind = DV_NONE, .verb = "oos", .ask_reason = true,
                                .hotkey = 'O'};
        snprintf(s.target, sizeof s.target, "%s", a->name);
        snprintf(s.value, sizeof s.value, "%s", oos ? "off" : "on");
        snprintf(s.base, sizeof s.base, "%s", alarm_state_name((enum alarm_state)a->state));
        snprintf(s.title, sizeof s.title, "%s %s", oos ? "Back in service:" : "Out of service:",
                 a->name);
        snprintf(s.what, sizeof s.what, "%s %s", a->name,
                 oos ? "back in service" : "out of service");
        screen_dialog(u, &s);
        return true;
    }
    if (ch == 'k') {
        if (a->state != ALARM_UNACK && a->state != ALARM_RTN_UNACK)
            screen_msg(u, SEV_NONE, "%s is %s: nothing to acknowledge", a->name,
                       alarm_state_name((enum alarm_state)a->state));
        else if (screen_may_write(u, "acknowledge")) /* on the state shown */
            screen_send_expect(u, "ack", a->name, "", alarm_state_name((enum alarm_state)a->state));
    } else if (ch == 's') {
        if (screen_may_write(u, "shelve"))
            shelve(u, a);
    } else if (a->state != ALARM_SHELVED) {
        screen_msg(u, SEV_NONE, "%s is not shelved", a->name);
    } else if (screen_may_write(u, "unshelve")) {
        screen_send_expect(u, "unshelve", a->name, "", "SHELVED");
    }
    return true;
}

static const struct screen_key keys[] = {
    {"Up/Down", "select", "select an alarm", false},
    {"Enter", "detail", "the selected alarm whole: state, message, action, raised, value now", false},
    {"k", "ack", "acknowledge the selected alarm", true},
    {"K", "ack all", "acknowledge every alarm (asks first: K again or y)", true},
    {"s", "shelve", "shelve the selected alarm (minutes and a reason)", true},
    {"u", "unshelve", "unshelve the selected alarm", true},
    {"O", "oos", "take the selected alarm out of service, or back in (engineer; a reason)", true},
    {"g", "trend", "trend of the selected alarm's tag", false},
};

const struct screen screen_alarms = {
    .name = "alarms",
    .title = "Alarms",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
