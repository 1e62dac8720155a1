/* test_loops — the furnace's four loops over a hand-built config (and the shipped air loop).
 *
 * The closed-loop cases use a small furnace model written here (not the
 * simulator): HC gas G follows 300 + 9 * firing with tau 90 s; the roof R
 * runs 30 K above the gas with tau 600 s; the bath B is heated by the gas
 * and loses a fixed 0.12 K/s: B' = (G - B) / 1800 - 0.12.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loops.h"

#define EPS 1e-9

/* cmocka 1.1.5's assert_float_equal works in single precision: use this. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.9g, expected %.9g +- %g", #a, a_, b_, (double)(eps));                 \
    } while (0)

enum { T_HC_GAS, T_ROOF, T_BATH, T_SC_GAS, T_PRESS, T_FIRING_FB, T_FIRING, T_FAN, T_DAMPER,
       T_O2, T_CO, T_FAN_FB, NTAGS };
enum { L_BATH, L_HC, L_SC, L_PRESS };

struct fx {
    struct cfg c;
    struct loops lp;
    struct tag_value tags[CFG_MAX_TAGS];
    char err[256];
};

static void add_tag(struct cfg *c, int i, const char *name, enum tag_table table, int addr,
                    const char *unit)
{
    struct cfg_tag *t = &c->tags[i];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->table = table;
    t->addr = addr;
    t->type = TAG_UINT16;
    t->scale = 0.1;
    t->writable = table == TAG_HR;
    snprintf(t->unit, sizeof t->unit, "%s", unit);
}

static void build_cfg(struct cfg *c)
{
    memset(c, 0, sizeof *c);
    add_tag(c, T_HC_GAS, "hc_gas_temp", TAG_IR, 0, "degC");
    add_tag(c, T_ROOF, "roof_temp", TAG_IR, 1, "degC");
    add_tag(c, T_BATH, "bath_hc_temp", TAG_IR, 2, "degC");
    add_tag(c, T_SC_GAS, "sc_gas_temp", TAG_IR, 4, "degC");
    add_tag(c, T_PRESS, "furnace_pressure", TAG_IR, 9, "Pa");
    add_tag(c, T_FIRING_FB, "firing_fb", TAG_IR, 12, "%");
    add_tag(c, T_FIRING, "firing_demand", TAG_HR, 0, "%");
    add_tag(c, T_FAN, "fan_demand", TAG_HR, 2, "%");
    add_tag(c, T_DAMPER, "damper_demand", TAG_HR, 3, "%");
    add_tag(c, T_O2, "o2_pct", TAG_IR, 7, "%");
    add_tag(c, T_CO, "co_ppm", TAG_IR, 8, "ppm");
    add_tag(c, T_FAN_FB, "fan_speed_fb", TAG_IR, 14, "%");
    c->ntags = NTAGS;
    c->nloops = 4;
    c->loops[L_BATH] = (struct cfg_loop){.name = "bath",
                                         .pv = "bath_hc_temp",
                                         .cascade_to = "hc",
                                         .mode = LOOP_AUTO,
                                         .action = LOOP_REVERSE,
                                         .kp = 8.0,
                                         .ti_s = 2400,
                                         .d_filter = 8,
                                         .sp = 740,
                                         .sp_lo = 680,
                                         .sp_hi = 800,
                                         .sp_max_step = 0,
                                         .out_lo = 850,
                                         .out_hi = 1200,
                                         .out_rate_per_s = 2.0};
    c->loops[L_HC] = (struct cfg_loop){.name = "hc",
                                       .pv = "hc_gas_temp",
                                       .out = "firing_demand",
                                       .mode = LOOP_CAS,
                                       .action = LOOP_REVERSE,
                                       .kp = 0.4,
                                       .ti_s = 90,
                                       .d_filter = 8,
                                       .sp = 1000,
                                       .sp_lo = 800,
                                       .sp_hi = 1200,
                                       .out_lo = 10,
                                       .out_hi = 100,
                                       .out_rate_per_s = 1.0,
                                       .override_pv = "roof_temp",
                                       .override_limit = 1180,
                                       .override_gain = 2.0};
    c->loops[L_SC] = (struct cfg_loop){.name = "sc",
                                       .pv = "sc_gas_temp",
                                       .out = "fan_demand",
                                       .mode = LOOP_AUTO,
                                       .action = LOOP_REVERSE,
                                       .kp = 0.5,
                                       .ti_s = 200,
                                       .d_filter = 8,
                                       .sp = 450,
                                       .sp_lo = 200,
                                       .sp_hi = 650,
                                       .out_lo = 0,
                                       .out_hi = 100};
    c->loops[L_PRESS] = (struct cfg_loop){.name = "pressure",
                                          .pv = "furnace_pressure",
                                          .out = "damper_demand",
                                          .mode = LOOP_AUTO,
                                          .action = LOOP_DIRECT,
                                          .kp = 4.0,
                                          .ti_s = 8,
                                          .d_filter = 8,
                                          .sp = 10,
                                          .sp_lo = -20,
                                          .sp_hi = 30,
                                          .out_lo = 0,
                                          .out_hi = 100};
}

static void set_tag(struct fx *f, int i, double v)
{
    f->tags[i].v = v;
    f->tags[i].q = Q_GOOD;
}

/* A furnace at rest: bath 740, gas 956 at the matching firing, readbacks. */
static void plant_at_rest(struct fx *f)
{
    set_tag(f, T_BATH, 740.0);
    set_tag(f, T_HC_GAS, 956.0);
    set_tag(f, T_ROOF, 986.0);
    set_tag(f, T_SC_GAS, 450.0);
    set_tag(f, T_PRESS, 10.0);
    set_tag(f, T_FIRING, (956.0 - 300.0) / 9.0);
    set_tag(f, T_FIRING_FB, (956.0 - 300.0) / 9.0);
    set_tag(f, T_FAN, 40.0);
    set_tag(f, T_DAMPER, 55.0);
    set_tag(f, T_O2, 3.0);
    set_tag(f, T_CO, 30.0);
    set_tag(f, T_FAN_FB, 40.0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    build_cfg(&f->c);
    plant_at_rest(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void init_ok(struct fx *f)
{
    if (loops_init(&f->lp, &f->c, f->err, sizeof f->err) != 0)
        fail_msg("loops_init: %s", f->err);
}

/* Loops started from the plant's read-backs and stepped once at rest. */
static void start(struct fx *f)
{
    init_ok(f);
    assert_int_equal(loops_init_outputs(&f->lp, f->tags), 0);
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
}

static struct pid *pid_of(struct fx *f, int loop) { return &f->lp.loop[loop].pid; }

/* The furnace model: one step of dt seconds from the firing demand. */
static void furnace_step(struct fx *f, double firing, double dt)
{
    double g = f->tags[T_HC_GAS].v, r = f->tags[T_ROOF].v, b = f->tags[T_BATH].v;
    g += dt / 90.0 * (300.0 + 9.0 * firing - g);
    r += dt / 600.0 * (g + 30.0 - r);
    b += dt * ((g - b) / 1800.0 - 0.12);
    f->tags[T_HC_GAS].v = g;
    f->tags[T_ROOF].v = r;
    f->tags[T_BATH].v = b;
    f->tags[T_FIRING].v = firing;
    f->tags[T_FIRING_FB].v = firing;
}

/* The demand loops_step gave for an output tag. */
static double demand(const struct fx *f, int tag)
{
    for (int k = 0; k < f->lp.nout; k++)
        if (f->lp.out[k].tag == tag)
            return f->lp.out[k].value;
    fail_msg("no demand for tag %d", tag);
    return NAN;
}

/* ---- init ----------------------------------------------------------------- */

static void test_init_resolves(void **state)
{
    struct fx *f = *state;
    init_ok(f);
    const struct loops *lp = &f->lp;
    assert_int_equal(lp->n, 4);
    assert_int_equal(lp->loop[L_BATH].pv_tag, T_BATH);
    assert_int_equal(lp->loop[L_BATH].out_tag, -1);
    assert_int_equal(lp->loop[L_BATH].slave, L_HC);
    assert_int_equal(lp->loop[L_HC].master, L_BATH);
    assert_int_equal(lp->loop[L_HC].out_tag, T_FIRING);
    assert_int_equal(lp->loop[L_HC].ovr_tag, T_ROOF);
    assert_int_equal(lp->loop[L_SC].out_tag, T_FAN);
    assert_int_equal(lp->loop[L_PRESS].out_tag, T_DAMPER);
    assert_int_equal(lp->loop[L_PRESS].ovr_tag, -1);
    assert_true(lp->loop[L_HC].pid.prm.cas_allowed);
    assert_false(lp->loop[L_BATH].pid.prm.cas_allowed);
    assert_string_equal(lp->loop[L_BATH].pid.prm.out_unit, "degC"); /* the slave's PV */
    assert_string_equal(lp->loop[L_PRESS].pid.prm.pv_unit, "Pa");
    assert_int_equal(lp->loop[L_PRESS].pid.prm.action, LOOP_DIRECT);
    assert_int_equal(lp->loop[L_HC].pid.mode, LOOP_CAS);
    int pos_bath = -1, pos_hc = -1;
    for (int k = 0; k < lp->n; k++) {
        if (lp->order[k] == L_BATH)
            pos_bath = k;
        if (lp->order[k] == L_HC)
            pos_hc = k;
    }
    assert_true(pos_bath >= 0 && pos_bath < pos_hc);
    assert_int_equal(loops_find(lp, "pressure"), L_PRESS);
    assert_int_equal(loops_find(lp, "roof"), -1);
}

struct init_case {
    const char *what;
    int loop;
    const char *field; /* pv out override cascade mode */
    const char *value;
    const char *expect;
};

static void test_init_errors(void **state)
{
    struct fx *f = *state;
    static const struct init_case cases[] = {
        {"pv", L_SC, "pv", "sc_gas", "[loop.sc] pv = \"sc_gas\": no such tag"},
        {"out", L_PRESS, "out", "damper", "[loop.pressure] out = \"damper\": no such tag"},
        {"override", L_HC, "override", "roof", "[loop.hc] override_pv = \"roof\": no such tag"},
        {"unknown slave", L_BATH, "cascade", "hcc", "cascade_to = \"hcc\": no other loop"},
        {"itself", L_SC, "cascade", "sc", "[loop.sc] cascade_to = \"sc\": no other loop"},
        {"two masters", L_SC, "cascade", "hc", "that loop already follows [loop.bath]"},
        {"cycle", L_HC, "cascade", "bath", "form a cycle"},
        {"drives nothing", L_SC, "out", "", "[loop.sc] drives nothing"},
        {"CAS without master", L_SC, "mode", "", "[loop.sc] mode = CAS: no loop has"},
        {"o2", L_SC, "o2", "o2", "[loop.sc] o2_pv = \"o2\": no such tag"},
        {"co", L_SC, "co", "co", "[loop.sc] co_pv = \"co\": no such tag"},
        {"co flow", L_SC, "flow", "fan", "[loop.sc] co_flow_pv = \"fan\": no such tag"},
        {"pv2", L_BATH, "pv2", "bath_sc", "[loop.bath] pv2 = \"bath_sc\": no such tag"},
        {"prio", L_SC, "prio", "baths", "[loop.sc] prio_loop = \"baths\": no other loop"},
        {"prio itself", L_SC, "prio", "sc", "[loop.sc] prio_loop = \"sc\": no other loop"},
        {"hicap", L_HC, "hicap", "pressure", "[loop.hc] hicap_pv = \"pressure\": no such tag"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct init_case *t = &cases[k];
        build_cfg(&f->c);
        struct cfg_loop *l = &f->c.loops[t->loop];
        if (!strcmp(t->field, "pv"))
            snprintf(l->pv, sizeof l->pv, "%s", t->value);
        else if (!strcmp(t->field, "out"))
            snprintf(l->out, sizeof l->out, "%s", t->value);
        else if (!strcmp(t->field, "override"))
            snprintf(l->override_pv, sizeof l->override_pv, "%s", t->value);
        else if (!strcmp(t->field, "o2"))
            snprintf(l->o2_pv, sizeof l->o2_pv, "%s", t->value);
        else if (!strcmp(t->field, "co"))
            snprintf(l->co_pv, sizeof l->co_pv, "%s", t->value);
        else if (!strcmp(t->field, "pv2"))
            snprintf(l->pv2, sizeof l->pv2, "%s", t->value);
        else if (!strcmp(t->field, "prio"))
            snprintf(l->prio_loop, sizeof l->prio_loop, "%s", t->value);
        else if (!strcmp(t->field, "hicap"))
            snprintf(l->hicap_pv, sizeof l->hicap_pv, "%s", t->value);
        else if (!strcmp(t->field, "flow"))
            snprintf(l->co_flow_pv, sizeof l->co_flow_pv, "%s", t->value);
        else if (!strcmp(t->field, "cascade"))
            snprintf(l->cascade_to, sizeof l->cascade_to, "%s", t->value);
        else
            l->mode = LOOP_CAS;
        f->err[0] = '\0';
        assert_int_equal(loops_init(&f->lp, &f->c, f->err, sizeof f->err), -1);
        if (!strstr(f->err, t->expect))
            fail_msg("%s: \"%s\" lacks \"%s\"", t->what, f->err, t->expect);
    }
    build_cfg(&f->c);
    f->c.nloops = CFG_MAX_LOOPS + 1;
    assert_int_equal(loops_init(&f->lp, &f->c, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "at most 8"));
}

/* ---- cascade and override ------------------------------------------------ */

static void test_cascade_wiring(void **state)
{
    struct fx *f = *state;
    start(f);
    set_tag(f, T_BATH, 700.0); /* 40 K below SP: the master raises the gas SP */
    double last = pid_of(f, L_BATH)->out;
    for (int t = 0; t < 180; t++) {
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
        assert_near(pid_of(f, L_HC)->sp_eff, pid_of(f, L_BATH)->out, 0);
        assert_true(pid_of(f, L_BATH)->out >= last);
        assert_true(pid_of(f, L_BATH)->out - last <= 2.0 + EPS); /* its rate limit */
        last = pid_of(f, L_BATH)->out;
    }
    assert_near(last, 1200.0, 0); /* P alone (8 K/K x 40 K) asks past out_hi */
    assert_true(pid_of(f, L_BATH)->status & PID_ST_SAT_HI);
    assert_true(pid_of(f, L_HC)->err > 100.0);
    assert_int_equal(f->lp.nout, 3);
    assert_near(demand(f, T_FIRING), pid_of(f, L_HC)->out, 0);
    assert_near(demand(f, T_FAN), pid_of(f, L_SC)->out, 0);
    assert_near(demand(f, T_DAMPER), pid_of(f, L_PRESS)->out, 0);
    assert_true(demand(f, T_FIRING) > (956.0 - 300.0) / 9.0); /* firing up */
}

static void test_cascade_closed_loop(void **state)
{
    struct fx *f = *state;
    start(f);
    /* a 3 t cold charge: the bath drops 46 K at once */
    set_tag(f, T_BATH, 740.0 - 46.0);
    double recovered = -1, roof_max = 0, firing_max = 0;
    for (int t = 0; t < 4 * 3600; t++) {
        loops_step(&f->lp, f->tags, NULL, 1.0);
        double firing = demand(f, T_FIRING);
        furnace_step(f, firing, 1.0);
        roof_max = fmax(roof_max, f->tags[T_ROOF].v);
        firing_max = fmax(firing_max, firing);
        if (fabs(f->tags[T_BATH].v - 740.0) > 3.0)
            recovered = -1;
        else if (recovered < 0)
            recovered = t;
    }
    assert_near(firing_max, 100.0, 0); /* the cascade used full fire */
    assert_true(recovered > 0 && recovered < 20 * 60);
    assert_near(f->tags[T_BATH].v, 740.0, 0.2); /* and holds */
    assert_true(roof_max < 1100.0);
}

/* A bath held 40 K below its SP (scrap melting): the master asks for the
 * hottest gas.  Returns the hottest roof seen in two hours. */
static double roof_peak(struct fx *f, double override_gain)
{
    build_cfg(&f->c);
    plant_at_rest(f);
    f->c.loops[L_HC].override_gain = override_gain;
    start(f);
    double roof_max = 0;
    for (int t = 0; t < 2 * 3600; t++) {
        loops_step(&f->lp, f->tags, NULL, 1.0);
        furnace_step(f, demand(f, T_FIRING), 1.0);
        set_tag(f, T_BATH, 700.0); /* melting scrap holds the bath down */
        roof_max = fmax(roof_max, f->tags[T_ROOF].v);
    }
    return roof_max;
}

static void test_roof_override_closed_loop(void **state)
{
    struct fx *f = *state;
    double free_roof = roof_peak(f, 0.0);
    assert_true(free_roof > 1225.0); /* gas SP at 1200, the roof 30 K above it */
    double held_roof = roof_peak(f, 2.0);
    assert_true(held_roof < 1200.0); /* below the roof H alarm */
    assert_true(f->lp.loop[L_HC].pid.status & PID_ST_SP_REDUCED);
    assert_true(pid_of(f, L_BATH)->status & PID_ST_I_HELD);
    assert_true(pid_of(f, L_BATH)->i <= 1200.0);
}

static void test_roof_override(void **state)
{
    struct fx *f = *state;
    f->c.loops[L_HC].mode = LOOP_AUTO;
    start(f);
    const struct loops_loop *hc = &f->lp.loop[L_HC];
    static const struct {
        double roof, sp_eff, reduce;
        bool reduced;
    } cases[] = {
        {1100.0, 1000.0, 0, false}, {1180.0, 1000.0, 0, false},
        {1200.0, 960.0, 40, true},  {1230.0, 900.0, 100, true},
        {1000.0, 1000.0, 0, false}, {1400.0, 800.0, 440, true}, /* stops at sp_lo */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        set_tag(f, T_ROOF, cases[k].roof);
        loops_step(&f->lp, f->tags, NULL, 1.0);
        assert_near(hc->ovr_reduce, cases[k].reduce, EPS);
        assert_near(hc->pid.sp_eff, cases[k].sp_eff, EPS);
        assert_true(hc->pid.sp_eff <= hc->pid.sp_work); /* never raised */
        assert_int_equal((hc->pid.status & PID_ST_SP_REDUCED) != 0, cases[k].reduced);
    }
    /* a bad roof reading holds the last reduction */
    set_tag(f, T_ROOF, 1200.0);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    f->tags[T_ROOF].q = Q_BAD_SENSOR;
    f->tags[T_ROOF].v = 500.0;
    loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_true(hc->ovr_bad);
    assert_near(hc->pid.sp_eff, 960.0, EPS);
    /* in CAS the override takes off the master's output */
    set_tag(f, T_ROOF, 1210.0);
    assert_int_equal(pid_set_mode(pid_of(f, L_HC), LOOP_CAS, NULL, 0), 0);
    for (int t = 0; t < 5; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_false(hc->ovr_bad);
    assert_near(hc->pid.sp_eff, pid_of(f, L_BATH)->out - 60.0, EPS);
}

/* The combustion override on the SC loop (loops.c): O2 below 1.5 % takes 100 K per % off
 * the SP, a CO load (CO x (0.2 + 0.8 fan)) above 2500 ppm 0.05 K per ppm, no deeper than
 * SP 450 - sp_lo 200; the cut comes back at 6 K/min (0.1 K per 1 s step) and caps the fan at
 * 100 - 1 x the cut. */
static void test_comb_override(void **state)
{
    struct fx *f = *state;
    struct cfg_loop *l = &f->c.loops[L_SC];
    snprintf(l->o2_pv, sizeof l->o2_pv, "o2_pct");
    snprintf(l->co_pv, sizeof l->co_pv, "co_ppm");
    snprintf(l->co_flow_pv, sizeof l->co_flow_pv, "fan_speed_fb");
    l->o2_limit = 1.5;
    l->o2_gain = 100;
    l->co_limit = 2500;
    l->co_gain = 0.05;
    l->co_flow_min = 0.2;
    l->comb_release_per_min = 6;
    l->comb_cap_gain = 1;
    start(f);
    const struct loops_loop *sc = &f->lp.loop[L_SC];
    enum { GOOD, BAD };
    static const struct {
        const char *what;
        double o2, co, fan;
        int o2_q, co_q, fan_q;
        double dt, reduce, cap;
    } cases[] = {
        {"clean flue", 3.0, 30, 40, GOOD, GOOD, GOOD, 1, 0, 100},
        {"O2 at the limit", 1.5, 30, 40, GOOD, GOOD, GOOD, 1, 0, 100},
        {"O2 low: cut at once", 1.0, 30, 40, GOOD, GOOD, GOOD, 1, 50, 50},
        {"O2 better: released slowly", 1.3, 30, 40, GOOD, GOOD, GOOD, 1, 49.9, 50.1},
        {"CO load at full fan", 3.0, 6000, 100, GOOD, GOOD, GOOD, 1, 175, 0},
        {"the same CO, fan stopped: load 1200", 3.0, 6000, 0, GOOD, GOOD, GOOD, 1, 174.9, 0},
        {"O2 analyser bad: cut held", 0.0, 30, 40, BAD, GOOD, GOOD, 1, 174.9, 0},
        {"the CO deepens it, to SP - sp_lo", 0.0, 30000, 100, BAD, GOOD, GOOD, 1, 250, 0},
        {"fan feedback bad: CO load unknown, held", 3.0, 30, 0, GOOD, GOOD, BAD, 1, 250, 0},
        {"a step of no time changes nothing", 3.0, 30, 40, GOOD, GOOD, GOOD, NAN, 250, 0},
        {"all good and clean: released", 3.0, 30, 40, GOOD, GOOD, GOOD, 60, 244, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        set_tag(f, T_O2, cases[k].o2);
        set_tag(f, T_CO, cases[k].co);
        set_tag(f, T_FAN_FB, cases[k].fan);
        if (cases[k].o2_q == BAD)
            f->tags[T_O2].q = Q_BAD_SENSOR;
        if (cases[k].fan_q == BAD)
            f->tags[T_FAN_FB].q = Q_BAD_COMMS;
        loops_step(&f->lp, f->tags, NULL, cases[k].dt);
        if (fabs(sc->comb_reduce - cases[k].reduce) > 1e-9 || fabs(sc->comb_cap - cases[k].cap) > 1e-9)
            fail_msg("%s: reduce %.3f cap %.3f, expected %.3f and %.3f", cases[k].what,
                     sc->comb_reduce, sc->comb_cap, cases[k].reduce, cases[k].cap);
        if (isfinite(cases[k].dt)) {
            /* the SP: never raised, down to sp_lo; the fan never above the cap */
            double want = sc->pid.sp_work - cases[k].reduce;
            assert_near(sc->pid.sp_eff, want < 200 ? 200 : want, 1e-9);
            assert_true(demand(f, T_FAN) <= cases[k].cap + 1e-9);
            assert_int_equal((sc->pid.status & PID_ST_SP_REDUCED) != 0, cases[k].reduce > 0);
            /* the console's O2/CO CUT mark (LF_COMB_CUT) comes from this bit */
            assert_int_equal((sc->pid.status & PID_ST_COMB_CUT) != 0, cases[k].reduce > 0);
        }
    }
    /* without the override's tags the loop is untouched */
    build_cfg(&f->c);
    plant_at_rest(f);
    start(f);
    set_tag(f, T_O2, 0.0);
    set_tag(f, T_CO, 30000);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_SC].comb_reduce, 0, 0);
    assert_near(f->lp.loop[L_SC].pid.sp_eff, 450, 1e-9);
}

/* override_max_above_pv: a roof reading far above the HC gas that heats it is a drifting
 * thermocouple; the override holds its last reduction then (and while the HC gas is bad,
 * judges the roof alone). */
static void test_roof_override_plausible(void **state)
{
    struct fx *f = *state;
    f->c.loops[L_HC].mode = LOOP_AUTO;
    f->c.loops[L_HC].override_max_above_pv = 200;
    start(f);
    const struct loops_loop *hc = &f->lp.loop[L_HC];
    static const struct {
        double gas, roof;
        bool gas_bad, held;
        double reduce;
    } cases[] = {
        {1050.0, 1200.0, false, false, 40},  /* 150 K above: plausible, acts */
        {1050.0, 1240.0, false, false, 120}, /* 190 K above: still */
        {956.0, 1230.0, false, true, 120},   /* 274 K above: drifting, last cut held */
        {956.0, 1400.0, false, true, 120},   /* held however far it drifts */
        {1100.0, 1190.0, false, false, 20},  /* plausible again: follows */
        {956.0, 1300.0, true, false, 240},   /* gas bad: nothing to compare, the roof acts */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        set_tag(f, T_HC_GAS, cases[k].gas);
        if (cases[k].gas_bad)
            f->tags[T_HC_GAS].q = Q_BAD_SENSOR;
        set_tag(f, T_ROOF, cases[k].roof);
        loops_step(&f->lp, f->tags, NULL, 1.0);
        if (hc->ovr_bad != cases[k].held || fabs(hc->ovr_reduce - cases[k].reduce) > 1e-9)
            fail_msg("case %zu: gas %.0f roof %.0f: held %d reduce %.1f, expected %d %.1f", k,
                     cases[k].gas, cases[k].roof, hc->ovr_bad, hc->ovr_reduce, cases[k].held,
                     cases[k].reduce);
    }
}

/* Two bath thermocouples: weighted, the split guard, one failed, both failed. */
static void test_blend_pv(void **state)
{
    (void)state;
    enum { G = Q_GOOD, B = Q_BAD_SENSOR, C = Q_BAD_COMMS };
    static const struct {
        double a;
        int qa;
        double b;
        int qb;
        double w, split, v;
        int q;
    } cases[] = {
        {740, G, 730, G, 0.35, 0, 736.5, G},  /* weighted */
        {740, G, 730, G, 0.35, 5, 736.5, G},  /* within the guard */
        {740, G, 700, G, 0.35, 5, 735, G},    /* SC far behind: no more than 5 below HC */
        {740, G, 700, G, 0.35, 0, 726, G},    /* no guard */
        {740, G, 750, G, 0.5, 5, 745, G},     /* SC above: the mean, the guard never raises */
        {740, G, 700, B, 0.35, 5, 740, G},    /* SC failed: HC alone */
        {740, C, 730, G, 0.35, 5, 730, G},    /* HC unread: SC alone */
        {740, B, 730, B, 0.35, 5, 740, B},    /* both failed: the loop's PV is bad */
        {740, G, 730, G, 1.5, 0, 740, G},     /* a weight out of range counts as 0 */
        {740, G, 730, G, NAN, 0, 740, G},
        {740, G, NAN, G, 0.35, 0, 740, G},    /* a NaN reading is no reading */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct tag_value r = loops_blend_pv((struct tag_value){cases[k].a, cases[k].qa},
                                            (struct tag_value){cases[k].b, cases[k].qb},
                                            cases[k].w, cases[k].split);
        if (fabs(r.v - cases[k].v) > 1e-9 || (int)r.q != cases[k].q)
            fail_msg("case %zu: %.3f q%d, expected %.3f q%d", k, r.v, (int)r.q, cases[k].v,
                     cases[k].q);
    }
}

/* A loop with pv2 steps on the blend and drops to MAN only when both fail. */
static void test_loop_with_pv2(void **state)
{
    struct fx *f = *state;
    snprintf(f->c.loops[L_SC].pv2, sizeof f->c.loops[L_SC].pv2, "roof_temp");
    f->c.loops[L_SC].pv2_weight = 0.5;
    start(f);
    set_tag(f, T_SC_GAS, 440);
    set_tag(f, T_ROOF, 460);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(pid_of(f, L_SC)->pv, 450, 1e-9);
    f->tags[T_SC_GAS].q = Q_BAD_SENSOR;
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
    assert_near(pid_of(f, L_SC)->pv, 460, 1e-9);
    f->tags[T_ROOF].q = Q_BAD_SENSOR;
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 1); /* now it drops */
    assert_int_equal(pid_of(f, L_SC)->mode, LOOP_MAN);
}

/* The priority cap: out_hi until the deficit passes the band, then gain per unit beyond,
 * never below out_lo; nothing when the other loop cannot be trusted or there is no gain. */
static void test_prio_cap(void **state)
{
    (void)state;
    static const struct {
        double lo, hi, band, gain, deficit;
        bool valid;
        double cap;
    } cases[] = {
        {0, 100, 3, 20, 0, true, 100},     /* at SP */
        {0, 100, 3, 20, -5, true, 100},    /* above SP */
        {0, 100, 3, 20, 3, true, 100},     /* at the band's edge */
        {0, 100, 3, 20, 4, true, 80},      /* 1 K beyond it */
        {0, 100, 3, 20, 5.5, true, 50},
        {0, 100, 3, 20, 30, true, 0},      /* never below out_lo */
        {10, 100, 3, 20, 30, true, 10},
        {0, 100, 3, 20, 30, false, 100},   /* the other loop in MAN / bad PV */
        {0, 100, 3, 0, 30, true, 100},     /* no gain: no cap */
        {0, 100, 0, 10, 2, true, 80},      /* no band */
        {0, 100, 3, 20, NAN, true, 100},   /* nonsense */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double cap = loops_prio_cap(cases[k].lo, cases[k].hi, cases[k].band, cases[k].gain,
                                    cases[k].deficit, cases[k].valid);
        if (fabs(cap - cases[k].cap) > 1e-9)
            fail_msg("case %zu: cap %.3f, expected %.3f", k, cap, cases[k].cap);
    }
}

/* The fan waits for the bath: with the bath loop as the SC loop's prio_loop, a bath 8 K
 * below its setpoint (the SC gas far below its own, the fan wanting 100 %) holds the fan at
 * out_hi - gain (8 - band); back at SP the fan is free; the bath loop in MAN caps nothing. */
static void test_loop_prio(void **state)
{
    struct fx *f = *state;
    struct cfg_loop *sc = &f->c.loops[L_SC];
    snprintf(sc->prio_loop, sizeof sc->prio_loop, "bath");
    sc->prio_band = 3;
    sc->prio_gain = 10;
    f->c.loops[L_BATH].pv_bad_hold_s = 10;
    start(f);
    set_tag(f, T_SC_GAS, 300); /* 150 K below SP: the law wants the fan at 100 % */
    set_tag(f, T_BATH, 732);
    for (int k = 0; k < 30; k++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_SC].prio_cap, 50, 1e-9);
    assert_near(pid_of(f, L_SC)->out, 50, 1e-9);
    assert_true(pid_of(f, L_SC)->status & PID_ST_SAT_HI);
    /* the bath's reading late (a slow PLC, every other cycle): the bath holds, so does the
     * cap, from the bath's last good PV; the fan does not jump up between the readings */
    for (int k = 0; k < 20; k++) {
        f->tags[T_BATH].q = k % 2 ? Q_STALE : Q_GOOD;
        loops_step(&f->lp, f->tags, NULL, 1.0);
        assert_near(f->lp.loop[L_SC].prio_cap, 50, 1e-9);
        assert_near(pid_of(f, L_SC)->out, 50, 1e-9);
    }
    f->tags[T_BATH].q = Q_GOOD;
    set_tag(f, T_BATH, 740);
    for (int k = 0; k < 30; k++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_SC].prio_cap, 100, 1e-9);
    assert_near(pid_of(f, L_SC)->out, 100, 1e-9);
    set_tag(f, T_BATH, 720);
    char err[128];
    assert_int_equal(pid_set_mode(pid_of(f, L_BATH), LOOP_MAN, err, sizeof err), 0);
    for (int k = 0; k < 30; k++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_SC].prio_cap, 100, 1e-9);
    assert_near(pid_of(f, L_SC)->out, 100, 1e-9);
}

