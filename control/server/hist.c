/* hist — the historian, writing side (see hist.h; reading is hist_read.c).
 *
 * Storage rule, for each logged tag at each sampling instant (the first call with a new
 * slot = floor(t / period_s)), with v, q the offered value and quality and v0, q0, t0
 * the last queued sample:
 *
 *   queue when  nothing queued since open or since a failed transaction (every start
 *               and every recovery writes a full set)
 *           or  q != q0
 *           or  q GOOD and |v - v0| > band,   band = deadband_pct / 100 * (hi - lo)
 *           or  t - t0 >= HIST_HEARTBEAT_S, or t < t0 (the clock went back)
 *
 * The schema of DIR/historian.db (PRAGMA user_version = HIST_SCHEMA = 1):
 *
 *   tags      (id INTEGER PRIMARY KEY, name TEXT UNIQUE, unit TEXT, precision INTEGER)
 *             one row per tag ever stored; unit and precision (decimals of the
 *             register's step: scale 0.1 -> 1; float registers 3; 6 for a tag only
 *             known from an old day file) follow the config at each start
 *   qualities (code INTEGER PRIMARY KEY, name TEXT): 0 GOOD, 1 BAD, 2 COMMS, 3 STALE
 *   samples   (t REAL, tag INTEGER -> tags.id, value REAL, quality INTEGER -> qualities)
 *             PRIMARY KEY (t, tag), WITHOUT ROWID: one b-tree in time order.  t is
 *             Unix seconds (UTC); value is the engineering value, and when quality
 *             is not GOOD the last good value (NULL when there was none)
 *   events    (t REAL, kind TEXT, text TEXT): start, stop, lost, failed, import,
 *             retention - the historian's own record of itself
 *   imported  (file TEXT PRIMARY KEY, size INTEGER, rows INTEGER, t REAL): the old day
 *             files already imported
 *
 * The queue is a ring of HIST_QUEUE rows and two counters that only grow, under one
 * mutex: [tail, head) waits for the thread; hist_sample writes slots at head (and
 * moves head), the thread reads [tail, end) with end = head at the start of its round
 * without the lock and moves tail when the transaction is over: no slot has two
 * owners.  A row that would make head - tail exceed HIST_QUEUE is dropped (lost).
 *
 * Durability: WAL with synchronous=FULL, so each transaction is on disk (one
 * fdatasync of the WAL) before its rows count as written; a crash loses at most the
 * queue.
 */
#include "hist_int.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "dayfile.h"
#include "session.h"
#include "util.h"

#define NOTE_EVERY_S 60.0 /* at most one "lost" sentence this often */
#define NOTES 8

struct hist_row {
    double t, v;
    long long id;
    int q;
};

struct hist_db {
    sqlite3 *db;
    sqlite3_stmt *ins, *ev, *begin, *commit, *rollback, *prune;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv, idle;
    bool stop;
    unsigned long long head, tail;
    struct hist_row ring[HIST_QUEUE];
    struct hist_stats st;
    unsigned long long fail_gen, seen_fail_gen; /* failed transactions; seen by hist_sample */
    bool failing;                               /* the last transaction failed */
    unsigned long long lost_noted;
    double lost_note_t;
    bool prune_due, busy; /* busy: a round is being written */
    double prune_before;
    int nnotes;
    char notes[NOTES][HIST_NOTE_MAX];
};

int hist_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_FULL:
        return ENOSPC;
    case SQLITE_NOMEM:
        return ENOMEM;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
        return EACCES;
    case SQLITE_CANTOPEN:
        return ENOENT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EBUSY;
    default:
        return EIO;
    }
}

