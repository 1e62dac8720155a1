/* perm — the console's permissives (see perm.h).
 *
 * A command is READY when every condition of its table holds:
 *
 *     value  CMP  limit        CMP in { <=, <, >=, > }
 *     bool   is   on | off     (a discrete input or the wet flag)
 *     phase  in   set          (the sequencer's phase)
 *     ready                    (the sequencer says the phase may end)
 *
 * value is a role of struct plant (metal masses shown in t), the drying time
 * (the sequencer's time in PYROLYSIS, min), the command's argument, or the
 * bath after a charge (metal_mass + scrap_on_hearth + charge, t), or the
 * organics of a charge (charge x its class's organics_pct, kg).  limit is a
 * field of cfg_limits, cfg_furnace or the melt program, or a constant of the
 * table.  A condition may apply only in some phases (`only`).  Every failing
 * condition is one sentence: "LABEL: NAME VALUE UNIT NOT-CMP LIMIT-NAME LIMIT
 * UNIT", or "LABEL: NAME STATE" for a bool, or "LABEL: NAME BAD (no good
 * value)" when a value it reads is not GOOD — bad quality always blocks.
 *
 * Hazards (control/README.md, 'Hazards') and the rows that cover them; the
 * PLC has its own interlock for each (its limits in [sim] for meltsim), and
 * these limits are the same or stricter, so the console explains first:
 *   pyrolysis gas and air   either door: CO <= co_max_door_ppm, O2 >=
 *                           door_o2_min_pct (fuel-rich); charging door: SC
 *                           gas <= sc_gas_max_door_c in PYROLYSIS and PUSH;
 *                           not both doors open; fan start only with the
 *                           door shut
 *   wet scrap into metal    push: drying time >= push_min_dry_min, no wet
 *                           flag, scrap >= push_min_scrap_c, PYROLYSIS/PUSH
 *   roof heat               burner start: roof <= roof_max_c (high fire is
 *                           limited by the roof override of the HC loop)
 *   pump freeze             pump start: bath >= pump_min_bath_c, level >=
 *                           pump_min_level_mm
 *   overfill                charge: bath after charge <= capacity, level <
 *                           max_level_mm, charge <= max_charge_t; push: bath
 *                           after push <= capacity, level < max_level_mm
 *   pyrolysis gas beyond    charge: organics (mass x class) <= max_organics_kg
 *   air and flue            (0 = no limit); its sentence names the largest
 *                           charge of the class (perm_charge_max_t)
 *   door at high fire       either door: firing <= low_fire_pct
 *   tapping below the heel  tap open: metal > heel_min_t
 *   E-stop                  every command the PLC refuses under it; its
 *                           reset only with the button released
 * A condition may have alternatives (`unless`): the pump's freeze guard is also met in
 * remelt circulation (the HC side it draws from hot, the SC side not frozen solid), so a
 * cold charge in the SC never deadlocks the pump (control/README.md, 'Recovery without
 * deadlock'); a refusal then says both why the condition and why its alternative fail.
 * Stops and closes only make the furnace safer: their tables are empty.
 * Setpoint and mode changes are bounded per loop (cfg_loop sp_lo/sp_hi, PV
 * quality) by the loop module, not here: their tables are empty too.
 */
#include "perm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum perm_src {
    SRC_NONE,    /* ends a table */
    SRC_PLANT,   /* struct plant role at `off` */
    SRC_PLANT_T, /* a role in kg, shown in t */
    SRC_PHASE,   /* sequencer phase */
    SRC_DRY_MIN, /* sequencer drying time, min */
    SRC_WET,     /* sequencer moisture flag */
    SRC_READY,   /* sequencer: phase ready to end */
    SRC_ARG,     /* the command's argument */
    SRC_FILL_T,  /* metal_mass + scrap_on_hearth + arg, t */
    SRC_ORGANICS_KG, /* arg (t) x the charge's class organics_pct, kg; limit 0: none */
};

enum perm_cmp { CMP_LE, CMP_LT, CMP_GE, CMP_GT, CMP_ON, CMP_OFF, CMP_IN };

enum perm_lim_src { LIM_CONST, LIM_LIMITS, LIM_FURNACE, LIM_PROGRAM };

