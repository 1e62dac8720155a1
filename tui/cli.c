/* cli — meltcon's verbs on the server's socket (see cli.h).
 *
 * A verb is one short conversation: connect, wait for `hello`, announce
 * the origin (`req verb=origin`: the terminal or the SSH client, for the
 * journal), send the request, print what comes back.  Replies are
 * matched by request id; a `journal` message tagged with that id carries
 * the lines of the answer (journal lines, CSV rows), untagged ones are the
 * server's live journal (printed only by `journal --follow`, after the
 * answer, so every line shows once and in order).
 *
 * Waits are bounded: CONNECT_WAIT_MS for the hello, REPLY_WAIT_MS for a
 * reply, plus the configured PLC command timeout for `cmd`.
 *
 * This file: the options and verbs tables, argument parsing, the dispatch,
 * the one-request verbs (set, cmd, ack, shelve, stop) and attach.  The
 * connection is cli_conn.c, status cli_status.c, journal and export
 * cli_journal.c, time arguments and JSON strings cli_text.c.
 */
#include "cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgmatch.h"
#include "clock.h"
#include "console.h"
#include "input.h"
#include "opt.h"
#include "plant_ui.h"
#include "server.h"
#include "session.h"
#include "util.h"

/* ---- arguments ------------------------------------------------------------------------ */

/* Every option of every verb; a verb names the ones it takes. */
struct opt {
    const char *name;
    int val;            /* getopt_long's code: the short letter, or a code of its own */
    const char *argname; /* NULL: a flag */
    size_t off;         /* const char * (with argname) or bool in struct cli_args */
    const char *help;
};

enum { O_REASON = 0x100, O_SINCE, O_FROM, O_TO, O_TAGS, O_JSON, O_FOLLOW, O_VERIFY, O_ALL,
        O_CSV, O_EXPECT, O_FORCE, O_HEADS, O_UNITS, O_SCENARIO, O_SPEED, O_HTML, O_PROGRESS,
        O_SCRAP };

#define OPT_V(n, v, an, f, h) {n, v, an, offsetof(struct cli_args, f), h}
#define OPT_F(n, v, f, h) {n, v, NULL, offsetof(struct cli_args, f), h}

static const struct opt opts[] = {
    OPT_F("foreground", 'f', fg, "run in the foreground (as systemd does), not detached"),
    OPT_V("reason", O_REASON, "TEXT", reason, "why, for the journal"),
    OPT_V("since", O_SINCE, "T", since, "start at time T (default: the start of today)"),
    OPT_V("from", O_FROM, "T", from, "from time T"),
    OPT_V("to", O_TO, "T", to, "to time T"),
    OPT_V("tags", O_TAGS, "a,b", tags, "only these tags (default: all)"),
    OPT_F("json", O_JSON, json, "one JSON object instead of text"),
    OPT_F("follow", O_FOLLOW, follow, "then print new lines as they come, until interrupted"),
    OPT_F("verify", O_VERIFY, verify, "check the hash chain; name the first line that was changed"),
    OPT_F("all", O_ALL, all, "every unacknowledged alarm"),
    OPT_F("csv", O_CSV, csv, "CSV with a header row (export's default; not with --json)"),
    OPT_F("units", O_UNITS, units, "a second CSV header line with each tag's unit"),
    OPT_V("expect", O_EXPECT, "V", expect,
          "change only if the value now is V (what you saw); without it, the value is read "
          "from the server just before and sent as V"),
    OPT_F("force", O_FORCE, force, "force the phase (engineers): without its normal exit"),
    OPT_V("scenario", O_SCENARIO, "FILE", scenario, "the exercise's scenario file"),
    OPT_V("speed", O_SPEED, "X", speed, "the simulator's speed in the run (default 1)"),
    OPT_V("html", O_HTML, "FILE", html, "also write a self-contained HTML page to FILE"),
    OPT_V("config", 'c', "FILE", config, "the furnace's file (as before the verb)"),
    OPT_F("help", 'h', help, "print this help and exit"),
    OPT_V("heads", O_HEADS, "FILE", heads,
          "with --verify: check the journal files against the heads the server published "
          "(journalctl output; - for stdin)"),
    OPT_F("progress", O_PROGRESS, progress,
          "the run so far, one tab-separated line per expectation (for the instructor station)"),
    OPT_V("scrap", O_SCRAP, "CLASS", scrap,
          "cmd charge: the scrap's class ([scrap.NAME] of the furnace's file: clean, mixed, "
          "oily ...); without it, [limits] default_scrap.  The charge is refused if its "
          "organics (mass x the class's organics_pct) exceed [limits] max_organics_kg"),
};
#define NOPTS (sizeof opts / sizeof opts[0])

