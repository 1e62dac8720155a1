/* test_seq — the melt-phase sequencer: outputs per phase, every exit
 * condition, every transition and refusal, force, overrun, drying time and
 * the moisture flag. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "seq.h"

struct fx {
    struct cfg_program prog;
    struct cfg_limits lim;
    struct plant p;
    struct seq s;
    char why[256];
};

#define G(f, val) (x->p.f = (struct tag_value){ (val), Q_GOOD })

/* A furnace holding 50 t at 740 °C, doors and tap closed, hearth empty. */
static void holding(struct fx *x)
{
    memset(&x->p, 0, sizeof x->p);
    G(bath_hc_temp, 740);
    G(bath_sc_temp, 740);
    G(sc_gas_temp, 350);
    G(scrap_temp, 30);
    G(co_ppm, 50);
    G(metal_mass, 50000);
    G(scrap_on_hearth, 0);
    G(sc_door_closed, 1);
    G(hc_door_closed, 1);
    G(pusher_home, 1);
    G(tap_open, 0);
}

static int setup(void **state)
{
    static struct fx x;
    memset(&x, 0, sizeof x);
    x.prog = (struct cfg_program){
        .name = "a356",
        .bath_sp = 740, .tap_lo = 720, .tap_hi = 770, .sc_pyro_sp = 500,
        .min_pyro_min = 20, .co_end_ppm = 500, .scrap_ready_c = 480, .melt_flat_k = 5,
        .pump_pct = { [PH_HOLD] = 30, [PH_CHARGE] = 31, [PH_PYROLYSIS] = 40, [PH_PUSH] = 70,
                      [PH_MELT] = 90, [PH_ALLOY] = 60, [PH_SKIM] = 20, [PH_TAP] = 35 },
        .max_min = { [PH_HOLD] = 0, [PH_CHARGE] = 20, [PH_PYROLYSIS] = 60, [PH_PUSH] = 10,
                     [PH_MELT] = 90, [PH_ALLOY] = 45, [PH_SKIM] = 30, [PH_TAP] = 45 },
        .charge_fire_pct = 30, .tap_target_t = 10,
    };
    x.lim = (struct cfg_limits){ .low_fire_pct = 30, .roof_max_c = 1180, .heel_min_t = 25 };
    holding(&x);
    seq_init(&x.s, &x.prog, PH_HOLD);
    *state = &x;
    return 0;
}

static bool step(struct fx *x, double dt)
{
    return seq_step(&x->s, &x->prog, &x->lim, &x->p, dt);
}

/* Step n times by dt; returns whether any step auto-advanced. */
static bool run(struct fx *x, int n, double dt)
{
    bool moved = false;
    for (int i = 0; i < n; i++)
        moved = step(x, dt) || moved;
    return moved;
}

static int request(struct fx *x, enum cfg_phase target, bool force)
{
    return seq_request(&x->s, target, force, x->why, sizeof x->why);
}

/* Put the sequencer in `ph` (forced) and evaluate it once. */
static void in_phase(struct fx *x, enum cfg_phase ph)
{
    seq_init(&x->s, &x->prog, ph);
    step(x, 1);
}

/* ---- outputs -------------------------------------------------------------- */

static void test_outputs_per_phase(void **state)
{
    struct fx *x = *state;
    static const struct {
        enum cfg_phase ph;
        double bath, sc, pump, cap;
        bool sc_active, standby, keep; /* the burner may stand by (TAP), stay so (TAP, HOLD) */
    } rows[] = {
        { PH_HOLD, 740, 0, 30, 100, false, false, true },
        { PH_CHARGE, 740, 0, 31, 30, false, false, false },
        { PH_PYROLYSIS, 740, 500, 40, 100, true, false, false },
        { PH_PUSH, 740, 0, 70, 100, false, false, false },
        { PH_MELT, 740, 0, 90, 100, false, false, false },
        { PH_ALLOY, 740, 0, 60, 100, false, false, false },
        { PH_SKIM, 740, 0, 20, 30, false, false, false },
        { PH_TAP, 740, 0, 35, 100, false, true, true },
    };
    G(scrap_on_hearth, 3000); /* keeps PUSH from ending by itself */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct seq_out o;
        seq_outputs(&x->prog, rows[i].ph, &o);
        assert_float_equal(o.bath_sp, rows[i].bath, 1e-9);
        assert_int_equal(o.sc_active, rows[i].sc_active);
        assert_float_equal(o.sc_gas_sp, rows[i].sc, 1e-9);
        assert_float_equal(o.pump_pct, rows[i].pump, 1e-9);
        assert_float_equal(o.fire_cap_pct, rows[i].cap, 1e-9);
        assert_int_equal(o.standby_ok, rows[i].standby);
        assert_int_equal(o.standby_keep, rows[i].keep);
        /* seq_step publishes the same */
        in_phase(x, rows[i].ph);
        assert_float_equal(x->s.out.bath_sp, o.bath_sp, 0);
        assert_int_equal(x->s.out.sc_active, o.sc_active);
        assert_float_equal(x->s.out.sc_gas_sp, o.sc_gas_sp, 0);
        assert_float_equal(x->s.out.pump_pct, o.pump_pct, 0);
        assert_float_equal(x->s.out.fire_cap_pct, o.fire_cap_pct, 0);
        assert_int_equal(x->s.out.standby_ok, o.standby_ok);
        assert_int_equal(x->s.out.standby_keep, o.standby_keep);
    }
}

