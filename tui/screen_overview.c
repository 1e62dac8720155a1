/* screen_overview — the furnace at a glance (ISA-101 level 1).
 *
 * An 80-column drawing of the two chambers over their shared bath: burner
 * state and firing, HC gas and roof, the SC with its fan, door, scrap and
 * pusher, the bath on both sides with metal, level and pump; under it the
 * flue and combustion values, the melt phase with its time, the phase
 * timeline, why the phase is (not) ready, the loops, the PLC link and the
 * active alarms.  Chamber temperatures are a value and a bar with the
 * setpoint (|) and the alarm limits (!).  A terminal of 120 columns or more
 * gets a second column: every analog value with its alarm words.
 *
 * Tab (or an arrow key) moves a selection over the drawing's values in
 * reading order, shown in reverse video and named on the message line; g or
 * Enter opens the selected value's trend; Tab goes on to the alarm rows, and
 * Enter on one (or with nothing selected, on the first) shows it whole;
 * Esc clears the selection (the global Esc).
 * u->sel[SCR_OVERVIEW] is 1 + the index in `pickable`, 0 for none.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "alarm.h"
#include "plant.h"
#include "plc_contract.h"
#include "screens.h"
#include "tag.h"
#include "view.h"

#define OV_W 80      /* the drawing's width */
#define OV_MID 40    /* the partition wall's column */
#define OV_BAR 12    /* bar cells */
#define OV_PANEL 120 /* from this width, a second column */

static const char *const bms_words[] = {
    [BMS_OFF] = "OFF",       [BMS_PREPURGE] = "PURGE",  [BMS_IGNITION] = "IGNITION",
    [BMS_FIRING] = "FIRING", [BMS_LOCKOUT] = "LOCKOUT", [BMS_STANDBY] = "STANDBY",
};

static const struct {
    unsigned bit;
    const char *word;
} interlock_words[] = {
    {PLC_IL_ESTOP, "E-STOP"},        {PLC_IL_DOOR_OPEN_FIRING, "DOOR-LOWFIRE"},
    {PLC_IL_GAS_PRESSURE, "GAS"},    {PLC_IL_AIR_PRESSURE, "AIR"},
    {PLC_IL_LOCKOUT, "LOCKOUT"},     {PLC_IL_WATCHDOG, "WATCHDOG"},
    {PLC_IL_LEVEL_LOW, "LEVEL-LOW"}, {PLC_IL_METAL_FROZEN, "FROZEN"},
    {PLC_IL_HEEL, "HEEL"},           {PLC_IL_ROOF_HH, "ROOF-HH"},
    {PLC_IL_FUEL_RICH, "FUEL-RICH"}, {PLC_IL_WET_PUSH, "WET-PUSH"},
    {PLC_IL_OVERFILL, "OVERFILL"},   {PLC_IL_DRIVE_TRIP, "DRIVE-TRIP"},
    {PLC_IL_CHARGE_DOOR, "CHARGE-DOOR"},
};

static const char *const link_words[] = {
    [LINK_DOWN] = "DOWN",
    [LINK_UP] = "UP",
    [LINK_CONNECTING] = "CONNECTING",
};

/* The values Tab moves over, in reading order of the drawing. */
static const char *const pickable[] = {
    "firing_fb",  "fan_speed_fb",  "hc_gas_temp",     "sc_gas_temp",  "roof_temp",
    "scrap_temp", "o2_pct",        "scrap_on_hearth", "bath_hc_temp", "bath_sc_temp",
    "bath_level", "pump_speed_fb", "flue_temp",       "co_ppm",       "furnace_pressure",
    "damper_fb",  "gas_flow",      "gas_pressure",
};
#define NPICK ((int)(sizeof pickable / sizeof pickable[0]))

/* An alarm row of the overview selected by Tab: u->sel[SCR_OVERVIEW] is
 * NPICK + 1 and this names it (by name, so the mark stays on the alarm when
 * the list reorders; gone from the rows shown, nothing is selected). */
