/* server — the imperative shell around the control core (see server.h).
 *
 * The loop, one thread, absolute deadlines on CLOCK_MONOTONIC:
 *
 *   deadline = start
 *   forever:
 *     serve clients until the deadline: ppoll() on the listening socket, the
 *       clients and the job pipes with the time left minus 1 ms, then
 *       clock_nanosleep(TIMER_ABSTIME) for the rest (so the cycle starts on
 *       the deadline, not on poll's millisecond rounding);
 *     start = now; late = start - deadline (ring for p50/p99, max since
 *       start); slow when start - previous start > slow_factor x period
 *     cycle: plc_read_all -> process time -> core_step -> plc_write each
 *       output -> plc_write_now(cmd_out) when the core sends a command
 *       (never staged) -> plc_flush_writes (nothing at all, and the staged
 *       outputs forgotten, while the core has suspended writes because
 *       another master writes the PLC) -> journal + reply every core
 *       result -> historian sample -> snapshot to every client at ui_rate_hz
 *     deadline = cycle_deadline_next(deadline, now): + period; a whole
 *       period or more behind -> skip the missed deadlines, count, journal.
 *
 * Clients are served only in the time between cycles and never waited for:
 * their sockets are written with MSG_DONTWAIT (session.c), requests are
 * taken as they come (server_clients.c), and anything that reads files for
 * a client runs in a forked child (server_jobs.c).
 *
 * Process time comes from plc_clock through cycle_pclock_step; the
 * equations are at the top of control/core/cycle.c.  The record (journal,
 * DISK alarm) is server_record.c.
 */
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "clock.h"
#include "util.h"

/* ---- the cycle ------------------------------------------------------------------------------ */

static void link_event(struct server *sv)
{
    int st = sv->link.stats.state == PLC_UP ? PLC_UP : PLC_DOWN;
    if (st == sv->link_state)
        return;
    sv->link_state = st;
    const struct cfg *c = sv->cfg;
    if (st == PLC_UP) {
        server_event(sv, "link", "plc", "PLC link up: %s:%d answering (%lu reconnects)",
                     c->plc.host, c->plc.port, sv->link.stats.reconnects);
        server_notify_status(sv, "furnace %s: cycling every %d ms, PLC %s:%d up",
                             c->furnace.name, c->cycle.period_ms, c->plc.host, c->plc.port);
    } else {
        server_event(sv, "link", "plc", "PLC link down: %s", sv->link.stats.last_error);
        server_notify_status(sv, "furnace %s: cycling every %d ms, PLC %s:%d DOWN: %s",
                             c->furnace.name, c->cycle.period_ms, c->plc.host, c->plc.port,
                             sv->link.stats.last_error);
    }
}

static unsigned long write_errors(const struct plc_link *l)
{
    return l->stats.errors[TAG_HR] + l->stats.errors[TAG_CO];
}

static void stage_outputs(struct server *sv, uint64_t now_ms)
{
    const struct core *k = &sv->core;
    sv->writes_failed = false;
    if (core_writes_suspended(k)) { /* not even the write_refresh_s refresh */
        plc_writes_forget(&sv->link);
        return;
    }
    unsigned long errors = write_errors(&sv->link);
    char err[200] = "";
    for (int i = 0; i < k->nwrites; i++) {
        char e1[200];
        if (plc_write(&sv->link, k->writes[i].tag, k->writes[i].value, e1, sizeof e1) < 0 && !*err)
            (void)str_copy(err, sizeof err, e1);
    }
    if (k->cmd_write) {
        int t[3];
        double v[3];
        for (int i = 0; i < 3; i++) {
            t[i] = k->cmd_out[i].tag;
            v[i] = k->cmd_out[i].value;
        }
        char e2[200];
        if (plc_write_now(&sv->link, t, v, 3, now_ms, e2, sizeof e2) < 0) {
            server_event(sv, "cmd", "plc", "command not sent: %s", e2);
            sv->writes_failed = true;
        }
    }
    if (*err && strcmp(err, sv->write_err) != 0)
        server_event(sv, "link", "write", "output not written: %s", err);
    (void)str_copy(sv->write_err, sizeof sv->write_err, err);
    if (plc_flush_writes(&sv->link, now_ms) < 0 || write_errors(&sv->link) != errors)
        sv->writes_failed = true;
}

/* One control cycle, started at now_ns on the monotonic clock: read the
 * PLC, advance process time, step the core, write its outputs, record. */
