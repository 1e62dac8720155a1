/* server_jobs — journal and export readers in forked child processes (see
 * server_int.h).
 *
 * Anything that reads files for a client (the `journal` and `export` verbs)
 * runs in a child that writes lines into a pipe and ends with one status
 * line: the server forwards them as `journal` messages tagged id=REQUEST,
 * as fast as the client reads, and then the reply.
 *
 * `journal --follow` sees each line once, in order, with none missing: the
 * client of a journal reader gets no broadcast while it runs (the reader
 * reads the file, which has them, or not, depending on when it read); the
 * server keeps every line logged meanwhile with its sequence number
 * (server_jobs_live), the reader says in its status line the newest it
 * sent (n=), and after the reply the server sends the kept lines past that
 * one, untagged, as live lines.  Only then, at a moment when no broadcast
 * is pending (server_jobs_settle, after a broadcast), does the client's
 * broadcast resume, so a line is neither lost in between nor sent twice.
 * Before this, the lines logged between the reader's read and its end were
 * in neither stream.
 *
 * Children are reaped by identity: waitpid() on each job's own pid
 * (server_jobs_reap), never waitpid(-1); a job's pid is kept until then, so
 * kill() only ever reaches our own unreaped child, never a reused pid.
 */
#include "server_int.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cov.h"
#include "util.h"

#define JOB_STATUS '\x1e' /* starts the last line a job writes: its answer */

/* ---- the child ---------------------------------------------------------------------- */

static int write_line(const struct journal_entry *e, const char *line, void *ctx)
{
    char text[JOURNAL_LINE_MAX];
    (void)line;
    if (journal_format(e, text, sizeof text) < 0)
        return 0;
    return fprintf((FILE *)ctx, "%s\n", text) < 0;
}

struct child_out {
    FILE *f;
    long seq_max; /* the newest line written (its n=) */
};

static int write_entry(const struct journal_entry *e, const char *line, void *ctx)
{
    struct child_out *o = ctx;
    if (e->seq > o->seq_max)
        o->seq_max = e->seq;
    return write_line(e, line, o->f);
}

/* The child: read the files, write lines and one status line, exit.  The
 * status line: JOB_STATUS, 1 or 0 (ok), the newest journal sequence number
 * written (0: none), the sentence. */
static void job_child(const struct server *sv, int wfd, const struct job_spec *sp)
{
    signal(SIGPIPE, SIG_DFL); /* the client went away: stop at once */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (wfd != 3 && dup2(wfd, 3) < 0) {
        cov_flush();
        _exit(1);
    }
    close_range(4, ~0U, 0);
    FILE *f = fdopen(3, "w");
    if (!f) {
        cov_flush();
        _exit(1);
    }
    bool ok = true;
    char text[600];
    struct child_out out = {.f = f};
    switch (sp->kind) {
    case JOB_TAIL: {
        struct journal_entry *e = malloc(sizeof *e * (size_t)sp->n);
        int n = e ? journal_tail(sv->journal_dir, e, sp->n) : -1;
        for (int i = 0; i < n; i++)
            write_entry(&e[i], NULL, &out);
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
        long n = journal_read(sv->journal_dir, sp->from, 0, write_entry, &out);
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
        /* with the key the server read at its start; no heads: it is the
         * one publishing them (`meltcon journal --verify --heads` checks those) */
        struct journal_verify_opts vo = {.key_state = 1, .key = sv->journal_key, .live = true};
        int rc = journal_verify_with(sv->journal_dir, &vo, &chk);
        ok = rc == 0;
        if (rc < 0)
            snprintf(text, sizeof text, "cannot read the journal in %s: %s", sv->journal_dir,
                     strerror(errno));
        else if (chk.note[0]) /* what was not checked (lines of an earlier key), cut to fit */
            snprintf(text, sizeof text, "%.300s; note: %.280s", chk.text, chk.note);
        else
            snprintf(text, sizeof text, "%s", chk.text);
        break;
    }
    case JOB_EXPORT: {
        /* SQLite's locks are per process and its bookkeeping of them is inherited: a
         * child forked from the server (which has historian.db open) must not open it.
         * A fresh image of this program does (server_export_job_main), on fd 3. */
        char from[40], to[40], flags[16], tags[CFG_MAX_TAGS * CFG_NAME_MAX];
        snprintf(from, sizeof from, "%.17g", sp->from);
        snprintf(to, sizeof to, "%.17g", sp->to);
        snprintf(flags, sizeof flags, "%u", sp->xflags);
        size_t len = 0;
        tags[0] = '\0';
        for (int i = 0; i < sp->ntags && len + CFG_NAME_MAX + 1 < sizeof tags; i++)
            len += (size_t)snprintf(tags + len, sizeof tags - len, "%s%s", i ? "," : "",
                                    sp->tags[i]);
        fflush(f);
        cov_flush();
        execl("/proc/self/exe", "meltcon", SERVER_EXPORT_JOB, sv->hist_dir, from, to, flags,
              tags, (char *)NULL);
        ok = false;
        snprintf(text, sizeof text, "cannot run the export (/proc/self/exe): %s",
                 strerror(errno));
        break;
    }
    }
    fprintf(f, "%c%d %ld %s\n", JOB_STATUS, ok, out.seq_max, text);
    fclose(f);
    cov_flush();
    _exit(0);
}

