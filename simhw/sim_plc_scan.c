/* sim_plc_scan — the stages of a PLC scan and the interlock conditions they share with the
 * commands: watchdog, E-stop, burner management, the drives with their hard interlocks, the
 * sensors (lag, drift, noise) and the O2 trim.  The order of a scan and what each stage
 * does are at the top of sim_plc.c; splc_step() there calls these in that order.
 */
#include <math.h>

#include "plc_contract.h"
#include "sim_plc_priv.h"

/* ---- small helpers --------------------------------------------------------- */

double splc_clampd(double v, double lo, double hi)
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

/* ---- interlock conditions ------------------------------------------------------ */

bool splc_doors_closed(const struct splc *plc)
{
    return plc->sc_door <= 0 && plc->hc_door <= 0;
}
bool splc_gas_ok(const struct splc *plc)
{
    return !plc->faults.gas_low;
}
bool splc_air_ok(const struct splc *plc)
{
    return !plc->faults.air_low && !plc->estop_latched;
}

bool splc_level_low(const struct splc *plc)
{
    return plc->level_meas < plc->prm.pump_min_level_mm;
}

bool splc_metal_frozen(const struct splc *plc)
{
    const double *t = plc->tc_meas;
    if (plc->faults.tc_broken[SPLC_TC_BATH_SC])
        return true;
    bool remelt = plc->prm.pump_remelt_hc_c > 0 && !plc->faults.tc_broken[SPLC_TC_BATH_HC] &&
                  t[SPLC_TC_BATH_HC] >= plc->prm.pump_remelt_hc_c &&
                  t[SPLC_TC_BATH_SC] >= plc->prm.pump_remelt_sc_c;
    return t[SPLC_TC_BATH_SC] < plc->prm.pump_freeze_c && !remelt;
}

bool splc_at_heel(const struct splc *plc)
{
    return phys_metal_kg(&plc->phys) <= plc->prm.heel_kg;
}

bool splc_roof_hh(const struct splc *plc)
{
    return plc->faults.tc_broken[SPLC_TC_ROOF] || plc->tc_meas[SPLC_TC_ROOF] >= plc->prm.roof_hh_c;
}

double splc_metal_meas_kg(const struct splc *plc)
{
    return plc->level_meas / 1000.0 * plc->phys_prm.rho_liquid * plc->phys_prm.hearth_area_m2;
}

bool splc_fuel_rich(const struct splc *plc)
{
    return plc->co_meas > plc->prm.door_co_max_ppm || plc->o2_meas < plc->prm.door_o2_min_pct;
}

bool splc_scrap_wet(const struct splc *plc)
{
    if (phys_hearth_kg(&plc->phys) <= 0)
        return false;
    return plc->since_charge_s < plc->prm.push_min_dry_s || plc->faults.tc_broken[SPLC_TC_SCRAP] ||
           !(plc->tc_meas[SPLC_TC_SCRAP] >= plc->prm.push_min_scrap_c);
}

bool splc_overfill(const struct splc *plc, double add_kg)
{
    return plc->level_meas >= plc->prm.max_level_mm ||
           splc_metal_meas_kg(plc) + phys_hearth_kg(&plc->phys) + add_kg > plc->prm.capacity_kg;
}

uint16_t splc_interlock_bits(const struct splc *plc)
{
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (!splc_doors_closed(plc))
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (!splc_gas_ok(plc))
        b |= PLC_IL_GAS_PRESSURE;
    if (!splc_air_ok(plc))
        b |= PLC_IL_AIR_PRESSURE;
    if (plc->bms == SPLC_BMS_LOCKOUT)
        b |= PLC_IL_LOCKOUT;
    if (plc->wd_tripped)
        b |= PLC_IL_WATCHDOG;
    if (splc_level_low(plc))
        b |= PLC_IL_LEVEL_LOW;
    if (splc_metal_frozen(plc))
        b |= PLC_IL_METAL_FROZEN;
    if (splc_at_heel(plc))
        b |= PLC_IL_HEEL;
    if (splc_roof_hh(plc))
        b |= PLC_IL_ROOF_HH;
    if (splc_fuel_rich(plc))
        b |= PLC_IL_FUEL_RICH;
    if (splc_scrap_wet(plc))
        b |= PLC_IL_WET_PUSH;
    if (splc_overfill(plc, 0))
        b |= PLC_IL_OVERFILL;
    if (plc->faults.pump_trip || plc->faults.fan_trip)
        b |= PLC_IL_DRIVE_TRIP;
    return (uint16_t)(b | plc->refused);
}

