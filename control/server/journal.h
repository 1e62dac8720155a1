/* journal — the furnace's record of events and operator actions.
 *
 * Append-only text, one self-contained line per event, daily files
 * journal-YYYY-MM-DD.log (UTC date) in one directory, every line closed by a
 * sequence number and a hash chained from the line before it, so a changed,
 * removed or inserted line is found by journal_verify().  The hash is an
 * HMAC-SHA-256 with the furnace's key (" k=", journal_key.c): without the
 * key nobody can write a chain that verifies.  Journals from before the key
 * hold unkeyed SHA-256 lines (" h="); a `server rekey` line marks where the
 * keyed chain starts.  The line format is documented at the top of
 * journal_line.c, verification at the top of journal_read.c.
 *
 * Time is wall-clock Unix seconds, always passed in by the caller.  Writes
 * go straight to the file descriptor (no stdio buffer), so what
 * journal_append() accepted survives a crash of the server; with sync it is
 * on disk too.  A failed write (full disk) returns -1 with errno, leaves the
 * file as it was and the journal usable: the caller raises the DISK alarm
 * and carries on.
 */
#ifndef MELTCON_JOURNAL_H
#define MELTCON_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <nettle/hmac.h>

#include "input.h"

#define JOURNAL_USER_MAX 32
#define JOURNAL_ORIGIN_MAX 64
#define JOURNAL_KIND_MAX 16
#define JOURNAL_WHAT_MAX 64
#define JOURNAL_VALUE_MAX 64
#define JOURNAL_REASON_MAX INPUT_REASON_SIZE /* a whole reason (input.h) */
#define JOURNAL_RESULT_MAX 640 /* "refused: " + a core result's sentence, whole */
#define JOURNAL_LINE_MAX 8192 /* longest line, newline included */
#define JOURNAL_PATH_MAX 256
#define JOURNAL_HASH_LEN 32 /* SHA-256, HMAC-SHA-256 */
#define JOURNAL_KEY_LEN 32  /* the furnace's key: 32 random bytes */
#define JOURNAL_KEY_FILE "journal.key" /* in the state directory, mode 0400 */

/* One event.  Text fields are NUL-terminated; any byte but NUL is allowed
 * (quoted and escaped on the line); "" is written as "-". */
struct journal_entry {
    double t;                          /* wall-clock Unix seconds, ms kept */
    char user[JOURNAL_USER_MAX];       /* "anna" */
    char origin[JOURNAL_ORIGIN_MAX];   /* "pts/3", "ssh:10.1.2.3", "server" */
    char kind[JOURNAL_KIND_MAX];       /* set cmd ack shelve alarm phase server link */
    char what[JOURNAL_WHAT_MAX];       /* target: "bath.sp", "open_sc_door", "roof_hh" */
    char old_value[JOURNAL_VALUE_MAX]; /* before, "" when none */
    char new_value[JOURNAL_VALUE_MAX]; /* after or requested, "" when none */
    char reason[JOURNAL_REASON_MAX];   /* the operator's reason */
    char result[JOURNAL_RESULT_MAX];   /* "ok", "refused: SENTENCE", "" when none */
    long seq;                          /* set by journal_append / journal_parse */
};

struct journal {
    char dir[JOURNAL_PATH_MAX];
    int fd;                               /* the day file being appended, -1 none */
    int old_fd;                           /* the one before it (a new day, a failed append),
                                             kept open for journal_sync; -1 none */
    long day;                             /* its day number (days since 1970), -1 none */
    unsigned char head[JOURNAL_HASH_LEN]; /* hash of the last line written */
    long seq;                             /* sequence number of that line */
    long appended;                        /* lines written since open */
    long failures;                        /* appends refused since open */
    int last_errno;                       /* errno of the last failure, 0 none */
    long repaired;                        /* torn bytes removed at open (crash) */
    long long cut_to;                     /* a half-written line to cut off first, -1 */
    bool keyed;                           /* lines are HMAC'd with mac (" k=") */
    bool head_keyed;                      /* the last line is a keyed one */
    bool rekeyed;                         /* journal_open wrote a rekey line */
    struct hmac_sha256_ctx mac;           /* keyed with the furnace's key */
    /* Called with the head before the first line of a new day goes in (event
     * "day": the closing head of `day`) and by journal_close ("stop"); NULL
     * none.  Set with journal_publish(). */
    void (*publish)(void *ctx, const char *event, long day, long seq, bool keyed,
                    const unsigned char *head);
    void *publish_ctx;
};

