/* plant — role-named live values from the decoded tag image (see plant.h). */
#include "plant.h"

#include <stddef.h>
#include <string.h>

#define ROLE(f) { #f, offsetof(struct plant, f) }

static const struct {
    const char *name;
    size_t off;
} roles[] = {
    ROLE(hc_gas_temp),     ROLE(roof_temp),       ROLE(bath_hc_temp),  ROLE(bath_sc_temp),
    ROLE(sc_gas_temp),     ROLE(flue_temp),       ROLE(scrap_temp),    ROLE(o2_pct),
    ROLE(co_ppm),          ROLE(furnace_pressure), ROLE(gas_flow),     ROLE(gas_pressure),
    ROLE(firing_fb),       ROLE(pump_speed_fb),   ROLE(fan_speed_fb),  ROLE(damper_fb),
    ROLE(bath_level),      ROLE(bms_state),       ROLE(purge_remaining), ROLE(plc_interlocks),
    ROLE(plc_heartbeat),   ROLE(cmd_ack_seq),     ROLE(cmd_result),    ROLE(plc_mode),
    ROLE(plc_clock),       ROLE(metal_mass),      ROLE(scrap_on_hearth), ROLE(sc_door_closed),
    ROLE(hc_door_closed),  ROLE(flame_on),        ROLE(estop_ok),      ROLE(gas_ok),
    ROLE(air_ok),          ROLE(pump_running),    ROLE(fan_running),   ROLE(tap_open),
    ROLE(pusher_home),     ROLE(bms_lockout),     ROLE(watchdog_tripped), ROLE(estop_released),
    ROLE(firing_demand),
    ROLE(pump_demand),     ROLE(fan_demand),      ROLE(damper_demand),
};

#define NROLES (sizeof roles / sizeof roles[0])
_Static_assert(NROLES <= sizeof(((struct plant_map *)0)->idx) / sizeof(int),
               "plant_map too small");
_Static_assert(NROLES * sizeof(struct tag_value) == sizeof(struct plant),
               "every field of struct plant needs a role");

void plant_map_init(struct plant_map *m, const struct cfg *c)
{
    for (size_t i = 0; i < NROLES; i++)
        m->idx[i] = cfg_tag_index(c, roles[i].name);
}

void plant_from_tags(struct plant *p, const struct plant_map *m, const struct tag_value *tags)
{
    for (size_t i = 0; i < NROLES; i++) {
        struct tag_value *v = (struct tag_value *)((char *)p + roles[i].off);
        if (m->idx[i] >= 0) {
            *v = tags[m->idx[i]];
        } else {
            v->v = 0;
            v->q = Q_BAD_COMMS;
        }
    }
}

void plant_all_good(struct plant *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < NROLES; i++) {
        struct tag_value *v = (struct tag_value *)((char *)p + roles[i].off);
        v->q = Q_GOOD;
    }
}
