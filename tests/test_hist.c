/* test_hist — the historian stores by its rule (deadband, once a minute, quality
 * change, sampling period), in the documented SQLite schema, survives a restart, a
 * day change and a failed write (a file size limit: writes fail with EFBIG), drops and
 * counts rows when its queue is full without ever blocking the caller (the database
 * held locked by another connection), imports the old binary day files exactly, prunes
 * old samples, and exports the exact CSV and JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"
#include "numtext.h"

#define T0 1795946400.0   /* 2026-11-29T10:00:00Z */
#define DAY1 1795996800.0 /* 2026-11-30T00:00:00Z */
#define DAY 86400.0

static struct cfg cfg;
static struct tag_value img[CFG_MAX_TAGS];

/* ---- helpers -------------------------------------------------------------- */

static int mkdir_tmp(void **state)
{
    char *d = strdup("/tmp/test_hist.XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    *state = d;
    memset(&cfg, 0, sizeof cfg);
    cfg.server.historian_period_s = 1;
    cfg.server.historian_deadband_pct = 0.1;
    memset(img, 0, sizeof img);
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

static int rm_tmp(void **state)
{
    char *d = *state;
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
    return 0;
}

static int add_tag(const char *name, enum tag_type type, bool ranged, double lo, double hi)
{
    struct cfg_tag *t = &cfg.tags[cfg.ntags];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->scale = 1;
    t->has_range = ranged;
    t->range_lo = lo;
    t->range_hi = hi;
    return cfg.ntags++;
}

static void set(int idx, double v, enum tag_quality q)
{
    img[idx].v = v;
    img[idx].q = q;
}

struct got {
    int n, stop_after;
    struct hist_point p[512];
};

static int collect(const struct hist_point *p, void *ctx)
{
    struct got *g = ctx;
    assert_true(g->n < 512);
    g->p[g->n++] = *p;
    return g->stop_after > 0 && g->n >= g->stop_after;
}

static long query1(const char *dir, const char *tag, double from, double to, bool prior,
                   struct got *g)
{
    const char *tags[] = {tag};
    memset(g, 0, sizeof *g);
    long n = hist_query(dir, tags, 1, from, to, prior, collect, g);
    assert_int_equal(n, g->n);
    return n;
}

/* ---- the format ------------------------------------------------------------- */

/* ---- the storage rule ------------------------------------------------------------ */

static void test_deadband(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100); /* band 1.1 K */
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    static const struct {
        double dt, v;
        int stored;
    } steps[] = {
        {0, 745.5, 1}, /* the first: always */
        {1, 746.5, 0}, /* moved 1.0 <= 1.1 */
        {2, 746.7, 1}, /* moved 1.2 from 745.5 */
        {3, 745.7, 0}, /* moved 1.0 from 746.7 */
        {4, 745.5, 1}, /* moved 1.2 */
        {4.5, 800, 0}, /* the same sampling period: not looked at */
        {5, 745.6, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        set(bath, steps[i].v, Q_GOOD);
        assert_int_equal(hist_sample(&h, T0 + steps[i].dt, img), steps[i].stored);
    }
    assert_int_equal(h.samples, 3);
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 10, false, &g), 3);
    assert_true(g.p[0].t == T0 && g.p[0].v == 745.5 && g.p[0].q == Q_GOOD);
    assert_true(g.p[1].t == T0 + 2 && g.p[1].v == 746.7);
    assert_true(g.p[2].t == T0 + 4 && g.p[2].v == 745.5);
    assert_false(g.p[0].prior);
}

/* Each tag by its own range; only what moved is stored. */
static void test_deadband_per_tag(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100); /* 1.1 K */
    int o2 = add_tag("o2_pct", TAG_UINT16, true, 0, 25);          /* 0.025 % */
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 745.5, Q_GOOD);
    set(o2, 2.0, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    set(bath, 746.0, Q_GOOD); /* 0.5 K: within */
    set(o2, 2.05, Q_GOOD);    /* 0.05 %: out */
    assert_int_equal(hist_sample(&h, T0 + 1, img), 1);
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "o2_pct", T0, T0 + 10, false, &g), 2);
    assert_true(g.p[1].v == 2.05);
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 10, false, &g), 1);
}

