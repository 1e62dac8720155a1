/* test_quota — refusals journalled per account and window (quota.h): the
 * first per_window in a window one by one, the rest counted and handed
 * back once as a summary when the window is over; accounts apart; a table
 * full of accounts in their windows shares one entry for the rest, so the
 * bound on lines holds however many accounts flood; at shutdown every count
 * comes out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "quota.h"

/* Every summary due at now; returns how many, the sum of their counts in *sum. */
static int drain(struct quota *q, double now, bool all, unsigned long *sum)
{
    char user[CFG_NAME_MAX];
    unsigned long n;
    double span;
    int k = 0;
    *sum = 0;
    while (quota_due(q, now, all, user, &n, &span)) {
        assert_true(n > 0);
        *sum += n;
        k++;
    }
    return k;
}

static void test_first_lines_then_counted(void **state)
{
    (void)state;
    static struct quota q;
    memset(&q, 0, sizeof q);
    int journalled = 0;
    for (int i = 0; i < 1000; i++) /* 1000 refusals in 1 s */
        journalled += quota_take(&q, "relview", 100.0 + i * 0.001, 10);
    assert_int_equal(journalled, 10);
    assert_int_equal(q.held_total, 990);

    char user[CFG_NAME_MAX];
    unsigned long n = 0;
    double span = 0;
    assert_false(quota_due(&q, 109.9, false, user, &n, &span)); /* window not over */
    assert_true(quota_due(&q, 110.0, false, user, &n, &span));
    assert_string_equal(user, "relview");
    assert_int_equal(n, 990);
    assert_true(span >= 10.0 && span < 10.1);
    assert_false(quota_due(&q, 110.0, false, user, &n, &span)); /* once */

    /* a new window: ten more lines */
    journalled = 0;
    for (int i = 0; i < 20; i++)
        journalled += quota_take(&q, "relview", 111.0, 10);
    assert_int_equal(journalled, 10);
}

/* A steady flood: at most per_window + 1 lines per window, whatever the
 * rate, and every refusal either a line of its own or in a summary. */
static void test_flood_bound(void **state)
{
    (void)state;
    static struct quota q;
    memset(&q, 0, sizeof q);
    long total = 0, own = 0, summaries = 0;
    unsigned long counted = 0, sum;
    for (double t = 0; t < 60.0; t += 0.0003, total++) { /* 200 000 refusals in 60 s */
        own += quota_take(&q, "relview", t, 10);
        summaries += drain(&q, t, false, &sum);
        counted += sum;
    }
    summaries += drain(&q, 60.0, true, &sum);
    counted += sum;
    assert_true(own + summaries <= 7 * 11); /* six whole windows and a part */
    assert_true(own >= 6 * 10);
    assert_int_equal(own + (long)counted, total);
    assert_int_equal(q.held_total, counted);
}

/* Accounts are apart: one flooding does not use up another's lines. */
static void test_accounts_apart(void **state)
{
    (void)state;
    static struct quota q;
    memset(&q, 0, sizeof q);
    for (int i = 0; i < 500; i++)
        quota_take(&q, "relview", 5.0, 10);
    int op = 0;
    for (int i = 0; i < 3; i++)
        op += quota_take(&q, "anna", 5.5, 10);
    assert_int_equal(op, 3);
    unsigned long sum;
    assert_int_equal(drain(&q, 15.5, false, &sum), 1); /* relview's only: anna held none */
    assert_int_equal(sum, 490);
}

/* More accounts than the table: the rest share one entry, still bounded. */
static void test_table_full(void **state)
{
    (void)state;
    static struct quota q;
    memset(&q, 0, sizeof q);
    int lines = 0;
    char name[CFG_NAME_MAX];
    for (int a = 0; a < 3 * QUOTA_ACCOUNTS; a++) {
        snprintf(name, sizeof name, "u%d", a);
        for (int i = 0; i < 100; i++)
            lines += quota_take(&q, name, 1.0, 10);
    }
    /* QUOTA_ACCOUNTS accounts of their own, the rest as one */
    assert_int_equal(lines, (QUOTA_ACCOUNTS + 1) * 10);
    char user[CFG_NAME_MAX];
    unsigned long n, total = 0;
    double span;
    bool others = false;
    int k = 0;
    while (quota_due(&q, 11.0, false, user, &n, &span)) {
        others |= !strcmp(user, QUOTA_OTHERS);
        total += n;
        k++;
    }
    assert_true(others);
    assert_int_equal(k, QUOTA_ACCOUNTS + 1);
    assert_int_equal(total, 3 * QUOTA_ACCOUNTS * 100 - (QUOTA_ACCOUNTS + 1) * 10);
    /* the table is free again */
    assert_true(quota_take(&q, "u0", 12.0, 10));
}

/* At shutdown every held count comes out, window over or not. */
static void test_shutdown_flushes(void **state)
{
    (void)state;
    static struct quota q;
    memset(&q, 0, sizeof q);
    for (int i = 0; i < 15; i++)
        quota_take(&q, "relview", 1.0, 10);
    unsigned long sum;
    assert_int_equal(drain(&q, 3.0, false, &sum), 0);
    char user[CFG_NAME_MAX];
    unsigned long n;
    double span;
    assert_true(quota_due(&q, 3.0, true, user, &n, &span));
    assert_int_equal(n, 5);
    assert_true(span >= 2.0 && span < 2.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_lines_then_counted),
        cmocka_unit_test(test_flood_bound),
        cmocka_unit_test(test_accounts_apart),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_shutdown_flushes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
