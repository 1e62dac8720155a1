/* test_tui_view — what the screens derive from a snapshot: the banner alarm,
 * the order of the alarm list, the alarm words beside a value, a bar's
 * scale, the quality a value is shown with, the phase timeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alarm.h"
#include "tag.h"
#include "view.h"

static struct cfg c;
static struct snap s;

static void add_tag(const char *name, double lo, double hi)
{
    struct cfg_tag *t = &c.tags[c.ntags++];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->unit, sizeof t->unit, "degC");
    t->has_range = true;
    t->range_lo = lo;
    t->range_hi = hi;
}

static void add_alarm(const char *name, enum cfg_alarm_kind kind, const char *tag, double limit,
                      enum cfg_priority prio)
{
    struct cfg_alarm *a = &c.alarms[c.nalarms++];
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->tag, sizeof a->tag, "%s", tag);
    a->kind = kind;
    a->limit = limit;
    a->priority = prio;
}

static void snap_alarm(const char *name, int state, int prio, double t)
{
    struct snap_alarm *a = &s.alarms[s.nalarms++];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->state = state;
    a->prio = prio;
    a->t = t;
}

static int setup(void **state)
{
    (void)state;
    cfg_defaults(&c);
    add_tag("roof_temp", 0, 1400);
    add_tag("bath_hc_temp", 0, 1100);
    add_tag("flue_temp", 0, 1500);
    add_tag("scrap_temp", 0, 900);
    add_alarm("roof_h", ALARM_HI, "roof_temp", 1200, PRIO_HIGH);
    add_alarm("roof_hh", ALARM_HI, "roof_temp", 1250, PRIO_CRITICAL);
    add_alarm("bath_h", ALARM_HI, "bath_hc_temp", 780, PRIO_MEDIUM);
    add_alarm("bath_l", ALARM_LO, "bath_hc_temp", 700, PRIO_MEDIUM);
    add_alarm("flue_h", ALARM_HI, "flue_temp", 1300, PRIO_HIGH);
    add_alarm("scrap_temp_bad", ALARM_BAD, "scrap_temp", 0, PRIO_HIGH);
    struct cfg_loop *l = &c.loops[c.nloops++];
    snprintf(l->name, sizeof l->name, "bath");
    snprintf(l->pv, sizeof l->pv, "bath_hc_temp");
    l->sp_lo = 680;
    l->sp_hi = 800;
    return 0;
}

static int reset(void **state)
{
    (void)state;
    memset(&s, 0, sizeof s);
    return 0;
}

static void test_alarm_order(void **state)
{
    (void)state;
    snap_alarm("a_low_old", ALARM_UNACK, PRIO_LOW, 10);
    snap_alarm("b_crit_old", ALARM_ACKED, PRIO_CRITICAL, 20);
    snap_alarm("c_shelved", ALARM_SHELVED, PRIO_CRITICAL, 99);
    snap_alarm("d_crit_new", ALARM_RTN_UNACK, PRIO_CRITICAL, 50);
    snap_alarm("e_high", ALARM_UNACK, PRIO_HIGH, 5);
    snap_alarm("f_oos", ALARM_OOS, PRIO_HIGH, 5);
    int idx[8];
    int n = view_alarm_order(&s, idx, 8);
    assert_int_equal(n, 4);
    assert_string_equal(s.alarms[idx[0]].name, "d_crit_new");
    assert_string_equal(s.alarms[idx[1]].name, "b_crit_old");
    assert_string_equal(s.alarms[idx[2]].name, "e_high");
    assert_string_equal(s.alarms[idx[3]].name, "a_low_old");
    /* max bounds the output */
    assert_int_equal(view_alarm_order(&s, idx, 2), 2);
    n = view_alarm_hidden(&s, idx, 8);
    assert_int_equal(n, 2);
    assert_string_equal(s.alarms[idx[0]].name, "c_shelved");
    assert_string_equal(s.alarms[idx[1]].name, "f_oos");
}

