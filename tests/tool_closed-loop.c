/* closed-loop — the real control core and the real simulator stepped together in lockstep,
 * with a simulated operator who works a shift through the one gate (DESIGN.md §2, §6).
 *
 *   build/closed-loop [-c FILE] [--hours H] [--script FILE] [--seed N] [--quiet]
 *                     [--trace FILE] [--step LOOP:DELTA]
 *
 * One step every cycle period of process time (250 ms with the shipped config):
 *   scenario events due -> splc_step (PLC logic + physics) -> every PLC input encoded into its
 *   registers with the tag codec (tag_encode_sensor, tag_encode_fault for a broken sensor)
 *   and decoded with tag_decode, so quantisation, valid ranges and fault sentinels are real
 *   -> core_step -> k->writes encoded into the holding registers, decoded and handed to the
 *   PLC, then cmd_code, cmd_arg, cmd_seq in that order, once -> the operator looks at what
 *   the console shows and may make one request through core_request().
 * Process time and the core's monotonic time are both the step count x period, so a run is
 * deterministic for a seed (the seed drives the sensor noise and the operator's waits).  A
 * scenario's "silent N" takes the link down for N s: the core sees COMMS and nothing reaches
 * the PLC, whose watchdog trips as in the plant.
 *
 * The operator (table `shift`) runs the semi-continuous cycle of a twin-chamber furnace:
 * HOLD (20 min at the start of the shift; after a tap only until the next scrap box, made
 * ready during the tap, is at the door) -> CHARGE (open the charging door, charge 3 t, close
 * it) -> PYROLYSIS -> PUSH when the sequencer says ready -> MELT, and at once the next
 * CHARGE while the pushed scrap melts (MELT -> CHARGE, the hearth being empty), unless the
 * metal is above tap_above_t: then MELT until the bath is flat -> ALLOY (confirm after the
 * sample) -> SKIM -> TAP (the program's tap_target_t) -> HOLD, every five or six charges.
 * Duties come first (table `duties`), each a reaction time after it is seen: alarms
 * acknowledged 30 s after they ring, a lockout reset after 6 min looking for the cause and
 * the burners restarted, a tripped watchdog reset, a stopped pump or fan restarted, a loop
 * that dropped to MAN put back in its mode (tried once at once, then when its PV is GOOD).
 * No charge and no push while a fault is being dealt with.  A refusal is logged with its
 * sentence and the request made again later.
 *
 * Figures (DESIGN.md §6), judged on a normal shift (no --script, no --step):
 *   HOLD      |bath_hc_temp - SP| <= 3 K at every step from 10 min after entering HOLD until
 *             HOLD ends (bath_hc_temp as decoded: the bath loop's PV).
 *   recovery  for every charge, from the scrap dropping into the bath (the push) to the start
 *             of the first 5 min stretch with bath_hc_temp within 3 K of the program's
 *             holding setpoint, in any phase before the next charge drops: <= 20 min.
 *   roof      the roof (reading and true) stays below the roof_hh alarm limit.
 *   alarms    no alarm flood (the alarm KPI's floods).  Critical alarms are counted.
 *   melt      with --hours >= 4: fuel energy / tonnes melted in 350..600 kWh/t and a melt
 *             rate of 6..13 t/h (DESIGN.md's figure table).
 *   speed     simulated-to-wall ratio, printed only (make bench reports it).
 * Fault scripts are judged by the table `expects`, keyed by the script's file name
 * (sim_scenario rejects unknown sections, so the expectations live here); a script without
 * expectations gets the generic checks only.  Always judged: every reply carries a sentence,
 * the tag codec accepts every value the core writes.
 * --step LOOP:DELTA (tuning): no shift; at 10 min the loop's setpoint moves by DELTA and the
 * rise, overshoot and settling of its PV are printed.  --trace FILE: a CSV row every 10 s.
 *
 * Exit status: 0 all met, 1 a figure or an expectation missed, 2 usage or setup error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "core.h"
#include "plc_contract.h"
#include "sim_plc.h"
#include "sim_scenario.h"
#include "tag.h"

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

/* ---- the operator's habits (process seconds) --------------------------------------- */

enum wait { W_NONE, W_REACT, W_BOX, W_DOOR, W_CRANE, W_SAMPLE, W_SKIM, W_COUNT };

static const struct habits {
    double wait_s[W_COUNT]; /* before a step of the shift, jittered +-20 % by the seed */
    double hold_first_s;    /* the first HOLD of the shift: the HOLD figure needs > 10 min */
    double retry_s;         /* a refused request is tried again after this */
    double ack_s;           /* an alarm is acknowledged this long after it rang */
    double cause_s;         /* a lockout: looking for its cause before the reset */
    double duty_retry_s;    /* a pump, fan or loop mode that did not come back: try again */
    double tap_above_t;     /* after a push: tap (not the next charge) with more metal */
} habits = {
    .wait_s = {[W_NONE] = 0,
               [W_REACT] = 15,
               [W_BOX] = 120,
               [W_DOOR] = 15,
               [W_CRANE] = 90,
               [W_SAMPLE] = 180,
               [W_SKIM] = 180},
    .hold_first_s = 1200,
    .retry_s = 60,
    .ack_s = 30,
    .cause_s = 360,
    .duty_retry_s = 180,
    .tap_above_t = 60,
};

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

static __attribute__((format(printf, 2, 3))) void say(const struct harness *h, const char *fmt, ...)
{
    if (h->quiet)
        return;
    int s = (int)h->t;
    printf("%02d:%02d:%02d ", s / 3600, s / 60 % 60, s % 60);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static const struct splc_field *field_find(const struct splc_field *f, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].tag, tag))
            return &f[i];
    return NULL;
}

static double field_get(const struct splc_field *f, const void *base)
{
    const char *p = (const char *)base + f->off;
    double d;
    uint16_t u;
    bool b;
    switch (f->kind) {
    case SPLC_DOUBLE:
        memcpy(&d, p, sizeof d);
        return d;
    case SPLC_U16:
        memcpy(&u, p, sizeof u);
        return u;
    case SPLC_BOOL:
    default:
        memcpy(&b, p, sizeof b);
        return b;
    }
}

/* Decode tag i from its registers into the image (a sentinel keeps the last value). */
static void decode(struct harness *h, int i)
{
    double v = h->tags[i].v;
    h->tags[i].q = tag_decode(&h->cfg.tags[i], h->im.regs[i], &v);
    h->tags[i].v = v;
}

/* Map every tag of the config onto the PLC once; preset the holding registers from the
 * PLC's start state, as meltsim presets them.  Tags the PLC does not serve read COMMS. */
static void image_init(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    for (int i = 0; i < c->ntags; i++) {
        const char *name = c->tags[i].name;
        struct image *im = &h->im;
        h->tags[i] = (struct tag_value){.v = 0, .q = Q_BAD_COMMS};
        im->src[i] = SRC_NONE;
        if ((im->fld[i] = field_find(splc_out_fields, splc_out_nfields, name)))
            im->src[i] = SRC_OUT;
        else if ((im->fld[i] = field_find(splc_in_fields, splc_in_nfields, name)))
            im->src[i] = SRC_HR;
        if (im->src[i] == SRC_NONE && !h->quiet)
            printf("note: tag %s is not served by the simulated PLC: it reads COMMS\n", name);
        if (im->src[i] == SRC_HR) {
            tag_encode_sensor(&c->tags[i], field_get(im->fld[i], &h->in), im->regs[i]);
            decode(h, i);
        }
    }
}

