/* hist — the historian: analog tag values over time, on disk.
 *
 * The server calls hist_sample() every control cycle with the decoded tag
 * image; at each sampling instant (historian_period_s) a tag's value is
 * stored when it moved more than historian_deadband_pct of its range, when
 * its quality changed, or when it was last stored a minute ago.  Records go
 * to daily files hist-YYYY-MM-DD.dat (UTC date) in one directory, in the
 * binary format documented at the top of hist.c: append-only, each record
 * checked by a CRC, so a record torn by a crash (or damaged later) costs
 * only itself.  Values survive restarts; hist_query() reads them back for
 * trends and hist_export_csv() for `meltcon export`.
 *
 * Time is wall-clock Unix seconds, passed in.  A failed write (full disk)
 * returns -1 with errno and changes nothing: the caller raises the DISK
 * alarm and carries on, and the historian writes a full set of values once
 * it can write again.
 */
#ifndef MELTCON_HIST_H
#define MELTCON_HIST_H

#include <stdbool.h>
#include <stdio.h>

#include "cfg.h"
#include "tag.h"

#define HIST_HEARTBEAT_S 60.0 /* a value is stored at least this often */
#define HIST_HOLD_S 120.0     /* a stored value stands for at most this long */

/* A logged tag: every non-bool tag with a valid range (or an engineering
 * range).  Tags without one are counters, bit fields and clocks: not logged. */
struct hist_tag {
    char name[CFG_NAME_MAX];
    int idx;     /* index in the config's tags and the tag image */
    double band; /* deadband in engineering units */
    bool stored; /* stored in the open file */
    double t, v; /* the last stored sample */
    enum tag_quality q;
};

struct hist {
    char dir[CFG_PATH_MAX];
    double period_s; /* sampling period; 0 = every call */
    double deadband_pct;
    int ntags;
    struct hist_tag tags[CFG_MAX_TAGS];
    int fd;                /* the day file being written, -1 none */
    long day;              /* its day number (days since 1970), -1 none */
    long long size;        /* its length */
    bool defined;          /* the tag names are written in it */
    bool sampled;          /* slot is valid */
    long long slot;        /* floor(t / period_s) of the last sampling instant */
    long records, samples; /* written since open */
    long failures;         /* writes refused since open */
    int last_errno;        /* errno of the last failure, 0 none */
};

/* One stored sample, as read back. */
struct hist_point {
    double t;
    int tag; /* index into the query's list of names */
    double v;
    enum tag_quality q;
    bool prior; /* the last sample before `from` (see hist_query) */
};

/* Set the historian up for DIR (which must exist) from the config's tags
 * and [server] historian settings.  Nothing is written until the first
 * sample.  Returns 0, or -1 with errno (ENOENT, ENOTDIR, ENAMETOOLONG). */
int hist_open(struct hist *h, const char *dir, const struct cfg *c);

/* Offer the tag image at `now` (tags[] indexed like the config's tags).
 * Only the first call in each sampling period looks at it.  Returns the
 * number of values stored (0: not a sampling instant, or nothing moved), or
 * -1 with errno when the write failed; then nothing is taken as stored, and
 * the next sampling instant reopens the file and writes every value. */
int hist_sample(struct hist *h, double now, const struct tag_value *tags);

void hist_close(struct hist *h);

/* Called for each sample read; return nonzero to stop. */
typedef int (*hist_fn)(const struct hist_point *p, void *ctx);

/* The stored samples of the named tags with from <= t <= to, in file order
 * (time order unless the clock went back).  With `prior`, first the last
 * sample of each tag in the HIST_HOLD_S before `from` (prior = true): the
 * value in force at `from`.  Returns the number of points passed to fn, or
 * -1 with errno (EINVAL: no tags or more than CFG_MAX_TAGS). */
long hist_query(const char *dir, const char *const *tags, int ntags, double from, double to,
                bool prior, hist_fn fn, void *ctx);

/* The names of the tags stored in the day files from `from` to `to`, in the
 * order they first appear, at most max.  Returns the count, or -1. */
int hist_tags(const char *dir, double from, double to, char names[][CFG_NAME_MAX], int max);

/* Write the samples from `from` to `to` as CSV to out:
 *   time,TAG1,TAG2,...
 *   2026-11-29T10:00:01.000Z,745.5,BAD,
 * one row per stored sampling instant in the window; each cell holds the
 * tag's value in force at that time (the last stored, within HIST_HOLD_S;
 * 10 significant digits),
 * its quality name (BAD, COMMS, STALE) when that is not GOOD, and is empty
 * when there is none (nothing stored yet, or the historian was not
 * running).  ntags 0 = every tag stored in the window.  Returns the number
 * of rows, or -1 with errno. */
long hist_export_csv(const char *dir, double from, double to, const char *const *tags, int ntags,
                     FILE *out);

/* Remove the day files of days before the newest keep_days days (today, from
 * `now`, counts as one); 0 = keep everything.  The newest file is never
 * removed.  Returns the number of files removed, or -1 with errno. */
int hist_prune(const char *dir, double now, int keep_days);

#endif
