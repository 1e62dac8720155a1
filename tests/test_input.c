/* test_input — the strict readers of what people type (config/input.c):
 * numbers and reasons, each accepted or refused with its exact sentence,
 * nothing changed on a refusal; the shortened echo; the escape of a refused
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

static const char *const NOT_A_NUMBER =
    "\" is not a number: digits with an optional sign and decimal point, e.g. 745 or -2.5";

static void test_number_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double v;
        int decimals;
    } good[] = {
        {"745", 745, 0},
        {"745.5", 745.5, 1},
        {"+745.5", 745.5, 1},
        {"-2.5", -2.5, 1},
        {".5", 0.5, 1},
        {"5.", 5, 0},
        {"0", 0, 0},
        {"-0", 0, 0},
        {"-0.000", 0, 3},
        {"007", 7, 0},
        {"0.1", 0.1, 1},
        {"745.50", 745.5, 2},
        {"100000", 100000, 0},
        {"999999999999999", 999999999999999.0, 0},       /* 15 digits */
        {"0.000000000000001", 1e-15, 15},                /* one significant digit */
        {"-12345.6789012345", -12345.6789012345, 10},    /* 15 significant digits */
        {"0.30000000000000", 0.3, 14},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = 12345;
        char why[200] = "x";
        assert_int_equal(input_number(good[i].text, &v, why, sizeof why), 0);
        /* exactly the double strtod gives in the C locale (the test runs in it) */
        assert_true(v == strtod(good[i].text, NULL) || (v == 0 && good[i].v == 0));
        assert_true(v == good[i].v);
        assert_false(signbit(v) && v == 0); /* -0 reads as 0 */
        assert_string_equal(why, "");
        assert_int_equal(input_decimals(good[i].text), good[i].decimals);
    }
}