static void test_init(void **state)
{
    struct fx *x = *state;
    seq_init(&x->s, &x->prog, PH_MELT);
    assert_int_equal(x->s.phase, PH_MELT);
    assert_false(x->s.ready);
    assert_float_equal(x->s.t_phase_s, 0, 0);
    assert_float_equal(x->s.out.pump_pct, 90, 1e-9);
    seq_init(&x->s, &x->prog, (enum cfg_phase)99);
    assert_int_equal(x->s.phase, PH_HOLD);
}

/* ---- HOLD and CHARGE ------------------------------------------------------ */

static void test_hold_to_charge(void **state)
{
    struct fx *x = *state;
    assert_int_equal(request(x, PH_CHARGE, false), -1); /* not evaluated yet */
    assert_string_equal(x->why, "Phase change refused: HOLD not ready: not evaluated yet");
    assert_false(step(x, 0.25));
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "the operator may start a charge");
    assert_int_equal(request(x, PH_CHARGE, false), 0);
    assert_string_equal(x->why, "HOLD → CHARGE: the operator may start a charge");
    assert_int_equal(x->s.phase, PH_CHARGE);
    assert_float_equal(x->s.t_phase_s, 0, 0);
    assert_false(x->s.ready);
}

static void test_charge_exit(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_CHARGE);
    G(sc_door_closed, 0);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "charging door open; no scrap on the hearth (0 kg)");
    assert_int_equal(request(x, PH_PYROLYSIS, false), -1);
    assert_string_equal(x->why, "Phase change refused: CHARGE not ready: charging door open; "
                                "no scrap on the hearth (0 kg)");
    assert_int_equal(x->s.phase, PH_CHARGE);

    G(scrap_on_hearth, 3000);
    step(x, 1);
    assert_string_equal(x->s.why, "charging door open");
    G(sc_door_closed, 1);
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "charging door closed with 3.0 t of scrap on the hearth");
    assert_int_equal(request(x, PH_PYROLYSIS, false), 0);
    assert_string_equal(x->why, "CHARGE → PYROLYSIS: charging door closed with 3.0 t of scrap "
                                "on the hearth");
    assert_int_equal(x->s.phase, PH_PYROLYSIS);
}

static void test_charge_bad_quality(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_CHARGE);
    G(scrap_on_hearth, 3000);
    x->p.sc_door_closed = (struct tag_value){ 1, Q_BAD_COMMS };
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "charging door BAD (no good value)");
    G(sc_door_closed, 1);
    x->p.scrap_on_hearth.q = Q_STALE;
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "scrap on hearth BAD (no good value)");
}

/* ---- PYROLYSIS -------------------------------------------------------------- */

static void test_pyrolysis_finished_early(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_PYROLYSIS);
    G(co_ppm, 3000);
    G(sc_gas_temp, 540);
    G(scrap_temp, 300);
    run(x, 300, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO 3000 ppm ≥ end-of-pyrolysis 500 ppm; 5 of minimum 20 min; "
                                  "scrap 300 °C < ready 480 °C; SC gas 540 °C not past its peak "
                                  "540 °C");
    G(sc_gas_temp, 560); /* still climbing: new peak */
    G(scrap_temp, 490);
    G(co_ppm, 200);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "5 of minimum 20 min; SC gas 560 °C not past its peak 560 °C");
    G(sc_gas_temp, 552); /* 8 K down: not yet past */
    step(x, 1);
    assert_false(x->s.ready);
    G(sc_gas_temp, 550); /* 10 K down: past */
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis finished: scrap 490 °C ≥ 480 °C, CO 200 ppm < "
                                  "500 ppm, SC gas 550 °C past its peak 560 °C");
    assert_true(x->s.t_phase_s < x->prog.min_pyro_min * 60);
    assert_int_equal(request(x, PH_PUSH, false), 0);
    assert_int_equal(x->s.phase, PH_PUSH);
}

/* Finished before the push permissive's drying minimum: not ready until dry, so the
 * sequencer never offers a push the permissive refuses. */
