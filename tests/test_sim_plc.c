/* test_sim_plc — the simulated PLC: burner management, hard interlocks, the handshake, the
 * watchdog, E-stop, every fault, tag access by name and reproducibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc_contract.h"
#include "sim_plc.h"

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            print_error("%s = %g, expected %g +- %g\n", #a, a_, b_, (double)(tol));                \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define DT 0.25

/* A PLC with a console that beats its heartbeat (unless told not to) every scan. */
struct rig {
    struct splc plc;
    struct splc_in in;
    struct splc_out out;
    bool beat;
};

static struct rig *rig_new(bool cold)
{
    struct rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    struct splc_params p;
    struct phys_params pp;
    splc_params_default(&p);
    phys_params_default(&pp);
    splc_init(&r->plc, &p, &pp, cold);
    splc_in_initial(&r->plc, &r->in);
    r->beat = true;
    return r;
}

static void scan(struct rig *r)
{
    if (r->beat)
        r->in.console_heartbeat++;
    splc_step(&r->plc, &r->in, &r->out, DT);
}

static void run(struct rig *r, double secs)
{
    for (double t = 0; t < secs - 1e-9; t += DT)
        scan(r);
}

/* Issue a command through the handshake and return the PLC's answer. */
static uint16_t cmd(struct rig *r, uint16_t code, uint16_t arg)
{
    r->in.cmd_code = code;
    r->in.cmd_arg = arg;
    r->in.cmd_seq++;
    scan(r);
    assert_int_equal(r->out.cmd_ack_seq, r->in.cmd_seq);
    return r->out.cmd_result;
}

static void inject(struct rig *r, const char *name, const char *target, double value)
{
    char err[256] = "";
    int rc = splc_fault(&r->plc, name, target, value, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
}

static bool il(const struct rig *r, unsigned bit)
{
    return (r->out.plc_interlocks & bit) != 0;
}

/* The PLC refuses `code` by a hard interlock and names `bit` among those that refused it. */
static void refused(struct rig *r, uint16_t code, uint16_t arg, unsigned bit)
{
    uint16_t res = cmd(r, code, arg);
    if (res != PLC_RES_INTERLOCK || !(r->plc.refused & bit) || !il(r, bit))
        print_error("command %u: result %u, refused by 0x%x, interlocks 0x%x; want bit 0x%x\n",
                    code, res, r->plc.refused, r->out.plc_interlocks, bit);
    assert_int_equal(res, PLC_RES_INTERLOCK);
    assert_true(r->plc.refused & bit);
    assert_true(il(r, bit));
}

/* Open the charging door and wait until it is fully open. */
static void open_sc_door(struct rig *r)
{
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
    run(r, 10);
}

static void close_sc_door(struct rig *r)
{
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_CLOSE, 0), PLC_RES_OK);
    run(r, 10);
    assert_true(r->out.sc_door_closed);
}

/* ---- standby (high-low-off) ------------------------------------------------------- */

/* A hot PLC with standby as shipped (below 5 %, 120 s, on 600 s, off 120 s), fired at 50 %
 * for 600 s so the minimum on time is behind it. */
static struct rig *rig_standby(void)
{
    struct rig *r = rig_new(false);
    r->plc.prm.standby_below_pct = 5;
    r->plc.prm.standby_delay_s = 120;
    r->plc.prm.standby_min_on_s = 600;
    r->plc.prm.standby_min_off_s = 120;
    r->in.firing_demand = 50;
    run(r, 600);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    return r;
}

/* Scan until bms_state is `want`, at most max_s; the seconds it took. */
static double run_until(struct rig *r, uint16_t want, double max_s)
{
    double t = 0;
    while (r->out.bms_state != want && t < max_s) {
        scan(r);
        t += DT;
    }
    assert_int_equal(r->out.bms_state, want);
    return t;
}

/* Low demand for standby_delay_s takes the main flame off: no lockout, no flame failure. */
static void to_standby(struct rig *r)
{
    r->in.firing_demand = 0;
    run(r, 121);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
}

static void test_standby_after_delay_not_before(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    r->in.firing_demand = 2;
    run(r, 100);
    r->in.firing_demand = 8; /* between standby_below_pct and low fire: the delay restarts */
    scan(r);
    r->in.firing_demand = 2;
    run(r, 119);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_near(r->out.firing_fb, 10, 1e-9);
    run(r, 1.25);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
    assert_false(r->out.flame_on);
    assert_near(r->out.firing_fb, 0, 0);
    assert_false(r->out.bms_lockout);
    assert_false(r->out.flame_failure);
    assert_false(il(r, PLC_IL_LOCKOUT));
    run(r, 60);
    assert_true(r->out.gas_flow < 1); /* the fuel is off */
    /* a demand between the two never relights it */
    r->in.firing_demand = 8;
    run(r, 600);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
    free(r);
}

static void test_standby_off_by_default(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->in.firing_demand = 0;
    run(r, 1800);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_near(r->out.firing_fb, 10, 1e-9);
    free(r);
}

/* standby_min_on_s counts from the flame proven: a burner just lit stays lit that long. */
static void test_standby_min_on(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    r->plc.prm.standby_below_pct = 5;
    r->plc.prm.standby_delay_s = 120;
    r->plc.prm.standby_min_on_s = 600;
    r->in.firing_demand = 0;
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 63.5);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    run(r, 598);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    run(r, 3);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
    free(r);
}

/* A demand at low fire relights, after standby_min_off_s, through pre-purge and ignition. */
static void test_standby_relight_through_purge(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    to_standby(r);
    r->in.firing_demand = 40;
    run(r, 115);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY); /* the minimum off time */
    run(r, 5.5);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    assert_near(r->out.purge_remaining, 60, 1);
    assert_false(r->out.flame_on);
    run(r, 60);
    assert_int_equal(r->out.bms_state, SPLC_BMS_IGNITION);
    run(r, 3);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_true(r->out.firing_fb >= 10 && r->out.firing_fb < 40); /* lit at low fire, ramps */
    run(r, 10);
    assert_near(r->out.firing_fb, 40, 1e-9);
    /* relit: the minimum on time again before the next standby */
    r->in.firing_demand = 0;
    run(r, 500);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    run(r, 120);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
    free(r);
}

/* A relight that does not prove its flame locks out, as a start does. */
static void test_standby_relight_failure_locks_out(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    to_standby(r);
    inject(r, "flame_failure", NULL, NAN);
    run(r, 30);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY); /* no flame to fail while off */
    assert_false(r->out.flame_failure);
    r->in.firing_demand = 40;
    run_until(r, SPLC_BMS_PREPURGE, 120);
    assert_near(run_until(r, SPLC_BMS_IGNITION, 70), 60, 0.5);
    assert_near(run_until(r, SPLC_BMS_LOCKOUT, 20), 10, 0.5);
    assert_true(r->out.flame_failure);
    assert_true(il(r, PLC_IL_LOCKOUT));
    free(r);
}

/* A standby burner does not relight with a door open or the gas pressure low; it waits. */
static void test_standby_no_relight_door_or_gas(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    to_standby(r);
    open_sc_door(r);
    r->in.firing_demand = 60;
    run(r, 300);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY);
    assert_near(r->out.firing_fb, 0, 0);
    inject(r, "gas_low", NULL, NAN);
    close_sc_door(r);
    run(r, 60);
    assert_int_equal(r->out.bms_state, SPLC_BMS_STANDBY); /* not a lockout either */
    inject(r, "clear", "gas_low", NAN);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    free(r);
}

/* E-stop from standby: OFF; the reset does not relight it, a burner start does. */
static void test_standby_estop(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    to_standby(r);
    inject(r, "estop", NULL, NAN);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    inject(r, "clear", "estop", NAN);
    assert_int_equal(cmd(r, PLC_CMD_ESTOP_RESET, 0), PLC_RES_OK);
    r->in.firing_demand = 60;
    run(r, 300);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    free(r);
}

/* A tripped watchdog holds low fire: no standby while it is tripped, and a standby burner
 * relights to low fire (the console's demand is not heard). */
static void test_standby_watchdog(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    r->in.firing_demand = 0;
    r->beat = false;
    run(r, 300);
    assert_true(r->out.watchdog_tripped);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_near(r->out.firing_fb, 10, 1e-9);
    r->beat = true;
    scan(r);
    assert_int_equal(cmd(r, PLC_CMD_WATCHDOG_RESET, 0), PLC_RES_OK);
    to_standby(r);
    r->beat = false;
    run_until(r, SPLC_BMS_PREPURGE, 125);
    assert_true(r->out.watchdog_tripped);
    run_until(r, SPLC_BMS_FIRING, 70);
    assert_near(r->out.firing_fb, 10, 1e-9);
    free(r);
}

static void test_standby_burner_start_stop(void **state)
{
    (void)state;
    struct rig *r = rig_standby();
    to_standby(r);
    /* a burner start relights a standby burner at once (no minimum off time) */
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    run_until(r, SPLC_BMS_FIRING, 70);
    r->plc.prm.standby_min_on_s = 0;
    to_standby(r);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_STOP, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    r->in.firing_demand = 60;
    run(r, 300);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    free(r);
}

/* ---- start-up -------------------------------------------------------------------- */

