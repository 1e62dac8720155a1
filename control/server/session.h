/* session — the Unix socket between the meltcon server and its clients.
 *
 * One SOCK_SEQPACKET socket per furnace (one message per packet, proto.h).
 * The server side listens, accepts, finds out who connected and what they
 * may do, and sends without ever waiting for a client:
 *
 *   who      SO_PEERCRED gives the peer's uid; its user name and every one
 *            of its groups come from the account database (getpwuid_r,
 *            getgrouplist with a buffer that grows, getgrnam_r for the three
 *            configured groups), looked up on a thread of its own and kept
 *            (ident.h), so an accept never waits on NSS.  A uid without an
 *            account, or a lookup that fails, refuses the connection with a
 *            `bye` that says so: a role is never guessed.
 *   role     session_role(): root -> engineer; a member of engineer_group ->
 *            engineer; of operator_group -> operator; anyone else -> viewer,
 *            unless viewer_group is set and the user is in none of the three
 *            groups: then the connection is refused with a `bye`.
 *   socket   mode 0666: anyone who can reach its directory may connect; the
 *            role above decides what they may do.
 *   slots    max_clients in all; one account holds at most max_per_user of
 *            them, and the last reserved_slots are never given to a viewer,
 *            so a flood from one account (or from many viewers) cannot lock
 *            an operator or an engineer out.  A connection refused gets a
 *            `bye` with the sentence (session_admit()).
 *   origin   the socket cannot tell a tty or an SSH client; a client MAY send
 *            `req verb=origin value=TEXT` (its tty, "ssh:ADDR") before other
 *            requests and the server journals it with every action.  Until
 *            then the origin is "pid:N" (the peer's pid).
 *   sending  send(MSG_DONTWAIT): a snapshot the socket cannot take now is
 *            skipped for that client and counted; replies and job output wait
 *            in a small per-client queue; a client that could be sent nothing
 *            for SESSION_DROP_S is dropped.  Nothing ever blocks on a client.
 *
 * Client helpers shared by the CLI and the console: where the socket is,
 * connecting to it, and the origin text a client announces.
 */
#ifndef MELTCON_SESSION_H
#define MELTCON_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cfg.h"
#include "core.h"

#define SESSION_DROP_S 10.0    /* nothing could be sent this long: drop the client */
#define SESSION_QUEUE 4        /* replies waiting for a full socket to drain */
#define SESSION_QUEUE_MSG 4096 /* largest queued message */
#define SESSION_MAX_GROUPS 3   /* the configured role groups a user can be in */
#define SESSION_ORIGIN_MAX 48  /* as core_req.origin */
#define SESSION_WAITING 32     /* connections waiting for the account database */
#define SESSION_WAIT_S 10.0    /* refused when it has not answered in this time */

struct ident;

/* Who is on the other end of a connection. */
struct session_peer {
    unsigned uid;
    long pid;
    char user[CFG_NAME_MAX];
    int ngroups; /* of viewer_group, operator_group, engineer_group: those the user is in */
    char groups[SESSION_MAX_GROUPS][CFG_NAME_MAX];
};

struct session {
    int fd; /* -1: free slot */
    int id; /* connection number, unique while the server runs */
    enum core_role role;
    char user[CFG_NAME_MAX];
    char origin[SESSION_ORIGIN_MAX];
    double t_connect, t_sent;    /* monotonic s: connected, last successful send */
    unsigned long sent, skipped; /* messages sent; snapshots skipped (socket full) */
    bool quiet;                  /* a job streams to it: no journal broadcast */
    int nqueue;                  /* queued messages, oldest first */
    size_t qlen[SESSION_QUEUE];
    char queue[SESSION_QUEUE][SESSION_QUEUE_MSG];
};

/* A connection accepted whose account the cache does not know yet. */
struct session_wait {
    int fd;
    unsigned uid;
    long pid;
    double since;
};

struct sessions {
    int listen_fd;
    char path[108]; /* sun_path */
    int max;        /* slots in s[] */
    int next_id;
    struct session *s; /* max slots */
    unsigned long accepted, refused, dropped;
    struct ident *ident; /* the account cache (ident.h); NULL: look up at accept (tests) */
    int nwait;
    struct session_wait wait[SESSION_WAITING];
};

/* Decide the role of a user from the uid and the names of the groups the
 * user belongs to.  Returns an enum core_role, or -1 when viewer_group is
 * set and the user is in none of the groups (refuse the connection). */
