/* test_rpt — the record's figures (control/core/rpt.c) on hand-made records whose answers
 * are worked out by hand: energy from a constant gas flow, one charge through its phases
 * (pyrolysis time, organics from the load cells, push to flat bath, metal gain, dross),
 * taps, alarms and the ISA-18.2 KPIs (flood periods, top 10, chattering, standing),
 * operator actions and refusals, HOLD deviations; and record lines that are not what
 * they should be (bad mass, refused charge, unknown phase, unshaped alarm sentence), each
 * changing nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rpt.h"

#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.9g, expected %.9g +- %g", #a, a_, b_, (double)(eps));                 \
    } while (0)

static struct rpt r;

static struct rpt_params params(void)
{
    struct rpt_params p;
    rpt_params_default(&p, NULL);
    return p;
}

static struct rpt_sample smp(double gas, double metal, double bath, double scrap)
{
    return (struct rpt_sample){.gas_flow = gas, .metal_kg = metal, .bath_c = bath,
                               .roof_c = 900, .o2_pct = 2.0, .scrap_kg = scrap};
}

static void ev(double t, const char *user, const char *kind, const char *what, const char *old_v,
               const char *new_v, bool ok, const char *text)
{
    rpt_event(&r, t, user, kind, what, old_v, new_v, ok, text);
}

static void phase(double t, const char *from, const char *to)
{
    ev(t, "op1", "phase", "phase", from, to, true, "phase");
}

/* 100 Nm3/h of 36 MJ/Nm3 is 1000 kW: one hour is 1000 kWh. */
static void test_energy(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    struct rpt_sample s = smp(100, 40000, 740, 0);
    for (double t = 0; t < 3600; t += 30)
        rpt_sample(&r, t, &s);
    rpt_finish(&r, 3600);
    assert_near(r.sh.energy_kwh, 1000, 1e-6);
    assert_near(r.sh.hours, 1, 1e-12);
    assert_int_equal(r.ncharges, 0);
    assert_near(r.sh.kwh_t, 0, 0); /* no tonnes: 0, never a division by zero */
    assert_near(r.sh.roof_max, 900, 0);
    assert_near(r.sh.o2_min, 2.0, 0);
}

/* A gap in the historian longer than max_gap_s is not filled with fuel. */
static void test_energy_gap(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    struct rpt_sample s = smp(100, 40000, 740, 0);
    rpt_sample(&r, 0, &s);
    rpt_sample(&r, 3600, &s); /* one hour without a sample: counts max_gap_s (120 s) */
    rpt_finish(&r, 3600);
    assert_near(r.sh.energy_kwh, 1000.0 * 120 / 3600, 1e-6);
    /* a bad value stands for nothing */
    rpt_init(&r, &p, 0, PH_HOLD);
    s.gas_flow = NAN;
    for (double t = 0; t <= 600; t += 10)
        rpt_sample(&r, t, &s);
    rpt_finish(&r, 600);
    assert_near(r.sh.energy_kwh, 0, 0);
}

/* One charge: 3 t at t=0, 90 kg lost on the hearth in PYROLYSIS (t 100..1300), pushed at
 * 1400, metal 40000 -> 42800 kg, bath back in band at 2000 and staying (flat from 2000). */
/* The historian's heartbeat: the values stand, sampled every 30 s from t0 to before t1. */
static void keep(const struct rpt_sample *s, double t0, double t1)
{
    for (double t = t0; t < t1; t += 30)
        rpt_sample(&r, t, s);
}

/* A window from t = 0 in HOLD: CHARGE and a 3 t charge at 0; the sample in force, with
 * the 3 t on the hearth, is returned for the caller to go on with. */
static struct rpt_sample charge_3t(void)
{
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    struct rpt_sample s = smp(100, 40000, 740, 0);
    rpt_sample(&r, 0, &s);
    phase(0, "HOLD", "CHARGE");
    ev(0, "op1", "cmd", "charge", "", "3", true, "Charge scrap 3.00 t: done");
    s.scrap_kg = 3000;
    return s;
}