static void test_init_hot(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    splc_output(&r->plc, &r->out);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_true(r->out.flame_on && r->out.pump_running && r->out.fan_running);
    assert_true(r->out.estop_ok && r->out.gas_ok && r->out.air_ok && r->out.pusher_home);
    assert_true(r->out.sc_door_closed && r->out.hc_door_closed && !r->out.tap_open);
    assert_false(r->out.bms_lockout || r->out.watchdog_tripped);
    assert_int_equal(r->out.plc_mode, 1);
    assert_int_equal(r->out.plc_interlocks, 0);
    assert_near(r->out.metal_mass, 45000, 100);
    assert_near(r->out.bath_hc_temp, 740, 1);
    assert_true(r->out.firing_fb > 10 && r->out.firing_fb < 50);
    assert_near(r->in.firing_demand, r->out.firing_fb, 1e-9);
    /* the first scans with the initial demands do not bump the furnace */
    run(r, 60);
    assert_near(r->out.bath_hc_temp, 740, 3);
    assert_near(r->out.firing_fb, r->in.firing_demand, 1e-9);
    assert_true(r->out.gas_flow > 100 && r->out.gas_flow < 800);
    free(r);
}

static void test_init_cold(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_false(r->out.flame_on || r->out.pump_running || r->out.fan_running);
    assert_near(r->out.bath_sc_temp, 700, 3);
    assert_near(r->out.metal_mass, 30000, 100);
    assert_near(r->out.firing_fb, 0, 0);
    assert_near(r->out.gas_flow, 0, 0);
    free(r);
}

static void test_heartbeat_and_clock(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    scan(r);
    uint16_t hb = r->out.plc_heartbeat;
    scan(r);
    assert_int_equal(r->out.plc_heartbeat, (uint16_t)(hb + 1));
    r->plc.heartbeat = 65535;
    scan(r);
    assert_int_equal(r->out.plc_heartbeat, 0);
    assert_near(r->out.plc_clock, 3 * DT, 1e-9);
    splc_step(&r->plc, &r->in, &r->out, 10.0);
    assert_near(r->out.plc_clock, 3 * DT + 10, 1e-9);
    free(r);
}

/* ---- burner management ------------------------------------------------------------ */

static void test_burner_normal_start(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    assert_near(r->out.purge_remaining, 60, 1);
    run(r, 30);
    assert_near(r->out.purge_remaining, 30, 1);
    assert_false(r->out.flame_on);
    run(r, 30);
    assert_int_equal(r->out.bms_state, SPLC_BMS_IGNITION);
    assert_near(r->out.purge_remaining, 0, 0);
    run(r, 3);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    assert_true(r->out.flame_on);
    assert_near(r->out.firing_fb, 10, 1e-9); /* lit at low fire */
    r->in.firing_demand = 60;
    run(r, 20);
    assert_near(r->out.firing_fb, 60, 1e-9);
    run(r, 30);
    assert_near(r->out.gas_flow, 0.6 * 8e6 / 36e6 * 3600, 10);
    r->in.firing_demand = 3;
    run(r, 20);
    assert_near(r->out.firing_fb, 10, 1e-9); /* never below low fire while lit */
    r->in.firing_demand = 250;
    run(r, 30);
    assert_near(r->out.firing_fb, 100, 1e-9);
    /* start again while firing is harmless */
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    free(r);
}

static void test_purge_paused_without_air(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    inject(r, "air_low", NULL, NAN);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 120);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    assert_near(r->out.purge_remaining, 60, 0);
    assert_false(r->out.air_ok);
    assert_true(il(r, PLC_IL_AIR_PRESSURE));
    inject(r, "clear", "air_low", NAN);
    run(r, 40);
    assert_near(r->out.purge_remaining, 20, 1);
    run(r, 25);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    free(r);
}

static void test_ignition_failure_lockout(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    inject(r, "flame_failure", "", NAN);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 61);
    assert_int_equal(r->out.bms_state, SPLC_BMS_IGNITION);
    run(r, 8.5);
    assert_int_equal(r->out.bms_state, SPLC_BMS_IGNITION);
    run(r, 1);
    assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
    assert_true(r->out.bms_lockout);
    assert_true(il(r, PLC_IL_LOCKOUT));
    assert_false(r->out.flame_on);
    assert_near(r->out.gas_flow, 0, 0);
    assert_true(r->out.flame_failure); /* no flame proven in the trial */
    free(r);
}

static void test_flame_failure_lockout(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    run(r, 5);
    inject(r, "flame_failure", NULL, NAN);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
    assert_false(r->out.flame_on);
    assert_near(r->out.firing_fb, 0, 0);
    assert_true(r->out.flame_failure);
    run(r, 60);
    assert_true(r->out.gas_flow < 1);
    /* the latch outlives the cause; the lockout reset clears it */
    inject(r, "clear", "flame_failure", NAN);
    run(r, 60);
    assert_true(r->out.flame_failure);
    assert_int_equal(cmd(r, PLC_CMD_LOCKOUT_RESET, 0), PLC_RES_OK);
    assert_false(r->out.flame_failure);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    free(r);
}

/* Only a lost flame sets it: a lockout for gas pressure does not, and a reset refused
 * under E-stop keeps it. */
static void test_flame_failure_latch_only_for_flame(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    inject(r, "gas_low", NULL, NAN);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
    assert_false(r->out.flame_failure);
    inject(r, "clear", NULL, NAN);
    assert_int_equal(cmd(r, PLC_CMD_LOCKOUT_RESET, 0), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 64);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    inject(r, "flame_failure", NULL, NAN);
    scan(r);
    assert_true(r->out.flame_failure);
    inject(r, "estop", NULL, NAN);
    scan(r);
    assert_int_equal(cmd(r, PLC_CMD_LOCKOUT_RESET, 0), PLC_RES_INTERLOCK);
    assert_true(r->out.flame_failure);
    free(r);
}

static void test_gas_and_air_loss_lockout(void **state)
{
    (void)state;
    const char *const faults[] = {"gas_low", "air_low"};
    for (int i = 0; i < 2; i++) {
        struct rig *r = rig_new(false);
        inject(r, faults[i], NULL, NAN);
        scan(r);
        assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
        assert_true(il(r, i == 0 ? PLC_IL_GAS_PRESSURE : PLC_IL_AIR_PRESSURE));
        if (i == 0) {
            assert_false(r->out.gas_ok);
            assert_near(r->out.gas_pressure, 60, 1e-9);
        }
        free(r);
    }
}

/* Lockout survives stop, start, time and the cause going away; only the reset clears it. */
static void test_lockout_needs_reset(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    inject(r, "gas_low", NULL, NAN);
    scan(r);
    assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_INTERLOCK);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_STOP, 0), PLC_RES_OK);
    inject(r, "clear", NULL, NAN);
    run(r, 600);
    assert_int_equal(r->out.bms_state, SPLC_BMS_LOCKOUT);
    assert_int_equal(cmd(r, PLC_CMD_LOCKOUT_RESET, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_false(r->out.bms_lockout);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 64);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    /* a reset with nothing locked out is harmless */
    assert_int_equal(cmd(r, PLC_CMD_LOCKOUT_RESET, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING);
    free(r);
}

static void test_burner_stop(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_STOP, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_false(r->out.flame_on);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    run(r, 10);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_STOP, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_near(r->out.purge_remaining, 0, 0);
    free(r);
}

/* ---- hard interlocks ---------------------------------------------------------------- */

static void test_door_holds_low_fire(void **state)
{
    (void)state;
    for (int door = 0; door < 2; door++) {
        struct rig *r = rig_new(false);
        r->in.firing_demand = 80;
        run(r, 30);
        assert_near(r->out.firing_fb, 80, 1e-9);
        uint16_t open = door ? PLC_CMD_HC_DOOR_OPEN : PLC_CMD_SC_DOOR_OPEN;
        uint16_t close = door ? PLC_CMD_HC_DOOR_CLOSE : PLC_CMD_SC_DOOR_CLOSE;
        assert_int_equal(cmd(r, open, 0), PLC_RES_OK);
        assert_near(r->out.firing_fb, 10, 1e-9);
        assert_true(il(r, PLC_IL_DOOR_OPEN_FIRING));
        run(r, 2);
        assert_false(door ? r->out.hc_door_closed : r->out.sc_door_closed);
        run(r, 20);
        assert_near(r->out.firing_fb, 10, 1e-9);
        assert_int_equal(cmd(r, close, 0), PLC_RES_OK);
        run(r, 4);
        assert_near(r->out.firing_fb, 10, 1e-9); /* still moving */
        run(r, 20);
        assert_false(il(r, PLC_IL_DOOR_OPEN_FIRING));
        assert_near(r->out.firing_fb, 80, 1e-9);
        free(r);
    }
}

static void test_no_start_with_door_open(void **state)
{
    (void)state;
    struct rig *r = rig_new(true);
    assert_int_equal(cmd(r, PLC_CMD_HC_DOOR_OPEN, 0), PLC_RES_OK);
    run(r, 1);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_INTERLOCK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_int_equal(cmd(r, PLC_CMD_HC_DOOR_CLOSE, 0), PLC_RES_OK);
    run(r, 10);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    free(r);
}

static void test_pump_refused_low_level(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    struct phys_state *s = &r->plc.phys;
    s->bath_hc_kg = 0.65 * 20000; /* 20 t: ~308 mm, below the pump's 350 mm */
    s->bath_sc_kg = 0.35 * 20000;
    scan(r);
    assert_true(r->out.bath_level < 350);
    assert_true(il(r, PLC_IL_LEVEL_LOW));
    run(r, 5);
    assert_false(r->out.pump_running);
    assert_near(r->out.pump_speed_fb, 0, 0);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_START, 0), PLC_RES_INTERLOCK);
    assert_false(r->out.pump_running);
    free(r);
}