/* ---- the server's side ---------------------------------------------------------------- */

int server_job_start(struct server *sv, int slot, const struct snap_req *r,
                     const struct job_spec *sp, char *why, size_t whylen)
{
    struct job *j = NULL;
    for (int i = 0; i < SERVER_JOBS && !j; i++)
        if (!sv->jobs[i].used && sv->jobs[i].pid == 0)
            j = &sv->jobs[i];
    if (!j) {
        snprintf(why, whylen, "%d journal or export requests are running; try again shortly",
                 SERVER_JOBS);
        return -1;
    }
    bool journal = !strcmp(r->verb, "journal");
    struct job_live *live = NULL;
    if (journal && !(live = malloc(sizeof *live * JOB_LIVE_MAX))) {
        snprintf(why, whylen, "out of memory for a journal reader");
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        free(live);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        free(live);
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
    j->used = true;
    j->pid = pid;
    j->fd = p[0];
    j->live = live;
    j->session_id = sv->ss.s[slot].id;
    j->req_id = r->id;
    (void)str_copy(j->verb, sizeof j->verb, r->verb);
    server_jmsg_begin(&j->m, r->id);
    /* a journal reader's session skips the live broadcast until the reader
     * is done, and gets the lines logged meanwhile from the job instead
     * (each line once, in order); an export's session keeps getting them */
    if (journal)
        sv->ss.s[slot].quiet = true;
    return 0;
}

/* The job serves no client any more: its pipe and kept lines go; its
 * child, if not reaped yet, is killed (it is ours until reaped) and the
 * slot stays taken until server_jobs_reap() reaps it. */
static void job_free(struct server *sv, struct job *j)
{
    if (j->pid > 0 && !j->eof) /* after its end of file it is leaving by itself */
        kill(j->pid, SIGKILL);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    for (int i = j->live_next; i < j->nlive; i++)
        free(j->live[i].line);
    free(j->live);
    j->live = NULL;
    j->nlive = j->live_next = 0;
    j->used = false;
    bool quiet = false;
    int slot = session_find(&sv->ss, j->session_id);
    for (int i = 0; i < SERVER_JOBS; i++)
        quiet |= sv->jobs[i].used && sv->jobs[i].session_id == j->session_id &&
                 !strcmp(sv->jobs[i].verb, "journal");
    if (slot >= 0)
        sv->ss.s[slot].quiet = quiet;
}

/* The reader has said everything: answer the request, then (a journal
 * reader) send the lines logged meanwhile that it did not read. */
static void job_reply(struct server *sv, struct job *j, int slot, double now)
{
    close(j->fd);
    j->fd = -1;
    char text[sizeof j->status + 160];
    if (!j->have_status)
        snprintf(text, sizeof text, "%s: the reader ended without an answer", j->verb);
    else if (j->live_lost)
        snprintf(text, sizeof text,
                 "%s; %lu lines logged meanwhile could not be kept for you: read them with "
                 "`meltcon journal --since`",
                 j->status, j->live_lost);
    else
        snprintf(text, sizeof text, "%s", j->status);
    j->replied = true;
    int id = j->session_id;
    server_reply(sv, slot, j->req_id, j->have_status && j->status_ok, text, now);
    if (session_find(&sv->ss, id) < 0)
        return; /* dropped for not reading its replies: the job went with it */
    server_jmsg_begin(&j->m, 0); /* what follows the reply is the live journal */
}

/* Take one line from the pipe: the status line, or one for the message.
 * Returns -1 when the message is full (the line is not taken). */
static int job_line(struct job *j, const char *line)
{
    if (line[0] == JOB_STATUS) {
        char *end = NULL;
        j->have_status = true;
        j->status_ok = line[1] == '1';
        j->seq_max = line[1] && line[2] == ' ' ? strtol(line + 3, &end, 10) : 0;
        (void)str_copy(j->status, sizeof j->status, end && *end == ' ' ? end + 1 : "");
        return 0;
    }
    if (server_jmsg_add(&j->m, line) < 0)
        return -1;
    j->lines++;
    return 0;
}

/* After the reply: put the kept lines the reader did not send (newer than
 * its seq_max, or never written to the file) into the message.  True when
 * there is a message to send. */
static bool live_fill(struct job *j)
{
    while (j->live_next < j->nlive) {
        struct job_live *l = &j->live[j->live_next];
        if ((l->seq <= 0 || l->seq > j->seq_max) && server_jmsg_add(&j->m, l->line) < 0) {
            if (j->m.nlines > 0)
                break; /* full: the rest in the next message */
            j->live_lost++; /* cannot happen: one line always fits an empty message */
        }
        free(l->line);
        l->line = NULL;
        j->live_next++;
    }
    if (j->live_next == j->nlive)
        j->live_next = j->nlive = 0;
    j->ready = j->m.nlines > 0;
    return j->ready;
}

/* Move the job's output on: send the message in hand when the client's
 * socket takes it, take lines from the pipe while the message has room,
 * answer at the end, then send the lines logged meanwhile.  Returns when
 * the socket is full or the pipe empty (poll brings it back) or after a
 * bounded amount of work. */
void server_job_pump(struct server *sv, struct job *j, double now)
{
    int slot = session_find(&sv->ss, j->session_id);
    if (slot < 0) {
        job_free(sv, j);
        return;
    }
    for (int round = 0; round < 64; round++) {
        if (j->ready) {
            int r = session_try(&sv->ss.s[slot], j->m.buf, j->m.len, now);
            if (r < 0) {
                server_drop(sv, slot, "connection lost", false);
                return;
            }
            if (r == 0)
                return;
            j->ready = false;
            server_jmsg_begin(&j->m, j->replied ? 0 : j->req_id);
        }
        if (j->replied) {
            /* the rest, and the end of the job, after the next broadcast
             * (server_jobs_settle): lines may be on their way in it */
            if (!live_fill(j))
                return;
            continue;
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
            job_reply(sv, j, slot, now);
            if (session_find(&sv->ss, j->session_id) != slot)
                return;
            if (!j->live) { /* an export: nothing was held back */
                job_free(sv, j);
                return;
            }
            continue;
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

bool server_job_waits_for(const struct server *sv, int session_id)
{
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].used && sv->jobs[j].session_id == session_id && sv->jobs[j].ready)
            return true;
    return false;
}

void server_jobs_kill(struct server *sv, int session_id)
{
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].used && (session_id < 0 || sv->jobs[j].session_id == session_id))
            job_free(sv, &sv->jobs[j]);
}

