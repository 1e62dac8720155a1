/* test_ident — the account cache: a uid it does not know is answered
 * IDENT_WAIT and looked up on the thread (ident_fd then readable); a known
 * one is answered at once, also while the thread hangs in a lookup for
 * another (the database never holds up the caller); an answer older than
 * IDENT_FRESH_S is served and looked up again, and a failing database then
 * keeps the good answer; a failed lookup is given to the caller and asked
 * again after IDENT_RETRY_S.  The lookup is a fake that the test holds and
 * fails at will (the real one is session_lookup, run against real accounts
 * by t_roles.sh and t_record.sh).  Times are passed in, so nothing here
 * waits for a clock; waits for the thread are bounded at 10 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ident.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool hold, held;
    int rc; /* what the next lookups return: 0, -1, -2 */
    int calls;
} fake;

static int fake_lookup(unsigned uid, const struct cfg_server *srv, struct session_peer *p,
                       char *err, size_t errlen)
{
    (void)srv;
    pthread_mutex_lock(&fake.mu);
    fake.calls++;
    fake.held = true;
    pthread_cond_broadcast(&fake.cv);
    while (fake.hold)
        pthread_cond_wait(&fake.cv, &fake.mu);
    fake.held = false;
    int rc = fake.rc;
    pthread_mutex_unlock(&fake.mu);
    memset(p, 0, sizeof *p);
    p->uid = uid;
    snprintf(p->user, sizeof p->user, "user%u", uid);
    snprintf(err, errlen, rc == -2 ? "the database failed" : "no account for uid %u", uid);
    return rc;
}

static void set_fake(bool hold, int rc)
{
    pthread_mutex_lock(&fake.mu);
    fake.hold = hold;
    fake.rc = rc;
    pthread_cond_broadcast(&fake.cv);
    pthread_mutex_unlock(&fake.mu);
}

/* Wait (bounded) until the thread has answered: the fd is readable. */
static void wait_answer(struct ident *c)
{
    struct pollfd p = {.fd = ident_fd(c), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1);
    ident_ack(c);
}

static void wait_held(void)
{
    double end = clock_mono_s() + 10;
    pthread_mutex_lock(&fake.mu);
    while (!fake.held && clock_mono_s() < end) {
        pthread_mutex_unlock(&fake.mu);
        usleep(1000);
        pthread_mutex_lock(&fake.mu);
    }
    bool held = fake.held;
    pthread_mutex_unlock(&fake.mu);
    assert_true(held);
}

static int setup(void **state)
{
    static struct cfg_server srv;
    set_fake(false, 0);
    fake.calls = 0;
    *state = ident_start(&srv, fake_lookup);
    assert_non_null(*state);
    return 0;
}

static int teardown(void **state)
{
    set_fake(false, 0);
    ident_stop(*state);
    return 0;
}

static void test_miss_then_cached(void **state)
{
    struct ident *c = *state;
    struct session_peer p;
    char err[300];
    double t = clock_mono_s();
    assert_int_equal(ident_get(c, 1000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_answer(c);
    assert_int_equal(ident_get(c, 1000, t, &p, err, sizeof err), IDENT_OK);
    assert_string_equal(p.user, "user1000");
    assert_int_equal(p.uid, 1000);
    assert_int_equal(ident_get(c, 1000, t + 1, &p, err, sizeof err), IDENT_OK);
    assert_int_equal(ident_lookups(c), 1); /* answered from the cache */
}

/* A lookup that hangs holds up nobody but its own uid. */
static void test_hanging_lookup_blocks_no_one_else(void **state)
{
    struct ident *c = *state;
    struct session_peer p;
    char err[300];
    double t = clock_mono_s();
    assert_int_equal(ident_get(c, 1000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_answer(c);
    set_fake(true, 0);
    assert_int_equal(ident_get(c, 2000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_held(); /* the thread hangs in 2000's lookup */
    assert_int_equal(ident_get(c, 1000, t, &p, err, sizeof err), IDENT_OK);
    assert_int_equal(ident_get(c, 2000, t, &p, err, sizeof err), IDENT_WAIT);
    set_fake(false, 0);
    wait_answer(c);
    assert_int_equal(ident_get(c, 2000, t, &p, err, sizeof err), IDENT_OK);
}

static void test_refused_and_failed(void **state)
{
    struct ident *c = *state;
    struct session_peer p;
    char err[300];
    double t = clock_mono_s();
    set_fake(false, -1); /* no such account: an answer, kept */
    assert_int_equal(ident_get(c, 3000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_answer(c);
    assert_int_equal(ident_get(c, 3000, t, &p, err, sizeof err), IDENT_REFUSED);
    assert_string_equal(err, "no account for uid 3000");
    assert_int_equal(ident_get(c, 3000, t + IDENT_RETRY_S + 1, &p, err, sizeof err), IDENT_REFUSED);
    set_fake(false, -2); /* the database failed: told, then forgotten */
    assert_int_equal(ident_get(c, 4000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_answer(c);
    assert_int_equal(ident_get(c, 4000, t, &p, err, sizeof err), IDENT_REFUSED);
    assert_string_equal(err, "the database failed");
    set_fake(false, 0);
    assert_int_equal(ident_get(c, 4000, clock_mono_s() + IDENT_RETRY_S + 1, &p, err, sizeof err),
                     IDENT_WAIT);
    wait_answer(c);
    assert_int_equal(ident_get(c, 4000, clock_mono_s(), &p, err, sizeof err), IDENT_OK);
}

/* Older than IDENT_FRESH_S: served, looked up again; a failing database
 * keeps the good answer. */
static void test_refresh_keeps_good_answer(void **state)
{
    struct ident *c = *state;
    struct session_peer p;
    char err[300];
    double t = clock_mono_s();
    assert_int_equal(ident_get(c, 1000, t, &p, err, sizeof err), IDENT_WAIT);
    wait_answer(c);
    set_fake(false, -2);
    double later = clock_mono_s() + IDENT_FRESH_S + 1;
    assert_int_equal(ident_get(c, 1000, later, &p, err, sizeof err), IDENT_OK); /* served */
    wait_answer(c);
    assert_int_equal(ident_lookups(c), 2); /* and looked up again */
    assert_int_equal(ident_get(c, 1000, later, &p, err, sizeof err), IDENT_OK);
    assert_string_equal(p.user, "user1000");
}

int main(void)
{
    pthread_mutex_init(&fake.mu, NULL);
    pthread_cond_init(&fake.cv, NULL);
    alarm(60); /* a cache that waits on the database hangs: fail instead */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_miss_then_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hanging_lookup_blocks_no_one_else, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_keeps_good_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
