/* test_mqtt — the Sparkplug B metric table, deadband and payloads
 * (control/server/mqtt_metric.c): every tag, loop and alarm of the shipped
 * config is a metric with its datatype and unit; a change inside the
 * deadband is not published, one past it is, a quality change always is;
 * the payloads decode (protobuf-c, the same schema) to the names, aliases,
 * properties, seq, bdSeq and historical flag the protocol asks for; a
 * command is a rebirth only when it is exactly "Node Control/Rebirth" =
 * true; and a bad [mqtt] key is refused with its sentence, nothing loaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparkplug_b.pb-c.h>

#include "core_view.h"
#include "mqtt_metric.h"
#include "tag.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload Payload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric Metric;

static struct cfg cfg;
static struct mm_table tab;
static struct mm_val a[MM_MAX], b[MM_MAX];
static uint8_t buf[256 * 1024];

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

static const char *prop_str(const Metric *m, const char *key)
{
    if (!m->properties)
        return NULL;
    for (size_t i = 0; i < m->properties->n_keys; i++)
        if (!strcmp(m->properties->keys[i], key))
            return m->properties->values[i]->string_value;
    return NULL;
}

static int prop_int(const Metric *m, const char *key)
{
    if (!m->properties)
        return -1;
    for (size_t i = 0; i < m->properties->n_keys; i++)
        if (!strcmp(m->properties->keys[i], key))
            return (int)m->properties->values[i]->int_value;
    return -1;
}

static int alarm_at(const char *name)
{
    for (int i = 0; i < cfg.nalarms; i++)
        if (!strcmp(cfg.alarms[i].name, name))
            return i;
    fail_msg("no alarm %s", name);
    return 0;
}

static void test_table(void **state)
{
    (void)state;
    assert_int_equal(tab.n, cfg.ntags + 4 * cfg.nloops + cfg.nalarms + 13);
    for (int i = 0; i < tab.n; i++)
        for (int j = i + 1; j < tab.n; j++)
            assert_string_not_equal(tab.d[i].name, tab.d[j].name);
    int t = find("tags/bath_hc_temp");
    assert_true(t >= 0);
    assert_int_equal(tab.d[t].type, SPB_DOUBLE);
    assert_string_equal(tab.d[t].unit, "degC");
    const struct cfg_tag *ct = cfg_tag_find(&cfg, "bath_hc_temp");
    assert_true(ct->has_range);
    assert_true(tab.d[t].deadband > 0);
    assert_true(tab.d[t].deadband ==
                (ct->range_hi - ct->range_lo) * cfg.mqtt.deadband_pct / 100.0);
    assert_int_equal(tab.d[find("tags/flame_on")].type, SPB_BOOLEAN);
    assert_int_equal(tab.d[find("loops/bath/mode")].type, SPB_STRING);
    assert_int_equal(tab.d[find("melt/phase")].type, SPB_STRING);
    assert_int_equal(tab.d[find("alarm/roof_hh")].prio,
                     (int)cfg.alarms[alarm_at("roof_hh")].priority);
    assert_true(find("alarms/critical") >= 0 && find("link/state") >= 0);
}

/* A view with everything GOOD and the phase HOLD, and its image. */
static void image(struct mm_val *out, double bath, int q, int phase)
{
    static struct core_view v;
    memset(&v, 0, sizeof v);
    v.ntags = cfg.ntags;
    for (int i = 0; i < cfg.ntags; i++) {
        (void)snprintf(v.tags[i].name, sizeof v.tags[i].name, "%s", cfg.tags[i].name);
        v.tags[i].v = 100;
        v.tags[i].q = Q_GOOD;
    }
    int t = cfg_tag_index(&cfg, "bath_hc_temp");
    v.tags[t].v = bath;
    v.tags[t].q = q;
    v.nloops = cfg.nloops;
    for (int i = 0; i < cfg.nloops; i++) {
        (void)snprintf(v.loops[i].name, sizeof v.loops[i].name, "%s", cfg.loops[i].name);
        v.loops[i].pv_q = Q_GOOD;
    }
    v.phase = phase;
    snprintf(v.program, sizeof v.program, "%s", cfg.programs[0].name);
    v.nalarms = 1;
    snprintf(v.alarms[0].name, sizeof v.alarms[0].name, "roof_hh");
    v.alarms[0].state = 1; /* unacknowledged */
    v.alarms[0].prio = PRIO_CRITICAL; /* as the view says, whatever the config's */
    struct mm_shell sh = {.link = 1, .slow_cycles = 0};
    mm_image(&tab, &cfg, &v, &sh, out);
}

