/* quota — refusals journalled per account and window (see quota.h).
 *
 * An entry is looked up by name; a free one (user "") is taken for a new
 * account.  A window that is over and held nothing is simply started again;
 * one that is over and held something waits for quota_due() (called every
 * cycle) and meanwhile keeps counting, so no refusal is ever uncounted.
 */
#include "quota.h"

#include <string.h>

#include "util.h"

static struct quota_acct *find(struct quota *q, const char *user)
{
    struct quota_acct *free_slot = NULL;
    for (int i = 0; i < QUOTA_ACCOUNTS; i++) {
        struct quota_acct *a = &q->a[i];
        if (!*a->user) {
            if (!free_slot)
                free_slot = a;
        } else if (!strcmp(a->user, user)) {
            return a;
        }
    }
    if (free_slot) {
        memset(free_slot, 0, sizeof *free_slot);
        /* a name too long for the table is never a session's (CFG_NAME_MAX) */
        (void)str_copy(free_slot->user, sizeof free_slot->user, *user ? user : "?");
        return free_slot;
    }
    struct quota_acct *o = &q->a[QUOTA_ACCOUNTS];
    if (!*o->user)
        (void)str_copy(o->user, sizeof o->user, QUOTA_OTHERS);
    return o;
}

bool quota_take(struct quota *q, const char *user, double now, int per_window)
{
    struct quota_acct *a = find(q, user);
    bool fresh = a->lines == 0 && a->held == 0;
    if (fresh || (now - a->t0 >= QUOTA_WINDOW_S && a->held == 0)) {
        a->t0 = now;
        a->lines = 0;
    }
    if (a->lines < per_window && now - a->t0 < QUOTA_WINDOW_S) {
        a->lines++;
        return true;
    }
    a->held++;
    q->held_total++;
    return false;
}

bool quota_due(struct quota *q, double now, bool all, char user[CFG_NAME_MAX],
               unsigned long *held, double *span_s)
{
    for (int i = 0; i <= QUOTA_ACCOUNTS; i++) {
        struct quota_acct *a = &q->a[i];
        if (!*a->user || (!all && now - a->t0 < QUOTA_WINDOW_S))
            continue;
        unsigned long n = a->held;
        double span = now - a->t0;
        (void)str_copy(user, CFG_NAME_MAX, a->user);
        memset(a, 0, sizeof *a); /* over: the slot is free again */
        if (n == 0)
            continue;
        *held = n;
        *span_s = span;
        return true;
    }
    return false;
}
