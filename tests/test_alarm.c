/* test_alarm — the ISA-18.2 alarm system: states, delays, shelving, floods. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"

#define DT 0.25

enum { T_ROOF, T_BATH, T_SC_DOOR, T_FLAME, T_O2, T_BATH_SC, T_CO, T_LOCK, NTAGS };

struct fx {
    struct cfg cfg;
    struct alarms a;
    struct tag_value tags[NTAGS];
    struct alarm_inputs in;
    double loop_sp[1]; /* the loop "bath" */
    double t;
    struct alarm_event ev[ALARM_EVENTS_MAX];
    int nev;
};

/* A fresh copy of the fixture for each case of a table (static: too big for
 * the stack, and nothing to free when a case fails). */
static struct fx one_case;

static void add_tag(struct cfg *c, const char *name, const char *unit)
{
    struct cfg_tag *t = &c->tags[c->ntags++];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->unit, sizeof t->unit, "%s", unit);
    t->scale = 1;
}

static struct cfg_alarm *add(struct fx *f, const char *name, enum cfg_alarm_kind kind,
                             const char *tag, double limit, enum cfg_priority prio)
{
    struct cfg_alarm *d = &f->cfg.alarms[f->cfg.nalarms++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->tag, sizeof d->tag, "%s", tag);
    snprintf(d->message, sizeof d->message, "Message of %s", name);
    d->kind = kind;
    d->limit = limit;
    d->priority = prio;
    d->max_shelve_min = 60;
    return d;
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof *f);
    add_tag(&f->cfg, "roof_temp", "degC");
    add_tag(&f->cfg, "bath_hc_temp", "degC");
    add_tag(&f->cfg, "sc_door_closed", "");
    add_tag(&f->cfg, "flame_on", "");
    add_tag(&f->cfg, "o2_pct", "%");
    add_tag(&f->cfg, "bath_sc_temp", "degC");
    add_tag(&f->cfg, "co_ppm", "ppm");
    add_tag(&f->cfg, "bms_lockout", "");
    snprintf(f->cfg.loops[0].name, sizeof f->cfg.loops[0].name, "bath");
    f->cfg.nloops = 1;
    f->loop_sp[0] = 740;
    f->tags[T_BATH_SC] = (struct tag_value){738, Q_GOOD};
    f->tags[T_CO] = (struct tag_value){30, Q_GOOD};
    f->tags[T_LOCK] = (struct tag_value){0, Q_GOOD};
    f->tags[T_ROOF] = (struct tag_value){1100, Q_GOOD};
    f->tags[T_BATH] = (struct tag_value){740, Q_GOOD};
    f->tags[T_SC_DOOR] = (struct tag_value){1, Q_GOOD};
    f->tags[T_FLAME] = (struct tag_value){1, Q_GOOD};
    f->tags[T_O2] = (struct tag_value){2, Q_GOOD};
    f->in = (struct alarm_inputs){.tags = f->tags,
                                  .ntags = NTAGS,
                                  .link_up = true,
                                  .plc_stale = false,
                                  .disk_ok = true,
                                  .phase = PH_HOLD,
                                  .loop_sp = f->loop_sp,
                                  .nloops = 1};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static void start(struct fx *f)
{
    char err[200];
    assert_int_equal(alarm_init(&f->a, &f->cfg, err, sizeof err), 0);
    assert_string_equal(err, "");
}

static void step(struct fx *f)
{
    f->t += DT;
    alarm_step(&f->a, &f->in, f->t, DT);
}

static void run(struct fx *f, double seconds)
{
    long n = lround(seconds / DT);
    for (long k = 0; k < n; k++)
        step(f);
}

static void drain(struct fx *f) { f->nev = alarm_events_take(&f->a, f->ev, ALARM_EVENTS_MAX); }

static int count_kind(const struct fx *f, enum alarm_event_kind k)
{
    int n = 0;
    for (int i = 0; i < f->nev; i++)
        n += f->ev[i].kind == k;
    return n;
}

static enum alarm_state st(const struct fx *f, const char *name)
{
    const struct alarm *al = alarm_get(&f->a, name);
    assert_non_null(al);
    return al->state;
}

/* ---- init ----------------------------------------------------------------- */

