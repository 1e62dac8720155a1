/* test_tui_trend — the console's trend rings: bucket means by process time,
 * gaps as NAN (never a made-up value), bad samples left out, the ring
 * bounded, time going backwards starting afresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tag.h"
#include "trend.h"

static struct cfg c;
static struct trend t;
static float out[TREND_LEN];

static void add_tag(const char *name)
{
    snprintf(c.tags[c.ntags++].name, CFG_NAME_MAX, "%s", name);
}

static int setup(void **state)
{
    (void)state;
    cfg_defaults(&c);
    add_tag("bath_hc_temp");
    add_tag("hc_gas_temp");
    add_tag("roof_temp");
    add_tag("firing_fb");
    struct cfg_loop *l = &c.loops[c.nloops++];
    snprintf(l->name, CFG_NAME_MAX, "hc");
    snprintf(l->pv, CFG_NAME_MAX, "hc_gas_temp");
    l = &c.loops[c.nloops++];
    snprintf(l->name, CFG_NAME_MAX, "bath");
    snprintf(l->pv, CFG_NAME_MAX, "bath_hc_temp");
    return 0;
}

static int fresh(void **state)
{
    (void)state;
    trend_init(&t, &c);
    return 0;
}

static void test_pens(void **state)
{
    (void)state;
    /* loop PVs first, then the main values the map has, no duplicates */
    assert_int_equal(t.npens, 4);
    assert_string_equal(t.pen[0], "hc_gas_temp");
    assert_string_equal(t.pen[1], "bath_hc_temp");
    assert_string_equal(t.pen[2], "roof_temp");
    assert_string_equal(t.pen[3], "firing_fb");
    assert_int_equal(trend_pen(&t, "roof_temp"), 2);
    assert_int_equal(trend_pen(&t, "flue_temp"), -1);
    assert_true(trend_span_s(0) == 600 && trend_span_s(2) == 28800);
    assert_string_equal(trend_span_name(1), "1 h");
    assert_int_equal(trend_series(&t, 0, 0, out, TREND_LEN), 0);
}

static void test_bucket_means_at_4hz(void **state)
{
    (void)state;
    double v[4];
    bool good[4] = {true, true, true, true};
    for (int k = 0; k < 4 * 30; k++) {
        double now = 1000 + k * 0.25;
        v[0] = now; /* pen 0 reads the time: bucket mean = second + 0.375 */
        v[1] = 740;
        v[2] = 1100;
        v[3] = 50;
        trend_add(&t, now, v, good);
    }
    int n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, 30); /* 29 closed seconds and the one being filled */
    for (int i = 0; i < n; i++)
        assert_true(fabs(out[i] - (1000 + i + 0.375)) < 1e-3);
    /* 1 h span: 6 s buckets 166 (996..1002 s) to 171 (1026..1032 s) */
    n = trend_series(&t, 1, 1, out, TREND_LEN);
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++)
        assert_true(fabs(out[i] - 740) < 1e-3);
    /* max bounds the series, newest kept */
    n = trend_series(&t, 0, 0, out, 3);
    assert_int_equal(n, 3);
    assert_true(fabs(out[2] - 1029.375) < 1e-3);
    assert_true(t.t_first == 1000 && fabs(t.t_last - 1029.75) < 1e-9);
}

static void test_gaps_and_bad_samples(void **state)
{
    (void)state;
    double v[4] = {1, 2, 3, 4};
    bool good[4] = {true, false, true, true};
    trend_add(&t, 100, v, good);
    trend_add(&t, 105, v, good); /* four seconds with no sample at all */
    int n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, 6);
    assert_true(out[0] == 1);
    for (int i = 1; i <= 4; i++)
        assert_true(isnan(out[i]));
    assert_true(out[5] == 1);
    /* pen 1 was never good: NAN everywhere, never a number */
    n = trend_series(&t, 0, 1, out, TREND_LEN);
    for (int i = 0; i < n; i++)
        assert_true(isnan(out[i]));
    /* a huge gap fills at most the ring */
    trend_add(&t, 100000, v, good);
    n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, TREND_LEN);
    assert_true(out[TREND_LEN - 1] == 1);
    assert_true(isnan(out[0]));
}

