/* test_server — the pure parts of the server shell and the CLI: roles from
 * groups, where the socket and the state live, time arguments, JSON
 * escaping, cycle lateness statistics, the never-drifting schedule, process
 * time from plc_clock, and the server's send policy on a real socket pair
 * (skip a snapshot, queue a reply, drop a client that reads nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "proto.h"
#include "server.h"
#include "session.h"

/* ---- roles ------------------------------------------------------------------------- */

static const struct {
    unsigned uid;
    const char *viewer_group;
    const char *groups[3];
    int want;
} role_cases[] = {
    {0, "", {NULL}, ROLE_ENGINEER},            /* root, no groups */
    {0, "meltview", {"users"}, ROLE_ENGINEER}, /* root even outside the groups */
    {1000, "", {"users", "melteng"}, ROLE_ENGINEER},
    {1000, "", {"meltop", "melteng"}, ROLE_ENGINEER}, /* the higher role wins */
    {1000, "", {"meltop"}, ROLE_OPERATOR},
    {1000, "", {"users", "audio"}, ROLE_VIEWER}, /* no viewer_group: anyone views */
    {1000, "meltview", {"meltview"}, ROLE_VIEWER},
    {1000, "meltview", {"meltop"}, ROLE_OPERATOR},
    {1000, "meltview", {"users"}, -1}, /* refused */
    {1000, "meltview", {NULL}, -1},
    {1000, "", {"meltopx", "xmelteng"}, ROLE_VIEWER}, /* names match whole */
};

static void test_role_from_groups(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof role_cases / sizeof role_cases[0]; i++) {
        struct cfg_server srv;
        memset(&srv, 0, sizeof srv);
        strcpy(srv.operator_group, "meltop");
        strcpy(srv.engineer_group, "melteng");
        strcpy(srv.viewer_group, role_cases[i].viewer_group);
        char groups[3][CFG_NAME_MAX];
        int n = 0;
        while (n < 3 && role_cases[i].groups[n]) {
            strcpy(groups[n], role_cases[i].groups[n]);
            n++;
        }
        int got = session_role(role_cases[i].uid, (const char(*)[CFG_NAME_MAX])groups, n, &srv);
        if (got != role_cases[i].want)
            fail_msg("case %zu: role %d, want %d", i, got, role_cases[i].want);
    }
}

static void test_role_empty_groups_never_match(void **state)
{
    (void)state;
    struct cfg_server srv;
    memset(&srv, 0, sizeof srv); /* no group names configured at all */
    char groups[1][CFG_NAME_MAX] = {""};
    assert_int_equal(session_role(1000, (const char(*)[CFG_NAME_MAX])groups, 1, &srv), ROLE_VIEWER);
    strcpy(srv.viewer_group, "meltview");
    assert_int_equal(session_role(1000, (const char(*)[CFG_NAME_MAX])groups, 1, &srv), -1);
}

/* ---- paths ------------------------------------------------------------------------- */

