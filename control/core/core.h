/* core — the control core of one furnace, as one functional step.
 *
 * Decoded tags in, demands out: core_step() evaluates the alarms, steps
 * the melt-phase sequencer and the loops, advances the PLC command
 * handshake and produces the values to write.  Operator requests go
 * through core_request(), the one gate every change passes: role ->
 * limits -> permissives -> (PLC handshake, advanced by core_step) ->
 * result.  No I/O, no clock, no globals: the server feeds it from the PLC
 * link, the closed-loop harness from the simulator's physics.
 *
 * Two times are passed in: process time (plc_clock under a sped-up
 * simulator) for control and phase timers, and monotonic time for what
 * must be judged on the wall clock even when the PLC's clock stops (a
 * frozen PLC heartbeat, a command that is never answered).
 */
#ifndef MELTCON_CORE_H
#define MELTCON_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "alarm.h"
#include "cfg.h"
#include "core_view.h"
#include "input.h"
#include "loops.h"
#include "master.h"
#include "perm.h"
#include "plant.h"
#include "seq.h"
#include "tag.h"

enum core_role { ROLE_VIEWER, ROLE_OPERATOR, ROLE_ENGINEER };

#define CORE_QUEUE 16      /* PLC commands waiting for the handshake */
#define CORE_RESULTS 64    /* results and events not yet taken by the shell */
#define CORE_CHANGES 48    /* bases whose last change (who, when) is remembered */

/* The last change of one base (core_current's key): to what, by whom, and
 * the shell's time of day ("" when the core made it itself). */
struct core_change {
    char key[64];
    char value[48];
    char by[CFG_NAME_MAX + 16];
    char when[16];
};

/* One request, as a client sent it plus who sent it (the protocol's
 * request, control/wire/snap.h, has the same text sizes: snap_view.c checks).
 * reason holds INPUT_REASON_CHARS characters of UTF-8 whole (input.h). */
struct core_req {
    long id;
    int client;                 /* opaque to the core, echoed in the result */
    enum core_role role;
    char user[CFG_NAME_MAX];
    char origin[48];            /* tty or SSH client */
    char verb[16], target[64], value[64], reason[INPUT_REASON_SIZE];
    double t_made;              /* monotonic s (as core_times.t_mono) when the client
                                   made it, 0: not known; a command still queued
                                   [server] request_max_age_ms after it is not sent */
    char expect[64];            /* the base value the operator saw ("" none): the
                                   change is made only while it is still that value
                                   (core_current; core_cas.c) */
    char when[16];              /* the shell's time of day as the request was read
                                   ("10:42"), for the sentences of later refusals */
    char scrap[CFG_NAME_MAX];   /* a charge: its scrap class ("" [limits] default_scrap) */
};

/* A finished request or a core event, with everything the journal line and
 * the reply need.  client < 0: not a reply (an event of the core). */
struct core_result {
    long id;
    int client;
    bool ok;
    double t;                   /* process time */
    char user[CFG_NAME_MAX];
    char origin[48];
    char kind[16];              /* set, cmd, ack, shelve, phase, alarm, loop, ... */
    char what[64];              /* bath.sp, sc_door_open, roof_h, ... */
    char old_v[48], new_v[48];
    char reason[INPUT_REASON_SIZE]; /* as given; escaped (input_escape) when refused as unprintable */
    char text[600];             /* the sentence: what changed, or why refused */
};

/* One value to write: tag index and engineering value. */
struct core_write {
    int tag;
    double value;
};

struct core_times {
    double t_proc;              /* process time now (s) */
    double dt_proc;             /* since the previous step (s) */
    double t_mono;              /* monotonic time now (s) */
};

struct core_status {
    bool link_up;               /* the PLC link read the image this cycle */
    bool disk_ok;               /* journal and historian writing */
    bool writes_failed;         /* some of the previous cycle's writes were refused or not
                                   sent: the read-back cannot be judged against them */
    bool overrun;               /* cycles overrun (alarm kind overrun) */
    const char *overrun_note;   /* what did not fit, for the alarm; NULL: none */
    bool refused;               /* the PLC keeps refusing a read or write (kind refused) */
    const char *refused_note;   /* which, for the alarm; NULL: none */
};

struct core_cmd {
    struct core_req req;
    enum perm_cmd pcmd;
    enum plc_cmd code;
    int arg;                    /* cmd_arg register */
    char label[64];
};

