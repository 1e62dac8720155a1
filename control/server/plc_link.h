/* plc_link — the Modbus TCP link to the furnace PLC (or meltsim).
 *
 * Reads are planned once, at plc_open(), into the fewest transactions the
 * map allows: per table, the tags sorted by address are packed greedily into
 * contiguous blocks of at most 125 registers / 2000 bits, a block taking in
 * an unused gap of up to 8 registers / 64 bits (reading a few spare words
 * is cheaper than another round trip).  If the PLC refuses a block with a
 * gap ("illegal data address": it does not serve unmapped addresses), that
 * table is planned again without gaps and the next cycle reads it that way.
 *
 * Two kinds of failure (libmodbus returns -1 and sets errno):
 *   transaction error  errno > MODBUS_ENOBASE: the PLC answered with a
 *                      Modbus exception, or the reply was malformed.  The
 *                      link is alive: modbus_flush(), count it, mark that
 *                      block's tags BAD_COMMS and carry on with the others.
 *   link error         any system errno (ETIMEDOUT, ECONNRESET, EPIPE,
 *                      ECONNREFUSED, EBADF ...): the connection cannot be
 *                      trusted (a late reply would desynchronise the stream).
 *                      Close it, state DOWN, every tag BAD_COMMS, and
 *                      reconnect with exponential backoff.
 * MODBUS_ERROR_RECOVERY_LINK is never used: recovery is ours, bounded, and
 * driven by now_ms.  No call blocks longer than the configured response
 * timeout per transaction (libmodbus also bounds connect() by it).
 *
 * The cycle's budget (plc_cycle_begin): the requests of one cycle start only
 * while the time spent since plc_cycle_begin plus the expected answer time
 * (the third longest of the last PLC_EST_RING answers: one or two late ones
 * are a hiccup, three a slow PLC) fits the budget (reads keep room for one
 * write), the
 * cycle's first read and first write excepted, so every cycle reads and
 * writes something however slow the PLC.  Reads go round the plan, each
 * cycle starting at the block after the last one read; a block put off is
 * read in a later cycle and its tags are STALE (with read_ms, their age)
 * until then.  Writes put off stay staged and go first in the next cycle
 * (the order of staging).  Without plc_cycle_begin, or with the budget 0,
 * or with ops that have no clock, nothing is put off.
 *
 * Refusals: a read block or a write request that fails with a transaction
 * error (the PLC answers with an exception) is counted per block and per
 * written tag, in a row; plc_refusals() names those refused
 * [plc] refused_cycles times in a row, for the refused alarm.
 *
 * Time: every decision uses `now_ms` from the caller (process or monotonic
 * time); the ops' optional clock measures round-trip times and the cycle's
 * budget.
 * No threads, no globals, no allocation (plc_modbus_new aside).
 */
#ifndef MELTCON_PLC_LINK_H
#define MELTCON_PLC_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "tag.h"

#define PLC_TABLES 4                /* enum tag_table: ir hr di co */
#define PLC_MAX_BLOCKS CFG_MAX_TAGS /* worst case: one block per tag */
#define PLC_STALE_CYCLES 8          /* default stale age, in cycle periods */
#define PLC_EST_RING 8              /* answers that predict the next one */
#define PLC_REFUSAL_TEXT 80         /* "read di:0+15 refused: Illegal data address" */

enum plc_state {
    PLC_DOWN,       /* not connected; next attempt at stats.next_attempt_ms */
    PLC_CONNECTING, /* TCP connected, no transaction answered yet (e.g. wrong unit id) */
    PLC_UP,         /* connected and answering */
};

/* The transport.  Each call returns 0 on success or -1 with errno set the
 * libmodbus way (errno > MODBUS_ENOBASE for a Modbus exception or a bad
 * reply, a system errno for an I/O failure).  Tests plug in a fake. */
struct plc_ops {
    int (*connect)(void *ctx);
    void (*close)(void *ctx);
    /* table TAG_IR or TAG_HR; dst[0..n-1] */
    int (*read_regs)(void *ctx, enum tag_table table, int addr, int n, uint16_t *dst);
    /* table TAG_DI or TAG_CO; dst[i] is 0 or 1 */
    int (*read_bits)(void *ctx, enum tag_table table, int addr, int n, uint8_t *dst);
    int (*write_regs)(void *ctx, int addr, int n, const uint16_t *src);
    int (*write_bit)(void *ctx, int addr, int value);
    void (*flush)(void *ctx);        /* drop whatever is pending on the link */
    uint64_t (*clock_us)(void *ctx); /* monotonic microseconds, for statistics; may be NULL */
};