static void cycle(struct server *sv, int64_t now_ns)
{
    double mono = (double)now_ns / 1e9, wall = clock_wall_s();
    uint64_t now_ms = (uint64_t)(now_ns / 1000000);
    int rc = plc_read_all(&sv->link, now_ms, sv->tags);
    /* a block refused on the first read (before the link re-plans around
     * unmapped addresses) leaves its tags BAD_COMMS: the core waits for a
     * good read-back of every output before it writes (core.c), so the link
     * counts as up as soon as the PLC answers */
    bool up = rc >= 0 && sv->link.stats.state == PLC_UP;
    link_event(sv);
    for (int i = 0; i < sv->cfg->ntags; i++)
        sv->age[i] = sv->link.ever_read[i] ? (double)(now_ms - sv->link.read_ms[i]) / 1000.0 : -1;

    int tc = sv->t_plc_clock;
    bool clk = up && tc >= 0 && sv->tags[tc].q == Q_GOOD;
    double dt = cycle_pclock_step(&sv->pclock, mono, clk, tc >= 0 ? sv->tags[tc].v : 0);

    if (!sv->journal_ok && wall >= sv->journal_retry)
        server_event(sv, "server", "disk-retry", "journal writes again after a failure");
    struct core_status st = {.link_up = up,
                             .disk_ok = sv->journal_ok && sv->hist_ok,
                             .writes_failed = sv->writes_failed};
    struct core_times tm = {.t_proc = sv->pclock.t, .dt_proc = dt, .t_mono = mono};
    core_step(&sv->core, sv->tags, &st, &tm);
    stage_outputs(sv, now_ms);
    server_drain_results(sv, mono);
    if (hist_sample(&sv->hist, wall, sv->tags) < 0) {
        if (sv->hist_ok)
            server_event(sv, "server", "historian", "historian cannot write: %s",
                         strerror(sv->hist.last_errno));
        sv->hist_ok = false;
    } else {
        sv->hist_ok = true;
    }
    server_prune(sv, wall);
    sv->cycles++;
}

/* A snapshot to every client, ui_rate_hz times a second (none without clients). */
static void publish(struct server *sv, double mono)
{
    if (mono < sv->next_snap)
        return;
    sv->next_snap += sv->snap_every;
    if (sv->next_snap < mono)
        sv->next_snap = mono + sv->snap_every;
    bool any = false;
    for (int i = 0; i < sv->ss.max && !any; i++)
        any = sv->ss.s[i].fd >= 0;
    if (!any)
        return;
    struct snap *s = &sv->snap;
    memset(s, 0, sizeof *s);
    struct core_view view;
    core_view_fill(&sv->core, sv->tags, sv->age, sv->link.raw, &view);
    snap_from_view(&view, s);
    s->seq = ++sv->snap_seq;
    s->wall = clock_wall_s();
    s->cycles = sv->cycles;
    s->slow_cycles = sv->slow;
    cycle_lat_get(&sv->lat, &s->late_p50_ms, &s->late_p99_ms, &s->late_max_ms);
    s->period_ms = sv->cfg->cycle.period_ms;
    const struct plc_stats *ps = &sv->link.stats;
    s->link = ps->state == PLC_UP           ? LINK_UP
              : ps->state == PLC_CONNECTING ? LINK_CONNECTING
                                            : LINK_DOWN;
    s->reconnects = (uint32_t)ps->reconnects;
    for (int t = 0; t < PLC_TABLES; t++) {
        s->transactions += (uint32_t)ps->transactions[t];
        s->errors += (uint32_t)ps->errors[t];
    }
    s->rtt_ms = (double)ps->rtt_us / 1000.0;
    s->last_good_age_s =
        ps->ever_good ? (mono * 1000.0 - (double)ps->last_good_read_ms) / 1000.0 : -1;
    (void)str_copy(s->link_err, sizeof s->link_err, ps->last_error);
    snap_encode(s, &sv->out);
    if (sv->out.overflow)
        return;
    for (int i = 0; i < sv->ss.max; i++)
        if (sv->ss.s[i].fd >= 0 &&
            session_send(&sv->ss.s[i], sv->out.buf, sv->out.len, false, mono) < 0)
            server_drop(sv, i, "connection lost", false);
}

/* Drop clients that took nothing for SESSION_DROP_S; reap finished children
 * (each job's own, by pid); journal the refusals held back and whatever the
 * core had to drop. */
static void housekeeping(struct server *sv, double mono)
{
    for (int i = 0; i < sv->ss.max; i++)
        if (session_stuck(&sv->ss.s[i], mono))
            server_drop(sv, i, "not reading: nothing could be sent for 10 s", true);
    server_jobs_reap(sv, 0);
    server_refusals_flush(sv, mono, false);
    server_note_losses(sv);
}

/* ---- serving between cycles ---------------------------------------------------------------- */

