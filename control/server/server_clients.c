/* server_clients — the server's side of its clients (see server_int.h):
 * the hello and journal tail on connect, replies, the journal broadcast,
 * dropping a client, and the requests a client sends.
 *
 * Requests are taken as they come: core requests go to core_request and
 * their results are journalled and answered once the line is on disk
 * (server_record.c); `journal` and
 * `export` start a job (server_jobs.c); `stop` and `origin` are the
 * server's own.  Nothing here waits for a client (session.c sends with
 * MSG_DONTWAIT).
 *
 * Expiry: a request (all but `origin`) read more than [server]
 * request_max_age_ms after the client made it, or dated more than
 * REQ_SKEW_S ahead of the server's clock, or undated, is refused with a
 * sentence and never carried out: a server held up (a slow PLC, a stopped
 * process) does not act later on what an operator asked for, and maybe
 * gave up on, long ago.  Both clocks are this host's (a Unix socket).
 *
 * Refusals (requests, connections, malformed messages) are journalled
 * within each account's quota and summarised beyond it (quota.h).
 */
#include "server_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "clock.h"
#include "util.h"

#define REQ_SKEW_S 0.5 /* a request dated this far ahead of the server's clock is still taken */

/* A session's and a request's fields go whole into journal entries and core
 * requests. */
#define FITS(to, from) (sizeof(to) >= sizeof(from))
_Static_assert(FITS(((struct journal_entry *)0)->user, ((struct session *)0)->user), "user");
_Static_assert(FITS(((struct journal_entry *)0)->origin, ((struct session *)0)->origin), "origin");
_Static_assert(FITS(((struct journal_entry *)0)->reason, ((struct snap_req *)0)->reason), "reason");
_Static_assert(FITS(((struct core_req *)0)->user, ((struct session *)0)->user), "user");
_Static_assert(FITS(((struct core_req *)0)->origin, ((struct session *)0)->origin), "origin");
_Static_assert(FITS(((struct core_req *)0)->verb, ((struct snap_req *)0)->verb), "verb");
_Static_assert(FITS(((struct core_req *)0)->target, ((struct snap_req *)0)->target), "target");
_Static_assert(FITS(((struct core_req *)0)->value, ((struct snap_req *)0)->value), "value");
_Static_assert(FITS(((struct core_req *)0)->reason, ((struct snap_req *)0)->reason), "reason");
_Static_assert(FITS(((struct core_req *)0)->expect, ((struct snap_req *)0)->expect), "expect");
_Static_assert(FITS(((struct core_req *)0)->scrap, ((struct snap_req *)0)->scrap), "scrap");
_Static_assert(FITS(((struct snap_hello *)0)->user, ((struct session *)0)->user), "hello user");
_Static_assert(FITS(((struct snap_hello *)0)->furnace, ((struct cfg_furnace *)0)->name), "furnace");
_Static_assert(FITS(((struct snap_hello *)0)->config, ((struct cfg *)0)->path), "config path");
_Static_assert(FITS(((struct snap_hello *)0)->config_sha256, ((struct cfg *)0)->sha256), "digest");

/* ---- sessions ------------------------------------------------------------------------ */

bool server_refusal_counts(struct server *sv, const char *user, double mono)
{
    return quota_take(&sv->quota, user, mono, sv->cfg->server.refusals_per_10s);
}

void server_refusals_flush(struct server *sv, double mono, bool all)
{
    char user[CFG_NAME_MAX];
    unsigned long n;
    double span;
    while (quota_due(&sv->quota, mono, all, user, &n, &span)) {
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        (void)str_copy(e.user, sizeof e.user, user);
        (void)str_copy(e.origin, sizeof e.origin, "server");
        (void)str_copy(e.kind, sizeof e.kind, "refusals");
        snprintf(e.result, sizeof e.result,
                 "%lu more refusal%s from %s in %.0f s, counted, not journalled one by one "
                 "(at most %d in %.0f s: [server] refusals_per_10s)",
                 n, n == 1 ? "" : "s", user, span < 1 ? 1 : span,
                 sv->cfg->server.refusals_per_10s, QUOTA_WINDOW_S);
        (void)server_journal_put(sv, &e);
    }
}