static void test_pyrolysis_waits_for_drying(void **state)
{
    struct fx *x = *state;
    x->lim.push_min_dry_min = 15;
    in_phase(x, PH_PYROLYSIS);
    G(co_ppm, 200);
    G(sc_gas_temp, 560);
    G(scrap_temp, 490);
    run(x, 600, 1);
    G(sc_gas_temp, 540); /* past its peak, at 10 min */
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis done but drying 10.0 of minimum 15 min");
    assert_int_equal(request(x, PH_PUSH, false), -1);
    run(x, 299, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis finished: scrap 490 °C ≥ 480 °C, CO 200 ppm < "
                                  "500 ppm, SC gas 540 °C past its peak 560 °C");
    /* the minimum time alone does not do either */
    x->lim.push_min_dry_min = 25;
    in_phase(x, PH_PYROLYSIS);
    run(x, 20 * 60, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis done but drying 20.0 of minimum 25 min");
    run(x, 5 * 60, 1);
    assert_true(x->s.ready);
}

static void test_pyrolysis_minimum_time(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_PYROLYSIS); /* 1 s in */
    G(co_ppm, 100);
    G(scrap_temp, 350);
    run(x, 20 * 60 - 2, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "19 of minimum 20 min; scrap 350 °C < ready 480 °C; "
                                  "SC gas 350 °C not past its peak 350 °C");
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "CO 100 ppm < end-of-pyrolysis 500 ppm after the minimum 20 min");
    /* CO rising again (a second burst of organics) takes readiness away */
    G(co_ppm, 800);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO 800 ppm ≥ end-of-pyrolysis 500 ppm");
    x->p.co_ppm = (struct tag_value){ 100, Q_BAD_SENSOR };
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO BAD (no good value)");
}

/* A charge still cold at the minimum time: not ready while the scrap is below the
 * push permissive's dry-scrap minimum (the operator would be told "ready" and then
 * refused the push), ready once it is there; a bad scrap reading is not ready. */
static void test_pyrolysis_minimum_time_cold_scrap(void **state)
{
    struct fx *x = *state;
    x->lim.push_min_scrap_c = 400;
    in_phase(x, PH_PYROLYSIS);
    G(co_ppm, 100);
    G(scrap_temp, 240);
    run(x, 25 * 60, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis done but scrap 240 °C < dry-scrap minimum 400 °C");
    G(scrap_temp, 399.9);
    step(x, 1);
    assert_false(x->s.ready);
    x->p.scrap_temp = (struct tag_value){ 450, Q_BAD_SENSOR };
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis done but scrap BAD (no good value)");
    G(scrap_temp, 400);
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "CO 100 ppm < end-of-pyrolysis 500 ppm after the minimum 20 min");

    /* finished early by a program whose ready temperature is under the push's minimum:
     * not ready either, and the sentence does not claim the minimum time */
    in_phase(x, PH_PYROLYSIS);
    x->prog.scrap_ready_c = 350;
    G(co_ppm, 100);
    G(scrap_temp, 380);
    G(sc_gas_temp, 560);
    run(x, 60, 1);
    G(sc_gas_temp, 540);
    step(x, 1);
    assert_true(x->s.t_phase_s < x->prog.min_pyro_min * 60);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "pyrolysis done but scrap 380 °C < dry-scrap minimum 400 °C");
}

/* CO falling slowly through co_end_ppm with the sensor's noise: once below, the
 * phase stays ready until CO is SEQ_CO_HYST_PPM above the end value, so a look at
 * "ready" and the operator's request a second later agree. */
static void test_pyrolysis_co_hysteresis(void **state)
{
    struct fx *x = *state;
    G(scrap_temp, 350);
    G(co_ppm, 510);
    in_phase(x, PH_PYROLYSIS);
    run(x, 20 * 60, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO 510 ppm ≥ end-of-pyrolysis 500 ppm");
    G(co_ppm, 499);
    step(x, 1);
    assert_true(x->s.ready);
    /* noise back above the end value, inside the band: still ready */
    static const double wobble[] = { 503, 510, 524, 500, 497, 520 };
    for (size_t i = 0; i < sizeof wobble / sizeof wobble[0]; i++) {
        G(co_ppm, wobble[i]);
        step(x, 1);
        assert_true(x->s.ready);
    }
    /* a real rise past the band takes readiness away, and falling into the band
     * again does not give it back */
    G(co_ppm, 500 + SEQ_CO_HYST_PPM);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO 525 ppm ≥ end-of-pyrolysis 500 ppm");
    G(co_ppm, 510);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "CO 510 ppm ≥ end-of-pyrolysis 500 ppm");
    G(co_ppm, 480);
    step(x, 1);
    assert_true(x->s.ready);
    /* a bad value clears it: the next good value must be below the end again */
    x->p.co_ppm = (struct tag_value){ 480, Q_BAD_SENSOR };
    step(x, 1);
    assert_false(x->s.ready);
    G(co_ppm, 505);
    step(x, 1);
    assert_false(x->s.ready);
    /* a new pyrolysis starts with CO not low */
    G(co_ppm, 450);
    step(x, 1);
    assert_true(x->s.ready);
    G(co_ppm, 505);
    in_phase(x, PH_PYROLYSIS);
    run(x, 20 * 60, 1);
    assert_false(x->s.ready);
}