static void test_deadband(void **state)
{
    (void)state;
    int idx[MM_MAX];
    bool qc[MM_MAX];
    int t = find("tags/bath_hc_temp");
    double db = tab.d[t].deadband;
    image(a, 740, Q_GOOD, PH_HOLD);
    assert_int_equal(a[find("alarms/critical")].v, 1);
    assert_int_equal(a[find("alarm/roof_hh")].v, 1);
    image(b, 740 + db * 0.9, Q_GOOD, PH_HOLD);
    assert_int_equal(mm_changes(&tab, a, b, idx, qc), 0); /* inside the deadband */
    image(b, 740 + db * 1.1, Q_GOOD, PH_HOLD);
    assert_int_equal(mm_changes(&tab, a, b, idx, qc), 1);
    assert_int_equal(idx[0], t);
    assert_false(qc[0]);
    image(b, 740, Q_BAD_SENSOR, PH_HOLD); /* same value, quality changed: always */
    assert_int_equal(mm_changes(&tab, a, b, idx, qc), 1);
    assert_int_equal(idx[0], t);
    assert_true(qc[0]);
    image(b, 740, Q_GOOD, PH_MELT); /* a String metric: any change */
    assert_int_equal(mm_changes(&tab, a, b, idx, qc), 1);
    assert_int_equal(idx[0], find("melt/phase"));
}

static void test_tag_deadband_key(void **state)
{
    (void)state;
    static struct cfg c2;
    static struct mm_table t2;
    c2 = cfg;
    struct cfg_tag *ct = &c2.tags[cfg_tag_index(&c2, "bath_hc_temp")];
    ct->has_mqtt_deadband = true;
    ct->mqtt_deadband = 7.5;
    mm_build(&t2, &c2);
    assert_true(t2.d[find("tags/bath_hc_temp")].deadband == 7.5);
}

static void test_births(void **state)
{
    (void)state;
    image(a, 741.5, Q_GOOD, PH_HOLD);
    size_t len = mm_encode_nbirth(7, 1000, buf, sizeof buf);
    assert_true(len > 0);
    Payload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    assert_non_null(p);
    assert_true(p->has_seq && p->seq == 0);
    assert_int_equal(p->n_metrics, 2);
    assert_string_equal(p->metrics[0]->name, "bdSeq");
    assert_int_equal(p->metrics[0]->long_value, 7);
    assert_string_equal(p->metrics[1]->name, "Node Control/Rebirth");
    org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);

    len = mm_encode_ndeath(7, 1000, buf, sizeof buf);
    p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    assert_non_null(p);
    assert_false(p->has_seq);
    assert_int_equal(p->n_metrics, 1);
    assert_int_equal(p->metrics[0]->long_value, 7);
    org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);

    len = mm_encode_dbirth(&tab, a, 1, 2000, buf, sizeof buf);
    assert_true(len > 0);
    p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    assert_non_null(p);
    assert_int_equal(p->seq, 1);
    assert_int_equal(p->n_metrics, (size_t)tab.n);
    for (int i = 0; i < tab.n; i++) {
        const Metric *m = p->metrics[i];
        assert_string_equal(m->name, tab.d[i].name);
        assert_int_equal(m->alias, (uint64_t)i + 1);
        assert_int_equal(m->datatype, (uint32_t)tab.d[i].type);
        assert_int_equal(prop_int(m, "Quality"), MM_Q_GOOD);
        assert_false(m->has_is_historical);
    }
    const Metric *bm = p->metrics[find("tags/bath_hc_temp")];
    assert_true(bm->double_value == 741.5);
    assert_string_equal(prop_str(bm, "engUnit"), "degC");
    assert_string_equal(p->metrics[find("melt/phase")]->string_value, "HOLD");
    assert_string_equal(p->metrics[find("melt/program")]->string_value, cfg.programs[0].name);
    assert_string_equal(p->metrics[find("link/state")]->string_value, "UP");
    assert_string_equal(prop_str(p->metrics[find("alarm/roof_hh")], "priority"),
                        cfg_priority_name(cfg.alarms[alarm_at("roof_hh")].priority));
    org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
    /* too small a buffer: 0, nothing half-written counted as sent */
    assert_int_equal(mm_encode_dbirth(&tab, a, 1, 2000, buf, 100), 0);
}

