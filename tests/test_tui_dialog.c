/* test_tui_dialog — the entry dialogs: every wrong entry gets its sentence
 * and changes nothing, nothing is sent before the confirmation, the request
 * carries what was confirmed, the server's refusal is shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dialog.h"

static const struct dialog_spec bath_sp = {
    .title = "Setpoint of bath",
    .verb = "set",
    .target = "bath.sp",
    .unit = "degC",
    .kind = DV_NUMBER,
    .has_old = true,
    .old = 740,
    .dec = 2,
    .has_lo = true,
    .has_hi = true,
    .lo = 680,
    .hi = 800,
    .max_step = 30,
    .ask_reason = true,
};

static const struct dialog_spec charge = {
    .title = "Charge scrap",
    .verb = "cmd",
    .target = "charge",
    .what = "Charge scrap",
    .unit = "t",
    .kind = DV_NUMBER,
    .dec = 1,
    .has_lo = true,
    .has_hi = true,
    .lo_open = true,
    .lo = 0,
    .hi = 5,
    .lim_name = "charge limits",
    .ask_reason = true,
};

static void type(struct dialog *d, const char *s)
{
    for (; *s; s++)
        assert_int_equal(dialog_key(d, (unsigned char)*s), DR_NONE);
}

static void test_check_sentences(void **state)
{
    (void)state;
    static const struct {
        const struct dialog_spec *spec;
        const char *text, *why;
    } bad[] = {
        {&bath_sp, "", "Type the new value"},
        {&bath_sp, "   ", "Type the new value"},
        {&bath_sp, "74S", "\"74S\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "abc", "\"abc\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "1e3", "\"1e3\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "0x10", "\"0x10\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "nan", "\"nan\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "745 degC", "\"745 degC\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "-", "\"-\" is not a number"
                   ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "745,5", "\"745,5\": use a decimal point, e.g. 745.5"},
        {&bath_sp, "900", "900 degC is outside the limits 680 to 800 degC"},
        {&bath_sp, "679.99", "679.99 degC is outside the limits 680 to 800 degC"},
        {&bath_sp, "790", "740 to 790 is a step of 50 degC, beyond the largest step 30 degC"},
        {&bath_sp, "709.5", "740 to 709.5 is a step of 30.5 degC, beyond the largest step 30 degC"},
        {&bath_sp, "740", "740 degC is the current value"},
        {&bath_sp, "740.001", "\"740.001\": at most 2 decimals here"},
        {&bath_sp, "745.555", "\"745.555\": at most 2 decimals here"},
        {&charge, "3.25", "\"3.25\": at most 1 decimal here"},
        {&bath_sp, "0x2E9", "\"0x2E9\" is not a number" ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "inf", "\"inf\" is not a number" ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&bath_sp, "1234567890123456", "\"1234567890123456\" has more than 15 digits"},
        {&bath_sp, "74 5", "\"74 5\" is not a number" ": digits with an optional sign and decimal point, e.g. 745 or -2.5"},
        {&charge, "0", "0 t is outside the charge limits: more than 0 t and at most 5 t"},
        {&charge, "-2", "-2 t is outside the charge limits: more than 0 t and at most 5 t"},
        {&charge, "5.5", "5.5 t is outside the charge limits: more than 0 t and at most 5 t"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double out = 12345;
        char why[200] = "";
        assert_int_equal(dialog_check(bad[i].spec, bad[i].text, &out, why, sizeof why), -1);
        assert_string_equal(why, bad[i].why);
        assert_true(out == 12345); /* nothing changed */
    }
    static const struct {
        const struct dialog_spec *spec;
        const char *text;
        double v;
    } good[] = {
        {&bath_sp, "745", 745}, {&bath_sp, " 745 ", 745}, {&bath_sp, "+745.5", 745.5},
        {&bath_sp, "770", 770}, {&bath_sp, "710", 710},   {&charge, "3", 3},
        {&charge, ".5", 0.5},   {&charge, "5", 5},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double out = 0;
        char why[200] = "x";
        assert_int_equal(dialog_check(good[i].spec, good[i].text, &out, why, sizeof why), 0);
        assert_true(fabs(out - good[i].v) < 1e-9);
        assert_string_equal(why, "");
    }
}

