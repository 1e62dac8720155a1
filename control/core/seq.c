/* seq — the melt-phase sequencer (see seq.h).
 *
 * Phase clock: t_phase += dt every step; in PYROLYSIS also t_pyro += dt (the
 * drying time the push permissive reads; it restarts when a charge starts).
 *
 * Exit conditions ("ready"), evaluated every step on GOOD values only (a value
 * of bad quality never makes a phase ready):
 *   HOLD       always: the operator starts a charge by asking for CHARGE.
 *   CHARGE     sc_door_closed AND scrap_on_hearth >= SEQ_HEARTH_EMPTY_KG.
 *   PYROLYSIS  co low AND t_pyro >= push_min_dry_min AND
 *              scrap_temp >= push_min_scrap_c AND
 *              (finished OR t_phase >= min_pyro_min), where
 *              finished = scrap_temp >= scrap_ready_c AND
 *                         sc_gas_temp <= peak - SEQ_PEAK_DROP_K,
 *              peak = highest good sc_gas_temp since the phase began, and
 *              co low = CO has fallen below co_end_ppm in this phase and not risen
 *              to co_end_ppm + SEQ_CO_HYST_PPM since (a bad CO value clears it):
 *              the sensor's noise on a CO that falls slowly through the end value
 *              would otherwise make the phase ready at one look and not at the
 *              operator's request a second later.  The
 *              drying time and the dry-scrap temperature are the push
 *              permissive's own minimums: a pyrolysis that finished early, or a
 *              charge still cold at the minimum time, would otherwise say
 *              "ready" to a push the permissive refuses, in a PUSH phase whose
 *              drying clock stands.
 *   PUSH       pusher_home AND scrap_on_hearth < SEQ_HEARTH_EMPTY_KG.
 *   MELT       flat for SEQ_FLAT_HOLD_S without a break, where
 *              flat = |bath_hc_temp - sp| <= melt_flat_k AND
 *                     |bath_sc_temp - sp| <= melt_flat_k, sp = the MELT bath SP.
 *   ALLOY      the operator has confirmed the chemistry (seq_confirm_chemistry).
 *   SKIM       the HC door has been open in this phase AND is closed now.
 *   TAP        tap closed AND (tapped >= tap_target_t OR
 *              metal_mass <= heel_min_t + SEQ_HEEL_TOL_T), where
 *              tapped = highest good metal_mass in the phase - metal_mass.
 *
 * Transitions: to the table's next phase when ready; to HOLD from ALLOY, SKIM
 * and TAP when the phase's safe exit holds (ALLOY: always, SKIM: HC door
 * closed, TAP: tap closed) — skipping the rest of the cycle, or ending a tap
 * early; TAP's next phase is HOLD, so its "ready" informs the operator and
 * the tap closed is what is required.  MELT -> CHARGE (the table's
 * `overlap`): a twin-chamber furnace runs semi-continuously, so once the
 * scrap has been pushed the next charge may be placed and preheated while
 * the last one melts; the operator asks for it, and only with the hearth
 * empty (scrap_on_hearth GOOD and < SEQ_HEARTH_EMPTY_KG: can_charge,
 * charge_why).  ALLOY, SKIM and TAP stay reachable through MELT's flat bath,
 * every few charges.  An engineer's force skips the ready/safe/empty check,
 * never the allowed-target rule.  PUSH is the one phase that is not
 * operator-confirmed: it moves on to MELT by itself.
 *
 * Overrun: max_min[phase] > 0 AND t_phase >= 60 * max_min[phase].
 *
 * Outputs: bath SP = bath_sp (HOLD..MELT); in ALLOY, SKIM and TAP the metal
 * must be in the tapping window: bath_sp still when it lies in the window's
 * middle half (at least a quarter of the window from either edge: moving the
 * bath there would only cost fuel and a HOLD that starts off its setpoint
 * after the tap), else the window's middle; SC gas SP
 * = sc_pyro_sp in PYROLYSIS only; pump = pump_pct[phase]; firing cap =
 * charge_fire_pct while a door is to be opened (CHARGE, SKIM), else 100 %.
 */
