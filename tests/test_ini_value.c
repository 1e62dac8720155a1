/* test_ini_value — a value is read as written or refused: ini_value()'s model
 * of iniparser 4.1 is held to the installed library line by line, every
 * fault has its sentence and fix, and ini_value_check_text() finds the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <iniparser/iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini_value.h"

static const struct {
    const char *raw;             /* after "k = " */
    enum ini_value_fault fault;
    const char *written;         /* the value as written */
} cases[] = {
    {"plain text", INI_VALUE_OK, "plain text"},
    {"", INI_VALUE_OK, ""},
    {"  spaced   ", INI_VALUE_OK, "spaced"},
    {"a = b", INI_VALUE_OK, "a = b"},
    {"it's", INI_VALUE_OK, "it's"},
    {"say \"hi\" now", INI_VALUE_OK, "say \"hi\" now"},
    {"\"a; b\"", INI_VALUE_OK, "a; b"},
    {"\"a # b\"", INI_VALUE_OK, "a # b"},
    {"\"a; b\" ; a comment", INI_VALUE_OK, "a; b"},
    {"\"a; b\"# a comment", INI_VALUE_OK, "a; b"},
    {"'x;y'", INI_VALUE_OK, "x;y"},
    {"'say \"hi\"; now'", INI_VALUE_OK, "say \"hi\"; now"},
    {"\"it's; fine\"", INI_VALUE_OK, "it's; fine"},
    {"\"  kept  \"", INI_VALUE_OK, "  kept  "},
    {"\"\"", INI_VALUE_OK, ""},
    {"''", INI_VALUE_OK, ""},
    {"\"\" ; empty", INI_VALUE_OK, ""},
    {"a;b", INI_VALUE_COMMENT, "a;b"},
    {"a ; b", INI_VALUE_COMMENT, "a ; b"},
    {"Pump #2", INI_VALUE_COMMENT, "Pump #2"},
    {"1502 ; the port", INI_VALUE_COMMENT, "1502 ; the port"},
    {"; nothing", INI_VALUE_COMMENT, "; nothing"},
    {"#", INI_VALUE_COMMENT, "#"},
    {"x \"y; z\"", INI_VALUE_COMMENT, "x \"y; z\""},
    {"\"abc", INI_VALUE_UNCLOSED, "\"abc"},
    {"\"a; b", INI_VALUE_UNCLOSED, "\"a; b"},
    {"'abc", INI_VALUE_UNCLOSED, "'abc"},
    {"\"", INI_VALUE_UNCLOSED, "\""},
    {"\"Hot\" metal", INI_VALUE_AFTER_QUOTE, "\"Hot\" metal"},
    {"\"a\"b\"", INI_VALUE_AFTER_QUOTE, "\"a\"b\""},
    {"\"\" junk", INI_VALUE_AFTER_QUOTE, "\"\" junk"},
    {"'a' 'b'", INI_VALUE_AFTER_QUOTE, "'a' 'b'"},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* The model against the library: every case on a line of one file, loaded
 * by iniparser 4.1; what it stores must be ini_value()'s `read`, and equal
 * to the value as written exactly when the line is OK. */
static void test_model_matches_iniparser(void **state)
{
    (void)state;
    char file[] = "/tmp/test_ini_value.XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[s]\n");
    for (size_t i = 0; i < NCASES; i++)
        fprintf(f, "k%zu = %s\n", i, cases[i].raw);
    assert_int_equal(fclose(f), 0);
    dictionary *d = iniparser_load(file);
    assert_non_null(d);
    for (size_t i = 0; i < NCASES; i++) {
        char key[32], written[256], read[256];
        snprintf(key, sizeof key, "s:k%zu", i);
        const char *lib = iniparser_getstring(d, key, NULL);
        assert_non_null(lib);
        enum ini_value_fault fault = ini_value(cases[i].raw, written, sizeof written, read,
                                               sizeof read);
        if (fault != cases[i].fault || strcmp(written, cases[i].written) || strcmp(read, lib)) {
            print_error("case %zu [%s]: fault %d want %d, written [%s] want [%s], read [%s], "
                        "iniparser [%s]\n",
                        i, cases[i].raw, fault, cases[i].fault, written, cases[i].written, read,
                        lib);
            fail();
        }
        /* read as written when OK, cut when not; a value that starts with a
         * quote but is no quoted value (`"" junk`, `"`) is read literally,
         * quotes and all, and refused all the same */
        if (fault == INI_VALUE_OK)
            assert_string_equal(lib, written);
        else if (cases[i].raw[0] != '"' && cases[i].raw[0] != '\'')
            assert_string_not_equal(lib, written);
    }
    iniparser_freedict(d);
    unlink(file);
}

