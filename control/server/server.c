/* server — the imperative shell around the control core (see server.h).
 *
 * The loop, one thread, absolute deadlines on CLOCK_MONOTONIC:
 *
 *   deadline = start
 *   forever:
 *     serve clients until the deadline: ppoll() on the listening socket, the
 *       clients and the job pipes with the time left minus 1 ms, then
 *       clock_nanosleep(TIMER_ABSTIME) for the rest (so the cycle starts on
 *       the deadline, not on poll's millisecond rounding);
 *     start = now; late = start - deadline (ring for p50/p99, max since
 *       start); slow when start - previous start > slow_factor x period
 *     cycle: plc_read_all -> process time -> core_step -> plc_write each
 *       output -> plc_write_now(cmd_out) when the core sends a command
 *       (never staged) -> plc_flush_writes -> journal + reply every core
 *       result -> historian sample -> snapshot to every client at ui_rate_hz
 *     deadline = cycle_deadline_next(deadline, now): + period; a whole
 *       period or more behind -> skip the missed deadlines, count, journal.
 *
 * Clients are served only in the time between cycles and never waited for:
 * their sockets are written with MSG_DONTWAIT (session.c), requests are
 * taken as they come (core_request, and the results journalled and
 * answered at once), and anything that reads files for a client (`journal`
 * and `export` verbs) runs in a forked child that writes lines into a pipe:
 * the server forwards them as `journal` messages tagged id=REQUEST, as fast
 * as the client reads, and then the reply.  A client with such a job gets
 * no journal broadcast meanwhile (the job reads those lines from the file),
 * so `journal --follow` sees each line once, in order.
 *
 * Process time comes from plc_clock through cycle_pclock_step; the
 * equations are at the top of control/core/cycle.c.
 *
 * The record: every core result and server event is one journal line
 * (operator actions and refusals with fsync before the reply goes out); a
 * failed journal or historian write clears core_status.disk_ok (the DISK
 * alarm) and the cycle carries on; while the journal fails the server
 * tries again every 2 s so the alarm clears once there is room.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "cycle.h"
#include "hist.h"
#include "journal.h"
#include "plc_link.h"
#include "proto.h"
#include "session.h"
#include "snap.h"

#define SERVER_JOBS 4      /* journal/export readers running at once */
#define JMSG_MAX 60000     /* bytes of one journal message we build */
#define JMSG_LINES 500     /* lines in one (PROTO_MAX_LINES bounds it) */
#define LINE_WIRE_MAX 4096 /* longest line sent (the file keeps it whole) */
#define TAIL_LINES 50      /* journal lines a client gets on connect */
#define TAIL_LINE_MAX 512
#define JOB_STATUS '\x1e' /* starts the last line a job writes: its answer */
#define DISK_RETRY_S 2.0
#define NOTIFY_TIMEOUT_MS 15000 /* a detached server says it is up within this */

/* ---- the server's state ----------------------------------------------------------- */

enum job_kind { JOB_TAIL, JOB_SINCE, JOB_VERIFY, JOB_EXPORT };

/* A journal message being built: "journal 1 [id=N]" and "j l=LINE" lines. */
struct jmsg {
    size_t len;
    int nlines;
    char buf[JMSG_MAX];
};

/* A forked reader streaming lines to one client. */
struct job {
    pid_t pid; /* 0: free */
    int fd;    /* read end of its pipe */
    int session_id;
    long req_id;
    char verb[16];
    long lines;
    bool eof, have_status, status_ok, ready;
    char status[600];
    size_t plen;
    char part[LINE_WIRE_MAX + 1]; /* a line not finished yet (longer ones are cut) */
    size_t in_off, in_len;
    char in[4096]; /* read from the pipe, not yet taken into m */
    struct jmsg m;
};

/* What a job child needs, decided before the fork. */
struct job_spec {
    enum job_kind kind;
    int n;
    double from, to;
    int ntags;
    const char *tags[CFG_MAX_TAGS];
};

enum pfd_kind { PFD_LISTEN, PFD_SESSION, PFD_JOB };

struct server {
    const struct cfg *cfg;
    char state_dir[CFG_PATH_MAX + 64];
    char journal_dir[CFG_PATH_MAX + 80], hist_dir[CFG_PATH_MAX + 80];
    char sock[108];
    int lock_fd;
    struct core core;
    struct plc_link link;
    void *mb;
    struct sessions ss;
    struct journal jnl;
    struct hist hist;
    bool journal_ok, hist_ok;
    double journal_retry;
    long day; /* UTC day of the last prune */
    /* the cycle */
    int64_t period_ns;
    uint64_t cycles, slow, missed;
    struct cycle_lat lat;
    struct cycle_pclock pclock;
    int t_plc_clock, t_plc_mode;
    struct tag_value tags[CFG_MAX_TAGS];
    double age[CFG_MAX_TAGS];
    int link_state; /* enum plc_state last journalled */
    char write_err[200];
    /* clients */
    double next_snap, snap_every;
    uint32_t snap_seq;
    bool stopping;
    char stop_by[80];
    struct job jobs[SERVER_JOBS];
    char tail[TAIL_LINES][TAIL_LINE_MAX];
    int tail_head, tail_n;
    struct jmsg bc; /* journal lines for every client, sent after each round */
    int npfd;
    struct pollfd *pfd;
    int *pfd_kind, *pfd_ref;
    /* scratch */
    struct snap snap;
    struct proto_out out;
    struct proto_msg msg;
    char rx[PROTO_MAX_MSG + 1];
    struct core_result res[16];
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void cp(char *d, size_t n, const char *s)
{
    size_t l = s ? strnlen(s, n - 1) : 0;
    if (l)
        memcpy(d, s, l);
    d[l] = 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec ns_ts(int64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000),
                             .tv_nsec = (long)(ns % 1000000000)};
}

/* ---- journal messages ------------------------------------------------------------ */

