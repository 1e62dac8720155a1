/* test_pid — the PID block against a first-order-plus-dead-time plant.
 *
 * Plant: y' = (y0 + K * u(t - L) - y) / tau.  The heating plant stands for
 * the HC atmosphere (K 6 K/%, tau 120 s, L 10 s), tuned by SIMC (tc = L):
 * Kp = tau / (K (tc + L)) = 1 %/K, Ti = min(tau, 4 (tc + L)) = 80 s.  The
 * pressure plant stands for the flue damper (opening lowers the pressure):
 * K -0.5 Pa/%, tau 8 s, L 2 s, Kp 4 %/Pa, Ti 8 s, direct action.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "pid.h"

#define EPS 1e-9

/* cmocka 1.1.5's assert_float_equal works in single precision: use this. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.9g, expected %.9g +- %g", #a, a_, b_, (double)(eps));                 \
    } while (0)

/* ---- plant ------------------------------------------------------------------ */

struct fopdt {
    double k, tau, y0, y;
    double buf[64];
    int n, head;
};

/* A plant at rest with input u0 (y = y0 + K u0), dead time of n steps. */
static struct fopdt fopdt_make(double k, double tau, double y0, int delay_steps, double u0)
{
    struct fopdt f = {.k = k, .tau = tau, .y0 = y0, .y = y0 + k * u0, .n = delay_steps};
    for (int i = 0; i < f.n; i++)
        f.buf[i] = u0;
    return f;
}

static double fopdt_step(struct fopdt *f, double u, double dt)
{
    double ud = f->buf[f->head];
    f->buf[f->head] = u;
    f->head = (f->head + 1) % f->n;
    f->y += dt / f->tau * (f->y0 + f->k * ud - f->y);
    return f->y;
}

static struct fopdt heat_plant(double u0) { return fopdt_make(6.0, 120.0, 400.0, 10, u0); }

static struct pid_params heat_params(void)
{
    return (struct pid_params){.name = "hc",
                               .pv_unit = "degC",
                               .out_unit = "%",
                               .action = LOOP_REVERSE,
                               .kp = 1.0,
                               .ti_s = 80.0,
                               .d_filter = 8,
                               .sp_lo = 400,
                               .sp_hi = 1200,
                               .out_lo = 0,
                               .out_hi = 100,
                               .i_lo = 0,
                               .i_hi = 100,
                               .cas_allowed = true};
}

/* A block in `mode` at rest with the plant: output u0, SP = PV. */
static void at_rest(struct pid *p, const struct pid_params *prm, struct fopdt *f,
                    enum cfg_loop_mode mode, double u0)
{
    *f = heat_plant(u0);
    pid_init(p, prm, mode, f->y);
    pid_init_output(p, u0);
    struct pid_in in = pid_in_pv(f->y);
    pid_step(p, &in, 1.0);
}

/* One closed-loop step of the heating plant; returns the output. */
static double loop_step(struct pid *p, struct fopdt *f, const struct pid_in *extra, double dt)
{
    struct pid_in in = extra ? *extra : pid_in_pv(0);
    in.pv.v = f->y;
    in.pv.q = Q_GOOD;
    double u = pid_step(p, &in, dt);
    fopdt_step(f, u, dt);
    return u;
}

/* ---- step responses -------------------------------------------------------- */

static void test_step_reverse(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 50.0);
    assert_near(f.y, 700.0, EPS);
    assert_int_equal(pid_set_sp(&p, 800.0, NULL, 0), 0);
    double peak = 0, settled_at = -1;
    for (int t = 1; t <= 1500; t++) {
        loop_step(&p, &f, NULL, 1.0);
        peak = fmax(peak, f.y);
        if (fabs(f.y - 800.0) > 2.0)
            settled_at = -1;
        else if (settled_at < 0)
            settled_at = t;
    }
    assert_true(fabs(f.y - 800.0) < 0.1);
    assert_true(peak - 800.0 < 10.0); /* overshoot below 10 % of the step */
    assert_true(settled_at > 0 && settled_at < 600);
    assert_near(p.out, 400.0 / 6.0, 0.05); /* the plant's steady input */
}

static const struct pid_params press_params = {.name = "pressure",
                                               .pv_unit = "Pa",
                                               .out_unit = "%",
                                               .action = LOOP_DIRECT,
                                               .kp = 4.0,
                                               .ti_s = 8.0,
                                               .d_filter = 8,
                                               .sp_lo = -20,
                                               .sp_hi = 30,
                                               .out_lo = 0,
                                               .out_hi = 100,
                                               .i_lo = 0,
                                               .i_hi = 100};

/* Runs the pressure plant from 10 Pa to a 5 Pa setpoint; returns the PV. */
static double run_pressure(enum cfg_loop_action action, double *out)
{
    struct pid_params prm = press_params;
    prm.action = action;
    struct fopdt f = fopdt_make(-0.5, 8.0, 30.0, 8, 40.0); /* 0.25 s steps, L = 2 s */
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, f.y);
    pid_init_output(&p, 40.0);
    assert_int_equal(pid_set_sp(&p, 5.0, NULL, 0), 0);
    for (int k = 0; k < 4 * 120; k++) {
        struct pid_in in = pid_in_pv(f.y);
        fopdt_step(&f, pid_step(&p, &in, 0.25), 0.25);
    }
    *out = p.out;
    return f.y;
}

static void test_step_direct(void **state)
{
    (void)state;
    double out;
    double y = run_pressure(LOOP_DIRECT, &out);
    assert_true(fabs(y - 5.0) < 0.05);
    assert_near(out, 50.0, 0.2);          /* (30 - 5) / 0.5: the damper opened */
    y = run_pressure(LOOP_REVERSE, &out); /* the wrong action runs away */
    assert_near(out, 0.0, EPS);
    assert_true(y > 25.0);
}

/* ---- limits --------------------------------------------------------------- */

static void test_output_limits(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.out_lo = 10;
    prm.out_hi = 90; /* the plant reaches 940 at most */
    prm.i_lo = 10;
    prm.i_hi = 90;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 50.0);
    assert_int_equal(pid_set_sp(&p, 1200.0, NULL, 0), 0);
    for (int t = 0; t < 2000; t++) {
        loop_step(&p, &f, NULL, 1.0);
        assert_true(p.out <= 90.0);
    }
    assert_near(p.out, 90.0, 0);
    assert_true(p.status & PID_ST_SAT_HI);
    assert_true(p.status & PID_ST_LIM_UP);
    assert_true(p.status & PID_ST_I_HELD);
    assert_true(p.i <= 90.0);

    assert_int_equal(pid_set_sp(&p, 400.0, NULL, 0), 0); /* the plant's floor is 460 */
    for (int t = 0; t < 2000; t++) {
        loop_step(&p, &f, NULL, 1.0);
        assert_true(p.out >= 10.0);
    }
    assert_near(p.out, 10.0, 0);
    assert_true(p.status & PID_ST_SAT_LO);
    assert_true(p.status & PID_ST_LIM_DOWN);
    assert_false(p.status & PID_ST_SAT_HI);
}