/* What each verb takes: positional arguments min..max, its options (names
 * with a space at both ends; every verb also takes --config and --help) and
 * what it does. */
static const struct verb {
    const char *name;
    int min, max;
    const char *opts;
    const char *usage;
    const char *help;
} verbs[] = {
    {"server", 0, 0, " foreground ", "server [-f]",
     "Run the furnace's server: detached (a private furnace), or with -f in the foreground, "
     "which is how systemd runs a system furnace's."},
    {"stop", 0, 0, " reason ", "stop [--reason TEXT]",
     "Stop the running server (engineers)."},
    {"status", 0, 0, " json ", "status [--json]",
     "Print the live values with their quality, the loops, the alarms and the PLC link."},
    {"set", 2, 2, " reason expect ", "set LOOP.sp|LOOP.mode|LOOP.out VALUE --reason TEXT [--expect V]",
     "Change a loop's setpoint, mode (MAN, AUTO, CAS) or manual output, through the "
     "server's limits; a negative VALUE may follow --."},
    {"tune", 2, 2, " reason expect ", "tune LOOP.kp|LOOP.ti_s|LOOP.td_s VALUE --reason TEXT [--expect V]",
     "Change a loop's tuning (engineers); the integrator restarts from the output, so it "
     "does not bump."},
    {"cmd", 1, 2, " reason expect scrap ",
     "cmd NAME [ARG] [--scrap CLASS] [--reason TEXT] [--expect PHASE]",
     "Send a command (burner_start, charge 3.05 --scrap oily, estop_reset, lockout_reset, "
     "watchdog_reset, ...) through its permissives and the PLC's handshake; its base is the "
     "phase (for pump_speed, the speed now)."},
    {"ack", 0, 1, " all expect ", "ack ALARM|--all [--expect STATE]",
     "Acknowledge one alarm, or every one."},
    {"shelve", 2, 2, " reason expect ", "shelve ALARM MINUTES --reason TEXT [--expect STATE]",
     "Shelve an alarm for MINUTES; beyond its max_shelve_min only an engineer may."},
    {"unshelve", 1, 1, " reason expect ", "unshelve ALARM [--expect STATE]",
     "Put a shelved alarm back in view."},
    {"oos", 2, 2, " reason expect ", "oos ALARM on|off --reason TEXT [--expect STATE]",
     "Take an alarm out of service, or back in (engineers)."},
    {"wet", 1, 1, " reason expect ", "wet yes|no [--reason TEXT] [--expect yes|no]",
     "Flag the charge on the hearth wet (no push until cleared), or clear the flag."},
    {"phase", 1, 1, " reason expect force ", "phase PHASE [--force] [--reason TEXT] [--expect PHASE]",
     "Move the melt to PHASE (HOLD, CHARGE, PYROLYSIS, PUSH, MELT, ALLOY, SKIM, TAP) when "
     "its normal exit allows; --force (engineers) without it."},
    {"confirm", 0, 0, " reason expect ", "confirm [--reason TEXT] [--expect PHASE]",
     "Confirm the chemistry in ALLOY, so the melt may go on."},
    {"journal", 0, 0, " since follow verify heads ",
     "journal [--since T] [--follow] [--verify [--heads FILE]]",
     "Print the journal of operator actions, alarms and events, or verify its hash chain."},
    {"export", 0, 0, " from to tags csv json units ",
     "export --from T --to T [--tags a,b] [--csv [--units] | --json]",
     "Print the historian's samples between two times: CSV (a value and a quality column "
     "per tag) or JSON lines; with no server running, read from the state directory's "
     "historian.db."},
    {"debrief", 0, 0, " scenario from to speed html progress ",
     "debrief --scenario FILE [--from T] [--to T] [--speed X] [--html FILE | --progress]",
     "Judge a training run from the record (no server needed): the timeline of malfunctions, "
     "alarms and actions, each expectation met, late, missed or taken, process deviations "
     "and a score; exit 0 passed, 1 failed.  --from: the run's start (default: the last "
     "server start in the last day)."},
    {"report", 1, 1, " from to csv json ", "report charge|shift|day [--from T --to T] [--csv|--json]",
     "Per-charge, per-shift or per-day figures from the journal and the historian files "
     "(read directly: works with the server stopped)."},
    {"plant", 0, 0, " ", "plant",
     "The plant overview: every furnace on this config's [mqtt] broker, one row each, sorted "
     "by attention; Enter shows one furnace (read-only)."},
};