int hist_db_path(const char *dir, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", dir, HIST_DB);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int hist_dir_of(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen)
{
    return session_state_dir(c, buf, len, err, errlen);
}

/* ---- schema ------------------------------------------------------------------------------ */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS tags ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " unit TEXT NOT NULL DEFAULT '', precision INTEGER NOT NULL DEFAULT 6);"
    "CREATE TABLE IF NOT EXISTS qualities (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "INSERT OR IGNORE INTO qualities VALUES (0,'GOOD'),(1,'BAD'),(2,'COMMS'),(3,'STALE');"
    "CREATE TABLE IF NOT EXISTS samples ("
    " t REAL NOT NULL, tag INTEGER NOT NULL REFERENCES tags(id), value REAL,"
    " quality INTEGER NOT NULL REFERENCES qualities(code),"
    " PRIMARY KEY (t, tag)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS events (t REAL NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS imported ("
    " file TEXT PRIMARY KEY, size INTEGER NOT NULL, rows INTEGER NOT NULL, t REAL NOT NULL);";

static int int_of(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

int hist_schema(sqlite3 *db, char *err, size_t len)
{
    long long v = 0;
    int rc = int_of(db, "PRAGMA user_version", &v);
    if (rc != SQLITE_OK) {
        snprintf(err, len, "%s", sqlite3_errmsg(db));
        return -1;
    }
    if (v > HIST_SCHEMA) {
        snprintf(err, len,
                 "schema version %lld was written by a newer meltcon (this one knows %d)", v,
                 HIST_SCHEMA);
        return -1;
    }
    char *msg = NULL;
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK && v < HIST_SCHEMA)
        rc = sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, len, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* ---- notes and events (the thread, or open/close) ------------------------------------- */

__attribute__((format(printf, 2, 3))) static void note(struct hist_db *d, const char *fmt, ...)
{
    pthread_mutex_lock(&d->mu);
    if (d->nnotes < NOTES) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->notes[d->nnotes++], HIST_NOTE_MAX, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&d->mu);
}

/* An events row, in the current transaction or its own; errors are ignored (an event
 * the disk refuses is also in the journal, through hist_note). */
static void event(struct hist_db *d, double t, const char *kind, const char *text)
{
    sqlite3_bind_double(d->ev, 1, t);
    sqlite3_bind_text(d->ev, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(d->ev, 3, text, -1, SQLITE_STATIC);
    (void)sqlite3_step(d->ev);
    sqlite3_reset(d->ev);
    sqlite3_clear_bindings(d->ev);
}

static int step_reset(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* ---- the import of old day files ----------------------------------------------------------- */

struct import {
    sqlite3 *db;
    sqlite3_stmt *tag, *ins;
    char last[CFG_NAME_MAX];
    long long last_id;
    int rc;
    unsigned long long rows;
};

static long long import_tag(struct import *im, const char *name)
{
    if (im->last_id > 0 && !strcmp(im->last, name))
        return im->last_id;
    sqlite3_bind_text(im->tag, 1, name, -1, SQLITE_TRANSIENT);
    int rc = step_reset(im->tag);
    sqlite3_clear_bindings(im->tag);
    if (rc != SQLITE_OK) {
        im->rc = rc;
        return -1;
    }
    sqlite3_stmt *q;
    long long id = -1;
    if (sqlite3_prepare_v2(im->db, "SELECT id FROM tags WHERE name = ?", -1, &q, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) == SQLITE_ROW)
            id = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    (void)str_copy(im->last, sizeof im->last, name);
    im->last_id = id;
    return id;
}

static int import_sample(double t, const char *name, double v, enum tag_quality q, void *ctx)
{
    struct import *im = ctx;
    long long id = import_tag(im, name);
    if (id < 0)
        return 1;
    sqlite3_bind_double(im->ins, 1, t);
    sqlite3_bind_int64(im->ins, 2, id);
    if (isnan(v))
        sqlite3_bind_null(im->ins, 3);
    else
        sqlite3_bind_double(im->ins, 3, v);
    sqlite3_bind_int(im->ins, 4, (int)q);
    int rc = step_reset(im->ins);
    if (rc != SQLITE_OK) {
        im->rc = rc;
        return 1;
    }
    im->rows++;
    return 0;
}

int hist_import_v1(sqlite3 *db, const char *dir, double now, unsigned long long *rows,
                   char *note_buf, size_t len)
{
    char vdir[CFG_PATH_MAX + 16];
    *rows = 0;
    note_buf[0] = '\0';
    snprintf(vdir, sizeof vdir, "%s/%s", dir, HIST_V1_DIR);
    struct dayfile_list l;
    if (dayfile_list(vdir, "hist", "dat", &l) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* no old day files: nothing to import */
        snprintf(note_buf, len, "cannot list %s: %s", vdir, strerror(errno));
        return -1;
    }
    struct import im = {.db = db};
    sqlite3_stmt *seen = NULL, *mark = NULL;
    int files = 0, rc = SQLITE_OK;
    char first[11] = "", last[11] = "";
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM imported WHERE file = ?", -1, &seen, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO imported VALUES (?, ?, ?, ?)", -1, &mark, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO tags (name) VALUES (?)", -1, &im.tag,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?)", -1,
                                &im.ins, NULL);
    for (int i = 0; i < l.n && rc == SQLITE_OK; i++) {
        char path[CFG_PATH_MAX + 48], name[32], date[11];
        dayfile_date(l.day[i], date);
        snprintf(name, sizeof name, "hist-%s.dat", date);
        snprintf(path, sizeof path, "%s/%s", vdir, name);
        sqlite3_bind_text(seen, 1, name, -1, SQLITE_TRANSIENT);
        bool done = sqlite3_step(seen) == SQLITE_ROW;
        sqlite3_reset(seen);
        if (done)
            continue;
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        unsigned long long before = im.rows;
        if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
            break;
        im.last_id = 0;
        if (hist_v1_read(path, import_sample, &im) < 0 && im.rc == SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            snprintf(note_buf, len, "cannot read %s: %s", path, strerror(errno));
            im.rows = before;
            continue;
        }
        rc = im.rc;
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(mark, 1, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(mark, 2, (long long)st.st_size);
            sqlite3_bind_int64(mark, 3, (long long)(im.rows - before));
            sqlite3_bind_double(mark, 4, now);
            rc = step_reset(mark);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            im.rows = before;
            break;
        }
        files++;
        if (!first[0])
            memcpy(first, date, sizeof first);
        memcpy(last, date, sizeof last);
    }
    if (rc != SQLITE_OK)
        snprintf(note_buf, len, "cannot import the old day files of %s: %s", vdir,
                 sqlite3_errmsg(db));
    else if (files > 0)
        snprintf(note_buf, len, "imported %llu samples from %d old day file%s of %s (%s to %s)",
                 im.rows, files, files == 1 ? "" : "s", vdir, first, last);
    sqlite3_finalize(seen);
    sqlite3_finalize(mark);
    sqlite3_finalize(im.tag);
    sqlite3_finalize(im.ins);
    dayfile_list_free(&l);
    *rows = im.rows;
    return rc == SQLITE_OK ? files : -1;
}

/* ---- the thread -------------------------------------------------------------------------- */

/* Write rows [from, end) of the ring in one transaction: SQLITE_OK or the error. */
static int write_rows(struct hist_db *d, unsigned long long from, unsigned long long end)
{
    int rc = step_reset(d->begin);
    for (unsigned long long i = from; i < end && rc == SQLITE_OK; i++) {
        const struct hist_row *r = &d->ring[i % HIST_QUEUE];
        sqlite3_bind_double(d->ins, 1, r->t);
        sqlite3_bind_int64(d->ins, 2, r->id);
        if (isnan(r->v))
            sqlite3_bind_null(d->ins, 3);
        else
            sqlite3_bind_double(d->ins, 3, r->v);
        sqlite3_bind_int(d->ins, 4, r->q);
        rc = step_reset(d->ins);
    }
    if (rc == SQLITE_OK)
        rc = step_reset(d->commit);
    if (rc != SQLITE_OK)
        (void)step_reset(d->rollback);
    return rc;
}

static void do_prune(struct hist_db *d, double before)
{
    sqlite3_bind_double(d->prune, 1, before);
    int rc = step_reset(d->prune);
    long long n = sqlite3_changes64(d->db);
    char text[HIST_NOTE_MAX];
    char date[11];
    dayfile_date(dayfile_day(before), date);
    if (rc != SQLITE_OK) {
        note(d, "cannot remove historian samples before %s: %s", date, sqlite3_errmsg(d->db));
        return;
    }
    if (n <= 0)
        return;
    snprintf(text, sizeof text, "removed %lld historian samples from before %s", n, date);
    event(d, clock_wall_s(), "retention", text);
    note(d, "%s", text);
}

static void *run(void *arg)
{
    struct hist_db *d = arg;
    /* named from inside (prctl, not pthread_setname_np, which writes /proc/.../comm): a
     * test or an operator finds the thread that waits on the disk */
    (void)prctl(PR_SET_NAME, "meltcon-hist", 0, 0, 0);
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->stop && d->head == d->tail && !d->prune_due)
            pthread_cond_wait(&d->cv, &d->mu);
        unsigned long long from = d->tail, end = d->head;
        bool prune = d->prune_due;
        double before = d->prune_before;
        d->prune_due = false;
        if (from == end && !prune && d->stop)
            break;
        d->busy = true;
        pthread_mutex_unlock(&d->mu);

        int rc = from < end ? write_rows(d, from, end) : SQLITE_OK;
        if (prune)
            do_prune(d, before);

        pthread_mutex_lock(&d->mu);
        d->tail = end;
        unsigned long long n = end - from;
        if (n > 0 && rc == SQLITE_OK) {
            d->st.written += n;
            d->st.commits++;
            d->failing = false;
        } else if (n > 0) {
            d->st.failed += n;
            d->st.last_errno = hist_errno(rc);
            d->fail_gen++;
            if (!d->failing && d->nnotes < NOTES)
                snprintf(d->notes[d->nnotes++], HIST_NOTE_MAX,
                         "historian cannot write %llu samples to %s: %s", n, HIST_DB,
                         sqlite3_errstr(rc));
            d->failing = true;
        }
        unsigned long long lost = d->st.lost;
        double now = clock_mono_s();
        bool tell = lost > d->lost_noted && now - d->lost_note_t >= NOTE_EVERY_S;
        unsigned long long newly = lost - d->lost_noted;
        if (tell) {
            d->lost_noted = lost;
            d->lost_note_t = now;
        }
        pthread_mutex_unlock(&d->mu);
        if (tell) {
            char text[HIST_NOTE_MAX];
            snprintf(text, sizeof text,
                     "%llu historian samples lost: the queue of %d rows was full (the disk is "
                     "slower than the samples come)",
                     newly, HIST_QUEUE);
            event(d, clock_wall_s(), "lost", text);
            note(d, "%s", text);
        }
        pthread_mutex_lock(&d->mu);
        d->busy = false;
        pthread_cond_broadcast(&d->idle); /* hist_flush: the round and what it said */
    }
    pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* ---- open and close ---------------------------------------------------------------------- */

/* Decimals of a tag's register step: scale 0.1 -> 1, 1 -> 0, 0.25 -> 2; float 3. */
static int precision_of(const struct cfg_tag *t)
{
    if (t->type == TAG_FLOAT32)
        return 3;
    double step = fabs(t->scale);
    if (!(step > 0) || !isfinite(step))
        return 6;
    int p = 0;
    for (double m = 1; p < 9; p++, m *= 10) {
        double x = step * m;
        if (fabs(x - nearbyint(x)) < 1e-9 * (x > 1 ? x : 1))
            break;
    }
    return p;
}

static void db_free(struct hist_db *d)
{
    if (!d)
        return;
    sqlite3_finalize(d->ins);
    sqlite3_finalize(d->ev);
    sqlite3_finalize(d->begin);
    sqlite3_finalize(d->commit);
    sqlite3_finalize(d->rollback);
    sqlite3_finalize(d->prune);
    sqlite3_close(d->db);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    pthread_cond_destroy(&d->idle);
    free(d);
}

static int open_fail(struct hist_db *d, int err_no, char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int open_fail(struct hist_db *d, int err_no, char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    db_free(d);
    errno = err_no;
    return -1;
}

/* The tags of the config into the tags table, their ids into h. */
static int define_tags(struct hist *h, const struct cfg *c, sqlite3 *db)
{
    sqlite3_stmt *up = NULL, *id = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO tags (name, unit, precision) VALUES (?, ?, ?) "
                                "ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, "
                                "precision = excluded.precision",
                                -1, &up, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT id FROM tags WHERE name = ?", -1, &id, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < h->ntags && rc == SQLITE_OK; i++) {
        const struct cfg_tag *t = &c->tags[h->tags[i].idx];
        sqlite3_bind_text(up, 1, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, t->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int(up, 3, precision_of(t));
        rc = step_reset(up);
        sqlite3_bind_text(id, 1, t->name, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK && sqlite3_step(id) == SQLITE_ROW)
            h->tags[i].id = sqlite3_column_int64(id, 0);
        else if (rc == SQLITE_OK)
            rc = SQLITE_ERROR;
        sqlite3_reset(id);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(up);
    sqlite3_finalize(id);
    return rc;
}

/* SQLite, run as root, gives a new -wal or -shm file the database file's owner with
 * fchown(2); the server's files are its own account's already, and its unit's system
 * call filter refuses fchown: the VFS's fchown does nothing instead (hist_vfs_setup,
 * before every open, writer or reader). */
static int no_fchown(int fd, uid_t uid, gid_t gid)
{
    (void)fd;
    (void)uid;
    (void)gid;
    return 0;
}

void hist_vfs_setup(void)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    if (vfs && vfs->iVersion >= 3 && vfs->xSetSystemCall)
        (void)vfs->xSetSystemCall(vfs, "fchown", (sqlite3_syscall_ptr)no_fchown);
}

int hist_open_err(struct hist *h, const char *dir, const struct cfg *c, char *err, size_t len)
{
    memset(h, 0, sizeof *h);
    if (err && len)
        err[0] = '\0';
    if (strlen(dir) >= sizeof h->dir)
        return open_fail(NULL, ENAMETOOLONG, err, len, "%s: the path is too long", dir);
    struct stat st;
    if (stat(dir, &st) < 0)
        return open_fail(NULL, errno, err, len, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return open_fail(NULL, ENOTDIR, err, len, "%s: not a directory", dir);
    snprintf(h->dir, sizeof h->dir, "%s", dir);
    h->period_s = c->server.historian_period_s;
    h->deadband_pct = c->server.historian_deadband_pct;
    for (int i = 0; i < c->ntags && i < CFG_MAX_TAGS; i++) {
        const struct cfg_tag *t = &c->tags[i];
        double span;
        if (t->type == TAG_BOOL)
            continue;
        if (t->has_range)
            span = t->range_hi - t->range_lo;
        else if (t->has_eng_range)
            span = t->eng_hi - t->eng_lo;
        else
            continue;
        struct hist_tag *k = &h->tags[h->ntags++];
        snprintf(k->name, sizeof k->name, "%s", t->name);
        k->idx = i;
        k->band = fabs(span) * h->deadband_pct / 100.0;
    }

    char path[CFG_PATH_MAX + 32];
    if (hist_db_path(dir, path, sizeof path) < 0)
        return open_fail(NULL, ENAMETOOLONG, err, len, "%s: the path is too long", dir);
    hist_vfs_setup();
    struct hist_db *d = calloc(1, sizeof *d);
    if (!d)
        return open_fail(NULL, ENOMEM, err, len, "out of memory for the historian");
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_cond_init(&d->idle, NULL);
    int rc = sqlite3_open_v2(path, &d->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK)
        return open_fail(d, hist_errno(rc), err, len, "%s: %s", path,
                         d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
    sqlite3_busy_timeout(d->db, 5000);
    char *msg = NULL;
    char why[HIST_NOTE_MAX];
    rc = sqlite3_exec(d->db,
                      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                      "PRAGMA journal_size_limit = 16777216",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(why, sizeof why, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return open_fail(d, hist_errno(rc), err, len, "%s: %s", path, why);
    }
    if (hist_schema(d->db, why, sizeof why) < 0)
        return open_fail(d, EIO, err, len, "%s: %s", path, why);
    if ((rc = define_tags(h, c, d->db)) != SQLITE_OK)
        return open_fail(d, hist_errno(rc), err, len, "%s: %s", path, sqlite3_errmsg(d->db));
    rc = sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?)", -1,
                            &d->ins, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db, "INSERT INTO events VALUES (?, ?, ?)", -1, &d->ev, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db, "BEGIN IMMEDIATE", -1, &d->begin, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db, "COMMIT", -1, &d->commit, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db, "ROLLBACK", -1, &d->rollback, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(d->db, "DELETE FROM samples WHERE t < ?", -1, &d->prune, NULL);
    if (rc != SQLITE_OK)
        return open_fail(d, hist_errno(rc), err, len, "%s: %s", path, sqlite3_errmsg(d->db));

    double now = clock_wall_s();
    unsigned long long rows = 0;
    if (hist_import_v1(d->db, dir, now, &rows, why, sizeof why) < 0)
        return open_fail(d, EIO, err, len, "%s", why);
    d->st.imported = rows;
    if (why[0]) {
        event(d, now, "import", why);
        snprintf(d->notes[d->nnotes++], HIST_NOTE_MAX, "%s", why);
    }
    snprintf(why, sizeof why, "historian started: %d tags, sampled every %g s, deadband %g %%",
             h->ntags, h->period_s, h->deadband_pct);
    event(d, now, "start", why);

    d->running = pthread_create(&d->thread, NULL, run, d) == 0;
    if (!d->running)
        return open_fail(d, EAGAIN, err, len, "cannot start the historian's thread");
    h->db = d;
    return 0;
}

int hist_open(struct hist *h, const char *dir, const struct cfg *c)
{
    return hist_open_err(h, dir, c, NULL, 0);
}

void hist_close(struct hist *h)
{
    struct hist_db *d = h->db;
    if (!d)
        return;
    h->db = NULL;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    if (d->running)
        pthread_join(d->thread, NULL);
    char text[HIST_NOTE_MAX];
    snprintf(text, sizeof text,
             "historian stopped: %llu samples written, %llu lost (queue full), %llu failed",
             d->st.written, d->st.lost, d->st.failed);
    event(d, clock_wall_s(), "stop", text);
    db_free(d);
}

/* ---- the caller's side ------------------------------------------------------------------- */

static bool moved(const struct hist_tag *k, double v)
{
    if (isnan(v) || isnan(k->v))
        return isnan(v) != isnan(k->v);
    return fabs(v - k->v) > k->band;
}

static bool due(const struct hist_tag *k, double now, struct tag_value x)
{
    return !k->stored || x.q != k->q || (x.q == Q_GOOD && moved(k, x.v)) ||
           now - k->t >= HIST_HEARTBEAT_S || now < k->t;
}

int hist_sample(struct hist *h, double now, const struct tag_value *tags)
{
    struct hist_db *d = h->db;
    if (!d || !isfinite(now) || now < 0) {
        errno = EINVAL;
        return -1;
    }
    if (h->period_s > 0) {
        long long slot = (long long)floor(now / h->period_s);
        if (h->sampled && slot == h->slot)
            return 0;
        h->slot = slot;
        h->sampled = true;
    }
    pthread_mutex_lock(&d->mu);
    bool failing = d->failing;
    int err = d->st.last_errno;
    if (d->fail_gen != d->seen_fail_gen) { /* rows were lost: a full set again */
        d->seen_fail_gen = d->fail_gen;
        for (int i = 0; i < h->ntags; i++)
            h->tags[i].stored = false;
    }
    int count = 0;
    for (int i = 0; i < h->ntags; i++) {
        struct hist_tag *k = &h->tags[i];
        struct tag_value x = tags[k->idx];
        if (!due(k, now, x))
            continue;
        if (d->head - d->tail >= HIST_QUEUE) {
            d->st.lost++;
            continue; /* not taken as stored: offered again at the next instant */
        }
        d->ring[d->head++ % HIST_QUEUE] = (struct hist_row){.t = now, .v = x.v, .id = k->id,
                                                           .q = (int)x.q};
        k->stored = true;
        k->t = now;
        k->v = x.v;
        k->q = x.q;
        count++;
    }
    if (count > 0) {
        d->st.queued += (unsigned long long)count;
        int depth = (int)(d->head - d->tail);
        if (depth > d->st.max_depth)
            d->st.max_depth = depth;
        pthread_cond_signal(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    if (count > 0) {
        h->records++;
        h->samples += count;
    }
    if (failing) {
        h->failures++;
        h->last_errno = err ? err : EIO;
        errno = h->last_errno;
        return -1;
    }
    h->last_errno = 0;
    return count;
}

void hist_retain(struct hist *h, double now, int keep_days)
{
    struct hist_db *d = h->db;
    if (!d || keep_days <= 0)
        return;
    pthread_mutex_lock(&d->mu);
    d->prune_due = true;
    d->prune_before = (double)(dayfile_day(now) - keep_days + 1) * DAYFILE_SECS_PER_DAY;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

void hist_flush(struct hist *h)
{
    struct hist_db *d = h->db;
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    unsigned long long want = d->head;
    while (d->tail < want || d->prune_due || d->busy)
        pthread_cond_wait(&d->idle, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

void hist_status(struct hist *h, struct hist_stats *st)
{
    struct hist_db *d = h->db;
    memset(st, 0, sizeof *st);
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    *st = d->st;
    st->depth = (int)(d->head - d->tail);
    pthread_mutex_unlock(&d->mu);
}

int hist_note(struct hist *h, char *buf, size_t len)
{
    struct hist_db *d = h->db;
    if (!d)
        return 0;
    pthread_mutex_lock(&d->mu);
    int got = d->nnotes > 0;
    if (got) {
        (void)str_copy(buf, len, d->notes[0]);
        d->nnotes--;
        memmove(d->notes[0], d->notes[1], sizeof d->notes[0] * (size_t)d->nnotes);
    }
    pthread_mutex_unlock(&d->mu);
    return got;
}

long hist_prune(const char *dir, double now, int keep_days)
{
    if (keep_days <= 0)
        return 0;
    char path[CFG_PATH_MAX + 32];
    if (hist_db_path(dir, path, sizeof path) < 0)
        return -1;
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_stmt *s = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, "DELETE FROM samples WHERE t < ?", -1, &s, NULL);
    }
    long n = -1;
    if (rc == SQLITE_OK) {
        sqlite3_bind_double(s, 1,
                            (double)(dayfile_day(now) - keep_days + 1) * DAYFILE_SECS_PER_DAY);
        rc = step_reset(s);
        if (rc == SQLITE_OK)
            n = (long)sqlite3_changes64(db);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (n < 0)
        errno = hist_errno(rc);
    return n;
}
