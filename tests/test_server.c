/* test_server — the pure parts of the server shell and the CLI: roles from
 * groups, where the socket and the state live, time arguments, JSON
 * escaping, and the server's send policy on a real socket pair (skip a
 * snapshot, queue a reply, drop a client that reads nothing).  The cycle's
 * timing arithmetic is tested in test_cycle.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <grp.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "proto.h"
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

/* ---- slots: per account, and kept for operators and engineers ----------------------- */

/* max_clients 10, max_per_user 3, reserved_slots 4; `open` names the users
 * holding a slot now (NULL ends), then who asks. */
static const struct {
    const char *open[10];
    const char *user;
    int role;
    int want;        /* 0 admitted, -1 refused */
    const char *why; /* in the sentence when refused */
} admit_cases[] = {
    {{NULL}, "relview", ROLE_VIEWER, 0, NULL},
    {{"relview", "relview", NULL}, "relview", ROLE_VIEWER, 0, NULL},
    {{"relview", "relview", "relview", NULL}, "relview", ROLE_VIEWER, -1, "max_per_user"},
    {{"relview", "relview", "relview", NULL}, "anna", ROLE_OPERATOR, 0, NULL},
    {{"relview", "relview", "relview", NULL}, "root", ROLE_ENGINEER, 0, NULL},
    /* five viewers: five free, the last four kept: one more viewer fits */
    {{"v1", "v2", "v3", "v4", "v5", NULL}, "v6", ROLE_VIEWER, 0, NULL},
    /* six: four free, all kept */
    {{"v1", "v2", "v3", "v4", "v5", "v6", NULL}, "v7", ROLE_VIEWER, -1, "reserved_slots"},
    {{"v1", "v2", "v3", "v4", "v5", "v6", NULL}, "anna", ROLE_OPERATOR, 0, NULL},
    {{"v1", "v2", "v3", "v4", "v5", "v6", "anna", "anna", "bert", NULL},
     "carl", ROLE_ENGINEER, 0, NULL},
    {{"v1", "v2", "v3", "v4", "v5", "v6", "anna", "anna", "bert", "carl"},
     "dora", ROLE_ENGINEER, -1, "max_clients"},
    /* an operator at its own limit is refused like anyone */
    {{"anna", "anna", "anna", NULL}, "anna", ROLE_OPERATOR, -1, "max_per_user"},
};

static void test_admit(void **state)
{
    (void)state;
    struct session slots[10];
    struct sessions ss = {.max = 10, .s = slots};
    struct cfg_server srv;
    memset(&srv, 0, sizeof srv);
    srv.max_clients = 10;
    srv.max_per_user = 3;
    srv.reserved_slots = 4;
    for (size_t i = 0; i < sizeof admit_cases / sizeof admit_cases[0]; i++) {
        memset(slots, 0, sizeof slots);
        bool end = false;
        for (int k = 0; k < 10; k++) {
            end |= !admit_cases[i].open[k];
            slots[k].fd = end ? -1 : 100 + k;
            if (!end)
                snprintf(slots[k].user, sizeof slots[k].user, "%s", admit_cases[i].open[k]);
        }
        char why[300] = "";
        int got = session_admit(&ss, &srv, admit_cases[i].user, admit_cases[i].role, why,
                                sizeof why);
        if (got != admit_cases[i].want)
            fail_msg("case %zu: %d, want %d (%s)", i, got, admit_cases[i].want, why);
        if (admit_cases[i].why && !strstr(why, admit_cases[i].why))
            fail_msg("case %zu: \"%s\" does not name %s", i, why, admit_cases[i].why);
    }
    /* no per-account limit */
    srv.max_per_user = 0;
    memset(slots, 0, sizeof slots);
    for (int k = 0; k < 10; k++) {
        slots[k].fd = k < 5 ? 100 + k : -1;
        snprintf(slots[k].user, sizeof slots[k].user, "relview");
    }
    char why[300];
    assert_int_equal(session_admit(&ss, &srv, "relview", ROLE_VIEWER, why, sizeof why), 0);
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
        /* numbers in times are decimal only, as every typed number (input.h) */
        "@0x10",
        "@1e9",
        "@inf",
        "@+5",
        "-0x10h",
        "-1e3s",
        "-infh",
        "-1.5.0h",
        "2026-11-29T10:00:00.5e3Z",
        "2026-11-29T10:00:00.Z",
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

/* ---- sending policy on a real socket --------------------------------------------------- */

static void test_send_policy(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_server_XXXXXX", path[108], err[300], why[300], who[CFG_NAME_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    struct sessions ss;
    struct cfg_server srv;
    memset(&srv, 0, sizeof srv);
    struct group *g = getgrgid(getgid());
    assert_non_null(g);
    snprintf(srv.engineer_group, sizeof srv.engineer_group, "%s", g->gr_name);
    mode_t um = umask(077); /* the socket is 0666 whatever the umask: roles decide */
    assert_int_equal(session_listen(&ss, path, 2, err, sizeof err), 0);
    umask(um);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0666);
    assert_int_equal(session_accept(&ss, &srv, 0, why, sizeof why, who), -1); /* nothing pending */
    assert_string_equal(why, "");

    int cfd = session_connect(path, err, sizeof err);
    assert_true(cfd >= 0);
    int slot = session_accept(&ss, &srv, 100.0, why, sizeof why, who);
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
    assert_true(session_accept(&ss, &srv, 130.0, why, sizeof why, who) >= 0);
    int c3 = session_connect(path, err, sizeof err);
    assert_int_equal(session_accept(&ss, &srv, 130.0, why, sizeof why, who), -1);
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
        cmocka_unit_test(test_admit),
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test(test_state_dir),
        cmocka_unit_test(test_time_absolute),
        cmocka_unit_test(test_time_relative),
        cmocka_unit_test(test_time_bad),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_too_small),
        cmocka_unit_test(test_send_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