static void test_sampling_period(void **state)
{
    const char *dir = *state;
    cfg.server.historian_period_s = 5;
    int gas = add_tag("hc_gas_temp", TAG_INT16, true, 0, 1400);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    int stored = 0;
    for (int i = 0; i < 80; i++) { /* every 0.25 s for 20 s, ramping 10 K/s */
        set(gas, 900 + 2.5 * i, Q_GOOD);
        stored += hist_sample(&h, T0 + 0.25 * i, img);
    }
    assert_int_equal(stored, 4);
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "hc_gas_temp", T0, T0 + 60, false, &g), 4);
    for (int i = 0; i < 4; i++) {
        assert_true(g.p[i].t == T0 + 5 * i);
        assert_true(g.p[i].v == 900 + 50 * i);
    }
}

static void test_once_a_minute(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 745.5, Q_GOOD);
    int stored = 0;
    for (int i = 0; i <= 130; i++)
        stored += hist_sample(&h, T0 + i, img);
    assert_int_equal(stored, 3);
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 200, false, &g), 3);
    assert_true(g.p[0].t == T0);
    assert_true(g.p[1].t == T0 + 60);
    assert_true(g.p[2].t == T0 + 120);
}

static void test_quality_change(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    static const struct {
        double v;
        enum tag_quality q;
        int stored;
    } steps[] = {
        {745.5, Q_GOOD, 1},      {745.5, Q_STALE, 1}, /* the same value, another quality */
        {760.0, Q_STALE, 0},                          /* not GOOD: the value does not count */
        {745.5, Q_BAD_COMMS, 1}, {745.5, Q_BAD_SENSOR, 1}, {745.5, Q_GOOD, 1},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        set(bath, steps[i].v, steps[i].q);
        assert_int_equal(hist_sample(&h, T0 + (double)i, img), steps[i].stored);
    }
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 10, false, &g), 5);
    assert_int_equal(g.p[0].q, Q_GOOD);
    assert_int_equal(g.p[1].q, Q_STALE);
    assert_int_equal(g.p[2].q, Q_BAD_COMMS);
    assert_int_equal(g.p[3].q, Q_BAD_SENSOR);
    assert_int_equal(g.p[4].q, Q_GOOD);
    assert_true(g.p[2].t == T0 + 3);
}

/* ---- on disk ---------------------------------------------------------------------- */

static void test_restart(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    int roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 745.5, Q_GOOD);
    set(roof, 1100, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    set(bath, 748, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 1, img), 1);
    hist_close(&h);

    /* restarted with another tag list: roof first, a new tag, bath last */
    memset(&cfg.tags, 0, sizeof cfg.tags);
    cfg.ntags = 0;
    roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    int flue = add_tag("flue_temp", TAG_INT16, true, 0, 1500);
    bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(roof, 1101, Q_GOOD);
    set(flue, 1200, Q_GOOD);
    set(bath, 748, Q_GOOD); /* unchanged, stored all the same: a new session */
    assert_int_equal(hist_sample(&h, T0 + 10, img), 3);
    set(bath, 750, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 11, img), 1);
    hist_close(&h);

    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 60, false, &g), 4);
    static const double tv[][2] = {{0, 745.5}, {1, 748}, {10, 748}, {11, 750}};
    for (int i = 0; i < 4; i++) {
        assert_true(g.p[i].t == T0 + tv[i][0]);
        assert_true(g.p[i].v == tv[i][1]);
    }
    assert_int_equal(query1(dir, "roof_temp", T0, T0 + 60, false, &g), 2);
    assert_true(g.p[1].v == 1101);
    assert_int_equal(query1(dir, "flue_temp", T0, T0 + 60, false, &g), 1);

    /* two tags in one query, the callback stops the walk */
    const char *both[] = {"roof_temp", "bath_hc_temp"};
    memset(&g, 0, sizeof g);
    assert_int_equal(hist_query(dir, both, 2, T0, T0 + 60, false, collect, &g), 6);
    assert_int_equal(g.p[0].tag, 1);
    assert_int_equal(g.p[1].tag, 0);
    memset(&g, 0, sizeof g);
    g.stop_after = 3;
    assert_int_equal(hist_query(dir, both, 2, T0, T0 + 60, false, collect, &g), 3);
}