struct core {
    const struct cfg *cfg;
    const struct cfg_program *prog;
    struct plant_map pmap;
    struct plant plant;
    struct loops loops;
    struct alarms alarms;
    struct seq seq;
    double t_proc, t_mono;
    bool started;               /* outputs initialised from the plant */
    bool loops_live;            /* the loops stepped in the last cycle (the link up, started);
                                   else they hold, and no bad PV's hold counts down */
    int start_waits;            /* live cycles waited for a good read-back */
    /* PLC heartbeat watch (monotonic) */
    double hb_last, hb_t_change;
    bool hb_seen;               /* a GOOD heartbeat has been read since the link came up */
    bool plc_stale;
    uint16_t console_hb;
    /* the handshake: one command in flight, the rest queued in order */
    bool busy;
    struct core_cmd cur;
    uint16_t seq_no;
    double t_sent;              /* monotonic */
    int nqueue;
    struct core_cmd queue[CORE_QUEUE];
    /* pump: the program's speed for the phase, or the operator's */
    double pump_pct;
    bool pump_manual;
    /* outputs of the last step */
    int nwrites;
    struct core_write writes[CFG_MAX_TAGS];
    bool cmd_write;             /* send cmd_out this cycle, once, in order (never staged) */
    struct core_write cmd_out[3]; /* cmd_code, cmd_arg, cmd_seq */
    /* results for the shell */
    int nresults;
    struct core_result results[CORE_RESULTS];
    unsigned long results_dropped;
    /* tag indices used directly */
    int t_cmd_code, t_cmd_arg, t_cmd_seq, t_console_hb, t_pump_demand, t_firing_demand;
    int hc_loop;                /* the loop driving firing_demand, -1 if none */
    /* another master writing the PLC: while tripped, nothing is written */
    struct master master;
    int master_alarm;           /* index in alarms of the foreign_master alarm */
    int sc_loop, bath_loop;
    /* the push feed-forward (loops_charge_ff): scrap pushed, when (process time, -1 none) */
    double ff_mass_kg, ff_t0;
    /* the class of the last charge the PLC accepted, NULL none since the first start (kept
     * across restarts: core_state_save); the loops' priority follows it (loops_prio_on) */
    const struct cfg_scrap *charge_scrap;
    /* the record (journal, loops' state) cannot be written: the gate carries
     * out only changes toward the safe state (core_set_record) */
    bool record_down;
    char record_why[80];
    /* compare-and-set: who last changed each base, and when (core_cas.c) */
    int nchanges;
    struct core_change changes[CORE_CHANGES];
};

/* Build the core for c (which must outlive it).  A config without an alarm
 * of kind foreign_master gets the built-in one (critical, latching): no
 * controller runs without it.  Returns 0, or -1 with a sentence (a loop or
 * alarm that cannot be built from the map). */
int core_init(struct core *k, const struct cfg *c, char *err, size_t errlen);

/* One control cycle.  tags: decoded image indexed like cfg->tags.  The
 * first step with a GOOD link initialises the loops and the command
 * sequence number from the plant's read-back (bumpless restart).  Fills
 * k->writes (every writable output, each cycle: the link writes only what
 * changed) and queues results. */
void core_step(struct core *k, const struct tag_value *tags, const struct core_status *st,
               const struct core_times *tm);

/* Another master was seen writing the PLC: the core writes nothing (no
 * demands, no commands, no heartbeat, so the PLC's watchdog takes the
 * furnace to low fire unless the other master holds it) and the shell must
 * not refresh what it wrote before, until an engineer acknowledges the
 * foreign_master alarm once it has returned.  Control then restarts from
 * the PLC's read-back, as at start. */
bool core_writes_suspended(const struct core *k);

/* The gate.  Checks role, reason, the record, compare-and-set (r->expect
 * against core_current: a moved base is refused with who moved it and
 * when), value, limits and permissives at once; a change
 * that needs no PLC command is applied and its result queued now; a PLC
 * command is queued for the handshake and its result follows from a later
 * core_step.  Returns 0 if accepted so far, -1 if refused (result queued). */
int core_request(struct core *k, const struct core_req *r);

/* Tell the gate whether the record (the journal and the loops' state) can
 * be written; the shell's writer knows, the core cannot.  While it cannot,
 * core_request refuses every change away from the safe state with "the
 * record cannot be written (WHY): changes are refused until it can; ..."
 * and carries out those core_req_toward_safe accepts.  why: a few words
 * ("disk full"), ignored when ok. */
void core_set_record(struct core *k, bool ok, const char *why);

/* Whether r moves the furnace toward its safe state, or brings an alarm
 * back into view: a stop or a close, a lower setpoint of a temperature loop
 * (bath, hc, sc), a lower firing in MAN, an acknowledgement (not one that
 * gives the outputs back after another master), unshelving, an alarm back
 * in service, a charge flagged wet.  The table is in core_gate.c. */
bool core_req_toward_safe(const struct core *k, const struct core_req *r);

/* The base of a changing request (core_cas.c): key names it ("bath.sp",
 * "phase", "wet", an alarm's name) and val is its value now as text (a
 * number as the shortest exact decimal, a mode, a phase, yes/no, an alarm
 * state).  0, or -1 when the verb and target have no base (`ack all`, a
 * target that does not exist: the gate then says what is wrong).  The CLI
 * asks the server for it (`req verb=current`) when --expect is absent. */
int core_current(const struct core *k, const char *verb, const char *target, char *key,
                 size_t keylen, char *val, size_t vallen);

/* Take up to max results (oldest first); returns how many. */
int core_results_take(struct core *k, struct core_result *out, int max);

/* The view of the core (tags, loops, alarms, phase, permissives):
 * core_view_fill() in core_view.h. */

/* What the operators and engineers set that must survive a restart of the
 * server: each loop's mode and setpoint and its tuning, one line per loop
 * ("loop bath mode=AUTO sp=745 kp=80 ti_s=3000 td_s=0"), and the scrap class
 * of the last charge accepted, which decides the loops' priority ("charge
 * scrap=clean"; no line before the first).  Outputs are not kept: they come
 * back from the PLC's read-back.  Returns the length written (truncated text
 * is never written: -1 if n is too small). */
int core_state_save(const struct core *k, char *buf, size_t n);

/* Apply a saved state before the first step.  A line naming an unknown
 * loop, an unknown mode, a value outside the loop's limits or a bad number,
 * or a scrap class the file no longer has, is skipped and described in err
 * ("; "-joined); the rest applies.  Returns the number of loops restored
 * (the charge's class is k->charge_scrap). */
int core_state_restore(struct core *k, const char *text, char *err, size_t errlen);

const char *core_role_name(enum core_role r);

#endif