static void test_rate_limit(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.out_rate_per_s = 0.5;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 20.0);
    assert_int_equal(pid_set_sp(&p, 900.0, NULL, 0), 0);
    bool saw_rate = false;
    for (int t = 0; t < 3000; t++) {
        double before = p.out;
        loop_step(&p, &f, NULL, 1.0);
        assert_true(fabs(p.out - before) <= 0.5 + EPS);
        saw_rate |= (p.status & PID_ST_RATE) != 0;
        if (t == 0)
            assert_near(p.out, 20.5, EPS); /* P alone would jump by 220 */
    }
    assert_true(saw_rate);
    assert_true(fabs(f.y - 900.0) < 0.5);
}

static void test_sp_ramp(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.sp_ramp_per_min = 30.0;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 50.0);
    assert_int_equal(pid_set_sp(&p, 800.0, NULL, 0), 0);
    assert_near(p.sp, 800.0, 0);
    for (int t = 0; t < 60; t++) {
        loop_step(&p, &f, NULL, 1.0);
        assert_true(p.status & PID_ST_SP_RAMP);
        assert_true(p.status & PID_ST_SP_LIM_UP);
    }
    assert_near(p.sp_work, 730.0, 1e-6);
    for (int t = 0; t < 140; t++)
        loop_step(&p, &f, NULL, 1.0);
    assert_near(p.sp_work, 800.0, 0);
    assert_false(p.status & PID_ST_SP_RAMP);
    /* and down */
    assert_int_equal(pid_set_sp(&p, 770.0, NULL, 0), 0);
    loop_step(&p, &f, NULL, 2.0);
    assert_near(p.sp_work, 799.0, 1e-6);
}

struct sp_case {
    const char *what;
    enum cfg_loop_mode mode;
    bool track_pv;
    double sp;
    const char *expect;
};

static void test_sp_refusals(void **state)
{
    (void)state;
    static const struct sp_case cases[] = {
        {"nan", LOOP_AUTO, false, NAN, "not a number"},
        {"inf", LOOP_AUTO, false, INFINITY, "not a number"},
        {"above sp_hi", LOOP_AUTO, false, 1200.5, "outside the limits 400.0 .. 1200.0 degC"},
        {"below sp_lo", LOOP_AUTO, false, 399.0, "outside the limits"},
        {"step too big", LOOP_AUTO, false, 760.5, "more than the largest step 60.0 degC"},
        {"cas", LOOP_CAS, false, 710.0, "in CAS it comes from the master"},
        {"man tracking", LOOP_MAN, true, 710.0, "in MAN it follows the PV"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct pid_params prm = heat_params();
        prm.sp_max_step = 60.0;
        prm.sp_track_pv = cases[k].track_pv;
        struct pid p, before;
        pid_init(&p, &prm, cases[k].mode, 700.0);
        memcpy(&before, &p, sizeof p);
        char err[200] = "";
        assert_int_equal(pid_set_sp(&p, cases[k].sp, err, sizeof err), -1);
        if (!strstr(err, cases[k].expect))
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[k].what, err, cases[k].expect);
        assert_non_null(strstr(err, "hc: "));
        assert_memory_equal(&p, &before, sizeof p);
    }
    struct pid_params prm = heat_params();
    prm.sp_max_step = 60.0;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    assert_int_equal(pid_set_sp(&p, 760.0, NULL, 0), 0); /* exactly the largest step */
    assert_near(p.sp, 760.0, 0);
    assert_int_equal(pid_set_sp(&p, 820.0, NULL, 0), 0); /* steps chain */
    assert_near(p.sp, 820.0, 0);
}

static void test_out_refusals(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.out_lo = 10;
    struct pid p, before;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    char err[200];
    memcpy(&before, &p, sizeof p);
    assert_int_equal(pid_set_out(&p, 30.0, err, sizeof err), -1);
    assert_non_null(strstr(err, "only in MAN (the loop is in AUTO)"));
    assert_memory_equal(&p, &before, sizeof p);

    assert_int_equal(pid_set_mode(&p, LOOP_MAN, NULL, 0), 0);
    static const double bad[] = {100.5, 9.5, NAN, -INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(&before, &p, sizeof p);
        assert_int_equal(pid_set_out(&p, bad[k], err, sizeof err), -1);
        assert_true(strstr(err, "outside the limits 10.0 .. 100.0 %") ||
                    strstr(err, "not a number"));
        assert_memory_equal(&p, &before, sizeof p);
    }
    assert_int_equal(pid_set_out(&p, 35.0, err, sizeof err), 0);
    struct pid_in in = pid_in_pv(700.0);
    assert_near(pid_step(&p, &in, 1.0), 35.0, 0);
}

static void test_mode_refusals(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.cas_allowed = false;
    struct pid p, before;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    char err[200];
    memcpy(&before, &p, sizeof p);
    assert_int_equal(pid_set_mode(&p, LOOP_CAS, err, sizeof err), -1);
    assert_non_null(strstr(err, "CAS refused: the loop has no master"));
    assert_int_equal(pid_set_mode(&p, (enum cfg_loop_mode)7, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown mode 7"));
    assert_memory_equal(&p, &before, sizeof p);
    assert_int_equal(pid_set_mode(&p, LOOP_AUTO, err, sizeof err), 0); /* no change */
    assert_memory_equal(&p, &before, sizeof p);

    struct pid_in in = {.pv = {.v = 700.0, .q = Q_BAD_SENSOR}};
    pid_step(&p, &in, 1.0);
    assert_int_equal(p.mode, LOOP_MAN);
    memcpy(&before, &p, sizeof p);
    assert_int_equal(pid_set_mode(&p, LOOP_AUTO, err, sizeof err), -1);
    assert_non_null(strstr(err, "AUTO refused: the PV is bad"));
    assert_memory_equal(&p, &before, sizeof p);
}

static void test_integrator_clamp(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.kp = 0.1;
    prm.ti_s = 10;
    prm.i_hi = 40;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 800.0);
    struct pid_in in = pid_in_pv(700.0);
    for (int t = 0; t < 200; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.i, 40.0, 0);
    assert_near(p.out, 50.0, EPS); /* P 10 + I 40, below out_hi */
    assert_true(p.status & PID_ST_I_CLAMP);
    assert_false(p.status & PID_ST_SAT_HI);
    /* the other way the integrator leaves the clamp at once */
    assert_int_equal(pid_set_sp(&p, 600.0, NULL, 0), 0);
    pid_step(&p, &in, 1.0);
    assert_near(p.i, 39.0, EPS);
}

static void test_hold_directions(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 750.0);
    pid_init_output(&p, 60.0);           /* I = 60 - P 50: inside its clamp */
    struct pid_in in = pid_in_pv(700.0); /* below SP: the integrator would rise */
    in.hold_up = true;
    pid_step(&p, &in, 1.0);
    double i0 = p.i;
    for (int t = 0; t < 50; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.i, i0, 0);
    assert_true(p.status & PID_ST_I_HELD);
    in.hold_up = false;
    in.hold_down = true; /* holding the other direction does not stop it */
    pid_step(&p, &in, 1.0);
    assert_near(p.i, i0 + 1.0 / 80.0 * 50.0, EPS);
    assert_false(p.status & PID_ST_I_HELD);
    in.pv.v = 800.0; /* above SP: now held */
    double i1 = p.i;
    pid_step(&p, &in, 1.0);
    assert_near(p.i, i1, 0);
}