/* Open the journal in DIR (which must exist) for appending.  The chain
 * continues from the last line of the newest day file.  A torn last line
 * left by a crash (no newline: its append never returned) is cut off and
 * its text journalled in a `server journal` line at time `now`.  With a key
 * (JOURNAL_KEY_LEN bytes; NULL: unkeyed SHA-256 lines, as before the key)
 * every line is HMAC'd; when the chain so far is not keyed (a new journal,
 * or one from before the key) a `server rekey` line starts the keyed chain.
 * Without a key a keyed journal is not opened (ENOKEY).  Returns 0, or -1
 * with errno. */
int journal_open(struct journal *j, const char *dir, double now, const unsigned char *key);

/* Append a `server rekey` line now, keyed, with why as its reason: the key
 * changed (a new one made because the old one is lost), so the lines before
 * it verify for their order and form only.  On failure the journal is
 * closed.  Returns 0, or -1 with errno. */
int journal_rekey(struct journal *j, double now, const char *why);

/* Have fn called with the chain's head at the end of each day and at
 * journal_close (see struct journal). */
void journal_publish(struct journal *j,
                     void (*fn)(void *ctx, const char *event, long day, long seq, bool keyed,
                                const unsigned char *head),
                     void *ctx);

/* Append one event (its seq is ignored and assigned).  The line goes to the
 * day file of e->t, or to the newest file if the clock went back a day.
 * With sync the line is on disk (fsync) before this returns: an operator
 * action is confirmed only after that.  Returns 0, or -1 with errno
 * (ENOSPC, EIO, EINVAL for a non-finite time); on failure the file is cut
 * back to its previous length and the chain is unchanged, so the next
 * append carries on. */
int journal_append(struct journal *j, const struct journal_entry *e, bool sync);

/* Make every line appended so far durable: fsync the day file, and the
 * one before it when a new day or a failed append replaced it since the
 * last sync (then closed).  fsync_fn(fd, ctx) does the syncing (NULL:
 * fsync(2)), so a writer can count or hold it.  This is the group commit:
 * many appends without sync, one journal_sync.  Returns 0, or -1 with
 * errno when a sync failed (the lines may not be on disk). */
int journal_sync(struct journal *j, int (*fsync_fn)(int fd, void *ctx), void *ctx);

void journal_close(struct journal *j);

/* The chain's head as 64 hex digits (for the status page and shift reports:
 * a copy of it elsewhere makes the removal of the last lines evident). */
void journal_head_hex(const struct journal *j, char hex[2 * JOURNAL_HASH_LEN + 1]);

/* The text of an entry's line without " n=SEQ h=HASH" and the newline.
 * Returns its length, or -1 if the buffer is too small or t not finite. */
int journal_format(const struct journal_entry *e, char *buf, size_t len);

/* Parse one line (with or without " n=SEQ h=HASH" and the newline) back
 * into *e.  Returns 0, or -1 for a line that is not a journal line. */
int journal_parse(const char *line, struct journal_entry *e);

/* The last n entries of the journal, oldest first, into out[0..n-1].
 * Lines that do not parse are skipped.  Returns the count, or -1. */
int journal_tail(const char *dir, struct journal_entry *out, int n);

/* Called for each entry read; `line` is the line as stored, without its
 * newline.  Return nonzero to stop reading. */
typedef int (*journal_fn)(const struct journal_entry *e, const char *line, void *ctx);

/* Every entry with since <= t < until (until <= 0: no end), in file
 * order.  Returns the number of entries passed to fn, or -1 with errno. */
long journal_read(const char *dir, double since, double until, journal_fn fn, void *ctx);

struct journal_check {
    bool ok;
    bool key_checked; /* every keyed line's HMAC was checked with the key */
    int files;      /* day files walked */
    long lines;     /* lines that verified */
    long keyed;     /* of them keyed (" k=") */
    long early;     /* of those, keyed with an earlier key (before the last rekey line) */
    int heads;      /* published heads that matched their line */
    char file[64];  /* the first bad file, "" when ok */
    long line;      /* the first bad line in it, 1-based, 0 when ok */
    char text[600]; /* one sentence: OK with the counts, or what is wrong */
    char note[600]; /* what was not or could not be checked, "" when nothing */
};