/* ---- PUSH: the phase that is not operator-confirmed ------------------------ */

static void test_push_auto_advances(void **state)
{
    struct fx *x = *state;
    G(scrap_on_hearth, 3000);
    in_phase(x, PH_PUSH);
    assert_false(seq_phase_confirmed(PH_PUSH));
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "3.0 t of scrap still on the hearth");
    assert_int_equal(request(x, PH_MELT, false), -1);
    assert_string_equal(x->why, "Phase change refused: PUSH not ready: 3.0 t of scrap still on the "
                                "hearth");
    G(pusher_home, 0);
    G(scrap_on_hearth, 50);
    assert_false(step(x, 1));
    assert_string_equal(x->s.why, "pusher not home");
    assert_int_equal(x->s.phase, PH_PUSH);
    G(pusher_home, 1);
    assert_true(step(x, 1));
    assert_int_equal(x->s.phase, PH_MELT);
    assert_string_equal(x->s.why, "PUSH done (pusher home and the hearth empty): MELT started");
    assert_float_equal(x->s.out.pump_pct, 90, 1e-9);
    assert_float_equal(x->s.t_phase_s, 0, 0);
}

/* ---- MELT: flat bath ---------------------------------------------------------- */

static void test_melt_flat_bath(void **state)
{
    struct fx *x = *state;
    G(bath_sc_temp, 700);
    in_phase(x, PH_MELT);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "bath SC side 700 °C, 40 K below setpoint 740 °C ± 5 K");
    G(bath_hc_temp, 746);
    step(x, 1);
    assert_string_equal(x->s.why, "bath HC side 746 °C, 6 K above setpoint 740 °C ± 5 K; "
                                  "bath SC side 700 °C, 40 K below setpoint 740 °C ± 5 K");
    G(bath_hc_temp, 744);
    G(bath_sc_temp, 736);
    run(x, 299, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "bath flat for 4.9 of 5.0 min");
    /* a dip resets the clock */
    G(bath_sc_temp, 734);
    step(x, 1);
    assert_float_equal(x->s.flat_s, 0, 0);
    G(bath_sc_temp, 736);
    run(x, 299, 1);
    assert_false(x->s.ready);
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "bath flat for 5.0 min: HC side 744 °C, SC side 736 °C "
                                  "within 5 K of 740 °C");
    x->p.bath_hc_temp.q = Q_STALE;
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "bath HC side BAD (no good value)");
    assert_float_equal(x->s.flat_s, 0, 0);
}

/* ---- MELT -> CHARGE: the semi-continuous cycle ------------------------------------ */

static void test_melt_to_charge(void **state)
{
    struct fx *x = *state;
    G(bath_hc_temp, 712); /* the last charge still melting: not flat, not ready */
    in_phase(x, PH_MELT);
    assert_false(x->s.ready);
    assert_true(x->s.can_charge);
    assert_string_equal(x->s.charge_why,
                        "hearth empty: the next charge goes on while this one melts");
    x->s.t_pyro_s = 1500; /* the last charge's drying time */
    assert_int_equal(request(x, PH_CHARGE, false), 0);
    assert_string_equal(
        x->why, "MELT → CHARGE: hearth empty: the next charge goes on while this one melts");
    assert_int_equal(x->s.phase, PH_CHARGE);
    assert_float_equal(x->s.t_pyro_s, 0, 0); /* a new charge: its drying time starts over */
    step(x, 1);
    assert_float_equal(x->s.out.fire_cap_pct, 30, 1e-9); /* the door will open: reduced fire */
    assert_float_equal(x->s.out.bath_sp, 740, 1e-9);
    assert_false(x->s.can_charge);
    assert_string_equal(x->s.charge_why, "CHARGE does not go on to CHARGE");
}