static void test_init_unknown_tag(void **state)
{
    struct fx *f = *state;
    char err[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    add(f, "ghost_h", ALARM_HI, "no_such_tag", 10, PRIO_LOW);
    add(f, "ghost_bad", ALARM_BAD, "no_such_tag", 0, PRIO_LOW);
    assert_int_equal(alarm_init(&f->a, &f->cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "[alarm.ghost_h] tag = \"no_such_tag\""));
    assert_int_equal(f->a.n, 3);
    assert_int_equal(f->a.al[0].tag, T_ROOF);
    assert_string_equal(f->a.al[0].unit, "degC");
    assert_int_equal(f->a.al[1].tag, -1);
    f->tags[T_ROOF].v = 1300;
    step(f);
    /* roof raises; the missing tag reads BAD_COMMS: the limit alarm holds, BAD raises */
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    assert_int_equal(st(f, "ghost_h"), ALARM_NORMAL);
    assert_int_equal(st(f, "ghost_bad"), ALARM_UNACK);
}

/* ---- state transitions, table-driven --------------------------------------- */

/* Script: H = value over the limit and step, L = back under and step,
 * A = acknowledge (expect success), a = acknowledge (expect refusal). */
static const struct {
    const char *what;
    bool latching;
    const char *script;
    enum alarm_state after[6];
} transitions[] = {
    {"raise, return, ack", false, "HLA", {ALARM_UNACK, ALARM_RTN_UNACK, ALARM_NORMAL}},
    {"raise, ack, return", false, "HAL", {ALARM_UNACK, ALARM_ACKED, ALARM_NORMAL}},
    {"returned alarm comes back",
     false,
     "HLHAL",
     {ALARM_UNACK, ALARM_RTN_UNACK, ALARM_UNACK, ALARM_ACKED, ALARM_NORMAL}},
    {"ack twice refused", false, "HAa", {ALARM_UNACK, ALARM_ACKED, ALARM_ACKED}},
    {"ack in normal refused", false, "aH", {ALARM_NORMAL, ALARM_UNACK}},
    {"latching: raise, return, ack", true, "HLA", {ALARM_UNACK, ALARM_RTN_UNACK, ALARM_NORMAL}},
    {"latching: acked stays until reset",
     true,
     "HALA",
     {ALARM_UNACK, ALARM_ACKED, ALARM_RTN_UNACK, ALARM_NORMAL}},
    {"latching: returned comes back",
     true,
     "HALHAL",
     {ALARM_UNACK, ALARM_ACKED, ALARM_RTN_UNACK, ALARM_UNACK, ALARM_ACKED, ALARM_RTN_UNACK}},
    {"latching: ack while active then stays",
     true,
     "HAHH",
     {ALARM_UNACK, ALARM_ACKED, ALARM_ACKED, ALARM_ACKED}},
};

static void test_transitions(void **state)
{
    struct fx *f0 = *state;
    for (size_t c = 0; c < sizeof transitions / sizeof transitions[0]; c++) {
        struct fx *f = &one_case;
        memcpy(f, f0, sizeof *f);
        f->in.tags = f->tags;
        struct cfg_alarm *d = add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
        d->latching = transitions[c].latching;
        start(f);
        char msg[200];
        for (size_t k = 0; transitions[c].script[k]; k++) {
            char op = transitions[c].script[k];
            if (op == 'H' || op == 'L') {
                f->tags[T_ROOF].v = op == 'H' ? 1210 : 1150;
                step(f);
            } else {
                int rc = alarm_ack(&f->a, "roof_h", "anna", f->t, msg, sizeof msg);
                if (rc != (op == 'A' ? 0 : -1))
                    fail_msg("%s: step %zu: ack returned %d (%s)", transitions[c].what, k, rc, msg);
            }
            if (st(f, "roof_h") != transitions[c].after[k])
                fail_msg("%s: after step %zu (%c): %s, expected %s", transitions[c].what, k, op,
                         alarm_state_name(st(f, "roof_h")),
                         alarm_state_name(transitions[c].after[k]));
        }
    }
}

static void test_transition_events(void **state)
{
    struct fx *f = *state;
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    f->tags[T_ROOF].v = 1203.4;
    step(f);
    assert_int_equal(alarm_ack(&f->a, "roof_h", "anna", f->t, NULL, 0), 0);
    f->tags[T_ROOF].v = 1150;
    step(f);
    drain(f);
    assert_int_equal(f->nev, 3);
    assert_int_equal(f->ev[0].kind, AEV_RAISED);
    assert_string_equal(f->ev[0].name, "roof_h");
    assert_int_equal(f->ev[0].prio, PRIO_HIGH);
    assert_int_equal(f->ev[0].from, ALARM_NORMAL);
    assert_int_equal(f->ev[0].to, ALARM_UNACK);
    assert_true(f->ev[0].t == DT);
    assert_string_equal(f->ev[0].user, "");
    assert_string_equal(f->ev[0].text,
                        "Message of roof_h (roof_temp 1203.4 degC, limit 1200.0 degC)");
    assert_int_equal(f->ev[1].kind, AEV_ACKED);
    assert_string_equal(f->ev[1].user, "anna");
    assert_int_equal(f->ev[1].from, ALARM_UNACK);
    assert_int_equal(f->ev[1].to, ALARM_ACKED);
    assert_int_equal(f->ev[2].kind, AEV_RETURNED);
    assert_int_equal(f->ev[2].from, ALARM_ACKED);
    assert_int_equal(f->ev[2].to, ALARM_NORMAL);
    assert_non_null(strstr(f->ev[2].text, "returned (roof_temp 1150.0 degC"));
    assert_true(f->ev[2].t == 2 * DT);
    /* a steady state emits nothing */
    run(f, 10);
    drain(f);
    assert_int_equal(f->nev, 0);
}

static void test_ack_all(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    add(f, "bath_l", ALARM_LO, "bath_hc_temp", 700, PRIO_MEDIUM);
    add(f, "o2_h", ALARM_HI, "o2_pct", 5, PRIO_LOW);
    add(f, "flame", ALARM_OFF, "flame_on", 0, PRIO_CRITICAL);
    start(f);
    assert_int_equal(alarm_ack_all(&f->a, "anna", f->t, msg, sizeof msg), -1);
    assert_string_equal(msg, "No alarm awaits acknowledgement");
    f->tags[T_ROOF].v = 1250;
    f->tags[T_BATH].v = 690;
    f->tags[T_O2].v = 6;
    step(f);
    f->tags[T_O2].v = 3; /* o2 returns unacknowledged */
    step(f);
    assert_int_equal(st(f, "o2_h"), ALARM_RTN_UNACK);
    drain(f);
    assert_int_equal(alarm_ack_all(&f->a, "anna", f->t, msg, sizeof msg), 0);
    assert_string_equal(msg, "3 alarms acknowledged");
    assert_int_equal(st(f, "roof_h"), ALARM_ACKED);
    assert_int_equal(st(f, "bath_l"), ALARM_ACKED);
    assert_int_equal(st(f, "o2_h"), ALARM_NORMAL);
    assert_int_equal(st(f, "flame"), ALARM_NORMAL);
    drain(f);
    assert_int_equal(f->nev, 3);
    assert_int_equal(count_kind(f, AEV_ACKED), 3);
    assert_int_equal(alarm_ack_all(&f->a, "anna", f->t, msg, sizeof msg), -1);
}

static void test_unknown_name(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    assert_int_equal(alarm_ack(&f->a, "roof_hh", "anna", 0, msg, sizeof msg), -1);
    assert_string_equal(msg, "No alarm named \"roof_hh\"");
    assert_int_equal(alarm_shelve(&f->a, "x", 10, "r", "anna", false, 0, msg, sizeof msg), -1);
    assert_int_equal(alarm_unshelve(&f->a, "x", "anna", 0, msg, sizeof msg), -1);
    assert_int_equal(alarm_set_oos(&f->a, "x", true, "erik", 0, msg, sizeof msg), -1);
    assert_int_equal(alarm_find(&f->a, "roof_h"), 0);
    assert_int_equal(alarm_find(&f->a, NULL), -1);
    assert_null(alarm_get(&f->a, "x"));
    drain(f);
    assert_int_equal(f->nev, 0);
}

/* ---- deadband and delays ---------------------------------------------------- */

static const struct {
    enum cfg_alarm_kind kind;
    double limit, deadband;
    double values[6];
    enum alarm_state after[6];
} deadbands[] = {
    {ALARM_HI,
     1200,
     20,
     {1199.9, 1200, 1190, 1180, 1179.9, 1199},
     {ALARM_NORMAL, ALARM_ACKED, ALARM_ACKED, ALARM_ACKED, ALARM_NORMAL, ALARM_NORMAL}},
    {ALARM_LO,
     700,
     10,
     {700.1, 700, 705, 710, 710.1, 701},
     {ALARM_NORMAL, ALARM_ACKED, ALARM_ACKED, ALARM_ACKED, ALARM_NORMAL, ALARM_NORMAL}},
    {ALARM_HI,
     1200,
     0,
     {1200, 1199.99, 1200, 1199.99, 1300, 0},
     {ALARM_ACKED, ALARM_NORMAL, ALARM_ACKED, ALARM_NORMAL, ALARM_ACKED, ALARM_NORMAL}},
};

static void test_deadband(void **state)
{
    struct fx *f0 = *state;
    for (size_t c = 0; c < sizeof deadbands / sizeof deadbands[0]; c++) {
        struct fx *f = &one_case;
        memcpy(f, f0, sizeof *f);
        f->in.tags = f->tags;
        struct cfg_alarm *d =
            add(f, "x", deadbands[c].kind, "roof_temp", deadbands[c].limit, PRIO_HIGH);
        d->deadband = deadbands[c].deadband;
        start(f);
        for (int k = 0; k < 6; k++) {
            f->tags[T_ROOF].v = deadbands[c].values[k];
            step(f);
            alarm_ack(&f->a, "x", "anna", f->t, NULL, 0); /* isolate the condition */
            if (st(f, "x") != deadbands[c].after[k])
                fail_msg("case %zu value %g: %s, expected %s", c, deadbands[c].values[k],
                         alarm_state_name(st(f, "x")), alarm_state_name(deadbands[c].after[k]));
        }
    }
}

static void test_on_delay(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    d->on_delay_s = 5;
    start(f);
    /* chatter: over the limit 4 s, under 1 s, repeated for 5 minutes: never raised */
    for (int k = 0; k < 60; k++) {
        f->tags[T_ROOF].v = 1201;
        run(f, 4);
        f->tags[T_ROOF].v = 1199;
        run(f, 1);
    }
    assert_int_equal(st(f, "roof_h"), ALARM_NORMAL);
    drain(f);
    assert_int_equal(f->nev, 0);
    /* persistent: raised exactly 5 s after the first sample over the limit */
    f->tags[T_ROOF].v = 1201;
    step(f);
    double t0 = f->t;
    while (st(f, "roof_h") == ALARM_NORMAL && f->t < t0 + 60)
        step(f);
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    assert_true(fabs(f->t - t0 - 5) < 1e-9);
    /* on-delay does not delay the return */
    f->tags[T_ROOF].v = 1199;
    step(f);
    assert_int_equal(st(f, "roof_h"), ALARM_RTN_UNACK);
}

static void test_off_delay(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    d->off_delay_s = 10;
    start(f);
    f->tags[T_ROOF].v = 1201;
    step(f);
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    /* dipping under for 9 s at a time never returns it */
    for (int k = 0; k < 20; k++) {
        f->tags[T_ROOF].v = 1199;
        run(f, 9);
        f->tags[T_ROOF].v = 1201;
        step(f);
    }
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    drain(f);
    assert_int_equal(f->nev, 1); /* the one raise */
    assert_int_equal(f->a.al[0].annunciations, 1);
    f->tags[T_ROOF].v = 1199;
    step(f);
    double t0 = f->t;
    while (st(f, "roof_h") == ALARM_UNACK && f->t < t0 + 60)
        step(f);
    assert_int_equal(st(f, "roof_h"), ALARM_RTN_UNACK);
    assert_true(fabs(f->t - t0 - 10) < 1e-9);
}

/* ---- bad quality ------------------------------------------------------------ */

static void test_bad_quality_holds(void **state)
{
    struct fx *f = *state;
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    add(f, "roof_bad", ALARM_BAD, "roof_temp", 0, PRIO_MEDIUM);
    add(f, "flame_off", ALARM_OFF, "flame_on", 0, PRIO_CRITICAL);
    start(f);
    /* a broken thermocouple reading high does not raise the limit alarm */
    f->tags[T_ROOF] = (struct tag_value){1400, Q_BAD_SENSOR};
    f->tags[T_FLAME] = (struct tag_value){0, Q_STALE};
    run(f, 5);
    assert_int_equal(st(f, "roof_h"), ALARM_NORMAL);
    assert_int_equal(st(f, "flame_off"), ALARM_NORMAL);
    assert_int_equal(st(f, "roof_bad"), ALARM_UNACK);
    /* good again, over the limit: raises; then bad reading low: holds */
    f->tags[T_ROOF] = (struct tag_value){1210, Q_GOOD};
    f->tags[T_FLAME] = (struct tag_value){0, Q_GOOD};
    step(f);
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    assert_int_equal(st(f, "flame_off"), ALARM_UNACK);
    assert_int_equal(st(f, "roof_bad"), ALARM_RTN_UNACK);
    f->tags[T_ROOF] = (struct tag_value){20, Q_BAD_SENSOR};
    f->tags[T_FLAME] = (struct tag_value){1, Q_BAD_COMMS};
    run(f, 5);
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    assert_int_equal(st(f, "flame_off"), ALARM_UNACK);
    assert_int_equal(st(f, "roof_bad"), ALARM_UNACK);
    drain(f);
    assert_non_null(strstr(f->ev[f->nev - 1].text, "roof_temp quality BAD"));
}

static void test_bad_quality_restarts_on_delay(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    d->on_delay_s = 5;
    start(f);
    f->tags[T_ROOF].v = 1210;
    run(f, 4);
    f->tags[T_ROOF].q = Q_BAD_SENSOR;
    step(f);
    f->tags[T_ROOF].q = Q_GOOD;
    run(f, 4);
    assert_int_equal(st(f, "roof_h"), ALARM_NORMAL);
    run(f, 1.25); /* 5 s of good samples since the hold */
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
}

/* ---- link, stale, disk --------------------------------------------------------- */

static void test_link_stale_disk(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "link", ALARM_LINK, "", 0, PRIO_CRITICAL);
    d->on_delay_s = 1;
    add(f, "stale", ALARM_STALE, "", 0, PRIO_CRITICAL);
    add(f, "disk", ALARM_DISK, "", 0, PRIO_MEDIUM);
    add(f, "roof_bad", ALARM_BAD, "roof_temp", 0, PRIO_MEDIUM);
    start(f);
    static const struct {
        bool link_up, stale, disk_ok;
        enum tag_quality q;
        enum alarm_state link, stale_s, disk, bad;
    } rows[] = {
        {true, false, true, Q_GOOD, ALARM_NORMAL, ALARM_NORMAL, ALARM_NORMAL, ALARM_NORMAL},
        /* link down: the tags go BAD_COMMS, but only LINK raises */
        {false, true, true, Q_BAD_COMMS, ALARM_UNACK, ALARM_NORMAL, ALARM_NORMAL, ALARM_NORMAL},
        {true, true, true, Q_STALE, ALARM_RTN_UNACK, ALARM_UNACK, ALARM_NORMAL, ALARM_NORMAL},
        {true, false, false, Q_GOOD, ALARM_RTN_UNACK, ALARM_RTN_UNACK, ALARM_UNACK, ALARM_NORMAL},
        {true, false, true, Q_BAD_SENSOR, ALARM_RTN_UNACK, ALARM_RTN_UNACK, ALARM_RTN_UNACK,
         ALARM_UNACK},
        /* a BAD alarm already up holds through a link loss */
        {false, false, true, Q_BAD_COMMS, ALARM_UNACK, ALARM_RTN_UNACK, ALARM_RTN_UNACK,
         ALARM_UNACK},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        f->in.link_up = rows[r].link_up;
        f->in.plc_stale = rows[r].stale;
        f->in.disk_ok = rows[r].disk_ok;
        f->tags[T_ROOF].q = rows[r].q;
        run(f, 2);
        assert_int_equal(st(f, "link"), rows[r].link);
        assert_int_equal(st(f, "stale"), rows[r].stale_s);
        assert_int_equal(st(f, "disk"), rows[r].disk);
        if (st(f, "roof_bad") != rows[r].bad)
            fail_msg("row %zu: roof_bad %s", r, alarm_state_name(st(f, "roof_bad")));
    }
    drain(f);
    int raised = 0; /* the message is checked on an event that must be there */
    for (int i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].name, "link") == 0 && f->ev[i].kind == AEV_RAISED) {
            assert_string_equal(f->ev[i].text, "Message of link");
            raised++;
        }
    assert_true(raised >= 1);
}

