/* server_record — the record the server keeps (see server_int.h): journal
 * messages for clients, journal lines for every core result and server
 * event, the tail a client gets on connect, the loops' settings kept across
 * a restart, and retention.
 *
 * Every core result and server event is one journal line, queued for the
 * writer (writer.c), which appends a round of them with one fsync.  A reply
 * to a request waits in sv->held until its line comes back finished: on
 * disk, it is the plain answer; not on disk (or accepted while the record
 * could not be written), an accepted action is answered as carried out but
 * not recorded (unrecorded, ok = 0: the CLI exits non-zero).  After every
 * poll the core's gate learns whether the record can be written
 * (core_set_record): while not, it refuses changes away from the safe
 * state.  A failed journal is tried again every WR_RETRY_S with a
 * `disk-retry` line, so the DISK alarm clears once there is room.  A
 * client's refusals beyond its quota are counted for a summary instead of
 * journalled one by one (quota.h).
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
/* The loops' state goes whole into the writer's buffer: every loop's line
 * (core_state_save: a name and four %.17g numbers of at most 24 bytes) and
 * the last charge's class. */
#define STATE_LINE_MAX (sizeof "loop  mode=AUTO sp= kp= ti_s= td_s=\n" + CFG_NAME_MAX + 4 * 24)
_Static_assert(WR_STATE_MAX >= CFG_MAX_LOOPS * STATE_LINE_MAX + sizeof "charge scrap=\n" +
                                   CFG_NAME_MAX,
               "the loops' state fits the writer");
/* A held reply keeps a core result's sentence whole, and the mark fits beside it. */
_Static_assert(sizeof((struct held_reply *)0)->text >= sizeof((struct core_result *)0)->text + 300,
               "held reply");

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

/* A finished (or lost) line: to the system journal, the tail, the clients.
 * file_seq: its sequence number in the journal file (it is there by now),
 * 0 when it was not written. */
static void publish_line(struct server *sv, const struct journal_entry *e, long file_seq)
{
    char line[JOURNAL_LINE_MAX];
    sysjournal_put(sv->sysj, e); /* also when the disk refused it: a second record */
    if (journal_format(e, line, sizeof line) < 0)
        return;
    tail_add(sv, line);
    if (server_jmsg_add(&sv->bc, line) < 0) {
        server_broadcast_flush(sv, (double)clock_mono_ns() / 1e9);
        server_jmsg_add(&sv->bc, line);
    }
    /* after the broadcast buffer (whose flush may end a journal reader):
     * the readers still running keep it for their client */
    server_jobs_live(sv, file_seq, line);
    if (file_seq > sv->published_seq)
        sv->published_seq = file_seq;
}

int server_record_start(struct server *sv, struct journal *j, struct hist *h, char *err,
                        size_t errlen)
{
    struct wr_conf c;
    memset(&c, 0, sizeof c);
    (void)str_copy(c.state_dir, sizeof c.state_dir, sv->state_dir);
    (void)str_copy(c.journal_dir, sizeof c.journal_dir, sv->journal_dir);
    (void)str_copy(c.hist_dir, sizeof c.hist_dir, sv->hist_dir);
    c.journal_retention_days = sv->cfg->server.journal_retention_days;
    c.hist_retention_days = sv->cfg->server.historian_retention_days;
    c.reserve_bytes = WR_RESERVE_BYTES;
    sv->held = calloc(WR_QUEUE, sizeof *sv->held);
    sv->wr = sv->held ? wr_start(&c, j, h, err, errlen) : NULL;
    if (!sv->wr) {
        if (!sv->held)
            snprintf(err, errlen, "out of memory for the writer's replies");
        free(sv->held);
        sv->held = NULL;
        return -1;
    }
    sv->record_ok = true;
    wr_status(sv->wr, &sv->wst);
    return 0;
}

void server_record_stop(struct server *sv)
{
    if (!sv->wr)
        return;
    wr_stop(sv->wr); /* everything queued is written first */
    sv->record_closing = true;
    server_record_poll(sv, (double)clock_mono_ns() / 1e9);
    wr_free(sv->wr);
    sv->wr = NULL;
    free(sv->held);
    sv->held = NULL;
}