static void jmsg_begin(struct jmsg *m, long id)
{
    int n = id > 0 ? snprintf(m->buf, sizeof m->buf, "%s %d id=%ld", proto_type_name(PT_JOURNAL),
                              PROTO_VERSION, id)
                   : snprintf(m->buf, sizeof m->buf, "%s %d", proto_type_name(PT_JOURNAL),
                              PROTO_VERSION);
    m->len = (size_t)n;
    m->nlines = 0;
}

/* Append one line; -1 when the message is full (nothing appended). */
static int jmsg_add(struct jmsg *m, const char *line)
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

static void broadcast_flush(struct server *sv, double now);

static void tail_add(struct server *sv, const char *line)
{
    cp(sv->tail[sv->tail_head], TAIL_LINE_MAX, line);
    sv->tail_head = (sv->tail_head + 1) % TAIL_LINES;
    if (sv->tail_n < TAIL_LINES)
        sv->tail_n++;
}

/* Write one journal line (sync: on disk before returning), keep it for the
 * tail and pass it to every client.  Returns 0, or -1 when the journal
 * could not write it (the DISK alarm follows from journal_ok). */
static int journal_put(struct server *sv, struct journal_entry *e, bool sync)
{
    char line[JOURNAL_LINE_MAX];
    e->t = wall_now();
    int rc = journal_append(&sv->jnl, e, sync);
    sv->journal_ok = rc == 0;
    if (rc < 0)
        sv->journal_retry = e->t + DISK_RETRY_S;
    if (rc < 0 && !strcmp(e->what, "disk-retry"))
        return rc; /* only a retry that worked is news */
    if (journal_format(e, line, sizeof line) < 0)
        return rc;
    tail_add(sv, line);
    if (jmsg_add(&sv->bc, line) < 0) {
        broadcast_flush(sv, (double)mono_ns() / 1e9);
        jmsg_add(&sv->bc, line);
    }
    return rc;
}

__attribute__((format(printf, 4, 5))) static void event(struct server *sv, const char *kind,
                                                        const char *what, const char *fmt, ...)
{
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    cp(e.user, sizeof e.user, "meltcon");
    cp(e.origin, sizeof e.origin, "server");
    cp(e.kind, sizeof e.kind, kind);
    cp(e.what, sizeof e.what, what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.result, sizeof e.result, fmt, ap);
    va_end(ap);
    journal_put(sv, &e, false);
}

/* A client's action refused by the server itself (not by the core's gate). */
static void refusal(struct server *sv, const struct session *s, const char *kind, const char *what,
                    const char *reason, const char *text)
{
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    cp(e.user, sizeof e.user, s->user);
    cp(e.origin, sizeof e.origin, s->origin);
    cp(e.kind, sizeof e.kind, kind);
    cp(e.what, sizeof e.what, what);
    cp(e.reason, sizeof e.reason, reason);
    snprintf(e.result, sizeof e.result, "refused: %s", text);
    journal_put(sv, &e, true);
}

/* ---- sessions ------------------------------------------------------------------------ */

static void drop(struct server *sv, int slot, const char *why, bool journal)
{
    struct session *s = &sv->ss.s[slot];
    if (journal) {
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        cp(e.user, sizeof e.user, s->user);
        cp(e.origin, sizeof e.origin, s->origin);
        cp(e.kind, sizeof e.kind, "session");
        cp(e.what, sizeof e.what, "client");
        snprintf(e.result, sizeof e.result, "closed: %s", why ? why : "-");
        journal_put(sv, &e, false);
        sv->ss.dropped++;
    }
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0 && sv->jobs[j].session_id == s->id) {
            kill(sv->jobs[j].pid, SIGKILL);
            close(sv->jobs[j].fd);
            sv->jobs[j].pid = 0;
        }
    session_close(&sv->ss, slot, why);
}

static void send_reply(struct server *sv, int slot, long id, bool ok, const char *text, double now)
{
    struct snap_reply r = {.id = id, .ok = ok};
    cp(r.text, sizeof r.text, text);
    snap_reply_encode(&r, &sv->out);
    if (sv->out.overflow || session_send(&sv->ss.s[slot], sv->out.buf, sv->out.len, true, now) < 0)
        drop(sv, slot, "it does not read its replies", true);
}

static void broadcast_flush(struct server *sv, double now)
{
    if (sv->bc.nlines == 0)
        return;
    for (int i = 0; i < sv->ss.max; i++) {
        struct session *s = &sv->ss.s[i];
        if (s->fd >= 0 && !s->quiet && session_send(s, sv->bc.buf, sv->bc.len, false, now) < 0)
            drop(sv, i, "connection lost", false);
    }
    jmsg_begin(&sv->bc, 0);
}

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
        event(sv, "server", "state", "cannot keep the loops' settings in %s: %s", path,
              strerror(errno));
    }
}

static void restore_state(struct server *sv)
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
    event(sv, "server", "state", "restored the modes, setpoints and tuning of %d loops from %s%s%s",
          k, path, *err ? ": " : "", err);
}

/* Journal every result of the core; answer the client that asked. */
static void drain_results(struct server *sv, double now)
{
    int n;
    while ((n = core_results_take(&sv->core, sv->res, (int)(sizeof sv->res / sizeof sv->res[0]))) >
           0) {
        for (int i = 0; i < n; i++) {
            const struct core_result *r = &sv->res[i];
            struct journal_entry e;
            memset(&e, 0, sizeof e);
            cp(e.user, sizeof e.user, r->user);
            cp(e.origin, sizeof e.origin, r->origin);
            cp(e.kind, sizeof e.kind, r->kind);
            cp(e.what, sizeof e.what, r->what);
            cp(e.old_value, sizeof e.old_value, r->old_v);
            cp(e.new_value, sizeof e.new_value, r->new_v);
            cp(e.reason, sizeof e.reason, r->reason);
            if (!r->ok)
                snprintf(e.result, sizeof e.result, "refused: %s", r->text);
            else if (*r->text)
                snprintf(e.result, sizeof e.result, "ok: %s", r->text);
            else
                cp(e.result, sizeof e.result, "ok");
            bool asked = r->client >= 0;
            int rc = journal_put(sv, &e, asked);
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
            send_reply(sv, slot, r->id, r->ok, text, now);
        }
    }
}

