/* writer — the record written off the control cycle (see writer.h).
 *
 * The queue is a ring of WR_QUEUE slots and three counters, each only ever
 * growing, guarded by one mutex:
 *
 *   tail <= done <= head       [tail, done) finished, for the cycle to take
 *                              [done, head) queued, for the writer
 *   head - tail <= WR_QUEUE    a push beyond that is refused (lost++)
 *
 * The cycle writes only the slot at head (before it moves head) and reads
 * only the slot at tail (after done passed it); the writer works on
 * [done, end) with end = head at the start of its round, without the lock:
 * no slot has two owners.  The round:
 *
 *   lock: end = head, the state text if it changed, the newest image; unlock
 *   journal_append(line) for each slot in [done, end)      (no fsync yet)
 *   fsync(journal) once if any line went in; a failed fsync fails them all
 *   save the state if it changed (tmp, fsync, rename, fsync dir)
 *   hist_sample(image) if one came
 *   statvfs(state_dir): free space against the reserve; the day's prune
 *   lock: done = end, the status; unlock; wake the cycle (eventfd)
 *
 * A line that the journal refuses is finished with its errno: the writer
 * never retries it (the cycle has it for the system journal and the
 * clients, and counts it), so a full disk never holds back the lines
 * behind it.  A state that could not be saved stays due and is tried again
 * every WR_RETRY_S and at the next change.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "util.h"

struct wr_slot {
    struct journal_entry e;
    long long seq;
    bool state;
    unsigned long long state_gen; /* the state generation it needs on disk */
    int err, state_err;
};

struct wr_note_s {
    char what[JOURNAL_WHAT_MAX];
    char text[WR_NOTE_MAX];
};

struct wr {
    struct wr_conf c;
    struct journal j;
    struct hist h;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int efd;
    bool stop;
    unsigned long long head, done, tail;
    struct wr_slot slot[WR_QUEUE];
    /* the loops' state: the newest text and its generation; what is on disk */
    char state[WR_STATE_MAX];
    size_t state_len;
    unsigned long long state_gen, state_saved;
    double state_retry; /* monotonic s: a failed save is tried again from here */
    /* the historian's newest image */
    bool img_new;
    double img_t;
    int img_n;
    struct tag_value img[CFG_MAX_TAGS];
    /* sentences for the journal */
    int nnotes;
    struct wr_note_s notes[WR_NOTES];
    struct wr_status st;
    long prune_day;
    /* the writer's own copies, taken at a round's start */
    char w_state[WR_STATE_MAX];
    struct tag_value w_img[CFG_MAX_TAGS];
};

_Static_assert(WR_QUEUE >= 2 * WR_HEADROOM, "the headroom is a small part of the queue");

/* ---- helpers (writer thread unless said) ----------------------------------------------- */

static int do_fsync(const struct wr *w, int fd)
{
    return w->c.fsync ? w->c.fsync(fd, w->c.fsync_ctx) : fsync(fd);
}

static void wake_cycle(struct wr *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->efd, &one, sizeof one);
    (void)n; /* EAGAIN: the counter is already non-zero, the cycle will look */
}

/* A sentence for the journal (under the lock).  The oldest is kept when
 * the list is full: the first failure says most. */
__attribute__((format(printf, 3, 4))) static void note(struct wr *w, const char *what,
                                                       const char *fmt, ...)
{
    if (w->nnotes >= WR_NOTES)
        return;
    struct wr_note_s *n = &w->notes[w->nnotes++];
    (void)str_copy(n->what, sizeof n->what, what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text, sizeof n->text, fmt, ap);
    va_end(ap);
}

void wr_state_path(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/loops.state", dir);
}

/* Keep the loops' state: written whole to a temporary file, synced, renamed
 * over loops.state and the directory synced, so a crash leaves the old or
 * the new file, never half of one.  0, or an errno. */