static void test_banner(void **state)
{
    (void)state;
    assert_int_equal(view_banner(&s), -1);
    snap_alarm("acked_crit", ALARM_ACKED, PRIO_CRITICAL, 90);
    assert_int_equal(view_banner(&s), -1); /* acknowledged: not on the banner */
    snap_alarm("low", ALARM_UNACK, PRIO_LOW, 10);
    assert_int_equal(view_banner(&s), 1);
    snap_alarm("high_returned", ALARM_RTN_UNACK, PRIO_HIGH, 80);
    assert_int_equal(view_banner(&s), 1); /* an active low before a cleared high */
    snap_alarm("high_active_older", ALARM_UNACK, PRIO_HIGH, 30);
    assert_int_equal(view_banner(&s), 3); /* then priority */
    snap_alarm("high_active_newer", ALARM_UNACK, PRIO_HIGH, 40);
    assert_int_equal(view_banner(&s), 4); /* then the newest */
}

/* The field's case: "PLC link lost" (critical) has cleared but awaits
 * acknowledgement, and a bath TC fault (high) is raised: the fault heads the
 * banner; only when nothing active is unacknowledged does the cleared one. */
static void test_banner_cleared_critical(void **state)
{
    (void)state;
    snap_alarm("plc_link_lost", ALARM_RTN_UNACK, PRIO_CRITICAL, 90);
    assert_int_equal(view_banner(&s), 0);
    snap_alarm("bath_tc_bad", ALARM_UNACK, PRIO_HIGH, 10);
    assert_int_equal(view_banner(&s), 1);
    s.alarms[1].state = ALARM_ACKED;
    assert_int_equal(view_banner(&s), 0);
}

/* The horn: a new UNACK high or critical alarm is new once; a medium one,
 * an acknowledged one or one already known is not; a re-raise is new. */
static void test_horn(void **state)
{
    (void)state;
    struct view_horn h = {.n = 0};
    int urgent;
    snap_alarm("med", ALARM_UNACK, PRIO_MEDIUM, 10);
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 0);
    assert_int_equal(urgent, 0);
    snap_alarm("crit", ALARM_UNACK, PRIO_CRITICAL, 20);
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 1);
    assert_int_equal(urgent, 1);
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 0); /* known */
    snap_alarm("high", ALARM_UNACK, PRIO_HIGH, 30);
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 1);
    assert_int_equal(urgent, 2);
    s.alarms[1].state = ALARM_ACKED;
    s.alarms[2].state = ALARM_RTN_UNACK;
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 0);
    assert_int_equal(urgent, 0); /* nothing left to sound for */
    s.alarms[1].state = ALARM_UNACK;
    s.alarms[1].t_raised = 40; /* raised again */
    assert_int_equal(view_horn_scan(&s, &h, &urgent), 1);
}

static void test_counts(void **state)
{
    (void)state;
    struct view_counts vc;
    char t[120];
    view_alarm_counts(&s, &vc);
    view_counts_text(&vc, t, sizeof t);
    assert_string_equal(t, "0 active");
    for (int i = 0; i < 11; i++) {
        char name[16];
        snprintf(name, sizeof name, "cleared_%d", i);
        snap_alarm(name, ALARM_RTN_UNACK, PRIO_HIGH, i);
    }
    view_alarm_counts(&s, &vc);
    view_counts_text(&vc, t, sizeof t);
    /* the field's case: all 11 cleared, awaiting acknowledgement */
    assert_string_equal(t, "0 active, 11 cleared-unack");
    snap_alarm("a", ALARM_UNACK, PRIO_HIGH, 20);
    snap_alarm("b", ALARM_ACKED, PRIO_LOW, 20);
    snap_alarm("c", ALARM_SHELVED, PRIO_LOW, 20);
    snap_alarm("d", ALARM_OOS, PRIO_LOW, 20);
    snap_alarm("e", ALARM_SUPPRESSED, PRIO_LOW, 20);
    view_alarm_counts(&s, &vc);
    assert_int_equal(vc.active, 2);
    assert_int_equal(vc.active_unacked, 1);
    assert_int_equal(vc.cleared_unacked, 11);
    assert_int_equal(vc.shelved, 1);
    assert_int_equal(vc.hidden, 2);
    view_counts_text(&vc, t, sizeof t);
    assert_string_equal(t, "2 active (1 unack), 11 cleared-unack, 1 shelved");
}