/* overrun follows the shell's judgement; refused holds while the link is
 * down (the link alarm covers it); both name their source from the note,
 * refused keeping the last one named once it returns. */
static void test_overrun_refused(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "overrun", ALARM_OVERRUN, "", 0, PRIO_HIGH);
    d->on_delay_s = 3;
    add(f, "refused", ALARM_REFUSED, "", 0, PRIO_HIGH);
    start(f);
    f->in.overrun = true;
    f->in.overrun_note = "PLC too slow for its 150 ms budget: 4 reads, 1 writes put off";
    run(f, 2.75);
    assert_int_equal(st(f, "overrun"), ALARM_NORMAL);
    run(f, 0.5);
    assert_int_equal(st(f, "overrun"), ALARM_UNACK);
    f->in.overrun = false;
    run(f, 0.25);
    assert_int_equal(st(f, "overrun"), ALARM_RTN_UNACK);

    f->in.refused = true;
    f->in.refused_note = "read di:0+15 refused: Illegal data address";
    f->in.link_up = false; /* held: neither raised ... */
    run(f, 1);
    assert_int_equal(st(f, "refused"), ALARM_NORMAL);
    f->in.link_up = true;
    run(f, 0.25);
    assert_int_equal(st(f, "refused"), ALARM_UNACK);
    f->in.refused = false;
    f->in.refused_note = "";
    f->in.link_up = false; /* ... nor returned while the link is down */
    run(f, 1);
    assert_int_equal(st(f, "refused"), ALARM_UNACK);
    f->in.link_up = true;
    run(f, 0.25);
    assert_int_equal(st(f, "refused"), ALARM_RTN_UNACK);
    assert_string_equal(f->a.al[alarm_find(&f->a, "refused")].note,
                        "read di:0+15 refused: Illegal data address");
    drain(f);
    int raised = 0;
    for (int i = 0; i < f->nev; i++) {
        if (f->ev[i].kind != AEV_RAISED)
            continue;
        raised++;
        const char *want = strcmp(f->ev[i].name, "refused") == 0
                               ? "read di:0+15 refused: Illegal data address"
                               : "PLC too slow for its 150 ms budget";
        if (!strstr(f->ev[i].text, want))
            fail_msg("%s raised: \"%s\" lacks \"%s\"", f->ev[i].name, f->ev[i].text, want);
    }
    assert_int_equal(raised, 2);
}

static void test_door_open(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "sc_door", ALARM_DOOR_OPEN, "sc_door_closed", 0, PRIO_MEDIUM);
    d->on_delay_s = 120;
    start(f);
    f->tags[T_SC_DOOR].v = 0;
    run(f, 119.75); /* 479 samples open: 119.5 s since the first */
    assert_int_equal(st(f, "sc_door"), ALARM_NORMAL);
    f->tags[T_SC_DOOR].v = 1; /* closed in time: the timer restarts */
    step(f);
    f->tags[T_SC_DOOR].v = 0;
    run(f, 120);
    assert_int_equal(st(f, "sc_door"), ALARM_NORMAL);
    step(f); /* 120 s after the first open sample */
    assert_int_equal(st(f, "sc_door"), ALARM_UNACK);
    drain(f);
    assert_int_equal(f->nev, 1);
    assert_string_equal(f->ev[0].text, "Message of sc_door (sc_door_closed false)");
    f->tags[T_SC_DOOR].v = 1;
    step(f);
    assert_int_equal(st(f, "sc_door"), ALARM_RTN_UNACK);
}

/* ---- shelving ----------------------------------------------------------------- */

static void test_shelve_reason_required(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_MEDIUM);
    start(f);
    f->tags[T_ROOF].v = 1210;
    step(f);
    drain(f);
    static const struct {
        double min;
        const char *reason;
        const char *expect;
    } bad[] = {
        {10, NULL, "Shelve roof_h: a reason is required (it goes into the journal)"},
        {10, "", "Shelve roof_h: a reason is required (it goes into the journal)"},
        {10, "   ", "Shelve roof_h: the reason is blank: write why, not only spaces"},
        {10, "  \t",
         "Shelve roof_h: the reason has a control character (a tab at character 3); write it on "
         "one line"},
        {10, "tc\xff", "Shelve roof_h: the reason is not valid UTF-8 text (byte 0xFF at character 3)"},
        {0, "tc replaced", "Shelve roof_h: the time must be at least 1 min"},
        {-5, "tc replaced", "Shelve roof_h: the time must be at least 1 min"},
        {NAN, "tc replaced", "Shelve roof_h: the time must be at least 1 min"},
        {INFINITY, "tc replaced", "Shelve roof_h: the time must be at least 1 min"},
        {0.001, "tc replaced",
         "Shelve roof_h: 0.001 min is not a whole number of minutes; shelving is in whole "
         "minutes"},
        {29.5, "tc replaced",
         "Shelve roof_h: 29.5 min is not a whole number of minutes; shelving is in whole "
         "minutes"},
        {61, "tc replaced",
         "Shelve roof_h: 61 min is more than the operator limit of 60 min; "
         "an engineer may shelve it longer"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(alarm_shelve(&f->a, "roof_h", bad[k].min, bad[k].reason, "anna", false,
                                      f->t, msg, sizeof msg),
                         -1);
        assert_string_equal(msg, bad[k].expect);
        assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
        assert_false(f->a.al[0].shelved);
    }
    char longr[ALARM_REASON_MAX + 10];
    memset(longr, 'x', sizeof longr - 1);
    longr[sizeof longr - 1] = '\0';
    assert_int_equal(alarm_shelve(&f->a, "roof_h", 10, longr, "anna", false, f->t, msg, sizeof msg),
                     -1);
    assert_string_equal(msg, "Shelve roof_h: the reason is 105 characters long; the most is 95");
    drain(f);
    assert_int_equal(f->nev, 0);
}

