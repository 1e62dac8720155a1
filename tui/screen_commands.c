/* screen_commands — the commands, by phase: the next step first.
 *
 * The list is the server's: one row per command of the permissive table
 * (perm.h), with each failing condition under a blocked one, live value and
 * limit in the sentence ("firing 78 % > low-fire limit 30 %").  Three phase
 * actions follow that are not PLC commands: starting the next charge while
 * the last one melts (the semi-continuous cycle: MELT -> CHARGE with the
 * hearth empty, view_next_charge), going back to HOLD (from ALLOY, SKIM,
 * TAP) and confirming the chemistry (ALLOY).
 *
 * Order: the steps of the current phase (table `steps`, in the order a
 * cycle takes them) come first; then every other command.  NEXT marks the
 * phase's advance once the phase is ready for it, else the first READY step
 * after the last one the plant shows as done (table `done_when`: the
 * charging door open, the scrap on the hearth ...).  So the obvious next step of PYROLYSIS is "Advance phase
 * to PUSH", and "Push scrap" is the step of PUSH (both are READY in
 * PYROLYSIS: the table says which one the cycle uses).
 *
 * Every command has a hotkey (table `hotkeys`, shown in brackets on its
 * row): the key opens its confirmation, and the same key again (or y)
 * sends it; Enter on the selected row does the same as its hotkey, but
 * Enter never confirms (dialog.h).  A charge asks for its mass (to 0.01 t,
 * what the PLC takes: 3.05 t is confirmed, sent and recorded as 3.05), the
 * pump speed for its percentage.  A BLOCKED row is not sent: its
 * conditions are shown.  Each request carries the phase it was offered in
 * (expect=): a command issued in a phase that has since moved on is
 * refused by the server.  "Advance phase" is sent as the `phase` verb with
 * the next phase's name.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "perm.h"
#include "screens.h"
#include "seq.h"
#include "view.h"

#define MAX_ITEMS (SNAP_MAX_PERMS + 5)
#define MAX_COND 10

enum item_kind { IT_PERM, IT_NEXT_CHARGE, IT_HOLD, IT_CHEMISTRY, IT_WET, IT_FORCE };

struct item {
    enum item_kind kind;
    const char *name; /* CLI name */
    char label[80];
    bool ready;
    char why[SNAP_WHY_MAX];
    int key;   /* hotkey, 0 none */
    int rank;  /* position in the phase's steps, or 100 + list position */
    bool next; /* the first READY step of the phase */
};

/* Each command's hotkey: none of the global keys (o l c a t e d q ? M), nor
 * y and n, which answer a confirmation. */
static const struct {
    const char *name;
    int key;
} hotkeys[] = {
    {"phase_advance", 'p'}, {"sc_door_open", 's'},   {"sc_door_close", 'S'},
    {"charge", 'm'},        {"push", 'u'},           {"hc_door_open", 'h'},
    {"hc_door_close", 'H'}, {"tap_open", 'x'},       {"tap_close", 'X'},
    {"burner_start", 'b'},  {"burner_stop", 'B'},    {"fan_start", 'f'},
    {"fan_stop", 'F'},      {"pump_start", 'g'},     {"pump_stop", 'G'},
    {"pump_speed", 'v'},    {"lockout_reset", 'L'},  {"watchdog_reset", 'W'},
    {"estop_reset", 'E'},   {"CHARGE", 'r'},         {"HOLD", 'z'},
    {"confirm", 'C'},       {"wet", 'w'},            {"force", 'P'},
};

/* The steps of each phase, in the order a cycle takes them (the names of
 * the permissive table, and CHARGE, HOLD, confirm for the phase actions). */
#define MAX_STEPS 4
static const char *const steps[PH_COUNT][MAX_STEPS] = {
    [PH_HOLD] = {"phase_advance"},
    [PH_CHARGE] = {"sc_door_open", "charge", "sc_door_close", "phase_advance"},
    [PH_PYROLYSIS] = {"phase_advance"},
    [PH_PUSH] = {"push"},
    [PH_MELT] = {"phase_advance", "CHARGE"},
    [PH_ALLOY] = {"confirm", "phase_advance", "HOLD"},
    [PH_SKIM] = {"hc_door_open", "hc_door_close", "phase_advance"},
    [PH_TAP] = {"tap_open", "tap_close", "phase_advance"},
};

static int hotkey_of(const char *name)
{
    for (size_t i = 0; i < sizeof hotkeys / sizeof hotkeys[0]; i++)
        if (!strcmp(hotkeys[i].name, name))
            return hotkeys[i].key;
    return 0;
}

/* A step that the plant shows as carried out in this phase (the door it
 * opens is open, the charge is on the hearth ...): the next step comes
 * after the last of these.  Steps whose effect cannot be told from the
 * snapshot (closing a door that was closed before) have none: the phase's
 * own "ready" covers them. */
