/* test_perm — every permissive both ways: READY when its conditions are met,
 * BLOCKED with the exact sentence (live value and limit) when one is not;
 * bad quality blocks; several failures are all listed; names and PLC codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "perm.h"

struct fx {
    struct cfg_program prog;
    struct cfg_limits lim;
    struct cfg_furnace furnace;
    struct plant p;
    struct seq s;
    struct perm_ctx ctx;
    struct perm_result r;
};

#define G(f, val) (x->p.f = (struct tag_value){ (val), Q_GOOD })

/* A furnace at moderate fire in HOLD: 50 t at 740 °C, doors and tap closed,
 * burner off and ready to start, pump and fan ready. */
static void nominal(struct fx *x)
{
    memset(&x->p, 0, sizeof x->p);
    G(roof_temp, 1100);
    G(hc_gas_temp, 1000);
    G(bath_hc_temp, 740);
    G(bath_sc_temp, 735);
    G(sc_gas_temp, 400);
    G(scrap_temp, 450);
    G(co_ppm, 100);
    G(o2_pct, 3);
    G(firing_fb, 25);
    G(bath_level, 800);
    G(metal_mass, 50000);
    G(scrap_on_hearth, 0);
    G(sc_door_closed, 1);
    G(hc_door_closed, 1);
    G(estop_ok, 1);
    G(estop_released, 1);
    G(gas_ok, 1);
    G(air_ok, 1);
    G(pusher_home, 1);
    G(flame_on, 0);
    G(bms_lockout, 0);
    G(watchdog_tripped, 0);
    G(tap_open, 0);
}

static int setup(void **state)
{
    static struct fx x;
    memset(&x, 0, sizeof x);
    x.prog = (struct cfg_program){ .name = "a356", .bath_sp = 740, .tap_lo = 720, .tap_hi = 760,
                                   .min_pyro_min = 20, .co_end_ppm = 500 };
    x.lim = (struct cfg_limits){
        .low_fire_pct = 30, .roof_max_c = 1180, .sc_gas_max_door_c = 450,
        .co_max_door_ppm = 2000, .door_o2_min_pct = 1, .push_min_scrap_c = 400, .push_min_dry_min = 15,
        .pump_min_bath_c = 690, .pump_min_level_mm = 500, .max_level_mm = 1000,
        .max_charge_t = 5, .heel_min_t = 25,
    };
    x.furnace = (struct cfg_furnace){ .capacity_t = 65, .heel_t = 25, .low_fire_pct = 10 };
    nominal(&x);
    seq_init(&x.s, &x.prog, PH_HOLD);
    x.ctx = (struct perm_ctx){ .plant = &x.p, .lim = &x.lim, .furnace = &x.furnace,
                               .prog = &x.prog, .seq = &x.s };
    *state = &x;
    return 0;
}

/* One live value changed from nominal. */
struct poke {
    size_t off; /* 0 = unused (hc_gas_temp, the first role, is never poked) */
    double v;
    enum tag_quality q;
};

#define P(f, val) { offsetof(struct plant, f), (val), Q_GOOD }
#define BADQ(f) { offsetof(struct plant, f), 0, Q_BAD_SENSOR }

struct row {
    enum perm_cmd cmd;
    enum cfg_phase phase;
    double arg;
    double dry_min;
    bool wet;
    struct poke poke[4];
    const char *expect[4]; /* every failing sentence, in table order; none = READY */
};

static void apply(struct fx *x, const struct row *w)
{
    nominal(x);
    seq_init(&x->s, &x->prog, w->phase);
    x->s.t_pyro_s = w->dry_min * 60;
    x->s.wet = w->wet;
    for (int i = 0; i < 4 && w->poke[i].off; i++) {
        struct tag_value *t = (struct tag_value *)(void *)((char *)&x->p + w->poke[i].off);
        *t = (struct tag_value){ w->poke[i].v, w->poke[i].q };
    }
}

static void check_rows(struct fx *x, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        apply(x, w);
        int nexp = 0;
        while (nexp < 4 && w->expect[nexp])
            nexp++;
        enum perm_status st = perm_eval(w->cmd, &x->ctx, w->arg, &x->r);
        if (x->r.nfail != nexp) {
            for (int k = 0; k < x->r.nfail; k++)
                print_message("row %zu (%s): got \"%s\"\n", i, perm_cmd_name(w->cmd),
                              x->r.fail[k]);
        }
        assert_int_equal(x->r.nfail, nexp);
        assert_int_equal(st, nexp ? PERM_BLOCKED : PERM_READY);
        assert_int_equal(x->r.status, st);
        for (int k = 0; k < nexp; k++)
            assert_string_equal(x->r.fail[k], w->expect[k]);
    }
}

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- burner and lockout ---------------------------------------------------- */