static void test_shelve_and_expiry(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    f->tags[T_ROOF].v = 1210;
    step(f);
    assert_int_equal(alarm_shelve(&f->a, "roof_h", 30, "thermocouple being replaced", "anna", false,
                                  f->t, msg, sizeof msg),
                     0);
    assert_string_equal(msg, "roof_h shelved for 30 min");
    const struct alarm *al = alarm_get(&f->a, "roof_h");
    assert_int_equal(al->state, ALARM_SHELVED);
    assert_string_equal(al->shelve_reason, "thermocouple being replaced");
    assert_string_equal(al->shelve_user, "anna");
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[1].kind, AEV_SHELVED);
    assert_int_equal(f->ev[1].from, ALARM_UNACK);
    assert_int_equal(f->ev[1].to, ALARM_SHELVED);
    assert_string_equal(f->ev[1].user, "anna");
    assert_string_equal(f->ev[1].text,
                        "Message of roof_h: shelved for 30 min by anna: thermocouple being "
                        "replaced");
    /* hidden: not listed, no banner, the condition comes and goes silently */
    int idx[4];
    assert_int_equal(alarm_list_active(&f->a, idx, 4), 0);
    assert_int_equal(alarm_banner(&f->a), -1);
    f->tags[T_ROOF].v = 1100;
    run(f, 60);
    f->tags[T_ROOF].v = 1220;
    run(f, 60);
    assert_int_equal(st(f, "roof_h"), ALARM_SHELVED);
    assert_int_equal(alarm_ack(&f->a, "roof_h", "anna", f->t, msg, sizeof msg), -1);
    assert_string_equal(msg, "roof_h is SHELVED: nothing to acknowledge");
    drain(f);
    assert_int_equal(f->nev, 0);
    /* expiry: 30 min after shelving, and it re-evaluates (still high: raised) */
    double t_shelved = DT;
    while (st(f, "roof_h") == ALARM_SHELVED && f->t < 3600)
        step(f);
    assert_true(fabs(f->t - (t_shelved + 1800)) < 1e-6);
    assert_int_equal(st(f, "roof_h"), ALARM_UNACK);
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[0].kind, AEV_SHELVE_EXPIRED);
    assert_int_equal(f->ev[0].from, ALARM_SHELVED);
    assert_int_equal(f->ev[0].to, ALARM_NORMAL);
    assert_non_null(strstr(f->ev[0].text, "shelving by anna expired"));
    assert_int_equal(f->ev[1].kind, AEV_RAISED);
    /* expiry of a clear alarm: just NORMAL */
    assert_int_equal(alarm_shelve(&f->a, "roof_h", 1, "test", "anna", false, f->t, msg, sizeof msg),
                     0);
    f->tags[T_ROOF].v = 1100;
    run(f, 61);
    assert_int_equal(st(f, "roof_h"), ALARM_NORMAL);
}

static void test_unshelve(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    assert_int_equal(alarm_unshelve(&f->a, "roof_h", "anna", f->t, msg, sizeof msg), -1);
    assert_string_equal(msg, "roof_h is not shelved");
    assert_int_equal(
        alarm_shelve(&f->a, "roof_h", 20, "trial", "anna", false, f->t, msg, sizeof msg), 0);
    /* shelving again replaces the time */
    assert_int_equal(
        alarm_shelve(&f->a, "roof_h", 5, "shorter", "bo", false, f->t, msg, sizeof msg), 0);
    assert_string_equal(f->a.al[0].shelve_reason, "shorter");
    assert_true(fabs(f->a.al[0].shelve_until - f->t - 300) < 1e-9);
    f->tags[T_ROOF].v = 1210;
    run(f, 10);
    drain(f);
    assert_int_equal(alarm_unshelve(&f->a, "roof_h", "bo", f->t, msg, sizeof msg), 0);
    assert_string_equal(msg, "roof_h unshelved, now UNACK");
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[0].kind, AEV_UNSHELVED);
    assert_string_equal(f->ev[0].user, "bo");
    assert_int_equal(f->ev[1].kind, AEV_RAISED);
    assert_true(f->ev[1].t == f->t);
}

static const struct {
    double max_shelve_min, minutes;
    bool engineer;
    int rc;
} shelve_limits[] = {
    {60, 60, false, 0},
    {60, 61, false, -1},
    {60, 600, true, 0},
    {0, 1, false, -1},
    {0, 1, true, 0},
    {480, 480, false, 0},
    {60, ALARM_SHELVE_LIMIT_MIN, true, 0},
    {60, ALARM_SHELVE_LIMIT_MIN + 1, true, -1},
};

/* The philosophy: a critical alarm is never shelved; a high one no longer
 * than its max_shelve_min, by anyone. */
static const struct {
    enum cfg_priority prio;
    double max_shelve_min, minutes;
    bool engineer;
    int rc;
    const char *says;
} shelve_by_priority[] = {
    {PRIO_CRITICAL, 480, 1, false, -1,
     "Shelve w: a critical alarm cannot be shelved, by anyone; clear its cause (an engineer may "
     "take it out of service for repair)"},
    {PRIO_CRITICAL, 480, 1, true, -1, "a critical alarm cannot be shelved, by anyone"},
    {PRIO_HIGH, 60, 60, false, 0, "w shelved for 60 min"},
    {PRIO_HIGH, 60, 60, true, 0, "w shelved for 60 min"},
    {PRIO_HIGH, 60, 61, false, -1,
     "Shelve w: 61 min is more than the 60 min this high alarm may be shelved, by anyone"},
    {PRIO_HIGH, 60, 61, true, -1, "more than the 60 min this high alarm may be shelved"},
    {PRIO_HIGH, 0, 1, true, -1, "Shelve w: this high alarm cannot be shelved (max_shelve_min = 0)"},
    {PRIO_MEDIUM, 60, 61, true, 0, "w shelved for 61 min"},
    {PRIO_LOW, 60, 600, true, 0, "w shelved for 600 min"},
};

static void test_shelve_by_priority(void **state)
{
    struct fx *f = *state;
    char msg[200];
    struct cfg_alarm *d = add(f, "w", ALARM_ON, "flame_on", 0, PRIO_LOW);
    d->latching = true;
    for (size_t k = 0; k < sizeof shelve_by_priority / sizeof shelve_by_priority[0]; k++) {
        d->priority = shelve_by_priority[k].prio;
        d->max_shelve_min = shelve_by_priority[k].max_shelve_min;
        start(f);
        step(f); /* flame_on is true: raised */
        drain(f);
        int rc = alarm_shelve(&f->a, "w", shelve_by_priority[k].minutes, "burners at low fire",
                              "erik", shelve_by_priority[k].engineer, f->t, msg, sizeof msg);
        if (rc != shelve_by_priority[k].rc || !strstr(msg, shelve_by_priority[k].says))
            fail_msg("case %zu: rc %d: %s", k, rc, msg);
        /* refused: nothing changed, nothing journalled */
        assert_int_equal(st(f, "w"), rc == 0 ? ALARM_SHELVED : ALARM_UNACK);
        drain(f);
        assert_int_equal(f->nev, rc == 0 ? 1 : 0);
    }
}

static void test_shelve_limits(void **state)
{
    struct fx *f = *state;
    char msg[200];
    struct cfg_alarm *d = add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_MEDIUM);
    for (size_t k = 0; k < sizeof shelve_limits / sizeof shelve_limits[0]; k++) {
        d->max_shelve_min = shelve_limits[k].max_shelve_min;
        start(f);
        int rc = alarm_shelve(&f->a, "roof_h", shelve_limits[k].minutes, "maintenance", "erik",
                              shelve_limits[k].engineer, 0, msg, sizeof msg);
        if (rc != shelve_limits[k].rc)
            fail_msg("case %zu: rc %d: %s", k, rc, msg);
        assert_int_equal(st(f, "roof_h"), rc == 0 ? ALARM_SHELVED : ALARM_NORMAL);
    }
    d->max_shelve_min = 0;
    start(f);
    alarm_shelve(&f->a, "roof_h", 5, "maintenance", "anna", false, 0, msg, sizeof msg);
    assert_string_equal(msg, "Shelve roof_h: only an engineer may shelve this alarm");
}


/* ---- state-based limits (alt_limit in alt_phases) ------------------------- */

/* The roof check of the shipped config: 60 K, 150 K in CHARGE and PYROLYSIS (the
 * burning pyrolysis gas heats the roof first).  A difference normal in pyrolysis does
 * not raise it; the delay runs on across a phase change while the condition holds in
 * both; the raised text names the limit of the phase it was raised in. */
static const char *raised_text(const struct fx *f)
{
    for (int i = f->nev - 1; i >= 0; i--)
        if (f->ev[i].kind == AEV_RAISED)
            return f->ev[i].text;
    return "";
}