/* A client's action refused by the server itself (not by the core's gate);
 * the line's sequence for server_reply_after. */
static long long refusal(struct server *sv, const struct session *s, const char *kind,
                         const char *what, const char *reason, const char *text)
{
    if (!server_refusal_counts(sv, s->user, clock_mono_s()))
        return -1; /* over the quota: counted, summarised later; answered at once */
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    (void)str_copy(e.user, sizeof e.user, s->user);
    (void)str_copy(e.origin, sizeof e.origin, s->origin);
    (void)str_copy(e.kind, sizeof e.kind, kind);
    (void)str_copy(e.what, sizeof e.what, what);
    /* printable, never raw: the reason may be what was refused (input.h) */
    (void)input_escape(e.reason, sizeof e.reason, reason);
    snprintf(e.result, sizeof e.result, "refused: %s", text);
    return server_journal_put(sv, &e);
}

void server_drop(struct server *sv, int slot, const char *why, bool journal)
{
    struct session *s = &sv->ss.s[slot];
    if (journal) {
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        (void)str_copy(e.user, sizeof e.user, s->user);
        (void)str_copy(e.origin, sizeof e.origin, s->origin);
        (void)str_copy(e.kind, sizeof e.kind, "session");
        (void)str_copy(e.what, sizeof e.what, "client");
        snprintf(e.result, sizeof e.result, "closed: %s", why ? why : "-");
        server_journal_put(sv, &e);
        sv->ss.dropped++;
    }
    server_jobs_kill(sv, s->id);
    session_close(&sv->ss, slot, why);
}

void server_reply(struct server *sv, int slot, long id, bool ok, const char *text, double now)
{
    struct snap_reply r = {.id = id, .ok = ok};
    (void)str_copy(r.text, sizeof r.text, text);
    snap_reply_encode(&r, &sv->out);
    if (sv->out.overflow || session_send(&sv->ss.s[slot], sv->out.buf, sv->out.len, true, now) < 0)
        server_drop(sv, slot, "it does not read its replies", true);
}

void server_broadcast_flush(struct server *sv, double now)
{
    if (sv->bc.nlines > 0) {
        for (int i = 0; i < sv->ss.max; i++) {
            struct session *s = &sv->ss.s[i];
            if (s->fd >= 0 && !s->quiet &&
                session_send(s, sv->bc.buf, sv->bc.len, false, now) < 0)
                server_drop(sv, i, "connection lost", false);
        }
        server_jmsg_begin(&sv->bc, 0);
    }
    server_jobs_settle(sv, now); /* nothing pending: journal readers may end */
}

static void send_hello(struct server *sv, int slot, double now)
{
    struct session *s = &sv->ss.s[slot];
    struct snap_hello h;
    memset(&h, 0, sizeof h);
    (void)str_copy(h.furnace, sizeof h.furnace, sv->cfg->furnace.name);
    (void)str_copy(h.user, sizeof h.user, s->user);
    (void)str_copy(h.role, sizeof h.role, core_role_name(s->role));
    h.server_pid = (long)getpid();
    if (sv->t_plc_mode >= 0 &&
        (sv->tags[sv->t_plc_mode].q == Q_GOOD || sv->tags[sv->t_plc_mode].q == Q_STALE))
        h.plc_mode = (int)sv->tags[sv->t_plc_mode].v;
    (void)str_copy(h.config, sizeof h.config, sv->cfg->path);
    (void)str_copy(h.config_sha256, sizeof h.config_sha256, sv->cfg->sha256);
    snap_hello_encode(&h, &sv->out);
    if (session_send(s, sv->out.buf, sv->out.len, true, now) < 0) {
        server_drop(sv, slot, "connection lost", false);
        return;
    }
    struct jmsg *m = malloc(sizeof *m);
    if (!m)
        return;
    server_jmsg_begin(m, 0);
    int first = (sv->tail_head + TAIL_LINES - sv->tail_n) % TAIL_LINES;
    for (int i = 0; i < sv->tail_n; i++)
        if (server_jmsg_add(m, sv->tail[(first + i) % TAIL_LINES]) < 0)
            break;
    if (session_send(s, m->buf, m->len, false, now) < 0)
        server_drop(sv, slot, "connection lost", false);
    free(m);
}

