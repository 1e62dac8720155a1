/* sim_plc — the simulated safety PLC.
 *
 * A scan, in order:
 *   1. watchdog: the first change of console_heartbeat arms it; unchanged for watchdog_s
 *      trips it (low fire, PLC_IL_WATCHDOG, every command but WATCHDOG_RESET answered BUSY;
 *      that reset is accepted once the heartbeat has changed again after the trip);
 *   2. E-stop: the button latches; burners off, pump, fan and pusher stop, tap closes,
 *      doors hold; only ESTOP_RESET with the button released clears the latch;
 *   3. handshake: a cmd_seq different from the last one seen is acted on once, through
 *      the command table below; cmd_result then cmd_ack_seq = cmd_seq.  The seq at power-up
 *      is taken as 0, the value a freshly started server's holding register has;
 *   4. burner management: OFF -start-> PREPURGE (timer runs only while air is proven)
 *      -> IGNITION (flame proven after flame_detect_s if gas, air and flame are good,
 *      else LOCKOUT at ignition_s) -> FIRING (demand clamped to low fire..100 %; held at
 *      low fire while a door is not closed, the watchdog is tripped or the roof is at HH).
 *      Flame failure or gas/air pressure loss while lit -> LOCKOUT; only LOCKOUT_RESET
 *      leaves it.  BURNER_STOP -> OFF from any state but LOCKOUT.  A lockout for want of
 *      a flame (lost while firing, or not proven in the trial) sets the flame_failure
 *      latch (di:14), which only an accepted LOCKOUT_RESET clears;
 *   5. hard interlocks on the drives: pump stopped below pump_min_level_mm or with
 *      bath_sc_temp below pump_freeze_c (a broken bath_sc thermocouple counts as frozen,
 *      a broken roof thermocouple as roof HH: fail-safe), tap closed at the heel;
 *   6. drives ramp to their demands, doors travel, the pusher strokes (before step 4 in
 *      the code, so a door that starts to open drops the firing in the same scan);
 *   7. physics for dt; sensors: y += (x - y)(1 - exp(-dt / tc_lag)), reading = y + drift
 *      offset + N(0, noise_k) from a splitmix64 generator held in the struct;
 *   8. afterburning air (the burners' O2 trim): the burners run at a fixed air ratio, and
 *      the pyrolysis gas that comes over from the SC burns in the HC as well, so the PLC
 *      adds air on the measured flue O2, integral action only (the O2 follows the air at
 *      once, and a proportional kick on a noisy analyser only rattles the air valve):
 *        a = clamp(a + rate (o2_sp - O2) dt, 0, afterburn_max)
 *      from its own fan, sized for the largest pyrolysis gas flow (afterburn_max % of the
 *      burners' full-fire air), so it does not take the burners' air;
 *      no air proven (air_low, E-stop) -> a = 0: then the O2 falls as the pyrolysis gas
 *      takes what the burners' air leaves.
 */
#include "sim_plc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plc_contract.h"

static const struct splc_params splc_defaults = {
    .watchdog_s = 5.0,
    .purge_s = 60.0,
    .ignition_s = 10.0,
    .flame_detect_s = 3.0,
    .low_fire_pct = 10.0,
    .firing_rate_pct_s = 5.0,
    .pump_rate_pct_s = 10.0,
    .fan_rate_pct_s = 5.0,
    .damper_rate_pct_s = 10.0,
    .door_travel_s = 8.0,
    .pusher_stroke_s = 40.0,
    .pump_min_level_mm = 350.0,
    .pump_freeze_c = 680.0,
    .heel_kg = 25000.0,
    .roof_hh_c = 1250.0,
    .gas_supply_mbar = 300.0,
    .gas_min_mbar = 150.0,
    .gas_low_mbar = 60.0,
    .gas_lhv_mj_nm3 = 36.0,
    .tc_lag_s = 10.0,
    .noise_k = 0.5,
    .seed = 1,
    .charge_organics = 0.03,
    .charge_moisture = 0.0,
    .charge_temp_c = 25.0,
    .charge_hv_mj_kg = 0.0,
    .o2_trim_sp_pct = 2.0,
    .o2_trim_rate = 1.0,
    .afterburn_max_pct = 100.0,
};

static const char *const tc_names[SPLC_TC_COUNT] = {
    [SPLC_TC_HC_GAS] = "hc_gas_temp",   [SPLC_TC_ROOF] = "roof_temp",
    [SPLC_TC_BATH_HC] = "bath_hc_temp", [SPLC_TC_BATH_SC] = "bath_sc_temp",
    [SPLC_TC_SC_GAS] = "sc_gas_temp",   [SPLC_TC_FLUE] = "flue_temp",
    [SPLC_TC_SCRAP] = "scrap_temp",
};

#define CHARGE_MIN_ARG 100 /* 1 t in 10 kg */
#define CHARGE_MAX_ARG 500 /* 5 t */

/* ---- small helpers --------------------------------------------------------- */

static double clampd(double v, double lo, double hi)
{
    if (!(v >= lo))
        return lo;
    return v > hi ? hi : v;
}