static void test_ring_wraps_and_time_backwards(void **state)
{
    (void)state;
    double v[4] = {0};
    bool good[4] = {true, true, true, true};
    for (int k = 0; k < 700; k++) {
        v[0] = k;
        trend_add(&t, k, v, good);
    }
    int n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, TREND_LEN);
    assert_true(out[TREND_LEN - 1] == 699);
    assert_true(out[0] == 699 - (TREND_LEN - 1));
    /* a new server whose clock starts again: the trend starts again */
    v[0] = 5;
    trend_add(&t, 10, v, good);
    n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, 1);
    assert_true(out[0] == 5);
    assert_true(t.t_first == 10);
    /* NaN time is ignored */
    trend_add(&t, NAN, v, good);
    assert_true(t.t_last == 10);
}

static void test_from_snapshot(void **state)
{
    (void)state;
    static struct snap s;
    memset(&s, 0, sizeof s);
    s.t = 50;
    s.ntags = 3;
    snprintf(s.tags[0].name, CFG_NAME_MAX, "roof_temp");
    s.tags[0].v = 1105;
    snprintf(s.tags[1].name, CFG_NAME_MAX, "hc_gas_temp");
    s.tags[1].v = 1010;
    snprintf(s.tags[2].name, CFG_NAME_MAX, "bath_hc_temp");
    s.tags[2].v = 741;
    s.tags[2].q = Q_STALE;
    trend_add_snap(&t, &s);
    assert_int_equal(trend_series(&t, 0, trend_pen(&t, "roof_temp"), out, 1), 1);
    assert_true(out[0] == 1105);
    trend_series(&t, 0, trend_pen(&t, "hc_gas_temp"), out, 1);
    assert_true(out[0] == 1010);
    trend_series(&t, 0, trend_pen(&t, "bath_hc_temp"), out, 1);
    assert_true(isnan(out[0])); /* not GOOD: no sample */
    trend_series(&t, 0, trend_pen(&t, "firing_fb"), out, 1);
    assert_true(isnan(out[0])); /* not in the snapshot */
}

static struct trend_hist h;

static void test_csv_time(void **state)
{
    (void)state;
    double w = 0;
    assert_true(trend_csv_time("1970-01-01T00:00:00.000Z", &w));
    assert_true(w == 0);
    assert_true(trend_csv_time("2026-11-29T10:00:01.250Z", &w));
    assert_true(fabs(w - 1795946401.25) < 1e-6);
    assert_true(trend_csv_time("2000-03-01T00:00:00Z", &w));
    assert_true(w == 951868800);
    static const char *const bad[] = {
        "",
        "2026-11-29",
        "2026-11-29T10:00:01",
        "2026-13-01T00:00:00Z",
        "2026-11-29T10:00:01.Z",
        "2026-11-29T10:00:01.000Zx",
        "2026-11-29 10:00:01Z",
        "x026-11-29T10:00:01Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w = 42;
        assert_false(trend_csv_time(bad[i], &w));
        assert_true(w == 42); /* nothing changed */
    }
}

static void test_hist_target(void **state)
{
    (void)state;
    char buf[64];
    /* pens: hc_gas_temp, bath_hc_temp, roof_temp, firing_fb */
    int next = trend_hist_target(&t, 0, buf, sizeof buf);
    assert_int_equal(next, 4);
    assert_string_equal(buf, "hc_gas_temp,bath_hc_temp,roof_temp,firing_fb");
    char small[30];
    next = trend_hist_target(&t, 0, small, sizeof small);
    assert_int_equal(next, 2);
    assert_string_equal(small, "hc_gas_temp,bath_hc_temp");
    assert_true(strlen(small) < sizeof small);
    next = trend_hist_target(&t, next, small, sizeof small);
    assert_int_equal(next, 4);
    assert_string_equal(small, "roof_temp,firing_fb");
    assert_int_equal(trend_hist_target(&t, 4, small, sizeof small), 4); /* none left */
    assert_int_equal(trend_hist_target(&t, 0, small, 5), 0);            /* none fits */
}