static char sel_alarm[CFG_NAME_MAX];
#define SEL_ALARM (NPICK + 1)

/* The alarm rows the overview shows (the most important first); returns how many. */
static int shown_alarms(struct ui *u, int *idx)
{
    if (!u->cl->have_snap)
        return 0;
    int n = view_alarm_order(&u->cl->snap, idx, CFG_MAX_ALARMS);
    int rows = u->height - 16;
    return n < rows ? n : rows > 0 ? rows : 0;
}

static bool picked(const struct ui *u, const char *tag)
{
    int k = u->sel[SCR_OVERVIEW] - 1;
    return k >= 0 && k < NPICK && !strcmp(pickable[k], tag);
}

/* A value, in reverse video when it is the selected one. */
static void value_out(struct ui *u, const char *tag, enum wg_sev sev, const char *val)
{
    screen_text(u, u->attr[sev] | (picked(u, tag) ? A_REVERSE : 0), val);
}

static const struct snap *snap_of(const struct ui *u)
{
    return &u->cl->snap;
}

/* The alarm words of a tag, and the value's severity with them. */
static enum wg_sev alarm_word(struct ui *u, const char *tag, char *word, size_t n)
{
    word[0] = 0;
    if (!u->cl->have_snap)
        return SEV_NONE;
    return view_tag_alarm(u->cfg, snap_of(u), tag, word, n);
}

static void wall(struct ui *u)
{
    screen_text(u, A_NORMAL, u->g->v);
}

/* "─ title ───" up to xend. */
static void rule(struct ui *u, const char *title, int xend)
{
    screen_text(u, A_NORMAL, u->g->h);
    if (title && *title)
        screen_add(u, SEV_NONE, " %s ", title);
    while (u->x < xend && u->x < u->xmax)
        screen_text(u, A_NORMAL, u->g->h);
}

/* " label   value [bar] !! HH" in a half of the drawing. */
static void temp(struct ui *u, const char *label, const char *tag, int xend)
{
    char val[48], word[24], bar[512];
    struct screen_val v = screen_val(u, tag);
    enum wg_sev vs = wg_value(val, sizeof val, v.v, v.q, v.age, v.dec, v.unit);
    enum wg_sev ws = alarm_word(u, tag, word, sizeof word);
    if (vs == SEV_NONE)
        vs = ws;
    const struct cfg_loop *l = view_loop_of(u->cfg, tag);
    int li = l && u->cl->have_snap ? view_loop(snap_of(u), l->name) : -1;
    struct wg_bar_spec bs;
    view_bar_spec(u->cfg, tag, li >= 0, li >= 0 ? snap_of(u)->loops[li].sp : 0, &bs);
    wg_bar(bar, sizeof bar, OV_BAR, v.v, v.q == Q_GOOD, &bs, u->g);
    screen_add(u, SEV_NONE, " %-7s", label);
    screen_pad(u, u->x + 10 - wg_width(val));
    value_out(u, tag, vs, val);
    screen_add(u, SEV_NONE, " ");
    screen_text(u, A_NORMAL, bar);
    if (word[0]) {
        screen_add(u, SEV_NONE, " ");
        screen_add(u, ws, "%s", word);
    }
    screen_pad(u, xend);
}

/* " label value" for the rows of values; returns nothing, advances. */
static void item(struct ui *u, const char *label, const char *tag)
{
    char val[48], word[24];
    enum wg_sev vs = screen_fmt(u, tag, val, sizeof val);
    enum wg_sev ws = alarm_word(u, tag, word, sizeof word);
    screen_add(u, SEV_NONE, " %s ", label);
    value_out(u, tag, vs == SEV_NONE ? ws : vs, val);
    if (word[0])
        screen_add(u, ws, " %s", word);
    screen_add(u, SEV_NONE, " ");
}