/* ---- bumpless transfer ----------------------------------------------------- */

/* Switch mode, then step: the switch step must not move the output, the next
 * one only by a small, continuous amount. */
static void switch_and_check(struct pid *p, struct fopdt *f, enum cfg_loop_mode mode,
                             const struct pid_in *extra)
{
    double before = p->out;
    assert_int_equal(pid_set_mode(p, mode, NULL, 0), 0);
    assert_near(p->out, before, 0);
    loop_step(p, f, extra, 1.0);
    if (fabs(p->out - before) > EPS)
        fail_msg("switch to %d stepped the output %.6f -> %.6f", mode, before, p->out);
    double second = p->out;
    loop_step(p, f, extra, 1.0);
    assert_true(fabs(p->out - second) < 1.0);
    for (int t = 0; t < 100; t++)
        loop_step(p, f, extra, 1.0);
}

static void test_bumpless(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 50.0);
    struct pid_in cas = pid_in_pv(0);
    cas.rsp = 760.0; /* 60 K away from the local SP */
    assert_int_equal(pid_set_sp(&p, 740.0, NULL, 0), 0);
    for (int t = 0; t < 30; t++)
        loop_step(&p, &f, NULL, 1.0); /* mid-transient: P, I and PV all moving */

    switch_and_check(&p, &f, LOOP_MAN, NULL);
    assert_int_equal(pid_set_out(&p, 62.0, NULL, 0), 0);
    for (int t = 0; t < 50; t++)
        loop_step(&p, &f, NULL, 1.0);
    assert_near(p.out, 62.0, 0);
    switch_and_check(&p, &f, LOOP_AUTO, NULL);
    switch_and_check(&p, &f, LOOP_CAS, &cas);
    assert_near(p.sp_work, 760.0, 0);
    switch_and_check(&p, &f, LOOP_AUTO, NULL);
    assert_near(p.sp, 760.0, 0); /* the local SP kept the CAS setpoint */
    switch_and_check(&p, &f, LOOP_CAS, &cas);
    switch_and_check(&p, &f, LOOP_MAN, &cas);
    switch_and_check(&p, &f, LOOP_CAS, &cas);
    for (int t = 0; t < 1500; t++)
        loop_step(&p, &f, &cas, 1.0);
    assert_true(fabs(f.y - 760.0) < 0.1); /* and it still controls */
}

static void test_man_sp_tracks_pv(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.sp_track_pv = true;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_MAN, 50.0);
    assert_int_equal(pid_set_out(&p, 70.0, NULL, 0), 0);
    for (int t = 0; t < 100; t++)
        loop_step(&p, &f, NULL, 1.0);
    struct pid_in in = pid_in_pv(f.y);
    pid_step(&p, &in, 1.0);
    assert_near(p.sp, f.y, 0);
    assert_true(f.y > 720.0);
    double before = p.out;
    assert_int_equal(pid_set_mode(&p, LOOP_AUTO, NULL, 0), 0);
    double sp = p.sp;
    loop_step(&p, &f, NULL, 1.0);
    assert_near(p.out, before, EPS);
    assert_near(p.sp, sp, 0); /* AUTO holds the SP it took over */
}

/* ---- wind-up ---------------------------------------------------------------- */

/* The same law without any anti-windup, for comparison. */
struct naive {
    double kp, ti, i, out;
};

static double naive_step(struct naive *n, double sp, double pv, double dt)
{
    double e = sp - pv;
    n->i += n->kp * dt / n->ti * e;
    n->out = fmin(100.0, fmax(0.0, n->kp * e + n->i));
    return n->out;
}

/* Seconds after the SP drop until the output leaves 100 % and until the PV
 * is back within 5 K of the new SP for good. */
struct recovery {
    double desat_s, settle_s;
};

static struct recovery windup_run(bool antiwindup, double i_span)
{
    struct pid_params prm = heat_params();
    prm.i_lo = -i_span;
    prm.i_hi = i_span;
    struct fopdt f = heat_plant(50.0);
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 1150.0);
    pid_init_output(&p, 50.0);
    struct naive n = {.kp = prm.kp, .ti = prm.ti_s, .i = 50.0};
    double sp = 1150.0; /* unreachable: the plant tops out at 1000 */
    struct recovery r = {-1, -1};
    for (int t = 0; t < 7200; t++) {
        if (t == 3600) {
            sp = 800.0;
            assert_int_equal(pid_set_sp(&p, sp, NULL, 0), 0);
        }
        double u;
        if (antiwindup) {
            struct pid_in in = pid_in_pv(f.y);
            u = pid_step(&p, &in, 1.0);
        } else {
            u = naive_step(&n, sp, f.y, 1.0);
        }
        fopdt_step(&f, u, 1.0);
        if (t >= 3600) {
            if (r.desat_s < 0 && u < 100.0)
                r.desat_s = t - 3600;
            if (fabs(f.y - sp) > 5.0)
                r.settle_s = -1;
            else if (r.settle_s < 0)
                r.settle_s = t - 3600;
        }
    }
    return r;
}

static void test_windup_recovery(void **state)
{
    (void)state;
    /* conditional integration alone (a clamp too wide to matter), then with
     * the shipped clamp (the output range) as well */
    struct recovery aw = windup_run(true, 1e6), cl = windup_run(true, 100.0);
    struct recovery nv = windup_run(false, 0);
    assert_true(aw.desat_s >= 0 && aw.desat_s <= 2);
    assert_true(aw.settle_s > 0 && aw.settle_s < 900);
    assert_true(cl.desat_s >= 0 && cl.desat_s <= 2);
    assert_true(cl.settle_s > 0 && cl.settle_s < 900);
    assert_true(nv.desat_s > 600); /* the naive block sits at full fire for minutes */
    assert_true(nv.settle_s < 0 || nv.settle_s > 2 * aw.settle_s);
}

/* A re-initialisation far from SP leaves I outside its clamp (the SC fan loop
 * started with its gas 330 K above SP: I = 20 + 264).  Once the PV is above SP
 * again the output must come off its high limit within a minute, at no more
 * than the rate limit per step: before the bleed it sat at 100 % for most of
 * an hour, the integrator held by conditional integration. */
