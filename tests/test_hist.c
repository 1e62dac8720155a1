/* test_hist — the historian stores by its rule (deadband, once a minute, quality
 * change, sampling period), writes exactly the documented bytes, survives a restart,
 * a torn last record, a damaged record, a day change and a full disk, prunes old days,
 * and exports the exact CSV.  A full disk, as root, is a day file that is a symlink to
 * /dev/full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"

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

static int rm_tmp(void **state)
{
    char *d = *state;
    DIR *dir = opendir(d);
    if (dir) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(dir)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", d, de->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(d);
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

static void day_path(char *out, size_t len, const char *dir, const char *date)
{
    snprintf(out, len, "%s/hist-%s.dat", dir, date);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

/* ---- the format ------------------------------------------------------------- */

static void test_file_format(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    add_tag("sc_door_closed", TAG_BOOL, false, 0, 0);  /* not analog */
    add_tag("plc_heartbeat", TAG_UINT16, false, 0, 0); /* a counter: no range */
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    assert_int_equal(h.ntags, 1);
    set(bath, 745.5, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 1);
    hist_close(&h);

    /* computed independently (Python struct + zlib.crc32) */
    static const unsigned char want[60] = {
        0x48, 0x4d, 0x44, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x62, 0x61, 0x74, 0x68,
        0x5f, 0x68, 0x63, 0x5f, 0x74, 0x65, 0x6d, 0x70, 0x15, 0x82, 0x78, 0x19, 0x48, 0x4d, 0x53,
        0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0xfd, 0xc2, 0xda, 0x41, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x87, 0x40, 0xb7, 0x07, 0xe3, 0xe9,
    };
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    unsigned char buf[128];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    struct got g;
    assert_int_equal(query1(dir, "plc_heartbeat", T0, T0 + 10, false, &g), 0);
}

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

static void three_instants(const char *dir)
{
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    for (int i = 0; i < 3; i++) {
        set(bath, 740 + 5 * i, Q_GOOD);
        assert_int_equal(hist_sample(&h, T0 + i, img), 1);
    }
    hist_close(&h);
}

/* D record 27 bytes, each S record with one sample 33 bytes */
static void test_torn_last_record(void **state)
{
    const char *dir = *state;
    three_instants(dir);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    assert_int_equal(file_size(path), 27 + 3 * 33);
    assert_int_equal(truncate(path, 27 + 3 * 33 - 5), 0); /* a crash in the last write */
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 60, false, &g), 2);
    assert_true(g.p[1].v == 745);

    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(0, 760, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 20, img), 1);
    hist_close(&h);
    assert_int_equal(file_size(path), 27 + 2 * 33 + 27 + 33); /* the torn bytes cut off */
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 60, false, &g), 3);
    assert_true(g.p[2].t == T0 + 20 && g.p[2].v == 760);
}

static void test_damaged_record_skipped(void **state)
{
    const char *dir = *state;
    three_instants(dir);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 27 + 33 + 25, SEEK_SET), 0); /* inside the 2nd value */
    putc(0x5a, f);
    fclose(f);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, T0 + 60, false, &g), 2);
    assert_true(g.p[0].v == 740);
    assert_true(g.p[1].v == 750);
}

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
    assert_int_equal(hist_sample(&h, DAY1 + 5, img), 1); /* a new file: stored again */
    hist_close(&h);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    assert_int_equal(file_size(path), 27 + 2 * 33);
    day_path(path, sizeof path, dir, "2026-11-30");
    assert_int_equal(file_size(path), 27 + 33);

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

static void test_full_disk(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    int roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 740, Q_GOOD);
    set(roof, 1100, Q_GOOD);
    assert_int_equal(hist_sample(&h, DAY1 - 1, img), 2);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-30");
    assert_int_equal(symlink("/dev/full", path), 0);
    errno = 0;
    assert_int_equal(hist_sample(&h, DAY1, img), -1);
    assert_int_equal(errno, ENOSPC);
    set(bath, 745, Q_GOOD);
    assert_int_equal(hist_sample(&h, DAY1 + 1, img), -1);
    assert_int_equal(h.failures, 2);
    assert_int_equal(h.last_errno, ENOSPC);
    struct got g;
    /* a reader skips the device in place of a day file */
    assert_int_equal(query1(dir, "roof_temp", DAY1 - 10, DAY1 + 10, false, &g), 1);
    assert_int_equal(unlink(path), 0);
    /* space again: every value is written, moved or not */
    assert_int_equal(hist_sample(&h, DAY1 + 2, img), 2);
    hist_close(&h);
    assert_int_equal(query1(dir, "roof_temp", DAY1 - 10, DAY1 + 10, false, &g), 2);
    assert_true(g.p[1].t == DAY1 + 2);
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