static const struct {
    const char *name;
    const char *tag;    /* GOOD tag compared with ... */
    double lo, hi;      /* ... lo <= value <= hi */
    const char *tag2;   /* and, when given, this one too */
    double lo2, hi2;
} done_when[] = {
    {"sc_door_open", "sc_door_closed", 0, 0, NULL, 0, 0},
    {"charge", "scrap_on_hearth", 100, 1e12, NULL, 0, 0},
    {"sc_door_close", "sc_door_closed", 1, 1, "scrap_on_hearth", 100, 1e12},
    {"hc_door_open", "hc_door_closed", 0, 0, NULL, 0, 0},
    {"tap_open", "tap_open", 1, 1, NULL, 0, 0},
};

static bool tag_within(const struct snap *s, const char *name, double lo, double hi)
{
    for (int i = 0; i < s->ntags; i++)
        if (!strcmp(s->tags[i].name, name))
            return s->tags[i].q == Q_GOOD && s->tags[i].v >= lo && s->tags[i].v <= hi;
    return false;
}

static bool step_done(const struct snap *s, const char *name)
{
    for (size_t i = 0; i < sizeof done_when / sizeof done_when[0]; i++)
        if (!strcmp(done_when[i].name, name))
            return tag_within(s, done_when[i].tag, done_when[i].lo, done_when[i].hi) &&
                   (!done_when[i].tag2 ||
                    tag_within(s, done_when[i].tag2, done_when[i].lo2, done_when[i].hi2));
    return false;
}

/* Put the phase's steps first (stable), and mark the next one: the phase's
 * advance when the phase is ready for it, else the first READY step after
 * the last one the plant shows as done. */
static void order(const struct snap *s, struct item *it, int n)
{
    for (int i = 0; i < n; i++) {
        it[i].rank = 100 + i;
        it[i].key = hotkey_of(it[i].name);
        it[i].next = false;
        for (int k = 0; s->phase >= 0 && s->phase < PH_COUNT && k < MAX_STEPS; k++)
            if (steps[s->phase][k] && !strcmp(steps[s->phase][k], it[i].name))
                it[i].rank = k;
    }
    for (int i = 1; i < n; i++) { /* insertion sort: a few dozen rows */
        struct item x = it[i];
        int j = i - 1;
        while (j >= 0 && it[j].rank > x.rank) {
            it[j + 1] = it[j];
            j--;
        }
        it[j + 1] = x;
    }
    int steps_n = 0, after = 0;
    while (steps_n < n && it[steps_n].rank < 100)
        steps_n++;
    for (int i = 0; i < steps_n; i++) {
        if (s->ready && it[i].ready && !strcmp(it[i].name, "phase_advance")) {
            it[i].next = true;
            return;
        }
        if (step_done(s, it[i].name))
            after = i + 1;
    }
    for (int i = after; i < steps_n; i++)
        if (it[i].ready) {
            it[i].next = true;
            break;
        }
}

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
    struct item *w = &it[n++];
    w->kind = IT_WET;
    w->name = "wet";
    snprintf(w->label, sizeof w->label, "%s", s->wet ? "Clear the wet flag of the charge"
                                                     : "Flag the charge wet (no push)");
    w->ready = true;
    w->why[0] = 0;
    struct item *fo = &it[n++];
    fo->kind = IT_FORCE;
    fo->name = "force";
    snprintf(fo->label, sizeof fo->label, "Force phase to %s (engineer)",
             seq_phase_name(seq_phase_next((enum cfg_phase)s->phase)));
    fo->ready = true;
    fo->why[0] = 0;
    order(s, it, n);
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
        screen_add(u, SEV_NONE, " Phase %s: its steps first.  [key] asks, the key again or y "
                   "sends.", cfg_phase_name((enum cfg_phase)u->cl->snap.phase));
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
            screen_add(u, SEV_NONE, "%s %-4s ", i == sel ? ">" : " ", it[i].next ? "NEXT" : "");
            if (it[i].key)
                screen_add(u, SEV_NONE, "[%c] ", it[i].key);
            else
                screen_add(u, SEV_NONE, "    ");
            if (it[i].ready)
                screen_add(u, SEV_NONE, "READY   ");
            else
                screen_add(u, SEV_NOTE, "BLOCKED ");
            screen_add(u, SEV_NONE, " %-34s %s", it[i].label, it[i].name);
            screen_eol(u);
        }
        for (int k = 0; k < nc && y < u->height; k++)
            if (r++ >= top) {
                screen_row(u, y++);
                screen_add(u, SEV_NONE, "                 - %s",
                           strip_label(cond[k], it[i].label));
                screen_eol(u);
            }
    }
    screen_blank_from(u, y);
}

