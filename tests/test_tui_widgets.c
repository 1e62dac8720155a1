/* test_tui_widgets — the console's string formatters: values never look live
 * when they are not, bars and sparklines put every mark in its cell, the
 * display deadband holds last-digit noise, UTF-8 is never split and becomes
 * ASCII on an ASCII terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "snap.h"
#include "tag.h"
#include "widgets.h"

static const struct wg_glyphs *A; /* ASCII glyphs */

static int setup(void **state)
{
    (void)state;
    A = wg_glyphs(true);
    return 0;
}

static void test_value_good_and_not(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(wg_value(b, sizeof b, 741.4, Q_GOOD, 0, 0, "degC"), SEV_NONE);
    assert_string_equal(b, "741 degC");
    assert_int_equal(wg_value(b, sizeof b, 9.84, Q_GOOD, 0, 1, "Pa"), SEV_NONE);
    assert_string_equal(b, "9.8 Pa");
    assert_int_equal(wg_value(b, sizeof b, -0.3, Q_GOOD, 0, 0, "degC"), SEV_NONE);
    assert_string_equal(b, "0 degC");
    /* not GOOD: the quality word and the age instead of the number */
    assert_int_equal(wg_value(b, sizeof b, 741, Q_BAD_SENSOR, 12, 0, "degC"), SEV_BAD);
    assert_string_equal(b, "BAD 12s");
    assert_int_equal(wg_value(b, sizeof b, 741, Q_STALE, 40.9, 0, "degC"), SEV_BAD);
    assert_string_equal(b, "STALE 40s");
    assert_int_equal(wg_value(b, sizeof b, 741, Q_BAD_COMMS, 200, 0, "degC"), SEV_BAD);
    assert_string_equal(b, "COMMS 3m");
    assert_null(strstr(b, "741"));
    /* a GOOD quality with no number is still not a number */
    assert_int_equal(wg_value(b, sizeof b, NAN, Q_GOOD, 0, 0, "degC"), SEV_BAD);
    assert_string_equal(b, "BAD 0s");
    assert_int_equal(wg_value(b, sizeof b, 5, Q_GOOD, 0, 0, ""), SEV_NONE);
    assert_string_equal(b, "5");
}