static void test_ddata(void **state)
{
    (void)state;
    image(a, 700, Q_GOOD, PH_HOLD);
    image(b, 700, Q_STALE, PH_HOLD);
    int idx[MM_MAX];
    bool qc[MM_MAX];
    int n = mm_changes(&tab, a, b, idx, qc);
    assert_int_equal(n, 1);
    size_t len = mm_encode_ddata(&tab, b, idx, qc, n, 255, 3000, 2500, true, buf, sizeof buf);
    Payload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    assert_non_null(p);
    assert_int_equal(p->seq, 255);
    assert_int_equal(p->timestamp, 3000);
    assert_int_equal(p->n_metrics, 1);
    const Metric *m = p->metrics[0];
    assert_null(m->name); /* DDATA by alias */
    assert_int_equal(m->alias, (uint64_t)find("tags/bath_hc_temp") + 1);
    assert_true(m->is_historical);
    assert_int_equal(m->timestamp, 2500);
    assert_int_equal(prop_int(m, "Quality"), MM_Q_STALE);
    assert_null(prop_str(m, "engUnit"));
    org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
}

static size_t command(const char *name, bool v, int type)
{
    Payload p;
    Metric m;
    Metric *mp[1] = {&m};
    org__eclipse__tahu__protobuf__payload__init(&p);
    org__eclipse__tahu__protobuf__payload__metric__init(&m);
    p.n_metrics = 1;
    p.metrics = mp;
    m.name = (char *)name;
    if (type == SPB_BOOLEAN) {
        m.value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
        m.boolean_value = v;
    } else {
        m.value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
        m.double_value = 760;
    }
    return org__eclipse__tahu__protobuf__payload__pack(&p, buf);
}

static void test_commands(void **state)
{
    (void)state;
    char what[160];
    size_t len = command("Node Control/Rebirth", true, SPB_BOOLEAN);
    assert_int_equal(mm_is_rebirth(buf, len, what, sizeof what), 1);
    len = command("Node Control/Rebirth", false, SPB_BOOLEAN);
    assert_int_equal(mm_is_rebirth(buf, len, what, sizeof what), 0);
    len = command("loops/bath/sp", false, SPB_DOUBLE);
    assert_int_equal(mm_is_rebirth(buf, len, what, sizeof what), 0);
    assert_string_equal(what, "loops/bath/sp");
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01};
    assert_int_equal(mm_is_rebirth(junk, sizeof junk, what, sizeof what), 0);
    assert_non_null(strstr(what, "not Sparkplug B"));
}

static void test_bad_config(void **state)
{
    (void)state;
    static const struct {
        const char *line, *key, *says;
    } bad[] = {
        {"keepalive_s = 2\n", "keepalive_s", "5"},
        {"port = 70000\n", "port", "65535"},
        {"enabled = perhaps\n", "enabled", "yes"},
        {"group_id = Plant/1\n", "group_id", ""},
        {"tls_cert = /x.pem\n", "tls_cert", "tls_key"},
        {"password_file = /p\n", "password_file", "username"},
        {"store_forward = 1e3\n", "store_forward", ""},
    };
    static struct cfg c;
    static struct cfg_errors e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "[furnace]\nname = t1\n[mqtt]\n%s", bad[i].line);
        memset(&c, 0x5a, sizeof c);
        assert_int_equal(cfg_load_text("m.ini", text, strlen(text), &c, &e), -1);
        bool found = false;
        for (int k = 0; k < e.n; k++)
            if (!strcmp(e.e[k].section, "mqtt") && !strcmp(e.e[k].key, bad[i].key) &&
                strstr(e.e[k].text, bad[i].says) && strstr(e.e[k].text, "m.ini:"))
                found = true;
        if (!found)
            print_error("no error for [mqtt] %s", bad[i].line);
        assert_true(found);
        assert_int_equal(((unsigned char *)&c)[0], 0x5a); /* nothing loaded */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_deadband),
        cmocka_unit_test(test_tag_deadband_key), cmocka_unit_test(test_births),
        cmocka_unit_test(test_ddata),        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
