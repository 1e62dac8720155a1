/* sim_plc_priv — what the files of the simulated PLC share and nobody else uses: the
 * interlock conditions and the stages of the scan (sim_plc_scan.c), and the command
 * handshake (sim_plc_cmd.c), called by splc_init()/splc_step() in sim_plc.c.
 * The family:
 *   sim_plc.c         parameters, start state, the scan in order, the outputs
 *   sim_plc_scan.c    the interlock conditions and the scan's stages (watchdog, E-stop,
 *                     burner management, drives, sensors, O2 trim)
 *   sim_plc_cmd.c     the command handshake: one function per PLC command, in a table
 *   sim_plc_fields.c  the tag tables: splc_out / splc_in fields by tag name
 *   sim_plc_faults.c  the faults an instructor injects
 * Include only from simhw/sim_plc*.c.
 */
#ifndef MELTCON_SIM_PLC_PRIV_H
#define MELTCON_SIM_PLC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_plc.h"

/* v limited to lo..hi; NaN gives lo. */
double splc_clampd(double v, double lo, double hi);

/* ---- interlock conditions (sim_plc_scan.c) ------------------------------------ */

bool splc_doors_closed(const struct splc *plc);
bool splc_gas_ok(const struct splc *plc);
bool splc_air_ok(const struct splc *plc); /* combustion air proven: no air_low, no E-stop */
bool splc_level_low(const struct splc *plc);
bool splc_metal_frozen(const struct splc *plc); /* a broken bath_sc TC counts as frozen;
                                                 * remelt circulation (sim_plc.c, 5.) is not */
bool splc_at_heel(const struct splc *plc);
bool splc_roof_hh(const struct splc *plc); /* a broken roof TC counts as HH */
/* Metal in the bath from the measured level, as the metal_mass input reports it. */
double splc_metal_meas_kg(const struct splc *plc);
/* Flue CO above door_co_max_ppm or O2 below door_o2_min_pct: no door may open. */
bool splc_fuel_rich(const struct splc *plc);
/* Scrap on the hearth that may be wet: charged less than push_min_dry_s ago, or its
 * surface colder than push_min_scrap_c (a broken pyrometer counts as wet). */
bool splc_scrap_wet(const struct splc *plc);
/* The level at max_level_mm, or metal + scrap + add_kg past capacity_kg. */
bool splc_overfill(const struct splc *plc, double add_kg);

/* The plc_interlocks register (enum plc_interlock bits) for the present state, with the
 * bits that refused the last command. */
uint16_t splc_interlock_bits(const struct splc *plc);

/* ---- the stages of one scan, in the order splc_step() calls them -------------- */

void splc_watchdog(struct splc *plc, uint16_t hb, double dt);
void splc_estop(struct splc *plc);
void splc_drives(struct splc *plc, const struct splc_in *in, double dt);
void splc_burner(struct splc *plc, const struct splc_in *in, double dt);
void splc_sensors(struct splc *plc, double dt);
void splc_air_trim(struct splc *plc, double demand_pct, double dt);

/* The sensors read the true values, without lag or noise (at start-up). */
void splc_sensors_exact(struct splc *plc);

/* ---- the command handshake (sim_plc_cmd.c) ------------------------------------ */

/* Act on one command: an enum plc_result value for cmd_result. */
uint16_t splc_command(struct splc *plc, uint16_t code, uint16_t arg);

#endif