/* One read transaction. */
struct plc_block {
    enum tag_table table;
    int addr, n; /* first address, registers or bits read */
    int ntags;
    bool holes; /* reads addresses no tag uses */
};

struct plc_plan {
    int nblocks;
    struct plc_block block[PLC_MAX_BLOCKS]; /* by table, then address */
    int block_of[CFG_MAX_TAGS];             /* tag index -> block */
};

/* For maintenance: what the link did and what went wrong last. */
struct plc_stats {
    enum plc_state state;
    unsigned long transactions[PLC_TABLES]; /* reads and writes, per table */
    unsigned long errors[PLC_TABLES];       /* failed ones */
    int last_exception;                     /* Modbus exception code 1..11, 0 none yet */
    char last_exception_text[64];           /* modbus_strerror() of it */
    char last_error[160];                   /* last failure of any kind, with the request */
    uint64_t last_error_ms;
    uint64_t rtt_us, rtt_max_us; /* last read cycle, and the largest */
    unsigned long reconnects;    /* links re-established after a loss */
    unsigned long connect_failures;
    unsigned long replans;    /* tables re-planned without gaps */
    uint64_t next_attempt_ms; /* when DOWN: next connect attempt */
    bool ever_good;
    uint64_t last_good_read_ms; /* every block has been read at or after this time */
    /* the cycle's budget (plc_cycle_begin) */
    unsigned long deferred;       /* requests put off to a later cycle, since open */
    int cycle_reads, cycle_writes; /* requests sent in this cycle */
    int cycle_deferred_reads, cycle_deferred_writes; /* put off in this cycle */
    uint64_t cycle_io_us;         /* time the cycle's requests took (with a clock) */
    uint64_t budget_us;           /* this cycle's budget, 0: none */
};

/* The link.  Read stats, plan and val; the rest is the link's own. */
struct plc_link {
    const struct cfg *cfg; /* kept: must outlive the link */
    const struct plc_ops *ops;
    void *ctx;
    struct plc_plan plan;
    struct plc_stats stats;
    int stale_ms; /* no good read for this long: Q_STALE (default 8 periods) */
    struct tag_value val[CFG_MAX_TAGS];
    double raw[CFG_MAX_TAGS]; /* raw register value of the last read, for diagnostics */

    int max_gap[PLC_TABLES];
    bool connected, was_up;
    int backoff_ms;
    uint64_t read_ms[CFG_MAX_TAGS];
    bool ever_read[CFG_MAX_TAGS];
    uint16_t staged[CFG_MAX_TAGS][2], written[CFG_MAX_TAGS][2];
    bool is_staged[CFG_MAX_TAGS], is_written[CFG_MAX_TAGS];
    unsigned long stage_seq[CFG_MAX_TAGS], seq;
    uint64_t last_refresh_ms;
    bool refresh_all;
    bool refreshing;                /* a refresh under way: ... */
    bool refreshed[CFG_MAX_TAGS];   /* ... these written since it began */
    /* the cycle's budget */
    uint64_t cycle_t0_us;
    uint64_t dur_us[PLC_EST_RING]; /* the last answers' times */
    int dur_head;
    int rr_next; /* block the next cycle's reads start at */
    bool block_read[PLC_MAX_BLOCKS];
    uint64_t block_ok_ms[PLC_MAX_BLOCKS]; /* last good read of each block */
    /* refusals in a row, and what was refused */
    int read_refused[PLC_MAX_BLOCKS];
    char read_refused_text[PLC_MAX_BLOCKS][PLC_REFUSAL_TEXT];
    int write_refused[CFG_MAX_TAGS];
    char write_refused_text[CFG_MAX_TAGS][PLC_REFUSAL_TEXT];
};

/* Plan the reads of every tag of `c` (all four tables: holding registers and
 * coils too, to read outputs back).  max_gap[table] is the largest unused
 * span a block may take in (NULL: the defaults, 8 registers / 64 bits).
 * Returns the number of blocks. */
int plc_plan_build(struct plc_plan *p, const struct cfg *c, const int *max_gap);

