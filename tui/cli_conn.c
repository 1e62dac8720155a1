/* cli_conn — the verbs' connection to the server (see cli_int.h): connect,
 * wait for the hello, announce the origin; send requests and wait, bounded,
 * for the reply with the same id, printing the journal lines tagged with it
 * on the way.
 */
#include "cli_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "session.h"
#include "util.h"

/* Monotonic milliseconds: clock_mono_ns() cut to whole ms, as the waits count them. */
int64_t cli_now_ms(void)
{
    return clock_mono_ns() / 1000000;
}

/* Next message into c->msg: its type, -1 when the connection ended
 * (c->bye may say why), -2 on timeout. */
int cli_conn_recv(struct cli_conn *c, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - cli_now_ms();
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (left <= 0)
            return -2;
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, MSG_TRUNC);
        if (n <= 0)
            return -1;
        char why[160];
        if ((size_t)n > PROTO_MAX_MSG ||
            proto_parse(c->buf, (size_t)n, &c->msg, why, sizeof why) < 0)
            continue; /* not for us to judge: skip it */
        if (c->msg.type == PT_BYE) {
            const char *r2 = proto_get(&c->msg.line[0], "reason");
            snprintf(c->bye, sizeof c->bye, "%s", r2 ? r2 : "");
            return -1;
        }
        return (int)c->msg.type;
    }
}

long cli_conn_req(struct cli_conn *c, const char *verb, const char *target, const char *value,
                  const char *reason, const char *expect)
{
    struct snap_req r;
    memset(&r, 0, sizeof r);
    r.id = ++c->next_id;
    /* the server refuses it once older than request_max_age_ms: the change
     * is dated when it was asked for, before its base was read (cli.c) */
    r.t = c->made > 0 ? c->made : clock_wall_s();
    /* whole or not at all: a cut value or reason would be a different request */
    if (!str_copy(r.verb, sizeof r.verb, verb) || !str_copy(r.target, sizeof r.target, target) ||
        !str_copy(r.value, sizeof r.value, value) || !str_copy(r.reason, sizeof r.reason, reason) ||
        !str_copy(r.expect, sizeof r.expect, expect ? expect : "") ||
        !str_copy(r.scrap, sizeof r.scrap, c->scrap ? c->scrap : "")) {
        errno = EMSGSIZE;
        return -1;
    }
    snap_req_encode(&r, &c->out);
    if (c->out.overflow || send(c->fd, c->out.buf, c->out.len, MSG_NOSIGNAL) < 0)
        return -1;
    return r.id;
}

void cli_conn_close(struct cli_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

void cli_not_running(const struct cfg *cfg, const char *sock, char *buf, size_t len)
{
    char inst[CFG_PATH_MAX];
    cfg_instance(cfg, inst, sizeof inst);
    if (cfg->server.system)
        snprintf(buf, len,
                 "%s is a system furnace and its server is not running; it is started by "
                 "systemd: systemctl start meltcon@%s",
                 cfg->furnace.name, inst);
    else
        snprintf(buf, len,
                 "no server running for furnace %s (%s); start it with `meltcon -c %s server`",
                 cfg->furnace.name, sock, cfg->path);
}

/* Connect, wait for the hello, announce the origin.  NULL with a sentence. */
struct cli_conn *cli_conn_open(const struct cfg *cfg, char *err, size_t errlen)
{
    struct cli_conn *c = calloc(1, sizeof *c);
    char e[200];
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    if (session_socket_path(cfg, c->path, sizeof c->path, err, errlen) < 0)
        goto fail;
    c->fd = session_connect(c->path, e, sizeof e);
    if (c->fd < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            cli_not_running(cfg, c->path, err, errlen);
        else
            snprintf(err, errlen, "cannot reach the server of furnace %s: %s", cfg->furnace.name,
                     e);
        goto fail;
    }
    /* the hello (or a refusal's `bye`) first, the origin after it: a peer
     * the server refuses has sent nothing, so the server's close cannot
     * reset the connection before the bye with its reason is read */
    int64_t end = cli_now_ms() + CONNECT_WAIT_MS;
    for (;;) {
        int t = cli_conn_recv(c, end);
        if (t == PT_HELLO && snap_hello_decode(&c->msg, &c->hello) == 0)
            break;
        if (t == -1) {
            snprintf(err, errlen, "the server closed the connection%s%s", *c->bye ? ": " : "",
                     c->bye);
            goto fail;
        }
        if (t == -2) {
            snprintf(err, errlen, "the server at %s did not say hello within %d s", c->path,
                     CONNECT_WAIT_MS / 1000);
            goto fail;
        }
    }
    char origin[SESSION_ORIGIN_MAX];
    session_origin(origin, sizeof origin);
    if (cli_conn_req(c, "origin", "", origin, "", NULL) < 0) {
        snprintf(err, errlen, "%s: cannot send: %s", c->path, strerror(errno));
        goto fail;
    }
    return c;
fail:
    cli_conn_close(c);
    return NULL;
}

/* Wait for the reply to id; on the way, print the lines of journal messages
 * tagged id to out.  Returns 0 with *rep filled, or -1 with a sentence. */
int cli_conn_reply(struct cli_conn *c, long id, int wait_ms, FILE *out, struct snap_reply *rep,
                   char *err, size_t errlen)
{
    int64_t end = cli_now_ms() + wait_ms;
    for (;;) {
        int t = cli_conn_recv(c, end);
        if (t == -1) {
            snprintf(err, errlen, "the server closed the connection%s%s", *c->bye ? ": " : "",
                     c->bye);
            return -1;
        }
        if (t == -2) {
            snprintf(err, errlen, "no answer from the server within %d s", wait_ms / 1000);
            return -1;
        }
        long long tag;
        if (t == PT_JOURNAL && out && proto_geti(&c->msg.line[0], "id", &tag) == 0 && tag == id)
            for (int i = 1; i < c->msg.nlines; i++) {
                const char *l = proto_get(&c->msg.line[i], "l");
                if (l)
                    fprintf(out, "%s\n", l);
            }
        if (t == PT_REPLY && snap_reply_decode(&c->msg, rep) == 0 && rep->id == id)
            return 0;
    }
}
