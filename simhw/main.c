/* meltsim — the simulated twin-chamber furnace and its PLC behind Modbus TCP.
 *
 *   meltsim [-c FILE] [--port N] [--bind ADDR] [--speed X] [--seed N] [--cold]
 *           [--scenario FILE] [--snapshots DIR]
 *   meltsim [-c FILE] inject FAULT [TARGET] [VALUE] [--port N]
 *   meltsim [-c FILE] inject silent SECONDS | status | list
 *   meltsim [-c FILE] inject speed X | freeze | run | snapshot NAME | restore NAME |
 *           backtrack MINUTES | snapshots
 *   meltsim [-c FILE] inject at MIN|HH:MM[:SS] FAULT ... | [at WHEN] ramp FAULT [TARGET]
 *           FROM TO MINUTES | pending | cancel N|all
 *   meltsim [-c FILE] instructor [--port N]
 *   meltsim [-c FILE] run --hours H [--csv FILE] [--every S] [--scenario FILE] [--cold]
 *   meltsim [inject|run] --help, meltsim --version
 *
 * The whole command line is parsed (getopt_long, config/opt.c) and checked
 * before the file is read or anything is opened: an option that is not
 * the verb's, a bad number or a missing value prints the usage and exits 2.
 * Options given before the verb count as the verb's.
 *
 * The server scans the PLC logic and physics every scan_ms of process time
 * (speed x faster than the wall clock), serves the register image of the
 * config's tag map, and takes an instructor's faults on a Unix socket that
 * only meltsim's own user (or root) can open: a trainee's console talks to
 * the simulator only through Modbus, which has no path to inject.
 *
 * The same socket takes the training clock (simhw/README.md, 'Training
 * time'): the speed, freeze and run, named snapshots and the backtrack to
 * one of the automatic snapshots taken every process minute.  Process time
 * is base_proc + (wall - base_wall) x speed, rebased at every change, so a
 * new speed or a run after a freeze never jumps.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "input.h"
#include "instructor.h"
#include "opt.h"
#include "sim_malf.h"
#include "sim_plc.h"
#include "sim_run.h"
#include "sim_scenario.h"
#include "sim_server.h"
#include "sim_snapshot.h"
#include "version.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* The monotonic clock in milliseconds, the unit of the server's poll and mute. */
static int64_t now_ms(void)
{
    return clock_mono_ns() / 1000000;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: meltsim [-c FILE] [--port=N] [--bind=ADDR] [--speed=X] [--seed=N] [--cold]\n"
            "               [--scenario=FILE] [--snapshots=DIR]\n"
            "       meltsim [-c FILE] inject FAULT [TARGET] [VALUE] [--port=N]\n"
            "       meltsim [-c FILE] inject silent SECONDS | clear [FAULT] | status | list"
            " [--port=N]\n"
            "       meltsim [-c FILE] inject speed X | freeze | run | snapshot NAME | restore NAME\n"
            "               | backtrack MINUTES | snapshots [--port=N]\n"
            "       meltsim [-c FILE] inject at MIN|HH:MM[:SS] FAULT [TARGET] [VALUE]\n"
            "               | [at WHEN] ramp FAULT [TARGET] FROM TO MINUTES | pending | cancel N|all"
            " [--port=N]\n"
            "       meltsim [-c FILE] instructor [--port=N]\n"
            "       meltsim [-c FILE] run --hours=H [--csv=FILE] [--every=S] [--scenario=FILE]"
            " [--cold] [--seed=N]\n"
            "       meltsim [inject|run] --help | --version\n"
            "-c, --config=FILE: the furnace's file; else $MELTCON_CONFIG, else "
            "/etc/meltcon/meltcon.ini.\n");
}

/* ---- the command line ------------------------------------------------------------ */

enum { V_SERVE, V_INJECT, V_RUN, V_INSTR };

enum {
    O_PORT = 0x100, O_BIND, O_SPEED, O_SEED, O_COLD, O_SCENARIO, O_HOURS, O_EVERY, O_CSV,
    O_SNAPDIR
};

/* Every option: what it is called, its help, and the verbs that take it (a
 * bit per V_*); -c, -h and -V go with all of them. */