#include "seq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct seq_env {
    const struct cfg_program *prog;
    const struct cfg_limits *lim;
    const struct plant *p;
};

typedef bool (*seq_exit_fn)(struct seq *s, const struct seq_env *e, char *why, size_t n);

enum seq_bath_src { BATH_HOLD_SP, BATH_TAP_MID };

/* The HOLD exit of a phase: allowed, and which bool role must read `want`. */
struct seq_hold {
    bool allowed;
    size_t off;       /* offsetof(struct plant, role); used when name != NULL */
    bool want;
    const char *name; /* NULL: no condition */
    const char *fail; /* the role's state when it is not `want` */
};

struct seq_phase {
    const char *name;
    const char *what;
    void (*on_entry)(struct seq *s);
    enum seq_bath_src bath;
    bool sc_active;
    bool fire_capped;
    seq_exit_fn exit;
    enum cfg_phase next;
    bool confirmed;
    struct seq_hold hold;
    bool overlap; /* may also go on to CHARGE with the hearth empty */
    bool standby, standby_keep; /* seq_out.standby_ok, standby_keep */
};

static const struct seq_phase phases[PH_COUNT];

static __attribute__((format(printf, 3, 4))) void say(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* Append one clause, separated from what is already there by "; ". */
static __attribute__((format(printf, 3, 4))) void add(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used > 0 && used + 2 < n) {
        memcpy(buf + used, "; ", 3);
        used += 2;
    }
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
}

/* Append sep then word, truncating to fit. */
static void add_word(char *buf, size_t n, const char *sep, const char *word)
{
    size_t used = strlen(buf);
    if (used + 1 < n)
        snprintf(buf + used, n - used, "%s%s", sep, word);
}

static bool good(struct tag_value v) { return v.q == Q_GOOD; }

static const struct tag_value *role(const struct plant *p, size_t off)
{
    return (const struct tag_value *)(const void *)((const char *)p + off);
}

/* ---- entry actions ------------------------------------------------------- */

static void entry_new_charge(struct seq *s) { s->t_pyro_s = 0; }

static void enter(struct seq *s, enum cfg_phase ph)
{
    s->phase = ph;
    s->t_phase_s = 0;
    s->ready = false;
    say(s->why, sizeof s->why, "not evaluated yet");
    s->can_hold = false;
    say(s->hold_why, sizeof s->hold_why, "not evaluated yet");
    s->can_charge = false;
    say(s->charge_why, sizeof s->charge_why, "not evaluated yet");
    s->overrun = false;
    s->overrun_why[0] = '\0';
    s->have_peak = false;
    s->sc_gas_peak = 0;
    s->co_low = false;
    s->flat_s = 0;
    s->chem_ok = false;
    s->hc_door_opened = false;
    s->tap_peak_kg = 0;
    if (phases[ph].on_entry)
        phases[ph].on_entry(s);
}

/* ---- exit conditions ------------------------------------------------------ */

static bool exit_hold(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    (void)s;
    (void)e;
    say(why, n, "the operator may start a charge");
    return true;
}

static bool exit_charge(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    (void)s;
    struct tag_value door = e->p->sc_door_closed, scrap = e->p->scrap_on_hearth;
    why[0] = '\0';
    if (!good(door))
        add(why, n, "charging door BAD (no good value)");
    else if (door.v < 0.5)
        add(why, n, "charging door open");
    if (!good(scrap))
        add(why, n, "scrap on hearth BAD (no good value)");
    else if (scrap.v < SEQ_HEARTH_EMPTY_KG)
        add(why, n, "no scrap on the hearth (%.0f kg)", scrap.v);
    if (why[0])
        return false;
    say(why, n, "charging door closed with %.1f t of scrap on the hearth", scrap.v / 1000);
    return true;
}

