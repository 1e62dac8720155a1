/* test_master — another master writing the PLC (control/core/master.c), on
 * the shipped config: the detector alone, table-driven (own writes read
 * back late, glitches, persistent mismatches, bad reads, a link loss, a
 * register moving while listening), then through the core: writes stop at
 * once, commands are refused, an operator cannot give the outputs back, an
 * engineer can once the other master has stopped, and control restarts
 * from the PLC's read-back without a bump; a command waits for the start.
 * A config without the alarm gets it built in, and the overrun and refused
 * alarms likewise. */
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
#include "master.h"

static struct cfg cfg;
static struct tag_value tags[CFG_MAX_TAGS];
static double t;

static int tag(const char *name)
{
    int i = cfg_tag_index(&cfg, name);
    assert_true(i >= 0);
    return i;
}

static void set(const char *name, double v) { tags[tag(name)] = (struct tag_value){v, Q_GOOD}; }

static int setup(void **state)
{
    (void)state;
    static struct cfg_errors e;
    const char *root = getenv("MELTCON_SRC");
    char path[512];
    snprintf(path, sizeof path, "%s/config/meltcon.ini", root ? root : MELTCON_SRC_DIR);
    assert_int_equal(cfg_load(path, &cfg, &e), 0);
    for (int i = 0; i < cfg.ntags; i++)
        tags[i] = (struct tag_value){0, Q_GOOD};
    t = 100;
    return 0;
}

/* ---- the detector ------------------------------------------------------------------ */

/* One case: the register the core writes, whether its value changes every
 * cycle (a heartbeat) or stays, and what the PLC shows at each read:
 *   e  what we wrote last (echo)       l  what we wrote the cycle before (late)
 *   f  a foreign value                 b  a read that failed (BAD_COMMS)
 *   d  the link down: nothing read, nothing judged
 * trip_at: index of the read that trips, -1 never. */
static const struct detector_case {
    const char *name, *reg;
    bool changing;
    const char *reads;
    int trip_at;
} detector_cases[] = {
    {"own heartbeat read back late", "console_heartbeat", true, "llllllllllllllll", -1},
    {"own demand read back late", "firing_demand", true, "lelelllleeelllll", -1},
    {"one glitch", "firing_demand", false, "eeeeeeefeeeeeeee", -1},
    {"two glitches in a row", "firing_demand", false, "eeeffeeeffeeeeff", -1},
    {"persistent mismatch", "firing_demand", false, "eeeefffeeee", 6},
    {"persistent mismatch, changing", "damper_demand", true, "eeeeeelfff", 9},
    {"heartbeat mismatch", "console_heartbeat", true, "eeeefffff", 6},
    {"bad reads hold the count", "pump_demand", false, "eeeffbbfee", 7},
    {"a link loss forgets what was written", "firing_demand", false, "eeffdffeee", -1},
    {"after a link loss, persistent again", "firing_demand", false, "eeffdffff", 8},
};

static double written(bool changing, int i) { return changing ? 20 + (i % 50) : 35; }

static void test_detector_table(void **state)
{
    (void)state;
    static struct master m;
    for (size_t c = 0; c < sizeof detector_cases / sizeof detector_cases[0]; c++) {
        const struct detector_case *dc = &detector_cases[c];
        int r = tag(dc->reg);
        master_init(&m, &cfg);
        for (int i = 0; i < cfg.ntags; i++)
            tags[i] = (struct tag_value){0, Q_GOOD};
        /* listening: nobody else writes */
        for (int i = 0; i <= MASTER_LISTEN; i++)
            master_step(&m, tags, true, t += 0.25);
        assert_true(m.listened >= MASTER_LISTEN);
        int tripped_at = -1;
        double last = 0, before = 0;
        master_wrote(&m, r, written(dc->changing, 0));
        last = written(dc->changing, 0);
        for (int i = 0; dc->reads[i]; i++) {
            bool ok = true;
            switch (dc->reads[i]) {
            case 'e': tags[r] = (struct tag_value){last, Q_GOOD}; break;
            case 'l': tags[r] = (struct tag_value){i ? before : last, Q_GOOD}; break;
            case 'f': tags[r] = (struct tag_value){87.5, Q_GOOD}; break;
            case 'b': tags[r].q = Q_BAD_COMMS; break;
            case 'd': ok = false; break;
            }
            master_step(&m, tags, ok, t += 0.25);
            if (m.tripped_now) {
                assert_int_equal(tripped_at, -1); /* once */
                tripped_at = i;
            }
            if (m.tripped)
                continue; /* the core writes nothing more */
            before = last;
            last = written(dc->changing, i + 1);
            master_wrote(&m, r, last);
        }
        if (tripped_at != dc->trip_at) {
            print_error("case \"%s\": tripped at read %d, want %d\n", dc->name, tripped_at,
                        dc->trip_at);
            fail();
        }
        if (tripped_at >= 0) {
            char want[96];
            snprintf(want, sizeof want, "%s hr:%d wrote ", dc->reg, cfg.tags[r].addr);
            assert_non_null(strstr(m.detail, want));
            assert_non_null(strstr(m.detail, "read 87.5"));
            assert_non_null(strstr(m.text, want));
            assert_true(m.active);
        }
    }
}

