/* trend — the console's own trend memory: a ring of samples per pen, kept
 * from the snapshots this console has received.
 *
 * The historian (the server's) holds the plant's record; this is what the
 * trend screen and the loop sparklines draw, and it starts when the console
 * attached.  Three spans, each a ring of TREND_LEN buckets: 10 min of 1 s
 * buckets, 1 h of 6 s, 8 h of 48 s.  A bucket holds the mean of the GOOD
 * samples that fell in it (by process time), NAN when there were none (a
 * gap in the line, never a made-up value).  Time going backwards (a new
 * server or simulator) starts the trend afresh.  No I/O, no allocation.
 *
 * History: the trend screen asks the server's historian for the span's
 * window (`export`, CSV lines as control/server/hist_read.c writes them: a value and
 * a quality column per tag).  A trend_hist
 * collects those rows into the same buckets, by pen and in any order (the
 * pens come in several requests, each with its own header), and
 * trend_merge() fills every bucket the console has no sample of from it:
 * the console's own samples win, the history goes before them.
 */
#ifndef MELTCON_TREND_H
#define MELTCON_TREND_H

#include <stdbool.h>

#include "cfg.h"
#include "snap.h"

#define TREND_PENS 16
#define TREND_LEN 600
#define TREND_SPANS 3

struct trend_ring {
    double period; /* s per bucket */
    bool started;
    long bucket;     /* floor(t / period) of the bucket being filled */
    int head, count; /* finished buckets: oldest at head */
    double sum[TREND_PENS];
    int nsum[TREND_PENS];
    float data[TREND_PENS][TREND_LEN];
};

struct trend {
    int npens;
    char pen[TREND_PENS][CFG_NAME_MAX]; /* tag names */
    int hint[TREND_PENS];               /* index of the tag in the last snapshot */
    struct trend_ring ring[TREND_SPANS];
    double t_first, t_last; /* process time of the first and last sample */
    bool any;
    bool has_hist;  /* buckets filled from the historian */
    double hist_t0; /* process time of the oldest history row merged */
};

/* CSV columns of one export request beyond time; a column of another tag is
 * skipped. */
#define TREND_CSV_COLS (2 * TREND_PENS) /* a value and a quality column per pen */

/* History being collected: bucket sums per span and pen, bucket k = b_end -
 * floor(t / period) (0 = the bucket being filled when it was asked). */
struct trend_hist {
    double offset; /* Unix time - process time */
    long b_end[TREND_SPANS];
    int ncols;                   /* value columns of the current header */
    int col_pen[TREND_CSV_COLS]; /* pen of each, -1: not a pen */
    long rows, gaps, bad;        /* rows taken, empty/BAD/COMMS/STALE cells, bad lines */
    double t_min, t_max;         /* process time of the oldest and newest row taken */
    double sum[TREND_SPANS][TREND_PENS][TREND_LEN];
    int n[TREND_SPANS][TREND_PENS][TREND_LEN];
};

/* Pens: the loops' PVs, then the furnace's main values, as far as the
 * config's tag map has them (at most TREND_PENS). */
void trend_init(struct trend *t, const struct cfg *c);

/* One sample per pen at process time `now`; good[i] false: no value. */
void trend_add(struct trend *t, double now, const double *v, const bool *good);

/* The same from a snapshot (pens found by name; quality GOOD only). */
void trend_add_snap(struct trend *t, const struct snap *s);

/* The series of `pen` over `span`, oldest first, the bucket being filled
 * last; returns how many (<= max, <= TREND_LEN). */
int trend_series(const struct trend *t, int span, int pen, float *out, int max);

int trend_pen(const struct trend *t, const char *name); /* index or -1 */

/* Add a pen for tag `name` (no samples yet: NAN in every bucket).  Returns
 * its index (the existing one when it is a pen already), or -1 when the
 * pens are full or the name is empty. */
int trend_add_pen(struct trend *t, const char *name);

/* Start collecting history for a window that ends at process time t_end,
 * with offset = Unix time - process time (from the same snapshot). */
void trend_hist_begin(struct trend_hist *h, double t_end, double offset);

/* The pens from `first` on, comma-separated, as many as fit in n bytes
 * (an export request's target); returns the pen after the last one put, or
 * `first` when none fits or none is left. */
int trend_hist_target(const struct trend *t, int first, char *buf, size_t n);

/* One CSV line of an export answer: a header ("time,TAG,...") maps the
 * columns to pens; a row ("2026-11-29T10:00:00.000Z,741.2,,BAD") adds its
 * numbers to the buckets, every cell that is not a finite number (empty,
 * BAD, COMMS, STALE, junk) is a gap.  Returns 1 for a row taken, 0 for a
 * header or a row outside every span's window, -1 for a malformed line
 * (counted in bad, nothing taken). */
int trend_hist_line(struct trend_hist *h, const struct trend *t, const char *line);

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC) as Unix seconds; false if malformed. */
bool trend_csv_time(const char *s, double *unix_s);

/* Fill the buckets the console has no sample of from the history; the
 * console's own samples are kept.  Sets has_hist and hist_t0 when a row was
 * taken. */
void trend_merge(struct trend *t, const struct trend_hist *h);
double trend_span_s(int span);         /* 600, 3600, 28800 */
const char *trend_span_name(int span); /* "10 min" "1 h" "8 h" */

#endif