long long server_journal_put(struct server *sv, struct journal_entry *e)
{
    e->t = clock_wall_s();
    long long seq = sv->wr ? wr_push(sv->wr, e, false) : -1;
    if (seq < 0) {
        sv->unrecorded++;
        publish_line(sv, e, 0);
    }
    return seq;
}

/* Queue a line that records a change kept in the loops' state: the state
 * first, so the writer's round that takes the line takes that state too. */
static long long journal_put_state(struct server *sv, struct journal_entry *e)
{
    char text[WR_STATE_MAX];
    int n = core_state_save(&sv->core, text, sizeof text);
    if (n < 0 || !sv->wr)
        return server_journal_put(sv, e);
    wr_state(sv->wr, text, (size_t)n);
    e->t = clock_wall_s();
    long long seq = wr_push(sv->wr, e, true);
    if (seq < 0) {
        sv->unrecorded++;
        publish_line(sv, e, 0);
    }
    return seq;
}

/* The reply to an action, with what the record could not keep said plainly. */
static void send_final(struct server *sv, int client, long id, bool ok, bool marked,
                       const char *text, int err, bool state, int state_err, double now)
{
    int slot = session_find(&sv->ss, client);
    if (slot < 0)
        return;
    bool lost = ok && (marked || err || (state && state_err));
    if (!lost) {
        server_reply(sv, slot, id, ok, text, now);
        return;
    }
    char why[sizeof sv->record_why];
    if (!sv->record_ok)
        (void)str_copy(why, sizeof why, sv->record_why);
    else if (err < 0)
        (void)str_copy(why, sizeof why, "the disk is not keeping up: the writer's queue is full");
    else if (err || state_err)
        (void)str_copy(why, sizeof why, strerror(err ? err : state_err));
    else
        (void)str_copy(why, sizeof why, "it was failing when this was accepted");
    char t[sizeof((struct snap_reply *)0)->text];
    snprintf(t, sizeof t,
             "%s -- carried out, but the record cannot be written (%s): %s%s; see the DISK "
             "alarm",
             text, why,
             err ? "NOT in the journal (the system journal has it)" : "in the journal",
             !state        ? ""
             : state_err   ? ", the loops' settings NOT kept: a restart would forget this"
                           : ", the loops' settings kept");
    struct snap_reply r = {.id = id, .ok = false, .unrecorded = true};
    (void)str_copy(r.text, sizeof r.text, t);
    snap_reply_encode(&r, &sv->out);
    if (sv->out.overflow ||
        session_send(&sv->ss.s[slot], sv->out.buf, sv->out.len, true, now) < 0)
        server_drop(sv, slot, "it does not read its replies", true);
}

void server_reply_after(struct server *sv, long long seq, int client, long id, bool ok,
                        const char *text, double now)
{
    bool marked = !sv->record_ok;
    if (seq < 0) { /* not queued: nothing to wait for, and nothing recorded */
        send_final(sv, client, id, ok, marked, text, -1, false, 0, now);
        return;
    }
    struct held_reply *h = &sv->held[seq % WR_QUEUE];
    h->used = true;
    h->ok = ok;
    h->marked = marked;
    h->client = client;
    h->id = id;
    (void)str_copy(h->text, sizeof h->text, text);
}

/* The reason the record cannot be written, for the gate and the replies. */
static void record_state(struct server *sv, const struct wr_status *st)
{
    char why[sizeof sv->record_why] = "";
    int e = !st->journal_ok ? st->journal_errno : !st->state_ok ? st->state_errno : 0;
    if (!st->space_ok || e == ENOSPC || e == EDQUOT)
        snprintf(why, sizeof why, "disk full");
    else if (!st->journal_ok)
        snprintf(why, sizeof why, "the journal: %s", strerror(st->journal_errno));
    else if (!st->state_ok)
        snprintf(why, sizeof why, "loops.state: %s", strerror(st->state_errno));
    else if (st->behind)
        snprintf(why, sizeof why, "the disk is not keeping up: %d lines waiting", st->queued);
    bool ok = !*why;
    if (ok != sv->record_ok || strcmp(why, sv->record_why) != 0)
        core_set_record(&sv->core, ok, why);
    sv->record_ok = ok;
    (void)str_copy(sv->record_why, sizeof sv->record_why, why);
}