int session_role(unsigned uid, const char (*groups)[CFG_NAME_MAX], int ngroups,
                 const struct cfg_server *srv);

/* Where the server of furnace `c` listens: [server] socket, else
 * /run/meltcon/NAME.sock for a system furnace (server.system), else
 * $XDG_RUNTIME_DIR/meltcon-NAME.sock, else /tmp/meltcon-UID/meltcon-NAME.sock.
 * Returns 0, or -1 with a sentence when the path does not fit a socket
 * address (108 bytes). */
int session_socket_path(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen);

/* The server's state directory: [server] state_dir, else
 * /var/lib/meltcon/NAME for a system furnace (never under $HOME), else
 * $XDG_STATE_HOME/meltcon/NAME, else $HOME/.local/state/meltcon/NAME.
 * Relative paths are made absolute from the current directory. */
int session_state_dir(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen);

/* What a client announces as its origin: "ssh:ADDR" from $SSH_CLIENT, else
 * its terminal ("pts/3"), else "pid:N". */
void session_origin(char *buf, size_t len);

/* Connect a client to the socket at path.  Returns the fd, or -1 with errno
 * set and a sentence in err. */
int session_connect(const char *path, char *err, size_t errlen);

/* ---- the server side -------------------------------------------------------- */

/* Allocate max slots and listen on path (mode 0666; a stale socket file is
 * replaced: the caller holds the furnace's lock).  When the path lies in
 * /tmp/meltcon-UID/, that directory is created 0700 and must be ours.
 * Returns 0, or -1 with a sentence. */
int session_listen(struct sessions *ss, const char *path, int max, char *err, size_t errlen);

/* Close every client (each gets `bye` with reason when not NULL), the
 * socket, remove the socket file and free the slots. */
void session_shutdown(struct sessions *ss, const char *reason);

/* Whether a peer (user, role) may take one more slot, given the sessions
 * open now and [server] max_per_user and reserved_slots.  Returns 0, or -1
 * with the sentence for its `bye`. */
int session_admit(const struct sessions *ss, const struct cfg_server *srv, const char *user,
                  int role, char *why, size_t whylen);

/* Who uid is in the account database: its name and which of the groups
 * configured in srv it belongs to (getpwuid_r, getgrouplist, getgrnam_r:
 * these can block for seconds when a directory server is down, so the
 * server runs them on the ident thread, never on the cycle).  Returns 0,
 * -1 with a sentence when the database says no (no account, a name too
 * long), -2 with a sentence when the database failed. */
int session_lookup(unsigned uid, const struct cfg_server *srv, struct session_peer *p, char *err,
                   size_t errlen);

/* Accept one connection and decide its role: first one that waited for the
 * account database and now has its answer (or waited SESSION_WAIT_S: then
 * refused), else a new one from the socket.  Its peer comes from ss->ident
 * without waiting: a uid the cache does not know yet is parked (at most
 * SESSION_WAITING; the client waits, the server does not) and admitted by a
 * later call once ident_fd says the answer is there.  Returns the slot, or
 * -1 when nothing was accepted (none pending, parked, all slots taken, or
 * refused: the peer got a `bye`, *why says why ("" when nothing was refused)
 * and who names the peer, "uidN" without an account, "?" unknown). */
int session_accept(struct sessions *ss, const struct cfg_server *srv, double now, char *why,
                   size_t whylen, char who[CFG_NAME_MAX]);

/* Connections waiting for the account database. */
int session_waiting(const struct sessions *ss);

/* Send one message.  queue: on a full socket, keep it (replies, job output)
 * instead of skipping it (snapshots).  Returns 1 sent, 0 skipped or queued,
 * -1 when the connection failed (the caller closes it). */
int session_send(struct session *s, const void *buf, size_t len, bool queue, double now);

/* Send one message only if the socket takes it now (after what is queued):
 * 1 sent, 0 not now (nothing recorded: try again on POLLOUT), -1 failed. */
int session_try(struct session *s, const void *buf, size_t len, double now);

/* Send what is queued, oldest first, while the socket takes it.  Returns
 * -1 when the connection failed, else the number still queued. */
int session_flush(struct session *s, double now);

/* True when nothing could be sent to s for SESSION_DROP_S. */
bool session_stuck(const struct session *s, double now);

/* Close one client (with `bye` and reason when not NULL) and free its slot. */
void session_close(struct sessions *ss, int slot, const char *reason);

/* The slot of connection number id, or -1. */
int session_find(const struct sessions *ss, int id);

#endif
