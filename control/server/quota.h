/* quota — how much of the record one account may take with refusals.
 *
 * A refused request (the gate's or the server's own), a refused connection
 * and a client dropped for a malformed message are each worth a journal
 * line, but not 35,000 fsync'd lines in 10 s from a viewer holding down a
 * key.  Per account (the peer's user name):
 *
 *   window   starts at the account's first refusal and lasts QUOTA_WINDOW_S;
 *   lines    the first `per_window` refusals in it are journalled one by one;
 *   held     the rest are counted only (the client still gets its answer);
 *   summary  when the window is over, a held count becomes one line:
 *            "412 more refusals from relview in 10 s".
 *
 * So an account's refusals cost at most per_window + 1 lines per window
 * whatever it sends.  QUOTA_ACCOUNTS accounts are tracked at once; when all
 * are in a window, further accounts share one entry, QUOTA_OTHERS, so the
 * bound holds however many accounts take part.
 *
 * Pure: times are passed in (monotonic seconds), no I/O; the server
 * journals what quota_take() lets through and what quota_due() returns.
 */
#ifndef MELTCON_QUOTA_H
#define MELTCON_QUOTA_H

#include <stdbool.h>

#include "cfg.h"

#define QUOTA_WINDOW_S 10.0
#define QUOTA_ACCOUNTS 64
#define QUOTA_OTHERS "(other accounts)"

struct quota_acct {
    char user[CFG_NAME_MAX]; /* "": free */
    double t0;               /* when its window started */
    int lines;               /* journalled in this window */
    unsigned long held;      /* counted, not journalled, in this window */
};

struct quota {
    struct quota_acct a[QUOTA_ACCOUNTS + 1]; /* the last: QUOTA_OTHERS */
    unsigned long held_total;                /* every refusal ever held back */
};

/* One refusal by user at now.  True when it is to be journalled; false
 * when it is only counted (per_window already journalled in this window).
 * A zeroed struct quota is ready. */
bool quota_take(struct quota *q, const char *user, double now, int per_window);

/* The next summary that is due: an account whose window is over (every
 * window when `all`, at shutdown) with refusals held.  Returns true with
 * user, the count and the window's length so far filled in, and forgets
 * the window; false when none is due.  Call until false. */
bool quota_due(struct quota *q, double now, bool all, char user[CFG_NAME_MAX],
               unsigned long *held, double *span_s);

#endif
