/* test_sim_snapshot — snapshot files (encode, decode and every way a file can be bad, each
 * refused with its reason and nothing changed), save and load, what a restore keeps, and
 * the ring of automatic snapshots a backtrack uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plc_contract.h"
#include "sim_snapshot.h"

static struct splc *plc_new(bool cold)
{
    struct splc *p = calloc(1, sizeof *p);
    assert_non_null(p);
    struct splc_params prm;
    struct phys_params pp;
    splc_params_default(&prm);
    phys_params_default(&pp);
    splc_init(p, &prm, &pp, cold);
    return p;
}

/* Run a PLC with a beating console for secs of process time. */
static void run(struct splc *p, double secs)
{
    struct splc_in in;
    splc_in_initial(p, &in);
    in.console_heartbeat = p->hb_last;
    for (double t = 0; t < secs - 1e-9; t += 0.25) {
        in.console_heartbeat++;
        splc_step(p, &in, NULL, 0.25);
    }
}

static struct ssnap *snap_of(const struct splc *p, const char *name)
{
    struct ssnap *s = calloc(1, sizeof *s);
    assert_non_null(s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->plc = *p;
    return s;
}

static void redigest(unsigned char *buf)
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, SSNAP_HEAD + sizeof(struct splc), buf);
    sha256_digest(&c, SSNAP_DIGEST, buf + SSNAP_HEAD + sizeof(struct splc));
}

static void test_round_trip(void **state)
{
    (void)state;
    struct splc *p = plc_new(false);
    run(p, 600);
    struct ssnap *s = snap_of(p, "ic_hold-1.0");
    unsigned char *a = malloc(SSNAP_FILE_SIZE), *b = malloc(SSNAP_FILE_SIZE);
    assert_int_equal(ssnap_encode(s, a, SSNAP_FILE_SIZE), SSNAP_FILE_SIZE);
    assert_int_equal(ssnap_encode(s, a, SSNAP_FILE_SIZE - 1), 0); /* too small a buffer */
    assert_int_equal(ssnap_encode(s, a, SSNAP_FILE_SIZE), SSNAP_FILE_SIZE);
    struct ssnap *d = calloc(1, sizeof *d);
    char err[300] = "";
    assert_int_equal(ssnap_decode(a, SSNAP_FILE_SIZE, d, err, sizeof err), 0);
    assert_string_equal(d->name, "ic_hold-1.0");
    assert_memory_equal(&d->plc, p, sizeof *p);
    assert_true(d->plc.clock_s >= 600 - 1e-6);
    ssnap_encode(d, b, SSNAP_FILE_SIZE);
    assert_memory_equal(a, b, SSNAP_FILE_SIZE);
    assert_memory_equal(a, "meltsim-snapshot", 16);
    free(a), free(b), free(d), free(s), free(p);
}

/* Each mutation of a good file and the words of its refusal. */
enum mut {
    M_EMPTY, M_SHORT, M_MAGIC, M_VERSION, M_SIZE, M_LAYOUT, M_TRUNC, M_TRAIL, M_RESERVED,
    M_NAME_UNTERM, M_NAME_AFTER, M_NAME_CHAR, M_NAME_EMPTY, M_FLIP, M_NAN, M_BMS, M_DOOR,
    M_CLOCK_HEAD, M_CLOCK_NEG
};
static const struct {
    enum mut m;
    const char *want;
} bad[] = {
    {M_EMPTY, "not a meltsim snapshot"},
    {M_SHORT, "not a meltsim snapshot"},
    {M_MAGIC, "not a meltsim snapshot"},
    {M_VERSION, "format version 7: this meltsim reads version 1"},
    {M_SIZE, "another plant layout"},
    {M_LAYOUT, "another plant layout"},
    {M_TRUNC, "truncated"},
    {M_TRAIL, "trailing bytes"},
    {M_RESERVED, "offset 28 is not zero"},
    {M_NAME_UNTERM, "name field is not terminated"},
    {M_NAME_AFTER, "bytes after its end"},
    {M_NAME_CHAR, "is not one of A-Z a-z 0-9 _ . -"},
    {M_NAME_EMPTY, "expected 1 to 47 characters"},
    {M_FLIP, "its SHA-256 does not match"},
    {M_NAN, "not a number"},
    {M_BMS, "bad burner state"},
    {M_DOOR, "bad door or pusher position"},
    {M_CLOCK_HEAD, "header's clock"},
    {M_CLOCK_NEG, "bad process clock"},
};

