/* closed_loop — what the files of the closed-loop harness share: the harness (the core, the
 * simulated PLC, the register image between them, the operator, the figures) and the
 * functions each file gives the others.  The family (build/closed-loop):
 *   tool_closed-loop.c       main, the set-up and one cycle of the shift (overview on top)
 *   closed_loop_image.c      the register image: core <-> simulator through the tag codec
 *   closed_loop_operator.c   the simulated operator: replies and events, duties, the shift
 *   closed_loop_measure.c    the figures measured at every cycle, the --trace rows
 *   closed_loop_expect.c     the report: the figures and the fault scripts judged
 */
#ifndef MELTCON_CLOSED_LOOP_H
#define MELTCON_CLOSED_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "core.h"
#include "sim_plc.h"
#include "sim_scenario.h"
#include "tag.h"

/* The figures' limits (see the top of tool_closed-loop.c) and the harness's sizes. */
#define HOLD_SETTLE_S 600.0  /* HOLD figure: judged from this long after entering HOLD */
#define HOLD_BAND_K 3.0      /* bath within this of SP in HOLD */
#define RECOVER_BAND_K 3.0   /* recovery: bath_hc_temp within this of the holding SP ... */
#define RECOVER_STAY_S 300.0 /* ... for this long */
#define RECOVER_MAX_S 1200.0 /* recovery target */
#define ROOF_HH_ALARM "roof_hh"
#define KWH_T_LO 350.0
#define KWH_T_HI 600.0
#define RATE_T_H_LO 6.0 /* melt rate, t/h */
#define RATE_T_H_HI 13.0
#define MELT_MIN_HOURS 4.0 /* shorter runs: the energy figures are printed, not judged */
#define MAX_CHARGES 64
#define MAX_DUTIES 8
#define TRACE_EVERY_S 10.0
#define STEP_AT_S 600.0   /* --step: the setpoint moves at this process time */
#define STEP_FILTER_S 2.0 /* --step: PV filter time constant (sensor noise) */
#define STEP_BAND 0.1     /* --step: settled: within this share of the step ... */
#define STEP_STAY_S 300.0 /* ... for this long */

/* ---- the lockstep ------------------------------------------------------------------- */

/* Where a tag's value comes from: a PLC input or a holding register the console writes. */
enum src { SRC_NONE, SRC_OUT, SRC_HR };

struct image {
    enum src src[CFG_MAX_TAGS];
    const struct splc_field *fld[CFG_MAX_TAGS]; /* SRC_OUT, SRC_HR */
    uint16_t regs[CFG_MAX_TAGS][2];
};

struct charge_rec {
    double t_drop;      /* scrap into the bath */
    double t_run;       /* start of the current in-band stretch, -1 none */
    double recovered_s; /* -1: not recovered */
    bool open;
};

/* What the harness measures; the report and the expectations read it after the run. */
struct figs {
    double hold_dev_k, hold_s, hold_true_dev_k, hold_ep_dev_k, hold_ep_s;
    int ncharges;
    struct charge_rec ch[MAX_CHARGES];
    double roof_max, roof_true_max, hc_gas_max, bath_true_min, bath_true_max;
    double fuel_j0, melted_kg0, tapped_kg0, pyro_j0;
    unsigned long write_errors, silent_text;
    int raised[CFG_MAX_ALARMS];
    int annunciations, critical, floods, max_per_10min;
    /* faults */
    int lockouts;
    double t_lockout, t_restart; /* first lockout; flame proven again after it */
    double forced_track_err;     /* |firing demand - feedback| while not firing */
    double restart_gap;          /* the same at the first firing step after a lockout */
    double max_firing_step;      /* largest change of the firing demand in one step */
    double t_dropped[CFG_MAX_LOOPS], t_restored[CFG_MAX_LOOPS];
    int mode_refused_bad[CFG_MAX_LOOPS]; /* mode requests refused while the PV was bad */
    bool bad_seen;                       /* bath_hc_temp not GOOD at some step */
    double bad_out0, bad_out_drift, bad_fire_max, bad_bath_lo, bad_bath_hi;
    double t_pump_stop, t_pump_restart, split_before, split_trip, split_after;
    double t_fixed, t_back_in_band; /* last fault dealt with; bath within 3 K again */
    double t_wd_reset;              /* the operator's watchdog reset was done */
    /* loop quality: in AUTO/CAS with a GOOD PV, not tracking, output not saturated */
    double lq_sq[CFG_MAX_LOOPS], lq_s[CFG_MAX_LOOPS], lq_max[CFG_MAX_LOOPS];
    double lq_travel[CFG_MAX_LOOPS], lq_last[CFG_MAX_LOOPS];
    bool lq_started;
    /* time per phase: total and how many times begun */
    double ph_s[PH_COUNT];
    int ph_n[PH_COUNT];
    enum cfg_phase last_phase;
    double pyro_sc_max, pyro_sc_dev, pyro_s, pyro_co_max; /* SC gas and CO in PYROLYSIS */
    /* trackers of the previous step */
    double last_firing, solid_before;
    bool was_locked, was_firing;
    double next_kpi;
};

