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
double trend_span_s(int span);                          /* 600, 3600, 28800 */
const char *trend_span_name(int span);                  /* "10 min" "1 h" "8 h" */

#endif