/* The PLC's inputs as a Modbus client reads them: through the registers. */
static void image_read(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    struct image *im = &h->im;
    bool silent = h->t < h->silent_until;
    for (int i = 0; i < c->ntags; i++) {
        const struct cfg_tag *tg = &c->tags[i];
        if (im->src[i] == SRC_OUT) {
            double v = field_get(im->fld[i], &h->out);
            bool broken = im->fld[i]->tc >= 0 && h->out.broken[im->fld[i]->tc];
            if (broken && tg->has_fault)
                tag_encode_fault(tg, im->regs[i]);
            else
                tag_encode_sensor(tg, v, im->regs[i]);
        }
        if (silent || im->src[i] == SRC_NONE)
            h->tags[i].q = Q_BAD_COMMS;
        else
            decode(h, i);
    }
}

/* One value the console writes: into the holding register through the codec, and from
 * there to the PLC as meltsim's server hands it over. */
static void write_hr(struct harness *h, int tag, double v)
{
    const struct cfg_tag *tg = &h->cfg.tags[tag];
    char err[200];
    if (tag_encode(tg, v, h->im.regs[tag], err, sizeof err) < 0) {
        h->f.write_errors++;
        say(h, "WRITE REFUSED by the codec: %s", err);
        return;
    }
    decode(h, tag);
    if (h->im.src[tag] == SRC_HR)
        splc_in_set(&h->in, tg->name, h->tags[tag].v);
}

/* k->writes, then cmd_code, cmd_arg, cmd_seq in that order, once.  Nothing arrives while
 * the link is silent. */
static void apply_writes(struct harness *h)
{
    const struct core *k = &h->core;
    if (h->t < h->silent_until)
        return;
    for (int i = 0; i < k->nwrites; i++)
        write_hr(h, k->writes[i].tag, k->writes[i].value);
    if (k->cmd_write)
        for (int i = 0; i < 3; i++)
            write_hr(h, k->cmd_out[i].tag, k->cmd_out[i].value);
}

/* ---- results: replies and events ----------------------------------------------------- */

static int loop_of(const struct harness *h, const char *what)
{
    char name[CFG_NAME_MAX];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(what, "."), what);
    return loops_find(&h->core.loops, name);
}

/* A reply to the operator. */
static void on_reply(struct harness *h, const struct core_result *r)
{
    struct figs *f = &h->f;
    struct op *o = &h->op;
    if (!r->text[0])
        f->silent_text++;
    int li = !strcmp(r->kind, "set") && strstr(r->what, ".mode") ? loop_of(h, r->what) : -1;
    if (!r->ok) {
        if (o->in_gate)
            o->refused_gate++;
        else
            o->refused_plc++;
        say(h, "REFUSED%s: %s", o->in_gate ? "" : " at the PLC handshake", r->text);
        if (li >= 0 && (h->core.loops.loop[li].pid.status & PID_ST_BAD_PV))
            f->mode_refused_bad[li]++;
    } else {
        say(h, "ok: %s", r->text);
        if (li >= 0 && f->t_dropped[li] >= 0)
            f->t_restored[li] = h->t;
        if (!strcmp(r->kind, "cmd") && !strcmp(r->what, "watchdog_reset"))
            f->t_wd_reset = h->t;
    }
    if (o->pending && r->id == o->pend_id) {
        o->pending = false;
        o->answered = true;
        o->pend_ok = r->ok;
    }
}

static void on_result(struct harness *h, const struct core_result *r)
{
    struct figs *f = &h->f;
    if (r->client >= 0) {
        on_reply(h, r);
        return;
    }
    if (!strcmp(r->kind, "alarm")) {
        int a = alarm_find(&h->core.alarms, r->what);
        if (!strncmp(r->text, "raised ", 7) && a >= 0) {
            f->raised[a]++;
            f->annunciations++;
            f->critical += h->core.alarms.al[a].def.priority == PRIO_CRITICAL;
            h->op.t_rang[a] = h->t;
        }
        if (!strncmp(r->text, "flood start", 11))
            f->floods++;
        if (strncmp(r->text, "acked", 5))
            say(h, "alarm %s", r->text);
        return;
    }
    if (!strcmp(r->kind, "loop")) {
        int li = loop_of(h, r->what);
        if (li >= 0) {
            f->t_dropped[li] = h->t;
            h->op.mode_tried_bad[li] = false;
        }
    }
    say(h, "%s: %s", r->kind, r->text);
}

static void drain(struct harness *h)
{
    static struct core_result res[CORE_RESULTS];
    int n;
    while ((n = core_results_take(&h->core, res, CORE_RESULTS)) > 0)
        for (int i = 0; i < n; i++)
            on_result(h, &res[i]);
}

/* ---- the operator ---------------------------------------------------------------------- */

