/* server_rt — the real-time option, [cycle] realtime = yes.
 *
 * The server is one thread, so the whole process runs SCHED_FIFO at
 * [cycle] rt_priority with every page locked in memory (mlockall
 * MCL_CURRENT | MCL_FUTURE), or it does not run at all: a furnace
 * configured for real time never quietly cycles under SCHED_OTHER.
 *
 * SCHED_RESET_ON_FORK sends the journal and export readers the server
 * forks (server_jobs.c) back to SCHED_OTHER, so a long read never competes
 * with the cycle at its priority; memory locks are not inherited by fork.
 *
 * An unprivileged server needs RLIMIT_RTPRIO >= rt_priority and
 * RLIMIT_MEMLOCK large enough (no capability); under systemd the unit grants
 * both, and lifts RestrictRealtime= and the system-call filter on
 * sched_setscheduler: config/realtime.conf, meltcon(1) REAL TIME.
 */
#include "server_int.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "util.h"

#define PREFAULT_STACK (256 * 1024) /* stack touched once, so the cycle never faults it in */

/* " (RLIMIT_X is N)" for the sentence, or "" when it cannot be read. */
static void limit_text(char *buf, size_t n, int resource, const char *name, unsigned long div,
                       const char *unit)
{
    struct rlimit rl;
    *buf = 0;
    if (getrlimit(resource, &rl) < 0)
        return;
    if (rl.rlim_cur == RLIM_INFINITY)
        snprintf(buf, n, " (%s is unlimited)", name);
    else
        snprintf(buf, n, " (%s is %lu%s)", name, (unsigned long)rl.rlim_cur / div, unit);
}

/* Touch the stack the server will use, now that MCL_FUTURE locks what it maps. */
static void prefault_stack(void)
{
    volatile unsigned char page[PREFAULT_STACK];
    memset((unsigned char *)page, 0, sizeof page);
}

int server_rt_enter(const struct cfg_cycle *c, char *err, size_t errlen)
{
    if (!c->realtime)
        return 0;
    char lim[64];
    struct sched_param sp = {.sched_priority = c->rt_priority};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) {
        int e = errno;
        limit_text(lim, sizeof lim, RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 1, "");
        return err_set(err, errlen,
                       "realtime = yes but SCHED_FIFO %d is not permitted: %s%s; grant it with "
                       "LimitRTPRIO= in the unit or run as root (meltcon(1), REAL TIME)",
                       c->rt_priority, strerror(e), lim);
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
        int e = errno;
        struct sched_param other = {.sched_priority = 0};
        (void)sched_setscheduler(0, SCHED_OTHER, &other);
        limit_text(lim, sizeof lim, RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 1024, " kB");
        return err_set(err, errlen,
                       "realtime = yes but mlockall() is not permitted: %s%s; grant it with "
                       "LimitMEMLOCK=infinity in the unit or run as root (meltcon(1), REAL TIME)",
                       strerror(e), lim);
    }
    prefault_stack();
    return 0;
}