static const struct simopt {
    struct option lo;
    const char *argname, *help;
    unsigned verbs;
} simopts[] = {
    {{"config", required_argument, NULL, 'c'}, "FILE", "the furnace's file", 15},
    {{"port", required_argument, NULL, O_PORT}, "N", "Modbus TCP port (default [sim] port)", 11},
    {{"bind", required_argument, NULL, O_BIND}, "ADDR", "address to listen on ([sim] bind)", 1},
    {{"speed", required_argument, NULL, O_SPEED}, "X", "times faster than real time", 1},
    {{"seed", required_argument, NULL, O_SEED}, "N", "random seed for sensor noise", 5},
    {{"cold", no_argument, NULL, O_COLD}, NULL, "cold start: a cold heel, burners off", 5},
    {{"scenario", required_argument, NULL, O_SCENARIO}, "FILE", "a teaching scenario", 5},
    {{"hours", required_argument, NULL, O_HOURS}, "H", "process hours to simulate", 4},
    {{"every", required_argument, NULL, O_EVERY}, "S", "a CSV row every S seconds", 4},
    {{"csv", required_argument, NULL, O_CSV}, "FILE", "write rows to FILE (- for stdout)", 4},
    {{"snapshots", required_argument, NULL, O_SNAPDIR}, "DIR",
     "named snapshots' folder (default $XDG_STATE_HOME/meltsim)", 1},
    {{"help", no_argument, NULL, 'h'}, NULL, "print this help and exit", 15},
    {{"version", no_argument, NULL, 'V'}, NULL, "print the version and exit", 15},
};
#define NSIMOPTS (sizeof simopts / sizeof simopts[0])

static const struct {
    const char *name, *usage, *help;
} simverbs[] = {
    [V_SERVE] = {"", NULL,
                 "Serve the simulated furnace and its PLC over Modbus TCP until interrupted."},
    [V_INJECT] = {"inject", "meltsim [-c FILE] inject FAULT [TARGET] [VALUE] [--port=N]",
                  "Inject a fault into the simulator running on the port (`inject list` names "
                  "them); a negative VALUE is written as it is."},
    [V_RUN] = {"run", "meltsim [-c FILE] run --hours=H [OPTIONS]",
               "Simulate H process hours headless, as fast as the machine goes, and print the "
               "figures."},
    [V_INSTR] = {"instructor", "meltsim [-c FILE] instructor [--port=N]",
                 "The instructor station for the simulator running on the port: the plant at a "
                 "glance, speed, freeze, snapshots, backtrack, faults now, at a time or ramped, "
                 "the exercise's progress and the trainee's actions (from meltcon's debrief "
                 "--progress and journal --follow; only meltsim's own account or root)."},
};

static const char *opt_name(int val)
{
    for (size_t i = 0; i < NSIMOPTS; i++)
        if (simopts[i].lo.val == val)
            return simopts[i].lo.name;
    return "?";
}

struct args {
    const char *cfg, *scen_file, *csv_file, *bind_addr, *snapdir;
    double port, speed, seed, hours, every;
    bool cold, help, version;
    unsigned given; /* bit (code - O_PORT) per O_* option given */
};

static int take(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    struct args *a = ctx;
    double *num = NULL, lo = 0, hi = 0;
    switch (val) {
    case 'c':
        a->cfg = arg;
        return 0;
    case 'h':
        a->help = true;
        return 0;
    case 'V':
        a->version = true;
        return 0;
    case O_PORT:
        num = &a->port, lo = 1, hi = 65535;
        break;
    case O_SPEED:
        num = &a->speed, lo = 0.1, hi = 100000;
        break;
    case O_SEED:
        num = &a->seed, lo = 0, hi = 4294967295.0;
        break;
    case O_HOURS:
        num = &a->hours, lo = 0.001, hi = 10000;
        break;
    case O_EVERY:
        num = &a->every, lo = 0.1, hi = 86400;
        break;
    case O_BIND:
        a->bind_addr = arg;
        break;
    case O_CSV:
        a->csv_file = arg;
        break;
    case O_SNAPDIR:
        a->snapdir = arg;
        break;
    case O_SCENARIO:
        a->scen_file = arg;
        break;
    case O_COLD:
        a->cold = true;
        break;
    }
    a->given |= 1u << (val - O_PORT);
    if (num) {
        double d;
        char shown[INPUT_SHOW_SIZE];
        if (input_number(arg, &d, NULL, 0) < 0 || d < lo || d > hi) {
            input_show(shown, sizeof shown, arg);
            snprintf(err, errlen, "--%s \"%s\": expected a number from %g to %g", opt_name(val),
                     shown, lo, hi);
            return -1;
        }
        *num = d;
    }
    return 0;
}

static void verb_help(int verb)
{
    if (verb == V_SERVE)
        usage(stdout);
    else
        printf("usage: %s\n", simverbs[verb].usage);
    printf("%s\noptions:\n", simverbs[verb].help);
    for (size_t i = 0; i < NSIMOPTS; i++) {
        const struct simopt *o = &simopts[i];
        if (!(o->verbs & (1u << verb)))
            continue;
        char head[40];
        int val = o->lo.val;
        int k = val < 0x100 ? snprintf(head, sizeof head, "-%c, ", val) : 0;
        snprintf(head + k, sizeof head - (size_t)k, "--%s%s%s", o->lo.name,
                 o->argname ? "=" : "", o->argname ? o->argname : "");
        printf("  %-18s %s\n", head, o->help);
    }
}

