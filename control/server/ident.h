/* ident — who a uid is (its name and role groups), looked up off the
 * control cycle and kept.
 *
 * The account database (NSS: files, LDAP, sssd) can take seconds to answer
 * when a directory server is down; the server's accept must never wait for
 * it.  A thread of its own does the lookups (session_lookup) and keeps the
 * answers for up to IDENT_CACHE uids:
 *
 *   ident_get(uid)  known, answered < IDENT_FRESH_S ago   -> IDENT_OK / IDENT_REFUSED
 *                   known, older                          -> the same answer, and the
 *                                                            thread looks it up again
 *                   unknown (or a failed lookup's answer   -> IDENT_WAIT: the thread looks
 *                   older than IDENT_RETRY_S)                 it up; ident_fd() becomes
 *                                                            readable when it has
 *
 * "No such account" is an answer like any other; a failure of the database
 * itself is given to the connections that waited for it, then forgotten
 * after IDENT_RETRY_S, and never replaces a good answer at a refresh (the
 * previous one is kept until the database answers).  A change of a user's
 * groups counts from the first connection after the refresh: at most
 * IDENT_FRESH_S and one connection late.
 */
#ifndef MELTCON_IDENT_H
#define MELTCON_IDENT_H

#include <stddef.h>

#include "cfg.h"
#include "session.h"

#define IDENT_CACHE 64     /* uids kept; the least recently used goes first */
#define IDENT_FRESH_S 60.0 /* an answer older than this is looked up again */
#define IDENT_RETRY_S 2.0  /* a failed lookup is forgotten after this */

enum ident_answer { IDENT_OK, IDENT_REFUSED, IDENT_WAIT };

/* The lookup the thread runs: session_lookup's contract (0 found, -1 a
 * refusal with a sentence, -2 the database failed, with a sentence). */
typedef int (*ident_lookup_fn)(unsigned uid, const struct cfg_server *srv, struct session_peer *p,
                               char *err, size_t errlen);

struct ident;

/* Start the thread for the role groups of srv (copied).  lookup NULL:
 * session_lookup.  NULL when the thread cannot be had. */
struct ident *ident_start(const struct cfg_server *srv, ident_lookup_fn lookup);
void ident_stop(struct ident *c);

/* The answer for uid at monotonic time now: IDENT_OK with *p (uid, user,
 * groups; pid is the caller's), IDENT_REFUSED with the sentence in err, or
 * IDENT_WAIT (asked; poll ident_fd).  Never waits. */
enum ident_answer ident_get(struct ident *c, unsigned uid, double now, struct session_peer *p,
                            char *err, size_t errlen);

/* Readable when a lookup finished; ident_ack after reading the answers. */
int ident_fd(const struct ident *c);
void ident_ack(struct ident *c);

/* Lookups done by the thread since the start (a test counts them). */
unsigned long ident_lookups(struct ident *c);

#endif