static void send_hello(struct server *sv, int slot, double now)
{
    struct session *s = &sv->ss.s[slot];
    struct snap_hello h;
    memset(&h, 0, sizeof h);
    cp(h.furnace, sizeof h.furnace, sv->cfg->furnace.name);
    cp(h.user, sizeof h.user, s->user);
    cp(h.role, sizeof h.role, core_role_name(s->role));
    h.server_pid = (long)getpid();
    if (sv->t_plc_mode >= 0 && sv->tags[sv->t_plc_mode].q == Q_GOOD)
        h.plc_mode = (int)sv->tags[sv->t_plc_mode].v;
    cp(h.config, sizeof h.config, sv->cfg->path);
    snap_hello_encode(&h, &sv->out);
    if (session_send(s, sv->out.buf, sv->out.len, true, now) < 0) {
        drop(sv, slot, "connection lost", false);
        return;
    }
    struct jmsg *m = malloc(sizeof *m);
    if (!m)
        return;
    jmsg_begin(m, 0);
    int first = (sv->tail_head + TAIL_LINES - sv->tail_n) % TAIL_LINES;
    for (int i = 0; i < sv->tail_n; i++)
        if (jmsg_add(m, sv->tail[(first + i) % TAIL_LINES]) < 0)
            break;
    if (session_send(s, m->buf, m->len, false, now) < 0)
        drop(sv, slot, "connection lost", false);
    free(m);
}

static void accept_clients(struct server *sv, double now)
{
    for (int k = 0; k < 8; k++) {
        char why[300];
        int slot = session_accept(&sv->ss, &sv->cfg->server, now, why, sizeof why);
        if (slot >= 0) {
            send_hello(sv, slot, now);
            continue;
        }
        if (!*why)
            return;
        event(sv, "session", "connect", "refused: %s", why);
    }
}

/* ---- jobs: file readers in a child process ------------------------------------------- */

static int write_line(const struct journal_entry *e, const char *line, void *ctx)
{
    char text[JOURNAL_LINE_MAX];
    (void)line;
    if (journal_format(e, text, sizeof text) < 0)
        return 0;
    return fprintf((FILE *)ctx, "%s\n", text) < 0;
}

/* The child: read the files, write lines and one status line, exit. */
static void job_child(const struct server *sv, int wfd, const struct job_spec *sp)
{
    signal(SIGPIPE, SIG_DFL); /* the client went away: stop at once */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (wfd != 3 && dup2(wfd, 3) < 0)
        _exit(1);
    close_range(4, ~0U, 0);
    FILE *f = fdopen(3, "w");
    if (!f)
        _exit(1);
    bool ok = true;
    char text[600];
    switch (sp->kind) {
    case JOB_TAIL: {
        struct journal_entry *e = malloc(sizeof *e * (size_t)sp->n);
        int n = e ? journal_tail(sv->journal_dir, e, sp->n) : -1;
        for (int i = 0; i < n; i++)
            write_line(&e[i], NULL, f);
        ok = n >= 0;
        if (ok)
            snprintf(text, sizeof text, "%d journal lines", n);
        else
            snprintf(text, sizeof text, "cannot read the journal in %s: %s", sv->journal_dir,
                     strerror(errno));
        free(e);
        break;
    }
    case JOB_SINCE: {
        long n = journal_read(sv->journal_dir, sp->from, 0, write_line, f);
        ok = n >= 0;
        if (ok)
            snprintf(text, sizeof text, "%ld journal lines", n);
        else
            snprintf(text, sizeof text, "cannot read the journal in %s: %s", sv->journal_dir,
                     strerror(errno));
        break;
    }
    case JOB_VERIFY: {
        struct journal_check chk;
        memset(&chk, 0, sizeof chk);
        int rc = journal_verify(sv->journal_dir, &chk);
        ok = rc == 0;
        if (rc < 0)
            snprintf(text, sizeof text, "cannot read the journal in %s: %s", sv->journal_dir,
                     strerror(errno));
        else
            snprintf(text, sizeof text, "%s", chk.text);
        break;
    }
    case JOB_EXPORT: {
        long n = hist_export_csv(sv->hist_dir, sp->from, sp->to, sp->tags, sp->ntags, f);
        ok = n >= 0;
        if (ok)
            snprintf(text, sizeof text, "%ld rows", n);
        else
            snprintf(text, sizeof text, "cannot read the historian in %s: %s", sv->hist_dir,
                     strerror(errno));
        break;
    }
    }
    fprintf(f, "%c%d %s\n", JOB_STATUS, ok, text);
    fclose(f);
    _exit(0);
}