static double ramp(double x, double target, double rate, double dt)
{
    double d = target - x, m = rate * dt;
    if (fabs(d) <= m)
        return target;
    return x + (d > 0 ? m : -m);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double rng_unit(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller, the second value kept for the next call). */
static double gauss(struct splc *plc)
{
    if (plc->has_spare) {
        plc->has_spare = false;
        return plc->gauss_spare;
    }
    double r = sqrt(-2.0 * log(rng_unit(&plc->rng)));
    double a = 6.283185307179586 * rng_unit(&plc->rng);
    plc->gauss_spare = r * sin(a);
    plc->has_spare = true;
    return r * cos(a);
}

static bool doors_closed(const struct splc *plc)
{
    return plc->sc_door <= 0 && plc->hc_door <= 0;
}
static bool gas_ok(const struct splc *plc)
{
    return !plc->faults.gas_low;
}
static bool air_ok(const struct splc *plc)
{
    return !plc->faults.air_low && !plc->estop_latched;
}

static bool level_low(const struct splc *plc)
{
    return plc->level_meas < plc->prm.pump_min_level_mm;
}

static bool metal_frozen(const struct splc *plc)
{
    return plc->faults.tc_broken[SPLC_TC_BATH_SC] ||
           plc->tc_meas[SPLC_TC_BATH_SC] < plc->prm.pump_freeze_c;
}

static bool at_heel(const struct splc *plc)
{
    return phys_metal_kg(&plc->phys) <= plc->prm.heel_kg;
}

static bool roof_hh(const struct splc *plc)
{
    return plc->faults.tc_broken[SPLC_TC_ROOF] || plc->tc_meas[SPLC_TC_ROOF] >= plc->prm.roof_hh_c;
}

static int free_hearth_slots(const struct splc *plc)
{
    int n = 0;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        n += plc->phys.hearth[i].metal_kg <= 0;
    return n;
}

static uint16_t interlock_bits(const struct splc *plc)
{
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (!doors_closed(plc))
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (!gas_ok(plc))
        b |= PLC_IL_GAS_PRESSURE;
    if (!air_ok(plc))
        b |= PLC_IL_AIR_PRESSURE;
    if (plc->bms == SPLC_BMS_LOCKOUT)
        b |= PLC_IL_LOCKOUT;
    if (plc->wd_tripped)
        b |= PLC_IL_WATCHDOG;
    if (level_low(plc))
        b |= PLC_IL_LEVEL_LOW;
    if (metal_frozen(plc))
        b |= PLC_IL_METAL_FROZEN;
    if (at_heel(plc))
        b |= PLC_IL_HEEL;
    if (roof_hh(plc))
        b |= PLC_IL_ROOF_HH;
    return (uint16_t)b;
}

/* ---- commands --------------------------------------------------------------- */

static uint16_t cmd_burner_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || !doors_closed(plc) || plc->bms == SPLC_BMS_LOCKOUT || !gas_ok(plc))
        return PLC_RES_INTERLOCK;
    if (plc->bms == SPLC_BMS_OFF) {
        plc->bms = SPLC_BMS_PREPURGE;
        plc->bms_timer_s = plc->prm.purge_s;
    }
    return PLC_RES_OK;
}

static uint16_t cmd_burner_stop(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->bms != SPLC_BMS_LOCKOUT)
        plc->bms = SPLC_BMS_OFF;
    return PLC_RES_OK;
}

static uint16_t cmd_lockout_reset(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched)
        return PLC_RES_INTERLOCK;
    if (plc->bms == SPLC_BMS_LOCKOUT)
        plc->bms = SPLC_BMS_OFF;
    plc->flame_failed = false;
    return PLC_RES_OK;
}

static uint16_t door_cmd(struct splc *plc, bool *opening, bool open)
{
    if (plc->estop_latched)
        return PLC_RES_INTERLOCK;
    if (open && opening == &plc->sc_door_opening && plc->pusher_dir != 0)
        return PLC_RES_BUSY;
    *opening = open;
    return PLC_RES_OK;
}

static uint16_t cmd_sc_door_open(struct splc *plc, uint16_t arg)
{
    (void)arg;
    return door_cmd(plc, &plc->sc_door_opening, true);
}

static uint16_t cmd_sc_door_close(struct splc *plc, uint16_t arg)
{
    (void)arg;
    return door_cmd(plc, &plc->sc_door_opening, false);
}

static uint16_t cmd_hc_door_open(struct splc *plc, uint16_t arg)
{
    (void)arg;
    return door_cmd(plc, &plc->hc_door_opening, true);
}

static uint16_t cmd_hc_door_close(struct splc *plc, uint16_t arg)
{
    (void)arg;
    return door_cmd(plc, &plc->hc_door_opening, false);
}

static uint16_t cmd_pump_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || level_low(plc) || metal_frozen(plc) || plc->faults.pump_trip)
        return PLC_RES_INTERLOCK;
    plc->pump_on = true;
    return PLC_RES_OK;
}

static uint16_t cmd_pump_stop(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->pump_on = false;
    return PLC_RES_OK;
}

static uint16_t cmd_fan_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || plc->faults.fan_trip)
        return PLC_RES_INTERLOCK;
    plc->fan_on = true;
    return PLC_RES_OK;
}

static uint16_t cmd_fan_stop(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->fan_on = false;
    return PLC_RES_OK;
}

static uint16_t cmd_charge(struct splc *plc, uint16_t arg)
{
    if (arg < CHARGE_MIN_ARG || arg > CHARGE_MAX_ARG)
        return PLC_RES_INVALID;
    if (plc->estop_latched || plc->sc_door < 1.0)
        return PLC_RES_INTERLOCK;
    if (plc->pusher_dir != 0 || free_hearth_slots(plc) == 0)
        return PLC_RES_BUSY;
    const struct splc_faults *f = &plc->faults;
    double org = f->heavy_organics > 0 ? f->heavy_organics : plc->charge_organics;
    double wet = f->wet_charge > 0 ? f->wet_charge : plc->charge_moisture;
    if (phys_charge(&plc->phys, &plc->phys_prm, arg * 10.0, plc->charge_temp_c, org, wet,
                    plc->charge_hv_mj_kg) != 0)
        return PLC_RES_INVALID;
    return PLC_RES_OK;
}

