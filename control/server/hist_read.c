/* hist_read — the historian, reading side (see hist.h): queries and exports on a
 * read-only connection of their own, so they work with the server running (a WAL
 * reader sees the last committed transaction and never waits for the writer) or
 * stopped, and on a copy of the file.
 *
 * A reader that cannot open the WAL index (no write permission in the directory for
 * the -shm file, a read-only medium) opens the file as immutable instead: right
 * whenever no server is writing it, which is then the case that matters.
 */
#include "hist_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "numtext.h"

/* ---- opening ----------------------------------------------------------------------------- */

/* file: URI of a path, every byte outside the unreserved set %-escaped. */
static int uri_of(const char *path, const char *query, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (len < 8)
        return -1;
    memcpy(buf, "file:", 5);
    n = 5;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (n + 4 >= len)
            return -1;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-_.~", *p)) {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    int m = snprintf(buf + n, len - n, "?%s", query);
    return m < 0 || (size_t)m >= len - n ? -1 : 0;
}

static sqlite3 *open_ro(const char *path, const char *query)
{
    char uri[3 * CFG_PATH_MAX + 64];
    if (uri_of(path, query, uri, sizeof uri) < 0) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    sqlite3 *db = NULL;
    hist_vfs_setup();
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             NULL);
    long long v = 0;
    sqlite3_stmt *s = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM tags", -1, &s, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
        v = rc == SQLITE_OK ? sqlite3_column_int64(s, 0) : 0;
    }
    (void)v;
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        errno = hist_errno(rc);
        return NULL;
    }
    return db;
}

sqlite3 *hist_db_read(const char *dir)
{
    char path[CFG_PATH_MAX + 32];
    if (hist_db_path(dir, path, sizeof path) < 0)
        return NULL;
    struct stat st;
    if (stat(path, &st) == 0) {
        sqlite3 *db = open_ro(path, "mode=ro");
        if (!db)
            db = open_ro(path, "immutable=1");
        return db;
    }
    if (errno != ENOENT)
        return NULL;
    /* no database yet: the old day files, through an import into memory */
    char vdir[CFG_PATH_MAX + 16];
    snprintf(vdir, sizeof vdir, "%s/%s", dir, HIST_V1_DIR);
    if (stat(vdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOENT;
        return NULL;
    }
    sqlite3 *db = NULL;
    char why[HIST_NOTE_MAX];
    unsigned long long rows;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        hist_schema(db, why, sizeof why) < 0 ||
        hist_import_v1(db, dir, 0, &rows, why, sizeof why) < 0) {
        sqlite3_close(db);
        errno = EIO;
        return NULL;
    }
    return db;
}

/* ---- queries ----------------------------------------------------------------------------- */

/* The ids of the names (-1: not in the database) and a map from id to the name's
 * index; *maxid the largest id. */
struct idmap {
    long long id[CFG_MAX_TAGS];
    int *k; /* k[id]: index of the name, -1 */
    long long maxid;
};

static int idmap_make(sqlite3 *db, const char *const *names, int n, struct idmap *m)
{
    memset(m, 0, sizeof *m);
    long long maxid = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT max(id) FROM tags", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        maxid = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (maxid < 0 || maxid > 1000000) {
        errno = EIO;
        return -1;
    }
    m->maxid = maxid;
    m->k = malloc(sizeof *m->k * (size_t)(maxid + 1));
    if (!m->k) {
        errno = ENOMEM;
        return -1;
    }
    for (long long i = 0; i <= maxid; i++)
        m->k[i] = -1;
    if (sqlite3_prepare_v2(db, "SELECT id FROM tags WHERE name = ?", -1, &s, NULL) != SQLITE_OK) {
        free(m->k);
        errno = EIO;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        m->id[i] = -1;
        sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            long long id = sqlite3_column_int64(s, 0);
            if (id >= 0 && id <= maxid && m->k[id] < 0) {
                m->id[i] = id;
                m->k[id] = i;
            }
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return 0;
}

