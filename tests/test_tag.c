/* test_tag — the register codec: every type and word order round-trips;
 * sentinels (in the tag's own type), NaN and infinity and ranges become
 * qualities, never numbers; encoding refuses, never clamps. */
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

/* ---- every type x word order x edge, from the registers' bits ---------------------------- */

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The registers of a 32-bit value A B C D in a word order, written out
 * independently of tag.c (the layout table of test_word_orders_layout). */
static void pack(enum tag_type ty, enum tag_word_order wo, uint32_t v, uint16_t r[2])
{
    uint16_t ab = (uint16_t)(v >> 16), cd = (uint16_t)v;
    uint16_t ba = (uint16_t)(ab << 8 | ab >> 8), dc = (uint16_t)(cd << 8 | cd >> 8);
    r[0] = r[1] = 0xA5A5;
    if (ty != TAG_INT32 && ty != TAG_UINT32 && ty != TAG_FLOAT32) {
        r[0] = (uint16_t)v;
        return;
    }
    switch (wo) {
    case WO_ABCD: r[0] = ab; r[1] = cd; break;
    case WO_CDAB: r[0] = cd; r[1] = ab; break;
    case WO_BADC: r[0] = ba; r[1] = dc; break;
    case WO_DCBA: r[0] = dc; r[1] = ba; break;
    }
}

#define UNTOUCHED 12345.678 /* what *eng holds before: a BAD value without a number keeps it */