static void test_tag_alarm_words(void **state)
{
    (void)state;
    char w[24];
    assert_int_equal(view_tag_alarm(&c, &s, "roof_temp", w, sizeof w), SEV_NONE);
    assert_string_equal(w, "");
    snap_alarm("roof_h", ALARM_UNACK, PRIO_HIGH, 1);
    assert_int_equal(view_tag_alarm(&c, &s, "roof_temp", w, sizeof w), SEV_HIGH);
    assert_string_equal(w, "! H");
    snap_alarm("roof_hh", ALARM_ACKED, PRIO_CRITICAL, 2);
    assert_int_equal(view_tag_alarm(&c, &s, "roof_temp", w, sizeof w), SEV_CRIT);
    assert_string_equal(w, "!! HH");
    /* other tags are untouched; a returned alarm is not an active condition */
    assert_int_equal(view_tag_alarm(&c, &s, "bath_hc_temp", w, sizeof w), SEV_NONE);
    snap_alarm("bath_l", ALARM_RTN_UNACK, PRIO_MEDIUM, 3);
    assert_int_equal(view_tag_alarm(&c, &s, "bath_hc_temp", w, sizeof w), SEV_NONE);
    s.alarms[2].state = ALARM_UNACK;
    assert_int_equal(view_tag_alarm(&c, &s, "bath_hc_temp", w, sizeof w), SEV_NOTE);
    assert_string_equal(w, "! L");
    snap_alarm("scrap_temp_bad", ALARM_ACKED, PRIO_HIGH, 4);
    view_tag_alarm(&c, &s, "scrap_temp", w, sizeof w);
    assert_string_equal(w, "! BAD");
    /* an alarm the config does not know is ignored */
    snap_alarm("mystery", ALARM_UNACK, PRIO_CRITICAL, 5);
    view_tag_alarm(&c, &s, "flue_temp", w, sizeof w);
    assert_string_equal(w, "");
}

static void test_bar_spec(void **state)
{
    (void)state;
    struct wg_bar_spec b;
    /* loop limits 680..800 and alarms 700, 780; pad max(30, 5 % of 1100) */
    view_bar_spec(&c, "bath_hc_temp", true, 740, &b);
    assert_true(fabs(b.lo - 625) < 1e-9 && fabs(b.hi - 855) < 1e-9);
    assert_int_equal(b.nlim, 2);
    assert_true(b.has_sp && b.sp == 740);
    /* a single limit: a quarter of the range around it, inside the range */
    view_bar_spec(&c, "flue_temp", false, 0, &b);
    assert_true(fabs(b.lo - 925) < 1e-9 && fabs(b.hi - 1500) < 1e-9);
    assert_false(b.has_sp);
    /* no loop, no limit: the tag's range */
    view_bar_spec(&c, "scrap_temp", false, 0, &b);
    assert_true(b.lo == 0 && b.hi == 900);
    assert_int_equal(b.nlim, 0);
    /* not in the config at all */
    view_bar_spec(&c, "nothing", false, 0, &b);
    assert_true(b.lo == 0 && b.hi == 100);
    assert_non_null(view_loop_of(&c, "bath_hc_temp"));
    assert_null(view_loop_of(&c, "roof_temp"));
}

static void test_quality_and_lookup(void **state)
{
    (void)state;
    assert_int_equal(view_quality(Q_GOOD, true), Q_GOOD);
    assert_int_equal(view_quality(Q_GOOD, false), Q_STALE);
    assert_int_equal(view_quality(Q_BAD_SENSOR, false), Q_BAD_SENSOR);
    assert_int_equal(view_quality(Q_BAD_COMMS, true), Q_BAD_COMMS);
    s.ntags = 3;
    snprintf(s.tags[0].name, CFG_NAME_MAX, "a");
    snprintf(s.tags[1].name, CFG_NAME_MAX, "b");
    snprintf(s.tags[2].name, CFG_NAME_MAX, "c");
    assert_int_equal(view_tag(&s, "c", 2), 2);
    assert_int_equal(view_tag(&s, "c", 0), 2); /* a wrong hint still finds it */
    assert_int_equal(view_tag(&s, "c", 99), 2);
    assert_int_equal(view_tag(&s, "d", 1), -1);
    s.nloops = 1;
    snprintf(s.loops[0].name, CFG_NAME_MAX, "bath");
    assert_int_equal(view_loop(&s, "bath"), 0);
    assert_int_equal(view_loop(&s, "hc"), -1);
    assert_non_null(view_alarm_def(&c, "roof_hh"));
    assert_null(view_alarm_def(&c, "roof_x"));
}