static void test_reinit_integrator_bleeds(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.kp = 0.8;
    prm.ti_s = 300;
    prm.out_rate_per_s = 5;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 450.0);
    pid_init_output(&p, 20.0);
    struct pid_in in = pid_in_pv(780.0);
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 20.0, 0); /* bumpless */
    assert_true(p.i > 250);      /* far outside 0..100 */
    in.pv.v = 430.0;             /* the cold charge: below SP, the fan runs up */
    for (int t = 0; t < 120; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.out, 100.0, 0);
    in.pv.v = 470.0; /* above SP again: the fan must come down */
    double last = p.out;
    for (int t = 0; t < 60; t++) {
        pid_step(&p, &in, 1.0);
        assert_true(fabs(p.out - last) <= prm.out_rate_per_s + EPS);
        last = p.out;
    }
    assert_true(p.i <= prm.i_hi + EPS);
    assert_true(p.out < 90.0);
    for (int t = 0; t < 1200; t++)
        pid_step(&p, &in, 1.0);
    assert_true(p.out < 20.0); /* and on down by the integral action */
}

/* Without a rate limit the bleed takes the integral time; a held direction is
 * not bled (a master whose slave cannot follow). */
static void test_reinit_bleed_without_rate_limit(void **state)
{
    (void)state;
    struct pid_params prm = heat_params(); /* no rate limit, Ti 80 s, clamp 0..100 */
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 50.0);
    struct pid_in in = pid_in_pv(550.0); /* P = 150: I = -100 */
    pid_step(&p, &in, 1.0);
    assert_near(p.i, -100.0, EPS);
    in.pv.v = 700.0; /* at SP: no integration, only the bleed */
    in.hold_up = true;
    pid_step(&p, &in, 1.0);
    assert_near(p.i, -100.0, EPS);
    in.hold_up = false;
    pid_step(&p, &in, 1.0);
    assert_near(p.i, -100.0 + 100.0 / 80.0, EPS);
    for (int t = 0; t < 2000; t++)
        pid_step(&p, &in, 1.0);
    assert_true(p.i >= prm.i_lo - 1e-6 && p.i <= prm.i_lo + 1e-6);
}

/* The integrator a re-initialisation leaves is what the output actually is whenever that
 * reproduces the output.  An air loop (direct action on the HC gas, SP 1160, kp 10 %/K)
 * started at 0 % with its gas 300 K below SP: the old re-initialisation set I = 0 - P =
 * 3000, the bleed brought it down to the top of its clamp (100) and held it there, so the
 * air went to 50 % with the gas still 5 K below SP and to full air at SP.  Now I = 0: no
 * air until the gas passes SP, then P and I from 0. */
static struct pid_params air_params(void)
{
    return (struct pid_params){.name = "air",
                               .pv_unit = "degC",
                               .out_unit = "%",
                               .action = LOOP_DIRECT,
                               .kp = 10.0,
                               .ti_s = 60.0,
                               .sp_lo = 1160,
                               .sp_hi = 1175,
                               .out_lo = 0,
                               .out_hi = 100,
                               .out_rate_per_s = 5,
                               .i_lo = 0,
                               .i_hi = 100};
}

static void test_reinit_at_limit_is_the_output(void **state)
{
    (void)state;
    struct pid_params prm = air_params();
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 1160.0); /* output 0, the first step re-initialises */
    struct pid_in in = pid_in_pv(860.0);
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 0.0, 0); /* bumpless */
    /* the gas heats up over 10 min to 5 K below SP: no air at any step */
    for (int t = 0; t < 600; t++) {
        in.pv.v = 860.0 + 295.0 * (t + 1) / 600.0;
        pid_step(&p, &in, 1.0);
        assert_near(p.out, 0.0, 0);
    }
    assert_near(p.i, 0.0, EPS); /* the output, not 0 - P = 3000 bled to 100 */
    /* past SP the air comes from 0: P, then I, at no more than the rate limit */
    in.pv.v = 1163.0;
    double last = p.out;
    for (int t = 0; t < 60; t++) {
        pid_step(&p, &in, 1.0);
        assert_true(p.out >= last - EPS && p.out - last <= prm.out_rate_per_s + EPS);
        last = p.out;
    }
    assert_true(p.out > 30.0 && p.out < 60.0); /* 30 from P, ~30 s x 0.5 %/s from I */

    /* the same through MAN -> AUTO: MAN at 0 % with the gas far below SP */
    pid_init(&p, &prm, LOOP_MAN, 1160.0);
    in.pv.v = 900.0;
    for (int t = 0; t < 10; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.i, 0.0, 0);
    assert_int_equal(pid_set_mode(&p, LOOP_AUTO, NULL, 0), 0);
    in.pv.v = 1158.0;
    for (int t = 0; t < 30; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.out, 0.0, 0); /* before: 100 - 20 = 80 % of air below SP */
}

/* A firing tracked at low fire (a door open) with its gas above SP, then released while
 * the master raises its setpoint to just below the gas: the old re-initialisation left
 * I = 10 - P (the firing before the door, 40 % here) and the firing rose to ~36 % with the
 * gas still above SP (P over a held integrator); now I = 10 and the firing stays at low
 * fire until the gas is below SP. */
static void test_track_at_limit_then_sp_rises(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.kp = 0.8;
    prm.ti_s = 120;
    prm.out_lo = prm.i_lo = 10;
    prm.out_rate_per_s = 5;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 1000.0);
    pid_init_output(&p, 40.0);
    struct pid_in in = pid_in_pv(1040.0); /* P = -32 */
    in.track = true;
    in.track_value = 10.0;
    for (int t = 0; t < 60; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.out, 10.0, 0);
    in.track = false;
    for (int t = 0; t < 60; t++) {
        assert_int_equal(pid_set_sp(&p, 1000.0 + 35.0 * (t + 1) / 60.0, NULL, 0), 0);
        pid_step(&p, &in, 1.0); /* the gas stays 5 K above SP at the end */
        assert_near(p.out, 10.0, 0);
    }
    assert_near(p.i, 10.0, EPS); /* before: 10 + 32 = 42, held */
    /* below SP the firing comes back up from low fire */
    in.pv.v = 1020.0;
    for (int t = 0; t < 30; t++)
        pid_step(&p, &in, 1.0);
    assert_true(p.out > 20.0);
}

/* Where keeping the output would bump (the output not at a limit, or the law pulling away
 * from the limit it sits at), the re-initialisation is I = out - P as before. */
static void test_reinit_off_limit_exact(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 0.0); /* at the low limit, the law pushing up: P = 50 */
    struct pid_in in = pid_in_pv(650.0);
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 0.0, 0);
    assert_near(p.i, -50.0, EPS);
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 30.0); /* between the limits, P = -40 */
    in.pv.v = 740.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 30.0, 0);
    assert_near(p.i, 70.0, EPS);
    /* at the high limit with the law pushing past it: I = 100 */
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 100.0);
    in.pv.v = 600.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 100.0, 0);
    assert_near(p.i, 100.0, EPS);
}