static void state(struct ui *u, const char *label, const char *tag, const char *on, const char *off,
                  enum wg_sev off_sev)
{
    char val[32];
    enum wg_sev s = screen_bool(u, tag, on, off, val, sizeof val);
    if (s == SEV_NONE && !strcmp(val, off))
        s = off_sev;
    screen_add(u, SEV_NONE, " %s ", label);
    screen_add(u, s, "%s", val);
    screen_add(u, SEV_NONE, " ");
}

/* Does the PLC report this motor's protection tripped (a GOOD true)? */
static bool tripped(struct ui *u, const char *tag)
{
    struct screen_val t = screen_val(u, tag);
    return t.found && t.q == Q_GOOD && t.v >= 0.5;
}

/* A drive's state: TRIPPED (the PLC's motor protection: no start until it
 * is reset on the plant) over RUN/STOP. */
static void drive(struct ui *u, const char *label, const char *run_tag, const char *trip_tag,
                  enum wg_sev off_sev)
{
    if (tripped(u, trip_tag)) {
        screen_add(u, SEV_NONE, " %s ", label);
        screen_add(u, SEV_HIGH, "! TRIPPED");
        screen_add(u, SEV_NONE, " ");
        return;
    }
    state(u, label, run_tag, "RUN", "STOP", off_sev);
}

static void burner(struct ui *u)
{
    struct screen_val b = screen_val(u, "bms_state");
    char val[48];
    screen_add(u, SEV_NONE, " Burner ");
    if (b.q != Q_GOOD) {
        screen_add(u, wg_value(val, sizeof val, b.v, b.q, b.age, 0, ""), "%s", val);
    } else {
        int s = (int)(b.v + 0.5);
        const char *w = s >= 0 && s <= BMS_STANDBY ? bms_words[s] : "?";
        screen_add(u, s == BMS_LOCKOUT ? SEV_HIGH : SEV_NONE, "%s", w);
    }
    char fire[48];
    enum wg_sev fs = screen_fmt(u, "firing_fb", fire, sizeof fire);
    screen_add(u, SEV_NONE, "  fire ");
    value_out(u, "firing_fb", fs, fire);
    state(u, " flame", "flame_on", "ON", "OFF", SEV_NONE);
}

static void metal(struct ui *u, int xend)
{
    struct screen_val m = screen_val(u, "metal_mass");
    char val[48];
    screen_add(u, SEV_NONE, " metal ");
    if (m.q == Q_GOOD) {
        screen_add(u, SEV_NONE, "%.*f %s", m.dec, m.v, m.unit); /* t (screen_val) */
    } else {
        wg_value(val, sizeof val, m.v, m.q, m.age, 0, "");
        screen_add(u, SEV_BAD, "%s", val);
    }
    item(u, " level", "bath_level");
    while (u->x < xend && u->x < u->xmax)
        screen_text(u, A_NORMAL, u->g->wave);
}

static void pump(struct ui *u, int xend)
{
    char val[48];
    screen_text(u, A_NORMAL, u->g->wave);
    drive(u, "pump", "pump_running", "pump_trip", SEV_NOTE);
    enum wg_sev s = screen_fmt(u, "pump_speed_fb", val, sizeof val);
    value_out(u, "pump_speed_fb", s, val);
    screen_add(u, SEV_NONE, " %s ", u->g->arrow);
    state(u, "tap", "tap_open", "OPEN", "SHUT", SEV_NONE);
    while (u->x < xend && u->x < u->xmax)
        screen_text(u, A_NORMAL, u->g->wave);
}

static void bath(struct ui *u, const char *label, const char *tag, int xend)
{
    screen_text(u, A_NORMAL, u->g->wave);
    temp(u, label, tag, u->x + 36 < xend ? u->x + 36 : xend);
    while (u->x < xend && u->x < u->xmax)
        screen_text(u, A_NORMAL, u->g->wave);
}

