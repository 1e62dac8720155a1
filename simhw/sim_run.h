/* sim_run — `meltsim run`: the furnace without a console, as fast as the
 * machine allows, driven by a simple built-in schedule, one CSV row per
 * simulated interval.
 *
 * The schedule stands in for an operator and a plain controller (simhw
 * never includes the real control core): the bath is held near 740 degC by
 * a proportional firing rule; every cycle_min a 3 t charge is placed (low
 * fire, door open, charge, door closed), pre-heated for pyro_min with the
 * fan up, pushed, melted, and 3 t are tapped when the bath is above 55 t.
 */
#ifndef MELTCON_SIM_RUN_H
#define MELTCON_SIM_RUN_H

#include <stdio.h>

#include "cfg.h"
#include "sim_scenario.h"

struct run_opts {
    double hours;
    double every_s;         /* CSV row period (process s), 0 = no CSV */
    bool cold;
    unsigned seed;
    struct scenario *scen;  /* may be NULL */
    FILE *csv;              /* may be NULL */
};

struct run_result {
    double sim_s, wall_s;
    double melted_t, fuel_kwh, kwh_per_t;
    double bath_min_c, bath_max_c;
    long rows, scans;
};

int run_headless(const struct cfg *c, const struct run_opts *o, struct run_result *r, char *err,
                 size_t errlen);

#endif