static void test_setpoint_flow(void **state)
{
    (void)state;
    static struct dialog d;
    char buf[200];
    dialog_open(&d, &bath_sp);
    assert_true(d.open);
    assert_int_equal(d.stage, DS_EDIT);
    /* the sentence follows the typing */
    type(&d, "79");
    assert_string_equal(d.problem, "79 degC is outside the limits 680 to 800 degC");
    type(&d, "0");
    assert_string_equal(d.problem,
                        "740 to 790 is a step of 50 degC, beyond the largest step 30 degC");
    /* Enter on a wrong value stays, and sends nothing */
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_int_equal(d.field, 0);
    assert_int_equal(dialog_key(&d, KEY_BACKSPACE), DR_NONE);
    assert_int_equal(dialog_key(&d, 127), DR_NONE);
    type(&d, "45");
    assert_string_equal(d.value, "745");
    assert_string_equal(d.problem, "");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.field, 1);
    type(&d, "after alloying");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "bath.sp 740 -> 745 degC?");
    /* n goes back; nothing was sent */
    assert_int_equal(dialog_key(&d, 'n'), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    /* other keys in CONFIRM do nothing */
    assert_int_equal(dialog_key(&d, 'x'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    assert_int_equal(d.stage, DS_WAIT);
    struct snap_req r;
    dialog_request(&d, &r);
    assert_string_equal(r.verb, "set");
    assert_string_equal(r.target, "bath.sp");
    assert_string_equal(r.value, "745");
    assert_string_equal(r.reason, "after alloying");
    dialog_sent(&d, 41, NULL);
    /* a reply to another request is not this dialog's */
    struct snap_reply other = {.id = 40, .ok = true, .text = "x"};
    assert_false(dialog_reply(&d, &other));
    assert_int_equal(d.stage, DS_WAIT);
    struct snap_reply ok = {.id = 41, .ok = true, .text = "bath.sp 740 -> 745 degC"};
    assert_true(dialog_reply(&d, &ok));
    assert_false(d.open);
}

/* The request carries the digits confirmed: the text typed, not a
 * reformatting of the double. */
static void test_request_is_what_was_confirmed(void **state)
{
    (void)state;
    static struct dialog d;
    char buf[200];
    dialog_open(&d, &bath_sp);
    type(&d, " 745.25 ");
    assert_string_equal(d.problem, "");
    dialog_key(&d, '\t');
    type(&d, "x");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "bath.sp 740 -> 745.25 degC?");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    struct snap_req r;
    dialog_request(&d, &r);
    assert_string_equal(r.value, "745.25");
    assert_true(d.parsed == 745.25);
}

/* The charge recipe in the dialog: the default class preselected, Left/Right change it
 * (wrapping), digits and letters never do; the confirmation and the request carry the class
 * chosen; a dialog without classes sends none. */
static void test_charge_class(void **state)
{
    (void)state;
    static struct dialog d;
    struct dialog_spec s = charge;
    char buf[200];
    static const char *const names[] = {"clean", "mixed", "oily"};
    for (int i = 0; i < 3; i++)
        snprintf(s.classes[i], sizeof s.classes[i], "%s", names[i]);
    s.nclasses = 3;
    s.cls = 1;
    dialog_open(&d, &s);
    assert_int_equal(d.cls, 1);
    type(&d, "2o");
    assert_int_equal(d.cls, 1); /* typed into the mass, not a class */
    assert_int_equal(dialog_key(&d, KEY_BACKSPACE), DR_NONE);
    assert_int_equal(dialog_key(&d, KEY_RIGHT), DR_NONE);
    assert_int_equal(d.cls, 2);
    assert_int_equal(dialog_key(&d, KEY_RIGHT), DR_NONE);
    assert_int_equal(d.cls, 0); /* wraps */
    assert_int_equal(dialog_key(&d, KEY_LEFT), DR_NONE);
    assert_int_equal(dialog_key(&d, KEY_LEFT), DR_NONE);
    assert_int_equal(d.cls, 1);
    assert_int_equal(dialog_key(&d, KEY_LEFT), DR_NONE);
    assert_int_equal(dialog_key(&d, KEY_LEFT), DR_NONE);
    assert_int_equal(d.cls, 2);
    assert_string_equal(d.value, "2");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Charge scrap 2 t of oily scrap?");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    struct snap_req r;
    dialog_request(&d, &r);
    assert_string_equal(r.value, "2");
    assert_string_equal(r.scrap, "oily");
    /* in the reason field Left/Right are not the class's */
    dialog_open(&d, &s);
    dialog_key(&d, '\t');
    dialog_key(&d, KEY_RIGHT);
    assert_int_equal(d.cls, 1);
    /* no classes: no scrap= */
    dialog_open(&d, &charge);
    dialog_key(&d, KEY_RIGHT);
    type(&d, "3");
    dialog_key(&d, '\n');
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.scrap, "");
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Charge scrap 3 t?");
}