static void point_of(sqlite3_stmt *s, int col, struct hist_point *p)
{
    p->t = sqlite3_column_double(s, col);
    p->v = sqlite3_column_type(s, col + 1) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col + 1);
    int q = sqlite3_column_int(s, col + 2);
    p->q = q >= Q_GOOD && q <= Q_STALE ? (enum tag_quality)q : Q_BAD_SENSOR;
}

long hist_query(const char *dir, const char *const *tags, int ntags, double from, double to,
                bool prior, hist_fn fn, void *ctx)
{
    if (ntags <= 0 || ntags > CFG_MAX_TAGS || !(from <= to)) {
        errno = EINVAL;
        return -1;
    }
    sqlite3 *db = hist_db_read(dir);
    if (!db)
        return -1;
    struct idmap *m = malloc(sizeof *m);
    if (!m || idmap_make(db, tags, ntags, m) < 0) {
        int e = m ? errno : ENOMEM;
        free(m);
        sqlite3_close(db);
        errno = e;
        return -1;
    }
    long count = 0;
    bool stop = false;
    int rc = SQLITE_OK;
    sqlite3_stmt *s = NULL;
    if (prior) {
        rc = sqlite3_prepare_v2(db,
                                "SELECT t, value, quality FROM samples WHERE tag = ?1 AND "
                                "t >= ?2 AND t < ?3 ORDER BY t DESC LIMIT 1",
                                -1, &s, NULL);
        for (int k = 0; k < ntags && rc == SQLITE_OK && !stop; k++) {
            if (m->id[k] < 0)
                continue;
            sqlite3_bind_int64(s, 1, m->id[k]);
            sqlite3_bind_double(s, 2, from - HIST_HOLD_S);
            sqlite3_bind_double(s, 3, from);
            if (sqlite3_step(s) == SQLITE_ROW) {
                struct hist_point p = {.tag = k, .prior = true};
                point_of(s, 0, &p);
                count++;
                stop = fn(&p, ctx) != 0;
            }
            sqlite3_reset(s);
        }
        sqlite3_finalize(s);
        s = NULL;
    }
    if (rc == SQLITE_OK && !stop)
        rc = sqlite3_prepare_v2(db,
                                "SELECT tag, t, value, quality FROM samples "
                                "WHERE t >= ?1 AND t <= ?2 ORDER BY t, tag",
                                -1, &s, NULL);
    if (rc == SQLITE_OK && !stop) {
        sqlite3_bind_double(s, 1, from);
        sqlite3_bind_double(s, 2, to);
        while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            long long id = sqlite3_column_int64(s, 0);
            int k = id >= 0 && id <= m->maxid ? m->k[id] : -1;
            if (k < 0)
                continue;
            struct hist_point p = {.tag = k};
            point_of(s, 1, &p);
            count++;
            stop = fn(&p, ctx) != 0;
        }
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(m->k);
    free(m);
    if (rc != SQLITE_OK) {
        errno = hist_errno(rc);
        return -1;
    }
    return count;
}

int hist_tags(const char *dir, double from, double to, char names[][CFG_NAME_MAX], int max)
{
    sqlite3 *db = hist_db_read(dir);
    if (!db)
        return -1;
    sqlite3_stmt *s = NULL;
    int n = 0;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT name FROM tags WHERE id IN (SELECT DISTINCT tag FROM "
                                "samples WHERE t >= ?1 AND t <= ?2) ORDER BY id",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_double(s, 1, from);
        sqlite3_bind_double(s, 2, to);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max) {
            const char *name = (const char *)sqlite3_column_text(s, 0);
            if (name && strlen(name) < CFG_NAME_MAX)
                snprintf(names[n++], CFG_NAME_MAX, "%s", name);
        }
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rc != SQLITE_OK) {
        errno = hist_errno(rc);
        return -1;
    }
    return n;
}

/* ---- exports ----------------------------------------------------------------------------- */

struct cell {
    bool has;
    double t, v;
    enum tag_quality q;
    bool texted;        /* text holds v's digits */
    char text[NUMTEXT_MAX];
};

/* One row into a buffer, written with one fwrite: a row of 50 tags is a few hundred
 * small pieces, and stdio's per-call locking would cost more than the rest. */
struct line {
    char *p;
    size_t len, cap;
};

