/* journal_line — the journal's line format: one event as one line of text,
 * and back (see journal.h for the API).
 *
 * One line per event, fields separated by single spaces:
 *
 *   TIME USER@ORIGIN KIND WHAT OLD -> NEW reason=REASON result=RESULT n=SEQ k=HASH
 *
 *   2026-11-29T10:00:00.250Z anna@pts/3 set bath.sp 740 -> 745 reason="after alloying"
 *     result=ok n=57 k=3f0c...(64 hex)                                 (one line in the file)
 *
 *   TIME    UTC, ISO-8601 with milliseconds, always 24 characters.
 *   fields  USER, ORIGIN, KIND, WHAT, OLD, NEW, REASON and RESULT are each either a bare
 *           token (bytes above space except DEL, '"', '\' and '@'), or "-" for an empty
 *           field, or a "quoted string" with the escapes \" \\ \n \r \t and \xHH (for the
 *           other control bytes and DEL); other bytes, UTF-8 included, stand for
 *           themselves.  A field that is literally "-" or "->" is quoted.  So a line never
 *           holds a raw newline and splits back into exactly the fields written.
 *   SEQ     1 for the first line ever written, one more for each line, across days.
 *   HASH    k=: HMAC-SHA-256 with the furnace's key (journal_key.c) of (previous line's
 *           hash, 32 bytes || this line's text up to and including "n=SEQ"), lowercase hex
 *           (journal_hash.c).  h=: the same with plain SHA-256 instead of the HMAC: the
 *           lines of a journal written before the key (anyone can recompute those).  The
 *           first keyed line is a `server rekey` line (journal_write.c); every line after
 *           it is keyed.  The first line chains from the seed (32 zero bytes, SEQ 0) or from
 *           journal.anchor (journal_files.c).
 */
#include "journal_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile.h"
#include "util.h"

#define TIME_LEN 24 /* 2026-11-29T10:00:00.250Z */
#define T_MAX 253402300800.0 /* 10000-01-01: four-digit years only */

/* Every field escaped at its worst (4 bytes per byte) still fits a line. */
_Static_assert(TIME_LEN + 16 +
                       4 * (JOURNAL_USER_MAX + JOURNAL_ORIGIN_MAX + JOURNAL_KIND_MAX +
                            JOURNAL_WHAT_MAX + 2 * JOURNAL_VALUE_MAX + JOURNAL_REASON_MAX +
                            JOURNAL_RESULT_MAX) +
                       64 <
                   JOURNAL_LINE_MAX - 2 * JOURNAL_HASH_LEN - 32,
               "JOURNAL_LINE_MAX too small for the fields");

/* t >= 0 as "YYYY-MM-DDTHH:MM:SS.mmmZ", rounded to the millisecond. */
static void time_text(double t, char out[TIME_LEN + 1])
{
    unsigned long long ms = (unsigned long long)llround(t * 1000.0);
    long day = (long)(ms / 1000 / DAYFILE_SECS_PER_DAY);
    unsigned long sod = (unsigned long)(ms / 1000 % DAYFILE_SECS_PER_DAY);
    dayfile_date(day, out);
    out[10] = 'T';
    dec_write(out + 11, sod / 3600, 2);
    out[13] = ':';
    dec_write(out + 14, sod / 60 % 60, 2);
    out[16] = ':';
    dec_write(out + 17, sod % 60, 2);
    out[19] = '.';
    dec_write(out + 20, (unsigned long)(ms % 1000), 3);
    out[23] = 'Z';
    out[24] = '\0';
}

static int parse_time(const char *s, double *t)
{
    long day = dayfile_parse_date(s);
    long hh = dec_read(s + 11, 2), mi = dec_read(s + 14, 2), ss = dec_read(s + 17, 2);
    long ms = dec_read(s + 20, 3);
    if (day < 0 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' ||
        hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60 || ms < 0)
        return -1;
    *t = (double)(day * DAYFILE_SECS_PER_DAY + hh * 3600 + mi * 60 + ss) + (double)ms / 1000.0;
    return 0;
}

/* ---- fields: write and read back -------------------------------------------- */

struct out {
    char *p;
    size_t len, cap;
    bool over;
};

static void put_c(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->p[o->len++] = c;
    else
        o->over = true;
}

static void put_s(struct out *o, const char *s)
{
    while (*s)
        put_c(o, *s++);
}

static bool bare_byte(unsigned char c)
{
    return c > ' ' && c != 0x7f && c != '"' && c != '\\' && c != '@';
}

static void put_field(struct out *o, const char *s)
{
    bool bare = s[0] != '\0' && strcmp(s, "-") != 0 && strcmp(s, "->") != 0;
    for (const char *p = s; bare && *p; p++)
        bare = bare_byte((unsigned char)*p);
    if (s[0] == '\0') {
        put_c(o, '-');
        return;
    }
    if (bare) {
        put_s(o, s);
        return;
    }
    put_c(o, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[5];
        switch (*p) {
        case '"':
            put_s(o, "\\\"");
            break;
        case '\\':
            put_s(o, "\\\\");
            break;
        case '\n':
            put_s(o, "\\n");
            break;
        case '\r':
            put_s(o, "\\r");
            break;
        case '\t':
            put_s(o, "\\t");
            break;
        default:
            if (*p < ' ' || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                put_s(o, esc);
            } else {
                put_c(o, (char)*p);
            }
        }
    }
    put_c(o, '"');
}

/* One field at p into out[size]; `at` ends a bare token at '@' too.  Returns the
 * position after it, or NULL if it is malformed or does not fit. */
