/* closed_loop_link — the link between the control core and the simulated PLC, as in the
 * plant: the console's real PLC link (control/server/plc_link.c: read planning and
 * re-planning, decoding, qualities, STALE vs COMMS, reconnect backoff, write ordering,
 * the command handshake) over an in-memory transport (struct plc_ops) that answers every
 * transaction at once from the simulator's register image (simhw/sim_image.c: the map and
 * the encoding meltsim's Modbus server serves, with its exception rules).
 *
 * Faults the transport injects (struct link_fault), like a real PLC or network:
 *   refuse   every read whose span covers table:addr is answered with the exception
 *            SERVER DEVICE FAILURE (04): a transaction error, the link stays up
 *   timeout  every request gets no answer: ETIMEDOUT (a scenario's "silent N" too, as
 *            meltsim mutes its server); connecting still works (the PLC's TCP stack is up)
 *   drop     the connection is reset (ECONNRESET) and connecting is refused (ECONNREFUSED)
 * A request that times out costs no wall time here: the harness runs on process time.
 *
 * What the PLC receives of the command handshake is checked as it arrives: a new cmd_seq
 * must come with, or after, cmd_code and cmd_arg written since the previous cmd_seq, and a
 * cmd_seq is never written again with the value it has (a refresh repeating a command).
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closed_loop.h"

/* ---- faults -------------------------------------------------------------------------- */

static bool active(const struct link_fault *lf, enum lf_kind kind, double now)
{
    return lf->kind == kind && now >= lf->at && now < lf->until;
}

static bool timing_out(const struct memplc *m)
{
    return m->now < m->silent_until || active(&m->lf, LF_TIMEOUT, m->now);
}

/* A request reaches the PLC's Modbus server: 0, or -1 with errno as libmodbus sets it for a
 * failure of the link itself. */
