/* test_core — the core's gate and handshake on the shipped config: every
 * kind of request is refused with its sentence or accepted with old -> new;
 * PLC commands go through the handshake in order; a restart starts from the
 * plant's read-back; a frozen PLC heartbeat is judged on the monotonic clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static struct cfg cfg;
static struct core k;
static struct tag_value tags[CFG_MAX_TAGS];
static struct core_result res[CORE_RESULTS];
static double t;

static void set(const char *name, double v)
{
    int i = cfg_tag_index(&cfg, name);
    assert_true(i >= 0);
    tags[i].v = v;
    tags[i].q = Q_GOOD;
}

static double get(const char *name) { return tags[cfg_tag_index(&cfg, name)].v; }

/* A furnace holding at 740 degC, burners modulating, doors shut. */
static void plant_holding(void)
{
    for (int i = 0; i < cfg.ntags; i++)
        tags[i] = (struct tag_value){0, Q_GOOD};
    set("hc_gas_temp", 1000);
    set("roof_temp", 1050);
    set("bath_hc_temp", 740);
    set("bath_sc_temp", 738);
    set("sc_gas_temp", 450);
    set("flue_temp", 1050);
    set("scrap_temp", 100);
    set("o2_pct", 2);
    set("co_ppm", 100);
    set("furnace_pressure", 10);
    set("firing_fb", 35);
    set("firing_demand", 35);
    set("pump_demand", 30);
    set("fan_demand", 20);
    set("damper_demand", 50);
    set("bath_level", 700);
    set("bms_state", BMS_FIRING);
    set("metal_mass", 45000);
    set("plc_mode", 1);
    const char *on[] = {"sc_door_closed", "hc_door_closed", "flame_on", "estop_ok", "gas_ok",
                        "air_ok", "pump_running", "fan_running", "pusher_home"};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
        set(on[i], 1);
}

/* The PLC keeps what the console wrote: the next read shows it, through the
 * codec (the core watches its read-back for another master, master.h). */
static void plc_store(const struct core *c)
{
    for (int i = 0; i < c->nwrites + (c->cmd_write ? 3 : 0); i++) {
        const struct core_write *w = i < c->nwrites ? &c->writes[i] : &c->cmd_out[i - c->nwrites];
        uint16_t regs[2] = {0, 0};
        char err[160];
        assert_int_equal(tag_encode(&cfg.tags[w->tag], w->value, regs, err, sizeof err), 0);
        assert_int_equal(tag_decode(&cfg.tags[w->tag], regs, &tags[w->tag].v), Q_GOOD);
        tags[w->tag].q = Q_GOOD;
    }
}

static void step_on(struct core *c, bool link)
{
    struct core_status st = {.link_up = link, .disk_ok = true};
    t += 0.25;
    struct core_times tm = {.t_proc = t, .dt_proc = 0.25, .t_mono = t};
    set("plc_heartbeat", fmod(get("plc_heartbeat") + 1, 65536));
    core_step(c, tags, &st, &tm);
    if (link)
        plc_store(c);
    assert_false(core_writes_suspended(c)); /* these tests are the only master */
}

static void step(bool link) { step_on(&k, link); }

/* Step until control starts: it listens MASTER_LISTEN reads first. */
static void start(struct core *c)
{
    for (int i = 0; i <= MASTER_LISTEN && !c->started; i++) {
        assert_int_equal(c->nwrites, 0); /* silent while listening */
        step_on(c, true);
    }
    assert_true(c->started);
}

static int take(void) { return core_results_take(&k, res, CORE_RESULTS); }

/* The last result that is a reply to client 1. */
static const struct core_result *reply(void)
{
    static struct core_result last;
    int n = take();
    for (int i = n - 1; i >= 0; i--)
        if (res[i].client == 1) {
            last = res[i];
            return &last;
        }
    return NULL;
}

static struct core_req req(enum core_role role, const char *verb, const char *target,
                           const char *value, const char *reason)
{
    struct core_req r;
    memset(&r, 0, sizeof r);
    r.id = 42;
    r.client = 1;
    r.role = role;
    snprintf(r.user, sizeof r.user, "anna");
    snprintf(r.origin, sizeof r.origin, "pts/3");
    snprintf(r.verb, sizeof r.verb, "%s", verb);
    snprintf(r.target, sizeof r.target, "%s", target);
    snprintf(r.value, sizeof r.value, "%s", value);
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    return r;
}

static int setup(void **state)
{
    (void)state;
    static struct cfg_errors e;
    const char *root = getenv("MELTCON_SRC");
    char path[512];
    snprintf(path, sizeof path, "%s/config/meltcon.ini", root ? root : MELTCON_SRC_DIR);
    assert_int_equal(cfg_load(path, &cfg, &e), 0);
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0);
    t = 1000;
    plant_holding();
    start(&k);
    take();
    return 0;
}

/* A bumpless start: the firing demand IS written in the first step of kc,
 * exactly once, and within a step of the PID's of the read-back demand (the
 * controller starts from it; one 0.25 s step moves it less than 1.5 %).  A
 * loop over the writes that finds none must fail, not pass. */
/* The step that started control wrote firing_demand exactly once, at the
 * value the PLC held before it (readback: taken before any write of the
 * core reached the simulated PLC, so the check cannot compare a write with
 * itself). */
static void assert_bumpless(const struct core *kc, double readback)
{
    int fi = cfg_tag_index(&cfg, "firing_demand");
    assert_true(fi >= 0);
    int found = 0;
    double v = NAN;
    for (int i = 0; i < kc->nwrites; i++)
        if (kc->writes[i].tag == fi) {
            found++;
            v = kc->writes[i].value;
        }
    if (found != 1)
        fail_msg("firing_demand written %d times in the first step (want once)", found);
    if (!(fabs(v - readback) < 1.5))
        fail_msg("firing_demand %g written, read back %g: a bump", v, readback);
}

static void test_starts_from_readback(void **state)
{
    (void)state;
    assert_true(k.started);
    /* the first writes carry the read-back firing demand, not a bump */
    assert_bumpless(&k, 35); /* plant_holding()'s firing demand */
}

static void test_waits_for_a_good_readback(void **state)
{
    (void)state;
    static struct core k2;
    char err[300];
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    struct core_status st = {.link_up = true, .disk_ok = true};
    int fi = cfg_tag_index(&cfg, "firing_demand");
    tags[fi].q = Q_BAD_COMMS; /* the PLC refused the holding-register block */
    for (int i = 1; i <= 5; i++) {
        struct core_times tm = {.t_proc = i, .dt_proc = 0.25, .t_mono = i};
        core_step(&k2, tags, &st, &tm);
        assert_false(k2.started);
        assert_int_equal(k2.nwrites, 0);
    }
    tags[fi].q = Q_GOOD;
    struct core_times tm = {.t_proc = 6, .dt_proc = 0.25, .t_mono = 6};
    core_step(&k2, tags, &st, &tm);
    assert_true(k2.started);
    assert_bumpless(&k2, 35);
}

