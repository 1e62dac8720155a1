/* test_sim_malf — the instructor's timed and ramped malfunctions: `at` and `ramp` parse
 * into process times and values; every bad request is refused with its reason and leaves
 * the list as it was; one-shots fire once at their process time, ramps move the fault's
 * VALUE every scan and end at TO; a restore (malf_seek) puts entries after the restored
 * clock back to pending; cancel and a full list; a scenario's `inject = ramp ...` event is
 * stepped by the same code, and a bad one stops the scenario with its file and section. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim_malf.h"
#include "sim_scenario.h"

#include <stdlib.h>
#include <unistd.h>

static struct splc plc;

static int setup(void **state)
{
    (void)state;
    struct splc_params p;
    struct phys_params pp;
    splc_params_default(&p);
    phys_params_default(&pp);
    splc_init(&plc, &p, &pp, false);
    return 0;
}

static void parse_ok(const char *req, double now, struct malf *m)
{
    char err[400] = "";
    int rc = malf_parse(req, now, m, err, sizeof err);
    if (rc != 1)
        fail_msg("\"%s\": rc %d: %s", req, rc, err);
}

static void test_at_minutes(void **state)
{
    (void)state;
    struct malf m;
    parse_ok("at 5 pump_trip", 100, &m);
    assert_float_equal(m.at_s, 400, 1e-9);
    assert_string_equal(m.fault, "pump_trip");
    assert_string_equal(m.target, "");
    assert_true(isnan(m.value));
    assert_float_equal(m.dur_s, 0, 0);
    parse_ok("at 0.5 tc_drift roof_temp 4", 0, &m);
    assert_float_equal(m.at_s, 30, 1e-9);
    assert_string_equal(m.target, "roof_temp");
    assert_float_equal(m.value, 4, 1e-9);
    parse_ok("at 2 silent 20", 0, &m);
    assert_string_equal(m.fault, "silent");
    assert_float_equal(m.value, 20, 1e-9);
}

static void test_at_clock(void **state)
{
    (void)state;
    struct malf m;
    parse_ok("at 01:30 flame_failure", 600, &m);
    assert_float_equal(m.at_s, 5400, 1e-9);
    parse_ok("at 00:10:30 gas_low", 600, &m);
    assert_float_equal(m.at_s, 630, 1e-9);
    parse_ok("at 00:10 gas_low", 600.4, &m); /* this very second: now, not refused */
    assert_float_equal(m.at_s, 600.4, 1e-9);
}

static void test_ramp(void **state)
{
    (void)state;
    struct malf m;
    parse_ok("ramp tc_drift roof_temp 0 8 10", 60, &m);
    assert_float_equal(m.at_s, 60, 1e-9);
    assert_float_equal(m.dur_s, 600, 1e-9);
    assert_float_equal(m.from, 0, 0);
    assert_float_equal(m.to, 8, 0);
    assert_float_equal(malf_value_at(&m, 60), 0, 1e-9);
    assert_float_equal(malf_value_at(&m, 360), 4, 1e-9);
    assert_float_equal(malf_value_at(&m, 660), 8, 1e-9);
    assert_float_equal(malf_value_at(&m, 9999), 8, 1e-9);
    parse_ok("ramp heavy_organics 0.01 0.09 5", 0, &m);
    assert_string_equal(m.target, "");
    parse_ok("at 3 ramp tc_drift bath_hc_temp -2 -10 4", 0, &m);
    assert_float_equal(m.at_s, 180, 1e-9);
    assert_float_equal(m.to, -10, 0);
}

static void test_not_ours(void **state)
{
    (void)state;
    struct malf m;
    char err[100] = "";
    assert_int_equal(malf_parse("pump_trip", 0, &m, err, sizeof err), 0);
    assert_int_equal(malf_parse("status", 0, &m, err, sizeof err), 0);
    assert_int_equal(malf_parse("", 0, &m, err, sizeof err), 0);
    assert_int_equal(malf_parse("attack", 0, &m, err, sizeof err), 0);
}