static void test_bad_files(void **state)
{
    (void)state;
    struct splc *p = plc_new(false);
    run(p, 120);
    struct ssnap *good = snap_of(p, "good");
    size_t cap = SSNAP_FILE_SIZE + 8;
    unsigned char *buf = malloc(cap);
    struct ssnap *out = malloc(sizeof *out), *before = malloc(sizeof *before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ssnap *src = snap_of(p, "good");
        size_t len = SSNAP_FILE_SIZE;
        bool resign = false;
        switch (bad[i].m) {
        case M_NAN:
            src->plc.phys.bath_hc_c = NAN;
            break;
        case M_BMS:
            src->plc.bms = (enum splc_bms)9;
            break;
        case M_DOOR:
            src->plc.sc_door = 2.0;
            break;
        case M_CLOCK_NEG:
            src->plc.clock_s = -5;
            break;
        default:
            break;
        }
        ssnap_encode(src, buf, cap);
        switch (bad[i].m) {
        case M_EMPTY: len = 0; break;
        case M_SHORT: len = 20; break;
        case M_MAGIC: buf[3] ^= 1; break;
        case M_VERSION: buf[16] = 7; break;
        case M_SIZE: buf[20] ^= 8; break;
        case M_LAYOUT: buf[25] ^= 1; break;
        case M_TRUNC: len -= 1; break;
        case M_TRAIL: buf[len++] = 0; break;
        case M_RESERVED: buf[29] = 1, resign = true; break;
        case M_NAME_UNTERM: memset(buf + 40, 'a', 48), resign = true; break;
        case M_NAME_AFTER: buf[40 + 30] = 'x', resign = true; break;
        case M_NAME_CHAR: buf[41] = '/', resign = true; break;
        case M_NAME_EMPTY: memset(buf + 40, 0, 48), resign = true; break;
        case M_FLIP: buf[SSNAP_HEAD + 100] ^= 0x40; break;
        case M_CLOCK_HEAD: {
            double c = 1234.5;
            memcpy(buf + 32, &c, sizeof c);
            resign = true;
            break;
        }
        default: break;
        }
        if (resign)
            redigest(buf);
        memset(out, 0x5a, sizeof *out);
        memcpy(before, out, sizeof *out);
        char err[300] = "";
        if (ssnap_decode(buf, len, out, err, sizeof err) != -1) {
            print_error("case %zu decoded\n", i);
            fail();
        }
        if (!strstr(err, bad[i].want)) {
            print_error("case %zu: \"%s\" lacks \"%s\"\n", i, err, bad[i].want);
            fail();
        }
        assert_memory_equal(out, before, sizeof *out); /* nothing changed */
        free(src);
    }
    /* the good one still decodes */
    ssnap_encode(good, buf, cap);
    char err[300];
    assert_int_equal(ssnap_decode(buf, SSNAP_FILE_SIZE, out, err, sizeof err), 0);
    free(buf), free(out), free(before), free(good), free(p);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const ok[] = {"a", "ic_cold", "lesson-3.b", "A1"};
    static const struct {
        const char *name, *want;
    } no[] = {
        {"", "expected 1 to 47"},
        {".hidden", "must not start with '.'"},
        {"..", "must not start with '.'"},
        {"a/b", "character 2 is not one of"},
        {"a b", "character 2 is not one of"},
        {"ä", "character 1 is not one of"},
        {"x123456789012345678901234567890123456789012345678", "expected 1 to 47"},
    };
    char err[200];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(ssnap_name_check(ok[i], err, sizeof err), 0);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        err[0] = 0;
        assert_int_equal(ssnap_name_check(no[i].name, err, sizeof err), -1);
        if (!strstr(err, no[i].want)) {
            print_error("\"%s\": \"%s\" lacks \"%s\"\n", no[i].name, err, no[i].want);
            fail();
        }
    }
}