/* The reason field: input_reason()'s sentences before CONFIRM, UTF-8 as the
 * terminal sends it, the maximum refused with a sentence, not dropped. */
static void test_reason_field(void **state)
{
    (void)state;
    static struct dialog d;
    dialog_open(&d, &bath_sp);
    type(&d, "745");
    dialog_key(&d, '\t');
    /* blank: not sent, and said */
    type(&d, "   ");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_int_equal(d.field, 1);
    assert_string_equal(d.problem, "The reason is blank: write why, not only spaces");
    dialog_key(&d, 21);
    assert_string_equal(d.problem, "");
    /* UTF-8 typed byte by byte; backspace takes a whole character */
    type(&d, "St\xc3\xb6rung\xc3\xa4");
    dialog_key(&d, KEY_BACKSPACE);
    assert_string_equal(d.reason, "St\xc3\xb6rung");
    /* a byte that is not UTF-8 (a Latin-1 terminal): refused with the sentence */
    dialog_key(&d, 0xE4);
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_string_equal(d.problem,
                        "The reason is not valid UTF-8 text (byte 0xE4 at character 8)");
    dialog_key(&d, KEY_BACKSPACE);
    assert_string_equal(d.reason, "St\xc3\xb6rung");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    struct snap_req r;
    dialog_request(&d, &r);
    assert_string_equal(r.reason, "St\xc3\xb6rung");
    /* the maximum: the 201st character is refused with a sentence */
    dialog_open(&d, &bath_sp);
    type(&d, "745");
    dialog_key(&d, '\t');
    for (int i = 0; i < 199; i++)
        dialog_key(&d, 'r');
    type(&d, "\xc3\xa4"); /* the 200th, two bytes */
    assert_string_equal(d.problem, "");
    dialog_key(&d, 's');
    assert_string_equal(d.problem, "A reason has at most 200 characters");
    assert_int_equal(strlen(d.reason), 201); /* 200 characters, nothing dropped silently */
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.reason, d.reason);
}

static void test_refusal_is_shown(void **state)
{
    (void)state;
    static struct dialog d;
    dialog_open(&d, &bath_sp);
    type(&d, "750");
    dialog_key(&d, '\t');
    type(&d, "r");
    dialog_key(&d, '\n');
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_int_equal(dialog_key(&d, KEY_ENTER), DR_NONE); /* Enter never confirms */
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_string_equal(d.problem, "Enter does not send: type y to send, n to go back");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_sent(&d, 9, NULL);
    struct snap_reply no = {.id = 9, .ok = false, .text = "bath.sp refused: the PLC link is down"};
    assert_false(dialog_reply(&d, &no));
    assert_true(d.open);
    assert_int_equal(d.stage, DS_RESULT);
    assert_string_equal(d.reply, "bath.sp refused: the PLC link is down");
    assert_int_equal(dialog_key(&d, ' '), DR_CLOSE);
    assert_false(d.open);
    /* a send that failed locally is shown the same way */
    dialog_open(&d, &bath_sp);
    type(&d, "750");
    dialog_key(&d, '\t');
    type(&d, "r");
    dialog_key(&d, '\n');
    assert_int_equal(dialog_key(&d, 'Y'), DR_SEND);
    dialog_sent(&d, -1, "not connected to the server");
    assert_int_equal(d.stage, DS_RESULT);
    assert_string_equal(d.reply, "Not sent: not connected to the server");
}

