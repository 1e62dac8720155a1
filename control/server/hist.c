/* hist — the historian (see hist.h).
 *
 * Storage rule, for each logged tag at each sampling instant (the first call with a new
 * slot = floor(t / period_s)), with v, q the offered value and quality and v0, q0, t0
 * the last stored sample:
 *
 *   store when  nothing stored in this file yet (start, restart, new day, after a failed
 *               write: every file opens with a full set)
 *           or  q != q0
 *           or  q GOOD and |v - v0| > band,   band = deadband_pct / 100 * (hi - lo)
 *           or  t - t0 >= HIST_HEARTBEAT_S, or t < t0 (the clock went back)
 *
 * File format: DIR/hist-YYYY-MM-DD.dat (UTC date of the records it holds) is a sequence
 * of records, integers and IEEE-754 doubles little-endian:
 *
 *   offset 0    2 bytes  "HM"
 *          2    u8       type: 'D' a tag's name, 'S' samples at one time
 *          3    u8       0
 *          4    u32      payload length L (at most PAYLOAD_MAX)
 *          8    L bytes  payload
 *          8+L  u32      CRC-32 (IEEE 802.3, as zlib) of bytes 2 .. 8+L-1
 *
 *   'D' payload  u16 id, u8 n, n bytes of the name: id stands for that tag in the
 *                'S' records that follow it in this file
 *   'S' payload  f64 t (Unix s), u16 count, count x { u16 id, u8 quality, f64 value }
 *                (quality: enum tag_quality; value: the last good value when not GOOD)
 *
 * Every time the writer opens a file it writes the 'D' records of its tags first, so a
 * restart with another tag list reads back right.  The writer appends each sampling
 * instant's records in one write().  The reader checks every record and, at a bad one
 * (torn by a crash or a failed write, damaged), searches forward for the next good one.
 * The writer, when it opens a file (at start, on a new day, after a failed write), cuts
 * off a bad tail no longer than one write: a torn last write.
 */
#include "hist.h"

#include "dayfile.h"
#include "numtext.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECS_PER_DAY 86400L
#define HEAD 8
#define CRC_LEN 4
#define SAMPLE_LEN 11 /* u16 id, u8 q, f64 v */
#define PAYLOAD_MAX (10 + SAMPLE_LEN * CFG_MAX_TAGS)
#define DEF_MAX (HEAD + 3 + CFG_NAME_MAX + CRC_LEN)
#define WRITE_MAX (DEF_MAX * CFG_MAX_TAGS + HEAD + PAYLOAD_MAX + CRC_LEN)
#define READ_BUF 16384
#define MAX_ID CFG_MAX_TAGS

_Static_assert(READ_BUF >= HEAD + PAYLOAD_MAX + CRC_LEN, "READ_BUF holds a record");

/* ---- bytes ------------------------------------------------------------------------ */

/* CRC-32, reflected polynomial 0xEDB88320, four bits at a time. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static uint32_t crc32(const unsigned char *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    while (len--) {
        c ^= *p++;
        c = (c >> 4) ^ crc_nibble[c & 15];
        c = (c >> 4) ^ crc_nibble[c & 15];
    }
    return ~c;
}

static void put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f64(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned get_u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double get_f64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* Frame a payload already at p + HEAD as a record; returns the record's length. */
static size_t frame(unsigned char *p, char type, size_t payload)
{
    p[0] = 'H';
    p[1] = 'M';
    p[2] = (unsigned char)type;
    p[3] = 0;
    put_u32(p + 4, (uint32_t)payload);
    put_u32(p + HEAD + payload, crc32(p + 2, HEAD - 2 + payload));
    return HEAD + payload + CRC_LEN;
}

/* ---- days and files ------------------------------------------------------------------ */

static void path_of(char *out, size_t size, const char *dir, long day)
{
    dayfile_path(out, size, dir, "hist", day, "dat");
}

/* ---- reading records ------------------------------------------------------------------- */

struct reader {
    int fd;
    bool eof;
    size_t len, pos; /* bytes in buf, position of the next record */
    long long off;   /* file offset of buf[0] */
    unsigned char buf[READ_BUF];
};

struct rec {
    char type;
    const unsigned char *p; /* payload, valid until the next read */
    size_t len;
    long long end; /* file offset just past the record */
};