struct perm_cond {
    enum perm_src src;
    size_t off;               /* SRC_PLANT, SRC_PLANT_T: offsetof(struct plant, role) */
    enum perm_cmp cmp;
    enum perm_lim_src lim_src;
    size_t lim_off;           /* offsetof in the limit's struct */
    double k;                 /* LIM_CONST */
    unsigned phases;          /* CMP_IN: the allowed phases */
    unsigned only;            /* applies only in these phases; 0 = always */
    const char *name;         /* "firing" */
    const char *unit;         /* "%" */
    const char *lim_name;     /* "low-fire limit" */
    int dec;                  /* decimals shown */
    const char *fail;         /* CMP_ON / CMP_OFF: the state that blocks, "open" */
    unsigned char alt;        /* > 0: only an alternative of the conditions with this `unless` */
    unsigned char unless;     /* > 0: also met when every condition with this `alt` holds
                               * (and the first of them has a limit above 0: else none) */
};

struct perm_def {
    const char *name;
    const char *label;
    enum plc_cmd plc;
    struct perm_cond cond[PERM_MAX_COND];
};

static const struct perm_def defs[PERM_COUNT];

/* A value with its quality. */
struct perm_val {
    double v;
    bool good;
};

static const struct tag_value *role(const struct plant *p, size_t off)
{
    return (const struct tag_value *)(const void *)((const char *)p + off);
}

static const struct cfg_scrap *charge_class(const struct perm_ctx *x)
{
    return x->scrap ? x->scrap : x->scrap_default;
}

static struct perm_val value(const struct perm_cond *c, const struct perm_ctx *x, double arg)
{
    const struct plant *p = x->plant;
    const struct tag_value *t;
    switch (c->src) {
    case SRC_PLANT:
        t = role(p, c->off);
        return (struct perm_val){ t->v, t->q == Q_GOOD };
    case SRC_PLANT_T:
        t = role(p, c->off);
        return (struct perm_val){ t->v / 1000, t->q == Q_GOOD };
    case SRC_PHASE:
        return (struct perm_val){ (double)x->seq->phase, true };
    case SRC_DRY_MIN:
        return (struct perm_val){ x->seq->t_pyro_s / 60, true };
    case SRC_WET:
        return (struct perm_val){ x->seq->wet ? 1 : 0, true };
    case SRC_READY:
        return (struct perm_val){ x->seq->ready ? 1 : 0, true };
    case SRC_ARG:
        return (struct perm_val){ arg, isfinite(arg) };
    case SRC_FILL_T:
        return (struct perm_val){ (p->metal_mass.v + p->scrap_on_hearth.v) / 1000 + arg,
                                  p->metal_mass.q == Q_GOOD && p->scrap_on_hearth.q == Q_GOOD &&
                                      isfinite(arg) };
    case SRC_ORGANICS_KG: {
        const struct cfg_scrap *s = charge_class(x);
        /* t x 1000 x pct / 100, to the gram: 2.00 t at 10 % is 200 kg exactly */
        return (struct perm_val){ s ? round(arg * 10 * s->organics_pct * 1000) / 1000 : 0,
                                  s && isfinite(arg) };
    }
    case SRC_NONE:
        break;
    }
    return (struct perm_val){ 0, false };
}

static double limit(const struct perm_cond *c, const struct perm_ctx *x)
{
    const void *base;
    switch (c->lim_src) {
    case LIM_LIMITS:
        base = x->lim;
        break;
    case LIM_FURNACE:
        base = x->furnace;
        break;
    case LIM_PROGRAM:
        base = x->prog;
        break;
    case LIM_CONST:
    default:
        return c->k;
    }
    double d;
    memcpy(&d, (const char *)base + c->lim_off, sizeof d);
    return d;
}

static bool holds(enum perm_cmp cmp, double v, double lim, unsigned phases)
{
    switch (cmp) {
    case CMP_LE:
        return v <= lim;
    case CMP_LT:
        return v < lim;
    case CMP_GE:
        return v >= lim;
    case CMP_GT:
        return v > lim;
    case CMP_ON:
        return v > 0.5;
    case CMP_OFF:
        return v <= 0.5;
    case CMP_IN:
        return v >= 0 && v < PH_COUNT && (phases & (1u << (unsigned)v));
    }
    return false;
}

/* The comparison that holds when the condition fails. */
static const char *const negated[] = {
    [CMP_LE] = ">", [CMP_LT] = "≥", [CMP_GE] = "<", [CMP_GT] = "≤",
};

