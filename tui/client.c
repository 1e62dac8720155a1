/* client — the console's side of the server socket (see client.h).
 *
 * Reconnect rule: after a failure the next attempt waits retry_s, which
 * starts at CLIENT_RETRY_MIN_S and doubles up to CLIENT_RETRY_MAX_S; a
 * successful connect resets it.  A message that does not parse or decode is
 * counted and dropped (the server is trusted not to send one, but a bad
 * message must never take the console down); a packet longer than
 * PROTO_MAX_MSG is dropped the same way.
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "input.h"
#include "util.h"
#include "clock.h"

void client_init(struct client *c, const char *path, double stale_s)
{
    memset(c, 0, offsetof(struct client, tmp));
    snprintf(c->path, sizeof c->path, "%s", path);
    c->fd = -1;
    c->stale_s = stale_s > 0 ? stale_s : 1.0;
    c->retry_s = CLIENT_RETRY_MIN_S;
    c->next_id = 1;
    snprintf(c->err, sizeof c->err, "not connected yet");
}

void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void lost(struct client *c, double now, const char *why)
{
    client_close(c);
    c->lost_at = now;
    c->next_try = now + c->retry_s;
    snprintf(c->err, sizeof c->err, "%s", why);
}

unsigned client_tick(struct client *c, double now)
{
    if (c->fd >= 0 || now < c->next_try)
        return 0;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (!c->lost_at)
            c->lost_at = now;
        c->next_try = now + c->retry_s;
        c->retry_s = c->retry_s * 2 > CLIENT_RETRY_MAX_S ? CLIENT_RETRY_MAX_S : c->retry_s * 2;
        const char *what = c->ever_connected ? "connection lost" : "server not running";
        if (e == ENOENT || e == ECONNREFUSED)
            snprintf(c->err, sizeof c->err, "%s: nothing listens on %s", what, c->path);
        else if (e == EACCES)
            snprintf(c->err, sizeof c->err, "%s: no permission to open %s", what, c->path);
        else
            snprintf(c->err, sizeof c->err, "%s: %s: %s", what, c->path, strerror(e));
        return 0;
    }
    c->fd = fd;
    c->retry_s = CLIENT_RETRY_MIN_S;
    c->ever_connected = true;
    c->connects++;
    c->lost_at = 0;
    c->err[0] = 0;
    c->bye[0] = 0;
    return CL_CONNECTED;
}

static void journal_add(struct client *c, const char *line)
{
    int slot = (c->j_head + c->j_count) % CLIENT_JOURNAL_MAX;
    if (c->j_count == CLIENT_JOURNAL_MAX)
        c->j_head = (c->j_head + 1) % CLIENT_JOURNAL_MAX;
    else
        c->j_count++;
    snprintf(c->journal[slot], CLIENT_JOURNAL_LINE, "%s", line);
    c->j_total++;
}

static void bad(struct client *c, const char *why)
{
    c->rx_bad++;
    snprintf(c->last_bad, sizeof c->last_bad, "%s", why);
}

/* One received packet; returns its CL_* bit. */
static unsigned take(struct client *c, size_t len, double now)
{
    char why[120];
    if (proto_parse(c->buf, len, &c->msg, why, sizeof why) < 0) {
        bad(c, why);
        return 0;
    }
    switch (c->msg.type) {
    case PT_HELLO:
        if (snap_hello_decode(&c->msg, &c->hello) < 0) {
            bad(c, "hello without furnace or role");
            return 0;
        }
        c->have_hello = true;
        return CL_GOT_HELLO;
    case PT_SNAP:
        if (snap_decode(&c->msg, &c->tmp) < 0) {
            bad(c, "snapshot with a malformed line");
            return 0;
        }
        c->snap = c->tmp;
        c->have_snap = true;
        c->snap_rx = now;
        c->snaps++;
        return CL_GOT_SNAP;
    case PT_JOURNAL: {
        long long id = 0;
        if (proto_geti(&c->msg.line[0], "id", &id) < 0)
            id = 0;
        for (int i = 1; i < c->msg.nlines; i++) {
            const struct proto_line *l = &c->msg.line[i];
            const char *text = proto_get(l, "l");
            if (l->ntok < 1 || strcmp(l->tok[0], "j") != 0 || !text)
                continue;
            if (id > 0 && c->on_lines)
                c->on_lines(c->on_lines_ctx, (long)id, text);
            else
                journal_add(c, text);
        }
        return CL_GOT_JOURNAL;
    }
    case PT_REPLY: {
        struct snap_reply r;
        if (snap_reply_decode(&c->msg, &r) < 0) {
            bad(c, "reply without id or ok");
            return 0;
        }
        c->replies[c->r_head] = r;
        c->r_head = (c->r_head + 1) % CLIENT_REPLIES;
        if (c->r_count < CLIENT_REPLIES)
            c->r_count++;
        c->r_total++;
        return CL_GOT_REPLY;
    }
    case PT_BYE: {
        const char *r = proto_get(&c->msg.line[0], "reason");
        snprintf(c->bye, sizeof c->bye, "%s", r ? r : "");
        return 0;
    }
    case PT_REQ:
    case PT_COUNT:
        break;
    }
    bad(c, "unexpected message type");
    return 0;
}