static void test_alt_limit(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "roof_check", ALARM_DIFF, "roof_temp", 60, PRIO_MEDIUM);
    snprintf(d->tag2, sizeof d->tag2, "bath_hc_temp"); /* stands in for the HC gas */
    d->when = 0;
    d->deadband = 10;
    d->on_delay_s = 300;
    d->off_delay_s = 60;
    d->alt_limit = 150;
    d->has_alt_limit = true;
    d->alt_phases = 1u << PH_CHARGE | 1u << PH_PYROLYSIS;
    start(f);
    assert_true(alarm_limit_in(d, PH_HOLD) == 60);
    assert_true(alarm_limit_in(d, PH_PYROLYSIS) == 150);
    assert_true(alarm_limit_in(d, PH_CHARGE) == 150);
    assert_true(alarm_limit_in(d, PH_MELT) == 60);
    f->tags[T_BATH].v = 800;
    /* +100 K in pyrolysis: normal there, an alarm anywhere else */
    f->in.phase = PH_PYROLYSIS;
    f->tags[T_ROOF].v = 900;
    run(f, 900);
    assert_int_equal(st(f, "roof_check"), ALARM_NORMAL);
    f->in.phase = PH_PUSH;
    run(f, 299);
    assert_int_equal(st(f, "roof_check"), ALARM_NORMAL);
    run(f, 1.5);
    assert_int_equal(st(f, "roof_check"), ALARM_UNACK);
    drain(f);
    assert_non_null(strstr(raised_text(f), "limit 60.0"));
    alarm_ack(&f->a, "roof_check", "anna", f->t, NULL, 0);
    /* back in pyrolysis the same +100 K is inside the limit there: returns */
    f->in.phase = PH_PYROLYSIS;
    run(f, 61);
    assert_int_equal(st(f, "roof_check"), ALARM_NORMAL);
    /* a drift: +160 K; the delay starts in pyrolysis and runs on into PUSH and MELT */
    f->tags[T_ROOF].v = 960;
    run(f, 200);
    assert_int_equal(st(f, "roof_check"), ALARM_NORMAL);
    f->in.phase = PH_PUSH;
    run(f, 60);
    f->in.phase = PH_MELT;
    run(f, 39);
    assert_int_equal(st(f, "roof_check"), ALARM_NORMAL);
    run(f, 1.5);
    assert_int_equal(st(f, "roof_check"), ALARM_UNACK);
    drain(f);
    assert_non_null(strstr(raised_text(f), "limit 60.0"));
    /* raised in pyrolysis: the text names 150 */
    struct fx *g = &one_case;
    memcpy(g, f, sizeof *g);
    g->in.tags = g->tags;
    g->in.loop_sp = g->loop_sp;
    g->t = 0;
    start(g);
    g->in.phase = PH_PYROLYSIS;
    run(g, 301);
    assert_int_equal(st(g, "roof_check"), ALARM_UNACK);
    drain(g);
    assert_non_null(strstr(raised_text(g), "limit 150.0"));
}

/* ---- dev, diff, and: the alarms issue 13 found missing ---------------------- */

/* Each case: normal values (never raised), the values that raise it (not
 * before on_delay_s, then raised), values inside the deadband (still active),
 * values clear of it (returned after off_delay_s). */
static const struct kind_case {
    const char *name;
    enum cfg_alarm_kind kind;
    const char *tag, *tag2;
    int when, when2;
    double limit, deadband, limit2, deadband2;
    double on_s, off_s;
    int t1, t2; /* tag indices of the fixture */
    double normal[2], raise[2], inside[2], clear[2];
} kind_cases[] = {
    /* bath 10 K off its setpoint (740) for 10 min: either side */
    {"bath_dev_low", ALARM_DEV, "bath_hc_temp", "", 2, 0, 10, 3, 0, 0, 600, 60, T_BATH, T_BATH,
     {733, 0}, {729.9, 0}, {732.5, 0}, {733.5, 0}},
    {"bath_dev_high", ALARM_DEV, "bath_hc_temp", "", 2, 0, 10, 3, 0, 0, 600, 60, T_BATH, T_BATH,
     {747, 0}, {750, 0}, {747.5, 0}, {746.5, 0}},
    /* HC and SC bath thermocouples 30 K apart for 5 min, either way */
    {"split_sc_cold", ALARM_DIFF, "bath_hc_temp", "bath_sc_temp", 2, 0, 30, 5, 0, 0, 300, 60,
     T_BATH, T_BATH_SC, {740, 719}, {740, 710}, {740, 714}, {740, 716}},
    {"split_hc_cold", ALARM_DIFF, "bath_hc_temp", "bath_sc_temp", 2, 0, 30, 5, 0, 0, 300, 60,
     T_BATH, T_BATH_SC, {719, 740}, {709, 740}, {714, 740}, {716, 740}},
    /* roof above the HC gas (here: the bath tag stands in) by 60 K: one way only */
    {"roof_check", ALARM_DIFF, "roof_temp", "bath_hc_temp", 0, 0, 60, 10, 0, 0, 300, 60, T_ROOF,
     T_BATH, {700, 800}, {860, 800}, {851, 800}, {849, 800}},
    /* fuel-rich: O2 <= 0.5 % and CO >= 10000 ppm, 10 s */
    {"fuel_rich", ALARM_AND, "o2_pct", "co_ppm", 1, 0, 0.5, 0.2, 10000, 1000, 10, 30, T_O2, T_CO,
     {0.3, 9000}, {0.5, 10000}, {0.69, 9100}, {0.71, 12000}},
};

static void test_new_kinds(void **state)
{
    struct fx *f0 = *state;
    for (size_t k = 0; k < sizeof kind_cases / sizeof kind_cases[0]; k++) {
        const struct kind_case *c = &kind_cases[k];
        struct fx *f = &one_case;
        memcpy(f, f0, sizeof *f);
        f->in.tags = f->tags;
        f->in.loop_sp = f->loop_sp;
        struct cfg_alarm *d = add(f, c->name, c->kind, c->tag, c->limit, PRIO_MEDIUM);
        snprintf(d->tag2, sizeof d->tag2, "%s", c->tag2);
        if (c->kind == ALARM_DEV)
            snprintf(d->loop, sizeof d->loop, "bath");
        d->when = c->when;
        d->when2 = c->when2;
        d->deadband = c->deadband;
        d->limit2 = c->limit2;
        d->deadband2 = c->deadband2;
        d->on_delay_s = c->on_s;
        d->off_delay_s = c->off_s;
        start(f);
        f->tags[c->t1].v = c->normal[0];
        if (c->t2 != c->t1)
            f->tags[c->t2].v = c->normal[1];
        run(f, 2 * c->on_s + 10);
        if (st(f, c->name) != ALARM_NORMAL)
            fail_msg("%s: raised in normal operation", c->name);
        f->tags[c->t1].v = c->raise[0];
        if (c->t2 != c->t1)
            f->tags[c->t2].v = c->raise[1];
        run(f, c->on_s - 1);
        if (st(f, c->name) != ALARM_NORMAL)
            fail_msg("%s: raised before its on-delay", c->name);
        run(f, 1.5);
        if (st(f, c->name) != ALARM_UNACK)
            fail_msg("%s: not raised at its limit after its on-delay", c->name);
        drain(f);
        assert_int_equal(f->ev[0].kind, AEV_RAISED);
        assert_non_null(strstr(f->ev[0].text, c->tag));
        f->tags[c->t1].v = c->inside[0];
        if (c->t2 != c->t1)
            f->tags[c->t2].v = c->inside[1];
        run(f, 2 * c->off_s + 10);
        if (st(f, c->name) != ALARM_UNACK)
            fail_msg("%s: returned inside its deadband", c->name);
        f->tags[c->t1].v = c->clear[0];
        if (c->t2 != c->t1)
            f->tags[c->t2].v = c->clear[1];
        run(f, c->off_s - 1);
        if (st(f, c->name) != ALARM_UNACK)
            fail_msg("%s: returned before its off-delay", c->name);
        run(f, 1.5);
        if (st(f, c->name) != ALARM_RTN_UNACK)
            fail_msg("%s: did not return clear of its deadband", c->name);
        /* a bad second value holds, never raises */
        f->tags[c->t1].v = c->raise[0];
        if (c->t2 != c->t1)
            f->tags[c->t2] = (struct tag_value){c->raise[1], Q_BAD_SENSOR};
        else
            f->tags[c->t1].q = Q_BAD_SENSOR;
        run(f, 2 * c->on_s + 10);
        if (st(f, c->name) != ALARM_RTN_UNACK)
            fail_msg("%s: raised on a bad value", c->name);
    }
}

/* override: raised when the loop's overrides take >= limit off its setpoint, after the
 * on-delay; inside the deadband it stays; without the loops' figures it holds. */
