/* screen_trends — several pens over 10 min, 1 h or 8 h.
 *
 * One row per pen (its value now, a sparkline over the span, the range
 * drawn), then a strip chart of the selected pen in the rows left.  The
 * samples before the console attached come from the server's historian
 * (console.c asks for the span's window when the screen opens, the span
 * changes or a pen is added); the first row says where the data starts and
 * whether it is the historian's.  1, 2, 3 choose the span; Up/Down the pen;
 * g on a value of any other screen opens it here.
 *
 * Few bytes: the sparklines and the chart are computed again at most every
 * TREND_REDRAW_S (a cell of the 10-min span covers ~20 s at 80 columns, so
 * nothing is lost), or at once when the span, the pen, the size or the
 * history changes; the values beside them are live every frame.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screens.h"
#include "tag.h"
#include "view.h"

#define CHART_MAX_ROWS 16
#define CHART_MIN_ROWS 5
#define TREND_REDRAW_S 5.0
#define SPARK_MAX 1024

/* What was drawn last, and for what. */
static struct {
    bool valid;
    double t;                  /* u->now when computed */
    int span, sel, first, npens, cols, rows, hist_rows;
    bool has_hist;
    char spark[TREND_PENS][SPARK_MAX];
    bool any[TREND_PENS];
    double lo[TREND_PENS], hi[TREND_PENS];
    char chart[CHART_MAX_ROWS][SPARK_MAX * 2];
    double clo, chi;
} cache;

/* Must the sparklines and chart be computed again? */
static bool stale_cache(const struct ui *u, int first)
{
    const struct trend *t = u->tr;
    bool same = cache.valid && cache.span == u->trend_span && cache.sel == u->sel[SCR_TRENDS] &&
                cache.first == first && cache.npens == t->npens && cache.cols == u->cols &&
                cache.rows == u->height && cache.has_hist == t->has_hist &&
                cache.hist_rows == (u->hist_loading ? -1 : u->th->rows);
    if (!same || u->now - cache.t >= TREND_REDRAW_S || u->now < cache.t) {
        cache.valid = true;
        cache.t = u->now;
        cache.span = u->trend_span;
        cache.sel = u->sel[SCR_TRENDS];
        cache.first = first;
        cache.npens = t->npens;
        cache.cols = u->cols;
        cache.rows = u->height;
        cache.has_hist = t->has_hist;
        cache.hist_rows = u->hist_loading ? -1 : u->th->rows;
        return true;
    }
    return false;
}

/* A sample (the tag's own unit) in the unit shown (kg as t). */
static double in_shown(const struct screen_val *sv, double v)
{
    if (sv->def)
        wg_tonnes(sv->def->unit, &v);
    return v;
}

/* The least span a pen is drawn over: ten display steps or 2 % of its range. */
static double min_span(const struct screen_val *sv)
{
    double step = 10.0;
    for (int i = 0; i < sv->dec; i++)
        step /= 10;
    double range = sv->def && sv->def->has_range ? sv->def->range_hi - sv->def->range_lo : 0;
    return step > 0.02 * range ? step : 0.02 * range;
}

/* Process time t as the wall clock "HH:MM:SS" (through the snapshot). */
static void clock_of(const struct ui *u, double t, char *buf, size_t n)
{
    const struct snap *s = &u->cl->snap;
    time_t w = (time_t)(t + (s->wall - s->t));
    struct tm tm;
    if (!u->cl->have_snap || !localtime_r(&w, &tm) || !strftime(buf, n, "%H:%M:%S", &tm))
        snprintf(buf, n, "?");
}

/* The first row: the span, and where the data starts. */
static void head(struct ui *u)
{
    const struct trend *t = u->tr;
    char when[32] = "", from[16];
    screen_row(u, 0);
    screen_add(u, SEV_NONE, " %s (1 2 3: 10 min, 1 h, 8 h)  ", trend_span_name(u->trend_span));
    if (u->hist_loading) {
        screen_add(u, SEV_NOTE, "loading the history from the historian...");
    } else if (t->has_hist) {
        double start = t->t_last - trend_span_s(u->trend_span);
        clock_of(u, t->hist_t0 > start ? t->hist_t0 : start, from, sizeof from);
        screen_add(u, SEV_NONE, "history from %s (historian), then live", from);
    } else {
        wg_hms(when, sizeof when, t->t_last - t->t_first);
        screen_add(u, SEV_NONE, "samples since this console attached: %s",
                   t->any ? when : "none yet");
    }
    if (u->hist_note[0] && !u->hist_loading)
        screen_add(u, SEV_HIGH, "  %s", u->hist_note);
    screen_eol(u);
}