/* The link's budget puts blocks off (STALE: not read this step).  Listening
 * counts only fresh reads, and compares a fresh read with the last one
 * before the STALE steps: a heartbeat that moved meanwhile is heard. */
static void test_listening_across_stale_reads(void **state)
{
    (void)state;
    static struct master m;
    int hb = tag("console_heartbeat");
    master_init(&m, &cfg);
    for (int i = 0; i < cfg.ntags; i++)
        tags[i] = (struct tag_value){0, Q_STALE};
    set("console_heartbeat", 41);
    master_step(&m, tags, true, t += 0.25);
    for (int k = 0; k < 2 * MASTER_LISTEN; k++) { /* put off: neither quiet reads nor heard */
        tags[hb].q = Q_STALE;
        master_step(&m, tags, true, t += 0.25);
        assert_int_equal(m.listened, 0);
        assert_false(m.tripped);
    }
    for (int k = 1; k <= MASTER_LISTEN; k++) { /* one fresh read every other step */
        set("console_heartbeat", 41);
        master_step(&m, tags, true, t += 0.25);
        assert_int_equal(m.listened, k);
        tags[hb].q = Q_STALE;
        master_step(&m, tags, true, t += 0.25);
        assert_int_equal(m.listened, k);
    }
    /* another server's heartbeat moved while its block was put off */
    master_init(&m, &cfg);
    set("console_heartbeat", 41);
    master_step(&m, tags, true, t += 0.25);
    tags[hb].q = Q_STALE;
    master_step(&m, tags, true, t += 0.25);
    master_step(&m, tags, true, t += 0.25);
    set("console_heartbeat", 44);
    master_step(&m, tags, true, t += 0.25);
    assert_true(m.tripped_now);
    assert_non_null(strstr(m.detail, "console_heartbeat hr:20 changed 41 -> 44"));
}

static void test_listening_hears_another_master(void **state)
{
    (void)state;
    static struct master m;
    master_init(&m, &cfg);
    set("console_heartbeat", 41);
    master_step(&m, tags, true, t += 0.25);
    master_step(&m, tags, true, t += 0.25);
    assert_false(m.tripped);
    set("console_heartbeat", 42); /* a running server's heartbeat */
    master_step(&m, tags, true, t += 0.25);
    assert_true(m.tripped_now);
    assert_non_null(strstr(m.detail, "console_heartbeat hr:20 changed 41 -> 42"));
    assert_true(m.listened < MASTER_LISTEN);
    /* active while it keeps moving, quiet MASTER_QUIET_S after it stopped */
    for (int i = 0; i < 8; i++) {
        set("console_heartbeat", 43 + i);
        master_step(&m, tags, true, t += 0.25);
        assert_true(m.active);
    }
    double stopped = t;
    while (t - stopped < MASTER_QUIET_S - 0.01) {
        master_step(&m, tags, true, t += 0.25);
        assert_true(m.active || t - stopped >= MASTER_QUIET_S);
    }
    master_step(&m, tags, true, t += 0.25);
    assert_false(m.active);
    assert_true(m.tripped); /* until released */
    assert_non_null(strstr(m.detail, "nothing has changed"));
    master_release(&m);
    assert_false(m.tripped);
    assert_int_equal(m.listened, 0);
}

