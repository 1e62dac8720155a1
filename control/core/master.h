/* master — is another Modbus master writing this furnace's PLC?
 *
 * Modbus cannot arbitrate masters: a second control server, a SCADA or a
 * maintenance tool can write the registers this server writes, and the two
 * then fight over the outputs.  The PLC's read-back tells, in three states.
 *
 * Listening, before the core writes anything (at start, and again after a
 * release): the PLC never writes the registers a console writes
 * (plc_contract.h), so a writable register that moves while we are silent
 * was written by someone else, a running server's heartbeat first of all:
 * tripped at once, without a write.  The core starts writing only after
 * MASTER_LISTEN quiet reads, so a second server stands down before it
 * disturbs the one in control.
 *
 * Writing: every register the core writes (the demands, the command
 * registers, the console heartbeat) must read back what was last written:
 *
 *   expected   decode(encode(value)): what the register holds once written,
 *              through the tag codec, so scaling never looks like a mismatch
 *   latency    a value written at the end of step N may not yet show in the
 *              read of step N+1 (a PLC or gateway may apply it at its next
 *              scan): in that read the value before it is accepted too (any
 *              value, after the first write); from step N+2 on, only it
 *   trip       MASTER_PERSIST consecutive reads of one register that match
 *              neither: a single glitch never trips
 *   forget     a step whose read or whose previous writes failed (link
 *              down, a write refused) forgets what was written: the PLC may
 *              hold anything, and the link writes every output again
 *   stale      a register whose block was not read this step (STALE: the
 *              link's per-cycle budget put it off) is not judged, and its
 *              last read stays the one the next read is compared with
 *
 * Tripped: the core stops writing (master_release() ends it, on an
 * engineer's acknowledgement) and the watch turns to the register image:
 * the other master is still active while a watched register has changed
 * within MASTER_QUIET_S (we write nothing, so whoever changed it is the
 * other master).  That is the condition of the alarm of kind foreign_master.
 *
 * Pure: the tag image, the link's state and the monotonic time are passed
 * in.  No I/O, no clock, no globals.
 */
#ifndef MELTCON_MASTER_H
#define MELTCON_MASTER_H

#include <stdbool.h>

#include "cfg.h"
#include "tag.h"

#define MASTER_PERSIST 3       /* consecutive mismatching reads of one register to trip */
#define MASTER_LISTEN 3        /* quiet reads (compared with the one before) before writing */
#define MASTER_QUIET_S 2.0     /* tripped: no watched register changed this long = the
                                  other master has stopped (monotonic s) */
#define MASTER_DETAIL_MAX 100  /* the alarm's detail: registers, wrote, read */
#define MASTER_TEXT_MAX 400    /* the journal's sentence */

struct master_reg {
    bool known;         /* written since the last forget */
    double cur;         /* the last value written, as it reads back */
    double old;         /* the value before it (has_old) */
    bool has_old;
    unsigned long step; /* step in which cur was written */
    int bad;            /* consecutive reads matching neither */
    double wrote, read; /* of the last mismatch, for the messages */
    bool has_rb;        /* last_rb holds the read of the previous step */
    double last_rb;
};

struct master {
    const struct cfg *cfg;
    unsigned long step;
    bool writing;       /* master_wrote() since init or release: no longer listening */
    int listened;       /* consecutive quiet reads while listening */
    bool tripped;       /* writes suspended until master_release() */
    bool tripped_now;   /* tripped in the last master_step() */
    bool active;        /* the alarm's condition: tripped and the other master still writing */
    double t_activity;  /* monotonic time a watched register last moved while tripped */
    struct master_reg reg[CFG_MAX_TAGS]; /* by tag index */
    char detail[MASTER_DETAIL_MAX];      /* "console_heartbeat hr:20 wrote 12 read 57, ..." */
    char text[MASTER_TEXT_MAX];          /* every mismatching register, for the journal */
};

void master_init(struct master *m, const struct cfg *c);

/* One read: listen, or compare the decoded image with what was written in
 * the steps before, or watch it while tripped.  ok: the link read the image
 * this step and the previous step's writes were all accepted (false
 * forgets, see the top).  t_mono: monotonic seconds.  Sets listened,
 * tripped_now, tripped, active, detail and text.  The core may start
 * writing once listened >= MASTER_LISTEN. */
void master_step(struct master *m, const struct tag_value *tags, bool ok, double t_mono);

/* The core wrote `value` to the writable tag `tag` in this step.  A value
 * the codec refuses is not written by the link either: forgotten. */
void master_wrote(struct master *m, int tag, double value);

/* An engineer gave the outputs back: untrip, forget every write, listen. */
void master_release(struct master *m);

#endif