static uint16_t cmd_push(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || plc->sc_door > 0)
        return PLC_RES_INTERLOCK;
    if (plc->pusher_dir != 0)
        return PLC_RES_BUSY;
    plc->pusher_dir = 1;
    return PLC_RES_OK;
}

static uint16_t cmd_tap_open(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || at_heel(plc))
        return PLC_RES_INTERLOCK;
    plc->tap_open = true;
    return PLC_RES_OK;
}

static uint16_t cmd_tap_close(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->tap_open = false;
    return PLC_RES_OK;
}

/* Accepted only while tripped is handled in command(); untripped it is a no-op. */
static uint16_t cmd_watchdog_reset(struct splc *plc, uint16_t arg)
{
    (void)plc;
    (void)arg;
    return PLC_RES_OK;
}

static uint16_t cmd_estop_reset(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->faults.estop)
        return PLC_RES_INTERLOCK;
    plc->estop_latched = false;
    return PLC_RES_OK;
}

typedef uint16_t (*splc_cmd_fn)(struct splc *, uint16_t);

static const splc_cmd_fn cmd_table[PLC_CMD_COUNT] = {
    [PLC_CMD_BURNER_START] = cmd_burner_start,
    [PLC_CMD_BURNER_STOP] = cmd_burner_stop,
    [PLC_CMD_LOCKOUT_RESET] = cmd_lockout_reset,
    [PLC_CMD_SC_DOOR_OPEN] = cmd_sc_door_open,
    [PLC_CMD_SC_DOOR_CLOSE] = cmd_sc_door_close,
    [PLC_CMD_HC_DOOR_OPEN] = cmd_hc_door_open,
    [PLC_CMD_HC_DOOR_CLOSE] = cmd_hc_door_close,
    [PLC_CMD_PUMP_START] = cmd_pump_start,
    [PLC_CMD_PUMP_STOP] = cmd_pump_stop,
    [PLC_CMD_FAN_START] = cmd_fan_start,
    [PLC_CMD_FAN_STOP] = cmd_fan_stop,
    [PLC_CMD_CHARGE] = cmd_charge,
    [PLC_CMD_PUSH] = cmd_push,
    [PLC_CMD_TAP_OPEN] = cmd_tap_open,
    [PLC_CMD_TAP_CLOSE] = cmd_tap_close,
    [PLC_CMD_WATCHDOG_RESET] = cmd_watchdog_reset,
    [PLC_CMD_ESTOP_RESET] = cmd_estop_reset,
};

/* Act on one command.  Unknown codes are INVALID whatever the state; with the watchdog
 * tripped everything else is BUSY except a reset after the heartbeat came back. */
static uint16_t command(struct splc *plc, uint16_t code, uint16_t arg)
{
    if (code >= PLC_CMD_COUNT || !cmd_table[code])
        return PLC_RES_INVALID;
    if (plc->wd_tripped) {
        if (code != PLC_CMD_WATCHDOG_RESET || !plc->hb_back)
            return PLC_RES_BUSY;
        plc->wd_tripped = false;
        plc->hb_back = false;
        plc->hb_age_s = 0;
        return PLC_RES_OK;
    }
    return cmd_table[code](plc, arg);
}

/* ---- the scan ------------------------------------------------------------------ */

static void watchdog(struct splc *plc, uint16_t hb, double dt)
{
    if (!plc->hb_known) {
        plc->hb_known = true;
        plc->hb_last = hb;
        return;
    }
    if (hb != plc->hb_last) {
        plc->hb_last = hb;
        plc->hb_age_s = 0;
        plc->wd_armed = true;
        if (plc->wd_tripped)
            plc->hb_back = true;
        return;
    }
    if (!plc->wd_armed)
        return;
    plc->hb_age_s += dt;
    if (plc->hb_age_s >= plc->prm.watchdog_s) {
        plc->wd_tripped = true;
        plc->hb_back = false;
    }
}

static void estop(struct splc *plc)
{
    if (plc->faults.estop)
        plc->estop_latched = true;
    if (!plc->estop_latched)
        return;
    if (plc->bms != SPLC_BMS_LOCKOUT)
        plc->bms = SPLC_BMS_OFF;
    plc->pump_on = plc->fan_on = plc->tap_open = false;
}

