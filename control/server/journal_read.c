/* journal_read — reading the journal back: the last n entries, the entries
 * of a time range, and verification of the hash chain.
 *
 * Verification of line i against line i-1 (hash h, sequence s):
 *   hash and SEQ = s+1 match            ok
 *   hash wrong, SEQ = s+1                line i was changed
 *   hash wrong, SEQ > s+1                SEQ-s-1 lines were removed before line i
 *   hash wrong, SEQ <= s                 line i was inserted
 *   hash right, SEQ wrong                renumbered (forged)
 * The hash of a keyed line (k=) is an HMAC with the furnace's key: checked only given the
 * key; without it the keyed lines are checked for their sequence and form alone, and the
 * verdict says so.  Unkeyed lines (h=, plain SHA-256) may only come before the first keyed
 * line, which must be the `server rekey` line (journal_write.c); and when a key file exists
 * the chain must be keyed: a forger who rewrites the journal and recomputes the chain
 * without the key (with SHA-256, or an HMAC with another key) fails at the first line he
 * touched, or at the first keyed line after it, or for having no keyed line at all.
 * A later rekey line marks a new key (the old one lost: journal_rekey): the key file's key
 * is checked from the last keyed rekey line on (a first pass finds it); keyed lines before
 * it are checked for order and form, and the note counts them.  A forged rekey line cannot
 * carry the key's HMAC, so the check fails at it.
 * Removing the last lines of the newest file leaves a chain that verifies; the heads the
 * server published in the system journal (journal_heads.c) find it: a published head
 * beyond the journal's last line means the journal was truncated after that line.  Without
 * the heads the verdict names the last line when it is not the server's `stop` line.
 */
#include "journal_int.h"

#include <errno.h>
#include <stdarg.h>
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

/* One more clause of c->note, after "; ". */
__attribute__((format(printf, 2, 3))) static void note(struct journal_check *c, const char *fmt,
                                                       ...)
{
    size_t u = strlen(c->note);
    if (u > 0)
        snprintf(c->note + u, sizeof c->note - u, "; ");
    u = strlen(c->note);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->note + u, sizeof c->note - u, fmt, ap);
    va_end(ap);
}

/* The walk's state: the chain so far and what the verdict needs. */
struct walk {
    unsigned char head[JOURNAL_HASH_LEN];
    long seq;
    bool keyed;               /* the keyed chain has started */
    char keyed_at[96];        /* where: "journal-....log line N" or "the anchor" */
    const struct hmac_sha256_ctx *mac; /* NULL: keyed lines' HMAC not checked */
    struct journal_entry last; /* the last line that verified */
    char last_file[32];
    long last_line;
};

/* Check one line against the chain state; advance it or explain what is wrong. */
static bool check_line(struct walk *w, const char *file, long no, const char *line, size_t len,
                       char *why, size_t whylen)
{
    unsigned char stored[JOURNAL_HASH_LEN], h[JOURNAL_HASH_LEN];
    long n;
    bool k;
    long text = journal_split_line(line, len, &n, stored, &k);
    if (text < 0) {
        snprintf(why, whylen, "no sequence number and hash: not a line the journal wrote");
        return false;
    }
    struct journal_entry e;
    bool parsed = journal_parse(line, &e) == 0;
    if (!k && w->keyed) {
        snprintf(why, whylen,
                 "an unkeyed line (h=) after the keyed chain started at %s: written without "
                 "the key",
                 w->keyed_at);
        return false;
    }
    if (k && !w->keyed && !(parsed && journal_is_rekey(&e))) {
        snprintf(why, whylen, "a keyed line (k=) before any `server rekey` line: the keyed chain "
                              "must start with one");
        return false;
    }
    bool hash_ok = true; /* a keyed line without the key: its form only */
    if (!k || w->mac) {
        journal_chain(k ? w->mac : NULL, w->head, line, (size_t)text, h);
        hash_ok = memcmp(h, stored, sizeof h) == 0;
    }
    if (hash_ok && n == w->seq + 1) {
        memcpy(w->head, stored, JOURNAL_HASH_LEN);
        w->seq = n;
        if (k && !w->keyed) {
            w->keyed = true;
            snprintf(w->keyed_at, sizeof w->keyed_at, "%s line %ld", file, no);
        }
        if (parsed)
            w->last = e;
        else
            memset(&w->last, 0, sizeof w->last);
        str_copy(w->last_file, sizeof w->last_file, file);
        w->last_line = no;
        return true;
    }
    const char *how = k ? "its HMAC does not match its text with this furnace's key (rewritten "
                          "without the key, or with another key)"
                        : "its hash does not match its text";
    if (hash_ok && (!k || w->mac))
        snprintf(why, whylen, "renumbered: n=%ld where n=%ld was expected", n, w->seq + 1);
    else if (n == w->seq + 1)
        snprintf(why, whylen, "changed: %s", how);
    else if (n > w->seq + 1)
        snprintf(why, whylen, "%ld line(s) removed before it (n=%ld follows n=%ld)",
                 n - w->seq - 1, n, w->seq);
    else
        snprintf(why, whylen, "inserted: n=%ld does not follow n=%ld", n, w->seq);
    return false;
}