/* Parse the whole command line into *a and the verb; inject's words into
 * rest.  0, 1 when the help or version was printed, or 2 after printing the
 * mistake and the usage on stderr.  Nothing is loaded or started here. */
static int parse(int argc, char **argv, struct args *a, int *verb, const char **rest, int *nrest)
{
    struct option lo[NSIMOPTS + 1];
    for (size_t i = 0; i < NSIMOPTS; i++)
        lo[i] = simopts[i].lo;
    lo[NSIMOPTS] = (struct option){NULL, 0, NULL, 0};
    struct opt_spec spec = {
        .shortopts = "c:hV", .longopts = lo, .stop_at_arg = true, .take = take, .ctx = a};
    char err[300];
    const char *prog = "meltsim";
    *verb = V_SERVE;
    *nrest = 0;
    int i = opt_parse(&spec, argc, argv, NULL, 0, nrest, err, sizeof err);
    if (i >= 0 && i < argc) {
        if (!strcmp(argv[i], "inject") || !strcmp(argv[i], "run") ||
            !strcmp(argv[i], "instructor")) {
            *verb = !strcmp(argv[i], "inject") ? V_INJECT
                    : !strcmp(argv[i], "run")  ? V_RUN
                                               : V_INSTR;
            prog = *verb == V_INJECT ? "meltsim inject"
                   : *verb == V_RUN  ? "meltsim run"
                                     : "meltsim instructor";
            spec.stop_at_arg = false;
            if (opt_parse(&spec, argc - i, argv + i, rest, *verb == V_INJECT ? 8 : 0, nrest,
                          err, sizeof err) < 0)
                i = -1;
        } else {
            snprintf(err, sizeof err, "unknown verb \"%s\" (inject, run, instructor)", argv[i]);
            i = -1;
        }
    }
    if (i >= 0 && !a->help && !a->version) {
        for (size_t k = 0; k < NSIMOPTS; k++) {
            int val = simopts[k].lo.val;
            if (val >= O_PORT && (a->given & (1u << (val - O_PORT))) &&
                !(simopts[k].verbs & (1u << *verb))) {
                snprintf(err, sizeof err, "--%s is not an option of %s", simopts[k].lo.name,
                         *verb == V_SERVE ? "the simulator (it is for run)"
                                          : simverbs[*verb].name);
                i = -1;
                break;
            }
        }
        if (i >= 0 && *verb == V_RUN && !(a->given & (1u << (O_HOURS - O_PORT)))) {
            snprintf(err, sizeof err, "--hours H is required");
            i = -1;
        }
    }
    if (i < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        usage(stderr);
        return 2;
    }
    if (a->version) {
        printf("meltsim %s\n", MELTCON_VERSION);
        return 1;
    }
    if (a->help) {
        verb_help(*verb);
        return 1;
    }
    return 0;
}

static int load_cfg(const char *opt, struct cfg *c)
{
    static struct cfg_errors errs;
    const char *file = cfg_default_path(opt);
    if (cfg_load(file, c, &errs) == 0)
        return 0;
    for (int i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.e[i].text);
    fprintf(stderr, "meltsim: %s has errors: not started\n", file);
    return -1;
}

static void inject_path(const struct cfg *c, int port, char *buf, size_t n)
{
    if (*c->sim.inject_socket) {
        snprintf(buf, n, "%s", c->sim.inject_socket);
        return;
    }
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (rt && *rt)
        snprintf(buf, n, "%s/meltsim-%d.sock", rt, port);
    else
        snprintf(buf, n, "/tmp/meltsim-%d-%u.sock", port, (unsigned)getuid());
}

/* ---- the instructor's channel -------------------------------------------------- */