static void test_override_kind(void **state)
{
    struct fx *f = *state;
    double reduce[1] = {0};
    f->in.loop_reduce = reduce;
    struct cfg_alarm *d = add(f, "comb_override", ALARM_OVERRIDE, "", 40, PRIO_MEDIUM);
    snprintf(d->loop, sizeof d->loop, "bath");
    d->deadband = 10;
    d->on_delay_s = 10;
    d->off_delay_s = 60;
    start(f);
    static const struct {
        double reduce, for_s;
        bool with_figures;
        enum alarm_state st;
    } steps[] = {
        {39.9, 100, true, ALARM_NORMAL},   /* below the limit */
        {40.0, 9, true, ALARM_NORMAL},     /* at it, not for 10 s yet */
        {45.0, 1.5, true, ALARM_UNACK},    /* raised */
        {31.0, 200, true, ALARM_UNACK},    /* inside the deadband */
        {29.0, 59, true, ALARM_UNACK},     /* clear, not for 60 s yet */
        {29.0, 1.5, true, ALARM_RTN_UNACK},/* returned */
        {500, 100, false, ALARM_RTN_UNACK},/* no figures: holds, never raises */
    };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        reduce[0] = steps[k].reduce;
        f->in.loop_reduce = steps[k].with_figures ? reduce : NULL;
        run(f, steps[k].for_s);
        if (st(f, "comb_override") != steps[k].st)
            fail_msg("step %zu: reduction %.1f: state %d, expected %d", k, steps[k].reduce,
                     (int)st(f, "comb_override"), (int)steps[k].st);
    }
    drain(f);
    assert_int_equal(f->ev[0].kind, AEV_RAISED);
    assert_non_null(strstr(f->ev[0].text, "loop bath: setpoint lowered"));
}

static void test_phases_only(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "bath_dev", ALARM_DEV, "bath_hc_temp", 10, PRIO_LOW);
    snprintf(d->loop, sizeof d->loop, "bath");
    d->on_delay_s = 600;
    d->phases = 1u << PH_HOLD;
    start(f);
    /* 20 K low all through MELT: no alarm, and HOLD starts its on-delay afresh */
    f->in.phase = PH_MELT;
    f->tags[T_BATH].v = 720;
    run(f, 1200);
    assert_int_equal(st(f, "bath_dev"), ALARM_NORMAL);
    drain(f);
    assert_int_equal(f->nev, 0);
    f->in.phase = PH_HOLD;
    run(f, 599);
    assert_int_equal(st(f, "bath_dev"), ALARM_NORMAL);
    run(f, 1.5);
    assert_int_equal(st(f, "bath_dev"), ALARM_UNACK);
    drain(f);
    assert_non_null(strstr(f->ev[0].text, "setpoint 740.0"));
}

/* A flame failure: the lockout comes with it (the same PLC scan), O2 rises a
 * minute later.  One annunciation, first out; the consequences recorded. */
static void test_first_out_and_consequences(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *ff = add(f, "flame_failure", ALARM_OFF, "flame_on", 0, PRIO_HIGH);
    snprintf(ff->suppresses, sizeof ff->suppresses, "lockout, o2_high");
    ff->suppress_s = 120;
    ff->latching = true;
    snprintf(ff->group, sizeof ff->group, "burner");
    ff->group_window_s = 60;
    struct cfg_alarm *lk = add(f, "lockout", ALARM_ON, "bms_lockout", 0, PRIO_MEDIUM);
    snprintf(lk->group, sizeof lk->group, "burner");
    lk->group_window_s = 60;
    struct cfg_alarm *o2 = add(f, "o2_high", ALARM_HI, "o2_pct", 4, PRIO_LOW);
    o2->on_delay_s = 60;
    o2->deadband = 0.3;
    start(f);
    run(f, 10);
    f->tags[T_FLAME].v = 0;
    f->tags[T_LOCK].v = 1;
    f->tags[T_O2].v = 8;
    run(f, 90);
    assert_int_equal(st(f, "flame_failure"), ALARM_UNACK);
    assert_true(alarm_get(&f->a, "flame_failure")->first_out);
    assert_int_equal(st(f, "lockout"), ALARM_SUPPRESSED);
    assert_int_equal(st(f, "o2_high"), ALARM_SUPPRESSED);
    drain(f);
    assert_int_equal(count_kind(f, AEV_RAISED), 1);
    assert_int_equal(count_kind(f, AEV_SUPPRESSED), 2);
    assert_non_null(strstr(f->ev[0].text, "first out"));
    for (int i = 1; i < f->nev; i++)
        assert_non_null(strstr(f->ev[i].text, "suppressed as a consequence of flame_failure"));
    struct alarm_kpi kpi;
    alarm_kpi(&f->a, &kpi);
    assert_int_equal(kpi.annunciations, 1);
    int idx[4];
    assert_int_equal(alarm_list_active(&f->a, idx, 4), 1);
    /* the operator resets: everything returns; the consequences leave quietly */
    f->tags[T_FLAME].v = 1;
    f->tags[T_LOCK].v = 0;
    f->tags[T_O2].v = 3;
    run(f, 5);
    assert_int_equal(st(f, "lockout"), ALARM_NORMAL);
    assert_int_equal(st(f, "o2_high"), ALARM_NORMAL);
    assert_int_equal(st(f, "flame_failure"), ALARM_RTN_UNACK);
    char msg[200];
    assert_int_equal(alarm_ack(&f->a, "flame_failure", "anna", f->t, msg, sizeof msg), 0);
    assert_false(alarm_get(&f->a, "flame_failure")->first_out);
    /* a lockout on its own (no flame failure) is annunciated, and first out */
    run(f, 120);
    drain(f);
    f->tags[T_LOCK].v = 1;
    step(f);
    assert_int_equal(st(f, "lockout"), ALARM_UNACK);
    assert_true(alarm_get(&f->a, "lockout")->first_out);
    /* a flame failure now: its lockout was there before it, so stays annunciated; the
     * flame failure is not first out (the lockout came within the window) */
    f->tags[T_FLAME].v = 0;
    run(f, 1);
    assert_int_equal(st(f, "flame_failure"), ALARM_UNACK);
    assert_false(alarm_get(&f->a, "flame_failure")->first_out);
    assert_int_equal(st(f, "lockout"), ALARM_UNACK);
    /* the consequence comes too late (past suppress_s): annunciated */
    run(f, 70);
    f->tags[T_O2].v = 8;
    run(f, 61);
    assert_int_equal(st(f, "o2_high"), ALARM_UNACK);
}

/* A cause that is shelved or out of service suppresses nothing. */
static void test_consequence_needs_visible_cause(void **state)
{
    struct fx *f = *state;
    char msg[200];
    struct cfg_alarm *ff = add(f, "flame_failure", ALARM_OFF, "flame_on", 0, PRIO_MEDIUM);
    snprintf(ff->suppresses, sizeof ff->suppresses, "lockout");
    ff->suppress_s = 120;
    add(f, "lockout", ALARM_ON, "bms_lockout", 0, PRIO_MEDIUM);
    start(f);
    assert_int_equal(alarm_set_oos(&f->a, "flame_failure", true, "erik", f->t, msg, sizeof msg), 0);
    f->tags[T_FLAME].v = 0;
    f->tags[T_LOCK].v = 1;
    run(f, 5);
    assert_int_equal(st(f, "lockout"), ALARM_UNACK);
    /* an unknown consequence is a sentence at init */
    snprintf(f->cfg.alarms[0].suppresses, sizeof f->cfg.alarms[0].suppresses, "lockout, nosuch");
    assert_int_equal(alarm_init(&f->a, &f->cfg, msg, sizeof msg), -1);
    assert_string_equal(msg, "[alarm.flame_failure] suppresses = \"nosuch\": no such other alarm");
}

/* ---- suppression and out of service ------------------------------------------- */

static void test_suppression_by_phase(void **state)
{
    struct fx *f = *state;
    struct cfg_alarm *d = add(f, "sc_door", ALARM_OFF, "sc_door_closed", 0, PRIO_MEDIUM);
    d->suppress_phases = 1u << PH_CHARGE | 1u << PH_SKIM;
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    f->in.phase = PH_CHARGE;
    step(f);
    assert_int_equal(st(f, "sc_door"), ALARM_SUPPRESSED);
    assert_int_equal(st(f, "roof_h"), ALARM_NORMAL);
    f->tags[T_SC_DOOR].v = 0; /* the door opens in CHARGE: by design, no alarm */
    run(f, 300);
    assert_int_equal(st(f, "sc_door"), ALARM_SUPPRESSED);
    assert_int_equal(f->a.al[0].annunciations, 0);
    drain(f);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].kind, AEV_SUPPRESSED);
    assert_string_equal(f->ev[0].text, "Message of sc_door: suppressed in CHARGE");
    /* leaving CHARGE with the door still open: raised at once */
    f->in.phase = PH_PYROLYSIS;
    step(f);
    assert_int_equal(st(f, "sc_door"), ALARM_UNACK);
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[0].kind, AEV_UNSUPPRESSED);
    assert_int_equal(f->ev[1].kind, AEV_RAISED);
    /* an annunciated alarm is hidden when its phase suppresses it */
    f->in.phase = PH_SKIM;
    step(f);
    assert_int_equal(st(f, "sc_door"), ALARM_SUPPRESSED);
    f->tags[T_SC_DOOR].v = 1;
    f->in.phase = PH_TAP;
    step(f);
    assert_int_equal(st(f, "sc_door"), ALARM_NORMAL);
}