static void test_open_refuses(void **state)
{
    const char *dir = *state;
    char path[300];
    struct hist h;
    snprintf(path, sizeof path, "%s/nowhere", dir);
    errno = 0;
    assert_int_equal(hist_open(&h, path, &cfg), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(hist_open(&h, path, &cfg), -1);
    assert_int_equal(errno, ENOTDIR);

    struct got g;
    const char *tags[] = {"bath_hc_temp"};
    assert_int_equal(hist_query(dir, tags, 0, T0, T0 + 1, false, collect, &g), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(hist_query(dir, tags, 1, T0 + 1, T0, false, collect, &g), -1);
    snprintf(path, sizeof path, "%s/nowhere", dir);
    assert_int_equal(hist_query(path, tags, 1, T0, T0 + 1, false, collect, &g), -1);
    assert_int_equal(errno, ENOENT);
}

/* ---- the schema --------------------------------------------------------------------- */

static sqlite3 *db_open(const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/historian.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

/* The rows of one query, "a|b|c\n" each (sqlite3's own list mode). */
static void sql_rows(sqlite3 *db, const char *sql, char *out, size_t len)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    size_t n = 0;
    out[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(s); c++) {
            const char *v = (const char *)sqlite3_column_text(s, c);
            n += (size_t)snprintf(out + n, len - n, "%s%s", c ? "|" : "", v ? v : "");
            assert_true(n < len);
        }
        n += (size_t)snprintf(out + n, len - n, "\n");
        assert_true(n < len);
    }
    sqlite3_finalize(s);
}

static void test_schema(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    cfg.tags[bath].scale = 0.1;
    snprintf(cfg.tags[bath].unit, sizeof cfg.tags[bath].unit, "°C");
    add_tag("sc_door_closed", TAG_BOOL, false, 0, 0);  /* not analog */
    add_tag("plc_heartbeat", TAG_UINT16, false, 0, 0); /* a counter: no range */
    int o2 = add_tag("o2_pct", TAG_FLOAT32, true, 0, 25);
    snprintf(cfg.tags[o2].unit, sizeof cfg.tags[o2].unit, "%%");
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    assert_int_equal(h.ntags, 2);
    set(bath, 745.5, Q_GOOD);
    set(o2, 2.5, Q_STALE);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    hist_close(&h);

    sqlite3 *db = db_open(dir);
    char out[2048];
    sql_rows(db, "PRAGMA journal_mode", out, sizeof out);
    assert_string_equal(out, "wal\n");
    sql_rows(db, "PRAGMA user_version", out, sizeof out);
    assert_string_equal(out, "1\n");
    sql_rows(db, "SELECT id, name, unit, precision FROM tags ORDER BY id", out, sizeof out);
    assert_string_equal(out, "1|bath_hc_temp|°C|1\n2|o2_pct|%|3\n");
    sql_rows(db,
             "SELECT s.t, t.name, s.value, q.name FROM samples s JOIN tags t ON t.id = s.tag "
             "JOIN qualities q ON q.code = s.quality ORDER BY s.t, s.tag",
             out, sizeof out);
    assert_string_equal(out, "1795946400.0|bath_hc_temp|745.5|GOOD\n"
                             "1795946400.0|o2_pct|2.5|STALE\n");
    sql_rows(db, "SELECT kind FROM events ORDER BY rowid", out, sizeof out);
    assert_string_equal(out, "start\nstop\n");
    sqlite3_close(db);

    struct got g;
    assert_int_equal(query1(dir, "plc_heartbeat", T0, T0 + 10, false, &g), 0);
}

/* ---- the day and the clock ------------------------------------------------------------ */

static void test_day_rollover(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 740, Q_GOOD);
    assert_int_equal(hist_sample(&h, DAY1 - 2, img), 1);
    set(bath, 742, Q_GOOD);
    assert_int_equal(hist_sample(&h, DAY1 - 1, img), 1);
    set(bath, 744, Q_GOOD);
    assert_int_equal(hist_sample(&h, DAY1 + 5, img), 1);
    hist_close(&h);

    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1 - 10, DAY1 + 10, false, &g), 3);
    /* the value in force at midnight comes from the day before */
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1, DAY1 + 10, true, &g), 2);
    assert_true(g.p[0].prior && g.p[0].t == DAY1 - 1 && g.p[0].v == 742);
    assert_true(!g.p[1].prior && g.p[1].t == DAY1 + 5);
    /* nothing in the window: the prior alone */
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1 + 0.5, DAY1 + 1, true, &g), 1);
    assert_true(g.p[0].prior && g.p[0].t == DAY1 - 1);
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1 + 0.5, DAY1 + 1, false, &g), 0);
    /* a prior older than HIST_HOLD_S does not count */
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1 + 200, DAY1 + 300, true, &g), 0);
    assert_int_equal(query1(dir, "bath_hc_temp", DAY1 + 6, DAY1 + 7, true, &g), 1);
    assert_true(g.p[0].prior && g.p[0].t == DAY1 + 5);
}