static void test_melt_to_charge_needs_empty_hearth(void **state)
{
    struct fx *x = *state;
    static const struct {
        double kg;
        enum tag_quality q;
        const char *why;
    } rows[] = {
        { 3000, Q_GOOD, "Phase change refused: MELT cannot go on to CHARGE: "
                        "3.0 t of scrap still on the hearth" },
        { 100, Q_GOOD, "Phase change refused: MELT cannot go on to CHARGE: "
                       "0.1 t of scrap still on the hearth" },
        { 0, Q_BAD_COMMS, "Phase change refused: MELT cannot go on to CHARGE: "
                          "scrap on hearth BAD (no good value)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        in_phase(x, PH_MELT);
        x->p.scrap_on_hearth = (struct tag_value){ rows[i].kg, rows[i].q };
        step(x, 1);
        x->s.t_phase_s = 77;
        assert_false(x->s.can_charge);
        assert_int_equal(request(x, PH_CHARGE, false), -1);
        assert_string_equal(x->why, rows[i].why);
        assert_int_equal(x->s.phase, PH_MELT);
        assert_float_equal(x->s.t_phase_s, 77, 0);
    }
    /* an engineer may force it, and it says so */
    assert_int_equal(request(x, PH_CHARGE, true), 0);
    assert_int_equal(x->s.phase, PH_CHARGE);
    assert_string_equal(x->why, "MELT → CHARGE forced by an engineer; hearth not empty: "
                                "scrap on hearth BAD (no good value)");
    /* 99 kg reads as empty */
    in_phase(x, PH_MELT);
    G(scrap_on_hearth, 99);
    step(x, 1);
    assert_true(x->s.can_charge);
}

/* ---- ALLOY ------------------------------------------------------------------ */

static void test_alloy_confirm(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_HOLD);
    assert_int_equal(seq_confirm_chemistry(&x->s, x->why, sizeof x->why), -1);
    assert_string_equal(x->why, "Confirm chemistry refused: phase is HOLD, not ALLOY");
    in_phase(x, PH_ALLOY);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "waiting for the operator to confirm the chemistry");
    assert_int_equal(request(x, PH_SKIM, false), -1);
    assert_string_equal(x->why, "Phase change refused: ALLOY not ready: waiting for the operator "
                                "to confirm the chemistry");
    assert_int_equal(seq_confirm_chemistry(&x->s, x->why, sizeof x->why), 0);
    assert_true(x->s.ready);
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "chemistry confirmed by the operator");
    assert_int_equal(request(x, PH_SKIM, false), 0);
    assert_string_equal(x->why, "ALLOY → SKIM: chemistry confirmed by the operator");
}

static void test_alloy_to_hold(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_ALLOY);
    assert_true(x->s.can_hold);
    assert_int_equal(request(x, PH_HOLD, false), 0);
    assert_string_equal(x->why, "ALLOY → HOLD: ended early by the operator");
    assert_int_equal(x->s.phase, PH_HOLD);
}

/* ---- SKIM ----------------------------------------------------------------------- */

static void test_skim(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_SKIM);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "HC door not yet opened for skimming");
    G(hc_door_closed, 0);
    step(x, 1);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "HC door open");
    assert_false(x->s.can_hold);
    assert_string_equal(x->s.hold_why, "HC door open");
    assert_int_equal(request(x, PH_HOLD, false), -1);
    assert_string_equal(x->why, "Phase change refused: SKIM cannot go to HOLD: HC door open");
    assert_int_equal(request(x, PH_TAP, false), -1);
    assert_string_equal(x->why, "Phase change refused: SKIM not ready: HC door open");
    G(hc_door_closed, 1);
    step(x, 1);
    assert_true(x->s.ready);
    assert_true(x->s.can_hold);
    assert_string_equal(x->s.why, "HC door closed after skimming");
    assert_int_equal(request(x, PH_TAP, false), 0);
    assert_string_equal(x->why, "SKIM → TAP: HC door closed after skimming");
}

static void test_skim_to_hold_door_bad(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_SKIM);
    x->p.hc_door_closed = (struct tag_value){ 1, Q_BAD_COMMS };
    step(x, 1);
    assert_false(x->s.can_hold);
    assert_string_equal(x->s.hold_why, "HC door BAD (no good value)");
    assert_int_equal(request(x, PH_HOLD, false), -1);
    G(hc_door_closed, 1);
    step(x, 1);
    assert_int_equal(request(x, PH_HOLD, false), 0);
    assert_string_equal(x->why, "SKIM → HOLD: ended early by the operator");
}

/* ---- TAP ---------------------------------------------------------------------- */

static void test_tap_target(void **state)
{
    struct fx *x = *state;
    G(metal_mass, 60000);
    in_phase(x, PH_TAP);
    assert_false(x->s.ready);
    assert_string_equal(x->s.why, "tap closed with 0.0 t tapped of target 10.0 t, metal 60.0 t "
                                  "above the heel 25.0 t");
    G(tap_open, 1);
    G(metal_mass, 55000);
    step(x, 1);
    assert_string_equal(x->s.why, "tap open, 5.0 t tapped");
    assert_false(x->s.can_hold);
    assert_string_equal(x->s.hold_why, "tap open");
    G(metal_mass, 49800);
    step(x, 1);
    assert_false(x->s.ready); /* target reached, tap still open */
    G(tap_open, 0);
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "tap closed after 10.2 t tapped (target 10.0 t)");
    assert_int_equal(request(x, PH_HOLD, false), 0);
    assert_string_equal(x->why, "TAP → HOLD: tap closed after 10.2 t tapped (target 10.0 t)");
    assert_int_equal(x->s.phase, PH_HOLD);
}

