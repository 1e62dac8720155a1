/* sysjournal — every journal event of the server, also in the system
 * journal (systemd-journald), with structured fields a plant's log
 * forwarding can select on:
 *
 *   MESSAGE=USER@ORIGIN VERB TARGET [OLD -> NEW]: RESULT [(reason: TEXT)]
 *   PRIORITY=4 refused or alarm, 5 a person's action, 6 the server's own event
 *   SYSLOG_IDENTIFIER=meltcon
 *   MELTCON_FURNACE  [furnace] name
 *   MELTCON_USER     who (the server's own events: meltcon)
 *   MELTCON_ORIGIN   pts/3, ssh:ADDR, pid:N, server, socket
 *   MELTCON_VERB     the journal line's kind: set cmd ack shelve alarm ...
 *   MELTCON_TARGET   what it acted on: bath.sp, roof_hh, stop ...
 *   MELTCON_RESULT   ok | refused
 *   MELTCON_TEXT     the result's sentence
 *   MELTCON_OLD, MELTCON_NEW, MELTCON_REASON   as in the journal line
 *
 * The journal's chain heads (journal_heads.c) go too, one message each, at
 * the server's start and stop and at the end of each day:
 *
 *   MESSAGE=journal-head furnace=NAME event=EVENT date=YYYY-MM-DD n=SEQ k=HASH
 *   MESSAGE_ID=188b10076d5247b2a76bd1b61eb62c88   (JOURNAL_HEAD_MSGID, stable)
 *   PRIORITY=5, SYSLOG_IDENTIFIER=meltcon, MELTCON_FURNACE
 *   MELTCON_HEAD_EVENT start|stop|day, MELTCON_HEAD_DATE, MELTCON_HEAD_SEQ,
 *   MELTCON_HEAD_HASH (64 hex), MELTCON_HEAD_KEYED 1|0
 *
 * so the plant's log server holds a copy of the head a rewritten or
 * truncated journal cannot match (`meltcon journal --verify --heads`).
 * Heads have a queue of their own (SYSJOURNAL_HEADS), sent before events.
 *
 * The control cycle never waits for journald.  sd_journal_send() is NOT a
 * non-blocking send: libsystemd's datagram socket is a blocking one, and
 * when journald does not read (stuck, or its queue full: the queue is
 * net.unix.max_dgram_qlen datagrams) the sendmsg() waits, for ever.  So the
 * cycle only copies the event into a bounded queue under a mutex held for
 * that copy; a thread of its own calls sd_journal_send().  A full queue
 * drops the event (the meltcon journal on disk keeps it) and the thread
 * reports the count once journald takes messages again.  Without journald
 * (no /run/systemd/journal/socket) sd_journal_send() returns at once,
 * without a word (ENOENT is success to libsystemd): one failed sendmsg().
 */
#ifndef MELTCON_SYSJOURNAL_H
#define MELTCON_SYSJOURNAL_H

#include "journal.h"

struct sysjournal;

/* Start the sender thread for furnace `furnace`.  NULL (and the server
 * carries on without the system journal) when the thread cannot start. */
struct sysjournal *sysjournal_start(const char *furnace);

/* Queue one event for the system journal; never waits for journald. */
void sysjournal_put(struct sysjournal *sj, const struct journal_entry *e);

/* Queue one chain head (event start, stop or day; day: the day file of the
 * head's line); never waits.  Thread-safe: the writer's thread calls it. */
void sysjournal_head(struct sysjournal *sj, const char *event, long day, long seq, bool keyed,
                     const unsigned char *head);

/* Send what is queued and end the thread, waiting SYSJOURNAL_STOP_MS at
 * most (a journald that does not read cannot hold up the server's stop). */
void sysjournal_stop(struct sysjournal *sj);

#define SYSJOURNAL_QUEUE 128  /* events waiting for the thread */
#define SYSJOURNAL_STOP_MS 1000
#define SYSJOURNAL_HEADS 16   /* heads waiting for the thread */

#endif