/* The last keyed `server rekey` line (file index, line number): the key it
 * starts is the key file's, so the HMAC is checked from it on; keyed lines
 * before it carry an earlier, lost key's.  *ri -1: none (check every line). */
static void last_rekey(const char *dir, const struct dayfile_list *l, long aday, char *line,
                       int *ri, long *rn)
{
    *ri = -1;
    *rn = 0;
    for (int i = 0; i < l->n; i++) {
        char path[JOURNAL_PATH_MAX + 32];
        if (l->day[i] <= aday)
            continue;
        journal_day_path(path, sizeof path, dir, l->day[i]);
        FILE *f = journal_open_read(path);
        if (!f)
            continue; /* the walk reports it */
        long no = 0, len, n;
        enum journal_line_status st;
        while ((len = journal_next_line(f, line, JOURNAL_LINE_MAX + 1, &st)) >= 0) {
            no++;
            unsigned char h[JOURNAL_HASH_LEN];
            bool k;
            struct journal_entry e;
            if (st == LINE_OK && strstr(line, " server rekey ") &&
                journal_split_line(line, (size_t)len, &n, h, &k) >= 0 && k &&
                journal_parse(line, &e) == 0 && journal_is_rekey(&e)) {
                *ri = i;
                *rn = no;
            }
        }
        fclose(f);
    }
}