void server_accept_clients(struct server *sv, double now)
{
    for (int k = 0; k < 8; k++) {
        char why[300], who[CFG_NAME_MAX];
        int slot = session_accept(&sv->ss, &sv->cfg->server, now, why, sizeof why, who);
        if (slot >= 0) {
            send_hello(sv, slot, now);
            continue;
        }
        if (!*why)
            return;
        if (!server_refusal_counts(sv, who, now))
            continue;
        struct journal_entry e; /* under the refused peer's name, for the plant's log */
        memset(&e, 0, sizeof e);
        (void)str_copy(e.user, sizeof e.user, who);
        (void)str_copy(e.origin, sizeof e.origin, "socket");
        (void)str_copy(e.kind, sizeof e.kind, "session");
        (void)str_copy(e.what, sizeof e.what, "connect");
        snprintf(e.result, sizeof e.result, "refused: %s", why);
        server_journal_put(sv, &e);
    }
}

/* ---- requests ---------------------------------------------------------------------------- */

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno || !isfinite(d))
        return -1;
    while (*end == ' ')
        end++;
    if (*end)
        return -1;
    *v = d;
    return 0;
}

/* journal target=tail value=N | target=since value=UNIX_TIME | target=verify */
static int journal_spec(const struct snap_req *r, struct job_spec *sp, char *why, size_t n)
{
    memset(sp, 0, sizeof *sp);
    double v = 0;
    if (!strcmp(r->target, "verify")) {
        sp->kind = JOB_VERIFY;
        return 0;
    }
    if (!strcmp(r->target, "tail") || !*r->target) {
        sp->kind = JOB_TAIL;
        sp->n = 50;
        if (*r->value && (parse_num(r->value, &v) < 0 || v < 1 || v > 10000)) {
            snprintf(why, n, "journal tail \"%s\": expected 1 to 10000 lines", r->value);
            return -1;
        }
        if (*r->value)
            sp->n = (int)v;
        return 0;
    }
    if (!strcmp(r->target, "since")) {
        sp->kind = JOB_SINCE;
        if (parse_num(r->value, &v) < 0 || v < 0) {
            snprintf(why, n, "journal since \"%s\": expected a Unix time", r->value);
            return -1;
        }
        sp->from = v;
        return 0;
    }
    snprintf(why, n, "journal \"%s\": expected tail, since or verify", r->target);
    return -1;
}

/* export target=TAG,TAG... (empty: every stored tag) value="FROM TO [json] [units]" (Unix
 * times; json: JSON lines, units: CSV with a units line) */
static int export_spec(const struct server *sv, const struct snap_req *r, struct job_spec *sp,
                       char *names, size_t nlen, char *why, size_t n)
{
    memset(sp, 0, sizeof *sp);
    sp->kind = JOB_EXPORT;
    char a[64], b[64], f[2][64];
    int got = sscanf(r->value, "%63s %63s %63s %63s", a, b, f[0], f[1]);
    if (got < 2 || parse_num(a, &sp->from) < 0 || parse_num(b, &sp->to) < 0 ||
        sp->to <= sp->from) {
        snprintf(why, n, "export \"%s\": expected FROM TO as Unix times, FROM before TO", r->value);
        return -1;
    }
    for (int i = 0; i + 2 < got; i++) {
        unsigned x = !strcmp(f[i], "json") ? HIST_X_JSON : !strcmp(f[i], "units") ? HIST_X_UNITS : 0;
        if (!x || (sp->xflags & x)) {
            snprintf(why, n, "export \"%s\": after FROM TO expected json or units, once each",
                     r->value);
            return -1;
        }
        sp->xflags |= x;
    }
    char extra[2];
    if (sscanf(r->value, "%*s %*s %*s %*s %1s", extra) == 1) {
        snprintf(why, n, "export \"%s\": expected at most FROM TO json|units", r->value);
        return -1;
    }
    if (sp->xflags == (HIST_X_JSON | HIST_X_UNITS)) {
        snprintf(why, n, "export \"%s\": units is for CSV; JSON lines have no units line",
                 r->value);
        return -1;
    }
    (void)str_copy(names, nlen, r->target);
    char *save = NULL;
    for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (cfg_tag_index(sv->cfg, t) < 0) {
            snprintf(why, n, "export: no tag \"%s\" in %s", t, sv->cfg->path);
            return -1;
        }
        if (sp->ntags < CFG_MAX_TAGS)
            sp->tags[sp->ntags++] = t;
    }
    return 0;
}

