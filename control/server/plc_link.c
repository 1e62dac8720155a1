/* plc_link — the PLC link (see plc_link.h).
 *
 * Read planning (plc_plan_build), per table, tags sorted by address:
 *   a tag joins the open block if  tag.addr - block_end <= max_gap[table]
 *                             and  tag.addr + width - block.addr <= max_n[table]
 *   else it opens a new block.  block_end = the largest addr + width so far.
 * Greedy packing of sorted intervals under a span cap and a gap cap gives the
 * fewest blocks.  max_n = 125 registers (FC3/FC4) or 2000 bits (FC1/FC2).
 *
 * Reconnect backoff (all times now_ms from the caller):
 *   open:            next attempt = now, backoff = min
 *   any failure:     next attempt = now + backoff, backoff = min(2 backoff, max)
 *   link answering:  backoff = min
 * so after a drop at T the attempts come at T+min, T+3min, T+7min, ... with
 * the gaps min, 2min, 4min ... capped at reconnect_max_ms.
 *
 * Quality of tag i after a cycle:
 *   its block read        -> tag_decode(): GOOD or BAD_SENSOR, read_ms = now
 *   not read this cycle   -> last value kept; BAD_COMMS, or STALE once
 *                            now - read_ms > stale_ms (never read: BAD_COMMS)
 */
#include "plc_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Largest request per table, and the default gap a block may take in. */
static const int plan_max_n[PLC_TABLES] = {
    [TAG_IR] = MODBUS_MAX_READ_REGISTERS,
    [TAG_HR] = MODBUS_MAX_READ_REGISTERS,
    [TAG_DI] = MODBUS_MAX_READ_BITS,
    [TAG_CO] = MODBUS_MAX_READ_BITS,
};

static const int plan_default_gap[PLC_TABLES] = {
    [TAG_IR] = 8,
    [TAG_HR] = 8,
    [TAG_DI] = 64,
    [TAG_CO] = 64,
};

static const char *const state_names[] = {
    [PLC_DOWN] = "DOWN",
    [PLC_CONNECTING] = "CONNECTING",
    [PLC_UP] = "UP",
};

static bool is_bit_table(enum tag_table t) { return t == TAG_DI || t == TAG_CO; }

/* Registers or bits the tag occupies in its table. */
static int span(const struct cfg_tag *t) { return is_bit_table(t->table) ? 1 : tag_width(t); }

/* ---- planning ---------------------------------------------------------------- */

