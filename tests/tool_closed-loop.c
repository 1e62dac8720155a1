/* closed-loop — the real control core and the real simulator stepped together in lockstep,
 * with a simulated operator who works a shift through the one gate (control/README.md; tests/README.md, 'Targets').
 *
 *   build/closed-loop [-c FILE] [--hours H] [--script FILE] [--seed N] [--quiet]
 *                     [--trace FILE] [--step LOOP:DELTA] [--link-fault FAULT]
 *                     [--organics PCT] [--tc-lag S] [--cold-ingot | --hold] [--charge-t T]
 *
 * This file: main, the set-up and one cycle of the run; the parts are tests/closed_loop_*.c
 * (see tests/closed_loop.h): the link, the operator, the measuring, the report.
 *
 * One step every cycle period of process time (250 ms with the shipped config):
 *   scenario events due -> the PLC takes what the console wrote from its holding registers
 *   -> splc_step (PLC logic + physics) -> the PLC's outputs into its register image
 *   (simhw/sim_image.c, the map and encoding meltsim serves, a broken sensor as its fault
 *   sentinel) -> the server's cycle over the console's real PLC link (plc_link.c, through
 *   an in-memory transport that answers from that image: closed_loop_link.c): plc_read_all
 *   (the read plan, decoding, GOOD/BAD/COMMS/STALE) -> core_step -> plc_write of every
 *   output, plc_write_now of a command (cmd_code, cmd_arg, then cmd_seq), plc_flush_writes
 *   -> the operator looks at what the console shows and may make one request through
 *   core_request().
 * Process time and the core's monotonic time are both the step count x period, so a run is
 * deterministic for a seed (the seed drives the sensor noise and the operator's waits).  A
 * scenario's "silent N" makes the PLC stop answering for N s (every request times out, as
 * meltsim mutes its server): the link goes down, the core sees COMMS then STALE, nothing
 * reaches the PLC, whose watchdog trips as in the plant, and the link reconnects with its
 * backoff.  --link-fault FAULT injects one fault of the link at AT_S for FOR_S seconds:
 *   refuse:TABLE:ADDR,AT_S,FOR_S   every read covering TABLE:ADDR is refused (exception 04)
 *   timeout,AT_S,FOR_S             no answers (as "silent")
 *   drop,AT_S,FOR_S                the connection is reset and connecting refused
 *
 * The operator (table `shift` in closed_loop_operator.c) runs the semi-continuous cycle of a
 * twin-chamber furnace: HOLD (20 min at the start of the shift; after a tap only until the next
 * scrap box, made ready during the tap, is at the door) -> CHARGE (open the charging door, charge 3
 * t, close it) -> PYROLYSIS -> PUSH when the sequencer says ready -> MELT, and at once the next
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
 * The design envelope (issue 13): --organics PCT charges scrap with PCT % organics instead of
 * the PLC's default (3 %), and the operator declares it as the smallest [scrap.NAME] class
 * at or above PCT and charges the largest mass the class allows ([limits]
 * max_organics_kg; control/README.md, 'Charge recipe by scrap class'), at most 3 t;
 * --charge-t T makes that at most T t; --tc-lag S gives every thermocouple a first-order lag of S s
 * instead of the config's [sim] tc_lag_s and tc_lag_*_s; --cold-ingot runs no shift: the
 * operator holds (duties only: a stopped pump is restarted when it may be) and at 10 min
 * 3 t of metal at ambient go into the bath; the time until no solid is left and the pump
 * are judged (all melted <= 30 min, the pump running again).  --hold runs no shift either:
 * the furnace holds for the whole run (duties only) and the firing demand's wear is judged:
 * direction reversals <= 120 per hour and travel <= 300 % per hour in HOLD (printed in every
 * run), with the bath within 3 K of SP over all HOLD time.
 *
 * Figures (tests/README.md, 'Targets'), judged on a normal shift (no --script, --link-fault,
 * --step or --cold-ingot; with --organics or --tc-lag too):
 *   HOLD      |bath_hc_temp - SP| <= 3 K at every step of HOLD, from entering it until it
 *             ends (bath_hc_temp as decoded: the bath loop's PV).
 *   recovery  for every charge, from the scrap dropping into the bath (the push) to the start
 *             of the first 5 min stretch with bath_hc_temp within 3 K of the program's
 *             holding setpoint, in any phase before the next charge drops: <= 20 min.  The
 *             same on bath_sc_temp and the time until no solid is left are printed.
 *   combustion printed: the flue O2's minimum and time below 0.5 % (in all and the longest
 *             stretch; goal: never > 60 s), CO max, the most unburnt gas held in the HC,
 *             hc_gas_hh alarms, solid left in the bath at the end.
 *   roof      the roof (reading and true) stays below the roof_hh alarm limit.
 *   alarms    no alarm flood (the alarm KPI's floods).  Critical alarms are counted.
 *   melt      with --hours >= 4: fuel energy / tonnes melted in 350..600 kWh/t and a melt
 *             rate of 6..13 t/h (simhw/README.md, 'Typical figures').
 *   energy    printed: where the fuel and the organics burnt went over the run, per tonne
 *             melted (phys_balance, simhw/sim_physics.h): the melted scrap to the program's
 *             holding setpoint (solid, of it the preheat on the hearth, latent, liquid), walls,
 *             doors, the flue (the burners' share with the available heat and the flue's
 *             fuel-weighted temperature, the pyrolysis gas', dilution air), dross, water,
 *             lining and the metal's rest, and how closely the parts close on the input.
 *   split     printed: bath_hc_temp - bath_sc_temp as read, median and p90 in MELT, in
 *             HOLD, from CHARGE to PUSH (the next charge) and over the run; the SC side's
 *             window: from the HC side back in band to the next push (the SC side must be
 *             in band RECOVER_STAY_S before it), from the SC side's first reading in band
 *             after the melt to the next push, and how much later the SC side came back than
 *             the HC side where both did (medians).
 *   speed     simulated-to-wall ratio, printed only (make bench reports it).
 * Fault scripts are judged by the table `expects` (closed_loop_expect.c), keyed by the
 * script's file name (sim_scenario rejects unknown sections, so the expectations live in the
 * harness), link faults by "link KIND"; a script without expectations gets the generic
 * checks only.  Always judged: every reply carries a sentence, the tag codec accepts every
 * value the core writes, the read transactions of each cycle are the read plan's blocks
 * (the first cycle the plan made at open, later the plan as the link re-made it), and the
 * PLC received every command's code and arg with or before its seq, each seq once.
 * --step LOOP:DELTA (tuning): no shift; at 10 min the loop's setpoint moves by DELTA and the
 * rise, overshoot and settling of its PV are printed.  --trace FILE: a CSV row every 10 s.
 *
 * Exit status: 0 all met, 1 a figure or an expectation missed, 2 usage or setup error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "closed_loop.h"
#include "util.h"

void say(const struct harness *h, const char *fmt, ...)
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

/* ---- one run -------------------------------------------------------------------------------- */

