/* journal_read — reading the journal back: the last n entries, the entries
 * of a time range, and verification of the hash chain.
 *
 * Verification of line i against line i-1 (hash h, sequence s):
 *   hash and SEQ = s+1 match            ok
 *   hash wrong, SEQ = s+1                line i was changed
 *   hash wrong, SEQ > s+1                SEQ-s-1 lines were removed before line i
 *   hash wrong, SEQ <= s                 line i was inserted
 *   hash right, SEQ wrong                renumbered (forged)
 * Removing the last lines of the newest file is invisible to a chain that lives only in
 * these files: journal_head_hex() gives the head to keep elsewhere.
 */
#include "journal_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile.h"
#include "util.h"

static void swap_entries(struct journal_entry *a, struct journal_entry *b)
{
    struct journal_entry t = *a;
    *a = *b;
    *b = t;
}

static void reverse(struct journal_entry *e, int lo, int hi)
{
    for (hi--; lo < hi; lo++, hi--)
        swap_entries(&e[lo], &e[hi]);
}

/* The journal's day files in *l and a buffer for one line: the buffer, or
 * NULL with errno (nothing to free).  The caller frees both. */
static char *days_and_buffer(const char *dir, struct dayfile_list *l)
{
    if (dayfile_list(dir, "journal", "log", l) < 0)
        return NULL;
    char *line = malloc(JOURNAL_LINE_MAX + 1);
    if (!line) {
        free(l->day);
        errno = ENOMEM;
    }
    return line;
}

int journal_tail(const char *dir, struct journal_entry *out, int n)
{
    struct dayfile_list l;
    if (n <= 0)
        return 0;
    char *line = days_and_buffer(dir, &l);
    if (!line)
        return -1;
    int want = n;
    for (int i = l.n - 1; i >= 0 && want > 0; i--) {
        char path[JOURNAL_PATH_MAX + 32];
        journal_day_path(path, sizeof path, dir, l.day[i]);
        FILE *f = journal_open_read(path);
        if (!f)
            continue;
        long count = 0;
        enum journal_line_status st;
        struct journal_entry e;
        while (journal_next_line(f, line, JOURNAL_LINE_MAX + 1, &st) >= 0)
            if (st == LINE_OK && journal_parse(line, &e) == 0)
                out[count++ % want] = e; /* a ring over out[0..want-1] */
        fclose(f);
        int got = count < want ? (int)count : want;
        int oldest = count < want ? 0 : (int)(count % want);
        reverse(out, 0, oldest); /* rotate left by `oldest`: oldest first */
        reverse(out, oldest, got);
        reverse(out, 0, got);
        for (int k = got - 1; k >= 0; k--) /* to the end of the free part */
            out[want - got + k] = out[k];
        want -= got;
    }
    free(line);
    free(l.day);
    if (want > 0)
        memmove(out, out + want, (size_t)(n - want) * sizeof *out);
    return n - want;
}

long journal_read(const char *dir, double since, double until, journal_fn fn, void *ctx)
{
    struct dayfile_list l;
    char *line = days_and_buffer(dir, &l);
    if (!line)
        return -1;
    long first = since > 0 ? dayfile_day(since) : 0, count = 0;
    bool stop = false;
    for (int i = 0; i < l.n && !stop; i++) {
        char path[JOURNAL_PATH_MAX + 32];
        if (l.day[i] < first) /* a file holds no line dated after its own date */
            continue;
        journal_day_path(path, sizeof path, dir, l.day[i]);
        FILE *f = journal_open_read(path);
        if (!f)
            continue;
        enum journal_line_status st;
        struct journal_entry e;
        while (!stop && journal_next_line(f, line, JOURNAL_LINE_MAX + 1, &st) >= 0) {
            if (st != LINE_OK || journal_parse(line, &e) < 0 || e.t < since ||
                (until > 0 && e.t >= until))
                continue;
            count++;
            stop = fn(&e, line, ctx) != 0;
        }
        fclose(f);
    }
    free(line);
    free(l.day);
    return count;
}

