/* screen_loops — a faceplate per control loop (ISA-101 level 2).
 *
 * PV, setpoint, working setpoint, output, mode, limits, saturation and the
 * other loop flags, a bar with the setpoint and alarm limits, and a
 * sparkline of the PV over the last 10 minutes of this console's own
 * samples.  s changes the setpoint, m the mode, u the output (in MAN only):
 * each through a dialog that shows the limits and confirms before sending.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "screens.h"
#include "tag.h"
#include "view.h"

#define FACEPLATE_ROWS 5
#define SP_DECIMALS 2 /* setpoints may be typed to 0.01 */

static const char *const mode_words[] = {
    [LOOP_MAN] = "MAN", [LOOP_AUTO] = "AUTO", [LOOP_CAS] = "CAS"};

/* Is `name` the slave of a cascade (so CAS is a mode it can take)? */
static bool is_slave(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nloops; i++)
        if (!strcmp(c->loops[i].cascade_to, name))
            return true;
    return false;
}

/* The unit of a loop's output: its output tag's, or its slave's PV unit. */
static const char *out_unit(const struct cfg *c, const struct cfg_loop *d)
{
    const struct cfg_tag *t = d->out[0] ? cfg_tag_find(c, d->out) : NULL;
    if (!t && d->cascade_to[0]) {
        const struct cfg_loop *s = cfg_loop_find(c, d->cascade_to);
        t = s ? cfg_tag_find(c, s->pv) : NULL;
    }
    return t ? t->unit : "";
}

static const struct cfg_loop *selected(struct ui *u, const struct snap_loop **live)
{
    const struct cfg *c = u->cfg;
    if (c->nloops == 0)
        return NULL;
    if (u->sel[SCR_LOOPS] >= c->nloops)
        u->sel[SCR_LOOPS] = c->nloops - 1;
    const struct cfg_loop *d = &c->loops[u->sel[SCR_LOOPS]];
    int i = u->cl->have_snap ? view_loop(&u->cl->snap, d->name) : -1;
    *live = i >= 0 ? &u->cl->snap.loops[i] : NULL;
    return d;
}

static void draw(struct ui *u)
{
    const struct cfg *c = u->cfg;
    int per = FACEPLATE_ROWS, rows_for = u->height / per;
    screen_follow(u->sel[SCR_LOOPS], rows_for, &u->scroll[SCR_LOOPS]);
    int y = 0;
    float hist[TREND_LEN];
    struct wg_lines lines;
    for (int k = u->scroll[SCR_LOOPS]; k < c->nloops && y + per - 1 <= u->height; k++) {
        const struct cfg_loop *d = &c->loops[k];
        int li = u->cl->have_snap ? view_loop(&u->cl->snap, d->name) : -1;
        const struct snap_loop *l = li >= 0 ? &u->cl->snap.loops[li] : NULL;
        struct screen_val pv = screen_val(u, d->pv);
        const char *ou = out_unit(c, d);
        const struct cfg_tag *ot = d->out[0] ? cfg_tag_find(c, d->out) : NULL;
        struct wg_faceplate f = {
            .name = d->name,
            .description = d->description,
            .mode = l && l->mode >= 0 && l->mode <= LOOP_CAS ? mode_words[l->mode] : "?",
            .selected = k == u->sel[SCR_LOOPS],
            .pv = pv.v,
            .sp = l ? l->sp : d->sp,
            .wsp = l ? l->wsp : d->sp,
            .out = l ? l->out : 0,
            .pv_q = l ? pv.q : Q_STALE,
            .pv_age = pv.age,
            .flags = l ? l->flags : 0,
            .man_in_s = l ? view_man_in(c, l, screen_live(u)) : 0,
            .pv_unit = pv.def ? pv.def->unit : "",
            .out_unit = ou,
            .pv_dec = pv.dec,
            .out_dec = ot ? wg_decimals(ot->unit, 100) : pv.dec,
            .sp_lo = d->sp_lo,
            .sp_hi = d->sp_hi,
            .sp_max_step = d->sp_max_step,
            .out_lo = d->out_lo,
            .out_hi = d->out_hi,
            .span = trend_span_name(0),
        };
        view_bar_spec(c, d->pv, true, f.sp, &f.bar);
        f.nhist = trend_series(u->tr, 0, trend_pen(u->tr, d->pv), hist, TREND_LEN);
        f.hist = hist;
        double step = pv.dec >= 1 ? 1.0 : 10.0;
        view_trend_scale(hist, f.nhist, step, &f.hist_lo, &f.hist_hi);
        wg_faceplate(&lines, u->cols, &f, u->g);
        y += screen_lines(u, u->top + y, 0, u->cols, &lines, u->height - y);
        if (y < u->height) {
            screen_row(u, y++);
            screen_eol(u);
        }
    }
    screen_blank_from(u, y);
}

static void setpoint(struct ui *u, const struct cfg_loop *d, const struct snap_loop *l)
{
    const struct cfg_tag *t = cfg_tag_find(u->cfg, d->pv);
    struct dialog_spec s = {
        .kind = DV_NUMBER,
        .verb = "set",
        .has_old = true,
        .old = l->sp,
        .dec = SP_DECIMALS,
        .has_lo = true,
        .has_hi = true,
        .lo = d->sp_lo,
        .hi = d->sp_hi,
        .max_step = d->sp_max_step,
        .ask_reason = true,
    };
    snprintf(s.title, sizeof s.title, "Setpoint of %s: %.40s", d->name, d->description);
    snprintf(s.target, sizeof s.target, "%s.sp", d->name);
    snprintf(s.unit, sizeof s.unit, "%s", wg_unit(t ? t->unit : "", u->g));
    if (l->mode == LOOP_CAS)
        snprintf(s.title, sizeof s.title, "Setpoint of %s (in CAS: its master sets it)", d->name);
    screen_dialog(u, &s);
}

