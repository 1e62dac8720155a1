/* screen_commands — every operator command, READY or BLOCKED, and why.
 *
 * The list is the server's: one row per command of the permissive table
 * (perm.h), with each failing condition under a blocked one, live value and
 * limit in the sentence ("firing 78 % > low-fire limit 30 %").  Three phase
 * actions follow that are not PLC commands: starting the next charge while
 * the last one melts (the semi-continuous cycle: MELT -> CHARGE with the
 * hearth empty, view_next_charge), going back to HOLD (from ALLOY, SKIM,
 * TAP) and confirming the chemistry (ALLOY).  Enter on a READY row
 * opens the confirmation (the charge asks for its mass, the pump speed for
 * its percentage); a BLOCKED row is not sent: its conditions are shown.
 * "Advance phase" is sent as the `phase` verb with the next phase's name.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "perm.h"
#include "screens.h"
#include "seq.h"
#include "view.h"

#define MAX_ITEMS (SNAP_MAX_PERMS + 3)
#define MAX_COND 10

enum item_kind { IT_PERM, IT_NEXT_CHARGE, IT_HOLD, IT_CHEMISTRY };

struct item {
    enum item_kind kind;
    const char *name; /* CLI name */
    char label[80];
    bool ready;
    char why[SNAP_WHY_MAX];
};

static bool in_phases(int phase, unsigned set)
{
    return phase >= 0 && (set >> phase) & 1u;
}

static int build(const struct ui *u, struct item *it)
{
    const struct snap *s = &u->cl->snap;
    int n = 0;
    if (!u->cl->have_snap)
        return 0;
    for (int i = 0; i < s->nperms && n < MAX_ITEMS; i++) {
        struct item *x = &it[n++];
        int cmd = perm_cmd_from_name(s->perms[i].cmd);
        x->kind = IT_PERM;
        x->name = s->perms[i].cmd;
        x->ready = s->perms[i].ready;
        snprintf(x->why, sizeof x->why, "%s", s->perms[i].why);
        if (cmd == PERM_PHASE_ADVANCE)
            snprintf(x->label, sizeof x->label, "Advance phase to %s",
                     seq_phase_name(seq_phase_next((enum cfg_phase)s->phase)));
        else
            snprintf(x->label, sizeof x->label, "%s",
                     cmd >= 0 ? perm_cmd_label((enum perm_cmd)cmd) : s->perms[i].cmd);
    }
    struct item *nc = &it[n++];
    nc->kind = IT_NEXT_CHARGE;
    nc->name = "CHARGE";
    snprintf(nc->label, sizeof nc->label, "Start next charge (while melting)");
    nc->ready = view_next_charge(s, nc->why, sizeof nc->why);
    unsigned hold_from = 1u << PH_ALLOY | 1u << PH_SKIM | 1u << PH_TAP;
    struct item *h = &it[n++];
    h->kind = IT_HOLD;
    h->name = "HOLD";
    snprintf(h->label, sizeof h->label, "Go to HOLD (end the cycle here)");
    h->ready = in_phases(s->phase, hold_from);
    snprintf(h->why, sizeof h->why, "%s",
             h->ready ? "" : "Go to HOLD: only from ALLOY, SKIM or TAP");
    struct item *c = &it[n++];
    c->kind = IT_CHEMISTRY;
    c->name = "confirm";
    snprintf(c->label, sizeof c->label, "Confirm the chemistry");
    c->ready = s->phase == PH_ALLOY;
    snprintf(c->why, sizeof c->why, "%s", c->ready ? "" : "Confirm the chemistry: only in ALLOY");
    return n;
}

/* A condition without the "Label: " prefix the permissive sentences carry. */
static const char *strip_label(const char *cond, const char *label)
{
    size_t l = strlen(label);
    if (!strncmp(cond, label, l) && cond[l] == ':' && cond[l + 1] == ' ')
        return cond + l + 2;
    const char *colon = strstr(cond, ": ");
    return colon && colon - cond < 40 ? colon + 2 : cond;
}

