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
 *     cycle: plc_cycle_begin (the PLC I/O's budget: [cycle] plc_io_pct of
 *       the period) -> plc_read_all -> process time -> core_step -> plc_write
 *       each output -> plc_write_now(cmd_out) when the core sends a command
 *       (never staged) -> plc_flush_writes (nothing at all, and the staged
 *       outputs forgotten, while the core has suspended writes because
 *       another master writes the PLC) -> journal + reply every core
 *       result (queued for the writer) -> the historian's image to the
 *       writer -> snapshot to every client at ui_rate_hz
 *     deadline = cycle_deadline_next(deadline, now): + period; a whole
 *       period or more behind -> skip the missed deadlines, count, journal.
 *
 * A slow PLC gets its share of the period and no more: what does not fit
 * is read or written in the next cycles (plc_link.h, 'The cycle's budget'),
 * its tags STALE meanwhile, so the time between cycles stays for the
 * clients.  A cycle that put PLC I/O off, or missed deadlines, is an
 * overrun: the condition of the overrun alarm, held for OVERRUN_HOLD_MS so
 * an intermittent overrun stays one alarm.  Reads or writes the PLC keeps
 * refusing ([plc] refused_cycles in a row) are the refused alarm's,
 * named in its note and journalled whenever the list changes.
 *
 * Clients are served in the time between cycles and never waited for;
 * each round of serving handles at least what is waiting at its start,
 * even when the cycle ran past its deadline.  They are never waited for:
 * their sockets are written with MSG_DONTWAIT (session.c), requests are
 * taken as they come (server_clients.c), and anything that reads files for
 * a client runs in a forked child (server_jobs.c).
 *
 * The cycle never touches the disk: journal lines, the loops' state and the
 * historian's samples are queued for the writer's thread (writer.c), which
 * wakes the loop through its fd when lines are on disk, so the replies
 * that wait for them go out between cycles (server_record.c).
 *
 * Process time comes from plc_clock through cycle_pclock_step; the
 * equations are at the top of control/core/cycle.c.
 *
 * Training time (issue 16, control/README.md 'Training time'): against a
 * simulator (plc_mode 1) running sim_speed times faster than the wall clock,
 * the period is divided by that speed, down to SIM_PERIOD_MIN_NS, so a cycle
 * stays near [cycle] period_ms of process time and the loops keep their dt;
 * frozen (sim_state), the configured period.  Deadlines the short period
 * misses count as missed (journal, overrun alarm) only when they add up to a
 * configured period: a held-up cycle is judged by the plant's period.
 */
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "clock.h"
#include "plc_contract.h"
#include "mqtt.h"
#include "util.h"

/* ---- the cycle ------------------------------------------------------------------------------ */

#define OVERRUN_HOLD_MS 2000 /* the overrun condition outlives the last overrun cycle by this */

/* ---- issue 16: the cycle's period against a sped-up simulator --------------------------------- */

#define SIM_PERIOD_MIN_NS 10000000 /* 10 ms: at most 100 cycles a second */

/* The period of the next cycle: [cycle] period_ms, divided by the simulator's speed. */
static int64_t sim_period_ns(const struct server *sv)
{
    const struct tag_value *t = sv->tags;
    if (sv->t_plc_mode < 0 || sv->t_sim_speed < 0 || t[sv->t_plc_mode].q != Q_GOOD ||
        t[sv->t_plc_mode].v != 1 || t[sv->t_sim_speed].q != Q_GOOD ||
        !(t[sv->t_sim_speed].v > 1))
        return sv->period_ns;
    if (sv->t_sim_state >= 0 && t[sv->t_sim_state].q == Q_GOOD &&
        ((unsigned)t[sv->t_sim_state].v & PLC_SIM_FROZEN))
        return sv->period_ns;
    double p = (double)sv->period_ns / t[sv->t_sim_speed].v;
    return p < SIM_PERIOD_MIN_NS ? SIM_PERIOD_MIN_NS : (int64_t)p;
}

/* A GOOD tag's value, or -1. */
static double sim_tag(const struct server *sv, int t)
{
    return t >= 0 && sv->tags[t].q == Q_GOOD ? sv->tags[t].v : -1;
}

/* The simulator's training clock in the journal, once per change: its speed, the
 * instructor's freeze and run, each restore or backtrack (sim_restarts counts), with
 * the PLC's clock, so the trainee's actions can be read beside them. */
static void sim_events(struct server *sv)
{
    if (sim_tag(sv, sv->t_plc_mode) != 1)
        return;
    double clk = sim_tag(sv, sv->t_plc_clock), speed = sim_tag(sv, sv->t_sim_speed);
    int state = (int)sim_tag(sv, sv->t_sim_state), rs = (int)sim_tag(sv, sv->t_sim_restarts);
    if (speed > 0 && speed != sv->sim_speed_seen) {
        server_event(sv, "training", "speed",
                     "simulator at %gx real time (plc_clock %.0f s): the cycle runs every %.1f ms",
                     speed, clk, (double)sim_period_ns(sv) / 1e6);
        sv->sim_speed_seen = speed;
    }
    if (state >= 0 && state != sv->sim_state_seen) {
        bool frozen = ((unsigned)state & PLC_SIM_FROZEN) != 0;
        if (sv->sim_state_seen >= 0 || frozen)
            server_event(sv, "training", "clock",
                         frozen ? "simulator frozen by the instructor at plc_clock %.0f s: "
                                  "process time stands still, commands are answered busy"
                                : "simulator running again from plc_clock %.0f s",
                         clk);
        sv->sim_state_seen = state;
    }
    if (rs >= 0 && rs != sv->sim_restarts_seen) {
        if (sv->sim_restarts_seen >= 0)
            server_event(sv, "training", "restore",
                         "the instructor restored the plant (restart %d): plc_clock now %.0f "
                         "s; process time goes on, outputs go on from where they were",
                         rs, clk);
        sv->sim_restarts_seen = rs;
    }
}

/* The next deadline at the simulator's period; missed ones counted in configured periods. */
static int64_t sim_deadline_next(struct server *sv, int64_t deadline, int64_t now)
{
    int64_t p = sim_period_ns(sv);
    if (p >= sv->period_ns)
        return cycle_deadline_next(deadline, now, sv->period_ns, &sv->missed);
    uint64_t k = 0;
    int64_t next = cycle_deadline_next(deadline, now, p, &k);
    sv->missed += (uint64_t)((int64_t)k * p / sv->period_ns);
    return next;
}

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
    /* a write put off by the budget did not reach the PLC either */
    if (plc_flush_writes(&sv->link, now_ms) < 0 || write_errors(&sv->link) != errors ||
        sv->link.stats.cycle_deferred_writes > 0)
        sv->writes_failed = true;
}

