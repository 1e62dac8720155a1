/* test_exercise — a scenario's expectations (config/exercise.c): a good file read whole
 * (forms split, defaults applied), every shipped scenario with at least one expectation,
 * and a table of bad files, each refused with the sentence naming FILE:LINE, the section,
 * the key, the value and what was expected, and the caller's struct left as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

#define HEAD "[scenario]\ntitle = t\n[event.lost]\nat_min = 12\ninject = flame_failure\n"

static struct exercise ex;
static struct cfg_errors errs;

static int load(const char *text)
{
    return exercise_load_text("s.ini", text, strlen(text), &ex, &errs);
}

static void test_good(void **state)
{
    (void)state;
    assert_int_equal(load(HEAD "[expect.ack_flame]\naction = ack flame_failure\n"
                               "after = alarm flame_failure\nwithin_s = 60\n"
                               "text = \"Acknowledge within a minute\"\npoints = 20\n"
                               "[expect.no_reset]\ntype = forbidden\naction = cmd lockout_reset\n"
                               "while = alarm flame_failure\ntext = never\n"
                               "[expect.late]\naction = cmd burner_start\nafter = event lost\n"
                               "text = restart\n"
                               "[expect.early]\ntype = forbidden\naction = cmd lockout_reset\n"
                               "after = event lost\nuntil = clear flame_failure\ntext = wait\n"),
                     0);
    assert_int_equal(ex.nevents, 1);
    assert_int_equal(ex.n, 4);
    assert_int_equal(ex.ex[3].until_when, EXW_CLEAR);
    assert_string_equal(ex.ex[3].until_what, "flame_failure");
    const struct exercise_expect *a = &ex.ex[0], *b = &ex.ex[1], *c = &ex.ex[2];
    assert_string_equal(a->name, "ack_flame");
    assert_int_equal(a->type, EX_EXPECTED);
    assert_string_equal(a->kind, "ack");
    assert_string_equal(a->what, "flame_failure");
    assert_int_equal(a->when, EXW_ALARM);
    assert_string_equal(a->when_what, "flame_failure");
    assert_true(a->within_s == 60);
    assert_int_equal(a->points, 20);
    assert_string_equal(a->text, "Acknowledge within a minute");
    assert_int_equal(b->type, EX_FORBIDDEN);
    assert_string_equal(b->while_alarm, "flame_failure");
    assert_int_equal(b->when, EXW_START); /* default after = start */
    assert_int_equal(b->points, 10);      /* default */
    assert_int_equal(c->when, EXW_EVENT);
    assert_string_equal(c->when_what, "lost");
    assert_true(c->within_s == 0);
    /* an expected action whose window closes: at an event, at T tonnes tapped */
    assert_int_equal(load(HEAD "[expect.stop]\naction = cmd tap_close\nafter = phase TAP\n"
                               "until = tapped 7.5\ntext = t\n"
                               "[expect.ack]\naction = ack x\nafter = tapped 2\n"
                               "until = event lost\ntext = t\n"),
                     0);
    assert_int_equal(ex.ex[0].until_when, EXW_TAPPED);
    assert_true(ex.ex[0].until_t == 7.5);
    assert_int_equal(ex.ex[1].when, EXW_TAPPED);
    assert_true(ex.ex[1].when_t == 2);
    assert_int_equal(ex.ex[1].until_when, EXW_EVENT);
}

/* Every shipped scenario loads, with at least one expectation. */
static void test_shipped(void **state)
{
    (void)state;
    const char *root = getenv("MELTCON_SRC");
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/simhw/scenarios", root ? root : MELTCON_SRC_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".ini"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        static struct exercise e;
        if (exercise_load(path, &e, &errs) < 0)
            fail_msg("%s: %s", path, errs.e[0].text);
        if (e.n < 1)
            fail_msg("%s: no [expect.NAME]", path);
        n++;
    }
    closedir(d);
    assert_true(n >= 12); /* seven lessons and five exercises of issue 16 */
}