static void test_decode_edges_every_type_and_order(void **state)
{
    (void)state;
    static const struct row {
        const char *what;
        enum tag_type ty;
        double scale, offset;
        bool has_fault;
        double fault;
        bool has_range;
        double lo, hi;
        uint32_t bits; /* the raw value as the registers carry it */
        enum tag_quality q;
        double eng; /* UNTOUCHED: no number may come out */
    } rows[] = {
        /* int16 at 0.1, thermocouple sentinel 32767 */
        {"int16 normal", TAG_INT16, 0.1, 0, true, 32767, false, 0, 0, 7453, Q_GOOD, 745.3},
        {"int16 sentinel", TAG_INT16, 0.1, 0, true, 32767, false, 0, 0, 32767, Q_BAD_SENSOR, UNTOUCHED},
        {"int16 min raw", TAG_INT16, 0.1, 0, true, 32767, false, 0, 0, 0x8000, Q_GOOD, -3276.8},
        {"int16 max raw", TAG_INT16, 0.1, 0, false, 0, false, 0, 0, 0x7FFF, Q_GOOD, 3276.7},
        {"int16 above range", TAG_INT16, 0.1, 0, true, 32767, true, 0, 1400, 14001, Q_BAD_SENSOR, 1400.1},
        {"int16 below range", TAG_INT16, 0.1, 0, true, 32767, true, 0, 1400, 0xFFFF, Q_BAD_SENSOR, -0.1},
        {"int16 offset", TAG_INT16, 0.5, -100, false, 0, false, 0, 0, 0xFFFF, Q_GOOD, -100.5},
        /* uint16 at 0.01, sentinel 65535 */
        {"uint16 normal", TAG_UINT16, 0.01, 0, true, 65535, false, 0, 0, 2095, Q_GOOD, 20.95},
        {"uint16 sentinel", TAG_UINT16, 0.01, 0, true, 65535, false, 0, 0, 65535, Q_BAD_SENSOR, UNTOUCHED},
        {"uint16 min raw", TAG_UINT16, 0.01, 0, true, 65535, false, 0, 0, 0, Q_GOOD, 0},
        {"uint16 max raw", TAG_UINT16, 0.01, 0, false, 0, false, 0, 0, 65535, Q_GOOD, 655.35},
        {"uint16 above range", TAG_UINT16, 0.01, 0, true, 65535, true, 0, 25, 2501, Q_BAD_SENSOR, 25.01},
        /* int32 */
        {"int32 normal", TAG_INT32, 1, 0, true, -2147483648.0, false, 0, 0, 5002754, Q_GOOD, 5002754},
        {"int32 sentinel", TAG_INT32, 1, 0, true, -2147483648.0, false, 0, 0, 0x80000000u, Q_BAD_SENSOR, UNTOUCHED},
        {"int32 min raw", TAG_INT32, 1, 0, false, 0, false, 0, 0, 0x80000000u, Q_GOOD, -2147483648.0},
        {"int32 max raw", TAG_INT32, 0.001, 0, true, -2147483648.0, false, 0, 0, 0x7FFFFFFFu, Q_GOOD, 2147483.647},
        {"int32 below range", TAG_INT32, 1, 0, false, 0, true, 0, 1e6, 0xFFFFFFFFu, Q_BAD_SENSOR, -1},
        /* uint32: the PLC clock */
        {"uint32 normal", TAG_UINT32, 1, 0, true, 4294967295.0, false, 0, 0, 5002754, Q_GOOD, 5002754},
        {"uint32 sentinel", TAG_UINT32, 1, 0, true, 4294967295.0, false, 0, 0, 0xFFFFFFFFu, Q_BAD_SENSOR, UNTOUCHED},
        {"uint32 min raw", TAG_UINT32, 1, 0, true, 4294967295.0, false, 0, 0, 0, Q_GOOD, 0},
        {"uint32 max raw", TAG_UINT32, 1, 0, false, 0, false, 0, 0, 0xFFFFFFFFu, Q_GOOD, 4294967295.0},
        {"uint32 above range", TAG_UINT32, 0.1, 0, false, 0, true, 0, 1e8, 1000000001u, Q_BAD_SENSOR, 100000000.1},
        /* float32: the thermocouple's -9999.9 is the float -9999.900390625 */
        {"float32 normal", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0x443A6000u /* 745.5f */, Q_GOOD, 745.5},
        {"float32 sentinel", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0xC61C3F9Au /* -9999.9f */, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 beside the sentinel", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0xC61C3F99u, Q_GOOD, -9999.8994140625},
        {"float32 quiet NaN", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0x7FC00000u, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 negative NaN", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0xFFC00000u, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 signalling NaN", TAG_FLOAT32, 1, 0, false, 0, true, -1e30, 1e30, 0x7F800001u, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 NaN all ones", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0xFFFFFFFFu, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 +Inf", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0x7F800000u, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 -Inf", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0xFF800000u, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 max raw", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0x7F7FFFFFu, Q_GOOD, FLT_MAX},
        {"float32 min raw", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0xFF7FFFFFu, Q_GOOD, -FLT_MAX},
        {"float32 subnormal", TAG_FLOAT32, 1, 0, false, 0, false, 0, 0, 0x00000001u, Q_GOOD, 0x1p-149},
        {"float32 -0", TAG_FLOAT32, 1, 0, true, -9999.9, false, 0, 0, 0x80000000u, Q_GOOD, 0.0}, /* + offset 0 */
        {"float32 scaled past double", TAG_FLOAT32, 1e300, 0, false, 0, false, 0, 0, 0x7F7FFFFFu, Q_BAD_SENSOR, UNTOUCHED},
        {"float32 above range", TAG_FLOAT32, 1, 0, true, -9999.9, true, 0, 1400, 0x44AF1000u /* 1400.5f */, Q_BAD_SENSOR, 1400.5},
        /* bool */
        {"bool 0", TAG_BOOL, 1, 0, false, 0, false, 0, 0, 0, Q_GOOD, 0},
        {"bool 1", TAG_BOOL, 1, 0, false, 0, false, 0, 0, 1, Q_GOOD, 1},
    };
    int run = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        for (int wo = WO_ABCD; wo <= WO_DCBA; wo++) {
            struct cfg_tag t = mk(w->ty, (enum tag_word_order)wo, w->scale, w->offset);
            t.has_fault = w->has_fault;
            t.fault = w->fault;
            t.has_range = w->has_range;
            t.range_lo = w->lo;
            t.range_hi = w->hi;
            uint16_t r[2];
            pack(w->ty, (enum tag_word_order)wo, w->bits, r);
            double eng = UNTOUCHED;
            enum tag_quality q = tag_decode(&t, r, &eng);
            /* bit for bit: 7453 at 0.1 is the double nearest 745.3 */
            if (q != w->q || memcmp(&eng, &w->eng, sizeof eng) != 0) {
                print_error("%s, word order %d: registers %04x %04x decode as %s %.17g, want %s "
                            "%.17g\n",
                            w->what, wo, r[0], r[1], tag_quality_name(q), eng,
                            tag_quality_name(w->q), w->eng);
                fail();
            }
            run++;
        }
    }
    assert_int_equal(run, 4 * (int)(sizeof rows / sizeof rows[0]));
}

/* The sentinel as each side of the wire sees it: what tag_encode_fault
 * writes is read BAD in every type and word order; a value that would be
 * written as the sentinel is refused, compared in the tag's own type. */
