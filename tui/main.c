/* meltcon — the operator console's command line: verbs and options.
 *
 *   meltcon [-c FILE] [CONSOLE OPTIONS]   attach (start the server if needed)
 *   meltcon [-c FILE] VERB ...            the verbs of tui/cli.c
 *   meltcon check-config [--describe] [FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "console.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: meltcon [-c FILE] [CONSOLE OPTIONS]  attach the console (starting the "
            "server if none runs)\n"
            "       meltcon [-c FILE] server [-f]        run the server (-f: in the "
            "foreground)\n"
            "       meltcon [-c FILE] stop               stop the server (engineer)\n"
            "       meltcon [-c FILE] status [--json]\n"
            "       meltcon [-c FILE] set LOOP.sp|LOOP.mode|LOOP.out VALUE --reason TEXT\n"
            "       meltcon [-c FILE] cmd NAME [ARG] [--reason TEXT]\n"
            "       meltcon [-c FILE] ack ALARM|--all\n"
            "       meltcon [-c FILE] shelve ALARM MINUTES --reason TEXT\n"
            "       meltcon [-c FILE] journal [--since T] [--follow] [--verify]\n"
            "       meltcon [-c FILE] export --from T --to T [--tags a,b] [--csv]\n"
            "       meltcon check-config [FILE]      check a configuration file\n"
            "       meltcon check-config --describe  print every configuration key\n"
            "T: 2026-11-29T10:00 (local time), 2026-11-29T10:00Z, -1h, -10m, -30s, now\n"
            "console options:\n%s",
            console_usage());
}

/* Print a one-line summary and return 0, or every error and return 1. */
static int check_config(int argc, char **argv, const char *cfgopt)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--describe")) {
            cfg_describe(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "meltcon check-config: unknown option %s\n", argv[i]);
            return 2;
        }
        file = argv[i];
    }
    file = cfg_default_path(file ? file : cfgopt);
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
    printf("%s: OK: furnace %s, %d tags, %d loops, %d alarms, %d programs\n", file, c.furnace.name,
           c.ntags, c.nloops, c.nalarms, c.nprograms);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cfgopt = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            cfgopt = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            break; /* a console option: attach */
        }
    }
    if (i < argc && !strcmp(argv[i], "check-config"))
        return check_config(argc - i, argv + i, cfgopt);
    if (i < argc && cli_is_verb(argv[i]))
        return cli_main(cfgopt, argc - i, argv + i);
    if (i < argc && argv[i][0] != '-') {
        fprintf(stderr, "meltcon: unknown verb \"%s\"\n", argv[i]);
        usage(stderr);
        return 2;
    }
    /* attach: argv[i - 1] stands in for the program name of the console's options */
    return cli_attach(cfgopt, argc - i + 1, argv + i - 1);
}