/* ---- failures ---------------------------------------------------------------------- */

/* Writes beyond a file size limit fail (EFBIG, SIGXFSZ ignored): the transaction fails,
 * hist_sample says so, and once the disk takes writes again every value is written. */
static void test_failed_write(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    int roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 740, Q_GOOD);
    set(roof, 1100, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    hist_flush(&h);

    struct rlimit old, none = {0, 0};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    none.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
    set(bath, 745, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 1, img), 1);
    hist_flush(&h);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);

    struct hist_stats st;
    hist_status(&h, &st);
    assert_int_equal(st.failed, 1);
    assert_int_not_equal(st.last_errno, 0);
    char note[HIST_NOTE_MAX];
    assert_int_equal(hist_note(&h, note, sizeof note), 1);
    assert_non_null(strstr(note, "historian cannot write 1 samples to historian.db"));
    /* the failure is reported, and a full set is queued at once */
    errno = 0;
    assert_int_equal(hist_sample(&h, T0 + 2, img), -1);
    assert_int_not_equal(errno, 0);
    assert_int_equal(h.failures, 1);
    hist_flush(&h);
    assert_int_equal(hist_sample(&h, T0 + 3, img), 0); /* written: nothing moved */
    hist_close(&h);

    struct got g;
    assert_int_equal(query1(dir, "roof_temp", T0, T0 + 10, false, &g), 2);
    assert_true(g.p[1].t == T0 + 2);
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 10, false, &g), 2);
    assert_true(g.p[1].t == T0 + 2 && g.p[1].v == 745);
}

/* The database held by another connection: the thread waits on it, hist_sample never
 * does (this thread holds the lock: a waiting hist_sample would never return), and the
 * rows beyond HIST_QUEUE are dropped, counted and said once. */