static int inject_listen(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "meltsim: inject socket path too long: %s\n", path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
        fprintf(stderr, "meltsim: cannot open the inject socket %s: %s\n", path,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void list_faults(char *buf, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < splc_nfaults && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%-15s %-8s %-15s %s\n", splc_faults[i].name,
                              splc_faults[i].target ? splc_faults[i].target : "",
                              splc_faults[i].value ? splc_faults[i].value : "",
                              splc_faults[i].help);
    if (k < n)
        snprintf(buf + k, n - k, "%-15s %-8s %-15s %s", "silent", "", "seconds",
                 "the PLC stops answering Modbus for VALUE seconds");
}

/* The running simulator as the instructor's channel sees it. */
struct sim {
    const struct cfg *cfg;
    struct splc *plc;
    struct simsrv *srv;
    struct scenario *scen; /* NULL without one */
    double speed;          /* process s per wall s */
    bool frozen;
    int64_t base_wall;     /* ms: process time = base_proc + (wall - base_wall) x speed */
    double base_proc, done_s;
    double tick_ms;
    struct ssnap_ring ring;
    char snapdir[256];
    struct malf_list malf; /* the instructor's timed and ramped malfunctions */
};

/* Process time from now on runs at the present speed from where the scans are. */
static void sim_rebase(struct sim *sm, int64_t now)
{
    sm->base_wall = now;
    sm->base_proc = sm->done_s;
    sm->tick_ms = sm->frozen ? sm->cfg->sim.scan_ms : fmax(sm->cfg->sim.scan_ms / sm->speed, 5.0);
}

/* Publish the PLC's state to the register image at once (a restore, a freeze). */
static void sim_publish(struct sim *sm)
{
    struct splc_out out;
    splc_output(sm->plc, &out);
    simimg_put_outputs(simsrv_image(sm->srv), &out);
}

/* After a restore to the PLC's clock: the scenario's events at or before it are done. */
static void sim_scenario_seek(struct sim *sm)
{
    if (!sm->scen)
        return;
    for (int i = 0; i < sm->scen->nevents; i++) {
        struct scen_event *e = &sm->scen->ev[i];
        e->done = e->at_s <= sm->plc->clock_s + 1e-9;
        if (e->has_ramp) { /* a ramp spanning the clock goes on from there */
            malf_seek_one(&e->ramp, sm->plc->clock_s);
            e->done = e->ramp.state == MALF_DONE;
        }
    }
}

static void sim_restore(struct sim *sm, const struct splc *saved)
{
    ssnap_restore(sm->plc, saved);
    ssnap_ring_cut(&sm->ring, sm->plc->clock_s);
    sim_scenario_seek(sm);
    malf_seek(&sm->malf, sm->plc->clock_s);
    sim_publish(sm);
}

static void list_snapshots(const struct sim *sm, char *rep, size_t n)
{
    size_t k = (size_t)snprintf(rep, n, "ok: snapshots in %s:", sm->snapdir);
    DIR *d = opendir(sm->snapdir);
    int count = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && k < n) {
            size_t l = strlen(e->d_name);
            if (l <= 5 || strcmp(e->d_name + l - 5, ".snap") != 0)
                continue;
            k += (size_t)snprintf(rep + k, n - k, "%s%.*s", count++ ? ", " : " ", (int)(l - 5),
                                  e->d_name);
        }
        closedir(d);
    }
    if (k < n)
        snprintf(rep + k, n - k, "%s; automatic: every process minute, reaching back %.1f min",
                 count ? "" : " none", ssnap_ring_span_min(&sm->ring, sm->plc->clock_s));
}

/* The plant at a glance, for the instructor station: five lines of text, each at most 78
 * characters so the station shows them whole at 80 columns. */
static void glance(const struct sim *sm, char *rep, size_t n)
{
    struct splc_out o;
    splc_output(sm->plc, &o);
    static const char *const bms[] = {"off", "pre-purge", "ignition", "firing", "LOCKOUT"};
    snprintf(rep, n,
             "ok:\n"
             "clock %02d:%02d:%02d  bath HC %.1f degC  SC %.1f degC  metal %.1f t  scrap %.1f t\n"
             "HC gas %.0f  roof %.0f  SC gas %.0f  flue %.0f degC  O2 %.2f %%  CO %.0f ppm\n"
             "burners %s, firing %.1f %%  pump %s %.0f %%  fan %s %.0f %%  damper %.0f %%\n"
             "charging door %s  HC door %s  tap %s  E-stop %s  watchdog %s\n"
             "pressure %.1f Pa  interlocks 0x%04x  console heartbeat seen %s",
             (int)(o.plc_clock / 3600), (int)(o.plc_clock / 60) % 60, (int)o.plc_clock % 60,
             o.bath_hc_temp, o.bath_sc_temp, o.metal_mass / 1000, o.scrap_on_hearth / 1000,
             o.hc_gas_temp, o.roof_temp, o.sc_gas_temp, o.flue_temp, o.o2_pct, o.co_ppm,
             o.bms_state < 5 ? bms[o.bms_state] : "?", o.firing_fb,
             o.pump_running ? "on" : "off", o.pump_speed_fb, o.fan_running ? "on" : "off",
             o.fan_speed_fb, o.damper_fb, o.sc_door_closed ? "closed" : "OPEN",
             o.hc_door_closed ? "closed" : "OPEN", o.tap_open ? "OPEN" : "closed",
             o.estop_ok ? "ok" : "LATCHED", o.watchdog_tripped ? "TRIPPED" : "ok",
             o.furnace_pressure, (unsigned)o.plc_interlocks, sm->plc->wd_armed ? "yes" : "not yet");
}

/* The training clock's verbs: speed, freeze, run, snapshot, restore, backtrack, snapshots.
 * 1 when req was one of them (reply in rep), 0 when it is not. */