static __attribute__((format(printf, 3, 4))) void say(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* "PYROLYSIS or PUSH" */
static void phase_list(unsigned set, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int ph = 0; ph < PH_COUNT; ph++) {
        if (!(set & (1u << ph)))
            continue;
        size_t used = strlen(buf);
        say(buf + used, n - used, "%s%s", used ? " or " : "", seq_phase_name((enum cfg_phase)ph));
    }
}

static void sentence(const struct perm_def *d, const struct perm_cond *c, const struct perm_ctx *x,
                     struct perm_val v, double lim, char *buf, size_t n)
{
    char set[80];

    if (c->src == SRC_ORGANICS_KG) {
        const struct cfg_scrap *s = charge_class(x);
        if (!s)
            say(buf, n, "%s: the scrap's class is not known (no [scrap.NAME] classes, or no "
                "[limits] default_scrap), so its organics are not", d->label);
        else if (!v.good)
            say(buf, n, "%s: %s BAD (no good value)", d->label, c->name);
        else
            say(buf, n, "%s: %.2f t of %s scrap (%g %% organics) carries %.*f kg of organics, "
                "more than the %g kg a charge may; charge at most %.2f t", d->label,
                v.v / (10 * s->organics_pct), s->name, s->organics_pct,
                fabs(v.v - round(v.v)) < 0.05 ? 0 : 1, v.v, lim, perm_charge_max_t(x->lim, s));
        return;
    }
    if (!v.good) {
        say(buf, n, "%s: %s BAD (no good value)", d->label, c->name);
        return;
    }
    if (c->src == SRC_READY) {
        say(buf, n, "%s: %s not ready: %s", d->label, seq_phase_name(x->seq->phase), x->seq->why);
        return;
    }
    switch (c->cmp) {
    case CMP_ON:
    case CMP_OFF:
        say(buf, n, "%s: %s %s", d->label, c->name, c->fail);
        return;
    case CMP_IN:
        phase_list(c->phases, set, sizeof set);
        say(buf, n, "%s: phase %s, not %s", d->label, seq_phase_name(x->seq->phase), set);
        return;
    default:
        break;
    }
    const char *unit = c->unit ? c->unit : "", *sep = unit[0] ? " " : "";
    say(buf, n, "%s: %s %.*f%s%s %s %s %.*f%s%s", d->label, c->name, c->dec, v.v, sep, unit,
        negated[c->cmp], c->lim_name, c->dec, lim, sep, unit);
}

/* Do the alternatives of group g all hold?  If not, the first that fails is said in buf
 * ("" when the group is switched off: its first limit is not above 0). */
static bool alt_holds(const struct perm_def *d, unsigned g, const struct perm_ctx *x, double arg,
                      char *buf, size_t n)
{
    bool first = true;
    buf[0] = '\0';
    for (const struct perm_cond *c = d->cond; c < d->cond + PERM_MAX_COND && c->src; c++) {
        if (c->alt != g)
            continue;
        double lim = limit(c, x);
        if (first && !(lim > 0))
            return false;
        first = false;
        struct perm_val v = value(c, x, arg);
        if (!(v.good && holds(c->cmp, v.v, lim, c->phases))) {
            sentence(d, c, x, v, lim, buf, n);
            return false;
        }
    }
    return !first;
}

/* ---- public --------------------------------------------------------------- */

enum perm_status perm_eval(enum perm_cmd cmd, const struct perm_ctx *ctx, double arg,
                           struct perm_result *r)
{
    memset(r, 0, sizeof *r);
    if ((unsigned)cmd >= PERM_COUNT) {
        r->status = PERM_BLOCKED;
        r->nfail = 1;
        say(r->fail[0], sizeof r->fail[0], "Unknown command %d", (int)cmd);
        return r->status;
    }
    const struct perm_def *d = &defs[cmd];
    for (const struct perm_cond *c = d->cond; c < d->cond + PERM_MAX_COND && c->src; c++) {
        if (c->alt || (c->only && !(c->only & (1u << ctx->seq->phase))))
            continue;
        struct perm_val v = value(c, ctx, arg);
        double lim = limit(c, ctx);
        if (v.good && holds(c->cmp, v.v, lim, c->phases))
            continue;
        if (c->src == SRC_ORGANICS_KG && !(lim > 0))
            continue; /* no limit */
        char why_not[PERM_TEXT_MAX];
        if (c->unless && alt_holds(d, c->unless, ctx, arg, why_not, sizeof why_not))
            continue;
        sentence(d, c, ctx, v, lim, r->fail[r->nfail], sizeof r->fail[r->nfail]);
        r->nfail++;
        if (c->unless && why_not[0] && r->nfail < PERM_MAX_COND) {
            say(r->fail[r->nfail], sizeof r->fail[r->nfail], "%s", why_not);
            r->nfail++;
        }
    }
    r->status = r->nfail ? PERM_BLOCKED : PERM_READY;
    return r->status;
}