static void burner(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    bool lit_ok = gas_ok(plc) && air_ok(plc);
    switch (plc->bms) {
    case SPLC_BMS_PREPURGE:
        if (air_ok(plc))
            plc->bms_timer_s -= dt;
        if (plc->bms_timer_s <= 0) {
            plc->bms = SPLC_BMS_IGNITION;
            plc->bms_timer_s = 0;
        }
        break;
    case SPLC_BMS_IGNITION:
        plc->bms_timer_s += dt;
        if (!lit_ok) {
            plc->bms = SPLC_BMS_LOCKOUT;
        } else if (plc->bms_timer_s >= p->flame_detect_s && !plc->faults.flame_failure) {
            plc->bms = SPLC_BMS_FIRING;
            plc->firing = p->low_fire_pct;
        } else if (plc->bms_timer_s >= p->ignition_s) {
            plc->bms = SPLC_BMS_LOCKOUT;
            plc->flame_failed = true;
        }
        break;
    case SPLC_BMS_FIRING:
        if (!lit_ok || plc->faults.flame_failure) {
            plc->bms = SPLC_BMS_LOCKOUT;
            plc->flame_failed = plc->flame_failed || lit_ok;
        }
        break;
    case SPLC_BMS_OFF:
    case SPLC_BMS_LOCKOUT:
        break;
    }
    if (plc->bms != SPLC_BMS_FIRING) {
        plc->firing = p->low_fire_pct;
        return;
    }
    double target = clampd(in->firing_demand, p->low_fire_pct, 100.0);
    plc->firing = ramp(plc->firing, target, p->firing_rate_pct_s, dt);
    if (!doors_closed(plc) || plc->wd_tripped || roof_hh(plc))
        plc->firing = fmin(plc->firing, p->low_fire_pct);
}

static void drives(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    if (plc->pump_on && (level_low(plc) || metal_frozen(plc) || plc->faults.pump_trip))
        plc->pump_on = false;
    if (plc->fan_on && plc->faults.fan_trip)
        plc->fan_on = false;
    if (plc->tap_open && at_heel(plc))
        plc->tap_open = false;
    double pump = plc->pump_on ? clampd(in->pump_demand, 0, 100) : 0;
    double fan = plc->fan_on ? clampd(in->fan_demand, 0, 100) : 0;
    plc->pump_speed = ramp(plc->pump_speed, pump, p->pump_rate_pct_s, dt);
    plc->fan_speed = ramp(plc->fan_speed, fan, p->fan_rate_pct_s, dt);
    plc->damper = ramp(plc->damper, clampd(in->damper_demand, 0, 100), p->damper_rate_pct_s, dt);
    if (plc->estop_latched)
        return;
    double travel = p->door_travel_s > 0 ? dt / p->door_travel_s : 1.0;
    if (!plc->faults.sc_door_stuck)
        plc->sc_door = clampd(plc->sc_door + (plc->sc_door_opening ? travel : -travel), 0, 1);
    if (!plc->faults.hc_door_stuck)
        plc->hc_door = clampd(plc->hc_door + (plc->hc_door_opening ? travel : -travel), 0, 1);
    if (plc->pusher_dir != 0) {
        double half = p->pusher_stroke_s > 0 ? p->pusher_stroke_s / 2 : dt;
        plc->pusher += plc->pusher_dir * dt / half;
        if (plc->pusher_dir > 0 && plc->pusher >= 1.0) {
            plc->pusher = 1.0;
            plc->pusher_dir = -1;
            phys_push(&plc->phys, &plc->phys_prm);
        } else if (plc->pusher_dir < 0 && plc->pusher <= 0) {
            plc->pusher = 0;
            plc->pusher_dir = 0;
        }
    }
}

static void tc_true(const struct splc *plc, double t[SPLC_TC_COUNT])
{
    const struct phys_state *s = &plc->phys;
    t[SPLC_TC_HC_GAS] = s->hc_gas_c;
    t[SPLC_TC_ROOF] = s->roof_c;
    t[SPLC_TC_BATH_HC] = s->bath_hc_c;
    t[SPLC_TC_BATH_SC] = s->bath_sc_c;
    t[SPLC_TC_SC_GAS] = s->sc_gas_c;
    t[SPLC_TC_FLUE] = s->flue_c;
    t[SPLC_TC_SCRAP] = phys_scrap_surface_c(s);
}

/* Every scan draws the same number of random values, whatever is broken, so faults do not
 * shift the noise of the other sensors. */
static void sensors(struct splc *plc, double dt)
{
    double t[SPLC_TC_COUNT];
    tc_true(plc, t);
    double a = plc->prm.tc_lag_s > 0 ? 1.0 - exp(-dt / plc->prm.tc_lag_s) : 1.0;
    for (int i = 0; i < SPLC_TC_COUNT; i++) {
        plc->tc_lagged[i] += (t[i] - plc->tc_lagged[i]) * a;
        plc->tc_offset[i] += plc->faults.tc_drift_k_min[i] / 60.0 * dt;
        plc->tc_meas[i] = plc->tc_lagged[i] + plc->tc_offset[i] + plc->prm.noise_k * gauss(plc);
    }
    const struct phys_state *s = &plc->phys;
    plc->o2_meas = fmax(0, s->o2_pct + 0.03 * gauss(plc));
    plc->co_meas = fmax(0, s->co_ppm + 3.0 * gauss(plc));
    plc->pressure_meas = s->pressure_pa + 0.2 * gauss(plc);
    plc->level_meas = fmax(0, s->level_mm + 0.5 * gauss(plc));
}

static void sensors_exact(struct splc *plc)
{
    double t[SPLC_TC_COUNT];
    tc_true(plc, t);
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        plc->tc_lagged[i] = plc->tc_meas[i] = t[i];
    plc->o2_meas = plc->phys.o2_pct;
    plc->co_meas = plc->phys.co_ppm;
    plc->pressure_meas = plc->phys.pressure_pa;
    plc->level_meas = plc->phys.level_mm;
}

/* The O2 trim for the next scan (see the top of the file). */
static void air_trim(struct splc *plc, double dt)
{
    const struct splc_params *p = &plc->prm;
    if (!air_ok(plc)) {
        plc->afterburn = 0;
        return;
    }
    double e = p->o2_trim_sp_pct - plc->o2_meas;
    plc->afterburn = clampd(plc->afterburn + p->o2_trim_rate * e * dt, 0, p->afterburn_max_pct);
}

