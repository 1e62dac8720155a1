/* test_tag — the register codec: every type and word order round-trips;
 * sentinels and ranges become qualities; encoding refuses, never clamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "tag.h"

static struct cfg_tag mk(enum tag_type ty, enum tag_word_order wo, double scale, double offset)
{
    struct cfg_tag t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "t");
    t.table = ty == TAG_BOOL ? TAG_DI : TAG_HR;
    t.type = ty;
    t.word_order = wo;
    t.scale = scale;
    t.offset = offset;
    return t;
}

static void test_width(void **state)
{
    (void)state;
    static const struct {
        enum tag_type ty;
        int w;
    } cases[] = {{TAG_INT16, 1}, {TAG_UINT16, 1}, {TAG_INT32, 2},
                 {TAG_UINT32, 2}, {TAG_FLOAT32, 2}, {TAG_BOOL, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cfg_tag t = mk(cases[i].ty, WO_ABCD, 1, 0);
        assert_int_equal(tag_width(&t), cases[i].w);
    }
}

/* The byte layout of 0x11223344 in each word order (config/README.md, 'The default register map'). */
static void test_word_orders_layout(void **state)
{
    (void)state;
    static const struct {
        enum tag_word_order wo;
        uint16_t r0, r1;
    } cases[] = {
        {WO_ABCD, 0x1122, 0x3344},
        {WO_CDAB, 0x3344, 0x1122},
        {WO_BADC, 0x2211, 0x4433},
        {WO_DCBA, 0x4433, 0x2211},
    };
    for (size_t i = 0; i < 4; i++) {
        struct cfg_tag t = mk(TAG_UINT32, cases[i].wo, 1, 0);
        uint16_t r[2] = {0, 0};
        char err[200];
        assert_int_equal(tag_encode(&t, (double)0x11223344u, r, err, sizeof err), 0);
        assert_int_equal(r[0], cases[i].r0);
        assert_int_equal(r[1], cases[i].r1);
        double v = 0;
        assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
        assert_true(v == (double)0x11223344u);
    }
}

static void test_round_trip_every_type_and_order(void **state)
{
    (void)state;
    static const struct {
        enum tag_type ty;
        double scale, offset;
        double values[5];
    } cases[] = {
        {TAG_INT16, 0.1, 0, {-3276.8, -0.1, 0, 740.3, 3276.6}},
        {TAG_UINT16, 0.01, 0, {0, 0.01, 2.5, 21.0, 655.35}},
        {TAG_INT32, 1, 0, {-2147483648.0, -1, 0, 65536, 2147483647.0}},
        {TAG_UINT32, 1, 0, {0, 1, 65535, 65536, 4294967295.0}},
        {TAG_FLOAT32, 1, 0, {-1.5, 0, 0.25, 740.125, 1.0e6}},
        {TAG_INT16, 0.5, -100, {-100, -50.5, 0, 100, 1000}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int wo = WO_ABCD; wo <= WO_DCBA; wo++) {
            struct cfg_tag t = mk(cases[i].ty, (enum tag_word_order)wo, cases[i].scale,
                                  cases[i].offset);
            for (int k = 0; k < 5; k++) {
                uint16_t r[2] = {0xdead, 0xbeef};
                char err[200] = "";
                double in = cases[i].values[k], out = NAN;
                assert_int_equal(tag_encode(&t, in, r, err, sizeof err), 0);
                assert_int_equal(tag_decode(&t, r, &out), Q_GOOD);
                assert_true(fabs(out - in) <= fabs(cases[i].scale) * 0.5 + 1e-9);
            }
        }
    }
}

static void test_bool(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_BOOL, WO_ABCD, 1, 0);
    uint16_t r[1] = {0};
    char err[200];
    double v = -1;
    assert_int_equal(tag_encode(&t, 1, r, err, sizeof err), 0);
    assert_int_equal(r[0], 1);
    assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
    assert_true(v == 1);
    r[0] = 0;
    assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
    assert_true(v == 0);
    r[0] = 7;
    assert_int_equal(tag_encode(&t, 0.5, r, err, sizeof err), -1);
    assert_int_equal(r[0], 7);
    assert_non_null(strstr(err, "not 0 or 1"));
}