char *perm_join(const struct perm_result *r, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i < r->nfail; i++) {
        size_t used = strlen(buf);
        if (used + 1 >= len)
            break;
        say(buf + used, len - used, "%s%s", i ? "; " : "", r->fail[i]);
    }
    return buf;
}

const char *perm_cmd_name(enum perm_cmd cmd)
{
    return (unsigned)cmd < PERM_COUNT ? defs[cmd].name : NULL;
}

const char *perm_cmd_label(enum perm_cmd cmd)
{
    return (unsigned)cmd < PERM_COUNT ? defs[cmd].label : NULL;
}

int perm_cmd_from_name(const char *name)
{
    for (int i = 0; name && i < PERM_COUNT; i++)
        if (strcmp(name, defs[i].name) == 0)
            return i;
    return -1;
}

enum plc_cmd perm_cmd_plc(enum perm_cmd cmd)
{
    return (unsigned)cmd < PERM_COUNT ? defs[cmd].plc : PLC_CMD_NONE;
}

double perm_charge_max_t(const struct cfg_limits *lim, const struct cfg_scrap *s)
{
    double t = lim->max_charge_t;
    if (s && lim->max_organics_kg > 0 && s->organics_pct > 0)
        t = fmin(t, lim->max_organics_kg / (10 * s->organics_pct));
    return floor(t * 100 + 1e-6) / 100; /* the PLC's 0.01 t, never above the limit */
}

int perm_ncond(enum perm_cmd cmd)
{
    int n = 0;
    if ((unsigned)cmd < PERM_COUNT)
        while (n < PERM_MAX_COND && defs[cmd].cond[n].src)
            n++;
    return n;
}

/* ---- the tables ------------------------------------------------------------ */

#define PV(f) .src = SRC_PLANT, .off = offsetof(struct plant, f)
#define PV_T(f) .src = SRC_PLANT_T, .off = offsetof(struct plant, f)
#define LIMIT(f) .lim_src = LIM_LIMITS, .lim_off = offsetof(struct cfg_limits, f)
#define FURNACE(f) .lim_src = LIM_FURNACE, .lim_off = offsetof(struct cfg_furnace, f)
#define PROGRAM(f) .lim_src = LIM_PROGRAM, .lim_off = offsetof(struct cfg_program, f)
#define PH(p) (1u << (p))
#define IS_ON(f, name_, fail_) { PV(f), .cmp = CMP_ON, .name = (name_), .fail = (fail_) }
#define IS_OFF(f, name_, fail_) { PV(f), .cmp = CMP_OFF, .name = (name_), .fail = (fail_) }
#define IN_PHASES(set) { .src = SRC_PHASE, .cmp = CMP_IN, .phases = (set), .name = "phase" }
#define ESTOP IS_ON(estop_ok, "E-stop", "pressed")
#define DOOR_CO                                                                               \
    { PV(co_ppm), .cmp = CMP_LE, LIMIT(co_max_door_ppm), .name = "CO", .unit = "ppm",           \
      .lim_name = "door CO limit" }
#define DOOR_O2                                                                               \
    { PV(o2_pct), .cmp = CMP_GE, LIMIT(door_o2_min_pct), .name = "O2", .unit = "%",             \
      .lim_name = "door O2 minimum (fuel-rich below)", .dec = 2 }
#define OVERFILL_LEVEL                                                                        \
    { PV(bath_level), .cmp = CMP_LT, LIMIT(max_level_mm), .name = "bath level", .unit = "mm",   \
      .lim_name = "overfill level" }
#define FIRING_LOW                                                                            \
    { PV(firing_fb), .cmp = CMP_LE, LIMIT(low_fire_pct), .name = "firing", .unit = "%",        \
      .lim_name = "low-fire limit" }