static void test_tap_heel_and_early_end(void **state)
{
    struct fx *x = *state;
    G(metal_mass, 30000);
    in_phase(x, PH_TAP);
    G(metal_mass, 25400); /* 4.6 t tapped, within 0.5 t of the heel */
    step(x, 1);
    assert_true(x->s.ready);
    assert_string_equal(x->s.why, "tap closed at the heel: metal 25.4 t");

    /* a tap ended early (casting line stopped): HOLD needs only the tap closed */
    G(metal_mass, 50000);
    in_phase(x, PH_TAP);
    G(metal_mass, 47000);
    step(x, 1);
    assert_false(x->s.ready);
    assert_true(x->s.can_hold);
    assert_int_equal(request(x, PH_HOLD, false), 0);
    assert_string_equal(x->why, "TAP → HOLD: ended early by the operator");
    assert_int_equal(x->s.phase, PH_HOLD);
}

/* ---- refusals and force -------------------------------------------------------- */

static void test_wrong_targets(void **state)
{
    struct fx *x = *state;
    static const struct {
        enum cfg_phase from, to;
        const char *why;
    } rows[] = {
        { PH_HOLD, PH_TAP, "Phase change refused: HOLD goes on only to CHARGE, not TAP" },
        { PH_CHARGE, PH_HOLD, "Phase change refused: CHARGE goes on only to PYROLYSIS, not HOLD" },
        { PH_PYROLYSIS, PH_MELT, "Phase change refused: PYROLYSIS goes on only to PUSH, not MELT" },
        { PH_PUSH, PH_CHARGE, "Phase change refused: PUSH goes on only to MELT, not CHARGE" },
        { PH_MELT, PH_HOLD,
          "Phase change refused: MELT goes on only to ALLOY or CHARGE, not HOLD" },
        { PH_PYROLYSIS, PH_CHARGE,
          "Phase change refused: PYROLYSIS goes on only to PUSH, not CHARGE" },
        { PH_ALLOY, PH_CHARGE,
          "Phase change refused: ALLOY goes on only to SKIM or HOLD, not CHARGE" },
        { PH_ALLOY, PH_TAP, "Phase change refused: ALLOY goes on only to SKIM or HOLD, not TAP" },
        { PH_SKIM, PH_MELT, "Phase change refused: SKIM goes on only to TAP or HOLD, not MELT" },
        { PH_TAP, PH_CHARGE, "Phase change refused: TAP goes on only to HOLD, not CHARGE" },
        { PH_MELT, PH_MELT, "Phase change refused: already in MELT" },
        { PH_HOLD, (enum cfg_phase)PH_COUNT, "Phase change refused: there is no phase number 8" },
    };
    G(scrap_on_hearth, 3000); /* keeps PUSH from ending by itself */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        for (int force = 0; force <= 1; force++) {
            in_phase(x, rows[i].from);
            x->s.t_phase_s = 123;
            assert_int_equal(request(x, rows[i].to, force), -1);
            assert_string_equal(x->why, rows[i].why);
            assert_int_equal(x->s.phase, rows[i].from);
            assert_float_equal(x->s.t_phase_s, 123, 0);
        }
    }
}

static void test_force(void **state)
{
    struct fx *x = *state;
    G(co_ppm, 3000);
    in_phase(x, PH_PYROLYSIS);
    assert_false(x->s.ready);
    assert_int_equal(request(x, PH_PUSH, false), -1);
    assert_int_equal(x->s.phase, PH_PYROLYSIS);
    assert_int_equal(request(x, PH_PUSH, true), 0);
    assert_int_equal(x->s.phase, PH_PUSH);
    assert_string_equal(x->why, "PYROLYSIS → PUSH forced by an engineer; not ready: CO 3000 ppm ≥ "
                                "end-of-pyrolysis 500 ppm; 0 of minimum 20 min; scrap 30 °C < "
                                "ready 480 °C; SC gas 350 °C not past its peak 350 °C");
    /* force out of SKIM to HOLD with the door open */
    in_phase(x, PH_SKIM);
    G(hc_door_closed, 0);
    step(x, 1);
    assert_int_equal(request(x, PH_HOLD, true), 0);
    assert_string_equal(x->why,
                        "SKIM → HOLD forced by an engineer; not safe to leave: HC door open");
}

/* ---- overrun ---------------------------------------------------------------------- */