void splc_params_default(struct splc_params *p)
{
    *p = splc_defaults;
}

void splc_params_from_cfg(struct splc_params *p, struct phys_params *pp, const struct cfg *c)
{
    splc_params_default(p);
    const struct cfg_sim *s = &c->sim;
    if (s->watchdog_s > 0)
        p->watchdog_s = s->watchdog_s;
    if (s->purge_s >= 0)
        p->purge_s = s->purge_s;
    if (s->ignition_s > 0)
        p->ignition_s = s->ignition_s;
    if (s->noise_k >= 0)
        p->noise_k = s->noise_k;
    if (s->tc_lag_s >= 0)
        p->tc_lag_s = s->tc_lag_s;
    if (s->pump_min_level_mm > 0)
        p->pump_min_level_mm = s->pump_min_level_mm;
    if (s->pump_freeze_c > 0)
        p->pump_freeze_c = s->pump_freeze_c;
    p->seed = s->seed;
    if (c->furnace.heel_t > 0)
        p->heel_kg = c->furnace.heel_t * 1000.0;
    if (c->furnace.low_fire_pct > 0)
        p->low_fire_pct = c->furnace.low_fire_pct;
    if (pp) {
        phys_params_default(pp);
        if (c->furnace.burner_mw > 0)
            pp->burner_mw = c->furnace.burner_mw;
    }
}

void splc_init(struct splc *plc, const struct splc_params *p, const struct phys_params *pp,
               bool cold)
{
    memset(plc, 0, sizeof *plc);
    plc->prm = *p;
    plc->phys_prm = *pp;
    plc->rng = (uint64_t)p->seed * 0x2545F4914F6CDD1Dull + 1;
    plc->charge_organics = p->charge_organics;
    plc->charge_moisture = p->charge_moisture;
    plc->charge_temp_c = p->charge_temp_c;
    plc->charge_hv_mj_kg = p->charge_hv_mj_kg;
    plc->damper = 50.0;
    plc->firing = p->low_fire_pct;
    if (cold) {
        phys_init_cold(&plc->phys, pp);
        plc->bms = SPLC_BMS_OFF;
    } else {
        phys_init_hot(&plc->phys, pp);
        plc->bms = SPLC_BMS_FIRING;
        plc->firing = clampd(phys_hold_firing_pct(pp), p->low_fire_pct, 100);
        plc->pump_on = plc->fan_on = true;
        plc->pump_speed = 30.0;
        plc->fan_speed = pp->hold_fan_pct;
    }
    sensors_exact(plc);
    plc->interlocks = interlock_bits(plc);
}

void splc_in_initial(const struct splc *plc, struct splc_in *in)
{
    memset(in, 0, sizeof *in);
    in->firing_demand = plc->bms == SPLC_BMS_FIRING ? plc->firing : 0;
    in->pump_demand = plc->pump_speed;
    in->fan_demand = plc->fan_speed;
    in->damper_demand = plc->damper;
    in->cmd_seq = plc->last_seq;
}

void splc_step(struct splc *plc, const struct splc_in *in, struct splc_out *out, double dt)
{
    if (!(dt >= 0) || !isfinite(dt))
        dt = 0;
    plc->clock_s += dt;
    plc->heartbeat++;
    watchdog(plc, in->console_heartbeat, dt);
    estop(plc);
    if (in->cmd_seq != plc->last_seq) {
        plc->last_seq = in->cmd_seq;
        plc->result = command(plc, in->cmd_code, in->cmd_arg);
        plc->ack_seq = in->cmd_seq;
        estop(plc);
    }
    drives(plc, in, dt);
    burner(plc, in, dt);
    struct phys_in pi = {
        .firing_pct = plc->bms == SPLC_BMS_FIRING ? plc->firing : 0,
        .flame_on = plc->bms == SPLC_BMS_FIRING,
        .pump_pct = plc->pump_speed,
        .fan_pct = plc->fan_speed,
        .damper_pct = plc->damper,
        .sc_door_open = plc->sc_door,
        .hc_door_open = plc->hc_door,
        .tap_open = plc->tap_open,
        .afterburn_pct = plc->afterburn,
    };
    phys_step(&plc->phys, &plc->phys_prm, &pi, dt);
    if (plc->tap_open && at_heel(plc))
        plc->tap_open = false;
    if (dt > 0) {
        sensors(plc, dt);
        air_trim(plc, dt);
    }
    plc->interlocks = interlock_bits(plc);
    if (out)
        splc_output(plc, out);
}

