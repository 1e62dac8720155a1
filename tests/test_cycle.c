/* test_cycle — the control cycle's timing arithmetic: lateness statistics,
 * the never-drifting schedule and process time from plc_clock, each fed
 * its times as arguments (no clock is read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "cycle.h"

/* ---- lateness ---------------------------------------------------------------------------- */

static void test_lateness_percentiles(void **state)
{
    (void)state;
    struct cycle_lat l;
    double p50, p99, max;
    cycle_lat_init(&l);
    cycle_lat_get(&l, &p50, &p99, &max);
    assert_true(p50 == 0 && p99 == 0 && max == 0);
    for (int i = 100; i >= 1; i--) /* order must not matter */
        cycle_lat_add(&l, i);
    cycle_lat_get(&l, &p50, &p99, &max);
    assert_true(fabs(p50 - 50) < 1e-6);
    assert_true(fabs(p99 - 99) < 1e-6);
    assert_true(fabs(max - 100) < 1e-6);
    assert_int_equal(l.count, 100);
    cycle_lat_add(&l, -3); /* a cycle that woke early counts as on time */
    assert_true(l.ring[(l.head + CYCLE_LAT_RING - 1) % CYCLE_LAT_RING] == 0);
}

static void test_lateness_ring_forgets_but_max_stays(void **state)
{
    (void)state;
    struct cycle_lat l;
    double p50, p99, max;
    cycle_lat_init(&l);
    cycle_lat_add(&l, 250); /* one stall long ago */
    for (int i = 0; i < 2 * CYCLE_LAT_RING; i++)
        cycle_lat_add(&l, 0.1 + (i % 10) * 0.01);
    cycle_lat_get(&l, &p50, &p99, &max);
    assert_true(p99 < 0.2); /* the stall has left the ring */
    assert_true(p50 > 0.1 && p50 < 0.2);
    assert_true(max == 250); /* but not the maximum */
    assert_int_equal(l.n, CYCLE_LAT_RING);
}

/* ---- schedule ----------------------------------------------------------------------------- */

static void test_deadline_never_drifts(void **state)
{
    (void)state;
    const int64_t P = 250000000, d0 = 1000000000;
    uint64_t missed = 0;
    int64_t d = d0;
    for (int k = 1; k <= 1000; k++) {
        /* each cycle ends somewhere inside its period, up to 0.9 P late */
        int64_t end = d + (P * (k % 10)) / 11;
        d = cycle_deadline_next(d, end, P, &missed);
        if (d != d0 + k * P)
            fail_msg("cycle %d: deadline %lld, want %lld", k, (long long)d,
                     (long long)(d0 + k * P));
    }
    assert_int_equal(missed, 0);
}

static void test_deadline_skips_missed(void **state)
{
    (void)state;
    const int64_t P = 250000000;
    uint64_t missed = 0;
    /* a cycle that ended 1.5 periods after its successor's deadline */
    int64_t d = cycle_deadline_next(0, P + P + P / 2, P, &missed);
    assert_int_equal(missed, 1);
    assert_true(d == 2 * P); /* on the grid, and less than a period behind */
    /* held up for 3 s */
    missed = 0;
    d = cycle_deadline_next(0, 3000000000LL, P, &missed);
    assert_true(d % P == 0);
    assert_true(3000000000LL - d < P && 3000000000LL - d >= 0);
    assert_int_equal(missed, 11);
    /* just less than a period behind the next deadline: run it now, skip none */
    missed = 0;
    d = cycle_deadline_next(0, 2 * P - 1, P, &missed);
    assert_true(d == P);
    assert_int_equal(missed, 0);
}

/* ---- process time ------------------------------------------------------------------------- */

/* Feed a PLC clock of 1 s resolution running `speed` times faster than the
 * wall clock, read every 250 ms; check t tracks it and dt never goes back. */
static void run_clock(struct cycle_pclock *c, double *mono, double *truth, double speed, int steps,
                      double *max_err, double *sum_dt)
{
    for (int i = 0; i < steps; i++) {
        *mono += 0.25;
        *truth += 0.25 * speed;
        double dt = cycle_pclock_step(c, *mono, true, floor(*truth));
        assert_true(dt >= 0);
        *sum_dt += dt;
        double e = fabs(c->t - *truth); /* no resynchronisation: t is on the PLC's clock */
        if (e > *max_err)
            *max_err = e;
    }
}

static void test_pclock_real_time(void **state)
{
    (void)state;
    struct cycle_pclock c;
    double mono = 100, truth = 5000.3, max_err = 0, sum = 0;
    cycle_pclock_init(&c, true, 0.25, 1.0);
    assert_true(cycle_pclock_step(&c, mono, true, floor(truth)) == 0);
    run_clock(&c, &mono, &truth, 1.0, 400, &max_err, &sum); /* 100 s */
    assert_true(max_err <= 1.0);
    assert_true(fabs(sum - 100.0) <= 1.0);
    assert_true(fabs(c.rate - 1.0) < 0.05);
    assert_int_equal(c.resyncs, 0);
}