/* A scenario event's line in the log. */
static void scen_log(void *ctx, const char *line)
{
    say(ctx, "%s", line);
}

/* --cold-ingot: INGOT_KG of metal at ambient straight into the bath at INGOT_AT_S (through
 * the charge well, as a crane would: the hearth is empty with no shift). */
static void ingot_due(struct harness *h)
{
    struct splc *plc = &h->plc;
    if (!h->cold_ingot || h->f.t_ingot >= 0 || h->t < INGOT_AT_S)
        return;
    if (phys_charge(&plc->phys, &plc->phys_prm, INGOT_KG, plc->phys_prm.t_amb_c, 0, 0, 0) < 0)
        return;
    phys_push(&plc->phys, &plc->phys_prm);
    h->f.t_ingot = h->t;
    h->f.frozen_kg0 = plc->phys.frozen_kg;
    say(h, "figure: %.0f t of cold ingot into the bath", INGOT_KG / 1000);
}

/* One cycle: scenario, PLC scan, the link's reads, core, the link's writes, operator,
 * figures. */
static void cycle(struct harness *h)
{
    if (h->have_scen) {
        double silent = 0;
        scen_run_due(&h->scen, &h->plc, h->t, &silent, scen_log, h);
        if (silent > 0)
            link_silence(h, silent);
    }
    ingot_due(h);
    link_plc_inputs(h);
    splc_step(&h->plc, &h->in, &h->out, h->dt);
    link_plc_outputs(h);
    h->t += h->dt;
    link_read(h);
    struct core_status st = {.link_up = h->link_up, .disk_ok = true};
    struct core_times tm = {.t_proc = h->t, .dt_proc = h->dt, .t_mono = h->t};
    core_step(&h->core, h->tags, &st, &tm);
    link_write(h);
    op_drain(h);
    op_operate(h);
    measure_cycle(h);
    measure_trace_row(h);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: closed-loop [-c FILE] [--hours H] [--script FILE] [--seed N] "
                    "[--quiet] [--trace FILE] [--step LOOP:DELTA] [--link-fault FAULT]\n"
                    "                   [--organics PCT] [--tc-lag S] [--cold-ingot | --hold] "
                    "[--charge-t T]\n"
                    "  FAULT: refuse:TABLE:ADDR,AT_S,FOR_S | timeout,AT_S,FOR_S | "
                    "drop,AT_S,FOR_S\n"
                    "  PCT: organics in the scrap, %% (0..30); S: every thermocouple's lag, s "
                    "(0..300); T: the operator's charge, t (0.5..5)\n");
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

/* The charge recipe (control/README.md, 'Charge recipe by scrap class'): for --organics PCT
 * the operator declares the smallest [scrap.NAME] class whose organics_pct is at or above
 * PCT (never below: a class too clean would let too much in); without it, none (the
 * default class, which the PLC's default scrap is).  The charge is the largest the class
 * allows (perm_charge_max_t) of 3 t or --charge-t, rounded down to 0.05 t, as a crew
 * reads a crane scale.  -1 with a sentence when no class covers PCT. */
