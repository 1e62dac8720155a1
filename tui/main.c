/* meltcon — the operator console's command line: verbs and options.
 *
 *   meltcon [-c FILE] [CONSOLE OPTIONS]   attach (start a private furnace's server if needed)
 *   meltcon [-c FILE] VERB ...            the verbs of tui/cli.c
 *   meltcon [-c FILE] check-config [--describe|--man] [FILE]
 *   meltcon --version | --help
 *
 * Every option of the command line is parsed and checked here and in the
 * verb's parser (getopt_long, config/opt.c) before anything is loaded or
 * started: a mistake prints the usage on stderr and exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "console.h"
#include "opt.h"
#include "server.h"
#include "version.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: meltcon [-c FILE] [CONSOLE OPTIONS]  attach the console (a private furnace's\n"
            "                                           server is started if none runs)\n"
            "       meltcon [-c FILE] server [-f]        run the server (-f: in the foreground)\n"
            "       meltcon [-c FILE] stop [--reason TEXT]  stop the server (engineer)\n"
            "       meltcon [-c FILE] status [--json]\n"
            "       meltcon [-c FILE] set LOOP.sp|LOOP.mode|LOOP.out VALUE --reason TEXT\n"
            "       meltcon [-c FILE] cmd NAME [ARG] [--reason TEXT]\n"
            "       meltcon [-c FILE] ack ALARM|--all\n"
            "       meltcon [-c FILE] shelve ALARM MINUTES --reason TEXT\n"
            "       meltcon [-c FILE] unshelve ALARM | oos ALARM on|off --reason TEXT\n"
            "       meltcon [-c FILE] tune LOOP.kp|LOOP.ti_s|LOOP.td_s VALUE --reason TEXT\n"
            "       meltcon [-c FILE] wet yes|no | phase PHASE [--force] | confirm\n"
            "       every change also takes --expect V: only if the value now is V\n"
            "       meltcon [-c FILE] journal [--since T] [--follow] [--verify [--heads FILE]]\n"
            "       meltcon [-c FILE] export --from T --to T [--tags a,b] [--csv [--units] | --json]\n"
            "       meltcon [-c FILE] report charge|shift|day [--from T --to T] [--csv|--json]\n"
            "       meltcon [-c FILE] debrief --scenario FILE [--from T] [--speed X] [--html F | --progress]\n"
            "       meltcon [-c FILE] check-config [--describe|--man] [FILE]\n"
            "       meltcon VERB --help | --help | --version\n"
            "-c, --config=FILE: the furnace's file; else $MELTCON_CONFIG, else "
            "/etc/meltcon/meltcon.ini.\n"
            "A system furnace ([server] mode = system, or a file under /etc/meltcon/) is run by\n"
            "systemd (systemctl start meltcon@INSTANCE); meltcon never starts its server.\n"
            "T: 2026-11-29T10:00 (local time), 2026-11-29T10:00Z, -1h, -10m, -30s, now\n"
            "console options:\n%s",
            console_usage());
}

/* ---- check-config ------------------------------------------------------------------------- */

struct check_opts {
    const char *config;
    bool describe, man, help;
};

static int check_take(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    struct check_opts *o = ctx;
    (void)err;
    (void)errlen;
    if (val == 'c')
        o->config = arg;
    else if (val == 'd')
        o->describe = true;
    else if (val == 'm')
        o->man = true;
    else
        o->help = true;
    return 0;
}

static const char check_usage[] = "usage: meltcon [-c FILE] check-config [--describe|--man] [FILE]\n";

/* Print a summary (and the alarms' share of each priority) and return 0, or every error and return 1;
 * --describe and --man print the key reference and meltcon.ini(5). */