static void one_charge(void)
{
    struct rpt_sample s = charge_3t();
    keep(&s, 50, 100);
    phase(100, "CHARGE", "PYROLYSIS");
    keep(&s, 100, 1200);
    s.scrap_kg = 2910;
    keep(&s, 1200, 1300);
    phase(1300, "PYROLYSIS", "PUSH");
    keep(&s, 1300, 1400);
    ev(1400, "op1", "cmd", "push", "", "", true, "Push scrap: done");
    s.scrap_kg = 0;
    s.bath_c = 700; /* the cold scrap drops the bath */
    keep(&s, 1400, 1500);
    phase(1500, "PUSH", "MELT");
    keep(&s, 1500, 2000);
    s.bath_c = 738; /* in band from 2000 */
    s.metal_kg = 42800;
    rpt_sample(&r, 2000, &s);
    for (double t = 2010; t <= 3600; t += 10)
        rpt_sample(&r, t, &s);
    rpt_finish(&r, 3600);
}

/* The load cells not GOOD at PYROLYSIS's start and end (a link's time-out at the
 * moment): the last GOOD reading stands for max_gap_s (120 s), so the organics are still
 * known; a reading older than that is not used. */
static void charge_with_gaps(double gap_s)
{
    struct rpt_sample s = charge_3t();
    keep(&s, 30, 400 - gap_s);
    s.scrap_kg = NAN; /* not GOOD from 400 - gap_s to 430 */
    keep(&s, 400 - gap_s, 400);
    phase(400, "CHARGE", "PYROLYSIS");
    keep(&s, 400, 430);
    s.scrap_kg = 2910;
    keep(&s, 430, 1600 - gap_s);
    s.scrap_kg = NAN; /* and again from 1600 - gap_s to 1630 */
    keep(&s, 1600 - gap_s, 1600);
    phase(1600, "PYROLYSIS", "PUSH");
    keep(&s, 1600, 1630);
    s.scrap_kg = 0;
    keep(&s, 1630, 2000);
    rpt_finish(&r, 2000);
}

static void test_organics_across_gaps(void **state)
{
    (void)state;
    charge_with_gaps(60);
    assert_int_equal(r.ncharges, 1);
    assert_near(r.ch[0].organics_kg, 90, 1e-9);
    charge_with_gaps(300); /* the readings stand at most 120 s */
    assert_true(isnan(r.ch[0].organics_kg));
}

static void test_charge(void **state)
{
    (void)state;
    one_charge();
    assert_int_equal(r.ncharges, 1);
    const struct rpt_charge *c = &r.ch[0];
    assert_near(c->mass_kg, 3000, 1e-9);
    assert_near(c->pyro_s, 1200, 1e-9);
    assert_near(c->t_push, 1400, 0);
    assert_near(c->flat_s, 600, 1e-9);
    assert_near(c->organics_kg, 90, 1e-9);
    assert_near(c->energy_kwh, 1000, 1e-6);
    assert_near(c->kwh_t, 1000.0 / 3, 1e-6);
    double heat = 90 * 30.0 / 3.6; /* 750 kWh */
    assert_near(c->pyro_share, heat / (heat + 1000), 1e-9);
    assert_near(c->gain_kg, 2800, 1e-9);
    assert_near(c->dross_kg, 3000 - 2800 - 90, 1e-9);
    assert_near(r.sh.charged_t, 3, 1e-12);
    assert_near(r.sh.rate_t_h, 3, 1e-12);
    assert_near(r.sh.kwh_t, 1000.0 / 3, 1e-6);
    assert_int_equal(r.sh.actions, 6); /* 4 phases, charge, push */
    assert_int_equal(r.sh.refused, 0);
    assert_string_equal(c->scrap, ""); /* "" (a record from before classes): none */
}

/* The class of a charge as its record's old value ("cmd charge oily -> 1.9"); "-" and a
 * refused charge open none. */
static void test_charge_class(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_CHARGE);
    struct rpt_sample s = smp(100, 40000, 740, 0);
    rpt_sample(&r, 0, &s);
    ev(10, "op1", "cmd", "charge", "", "3", false, "Charge scrap: 3.00 t of oily scrap ...");
    ev(20, "op1", "cmd", "charge", "oily", "1.9", true, "Charge scrap 1.90 t of oily scrap: done");
    ev(30, "op1", "cmd", "charge", "-", "2", true, "Charge scrap 2.00 t: done");
    assert_int_equal(r.ncharges, 2);
    assert_string_equal(r.ch[0].scrap, "oily");
    assert_near(r.ch[0].mass_kg, 1900, 1e-9);
    assert_string_equal(r.ch[1].scrap, "");
    assert_int_equal(r.sh.refused, 1);
}

