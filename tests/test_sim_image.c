/* test_sim_image — the simulated PLC's register image (simhw/sim_image.c): the exception
 * rules of every request (table-driven: quantity, unmapped addresses and gaps, writes to
 * tags that are not writable), each refusal changing nothing; reads and writes of the
 * tables; and the PLC's fields in it: outputs encoded with the tag codec (a broken sensor
 * as its sentinel, a tag without one frozen), what the console wrote decoded into the
 * PLC's inputs, tags the PLC does not carry left alone.  The transport of the closed-loop
 * harness and meltsim's server answer from this image; test_sim_server covers the TCP side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <modbus.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "sim_image.h"
#include "sim_plc.h"
#include "tag.h"

/* PLC fields by name (bath_hc_temp has a sentinel, roof_temp not, firing_demand a
 * writable hr; plc_clock a uint32 in CDAB), a gap ir:3..4, a writable coil, a tag the
 * PLC does not carry (spare). */
static const char map_ini[] = "[furnace]\n"
                              "name = t1\n"
                              "[tag.bath_hc_temp]\n"
                              "addr = ir:0\n"
                              "type = int16\n"
                              "scale = 0.1\n"
                              "range = 0, 1400\n"
                              "fault = -9999\n"
                              "[tag.roof_temp]\n"
                              "addr = ir:1\n"
                              "type = int16\n"
                              "scale = 0.1\n"
                              "range = 0, 1400\n"
                              "[tag.plc_clock]\n"
                              "addr = ir:5\n"
                              "type = uint32\n"
                              "word_order = CDAB\n"
                              "[tag.flame_on]\n"
                              "addr = di:0\n"
                              "type = bool\n"
                              "[tag.firing_demand]\n"
                              "addr = hr:0\n"
                              "type = uint16\n"
                              "scale = 0.1\n"
                              "range = 0, 100\n"
                              "writable = yes\n"
                              "[tag.cmd_code]\n"
                              "addr = hr:1\n"
                              "type = uint16\n"
                              "writable = yes\n"
                              "[tag.cmd_ack_seq]\n"
                              "addr = hr:2\n"
                              "type = uint16\n"
                              "[tag.spare]\n"
                              "addr = co:0\n"
                              "type = bool\n"
                              "writable = yes\n";

