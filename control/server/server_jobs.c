/* server_jobs — journal and export readers in forked child processes (see
 * server_int.h).
 *
 * Anything that reads files for a client (the `journal` and `export` verbs)
 * runs in a child that writes lines into a pipe and ends with one status
 * line: the server forwards them as `journal` messages tagged id=REQUEST,
 * as fast as the client reads, and then the reply.  A client with a journal
 * job gets no journal broadcast meanwhile (the job reads those lines from
 * the file), so `journal --follow` sees each line once, in order.
 */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The child: read the files, write lines and one status line, exit. */
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
    cov_flush();
    _exit(0);
}

/* ---- the server's side ---------------------------------------------------------------- */

int server_job_start(struct server *sv, int slot, const struct snap_req *r,
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
    (void)str_copy(j->verb, sizeof j->verb, r->verb);
    server_jmsg_begin(&j->m, r->id);
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
    server_reply(sv, slot, j->req_id, j->have_status && j->status_ok, text, now);
}

/* Take one line from the pipe: the status line, or one for the message.
 * Returns -1 when the message is full (the line is not taken). */
static int job_line(struct job *j, const char *line)
{
    if (line[0] == JOB_STATUS) {
        j->have_status = true;
        j->status_ok = line[1] == '1';
        (void)str_copy(j->status, sizeof j->status, line[1] && line[2] ? line + 3 : "");
        return 0;
    }
    if (server_jmsg_add(&j->m, line) < 0)
        return -1;
    j->lines++;
    return 0;
}

/* Move the job's output on: send the message in hand when the client's
 * socket takes it, take lines from the pipe while the message has room,
 * answer at the end.  Returns when the socket is full or the pipe empty
 * (poll brings it back) or after a bounded amount of work. */
void server_job_pump(struct server *sv, struct job *j, double now)
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
                server_drop(sv, slot, "connection lost", false);
                return;
            }
            if (r == 0)
                return;
            j->ready = false;
            server_jmsg_begin(&j->m, j->req_id);
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

bool server_job_waits_for(const struct server *sv, int session_id)
{
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0 && sv->jobs[j].session_id == session_id && sv->jobs[j].ready)
            return true;
    return false;
}

void server_jobs_kill(struct server *sv, int session_id)
{
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].pid > 0 && (session_id < 0 || sv->jobs[j].session_id == session_id)) {
            kill(sv->jobs[j].pid, SIGKILL);
            close(sv->jobs[j].fd);
            sv->jobs[j].pid = 0;
        }
}