/* The countdown a screen shows: only in the second half of the hold, only live, only for a
 * loop of the config in BAD PV. */
static void test_man_in(void **state)
{
    (void)state;
    c.loops[0].pv_bad_hold_s = 10;
    struct snap_loop l = {.flags = LF_BAD_PV, .man_in_s = 9.75};
    snprintf(l.name, sizeof l.name, "bath");
    assert_true(view_man_in(&c, &l, true) == 0); /* a reading late: 0.25 s into 10 */
    l.man_in_s = 5.01;
    assert_true(view_man_in(&c, &l, true) == 0);
    l.man_in_s = 5.0; /* half of it gone */
    assert_true(view_man_in(&c, &l, true) == 5.0);
    l.man_in_s = 0.2;
    assert_true(view_man_in(&c, &l, true) == 0.2);
    assert_true(view_man_in(&c, &l, false) == 0); /* not live: a frozen count says nothing */
    l.flags = LF_SAT_HI;
    assert_true(view_man_in(&c, &l, true) == 0);
    l.flags = LF_BAD_PV;
    l.man_in_s = 0;
    assert_true(view_man_in(&c, &l, true) == 0); /* no hold runs */
    l.man_in_s = 1;
    snprintf(l.name, sizeof l.name, "hc"); /* not in this config */
    assert_true(view_man_in(&c, &l, true) == 0);
    c.loops[0].pv_bad_hold_s = 2; /* the pressure's 2 s: from 1 s left */
    snprintf(l.name, sizeof l.name, "bath");
    assert_true(view_man_in(&c, &l, true) == 1);
    l.man_in_s = 1.25;
    assert_true(view_man_in(&c, &l, true) == 0);
    c.loops[0].pv_bad_hold_s = 0;
}

static void test_timeline(void **state)
{
    (void)state;
    char b[200];
    const struct wg_glyphs *g = wg_glyphs(true);
    view_timeline(b, sizeof b, PH_PYROLYSIS, 78, g);
    assert_string_equal(b, "HOLD . CHARGE . [PYROLYSIS] . PUSH . MELT . ALLOY . SKIM . TAP");
    view_timeline(b, sizeof b, PH_TAP, 50, g);
    assert_string_equal(b, "HOLD CHAR PYRO PUSH MELT ALLO SKIM [TAP]");
    view_timeline(b, sizeof b, PH_HOLD, 10, g);
    assert_int_equal(wg_width(b), 10);
    assert_string_equal(b, "[HOLD] CHA");
}

static void test_split_match_scale(void **state)
{
    (void)state;
    char out[4][SNAP_WHY_MAX];
    assert_int_equal(view_split("A: firing 78 % > 30 %; A: CO 2400 ppm > 2000 ppm", out, 4), 2);
    assert_string_equal(out[0], "A: firing 78 % > 30 %");
    assert_string_equal(out[1], "A: CO 2400 ppm > 2000 ppm");
    assert_int_equal(view_split("", out, 4), 0);
    assert_int_equal(view_split("a; b; c; d; e", out, 3), 3);
    assert_true(view_match("08:12:00 anna set bath.sp 740 -> 745", "BATH.SP"));
    assert_true(view_match("anything", ""));
    assert_false(view_match("roof_h acknowledged", "bath"));
    float v[4] = {740.2f, NAN, 740.4f, 740.3f};
    double lo = 0, hi = 0;
    assert_true(view_trend_scale(v, 4, 10, &lo, &hi));
    assert_true(fabs(lo - 735.3) < 1e-3 && fabs(hi - 745.3) < 1e-3);
    float w[3] = {700, 800, 750};
    assert_true(view_trend_scale(w, 3, 10, &lo, &hi));
    assert_true(lo == 700 && hi == 800);
    float none[2] = {NAN, NAN};
    lo = hi = 42;
    assert_false(view_trend_scale(none, 2, 10, &lo, &hi));
    assert_true(lo == 42 && hi == 42);
}