static void issue(struct ui *u, const struct item *x)
{
    if (x->kind == IT_FORCE ? !screen_may_engineer(u, x->label) : !screen_may_write(u, x->label))
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
    struct dialog_spec s = {.kind = DV_NONE, .verb = "cmd", .ask_reason = true, .hotkey = x->key};
    /* the phase it was offered in: the server refuses it once the phase moved */
    snprintf(s.base, sizeof s.base, "%s", cfg_phase_name((enum cfg_phase)u->cl->snap.phase));
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
    } else if (x->kind == IT_WET) {
        bool wet = u->cl->snap.wet;
        snprintf(s.verb, sizeof s.verb, "wet");
        snprintf(s.target, sizeof s.target, "charge");
        snprintf(s.base, sizeof s.base, "%s", wet ? "yes" : "no");
        s.kind = DV_CHOICE;
        s.has_old = true;
        s.nchoices = 2;
        snprintf(s.choices[0], sizeof s.choices[0], "no");
        snprintf(s.choices[1], sizeof s.choices[1], "yes");
        s.old = wet ? 1 : 0;
        s.choice = wet ? 0 : 1;
        snprintf(s.what, sizeof s.what, "charge wet");
    } else if (x->kind == IT_FORCE) {
        snprintf(s.verb, sizeof s.verb, "phase");
        snprintf(s.target, sizeof s.target, "%s",
                 seq_phase_name(seq_phase_next((enum cfg_phase)u->cl->snap.phase)));
        snprintf(s.value, sizeof s.value, "force");
        snprintf(s.what, sizeof s.what, "Force phase %.12s -> %.12s without its normal exit",
                 cfg_phase_name((enum cfg_phase)u->cl->snap.phase), s.target);
    } else if (x->kind == IT_CHEMISTRY) {
        snprintf(s.verb, sizeof s.verb, "confirm");
        snprintf(s.target, sizeof s.target, "chemistry");
    } else if (cmd == PERM_PHASE_ADVANCE) {
        snprintf(s.verb, sizeof s.verb, "phase");
        snprintf(s.target, sizeof s.target, "%s",
                 seq_phase_name(seq_phase_next((enum cfg_phase)u->cl->snap.phase)));
    } else if (cmd == PERM_CHARGE) {
        s.kind = DV_NUMBER;
        s.dec = 2; /* the PLC takes the mass in 0.01 t: 3.05 is confirmed and sent whole */
        s.has_lo = s.has_hi = s.lo_open = true;
        s.lo = 0;
        s.hi = u->cfg->limits.max_charge_t;
        snprintf(s.lim_name, sizeof s.lim_name, "charge limits");
        snprintf(s.unit, sizeof s.unit, "t");
        snprintf(s.title, sizeof s.title, "Charge scrap: mass and class of this charge");
        snprintf(s.initial, sizeof s.initial, "3");
        /* the recipe: each class with the largest charge it allows, the default chosen */
        const struct cfg *c = u->cfg;
        for (int i = 0; i < c->nscrap && s.nclasses < DIALOG_CLASSES; i++, s.nclasses++) {
            snprintf(s.classes[s.nclasses], sizeof s.classes[0], "%s", c->scrap[i].name);
            s.class_pct[s.nclasses] = c->scrap[i].organics_pct;
            s.class_max[s.nclasses] = perm_charge_max_t(&c->limits, &c->scrap[i]);
            if (!strcmp(c->scrap[i].name, c->limits.default_scrap))
                s.cls = s.nclasses;
        }
    } else if (cmd == PERM_PUMP_SPEED) {
        s.kind = DV_NUMBER;
        s.dec = 1;
        s.has_lo = s.has_hi = true;
        s.lo = 0;
        s.hi = 100;
        snprintf(s.unit, sizeof s.unit, "%%");
        snprintf(s.title, sizeof s.title, "Set pump speed");
        s.base[0] = 0; /* its base is the speed, which the snapshot does not carry exactly */
    }
    screen_dialog(u, &s);
}

static bool key(struct ui *u, int ch)
{
    struct item it[MAX_ITEMS];
    int n = build(u, it);
    if (screen_nav(ch, &u->sel[SCR_COMMANDS], n, u->height / 2))
        return true;
    for (int i = 0; i < n; i++)
        if (it[i].key && ch == it[i].key) {
            u->sel[SCR_COMMANDS] = i;
            issue(u, &it[i]);
            return true;
        }
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
    {"[key]", "hotkey", "issue the command with that key (shown on its row); the key again or "
     "y sends it, Enter never does", true},
};

const struct screen screen_commands = {
    .name = "commands",
    .title = "Commands",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
