/* closed_loop_operator — the simulated operator: what he sees of the core's results
 * (replies, alarms, loop events), his habits, the duties that come first (acknowledge,
 * reset a lockout or the watchdog, restart the burners, pump or fan, put a loop back in its
 * mode) and the shift, phase by phase (table `shift`), or the --step test.  Every request
 * goes through the one gate, core_request(), as a console sends it.
 */
#include <string.h>

#include "closed_loop.h"
#include "plc_contract.h"

/* ---- the operator's habits (process seconds) --------------------------------------- */

enum wait { W_NONE, W_REACT, W_BOX, W_DOOR, W_CRANE, W_SAMPLE, W_SKIM, W_COUNT };

static const struct habits {
    double wait_s[W_COUNT]; /* before a step of the shift, jittered +-20 % by the seed */
    double hold_first_s;    /* the first HOLD of the shift: the HOLD figure needs > 10 min */
    double retry_s;         /* a refused request is tried again after this */
    double ack_s;           /* an alarm is acknowledged this long after it rang */
    double cause_s;         /* a lockout: looking for its cause before the reset */
    double duty_retry_s;    /* a pump, fan or loop mode that did not come back: try again */
    double tap_above_t;     /* after a push: tap (not the next charge) with more metal */
} habits = {
    .wait_s = {[W_NONE] = 0,
               [W_REACT] = 15,
               [W_BOX] = 120,
               [W_DOOR] = 15,
               [W_CRANE] = 90,
               [W_SAMPLE] = 180,
               [W_SKIM] = 180},
    .hold_first_s = 1200,
    .retry_s = 60,
    .ack_s = 30,
    .cause_s = 360,
    .duty_retry_s = 180,
    .tap_above_t = 60,
};

/* ---- results: replies and events ----------------------------------------------------- */

static int loop_of(const struct harness *h, const char *what)
{
    char name[CFG_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(what, "."), what);
    return loops_find(&h->core.loops, name);
}

/* A reply to the operator. */
static void on_reply(struct harness *h, const struct core_result *r)
{
    struct figs *f = &h->f;
    struct op *o = &h->op;
    if (!r->text[0])
        f->silent_text++;
    int li = !strcmp(r->kind, "set") && strstr(r->what, ".mode") ? loop_of(h, r->what) : -1;
    if (!r->ok) {
        if (o->in_gate)
            o->refused_gate++;
        else
            o->refused_plc++;
        say(h, "REFUSED%s: %s", o->in_gate ? "" : " at the PLC handshake", r->text);
        if (li >= 0 && (h->core.loops.loop[li].pid.status & PID_ST_BAD_PV))
            f->mode_refused_bad[li]++;
    } else {
        say(h, "ok: %s", r->text);
        if (li >= 0 && f->t_dropped[li] >= 0)
            f->t_restored[li] = h->t;
        if (!strcmp(r->kind, "cmd") && !strcmp(r->what, "watchdog_reset"))
            f->t_wd_reset = h->t;
    }
    if (o->pending && r->id == o->pend_id) {
        o->pending = false;
        o->answered = true;
        o->pend_ok = r->ok;
    }
}

static void on_result(struct harness *h, const struct core_result *r)
{
    struct figs *f = &h->f;
    measure_result(h, r);
    if (r->client >= 0) {
        on_reply(h, r);
        return;
    }
    if (!strcmp(r->kind, "alarm")) {
        int a = alarm_find(&h->core.alarms, r->what);
        if (!strncmp(r->text, "raised ", 7) && a >= 0) {
            f->raised[a]++;
            f->first_out[a] += strstr(r->text, "first out") != NULL;
            f->annunciations++;
            f->critical += h->core.alarms.al[a].def.priority == PRIO_CRITICAL;
            h->op.t_rang[a] = h->t;
        }
        if (!strncmp(r->text, "suppressed ", 11) && strstr(r->text, "as a consequence of") &&
            a >= 0)
            f->consequence[a]++;
        if (!strncmp(r->text, "flood start", 11))
            f->floods++;
        if (strncmp(r->text, "acked", 5))
            say(h, "alarm %s", r->text);
        return;
    }
    if (!strcmp(r->kind, "loop")) {
        int li = loop_of(h, r->what);
        if (li >= 0) {
            f->t_dropped[li] = h->t;
            h->op.mode_tried_bad[li] = false;
        }
    }
    say(h, "%s: %s", r->kind, r->text);
}

void op_drain(struct harness *h)
{
    static struct core_result res[CORE_RESULTS];
    int n;
    while ((n = core_results_take(&h->core, res, CORE_RESULTS)) > 0)
        for (int i = 0; i < n; i++)
            on_result(h, &res[i]);
}