static void test_burner(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_BURNER_START },
        { .cmd = PERM_BURNER_START, .poke = { P(roof_temp, 1200) },
          .expect = { "Start burner: roof 1200 °C > roof limit 1180 °C" } },
        { .cmd = PERM_BURNER_START, .poke = { P(roof_temp, 1180) } },
        { .cmd = PERM_BURNER_START, .poke = { P(sc_door_closed, 0) },
          .expect = { "Start burner: charging door open" } },
        { .cmd = PERM_BURNER_START, .poke = { P(hc_door_closed, 0) },
          .expect = { "Start burner: HC door open" } },
        { .cmd = PERM_BURNER_START, .poke = { P(bms_lockout, 1) },
          .expect = { "Start burner: burner in lockout" } },
        { .cmd = PERM_BURNER_START, .poke = { P(flame_on, 1) },
          .expect = { "Start burner: flame already on" } },
        { .cmd = PERM_BURNER_START, .poke = { P(gas_ok, 0) },
          .expect = { "Start burner: gas pressure not proven" } },
        { .cmd = PERM_BURNER_START, .poke = { P(watchdog_tripped, 1) },
          .expect = { "Start burner: PLC watchdog tripped" } },
        { .cmd = PERM_BURNER_START, .poke = { P(estop_ok, 0) },
          .expect = { "Start burner: E-stop pressed" } },
        { .cmd = PERM_BURNER_START, .poke = { BADQ(roof_temp) },
          .expect = { "Start burner: roof BAD (no good value)" } },
        /* a stop is never refused, whatever the state */
        { .cmd = PERM_BURNER_STOP,
          .poke = { P(estop_ok, 0), P(roof_temp, 1300), BADQ(flame_on), P(watchdog_tripped, 1) } },
        { .cmd = PERM_LOCKOUT_RESET, .expect = { "Reset burner lockout: burner not in lockout" } },
        { .cmd = PERM_LOCKOUT_RESET, .poke = { P(bms_lockout, 1) } },
        { .cmd = PERM_LOCKOUT_RESET, .poke = { P(bms_lockout, 1), P(estop_ok, 0) },
          .expect = { "Reset burner lockout: E-stop pressed" } },
        { .cmd = PERM_LOCKOUT_RESET, .poke = { BADQ(bms_lockout) },
          .expect = { "Reset burner lockout: burner BAD (no good value)" } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- doors: high fire, pyrolysis gas and air ------------------------------- */

static void test_doors(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_SC_DOOR_OPEN },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(firing_fb, 30) } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(firing_fb, 78) },
          .expect = { "Open charging door: firing 78 % > low-fire limit 30 %" } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { BADQ(firing_fb) },
          .expect = { "Open charging door: firing BAD (no good value)" } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(co_ppm, 2500) },
          .expect = { "Open charging door: CO 2500 ppm > door CO limit 2000 ppm" } },
        { .cmd = PERM_SC_DOOR_OPEN, .phase = PH_PYROLYSIS, .poke = { P(sc_gas_temp, 520) },
          .expect = { "Open charging door: SC gas 520 °C > door SC gas limit 450 °C" } },
        { .cmd = PERM_SC_DOOR_OPEN, .phase = PH_PUSH, .poke = { P(sc_gas_temp, 520) },
          .expect = { "Open charging door: SC gas 520 °C > door SC gas limit 450 °C" } },
        { .cmd = PERM_SC_DOOR_OPEN, .phase = PH_PYROLYSIS, .poke = { BADQ(sc_gas_temp) },
          .expect = { "Open charging door: SC gas BAD (no good value)" } },
        /* no pyrolysis gas on the hearth: SC gas temperature does not matter */
        { .cmd = PERM_SC_DOOR_OPEN, .phase = PH_HOLD, .poke = { P(sc_gas_temp, 520) } },
        { .cmd = PERM_SC_DOOR_OPEN, .phase = PH_CHARGE, .poke = { BADQ(sc_gas_temp) } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(hc_door_closed, 0) },
          .expect = { "Open charging door: HC door open" } },
        /* a fuel-rich chamber: no air let in at either door (the case) */
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(o2_pct, 0.06), P(co_ppm, 5040) },
          .expect = { "Open charging door: CO 5040 ppm > door CO limit 2000 ppm",
                      "Open charging door: O2 0.06 % < door O2 minimum (fuel-rich below) 1.00 %" } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(o2_pct, 1), P(co_ppm, 2000) } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { BADQ(o2_pct) },
          .expect = { "Open charging door: O2 BAD (no good value)" } },
        { .cmd = PERM_SC_DOOR_OPEN, .poke = { P(estop_ok, 0) },
          .expect = { "Open charging door: E-stop pressed" } },
        { .cmd = PERM_SC_DOOR_CLOSE, .poke = { P(firing_fb, 100), P(co_ppm, 9000) } },
        { .cmd = PERM_HC_DOOR_OPEN },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(firing_fb, 40.4) },
          .expect = { "Open HC door: firing 40 % > low-fire limit 30 %" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(sc_door_closed, 0) },
          .expect = { "Open HC door: charging door open" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { BADQ(sc_door_closed) },
          .expect = { "Open HC door: charging door BAD (no good value)" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(o2_pct, 0.06), P(co_ppm, 5040) },
          .expect = { "Open HC door: CO 5040 ppm > door CO limit 2000 ppm",
                      "Open HC door: O2 0.06 % < door O2 minimum (fuel-rich below) 1.00 %" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(co_ppm, 2001) },
          .expect = { "Open HC door: CO 2001 ppm > door CO limit 2000 ppm" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(o2_pct, 0.99) },
          .expect = { "Open HC door: O2 0.99 % < door O2 minimum (fuel-rich below) 1.00 %" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(o2_pct, 1), P(co_ppm, 2000) } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { BADQ(co_ppm) },
          .expect = { "Open HC door: CO BAD (no good value)" } },
        { .cmd = PERM_HC_DOOR_OPEN, .poke = { P(estop_ok, 0) },
          .expect = { "Open HC door: E-stop pressed" } },
        { .cmd = PERM_HC_DOOR_CLOSE, .poke = { P(o2_pct, 0), P(co_ppm, 20000) } },
        { .cmd = PERM_HC_DOOR_CLOSE, .poke = { P(firing_fb, 100) } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- pump: remelt circulation (a cold charge in the SC never deadlocks the pump) -- */

static void test_pump_remelt(void **state)
{
    struct fx *x = *state;
    x->lim.pump_remelt_hc_c = 720;
    x->lim.pump_remelt_sc_c = 645;
    static const struct row rows[] = {
        /* the SC side cold under a cold charge, the HC side hot: remelt circulation */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 665), P(bath_hc_temp, 741) } },
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 645), P(bath_hc_temp, 720) } },
        /* the HC side not hot enough: both reasons */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 665), P(bath_hc_temp, 715) },
          .expect = { "Start pump: bath at the pump 665 °C < pump freeze limit 690 °C",
                      "Start pump: remelt circulation: HC side 715 °C < remelt minimum 720 °C" } },
        /* the SC side frozen solid (or a wrong reading) */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 640), P(bath_hc_temp, 760) },
          .expect = { "Start pump: bath at the pump 640 °C < pump freeze limit 690 °C",
                      "Start pump: remelt circulation: SC side 640 °C < frozen-solid limit 645 °C" } },
        /* a bad HC reading: no remelt on a guess */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 665), BADQ(bath_hc_temp) },
          .expect = { "Start pump: bath at the pump 665 °C < pump freeze limit 690 °C",
                      "Start pump: remelt circulation: HC side BAD (no good value)" } },
        /* warm enough anyway: the alternative is not looked at */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 700), BADQ(bath_hc_temp) } },
        /* the other conditions still hold it */
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 665), P(bath_level, 400) },
          .expect = { "Start pump: bath level 400 mm < pump minimum level 500 mm" } },
    };
    check_rows(x, rows, NROWS(rows));
    /* remelt switched off (limit 0): the freeze limit alone, one sentence */
    x->lim.pump_remelt_hc_c = 0;
    static const struct row off[] = {
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 665), P(bath_hc_temp, 760) },
          .expect = { "Start pump: bath at the pump 665 °C < pump freeze limit 690 °C" } },
    };
    check_rows(x, off, NROWS(off));
}