static void test_step(void **state)
{
    (void)state;
    assert_int_equal(view_step(-1, 5, 1), 0);  /* none: forward gives the first */
    assert_int_equal(view_step(-1, 5, -1), 4); /* back gives the last */
    assert_int_equal(view_step(0, 5, 1), 1);
    assert_int_equal(view_step(4, 5, 1), 0); /* wraps */
    assert_int_equal(view_step(0, 5, -1), 4);
    assert_int_equal(view_step(9, 5, 1), 0); /* out of range: as none */
    assert_int_equal(view_step(0, 0, 1), -1);
}

static const char *const jlines[] = {
    "2026-11-29T08:00:00.000Z anna@pts/1 set bath.sp 740 -> 745 reason=\"melt faster\" result=ok",
    "2026-11-29T09:30:00.000Z bob@ssh:10.1.2.3 ack roof_temp_bad - -> - reason=- result=ok",
    "2026-11-29T10:15:00.000Z meltcon@server alarm roof_hh - -> UNACK reason=- result=-",
    "2026-11-29T10:20:00.000Z anna@pts/1 cmd sc_door_open - -> - reason=\"bob@site said\" "
    "result=ok",
    "fakeserver started for furnace tcf1",
};
#define NJ ((int)(sizeof jlines / sizeof jlines[0]))

/* Bit i set: line i passes. */
static unsigned passing(const struct view_jfilter *f)
{
    unsigned bits = 0;
    for (int i = 0; i < NJ; i++)
        bits |= view_journal_match(jlines[i], f) ? 1u << i : 0;
    return bits;
}

static void test_journal_filters(void **state)
{
    (void)state;
    struct view_jfilter f;
    memset(&f, 0, sizeof f);
    assert_int_equal(passing(&f), 0x1f); /* no filter: all */
    snprintf(f.text, sizeof f.text, "DOOR");
    assert_int_equal(passing(&f), 1u << 3); /* any case */
    memset(&f, 0, sizeof f);
    snprintf(f.user, sizeof f.user, "Anna");
    assert_int_equal(passing(&f), 1u << 0 | 1u << 3); /* not "bob@site" in a reason */
    snprintf(f.user, sizeof f.user, "bob");
    assert_int_equal(passing(&f), 1u << 1);
    snprintf(f.user, sizeof f.user, "an");
    assert_int_equal(passing(&f), 0); /* the whole user, not a prefix */
    memset(&f, 0, sizeof f);
    snprintf(f.tag, sizeof f.tag, "bath");
    assert_int_equal(passing(&f), 1u << 0); /* the loop: bath.sp */
    snprintf(f.tag, sizeof f.tag, "roof_temp");
    assert_int_equal(passing(&f), 1u << 1); /* its alarm roof_temp_bad, not roof_hh */
    snprintf(f.tag, sizeof f.tag, "roof");
    assert_int_equal(passing(&f), 1u << 1 | 1u << 2);
    memset(&f, 0, sizeof f);
    f.has_since = true;
    assert_int_equal(view_since("2026-11-29 09:30", 0, &f.since, NULL, 0), 0);
    assert_int_equal(passing(&f), 1u << 1 | 1u << 2 | 1u << 3); /* no stamp: hidden */
    /* all together */
    snprintf(f.user, sizeof f.user, "anna");
    assert_int_equal(passing(&f), 1u << 3);
    snprintf(f.tag, sizeof f.tag, "bath");
    assert_int_equal(passing(&f), 0);
}

