/* test_util — the shared small helpers (config/util.c) and the clock
 * readers (config/clock.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "clock.h"
#include "util.h"

static void test_str_copy_fits_and_cuts(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        size_t n;
        const char *want;
        bool fits;
    } cases[] = {
        {"abc", 4, "abc", true},
        {"abcd", 4, "abc", false},
        {"", 1, "", true},
        {"a", 1, "", false},
        {NULL, 4, "", true},
        {"h\xc3\xa9llo", 3, "h", false},
        {"h\xc3\xa9llo", 4, "h\xc3\xa9", false},
        {"exact", 6, "exact", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[8];
        memset(buf, 'X', sizeof buf);
        assert_int_equal(str_copy(buf, cases[i].n, cases[i].src), cases[i].fits);
        assert_string_equal(buf, cases[i].want);
        /* nothing written past n */
        for (size_t j = cases[i].n; j < sizeof buf; j++)
            assert_int_equal(buf[j], 'X');
    }
}

static void test_str_copy_zero_size(void **state)
{
    (void)state;
    char c = 'X';
    assert_false(str_copy(&c, 0, "a"));
    assert_true(str_copy(&c, 0, ""));
    assert_int_equal(c, 'X');
}

static void test_err_set(void **state)
{
    (void)state;
    char err[16];
    assert_int_equal(err_set(err, sizeof err, "bad %s = %d", "key", 42), -1);
    assert_string_equal(err, "bad key = 42");
    assert_int_equal(err_set(err, 4, "%s", "truncated"), -1);
    assert_string_equal(err, "tru");
    assert_int_equal(err_set(NULL, 0, "%s", "nowhere"), -1);
}

static void test_dec_digits(void **state)
{
    (void)state;
    char s[8] = "xxxxxxx";
    dec_write(s, 2026, 4);
    assert_memory_equal(s, "2026xxx", 7);
    dec_write(s, 7, 3);
    assert_memory_equal(s, "007", 3);
    dec_write(s, 12345, 2); /* higher digits dropped */
    assert_memory_equal(s, "45", 2);
    assert_int_equal(dec_read("2026-12", 4), 2026);
    assert_int_equal(dec_read("0099", 4), 99);
    assert_int_equal(dec_read("12a4", 4), -1);
    assert_int_equal(dec_read(" 123", 4), -1);
    assert_int_equal(dec_read("-12", 3), -1);
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t a = clock_mono_ns();
    double s = clock_mono_s();
    int64_t b = clock_mono_ns();
    assert_true(b >= a);
    /* the seconds reading lies between the two nanosecond readings */
    assert_true(s >= (double)a / 1e9 - 1e-6 && s <= (double)b / 1e9 + 1e-6);
    assert_true(clock_wall_s() > 1.7e9); /* after 2023: a real wall clock */
    struct timespec ts = clock_ts(3500000001LL);
    assert_int_equal(ts.tv_sec, 3);
    assert_int_equal(ts.tv_nsec, 500000001L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_copy_fits_and_cuts),
        cmocka_unit_test(test_str_copy_zero_size),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test(test_dec_digits),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
