/* journal_int — what the files of the journal share (journal_hash.c,
 * journal_line.c, journal_files.c, journal_write.c, journal_read.c).
 * Private to the journal: the rest of the server uses journal.h.
 */
#ifndef MELTCON_JOURNAL_INT_H
#define MELTCON_JOURNAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "journal.h"

#define HEX_LEN (2 * JOURNAL_HASH_LEN)
#define ANCHOR "journal.anchor"
#define TORN_SHOWN 160 /* bytes of a torn line quoted in the repair line */

/* ---- the hash (journal_hash.c) ------------------------------------------- */

/* The chain step: SHA-256(prev || text) with mac NULL (a line from before
 * the key), else HMAC-SHA-256(key, prev || text) with mac keyed by
 * journal_mac_init. */
void journal_chain(const struct hmac_sha256_ctx *mac, const unsigned char prev[JOURNAL_HASH_LEN],
                   const char *text, size_t len, unsigned char out[JOURNAL_HASH_LEN]);
void journal_mac_init(struct hmac_sha256_ctx *mac, const unsigned char key[JOURNAL_KEY_LEN]);
/* 32 bytes as 64 lowercase hex digits and a NUL. */
void journal_to_hex(const unsigned char *h, char *hex);
/* 64 lowercase hex digits to 32 bytes; -1 if not exactly that. */
int journal_from_hex(const char *hex, unsigned char *h);
/* The value of one lowercase hex digit, -1 for any other byte. */
int journal_hex_val(char c);

/* ---- the line (journal_line.c) -------------------------------------------- */

/* A stored line's tail " n=SEQ h=HASH" (unkeyed) or " n=SEQ k=HASH" (keyed):
 * the length of the hashed text before " h="/" k=", the sequence, the hash and
 * whether it is keyed.  -1 if the line does not end that way. */
long journal_split_line(const char *line, size_t len, long *seq, unsigned char *hash,
                        bool *keyed);
/* The kind and what of a line: is it the `server rekey` line? */
bool journal_is_rekey(const struct journal_entry *e);

/* ---- the files (journal_files.c) ------------------------------------------ */

enum journal_line_status { LINE_OK, LINE_TORN, LINE_LONG };

/* The end of a day file: its last complete line (hash, sequence) and what follows it. */
struct journal_end {
    bool has_line;
    bool keyed; /* the last complete line is a keyed one */
    unsigned char hash[JOURNAL_HASH_LEN];
    long seq;
    off_t cut; /* end of the last complete line */
    off_t size;
    char torn[TORN_SHOWN + 1]; /* start of a torn last line, "" when none */
};

/* DIR/journal-YYYY-MM-DD.log of a day number. */
void journal_day_path(char *out, size_t size, const char *dir, long day);
/* The next line of f into buf (at most size-1 bytes, newline removed, NUL added).
 * Returns its length, or -1 at the end of the file.  A line longer than the buffer
 * is LINE_LONG and the rest of it skipped; a last line without newline is LINE_TORN. */
long journal_next_line(FILE *f, char *buf, size_t size, enum journal_line_status *st);
/* A file for reading; NULL with EINVAL when it is not a regular file. */
FILE *journal_open_read(const char *path);
/* The end of the day file at path into *t: 0, or -1 with errno.  A file that is
 * not a regular file reads as empty. */
int journal_read_end(const char *path, struct journal_end *t);
/* The anchor, with strict parsing: 1 present and valid, 0 absent, -2 damaged, -1 I/O.
 * *keyed: the anchor's head is a keyed line's (" keyed" after the hash). */
int journal_anchor_state(const char *dir, long *day, long *seq, unsigned char *hash, bool *keyed);
/* fsync the directory itself, so a file created or renamed in it stays (best effort). */
void journal_fsync_dir(const char *dir);

#endif