/* When the priority acts: without scrap classes always (a charge of no class, none yet);
 * with them only on a class with bath_priority = yes, never before the first charge. */
static void test_prio_on(void **state)
{
    (void)state;
    static const struct cfg_scrap yes = {.name = "clean", .bath_priority = true},
                                  no = {.name = "mixed", .bath_priority = false};
    static const struct {
        bool by_class;
        const struct cfg_scrap *scrap;
        bool on;
    } cases[] = {
        {false, NULL, true}, {false, &no, true}, {false, &yes, true},
        {true, NULL, false}, {true, &no, false}, {true, &yes, true},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        if (loops_prio_on(cases[k].by_class, cases[k].scrap) != cases[k].on)
            fail_msg("case %zu: expected %s", k, cases[k].on ? "on" : "off");
}

/* The fan waits for the bath only on the classes that ask for it: with [scrap.NAME] classes
 * in the config the same bath 8 K low caps the fan at 50 % after a charge of a yes class
 * (PID_ST_PRIO_CAP: the console's PRIO CAP), not at all after one of a no class or before
 * any charge; without classes it caps it whatever the step is given. */
static void test_loop_prio_by_class(void **state)
{
    struct fx *f = *state;
    struct cfg_loop *sc = &f->c.loops[L_SC];
    snprintf(sc->prio_loop, sizeof sc->prio_loop, "bath");
    sc->prio_band = 3;
    sc->prio_gain = 10;
    f->c.nscrap = 2;
    f->c.scrap[0] = (struct cfg_scrap){.name = "clean", .organics_pct = 0, .bath_priority = true};
    f->c.scrap[1] = (struct cfg_scrap){.name = "mixed", .organics_pct = 3};
    static const struct {
        int nscrap;    /* classes in the config */
        int scrap;     /* the last charge's class, -1 none */
        bool ext;      /* the step is given a struct loops_ext */
        double cap;
    } cases[] = {
        {2, 0, true, 50},   /* clean: yes */
        {2, 1, true, 100},  /* mixed: no */
        {2, -1, true, 100}, /* no charge yet */
        {2, -1, false, 100},
        {0, -1, true, 50},  /* no classes: as before them */
        {0, -1, false, 50},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        f->c.nscrap = cases[k].nscrap;
        plant_at_rest(f);
        start(f);
        set_tag(f, T_SC_GAS, 300); /* 150 K below SP: the law wants the fan at 100 % */
        set_tag(f, T_BATH, 732);
        struct loops_ext ext;
        memset(&ext, 0, sizeof ext);
        ext.scrap = cases[k].scrap >= 0 ? &f->c.scrap[cases[k].scrap] : NULL;
        for (int i = 0; i < 30; i++)
            loops_step(&f->lp, f->tags, cases[k].ext ? &ext : NULL, 1.0);
        const struct loops_loop *x = &f->lp.loop[L_SC];
        bool capped = cases[k].cap < 100;
        if (fabs(x->prio_cap - cases[k].cap) > 1e-9 || fabs(x->pid.out - cases[k].cap) > 1e-9 ||
            ((x->pid.status & PID_ST_PRIO_CAP) != 0) != capped || f->lp.prio_on != capped)
            fail_msg("case %zu: cap %.3f, fan %.3f, PRIO_CAP %d, on %d; expected %.0f", k,
                     x->prio_cap, x->pid.out, (x->pid.status & PID_ST_PRIO_CAP) != 0,
                     f->lp.prio_on, cases[k].cap);
    }
}

/* The high-limit override's cap, table-driven: start, gain, the release rate, a reading
 * that is not GOOD holding the last cap. */
static void test_hicap(void **state)
{
    (void)state;
    static const struct {
        double lo, hi, start, gain, release, prev, x;
        bool valid;
        double dt, out, fall, cap;
    } cases[] = {
        {10, 100, 26, 30, 60, 100, 20, true, 1, 100, 0, 100},  /* below the start */
        {10, 100, 26, 30, 60, 100, 26, true, 1, 100, 0, 100},  /* at it */
        {10, 100, 26, 30, 60, 100, 27, true, 1, 100, 0, 70},   /* 1 Pa above: at once */
        {10, 100, 26, 30, 60, 100, 29, true, 1, 100, 0, 10},   /* 3 Pa: low fire */
        {10, 100, 26, 30, 60, 100, 40, true, 1, 100, 0, 10},   /* never below out_lo */
        {10, 100, 26, 30, 60, 100, 29, true, 1, 60, 5, 55},    /* from the output at its rate */
        {10, 100, 26, 30, 60, 100, 27, true, 1, 60, 5, 70},    /* ... above the output: at once */
        {10, 100, 26, 30, 60, 40, 29, true, 1, 60, 5, 35},     /* ... from a lower cap */
        {10, 100, 26, 30, 60, 12, 29, true, 1, 12, 5, 10},     /* ... not past want */
        {10, 100, 26, 30, 60, 10, 20, true, 1, 10, 0, 11},     /* back up 60 %/min */
        {10, 100, 26, 30, 60, 10, 20, true, 0.25, 10, 0, 10.25},
        {10, 100, 26, 30, 60, 99.5, 20, true, 1, 99.5, 0, 100}, /* ... to out_hi, no further */
        {10, 100, 26, 30, 60, 40, 26.5, true, 1, 40, 0, 41},   /* ... toward a cap still imposed */
        {10, 100, 26, 30, 0, 10, 20, true, 1, 10, 0, 100},     /* release 0: at once */
        {10, 100, 26, 30, 60, 40, 35, false, 1, 40, 5, 40},    /* not GOOD: held */
        {10, 100, 26, 30, 60, 40, NAN, true, 1, 40, 5, 40},    /* not a number: held */
        {10, 100, 26, 0, 60, 100, 40, true, 1, 100, 0, 100},   /* no gain: no cap */
        {10, 100, 26, 30, 60, NAN, 20, true, 1, 50, 0, 100},   /* no previous cap */
        {10, 100, 26, 30, 60, 40, 20, true, NAN, 40, 0, 40},   /* a bad dt does not release */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double cap = loops_hicap(cases[k].lo, cases[k].hi, cases[k].start, cases[k].gain,
                                 cases[k].release, cases[k].prev, cases[k].x, cases[k].valid,
                                 cases[k].dt, cases[k].out, cases[k].fall);
        if (fabs(cap - cases[k].cap) > 1e-9)
            fail_msg("case %zu: cap %.3f, expected %.3f", k, cap, cases[k].cap);
    }
}

/* The furnace pressure caps the firing: the HC loop wanting full fire is held at the cap,
 * marked limited, and its master (bath) does not integrate up meanwhile; a bad pressure
 * reading holds the cap; the pressure back down releases it at the release rate. */
static void test_loop_hicap(void **state)
{
    struct fx *f = *state;
    struct cfg_loop *hc = &f->c.loops[L_HC];
    snprintf(hc->hicap_pv, sizeof hc->hicap_pv, "furnace_pressure");
    hc->hicap_start = 26;
    hc->hicap_gain = 30;
    hc->hicap_release_per_min = 60;
    start(f);
    set_tag(f, T_BATH, 730.0);   /* the bath short: the master wants more gas */
    set_tag(f, T_HC_GAS, 850.0); /* far below: the firing wants 100 % */
    set_tag(f, T_PRESS, 28.0);   /* 2 Pa over the start: cap 40 % */
    double last = demand(f, T_FIRING);
    for (int t = 0; t < 300; t++) {
        loops_step(&f->lp, f->tags, NULL, 1.0);
        /* never faster than the loop's rate limit (1 %/s), the cap coming down too */
        assert_true(fabs(demand(f, T_FIRING) - last) <= 1.0 + 1e-9);
        last = demand(f, T_FIRING);
    }
    assert_near(f->lp.loop[L_HC].hicap, 40, 1e-9);
    assert_near(demand(f, T_FIRING), 40, 1e-9);
    assert_true(pid_of(f, L_HC)->status & PID_ST_LIM_UP);
    double i0 = pid_of(f, L_BATH)->i;
    loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(pid_of(f, L_BATH)->i, i0, 0); /* held by its slave's limit */
    /* a bad reading holds the cap */
    f->tags[T_PRESS].q = Q_BAD_SENSOR;
    for (int t = 0; t < 60; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_HC].hicap, 40, 1e-9);
    assert_true(f->lp.loop[L_HC].hicap_bad);
    /* back below the start: 1 %/s up, the firing (rate 1 %/s) following */
    set_tag(f, T_PRESS, 10.0);
    for (int t = 0; t < 30; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_HC].hicap, 70, 1e-9);
    assert_true(demand(f, T_FIRING) <= 70 + 1e-9 && demand(f, T_FIRING) > 60);
    for (int t = 0; t < 60; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(f->lp.loop[L_HC].hicap, 100, 1e-9);
    /* a loop without hicap_pv is never capped */
    assert_near(f->lp.loop[L_SC].hicap, 100, 1e-9);
}