static void test_queue_full(void **state)
{
    const char *dir = *state;
    cfg.server.historian_period_s = 0; /* every call */
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 0, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 1);
    hist_flush(&h);

    char path[400];
    snprintf(path, sizeof path, "%s/historian.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    int queued = 0, extra = 100;
    for (int i = 1; i <= HIST_QUEUE + extra; i++) {
        set(bath, 2.0 * (i % 500), Q_GOOD); /* moves every call */
        int n = hist_sample(&h, T0 + 0.001 * i, img);
        assert_true(n == 0 || n == 1);
        queued += n;
    }
    struct hist_stats st;
    hist_status(&h, &st);
    assert_int_equal(st.lost + (unsigned long long)queued, HIST_QUEUE + extra);
    assert_true(st.lost >= (unsigned long long)extra - 1);
    assert_int_equal(st.max_depth, HIST_QUEUE);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    hist_flush(&h);
    hist_flush(&h);
    hist_status(&h, &st);
    char note[HIST_NOTE_MAX];
    bool said = false;
    while (hist_note(&h, note, sizeof note))
        said = said || strstr(note, "historian samples lost: the queue of 16384 rows was full");
    assert_true(said);
    assert_int_equal(st.written + st.failed, st.queued);
    hist_close(&h);

    db = db_open(dir);
    char out[512];
    sql_rows(db, "SELECT count(*) FROM events WHERE kind = 'lost'", out, sizeof out);
    assert_string_equal(out, "1\n");
    sqlite3_close(db);
}

static void test_open_refuses_newer(void **state)
{
    const char *dir = *state;
    char path[400];
    snprintf(path, sizeof path, "%s/historian.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct hist h;
    char err[400];
    assert_int_equal(hist_open_err(&h, dir, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "schema version 7 was written by a newer meltcon"));
}

/* ---- the old day files ----------------------------------------------------------------- */

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

/* A file of tests/hist_v1, under $MELTCON_SRC or the source tree the test was built from. */
static const char *v1_src(const char *name, char *buf, size_t n)
{
    const char *root = getenv("MELTCON_SRC");
    snprintf(buf, n, "%s/tests/hist_v1/%s", root ? root : MELTCON_SRC_DIR, name);
    return buf;
}

static void v1_files(const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/hist", dir);
    assert_int_equal(mkdir(path, 0750), 0);
    static const char *const days[] = {"2026-11-29", "2026-11-30"};
    for (int i = 0; i < 2; i++) {
        char name[64], src[PATH_MAX];
        snprintf(name, sizeof name, "hist-%s.dat", days[i]);
        snprintf(path, sizeof path, "%s/hist/hist-%s.dat", dir, days[i]);
        copy_file(v1_src(name, src, sizeof src), path);
    }
}

static const char *const v1_tags[] = {"bath_temp", "roof_temp", "chamber_p"};

static int v1_line(const struct hist_point *p, void *ctx)
{
    FILE *f = ctx;
    fprintf(f, "%.3f %s %.17g %d%s\n", p->t, v1_tags[p->tag], p->v, (int)p->q,
            p->prior ? " prior" : "");
    return 0;
}

/* What the old hist_query read back from the files (tests/hist_v1/points.txt). */
static void v1_compare(const char *dir)
{
    char *buf = NULL, want[4096];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(hist_query(dir, v1_tags, 3, T0 - 10, DAY1 + 3600 + 1000, false, v1_line, f),
                     28);
    fclose(f);
    char src[PATH_MAX];
    FILE *w = fopen(v1_src("points.txt", src, sizeof src), "r");
    assert_non_null(w);
    size_t n = fread(want, 1, sizeof want - 1, w);
    want[n] = '\0';
    fclose(w);
    assert_string_equal(buf, want);
    free(buf);
}

static void test_import_v1(void **state)
{
    const char *dir = *state;
    v1_files(dir);
    /* read before the new server ever started: through an import into memory */
    v1_compare(dir);
    char path[400];
    snprintf(path, sizeof path, "%s/historian.db", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* a reader writes nothing */

    add_tag("bath_temp", TAG_INT16, true, 0, 1200);
    add_tag("roof_temp", TAG_INT16, true, 0, 1600);
    add_tag("chamber_p", TAG_INT16, true, -100, 100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    struct hist_stats st;
    hist_status(&h, &st);
    assert_int_equal(st.imported, 28);
    char note[HIST_NOTE_MAX];
    assert_int_equal(hist_note(&h, note, sizeof note), 1);
    assert_non_null(strstr(note, "imported 28 samples from 2 old day files of"));
    assert_non_null(strstr(note, "(2026-11-29 to 2026-11-30)"));
    hist_close(&h);
    v1_compare(dir);
    /* once: a second start imports nothing, and the files stay */
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    hist_status(&h, &st);
    assert_int_equal(st.imported, 0);
    assert_int_equal(hist_note(&h, note, sizeof note), 0);
    hist_close(&h);
    v1_compare(dir);
    snprintf(path, sizeof path, "%s/hist/hist-2026-11-29.dat", dir);
    assert_int_equal(access(path, F_OK), 0);
}

/* ---- retention ------------------------------------------------------------------------- */

static void test_prune(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 740, Q_GOOD);
    for (int d = 0; d < 5; d++)
        assert_int_equal(hist_sample(&h, T0 + d * DAY, img), 1);
    double now = T0 + 4 * DAY;
    hist_retain(&h, now, 0); /* keep everything */
    hist_retain(&h, now, 2); /* today and yesterday */
    hist_flush(&h);
    char note[HIST_NOTE_MAX];
    assert_int_equal(hist_note(&h, note, sizeof note), 1);
    assert_string_equal(note, "removed 3 historian samples from before 2026-12-02");
    hist_close(&h);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, now + 10, false, &g), 2);
    assert_true(g.p[0].t == T0 + 3 * DAY);
    assert_int_equal(hist_prune(dir, now, 0), 0);
    assert_int_equal(hist_prune(dir, now, 1), 1);
    assert_int_equal(query1(dir, "bath_hc_temp", T0, now + 10, false, &g), 1);
}

