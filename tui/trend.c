/* trend — the console's sample rings (see trend.h).
 *
 * Span s has period P_s = span_s / TREND_LEN.  A sample at time t belongs to
 * bucket b = floor(t / P_s).  When b passes the bucket being filled, that
 * bucket is closed (its mean, or NAN) and every skipped bucket is closed as
 * NAN, at most TREND_LEN of them.
 *
 * Time is the wall clock of the snapshots (trend_add_snap), the base of the
 * historian's rows and of the journal: against a sped-up or frozen
 * simulator process time and wall time part, and a trend must line up with
 * the journal beside it (control/README.md, 'Training time').
 *
 * History (trend_hist): a CSV row at Unix time w is at time
 * t = w - offset (the console passes offset 0: both are wall time); it adds to bucket k = b_end - floor(t / P_s) of each span where
 * 0 <= k < TREND_LEN.  trend_merge() rebuilds each ring over the buckets
 * from the oldest that has data (history or the console's) to the one being
 * filled: bucket b takes the console's mean when it has one, otherwise the
 * history's mean, otherwise NAN.
 */
#include "trend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (!name[0] || !cfg_tag_find(c, name))
        return;
    int p = trend_add_pen(t, name);
    if (p >= 0)
        t->hint[p] = cfg_tag_index(c, name);
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
    trend_add(t, s->wall, v, good); /* the wall clock, as the historian and the journal */
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

int trend_add_pen(struct trend *t, const char *name)
{
    int p = trend_pen(t, name);
    if (p >= 0)
        return p;
    if (t->npens >= TREND_PENS || !name[0])
        return -1;
    p = t->npens++;
    snprintf(t->pen[p], CFG_NAME_MAX, "%s", name);
    t->hint[p] = -1;
    for (int s = 0; s < TREND_SPANS; s++) {
        struct trend_ring *r = &t->ring[s];
        for (int i = 0; i < TREND_LEN; i++)
            r->data[p][i] = NAN;
        r->sum[p] = 0;
        r->nsum[p] = 0;
    }
    return p;
}

/* ---- history ---------------------------------------------------------------- */

void trend_hist_begin(struct trend_hist *h, double t_end, double offset)
{
    memset(h, 0, sizeof *h);
    h->offset = offset;
    h->ncols = -1;
    for (int s = 0; s < TREND_SPANS; s++)
        h->b_end[s] = (long)floor(t_end / (spans[s].seconds / TREND_LEN));
}

int trend_hist_target(const struct trend *t, int first, char *buf, size_t n)
{
    size_t len = 0;
    int p = first < 0 ? 0 : first;
    if (n)
        buf[0] = 0;
    for (; p < t->npens; p++) {
        size_t k = strlen(t->pen[p]) + (len ? 1 : 0);
        if (len + k + 1 > n)
            break;
        snprintf(buf + len, n - len, "%s%s", len ? "," : "", t->pen[p]);
        len += k;
    }
    return len ? p : first;
}

static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool trend_csv_time(const char *s, double *unix_s)
{
    int y, mo, d, h, mi, sec, used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 ||
        sec < 0)
        return false;
    double frac = 0;
    const char *p = s + used;
    if (*p == '.') {
        double scale = 0.1;
        if (!(p[1] >= '0' && p[1] <= '9'))
            return false;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (strcmp(p, "Z") != 0)
        return false;
    *unix_s = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600 + mi * 60 + sec + frac;
    return true;
}

/* The next comma-separated cell of *p into buf (quotes dropped); false at
 * the end of the line. */
static bool cell(const char **p, char *buf, size_t n)
{
    if (!*p)
        return false;
    const char *s = *p, *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    *p = e ? e + 1 : NULL;
    while (len && (s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s++;
        len -= 2;
    }
    if (len >= n)
        len = n - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return true;
}

static bool number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return false;
    *v = strtod(s, &end);
    return *end == 0 && isfinite(*v);
}

