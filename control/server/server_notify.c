/* server_notify — word to the service manager (systemd, Type=notify).
 *
 *   READY=1     once, after the first control cycle ran (the socket was
 *               listening before it, so a console that connects is served)
 *   STATUS=...  what the server is doing: cycling, the PLC link up or down
 *   WATCHDOG=1  from the control cycle and nowhere else, at most every
 *               WATCHDOG_USEC/4: a cycle that stops (a stuck call, SIGSTOP)
 *               stops the pings and lets systemd's WatchdogSec= fire
 *   STOPPING=1  when the loop ends
 *
 * Only a server in the foreground with NOTIFY_SOCKET set talks; otherwise
 * every call is one test of a bool, so the cycle pays nothing.  A period
 * too long for the unit's watchdog (3 periods > WATCHDOG_USEC) widens the
 * watchdog to 3 periods (WATCHDOG_USEC=), journalled, rather than letting
 * systemd kill a healthy server.
 */
#include "server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

void server_notify_init(struct server *sv, bool foreground)
{
    sv->sd_on = foreground && getenv("NOTIFY_SOCKET") != NULL;
    sv->sd_wd_ns = 0;
    sv->sd_ready = false;
    if (!sv->sd_on)
        return;
    sd_notifyf(0, "STATUS=furnace %s: starting, socket %s", sv->cfg->furnace.name, sv->sock);
    uint64_t us = 0;
    if (sd_watchdog_enabled(0, &us) <= 0 || us == 0)
        return;
    uint64_t need = 3 * (uint64_t)sv->cfg->cycle.period_ms * 1000;
    if (need > us) {
        sd_notifyf(0, "WATCHDOG_USEC=%llu", (unsigned long long)need);
        server_event(sv, "server", "watchdog",
                     "the service watchdog (%llu ms) is shorter than 3 cycles of %d ms: "
                     "widened to %llu ms",
                     (unsigned long long)(us / 1000), sv->cfg->cycle.period_ms,
                     (unsigned long long)(need / 1000));
        us = need;
    }
    sv->sd_wd_ns = (int64_t)us * 1000;
}

void server_notify_status(struct server *sv, const char *fmt, ...)
{
    if (!sv->sd_on)
        return;
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sd_notifyf(0, "STATUS=%s", buf);
}

void server_notify_cycle(struct server *sv, int64_t now_ns)
{
    if (!sv->sd_on)
        return;
    if (!sv->sd_ready) {
        sv->sd_ready = true;
        sv->sd_wd_last = now_ns;
        sd_notify(0, "READY=1"); /* STATUS= came from the first cycle's link event */
        if (sv->sd_wd_ns)
            sd_notify(0, "WATCHDOG=1");
        return;
    }
    if (sv->sd_wd_ns && now_ns - sv->sd_wd_last >= sv->sd_wd_ns / 4) {
        sv->sd_wd_last = now_ns;
        sd_notify(0, "WATCHDOG=1");
    }
}

void server_notify_stopping(struct server *sv)
{
    if (sv->sd_on)
        sd_notifyf(0, "STOPPING=1\nSTATUS=stopping (%s)", sv->stop_by);
}