struct op {
    uint64_t rng; /* jitter of the waits */
    long next_id;
    double t_free; /* the operator acts again from this time */
    bool in_gate;  /* inside core_request: a refusal now is the gate's */
    bool pending;  /* a PLC command waits for its answer ... */
    long pend_id;
    int pend_step; /* ... asked by this step of the shift, -1 by a duty */
    bool answered, pend_ok;
    enum cfg_phase phase;          /* as last seen */
    int step;                      /* index into shift[] */
    double t_step, wait_s;         /* when the step began, how long it waits first */
    int holds;                     /* HOLD phases begun */
    double t_rang[CFG_MAX_ALARMS]; /* to acknowledge from this time + ack_s; -1 nothing */
    double t_lockout_seen;
    double t_duty[MAX_DUTIES]; /* a duty is not tried again before this */
    double t_seen[MAX_DUTIES]; /* a duty was first seen due at this time, -1 not due */
    bool mode_tried_bad[CFG_MAX_LOOPS];
    int charges, pushes, taps, requests, refused_gate, refused_plc;
};

/* --step LOOP:DELTA: the operator leaves the shift alone and at STEP_AT_S moves LOOP's
 * setpoint by DELTA (a slave in CAS is put in AUTO first); the response of its PV, smoothed
 * with a STEP_FILTER_S first-order filter against the sensor noise, is measured. */
struct stepper {
    int loop; /* -1: no step */
    double delta;
    int stage;          /* 0 waiting, 1 asked for AUTO, 2 stepped */
    double t0, y0, sp1; /* when, PV before, new SP */
    double y;           /* filtered PV */
    bool have_y;
    double t10, t90, peak;  /* 10 % and 90 % crossings, furthest excursion */
    double t_in, t_settled; /* start of the current in-band stretch; settled at */
};

struct harness {
    struct cfg cfg;
    struct core core;
    struct splc plc;
    struct splc_in in;
    struct splc_out out;
    struct image im;
    struct tag_value tags[CFG_MAX_TAGS];
    struct scenario scen;
    bool have_scen;
    const char *script; /* file name of the script, "" for a normal shift */
    double dt, t, hours, silent_until;
    bool quiet;
    FILE *trace;
    double next_trace;
    struct op op;
    struct figs f;
    int t_firing_demand;
    struct stepper st; /* --step */
};

/* ---- tool_closed-loop.c ------------------------------------------------------------- */

/* A line of the run's log, stamped with the process time; nothing with --quiet. */
__attribute__((format(printf, 2, 3))) void say(const struct harness *h, const char *fmt, ...);

/* ---- closed_loop_image.c: the register image ---------------------------------------- */

/* Map every tag of the config onto the PLC once; preset the holding registers. */
void image_init(struct harness *h);
/* The PLC's inputs into h->tags through their registers (COMMS while the link is silent). */
void image_read(struct harness *h);
/* The core's writes and command to the PLC through the holding registers. */
void image_apply_writes(struct harness *h);

/* ---- closed_loop_operator.c: the simulated operator ---------------------------------- */

/* The operator at the start of the shift; seed: the jitter of the waits. */
void op_init(struct harness *h, unsigned seed);
/* Take every result the core has queued: replies to the operator, alarms, loop events. */
void op_drain(struct harness *h);
/* The operator's turn: at most one request through the gate. */
void op_operate(struct harness *h);

/* ---- closed_loop_measure.c: the figures ---------------------------------------------- */

/* The figures at the start of the run (the PLC already initialised). */
void measure_init(struct harness *h);
/* Measure after one cycle. */
void measure_cycle(struct harness *h);
/* A --trace row every TRACE_EVERY_S. */
void measure_trace_header(struct harness *h);
void measure_trace_row(struct harness *h);

/* ---- closed_loop_expect.c: the report ------------------------------------------------ */

/* Print the report of the run (wall_s: its wall time); returns how many checks missed. */
int expect_report(const struct harness *h, double wall_s);

#endif