static int hist_header(struct trend_hist *h, const struct trend *t, const char *line)
{
    char name[CFG_NAME_MAX + 4];
    const char *p = line;
    cell(&p, name, sizeof name);
    h->ncols = 0;
    while (cell(&p, name, sizeof name)) {
        if (h->ncols < TREND_CSV_COLS)
            h->col_pen[h->ncols] = trend_pen(t, name);
        h->ncols++;
    }
    return 0;
}

int trend_hist_line(struct trend_hist *h, const struct trend *t, const char *line)
{
    if (!strncmp(line, "time,", 5) || !strcmp(line, "time"))
        return hist_header(h, t, line);
    char buf[64];
    const char *p = line;
    double w, v[TREND_CSV_COLS];
    bool good[TREND_CSV_COLS];
    if (h->ncols < 0 || !cell(&p, buf, sizeof buf) || !trend_csv_time(buf, &w)) {
        h->bad++;
        return -1;
    }
    int k = 0;
    for (; cell(&p, buf, sizeof buf); k++)
        if (k < TREND_CSV_COLS)
            good[k] = number(buf, &v[k]);
    if (k != h->ncols) {
        h->bad++;
        return -1;
    }
    double tp = w - h->offset;
    bool taken = false;
    for (int s = 0; s < TREND_SPANS; s++) {
        double period = spans[s].seconds / TREND_LEN;
        long slot = h->b_end[s] - (long)floor(tp / period);
        if (slot < 0 || slot >= TREND_LEN)
            continue;
        taken = true;
        for (int c = 0; c < k && c < TREND_CSV_COLS; c++) {
            int pen = h->col_pen[c];
            if (pen < 0 || pen >= TREND_PENS || !good[c])
                continue;
            h->sum[s][pen][slot] += v[c];
            h->n[s][pen][slot]++;
        }
    }
    if (!taken)
        return 0;
    for (int c = 0; c < k && c < TREND_CSV_COLS; c++)
        h->gaps += h->col_pen[c] >= 0 && !good[c];
    if (!h->rows || tp < h->t_min)
        h->t_min = tp;
    if (!h->rows || tp > h->t_max)
        h->t_max = tp;
    h->rows++;
    return 1;
}

/* The history's mean of bucket b of span s for pen p, NAN when none. */
static float hist_mean(const struct trend_hist *h, int s, int p, long b)
{
    long k = h->b_end[s] - b;
    if (k < 0 || k >= TREND_LEN || !h->n[s][p][k])
        return NAN;
    return (float)(h->sum[s][p][k] / h->n[s][p][k]);
}

static void merge_ring(struct trend_ring *r, int s, int npens, const struct trend_hist *h)
{
    if (!r->started) {
        r->started = true;
        r->bucket = h->b_end[s];
    }
    long B = r->bucket;
    /* the oldest bucket with anything in it, history or the console's */
    int count = r->count;
    for (int i = TREND_LEN; i > count; i--)
        for (int p = 0; p < npens && count < i; p++)
            if (!isnan(hist_mean(h, s, p, B - i)))
                count = i;
    static const float none = NAN;
    float col[TREND_LEN];
    for (int p = 0; p < npens; p++) {
        for (int j = 0; j < count; j++) {
            long b = B - count + j;
            int live = j - (count - r->count); /* index among the console's buckets */
            float v = live >= 0 ? r->data[p][(r->head + live) % TREND_LEN] : none;
            col[j] = isnan(v) ? hist_mean(h, s, p, b) : v;
        }
        memcpy(r->data[p], col, (size_t)count * sizeof col[0]);
        long k = h->b_end[s] - B;
        if (!r->nsum[p] && k >= 0 && k < TREND_LEN && h->n[s][p][k]) {
            r->sum[p] = h->sum[s][p][k];
            r->nsum[p] = h->n[s][p][k];
        }
    }
    r->head = 0;
    r->count = count;
}

void trend_merge(struct trend *t, const struct trend_hist *h)
{
    for (int s = 0; s < TREND_SPANS; s++)
        merge_ring(&t->ring[s], s, t->npens, h);
    if (h->rows > 0) {
        t->has_hist = true;
        t->hist_t0 = h->t_min;
    }
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