/* ---- through the core ------------------------------------------------------------------- */

static struct core k;
static struct core_result res[CORE_RESULTS];

static void plc_store(void)
{
    for (int i = 0; i < k.nwrites + (k.cmd_write ? 3 : 0); i++) {
        const struct core_write *w = i < k.nwrites ? &k.writes[i] : &k.cmd_out[i - k.nwrites];
        uint16_t regs[2] = {0, 0};
        char err[160];
        assert_int_equal(tag_encode(&cfg.tags[w->tag], w->value, regs, err, sizeof err), 0);
        assert_int_equal(tag_decode(&cfg.tags[w->tag], regs, &tags[w->tag].v), Q_GOOD);
        tags[w->tag].q = Q_GOOD;
    }
}

/* One cycle against a PLC that keeps what the core writes; `foreign` >= 0
 * is firing_demand written by another master after our write. */
static void cycle(double foreign)
{
    struct core_status st = {.link_up = true, .disk_ok = true};
    t += 0.25;
    struct core_times tm = {.t_proc = t, .dt_proc = 0.25, .t_mono = t};
    set("plc_heartbeat", fmod(tags[tag("plc_heartbeat")].v + 1, 65536));
    core_step(&k, tags, &st, &tm);
    plc_store();
    if (foreign >= 0)
        set("firing_demand", foreign);
}

/* Index of the first of the n results of this kind saying text, or -1. */
static int find_result(int n, const char *kind, const char *text)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(res[i].kind, kind) && strstr(res[i].text, text))
            return i;
    return -1;
}

static const struct core_result *request(enum core_role role, const char *verb,
                                         const char *target, const char *value)
{
    static struct core_result last;
    struct core_req r;
    memset(&r, 0, sizeof r);
    r.id = 7;
    r.client = 1;
    r.role = role;
    snprintf(r.user, sizeof r.user, role == ROLE_ENGINEER ? "erik" : "olga");
    snprintf(r.verb, sizeof r.verb, "%s", verb);
    snprintf(r.target, sizeof r.target, "%s", target);
    snprintf(r.value, sizeof r.value, "%s", value);
    snprintf(r.reason, sizeof r.reason, "test");
    core_request(&k, &r);
    int n = core_results_take(&k, res, CORE_RESULTS);
    for (int i = n - 1; i >= 0; i--)
        if (res[i].client == 1) {
            last = res[i];
            return &last;
        }
    return NULL;
}

/* A furnace holding, started and written by this core alone. */
static void start_core(void)
{
    set("bath_hc_temp", 740);
    set("bath_sc_temp", 738);
    set("hc_gas_temp", 1000);
    set("roof_temp", 1050);
    set("sc_gas_temp", 450);
    set("furnace_pressure", 10);
    set("firing_fb", 35);
    set("firing_demand", 35);
    set("pump_demand", 30);
    set("fan_demand", 20);
    set("damper_demand", 50);
    set("bms_state", BMS_FIRING);
    const char *on[] = {"sc_door_closed", "hc_door_closed", "flame_on", "estop_ok", "gas_ok",
                        "air_ok", "pump_running", "fan_running", "pusher_home"};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
        set(on[i], 1);
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0);
    for (int i = 0; i < 10; i++)
        cycle(-1);
    assert_true(k.started);
    assert_false(core_writes_suspended(&k));
    core_results_take(&k, res, CORE_RESULTS);
}

static enum alarm_state fm_state(void) { return alarm_get(&k.alarms, "foreign_master")->state; }