static int reach(struct memplc *m)
{
    if (!m->connected) {
        errno = EBADF;
        return -1;
    }
    if (m->reset || active(&m->lf, LF_DROP, m->now)) {
        m->reset = true;
        m->resets++;
        errno = ECONNRESET;
        return -1;
    }
    if (timing_out(m)) {
        m->timeouts++;
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

/* The server's answer: 0, or -1 with errno the exception. */
static int answered(int code)
{
    if (!code)
        return 0;
    errno = MODBUS_ENOBASE + code;
    return -1;
}

/* ---- the transport ----------------------------------------------------------------------- */

static int mem_connect(void *ctx)
{
    struct memplc *m = ctx;
    if (active(&m->lf, LF_DROP, m->now)) {
        errno = ECONNREFUSED;
        return -1;
    }
    m->connected = true;
    m->reset = false;
    m->connects++;
    return 0;
}

static void mem_close(void *ctx)
{
    struct memplc *m = ctx;
    m->connected = m->reset = false;
}

static int mem_read(struct memplc *m, enum tag_table table, int addr, int n, uint16_t *regs,
                    uint8_t *bits)
{
    m->reads++;
    m->reads_cycle++;
    if (reach(m) < 0)
        return -1;
    if (active(&m->lf, LF_REFUSE, m->now) && table == m->lf.table && addr <= m->lf.addr &&
        m->lf.addr < addr + n) {
        m->refused++;
        return answered(MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE);
    }
    return answered(simimg_read(m->img, table, addr, n, regs, bits));
}

static int mem_read_regs(void *ctx, enum tag_table table, int addr, int n, uint16_t *dst)
{
    return mem_read(ctx, table, addr, n, dst, NULL);
}

static int mem_read_bits(void *ctx, enum tag_table table, int addr, int n, uint8_t *dst)
{
    return mem_read(ctx, table, addr, n, NULL, dst);
}

/* The handshake as the PLC receives one request: the registers of a request arrive
 * together, so cmd_code and cmd_arg in the same request as cmd_seq count as before it. */
static void handshake_seen(struct memplc *m, int addr, int n, const uint16_t *src)
{
    int seq = -1;
    for (int k = 0; k < n; k++) {
        m->code_fresh |= addr + k == m->a_code;
        m->arg_fresh |= addr + k == m->a_arg;
        if (addr + k == m->a_seq)
            seq = src[k];
    }
    if (seq < 0)
        return;
    if ((uint16_t)seq == m->last_seq) {
        m->seq_repeated++;
        return;
    }
    m->cmds++;
    if (!m->code_fresh || !m->arg_fresh)
        m->seq_first++;
    m->last_seq = (uint16_t)seq;
    m->code_fresh = m->arg_fresh = false;
}

static int mem_write_regs(void *ctx, int addr, int n, const uint16_t *src)
{
    struct memplc *m = ctx;
    m->writes++;
    m->writes_cycle++;
    if (reach(m) < 0)
        return -1;
    int code = simimg_write_regs(m->img, addr, n, src);
    if (!code)
        handshake_seen(m, addr, n, src);
    return answered(code);
}

static int mem_write_bit(void *ctx, int addr, int value)
{
    struct memplc *m = ctx;
    m->writes++;
    m->writes_cycle++;
    if (reach(m) < 0)
        return -1;
    return answered(simimg_write_bit(m->img, addr, value));
}

static void mem_flush(void *ctx)
{
    (void)ctx; /* nothing is ever pending: every answer is taken whole */
}

static const struct plc_ops mem_ops = {
    .connect = mem_connect,
    .close = mem_close,
    .read_regs = mem_read_regs,
    .read_bits = mem_read_bits,
    .write_regs = mem_write_regs,
    .write_bit = mem_write_bit,
    .flush = mem_flush,
    .clock_us = NULL, /* no wall time: round trips read 0 */
};

/* ---- set-up ----------------------------------------------------------------------------- */

int link_fault_parse(const char *arg, struct link_fault *lf, char *err, size_t errlen)
{
    char kind[16] = "", table[4] = "";
    double at = -1, dur = -1;
    int addr = -1, used = 0;
    memset(lf, 0, sizeof *lf);
    if (sscanf(arg, "%15[a-z],%lf,%lf%n", kind, &at, &dur, &used) == 3 && !arg[used]) {
        lf->kind = !strcmp(kind, "timeout") ? LF_TIMEOUT
                   : !strcmp(kind, "drop")  ? LF_DROP
                                            : LF_NONE;
    } else if (sscanf(arg, "refuse:%3[a-z]:%d,%lf,%lf%n", table, &addr, &at, &dur, &used) == 4 &&
               !arg[used]) {
        lf->kind = LF_REFUSE;
        lf->addr = addr;
        int t = -1;
        for (int k = 0; k < PLC_TABLES; k++)
            if (!strcmp(table, cfg_table_name((enum tag_table)k)))
                t = k;
        lf->table = (enum tag_table)(t < 0 ? 0 : t);
        if (t < 0 || addr < 0 || addr > 65535)
            lf->kind = LF_NONE;
    }
    if (lf->kind == LF_NONE || !(at >= 0 && at < 1e6) || !(dur > 0 && dur <= 36000)) {
        snprintf(err, errlen,
                 "--link-fault \"%.60s\": expected refuse:TABLE:ADDR,AT_S,FOR_S or "
                 "timeout,AT_S,FOR_S or drop,AT_S,FOR_S (e.g. refuse:ir:2,600,30), with 0 <= "
                 "AT_S and 0 < FOR_S <= 36000",
                 arg);
        lf->kind = LF_NONE;
        return -1;
    }
    lf->at = at;
    lf->until = at + dur;
    return 0;
}

/* The tag whose quality the figures follow through a fault (h->f.lf_tag): the refused
 * one (-1 if no tag covers the address), else the first loop's PV (a fault of the whole
 * link, or one a scenario may start later). */
static int watched_tag(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    const struct link_fault *lf = &h->mp.lf;
    h->f.lf_tag = -1;
    if (lf->kind == LF_REFUSE) {
        for (int i = 0; i < c->ntags; i++)
            if (c->tags[i].table == lf->table && c->tags[i].addr <= lf->addr &&
                lf->addr < c->tags[i].addr + tag_width(&c->tags[i]))
                h->f.lf_tag = i;
        return h->f.lf_tag;
    }
    if (h->core.loops.n > 0)
        h->f.lf_tag = h->core.loops.loop[0].pv_tag;
    return 0;
}

int link_init(struct harness *h, char *err, size_t errlen)
{
    struct memplc *m = &h->mp;
    const struct cfg *c = &h->cfg;
    if (!(m->img = simimg_new(c, err, errlen)))
        return -1;
    simimg_put_inputs(m->img, &h->in);
    simimg_put_outputs(m->img, &h->out);
    simimg_get(m->img, h->t_firing_demand, &h->firing_demand);
    int code = cfg_tag_index(c, "cmd_code"), arg = cfg_tag_index(c, "cmd_arg"),
        seq = cfg_tag_index(c, "cmd_seq");
    m->a_code = code >= 0 ? c->tags[code].addr : -1;
    m->a_arg = arg >= 0 ? c->tags[arg].addr : -1;
    m->a_seq = seq >= 0 ? c->tags[seq].addr : -1;
    m->last_seq = h->in.cmd_seq;
    m->silent_until = -1;
    for (int i = 0; i < c->ntags; i++)
        if (!simimg_served(m->img, i) && !h->quiet)
            printf("note: tag %s is not served by the simulated PLC: it reads 0, as from "
                   "meltsim\n",
                   c->tags[i].name);
    plc_open(&h->link, c, &mem_ops, m, 0);
    h->f.plan_open = plc_plan_count(&h->link.plan, -1);
    h->f.reads_first = -1;
    if (watched_tag(h) < 0) {
        snprintf(err, errlen, "--link-fault refuse:%s:%d: no tag of %s covers that address",
                 cfg_table_name(m->lf.table), m->lf.addr, c->path);
        return -1;
    }
    return 0;
}

void link_free(struct harness *h)
{
    plc_close(&h->link);
    simimg_free(h->mp.img);
    h->mp.img = NULL;
}

void link_silence(struct harness *h, double seconds)
{
    struct memplc *m = &h->mp;
    m->silent_until = h->t + h->dt + seconds;
    if (m->lf.kind == LF_NONE) /* the figures follow it as a timeout */
        m->lf =
            (struct link_fault){.kind = LF_TIMEOUT, .at = h->t + h->dt, .until = m->silent_until};
}

void link_plc_inputs(struct harness *h)
{
    simimg_get_inputs(h->mp.img, &h->in);
}

void link_plc_outputs(struct harness *h)
{
    simimg_put_outputs(h->mp.img, &h->out);
}

/* ---- the cycle -------------------------------------------------------------------------- */

/* Transactions per read cycle against the plan: the first cycle reads the plan made at
 * plc_open; later ones in which every block was read, the plan as it is now. */
static void count_reads(struct harness *h, int rc)
{
    struct figs *f = &h->f;
    const struct memplc *m = &h->mp;
    if (f->reads_first < 0) {
        if (m->reads_cycle > 0)
            f->reads_first = m->reads_cycle;
        return;
    }
    if (rc != 0 || h->link.stats.state != PLC_UP) /* a fault: fewer, or none */
        return;
    if (f->read_cycles == 0 || m->reads_cycle < f->reads_min)
        f->reads_min = m->reads_cycle;
    if (f->read_cycles == 0 || m->reads_cycle > f->reads_max)
        f->reads_max = m->reads_cycle;
    f->read_cycles++;
}

void link_read(struct harness *h)
{
    struct memplc *m = &h->mp;
    m->now = h->t;
    m->reads_cycle = m->writes_cycle = 0;
    int rc = plc_read_all(&h->link, (uint64_t)(h->t * 1000 + 0.5), h->tags);
    h->link_up = rc >= 0 && h->link.stats.state == PLC_UP;
    count_reads(h, rc);
}

void link_write(struct harness *h)
{
    const struct core *k = &h->core;
    struct memplc *m = &h->mp;
    uint64_t now_ms = (uint64_t)(h->t * 1000 + 0.5);
    char err[200];
    for (int i = 0; i < k->nwrites; i++)
        if (plc_write(&h->link, k->writes[i].tag, k->writes[i].value, err, sizeof err) < 0) {
            h->f.write_errors++;
            say(h, "WRITE REFUSED by the codec: %s", err);
        }
    if (k->cmd_write) {
        int t[3];
        double v[3];
        for (int i = 0; i < 3; i++) {
            t[i] = k->cmd_out[i].tag;
            v[i] = k->cmd_out[i].value;
        }
        if (plc_write_now(&h->link, t, v, 3, now_ms, err, sizeof err) < 0) {
            h->f.cmds_not_sent++;
            say(h, "command not sent: %s", err);
        } else {
            h->f.cmds_sent++;
        }
    }
    int before = m->writes_cycle;
    if (plc_flush_writes(&h->link, now_ms) >= 0 || m->writes_cycle > before) {
        h->f.writes_sum += (unsigned long)m->writes_cycle;
        h->f.write_cycles++;
    }
    /* what the PLC now has: the console reads it back only next cycle */
    simimg_get(m->img, h->t_firing_demand, &h->firing_demand);
}