static void test_out_of_service(void **state)
{
    struct fx *f = *state;
    char msg[200];
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    start(f);
    assert_int_equal(alarm_set_oos(&f->a, "roof_h", false, "erik", 0, msg, sizeof msg), -1);
    assert_string_equal(msg, "roof_h is already in service");
    assert_int_equal(
        alarm_shelve(&f->a, "roof_h", 10, "trial", "anna", false, f->t, msg, sizeof msg), 0);
    assert_int_equal(alarm_set_oos(&f->a, "roof_h", true, "erik", f->t, msg, sizeof msg), 0);
    assert_string_equal(msg, "roof_h out of service, now OOS");
    assert_false(f->a.al[0].shelved); /* out of service replaces the shelving */
    assert_int_equal(alarm_set_oos(&f->a, "roof_h", true, "erik", f->t, msg, sizeof msg), -1);
    assert_int_equal(
        alarm_shelve(&f->a, "roof_h", 10, "trial", "anna", false, f->t, msg, sizeof msg), -1);
    assert_string_equal(msg, "Shelve roof_h: it is out of service");
    f->tags[T_ROOF].v = 1300;
    run(f, 3600); /* well past the old shelving: no expiry, no alarm */
    assert_int_equal(st(f, "roof_h"), ALARM_OOS);
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[1].kind, AEV_OOS_ON);
    assert_int_equal(f->ev[1].from, ALARM_SHELVED);
    assert_int_equal(f->ev[1].to, ALARM_OOS);
    assert_int_equal(alarm_set_oos(&f->a, "roof_h", false, "erik", f->t, msg, sizeof msg), 0);
    assert_string_equal(msg, "roof_h back in service, now UNACK");
    drain(f);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[0].kind, AEV_OOS_OFF);
    assert_string_equal(f->ev[0].user, "erik");
    assert_int_equal(f->ev[1].kind, AEV_RAISED);
}

/* ---- flood and KPIs ------------------------------------------------------------ */

/* One annunciation of the ON alarm "trip": raise, then return. */
static void trip(struct fx *f)
{
    f->tags[T_FLAME].v = 1;
    step(f);
    f->tags[T_FLAME].v = 0;
    step(f);
}

static void test_flood(void **state)
{
    struct fx *f = *state;
    struct alarm_kpi k;
    add(f, "trip", ALARM_ON, "flame_on", 0, PRIO_LOW);
    f->tags[T_FLAME].v = 0;
    start(f);
    for (int n = 0; n < 10; n++) {
        trip(f);
        run(f, 29.5);
    }
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.per_10min, 10);
    assert_false(k.flood_active); /* 10 is not more than 10 */
    trip(f);                      /* the 11th within 10 min */
    double t_start = f->t - DT;   /* the step that raised it */
    alarm_kpi(&f->a, &k);
    assert_true(k.flood_active);
    assert_int_equal(k.floods, 1);
    drain(f);
    assert_int_equal(count_kind(f, AEV_FLOOD_START), 1);
    for (int i = 0; i < f->nev; i++)
        if (f->ev[i].kind == AEV_FLOOD_START) {
            assert_string_equal(f->ev[i].name, "");
            assert_string_equal(f->ev[i].text, "Alarm flood: 11 alarms in the last 10 min");
        }
    /* the rate decays; the flood holds while 5 or more remain in the window */
    while (f->a.flood && f->t < t_start + 3600) {
        step(f);
        alarm_kpi(&f->a, &k);
        if (k.flood_active)
            assert_true(k.per_10min >= ALARM_FLOOD_END);
    }
    assert_false(f->a.flood);
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.per_10min, 4);
    /* 11 annunciations 30 s apart: the 7th leaves the window 600 s after it */
    double expect_end = 6 * 30.0 + DT + 600;
    assert_true(f->t > expect_end - 1 && f->t < expect_end + 1);
    assert_true(fabs(k.time_in_flood_s - (f->t - t_start)) < 1e-6);
    drain(f);
    assert_int_equal(count_kind(f, AEV_FLOOD_END), 1);
    assert_non_null(strstr(f->ev[f->nev - 1].text, "Alarm flood over after"));
    /* a second flood counts and adds its time */
    double before = k.time_in_flood_s;
    for (int n = 0; n < 12; n++)
        trip(f);
    run(f, 10);
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.floods, 2);
    assert_true(k.time_in_flood_s > before + 9.9);
}

static void test_kpi_top_and_chatter(void **state)
{
    struct fx *f = *state;
    struct alarm_kpi k;
    char name[CFG_NAME_MAX];
    /* 12 HI alarms on the o2 tag at limits 1..12: a value v raises those <= v */
    for (int i = 1; i <= 12; i++) {
        snprintf(name, sizeof name, "o2_%02d", i);
        add(f, name, ALARM_HI, "o2_pct", i, PRIO_LOW);
    }
    start(f);
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.ntop, 0);
    assert_int_equal(k.nchattering, 0);
    /* o2_01 raised 12 times, o2_12 once: counts 12..1; 120 s apart (no chatter) */
    for (int n = 0; n < 12; n++) {
        f->tags[T_O2].v = 12 - n + 0.5;
        step(f);
        f->tags[T_O2].v = 0;
        step(f);
        run(f, 120);
    }
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.annunciations, 78);
    assert_int_equal(k.ntop, ALARM_KPI_TOP);
    for (int i = 0; i < ALARM_KPI_TOP; i++) {
        snprintf(name, sizeof name, "o2_%02d", i + 1);
        assert_string_equal(k.top[i].name, name);
        assert_int_equal(k.top[i].count, 12 - i);
    }
    assert_int_equal(k.nchattering, 0);
    /* o2_01 three times in 50 s chatters; o2_02 three times in 90 s does not */
    for (int n = 0; n < 3; n++) {
        f->tags[T_O2].v = 1.5;
        step(f);
        f->tags[T_O2].v = 0;
        step(f);
        run(f, 24.5);
    }
    run(f, 200);
    for (int n = 0; n < 3; n++) {
        f->tags[T_O2].v = 2.5;
        step(f);
        f->tags[T_O2].v = 0;
        step(f);
        run(f, 44.5);
    }
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.nchattering, 1);
    assert_string_equal(k.chattering[0].name, "o2_01");
    assert_int_equal(k.chattering[0].count, 1);
    assert_int_equal(k.events_dropped, f->a.events_dropped);
}

/* ---- event queue --------------------------------------------------------------- */

static void test_event_queue_overflow(void **state)
{
    struct fx *f = *state;
    struct alarm_event out[8];
    add(f, "trip", ALARM_ON, "flame_on", 0, PRIO_LOW);
    f->tags[T_FLAME].v = 0;
    start(f);
    /* each trip: RAISED then RETURNED; 200 trips = 400 events, plus 1 flood start */
    for (int n = 0; n < 200; n++)
        trip(f);
    assert_int_equal(f->a.ev_count, ALARM_EVENTS_MAX);
    assert_int_equal(f->a.events_dropped, 401 - ALARM_EVENTS_MAX);
    /* the oldest were dropped: the queue starts on an event after the first 145 */
    assert_int_equal(alarm_events_take(&f->a, out, 3), 3);
    assert_int_equal(out[0].kind, AEV_RAISED);
    assert_true(out[0].t == 72 * 2 * DT + DT); /* the 73rd trip's raise */
    assert_true(out[0].t <= out[1].t && out[1].t <= out[2].t);
    assert_int_equal(f->a.ev_count, ALARM_EVENTS_MAX - 3);
    drain(f);
    assert_int_equal(f->nev, ALARM_EVENTS_MAX - 3);
    assert_int_equal(f->ev[f->nev - 1].kind, AEV_RETURNED);
    assert_true(f->ev[f->nev - 1].t == f->t);
    assert_int_equal(alarm_events_take(&f->a, out, 8), 0);
    struct alarm_kpi k;
    alarm_kpi(&f->a, &k);
    assert_int_equal(k.events_dropped, 401 - ALARM_EVENTS_MAX);
    assert_int_equal(k.per_10min, 200);
}

/* ---- the screens' views ---------------------------------------------------------- */