static void fill(struct reader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->off += (long long)r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    while (!r->eof && r->len < sizeof r->buf) {
        ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            r->eof = true;
        else
            r->len += (size_t)n;
    }
}

/* The next good record; 0 at the end of the file.  Bytes that do not make a good
 * record (torn, damaged) are skipped one at a time until one does. */
static int next_record(struct reader *r, struct rec *out)
{
    for (;;) {
        if (r->len - r->pos < HEAD + CRC_LEN)
            fill(r);
        if (r->len - r->pos < HEAD + CRC_LEN)
            return 0;
        const unsigned char *p = r->buf + r->pos;
        size_t plen = get_u32(p + 4);
        if (p[0] != 'H' || p[1] != 'M' || (p[2] != 'D' && p[2] != 'S') || p[3] != 0 ||
            plen > PAYLOAD_MAX) {
            r->pos++;
            continue;
        }
        size_t need = HEAD + plen + CRC_LEN;
        if (r->len - r->pos < need) {
            fill(r);
            p = r->buf + r->pos;
        }
        if (r->len - r->pos < need || get_u32(p + HEAD + plen) != crc32(p + 2, HEAD - 2 + plen)) {
            r->pos++;
            continue;
        }
        out->type = (char)p[2];
        out->p = p + HEAD;
        out->len = plen;
        r->pos += need;
        out->end = r->off + (long long)r->pos;
        return 1;
    }
}

