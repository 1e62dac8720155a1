/* server — the meltcon server: the control cycle around the core, the PLC
 * link, the record, the client sessions and the server's own life.
 *
 * One process per furnace (a lock file), one thread.  It keeps controlling
 * the furnace whatever its consoles do: a terminal or an SSH link that goes
 * away changes nothing here (SIGHUP is ignored), a slow console is skipped
 * and a stuck one dropped, and nothing the clients send can make the cycle
 * wait.  See server.c for the cycle and its timing.
 *
 * The pure parts are public so they can be tested on their own:
 * server_lat_* (cycle lateness statistics), server_deadline_next (the
 * never-drifting schedule) and server_pclock_* (process time from the PLC's
 * clock).
 */
#ifndef MELTCON_SERVER_H
#define MELTCON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* ---- lateness statistics ------------------------------------------------------ */

#define SERVER_LAT_RING 1024 /* percentiles over the last this many cycles */

struct server_lat {
    float ring[SERVER_LAT_RING]; /* ms */
    int n, head;
    double max_ms; /* since start */
    uint64_t count;
};

void server_lat_init(struct server_lat *l);
/* Record one cycle's lateness (ms; negative counts as 0). */
void server_lat_add(struct server_lat *l, double late_ms);
/* p50 and p99 (nearest rank) over the ring, max since start; 0 when empty. */
void server_lat_get(const struct server_lat *l, double *p50, double *p99, double *max);

/* ---- the schedule ------------------------------------------------------------- */

/* The deadline after `deadline` for a cycle that ends at `now` (ns on one
 * monotonic clock): deadline + period, never drifting.  When that is already
 * a whole period or more in the past, the deadlines missed are skipped (so
 * the next cycle runs less than a period late) and added to *missed. */
int64_t server_deadline_next(int64_t deadline, int64_t now, int64_t period, uint64_t *missed);

/* ---- process time --------------------------------------------------------------- */

#define SERVER_PCLOCK_EDGES 16
#define SERVER_PCLOCK_JUMP_S 60.0 /* plc_clock this far off the prediction: resynchronise */
#define SERVER_PCLOCK_RATE_MAX 1000.0

struct server_pclock {
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
    double edge_mono[SERVER_PCLOCK_EDGES], edge_plc[SERVER_PCLOCK_EDGES];
    unsigned long resyncs;
};

void server_pclock_init(struct server_pclock *c, bool use_plc, double period_s, double res_s);

/* Advance process time to monotonic time `mono` (s), given plc_clock (`plc`,
 * s) and whether it is GOOD.  Updates c->t and returns the dt for the core,
 * at most server_pclock_max_dt(); never negative.  See server.c. */
double server_pclock_step(struct server_pclock *c, double mono, bool plc_good, double plc);

/* The largest dt passed to the core: 10 cycle periods of process time. */
double server_pclock_max_dt(const struct server_pclock *c);

/* ---- the server ------------------------------------------------------------------ */

/* Run the server of furnace c.  foreground: run here until SIGTERM, SIGINT
 * or an engineer's `stop`, and return the exit status.  Otherwise start it
 * detached and return 0 once its socket answers, or 1; either way msg holds
 * the sentence to print ("server already running (pid N)", the started
 * server's pid and socket, or why it could not start).  c must outlive the
 * call. */
int server_run(const struct cfg *c, bool foreground, char *msg, size_t msglen);

#endif