static int job_start(struct server *sv, int slot, const struct snap_req *r,
                     const struct job_spec *sp, char *why, size_t whylen)
{
    struct job *j = NULL;
    for (int i = 0; i < SERVER_JOBS && !j; i++)
        if (sv->jobs[i].pid == 0)
            j = &sv->jobs[i];
    if (!j) {
        snprintf(why, whylen, "%d journal or export requests are running; try again shortly",
                 SERVER_JOBS);
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        job_child(sv, p[1], sp);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    memset(j, 0, offsetof(struct job, part));
    j->in_off = j->in_len = 0;
    j->pid = pid;
    j->fd = p[0];
    j->session_id = sv->ss.s[slot].id;
    j->req_id = r->id;
    cp(j->verb, sizeof j->verb, r->verb);
    jmsg_begin(&j->m, r->id);
    /* a journal reader re-reads the lines logged meanwhile from the file, so
     * its session skips the live ones (each line once, in order); an export
     * does not, so its session keeps getting them */
    if (!strcmp(r->verb, "journal"))
        sv->ss.s[slot].quiet = true;
    return 0;
}

static void job_end(struct server *sv, struct job *j, int slot, double now)
{
    close(j->fd);
    j->pid = 0;
    if (slot < 0)
        return;
    struct session *s = &sv->ss.s[slot];
    char text[700];
    if (!j->have_status)
        snprintf(text, sizeof text, "%s: the reader ended without an answer", j->verb);
    else
        snprintf(text, sizeof text, "%s", j->status);
    bool still = false;
    for (int i = 0; i < SERVER_JOBS; i++)
        still |= sv->jobs[i].pid > 0 && sv->jobs[i].session_id == s->id &&
                 !strcmp(sv->jobs[i].verb, "journal");
    s->quiet = still;
    send_reply(sv, slot, j->req_id, j->have_status && j->status_ok, text, now);
}

/* Take one line from the pipe: the status line, or one for the message.
 * Returns -1 when the message is full (the line is not taken). */
static int job_line(struct job *j, const char *line)
{
    if (line[0] == JOB_STATUS) {
        j->have_status = true;
        j->status_ok = line[1] == '1';
        cp(j->status, sizeof j->status, line[1] && line[2] ? line + 3 : "");
        return 0;
    }
    if (jmsg_add(&j->m, line) < 0)
        return -1;
    j->lines++;
    return 0;
}

/* Move the job's output on: send the message in hand when the client's
 * socket takes it, take lines from the pipe while the message has room,
 * answer at the end.  Returns when the socket is full or the pipe empty
 * (poll brings it back) or after a bounded amount of work. */
static void job_pump(struct server *sv, struct job *j, double now)
{
    int slot = session_find(&sv->ss, j->session_id);
    if (slot < 0) {
        kill(j->pid, SIGKILL);
        job_end(sv, j, -1, now);
        return;
    }
    for (int round = 0; round < 64; round++) {
        if (j->ready) {
            int r = session_try(&sv->ss.s[slot], j->m.buf, j->m.len, now);
            if (r < 0) {
                drop(sv, slot, "connection lost", false);
                return;
            }
            if (r == 0)
                return;
            j->ready = false;
            jmsg_begin(&j->m, j->req_id);
        }
        while (j->in_off < j->in_len && !j->ready) {
            char ch = j->in[j->in_off];
            if (ch == '\n') {
                j->part[j->plen] = 0;
                if (job_line(j, j->part) < 0) {
                    j->ready = true;
                    break;
                }
                j->plen = 0;
            } else if (j->plen < LINE_WIRE_MAX) {
                j->part[j->plen++] = ch;
            }
            j->in_off++;
        }
        if (j->ready)
            continue;
        if (j->eof) {
            if (j->m.nlines > 0) {
                j->ready = true;
                continue;
            }
            job_end(sv, j, slot, now);
            return;
        }
        ssize_t n = read(j->fd, j->in, sizeof j->in);
        j->in_off = 0;
        j->in_len = n > 0 ? (size_t)n : 0;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            j->ready = j->m.nlines > 0; /* the reader is slow: send what we have */
            if (!j->ready)
                return;
        } else if (n <= 0) {
            j->eof = true;
            if (j->plen > 0) { /* a last line without its newline */
                j->in[0] = '\n';
                j->in_len = 1;
            }
        }
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

/* export target=TAG,TAG... (empty: every stored tag) value="FROM TO" (Unix times) */
static int export_spec(const struct server *sv, const struct snap_req *r, struct job_spec *sp,
                       char *names, size_t nlen, char *why, size_t n)
{
    memset(sp, 0, sizeof *sp);
    sp->kind = JOB_EXPORT;
    char a[64], b[64];
    if (sscanf(r->value, "%63s %63s", a, b) != 2 || parse_num(a, &sp->from) < 0 ||
        parse_num(b, &sp->to) < 0 || sp->to <= sp->from) {
        snprintf(why, n, "export \"%s\": expected FROM TO as Unix times, FROM before TO", r->value);
        return -1;
    }
    cp(names, nlen, r->target);
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

static void handle_req(struct server *sv, int slot, const struct snap_req *r, double now)
{
    struct session *s = &sv->ss.s[slot];
    char why[300];
    if (!strcmp(r->verb, "origin")) {
        char o[SESSION_ORIGIN_MAX];
        size_t k = 0;
        for (const char *p = r->value; *p && k + 1 < sizeof o; p++)
            if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
                o[k++] = *p;
        o[k] = 0;
        if (k)
            cp(s->origin, sizeof s->origin, o);
        send_reply(sv, slot, r->id, true, s->origin, now);
        return;
    }
    if (!strcmp(r->verb, "journal") || !strcmp(r->verb, "export")) {
        struct job_spec sp;
        char names[sizeof r->target];
        bool j = r->verb[0] == 'j';
        int rc = j ? journal_spec(r, &sp, why, sizeof why)
                   : export_spec(sv, r, &sp, names, sizeof names, why, sizeof why);
        if (rc == 0 && job_start(sv, slot, r, &sp, why, sizeof why) == 0)
            return;
        send_reply(sv, slot, r->id, false, why, now);
        return;
    }
    if (!strcmp(r->verb, "stop")) {
        if (s->role != ROLE_ENGINEER) {
            snprintf(why, sizeof why,
                     "stop: stopping the server needs the engineer role (the PLC watchdog would "
                     "put the burners to low fire); you are %s",
                     core_role_name(s->role));
            refusal(sv, s, "server", "stop", r->reason, why);
            send_reply(sv, slot, r->id, false, why, now);
            return;
        }
        snprintf(sv->stop_by, sizeof sv->stop_by, "%s@%s", s->user, s->origin);
        struct journal_entry e;
        memset(&e, 0, sizeof e);
        cp(e.user, sizeof e.user, s->user);
        cp(e.origin, sizeof e.origin, s->origin);
        cp(e.kind, sizeof e.kind, "server");
        cp(e.what, sizeof e.what, "stop");
        cp(e.reason, sizeof e.reason, r->reason);
        cp(e.result, sizeof e.result, "ok: stopping");
        journal_put(sv, &e, true);
        snprintf(why, sizeof why,
                 "server stopping; without a server the PLC's watchdog puts "
                 "the burners to low fire");
        send_reply(sv, slot, r->id, true, why, now);
        sv->stopping = true;
        return;
    }
    struct core_req q;
    memset(&q, 0, sizeof q);
    q.id = r->id;
    q.client = s->id;
    q.role = s->role;
    cp(q.user, sizeof q.user, s->user);
    cp(q.origin, sizeof q.origin, s->origin);
    cp(q.verb, sizeof q.verb, r->verb);
    cp(q.target, sizeof q.target, r->target);
    cp(q.value, sizeof q.value, r->value);
    cp(q.reason, sizeof q.reason, r->reason);
    core_request(&sv->core, &q);
    drain_results(sv, now);
}

static void client_input(struct server *sv, int slot, double now)
{
    for (int k = 0; k < 8; k++) {
        struct session *s = &sv->ss.s[slot];
        if (s->fd < 0)
            return;
        ssize_t n = recv(s->fd, sv->rx, sizeof sv->rx, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                drop(sv, slot, "connection lost", false);
            return;
        }
        if (n == 0) {
            drop(sv, slot, NULL, false);
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
            drop(sv, slot, NULL, false);
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
        drop(sv, slot, why, true);
        return;
    }
}

/* ---- the cycle ------------------------------------------------------------------------------ */

static void link_event(struct server *sv)
{
    int st = sv->link.stats.state == PLC_UP ? PLC_UP : PLC_DOWN;
    if (st == sv->link_state)
        return;
    sv->link_state = st;
    if (st == PLC_UP)
        event(sv, "link", "plc", "PLC link up: %s:%d answering (%lu reconnects)", sv->cfg->plc.host,
              sv->cfg->plc.port, sv->link.stats.reconnects);
    else
        event(sv, "link", "plc", "PLC link down: %s", sv->link.stats.last_error);
}

static void stage_outputs(struct server *sv, uint64_t now_ms)
{
    const struct core *k = &sv->core;
    char err[200] = "";
    for (int i = 0; i < k->nwrites; i++) {
        char e1[200];
        if (plc_write(&sv->link, k->writes[i].tag, k->writes[i].value, e1, sizeof e1) < 0 && !*err)
            cp(err, sizeof err, e1);
    }
    if (k->cmd_write) {
        int t[3];
        double v[3];
        for (int i = 0; i < 3; i++) {
            t[i] = k->cmd_out[i].tag;
            v[i] = k->cmd_out[i].value;
        }
        char e2[200];
        if (plc_write_now(&sv->link, t, v, 3, now_ms, e2, sizeof e2) < 0)
            event(sv, "cmd", "plc", "command not sent: %s", e2);
    }
    if (*err && strcmp(err, sv->write_err) != 0)
        event(sv, "link", "write", "output not written: %s", err);
    cp(sv->write_err, sizeof sv->write_err, err);
    plc_flush_writes(&sv->link, now_ms);
}

static void prune(struct server *sv, double wall)
{
    long day = (long)floor(wall / 86400.0);
    if (day == sv->day)
        return;
    sv->day = day;
    int a = journal_prune(sv->journal_dir, wall, sv->cfg->server.journal_retention_days);
    int b = hist_prune(sv->hist_dir, wall, sv->cfg->server.historian_retention_days);
    if (a > 0 || b > 0)
        event(sv, "server", "retention", "removed %d journal and %d historian day files",
              a > 0 ? a : 0, b > 0 ? b : 0);
}

static void cycle(struct server *sv, int64_t now_ns)
{
    double mono = (double)now_ns / 1e9, wall = wall_now();
    uint64_t now_ms = (uint64_t)(now_ns / 1000000);
    int rc = plc_read_all(&sv->link, now_ms, sv->tags);
    /* a block refused on the first read (before the link re-plans around
     * unmapped addresses) leaves its tags BAD_COMMS: the core waits for a
     * good read-back of every output before it writes (core.c), so the link
     * counts as up as soon as the PLC answers */
    bool up = rc >= 0 && sv->link.stats.state == PLC_UP;
    link_event(sv);
    for (int i = 0; i < sv->cfg->ntags; i++)
        sv->age[i] = sv->link.ever_read[i] ? (double)(now_ms - sv->link.read_ms[i]) / 1000.0 : -1;

    int tc = sv->t_plc_clock;
    bool clk = up && tc >= 0 && sv->tags[tc].q == Q_GOOD;
    double dt = cycle_pclock_step(&sv->pclock, mono, clk, tc >= 0 ? sv->tags[tc].v : 0);

    if (!sv->journal_ok && wall >= sv->journal_retry)
        event(sv, "server", "disk-retry", "journal writes again after a failure");
    struct core_status st = {.link_up = up, .disk_ok = sv->journal_ok && sv->hist_ok};
    struct core_times tm = {.t_proc = sv->pclock.t, .dt_proc = dt, .t_mono = mono};
    core_step(&sv->core, sv->tags, &st, &tm);
    stage_outputs(sv, now_ms);
    drain_results(sv, mono);
    if (hist_sample(&sv->hist, wall, sv->tags) < 0) {
        if (sv->hist_ok)
            event(sv, "server", "historian", "historian cannot write: %s",
                  strerror(sv->hist.last_errno));
        sv->hist_ok = false;
    } else {
        sv->hist_ok = true;
    }
    prune(sv, wall);
    sv->cycles++;
}

static void publish(struct server *sv, double mono)
{
    if (mono < sv->next_snap)
        return;
    sv->next_snap += sv->snap_every;
    if (sv->next_snap < mono)
        sv->next_snap = mono + sv->snap_every;
    bool any = false;
    for (int i = 0; i < sv->ss.max && !any; i++)
        any = sv->ss.s[i].fd >= 0;
    if (!any)
        return;
    struct snap *s = &sv->snap;
    memset(s, 0, sizeof *s);
    core_snapshot(&sv->core, sv->tags, sv->age, sv->link.raw, s);
    s->seq = ++sv->snap_seq;
    s->wall = wall_now();
    s->cycles = sv->cycles;
    s->slow_cycles = sv->slow;
    cycle_lat_get(&sv->lat, &s->late_p50_ms, &s->late_p99_ms, &s->late_max_ms);
    s->period_ms = sv->cfg->cycle.period_ms;
    const struct plc_stats *ps = &sv->link.stats;
    s->link = ps->state == PLC_UP           ? LINK_UP
              : ps->state == PLC_CONNECTING ? LINK_CONNECTING
                                            : LINK_DOWN;
    s->reconnects = (uint32_t)ps->reconnects;
    for (int t = 0; t < PLC_TABLES; t++) {
        s->transactions += (uint32_t)ps->transactions[t];
        s->errors += (uint32_t)ps->errors[t];
    }
    s->rtt_ms = (double)ps->rtt_us / 1000.0;
    s->last_good_age_s =
        ps->ever_good ? (mono * 1000.0 - (double)ps->last_good_read_ms) / 1000.0 : -1;
    cp(s->link_err, sizeof s->link_err, ps->last_error);
    snap_encode(s, &sv->out);
    if (sv->out.overflow)
        return;
    for (int i = 0; i < sv->ss.max; i++)
        if (sv->ss.s[i].fd >= 0 &&
            session_send(&sv->ss.s[i], sv->out.buf, sv->out.len, false, mono) < 0)
            drop(sv, i, "connection lost", false);
}

/* Drop clients that took nothing for SESSION_DROP_S; reap finished children. */
static void housekeeping(struct server *sv, double mono)
{
    for (int i = 0; i < sv->ss.max; i++)
        if (session_stuck(&sv->ss.s[i], mono))
            drop(sv, i, "not reading: nothing could be sent for 10 s", true);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

/* ---- serving between cycles ---------------------------------------------------------------- */

static void add_pfd(struct server *sv, int fd, short ev, int kind, int ref)
{
    sv->pfd[sv->npfd] = (struct pollfd){.fd = fd, .events = ev};
    sv->pfd_kind[sv->npfd] = kind;
    sv->pfd_ref[sv->npfd] = ref;
    sv->npfd++;
}

static bool job_waits_for(const struct server *sv, int session_id)
{
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0 && sv->jobs[j].session_id == session_id && sv->jobs[j].ready)
            return true;
    return false;
}

static void build_pfds(struct server *sv)
{
    sv->npfd = 0;
    add_pfd(sv, sv->ss.listen_fd, POLLIN, PFD_LISTEN, 0);
    for (int i = 0; i < sv->ss.max; i++) {
        const struct session *s = &sv->ss.s[i];
        if (s->fd < 0)
            continue;
        short ev = POLLIN;
        if (s->nqueue > 0 || job_waits_for(sv, s->id))
            ev |= POLLOUT;
        add_pfd(sv, s->fd, ev, PFD_SESSION, i);
    }
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0 && !sv->jobs[j].ready && !sv->jobs[j].eof)
            add_pfd(sv, sv->jobs[j].fd, POLLIN, PFD_JOB, j);
}

/* Serve what poll() found.  Client requests and job output wait in their
 * sockets and pipes (for the next round) once the deadline is 1 ms away. */
static void handle_pfds(struct server *sv, int64_t deadline)
{
    for (int i = 0; i < sv->npfd; i++) {
        short re = sv->pfd[i].revents;
        if (!re)
            continue;
        if (mono_ns() > deadline - 1000000)
            return;
        double now = (double)mono_ns() / 1e9;
        int ref = sv->pfd_ref[i];
        switch (sv->pfd_kind[i]) {
        case PFD_LISTEN:
            accept_clients(sv, now);
            break;
        case PFD_SESSION: {
            struct session *s = &sv->ss.s[ref];
            if (s->fd != sv->pfd[i].fd)
                break; /* closed and maybe reused in this round */
            if (re & POLLOUT) {
                if (session_flush(s, now) < 0) {
                    drop(sv, ref, "connection lost", false);
                    break;
                }
                for (int j = 0; j < SERVER_JOBS; j++)
                    if (sv->jobs[j].pid > 0 && sv->jobs[j].session_id == s->id)
                        job_pump(sv, &sv->jobs[j], now);
            }
            if (re & (POLLIN | POLLHUP | POLLERR))
                client_input(sv, ref, now);
            break;
        }
        case PFD_JOB:
            if (sv->jobs[ref].pid > 0)
                job_pump(sv, &sv->jobs[ref], now);
            break;
        }
    }
}

static void sleep_until(int64_t deadline)
{
    struct timespec ts = ns_ts(deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_signal)
        ;
}

/* Serve clients until 1 ms before the deadline, then sleep to it exactly. */
static void serve_until(struct server *sv, int64_t deadline)
{
    for (;;) {
        if (stop_signal || sv->stopping)
            return;
        int64_t now = mono_ns(), rem = deadline - now;
        if (rem <= 0)
            return;
        if (rem <= 1000000) {
            sleep_until(deadline);
            return;
        }
        build_pfds(sv);
        struct timespec ts = ns_ts(rem - 1000000);
        int r = ppoll(sv->pfd, (nfds_t)sv->npfd, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            sleep_until(deadline);
            return;
        }
        if (r > 0)
            handle_pfds(sv, deadline);
        broadcast_flush(sv, (double)mono_ns() / 1e9);
    }
}

static void run_loop(struct server *sv)
{
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on the deadline, not up to 50 us after it */
    int64_t deadline = mono_ns(), prev = 0;
    double slow_ns = sv->cfg->cycle.slow_factor * (double)sv->period_ns;
    while (!stop_signal && !sv->stopping) {
        serve_until(sv, deadline);
        if (stop_signal || sv->stopping)
            break;
        int64_t start = mono_ns();
        cycle_lat_add(&sv->lat, (double)(start - deadline) / 1e6);
        if (prev && (double)(start - prev) > slow_ns)
            sv->slow++;
        prev = start;
        cycle(sv, start);
        double mono = (double)start / 1e9;
        publish(sv, mono);
        housekeeping(sv, mono);
        broadcast_flush(sv, mono);
        uint64_t missed = sv->missed;
        deadline = cycle_deadline_next(deadline, mono_ns(), sv->period_ns, &sv->missed);
        if (sv->missed != missed)
            event(sv, "server", "cycle",
                  "%llu cycle deadlines missed (the server was held up "
                  "%.0f ms); the schedule carries on",
                  (unsigned long long)(sv->missed - missed), (double)(mono_ns() - start) / 1e6);
    }
}

/* ---- life ----------------------------------------------------------------------------------- */

static int mkdirs(const char *path, mode_t mode, char *err, size_t errlen)
{
    char p[CFG_PATH_MAX + 96];
    cp(p, sizeof p, path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
            return -1;
        }
        *s = c;
        if (!c)
            break;
    }
    return 0;
}

/* Say how the start went to a waiting parent ("ok PID" / "error TEXT"). */
static void notify(int fd, const char *text)
{
    if (fd < 0)
        return;
    ssize_t n = write(fd, text, strlen(text));
    (void)n;
    close(fd);
}

static int fail_start(int notify_fd, char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    if (notify_fd >= 0) {
        char buf[700];
        snprintf(buf, sizeof buf, "error %s", text);
        notify(notify_fd, buf);
    }
    return 1;
}

static void set_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL); /* an SSH drop never stops the control loop */
    sigaction(SIGPIPE, &sa, NULL);
}