static void test_pump_refused_frozen(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_STOP, 0), PLC_RES_OK);
    r->plc.phys.bath_sc_c = 665;
    r->plc.phys.bath_hc_c = 670;
    run(r, 60); /* the thermocouple follows */
    assert_true(r->out.bath_sc_temp < 680);
    assert_true(il(r, PLC_IL_METAL_FROZEN));
    assert_int_equal(cmd(r, PLC_CMD_PUMP_START, 0), PLC_RES_INTERLOCK);
    assert_false(r->out.pump_running);
    /* and a running pump is stopped when the metal gets that cold */
    struct rig *h = rig_new(false);
    scan(h);
    assert_true(h->out.pump_running);
    h->plc.phys.bath_sc_c = h->plc.phys.bath_hc_c = 665;
    run(h, 60);
    assert_false(h->out.pump_running);
    free(h);
    free(r);
}

/* Remelt circulation: with the HC side (which the pump draws from) hot and the SC side not
 * frozen solid, the pump runs and starts below pump_freeze_c; a broken HC thermocouple, a
 * cool HC side or a frozen SC side is no remelt.  Table: true HC, SC (the thermocouples
 * follow in 60 s), HC TC broken -> frozen (interlock bit, pump stopped and refused)?  PLC
 * limits: freeze 680, remelt HC 715, SC 640. */
static void test_pump_remelt(void **state)
{
    (void)state;
    static const struct {
        double hc, sc;
        bool hc_broken, frozen;
    } cases[] = {
        {741, 700, false, false}, /* warm: no question */
        {741, 665, false, false}, /* cold SC, hot HC: remelt circulation */
        {720, 645, false, false}, /* near both limits */
        {710, 665, false, true},  /* HC not hot enough */
        {741, 630, false, true},  /* SC reading frozen solid (the liquid stays at 660: a
                                   * thermocouple offset of -30 K makes the reading) */
        {741, 665, true, true},   /* HC thermocouple broken: no remelt on a guess */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct rig *r = rig_new(false);
        r->plc.prm.pump_remelt_hc_c = 715;
        r->plc.prm.pump_remelt_sc_c = 640;
        if (cases[k].hc_broken)
            inject(r, "tc_broken", "bath_hc_temp", NAN);
        r->plc.phys.bath_hc_c = cases[k].hc;
        r->plc.phys.bath_sc_c = cases[k].sc < 661 ? 661 : cases[k].sc;
        r->plc.tc_offset[SPLC_TC_BATH_SC] = cases[k].sc < 661 ? cases[k].sc - 661 : 0;
        r->plc.phys_prm.pump_max_kg_s = 0; /* the two sides stay apart for the test */
        r->plc.phys_prm.bath_mix_kg_s = 0;
        run(r, 60);
        bool frozen = il(r, PLC_IL_METAL_FROZEN);
        if (frozen != cases[k].frozen || r->out.pump_running == cases[k].frozen)
            fail_msg("case %zu: HC %.0f SC %.0f broken %d: frozen %d pump %d, expected frozen %d",
                     k, cases[k].hc, cases[k].sc, cases[k].hc_broken, frozen,
                     r->out.pump_running, cases[k].frozen);
        if (cases[k].frozen)
            refused(r, PLC_CMD_PUMP_START, 0, PLC_IL_METAL_FROZEN);
        free(r);
    }
    /* remelt off (the default): the SC side alone, as before */
    struct rig *r = rig_new(false);
    r->plc.phys.bath_hc_c = 760;
    r->plc.phys.bath_sc_c = 665;
    r->plc.phys_prm.pump_max_kg_s = 0;
    r->plc.phys_prm.bath_mix_kg_s = 0;
    run(r, 60);
    assert_true(il(r, PLC_IL_METAL_FROZEN));
    free(r);
}

static void test_charge_and_push(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_INTERLOCK); /* door closed */
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
    run(r, 4);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_INTERLOCK); /* not fully open */
    run(r, 6);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    assert_near(r->out.scrap_on_hearth, 3000, 1e-6);
    assert_near(r->plc.phys.hearth[0].organics_kg, 90, 1e-6); /* default 3 % */
    assert_near(r->plc.phys.hearth[0].moisture_kg, 0, 0);
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_DOOR_OPEN_FIRING); /* SC door open */
    assert_true(r->out.pusher_home);
    close_sc_door(r);
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_WET_PUSH); /* charged 10 s ago: not dry */
    r->plc.since_charge_s = r->plc.prm.push_min_dry_s;
    r->plc.tc_meas[SPLC_TC_SCRAP] = r->plc.prm.push_min_scrap_c;
    double m0 = r->plc.phys.bath_hc_kg + r->plc.phys.bath_sc_kg + r->plc.phys.solid_kg;
    assert_int_equal(cmd(r, PLC_CMD_PUSH, 0), PLC_RES_OK);
    assert_false(r->out.pusher_home);
    r->plc.tc_meas[SPLC_TC_SCRAP] = r->plc.prm.push_min_scrap_c; /* dry: busy, not wet */
    assert_int_equal(cmd(r, PLC_CMD_PUSH, 0), PLC_RES_BUSY);
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_BUSY); /* pusher out */
    run(r, 21);
    assert_near(r->out.scrap_on_hearth, 0, 0);
    assert_near(r->plc.phys.solid_kg, 2910, 1);
    assert_near(r->plc.phys.bath_hc_kg + r->plc.phys.bath_sc_kg + r->plc.phys.solid_kg, m0 + 2910,
                1);
    assert_false(r->out.pusher_home);
    run(r, 20);
    assert_true(r->out.pusher_home);
    free(r);
}

static void test_charge_hearth_full(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    open_sc_door(r);
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        assert_int_equal(cmd(r, PLC_CMD_CHARGE, 100), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 100), PLC_RES_BUSY);
    assert_near(r->out.scrap_on_hearth, 4000, 1e-6);
    free(r);
}

/* ---- the hazards the PLC owns: each refused with its bit, accepted once it is gone ---- */

/* Metal in the bath for a measured level (the PLC's own conversion). */
static double level_for_kg(const struct rig *r, double kg)
{
    return kg / (r->plc.phys_prm.rho_liquid * r->plc.phys_prm.hearth_area_m2) * 1000.0;
}

/* Air into a fuel-rich chamber: no door opens with flue CO above door_co_max_ppm or O2
 * below door_o2_min_pct (the case: O2 0.06 %, CO 5040 ppm).  The command is acted
 * on before this scan's sensors, so the PLC's measurement is set just before it. */
static void test_hazard_fuel_rich_doors(void **state)
{
    (void)state;
    const uint16_t doors[] = {PLC_CMD_SC_DOOR_OPEN, PLC_CMD_HC_DOOR_OPEN};
    for (size_t i = 0; i < 2; i++) {
        struct rig *r = rig_new(false);
        r->plc.o2_meas = 0.06;
        r->plc.co_meas = 5040;
        refused(r, doors[i], 0, PLC_IL_FUEL_RICH);
        run(r, 10);
        assert_true(r->out.sc_door_closed && r->out.hc_door_closed);
        r->plc.o2_meas = 2;
        r->plc.co_meas = 3001; /* CO alone */
        refused(r, doors[i], 0, PLC_IL_FUEL_RICH);
        r->plc.o2_meas = 0.49; /* O2 alone */
        r->plc.co_meas = 100;
        refused(r, doors[i], 0, PLC_IL_FUEL_RICH);
        r->plc.o2_meas = 0.5; /* at the limits: allowed */
        r->plc.co_meas = 3000;
        assert_int_equal(cmd(r, doors[i], 0), PLC_RES_OK);
        assert_int_equal(r->plc.refused, 0);
        run(r, 10);
        assert_false(i == 0 ? r->out.sc_door_closed : r->out.hc_door_closed);
        /* closing is never refused, whatever the atmosphere */
        r->plc.co_meas = 20000;
        assert_int_equal(cmd(r, i == 0 ? PLC_CMD_SC_DOOR_CLOSE : PLC_CMD_HC_DOOR_CLOSE, 0),
                         PLC_RES_OK);
        free(r);
    }
}

/* Never both doors open; no fan start with the charging door open. */
static void test_hazard_door_pairs_and_fan(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
    refused(r, PLC_CMD_HC_DOOR_OPEN, 0, PLC_IL_DOOR_OPEN_FIRING); /* the same scan, still shut */
    assert_int_equal(cmd(r, PLC_CMD_FAN_STOP, 0), PLC_RES_OK);
    refused(r, PLC_CMD_FAN_START, 0, PLC_IL_DOOR_OPEN_FIRING);
    close_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_FAN_START, 0), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_HC_DOOR_OPEN, 0), PLC_RES_OK);
    run(r, 2);
    refused(r, PLC_CMD_SC_DOOR_OPEN, 0, PLC_IL_DOOR_OPEN_FIRING);
    assert_int_equal(cmd(r, PLC_CMD_HC_DOOR_CLOSE, 0), PLC_RES_OK);
    run(r, 10);
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
    free(r);
}

