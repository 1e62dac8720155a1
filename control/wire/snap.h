/* snap — the typed messages of the client protocol, on top of proto.
 *
 * The server fills a struct snap each UI tick and sends snap_encode(); a
 * console decodes it with snap_decode() and draws from it.  Static facts
 * (units, limits, alarm texts) come from the config file the console reads,
 * which must be byte for byte the server's: `hello` carries the server's
 * config path and the SHA-256 of its bytes (tui/cfgmatch.h checks them);
 * the snapshot carries what changes.  Requests and replies are typed too,
 * so the server and every client agree on one vocabulary.
 */
#ifndef MELTCON_SNAP_H
#define MELTCON_SNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "input.h"
#include "proto.h"

enum snap_link { LINK_DOWN, LINK_UP, LINK_CONNECTING };

/* Loop status flags */
enum {
    LF_SAT_HI = 1u << 0,   /* output at its high limit */
    LF_SAT_LO = 1u << 1,
    LF_RATE = 1u << 2,     /* output rate-limited */
    LF_BAD_PV = 1u << 3,   /* PV not GOOD: output held (MAN after pv_bad_hold_s) */
    LF_OVERRIDE = 1u << 4, /* setpoint lowered by an override (roof or O2/CO) */
    LF_TRACK = 1u << 5,    /* output tracking a forced value (PLC low fire, door open) */
    LF_SHED = 1u << 6,     /* dropped to MAN by a bad PV, not yet put back by an operator */
    LF_OUT_HELD = 1u << 7, /* the output gap holds the output (AUTO/CAS, law within the gap) */
    LF_COMB_CUT = 1u << 8, /* the O2/CO override cuts the setpoint and caps the output */
    LF_PRIO_CAP = 1u << 9, /* the priority caps the output (the fan waits for the bath) */
};

#define SNAP_MAX_PERMS 32
#define SNAP_HOLD_MAX_S 60 /* the most man_in_s can be: pv_bad_hold_s's bound (cfg_schema.c) */
#define SNAP_WHY_MAX 400

struct snap_tag {
    char name[CFG_NAME_MAX];
    double v;        /* engineering value (last good when not GOOD) */
    double raw;      /* raw register value, for diagnostics */
    int q;           /* enum tag_quality */
    double age_s;    /* since the last good read */
};

struct snap_loop {
    char name[CFG_NAME_MAX];
    int mode;        /* enum cfg_loop_mode */
    double sp;       /* target setpoint */
    double wsp;      /* working setpoint (after ramp and override) */
    double pv;
    int pv_q;
    double out;
    unsigned flags;  /* LF_* */
    double kp, ti_s, td_s; /* the tuning now (0 from a server that does not say) */
    double man_in_s;       /* LF_BAD_PV in AUTO/CAS: s left of pv_bad_hold_s before the loop drops
                              to MAN; 0 when no hold runs (sent as mi= only then, 0 < mi <= 60) */
};

struct snap_alarm {
    char name[CFG_NAME_MAX];
    int state;       /* alarm state (control/alarm.h), not NORMAL */
    int prio;        /* enum cfg_priority */
    double t;        /* process time of the last change */
    double t_raised; /* process time of the last annunciation (raise); an
                        acknowledgement does not move it; 0 from a server
                        older than the field */
    double shelved_until; /* process time, when shelved */
    char shelved_by[CFG_NAME_MAX]; /* who shelved it, and why */
    char shelve_reason[96];
    bool first_out;  /* raised first of its first-out group */
};

struct snap_perm {
    char cmd[CFG_NAME_MAX]; /* CLI name, e.g. sc_door_open */
    bool ready;
    char why[SNAP_WHY_MAX]; /* failing conditions, "; "-separated */
};

