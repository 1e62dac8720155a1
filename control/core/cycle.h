/* cycle — the arithmetic of the control cycle's timing, apart from the
 * clocks: lateness statistics (cycle_lat_*), the never-drifting schedule
 * (cycle_deadline_next) and process time from the PLC's clock
 * (cycle_pclock_*).
 *
 * Pure: every time is an argument (the server shell reads the clocks and
 * passes them in), no I/O, no globals, so a test can run hours of cycles in
 * a moment.  The process-time equations are at the top of cycle.c.
 */
#ifndef MELTCON_CYCLE_H
#define MELTCON_CYCLE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- lateness statistics ------------------------------------------------------ */

#define CYCLE_LAT_RING 1024 /* percentiles over the last this many cycles */

struct cycle_lat {
    float ring[CYCLE_LAT_RING]; /* ms */
    int n, head;
    double max_ms; /* since start */
    uint64_t count;
};

void cycle_lat_init(struct cycle_lat *l);
/* Record one cycle's lateness (ms; negative counts as 0). */
void cycle_lat_add(struct cycle_lat *l, double late_ms);
/* p50 and p99 (nearest rank) over the ring, max since start; 0 when empty. */
void cycle_lat_get(const struct cycle_lat *l, double *p50, double *p99, double *max);

/* ---- the schedule ------------------------------------------------------------- */

/* The deadline after `deadline` for a cycle that ends at `now` (ns on one
 * monotonic clock): deadline + period, never drifting.  When that is already
 * a whole period or more in the past, the deadlines missed are skipped (so
 * the next cycle runs less than a period late) and added to *missed. */
int64_t cycle_deadline_next(int64_t deadline, int64_t now, int64_t period, uint64_t *missed);

/* ---- process time --------------------------------------------------------------- */

#define CYCLE_PCLOCK_EDGES 16
#define CYCLE_PCLOCK_JUMP_S 60.0 /* plc_clock this far off the prediction: resynchronise */
#define CYCLE_PCLOCK_RATE_MAX 1000.0

struct cycle_pclock {
    /* settings */
    bool use_plc; /* [cycle] clock = plc */
    double period_s;
    double res_s; /* plc_clock resolution: 1 s for the default map */
    /* state */
    bool started, locked;
    double t;    /* process time, s: never goes back */
    double rate; /* process seconds per monotonic second (1 until measured) */
    double off;  /* t - plc_clock, fixed between resynchronisations */
    double last_mono, last_plc;
    int nedges, edge_head; /* plc_clock changes, at least 1 s apart */
    double edge_mono[CYCLE_PCLOCK_EDGES], edge_plc[CYCLE_PCLOCK_EDGES];
    unsigned long resyncs;
};

void cycle_pclock_init(struct cycle_pclock *c, bool use_plc, double period_s, double res_s);

/* Advance process time to monotonic time `mono` (s), given plc_clock (`plc`,
 * s) and whether it is GOOD.  Updates c->t and returns the dt for the core,
 * at most cycle_pclock_max_dt(); never negative.  See cycle.c. */
double cycle_pclock_step(struct cycle_pclock *c, double mono, bool plc_good, double plc);

/* The largest dt passed to the core: 10 cycle periods of process time. */
double cycle_pclock_max_dt(const struct cycle_pclock *c);

#endif