unsigned client_poll(struct client *c, double now)
{
    unsigned got = 0;
    while (c->fd >= 0) {
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            char why[200];
            snprintf(why, sizeof why, "connection lost: %s", strerror(errno));
            lost(c, now, why);
            return got | CL_LOST;
        }
        if (n == 0) {
            char why[200];
            if (c->bye[0])
                snprintf(why, sizeof why, "connection lost: the server said: %.150s", c->bye);
            else
                snprintf(why, sizeof why, "connection lost: the server closed the connection");
            lost(c, now, why);
            return got | CL_LOST;
        }
        c->rx_msgs++;
        c->rx_bytes += (unsigned long)n;
        if ((size_t)n > PROTO_MAX_MSG) {
            bad(c, "packet longer than PROTO_MAX_MSG");
            continue;
        }
        got |= take(c, (size_t)n, now);
    }
    return got;
}

long client_send(struct client *c, const char *verb, const char *target, const char *value,
                 const char *reason, char *err, size_t errlen)
{
    return client_send_expect(c, verb, target, value, reason, NULL, err, errlen);
}

long client_send_expect(struct client *c, const char *verb, const char *target,
                        const char *value, const char *reason, const char *expect, char *err,
                        size_t errlen)
{
    return client_send_scrap(c, verb, target, value, reason, expect, NULL, err, errlen);
}

long client_send_scrap(struct client *c, const char *verb, const char *target,
                       const char *value, const char *reason, const char *expect,
                       const char *scrap, char *err, size_t errlen)
{
    if (c->fd < 0) {
        snprintf(err, errlen, "not connected to the server (%s)", c->err);
        return -1;
    }
    struct snap_req r;
    memset(&r, 0, sizeof r);
    r.id = c->next_id;
    r.t = clock_wall_s(); /* now, as the operator confirms: the server refuses it once old */
    /* whole or not at all: a cut value or reason would be a different request */
    if (!str_copy(r.verb, sizeof r.verb, verb) || !str_copy(r.target, sizeof r.target, target) ||
        !str_copy(r.value, sizeof r.value, value) ||
        !str_copy(r.expect, sizeof r.expect, expect ? expect : "") ||
        !str_copy(r.scrap, sizeof r.scrap, scrap ? scrap : "")) {
        snprintf(err, errlen, "request too long");
        return -1;
    }
    if (!str_copy(r.reason, sizeof r.reason, reason)) {
        input_reason(reason, false, INPUT_REASON_CHARS, sizeof r.reason, err, errlen);
        return -1;
    }
    snap_req_encode(&r, &c->out);
    if (c->out.overflow) {
        snprintf(err, errlen, "request too long");
        return -1;
    }
    ssize_t n;
    do
        n = send(c->fd, c->out.buf, c->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            snprintf(err, errlen, "the server is not taking requests right now; try again");
        } else {
            snprintf(err, errlen, "connection lost: %s", strerror(errno));
            lost(c, c->lost_at, err);
        }
        return -1;
    }
    c->tx_msgs++;
    return c->next_id++;
}

const struct snap_reply *client_reply(const struct client *c, long id)
{
    for (int i = 0; i < c->r_count; i++) {
        const struct snap_reply *r = client_reply_recent(c, i);
        if (r->id == id)
            return r;
    }
    return NULL;
}

const struct snap_reply *client_reply_recent(const struct client *c, int i)
{
    if (i < 0 || i >= c->r_count)
        return NULL;
    return &c->replies[(c->r_head - 1 - i + 2 * CLIENT_REPLIES) % CLIENT_REPLIES];
}

const char *client_journal(const struct client *c, int i)
{
    if (i < 0 || i >= c->j_count)
        return NULL;
    return c->journal[(c->j_head + i) % CLIENT_JOURNAL_MAX];
}

bool client_connected(const struct client *c)
{
    return c->fd >= 0;
}

bool client_live(const struct client *c, double now)
{
    return c->fd >= 0 && c->have_snap && now - c->snap_rx < c->stale_s;
}

double client_snap_age(const struct client *c, double now)
{
    if (c->have_snap)
        return now - c->snap_rx;
    return c->lost_at ? now - c->lost_at : 0;
}