static void mode(struct ui *u, const struct cfg_loop *d, const struct snap_loop *l)
{
    struct dialog_spec s = {.kind = DV_CHOICE, .verb = "set", .has_old = true, .ask_reason = true};
    snprintf(s.title, sizeof s.title, "Mode of %s: %.40s", d->name, d->description);
    snprintf(s.target, sizeof s.target, "%s.mode", d->name);
    int n = is_slave(u->cfg, d->name) ? 3 : 2;
    s.old = -1;
    for (int i = 0; i < n; i++) {
        snprintf(s.choices[i], sizeof s.choices[i], "%s", mode_words[i]);
        if (i == l->mode)
            s.old = i;
    }
    s.nchoices = n;
    s.choice = l->mode == LOOP_MAN ? LOOP_AUTO : LOOP_MAN;
    screen_dialog(u, &s);
}

static void output(struct ui *u, const struct cfg_loop *d, const struct snap_loop *l)
{
    if (l->mode != LOOP_MAN) {
        screen_msg(u, SEV_NOTE,
                   "%s is in %s: the output is set by the loop; switch to MAN first (m)", d->name,
                   cfg_loop_mode_name((enum cfg_loop_mode)l->mode));
        return;
    }
    struct dialog_spec s = {
        .kind = DV_NUMBER,
        .verb = "set",
        .has_old = true,
        .old = l->out,
        .dec = SP_DECIMALS,
        .has_lo = true,
        .has_hi = true,
        .lo = d->out_lo,
        .hi = d->out_hi,
        .ask_reason = true,
    };
    snprintf(s.title, sizeof s.title, "Manual output of %s", d->name);
    snprintf(s.target, sizeof s.target, "%s.out", d->name);
    snprintf(s.unit, sizeof s.unit, "%s", wg_unit(out_unit(u->cfg, d), u->g));
    screen_dialog(u, &s);
}

/* An engineer's tuning of one parameter (P kp, I ti_s, D td_s), from the
 * value now in the snapshot; the gate's ranges (core_gate.c). */
static void tune(struct ui *u, const struct cfg_loop *d, const struct snap_loop *l, int ch)
{
    static const struct {
        int key;
        const char *param, *title, *unit;
        double hi;
    } params[] = {
        {'P', "kp", "Gain kp", "", 1000},
        {'I', "ti_s", "Integral time ti_s", "s", 100000},
        {'D', "td_s", "Derivative time td_s", "s", 10000},
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (params[i].key != ch)
            continue;
        struct dialog_spec s = {
            .kind = DV_NUMBER,
            .verb = "tune",
            .has_old = true,
            .old = ch == 'P' ? l->kp : ch == 'I' ? l->ti_s : l->td_s,
            .dec = 4,
            .has_lo = true,
            .has_hi = true,
            .lo = 0,
            .hi = params[i].hi,
            .ask_reason = true,
        };
        snprintf(s.title, sizeof s.title, "%s of %s (engineer)", params[i].title, d->name);
        snprintf(s.target, sizeof s.target, "%s.%s", d->name, params[i].param);
        snprintf(s.unit, sizeof s.unit, "%s", params[i].unit);
        screen_dialog(u, &s);
    }
}

static bool key(struct ui *u, int ch)
{
    if (screen_nav(ch, &u->sel[SCR_LOOPS], u->cfg->nloops, 1))
        return true;
    const struct snap_loop *l = NULL;
    const struct cfg_loop *d = selected(u, &l);
    if (!d || (ch != 's' && ch != 'm' && ch != 'u' && ch != 'g' && ch != '\n' && ch != 'P' &&
               ch != 'I' && ch != 'D'))
        return false;
    if (ch == 'g') {
        screen_trend_open(u, d->pv);
        return true;
    }
    bool tuning = ch == 'P' || ch == 'I' || ch == 'D';
    const char *what = ch == 'm'   ? "change the mode"
                       : ch == 'u' ? "set the output"
                       : tuning    ? "tune the loop"
                                   : "change the setpoint";
    if (tuning ? !screen_may_engineer(u, what) : !screen_may_write(u, what))
        return true;
    if (!l) {
        screen_msg(u, SEV_HIGH, "%s: the server has not reported this loop", d->name);
        return true;
    }
    if (tuning)
        tune(u, d, l, ch);
    else if (ch == 'm')
        mode(u, d, l);
    else if (ch == 'u')
        output(u, d, l);
    else
        setpoint(u, d, l);
    return true;
}

static const struct screen_key keys[] = {
    {"Up/Down", "select", "select a loop", false},
    {"s / Enter", "setpoint", "change the setpoint (dialog: limits, reason, confirmation)", true},
    {"m", "mode", "change the mode: MAN, AUTO, CAS (slaves)", true},
    {"u", "output", "set the output by hand (MAN only)", true},
    {"P / I / D", "tune", "tune kp, ti_s or td_s (engineer; dialog: range, reason)", true},
    {"g", "trend", "trend of the selected loop's PV", false},
};

const struct screen screen_loops = {
    .name = "loops",
    .title = "Loops",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
