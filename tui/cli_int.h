/* cli_int — what the files of the cli module share and nobody else sees:
 * cli.c (options, verb dispatch, attach), cli_conn.c (the connection),
 * cli_status.c (status), cli_journal.c (journal, export) and cli_text.c
 * (time arguments, JSON strings; public, in cli.h).
 */
#ifndef MELTCON_CLI_INT_H
#define MELTCON_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "cli.h"
#include "proto.h"
#include "snap.h"

#define CONNECT_WAIT_MS 3000
#define REPLY_WAIT_MS 5000
#define STOP_WAIT_MS 10000
#define JOB_WAIT_MS 600000 /* a long export: the server streams as we read */

/* A verb's arguments, as parse_args (cli.c) found them. */
struct cli_args {
    int npos;
    const char *pos[4];
    const char *reason, *since, *from, *to, *tags, *config, *expect, *heads, *scenario, *speed,
        *html;
    const char *scrap; /* cmd charge --scrap CLASS */
    bool json, follow, verify, all, csv, fg, help, force;
    bool units;
    bool progress; /* debrief --progress */
};

/* One conversation with the server. */
struct cli_conn {
    int fd;
    long next_id;
    struct snap_hello hello;
    char bye[200];
    char path[108];
    struct proto_msg msg;
    struct proto_out out;
    char buf[PROTO_MAX_MSG + 1];
    double made;   /* when the verb's request was made (wall s), 0: as it is sent */
    const char *scrap; /* the next request's scrap class (cmd charge --scrap), NULL none */
};

/* Monotonic milliseconds: clock_mono_ns() cut to whole ms, as the waits count them. */
int64_t cli_now_ms(void);

/* The sentence for a furnace whose server does not listen on sock: for a
 * system furnace, that systemd starts it and how; for a private one,
 * `meltcon server`. */
void cli_not_running(const struct cfg *cfg, const char *sock, char *buf, size_t len);

/* Connect, wait for the hello, announce the origin.  NULL with a sentence. */
struct cli_conn *cli_conn_open(const struct cfg *cfg, char *err, size_t errlen);
void cli_conn_close(struct cli_conn *c);

/* Next message into c->msg: its type, -1 when the connection ended
 * (c->bye may say why), -2 on timeout. */
int cli_conn_recv(struct cli_conn *c, int64_t deadline_ms);

/* Send a request; its id, or -1 (errno says why: EMSGSIZE when a field does
 * not fit the protocol's request whole; nothing is cut).  expect: the base
 * value for compare-and-set (snap.h), NULL or "" for none. */
long cli_conn_req(struct cli_conn *c, const char *verb, const char *target, const char *value,
                  const char *reason, const char *expect);

/* Wait for the reply to id; on the way, print the lines of journal messages
 * tagged id to out.  Returns 0 with *rep filled, or -1 with a sentence. */
int cli_conn_reply(struct cli_conn *c, long id, int wait_ms, FILE *out, struct snap_reply *rep,
                   char *err, size_t errlen);

/* The verbs that print records: exit status 0, 1 (failed or refused) or
 * 2 (a usage mistake), as cli_main() returns it. */
int cli_verb_status(struct cli_conn *c, const struct cfg *cfg, const struct cli_args *a);
int cli_verb_journal(struct cli_conn *c, const struct cli_args *a);
int cli_verb_export(struct cli_conn *c, const struct cli_args *a);
/* `journal --verify` from the files, without the server (cli_journal.c). */
int cli_journal_verify_files(const struct cfg *cfg, const struct cli_args *a);

/* The same verbs with no server answering: the files in the furnace's state
 * directory read directly (historian.db read-only, the journal's day
 * files). */
int cli_export_local(const struct cfg *cfg, const struct cli_args *a);
int cli_journal_local(const struct cfg *cfg, const struct cli_args *a);
/* The record of a window, read from the files of the state directory (cli_report.c):
 * the journal's lines (as much as rpt_event and exam_event take) and the samples of
 * CLI_RECORD_TAGS, in time order.  Shared by report and debrief. */
#define CLI_RECORD_TAGS {"gas_flow", "metal_mass", "bath_hc_temp", "roof_temp", "o2_pct", \
                         "scrap_on_hearth"}
#define CLI_RECORD_NTAGS 6
struct rec_ev {
    double t;
    bool ok;
    char user[32], kind[16], what[64], old_v[64], new_v[64];
    char text[160]; /* the start of the sentence: an alarm's "raised high:", a refusal's why */
};
struct rec_pt {
    double t, v; /* v NAN when not GOOD */
    int tag;     /* index into CLI_RECORD_TAGS */
};
struct cli_record {
    struct rec_ev *ev;
    long nev, cap_ev;
    struct rec_pt *pt;
    long npt, cap_pt;
    int phase; /* last phase line before the window, -1 none */
    bool oom;
};
/* Read [from, to) of the furnace's record.  0, or -1 with a sentence (then free it). */
int cli_record_load(const struct cfg *cfg, double from, double to, struct cli_record *r,
                    char *err, size_t errlen);
void cli_record_free(struct cli_record *r);
struct rpt;
/* Feed the record to r in time order (at equal times the samples first); samples from
 * before `from` (the values in force at it) count at `from`. */
void cli_record_feed_rpt(struct rpt *r, const struct cli_record *l, double from);

/* cli_report.c: `report charge|shift|day` from the journal and historian
 * files of the furnace's state directory (no server needed). */
int cli_verb_report(const struct cfg *cfg, const struct cli_args *a);

/* cli_debrief.c: `debrief --scenario FILE ...`, a training run judged from the files. */
int cli_verb_debrief(const struct cfg *cfg, const struct cli_args *a);

#endif