static void test_sentinel_and_range_quality(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_INT16, WO_ABCD, 0.1, 0);
    t.table = TAG_IR;
    t.has_fault = true;
    t.fault = 32767;
    t.has_range = true;
    t.range_lo = 0;
    t.range_hi = 1400;
    static const struct {
        uint16_t raw;
        enum tag_quality q;
        double v;
    } cases[] = {
        {7400, Q_GOOD, 740.0},
        {0, Q_GOOD, 0},
        {14000, Q_GOOD, 1400},
        {14001, Q_BAD_SENSOR, 1400.1},       /* above range */
        {(uint16_t)-5, Q_BAD_SENSOR, -0.5},  /* below range */
        {32767, Q_BAD_SENSOR, 12345},        /* broken thermocouple: value untouched */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t r[1] = {cases[i].raw};
        double v = 12345;
        assert_int_equal(tag_decode(&t, r, &v), cases[i].q);
        assert_true(fabs(v - cases[i].v) < 1e-9);
    }
    uint16_t r[1];
    tag_encode_fault(&t, r);
    assert_int_equal(r[0], 32767);
    double v;
    assert_int_equal(tag_decode(&t, r, &v), Q_BAD_SENSOR);
}

static void test_encode_refuses_without_clamping(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_UINT16, WO_ABCD, 0.1, 0);
    t.writable = true;
    t.has_range = true;
    t.range_lo = 0;
    t.range_hi = 100;
    static const struct {
        double v;
        const char *why;
    } bad[] = {
        {100.1, "outside its range"}, {-0.1, "outside its range"}, {NAN, "not a finite"},
        {INFINITY, "not a finite"},   {-INFINITY, "not a finite"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t r[1] = {4242};
        char err[200] = "";
        assert_int_equal(tag_encode(&t, bad[i].v, r, err, sizeof err), -1);
        assert_int_equal(r[0], 4242);
        assert_non_null(strstr(err, bad[i].why));
    }
    /* no valid range: still refused when the register cannot hold it */
    struct cfg_tag u = mk(TAG_INT16, WO_ABCD, 0.1, 0);
    uint16_t r[1] = {4242};
    char err[200] = "";
    assert_int_equal(tag_encode(&u, 4000.0, r, err, sizeof err), -1);
    assert_int_equal(r[0], 4242);
    assert_non_null(strstr(err, "does not fit"));
    /* a value that would be sent as the fault sentinel is refused */
    u.has_fault = true;
    u.fault = 32767;
    assert_int_equal(tag_encode(&u, 3276.7, r, err, sizeof err), -1);
    assert_non_null(strstr(err, "sentinel"));
}

static void test_encode_sensor_saturates_and_avoids_sentinel(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_INT16, WO_ABCD, 0.1, 0);
    t.has_fault = true;
    t.fault = 32767;
    t.has_range = true;
    t.range_lo = 0;
    t.range_hi = 1400;
    uint16_t r[1];
    double v;
    tag_encode_sensor(&t, 1500, r); /* over range: sent as is, read as BAD */
    assert_int_equal((int16_t)r[0], 15000);
    assert_int_equal(tag_decode(&t, r, &v), Q_BAD_SENSOR);
    tag_encode_sensor(&t, 99999, r); /* past the type: saturates short of the sentinel */
    assert_int_equal((int16_t)r[0], 32766);
    tag_encode_sensor(&t, -99999, r);
    assert_int_equal((int16_t)r[0], -32768);
    tag_encode_sensor(&t, NAN, r);
    assert_int_equal(r[0], 0);
}

static void test_raw_and_names(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_INT16, WO_ABCD, 0.1, 0);
    uint16_t r[1] = {(uint16_t)-123};
    assert_true(tag_raw(&t, r) == -123);
    assert_string_equal(tag_quality_name(Q_GOOD), "GOOD");
    assert_string_equal(tag_quality_name(Q_BAD_SENSOR), "BAD");
    assert_string_equal(tag_quality_name(Q_BAD_COMMS), "COMMS");
    assert_string_equal(tag_quality_name(Q_STALE), "STALE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_word_orders_layout),
        cmocka_unit_test(test_round_trip_every_type_and_order),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_sentinel_and_range_quality),
        cmocka_unit_test(test_encode_refuses_without_clamping),
        cmocka_unit_test(test_encode_sensor_saturates_and_avoids_sentinel),
        cmocka_unit_test(test_raw_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
