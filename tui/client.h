/* client — the console's connection to the meltcon server.
 *
 * A Unix SOCK_SEQPACKET socket: one message per packet (proto.h).  The
 * server sends `hello` on connect, then `snap` at the UI rate, `journal`
 * lines and a `reply` to each `req`.  client_poll() drains every pending
 * packet without blocking and keeps the latest of each: the snapshot, the
 * hello, a ring of journal lines, the last replies.  A `journal` message
 * tagged id=REQUEST answers one of this console's requests (an `export`'s
 * CSV): its lines go to on_lines when set, not into the journal ring.  End of file or a
 * socket error means the server is gone: the client closes, remembers why
 * ("server not running", "connection lost") and client_tick() reconnects
 * with a backoff; the last snapshot is kept so the console can keep showing
 * it, as STALE, with its age.
 *
 * Time is passed in (monotonic seconds) so that the staleness rule is
 * testable: the snapshot is live while it is younger than stale_s.
 */
#ifndef MELTCON_CLIENT_H
#define MELTCON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"
#include "snap.h"

#define CLIENT_JOURNAL_MAX 1000 /* journal lines kept */
#define CLIENT_JOURNAL_LINE 320
#define CLIENT_REPLIES 16
#define CLIENT_RETRY_MIN_S 0.5
#define CLIENT_RETRY_MAX_S 2.0

/* What client_poll() saw (bits). */
enum {
    CL_GOT_HELLO = 1u << 0,
    CL_GOT_SNAP = 1u << 1,
    CL_GOT_JOURNAL = 1u << 2,
    CL_GOT_REPLY = 1u << 3,
    CL_LOST = 1u << 4,      /* the connection ended in this call */
    CL_CONNECTED = 1u << 5, /* client_tick() connected */
};

/* Receives the lines of a `journal` message that answers request id (the
 * CSV of an `export`, the lines of a `journal` request). */
typedef void client_lines_fn(void *ctx, long id, const char *line);

struct client {
    char path[108]; /* sun_path */
    /* answers to requests go here when set, else into the journal ring */
    client_lines_fn *on_lines;
    void *on_lines_ctx;
    int fd;         /* -1 when not connected */
    double stale_s; /* a snapshot older than this is not live */
    /* what the server said */
    bool have_hello, have_snap;
    struct snap_hello hello;
    struct snap snap; /* the latest good snapshot */
    double snap_rx;   /* when it arrived (monotonic s) */
    /* journal ring, oldest first from j_head */
    char journal[CLIENT_JOURNAL_MAX][CLIENT_JOURNAL_LINE];
    int j_head, j_count;
    unsigned long j_total;
    /* replies, newest at r_head - 1 */
    struct snap_reply replies[CLIENT_REPLIES];
    int r_head, r_count;
    unsigned long r_total;
    long next_id;
    /* connection state */
    bool ever_connected;
    double lost_at; /* when the connection ended (or the first refusal) */
    double next_try, retry_s;
    char err[200]; /* why not connected: a sentence for the screen */
    char bye[200]; /* the server's last "bye" reason */
    /* statistics for the diagnostics screen */
    unsigned long rx_msgs, rx_bytes, rx_bad, tx_msgs, snaps, connects;
    char last_bad[120];
    /* scratch */
    struct snap tmp;
    struct proto_msg msg;
    struct proto_out out;
    char buf[PROTO_MAX_MSG + 1];
};

/* Prepare (not connected yet; the first client_tick() connects).  stale_s:
 * a snapshot older than this is not live (the console passes 4 UI periods,
 * at least 1 s). */
void client_init(struct client *c, const char *path, double stale_s);

/* Connect when not connected and the retry time has come; returns
 * CL_CONNECTED when it connected now, 0 otherwise (err says why). */
unsigned client_tick(struct client *c, double now);

/* Receive every pending packet; returns the CL_* bits of what came. */
unsigned client_poll(struct client *c, double now);

/* Send a request with a fresh id, stamped with the wall clock now (the
 * server refuses it once it is older than [server] request_max_age_ms, so a
 * request the server is too busy to read is never carried out late; nothing
 * here queues or resends one).  Returns the id, or -1 with a sentence in
 * err (not connected, server busy, connection lost). */
long client_send(struct client *c, const char *verb, const char *target, const char *value,
                 const char *reason, char *err, size_t errlen);
/* The same, with the base the operator saw for compare-and-set (snap.h,
 * snap_req.expect; NULL or "" for none). */
long client_send_expect(struct client *c, const char *verb, const char *target,
                        const char *value, const char *reason, const char *expect, char *err,
                        size_t errlen);
/* The same with a charge's scrap class (snap_req.scrap; NULL or "" for none). */
long client_send_scrap(struct client *c, const char *verb, const char *target,
                       const char *value, const char *reason, const char *expect,
                       const char *scrap, char *err, size_t errlen);

/* The reply to request `id`, or NULL while none came. */
const struct snap_reply *client_reply(const struct client *c, long id);
/* The i-th newest reply (0 = newest) or NULL. */
const struct snap_reply *client_reply_recent(const struct client *c, int i);

/* Journal line i, 0 = oldest kept; NULL past the end. */
const char *client_journal(const struct client *c, int i);

bool client_connected(const struct client *c);
/* Connected and the snapshot younger than stale_s. */
bool client_live(const struct client *c, double now);
/* Seconds since the last snapshot arrived (since the loss if none ever did). */
double client_snap_age(const struct client *c, double now);

void client_close(struct client *c);

#endif
