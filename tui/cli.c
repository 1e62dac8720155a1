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
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "cfg.h"
#include "clock.h"
#include "console.h"
#include "proto.h"
#include "server.h"
#include "session.h"
#include "snap.h"
#include "tag.h"

#define CONNECT_WAIT_MS 3000
#define REPLY_WAIT_MS 5000
#define STOP_WAIT_MS 10000
#define JOB_WAIT_MS 600000 /* a long export: the server streams as we read */

/* ---- time arguments ------------------------------------------------------------ */

static const struct {
    char unit;
    double seconds;
} time_units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM] */
static int parse_iso(const char *s, double *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, zh = 0, zm = 0;
    double frac = 0;
    bool utc = false;
    int zsign = 0;
    if (parse_digits(&p, 4, &y) < 0 || *p++ != '-' || parse_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &d) < 0)
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &mi) < 0)
            return -1;
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &se) < 0)
                return -1;
            if (*p == '.') {
                char *end;
                frac = strtod(p, &end);
                if (end == p + 1)
                    return -1;
                p = end;
            }
        }
    }
    if (*p == 'Z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        zsign = *p++ == '+' ? 1 : -1;
        if (parse_digits(&p, 2, &zh) < 0)
            return -1;
        if (*p == ':')
            p++;
        if (parse_digits(&p, 2, &zm) < 0 || zh > 23 || zm > 59)
            return -1;
        utc = true;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se,
                    .tm_isdst = -1};
    time_t t = utc ? timegm(&tm) : mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1) /* 2026-02-30 */
        return -1;
    *out = (double)t + frac - zsign * (zh * 3600.0 + zm * 60.0);
    return 0;
}

int cli_parse_time(const char *s, double now, double *out, char *err, size_t errlen)
{
    char *end;
    if (!s || !*s)
        goto bad;
    if (!strcmp(s, "now")) {
        *out = now;
        return 0;
    }
    if (s[0] == '@') {
        errno = 0;
        double v = strtod(s + 1, &end);
        if (end == s + 1 || *end || errno || !isfinite(v) || v < 0)
            goto bad;
        *out = v;
        return 0;
    }
    if ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9') {
        errno = 0;
        double v = strtod(s + 1, &end);
        for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
            if (end[0] == time_units[i].unit && !end[1] && !errno && isfinite(v)) {
                *out = now + (s[0] == '-' ? -v : v) * time_units[i].seconds;
                return 0;
            }
        goto bad;
    }
    if (parse_iso(s, out) == 0)
        return 0;
bad:
    snprintf(err, errlen,
             "\"%s\": expected a time like 2026-11-29T10:00 (local), 2026-11-29T10:00Z (UTC), "
             "-1h, -10m, -30s, -2d, now or @UNIX_SECONDS",
             s ? s : "");
    return -1;
}

/* ---- JSON ------------------------------------------------------------------------ */

int cli_json_str(char *dst, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    if (n < 3)
        goto small;
    dst[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc = 0;
        switch (*p) {
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        case '\b':
            esc = 'b';
            break;
        case '\f':
            esc = 'f';
            break;
        default:
            break;
        }
        if (esc || *p < 0x20 || *p == 0x7f) {
            size_t need = esc ? 2 : 6;
            if (k + need + 2 > n)
                goto small;
            dst[k++] = '\\';
            if (esc) {
                dst[k++] = esc;
            } else {
                memcpy(dst + k, "u00", 3);
                dst[k + 3] = hex[*p >> 4];
                dst[k + 4] = hex[*p & 15];
                k += 5;
            }
        } else {
            if (k + 3 > n)
                goto small;
            dst[k++] = (char)*p;
        }
    }
    dst[k++] = '"';
    dst[k] = 0;
    return (int)k;
small:
    if (n)
        dst[0] = 0;
    return -1;
}

static void json_s(FILE *f, const char *s)
{
    char buf[4096];
    if (cli_json_str(buf, sizeof buf, s ? s : "") < 0)
        fputs("\"\"", f);
    else
        fputs(buf, f);
}