static int clock_verb(struct sim *sm, const char *req, char *rep, size_t n)
{
    char verb[32], arg[64], extra[8];
    int k = sscanf(req, "%31s %63s %7s", verb, arg, extra);
    static const char *const verbs[] = {"speed", "freeze", "run", "snapshot", "restore",
                                        "backtrack", "snapshots"};
    static const int nargs[] = {1, 0, 0, 1, 1, 1, 0};
    int v = -1;
    for (int i = 0; i < 7 && k >= 1; i++)
        if (!strcmp(verb, verbs[i]))
            v = i;
    if (v < 0)
        return 0;
    if (k - 1 != nargs[v]) {
        snprintf(rep, n, "error: %s takes %s", verb,
                 nargs[v] == 0 ? "nothing"
                 : v == 0      ? "one number X (0.1 to 1000 times real time)"
                 : v == 5      ? "one number of minutes (1 to 60)"
                               : "one NAME");
        return 1;
    }
    int64_t now = now_ms();
    struct splc *plc = sm->plc;
    char why[400];
    double x;
    switch (v) {
    case 0:
        if (input_number(arg, &x, NULL, 0) < 0 || !(x >= 0.1 && x <= 1000)) {
            snprintf(rep, n, "error: speed \"%.40s\": expected a number from 0.1 to 1000", arg);
            return 1;
        }
        sm->speed = plc->speed = x;
        sim_rebase(sm, now);
        sim_publish(sm);
        snprintf(rep, n, "ok: speed %gx real time at process clock %.1f s%s", x, plc->clock_s,
                 sm->frozen ? " (frozen: it runs at this speed after `run`)" : "");
        return 1;
    case 1:
    case 2:
        if (sm->frozen == (v == 1)) {
            snprintf(rep, n, "ok: already %s at process clock %.1f s",
                     v == 1 ? "frozen" : "running", plc->clock_s);
            return 1;
        }
        sm->frozen = plc->frozen = v == 1;
        sim_rebase(sm, now);
        sim_publish(sm);
        snprintf(rep, n, "ok: %s at process clock %.1f s", v == 1 ? "frozen" : "running",
                 plc->clock_s);
        return 1;
    case 3: {
        static struct ssnap snap;
        snprintf(snap.name, sizeof snap.name, "%.*s", SSNAP_NAME_MAX, arg);
        snap.plc = *plc;
        int64_t t0 = clock_mono_ns();
        if (ssnap_name_check(arg, why, sizeof why) < 0 ||
            ssnap_save(sm->snapdir, &snap, why, sizeof why) < 0) {
            snprintf(rep, n, "error: %s", why);
            return 1;
        }
        snprintf(rep, n, "ok: snapshot %s at process clock %.1f s saved in %s/%s.snap (%zu bytes, "
                 "%.3f ms)", arg, plc->clock_s, sm->snapdir, arg, (size_t)SSNAP_FILE_SIZE,
                 (double)(clock_mono_ns() - t0) / 1e6);
        return 1;
    }
    case 4: {
        static struct ssnap snap;
        int64_t t0 = clock_mono_ns();
        if (ssnap_load(sm->snapdir, arg, &snap, why, sizeof why) < 0) {
            snprintf(rep, n, "error: %s; nothing changed", why);
            return 1;
        }
        double was = plc->clock_s;
        sim_restore(sm, &snap.plc);
        snprintf(rep, n, "ok: restored %s: process clock %.1f s -> %.1f s (restart %u, %.3f ms)",
                 arg, was, plc->clock_s, (unsigned)plc->restarts,
                 (double)(clock_mono_ns() - t0) / 1e6);
        return 1;
    }
    case 5: {
        if (input_number(arg, &x, NULL, 0) < 0) {
            snprintf(rep, n, "error: backtrack \"%.40s\": expected minutes, 1 to %d", arg,
                     SSNAP_RING);
            return 1;
        }
        const struct splc *p = ssnap_ring_find(&sm->ring, plc->clock_s, x, why, sizeof why);
        if (!p) {
            snprintf(rep, n, "error: %s; nothing changed", why);
            return 1;
        }
        static struct splc saved;
        int64_t t0 = clock_mono_ns();
        saved = *p;
        double was = plc->clock_s;
        sim_restore(sm, &saved);
        snprintf(rep, n, "ok: back %g min: process clock %.1f s -> %.1f s (restart %u, %.3f ms)",
                 x, was, plc->clock_s, (unsigned)plc->restarts,
                 (double)(clock_mono_ns() - t0) / 1e6);
        return 1;
    }
    default:
        list_snapshots(sm, rep, n);
        return 1;
    }
}

/* The timed malfunctions' verbs (sim_malf.h): at, ramp, pending, cancel.  1 when req was
 * one of them (reply in rep), 0 when it is not.  A refused one changes nothing. */