/* The PLC I/O against its budget (this cycle's reads, the last cycle's
 * writes: `writes_off`) and the deadlines missed since the last cycle: the
 * overrun alarm's condition and note. */
static void judge_overrun(struct server *sv, uint64_t now_ms, int writes_off)
{
    const struct plc_stats *ps = &sv->link.stats;
    uint64_t missed = sv->missed - sv->missed_seen;
    sv->missed_seen = sv->missed;
    int off = ps->cycle_deferred_reads + writes_off;
    if (off > 0 || missed > 0) {
        int p = sv->cfg->cycle.period_ms;
        sv->overrun_hold = (OVERRUN_HOLD_MS + p - 1) / p;
        uint64_t oldest = 0; /* ms */
        for (int i = 0; i < sv->cfg->ntags; i++)
            if (sv->link.ever_read[i] && now_ms - sv->link.read_ms[i] > oldest)
                oldest = now_ms - sv->link.read_ms[i];
        unsigned ds = oldest > 9999999 ? 99999u : (unsigned)(oldest / 100);
        if (off > 0)
            snprintf(sv->overrun_note, sizeof sv->overrun_note,
                     "PLC too slow for its %u ms budget: %d reads, %d writes put off; oldest "
                     "value %u.%u s old",
                     (unsigned)(ps->budget_us / 1000 % 100000), ps->cycle_deferred_reads,
                     writes_off, ds / 10, ds % 10);
        else
            snprintf(sv->overrun_note, sizeof sv->overrun_note,
                     "%llu cycle deadlines missed", (unsigned long long)missed);
    } else if (sv->overrun_hold > 0) {
        sv->overrun_hold--;
    }
}

/* The reads and writes the PLC keeps refusing: journalled when the list changes. */
static void judge_refusals(struct server *sv)
{
    char now[sizeof sv->refusals];
    plc_refusals(&sv->link, now, sizeof now);
    if (!strcmp(now, sv->refusals))
        return;
    if (*now)
        server_event(sv, "link", "refused", "refused %d times in a row: %s",
                     sv->cfg->plc.refused_cycles, now);
    else
        server_event(sv, "link", "refused", "the PLC accepts every read and write again");
    (void)str_copy(sv->refusals, sizeof sv->refusals, now);
}

/* MQTT (mqtt.h): this cycle's values handed to the publisher's thread, and
 * the lines it has for the journal.  Neither waits: both only try its lock. */
