/* plc_contract — what the controller and the PLC (the real one, or
 * meltsim's) agree on beyond the register map: the command codes, their
 * results, the hard-interlock bits, and the command handshake.  Both sides
 * include this header and nothing else of each other.
 *
 * The handshake: the console writes cmd_code and cmd_arg, then cmd_seq last.  The PLC acts
 * once on each new cmd_seq and answers by writing cmd_result and then
 * cmd_ack_seq = cmd_seq.  A console that sees cmd_ack_seq == its seq reads
 * the result.  Codes unknown to the PLC are answered PLC_RES_INVALID.
 *
 * A command refused by a hard interlock is answered PLC_RES_INTERLOCK, and
 * plc_interlocks then carries the bit of every interlock that refused it,
 * held until the PLC acts on the next command, beside the bits of the
 * conditions active at the time (a refusal for a charge that would overfill
 * shows PLC_IL_OVERFILL even while there is room for a smaller one).
 *
 * The PLC never writes the registers the console writes (writable = yes in
 * the map): they hold what the console wrote last.  The console relies on
 * it to see another master writing them (control/core/master.h).
 */
#ifndef MELTCON_PLC_CONTRACT_H
#define MELTCON_PLC_CONTRACT_H

enum plc_cmd {
    PLC_CMD_NONE = 0,
    PLC_CMD_BURNER_START = 1,
    PLC_CMD_BURNER_STOP = 2,
    PLC_CMD_LOCKOUT_RESET = 3,
    PLC_CMD_SC_DOOR_OPEN = 4,
    PLC_CMD_SC_DOOR_CLOSE = 5,
    PLC_CMD_HC_DOOR_OPEN = 6,
    PLC_CMD_HC_DOOR_CLOSE = 7,
    PLC_CMD_PUMP_START = 8,
    PLC_CMD_PUMP_STOP = 9,
    PLC_CMD_FAN_START = 10,
    PLC_CMD_FAN_STOP = 11,
    PLC_CMD_CHARGE = 12,       /* arg: charge mass in units of 10 kg */
    PLC_CMD_PUSH = 13,
    PLC_CMD_TAP_OPEN = 14,
    PLC_CMD_TAP_CLOSE = 15,
    PLC_CMD_WATCHDOG_RESET = 16,
    PLC_CMD_ESTOP_RESET = 17,
    PLC_CMD_COUNT
};

enum plc_result {
    PLC_RES_OK = 0,
    PLC_RES_INTERLOCK = 1,     /* refused by a PLC hard interlock */
    PLC_RES_INVALID = 2,       /* unknown code or bad argument */
    PLC_RES_BUSY = 3,          /* cannot act now (sequence running, watchdog tripped) */
};

/* Bits of the plc_interlocks register: hard interlocks currently active. */
enum plc_interlock {
    PLC_IL_ESTOP = 1u << 0,          /* E-stop: everything stopped */
    PLC_IL_DOOR_OPEN_FIRING = 1u << 1, /* a door is open: firing held at low fire */
    PLC_IL_GAS_PRESSURE = 1u << 2,   /* gas pressure switch not made */
    PLC_IL_AIR_PRESSURE = 1u << 3,   /* combustion air not proven */
    PLC_IL_LOCKOUT = 1u << 4,        /* burner lockout: reset required */
    PLC_IL_WATCHDOG = 1u << 5,       /* console heartbeat lost: low fire */
    PLC_IL_LEVEL_LOW = 1u << 6,      /* bath below pump minimum: pump stopped */
    PLC_IL_METAL_FROZEN = 1u << 7,   /* metal too cold to pump */
    PLC_IL_HEEL = 1u << 8,           /* at the heel: tap closed */
    PLC_IL_ROOF_HH = 1u << 9,        /* roof excess-temperature limiter: low fire, no start */
    PLC_IL_FUEL_RICH = 1u << 10,     /* flue CO high or O2 low: no door opens (air into fuel) */
    PLC_IL_WET_PUSH = 1u << 11,      /* scrap on the hearth not dry: no push */
    PLC_IL_OVERFILL = 1u << 12,      /* bath at the overfill level or capacity: no charge, push */
    PLC_IL_DRIVE_TRIP = 1u << 13,    /* pump or fan motor protection tripped: no start */
    PLC_IL_CHARGE_DOOR = 1u << 14,   /* charge refused: the charging door is not fully open */
};

/* A simulator (plc_mode 1) also serves its training clock (simhw/README.md, 'Training
 * time'): sim_speed (process seconds per wall second, x0.1), sim_state (these bits) and
 * sim_restarts (a counter: +1 each time the instructor restores a snapshot or backtracks;
 * plc_clock then steps back to the snapshot's time, which the server's process clock takes
 * as a PLC restart, control/core/cycle.c).  While frozen plc_clock stands still, the
 * plc_heartbeat counts on and every new command is answered PLC_RES_BUSY.  A plant PLC has
 * none of these tags; a map without them loses nothing but the console's speed line. */
enum plc_sim_state {
    PLC_SIM_FROZEN = 1u << 0, /* the instructor froze process time */
};

#endif