static void draw(struct ui *u)
{
    const struct trend *t = u->tr;
    int span = u->trend_span, *sel = &u->sel[SCR_TRENDS];
    float v[TREND_LEN];
    char buf[4096], val[48];
    if (*sel >= t->npens)
        *sel = t->npens > 0 ? t->npens - 1 : 0;
    head(u);
    int name_w = 18, val_w = 11, range_w = 16;
    int spark_w = u->cols - name_w - val_w - range_w - 4;
    if (spark_w < 10)
        spark_w = 10;
    int room = u->height - 4 - CHART_MIN_ROWS;
    int list_rows = t->npens < room ? t->npens : room;
    int first = u->scroll[SCR_TRENDS];
    screen_follow(*sel, list_rows, &first);
    u->scroll[SCR_TRENDS] = first;
    bool again = stale_cache(u, first);
    int y = 1;
    for (int p = first; p < t->npens && y < 1 + list_rows; p++) {
        enum wg_sev s = screen_fmt(u, t->pen[p], val, sizeof val);
        struct screen_val sv = screen_val(u, t->pen[p]);
        if (again) {
            int n = trend_series(t, span, p, v, TREND_LEN);
            cache.lo[p] = cache.hi[p] = 0;
            cache.any[p] = view_trend_scale(v, n, min_span(&sv), &cache.lo[p], &cache.hi[p]);
            wg_spark(cache.spark[p], SPARK_MAX, v, n, spark_w, cache.lo[p], cache.hi[p], u->g,
                     NULL, NULL);
        }
        bool any = cache.any[p];
        double lo = cache.lo[p], hi = cache.hi[p];
        snprintf(buf, sizeof buf, "%s", cache.spark[p]);
        screen_row(u, y++);
        screen_add(u, SEV_NONE, "%s%-*.*s", p == *sel ? ">" : " ", name_w - 1, name_w - 1,
                   t->pen[p]);
        screen_pad(u, u->x + val_w - wg_width(val));
        screen_add(u, s, "%s", val);
        screen_add(u, SEV_NONE, " ");
        screen_text(u, A_NORMAL, buf);
        if (any)
            screen_add(u, SEV_NONE, " %.*f..%.*f", sv.dec, in_shown(&sv, lo), sv.dec,
                       in_shown(&sv, hi));
        screen_eol(u);
    }
    screen_row(u, y++);
    screen_eol(u);
    int chart_rows = u->height - y - 2;
    if (chart_rows > CHART_MAX_ROWS)
        chart_rows = CHART_MAX_ROWS;
    if (t->npens > 0 && chart_rows >= 2) {
        struct screen_val sv = screen_val(u, t->pen[*sel]);
        int cw = u->cols - 12;
        if (again) {
            int n = trend_series(t, span, *sel, v, TREND_LEN);
            cache.clo = 0, cache.chi = 1;
            view_trend_scale(v, n, min_span(&sv), &cache.clo, &cache.chi);
            for (int r = 0; r < chart_rows; r++)
                wg_chart_row(cache.chart[r], sizeof cache.chart[r], v, n, cw, cache.clo,
                             cache.chi, r, chart_rows, u->g);
        }
        double lo = cache.clo, hi = cache.chi;
        screen_row(u, y++);
        screen_add(u, SEV_NONE, " %s over %s, %s", t->pen[*sel], trend_span_name(span),
                   sv.def ? sv.def->description : "");
        screen_eol(u);
        for (int r = 0; r < chart_rows; r++) {
            snprintf(buf, sizeof buf, "%s", cache.chart[r]);
            screen_row(u, y++);
            if (r == 0)
                screen_add(u, SEV_NONE, "%9.*f ", sv.dec, in_shown(&sv, hi));
            else if (r == chart_rows - 1)
                screen_add(u, SEV_NONE, "%9.*f ", sv.dec, in_shown(&sv, lo));
            else
                screen_add(u, SEV_NONE, "%10s", "");
            screen_text(u, A_NORMAL, u->g->v);
            screen_text(u, A_NORMAL, buf);
            screen_eol(u);
        }
        screen_row(u, y++);
        screen_add(u, SEV_NONE, "%11s-%s", "", trend_span_name(span));
        screen_pad(u, u->cols - 4);
        screen_add(u, SEV_NONE, "now");
    }
    screen_blank_from(u, y);
}

static bool key(struct ui *u, int ch)
{
    if (ch >= '1' && ch < '1' + TREND_SPANS) {
        u->trend_span = ch - '1';
        return true;
    }
    return screen_nav(ch, &u->sel[SCR_TRENDS], u->tr->npens, 5);
}

static const struct screen_key keys[] = {
    {"1 2 3", "span", "span: 10 min, 1 h, 8 h", false},
    {"Up/Down", "pen", "select the pen drawn as a chart", false},
};

const struct screen screen_trends = {
    .name = "trends",
    .title = "Trends",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
