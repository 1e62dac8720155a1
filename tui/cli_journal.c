/* cli_journal — the verbs that stream records from the server: `journal`
 * (the tail, since a time, --verify, --follow) and `export` (historian rows
 * between two times).  The lines arrive tagged with the request's id and
 * are printed as they come (cli_conn_reply).
 */
#include "cli_int.h"

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

int cli_verb_export(struct cli_conn *c, const struct cli_args *a)
{
    char err[300], value[64];
    double from, to, now = (double)time(NULL);
    if (!a->from || !a->to) {
        fprintf(stderr, "meltcon export: --from and --to are required\n"
                        "usage: meltcon [-c FILE] export --from T --to T [--tags a,b] [--csv]\n");
        return 2;
    }
    if (cli_parse_time(a->from, now, &from, err, sizeof err) < 0 ||
        cli_parse_time(a->to, now, &to, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon export: %s\n", err);
        return 2;
    }
    if (a->tags && strlen(a->tags) >= sizeof(((struct snap_req *)0)->target)) {
        fprintf(stderr,
                "meltcon export: --tags: at most %zu characters in one request; export "
                "the tags in groups\n",
                sizeof(((struct snap_req *)0)->target) - 1);
        return 2;
    }
    snprintf(value, sizeof value, "%.3f %.3f", from, to);
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
