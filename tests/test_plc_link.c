/* test_plc_link — the PLC link: read planning, decoding with quality through a
 * fake transport (exceptions, link loss, reconnect backoff, STALE ageing),
 * staged writes (only changes, refresh, order, refusals), and one round trip
 * through the real libmodbus against a server forked inside the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plc_link.h"

/* ---- the fake transport ------------------------------------------------------ */

#define FAKE_MEM 4096
#define FAKE_LOG 64

struct fake_write {
    int table, addr, n;
    uint16_t v[8];
};

struct fake {
    uint64_t now; /* the test's now_ms, to log connect times */
    bool connected, refuse_connect;
    int connects, closes, flushes, reads;
    uint64_t connect_at[64];
    uint16_t mem[PLC_TABLES][FAKE_MEM];
    bool unmapped[PLC_TABLES][FAKE_MEM];         /* reading these: illegal data address */
    int except_table, except_addr, except_errno; /* a read of the block at addr fails */
    int write_except_addr;                       /* a write starting here is refused */
    int link_fail;                               /* the next request fails ECONNRESET */
    struct fake_write w[FAKE_LOG];
    int nw;
    uint64_t clock;
    uint64_t delay_us; /* what each request takes on the fake clock (0: 400 us) */
};

static int fk_connect(void *ctx)
{
    struct fake *f = ctx;
    if (f->connects < 64)
        f->connect_at[f->connects] = f->now;
    f->connects++;
    if (f->refuse_connect) {
        errno = ECONNREFUSED;
        return -1;
    }
    f->connected = true;
    return 0;
}

static void fk_close(void *ctx)
{
    struct fake *f = ctx;
    f->closes++;
    f->connected = false;
}

/* Common checks of a request; 0 to go ahead. */
static int fk_request(struct fake *f)
{
    f->clock += f->delay_us ? f->delay_us : 400;
    if (!f->connected) {
        errno = EBADF;
        return -1;
    }
    if (f->link_fail) {
        f->link_fail = 0;
        errno = ECONNRESET;
        return -1;
    }
    return 0;
}

static int fk_read(struct fake *f, enum tag_table t, int addr, int n)
{
    f->reads++;
    if (fk_request(f) < 0)
        return -1;
    if (f->except_errno && (int)t == f->except_table && addr == f->except_addr) {
        errno = f->except_errno;
        return -1;
    }
    for (int a = addr; a < addr + n; a++)
        if (f->unmapped[t][a]) {
            errno = EMBXILADD;
            return -1;
        }
    return 0;
}

static int fk_read_regs(void *ctx, enum tag_table t, int addr, int n, uint16_t *dst)
{
    struct fake *f = ctx;
    if (fk_read(f, t, addr, n) < 0)
        return -1;
    memcpy(dst, &f->mem[t][addr], (size_t)n * sizeof *dst);
    return 0;
}