static void test_melt_to_charge_with_empty_hearth(void **state)
{
    (void)state;
    k.seq.phase = PH_MELT; /* the previous charge pushed, melting */
    step(true);
    take();
    struct core_req r = req(ROLE_OPERATOR, "phase", "CHARGE", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    assert_int_equal(k.seq.phase, PH_CHARGE);
    set("scrap_on_hearth", 2000);
    k.seq.phase = PH_MELT;
    step(true);
    take();
    assert_int_equal(core_request(&k, &r), -1);
    assert_int_equal(k.seq.phase, PH_MELT);
}

static void test_state_survives_a_restart(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "set", "bath.sp", "745", "alloy");
    assert_int_equal(core_request(&k, &r), 0);
    r = req(ROLE_OPERATOR, "set", "pressure.mode", "MAN", "damper check");
    assert_int_equal(core_request(&k, &r), 0);
    r = req(ROLE_ENGINEER, "tune", "sc.kp", "0.25", "retune");
    assert_int_equal(core_request(&k, &r), 0);
    char text[2048], err[600];
    assert_true(core_state_save(&k, text, sizeof text) > 0);
    assert_int_equal(core_state_save(&k, text, 10), -1); /* never truncated */
    assert_true(core_state_save(&k, text, sizeof text) > 0);

    static struct core k2;
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    assert_int_equal(core_state_restore(&k2, text, err, sizeof err), 5);
    assert_string_equal(err, "");
    assert_true(k2.loops.loop[loops_find(&k2.loops, "bath")].pid.sp == 745);
    assert_int_equal(k2.loops.loop[loops_find(&k2.loops, "pressure")].pid.mode, LOOP_MAN);
    assert_true(k2.loops.loop[loops_find(&k2.loops, "sc")].pid.prm.kp == 0.25);

    /* a damaged or out-of-date file: bad lines are skipped and named */
    static const char bad[] = "loop bath mode=AUTO sp=9999 kp=1 ti_s=1 td_s=0\n"
                              "loop gone mode=AUTO sp=1 kp=1 ti_s=1 td_s=0\n"
                              "loop sc mode=BOGUS sp=450 kp=1 ti_s=1 td_s=0\n"
                              "garbage\n"
                              "loop hc mode=CAS sp=950 kp=0.7 ti_s=100 td_s=0\n";
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    double bath_sp = k2.loops.loop[loops_find(&k2.loops, "bath")].pid.sp;
    assert_int_equal(core_state_restore(&k2, bad, err, sizeof err), 1);
    assert_non_null(strstr(err, "loop bath"));
    assert_non_null(strstr(err, "no loop gone"));
    assert_non_null(strstr(err, "loop sc"));
    assert_non_null(strstr(err, "not understood"));
    assert_true(k2.loops.loop[loops_find(&k2.loops, "bath")].pid.sp == bath_sp);
    assert_true(k2.loops.loop[loops_find(&k2.loops, "hc")].pid.sp == 950);
    /* restored, then started from the plant: no bump */
    start(&k2);
    assert_bumpless(&k2, 35);
}

static void test_nothing_written_before_first_read(void **state)
{
    (void)state;
    static struct core k2;
    char err[300];
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    struct core_status st = {.link_up = false, .disk_ok = true};
    struct core_times tm = {.t_proc = 1, .dt_proc = 0.25, .t_mono = 1};
    core_step(&k2, tags, &st, &tm);
    assert_false(k2.started);
    assert_int_equal(k2.nwrites, 0);
}

