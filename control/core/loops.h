/* loops — the furnace's control loops, built from the [loop.NAME] sections.
 *
 * bath (master, no output tag) --CAS--> hc (slave) --> firing_demand
 *                     roof_temp override lowers the hc setpoint
 * sc --> fan_demand;  pressure --> damper_demand
 *
 * Each loop is one PID block (pid.h) whose PV, output and override are tags
 * of the config's map, resolved to indices once by loops_init().
 * loops_step() reads the decoded tag image, steps masters before their
 * slaves and leaves the demand of every loop with an output tag in
 * lp->out[].  A loop may give way to another (prio_loop: the fan to the bath), on every
 * charge or only on the scrap classes that ask for it (loops_prio_on).  A loop may also have a
 * combustion override: a low flue O2 or a high
 * CO lowers its setpoint and its output's high limit (the SC loop: the fan and the
 * SC gas that drive the pyrolysis), and a high-limit override: another tag above a start
 * value lowers its output's high limit (the furnace pressure on the firing: loops_hicap).
 * The sequencer and the server pass what they impose from outside
 * (a phase setpoint, a firing cap, a PLC-forced output) in struct loops_ext.
 */
#ifndef MELTCON_LOOPS_H
#define MELTCON_LOOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "pid.h"
#include "tag.h"

struct loops_loop {
    struct pid pid;
    int pv_tag, out_tag, ovr_tag; /* indices into cfg->tags, -1 = none */
    int master, slave;            /* loop indices, -1 = none */
    double ovr_limit, ovr_gain;   /* roof override: SP - gain * (ovr - limit) */
    double ovr_reduce;            /* what the override takes off the SP now, >= 0 */
    bool ovr_bad;                 /* override PV not GOOD or implausible: last reduction held */
    double ovr_max_above;         /* override PV more than this above the PV: implausible */
    /* combustion override (low O2 / high CO), see loops.c */
    int pv2_tag;                  /* second measurement, -1 = none (loops_blend_pv) */
    double pv2_weight, split_max;
    int o2_tag, co_tag, flow_tag; /* indices into cfg->tags, -1 = none */
    double co_flow_min;           /* CO load = CO x (min + (1 - min) x flow / 100) */
    double o2_limit, o2_gain, co_limit, co_gain, comb_release_per_min, comb_cap_gain;
    double comb_reduce;           /* what it takes off the SP now, K >= 0 */
    double comb_cap;              /* output high limit it imposes now (out_hi: none) */
    bool comb_bad;                /* an O2 or CO reading not GOOD: reduction held */
    /* priority (loops_prio_cap): another loop's deficit caps this output */
    int prio;                     /* that loop's index, -1 = none */
    double prio_band, prio_gain;
    double prio_cap;              /* output high limit it imposes now (out_hi: none) */
    /* high-limit override (loops_hicap): another measurement caps this output */
    int hicap_tag;                /* index into cfg->tags, -1 = none */
    double hicap_start, hicap_gain, hicap_release_per_min;
    double hicap;                 /* output high limit it imposes now (out_hi: none) */
    bool hicap_bad;               /* that reading not GOOD: the last cap held */
};

/* One demand to write: the loop and the output tag. */
struct loops_output {
    int loop;
    int tag; /* index into cfg->tags */
    double value;
};

struct loops {
    int n; /* loops, in the order of cfg->loops */
    struct loops_loop loop[CFG_MAX_LOOPS];
    int order[CFG_MAX_LOOPS]; /* step order: every master before its slave */
    bool by_class;            /* the config has [scrap.NAME] classes (loops_prio_on) */
    bool prio_on;             /* the priorities acted in the last step (loops_prio_on) */
    int nout;                 /* demands of the last step */
    struct loops_output out[CFG_MAX_LOOPS];
};

/* What the sequencer and the server impose on one loop for this step. */
struct loops_ext_loop {
    bool sp_set; /* AUTO: this setpoint instead of the operator's */
    double sp;
    bool cap; /* highest output allowed now (e.g. firing while charging) */
    double cap_value;
    bool track;         /* the output is forced (PLC at low fire, a door open) */
    double track_value; /* ... to this read-back */
    double ff;          /* feed-forward, output units */
};

