/* server_int — what the server_*.c files share and nothing else includes:
 * the server's state (struct server), the jobs and journal messages it
 * holds, and the functions one part of the server calls in another.
 *
 *   server.c          the cycle; serving clients between cycles
 *   server_clients.c  sessions: hello, replies, broadcast, drop; requests
 *   server_record.c   journal messages and lines through the writer, replies held
 *                     until their line is on disk, the record's state for the gate
 *   writer.c          the writer's thread: journal, loops' state, historian, prune
 *   ident.c           the account cache's thread: uid -> name and groups (NSS)
 *   server_jobs.c     journal and export readers in forked children
 *   server_life.c     directories, lock, signals, start (detached), stop
 *   sysjournal.c      every journal event also to the system journal
 *   server_notify.c   sd_notify: READY, STATUS, WATCHDOG from the cycle
 *   server_rt.c       [cycle] realtime: SCHED_FIFO and mlockall, or refuse
 */
#ifndef MELTCON_SERVER_INT_H
#define MELTCON_SERVER_INT_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"
#include "core.h"
#include "cycle.h"
#include "hist.h"
#include "ident.h"
#include "journal.h"
#include "plc_link.h"
#include "proto.h"
#include "quota.h"
#include "session.h"
#include "snap.h"
#include "sysjournal.h"
#include "writer.h"

#define SERVER_JOBS 4      /* journal/export readers running at once */
#define JOB_LIVE_MAX 4096  /* journal lines logged during one journal reader, kept for it */
#define JMSG_MAX 60000     /* bytes of one journal message we build */
#define JMSG_LINES 500     /* lines in one (PROTO_MAX_LINES bounds it) */
#define LINE_WIRE_MAX 4096 /* longest line sent (the file keeps it whole) */
#define TAIL_LINES 50      /* journal lines a client gets on connect */
#define TAIL_LINE_MAX 512

/* ---- the server's state ----------------------------------------------------------- */

/* A reply waiting for its journal line (server_reply_after). */
struct held_reply {
    bool used;
    bool ok;
    bool marked; /* carried out while the record could not be written */
    int client;  /* session id */
    long id;
    char text[sizeof((struct snap_reply *)0)->text];
};

enum job_kind { JOB_TAIL, JOB_SINCE, JOB_VERIFY, JOB_EXPORT };

/* A journal message being built: "journal 1 [id=N]" and "j l=LINE" lines. */
struct jmsg {
    size_t len;
    int nlines;
    char buf[JMSG_MAX];
};

/* A journal line logged while a journal reader runs (see server_jobs.c). */
struct job_live {
    long seq;   /* its n= in the file; 0: not in the file (the journal failed) */
    char *line; /* as broadcast */
};

/* A forked reader streaming lines to one client.  The slot is free when it
 * serves no client and its child has been reaped: a pid is signalled only
 * while it is known to be our unreaped child, so never a stranger. */
struct job {
    bool used; /* serving a client */
    pid_t pid; /* the child until reaped (waitpid on this pid only), then 0 */
    int fd;    /* read end of its pipe, -1 once closed */
    int session_id;
    long req_id;
    char verb[16];
    long lines;
    bool eof, have_status, status_ok, ready;
    bool replied;  /* answered; now sending the lines logged meanwhile */
    long seq_max;  /* the newest journal line (n=) the reader sent */
    int nlive, live_next;
    unsigned long live_lost; /* lines logged meanwhile beyond JOB_LIVE_MAX */
    struct job_live *live;   /* JOB_LIVE_MAX, allocated for a journal reader */
    char status[600];
    size_t plen;
    char part[LINE_WIRE_MAX + 1]; /* a line not finished yet (longer ones are cut) */
    size_t in_off, in_len;
    char in[4096]; /* read from the pipe, not yet taken into m */
    struct jmsg m;
};

/* What a job child needs, decided before the fork. */
struct job_spec {
    enum job_kind kind;
    int n;
    double from, to;
    int ntags;
    const char *tags[CFG_MAX_TAGS];
    unsigned xflags; /* export: HIST_X_JSON, HIST_X_UNITS (hist.h) */
};

enum pfd_kind { PFD_LISTEN, PFD_SESSION, PFD_JOB, PFD_WRITER, PFD_IDENT };

