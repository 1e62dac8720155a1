/* perm — the console's permissives: for every operator command, a const table
 * of conditions on live values with limits from the config.
 *
 * perm_eval() walks a command's table and returns READY, or BLOCKED with
 * every failing condition as a sentence carrying the live value and the
 * limit: "Open charging door: firing 78 % > low-fire limit 30 %".  A value of
 * bad quality blocks ("Open charging door: firing BAD (no good value)").  The
 * same table serves the screen (the READY / BLOCKED list) and the command
 * gate.  These sit on top of the PLC's hard interlocks, which they never
 * replace: they explain a refusal before the command is sent.
 */
#ifndef MELTCON_PERM_H
#define MELTCON_PERM_H

#include <stddef.h>

#include "cfg.h"
#include "plant.h"
#include "plc_contract.h"
#include "seq.h"

enum perm_cmd {
    PERM_BURNER_START,
    PERM_BURNER_STOP,
    PERM_LOCKOUT_RESET,
    PERM_SC_DOOR_OPEN,
    PERM_SC_DOOR_CLOSE,
    PERM_HC_DOOR_OPEN,
    PERM_HC_DOOR_CLOSE,
    PERM_PUMP_START,
    PERM_PUMP_STOP,
    PERM_PUMP_SPEED,    /* arg: speed, % */
    PERM_FAN_START,
    PERM_FAN_STOP,
    PERM_CHARGE,        /* arg: charge mass, t (the PLC takes 10 kg units) */
    PERM_PUSH,
    PERM_TAP_OPEN,
    PERM_TAP_CLOSE,
    PERM_PHASE_ADVANCE,
    PERM_WATCHDOG_RESET,
    PERM_ESTOP_RESET,
    PERM_SETPOINT,
    PERM_MODE,
    PERM_COUNT
};

enum perm_status { PERM_READY, PERM_BLOCKED };

#define PERM_MAX_COND 10  /* conditions in one command's table */
#define PERM_TEXT_MAX 192

/* Everything the conditions read.  All pointers are required. */
struct perm_ctx {
    const struct plant *plant;
    const struct cfg_limits *lim;
    const struct cfg_furnace *furnace; /* capacity_t */
    const struct cfg_program *prog;    /* tapping window */
    const struct seq *seq;             /* phase, drying time, wet flag, ready */
    /* The class of the charge judged: `scrap` as the request named it, else
     * `scrap_default` ([limits] default_scrap); both NULL (a file without
     * [scrap.*]): the organics condition blocks while max_organics_kg > 0. */
    const struct cfg_scrap *scrap, *scrap_default;
};

struct perm_result {
    enum perm_status status;
    int nfail;
    char fail[PERM_MAX_COND][PERM_TEXT_MAX]; /* "Open charging door: firing 78 % > ..." */
};

/* Evaluate every condition of `cmd` (arg: the command's argument, see enum
 * perm_cmd; ignored by the others).  Fills *r and returns r->status.  An
 * unknown cmd is BLOCKED with one sentence.  Commands that only make the
 * furnace safer (stops, closes) have no conditions and are always READY. */
enum perm_status perm_eval(enum perm_cmd cmd, const struct perm_ctx *ctx, double arg,
                           struct perm_result *r);

/* The failing sentences joined by "; " into buf ("" when READY).  Returns
 * buf. */
char *perm_join(const struct perm_result *r, char *buf, size_t len);

/* Stable CLI name ("sc_door_open") and screen label ("Open charging door");
 * NULL for an unknown command. */
const char *perm_cmd_name(enum perm_cmd cmd);
const char *perm_cmd_label(enum perm_cmd cmd);
int perm_cmd_from_name(const char *name);      /* enum perm_cmd, or -1 */
enum plc_cmd perm_cmd_plc(enum perm_cmd cmd);  /* PLC_CMD_NONE: handled by the console */
int perm_ncond(enum perm_cmd cmd);             /* conditions in the table, for the screen */

/* The largest charge of class `s` (t, in the PLC's 0.01 t, rounded down) that
 * max_charge_t and max_organics_kg allow: what the charge dialog offers and
 * the refusal names.  s NULL: max_charge_t alone. */
double perm_charge_max_t(const struct cfg_limits *lim, const struct cfg_scrap *s);

#endif