static void hearth(struct ui *u)
{
    struct screen_val h = screen_val(u, "scrap_on_hearth");
    char v[48];
    screen_add(u, SEV_NONE, " Hearth ");
    if (h.q == Q_GOOD) {
        snprintf(v, sizeof v, "%.*f %s", h.dec, h.v, h.unit); /* t (screen_val) */
        value_out(u, "scrap_on_hearth", SEV_NONE, v);
    } else {
        wg_value(v, sizeof v, h.v, h.q, h.age, 0, "");
        value_out(u, "scrap_on_hearth", SEV_BAD, v);
    }
}

/* Row r (1..6) of the heating chamber, clipped at the partition wall. */
static void left_half(struct ui *u, int r, int xend)
{
    switch (r) {
    case 1:
        burner(u);
        break;
    case 2:
        temp(u, "HC gas", "hc_gas_temp", xend);
        break;
    case 3:
        temp(u, "Roof", "roof_temp", xend);
        break;
    case 4:
        state(u, "HC door", "hc_door_closed", "SHUT", "OPEN", SEV_NOTE);
        item(u, " O2", "o2_pct");
        break;
    case 5:
        bath(u, "Bath HC", "bath_hc_temp", xend);
        break;
    default:
        metal(u, xend);
        break;
    }
}

/* Row r (1..6) of the scrap chamber, clipped at the casing. */
static void right_half(struct ui *u, int r, int xend)
{
    char v[48];
    switch (r) {
    case 1:
        drive(u, "Fan", "fan_running", "fan_trip", SEV_NONE);
        value_out(u, "fan_speed_fb", screen_fmt(u, "fan_speed_fb", v, sizeof v), v);
        state(u, "  Door", "sc_door_closed", "SHUT", "OPEN", SEV_NOTE);
        break;
    case 2:
        temp(u, "SC gas", "sc_gas_temp", xend);
        break;
    case 3:
        temp(u, "Scrap", "scrap_temp", xend);
        break;
    case 4:
        hearth(u);
        state(u, "  Pusher", "pusher_home", "HOME", "OUT", SEV_NOTE);
        break;
    case 5:
        bath(u, "Bath SC", "bath_sc_temp", xend);
        break;
    default:
        pump(u, xend);
        break;
    }
}

/* The drawing, rows 0..7 of the body. */
static void drawing(struct ui *u, int w)
{
    int mid = OV_MID, right = w - 1;
    screen_row(u, 0);
    screen_at(u, u->top, 0, w);
    screen_text(u, A_NORMAL, u->g->tl);
    rule(u, "Heating chamber HC", mid);
    screen_text(u, A_NORMAL, u->g->tee_down);
    rule(u, "Scrap chamber SC", right);
    screen_text(u, A_NORMAL, u->g->tr);

    for (int r = 1; r <= 6; r++) {
        int y = u->top + r;
        screen_at(u, y, 0, w);
        wall(u);
        screen_at(u, y, 1, mid);
        left_half(u, r, mid);
        screen_pad(u, mid);
        screen_at(u, y, mid, w);
        if (r >= 5)
            screen_text(u, A_NORMAL, u->g->wave); /* the metal passes under the wall */
        else
            wall(u);
        screen_at(u, y, mid + 1, right);
        right_half(u, r, right);
        screen_pad(u, right);
        screen_at(u, y, right, w);
        wall(u);
    }
    screen_at(u, u->top + 7, 0, w);
    screen_text(u, A_NORMAL, u->g->bl);
    rule(u, "", mid);
    screen_text(u, A_NORMAL, u->g->tee_up);
    rule(u, "", right);
    screen_text(u, A_NORMAL, u->g->br);
}

static void values(struct ui *u, int w)
{
    screen_at(u, u->top + 8, 0, w);
    item(u, "Flue", "flue_temp");
    item(u, " CO", "co_ppm");
    item(u, " Pressure", "furnace_pressure");
    item(u, " Damper", "damper_fb");
    screen_eol(u);
    screen_at(u, u->top + 9, 0, w);
    item(u, "Gas", "gas_flow");
    item(u, " supply", "gas_pressure");
    state(u, " E-stop", "estop_ok", "OK", "PRESSED", SEV_CRIT);
    state(u, " Air", "air_ok", "OK", "NOT PROVEN", SEV_HIGH);
    screen_eol(u);
}