static bool exit_pyrolysis(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    const struct cfg_program *g = e->prog;
    struct tag_value co = e->p->co_ppm, scrap = e->p->scrap_temp, gas = e->p->sc_gas_temp;
    bool co_ok = good(co) && s->co_low;
    bool hot = good(scrap) && scrap.v >= g->scrap_ready_c;
    bool past = s->have_peak && good(gas) && gas.v <= s->sc_gas_peak - SEQ_PEAK_DROP_K;
    bool timed = s->t_phase_s >= g->min_pyro_min * 60;
    double dry_min = e->lim->push_min_dry_min;
    bool dried = s->t_pyro_s >= dry_min * 60;

    if (co_ok && !dried && (timed || (hot && past))) {
        say(why, n, "pyrolysis done but drying %.1f of minimum %.0f min", s->t_pyro_s / 60,
            dry_min);
        return false;
    }
    if (co_ok && (timed || (hot && past)) &&
        !(good(scrap) && scrap.v >= e->lim->push_min_scrap_c)) {
        if (good(scrap))
            say(why, n, "pyrolysis done but scrap %.0f °C < dry-scrap minimum %.0f °C", scrap.v,
                e->lim->push_min_scrap_c);
        else
            say(why, n, "pyrolysis done but scrap BAD (no good value)");
        return false;
    }
    if (co_ok && timed) {
        say(why, n, "CO %.0f ppm < end-of-pyrolysis %.0f ppm after the minimum %.0f min", co.v,
            g->co_end_ppm, g->min_pyro_min);
        return true;
    }
    if (co_ok && hot && past) {
        say(why, n,
            "pyrolysis finished: scrap %.0f °C ≥ %.0f °C, CO %.0f ppm < %.0f ppm, "
            "SC gas %.0f °C past its peak %.0f °C",
            scrap.v, g->scrap_ready_c, co.v, g->co_end_ppm, gas.v, s->sc_gas_peak);
        return true;
    }
    why[0] = '\0';
    if (!good(co))
        add(why, n, "CO BAD (no good value)");
    else if (!co_ok && co.v >= g->co_end_ppm)
        add(why, n, "CO %.0f ppm ≥ end-of-pyrolysis %.0f ppm", co.v, g->co_end_ppm);
    else if (!co_ok)
        add(why, n, "CO %.0f ppm has not fallen below end-of-pyrolysis %.0f ppm since it rose "
            "past %.0f ppm", co.v, g->co_end_ppm, g->co_end_ppm + SEQ_CO_HYST_PPM);
    if (!timed) {
        add(why, n, "%.0f of minimum %.0f min", floor(s->t_phase_s / 60), g->min_pyro_min);
        if (!good(scrap))
            add(why, n, "scrap BAD (no good value)");
        else if (!hot)
            add(why, n, "scrap %.0f °C < ready %.0f °C", scrap.v, g->scrap_ready_c);
        if (!good(gas))
            add(why, n, "SC gas BAD (no good value)");
        else if (!past)
            add(why, n, "SC gas %.0f °C not past its peak %.0f °C", gas.v,
                s->have_peak ? s->sc_gas_peak : gas.v);
    }
    return false;
}

static bool exit_push(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    (void)s;
    struct tag_value home = e->p->pusher_home, scrap = e->p->scrap_on_hearth;
    why[0] = '\0';
    if (!good(home))
        add(why, n, "pusher BAD (no good value)");
    else if (home.v < 0.5)
        add(why, n, "pusher not home");
    if (!good(scrap))
        add(why, n, "scrap on hearth BAD (no good value)");
    else if (scrap.v >= SEQ_HEARTH_EMPTY_KG)
        add(why, n, "%.1f t of scrap still on the hearth", scrap.v / 1000);
    if (why[0])
        return false;
    say(why, n, "pusher home and the hearth empty");
    return true;
}

