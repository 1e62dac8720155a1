/* sim_plc — the simulated safety PLC: its parameters, its start state, one scan in order
 * (splc_step) and the inputs it reports (splc_output).  The stages of the scan are in
 * sim_plc_scan.c, the command handshake in sim_plc_cmd.c, the tag tables in
 * sim_plc_fields.c, the injected faults in sim_plc_faults.c (see sim_plc_priv.h).
 *
 * A scan, in order:
 *   1. watchdog (in wall time: dt / speed, see splc_frozen_scan too): the first change of console_heartbeat arms it; unchanged for watchdog_s
 *      trips it (low fire, PLC_IL_WATCHDOG, every command but WATCHDOG_RESET answered BUSY;
 *      that reset is accepted once the heartbeat has changed again after the trip);
 *   2. E-stop: the button latches; burners off, pump, fan and pusher stop, tap closes,
 *      doors hold; only ESTOP_RESET with the button released clears the latch;
 *   3. handshake: a cmd_seq different from the last one seen is acted on once, through
 *      the command table (sim_plc_cmd.c); cmd_result then cmd_ack_seq = cmd_seq.  The seq
 *      at power-up is taken as 0, the value a freshly started server's holding register has;
 *   4. burner management: OFF -start-> PREPURGE (timer runs only while air is proven)
 *      -> IGNITION (flame proven after flame_detect_s if gas, air and flame are good,
 *      else LOCKOUT at ignition_s) -> FIRING (demand clamped to low fire..100 %; held at
 *      low fire while a door is not closed, the watchdog is tripped or the roof is at HH).
 *      Flame failure or gas/air pressure loss while lit -> LOCKOUT; only LOCKOUT_RESET
 *      leaves it.  BURNER_STOP -> OFF from any state but LOCKOUT.  A lockout for want of
 *      a flame (lost while firing, or not proven in the trial) sets the flame_failure
 *      latch (di:14), which only an accepted LOCKOUT_RESET clears;
 *   5. hard interlocks on the drives: pump stopped below pump_min_level_mm or with
 *      bath_sc_temp below pump_freeze_c, unless in remelt circulation: bath_hc_temp (the
 *      side it draws from) at least pump_remelt_hc_c and bath_sc_temp at least
 *      pump_remelt_sc_c, both thermocouples whole (a broken bath_sc thermocouple counts as frozen,
 *      a broken roof thermocouple as roof HH: fail-safe), tap closed at the heel;
 *      the commands meet the hazard interlocks (sim_plc_cmd.c): a refused command is
 *      answered INTERLOCK with the refusing bits in plc_interlocks until the next one;
 *   6. drives ramp to their demands, doors travel, the pusher strokes (before step 4 in
 *      the code, so a door that starts to open drops the firing in the same scan);
 *   7. physics for dt; sensors: y += (x - y)(1 - exp(-dt / tc_lag)) (phys_lag; each
 *      thermocouple its own tc_lag_each_s, else tc_lag_s), reading = y + drift
 *      offset + N(0, noise_k) from a splitmix64 generator held in the struct;
 *   8. afterburning air (the burners' O2 trim): the burners run at a fixed air ratio, and
 *      the pyrolysis gas that comes over from the SC burns in the HC as well, so the PLC
 *      adds air on the measured flue O2, integral action only (the O2 follows the air at
 *      once, and a proportional kick on a noisy analyser only rattles the air valve):
 *        F = clamp(afterburn_demand, 0, 100) / 100 afterburn_max   (0 while the watchdog is
 *            tripped: the console's floor, its excess-air mode, is not heard then)
 *        a = max(F, clamp(max(a, F) + rate (o2_sp - O2) dt, 0, afterburn_max))
 *      (the trim integrates on from the air as it is, so it takes over bumplessly when the
 *      floor comes down) from its own fan, sized for the pyrolysis peak of a 3 t charge at
 *      10 % organics with the burners at low fire (afterburn_max 150 % of the burners'
 *      full-fire air; at 100 % that peak outran it), so it does not take the burners' air;
 *      no air proven (air_low, E-stop) -> a = 0: then the O2 falls as the pyrolysis gas
 *      takes what the burners' air leaves.
 */
#include "sim_plc.h"

#include <math.h>
#include <string.h>

#include "plc_contract.h"
#include "sim_plc_priv.h"