static int check_config(int argc, char **argv, const char *cfgopt)
{
    static const struct option lo[] = {
        {"config", required_argument, NULL, 'c'},
        {"describe", no_argument, NULL, 'd'},
        {"man", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct check_opts o = {0};
    struct opt_spec spec = {.shortopts = "hc:", .longopts = lo, .take = check_take, .ctx = &o};
    const char *pos[1] = {NULL};
    int npos;
    char err[200];
    if (opt_parse(&spec, argc, argv, pos, 1, &npos, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon check-config: %s\n%s", err, check_usage);
        return 2;
    }
    if (o.help) {
        printf("%s"
               "Check a configuration file (FILE, else -c FILE, else $MELTCON_CONFIG, else\n"
               "/etc/meltcon/meltcon.ini): a one-line summary, or every mistake and exit 1.\n"
               "options:\n"
               "  -c, --config=FILE  the file to check (as FILE)\n"
               "  --describe         print every section and key: type, range, default, unit\n"
               "  --man              print the manual page meltcon.ini(5) in roff\n"
               "  -h, --help         print this help and exit\n",
               check_usage);
        return 0;
    }
    if (o.describe + o.man + (npos > 0) > 1) {
        fprintf(stderr, "meltcon check-config: --describe, --man and FILE go alone\n%s",
                check_usage);
        return 2;
    }
    if (o.describe) {
        cfg_describe(stdout);
        return 0;
    }
    if (o.man) {
        cfg_man(stdout);
        return 0;
    }
    const char *file = cfg_default_path(npos ? pos[0] : o.config ? o.config : cfgopt);
    static struct cfg c;
    static struct cfg_errors errs;
    if (cfg_load(file, &c, &errs) < 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        if (errs.dropped)
            fprintf(stderr, "%s: ... and %d more errors\n", file, errs.dropped);
        fprintf(stderr, "%s: %d error%s: nothing will start with this file\n", file,
                errs.n + errs.dropped, errs.n + errs.dropped == 1 ? "" : "s");
        return 1;
    }
    printf("%s: OK: furnace %s (%s), %d tags, %d loops, %d alarms, %d programs\n", file,
           c.furnace.name, c.server.system ? "system" : "private", c.ntags, c.nloops, c.nalarms,
           c.nprograms);
    char shares[160];
    cfg_alarm_shares(&c, shares, sizeof shares);
    printf("%s: %s\n", file, shares);
    return 0;
}

/* ---- the program's own options ------------------------------------------------------------ */

struct main_opts {
    const char *config;
    bool help, version, console; /* console: a console option was given */
    struct console_opts co;
};

static int main_take(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    struct main_opts *m = ctx;
    switch (val) {
    case 'c':
        m->config = arg;
        return 0;
    case 'h':
        m->help = true;
        return 0;
    case 'V':
        m->version = true;
        return 0;
    default:
        m->console = true;
        return console_option(&m->co, val, arg, err, errlen);
    }
}

int main(int argc, char **argv)
{
    static const struct option own[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
    };
    struct option lo[sizeof own / sizeof own[0] + 16];
    size_t n = 0;
    for (; n < sizeof own / sizeof own[0]; n++)
        lo[n] = own[n];
    for (const struct option *o = console_options; o->name && n + 1 < sizeof lo / sizeof lo[0]; o++)
        lo[n++] = *o;
    lo[n] = (struct option){NULL, 0, NULL, 0};

    if (argc > 1 && !strcmp(argv[1], SERVER_EXPORT_JOB)) /* the server's own, not a verb */
        return server_export_job_main(argc - 1, argv + 1);
    struct main_opts m = {0};
    console_opts_init(&m.co);
    struct opt_spec spec = {
        .shortopts = "c:hV", .longopts = lo, .stop_at_arg = true, .take = main_take, .ctx = &m};
    char err[300];
    int npos;
    int i = opt_parse(&spec, argc, argv, NULL, 0, &npos, err, sizeof err);
    if (i < 0) {
        fprintf(stderr, "meltcon: %s\n", err);
        usage(stderr);
        return 2;
    }
    if (m.help) {
        usage(stdout);
        return 0;
    }
    if (m.version) {
        printf("meltcon %s\n", MELTCON_VERSION);
        return 0;
    }
    if (i < argc) {
        const char *verb = argv[i];
        if (strcmp(verb, "check-config") && !cli_is_verb(verb)) {
            fprintf(stderr, "meltcon: unknown verb \"%s\"\n", verb);
            usage(stderr);
            return 2;
        }
        if (m.console) {
            fprintf(stderr, "meltcon %s: console options go only without a verb\n", verb);
            usage(stderr);
            return 2;
        }
        if (!strcmp(verb, "check-config"))
            return check_config(argc - i, argv + i, m.config);
        return cli_main(m.config, argc - i, argv + i);
    }
    return cli_attach(m.config, &m.co);
}
