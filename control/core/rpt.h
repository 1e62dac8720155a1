/* rpt — the figures a melt shop manages by, per charge and per shift, from the record.
 *
 * One pure module fed the same way by everything that measures a run: `meltcon report`
 * feeds it the journal's lines and the historian's samples read from the files; the
 * closed-loop harness (tests/) feeds it the core's results and its tag image every cycle.
 * So the figures of a run are computed by one piece of code, whoever asks.
 *
 * Inputs, in time order (t in seconds on any one clock):
 *   rpt_event()   one record line: KIND WHAT OLD -> NEW, accepted or refused, its sentence
 *                 (the journal's result without "ok: " / "refused: ", or a core result's
 *                 text).  What it takes from them:
 *                   phase phase OLD -> NEW        the melt phase
 *                   cmd charge CLASS -> MASS_T (ok)  a charge of MASS_T tonnes of scrap
 *                                                 class CLASS ("-": not recorded, a record
 *                                                 from before classes): opens a charge
 *                   cmd push (ok)                 the scrap goes into the bath
 *                   cmd tap_open (ok)             a tap
 *                   set|program bath.sp -> SP     the bath setpoint (flat bath is judged on it)
 *                   alarm NAME OLD -> NEW         the sentence starts "EVENT PRIORITY:";
 *                                                 "raised" is an annunciation
 *                   any other kind by a person    an operator action (refused: counted apart)
 *   rpt_sample()  the analog values in force from t on (NAN: not known / not GOOD).
 *   rpt_finish()  the end of the window.
 *
 * The figures (stepwise integrals: a value stands until the next sample, at most
 * max_gap_s):
 *   energy        E = sum gas_flow [Nm3/h] / 3600 * dt * lhv [MJ/Nm3] / 3.6  [kWh]
 *   per charge    from its charge command to the next one (or the end): energy, kWh/t =
 *                 E / mass; pyrolysis time (in PYROLYSIS); push to flat bath: from the
 *                 push until the bath (HC thermocouple) is within band_k of the setpoint
 *                 and stays there stay_s (the start of that stretch counts);
 *                 organics estimate: what the hearth's load cells (scrap_on_hearth) lost
 *                 in PYROLYSIS (organics and moisture gasified); pyrolysis share = their
 *                 heat (organics x organics_mj_kg) / (that + the charge's fuel energy);
 *                 metal gain = metal_mass at flat bath - at the charge; dross = mass -
 *                 gain - organics (NAN if a tap fell between, or no flat bath).
 *                 The masses are read at instants (a phase's start and end): a reading
 *                 that is not GOOD leaves the last GOOD one in force for up to
 *                 max_gap_s, as a gap in the record would (a link's time-out at the
 *                 moment PYROLYSIS began left the organics unknown).
 *   per shift     tonnes charged, energy, kWh/t, melt rate (t/h of the window), taps and
 *                 tonnes tapped (metal_mass fall over each TAP phase), alarm annunciations
 *                 by priority; ISA-18.2 KPIs over 10-min periods from the window's start:
 *                 mean annunciations per 10 min (one operator per furnace), % of periods
 *                 with more than flood_n, share of the 10 most frequent sources, sources
 *                 that chattered (chatter_n raises within chatter_s), standing alarms
 *                 (raised and not returned to NORMAL for standing_s at the end); operator
 *                 actions and refusals; deviations: bath IAE and largest |bath - SP| in
 *                 HOLD, episodes outside band_dev_k in HOLD, roof max, O2 min.
 */
#ifndef MELTCON_RPT_H
#define MELTCON_RPT_H

#include <stdbool.h>

#include "cfg.h"

#define RPT_MAX_CHARGES 128
#define RPT_MAX_SOURCES 64   /* alarm names followed */
#define RPT_MAX_PERIODS 4608 /* 10-min periods: 32 days */
#define RPT_TOP 10
#define RPT_CHATTER_RING 8