/* The bath never stays in band: no flat bath, no gain, no dross. */
static void test_charge_never_flat(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_PUSH);
    struct rpt_sample s = smp(100, 40000, 740, 0);
    ev(0, "op1", "cmd", "charge", "", "2.5", true, "");
    ev(10, "op1", "cmd", "push", "", "", true, "");
    for (double t = 10; t <= 3600; t += 10) {
        s.bath_c = fmod(t, 200) < 100 ? 740 : 750; /* in band 100 s at a time */
        rpt_sample(&r, t, &s);
    }
    rpt_finish(&r, 3600);
    assert_int_equal(r.ncharges, 1);
    assert_near(r.ch[0].flat_s, -1, 0);
    assert_true(isnan(r.ch[0].gain_kg));
    assert_true(isnan(r.ch[0].dross_kg));
    assert_true(isnan(r.ch[0].organics_kg)); /* never in PYROLYSIS: no load-cell figure */
}

/* A setpoint change in the record moves what flat bath is judged on. */
static void test_setpoint_followed(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_MELT);
    struct rpt_sample s = smp(100, 40000, 760, 0);
    ev(0, "op1", "cmd", "charge", "", "3", true, "");
    ev(1, "op1", "cmd", "push", "", "", true, "");
    ev(2, "op1", "set", "bath.sp", "740", "760", true, "bath.sp 740 -> 760");
    for (double t = 2; t <= 400; t += 10)
        rpt_sample(&r, t, &s);
    rpt_finish(&r, 400);
    assert_near(r.ch[0].flat_s, 1, 1e-9);
}

/* Bad lines change nothing: a refused charge, a mass that is no number, no mass, a
 * negative one; an unknown phase; a push with no charge; a refusal counts as refused. */
static void test_bad_lines(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    ev(1, "op1", "cmd", "charge", "", "3", false, "charging door is closed");
    ev(2, "op1", "cmd", "charge", "", "3t", true, "");
    ev(3, "op1", "cmd", "charge", "", "", true, "");
    ev(4, "op1", "cmd", "charge", "", "-1", true, "");
    ev(5, "op1", "cmd", "push", "", "", true, "");
    ev(6, "op1", "phase", "phase", "HOLD", "BOIL", true, "");
    ev(7, "meltcon", "server", "start", "", "", true, "server started");
    ev(8, "op1", "set", "bath.sp", "740", "hot", true, "");
    ev(9, "meltcon", "alarm", "roof_h", "NORMAL", "UNACK", true, "garbage");
    assert_int_equal(r.ncharges, 0);
    assert_int_equal(r.phase, PH_HOLD);
    assert_near(r.sp, 740, 0);
    rpt_finish(&r, 600);
    assert_int_equal(r.sh.annunciations, 0);
    assert_int_equal(r.sh.refused, 1);
    assert_int_equal(r.sh.actions, 6); /* the server's own line is no action */
}

/* Taps: counted from tap_open; tonnes from metal_mass over the TAP phase. */
static void test_taps(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_SKIM);
    struct rpt_sample s = smp(50, 60000, 740, 0);
    rpt_sample(&r, 0, &s);
    phase(10, "SKIM", "TAP");
    ev(20, "op1", "cmd", "tap_open", "", "", true, "");
    s.metal_kg = 45000;
    rpt_sample(&r, 900, &s);
    ev(910, "op1", "cmd", "tap_close", "", "", true, "");
    phase(920, "TAP", "HOLD");
    rpt_finish(&r, 1200);
    assert_int_equal(r.sh.taps, 1);
    assert_near(r.sh.tapped_t, 15, 1e-9);
}

static void raise(double t, const char *name, const char *prio)
{
    char text[64];
    snprintf(text, sizeof text, "raised %s: something", prio);
    ev(t, "meltcon", "alarm", name, "NORMAL", "UNACK", true, text);
}

