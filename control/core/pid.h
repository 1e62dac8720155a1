/* pid — one PID block: the control law, its limits and its modes.
 *
 * Positional ISA form with an optional PV filter, derivative on measurement,
 * conditional integration, output clamp and rate limit, setpoint ramp,
 * feed-forward, MAN / AUTO / CAS with bumpless transfer, output tracking and a
 * bad-PV hold.
 * The equations are at the top of pid.c.  Plain C over a plain struct: the
 * caller passes the measurement, the remote setpoint, the tracking request
 * and dt to pid_step(); nothing here reads a clock or does I/O.
 *
 * Operator changes go through pid_set_sp(), pid_set_mode() and pid_set_out(),
 * which either apply the change or refuse it with a sentence and change
 * nothing.  The output moves only in pid_step(), so a mode change never steps
 * it.
 */
#ifndef MELTCON_PID_H
#define MELTCON_PID_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "tag.h"

/* Tuning and limits.  Units: PV units (degC, Pa) and output units (%, or the
 * slave's PV unit for a cascade master); times in s.  0 means "no limit" for
 * the optional limits. */
struct pid_params {
    char name[CFG_NAME_MAX]; /* for messages: "bath", "hc", ... */
    char pv_unit[16], out_unit[16];
    enum cfg_loop_action action; /* REVERSE: output up when pv < sp */
    double kp;                   /* proportional gain, out units per PV unit, >= 0 */
    double ti_s;                 /* integral time, 0 = no integral action */
    double td_s;                 /* derivative time, 0 = no derivative action */
    double d_filter;             /* N: derivative filter time = td / N; 0 = unfiltered */
    double d_band_per_min;       /* derivative noise band on the PV rate, PV units/min, 0 none */
    double pv_filter_s;          /* first-order PV filter time constant, 0 = none */
    double pv_bad_hold_s;        /* a bad PV holds the output in AUTO/CAS this long before
                                  * the block drops to MAN, 0 = at once */
    double sp_lo, sp_hi;         /* setpoint limits (every mode) */
    double sp_max_step;          /* largest single operator change, 0 = none */
    double sp_ramp_per_min;      /* working SP ramp, PV units/min, 0 = none */
    double out_lo, out_hi;       /* output limits */
    double out_rate_per_s;       /* output rate limit, 0 = none */
    double out_deadband;         /* output gap (AUTO/CAS): held until the law is this far off */
    double i_lo, i_hi;           /* integrator clamp, output units */
    bool sp_track_pv;            /* in MAN the setpoint follows the PV */
    bool cas_allowed;            /* CAS has a remote setpoint to follow */
};

/* Status bits of the last step (struct pid.status). */
enum pid_status {
    PID_ST_SAT_HI = 1u << 0,       /* output held at its high limit (or a cap) */
    PID_ST_SAT_LO = 1u << 1,       /* output held at its low limit */
    PID_ST_RATE = 1u << 2,         /* output rate limit active */
    PID_ST_LIM_UP = 1u << 3,       /* the law wanted more output than it got */
    PID_ST_LIM_DOWN = 1u << 4,     /* the law wanted less output than it got */
    PID_ST_I_CLAMP = 1u << 5,      /* integrator at its clamp */
    PID_ST_I_HELD = 1u << 6,       /* integration skipped (anti-windup) */
    PID_ST_TRACK = 1u << 7,        /* output forced from outside */
    PID_ST_BAD_PV = 1u << 8,       /* PV not GOOD: output held (in MAN once bad for
                                      pv_bad_hold_s) */
    PID_ST_SP_RAMP = 1u << 9,      /* working SP still ramping to the target */
    PID_ST_SP_LIM_UP = 1u << 10,   /* effective SP below the requested one
                                    * (ramp, limit or override) */
    PID_ST_SP_LIM_DOWN = 1u << 11, /* effective SP above the requested one */
    PID_ST_SP_REDUCED = 1u << 12,  /* an override is lowering the SP */
    PID_ST_OUT_HELD = 1u << 13,    /* the output gap holds the output */
    PID_ST_SHED = 1u << 14,        /* dropped to MAN by a bad PV and not yet put back
                                      to AUTO/CAS by an operator (stays after repair) */
    PID_ST_COMB_CUT = 1u << 15,    /* the combustion (O2/CO) override is cutting the SP and
                                      capping the output (set by loops.c, not the PID) */
    PID_ST_PRIO_CAP = 1u << 16,    /* the priority (prio_loop) holds the output's high
                                      limit below out_hi (set by loops.c, not the PID) */
};

