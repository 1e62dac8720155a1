/* test_tui_cfgmatch — a console's limits are the server's: the same bytes
 * pass (under any path); a different file, the same file changed since the
 * server loaded it, and a server that sends no digest are each refused with
 * their sentence; the verbs that only relay a request may proceed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cfgmatch.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct cfg c;

static void mine(const char *path, const char *sha)
{
    memset(&c, 0, sizeof c);
    strcpy(c.path, path);
    strcpy(c.sha256, sha);
}

static struct snap_hello server(const char *path, const char *sha)
{
    struct snap_hello h = {.server_pid = 77};
    strcpy(h.furnace, "tcf1");
    strcpy(h.config, path);
    strcpy(h.config_sha256, sha);
    return h;
}

static void test_same_bytes_pass(void **state)
{
    (void)state;
    char err[700] = "";
    mine("/home/x/meltcon.ini", SHA_A);
    struct snap_hello h = server("/home/x/meltcon.ini", SHA_A);
    assert_int_equal(cfgmatch_check(&c, &h, "this console", "", err, sizeof err), 0);
    h = server("/etc/meltcon/tcf1.ini", SHA_A); /* a byte-for-byte copy */
    assert_int_equal(cfgmatch_check(&c, &h, "this console", "", err, sizeof err), 0);
    assert_string_equal(err, "");
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *my_path, *my_sha, *srv_path, *srv_sha, *who, *verb, *says;
    } cases[] = {
        {"/home/x/meltcon.ini", SHA_A, "/etc/meltcon/tcf1.ini", SHA_B, "this console", "",
         "this console read /home/x/meltcon.ini but the server for tcf1 controls with "
         "/etc/meltcon/tcf1.ini (a different file): limits shown would not be the server's; "
         "run meltcon -c /etc/meltcon/tcf1.ini"},
        {"/home/x/meltcon.ini", SHA_A, "/etc/meltcon/tcf1.ini", SHA_B, "this command", "status",
         "this command read /home/x/meltcon.ini but the server for tcf1 controls with "
         "/etc/meltcon/tcf1.ini (a different file): limits shown would not be the server's; "
         "run meltcon -c /etc/meltcon/tcf1.ini status"},
        {"/etc/meltcon/tcf1.ini", SHA_A, "/etc/meltcon/tcf1.ini", SHA_B, "this console", "",
         "this console read /etc/meltcon/tcf1.ini, but the server for tcf1 controls with that "
         "file as it was when the server started (it has changed since): limits shown would "
         "not be the server's; check the file (meltcon check-config /etc/meltcon/tcf1.ini) "
         "and restart the server to load it, or undo the change"},
        {"/home/x/meltcon.ini", SHA_A, "/etc/meltcon/tcf1.ini", "", "this console", "",
         "this console read /home/x/meltcon.ini, but the server for tcf1 (pid 77) does not "
         "say which configuration it controls with (it is older than this meltcon): limits "
         "shown might not be the server's; restart the server with this version of meltcon"},
        {"/home/x/meltcon.ini", SHA_A, "", SHA_B, "this console", "",
         "this console read /home/x/meltcon.ini but the server for tcf1 controls with a "
         "different file it does not name: limits shown would not be the server's; run "
         "meltcon -c with the server's config file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[700];
        mine(cases[i].my_path, cases[i].my_sha);
        struct snap_hello h = server(cases[i].srv_path, cases[i].srv_sha);
        assert_int_equal(cfgmatch_check(&c, &h, cases[i].who, cases[i].verb, err, sizeof err),
                         -1);
        assert_string_equal(err, cases[i].says);
    }
}

static void test_verb_rule(void **state)
{
    (void)state;
    static const char *const relay[] = {"set",    "cmd",    "ack",  "shelve",
                                        "journal", "export", "stop", "server"};
    for (size_t i = 0; i < sizeof relay / sizeof relay[0]; i++)
        assert_false(cfgmatch_verb_needs(relay[i]));
    assert_true(cfgmatch_verb_needs("status"));
    assert_true(cfgmatch_verb_needs("a-verb-added-later")); /* refused until judged */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_pass),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_verb_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
