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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pens, fresh),
        cmocka_unit_test_setup(test_bucket_means_at_4hz, fresh),
        cmocka_unit_test_setup(test_gaps_and_bad_samples, fresh),
        cmocka_unit_test_setup(test_ring_wraps_and_time_backwards, fresh),
        cmocka_unit_test_setup(test_from_snapshot, fresh),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