struct xport {
    FILE *out;
    unsigned flags;
    int ntags;
    const char *const *tags;
    long rows;
    bool pending;
    double row_t;
    struct line line;
    struct cell cell[CFG_MAX_TAGS];
};

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

/* v's shortest decimal that reads back as the same double (numtext's answer), faster
 * for the common case of a few decimals: m = v * 10^d integral for some d <= 6 gives the
 * candidate, which must read back bit for bit; anything else goes to numtext. */
static void value_text(double v, char *buf, size_t len)
{
    double m = v;
    for (int d = 0; d <= 6; d++, m = v * pow(10, d)) {
        if (fabs(m) >= 1e15)
            break;
        if (m != nearbyint(m))
            continue;
        unsigned long long i = (unsigned long long)llabs((long long)m);
        char digits[24], rev[24];
        int n = 0;
        do
            rev[n++] = (char)('0' + i % 10);
        while ((i /= 10) > 0);
        for (int k = 0; k < n; k++)
            digits[k] = rev[n - 1 - k];
        char out[48];
        size_t o = 0;
        if (v < 0)
            out[o++] = '-';
        if (n <= d) {
            out[o++] = '0';
            out[o++] = '.';
            for (int z = 0; z < d - n; z++)
                out[o++] = '0';
            memcpy(out + o, digits, (size_t)n);
            o += (size_t)n;
        } else {
            memcpy(out + o, digits, (size_t)(n - d));
            o += (size_t)(n - d);
            if (d > 0) {
                out[o++] = '.';
                memcpy(out + o, digits + n - d, (size_t)d);
                o += (size_t)d;
            }
        }
        out[o] = '\0';
        if (d == 0 && o < len && v != 0) { /* an integer below 1e15 is exact as it is */
            memcpy(buf, out, o + 1);
            return;
        }
        double back = strtod(out, NULL);
        if (memcmp(&back, &v, sizeof v) == 0 && o < len) {
            memcpy(buf, out, o + 1);
            return;
        }
        break;
    }
    (void)numtext(buf, len, v);
}