static void test_pclock_sped_up(void **state)
{
    (void)state;
    struct cycle_pclock c;
    double mono = 0, truth = 0, max_err = 0, sum = 0;
    cycle_pclock_init(&c, true, 0.25, 1.0);
    cycle_pclock_step(&c, mono, true, 0);
    run_clock(&c, &mono, &truth, 10.0, 120, &max_err, &sum); /* 30 s wall, 300 s process */
    assert_true(fabs(c.rate - 10.0) < 0.5);
    assert_true(fabs(c.t - truth) <= 1.0);
    assert_true(fabs(sum - 300.0) <= 2.0); /* nothing lost to the dt cap */
    assert_int_equal(c.resyncs, 0);
}

static void test_pclock_stopped_plc_clock(void **state)
{
    (void)state;
    struct cycle_pclock c;
    double mono = 0, truth = 0, max_err = 0, sum = 0;
    cycle_pclock_init(&c, true, 0.25, 1.0);
    cycle_pclock_step(&c, 0, true, 0);
    run_clock(&c, &mono, &truth, 1.0, 80, &max_err, &sum);
    double frozen = floor(truth), t0 = c.t;
    for (int i = 0; i < 40; i++) { /* 10 s with the PLC's clock standing still */
        mono += 0.25;
        assert_true(cycle_pclock_step(&c, mono, true, frozen) >= 0);
    }
    assert_true(c.t <= frozen + 1.0 + 1e-9); /* at most one resolution step on */
    assert_true(c.t >= t0);
}

static void test_pclock_plc_restart_goes_on(void **state)
{
    (void)state;
    struct cycle_pclock c;
    double mono = 0, truth = 1000, max_err = 0, sum = 0;
    cycle_pclock_init(&c, true, 0.25, 1.0);
    cycle_pclock_step(&c, 0, true, 1000);
    run_clock(&c, &mono, &truth, 1.0, 40, &max_err, &sum);
    double before = c.t;
    mono += 0.25;
    double dt = cycle_pclock_step(&c, mono, true, 0); /* the PLC restarted: clock at 0 */
    assert_true(dt >= 0 && dt <= 0.3);
    assert_true(c.t >= before); /* process time never goes back */
    assert_int_equal(c.resyncs, 1);
    double t1 = c.t;
    for (int i = 1; i <= 20; i++) { /* and follows the new clock from there */
        mono += 0.25;
        assert_true(cycle_pclock_step(&c, mono, true, floor(i * 0.25)) >= 0);
    }
    assert_true(fabs((c.t - t1) - 5.0) <= 1.0);
}

static void test_pclock_jump_and_cap(void **state)
{
    (void)state;
    struct cycle_pclock c;
    cycle_pclock_init(&c, true, 0.25, 1.0);
    cycle_pclock_step(&c, 0, true, 100);
    double dt = cycle_pclock_step(&c, 0.25, true, 100 + 3600); /* clock set an hour on */
    assert_true(dt <= cycle_pclock_max_dt(&c));
    assert_true(dt < 1.0);
    assert_int_equal(c.resyncs, 1);
    /* the link was down for a while: t runs on at the last rate, dt capped */
    double t0 = c.t;
    dt = cycle_pclock_step(&c, 30.25, false, 0);
    assert_true(fabs(c.t - t0 - 30.0) < 1e-9);
    assert_true(dt == cycle_pclock_max_dt(&c));
    assert_true(cycle_pclock_max_dt(&c) == 2.5);
}

static void test_pclock_monotonic_mode(void **state)
{
    (void)state;
    struct cycle_pclock c;
    cycle_pclock_init(&c, false, 0.25, 1.0);
    assert_true(cycle_pclock_step(&c, 10.0, true, 12345) == 0);
    assert_true(c.t == 0); /* plc_clock ignored */
    assert_true(fabs(cycle_pclock_step(&c, 10.25, true, 99999) - 0.25) < 1e-12);
    assert_true(cycle_pclock_step(&c, 10.0, true, 0) == 0); /* mono never goes back */
    assert_true(cycle_pclock_step(&c, 40.0, true, 0) == 2.5);
    assert_true(fabs(c.t - 30.25) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lateness_percentiles),
        cmocka_unit_test(test_lateness_ring_forgets_but_max_stays),
        cmocka_unit_test(test_deadline_never_drifts),
        cmocka_unit_test(test_deadline_skips_missed),
        cmocka_unit_test(test_pclock_real_time),
        cmocka_unit_test(test_pclock_sped_up),
        cmocka_unit_test(test_pclock_stopped_plc_clock),
        cmocka_unit_test(test_pclock_plc_restart_goes_on),
        cmocka_unit_test(test_pclock_jump_and_cap),
        cmocka_unit_test(test_pclock_monotonic_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
