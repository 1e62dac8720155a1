/* test_numtext — a double as text for another program: read back bit for
 * bit, shortest for decimals of up to 15 digits, non-finite values named,
 * a short buffer reported, errno left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

static void test_texts(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {745.5, "745.5"},
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {5002754, "5002754"},
        {4294967295.0, "4294967295"},
        {1e15, "1e+15"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {-DBL_MIN, "-2.2250738585072014e-308"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {NAN, "nan"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[NUMTEXT_MAX];
        assert_true(numtext(buf, sizeof buf, cases[i].v));
        assert_string_equal(buf, cases[i].text);
        if (isfinite(cases[i].v)) {
            double back = strtod(buf, NULL);
            assert_memory_equal(&back, &cases[i].v, sizeof back);
        }
    }
}

static void test_short_buffer_and_errno(void **state)
{
    (void)state;
    char buf[6] = "xxxxx";
    assert_false(numtext(buf, sizeof buf, 745.125));
    assert_string_equal(buf, "745.1");
    assert_false(numtext(buf, 0, 1));
    assert_string_equal(buf, "745.1"); /* n == 0: nothing written */
    char big[NUMTEXT_MAX];
    errno = EINTR;
    assert_true(numtext(big, sizeof big, DBL_TRUE_MIN)); /* strtod says ERANGE inside */
    assert_int_equal(errno, EINTR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_short_buffer_and_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