/* One side of the bath against the band; appends why it is not flat. */
static bool side_flat(const char *side, struct tag_value t, double sp, double k, char *why,
                      size_t n)
{
    if (!good(t)) {
        add(why, n, "bath %s side BAD (no good value)", side);
        return false;
    }
    if (fabs(t.v - sp) <= k)
        return true;
    add(why, n, "bath %s side %.0f °C, %.0f K %s setpoint %.0f °C ± %.0f K", side, t.v,
        fabs(t.v - sp), t.v < sp ? "below" : "above", sp, k);
    return false;
}

static bool exit_melt(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    double sp = s->out.bath_sp, k = e->prog->melt_flat_k;
    struct tag_value hc = e->p->bath_hc_temp, sc = e->p->bath_sc_temp;
    why[0] = '\0';
    bool flat = side_flat("HC", hc, sp, k, why, n);
    flat = side_flat("SC", sc, sp, k, why, n) && flat;
    if (!flat)
        return false;
    if (s->flat_s < SEQ_FLAT_HOLD_S) {
        say(why, n, "bath flat for %.1f of %.1f min", floor(s->flat_s / 6) / 10,
            SEQ_FLAT_HOLD_S / 60);
        return false;
    }
    say(why, n, "bath flat for %.1f min: HC side %.0f °C, SC side %.0f °C within %.0f K of %.0f °C",
        s->flat_s / 60, hc.v, sc.v, k, sp);
    return true;
}

static bool exit_alloy(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    (void)e;
    say(why, n, "%s", s->chem_ok ? "chemistry confirmed by the operator"
                                 : "waiting for the operator to confirm the chemistry");
    return s->chem_ok;
}

static bool exit_skim(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    struct tag_value door = e->p->hc_door_closed;
    if (!good(door)) {
        say(why, n, "HC door BAD (no good value)");
        return false;
    }
    if (door.v < 0.5) {
        say(why, n, "HC door open");
        return false;
    }
    if (!s->hc_door_opened) {
        say(why, n, "HC door not yet opened for skimming");
        return false;
    }
    say(why, n, "HC door closed after skimming");
    return true;
}

static bool exit_tap(struct seq *s, const struct seq_env *e, char *why, size_t n)
{
    struct tag_value tap = e->p->tap_open, mass = e->p->metal_mass;
    double target_kg = e->prog->tap_target_t * 1000;
    double heel_kg = (e->lim->heel_min_t + SEQ_HEEL_TOL_T) * 1000;
    if (!good(mass)) {
        say(why, n, "metal mass BAD (no good value)");
        return false;
    }
    double tapped = s->tap_peak_kg - mass.v;
    if (!good(tap)) {
        say(why, n, "tap BAD (no good value)");
        return false;
    }
    if (tap.v > 0.5) {
        say(why, n, "tap open, %.1f t tapped", tapped / 1000);
        return false;
    }
    if (target_kg > 0 && tapped >= target_kg) {
        say(why, n, "tap closed after %.1f t tapped (target %.1f t)", tapped / 1000,
            e->prog->tap_target_t);
        return true;
    }
    if (mass.v <= heel_kg) {
        say(why, n, "tap closed at the heel: metal %.1f t", mass.v / 1000);
        return true;
    }
    say(why, n,
        "tap closed with %.1f t tapped of target %.1f t, metal %.1f t above the heel %.1f t",
        tapped / 1000, e->prog->tap_target_t, mass.v / 1000, e->lim->heel_min_t);
    return false;
}

/* ---- trackers ------------------------------------------------------------- */