/* Wet scrap into metal: no push sooner than push_min_dry_s after the charge, nor with the
 * scrap surface below push_min_scrap_c, nor with a broken pyrometer (fail-safe). */
static void test_hazard_wet_push(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    scan(r);
    assert_false(il(r, PLC_IL_WET_PUSH)); /* an empty hearth is not wet */
    open_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    close_sc_door(r);
    assert_true(il(r, PLC_IL_WET_PUSH));
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_WET_PUSH);
    r->plc.since_charge_s = r->plc.prm.push_min_dry_s - 1;
    r->plc.tc_meas[SPLC_TC_SCRAP] = 500;
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_WET_PUSH); /* a second short of dry */
    r->plc.since_charge_s = r->plc.prm.push_min_dry_s;
    r->plc.tc_meas[SPLC_TC_SCRAP] = r->plc.prm.push_min_scrap_c - 1;
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_WET_PUSH); /* dry long enough, still cold */
    inject(r, "tc_broken", "scrap_temp", NAN);
    r->plc.tc_meas[SPLC_TC_SCRAP] = 500;
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_WET_PUSH); /* no pyrometer: taken as wet */
    inject(r, "clear", "tc_broken", NAN);
    r->plc.tc_meas[SPLC_TC_SCRAP] = r->plc.prm.push_min_scrap_c;
    assert_int_equal(cmd(r, PLC_CMD_PUSH, 0), PLC_RES_OK);
    assert_false(r->out.pusher_home);
    free(r);
}

/* Overfill: no charge that takes metal + scrap + the charge past capacity, none at the
 * overfill level, and no push with metal + scrap past capacity. */
static void test_hazard_overfill(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    open_sc_door(r);
    double cap = r->plc.prm.capacity_kg;
    r->plc.level_meas = level_for_kg(r, cap - 2500);
    refused(r, PLC_CMD_CHARGE, 300, PLC_IL_OVERFILL); /* 3 t into 2.5 t of room */
    assert_near(r->out.scrap_on_hearth, 0, 0);
    r->plc.level_meas = level_for_kg(r, cap - 2500);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 200), PLC_RES_OK); /* 2 t fits */
    r->plc.level_meas = level_for_kg(r, cap - 2500);
    refused(r, PLC_CMD_CHARGE, 100, PLC_IL_OVERFILL); /* the 2 t on the hearth count */
    /* the overfill level on its own, with room by mass */
    r->plc.prm.capacity_kg = 1e6;
    r->plc.level_meas = r->plc.prm.max_level_mm;
    refused(r, PLC_CMD_CHARGE, 100, PLC_IL_OVERFILL);
    r->plc.level_meas = r->plc.prm.max_level_mm - 1;
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 100), PLC_RES_OK);
    /* a push with metal + scrap (3 t) past capacity */
    r->plc.prm.capacity_kg = cap;
    close_sc_door(r);
    r->plc.since_charge_s = r->plc.prm.push_min_dry_s;
    r->plc.tc_meas[SPLC_TC_SCRAP] = 500;
    r->plc.level_meas = level_for_kg(r, cap - 2000);
    refused(r, PLC_CMD_PUSH, 0, PLC_IL_OVERFILL);
    r->plc.tc_meas[SPLC_TC_SCRAP] = 500;
    r->plc.level_meas = level_for_kg(r, cap - 3500);
    assert_int_equal(cmd(r, PLC_CMD_PUSH, 0), PLC_RES_OK);
    free(r);
}

/* No burner start with the roof at the limiter (a broken roof TC counts as HH). */
static void test_hazard_roof_start(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_STOP, 0), PLC_RES_OK);
    r->plc.tc_meas[SPLC_TC_ROOF] = r->plc.prm.roof_hh_c;
    refused(r, PLC_CMD_BURNER_START, 0, PLC_IL_ROOF_HH);
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    inject(r, "tc_broken", "roof_temp", NAN);
    refused(r, PLC_CMD_BURNER_START, 0, PLC_IL_ROOF_HH);
    inject(r, "clear", "tc_broken", NAN);
    r->plc.tc_meas[SPLC_TC_ROOF] = r->plc.prm.roof_hh_c - 1;
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(r->out.bms_state, SPLC_BMS_PREPURGE);
    free(r);
}

/* The drives and the tap name their interlock; a refusal's bits last until the next command. */
static void test_hazard_bits_named_and_held(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    inject(r, "pump_trip", NULL, NAN);
    refused(r, PLC_CMD_PUMP_START, 0, PLC_IL_DRIVE_TRIP);
    inject(r, "clear", NULL, NAN);
    r->plc.tc_meas[SPLC_TC_BATH_SC] = r->plc.prm.pump_freeze_c - 1;
    refused(r, PLC_CMD_PUMP_START, 0, PLC_IL_METAL_FROZEN);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_INTERLOCK);
    assert_int_equal(r->plc.refused, PLC_IL_CHARGE_DOOR); /* door shut: the only reason */
    run(r, 5);
    assert_true(il(r, PLC_IL_CHARGE_DOOR)); /* held while no other command comes */
    assert_int_equal(cmd(r, PLC_CMD_TAP_CLOSE, 0), PLC_RES_OK);
    assert_false(il(r, PLC_IL_CHARGE_DOOR));
    free(r);
}

static void test_tap_stops_at_heel(void **state)
{
    (void)state;
    struct rig *r = rig_new(true); /* 30 t */
    assert_int_equal(cmd(r, PLC_CMD_TAP_OPEN, 0), PLC_RES_OK);
    assert_true(r->out.tap_open);
    run(r, 900);
    assert_false(r->out.tap_open);
    assert_true(il(r, PLC_IL_HEEL));
    double m = phys_metal_kg(&r->plc.phys);
    double ox = r->plc.phys.dross_ox_kg; /* the bath surface oxidises on (sim_physics.c) */
    assert_true(m <= 25000 && m > 24900);
    assert_int_equal(cmd(r, PLC_CMD_TAP_OPEN, 0), PLC_RES_INTERLOCK);
    run(r, 60);
    assert_near(phys_metal_kg(&r->plc.phys) + r->plc.phys.dross_ox_kg - ox, m, 1e-6);
    free(r);
}

static void test_tap_close(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_TAP_OPEN, 0), PLC_RES_OK);
    run(r, 60);
    assert_int_equal(cmd(r, PLC_CMD_TAP_CLOSE, 0), PLC_RES_OK);
    double m = phys_metal_kg(&r->plc.phys), ox = r->plc.phys.dross_ox_kg;
    assert_near(m, 45000 - r->plc.phys_prm.tap_kg_s * 60.25, 10);
    run(r, 60);
    assert_near(phys_metal_kg(&r->plc.phys) + r->plc.phys.dross_ox_kg - ox, m, 1e-6);
    free(r);
}

static void test_estop(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    assert_int_equal(cmd(r, PLC_CMD_TAP_OPEN, 0), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
    run(r, 3);
    double door = r->plc.sc_door;
    inject(r, "estop", NULL, NAN);
    scan(r);
    assert_false(r->out.estop_ok);
    assert_true(il(r, PLC_IL_ESTOP));
    assert_int_equal(r->out.bms_state, SPLC_BMS_OFF);
    assert_false(r->out.flame_on || r->out.pump_running || r->out.fan_running);
    assert_false(r->out.tap_open);
    assert_false(r->out.air_ok);
    run(r, 10);
    assert_near(r->plc.sc_door, door, 1e-9); /* doors hold where they are */
    assert_near(r->out.pump_speed_fb, 0, 0);
    const uint16_t refused[] = {PLC_CMD_BURNER_START,  PLC_CMD_PUMP_START,    PLC_CMD_FAN_START,
                                PLC_CMD_TAP_OPEN,      PLC_CMD_SC_DOOR_CLOSE, PLC_CMD_PUSH,
                                PLC_CMD_LOCKOUT_RESET, PLC_CMD_ESTOP_RESET};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(cmd(r, refused[i], 0), PLC_RES_INTERLOCK);
    inject(r, "clear", "estop", NAN);
    run(r, 5);
    assert_false(r->out.estop_ok); /* latched until reset */
    assert_int_equal(cmd(r, PLC_CMD_ESTOP_RESET, 0), PLC_RES_OK);
    assert_true(r->out.estop_ok);
    assert_false(il(r, PLC_IL_ESTOP));
    assert_int_equal(cmd(r, PLC_CMD_SC_DOOR_CLOSE, 0), PLC_RES_OK);
    run(r, 10);
    assert_int_equal(cmd(r, PLC_CMD_BURNER_START, 0), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_START, 0), PLC_RES_OK);
    assert_true(r->out.pump_running);
    free(r);
}

static void test_roof_limiter(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->in.firing_demand = 90;
    run(r, 30);
    assert_near(r->out.firing_fb, 90, 1e-9);
    for (double t = 0; t < 60; t += DT) { /* a roof held at 1280 degC */
        r->plc.phys.roof_c = 1280;
        scan(r);
    }
    assert_true(r->out.roof_temp >= 1250);
    assert_true(il(r, PLC_IL_ROOF_HH));
    assert_near(r->out.firing_fb, 10, 1e-9);
    free(r);
    /* a broken roof thermocouple is taken as too hot (fail-safe) */
    r = rig_new(false);
    r->in.firing_demand = 90;
    run(r, 30);
    inject(r, "tc_broken", "roof_temp", NAN);
    scan(r);
    assert_true(il(r, PLC_IL_ROOF_HH));
    assert_near(r->out.firing_fb, 10, 1e-9);
    free(r);
}