static void test_since(void **state)
{
    (void)state;
    double now = 1795946400 + 15 * 60; /* 2026-11-29T10:15:00Z */
    double t = -1;
    char why[200] = "";
    assert_int_equal(view_since("-30m", now, &t, why, sizeof why), 0);
    assert_true(t == now - 1800);
    assert_int_equal(view_since("-2h", now, &t, why, sizeof why), 0);
    assert_true(t == now - 7200);
    assert_int_equal(view_since("-1d", now, &t, why, sizeof why), 0);
    assert_true(t == now - 86400);
    assert_int_equal(view_since("-1.5h", now, &t, why, sizeof why), 0);
    assert_true(t == now - 5400);
    assert_int_equal(view_since("08:00", now, &t, why, sizeof why), 0);
    assert_true(t == 1795946400 - 2 * 3600); /* today */
    assert_int_equal(view_since("23:00", now, &t, why, sizeof why), 0);
    assert_true(t == 1795946400 + 13 * 3600 - 86400); /* after now: yesterday */
    assert_int_equal(view_since("2026-11-28T23:00", now, &t, why, sizeof why), 0);
    assert_true(t == 1795946400 - 11 * 3600);
    static const char *const bad[] = {"",      "yesterday",        "-5x",    "-m",  "25:00",
                                      "10:61", "2026-13-01 00:00", "08:00 ", "-1d2",
                                      /* decimal only (input.h) */
                                      "-0x10m", "-1e2h", "-infd", "-nanm", "--5m", "-+5m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 42;
        why[0] = 0;
        assert_int_equal(view_since(bad[i], now, &t, why, sizeof why), -1);
        assert_true(t == 42);
        assert_non_null(strstr(why, "expected -30m"));
    }
}

static void test_next_charge(void **state)
{
    (void)state;
    char why[SNAP_WHY_MAX];
    s.phase = PH_MELT;
    s.ntags = 1;
    snprintf(s.tags[0].name, sizeof s.tags[0].name, "scrap_on_hearth");
    s.tags[0].v = 40;
    s.tags[0].q = Q_GOOD;
    assert_true(view_next_charge(&s, why, sizeof why));
    assert_string_equal(why, "");
    s.tags[0].v = 2500; /* the last charge still on the hearth */
    assert_false(view_next_charge(&s, why, sizeof why));
    assert_non_null(strstr(why, "scrap on hearth 2.50 t >= empty below 0.10 t"));
    s.tags[0].q = Q_BAD_COMMS; /* never trusted when not GOOD */
    s.tags[0].v = 0;
    assert_false(view_next_charge(&s, why, sizeof why));
    assert_non_null(strstr(why, "no good value"));
    s.phase = PH_PYROLYSIS; /* two conditions, split as the screen lists them */
    s.tags[0].q = Q_GOOD;
    s.tags[0].v = 3000;
    assert_false(view_next_charge(&s, why, sizeof why));
    char cond[4][SNAP_WHY_MAX];
    assert_int_equal(view_split(why, cond, 4), 2);
    assert_non_null(strstr(cond[0], "phase PYROLYSIS, not MELT"));
    assert_non_null(strstr(cond[1], "3.00 t"));
    s.ntags = 0;
    s.phase = PH_MELT;
    assert_false(view_next_charge(&s, why, sizeof why));
    assert_non_null(strstr(why, "not reported"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_alarm_order, reset),
        cmocka_unit_test_setup(test_banner, reset),
        cmocka_unit_test_setup(test_tag_alarm_words, reset),
        cmocka_unit_test_setup(test_bar_spec, reset),
        cmocka_unit_test_setup(test_quality_and_lookup, reset),
        cmocka_unit_test_setup(test_timeline, reset),
        cmocka_unit_test_setup(test_man_in, reset),
        cmocka_unit_test_setup(test_split_match_scale, reset),
        cmocka_unit_test_setup(test_step, reset),
        cmocka_unit_test_setup(test_journal_filters, reset),
        cmocka_unit_test_setup(test_since, reset),
        cmocka_unit_test_setup(test_next_charge, reset),
        cmocka_unit_test_setup(test_banner_cleared_critical, reset),
        cmocka_unit_test_setup(test_counts, reset),
        cmocka_unit_test_setup(test_horn, reset),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