static void track(struct seq *s, const struct seq_env *e, double dt)
{
    const struct plant *p = e->p;
    switch (s->phase) {
    case PH_PYROLYSIS:
        if (good(p->sc_gas_temp) && (!s->have_peak || p->sc_gas_temp.v > s->sc_gas_peak)) {
            s->sc_gas_peak = p->sc_gas_temp.v;
            s->have_peak = true;
        }
        if (!good(p->co_ppm))
            s->co_low = false;
        else if (p->co_ppm.v < e->prog->co_end_ppm)
            s->co_low = true;
        else if (p->co_ppm.v >= e->prog->co_end_ppm + SEQ_CO_HYST_PPM)
            s->co_low = false;
        break;
    case PH_MELT: {
        double sp = s->out.bath_sp, k = e->prog->melt_flat_k;
        bool flat = good(p->bath_hc_temp) && good(p->bath_sc_temp) &&
                    fabs(p->bath_hc_temp.v - sp) <= k && fabs(p->bath_sc_temp.v - sp) <= k;
        s->flat_s = flat ? s->flat_s + dt : 0;
        break;
    }
    case PH_SKIM:
        if (good(p->hc_door_closed) && p->hc_door_closed.v < 0.5)
            s->hc_door_opened = true;
        break;
    case PH_TAP:
        if (good(p->metal_mass) && p->metal_mass.v > s->tap_peak_kg)
            s->tap_peak_kg = p->metal_mass.v;
        break;
    default:
        break;
    }
}

static void eval_hold(struct seq *s, const struct plant *p)
{
    const struct seq_hold *h = &phases[s->phase].hold;
    s->hold_why[0] = '\0';
    s->can_hold = h->allowed;
    if (!h->allowed || !h->name)
        return;
    struct tag_value v = *role(p, h->off);
    if (!good(v)) {
        s->can_hold = false;
        say(s->hold_why, sizeof s->hold_why, "%s BAD (no good value)", h->name);
    } else if ((v.v > 0.5) != h->want) {
        s->can_hold = false;
        say(s->hold_why, sizeof s->hold_why, "%s %s", h->name, h->fail);
    }
}

/* The overlap exit: the next charge may start while the last one melts, with
 * the hearth empty. */
static void eval_overlap(struct seq *s, const struct plant *p)
{
    struct tag_value scrap = p->scrap_on_hearth;
    s->can_charge = false;
    if (!phases[s->phase].overlap)
        say(s->charge_why, sizeof s->charge_why, "%s does not go on to CHARGE",
            phases[s->phase].name);
    else if (!good(scrap))
        say(s->charge_why, sizeof s->charge_why, "scrap on hearth BAD (no good value)");
    else if (scrap.v >= SEQ_HEARTH_EMPTY_KG)
        say(s->charge_why, sizeof s->charge_why, "%.1f t of scrap still on the hearth",
            scrap.v / 1000);
    else {
        s->can_charge = true;
        say(s->charge_why, sizeof s->charge_why,
            "hearth empty: the next charge goes on while this one melts");
    }
}

/* "ALLOY or CHARGE", "SKIM or HOLD": the targets `ph` may go on to. */
static void targets(const struct seq_phase *ph, char *buf, size_t n)
{
    const char *t[3];
    int k = 0;
    t[k++] = phases[ph->next].name;
    if (ph->overlap && ph->next != PH_CHARGE)
        t[k++] = phases[PH_CHARGE].name;
    if (ph->hold.allowed && ph->next != PH_HOLD)
        t[k++] = phases[PH_HOLD].name;
    buf[0] = '\0';
    for (int i = 0; i < k; i++)
        add_word(buf, n, i == 0 ? "" : i == k - 1 ? " or " : ", ", t[i]);
}

/* ---- public --------------------------------------------------------------- */

void seq_outputs(const struct cfg_program *prog, enum cfg_phase phase, struct seq_out *out)
{
    const struct seq_phase *ph = &phases[phase];
    out->bath_sp = prog->bath_sp;
    if (ph->bath == BATH_TAP_MID && prog->tap_hi >= prog->tap_lo && prog->tap_lo > 0) {
        double quarter = (prog->tap_hi - prog->tap_lo) / 4;
        if (prog->bath_sp < prog->tap_lo + quarter || prog->bath_sp > prog->tap_hi - quarter)
            out->bath_sp = (prog->tap_lo + prog->tap_hi) / 2;
    }
    out->sc_active = ph->sc_active;
    out->sc_gas_sp = ph->sc_active ? prog->sc_pyro_sp : 0;
    out->pump_pct = prog->pump_pct[phase];
    out->fire_cap_pct = ph->fire_capped ? prog->charge_fire_pct : 100;
    out->standby_ok = ph->standby;
    out->standby_keep = ph->standby_keep;
}

