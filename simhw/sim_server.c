/* simsrv — meltsim's Modbus TCP server (see sim_server.h).
 *
 * Framing (Modbus TCP, MBAP header), one buffer per client:
 *   bytes 0-1 transaction id, 2-3 protocol id (must be 0), 4-5 length L =
 *   unit id + PDU (2..254), 6 unit id, 7.. PDU.  A frame is 6 + L bytes.
 *   A bad protocol id or length is garbage: the client is dropped, since
 *   nothing after it can be framed.
 *
 * Checks on a complete frame, in the order of the Modbus spec:
 *   function code not served (1 2 3 4 5 6 15 16 23)     -> 01 ILLEGAL FUNCTION
 *   PDU length, quantity, byte count or coil value       -> 03 ILLEGAL DATA VALUE
 *   an address that no tag covers                        -> 02 ILLEGAL DATA ADDRESS
 *   a write to an address of a tag without writable=yes  -> 02 ILLEGAL DATA ADDRESS
 * Only a request that passed every check reaches modbus_reply(), so libmodbus
 * never takes its own exception paths (those with a flush sleep for the
 * response timeout).  A refused write changes nothing.
 *
 * Blocking bound: every socket is non-blocking and libmodbus never reads
 * (frames are assembled here, not by modbus_receive), so one simsrv_poll()
 * blocks only in poll(), at most timeout_ms.  It then does one recv() of at
 * most 260 bytes per ready client and one send() of at most 260 bytes per
 * request; a send that would block drops that client.
 */
#include "sim_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MBAP_LEN 7   /* transaction, protocol, length, unit id */
#define MBAP_FIXED 6 /* bytes before the unit id, not counted in L */

struct client {
    int fd;           /* -1: free slot */
    int len;          /* bytes buffered, always < sizeof buf between calls */
    int64_t since_ms; /* when the unfinished frame began */
    int64_t heard_ms; /* when it connected or last sent anything */
    uint8_t buf[MODBUS_TCP_MAX_ADU_LENGTH];
};

struct simsrv {
    modbus_t *mb;
    struct simimg *img; /* the register image (sim_image.c) */
    int listen_fd;
    int64_t mute_until_ms;
    int64_t idle_ms; /* a client silent this long is closed; 0: never */
    struct client cl[SIMSRV_MAX_CLIENTS];
    struct simsrv_stats st;
};

enum fc_kind { FC_READ, FC_WRITE_ONE, FC_WRITE_MANY, FC_WRITE_READ };

/* What each served function code touches and how much of it at once. */
struct fc_rule {
    bool served;
    enum fc_kind kind;
    enum tag_table table;
    bool bits;
    int max_read, max_write;
};

static const struct fc_rule fc_rules[] = {
    [MODBUS_FC_READ_COILS] = {.served = true,
                              .kind = FC_READ,
                              .table = TAG_CO,
                              .bits = true,
                              .max_read = MODBUS_MAX_READ_BITS},
    [MODBUS_FC_READ_DISCRETE_INPUTS] = {.served = true,
                                        .kind = FC_READ,
                                        .table = TAG_DI,
                                        .bits = true,
                                        .max_read = MODBUS_MAX_READ_BITS},
    [MODBUS_FC_READ_HOLDING_REGISTERS] = {.served = true,
                                          .kind = FC_READ,
                                          .table = TAG_HR,
                                          .max_read = MODBUS_MAX_READ_REGISTERS},
    [MODBUS_FC_READ_INPUT_REGISTERS] = {.served = true,
                                        .kind = FC_READ,
                                        .table = TAG_IR,
                                        .max_read = MODBUS_MAX_READ_REGISTERS},
    [MODBUS_FC_WRITE_SINGLE_COIL] =
        {.served = true, .kind = FC_WRITE_ONE, .table = TAG_CO, .bits = true, .max_write = 1},
    [MODBUS_FC_WRITE_SINGLE_REGISTER] = {.served = true,
                                         .kind = FC_WRITE_ONE,
                                         .table = TAG_HR,
                                         .max_write = 1},
    [MODBUS_FC_WRITE_MULTIPLE_COILS] = {.served = true,
                                        .kind = FC_WRITE_MANY,
                                        .table = TAG_CO,
                                        .bits = true,
                                        .max_write = MODBUS_MAX_WRITE_BITS},
    [MODBUS_FC_WRITE_MULTIPLE_REGISTERS] = {.served = true,
                                            .kind = FC_WRITE_MANY,
                                            .table = TAG_HR,
                                            .max_write = MODBUS_MAX_WRITE_REGISTERS},
    [MODBUS_FC_WRITE_AND_READ_REGISTERS] = {.served = true,
                                            .kind = FC_WRITE_READ,
                                            .table = TAG_HR,
                                            .max_read = MODBUS_MAX_WR_READ_REGISTERS,
                                            .max_write = MODBUS_MAX_WR_WRITE_REGISTERS},
};