/* A request the server reads too late (or cannot date) is not carried out:
 * -1 with the sentence.  wall: the server's clock now. */
static int expired(const struct server *sv, const struct snap_req *r, double wall, char *why,
                   size_t n)
{
    double max_s = sv->cfg->server.request_max_age_ms / 1000.0, age = wall - r->t;
    char what[sizeof r->verb + sizeof r->target + sizeof r->value];
    snprintf(what, sizeof what, "%s%s%s%s%s", r->verb, *r->target ? " " : "", r->target,
             *r->value ? " " : "", r->value);
    if (r->t <= 0)
        snprintf(why, n,
                 "%s: the request does not say when it was made (a client older than this "
                 "server), so it cannot be told fresh and is not carried out; use a current "
                 "meltcon",
                 what);
    else if (age > max_s)
        snprintf(why, n,
                 "%s: not carried out: the request was made %.1f s ago and the server reads it "
                 "only now (it was held up); requests older than %.1f s are refused ([server] "
                 "request_max_age_ms); look at the furnace and ask again",
                 what, age, max_s);
    else if (-age > REQ_SKEW_S)
        snprintf(why, n,
                 "%s: not carried out: the request is dated %.1f s ahead of the server's clock "
                 "(at most %.1f s is taken); the clock changed, ask again",
                 what, -age, REQ_SKEW_S);
    else
        return 0;
    return -1;
}

/* Act on one request: `origin` and `stop` here, `journal` and `export` as a
 * job, everything else through the core (its results journalled at once,
 * answered when the journal has them on disk); any but `origin` refused
 * once expired. */