static int fk_read_bits(void *ctx, enum tag_table t, int addr, int n, uint8_t *dst)
{
    struct fake *f = ctx;
    if (fk_read(f, t, addr, n) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        dst[i] = (uint8_t)(f->mem[t][addr + i] != 0);
    return 0;
}

static int fk_write(struct fake *f, enum tag_table t, int addr, int n, const uint16_t *src)
{
    if (fk_request(f) < 0)
        return -1;
    if (addr == f->write_except_addr) {
        errno = EMBXILVAL;
        return -1;
    }
    memcpy(&f->mem[t][addr], src, (size_t)n * sizeof *src);
    if (f->nw < FAKE_LOG) {
        struct fake_write *w = &f->w[f->nw++];
        *w = (struct fake_write){.table = t, .addr = addr, .n = n};
        memcpy(w->v, src, (size_t)(n < 8 ? n : 8) * sizeof *src);
    }
    return 0;
}

static int fk_write_regs(void *ctx, int addr, int n, const uint16_t *src)
{
    return fk_write(ctx, TAG_HR, addr, n, src);
}

static int fk_write_bit(void *ctx, int addr, int v)
{
    uint16_t one = (uint16_t)v;
    return fk_write(ctx, TAG_CO, addr, 1, &one);
}

static void fk_flush(void *ctx) { ((struct fake *)ctx)->flushes++; }

static uint64_t fk_clock(void *ctx) { return ((struct fake *)ctx)->clock; }

static const struct plc_ops fake_ops = {
    .connect = fk_connect,
    .close = fk_close,
    .read_regs = fk_read_regs,
    .read_bits = fk_read_bits,
    .write_regs = fk_write_regs,
    .write_bit = fk_write_bit,
    .flush = fk_flush,
    .clock_us = fk_clock,
};

/* ---- fixture --------------------------------------------------------------------- */

static struct cfg shipped; /* config/meltcon.ini, loaded once */

static struct fx {
    struct cfg cfg;
    struct fake fk;
    struct plc_link l;
    struct tag_value out[CFG_MAX_TAGS];
    char err[256];
} fx;

/* Engineering values the fake PLC serves for some of the shipped tags. */
static const struct {
    const char *tag;
    double v;
} served[] = {
    {"hc_gas_temp", 1012.3},   {"roof_temp", 1105.0}, {"bath_hc_temp", 741.2},
    {"bath_sc_temp", 735.8},   {"o2_pct", 2.15},      {"furnace_pressure", -3.5},
    {"bms_state", 3},          {"plc_clock", 123456}, {"metal_mass", 45000},
    {"scrap_on_hearth", 3000}, {"sc_door_closed", 1}, {"flame_on", 1},
    {"firing_demand", 62.5},   {"cmd_seq", 7},        {"console_heartbeat", 1234},
};

static int idx(const char *name)
{
    int i = cfg_tag_index(&fx.cfg, name);
    assert_true(i >= 0);
    return i;
}

static void serve(struct fake *f, const struct cfg *c, const char *name, double v)
{
    const struct cfg_tag *t = cfg_tag_find(c, name);
    assert_non_null(t);
    tag_encode_sensor(t, v, &f->mem[t->table][t->addr]);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    fx.cfg = shipped;
    fx.fk.except_table = -1;
    fx.fk.write_except_addr = -1;
    for (size_t i = 0; i < sizeof served / sizeof served[0]; i++)
        serve(&fx.fk, &fx.cfg, served[i].tag, served[i].v);
    plc_open(&fx.l, &fx.cfg, &fake_ops, &fx.fk, 0);
    return 0;
}

static int read_at(uint64_t now)
{
    fx.fk.now = now;
    return plc_read_all(&fx.l, now, fx.out);
}

static double val(const char *name) { return fx.out[idx(name)].v; }

static enum tag_quality qual(const char *name) { return fx.out[idx(name)].q; }

static void assert_all_quality(enum tag_quality q)
{
    for (int i = 0; i < fx.cfg.ntags; i++) {
        if (fx.out[i].q != q)
            fail_msg("%s: %s, expected %s", fx.cfg.tags[i].name, tag_quality_name(fx.out[i].q),
                     tag_quality_name(q));
    }
}

static void assert_served_values(void)
{
    for (size_t i = 0; i < sizeof served / sizeof served[0]; i++)
        assert_float_equal(val(served[i].tag), served[i].v, 1e-6);
}

/* ---- planning ----------------------------------------------------------------------- */

static const struct plc_block *find_block(const struct plc_plan *p, enum tag_table t, int k)
{
    for (int i = 0; i < p->nblocks; i++)
        if (p->block[i].table == t && k-- == 0)
            return &p->block[i];
    fail_msg("no block %d in table %d", k, (int)t);
    return NULL;
}

static void assert_block(const struct plc_plan *p, enum tag_table t, int k, int addr, int n,
                         int ntags)
{
    const struct plc_block *b = find_block(p, t, k);
    assert_int_equal(b->addr, addr);
    assert_int_equal(b->n, n);
    assert_int_equal(b->ntags, ntags);
}

/* Every tag is in exactly one block that covers all of it. */
static void assert_tags_covered(const struct plc_plan *p, const struct cfg *c)
{
    int counted = 0;
    for (int i = 0; i < c->ntags; i++) {
        const struct cfg_tag *t = &c->tags[i];
        int bi = p->block_of[i];
        assert_in_range(bi, 0, p->nblocks - 1);
        const struct plc_block *b = &p->block[bi];
        int w = t->table == TAG_DI || t->table == TAG_CO ? 1 : tag_width(t);
        assert_int_equal(b->table, t->table);
        assert_true(t->addr >= b->addr && t->addr + w <= b->addr + b->n);
    }
    for (int bi = 0; bi < p->nblocks; bi++)
        counted += p->block[bi].ntags;
    assert_int_equal(counted, c->ntags);
}

/* The shipped map: ir 0..32 (ir:28 is a uint32; 30..32 the simulator's training clock)
 * in one block, di 0..15 in one,
 * hr 0..4 + 10..12 + 20 in one block of 21 (gaps 5..9 and 13..19 are 5 and 7
 * registers, within the 8 allowed): 3 transactions per cycle for 55 tags. */
static void test_plan_shipped(void **state)
{
    (void)state;
    struct plc_plan p;
    assert_int_equal(plc_plan_build(&p, &shipped, NULL), 3);
    assert_int_equal(shipped.ntags, 55);
    assert_int_equal(plc_plan_count(&p, -1), 3);
    assert_int_equal(plc_plan_count(&p, TAG_IR), 1);
    assert_int_equal(plc_plan_count(&p, TAG_HR), 1);
    assert_int_equal(plc_plan_count(&p, TAG_DI), 1);
    assert_int_equal(plc_plan_count(&p, TAG_CO), 0);
    assert_block(&p, TAG_IR, 0, 0, 33, 30);
    assert_block(&p, TAG_DI, 0, 0, 16, 16);
    assert_block(&p, TAG_HR, 0, 0, 21, 9);
    assert_false(find_block(&p, TAG_IR, 0)->holes);
    assert_true(find_block(&p, TAG_HR, 0)->holes);
    assert_tags_covered(&p, &shipped);

    /* Without gaps the holding registers take three transactions. */
    const int no_gap[PLC_TABLES] = {0, 0, 0, 0};
    assert_int_equal(plc_plan_build(&p, &shipped, no_gap), 5);
    assert_block(&p, TAG_HR, 0, 0, 5, 5);
    assert_block(&p, TAG_HR, 1, 10, 3, 3);
    assert_block(&p, TAG_HR, 2, 20, 1, 1);
    assert_tags_covered(&p, &shipped);
}

static void add_tag(struct cfg *c, enum tag_table table, int addr, enum tag_type type)
{
    struct cfg_tag *t = &c->tags[c->ntags];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "t%d", c->ntags);
    t->table = table;
    t->addr = addr;
    t->type = type;
    t->scale = 1;
    t->writable = table == TAG_HR || table == TAG_CO;
    c->ntags++;
}

/* 100 float32 at ir 0..199 (given in descending order), then ir 208, 218
 * and 300: 125-register cap without splitting a 2-register tag, the gap
 * rule at exactly 8 and at 9, and a far address. */