/* ---- requests ---------------------------------------------------------------- */

static int u16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

/* 0 if the request may go to modbus_reply(), else the exception code. */
static int check_request(const struct simsrv *s, const uint8_t *pdu, int plen)
{
    int fc = pdu[0];
    if (fc >= (int)(sizeof fc_rules / sizeof fc_rules[0]) || !fc_rules[fc].served)
        return MODBUS_EXCEPTION_ILLEGAL_FUNCTION;
    const struct fc_rule *r = &fc_rules[fc];
    if (plen < 5)
        return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
    int addr = u16(pdu + 1), nb = u16(pdu + 3);
    switch (r->kind) {
    case FC_READ:
        if (plen != 5)
            return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
        return simimg_check(s->img, r->table, addr, nb, r->max_read, false);
    case FC_WRITE_ONE:
        if (plen != 5 || (r->bits && nb != 0xFF00 && nb != 0))
            return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
        return simimg_check(s->img, r->table, addr, 1, 1, true);
    case FC_WRITE_MANY: {
        int bytes = plen > 5 ? pdu[5] : -1;
        int want = r->bits ? (nb + 7) / 8 : nb * 2;
        if (nb < 1 || nb > r->max_write || bytes != want || plen != 6 + bytes)
            return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
        return simimg_check(s->img, r->table, addr, nb, r->max_write, true);
    }
    case FC_WRITE_READ:
    default: {
        if (plen < 10)
            return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
        int waddr = u16(pdu + 5), wnb = u16(pdu + 7), bytes = pdu[9];
        if (nb < 1 || nb > r->max_read || wnb < 1 || wnb > r->max_write || bytes != wnb * 2 ||
            plen != 10 + bytes)
            return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
        int code = simimg_check(s->img, r->table, waddr, wnb, r->max_write, true);
        return code ? code : simimg_check(s->img, r->table, addr, nb, r->max_read, false);
    }
    }
}

/* Answer one complete frame of `len` bytes at c->buf.  -1: the reply could
 * not be sent whole (the client is gone or not reading). */
static int serve(struct simsrv *s, struct client *c, int len, int64_t now_ms)
{
    if (now_ms < s->mute_until_ms) {
        s->st.muted++;
        return 0;
    }
    int code = check_request(s, c->buf + MBAP_LEN, len - MBAP_LEN);
    int rc;
    modbus_set_socket(s->mb, c->fd);
    if (code) {
        s->st.exceptions++;
        rc = modbus_reply_exception(s->mb, c->buf, (unsigned)code);
    } else {
        s->st.requests++;
        if (fc_rules[c->buf[MBAP_LEN]].kind != FC_READ)
            s->st.writes++;
        rc = modbus_reply(s->mb, c->buf, len, simimg_mapping(s->img));
    }
    modbus_set_socket(s->mb, -1);
    return rc < 0 ? -1 : 0;
}

/* ---- clients ----------------------------------------------------------------- */

/* Close a client and count it under `why` (one of s->st's counters). */
static void client_close(struct simsrv *s, struct client *c, uint64_t *why)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
    s->st.clients--;
    (*why)++;
}

/* Read what is there, serve every complete frame.  Returns requests handled. */
static int client_read(struct simsrv *s, struct client *c, int64_t now_ms)
{
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - (size_t)c->len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (r <= 0) {
        client_close(s, c, c->len > 0 ? &s->st.dropped : &s->st.closed);
        return 0;
    }
    if (c->len == 0)
        c->since_ms = now_ms;
    c->heard_ms = now_ms;
    c->len += (int)r;
    int handled = 0;
    while (c->len >= MBAP_FIXED) {
        int proto = u16(c->buf + 2), l = u16(c->buf + 4);
        if (proto != 0 || l < 2 || l > MODBUS_TCP_MAX_ADU_LENGTH - MBAP_FIXED) {
            client_close(s, c, &s->st.dropped);
            return handled;
        }
        int frame = MBAP_FIXED + l;
        if (c->len < frame)
            break;
        handled++;
        if (serve(s, c, frame, now_ms) < 0) {
            client_close(s, c, &s->st.dropped);
            return handled;
        }
        c->len -= frame;
        memmove(c->buf, c->buf + frame, (size_t)c->len);
        c->since_ms = now_ms;
    }
    return handled;
}

static void accept_clients(struct simsrv *s, int64_t now_ms)
{
    for (int k = 0; k < 2 * SIMSRV_MAX_CLIENTS; k++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            return;
        }
        struct client *c = NULL;
        for (int i = 0; i < SIMSRV_MAX_CLIENTS && !c; i++)
            if (s->cl[i].fd < 0)
                c = &s->cl[i];
        if (!c) {
            close(fd);
            s->st.refused++;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->len = 0;
        c->heard_ms = now_ms;
        s->st.accepted++;
        s->st.clients++;
    }
}