static void test_bad_requests(void **state)
{
    (void)state;
    static const struct {
        const char *req, *why;
    } bad[] = {
        {"at", "at needs a time and a fault"},
        {"at 5", "at needs a time and a fault"},
        {"at x pump_trip", "expected process minutes from now"},
        {"at -1 pump_trip", "expected process minutes from now"},
        {"at 1e3 pump_trip", "expected process minutes from now"},
        {"at 100001 pump_trip", "0 to 100000"},
        {"at 00:05 pump_trip", "the process clock is already 00:10:00"},
        {"at 00:61 pump_trip", "minutes and seconds below 60"},
        {"at 1:2:3:4 pump_trip", "expected a process clock"},
        {"at 5 pumptrip", "unknown fault \"pumptrip\""},
        {"at 5 tc_broken", "unknown thermocouple"},
        {"at 5 tc_drift roof_temp 500", "needs a value"},
        {"at 5 silent 0", "silent SECONDS: expected 1 to 3600"},
        {"at 5 clear", "clear is not a malfunction"},
        {"at 5 at 6 pump_trip", "expected a fault after the time"},
        {"ramp", "ramp needs a fault"},
        {"ramp pump_trip 0 1 5", "this fault has no VALUE"},
        {"ramp silent 1 20 5", "a ramp moves a fault's VALUE: tc_drift, wet_charge"},
        {"ramp bogus x 0 1 5", "unknown fault"},
        {"ramp tc_drift roof_temp 0 8", "FROM TO MINUTES"},
        {"ramp tc_drift roof_temp 0 8 10 11 12", "(7 words given)"},
        {"ramp tc_drift roof_temp 0 x 10", "ramp TO \"x\": not a number"},
        {"ramp tc_drift roof_temp 0 8 0", "expected more than 0"},
        {"ramp tc_drift roof_temp 0 8 100001", "at most 100000"},
        {"ramp tc_drift roof_temp 0 800 10", "ramp TO 800: tc_drift needs a value"},
        {"ramp tc_drift attic 0 8 10", "unknown thermocouple \"attic\""},
        {"ramp wet_charge 0 0.1 10", "ramp FROM 0: wet_charge needs a value"},
        {"at 5 ramp pump_trip 0 1 5", "this fault has no VALUE"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct malf m;
        char err[400] = "";
        int rc = malf_parse(bad[i].req, 600, &m, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].why))
            fail_msg("\"%s\": rc %d, \"%s\" (expected \"%s\")", bad[i].req, rc, err, bad[i].why);
    }
}

static void test_one_shot_fires_once(void **state)
{
    (void)state;
    struct malf_list l;
    struct malf m;
    char err[200];
    malf_init(&l);
    plc.faults.pump_trip = false;
    parse_ok("at 1 pump_trip", 0, &m);
    assert_int_equal(malf_add(&l, &m, err, sizeof err), 0);
    assert_int_equal(m.id, 1);
    assert_int_equal(malf_run_due(&l, &plc, 59.9, NULL, NULL, NULL), 0);
    assert_false(plc.faults.pump_trip);
    assert_int_equal(malf_pending(&l), 1);
    assert_int_equal(malf_run_due(&l, &plc, 60.0, NULL, NULL, NULL), 1);
    assert_true(plc.faults.pump_trip);
    assert_int_equal(l.m[0].state, MALF_DONE);
    plc.faults.pump_trip = false; /* cleared by the instructor: it does not come back */
    assert_int_equal(malf_run_due(&l, &plc, 120.0, NULL, NULL, NULL), 0);
    assert_false(plc.faults.pump_trip);
    /* silent is handed to the caller */
    double silent = 0;
    parse_ok("at 0 silent 20", 120, &m);
    assert_int_equal(malf_add(&l, &m, err, sizeof err), 0);
    assert_int_equal(malf_run_due(&l, &plc, 120.0, &silent, NULL, NULL), 1);
    assert_float_equal(silent, 20, 0);
}