/* Events of the last step (struct pid.events): things to journal and alarm. */
enum pid_event {
    PID_EV_DROPPED_MAN = 1u << 0, /* bad PV: the block left AUTO/CAS for MAN */
};

/* Inputs of one step. */
struct pid_in {
    struct tag_value pv; /* measurement and its quality */
    double rsp;          /* remote setpoint, used in CAS */
    bool sp_ext;         /* AUTO: follow sp_ext_value instead of the local SP */
    double sp_ext_value; /* (a sequencer setpoint, e.g. SC pyrolysis) */
    double sp_reduce;    /* >= 0: taken off the working SP (roof override) */
    double ff;           /* feed-forward, output units, added to the output */
    bool out_cap;        /* lower the high output limit to out_cap_value */
    double out_cap_value;
    bool track;              /* output forced from outside (PLC low fire, door) */
    double track_value;      /* ... to this value */
    bool hold_up, hold_down; /* do not integrate toward a higher / lower output */
};

struct pid {
    struct pid_params prm;
    enum cfg_loop_mode mode;
    double sp;        /* local (operator) setpoint, the AUTO target */
    double sp_work;   /* working setpoint after ramp and limits */
    double sp_eff;    /* the setpoint the law uses: sp_work - reduction */
    double pv;        /* last good PV, filtered (what the law uses) */
    double out;       /* output of the last step */
    double man_out;   /* operator output in MAN (target, rate limited) */
    double p, i, d;   /* terms of the last step; i is the integrator */
    double rate;      /* the filtered PV rate D acts on, PV units/s (before the band) */
    double err;       /* signed error of the last step (action applied) */
    bool shed;        /* dropped to MAN by a bad PV; cleared by pid_set_mode to AUTO/CAS */
    unsigned status;  /* enum pid_status bits */
    unsigned events;  /* enum pid_event bits of the last step */
    char reason[160]; /* last event, as a sentence ("" if none) */
    bool pv_valid;    /* pv holds a good previous sample (for D) */
    double bad_s;     /* how long the PV has been bad without a break, s */
    double held_s;    /* of it, held in AUTO/CAS: the next good step's law spans it too */
    bool bumpless;    /* next AUTO/CAS step re-initialises i from out */
};

/* Params from a config loop section: the integrator clamp is set to the
 * output limits, SP tracking in MAN off, CAS not allowed, units empty (the
 * caller knows the tags). */
void pid_params_from_cfg(struct pid_params *prm, const struct cfg_loop *l);

/* Start a block in `mode` with local setpoint `sp` (clamped to the SP
 * limits) and output out_lo; the first AUTO/CAS step holds that output
 * (use pid_init_output() to start from a read-back). */
void pid_init(struct pid *p, const struct pid_params *prm, enum cfg_loop_mode mode, double sp);

/* Start from an output read back from the plant (a restart): the next step
 * produces exactly this output, whatever the mode, so nothing bumps. */
void pid_init_output(struct pid *p, double out);

/* One control step of dt seconds; returns the output (also in p->out).  A dt
 * that is not finite and positive changes nothing. */
double pid_step(struct pid *p, const struct pid_in *in, double dt);

/* A bad PV's hold after the last step: the seconds left before the loop drops to MAN, for
 * the console to count down; 0 when no hold runs (the PV good, the loop in MAN, or
 * pv_bad_hold_s 0). */
double pid_hold_left(const struct pid *p);

/* Operator changes.  0 on success; -1 with a sentence in err and the block
 * untouched on refusal. */
int pid_set_sp(struct pid *p, double sp, char *err, size_t errlen);
int pid_set_mode(struct pid *p, enum cfg_loop_mode mode, char *err, size_t errlen);
int pid_set_out(struct pid *p, double out, char *err, size_t errlen);

/* A pid_in with a GOOD pv and nothing else requested. */
struct pid_in pid_in_pv(double pv);

#endif