/* ---- handshake ---------------------------------------------------------------------- */

static void test_handshake_once_per_seq(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    scan(r);
    assert_int_equal(r->out.cmd_ack_seq, 0); /* seq 0 at power-up is not a command */
    assert_int_equal(cmd(r, PLC_CMD_PUMP_STOP, 0), PLC_RES_OK);
    assert_false(r->out.pump_running);
    /* a new code under the same seq is not acted on */
    r->in.cmd_code = PLC_CMD_PUMP_START;
    run(r, 5);
    assert_false(r->out.pump_running);
    assert_int_equal(r->out.cmd_ack_seq, 1);
    /* a charge is placed once, however long the seq stays */
    open_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 200), PLC_RES_OK);
    run(r, 10);
    assert_near(r->out.scrap_on_hearth, 2000, 1e-6);
    /* seq wraps and any change counts as new */
    r->in.cmd_code = PLC_CMD_PUMP_START;
    r->in.cmd_seq = 65535;
    scan(r);
    assert_int_equal(r->out.cmd_ack_seq, 65535);
    assert_true(r->out.pump_running);
    r->in.cmd_code = PLC_CMD_PUMP_STOP;
    r->in.cmd_seq = 0;
    scan(r);
    assert_int_equal(r->out.cmd_ack_seq, 0);
    assert_false(r->out.pump_running);
    free(r);
}

static void test_handshake_invalid(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    const uint16_t bad[] = {PLC_CMD_NONE, PLC_CMD_COUNT, 99, 1000, 65535};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cmd(r, bad[i], 0), PLC_RES_INVALID);
    open_sc_door(r);
    const uint16_t bad_mass[] = {0, 99, 501, 65535};
    for (size_t i = 0; i < sizeof bad_mass / sizeof bad_mass[0]; i++)
        assert_int_equal(cmd(r, PLC_CMD_CHARGE, bad_mass[i]), PLC_RES_INVALID);
    assert_near(r->out.scrap_on_hearth, 0, 0);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 100), PLC_RES_OK);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 500), PLC_RES_OK);
    assert_near(r->out.scrap_on_hearth, 6000, 1e-6);
    free(r);
}

static uint64_t fuzz_state = 12345;
static uint32_t fuzz_next(void)
{
    fuzz_state = fuzz_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(fuzz_state >> 33);
}

static double fuzz_double(void)
{
    const double odd[] = {NAN, INFINITY, -INFINITY, -1e300, 1e300, -5, 0, 100, 100.1};
    if (fuzz_next() % 8 == 0)
        return odd[fuzz_next() % 9];
    return (double)(fuzz_next() % 2400) / 10.0 - 60.0;
}

/* Thousands of random console writes, dts and faults: never a crash, always a valid image. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char *const names[] = {
        "tc_broken",  "tc_drift",   "flame_failure",  "gas_low", "air_low", "pump_trip", "fan_trip",
        "door_stuck", "wet_charge", "heavy_organics", "estop",   "clear",   "bogus"};
    static const char *const targets[] = {NULL, "", "roof_temp", "sc", "hc", "gas_low", "x"};
    for (int run_ = 0; run_ < 2; run_++) {
        struct rig *r = rig_new(run_ == 0);
        for (int i = 0; i < 4000; i++) {
            uint32_t k = fuzz_next();
            r->in.firing_demand = fuzz_double();
            r->in.pump_demand = fuzz_double();
            r->in.fan_demand = fuzz_double();
            r->in.damper_demand = fuzz_double();
            r->in.cmd_code = (uint16_t)(k % 4 == 0 ? fuzz_next() : fuzz_next() % 20);
            r->in.cmd_arg = (uint16_t)(k % 3 == 0 ? fuzz_next() : 100 + fuzz_next() % 400);
            if (k % 2)
                r->in.cmd_seq++;
            if (k % 7)
                r->in.console_heartbeat++;
            if (k % 50 == 0) {
                char err[128];
                splc_fault(&r->plc, names[fuzz_next() % 13], targets[fuzz_next() % 7],
                           fuzz_double() / 100.0, err, sizeof err);
            }
            double dt = (k % 97 == 0) ? NAN : (double)(fuzz_next() % 2000) / 1000.0;
            splc_step(&r->plc, &r->in, &r->out, dt);
            assert_true(r->out.cmd_result <= PLC_RES_BUSY);
            assert_true(r->out.bms_state <= SPLC_BMS_LOCKOUT);
            assert_true(isfinite(r->out.hc_gas_temp) && isfinite(r->out.bath_sc_temp));
            assert_true(isfinite(r->out.furnace_pressure) && isfinite(r->out.metal_mass));
            assert_true(r->out.firing_fb >= 0 && r->out.firing_fb <= 100);
            assert_true(r->out.pump_speed_fb >= 0 && r->out.pump_speed_fb <= 100);
            assert_true(r->out.damper_fb >= 0 && r->out.damper_fb <= 100);
            if (k % 2)
                assert_int_equal(r->out.cmd_ack_seq, r->in.cmd_seq);
        }
        free(r);
    }
}

/* ---- watchdog ---------------------------------------------------------------------- */

static void test_watchdog_needs_arming(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->beat = false;
    run(r, 120);
    assert_false(r->out.watchdog_tripped);
    assert_false(il(r, PLC_IL_WATCHDOG));
    free(r);
}

static void test_watchdog_trip_and_recover(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->in.firing_demand = 80;
    run(r, 30);
    r->beat = false;
    run(r, 4.75);
    assert_false(r->out.watchdog_tripped);
    run(r, 0.5);
    assert_true(r->out.watchdog_tripped);
    assert_true(il(r, PLC_IL_WATCHDOG));
    assert_near(r->out.firing_fb, 10, 1e-9);
    assert_int_equal(r->out.bms_state, SPLC_BMS_FIRING); /* low fire, not off */
    assert_int_equal(cmd(r, PLC_CMD_PUMP_STOP, 0), PLC_RES_BUSY);
    assert_true(r->out.pump_running);
    assert_int_equal(cmd(r, PLC_CMD_WATCHDOG_RESET, 0), PLC_RES_BUSY); /* no heartbeat yet */
    assert_int_equal(cmd(r, 777, 0), PLC_RES_INVALID);
    r->beat = true;
    run(r, 1);
    assert_true(r->out.watchdog_tripped); /* heartbeat alone is not enough */
    assert_int_equal(cmd(r, PLC_CMD_PUMP_STOP, 0), PLC_RES_BUSY);
    assert_int_equal(cmd(r, PLC_CMD_WATCHDOG_RESET, 0), PLC_RES_OK);
    assert_false(r->out.watchdog_tripped);
    assert_false(il(r, PLC_IL_WATCHDOG));
    run(r, 20);
    assert_near(r->out.firing_fb, 80, 1e-9);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_STOP, 0), PLC_RES_OK);
    /* stays armed: a second loss trips again */
    r->beat = false;
    run(r, 6);
    assert_true(r->out.watchdog_tripped);
    free(r);
}

/* At 60x a console writing every 0.25 s of wall time changes the heartbeat every 15 s of
 * process time: the watchdog counts wall time (dt / speed), so it stays quiet; a console
 * that stops trips it after watchdog_s of wall time, 300 s of process time. */
static void test_watchdog_wall_time_at_speed(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->plc.speed = 60;
    for (int i = 0; i < 4 * 60; i++) { /* one wall minute, one process hour */
        r->in.console_heartbeat++;
        for (int k = 0; k < 150; k++)   /* 15 s of process time in 0.1 s scans */
            splc_step(&r->plc, &r->in, &r->out, 0.1);
    }
    assert_false(r->out.watchdog_tripped);
    assert_near(r->out.plc_clock, 3600, 0.5);
    assert_near(r->out.sim_speed, 60, 1e-9);
    for (int k = 0; k < 2800; k++) /* with the last block's 15 s: 4.92 wall s of silence */
        splc_step(&r->plc, &r->in, &r->out, 0.1);
    assert_false(r->out.watchdog_tripped);
    for (int k = 0; k < 200; k++)
        splc_step(&r->plc, &r->in, &r->out, 0.1);
    assert_true(r->out.watchdog_tripped);
    free(r);
}

/* Frozen: the plant stands still, the heartbeat counts, a command is answered BUSY and
 * never acted on (not after the run either), the watchdog still watches the console. */
