/* hist — the historian: analog tag values over time, in one SQLite database.
 *
 * The database is DIR/historian.db (DIR: the furnace's state directory), in
 * WAL mode, with the schema documented at the top of hist.c and in the
 * README ('The historian'): tags (name, unit, precision), samples (time,
 * tag, value, quality) and events (the historian's own: start, stop, lost
 * samples, imports, retention).  Anything that reads SQLite reads it;
 * `sqlite3 -readonly historian.db` answers the README's example query.
 *
 * Writing.  The writer thread (writer.h) calls hist_sample() with the tag
 * image; at each sampling instant (historian_period_s) a tag's value is
 * queued when it moved more than historian_deadband_pct of its range, when
 * its quality changed, or when it was last queued a minute ago.
 * hist_sample() never touches the disk: it puts rows into a bounded queue
 * (HIST_QUEUE rows) and returns.  The historian's own thread
 * ("meltcon-hist") takes whatever is queued and writes it in one
 * transaction with prepared statements, so a slow disk makes fewer, larger
 * transactions and never holds up the caller.  A full queue drops the new
 * rows, counts them (hist_status) and says so once per episode
 * (hist_note, then an `events` row).  A transaction that fails (full disk)
 * is counted, its rows are lost, and the next sampling instant queues a
 * full set of values again.
 *
 * Reading.  hist_query(), hist_tags() and hist_export() open the database
 * read-only on their own connection (a WAL reader: they never wait for the
 * writer and never block it), so they work with the server running or
 * stopped, and on a copy of the file.
 *
 * Upgrade.  The binary day files of the old historian (DIR/hist/
 * hist-YYYY-MM-DD.dat, format in hist_v1.c) are imported by hist_open(),
 * once each (the `imported` table remembers them; the files stay where they
 * are).  A reader that finds day files and no database reads them through
 * an import into memory: no history is lost on upgrade, even before the
 * new server first starts.
 *
 * Time is wall-clock Unix seconds, passed in.
 */
#ifndef MELTCON_HIST_H
#define MELTCON_HIST_H

#include <stdbool.h>
#include <stdio.h>

#include "cfg.h"
#include "tag.h"

#define HIST_HEARTBEAT_S 60.0 /* a value is stored at least this often */
#define HIST_HOLD_S 120.0     /* a stored value stands for at most this long */
#define HIST_QUEUE 16384      /* rows between hist_sample and the historian's thread */
#define HIST_SCHEMA 1         /* PRAGMA user_version of historian.db */
#define HIST_DB "historian.db"
#define HIST_V1_DIR "hist"    /* the old day files, under DIR */
#define HIST_NOTE_MAX 300

/* A logged tag: every non-bool tag with a valid range (or an engineering
 * range).  Tags without one are counters, bit fields and clocks: not logged. */
struct hist_tag {
    char name[CFG_NAME_MAX];
    int idx;     /* index in the config's tags and the tag image */
    long long id; /* tags.id in the database */
    double band; /* deadband in engineering units */
    bool stored; /* a value was queued since the last (re)start or failure */
    double t, v; /* the last queued sample */
    enum tag_quality q;
};

struct hist_db; /* the database, the queue and the thread (hist.c) */

/* struct hist may be copied (the writer keeps its own copy); only one copy
 * is used and closed. */
struct hist {
    char dir[CFG_PATH_MAX];
    double period_s; /* sampling period; 0 = every call */
    double deadband_pct;
    int ntags;
    struct hist_tag tags[CFG_MAX_TAGS];
    bool sampled;          /* slot is valid */
    long long slot;        /* floor(t / period_s) of the last sampling instant */
    long records, samples; /* sampling instants and rows queued since open */
    long failures;         /* hist_sample calls that reported a failed write */
    int last_errno;        /* errno of the last failure, 0 none */
    struct hist_db *db;
};

/* The historian's counters (hist_status). */
struct hist_stats {
    unsigned long long queued;    /* rows taken into the queue */
    unsigned long long written;   /* rows committed */
    unsigned long long lost;      /* rows dropped: the queue was full */
    unsigned long long failed;    /* rows of transactions that failed */
    unsigned long long commits;   /* transactions committed */
    unsigned long long imported;  /* rows imported from old day files at open */
    int depth, max_depth;         /* rows in the queue now, most ever */
    int last_errno;               /* of the last failed transaction, 0 none */
};

/* One stored sample, as read back. */
struct hist_point {
    double t;
    int tag; /* index into the query's list of names */
    double v;
    enum tag_quality q;
    bool prior; /* the last sample before `from` (see hist_query) */
};