static int recipe_choose(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    const struct cfg_scrap *cls = NULL;
    if (h->organics_pct >= 0 && c->nscrap > 0) {
        for (int i = 0; i < c->nscrap; i++)
            if (c->scrap[i].organics_pct >= h->organics_pct &&
                (!cls || c->scrap[i].organics_pct < cls->organics_pct))
                cls = &c->scrap[i];
        if (!cls) {
            fprintf(stderr, "closed-loop: --organics %g: no [scrap.NAME] class of %s has "
                    "organics_pct at or above it\n", h->organics_pct, c->path);
            return -1;
        }
        str_copy(h->scrap, sizeof h->scrap, cls->name);
    } else {
        cls = cfg_scrap_find(c, c->limits.default_scrap);
    }
    double want = h->charge_t > 0 ? h->charge_t : 3;
    double most = perm_charge_max_t(&c->limits, cls);
    h->charge_mass_t = floor(fmin(want, most) * 20 + 1e-6) / 20;
    return 0;
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
    if (recipe_choose(h) < 0)
        return -1;
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
    if (h->organics_pct >= 0)
        p.charge_organics = h->organics_pct / 100.0;
    if (h->tc_lag_s >= 0) {
        p.tc_lag_s = h->tc_lag_s;
        for (int i = 0; i < SPLC_TC_COUNT; i++)
            p.tc_lag_each_s[i] = -1;
    }
    splc_init(&h->plc, &p, &pp, h->have_scen && h->scen.cold);
    splc_in_initial(&h->plc, &h->in);
    splc_output(&h->plc, &h->out);
    if (link_init(h, err, sizeof err) < 0) {
        fprintf(stderr, "closed-loop: %s\n", err);
        return -1;
    }
    h->dt = h->cfg.cycle.period_ms / 1000.0;
    op_init(h, seed);
    measure_init(h);
    return 0;
}

int main(int argc, char **argv)
{
    static struct harness h;
    h.organics_pct = h.tc_lag_s = -1;
    const char *cfg_path = NULL, *script = NULL, *trace = NULL, *step = NULL, *fault = NULL;
    double hours = 8, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) {
            h.quiet = true;
            continue;
        }
        if (!strcmp(a, "--cold-ingot")) {
            h.cold_ingot = true;
            continue;
        }
        if (!strcmp(a, "--hold")) {
            h.hold_only = true;
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
        else if (!strcmp(a, "--link-fault"))
            fault = next;
        else if (!strcmp(a, "--hours")) {
            if (number(a, next, 0.01, 1000, &hours) < 0)
                return 2;
        } else if (!strcmp(a, "--organics")) {
            if (number(a, next, 0, 30, &h.organics_pct) < 0)
                return 2;
        } else if (!strcmp(a, "--charge-t")) {
            if (number(a, next, 0.5, 5, &h.charge_t) < 0)
                return 2;
        } else if (!strcmp(a, "--tc-lag")) {
            if (number(a, next, 0, 300, &h.tc_lag_s) < 0)
                return 2;
        } else if (!strcmp(a, "--seed")) {
            if (number(a, next, 0, 4294967295.0, &seed) < 0)
                return 2;
        } else {
            usage();
            return 2;
        }
    }
    h.script = h.lf_key = "";
    if (fault) {
        char err[300];
        static const char *const keys[] = {
            [LF_REFUSE] = "link refuse", [LF_TIMEOUT] = "link timeout", [LF_DROP] = "link drop"};
        if (link_fault_parse(fault, &h.mp.lf, err, sizeof err) < 0) {
            fprintf(stderr, "closed-loop: %s\n", err);
            return 2;
        }
        h.lf_key = keys[h.mp.lf.kind];
    }
    if ((h.cold_ingot || h.hold_only) &&
        ((h.cold_ingot && script) || step || fault || (h.cold_ingot && h.hold_only))) {
        fprintf(stderr, "closed-loop: --cold-ingot and --hold run on their own: not with each "
                        "other, --step or --link-fault (--hold may take a --script)\n");
        return 2;
    }
    if (setup(&h, cfg_default_path(cfg_path), script, (unsigned)seed) < 0 ||
        step_parse(&h, step) < 0)
        return 2;
    if (trace && !(h.trace = fopen(trace, "w"))) {
        fprintf(stderr, "closed-loop: %s: %s\n", trace, strerror(errno));
        return 2;
    }
    measure_trace_header(&h);
    h.hours = hours;
    long steps = lround(hours * 3600 / h.dt);
    double w0 = clock_mono_s();
    for (long i = 0; i < steps; i++)
        cycle(&h);
    double wall = clock_mono_s() - w0;
    if (h.trace)
        fclose(h.trace);
    int missed = expect_report(&h, wall);
    link_free(&h);
    return missed ? 1 : 0;
}