static int bad(struct journal_check *c, const char *file, long line, const char *what)
{
    c->ok = false;
    str_copy(c->file, sizeof c->file, file);
    c->line = line;
    if (line > 0)
        snprintf(c->text, sizeof c->text, "%s line %ld: %s", file, line, what);
    else
        snprintf(c->text, sizeof c->text, "%s: %s", file, what);
    return 1;
}

/* Check one line against the chain state; advance it or explain what is wrong. */
static bool check_line(const char *line, size_t len, unsigned char *head, long *seq, char *why,
                       size_t whylen)
{
    unsigned char stored[JOURNAL_HASH_LEN], h[JOURNAL_HASH_LEN];
    long n;
    long text = journal_split_line(line, len, &n, stored);
    if (text < 0) {
        snprintf(why, whylen, "no sequence number and hash: not a line the journal wrote");
        return false;
    }
    journal_chain(head, line, (size_t)text, h);
    bool hash_ok = memcmp(h, stored, sizeof h) == 0;
    if (hash_ok && n == *seq + 1) {
        memcpy(head, stored, JOURNAL_HASH_LEN);
        *seq = n;
        return true;
    }
    if (hash_ok)
        snprintf(why, whylen, "renumbered: n=%ld where n=%ld was expected", n, *seq + 1);
    else if (n == *seq + 1)
        snprintf(why, whylen, "changed: its hash does not match its text");
    else if (n > *seq + 1)
        snprintf(why, whylen, "%ld line(s) removed before it (n=%ld follows n=%ld)", n - *seq - 1,
                 n, *seq);
    else
        snprintf(why, whylen, "inserted: n=%ld does not follow n=%ld", n, *seq);
    return false;
}

int journal_verify(const char *dir, struct journal_check *c)
{
    memset(c, 0, sizeof *c);
    unsigned char head[JOURNAL_HASH_LEN] = {0};
    long seq = 0, aday = -1;
    int a = journal_anchor_state(dir, &aday, &seq, head);
    if (a == -1)
        return -1;
    if (a == -2)
        return bad(c, ANCHOR, 0, "damaged: expected \"YYYY-MM-DD SEQ HASH\"");
    if (a == 0)
        aday = -1;
    struct dayfile_list l;
    char *line = days_and_buffer(dir, &l);
    if (!line)
        return -1;
    bool torn_end = false;
    int rc = 0;
    for (int i = 0; i < l.n && rc == 0; i++) {
        char path[JOURNAL_PATH_MAX + 32], name[32], date[11], why[200];
        if (l.day[i] <= aday) /* pruned, the removal interrupted */
            continue;
        dayfile_date(l.day[i], date);
        snprintf(name, sizeof name, "journal-%s.log", date);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = journal_open_read(path);
        if (!f && errno == EINVAL) {
            rc = bad(c, name, 0, "not a regular file");
            break;
        }
        if (!f) {
            rc = -1;
            break;
        }
        c->files++;
        long no = 0, len;
        enum journal_line_status st;
        while (rc == 0 && (len = journal_next_line(f, line, JOURNAL_LINE_MAX + 1, &st)) >= 0) {
            no++;
            if (st == LINE_LONG)
                rc = bad(c, name, no, "longer than any line the journal writes");
            else if (st == LINE_TORN && i == l.n - 1)
                torn_end = true;
            else if (st == LINE_TORN)
                rc = bad(c, name, no, "incomplete line (no newline) in the middle of the journal");
            else if (check_line(line, (size_t)len, head, &seq, why, sizeof why))
                c->lines++;
            else
                rc = bad(c, name, no, why);
        }
        fclose(f);
    }
    free(line);
    free(l.day);
    if (rc != 0)
        return rc;
    c->ok = true;
    snprintf(c->text, sizeof c->text, "OK: %ld line%s in %d file%s verify%s%s", c->lines,
             c->lines == 1 ? "" : "s", c->files, c->files == 1 ? "" : "s",
             aday >= 0 ? " (from the anchor of the pruned files)" : "",
             torn_end ? "; the last line is incomplete (a crash during a write)" : "");
    return 0;
}