static void test_list_banner_counts(void **state)
{
    struct fx *f = *state;
    struct alarm_counts c;
    int idx[8];
    add(f, "o2_h", ALARM_HI, "o2_pct", 5, PRIO_LOW);               /* 0 */
    add(f, "roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);      /* 1 */
    add(f, "roof_hh", ALARM_HI, "roof_temp", 1250, PRIO_CRITICAL); /* 2 */
    add(f, "bath_l", ALARM_LO, "bath_hc_temp", 700, PRIO_HIGH);    /* 3 */
    add(f, "flame", ALARM_OFF, "flame_on", 0, PRIO_CRITICAL);      /* 4 */
    start(f);
    assert_int_equal(alarm_banner(&f->a), -1);
    f->tags[T_O2].v = 6;
    step(f);
    f->tags[T_ROOF].v = 1210;
    step(f);
    f->tags[T_BATH].v = 690;
    step(f);
    f->tags[T_ROOF].v = 1260;
    step(f);
    assert_int_equal(alarm_list_active(&f->a, idx, 8), 4);
    assert_int_equal(idx[0], 2); /* critical */
    assert_int_equal(idx[1], 3); /* high, newer */
    assert_int_equal(idx[2], 1); /* high, older */
    assert_int_equal(idx[3], 0); /* low */
    assert_int_equal(alarm_list_active(&f->a, idx, 2), 2);
    assert_int_equal(idx[1], 3);
    assert_int_equal(alarm_banner(&f->a), 2);
    alarm_ack(&f->a, "roof_hh", "anna", f->t, NULL, 0);
    assert_int_equal(alarm_banner(&f->a), 3);
    /* an acked alarm stays listed */
    assert_int_equal(alarm_list_active(&f->a, idx, 8), 4);
    assert_int_equal(idx[0], 2);
    /* returned-unacked counts, but an active UNACK of the same priority wins the banner */
    f->tags[T_BATH].v = 740;
    step(f);
    assert_int_equal(st(f, "bath_l"), ALARM_RTN_UNACK);
    assert_int_equal(alarm_banner(&f->a), 1);
    alarm_counts(&f->a, &c);
    assert_int_equal(c.by_state[ALARM_NORMAL], 1);
    assert_int_equal(c.by_state[ALARM_UNACK], 2);
    assert_int_equal(c.by_state[ALARM_ACKED], 1);
    assert_int_equal(c.by_state[ALARM_RTN_UNACK], 1);
    assert_int_equal(c.listed[PRIO_CRITICAL], 1);
    assert_int_equal(c.listed[PRIO_HIGH], 2);
    assert_int_equal(c.listed[PRIO_LOW], 1);
    assert_int_equal(c.unacked[PRIO_CRITICAL], 0);
    assert_int_equal(c.unacked[PRIO_HIGH], 2);
    assert_int_equal(c.unacked[PRIO_LOW], 1);
    alarm_set_oos(&f->a, "o2_h", true, "erik", f->t, NULL, 0);
    alarm_counts(&f->a, &c);
    assert_int_equal(c.by_state[ALARM_OOS], 1);
    assert_int_equal(c.listed[PRIO_LOW], 0);
}

/* ---- the shipped alarms and a standby burner --------------------------------- */

/* The shipped config's alarms over 15 min of HOLD, every tag GOOD at `vals` (a tag not
 * named there: 1 for a discrete input, else 0, the same in every run); the alarms raised. */
struct named_v {
    const char *tag;
    double v;
};

/* The shipped config/meltcon.ini and its alarms. */
static void load_shipped(struct cfg *c, struct cfg_errors *e, struct alarms *a)
{
    char path[512], err[256];
    const char *root = getenv("MELTCON_SRC");
    snprintf(path, sizeof path, "%s/config/meltcon.ini", root ? root : MELTCON_SRC_DIR);
    assert_int_equal(cfg_load(path, c, e), 0);
    assert_int_equal(alarm_init(a, c, err, sizeof err), 0);
}

static int shipped_raised(const struct named_v *vals, size_t n, bool *raised)
{
    static struct cfg c;
    static struct cfg_errors e;
    static struct alarms a;
    static struct tag_value tags[CFG_MAX_TAGS];
    static struct alarm_event ev[ALARM_EVENTS_MAX];
    double sp[CFG_MAX_LOOPS] = {0};
    load_shipped(&c, &e, &a);
    for (int i = 0; i < c.ntags; i++)
        tags[i] = (struct tag_value){.v = c.tags[i].table == TAG_DI ? 1 : 0, .q = Q_GOOD};
    for (size_t k = 0; k < n; k++) {
        int i = cfg_tag_index(&c, vals[k].tag);
        assert_true(i >= 0);
        tags[i].v = vals[k].v;
    }
    for (int i = 0; i < c.nloops; i++)
        sp[i] = c.loops[i].sp;
    struct alarm_inputs in = {.tags = tags, .ntags = c.ntags, .link_up = true,
                              .disk_ok = true, .phase = PH_HOLD, .loop_sp = sp,
                              .nloops = c.nloops};
    for (double t = DT; t <= 900; t += DT) {
        alarm_step(&a, &in, t, DT);
        int nev;
        while ((nev = alarm_events_take(&a, ev, ALARM_EVENTS_MAX)) > 0)
            for (int k = 0; k < nev; k++)
                if (ev[k].kind == AEV_RAISED) {
                    const struct alarm *al = alarm_get(&a, ev[k].name);
                    assert_non_null(al);
                    raised[al - a.al] = true;
                }
    }
    return a.n;
}

/* A burner in STANDBY (bms_state 5: no flame, no fuel, the flue all air) raises nothing a
 * burner holding at low fire does not: no flame failure, no lockout, no O2 high. */
static void test_shipped_standby_quiet(void **state)
{
    (void)state;
    static bool low[ALARM_MAX], off[ALARM_MAX], air[ALARM_MAX];
#define HOLDING                                                                               \
    {"bath_hc_temp", 740}, {"bath_sc_temp", 737}, {"hc_gas_temp", 900}, {"roof_temp", 850},   \
        {"sc_gas_temp", 500}, {"flue_temp", 900}, {"scrap_temp", 400}, {"co_ppm", 30},        \
        {"furnace_pressure", 2}, {"bath_level", 700}, {"metal_mass", 45000},                  \
        {"gas_pressure", 290}, {"bms_lockout", 0}, {"flame_failure", 0},                      \
        {"watchdog_tripped", 0}, {"pump_trip", 0}, {"fan_trip", 0}, {"tap_open", 0}
    const struct named_v at_low[] = {HOLDING, {"bms_state", 3}, {"flame_on", 1},
                                      {"firing_fb", 10}, {"gas_flow", 80}, {"o2_pct", 2.5}};
    const struct named_v standby[] = {HOLDING, {"bms_state", 5}, {"flame_on", 0},
                                      {"firing_fb", 0}, {"gas_flow", 0}, {"o2_pct", 20.9}};
    /* the control: the same flue with the burners firing is excess air */
    const struct named_v too_much_air[] = {HOLDING, {"bms_state", 3}, {"flame_on", 1},
                                           {"firing_fb", 10}, {"gas_flow", 80}, {"o2_pct", 20.9}};
#undef HOLDING
    int n = shipped_raised(at_low, sizeof at_low / sizeof at_low[0], low);
    shipped_raised(standby, sizeof standby / sizeof standby[0], off);
    shipped_raised(too_much_air, sizeof too_much_air / sizeof too_much_air[0], air);
    static struct cfg c;
    static struct cfg_errors e;
    static struct alarms a;
    load_shipped(&c, &e, &a);
    for (int i = 0; i < n; i++) {
        if (off[i] && !low[i])
            print_error("standby raised %s\n", a.al[i].def.name);
        assert_false(off[i] && !low[i]);
    }
    int o2 = (int)(alarm_get(&a, "o2_high") - a.al);
    int ff = (int)(alarm_get(&a, "flame_failure") - a.al);
    int lo = (int)(alarm_get(&a, "lockout") - a.al);
    assert_true(air[o2]);
    assert_false(off[o2] || off[ff] || off[lo]);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        enum alarm_state s;
        const char *name;
    } states[] = {
        {ALARM_NORMAL, "NORMAL"},   {ALARM_UNACK, "UNACK"},
        {ALARM_ACKED, "ACKED"},     {ALARM_RTN_UNACK, "RTN_UNACK"},
        {ALARM_SHELVED, "SHELVED"}, {ALARM_SUPPRESSED, "SUPPRESSED"},
        {ALARM_OOS, "OOS"},         {ALARM_STATE_COUNT, "?"},
    };
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
        assert_string_equal(alarm_state_name(states[k].s), states[k].name);
    for (int k = 0; k < AEV_KIND_COUNT; k++)
        assert_string_not_equal(alarm_event_name((enum alarm_event_kind)k), "?");
    assert_string_equal(alarm_event_name(AEV_FLOOD_START), "flood start");
    assert_string_equal(alarm_event_name(AEV_KIND_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_unknown_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transition_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadband, setup, teardown),
        cmocka_unit_test_setup_teardown(test_on_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_quality_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_quality_restarts_on_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_stale_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrun_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_door_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shelve_reason_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shelve_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unshelve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shelve_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shelve_by_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppression_by_phase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alt_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phases_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_out_and_consequences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consequence_needs_visible_cause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kpi_top_and_chatter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_queue_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_banner_counts, setup, teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_shipped_standby_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
