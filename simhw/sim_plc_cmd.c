/* sim_plc_cmd — the command handshake of plc_contract.h: one function per PLC command,
 * walked through a table by splc_command().  splc_step() (sim_plc.c) calls it once for
 * every new cmd_seq; its answer goes to cmd_result, then cmd_seq to cmd_ack_seq.
 */
#include "plc_contract.h"
#include "sim_plc_priv.h"

#define CHARGE_MIN_ARG 100 /* 1 t in 10 kg */
#define CHARGE_MAX_ARG 500 /* 5 t */

/* ---- commands --------------------------------------------------------------- */

/* Refused by the hard interlocks `bits`: they show in plc_interlocks until the next
 * command, so the console can name what refused it. */
static uint16_t refuse(struct splc *plc, unsigned bits)
{
    plc->refused = (uint16_t)(plc->refused | bits);
    return PLC_RES_INTERLOCK;
}

static int free_hearth_slots(const struct splc *plc)
{
    int n = 0;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        n += plc->phys.hearth[i].metal_kg <= 0;
    return n;
}

/* Burners start only with the E-stop clear, the doors shut, no lockout, gas pressure made
 * and the roof below its limiter (a broken roof TC counts as HH).  A standby burner so
 * started relights at once, without waiting for its minimum off time. */
static uint16_t cmd_burner_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (!splc_doors_closed(plc))
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (plc->bms == SPLC_BMS_LOCKOUT)
        b |= PLC_IL_LOCKOUT;
    if (!splc_gas_ok(plc))
        b |= PLC_IL_GAS_PRESSURE;
    if (splc_roof_hh(plc))
        b |= PLC_IL_ROOF_HH;
    if (b)
        return refuse(plc, b);
    if (plc->bms == SPLC_BMS_OFF || plc->bms == SPLC_BMS_STANDBY) { /* standby: at once */
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
        return refuse(plc, PLC_IL_ESTOP);
    if (plc->bms == SPLC_BMS_LOCKOUT)
        plc->bms = SPLC_BMS_OFF;
    plc->flame_failed = false;
    return PLC_RES_OK;
}

/* A door opens only with the E-stop clear, the other door shut (never a draught through
 * both chambers) and the atmosphere not fuel-rich (air let into unburnt pyrolysis gas
 * burns at the door).  The charging door waits for the pusher.  Closing always may. */
static uint16_t door_cmd(struct splc *plc, bool *opening, bool open)
{
    if (plc->estop_latched)
        return refuse(plc, PLC_IL_ESTOP);
    if (!open) {
        *opening = false;
        return PLC_RES_OK;
    }
    bool sc = opening == &plc->sc_door_opening;
    unsigned b = 0;
    if (sc ? plc->hc_door > 0 || plc->hc_door_opening : plc->sc_door > 0 || plc->sc_door_opening)
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (splc_fuel_rich(plc))
        b |= PLC_IL_FUEL_RICH;
    if (b)
        return refuse(plc, b);
    if (sc && plc->pusher_dir != 0)
        return PLC_RES_BUSY;
    *opening = true;
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
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (splc_level_low(plc))
        b |= PLC_IL_LEVEL_LOW;
    if (splc_metal_frozen(plc))
        b |= PLC_IL_METAL_FROZEN;
    if (plc->faults.pump_trip)
        b |= PLC_IL_DRIVE_TRIP;
    if (b)
        return refuse(plc, b);
    plc->pump_on = true;
    return PLC_RES_OK;
}

static uint16_t cmd_pump_stop(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->pump_on = false;
    return PLC_RES_OK;
}

/* The fan draws gas through the SC: not with the charging door open (it would pull air
 * in over the scrap). */
static uint16_t cmd_fan_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (plc->sc_door > 0 || plc->sc_door_opening)
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (plc->faults.fan_trip)
        b |= PLC_IL_DRIVE_TRIP;
    if (b)
        return refuse(plc, b);
    plc->fan_on = true;
    return PLC_RES_OK;
}

static uint16_t cmd_fan_stop(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->fan_on = false;
    return PLC_RES_OK;
}

/* A charge needs the charging door fully open, room on the hearth, and room in the
 * furnace: the level below max_level_mm and metal + scrap + this charge within capacity. */
static uint16_t cmd_charge(struct splc *plc, uint16_t arg)
{
    if (arg < CHARGE_MIN_ARG || arg > CHARGE_MAX_ARG)
        return PLC_RES_INVALID;
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (plc->sc_door < 1.0)
        b |= PLC_IL_CHARGE_DOOR;
    if (splc_overfill(plc, arg * 10.0))
        b |= PLC_IL_OVERFILL;
    if (b)
        return refuse(plc, b);
    if (plc->pusher_dir != 0 || free_hearth_slots(plc) == 0)
        return PLC_RES_BUSY;
    const struct splc_faults *f = &plc->faults;
    double org = f->heavy_organics > 0 ? f->heavy_organics : plc->charge_organics;
    double wet = f->wet_charge > 0 ? f->wet_charge : plc->charge_moisture;
    if (phys_charge(&plc->phys, &plc->phys_prm, arg * 10.0, plc->charge_temp_c, org, wet,
                    plc->charge_hv_mj_kg) != 0)
        return PLC_RES_INVALID;
    plc->since_charge_s = 0;
    return PLC_RES_OK;
}

/* A push needs the charging door shut, dry scrap (splc_scrap_wet) and no overfill. */
static uint16_t cmd_push(struct splc *plc, uint16_t arg)
{
    (void)arg;
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (plc->sc_door > 0)
        b |= PLC_IL_DOOR_OPEN_FIRING;
    if (splc_scrap_wet(plc))
        b |= PLC_IL_WET_PUSH;
    if (splc_overfill(plc, 0))
        b |= PLC_IL_OVERFILL;
    if (b)
        return refuse(plc, b);
    if (plc->pusher_dir != 0)
        return PLC_RES_BUSY;
    plc->pusher_dir = 1;
    return PLC_RES_OK;
}

static uint16_t cmd_tap_open(struct splc *plc, uint16_t arg)
{
    (void)arg;
    unsigned b = 0;
    if (plc->estop_latched)
        b |= PLC_IL_ESTOP;
    if (splc_at_heel(plc))
        b |= PLC_IL_HEEL;
    if (b)
        return refuse(plc, b);
    plc->tap_open = true;
    return PLC_RES_OK;
}

static uint16_t cmd_tap_close(struct splc *plc, uint16_t arg)
{
    (void)arg;
    plc->tap_open = false;
    return PLC_RES_OK;
}

/* Accepted only while tripped is handled in splc_command(); untripped it is a no-op. */
static uint16_t cmd_watchdog_reset(struct splc *plc, uint16_t arg)
{
    (void)plc;
    (void)arg;
    return PLC_RES_OK;
}

/* The latch clears only with the button released. */
static uint16_t cmd_estop_reset(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->faults.estop)
        return refuse(plc, PLC_IL_ESTOP);
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
uint16_t splc_command(struct splc *plc, uint16_t code, uint16_t arg)
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