static void test_gate_refusals(void **state)
{
    (void)state;
    static const struct {
        enum core_role role;
        const char *verb, *target, *value, *reason, *says;
    } cases[] = {
        {ROLE_VIEWER, "set", "bath.sp", "745", "r", "viewer role may look but not change"},
        {ROLE_OPERATOR, "set", "bath.sp", "abc", "r", "\"abc\" is not a number"},
        {ROLE_OPERATOR, "set", "bath.sp", "", "r", "no value given"},
        {ROLE_OPERATOR, "set", "bath.sp", "nan", "r", "\"nan\" is not a number"},
        {ROLE_OPERATOR, "set", "bath.sp", "inf", "r", "\"inf\" is not a number"},
        {ROLE_OPERATOR, "set", "bath.sp", "1e999", "r", "\"1e999\" is not a number"},
        {ROLE_OPERATOR, "set", "bath.sp", "900", "r", "800"},
        {ROLE_OPERATOR, "set", "bath.sp", "780", "r", "30"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", "", "a reason is required"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", "   ", "the reason is blank"},
        {ROLE_OPERATOR, "set", "bth.sp", "745", "r", "no loop \"bth\"; loops are bath, hc"},
        {ROLE_OPERATOR, "set", "bath", "745", "r", "expected LOOP.sp"},
        {ROLE_OPERATOR, "set", "bath.kp", "745", "r", "expected LOOP.sp"},
        {ROLE_OPERATOR, "set", "bath.mode", "auto-ish", "r", "not a mode"},
        {ROLE_OPERATOR, "tune", "bath.kp", "5", "r", "engineer"},
        {ROLE_ENGINEER, "tune", "bath.kp", "-1", "r", "outside"},
        {ROLE_OPERATOR, "cmd", "open_door", "", "", "unknown command \"open_door\""},
        {ROLE_OPERATOR, "cmd", "charge", "", "", "no value given"},
        {ROLE_OPERATOR, "cmd", "charge", "3", "", "phase HOLD"},
        {ROLE_OPERATOR, "cmd", "lockout_reset", "", "", "lockout"},
        {ROLE_OPERATOR, "phase", "BOIL", "", "", "not a phase"},
        {ROLE_OPERATOR, "phase", "MELT", "", "", "HOLD"},
        {ROLE_OPERATOR, "phase", "CHARGE", "force", "", "engineer"},
        {ROLE_OPERATOR, "ack", "nosuch", "", "", "nosuch"},
        {ROLE_OPERATOR, "shelve", "roof_h", "x", "", "not a number"},
        {ROLE_OPERATOR, "shelve", "roof_h", "30", "", "reason"},
        {ROLE_OPERATOR, "oos", "roof_h", "on", "r", "engineer"},
        {ROLE_OPERATOR, "frobnicate", "x", "", "", "unknown request"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double sp_before = k.loops.loop[loops_find(&k.loops, "bath")].pid.sp;
        enum cfg_phase ph_before = k.seq.phase;
        struct core_req r = req(cases[i].role, cases[i].verb, cases[i].target, cases[i].value,
                                cases[i].reason);
        assert_int_equal(core_request(&k, &r), -1);
        const struct core_result *y = reply();
        assert_non_null(y);
        if (y->ok || !strstr(y->text, cases[i].says)) {
            print_error("case %zu: \"%s\" does not say \"%s\"\n", i, y->text, cases[i].says);
            fail();
        }
        assert_int_equal(y->id, 42);
        assert_true(k.loops.loop[loops_find(&k.loops, "bath")].pid.sp == sp_before);
        assert_int_equal(k.seq.phase, ph_before);
        assert_int_equal(k.nqueue, 0);
    }
}

/* What people type, read strictly (config/input.c) at the gate: each
 * refusal with its whole sentence, and nothing changed. */
static void test_gate_reads_strictly(void **state)
{
    (void)state;
    static char r201[202], r200[201], bad_utf8[] = "tc \xff replaced", huge[401];
    memset(r201, 'r', 201);
    memset(r200, 'r', 200);
    memset(huge, '7', 400);
    const char *nan_rule = "\" is not a number: digits with an optional sign and decimal point, "
                           "e.g. 745 or -2.5";
    char s_hex[200], s_e308[200], s_huge[200];
    snprintf(s_hex, sizeof s_hex, "bath.sp: \"0x2E9%s", nan_rule);
    snprintf(s_e308, sizeof s_e308, "bath.sp: \"1e308%s", nan_rule);
    snprintf(s_huge, sizeof s_huge, "bath.sp: \"77777777777777777777777…\" has more than 15 digits");
    const struct {
        enum core_role role;
        const char *verb, *target, *value, *reason, *says;
    } cases[] = {
        {ROLE_OPERATOR, "set", "bath.sp", "0x2E9", "r", s_hex},
        {ROLE_OPERATOR, "set", "bath.sp", "1e308", "r", s_e308},
        {ROLE_OPERATOR, "set", "bath.sp", huge + 337, "r", s_huge}, /* 63 digits: the value's size */
        {ROLE_OPERATOR, "set", "bath.sp", " 745", "r",
         "bath.sp: \" 745\": a number without spaces, e.g. 745"},
        {ROLE_OPERATOR, "set", "bath.sp", "745,5", "r",
         "bath.sp: \"745,5\": use a decimal point, e.g. 745.5"},
        {ROLE_OPERATOR, "set", "bath.out", "-0x1", "r", "bath.out: \"-0x1"},
        {ROLE_ENGINEER, "tune", "bath.kp", "0x10", "r", "bath.kp: \"0x10"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", "\n\n",
         "bath.sp: the reason has a control character (a line break at character 1); write "
         "it on one line"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", " \xc2\xa0 ",
         "bath.sp: the reason is blank: write why, not only spaces"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", r201,
         "bath.sp: the reason is 201 characters long; the most is 200"},
        {ROLE_OPERATOR, "set", "bath.sp", "745", bad_utf8,
         "bath.sp: the reason is not valid UTF-8 text (byte 0xFF at character 4)"},
        /* an optional reason, when given, is read the same way */
        {ROLE_OPERATOR, "ack", "roof_h", "", "\t",
         "roof_h: the reason has a control character (a tab at character 1); write it on "
         "one line"},
        {ROLE_OPERATOR, "cmd", "charge", "3.456", "",
         "Charge scrap: 3.456 t has more than 2 decimals; the PLC takes the mass in 0.01 t"},
        {ROLE_OPERATOR, "cmd", "charge", "0x3", "", "\"0x3\" is not a number"},
        {ROLE_OPERATOR, "shelve", "roof_h", "0.001", "tc replaced",
         "Shelve roof_h: 0.001 min is not a whole number of minutes; shelving is in whole "
         "minutes"},
        {ROLE_OPERATOR, "shelve", "roof_h", "2.5", "tc replaced",
         "Shelve roof_h: 2.5 min is not a whole number of minutes"},
        {ROLE_OPERATOR, "shelve", "roof_h", "0", "tc replaced",
         "Shelve roof_h: the time must be at least 1 min"},
        {ROLE_OPERATOR, "shelve", "roof_h", "1e308", "tc replaced", "\"1e308\" is not a number"},
        {ROLE_OPERATOR, "shelve", "roof_h", "30", r200,
         "Shelve roof_h: the reason is 200 characters long; the most is 95"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct pid *bath = &k.loops.loop[loops_find(&k.loops, "bath")].pid;
        double sp_before = bath->sp, out_before = bath->out, kp_before = bath->prm.kp;
        enum cfg_phase ph_before = k.seq.phase;
        struct core_req r = req(cases[i].role, cases[i].verb, cases[i].target, cases[i].value,
                                cases[i].reason);
        assert_int_equal(core_request(&k, &r), -1);
        const struct core_result *y = reply();
        assert_non_null(y);
        if (y->ok || !strstr(y->text, cases[i].says)) {
            print_error("case %zu: \"%s\" does not say \"%s\"\n", i, y->text, cases[i].says);
            fail();
        }
        assert_true(strlen(y->text) < 250); /* no echo floods the sentence */
        assert_true(bath->sp == sp_before && bath->out == out_before && bath->prm.kp == kp_before);
        assert_int_equal(k.seq.phase, ph_before);
        assert_int_equal(k.nqueue, 0);
        for (int a = 0; a < k.alarms.n; a++)
            assert_false(k.alarms.al[a].shelved);
        /* what is recorded of a refused reason is printable: escaped, never raw */
        if (cases[i].reason == bad_utf8)
            assert_string_equal(y->reason, "tc \\xff replaced");
        if (!strcmp(cases[i].reason, "\n\n"))
            assert_string_equal(y->reason, "\\x0a\\x0a");
    }
}

/* Accepted values are recorded and applied exactly as typed. */
static void test_gate_applies_what_was_typed(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "set", "bath.sp", "745.123456789012", "precise");
    assert_int_equal(core_request(&k, &r), 0);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->new_v, "745.123456789012");
    assert_true(k.loops.loop[loops_find(&k.loops, "bath")].pid.sp == 745.123456789012);
    r = req(ROLE_OPERATOR, "shelve", "roof_h", "7", "thermocouple being replaced");
    assert_int_equal(core_request(&k, &r), 0);
    y = reply();
    assert_non_null(y);
    assert_string_equal(y->text, "roof_h shelved for 7 min");
    int a = -1;
    for (int i = 0; i < k.alarms.n; i++)
        if (!strcmp(k.alarms.al[i].def.name, "roof_h"))
            a = i;
    assert_true(a >= 0 && k.alarms.al[a].shelved);
    assert_true(k.alarms.al[a].shelve_until == k.t_proc + 7 * 60);
    /* a reason of 200 characters, some of them two bytes, is taken whole */
    char r200[401];
    for (int i = 0; i < 200; i++)
        memcpy(r200 + 2 * i, "\xc3\xa4", 2);
    r200[400] = 0;
    r = req(ROLE_OPERATOR, "set", "bath.sp", "744", r200);
    assert_int_equal(core_request(&k, &r), 0);
    y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->reason, r200);
}