static double jitter(struct op *o)
{
    uint64_t z = (o->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return 0.8 + 0.4 * (double)(z >> 11) / 9007199254740992.0;
}

/* One request through the gate, as a console sends it; step: the shift step asking, -1 for
 * a duty.  0 accepted (a PLC command then waits for its answer), -1 refused (logged). */
static int ask(struct harness *h, int step, const char *verb, const char *target, const char *value,
               const char *reason)
{
    struct op *o = &h->op;
    struct core_req r = {.id = ++o->next_id, .client = 1, .role = ROLE_OPERATOR};
    snprintf(r.user, sizeof r.user, "op1");
    snprintf(r.origin, sizeof r.origin, "closed-loop");
    snprintf(r.verb, sizeof r.verb, "%s", verb);
    snprintf(r.target, sizeof r.target, "%s", target);
    snprintf(r.value, sizeof r.value, "%s", value ? value : "");
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    o->requests++;
    say(h, "operator: %s %s%s%s", verb, target, value ? " " : "", value ? value : "");
    o->in_gate = true;
    int rc = core_request(&h->core, &r);
    drain(h);
    o->in_gate = false;
    bool plc = rc == 0 && !strcmp(verb, "cmd") &&
               perm_cmd_plc((enum perm_cmd)perm_cmd_from_name(target)) != PLC_CMD_NONE;
    if (plc) {
        o->pending = true;
        o->pend_id = r.id;
        o->pend_step = step;
    }
    o->t_free = h->t + (rc < 0 ? habits.retry_s : habits.wait_s[W_REACT]);
    return rc;
}

/* ---- duties: what comes before the shift ------------------------------------------------- */

static bool lockout(const struct harness *h)
{
    return plant_on(h->core.plant.bms_lockout);
}

static bool due_lockout_reset(const struct harness *h)
{
    return lockout(h) && h->t - h->op.t_lockout_seen >= habits.cause_s;
}

static bool due_burner_start(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->bms_state.q == Q_GOOD && (int)p->bms_state.v == BMS_OFF && !lockout(h);
}

static bool due_watchdog(const struct harness *h)
{
    return plant_on(h->core.plant.watchdog_tripped);
}

static bool due_pump(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->pump_running.q == Q_GOOD && !plant_on(p->pump_running);
}

static bool due_fan(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->fan_running.q == Q_GOOD && !plant_on(p->fan_running);
}

/* In this order; one per turn.  A duty whose fault may persist is not retried before
 * duty_retry_s. */
static const struct duty {
    const char *target;
    bool (*due)(const struct harness *h);
    bool slow;
} duties[] = {
    {"watchdog_reset", due_watchdog, false},
    {"lockout_reset", due_lockout_reset, false},
    {"burner_start", due_burner_start, true},
    {"pump_start", due_pump, true},
    {"fan_start", due_fan, true},
};
#define NDUTIES (sizeof duties / sizeof duties[0])
_Static_assert(sizeof duties / sizeof duties[0] <= MAX_DUTIES, "raise MAX_DUTIES");

/* Acknowledge what rang ack_s ago and is still unacknowledged on the alarm list. */
static bool do_acks(struct harness *h)
{
    const struct alarms *a = &h->core.alarms;
    for (int i = 0; i < a->n; i++) {
        if (h->op.t_rang[i] < 0 || h->t - h->op.t_rang[i] < habits.ack_s)
            continue;
        h->op.t_rang[i] = -1;
        if (a->al[i].state == ALARM_UNACK || a->al[i].state == ALARM_RTN_UNACK) {
            ask(h, -1, "ack", a->al[i].def.name, NULL, "seen on the alarm list");
            return true;
        }
    }
    return false;
}

/* A loop that dropped to MAN goes back to its start mode: tried once at once (the console
 * refuses while the PV is bad), then whenever its PV is GOOD. */
static bool do_modes(struct harness *h)
{
    for (int i = 0; i < h->core.loops.n; i++) {
        const struct pid *p = &h->core.loops.loop[i].pid;
        enum cfg_loop_mode want = h->cfg.loops[i].mode;
        if (p->mode == want || h->f.t_dropped[i] < 0)
            continue;
        bool bad = p->status & PID_ST_BAD_PV;
        if (bad && h->op.mode_tried_bad[i])
            continue;
        h->op.mode_tried_bad[i] = bad;
        char target[64];
        snprintf(target, sizeof target, "%s.mode", h->cfg.loops[i].name);
        ask(h, -1, "set", target, cfg_loop_mode_name(want), "back to its mode after a fault");
        return true;
    }
    return false;
}

static bool do_duties(struct harness *h)
{
    struct op *o = &h->op;
    if (!lockout(h))
        o->t_lockout_seen = -1;
    else if (o->t_lockout_seen < 0)
        o->t_lockout_seen = h->t;
    if (do_acks(h) || do_modes(h))
        return true;
    for (size_t i = 0; i < NDUTIES; i++) {
        if (!duties[i].due(h)) {
            o->t_seen[i] = -1;
            continue;
        }
        if (o->t_seen[i] < 0)
            o->t_seen[i] = h->t;
        if (h->t < o->t_duty[i] || h->t - o->t_seen[i] < habits.wait_s[W_REACT])
            continue;
        int rc = ask(h, -1, "cmd", duties[i].target, NULL, "restoring the furnace");
        o->t_duty[i] = h->t + (duties[i].slow || rc < 0 ? habits.duty_retry_s : 0);
        return true;
    }
    return false;
}

/* ---- the shift ---------------------------------------------------------------------------- */

static bool when_ready(const struct harness *h)
{
    return h->core.seq.ready;
}

static bool when_sc_door_open(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->sc_door_closed.q == Q_GOOD && !plant_on(p->sc_door_closed);
}

static bool when_tapped(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    double target = h->core.prog->tap_target_t * 1000;
    double heel = (h->cfg.limits.heel_min_t + SEQ_HEEL_TOL_T) * 1000;
    return p->metal_mass.q == Q_GOOD &&
           (h->core.seq.tap_peak_kg - p->metal_mass.v >= target || p->metal_mass.v <= heel);
}

/* What a person checks before putting scrap on the hearth or into the bath: burners firing,
 * pump running, no watchdog trip, the link up, every loop in its own mode. */
static bool when_healthy(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    if (h->t < h->silent_until || !plant_on(p->flame_on) || !plant_on(p->pump_running) ||
        plant_on(p->watchdog_tripped))
        return false;
    for (int i = 0; i < h->core.loops.n; i++)
        if (h->core.loops.loop[i].pid.mode != h->cfg.loops[i].mode)
            return false;
    return true;
}

static bool when_ready_healthy(const struct harness *h)
{
    return when_ready(h) && when_healthy(h);
}

static bool skip_unless_tap_due(const struct harness *h)
{
    const struct plant *p = &h->core.plant;
    return p->metal_mass.q != Q_GOOD || p->metal_mass.v < habits.tap_above_t * 1000;
}

static bool skip_if_tap_due(const struct harness *h)
{
    return !skip_unless_tap_due(h);
}

/* The shift, phase by phase.  In its phase a step waits `wait` after the previous step and
 * until `when` holds, then makes its request; `skip` passes it over.  The charge is 3 t (the
 * PLC's default charge carries 3 % organics).  No charge and no push while a fault is being
 * dealt with (when_healthy).  After a push the next charge goes on at once (MELT -> CHARGE)
 * unless a tap is due: then the metal is melted flat, alloyed, skimmed and tapped. */
static const struct step {
    enum cfg_phase phase;
    const char *verb, *target, *value;
    enum wait wait;
    bool (*when)(const struct harness *h);
    bool (*skip)(const struct harness *h);
} shift[] = {
    {PH_HOLD, "phase", "CHARGE", NULL, W_BOX, when_healthy, NULL},
    {PH_CHARGE, "cmd", "sc_door_open", NULL, W_REACT, NULL, NULL},
    {PH_CHARGE, "cmd", "charge", "3", W_DOOR, when_sc_door_open, NULL},
    {PH_CHARGE, "cmd", "sc_door_close", NULL, W_CRANE, NULL, NULL},
    {PH_CHARGE, "phase", "PYROLYSIS", NULL, W_REACT, when_ready, NULL},
    {PH_PYROLYSIS, "phase", "PUSH", NULL, W_REACT, when_ready_healthy, NULL},
    {PH_PUSH, "cmd", "push", NULL, W_REACT, NULL, NULL},
    {PH_MELT, "phase", "CHARGE", NULL, W_REACT, when_healthy, skip_if_tap_due},
    {PH_MELT, "phase", "ALLOY", NULL, W_REACT, when_ready, NULL},
    {PH_ALLOY, "confirm", "chemistry", NULL, W_SAMPLE, NULL, NULL},
    {PH_ALLOY, "phase", "SKIM", NULL, W_REACT, NULL, skip_unless_tap_due},
    {PH_ALLOY, "phase", "HOLD", NULL, W_REACT, NULL, NULL},
    {PH_SKIM, "cmd", "hc_door_open", NULL, W_REACT, NULL, NULL},
    {PH_SKIM, "cmd", "hc_door_close", NULL, W_SKIM, NULL, NULL},
    {PH_SKIM, "phase", "TAP", NULL, W_REACT, when_ready, NULL},
    {PH_TAP, "cmd", "tap_open", NULL, W_REACT, NULL, NULL},
    {PH_TAP, "cmd", "tap_close", NULL, W_REACT, when_tapped, NULL},
    {PH_TAP, "phase", "HOLD", NULL, W_REACT, when_ready, NULL},
};
#define NSTEPS ((int)(sizeof shift / sizeof shift[0]))

static void step_begin(struct harness *h, int i)
{
    struct op *o = &h->op;
    o->step = i;
    o->t_step = h->t;
    o->wait_s = 0;
    if (i < NSTEPS)
        o->wait_s = shift[i].phase == PH_HOLD && o->holds == 1
                        ? habits.hold_first_s
                        : habits.wait_s[shift[i].wait] * jitter(o);
}

static void count_step(struct op *o, const struct step *s)
{
    o->charges += !strcmp(s->target, "charge");
    o->pushes += !strcmp(s->target, "push");
    o->taps += !strcmp(s->target, "tap_open");
}

static void do_shift(struct harness *h)
{
    struct op *o = &h->op;
    enum cfg_phase ph = h->core.seq.phase;
    if (ph != o->phase) {
        o->phase = ph;
        o->holds += ph == PH_HOLD;
        int i = 0;
        while (i < NSTEPS && shift[i].phase != ph)
            i++;
        step_begin(h, i);
    }
    while (o->step < NSTEPS && shift[o->step].phase == ph && shift[o->step].skip &&
           shift[o->step].skip(h))
        step_begin(h, o->step + 1);
    if (o->step >= NSTEPS || shift[o->step].phase != ph)
        return;
    const struct step *s = &shift[o->step];
    if (h->t - o->t_step < o->wait_s || (s->when && !s->when(h)))
        return;
    if (ask(h, o->step, s->verb, s->target, s->value, "shift") < 0)
        return;
    if (!o->pending) {
        count_step(o, s);
        step_begin(h, o->step + 1);
    }
}

/* --step: the operator's only task besides the duties. */
static void do_step(struct harness *h)
{
    struct stepper *st = &h->st;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    char target[64], value[32];
    if (h->t < STEP_AT_S || st->stage == 2)
        return;
    if (p->mode == LOOP_CAS) {
        snprintf(target, sizeof target, "%s.mode", p->prm.name);
        ask(h, -1, "set", target, "AUTO", "step test");
        st->stage = 1;
        return;
    }
    snprintf(target, sizeof target, "%s.sp", p->prm.name);
    snprintf(value, sizeof value, "%.1f", p->sp + st->delta);
    if (ask(h, -1, "set", target, value, "step test") == 0) {
        st->stage = 2;
        st->t0 = h->t;
        st->y0 = st->y;
        st->sp1 = p->sp;
        st->peak = st->y;
        st->t10 = st->t90 = st->t_in = st->t_settled = -1;
    }
}

/* The operator's turn: the answer to a PLC command first (OK: the shift goes on; refused:
 * asked again after retry_s), then duties, then the shift. */
static void operate(struct harness *h)
{
    struct op *o = &h->op;
    if (o->pending || h->t < h->silent_until)
        return;
    if (o->answered) {
        o->answered = false;
        if (o->pend_step >= 0 && o->pend_step == o->step && shift[o->step].phase == o->phase) {
            if (o->pend_ok) {
                count_step(o, &shift[o->step]);
                step_begin(h, o->step + 1);
            } else {
                o->t_free = h->t + habits.retry_s;
            }
        }
    }
    if (h->t < o->t_free || do_duties(h))
        return;
    if (h->st.loop >= 0)
        do_step(h);
    else
        do_shift(h);
}

/* ---- measuring ----------------------------------------------------------------------------- */

/* Recovery after each charge: a charge opens when the scrap drops into the bath (the push);
 * it is recovered at the start of the first stretch in which bath_hc_temp stays within
 * RECOVER_BAND_K of the program's holding setpoint for RECOVER_STAY_S, whatever the phase;
 * still open when the next charge drops (or the run ends): not recovered.  The SC side is
 * not judged: at 30 % pump it sits ~3 K below the HC side in a steady hold, which the bath
 * loop cannot change. */
static void measure_recovery(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct plant *p = &h->core.plant;
    double solid = h->plc.phys.solid_kg;
    if (solid > f->solid_before + 100 && f->ncharges < MAX_CHARGES) {
        if (f->ncharges > 0 && f->ch[f->ncharges - 1].open) {
            f->ch[f->ncharges - 1].open = false;
            say(h, "figure: not recovered before the next charge");
        }
        f->ch[f->ncharges++] =
            (struct charge_rec){.t_drop = h->t, .t_run = -1, .recovered_s = -1, .open = true};
    }
    f->solid_before = solid;
    if (f->ncharges == 0 || !f->ch[f->ncharges - 1].open)
        return;
    struct charge_rec *c = &f->ch[f->ncharges - 1];
    bool in_band = live && p->bath_hc_temp.q == Q_GOOD &&
                   fabs(p->bath_hc_temp.v - h->core.prog->bath_sp) <= RECOVER_BAND_K;
    if (!in_band)
        c->t_run = -1;
    else if (c->t_run < 0)
        c->t_run = h->t;
    if (c->t_run >= 0 && h->t - c->t_run >= RECOVER_STAY_S) {
        c->recovered_s = c->t_run - c->t_drop;
        c->open = false;
        say(h, "figure: recovered to %.0f K %.1f min after the push", RECOVER_BAND_K,
            c->recovered_s / 60);
    }
}

/* The burner and the HC loop around a lockout. */
static void measure_burner(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct plant *p = &h->core.plant;
    double demand = h->tags[h->t_firing_demand].v;
    bool firing = p->bms_state.q == Q_GOOD && (int)p->bms_state.v == BMS_FIRING;
    bool locked = plant_on(p->bms_lockout);
    const struct core *k = &h->core;
    unsigned forced = k->hc_loop >= 0 ? k->loops.loop[k->hc_loop].pid.status & PID_ST_TRACK : 0;
    bool capped = k->seq.out.fire_cap_pct < 100;
    if (live && f->last_firing >= 0 && !forced && !capped)
        f->max_firing_step = fmax(f->max_firing_step, fabs(demand - f->last_firing));
    f->last_firing = live && !forced && !capped ? demand : -1;
    if (locked && !f->was_locked) {
        f->lockouts++;
        if (f->t_lockout < 0)
            f->t_lockout = h->t;
    }
    f->was_locked = locked;
    if (f->t_lockout >= 0 && !firing && live && p->firing_fb.q == Q_GOOD)
        f->forced_track_err = fmax(f->forced_track_err, fabs(demand - p->firing_fb.v));
    if (firing && !f->was_firing && f->t_lockout >= 0) {
        f->t_restart = h->t;
        f->t_fixed = h->t;
        f->restart_gap = fmax(f->restart_gap, fabs(demand - p->firing_fb.v));
    }
    f->was_firing = firing;
}

/* The bath loop while its thermocouple is broken, and the pump. */
static void measure_faults(struct harness *h, bool live)
{
    struct figs *f = &h->f;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    double bath = phys_bath_c(&h->plc.phys);
    if (k->bath_loop >= 0 && live && p->bath_hc_temp.q != Q_GOOD) {
        double out = k->loops.loop[k->bath_loop].pid.out;
        if (!f->bad_seen) {
            f->bad_seen = true;
            f->bad_out0 = out;
            f->bad_bath_lo = f->bad_bath_hi = bath;
        }
        f->bad_out_drift = fmax(f->bad_out_drift, fabs(out - f->bad_out0));
        f->bad_fire_max = fmax(f->bad_fire_max, h->tags[h->t_firing_demand].v);
        f->bad_bath_lo = fmin(f->bad_bath_lo, bath);
        f->bad_bath_hi = fmax(f->bad_bath_hi, bath);
    }
    if (k->bath_loop >= 0 && f->t_restored[k->bath_loop] > f->t_fixed)
        f->t_fixed = f->t_restored[k->bath_loop];
    if (!live || p->pump_running.q != Q_GOOD)
        return;
    bool pump = plant_on(p->pump_running);
    if (!pump && f->t_pump_stop < 0)
        f->t_pump_stop = h->t;
    if (pump && f->t_pump_stop >= 0 && f->t_pump_restart < 0)
        f->t_pump_restart = f->t_fixed = h->t;
    if (p->bath_hc_temp.q != Q_GOOD || p->bath_sc_temp.q != Q_GOOD)
        return;
    double split = fabs(p->bath_hc_temp.v - p->bath_sc_temp.v);
    if (f->t_pump_stop < 0)
        f->split_before = fmax(f->split_before, split);
    else if (f->t_pump_restart < 0)
        f->split_trip = fmax(f->split_trip, split);
    else if (h->t - f->t_pump_restart <= 600)
        f->split_after = split;
}

/* Per loop: RMS and largest |SPeff - PV| while it controls (AUTO or CAS, PV GOOD, not
 * tracking, output not saturated), and the output's travel (actuator wear). */
static void measure_loops(struct harness *h)
{
    struct figs *f = &h->f;
    const struct loops *lp = &h->core.loops;
    for (int i = 0; i < lp->n; i++) {
        const struct pid *p = &lp->loop[i].pid;
        if (f->lq_started)
            f->lq_travel[i] += fabs(p->out - f->lq_last[i]);
        f->lq_last[i] = p->out;
        unsigned off = PID_ST_BAD_PV | PID_ST_TRACK | PID_ST_SAT_HI | PID_ST_SAT_LO;
        if (p->mode == LOOP_MAN || (p->status & off))
            continue;
        double e = p->sp_eff - p->pv;
        f->lq_sq[i] += e * e * h->dt;
        f->lq_s[i] += h->dt;
        f->lq_max[i] = fmax(f->lq_max[i], fabs(e));
    }
    f->lq_started = true;
}

static void measure_step(struct harness *h)
{
    struct stepper *st = &h->st;
    if (st->loop < 0)
        return;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    if (!st->have_y)
        st->y = p->pv;
    st->have_y = true;
    st->y += (p->pv - st->y) * (1 - exp(-h->dt / STEP_FILTER_S));
    if (st->stage != 2)
        return;
    double span = st->sp1 - st->y0, frac = span != 0 ? (st->y - st->y0) / span : 0;
    if (st->t10 < 0 && frac >= 0.1)
        st->t10 = h->t;
    if (st->t90 < 0 && frac >= 0.9)
        st->t90 = h->t;
    if ((span > 0 && st->y > st->peak) || (span < 0 && st->y < st->peak))
        st->peak = st->y;
    if (fabs(st->y - st->sp1) > STEP_BAND * fabs(span))
        st->t_in = -1;
    else if (st->t_in < 0)
        st->t_in = h->t;
    if (st->t_settled < 0 && st->t_in >= 0 && h->t - st->t_in >= STEP_STAY_S)
        st->t_settled = st->t_in;
}

static void measure(struct harness *h)
{
    struct figs *f = &h->f;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    const struct phys_state *s = &h->plc.phys;
    bool live = h->t >= h->silent_until;
    double sp = k->seq.out.bath_sp, bath = phys_bath_c(s);

    f->roof_true_max = fmax(f->roof_true_max, s->roof_c);
    f->bath_true_min = fmin(f->bath_true_min, bath);
    f->bath_true_max = fmax(f->bath_true_max, bath);
    if (live && p->roof_temp.q == Q_GOOD)
        f->roof_max = fmax(f->roof_max, p->roof_temp.v);
    if (live && p->hc_gas_temp.q == Q_GOOD)
        f->hc_gas_max = fmax(f->hc_gas_max, p->hc_gas_temp.v);
    if (k->seq.phase == PH_HOLD && k->seq.t_phase_s >= HOLD_SETTLE_S && live &&
        p->bath_hc_temp.q == Q_GOOD) {
        double dev = fabs(p->bath_hc_temp.v - sp);
        f->hold_dev_k = fmax(f->hold_dev_k, dev);
        f->hold_ep_dev_k = fmax(f->hold_ep_dev_k, dev);
        f->hold_true_dev_k = fmax(f->hold_true_dev_k, fabs(bath - sp));
        f->hold_s += h->dt;
        f->hold_ep_s += h->dt;
    } else if (f->hold_ep_s > 0) {
        say(h, "figure: HOLD from %.0f min after entry: max %.2f K off SP over %.1f min",
            HOLD_SETTLE_S / 60, f->hold_ep_dev_k, f->hold_ep_s / 60);
        f->hold_ep_s = f->hold_ep_dev_k = 0;
    }
    f->ph_s[k->seq.phase] += h->dt;
    if (k->seq.phase != f->last_phase)
        f->ph_n[k->seq.phase]++;
    f->last_phase = k->seq.phase;
    if (k->seq.phase == PH_PYROLYSIS && live && p->sc_gas_temp.q == Q_GOOD) {
        f->pyro_sc_max = fmax(f->pyro_sc_max, p->sc_gas_temp.v);
        f->pyro_sc_dev += fabs(p->sc_gas_temp.v - k->seq.out.sc_gas_sp) * h->dt;
        f->pyro_s += h->dt;
        if (p->co_ppm.q == Q_GOOD)
            f->pyro_co_max = fmax(f->pyro_co_max, p->co_ppm.v);
    }
    measure_loops(h);
    measure_step(h);
    measure_recovery(h, live);
    measure_burner(h, live);
    measure_faults(h, live);
    if (f->t_fixed >= 0 && f->t_back_in_band < f->t_fixed && live && p->bath_hc_temp.q == Q_GOOD &&
        fabs(p->bath_hc_temp.v - sp) <= RECOVER_BAND_K)
        f->t_back_in_band = h->t;
    if (h->t >= f->next_kpi) {
        struct alarm_kpi kpi;
        alarm_kpi(&k->alarms, &kpi);
        f->max_per_10min = kpi.per_10min > f->max_per_10min ? kpi.per_10min : f->max_per_10min;
        f->next_kpi = h->t + 10;
    }
}

static void trace_row(struct harness *h)
{
    if (!h->trace || h->t < h->next_trace)
        return;
    h->next_trace += TRACE_EVERY_S;
    const struct core *k = &h->core;
    const struct plant *p = &k->plant;
    const struct loops *lp = &k->loops;
    double hc_sp = k->hc_loop >= 0 ? lp->loop[k->hc_loop].pid.sp_eff : 0;
    double sc_sp = k->sc_loop >= 0 ? lp->loop[k->sc_loop].pid.sp_eff : 0;
    fprintf(h->trace,
            "%.0f,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,"
            "%.0f,%.0f,%.0f,%.2f,%.1f,%.3f\n",
            h->t, cfg_phase_name(k->seq.phase), p->bath_hc_temp.v, p->bath_sc_temp.v,
            k->seq.out.bath_sp, p->hc_gas_temp.v, hc_sp, p->roof_temp.v, p->sc_gas_temp.v, sc_sp,
            p->firing_fb.v, p->fan_speed_fb.v, p->damper_fb.v, p->furnace_pressure.v,
            p->scrap_temp.v, p->co_ppm.v, p->metal_mass.v, h->plc.phys.solid_kg,
            h->plc.phys.melted_kg, h->plc.phys.led.fuel_j / 3.6e6, p->o2_pct.v, h->plc.afterburn,
            h->plc.phys.pyro_kg_s);
}

/* ---- one run -------------------------------------------------------------------------------- */

static void scen_log(void *ctx, const char *line)
{
    say(ctx, "%s", line);
}

/* One cycle: scenario, PLC scan, registers, core, writes, operator, figures. */
static void cycle(struct harness *h)
{
    if (h->have_scen) {
        double silent = 0;
        scen_run_due(&h->scen, &h->plc, h->t, &silent, scen_log, h);
        if (silent > 0)
            h->silent_until = h->t + h->dt + silent;
    }
    splc_step(&h->plc, &h->in, &h->out, h->dt);
    h->t += h->dt;
    image_read(h);
    struct core_status st = {.link_up = h->t >= h->silent_until, .disk_ok = true};
    struct core_times tm = {.t_proc = h->t, .dt_proc = h->dt, .t_mono = h->t};
    core_step(&h->core, h->tags, &st, &tm);
    apply_writes(h);
    drain(h);
    operate(h);
    measure(h);
    trace_row(h);
}

/* ---- the report -------------------------------------------------------------------------------
 */

struct verdict {
    int failed;
};

static __attribute__((format(printf, 4, 5))) void judge(struct verdict *v, bool judged, bool ok,
                                                        const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("  %-4s %s\n", !judged ? "" : ok ? "ok" : "FAIL", line);
    v->failed += judged && !ok;
}

static double alarm_limit(const struct cfg *c, const char *name, double dflt)
{
    for (int i = 0; i < c->nalarms; i++)
        if (!strcmp(c->alarms[i].name, name))
            return c->alarms[i].limit;
    return dflt;
}

static int raised(const struct harness *h, const char *name)
{
    int a = alarm_find(&h->core.alarms, name);
    return a >= 0 ? h->f.raised[a] : 0;
}

static void report_figures(const struct harness *h, struct verdict *v)
{
    const struct figs *f = &h->f;
    const struct phys_state *s = &h->plc.phys;
    bool normal = !h->have_scen && h->st.loop < 0;
    bool long_run = h->hours >= MELT_MIN_HOURS;

    judge(v, normal && f->hold_s > 0, f->hold_dev_k <= HOLD_BAND_K,
          "HOLD: bath within %.0f K of SP from %.0f min after entering HOLD: max %.2f K over "
          "%.0f min (true mixed bath %.2f K)",
          HOLD_BAND_K, HOLD_SETTLE_S / 60, f->hold_dev_k, f->hold_s / 60, f->hold_true_dev_k);
    if (normal && f->hold_s <= 0)
        judge(v, true, false, "HOLD: no HOLD lasted %.0f min: nothing measured",
              HOLD_SETTLE_S / 60);
    double worst = 0, sum = 0;
    int n = 0, bad = 0;
    for (int i = 0; i < f->ncharges; i++) {
        if (f->ch[i].open && i == f->ncharges - 1)
            continue; /* the last charge may still be recovering when the run ends */
        if (f->ch[i].recovered_s < 0) {
            bad++;
            continue;
        }
        worst = fmax(worst, f->ch[i].recovered_s);
        sum += f->ch[i].recovered_s;
        n++;
    }
    judge(v, normal && (n + bad) > 0, bad == 0 && worst <= RECOVER_MAX_S,
          "recovery after a 3 t charge to %.0f K of the holding SP (from the push): worst %.1f "
          "min, mean %.1f min over %d charges, %d not recovered (target %.0f min)",
          RECOVER_BAND_K, worst / 60, n ? sum / n / 60 : 0, n, bad, RECOVER_MAX_S / 60);
    if (normal && n + bad == 0)
        judge(v, true, false, "recovery: no charge was pushed and melted");
    double hh = alarm_limit(&h->cfg, ROOF_HH_ALARM, 1250);
    judge(v, normal, f->roof_max < hh && f->roof_true_max < hh && !raised(h, ROOF_HH_ALARM),
          "roof: max %.1f degC read, %.1f degC true (HH %.0f); HC gas max %.1f degC", f->roof_max,
          f->roof_true_max, hh, f->hc_gas_max);
    judge(v, normal, f->floods == 0,
          "alarms: %d annunciations, at most %d in 10 min, %d floods, %d critical",
          f->annunciations, f->max_per_10min, f->floods, f->critical);
    double tonnes = (s->melted_kg - f->melted_kg0) / 1000;
    double kwh = (s->led.fuel_j - f->fuel_j0) / 3.6e6;
    double kwh_t = tonnes > 0 ? kwh / tonnes : 0, rate = tonnes / h->hours;
    judge(v, normal && long_run,
          kwh_t >= KWH_T_LO && kwh_t <= KWH_T_HI && rate >= RATE_T_H_LO && rate <= RATE_T_H_HI,
          "melt: %.1f t melted (%.2f t/h), %.1f t tapped; fuel %.0f kWh = %.0f kWh/t "
          "(%.0f..%.0f), pyrolysis gas %.0f kWh",
          tonnes, rate, (s->tapped_kg - f->tapped_kg0) / 1000, kwh, kwh_t, KWH_T_LO, KWH_T_HI,
          (s->led.pyro_j - f->pyro_j0) / 3.6e6);
    judge(v, false, true, "bath true %.1f..%.1f degC; %d lockouts", f->bath_true_min,
          f->bath_true_max, f->lockouts);
}

static void report_alarms(const struct harness *h)
{
    const struct alarms *a = &h->core.alarms;
    char line[600] = "";
    size_t used = 0;
    for (int i = 0; i < a->n && used < sizeof line; i++)
        if (h->f.raised[i])
            used += (size_t)snprintf(line + used, sizeof line - used, "%s%s x%d", used ? ", " : "",
                                     a->al[i].def.name, h->f.raised[i]);
    printf("       alarms raised: %s\n", used ? line : "none");
}

/* ---- expectations of the fault scripts ---------------------------------------------------------
 */

struct expect {
    const char *script; /* file name of the scenario */
    const char *what;   /* what an operator expects to see */
    bool (*met)(const struct harness *h, char *got, size_t n);
};

#define GOT(...) snprintf(got, n, __VA_ARGS__)

static bool x_flame_alarms(const struct harness *h, char *got, size_t n)
{
    GOT("flame_failure x%d, lockout x%d", raised(h, "flame_failure"), raised(h, "lockout"));
    return raised(h, "flame_failure") > 0 && raised(h, "lockout") > 0;
}

static bool x_tracking(const struct harness *h, char *got, size_t n)
{
    GOT("max |demand - feedback| %.2f %% while not firing, %.2f %% when the flame came back",
        h->f.forced_track_err, h->f.restart_gap);
    return h->f.t_lockout >= 0 && h->f.forced_track_err <= 0.5 && h->f.restart_gap <= 1.0;
}

static bool x_restarted(const struct harness *h, char *got, size_t n)
{
    GOT("%d lockouts; firing again at %.1f min (lockout at %.1f min)", h->f.lockouts,
        h->f.t_restart / 60, h->f.t_lockout / 60);
    return h->f.t_restart > h->f.t_lockout && h->f.t_lockout >= 0;
}

static bool x_back_in_band(const struct harness *h, char *got, size_t n)
{
    double d = h->f.t_back_in_band - h->f.t_fixed;
    GOT("%.1f min after the fault was dealt with", h->f.t_fixed >= 0 && d >= 0 ? d / 60 : -1);
    return h->f.t_fixed >= 0 && h->f.t_back_in_band >= h->f.t_fixed && d <= 1800;
}

static bool x_rate_limited(const struct harness *h, char *got, size_t n)
{
    const struct core *k = &h->core;
    double rate = k->hc_loop >= 0 ? k->loops.loop[k->hc_loop].pid.prm.out_rate_per_s : 0;
    double lim = rate > 0 ? rate * h->dt + 0.11 : 100;
    GOT("largest firing-demand step %.2f %% per cycle (rate limit %.2f)", h->f.max_firing_step,
        lim);
    return h->f.max_firing_step <= lim;
}

static bool x_bad_alarm(const struct harness *h, char *got, size_t n)
{
    int b = h->core.bath_loop;
    GOT("bath_hc_temp_bad x%d; bath loop to MAN at %.1f min", raised(h, "bath_hc_temp_bad"),
        b >= 0 ? h->f.t_dropped[b] / 60 : -1);
    return raised(h, "bath_hc_temp_bad") > 0 && b >= 0 && h->f.t_dropped[b] >= 0;
}

static bool x_bad_held(const struct harness *h, char *got, size_t n)
{
    const struct figs *f = &h->f;
    double hh = alarm_limit(&h->cfg, "hc_gas_hh", 1180);
    GOT("HC gas SP moved %.2f K while broken; firing max %.1f %%; bath %.1f..%.1f degC; "
        "HC gas max %.1f degC (HH %.0f)",
        f->bad_out_drift, f->bad_fire_max, f->bad_bath_lo, f->bad_bath_hi, f->hc_gas_max, hh);
    return f->bad_seen && f->bad_out_drift <= 0.5 && f->hc_gas_max < hh && f->bad_bath_lo >= 720 &&
           f->bad_bath_hi <= 760;
}

static bool x_auto_refused(const struct harness *h, char *got, size_t n)
{
    int b = h->core.bath_loop;
    GOT("%d refused while bad; back in AUTO at %.1f min", b >= 0 ? h->f.mode_refused_bad[b] : 0,
        b >= 0 ? h->f.t_restored[b] / 60 : -1);
    return b >= 0 && h->f.mode_refused_bad[b] > 0 && h->f.t_restored[b] > h->f.t_dropped[b];
}

static bool x_pump_alarm(const struct harness *h, char *got, size_t n)
{
    GOT("pump_trip x%d; pump stopped at %.1f min", raised(h, "pump_trip"), h->f.t_pump_stop / 60);
    return raised(h, "pump_trip") > 0 && h->f.t_pump_stop >= 0;
}

static bool x_diverge(const struct harness *h, char *got, size_t n)
{
    GOT("|bath HC - bath SC| max %.1f K with the pump running before, %.1f K stopped",
        h->f.split_before, h->f.split_trip);
    return h->f.split_trip >= 3 && h->f.split_trip > h->f.split_before + 1;
}

static bool x_pump_back(const struct harness *h, char *got, size_t n)
{
    GOT("restarted at %.1f min (%d starts refused at the PLC before); sides %.1f K apart 10 "
        "min later (%.1f K at most while stopped)",
        h->f.t_pump_restart / 60, h->op.refused_plc, h->f.split_after, h->f.split_trip);
    return h->f.t_pump_restart > h->f.t_pump_stop && h->op.refused_plc > 0 &&
           h->f.split_after <= 0.5 * h->f.split_trip;
}

static bool x_link(const struct harness *h, char *got, size_t n)
{
    int dropped = 0;
    for (int i = 0; i < h->core.loops.n; i++)
        dropped += h->f.t_dropped[i] >= 0;
    GOT("plc_link x%d; %d loops dropped to MAN", raised(h, "plc_link"), dropped);
    return raised(h, "plc_link") > 0 && dropped == 0;
}

static bool x_watchdog(const struct harness *h, char *got, size_t n)
{
    GOT("watchdog x%d; reset at %.1f min; tripped now: %s", raised(h, "watchdog"),
        h->f.t_wd_reset / 60, plant_on(h->core.plant.watchdog_tripped) ? "yes" : "no");
    return raised(h, "watchdog") > 0 && h->f.t_wd_reset >= 0 &&
           !plant_on(h->core.plant.watchdog_tripped);
}

static const struct expect expects[] = {
    {"flame_failure_melt.ini", "flame_failure and lockout alarms raised", x_flame_alarms},
    {"flame_failure_melt.ini", "HC loop tracks the forced firing; no jump at the restart",
     x_tracking},
    {"flame_failure_melt.ini", "operator reset the lockout and restarted the burners", x_restarted},
    {"flame_failure_melt.ini", "bath within 3 K of SP within 30 min of the restart",
     x_back_in_band},
    {"broken_bath_tc.ini", "bath_hc_temp_bad raised, bath loop dropped to MAN", x_bad_alarm},
    {"broken_bath_tc.ini", "HC setpoint held, no wild firing, bath kept 720..760", x_bad_held},
    {"broken_bath_tc.ini", "firing demand never steps faster than the HC loop's rate limit",
     x_rate_limited},
    {"broken_bath_tc.ini", "AUTO refused while the PV was bad, accepted once GOOD", x_auto_refused},
    {"broken_bath_tc.ini", "bath within 3 K of SP within 30 min of AUTO", x_back_in_band},
    {"pump_trip.ini", "pump_trip alarm raised, pump stopped", x_pump_alarm},
    {"pump_trip.ini", "bath sides drift apart while the pump is stopped", x_diverge},
    {"pump_trip.ini", "restart refused while tripped, accepted once cleared; split halved",
     x_pump_back},
    {"pump_trip.ini", "bath within 3 K of SP within 30 min of the restart", x_back_in_band},
    {"plc_silent.ini", "plc_link alarm raised; every loop kept its mode (outputs held)", x_link},
    {"plc_silent.ini", "PLC watchdog tripped by the silence, reset by the operator", x_watchdog},
};

static void report_expectations(const struct harness *h, struct verdict *v)
{
    int found = 0;
    for (size_t i = 0; i < sizeof expects / sizeof expects[0]; i++) {
        if (strcmp(expects[i].script, h->script))
            continue;
        char got[300];
        bool ok = expects[i].met(h, got, sizeof got);
        judge(v, true, ok, "%s: %s", expects[i].what, got);
        found++;
    }
    if (h->have_scen && !found)
        printf("       no expectations for %s: generic checks only\n", h->script);
}

static void report_loops(const struct harness *h)
{
    const struct figs *f = &h->f;
    const struct loops *lp = &h->core.loops;
    for (int i = 0; i < lp->n; i++) {
        const struct pid *p = &lp->loop[i].pid;
        printf("       loop %-8s %s, controlling %3.0f %% of the time: error RMS %.2f, max %.1f "
               "%s; output travel %.0f %s\n",
               p->prm.name, cfg_loop_mode_name(p->mode), 100 * f->lq_s[i] / (h->hours * 3600),
               f->lq_s[i] > 0 ? sqrt(f->lq_sq[i] / f->lq_s[i]) : 0, f->lq_max[i], p->prm.pv_unit,
               f->lq_travel[i], p->prm.out_unit);
    }
    char line[400] = "";
    size_t used = 0;
    for (int ph = 0; ph < PH_COUNT && used < sizeof line; ph++)
        if (f->ph_n[ph])
            used += (size_t)snprintf(line + used, sizeof line - used, "%s%s %.1f", used ? ", " : "",
                                     cfg_phase_name((enum cfg_phase)ph),
                                     f->ph_s[ph] / f->ph_n[ph] / 60);
    printf("       mean minutes per phase: %s\n", line);
    printf("       pyrolysis: SC gas mean |error| %.1f K, max %.0f degC; CO max %.0f ppm\n",
           f->pyro_s > 0 ? f->pyro_sc_dev / f->pyro_s : 0, f->pyro_sc_max, f->pyro_co_max);
}

static void report_step(const struct harness *h)
{
    const struct stepper *st = &h->st;
    if (st->loop < 0)
        return;
    const struct pid *p = &h->core.loops.loop[st->loop].pid;
    if (st->stage != 2) {
        printf("       step %s: the setpoint was not stepped (see the log)\n", p->prm.name);
        return;
    }
    double span = st->sp1 - st->y0;
    printf("       step %s %.1f -> %.1f %s (PV filtered %.0f s): 10-90 %% rise %.1f min, "
           "overshoot %.1f %% (%.2f %s), within %.0f %% for %.0f min from %.1f min\n",
           p->prm.name, st->y0, st->sp1, p->prm.pv_unit, STEP_FILTER_S,
           st->t10 >= 0 && st->t90 >= 0 ? (st->t90 - st->t10) / 60 : -1,
           span != 0 ? 100 * (st->peak - st->sp1) / span : 0, fabs(st->peak - st->sp1),
           p->prm.pv_unit, 100 * STEP_BAND, STEP_STAY_S / 60,
           st->t_settled >= 0 ? (st->t_settled - st->t0) / 60 : -1);
}

static void report(const struct harness *h, double wall_s, struct verdict *v)
{
    const struct op *o = &h->op;
    printf("closed-loop: %.1f h simulated in %.3f s (%.0fx real time), seed %u, %s\n", h->hours,
           wall_s, wall_s > 0 ? h->hours * 3600 / wall_s : 0, h->plc.prm.seed,
           h->have_scen ? h->scen.path : "normal shift");
    report_figures(h, v);
    report_step(h);
    report_alarms(h);
    report_loops(h);
    printf("       operator: %d charges, %d pushes, %d taps; %d requests, %d refused by the gate, "
           "%d at the PLC handshake\n",
           o->charges, o->pushes, o->taps, o->requests, o->refused_gate, o->refused_plc);
    judge(v, true, h->f.silent_text == 0 && h->f.write_errors == 0,
          "every reply carries a sentence (%lu without); the codec took every write (%lu refused)",
          h->f.silent_text, h->f.write_errors);
    report_expectations(h, v);
    printf("result: %s\n", v->failed ? "FAIL" : "PASS");
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: closed-loop [-c FILE] [--hours H] [--script FILE] [--seed N] "
                    "[--quiet] [--trace FILE] [--step LOOP:DELTA]\n");
}