static void test_overrun(void **state)
{
    struct fx *x = *state;
    G(co_ppm, 3000);
    in_phase(x, PH_PYROLYSIS);
    run(x, 60 * 60 - 2, 1);
    assert_false(x->s.overrun);
    assert_string_equal(x->s.overrun_why, "");
    step(x, 1);
    assert_true(x->s.overrun);
    assert_string_equal(x->s.overrun_why, "PYROLYSIS has run 60 min, past its maximum of 60 min");
    run(x, 600, 1);
    assert_string_equal(x->s.overrun_why, "PYROLYSIS has run 70 min, past its maximum of 60 min");
    /* leaving the phase clears it */
    assert_int_equal(request(x, PH_PUSH, true), 0);
    assert_false(x->s.overrun);

    /* max 0: never */
    in_phase(x, PH_HOLD);
    run(x, 100, 3600);
    assert_false(x->s.overrun);
}

/* ---- drying time and moisture -------------------------------------------------------- */

static void test_drying_time(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_HOLD);
    run(x, 10, 60);
    assert_float_equal(x->s.t_pyro_s, 0, 0);
    assert_int_equal(request(x, PH_CHARGE, false), 0);
    G(scrap_on_hearth, 3000);
    run(x, 5, 60);
    assert_float_equal(x->s.t_pyro_s, 0, 0);
    assert_int_equal(request(x, PH_PYROLYSIS, false), 0);
    run(x, 25, 60);
    assert_float_equal(x->s.t_pyro_s, 25 * 60, 1e-9);
    assert_int_equal(request(x, PH_PUSH, false), 0);
    G(pusher_home, 0);
    run(x, 2, 60);
    assert_float_equal(x->s.t_pyro_s, 25 * 60, 1e-9); /* kept through PUSH */
    /* negative dt never runs the clocks backwards */
    step(x, -5);
    assert_float_equal(x->s.t_pyro_s, 25 * 60, 1e-9);
    /* a new charge restarts it */
    seq_init(&x->s, &x->prog, PH_TAP);
    x->s.t_pyro_s = 99;
    step(x, 1);
    assert_int_equal(request(x, PH_HOLD, false), 0);
    step(x, 1);
    assert_int_equal(request(x, PH_CHARGE, false), 0);
    assert_float_equal(x->s.t_pyro_s, 0, 0);
}

static void test_wet_flag(void **state)
{
    struct fx *x = *state;
    in_phase(x, PH_PYROLYSIS);
    assert_false(x->s.wet);
    seq_flag_wet(&x->s, true);
    step(x, 1);
    assert_true(x->s.wet);
    assert_int_equal(request(x, PH_PUSH, true), 0);
    assert_true(x->s.wet); /* stays until someone clears it */
    seq_flag_wet(&x->s, false);
    assert_false(x->s.wet);
}

/* ALLOY, SKIM and TAP: the holding setpoint while it lies in the tapping window's middle
 * half, else the window's middle (the fixture's 740 in 720-770 stays: the table above). */
static void test_tapping_setpoint(void **state)
{
    struct fx *x = *state;
    static const struct {
        double sp, lo, hi, want;
    } rows[] = {
        { 740, 730, 755, 740 },     /* the shipped a226: 10 K and 15 K from the edges */
        { 750, 740, 765, 750 },     /* the shipped a6060 */
        { 740, 735, 775, 755 },     /* 5 K from the low edge, a quarter is 10 */
        { 745, 735, 775, 745 },     /* exactly a quarter in: kept */
        { 744.9, 735, 775, 755 },   /* just short of it */
        { 770, 735, 775, 755 },     /* near the high edge */
        { 700, 730, 755, 742.5 },   /* outside the window */
        { 800, 730, 755, 742.5 },
        { 740, 740, 740, 740 },     /* a window of one point */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        x->prog.bath_sp = rows[i].sp;
        x->prog.tap_lo = rows[i].lo;
        x->prog.tap_hi = rows[i].hi;
        struct seq_out o;
        for (enum cfg_phase ph = PH_ALLOY; ph <= PH_TAP; ph++) {
            seq_outputs(&x->prog, ph, &o);
            assert_float_equal(o.bath_sp, rows[i].want, 1e-9);
        }
        seq_outputs(&x->prog, PH_HOLD, &o);
        assert_float_equal(o.bath_sp, rows[i].sp, 1e-9);
    }
}

/* ---- a whole cycle, the way an operator runs it --------------------------------------- */