struct snap {
    uint32_t seq;
    double t;             /* process time (s) */
    double wall;          /* Unix time of the snapshot */
    /* the control cycle */
    uint64_t cycles, slow_cycles;
    double late_p50_ms, late_p99_ms, late_max_ms;
    int period_ms;
    /* the PLC link */
    int link;             /* enum snap_link */
    uint32_t reconnects, transactions, errors;
    double rtt_ms, last_good_age_s;
    char link_err[128];
    /* the melt */
    char program[CFG_NAME_MAX];
    int phase;            /* enum cfg_phase */
    double t_phase;       /* s in phase */
    bool ready, overrun;
    bool wet;             /* the charge is flagged wet (sent as wet=1 only when set) */
    char phase_why[SNAP_WHY_MAX];
    /* alarms */
    int n_unacked, n_active, n_shelved;
    bool flood;
    double alarms_per_10min;
    int ntags, nloops, nalarms, nperms;
    struct snap_tag tags[CFG_MAX_TAGS];
    struct snap_loop loops[CFG_MAX_LOOPS];
    struct snap_alarm alarms[CFG_MAX_ALARMS];
    struct snap_perm perms[SNAP_MAX_PERMS];
};

struct snap_hello {
    char furnace[CFG_NAME_MAX];
    char user[CFG_NAME_MAX];
    char role[16];        /* viewer, operator, engineer */
    long server_pid;
    int plc_mode;         /* 1 = simulated hardware */
    char config[CFG_PATH_MAX];
    /* SHA-256 of the config's bytes (struct cfg sha256), 64 lowercase hex
     * digits; "" from a server older than the field. */
    char config_sha256[CFG_SHA256_HEX];
};

/* A request from a client.  verb: set, tune, cmd, ack, shelve, unshelve,
 * oos, wet, phase, confirm, journal, export, stop, current (the base of
 * another verb's target: value= names that verb; answered with the value
 * as text, changes nothing).  target: LOOP.sp|LOOP.mode|LOOP.out, a
 * command name, an alarm name or "all", a phase.  value/arg: as text, the
 * server parses and refuses bad numbers with a sentence.  t: when the
 * request was made (the client's wall clock, Unix seconds), so the server
 * can refuse one that waited too long to be read ([server]
 * request_max_age_ms); 0 when the client did not say (a field absent or
 * not a time decodes as 0, and the server judges that). */
struct snap_req {
    long id;
    double t;
    char verb[16];
    char target[64];
    char value[64];
    char reason[INPUT_REASON_SIZE]; /* INPUT_REASON_CHARS characters of UTF-8 */
    /* compare-and-set: the base value the operator saw (the setpoint, mode,
     * phase, alarm state ... the change was decided on; control/core/core.h,
     * core_current); the server refuses the change when the base is no
     * longer that value.  "" (sent as no field): not checked. */
    char expect[64];
    /* a charge: the class of its scrap ([scrap.NAME]); "" (sent as no
     * field): the server takes [limits] default_scrap */
    char scrap[CFG_NAME_MAX];
};

struct snap_reply {
    long id;
    bool ok;
    /* with ok false: the action WAS carried out, but the record could not
     * keep it (a full disk: control/README.md, 'The record'); the text says
     * what was done and what is missing.  Sent as unrec=1 only when set. */
    bool unrecorded;
    char text[1024];      /* accepted: what changed; refused: why */
};

/* Encode into o (overflow flagged in o).  Decode: 0, or -1 when a required
 * field is missing or malformed (the message is then ignored whole). */
void snap_encode(const struct snap *s, struct proto_out *o);
int snap_decode(const struct proto_msg *m, struct snap *s);
void snap_hello_encode(const struct snap_hello *h, struct proto_out *o);
int snap_hello_decode(const struct proto_msg *m, struct snap_hello *h);
void snap_req_encode(const struct snap_req *r, struct proto_out *o);
int snap_req_decode(const struct proto_msg *m, struct snap_req *r);
void snap_reply_encode(const struct snap_reply *r, struct proto_out *o);
int snap_reply_decode(const struct proto_msg *m, struct snap_reply *r);

/* Journal lines: the message carries up to n lines of text. */
void snap_journal_encode(const char *const *lines, int n, struct proto_out *o);

/* The parts of a snapshot the control core knows (tags, loops, alarms,
 * phase, permissives), from its view (control/core/core_view.h); the
 * server adds the link and cycle figures.  In snap_view.c. */
struct core_view;
void snap_from_view(const struct core_view *v, struct snap *s);

#endif