static void test_reason_required_and_cancel(void **state)
{
    (void)state;
    static struct dialog d;
    struct dialog_spec shelve = {
        .title = "Shelve roof_h",
        .verb = "shelve",
        .target = "roof_h",
        .what = "Shelve roof_h for",
        .unit = "min",
        .kind = DV_NUMBER,
        .dec = 0,
        .has_lo = true,
        .has_hi = true,
        .lo_open = true,
        .lo = 0,
        .hi = 480,
        .ask_reason = true,
        .reason_required = true,
        .initial = "30",
    };
    char buf[200];
    dialog_open(&d, &shelve);
    assert_string_equal(d.value, "30");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.field, 1);
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_string_equal(d.problem, "A reason is required");
    type(&d, "sensor");
    assert_string_equal(d.problem, "");
    assert_int_equal(dialog_key(&d, 21), DR_NONE); /* Ctrl-U clears the field */
    assert_string_equal(d.reason, "");
    type(&d, "TC replaced");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Shelve roof_h for 30 min?");
    /* Esc from CONFIRM goes back to EDIT, Esc from EDIT closes: nothing sent */
    assert_int_equal(dialog_key(&d, 27), DR_NONE);
    assert_int_equal(d.stage, DS_EDIT);
    assert_int_equal(dialog_key(&d, 27), DR_CANCEL);
    assert_false(d.open);
    assert_int_equal(dialog_key(&d, 'y'), DR_NONE);
}

static void test_choice_and_command(void **state)
{
    (void)state;
    static struct dialog d;
    char buf[200];
    struct dialog_spec mode = {
        .title = "Mode of hc",
        .verb = "set",
        .target = "hc.mode",
        .kind = DV_CHOICE,
        .has_old = true,
        .old = 2,
        .nchoices = 3,
        .choices = {"MAN", "AUTO", "CAS"},
        .choice = 0,
        .ask_reason = true,
    };
    dialog_open(&d, &mode);
    type(&d, "c");
    assert_int_equal(d.choice, 2);
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_string_equal(d.problem, "CAS is the current mode; choose another");
    assert_int_equal(dialog_key(&d, KEY_RIGHT), DR_NONE);
    assert_int_equal(d.choice, 0);
    assert_int_equal(dialog_key(&d, KEY_LEFT), DR_NONE);
    assert_int_equal(d.choice, 2);
    type(&d, "a");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.field, 1); /* set needs a reason: on to it */
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_string_equal(d.problem, "A reason is required");
    assert_int_equal(d.stage, DS_EDIT);
    type(&d, "trial");
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "hc.mode CAS -> AUTO?");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    struct snap_req r;
    dialog_request(&d, &r);
    assert_string_equal(r.value, "AUTO");

    struct dialog_spec burner = {.title = "Start burner",
                                 .verb = "cmd",
                                 .target = "burner_start",
                                 .what = "Start burner",
                                 .kind = DV_NONE,
                                 .ask_reason = true};
    dialog_open(&d, &burner);
    assert_int_equal(d.field, 1);
    assert_int_equal(d.stage, DS_CONFIRM); /* a command without a value asks at once */
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(dialog_key(&d, '\n'), DR_NONE);
    assert_int_equal(d.stage, DS_CONFIRM); /* three Enters issue nothing */
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Start burner?");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.target, "burner_start");
    assert_string_equal(r.value, "");

    dialog_open(&d, &charge);
    type(&d, "3.5");
    dialog_key(&d, '\n'); /* the reason is optional: on to the confirmation */
    assert_int_equal(d.stage, DS_CONFIRM);
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Charge scrap 3.5 t?");
}

/* Compare-and-set: the request carries the value the dialog showed; the
 * live value is followed, and a move is flagged; a command's hotkey
 * confirms it as y does; a set without a reason keeps its entry. */