static void test_socket_path(void **state)
{
    (void)state;
    static struct cfg c;
    char buf[108], err[300], want[108];
    cfg_defaults(&c);
    strcpy(c.furnace.name, "tcf1");
    strcpy(c.path, "test.ini");

    strcpy(c.server.socket, "/run/meltcon/tcf1.sock");
    assert_int_equal(session_socket_path(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "/run/meltcon/tcf1.sock");

    c.server.socket[0] = 0;
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    assert_int_equal(session_socket_path(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "/run/user/1000/meltcon-tcf1.sock");

    unsetenv("XDG_RUNTIME_DIR");
    assert_int_equal(session_socket_path(&c, buf, sizeof buf, err, sizeof err), 0);
    snprintf(want, sizeof want, "/tmp/meltcon-%u/meltcon-tcf1.sock", (unsigned)getuid());
    assert_string_equal(buf, want);

    memset(c.server.socket, 'x', 150); /* longer than a socket address holds */
    c.server.socket[0] = '/';
    c.server.socket[150] = 0;
    strcpy(buf, "unchanged");
    assert_int_equal(session_socket_path(&c, buf, sizeof buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 107 bytes"));
    assert_string_equal(buf, "unchanged");
}

static void test_state_dir(void **state)
{
    (void)state;
    static struct cfg c;
    char buf[300], err[300];
    cfg_defaults(&c);
    strcpy(c.furnace.name, "tcf1");
    strcpy(c.server.state_dir, "/var/lib/meltcon/tcf1");
    assert_int_equal(session_state_dir(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "/var/lib/meltcon/tcf1");
    c.server.state_dir[0] = 0;
    setenv("XDG_STATE_HOME", "/home/anna/.local/state", 1);
    assert_int_equal(session_state_dir(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "/home/anna/.local/state/meltcon/tcf1");
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/bob", 1);
    assert_int_equal(session_state_dir(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "/home/bob/.local/state/meltcon/tcf1");
    strcpy(c.server.state_dir, "state"); /* relative: from the current directory */
    assert_int_equal(session_state_dir(&c, buf, sizeof buf, err, sizeof err), 0);
    assert_true(buf[0] == '/');
    assert_non_null(strstr(buf, "/state"));
}

/* ---- time arguments -------------------------------------------------------------- */

static double utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (double)timegm(&tm);
}

static void test_time_absolute(void **state)
{
    (void)state;
    char err[300];
    double t = -1, now = 1e9;
    setenv("TZ", "UTC0", 1);
    tzset();
    assert_int_equal(cli_parse_time("2026-11-29T10:00Z", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 10, 0, 0));
    assert_int_equal(cli_parse_time("2026-11-29T10:00", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 10, 0, 0)); /* local = UTC here */
    assert_int_equal(cli_parse_time("2026-11-29 10:00:30.5", now, &t, err, sizeof err), 0);
    assert_true(fabs(t - (utc(2026, 11, 29, 10, 0, 30) + 0.5)) < 1e-6);
    assert_int_equal(cli_parse_time("2026-11-29", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 0, 0, 0));
    assert_int_equal(cli_parse_time("2026-11-29T10:00+01:00", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 9, 0, 0));
    assert_int_equal(cli_parse_time("2026-11-29T10:00-0230", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 12, 30, 0));
    setenv("TZ", "CET-1", 1); /* a local time one hour east of UTC */
    tzset();
    assert_int_equal(cli_parse_time("2026-11-29T10:00", now, &t, err, sizeof err), 0);
    assert_true(t == utc(2026, 11, 29, 9, 0, 0));
    setenv("TZ", "UTC0", 1);
    tzset();
}

static void test_time_relative(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double offset;
    } cases[] = {{"-1h", -3600}, {"-10m", -600},   {"-30s", -30}, {"-2d", -172800},
                 {"+5m", 300},   {"-1.5h", -5400}, {"now", 0}};
    char err[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double t = -1;
        assert_int_equal(cli_parse_time(cases[i].s, 1000000.0, &t, err, sizeof err), 0);
        if (fabs(t - (1000000.0 + cases[i].offset)) > 1e-9)
            fail_msg("%s: %f", cases[i].s, t);
    }
    double t = -1;
    assert_int_equal(cli_parse_time("@1764410400.25", 0, &t, err, sizeof err), 0);
    assert_true(t == 1764410400.25);
}

static void test_time_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "-1x",
        "-h",
        "1h",
        "2026-13-01",
        "2026-02-30",
        "2026-11-29T25:00",
        "2026-11-29T10:61",
        "2026-11-29T10:00Zjunk",
        "abc",
        "2026-11-29T10",
        "@",
        "@x",
        "-1h ",
        "2026-1-29",
        "2026-11-29T10:00+25:00",
        "@-5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[300] = "";
        double t = 42;
        if (cli_parse_time(bad[i], 1000.0, &t, err, sizeof err) != -1)
            fail_msg("\"%s\" accepted as %f", bad[i], t);
        assert_true(t == 42); /* untouched */
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        assert_non_null(strstr(err, quoted));
        assert_non_null(strstr(err, "expected a time like"));
    }
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void test_json_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""},
        {"bath_hc_temp", "\"bath_hc_temp\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"a\\b", "\"a\\\\b\""},
        {"l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
        {"\xc2\xb0"
         "C",
         "\"\xc2\xb0"
         "C\""}, /* UTF-8 degree sign passes */
        {"</script>", "\"</script>\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[128];
        int n = cli_json_str(buf, sizeof buf, cases[i].in);
        assert_string_equal(buf, cases[i].out);
        assert_int_equal(n, (int)strlen(cases[i].out));
    }
}

static void test_json_too_small(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(cli_json_str(buf, sizeof buf, "abcdef"), -1); /* needs 9 */
    assert_string_equal(buf, "");
    assert_int_equal(cli_json_str(buf, sizeof buf, "abcde"), 7); /* exactly fits */
    assert_string_equal(buf, "\"abcde\"");
    assert_int_equal(cli_json_str(buf, sizeof buf, "ab\x01"), -1); /* the escape does not */
    assert_string_equal(buf, "");
}

/* ---- lateness ---------------------------------------------------------------------------- */

static void test_lateness_percentiles(void **state)
{
    (void)state;
    struct server_lat l;
    double p50, p99, max;
    server_lat_init(&l);
    server_lat_get(&l, &p50, &p99, &max);
    assert_true(p50 == 0 && p99 == 0 && max == 0);
    for (int i = 100; i >= 1; i--) /* order must not matter */
        server_lat_add(&l, i);
    server_lat_get(&l, &p50, &p99, &max);
    assert_true(fabs(p50 - 50) < 1e-6);
    assert_true(fabs(p99 - 99) < 1e-6);
    assert_true(fabs(max - 100) < 1e-6);
    assert_int_equal(l.count, 100);
    server_lat_add(&l, -3); /* a cycle that woke early counts as on time */
    assert_true(l.ring[(l.head + SERVER_LAT_RING - 1) % SERVER_LAT_RING] == 0);
}

static void test_lateness_ring_forgets_but_max_stays(void **state)
{
    (void)state;
    struct server_lat l;
    double p50, p99, max;
    server_lat_init(&l);
    server_lat_add(&l, 250); /* one stall long ago */
    for (int i = 0; i < 2 * SERVER_LAT_RING; i++)
        server_lat_add(&l, 0.1 + (i % 10) * 0.01);
    server_lat_get(&l, &p50, &p99, &max);
    assert_true(p99 < 0.2); /* the stall has left the ring */
    assert_true(p50 > 0.1 && p50 < 0.2);
    assert_true(max == 250); /* but not the maximum */
    assert_int_equal(l.n, SERVER_LAT_RING);
}

/* ---- schedule ----------------------------------------------------------------------------- */

static void test_deadline_never_drifts(void **state)
{
    (void)state;
    const int64_t P = 250000000, d0 = 1000000000;
    uint64_t missed = 0;
    int64_t d = d0;
    for (int k = 1; k <= 1000; k++) {
        /* each cycle ends somewhere inside its period, up to 0.9 P late */
        int64_t end = d + (P * (k % 10)) / 11;
        d = server_deadline_next(d, end, P, &missed);
        if (d != d0 + k * P)
            fail_msg("cycle %d: deadline %lld, want %lld", k, (long long)d,
                     (long long)(d0 + k * P));
    }
    assert_int_equal(missed, 0);
}

static void test_deadline_skips_missed(void **state)
{
    (void)state;
    const int64_t P = 250000000;
    uint64_t missed = 0;
    /* a cycle that ended 1.5 periods after its successor's deadline */
    int64_t d = server_deadline_next(0, P + P + P / 2, P, &missed);
    assert_int_equal(missed, 1);
    assert_true(d == 2 * P); /* on the grid, and less than a period behind */
    /* held up for 3 s */
    missed = 0;
    d = server_deadline_next(0, 3000000000LL, P, &missed);
    assert_true(d % P == 0);
    assert_true(3000000000LL - d < P && 3000000000LL - d >= 0);
    assert_int_equal(missed, 11);
    /* just less than a period behind the next deadline: run it now, skip none */
    missed = 0;
    d = server_deadline_next(0, 2 * P - 1, P, &missed);
    assert_true(d == P);
    assert_int_equal(missed, 0);
}

/* ---- process time ------------------------------------------------------------------------- */

/* Feed a PLC clock of 1 s resolution running `speed` times faster than the
 * wall clock, read every 250 ms; check t tracks it and dt never goes back. */
static void run_clock(struct server_pclock *c, double *mono, double *truth, double speed, int steps,
                      double *max_err, double *sum_dt)
{
    for (int i = 0; i < steps; i++) {
        *mono += 0.25;
        *truth += 0.25 * speed;
        double dt = server_pclock_step(c, *mono, true, floor(*truth));
        assert_true(dt >= 0);
        *sum_dt += dt;
        double e = fabs(c->t - *truth); /* no resynchronisation: t is on the PLC's clock */
        if (e > *max_err)
            *max_err = e;
    }
}

static void test_pclock_real_time(void **state)
{
    (void)state;
    struct server_pclock c;
    double mono = 100, truth = 5000.3, max_err = 0, sum = 0;
    server_pclock_init(&c, true, 0.25, 1.0);
    assert_true(server_pclock_step(&c, mono, true, floor(truth)) == 0);
    run_clock(&c, &mono, &truth, 1.0, 400, &max_err, &sum); /* 100 s */
    assert_true(max_err <= 1.0);
    assert_true(fabs(sum - 100.0) <= 1.0);
    assert_true(fabs(c.rate - 1.0) < 0.05);
    assert_int_equal(c.resyncs, 0);
}

static void test_pclock_sped_up(void **state)
{
    (void)state;
    struct server_pclock c;
    double mono = 0, truth = 0, max_err = 0, sum = 0;
    server_pclock_init(&c, true, 0.25, 1.0);
    server_pclock_step(&c, mono, true, 0);
    run_clock(&c, &mono, &truth, 10.0, 120, &max_err, &sum); /* 30 s wall, 300 s process */
    assert_true(fabs(c.rate - 10.0) < 0.5);
    assert_true(fabs(c.t - truth) <= 1.0);
    assert_true(fabs(sum - 300.0) <= 2.0); /* nothing lost to the dt cap */
    assert_int_equal(c.resyncs, 0);
}

static void test_pclock_stopped_plc_clock(void **state)
{
    (void)state;
    struct server_pclock c;
    double mono = 0, truth = 0, max_err = 0, sum = 0;
    server_pclock_init(&c, true, 0.25, 1.0);
    server_pclock_step(&c, 0, true, 0);
    run_clock(&c, &mono, &truth, 1.0, 80, &max_err, &sum);
    double frozen = floor(truth), t0 = c.t;
    for (int i = 0; i < 40; i++) { /* 10 s with the PLC's clock standing still */
        mono += 0.25;
        assert_true(server_pclock_step(&c, mono, true, frozen) >= 0);
    }
    assert_true(c.t <= frozen + 1.0 + 1e-9); /* at most one resolution step on */
    assert_true(c.t >= t0);
}

static void test_pclock_plc_restart_goes_on(void **state)
{
    (void)state;
    struct server_pclock c;
    double mono = 0, truth = 1000, max_err = 0, sum = 0;
    server_pclock_init(&c, true, 0.25, 1.0);
    server_pclock_step(&c, 0, true, 1000);
    run_clock(&c, &mono, &truth, 1.0, 40, &max_err, &sum);
    double before = c.t;
    mono += 0.25;
    double dt = server_pclock_step(&c, mono, true, 0); /* the PLC restarted: clock at 0 */
    assert_true(dt >= 0 && dt <= 0.3);
    assert_true(c.t >= before); /* process time never goes back */
    assert_int_equal(c.resyncs, 1);
    double t1 = c.t;
    for (int i = 1; i <= 20; i++) { /* and follows the new clock from there */
        mono += 0.25;
        assert_true(server_pclock_step(&c, mono, true, floor(i * 0.25)) >= 0);
    }
    assert_true(fabs((c.t - t1) - 5.0) <= 1.0);
}

static void test_pclock_jump_and_cap(void **state)
{
    (void)state;
    struct server_pclock c;
    server_pclock_init(&c, true, 0.25, 1.0);
    server_pclock_step(&c, 0, true, 100);
    double dt = server_pclock_step(&c, 0.25, true, 100 + 3600); /* clock set an hour on */
    assert_true(dt <= server_pclock_max_dt(&c));
    assert_true(dt < 1.0);
    assert_int_equal(c.resyncs, 1);
    /* the link was down for a while: t runs on at the last rate, dt capped */
    double t0 = c.t;
    dt = server_pclock_step(&c, 30.25, false, 0);
    assert_true(fabs(c.t - t0 - 30.0) < 1e-9);
    assert_true(dt == server_pclock_max_dt(&c));
    assert_true(server_pclock_max_dt(&c) == 2.5);
}

static void test_pclock_monotonic_mode(void **state)
{
    (void)state;
    struct server_pclock c;
    server_pclock_init(&c, false, 0.25, 1.0);
    assert_true(server_pclock_step(&c, 10.0, true, 12345) == 0);
    assert_true(c.t == 0); /* plc_clock ignored */
    assert_true(fabs(server_pclock_step(&c, 10.25, true, 99999) - 0.25) < 1e-12);
    assert_true(server_pclock_step(&c, 10.0, true, 0) == 0); /* mono never goes back */
    assert_true(server_pclock_step(&c, 40.0, true, 0) == 2.5);
    assert_true(fabs(c.t - 30.25) < 1e-9);
}

/* ---- sending policy on a real socket --------------------------------------------------- */

static void test_send_policy(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_server_XXXXXX", path[108], err[300], why[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    struct sessions ss;
    struct cfg_server srv;
    memset(&srv, 0, sizeof srv);
    struct group *g = getgrgid(getgid());
    assert_non_null(g);
    snprintf(srv.engineer_group, sizeof srv.engineer_group, "%s", g->gr_name);
    assert_int_equal(session_listen(&ss, path, 2, err, sizeof err), 0);
    assert_int_equal(session_accept(&ss, &srv, 0, why, sizeof why), -1); /* nothing pending */
    assert_string_equal(why, "");

    int cfd = session_connect(path, err, sizeof err);
    assert_true(cfd >= 0);
    int slot = session_accept(&ss, &srv, 100.0, why, sizeof why);
    assert_true(slot >= 0);
    struct session *s = &ss.s[slot];
    assert_int_equal(s->role, ROLE_ENGINEER);
    assert_int_equal(session_find(&ss, s->id), slot);

    static char big[30000];
    memset(big, 'x', sizeof big);
    int sent = 0, r;
    while ((r = session_send(s, big, sizeof big, false, 101.0)) == 1) /* the client reads nothing */
        sent++;
    assert_int_equal(r, 0);
    assert_true(sent > 0);
    assert_int_equal(s->skipped, 1); /* a snapshot is skipped ... */
    assert_int_equal(session_send(s, "reply", 5, true, 102.0), 0);
    assert_int_equal(s->nqueue, 1);        /* ... a reply waits */
    assert_false(session_stuck(s, 111.0)); /* 10 s since the last good send: not yet */
    assert_true(session_stuck(s, 111.5));
    for (int i = 1; i < SESSION_QUEUE; i++)
        assert_int_equal(session_send(s, "reply", 5, true, 103.0), 0);
    assert_int_equal(session_send(s, "reply", 5, true, 103.0), -1); /* queue full: give up */

    char rx[PROTO_MAX_MSG];
    for (int i = 0; i < sent; i++) /* the client catches up; the queue drains in order */
        assert_int_equal(recv(cfd, rx, sizeof rx, 0), (ssize_t)sizeof big);
    assert_int_equal(session_flush(s, 120.0), 0);
    assert_int_equal(recv(cfd, rx, sizeof rx, 0), 5);
    assert_memory_equal(rx, "reply", 5);
    assert_false(session_stuck(s, 125.0));

    /* a second client fits, a third is refused with a bye */
    int c2 = session_connect(path, err, sizeof err);
    assert_true(session_accept(&ss, &srv, 130.0, why, sizeof why) >= 0);
    int c3 = session_connect(path, err, sizeof err);
    assert_int_equal(session_accept(&ss, &srv, 130.0, why, sizeof why), -1);
    assert_non_null(strstr(why, "max_clients"));
    ssize_t n = recv(c3, rx, sizeof rx - 1, 0);
    assert_true(n > 0);
    rx[n] = 0;
    assert_true(!strncmp(rx, "bye 1 reason=", 13));

    session_shutdown(&ss, "test over");
    for (int i = 1; i < SESSION_QUEUE; i++) /* the rest of the queue, then the bye */
        assert_int_equal(recv(cfd, rx, sizeof rx, 0), 5);
    n = recv(cfd, rx, sizeof rx - 1, 0);
    assert_true(n > 0);
    rx[n] = 0;
    assert_string_equal(rx, "bye 1 reason=test%20over");
    assert_int_equal(access(path, F_OK), -1); /* the socket file is gone */
    close(cfd);
    close(c2);
    close(c3);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_from_groups),
        cmocka_unit_test(test_role_empty_groups_never_match),
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test(test_state_dir),
        cmocka_unit_test(test_time_absolute),
        cmocka_unit_test(test_time_relative),
        cmocka_unit_test(test_time_bad),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_too_small),
        cmocka_unit_test(test_lateness_percentiles),
        cmocka_unit_test(test_lateness_ring_forgets_but_max_stays),
        cmocka_unit_test(test_deadline_never_drifts),
        cmocka_unit_test(test_deadline_skips_missed),
        cmocka_unit_test(test_pclock_real_time),
        cmocka_unit_test(test_pclock_sped_up),
        cmocka_unit_test(test_pclock_stopped_plc_clock),
        cmocka_unit_test(test_pclock_plc_restart_goes_on),
        cmocka_unit_test(test_pclock_jump_and_cap),
        cmocka_unit_test(test_pclock_monotonic_mode),
        cmocka_unit_test(test_send_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