static const char *get_field(const char *p, char *out, size_t size, bool at)
{
    size_t n = 0;
    if (*p != '"') {
        while (*p && *p != ' ' && !(at && *p == '@')) {
            if (!bare_byte((unsigned char)*p) || n + 1 >= size)
                return NULL;
            out[n++] = *p++;
        }
        if (n == 0)
            return NULL;
        out[n] = '\0';
        if (strcmp(out, "-") == 0)
            out[0] = '\0';
        return p;
    }
    for (p++; *p != '"'; p++) {
        char c = *p;
        if (c == '\0' || (unsigned char)c < ' ' || c == 0x7f)
            return NULL;
        if (c == '\\') {
            p++;
            switch (*p) {
            case '"':
                c = '"';
                break;
            case '\\':
                c = '\\';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'x': {
                int hi = journal_hex_val(p[1]), lo = hi < 0 ? -1 : journal_hex_val(p[2]);
                if (lo < 0 || (hi << 4 | lo) == 0)
                    return NULL;
                c = (char)(hi << 4 | lo);
                p += 2;
                break;
            }
            default:
                return NULL;
            }
        }
        if (n + 1 >= size)
            return NULL;
        out[n++] = c;
    }
    out[n] = '\0';
    return p + 1;
}

static const char *expect(const char *p, const char *lit)
{
    size_t n = strlen(lit);
    return p && strncmp(p, lit, n) == 0 ? p + n : NULL;
}

int journal_format(const struct journal_entry *e, char *buf, size_t len)
{
    if (!isfinite(e->t) || e->t < 0 || e->t >= T_MAX || len == 0)
        return -1;
    struct out o = {.p = buf, .cap = len};
    char when[TIME_LEN + 1];
    time_text(e->t, when);
    put_s(&o, when);
    put_c(&o, ' ');
    put_field(&o, e->user);
    put_c(&o, '@');
    put_field(&o, e->origin);
    put_c(&o, ' ');
    put_field(&o, e->kind);
    put_c(&o, ' ');
    put_field(&o, e->what);
    put_c(&o, ' ');
    put_field(&o, e->old_value);
    put_s(&o, " -> ");
    put_field(&o, e->new_value);
    put_s(&o, " reason=");
    put_field(&o, e->reason);
    put_s(&o, " result=");
    put_field(&o, e->result);
    buf[o.len] = '\0';
    return o.over ? -1 : (int)o.len;
}

int journal_parse(const char *line, struct journal_entry *e)
{
    struct journal_entry x;
    memset(&x, 0, sizeof x);
    if (strlen(line) < TIME_LEN || parse_time(line, &x.t) < 0)
        return -1;
    const char *p = expect(line + TIME_LEN, " ");
    p = p ? get_field(p, x.user, sizeof x.user, true) : NULL;
    p = expect(p, "@");
    p = p ? get_field(p, x.origin, sizeof x.origin, true) : NULL;
    p = expect(p, " ");
    p = p ? get_field(p, x.kind, sizeof x.kind, false) : NULL;
    p = expect(p, " ");
    p = p ? get_field(p, x.what, sizeof x.what, false) : NULL;
    p = expect(p, " ");
    p = p ? get_field(p, x.old_value, sizeof x.old_value, false) : NULL;
    p = expect(p, " -> ");
    p = p ? get_field(p, x.new_value, sizeof x.new_value, false) : NULL;
    p = expect(p, " reason=");
    p = p ? get_field(p, x.reason, sizeof x.reason, false) : NULL;
    p = expect(p, " result=");
    p = p ? get_field(p, x.result, sizeof x.result, false) : NULL;
    if (p && strncmp(p, " n=", 3) == 0) {
        char *end;
        errno = 0;
        x.seq = strtol(p + 3, &end, 10);
        p = p[3] >= '0' && p[3] <= '9' && errno == 0 ? end : NULL;
    }
    if (p && (strncmp(p, " h=", 3) == 0 || strncmp(p, " k=", 3) == 0)) {
        unsigned char h[JOURNAL_HASH_LEN];
        p = journal_from_hex(p + 3, h) == 0 ? p + 3 + HEX_LEN : NULL;
    }
    if (p && *p == '\n')
        p++;
    if (!p || *p != '\0')
        return -1;
    *e = x;
    return 0;
}

/* A stored line's tail " n=SEQ h=HASH" or " n=SEQ k=HASH": the length of the hashed
 * text before " h="/" k=", the sequence, the hash, keyed or not.  -1 if the line does
 * not end that way. */
long journal_split_line(const char *line, size_t len, long *seq, unsigned char *hash,
                        bool *keyed)
{
    if (len < HEX_LEN + 3 + 4)
        return -1;
    size_t hpos = len - HEX_LEN - 3;
    *keyed = memcmp(line + hpos, " k=", 3) == 0;
    if ((!*keyed && memcmp(line + hpos, " h=", 3) != 0) ||
        journal_from_hex(line + hpos + 3, hash) < 0)
        return -1;
    size_t p = hpos, ndig = 0;
    while (p > 0 && line[p - 1] >= '0' && line[p - 1] <= '9' && ndig < 18) {
        p--;
        ndig++;
    }
    if (ndig == 0 || p < 3 || memcmp(line + p - 3, " n=", 3) != 0)
        return -1;
    *seq = 0;
    for (size_t i = p; i < hpos; i++)
        *seq = *seq * 10 + (line[i] - '0');
    return (long)hpos;
}

bool journal_is_rekey(const struct journal_entry *e)
{
    return !strcmp(e->kind, "server") && !strcmp(e->what, "rekey");
}
