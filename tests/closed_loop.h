/* closed_loop — what the files of the closed-loop harness share: the harness (the core, the
 * simulated PLC, the link between them, the operator, the figures) and the
 * functions each file gives the others.  The family (build/closed-loop):
 *   tool_closed-loop.c       main, the set-up and one cycle of the shift (overview on top)
 *   closed_loop_link.c       the link: the console's real plc_link.c over an in-memory PLC
 *                            that serves the simulator's register image (simhw/sim_image.c),
 *                            with injected link faults
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
#include "plc_link.h"
#include "rpt.h"
#include "sim_image.h"
#include "sim_plc.h"
#include "sim_scenario.h"
#include "tag.h"

/* The figures' limits (see the top of tool_closed-loop.c) and the harness's sizes. */
#define HOLD_SETTLE_S 600.0  /* HOLD figure judged from this long after entering HOLD ... */
#define HOLD_BAND_K 3.0      /* ... bath within this of SP; over all HOLD time: printed */
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
#define O2_LOW_PCT 0.5     /* flue O2 below this is fuel-rich (issue 13: never for > 60 s) */
#define O2_LOW_MAX_S 60.0
#define INGOT_AT_S 600.0   /* --cold-ingot: the ingot goes into the bath at this time ... */
#define INGOT_KG 3000.0    /* ... this heavy, at ambient */
#define INGOT_MELT_MAX_S 1800.0 /* goal: all solid melted within this */
#define FIRE_REV_MAX_H 120.0    /* --hold: firing demand reversals per hour (issue 13) ... */
#define FIRE_TRAVEL_MAX_H 300.0 /* ... and its travel, % per hour */
#define SPLIT_LO_K (-20.0) /* the HC-SC bath split's histogram: from ... */
#define SPLIT_BIN_K 0.1    /* ... in bins of ... */
#define SPLIT_BINS 800     /* ... this many (the ends take what lies beyond) */

/* ---- the link ------------------------------------------------------------------------- */

/* A fault of the link, --link-fault or a scenario's "silent N", active for t in [at, until). */
enum lf_kind {
    LF_NONE,
    LF_REFUSE,  /* the PLC answers every read that covers table:addr with an exception */
    LF_TIMEOUT, /* the PLC stops answering: every request times out; connecting works */
    LF_DROP,    /* the connection is reset, and connecting is refused */
};

struct link_fault {
    enum lf_kind kind;
    enum tag_table table; /* LF_REFUSE */
    int addr;
    double at, until;
};

/* The in-memory PLC behind plc_link's ops: the simulator's register image, answered
 * synchronously; what went over the link, counted. */
struct memplc {
    struct simimg *img;
    double now;            /* process time of the transaction */
    struct link_fault lf;  /* --link-fault */
    double silent_until;   /* a scenario's "silent N": timeouts */
    bool connected, reset; /* a dropped connection fails until closed */
    unsigned long reads, writes, connects, refused, timeouts, resets;
    int reads_cycle, writes_cycle; /* this cycle */
    /* the command handshake as the PLC receives it */
    int a_code, a_arg, a_seq; /* hr addresses of cmd_code, cmd_arg, cmd_seq, -1 none */
    bool code_fresh, arg_fresh;
    uint16_t last_seq;
    unsigned long cmds, seq_first, seq_repeated;
};

struct charge_rec {
    double t_drop;          /* scrap into the bath */
    double t_run, t_run_sc; /* start of the current in-band stretch (HC, SC TC), -1 none */
    double recovered_s, recovered_sc_s; /* -1: not recovered */
    double melted_s;        /* from the drop until no solid is left in the bath, -1 not yet */
    double sc_in_s;         /* from the drop until bath_sc_temp first read within the band
                               once no solid was left (no stay asked), -1 not yet */
    bool open;
};