/* A chain head published in the system journal (journal_heads.c). */
struct journal_head {
    long seq;
    bool keyed;
    unsigned char hash[JOURNAL_HASH_LEN];
    char event[8]; /* start stop day */
    char date[11]; /* YYYY-MM-DD: the day the head closes (day) or the file it is in */
    long src;      /* its line in the heads file */
};

/* What journal_verify_with() checks besides the chain's structure. */
struct journal_verify_opts {
    /* 1: key holds the furnace's key and every keyed line's HMAC is checked;
     * 0: there is no key file (a journal from before the key verifies as it
     * did); -1: a key file exists but could not be read (key_why says why):
     * the keyed lines are checked for their structure only, and the chain
     * must be keyed. */
    int key_state;
    const unsigned char *key;
    const char *key_why;
    const struct journal_head *heads; /* published heads, or NULL */
    int nheads;
    bool live; /* the running server's own check: no note that the last line is no stop */
};

/* Walk every day file in date order and check each line's hash and
 * sequence against the line before it (across files; the first file
 * chains from journal.anchor, written by journal_prune, or from the seed).
 * Reports the first line changed, removed before, or inserted; given the
 * published heads, a line that differs from its head and lines cut off the
 * end (truncation).  A torn last line of the newest file (a crash during a
 * write) is noted, not an error.  Returns 0 when everything verifies, 1
 * when a line does not, -1 with errno when the directory cannot be read. */
int journal_verify_with(const char *dir, const struct journal_verify_opts *o,
                        struct journal_check *out);
/* journal_verify_with() without a key or heads. */
int journal_verify(const char *dir, struct journal_check *out);

/* ---- the key (journal_key.c) ---- */

/* Read the key file at path into key: 1, 0 when there is none (ENOENT), or
 * -1 with a sentence in why (not readable by this account, not a regular
 * file, not JOURNAL_KEY_LEN bytes, readable by group or others). */
int journal_key_load(const char *path, unsigned char key[JOURNAL_KEY_LEN], char *why, size_t n);
/* journal_key_load(), and when there is no key yet, create it: 32 bytes from
 * getrandom(2), mode 0400, owned by the calling account (the server's).
 * Returns 1 loaded, 2 created, or -1 with a sentence in why. */
int journal_key_ensure(const char *path, unsigned char key[JOURNAL_KEY_LEN], char *why, size_t n);

/* ---- published heads (journal_heads.c) ---- */

#define JOURNAL_HEAD_MSGID "188b10076d5247b2a76bd1b61eb62c88" /* MESSAGE_ID= of a head */
#define JOURNAL_HEAD_MARK "journal-head " /* the MESSAGE starts with it */

/* The MESSAGE of a published head, as sysjournal sends it and --heads reads it:
 * "journal-head furnace=NAME event=EVENT date=YYYY-MM-DD n=SEQ k=HEX" (h= for an
 * unkeyed head).  Returns its length, or -1 if it does not fit. */
int journal_head_text(char *buf, size_t len, const char *furnace, const char *event, long day,
                      long seq, bool keyed, const unsigned char *head);
/* Read published heads from f (journalctl -o cat or -o short output, a
 * syslog file: each line holds one head after JOURNAL_HEAD_MARK; anything
 * before the mark is ignored, a line without the mark is a mistake unless
 * it is empty or a journalctl "-- ... --" line).  Heads of other furnaces
 * are a mistake.  Returns the count in *out (malloc'd), or -1 with a
 * sentence naming the file's line in why. */
int journal_heads_read(FILE *f, const char *name, const char *furnace, struct journal_head **out,
                       char *why, size_t n);

/* Remove the day files of days before the newest keep_days days (today,
 * from `now`, counts as one); 0 = keep everything.  The newest file is
 * never removed.  The chain's state at the cut is first saved to
 * journal.anchor so the rest still verifies.  Returns the number of files
 * removed, or -1 with errno. */
int journal_prune(const char *dir, double now, int keep_days);

/* SHA-256 (FIPS 180-4, nettle) of data[0..len-1]. */
void journal_sha256(const void *data, size_t len, unsigned char out[JOURNAL_HASH_LEN]);
/* HMAC-SHA-256 (RFC 2104, nettle) of data[0..len-1] with key[0..keylen-1]. */
void journal_hmac(const void *key, size_t keylen, const void *data, size_t len,
                  unsigned char out[JOURNAL_HASH_LEN]);

#endif