static void json_n(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

/* ---- the connection ------------------------------------------------------------------ */

struct conn {
    int fd;
    long next_id;
    struct snap_hello hello;
    char bye[200];
    char path[108];
    struct proto_msg msg;
    struct proto_out out;
    char buf[PROTO_MAX_MSG + 1];
};

/* Monotonic milliseconds: clock_mono_ns() cut to whole ms, as the waits count them. */
static int64_t now_ms(void)
{
    return clock_mono_ns() / 1000000;
}

/* Next message into c->msg: its type, -1 when the connection ended
 * (c->bye may say why), -2 on timeout. */
static int conn_recv(struct conn *c, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - now_ms();
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (left <= 0)
            return -2;
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, MSG_TRUNC);
        if (n <= 0)
            return -1;
        char why[160];
        if ((size_t)n > PROTO_MAX_MSG ||
            proto_parse(c->buf, (size_t)n, &c->msg, why, sizeof why) < 0)
            continue; /* not for us to judge: skip it */
        if (c->msg.type == PT_BYE) {
            const char *r2 = proto_get(&c->msg.line[0], "reason");
            snprintf(c->bye, sizeof c->bye, "%s", r2 ? r2 : "");
            return -1;
        }
        return (int)c->msg.type;
    }
}

static long conn_req(struct conn *c, const char *verb, const char *target, const char *value,
                     const char *reason)
{
    struct snap_req r;
    memset(&r, 0, sizeof r);
    r.id = ++c->next_id;
    snprintf(r.verb, sizeof r.verb, "%s", verb);
    snprintf(r.target, sizeof r.target, "%s", target ? target : "");
    snprintf(r.value, sizeof r.value, "%s", value ? value : "");
    snprintf(r.reason, sizeof r.reason, "%s", reason ? reason : "");
    snap_req_encode(&r, &c->out);
    if (c->out.overflow || send(c->fd, c->out.buf, c->out.len, MSG_NOSIGNAL) < 0)
        return -1;
    return r.id;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* Connect, announce the origin, wait for the hello.  NULL with a sentence. */
static struct conn *conn_open(const struct cfg *cfg, char *err, size_t errlen)
{
    struct conn *c = calloc(1, sizeof *c);
    char e[200];
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    if (session_socket_path(cfg, c->path, sizeof c->path, err, errlen) < 0)
        goto fail;
    c->fd = session_connect(c->path, e, sizeof e);
    if (c->fd < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            snprintf(err, errlen,
                     "no server running for furnace %s (%s); start it with "
                     "`meltcon server`",
                     cfg->furnace.name, e);
        else
            snprintf(err, errlen, "cannot reach the server of furnace %s: %s", cfg->furnace.name,
                     e);
        goto fail;
    }
    char origin[SESSION_ORIGIN_MAX];
    session_origin(origin, sizeof origin);
    if (conn_req(c, "origin", "", origin, "") < 0) {
        snprintf(err, errlen, "%s: cannot send: %s", c->path, strerror(errno));
        goto fail;
    }
    int64_t end = now_ms() + CONNECT_WAIT_MS;
    for (;;) {
        int t = conn_recv(c, end);
        if (t == PT_HELLO && snap_hello_decode(&c->msg, &c->hello) == 0)
            return c;
        if (t == -1) {
            snprintf(err, errlen, "the server closed the connection%s%s", *c->bye ? ": " : "",
                     c->bye);
            goto fail;
        }
        if (t == -2) {
            snprintf(err, errlen, "the server at %s did not say hello within %d s", c->path,
                     CONNECT_WAIT_MS / 1000);
            goto fail;
        }
    }
fail:
    conn_close(c);
    return NULL;
}

/* Wait for the reply to id; on the way, print the lines of journal messages
 * tagged id to out.  Returns 0 with *rep filled, or -1 with a sentence. */
static int conn_reply(struct conn *c, long id, int wait_ms, FILE *out, struct snap_reply *rep,
                      char *err, size_t errlen)
{
    int64_t end = now_ms() + wait_ms;
    for (;;) {
        int t = conn_recv(c, end);
        if (t == -1) {
            snprintf(err, errlen, "the server closed the connection%s%s", *c->bye ? ": " : "",
                     c->bye);
            return -1;
        }
        if (t == -2) {
            snprintf(err, errlen, "no answer from the server within %d s", wait_ms / 1000);
            return -1;
        }
        long long tag;
        if (t == PT_JOURNAL && out && proto_geti(&c->msg.line[0], "id", &tag) == 0 && tag == id)
            for (int i = 1; i < c->msg.nlines; i++) {
                const char *l = proto_get(&c->msg.line[i], "l");
                if (l)
                    fprintf(out, "%s\n", l);
            }
        if (t == PT_REPLY && snap_reply_decode(&c->msg, rep) == 0 && rep->id == id)
            return 0;
    }
}

/* ---- arguments ------------------------------------------------------------------------ */

struct args {
    int npos;
    const char *pos[4];
    const char *reason, *since, *from, *to, *tags;
    bool json, follow, verify, all, csv, fg;
};

struct opt {
    const char *name;
    bool takes_value;
    size_t off_value; /* const char * in struct args */
    size_t off_flag;  /* bool in struct args */
};

#define OPT_V(n, f)                                                                                \
    {                                                                                              \
        n, true, offsetof(struct args, f), 0                                                       \
    }
#define OPT_F(n, f)                                                                                \
    {                                                                                              \
        n, false, 0, offsetof(struct args, f)                                                      \
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

static int parse_args(const struct verb *v, int argc, char **argv, struct args *a)
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
static int request(struct conn *c, const char *verb, const char *target, const char *value,
                   const char *reason, int wait_ms)
{
    char err[300];
    struct snap_reply *rep = malloc(sizeof *rep);
    long id = conn_req(c, verb, target, value, reason);
    int rc = 1;
    if (!rep || id < 0) {
        fprintf(stderr, "meltcon %s: cannot send the request: %s\n", verb, strerror(errno));
    } else if (conn_reply(c, id, wait_ms, NULL, rep, err, sizeof err) < 0) {
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

static const char *link_name(int l)
{
    return l == LINK_UP ? "UP" : l == LINK_CONNECTING ? "CONNECTING" : "DOWN";
}

static const char *q_name(int q)
{
    return tag_quality_name((enum tag_quality)q);
}

static const struct {
    unsigned bit;
    const char *name;
} loop_flags[] = {
    {LF_SAT_HI, "sat_hi"}, {LF_SAT_LO, "sat_lo"},     {LF_RATE, "rate"},
    {LF_BAD_PV, "bad_pv"}, {LF_OVERRIDE, "override"}, {LF_TRACK, "track"},
};

static void status_json(const struct cfg *cfg, const struct snap_hello *h, const struct snap *s)
{
    FILE *f = stdout;
    fputs("{\"furnace\":", f);
    json_s(f, h->furnace);
    fprintf(f, ",\"server_pid\":%ld,\"user\":", h->server_pid);
    json_s(f, h->user);
    fputs(",\"role\":", f);
    json_s(f, h->role);
    fprintf(f, ",\"plc_mode\":%d,\"seq\":%u,\"t\":", h->plc_mode, (unsigned)s->seq);
    json_n(f, s->t);
    fputs(",\"wall\":", f);
    json_n(f, s->wall);
    fprintf(f,
            ",\n\"link\":{\"state\":\"%s\",\"reconnects\":%u,\"transactions\":%u,"
            "\"errors\":%u,\"rtt_ms\":",
            link_name(s->link), (unsigned)s->reconnects, (unsigned)s->transactions,
            (unsigned)s->errors);
    json_n(f, s->rtt_ms);
    fputs(",\"last_good_age_s\":", f);
    json_n(f, s->last_good_age_s);
    fputs(",\"last_error\":", f);
    json_s(f, s->link_err);
    fprintf(f, "},\n\"cycle\":{\"period_ms\":%d,\"cycles\":%llu,\"slow\":%llu,\"late_p50_ms\":",
            s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles);
    json_n(f, s->late_p50_ms);
    fputs(",\"late_p99_ms\":", f);
    json_n(f, s->late_p99_ms);
    fputs(",\"late_max_ms\":", f);
    json_n(f, s->late_max_ms);
    fputs("},\n\"program\":", f);
    json_s(f, s->program);
    fprintf(f, ",\"phase\":{\"name\":\"%s\",\"t_s\":", cfg_phase_name((enum cfg_phase)s->phase));
    json_n(f, s->t_phase);
    fprintf(f, ",\"ready\":%s,\"overrun\":%s,\"why\":", s->ready ? "true" : "false",
            s->overrun ? "true" : "false");
    json_s(f, s->phase_why);
    fputs("},\n\"loops\":[", f);
    for (int i = 0; i < s->nloops; i++) {
        const struct snap_loop *l = &s->loops[i];
        fprintf(f, "%s\n {\"name\":", i ? "," : "");
        json_s(f, l->name);
        fprintf(f, ",\"mode\":\"%s\",\"sp\":", cfg_loop_mode_name((enum cfg_loop_mode)l->mode));
        json_n(f, l->sp);
        fputs(",\"wsp\":", f);
        json_n(f, l->wsp);
        fputs(",\"pv\":", f);
        json_n(f, l->pv);
        fprintf(f, ",\"pv_quality\":\"%s\",\"out\":", q_name(l->pv_q));
        json_n(f, l->out);
        fputs(",\"flags\":[", f);
        int k = 0;
        for (size_t b = 0; b < sizeof loop_flags / sizeof loop_flags[0]; b++)
            if (l->flags & loop_flags[b].bit)
                fprintf(f, "%s\"%s\"", k++ ? "," : "", loop_flags[b].name);
        fputs("]}", f);
    }
    fputs("],\n\"tags\":{", f);
    for (int i = 0; i < s->ntags; i++) {
        const struct snap_tag *t = &s->tags[i];
        const struct cfg_tag *ct = cfg_tag_find(cfg, t->name);
        fprintf(f, "%s\n ", i ? "," : "");
        json_s(f, t->name);
        fputs(":{\"v\":", f);
        json_n(f, t->v);
        fprintf(f, ",\"q\":\"%s\",\"unit\":", q_name(t->q));
        json_s(f, ct ? ct->unit : "");
        fputs(",\"age_s\":", f);
        json_n(f, t->age_s);
        fputs("}", f);
    }
    fputs("},\n\"alarms\":[", f);
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        fprintf(f, "%s\n {\"name\":", i ? "," : "");
        json_s(f, a->name);
        fprintf(f, ",\"state\":\"%s\",\"priority\":\"%s\",\"t\":",
                alarm_state_name((enum alarm_state)a->state),
                cfg_priority_name((enum cfg_priority)a->prio));
        json_n(f, a->t);
        fputs(",\"shelved_until\":", f);
        json_n(f, a->shelved_until);
        fputs("}", f);
    }
    fprintf(f,
            "],\n\"alarm_counts\":{\"active\":%d,\"unacked\":%d,\"shelved\":%d,"
            "\"flood\":%s,\"per_10min\":",
            s->n_active, s->n_unacked, s->n_shelved, s->flood ? "true" : "false");
    json_n(f, s->alarms_per_10min);
    fputs("},\n\"permissives\":{", f);
    for (int i = 0; i < s->nperms; i++) {
        fprintf(f, "%s\n ", i ? "," : "");
        json_s(f, s->perms[i].cmd);
        fprintf(f, ":{\"ready\":%s,\"why\":", s->perms[i].ready ? "true" : "false");
        json_s(f, s->perms[i].why);
        fputs("}", f);
    }
    fputs("}}\n", f);
}

static void status_text(const struct cfg *cfg, const struct snap_hello *h, const struct snap *s)
{
    printf("furnace %s: server pid %ld; you are %s (%s)%s\n", h->furnace, h->server_pid, h->user,
           h->role, h->plc_mode == 1 ? "; PLC: simulated hardware" : "");
    printf("link    %s %s:%d, rtt %.1f ms, %u reconnects, %u transactions, %u errors%s%s\n",
           link_name(s->link), cfg->plc.host, cfg->plc.port, s->rtt_ms, (unsigned)s->reconnects,
           (unsigned)s->transactions, (unsigned)s->errors, *s->link_err ? "; last error: " : "",
           s->link_err);
    printf("cycle   %d ms, %llu cycles, %llu slow; lateness p50 %.2f ms, p99 %.2f ms, max %.2f "
           "ms\n",
           s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles,
           s->late_p50_ms, s->late_p99_ms, s->late_max_ms);
    printf("phase   %s for %.0f s, program %s%s%s\n", cfg_phase_name((enum cfg_phase)s->phase),
           s->t_phase, s->program, *s->phase_why ? ": " : "", s->phase_why);
    printf("alarms  %d active, %d unacknowledged, %d shelved%s\n", s->n_active, s->n_unacked,
           s->n_shelved, s->flood ? ", FLOOD" : "");
    printf("\n%-10s %-5s %9s %9s %9s %-6s %7s\n", "loop", "mode", "sp", "wsp", "pv", "pv q", "out");
    for (int i = 0; i < s->nloops; i++) {
        const struct snap_loop *l = &s->loops[i];
        printf("%-10s %-5s %9.1f %9.1f %9.1f %-6s %7.1f\n", l->name,
               cfg_loop_mode_name((enum cfg_loop_mode)l->mode), l->sp, l->wsp, l->pv,
               q_name(l->pv_q), l->out);
    }
    printf("\n%-20s %12s %-7s %-6s %s\n", "tag", "value", "unit", "q", "age s");
    for (int i = 0; i < s->ntags; i++) {
        const struct snap_tag *t = &s->tags[i];
        const struct cfg_tag *ct = cfg_tag_find(cfg, t->name);
        printf("%-20s %12.*f %-7s %-6s %.1f\n", t->name, ct && ct->scale < 1 ? 2 : 1, t->v,
               ct ? ct->unit : "", q_name(t->q), t->age_s);
    }
    if (s->nalarms) {
        printf("\n%-20s %-10s %-9s %s\n", "alarm", "state", "priority", "since (process s)");
        for (int i = 0; i < s->nalarms; i++)
            printf("%-20s %-10s %-9s %.0f\n", s->alarms[i].name,
                   alarm_state_name((enum alarm_state)s->alarms[i].state),
                   cfg_priority_name((enum cfg_priority)s->alarms[i].prio), s->alarms[i].t);
    }
}

static int verb_status(struct conn *c, const struct cfg *cfg, const struct args *a)
{
    struct snap *s = malloc(sizeof *s);
    int64_t end = now_ms() + REPLY_WAIT_MS;
    int rc = 1;
    while (s) {
        int t = conn_recv(c, end);
        if (t < 0) {
            fprintf(stderr, "meltcon status: %s\n",
                    t == -2 ? "no snapshot from the server in 5 s"
                            : "the server closed the "
                              "connection");
            break;
        }
        if (t == PT_SNAP && snap_decode(&c->msg, s) == 0) {
            if (a->json)
                status_json(cfg, &c->hello, s);
            else
                status_text(cfg, &c->hello, s);
            rc = 0;
            break;
        }
    }
    free(s);
    return rc;
}

static int verb_journal(struct conn *c, const struct args *a)
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
    long id = conn_req(c, "journal", target, value, "");
    if (!rep || id < 0 || conn_reply(c, id, JOB_WAIT_MS, stdout, rep, err, sizeof err) < 0) {
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
        int t = conn_recv(c, now_ms() + 3600 * 1000);
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

static int verb_export(struct conn *c, const struct args *a)
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
    long id = conn_req(c, "export", a->tags ? a->tags : "", value, "");
    if (!rep || id < 0 || conn_reply(c, id, JOB_WAIT_MS, stdout, rep, err, sizeof err) < 0) {
        fprintf(stderr, "meltcon export: %s\n", rep && id >= 0 ? err : strerror(errno));
        free(rep);
        return 1;
    }
    int rc = rep->ok ? 0 : 1;
    fprintf(stderr, "meltcon export: %s\n", rep->text);
    free(rep);
    return rc;
}

static int verb_stop(struct conn *c, const struct args *a)
{
    if (request(c, "stop", "", "", a->reason, REPLY_WAIT_MS) != 0)
        return 1;
    int64_t end = now_ms() + STOP_WAIT_MS;
    for (;;) {
        int t = conn_recv(c, end);
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

static int run_verb(const struct verb *v, const struct cfg *cfg, const struct args *a)
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
    struct conn *c = conn_open(cfg, err, sizeof err);
    if (!c) {
        fprintf(stderr, "meltcon %s: %s\n", v->name, err);
        return 1;
    }
    int rc;
    int cmd_wait = REPLY_WAIT_MS + cfg->plc.cmd_timeout_ms;
    if (!strcmp(v->name, "status"))
        rc = verb_status(c, cfg, a);
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
        rc = verb_journal(c, a);
    else if (!strcmp(v->name, "export"))
        rc = verb_export(c, a);
    else
        rc = verb_stop(c, a);
    conn_close(c);
    return rc;
}

int cli_main(const char *cfgopt, int argc, char **argv)
{
    const struct verb *v = verb_find(argv[0]);
    struct args a;
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