struct server {
    const struct cfg *cfg;
    char state_dir[CFG_PATH_MAX + 64];
    char journal_dir[CFG_PATH_MAX + 80], hist_dir[CFG_PATH_MAX + 80];
    char sock[108];
    int lock_fd;
    struct core core;
    struct plc_link link;
    void *mb;
    struct sessions ss;
    struct sysjournal *sysj; /* the system journal's sender, NULL without one */
    unsigned char journal_key[JOURNAL_KEY_LEN]; /* STATE_DIR/journal.key, read at start */
    struct mqtt *mqtt;       /* the Sparkplug B publisher (mqtt.h), NULL when [mqtt] is off */
    /* the record (server_record.c): the writer owns the journal and the historian */
    struct wr *wr;
    struct wr_status wst;    /* as of the last server_record_poll */
    bool record_ok;          /* journal and state writable, room left, not behind */
    char record_why[80];     /* why not, for the gate's sentence and the replies */
    double journal_retry;    /* wall s: try the failing journal again from here */
    unsigned long unrecorded; /* lines not written since the journal last wrote */
    long published_seq; /* the newest journal line (file sequence) handed to the clients */
    struct held_reply *held; /* WR_QUEUE replies, by line sequence */
    bool record_closing;     /* the writer has stopped: no more probes */
    /* the cycle */
    int64_t period_ns;
    uint64_t cycles, slow, missed;
    struct cycle_lat lat;
    struct cycle_pclock pclock;
    int t_plc_clock, t_plc_mode;
    int t_sim_speed, t_sim_state; /* a simulator's training clock (issue 16), -1 if not mapped */
    int t_sim_restarts;
    double sim_speed_seen;                  /* last journalled; -1 before the first */
    int sim_state_seen, sim_restarts_seen;  /* -1 before the first */
    struct tag_value tags[CFG_MAX_TAGS];
    double age[CFG_MAX_TAGS];
    int link_state; /* enum plc_state last journalled */
    char write_err[200];
    /* the service manager (server_notify.c) */
    bool sd_on, sd_ready;
    int64_t sd_wd_ns, sd_wd_last; /* WATCHDOG_USEC in ns (0: none); last ping */
    bool writes_failed; /* the last cycle's writes were not all accepted (core_status) */
    /* the PLC's share of the cycle (server.c): overrun and refusals for the core's alarms */
    int overrun_hold;              /* cycles the overrun condition still holds */
    uint64_t missed_seen;          /* sv->missed at the last cycle */
    char overrun_note[160];        /* what did not fit, for the overrun alarm (its note keeps 100) */
    char refusals[ALARM_NOTE_MAX]; /* plc_refusals() of the last cycle, for the refused alarm */
    /* clients */
    double next_snap, snap_every;
    uint32_t snap_seq;
    bool stopping;
    char stop_by[80];
    struct job jobs[SERVER_JOBS];
    struct quota quota;             /* refusals journalled per account (quota.h) */
    unsigned long results_lost_seen, events_lost_seen; /* core losses journalled so far */
    char tail[TAIL_LINES][TAIL_LINE_MAX];
    int tail_head, tail_n;
    struct jmsg bc; /* journal lines for every client, sent after each round */
    int npfd;
    struct pollfd *pfd;
    int *pfd_kind, *pfd_ref;
    /* scratch */
    struct snap snap;
    struct proto_out out;
    struct proto_msg msg;
    char rx[PROTO_MAX_MSG + 1];
    struct core_result res[16];
};

/* SIGTERM or SIGINT received (the signal's number), set by the handler only. */
extern volatile sig_atomic_t server_stop_signal;

/* ---- server.c: the cycle ------------------------------------------------------------ */

/* Cycle on the deadlines and serve clients between them until a stop
 * signal or an engineer's `stop`. */
void server_run_loop(struct server *sv);

/* ---- server_clients.c: sessions and requests ------------------------------------------ */

/* Close the client in slot (journalled when `journal`) and end its jobs. */
void server_drop(struct server *sv, int slot, const char *why, bool journal);
/* Answer request id; a client that cannot take the reply is dropped. */
void server_reply(struct server *sv, int slot, long id, bool ok, const char *text, double now);
/* Send the journal lines gathered in sv->bc to every client not quiet. */
void server_broadcast_flush(struct server *sv, double now);
void server_accept_clients(struct server *sv, double now);
/* Take the messages waiting on a client's socket and act on each. */
void server_client_input(struct server *sv, int slot, double now);
/* Whether a refusal by user (a request, a connection, a malformed message)
 * is journalled one by one now, or only counted for a summary (quota.h). */