static const struct splc_params splc_defaults = {
    .watchdog_s = 5.0,
    .purge_s = 60.0,
    .ignition_s = 10.0,
    .flame_detect_s = 3.0,
    .low_fire_pct = 10.0,
    .standby_below_pct = 0.0,
    .standby_delay_s = 120.0,
    .standby_min_on_s = 600.0,
    .standby_min_off_s = 120.0,
    .firing_rate_pct_s = 5.0,
    .pump_rate_pct_s = 10.0,
    .fan_rate_pct_s = 5.0,
    .damper_rate_pct_s = 10.0,
    .door_travel_s = 8.0,
    .pusher_stroke_s = 40.0,
    .pump_min_level_mm = 350.0,
    .pump_freeze_c = 680.0,
    .pump_remelt_hc_c = 0.0,
    .pump_remelt_sc_c = 640.0,
    .heel_kg = 25000.0,
    .roof_hh_c = 1250.0,
    .gas_supply_mbar = 300.0,
    .gas_min_mbar = 150.0,
    .gas_low_mbar = 60.0,
    .gas_lhv_mj_nm3 = 36.0,
    .tc_lag_s = 10.0,
    .tc_lag_each_s = {-1, -1, -1, -1, -1, -1, -1},
    .noise_k = 0.5,
    .seed = 1,
    .charge_organics = 0.03,
    .charge_moisture = 0.0,
    .charge_temp_c = 25.0,
    .charge_hv_mj_kg = 0.0,
    .o2_trim_sp_pct = 2.0,
    .o2_trim_rate = 1.0,
    .afterburn_max_pct = 150.0,
    .door_co_max_ppm = 3000.0,
    .door_o2_min_pct = 0.5,
    .push_min_scrap_c = 350.0,
    .push_min_dry_s = 600.0,
    .max_level_mm = 1050.0,
    .capacity_kg = 65000.0,
};

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
    _Static_assert(CFG_SIM_TC_COUNT == SPLC_TC_COUNT, "[sim] tc_lag_*_s: one per thermocouple");
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        if (s->has_tc_lag[i])
            p->tc_lag_each_s[i] = s->tc_lag_each_s[i];
    if (s->pump_min_level_mm > 0)
        p->pump_min_level_mm = s->pump_min_level_mm;
    if (s->pump_freeze_c > 0)
        p->pump_freeze_c = s->pump_freeze_c;
    if (s->pump_remelt_hc_c > 0)
        p->pump_remelt_hc_c = s->pump_remelt_hc_c;
    if (s->pump_remelt_sc_c > 0)
        p->pump_remelt_sc_c = s->pump_remelt_sc_c;
    if (s->door_co_max_ppm > 0)
        p->door_co_max_ppm = s->door_co_max_ppm;
    if (s->door_o2_min_pct > 0)
        p->door_o2_min_pct = s->door_o2_min_pct;
    if (s->push_min_scrap_c > 0)
        p->push_min_scrap_c = s->push_min_scrap_c;
    if (s->push_min_dry_min > 0)
        p->push_min_dry_s = s->push_min_dry_min * 60.0;
    if (s->max_level_mm > 0)
        p->max_level_mm = s->max_level_mm;
    p->standby_below_pct = s->standby_below_pct;
    p->standby_delay_s = s->standby_delay_s;
    p->standby_min_on_s = s->standby_min_on_s;
    p->standby_min_off_s = s->standby_min_off_s;
    p->seed = s->seed;
    if (c->furnace.heel_t > 0)
        p->heel_kg = c->furnace.heel_t * 1000.0;
    if (c->furnace.capacity_t > 0)
        p->capacity_kg = c->furnace.capacity_t * 1000.0;
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
    plc->since_charge_s = p->push_min_dry_s; /* whatever lies on the hearth at start is dry */
    plc->speed = 1.0;
    if (cold) {
        phys_init_cold(&plc->phys, pp);
        plc->bms = SPLC_BMS_OFF;
    } else {
        phys_init_hot(&plc->phys, pp);
        plc->bms = SPLC_BMS_FIRING;
        plc->firing = splc_clampd(phys_hold_firing_pct(pp), p->low_fire_pct, 100);
        plc->pump_on = plc->fan_on = true;
        plc->pump_speed = 30.0;
        plc->fan_speed = pp->hold_fan_pct;
    }
    splc_sensors_exact(plc);
    plc->interlocks = splc_interlock_bits(plc);
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
    plc->since_charge_s += dt;
    plc->heartbeat++;
    splc_watchdog(plc, in->console_heartbeat, plc->speed > 0 ? dt / plc->speed : dt);
    splc_estop(plc);
    if (in->cmd_seq != plc->last_seq) {
        plc->last_seq = in->cmd_seq;
        plc->refused = 0;
        plc->result = splc_command(plc, in->cmd_code, in->cmd_arg);
        plc->ack_seq = in->cmd_seq;
        splc_estop(plc);
    }
    splc_drives(plc, in, dt);
    splc_burner(plc, in, dt);
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
    if (plc->tap_open && splc_at_heel(plc))
        plc->tap_open = false;
    if (dt > 0) {
        splc_sensors(plc, dt);
        splc_air_trim(plc, in->afterburn_demand, dt);
    }
    plc->interlocks = splc_interlock_bits(plc);
    if (out)
        splc_output(plc, out);
}

void splc_frozen_scan(struct splc *plc, const struct splc_in *in, struct splc_out *out,
                      double wall_dt)
{
    if (!(wall_dt >= 0) || !isfinite(wall_dt))
        wall_dt = 0;
    plc->heartbeat++;
    splc_watchdog(plc, in->console_heartbeat, wall_dt);
    if (in->cmd_seq != plc->last_seq) {
        plc->last_seq = in->cmd_seq;
        plc->refused = 0;
        plc->result = PLC_RES_BUSY;
        plc->ack_seq = in->cmd_seq;
    }
    plc->interlocks = splc_interlock_bits(plc);
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
    out->sim_speed = plc->speed;
    out->sim_state = plc->frozen ? PLC_SIM_FROZEN : 0;
    out->sim_restarts = plc->restarts;
    out->metal_mass =
        plc->level_meas / 1000.0 * plc->phys_prm.rho_liquid * plc->phys_prm.hearth_area_m2;
    out->scrap_on_hearth = phys_hearth_kg(s);
    out->sc_door_closed = plc->sc_door <= 0;
    out->hc_door_closed = plc->hc_door <= 0;
    out->flame_on = plc->bms == SPLC_BMS_FIRING;
    out->estop_ok = !plc->estop_latched;
    out->estop_released = !plc->faults.estop;
    out->gas_ok = splc_gas_ok(plc);
    out->air_ok = splc_air_ok(plc);
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