static void test_ramp_runs(void **state)
{
    (void)state;
    struct malf_list l;
    struct malf m;
    char err[200];
    malf_init(&l);
    int roof = splc_tc_from_name("roof_temp");
    plc.faults.tc_drift_k_min[roof] = 0;
    parse_ok("at 1 ramp tc_drift roof_temp 2 10 4", 0, &m);
    assert_int_equal(malf_add(&l, &m, err, sizeof err), 0);
    malf_run_due(&l, &plc, 30, NULL, NULL, NULL);
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 0, 0);
    assert_int_equal(malf_run_due(&l, &plc, 60, NULL, NULL, NULL), 1); /* started */
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 2, 1e-9);
    assert_int_equal(l.m[0].state, MALF_RUNNING);
    /* every scan in between: the value at that scan */
    for (double t = 60.1; t < 299.95; t += 0.1) {
        assert_int_equal(malf_run_due(&l, &plc, t, NULL, NULL, NULL), 0);
        assert_float_equal(plc.faults.tc_drift_k_min[roof], 2 + 8 * (t - 60) / 240, 1e-9);
    }
    assert_int_equal(malf_run_due(&l, &plc, 300, NULL, NULL, NULL), 1); /* ended */
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 10, 0);
    assert_int_equal(l.m[0].state, MALF_DONE);
    assert_int_equal(malf_pending(&l), 0);
    plc.faults.tc_drift_k_min[roof] = 0;
}

static void test_seek(void **state)
{
    (void)state;
    struct malf_list l;
    struct malf m;
    char err[200];
    malf_init(&l);
    parse_ok("at 2 pump_trip", 0, &m);
    malf_add(&l, &m, err, sizeof err);
    parse_ok("at 1 ramp tc_drift roof_temp 0 8 10", 0, &m);
    malf_add(&l, &m, err, sizeof err);
    parse_ok("at 20 fan_trip", 0, &m);
    malf_add(&l, &m, err, sizeof err);
    malf_run_due(&l, &plc, 700, NULL, NULL, NULL);
    assert_int_equal(l.m[0].state, MALF_DONE);
    assert_int_equal(l.m[1].state, MALF_DONE);
    assert_int_equal(l.m[2].state, MALF_PENDING);
    malf_seek(&l, 100); /* back before the pump trip, inside the ramp */
    assert_int_equal(l.m[0].state, MALF_PENDING);
    assert_int_equal(l.m[1].state, MALF_RUNNING);
    assert_int_equal(l.m[2].state, MALF_PENDING);
    malf_seek(&l, 30); /* before everything */
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.m[i].state, MALF_PENDING);
    malf_seek(&l, 1300); /* a snapshot from later on */
    for (int i = 0; i < 3; i++)
        assert_int_equal(l.m[i].state, MALF_DONE);
    plc.faults.pump_trip = false;
    plc.faults.fan_trip = false;
}

static void test_cancel(void **state)
{
    (void)state;
    struct malf_list l;
    struct malf m;
    char err[200];
    malf_init(&l);
    for (int i = 0; i < 3; i++) {
        parse_ok("at 5 gas_low", 0, &m);
        malf_add(&l, &m, err, sizeof err);
    }
    static const char *const bad[] = {"x", "0", "-1", "2.5", "9", "", NULL};
    for (int i = 0; i < 7; i++) {
        struct malf_list before = l;
        err[0] = 0;
        assert_int_equal(malf_cancel(&l, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, "cancel"));
        assert_memory_equal(&before, &l, sizeof l);
    }
    assert_int_equal(malf_cancel(&l, "2", err, sizeof err), 1);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.m[0].id, 1);
    assert_int_equal(l.m[1].id, 3);
    assert_int_equal(malf_cancel(&l, "2", err, sizeof err), -1);
    assert_non_null(strstr(err, "no timed malfunction #2"));
    assert_int_equal(malf_cancel(&l, "all", err, sizeof err), 2);
    assert_int_equal(l.n, 0);
    parse_ok("at 5 gas_low", 0, &m);
    malf_add(&l, &m, err, sizeof err);
    assert_int_equal(m.id, 4); /* numbers are never reused */
}