static void phase(struct ui *u, int w)
{
    const struct snap *s = snap_of(u);
    bool have = u->cl->have_snap;
    char t[32], mx[32] = "", line[200];
    const struct cfg_program *p = have ? cfg_program_find(u->cfg, s->program) : NULL;
    screen_at(u, u->top + 10, 0, w);
    if (!have) {
        screen_add(u, SEV_BAD, " Phase: no snapshot from the server yet");
        screen_eol(u);
        screen_at(u, u->top + 11, 0, w);
        screen_eol(u);
        screen_at(u, u->top + 12, 0, w);
        screen_eol(u);
        return;
    }
    wg_hms(t, sizeof t, s->t_phase);
    if (p && p->max_min[s->phase] > 0)
        wg_hms(mx, sizeof mx, p->max_min[s->phase] * 60);
    screen_add(u, SEV_NONE, " Phase ");
    screen_add(u, SEV_NONE, "%-9s", cfg_phase_name(s->phase));
    if (!screen_live(u)) {
        char a[16];
        wg_age(a, sizeof a, client_snap_age(u->cl, u->now));
        screen_add(u, SEV_BAD, " STALE %s", a);
    }
    screen_add(u, SEV_NONE, " %s%s%s", t, mx[0] ? " of max " : "", mx);
    if (s->overrun)
        screen_add(u, SEV_HIGH, " ! OVERRUN");
    screen_add(u, SEV_NONE, "   program %s%s%s", s->program, p ? ": " : "",
               p ? p->description : "");
    screen_eol(u);
    screen_at(u, u->top + 11, 0, w);
    view_timeline(line, sizeof line, s->phase, w - 2, u->g);
    screen_add(u, SEV_NONE, " %s", line);
    screen_eol(u);
    screen_at(u, u->top + 12, 0, w);
    screen_add(u, SEV_NONE, " %s: %s", s->ready ? "ready" : "not ready", s->phase_why);
    screen_eol(u);
}

/* One loop on the overview's row: "  bath AUTO sp 740" and its mark, if any. */
struct loop_seg {
    char text[64];
    char mark[40]; /* " BAD PV" (", MAN in 4 s": its hold's second half), " SHED", " O2/CO", " HELD" */
    enum wg_sev sev;
    int width;
};

static void loop_seg(struct ui *u, const struct snap_loop *l, struct loop_seg *g)
{
    const struct cfg_loop *d = cfg_loop_find(u->cfg, l->name);
    const struct cfg_tag *t = d ? cfg_tag_find(u->cfg, d->pv) : NULL;
    int dec = t ? wg_decimals(t->unit, t->has_range ? t->range_hi - t->range_lo : 0) : 1;
    snprintf(g->text, sizeof g->text, "  %s %s sp %.*f", l->name,
             cfg_loop_mode_name((enum cfg_loop_mode)l->mode), dec, l->sp);
    char bad[sizeof g->mark - 1]; /* "BAD PV", with its countdown in the hold's second half */
    const char *mark = "";
    g->sev = SEV_NONE;
    if (l->flags & LF_BAD_PV) {
        wg_loop_flags(bad, sizeof bad, LF_BAD_PV, view_man_in(u->cfg, l, screen_live(u)));
        mark = bad;
        g->sev = SEV_BAD;
    } else if (l->flags & LF_SHED) {
        mark = "SHED";
        g->sev = SEV_HIGH;
    } else if (l->flags & LF_COMB_CUT) {
        mark = "O2/CO";
        g->sev = SEV_NOTE;
    } else if (l->flags & LF_OUT_HELD) {
        mark = "HELD";
    }
    snprintf(g->mark, sizeof g->mark, "%s%s", *mark ? " " : "", mark);
    g->width = (int)(strlen(g->text) + strlen(g->mark));
}