static void test_frozen_scan(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    run(r, 30);
    struct splc before = r->plc;
    r->plc.frozen = true;
    uint16_t hb = r->out.plc_heartbeat;
    r->in.cmd_code = PLC_CMD_PUMP_STOP;
    r->in.cmd_seq = (uint16_t)(r->in.cmd_seq + 1);
    for (int i = 0; i < 40; i++) { /* 10 s of wall time */
        r->in.console_heartbeat++;
        splc_frozen_scan(&r->plc, &r->in, &r->out, 0.25);
    }
    assert_int_equal(r->out.plc_heartbeat, (uint16_t)(hb + 40));
    assert_int_equal(r->out.cmd_ack_seq, r->in.cmd_seq);
    assert_int_equal(r->out.cmd_result, PLC_RES_BUSY);
    assert_int_equal(r->out.sim_state, PLC_SIM_FROZEN);
    assert_true(r->out.pump_running);
    assert_near(r->out.plc_clock, before.clock_s, 0);
    assert_memory_equal(&r->plc.phys, &before.phys, sizeof before.phys);
    assert_memory_equal(r->plc.tc_meas, before.tc_meas, sizeof before.tc_meas);
    assert_false(r->out.watchdog_tripped);
    for (int i = 0; i < 22; i++) /* the console stops: 5.5 s of wall time */
        splc_frozen_scan(&r->plc, &r->in, &r->out, 0.25);
    assert_true(r->out.watchdog_tripped);
    r->plc.frozen = false;
    run(r, 1);
    assert_true(r->out.pump_running); /* the BUSY command was not acted on after the run */
    assert_int_equal(r->out.sim_state, 0);
    free(r);
}

static void test_watchdog_configurable(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    r->plc.prm.watchdog_s = 2.0;
    run(r, 1);
    r->beat = false;
    run(r, 1.75);
    assert_false(r->out.watchdog_tripped);
    run(r, 0.5);
    assert_true(r->out.watchdog_tripped);
    /* heartbeat that comes back and dies again before the reset does not count */
    r->beat = true;
    run(r, 0.5);
    r->beat = false;
    run(r, 3);
    assert_int_equal(cmd(r, PLC_CMD_WATCHDOG_RESET, 0), PLC_RES_BUSY);
    free(r);
}

/* ---- faults ------------------------------------------------------------------------ */

static void test_fault_tc_broken(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    for (int i = 0; i < SPLC_TC_COUNT; i++) {
        inject(r, "tc_broken", splc_tc_name((enum splc_tc)i), NAN);
        scan(r);
        double v;
        bool broken = false;
        assert_int_equal(splc_out_get(&r->out, splc_tc_name((enum splc_tc)i), &v, &broken), 0);
        assert_true(broken);
        assert_true(r->out.broken[i]);
    }
    bool broken = true;
    double v;
    assert_int_equal(splc_out_get(&r->out, "o2_pct", &v, &broken), 0);
    assert_false(broken);
    inject(r, "clear", "tc_broken", NAN);
    scan(r);
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        assert_false(r->out.broken[i]);
    free(r);
}

/* Drift moves one reading and nothing else: the twin without it reads the same noise. */
static void test_fault_tc_drift(void **state)
{
    (void)state;
    struct rig *a = rig_new(false), *b = rig_new(false);
    inject(a, "tc_drift", "bath_hc_temp", 6.0);
    run(a, 600);
    run(b, 600);
    assert_near(a->out.bath_hc_temp - b->out.bath_hc_temp, 60, 0.5);
    assert_near(a->out.bath_sc_temp, b->out.bath_sc_temp, 0.5);
    assert_near(a->out.roof_temp, b->out.roof_temp, 1e-9);
    inject(a, "clear", "tc_drift", NAN);
    scan(a);
    scan(b);
    assert_near(a->out.bath_hc_temp, b->out.bath_hc_temp, 0.5);
    free(a);
    free(b);
}

static void test_fault_pump_and_fan_trip(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    scan(r);
    assert_false(r->out.pump_trip || r->out.fan_trip);
    inject(r, "pump_trip", NULL, NAN);
    inject(r, "fan_trip", NULL, NAN);
    scan(r);
    assert_false(r->out.pump_running);
    assert_false(r->out.fan_running);
    assert_true(r->out.pump_trip && r->out.fan_trip); /* di:12, di:13 */
    run(r, 20);
    assert_near(r->out.pump_speed_fb, 0, 0);
    assert_near(r->out.fan_speed_fb, 0, 0);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_START, 0), PLC_RES_INTERLOCK);
    assert_int_equal(cmd(r, PLC_CMD_FAN_START, 0), PLC_RES_INTERLOCK);
    inject(r, "clear", "pump_trip", NAN);
    assert_int_equal(cmd(r, PLC_CMD_PUMP_START, 0), PLC_RES_OK);
    assert_false(r->out.pump_trip);
    assert_true(r->out.fan_trip);
    assert_int_equal(cmd(r, PLC_CMD_FAN_START, 0), PLC_RES_INTERLOCK);
    inject(r, "clear", "fan_trip", NAN);
    assert_int_equal(cmd(r, PLC_CMD_FAN_START, 0), PLC_RES_OK);
    run(r, 20);
    assert_near(r->out.pump_speed_fb, r->in.pump_demand, 1e-9);
    assert_true(r->out.fan_running);
    free(r);
}

/* The pyrolysis gas of a charge burns in the HC: the burners' own air (lambda 1.1)
 * is not enough for it, and the O2 trim adds afterburning air so the flue O2 stays at
 * 1-3 %; with the combustion air lost (air_low) there is none and the O2 falls. */
static double o2_min_during_pyrolysis(bool air_low, double *afterburn_max)
{
    struct rig *r = rig_new(false);
    open_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    close_sc_door(r);
    r->in.fan_demand = 40;
    r->in.firing_demand = 20;
    if (air_low)
        inject(r, "air_low", NULL, NAN);
    double o2_min = 21, pyro_max = 0;
    *afterburn_max = 0;
    for (double t = 0; t < 3600; t += DT) {
        scan(r);
        if (t > 120) /* the trim catching up with the first whiff is not judged */
            o2_min = fmin(o2_min, r->out.o2_pct);
        pyro_max = fmax(pyro_max, r->plc.phys.pyro_kg_s);
        *afterburn_max = fmax(*afterburn_max, r->plc.afterburn);
    }
    assert_true(pyro_max > 0.08); /* several MW of pyrolysis gas at its peak */
    free(r);
    return o2_min;
}

static void test_o2_trim(void **state)
{
    (void)state;
    double ab, ab_low;
    double o2 = o2_min_during_pyrolysis(false, &ab);
    double o2_low = o2_min_during_pyrolysis(true, &ab_low);
    print_message("pyrolysis of 90 kg organics: O2 min %.2f %% (afterburning air up to %.0f %%), "
                  "%.2f %% without combustion air\n",
                  o2, ab, o2_low);
    assert_true(o2 >= 1.0 && o2 <= 3.0);
    assert_true(ab > 10);
    assert_true(o2_low < 0.8);
    assert_near(ab_low, 0, 0);
    /* holding, no pyrolysis: no afterburning air, O2 from the burners' ratio */
    struct rig *r = rig_new(false);
    run(r, 300);
    assert_near(r->plc.afterburn, 0, 0);
    assert_true(r->out.o2_pct >= 1.0 && r->out.o2_pct <= 3.0);
    free(r);
}

/* The console's afterburning-air floor (afterburn_demand, % of the fan): the air is never
 * below it, the O2 trim adds to it from the air as it is, and the fan's capacity
 * (afterburn_max_pct of the burners' full-fire air) bounds both.  A demand out of range is
 * clamped, not obeyed; with the watchdog tripped the console's floor is ignored (the trim
 * alone); with no air proven there is none. */
static void test_afterburn_floor(void **state)
{
    (void)state;
    static const struct {
        double demand;    /* % of the fan */
        bool wd_trip;     /* console heartbeat stopped */
        bool air_low;     /* combustion air not proven */
        double want;      /* % of the burners' full-fire air after 60 s holding (no pyrolysis) */
    } cases[] = {
        {0, false, false, 0},       /* no floor, no pyrolysis: the trim needs none */
        {20, false, false, 30},     /* 20 % of a 150 % fan */
        {100, false, false, 150},   /* the whole fan */
        {250, false, false, 150},   /* out of range: the fan's capacity, no more */
        {-30, false, false, 0},     /* negative: none */
        {NAN, false, false, 0},     /* garbage: none */
        {50, true, false, 0},       /* watchdog tripped: the console is not heard */
        {50, false, true, 0},       /* no air proven: no afterburning air at all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rig *r = rig_new(false);
        assert_near(r->plc.prm.afterburn_max_pct, 150, 0);
        r->in.afterburn_demand = cases[i].demand;
        run(r, 2); /* the heartbeat arms the watchdog */
        if (cases[i].wd_trip)
            r->beat = false;
        if (cases[i].air_low)
            inject(r, "air_low", NULL, NAN);
        run(r, 60);
        assert_true(r->out.watchdog_tripped == cases[i].wd_trip);
        print_message("demand %.0f %%%s%s: afterburning air %.1f %%, O2 %.2f %%\n",
                      cases[i].demand, cases[i].wd_trip ? ", watchdog" : "",
                      cases[i].air_low ? ", air low" : "", r->plc.afterburn, r->out.o2_pct);
        assert_near(r->plc.afterburn, cases[i].want, 1e-9);
        free(r);
    }
    /* the trim integrates from the floor: with a floor under a charge's pyrolysis the air
     * is never below it and rises above it when the gas needs more */
    struct rig *r = rig_new(false);
    open_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    close_sc_door(r);
    r->in.fan_demand = 40;
    r->in.firing_demand = 20;
    r->in.afterburn_demand = 10; /* 15 % of full-fire air */
    double ab_min = 1e9, ab_max = 0;
    for (double t = 0; t < 3600; t += DT) {
        scan(r);
        ab_min = fmin(ab_min, r->plc.afterburn);
        ab_max = fmax(ab_max, r->plc.afterburn);
    }
    print_message("floor 15 %% under a charge: afterburning air %.1f..%.1f %%\n", ab_min, ab_max);
    assert_true(ab_min >= 15 - 1e-9);
    assert_true(ab_max > 20);
    free(r);
}