/* Transactions per read cycle for one table, or for all with table < 0. */
int plc_plan_count(const struct plc_plan *p, int table);

/* Set up the link over `ops`/`ctx` and plan the reads.  Nothing is sent: the
 * first plc_read_all() connects.  Every value starts BAD_COMMS. */
void plc_open(struct plc_link *l, const struct cfg *c, const struct plc_ops *ops, void *ctx,
              uint64_t now_ms);

/* Close the connection (if any).  The link may be used again: it reconnects. */
void plc_close(struct plc_link *l);

/* Begin one control cycle's PLC I/O: the reads and writes until the next
 * call share budget_us microseconds (0: no budget), measured on the ops'
 * clock from now.  See 'The cycle's budget' above. */
void plc_cycle_begin(struct plc_link *l, uint64_t budget_us);

/* One read cycle: connect if DOWN and the backoff has expired, run the plan
 * (within the cycle's budget), decode every tag with its quality into l->val
 * and, if `out` is not NULL, into out[] (indexed like cfg->tags).  A tag
 * whose read failed keeps its last value and reads BAD_COMMS, or STALE once
 * its last good read is older than stale_ms; a tag whose block the budget
 * put off reads STALE (BAD_COMMS if never read).  Returns the number of
 * blocks that failed with a transaction error (0: all read or put off), or
 * -1 when the link is down. */
int plc_read_all(struct plc_link *l, uint64_t now_ms, struct tag_value *out);

/* The reads and writes refused (or failed with another transaction error)
 * at least [plc] refused_cycles times in a row, as "read di:0+15 refused:
 * Illegal data address; write hr:0 firing_demand refused: ...", into buf.
 * Returns how many ("" and 0: none). */
int plc_refusals(const struct plc_link *l, char *buf, size_t len);

/* Stage `eng` for the writable tag `tag` (index in cfg->tags).  The value is
 * encoded now: a value the tag cannot take (out of range, not finite, not
 * writable) returns -1 with the sentence in err and stages nothing.  A tag
 * staged again before the flush keeps its place in the order and takes the
 * new value. */
int plc_write(struct plc_link *l, int tag, double eng, char *err, size_t errlen);

/* Write what was staged and differs from what was last written, plus, every
 * write_refresh_s and after each (re)connect, every staged output.  Order:
 * the order of staging; a run of consecutive staged holding registers at
 * ascending contiguous addresses goes in one write_registers request.  A run
 * the PLC refuses (exception) stays pending and the flush carries on, so one
 * refused output never starves the heartbeat.  Returns the number of write
 * requests sent, or -1 if the link is down or failed.  Requests that do not
 * fit the cycle's budget stay staged for the next flush (counted in
 * stats.cycle_deferred_writes). */
int plc_flush_writes(struct plc_link *l, uint64_t now_ms);

/* Forget every staged and written value: the next flush writes nothing
 * until outputs are staged again, and then writes every one of them, equal
 * to what was last written or not (the PLC may hold another master's
 * values).  For a controller that has stopped writing (core_writes_suspended). */
void plc_writes_forget(struct plc_link *l);

/* Write tags[0..n-1] = eng[0..n-1] now, in this order, and forget them: they
 * are not staged and never refreshed (the command handshake: cmd_code,
 * cmd_arg, then cmd_seq; refreshing an old cmd_seq after a PLC restart could
 * repeat a command).  Every value is encoded first; one refusal writes
 * nothing.  Consecutive ascending contiguous registers share one request (the
 * PLC receives them together, in address order).  Stops at the first failed
 * request.  Never put off by the cycle's budget (it counts against it).
 * Returns 0, or -1 with the reason in err. */
int plc_write_now(struct plc_link *l, const int *tags, const double *eng, int n, uint64_t now_ms,
                  char *err, size_t errlen);

/* "DOWN" "CONNECTING" "UP" */
const char *plc_state_name(enum plc_state s);

/* ---- the real transport: libmodbus over TCP -------------------------------- */

/* A libmodbus TCP context for cfg->plc: host (an IPv4 address), port,
 * unit id, response and byte timeouts, error recovery off.  Not connected.
 * Returns NULL with the reason in err.  Use it as the ctx of plc_modbus_ops. */
void *plc_modbus_new(const struct cfg_plc *p, char *err, size_t errlen);
void plc_modbus_free(void *ctx);

extern const struct plc_ops plc_modbus_ops;

#endif