/* Open (create, migrate) DIR/historian.db for the config's tags and
 * [server] historian settings, import old day files not yet imported, and
 * start the historian's thread.  Returns 0, or -1 with errno (ENOENT,
 * ENOTDIR, ENAMETOOLONG, EIO for a database SQLite refuses) and a sentence
 * in err when err is not NULL. */
int hist_open(struct hist *h, const char *dir, const struct cfg *c);
int hist_open_err(struct hist *h, const char *dir, const struct cfg *c, char *err, size_t len);

/* Offer the tag image at `now` (tags[] indexed like the config's tags).
 * Only the first call in each sampling period looks at it.  Returns the
 * number of values queued (0: not a sampling instant, or nothing moved), or
 * -1 with errno when the historian's last transaction failed (its rows are
 * lost; this call queued a full set of values again). */
int hist_sample(struct hist *h, double now, const struct tag_value *tags);

/* Ask the historian's thread to delete the samples older than keep_days
 * days before `now` (0: keep everything); done in its own transaction. */
void hist_retain(struct hist *h, double now, int keep_days);

/* Wait until every row queued so far is committed (or failed). */
void hist_flush(struct hist *h);

/* Counters, and the next sentence for the journal (1 with it in buf, 0
 * none): lost rows, failed writes, imports, retention. */
void hist_status(struct hist *h, struct hist_stats *st);
int hist_note(struct hist *h, char *buf, size_t len);

/* Write what is queued, stop the thread, write a `stop` event, close. */
void hist_close(struct hist *h);

/* Called for each sample read; return nonzero to stop. */
typedef int (*hist_fn)(const struct hist_point *p, void *ctx);

/* The stored samples of the named tags with from <= t <= to, in time order
 * (tags in the order of their ids at one time).  With `prior`, first the
 * last sample of each tag in the HIST_HOLD_S before `from` (prior = true):
 * the value in force at `from`.  Returns the number of points passed to fn,
 * or -1 with errno (EINVAL: no tags or more than CFG_MAX_TAGS; ENOENT: no
 * database and no old day files in dir). */
long hist_query(const char *dir, const char *const *tags, int ntags, double from, double to,
                bool prior, hist_fn fn, void *ctx);

/* The names of the tags with samples from `from` to `to`, in the order of
 * their ids (the order they were first stored), at most max.  Returns the
 * count, or -1. */
int hist_tags(const char *dir, double from, double to, char names[][CFG_NAME_MAX], int max);

/* Export formats (flags of hist_export). */
#define HIST_X_UNITS 1 /* CSV: a second header line with each tag's unit */
#define HIST_X_JSON 2  /* JSON lines instead of CSV */

/* Write the samples from `from` to `to` to out, one row per stored sampling
 * instant in the window; each tag's value is the one in force at that time
 * (the last stored, within HIST_HOLD_S).  CSV:
 *
 *   time,bath_temp,bath_temp_quality,roof_temp,roof_temp_quality
 *   unit,°C,,°C,                                 (with HIST_X_UNITS)
 *   2026-11-29T10:00:01.000Z,745.5,GOOD,,BAD
 *
 * the value column holds a number only when the quality is GOOD (the
 * shortest decimal that reads back as the stored double) and is empty
 * otherwise; the quality column holds GOOD, BAD, COMMS or STALE, or is
 * empty when no value is in force (nothing stored, the historian was not
 * running).  HIST_X_JSON: one object per row, the same names:
 *
 *   {"time":"2026-11-29T10:00:01.000Z","bath_temp":745.5,
 *    "bath_temp_quality":"GOOD","roof_temp":null,"roof_temp_quality":"BAD"}
 *
 * Times are ISO 8601 in UTC with the zone written (Z), to the millisecond.
 * ntags 0 = every tag stored in the window.  Returns the number of rows, or
 * -1 with errno. */
long hist_export(const char *dir, double from, double to, const char *const *tags, int ntags,
                 unsigned flags, FILE *out);

/* hist_export(..., 0, out): CSV without the units line. */
long hist_export_csv(const char *dir, double from, double to, const char *const *tags, int ntags,
                     FILE *out);

/* Delete, directly in DIR/historian.db, the samples older than keep_days
 * days before `now` (0 = keep everything).  Returns the number of samples
 * deleted, or -1 with errno.  The server uses hist_retain instead. */
long hist_prune(const char *dir, double now, int keep_days);

/* DIR of a furnace (its state directory), for reading with the server
 * stopped: 0, or -1 with a sentence in err. */
int hist_dir_of(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen);

#endif
