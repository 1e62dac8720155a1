/* journal — append-only event record with a hash chain (see journal.h).
 *
 * One line per event, fields separated by single spaces:
 *
 *   TIME USER@ORIGIN KIND WHAT OLD -> NEW reason=REASON result=RESULT n=SEQ h=HASH
 *
 *   2026-11-29T10:00:00.250Z anna@pts/3 set bath.sp 740 -> 745 reason="after alloying"
 *     result=ok n=57 h=3f0c...(64 hex)                                 (one line in the file)
 *
 *   TIME    UTC, ISO-8601 with milliseconds, always 24 characters.
 *   fields  USER, ORIGIN, KIND, WHAT, OLD, NEW, REASON and RESULT are each either a bare
 *           token (bytes above space except DEL, '"', '\' and '@'), or "-" for an empty
 *           field, or a "quoted string" with the escapes \" \\ \n \r \t and \xHH (for the
 *           other control bytes and DEL); other bytes, UTF-8 included, stand for
 *           themselves.  A field that is literally "-" or "->" is quoted.  So a line never
 *           holds a raw newline and splits back into exactly the fields written.
 *   SEQ     1 for the first line ever written, one more for each line, across days.
 *   HASH    SHA-256(previous line's hash, 32 bytes || this line's text up to and including
 *           "n=SEQ"), lowercase hex.  The first line chains from the seed (32 zero bytes,
 *           SEQ 0) or from journal.anchor.
 *
 * Files: DIR/journal-YYYY-MM-DD.log (the UTC date of the lines it holds; when the clock
 * goes back a day, lines go on into the newest file so that file order is chain order).
 * DIR/journal.anchor, written by journal_prune: "YYYY-MM-DD SEQ HASH\n", the chain state
 * at the end of the newest pruned day; verification starts there.
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
#include "journal.h"

#include "dayfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECS_PER_DAY 86400L
#define TIME_LEN 24 /* 2026-11-29T10:00:00.250Z */
#define HEX_LEN (2 * JOURNAL_HASH_LEN)
#define T_MAX 253402300800.0 /* 10000-01-01: four-digit years only */
#define ANCHOR "journal.anchor"
#define TORN_SHOWN 160 /* bytes of a torn line quoted in the repair line */

enum line_status { LINE_OK, LINE_TORN, LINE_LONG };

/* Every field escaped at its worst (4 bytes per byte) still fits a line. */
_Static_assert(TIME_LEN + 16 +
                       4 * (JOURNAL_USER_MAX + JOURNAL_ORIGIN_MAX + JOURNAL_KIND_MAX +
                            JOURNAL_WHAT_MAX + 2 * JOURNAL_VALUE_MAX + JOURNAL_REASON_MAX +
                            JOURNAL_RESULT_MAX) +
                       64 <
                   JOURNAL_LINE_MAX - 2 * JOURNAL_HASH_LEN - 32,
               "JOURNAL_LINE_MAX too small for the fields");

/* ---- SHA-256, FIPS 180-4 ---------------------------------------------------- */

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char buf[64];
    size_t n;
};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t sha_h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static void sha_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += k;
}

static void sha_init(struct sha256 *s)
{
    memcpy(s->h, sha_h0, sizeof s->h);
    s->bytes = 0;
    s->n = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->bytes += len;
    while (len > 0) {
        size_t take = 64 - s->n < len ? 64 - s->n : len;
        memcpy(s->buf + s->n, p, take);
        s->n += take;
        p += take;
        len -= take;
        if (s->n == 64) {
            sha_block(s->h, s->buf);
            s->n = 0;
        }
    }
}

/* Padding: 0x80, zeros to 56 mod 64, then the length in bits, big-endian. */
static void sha_final(struct sha256 *s, unsigned char out[JOURNAL_HASH_LEN])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad[72] = {0x80};
    size_t npad = (s->n < 56 ? 56 : 120) - s->n;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, pad, npad + 8);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++)
            out[4 * i + b] = (unsigned char)(s->h[i] >> (24 - 8 * b));
}

/* The chain step: SHA-256(prev || text). */
static void chain(const unsigned char prev[JOURNAL_HASH_LEN], const char *text, size_t len,
                  unsigned char out[JOURNAL_HASH_LEN])
{
    struct sha256 s;
    sha_init(&s);
    sha_update(&s, prev, JOURNAL_HASH_LEN);
    sha_update(&s, text, len);
    sha_final(&s, out);
}