static void add_pfd(struct server *sv, int fd, short ev, int kind, int ref)
{
    sv->pfd[sv->npfd] = (struct pollfd){.fd = fd, .events = ev};
    sv->pfd_kind[sv->npfd] = kind;
    sv->pfd_ref[sv->npfd] = ref;
    sv->npfd++;
}

static void build_pfds(struct server *sv)
{
    sv->npfd = 0;
    add_pfd(sv, sv->ss.listen_fd, POLLIN, PFD_LISTEN, 0);
    for (int i = 0; i < sv->ss.max; i++) {
        const struct session *s = &sv->ss.s[i];
        if (s->fd < 0)
            continue;
        short ev = POLLIN;
        if (s->nqueue > 0 || server_job_waits_for(sv, s->id))
            ev |= POLLOUT;
        add_pfd(sv, s->fd, ev, PFD_SESSION, i);
    }
    for (int j = 0; j < SERVER_JOBS; j++)
        if (sv->jobs[j].used && !sv->jobs[j].ready && !sv->jobs[j].eof)
            add_pfd(sv, sv->jobs[j].fd, POLLIN, PFD_JOB, j);
}

/* Serve what poll() found.  Client requests and job output wait in their
 * sockets and pipes (for the next round) once the deadline is 1 ms away. */
static void handle_pfds(struct server *sv, int64_t deadline)
{
    for (int i = 0; i < sv->npfd; i++) {
        short re = sv->pfd[i].revents;
        if (!re)
            continue;
        if (clock_mono_ns() > deadline - 1000000)
            return;
        double now = (double)clock_mono_ns() / 1e9;
        int ref = sv->pfd_ref[i];
        switch (sv->pfd_kind[i]) {
        case PFD_LISTEN:
            server_accept_clients(sv, now);
            break;
        case PFD_SESSION: {
            struct session *s = &sv->ss.s[ref];
            if (s->fd != sv->pfd[i].fd)
                break; /* closed and maybe reused in this round */
            if (re & POLLOUT) {
                if (session_flush(s, now) < 0) {
                    server_drop(sv, ref, "connection lost", false);
                    break;
                }
                for (int j = 0; j < SERVER_JOBS; j++)
                    if (sv->jobs[j].used && sv->jobs[j].session_id == s->id)
                        server_job_pump(sv, &sv->jobs[j], now);
            }
            if (re & (POLLIN | POLLHUP | POLLERR))
                server_client_input(sv, ref, now);
            break;
        }
        case PFD_JOB:
            if (sv->jobs[ref].used)
                server_job_pump(sv, &sv->jobs[ref], now);
            break;
        }
    }
}

static void sleep_until(int64_t deadline)
{
    struct timespec ts = clock_ts(deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
           !server_stop_signal)
        ;
}

/* Serve clients until 1 ms before the deadline, then sleep to it exactly. */
static void serve_until(struct server *sv, int64_t deadline)
{
    for (;;) {
        if (server_stop_signal || sv->stopping)
            return;
        int64_t now = clock_mono_ns(), rem = deadline - now;
        if (rem <= 0)
            return;
        if (rem <= 1000000) {
            sleep_until(deadline);
            return;
        }
        build_pfds(sv);
        struct timespec ts = clock_ts(rem - 1000000);
        int r = ppoll(sv->pfd, (nfds_t)sv->npfd, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            sleep_until(deadline);
            return;
        }
        if (r > 0)
            handle_pfds(sv, deadline);
        server_broadcast_flush(sv, (double)clock_mono_ns() / 1e9);
    }
}

void server_run_loop(struct server *sv)
{
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on the deadline, not up to 50 us after it */
    int64_t deadline = clock_mono_ns(), prev = 0;
    double slow_ns = sv->cfg->cycle.slow_factor * (double)sv->period_ns;
    while (!server_stop_signal && !sv->stopping) {
        serve_until(sv, deadline);
        if (server_stop_signal || sv->stopping)
            break;
        int64_t start = clock_mono_ns();
        cycle_lat_add(&sv->lat, (double)(start - deadline) / 1e6);
        if (prev && (double)(start - prev) > slow_ns)
            sv->slow++;
        prev = start;
        cycle(sv, start);
        server_notify_cycle(sv, start);
        double mono = (double)start / 1e9;
        publish(sv, mono);
        housekeeping(sv, mono);
        server_broadcast_flush(sv, mono);
        uint64_t missed = sv->missed;
        deadline = cycle_deadline_next(deadline, clock_mono_ns(), sv->period_ns, &sv->missed);
        if (sv->missed != missed)
            server_event(sv, "server", "cycle",
                         "%llu cycle deadlines missed (the server was held up "
                         "%.0f ms); the schedule carries on",
                         (unsigned long long)(sv->missed - missed),
                         (double)(clock_mono_ns() - start) / 1e6);
    }
}