/* What the harness measures; the report and the expectations read it after the run. */
struct figs {
    double hold_dev_k, hold_s, hold_true_dev_k, hold_ep_dev_k, hold_ep_s;
    double hold_all_dev_k, hold_all_s; /* over all HOLD time, from entering it */
    int ncharges;
    struct charge_rec ch[MAX_CHARGES];
    double roof_max, roof_true_max, hc_gas_max, bath_true_min, bath_true_max;
    double fuel_j0, melted_kg0, tapped_kg0, pyro_j0;
    unsigned long write_errors, silent_text;
    /* the link: read transactions per cycle against the read plan, the command handshake */
    int plan_open, reads_first; /* blocks planned at plc_open; read in the first cycle */
    int reads_min, reads_max;   /* later cycles in which every block was read */
    long read_cycles, write_cycles;
    unsigned long writes_sum, cmds_sent, cmds_not_sent;
    /* a link fault (--link-fault, or a scenario's "silent") */
    int lf_tag;                     /* the tag followed: the refused one, -1 none */
    double lf_t_comms, lf_t_stale;  /* first seen COMMS, STALE during the fault */
    double lf_last_good, lf_t_good; /* its last GOOD read before; GOOD again after */
    int lf_other_bad;               /* cycles a tag of another block was not GOOD */
    bool lf_link_lost;              /* the link was down during the fault */
    double lf_out0[CFG_MAX_LOOPS], lf_out_drift[CFG_MAX_LOOPS]; /* outputs held in MAN */
    double t_link_down, t_link_up; /* first down; first up again after that */
    int raised[CFG_MAX_ALARMS];
    int first_out[CFG_MAX_ALARMS];   /* raised first out of its group */
    int consequence[CFG_MAX_ALARMS]; /* recorded as another alarm's consequence */
    int annunciations, critical, floods, max_per_10min;
    /* faults */
    int lockouts;
    int standbys, relights, relights_hold; /* burner standby entries; relights (STANDBY ->
                                            * PRE-PURGE), all and in HOLD */
    int last_bms;                          /* bms_state as last read, -1 unknown */
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
    /* combustion (true values of the physics): flue O2 low, CO, unburnt gas in the HC */
    double o2_min, o2_low_s, o2_low_run, o2_low_run_max, co_max, comb_max;
    /* the firing demand in HOLD: direction reversals and travel (actuator wear) */
    double fire_last, fire_dir, fire_travel, fire_s;
    long fire_rev;
    /* the HC-SC bath split (bath_hc_temp - bath_sc_temp as read, both GOOD) per phase:
     * a histogram, seconds per bin */
    double split_hist[PH_COUNT][SPLIT_BINS];
    /* the energy balance from the start of the run (simhw/sim_physics.h) */
    struct phys_mark mark0;
    /* --cold-ingot */
    double t_ingot, ingot_melted_s, sc_true_min, frozen_kg0;
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
    struct memplc mp;     /* the PLC's side of the link */
    struct plc_link link; /* the console's side: control/server/plc_link.c */
    bool link_up;         /* as the server judges it: read this cycle, link UP */
    struct tag_value tags[CFG_MAX_TAGS];
    struct scenario scen;
    bool have_scen;
    const char *script; /* file name of the script, "" for a normal shift */
    const char *lf_key; /* "link refuse", "link timeout", "link drop"; "" none */
    double dt, t, hours;
    bool quiet;
    double organics_pct; /* --organics: the scrap's organics share, -1 the PLC's default */
    double charge_t;     /* --charge-t: the operator's charge, t; 0 the shift's 3 t */
    char scrap[CFG_NAME_MAX]; /* the class the operator declares for --organics ("" none:
                               * the charge is taken as [limits] default_scrap) */
    double charge_mass_t; /* what the operator charges: the largest the class allows of
                           * 3 t (or --charge-t), in 0.05 t (recipe_choose) */
    double tc_lag_s;     /* --tc-lag: every thermocouple's lag, -1 the config's */
    bool cold_ingot;     /* --cold-ingot: no shift; INGOT_KG cold into the bath at INGOT_AT_S */
    bool hold_only;      /* --hold: no shift; the furnace holds, the firing's wear is judged */
    FILE *trace;
    double next_trace;
    struct op op;
    struct figs f;
    int t_firing_demand;
    double firing_demand; /* in the PLC's holding register after this cycle's writes */
    struct stepper st;    /* --step */
    struct rpt rpt;       /* the record's figures (control/core/rpt.c), as `meltcon report` */
};

/* ---- tool_closed-loop.c ------------------------------------------------------------- */

/* A line of the run's log, stamped with the process time; nothing with --quiet. */
__attribute__((format(printf, 2, 3))) void say(const struct harness *h, const char *fmt, ...);

/* ---- closed_loop_link.c: the link ------------------------------------------------------ */

/* "KIND,AT_S,FOR_S" (KIND refuse:TABLE:ADDR, timeout or drop) -> *lf; -1 with a sentence. */
int link_fault_parse(const char *arg, struct link_fault *lf, char *err, size_t errlen);
/* The register image of the config's map, preset from the PLC's start state, and the
 * console's link over it (nothing sent yet).  -1 with a sentence. */
int link_init(struct harness *h, char *err, size_t errlen);
void link_free(struct harness *h);
/* A scenario's "silent N" from now: every request times out for N s (followed by the
 * figures as a timeout fault when no --link-fault is given). */
void link_silence(struct harness *h, double seconds);
/* What the console wrote into the PLC; after the scan, the PLC's outputs into the image. */
void link_plc_inputs(struct harness *h);
void link_plc_outputs(struct harness *h);
/* The console's read cycle: plc_read_all into h->tags; sets h->link_up. */
void link_read(struct harness *h);
/* The core's outputs and command over the link, as the server writes them; then
 * h->firing_demand from the PLC's register. */
void link_write(struct harness *h);

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
/* Every result of the core, as the server journals it, to the record's figures. */
void measure_result(struct harness *h, const struct core_result *r);
/* Close the record's figures at the end of the run and print them: per charge and for the
 * shift, by the code `meltcon report` uses, and one "record:" KEY=VALUE line for scripts. */
void measure_record(const struct harness *h);
/* The HC-SC bath split's percentile pct (0..100) over the phases in the bit set phases
 * (1u << PH_...), K; *secs (if not NULL) the time measured; NAN when none. */
double measure_split_pct(const struct figs *f, unsigned phases, double pct, double *secs);

/* ---- closed_loop_expect.c: the report ------------------------------------------------ */

/* Print the report of the run (wall_s: its wall time); returns how many checks missed. */
int expect_report(const struct harness *h, double wall_s);

#endif