static int serve(struct server *sv, int notify_fd, char *msg, size_t msglen)
{
    const struct cfg *c = sv->cfg;
    char err[600];
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(sv->lock_fd, 0) < 0 || pwrite(sv->lock_fd, pid, (size_t)n, 0) != n)
        return fail_start(notify_fd, msg, msglen, "cannot write the pid to the lock file");
    set_signals();
    if (journal_open(&sv->jnl, sv->journal_dir, wall_now()) < 0) {
        snprintf(err, sizeof err, "cannot open the journal in %s: %s", sv->journal_dir,
                 strerror(errno));
        return fail_start(notify_fd, msg, msglen, err);
    }
    sv->journal_ok = true;
    if (hist_open(&sv->hist, sv->hist_dir, c) < 0) {
        snprintf(err, sizeof err, "cannot open the historian in %s: %s", sv->hist_dir,
                 strerror(errno));
        journal_close(&sv->jnl);
        return fail_start(notify_fd, msg, msglen, err);
    }
    sv->hist_ok = true;
    if (core_init(&sv->core, c, err, sizeof err) < 0 ||
        !(sv->mb = plc_modbus_new(&c->plc, err, sizeof err)) ||
        session_listen(&sv->ss, sv->sock, c->server.max_clients, err, sizeof err) < 0) {
        if (sv->mb)
            plc_modbus_free(sv->mb);
        hist_close(&sv->hist);
        journal_close(&sv->jnl);
        return fail_start(notify_fd, msg, msglen, err);
    }
    restore_state(sv);
    int npfd = 1 + sv->ss.max + SERVER_JOBS;
    sv->pfd = calloc((size_t)npfd, sizeof *sv->pfd);
    sv->pfd_kind = calloc((size_t)npfd, sizeof *sv->pfd_kind);
    sv->pfd_ref = calloc((size_t)npfd, sizeof *sv->pfd_ref);
    int64_t t0 = mono_ns();
    plc_open(&sv->link, c, &plc_modbus_ops, sv->mb, (uint64_t)(t0 / 1000000));
    sv->t_plc_clock = cfg_tag_index(c, "plc_clock");
    sv->t_plc_mode = cfg_tag_index(c, "plc_mode");
    double res = sv->t_plc_clock >= 0 ? fabs(c->tags[sv->t_plc_clock].scale) : 1;
    cycle_pclock_init(&sv->pclock, c->cycle.clock == CLOCK_SRC_PLC && sv->t_plc_clock >= 0,
                      c->cycle.period_ms / 1000.0, res);
    cycle_lat_init(&sv->lat);
    sv->period_ns = (int64_t)c->cycle.period_ms * 1000000;
    sv->snap_every = 1.0 / c->cycle.ui_rate_hz;
    sv->next_snap = (double)t0 / 1e9;
    sv->link_state = -1;
    sv->day = -1;
    for (int i = 0; i < CFG_MAX_TAGS; i++)
        sv->tags[i] = (struct tag_value){.v = 0, .q = Q_BAD_COMMS};
    jmsg_begin(&sv->bc, 0);
    /* the tail clients get on connect starts from the file */
    struct journal_entry *te = malloc(sizeof *te * TAIL_LINES);
    int nt = te ? journal_tail(sv->journal_dir, te, TAIL_LINES) : 0;
    for (int i = 0; i < nt; i++) {
        char line[JOURNAL_LINE_MAX];
        if (journal_format(&te[i], line, sizeof line) >= 0)
            tail_add(sv, line);
    }
    free(te);
    event(sv, "server", "start",
          "server started: pid %ld, config %s, PLC %s:%d, socket %s, "
          "period %d ms",
          (long)getpid(), c->path, c->plc.host, c->plc.port, sv->sock, c->cycle.period_ms);
    char ok[64];
    snprintf(ok, sizeof ok, "ok %ld", (long)getpid());
    notify(notify_fd, ok);
    if (notify_fd < 0)
        fprintf(stderr, "meltcon server: furnace %s, pid %ld, socket %s, PLC %s:%d\n",
                c->furnace.name, (long)getpid(), sv->sock, c->plc.host, c->plc.port);

    run_loop(sv);

    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0) {
            kill(sv->jobs[j].pid, SIGKILL);
            close(sv->jobs[j].fd);
        }
    if (stop_signal)
        snprintf(sv->stop_by, sizeof sv->stop_by, "signal %s", strsignal(stop_signal));
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    cp(e.user, sizeof e.user, "meltcon");
    cp(e.origin, sizeof e.origin, "server");
    cp(e.kind, sizeof e.kind, "server");
    cp(e.what, sizeof e.what, "stop");
    snprintf(e.result, sizeof e.result, "server stopped (%s) after %llu cycles", sv->stop_by,
             (unsigned long long)sv->cycles);
    journal_put(sv, &e, true);
    broadcast_flush(sv, (double)mono_ns() / 1e9);
    session_shutdown(&sv->ss, "server stopped");
    plc_close(&sv->link);
    plc_modbus_free(sv->mb);
    hist_close(&sv->hist);
    journal_close(&sv->jnl);
    free(sv->pfd);
    free(sv->pfd_kind);
    free(sv->pfd_ref);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    if (notify_fd < 0)
        fprintf(stderr, "meltcon server: stopped (%s)\n", sv->stop_by);
    snprintf(msg, msglen, "server stopped (%s)", sv->stop_by);
    return 0;
}