/* Bad files: the sentence (a part of it) of the first error. */
static const struct bad {
    const char *text, *want;
} bad[] = {
    {HEAD "[expect.a]\naction = ack x\ntext = t\ntypo = 1\n",
     "s.ini:9: [expect.a] typo: unknown key (did you mean \"type\"?); the keys of [expect.NAME] "
     "are type, action, after, within_s, while, until, text, points"},
    {HEAD "[expect.a]\ntext = t\n", "s.ini:6: [expect.a] action: missing required key"},
    {HEAD "[expect.a]\naction = ack x\n", "[expect.a] text: missing required key"},
    {HEAD "[expect.a]\naction = wave hands\ntext = t\n",
     "s.ini:7: [expect.a] action = \"wave hands\": expected KIND WHAT"},
    {HEAD "[expect.a]\naction = ack\ntext = t\n",
     "s.ini:7: [expect.a] action = \"ack\": expected KIND WHAT"},
    {HEAD "[expect.a]\naction = ack x\nafter = soon\ntext = t\n",
     "s.ini:8: [expect.a] after = \"soon\": expected start, alarm NAME"},
    {HEAD "[expect.a]\naction = ack x\nafter = phase BOIL\ntext = t\n",
     "[expect.a] after = \"phase BOIL\": no such phase"},
    {HEAD "[expect.a]\naction = ack x\nafter = event nothing\ntext = t\n",
     "[expect.a] after = \"event nothing\": no [event.nothing] in this file"},
    {HEAD "[expect.a]\naction = ack x\nwithin_s = 12abc\ntext = t\n",
     "s.ini:8: [expect.a] within_s = \"12abc\""},
    {HEAD "[expect.a]\naction = ack x\nwithin_s = -1\ntext = t\n",
     "[expect.a] within_s = \"-1\""},
    {HEAD "[expect.a]\ntype = maybe\naction = ack x\ntext = t\n",
     "[expect.a] type = \"maybe\": expected one of expected, forbidden"},
    {HEAD "[expect.a]\ntype = forbidden\naction = cmd x\nwithin_s = 60\ntext = t\n",
     "[expect.a] within_s: a forbidden action has no time window"},
    {HEAD "[expect.a]\naction = cmd x\nwhile = alarm y\ntext = t\n",
     "[expect.a] while = \"alarm y\": only a forbidden action has a `while`"},
    {HEAD "[expect.a]\ntype = forbidden\naction = cmd x\nwhile = co high\ntext = t\n",
     "[expect.a] while = \"co high\": expected alarm NAME"},
    {HEAD "[expect.a]\naction = ack x\npoints = 1000\ntext = t\n", "[expect.a] points = \"1000\""},
    {HEAD "[expect.a]\naction = cmd tap_close\nuntil = tapped lots\ntext = t\n",
     "s.ini:8: [expect.a] until = \"tapped lots\": expected tapped T, T the tonnes tapped"},
    {HEAD "[expect.a]\naction = cmd tap_close\nuntil = tapped 0\ntext = t\n",
     "[expect.a] until = \"tapped 0\": expected tapped T"},
    {HEAD "[expect.a]\naction = cmd tap_close\nuntil = tapped 7abc\ntext = t\n",
     "[expect.a] until = \"tapped 7abc\": expected tapped T"},
    {HEAD "[expect.a]\naction = cmd tap_close\nafter = tapped 501\ntext = t\n",
     "[expect.a] after = \"tapped 501\": expected tapped T"},
    {HEAD "[expect.a]\naction = cmd tap_close\nuntil = tapped\ntext = t\n",
     "[expect.a] until = \"tapped\": expected alarm NAME, clear NAME, phase NAME, event NAME "
     "or tapped T"},
    {HEAD "[expect.a]\ntype = forbidden\naction = cmd x\nuntil = start\ntext = t\n",
     "[expect.a] until = \"start\": expected alarm NAME, clear NAME, phase NAME, event NAME or "
     "tapped T"},
    {HEAD "[expects.a]\naction = ack x\ntext = t\n",
     "[expects.a]: unknown section (did you mean \"expect.a\"?)"},
    {HEAD "[expect.bad-name]\naction = ack x\ntext = t\n",
     "s.ini:6: [expect.bad-name]: bad expect name \"bad-name\": expected at most 31"},
};

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&ex, 0x5a, sizeof ex);
        static struct exercise before;
        memcpy(&before, &ex, sizeof ex);
        if (load(bad[i].text) == 0)
            fail_msg("case %zu accepted: %s", i, bad[i].text);
        assert_true(errs.n >= 1);
        if (!strstr(errs.e[0].text, bad[i].want))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, errs.e[0].text, bad[i].want);
        assert_memory_equal(&ex, &before, sizeof ex); /* nothing changed */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