static void test_full(void **state)
{
    (void)state;
    struct malf_list l;
    struct malf m;
    char err[200];
    malf_init(&l);
    for (int i = 0; i < MALF_MAX; i++) {
        parse_ok("at 5 gas_low", 0, &m);
        assert_int_equal(malf_add(&l, &m, err, sizeof err), 0);
    }
    struct malf_list before = l;
    parse_ok("at 6 air_low", 0, &m);
    assert_int_equal(malf_add(&l, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "cancel one first"));
    assert_memory_equal(&before, &l, sizeof l);
    l.m[3].state = MALF_DONE; /* a done one makes room */
    assert_int_equal(malf_add(&l, &m, err, sizeof err), 0);
    assert_int_equal(l.n, MALF_MAX);
    assert_int_equal(l.m[MALF_MAX - 1].id, MALF_MAX + 1);
    for (int i = 0; i < l.n; i++)
        assert_int_not_equal(l.m[i].id, 4);
}

static void test_describe(void **state)
{
    (void)state;
    struct malf m;
    char buf[200];
    parse_ok("at 00:15 ramp tc_drift roof_temp 0 8 10", 600, &m);
    m.id = 2;
    malf_describe(&m, 600, buf, sizeof buf);
    assert_string_equal(buf, "#2 pending 00:15:00 (in 5.0 min) ramp tc_drift roof_temp 0 -> 8 "
                             "over 10 min");
    m.state = MALF_RUNNING;
    malf_describe(&m, 1200, buf, sizeof buf);
    assert_string_equal(buf, "#2 running 00:15:00 (now 4) ramp tc_drift roof_temp 0 -> 8 over "
                             "10 min");
}

static const char *scen_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/meltmalfXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_scenario_ramp(void **state)
{
    (void)state;
    static struct scenario sc;
    char err[600] = "";
    const char *f = scen_file("[scenario]\ntitle = t\nsituation = s\nnotice = n\naction = a\n"
                              "[event.drift]\nat_min = 2\n"
                              "inject = ramp tc_drift roof_temp 0 6 3\n");
    int rc = scen_load(f, &sc, err, sizeof err);
    unlink(f);
    if (rc != 0)
        fail_msg("%s", err);
    assert_true(sc.ev[0].has_ramp);
    assert_string_equal(sc.ev[0].fault, "ramp tc_drift");
    int roof = splc_tc_from_name("roof_temp");
    plc.faults.tc_drift_k_min[roof] = 0;
    assert_int_equal(scen_run_due(&sc, &plc, 119.9, NULL, NULL, NULL), 0);
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 0, 0);
    assert_int_equal(scen_run_due(&sc, &plc, 120, NULL, NULL, NULL), 1); /* started */
    assert_int_equal(scen_run_due(&sc, &plc, 210, NULL, NULL, NULL), 0); /* running */
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 3, 1e-9);
    assert_false(sc.ev[0].done);
    assert_int_equal(scen_run_due(&sc, &plc, 300, NULL, NULL, NULL), 1); /* ended */
    assert_float_equal(plc.faults.tc_drift_k_min[roof], 6, 1e-9);
    assert_true(sc.ev[0].done);
    assert_int_equal(scen_run_due(&sc, &plc, 400, NULL, NULL, NULL), 0);
    plc.faults.tc_drift_k_min[roof] = 0;

    f = scen_file("[scenario]\ntitle = t\nsituation = s\nnotice = n\naction = a\n"
                  "[event.drift]\nat_min = 2\ninject = ramp pump_trip 0 1 3\n");
    rc = scen_load(f, &sc, err, sizeof err);
    unlink(f);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "[event.drift] inject = \"ramp pump_trip 0 1 3\": ramp "
                                "pump_trip: this fault has no VALUE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at_minutes),   cmocka_unit_test(test_at_clock),
        cmocka_unit_test(test_ramp),         cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_bad_requests), cmocka_unit_test(test_one_shot_fires_once),
        cmocka_unit_test(test_ramp_runs),    cmocka_unit_test(test_seek),
        cmocka_unit_test(test_cancel),       cmocka_unit_test(test_full),
        cmocka_unit_test(test_describe),     cmocka_unit_test(test_scenario_ramp),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
