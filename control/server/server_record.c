/* server_record — the record the server keeps (see server_int.h): journal
 * messages for clients, journal lines for every core result and server
 * event, the tail a client gets on connect, the loops' settings kept across
 * a restart, and retention.
 *
 * Every core result and server event is one journal line (operator actions
 * and refusals with fsync before the reply goes out; a client's refusals
 * beyond its quota are counted for a summary instead, quota.h); a failed journal or
 * historian write clears core_status.disk_ok (the DISK alarm) and the cycle
 * carries on; while the journal fails the server tries again every 2 s so
 * the alarm clears once there is room.
 */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "util.h"

#define DISK_RETRY_S 2.0

/* A core result becomes a journal entry field by field: none may be cut. */
_Static_assert(sizeof((struct journal_entry *)0)->user >= sizeof((struct core_result *)0)->user,
               "journal user");
_Static_assert(sizeof((struct journal_entry *)0)->origin >= sizeof((struct core_result *)0)->origin,
               "journal origin");
_Static_assert(sizeof((struct journal_entry *)0)->kind >= sizeof((struct core_result *)0)->kind,
               "journal kind");
_Static_assert(sizeof((struct journal_entry *)0)->what >= sizeof((struct core_result *)0)->what,
               "journal what");
_Static_assert(sizeof((struct journal_entry *)0)->old_value >=
                   sizeof((struct core_result *)0)->old_v,
               "journal old value");
_Static_assert(sizeof((struct journal_entry *)0)->new_value >=
                   sizeof((struct core_result *)0)->new_v,
               "journal new value");
_Static_assert(sizeof((struct journal_entry *)0)->reason >= sizeof((struct core_result *)0)->reason,
               "journal reason");
_Static_assert(sizeof((struct journal_entry *)0)->result >=
                   sizeof "refused: " + sizeof((struct core_result *)0)->text,
               "journal result: a refusal's whole sentence");

/* ---- journal messages ------------------------------------------------------------ */

void server_jmsg_begin(struct jmsg *m, long id)
{
    int n = id > 0 ? snprintf(m->buf, sizeof m->buf, "%s %d id=%ld", proto_type_name(PT_JOURNAL),
                              PROTO_VERSION, id)
                   : snprintf(m->buf, sizeof m->buf, "%s %d", proto_type_name(PT_JOURNAL),
                              PROTO_VERSION);
    m->len = (size_t)n;
    m->nlines = 0;
}

/* Append one line; -1 when the message is full (nothing appended). */
int server_jmsg_add(struct jmsg *m, const char *line)
{
    char esc[3 * LINE_WIRE_MAX + 1];
    proto_esc(esc, sizeof esc, line);
    size_t n = strlen(esc);
    if (m->nlines >= JMSG_LINES || m->len + n + 6 >= sizeof m->buf)
        return -1;
    memcpy(m->buf + m->len, "\nj l=", 5);
    memcpy(m->buf + m->len + 5, esc, n);
    m->len += n + 5;
    m->buf[m->len] = 0;
    m->nlines++;
    return 0;
}

/* ---- the record ------------------------------------------------------------------- */

/* Keep a line for the tail new clients get (cut to TAIL_LINE_MAX: the
 * file keeps it whole). */
static void tail_add(struct server *sv, const char *line)
{
    (void)str_copy(sv->tail[sv->tail_head], TAIL_LINE_MAX, line);
    sv->tail_head = (sv->tail_head + 1) % TAIL_LINES;
    if (sv->tail_n < TAIL_LINES)
        sv->tail_n++;
}

/* Write one journal line (sync: on disk before returning), keep it for the
 * tail and pass it to every client.  Returns 0, or -1 when the journal
 * could not write it (the DISK alarm follows from journal_ok). */
int server_journal_put(struct server *sv, struct journal_entry *e, bool sync)
{
    char line[JOURNAL_LINE_MAX];
    e->t = clock_wall_s();
    int rc = journal_append(&sv->jnl, e, sync);
    sv->journal_ok = rc == 0;
    if (rc < 0)
        sv->journal_retry = e->t + DISK_RETRY_S;
    if (rc < 0 && !strcmp(e->what, "disk-retry"))
        return rc; /* only a retry that worked is news */
    sysjournal_put(sv->sysj, e); /* also when the disk refused it: a second record */
    if (journal_format(e, line, sizeof line) < 0)
        return rc;
    tail_add(sv, line);
    if (server_jmsg_add(&sv->bc, line) < 0) {
        server_broadcast_flush(sv, (double)clock_mono_ns() / 1e9);
        server_jmsg_add(&sv->bc, line);
    }
    /* after the broadcast buffer (whose flush may end a journal reader):
     * the readers still running keep it for their client */
    server_jobs_live(sv, rc == 0 ? sv->jnl.seq : 0, line);
    return rc;
}

void server_event(struct server *sv, const char *kind, const char *what, const char *fmt, ...)
{
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    (void)str_copy(e.user, sizeof e.user, "meltcon");
    (void)str_copy(e.origin, sizeof e.origin, "server");
    (void)str_copy(e.kind, sizeof e.kind, kind);
    (void)str_copy(e.what, sizeof e.what, what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.result, sizeof e.result, fmt, ap);
    va_end(ap);
    server_journal_put(sv, &e, false);
}

