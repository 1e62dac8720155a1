/* writer — the record written off the control cycle: journal lines, the
 * loops' state, the historian's samples and the daily prune, by a thread
 * of its own with group commit.
 *
 *   cycle thread                          writer thread, one round:
 *   wr_push(line) -> seq  ---- queue --->   take every line queued so far
 *   wr_state(text)        (latest only)     append them to the journal
 *   wr_sample(image)      (latest only)     fsync the journal once
 *                                           loops.state: tmp, fsync, rename,
 *                                             fsync the directory (if new)
 *                                           the historian's sample (if new)
 *   wr_take() -> outcome  <--- done ----    mark the round's lines done
 *     reply now                             wake the cycle (wr_fd)
 *
 * The cycle never waits on the disk: wr_push copies the line into a slot
 * and returns; a full queue is an answer (-1), not a wait.  A reply that
 * confirms an action is sent when wr_take hands back its line, so the line
 * (and the state, for a line pushed with `state`) was fsynced before the
 * operator hears "ok" (the model is redis's AOF and its bio thread;
 * control/README.md, 'The writer').  Which lines make a round is the
 * writer's choice: whatever is queued when it starts one, so
 * a slow disk makes fewer, larger rounds and still one fsync each.
 *
 * The record can be written (wr_status) while the journal and the state
 * wrote at their last try, the historian too, and the file system of the
 * state directory has WR_RESERVE_BYTES free (statvfs, each round): the
 * reserve keeps room for the record of the actions still carried out
 * while changes are refused (control/README.md, 'The record').
 *
 * The writer opens nothing itself: it is given an open journal and
 * historian and owns them until wr_stop.  Only wr_* functions are called
 * from the cycle; everything else here runs on the writer's thread.
 */
#ifndef MELTCON_WRITER_H
#define MELTCON_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "hist.h"
#include "journal.h"
#include "tag.h"

#define WR_QUEUE 256                /* journal lines between the cycle and the writer */
#define WR_HEADROOM 32              /* fewer free slots than this: the record is behind */
#define WR_STATE_MAX 4096           /* the loops' state text */
#define WR_RESERVE_BYTES (1L << 20) /* free space the record keeps for itself */
#define WR_NOTES 8                  /* sentences for the journal, waiting for the cycle */
#define WR_NOTE_MAX 400
#define WR_RETRY_S 2.0 /* a failed state save is tried again after this */

/* What the writer needs besides the journal and historian it is given. */
struct wr_conf {
    char state_dir[CFG_PATH_MAX + 64]; /* loops.state lives here; statvfs here */
    char journal_dir[CFG_PATH_MAX + 80], hist_dir[CFG_PATH_MAX + 80];
    int journal_retention_days, hist_retention_days; /* 0: keep everything */
    long reserve_bytes;                              /* WR_RESERVE_BYTES; a test may lower it */
    /* fsync, for a test to count, hold back or fail; NULL: fsync(2) */
    int (*fsync)(int fd, void *ctx);
    void *fsync_ctx;
};

/* One line the writer has finished with. */
struct wr_done {
    long long seq;          /* as wr_push returned it */
    struct journal_entry e; /* the line as written (its seq set when written) */
    int err;                /* 0: on disk (fsynced); else the errno it failed with */
    bool state;             /* pushed with state: */
    int state_err;          /*   0 the state that includes it is on disk, else errno */
};

struct wr_status {
    bool journal_ok, state_ok, hist_ok, space_ok;
    int journal_errno, state_errno, hist_errno;
    long long free_bytes;      /* in the state directory's file system, -1 unknown */
    int queued;                /* lines pushed and not yet taken back */
    bool behind;               /* fewer than WR_HEADROOM free slots */
    unsigned long long rounds; /* rounds that wrote journal lines */
    unsigned long long lines;  /* lines written */
    unsigned long long journal_fsyncs, state_saves;
    unsigned long long lost;   /* pushes refused: the queue was full */
    unsigned long long failed; /* lines the journal refused */
};

struct wr;

/* Start the writer's thread; j and h are open and become the writer's.
 * NULL with a sentence when the thread or its memory cannot be had. */
struct wr *wr_start(const struct wr_conf *c, struct journal *j, struct hist *h, char *err,
                    size_t errlen);

/* Finish every line queued, save the state if it changed, stop the thread;
 * the lines' outcomes can still be taken (wr_take) before wr_free. */
void wr_stop(struct wr *w);
void wr_free(struct wr *w);

/* Queue one journal line.  state: the line records a change kept in the
 * loops' state (wr_state was called for it first); its outcome then says
 * whether that state reached the disk too.  Returns the line's sequence
 * number (0, 1, 2, ... in push order), or -1 when the queue is full (the
 * line is counted as lost; nothing waits). */
long long wr_push(struct wr *w, const struct journal_entry *e, bool state);

/* The loops' state to keep (the latest replaces any not yet written). */
void wr_state(struct wr *w, const char *text, size_t len);

/* The tag image at wall time `wall`, for the historian (latest only). */
void wr_sample(struct wr *w, double wall, const struct tag_value *tags, int ntags);

/* The next finished line, oldest first: 1 with *out filled, 0 when the
 * oldest line queued is not finished (or none is queued). */
int wr_take(struct wr *w, struct wr_done *out);

/* A sentence for the journal from the writer (a prune, a state that could
 * not be kept): 1 with the journal's `what` ("retention", "state") in
 * what and the sentence in buf, 0 none. */
int wr_note(struct wr *w, char *what, size_t wlen, char *buf, size_t len);

void wr_status(struct wr *w, struct wr_status *st);

/* Readable when lines are finished, a note waits or the status changed:
 * poll it, then wr_ack. */
int wr_fd(const struct wr *w);
void wr_ack(struct wr *w);

/* The state file's path in dir (dir/loops.state). */
void wr_state_path(const char *dir, char *buf, size_t len);

#endif