static int save_state(struct wr *w, const char *text, size_t n)
{
    char path[sizeof w->c.state_dir + 32], tmp[sizeof w->c.state_dir + 40];
    wr_state_path(w->c.state_dir, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return errno;
    size_t off = 0;
    int err = 0;
    while (off < n && !err) {
        ssize_t k = write(fd, text + off, n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            err = k < 0 ? errno : EIO;
        else
            off += (size_t)k;
    }
    if (!err && do_fsync(w, fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        return err;
    }
    int dfd = open(w->c.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno;
    err = do_fsync(w, dfd) != 0 ? errno : 0;
    close(dfd);
    return err;
}

/* Free bytes for an unprivileged writer in the state directory's file system, -1 unknown. */
static long long free_bytes(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0)
        return -1;
    return (long long)v.f_bavail * (long long)v.f_frsize;
}

/* ---- the round ---------------------------------------------------------------------------- */

struct round {
    unsigned long long from, end;
    bool state_due;
    unsigned long long state_gen;
    size_t state_len;
    bool img;
    double img_t;
    bool stopping;
};

/* Wait for work (lock held): lines, a new image, a state due, a stop, or a
 * second gone by (free space, the day's prune, a state to try again). */
static void wait_work(struct wr *w)
{
    double t_end = clock_mono_s() + 1.0;
    for (;;) {
        double now = clock_mono_s();
        bool state_due = w->state_gen != w->state_saved && now >= w->state_retry;
        if (w->stop || w->done != w->head || w->img_new || state_due || now >= t_end)
            return;
        double until = t_end;
        if (w->state_gen != w->state_saved && w->state_retry < until)
            until = w->state_retry;
        struct timespec ts = clock_ts((int64_t)(until * 1e9));
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
}

static void take_round(struct wr *w, struct round *r)
{
    memset(r, 0, sizeof *r);
    r->from = w->done;
    r->end = w->head;
    r->stopping = w->stop;
    bool lines_need_state = false;
    for (unsigned long long i = r->from; i < r->end; i++)
        lines_need_state |= w->slot[i % WR_QUEUE].state;
    if (w->state_gen != w->state_saved &&
        (lines_need_state || r->stopping || clock_mono_s() >= w->state_retry)) {
        r->state_due = true;
        r->state_gen = w->state_gen;
        r->state_len = w->state_len;
        memcpy(w->w_state, w->state, w->state_len);
    }
    if (w->img_new) {
        r->img = true;
        r->img_t = w->img_t;
        memcpy(w->w_img, w->img, sizeof w->img[0] * (size_t)w->img_n);
        w->img_new = false;
    }
}

/* Append the round's lines, then one fsync.  Returns the errno of the last
 * failure (0 none) and whether any line was tried. */
static int write_lines(struct wr *w, const struct round *r, unsigned long long *written)
{
    int last = 0;
    bool any = false;
    *written = 0;
    for (unsigned long long i = r->from; i < r->end; i++) {
        struct wr_slot *s = &w->slot[i % WR_QUEUE];
        if (journal_append(&w->j, &s->e, false) == 0) {
            s->err = 0;
            s->e.seq = w->j.seq;
            any = true;
            (*written)++;
        } else {
            s->err = last = errno ? errno : EIO;
        }
    }
    if (r->end == r->from)
        return 0;
    if (journal_sync(&w->j, w->c.fsync, w->c.fsync_ctx) != 0 && any) {
        /* written but maybe not on disk: none of them is confirmed */
        int e = errno ? errno : EIO;
        for (unsigned long long i = r->from; i < r->end; i++)
            if (w->slot[i % WR_QUEUE].err == 0)
                w->slot[i % WR_QUEUE].err = e;
        last = e;
        *written = 0;
    }
    return last;
}

static void prune(struct wr *w, double wall)
{
    long day = (long)floor(wall / 86400.0);
    if (day == w->prune_day)
        return;
    w->prune_day = day;
    int a = journal_prune(w->c.journal_dir, wall, w->c.journal_retention_days);
    int ea = errno;
    /* the historian deletes its old samples on its own thread; it says so (hist_note) */
    hist_retain(&w->h, wall, w->c.hist_retention_days);
    pthread_mutex_lock(&w->mu);
    if (a < 0)
        note(w, "retention", "cannot remove old day files from %s: %s", w->c.journal_dir,
             strerror(ea));
    if (a > 0)
        note(w, "retention", "removed %d journal day files", a);
    pthread_mutex_unlock(&w->mu);
}

static void *run(void *arg)
{
    struct wr *w = arg;
    for (;;) {
        struct round r;
        pthread_mutex_lock(&w->mu);
        wait_work(w);
        take_round(w, &r);
        pthread_mutex_unlock(&w->mu);

        unsigned long long written = 0;
        int jerr = write_lines(w, &r, &written);
        int serr = r.state_due ? save_state(w, w->w_state, r.state_len) : 0;
        int herr = 0;
        if (r.img && hist_sample(&w->h, r.img_t, w->w_img) < 0)
            herr = w->h.last_errno ? w->h.last_errno : EIO;
        long long fb = free_bytes(w->c.state_dir);
        prune(w, clock_wall_s());
        char hnote[HIST_NOTE_MAX];
        while (hist_note(&w->h, hnote, sizeof hnote)) {
            pthread_mutex_lock(&w->mu);
            note(w, "historian", "%s", hnote);
            pthread_mutex_unlock(&w->mu);
        }

        pthread_mutex_lock(&w->mu);
        struct wr_status old = w->st;
        struct wr_status *st = &w->st;
        if (r.end > r.from) {
            st->journal_ok = jerr == 0;
            st->journal_errno = jerr;
            st->rounds++;
            if (written)
                st->journal_fsyncs++;
            st->lines += written;
            st->failed += (r.end - r.from) - written;
        }
        if (r.state_due) {
            st->state_ok = serr == 0;
            st->state_errno = serr;
            if (serr == 0) {
                w->state_saved = r.state_gen;
                st->state_saves++;
            } else {
                w->state_retry = clock_mono_s() + WR_RETRY_S;
                if (old.state_ok) {
                    char path[sizeof w->c.state_dir + 32];
                    wr_state_path(w->c.state_dir, path, sizeof path);
                    note(w, "state", "cannot keep the loops' settings in %s: %s", path,
                         strerror(serr));
                }
            }
        }
        for (unsigned long long i = r.from; i < r.end; i++) {
            struct wr_slot *s = &w->slot[i % WR_QUEUE];
            if (s->state)
                s->state_err = w->state_saved >= s->state_gen ? 0
                               : st->state_errno              ? st->state_errno
                                                              : EAGAIN;
        }
        if (r.img) {
            st->hist_ok = herr == 0;
            st->hist_errno = herr;
        }
        st->free_bytes = fb;
        st->space_ok = fb < 0 || fb >= w->c.reserve_bytes;
        w->done = r.end;
        bool changed = r.end > r.from || w->nnotes > 0 || old.journal_ok != st->journal_ok ||
                       old.state_ok != st->state_ok || old.hist_ok != st->hist_ok ||
                       old.space_ok != st->space_ok;
        bool finished =
            r.stopping && w->done == w->head && (w->state_gen == w->state_saved || r.state_due);
        pthread_mutex_unlock(&w->mu);
        if (changed)
            wake_cycle(w);
        if (finished)
            return NULL;
    }
}

/* ---- the cycle's side ----------------------------------------------------------------------- */

struct wr *wr_start(const struct wr_conf *c, struct journal *j, struct hist *h, char *err,
                    size_t errlen)
{
    struct wr *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory for the writer");
        return NULL;
    }
    w->c = *c;
    if (w->c.reserve_bytes < 0)
        w->c.reserve_bytes = 0;
    w->j = *j;
    w->h = *h;
    w->prune_day = -1;
    w->st = (struct wr_status){
        .journal_ok = true, .state_ok = true, .hist_ok = true, .space_ok = true, .free_bytes = -1};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->mu, NULL);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int e = w->efd < 0 ? errno : pthread_create(&w->thread, NULL, run, w);
    if (e) {
        snprintf(err, errlen, "cannot start the writer: %s", strerror(e));
        if (w->efd >= 0)
            close(w->efd);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    w->running = true;
    j->fd = -1; /* the writer's now, and the heads it publishes */
    j->publish = NULL;
    h->db = NULL;
    return w;
}

void wr_stop(struct wr *w)
{
    if (!w || !w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = false;
    journal_close(&w->j);
    hist_close(&w->h);
}

void wr_free(struct wr *w)
{
    if (!w)
        return;
    wr_stop(w);
    close(w->efd);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

long long wr_push(struct wr *w, const struct journal_entry *e, bool state)
{
    pthread_mutex_lock(&w->mu);
    if (w->head - w->tail >= WR_QUEUE || !w->running || w->stop) {
        w->st.lost++;
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    struct wr_slot *s = &w->slot[w->head % WR_QUEUE];
    s->e = *e;
    s->seq = (long long)w->head;
    s->state = state;
    s->state_gen = w->state_gen;
    s->err = s->state_err = 0;
    long long seq = s->seq;
    w->head++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return seq;
}

void wr_state(struct wr *w, const char *text, size_t len)
{
    if (len > sizeof w->state)
        len = sizeof w->state; /* the caller's buffer is WR_STATE_MAX (server_record.c) */
    pthread_mutex_lock(&w->mu);
    memcpy(w->state, text, len);
    w->state_len = len;
    w->state_gen++;
    w->state_retry = 0; /* a change is tried at once */
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void wr_sample(struct wr *w, double wall, const struct tag_value *tags, int ntags)
{
    if (ntags > CFG_MAX_TAGS)
        ntags = CFG_MAX_TAGS;
    pthread_mutex_lock(&w->mu);
    memcpy(w->img, tags, sizeof w->img[0] * (size_t)ntags);
    w->img_n = ntags;
    w->img_t = wall;
    w->img_new = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int wr_take(struct wr *w, struct wr_done *out)
{
    pthread_mutex_lock(&w->mu);
    if (w->tail == w->done) {
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    const struct wr_slot *s = &w->slot[w->tail % WR_QUEUE];
    out->seq = s->seq;
    out->e = s->e;
    out->err = s->err;
    out->state = s->state;
    out->state_err = s->state_err;
    w->tail++;
    pthread_mutex_unlock(&w->mu);
    return 1;
}

int wr_note(struct wr *w, char *what, size_t wlen, char *buf, size_t len)
{
    pthread_mutex_lock(&w->mu);
    int got = w->nnotes > 0;
    if (got) {
        (void)str_copy(what, wlen, w->notes[0].what);
        (void)str_copy(buf, len, w->notes[0].text);
        w->nnotes--;
        memmove(&w->notes[0], &w->notes[1], sizeof w->notes[0] * (size_t)w->nnotes);
    }
    pthread_mutex_unlock(&w->mu);
    return got;
}

void wr_status(struct wr *w, struct wr_status *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->st;
    st->queued = (int)(w->head - w->tail);
    st->behind = WR_QUEUE - st->queued < WR_HEADROOM;
    pthread_mutex_unlock(&w->mu);
}

int wr_fd(const struct wr *w)
{
    return w->efd;
}

void wr_ack(struct wr *w)
{
    uint64_t v;
    ssize_t n = read(w->efd, &v, sizeof v);
    (void)n;
}