static void test_small_buffers_are_cut_not_overrun(void **state)
{
    (void)state;
    char w[4], r[4];
    assert_int_equal(ini_value("\"abcdef\"", w, sizeof w, r, sizeof r), INI_VALUE_OK);
    assert_string_equal(w, "abc");
    assert_string_equal(r, "abc");
    assert_int_equal(ini_value("abcdef; x", w, sizeof w, r, sizeof r), INI_VALUE_COMMENT);
    assert_string_equal(w, "abc");
    assert_string_equal(r, "abc");
}

static void test_sentences_name_the_fix(void **state)
{
    (void)state;
    char why[600];
    const char *raw = "Burners to low fire; the PLC limiter trips at 1250";
    char w[128], r[128];
    enum ini_value_fault f = ini_value(raw, w, sizeof w, r, sizeof r);
    ini_value_why(why, sizeof why, f, "action", w, r);
    assert_string_equal(why,
                        "iniparser would read only \"Burners to low fire\": ';' and '#' start a "
                        "comment, even inside a value; if they belong to the value, quote it: "
                        "action = \"Burners to low fire; the PLC limiter trips at 1250\", else "
                        "put the comment on a line of its own");
    /* a value holding " is quoted with ' */
    f = ini_value("say \"hi\"; go", w, sizeof w, r, sizeof r);
    ini_value_why(why, sizeof why, f, "message", w, r);
    assert_non_null(strstr(why, "message = 'say \"hi\"; go'"));
    /* both quote characters: no quoting can hold it */
    f = ini_value("it's \"hot\"; go", w, sizeof w, r, sizeof r);
    ini_value_why(why, sizeof why, f, "message", w, r);
    assert_non_null(strstr(why, "cannot be quoted: reword it"));
    f = ini_value("\"a; b", w, sizeof w, r, sizeof r);
    ini_value_why(why, sizeof why, f, "k", w, r);
    assert_non_null(strstr(why, "no closing quote (iniparser would read \"a; b\")"));
    f = ini_value("\"Hot\" metal", w, sizeof w, r, sizeof r);
    ini_value_why(why, sizeof why, f, "k", w, r);
    assert_non_null(strstr(why, "would read only \"Hot\" and drop what follows"));
    assert_non_null(strstr(why, "with single quotes"));
    ini_value_why(why, sizeof why, INI_VALUE_OK, "k", "v", "v");
    assert_string_equal(why, "");
}

static void test_check_text_finds_the_line(void **state)
{
    (void)state;
    char err[800];
    static const char good[] = "; a comment; with ; and #\n"
                               "[Scenario]\n"
                               "title = Pump trip\n"
                               "notice = \"pump off; bath drifts\" ; a comment\n"
                               "action = first part \\\n"
                               "  and the rest\n";
    assert_int_equal(ini_value_check_text("g.ini", good, strlen(good), err, sizeof err), 0);
    static const char bad[] = "[Scenario]\n"
                              "title = Pump trip\n"
                              "situation = a long \\\n"
                              "  line; cut here\n"
                              "notice = fine\n";
    assert_int_equal(ini_value_check_text("b.ini", bad, strlen(bad), err, sizeof err), -1);
    assert_non_null(strstr(err, "b.ini:3: [scenario] situation = \"a long   line; cut here\": "
                                "iniparser would read only \"a long   line\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_matches_iniparser),
        cmocka_unit_test(test_small_buffers_are_cut_not_overrun),
        cmocka_unit_test(test_sentences_name_the_fix),
        cmocka_unit_test(test_check_text_finds_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