static void test_set_accepted_old_new(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "set", "bath.sp", "745", "alloy additions");
    assert_int_equal(core_request(&k, &r), 0);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->old_v, "740");
    assert_string_equal(y->new_v, "745");
    assert_string_equal(y->text, "bath.sp 740 -> 745 degC");
    assert_string_equal(y->reason, "alloy additions");
    assert_true(k.loops.loop[loops_find(&k.loops, "bath")].pid.sp == 745);
    r = req(ROLE_OPERATOR, "set", "pressure.mode", "man", "check damper");
    assert_int_equal(core_request(&k, &r), 0);
    y = reply();
    assert_string_equal(y->text, "pressure.mode AUTO -> MAN");
    r = req(ROLE_OPERATOR, "set", "pressure.out", "40", "check damper");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(reply()->ok);
    r = req(ROLE_ENGINEER, "tune", "sc.kp", "1.2", "retune after fan change");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(k.loops.loop[loops_find(&k.loops, "sc")].pid.prm.kp == 1.2);
}

/* Compare-and-set: the two-console race.  root sets 725 on 740; anna,
 * whose dialog still showed 740, asks for 710: refused with the sentence
 * naming who changed it and when, nothing changed; her request on the value
 * now (725) passes.  A base of every kind (mode, phase, wet, alarm state,
 * tuning) is compared; a request without one is judged as before. */
static void test_compare_and_set(void **state)
{
    (void)state;
    int bath = loops_find(&k.loops, "bath");
    struct core_req r = req(ROLE_OPERATOR, "set", "bath.sp", "725", "alloy");
    snprintf(r.user, sizeof r.user, "root");
    snprintf(r.expect, sizeof r.expect, "740");
    snprintf(r.when, sizeof r.when, "10:42");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(reply()->ok);
    r = req(ROLE_OPERATOR, "set", "bath.sp", "710", "lower");
    snprintf(r.expect, sizeof r.expect, "740.0");
    assert_int_equal(core_request(&k, &r), -1);
    const struct core_result *y = reply();
    assert_false(y->ok);
    assert_string_equal(y->text, "bath.sp was changed to 725 by root at 10:42 while you were "
                                 "typing; nothing was sent (you saw 740.0)");
    assert_string_equal(y->old_v, "740.0"); /* recorded as asked: 740 -> 710, never 725 -> 710 */
    assert_string_equal(y->new_v, "710");
    assert_true(k.loops.loop[bath].pid.sp == 725);
    snprintf(r.expect, sizeof r.expect, "725");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(reply()->ok);
    assert_true(k.loops.loop[bath].pid.sp == 710);
    /* the base the CLI reads first */
    char key[64], val[48];
    assert_int_equal(core_current(&k, "set", "bath.sp", key, sizeof key, val, sizeof val), 0);
    assert_string_equal(key, "bath.sp");
    assert_string_equal(val, "710");
    assert_int_equal(core_current(&k, "cmd", "sc_door_open", key, sizeof key, val, sizeof val), 0);
    assert_string_equal(key, "phase");
    assert_string_equal(val, "HOLD");
    assert_int_equal(core_current(&k, "ack", "all", key, sizeof key, val, sizeof val), -1);
    assert_int_equal(core_current(&k, "set", "nosuch.sp", key, sizeof key, val, sizeof val), -1);
    static const struct {
        enum core_role role;
        const char *verb, *target, *value, *expect, *want;
    } moved[] = {
        {ROLE_OPERATOR, "set", "pressure.mode", "MAN", "CAS",
         "pressure.mode is AUTO now, not CAS as you saw; nothing was sent"},
        {ROLE_OPERATOR, "phase", "CHARGE", "", "MELT",
         "phase is HOLD now, not MELT as you saw; nothing was sent"},
        {ROLE_OPERATOR, "cmd", "burner_stop", "", "PUSH",
         "phase is HOLD now, not PUSH as you saw; nothing was sent"},
        {ROLE_OPERATOR, "wet", "charge", "yes", "yes",
         "wet is no now, not yes as you saw; nothing was sent"},
        {ROLE_ENGINEER, "tune", "sc.kp", "2", "1.5", NULL},
        {ROLE_OPERATOR, "shelve", "roof_h", "5", "UNACK",
         "roof_h is NORMAL now, not UNACK as you saw; nothing was sent"},
    };
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        r = req(moved[i].role, moved[i].verb, moved[i].target, moved[i].value, "because");
        snprintf(r.expect, sizeof r.expect, "%s", moved[i].expect);
        assert_int_equal(core_request(&k, &r), -1);
        y = reply();
        assert_false(y->ok);
        if (moved[i].want)
            assert_string_equal(y->text, moved[i].want);
        else
            assert_non_null(strstr(y->text, "not 1.5 as you saw; nothing was sent"));
    }
    assert_int_equal(k.loops.loop[loops_find(&k.loops, "pressure")].pid.mode, LOOP_AUTO);
    assert_int_equal(k.seq.phase, PH_HOLD);
    assert_false(k.seq.wet);
    /* the same requests on the values now pass */
    r = req(ROLE_OPERATOR, "wet", "charge", "yes", "");
    snprintf(r.expect, sizeof r.expect, "NO");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(k.seq.wet);
    /* the phase moved by another operator: named with the time */
    r = req(ROLE_OPERATOR, "phase", "CHARGE", "", "");
    snprintf(r.user, sizeof r.user, "ben");
    snprintf(r.when, sizeof r.when, "11:05");
    snprintf(r.expect, sizeof r.expect, "HOLD");
    r.role = ROLE_OPERATOR;
    assert_int_equal(core_request(&k, &r), 0);
    r = req(ROLE_OPERATOR, "cmd", "sc_door_open", "", "");
    snprintf(r.expect, sizeof r.expect, "HOLD");
    assert_int_equal(core_request(&k, &r), -1);
    assert_string_equal(reply()->text, "phase was changed to CHARGE by ben at 11:05 while "
                                       "you were typing; nothing was sent (you saw HOLD)");
}

/* While the record cannot be written: every change away from the safe
 * state refused with the sentence and nothing changed; those toward it
 * carried out (the shell marks their replies).  Back to normal when the
 * record can be written again. */
