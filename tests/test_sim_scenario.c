/* test_sim_scenario — teaching scenarios: the inject vocabulary parses;
 * every mistake in a file stops it with file, section and key; events run
 * once, in time order, and "silent" is handed to the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_scenario.h"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/meltscenXXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void test_parse_inject(void **state)
{
    (void)state;
    static const struct {
        const char *in, *fault, *target;
        double value;
        int rc;
    } cases[] = {
        {"tc_broken bath_hc_temp", "tc_broken", "bath_hc_temp", NAN, 0},
        {"tc_drift roof_temp 4", "tc_drift", "roof_temp", 4, 0},
        {"wet_charge 0.08", "wet_charge", "", 0.08, 0},
        {"  estop  ", "estop", "", NAN, 0},
        {"silent 20", "silent", "", 20, 0},
        {"", "", "", NAN, -1},
        {"a b c d", "", "", NAN, -1},
        {"tc_drift roof_temp x", "", "", NAN, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char f[32], t[32], err[200];
        double v = -1;
        int rc = scen_parse_inject(cases[i].in, f, sizeof f, t, sizeof t, &v, err, sizeof err);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_string_equal(f, cases[i].fault);
            assert_string_equal(t, cases[i].target);
            assert_true(isnan(cases[i].value) ? isnan(v) : v == cases[i].value);
        } else {
            assert_true(strlen(err) > 0);
        }
    }
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"[event.a]\nat_min = 1\ninject = estop\n", "missing [scenario]"},
        {"[scenario]\ntitle = t\n[weird]\nx = 1\n", "[weird]: unknown section"},
        {"[scenario]\ntitel = t\n", "[scenario] titel: unknown key"},
        {"[scenario]\ncold = maybe\n", "cold = \"maybe\": expected yes or no"},
        {"[scenario]\n[event.a]\ninject = estop\n", "[event.a] at_min = \"(missing)\""},
        {"[scenario]\n[event.a]\nat_min = -1\ninject = estop\n", "expected minutes"},
        {"[scenario]\n[event.a]\nat_min = 1x\ninject = estop\n", "expected minutes"},
        {"[scenario]\n[event.a]\nat_min = 1\ninject = boil\n", "unknown fault \"boil\""},
        {"[scenario]\n[event.a]\nat_min = 1\ninject = tc_broken roof\n", "[event.a] inject"},
        {"[scenario]\n[event.a]\nat_min = 1\ninject = silent 0\n", "silent SECONDS"},
        {"[scenario]\n[event.a]\nat_min = 1\n", "needs inject or organics/moisture"},
        {"[scenario]\n[event.a]\nat_min = 1\nmoisture = 0.9\n", "expected shares"},
        {"[scenario]\n[event.a]\nat_min = 1\nwhen = 3\n", "[event.a] when: unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static struct scenario s;
        char err[600] = "";
        const char *p = write_file("bad.ini", cases[i].text);
        assert_int_equal(scen_load(p, &s, err, sizeof err), -1);
        if (!strstr(err, cases[i].says) || !strstr(err, "bad.ini")) {
            print_error("case %zu: \"%s\" does not say \"%s\"\n", i, err, cases[i].says);
            fail();
        }
    }
    static struct scenario s;
    char err[600];
    assert_int_equal(scen_load("/nonexistent/x.ini", &s, err, sizeof err), -1);
}

static void test_events_in_order_once(void **state)
{
    (void)state;
    static struct scenario s;
    char err[600];
    const char *p = write_file("good.ini", "[scenario]\ntitle = T\nsituation = S\nnotice = N\n"
                                           "action = A\ncold = yes\n"
                                           "[event.late]\nat_min = 10\ninject = clear\n"
                                           "[event.early]\nat_min = 2\ninject = tc_broken roof_temp\n"
                                           "[event.quiet]\nat_min = 5\ninject = silent 30\n"
                                           "[event.oily]\nat_min = 3\norganics = 0.09\n");
    assert_int_equal(scen_load(p, &s, err, sizeof err), 0);
    assert_true(s.cold);
    assert_string_equal(s.title, "T");
    assert_int_equal(s.nevents, 4);
    assert_string_equal(s.ev[0].name, "early");
    assert_string_equal(s.ev[3].name, "late");

    static struct splc plc;
    struct splc_params prm;
    struct phys_params pp;
    splc_params_default(&prm);
    phys_params_default(&pp);
    splc_init(&plc, &prm, &pp, false);
    double silent = 0;
    assert_int_equal(scen_run_due(&s, &plc, 60, &silent, NULL, NULL), 0);
    assert_int_equal(scen_run_due(&s, &plc, 4 * 60, &silent, NULL, NULL), 2);
    assert_true(plc.faults.tc_broken[SPLC_TC_ROOF]);
    assert_true(fabs(plc.charge_organics - 0.09) < 1e-12);
    assert_int_equal(scen_run_due(&s, &plc, 4 * 60, &silent, NULL, NULL), 0); /* once */
    assert_true(silent == 0);
    assert_int_equal(scen_run_due(&s, &plc, 6 * 60, &silent, NULL, NULL), 1);
    assert_true(silent == 30);
    assert_int_equal(scen_run_due(&s, &plc, 11 * 60, &silent, NULL, NULL), 1);
    assert_false(plc.faults.tc_broken[SPLC_TC_ROOF]);
}

static void test_shipped_scenarios_load(void **state)
{
    (void)state;
    static const char *const names[] = {"broken_bath_tc", "flame_failure_melt", "wet_charge",
                                        "pump_trip", "plc_silent", "heavy_organics",
                                        "drifting_roof_tc"};
    const char *root = getenv("MELTCON_SRC");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        static struct scenario s;
        char path[512], err[600];
        snprintf(path, sizeof path, "%s/simhw/scenarios/%s.ini", root ? root : MELTCON_SRC_DIR, names[i]);
        if (scen_load(path, &s, err, sizeof err) != 0) {
            print_error("%s\n", err);
            fail();
        }
        assert_true(*s.title && *s.situation && *s.notice && *s.action);
        assert_true(s.nevents >= 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_inject),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_events_in_order_once),
        cmocka_unit_test(test_shipped_scenarios_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