static void mqtt_hook(struct server *sv, double wall)
{
    if (!sv->mqtt)
        return;
    int link = sv->link.stats.state == PLC_UP           ? LINK_UP
               : sv->link.stats.state == PLC_CONNECTING ? LINK_CONNECTING
                                                       : LINK_DOWN;
    mqtt_cycle(sv->mqtt, &sv->core, sv->tags, sv->age, link, sv->slow, wall);
    char line[256];
    for (int i = 0; i < 4 && mqtt_note(sv->mqtt, line, sizeof line); i++)
        server_event(sv, "mqtt", "broker", "%s", line);
}

/* One control cycle, started at now_ns on the monotonic clock: read the
 * PLC, advance process time, step the core, write its outputs, record. */
static void cycle(struct server *sv, int64_t now_ns)
{
    double mono = (double)now_ns / 1e9, wall = clock_wall_s();
    uint64_t now_ms = (uint64_t)(now_ns / 1000000);
    int writes_off = sv->link.stats.cycle_deferred_writes;
    plc_cycle_begin(&sv->link, (uint64_t)sv->cfg->cycle.period_ms * 10u *
                                   (uint64_t)sv->cfg->cycle.plc_io_pct);
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

    server_record_poll(sv, mono);
    if (up)
        sim_events(sv); /* issue 16 */
    judge_overrun(sv, now_ms, writes_off);
    judge_refusals(sv);
    struct core_status st = {.link_up = up,
                             .disk_ok = sv->record_ok && sv->wst.hist_ok,
                             .writes_failed = sv->writes_failed,
                             .overrun = sv->overrun_hold > 0,
                             .overrun_note = sv->overrun_note,
                             .refused = sv->refusals[0] != '\0',
                             .refused_note = sv->refusals};
    struct core_times tm = {.t_proc = sv->pclock.t, .dt_proc = dt, .t_mono = mono};
    core_step(&sv->core, sv->tags, &st, &tm);
    stage_outputs(sv, now_ms);
    server_drain_results(sv, mono);
    wr_sample(sv->wr, wall, sv->tags, sv->cfg->ntags); /* the historian's, on the writer */
    mqtt_hook(sv, wall);
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

/* Drop clients that took nothing for SESSION_DROP_S; refuse connections
 * the account database left waiting for SESSION_WAIT_S; reap finished
 * children (each job's own, by pid); journal the refusals held back and
 * whatever the core had to drop. */
static void housekeeping(struct server *sv, double mono)
{
    for (int i = 0; i < sv->ss.max; i++)
        if (session_stuck(&sv->ss.s[i], mono))
            server_drop(sv, i, "not reading: nothing could be sent for 10 s", true);
    if (session_waiting(&sv->ss) > 0)
        server_accept_clients(sv, mono);
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
    add_pfd(sv, wr_fd(sv->wr), POLLIN, PFD_WRITER, 0);
    add_pfd(sv, ident_fd(sv->ss.ident), POLLIN, PFD_IDENT, 0);
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
        case PFD_WRITER: /* lines on disk: their replies go out now, not next cycle */
            server_record_poll(sv, now);
            break;
        case PFD_IDENT: /* an account looked up: the connections that waited for it */
            ident_ack(sv->ss.ident);
            server_accept_clients(sv, now);
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

/* Serve clients until 1 ms before the deadline, then sleep to it exactly.
 * After a cycle the first round always runs: past the deadline (a cycle
 * that overran) it polls without waiting and handles everything that is
 * waiting, so no cycle goes by without serving the clients.  (Not before
 * the first cycle: a hello tells what was read from the PLC.) */
static void serve_until(struct server *sv, int64_t deadline)
{
    for (bool first = sv->cycles > 0;; first = false) {
        if (server_stop_signal || sv->stopping)
            return;
        int64_t now = clock_mono_ns(), rem = deadline - now;
        if (!first && rem <= 1000000) {
            if (rem > 0)
                sleep_until(deadline);
            return;
        }
        build_pfds(sv);
        struct timespec ts = clock_ts(rem > 1000000 ? rem - 1000000 : 0);
        int r = ppoll(sv->pfd, (nfds_t)sv->npfd, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            if (rem > 0)
                sleep_until(deadline);
            return;
        }
        if (r > 0)
            handle_pfds(sv, first && rem <= 1000000 ? INT64_MAX : deadline);
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
        deadline = sim_deadline_next(sv, deadline, clock_mono_ns()); /* issue 16 */
        if (sv->missed != missed)
            server_event(sv, "server", "cycle",
                         "%llu cycle deadlines missed (the server was held up "
                         "%.0f ms); the schedule carries on",
                         (unsigned long long)(sv->missed - missed),
                         (double)(clock_mono_ns() - start) / 1e6);
    }
}
