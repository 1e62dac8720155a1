/* plant — the furnace's live values by role name.
 *
 * The tag map is configuration; the control logic refers to the furnace by
 * role.  plant_from_tags() fills this struct from the decoded tag image by
 * the role names of config/README.md, 'The default register map' (a role whose tag is absent from the map
 * reads Q_BAD_COMMS, so anything depending on it blocks rather than
 * guessing).  Units: degC, %, ppm, Pa, mm, kg, s.
 */
#ifndef MELTCON_PLANT_H
#define MELTCON_PLANT_H

#include <stdbool.h>

#include "cfg.h"
#include "tag.h"

struct plant {
    struct tag_value hc_gas_temp, roof_temp, bath_hc_temp, bath_sc_temp, sc_gas_temp,
        flue_temp, scrap_temp, o2_pct, co_ppm, furnace_pressure, gas_flow, gas_pressure,
        firing_fb, pump_speed_fb, fan_speed_fb, damper_fb, bath_level, bms_state,
        purge_remaining, plc_interlocks, plc_heartbeat, cmd_ack_seq, cmd_result, plc_mode,
        plc_clock, metal_mass, scrap_on_hearth;
    /* discrete inputs: v is 0 or 1 */
    struct tag_value sc_door_closed, hc_door_closed, flame_on, estop_ok, gas_ok, air_ok,
        pump_running, fan_running, tap_open, pusher_home, bms_lockout, watchdog_tripped,
        estop_released;
    /* outputs as read back */
    struct tag_value firing_demand, pump_demand, fan_demand, damper_demand;
};

enum bms_state { BMS_OFF = 0, BMS_PREPURGE = 1, BMS_IGNITION = 2, BMS_FIRING = 3,
                 BMS_LOCKOUT = 4, BMS_STANDBY = 5 };

/* Index map from role to the tag index in the config (-1 when absent). */
struct plant_map {
    int idx[64];
};

void plant_map_init(struct plant_map *m, const struct cfg *c);
void plant_from_tags(struct plant *p, const struct plant_map *m, const struct tag_value *tags);

/* For tests and the harness: every role GOOD at the given value of zero. */
void plant_all_good(struct plant *p);

/* A bool role that is GOOD and true. */
static inline bool plant_on(struct tag_value v) { return v.q == Q_GOOD && v.v > 0.5; }

#endif
