/* test_plant — the plant overview's model (tui/plant_model.c) fed the
 * server's own payloads (control/server/mqtt_metric.c): a birth makes a
 * LIVE row with phase, bath/SP and link; DDATA by alias updates it; an
 * NDEATH with another bdSeq (a stale will) changes nothing, with its own
 * bdSeq makes the node OFFLINE and its row shows no value; DDATA before a
 * birth asks for a rebirth once; garbage is dropped; the order is by
 * attention; every row fits 80 columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_view.h"
#include "mqtt_metric.h"
#include "plant_model.h"
#include "tag.h"

static struct cfg cfg;
static struct mm_table tab;
static struct mm_val v[MM_MAX];
static uint8_t buf[256 * 1024];
static struct plant_tab P;

static int setup(void **state)
{
    (void)state;
    static struct cfg_errors e;
    char path[512];
    const char *src = getenv("MELTCON_SRC");
    snprintf(path, sizeof path, "%s/config/meltcon.ini", src ? src : MELTCON_SRC_DIR);
    if (cfg_load(path, &cfg, &e) < 0)
        return -1;
    mm_build(&tab, &cfg);
    return 0;
}

static int find(const char *name)
{
    for (int i = 0; i < tab.n; i++)
        if (!strcmp(tab.d[i].name, name))
            return i;
    return -1;
}

static void values(double bath, int phase, int crit)
{
    for (int i = 0; i < tab.n; i++)
        v[i] = (struct mm_val){0, Q_GOOD};
    v[find("loops/bath/pv")].v = bath;
    v[find("loops/bath/sp")].v = 740;
    v[find("melt/phase")].v = phase;
    v[find("link/state")].v = 1; /* UP */
    v[find("alarms/critical")].v = crit;
}

static enum plant_take_rc birth(const char *node, uint64_t bd, double now)
{
    char t[128];
    snprintf(t, sizeof t, "spBv1.0/g/NBIRTH/%s", node);
    size_t len = mm_encode_nbirth(bd, 1, buf, sizeof buf);
    assert_int_equal(plant_take(&P, t, buf, len, now), PT_CHANGED);
    snprintf(t, sizeof t, "spBv1.0/g/DBIRTH/%s/furnace", node);
    len = mm_encode_dbirth(&tab, v, 1, 1, buf, sizeof buf);
    return plant_take(&P, t, buf, len, now);
}

static enum plant_take_rc death(const char *node, uint64_t bd, double now)
{
    char t[128];
    snprintf(t, sizeof t, "spBv1.0/g/NDEATH/%s", node);
    size_t len = mm_encode_ndeath(bd, 1, buf, sizeof buf);
    return plant_take(&P, t, buf, len, now);
}

static const struct plant_node *node(const char *name)
{
    for (int i = 0; i < P.n; i++)
        if (!strcmp(P.node[i]->name, name))
            return P.node[i];
    return NULL;
}

static void test_life(void **state)
{
    (void)state;
    char row[256];
    values(741, PH_HOLD, 0);
    assert_int_equal(birth("f1", 3, 100), PT_CHANGED);
    const struct plant_node *n = node("f1");
    assert_non_null(n);
    assert_string_equal(plant_state(n), "LIVE");
    plant_row(n, 101, row, sizeof row, 80);
    assert_non_null(strstr(row, "HOLD"));
    assert_non_null(strstr(row, "741/740"));
    assert_non_null(strstr(row, " UP "));
    assert_non_null(strstr(row, "LIVE"));

    /* DDATA by alias: the bath moves, the phase changes */
    values(735.4, PH_CHARGE, 0);
    int idx[2] = {find("loops/bath/pv"), find("melt/phase")};
    bool qc[2] = {false, false};
    size_t len = mm_encode_ddata(&tab, v, idx, qc, 2, 2, 1, 1, false, buf, sizeof buf);
    assert_int_equal(plant_take(&P, "spBv1.0/g/DDATA/f1/furnace", buf, len, 102), PT_CHANGED);
    plant_row(n, 102, row, sizeof row, 80);
    assert_non_null(strstr(row, "CHARGE"));
    assert_non_null(strstr(row, "735/740"));

    /* a stale will (an older session's bdSeq) changes nothing */
    assert_int_equal(death("f1", 2, 103), PT_IGNORED);
    assert_string_equal(plant_state(n), "LIVE");
    /* its own: OFFLINE, and the row carries no value, only the age */
    assert_int_equal(death("f1", 3, 104), PT_CHANGED);
    assert_string_equal(plant_state(n), "OFFLINE");
    plant_row(n, 116.5, row, sizeof row, 80);
    assert_null(strstr(row, "735"));
    assert_null(strstr(row, "CHARGE"));
    assert_non_null(strstr(row, "OFFLINE"));
    assert_non_null(strstr(row, "12s"));
    /* DDATA of a dead node: dropped, a rebirth asked once */
    assert_int_equal(plant_take(&P, "spBv1.0/g/DDATA/f1/furnace", buf, len, 105), PT_ASK_REBIRTH);
    assert_int_equal(plant_take(&P, "spBv1.0/g/DDATA/f1/furnace", buf, len, 106), PT_DROPPED);
    assert_string_equal(plant_state(n), "OFFLINE");
    /* born again */
    assert_int_equal(birth("f1", 4, 107), PT_CHANGED);
    assert_string_equal(plant_state(n), "LIVE");
}

static void test_garbage(void **state)
{
    (void)state;
    unsigned long d0 = P.dropped;
    const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(plant_take(&P, "spBv1.0/g/DDATA/f1/furnace", junk, sizeof junk, 1),
                     PT_DROPPED);
    assert_int_equal(P.dropped, d0 + 1);
    assert_int_equal(plant_take(&P, "other/topic", junk, sizeof junk, 1), PT_IGNORED);
    assert_int_equal(plant_take(&P, "spBv1.0/g/NCMD/f1", junk, sizeof junk, 1), PT_IGNORED);
    int n0 = P.n; /* the will of a node never seen makes no row */
    assert_int_equal(death("ghost", 1, 2), PT_IGNORED);
    assert_int_equal(P.n, n0);
    assert_string_equal(plant_state(node("f1")), "LIVE");
}

static void test_order(void **state)
{
    (void)state;
    values(740, PH_HOLD, 0);
    assert_int_equal(birth("a_quiet", 1, 200), PT_CHANGED);
    values(740, PH_MELT, 2);
    assert_int_equal(birth("z_critical", 1, 200), PT_CHANGED);
    values(740, PH_HOLD, 0);
    assert_int_equal(birth("m_dead", 1, 200), PT_CHANGED);
    assert_int_equal(death("m_dead", 1, 201), PT_CHANGED);
    int idx[PLANT_MAX];
    plant_order(&P, idx);
    assert_string_equal(P.node[idx[0]]->name, "z_critical"); /* critical alarms first */
    assert_string_equal(P.node[idx[1]]->name, "m_dead");     /* then OFFLINE */
    char row[256], head[256];
    plant_header(head, sizeof head, 80);
    assert_true(strlen(head) <= 80);
    for (int i = 0; i < P.n; i++) {
        plant_row(P.node[i], 99999, row, sizeof row, 80);
        assert_true(strlen(row) <= 80);
    }
}

static int teardown(void **state)
{
    (void)state;
    plant_free(&P);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