static void test_fault_door_stuck(void **state)
{
    (void)state;
    for (int door = 0; door < 2; door++) {
        struct rig *r = rig_new(false);
        inject(r, "door_stuck", door ? "hc" : "sc", NAN);
        assert_int_equal(cmd(r, door ? PLC_CMD_HC_DOOR_OPEN : PLC_CMD_SC_DOOR_OPEN, 0), PLC_RES_OK);
        run(r, 20);
        assert_true(door ? r->out.hc_door_closed : r->out.sc_door_closed);
        inject(r, "clear", "door_stuck", NAN);
        run(r, 20);
        assert_false(door ? r->out.hc_door_closed : r->out.sc_door_closed);
        free(r);
    }
}

static void test_fault_charge_properties(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    inject(r, "wet_charge", NULL, 0.05);
    inject(r, "heavy_organics", NULL, 0.15);
    open_sc_door(r);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    const struct phys_charge *c = &r->plc.phys.hearth[0];
    assert_near(c->moisture_kg, 150, 1e-6);
    assert_near(c->organics_kg, 450, 1e-6);
    inject(r, "clear", "wet_charge", NAN);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 300), PLC_RES_OK);
    assert_near(r->plc.phys.hearth[1].moisture_kg, 0, 0);
    assert_near(r->plc.phys.hearth[1].organics_kg, 450, 1e-6);
    inject(r, "clear", NULL, NAN);
    assert_int_equal(splc_set_charge(&r->plc, 0.06, 0.01, 25, 42), 0);
    assert_int_equal(cmd(r, PLC_CMD_CHARGE, 200), PLC_RES_OK);
    assert_near(r->plc.phys.hearth[2].organics_kg, 120, 1e-6);
    assert_near(r->plc.phys.hearth[2].moisture_kg, 20, 1e-6);
    assert_near(r->plc.phys.hearth[2].hv_j_kg, 42e6, 1);
    assert_int_equal(splc_set_charge(&r->plc, 0.9, 0, 25, 0), -1);
    assert_int_equal(splc_set_charge(&r->plc, 0.03, 0, NAN, 0), -1);
    free(r);
}

struct bad_fault {
    const char *name, *target;
    double value;
    const char *says; /* part of the message */
};