static int number(const char *opt, const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double d = s ? strtod(s, &end) : NAN;
    if (!s || !*s || *end || errno || !(d >= lo && d <= hi)) {
        fprintf(stderr, "closed-loop: %s \"%s\": expected a number from %g to %g\n", opt,
                s ? s : "", lo, hi);
        return -1;
    }
    *v = d;
    return 0;
}

/* "LOOP:DELTA" -> h->st; NULL: no step. */
static int step_parse(struct harness *h, const char *arg)
{
    h->st.loop = -1;
    if (!arg)
        return 0;
    char name[CFG_NAME_MAX];
    const char *colon = strchr(arg, ':');
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - arg) : 0, arg);
    h->st.loop = colon ? loops_find(&h->core.loops, name) : -1;
    if (h->st.loop < 0 || number("--step", colon + 1, -1000, 1000, &h->st.delta) < 0 ||
        h->st.delta == 0) {
        fprintf(stderr,
                "closed-loop: --step \"%s\": expected LOOP:DELTA with a loop of %s "
                "and a non-zero change of its setpoint\n",
                arg, h->cfg.path);
        h->st.loop = -1;
        return -1;
    }
    return 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int setup(struct harness *h, const char *cfg_path, const char *script, unsigned seed)
{
    static struct cfg_errors errs;
    char err[600];
    if (cfg_load(cfg_path, &h->cfg, &errs) < 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        return -1;
    }
    if (script) {
        if (scen_load(script, &h->scen, err, sizeof err) < 0) {
            fprintf(stderr, "closed-loop: %s\n", err);
            return -1;
        }
        h->have_scen = true;
        const char *slash = strrchr(script, '/');
        h->script = slash ? slash + 1 : script;
    }
    if (core_init(&h->core, &h->cfg, err, sizeof err) < 0) {
        fprintf(stderr, "closed-loop: %s\n", err);
        return -1;
    }
    h->t_firing_demand = cfg_tag_index(&h->cfg, "firing_demand");
    if (h->t_firing_demand < 0 || h->cfg.cycle.period_ms <= 0) {
        fprintf(stderr, "closed-loop: %s: needs a firing_demand tag and a cycle period\n",
                h->cfg.path);
        return -1;
    }
    struct splc_params p;
    struct phys_params pp;
    splc_params_from_cfg(&p, &pp, &h->cfg);
    p.seed = seed;
    splc_init(&h->plc, &p, &pp, h->have_scen && h->scen.cold);
    splc_in_initial(&h->plc, &h->in);
    splc_output(&h->plc, &h->out);
    image_init(h);
    h->dt = h->cfg.cycle.period_ms / 1000.0;
    h->op.rng = seed;
    h->op.phase = PH_COUNT;
    h->op.t_lockout_seen = -1;
    for (size_t i = 0; i < NDUTIES; i++)
        h->op.t_seen[i] = -1;
    for (int i = 0; i < CFG_MAX_ALARMS; i++)
        h->op.t_rang[i] = -1;
    struct figs *f = &h->f;
    f->t_lockout = f->t_restart = f->t_pump_stop = f->t_pump_restart = -1;
    f->t_fixed = f->t_back_in_band = f->last_firing = f->t_wd_reset = -1;
    f->was_firing = true;
    f->last_phase = PH_COUNT;
    for (int i = 0; i < CFG_MAX_LOOPS; i++)
        f->t_dropped[i] = f->t_restored[i] = -1;
    f->bath_true_min = 1e9;
    f->bath_true_max = -1e9;
    f->fuel_j0 = h->plc.phys.led.fuel_j;
    f->pyro_j0 = h->plc.phys.led.pyro_j;
    f->melted_kg0 = h->plc.phys.melted_kg;
    f->tapped_kg0 = h->plc.phys.tapped_kg;
    return 0;
}