/* Process time 1000 s = Unix 1795946400 (2026-11-29T10:00:00Z). */
#define OFFSET 1795945400.0

static void test_hist_rows_and_quality_gaps(void **state)
{
    (void)state;
    trend_hist_begin(&h, 1000, OFFSET);
    /* a row before any header is not understood */
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:00.000Z,1"), -1);
    assert_int_equal(trend_hist_line(&h, &t, "time,roof_temp,\"flue_temp\",hc_gas_temp"), 0);
    assert_int_equal(h.ncols, 3);
    assert_int_equal(h.col_pen[0], 2);
    assert_int_equal(h.col_pen[1], -1); /* not a pen: skipped */
    assert_int_equal(h.col_pen[2], 0);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:00.000Z,1100.5,300,1010"), 1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:00.500Z,1101.5,,BAD"), 1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:01.000Z,COMMS,1,STALE"), 1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:02.000Z,,2,12abc"), 1);
    assert_int_equal(h.gaps, 5);
    /* malformed: too few cells, bad time; counted, nothing taken */
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:03.000Z,1"), -1);
    assert_int_equal(trend_hist_line(&h, &t, "yesterday,1,2,3"), -1);
    assert_int_equal(h.bad, 3);
    /* older than the 8 h window: not taken */
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-28T10:00:00.000Z,1,2,3"), 0);
    assert_int_equal(h.rows, 4);
    assert_true(fabs(h.t_min - 940) < 1e-6 && fabs(h.t_max - 942) < 1e-6);
    /* 10 min span: bucket 940 s is 60 buckets before 1000 s */
    assert_int_equal(h.n[0][2][60], 2);
    assert_true(fabs(h.sum[0][2][60] - 2202) < 1e-9);
    assert_int_equal(h.n[0][2][59], 0); /* COMMS: a gap, not a number */
    assert_int_equal(h.n[0][0][60], 1); /* BAD left out */
    assert_int_equal(h.n[0][0][58], 0); /* 12abc is not a number */
}

/* The historian's export: a value and a quality column per tag (the value empty when
 * not GOOD); the quality columns are no pens and count no gaps. */
static void test_hist_quality_columns(void **state)
{
    (void)state;
    trend_hist_begin(&h, 1000, OFFSET);
    assert_int_equal(trend_hist_line(&h, &t, "time,roof_temp,roof_temp_quality,hc_gas_temp,"
                                             "hc_gas_temp_quality"),
                     0);
    assert_int_equal(h.ncols, 4);
    assert_int_equal(h.col_pen[0], 2);
    assert_int_equal(h.col_pen[1], -1);
    assert_int_equal(h.col_pen[2], 0);
    assert_int_equal(h.col_pen[3], -1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:00.000Z,1100.5,GOOD,1010,GOOD"), 1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:00.500Z,,BAD,1012,GOOD"), 1);
    assert_int_equal(trend_hist_line(&h, &t, "2026-11-29T09:59:01.000Z,,,,STALE"), 1);
    assert_int_equal(h.gaps, 3);
    assert_int_equal(h.n[0][2][60], 1);
    assert_true(fabs(h.sum[0][2][60] - 1100.5) < 1e-9);
    assert_int_equal(h.n[0][0][60], 2);
    assert_true(fabs(h.sum[0][0][60] - 2022) < 1e-9);
    assert_int_equal(h.n[0][0][59], 0);
}