void splc_output(const struct splc *plc, struct splc_out *out)
{
    const struct phys_state *s = &plc->phys;
    const struct splc_params *p = &plc->prm;
    double fuel = s->fuel_w / (plc->phys_prm.burner_mw * 1e6);
    memset(out, 0, sizeof *out);
    out->hc_gas_temp = plc->tc_meas[SPLC_TC_HC_GAS];
    out->roof_temp = plc->tc_meas[SPLC_TC_ROOF];
    out->bath_hc_temp = plc->tc_meas[SPLC_TC_BATH_HC];
    out->bath_sc_temp = plc->tc_meas[SPLC_TC_BATH_SC];
    out->sc_gas_temp = plc->tc_meas[SPLC_TC_SC_GAS];
    out->flue_temp = plc->tc_meas[SPLC_TC_FLUE];
    out->scrap_temp = plc->tc_meas[SPLC_TC_SCRAP];
    out->o2_pct = plc->o2_meas;
    out->co_ppm = plc->co_meas;
    out->furnace_pressure = plc->pressure_meas;
    out->gas_flow = s->fuel_w / 1e6 / p->gas_lhv_mj_nm3 * 3600.0;
    out->gas_pressure = plc->faults.gas_low ? p->gas_low_mbar : p->gas_supply_mbar - 30.0 * fuel;
    out->firing_fb = plc->bms == SPLC_BMS_FIRING ? plc->firing : 0;
    out->pump_speed_fb = plc->pump_speed;
    out->fan_speed_fb = plc->fan_speed;
    out->damper_fb = plc->damper;
    out->bath_level = plc->level_meas;
    out->bms_state = (uint16_t)plc->bms;
    out->purge_remaining = plc->bms == SPLC_BMS_PREPURGE ? ceil(plc->bms_timer_s) : 0;
    out->plc_interlocks = plc->interlocks;
    out->plc_heartbeat = plc->heartbeat;
    out->cmd_ack_seq = plc->ack_seq;
    out->cmd_result = plc->result;
    out->plc_mode = 1;
    out->plc_clock = plc->clock_s;
    out->metal_mass =
        plc->level_meas / 1000.0 * plc->phys_prm.rho_liquid * plc->phys_prm.hearth_area_m2;
    out->scrap_on_hearth = phys_hearth_kg(s);
    out->sc_door_closed = plc->sc_door <= 0;
    out->hc_door_closed = plc->hc_door <= 0;
    out->flame_on = plc->bms == SPLC_BMS_FIRING;
    out->estop_ok = !plc->estop_latched;
    out->gas_ok = gas_ok(plc);
    out->air_ok = air_ok(plc);
    out->pump_running = plc->pump_on;
    out->fan_running = plc->fan_on;
    out->tap_open = plc->tap_open;
    out->pusher_home = plc->pusher_dir == 0 && plc->pusher <= 0;
    out->bms_lockout = plc->bms == SPLC_BMS_LOCKOUT;
    out->watchdog_tripped = plc->wd_tripped;
    out->pump_trip = plc->faults.pump_trip;
    out->fan_trip = plc->faults.fan_trip;
    out->flame_failure = plc->flame_failed;
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        out->broken[i] = plc->faults.tc_broken[i];
}

int splc_set_charge(struct splc *plc, double organics, double moisture, double temp_c,
                    double hv_mj_kg)
{
    if (!(organics >= 0 && organics <= 0.3) || !(moisture >= 0 && moisture <= 0.3) ||
        !(temp_c >= -40 && temp_c <= 600) || !(hv_mj_kg >= 0 && hv_mj_kg <= 100))
        return -1;
    plc->charge_organics = organics;
    plc->charge_moisture = moisture;
    plc->charge_temp_c = temp_c;
    plc->charge_hv_mj_kg = hv_mj_kg;
    return 0;
}

/* ---- tags by name -------------------------------------------------------------- */

/* clang-format off */
#define OUT_D(name) {#name, SPLC_DOUBLE, offsetof(struct splc_out, name), -1}
#define OUT_T(name, tc) {#name, SPLC_DOUBLE, offsetof(struct splc_out, name), tc}
#define OUT_U(name) {#name, SPLC_U16, offsetof(struct splc_out, name), -1}
#define OUT_B(name) {#name, SPLC_BOOL, offsetof(struct splc_out, name), -1}
#define IN_D(name) {#name, SPLC_DOUBLE, offsetof(struct splc_in, name), -1}
#define IN_U(name) {#name, SPLC_U16, offsetof(struct splc_in, name), -1}
/* clang-format on */

const struct splc_field splc_out_fields[] = {
    OUT_T(hc_gas_temp, SPLC_TC_HC_GAS),
    OUT_T(roof_temp, SPLC_TC_ROOF),
    OUT_T(bath_hc_temp, SPLC_TC_BATH_HC),
    OUT_T(bath_sc_temp, SPLC_TC_BATH_SC),
    OUT_T(sc_gas_temp, SPLC_TC_SC_GAS),
    OUT_T(flue_temp, SPLC_TC_FLUE),
    OUT_T(scrap_temp, SPLC_TC_SCRAP),
    OUT_D(o2_pct),
    OUT_D(co_ppm),
    OUT_D(furnace_pressure),
    OUT_D(gas_flow),
    OUT_D(gas_pressure),
    OUT_D(firing_fb),
    OUT_D(pump_speed_fb),
    OUT_D(fan_speed_fb),
    OUT_D(damper_fb),
    OUT_D(bath_level),
    OUT_U(bms_state),
    OUT_D(purge_remaining),
    OUT_U(plc_interlocks),
    OUT_U(plc_heartbeat),
    OUT_U(cmd_ack_seq),
    OUT_U(cmd_result),
    OUT_U(plc_mode),
    OUT_D(plc_clock),
    OUT_D(metal_mass),
    OUT_D(scrap_on_hearth),
    OUT_B(sc_door_closed),
    OUT_B(hc_door_closed),
    OUT_B(flame_on),
    OUT_B(estop_ok),
    OUT_B(gas_ok),
    OUT_B(air_ok),
    OUT_B(pump_running),
    OUT_B(fan_running),
    OUT_B(tap_open),
    OUT_B(pusher_home),
    OUT_B(bms_lockout),
    OUT_B(watchdog_tripped),
    OUT_B(pump_trip),
    OUT_B(fan_trip),
    OUT_B(flame_failure),
};
const size_t splc_out_nfields = sizeof splc_out_fields / sizeof splc_out_fields[0];