/* ---- PV filter ------------------------------------------------------------- */

/* A first-order filter: a step of the raw PV reaches the law as 1 - exp(-t/T);
 * the first sample, and the first after a bad PV, pass as they are. */
static void test_pv_filter_step(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.pv_filter_s = 10.0;
    struct pid p;
    pid_init(&p, &prm, LOOP_MAN, 700.0);
    struct pid_in in = pid_in_pv(650.0);
    pid_step(&p, &in, 1.0);
    assert_near(p.pv, 650.0, 0);
    in.pv.v = 660.0;
    for (int t = 0; t < 10; t++)
        pid_step(&p, &in, 1.0);
    assert_near(p.pv, 650.0 + 10.0 * (1 - exp(-1.0)), 1e-9);
    assert_near(p.err, 700.0 - p.pv, 1e-9); /* the law sees the filtered PV */
    struct pid_in bad = {.pv = {.v = 0, .q = Q_BAD_SENSOR}};
    pid_step(&p, &bad, 1.0);
    in.pv.v = 600.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.pv, 600.0, 0);
    /* 0 = no filter */
    prm.pv_filter_s = 0;
    pid_init(&p, &prm, LOOP_MAN, 700.0);
    pid_step(&p, &in, 1.0);
    in.pv.v = 610.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.pv, 610.0, 0);
}

/* Sensor noise (0.3 K, as meltsim's thermocouples) through a P+D loop: the
 * filter takes most of the output's step-to-step travel away. */
static double noise_travel(double filter_s)
{
    struct pid_params prm = heat_params();
    prm.kp = 5.0;
    prm.td_s = 60.0;
    prm.pv_filter_s = filter_s;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 50.0);
    uint64_t x = 12345;
    double travel = 0, last = 50.0;
    for (int t = 0; t < 4000; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(x >> 11) / 9007199254740992.0; /* 0..1 */
        struct pid_in in = pid_in_pv(700.0 + 0.3 * 1.7320508 * (2 * u - 1));
        pid_step(&p, &in, 0.25);
        if (t > 100)
            travel += fabs(p.out - last);
        last = p.out;
    }
    return travel;
}

static void test_pv_filter_noise(void **state)
{
    (void)state;
    double raw = noise_travel(0), filtered = noise_travel(8.0);
    assert_true(raw > 0);
    assert_true(filtered < 0.2 * raw);
}

/* ---- tracking, bad PV, feed-forward, derivative ----------------------------- */

static void test_tracking(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 60.0);
    assert_int_equal(pid_set_sp(&p, 800.0, NULL, 0), 0);
    struct pid_in low = {.track = true, .track_value = 10.0};
    for (int t = 0; t < 900; t++) {
        loop_step(&p, &f, &low, 1.0);
        assert_near(p.out, 10.0, 0);
        assert_true(p.status & PID_ST_TRACK);
        assert_int_equal(p.mode, LOOP_AUTO);
    }
    assert_true(f.y < 500.0);                /* 300 K below SP for 15 min */
    assert_near(p.i + p.p + p.d, 10.0, EPS); /* re-initialised, not wound up */
    assert_true(p.i < prm.i_lo);             /* I = 10 - P, far below its clamp */
    double before = p.out, i_before = p.i, err = 800.0 - f.y;
    loop_step(&p, &f, NULL, 1.0);
    /* continuous from low fire: P, one dI and one step of the bleed toward the clamp */
    double step = prm.kp / prm.ti_s * err + (prm.i_lo - i_before) / prm.ti_s;
    assert_true(p.out - before > 0 && p.out - before < step + 1.0);
    assert_false(p.status & PID_ST_TRACK);

    /* in MAN the operator output follows the forced one */
    assert_int_equal(pid_set_mode(&p, LOOP_MAN, NULL, 0), 0);
    assert_int_equal(pid_set_out(&p, 70.0, NULL, 0), 0);
    low.track_value = 12.0;
    loop_step(&p, &f, &low, 1.0);
    loop_step(&p, &f, NULL, 1.0);
    assert_near(p.out, 12.0, 0);
}

struct bad_case {
    enum tag_quality q;
    double v;
    const char *expect;
};

static void test_bad_pv(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {Q_BAD_SENSOR, 700.0, "PV BAD"},
        {Q_BAD_COMMS, 700.0, "PV COMMS"},
        {Q_STALE, 700.0, "PV STALE"},
        {Q_GOOD, NAN, "PV not a number"},
    };
    static const enum cfg_loop_mode modes[] = {LOOP_AUTO, LOOP_CAS};
    for (size_t m = 0; m < 2; m++) {
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            struct pid_params prm = heat_params();
            struct pid p;
            struct fopdt f;
            at_rest(&p, &prm, &f, modes[m], 55.0);
            if (modes[m] == LOOP_AUTO)
                assert_int_equal(pid_set_sp(&p, 750.0, NULL, 0), 0);
            struct pid_in cas = {.rsp = 750.0};
            for (int t = 0; t < 20; t++)
                loop_step(&p, &f, &cas, 1.0);
            double held = p.out;
            assert_true(fabs(held - 55.0) > 1.0); /* it was moving */
            struct pid_in bad = {.pv = {.v = cases[k].v, .q = cases[k].q}, .rsp = 750.0};
            pid_step(&p, &bad, 1.0);
            assert_near(p.out, held, 0);
            assert_int_equal(p.mode, LOOP_MAN);
            assert_true(p.status & PID_ST_BAD_PV);
            assert_true(p.events & PID_EV_DROPPED_MAN);
            assert_non_null(strstr(p.reason, cases[k].expect));
            assert_non_null(strstr(p.reason, "dropped to MAN, output held at"));
            for (int t = 0; t < 10; t++) {
                bad.pv.v = 900.0;
                pid_step(&p, &bad, 1.0);
                assert_near(p.out, held, 0);
                assert_int_equal(p.events, 0); /* reported once */
            }
            assert_true(p.status & PID_ST_SHED);
            /* the PV returns: the block stays in MAN until asked, marked shed */
            loop_step(&p, &f, NULL, 1.0);
            assert_int_equal(p.mode, LOOP_MAN);
            assert_false(p.status & PID_ST_BAD_PV);
            assert_true(p.status & PID_ST_SHED);
            assert_near(p.out, held, 0);
            assert_int_equal(pid_set_mode(&p, LOOP_MAN, NULL, 0), 0); /* not put back */
            loop_step(&p, &f, NULL, 1.0);
            assert_true(p.status & PID_ST_SHED);
            assert_int_equal(pid_set_mode(&p, LOOP_AUTO, NULL, 0), 0);
            assert_false(p.status & PID_ST_SHED);
            loop_step(&p, &f, NULL, 1.0);
            assert_false(p.status & PID_ST_SHED);
            assert_near(p.out, held, EPS);
        }
    }
}