/* Wait for the detached server's word, then for its socket to answer. */
static int wait_started(int rfd, const char *sock, char *msg, size_t msglen)
{
    char buf[700] = "";
    size_t got = 0;
    int64_t end = mono_ns() + (int64_t)NOTIFY_TIMEOUT_MS * 1000000;
    for (;;) {
        int left = (int)((end - mono_ns()) / 1000000);
        struct pollfd p = {.fd = rfd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            snprintf(msg, msglen, "the server did not report within %d s; see its log",
                     NOTIFY_TIMEOUT_MS / 1000);
            return 1;
        }
        ssize_t n = read(rfd, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    if (strncmp(buf, "ok ", 3) != 0) {
        snprintf(msg, msglen, "%s",
                 !strncmp(buf, "error ", 6) ? buf + 6
                                            : "the server ended before it was ready; see its log");
        return 1;
    }
    long pid = strtol(buf + 3, NULL, 10);
    char err[200];
    int fd = session_connect(sock, err, sizeof err);
    if (fd < 0) {
        snprintf(msg, msglen, "server started (pid %ld) but its socket does not answer: %s", pid,
                 err);
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 2000);
    close(fd);
    if (r <= 0) {
        snprintf(msg, msglen, "server started (pid %ld) but its socket does not answer", pid);
        return 1;
    }
    snprintf(msg, msglen, "server started (pid %ld), socket %s", pid, sock);
    return 0;
}

static int start_detached(struct server *sv, char *msg, size_t msglen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(msg, msglen, "pipe: %s", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return 1;
    }
    if (pid == 0) {
        close(p[0]);
        if (setsid() < 0)
            _exit(1);
        pid_t second = fork();
        if (second != 0)
            _exit(second < 0);
        char log[CFG_PATH_MAX + 96];
        snprintf(log, sizeof log, "%s/server.log", sv->state_dir);
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (nul >= 0)
            dup2(nul, 0);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        if (nul > 2)
            close(nul);
        if (lf > 2)
            close(lf);
        if (chdir("/") < 0)
            _exit(1);
        char m[700];
        int rc = serve(sv, p[1], m, sizeof m);
        fflush(NULL);
        _exit(rc);
    }
    close(p[1]);
    waitpid(pid, NULL, 0);
    int rc = wait_started(p[0], sv->sock, msg, msglen);
    close(p[0]);
    return rc;
}

int server_run(const struct cfg *c, bool foreground, char *msg, size_t msglen)
{
    struct server *sv = calloc(1, sizeof *sv);
    char err[600];
    if (!sv) {
        snprintf(msg, msglen, "out of memory");
        return 1;
    }
    sv->cfg = c;
    sv->lock_fd = -1;
    int rc = 1;
    if (session_state_dir(c, sv->state_dir, sizeof sv->state_dir, err, sizeof err) < 0 ||
        session_socket_path(c, sv->sock, sizeof sv->sock, err, sizeof err) < 0) {
        snprintf(msg, msglen, "%s", err);
        goto out;
    }
    snprintf(sv->journal_dir, sizeof sv->journal_dir, "%s/journal", sv->state_dir);
    snprintf(sv->hist_dir, sizeof sv->hist_dir, "%s/hist", sv->state_dir);
    if (mkdirs(sv->journal_dir, 0750, err, sizeof err) < 0 ||
        mkdirs(sv->hist_dir, 0750, err, sizeof err) < 0) {
        snprintf(msg, msglen, "%s", err);
        goto out;
    }
    char lock[CFG_PATH_MAX + 96];
    snprintf(lock, sizeof lock, "%s/server.lock", sv->state_dir);
    sv->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (sv->lock_fd < 0) {
        snprintf(msg, msglen, "cannot open %s: %s", lock, strerror(errno));
        goto out;
    }
    if (flock(sv->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(sv->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        if (e == EWOULDBLOCK)
            snprintf(msg, msglen, "server already running (pid %s)", *pid ? pid : "?");
        else
            snprintf(msg, msglen, "cannot lock %s: %s", lock, strerror(e));
        goto out;
    }
    rc = foreground ? serve(sv, -1, msg, msglen) : start_detached(sv, msg, msglen);
out:
    if (sv->lock_fd >= 0)
        close(sv->lock_fd);
    free(sv);
    return rc;
}