/* The width of the first `shown` of n segments, and of the count of the rest. */
static int row_width(const struct loop_seg *seg, int shown, int n)
{
    char more[32];
    int wd = shown < n ? snprintf(more, sizeof more, "  +%d (F3)", n - shown) : 0;
    for (int i = 0; i < shown; i++)
        wd += seg[i].width;
    return wd;
}

/* The loops in one row.  Those that do not fit are never cut off in silence: the row
 * ends with how many more there are and where they are ("  +2 (F3)"). */
static void loops_row(struct ui *u, int w)
{
    const struct snap *s = snap_of(u);
    screen_at(u, u->top + 13, 0, w);
    screen_add(u, SEV_NONE, " Loops");
    int n = u->cl->have_snap ? s->nloops : 0;
    struct loop_seg seg[CFG_MAX_LOOPS];
    if (n > CFG_MAX_LOOPS)
        n = CFG_MAX_LOOPS;
    for (int i = 0; i < n; i++)
        loop_seg(u, &s->loops[i], &seg[i]);
    int avail = u->xmax - u->x, shown = n;
    while (shown > 0 && row_width(seg, shown, n) > avail)
        shown--;
    for (int i = 0; i < shown; i++) {
        screen_add(u, SEV_NONE, "%s", seg[i].text);
        if (*seg[i].mark)
            screen_add(u, seg[i].sev, "%s", seg[i].mark);
    }
    if (shown < n)
        screen_add(u, SEV_NOTE, "  +%d (F3)", n - shown);
    screen_eol(u);
}

static void plc_row(struct ui *u, int w)
{
    const struct snap *s = snap_of(u);
    screen_at(u, u->top + 14, 0, w);
    screen_add(u, SEV_NONE, " PLC link ");
    if (!u->cl->have_snap || !screen_live(u)) {
        screen_add(u, SEV_BAD, "UNKNOWN (no live snapshot)");
    } else {
        int lk = s->link >= LINK_DOWN && s->link <= LINK_CONNECTING ? s->link : LINK_DOWN;
        screen_add(u, lk == LINK_UP ? SEV_NONE : SEV_CRIT, "%s%s", lk == LINK_UP ? "" : "!! ",
                   link_words[lk]);
        if (lk == LINK_UP)
            screen_add(u, SEV_NONE, "  rtt %.1f ms", s->rtt_ms);
        else
            screen_add(u, SEV_CRIT, "  %s", s->link_err);
    }
    struct screen_val il = screen_val(u, "plc_interlocks");
    screen_add(u, SEV_NONE, "   PLC interlocks ");
    if (il.q != Q_GOOD) {
        char v[32];
        screen_add(u, wg_value(v, sizeof v, il.v, il.q, il.age, 0, ""), "%s", v);
    } else {
        unsigned bits = (unsigned)(il.v + 0.5);
        if (!bits)
            screen_add(u, SEV_NONE, "none");
        for (size_t i = 0; i < sizeof interlock_words / sizeof interlock_words[0]; i++)
            if (bits & interlock_words[i].bit) {
                screen_add(u, SEV_HIGH, "! %s", interlock_words[i].word);
                /* which motor: the PLC's trip bits */
                if (interlock_words[i].bit == PLC_IL_DRIVE_TRIP)
                    screen_add(u, SEV_HIGH, "%s%s%s", tripped(u, "pump_trip") ? " pump" : "",
                               tripped(u, "pump_trip") && tripped(u, "fan_trip") ? "+" : "",
                               tripped(u, "fan_trip") ? " fan" : "");
                screen_add(u, SEV_NONE, " ");
            }
    }
    screen_eol(u);
}