static void test_sentinel_in_the_tags_own_type(void **state)
{
    (void)state;
    static const struct {
        enum tag_type ty;
        double scale, fault;
    } cases[] = {
        {TAG_INT16, 0.1, 32767},         {TAG_INT16, 0.1, -32768},   {TAG_UINT16, 0.01, 65535},
        {TAG_INT32, 1, -2147483648.0},   {TAG_UINT32, 1, 4294967295.0},
        {TAG_FLOAT32, 1, -9999.9},       {TAG_FLOAT32, 0.1, 1e30},   {TAG_FLOAT32, 1, 0.1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int wo = WO_ABCD; wo <= WO_DCBA; wo++) {
            struct cfg_tag t = mk(cases[i].ty, (enum tag_word_order)wo, cases[i].scale, 0);
            t.has_fault = true;
            t.fault = cases[i].fault;
            uint16_t r[2] = {0, 0};
            double eng = UNTOUCHED;
            tag_encode_fault(&t, r);
            assert_int_equal(tag_decode(&t, r, &eng), Q_BAD_SENSOR);
            assert_true(eng == UNTOUCHED);
            /* the value a reader would take from the sentinel's registers, sent back */
            double as_read = tag_raw(&t, r) * cases[i].scale;
            uint16_t w[2] = {0x1111, 0x2222};
            char err[200] = "";
            assert_int_equal(tag_encode(&t, as_read, w, err, sizeof err), -1);
            assert_non_null(strstr(err, "fault sentinel"));
            assert_true(w[0] == 0x1111 && w[1] == 0x2222);
            /* a sensor at the sentinel's value is sent beside it, read GOOD */
            tag_encode_sensor(&t, as_read, w);
            assert_int_equal(tag_decode(&t, w, &eng), Q_GOOD);
        }
    }
    /* the configured double itself, for a float32 tag: -9999.9 is refused too */
    struct cfg_tag t = mk(TAG_FLOAT32, WO_ABCD, 1, 0);
    t.has_fault = true;
    t.fault = -9999.9;
    uint16_t w[2] = {0, 0};
    char err[200];
    assert_int_equal(tag_encode(&t, -9999.9, w, err, sizeof err), -1);
    assert_int_equal(tag_encode(&t, -9999.9004, w, err, sizeof err), -1);
    assert_int_equal(tag_encode(&t, -9999.8, w, err, sizeof err), 0);
    assert_int_equal(fbits(-9999.8f), (uint32_t)w[0] << 16 | w[1]);
}

/* A float32 value the type cannot hold is refused, not sent as 0 or inf. */
static void test_float32_encode_limits(void **state)
{
    (void)state;
    struct cfg_tag t = mk(TAG_FLOAT32, WO_CDAB, 1, 0);
    static const double bad[] = {1e-50, -1e-46, 3.5e38, -1e39};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint16_t r[2] = {0x1111, 0x2222};
        char err[200] = "";
        assert_int_equal(tag_encode(&t, bad[i], r, err, sizeof err), -1);
        assert_non_null(strstr(err, "does not fit"));
        assert_true(r[0] == 0x1111 && r[1] == 0x2222);
    }
    uint16_t r[2];
    char err[200];
    double v;
    assert_int_equal(tag_encode(&t, 1e-40, r, err, sizeof err), 0); /* a float32 subnormal */
    assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
    assert_true(v == (double)1e-40f);
    assert_int_equal(tag_encode(&t, -0.0, r, err, sizeof err), 0);
    assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
    assert_true(v == 0);
}

/* A decimal scale reads as the decimal: every int16 raw value at 0.1 (and
 * uint16 at 0.01) decodes to the double strtod gives for its text. */
static void test_decimal_scale_exact(void **state)
{
    (void)state;
    static const struct {
        enum tag_type ty;
        double scale;
        int digits;
    } cases[] = {{TAG_INT16, 0.1, 1}, {TAG_UINT16, 0.01, 2}, {TAG_INT16, 0.001, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cfg_tag t = mk(cases[i].ty, WO_ABCD, cases[i].scale, 0);
        int div = cases[i].digits == 1 ? 10 : cases[i].digits == 2 ? 100 : 1000;
        for (long raw = 0; raw <= 65535; raw++) {
            uint16_t r[1] = {(uint16_t)raw};
            long n = cases[i].ty == TAG_INT16 ? (int16_t)r[0] : (long)r[0];
            char text[32];
            snprintf(text, sizeof text, "%s%ld.%0*ld", n < 0 ? "-" : "", labs(n) / div,
                     cases[i].digits, labs(n) % div);
            double v, want = strtod(text, NULL);
            assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
            if (v != want) {
                print_error("raw %ld at %g decodes as %.17g, not %s\n", n, cases[i].scale, v,
                            text);
                fail();
            }
        }
    }
    /* any other scale is a product */
    struct cfg_tag t = mk(TAG_INT16, WO_ABCD, 0.3, 1);
    uint16_t r[1] = {7};
    double v;
    assert_int_equal(tag_decode(&t, r, &v), Q_GOOD);
    assert_true(v == 7 * 0.3 + 1);
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
        cmocka_unit_test(test_decode_edges_every_type_and_order),
        cmocka_unit_test(test_sentinel_in_the_tags_own_type),
        cmocka_unit_test(test_float32_encode_limits),
        cmocka_unit_test(test_decimal_scale_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