static void test_number_refused(void **state)
{
    (void)state;
    char long_digits[401], long_junk[401];
    memset(long_digits, '9', 400);
    long_digits[400] = 0;
    memset(long_junk, 'x', 400);
    long_junk[400] = 0;
    const struct {
        const char *text, *why;
    } bad[] = {
        {"", "no value given"},
        {NULL, "no value given"},
        {"   ", "no value given"},
        {"0x2E9", "\"0x2E9"},
        {"0X2e9", "\"0X2e9"},
        {"1e3", "\"1e3"},
        {"1E-3", "\"1E-3"},
        {"1e308", "\"1e308"},
        {"inf", "\"inf"},
        {"-infinity", "\"-infinity"},
        {"nan", "\"nan"},
        {"NAN(123)", "\"NAN(123)"},
        {"74S", "\"74S"},
        {"745 degC", "\"745 degC"},
        {"-", "\"-"},
        {"+", "\"+"},
        {".", "\"."},
        {"-.", "\"-."},
        {"1.2.3", "\"1.2.3"},
        {"--5", "\"--5"},
        {"+-5", "\"+-5"},
        {"5-", "\"5-"},
        {"\xd9\xa5", "\"\xd9\xa5"},          /* ARABIC-INDIC DIGIT FIVE */
        {"7\x01", "\"7?"},                   /* a control byte shown as ? */
        {"\xff", "\"?"},                     /* not UTF-8 */
        {"745,5", "\"745,5\": use a decimal point, e.g. 745.5"},
        {"-0,25", "\"-0,25\": use a decimal point, e.g. -0.25"},
        {"1,234.5", "\"1,234.5"},
        {" 745", "\" 745\": a number without spaces, e.g. 745"},
        {"745 ", "\"745 \": a number without spaces, e.g. 745"},
        {"\t-2.5\n", "\"?-2.5?\": a number without spaces, e.g. -2.5"},
        {"7 45", "\"7 45"},
        {" 0x10 ", "\" 0x10 "},
        {"1234567890123456", "\"1234567890123456\" has more than 15 digits"},
        {"745.0000000000000", "\"745.0000000000000\" has more than 15 digits"},
        {"0.0000000000000000001", "\"0.0000000000000000001\" is longer than 20 characters"},
        {"00000000000000000000007", "\"00000000000000000000007\" is longer than 20 characters"},
        {long_digits, "\"99999999999999999999999…\" has more than 15 digits"},
        {long_junk, "\"xxxxxxxxxxxxxxxxxxxxxxx…"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 12345;
        char why[300] = "";
        assert_int_equal(input_number(bad[i].text, &v, why, sizeof why), -1);
        assert_true(v == 12345); /* nothing changed */
        size_t wl = strlen(bad[i].why);
        if (strstr(bad[i].why, ": ") || strstr(bad[i].why, "no value") ||
            strstr(bad[i].why, " has ") || strstr(bad[i].why, " is longer")) {
            assert_string_equal(why, bad[i].why);
        } else {
            /* the quoted input, then the rule */
            char want[300];
            snprintf(want, sizeof want, "%s%s", bad[i].why, NOT_A_NUMBER);
            assert_string_equal(why, want);
        }
        assert_true(wl > 0);
        assert_true(strlen(why) < 150); /* never a long echo */
        if (bad[i].text)
            assert_int_equal(input_decimals(bad[i].text), -1);
    }
}

/* 1e308 typed out in full is 309 digits: the refusal quotes 23 of them. */
static void test_number_huge_echo(void **state)
{
    (void)state;
    char e308[320], want[200], why[300];
    snprintf(e308, sizeof e308, "%.0f", 1e308);
    assert_int_equal(strlen(e308), 309);
    snprintf(want, sizeof want, "\"%.23s…\" has more than 15 digits", e308);
    double v = 1;
    assert_int_equal(input_number(e308, &v, why, sizeof why), -1);
    assert_string_equal(why, want);
    assert_true(v == 1);
}

static void test_show(void **state)
{
    (void)state;
    char big[500];
    memset(big, 'a', 499);
    big[499] = 0;
    static const struct {
        const char *s, *want;
    } cases[] = {
        {NULL, ""},
        {"", ""},
        {"745", "745"},
        {"123456789012345678901234", "123456789012345678901234"}, /* 24: whole */
        {"1234567890123456789012345", "12345678901234567890123…"}, /* 25: 23 and … */
        {"\xc3\xa4\xc3\xb6\xc3\xbc", "\xc3\xa4\xc3\xb6\xc3\xbc"},  /* characters, not bytes */
        {"a\nb\x7f" "c\xc2\x85" "d", "a?b?c?d"},
        {"\xff\xfe", "??"},
        {"\xe2\x82", "??"}, /* a truncated character */
        {"\xc0\xaf", "??"}, /* an overlong '/' */
        {"\xed\xa0\x80", "???"}, /* a surrogate */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[INPUT_SHOW_SIZE];
        input_show(out, sizeof out, cases[i].s);
        assert_string_equal(out, cases[i].want);
    }
    char out[INPUT_SHOW_SIZE];
    input_show(out, sizeof out, big);
    assert_string_equal(out, "aaaaaaaaaaaaaaaaaaaaaaa…");
    /* a small buffer: cut, terminated, never half a character */
    char tiny[4];
    input_show(tiny, sizeof tiny, "\xc3\xa4\xc3\xb6");
    assert_string_equal(tiny, "\xc3\xa4");
    input_show(tiny, 0, "x"); /* nothing written */
}

static void test_reason_accepted(void **state)
{
    (void)state;
    char max200[201], umlauts[401];
    memset(max200, 'r', 200);
    max200[200] = 0;
    for (int i = 0; i < 200; i++)
        memcpy(umlauts + 2 * i, "\xc3\xa4", 2);
    umlauts[400] = 0;
    const struct {
        const char *s;
        bool required;
    } good[] = {
        {"after alloying", true},
        {"x", true},
        {"  leading and trailing spaces are kept  ", true},
        {"St\xc3\xb6rung am Brenner 2 \xe2\x80\x93 Ofen 1", true},
        {"\xf0\x9f\x94\xa5 flame", true},
        {max200, true},
        {umlauts, true}, /* 200 characters, 400 bytes */
        {"", false},     /* an optional reason not given */
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char why[200] = "x";
        assert_int_equal(input_reason(good[i].s, good[i].required, INPUT_REASON_CHARS,
                                      INPUT_REASON_SIZE, why, sizeof why),
                         0);
        assert_string_equal(why, "");
    }
}

static void test_reason_refused(void **state)
{
    (void)state;
    char r201[202], r900[901], u201[403];
    memset(r201, 'r', 201);
    r201[201] = 0;
    memset(r900, 'r', 900);
    r900[900] = 0;
    for (int i = 0; i < 201; i++)
        memcpy(u201 + 2 * i, "\xc3\xa4", 2);
    u201[402] = 0;
    const struct {
        const char *s;
        bool required;
        const char *why;
    } bad[] = {
        {"", true, "a reason is required (it goes into the journal)"},
        {NULL, true, "a reason is required (it goes into the journal)"},
        {"   ", true, "the reason is blank: write why, not only spaces"},
        {"   ", false, "the reason is blank: write why, not only spaces"},
        {"\xc2\xa0\xe3\x80\x80", true, "the reason is blank: write why, not only spaces"},
        {"\n\n\n", true,
         "the reason has a control character (a line break at character 1); write it on one "
         "line"},
        {"two\nlines", true,
         "the reason has a control character (a line break at character 4); write it on one "
         "line"},
        {"tab\there", false,
         "the reason has a control character (a tab at character 4); write it on one line"},
        {"bell\a", true,
         "the reason has a control character (U+0007 at character 5); write it on one line"},
        {"del\x7f", true,
         "the reason has a control character (U+007F at character 4); write it on one line"},
        {"c1\xc2\x85", true,
         "the reason has a control character (U+0085 at character 3); write it on one line"},
        {"ls\xe2\x80\xa8", true,
         "the reason has a control character (a line break at character 3); write it on one "
         "line"},
        {"ab\xff", true, "the reason is not valid UTF-8 text (byte 0xFF at character 3)"},
        {"\xe4rger", true, "the reason is not valid UTF-8 text (byte 0xE4 at character 1)"},
        {"x\xc3", true, "the reason is not valid UTF-8 text (byte 0xC3 at character 2)"},
        {"\xc0\xaf", true, "the reason is not valid UTF-8 text (byte 0xC0 at character 1)"},
        {"\xed\xa0\x80", true, "the reason is not valid UTF-8 text (byte 0xED at character 1)"},
        {"\xf4\x90\x80\x80", true, "the reason is not valid UTF-8 text (byte 0xF4 at character 1)"},
        {r201, true, "the reason is 201 characters long; the most is 200"},
        {r900, false, "the reason is 900 characters long; the most is 200"},
        {u201, true, "the reason is 201 characters long; the most is 200"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[200] = "";
        assert_int_equal(input_reason(bad[i].s, bad[i].required, INPUT_REASON_CHARS,
                                      INPUT_REASON_SIZE, why, sizeof why),
                         -1);
        assert_string_equal(why, bad[i].why);
    }
    /* a smaller store: too many bytes for it, though few enough characters */
    char why[200];
    assert_int_equal(input_reason("\xc3\xa4\xc3\xa4\xc3\xa4", true, 5, 6, why, sizeof why), -1);
    assert_string_equal(why, "the reason takes 6 bytes of UTF-8; at most 5 fit (accented letters "
                             "take two or more)");
    assert_int_equal(input_reason("\xc3\xa4\xc3\xa4", true, 5, 6, why, sizeof why), 0);
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *s, *want;
    } cases[] = {
        {"plain text", "plain text"},
        {"", ""},
        {NULL, ""},
        {"\xc3\xa4rger", "\xc3\xa4rger"},
        {"\xe4rger", "\\xe4rger"},
        {"a\nb", "a\\x0ab"},
        {"c1\xc2\x85", "c1\\xc2\\x85"},
        {"\xff\xfe", "\\xff\\xfe"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        assert_true(input_escape(out, sizeof out, cases[i].s));
        assert_string_equal(out, cases[i].want);
        char why[200];
        if (cases[i].s && *cases[i].s)
            assert_int_equal(input_reason(out, true, INPUT_REASON_CHARS, INPUT_REASON_SIZE, why,
                                          sizeof why),
                             0); /* what is recorded is a valid reason */
    }
    char small[6];
    assert_false(input_escape(small, sizeof small, "ab\xff"));
    assert_string_equal(small, "ab"); /* whole characters or escapes only */
    assert_false(input_escape(small, 0, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_accepted),
        cmocka_unit_test(test_number_refused),
        cmocka_unit_test(test_number_huge_echo),
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_reason_accepted),
        cmocka_unit_test(test_reason_refused),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