static void test_record_down(void **state)
{
    (void)state;
    int bath = loops_find(&k.loops, "bath"), pres = loops_find(&k.loops, "pressure");
    struct core_req r = req(ROLE_OPERATOR, "set", "hc.mode", "MAN", "r");
    assert_int_equal(core_request(&k, &r), 0); /* the firing in MAN, to lower it below */
    take();
    core_set_record(&k, false, "disk full");
    static const struct {
        enum core_role role;
        const char *verb, *target, *value, *reason;
        bool safe;
    } cases[] = {
        {ROLE_OPERATOR, "set", "bath.sp", "745", "r", false},      /* higher: more heat */
        {ROLE_OPERATOR, "set", "bath.sp", "735", "r", true},       /* lower */
        {ROLE_OPERATOR, "set", "sc.sp", "440", "r", true},
        {ROLE_OPERATOR, "set", "pressure.sp", "5", "r", false},    /* not a temperature */
        {ROLE_OPERATOR, "set", "bath.mode", "MAN", "r", false},
        {ROLE_OPERATOR, "set", "hc.out", "10", "r", true},         /* less firing */
        {ROLE_OPERATOR, "set", "hc.out", "90", "r", false},
        {ROLE_OPERATOR, "set", "pressure.out", "10", "r", false},
        {ROLE_OPERATOR, "set", "bath.sp", "abc", "r", false},
        {ROLE_ENGINEER, "tune", "bath.kp", "5", "r", false},
        {ROLE_OPERATOR, "cmd", "burner_start", "", "", false},
        {ROLE_OPERATOR, "cmd", "burner_stop", "", "", true},
        {ROLE_OPERATOR, "cmd", "tap_close", "", "", true},
        {ROLE_OPERATOR, "cmd", "tap_open", "", "", false},
        {ROLE_OPERATOR, "cmd", "sc_door_close", "", "", true},
        {ROLE_OPERATOR, "cmd", "watchdog_reset", "", "", false},
        {ROLE_OPERATOR, "cmd", "charge", "3", "", false},
        {ROLE_OPERATOR, "phase", "CHARGE", "", "", false},
        {ROLE_OPERATOR, "shelve", "roof_h", "30", "r", false},
        {ROLE_OPERATOR, "unshelve", "roof_h", "", "", true},
        {ROLE_OPERATOR, "ack", "all", "", "", true},
        {ROLE_ENGINEER, "oos", "roof_h", "on", "r", false},
        {ROLE_ENGINEER, "oos", "roof_h", "off", "r", true},
        {ROLE_OPERATOR, "wet", "", "yes", "", true},
        {ROLE_OPERATOR, "wet", "", "no", "", false},
        {ROLE_OPERATOR, "confirm", "", "", "", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct core_req q = req(cases[i].role, cases[i].verb, cases[i].target, cases[i].value,
                                cases[i].reason);
        if (core_req_toward_safe(&k, &q) != cases[i].safe) {
            print_error("case %zu: %s %s %s: toward safe should be %d\n", i, q.verb, q.target,
                        q.value, cases[i].safe);
            fail();
        }
        if (cases[i].safe)
            continue;
        double sp = k.loops.loop[bath].pid.sp, psp = k.loops.loop[pres].pid.sp;
        enum cfg_phase ph = k.seq.phase;
        assert_int_equal(core_request(&k, &q), -1);
        const struct core_result *y = reply();
        assert_non_null(y);
        assert_false(y->ok);
        if (!strstr(y->text, "the record cannot be written (disk full): changes are refused "
                             "until it can;")) {
            print_error("case %zu: \"%s\"\n", i, y->text);
            fail();
        }
        assert_true(k.loops.loop[bath].pid.sp == sp);
        assert_true(k.loops.loop[pres].pid.sp == psp);
        assert_int_equal(k.seq.phase, ph);
        assert_int_equal(k.nqueue, 0);
    }
    /* toward safe: carried out */
    r = req(ROLE_OPERATOR, "set", "bath.sp", "735", "disk full, cooling");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(reply()->ok);
    assert_true(k.loops.loop[bath].pid.sp == 735);
    r = req(ROLE_OPERATOR, "cmd", "burner_stop", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    assert_int_equal(k.nqueue, 1);
    /* the record back: changes again */
    core_set_record(&k, true, "");
    r = req(ROLE_OPERATOR, "set", "bath.sp", "745", "r");
    assert_int_equal(core_request(&k, &r), 0);
    assert_true(reply()->ok);
    assert_true(k.loops.loop[bath].pid.sp == 745);
}

/* Index of a tag among this cycle's writes, or -1. */
static int write_pos(const char *name, double *v)
{
    int ti = cfg_tag_index(&cfg, name);
    for (int i = 0; i < k.nwrites; i++)
        if (k.writes[i].tag == ti) {
            if (v)
                *v = k.writes[i].value;
            return i;
        }
    return -1;
}

static void test_handshake_ok_and_order(void **state)
{
    (void)state;
    set("cmd_ack_seq", 7);
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0);
    start(&k); /* seq continues from the PLC's ack 7 */
    take();
    set("firing_fb", 20);
    set("firing_demand", 20);
    struct core_req r = req(ROLE_OPERATOR, "cmd", "burner_stop", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    step(true);
    assert_true(k.cmd_write);
    assert_int_equal(k.cmd_out[0].tag, cfg_tag_index(&cfg, "cmd_code"));
    assert_int_equal(k.cmd_out[1].tag, cfg_tag_index(&cfg, "cmd_arg"));
    assert_int_equal(k.cmd_out[2].tag, cfg_tag_index(&cfg, "cmd_seq")); /* written last */
    assert_int_equal((int)k.cmd_out[0].value, PLC_CMD_BURNER_STOP);
    assert_int_equal((int)k.cmd_out[2].value, 8);
    assert_int_equal(write_pos("cmd_seq", NULL), -1); /* never among the refreshed outputs */
    assert_null(reply()); /* not answered yet */
    step(true);
    assert_false(k.cmd_write); /* sent once */
    set("cmd_result", PLC_RES_OK);
    set("cmd_ack_seq", 8);
    step(true);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->kind, "cmd");
    assert_non_null(strstr(y->text, "done"));
}

/* The charge recipe at the gate (control/README.md, 'Charge recipe by scrap class'): the
 * class must be one of the file's and goes with a charge only; its organics are judged
 * against [limits] max_organics_kg (the shipped 190 kg); a charge naming none is taken as
 * default_scrap; the class judged is the class queued, sent and recorded (cmd charge
 * CLASS -> MASS). */
static void test_charge_recipe(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "phase", "CHARGE", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    set("sc_door_closed", 0);
    set("firing_fb", 20);
    step(true);
    take();
    static const struct {
        const char *target, *value, *scrap, *says;
    } refused[] = {
        {"charge", "1", "swarf", "Charge scrap: no scrap class \"swarf\"; the classes are clean "
         "(0 %), mixed (3 %), painted (5 %), lacquered (7 %), oily (10 %)"},
        {"burner_stop", "", "oily", "Stop burner: a scrap class (\"oily\") goes with a charge only"},
        {"charge", "3", "oily", "Charge scrap: 3.00 t of oily scrap (10 % organics) carries 300 kg "
         "of organics, more than the 190 kg a charge may; charge at most 1.90 t"},
        {"charge", "2.72", "lacquered", "Charge scrap: 2.72 t of lacquered scrap (7 % organics) "
         "carries 190.4 kg of organics, more than the 190 kg a charge may; charge at most 2.71 t"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        r = req(ROLE_OPERATOR, "cmd", refused[i].target, refused[i].value, "");
        snprintf(r.scrap, sizeof r.scrap, "%s", refused[i].scrap);
        assert_int_equal(core_request(&k, &r), -1);
        const struct core_result *y = reply();
        assert_non_null(y);
        assert_false(y->ok);
        assert_string_equal(y->text, refused[i].says);
        assert_int_equal(k.nqueue, 0);
    }
    /* at the limit: queued with its class, sent, and answered with it */
    r = req(ROLE_OPERATOR, "cmd", "charge", "1.9", "");
    snprintf(r.scrap, sizeof r.scrap, "oily");
    assert_int_equal(core_request(&k, &r), 0);
    assert_int_equal(k.nqueue, 1);
    assert_string_equal(k.queue[0].label, "Charge scrap 1.90 t of oily scrap");
    assert_int_equal(k.queue[0].arg, 190);
    step(true);
    assert_true(k.cmd_write);
    assert_int_equal((int)get("cmd_arg"), 190);
    set("cmd_result", PLC_RES_OK);
    set("cmd_ack_seq", k.seq_no);
    step(true);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->what, "charge");
    assert_string_equal(y->old_v, "oily"); /* the journal: cmd charge oily -> 1.9 */
    assert_string_equal(y->new_v, "1.9");
    assert_string_equal(y->text, "Charge scrap 1.90 t of oily scrap: done");
    /* no class named: the default's (mixed, 3 %: 5 t is 150 kg) */
    r = req(ROLE_OPERATOR, "cmd", "charge", "5", "");
    assert_int_equal(core_request(&k, &r), 0);
    assert_string_equal(k.queue[0].req.scrap, "mixed");
    assert_string_equal(k.queue[0].label, "Charge scrap 5.00 t of mixed scrap");
    /* the view (status --json, the commands screen) judges a charge of the default class:
     * 3 t, or the largest the class allows -- READY when one can go, whatever its class */
    static struct core_view v;
    const struct core_view_perm *cp = NULL;
    char keep[CFG_NAME_MAX];
    snprintf(keep, sizeof keep, "%s", cfg.limits.default_scrap);
    snprintf(cfg.limits.default_scrap, sizeof cfg.limits.default_scrap, "oily");
    core_view_fill(&k, tags, NULL, NULL, &v);
    for (int i = 0; i < v.nperms; i++)
        if (!strcmp(v.perms[i].cmd, "charge"))
            cp = &v.perms[i];
    assert_non_null(cp);
    assert_true(cp->ready);
    cfg.limits.max_organics_kg = 5; /* oily: 0.05 t at most */
    core_view_fill(&k, tags, NULL, NULL, &v);
    assert_true(cp->ready);
    cfg.limits.max_organics_kg = 0.5; /* below the PLC's 0.01 t: no charge of oily scrap at all */
    core_view_fill(&k, tags, NULL, NULL, &v);
    assert_false(cp->ready);
    assert_string_equal(cp->why, "Charge scrap: charge 0.0 t ≤ minimum 0.0 t");
    cfg.limits.max_organics_kg = 190;
    snprintf(cfg.limits.default_scrap, sizeof cfg.limits.default_scrap, "%s", keep);
}

/* One charge of `mass` t of `scrap` through the gate and the PLC, answered with `plc`. */
static void charge_answered(const char *mass, const char *scrap, int plc)
{
    struct core_req r = req(ROLE_OPERATOR, "cmd", "charge", mass, "");
    snprintf(r.scrap, sizeof r.scrap, "%s", scrap);
    assert_int_equal(core_request(&k, &r), 0);
    step(true);
    assert_true(k.cmd_write);
    set("cmd_result", plc);
    set("cmd_ack_seq", k.seq_no);
    step(true);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_int_equal(y->ok, plc == PLC_RES_OK);
}

/* The fan's bath priority follows the class of the last charge the PLC accepted (the
 * shipped file: clean yes, mixed no; [loop.sc] prio_gain 20): off before any charge, on
 * after a clean one, off after a mixed one, unchanged by a charge the PLC refused; the
 * view's loop status says when it caps (PRIO CAP); the class survives a restart. */
static void test_charge_class_drives_priority(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "phase", "CHARGE", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    set("sc_door_closed", 0);
    set("firing_fb", 20);
    set("sc_gas_temp", 300); /* far below SP: the fan's law wants 100 % */
    set("bath_hc_temp", 728); /* 12 K below SP: a priority would hold the fan at out_lo */
    int sc = loops_find(&k.loops, "sc");
    const struct loops_loop *x = &k.loops.loop[sc];
    static struct core_view v;
    static const struct {
        const char *mass, *scrap;
        int plc;
        const char *after; /* the class in force after it, "" none */
    } steps[] = {
        {NULL, NULL, 0, ""},                  /* no charge yet */
        {"2", "clean", PLC_RES_OK, "clean"},
        {"2", "mixed", PLC_RES_OK, "mixed"},
        {"2", "clean", PLC_RES_INTERLOCK, "mixed"}, /* refused by the PLC: not charged */
        {"1", "lacquered", PLC_RES_OK, "lacquered"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].mass)
            charge_answered(steps[i].mass, steps[i].scrap, steps[i].plc);
        for (int n = 0; n < 800; n++) /* 200 s: the bath loop's filtered PV settles */
            step(true);
        take();
        const char *now = k.charge_scrap ? k.charge_scrap->name : "";
        if (strcmp(now, steps[i].after))
            fail_msg("step %zu: class \"%s\", expected \"%s\"", i, now, steps[i].after);
        bool on = k.charge_scrap && k.charge_scrap->bath_priority;
        core_view_fill(&k, tags, NULL, NULL, &v);
        bool flag = (v.loops[sc].status & PID_ST_PRIO_CAP) != 0;
        if (on != (x->prio_cap < x->pid.prm.out_hi) || on != flag || on != k.loops.prio_on)
            fail_msg("step %zu (%s): cap %.1f, PRIO_CAP %d, expected the priority %s", i, now,
                     x->prio_cap, flag, on ? "on" : "off");
    }
    /* kept across a restart, as the loops' settings are */
    char text[2048], err[600];
    assert_true(core_state_save(&k, text, sizeof text) > 0);
    assert_non_null(strstr(text, "\ncharge scrap=lacquered\n"));
    static struct core k2;
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    assert_null(k2.charge_scrap);
    assert_int_equal(core_state_restore(&k2, text, err, sizeof err), 5);
    assert_string_equal(err, "");
    assert_ptr_equal(k2.charge_scrap, cfg_scrap_find(&cfg, "lacquered"));
    /* a class the file no longer has, or a line not understood: not known, and said */
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    assert_int_equal(core_state_restore(&k2, "charge scrap=swarf\n", err, sizeof err), 0);
    assert_null(k2.charge_scrap);
    assert_non_null(strstr(err, "the last charge's scrap class \"swarf\" is not in"));
    assert_int_equal(core_state_restore(&k2, "charge clean\n", err, sizeof err), 0);
    assert_null(k2.charge_scrap);
    assert_non_null(strstr(err, "not understood"));
}