static int malf_verb(struct sim *sm, const char *req, char *rep, size_t n)
{
    char why[400], line[200];
    double now = sm->plc->clock_s;
    if (!strcmp(req, "pending")) {
        size_t k = (size_t)snprintf(rep, n, "ok: %d timed malfunctions waiting or running, "
                                    "process clock %.1f s", malf_pending(&sm->malf), now);
        for (int i = 0; i < sm->malf.n && k < n; i++) {
            malf_describe(&sm->malf.m[i], now, line, sizeof line);
            k += (size_t)snprintf(rep + k, n - k, "\n%s", line);
        }
        return 1;
    }
    if (!strncmp(req, "cancel", 6) && (!req[6] || req[6] == ' ')) {
        char arg[64] = "", extra[8] = "";
        int words = sscanf(req + 6, "%63s %7s", arg, extra);
        if (words != 1) {
            snprintf(rep, n, "error: cancel takes one entry number (`pending` lists them) or "
                     "all");
            return 1;
        }
        int k = malf_cancel(&sm->malf, arg, why, sizeof why);
        if (k < 0)
            snprintf(rep, n, "error: %s; nothing changed", why);
        else
            snprintf(rep, n, "ok: cancelled %d timed malfunction%s; %d waiting or running "
                     "(a fault already injected stays: clear it)", k, k == 1 ? "" : "s",
                     malf_pending(&sm->malf));
        return 1;
    }
    struct malf m;
    int rc = malf_parse(req, now, &m, why, sizeof why);
    if (rc == 0)
        return 0;
    if (rc < 0 || malf_add(&sm->malf, &m, why, sizeof why) < 0) {
        snprintf(rep, n, "error: %s; nothing changed", why);
        return 1;
    }
    malf_describe(&m, now, line, sizeof line);
    snprintf(rep, n, "ok: %s, at process clock %.1f s%s", line, now,
             sm->frozen ? " (frozen: it waits while the clock stands)" : "");
    return 1;
}

/* Handle one instructor request; the reply starts "ok" or "error". */
static void inject_handle(int cfd, struct sim *sm)
{
    struct splc *plc = sm->plc;
    struct ucred cr;
    socklen_t cl = sizeof cr;
    char req[256], rep[4096];
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
        (cr.uid != 0 && cr.uid != getuid())) {
        send(cfd, "error: not the instructor's account", 35, MSG_NOSIGNAL);
        return;
    }
    struct pollfd p = {.fd = cfd, .events = POLLIN};
    if (poll(&p, 1, 500) <= 0)
        return;
    ssize_t n = recv(cfd, req, sizeof req - 1, 0);
    if (n <= 0)
        return;
    req[n] = 0;
    char fault[32], target[32], why[200];
    double value;
    if (!strcmp(req, "status")) {
        splc_fault_describe(plc, why, sizeof why);
        snprintf(rep, sizeof rep,
                 "ok: clock %.0f s, faults: %s; speed %gx, %s, %u restarts, automatic "
                 "snapshots reach back %.1f min",
                 plc->clock_s, why, sm->speed, sm->frozen ? "frozen" : "running",
                 (unsigned)plc->restarts, ssnap_ring_span_min(&sm->ring, plc->clock_s));
    } else if (!strcmp(req, "list")) {
        list_faults(rep + 4, sizeof rep - 4);
        memcpy(rep, "ok:\n", 4);
    } else if (!strcmp(req, "glance")) {
        glance(sm, rep, sizeof rep);
    } else if (!strcmp(req, "scenario")) { /* for the station's exercise progress */
        char full[PATH_MAX];
        if (!sm->scen)
            snprintf(rep, sizeof rep, "ok: none");
        else
            snprintf(rep, sizeof rep, "ok: %.4000s",
                     realpath(sm->scen->path, full) ? full : sm->scen->path);
    } else if (clock_verb(sm, req, rep, sizeof rep)) {
        /* the training clock: rep filled */
    } else if (malf_verb(sm, req, rep, sizeof rep)) {
        /* a timed or ramped malfunction: rep filled */
    } else if (scen_parse_inject(req, fault, sizeof fault, target, sizeof target, &value, why,
                                 sizeof why) < 0) {
        snprintf(rep, sizeof rep, "error: %s", why);
    } else if (!strcmp(fault, "silent")) {
        if (!(value >= 1 && value <= 3600))
            snprintf(rep, sizeof rep, "error: silent SECONDS: expected 1 to 3600");
        else {
            simsrv_mute(sm->srv, now_ms() + (int64_t)(value * 1000));
            snprintf(rep, sizeof rep, "ok: the PLC stops answering for %g s", value);
        }
    } else if (splc_fault(plc, fault, target, value, why, sizeof why) < 0) {
        snprintf(rep, sizeof rep, "error: %s", why);
    } else {
        splc_fault_describe(plc, why, sizeof why);
        snprintf(rep, sizeof rep, "ok: %s%s%s at process clock %.1f s; active: %s", fault,
                 *target ? " " : "", target, plc->clock_s, why);
    }
    send(cfd, rep, strlen(rep), MSG_NOSIGNAL);
    fprintf(stderr, "meltsim: inject \"%s\": %s\n", req, rep);
}