static void test_core_stops_writing_and_engineer_gives_back(void **state)
{
    (void)state;
    start_core();
    /* another master writes 50 % over ours every cycle: tripped on the
     * MASTER_PERSIST-th read, writes stop in that very cycle */
    int n = 0, cycles = 0;
    while (!core_writes_suspended(&k)) {
        assert_true(k.nwrites > 0);
        cycle(50);
        cycles++;
        n += core_results_take(&k, res + n, CORE_RESULTS - n);
        assert_true(cycles <= MASTER_PERSIST + 1);
    }
    assert_int_equal(k.nwrites, 0);
    assert_false(k.cmd_write);
    assert_false(k.started);
    assert_int_equal(fm_state(), ALARM_UNACK);
    int i = find_result(n, "server", "another master is writing the PLC");
    assert_true(i >= 0);
    assert_non_null(strstr(res[i].text, "firing_demand hr:0 wrote"));
    assert_non_null(strstr(res[i].text, "read 50"));
    i = find_result(n, "alarm", "raised critical");
    assert_true(i >= 0);
    assert_string_equal(res[i].what, "foreign_master");
    assert_non_null(strstr(res[i].text, "firing_demand hr:0"));
    const struct core_result *y;
    /* nothing written while it keeps writing, and no command goes out */
    for (i = 0; i < 8; i++) {
        cycle(i % 2 ? 50 : 55);
        assert_int_equal(k.nwrites, 0);
        assert_false(k.cmd_write);
    }
    y = request(ROLE_OPERATOR, "cmd", "pump_stop", "");
    assert_false(y->ok);
    assert_non_null(strstr(y->text, "not sent: another master is writing the PLC"));
    assert_int_equal(k.nqueue, 0);
    /* an operator cannot give the outputs back, nor hide the alarm */
    y = request(ROLE_OPERATOR, "ack", "foreign_master", "");
    assert_false(y->ok);
    assert_non_null(strstr(y->text, "needs the engineer role (members of group melteng)"));
    assert_int_equal(fm_state(), ALARM_UNACK);
    y = request(ROLE_OPERATOR, "shelve", "foreign_master", "30");
    assert_false(y->ok);
    assert_non_null(strstr(y->text, "cannot be shelved"));
    y = request(ROLE_ENGINEER, "oos", "foreign_master", "on");
    assert_false(y->ok);
    y = request(ROLE_OPERATOR, "ack", "all", "");
    assert_non_null(strstr(y->text, "not foreign_master: that needs the engineer role"));
    assert_int_equal(fm_state(), ALARM_UNACK);
    /* the engineer acknowledges while it still writes: seen, still suspended */
    y = request(ROLE_ENGINEER, "ack", "foreign_master", "");
    assert_true(y->ok);
    assert_non_null(strstr(y->text, "still writing"));
    assert_int_equal(fm_state(), ALARM_ACKED);
    cycle(50);
    assert_true(core_writes_suspended(&k));
    /* it stops (leaving 50 %): the alarm returns and latches */
    for (i = 0; i < (int)(MASTER_QUIET_S / 0.25) + 2; i++) {
        cycle(-1);
        assert_int_equal(k.nwrites, 0);
    }
    assert_int_equal(fm_state(), ALARM_RTN_UNACK);
    assert_true(core_writes_suspended(&k));
    y = request(ROLE_OPERATOR, "ack", "foreign_master", "");
    assert_false(y->ok);
    /* the engineer gives the outputs back: control restarts from the
     * read-back, after listening, without a bump */
    y = request(ROLE_ENGINEER, "ack", "foreign_master", "");
    assert_true(y->ok);
    assert_non_null(strstr(y->text, "control restarts from the PLC's read-back"));
    assert_int_equal(fm_state(), ALARM_NORMAL);
    assert_false(core_writes_suspended(&k));
    int waited = 0;
    while (!k.started) {
        assert_int_equal(k.nwrites, 0);
        cycle(-1);
        assert_true(++waited <= MASTER_LISTEN + 1);
    }
    n = core_results_take(&k, res, CORE_RESULTS);
    assert_true(find_result(n, "server", "control started from the PLC's read-back: firing 50.0 %") >=
                0);
    int fi = tag("firing_demand");
    bool found = false;
    for (i = 0; i < k.nwrites; i++)
        if (k.writes[i].tag == fi) {
            found = true;
            assert_true(fabs(k.writes[i].value - 50) <= 5 * 0.25 + 1e-9); /* out_rate_per_s */
        }
    assert_true(found);
    for (i = 0; i < 20; i++) {
        cycle(-1);
        assert_false(core_writes_suspended(&k));
    }
    assert_int_equal(fm_state(), ALARM_NORMAL);
}