static void add(struct line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *q = realloc(l->p, cap);
        if (!q)
            return; /* the row comes out short; ferror is not set: rare enough */
        l->p = q;
        l->cap = cap;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void adds(struct line *l, const char *s)
{
    add(l, s, strlen(s));
}

static void add_json(struct line *l, const char *s)
{
    add(l, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            add(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            adds(l, esc);
        } else {
            add(l, s, 1);
        }
    }
    add(l, "\"", 1);
}

static void emit_row(struct xport *x)
{
    char text[40];
    struct line *l = &x->line;
    bool json = x->flags & HIST_X_JSON;
    l->len = 0;
    time_text(x->row_t, text, sizeof text);
    if (json) {
        adds(l, "{\"time\":\"");
        adds(l, text);
        adds(l, "\"");
    } else {
        adds(l, text);
    }
    for (int k = 0; k < x->ntags; k++) {
        struct cell *c = &x->cell[k];
        bool in_force = c->has && x->row_t - c->t <= HIST_HOLD_S;
        bool good = in_force && c->q == Q_GOOD && isfinite(c->v);
        if (good && !c->texted) {
            value_text(c->v, c->text, sizeof c->text);
            c->texted = true;
        }
        const char *qn = in_force ? tag_quality_name(c->q) : NULL;
        if (json) {
            add(l, ",", 1);
            add_json(l, x->tags[k]);
            add(l, ":", 1);
            adds(l, good ? c->text : "null");
            char qname[CFG_NAME_MAX + 16];
            snprintf(qname, sizeof qname, "%s_quality", x->tags[k]);
            add(l, ",", 1);
            add_json(l, qname);
            add(l, ":", 1);
            if (qn)
                add_json(l, qn);
            else
                adds(l, "null");
        } else {
            add(l, ",", 1);
            if (good)
                adds(l, c->text);
            add(l, ",", 1);
            if (qn)
                adds(l, qn);
        }
    }
    adds(l, json ? "}\n" : "\n");
    fwrite(l->p, 1, l->len, x->out);
    x->rows++;
    x->pending = false;
}

static int xport_point(const struct hist_point *p, void *ctx)
{
    struct xport *x = ctx;
    if (!p->prior && x->pending && p->t != x->row_t)
        emit_row(x);
    struct cell *c = &x->cell[p->tag];
    if (!c->has || memcmp(&c->v, &p->v, sizeof p->v) != 0)
        c->texted = false; /* new digits */
    c->has = true;
    c->t = p->t;
    c->v = p->v;
    c->q = p->q;
    if (!p->prior) {
        x->row_t = p->t;
        x->pending = true;
    }
    return ferror(x->out);
}

/* The units of the names, "" when unknown. */
static void units_of(const char *dir, const char *const *tags, int ntags, char (*unit)[32])
{
    for (int k = 0; k < ntags; k++)
        unit[k][0] = '\0';
    sqlite3 *db = hist_db_read(dir);
    sqlite3_stmt *s = NULL;
    if (!db || sqlite3_prepare_v2(db, "SELECT unit FROM tags WHERE name = ?", -1, &s, NULL)) {
        sqlite3_close(db);
        return;
    }
    for (int k = 0; k < ntags; k++) {
        sqlite3_bind_text(s, 1, tags[k], -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(unit[k], sizeof unit[k], "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static long export_tags(const char *dir, double from, double to, const char *const *tags, int ntags,
                        unsigned flags, FILE *out)
{
    struct xport *x = calloc(1, sizeof *x);
    if (!x) {
        errno = ENOMEM;
        return -1;
    }
    x->out = out;
    x->flags = flags;
    x->ntags = ntags;
    x->tags = tags;
    if (!(flags & HIST_X_JSON)) {
        fputs("time", out);
        for (int k = 0; k < ntags; k++) {
            char qname[CFG_NAME_MAX + 16];
            snprintf(qname, sizeof qname, "%s_quality", tags[k]);
            putc(',', out);
            csv_text(out, tags[k]);
            putc(',', out);
            csv_text(out, qname);
        }
        putc('\n', out);
        if (flags & HIST_X_UNITS) {
            char(*unit)[32] = calloc(CFG_MAX_TAGS, sizeof *unit);
            if (unit)
                units_of(dir, tags, ntags, unit);
            fputs("unit", out);
            for (int k = 0; k < ntags; k++) {
                putc(',', out);
                csv_text(out, unit ? unit[k] : "");
                putc(',', out);
            }
            putc('\n', out);
            free(unit);
        }
    }
    long n = ntags > 0 ? hist_query(dir, tags, ntags, from, to, true, xport_point, x) : 0;
    if (n < 0 && errno == ENOENT)
        n = 0; /* no historian yet: an empty export */
    if (n >= 0 && x->pending)
        emit_row(x);
    long rows = x->rows;
    free(x->line.p);
    free(x);
    if (n < 0)
        return -1;
    if (ferror(out) || fflush(out) != 0) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return rows;
}

long hist_export(const char *dir, double from, double to, const char *const *tags, int ntags,
                 unsigned flags, FILE *out)
{
    if (ntags < 0 || ntags > CFG_MAX_TAGS || !(from <= to) ||
        (flags & ~(unsigned)(HIST_X_UNITS | HIST_X_JSON))) {
        errno = EINVAL;
        return -1;
    }
    if (ntags > 0)
        return export_tags(dir, from, to, tags, ntags, flags, out);
    char(*names)[CFG_NAME_MAX] = malloc(CFG_MAX_TAGS * sizeof *names);
    if (!names) {
        errno = ENOMEM;
        return -1;
    }
    const char *list[CFG_MAX_TAGS];
    long rows = -1;
    int n = hist_tags(dir, from, to, names, CFG_MAX_TAGS);
    if (n < 0 && errno == ENOENT)
        n = 0;
    for (int k = 0; k < n; k++)
        list[k] = names[k];
    if (n >= 0)
        rows = export_tags(dir, from, to, list, n, flags, out);
    free(names);
    return rows;
}

long hist_export_csv(const char *dir, double from, double to, const char *const *tags, int ntags,
                     FILE *out)
{
    return hist_export(dir, from, to, tags, ntags, 0, out);
}