static void test_handshake_interlock_and_timeout(void **state)
{
    (void)state;
    set("cmd_ack_seq", 0);
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0);
    start(&k);
    take();
    struct core_req r = req(ROLE_OPERATOR, "cmd", "pump_stop", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    step(true);
    set("plc_interlocks", PLC_IL_LEVEL_LOW);
    set("cmd_result", PLC_RES_INTERLOCK);
    set("cmd_ack_seq", 1);
    step(true);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_false(y->ok);
    assert_non_null(strstr(y->text, "PLC hard interlock (active: bath level low)"));
    set("plc_interlocks", 0);
    /* a second command is never answered */
    r = req(ROLE_OPERATOR, "cmd", "fan_stop", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    for (int i = 0; i < 4 * 4; i++)
        step(true);
    y = reply();
    assert_non_null(y);
    assert_false(y->ok);
    assert_non_null(strstr(y->text, "no answer from the PLC within 3000 ms"));
}

/* A command that waits behind another longer than request_max_age_ms is
 * not sent when its turn comes: refused with its age (issue 12). */
static void test_queued_command_expires(void **state)
{
    (void)state;
    set("cmd_ack_seq", 0);
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.server.request_max_age_ms, 2000);
    start(&k);
    take();
    struct core_req r = req(ROLE_OPERATOR, "cmd", "pump_stop", "", "");
    r.t_made = t;
    assert_int_equal(core_request(&k, &r), 0);
    step(true);
    assert_true(k.cmd_write);
    r = req(ROLE_OPERATOR, "cmd", "fan_stop", "", ""); /* behind the first */
    r.id = 43;
    r.t_made = t;
    assert_int_equal(core_request(&k, &r), 0);
    for (int i = 0; i < 4 * 4; i++) /* the first is never answered: 3 s */
        step(true);
    int n = take();
    bool first = false, second = false;
    for (int i = 0; i < n; i++) {
        if (res[i].id == 42)
            first = strstr(res[i].text, "no answer from the PLC") != NULL;
        if (res[i].id == 43) {
            assert_false(res[i].ok);
            second = strstr(res[i].text, "not sent: asked for 3.") &&
                     strstr(res[i].text, "older than 2.0 s are not carried out");
        }
    }
    assert_true(first);
    assert_true(second);
    assert_false(k.busy); /* nothing sent for it */

    /* a fresh one behind nothing goes at once */
    r = req(ROLE_OPERATOR, "cmd", "fan_stop", "", "");
    r.t_made = t - 1.5;
    assert_int_equal(core_request(&k, &r), 0);
    step(true);
    assert_true(k.cmd_write);
}