static void test_save_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_sim_snapshot.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[300], path[400];
    snprintf(sub, sizeof sub, "%s/snaps", dir);
    struct splc *p = plc_new(true);
    run(p, 300);
    struct ssnap *s = snap_of(p, "cold5");
    char err[400] = "";
    assert_int_equal(ssnap_save(sub, s, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/cold5.snap", sub);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal((size_t)st.st_size, SSNAP_FILE_SIZE);
    struct ssnap *d = calloc(1, sizeof *d);
    assert_int_equal(ssnap_load(sub, "cold5", d, err, sizeof err), 0);
    assert_memory_equal(&d->plc, p, sizeof *p);
    /* missing, a bad name, a damaged file: each refused, *d unchanged */
    struct ssnap *keep = malloc(sizeof *keep);
    memcpy(keep, d, sizeof *d);
    assert_int_equal(ssnap_load(sub, "nope", d, err, sizeof err), -1);
    assert_non_null(strstr(err, "no snapshot \"nope\""));
    assert_int_equal(ssnap_load(sub, "../cold5", d, err, sizeof err), -1);
    assert_non_null(strstr(err, "must not start with '.'"));
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, SSNAP_HEAD + 8, SEEK_SET);
    fputc(0x77, f);
    fclose(f);
    assert_int_equal(ssnap_load(sub, "cold5", d, err, sizeof err), -1);
    assert_non_null(strstr(err, "cold5.snap: damaged"));
    f = fopen(path, "ab");
    fputc(0, f);
    fclose(f);
    assert_int_equal(ssnap_load(sub, "cold5", d, err, sizeof err), -1);
    assert_non_null(strstr(err, "trailing bytes"));
    assert_memory_equal(d, keep, sizeof *d);
    /* a folder that cannot be made */
    assert_int_equal(ssnap_save("/proc/nonexistent/x", s, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create the snapshot folder"));
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    free(keep), free(d), free(s), free(p);
}

static void test_restore_keeps_link(void **state)
{
    (void)state;
    struct splc *p = plc_new(false);
    run(p, 60);
    struct splc *then = malloc(sizeof *then);
    *then = *p;
    run(p, 240);
    p->speed = 30;
    p->last_seq = p->ack_seq = 17;
    p->result = PLC_RES_INTERLOCK;
    uint16_t hb = p->heartbeat, hb_last = p->hb_last;
    double bath_then = then->phys.bath_hc_c;
    ssnap_restore(p, then);
    assert_true(fabs(p->clock_s - then->clock_s) < 1e-9);
    assert_true(p->phys.bath_hc_c == bath_then);
    assert_int_equal(p->heartbeat, hb);
    assert_int_equal(p->hb_last, hb_last);
    assert_int_equal(p->last_seq, 17);
    assert_int_equal(p->ack_seq, 17);
    assert_int_equal(p->result, PLC_RES_INTERLOCK);
    assert_true(p->speed == 30);
    assert_int_equal(p->restarts, 1);
    struct splc_out o;
    splc_output(p, &o);
    assert_int_equal(o.sim_restarts, 1);
    assert_true(o.sim_speed == 30);
    assert_true(fabs(o.plc_clock - then->clock_s) < 1e-9);
    free(then), free(p);
}

static void test_ring(void **state)
{
    (void)state;
    struct splc *p = plc_new(false);
    struct ssnap_ring *r = malloc(sizeof *r);
    ssnap_ring_init(r);
    char err[200] = "";
    assert_null(ssnap_ring_find(r, 0, 1, err, sizeof err));
    assert_non_null(strstr(err, "reach back 0.0 min"));
    assert_int_equal(ssnap_ring_tick(r, p), 1);
    assert_int_equal(ssnap_ring_tick(r, p), 0); /* the same minute */
    struct splc_in in;
    splc_in_initial(p, &in);
    int taken = 1;
    for (int i = 0; i < 4 * 60 * 90; i++) { /* 90 process minutes */
        in.console_heartbeat++;
        splc_step(p, &in, NULL, 0.25);
        taken += ssnap_ring_tick(r, p);
    }
    assert_int_equal(taken, 91);
    assert_int_equal(r->n, SSNAP_RING);
    assert_true(fabs(ssnap_ring_span_min(r, p->clock_s) - 59) < 0.01);
    const struct splc *e = ssnap_ring_find(r, p->clock_s, 5, err, sizeof err);
    assert_non_null(e);
    assert_true(fabs(e->clock_s - (p->clock_s - 300)) < 0.3);
    assert_null(ssnap_ring_find(r, p->clock_s, 60, err, sizeof err));
    assert_non_null(strstr(err, "cannot go back 60 min"));
    assert_null(ssnap_ring_find(r, p->clock_s, 0, err, sizeof err));
    assert_non_null(strstr(err, "expected 1 to 60"));
    assert_null(ssnap_ring_find(r, p->clock_s, NAN, err, sizeof err));
    /* a backtrack forgets the future and takes the next minute again */
    double t = e->clock_s;
    ssnap_restore(p, e);
    ssnap_ring_cut(r, t);
    assert_int_equal(r->n, SSNAP_RING - 5);
    assert_int_equal(ssnap_ring_tick(r, p), 0);
    for (int i = 0; i < 4 * 61; i++) {
        in.console_heartbeat++;
        splc_step(p, &in, NULL, 0.25);
        ssnap_ring_tick(r, p);
    }
    assert_int_equal(r->n, SSNAP_RING - 4);
    free(r), free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_names),              cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_restore_keeps_link), cmocka_unit_test(test_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
