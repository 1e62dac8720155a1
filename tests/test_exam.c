/* test_exam — a training run judged from its record (control/core/exam.c), on hand-made
 * records: met, late (half the points), missed (never done, or the window never opened),
 * a forbidden action taken only while its alarm is active, WHAT * matching any, refused
 * requests listed and never counted as done, the server's lines never an action, event
 * windows on the scenario's clock at the run's speed (given, or read from the record's
 * first `training speed` line), the alarm timeline, the score and the pass rule, and
 * expected actions whose window closes (`until`: an alarm, or T tonnes tapped from the
 * historian's metal_mass samples).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "exam.h"

#define HEAD "[scenario]\ntitle = t\n[event.pressed]\nat_min = 5\ninject = estop\n"

static struct exercise ex;
static struct cfg_errors errs;
static struct exam m;

static void load(const char *text)
{
    if (exercise_load_text("s.ini", text, strlen(text), &ex, &errs) < 0)
        fail_msg("%s", errs.e[0].text);
}

static void ev(double t, const char *user, const char *kind, const char *what, const char *new_v,
               bool ok, const char *text)
{
    exam_event(&m, t, user, kind, what, "", new_v, ok, text);
}

static const char *const ACK = HEAD "[expect.ack]\naction = ack estop\nafter = alarm estop\n"
                                    "within_s = 60\ntext = t\npoints = 20\n";

static void test_met_late_missed(void **state)
{
    (void)state;
    load(ACK);
    exam_init(&m, &ex, 1000, 1);
    ev(1100, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(1130, "anna", "ack", "estop", "", true, "acked");
    exam_finish(&m, 2000);
    assert_int_equal(m.it[0].verdict, EXV_MET);
    assert_int_equal(m.earned, 20);
    assert_true(m.passed);
    /* late: 90 s after, the window is 60 */
    exam_init(&m, &ex, 1000, 1);
    ev(1100, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(1190, "anna", "ack", "estop", "", true, "acked");
    exam_finish(&m, 2000);
    assert_int_equal(m.it[0].verdict, EXV_LATE);
    assert_int_equal(m.earned, 10);
    assert_false(m.passed); /* 50 % */
    /* at speed 10 the 60 process s are 6 wall s */
    exam_init(&m, &ex, 1000, 10);
    ev(1100, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(1107, "anna", "ack", "estop", "", true, "acked");
    exam_finish(&m, 2000);
    assert_int_equal(m.it[0].verdict, EXV_LATE);
    /* missed: a refusal and the server's own line do not count; an ack before the raise
     * does not either */
    exam_init(&m, &ex, 1000, 1);
    ev(1050, "anna", "ack", "estop", "", true, "nothing to acknowledge");
    ev(1100, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(1110, "anna", "ack", "estop", "", false, "the viewer role may look but not change");
    ev(1120, "meltcon", "ack", "estop", "", true, "by the server");
    exam_finish(&m, 2000);
    assert_int_equal(m.it[0].verdict, EXV_MISSED);
    assert_int_equal(m.nrefused, 1);
    assert_string_equal(m.rf[0].why, "the viewer role may look but not change");
    assert_false(m.passed);
    /* never raised: the window never opened, missed */
    exam_init(&m, &ex, 1000, 1);
    exam_finish(&m, 2000);
    assert_true(m.it[0].t_open < 0);
    assert_int_equal(m.it[0].verdict, EXV_MISSED);
}

static void test_event_window(void **state)
{
    (void)state;
    load(HEAD "[expect.reset]\naction = cmd estop_reset\nafter = event pressed\n"
              "within_s = 300\ntext = t\n");
    exam_init(&m, &ex, 1000, 10); /* at_min 5 at 10x: 30 wall s */
    assert_true(exam_event_time(&m, "pressed") == 1030);
    assert_true(exam_event_time(&m, "nothing") < 0);
    ev(1020, "anna", "cmd", "estop_reset", "", true, "done"); /* before the window */
    ev(1050, "anna", "cmd", "estop_reset", "", true, "done");
    exam_finish(&m, 1100);
    assert_true(m.it[0].t_open == 1030);
    assert_true(m.it[0].t_done == 1050);
    assert_int_equal(m.it[0].verdict, EXV_MET);
}

static void test_forbidden(void **state)
{
    (void)state;
    load(HEAD "[expect.no_reset]\ntype = forbidden\naction = cmd lockout_reset\n"
              "while = alarm flame_failure\ntext = t\npoints = 30\n"
              "[expect.no_cmd]\ntype = forbidden\naction = cmd *\nwhile = alarm plc_link\n"
              "text = t\n");
    exam_init(&m, &ex, 0, 1);
    ev(10, "anna", "cmd", "lockout_reset", "", true, "done"); /* no alarm: allowed */
    ev(20, "meltcon", "alarm", "flame_failure", "UNACK", true, "raised critical: flame");
    ev(25, "anna", "cmd", "lockout_reset", "", false, "refused by the PLC"); /* refused */
    ev(30, "meltcon", "alarm", "flame_failure", "RTN_UNACK", true, "returned critical: ok");
    ev(40, "anna", "cmd", "lockout_reset", "", true, "done"); /* cleared: allowed */
    ev(50, "meltcon", "alarm", "plc_link", "UNACK", true, "raised high: link lost");
    ev(55, "anna", "cmd", "burner_start", "", true, "done"); /* taken: any cmd */
    exam_finish(&m, 100);
    assert_int_equal(m.it[0].verdict, EXV_KEPT);
    assert_int_equal(m.it[0].points, 30);
    assert_int_equal(m.it[1].verdict, EXV_TAKEN);
    assert_true(m.it[1].t_done == 55);
    assert_false(m.passed);
    assert_int_equal(m.nalarms, 2);
    assert_true(m.al[0].t_cleared == 30);
    assert_true(m.al[1].t_cleared < 0);
    assert_int_equal(m.actions, 3);
}

/* A forbidden window between two of the scenario's events (`until`): before the cause is
 * cleared the reset is taken; after it, allowed. */
static void test_forbidden_until(void **state)
{
    (void)state;
    load("[scenario]\ntitle = t\n[event.lost]\nat_min = 12\ninject = flame_failure\n"
         "[event.cleaned]\nat_min = 20\ninject = clear flame_failure\n"
         "[expect.early]\ntype = forbidden\naction = cmd lockout_reset\nafter = event lost\n"
         "until = event cleaned\ntext = t\n");
    exam_init(&m, &ex, 0, 1);
    ev(1300, "anna", "cmd", "lockout_reset", "", true, "done"); /* after the cleaning */
    exam_finish(&m, 1400);
    assert_true(m.it[0].t_close == 1200);
    assert_int_equal(m.it[0].verdict, EXV_KEPT);
    exam_init(&m, &ex, 0, 1);
    ev(700, "anna", "cmd", "lockout_reset", "", true, "done"); /* before the fault: fine */
    ev(800, "anna", "cmd", "lockout_reset", "", true, "done"); /* lost at 720: taken */
    exam_finish(&m, 1400);
    assert_int_equal(m.it[0].verdict, EXV_TAKEN);
    assert_true(m.it[0].t_done == 800);
}

static void test_alarm_timeline(void **state)
{
    (void)state;
    load(ACK);
    exam_init(&m, &ex, 0, 1);
    ev(10, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(15, "anna", "ack", "estop", "", true, "acked");
    ev(15, "anna", "alarm", "estop", "ACKED", true, "acked medium: by anna");
    ev(40, "meltcon", "alarm", "estop", "NORMAL", true, "returned medium: clear");
    ev(50, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: again");
    ev(60, "meltcon", "alarm", "estop", "RTN_UNACK", true, "returned medium: clear");
    ev(70, "anna", "alarm", "estop", "NORMAL", true, "acked medium: by anna");
    exam_finish(&m, 100);
    assert_int_equal(m.nalarms, 2);
    assert_string_equal(m.al[0].prio, "medium");
    assert_true(m.al[0].t_acked == 15 && m.al[0].t_cleared == 40);
    assert_true(m.al[1].t_acked == 70 && m.al[1].t_cleared == 60);
    assert_string_equal(exam_verdict_name(EXV_MET), "MET");
    assert_string_equal(exam_verdict_name(99), "?");
}

/* speed 0: the record's first `training speed` line; a later change and a garbled line
 * do not move it; a given speed is never overridden */
static void test_speed_from_record(void **state)
{
    (void)state;
    load(ACK);
    exam_init(&m, &ex, 1000, 0);
    assert_true(m.speed == 1);
    ev(1001, "meltcon", "training", "speed", "", true, "simulator at x real time");
    assert_true(m.speed == 1);
    ev(1002, "meltcon", "training", "speed", "", true,
       "simulator at 30x real time (plc_clock 60 s): the cycle runs every 8.3 ms");
    assert_true(m.speed == 30);
    ev(1003, "meltcon", "training", "speed", "", true, "simulator at 2x real time");
    assert_true(m.speed == 30);
    assert_true(exam_event_time(&m, "pressed") == 1010); /* 5 process min at 30x */
    /* 60 process s at 30x are 2 wall s: 3 s is late */
    ev(1100, "meltcon", "alarm", "estop", "UNACK", true, "raised medium: E-stop pressed");
    ev(1103, "anna", "ack", "estop", "", true, "acked");
    exam_finish(&m, 2000);
    assert_int_equal(m.it[0].verdict, EXV_LATE);
    exam_init(&m, &ex, 1000, 10);
    ev(1002, "meltcon", "training", "speed", "", true, "simulator at 30x real time");
    assert_true(m.speed == 10);
}

/* An expected action whose window closes (`until`): the tap closed before 7 t are out is
 * MET; after, MISSED with the late action kept apart (t_past).  The tonnes come from the
 * metal_mass samples since TAP was entered, from their highest (a noisy rise counts);
 * samples outside TAP, of other tags, or NaN, count for nothing. */
static void test_until_tapped(void **state)
{
    (void)state;
    load(HEAD "[expect.stop]\naction = cmd tap_close\nafter = phase TAP\nuntil = tapped 7\n"
              "text = t\npoints = 30\n"
              "[expect.ack]\naction = ack level_low\nafter = phase TAP\n"
              "until = alarm level_ll\ntext = t\n");
    exam_init(&m, &ex, 0, 1);
    exam_sample(&m, 5, "metal_mass", 50000); /* before TAP: not the peak */
    ev(10, "anna", "phase", "phase", "TAP", true, "ok: phase SKIM -> TAP");
    exam_sample(&m, 11, "metal_mass", 45000);
    exam_sample(&m, 12, "metal_mass", 45200); /* noise: the peak */
    exam_sample(&m, 20, "bath_level", 100);   /* another tag */
    exam_sample(&m, 25, "metal_mass", 0.0 / 0.0); /* not GOOD */
    exam_sample(&m, 30, "metal_mass", 39200);     /* 6 t */
    assert_true(m.tapped_t > 5.99 && m.tapped_t < 6.01);
    ev(35, "anna", "cmd", "tap_close", "", true, "done");
    exam_sample(&m, 40, "metal_mass", 39100);
    exam_finish(&m, 100);
    assert_int_equal(m.it[0].verdict, EXV_MET);
    assert_true(m.it[0].t_close < 0);
    assert_true(m.it[0].t_done == 35);
    /* past the target: closed at 7 t (t 40), the close after it is not done */
    exam_init(&m, &ex, 0, 1);
    ev(10, "anna", "phase", "phase", "TAP", true, "ok");
    exam_sample(&m, 11, "metal_mass", 45000);
    exam_sample(&m, 30, "metal_mass", 39000);
    exam_sample(&m, 40, "metal_mass", 38000); /* 7 t */
    ev(45, "anna", "cmd", "tap_close", "", true, "done");
    ev(50, "anna", "cmd", "tap_close", "", true, "done");
    exam_finish(&m, 100);
    assert_true(m.it[0].t_close == 40);
    assert_int_equal(m.it[0].verdict, EXV_MISSED);
    assert_true(m.it[0].t_done < 0);
    assert_true(m.it[0].t_past == 45);
    assert_int_equal(m.it[0].points, 0);
    /* the same fall outside TAP (before it, or after leaving it) closes nothing */
    exam_init(&m, &ex, 0, 1);
    exam_sample(&m, 5, "metal_mass", 50000);
    exam_sample(&m, 8, "metal_mass", 40000);
    ev(10, "anna", "phase", "phase", "TAP", true, "ok");
    exam_sample(&m, 11, "metal_mass", 40000);
    ev(20, "anna", "phase", "phase", "HOLD", true, "ok");
    assert_true(m.tapped_t == 0);
    exam_sample(&m, 30, "metal_mass", 30000);
    ev(35, "anna", "cmd", "tap_close", "", true, "done");
    exam_finish(&m, 100);
    assert_true(m.it[0].t_close < 0);
    assert_int_equal(m.it[0].verdict, EXV_MET);
    /* until an alarm: the ack after level_ll is raised is not done */
    exam_init(&m, &ex, 0, 1);
    ev(10, "anna", "phase", "phase", "TAP", true, "ok");
    ev(20, "meltcon", "alarm", "level_low", "UNACK", true, "raised medium: low");
    ev(30, "meltcon", "alarm", "level_ll", "UNACK", true, "raised high: very low");
    ev(40, "anna", "ack", "level_low", "", true, "acked");
    exam_finish(&m, 100);
    assert_true(m.it[1].t_close == 30);
    assert_int_equal(m.it[1].verdict, EXV_MISSED);
    assert_true(m.it[1].t_past == 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_met_late_missed),
        cmocka_unit_test(test_speed_from_record),
        cmocka_unit_test(test_event_window),
        cmocka_unit_test(test_forbidden),
        cmocka_unit_test(test_forbidden_until),
        cmocka_unit_test(test_alarm_timeline),
        cmocka_unit_test(test_until_tapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