static void clear(double t, const char *name)
{
    ev(t, "meltcon", "alarm", name, "UNACK", "NORMAL", true, "returned low: cleared");
}

/* 12 sources, 25 raises in the first 10 min (a flood), 5 in the second, none after: 3 of
 * 3 periods counted, 1 in flood; a_0 raises 3 times in 50 s (chattering); b_1 stays
 * active to the end of a 24-h window (standing). */
static void test_alarms_kpi(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    raise(1, "a_0", "high");
    clear(2, "a_0");
    raise(20, "a_0", "high");
    clear(21, "a_0");
    raise(50, "a_0", "high");
    clear(51, "a_0");
    for (int i = 0; i < 22; i++) {
        char name[16];
        snprintf(name, sizeof name, "s_%d", i % 11);
        raise(100 + i * 20, name, i % 2 ? "low" : "medium");
        clear(101 + i * 20, name);
    }
    raise(700, "b_1", "critical");
    for (int i = 0; i < 4; i++) {
        raise(800 + i * 90, "c_2", "low");
        clear(801 + i * 90, "c_2");
    }
    ev(900, "op1", "ack", "b_1", "", "", true, "acked");
    ev(901, "meltcon", "alarm", "b_1", "UNACK", "ACKED", true, "acked critical: by op1");
    rpt_finish(&r, 1800);
    const struct rpt_shift *s = &r.sh;
    assert_int_equal(s->annunciations, 30);
    assert_int_equal(s->by_prio[PRIO_HIGH], 3);
    assert_int_equal(s->by_prio[PRIO_MEDIUM], 11);
    assert_int_equal(s->by_prio[PRIO_LOW], 11 + 4);
    assert_int_equal(s->by_prio[PRIO_CRITICAL], 1);
    assert_int_equal(s->periods, 3);
    assert_int_equal(s->flood_periods, 1);
    assert_int_equal(s->max_per_period, 25);
    assert_near(s->per_10min, 10, 1e-9);
    assert_near(s->flood_pct, 100.0 / 3, 1e-9);
    /* 14 sources: a_0 3, c_2 4, b_1 1, s_0..s_10 2 each; top 10 = 4 + 3 + 8 x 2 = 23 */
    assert_near(s->top10_pct, 100.0 * 23 / 30, 1e-9);
    assert_int_equal(s->chattering, 1); /* a_0; c_2's raises are 90 s apart */
    assert_int_equal(s->standing, 0);   /* b_1 active 1100 s of the 24 h needed */
    assert_int_equal(s->actions, 1);
    /* the same record closed a day later: b_1 stands */
    rpt_init(&r, &p, 0, PH_HOLD);
    raise(700, "b_1", "critical");
    rpt_finish(&r, 700 + 86400);
    assert_int_equal(r.sh.standing, 1);
}

/* HOLD deviations: IAE in K*min and episodes beyond 5 K; not counted outside HOLD. */
static void test_deviation(void **state)
{
    (void)state;
    struct rpt_params p = params();
    rpt_init(&r, &p, 0, PH_HOLD);
    struct rpt_sample s = smp(100, 40000, 746, 0); /* 6 K off */
    rpt_sample(&r, 0, &s);
    s.bath_c = 740;
    rpt_sample(&r, 60, &s);
    s.bath_c = 734;
    rpt_sample(&r, 120, &s);
    phase(180, "HOLD", "CHARGE");
    s.bath_c = 700; /* in CHARGE: not a HOLD deviation */
    rpt_sample(&r, 240, &s);
    rpt_finish(&r, 600);
    assert_near(r.sh.bath_iae_kmin, 6 + 0 + 6, 1e-9);
    assert_near(r.sh.bath_dev_max_k, 6, 1e-9);
    assert_int_equal(r.sh.deviations, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_energy),       cmocka_unit_test(test_energy_gap),
        cmocka_unit_test(test_charge),       cmocka_unit_test(test_charge_never_flat),
        cmocka_unit_test(test_charge_class), cmocka_unit_test(test_organics_across_gaps),
        cmocka_unit_test(test_setpoint_followed), cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_taps),         cmocka_unit_test(test_alarms_kpi),
        cmocka_unit_test(test_deviation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