const struct splc_field splc_in_fields[] = {
    IN_D(firing_demand), IN_D(pump_demand), IN_D(fan_demand), IN_D(damper_demand),
    IN_U(cmd_code),      IN_U(cmd_arg),     IN_U(cmd_seq),    IN_U(console_heartbeat),
};
const size_t splc_in_nfields = sizeof splc_in_fields / sizeof splc_in_fields[0];

static const struct splc_field *field_find(const struct splc_field *f, size_t n, const char *tag)
{
    for (size_t i = 0; tag && i < n; i++)
        if (strcmp(f[i].tag, tag) == 0)
            return &f[i];
    return NULL;
}

int splc_out_get(const struct splc_out *o, const char *tag, double *v, bool *broken)
{
    const struct splc_field *f = field_find(splc_out_fields, splc_out_nfields, tag);
    if (!f)
        return -1;
    const char *base = (const char *)o + f->off;
    double x = 0;
    switch (f->kind) {
    case SPLC_DOUBLE:
        memcpy(&x, base, sizeof x);
        break;
    case SPLC_U16: {
        uint16_t u;
        memcpy(&u, base, sizeof u);
        x = u;
        break;
    }
    case SPLC_BOOL: {
        bool b;
        memcpy(&b, base, sizeof b);
        x = b;
        break;
    }
    }
    if (v)
        *v = x;
    if (broken)
        *broken = f->tc >= 0 && o->broken[f->tc];
    return 0;
}

int splc_in_set(struct splc_in *in, const char *tag, double v)
{
    const struct splc_field *f = field_find(splc_in_fields, splc_in_nfields, tag);
    if (!f || !isfinite(v))
        return -1;
    char *base = (char *)in + f->off;
    if (f->kind == SPLC_DOUBLE) {
        memcpy(base, &v, sizeof v);
    } else {
        uint16_t u = (uint16_t)((long long)llround(fmod(v, 65536.0)) & 0xFFFF);
        memcpy(base, &u, sizeof u);
    }
    return 0;
}

/* ---- faults -------------------------------------------------------------------- */

enum fault_id {
    F_TC_BROKEN,
    F_TC_DRIFT,
    F_FLAME_FAILURE,
    F_GAS_LOW,
    F_AIR_LOW,
    F_PUMP_TRIP,
    F_FAN_TRIP,
    F_DOOR_STUCK,
    F_WET_CHARGE,
    F_HEAVY_ORGANICS,
    F_ESTOP,
    F_CLEAR,
    F_COUNT
};

const struct splc_fault_desc splc_faults[] = {
    [F_TC_BROKEN] = {"tc_broken", "TC", NULL, 0, 0,
                     "thermocouple TC reads the broken-sensor sentinel"},
    [F_TC_DRIFT] = {"tc_drift", "TC", "K/min", -100, 100,
                    "thermocouple TC drifts by VALUE K per minute"},
    [F_FLAME_FAILURE] = {"flame_failure", NULL, NULL, 0, 0,
                         "the flame scanner loses the flame: lockout; ignition fails"},
    [F_GAS_LOW] = {"gas_low", NULL, NULL, 0, 0, "gas supply pressure low: lockout if lit"},
    [F_AIR_LOW] = {"air_low", NULL, NULL, 0, 0,
                   "combustion air not proven: lockout if lit, purge paused"},
    [F_PUMP_TRIP] = {"pump_trip", NULL, NULL, 0, 0, "metal pump trips and cannot restart"},
    [F_FAN_TRIP] = {"fan_trip", NULL, NULL, 0, 0, "recirculation fan trips and cannot restart"},
    [F_DOOR_STUCK] = {"door_stuck", "sc|hc", NULL, 0, 0, "the door stops where it is"},
    [F_WET_CHARGE] = {"wet_charge", NULL, "moisture share", 0.001, 0.3,
                      "next charges carry VALUE of their mass as water"},
    [F_HEAVY_ORGANICS] = {"heavy_organics", NULL, "organics share", 0.001, 0.3,
                          "next charges carry VALUE of their mass as organics"},
    [F_ESTOP] = {"estop", NULL, NULL, 0, 0, "the E-stop button is pressed"},
    [F_CLEAR] = {"clear", "[FAULT]", NULL, 0, 0, "clear one fault, or all without a name"},
};
const size_t splc_nfaults = sizeof splc_faults / sizeof splc_faults[0];

const char *splc_tc_name(enum splc_tc tc)
{
    return (unsigned)tc < SPLC_TC_COUNT ? tc_names[tc] : "?";
}

int splc_tc_from_name(const char *tag)
{
    for (int i = 0; tag && i < SPLC_TC_COUNT; i++)
        if (strcmp(tc_names[i], tag) == 0)
            return i;
    return -1;
}

static int fault_from_name(const char *name)
{
    for (int i = 0; name && i < F_COUNT; i++)
        if (strcasecmp(splc_faults[i].name, name) == 0)
            return i;
    return -1;
}