/* ---- export ------------------------------------------------------------------------ */

__attribute__((noinline)) static char *export(const char *dir, double from, double to,
                                             const char *const *tags, int n,
                                             unsigned flags, long *rows)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rows = flags ? hist_export(dir, from, to, tags, n, flags, f)
                  : hist_export_csv(dir, from, to, tags, n, f);
    fclose(f);
    return buf;
}

static void export_data(const char *dir)
{
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    int roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    snprintf(cfg.tags[bath].unit, sizeof cfg.tags[bath].unit, "°C");
    snprintf(cfg.tags[roof].unit, sizeof cfg.tags[roof].unit, "deg,C");
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 745.5, Q_GOOD);
    set(roof, 1100, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    set(bath, 7470 * 0.1, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 1, img), 1);
    set(roof, 1100, Q_BAD_SENSOR);
    assert_int_equal(hist_sample(&h, T0 + 2.5, img), 1);
    assert_int_equal(hist_sample(&h, T0 + 3, img), 0);
    hist_close(&h);
    /* restarted at 10:05 without roof_temp */
    cfg.ntags = 1;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 750.25, Q_STALE);
    assert_int_equal(hist_sample(&h, T0 + 300, img), 1);
    hist_close(&h);
}

static void test_export_csv(void **state)
{
    const char *dir = *state;
    export_data(dir);
    long rows;
    const char *tags[] = {"roof_temp", "bath_hc_temp", "flue_temp"};
    char *csv = export(dir, T0 + 1, T0 + 400, tags, 3, 0, &rows);
    assert_string_equal(
        csv, "time,roof_temp,roof_temp_quality,bath_hc_temp,bath_hc_temp_quality,flue_temp,"
             "flue_temp_quality\n"
             "2026-11-29T10:00:01.000Z,1100,GOOD,747,GOOD,,\n"
             "2026-11-29T10:00:02.500Z,,BAD,747,GOOD,,\n"
             "2026-11-29T10:05:00.000Z,,,,STALE,,\n");
    assert_int_equal(rows, 3);
    free(csv);

    /* every tag stored in the window, in the order they were first stored; units */
    csv = export(dir, T0, T0 + 2, NULL, 0, HIST_X_UNITS, &rows);
    assert_string_equal(csv, "time,bath_hc_temp,bath_hc_temp_quality,roof_temp,"
                             "roof_temp_quality\n"
                             "unit,°C,,\"deg,C\",\n"
                             "2026-11-29T10:00:00.000Z,745.5,GOOD,1100,GOOD\n"
                             "2026-11-29T10:00:01.000Z,747,GOOD,1100,GOOD\n");
    assert_int_equal(rows, 2);
    free(csv);

    /* nothing stored in the window */
    csv = export(dir, T0 + DAY, T0 + DAY + 60, NULL, 0, 0, &rows);
    assert_string_equal(csv, "time\n");
    assert_int_equal(rows, 0);
    free(csv);
    csv = export(dir, T0 + 3, T0 + 4, tags, 2, 0, &rows);
    assert_string_equal(csv, "time,roof_temp,roof_temp_quality,bath_hc_temp,"
                             "bath_hc_temp_quality\n");
    assert_int_equal(rows, 0);
    free(csv);
}