/* Insertion sort of tag indices by (table, address): at most CFG_MAX_TAGS. */
static void sort_by_address(const struct cfg *c, int *idx, int n)
{
    for (int i = 1; i < n; i++) {
        int k = idx[i], j = i;
        const struct cfg_tag *t = &c->tags[k];
        while (j > 0) {
            const struct cfg_tag *u = &c->tags[idx[j - 1]];
            if (u->table < t->table || (u->table == t->table && u->addr <= t->addr))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
}

int plc_plan_build(struct plc_plan *p, const struct cfg *c, const int *max_gap)
{
    int idx[CFG_MAX_TAGS] = {0}, n = c->ntags < CFG_MAX_TAGS ? c->ntags : CFG_MAX_TAGS;
    const int *gap = max_gap ? max_gap : plan_default_gap;
    memset(p, 0, sizeof *p);
    for (int i = 0; i < CFG_MAX_TAGS; i++)
        p->block_of[i] = -1;
    for (int i = 0; i < n; i++)
        idx[i] = i;
    sort_by_address(c, idx, n);

    struct plc_block *b = NULL;
    int used = 0; /* registers/bits of the open block that some tag occupies */
    for (int i = 0; i < n; i++) {
        const struct cfg_tag *t = &c->tags[idx[i]];
        int w = span(t);
        bool join = b && b->table == t->table && t->addr - (b->addr + b->n) <= gap[t->table] &&
                    t->addr + w - b->addr <= plan_max_n[t->table];
        if (!join) {
            if (b)
                b->holes = used < b->n;
            b = &p->block[p->nblocks++];
            *b = (struct plc_block){.table = t->table, .addr = t->addr, .n = w};
            used = 0;
        } else if (t->addr + w > b->addr + b->n) {
            b->n = t->addr + w - b->addr;
        }
        used += w;
        b->ntags++;
        p->block_of[idx[i]] = (int)(b - p->block);
    }
    if (b)
        b->holes = used < b->n;
    return p->nblocks;
}

int plc_plan_count(const struct plc_plan *p, int table)
{
    if (table < 0)
        return p->nblocks;
    int n = 0;
    for (int i = 0; i < p->nblocks; i++)
        n += (int)p->block[i].table == table;
    return n;
}

/* ---- failures and the connection ------------------------------------------ */

static bool is_transaction_error(int e) { return e > MODBUS_ENOBASE; }

static uint64_t clock_us(const struct plc_link *l)
{
    return l->ops->clock_us ? l->ops->clock_us(l->ctx) : 0;
}

/* ---- the cycle's budget ----------------------------------------------------- */

/* What the next answer is expected to take: the third longest of the last
 * PLC_EST_RING answers, so one or two late answers (a scheduling hiccup)
 * put nothing off while a PLC that has become slow is judged so after three. */
static uint64_t estimate_us(const struct plc_link *l)
{
    uint64_t top[3] = {0, 0, 0}; /* largest first */
    for (int i = 0; i < PLC_EST_RING; i++) {
        uint64_t d = l->dur_us[i];
        for (int k = 0; k < 3; k++)
            if (d > top[k]) {
                uint64_t t = top[k];
                top[k] = d;
                d = t;
            }
    }
    return top[2];
}

/* May another request start, keeping room for `reserve` more after it? */
static bool budget_allows(const struct plc_link *l, int reserve)
{
    if (!l->stats.budget_us || !l->ops->clock_us)
        return true;
    uint64_t spent = clock_us(l) - l->cycle_t0_us;
    return spent + estimate_us(l) * (uint64_t)(1 + reserve) <= l->stats.budget_us;
}

/* Note how long a request that started at t0 took. */
static void request_done(struct plc_link *l, uint64_t t0)
{
    if (!l->ops->clock_us)
        return;
    uint64_t now = clock_us(l);
    l->dur_us[l->dur_head] = now - t0;
    l->dur_head = (l->dur_head + 1) % PLC_EST_RING;
    l->stats.cycle_io_us = now - l->cycle_t0_us;
}

void plc_cycle_begin(struct plc_link *l, uint64_t budget_us)
{
    struct plc_stats *s = &l->stats;
    s->budget_us = budget_us;
    s->cycle_reads = s->cycle_writes = 0;
    s->cycle_deferred_reads = s->cycle_deferred_writes = 0;
    s->cycle_io_us = 0;
    l->cycle_t0_us = clock_us(l);
}

/* ---- refusals ------------------------------------------------------------------ */

/* "read di:0+15 refused: Illegal data address" (a Modbus exception) or
 * "... failed: Invalid data" (another transaction error). */
static void refusal_text(char *buf, size_t len, const char *what, int e)
{
    bool exception = e > MODBUS_ENOBASE && e - MODBUS_ENOBASE < MODBUS_EXCEPTION_MAX;
    int r = snprintf(buf, len, "%s %s: %s", what, exception ? "refused" : "failed",
                     modbus_strerror(e));
    if (r >= (int)len && len > 4) /* cut: say so */
        memcpy(buf + len - 4, "...", 4);
}

int plc_refusals(const struct plc_link *l, char *buf, size_t len)
{
    int n = 0, need = l->cfg->plc.refused_cycles > 0 ? l->cfg->plc.refused_cycles : 1;
    size_t k = 0;
    if (len)
        buf[0] = '\0';
    const char *seen[PLC_MAX_BLOCKS + CFG_MAX_TAGS];
    for (int i = 0; i < l->plan.nblocks + l->cfg->ntags; i++) {
        bool rd = i < l->plan.nblocks;
        int j = rd ? i : i - l->plan.nblocks;
        if ((rd ? l->read_refused[j] : l->write_refused[j]) < need)
            continue;
        const char *t = rd ? l->read_refused_text[j] : l->write_refused_text[j];
        bool dup = false; /* the tags of one write request share its text */
        for (int m = 0; m < n && !dup; m++)
            dup = !strcmp(seen[m], t);
        if (dup)
            continue;
        seen[n++] = t;
        if (k < len)
            k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "; " : "", t);
    }
    return n;
}

/* Record a failure of `what` (a request, "connect ...") with errno `e`. */
static void note_error(struct plc_link *l, uint64_t now_ms, const char *what, int e)
{
    struct plc_stats *s = &l->stats;
    snprintf(s->last_error, sizeof s->last_error, "%s: %s", what, modbus_strerror(e));
    s->last_error_ms = now_ms;
    int code = e - MODBUS_ENOBASE;
    if (e > MODBUS_ENOBASE && code < MODBUS_EXCEPTION_MAX) {
        s->last_exception = code;
        snprintf(s->last_exception_text, sizeof s->last_exception_text, "%s", modbus_strerror(e));
    }
}

static void schedule_retry(struct plc_link *l, uint64_t now_ms)
{
    int cap = l->cfg->plc.reconnect_max_ms;
    if (cap < l->cfg->plc.reconnect_min_ms)
        cap = l->cfg->plc.reconnect_min_ms;
    l->stats.next_attempt_ms = now_ms + (uint64_t)l->backoff_ms;
    l->backoff_ms = l->backoff_ms > cap / 2 ? cap : 2 * l->backoff_ms;
}

static void link_down(struct plc_link *l, uint64_t now_ms)
{
    if (l->connected)
        l->ops->close(l->ctx);
    l->connected = false;
    l->stats.state = PLC_DOWN;
    schedule_retry(l, now_ms);
}

/* The link answered a transaction: it is up, and the backoff starts afresh. */
static void link_answered(struct plc_link *l)
{
    if (l->stats.state != PLC_UP && l->was_up)
        l->stats.reconnects++;
    l->stats.state = PLC_UP;
    l->was_up = true;
    l->backoff_ms = l->cfg->plc.reconnect_min_ms;
}

/* Connect if DOWN and due.  Returns true when connected. */
static bool ensure_connected(struct plc_link *l, uint64_t now_ms)
{
    if (l->connected)
        return true;
    if (now_ms < l->stats.next_attempt_ms)
        return false;
    if (l->ops->connect(l->ctx) != 0) {
        char what[96];
        int e = errno;
        snprintf(what, sizeof what, "connect %s:%d", l->cfg->plc.host, l->cfg->plc.port);
        note_error(l, now_ms, what, e);
        l->stats.connect_failures++;
        link_down(l, now_ms);
        return false;
    }
    l->connected = true;
    l->stats.state = PLC_CONNECTING;
    l->refresh_all = true;
    l->refreshing = false; /* a refresh begun before the loss starts again */
    return true;
}

/* A failed request: count it; flush and carry on (returns 0) after a
 * transaction error, or take the link down (returns -1). */
static int request_failed(struct plc_link *l, uint64_t now_ms, enum tag_table t, const char *what,
                          int e)
{
    l->stats.errors[t]++;
    note_error(l, now_ms, what, e);
    if (is_transaction_error(e)) {
        l->ops->flush(l->ctx);
        return 0;
    }
    link_down(l, now_ms);
    return -1;
}

/* ---- reading ---------------------------------------------------------------- */

/* Tag i was not read this cycle: its read failed (BAD_COMMS, STALE once
 * older than stale_ms) or, put_off, the budget left its block for later
 * (STALE: an old value, with its age; BAD_COMMS if never read). */
static void mark_unread(struct plc_link *l, int i, uint64_t now_ms, bool put_off)
{
    bool old =
        l->ever_read[i] && now_ms > l->read_ms[i] && now_ms - l->read_ms[i] > (uint64_t)l->stale_ms;
    l->val[i].q = (old || (put_off && l->ever_read[i])) ? Q_STALE : Q_BAD_COMMS;
}

static void decode_block(struct plc_link *l, int bi, const uint16_t *regs, const uint8_t *bits,
                         uint64_t now_ms)
{
    const struct plc_block *b = &l->plan.block[bi];
    for (int i = 0; i < l->cfg->ntags; i++) {
        if (l->plan.block_of[i] != bi)
            continue;
        const struct cfg_tag *t = &l->cfg->tags[i];
        int off = t->addr - b->addr;
        uint16_t one[1];
        const uint16_t *src = regs + off;
        if (is_bit_table(b->table)) {
            one[0] = bits[off] != 0;
            src = one;
        }
        double v = l->val[i].v;
        l->raw[i] = tag_raw(t, src);
        l->val[i].q = tag_decode(t, src, &v);
        l->val[i].v = v;
        l->read_ms[i] = now_ms;
        l->ever_read[i] = true;
    }
}

static void block_name(const struct plc_block *b, const char *verb, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s:%d+%d", verb, cfg_table_name(b->table), b->addr, b->n);
}

/* After a re-plan the blocks are new: a block counts as read when its
 * oldest tag was, and its refusals start again. */
static void blocks_from_tags(struct plc_link *l)
{
    memset(l->read_refused, 0, sizeof l->read_refused);
    for (int bi = 0; bi < l->plan.nblocks; bi++) {
        l->block_read[bi] = true;
        l->block_ok_ms[bi] = UINT64_MAX;
    }
    for (int i = 0; i < l->cfg->ntags; i++) {
        int bi = l->plan.block_of[i];
        if (bi < 0)
            continue;
        if (!l->ever_read[i])
            l->block_read[bi] = false;
        else if (l->read_ms[i] < l->block_ok_ms[bi])
            l->block_ok_ms[bi] = l->read_ms[i];
    }
    l->rr_next = 0;
}

/* Every block has been read at or after the time returned; false if one never was. */
static bool oldest_block(const struct plc_link *l, uint64_t *t)
{
    if (l->plan.nblocks == 0)
        return false;
    *t = UINT64_MAX;
    for (int bi = 0; bi < l->plan.nblocks; bi++) {
        if (!l->block_read[bi])
            return false;
        if (l->block_ok_ms[bi] < *t)
            *t = l->block_ok_ms[bi];
    }
    return true;
}

int plc_read_all(struct plc_link *l, uint64_t now_ms, struct tag_value *out)
{
    int ntags = l->cfg->ntags, failed = 0, ok = 0, rc = 0, nb = l->plan.nblocks;
    bool replan = false;
    bool done[PLC_MAX_BLOCKS] = {false}, put_off[PLC_MAX_BLOCKS] = {false};

    if (ensure_connected(l, now_ms)) {
        uint64_t t0 = clock_us(l);
        int k = 0;
        for (; k < nb; k++) {
            int bi = (l->rr_next + k) % nb;
            /* the cycle's first read always; later ones keep room for a write */
            if (l->stats.cycle_reads > 0 && !budget_allows(l, 1))
                break;
            const struct plc_block *b = &l->plan.block[bi];
            uint16_t regs[MODBUS_MAX_READ_REGISTERS];
            uint8_t bits[MODBUS_MAX_READ_BITS];
            uint64_t r0 = clock_us(l);
            int r = is_bit_table(b->table)
                        ? l->ops->read_bits(l->ctx, b->table, b->addr, b->n, bits)
                        : l->ops->read_regs(l->ctx, b->table, b->addr, b->n, regs);
            int e = errno;
            request_done(l, r0);
            l->stats.transactions[b->table]++;
            l->stats.cycle_reads++;
            char what[64];
            block_name(b, "read", what, sizeof what);
            if (r == 0) {
                decode_block(l, bi, regs, bits, now_ms);
                done[bi] = true;
                l->block_read[bi] = true;
                l->block_ok_ms[bi] = now_ms;
                l->read_refused[bi] = 0;
                ok++;
                continue;
            }
            if (request_failed(l, now_ms, b->table, what, e) < 0) {
                rc = -1;
                break;
            }
            l->read_refused[bi]++;
            refusal_text(l->read_refused_text[bi], sizeof l->read_refused_text[bi], what, e);
            failed++;
            if (e == EMBXILADD && b->holes && l->max_gap[b->table] > 0) {
                l->max_gap[b->table] = 0;
                replan = true;
            }
        }
        if (rc == 0 && nb > 0) {
            for (int j = k; j < nb; j++)
                put_off[(l->rr_next + j) % nb] = true;
            l->stats.cycle_deferred_reads = nb - k;
            l->stats.deferred += (unsigned long)(nb - k);
            l->rr_next = (l->rr_next + k) % nb;
        }
        uint64_t dt = clock_us(l) - t0;
        l->stats.rtt_us = dt;
        if (dt > l->stats.rtt_max_us)
            l->stats.rtt_max_us = dt;
        if (ok > 0 && rc == 0)
            link_answered(l);
        uint64_t t_all;
        if (rc == 0 && failed == 0 && oldest_block(l, &t_all)) {
            l->stats.ever_good = true;
            l->stats.last_good_read_ms = t_all;
        }
    } else {
        rc = -1;
    }

    for (int i = 0; i < ntags; i++) {
        int bi = l->plan.block_of[i];
        if (rc < 0 || bi < 0 || !done[bi])
            mark_unread(l, i, now_ms, rc == 0 && bi >= 0 && put_off[bi]);
    }
    if (replan) {
        plc_plan_build(&l->plan, l->cfg, l->max_gap);
        l->stats.replans++;
        blocks_from_tags(l);
    }
    if (out)
        memcpy(out, l->val, (size_t)ntags * sizeof *out);
    return rc < 0 ? -1 : failed;
}

/* ---- writing ---------------------------------------------------------------- */

static int check_writable(const struct plc_link *l, int tag, char *err, size_t errlen)
{
    if (tag < 0 || tag >= l->cfg->ntags) {
        snprintf(err, errlen, "no tag number %d in the map", tag);
        return -1;
    }
    const struct cfg_tag *t = &l->cfg->tags[tag];
    if (!t->writable || (t->table != TAG_HR && t->table != TAG_CO)) {
        snprintf(err, errlen, "%s: not writable (set writable = yes on a hr or co tag)", t->name);
        return -1;
    }
    return 0;
}

static bool pending(const struct plc_link *l, int i)
{
    return l->is_staged[i] &&
           (!l->is_written[i] || memcmp(l->staged[i], l->written[i], sizeof l->staged[i]));
}

int plc_write(struct plc_link *l, int tag, double eng, char *err, size_t errlen)
{
    uint16_t regs[2] = {0, 0};
    if (check_writable(l, tag, err, errlen) < 0 ||
        tag_encode(&l->cfg->tags[tag], eng, regs, err, errlen) < 0)
        return -1;
    bool was_pending = pending(l, tag);
    memcpy(l->staged[tag], regs, sizeof regs);
    l->is_staged[tag] = true;
    if (!was_pending)
        l->stage_seq[tag] = ++l->seq;
    return 0;
}

/* Does tag b continue the holding-register run that ends with tag a? */
static bool extends_run(const struct cfg *c, int a, int b, int run_n)
{
    const struct cfg_tag *ta = &c->tags[a], *tb = &c->tags[b];
    return ta->table == TAG_HR && tb->table == TAG_HR && tb->addr == ta->addr + tag_width(ta) &&
           run_n + tag_width(tb) <= MODBUS_MAX_WRITE_REGISTERS;
}

/* The request that starts at list[k]: a contiguous ascending run of holding
 * registers, packed into buf.  Returns the index after it; *run_n registers. */
static int run_end(const struct plc_link *l, const int *list, uint16_t (*vals)[2], int n, int k,
                   uint16_t *buf, int *run_n)
{
    int end = k;
    *run_n = 0;
    do {
        int w = tag_width(&l->cfg->tags[list[end]]);
        memcpy(buf + *run_n, vals[end], (size_t)w * sizeof buf[0]);
        *run_n += w;
        end++;
    } while (end < n && extends_run(l->cfg, list[end - 1], list[end], *run_n));
    return end;
}

/* Write list[k] = vals[k] for k in 0..n-1, in list order, a contiguous
 * ascending run of holding registers in one request.  With `remember`, what
 * each successful request carried becomes the tag's last written value and
 * the tags' refusals are counted; with `budgeted`, a request that does not
 * fit the cycle's budget is not sent (nor any after it; counted in
 * cycle_deferred_writes), the cycle's first write excepted.  Returns the
 * requests sent; -1 on a link error, or with `stop_on_error` on the first
 * refused request. */
static int write_list(struct plc_link *l, uint64_t now_ms, const int *list, uint16_t (*vals)[2],
                      int n, bool remember, bool stop_on_error, bool budgeted)
{
    int sent = 0;
    bool put_off = false;
    for (int k = 0; k < n;) {
        const struct cfg_tag *t = &l->cfg->tags[list[k]];
        uint16_t buf[MODBUS_MAX_WRITE_REGISTERS];
        int run_n;
        int end = run_end(l, list, vals, n, k, buf, &run_n);
        if (budgeted && !put_off && l->stats.cycle_writes > 0 && !budget_allows(l, 0))
            put_off = true;
        if (put_off) {
            l->stats.cycle_deferred_writes++;
            l->stats.deferred++;
            k = end;
            continue;
        }
        uint64_t r0 = clock_us(l);
        int r = t->table == TAG_CO ? l->ops->write_bit(l->ctx, t->addr, vals[k][0] != 0)
                                   : l->ops->write_regs(l->ctx, t->addr, run_n, buf);
        int e = errno;
        request_done(l, r0);
        l->stats.transactions[t->table]++;
        l->stats.cycle_writes++;
        sent++;
        if (r == 0) {
            link_answered(l);
            for (int j = k; remember && j < end; j++) {
                memcpy(l->written[list[j]], vals[j], sizeof vals[j]);
                l->is_written[list[j]] = true;
                l->refreshed[list[j]] = true;
                l->write_refused[list[j]] = 0;
            }
        } else {
            char what[64 + CFG_NAME_MAX];
            if (t->table == TAG_CO || run_n == 1)
                snprintf(what, sizeof what, "write %s:%d %s", cfg_table_name(t->table), t->addr,
                         t->name);
            else
                snprintf(what, sizeof what, "write %s:%d+%d %s...", cfg_table_name(t->table),
                         t->addr, run_n, t->name);
            if (request_failed(l, now_ms, t->table, what, e) < 0)
                return -1;
            for (int j = k; remember && j < end; j++) { /* pending: sent again next time */
                l->is_written[list[j]] = false;
                l->write_refused[list[j]]++;
                refusal_text(l->write_refused_text[list[j]], sizeof l->write_refused_text[0],
                             what, e);
            }
            if (stop_on_error)
                return -1;
        }
        k = end;
    }
    return sent;
}

int plc_flush_writes(struct plc_link *l, uint64_t now_ms)
{
    if (!l->connected)
        return -1;
    long period_ms = (long)l->cfg->plc.write_refresh_s * 1000;
    /* a refresh lasts until every staged output has been written once
     * (the budget may spread it over several cycles) */
    if (!l->refreshing &&
        (l->refresh_all || (period_ms > 0 && now_ms - l->last_refresh_ms >= (uint64_t)period_ms))) {
        l->refreshing = true;
        memset(l->refreshed, 0, sizeof l->refreshed);
    }
    bool all = l->refreshing;
    int list[CFG_MAX_TAGS] = {0}, n = 0;
    uint16_t vals[CFG_MAX_TAGS][2] = {{0}};

    for (int i = 0; i < l->cfg->ntags; i++)
        if (l->is_staged[i] && ((all && !l->refreshed[i]) || pending(l, i)))
            list[n++] = i;
    for (int i = 1; i < n; i++) { /* order of staging */
        int k = list[i], j = i;
        for (; j > 0 && l->stage_seq[list[j - 1]] > l->stage_seq[k]; j--)
            list[j] = list[j - 1];
        list[j] = k;
    }
    for (int k = 0; k < n; k++)
        memcpy(vals[k], l->staged[list[k]], sizeof vals[k]);

    int before = l->stats.cycle_deferred_writes;
    int sent = write_list(l, now_ms, list, vals, n, true, false, true);
    if (sent >= 0 && all && l->stats.cycle_deferred_writes == before) {
        l->refreshing = l->refresh_all = false;
        l->last_refresh_ms = now_ms;
    }
    return sent;
}

void plc_writes_forget(struct plc_link *l)
{
    memset(l->is_staged, 0, sizeof l->is_staged);
    memset(l->is_written, 0, sizeof l->is_written);
    memset(l->write_refused, 0, sizeof l->write_refused);
}

int plc_write_now(struct plc_link *l, const int *tags, const double *eng, int n, uint64_t now_ms,
                  char *err, size_t errlen)
{
    uint16_t vals[CFG_MAX_TAGS][2] = {{0}};
    if (n < 0 || n > CFG_MAX_TAGS) {
        snprintf(err, errlen, "%d values: at most %d at once", n, CFG_MAX_TAGS);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        vals[k][0] = vals[k][1] = 0;
        if (check_writable(l, tags[k], err, errlen) < 0 ||
            tag_encode(&l->cfg->tags[tags[k]], eng[k], vals[k], err, errlen) < 0)
            return -1;
    }
    if (!l->connected) {
        snprintf(err, errlen, "PLC link down (%s)", l->stats.last_error);
        return -1;
    }
    if (write_list(l, now_ms, tags, vals, n, false, true, false) < 0) {
        snprintf(err, errlen, "%s", l->stats.last_error);
        return -1;
    }
    return 0;
}

/* ---- the link ----------------------------------------------------------------- */

void plc_open(struct plc_link *l, const struct cfg *c, const struct plc_ops *ops, void *ctx,
              uint64_t now_ms)
{
    memset(l, 0, sizeof *l);
    l->cfg = c;
    l->ops = ops;
    l->ctx = ctx;
    memcpy(l->max_gap, plan_default_gap, sizeof l->max_gap);
    plc_plan_build(&l->plan, c, l->max_gap);
    l->stale_ms = PLC_STALE_CYCLES * c->cycle.period_ms;
    l->backoff_ms = c->plc.reconnect_min_ms;
    l->stats.state = PLC_DOWN;
    l->stats.next_attempt_ms = now_ms;
    for (int i = 0; i < CFG_MAX_TAGS; i++)
        l->val[i] = (struct tag_value){.v = 0, .q = Q_BAD_COMMS};
}

void plc_close(struct plc_link *l)
{
    if (l->connected)
        l->ops->close(l->ctx);
    l->connected = false;
    l->stats.state = PLC_DOWN;
}

const char *plc_state_name(enum plc_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

/* ---- libmodbus ------------------------------------------------------------------ */

/* libmodbus waits for the connection at most the response timeout and, when
 * that expires, returns -1 with errno still EINPROGRESS: say what happened. */
static int mb_connect(void *ctx)
{
    int rc = modbus_connect(ctx);
    if (rc < 0 && errno == EINPROGRESS)
        errno = ETIMEDOUT;
    return rc;
}

static void mb_close(void *ctx) { modbus_close(ctx); }

static int mb_done(int rc, int n)
{
    if (rc == n)
        return 0;
    if (rc >= 0)
        errno = EMBBADDATA; /* a short answer: the stream is intact, the data is not */
    return -1;
}

static int mb_read_regs(void *ctx, enum tag_table table, int addr, int n, uint16_t *dst)
{
    int rc = table == TAG_IR ? modbus_read_input_registers(ctx, addr, n, dst)
                             : modbus_read_registers(ctx, addr, n, dst);
    return mb_done(rc, n);
}

static int mb_read_bits(void *ctx, enum tag_table table, int addr, int n, uint8_t *dst)
{
    int rc = table == TAG_DI ? modbus_read_input_bits(ctx, addr, n, dst)
                             : modbus_read_bits(ctx, addr, n, dst);
    return mb_done(rc, n);
}

static int mb_write_regs(void *ctx, int addr, int n, const uint16_t *src)
{
    return mb_done(modbus_write_registers(ctx, addr, n, src), n);
}

static int mb_write_bit(void *ctx, int addr, int value)
{
    return mb_done(modbus_write_bit(ctx, addr, value), 1);
}

static void mb_flush(void *ctx) { modbus_flush(ctx); }

static uint64_t mb_clock_us(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const struct plc_ops plc_modbus_ops = {
    .connect = mb_connect,
    .close = mb_close,
    .read_regs = mb_read_regs,
    .read_bits = mb_read_bits,
    .write_regs = mb_write_regs,
    .write_bit = mb_write_bit,
    .flush = mb_flush,
    .clock_us = mb_clock_us,
};

static void set_timeout(modbus_t *mb, int ms, int (*set)(modbus_t *, uint32_t, uint32_t))
{
    set(mb, (uint32_t)(ms / 1000), (uint32_t)(ms % 1000) * 1000u);
}

void *plc_modbus_new(const struct cfg_plc *p, char *err, size_t errlen)
{
    struct in_addr a;
    if (inet_pton(AF_INET, p->host, &a) != 1) {
        snprintf(err, errlen,
                 "[plc] host = \"%s\": expected an IPv4 address (libmodbus TCP), e.g. 127.0.0.1",
                 p->host);
        return NULL;
    }
    modbus_t *mb = modbus_new_tcp(p->host, p->port);
    if (!mb) {
        snprintf(err, errlen, "[plc] %s:%d: %s", p->host, p->port, modbus_strerror(errno));
        return NULL;
    }
    if (modbus_set_slave(mb, p->unit_id) != 0) {
        snprintf(err, errlen, "[plc] unit_id = %d: %s", p->unit_id, modbus_strerror(errno));
        modbus_free(mb);
        return NULL;
    }
    set_timeout(mb, p->response_timeout_ms, modbus_set_response_timeout);
    set_timeout(mb, p->byte_timeout_ms, modbus_set_byte_timeout);
    modbus_set_error_recovery(mb, MODBUS_ERROR_RECOVERY_NONE);
    return mb;
}

void plc_modbus_free(void *ctx)
{
    if (ctx) {
        modbus_close(ctx);
        modbus_free(ctx);
    }
}
