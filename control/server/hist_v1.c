/* hist_v1 — reading the old historian's binary day files, for the import
 * into historian.db (hist.c).  Nothing writes this format any more.
 *
 * DIR/hist/hist-YYYY-MM-DD.dat (UTC date of the records it holds) is a
 * sequence of records, integers and IEEE-754 doubles little-endian:
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
 * The reader checks every record and, at a bad one (torn by a crash or a failed
 * write, damaged), searches forward for the next good one.  The CRC is the
 * format's own (table-driven, four bits at a time): kept here only to read the
 * old files as their writer checked them.
 */
#include "hist_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD 8
#define CRC_LEN 4
#define SAMPLE_LEN 11 /* u16 id, u8 q, f64 v */
#define PAYLOAD_MAX (10 + SAMPLE_LEN * CFG_MAX_TAGS)
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

static struct reader *reader_open(const char *path)
{
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

long hist_v1_read(const char *path, hist_v1_fn fn, void *ctx)
{
    struct reader *r = reader_open(path);
    if (!r)
        return -1;
    char names[MAX_ID][CFG_NAME_MAX];
    bool known[MAX_ID] = {false};
    long count = 0;
    struct rec rc;
    while (next_record(r, &rc)) {
        char name[CFG_NAME_MAX];
        double t;
        int n, id;
        if (rc.type == 'D') {
            if ((id = parse_def(&rc, name)) >= 0 && id < MAX_ID) {
                memcpy(names[id], name, sizeof name);
                known[id] = true;
            }
            continue;
        }
        if ((n = parse_samples(&rc, &t)) < 0)
            continue;
        for (int s = 0; s < n; s++) {
            const unsigned char *e = rc.p + 10 + (size_t)s * SAMPLE_LEN;
            unsigned sid = get_u16(e);
            if (sid >= MAX_ID || !known[sid] || e[2] > Q_STALE)
                continue;
            count++;
            if (fn(t, names[sid], get_f64(e + 3), (enum tag_quality)e[2], ctx)) {
                reader_close(r);
                return count;
            }
        }
    }
    reader_close(r);
    return count;
}