/* ---- the scan ------------------------------------------------------------------ */

/* Step 1: the first change of the heartbeat arms the watchdog; unchanged for watchdog_s
 * trips it.  A change after the trip marks the heartbeat back (WATCHDOG_RESET may clear). */
void splc_watchdog(struct splc *plc, uint16_t hb, double dt)
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

/* Step 2: a pressed button latches; while latched the burners are off (a lockout stays a
 * lockout), pump and fan stop and the tap closes.  Called again after a command. */
void splc_estop(struct splc *plc)
{
    if (plc->faults.estop)
        plc->estop_latched = true;
    if (!plc->estop_latched)
        return;
    if (plc->bms != SPLC_BMS_LOCKOUT)
        plc->bms = SPLC_BMS_OFF;
    plc->pump_on = plc->fan_on = plc->tap_open = false;
}

/* Standby's relight permissive: what a burner start needs (E-stop: a latched E-stop has
 * taken the burner OFF already), so a standby burner never relights with a door open, the
 * gas pressure low or the roof at its limiter; it waits in STANDBY instead. */
static bool relight_ok(const struct splc *plc)
{
    return splc_doors_closed(plc) && splc_gas_ok(plc) && !splc_roof_hh(plc);
}

/* FIRING -> STANDBY: the console's demand below standby_below_pct for standby_delay_s,
 * after standby_min_on_s of firing.  A tripped watchdog holds low fire (the demand is
 * not heard), so it never takes the flame off. */
static void standby_enter(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    plc->bms_dwell_s += dt;
    if (p->standby_below_pct > 0 && !plc->wd_tripped && in->firing_demand < p->standby_below_pct)
        plc->low_demand_s += dt;
    else
        plc->low_demand_s = 0;
    if (plc->low_demand_s >= p->standby_delay_s && plc->bms_dwell_s >= p->standby_min_on_s) {
        plc->bms = SPLC_BMS_STANDBY;
        plc->bms_dwell_s = 0;
        plc->low_demand_s = 0;
    }
}

/* STANDBY -> PREPURGE: a demand at or above low fire (a tripped watchdog counts as low
 * fire, the position it holds), after standby_min_off_s off, with relight_ok(). */
static void standby_leave(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    plc->bms_dwell_s += dt;
    double demand = plc->wd_tripped ? p->low_fire_pct : in->firing_demand;
    if (demand >= p->low_fire_pct && plc->bms_dwell_s >= p->standby_min_off_s &&
        relight_ok(plc)) {
        plc->bms = SPLC_BMS_PREPURGE;
        plc->bms_timer_s = p->purge_s;
    }
}

/* Step 4: burner management (OFF, PREPURGE, IGNITION, FIRING, LOCKOUT, STANDBY) and the
 * modulating firing position, held at low fire while a door is open, the watchdog tripped
 * or the roof at HH. */
void splc_burner(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    bool lit_ok = splc_gas_ok(plc) && splc_air_ok(plc);
    switch (plc->bms) {
    case SPLC_BMS_PREPURGE:
        if (splc_air_ok(plc))
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
            plc->bms_dwell_s = plc->low_demand_s = 0;
        } else if (plc->bms_timer_s >= p->ignition_s) {
            plc->bms = SPLC_BMS_LOCKOUT;
            plc->flame_failed = true;
        }
        break;
    case SPLC_BMS_FIRING:
        if (!lit_ok || plc->faults.flame_failure) {
            plc->bms = SPLC_BMS_LOCKOUT;
            plc->flame_failed = plc->flame_failed || lit_ok;
        } else {
            standby_enter(plc, in, dt);
        }
        break;
    case SPLC_BMS_STANDBY:
        standby_leave(plc, in, dt);
        break;
    case SPLC_BMS_OFF:
    case SPLC_BMS_LOCKOUT:
        break;
    }
    if (plc->bms != SPLC_BMS_FIRING) {
        plc->firing = p->low_fire_pct;
        return;
    }
    double target = splc_clampd(in->firing_demand, p->low_fire_pct, 100.0);
    plc->firing = ramp(plc->firing, target, p->firing_rate_pct_s, dt);
    if (!splc_doors_closed(plc) || plc->wd_tripped || splc_roof_hh(plc))
        plc->firing = fmin(plc->firing, p->low_fire_pct);
}