static struct reader *reader_open(const char *dir, long day)
{
    char path[CFG_PATH_MAX + 32];
    path_of(path, sizeof path, dir, day);
    struct reader *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (r->fd >= 0 && (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(r->fd); /* a device or FIFO in place of a day file: nothing to read */
        r->fd = -1;
        errno = EINVAL;
    }
    if (r->fd < 0) {
        int err = errno;
        free(r);
        errno = err;
        return NULL;
    }
    r->eof = false;
    r->len = r->pos = 0;
    r->off = 0;
    return r;
}

static void reader_close(struct reader *r)
{
    close(r->fd);
    free(r);
}

/* A 'D' record: id and name; -1 if malformed. */
static int parse_def(const struct rec *rc, char name[CFG_NAME_MAX])
{
    if (rc->len < 3 || rc->len != 3u + rc->p[2] || rc->p[2] == 0 || rc->p[2] >= CFG_NAME_MAX)
        return -1;
    memcpy(name, rc->p + 3, rc->p[2]);
    name[rc->p[2]] = '\0';
    return strlen(name) == rc->p[2] ? (int)get_u16(rc->p) : -1;
}

/* An 'S' record's time and count; -1 if malformed. */
static int parse_samples(const struct rec *rc, double *t)
{
    if (rc->len < 10)
        return -1;
    unsigned n = get_u16(rc->p + 8);
    *t = get_f64(rc->p);
    return rc->len == 10 + (size_t)n * SAMPLE_LEN && isfinite(*t) ? (int)n : -1;
}

/* The end of the last good record of a file at or after `from` (the part before it is
 * known good), and the file's size. */
static int scan_end(const char *dir, long day, long long from, long long *end, long long *size)
{
    *end = from;
    *size = 0;
    struct reader *r = reader_open(dir, day);
    if (!r)
        return errno == ENOENT || errno == EINVAL ? 0 : -1;
    struct stat st;
    if (fstat(r->fd, &st) == 0) {
        *size = (long long)st.st_size;
        if (from > *size)
            *end = from = 0;
        r->off = from;
        struct rec rc;
        if (lseek(r->fd, (off_t)from, SEEK_SET) == (off_t)from)
            while (next_record(r, &rc))
                *end = rc.end;
    }
    reader_close(r);
    return 0;
}

/* ---- writing --------------------------------------------------------------------------- */

static int fail(struct hist *h, int err)
{
    h->failures++;
    h->last_errno = err;
    errno = err;
    return -1;
}

/* Open the file of `day` for appending, cutting a torn tail left by a crash. */
static int open_day(struct hist *h, long day)
{
    long long known = day == h->day ? h->size : 0; /* what this historian wrote */
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    long long end, size;
    if (scan_end(h->dir, day, known, &end, &size) < 0)
        return -1;
    char path[CFG_PATH_MAX + 32];
    path_of(path, sizeof path, h->dir, day);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (size > end && size - end <= WRITE_MAX) {
        if (ftruncate(fd, (off_t)end) < 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        size = end;
    }
    h->fd = fd;
    h->day = day;
    h->size = size;
    h->defined = false;
    for (int i = 0; i < h->ntags; i++)
        h->tags[i].stored = false;
    return 0;
}

static bool moved(const struct hist_tag *k, double v)
{
    if (isnan(v) || isnan(k->v))
        return isnan(v) != isnan(k->v);
    return fabs(v - k->v) > k->band;
}

static bool due(const struct hist_tag *k, double now, struct tag_value x)
{
    return !k->stored || x.q != k->q || (x.q == Q_GOOD && moved(k, x.v)) ||
           now - k->t >= HIST_HEARTBEAT_S || now < k->t;
}

int hist_sample(struct hist *h, double now, const struct tag_value *tags)
{
    if (!isfinite(now) || now < 0) {
        errno = EINVAL;
        return -1;
    }
    if (h->period_s > 0) {
        long long slot = (long long)floor(now / h->period_s);
        if (h->sampled && slot == h->slot)
            return 0;
        h->slot = slot;
        h->sampled = true;
    }
    long day = dayfile_day(now);
    if ((h->fd < 0 || day != h->day) && open_day(h, day) < 0)
        return fail(h, errno);

    unsigned char buf[WRITE_MAX];
    size_t len = 0;
    long records = 0;
    if (!h->defined) {
        for (int i = 0; i < h->ntags; i++) {
            unsigned char *p = buf + len;
            size_t n = strlen(h->tags[i].name);
            put_u16(p + HEAD, (unsigned)i);
            p[HEAD + 2] = (unsigned char)n;
            memcpy(p + HEAD + 3, h->tags[i].name, n);
            len += frame(p, 'D', 3 + n);
            records++;
        }
    }
    bool pick[CFG_MAX_TAGS];
    int count = 0;
    unsigned char *s = buf + len;
    for (int i = 0; i < h->ntags; i++) {
        struct tag_value x = tags[h->tags[i].idx];
        pick[i] = due(&h->tags[i], now, x);
        if (!pick[i])
            continue;
        unsigned char *e = s + HEAD + 10 + (size_t)count * SAMPLE_LEN;
        put_u16(e, (unsigned)i);
        e[2] = (unsigned char)x.q;
        put_f64(e + 3, x.v);
        count++;
    }
    if (count > 0) {
        put_f64(s + HEAD, now);
        put_u16(s + HEAD + 8, (unsigned)count);
        len += frame(s, 'S', 10 + (size_t)count * SAMPLE_LEN);
        records++;
    }
    if (len == 0)
        return 0;

    if (dayfile_write(h->fd, buf, len, NULL) < 0) {
        /* the next instant reopens the file, which cuts off what went in, and writes
         * every value again */
        int err = errno;
        close(h->fd);
        h->fd = -1;
        return fail(h, err);
    }
    h->size += (long long)len;
    h->defined = true;
    h->records += records;
    h->samples += count;
    for (int i = 0; i < h->ntags; i++) {
        if (!pick[i])
            continue;
        struct tag_value x = tags[h->tags[i].idx];
        h->tags[i].stored = true;
        h->tags[i].t = now;
        h->tags[i].v = x.v;
        h->tags[i].q = x.q;
    }
    return count;
}

int hist_open(struct hist *h, const char *dir, const struct cfg *c)
{
    memset(h, 0, sizeof *h);
    h->fd = -1;
    h->day = -1;
    if (strlen(dir) >= sizeof h->dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    snprintf(h->dir, sizeof h->dir, "%s", dir);
    h->period_s = c->server.historian_period_s;
    h->deadband_pct = c->server.historian_deadband_pct;
    for (int i = 0; i < c->ntags && i < CFG_MAX_TAGS; i++) {
        const struct cfg_tag *t = &c->tags[i];
        double span;
        if (t->type == TAG_BOOL)
            continue;
        if (t->has_range)
            span = t->range_hi - t->range_lo;
        else if (t->has_eng_range)
            span = t->eng_hi - t->eng_lo;
        else
            continue;
        struct hist_tag *k = &h->tags[h->ntags++];
        snprintf(k->name, sizeof k->name, "%s", t->name);
        k->idx = i;
        k->band = fabs(span) * h->deadband_pct / 100.0;
    }
    return 0;
}

void hist_close(struct hist *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
}

/* ---- queries --------------------------------------------------------------------------- */

static int find(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

struct priors {
    int n;
    bool has[CFG_MAX_TAGS];
    struct hist_point p[CFG_MAX_TAGS];
};

/* Pass the remembered prior samples on; true if fn asked to stop. */
static bool flush_priors(struct priors *pr, hist_fn fn, void *ctx, long *count)
{
    for (int k = 0; k < pr->n; k++) {
        if (!pr->has[k])
            continue;
        pr->has[k] = false;
        ++*count;
        if (fn(&pr->p[k], ctx))
            return true;
    }
    return false;
}

long hist_query(const char *dir, const char *const *tags, int ntags, double from, double to,
                bool prior, hist_fn fn, void *ctx)
{
    if (ntags <= 0 || ntags > CFG_MAX_TAGS || !(from <= to)) {
        errno = EINVAL;
        return -1;
    }
    struct dayfile_list l;
    if (dayfile_list(dir, "hist", "dat", &l) < 0)
        return -1;
    double start = prior ? from - HIST_HOLD_S : from;
    long first = dayfile_day(start), last = dayfile_day(to), count = 0;
    struct priors *pr = calloc(1, sizeof *pr);
    if (!pr) {
        free(l.day);
        errno = ENOMEM;
        return -1;
    }
    pr->n = ntags;
    bool flushed = !prior, stop = false;
    for (int i = 0; i < l.n && !stop; i++) {
        if (l.day[i] < first || l.day[i] > last)
            continue;
        struct reader *r = reader_open(dir, l.day[i]);
        if (!r)
            continue;
        int map[MAX_ID];
        for (int k = 0; k < MAX_ID; k++)
            map[k] = -1;
        struct rec rc;
        while (!stop && next_record(r, &rc)) {
            char name[CFG_NAME_MAX];
            double t;
            int n, id;
            if (rc.type == 'D') {
                if ((id = parse_def(&rc, name)) >= 0 && id < MAX_ID)
                    map[id] = find(tags, ntags, name);
                continue;
            }
            if ((n = parse_samples(&rc, &t)) < 0 || t < start || t > to)
                continue;
            for (int s = 0; s < n && !stop; s++) {
                const unsigned char *e = rc.p + 10 + (size_t)s * SAMPLE_LEN;
                unsigned sid = get_u16(e);
                int k = sid < MAX_ID ? map[sid] : -1;
                if (k < 0 || e[2] > Q_STALE)
                    continue;
                struct hist_point pt = {.t = t,
                                        .tag = k,
                                        .v = get_f64(e + 3),
                                        .q = (enum tag_quality)e[2],
                                        .prior = t < from};
                if (pt.prior) {
                    if (!flushed && (!pr->has[k] || t >= pr->p[k].t)) {
                        pr->p[k] = pt;
                        pr->has[k] = true;
                    }
                    continue;
                }
                if (!flushed) {
                    flushed = true;
                    if ((stop = flush_priors(pr, fn, ctx, &count)))
                        break;
                }
                count++;
                stop = fn(&pt, ctx) != 0;
            }
        }
        reader_close(r);
    }
    if (!flushed && !stop)
        flush_priors(pr, fn, ctx, &count);
    free(pr);
    free(l.day);
    return count;
}

int hist_tags(const char *dir, double from, double to, char names[][CFG_NAME_MAX], int max)
{
    struct dayfile_list l;
    if (dayfile_list(dir, "hist", "dat", &l) < 0)
        return -1;
    int n = 0;
    for (int i = 0; i < l.n; i++) {
        if (l.day[i] < dayfile_day(from) || l.day[i] > dayfile_day(to))
            continue;
        struct reader *r = reader_open(dir, l.day[i]);
        if (!r)
            continue;
        struct rec rc;
        char name[CFG_NAME_MAX];
        while (next_record(r, &rc)) {
            if (rc.type != 'D' || parse_def(&rc, name) < 0 || n >= max)
                continue;
            bool known = false;
            for (int k = 0; k < n && !known; k++)
                known = strcmp(names[k], name) == 0;
            if (!known)
                snprintf(names[n++], CFG_NAME_MAX, "%s", name);
        }
        reader_close(r);
    }
    free(l.day);
    return n;
}

/* ---- CSV ------------------------------------------------------------------------------- */

struct cell {
    bool has;
    double t, v;
    enum tag_quality q;
};

struct csv {
    FILE *out;
    int ntags;
    long rows;
    bool pending;
    double row_t;
    struct cell cell[CFG_MAX_TAGS];
};

/* Exactly the stored double, in its shortest decimal (config/numtext.h): a reader gets
 * back what the historian holds, whatever its digits (the tag codec decodes a decimal
 * scale as a division, so 7453 at scale 0.1 is 745.3 and is written so). */
static void num_text(double v, char *buf, size_t len)
{
    (void)numtext(buf, len, v);
}

static void time_text(double t, char *buf, size_t len)
{
    long long ms = llround(t * 1000.0);
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)(ms % 1000));
}

static void csv_text(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

static void emit_row(struct csv *c)
{
    char text[40];
    time_text(c->row_t, text, sizeof text);
    fputs(text, c->out);
    for (int k = 0; k < c->ntags; k++) {
        const struct cell *x = &c->cell[k];
        putc(',', c->out);
        if (!x->has || c->row_t - x->t > HIST_HOLD_S)
            continue;
        if (x->q != Q_GOOD) {
            fputs(tag_quality_name(x->q), c->out);
            continue;
        }
        num_text(x->v, text, sizeof text);
        fputs(text, c->out);
    }
    putc('\n', c->out);
    c->rows++;
    c->pending = false;
}

static int csv_point(const struct hist_point *p, void *ctx)
{
    struct csv *c = ctx;
    if (!p->prior && c->pending && p->t != c->row_t)
        emit_row(c);
    c->cell[p->tag] = (struct cell){.has = true, .t = p->t, .v = p->v, .q = p->q};
    if (!p->prior) {
        c->row_t = p->t;
        c->pending = true;
    }
    return ferror(c->out);
}

static long export_tags(const char *dir, double from, double to, const char *const *tags, int ntags,
                        FILE *out)
{
    struct csv *c = calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return -1;
    }
    c->out = out;
    c->ntags = ntags;
    fputs("time", out);
    for (int k = 0; k < ntags; k++) {
        putc(',', out);
        csv_text(out, tags[k]);
    }
    putc('\n', out);
    long n = ntags > 0 ? hist_query(dir, tags, ntags, from, to, true, csv_point, c) : 0;
    if (n >= 0 && c->pending)
        emit_row(c);
    long rows = c->rows;
    free(c);
    if (n < 0)
        return -1;
    if (ferror(out) || fflush(out) != 0) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return rows;
}

long hist_export_csv(const char *dir, double from, double to, const char *const *tags, int ntags,
                     FILE *out)
{
    if (ntags < 0 || ntags > CFG_MAX_TAGS || !(from <= to)) {
        errno = EINVAL;
        return -1;
    }
    if (ntags > 0)
        return export_tags(dir, from, to, tags, ntags, out);
    char(*names)[CFG_NAME_MAX] = malloc(CFG_MAX_TAGS * sizeof *names);
    if (!names) {
        errno = ENOMEM;
        return -1;
    }
    const char *list[CFG_MAX_TAGS];
    long rows = -1;
    int n = hist_tags(dir, from, to, names, CFG_MAX_TAGS);
    for (int k = 0; k < n; k++)
        list[k] = names[k];
    if (n >= 0)
        rows = export_tags(dir, from, to, list, n, out);
    free(names);
    return rows;
}

/* ---- retention ------------------------------------------------------------------------- */

int hist_prune(const char *dir, double now, int keep_days)
{
    if (keep_days <= 0)
        return 0;
    struct dayfile_list l;
    if (dayfile_list(dir, "hist", "dat", &l) < 0)
        return -1;
    long cutoff = dayfile_day(now) - keep_days + 1;
    int removed = 0;
    for (int i = 0; i < l.n - 1 && l.day[i] < cutoff; i++) {
        char path[CFG_PATH_MAX + 32];
        path_of(path, sizeof path, dir, l.day[i]);
        removed += unlink(path) == 0;
    }
    free(l.day);
    return removed;
}
