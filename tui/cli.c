/* cli — meltcon's verbs on the server's socket (see cli.h).
 *
 * A verb is one short conversation: connect, announce the origin
 * (`req verb=origin`: the terminal or the SSH client, for the journal),
 * wait for `hello`, send the request, print what comes back.  Replies are
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
#include "console.h"
#include "server.h"
#include "session.h"

/* ---- arguments ------------------------------------------------------------------------ */

struct opt {
    const char *name;
    bool takes_value;
    size_t off_value; /* const char * in struct cli_args */
    size_t off_flag;  /* bool in struct cli_args */
};

#define OPT_V(n, f)                                                                                \
    {                                                                                              \
        n, true, offsetof(struct cli_args, f), 0                                                       \
    }
#define OPT_F(n, f)                                                                                \
    {                                                                                              \
        n, false, 0, offsetof(struct cli_args, f)                                                      \
    }

static const struct opt opts[] = {
    OPT_V("--reason", reason), OPT_V("--since", since),   OPT_V("--from", from),
    OPT_V("--to", to),         OPT_V("--tags", tags),     OPT_F("--json", json),
    OPT_F("--follow", follow), OPT_F("--verify", verify), OPT_F("--all", all),
    OPT_F("--csv", csv),       OPT_F("-f", fg),
};

/* What each verb takes: positional arguments min..max and its options. */
static const struct verb {
    const char *name;
    int min, max;
    const char *opts; /* space-separated, with spaces at both ends */
    const char *usage;
} verbs[] = {
    {"server", 0, 0, " -f ", "server [-f]"},
    {"stop", 0, 0, " --reason ", "stop"},
    {"status", 0, 0, " --json ", "status [--json]"},
    {"set", 2, 2, " --reason ", "set LOOP.sp|LOOP.mode|LOOP.out VALUE --reason TEXT"},
    {"cmd", 1, 2, " --reason ", "cmd NAME [ARG] [--reason TEXT]"},
    {"ack", 0, 1, " --all ", "ack ALARM|--all"},
    {"shelve", 2, 2, " --reason ", "shelve ALARM MINUTES --reason TEXT"},
    {"journal", 0, 0, " --since --follow --verify ", "journal [--since T] [--follow] [--verify]"},
    {"export", 0, 0, " --from --to --tags --csv ", "export --from T --to T [--tags a,b] [--csv]"},
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

static int usage_err(const struct verb *v, const char *what, const char *arg)
{
    fprintf(stderr, "meltcon %s: %s%s\nusage: meltcon [-c FILE] %s\n", v->name, what, arg,
            v->usage);
    return 2;
}

static int parse_args(const struct verb *v, int argc, char **argv, struct cli_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const struct opt *o = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !o; k++)
            if (!strcmp(opts[k].name, s))
                o = &opts[k];
        if (o) {
            char key[24];
            snprintf(key, sizeof key, " %s ", s);
            if (!strstr(v->opts, key))
                return usage_err(v, "this verb takes no ", s);
            if (o->takes_value) {
                if (i + 1 >= argc)
                    return usage_err(v, "a value is missing after ", s);
                *(const char **)((char *)a + o->off_value) = argv[++i];
            } else {
                *(bool *)((char *)a + o->off_flag) = true;
            }
            continue;
        }
        if (s[0] == '-' && s[1] && !(s[1] >= '0' && s[1] <= '9') && s[1] != '.')
            return usage_err(v, "unknown option ", s);
        if (a->npos >= v->max)
            return usage_err(v, "one argument too many: ", s);
        a->pos[a->npos++] = s;
    }
    if (a->npos < v->min)
        return usage_err(v, "missing arguments", "");
    return 0;
}

/* ---- the verbs ------------------------------------------------------------------------------ */

/* Send one request and print the answer: 0 accepted, 1 refused or failed. */
static int request(struct cli_conn *c, const char *verb, const char *target,
                   const char *value, const char *reason, int wait_ms)
{
    char err[300];
    struct snap_reply *rep = malloc(sizeof *rep);
    long id = cli_conn_req(c, verb, target, value, reason);
    int rc = 1;
    if (!rep || id < 0) {
        fprintf(stderr, "meltcon %s: cannot send the request: %s\n", verb, strerror(errno));
    } else if (cli_conn_reply(c, id, wait_ms, NULL, rep, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon %s: %s\n", verb, err);
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
    if (request(c, "stop", "", "", a->reason, REPLY_WAIT_MS) != 0)
        return 1;
    int64_t end = cli_now_ms() + STOP_WAIT_MS;
    for (;;) {
        int t = cli_conn_recv(c, end);
        if (t == -1) {
            printf("server stopped\n");
            return 0;
        }
        if (t == -2) {
            fprintf(stderr, "meltcon stop: the server did not stop within %d s\n",
                    STOP_WAIT_MS / 1000);
            return 1;
        }
    }
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
    if (!strcmp(v->name, "server")) {
        int rc = server_run(cfg, a->fg, err, sizeof err);
        if (rc)
            fprintf(stderr, "meltcon server: %s\n", err);
        else if (!a->fg) /* in the foreground the server has said it all on stderr */
            printf("%s\n", err);
        return rc;
    }
    struct cli_conn *c = cli_conn_open(cfg, err, sizeof err);
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
    else if (!strcmp(v->name, "set"))
        rc = request(c, "set", a->pos[0], a->pos[1], a->reason, REPLY_WAIT_MS);
    else if (!strcmp(v->name, "cmd"))
        rc = request(c, "cmd", a->pos[0], a->npos > 1 ? a->pos[1] : "", a->reason, cmd_wait);
    else if (!strcmp(v->name, "ack"))
        rc = a->all == (a->npos == 1)
                 ? usage_err(v, "name one alarm, or --all", "")
                 : request(c, "ack", a->all ? "all" : a->pos[0], "", a->reason, REPLY_WAIT_MS);
    else if (!strcmp(v->name, "shelve"))
        rc = request(c, "shelve", a->pos[0], a->pos[1], a->reason, REPLY_WAIT_MS);
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
    struct cfg *cfg = malloc(sizeof *cfg);
    if (!cfg || load(cfgopt, cfg) < 0) {
        free(cfg);
        return 1;
    }
    rc = run_verb(v, cfg, &a);
    free(cfg);
    return rc;
}

int cli_attach(const char *cfgopt, int argc, char **argv)
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
    } else if (server_run(cfg, false, err, sizeof err) != 0 &&
               strncmp(err, "server already running", 22) != 0) {
        fprintf(stderr, "meltcon: %s\n", err);
        goto out;
    } else {
        fprintf(stderr, "meltcon: %s\n", err);
    }
    rc = console_main(argc, argv, cfg, path);
out:
    free(cfg);
    return rc;
}
