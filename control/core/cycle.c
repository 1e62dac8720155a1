/* cycle — the control cycle's timing arithmetic (see cycle.h).
 *
 * Process time (cycle_pclock_step), with plc_clock of resolution res
 * (1 s in the default map) read every cycle:
 *   pred = t + rate x dmono                      rate: process s per mono s
 *   t'   = clamp(pred, plc + off, plc + off + res), never below t
 *   dt   = min(t' - t, 10 x period x max(rate, 1))
 *   rate = (plc_now - plc_old) / (mono_now - mono_old) over the stored
 *          changes of plc_clock (>= 1 s apart, up to 16: a ~15 s window),
 *          once the window spans 2 s; 0..1000.
 * So t tracks the PLC's clock within one resolution step, moves smoothly in
 * between (a 1 s clock read every 250 ms would otherwise give dt = 0,0,0,1),
 * stops within res of a stopped PLC clock, and never runs backwards.  A
 * clock that steps back (PLC restarted, counter wrapped) or lands more than
 * CYCLE_PCLOCK_JUMP_S off the prediction is a resynchronisation: t goes on
 * from where it was (off = t - plc) and the step gets rate x dmono.  While
 * plc_clock is not GOOD, t runs on at the last rate.  With [cycle] clock =
 * monotonic (or no plc_clock tag) dt is the monotonic step, clamped the same.
 *
 * The schedule (cycle_deadline_next): deadline + period, from the first
 * deadline on, so the cycle never drifts; a whole period or more behind ->
 * the missed deadlines are skipped and counted.
 */
#include "cycle.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- lateness --------------------------------------------------------------- */

void cycle_lat_init(struct cycle_lat *l)
{
    memset(l, 0, sizeof *l);
}

void cycle_lat_add(struct cycle_lat *l, double late_ms)
{
    if (!(late_ms > 0))
        late_ms = 0;
    l->ring[l->head] = (float)late_ms;
    l->head = (l->head + 1) % CYCLE_LAT_RING;
    if (l->n < CYCLE_LAT_RING)
        l->n++;
    if (late_ms > l->max_ms)
        l->max_ms = late_ms;
    l->count++;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p of the samples at or below it. */
static double rank(const float *sorted, int n, double p)
{
    int k = (int)ceil(p * n) - 1;
    return sorted[k < 0 ? 0 : k >= n ? n - 1 : k];
}

void cycle_lat_get(const struct cycle_lat *l, double *p50, double *p99, double *max)
{
    float s[CYCLE_LAT_RING];
    *p50 = *p99 = 0;
    *max = l->max_ms;
    if (l->n == 0)
        return;
    memcpy(s, l->ring, sizeof s[0] * (size_t)l->n);
    qsort(s, (size_t)l->n, sizeof s[0], cmp_float);
    *p50 = rank(s, l->n, 0.50);
    *p99 = rank(s, l->n, 0.99);
}

/* ---- schedule ----------------------------------------------------------------- */

int64_t cycle_deadline_next(int64_t deadline, int64_t now, int64_t period, uint64_t *missed)
{
    int64_t next = deadline + period;
    if (period > 0 && now - next >= period) {
        int64_t k = (now - next) / period;
        next += k * period;
        *missed += (uint64_t)k;
    }
    return next;
}

/* ---- process time -------------------------------------------------------------- */

void cycle_pclock_init(struct cycle_pclock *c, bool use_plc, double period_s, double res_s)
{
    memset(c, 0, sizeof *c);
    c->use_plc = use_plc;
    c->period_s = period_s > 0 ? period_s : 0.25;
    c->res_s = res_s > 0 ? res_s : 1.0;
    c->rate = 1.0;
}

double cycle_pclock_max_dt(const struct cycle_pclock *c)
{
    return 10.0 * c->period_s * (c->rate > 1.0 ? c->rate : 1.0);
}

static double clamp_dt(const struct cycle_pclock *c, double dt)
{
    double m = cycle_pclock_max_dt(c);
    return dt < 0 ? 0 : dt > m ? m : dt;
}

static void edge_add(struct cycle_pclock *c, double mono, double plc)
{
    int newest = (c->edge_head + CYCLE_PCLOCK_EDGES - 1) % CYCLE_PCLOCK_EDGES;
    if (c->nedges > 0 && mono - c->edge_mono[newest] < 1.0)
        return;
    c->edge_mono[c->edge_head] = mono;
    c->edge_plc[c->edge_head] = plc;
    c->edge_head = (c->edge_head + 1) % CYCLE_PCLOCK_EDGES;
    if (c->nedges < CYCLE_PCLOCK_EDGES)
        c->nedges++;
}

static void rate_update(struct cycle_pclock *c, double mono, double plc)
{
    if (c->nedges == 0)
        return;
    int oldest = (c->edge_head + CYCLE_PCLOCK_EDGES - c->nedges) % CYCLE_PCLOCK_EDGES;
    double span = mono - c->edge_mono[oldest];
    if (span < 2.0)
        return;
    double r = (plc - c->edge_plc[oldest]) / span;
    c->rate = r < 0 ? 0 : r > CYCLE_PCLOCK_RATE_MAX ? CYCLE_PCLOCK_RATE_MAX : r;
}

double cycle_pclock_step(struct cycle_pclock *c, double mono, bool plc_good, double plc)
{
    bool good = c->use_plc && plc_good && isfinite(plc);
    if (!c->started) {
        c->started = true;
        c->last_mono = mono;
        c->t = good ? plc : 0;
        if (good) {
            c->locked = true;
            c->last_plc = plc;
            edge_add(c, mono, plc);
        }
        return 0;
    }
    double dm = mono - c->last_mono;
    if (!(dm > 0))
        dm = 0;
    c->last_mono = mono;
    if (!c->use_plc) {
        c->t += dm;
        return clamp_dt(c, dm);
    }
    double pred = c->t + c->rate * dm;
    if (!good) { /* run on at the last rate; the next good read resynchronises if needed */
        double dt = pred - c->t;
        c->t = pred;
        return clamp_dt(c, dt);
    }
    if (!c->locked || plc < c->last_plc || fabs(plc + c->off - pred) > CYCLE_PCLOCK_JUMP_S) {
        if (c->locked)
            c->resyncs++;
        double dt = pred - c->t;
        c->t = pred;
        c->off = c->t - plc;
        c->locked = true;
        c->nedges = 0;
        c->edge_head = 0;
        c->last_plc = plc;
        edge_add(c, mono, plc);
        return clamp_dt(c, dt);
    }
    if (plc != c->last_plc) {
        rate_update(c, mono, plc);
        edge_add(c, mono, plc);
        c->last_plc = plc;
    }
    double lo = plc + c->off, hi = lo + c->res_s;
    double tn = pred < lo ? lo : pred > hi ? hi : pred;
    if (tn < c->t)
        tn = c->t;
    double dt = tn - c->t;
    c->t = tn;
    return clamp_dt(c, dt);
}