void seq_init(struct seq *s, const struct cfg_program *prog, enum cfg_phase phase)
{
    memset(s, 0, sizeof *s);
    if ((unsigned)phase >= PH_COUNT)
        phase = PH_HOLD;
    enter(s, phase);
    seq_outputs(prog, phase, &s->out);
}

bool seq_step(struct seq *s, const struct cfg_program *prog, const struct cfg_limits *lim,
              const struct plant *p, double dt)
{
    const struct seq_env e = { .prog = prog, .lim = lim, .p = p };
    const struct seq_phase *ph = &phases[s->phase];

    if (dt > 0) {
        s->t_phase_s += dt;
        if (s->phase == PH_PYROLYSIS)
            s->t_pyro_s += dt;
    }
    seq_outputs(prog, s->phase, &s->out);
    track(s, &e, dt > 0 ? dt : 0);
    s->ready = ph->exit(s, &e, s->why, sizeof s->why);
    eval_hold(s, p);
    eval_overlap(s, p);

    double max_min = prog->max_min[s->phase];
    s->overrun = max_min > 0 && s->t_phase_s >= max_min * 60;
    if (s->overrun)
        say(s->overrun_why, sizeof s->overrun_why,
            "%s has run %.0f min, past its maximum of %.0f min", ph->name,
            floor(s->t_phase_s / 60), max_min);
    else
        s->overrun_why[0] = '\0';

    if (!s->ready || ph->confirmed)
        return false;
    char done[SEQ_TEXT_MAX];
    say(done, sizeof done, "%s", s->why);
    enum cfg_phase from = s->phase;
    enter(s, ph->next);
    say(s->why, sizeof s->why, "%s done (%s): %s started", phases[from].name, done,
        phases[s->phase].name);
    seq_outputs(prog, s->phase, &s->out);
    return true;
}

int seq_request(struct seq *s, enum cfg_phase target, bool force, char *why, size_t len)
{
    const struct seq_phase *ph = &phases[s->phase];
    const char *from = ph->name;

    if ((unsigned)target >= PH_COUNT) {
        say(why, len, "Phase change refused: there is no phase number %d", (int)target);
        return -1;
    }
    if (target == s->phase) {
        say(why, len, "Phase change refused: already in %s", from);
        return -1;
    }
    bool to_hold = target == PH_HOLD && ph->hold.allowed;
    bool to_charge = target == PH_CHARGE && ph->overlap && target != ph->next;
    if (!to_hold && !to_charge && target != ph->next) {
        char list[64];
        targets(ph, list, sizeof list);
        say(why, len, "Phase change refused: %s goes on only to %s, not %s", from, list,
            phases[target].name);
        return -1;
    }
    bool ok = to_hold ? s->can_hold : to_charge ? s->can_charge : s->ready;
    const char *because = to_hold ? s->hold_why : to_charge ? s->charge_why : s->why;
    if (!ok && !force) {
        if (to_hold)
            say(why, len, "Phase change refused: %s cannot go to HOLD: %s", from, because);
        else if (to_charge)
            say(why, len, "Phase change refused: %s cannot go on to CHARGE: %s", from, because);
        else
            say(why, len, "Phase change refused: %s not ready: %s", from, because);
        return -1;
    }
    if (ok && to_charge)
        say(why, len, "%s → %s: %s", from, phases[target].name, because);
    else if (ok)
        say(why, len, "%s → %s: %s", from, phases[target].name,
            s->ready ? s->why : "ended early by the operator");
    else
        say(why, len, "%s → %s forced by an engineer; %s: %s", from, phases[target].name,
            to_hold ? "not safe to leave" : to_charge ? "hearth not empty" : "not ready",
            because);
    enter(s, target);
    return 0;
}

