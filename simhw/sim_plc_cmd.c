/* sim_plc_cmd — the command handshake of plc_contract.h: one function per PLC command,
 * walked through a table by splc_command().  splc_step() (sim_plc.c) calls it once for
 * every new cmd_seq; its answer goes to cmd_result, then cmd_seq to cmd_ack_seq.
 */
#include "plc_contract.h"
#include "sim_plc_priv.h"

#define CHARGE_MIN_ARG 100 /* 1 t in 10 kg */
#define CHARGE_MAX_ARG 500 /* 5 t */

/* ---- commands --------------------------------------------------------------- */

static int free_hearth_slots(const struct splc *plc)
{
    int n = 0;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        n += plc->phys.hearth[i].metal_kg <= 0;
    return n;
}

static uint16_t cmd_burner_start(struct splc *plc, uint16_t arg)
{
    (void)arg;
    if (plc->estop_latched || !splc_doors_closed(plc) || plc->bms == SPLC_BMS_LOCKOUT ||
        !splc_gas_ok(plc))
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
    if (plc->estop_latched || splc_level_low(plc) || splc_metal_frozen(plc) ||
        plc->faults.pump_trip)
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
    if (plc->estop_latched || splc_at_heel(plc))
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

/* Accepted only while tripped is handled in splc_command(); untripped it is a no-op. */
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
