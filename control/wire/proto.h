/* proto — the meltcon client protocol: framing and the text codec.
 *
 * Server and clients talk over a Unix SOCK_SEQPACKET socket: one message
 * per packet, at most PROTO_MAX_MSG bytes, so a message is never split or
 * merged and its size is bounded by the kernel.  A message is UTF-8 text:
 * lines separated by '\n', each line tokens separated by single spaces.
 * The first line names the message type and carries the protocol version:
 *
 *     hello 1 furnace=tcf1 role=operator user=anna ...
 *     snap 1 seq=812 ...
 *     req 1 id=7 verb=set target=bath.sp value=745 reason=after%20alloying
 *     reply 1 id=7 ok=1 text=bath.sp%20740%20->%20745
 *
 * A token is either a bare word or key=value.  Values are percent-encoded
 * (proto_esc): anything outside [A-Za-z0-9._:/+-] becomes %XX, so a value
 * never contains a space, '=', newline or NUL.  proto_parse() refuses a
 * message that breaks any of this (NUL bytes, too many lines or tokens, a
 * bad escape, an unknown type, a wrong version): the server closes that
 * client and nothing else.
 */
#ifndef MELTCON_PROTO_H
#define MELTCON_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_VERSION 1
/* The largest snapshot (CFG_MAX_TAGS tags, CFG_MAX_LOOPS loops,
 * CFG_MAX_ALARMS alarms shelved with full reasons, SNAP_MAX_PERMS blocked
 * commands with full conditions, every text %-escaped whole, every number
 * the longest exact decimal) is 108,000 bytes; tests/test_snap.c builds it
 * and checks that it fits.  The server asks for a socket send buffer that
 * holds two of these (session_accept). */
#define PROTO_MAX_MSG 131072
#define PROTO_MAX_LINES 640
#define PROTO_MAX_TOKENS 48

enum proto_type {
    PT_HELLO,   /* server -> client on connect */
    PT_SNAP,    /* server -> client, at the UI rate */
    PT_JOURNAL, /* server -> client: journal lines (the tail on connect, then new ones) */
    PT_REPLY,   /* server -> client: answer to a req */
    PT_REQ,     /* client -> server: a request (set, cmd, ack, ...) */
    PT_BYE,     /* either way: closing, with a reason */
    PT_COUNT
};

/* An outgoing message being built. */
struct proto_out {
    char buf[PROTO_MAX_MSG];
    size_t len;
    bool overflow; /* something did not fit: do not send */
};

/* Start a message of `type`; the header line gets the version. */
void proto_begin(struct proto_out *o, enum proto_type type);

/* Append raw text (already escaped where needed).  Lines are started with
 * proto_nl().  printf-style. */
__attribute__((format(printf, 2, 3))) void proto_add(struct proto_out *o, const char *fmt, ...);
void proto_nl(struct proto_out *o);

/* Append " key=ESCAPED(value)". */
void proto_kv(struct proto_out *o, const char *key, const char *value);
/* Append " key=NUMBER": the shortest decimal that reads back as exactly
 * `value` (config/numtext.h: 5002754.25 -> "5002754.25", never rounded);
 * a non-finite value is written "nan", which proto_getf() refuses (so an
 * optional field reads as absent). */
void proto_kvf(struct proto_out *o, const char *key, double value);
void proto_kvi(struct proto_out *o, const char *key, long long value);

/* Percent-encode `s` into dst (always terminated; truncated if short). */
void proto_esc(char *dst, size_t n, const char *s);
/* Decode in place; -1 on a bad escape or a decoded NUL. */
int proto_unesc(char *s);

/* A parsed message: lines of tokens pointing into `store`. */
struct proto_line {
    int ntok;
    char *tok[PROTO_MAX_TOKENS];
};

struct proto_msg {
    enum proto_type type;
    int nlines;
    struct proto_line line[PROTO_MAX_LINES];
    char store[PROTO_MAX_MSG + 1];
};

/* Parse one received packet.  Returns 0, or -1 with a reason in why. */
int proto_parse(const char *data, size_t len, struct proto_msg *m, char *why, size_t whylen);

/* The value of key=... on a line, decoded (NULL if absent).  Values are
 * decoded by proto_parse already. */
const char *proto_get(const struct proto_line *l, const char *key);
/* Numeric values: 0 on success, -1 if absent or not a finite number.
 * proto_getf() takes plain decimals only (digits, sign, '.', exponent) and
 * gives back bit for bit the double proto_kvf() wrote. */
int proto_getf(const struct proto_line *l, const char *key, double *v);
int proto_geti(const struct proto_line *l, const char *key, long long *v);

const char *proto_type_name(enum proto_type t);

#endif