static int by_seq(const void *a, const void *b)
{
    const struct journal_head *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The heads published for line n of the chain: each must be that line's hash. */
static bool check_heads(const struct journal_head *hd, int nh, int *hi, const struct walk *w,
                        struct journal_check *c, char *why, size_t whylen)
{
    for (; *hi < nh && hd[*hi].seq == w->seq; (*hi)++) {
        if (memcmp(hd[*hi].hash, w->head, JOURNAL_HASH_LEN) != 0) {
            snprintf(why, whylen,
                     "n=%ld is not the line whose head was published at %s of %s (heads line "
                     "%ld): the journal was rewritten here or before",
                     w->seq, hd[*hi].event, hd[*hi].date, hd[*hi].src);
            return false;
        }
        c->heads++;
    }
    return true;
}

int journal_verify_with(const char *dir, const struct journal_verify_opts *o,
                        struct journal_check *c)
{
    memset(c, 0, sizeof *c);
    struct walk w;
    memset(&w, 0, sizeof w);
    long aday = -1;
    bool akeyed = false;
    int a = journal_anchor_state(dir, &aday, &w.seq, w.head, &akeyed);
    if (a == -1)
        return -1;
    if (a == -2)
        return bad(c, ANCHOR, 0,
                   "damaged: expected \"YYYY-MM-DD SEQ HASH\" or \"YYYY-MM-DD SEQ HASH keyed\"");
    if (a == 0)
        aday = -1;
    w.keyed = a == 1 && akeyed;
    if (w.keyed)
        snprintf(w.keyed_at, sizeof w.keyed_at, "the anchor of the pruned files");
    long start = w.seq;
    struct hmac_sha256_ctx mac;
    if (o->key_state == 1)
        journal_mac_init(&mac, o->key);
    struct journal_head *hd = NULL;
    int nh = 0, hi = 0, pruned = 0;
    if (o->nheads > 0) {
        hd = malloc(sizeof *hd * (size_t)o->nheads);
        if (!hd) {
            errno = ENOMEM;
            return -1;
        }
        memcpy(hd, o->heads, sizeof *hd * (size_t)o->nheads);
        nh = o->nheads;
        qsort(hd, (size_t)nh, sizeof *hd, by_seq);
        while (hi < nh && hd[hi].seq < start)
            hi++;
        pruned = hi;
    }
    struct dayfile_list l;
    char *line = days_and_buffer(dir, &l);
    if (!line) {
        free(hd);
        return -1;
    }
    bool torn_end = false;
    int rc = 0, ri = -1;
    long rn = 0;
    char why[400], rk_at[96] = "";
    if (o->key_state == 1)
        last_rekey(dir, &l, aday, line, &ri, &rn);
    if (!check_heads(hd, nh, &hi, &w, c, why, sizeof why)) /* a head at the anchor */
        rc = bad(c, ANCHOR, 0, why);
    for (int i = 0; i < l.n && rc == 0; i++) {
        char path[JOURNAL_PATH_MAX + 32], name[32], date[11];
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
            /* the key file's key from the last rekey line on (the whole chain when there is
             * one rekey line); an earlier key's lines: order and form */
            w.mac = o->key_state == 1 && (i > ri || (i == ri && no >= rn)) ? &mac : NULL;
            if (st == LINE_LONG)
                rc = bad(c, name, no, "longer than any line the journal writes");
            else if (st == LINE_TORN && i == l.n - 1)
                torn_end = true;
            else if (st == LINE_TORN)
                rc = bad(c, name, no, "incomplete line (no newline) in the middle of the journal");
            else if (!check_line(&w, name, no, line, (size_t)len, why, sizeof why))
                rc = bad(c, name, no, why);
            else if (!check_heads(hd, nh, &hi, &w, c, why, sizeof why))
                rc = bad(c, name, no, why);
            else {
                c->lines++;
                c->keyed += w.keyed;
                c->early += w.keyed && !w.mac && o->key_state == 1;
                if (i == ri && no == rn)
                    snprintf(rk_at, sizeof rk_at, "%s line %ld", name, no);
            }
        }
        fclose(f);
    }
    int err = errno;
    free(line);
    free(l.day);
    if (rc == 0 && hi < nh) { /* heads beyond the last line: cut off */
        char at[96];
        if (w.last_line > 0)
            snprintf(at, sizeof at, "%s line %ld", w.last_file, w.last_line);
        else
            snprintf(at, sizeof at, "the start of the journal");
        snprintf(why, sizeof why,
                 "truncated after %s (n=%ld): the head published at %s of %s (heads line %ld) "
                 "is n=%ld, so at least %ld line(s) were cut off",
                 at, w.seq, hd[nh - 1].event, hd[nh - 1].date, hd[nh - 1].src, hd[nh - 1].seq,
                 hd[nh - 1].seq - w.seq);
        rc = bad(c, w.last_line > 0 ? w.last_file : "journal", w.last_line, why);
        if (w.last_line > 0) /* the sentence names the line: no "FILE line N:" before it */
            snprintf(c->text, sizeof c->text, "%s", why);
    }
    if (rc == 0 && o->key_state != 0 && !w.keyed && c->lines > 0)
        rc = bad(c, w.last_file, 0,
                 "a key exists but no line is keyed: the chain was rewritten without the key, "
                 "or the server has not run with the key yet");
    free(hd);
    if (rc < 0)
        errno = err;
    if (rc != 0)
        return rc;
    c->ok = true;
    c->key_checked = o->key_state == 1 && c->keyed > 0;
    const char *how = c->keyed == 0 ? "unkeyed chain"
                      : o->key_state == 1 ? "HMAC checked with the key"
                                          : "HMAC NOT checked";
    char kinfo[96] = "";
    if (c->keyed > 0)
        snprintf(kinfo, sizeof kinfo, ", %ld keyed", c->keyed);
    snprintf(c->text, sizeof c->text, "OK: %ld line%s in %d file%s verify (%s%s)%s%s", c->lines,
             c->lines == 1 ? "" : "s", c->files, c->files == 1 ? "" : "s", how, kinfo,
             aday >= 0 ? " from the anchor of the pruned files" : "",
             torn_end ? "; the last line is incomplete (a crash during a write)" : "");
    /* what was not checked, one clause each */
    if (c->keyed > 0 && o->key_state == -1)
        note(c, "the key was not checked (%s): the keyed lines were checked for their order and "
             "form only; the server's account or root can check the key",
             o->key_why ? o->key_why : "the key cannot be read");
    else if (c->keyed > 0 && o->key_state == 0)
        note(c, "the key was not checked (there is no key file): the keyed lines were checked for "
             "their order and form only");
    else if (c->lines > 0 && c->keyed == 0)
        note(c, "the chain is unkeyed (plain SHA-256, from before the key): anyone can recompute "
             "it; the server starts the keyed chain when it next starts");
    if (c->early > 0)
        note(c, "%ld keyed line%s before the last rekey line (%s) carry the HMAC of an earlier "
             "key, lost or replaced: checked for their order and form only",
             c->early, c->early == 1 ? "" : "s", rk_at);
    if (nh > 0 && pruned > 0)
        note(c, "%d published head%s before the pruned files' anchor not checked", pruned,
             pruned == 1 ? "" : "s");
    if (nh > 0)
        note(c, "%d published head%s matched", c->heads, c->heads == 1 ? "" : "s");
    else if (!o->live && w.last_line > 0 && !(strcmp(w.last.kind, "server") == 0 &&
                                  strcmp(w.last.what, "stop") == 0))
        note(c, "the last line (%s line %ld, n=%ld) is not the server's stop line: the server is "
             "running or ended without one, or the journal was truncated after that line; "
             "--heads with the published heads tells which",
             w.last_file, w.last_line, w.seq);
    return 0;
}

int journal_verify(const char *dir, struct journal_check *c)
{
    struct journal_verify_opts o = {0};
    return journal_verify_with(dir, &o, c);
}