/* ---- the operator ---------------------------------------------------------------------- */

static double jitter(struct op *o)
{
    uint64_t z = (o->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return 0.8 + 0.4 * (double)(z >> 11) / 9007199254740992.0;
}

/* One request through the gate, as a console sends it; step: the shift step asking, -1 for
 * a duty.  0 accepted (a PLC command then waits for its answer), -1 refused (logged). */
static int ask(struct harness *h, int step, const char *verb, const char *target, const char *value,
               const char *reason)
{
    struct op *o = &h->op;
    struct core_req r = {.id = ++o->next_id, .client = 1, .role = ROLE_OPERATOR};
    snprintf(r.user, sizeof r.user, "op1");
    snprintf(r.origin, sizeof r.origin, "closed-loop");
    snprintf(r.verb, sizeof r.verb, "%s", verb);
    snprintf(r.target, sizeof r.target, "%s", target);
    snprintf(r.value, sizeof r.value, "%s", value ? value : "");
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    if (!strcmp(target, "charge"))
        snprintf(r.scrap, sizeof r.scrap, "%s", h->scrap);
    o->requests++;
    say(h, "operator: %s %s%s%s%s%s", verb, target, value ? " " : "", value ? value : "",
        r.scrap[0] ? " scrap=" : "", r.scrap);
    o->in_gate = true;
    int rc = core_request(&h->core, &r);
    op_drain(h);
    o->in_gate = false;
    bool plc = rc == 0 && !strcmp(verb, "cmd") &&
               perm_cmd_plc((enum perm_cmd)perm_cmd_from_name(target)) != PLC_CMD_NONE;
    if (plc) {
        o->pending = true;
        o->pend_id = r.id;
        o->pend_step = step;
    }
    o->t_free = h->t + (rc < 0 ? habits.retry_s : habits.wait_s[W_REACT]);
    return rc;
}

/* ---- duties: what comes before the shift ------------------------------------------------- */

static bool lockout(const struct harness *h)
{
    return plant_on(h->core.plant.bms_lockout);
}

static bool due_lockout_reset(const struct harness *h)
{
    return lockout(h) && h->t - h->op.t_lockout_seen >= habits.cause_s;
}

static bool due_burner_start(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->bms_state.q == Q_GOOD && (int)p->bms_state.v == BMS_OFF && !lockout(h);
}

static bool due_watchdog(const struct harness *h)
{
    return plant_on(h->core.plant.watchdog_tripped);
}

static bool due_pump(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->pump_running.q == Q_GOOD && !plant_on(p->pump_running);
}

static bool due_fan(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->fan_running.q == Q_GOOD && !plant_on(p->fan_running);
}

/* In this order; one per turn.  A duty whose fault may persist is not retried before
 * duty_retry_s. */
static const struct duty {
    const char *target;
    bool (*due)(const struct harness *h);
    bool slow;
} duties[] = {
    {"watchdog_reset", due_watchdog, false},
    {"lockout_reset", due_lockout_reset, false},
    {"burner_start", due_burner_start, true},
    {"pump_start", due_pump, true},
    {"fan_start", due_fan, true},
};
#define NDUTIES (sizeof duties / sizeof duties[0])
_Static_assert(sizeof duties / sizeof duties[0] <= MAX_DUTIES, "raise MAX_DUTIES");

/* Acknowledge what rang ack_s ago and is still unacknowledged on the alarm list. */
static bool do_acks(struct harness *h)
{
    const struct alarms *a = &h->core.alarms;
    for (int i = 0; i < a->n; i++) {
        if (h->op.t_rang[i] < 0 || h->t - h->op.t_rang[i] < habits.ack_s)
            continue;
        h->op.t_rang[i] = -1;
        if (a->al[i].state == ALARM_UNACK || a->al[i].state == ALARM_RTN_UNACK) {
            ask(h, -1, "ack", a->al[i].def.name, NULL, "seen on the alarm list");
            return true;
        }
    }
    return false;
}

/* A loop that dropped to MAN goes back to its start mode: tried once at once (the console
 * refuses while the PV is bad), then whenever its PV is GOOD. */
static bool do_modes(struct harness *h)
{
    for (int i = 0; i < h->core.loops.n; i++) {
        const struct pid *p = &h->core.loops.loop[i].pid;
        enum cfg_loop_mode want = h->cfg.loops[i].mode;
        if (p->mode == want || h->f.t_dropped[i] < 0)
            continue;
        bool bad = p->status & PID_ST_BAD_PV;
        if (bad && h->op.mode_tried_bad[i])
            continue;
        h->op.mode_tried_bad[i] = bad;
        char target[64];
        snprintf(target, sizeof target, "%s.mode", h->cfg.loops[i].name);
        ask(h, -1, "set", target, cfg_loop_mode_name(want), "back to its mode after a fault");
        return true;
    }
    return false;
}

static bool do_duties(struct harness *h)
{
    struct op *o = &h->op;
    if (!lockout(h))
        o->t_lockout_seen = -1;
    else if (o->t_lockout_seen < 0)
        o->t_lockout_seen = h->t;
    if (do_acks(h) || do_modes(h))
        return true;
    for (size_t i = 0; i < NDUTIES; i++) {
        if (!duties[i].due(h)) {
            o->t_seen[i] = -1;
            continue;
        }
        if (o->t_seen[i] < 0)
            o->t_seen[i] = h->t;
        if (h->t < o->t_duty[i] || h->t - o->t_seen[i] < habits.wait_s[W_REACT])
            continue;
        int rc = ask(h, -1, "cmd", duties[i].target, NULL, "restoring the furnace");
        o->t_duty[i] = h->t + (duties[i].slow || rc < 0 ? habits.duty_retry_s : 0);
        return true;
    }
    return false;
}

/* ---- the shift ---------------------------------------------------------------------------- */

static bool when_ready(const struct harness *h)
{
    return h->core.seq.ready;
}

static bool when_sc_door_open(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->sc_door_closed.q == Q_GOOD && !plant_on(p->sc_door_closed);
}

static bool when_tapped(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    double target = h->core.prog->tap_target_t * 1000;
    double heel = (h->cfg.limits.heel_min_t + SEQ_HEEL_TOL_T) * 1000;
    return p->metal_mass.q == Q_GOOD &&
           (h->core.seq.tap_peak_kg - p->metal_mass.v >= target || p->metal_mass.v <= heel);
}

/* What a person checks before putting scrap on the hearth or into the bath: burners firing,
 * pump running, no watchdog trip, the link up, every loop in its own mode. */
static bool when_healthy(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    if (!h->link_up || !plant_on(p->flame_on) || !plant_on(p->pump_running) ||
        plant_on(p->watchdog_tripped))
        return false;
    for (int i = 0; i < h->core.loops.n; i++)
        if (h->core.loops.loop[i].pid.mode != h->cfg.loops[i].mode)
            return false;
    return true;
}

static bool when_ready_healthy(const struct harness *h)
{
    return when_ready(h) && when_healthy(h);
}

static bool skip_unless_tap_due(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->metal_mass.q != Q_GOOD || p->metal_mass.v < habits.tap_above_t * 1000;
}

static bool skip_if_tap_due(const struct harness *h)
{
    return !skip_unless_tap_due(h);
}

/* The shift, phase by phase.  In its phase a step waits `wait` after the previous step and
 * until `when` holds, then makes its request; `skip` passes it over.  The charge is 3 t (the
 * PLC's default charge carries 3 % organics; --charge-t another mass), or less when its
 * declared class allows less (the recipe: tool_closed-loop.c, recipe_choose).  No charge and no push while a fault is being
 * dealt with (when_healthy).  After a push the next charge goes on at once (MELT -> CHARGE)
 * unless a tap is due: then the metal is melted flat, alloyed, skimmed and tapped. */
static const struct step {
    enum cfg_phase phase;
    const char *verb, *target, *value;
    enum wait wait;
    bool (*when)(const struct harness *h);
    bool (*skip)(const struct harness *h);
} shift[] = {
    {PH_HOLD, "phase", "CHARGE", NULL, W_BOX, when_healthy, NULL},
    {PH_CHARGE, "cmd", "sc_door_open", NULL, W_REACT, NULL, NULL},
    {PH_CHARGE, "cmd", "charge", "3", W_DOOR, when_sc_door_open, NULL},
    {PH_CHARGE, "cmd", "sc_door_close", NULL, W_CRANE, NULL, NULL},
    {PH_CHARGE, "phase", "PYROLYSIS", NULL, W_REACT, when_ready, NULL},
    {PH_PYROLYSIS, "phase", "PUSH", NULL, W_REACT, when_ready_healthy, NULL},
    {PH_PUSH, "cmd", "push", NULL, W_REACT, NULL, NULL},
    {PH_MELT, "phase", "CHARGE", NULL, W_REACT, when_healthy, skip_if_tap_due},
    {PH_MELT, "phase", "ALLOY", NULL, W_REACT, when_ready, NULL},
    {PH_ALLOY, "confirm", "chemistry", NULL, W_SAMPLE, NULL, NULL},
    {PH_ALLOY, "phase", "SKIM", NULL, W_REACT, NULL, skip_unless_tap_due},
    {PH_ALLOY, "phase", "HOLD", NULL, W_REACT, NULL, NULL},
    {PH_SKIM, "cmd", "hc_door_open", NULL, W_REACT, NULL, NULL},
    {PH_SKIM, "cmd", "hc_door_close", NULL, W_SKIM, NULL, NULL},
    {PH_SKIM, "phase", "TAP", NULL, W_REACT, when_ready, NULL},
    {PH_TAP, "cmd", "tap_open", NULL, W_REACT, NULL, NULL},
    {PH_TAP, "cmd", "tap_close", NULL, W_REACT, when_tapped, NULL},
    {PH_TAP, "phase", "HOLD", NULL, W_REACT, when_ready, NULL},
};
#define NSTEPS ((int)(sizeof shift / sizeof shift[0]))

static void step_begin(struct harness *h, int i)
{
    struct op *o = &h->op;
    o->step = i;
    o->t_step = h->t;
    o->wait_s = 0;
    if (i < NSTEPS)
        o->wait_s = shift[i].phase == PH_HOLD && o->holds == 1
                        ? habits.hold_first_s
                        : habits.wait_s[shift[i].wait] * jitter(o);
}

static void count_step(struct op *o, const struct step *s)
{
    o->charges += !strcmp(s->target, "charge");
    o->pushes += !strcmp(s->target, "push");
    o->taps += !strcmp(s->target, "tap_open");
}

static void do_shift(struct harness *h)
{
    struct op *o = &h->op;
    enum cfg_phase ph = h->core.seq.phase;
    if (ph != o->phase) {
        o->phase = ph;
        o->holds += ph == PH_HOLD;
        int i = 0;
        while (i < NSTEPS && shift[i].phase != ph)
            i++;
        step_begin(h, i);
    }
    while (o->step < NSTEPS && shift[o->step].phase == ph && shift[o->step].skip &&
           shift[o->step].skip(h))
        step_begin(h, o->step + 1);
    if (o->step >= NSTEPS || shift[o->step].phase != ph)
        return;
    const struct step *s = &shift[o->step];
    if (h->t - o->t_step < o->wait_s || (s->when && !s->when(h)))
        return;
    const char *value = s->value;
    char mass[32];
    if (!strcmp(s->target, "charge")) { /* the recipe: class and mass (recipe_choose) */
        snprintf(mass, sizeof mass, "%.2f", h->charge_mass_t);
        value = mass;
    }
    if (ask(h, o->step, s->verb, s->target, value, "shift") < 0)
        return;
    if (!o->pending) {
        count_step(o, s);
        step_begin(h, o->step + 1);
    }
}

/* --step: the operator's only task besides the duties. */
static void do_step(struct harness *h)
{
    struct stepper *st = &h->st;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    char target[64], value[32];
    if (h->t < STEP_AT_S || st->stage == 2)
        return;
    if (p->mode == LOOP_CAS) {
        snprintf(target, sizeof target, "%s.mode", p->prm.name);
        ask(h, -1, "set", target, "AUTO", "step test");
        st->stage = 1;
        return;
    }
    snprintf(target, sizeof target, "%s.sp", p->prm.name);
    snprintf(value, sizeof value, "%.1f", p->sp + st->delta);
    if (ask(h, -1, "set", target, value, "step test") == 0) {
        st->stage = 2;
        st->t0 = h->t;
        st->y0 = st->y;
        st->sp1 = p->sp;
        st->peak = st->y;
        st->t10 = st->t90 = st->t_in = st->t_settled = -1;
    }
}

/* The operator's turn: the answer to a PLC command first (OK: the shift goes on; refused:
 * asked again after retry_s), then duties, then the shift. */
void op_operate(struct harness *h)
{
    struct op *o = &h->op;
    if (o->pending || !h->link_up)
        return;
    if (o->answered) {
        o->answered = false;
        if (o->pend_step >= 0 && o->pend_step == o->step && shift[o->step].phase == o->phase) {
            if (o->pend_ok) {
                count_step(o, &shift[o->step]);
                step_begin(h, o->step + 1);
            } else {
                o->t_free = h->t + habits.retry_s;
            }
        }
    }
    if (h->t < o->t_free || do_duties(h))
        return;
    if (h->st.loop >= 0)
        do_step(h);
    else if (!h->cold_ingot && !h->hold_only)
        do_shift(h);
}

void op_init(struct harness *h, unsigned seed)
{
    h->op.rng = seed;
    h->op.phase = PH_COUNT;
    h->op.t_lockout_seen = -1;
    for (size_t i = 0; i < NDUTIES; i++)
        h->op.t_seen[i] = -1;
    for (int i = 0; i < CFG_MAX_ALARMS; i++)
        h->op.t_rang[i] = -1;
}