/* The push feed-forward: per_t x tonnes, decaying; nothing for nonsense. */
static void test_charge_ff(void **state)
{
    (void)state;
    static const struct {
        double per_t, tau, kg, age, ff;
    } cases[] = {
        {100, 300, 3000, 0, 300},
        {100, 300, 3000, 300, 300 * 0.36787944117144233},
        {100, 300, 1500, 600, 150 * 0.1353352832366127},
        {0, 300, 3000, 0, 0},          /* no feed-forward configured */
        {100, 300, 0, 0, 0},           /* nothing pushed */
        {100, 300, -3000, 0, 0},       /* a negative mass */
        {100, 300, 3000, -1, 0},       /* before the push */
        {100, 0, 3000, 10, 0},         /* no time constant */
        {100, 300, NAN, 10, 0},        /* mass unknown */
        {100, 300, 3000, INFINITY, 0}, /* never */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_near(loops_charge_ff(cases[k].per_t, cases[k].tau, cases[k].kg, cases[k].age),
                    cases[k].ff, 1e-9);
}

/* Runs the master 10 K below its SP for an hour with the gas held at the
 * slave's SP; returns how far the master's integrator moved. */
static double master_i_drift(struct fx *f, double roof)
{
    build_cfg(&f->c);
    plant_at_rest(f);
    start(f);
    set_tag(f, T_BATH, 730.0);
    set_tag(f, T_ROOF, roof);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    double i0 = pid_of(f, L_BATH)->i;
    for (int t = 0; t < 3600; t++) {
        set_tag(f, T_HC_GAS, pid_of(f, L_HC)->sp_eff); /* the slave follows perfectly */
        loops_step(&f->lp, f->tags, NULL, 1.0);
    }
    return pid_of(f, L_BATH)->i - i0;
}

static void test_master_no_windup_in_override(void **state)
{
    struct fx *f = *state;
    double free_run = master_i_drift(f, 1000.0);
    assert_true(free_run > 50.0); /* without the override it integrates up */
    double held = master_i_drift(f, 1250.0);
    assert_near(held, 0.0, 0);
    assert_true(pid_of(f, L_BATH)->status & PID_ST_I_HELD);
    assert_true(f->lp.loop[L_HC].pid.status & PID_ST_SP_LIM_UP);
    /* the override gone, the master integrates again */
    set_tag(f, T_ROOF, 1000.0);
    double i0 = pid_of(f, L_BATH)->i;
    for (int t = 0; t < 30; t++) {
        set_tag(f, T_HC_GAS, pid_of(f, L_HC)->sp_eff);
        loops_step(&f->lp, f->tags, NULL, 1.0);
    }
    assert_true(pid_of(f, L_BATH)->i > i0 + 0.5);
}

static void test_master_held_by_slave_limits(void **state)
{
    struct fx *f = *state;
    start(f);
    set_tag(f, T_BATH, 735.0);   /* 5 K low: the master itself is not saturated */
    set_tag(f, T_HC_GAS, 700.0); /* the gas cannot follow: firing runs to 100 % */
    for (int t = 0; t < 600; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_true(pid_of(f, L_HC)->status & PID_ST_SAT_HI);
    double i0 = pid_of(f, L_BATH)->i;
    for (int t = 0; t < 1800; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_near(pid_of(f, L_BATH)->i, i0, 0);
    assert_true(pid_of(f, L_BATH)->status & PID_ST_I_HELD);
    assert_false(pid_of(f, L_BATH)->status & (PID_ST_SAT_HI | PID_ST_RATE));

    /* a firing cap from the sequencer holds it the same way */
    struct loops_ext ext = {0};
    ext.loop[L_HC].cap = true;
    ext.loop[L_HC].cap_value = 30.0;
    set_tag(f, T_HC_GAS, 950.0);
    for (int t = 0; t < 300; t++) {
        loops_step(&f->lp, f->tags, &ext, 1.0);
        assert_true(demand(f, T_FIRING) <= 30.0);
    }
    i0 = pid_of(f, L_BATH)->i;
    loops_step(&f->lp, f->tags, &ext, 1.0);
    assert_near(pid_of(f, L_BATH)->i, i0, 0);
}

/* ---- restart, modes, tracking, bad PV ------------------------------------- */

static void test_restart_from_readback(void **state)
{
    struct fx *f = *state;
    set_tag(f, T_FIRING, 63.2);
    set_tag(f, T_FAN, 41.5);
    set_tag(f, T_DAMPER, 55.0);
    set_tag(f, T_HC_GAS, 1012.0);
    set_tag(f, T_BATH, 735.0); /* off SP: a naive start would move things */
    set_tag(f, T_SC_GAS, 470.0);
    set_tag(f, T_PRESS, 12.0);
    init_ok(f);
    assert_int_equal(loops_init_outputs(&f->lp, f->tags), 0);
    loops_step(&f->lp, f->tags, NULL, 0.25);
    assert_near(demand(f, T_FIRING), 63.2, EPS);
    assert_near(demand(f, T_FAN), 41.5, EPS);
    assert_near(demand(f, T_DAMPER), 55.0, EPS);
    assert_near(pid_of(f, L_HC)->sp_eff, 1012.0, EPS); /* master starts at the gas PV */
    for (int t = 0; t < 20; t++) {
        double before = demand(f, T_FIRING);
        loops_step(&f->lp, f->tags, NULL, 0.25);
        assert_true(fabs(demand(f, T_FIRING) - before) < 0.1);
    }

    /* without the read-back the first demand is the low limit: a bump */
    init_ok(f);
    loops_step(&f->lp, f->tags, NULL, 0.25);
    assert_true(fabs(demand(f, T_FIRING) - 63.2) > 50.0);

    /* a read-back that is not GOOD is counted and left alone */
    init_ok(f);
    f->tags[T_FAN].q = Q_BAD_COMMS;
    assert_int_equal(loops_init_outputs(&f->lp, f->tags), 1);
    assert_near(pid_of(f, L_SC)->out, 0.0, 0);
    assert_near(pid_of(f, L_HC)->out, 63.2, 0);
}

static void test_slave_auto_master_tracks(void **state)
{
    struct fx *f = *state;
    start(f);
    assert_int_equal(pid_set_mode(pid_of(f, L_HC), LOOP_AUTO, NULL, 0), 0);
    assert_int_equal(pid_set_sp(pid_of(f, L_HC), 990.0, NULL, 0), 0);
    for (int t = 0; t < 300; t++) {
        loops_step(&f->lp, f->tags, NULL, 1.0);
        furnace_step(f, demand(f, T_FIRING), 1.0);
        set_tag(f, T_BATH, 720.0); /* held 20 K low */
    }
    assert_near(pid_of(f, L_BATH)->out, 990.0, 0); /* follows the slave's SP */
    assert_true(pid_of(f, L_BATH)->status & PID_ST_TRACK);
    assert_int_equal(pid_of(f, L_BATH)->mode, LOOP_AUTO);
    double sp = pid_of(f, L_HC)->sp_eff, firing = demand(f, T_FIRING);
    assert_int_equal(pid_set_mode(pid_of(f, L_HC), LOOP_CAS, NULL, 0), 0);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    /* one step of the master: at most its rate limit (its integrator, set to out - P by the
     * tracking, is pulled back into its clamp no faster than that) */
    assert_true(fabs(pid_of(f, L_HC)->sp_eff - sp) <=
                pid_of(f, L_BATH)->prm.out_rate_per_s * 1.0 + 0.5);
    assert_near(demand(f, T_FIRING), firing, EPS);
    /* and the master takes over from there */
    for (int t = 0; t < 600; t++) {
        loops_step(&f->lp, f->tags, NULL, 1.0);
        furnace_step(f, demand(f, T_FIRING), 1.0);
        set_tag(f, T_BATH, 720.0);
    }
    assert_true(pid_of(f, L_HC)->sp_eff > sp + 20.0);
}

static void test_ext_sp_and_tracking(void **state)
{
    struct fx *f = *state;
    start(f);
    struct loops_ext ext = {0};
    ext.loop[L_SC].sp_set = true;
    ext.loop[L_SC].sp = 520.0; /* the program's pyrolysis setpoint */
    loops_step(&f->lp, f->tags, &ext, 1.0);
    assert_near(pid_of(f, L_SC)->sp_eff, 520.0, 0);
    assert_near(pid_of(f, L_SC)->sp, 450.0, 0);
    ext.loop[L_SC].sp_set = false;
    loops_step(&f->lp, f->tags, &ext, 1.0);
    assert_near(pid_of(f, L_SC)->sp_eff, 450.0, 0);

    /* the PLC holds low fire (a door open): the demand follows, the master holds */
    set_tag(f, T_BATH, 720.0);
    ext.loop[L_HC].track = true;
    ext.loop[L_HC].track_value = 10.0;
    loops_step(&f->lp, f->tags, &ext, 1.0);
    double i0 = pid_of(f, L_BATH)->i;
    for (int t = 0; t < 600; t++) {
        loops_step(&f->lp, f->tags, &ext, 1.0);
        assert_near(demand(f, T_FIRING), 10.0, 0);
    }
    assert_near(pid_of(f, L_BATH)->i, i0, 0);
    ext.loop[L_HC].track = false;
    loops_step(&f->lp, f->tags, &ext, 1.0);
    assert_true(demand(f, T_FIRING) - 10.0 <= 1.0 + EPS); /* leaves low fire at its rate */
}

static void test_bad_pv_drops_to_man(void **state)
{
    struct fx *f = *state;
    start(f);
    set_tag(f, T_BATH, 730.0);
    for (int t = 0; t < 60; t++)
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
    double held = pid_of(f, L_BATH)->out;
    f->tags[T_BATH].q = Q_STALE;
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 1);
    assert_int_equal(pid_of(f, L_BATH)->mode, LOOP_MAN);
    assert_non_null(strstr(pid_of(f, L_BATH)->reason, "bath: PV STALE: dropped to MAN"));
    assert_non_null(strstr(pid_of(f, L_BATH)->reason, "degC"));
    for (int t = 0; t < 30; t++)
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0); /* reported once */
    assert_near(pid_of(f, L_BATH)->out, held, 0);
    assert_near(pid_of(f, L_HC)->sp_eff, held, 0); /* the slave keeps the held SP */
    assert_int_equal(pid_of(f, L_HC)->mode, LOOP_CAS);

    /* the slave's PV fails: firing held, the master follows the slave's SP */
    f->tags[T_BATH].q = Q_GOOD;
    double firing = demand(f, T_FIRING);
    f->tags[T_HC_GAS].q = Q_BAD_SENSOR;
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 1);
    assert_int_equal(pid_of(f, L_HC)->mode, LOOP_MAN);
    assert_near(demand(f, T_FIRING), firing, 0);
    assert_int_equal(pid_set_mode(pid_of(f, L_BATH), LOOP_AUTO, NULL, 0), 0);
    loops_step(&f->lp, f->tags, NULL, 1.0);
    assert_true(pid_of(f, L_BATH)->status & PID_ST_TRACK);
    assert_near(pid_of(f, L_BATH)->out, pid_of(f, L_HC)->sp_work, 0);
}