/* Steps 5 and 6: the hard interlocks stop the pump, fan and tap; the drives ramp to their
 * demands; doors travel and the pusher strokes unless the E-stop is latched. */
void splc_drives(struct splc *plc, const struct splc_in *in, double dt)
{
    const struct splc_params *p = &plc->prm;
    if (plc->pump_on && (splc_level_low(plc) || splc_metal_frozen(plc) || plc->faults.pump_trip))
        plc->pump_on = false;
    if (plc->fan_on && plc->faults.fan_trip)
        plc->fan_on = false;
    if (plc->tap_open && splc_at_heel(plc))
        plc->tap_open = false;
    double pump = plc->pump_on ? splc_clampd(in->pump_demand, 0, 100) : 0;
    double fan = plc->fan_on ? splc_clampd(in->fan_demand, 0, 100) : 0;
    plc->pump_speed = ramp(plc->pump_speed, pump, p->pump_rate_pct_s, dt);
    plc->fan_speed = ramp(plc->fan_speed, fan, p->fan_rate_pct_s, dt);
    plc->damper =
        ramp(plc->damper, splc_clampd(in->damper_demand, 0, 100), p->damper_rate_pct_s, dt);
    if (plc->estop_latched)
        return;
    double travel = p->door_travel_s > 0 ? dt / p->door_travel_s : 1.0;
    if (!plc->faults.sc_door_stuck)
        plc->sc_door = splc_clampd(plc->sc_door + (plc->sc_door_opening ? travel : -travel), 0, 1);
    if (!plc->faults.hc_door_stuck)
        plc->hc_door = splc_clampd(plc->hc_door + (plc->hc_door_opening ? travel : -travel), 0, 1);
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

/* Step 7: lag, drift and noise on every measurement.  Every scan draws the same number of
 * random values, whatever is broken, so faults do not shift the noise of the other sensors. */
void splc_sensors(struct splc *plc, double dt)
{
    double t[SPLC_TC_COUNT];
    tc_true(plc, t);
    for (int i = 0; i < SPLC_TC_COUNT; i++) {
        double lag = plc->prm.tc_lag_each_s[i] >= 0 ? plc->prm.tc_lag_each_s[i] : plc->prm.tc_lag_s;
        plc->tc_lagged[i] = phys_lag(plc->tc_lagged[i], t[i], lag, dt);
        plc->tc_offset[i] += plc->faults.tc_drift_k_min[i] / 60.0 * dt;
        plc->tc_meas[i] = plc->tc_lagged[i] + plc->tc_offset[i] + plc->prm.noise_k * gauss(plc);
    }
    const struct phys_state *s = &plc->phys;
    plc->o2_meas = fmax(0, s->o2_pct + 0.03 * gauss(plc));
    plc->co_meas = fmax(0, s->co_ppm + 3.0 * gauss(plc));
    plc->pressure_meas = s->pressure_pa + 0.2 * gauss(plc);
    plc->level_meas = fmax(0, s->level_mm + 0.5 * gauss(plc));
}

/* The sensors at the true values, without lag, drift or noise: the start state. */
void splc_sensors_exact(struct splc *plc)
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

/* The O2 trim for the next scan (step 8 at the top of sim_plc.c), over the console's floor
 * demand_pct (% of the fan; ignored while the watchdog is tripped). */
void splc_air_trim(struct splc *plc, double demand_pct, double dt)
{
    const struct splc_params *p = &plc->prm;
    if (!splc_air_ok(plc)) {
        plc->afterburn = 0;
        return;
    }
    double floor = 0;
    if (!plc->wd_tripped && isfinite(demand_pct))
        floor = splc_clampd(demand_pct, 0, 100) / 100.0 * p->afterburn_max_pct;
    double e = p->o2_trim_sp_pct - plc->o2_meas;
    double a = plc->afterburn > floor ? plc->afterburn : floor; /* from the air as it is */
    a = splc_clampd(a + p->o2_trim_rate * e * dt, 0, p->afterburn_max_pct);
    plc->afterburn = a > floor ? a : floor;
}