static void test_plan_split_registers(void **state)
{
    (void)state;
    struct cfg *c = &fx.cfg;
    cfg_defaults(c);
    for (int a = 198; a >= 0; a -= 2)
        add_tag(c, TAG_IR, a, TAG_FLOAT32);
    add_tag(c, TAG_IR, 300, TAG_UINT16);
    add_tag(c, TAG_IR, 218, TAG_UINT16);
    add_tag(c, TAG_IR, 208, TAG_UINT16);
    add_tag(c, TAG_HR, 40, TAG_INT32);
    add_tag(c, TAG_HR, 0, TAG_UINT16);

    struct plc_plan p;
    assert_int_equal(plc_plan_build(&p, c, NULL), 6);
    assert_int_equal(plc_plan_count(&p, TAG_IR), 4);
    assert_block(&p, TAG_IR, 0, 0, 124, 62);  /* the tag at 124 would end at 126 */
    assert_block(&p, TAG_IR, 1, 124, 85, 39); /* 124..199 and 208 (gap 8) */
    assert_block(&p, TAG_IR, 2, 218, 1, 1);   /* gap 9 from 209 */
    assert_block(&p, TAG_IR, 3, 300, 1, 1);
    assert_block(&p, TAG_HR, 0, 0, 1, 1);
    assert_block(&p, TAG_HR, 1, 40, 2, 1);
    assert_true(find_block(&p, TAG_IR, 1)->holes);
    assert_false(find_block(&p, TAG_IR, 0)->holes);
    for (int i = 0; i < p.nblocks; i++)
        assert_true(p.block[i].n <= 125);
    assert_tags_covered(&p, c);
}

/* Bits: 32 discrete inputs every 65 addresses (gaps of 64, the most a
 * block takes in) hit the 2000-bit cap; coils are a table of their own. */
static void test_plan_split_bits(void **state)
{
    (void)state;
    struct cfg *c = &fx.cfg;
    cfg_defaults(c);
    for (int k = 31; k >= 0; k--)
        add_tag(c, TAG_DI, 65 * k, TAG_BOOL);
    add_tag(c, TAG_CO, 5, TAG_BOOL);
    add_tag(c, TAG_CO, 0, TAG_BOOL);
    add_tag(c, TAG_CO, 71, TAG_BOOL); /* gap 65 from 6: a block of its own */

    struct plc_plan p;
    assert_int_equal(plc_plan_build(&p, c, NULL), 4);
    assert_block(&p, TAG_DI, 0, 0, 1951, 31);
    assert_block(&p, TAG_DI, 1, 2015, 1, 1);
    assert_block(&p, TAG_CO, 0, 0, 6, 2);
    assert_block(&p, TAG_CO, 1, 71, 1, 1);
    assert_tags_covered(&p, c);
}

/* ---- reading ---------------------------------------------------------------------------- */

static void test_read_good(void **state)
{
    (void)state;
    assert_int_equal(fx.l.stats.state, PLC_DOWN);
    assert_int_equal(read_at(0), 0);
    assert_int_equal(fx.fk.connects, 1);
    assert_int_equal(fx.fk.reads, 3);
    assert_int_equal(fx.l.stats.state, PLC_UP);
    assert_all_quality(Q_GOOD);
    assert_served_values();
    assert_float_equal(val("pump_running"), 0, 0);
    assert_int_equal(fx.l.stats.transactions[TAG_IR], 1);
    assert_int_equal(fx.l.stats.transactions[TAG_DI], 1);
    assert_int_equal(fx.l.stats.transactions[TAG_HR], 1);
    assert_int_equal(fx.l.stats.rtt_us, 3 * 400);
    assert_true(fx.l.stats.ever_good);

    /* A broken thermocouple is a sensor fault on a good link. */
    serve(&fx.fk, &fx.cfg, "bath_hc_temp", 700);
    tag_encode_fault(cfg_tag_find(&fx.cfg, "roof_temp"), &fx.fk.mem[TAG_IR][1]);
    assert_int_equal(read_at(250), 0);
    assert_int_equal(qual("roof_temp"), Q_BAD_SENSOR);
    assert_float_equal(val("roof_temp"), 1105.0, 1e-9); /* last value kept */
    assert_float_equal(val("bath_hc_temp"), 700.0, 1e-9);
    assert_int_equal(fx.l.stats.last_good_read_ms, 250);
    /* raw registers for diagnostics: the sentinel itself, and 0.1 degC counts */
    assert_true(fx.l.raw[idx("roof_temp")] == 32767);
    assert_true(fx.l.raw[idx("bath_hc_temp")] == 7000);
}

/* An exception on one block: flushed, that block's tags BAD_COMMS with their
 * last values, the other blocks still read GOOD, the link stays up. */
static void test_exception_on_one_block(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    serve(&fx.fk, &fx.cfg, "hc_gas_temp", 900);      /* not seen: the ir read fails */
    serve(&fx.fk, &fx.cfg, "console_heartbeat", 99); /* seen: hr reads */
    fx.fk.except_table = TAG_IR;
    fx.fk.except_addr = 0;
    fx.fk.except_errno = EMBXSFAIL;

    assert_int_equal(read_at(250), 1);
    assert_int_equal(fx.fk.flushes, 1);
    assert_int_equal(fx.fk.closes, 0);
    assert_int_equal(fx.l.stats.state, PLC_UP);
    for (int i = 0; i < fx.cfg.ntags; i++)
        assert_int_equal(fx.out[i].q, fx.cfg.tags[i].table == TAG_IR ? Q_BAD_COMMS : Q_GOOD);
    assert_float_equal(val("hc_gas_temp"), 1012.3, 1e-9);
    assert_float_equal(val("console_heartbeat"), 99, 0);
    assert_int_equal(fx.l.stats.errors[TAG_IR], 1);
    assert_int_equal(fx.l.stats.errors[TAG_HR], 0);
    assert_int_equal(fx.l.stats.transactions[TAG_IR], 2);
    assert_int_equal(fx.l.stats.last_exception, MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE);
    assert_string_equal(fx.l.stats.last_exception_text, modbus_strerror(EMBXSFAIL));
    assert_non_null(strstr(fx.l.stats.last_error, "read ir:0+33"));
    assert_int_equal(fx.l.stats.last_good_read_ms, 0);

    fx.fk.except_errno = 0;
    assert_int_equal(read_at(500), 0);
    assert_all_quality(Q_GOOD);
    assert_float_equal(val("hc_gas_temp"), 900, 1e-9);
}

/* A PLC that refuses reads across its unmapped registers: the holding
 * registers are planned again without gaps and read next cycle. */