static int inject_client(const struct cfg *c, int port, int argc, const char **argv)
{
    char path[256], req[256] = "";
    inject_path(c, port, path, sizeof path);
    size_t k = 0;
    for (int i = 0; i < argc && k < sizeof req; i++)
        k += (size_t)snprintf(req + k, sizeof req - k, "%s%s", i ? " " : "", argv[i]);
    if (!*req) {
        fprintf(stderr, "meltsim inject: which fault? `meltsim inject list` shows them\n");
        return 2;
    }
    char rep[4096];
    int rc = inst_request(path, req, rep, sizeof rep);
    if (rc < 0) {
        fprintf(stderr, "meltsim inject: %s (port %d)\n", rep, port);
        return 1;
    }
    fprintf(rc ? stdout : stderr, "%s\n", rep);
    return rc ? 0 : 1;
}

/* ---- serve ----------------------------------------------------------------------- */

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "meltsim: %s\n", line);
}

static int serve(const struct cfg *c, const char *bind_addr, int port, double speed, bool cold,
                 struct scenario *scen, const char *snapdir)
{
    static struct splc plc;
    struct splc_params p;
    struct phys_params pp;
    splc_params_from_cfg(&p, &pp, c);
    splc_init(&plc, &p, &pp, cold || (scen && scen->cold));
    plc.speed = speed;
    char err[300];
    struct simsrv *srv = simsrv_open(c, bind_addr, port, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "meltsim: %s\n", err);
        return 1;
    }
    struct simimg *img = simsrv_image(srv);
    struct splc_in in;
    struct splc_out out;
    splc_in_initial(&plc, &in);
    simimg_put_inputs(img, &in);
    splc_output(&plc, &out);
    simimg_put_outputs(img, &out);

    char ipath[256];
    inject_path(c, port, ipath, sizeof ipath);
    int ifd = inject_listen(ipath);
    if (ifd < 0) {
        simsrv_close(srv);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr,
            "meltsim: %s start, serving %s:%d (%d tags of %s), %gx real time; instructor: "
            "meltsim inject ... --port %d\n",
            cold || (scen && scen->cold) ? "cold" : "hot", bind_addr, port, c->ntags, c->path,
            speed, port);
    if (scen)
        fprintf(stderr, "meltsim: scenario \"%s\": %s\n", scen->title, scen->situation);

    /* Scan in process time; catch up in whole scans at each wall tick.  Frozen: a frozen
     * scan (heartbeat, watchdog, BUSY to commands) every scan_ms of wall time. */
    static struct sim sm;
    sm = (struct sim){.cfg = c, .plc = &plc, .srv = srv, .scen = scen, .speed = speed};
    snprintf(sm.snapdir, sizeof sm.snapdir, "%s", snapdir);
    ssnap_ring_init(&sm.ring);
    ssnap_ring_tick(&sm.ring, &plc);
    malf_init(&sm.malf);
    double scan_s = c->sim.scan_ms / 1000.0;
    int64_t next = now_ms(), last_frozen = next;
    sim_rebase(&sm, next);
    while (!stop) {
        int64_t now = now_ms();
        int wait = next > now ? (int)(next - now) : 0;
        simsrv_poll(srv, wait < 20 ? wait : 20, now_ms());
        int cfd = accept4(ifd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd >= 0) {
            inject_handle(cfd, &sm);
            close(cfd);
        }
        now = now_ms();
        if (now < next)
            continue;
        if (sm.frozen) {
            simimg_get_inputs(img, &in);
            splc_frozen_scan(&plc, &in, &out, (double)(now - last_frozen) / 1000.0);
            simimg_put_outputs(img, &out);
        } else {
            double target_s = sm.base_proc + (double)(now - sm.base_wall) / 1000.0 * sm.speed;
            int scans = 0;
            while (sm.done_s + scan_s <= target_s + 1e-9 && scans < 100000) {
                simimg_get_inputs(img, &in);
                double silent = 0;
                if (scen)
                    scen_run_due(scen, &plc, plc.clock_s, &silent, log_line, NULL);
                malf_run_due(&sm.malf, &plc, plc.clock_s, &silent, log_line, NULL);
                if (silent > 0)
                    simsrv_mute(srv, now_ms() + (int64_t)(silent * 1000 / sm.speed));
                splc_step(&plc, &in, &out, scan_s);
                sm.done_s += scan_s;
                scans++;
                ssnap_ring_tick(&sm.ring, &plc);
            }
            if (scans)
                simimg_put_outputs(img, &out);
        }
        last_frozen = now;
        next += (int64_t)sm.tick_ms;
        if (next < now - 1000) /* the machine stalled: do not try to catch up a backlog */
            next = now + (int64_t)sm.tick_ms;
    }
    struct simsrv_stats st;
    simsrv_stats(srv, &st);
    fprintf(stderr, "meltsim: stopped after %.0f s of process time; %llu requests, %llu "
            "exceptions, %llu clients dropped, %llu closed when idle for %g s\n",
            plc.clock_s, (unsigned long long)st.requests, (unsigned long long)st.exceptions,
            (unsigned long long)st.dropped, (unsigned long long)st.idle, c->sim.idle_timeout_s);
    close(ifd);
    unlink(ipath);
    simsrv_close(srv);
    return 0;
}