/* A PV bad for less than pv_bad_hold_s holds the output and keeps the mode; the law
 * then resumes as if the held steps had been one long step. */
static void test_bad_pv_hold(void **state)
{
    (void)state;
    static const enum tag_quality qs[] = {Q_STALE, Q_BAD_COMMS, Q_BAD_SENSOR};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        struct pid_params prm = heat_params();
        prm.pv_bad_hold_s = 5.0;
        prm.td_s = 20.0; /* D sees the gap too */
        prm.pv_filter_s = 4.0;
        struct pid p;
        struct fopdt f;
        at_rest(&p, &prm, &f, LOOP_AUTO, 55.0);
        assert_int_equal(pid_set_sp(&p, 750.0, NULL, 0), 0);
        for (int t = 0; t < 20; t++)
            loop_step(&p, &f, NULL, 1.0);
        double held = p.out;
        struct pid twin = p; /* the same block, never told of the hold */
        struct pid_in bad = {.pv = {.v = 900.0, .q = qs[k]}};
        assert_true(pid_hold_left(&p) == 0); /* the PV good: no hold runs */
        for (int t = 0; t < 4; t++) { /* 4 s bad, under the 5 s hold */
            pid_step(&p, &bad, 1.0);
            /* what the console counts down: 4, 3, 2, 1 s left */
            assert_near(pid_hold_left(&p), 4.0 - t, 1e-9);
            assert_near(p.out, held, 0);
            assert_int_equal(p.mode, LOOP_AUTO);
            assert_true(p.status & PID_ST_BAD_PV);
            assert_false(p.status & PID_ST_SHED);
            assert_int_equal(p.events, 0);
        }
        /* an AUTO block with a bad PV refuses CAS and says which mode it stays in */
        char err[160];
        assert_int_equal(pid_set_mode(&p, LOOP_CAS, err, sizeof err), -1);
        assert_non_null(strstr(err, "the PV is bad; the loop stays in AUTO"));
        struct pid_in good = pid_in_pv(f.y);
        pid_step(&p, &good, 1.0);
        pid_step(&twin, &good, 5.0);
        assert_int_equal(p.mode, LOOP_AUTO);
        assert_false(p.status & (PID_ST_BAD_PV | PID_ST_SHED));
        assert_true(pid_hold_left(&p) == 0);
        assert_near(p.out, twin.out, 1e-12);
        assert_near(p.i, twin.i, 1e-12);
        assert_near(p.d, twin.d, 1e-12);
        assert_near(p.pv, twin.pv, 1e-12);
        assert_true(fabs(p.out - held) > 0.01); /* and the law moved on */

        /* bad without a break for the hold: MAN, once, with how long */
        for (int t = 0; t < 5; t++) {
            pid_step(&p, &bad, 1.0);
            assert_int_equal(p.mode, t < 4 ? LOOP_AUTO : LOOP_MAN);
            assert_int_equal(p.events, t < 4 ? 0u : (unsigned)PID_EV_DROPPED_MAN);
        }
        assert_true(pid_hold_left(&p) == 0); /* in MAN: nothing left to count down */
        pid_step(&p, &bad, 1.0);
        assert_int_equal(p.events, 0); /* reported once */
        assert_true(p.status & PID_ST_SHED);
        assert_non_null(strstr(p.reason, "for 5.0 s: dropped to MAN, output held at"));
        assert_non_null(strstr(p.reason, tag_quality_name(qs[k])));
    }
}

/* A PV that comes and goes (a slow PLC read every other step) never sheds the loop, and
 * the loop still controls; a MAN block with a bad PV stays in MAN without a report. */
static void test_bad_pv_hold_intermittent(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.pv_bad_hold_s = 2.0;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 55.0);
    double y0 = f.y;
    assert_int_equal(pid_set_sp(&p, y0 + 30.0, NULL, 0), 0);
    for (int t = 0; t < 1800; t++) {
        struct pid_in in = pid_in_pv(f.y);
        if (t % 2)
            in.pv.q = Q_STALE;
        fopdt_step(&f, pid_step(&p, &in, 1.0), 1.0);
        assert_int_equal(p.mode, LOOP_AUTO);
        assert_int_equal(p.events, 0);
    }
    assert_near(f.y, y0 + 30.0, 0.5);

    /* the operator takes it to MAN during a hold: no shed, no report */
    struct pid_in good = pid_in_pv(f.y);
    pid_step(&p, &good, 1.0);
    struct pid_in bad = {.pv = {.v = 0, .q = Q_BAD_COMMS}};
    pid_step(&p, &bad, 1.0);
    assert_int_equal(p.mode, LOOP_AUTO);
    assert_near(pid_hold_left(&p), 1.0, 1e-9);
    assert_int_equal(pid_set_mode(&p, LOOP_MAN, NULL, 0), 0);
    assert_true(pid_hold_left(&p) == 0); /* the operator's MAN: no countdown */
    for (int t = 0; t < 10; t++) {
        pid_step(&p, &bad, 1.0);
        assert_int_equal(p.events, 0);
        assert_true(pid_hold_left(&p) == 0);
    }
    assert_int_equal(p.mode, LOOP_MAN);
    assert_false(p.status & PID_ST_SHED);

    /* an output forced during a hold: the law resumes from it without a bump */
    at_rest(&p, &prm, &f, LOOP_AUTO, 55.0);
    struct pid_in forced = {.pv = {.v = 0, .q = Q_STALE}, .track = true, .track_value = 10.0};
    pid_step(&p, &forced, 1.0);
    assert_near(p.out, 10.0, 0);
    assert_int_equal(p.mode, LOOP_AUTO);
    good = pid_in_pv(f.y);
    pid_step(&p, &good, 1.0);
    assert_near(p.out, 10.0, 1e-12);
}

static void test_feed_forward(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.ti_s = 0; /* P only: the output moves by FF exactly */
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 40.0);
    struct pid_in in = pid_in_pv(700.0);
    pid_step(&p, &in, 1.0);
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 40.0, EPS);
    in.ff = 10.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 50.0, EPS);
    /* a mode switch with FF present is still bumpless */
    assert_int_equal(pid_set_mode(&p, LOOP_MAN, NULL, 0), 0);
    pid_step(&p, &in, 1.0);
    assert_int_equal(pid_set_mode(&p, LOOP_AUTO, NULL, 0), 0);
    in.pv.v = 690.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.out, 50.0, EPS);
}