bool server_refusal_counts(struct server *sv, const char *user, double mono);
/* Journal the summaries of the refusals held back whose window is over
 * (every one when `all`, at shutdown). */
void server_refusals_flush(struct server *sv, double mono, bool all);

/* ---- server_record.c: the record -------------------------------------------------------- */

void server_jmsg_begin(struct jmsg *m, long id);
/* Append one line; -1 when the message is full (nothing appended). */
int server_jmsg_add(struct jmsg *m, const char *line);
/* Start and stop the writer (the journal and historian opened, handed over). */
int server_record_start(struct server *sv, struct journal *j, struct hist *h, char *err,
                        size_t errlen);
void server_record_stop(struct server *sv);
/* Queue one journal line for the writer (stamped with the time now).  It
 * goes to the tail, the clients and the system journal once the writer has
 * finished it.  Returns its sequence number for server_reply_after, or -1
 * when the writer's queue is full (the line then goes to the clients and
 * the system journal at once and is counted as not written). */
long long server_journal_put(struct server *sv, struct journal_entry *e);
/* Answer request id of session `client` once line seq is on disk; a line
 * that did not get there marks an accepted action as carried out but not
 * recorded (reply ok = 0, unrecorded), never as a plain success.  seq < 0:
 * answer now, so marked. */
void server_reply_after(struct server *sv, long long seq, int client, long id, bool ok,
                        const char *text, double now);
/* Take what the writer finished: lines to the tail, clients and system
 * journal, held replies out, its notes journalled; then tell the core's
 * gate whether the record can be written.  Called every cycle and when the
 * writer's fd is readable. */
void server_record_poll(struct server *sv, double now);
/* A server event: one journal line by user meltcon, origin server. */
__attribute__((format(printf, 4, 5))) void server_event(struct server *sv, const char *kind,
                                                        const char *what, const char *fmt, ...);
/* Fill the tail clients get on connect from the journal's files. */
void server_tail_load(struct server *sv);
void server_restore_state(struct server *sv);
/* Journal every result of the core; answer the client that asked once its
 * line (and the loops' state, for a change of a setting) is on disk. */
void server_drain_results(struct server *sv, double now);
/* Journal what the core had to drop since the last call (more than
 * CORE_RESULTS results, or ALARM_EVENTS_MAX alarm events, between drains). */
void server_note_losses(struct server *sv);

/* ---- server_notify.c: the service manager ----------------------------------------------- */

/* Talk to systemd only in the foreground with NOTIFY_SOCKET set. */
void server_notify_init(struct server *sv, bool foreground);
/* STATUS= line (nothing when not talking). */
__attribute__((format(printf, 2, 3))) void server_notify_status(struct server *sv,
                                                                const char *fmt, ...);
/* After each control cycle: READY=1 the first time, then WATCHDOG=1. */
void server_notify_cycle(struct server *sv, int64_t now_ns);
void server_notify_stopping(struct server *sv);

/* ---- server_rt.c: the real-time option ---------------------------------------------------- */

/* realtime = yes: SCHED_FIFO at rt_priority and mlockall, or -1 with the
 * sentence (and the process as it was).  realtime = no: 0, nothing done. */
int server_rt_enter(const struct cfg_cycle *c, char *err, size_t errlen);

/* ---- server_jobs.c: file readers in child processes -------------------------------------- */

/* Start a reader for the client in slot; -1 with a sentence in why. */
int server_job_start(struct server *sv, int slot, const struct snap_req *r,
                     const struct job_spec *sp, char *why, size_t whylen);
void server_job_pump(struct server *sv, struct job *j, double now);
/* Whether a job of this session has a message waiting for its socket. */
bool server_job_waits_for(const struct server *sv, int session_id);
/* Kill and forget the jobs of one session (session_id < 0: every job). */
void server_jobs_kill(struct server *sv, int session_id);
/* Reap the jobs' children that have ended, each by its own pid (never
 * waitpid(-1): nothing else is reaped here).  wait_s > 0: wait up to that
 * long for every child (at shutdown). */
void server_jobs_reap(struct server *sv, double wait_s);
/* A journal line passed to the clients: every running journal reader keeps
 * it for its client (whose broadcast is held), to send after the reply what
 * the reader did not read.  seq: its n= in the file, 0 when not written. */
void server_jobs_live(struct server *sv, long seq, const char *line);
/* After the broadcast went out: finish the readers whose client has been
 * sent everything (its broadcast resumes with nothing missed or doubled). */
void server_jobs_settle(struct server *sv, double now);

#endif