static const struct verb *verb_find(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(verbs[i].name, name))
            return &verbs[i];
    return NULL;
}

bool cli_is_verb(const char *name)
{
    return verb_find(name) != NULL;
}

static bool verb_takes(const struct verb *v, const struct opt *o)
{
    char key[24];
    snprintf(key, sizeof key, " %s ", o->name);
    return o->val == 'h' || o->val == 'c' || strstr(v->opts, key) != NULL;
}

static void verb_help(const struct verb *v, FILE *f)
{
    fprintf(f, "usage: meltcon [-c FILE] %s\n%s\noptions:\n", v->usage, v->help);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (!verb_takes(v, o))
            continue;
        char head[40];
        int k = o->val < 0x100 ? snprintf(head, sizeof head, "-%c, ", o->val) : 0;
        snprintf(head + k, sizeof head - (size_t)k, "--%s%s%s", o->name, o->argname ? "=" : "",
                 o->argname ? o->argname : "");
        fprintf(f, "  %-20s %s\n", head, o->help);
    }
    if (strstr(v->opts, " since ") || strstr(v->opts, " from "))
        fprintf(f, "T: 2026-11-29T10:00 (local time), 2026-11-29T10:00Z, -1h, -10m, -30s, now\n");
}

static int usage_err(const struct verb *v, const char *what, const char *arg)
{
    fprintf(stderr, "meltcon %s: %s%s\nusage: meltcon [-c FILE] %s\n", v->name, what, arg,
            v->usage);
    return 2;
}

static int take_opt(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].val != val)
            continue;
        if (opts[i].argname)
            *(const char **)((char *)ctx + opts[i].off) = arg;
        else
            *(bool *)((char *)ctx + opts[i].off) = true;
    }
    return 0;
}

/* Parse a verb's arguments into *a: 0, or 2 with the mistake and the
 * verb's usage on stderr.  With --help, missing arguments are no mistake. */
static int parse_args(const struct verb *v, int argc, char **argv, struct cli_args *a)
{
    struct option lo[NOPTS + 1];
    char shortopts[8] = "hc:";
    size_t n = 0;
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < NOPTS; i++) {
        if (!verb_takes(v, &opts[i]))
            continue;
        lo[n++] = (struct option){opts[i].name, opts[i].argname ? required_argument : no_argument,
                                  NULL, opts[i].val};
        if (opts[i].val == 'f')
            strcat(shortopts, "f");
    }
    lo[n] = (struct option){NULL, 0, NULL, 0};
    struct opt_spec spec = {.shortopts = shortopts, .longopts = lo, .take = take_opt, .ctx = a};
    char err[200];
    if (opt_parse(&spec, argc, argv, a->pos, v->max, &a->npos, err, sizeof err) < 0)
        return usage_err(v, err, "");
    if (a->help)
        return 0;
    if (a->npos < v->min)
        return usage_err(v, "missing arguments", "");
    return 0;
}

/* ---- the verbs ------------------------------------------------------------------------------ */

/* What the protocol cannot carry whole is not sent (a cut reason or value
 * would be another request): 0, or -1 with the sentence on stderr.  All
 * else goes to the server, whose gate judges it with the same readers
 * (config/input.h) and journals the refusal. */