static int setup(void **state)
{
    struct cfg *c = calloc(1, sizeof *c);
    struct cfg_errors *e = calloc(1, sizeof *e);
    assert_non_null(c);
    assert_non_null(e);
    int rc = cfg_load_text("map.ini", map_ini, strlen(map_ini), c, e);
    for (int i = 0; i < e->n; i++)
        print_message("%s\n", e->e[i].text);
    free(e);
    assert_int_equal(rc, 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static struct simimg *image(const struct cfg *c)
{
    char err[200] = "";
    struct simimg *m = simimg_new(c, err, sizeof err);
    assert_non_null(m);
    return m;
}

/* Every register and bit of the image, to show a refusal changed nothing. */
static void snapshot(const struct simimg *m, uint16_t *regs, size_t n)
{
    static const enum tag_table tables[] = {TAG_IR, TAG_HR, TAG_DI, TAG_CO};
    size_t k = 0;
    for (size_t t = 0; t < 4; t++)
        for (int a = 0; a < 8 && k < n; a++) {
            uint16_t v = 0xBEEF;
            simimg_get_raw(m, tables[t], a, &v);
            regs[k++] = v;
        }
}

static const struct check_case {
    enum tag_table table;
    int addr, n, max_n;
    bool write;
    int code;
} check_cases[] = {
    {TAG_IR, 0, 2, 125, false, 0},
    {TAG_IR, 0, 7, 125, false, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS}, /* the gap ir:2..4 */
    {TAG_IR, 5, 2, 125, false, 0},
    {TAG_IR, 6, 2, 125, false, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS}, /* past the end */
    {TAG_IR, 0, 0, 125, false, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE},
    {TAG_IR, 0, 126, 125, false, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE},
    {TAG_IR, -1, 1, 125, false, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS},
    {TAG_HR, 0, 3, 125, false, 0},
    {TAG_HR, 0, 2, 123, true, 0},
    {TAG_HR, 0, 3, 123, true, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS}, /* cmd_ack_seq: the PLC's */
    {TAG_HR, 2, 1, 1, true, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS},
    {TAG_DI, 0, 1, 2000, false, 0},
    {TAG_DI, 0, 1, 1, true, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS},
    {TAG_CO, 0, 1, 1, true, 0},
    {TAG_CO, 1, 1, 1, true, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS},
};

static void test_check_table(void **state)
{
    const struct cfg *c = *state;
    struct simimg *m = image(c);
    for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
        const struct check_case *k = &check_cases[i];
        int got = simimg_check(m, k->table, k->addr, k->n, k->max_n, k->write);
        if (got != k->code)
            fail_msg("case %zu: %s:%d+%d %s: exception %d, expected %d", i,
                     cfg_table_name(k->table), k->addr, k->n, k->write ? "write" : "read", got,
                     k->code);
    }
    simimg_free(m);
}

static void test_transactions(void **state)
{
    const struct cfg *c = *state;
    struct simimg *m = image(c);
    uint16_t regs[8] = {0}, before[32], after[32];
    uint8_t bits[8] = {0};

    const uint16_t w[2] = {455, 7};
    assert_int_equal(simimg_write_regs(m, 0, 2, w), 0);
    assert_int_equal(simimg_read(m, TAG_HR, 0, 3, regs, NULL), 0);
    assert_int_equal(regs[0], 455);
    assert_int_equal(regs[1], 7);
    double v = 0;
    assert_int_equal(simimg_get(m, cfg_tag_index(c, "firing_demand"), &v), Q_GOOD);
    assert_float_equal(v, 45.5, 1e-9);
    assert_int_equal(simimg_write_bit(m, 0, 5), 0);
    assert_int_equal(simimg_read(m, TAG_CO, 0, 1, NULL, bits), 0);
    assert_int_equal(bits[0], 1);

    /* refusals change nothing */
    snapshot(m, before, 32);
    const uint16_t bad[3] = {1, 2, 3};
    assert_int_equal(simimg_write_regs(m, 0, 3, bad), MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
    assert_int_equal(simimg_write_regs(m, 1, 0, bad), MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    assert_int_equal(simimg_write_bit(m, 1, 0), MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
    memset(regs, 0xAB, sizeof regs);
    assert_int_equal(simimg_read(m, TAG_IR, 0, 6, regs, NULL),
                     MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
    assert_int_equal(regs[0], 0xABAB); /* nothing read */
    snapshot(m, after, 32);
    assert_memory_equal(before, after, sizeof before);
    simimg_free(m);
}

static void test_plc_fields(void **state)
{
    const struct cfg *c = *state;
    struct simimg *m = image(c);
    int bath = cfg_tag_index(c, "bath_hc_temp"), roof = cfg_tag_index(c, "roof_temp");
    int clk = cfg_tag_index(c, "plc_clock"), spare = cfg_tag_index(c, "spare");
    struct splc_out o;
    memset(&o, 0, sizeof o);
    o.bath_hc_temp = 741.26;
    o.roof_temp = 1010.0;
    o.plc_clock = 5002754;
    o.flame_on = true;
    simimg_put_outputs(m, &o);
    double v = 0;
    uint16_t raw[2];
    assert_int_equal(simimg_get(m, bath, &v), Q_GOOD);
    assert_float_equal(v, 741.3, 1e-9); /* quantised by the codec */
    assert_int_equal(simimg_get(m, clk, &v), Q_GOOD);
    assert_float_equal(v, 5002754, 0);
    assert_int_equal(simimg_get_raw(m, TAG_IR, 5, &raw[0]), 0); /* CDAB: low word first */
    assert_int_equal(raw[0], 5002754 & 0xFFFF);
    assert_int_equal(simimg_get_raw(m, TAG_DI, 0, &raw[0]), 0);
    assert_int_equal(raw[0], 1);
    assert_true(simimg_served(m, bath));
    assert_false(simimg_served(m, spare));

    /* broken sensors: the sentinel where the tag has one, the last value where not */
    o.broken[SPLC_TC_BATH_HC] = o.broken[SPLC_TC_ROOF] = true;
    o.bath_hc_temp = o.roof_temp = 0;
    simimg_put_outputs(m, &o);
    v = 12;
    assert_int_equal(simimg_get(m, bath, &v), Q_BAD_SENSOR);
    assert_float_equal(v, 12, 0);
    assert_int_equal(simimg_get(m, roof, &v), Q_GOOD);
    assert_float_equal(v, 1010.0, 1e-9);

    /* the PLC's inputs: preset, then what the console wrote, decoded */
    struct splc_in in;
    memset(&in, 0, sizeof in);
    in.firing_demand = 15.2;
    in.cmd_code = 4;
    simimg_put_inputs(m, &in);
    assert_int_equal(simimg_get(m, cfg_tag_index(c, "firing_demand"), &v), Q_GOOD);
    assert_float_equal(v, 15.2, 1e-9);
    const uint16_t w[2] = {623, 9};
    assert_int_equal(simimg_write_regs(m, 0, 2, w), 0);
    in.pump_demand = 33; /* not in this map: left alone */
    simimg_get_inputs(m, &in);
    assert_float_equal(in.firing_demand, 62.3, 1e-9);
    assert_int_equal(in.cmd_code, 9);
    assert_float_equal(in.pump_demand, 33, 0);
    simimg_free(m);
}

static void test_refused_map(void **state)
{
    struct cfg *c = calloc(1, sizeof *c);
    assert_non_null(c);
    memcpy(c, *state, sizeof *c);
    c->tags[0].addr = 65535; /* an int16 fits; make it 2 wide */
    c->tags[0].type = TAG_UINT32;
    char err[200] = "";
    assert_null(simimg_new(c, err, sizeof err));
    assert_non_null(strstr(err, "[tag.bath_hc_temp] addr = 65535: outside the Modbus address"));
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_plc_fields),
        cmocka_unit_test(test_refused_map),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
