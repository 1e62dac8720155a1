/* sim_scenario — a teaching scenario: timed events for a running simulator.
 *
 *   [scenario]
 *   title     = Broken bath thermocouple
 *   situation = "what the furnace is doing; shown when meltsim starts"
 *   notice    = what the trainee should notice
 *   action    = what the trainee should do
 *   cold      = no
 *
 *   [event.NAME]
 *   at_min   = 5
 *   inject   = tc_broken bath_hc_temp
 *   organics = 0.05
 *   moisture = 0.02
 *
 * title is one line; cold = yes starts the furnace cold instead of hot.
 * Any number of [event.NAME] sections, run in time order: at_min is process
 * minutes after the start; inject is FAULT [TARGET] [VALUE] as `meltsim
 * inject` takes it (also "silent SECONDS"), or "ramp FAULT [TARGET] FROM TO
 * MINUTES": the fault's VALUE ramped from at_min on, stepped by sim_malf.c's
 * malf_step like the instructor's `meltsim inject ramp` (one code path);
 * organics and moisture set the next charges' properties.  A value holding ';' or '#' is quoted, as in
 * meltcon.ini (config/ini_value.h): iniparser would cut it there, so an
 * unquoted one is refused.  Texts are at most SCEN_TEXT - 1 characters.
 *
 * A scenario is checked whole when loaded (every value read as written,
 * every event tried on a scratch copy of the PLC) so a typo stops meltsim
 * before a class starts.
 */
#ifndef MELTCON_SIM_SCENARIO_H
#define MELTCON_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "sim_malf.h"
#include "sim_plc.h"

#define SCEN_MAX_EVENTS 64
#define SCEN_TEXT 400

struct scen_event {
    char name[32];
    double at_s;             /* process time */
    char fault[32], target[32];
    double value;            /* NAN when none */
    bool has_fault;
    double silent_s;         /* "silent N": the PLC stops answering (server only) */
    bool has_charge;
    double organics, moisture;
    bool has_ramp;           /* inject = ramp ...: stepped every scan until its end */
    struct malf ramp;
    bool done;
};

struct scenario {
    char path[256];
    char title[SCEN_TEXT], situation[SCEN_TEXT], notice[SCEN_TEXT], action[SCEN_TEXT];
    bool cold;
    int nevents;
    struct scen_event ev[SCEN_MAX_EVENTS]; /* sorted by at_s */
};

/* Load and check FILE.  0, or -1 with "FILE: [section] key = "v": ..." in err. */
int scen_load(const char *file, struct scenario *s, char *err, size_t errlen);

/* Parse "FAULT [TARGET] [VALUE]" (the inject vocabulary).  0 or -1 + err. */
int scen_parse_inject(const char *text, char *fault, size_t nf, char *target, size_t nt,
                      double *value, char *err, size_t errlen);

/* Apply every event due at process time t to plc; each applied event's
 * description is passed to `log` (may be NULL).  A "silent N" event sets
 * *silent_s to N (the caller mutes its Modbus server; headless runs have
 * none and ignore it).  Returns events applied. */
int scen_run_due(struct scenario *s, struct splc *plc, double t, double *silent_s,
                 void (*log)(void *ctx, const char *line), void *ctx);

#endif
