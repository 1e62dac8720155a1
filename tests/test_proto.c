/* test_proto — the client protocol's text codec: escapes round-trip;
 * malformed messages are refused with a reason, never half-parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
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
    for (int i = 0; i < 10000 && !o.overflow; i++)
        proto_kv(&o, "k", "0123456789");
    assert_true(o.overflow);
    assert_true(o.len < sizeof o.buf);
    assert_string_equal(proto_type_name(PT_BYE), "bye");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_round_trip),
        cmocka_unit_test(test_escape_truncates_safely),
        cmocka_unit_test(test_build_and_parse),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_overflow_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