static void alarm_rows(struct ui *u, int y0, int y1, int x0, int x1)
{
    int idx[CFG_MAX_ALARMS];
    const struct snap *s = snap_of(u);
    int n = u->cl->have_snap ? view_alarm_order(s, idx, CFG_MAX_ALARMS) : 0;
    if (y0 >= y1)
        return;
    struct view_counts vc;
    char counts[100];
    view_alarm_counts(s, &vc);
    view_counts_text(&vc, counts, sizeof counts);
    screen_at(u, u->top + y0, x0, x1);
    screen_add(u, SEV_NONE, " Alarms: %s", u->cl->have_snap ? counts : "unknown");
    if (n > y1 - y0 - 1)
        screen_add(u, SEV_NONE, " (the %d most important; F5 lists all)", y1 - y0 - 1);
    if (n > 0)
        screen_add(u, SEV_NONE, " Enter: whole");
    screen_eol(u);
    for (int y = y0 + 1, k = 0; y < y1; y++, k++) {
        screen_at(u, u->top + y, x0, x1);
        if (k < n)
            screen_alarm_line(u, &s->alarms[idx[k]],
                              u->sel[SCR_OVERVIEW] == SEL_ALARM &&
                                  !strcmp(s->alarms[idx[k]].name, sel_alarm));
        screen_eol(u);
    }
}

/* The second column: every analog value of the map with its alarm words. */
static void panel(struct ui *u, int x0)
{
    int y = 0;
    screen_at(u, u->top + y++, x0, u->cols);
    screen_add(u, SEV_NONE, " %s Values", u->g->v);
    screen_eol(u);
    for (int i = 0; i < u->cfg->ntags && y < u->height; i++) {
        const struct cfg_tag *t = &u->cfg->tags[i];
        if (t->table != TAG_IR || !t->unit[0])
            continue;
        char val[48], word[24];
        enum wg_sev vs = screen_fmt(u, t->name, val, sizeof val);
        enum wg_sev ws = alarm_word(u, t->name, word, sizeof word);
        screen_at(u, u->top + y++, x0, u->cols);
        screen_add(u, SEV_NONE, " %s %-18s", u->g->v, t->name);
        screen_pad(u, u->x + 12 - wg_width(val));
        screen_add(u, vs == SEV_NONE ? ws : vs, "%s", val);
        screen_add(u, ws, " %s", word);
        screen_add(u, SEV_NONE, "  %s", t->description);
        screen_eol(u);
    }
    /* then the loops, one line each, as far as the rows go */
    const struct snap *s = snap_of(u);
    if (y + 2 < u->height && u->cl->have_snap) {
        screen_at(u, u->top + y++, x0, u->cols);
        screen_add(u, SEV_NONE, " %s", u->g->v);
        screen_eol(u);
        screen_at(u, u->top + y++, x0, u->cols);
        screen_add(u, SEV_NONE, " %s Loops", u->g->v);
        screen_eol(u);
    }
    for (int i = 0; u->cl->have_snap && i < s->nloops && y < u->height; i++) {
        const struct snap_loop *l = &s->loops[i];
        const struct cfg_loop *d = cfg_loop_find(u->cfg, l->name);
        char pv[48], flags[80];
        enum wg_sev ps = d ? screen_fmt(u, d->pv, pv, sizeof pv) : SEV_NONE;
        if (!d)
            snprintf(pv, sizeof pv, "-");
        struct screen_val sv = d ? screen_val(u, d->pv) : (struct screen_val){.dec = 1};
        wg_loop_flags(flags, sizeof flags, l->flags, view_man_in(u->cfg, l, screen_live(u)));
        screen_at(u, u->top + y++, x0, u->cols);
        screen_add(u, SEV_NONE, " %s %-10s %-4s PV ", u->g->v, l->name,
                   cfg_loop_mode_name((enum cfg_loop_mode)l->mode));
        screen_add(u, ps, "%-11s", pv);
        screen_add(u, SEV_NONE, " SP %-8.*f OUT %-8.1f", sv.dec, l->sp, l->out);
        screen_add(u, l->flags & (LF_BAD_PV | LF_SHED) ? SEV_HIGH : SEV_NONE, "%s", flags);
        screen_eol(u);
    }
    for (; y < u->height; y++) {
        screen_at(u, u->top + y, x0, u->cols);
        screen_text(u, A_NORMAL, " ");
        screen_text(u, A_NORMAL, u->g->v);
        screen_eol(u);
    }
}