static void test_fault_errors(void **state)
{
    (void)state;
    const struct bad_fault bad[] = {
        {"meltdown", NULL, NAN, "unknown fault \"meltdown\""},
        {NULL, NULL, NAN, "unknown fault"},
        {"tc_broken", NULL, NAN, "unknown thermocouple"},
        {"tc_broken", "roof", NAN, "roof_temp"},
        {"tc_drift", "roof_temp", NAN, "needs a value"},
        {"tc_drift", "roof_temp", 500, "-100..100"},
        {"flame_failure", "hc", NAN, "takes no target"},
        {"door_stuck", "middle", NAN, "expected sc or hc"},
        {"door_stuck", NULL, NAN, "expected sc or hc"},
        {"wet_charge", NULL, NAN, "needs a value"},
        {"wet_charge", NULL, 0.9, "0.001..0.3"},
        {"heavy_organics", NULL, -0.1, "organics"},
        {"clear", "bogus", NAN, "unknown fault \"bogus\""},
        {"clear", "clear", NAN, "unknown fault"},
    };
    struct rig *r = rig_new(false);
    struct splc_faults before;
    memcpy(&before, &r->plc.faults, sizeof before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        assert_int_equal(
            splc_fault(&r->plc, bad[i].name, bad[i].target, bad[i].value, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err, bad[i].says);
        assert_non_null(strstr(err, bad[i].says));
        assert_memory_equal(&r->plc.faults, &before, sizeof before);
    }
    assert_int_equal(splc_fault(&r->plc, "nope", NULL, NAN, NULL, 0), -1);
    free(r);
}

static void test_fault_table_and_describe(void **state)
{
    (void)state;
    assert_int_equal(splc_nfaults, 12);
    for (size_t i = 0; i < splc_nfaults; i++) {
        assert_non_null(splc_faults[i].name);
        assert_non_null(splc_faults[i].help);
    }
    struct rig *r = rig_new(false);
    char buf[256];
    splc_fault_describe(&r->plc, buf, sizeof buf);
    assert_string_equal(buf, "none");
    inject(r, "tc_broken", "roof_temp", NAN);
    inject(r, "gas_low", NULL, NAN);
    inject(r, "door_stuck", "hc", NAN);
    splc_fault_describe(&r->plc, buf, sizeof buf);
    assert_string_equal(buf, "tc_broken roof_temp, gas_low, door_stuck hc");
    char small[10];
    splc_fault_describe(&r->plc, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    inject(r, "clear", "", NAN);
    splc_fault_describe(&r->plc, buf, sizeof buf);
    assert_string_equal(buf, "none");
    free(r);
}

/* ---- sensors and reproducibility ------------------------------------------------------ */

static void test_reproducible(void **state)
{
    (void)state;
    struct rig *a = rig_new(false), *b = rig_new(false), *c = rig_new(false);
    struct splc_params p;
    struct phys_params pp;
    splc_params_default(&p);
    phys_params_default(&pp);
    p.seed = 99;
    splc_init(&c->plc, &p, &pp, false);
    for (int i = 0; i < 2000; i++) {
        a->in.firing_demand = b->in.firing_demand = c->in.firing_demand = 20 + (i / 400) * 10;
        scan(a);
        scan(b);
        scan(c);
        assert_memory_equal(&a->out, &b->out, sizeof a->out);
    }
    assert_true(a->out.hc_gas_temp != c->out.hc_gas_temp);
    assert_near(a->out.hc_gas_temp, c->out.hc_gas_temp, 3); /* same process, other noise */
    free(a);
    free(b);
    free(c);
}

static void test_noise_and_lag(void **state)
{
    (void)state;
    struct rig *r = rig_new(false);
    double sum = 0, sum2 = 0;
    const int n = 4000;
    for (int i = 0; i < n; i++) {
        scan(r);
        double e = r->out.roof_temp - r->plc.tc_lagged[SPLC_TC_ROOF];
        sum += e;
        sum2 += e * e;
    }
    double sd = sqrt(sum2 / n - (sum / n) * (sum / n));
    assert_near(sum / n, 0, 0.05);
    assert_near(sd, 0.5, 0.05);
    /* a step in the true value shows after the lag: 63 % after tc_lag_s */
    r->plc.prm.noise_k = 0;
    double before = r->out.bath_sc_temp;
    r->plc.phys.bath_sc_c += 50;
    r->plc.phys.bath_hc_c += 50;
    run(r, 10);
    assert_near(r->out.bath_sc_temp - before, 0.63 * 50, 5);
    /* each sensor its own lag: the HC bath thermocouple at 60 s, the SC one at tc_lag_s */
    r->plc.prm.tc_lag_each_s[SPLC_TC_BATH_HC] = 60;
    run(r, 120);
    double hc0 = r->out.bath_hc_temp, sc0 = r->out.bath_sc_temp;
    r->plc.phys.bath_sc_c += 50;
    r->plc.phys.bath_hc_c += 50;
    run(r, 60);
    assert_near(r->out.bath_hc_temp - hc0, 0.63 * 50, 5);
    assert_near(r->out.bath_sc_temp - sc0, 50, 3);
    free(r);
}

/* ---- tag access ----------------------------------------------------------------------- */

static void test_tags_by_name(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "hc_gas_temp",    "roof_temp",        "bath_hc_temp",     "bath_sc_temp",
        "sc_gas_temp",    "flue_temp",        "scrap_temp",       "o2_pct",
        "co_ppm",         "furnace_pressure", "gas_flow",         "gas_pressure",
        "firing_fb",      "pump_speed_fb",    "fan_speed_fb",     "damper_fb",
        "bath_level",     "bms_state",        "purge_remaining",  "plc_interlocks",
        "plc_heartbeat",  "cmd_ack_seq",      "cmd_result",       "plc_mode",
        "plc_clock",      "metal_mass",       "scrap_on_hearth",  "sc_door_closed",
        "hc_door_closed", "flame_on",         "estop_ok",         "gas_ok",
        "air_ok",         "pump_running",     "fan_running",      "tap_open",
        "pusher_home",    "bms_lockout",      "watchdog_tripped", "pump_trip",
        "fan_trip",       "flame_failure",    "estop_released",   "sim_speed",
        "sim_state",      "sim_restarts"};
    assert_int_equal(splc_out_nfields, sizeof inputs / sizeof inputs[0]);
    struct rig *r = rig_new(false);
    scan(r);
    double v;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        assert_int_equal(splc_out_get(&r->out, inputs[i], &v, NULL), 0);
    assert_int_equal(splc_out_get(&r->out, "plc_mode", &v, NULL), 0);
    assert_near(v, 1, 0);
    assert_int_equal(splc_out_get(&r->out, "flame_on", &v, NULL), 0);
    assert_near(v, 1, 0);
    assert_int_equal(splc_out_get(&r->out, "bath_level", &v, NULL), 0);
    assert_near(v, r->out.bath_level, 0);
    assert_int_equal(splc_out_get(&r->out, "firing_demand", &v, NULL), -1);
    assert_int_equal(splc_out_get(&r->out, NULL, &v, NULL), -1);

    struct splc_in in = {0};
    assert_int_equal(splc_in_set(&in, "firing_demand", 42.5), 0);
    assert_int_equal(splc_in_set(&in, "pump_demand", 1), 0);
    assert_int_equal(splc_in_set(&in, "fan_demand", 2), 0);
    assert_int_equal(splc_in_set(&in, "damper_demand", 3), 0);
    assert_int_equal(splc_in_set(&in, "cmd_code", 12), 0);
    assert_int_equal(splc_in_set(&in, "cmd_arg", 300), 0);
    assert_int_equal(splc_in_set(&in, "cmd_seq", 65536), 0);
    assert_int_equal(splc_in_set(&in, "console_heartbeat", -1), 0);
    assert_near(in.firing_demand, 42.5, 0);
    assert_int_equal(in.cmd_code, 12);
    assert_int_equal(in.cmd_arg, 300);
    assert_int_equal(in.cmd_seq, 0);
    assert_int_equal(in.console_heartbeat, 65535);
    assert_int_equal(splc_in_set(&in, "roof_temp", 1), -1);
    assert_int_equal(splc_in_set(&in, "cmd_code", NAN), -1);
    assert_int_equal(splc_tc_from_name("flue_temp"), SPLC_TC_FLUE);
    assert_int_equal(splc_tc_from_name("o2_pct"), -1);
    free(r);
}

static void test_params_from_cfg(void **state)
{
    (void)state;
    static struct cfg c; /* large: not on the stack */
    memset(&c, 0, sizeof c);
    c.sim.watchdog_s = 3;
    c.sim.purge_s = 30;
    c.sim.ignition_s = 8;
    c.sim.noise_k = 0.2;
    c.sim.tc_lag_s = 4;
    c.sim.tc_lag_each_s[SPLC_TC_BATH_SC] = 45;
    c.sim.has_tc_lag[SPLC_TC_BATH_SC] = true;
    c.sim.tc_lag_each_s[SPLC_TC_ROOF] = 99; /* not given: ignored */
    c.sim.seed = 7;
    c.sim.pump_min_level_mm = 400;
    c.sim.pump_freeze_c = 690;
    c.furnace.heel_t = 28;
    c.furnace.low_fire_pct = 12;
    c.furnace.burner_mw = 6;
    struct splc_params p;
    struct phys_params pp;
    splc_params_from_cfg(&p, &pp, &c);
    assert_near(p.watchdog_s, 3, 0);
    assert_near(p.purge_s, 30, 0);
    assert_near(p.ignition_s, 8, 0);
    assert_near(p.noise_k, 0.2, 0);
    assert_near(p.tc_lag_s, 4, 0);
    assert_near(p.tc_lag_each_s[SPLC_TC_BATH_SC], 45, 0);
    assert_true(p.tc_lag_each_s[SPLC_TC_ROOF] < 0 && p.tc_lag_each_s[SPLC_TC_BATH_HC] < 0);
    assert_int_equal(p.seed, 7);
    assert_near(p.pump_min_level_mm, 400, 0);
    assert_near(p.pump_freeze_c, 690, 0);
    assert_near(p.heel_kg, 28000, 0);
    assert_near(p.low_fire_pct, 12, 0);
    assert_near(pp.burner_mw, 6, 0);
    assert_near(p.roof_hh_c, 1250, 0); /* not in the config: default */
    splc_params_from_cfg(&p, NULL, &c);
    assert_near(p.watchdog_s, 3, 0);
    /* the hazard interlocks: from [sim], capacity from [furnace]; 0 keeps the default */
    assert_near(p.door_co_max_ppm, 3000, 0);
    c.sim.door_co_max_ppm = 2500;
    c.sim.door_o2_min_pct = 0.8;
    c.sim.push_min_scrap_c = 300;
    c.sim.push_min_dry_min = 12;
    c.sim.max_level_mm = 1020;
    c.furnace.capacity_t = 60;
    splc_params_from_cfg(&p, NULL, &c);
    assert_near(p.door_co_max_ppm, 2500, 0);
    assert_near(p.door_o2_min_pct, 0.8, 0);
    assert_near(p.push_min_scrap_c, 300, 0);
    assert_near(p.push_min_dry_s, 720, 0);
    assert_near(p.max_level_mm, 1020, 0);
    assert_near(p.capacity_kg, 60000, 0);
}

/* The console explains before the PLC refuses: in the shipped config every console limit
 * ([limits], [furnace]) is the same as or stricter than meltsim's PLC's for that hazard. */
static void test_shipped_console_limits_stricter(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char path[512];
    const char *root = getenv("MELTCON_SRC");
    snprintf(path, sizeof path, "%s/config/meltcon.ini", root ? root : MELTCON_SRC_DIR);
    assert_int_equal(cfg_load(path, &c, &e), 0);
    struct splc_params p;
    splc_params_from_cfg(&p, NULL, &c);
    const struct cfg_limits *l = &c.limits;
    assert_true(l->co_max_door_ppm <= p.door_co_max_ppm);
    assert_true(l->door_o2_min_pct >= p.door_o2_min_pct);
    assert_true(l->push_min_scrap_c >= p.push_min_scrap_c);
    assert_true(l->push_min_dry_min * 60 >= p.push_min_dry_s); /* in PYROLYSIS <= since charge */
    assert_true(l->max_level_mm <= p.max_level_mm);
    assert_true(c.furnace.capacity_t * 1000 <= p.capacity_kg);
    assert_true(l->pump_min_bath_c >= p.pump_freeze_c);
    assert_true(l->pump_remelt_hc_c >= p.pump_remelt_hc_c && l->pump_remelt_sc_c >= p.pump_remelt_sc_c);
    assert_true(p.pump_remelt_hc_c > 0); /* the shipped config: remelt circulation on */
    assert_true(l->pump_min_level_mm >= p.pump_min_level_mm);
    assert_true(l->heel_min_t * 1000 >= p.heel_kg);
    assert_true(l->roof_max_c <= p.roof_hh_c);
    assert_true(l->max_charge_t * 100 <= 500); /* the PLC's largest charge argument */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_hot),
        cmocka_unit_test(test_init_cold),
        cmocka_unit_test(test_heartbeat_and_clock),
        cmocka_unit_test(test_burner_normal_start),
        cmocka_unit_test(test_purge_paused_without_air),
        cmocka_unit_test(test_ignition_failure_lockout),
        cmocka_unit_test(test_flame_failure_lockout),
        cmocka_unit_test(test_flame_failure_latch_only_for_flame),
        cmocka_unit_test(test_o2_trim),
        cmocka_unit_test(test_afterburn_floor),
        cmocka_unit_test(test_gas_and_air_loss_lockout),
        cmocka_unit_test(test_lockout_needs_reset),
        cmocka_unit_test(test_burner_stop),
        cmocka_unit_test(test_door_holds_low_fire),
        cmocka_unit_test(test_no_start_with_door_open),
        cmocka_unit_test(test_pump_refused_low_level),
        cmocka_unit_test(test_pump_refused_frozen),
        cmocka_unit_test(test_pump_remelt),
        cmocka_unit_test(test_charge_and_push),
        cmocka_unit_test(test_charge_hearth_full),
        cmocka_unit_test(test_hazard_fuel_rich_doors),
        cmocka_unit_test(test_hazard_door_pairs_and_fan),
        cmocka_unit_test(test_hazard_wet_push),
        cmocka_unit_test(test_hazard_overfill),
        cmocka_unit_test(test_hazard_roof_start),
        cmocka_unit_test(test_hazard_bits_named_and_held),
        cmocka_unit_test(test_tap_stops_at_heel),
        cmocka_unit_test(test_tap_close),
        cmocka_unit_test(test_estop),
        cmocka_unit_test(test_roof_limiter),
        cmocka_unit_test(test_handshake_once_per_seq),
        cmocka_unit_test(test_handshake_invalid),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_watchdog_needs_arming),
        cmocka_unit_test(test_watchdog_trip_and_recover),
        cmocka_unit_test(test_watchdog_wall_time_at_speed),
        cmocka_unit_test(test_frozen_scan),
        cmocka_unit_test(test_watchdog_configurable),
        cmocka_unit_test(test_fault_tc_broken),
        cmocka_unit_test(test_fault_tc_drift),
        cmocka_unit_test(test_fault_pump_and_fan_trip),
        cmocka_unit_test(test_fault_door_stuck),
        cmocka_unit_test(test_fault_charge_properties),
        cmocka_unit_test(test_fault_errors),
        cmocka_unit_test(test_fault_table_and_describe),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_noise_and_lag),
        cmocka_unit_test(test_tags_by_name),
        cmocka_unit_test(test_params_from_cfg),
        cmocka_unit_test(test_shipped_console_limits_stricter),
        cmocka_unit_test(test_standby_after_delay_not_before),
        cmocka_unit_test(test_standby_off_by_default),
        cmocka_unit_test(test_standby_min_on),
        cmocka_unit_test(test_standby_relight_through_purge),
        cmocka_unit_test(test_standby_relight_failure_locks_out),
        cmocka_unit_test(test_standby_no_relight_door_or_gas),
        cmocka_unit_test(test_standby_estop),
        cmocka_unit_test(test_standby_watchdog),
        cmocka_unit_test(test_standby_burner_start_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
