/* test_tui_client — the console's connection against a real SOCK_SEQPACKET
 * listener in a temporary folder: "server not running", every pending packet
 * taken at once, requests with fresh ids, a malformed message dropped alone,
 * the server gone -> "connection lost" with the last snapshot kept (not
 * live), reconnection with a backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

static char dir[64], path[100];
static struct client cl;
static struct proto_out o;
static struct proto_msg m;

static int listener(void)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static void put(int fd)
{
    assert_false(o.overflow);
    assert_int_equal(send(fd, o.buf, o.len, 0), (ssize_t)o.len);
}

struct answers {
    int n;
    long id;
    char last[100];
};

static void take_answer(void *ctx, long id, const char *line)
{
    struct answers *a = ctx;
    a->n++;
    a->id = id;
    snprintf(a->last, sizeof a->last, "%s", line);
}

static void send_snap(int fd, uint32_t seq, double bath)
{
    static struct snap s;
    memset(&s, 0, sizeof s);
    s.seq = seq;
    s.t = 100 + seq;
    s.link = LINK_UP;
    s.phase = PH_MELT;
    s.ntags = 1;
    snprintf(s.tags[0].name, CFG_NAME_MAX, "bath_hc_temp");
    s.tags[0].v = bath;
    snap_encode(&s, &o);
    put(fd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_tui_client.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    client_close(&cl);
    unlink(path);
    rmdir(dir);
    return 0;
}

static void test_not_running_then_backoff(void **state)
{
    (void)state;
    unlink(path);
    client_init(&cl, path, 1.0);
    assert_int_equal(client_tick(&cl, 10.0), 0);
    assert_false(client_connected(&cl));
    assert_non_null(strstr(cl.err, "server not running"));
    assert_non_null(strstr(cl.err, path));
    /* the next try waits CLIENT_RETRY_MIN_S, then twice that */
    assert_true(cl.next_try == 10.0 + CLIENT_RETRY_MIN_S);
    assert_int_equal(client_tick(&cl, 10.2), 0);
    assert_true(cl.next_try == 10.0 + CLIENT_RETRY_MIN_S);
    client_tick(&cl, 10.6);
    assert_true(cl.next_try == 10.6 + 2 * CLIENT_RETRY_MIN_S);
    for (int i = 0; i < 10; i++)
        client_tick(&cl, cl.next_try);
    assert_true(cl.retry_s <= CLIENT_RETRY_MAX_S);
    char err[200];
    assert_int_equal(client_send(&cl, "ack", "all", "", "", err, sizeof err), -1);
    assert_non_null(strstr(err, "not connected"));
    assert_false(client_live(&cl, 11));
    assert_int_equal(client_poll(&cl, 11), 0);
}