static void test_merge_history_before_live(void **state)
{
    (void)state;
    double v[4] = {1000, 740, 1100, 50};
    bool good[4] = {true, true, true, true};
    /* the console attached at 995 s and has samples 995..1000 */
    for (int k = 995; k <= 1000; k++)
        trend_add(&t, k, v, good);
    trend_hist_begin(&h, 1000, OFFSET);
    trend_hist_line(&h, &t, "time,hc_gas_temp,roof_temp");
    /* history 900..997 s: overlaps the console's own samples at 995..997 */
    char line[128];
    for (int k = 900; k <= 997; k++) {
        int s = 3600 * 10 - (1000 - k); /* seconds of the day */
        snprintf(line, sizeof line, "2026-11-29T%02d:%02d:%02d.000Z,%d,%s", s / 3600, s / 60 % 60,
                 s % 60, 900 + k % 7, k == 950 ? "STALE" : "1099");
        assert_int_equal(trend_hist_line(&h, &t, line), 1);
    }
    trend_merge(&t, &h);
    assert_true(t.has_hist);
    assert_true(fabs(t.hist_t0 - 900) < 1e-6);
    int n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, 101); /* buckets 900..999 and 1000 being filled */
    assert_true(out[0] == 900 + 900 % 7);
    assert_true(out[90] == 900 + 990 % 7);
    for (int i = 95; i < n; i++)
        assert_true(out[i] == 1000); /* the console's own samples win */
    /* roof_temp: the STALE cell is a gap */
    n = trend_series(&t, 0, 2, out, TREND_LEN);
    assert_true(isnan(out[50]));
    assert_true(out[49] == 1099 && out[51] == 1099);
    assert_true(out[n - 1] == 1100);
    /* the 8 h span: 48 s buckets, history and live share bucket 20 */
    n = trend_series(&t, 2, 0, out, TREND_LEN);
    assert_true(n >= 2 && !isnan(out[0]));
    /* the live ring continues after the merge */
    trend_add(&t, 1001, v, good);
    trend_add(&t, 1002, v, good);
    n = trend_series(&t, 0, 0, out, TREND_LEN);
    assert_int_equal(n, 103);
    assert_true(out[0] == 900 + 900 % 7 && out[101] == 1000);
}

static void test_add_pen(void **state)
{
    (void)state;
    double v[5] = {1, 2, 3, 4, 5};
    bool good[5] = {true, true, true, true, true};
    trend_add(&t, 10, v, good);
    trend_add(&t, 11, v, good);
    assert_int_equal(trend_add_pen(&t, "roof_temp"), 2); /* already a pen */
    int p = trend_add_pen(&t, "flue_temp");
    assert_int_equal(p, 4);
    assert_int_equal(t.npens, 5);
    assert_int_equal(trend_pen(&t, "flue_temp"), 4);
    int n = trend_series(&t, 0, p, out, TREND_LEN);
    assert_int_equal(n, 2);
    assert_true(isnan(out[0]) && isnan(out[1])); /* no made-up past */
    trend_add(&t, 12, v, good);
    n = trend_series(&t, 0, p, out, TREND_LEN);
    assert_true(out[n - 1] == 5);
    assert_int_equal(trend_add_pen(&t, ""), -1);
    while (t.npens < TREND_PENS) {
        char name[16];
        snprintf(name, sizeof name, "x%d", t.npens);
        assert_true(trend_add_pen(&t, name) >= 0);
    }
    assert_int_equal(trend_add_pen(&t, "one_more"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pens, fresh),
        cmocka_unit_test_setup(test_bucket_means_at_4hz, fresh),
        cmocka_unit_test_setup(test_gaps_and_bad_samples, fresh),
        cmocka_unit_test_setup(test_ring_wraps_and_time_backwards, fresh),
        cmocka_unit_test_setup(test_from_snapshot, fresh),
        cmocka_unit_test_setup(test_csv_time, fresh),
        cmocka_unit_test_setup(test_hist_target, fresh),
        cmocka_unit_test_setup(test_hist_rows_and_quality_gaps, fresh),
        cmocka_unit_test_setup(test_hist_quality_columns, fresh),
        cmocka_unit_test_setup(test_merge_history_before_live, fresh),
        cmocka_unit_test_setup(test_add_pen, fresh),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