static const struct perm_def defs[PERM_COUNT] = {
    [PERM_BURNER_START] = {
        .name = "burner_start", .label = "Start burner", .plc = PLC_CMD_BURNER_START,
        .cond = {
            { PV(roof_temp), .cmp = CMP_LE, LIMIT(roof_max_c), .name = "roof", .unit = "°C",
              .lim_name = "roof limit" },
            IS_ON(sc_door_closed, "charging door", "open"),
            IS_ON(hc_door_closed, "HC door", "open"),
            IS_OFF(bms_lockout, "burner", "in lockout"),
            IS_OFF(flame_on, "flame", "already on"),
            IS_ON(gas_ok, "gas pressure", "not proven"),
            IS_OFF(watchdog_tripped, "PLC watchdog", "tripped"),
            ESTOP,
        },
    },
    [PERM_BURNER_STOP] = { .name = "burner_stop", .label = "Stop burner",
                           .plc = PLC_CMD_BURNER_STOP },
    [PERM_LOCKOUT_RESET] = {
        .name = "lockout_reset", .label = "Reset burner lockout", .plc = PLC_CMD_LOCKOUT_RESET,
        .cond = {
            IS_ON(bms_lockout, "burner", "not in lockout"),
            ESTOP,
        },
    },
    [PERM_SC_DOOR_OPEN] = {
        .name = "sc_door_open", .label = "Open charging door", .plc = PLC_CMD_SC_DOOR_OPEN,
        .cond = {
            FIRING_LOW,
            DOOR_CO,
            DOOR_O2,
            { PV(sc_gas_temp), .cmp = CMP_LE, LIMIT(sc_gas_max_door_c),
              .only = PH(PH_PYROLYSIS) | PH(PH_PUSH), .name = "SC gas", .unit = "°C",
              .lim_name = "door SC gas limit" },
            IS_ON(hc_door_closed, "HC door", "open"),
            ESTOP,
        },
    },
    [PERM_SC_DOOR_CLOSE] = { .name = "sc_door_close", .label = "Close charging door",
                             .plc = PLC_CMD_SC_DOOR_CLOSE },
    [PERM_HC_DOOR_OPEN] = {
        .name = "hc_door_open", .label = "Open HC door", .plc = PLC_CMD_HC_DOOR_OPEN,
        .cond = {
            FIRING_LOW,
            DOOR_CO,
            DOOR_O2,
            IS_ON(sc_door_closed, "charging door", "open"),
            ESTOP,
        },
    },
    [PERM_HC_DOOR_CLOSE] = { .name = "hc_door_close", .label = "Close HC door",
                             .plc = PLC_CMD_HC_DOOR_CLOSE },
    [PERM_PUMP_START] = {
        .name = "pump_start", .label = "Start pump", .plc = PLC_CMD_PUMP_START,
        .cond = {
            { PV(bath_sc_temp), .cmp = CMP_GE, LIMIT(pump_min_bath_c), .name = "bath at the pump",
              .unit = "°C", .lim_name = "pump freeze limit", .unless = 1 },
            { PV(bath_hc_temp), .cmp = CMP_GE, LIMIT(pump_remelt_hc_c),
              .name = "remelt circulation: HC side", .unit = "°C", .lim_name = "remelt minimum",
              .alt = 1 },
            { PV(bath_sc_temp), .cmp = CMP_GE, LIMIT(pump_remelt_sc_c),
              .name = "remelt circulation: SC side", .unit = "°C",
              .lim_name = "frozen-solid limit", .alt = 1 },
            { PV(bath_level), .cmp = CMP_GE, LIMIT(pump_min_level_mm), .name = "bath level",
              .unit = "mm", .lim_name = "pump minimum level" },
            ESTOP,
        },
    },
    [PERM_PUMP_STOP] = { .name = "pump_stop", .label = "Stop pump", .plc = PLC_CMD_PUMP_STOP },
    [PERM_PUMP_SPEED] = {
        .name = "pump_speed", .label = "Set pump speed", .plc = PLC_CMD_NONE,
        .cond = {
            { .src = SRC_ARG, .cmp = CMP_GE, .k = 0, .name = "pump speed", .unit = "%",
              .lim_name = "minimum" },
            { .src = SRC_ARG, .cmp = CMP_LE, .k = 100, .name = "pump speed", .unit = "%",
              .lim_name = "maximum" },
        },
    },
    [PERM_FAN_START] = {
        .name = "fan_start", .label = "Start fan", .plc = PLC_CMD_FAN_START,
        .cond = {
            IS_ON(sc_door_closed, "charging door", "open"),
            ESTOP,
        },
    },
    [PERM_FAN_STOP] = { .name = "fan_stop", .label = "Stop fan", .plc = PLC_CMD_FAN_STOP },
    [PERM_CHARGE] = {
        .name = "charge", .label = "Charge scrap", .plc = PLC_CMD_CHARGE,
        .cond = {
            IN_PHASES(PH(PH_CHARGE)),
            IS_OFF(sc_door_closed, "charging door", "closed"),
            { .src = SRC_ARG, .cmp = CMP_GT, .k = 0, .name = "charge", .unit = "t",
              .lim_name = "minimum", .dec = 1 },
            { .src = SRC_ARG, .cmp = CMP_LE, LIMIT(max_charge_t), .name = "charge", .unit = "t",
              .lim_name = "charge limit", .dec = 1 },
            { .src = SRC_ORGANICS_KG, .cmp = CMP_LE, LIMIT(max_organics_kg),
              .name = "organics of the charge", .unit = "kg", .lim_name = "organics limit" },
            { .src = SRC_FILL_T, .cmp = CMP_LE, FURNACE(capacity_t), .name = "bath after charge",
              .unit = "t", .lim_name = "capacity", .dec = 1 },
            OVERFILL_LEVEL,
            ESTOP,
        },
    },
    [PERM_PUSH] = {
        .name = "push", .label = "Push scrap", .plc = PLC_CMD_PUSH,
        .cond = {
            IN_PHASES(PH(PH_PYROLYSIS) | PH(PH_PUSH)),
            { .src = SRC_DRY_MIN, .cmp = CMP_GE, LIMIT(push_min_dry_min), .name = "drying time",
              .unit = "min", .lim_name = "minimum", .dec = 1 },
            { .src = SRC_WET, .cmp = CMP_OFF, .name = "scrap", .fail = "flagged wet" },
            { PV(scrap_temp), .cmp = CMP_GE, LIMIT(push_min_scrap_c), .name = "scrap",
              .unit = "°C", .lim_name = "dry-scrap minimum" },
            IS_ON(sc_door_closed, "charging door", "open"),
            IS_ON(pusher_home, "pusher", "not home"),
            { .src = SRC_FILL_T, .cmp = CMP_LE, FURNACE(capacity_t), .name = "bath after push",
              .unit = "t", .lim_name = "capacity", .dec = 1 },
            OVERFILL_LEVEL,
            ESTOP,
        },
    },
    [PERM_TAP_OPEN] = {
        .name = "tap_open", .label = "Open tap", .plc = PLC_CMD_TAP_OPEN,
        .cond = {
            IN_PHASES(PH(PH_TAP)),
            { PV_T(metal_mass), .cmp = CMP_GT, LIMIT(heel_min_t), .name = "metal", .unit = "t",
              .lim_name = "heel", .dec = 1 },
            { PV(bath_hc_temp), .cmp = CMP_GE, PROGRAM(tap_lo), .name = "bath", .unit = "°C",
              .lim_name = "tapping window low" },
            { PV(bath_hc_temp), .cmp = CMP_LE, PROGRAM(tap_hi), .name = "bath", .unit = "°C",
              .lim_name = "tapping window high" },
            ESTOP,
        },
    },
    [PERM_TAP_CLOSE] = { .name = "tap_close", .label = "Close tap", .plc = PLC_CMD_TAP_CLOSE },
    [PERM_PHASE_ADVANCE] = {
        .name = "phase_advance", .label = "Advance phase", .plc = PLC_CMD_NONE,
        .cond = {
            { .src = SRC_READY, .cmp = CMP_ON, .name = "phase" },
        },
    },
    [PERM_WATCHDOG_RESET] = {
        .name = "watchdog_reset", .label = "Reset PLC watchdog", .plc = PLC_CMD_WATCHDOG_RESET,
        .cond = {
            IS_ON(watchdog_tripped, "PLC watchdog", "not tripped"),
        },
    },
    [PERM_ESTOP_RESET] = {
        .name = "estop_reset", .label = "Reset E-stop", .plc = PLC_CMD_ESTOP_RESET,
        .cond = {
            IS_OFF(estop_ok, "E-stop", "not tripped"),
            IS_ON(estop_released, "E-stop button", "still pressed"),
        },
    },
    [PERM_SETPOINT] = { .name = "setpoint", .label = "Change setpoint", .plc = PLC_CMD_NONE },
    [PERM_MODE] = { .name = "mode", .label = "Change loop mode", .plc = PLC_CMD_NONE },
};