/* With pv_bad_hold_s, a reading late for a moment changes no mode: the slave holds the
 * firing, the master holds its integrator (its slave follows nothing meanwhile), and both
 * go on when the reading returns; bad for the whole hold, the slave drops to MAN once. */
static void test_bad_pv_hold_cascade(void **state)
{
    struct fx *f = *state;
    f->c.loops[L_BATH].pv_bad_hold_s = 10;
    f->c.loops[L_HC].pv_bad_hold_s = 5;
    start(f);
    set_tag(f, T_BATH, 735.0); /* 5 K low: the master integrates up */
    for (int t = 0; t < 60; t++)
        loops_step(&f->lp, f->tags, NULL, 1.0);
    double firing = demand(f, T_FIRING);
    f->tags[T_HC_GAS].q = Q_STALE;
    /* the master steps first, so it learns of the slave's hold one step later (as of its
     * limits) */
    assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
    assert_near(demand(f, T_FIRING), firing, 0);
    double i0 = pid_of(f, L_BATH)->i;
    for (int t = 0; t < 3; t++) {
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
        assert_near(demand(f, T_FIRING), firing, 0);
        assert_int_equal(pid_of(f, L_HC)->mode, LOOP_CAS);
        assert_near(pid_of(f, L_BATH)->i, i0, 0);
        assert_true(pid_of(f, L_BATH)->status & PID_ST_I_HELD);
    }
    f->tags[T_HC_GAS].q = Q_GOOD;
    for (int t = 0; t < 30; t++)
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
    assert_int_equal(pid_of(f, L_HC)->mode, LOOP_CAS);
    assert_int_equal(pid_of(f, L_BATH)->mode, LOOP_AUTO);
    assert_true(pid_of(f, L_BATH)->i > i0); /* integrating again */

    f->tags[T_BATH].q = Q_BAD_COMMS; /* the master's own reading: 9 s, under its 10 s */
    for (int t = 0; t < 9; t++)
        assert_int_equal(loops_step(&f->lp, f->tags, NULL, 1.0), 0);
    assert_int_equal(pid_of(f, L_BATH)->mode, LOOP_AUTO);
    f->tags[T_BATH].q = Q_GOOD;
    loops_step(&f->lp, f->tags, NULL, 1.0);

    f->tags[T_HC_GAS].q = Q_BAD_SENSOR;
    int dropped = 0;
    for (int t = 0; t < 20; t++) {
        int d = loops_step(&f->lp, f->tags, NULL, 1.0);
        assert_int_equal(d, t == 4 ? 1 : 0);
        dropped += d;
    }
    assert_int_equal(dropped, 1);
    assert_int_equal(pid_of(f, L_HC)->mode, LOOP_MAN);
    assert_non_null(strstr(pid_of(f, L_HC)->reason, "hc: PV BAD for 5.0 s: dropped to MAN"));
}