void server_tail_load(struct server *sv)
{
    struct journal_entry *te = malloc(sizeof *te * TAIL_LINES);
    int nt = te ? journal_tail(sv->journal_dir, te, TAIL_LINES) : 0;
    for (int i = 0; i < nt; i++) {
        char line[JOURNAL_LINE_MAX];
        if (journal_format(&te[i], line, sizeof line) >= 0)
            tail_add(sv, line);
    }
    free(te);
}

/* ---- the loops' state ------------------------------------------------------------- */

/* Keep what operators set across a restart: state_dir/loops.state, written
 * whole to a temporary file, synced and renamed, so a crash leaves the old
 * or the new file, never half of one. */
static void save_state(struct server *sv)
{
    char text[4096], path[sizeof sv->state_dir + 32], tmp[sizeof sv->state_dir + 40];
    int n = core_state_save(&sv->core, text, sizeof text);
    if (n < 0)
        return;
    snprintf(path, sizeof path, "%s/loops.state", sv->state_dir);
    snprintf(tmp, sizeof tmp, "%s/loops.state.tmp", sv->state_dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        server_event(sv, "server", "state", "cannot keep the loops' settings in %s: %s", path,
                     strerror(errno));
    }
}

void server_restore_state(struct server *sv)
{
    char path[sizeof sv->state_dir + 32], text[4096], err[600];
    snprintf(path, sizeof path, "%s/loops.state", sv->state_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return; /* first start: the config's modes and setpoints */
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0)
        return;
    text[n] = 0;
    int k = core_state_restore(&sv->core, text, err, sizeof err);
    server_event(sv, "server", "state",
                 "restored the modes, setpoints and tuning of %d loops from %s%s%s", k, path,
                 *err ? ": " : "", err);
}

/* ---- core results ----------------------------------------------------------------- */

/* Journal every result of the core; answer the client that asked; keep the
 * loops' state after every accepted change of a setting. */
void server_drain_results(struct server *sv, double now)
{
    int n;
    while ((n = core_results_take(&sv->core, sv->res, (int)(sizeof sv->res / sizeof sv->res[0]))) >
           0) {
        for (int i = 0; i < n; i++) {
            const struct core_result *r = &sv->res[i];
            struct journal_entry e;
            memset(&e, 0, sizeof e);
            (void)str_copy(e.user, sizeof e.user, r->user);
            (void)str_copy(e.origin, sizeof e.origin, r->origin);
            (void)str_copy(e.kind, sizeof e.kind, r->kind);
            (void)str_copy(e.what, sizeof e.what, r->what);
            (void)str_copy(e.old_value, sizeof e.old_value, r->old_v);
            (void)str_copy(e.new_value, sizeof e.new_value, r->new_v);
            (void)str_copy(e.reason, sizeof e.reason, r->reason);
            if (!r->ok)
                snprintf(e.result, sizeof e.result, "refused: %s", r->text);
            else if (*r->text)
                snprintf(e.result, sizeof e.result, "ok: %s", r->text);
            else
                (void)str_copy(e.result, sizeof e.result, "ok");
            bool asked = r->client >= 0;
            /* a client's refusals beyond its quota are counted, not
             * journalled one by one (quota.h) */
            bool journal = r->ok || !asked || server_refusal_counts(sv, r->user, now);
            int rc = journal ? server_journal_put(sv, &e, asked) : 0;
            if (r->ok && (!strcmp(r->kind, "set") || !strcmp(r->kind, "tune") ||
                          !strcmp(r->kind, "program") || !strcmp(r->kind, "loop")))
                save_state(sv);
            int slot = asked ? session_find(&sv->ss, r->client) : -1;
            if (slot < 0)
                continue;
            char text[sizeof r->text + 80];
            snprintf(text, sizeof text, "%s%s", r->text,
                     rc < 0 && r->ok ? " (NOT journalled: the journal cannot write; see the "
                                       "DISK alarm)"
                                     : "");
            server_reply(sv, slot, r->id, r->ok, text, now);
        }
    }
}

/* ---- retention --------------------------------------------------------------------- */

void server_prune(struct server *sv, double wall)
{
    long day = (long)floor(wall / 86400.0);
    if (day == sv->day)
        return;
    sv->day = day;
    int a = journal_prune(sv->journal_dir, wall, sv->cfg->server.journal_retention_days);
    int b = hist_prune(sv->hist_dir, wall, sv->cfg->server.historian_retention_days);
    if (a > 0 || b > 0)
        server_event(sv, "server", "retention", "removed %d journal and %d historian day files",
                     a > 0 ? a : 0, b > 0 ? b : 0);
}

/* ---- losses ------------------------------------------------------------------------ */

void server_note_losses(struct server *sv)
{
    unsigned long r = sv->core.results_dropped, a = sv->core.alarms.events_dropped;
    if (r != sv->results_lost_seen)
        server_event(sv, "server", "results",
                     "%lu results of the control core were lost unjournalled (more than %d "
                     "between two drains; the oldest go first); %lu since start",
                     r - sv->results_lost_seen, CORE_RESULTS, r);
    if (a != sv->events_lost_seen)
        server_event(sv, "server", "alarm-events",
                     "%lu alarm events were lost unjournalled (more than %d between two "
                     "drains); %lu since start",
                     a - sv->events_lost_seen, ALARM_EVENTS_MAX, a);
    sv->results_lost_seen = r;
    sv->events_lost_seen = a;
}