static void draw(struct ui *u)
{
    int w = u->cols < OV_W ? u->cols : OV_W;
    drawing(u, w);
    values(u, w);
    phase(u, w);
    loops_row(u, w);
    plc_row(u, w);
    if (u->cols >= OV_PANEL) {
        alarm_rows(u, 15, u->height, 0, w);
        panel(u, w);
        return;
    }
    alarm_rows(u, 15, u->height, 0, u->cols);
    if (u->cols > w)
        for (int y = 0; y < 15; y++) {
            screen_at(u, u->top + y, w, u->cols);
            screen_eol(u);
        }
}

static bool key(struct ui *u, int ch)
{
    int *sel = &u->sel[SCR_OVERVIEW];
    int idx[CFG_MAX_ALARMS];
    int m = shown_alarms(u, idx);
    /* the selected alarm's place among the rows shown, -1 when none is */
    int ak = -1;
    for (int k = 0; *sel == SEL_ALARM && k < m; k++)
        if (!strcmp(u->cl->snap.alarms[idx[k]].name, sel_alarm))
            ak = k;
    if (ch == '\t' || ch == KEY_RIGHT || ch == KEY_DOWN || ch == KEY_BTAB || ch == KEY_LEFT ||
        ch == KEY_UP) {
        /* Tab goes over the values of the drawing, then the alarm rows shown */
        bool back = ch == KEY_BTAB || ch == KEY_LEFT || ch == KEY_UP;
        int pos = *sel >= 1 && *sel <= NPICK ? *sel - 1 : ak >= 0 ? NPICK + ak : -1;
        pos = view_step(pos, NPICK + m, back ? -1 : 1);
        if (pos >= NPICK) {
            const struct snap_alarm *a = &u->cl->snap.alarms[idx[pos - NPICK]];
            *sel = SEL_ALARM;
            snprintf(sel_alarm, sizeof sel_alarm, "%s", a->name);
            screen_msg(u, SEV_NONE, "Selected alarm %s: Enter shows it whole, Tab next, Esc clears",
                       a->name);
            return true;
        }
        *sel = pos + 1;
        const char *tag = pickable[*sel - 1];
        const struct cfg_tag *t = cfg_tag_find(u->cfg, tag);
        screen_msg(u, SEV_NONE, "Selected %s (%s): g trend, Tab next, Esc clears", tag,
                   t ? t->description : "not in the map");
        return true;
    }
    if (ch == '\n' && (*sel == SEL_ALARM || *sel <= 0 || *sel > NPICK)) {
        /* an alarm row whole: the selected one, else the most important */
        if (ak >= 0 || (*sel != SEL_ALARM && m > 0))
            screen_alarm_detail(u, &u->cl->snap.alarms[idx[ak >= 0 ? ak : 0]]);
        else
            screen_msg(u, SEV_NONE, m ? "That alarm is no longer on the list; Tab selects another"
                                      : "No active alarm to show; Tab selects a value, g its trend");
        return true;
    }
    if (ch == 'g' || ch == '\n') {
        if (*sel <= 0 || *sel > NPICK)
            screen_msg(u, SEV_NONE,
                       "Tab or the arrow keys select a value first; g opens its trend");
        else
            screen_trend_open(u, pickable[*sel - 1]);
        return true;
    }
    return false;
}

static const struct screen_key keys[] = {
    {"Tab/arrows", "select", "select a value on the drawing (Shift-Tab, Left, Up: back)", false},
    {"g", "trend", "trend of the selected value (Enter too)", false},
    {"Enter", "alarm", "the selected alarm row whole (none selected: the first)", false},
    {"F5 / a", "alarms", "the alarm list: acknowledge and shelve there", false},
    {"F4 / c", "commands", "commands: start a charge, doors, burner, pump, tap", false},
};

const struct screen screen_overview = {
    .name = "overview",
    .title = "Overview",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
