/* sim_plc_faults — the faults an instructor injects (meltsim inject, a scenario's events):
 * their table, splc_fault() to set or clear one, splc_fault_describe() to list the active
 * ones.  The scan (sim_plc_scan.c) and the commands read them from plc->faults.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim_plc.h"
#include "util.h"

enum fault_id {
    F_TC_BROKEN,
    F_TC_DRIFT,
    F_FLAME_FAILURE,
    F_GAS_LOW,
    F_AIR_LOW,
    F_PUMP_TRIP,
    F_FAN_TRIP,
    F_DOOR_STUCK,
    F_WET_CHARGE,
    F_HEAVY_ORGANICS,
    F_ESTOP,
    F_CLEAR,
    F_COUNT
};

const struct splc_fault_desc splc_faults[] = {
    [F_TC_BROKEN] = {"tc_broken", "TC", NULL, 0, 0,
                     "thermocouple TC reads the broken-sensor sentinel"},
    [F_TC_DRIFT] = {"tc_drift", "TC", "K/min", -100, 100,
                    "thermocouple TC drifts by VALUE K per minute"},
    [F_FLAME_FAILURE] = {"flame_failure", NULL, NULL, 0, 0,
                         "the flame scanner loses the flame: lockout; ignition fails"},
    [F_GAS_LOW] = {"gas_low", NULL, NULL, 0, 0, "gas supply pressure low: lockout if lit"},
    [F_AIR_LOW] = {"air_low", NULL, NULL, 0, 0,
                   "combustion air not proven: lockout if lit, purge paused"},
    [F_PUMP_TRIP] = {"pump_trip", NULL, NULL, 0, 0, "metal pump trips and cannot restart"},
    [F_FAN_TRIP] = {"fan_trip", NULL, NULL, 0, 0, "recirculation fan trips and cannot restart"},
    [F_DOOR_STUCK] = {"door_stuck", "sc|hc", NULL, 0, 0, "the door stops where it is"},
    [F_WET_CHARGE] = {"wet_charge", NULL, "moisture share", 0.001, 0.3,
                      "next charges carry VALUE of their mass as water"},
    [F_HEAVY_ORGANICS] = {"heavy_organics", NULL, "organics share", 0.001, 0.3,
                          "next charges carry VALUE of their mass as organics"},
    [F_ESTOP] = {"estop", NULL, NULL, 0, 0, "the E-stop button is pressed"},
    [F_CLEAR] = {"clear", "[FAULT]", NULL, 0, 0, "clear one fault, or all without a name"},
};
const size_t splc_nfaults = sizeof splc_faults / sizeof splc_faults[0];

static int fault_from_name(const char *name)
{
    for (int i = 0; name && i < F_COUNT; i++)
        if (strcasecmp(splc_faults[i].name, name) == 0)
            return i;
    return -1;
}

static void clear_fault(struct splc *plc, int id)
{
    struct splc_faults *f = &plc->faults;
    switch (id) {
    case F_TC_BROKEN:
        memset(f->tc_broken, 0, sizeof f->tc_broken);
        break;
    case F_TC_DRIFT:
        memset(f->tc_drift_k_min, 0, sizeof f->tc_drift_k_min);
        memset(plc->tc_offset, 0, sizeof plc->tc_offset);
        break;
    case F_FLAME_FAILURE:
        f->flame_failure = false;
        break;
    case F_GAS_LOW:
        f->gas_low = false;
        break;
    case F_AIR_LOW:
        f->air_low = false;
        break;
    case F_PUMP_TRIP:
        f->pump_trip = false;
        break;
    case F_FAN_TRIP:
        f->fan_trip = false;
        break;
    case F_DOOR_STUCK:
        f->sc_door_stuck = f->hc_door_stuck = false;
        break;
    case F_WET_CHARGE:
        f->wet_charge = 0;
        break;
    case F_HEAVY_ORGANICS:
        f->heavy_organics = 0;
        break;
    case F_ESTOP:
        f->estop = false;
        break;
    default:
        for (int i = 0; i < F_CLEAR; i++)
            clear_fault(plc, i);
        break;
    }
}

#define TC_LIST                                                                                    \
    "hc_gas_temp, roof_temp, bath_hc_temp, bath_sc_temp, sc_gas_temp, "                            \
    "flue_temp or scrap_temp"

int splc_fault(struct splc *plc, const char *name, const char *target, double value, char *err,
               size_t errlen)
{
    int id = fault_from_name(name);
    if (id < 0)
        return err_set(err, errlen,
                       "unknown fault \"%s\": expected tc_broken, tc_drift, flame_failure, "
                       "gas_low, air_low, pump_trip, fan_trip, door_stuck, wet_charge, "
                       "heavy_organics, estop or clear",
                       name ? name : "");
    const struct splc_fault_desc *d = &splc_faults[id];
    bool has_target = target && *target;
    if (!d->target && has_target)
        return err_set(err, errlen, "%s takes no target (got \"%s\")", d->name, target);
    if (d->value && !(value >= d->vmin && value <= d->vmax)) {
        char range[64];
        snprintf(range, sizeof range, "%g..%g", d->vmin, d->vmax);
        return err_set(err, errlen, "%s needs a value (%s) in %s", d->name, d->value, range);
    }
    struct splc_faults *f = &plc->faults;
    int tc = -1;
    if (id == F_TC_BROKEN || id == F_TC_DRIFT) {
        tc = splc_tc_from_name(target);
        if (tc < 0)
            return err_set(err, errlen, "%s: unknown thermocouple \"%s\": expected " TC_LIST,
                           d->name, has_target ? target : "");
    }
    switch (id) {
    case F_TC_BROKEN:
        f->tc_broken[tc] = true;
        break;
    case F_TC_DRIFT:
        f->tc_drift_k_min[tc] = value;
        break;
    case F_FLAME_FAILURE:
        f->flame_failure = true;
        break;
    case F_GAS_LOW:
        f->gas_low = true;
        break;
    case F_AIR_LOW:
        f->air_low = true;
        break;
    case F_PUMP_TRIP:
        f->pump_trip = true;
        break;
    case F_FAN_TRIP:
        f->fan_trip = true;
        break;
    case F_DOOR_STUCK:
        if (has_target && strcasecmp(target, "sc") == 0)
            f->sc_door_stuck = true;
        else if (has_target && strcasecmp(target, "hc") == 0)
            f->hc_door_stuck = true;
        else
            return err_set(err, errlen, "%s: unknown door \"%s\": expected sc or hc", d->name,
                           has_target ? target : "");
        break;
    case F_WET_CHARGE:
        f->wet_charge = value;
        break;
    case F_HEAVY_ORGANICS:
        f->heavy_organics = value;
        break;
    case F_ESTOP:
        f->estop = true;
        break;
    case F_CLEAR: {
        int which = has_target ? fault_from_name(target) : F_CLEAR;
        if (which < 0 || (has_target && which == F_CLEAR))
            return err_set(err, errlen, "clear: unknown fault \"%s\"", target);
        clear_fault(plc, which);
        break;
    }
    default:
        break;
    }
    return 0;
}

static void add(char *buf, size_t len, size_t *used, const char *a, const char *b)
{
    if (*used >= len)
        return;
    int n = snprintf(buf + *used, len - *used, "%s%s%s%s", *used ? ", " : "", a, b ? " " : "",
                     b ? b : "");
    if (n > 0)
        *used += (size_t)n < len - *used ? (size_t)n : len - *used;
}

void splc_fault_describe(const struct splc *plc, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    const struct splc_faults *f = &plc->faults;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        if (f->tc_broken[i])
            add(buf, len, &used, "tc_broken", splc_tc_name((enum splc_tc)i));
    for (int i = 0; i < SPLC_TC_COUNT; i++)
        if (f->tc_drift_k_min[i] != 0)
            add(buf, len, &used, "tc_drift", splc_tc_name((enum splc_tc)i));
    const struct {
        bool on;
        const char *name, *arg;
    } flags[] = {
        {f->flame_failure, "flame_failure", NULL},
        {f->gas_low, "gas_low", NULL},
        {f->air_low, "air_low", NULL},
        {f->pump_trip, "pump_trip", NULL},
        {f->fan_trip, "fan_trip", NULL},
        {f->sc_door_stuck, "door_stuck", "sc"},
        {f->hc_door_stuck, "door_stuck", "hc"},
        {f->wet_charge > 0, "wet_charge", NULL},
        {f->heavy_organics > 0, "heavy_organics", NULL},
        {f->estop, "estop", NULL},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].on)
            add(buf, len, &used, flags[i].name, flags[i].arg);
    if (used == 0)
        snprintf(buf, len, "none");
}
