/* trend — the console's sample rings (see trend.h).
 *
 * Span s has period P_s = span_s / TREND_LEN.  A sample at time t belongs to
 * bucket b = floor(t / P_s).  When b passes the bucket being filled, that
 * bucket is closed (its mean, or NAN) and every skipped bucket is closed as
 * NAN, at most TREND_LEN of them.
 */
#include "trend.h"

#include <math.h>
#include <string.h>

static const struct {
    double seconds;
    const char *name;
} spans[TREND_SPANS] = {
    {600, "10 min"},
    {3600, "1 h"},
    {28800, "8 h"},
};

/* Pens after the loops' PVs, in the order the trend screen lists them. */
static const char *const main_pens[] = {
    "bath_sc_temp", "roof_temp",     "sc_gas_temp", "flue_temp", "scrap_temp", "firing_fb",
    "fan_speed_fb", "pump_speed_fb", "o2_pct",      "co_ppm",    "bath_level", "gas_flow",
};

static void add_pen(struct trend *t, const struct cfg *c, const char *name)
{
    if (t->npens >= TREND_PENS || !name[0] || !cfg_tag_find(c, name) || trend_pen(t, name) >= 0)
        return;
    memcpy(t->pen[t->npens], name, strnlen(name, CFG_NAME_MAX - 1));
    t->pen[t->npens][CFG_NAME_MAX - 1] = 0;
    t->hint[t->npens] = cfg_tag_index(c, name);
    t->npens++;
}

void trend_init(struct trend *t, const struct cfg *c)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < c->nloops; i++)
        add_pen(t, c, c->loops[i].pv);
    for (size_t i = 0; i < sizeof main_pens / sizeof main_pens[0]; i++)
        add_pen(t, c, main_pens[i]);
    for (int s = 0; s < TREND_SPANS; s++)
        t->ring[s].period = spans[s].seconds / TREND_LEN;
}

static void ring_push(struct trend_ring *r, int npens, const double *val)
{
    int slot = (r->head + r->count) % TREND_LEN;
    if (r->count == TREND_LEN)
        r->head = (r->head + 1) % TREND_LEN;
    else
        r->count++;
    for (int p = 0; p < npens; p++)
        r->data[p][slot] = (float)val[p];
}

static void ring_close(struct trend_ring *r, int npens)
{
    double mean[TREND_PENS];
    for (int p = 0; p < npens; p++) {
        mean[p] = r->nsum[p] ? r->sum[p] / r->nsum[p] : NAN;
        r->sum[p] = 0;
        r->nsum[p] = 0;
    }
    ring_push(r, npens, mean);
}

static void ring_add(struct trend_ring *r, int npens, double now, const double *v, const bool *good)
{
    long b = (long)floor(now / r->period);
    if (r->started && b < r->bucket) {
        double period = r->period;
        memset(r, 0, sizeof *r);
        r->period = period;
    }
    if (!r->started) {
        r->started = true;
        r->bucket = b;
    }
    if (b > r->bucket) {
        ring_close(r, npens);
        double gap[TREND_PENS];
        for (int p = 0; p < npens; p++)
            gap[p] = NAN;
        long skipped = b - r->bucket - 1;
        for (long i = 0; i < skipped && i < TREND_LEN; i++)
            ring_push(r, npens, gap);
        r->bucket = b;
    }
    for (int p = 0; p < npens; p++)
        if (good[p] && isfinite(v[p])) {
            r->sum[p] += v[p];
            r->nsum[p]++;
        }
}

void trend_add(struct trend *t, double now, const double *v, const bool *good)
{
    if (!isfinite(now))
        return;
    if (t->any && now < t->t_last)
        t->any = false;
    if (!t->any)
        t->t_first = now;
    t->any = true;
    t->t_last = now;
    for (int s = 0; s < TREND_SPANS; s++)
        ring_add(&t->ring[s], t->npens, now, v, good);
}

void trend_add_snap(struct trend *t, const struct snap *s)
{
    double v[TREND_PENS];
    bool good[TREND_PENS];
    for (int p = 0; p < t->npens; p++) {
        int i = t->hint[p];
        if (i < 0 || i >= s->ntags || strcmp(s->tags[i].name, t->pen[p]) != 0) {
            i = -1;
            for (int k = 0; k < s->ntags; k++)
                if (!strcmp(s->tags[k].name, t->pen[p]))
                    i = k;
            t->hint[p] = i;
        }
        good[p] = i >= 0 && s->tags[i].q == 0;
        v[p] = i >= 0 ? s->tags[i].v : NAN;
    }
    trend_add(t, s->t, v, good);
}

int trend_series(const struct trend *t, int span, int pen, float *out, int max)
{
    if (span < 0 || span >= TREND_SPANS || pen < 0 || pen >= t->npens || max <= 0)
        return 0;
    const struct trend_ring *r = &t->ring[span];
    if (!r->started)
        return 0;
    int total = r->count + 1;
    int skip = total > max ? total - max : 0;
    int n = 0;
    for (int i = skip; i < r->count; i++)
        out[n++] = r->data[pen][(r->head + i) % TREND_LEN];
    if (n < max)
        out[n++] = r->nsum[pen] ? (float)(r->sum[pen] / r->nsum[pen]) : NAN;
    return n;
}

int trend_pen(const struct trend *t, const char *name)
{
    for (int i = 0; i < t->npens; i++)
        if (!strcmp(t->pen[i], name))
            return i;
    return -1;
}

double trend_span_s(int span)
{
    return span >= 0 && span < TREND_SPANS ? spans[span].seconds : 0;
}

const char *trend_span_name(int span)
{
    return span >= 0 && span < TREND_SPANS ? spans[span].name : "?";
}