/* ---- pump and fan: freezing ------------------------------------------------ */

static void test_pump_fan(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_PUMP_START },
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 690), P(bath_level, 500) } },
        { .cmd = PERM_PUMP_START, .poke = { P(bath_sc_temp, 680) },
          .expect = { "Start pump: bath at the pump 680 °C < pump freeze limit 690 °C" } },
        { .cmd = PERM_PUMP_START, .poke = { P(bath_level, 400) },
          .expect = { "Start pump: bath level 400 mm < pump minimum level 500 mm" } },
        { .cmd = PERM_PUMP_START, .poke = { BADQ(bath_level) },
          .expect = { "Start pump: bath level BAD (no good value)" } },
        { .cmd = PERM_PUMP_START, .poke = { P(estop_ok, 0) },
          .expect = { "Start pump: E-stop pressed" } },
        { .cmd = PERM_PUMP_STOP, .poke = { P(estop_ok, 0), BADQ(bath_level) } },
        { .cmd = PERM_PUMP_SPEED, .arg = 50 },
        { .cmd = PERM_PUMP_SPEED, .arg = 0 },
        { .cmd = PERM_PUMP_SPEED, .arg = 100 },
        { .cmd = PERM_PUMP_SPEED, .arg = 120,
          .expect = { "Set pump speed: pump speed 120 % > maximum 100 %" } },
        { .cmd = PERM_PUMP_SPEED, .arg = -5,
          .expect = { "Set pump speed: pump speed -5 % < minimum 0 %" } },
        { .cmd = PERM_FAN_START },
        { .cmd = PERM_FAN_START, .poke = { P(sc_door_closed, 0) },
          .expect = { "Start fan: charging door open" } },
        { .cmd = PERM_FAN_START, .poke = { P(estop_ok, 0) },
          .expect = { "Start fan: E-stop pressed" } },
        { .cmd = PERM_FAN_STOP, .poke = { P(sc_door_closed, 0) } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- charge: overfill ------------------------------------------------------ */

#define DOOR_OPEN P(sc_door_closed, 0)

static void test_charge(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3, .poke = { DOOR_OPEN } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 5, .poke = { DOOR_OPEN } },
        { .cmd = PERM_CHARGE, .phase = PH_HOLD, .arg = 3, .poke = { DOOR_OPEN },
          .expect = { "Charge scrap: phase HOLD, not CHARGE" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3,
          .expect = { "Charge scrap: charging door closed" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 6, .poke = { DOOR_OPEN },
          .expect = { "Charge scrap: charge 6.0 t > charge limit 5.0 t" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 0, .poke = { DOOR_OPEN },
          .expect = { "Charge scrap: charge 0.0 t ≤ minimum 0.0 t" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3,
          .poke = { DOOR_OPEN, P(metal_mass, 62000) } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 4,
          .poke = { DOOR_OPEN, P(metal_mass, 60000), P(scrap_on_hearth, 2000) },
          .expect = { "Charge scrap: bath after charge 66.0 t > capacity 65.0 t" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3,
          .poke = { DOOR_OPEN, BADQ(scrap_on_hearth) },
          .expect = { "Charge scrap: bath after charge BAD (no good value)" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3,
          .poke = { DOOR_OPEN, P(bath_level, 999) } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3,
          .poke = { DOOR_OPEN, P(bath_level, 1000) },
          .expect = { "Charge scrap: bath level 1000 mm ≥ overfill level 1000 mm" } },
        { .cmd = PERM_CHARGE, .phase = PH_CHARGE, .arg = 3, .poke = { DOOR_OPEN, P(estop_ok, 0) },
          .expect = { "Charge scrap: E-stop pressed" } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- push: wet scrap into metal -------------------------------------------- */

static void test_push(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20 },
        { .cmd = PERM_PUSH, .phase = PH_PUSH, .dry_min = 15 },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 10,
          .expect = { "Push scrap: drying time 10.0 min < minimum 15.0 min" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .wet = true,
          .expect = { "Push scrap: scrap flagged wet" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { P(scrap_temp, 350) },
          .expect = { "Push scrap: scrap 350 °C < dry-scrap minimum 400 °C" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { BADQ(scrap_temp) },
          .expect = { "Push scrap: scrap BAD (no good value)" } },
        { .cmd = PERM_PUSH, .phase = PH_CHARGE, .dry_min = 20,
          .expect = { "Push scrap: phase CHARGE, not PYROLYSIS or PUSH" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { P(sc_door_closed, 0) },
          .expect = { "Push scrap: charging door open" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { P(pusher_home, 0) },
          .expect = { "Push scrap: pusher not home" } },
        /* overfill: the scrap on the hearth goes into the bath */
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20,
          .poke = { P(metal_mass, 62000), P(scrap_on_hearth, 3000) } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20,
          .poke = { P(metal_mass, 63000), P(scrap_on_hearth, 3000) },
          .expect = { "Push scrap: bath after push 66.0 t > capacity 65.0 t" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { P(bath_level, 1000) },
          .expect = { "Push scrap: bath level 1000 mm ≥ overfill level 1000 mm" } },
        { .cmd = PERM_PUSH, .phase = PH_PYROLYSIS, .dry_min = 20, .poke = { P(estop_ok, 0) },
          .expect = { "Push scrap: E-stop pressed" } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- tap: the heel ----------------------------------------------------------- */

static void test_tap(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { P(metal_mass, 25000) },
          .expect = { "Open tap: metal 25.0 t ≤ heel 25.0 t" } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { P(metal_mass, 25100) } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { BADQ(metal_mass) },
          .expect = { "Open tap: metal BAD (no good value)" } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { P(bath_hc_temp, 700) },
          .expect = { "Open tap: bath 700 °C < tapping window low 720 °C" } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { P(bath_hc_temp, 780) },
          .expect = { "Open tap: bath 780 °C > tapping window high 760 °C" } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_HOLD, .expect = { "Open tap: phase HOLD, not TAP" } },
        { .cmd = PERM_TAP_OPEN, .phase = PH_TAP, .poke = { P(estop_ok, 0) },
          .expect = { "Open tap: E-stop pressed" } },
        { .cmd = PERM_TAP_CLOSE, .phase = PH_HOLD,
          .poke = { BADQ(metal_mass), P(metal_mass, 20000) } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- watchdog, setpoint, mode -------------------------------------------------- */

static void test_watchdog_setpoint_mode(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_WATCHDOG_RESET,
          .expect = { "Reset PLC watchdog: PLC watchdog not tripped" } },
        { .cmd = PERM_WATCHDOG_RESET, .poke = { P(watchdog_tripped, 1) } },
        { .cmd = PERM_WATCHDOG_RESET, .poke = { BADQ(watchdog_tripped) },
          .expect = { "Reset PLC watchdog: PLC watchdog BAD (no good value)" } },
        { .cmd = PERM_SETPOINT, .arg = 750 },
        { .cmd = PERM_MODE, .arg = 1 },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- E-stop reset: tripped, and the button released ----------------------------- */

static void test_estop_reset(void **state)
{
    static const struct row rows[] = {
        { .cmd = PERM_ESTOP_RESET, .poke = { P(estop_ok, 0) } },
        { .cmd = PERM_ESTOP_RESET, .expect = { "Reset E-stop: E-stop not tripped" } },
        { .cmd = PERM_ESTOP_RESET, .poke = { P(estop_ok, 0), P(estop_released, 0) },
          .expect = { "Reset E-stop: E-stop button still pressed" } },
        { .cmd = PERM_ESTOP_RESET, .poke = { P(estop_ok, 0), BADQ(estop_released) },
          .expect = { "Reset E-stop: E-stop button BAD (no good value)" } },
        { .cmd = PERM_ESTOP_RESET, .poke = { BADQ(estop_ok) },
          .expect = { "Reset E-stop: E-stop BAD (no good value)" } },
    };
    check_rows(*state, rows, NROWS(rows));
}

/* ---- phase advance follows the sequencer --------------------------------------- */

static void test_phase_advance(void **state)
{
    struct fx *x = *state;
    seq_init(&x->s, &x->prog, PH_PYROLYSIS);
    G(co_ppm, 900);
    seq_step(&x->s, &x->prog, &x->lim, &x->p, 60);
    assert_false(x->s.ready);
    assert_int_equal(perm_eval(PERM_PHASE_ADVANCE, &x->ctx, 0, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 1);
    assert_string_equal(x->r.fail[0], "Advance phase: PYROLYSIS not ready: CO 900 ppm ≥ "
                                      "end-of-pyrolysis 500 ppm; 1 of minimum 20 min; SC gas "
                                      "400 °C not past its peak 400 °C");
    G(co_ppm, 100);
    for (int i = 0; i < 20; i++)
        seq_step(&x->s, &x->prog, &x->lim, &x->p, 60);
    assert_true(x->s.ready);
    assert_int_equal(perm_eval(PERM_PHASE_ADVANCE, &x->ctx, 0, &x->r), PERM_READY);
    assert_int_equal(x->r.nfail, 0);
}

/* ---- several failures, bad quality everywhere, unknown command ------------------- */

static void test_all_failures_listed(void **state)
{
    struct fx *x = *state;
    char buf[1024];
    seq_init(&x->s, &x->prog, PH_PYROLYSIS);
    G(firing_fb, 78);
    G(co_ppm, 2500);
    G(sc_gas_temp, 520);
    G(hc_door_closed, 0);
    assert_int_equal(perm_eval(PERM_SC_DOOR_OPEN, &x->ctx, 0, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 4);
    assert_string_equal(perm_join(&x->r, buf, sizeof buf),
                        "Open charging door: firing 78 % > low-fire limit 30 %; "
                        "Open charging door: CO 2500 ppm > door CO limit 2000 ppm; "
                        "Open charging door: SC gas 520 °C > door SC gas limit 450 °C; "
                        "Open charging door: HC door open");
    /* a short buffer is cut, never overrun */
    char small[20];
    perm_join(&x->r, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    nominal(x);
    assert_int_equal(perm_eval(PERM_SC_DOOR_OPEN, &x->ctx, 0, &x->r), PERM_READY);
    assert_string_equal(perm_join(&x->r, buf, sizeof buf), "");
}

static void test_bad_quality_blocks_everything(void **state)
{
    struct fx *x = *state;
    seq_init(&x->s, &x->prog, PH_PUSH);
    x->s.t_pyro_s = 3600;
    /* every role STALE (the PLC link froze): each plant condition names it */
    struct tag_value *roles = (struct tag_value *)(void *)&x->p;
    for (size_t i = 0; i < sizeof x->p / sizeof *roles; i++)
        roles[i].q = Q_STALE;
    assert_int_equal(perm_eval(PERM_BURNER_START, &x->ctx, 0, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, perm_ncond(PERM_BURNER_START));
    for (int i = 0; i < x->r.nfail; i++)
        assert_non_null(strstr(x->r.fail[i], " BAD (no good value)"));
    assert_int_equal(perm_eval(PERM_PUSH, &x->ctx, 0, &x->r), PERM_BLOCKED);
    /* scrap, door, pusher, bath after push, level, E-stop; phase/drying/wet are the sequencer's */
    assert_int_equal(x->r.nfail, 6);
    assert_string_equal(x->r.fail[0], "Push scrap: scrap BAD (no good value)");
    /* stops stay READY */
    assert_int_equal(perm_eval(PERM_BURNER_STOP, &x->ctx, 0, &x->r), PERM_READY);
    assert_int_equal(perm_eval(PERM_TAP_CLOSE, &x->ctx, 0, &x->r), PERM_READY);
}

/* The semi-continuous cycle: CHARGE entered from MELT while the last charge still melts.
 * The charge rules are the same; the unmelted scrap is in metal_mass (from the level), so the
 * capacity check counts it, and the door may open once the firing is down. */
static void test_charge_while_melting(void **state)
{
    struct fx *x = *state;
    char why[SEQ_TEXT_MAX];
    seq_init(&x->s, &x->prog, PH_MELT);
    G(bath_hc_temp, 715); /* the pushed scrap melting */
    G(firing_fb, 100);
    G(metal_mass, 61000); /* 58 t liquid + 3 t not yet melted */
    seq_step(&x->s, &x->prog, &x->lim, &x->p, 1);
    assert_int_equal(seq_request(&x->s, PH_CHARGE, false, why, sizeof why), 0);
    seq_step(&x->s, &x->prog, &x->lim, &x->p, 1);
    assert_int_equal(perm_eval(PERM_SC_DOOR_OPEN, &x->ctx, 0, &x->r), PERM_BLOCKED);
    assert_string_equal(x->r.fail[0], "Open charging door: firing 100 % > low-fire limit 30 %");
    G(firing_fb, 30); /* capped by the sequencer in CHARGE */
    assert_int_equal(perm_eval(PERM_SC_DOOR_OPEN, &x->ctx, 0, &x->r), PERM_READY);
    G(sc_door_closed, 0);
    assert_int_equal(perm_eval(PERM_CHARGE, &x->ctx, 3, &x->r), PERM_READY);
    assert_int_equal(perm_eval(PERM_CHARGE, &x->ctx, 4.5, &x->r), PERM_BLOCKED);
    assert_string_equal(x->r.fail[0],
                        "Charge scrap: bath after charge 65.5 t > capacity 65.0 t");
    /* no push of the new charge from MELT or CHARGE */
    assert_int_equal(perm_eval(PERM_PUSH, &x->ctx, 0, &x->r), PERM_BLOCKED);
}

static void test_bad_argument(void **state)
{
    struct fx *x = *state;
    seq_init(&x->s, &x->prog, PH_CHARGE);
    G(sc_door_closed, 0);
    assert_int_equal(perm_eval(PERM_CHARGE, &x->ctx, NAN, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 3);
    assert_string_equal(x->r.fail[0], "Charge scrap: charge BAD (no good value)");
    assert_string_equal(x->r.fail[2], "Charge scrap: bath after charge BAD (no good value)");
    assert_int_equal(perm_eval(PERM_PUMP_SPEED, &x->ctx, INFINITY, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 2);
}

/* ---- the charge recipe: organics by scrap class ------------------------------------- */

static const struct cfg_scrap cls_clean = { .name = "clean", .organics_pct = 0 },
                              cls_mixed = { .name = "mixed", .organics_pct = 3 },
                              cls_lacq = { .name = "lacquered", .organics_pct = 7 },
                              cls_oily = { .name = "oily", .organics_pct = 10 };

static void test_charge_organics(void **state)
{
    struct fx *x = *state;
    static const struct {
        const struct cfg_scrap *scrap, *def; /* the request's class, the default */
        double limit_kg, t;
        const char *expect; /* NULL: READY */
    } rows[] = {
        /* exactly at the limit is allowed, 0.01 t above it is not */
        { &cls_oily, &cls_mixed, 200, 2.00, NULL },
        { &cls_oily, &cls_mixed, 200, 2.01,
          "Charge scrap: 2.01 t of oily scrap (10 % organics) carries 201 kg of organics, more "
          "than the 200 kg a charge may; charge at most 2.00 t" },
        { &cls_oily, &cls_mixed, 200, 3.00,
          "Charge scrap: 3.00 t of oily scrap (10 % organics) carries 300 kg of organics, more "
          "than the 200 kg a charge may; charge at most 2.00 t" },
        /* 200 / 70 = 2.857 t: offered rounded down to the PLC's 0.01 t */
        { &cls_lacq, &cls_mixed, 200, 2.85, NULL },
        { &cls_lacq, &cls_mixed, 200, 2.86,
          "Charge scrap: 2.86 t of lacquered scrap (7 % organics) carries 200.2 kg of organics, "
          "more than the 200 kg a charge may; charge at most 2.85 t" },
        /* no class named: the default's organics */
        { NULL, &cls_mixed, 200, 5.00, NULL },
        { NULL, &cls_oily, 200, 2.50,
          "Charge scrap: 2.50 t of oily scrap (10 % organics) carries 250 kg of organics, more "
          "than the 200 kg a charge may; charge at most 2.00 t" },
        /* the request's class wins over the default */
        { &cls_clean, &cls_oily, 200, 5.00, NULL },
        /* no limit (0): any class, any mass the other rows allow */
        { &cls_oily, &cls_mixed, 0, 5.00, NULL },
        /* no class known at all while there is a limit: blocks, says why */
        { NULL, NULL, 200, 1.00,
          "Charge scrap: the scrap's class is not known (no [scrap.NAME] classes, or no "
          "[limits] default_scrap), so its organics are not" },
        { NULL, NULL, 0, 1.00, NULL },
    };
    for (size_t i = 0; i < NROWS(rows); i++) {
        nominal(x);
        seq_init(&x->s, &x->prog, PH_CHARGE);
        G(sc_door_closed, 0);
        x->lim.max_organics_kg = rows[i].limit_kg;
        x->ctx.scrap = rows[i].scrap;
        x->ctx.scrap_default = rows[i].def;
        enum perm_status st = perm_eval(PERM_CHARGE, &x->ctx, rows[i].t, &x->r);
        if (x->r.nfail != (rows[i].expect != NULL))
            print_message("row %zu: %d failures, first \"%s\"\n", i, x->r.nfail, x->r.fail[0]);
        assert_int_equal(st, rows[i].expect ? PERM_BLOCKED : PERM_READY);
        assert_int_equal(x->r.nfail, rows[i].expect ? 1 : 0);
        if (rows[i].expect)
            assert_string_equal(x->r.fail[0], rows[i].expect);
    }
    /* a bad mass is said once per condition that reads it, this one too */
    x->ctx.scrap = &cls_oily;
    x->lim.max_organics_kg = 200;
    assert_int_equal(perm_eval(PERM_CHARGE, &x->ctx, NAN, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 4);
    assert_string_equal(x->r.fail[2], "Charge scrap: organics of the charge BAD (no good value)");
    x->ctx.scrap = x->ctx.scrap_default = NULL;
    x->lim.max_organics_kg = 0;
}

/* The largest charge a class allows: the charge limit, or the organics limit over the
 * class's share, rounded down to 0.01 t. */
static void test_charge_max(void **state)
{
    struct fx *x = *state;
    static const struct {
        const struct cfg_scrap *s;
        double limit_kg, max_t, expect;
    } rows[] = {
        { &cls_oily, 200, 5, 2.00 },   { &cls_lacq, 200, 5, 2.85 },
        { &cls_mixed, 200, 5, 5.00 },  { &cls_mixed, 200, 3, 3.00 },
        { &cls_clean, 200, 5, 5.00 },  { &cls_oily, 0, 5, 5.00 },
        { NULL, 200, 4, 4.00 },        { &cls_oily, 150, 5, 1.50 },
    };
    for (size_t i = 0; i < NROWS(rows); i++) {
        x->lim.max_organics_kg = rows[i].limit_kg;
        x->lim.max_charge_t = rows[i].max_t;
        assert_float_equal(perm_charge_max_t(&x->lim, rows[i].s), rows[i].expect, 1e-9);
    }
    x->lim.max_organics_kg = 0;
    x->lim.max_charge_t = 5;
}

static void test_unknown_command(void **state)
{
    struct fx *x = *state;
    assert_int_equal(perm_eval((enum perm_cmd)PERM_COUNT, &x->ctx, 0, &x->r), PERM_BLOCKED);
    assert_int_equal(x->r.nfail, 1);
    assert_string_equal(x->r.fail[0], "Unknown command 21");
    assert_null(perm_cmd_name((enum perm_cmd)PERM_COUNT));
    assert_null(perm_cmd_label((enum perm_cmd)-1));
    assert_int_equal(perm_cmd_plc((enum perm_cmd)PERM_COUNT), PLC_CMD_NONE);
    assert_int_equal(perm_ncond((enum perm_cmd)PERM_COUNT), 0);
}

/* ---- names, labels and the PLC mapping ------------------------------------------ */

static void test_names_and_plc(void **state)
{
    (void)state;
    static const struct {
        enum perm_cmd cmd;
        const char *name, *label;
        enum plc_cmd plc;
    } rows[] = {
        { PERM_BURNER_START, "burner_start", "Start burner", PLC_CMD_BURNER_START },
        { PERM_BURNER_STOP, "burner_stop", "Stop burner", PLC_CMD_BURNER_STOP },
        { PERM_LOCKOUT_RESET, "lockout_reset", "Reset burner lockout", PLC_CMD_LOCKOUT_RESET },
        { PERM_SC_DOOR_OPEN, "sc_door_open", "Open charging door", PLC_CMD_SC_DOOR_OPEN },
        { PERM_SC_DOOR_CLOSE, "sc_door_close", "Close charging door", PLC_CMD_SC_DOOR_CLOSE },
        { PERM_HC_DOOR_OPEN, "hc_door_open", "Open HC door", PLC_CMD_HC_DOOR_OPEN },
        { PERM_HC_DOOR_CLOSE, "hc_door_close", "Close HC door", PLC_CMD_HC_DOOR_CLOSE },
        { PERM_PUMP_START, "pump_start", "Start pump", PLC_CMD_PUMP_START },
        { PERM_PUMP_STOP, "pump_stop", "Stop pump", PLC_CMD_PUMP_STOP },
        { PERM_PUMP_SPEED, "pump_speed", "Set pump speed", PLC_CMD_NONE },
        { PERM_FAN_START, "fan_start", "Start fan", PLC_CMD_FAN_START },
        { PERM_FAN_STOP, "fan_stop", "Stop fan", PLC_CMD_FAN_STOP },
        { PERM_CHARGE, "charge", "Charge scrap", PLC_CMD_CHARGE },
        { PERM_PUSH, "push", "Push scrap", PLC_CMD_PUSH },
        { PERM_TAP_OPEN, "tap_open", "Open tap", PLC_CMD_TAP_OPEN },
        { PERM_TAP_CLOSE, "tap_close", "Close tap", PLC_CMD_TAP_CLOSE },
        { PERM_PHASE_ADVANCE, "phase_advance", "Advance phase", PLC_CMD_NONE },
        { PERM_WATCHDOG_RESET, "watchdog_reset", "Reset PLC watchdog", PLC_CMD_WATCHDOG_RESET },
        { PERM_ESTOP_RESET, "estop_reset", "Reset E-stop", PLC_CMD_ESTOP_RESET },
        { PERM_SETPOINT, "setpoint", "Change setpoint", PLC_CMD_NONE },
        { PERM_MODE, "mode", "Change loop mode", PLC_CMD_NONE },
    };
    assert_int_equal(NROWS(rows), PERM_COUNT);
    for (size_t i = 0; i < NROWS(rows); i++) {
        assert_int_equal(rows[i].cmd, (enum perm_cmd)i);
        assert_string_equal(perm_cmd_name(rows[i].cmd), rows[i].name);
        assert_string_equal(perm_cmd_label(rows[i].cmd), rows[i].label);
        assert_int_equal(perm_cmd_from_name(rows[i].name), rows[i].cmd);
        assert_int_equal(perm_cmd_plc(rows[i].cmd), rows[i].plc);
    }
    assert_int_equal(perm_cmd_from_name("sc_door"), -1);
    assert_int_equal(perm_cmd_from_name(""), -1);
    assert_int_equal(perm_cmd_from_name(NULL), -1);
    /* the hazard-carrying commands have conditions; making-safe ones have none */
    assert_true(perm_ncond(PERM_BURNER_START) >= 6);
    assert_true(perm_ncond(PERM_CHARGE) >= 5);
    assert_true(perm_ncond(PERM_PUSH) >= 5);
    assert_int_equal(perm_ncond(PERM_BURNER_STOP), 0);
    assert_int_equal(perm_ncond(PERM_TAP_CLOSE), 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_burner),
        T(test_doors),
        T(test_pump_fan),
        T(test_pump_remelt),
        T(test_charge),
        T(test_push),
        T(test_tap),
        T(test_watchdog_setpoint_mode),
        T(test_estop_reset),
        T(test_phase_advance),
        T(test_all_failures_listed),
        T(test_bad_quality_blocks_everything),
        T(test_charge_while_melting),
        T(test_bad_argument),
        T(test_charge_organics),
        T(test_charge_max),
        T(test_unknown_command),
        T(test_names_and_plc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