static void test_age_and_hms(void **state)
{
    (void)state;
    char b[16];
    static const struct {
        double s;
        const char *age, *hms;
    } cases[] = {
        {0, "0s", "0:00"},     {12.7, "12s", "0:12"},   {125, "2m", "2:05"},
        {912, "15m", "15:12"}, {3723, "1h", "1:02:03"}, {3 * 86400.0, "3d", "72:00:00"},
        {-5, "0s", "0:00"},    {NAN, "0s", "0:00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wg_age(b, sizeof b, cases[i].s);
        assert_string_equal(b, cases[i].age);
        wg_hms(b, sizeof b, cases[i].s);
        assert_string_equal(b, cases[i].hms);
    }
    wg_age(b, sizeof b, 1e9);
    assert_string_equal(b, ">99d");
}

static void test_decimals_and_units(void **state)
{
    (void)state;
    assert_int_equal(wg_decimals("degC", 1400), 0);
    assert_int_equal(wg_decimals("Pa", 400), 1);
    assert_int_equal(wg_decimals("%", 25), 1);  /* O2 */
    assert_int_equal(wg_decimals("%", 100), 0); /* firing */
    assert_int_equal(wg_decimals("ppm", 60000), 0);
    assert_string_equal(wg_unit("degC", wg_glyphs(false)), "°C");
    assert_string_equal(wg_unit("degC", A), "degC");
    assert_string_equal(wg_unit("%", wg_glyphs(false)), "%");
    assert_string_equal(wg_unit(NULL, A), "");
}

static void test_deadband_holds_noise(void **state)
{
    (void)state;
    double shown = 0;
    bool init = false;
    assert_true(wg_deadband(&shown, &init, 740.4, 0) == 740.4);
    /* noise of a few tenths around 740.4 never moves the shown value */
    static const double noise[] = {740.1, 740.9, 740.0, 741.3, 739.5, 740.6};
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
        assert_true(wg_deadband(&shown, &init, noise[i], 0) == 740.4);
    /* a whole display step away: it moves */
    assert_true(wg_deadband(&shown, &init, 741.5, 0) == 741.5);
    assert_true(wg_deadband(&shown, &init, 741.55, 1) == 741.5);
    assert_true(wg_deadband(&shown, &init, 741.6, 1) == 741.6);
}

static void test_bar_marks(void **state)
{
    (void)state;
    char b[256];
    struct wg_bar_spec s = {.lo = 0, .hi = 100, .has_sp = true, .sp = 70, .nlim = 1, .lim = {90}};
    wg_bar(b, sizeof b, 10, 55, true, &s, A);
    assert_string_equal(b, "######.|.!");
    /* the setpoint is drawn over the fill and over a limit in its cell */
    s.sp = 20;
    s.lim[0] = 25;
    wg_bar(b, sizeof b, 10, 55, true, &s, A);
    assert_string_equal(b, "##|###....");
    /* marks outside the span are not drawn */
    s.sp = 150;
    s.lim[0] = -5;
    wg_bar(b, sizeof b, 10, 100, true, &s, A);
    assert_string_equal(b, "##########");
    /* a value that is not good never looks live */
    wg_bar(b, sizeof b, 10, 55, false, &s, A);
    assert_string_equal(b, "??????????");
    /* a UTF-8 bar is exactly `width` cells */
    wg_bar(b, sizeof b, 12, 42, true, &s, wg_glyphs(false));
    assert_int_equal(wg_width(b), 12);
}

static void test_spark_levels_and_alignment(void **state)
{
    (void)state;
    char b[256];
    float v[16];
    for (int i = 0; i < 8; i++)
        v[i] = (float)i + 0.5f;
    wg_spark(b, sizeof b, v, 8, 8, 0, 8, A, NULL, NULL);
    assert_string_equal(b, "_.-~=+*#");
    /* fewer samples than cells: right-aligned, newest at the right */
    wg_spark(b, sizeof b, v, 3, 6, 0, 8, A, NULL, NULL);
    assert_string_equal(b, "   _.-");
    /* a sample without a good value is a blank */
    v[1] = NAN;
    wg_spark(b, sizeof b, v, 3, 3, 0, 8, A, NULL, NULL);
    assert_string_equal(b, "_ -");
    /* more samples than cells: the mean of each cell's share */
    for (int i = 0; i < 16; i++)
        v[i] = i < 8 ? 0.5f : 7.5f;
    wg_spark(b, sizeof b, v, 16, 2, 0, 8, A, NULL, NULL);
    assert_string_equal(b, "_#");
    /* autoscale reports the range it used */
    double lo, hi;
    wg_spark(b, sizeof b, v, 16, 4, 0, 0, A, &lo, &hi);
    assert_true(lo == 0.5 && hi == 7.5);
    assert_int_equal(wg_width(b), 4);
}

static void test_chart_rows(void **state)
{
    (void)state;
    char top[64], bottom[64];
    float v[3] = {0, 5, 10};
    wg_chart_row(top, sizeof top, v, 3, 3, 0, 10, 0, 2, A);
    wg_chart_row(bottom, sizeof bottom, v, 3, 3, 0, 10, 1, 2, A);
    /* 0: a trace on the bottom row only; 5: the bottom row full; 10: both */
    assert_string_equal(top, "  #");
    assert_string_equal(bottom, "_##");
}

static void test_fit_and_ascii(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(wg_fit(b, sizeof b, "°C°C", 3, false), 3);
    assert_string_equal(b, "°C°");
    assert_int_equal(wg_fit(b, sizeof b, "ab", 5, true), 5);
    assert_string_equal(b, "ab   ");
    assert_int_equal(wg_width("1205 °C → ok"), 12);
    wg_ascii(b, sizeof b, "roof 1205 °C → limit ≤ 1200, café");
    assert_string_equal(b, "roof 1205 degC -> limit <= 1200, caf?");
    wg_ascii(b, 8, "°°°°°°");
    assert_true(strlen(b) < 8);
}

static void test_loop_flags_and_prio(void **state)
{
    (void)state;
    char b[80];
    wg_loop_flags(b, sizeof b, LF_SAT_HI | LF_RATE, 0);
    assert_string_equal(b, "SAT HI RATE");
    wg_loop_flags(b, sizeof b, 0, 0);
    assert_string_equal(b, "");
    wg_loop_flags(b, sizeof b, LF_OUT_HELD, 0);
    assert_string_equal(b, "HELD by gap");
    wg_loop_flags(b, sizeof b, LF_OVERRIDE | LF_COMB_CUT, 0);
    assert_string_equal(b, "OVERRIDE O2/CO CUT");
    wg_loop_flags(b, sizeof b, LF_SAT_HI | LF_PRIO_CAP, 0); /* the fan waiting for the bath */
    assert_string_equal(b, "SAT HI PRIO CAP");
    /* a bad PV's hold says when the loop drops to MAN, the seconds rounded up (never 0 while
     * the loop still holds its mode) */
    wg_loop_flags(b, sizeof b, LF_BAD_PV | LF_TRACK, 4.2);
    assert_string_equal(b, "BAD PV, MAN in 5 s TRACK");
    wg_loop_flags(b, sizeof b, LF_BAD_PV, 0.05);
    assert_string_equal(b, "BAD PV, MAN in 1 s");
    wg_loop_flags(b, sizeof b, LF_BAD_PV, 10);
    assert_string_equal(b, "BAD PV, MAN in 10 s");
    wg_loop_flags(b, sizeof b, LF_BAD_PV | LF_SHED, 0); /* dropped: no countdown */
    assert_string_equal(b, "BAD PV SHED to MAN");
    wg_loop_flags(b, sizeof b, LF_SAT_LO, 3); /* a countdown without BAD PV shows nothing */
    assert_string_equal(b, "SAT LO");
    assert_string_equal(wg_prio_glyph(PRIO_CRITICAL), "!!");
    assert_string_equal(wg_prio_glyph(PRIO_HIGH), "!");
    assert_int_equal(wg_prio_sev(PRIO_CRITICAL), SEV_CRIT);
    assert_string_equal(wg_prio_word(PRIO_MEDIUM), "MED");
    assert_string_equal(wg_prio_word(9), "?");
}

static void test_faceplate(void **state)
{
    (void)state;
    static struct wg_lines l;
    float hist[4] = {739, 740, 741, 742};
    struct wg_faceplate f = {
        .name = "bath",
        .description = "Bath temperature",
        .mode = "AUTO",
        .selected = true,
        .pv = 741,
        .sp = 740,
        .wsp = 739.5,
        .out = 1012,
        .pv_q = Q_GOOD,
        .flags = LF_SAT_HI,
        .pv_unit = "degC",
        .out_unit = "degC",
        .pv_dec = 0,
        .out_dec = 0,
        .sp_lo = 680,
        .sp_hi = 800,
        .sp_max_step = 30,
        .out_lo = 800,
        .out_hi = 1150,
        .bar = {.lo = 650, .hi = 830, .has_sp = true, .sp = 740},
        .hist = hist,
        .nhist = 4,
        .span = "10 min",
    };
    wg_faceplate(&l, 80, &f, A);
    assert_int_equal(l.n, 4);
    assert_non_null(strstr(l.line[0], "> bath"));
    assert_non_null(strstr(l.line[0], "AUTO"));
    assert_non_null(strstr(l.line[1], "PV 741 degC"));
    assert_non_null(strstr(l.line[1], "SP 740"));
    assert_non_null(strstr(l.line[1], "SAT HI"));
    assert_int_equal(l.sev[1], SEV_NOTE); /* the flags are marked */
    assert_non_null(strstr(l.line[2], "SP 680 to 800, step 30"));
    assert_non_null(strstr(l.line[3], "10 min"));
    for (int i = 0; i < l.n; i++)
        assert_true(wg_width(l.line[i]) <= 80);
    /* a stale PV: no number, marked as not live */
    f.pv_q = Q_STALE;
    f.pv_age = 5;
    wg_faceplate(&l, 80, &f, A);
    assert_non_null(strstr(l.line[1], "PV STALE 5s"));
    assert_int_equal(l.sev[1], SEV_BAD);
    assert_int_equal(l.mark_col[1], 5);
    assert_int_equal(l.mark_len[1], 8);
    assert_non_null(strstr(l.line[2], "??????????"));
    /* the same in a bad PV's hold: the flags say when the loop drops to MAN, whole */
    f.flags = LF_BAD_PV;
    f.man_in_s = 9.5;
    wg_faceplate(&l, 80, &f, A);
    assert_non_null(strstr(l.line[1], "BAD PV, MAN in 10 s"));
    assert_true(wg_width(l.line[1]) <= 80);
}

static void test_dialog_lines(void **state)
{
    (void)state;
    static struct dialog d;
    static struct wg_lines l;
    struct dialog_spec s = {.kind = DV_NUMBER,
                            .verb = "set",
                            .target = "bath.sp",
                            .unit = "degC",
                            .has_old = true,
                            .old = 740,
                            .dec = 2,
                            .has_lo = true,
                            .has_hi = true,
                            .lo = 680,
                            .hi = 800,
                            .max_step = 30,
                            .ask_reason = true,
                            .title = "Setpoint of bath"};
    dialog_open(&d, &s);
    dialog_key(&d, '9');
    dialog_key(&d, '0');
    dialog_key(&d, '0');
    wg_dialog(&l, 70, &d, A);
    bool limits = false, problem = false;
    for (int i = 0; i < l.n; i++) {
        limits |= strstr(l.line[i], "limits 680 to 800 degC, largest step 30 degC") != NULL;
        if (strstr(l.line[i], "900 degC is outside the limits 680 to 800 degC")) {
            problem = true;
            assert_int_equal(l.sev[i], SEV_HIGH);
        }
    }
    assert_true(limits);
    assert_true(problem);
    dialog_key(&d, 127);
    dialog_key(&d, 127);
    dialog_key(&d, 127);
    dialog_key(&d, '7');
    dialog_key(&d, '4');
    dialog_key(&d, '5');
    dialog_key(&d, '\n');
    dialog_key(&d, 'r'); /* set needs a reason (the server's gate requires one) */
    dialog_key(&d, '\n');
    wg_dialog(&l, 70, &d, A);
    bool confirm = false, send = false;
    for (int i = 0; i < l.n; i++) {
        confirm |= strstr(l.line[i], "bath.sp 740 -> 745 degC?") != NULL;
        send |= strstr(l.line[i], "y = send    n or Esc = back") != NULL;
    }
    assert_true(confirm);
    assert_true(send);
    /* the live value moved: the dialog says so, with its unit */
    static struct snap sn;
    sn.nloops = 1;
    snprintf(sn.loops[0].name, sizeof sn.loops[0].name, "bath");
    sn.loops[0].sp = 725;
    dialog_track(&d, &sn);
    wg_dialog(&l, 70, &d, A);
    bool moved = false;
    for (int i = 0; i < l.n; i++)
        if (strstr(l.line[i], "Now        725 degC: changed since this opened")) {
            moved = true;
            assert_int_equal(l.sev[i], SEV_HIGH);
        }
    assert_true(moved);
    struct snap_reply r = {.id = 7, .ok = false, .text = "bath.sp refused: the loop is in MAN"};
    dialog_key(&d, 'y');
    dialog_sent(&d, 7, NULL);
    dialog_reply(&d, &r);
    wg_dialog(&l, 70, &d, A);
    bool refused = false;
    for (int i = 0; i < l.n; i++)
        refused |= strstr(l.line[i], "REFUSED: bath.sp refused: the loop is in MAN") != NULL;
    assert_true(refused);
}

static void test_utf8_signs(void **state)
{
    (void)state;
    char b[128];
    wg_utf8_signs(b, sizeof b, "bath.sp 740 -> 745 degC, roof 1200 degC");
    assert_string_equal(b, "bath.sp 740 → 745 °C, roof 1200 °C");
    wg_utf8_signs(b, sizeof b, "unit=degC xdegC degCx 5degC");
    assert_string_equal(b, "unit=°C xdegC degCx 5°C"); /* only the word */
    wg_utf8_signs(b, 6, "a -> b");                      /* never past n */
    assert_true(strlen(b) < 6);
}

static void test_need_ascii(void **state)
{
    (void)state;
    assert_false(wg_need_ascii("xterm-256color", "UTF-8"));
    assert_false(wg_need_ascii("screen", "UTF-8"));
    assert_false(wg_need_ascii("vte-256color", "UTF-8"));
    assert_true(wg_need_ascii("xterm-256color", "ANSI_X3.4-1968")); /* LANG=C */
    assert_true(wg_need_ascii("linux", "UTF-8"));
    assert_true(wg_need_ascii("vt100", "UTF-8"));
    assert_true(wg_need_ascii("vt220", "UTF-8"));
    assert_true(wg_need_ascii("vt52", "UTF-8"));
    assert_true(wg_need_ascii("dumb", "UTF-8"));
    assert_true(wg_need_ascii(NULL, "UTF-8"));
    assert_true(wg_need_ascii("", "UTF-8"));
    assert_true(wg_need_ascii("xterm", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_good_and_not),
        cmocka_unit_test(test_age_and_hms),
        cmocka_unit_test(test_decimals_and_units),
        cmocka_unit_test(test_deadband_holds_noise),
        cmocka_unit_test(test_bar_marks),
        cmocka_unit_test(test_spark_levels_and_alignment),
        cmocka_unit_test(test_chart_rows),
        cmocka_unit_test(test_fit_and_ascii),
        cmocka_unit_test(test_loop_flags_and_prio),
        cmocka_unit_test(test_faceplate),
        cmocka_unit_test(test_dialog_lines),
        cmocka_unit_test(test_need_ascii),
        cmocka_unit_test(test_utf8_signs),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