static void handle_req(struct server *sv, int slot, const struct snap_req *r, double now)
{
    struct session *s = &sv->ss.s[slot];
    char why[600]; /* with "refused: ", whole in a journal result (JOURNAL_RESULT_MAX) */
    if (strcmp(r->verb, "origin") != 0 && expired(sv, r, clock_wall_s(), why, sizeof why) < 0) {
        refusal(sv, s, r->verb, r->target, r->reason, why);
        server_reply(sv, slot, r->id, false, why, now);
        return;
    }
    if (!strcmp(r->verb, "origin")) {
        char o[SESSION_ORIGIN_MAX];
        size_t k = 0;
        for (const char *p = r->value; *p && k + 1 < sizeof o; p++)
            if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
                o[k++] = *p;
        o[k] = 0;
        if (k)
            (void)str_copy(s->origin, sizeof s->origin, o);
        server_reply(sv, slot, r->id, true, s->origin, now);
        return;
    }
    if (!strcmp(r->verb, "journal") || !strcmp(r->verb, "export")) {
        struct job_spec sp;
        char names[sizeof r->target];
        bool j = r->verb[0] == 'j';
        int rc = j ? journal_spec(r, &sp, why, sizeof why)
                   : export_spec(sv, r, &sp, names, sizeof names, why, sizeof why);
        if (rc == 0 && server_job_start(sv, slot, r, &sp, why, sizeof why) == 0)
            return;
        server_reply(sv, slot, r->id, false, why, now);
        return;
    }
    if (!strcmp(r->verb, "stop")) {
        if (s->role != ROLE_ENGINEER) {
            snprintf(why, sizeof why,
                     "stop: stopping the server needs the engineer role (the PLC watchdog would "
                     "put the burners to low fire); you are %s",
                     core_role_name(s->role));
            long long seq = refusal(sv, s, "server", "stop", r->reason, why);
            server_reply_after(sv, seq, s->id, r->id, false, why, now);
            return;
        }
        char rwhy[200];
        if (input_reason(r->reason, false, INPUT_REASON_CHARS, sizeof r->reason, rwhy,
                         sizeof rwhy) < 0) {
            snprintf(why, sizeof why, "stop: %s", rwhy);
            refusal(sv, s, "server", "stop", r->reason, why);
            server_reply(sv, slot, r->id, false, why, now);
            return;
        }
        snprintf(sv->stop_by, sizeof sv->stop_by, "%s@%s", s->user, s->origin);
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        (void)str_copy(e.user, sizeof e.user, s->user);
        (void)str_copy(e.origin, sizeof e.origin, s->origin);
        (void)str_copy(e.kind, sizeof e.kind, "server");
        (void)str_copy(e.what, sizeof e.what, "stop");
        (void)str_copy(e.reason, sizeof e.reason, r->reason);
        (void)str_copy(e.result, sizeof e.result, "ok: stopping");
        long long seq = server_journal_put(sv, &e);
        snprintf(why, sizeof why,
                 "server stopping; without a server the PLC's watchdog puts "
                 "the burners to low fire");
        server_reply_after(sv, seq, s->id, r->id, true, why, now); /* sent before it stops */
        sv->stopping = true;
        return;
    }
    if (!strcmp(r->verb, "current")) {
        /* the base another verb would change (core_current): read only, for
         * the CLI's compare-and-set when --expect is not given */
        char key[64], val[48];
        bool ok = core_current(&sv->core, r->value, r->target, key, sizeof key, val,
                               sizeof val) == 0;
        if (!ok)
            snprintf(why, sizeof why, "%s %s: nothing to compare with (no such target, or the "
                     "request has no base)", r->value, r->target);
        server_reply(sv, slot, r->id, ok, ok ? val : why, now);
        return;
    }
    struct core_req q;
    memset(&q, 0, sizeof q);
    q.id = r->id;
    q.client = s->id;
    q.role = s->role;
    (void)str_copy(q.user, sizeof q.user, s->user);
    (void)str_copy(q.origin, sizeof q.origin, s->origin);
    (void)str_copy(q.verb, sizeof q.verb, r->verb);
    (void)str_copy(q.target, sizeof q.target, r->target);
    (void)str_copy(q.value, sizeof q.value, r->value);
    (void)str_copy(q.reason, sizeof q.reason, r->reason);
    (void)str_copy(q.expect, sizeof q.expect, r->expect);
    (void)str_copy(q.scrap, sizeof q.scrap, r->scrap);
    time_t wall = (time_t)clock_wall_s();
    struct tm tm;
    if (localtime_r(&wall, &tm))
        (void)strftime(q.when, sizeof q.when, "%H:%M", &tm);
    q.t_made = r->t > 0 ? now - (clock_wall_s() - r->t) : 0; /* on the monotonic clock */
    core_request(&sv->core, &q);
    server_drain_results(sv, now);
}

void server_client_input(struct server *sv, int slot, double now)
{
    for (int k = 0; k < 8; k++) {
        struct session *s = &sv->ss.s[slot];
        if (s->fd < 0)
            return;
        ssize_t n = recv(s->fd, sv->rx, sizeof sv->rx, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                server_drop(sv, slot, "connection lost", false);
            return;
        }
        if (n == 0) {
            server_drop(sv, slot, NULL, false);
            return;
        }
        char why[200];
        struct snap_req r;
        if ((size_t)n > PROTO_MAX_MSG) {
            snprintf(why, sizeof why, "malformed message: %zd bytes (at most %d)", n,
                     PROTO_MAX_MSG);
        } else if (proto_parse(sv->rx, (size_t)n, &sv->msg, why + 19, sizeof why - 19) < 0) {
            memcpy(why, "malformed message: ", 19);
        } else if (sv->msg.type == PT_BYE) {
            server_drop(sv, slot, NULL, false);
            return;
        } else if (sv->msg.type != PT_REQ || snap_req_decode(&sv->msg, &r) < 0) {
            snprintf(why, sizeof why,
                     "malformed message: a %s message that is not a valid "
                     "request",
                     proto_type_name(sv->msg.type));
        } else {
            handle_req(sv, slot, &r, now);
            continue;
        }
        server_drop(sv, slot, why, server_refusal_counts(sv, s->user, now));
        return;
    }
}