static int fits(const char *verb, const char *target, const char *value, const char *reason)
{
    struct snap_req *q = NULL;
    char why[200], shown[INPUT_SHOW_SIZE];
    const struct {
        const char *what, *s;
        size_t size;
    } f[] = {{"name", target, sizeof q->target}, {"value", value, sizeof q->value}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].s && strlen(f[i].s) >= f[i].size) {
            input_show(shown, sizeof shown, f[i].s);
            fprintf(stderr, "meltcon %s: not sent: the %s \"%s\" is %zu bytes long; the most is %zu\n",
                    verb, f[i].what, shown, strlen(f[i].s), f[i].size - 1);
            return -1;
        }
    }
    if (reason && strlen(reason) >= sizeof q->reason) {
        input_reason(reason, false, INPUT_REASON_CHARS, sizeof q->reason, why, sizeof why);
        fprintf(stderr, "meltcon %s: not sent: %s\n", verb, why);
        return -1;
    }
    return 0;
}

/* The base to send with a change (compare-and-set): --expect as given,
 * else the value now, as the server reads it (`req verb=current`) just
 * before the change is sent; "" when the request has no base (`ack all`, a
 * target the gate will refuse with its own sentence). */
static void base_of(struct cli_conn *c, const char *verb, const char *target,
                    const char *given, struct snap_reply *rep, char *out, size_t n)
{
    char err[300];
    out[0] = 0;
    if (given) {
        (void)str_copy(out, n, given); /* fits() checked it */
        return;
    }
    if (!strcmp(verb, "ack") && !strcmp(target, "all"))
        return;
    const char *scrap = c->scrap; /* the change's, not this question's */
    c->scrap = NULL;
    long id = cli_conn_req(c, "current", target, verb, "", NULL);
    c->scrap = scrap;
    if (id >= 0 && cli_conn_reply(c, id, REPLY_WAIT_MS, NULL, rep, err, sizeof err) == 0 &&
        rep->ok && !str_copy(out, n, rep->text))
        out[0] = 0; /* never a cut base */
}

/* Send one request and print the answer: 0 accepted, 1 refused or failed,
 * 3 carried out but not kept by the record (a full disk). */