int main(int argc, char **argv)
{
    static struct harness h;
    const char *cfg_path = NULL, *script = NULL, *trace = NULL, *step = NULL;
    double hours = 8, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) {
            h.quiet = true;
            continue;
        }
        if (!next) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "-c"))
            cfg_path = next;
        else if (!strcmp(a, "--script"))
            script = next;
        else if (!strcmp(a, "--trace"))
            trace = next;
        else if (!strcmp(a, "--step"))
            step = next;
        else if (!strcmp(a, "--hours")) {
            if (number(a, next, 0.01, 1000, &hours) < 0)
                return 2;
        } else if (!strcmp(a, "--seed")) {
            if (number(a, next, 0, 4294967295.0, &seed) < 0)
                return 2;
        } else {
            usage();
            return 2;
        }
    }
    h.script = "";
    if (setup(&h, cfg_default_path(cfg_path), script, (unsigned)seed) < 0 ||
        step_parse(&h, step) < 0)
        return 2;
    if (trace && !(h.trace = fopen(trace, "w"))) {
        fprintf(stderr, "closed-loop: %s: %s\n", trace, strerror(errno));
        return 2;
    }
    if (h.trace)
        fprintf(h.trace, "t_s,phase,bath_hc,bath_sc,bath_sp,hc_gas,hc_sp,roof,sc_gas,sc_sp,"
                         "firing,fan,damper,pressure,scrap,co,metal_kg,solid_kg,melted_kg,"
                         "fuel_kwh\n");
    h.hours = hours;
    long steps = lround(hours * 3600 / h.dt);
    double w0 = wall_now();
    for (long i = 0; i < steps; i++)
        cycle(&h);
    double wall = wall_now() - w0;
    if (h.trace)
        fclose(h.trace);
    struct verdict v = {0};
    report(&h, wall, &v);
    return v.failed ? 1 : 0;
}