/* The named snapshots' folder: --snapshots, else $XDG_STATE_HOME/meltsim, else
 * ~/.local/state/meltsim (the parents made as needed, 0700). */
static void snapdir_default(const char *opt, char *buf, size_t n)
{
    if (opt) {
        snprintf(buf, n, "%s", opt);
        return;
    }
    const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (st && *st == '/')
        snprintf(buf, n, "%s/meltsim", st);
    else if (home && *home == '/')
        snprintf(buf, n, "%s/.local/state/meltsim", home);
    else
        snprintf(buf, n, "/tmp/meltsim-snapshots-%u", (unsigned)getuid());
    for (char *q = buf + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            (void)mkdir(buf, 0700);
            *q = '/';
        }
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct args a = {.port = -1, .speed = -1, .seed = -1, .hours = -1, .every = 1};
    const char *rest[8]; /* the longest: at WHEN ramp FAULT TARGET FROM TO MINUTES */
    int verb, nrest;
    int rc = parse(argc, argv, &a, &verb, rest, &nrest);
    if (rc)
        return rc == 1 ? 0 : rc;
    static struct cfg c;
    if (load_cfg(a.cfg, &c) < 0)
        return 1;
    if (a.seed >= 0)
        c.sim.seed = (unsigned)a.seed;
    int p = a.port > 0 ? (int)a.port : c.sim.port;
    static struct scenario scen;
    if (a.scen_file) {
        char err[600];
        if (scen_load(a.scen_file, &scen, err, sizeof err) < 0) {
            fprintf(stderr, "meltsim: %s\n", err);
            return 1;
        }
    }
    if (verb == V_INJECT)
        return inject_client(&c, p, nrest, rest);
    if (verb == V_INSTR) {
        char path[256], title[300], self[PATH_MAX], mc[PATH_MAX + 16];
        inject_path(&c, p, path, sizeof path);
        snprintf(title, sizeof title, "furnace %s, simulator on port %d", c.furnace.name, p);
        /* meltcon beside this meltsim (a build folder, an installed bin), else PATH's */
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        snprintf(mc, sizeof mc, "meltcon");
        if (k > 0) {
            self[k] = 0;
            char *slash = strrchr(self, '/');
            if (slash) {
                *slash = 0;
                snprintf(mc, sizeof mc, "%s/meltcon", self);
                if (access(mc, X_OK) != 0)
                    snprintf(mc, sizeof mc, "meltcon");
            }
        }
        struct inst_opts io = {.path = path, .title = title, .meltcon = mc, .config = c.path};
        return inst_main(&io);
    }
    if (verb == V_RUN) {
        FILE *f = NULL;
        if (a.csv_file && !(f = !strcmp(a.csv_file, "-") ? stdout : fopen(a.csv_file, "w"))) {
            fprintf(stderr, "meltsim run: cannot write %s: %s\n", a.csv_file, strerror(errno));
            return 1;
        }
        struct run_opts o = {.hours = a.hours, .every_s = f ? a.every : 0, .cold = a.cold,
                             .seed = c.sim.seed, .scen = a.scen_file ? &scen : NULL, .csv = f};
        struct run_result r;
        char err[200];
        rc = run_headless(&c, &o, &r, err, sizeof err);
        if (f && f != stdout && fclose(f) != 0)
            rc = -1;
        if (rc < 0) {
            fprintf(stderr, "meltsim run: %s\n", err);
            return 1;
        }
        fprintf(stderr,
                "meltsim run: %.1f h simulated in %.3f s (%.0fx real time), %ld scans, %ld rows; "
                "melted %.1f t, %.0f kWh/t fuel, bath %.1f..%.1f degC\n",
                r.sim_s / 3600, r.wall_s, r.wall_s > 0 ? r.sim_s / r.wall_s : 0, r.scans, r.rows,
                r.melted_t, r.kwh_per_t, r.bath_min_c, r.bath_max_c);
        return 0;
    }
    char snapdir[256];
    snapdir_default(a.snapdir, snapdir, sizeof snapdir);
    return serve(&c, a.bind_addr ? a.bind_addr : c.sim.bind, p,
                 a.speed > 0 ? a.speed : c.sim.speed, a.cold, a.scen_file ? &scen : NULL,
                 snapdir);
}