void server_jobs_reap(struct server *sv, double wait_s)
{
    for (int tries = 0;; tries++) {
        bool left = false;
        for (int j = 0; j < SERVER_JOBS; j++) {
            pid_t pid = sv->jobs[j].pid;
            if (pid <= 0)
                continue;
            pid_t r = waitpid(pid, NULL, WNOHANG);
            if (r == pid || (r < 0 && errno == ECHILD))
                sv->jobs[j].pid = 0;
            else
                left = true;
        }
        if (!left || tries * 0.01 >= wait_s)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

void server_jobs_live(struct server *sv, long seq, const char *line)
{
    for (int i = 0; i < SERVER_JOBS; i++) {
        struct job *j = &sv->jobs[i];
        if (!j->used || !j->live)
            continue;
        char *copy = NULL;
        if (j->nlive >= JOB_LIVE_MAX || !(copy = strdup(line))) {
            j->live_lost++;
            continue;
        }
        j->live[j->nlive++] = (struct job_live){.seq = seq, .line = copy};
    }
}

void server_jobs_settle(struct server *sv, double now)
{
    for (int i = 0; i < SERVER_JOBS; i++) {
        struct job *j = &sv->jobs[i];
        if (!j->used || !j->replied || j->ready)
            continue;
        server_job_pump(sv, j, now); /* lines kept since: into a message */
        /* the writer puts a line in the file before the cycle publishes it:
         * a reader may have sent lines the clients have not been given yet,
         * and the client's broadcast may resume only after those (else they
         * would reach it twice) */
        if (j->used && !j->ready && j->live_next == j->nlive &&
            (!j->live || sv->published_seq >= j->seq_max))
            job_free(sv, j);
    }
}

/* A number the server wrote (%.17g, %u): strtod to the end, finite. */
static int job_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end == s || *end || errno || !isfinite(*v) ? -1 : 0;
}

int server_export_job_main(int argc, char **argv)
{
    FILE *f = fdopen(3, "w");
    if (!f)
        return 1;
    double from, to, flags;
    const char *tags[CFG_MAX_TAGS];
    int ntags = 0;
    char text[600];
    bool ok = false;
    if (argc != 6 || job_num(argv[2], &from) < 0 || job_num(argv[3], &to) < 0 ||
        job_num(argv[4], &flags) < 0) {
        snprintf(text, sizeof text, "export: bad arguments for %s", SERVER_EXPORT_JOB);
    } else {
        for (char *save = NULL, *t = strtok_r(argv[5], ",", &save); t && ntags < CFG_MAX_TAGS;
             t = strtok_r(NULL, ",", &save))
            tags[ntags++] = t;
        long n = hist_export(argv[1], from, to, tags, ntags, (unsigned)flags, f);
        ok = n >= 0;
        if (ok)
            snprintf(text, sizeof text, "%ld rows", n);
        else
            snprintf(text, sizeof text, "cannot read the historian in %s: %s", argv[1],
                     strerror(errno));
    }
    fprintf(f, "%c%d %ld %s\n", JOB_STATUS, ok, 0L, text);
    fclose(f);
    cov_flush();
    return 0;
}