static void test_derivative_on_measurement(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.ti_s = 0;
    prm.td_s = 20.0;
    prm.d_filter = 8.0; /* Tf = 2.5 s */
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 40.0);
    struct pid_in in = pid_in_pv(700.0);
    pid_step(&p, &in, 1.0);
    pid_step(&p, &in, 1.0);
    double base = p.out;
    assert_int_equal(pid_set_sp(&p, 710.0, NULL, 0), 0);
    pid_step(&p, &in, 1.0);
    assert_near(p.out - base, 10.0, EPS); /* P only: no derivative kick */
    assert_near(p.d, 0.0, 0);
    base = p.out;
    in.pv.v = 705.0;
    pid_step(&p, &in, 1.0);
    double d1 = -1.0 * 20.0 / 3.5 * 5.0;
    assert_near(p.d, d1, EPS);
    assert_near(p.out - base, -5.0 + d1, EPS);
    pid_step(&p, &in, 1.0);
    assert_near(p.d, d1 * 2.5 / 3.5, EPS); /* filter decay */
    /* direct action flips the sign */
    prm.action = LOOP_DIRECT;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    in.pv.v = 700.0;
    pid_step(&p, &in, 1.0);
    in.pv.v = 705.0;
    pid_step(&p, &in, 1.0);
    assert_near(p.d, -d1, EPS);
}

/* The derivative noise band: a PV drifting slower than d_band_per_min gives no D at all;
 * a faster one gets D on the part of its filtered rate beyond the band, with the sign of
 * the action; 0 is the plain D (the band changes nothing then). */
static void test_derivative_band(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.ti_s = 0;
    prm.td_s = 60.0;
    prm.d_filter = 1.0; /* Tf = 60 s */
    prm.d_band_per_min = 0.6; /* 0.01 degC/s */
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 40.0);
    struct pid_in in = pid_in_pv(700.0);
    pid_step(&p, &in, 1.0);
    /* a slow drift, 0.005 degC/s (half the band), for 10 min: the filtered rate settles at
     * it and no D ever acts */
    for (int k = 1; k <= 600; k++) {
        in.pv.v = 700.0 + 0.005 * k;
        pid_step(&p, &in, 1.0);
        assert_near(p.d, 0.0, 0);
    }
    assert_near(p.rate, 0.005, 1e-5);
    /* a fast rise, 0.05 degC/s: once the filtered rate is there, D = -Kp Td (r - band) */
    double v = in.pv.v;
    for (int k = 1; k <= 1200; k++) {
        in.pv.v = v + 0.05 * k;
        pid_step(&p, &in, 1.0);
    }
    assert_near(p.rate, 0.05, 1e-6);
    assert_near(p.d, -1.0 * 60.0 * (0.05 - 0.01), 1e-4);
    /* falling just as fast: the mirror image */
    v = in.pv.v;
    for (int k = 1; k <= 1200; k++) {
        in.pv.v = v - 0.05 * k;
        pid_step(&p, &in, 1.0);
    }
    assert_near(p.d, +1.0 * 60.0 * (0.05 - 0.01), 1e-4);
    /* direct action flips the sign */
    prm.action = LOOP_DIRECT;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    in.pv.v = 700.0;
    pid_step(&p, &in, 1.0);
    for (int k = 1; k <= 1200; k++) {
        in.pv.v = 700.0 + 0.05 * k;
        pid_step(&p, &in, 1.0);
    }
    assert_near(p.d, +1.0 * 60.0 * (0.05 - 0.01), 1e-4);
    /* no band: the same steps give the plain filtered D of test_derivative_on_measurement */
    struct pid q;
    prm.action = LOOP_REVERSE;
    prm.d_band_per_min = 0;
    prm.d_filter = 8.0;
    prm.td_s = 20.0;
    pid_init(&q, &prm, LOOP_AUTO, 700.0);
    in.pv.v = 700.0;
    pid_step(&q, &in, 1.0);
    in.pv.v = 705.0;
    pid_step(&q, &in, 1.0);
    assert_near(q.d, -1.0 * 20.0 / 3.5 * 5.0, EPS);
    /* a bad PV forgets the rate: the first good sample after it gives no D */
    in.pv.q = Q_BAD_SENSOR;
    pid_step(&q, &in, 1.0);
    assert_int_equal(pid_set_mode(&q, LOOP_MAN, NULL, 0), 0);
    in.pv = (struct tag_value){.v = 720.0, .q = Q_GOOD};
    pid_step(&q, &in, 1.0);
    assert_near(q.d, 0.0, 0);
    assert_near(q.rate, 0.0, 0);
}

static void test_cap_and_reduce(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 60.0);
    assert_int_equal(pid_set_sp(&p, 900.0, NULL, 0), 0);
    struct pid_in cap = {.out_cap = true, .out_cap_value = 30.0};
    double i0 = p.i;
    for (int t = 0; t < 1200; t++) {
        loop_step(&p, &f, &cap, 1.0);
        assert_true(p.out <= 30.0);
    }
    assert_true(p.status & PID_ST_SAT_HI);
    assert_near(p.i, i0, 0); /* no wind-up against the cap */
    assert_true(p.status & PID_ST_I_HELD);
    cap.out_cap_value = 120.0; /* a cap above out_hi changes nothing */
    loop_step(&p, &f, &cap, 1.0);
    assert_true(p.out <= 100.0);

    struct pid_in red = {.sp_reduce = 40.0};
    loop_step(&p, &f, &red, 1.0);
    assert_near(p.sp_eff, 860.0, 0);
    assert_near(p.sp_work, 900.0, 0);
    assert_true(p.status & PID_ST_SP_REDUCED);
    assert_true(p.status & PID_ST_SP_LIM_UP);
    red.sp_reduce = -40.0; /* never raises */
    loop_step(&p, &f, &red, 1.0);
    assert_near(p.sp_eff, 900.0, 0);
    assert_false(p.status & PID_ST_SP_REDUCED);

    struct pid_in seq = {.sp_ext = true, .sp_ext_value = 500.0};
    loop_step(&p, &f, &seq, 1.0);
    assert_near(p.sp_eff, 500.0, 0);
    assert_near(p.sp, 900.0, 0); /* the operator's SP is kept */
    seq.sp_ext_value = 2000.0;   /* clamped to sp_hi */
    loop_step(&p, &f, &seq, 1.0);
    assert_near(p.sp_eff, 1200.0, 0);
    assert_true(p.status & PID_ST_SP_LIM_UP);
}

static void test_bad_dt_changes_nothing(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    struct pid p, before;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    struct pid_in in = pid_in_pv(650.0);
    pid_step(&p, &in, 1.0);
    memcpy(&before, &p, sizeof p);
    static const double dts[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t k = 0; k < 4; k++) {
        assert_near(pid_step(&p, &in, dts[k]), before.out, 0);
        assert_memory_equal(&p, &before, sizeof p);
    }
}

/* ---- output gap (out_deadband) ------------------------------------------------ */

/* A P-only block (kp 1 %/K, SP 700, output 50 % at PV 700, so out = 750 - PV) with the given
 * gap: table of PVs and the output each step must give. */