static void test_session(void **state)
{
    (void)state;
    int lfd = listener();
    client_init(&cl, path, 1.0);
    assert_int_equal(client_tick(&cl, 1.0), CL_CONNECTED);
    assert_true(client_connected(&cl));
    int sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);

    struct snap_hello h = {
        .furnace = "tcf1", .user = "anna", .role = "operator", .server_pid = 42, .plc_mode = 1};
    snap_hello_encode(&h, &o);
    put(sfd);
    const char *lines[2] = {"08:00:00 server started", "08:00:01 anna attached"};
    snap_journal_encode(lines, 2, &o);
    put(sfd);
    send_snap(sfd, 1, 740);
    send_snap(sfd, 2, 741.5); /* two pending: the newest wins */
    assert_int_equal(send(sfd, "garbage without a header", 24, 0), 24);

    unsigned got = client_poll(&cl, 2.0);
    assert_true(got & CL_GOT_HELLO);
    assert_true(got & CL_GOT_SNAP);
    assert_true(got & CL_GOT_JOURNAL);
    assert_string_equal(cl.hello.role, "operator");
    assert_int_equal(cl.hello.plc_mode, 1);
    assert_int_equal(cl.snap.seq, 2);
    assert_true(cl.snap.tags[0].v == 741.5);
    assert_int_equal(cl.snaps, 2);
    assert_int_equal(cl.rx_bad, 1);
    assert_int_equal(cl.j_count, 2);
    assert_string_equal(client_journal(&cl, 1), "08:00:01 anna attached");
    assert_null(client_journal(&cl, 2));
    /* an answer to request 7 (an export's CSV) goes to on_lines, not the ring */
    struct answers a = {0};
    cl.on_lines = take_answer;
    cl.on_lines_ctx = &a;
    proto_begin(&o, PT_JOURNAL);
    proto_kvi(&o, "id", 7);
    proto_nl(&o);
    proto_add(&o, "j");
    proto_kv(&o, "l", "time,bath_hc_temp");
    proto_nl(&o);
    proto_add(&o, "j");
    proto_kv(&o, "l", "2026-11-29T10:00:00.000Z,741.5");
    put(sfd);
    assert_true(client_poll(&cl, 2.0) & CL_GOT_JOURNAL);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.id, 7);
    assert_string_equal(a.last, "2026-11-29T10:00:00.000Z,741.5");
    assert_int_equal(cl.j_count, 2); /* the journal ring is unchanged */
    cl.on_lines = NULL;
    assert_true(client_live(&cl, 2.5));
    assert_false(client_live(&cl, 3.5)); /* older than stale_s */
    assert_true(client_snap_age(&cl, 3.5) == 1.5);

    /* a request goes out with a fresh id; the reply is found by it */
    char err[200];
    long id = client_send(&cl, "set", "bath.sp", "745", "after alloying", err, sizeof err);
    long id2 = client_send(&cl, "ack", "roof_h", "", "", err, sizeof err);
    assert_true(id > 0 && id2 == id + 1);
    char buf[PROTO_MAX_MSG];
    ssize_t n = recv(sfd, buf, sizeof buf, 0);
    assert_true(n > 0);
    char why[100];
    struct snap_req r;
    assert_int_equal(proto_parse(buf, (size_t)n, &m, why, sizeof why), 0);
    assert_int_equal(snap_req_decode(&m, &r), 0);
    assert_int_equal(r.id, id);
    assert_string_equal(r.target, "bath.sp");
    assert_string_equal(r.reason, "after alloying");
    struct snap_reply rep = {.id = id, .ok = false, .text = "bath.sp refused: PLC link down"};
    snap_reply_encode(&rep, &o);
    put(sfd);
    assert_true(client_poll(&cl, 4.0) & CL_GOT_REPLY);
    assert_non_null(client_reply(&cl, id));
    assert_false(client_reply(&cl, id)->ok);
    assert_null(client_reply(&cl, id2));
    assert_string_equal(client_reply_recent(&cl, 0)->text, "bath.sp refused: PLC link down");

    /* the server reads the second request, says bye and goes: connection
     * lost, the snapshot kept */
    assert_true(recv(sfd, buf, sizeof buf, 0) > 0);
    proto_begin(&o, PT_BYE);
    proto_kv(&o, "reason", "server stopping");
    put(sfd);
    close(sfd);
    close(lfd);
    unlink(path);
    got = client_poll(&cl, 5.0);
    assert_true(got & CL_LOST);
    assert_false(client_connected(&cl));
    assert_non_null(strstr(cl.err, "connection lost"));
    assert_non_null(strstr(cl.err, "server stopping"));
    assert_true(cl.have_snap);
    assert_int_equal(cl.snap.seq, 2);
    assert_false(client_live(&cl, 5.0));
    /* reconnecting to nothing still says connection lost, not "not running" */
    client_tick(&cl, cl.next_try);
    assert_false(client_connected(&cl));
    assert_non_null(strstr(cl.err, "connection lost"));
    /* the server comes back: connected again at the next try */
    lfd = listener();
    assert_int_equal(client_tick(&cl, cl.next_try), CL_CONNECTED);
    assert_int_equal(cl.connects, 2);
    assert_string_equal(cl.err, "");
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_running_then_backoff),
        cmocka_unit_test(test_session),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