static void test_second_server_stands_down_before_writing(void **state)
{
    (void)state;
    start_core(); /* the server in control */
    static struct core k2;
    char err[300];
    assert_int_equal(core_init(&k2, &cfg, err, sizeof err), 0);
    struct core_status st = {.link_up = true, .disk_ok = true};
    for (int i = 0; i < 6; i++) {
        cycle(-1); /* the first one writes its heartbeat */
        struct core_times tm = {.t_proc = t, .dt_proc = 0.25, .t_mono = t};
        core_step(&k2, tags, &st, &tm);
        assert_int_equal(k2.nwrites, 0);
        assert_false(k2.started);
    }
    assert_true(core_writes_suspended(&k2));
    assert_false(core_writes_suspended(&k)); /* never disturbed */
    assert_int_equal(alarm_get(&k2.alarms, "foreign_master")->state, ALARM_UNACK);
    assert_non_null(strstr(k2.master.text, "console_heartbeat hr:20 changed"));
}

/* A command asked for while the core listens waits, and goes out after the
 * core has written its heartbeat once (a PLC may refuse a silent console). */
static void test_command_waits_for_the_start(void **state)
{
    (void)state;
    start_core();
    char err[300];
    assert_int_equal(core_init(&k, &cfg, err, sizeof err), 0); /* a restart */
    cycle(-1);
    assert_false(k.started);
    const struct core_result *y = request(ROLE_OPERATOR, "cmd", "pump_stop", "");
    assert_null(y); /* accepted, queued: no answer yet */
    assert_int_equal(k.nqueue, 1);
    bool wrote = false;
    int i = 0;
    for (; i < 10 && !k.cmd_write; i++) {
        cycle(-1);
        if (!k.cmd_write)
            wrote |= k.nwrites > 0;
    }
    assert_true(k.cmd_write);
    assert_true(wrote);
    assert_int_equal((int)k.cmd_out[0].value, PLC_CMD_PUMP_STOP);
}

static void test_builtin_alarm_without_config(void **state)
{
    (void)state;
    static struct cfg c2;
    c2 = cfg;
    int j = 0;
    for (int i = 0; i < c2.nalarms; i++)
        if (c2.alarms[i].kind != ALARM_MASTER)
            c2.alarms[j++] = c2.alarms[i];
    assert_int_equal(j, cfg.nalarms - 1);
    c2.nalarms = j;
    static struct core k2;
    char err[300];
    assert_int_equal(core_init(&k2, &c2, err, sizeof err), 0);
    const struct alarm *a = alarm_get(&k2.alarms, "foreign_master");
    assert_non_null(a);
    assert_int_equal(a->def.kind, ALARM_MASTER);
    assert_int_equal(a->def.priority, PRIO_CRITICAL);
    assert_true(a->def.latching);
    assert_int_equal(k2.alarms.n, cfg.nalarms);
    /* nor the PLC's link faults: overrun and refused built in too */
    j = 0;
    for (int i = 0; i < c2.nalarms; i++)
        if (c2.alarms[i].kind != ALARM_OVERRUN && c2.alarms[i].kind != ALARM_REFUSED)
            c2.alarms[j++] = c2.alarms[i];
    assert_int_equal(j, cfg.nalarms - 3);
    c2.nalarms = j;
    assert_int_equal(core_init(&k2, &c2, err, sizeof err), 0);
    assert_int_equal(k2.alarms.n, cfg.nalarms);
    assert_int_equal(alarm_get(&k2.alarms, "cycle_overrun")->def.kind, ALARM_OVERRUN);
    assert_int_equal(alarm_get(&k2.alarms, "plc_refused")->def.kind, ALARM_REFUSED);
    /* a table already full: a sentence, no controller */
    static struct cfg full;
    full = c2;
    while (full.nalarms < CFG_MAX_ALARMS)
        full.alarms[full.nalarms++] = c2.alarms[0];
    assert_int_equal(core_init(&k2, &full, err, sizeof err), -1);
    assert_non_null(strstr(err, "foreign_master"));
    assert_non_null(strstr(err, "no room"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_detector_table, setup),
        cmocka_unit_test_setup(test_listening_hears_another_master, setup),
        cmocka_unit_test_setup(test_listening_across_stale_reads, setup),
        cmocka_unit_test_setup(test_core_stops_writing_and_engineer_gives_back, setup),
        cmocka_unit_test_setup(test_second_server_stands_down_before_writing, setup),
        cmocka_unit_test_setup(test_command_waits_for_the_start, setup),
        cmocka_unit_test_setup(test_builtin_alarm_without_config, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
