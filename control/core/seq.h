/* seq — the melt-phase sequencer: HOLD, CHARGE, PYROLYSIS, PUSH, MELT,
 * ALLOY, SKIM, TAP (simhw/README.md, 'Melt phases').
 *
 * A const table gives each phase its entry action, what it sets (bath and SC
 * gas setpoints, pump speed, HC firing cap, from the active melt program), its
 * exit condition, its normal next phase and whether leaving it needs the
 * operator.  seq_step() advances the clocks and says, every cycle, whether the
 * phase is ready to end and why, and whether it has run past the program's
 * maximum time.  seq_request() is the operator's (or engineer's) transition.
 * Functional core: no I/O, no clock; the shell passes the live values and dt.
 */
#ifndef MELTCON_SEQ_H
#define MELTCON_SEQ_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "plant.h"

#define SEQ_TEXT_MAX 160

#define SEQ_HEARTH_EMPTY_KG 100.0 /* scrap_on_hearth below this: hearth empty */
#define SEQ_PEAK_DROP_K 10.0      /* SC gas this far below its peak: peak passed */
#define SEQ_CO_HYST_PPM 25.0      /* CO that fell below co_end_ppm is low until above it + this */
#define SEQ_FLAT_HOLD_S 300.0     /* a flat bath must last this long to end MELT */
#define SEQ_HEEL_TOL_T 0.5        /* metal within this of heel_min_t: at the heel */

/* What the sequence asks of the loops in the current phase. */
struct seq_out {
    double bath_sp;      /* degC, bath (master) loop setpoint */
    bool sc_active;      /* the SC gas loop has a setpoint from the sequence */
    double sc_gas_sp;    /* degC, valid when sc_active */
    double pump_pct;     /* metal pump speed, % */
    double fire_cap_pct; /* HC firing demand cap, %; 100 = no cap */
    bool standby_ok;     /* TAP: the HC loop may ask for less than low fire, so the PLC may
                          * take the main flame off (burner standby, core.c) */
    bool standby_keep;   /* TAP, HOLD: ... and a burner in standby stays off until the loop
                          * asks for low fire (HOLD never takes the flame off itself) */
};

struct seq {
    enum cfg_phase phase;
    double t_phase_s;   /* time in the current phase */
    double t_pyro_s;    /* drying time: time in PYROLYSIS of the charge on the hearth */
    bool wet;           /* moisture flagged on the charge (operator or alarm) */
    bool ready;         /* the phase's exit condition holds */
    char why[SEQ_TEXT_MAX];         /* why ready, or why not yet */
    bool can_hold;      /* the phase may be left for HOLD (ALLOY, SKIM, TAP) */
    char hold_why[SEQ_TEXT_MAX];    /* why not, when it may not */
    bool can_charge;    /* the next charge may start (MELT, hearth empty) */
    char charge_why[SEQ_TEXT_MAX];  /* why, or why not */
    bool overrun;       /* past the program's max_min for this phase */
    char overrun_why[SEQ_TEXT_MAX];
    struct seq_out out;
    /* trackers of the current phase, reset on entry */
    bool have_peak;
    double sc_gas_peak;  /* PYROLYSIS: highest good SC gas temperature */
    bool co_low;         /* PYROLYSIS: CO has fallen below co_end_ppm and not risen past
                            co_end_ppm + SEQ_CO_HYST_PPM since (bad CO clears it) */
    double flat_s;       /* MELT: how long the bath has been flat */
    bool chem_ok;        /* ALLOY: chemistry confirmed */
    bool hc_door_opened; /* SKIM: the HC door has been open in this phase */
    double tap_peak_kg;  /* TAP: highest good metal mass in this phase */
};

/* Start in `phase` with all clocks at zero and outputs from `prog`.  Not
 * ready until the first seq_step(). */
void seq_init(struct seq *s, const struct cfg_program *prog, enum cfg_phase phase);

/* One control cycle: add dt (s) to the phase clock (and to the drying time in
 * PYROLYSIS), update the phase's trackers from the live values, evaluate the
 * exit condition (ready, why), the HOLD exit (can_hold, hold_why) and the
 * overrun, and set the outputs.  A phase that is not operator-confirmed
 * (PUSH) moves on to its next phase by itself when ready: returns true then,
 * with `why` telling what happened. */
bool seq_step(struct seq *s, const struct cfg_program *prog, const struct cfg_limits *lim,
              const struct plant *p, double dt);

/* The operator asks for `target`.  Allowed targets: the phase's next phase
 * (table), HOLD from ALLOY, SKIM and TAP, or CHARGE from MELT (the next
 * charge goes on the hearth while the last one melts).  The next phase needs
 * the current one ready (from the last seq_step); HOLD needs only the phase's
 * safe exit (HC door closed in SKIM, tap closed in TAP); CHARGE from MELT
 * needs the hearth empty (can_charge).  `force` (engineer) skips the ready /
 * safe-exit / empty-hearth check, never the allowed-target rule.  Returns
 * 0 and enters the target (its clock at zero, not ready, outputs from the
 * next seq_step), or -1 and changes nothing; `why` gets the sentence either
 * way (for the journal or the refusal). */
int seq_request(struct seq *s, enum cfg_phase target, bool force, char *why, size_t len);

/* The operator confirms the chemistry: ALLOY becomes ready.  -1 with a
 * sentence outside ALLOY. */
int seq_confirm_chemistry(struct seq *s, char *why, size_t len);

/* Set or clear the moisture flag of the charge.  Only an explicit call
 * clears it: a flagged charge blocks the push until someone clears it. */
void seq_flag_wet(struct seq *s, bool wet);

/* The outputs of `phase` under `prog` (what seq_step puts in s->out). */
void seq_outputs(const struct cfg_program *prog, enum cfg_phase phase, struct seq_out *out);

const char *seq_phase_name(enum cfg_phase p);  /* "PYROLYSIS"; "?" if out of range */
const char *seq_phase_what(enum cfg_phase p);  /* what happens, for the screen */
enum cfg_phase seq_phase_next(enum cfg_phase p);
bool seq_phase_confirmed(enum cfg_phase p);    /* leaving it needs the operator */

#endif