static void test_prune(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 740, Q_GOOD);
    for (int d = 0; d < 5; d++)
        assert_int_equal(hist_sample(&h, T0 + d * DAY, img), 1);
    hist_close(&h);
    double now = T0 + 4 * DAY;
    assert_int_equal(hist_prune(dir, now, 0), 0);
    assert_int_equal(hist_prune(dir, now, 2), 3);
    char path[300];
    day_path(path, sizeof path, dir, "2026-12-01");
    assert_int_not_equal(access(path, F_OK), 0);
    day_path(path, sizeof path, dir, "2026-12-02");
    assert_int_equal(access(path, F_OK), 0);
    struct got g;
    assert_int_equal(query1(dir, "bath_hc_temp", T0, now + 10, false, &g), 2);
    assert_int_equal(hist_prune(dir, now + 100 * DAY, 1), 1); /* the newest stays */
    day_path(path, sizeof path, dir, "2026-12-03");
    assert_int_equal(access(path, F_OK), 0);
}

/* ---- export ------------------------------------------------------------------------ */

static char *export(const char *dir, double from, double to, const char *const *tags, int n,
                    long *rows)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rows = hist_export_csv(dir, from, to, tags, n, f);
    fclose(f);
    return buf;
}

static void test_export_csv(void **state)
{
    const char *dir = *state;
    int bath = add_tag("bath_hc_temp", TAG_INT16, true, 0, 1100);
    int roof = add_tag("roof_temp", TAG_INT16, true, 0, 1400);
    struct hist h;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 745.5, Q_GOOD);
    set(roof, 1100, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0, img), 2);
    set(bath, 7470 * 0.1, Q_GOOD); /* 747.0000000000001 */
    assert_int_equal(hist_sample(&h, T0 + 1, img), 1);
    set(roof, 1100, Q_BAD_SENSOR);
    assert_int_equal(hist_sample(&h, T0 + 2.5, img), 1);
    assert_int_equal(hist_sample(&h, T0 + 3, img), 0);
    hist_close(&h);
    /* restarted at 10:05 without roof_temp */
    cfg.ntags = 1;
    assert_int_equal(hist_open(&h, dir, &cfg), 0);
    set(bath, 750.25, Q_GOOD);
    assert_int_equal(hist_sample(&h, T0 + 300, img), 1);
    hist_close(&h);

    long rows;
    const char *tags[] = {"roof_temp", "bath_hc_temp", "flue_temp"};
    char *csv = export(dir, T0 + 1, T0 + 400, tags, 3, &rows);
    assert_string_equal(csv, "time,roof_temp,bath_hc_temp,flue_temp\n"
                             "2026-11-29T10:00:01.000Z,1100,747,\n"
                             "2026-11-29T10:00:02.500Z,BAD,747,\n"
                             "2026-11-29T10:05:00.000Z,,750.25,\n");
    assert_int_equal(rows, 3);
    free(csv);

    /* every tag stored in the window, in the order they were defined */
    csv = export(dir, T0, T0 + 2, NULL, 0, &rows);
    assert_string_equal(csv, "time,bath_hc_temp,roof_temp\n"
                             "2026-11-29T10:00:00.000Z,745.5,1100\n"
                             "2026-11-29T10:00:01.000Z,747,1100\n");
    assert_int_equal(rows, 2);
    free(csv);

    /* nothing stored in the window */
    csv = export(dir, T0 + DAY, T0 + DAY + 60, NULL, 0, &rows);
    assert_string_equal(csv, "time\n");
    assert_int_equal(rows, 0);
    free(csv);
    csv = export(dir, T0 + 3, T0 + 4, tags, 2, &rows);
    assert_string_equal(csv, "time,roof_temp,bath_hc_temp\n");
    assert_int_equal(rows, 0);
    free(csv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mkdir_tmp, rm_tmp)
    const struct CMUnitTest tests[] = {
        T(test_file_format),     T(test_deadband),         T(test_deadband_per_tag),
        T(test_sampling_period), T(test_once_a_minute),    T(test_quality_change),
        T(test_restart),         T(test_torn_last_record), T(test_damaged_record_skipped),
        T(test_day_rollover),    T(test_full_disk),        T(test_open_refuses),
        T(test_prune),           T(test_export_csv),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