void server_record_poll(struct server *sv, double now)
{
    if (!sv->wr)
        return;
    wr_ack(sv->wr);
    struct wr_done *d = malloc(sizeof *d);
    if (!d)
        return;
    bool wrote = false;
    while (wr_take(sv->wr, d)) {
        struct held_reply *h = &sv->held[d->seq % WR_QUEUE];
        bool retry = !strcmp(d->e.what, "disk-retry") && !strcmp(d->e.kind, "server");
        if (d->err) {
            if (!retry) /* a probe that failed is not a line anyone lost */
                sv->unrecorded++;
            sv->journal_retry = clock_wall_s() + WR_RETRY_S;
        } else {
            wrote = true;
        }
        if (!(retry && d->err)) /* only a retry that worked is news */
            publish_line(sv, &d->e, d->err ? 0 : d->e.seq);
        if (h->used) {
            h->used = false;
            send_final(sv, h->client, h->id, h->ok, h->marked, h->text, d->err, d->state,
                       d->state_err, now);
        }
    }
    free(d);
    char what[JOURNAL_WHAT_MAX], note[WR_NOTE_MAX];
    while (wr_note(sv->wr, what, sizeof what, note, sizeof note))
        server_event(sv, "server", what, "%s", note);
    struct wr_status st;
    wr_status(sv->wr, &st);
    if (!st.hist_ok && sv->wst.hist_ok)
        server_event(sv, "server", "historian", "historian cannot write: %s",
                     strerror(st.hist_errno));
    if (wrote && st.journal_ok && sv->unrecorded > 0) {
        unsigned long n = sv->unrecorded;
        sv->unrecorded = 0;
        server_event(sv, "server", "disk",
                     "%lu journal line%s could not be written before this one; the system "
                     "journal has %s",
                     n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
    }
    if (!st.journal_ok && st.queued == 0 && clock_wall_s() >= sv->journal_retry &&
        !sv->record_closing) {
        /* a probe, pushed directly: published only if the journal takes it */
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        (void)str_copy(e.user, sizeof e.user, "meltcon");
        (void)str_copy(e.origin, sizeof e.origin, "server");
        (void)str_copy(e.kind, sizeof e.kind, "server");
        (void)str_copy(e.what, sizeof e.what, "disk-retry");
        (void)str_copy(e.result, sizeof e.result, "journal writes again after a failure");
        e.t = clock_wall_s();
        sv->journal_retry = e.t + WR_RETRY_S;
        (void)wr_push(sv->wr, &e, false);
    }
    sv->wst = st;
    record_state(sv, &st);
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
    server_journal_put(sv, &e);
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

void server_restore_state(struct server *sv)
{
    char path[sizeof sv->state_dir + 32], text[WR_STATE_MAX], err[600];
    wr_state_path(sv->state_dir, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return; /* first start: the config's modes and setpoints */
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0)
        return;
    text[n] = 0;
    int k = core_state_restore(&sv->core, text, err, sizeof err);
    const struct cfg_scrap *cls = sv->core.charge_scrap;
    server_event(sv, "server", "state",
                 "restored the modes, setpoints and tuning of %d loops%s%s from %s%s%s", k,
                 cls ? " and the last charge's scrap class, " : "", cls ? cls->name : "", path,
                 *err ? ": " : "", err);
}

/* ---- core results ----------------------------------------------------------------- */

/* Journal every result of the core; answer the client that asked once its
 * line is on disk, and for an accepted change of a setting the loops'
 * state with it. */
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
            /* a charge the PLC accepted: its class is the loops' priority (core_state_save) */
            bool keep = r->ok && (!strcmp(r->kind, "set") || !strcmp(r->kind, "tune") ||
                                  !strcmp(r->kind, "program") || !strcmp(r->kind, "loop") ||
                                  (!strcmp(r->kind, "cmd") && !strcmp(r->what, "charge")));
            long long seq = !journal ? -1
                            : keep   ? journal_put_state(sv, &e)
                                     : server_journal_put(sv, &e);
            if (asked)
                server_reply_after(sv, seq, r->client, r->id, r->ok, r->text, now);
        }
    }
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