/* ---- public ------------------------------------------------------------------ */

struct simsrv *simsrv_open(const struct cfg *c, const char *bind, int port, char *err,
                           size_t errlen)
{
    struct in_addr ia;
    if (!bind || inet_pton(AF_INET, bind, &ia) != 1) {
        snprintf(err, errlen,
                 "[sim] bind = \"%s\": expected an IPv4 address, e.g. 127.0.0.1 (0.0.0.0 for "
                 "every interface)",
                 bind ? bind : "");
        return NULL;
    }
    if (port < 1 || port > 65535) {
        snprintf(err, errlen, "[sim] port = %d: expected 1 to 65535", port);
        return NULL;
    }
    struct simsrv *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->listen_fd = -1;
    s->idle_ms = c->sim.idle_timeout_s > 0 ? (int64_t)(c->sim.idle_timeout_s * 1000.0) : 0;
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
        s->cl[i].fd = -1;
    if (!(s->img = simimg_new(c, err, errlen))) {
        simsrv_close(s);
        return NULL;
    }
    s->mb = modbus_new_tcp(bind, port);
    if (!s->mb) {
        snprintf(err, errlen, "cannot set up the Modbus server: %s", modbus_strerror(errno));
        simsrv_close(s);
        return NULL;
    }
    s->listen_fd = modbus_tcp_listen(s->mb, SIMSRV_MAX_CLIENTS);
    if (s->listen_fd < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s (another meltsim? see [sim] port)", bind,
                 port, modbus_strerror(errno));
        simsrv_close(s);
        return NULL;
    }
    int fl = fcntl(s->listen_fd, F_GETFL);
    if (fl < 0 || fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(s->listen_fd, F_SETFD, FD_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot set up the listening socket: %s", strerror(errno));
        simsrv_close(s);
        return NULL;
    }
    return s;
}

void simsrv_close(struct simsrv *s)
{
    if (!s)
        return;
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
        if (s->cl[i].fd >= 0)
            close(s->cl[i].fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->mb)
        modbus_free(s->mb);
    simimg_free(s->img);
    free(s);
}

int simsrv_poll(struct simsrv *s, int timeout_ms, int64_t now_ms)
{
    struct pollfd pfd[1 + SIMSRV_MAX_CLIENTS];
    int who[1 + SIMSRV_MAX_CLIENTS];
    int n = 0;
    pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++) {
        if (s->cl[i].fd < 0)
            continue;
        who[n] = i;
        pfd[n++] = (struct pollfd){.fd = s->cl[i].fd, .events = POLLIN};
    }
    if (poll(pfd, (nfds_t)n, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1;
    int handled = 0;
    for (int k = 1; k < n; k++)
        if (pfd[k].revents)
            handled += client_read(s, &s->cl[who[k]], now_ms);
    /* the stuck and the idle go before new clients are let in: a slot an
     * idle client held is free for one waiting now */
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++) {
        struct client *c = &s->cl[i];
        if (c->fd >= 0 && c->len > 0 && now_ms - c->since_ms > SIMSRV_FRAME_TIMEOUT_MS)
            client_close(s, c, &s->st.dropped);
        else if (c->fd >= 0 && s->idle_ms > 0 && now_ms - c->heard_ms > s->idle_ms)
            client_close(s, c, &s->st.idle);
    }
    if (pfd[0].revents & POLLIN)
        accept_clients(s, now_ms);
    return handled;
}

void simsrv_mute(struct simsrv *s, int64_t until_ms)
{
    s->mute_until_ms = until_ms;
}

struct simimg *simsrv_image(struct simsrv *s)
{
    return s->img;
}

int simsrv_set(struct simsrv *s, int tag_index, double eng)
{
    return simimg_set(s->img, tag_index, eng);
}

int simsrv_set_fault(struct simsrv *s, int tag_index)
{
    return simimg_set_fault(s->img, tag_index);
}

int simsrv_get(const struct simsrv *s, int tag_index, double *eng)
{
    return simimg_get(s->img, tag_index, eng);
}

int simsrv_set_raw(struct simsrv *s, enum tag_table table, int addr, uint16_t v)
{
    return simimg_set_raw(s->img, table, addr, v);
}

int simsrv_get_raw(const struct simsrv *s, enum tag_table table, int addr, uint16_t *v)
{
    return simimg_get_raw(s->img, table, addr, v);
}

void simsrv_stats(const struct simsrv *s, struct simsrv_stats *out)
{
    *out = s->st;
}