struct rpt_params {
    double lhv_mj_nm3;     /* fuel gas lower heating value */
    double organics_mj_kg; /* heating value taken for the organics */
    double bath_sp;        /* bath setpoint until the record says otherwise */
    double band_k, stay_s; /* flat bath: within band_k of SP for stay_s */
    double band_dev_k;     /* a HOLD deviation: |bath - SP| beyond this */
    double max_gap_s;      /* a sample stands at most this long */
    double period_s;       /* ISA-18.2 period (600) */
    int flood_n;           /* more annunciations in a period: a flood (10) */
    int chatter_n;         /* raises ... */
    double chatter_s;      /* ... within this: chattering (3 in 60 s) */
    double standing_s;     /* active this long at the end: standing (24 h) */
};

struct rpt_sample {
    double gas_flow;  /* Nm3/h */
    double metal_kg;  /* metal_mass */
    double bath_c;    /* bath_hc_temp */
    double roof_c;    /* roof_temp */
    double o2_pct;    /* o2_pct */
    double scrap_kg;  /* scrap_on_hearth */
};

struct rpt_charge {
    double t;           /* charge command */
    double mass_kg;
    char scrap[CFG_NAME_MAX]; /* its scrap class as recorded, "" not recorded */
    double pyro_s;      /* time in PYROLYSIS */
    double t_push;      /* -1 none yet */
    double flat_s;      /* push to flat bath, -1 not reached */
    double energy_kwh;
    double kwh_t;
    double organics_kg; /* estimate, NAN when the load cells were not read */
    double pyro_share;  /* of (fuel + organics heat), NAN with organics_kg */
    double gain_kg;     /* NAN unknown */
    double dross_kg;    /* NAN unknown */
    /* working state */
    double hearth0, t_band, metal0;
    bool tapped, done;
};

struct rpt_source {
    char name[CFG_NAME_MAX];
    int count;
    double raised_at[RPT_CHATTER_RING];
    bool chattered, active;
    double t_active;
};

struct rpt_shift {
    double t_from, t_to, hours;
    double charged_t, energy_kwh, kwh_t, rate_t_h;
    int taps;
    double tapped_t;
    int by_prio[PRIO_CRITICAL + 1];
    int annunciations, periods, flood_periods, max_per_period;
    double per_10min, flood_pct, top10_pct;
    int chattering, standing;
    int actions, refused;
    double bath_iae_kmin, bath_dev_max_k;
    int deviations;
    double roof_max, o2_min;
};

struct rpt {
    struct rpt_params p;
    /* state */
    double t0, t_last;
    bool started;
    struct rpt_sample s; /* in force */
    enum cfg_phase phase;
    double sp;
    double e_kwh;                   /* energy since start */
    double ph_t0;                   /* current phase episode: its start */
    double tap_metal0;              /* metal at TAP entry, NAN */
    double metal_good, metal_good_t; /* the last GOOD metal_mass and its time (NAN none) */
    double scrap_good, scrap_good_t; /* the same for scrap_on_hearth */
    bool out_dev;                   /* in a HOLD deviation */
    int period_n[RPT_MAX_PERIODS];  /* annunciations per period */
    int nsources;
    struct rpt_source src[RPT_MAX_SOURCES];
    /* results */
    int ncharges;
    struct rpt_charge ch[RPT_MAX_CHARGES];
    struct rpt_shift sh;
};

/* The defaults named above (lhv 36 MJ/Nm3, organics 30 MJ/kg, band 3 K for 300 s,
 * deviation 5 K, gap 120 s, 600 s periods, flood 10, chatter 3 in 60 s, standing 24 h);
 * bath_sp from the config's active program. */
void rpt_params_default(struct rpt_params *p, const struct cfg *c);

/* Start a window at t0 in phase ph (what the record says was in force). */
void rpt_init(struct rpt *r, const struct rpt_params *p, double t0, enum cfg_phase ph);

/* One record line (see the top).  ok: accepted; text: its sentence. */
void rpt_event(struct rpt *r, double t, const char *user, const char *kind, const char *what,
               const char *old_v, const char *new_v, bool ok, const char *text);

/* The values in force from t on. */
void rpt_sample(struct rpt *r, double t, const struct rpt_sample *s);

/* Close the window at t: open integrals, the shift's figures. */
void rpt_finish(struct rpt *r, double t);

#endif
