/* sim_plc_fields — the PLC's registers by tag name: the tables of struct splc_out (input
 * registers and discrete inputs) and struct splc_in (holding registers) fields, the lookups
 * the Modbus server and the harness map the config's tag map with, and the names of the
 * temperature measurements.
 */
#include <math.h>
#include <string.h>

#include "sim_plc.h"

static const char *const tc_names[SPLC_TC_COUNT] = {
    [SPLC_TC_HC_GAS] = "hc_gas_temp",   [SPLC_TC_ROOF] = "roof_temp",
    [SPLC_TC_BATH_HC] = "bath_hc_temp", [SPLC_TC_BATH_SC] = "bath_sc_temp",
    [SPLC_TC_SC_GAS] = "sc_gas_temp",   [SPLC_TC_FLUE] = "flue_temp",
    [SPLC_TC_SCRAP] = "scrap_temp",
};

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
    OUT_B(estop_released),
    OUT_D(sim_speed),
    OUT_U(sim_state),
    OUT_U(sim_restarts),
};
const size_t splc_out_nfields = sizeof splc_out_fields / sizeof splc_out_fields[0];

const struct splc_field splc_in_fields[] = {
    IN_D(firing_demand), IN_D(pump_demand), IN_D(fan_demand), IN_D(damper_demand),
    IN_U(cmd_code),      IN_U(cmd_arg),     IN_U(cmd_seq),    IN_U(console_heartbeat),
    IN_D(afterburn_demand),
};
const size_t splc_in_nfields = sizeof splc_in_fields / sizeof splc_in_fields[0];

static const struct splc_field *field_find(const struct splc_field *f, size_t n, const char *tag)
{
    for (size_t i = 0; tag && i < n; i++)
        if (strcmp(f[i].tag, tag) == 0)
            return &f[i];
    return NULL;
}

double splc_field_get(const struct splc_field *f, const void *base)
{
    const char *p = (const char *)base + f->off;
    switch (f->kind) {
    case SPLC_DOUBLE: {
        double x;
        memcpy(&x, p, sizeof x);
        return x;
    }
    case SPLC_U16: {
        uint16_t u;
        memcpy(&u, p, sizeof u);
        return u;
    }
    case SPLC_BOOL:
    default: {
        bool b;
        memcpy(&b, p, sizeof b);
        return b;
    }
    }
}

int splc_field_set(const struct splc_field *f, void *base, double v)
{
    if (!isfinite(v))
        return -1;
    char *p = (char *)base + f->off;
    if (f->kind == SPLC_DOUBLE) {
        memcpy(p, &v, sizeof v);
    } else if (f->kind == SPLC_U16) {
        uint16_t u = (uint16_t)((long long)llround(fmod(v, 65536.0)) & 0xFFFF);
        memcpy(p, &u, sizeof u);
    } else {
        bool b = v != 0;
        memcpy(p, &b, sizeof b);
    }
    return 0;
}

int splc_out_get(const struct splc_out *o, const char *tag, double *v, bool *broken)
{
    const struct splc_field *f = field_find(splc_out_fields, splc_out_nfields, tag);
    if (!f)
        return -1;
    if (v)
        *v = splc_field_get(f, o);
    if (broken)
        *broken = f->tc >= 0 && o->broken[f->tc];
    return 0;
}

int splc_in_set(struct splc_in *in, const char *tag, double v)
{
    const struct splc_field *f = field_find(splc_in_fields, splc_in_nfields, tag);
    return f ? splc_field_set(f, in, v) : -1;
}

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
