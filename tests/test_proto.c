/* test_proto — the client protocol's text codec: escapes round-trip;
 * malformed messages are refused with a reason, never half-parsed; every
 * finite double crosses the wire bit for bit (random ones, subnormals, ±0,
 * large integers, 10-digit values), in the C numeric locale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void test_escape_round_trip(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", "plain", "two words", "a=b", "line\nbreak", "100 %", "öäü °C", "x%y", "tab\there",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char esc[256];
        proto_esc(esc, sizeof esc, cases[i]);
        assert_null(strpbrk(esc, " =\n\t"));
        assert_int_equal(proto_unesc(esc), 0);
        assert_string_equal(esc, cases[i]);
    }
    char bad[][8] = {"%", "%4", "%zz", "%00", "a%G1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(proto_unesc(bad[i]), -1);
}

static void test_escape_truncates_safely(void **state)
{
    (void)state;
    char small[5];
    proto_esc(small, sizeof small, "a b c");
    assert_string_equal(small, "a%20"); /* exactly fills 5 bytes with its NUL */
    proto_esc(small, sizeof small, "abcdefgh");
    assert_string_equal(small, "abcd");
}

static void test_build_and_parse(void **state)
{
    (void)state;
    static struct proto_out o;
    static struct proto_msg m;
    char why[200];
    proto_begin(&o, PT_REQ);
    proto_kvi(&o, "id", 7);
    proto_kv(&o, "reason", "after alloying, 5 K up");
    proto_kvf(&o, "value", 745.5);
    proto_nl(&o);
    proto_add(&o, "extra word");
    assert_false(o.overflow);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(m.type, PT_REQ);
    assert_int_equal(m.nlines, 2);
    assert_string_equal(proto_get(&m.line[0], "reason"), "after alloying, 5 K up");
    double v;
    long long id;
    assert_int_equal(proto_getf(&m.line[0], "value", &v), 0);
    assert_true(v == 745.5);
    assert_int_equal(proto_geti(&m.line[0], "id", &id), 0);
    assert_int_equal(id, 7);
    assert_null(proto_get(&m.line[0], "nosuch"));
    assert_int_equal(proto_getf(&m.line[0], "reason", &v), -1);
    assert_string_equal(m.line[1].tok[1], "word");
}