static void test_out_gap(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.ti_s = 0;
    prm.out_deadband = 2.0;
    struct pid p;
    pid_init(&p, &prm, LOOP_AUTO, 700.0);
    pid_init_output(&p, 50.0);
    struct pid_in in0 = pid_in_pv(700.0);
    pid_step(&p, &in0, 1.0); /* bumpless first step: 50 */
    p.i = 50.0;              /* the law's offset: out = 50 + (700 - PV) */
    static const struct {
        double pv, out;
        bool held;
    } cases[] = {
        {700.0, 50.0, true},   /* the law's own output: nothing to move */
        {701.5, 50.0, true},   /* wants 48.5: 1.5 % < gap, held */
        {698.5, 50.0, true},   /* wants 51.5: held (noise both ways never reaches it) */
        {697.0, 53.0, false},  /* wants 53: 3 % away, moves there */
        {698.9, 53.0, true},   /* wants 51.1: held at 53 */
        {698.0, 53.0, true},   /* wants 52: within 2 of 53, held */
        {655.0, 95.0, false},  /* wants 95: moves */
        {649.5, 100.0, false}, /* wants 100.5: to the limit, even from within the gap */
        {651.0, 100.0, true},  /* wants 99: held at 100 */
        {780.0, 0.0, false},   /* wants -30: to the low limit */
        {749.0, 0.0, true},    /* wants 1: held at 0 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct pid_in in = pid_in_pv(cases[k].pv);
        pid_step(&p, &in, 1.0);
        if (fabs(p.out - cases[k].out) > 1e-9 || ((p.status & PID_ST_OUT_HELD) != 0) != cases[k].held)
            fail_msg("case %zu: PV %.1f: out %.3f held %d, expected %.3f held %d", k,
                     cases[k].pv, p.out, (p.status & PID_ST_OUT_HELD) != 0, cases[k].out,
                     cases[k].held);
    }
    /* a cap below the held output moves it at once */
    struct pid_in capped = pid_in_pv(749.0);
    pid_step(&p, &capped, 1.0);
    capped.pv.v = 700.0;
    pid_step(&p, &capped, 1.0);
    assert_near(p.out, 50.0, EPS);
    capped.out_cap = true;
    capped.out_cap_value = 49.0;
    pid_step(&p, &capped, 1.0);
    assert_near(p.out, 49.0, EPS);
    assert_false(p.status & PID_ST_OUT_HELD);
}

/* With a rate limit slower than the gap per step the output still travels all the way
 * (the gap compares the law before the rate limit); the integrator runs on while held. */
static void test_out_gap_rate_limit(void **state)
{
    (void)state;
    struct pid_params prm = heat_params();
    prm.out_deadband = 2.0;
    prm.out_rate_per_s = 0.5;
    struct pid p;
    struct fopdt f;
    at_rest(&p, &prm, &f, LOOP_AUTO, 50.0);
    p.sp = f.y + 60.0; /* +60 K with the PV held: the law wants more than 100 % */
    for (int t = 0; t < 200; t++) {
        struct pid_in in = pid_in_pv(f.y);
        pid_step(&p, &in, 1.0);
    }
    assert_near(p.out, 100.0, EPS); /* 0.5 %/s: would stall at 50 if judged after the limit */
    /* noise of +-1 K around a settled loop moves the output no more than the gap allows */
    struct pid q;
    at_rest(&q, &prm, &f, LOOP_AUTO, 50.0);
    double moves = 0, last = q.out;
    for (int t = 0; t < 2000; t++) {
        struct pid_in in = pid_in_pv(f.y + ((t & 1) ? 1.0 : -1.0));
        pid_step(&q, &in, 1.0);
        if (q.out != last)
            moves++;
        last = q.out;
    }
    assert_true(moves < 20);
    assert_true(fabs(q.out - 50.0) < 2.0 + 1e-9);
}

static void test_params_from_cfg(void **state)
{
    (void)state;
    struct cfg_loop l = {.name = "sc",
                         .action = LOOP_REVERSE,
                         .kp = 0.8,
                         .ti_s = 240,
                         .td_s = 30,
                         .d_filter = 8,
                         .sp_lo = 200,
                         .sp_hi = 650,
                         .sp_max_step = 50,
                         .sp_ramp_per_min = 20,
                         .out_lo = 5,
                         .out_hi = 95,
                         .out_rate_per_s = 2,
                         .pv_filter_s = 6,
                         .out_deadband = 0.5,
                         .pv_bad_hold_s = 3,
                         .d_band_per_min = 0.2};
    struct pid_params prm;
    pid_params_from_cfg(&prm, &l);
    assert_near(prm.d_band_per_min, 0.2, 0);
    assert_near(prm.pv_filter_s, 6, 0);
    assert_near(prm.pv_bad_hold_s, 3, 0);
    assert_near(prm.out_deadband, 0.5, 0);
    assert_string_equal(prm.name, "sc");
    assert_near(prm.kp, 0.8, 0);
    assert_near(prm.ti_s, 240, 0);
    assert_near(prm.td_s, 30, 0);
    assert_near(prm.sp_ramp_per_min, 20, 0);
    assert_near(prm.out_rate_per_s, 2, 0);
    assert_near(prm.i_lo, 5, 0);
    assert_near(prm.i_hi, 95, 0);
    assert_false(prm.cas_allowed);
    struct pid p;
    pid_init(&p, &prm, LOOP_MAN, 900.0); /* start SP clamped */
    assert_near(p.sp, 650.0, 0);
    assert_near(p.out, 5.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_reverse),
        cmocka_unit_test(test_step_direct),
        cmocka_unit_test(test_output_limits),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_sp_ramp),
        cmocka_unit_test(test_sp_refusals),
        cmocka_unit_test(test_out_refusals),
        cmocka_unit_test(test_mode_refusals),
        cmocka_unit_test(test_integrator_clamp),
        cmocka_unit_test(test_hold_directions),
        cmocka_unit_test(test_bumpless),
        cmocka_unit_test(test_man_sp_tracks_pv),
        cmocka_unit_test(test_windup_recovery),
        cmocka_unit_test(test_reinit_integrator_bleeds),
        cmocka_unit_test(test_reinit_bleed_without_rate_limit),
        cmocka_unit_test(test_reinit_at_limit_is_the_output),
        cmocka_unit_test(test_track_at_limit_then_sp_rises),
        cmocka_unit_test(test_reinit_off_limit_exact),
        cmocka_unit_test(test_pv_filter_step),
        cmocka_unit_test(test_pv_filter_noise),
        cmocka_unit_test(test_tracking),
        cmocka_unit_test(test_bad_pv),
        cmocka_unit_test(test_bad_pv_hold),
        cmocka_unit_test(test_bad_pv_hold_intermittent),
        cmocka_unit_test(test_feed_forward),
        cmocka_unit_test(test_derivative_on_measurement),
        cmocka_unit_test(test_derivative_band),
        cmocka_unit_test(test_cap_and_reduce),
        cmocka_unit_test(test_bad_dt_changes_nothing),
        cmocka_unit_test(test_out_gap),
        cmocka_unit_test(test_out_gap_rate_limit),
        cmocka_unit_test(test_params_from_cfg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