static void clear_fault(struct splc *plc, int id)
{
    struct splc_faults *f = &plc->faults;
    switch (id) {
    case F_TC_BROKEN:
        memset(f->tc_broken, 0, sizeof f->tc_broken);
        break;
    case F_TC_DRIFT:
        memset(f->tc_drift_k_min, 0, sizeof f->tc_drift_k_min);
        memset(plc->tc_offset, 0, sizeof plc->tc_offset);
        break;
    case F_FLAME_FAILURE:
        f->flame_failure = false;
        break;
    case F_GAS_LOW:
        f->gas_low = false;
        break;
    case F_AIR_LOW:
        f->air_low = false;
        break;
    case F_PUMP_TRIP:
        f->pump_trip = false;
        break;
    case F_FAN_TRIP:
        f->fan_trip = false;
        break;
    case F_DOOR_STUCK:
        f->sc_door_stuck = f->hc_door_stuck = false;
        break;
    case F_WET_CHARGE:
        f->wet_charge = 0;
        break;
    case F_HEAVY_ORGANICS:
        f->heavy_organics = 0;
        break;
    case F_ESTOP:
        f->estop = false;
        break;
    default:
        for (int i = 0; i < F_CLEAR; i++)
            clear_fault(plc, i);
        break;
    }
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define TC_LIST                                                                                    \
    "hc_gas_temp, roof_temp, bath_hc_temp, bath_sc_temp, sc_gas_temp, "                            \
    "flue_temp or scrap_temp"

int splc_fault(struct splc *plc, const char *name, const char *target, double value, char *err,
               size_t errlen)
{
    int id = fault_from_name(name);
    if (id < 0)
        return fail(err, errlen,
                    "unknown fault \"%s\": expected tc_broken, tc_drift, flame_failure, "
                    "gas_low, air_low, pump_trip, fan_trip, door_stuck, wet_charge, "
                    "heavy_organics, estop or clear",
                    name ? name : "");
    const struct splc_fault_desc *d = &splc_faults[id];
    bool has_target = target && *target;
    if (!d->target && has_target)
        return fail(err, errlen, "%s takes no target (got \"%s\")", d->name, target);
    if (d->value && !(value >= d->vmin && value <= d->vmax)) {
        char range[64];
        snprintf(range, sizeof range, "%g..%g", d->vmin, d->vmax);
        return fail(err, errlen, "%s needs a value (%s) in %s", d->name, d->value, range);
    }
    struct splc_faults *f = &plc->faults;
    int tc = -1;
    if (id == F_TC_BROKEN || id == F_TC_DRIFT) {
        tc = splc_tc_from_name(target);
        if (tc < 0)
            return fail(err, errlen, "%s: unknown thermocouple \"%s\": expected " TC_LIST, d->name,
                        has_target ? target : "");
    }
    switch (id) {
    case F_TC_BROKEN:
        f->tc_broken[tc] = true;
        break;
    case F_TC_DRIFT:
        f->tc_drift_k_min[tc] = value;
        break;
    case F_FLAME_FAILURE:
        f->flame_failure = true;
        break;
    case F_GAS_LOW:
        f->gas_low = true;
        break;
    case F_AIR_LOW:
        f->air_low = true;
        break;
    case F_PUMP_TRIP:
        f->pump_trip = true;
        break;
    case F_FAN_TRIP:
        f->fan_trip = true;
        break;
    case F_DOOR_STUCK:
        if (has_target && strcasecmp(target, "sc") == 0)
            f->sc_door_stuck = true;
        else if (has_target && strcasecmp(target, "hc") == 0)
            f->hc_door_stuck = true;
        else
            return fail(err, errlen, "%s: unknown door \"%s\": expected sc or hc", d->name,
                        has_target ? target : "");
        break;
    case F_WET_CHARGE:
        f->wet_charge = value;
        break;
    case F_HEAVY_ORGANICS:
        f->heavy_organics = value;
        break;
    case F_ESTOP:
        f->estop = true;
        break;
    case F_CLEAR: {
        int which = has_target ? fault_from_name(target) : F_CLEAR;
        if (which < 0 || (has_target && which == F_CLEAR))
            return fail(err, errlen, "clear: unknown fault \"%s\"", target);
        clear_fault(plc, which);
        break;
    }
    default:
        break;
    }
    return 0;
}

static void add(char *buf, size_t len, size_t *used, const char *a, const char *b)
{
    if (*used >= len)
        return;
    int n = snprintf(buf + *used, len - *used, "%s%s%s%s", *used ? ", " : "", a, b ? " " : "",
                     b ? b : "");
    if (n > 0)
        *used += (size_t)n < len - *used ? (size_t)n : len - *used;
}

void splc_fault_describe(const struct splc *plc, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    const struct splc_faults *f = &plc->faults;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        if (f->tc_broken[i])
            add(buf, len, &used, "tc_broken", tc_names[i]);
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        if (f->tc_drift_k_min[i] != 0)
            add(buf, len, &used, "tc_drift", tc_names[i]);
    const struct {
        bool on;
        const char *name, *arg;
    } flags[] = {
        {f->flame_failure, "flame_failure", NULL},
        {f->gas_low, "gas_low", NULL},
        {f->air_low, "air_low", NULL},
        {f->pump_trip, "pump_trip", NULL},
        {f->fan_trip, "fan_trip", NULL},
        {f->sc_door_stuck, "door_stuck", "sc"},
        {f->hc_door_stuck, "door_stuck", "hc"},
        {f->wet_charge > 0, "wet_charge", NULL},
        {f->heavy_organics > 0, "heavy_organics", NULL},
        {f->estop, "estop", NULL},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].on)
            add(buf, len, &used, flags[i].name, flags[i].arg);
    if (used == 0)
        snprintf(buf, len, "none");
}