static void test_link_down_holds_and_refuses_commands(void **state)
{
    (void)state;
    double out_before = k.loops.loop[k.hc_loop].pid.out;
    struct core_req r = req(ROLE_OPERATOR, "cmd", "fan_stop", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    for (int i = 0; i < 8; i++) {
        for (int j = 0; j < cfg.ntags; j++)
            tags[j].q = Q_BAD_COMMS;
        step(false);
    }
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_non_null(strstr(y->text, "PLC link is down"));
    assert_true(k.loops.loop[k.hc_loop].pid.out == out_before);
    assert_int_not_equal(k.loops.loop[k.hc_loop].pid.mode, LOOP_MAN);
    const struct alarm *a = alarm_get(&k.alarms, "plc_link");
    assert_non_null(a);
    assert_int_equal(a->state, ALARM_UNACK);
}

/* A bad PV's hold in the view (man_in_s, what the console counts down): the time left of the
 * loop's pv_bad_hold_s while the loops step; none while the link is down (the loops hold,
 * nothing drops); the outage not counted when the link comes back. */
static void test_bad_pv_hold_in_view(void **state)
{
    (void)state;
    static struct core_view v;
    int b = k.bath_loop, bt = cfg_tag_index(&cfg, "bath_hc_temp");
    assert_true(b >= 0 && bt >= 0);
    double hold = k.loops.loop[b].pid.prm.pv_bad_hold_s;
    assert_true(hold >= 5); /* the shipped 10 s */
    core_view_fill(&k, tags, NULL, NULL, &v);
    assert_true(v.loops[b].man_in_s == 0); /* the PV good: no hold */
    for (int i = 0; i < 8; i++) { /* 2 s bad */
        tags[bt].q = Q_BAD_SENSOR;
        step(true);
    }
    core_view_fill(&k, tags, NULL, NULL, &v);
    assert_int_equal(v.loops[b].mode, LOOP_AUTO);
    assert_true(fabs(v.loops[b].man_in_s - (hold - 2)) < 1e-9);
    for (int i = 0; i < 4 * (int)hold; i++) { /* the link down longer than the hold */
        for (int j = 0; j < cfg.ntags; j++)
            tags[j].q = Q_BAD_COMMS;
        step(false);
        core_view_fill(&k, tags, NULL, NULL, &v);
        assert_true(v.loops[b].man_in_s == 0); /* held, not about to drop */
        assert_int_equal(v.loops[b].mode, LOOP_AUTO);
    }
    plant_holding();
    int n = 0;
    while (k.loops.loop[b].pid.mode != LOOP_MAN && n < 1000) {
        tags[bt].q = Q_BAD_SENSOR;
        step(true);
        n++;
        core_view_fill(&k, tags, NULL, NULL, &v);
        if (n == 1)
            assert_true(fabs(v.loops[b].man_in_s - (hold - 2.25)) < 1e-9); /* on from 2 s */
    }
    assert_int_equal(n, 4 * (int)hold - 8); /* the outage did not count */
    core_view_fill(&k, tags, NULL, NULL, &v);
    assert_true(v.loops[b].man_in_s == 0); /* dropped: nothing left to count down */
}

static void test_plc_heartbeat_frozen(void **state)
{
    (void)state;
    struct core_status st = {.link_up = true, .disk_ok = true};
    for (int i = 0; i < 4 * 5; i++) {
        t += 0.25;
        struct core_times tm = {.t_proc = 5000, .dt_proc = 0, .t_mono = t}; /* plc_clock frozen */
        core_step(&k, tags, &st, &tm);
        plc_store(&k);
    }
    assert_true(k.plc_stale);
    const struct alarm *a = alarm_get(&k.alarms, "plc_stale");
    assert_non_null(a);
    assert_int_not_equal(a->state, ALARM_NORMAL);
}

/* A server started long after boot: the first heartbeat read starts the
 * watch, so a PLC whose counter happens to read as the core's initial value
 * is not judged stale on the first cycle. */
static void test_plc_heartbeat_first_read_not_stale(void **state)
{
    (void)state;
    static struct core fresh;
    char err[300];
    assert_int_equal(core_init(&fresh, &cfg, err, sizeof err), 0);
    set("plc_heartbeat", 0); /* the same as the core's initial hb_last */
    struct core_status st = {.link_up = true, .disk_ok = true};
    struct core_times tm = {.t_proc = 1e6, .dt_proc = 0, .t_mono = 1e6};
    core_step(&fresh, tags, &st, &tm);
    assert_false(fresh.plc_stale);
    const struct alarm *a = alarm_get(&fresh.alarms, "plc_stale");
    assert_non_null(a);
    assert_int_equal(a->state, ALARM_NORMAL);
    /* and it still goes stale when the counter then stands still */
    for (int i = 0; i < 4 * 5; i++) {
        tm.t_mono += 0.25;
        core_step(&fresh, tags, &st, &tm);
    }
    assert_true(fresh.plc_stale);
}

static void test_phase_download_and_view(void **state)
{
    (void)state;
    struct core_req r = req(ROLE_OPERATOR, "phase", "CHARGE", "", "");
    assert_int_equal(core_request(&k, &r), 0);
    const struct core_result *y = reply();
    assert_non_null(y);
    assert_true(y->ok);
    assert_string_equal(y->new_v, "CHARGE");
    assert_int_equal(k.seq.phase, PH_CHARGE);
    step(true);
    /* charging caps the firing at the program's charge_fire_pct */
    double f;
    assert_true(write_pos("firing_demand", &f) >= 0);
    assert_true(f <= k.prog->charge_fire_pct + 1e-9);
    static struct core_view s;
    core_view_fill(&k, tags, NULL, NULL, &s);
    assert_int_equal(s.phase, PH_CHARGE);
    assert_int_equal(s.ntags, cfg.ntags);
    assert_int_equal(s.nloops, 5);
    assert_true(s.nperms >= 15);
    bool found = false;
    for (int i = 0; i < s.nperms; i++)
        if (!strcmp(s.perms[i].cmd, "sc_door_open")) {
            found = true;
            assert_false(s.perms[i].ready); /* firing 35 % > low-fire limit 30 % */
            assert_non_null(strstr(s.perms[i].why, "30"));
        }
    assert_true(found);
}

/* The view's counts are by ISA-18.2 state: a cleared alarm awaiting its
 * acknowledgement is unacknowledged but not active, and its raise time is
 * carried as it was. */
static void test_view_counts_by_state(void **state)
{
    (void)state;
    static struct core_view s;
    assert_true(k.alarms.n >= 4);
    static const enum alarm_state st[] = {ALARM_UNACK, ALARM_ACKED, ALARM_RTN_UNACK,
                                          ALARM_SHELVED};
    for (int i = 0; i < 4; i++) {
        k.alarms.al[i].state = st[i];
        k.alarms.al[i].t_raised = 100 + i;
    }
    core_view_fill(&k, tags, NULL, NULL, &s);
    assert_int_equal(s.n_active, 2);   /* UNACK, ACKED */
    assert_int_equal(s.n_unacked, 2);  /* UNACK, RTN_UNACK */
    assert_int_equal(s.n_shelved, 1);
    int seen = 0;
    for (int i = 0; i < s.nalarms; i++)
        for (int j = 0; j < 4; j++)
            if (!strcmp(s.alarms[i].name, k.alarms.al[j].def.name)) {
                assert_true(s.alarms[i].t_raised == 100 + j);
                seen++;
            }
    assert_int_equal(seen, 4);
}

/* Burner standby: in TAP the HC loop may ask for less than low fire, down to [loop.hc]
 * out_lo, so the PLC may take the flame off; a standby burner (bms_state 5, no flame) is not
 * "forced": the loop runs on, so its demand can relight it.  HOLD keeps a standby burner off
 * until the loop asks for low fire, but a firing burner's low limit there is [furnace]
 * low_fire_pct, as in every other phase: only TAP stands the burner by. */
static void hc_demand_after(enum cfg_phase ph, int bms, double bath, double gas, int steps)
{
    k.seq.phase = ph;
    set("bms_state", bms);
    set("flame_on", bms == BMS_FIRING);
    set("firing_fb", bms == BMS_FIRING ? 10 : 0);
    set("bath_hc_temp", bath);
    set("hc_gas_temp", gas);
    for (int i = 0; i < steps; i++)
        step(true);
    assert_int_equal(k.seq.phase, ph);
}

static void test_standby_demand_by_phase(void **state)
{
    (void)state;
    const struct pid *hc = &k.loops.loop[k.hc_loop].pid;
    double low = cfg.furnace.low_fire_pct;
    assert_true(cfg.loops[k.hc_loop].out_lo < low); /* the shipped out_lo asks for off */
    /* HOLD, firing, too hot: the master takes the HC setpoint to its floor, and the demand
     * stops at low fire */
    hc_demand_after(PH_HOLD, BMS_FIRING, 746, 1100, 2400);
    assert_false(k.seq.out.standby_ok);
    assert_float_equal(get("firing_demand"), low, 1e-6);
    /* TAP: below low fire */
    hc_demand_after(PH_TAP, BMS_FIRING, 746, 1100, 240);
    assert_true(k.seq.out.standby_ok);
    assert_true(get("firing_demand") < 1);
    /* the PLC stands by; HOLD keeps it off, and the loop is not tracking firing_fb's 0 */
    hc_demand_after(PH_HOLD, BMS_STANDBY, 746, 1100, 40);
    assert_true(get("firing_demand") < 1);
    assert_false(hc->status & PID_ST_TRACK);
    /* the gas cools below its setpoint: the demand rises to low fire, which relights it */
    hc_demand_after(PH_HOLD, BMS_STANDBY, 735, 800, 0);
    for (int i = 0; i < 240 && get("firing_demand") < low; i++)
        step(true);
    assert_true(get("firing_demand") >= low);
    /* PYROLYSIS, firing: however hot the gas, the demand stays at low fire */
    hc_demand_after(PH_PYROLYSIS, BMS_FIRING, 746, 1100, 2400);
    assert_false(k.seq.out.standby_ok || k.seq.out.standby_keep);
    assert_float_equal(get("firing_demand"), low, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_starts_from_readback, setup),
        cmocka_unit_test_setup(test_plc_heartbeat_first_read_not_stale, setup),
        cmocka_unit_test_setup(test_nothing_written_before_first_read, setup),
        cmocka_unit_test_setup(test_waits_for_a_good_readback, setup),
        cmocka_unit_test_setup(test_state_survives_a_restart, setup),
        cmocka_unit_test_setup(test_melt_to_charge_with_empty_hearth, setup),
        cmocka_unit_test_setup(test_charge_recipe, setup),
        cmocka_unit_test_setup(test_charge_class_drives_priority, setup),
        cmocka_unit_test_setup(test_gate_refusals, setup),
        cmocka_unit_test_setup(test_gate_reads_strictly, setup),
        cmocka_unit_test_setup(test_gate_applies_what_was_typed, setup),
        cmocka_unit_test_setup(test_set_accepted_old_new, setup),
        cmocka_unit_test_setup(test_record_down, setup),
        cmocka_unit_test_setup(test_handshake_ok_and_order, setup),
        cmocka_unit_test_setup(test_handshake_interlock_and_timeout, setup),
        cmocka_unit_test_setup(test_queued_command_expires, setup),
        cmocka_unit_test_setup(test_link_down_holds_and_refuses_commands, setup),
        cmocka_unit_test_setup(test_bad_pv_hold_in_view, setup),
        cmocka_unit_test_setup(test_plc_heartbeat_frozen, setup),
        cmocka_unit_test_setup(test_phase_download_and_view, setup),
        cmocka_unit_test_setup(test_compare_and_set, setup),
        cmocka_unit_test_setup(test_view_counts_by_state, setup),
        cmocka_unit_test_setup(test_standby_demand_by_phase, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