static void test_export_json(void **state)
{
    const char *dir = *state;
    export_data(dir);
    long rows;
    const char *tags[] = {"roof_temp", "bath_hc_temp"};
    char *js = export(dir, T0 + 2, T0 + 400, tags, 2, HIST_X_JSON, &rows);
    assert_string_equal(
        js, "{\"time\":\"2026-11-29T10:00:02.500Z\",\"roof_temp\":null,\"roof_temp_quality\":"
            "\"BAD\",\"bath_hc_temp\":747,\"bath_hc_temp_quality\":\"GOOD\"}\n"
            "{\"time\":\"2026-11-29T10:05:00.000Z\",\"roof_temp\":null,\"roof_temp_quality\":"
            "null,\"bath_hc_temp\":null,\"bath_hc_temp_quality\":\"STALE\"}\n");
    assert_int_equal(rows, 2);
    free(js);
    errno = 0;
    js = export(dir, T0, T0 + 1, tags, 2, 8, &rows);
    assert_int_equal(rows, -1);
    assert_int_equal(errno, EINVAL);
    free(js);
}

/* Every value exported is the shortest decimal that reads back as the stored double:
 * the same digits as numtext (config/numtext.h), whichever path made them.  (Not -0:
 * SQLite keeps an integral REAL as an integer, and -0.0 comes back as 0.) */
static void test_export_digits(void **state)
{
    const char *dir = *state;
    static const double vals[] = {0.1 + 0.2, -1.5, 0, 1e20,    1234.5678, -2.25, 745.3,
                                  7453 * 0.1, 1e-7, -1e14, 123456.789012, 5e-324};
    enum { N = sizeof vals / sizeof vals[0] };
    cfg.server.historian_period_s = 0;
    int idx = add_tag("v", TAG_FLOAT32, true, -1e30, 1e30);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    for (int i = 0; i < N; i++) {
        set(idx, vals[i], Q_GOOD);
        assert_int_equal(hist_sample(&h, T0 + 61.0 * i, img), 1); /* the heartbeat stores it */
    }
    hist_close(&h);
    long rows;
    const char *tags[] = {"v"};
    char *csv = export(dir, T0, T0 + 61.0 * N, tags, 1, 0, &rows);
    assert_int_equal(rows, N);
    char *line = strchr(csv, '\n') + 1;
    for (int i = 0; i < N; i++) {
        char want[NUMTEXT_MAX], got[64];
        assert_true(numtext(want, sizeof want, vals[i]));
        const char *a = strchr(line, ',') + 1, *b = strchr(a, ',');
        snprintf(got, sizeof got, "%.*s", (int)(b - a), a);
        assert_string_equal(got, want);
        line = strchr(line, '\n') + 1;
    }
    free(csv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mkdir_tmp, rm_tmp)
    const struct CMUnitTest tests[] = {
        T(test_schema),          T(test_deadband),      T(test_deadband_per_tag),
        T(test_sampling_period), T(test_once_a_minute), T(test_quality_change),
        T(test_restart),         T(test_day_rollover),  T(test_failed_write),
        T(test_queue_full),      T(test_open_refuses),  T(test_open_refuses_newer),
        T(test_import_v1),       T(test_prune),         T(test_export_csv),
        T(test_export_json),     T(test_export_digits),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