struct loops_ext {
    struct loops_ext_loop loop[CFG_MAX_LOOPS]; /* indexed like lp->loop */
    /* the class of the last charge the PLC accepted (the scrap on the hearth, from its push
     * the scrap melting in the bath), NULL: none since the start.  With [scrap.NAME] classes
     * in the config a loop's priority (prio_loop) acts only while this class has
     * bath_priority = yes; without classes always (loops_prio_on) */
    const struct cfg_scrap *scrap;
};

/* Build the loops of c: resolve pv, out and override_pv to tag indices and
 * cascade_to to a loop.  A loop named by cascade_to is CAS-capable; its
 * master's output is its remote setpoint.  Returns 0, or -1 with a sentence
 * in err (a missing tag, an unknown or doubly driven slave, a cascade
 * cycle, a loop that drives nothing, CAS at start without a master). */
int loops_init(struct loops *lp, const struct cfg *c, char *err, size_t errlen);

/* Start every loop from what the plant has now, so a server restart does
 * not bump the burners: a loop with an output tag from its GOOD read-back, a
 * master from its slave's PV (else the slave's setpoint).  Returns the
 * number of loops whose read-back was not GOOD (left at their low limit). */
int loops_init_outputs(struct loops *lp, const struct tag_value *tags);

/* One step of every loop.  tags: the decoded image, indexed like cfg->tags.
 * ext: may be NULL.  Fills lp->out / lp->nout with the demands to write and
 * returns the number of loops that dropped to MAN in this step (bad PV; the
 * sentence is in lp->loop[i].pid.reason). */
int loops_step(struct loops *lp, const struct tag_value *tags, const struct loops_ext *ext,
               double dt);

/* The PV of a loop with two measurements a (pv) and b (pv2):
 *   both GOOD:  max((1 - w) a + w b, a - split)   (split 0: no guard)
 *   one GOOD:   that one alone (a failed thermocouple does not stop the loop)
 *   neither:    a as it is (its quality drops the loop to MAN)
 * w outside 0..1 or not finite counts as 0. */
struct tag_value loops_blend_pv(struct tag_value a, struct tag_value b, double w, double split);

/* The push feed-forward (charge heat demand): per_t x the tonnes pushed, decaying with
 * tau_s from the push, age_s ago.  0 for no charge, a negative or non-finite age or mass, or a
 * tau that is not positive. */
double loops_charge_ff(double per_t, double tau_s, double mass_kg, double age_s);

/* The priority cap of a loop's output from another loop's deficit (the fan waits for the
 * bath): with D = SP - PV of that loop (its action applied: how far it is short),
 *   cap = max(out_lo, out_hi - gain (D - band))   when D > band, else out_hi
 * A PV that is not GOOD there (or a loop in MAN) imposes nothing. */
double loops_prio_cap(double out_lo, double out_hi, double band, double gain, double deficit,
                      bool valid);

/* Whether the loops' priorities (prio_loop) act: without scrap classes (by_class false)
 * always; with them only while the last charge's class (scrap, NULL: none yet) asks for it
 * with bath_priority = yes.  Off, every priority cap is out_hi. */
bool loops_prio_on(bool by_class, const struct cfg_scrap *scrap);

/* The high-limit override's cap of a loop's output for this step: with X the reading and
 * out the loop's output now,
 *   want = max(out_lo, out_hi - gain (X - start))   when X > start, else out_hi
 *   cap  = max(want, min(prev, out) - fall)         when want <= prev (fall: the output's
 *                                                   rate limit x dt, 0 = at once)
 *        = min(want, prev + release/60 dt)          else (release 0: at once)
 * so the output it pulls down moves no faster than its own rate limit lets it.  A reading
 * that is not GOOD (valid false) or not finite holds prev. */
double loops_hicap(double out_lo, double out_hi, double start, double gain, double release_per_min,
                   double prev, double x, bool valid, double dt, double out, double fall);

/* Index of the loop called name, or -1. */
int loops_find(const struct loops *lp, const char *name);

#endif