static void test_replan_on_illegal_address(void **state)
{
    (void)state;
    for (int a = 5; a <= 9; a++)
        fx.fk.unmapped[TAG_HR][a] = true;
    for (int a = 13; a <= 19; a++)
        fx.fk.unmapped[TAG_HR][a] = true;
    assert_int_equal(read_at(0), 1);
    assert_int_equal(qual("firing_demand"), Q_BAD_COMMS);
    assert_int_equal(qual("hc_gas_temp"), Q_GOOD);
    assert_int_equal(fx.l.stats.last_exception, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
    assert_int_equal(fx.l.stats.replans, 1);
    assert_int_equal(plc_plan_count(&fx.l.plan, TAG_HR), 3);

    assert_int_equal(read_at(250), 0);
    assert_all_quality(Q_GOOD);
    assert_served_values();
    assert_int_equal(fx.l.stats.replans, 1);
}

/* Link loss: all BAD_COMMS at once; reconnect attempts only when due, the
 * gaps doubling from reconnect_min_ms (250) to the reconnect_max_ms cap
 * (5000); recovery by itself; the backoff starts afresh after recovery. */
static void test_link_error_and_backoff(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    fx.fk.link_fail = 1;
    fx.fk.refuse_connect = true;
    assert_int_equal(read_at(1000), -1);
    assert_int_equal(fx.l.stats.state, PLC_DOWN);
    assert_int_equal(fx.fk.closes, 1);
    assert_int_equal(fx.fk.flushes, 0);
    assert_all_quality(Q_BAD_COMMS);
    assert_served_values();
    assert_non_null(strstr(fx.l.stats.last_error, strerror(ECONNRESET)));

    int reads = fx.fk.reads;
    for (uint64_t t = 1010; t < 30000; t += 10)
        assert_int_equal(read_at(t), -1);
    assert_int_equal(fx.fk.reads, reads); /* nothing sent while down */
    /* the first connect at 0, then the retries */
    static const uint64_t expect[] = {0, 1250, 1750, 2750, 4750, 8750, 13750, 18750, 23750, 28750};
    assert_int_equal(fx.fk.connects, (int)(sizeof expect / sizeof expect[0]));
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        assert_int_equal(fx.fk.connect_at[i], expect[i]);
    assert_int_equal(fx.l.stats.connect_failures, 9);
    assert_int_equal(fx.l.stats.next_attempt_ms, 33750);
    assert_non_null(strstr(fx.l.stats.last_error, "connect 127.0.0.1:1502"));

    fx.fk.refuse_connect = false;
    assert_int_equal(read_at(33740), -1);
    assert_int_equal(read_at(33750), 0);
    assert_int_equal(fx.l.stats.state, PLC_UP);
    assert_int_equal(fx.l.stats.reconnects, 1);
    assert_all_quality(Q_GOOD);

    fx.fk.link_fail = 1;
    assert_int_equal(read_at(40000), -1);
    assert_int_equal(fx.l.stats.next_attempt_ms, 40250);
}

/* Connected but every transaction refused: CONNECTING, not UP. */
static void test_connected_but_refused(void **state)
{
    (void)state;
    for (int t = 0; t < PLC_TABLES; t++)
        for (int a = 0; a < 64; a++)
            fx.fk.unmapped[t][a] = true;
    assert_int_equal(read_at(0), 3);
    assert_int_equal(fx.l.stats.state, PLC_CONNECTING);
    assert_false(fx.l.stats.ever_good);
    assert_all_quality(Q_BAD_COMMS);
}

/* Unread values turn STALE once their last good read is older than
 * stale_ms (8 cycles of 250 ms = 2000 ms); a good read makes them GOOD. */
static void test_stale_ageing(void **state)
{
    (void)state;
    assert_int_equal(fx.l.stale_ms, 2000);
    assert_int_equal(read_at(0), 0);
    fx.fk.except_table = TAG_DI;
    fx.fk.except_addr = 0;
    fx.fk.except_errno = EMBXSBUSY;
    for (uint64_t t = 250; t <= 2000; t += 250) {
        assert_int_equal(read_at(t), 1);
        assert_int_equal(qual("flame_on"), Q_BAD_COMMS);
        assert_int_equal(qual("hc_gas_temp"), Q_GOOD);
    }
    assert_int_equal(read_at(2250), 1);
    assert_int_equal(qual("flame_on"), Q_STALE);
    assert_float_equal(val("flame_on"), 1, 0);
    assert_int_equal(qual("hc_gas_temp"), Q_GOOD);

    /* A link down for long ages every value. */
    fx.fk.link_fail = 1;
    fx.fk.refuse_connect = true;
    assert_int_equal(read_at(2500), -1);
    assert_int_equal(qual("hc_gas_temp"), Q_BAD_COMMS);
    assert_int_equal(read_at(4250), -1);
    assert_int_equal(qual("hc_gas_temp"), Q_BAD_COMMS);
    assert_int_equal(read_at(4300), -1);
    assert_int_equal(qual("hc_gas_temp"), Q_STALE);
    assert_float_equal(val("hc_gas_temp"), 1012.3, 1e-9);

    fx.fk.except_errno = 0;
    fx.fk.refuse_connect = false;
    assert_int_equal(read_at(10000), 0);
    assert_all_quality(Q_GOOD);
}

/* ---- the cycle's budget ------------------------------------------------------------------ */

static void assert_write(int k, int addr, int n, const uint16_t *v);
static void stage(const char *tag, double v);

/* Tags of block bi all have quality q. */
static void assert_block_quality(int bi, enum tag_quality q)
{
    for (int i = 0; i < fx.cfg.ntags; i++)
        if (fx.l.plan.block_of[i] == bi && fx.out[i].q != q)
            fail_msg("%s (block %d): %s, expected %s", fx.cfg.tags[i].name, bi,
                     tag_quality_name(fx.out[i].q), tag_quality_name(q));
}

/* A PLC answering in 70 ms against a 150 ms budget.  Until three answers
 * have shown it slow, a cycle reads on (the first one here reads all, over
 * budget).  Then one read a cycle (the next would leave no room for a
 * write), round the plan; the blocks put off read STALE with their age (or
 * BAD_COMMS if never read); last_good_read_ms is the oldest block's read. */
static void test_budget_round_robin(void **state)
{
    (void)state;
    int nb = fx.l.plan.nblocks;
    assert_int_equal(nb, 3);
    fx.fk.delay_us = 70000;
    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(read_at(0), 0);
    assert_int_equal(fx.l.stats.cycle_reads, 3);
    assert_int_equal(fx.l.stats.cycle_io_us, 210000);
    assert_all_quality(Q_GOOD);
    for (int c = 0; c < nb; c++) {
        plc_cycle_begin(&fx.l, 150000);
        assert_int_equal(read_at((uint64_t)(c + 1) * 250), 0);
        assert_int_equal(fx.l.stats.cycle_reads, 1);
        assert_int_equal(fx.l.stats.cycle_deferred_reads, nb - 1);
        assert_int_equal(fx.l.stats.cycle_io_us, 70000);
        assert_int_equal(fx.l.stats.budget_us, 150000);
        for (int bi = 0; bi < nb; bi++)
            assert_block_quality(bi, bi == c ? Q_GOOD : Q_STALE);
        assert_int_equal(fx.l.stats.last_good_read_ms, c < nb - 1 ? 0 : 250);
    }
    assert_int_equal(fx.l.stats.deferred, (unsigned long)(nb * (nb - 1)));
    assert_served_values();
    for (int i = 0; i < fx.cfg.ntags; i++) /* each tag's age: when its block was read */
        assert_int_equal(fx.l.read_ms[i], (uint64_t)(fx.l.plan.block_of[i] + 1) * 250);
    /* the next cycle starts the round again at block 0 */
    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(read_at((uint64_t)(nb + 1) * 250), 0);
    assert_block_quality(0, Q_GOOD);
    assert_block_quality(1, Q_STALE);
    assert_int_equal(fx.l.stats.last_good_read_ms, 500); /* block 1 is now the oldest */

    /* never read and put off: BAD_COMMS, not STALE */
    plc_open(&fx.l, &fx.cfg, &fake_ops, &fx.fk, 0);
    memcpy(fx.l.dur_us, (const uint64_t[PLC_EST_RING]){70000, 70000, 70000}, 3 * sizeof(uint64_t));
    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(read_at(2000), 0);
    assert_block_quality(0, Q_GOOD);
    assert_block_quality(1, Q_BAD_COMMS);
    assert_false(fx.l.stats.ever_good);

    /* a fast PLC reads every block in a cycle within the same budget */
    fx.fk.delay_us = 1000;
    for (int c = 0; c < 3; c++) { /* three answers to judge it fast again */
        plc_cycle_begin(&fx.l, 150000);
        assert_int_equal(read_at(5000 + (uint64_t)c * 250), 0);
    }
    assert_int_equal(fx.l.stats.cycle_reads, nb);
    assert_int_equal(fx.l.stats.cycle_deferred_reads, 0);
    assert_all_quality(Q_GOOD);
    assert_int_equal(fx.l.stats.last_good_read_ms, 5500);
}

/* No budget (plc_cycle_begin never called, or 0): a slow PLC is read whole. */
static void test_budget_none(void **state)
{
    (void)state;
    fx.fk.delay_us = 70000;
    assert_int_equal(read_at(0), 0);
    assert_int_equal(fx.l.stats.cycle_deferred_reads, 0);
    assert_all_quality(Q_GOOD);
    plc_cycle_begin(&fx.l, 0);
    assert_int_equal(read_at(250), 0);
    assert_int_equal(fx.l.stats.cycle_reads, fx.l.plan.nblocks);
    assert_all_quality(Q_GOOD);
}

/* Writes that do not fit stay staged and go first in the next cycle; the
 * cycle's first write always goes, and a command (write_now) is never put
 * off. */
static void test_budget_writes(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    fx.fk.delay_us = 70000;
    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(read_at(250), 0); /* 3 x 70 ms: now judged slow */
    stage("firing_demand", 50);        /* hr:0 */
    stage("console_heartbeat", 7);     /* hr:20: another request */
    stage("fan_demand", 20);           /* hr:2: and another */
    assert_int_equal(plc_flush_writes(&fx.l, 250), 1); /* the first write only */
    assert_int_equal(fx.l.stats.cycle_deferred_writes, 2);
    assert_write(0, 0, 1, (const uint16_t[]){500});

    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(read_at(500), 0);
    stage("console_heartbeat", 8); /* keeps its place, takes the new value */
    stage("firing_demand", 51);    /* pending again: after the two put off */
    assert_int_equal(plc_flush_writes(&fx.l, 500), 1);
    assert_write(1, 20, 1, (const uint16_t[]){8});
    assert_int_equal(fx.l.stats.cycle_deferred_writes, 2);

    plc_cycle_begin(&fx.l, 150000);
    int cmd[3] = {idx("cmd_code"), idx("cmd_arg"), idx("cmd_seq")};
    double cv[3] = {4, 0, 9};
    assert_int_equal(plc_write_now(&fx.l, cmd, cv, 3, 750, fx.err, sizeof fx.err), 0);
    assert_int_equal(read_at(750), 0); /* its first read goes: 140 ms */
    assert_int_equal(plc_flush_writes(&fx.l, 750), 0); /* no room left, the first write was the command */
    assert_int_equal(fx.l.stats.cycle_deferred_writes, 2);
    assert_write(2, 10, 3, (const uint16_t[]){4, 0, 9});

    fx.fk.delay_us = 400; /* fast again: everything that waits goes, in staging order */
    plc_cycle_begin(&fx.l, 150000);
    assert_int_equal(plc_flush_writes(&fx.l, 1000), 2);
    assert_write(3, 2, 1, (const uint16_t[]){200});
    assert_write(4, 0, 1, (const uint16_t[]){510});
}

/* A block or a write refused refused_cycles (4) times in a row is named by
 * plc_refusals; once accepted it is not. */
static void test_refusals(void **state)
{
    (void)state;
    char buf[300];
    const struct plc_block *di = find_block(&fx.l.plan, TAG_DI, 0);
    fx.fk.except_table = TAG_DI;
    fx.fk.except_addr = di->addr;
    fx.fk.except_errno = EMBXILADD;
    assert_int_equal(fx.cfg.plc.refused_cycles, 4);
    for (int c = 0; c < 3; c++) {
        assert_int_equal(read_at((uint64_t)c * 250), 1);
        assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 0);
        assert_string_equal(buf, "");
    }
    assert_int_equal(read_at(750), 1);
    assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 1);
    assert_string_equal(buf, "read di:0+16 refused: Illegal data address");
    assert_int_equal(qual("estop_ok"), Q_BAD_COMMS);

    /* a write refused too: both named */
    fx.fk.write_except_addr = 0;
    stage("firing_demand", 50);
    stage("pump_demand", 30);
    for (int c = 0; c < 4; c++) {
        assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 1);
        assert_int_equal(plc_flush_writes(&fx.l, 1000 + (uint64_t)c * 250), 1); /* again each time */
    }
    assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 2);
    assert_string_equal(buf, "read di:0+16 refused: Illegal data address; "
                             "write hr:0+2 firing_demand... refused: Illegal data value");

    fx.fk.except_errno = 0; /* accepted again */
    assert_int_equal(read_at(2000), 0);
    assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 1);
    fx.fk.write_except_addr = -1;
    assert_int_equal(plc_flush_writes(&fx.l, 2000), 1);
    assert_int_equal(plc_refusals(&fx.l, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_write(0, 0, 2, (const uint16_t[]){500, 300});
}

/* ---- writing ---------------------------------------------------------------------------- */

static void assert_write(int k, int addr, int n, const uint16_t *v)
{
    assert_true(k < fx.fk.nw);
    assert_int_equal(fx.fk.w[k].table, TAG_HR);
    assert_int_equal(fx.fk.w[k].addr, addr);
    assert_int_equal(fx.fk.w[k].n, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(fx.fk.w[k].v[i], v[i]);
}

static void stage(const char *tag, double v)
{
    assert_int_equal(plc_write(&fx.l, idx(tag), v, fx.err, sizeof fx.err), 0);
}

/* Only changes are written; every write_refresh_s (10 s) all staged outputs. */
static void test_writes_changed_and_refresh(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    stage("firing_demand", 50);
    stage("pump_demand", 30);
    assert_int_equal(plc_flush_writes(&fx.l, 0), 1);
    assert_write(0, 0, 2, (const uint16_t[]){500, 300});

    assert_int_equal(plc_flush_writes(&fx.l, 250), 0);
    stage("firing_demand", 50); /* unchanged */
    assert_int_equal(plc_flush_writes(&fx.l, 500), 0);
    stage("firing_demand", 55);
    assert_int_equal(plc_flush_writes(&fx.l, 750), 1);
    assert_write(1, 0, 1, (const uint16_t[]){550});
    stage("firing_demand", 60);
    stage("firing_demand", 55); /* back to what the PLC has */
    assert_int_equal(plc_flush_writes(&fx.l, 1000), 0);
    assert_int_equal(plc_flush_writes(&fx.l, 9999), 0);
    assert_int_equal(fx.fk.nw, 2);

    /* The refresh: both, in staging order (pump staged before firing's change). */
    assert_int_equal(plc_flush_writes(&fx.l, 10000), 2);
    assert_write(2, 1, 1, (const uint16_t[]){300});
    assert_write(3, 0, 1, (const uint16_t[]){550});
    assert_int_equal(plc_flush_writes(&fx.l, 10250), 0);
    assert_int_equal(plc_flush_writes(&fx.l, 19999), 0);
    assert_int_equal(plc_flush_writes(&fx.l, 20000), 2);
    assert_int_equal(fx.l.stats.transactions[TAG_HR], 1 + 6);
}

/* A controller that stopped writing (another master, core_writes_suspended)
 * forgets its outputs: not even the refresh writes them; staged again, each
 * is written, equal to what was last written or not. */
static void test_writes_forget(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    stage("firing_demand", 50);
    stage("pump_demand", 30);
    assert_int_equal(plc_flush_writes(&fx.l, 0), 1);
    plc_writes_forget(&fx.l);
    assert_int_equal(plc_flush_writes(&fx.l, 250), 0);
    assert_int_equal(plc_flush_writes(&fx.l, 10000), 0); /* the refresh too */
    assert_int_equal(plc_flush_writes(&fx.l, 20000), 0);
    assert_int_equal(fx.fk.nw, 1);
    stage("firing_demand", 50); /* as before: the PLC may hold another master's value */
    assert_int_equal(plc_flush_writes(&fx.l, 20250), 1);
    assert_write(1, 0, 1, (const uint16_t[]){500});
    assert_int_equal(plc_flush_writes(&fx.l, 20500), 0);
}

/* Refused values are errors with a sentence, and nothing is staged. */
static void test_write_refused(void **state)
{
    (void)state;
    static const struct {
        const char *tag;
        double v;
        const char *says;
    } cases[] = {
        {"firing_demand", 150, "outside its range"},
        {"firing_demand", -1, "outside its range"},
        {"pump_demand", NAN, "not a finite number"},
        {"fan_demand", INFINITY, "not a finite number"},
        {"cmd_arg", 70000, "does not fit the register"},
        {"hc_gas_temp", 1000, "not writable"},
        {"flame_on", 1, "not writable"},
    };
    assert_int_equal(read_at(0), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx.err[0] = 0;
        assert_int_equal(plc_write(&fx.l, idx(cases[i].tag), cases[i].v, fx.err, sizeof fx.err),
                         -1);
        if (!strstr(fx.err, cases[i].says))
            fail_msg("%s = %g: \"%s\" lacks \"%s\"", cases[i].tag, cases[i].v, fx.err,
                     cases[i].says);
        assert_false(fx.l.is_staged[idx(cases[i].tag)]);
    }
    assert_int_equal(plc_write(&fx.l, 999, 1, fx.err, sizeof fx.err), -1);
    assert_non_null(strstr(fx.err, "no tag number 999"));
    assert_int_equal(plc_write(&fx.l, -1, 1, fx.err, sizeof fx.err), -1);
    assert_int_equal(plc_flush_writes(&fx.l, 0), 0);
    assert_int_equal(fx.fk.nw, 0);

    /* A refused value leaves the earlier staged one in place. */
    stage("firing_demand", 40);
    assert_int_equal(plc_write(&fx.l, idx("firing_demand"), 101, fx.err, sizeof fx.err), -1);
    assert_int_equal(plc_flush_writes(&fx.l, 250), 1);
    assert_write(0, 0, 1, (const uint16_t[]){400});
}

/* Within a flush, the order of staging; contiguous ascending runs merged. */
static void test_write_order(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    stage("damper_demand", 20);
    stage("firing_demand", 50);
    stage("pump_demand", 30);
    stage("console_heartbeat", 1);
    stage("damper_demand", 25); /* pending: keeps its place, new value */
    assert_int_equal(plc_flush_writes(&fx.l, 0), 3);
    assert_int_equal(fx.fk.nw, 3);
    assert_write(0, 3, 1, (const uint16_t[]){250});
    assert_write(1, 0, 2, (const uint16_t[]){500, 300});
    assert_write(2, 20, 1, (const uint16_t[]){1});

    /* A refused run stays pending; the rest is written, heartbeat included. */
    fx.fk.write_except_addr = 0;
    stage("firing_demand", 51);
    stage("console_heartbeat", 2);
    assert_int_equal(plc_flush_writes(&fx.l, 250), 2);
    assert_int_equal(fx.fk.flushes, 1);
    assert_int_equal(fx.l.stats.errors[TAG_HR], 1);
    assert_int_equal(fx.l.stats.last_exception, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    assert_int_equal(fx.fk.nw, 4);
    assert_write(3, 20, 1, (const uint16_t[]){2});
    fx.fk.write_except_addr = -1;
    assert_int_equal(plc_flush_writes(&fx.l, 500), 1);
    assert_write(4, 0, 1, (const uint16_t[]){510});
}

/* Commands: written at once, in the given order, never refreshed; one bad
 * value writes nothing; a refused request stops the rest (no cmd_seq after
 * a failed cmd_code). */
static void test_write_now(void **state)
{
    (void)state;
    int cmd[3] = {idx("cmd_code"), idx("cmd_arg"), idx("cmd_seq")};
    double v[3] = {12, 300, 8};
    assert_int_equal(plc_write_now(&fx.l, cmd, v, 3, 0, fx.err, sizeof fx.err), -1);
    assert_non_null(strstr(fx.err, "PLC link down"));
    assert_int_equal(fx.fk.nw, 0);

    assert_int_equal(read_at(0), 0);
    assert_int_equal(plc_write_now(&fx.l, cmd, v, 3, 0, fx.err, sizeof fx.err), 0);
    assert_int_equal(fx.fk.nw, 1);
    assert_write(0, 10, 3, (const uint16_t[]){12, 300, 8});

    int rev[2] = {idx("cmd_seq"), idx("cmd_code")};
    double rv[2] = {9, 4};
    assert_int_equal(plc_write_now(&fx.l, rev, rv, 2, 0, fx.err, sizeof fx.err), 0);
    assert_write(1, 12, 1, (const uint16_t[]){9});
    assert_write(2, 10, 1, (const uint16_t[]){4});

    double bad[3] = {12, 70000, 10};
    assert_int_equal(plc_write_now(&fx.l, cmd, bad, 3, 0, fx.err, sizeof fx.err), -1);
    assert_non_null(strstr(fx.err, "cmd_arg"));
    assert_int_equal(fx.fk.nw, 3);

    int gap[2] = {idx("cmd_code"), idx("cmd_seq")};
    double gv[2] = {5, 11};
    fx.fk.write_except_addr = 10;
    assert_int_equal(plc_write_now(&fx.l, gap, gv, 2, 0, fx.err, sizeof fx.err), -1);
    assert_non_null(strstr(fx.err, "write hr:10 cmd_code"));
    assert_int_equal(fx.fk.nw, 3);
    assert_int_equal(fx.fk.mem[TAG_HR][12], 9);
    fx.fk.write_except_addr = -1;

    assert_int_equal(plc_flush_writes(&fx.l, 10000), 0); /* nothing staged to refresh */
    assert_int_equal(fx.fk.nw, 3);
}

/* Writes on a dead link: DOWN; after the reconnect every staged output is
 * written again, whether or not it changed. */
static void test_writes_after_reconnect(void **state)
{
    (void)state;
    assert_int_equal(read_at(0), 0);
    stage("firing_demand", 50);
    stage("fan_demand", 20);
    assert_int_equal(plc_flush_writes(&fx.l, 0), 2);
    stage("firing_demand", 45);
    fx.fk.link_fail = 1;
    assert_int_equal(plc_flush_writes(&fx.l, 250), -1);
    assert_int_equal(fx.l.stats.state, PLC_DOWN);
    assert_int_equal(plc_flush_writes(&fx.l, 300), -1);
    assert_int_equal(fx.fk.nw, 2);

    assert_int_equal(read_at(500), 0);
    assert_int_equal(fx.l.stats.reconnects, 1);
    assert_int_equal(plc_flush_writes(&fx.l, 500), 2);
    assert_write(2, 2, 1, (const uint16_t[]){200});
    assert_write(3, 0, 1, (const uint16_t[]){450});
    assert_int_equal(plc_flush_writes(&fx.l, 750), 0);
}

/* ---- the real libmodbus ------------------------------------------------------------------ */

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof a;
    assert_true(s >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* The child: a Modbus TCP server with the shipped tags' values, for 100 s
 * at most; it tells the parent through `ready` once it listens. */
static void server_child(int port, int ready)
{
    alarm(100);
    modbus_t *mb = modbus_new_tcp("127.0.0.1", port);
    modbus_mapping_t *map = mb ? modbus_mapping_new(0, 32, 64, 64) : NULL;
    if (!map)
        _exit(2);
    for (size_t i = 0; i < sizeof served / sizeof served[0]; i++) {
        const struct cfg_tag *t = cfg_tag_find(&shipped, served[i].tag);
        if (t->table == TAG_DI)
            map->tab_input_bits[t->addr] = served[i].v != 0;
        else
            tag_encode_sensor(t, served[i].v,
                              t->table == TAG_IR ? &map->tab_input_registers[t->addr]
                                                 : &map->tab_registers[t->addr]);
    }
    int ls = modbus_tcp_listen(mb, 1);
    if (ls < 0 || write(ready, "r", 1) != 1)
        _exit(3);
    for (;;) {
        if (modbus_tcp_accept(mb, &ls) < 0)
            _exit(4);
        for (;;) {
            uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
            int rc = modbus_receive(mb, q);
            if (rc < 0)
                break;
            if (rc > 0)
                modbus_reply(mb, q, rc, map);
        }
        modbus_close(mb);
    }
}

static void test_real_libmodbus(void **state)
{
    (void)state;
    int port = free_port(), p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        server_child(port, p[1]);
        _exit(0);
    }
    close(p[1]);
    char c = 0;
    ssize_t got = read(p[0], &c, 1);
    close(p[0]);
    if (got != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the test server did not start");
    }

    fx.cfg.plc.port = port;
    void *mb = plc_modbus_new(&fx.cfg.plc, fx.err, sizeof fx.err);
    assert_non_null(mb);
    plc_open(&fx.l, &fx.cfg, &plc_modbus_ops, mb, 0);
    int rc = plc_read_all(&fx.l, 0, fx.out);
    if (rc != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("read: %d %s", rc, fx.l.stats.last_error);
    }
    assert_int_equal(fx.l.stats.state, PLC_UP);
    assert_all_quality(Q_GOOD);
    assert_served_values();

    stage("firing_demand", 42.5);
    stage("console_heartbeat", 77);
    assert_int_equal(plc_flush_writes(&fx.l, 250), 2);
    assert_int_equal(plc_read_all(&fx.l, 250, fx.out), 0);
    assert_float_equal(val("firing_demand"), 42.5, 1e-9);
    assert_float_equal(val("console_heartbeat"), 77, 0);
    assert_int_equal(fx.l.stats.errors[TAG_HR] + fx.l.stats.errors[TAG_IR], 0);

    /* A read of an address the server does not have: an exception, not a
     * link error. */
    assert_int_equal(fx.l.ops->read_regs(mb, TAG_IR, 60, 10, (uint16_t[10]){0}), -1);
    assert_int_equal(errno, EMBXILADD);

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_int_equal(plc_read_all(&fx.l, 500, fx.out), -1);
    assert_int_equal(fx.l.stats.state, PLC_DOWN);
    assert_all_quality(Q_BAD_COMMS);
    assert_float_equal(val("firing_demand"), 42.5, 1e-9);
    assert_int_equal(plc_read_all(&fx.l, 750, fx.out), -1);
    assert_int_equal(fx.l.stats.connect_failures, 1);
    assert_non_null(strstr(fx.l.stats.last_error, "connect 127.0.0.1"));
    plc_close(&fx.l);
    plc_modbus_free(mb);
}

static void test_modbus_new_refuses_hostname(void **state)
{
    (void)state;
    struct cfg_plc p = shipped.plc;
    snprintf(p.host, sizeof p.host, "plc.example");
    assert_null(plc_modbus_new(&p, fx.err, sizeof fx.err));
    assert_non_null(strstr(fx.err, "expected an IPv4 address"));
    assert_string_equal(plc_state_name(PLC_CONNECTING), "CONNECTING");
}

static int load_shipped(void **state)
{
    (void)state;
    static struct cfg_errors errs;
    const char *src = getenv("MELTCON_SRC");
    char path[512];
    snprintf(path, sizeof path, "%s/config/meltcon.ini", src ? src : MELTCON_SRC_DIR);
    if (cfg_load(path, &shipped, &errs) != 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_shipped),
        cmocka_unit_test(test_plan_split_registers),
        cmocka_unit_test(test_plan_split_bits),
        cmocka_unit_test_setup(test_read_good, setup),
        cmocka_unit_test_setup(test_exception_on_one_block, setup),
        cmocka_unit_test_setup(test_replan_on_illegal_address, setup),
        cmocka_unit_test_setup(test_link_error_and_backoff, setup),
        cmocka_unit_test_setup(test_connected_but_refused, setup),
        cmocka_unit_test_setup(test_stale_ageing, setup),
        cmocka_unit_test_setup(test_budget_round_robin, setup),
        cmocka_unit_test_setup(test_budget_none, setup),
        cmocka_unit_test_setup(test_budget_writes, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_writes_changed_and_refresh, setup),
        cmocka_unit_test_setup(test_writes_forget, setup),
        cmocka_unit_test_setup(test_write_refused, setup),
        cmocka_unit_test_setup(test_write_order, setup),
        cmocka_unit_test_setup(test_write_now, setup),
        cmocka_unit_test_setup(test_writes_after_reconnect, setup),
        cmocka_unit_test_setup(test_real_libmodbus, setup),
        cmocka_unit_test(test_modbus_new_refuses_hostname),
    };
    return cmocka_run_group_tests(tests, load_shipped, NULL);
}