/* The shipped air loop (excess-air mode, issue 13): direct action on the HC gas, writing the
 * afterburning-air floor.  Split range with the hc loop: its output is at most
 * i_hi + kp (PV - SP) (the integrator's clamp is the output's 0..100), so nothing while the
 * HC gas is within the hc loop's reach (<= its sp_hi) whatever the integrator holds, even
 * right after a start far below SP; rising above it, saturating at the fan's 100 %, back to
 * 0 when the gas falls; a bad HC gas reading drops it to MAN with the floor held. */
static void test_shipped_air_loop(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    static struct loops lp;
    static struct tag_value tags[CFG_MAX_TAGS];
    char path[512], err[256];
    const char *root = getenv("MELTCON_SRC");
    snprintf(path, sizeof path, "%s/config/meltcon.ini", root ? root : MELTCON_SRC_DIR);
    assert_int_equal(cfg_load(path, &c, &e), 0);
    assert_int_equal(loops_init(&lp, &c, err, sizeof err), 0);
    for (int i = 0; i < c.ntags; i++)
        tags[i] = (struct tag_value){.v = 0, .q = Q_GOOD};
    int gas = cfg_tag_index(&c, "hc_gas_temp"), air = loops_find(&lp, "air");
    assert_true(gas >= 0 && air >= 0);
    assert_int_equal(loops_init_outputs(&lp, tags), 0);
    const struct pid *p = &lp.loop[air].pid;
    double sp_hi_hc = c.loops[loops_find(&lp, "hc")].sp_hi;
    static const struct {
        double gas;          /* HC gas, degC */
        enum tag_quality q;  /* its quality */
        double secs;         /* held this long */
        double lo, hi;       /* the air floor after it, % */
        enum cfg_loop_mode mode;
    } rows[] = {
        {900, Q_GOOD, 600, 0, 0, LOOP_AUTO},       /* holding: no floor */
        {1150, Q_GOOD, 600, 0, 0, LOOP_AUTO},      /* at the hc loop's sp_hi: still none */
        {1165, Q_GOOD, 20, 1, 100, LOOP_AUTO},     /* the pyrolysis gas past it: air rises */
        {1200, Q_GOOD, 600, 100, 100, LOOP_AUTO},  /* far past: the whole fan */
        {1100, Q_GOOD, 900, 0, 0, LOOP_AUTO},      /* gone: back to the trim alone */
        {1170, Q_GOOD, 8, 5, 40, LOOP_AUTO},       /* again, rising at its rate limit */
        {1170, Q_BAD_SENSOR, 60, -1, -1, LOOP_MAN}, /* broken: MAN, the floor held */
    };
    const struct cfg_loop *al = &c.loops[air];
    assert_true(al->sp_lo - al->out_hi / al->kp >= sp_hi_hc); /* every SP the operator may set */
    double before = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        tags[gas] = (struct tag_value){.v = rows[r].gas, .q = rows[r].q};
        for (double t = 0; t < rows[r].secs; t += 0.25) {
            loops_step(&lp, tags, NULL, 0.25);
            if (rows[r].q == Q_GOOD)
                before = p->out;
        }
        print_message("HC gas %.0f (%s) for %.0f s: air floor %.1f %%, %s\n", rows[r].gas,
                      rows[r].q == Q_GOOD ? "good" : "bad", rows[r].secs, p->out,
                      p->mode == LOOP_MAN ? "MAN" : "AUTO");
        assert_int_equal(p->mode, rows[r].mode);
        if (rows[r].lo < 0)
            assert_near(p->out, before, EPS);
        else
            assert_true(p->out >= rows[r].lo - EPS && p->out <= rows[r].hi + EPS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade_wiring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade_closed_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roof_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roof_override_closed_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comb_override, setup, teardown),
        cmocka_unit_test(test_charge_ff),
        cmocka_unit_test(test_blend_pv),
        cmocka_unit_test_setup_teardown(test_loop_with_pv2, setup, teardown),
        cmocka_unit_test(test_prio_cap),
        cmocka_unit_test(test_prio_on),
        cmocka_unit_test_setup_teardown(test_loop_prio_by_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_prio, setup, teardown),
        cmocka_unit_test(test_hicap),
        cmocka_unit_test_setup_teardown(test_loop_hicap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roof_override_plausible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_no_windup_in_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_held_by_slave_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_from_readback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_auto_master_tracks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pv_hold_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ext_sp_and_tracking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pv_drops_to_man, setup, teardown),
        cmocka_unit_test(test_shipped_air_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
