/* journal_heads — the chain's heads as the server publishes them in the
 * system journal (sysjournal.c) and as `meltcon journal --verify --heads`
 * reads them back.  One head is one MESSAGE, with MESSAGE_ID=
 * JOURNAL_HEAD_MSGID:
 *
 *   journal-head furnace=NAME event=EVENT date=YYYY-MM-DD n=SEQ k=HASH
 *
 *   EVENT  start  the head when the server opened the journal (after its
 *                 rekey or repair lines)
 *          day    the last line of day DATE, sent when the next day's first
 *                 line goes in
 *          stop   the head when the server closed the journal
 *   DATE   the day file the head's line is in
 *   k=/h=  the line's hash, keyed or not, as in the line (journal_line.c)
 *
 * A copy of these messages on the plant's log server makes a rewritten or
 * truncated journal disagree with it.  Reading them back takes any text in
 * which each line holds one head after "journal-head ": `journalctl -o cat`
 * or the default `-o short` output, or a syslog file; what comes before the
 * mark (a syslog prefix) is ignored.
 */
#include "journal_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile.h"
#include "util.h"

int journal_head_text(char *buf, size_t len, const char *furnace, const char *event, long day,
                      long seq, bool keyed, const unsigned char *head)
{
    char date[11], hex[HEX_LEN + 1];
    dayfile_date(day, date);
    journal_to_hex(head, hex);
    int n = snprintf(buf, len, "%sfurnace=%s event=%s date=%s n=%ld %s=%s", JOURNAL_HEAD_MARK,
                     furnace, event, date, seq, keyed ? "k" : "h", hex);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* "KEY=" at p, its value up to the next space into out: the position after it, or NULL. */
static const char *field(const char *p, const char *key, char *out, size_t size)
{
    size_t k = strlen(key);
    if (!p || strncmp(p, key, k) != 0 || p[k] != '=')
        return NULL;
    p += k + 1;
    size_t n = strcspn(p, " ");
    if (n == 0 || n >= size)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return p[n] == ' ' ? p + n + 1 : p + n;
}

static int parse_head(const char *s, const char *furnace, struct journal_head *h, char *why,
                      size_t n)
{
    char fur[128], event[16], date[16], seq[24], hash[HEX_LEN + 2];
    const char *p = field(s, "furnace", fur, sizeof fur);
    p = field(p, "event", event, sizeof event);
    p = field(p, "date", date, sizeof date);
    p = field(p, "n", seq, sizeof seq);
    bool keyed = p && p[0] == 'k';
    p = field(p, keyed ? "k" : "h", hash, sizeof hash);
    char *end = NULL;
    long sq = p ? strtol(seq, &end, 10) : -1;
    if (!p || *p != '\0' || strlen(date) != 10 || dayfile_parse_date(date) < 0 || !end ||
        *end != '\0' || seq[0] < '0' || seq[0] > '9' || sq < 0 || strlen(hash) != HEX_LEN ||
        journal_from_hex(hash, h->hash) < 0 ||
        (strcmp(event, "start") && strcmp(event, "stop") && strcmp(event, "day"))) {
        snprintf(why, n, "expected \"%sfurnace=NAME event=start|stop|day date=YYYY-MM-DD "
                         "n=SEQ k=HASH\" (64 lowercase hex digits; h= for an unkeyed head)",
                 JOURNAL_HEAD_MARK);
        return -1;
    }
    if (strcmp(fur, furnace) != 0) {
        snprintf(why, n, "a head of furnace %s, not of %s (select one furnace's: journalctl "
                         "MELTCON_FURNACE=%s)",
                 fur, furnace, furnace);
        return -1;
    }
    h->seq = sq;
    h->keyed = keyed;
    str_copy(h->event, sizeof h->event, event);
    str_copy(h->date, sizeof h->date, date);
    return 0;
}

int journal_heads_read(FILE *f, const char *name, const char *furnace, struct journal_head **out,
                       char *why, size_t n)
{
    char line[1024], what[300];
    int count = 0, cap = 0;
    long no = 0;
    struct journal_head *v = NULL;
    *out = NULL;
    while (fgets(line, sizeof line, f)) {
        no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            snprintf(why, n, "%s line %ld: longer than any head line", name, no);
            free(v);
            return -1;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || strncmp(line, "-- ", 3) == 0) /* journalctl's "-- Boot ... --" */
            continue;
        const char *mark = strstr(line, JOURNAL_HEAD_MARK);
        struct journal_head h;
        memset(&h, 0, sizeof h);
        if (!mark)
            snprintf(what, sizeof what, "no \"%s\" in it: not a published head (select the heads: "
                                        "journalctl MESSAGE_ID=%s)",
                     JOURNAL_HEAD_MARK, JOURNAL_HEAD_MSGID);
        if (!mark || parse_head(mark + strlen(JOURNAL_HEAD_MARK), furnace, &h, what,
                                sizeof what) < 0) {
            snprintf(why, n, "%s line %ld: %s", name, no, what);
            free(v);
            return -1;
        }
        h.src = no;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            struct journal_head *nv = realloc(v, sizeof *v * (size_t)cap);
            if (!nv) {
                snprintf(why, n, "%s: out of memory", name);
                free(v);
                return -1;
            }
            v = nv;
        }
        v[count++] = h;
    }
    if (ferror(f)) {
        snprintf(why, n, "cannot read %s: %s", name, strerror(errno));
        free(v);
        return -1;
    }
    *out = v;
    return count;
}