static void test_full_cycle(void **state)
{
    struct fx *x = *state;
    step(x, 1);
    assert_int_equal(request(x, PH_CHARGE, false), 0);
    G(sc_door_closed, 0);
    G(scrap_on_hearth, 3000);
    run(x, 5, 60);
    G(sc_door_closed, 1);
    step(x, 1);
    assert_int_equal(request(x, PH_PYROLYSIS, false), 0);
    G(co_ppm, 100);
    run(x, 20, 60);
    assert_int_equal(request(x, PH_PUSH, false), 0);
    G(pusher_home, 0);
    step(x, 1);
    G(scrap_on_hearth, 0);
    G(pusher_home, 1);
    assert_true(step(x, 1));
    assert_int_equal(x->s.phase, PH_MELT);
    G(metal_mass, 53000);
    run(x, 6, 60);
    x->prog.tap_lo = 735; /* 740 is then near the window's low edge */
    x->prog.tap_hi = 775;
    assert_int_equal(request(x, PH_ALLOY, false), 0);
    assert_float_equal(x->s.out.bath_sp, 740, 1e-9); /* outputs follow at the next step */
    step(x, 1);
    assert_float_equal(x->s.out.bath_sp, 755, 1e-9); /* towards the tapping window */
    assert_int_equal(seq_confirm_chemistry(&x->s, x->why, sizeof x->why), 0);
    assert_int_equal(request(x, PH_SKIM, false), 0);
    G(hc_door_closed, 0);
    step(x, 1);
    G(hc_door_closed, 1);
    step(x, 1);
    assert_int_equal(request(x, PH_TAP, false), 0);
    step(x, 1);
    G(tap_open, 1);
    G(metal_mass, 42900);
    step(x, 1);
    G(tap_open, 0);
    step(x, 1);
    assert_true(x->s.ready);
    assert_int_equal(request(x, PH_HOLD, false), 0);
    assert_int_equal(x->s.phase, PH_HOLD);
}

/* The semi-continuous shift: the next charge goes on as soon as the last one has been
 * pushed, and every few charges the metal is alloyed, skimmed and tapped. */
static void test_overlapping_cycle(void **state)
{
    struct fx *x = *state;
    step(x, 1);
    for (int c = 0; c < 3; c++) {
        assert_int_equal(request(x, PH_CHARGE, false), 0);
        G(sc_door_closed, 0);
        G(scrap_on_hearth, 3000);
        run(x, 3, 60);
        G(sc_door_closed, 1);
        step(x, 1);
        assert_int_equal(request(x, PH_PYROLYSIS, false), 0);
        G(co_ppm, 100);
        run(x, 20, 60);
        assert_int_equal(request(x, PH_PUSH, false), 0);
        G(pusher_home, 0);
        step(x, 1);
        G(scrap_on_hearth, 0);
        G(pusher_home, 1);
        G(bath_hc_temp, 715); /* the scrap melting */
        assert_true(step(x, 1));
        assert_int_equal(x->s.phase, PH_MELT);
        step(x, 1);
        assert_false(x->s.ready);
        assert_true(x->s.can_charge);
    }
    /* the third charge is left to melt: flat bath, then alloy, skim, tap */
    G(bath_hc_temp, 740);
    run(x, 301, 1);
    assert_true(x->s.ready);
    assert_true(x->s.can_charge); /* either way */
    assert_int_equal(request(x, PH_ALLOY, false), 0);
    assert_int_equal(x->s.phase, PH_ALLOY);
}

static void test_phase_table(void **state)
{
    (void)state;
    static const char *const names[PH_COUNT] = { "HOLD", "CHARGE", "PYROLYSIS", "PUSH",
                                                 "MELT", "ALLOY",  "SKIM",      "TAP" };
    for (int p = 0; p < PH_COUNT; p++) {
        assert_string_equal(seq_phase_name((enum cfg_phase)p), names[p]);
        assert_true(strlen(seq_phase_what((enum cfg_phase)p)) > 10);
        assert_int_equal(seq_phase_next((enum cfg_phase)p), (p + 1) % PH_COUNT);
        assert_int_equal(seq_phase_confirmed((enum cfg_phase)p), p != PH_PUSH);
    }
    assert_string_equal(seq_phase_name((enum cfg_phase)PH_COUNT), "?");
    assert_string_equal(seq_phase_what((enum cfg_phase)-1), "?");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_outputs_per_phase),
        T(test_tapping_setpoint),
        T(test_init),
        T(test_hold_to_charge),
        T(test_charge_exit),
        T(test_charge_bad_quality),
        T(test_pyrolysis_finished_early),
        T(test_pyrolysis_waits_for_drying),
        T(test_pyrolysis_minimum_time),
        T(test_pyrolysis_minimum_time_cold_scrap),
        T(test_pyrolysis_co_hysteresis),
        T(test_push_auto_advances),
        T(test_melt_flat_bath),
        T(test_melt_to_charge),
        T(test_melt_to_charge_needs_empty_hearth),
        T(test_alloy_confirm),
        T(test_alloy_to_hold),
        T(test_skim),
        T(test_skim_to_hold_door_bad),
        T(test_tap_target),
        T(test_tap_heel_and_early_end),
        T(test_wrong_targets),
        T(test_force),
        T(test_overrun),
        T(test_drying_time),
        T(test_wet_flag),
        T(test_full_cycle),
        T(test_overlapping_cycle),
        T(test_phase_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