static int request(struct cli_conn *c, const char *verb, const char *target,
                   const char *value, const char *reason, const char *expect, int wait_ms)
{
    char err[300], base[sizeof(((struct snap_req *)0)->expect)];
    if (fits(verb, target, value, reason) < 0 || fits(verb, "", expect, NULL) < 0)
        return 1;
    struct snap_reply *rep = malloc(sizeof *rep);
    long id = -1;
    /* dated now, as the command was given: a server held up while the base
     * is read must still refuse the change as old (request_max_age_ms) */
    double made = clock_wall_s();
    if (rep && strcmp(verb, "stop") != 0)
        base_of(c, verb, target, expect, rep, base, sizeof base);
    else
        base[0] = 0;
    c->made = made;
    if (rep)
        id = cli_conn_req(c, verb, target, value, reason, base);
    c->made = 0;
    int rc = 1;
    if (!rep || id < 0) {
        fprintf(stderr, "meltcon %s: cannot send the request: %s\n", verb, strerror(errno));
    } else if (cli_conn_reply(c, id, wait_ms, NULL, rep, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon %s: %s\n", verb, err);
    } else if (rep->unrecorded) {
        fprintf(stderr, "meltcon %s: %s\n", verb, rep->text);
        rc = 3;
    } else if (!rep->ok) {
        fprintf(stderr, "meltcon %s: refused: %s\n", verb, rep->text);
    } else {
        printf("%s\n", rep->text);
        rc = 0;
    }
    free(rep);
    return rc;
}

static int verb_stop(struct cli_conn *c, const struct cli_args *a)
{
    int rc = request(c, "stop", "", "", a->reason, NULL, REPLY_WAIT_MS); /* 3: not recorded */
    if (rc == 1)
        return 1;
    int64_t end = cli_now_ms() + STOP_WAIT_MS;
    for (;;) {
        int t = cli_conn_recv(c, end);
        if (t == -1) {
            printf("server stopped\n");
            return rc;
        }
        if (t == -2) {
            fprintf(stderr, "meltcon stop: the server did not stop within %d s\n",
                    STOP_WAIT_MS / 1000);
            return 1;
        }
    }
}

/* The verbs that are one request through the gate: which positional
 * argument is the request's target and which its value (-1: none; then
 * the target is `fixed`). */
static const struct reqmap {
    const char *verb;
    int target, value;
    const char *fixed;
} reqmaps[] = {
    {"set", 0, 1, ""},       {"tune", 0, 1, ""},      {"cmd", 0, 1, ""},
    {"ack", 0, -1, "all"},   {"shelve", 0, 1, ""},    {"unshelve", 0, -1, ""},
    {"oos", 0, 1, ""},       {"wet", -1, 0, "charge"}, {"phase", 0, -1, ""},
    {"confirm", -1, -1, "chemistry"},
};

static const struct reqmap *reqmap_find(const char *verb)
{
    for (size_t i = 0; i < sizeof reqmaps / sizeof reqmaps[0]; i++)
        if (!strcmp(reqmaps[i].verb, verb))
            return &reqmaps[i];
    return NULL;
}

static const char *verb_target(const struct verb *v, const struct cli_args *a)
{
    const struct reqmap *m = reqmap_find(v->name);
    return m->target >= 0 && m->target < a->npos ? a->pos[m->target] : m->fixed;
}

static const char *verb_value(const struct verb *v, const struct cli_args *a)
{
    const struct reqmap *m = reqmap_find(v->name);
    if (!strcmp(v->name, "phase"))
        return a->force ? "force" : "";
    return m->value >= 0 && m->value < a->npos ? a->pos[m->value] : "";
}

static int load(const char *cfgopt, struct cfg *c)
{
    static struct cfg_errors errs;
    const char *file = cfg_default_path(cfgopt);
    if (cfg_load(file, c, &errs) == 0)
        return 0;
    for (int i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.e[i].text);
    fprintf(stderr, "%s: %d error%s: nothing will start with this file\n", file,
            errs.n + errs.dropped, errs.n + errs.dropped == 1 ? "" : "s");
    return -1;
}

static int run_verb(const struct verb *v, const struct cfg *cfg, const struct cli_args *a)
{
    char err[600];
    if (!strcmp(v->name, "plant")) /* the broker, not this furnace's server */
        return plant_run(cfg);
    if (!strcmp(v->name, "server")) {
        int rc = server_run(cfg, a->fg, err, sizeof err);
        if (rc)
            fprintf(stderr, "meltcon server: %s\n", err);
        else if (!a->fg) /* in the foreground the server has said it all on stderr */
            printf("%s\n", err);
        return rc;
    }
    if (!strcmp(v->name, "journal") && a->verify && a->heads)
        return cli_journal_verify_files(cfg, a);
    if (!strcmp(v->name, "export") || !strcmp(v->name, "journal")) {
        /* no server answers: read the files (hist.h, journal.h) */
        char sock[108];
        if (session_socket_path(cfg, sock, sizeof sock, err, sizeof err) == 0) {
            int fd = session_connect(sock, err, sizeof err);
            if (fd >= 0)
                close(fd);
            else if (errno == ENOENT || errno == ECONNREFUSED)
                return !strcmp(v->name, "export") ? cli_export_local(cfg, a)
                       : a->verify                ? cli_journal_verify_files(cfg, a)
                                                  : cli_journal_local(cfg, a);
        }
    }
    if (!strcmp(v->name, "report"))
        return cli_verb_report(cfg, a);
    if (!strcmp(v->name, "debrief"))
        return cli_verb_debrief(cfg, a);
    struct cli_conn *c = cli_conn_open(cfg, err, sizeof err);
    if (!c && !strcmp(v->name, "journal") && a->verify) {
        fprintf(stderr, "meltcon journal: %s; verifying the files directly\n", err);
        return cli_journal_verify_files(cfg, a);
    }
    if (!c) {
        fprintf(stderr, "meltcon %s: %s\n", v->name, err);
        return 1;
    }
    /* a verb that shows local config facts needs the server's file (cfgmatch.h) */
    if (cfgmatch_verb_needs(v->name) &&
        cfgmatch_check(cfg, &c->hello, "this command", v->name, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon %s: %s\n", v->name, err);
        cli_conn_close(c);
        return 1;
    }
    int rc;
    int cmd_wait = REPLY_WAIT_MS + cfg->plc.cmd_timeout_ms;
    if (!strcmp(v->name, "status"))
        rc = cli_verb_status(c, cfg, a);
    else if (a->scrap && strlen(a->scrap) >= sizeof(((struct snap_req *)0)->scrap)) {
        fprintf(stderr, "meltcon %s: not sent: the scrap class \"%.40s...\" is longer than any "
                "class name (at most %zu characters)\n", v->name, a->scrap,
                sizeof(((struct snap_req *)0)->scrap) - 1);
        rc = 1;
    } else if (reqmap_find(v->name)) {
        c->scrap = a->scrap;
        rc = request(c, v->name, verb_target(v, a), verb_value(v, a), a->reason, a->expect,
                     !strcmp(v->name, "cmd") ? cmd_wait : REPLY_WAIT_MS);
        c->scrap = NULL;
    }
    else if (!strcmp(v->name, "journal"))
        rc = cli_verb_journal(c, a);
    else if (!strcmp(v->name, "export"))
        rc = cli_verb_export(c, a);
    else
        rc = verb_stop(c, a);
    cli_conn_close(c);
    return rc;
}

int cli_main(const char *cfgopt, int argc, char **argv)
{
    const struct verb *v = verb_find(argv[0]);
    struct cli_args a;
    if (!v) {
        fprintf(stderr, "meltcon: unknown verb \"%s\"\n", argv[0]);
        return 2;
    }
    int rc = parse_args(v, argc, argv, &a);
    if (rc)
        return rc;
    if (a.help) {
        verb_help(v, stdout);
        return 0;
    }
    if (!strcmp(v->name, "ack") && a.all == (a.npos == 1))
        return usage_err(v, "name one alarm, or --all", "");
    if (a.heads && !a.verify)
        return usage_err(v, "--heads goes with --verify", "");
    if (!strcmp(v->name, "report") && strcmp(a.pos[0], "charge") && strcmp(a.pos[0], "shift") &&
        strcmp(a.pos[0], "day"))
        return usage_err(v, "report charge, shift or day, not ", a.pos[0]);
    if (!strcmp(v->name, "debrief") && !a.scenario)
        return usage_err(v, "--scenario FILE is required", "");
    if (a.progress && a.html)
        return usage_err(v, "--html or --progress, not both", "");
    if (!strcmp(v->name, "report") && a.csv && a.json)
        return usage_err(v, "--csv or --json, not both", "");
    struct cfg *cfg = malloc(sizeof *cfg);
    if (!cfg || load(a.config ? a.config : cfgopt, cfg) < 0) {
        free(cfg);
        return 1;
    }
    rc = run_verb(v, cfg, &a);
    free(cfg);
    return rc;
}

int cli_attach(const char *cfgopt, const struct console_opts *o)
{
    struct cfg *cfg = malloc(sizeof *cfg);
    char path[108], err[600];
    int rc = 1;
    if (!cfg || load(cfgopt, cfg) < 0)
        goto out;
    if (session_socket_path(cfg, path, sizeof path, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon: %s\n", err);
        goto out;
    }
    int fd = session_connect(path, err, sizeof err);
    if (fd >= 0) {
        close(fd);
    } else if (cfg->server.system) { /* never started here: systemd runs it */
        if (errno == ENOENT || errno == ECONNREFUSED)
            cli_not_running(cfg, path, err, sizeof err);
        fprintf(stderr, "meltcon: %s\n", err);
        goto out;
    } else if (server_run(cfg, false, err, sizeof err) != 0 &&
               strncmp(err, "server already running", 22) != 0) {
        fprintf(stderr, "meltcon: %s\n", err);
        goto out;
    } else {
        fprintf(stderr, "meltcon: %s\n", err);
    }
    rc = console_run(cfg, path, o);
out:
    free(cfg);
    return rc;
}