int seq_confirm_chemistry(struct seq *s, char *why, size_t len)
{
    if (s->phase != PH_ALLOY) {
        say(why, len, "Confirm chemistry refused: phase is %s, not ALLOY", phases[s->phase].name);
        return -1;
    }
    s->chem_ok = true;
    s->ready = true;
    say(s->why, sizeof s->why, "chemistry confirmed by the operator");
    say(why, len, "ALLOY: chemistry confirmed by the operator");
    return 0;
}

void seq_flag_wet(struct seq *s, bool wet) { s->wet = wet; }

const char *seq_phase_name(enum cfg_phase p)
{
    return (unsigned)p < PH_COUNT ? phases[p].name : "?";
}

const char *seq_phase_what(enum cfg_phase p)
{
    return (unsigned)p < PH_COUNT ? phases[p].what : "?";
}

enum cfg_phase seq_phase_next(enum cfg_phase p)
{
    return (unsigned)p < PH_COUNT ? phases[p].next : PH_HOLD;
}

bool seq_phase_confirmed(enum cfg_phase p)
{
    return (unsigned)p < PH_COUNT ? phases[p].confirmed : true;
}

/* ---- the phase table ------------------------------------------------------ */

#define HOLD_ON(field, want_, name_, fail_)                                                   \
    {                                                                                         \
        .allowed = true, .off = offsetof(struct plant, field), .want = (want_),               \
        .name = (name_), .fail = (fail_)                                                      \
    }

static const struct seq_phase phases[PH_COUNT] = {
    [PH_HOLD] = { .name = "HOLD", .what = "bath held at setpoint, pump slow",
                  .bath = BATH_HOLD_SP, .exit = exit_hold, .next = PH_CHARGE,
                  .confirmed = true, .standby_keep = true },
    [PH_CHARGE] = { .name = "CHARGE",
                    .what = "charging door open, scrap placed on the hearth, HC at reduced fire",
                    .on_entry = entry_new_charge, .bath = BATH_HOLD_SP, .fire_capped = true,
                    .exit = exit_charge, .next = PH_PYROLYSIS, .confirmed = true },
    [PH_PYROLYSIS] = { .name = "PYROLYSIS",
                       .what = "hot gas heats the scrap; organics gasify and burn in the HC",
                       .bath = BATH_HOLD_SP, .sc_active = true, .exit = exit_pyrolysis,
                       .next = PH_PUSH, .confirmed = true },
    [PH_PUSH] = { .name = "PUSH", .what = "pusher moves the scrap into the bath",
                  .bath = BATH_HOLD_SP, .exit = exit_push, .next = PH_MELT,
                  .confirmed = false },
    /* MELT: on to ALLOY with a flat bath, or (overlap) to CHARGE with the hearth empty */
    [PH_MELT] = { .name = "MELT", .what = "scrap melts in circulating metal; HC reheats the bath",
                  .bath = BATH_HOLD_SP, .exit = exit_melt, .next = PH_ALLOY,
                  .confirmed = true, .overlap = true },
    [PH_ALLOY] = { .name = "ALLOY", .what = "alloy additions, stirring, sample",
                   .bath = BATH_TAP_MID, .exit = exit_alloy, .next = PH_SKIM,
                   .confirmed = true, .hold = { .allowed = true } },
    [PH_SKIM] = { .name = "SKIM", .what = "HC door open, dross removed", .bath = BATH_TAP_MID,
                  .fire_capped = true, .exit = exit_skim, .next = PH_TAP, .confirmed = true,
                  .hold = HOLD_ON(hc_door_closed, true, "HC door", "open") },
    [PH_TAP] = { .name = "TAP", .what = "metal to the casting line until target mass or heel",
                 .bath = BATH_TAP_MID, .exit = exit_tap, .next = PH_HOLD, .confirmed = true,
                 .hold = HOLD_ON(tap_open, false, "tap", "open"), .standby = true,
                 .standby_keep = true },
};