static void draw(struct ui *u)
{
    struct item it[MAX_ITEMS];
    char cond[MAX_COND][SNAP_WHY_MAX];
    int n = build(u, it);
    if (u->sel[SCR_COMMANDS] >= n)
        u->sel[SCR_COMMANDS] = n > 0 ? n - 1 : 0;
    screen_row(u, 0);
    if (!u->cl->have_snap)
        screen_add(u, SEV_BAD, " No snapshot from the server: commands unknown");
    else if (!screen_live(u))
        screen_add(u, SEV_BAD, " STALE: the conditions below may have changed");
    else
        screen_add(u, SEV_NONE,
                   " READY: Enter asks to confirm.  BLOCKED: every failing condition is listed.");
    screen_eol(u);

    /* rows of each item, to keep the selected one in view */
    int first_row[MAX_ITEMS + 1], total = 0;
    for (int i = 0; i < n; i++) {
        first_row[i] = total;
        total += 1 + (it[i].ready ? 0 : view_split(it[i].why, cond, MAX_COND));
    }
    first_row[n] = total;
    int rows = u->height - 1, top = u->scroll[SCR_COMMANDS];
    int sel = u->sel[SCR_COMMANDS];
    if (n > 0) {
        if (first_row[sel] < top)
            top = first_row[sel];
        if (first_row[sel + 1] > top + rows)
            top = first_row[sel + 1] - rows;
    }
    if (top < 0)
        top = 0;
    u->scroll[SCR_COMMANDS] = top;

    int y = 1, r = 0;
    for (int i = 0; i < n && y < u->height; i++) {
        int nc = it[i].ready ? 0 : view_split(it[i].why, cond, MAX_COND);
        if (r++ >= top) {
            screen_row(u, y++);
            screen_add(u, SEV_NONE, "%s ", i == sel ? ">" : " ");
            if (it[i].ready)
                screen_add(u, SEV_NONE, "READY   ");
            else
                screen_add(u, SEV_NOTE, "BLOCKED ");
            screen_add(u, SEV_NONE, " %-36s %s", it[i].label, it[i].name);
            screen_eol(u);
        }
        for (int k = 0; k < nc && y < u->height; k++)
            if (r++ >= top) {
                screen_row(u, y++);
                screen_add(u, SEV_NONE, "           - %s", strip_label(cond[k], it[i].label));
                screen_eol(u);
            }
    }
    screen_blank_from(u, y);
}

static void issue(struct ui *u, const struct item *x)
{
    if (!screen_may_write(u, x->label))
        return;
    if (!x->ready) {
        screen_msg(u, SEV_HIGH, "BLOCKED, not sent: %s", x->why);
        return;
    }
    int cmd = x->kind == IT_PERM ? perm_cmd_from_name(x->name) : -1;
    if (cmd == PERM_SETPOINT || cmd == PERM_MODE) {
        screen_msg(u, SEV_NOTE, "%s: on the Loops screen (F3 or l), select a loop, s or m",
                   x->label);
        return;
    }
    struct dialog_spec s = {.kind = DV_NONE, .verb = "cmd", .ask_reason = true};
    snprintf(s.title, sizeof s.title, "%s", x->label);
    snprintf(s.what, sizeof s.what, "%s", x->label);
    snprintf(s.target, sizeof s.target, "%s", x->name);
    if (x->kind == IT_NEXT_CHARGE) {
        snprintf(s.verb, sizeof s.verb, "phase");
        snprintf(s.target, sizeof s.target, "CHARGE");
        snprintf(s.what, sizeof s.what,
                 "Start the next charge while the last one melts (MELT -> "
                 "CHARGE)");
    } else if (x->kind == IT_HOLD) {
        snprintf(s.verb, sizeof s.verb, "phase");
        snprintf(s.target, sizeof s.target, "HOLD");
    } else if (x->kind == IT_CHEMISTRY) {
        snprintf(s.verb, sizeof s.verb, "confirm");
        snprintf(s.target, sizeof s.target, "chemistry");
    } else if (cmd == PERM_PHASE_ADVANCE) {
        snprintf(s.verb, sizeof s.verb, "phase");
        snprintf(s.target, sizeof s.target, "%s",
                 seq_phase_name(seq_phase_next((enum cfg_phase)u->cl->snap.phase)));
    } else if (cmd == PERM_CHARGE) {
        s.kind = DV_NUMBER;
        s.dec = 1;
        s.has_lo = s.has_hi = s.lo_open = true;
        s.lo = 0;
        s.hi = u->cfg->limits.max_charge_t;
        snprintf(s.lim_name, sizeof s.lim_name, "charge limits");
        snprintf(s.unit, sizeof s.unit, "t");
        snprintf(s.title, sizeof s.title, "Charge scrap: mass of this charge");
        snprintf(s.initial, sizeof s.initial, "3");
    } else if (cmd == PERM_PUMP_SPEED) {
        s.kind = DV_NUMBER;
        s.dec = 1;
        s.has_lo = s.has_hi = true;
        s.lo = 0;
        s.hi = 100;
        snprintf(s.unit, sizeof s.unit, "%%");
        snprintf(s.title, sizeof s.title, "Set pump speed");
    }
    screen_dialog(u, &s);
}

static bool key(struct ui *u, int ch)
{
    struct item it[MAX_ITEMS];
    int n = build(u, it);
    if (screen_nav(ch, &u->sel[SCR_COMMANDS], n, u->height / 2))
        return true;
    if (ch != '\n' && ch != KEY_ENTER && ch != 'i')
        return false;
    if (n == 0) {
        screen_msg(u, SEV_BAD, "No snapshot from the server: no command can be issued");
        return true;
    }
    issue(u, &it[u->sel[SCR_COMMANDS] < n ? u->sel[SCR_COMMANDS] : n - 1]);
    return true;
}

static const struct screen_key keys[] = {
    {"Up/Down", "select", "select a command", false},
    {"Enter / i", "issue", "issue the selected command (asks to confirm)", true},
};

const struct screen screen_commands = {
    .name = "commands",
    .title = "Commands",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