static void to_hex(const unsigned char *h, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < JOURNAL_HASH_LEN; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[HEX_LEN] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* 64 lowercase hex digits to 32 bytes; -1 if not exactly that. */
static int from_hex(const char *hex, unsigned char *h)
{
    for (int i = 0; i < JOURNAL_HASH_LEN; i++) {
        int hi = hex_val(hex[2 * i]), lo = hi < 0 ? -1 : hex_val(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        h[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* ---- dates ------------------------------------------------------------------- */

/* v as exactly n decimal digits at s (no NUL). */
static void put_digits(char *s, unsigned long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        s[i] = (char)('0' + v % 10);
}

/* n decimal digits at s; -1 if any is not a digit. */
static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* t >= 0 as "YYYY-MM-DDTHH:MM:SS.mmmZ", rounded to the millisecond. */
static void time_text(double t, char out[TIME_LEN + 1])
{
    unsigned long long ms = (unsigned long long)llround(t * 1000.0);
    long day = (long)(ms / 1000 / SECS_PER_DAY);
    unsigned long sod = (unsigned long)(ms / 1000 % SECS_PER_DAY);
    dayfile_date(day, out);
    out[10] = 'T';
    put_digits(out + 11, sod / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, sod / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, sod % 60, 2);
    out[19] = '.';
    put_digits(out + 20, (unsigned long)(ms % 1000), 3);
    out[23] = 'Z';
    out[24] = '\0';
}

static int parse_time(const char *s, double *t)
{
    long day = dayfile_parse_date(s);
    long hh = digits(s + 11, 2), mi = digits(s + 14, 2), ss = digits(s + 17, 2);
    long ms = digits(s + 20, 3);
    if (day < 0 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' ||
        hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60 || ms < 0)
        return -1;
    *t = (double)(day * SECS_PER_DAY + hh * 3600 + mi * 60 + ss) + (double)ms / 1000.0;
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
                int hi = hex_val(p[1]), lo = hi < 0 ? -1 : hex_val(p[2]);
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
    if (p && strncmp(p, " h=", 3) == 0) {
        unsigned char h[JOURNAL_HASH_LEN];
        p = from_hex(p + 3, h) == 0 ? p + 3 + HEX_LEN : NULL;
    }
    if (p && *p == '\n')
        p++;
    if (!p || *p != '\0')
        return -1;
    *e = x;
    return 0;
}

/* A stored line's tail " n=SEQ h=HASH": the length of the hashed text before " h=",
 * the sequence and the hash.  -1 if the line does not end that way. */
static long split_line(const char *line, size_t len, long *seq, unsigned char *hash)
{
    if (len < HEX_LEN + 3 + 4)
        return -1;
    size_t hpos = len - HEX_LEN - 3;
    if (memcmp(line + hpos, " h=", 3) != 0 || from_hex(line + hpos + 3, hash) < 0)
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

/* ---- files ------------------------------------------------------------------- */

static void path_of(char *out, size_t size, const char *dir, long day)
{
    dayfile_path(out, size, dir, "journal", day, "log");
}

/* The next line of f into buf (at most size-1 bytes, newline removed, NUL added).
 * Returns its length, or -1 at the end of the file.  A line longer than the buffer
 * is LINE_LONG and the rest of it skipped; a last line without newline is LINE_TORN. */
static long next_line(FILE *f, char *buf, size_t size, enum line_status *st)
{
    size_t n = 0;
    int c;
    *st = LINE_OK;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 < size)
            buf[n++] = (char)c;
        else
            *st = LINE_LONG;
    }
    buf[n] = '\0';
    if (c == EOF && n == 0 && *st == LINE_OK)
        return -1;
    if (c == EOF && *st == LINE_OK)
        *st = LINE_TORN;
    return (long)n;
}

/* A file for reading; NULL with EINVAL when it is not a regular file (a FIFO would
 * block, a device never end). */
static FILE *open_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

/* The end of a day file: its last complete line (hash, sequence) and what follows it. */
struct tail {
    bool has_line;
    unsigned char hash[JOURNAL_HASH_LEN];
    long seq;
    off_t cut; /* end of the last complete line */
    off_t size;
    char torn[TORN_SHOWN + 1]; /* start of a torn last line, "" when none */
};

/* Read the end of one day file.  A line is at most JOURNAL_LINE_MAX bytes, so the
 * last 2*JOURNAL_LINE_MAX bytes hold the last complete line and any torn one. */
static int read_tail(const char *path, struct tail *t)
{
    static const size_t win = 2 * JOURNAL_LINE_MAX;
    memset(t, 0, sizeof *t);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    char *buf = malloc(win + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    off_t start = st.st_size > (off_t)win ? st.st_size - (off_t)win : 0;
    ssize_t n = pread(fd, buf, (size_t)(st.st_size - start), start);
    close(fd);
    if (n < 0) {
        free(buf);
        return -1;
    }
    t->size = start + n;
    size_t end = (size_t)n;
    while (end > 0 && buf[end - 1] != '\n')
        end--;
    if (end == 0 && start > 0) { /* no newline in the window: leave the file alone */
        t->cut = t->size;
        free(buf);
        return 0;
    }
    t->cut = start + (off_t)end;
    size_t torn = (size_t)n - end;
    snprintf(t->torn, sizeof t->torn, "%.*s", (int)(torn < TORN_SHOWN ? torn : TORN_SHOWN),
             buf + end);
    if (torn > 0 && t->torn[0] == '\0') /* a torn line that starts with NUL bytes */
        snprintf(t->torn, sizeof t->torn, "(%zu bytes)", torn);
    if (end > 0) {
        size_t b = end - 1;
        while (b > 0 && buf[b - 1] != '\n')
            b--;
        buf[end - 1] = '\0';
        t->has_line = true;
        if (split_line(buf + b, end - 1 - b, &t->seq, t->hash) < 0) {
            /* not a journal line: chain on from its digest; verify reports it */
            journal_sha256(buf + b, end - 1 - b, t->hash);
            t->seq = 0;
        }
    }
    free(buf);
    return 0;
}

/* The anchor, with strict parsing: 1 present and valid, 0 absent, -2 damaged, -1 I/O. */
static int anchor_state(const char *dir, long *day, long *seq, unsigned char *hash)
{
    char path[JOURNAL_PATH_MAX + 32], line[160];
    snprintf(path, sizeof path, "%s/%s", dir, ANCHOR);
    FILE *f = open_read(path);
    if (!f)
        return errno == ENOENT ? 0 : -1;
    bool ok = fgets(line, sizeof line, f) != NULL && getc(f) == EOF;
    fclose(f);
    char *end = NULL;
    ok = ok && strlen(line) > 13 && line[10] == ' ' && (*day = dayfile_parse_date(line)) >= 0;
    if (ok) {
        *seq = strtol(line + 11, &end, 10);
        ok = end > line + 11 && *seq >= 0 && *end == ' ' && strlen(end + 1) == HEX_LEN + 1 &&
             from_hex(end + 1, hash) == 0 && end[1 + HEX_LEN] == '\n';
    }
    return ok ? 1 : -2;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* ---- writing ------------------------------------------------------------------ */

/* Cut off the half-written line a failed append left in the file of day j->day. */
static int cut_pending(struct journal *j)
{
    if (j->cut_to < 0)
        return 0;
    char path[JOURNAL_PATH_MAX + 32];
    path_of(path, sizeof path, j->dir, j->day);
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)j->cut_to);
    int err = errno;
    close(fd);
    if (rc == 0)
        j->cut_to = -1;
    errno = err;
    return rc;
}

/* Open the file of `day` for appending.  O_NONBLOCK: a day file that is not a
 * regular file (a FIFO without a reader) fails instead of blocking the cycle. */
static int open_day(struct journal *j, long day)
{
    char path[JOURNAL_PATH_MAX + 32];
    path_of(path, sizeof path, j->dir, day);
    int flags = O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC;
    int fd = open(path, flags | O_CREAT | O_EXCL, 0640);
    bool created = fd >= 0;
    if (fd < 0 && errno == EEXIST)
        fd = open(path, flags);
    if (fd < 0)
        return -1;
    if (created)
        fsync_dir(j->dir);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->day = day;
    return 0;
}

static int fail(struct journal *j, int err)
{
    j->failures++;
    j->last_errno = err;
    errno = err;
    return -1;
}

int journal_append(struct journal *j, const struct journal_entry *e, bool sync)
{
    char line[JOURNAL_LINE_MAX + 1];
    int len = journal_format(e, line, sizeof line - HEX_LEN - 32);
    if (len < 0)
        return fail(j, EINVAL);
    long day = dayfile_day(e->t);
    if (j->day > day)
        day = j->day;
    if (cut_pending(j) < 0 || ((j->fd < 0 || day != j->day) && open_day(j, day) < 0))
        return fail(j, errno);
    len += snprintf(line + len, sizeof line - (size_t)len, " n=%ld", j->seq + 1);
    unsigned char h[JOURNAL_HASH_LEN];
    chain(j->head, line, (size_t)len, h);
    memcpy(line + len, " h=", 3);
    to_hex(h, line + len + 3);
    len += 3 + HEX_LEN;
    line[len++] = '\n';

    struct stat st;
    size_t done = 0;
    if (fstat(j->fd, &st) < 0 || dayfile_write(j->fd, line, (size_t)len, &done) < 0 ||
        (sync && fsync(j->fd) < 0)) {
        /* cut back what went in, and reopen next time (the file may have been
         * replaced, the disk remounted) */
        int err = errno;
        if (done > 0 && S_ISREG(st.st_mode)) {
            j->cut_to = (long long)st.st_size;
            if (ftruncate(j->fd, st.st_size) == 0)
                j->cut_to = -1;
        }
        close(j->fd);
        j->fd = -1;
        return fail(j, err);
    }
    memcpy(j->head, h, sizeof h);
    j->seq++;
    j->appended++;
    return 0;
}

int journal_open(struct journal *j, const char *dir, double now)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->day = -1;
    j->cut_to = -1;
    if (strlen(dir) >= sizeof j->dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(j->dir, sizeof j->dir, "%s", dir);
    struct dayfile_list l;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    char path[JOURNAL_PATH_MAX + 32], torn[TORN_SHOWN + 1] = "";
    off_t torn_bytes = 0;
    bool found = false;
    for (int i = l.n - 1; i >= 0 && !found; i--) {
        struct tail t;
        path_of(path, sizeof path, dir, l.day[i]);
        if (read_tail(path, &t) < 0) {
            free(l.day);
            return -1;
        }
        if (t.size == 0)
            continue;
        if (j->day < 0) {
            j->day = l.day[i];
            if (t.cut < t.size) { /* torn by a crash: its append never returned */
                int fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || ftruncate(fd, t.cut) < 0 || fsync(fd) < 0) {
                    int err = errno;
                    if (fd >= 0)
                        close(fd);
                    free(l.day);
                    errno = err;
                    return -1;
                }
                close(fd);
                torn_bytes = t.size - t.cut;
                snprintf(torn, sizeof torn, "%s", t.torn);
            }
        }
        if (t.has_line) {
            memcpy(j->head, t.hash, sizeof j->head);
            j->seq = t.seq;
            found = true;
        }
    }
    free(l.day);
    long aday, aseq;
    unsigned char ah[JOURNAL_HASH_LEN];
    if (!found && anchor_state(dir, &aday, &aseq, ah) == 1) {
        memcpy(j->head, ah, sizeof ah);
        j->seq = aseq;
    }
    if (torn_bytes > 0) {
        struct journal_entry e = {.t = now};
        snprintf(e.user, sizeof e.user, "meltcon");
        snprintf(e.origin, sizeof e.origin, "journal");
        snprintf(e.kind, sizeof e.kind, "server");
        snprintf(e.what, sizeof e.what, "journal");
        snprintf(e.reason, sizeof e.reason, "torn last line (%lld bytes) removed after a crash: %s",
                 (long long)torn_bytes, torn);
        snprintf(e.result, sizeof e.result, "ok");
        if (journal_append(j, &e, true) < 0) {
            int err = errno;
            journal_close(j);
            errno = err;
            return -1;
        }
        j->repaired = (long)torn_bytes;
    }
    return 0;
}

void journal_close(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}

void journal_head_hex(const struct journal *j, char hex[2 * JOURNAL_HASH_LEN + 1])
{
    to_hex(j->head, hex);
}

/* ---- reading ------------------------------------------------------------------ */

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

int journal_tail(const char *dir, struct journal_entry *out, int n)
{
    struct dayfile_list l;
    if (n <= 0)
        return 0;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    char *line = malloc(JOURNAL_LINE_MAX + 1);
    if (!line) {
        free(l.day);
        errno = ENOMEM;
        return -1;
    }
    int want = n;
    for (int i = l.n - 1; i >= 0 && want > 0; i--) {
        char path[JOURNAL_PATH_MAX + 32];
        path_of(path, sizeof path, dir, l.day[i]);
        FILE *f = open_read(path);
        if (!f)
            continue;
        long count = 0;
        enum line_status st;
        struct journal_entry e;
        while (next_line(f, line, JOURNAL_LINE_MAX + 1, &st) >= 0)
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
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    char *line = malloc(JOURNAL_LINE_MAX + 1);
    if (!line) {
        free(l.day);
        errno = ENOMEM;
        return -1;
    }
    long first = since > 0 ? dayfile_day(since) : 0, count = 0;
    bool stop = false;
    for (int i = 0; i < l.n && !stop; i++) {
        char path[JOURNAL_PATH_MAX + 32];
        if (l.day[i] < first) /* a file holds no line dated after its own date */
            continue;
        path_of(path, sizeof path, dir, l.day[i]);
        FILE *f = open_read(path);
        if (!f)
            continue;
        enum line_status st;
        struct journal_entry e;
        while (!stop && next_line(f, line, JOURNAL_LINE_MAX + 1, &st) >= 0) {
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
    snprintf(c->file, sizeof c->file, "%s", file);
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
    long text = split_line(line, len, &n, stored);
    if (text < 0) {
        snprintf(why, whylen, "no sequence number and hash: not a line the journal wrote");
        return false;
    }
    chain(head, line, (size_t)text, h);
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
    int a = anchor_state(dir, &aday, &seq, head);
    if (a == -1)
        return -1;
    if (a == -2)
        return bad(c, ANCHOR, 0, "damaged: expected \"YYYY-MM-DD SEQ HASH\"");
    if (a == 0)
        aday = -1;
    struct dayfile_list l;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    char *line = malloc(JOURNAL_LINE_MAX + 1);
    if (!line) {
        free(l.day);
        errno = ENOMEM;
        return -1;
    }
    bool torn_end = false;
    int rc = 0;
    for (int i = 0; i < l.n && rc == 0; i++) {
        char path[JOURNAL_PATH_MAX + 32], name[32], date[11], why[200];
        if (l.day[i] <= aday) /* pruned, the removal interrupted */
            continue;
        dayfile_date(l.day[i], date);
        snprintf(name, sizeof name, "journal-%s.log", date);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = open_read(path);
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
        enum line_status st;
        while (rc == 0 && (len = next_line(f, line, JOURNAL_LINE_MAX + 1, &st)) >= 0) {
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

int journal_prune(const char *dir, double now, int keep_days)
{
    if (keep_days <= 0)
        return 0;
    struct dayfile_list l;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    long cutoff = dayfile_day(now) - keep_days + 1;
    int victims = 0;
    while (victims < l.n - 1 && l.day[victims] < cutoff)
        victims++;
    if (victims == 0) {
        free(l.day);
        return 0;
    }
    /* the chain state at the end of the newest victim */
    unsigned char head[JOURNAL_HASH_LEN] = {0};
    long seq = 0, aday;
    bool found = false;
    char path[JOURNAL_PATH_MAX + 32], tmp[JOURNAL_PATH_MAX + 40];
    for (int i = victims - 1; i >= 0 && !found; i--) {
        struct tail t;
        path_of(path, sizeof path, dir, l.day[i]);
        if (read_tail(path, &t) == 0 && t.has_line) {
            memcpy(head, t.hash, sizeof head);
            seq = t.seq;
            found = true;
        }
    }
    if (!found && anchor_state(dir, &aday, &seq, head) != 1) {
        memset(head, 0, sizeof head);
        seq = 0;
    }
    char date[11], hex[HEX_LEN + 1], text[HEX_LEN + 48];
    dayfile_date(l.day[victims - 1], date);
    to_hex(head, hex);
    int len = snprintf(text, sizeof text, "%s %ld %s\n", date, seq, hex);
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, ANCHOR);
    snprintf(path, sizeof path, "%s/%s", dir, ANCHOR);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    size_t done;
    int rc = fd < 0 || dayfile_write(fd, text, (size_t)len, &done) < 0 || fsync(fd) < 0 ? -1 : 0;
    int err = errno;
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        err = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        free(l.day);
        errno = err;
        return -1;
    }
    fsync_dir(dir);
    int removed = 0;
    for (int i = 0; i < victims; i++) {
        path_of(path, sizeof path, dir, l.day[i]);
        removed += unlink(path) == 0;
    }
    free(l.day);
    return removed;
}

void journal_sha256(const void *data, size_t len, unsigned char out[JOURNAL_HASH_LEN])
{
    struct sha256 s;
    sha_init(&s);
    sha_update(&s, data, len);
    sha_final(&s, out);
}