static void test_malformed_refused(void **state)
{
    (void)state;
    static struct proto_msg m;
    char why[200];
    static const struct {
        const char *data;
        size_t len;
        const char *says;
    } cases[] = {
        {"", 0, "0 bytes"},
        {"req 1 id=1\0x", 12, "NUL"},
        {"hack 1 id=1", 11, "unknown message type"},
        {"req 2 id=1", 10, "protocol version 2"},
        {"req", 3, "no header"},
        {"\n\n\n", 3, "no header"},
        {"req 1 reason=%G0", 16, "bad %-escape"},
        {"req 1 a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H I J K L M N O P Q R S T U V W X Y Z", 109, "more than 48 tokens"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = 0;
        assert_int_equal(proto_parse(cases[i].data, cases[i].len, &m, why, sizeof why), -1);
        if (!strstr(why, cases[i].says)) {
            print_error("case %zu: \"%s\" does not say \"%s\"\n", i, why, cases[i].says);
            fail();
        }
    }
    /* too many lines */
    char *big = malloc(PROTO_MAX_LINES * 2 + 16);
    assert_non_null(big);
    strcpy(big, "snap 1");
    size_t n = strlen(big);
    for (int i = 0; i < PROTO_MAX_LINES + 1; i++) {
        big[n++] = '\n';
        big[n++] = 'x';
    }
    assert_int_equal(proto_parse(big, n, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "more than"));
    free(big);
    assert_int_equal(proto_parse("x", PROTO_MAX_MSG + 1, &m, why, sizeof why), -1);
}

static void test_overflow_flagged(void **state)
{
    (void)state;
    static struct proto_out o;
    proto_begin(&o, PT_SNAP);
    for (int i = 0; i < PROTO_MAX_MSG && !o.overflow; i++)
        proto_kv(&o, "k", "0123456789");
    assert_true(o.overflow);
    assert_true(o.len < sizeof o.buf);
    assert_string_equal(proto_type_name(PT_BYE), "bye");
}

/* One number through the wire: proto_kvf, proto_parse, proto_getf.  Returns
 * the text it was sent as (static). */
static const char *wire(double in, double *out, int *got)
{
    static struct proto_out o;
    static struct proto_msg m;
    static char text[64];
    char why[200];
    proto_begin(&o, PT_SNAP);
    proto_kvf(&o, "x", in);
    assert_false(o.overflow);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    snprintf(text, sizeof text, "%s", proto_get(&m.line[0], "x"));
    *got = proto_getf(&m.line[0], "x", out);
    return text;
}

static void assert_same_bits(double in)
{
    double out = NAN;
    int got;
    const char *text = wire(in, &out, &got);
    if (got != 0 || memcmp(&in, &out, sizeof in) != 0) {
        print_error("%a (%.17g) went as \"%s\" and came back %a (getf %d)\n", in, in, text, out,
                    got);
        fail();
    }
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next64(void) /* xorshift64*: the same sequence every run */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Du;
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Property: encode -> decode is the identity on every finite double. */
static void test_numbers_round_trip_bit_identical(void **state)
{
    (void)state;
    static const double edges[] = {
        0.0, -0.0, 1, -1, 0.1, 745.5, 745.3, 7453 * 0.1, 1.0 / 3, DBL_MIN, -DBL_MIN,
        DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MIN - DBL_TRUE_MIN, DBL_MAX, -DBL_MAX, DBL_EPSILON,
        9007199254740992.0, 9007199254740994.0, -9007199254740993.0, 1e300, 123456789012345678.0,
        4294967295.0, 18446744073709551615.0, -2147483648.0, 5002754, 1002240.25,
        1795000000.123456, 9999999999, 1234567890.5,
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        assert_same_bits(edges[i]);
    int subnormal = 0, big = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t u = next64();
        double d;
        switch (i % 4) {
        case 0: d = from_bits(u); break;                             /* any bit pattern */
        case 1: d = from_bits(u & 0x800FFFFFFFFFFFFFu); break;       /* subnormal or ±0 */
        case 2: d = (double)(int64_t)u; break;                       /* large integers */
        default: d = (double)(int64_t)(u >> 30) / 1000.0; break;     /* decimals, 10+ digits */
        }
        if (!isfinite(d))
            continue; /* non-finite: test_numbers_nan_inf */
        subnormal += fpclassify(d) == FP_SUBNORMAL;
        big += fabs(d) >= 1e15;
        assert_same_bits(d);
    }
    assert_true(subnormal > 40000 && big > 40000); /* the cases above were really run */
}

/* The codec's word for non-finite values: written "nan", read as absent. */
static void test_numbers_nan_inf(void **state)
{
    (void)state;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY, from_bits(0x7FF0000000000001u)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double out = 42;
        int got;
        assert_string_equal(wire(bad[i], &out, &got), "nan");
        assert_int_equal(got, -1);
        assert_true(out == 42);
    }
}

/* The text itself: integers as integers, decimals as typed, nothing rounded
 * to 6 digits (plc_clock 5,002,754 was sent as 5.00275e+06). */
static void test_numbers_text_ten_digits(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {5002754, "5002754"},          {1002240.25, "1002240.25"},  {4294967295.0, "4294967295"},
        {9999999999.0, "9999999999"},  {745.5, "745.5"},            {0.1, "0.1"},
        {-0.0, "-0"},                  {1795000000.125, "1795000000.125"},
        {DBL_TRUE_MIN, "4.94065645841247e-324"}, {7453 * 0.1, "745.3000000000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double out;
        int got;
        assert_string_equal(wire(cases[i].v, &out, &got), cases[i].text);
        assert_int_equal(got, 0);
    }
}

/* proto_getf reads the decimals proto_kvf writes and nothing else. */
static void test_getf_strict(void **state)
{
    (void)state;
    static struct proto_msg m;
    char why[200];
    static const char *const bad[] = {
        "0x1p3", "0x10", "inf", "-inf", "nan", "infinity", "1e999", "-1e999", "1,5", "1.5x",
        "", "+", "e5", ".", "1..2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[64];
        char esc[32];
        proto_esc(esc, sizeof esc, bad[i]);
        snprintf(msg, sizeof msg, "snap 1 x=%s", esc);
        assert_int_equal(proto_parse(msg, strlen(msg), &m, why, sizeof why), 0);
        double v = 42;
        if (proto_getf(&m.line[0], "x", &v) != -1 || v != 42) {
            print_error("\"%s\" was read as %g\n", bad[i], v);
            fail();
        }
    }
    const char ok[] = "snap 1 a=-0 b=1e-320 c=+7 d=.5 e=5.E2";
    assert_int_equal(proto_parse(ok, strlen(ok), &m, why, sizeof why), 0);
    double v;
    assert_int_equal(proto_getf(&m.line[0], "a", &v), 0);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(proto_getf(&m.line[0], "b", &v), 0);
    assert_true(v == 1e-320);
    assert_int_equal(proto_getf(&m.line[0], "c", &v), 0);
    assert_true(v == 7);
    assert_int_equal(proto_getf(&m.line[0], "d", &v), 0);
    assert_true(v == 0.5);
    assert_int_equal(proto_getf(&m.line[0], "e", &v), 0);
    assert_true(v == 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_round_trip),
        cmocka_unit_test(test_escape_truncates_safely),
        cmocka_unit_test(test_build_and_parse),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_overflow_flagged),
        cmocka_unit_test(test_numbers_round_trip_bit_identical),
        cmocka_unit_test(test_numbers_nan_inf),
        cmocka_unit_test(test_numbers_text_ten_digits),
        cmocka_unit_test(test_getf_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
