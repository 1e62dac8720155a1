/* cli_journal — the verbs that stream records from the server: `journal`
 * (the tail, since a time, --verify, --follow) and `export` (historian rows
 * between two times); and `journal --verify` from the files themselves
 * (with --heads, or when the server does not answer).  The lines arrive
 * tagged with the request's id and are printed as they come
 * (cli_conn_reply).  With no server answering (cli.c decides), export and
 * the journal's lines are read from the files too: historian.db read-only
 * and the journal's day files, as the server's job would.
 */
#include "cli_int.h"

#include "hist.h"
#include "journal.h"
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_verb_journal(struct cli_conn *c, const struct cli_args *a)
{
    char err[300], since[32];
    const char *target = "tail", *value = "50";
    if (a->verify) {
        target = "verify";
        value = "";
    } else if (a->since) {
        double t;
        if (cli_parse_time(a->since, (double)time(NULL), &t, err, sizeof err) < 0) {
            fprintf(stderr, "meltcon journal: --since %s\n", err);
            return 2;
        }
        snprintf(since, sizeof since, "%.3f", t);
        target = "since";
        value = since;
    }
    struct snap_reply *rep = malloc(sizeof *rep);
    long id = cli_conn_req(c, "journal", target, value, "", NULL);
    if (!rep || id < 0 || cli_conn_reply(c, id, JOB_WAIT_MS, stdout, rep, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon journal: %s\n", rep && id >= 0 ? err : strerror(errno));
        free(rep);
        return 1;
    }
    int rc = rep->ok ? 0 : 1;
    if (!rep->ok)
        fprintf(stderr, "meltcon journal: %s\n", rep->text);
    else if (a->verify)
        printf("%s\n", rep->text);
    free(rep);
    if (rc || !a->follow)
        return rc;
    fflush(stdout);
    for (;;) { /* the live journal, until the server goes or we are interrupted */
        int t = cli_conn_recv(c, cli_now_ms() + 3600 * 1000);
        if (t == -1)
            return 0;
        long long tag;
        if (t != PT_JOURNAL || proto_geti(&c->msg.line[0], "id", &tag) == 0)
            continue;
        for (int i = 1; i < c->msg.nlines; i++) {
            const char *l = proto_get(&c->msg.line[i], "l");
            if (l)
                printf("%s\n", l);
        }
        fflush(stdout);
    }
}

/* export's arguments: the window and the format; 0, or 2 after the sentence. */
static int export_args(const struct cli_args *a, double *from, double *to, unsigned *flags)
{
    char err[300];
    double now = (double)time(NULL);
    const char *usage =
        "usage: meltcon [-c FILE] export --from T --to T [--tags a,b] [--csv [--units] | --json]\n";
    if (!a->from || !a->to) {
        fprintf(stderr, "meltcon export: --from and --to are required\n%s", usage);
        return 2;
    }
    if (cli_parse_time(a->from, now, from, err, sizeof err) < 0 ||
        cli_parse_time(a->to, now, to, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon export: %s\n", err);
        return 2;
    }
    if (!(*from < *to)) {
        fprintf(stderr, "meltcon export: --from %s is not before --to %s\n", a->from, a->to);
        return 2;
    }
    if (a->json && (a->csv || a->units)) {
        fprintf(stderr, "meltcon export: --json writes JSON lines; --%s is for CSV\n%s",
                a->csv ? "csv" : "units", usage);
        return 2;
    }
    *flags = (a->json ? HIST_X_JSON : 0) | (a->units ? HIST_X_UNITS : 0);
    return 0;
}

int cli_verb_export(struct cli_conn *c, const struct cli_args *a)
{
    char err[300], value[80];
    double from, to;
    unsigned flags;
    int bad = export_args(a, &from, &to, &flags);
    if (bad)
        return bad;
    if (a->tags && strlen(a->tags) >= sizeof(((struct snap_req *)0)->target)) {
        fprintf(stderr,
                "meltcon export: --tags: at most %zu characters in one request; export "
                "the tags in groups\n",
                sizeof(((struct snap_req *)0)->target) - 1);
        return 2;
    }
    snprintf(value, sizeof value, "%.3f %.3f%s%s", from, to, flags & HIST_X_JSON ? " json" : "",
             flags & HIST_X_UNITS ? " units" : "");
    struct snap_reply *rep = malloc(sizeof *rep);
    long id = cli_conn_req(c, "export", a->tags ? a->tags : "", value, "", NULL);
    if (!rep || id < 0 || cli_conn_reply(c, id, JOB_WAIT_MS, stdout, rep, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon export: %s\n", rep && id >= 0 ? err : strerror(errno));
        free(rep);
        return 1;
    }
    int rc = rep->ok ? 0 : 1;
    fprintf(stderr, "meltcon export: %s\n", rep->text);
    free(rep);
    return rc;
}

/* ---- with no server: the files ---------------------------------------------------------- */

int cli_export_local(const struct cfg *cfg, const struct cli_args *a)
{
    char dir[CFG_PATH_MAX + 64], err[300];
    double from, to;
    unsigned flags;
    int bad = export_args(a, &from, &to, &flags);
    if (bad)
        return bad;
    if (hist_dir_of(cfg, dir, sizeof dir, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon export: %s\n", err);
        return 1;
    }
    char *names = strdup(a->tags ? a->tags : "");
    const char *tags[CFG_MAX_TAGS];
    int ntags = 0;
    char *save = NULL;
    for (char *t = names ? strtok_r(names, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        if (cfg_tag_index(cfg, t) < 0) {
            fprintf(stderr, "meltcon export: no tag \"%s\" in %s\n", t, cfg->path);
            free(names);
            return 2;
        }
        if (ntags == CFG_MAX_TAGS) {
            fprintf(stderr, "meltcon export: --tags: at most %d tags\n", CFG_MAX_TAGS);
            free(names);
            return 2;
        }
        tags[ntags++] = t;
    }
    long n = hist_export(dir, from, to, tags, ntags, flags, stdout);
    int e = errno;
    free(names);
    if (n < 0) {
        fprintf(stderr, "meltcon export: cannot read the historian in %s: %s\n", dir, strerror(e));
        return 1;
    }
    fprintf(stderr, "meltcon export: %ld rows (no server running: read from %s/%s)\n", n, dir,
            HIST_DB);
    return 0;
}

static int print_entry(const struct journal_entry *e, const char *line, void *ctx)
{
    char text[JOURNAL_LINE_MAX];
    (void)line;
    (void)ctx;
    if (journal_format(e, text, sizeof text) < 0)
        return 0;
    return printf("%s\n", text) < 0;
}

/* The tail or the lines since a time (--verify: cli_journal_verify_files). */
int cli_journal_local(const struct cfg *cfg, const struct cli_args *a)
{
    char dir[CFG_PATH_MAX + 64], err[300];
    if (a->follow) {
        fprintf(stderr, "meltcon journal: --follow needs the server, and no server is running "
                        "for furnace %s\n",
                cfg->furnace.name);
        return 1;
    }
    if (session_state_dir(cfg, dir, sizeof dir - 8, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon journal: %s\n", err);
        return 1;
    }
    strcat(dir, "/journal");
    long n;
    if (a->since) {
        double t;
        if (cli_parse_time(a->since, (double)time(NULL), &t, err, sizeof err) < 0) {
            fprintf(stderr, "meltcon journal: --since %s\n", err);
            return 2;
        }
        n = journal_read(dir, t, 0, print_entry, NULL);
    } else {
        struct journal_entry *e = malloc(sizeof *e * 50);
        n = e ? journal_tail(dir, e, 50) : -1;
        for (long i = 0; i < n; i++)
            print_entry(&e[i], NULL, NULL);
        free(e);
    }
    if (n < 0) {
        fprintf(stderr, "meltcon journal: cannot read the journal in %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    return 0;
}

/* `journal --verify` from the files in the state directory, the server
 * running or not: with the key when this account can read it (the server's
 * account, root), else the chain's order and form only, said so; with
 * --heads, against the heads the server published in the system journal. */
int cli_journal_verify_files(const struct cfg *cfg, const struct cli_args *a)
{
    char state[CFG_PATH_MAX + 64], err[600], dir[CFG_PATH_MAX + 80], key[CFG_PATH_MAX + 80];
    if (session_state_dir(cfg, state, sizeof state, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon journal: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/journal", state);
    snprintf(key, sizeof key, "%s/%s", state, JOURNAL_KEY_FILE);
    struct journal_verify_opts o = {0};
    unsigned char k[JOURNAL_KEY_LEN];
    char kwhy[400] = "";
    o.key_state = journal_key_load(key, k, kwhy, sizeof kwhy);
    o.key = o.key_state == 1 ? k : NULL;
    o.key_why = kwhy;
    struct journal_head *heads = NULL;
    if (a->heads) {
        bool in = !strcmp(a->heads, "-");
        FILE *f = in ? stdin : fopen(a->heads, "r");
        if (!f) {
            fprintf(stderr, "meltcon journal: --heads %s: %s\n", a->heads, strerror(errno));
            return 2;
        }
        int n = journal_heads_read(f, in ? "stdin" : a->heads, cfg->furnace.name, &heads, err,
                                   sizeof err);
        if (!in)
            fclose(f);
        if (n < 0) {
            fprintf(stderr, "meltcon journal: --heads: %s\n", err);
            return 2;
        }
        if (n == 0) {
            fprintf(stderr, "meltcon journal: --heads %s holds no head of furnace %s: nothing "
                            "to check the end of the journal against\n",
                    a->heads, cfg->furnace.name);
            return 2;
        }
        o.heads = heads;
        o.nheads = n;
    }
    struct journal_check chk;
    int rc = journal_verify_with(dir, &o, &chk);
    memset(k, 0, sizeof k);
    free(heads);
    if (rc < 0) {
        fprintf(stderr, "meltcon journal: cannot read the journal in %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    printf("%s\n", chk.text);
    if (chk.note[0])
        printf("note: %s\n", chk.note);
    return rc == 0 ? 0 : 1;
}