static void test_base_hotkey_and_reason(void **state)
{
    (void)state;
    static struct dialog d;
    static struct snap s;
    struct snap_req r;
    dialog_open(&d, &bath_sp);
    assert_string_equal(d.spec.base, "740");
    type(&d, "710");
    dialog_key(&d, '\n');
    assert_int_equal(d.field, 1);
    dialog_key(&d, '\n');
    assert_string_equal(d.problem, "A reason is required");
    assert_string_equal(d.value, "710"); /* the entry is kept */
    assert_int_equal(d.stage, DS_EDIT);
    memset(&s, 0, sizeof s);
    s.nloops = 2;
    snprintf(s.loops[0].name, sizeof s.loops[0].name, "hc");
    s.loops[0].sp = 900;
    snprintf(s.loops[1].name, sizeof s.loops[1].name, "bath");
    s.loops[1].sp = 740.0;
    dialog_track(&d, &s);
    assert_false(d.moved);
    s.loops[1].sp = 725;
    dialog_track(&d, &s);
    assert_true(d.moved);
    assert_string_equal(d.live, "725");
    type(&d, "lower");
    dialog_key(&d, '\n');
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.value, "710");
    assert_string_equal(r.expect, "740"); /* what was shown, not the live value */
    /* refused on the moved base: a key brings the dialog back on 725, the
     * entry kept; the next confirmation is 725 -> 710 and sends 725 */
    dialog_sent(&d, 5, NULL);
    struct snap_reply no = {.id = 5, .ok = false};
    snprintf(no.text, sizeof no.text, "bath.sp was changed to 725 by root at 10:42 while you "
             "were typing; nothing was sent (you saw 740)");
    assert_false(dialog_reply(&d, &no));
    assert_int_equal(dialog_key(&d, ' '), DR_NONE);
    assert_true(d.open);
    assert_int_equal(d.stage, DS_EDIT);
    assert_string_equal(d.value, "710");
    assert_string_equal(d.spec.base, "725");
    assert_string_equal(d.problem, "Now 725: look again; the entry is kept");
    assert_false(d.moved);
    dialog_key(&d, '\n');
    dialog_key(&d, '\n');
    assert_int_equal(d.stage, DS_CONFIRM);
    char cbuf[200];
    dialog_confirm_text(&d, cbuf, sizeof cbuf, "->");
    assert_string_equal(cbuf, "bath.sp 725 -> 710 degC?");
    assert_int_equal(dialog_key(&d, 'y'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.expect, "725");

    struct dialog_spec push = {.title = "Push scrap", .verb = "cmd", .target = "push",
                               .kind = DV_NONE, .ask_reason = true, .hotkey = 'u',
                               .base = "PUSH"};
    dialog_open(&d, &push);
    assert_int_equal(dialog_key(&d, 'x'), DR_NONE);
    s.phase = PH_MELT;
    dialog_track(&d, &s);
    assert_true(d.moved);
    assert_string_equal(d.live, "MELT");
    assert_int_equal(dialog_key(&d, 'u'), DR_SEND);
    dialog_request(&d, &r);
    assert_string_equal(r.expect, "PUSH");
    /* Tab adds a reason; Enter comes back to the confirmation */
    dialog_open(&d, &push);
    dialog_key(&d, '\t');
    assert_int_equal(d.stage, DS_EDIT);
    type(&d, "why");
    dialog_key(&d, '\n');
    assert_int_equal(d.stage, DS_CONFIRM);
    assert_int_equal(dialog_key(&d, 'n'), DR_CANCEL);
    assert_false(d.open);

    /* a charge of 3.05 t is confirmed as 3.05 t and sent as 3.05 */
    struct dialog_spec ch = charge;
    ch.dec = 2;
    char buf[200];
    dialog_open(&d, &ch);
    type(&d, "3.05");
    dialog_key(&d, '\n');
    dialog_confirm_text(&d, buf, sizeof buf, "->");
    assert_string_equal(buf, "Charge scrap 3.05 t?");
    dialog_key(&d, 'y');
    dialog_request(&d, &r);
    assert_string_equal(r.value, "3.05");
}

static void test_limits_text_and_text_dialog(void **state)
{
    (void)state;
    static struct dialog d;
    char buf[200];
    dialog_limits_text(&bath_sp, buf, sizeof buf);
    assert_string_equal(buf, "limits 680 to 800 degC, largest step 30 degC");
    dialog_limits_text(&charge, buf, sizeof buf);
    assert_string_equal(buf, "charge limits: more than 0, at most 5 t");
    struct dialog_spec filter = {.kind = DV_TEXT, .initial = "ro"};
    dialog_open(&d, &filter);
    type(&d, "of");
    assert_int_equal(dialog_key(&d, '\n'), DR_TEXT);
    assert_string_equal(d.value, "roof");
    assert_false(d.open);
    /* the value field is bounded */
    dialog_open(&d, &bath_sp);
    for (int i = 0; i < 100; i++)
        dialog_key(&d, '1');
    assert_int_equal(strlen(d.value), DIALOG_VALUE_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_sentences),
        cmocka_unit_test(test_setpoint_flow),
        cmocka_unit_test(test_refusal_is_shown),
        cmocka_unit_test(test_reason_required_and_cancel),
        cmocka_unit_test(test_request_is_what_was_confirmed),
        cmocka_unit_test(test_reason_field),
        cmocka_unit_test(test_charge_class),
        cmocka_unit_test(test_choice_and_command),
        cmocka_unit_test(test_limits_text_and_text_dialog),
        cmocka_unit_test(test_base_hotkey_and_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
