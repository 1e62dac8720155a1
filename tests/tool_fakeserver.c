/* fakeserver — a scripted stand-in for the meltcon server, for the console's
 * tmux tests and demos: the same SOCK_SEQPACKET protocol (proto.h, snap.h),
 * the same config file, no PLC.
 *
 *   fakeserver [-c CONFIG] [-s SOCKET] [-l LOG] [--role ROLE] [--user NAME]
 *              [--plc-mode N] [--rate HZ] [--alarms NAME:STATE:AGE,...]
 *              [--shed LOOP] [--held LOOP] [--comb LOOP] [--trip pump|fan]
 *
 * It sends hello and a journal tail on connect, then a snapshot at --rate
 * (default 4 Hz): every tag of the config's map with values drifting slowly
 * around a furnace in PYROLYSIS (plus a little noise), the scrap pyrometer
 * BAD, the loops of the config, the alarm roof_h unacknowledged, another
 * acknowledged and one shelved, and every permissive command with the
 * charging door, HC door, push, tap and phase advance BLOCKED with their
 * conditions.  Requests are answered as the server would: a setpoint within
 * the loop's limits and largest step is accepted, anything else refused with
 * a sentence; acknowledge, shelve, unshelve, mode, output, commands and phase
 * changes act on the scripted state.  `export` answers as the server's
 * historian would (journal messages tagged with the request's id carrying
 * CSV, then a reply): a made-up past of the requested tags, one row every
 * 10 s from FROM (at most 10 min before now) to 30 s ago, each value 1.25
 * times its drift base (so a test can tell history from the live values),
 * every 7th row BAD and every 11th row empty.  Every request and its answer is
 * appended to the log file, one line each:
 *
 *   req id=3 verb=set target=bath.sp value=745 reason=test -> ok: bath.sp 740 -> 745 degC
 *
 * --alarms replaces the scripted alarms by the list given: each the config
 * alarm NAME in STATE (UNACK, ACKED, RTN_UNACK, SHELVED, SUPPRESSED, OOS)
 * since AGE seconds, optionally ":fo" for the first out of its group (e.g.
 * "plc_link:RTN_UNACK:90,roof_h:UNACK:10:fo"); "" for none.  A negative AGE
 * raises the alarm that many seconds after the start (a new alarm for a
 * console already attached).
 *
 * --shed LOOP starts that loop in MAN marked as shed by a bad PV (LF_SHED)
 * until a mode request puts it back to AUTO or CAS.  --held LOOP marks that
 * loop's output as held by the output gap (LF_OUT_HELD), --comb LOOP its
 * setpoint as cut by the O2/CO override (LF_OVERRIDE | LF_COMB_CUT).  --trip
 * pump or --trip fan reports that motor's protection tripped as the PLC does
 * (pump_trip/fan_trip 1, the motor stopped, plc_interlocks DRIVE_TRIP).
 *
 * SIGUSR1 stops the snapshots (the connection stays up: a console must show
 * STALE), SIGUSR2 resumes them, SIGTERM or SIGINT close everything.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "cfg.h"
#include "clock.h"
#include "perm.h"
#include "plc_contract.h"
#include "proto.h"
#include "snap.h"
#include "tag.h"

#define MAX_CLIENTS 8
#define MAX_FAKE_ALARMS 8
#define JOURNAL_TAIL 32

/* How each tag moves: base + amp * sin(2 pi t / period) + noise. */
static const struct {
    const char *name;
    double base, amp, period, noise;
} drift[] = {
    {"hc_gas_temp", 1010, 8, 300, 0.3},
    {"roof_temp", 1205, 2, 600, 0.3},
    {"bath_hc_temp", 741, 1.5, 900, 0.2},
    {"bath_sc_temp", 736, 1.5, 900, 0.2},
    {"sc_gas_temp", 455, 6, 240, 0.3},
    {"flue_temp", 1120, 10, 400, 0.5},
    {"o2_pct", 2.1, 0.2, 120, 0.02},
    {"co_ppm", 2400, 150, 200, 10},
    {"furnace_pressure", 9.8, 0.8, 60, 0.1},
    {"gas_flow", 520, 20, 300, 1},
    {"gas_pressure", 250, 1, 600, 0.2},
    {"firing_fb", 78, 3, 300, 0.1},
    {"pump_speed_fb", 40, 0, 1, 0},
    {"fan_speed_fb", 55, 4, 240, 0.1},
    {"damper_fb", 35, 2, 60, 0.1},
    {"bath_level", 820, 1, 900, 0},
    {"bms_state", 3, 0, 1, 0},
    {"plc_mode", 1, 0, 1, 0},
    {"metal_mass", 48200, 0, 1, 0},
    {"scrap_on_hearth", 3000, 0, 1, 0},
    {"sc_door_closed", 1, 0, 1, 0},
    {"hc_door_closed", 1, 0, 1, 0},
    {"flame_on", 1, 0, 1, 0},
    {"estop_ok", 1, 0, 1, 0},
    {"gas_ok", 1, 0, 1, 0},
    {"air_ok", 1, 0, 1, 0},
    {"pump_running", 1, 0, 1, 0},
    {"fan_running", 1, 0, 1, 0},
    {"pusher_home", 1, 0, 1, 0},
    {"firing_demand", 78, 3, 300, 0},
    {"pump_demand", 40, 0, 1, 0},
    {"fan_demand", 55, 4, 240, 0},
    {"damper_demand", 35, 2, 60, 0},
};

static const struct {
    enum perm_cmd cmd;
    const char *why;
} blocked[] = {
    {PERM_SC_DOOR_OPEN, "Open charging door: firing 78 % > low-fire limit 30 %; Open charging "
                        "door: CO 2400 ppm > door CO limit 2000 ppm"},
    {PERM_HC_DOOR_OPEN, "Open HC door: firing 78 % > low-fire limit 30 %"},
    {PERM_PUSH, "Push scrap: scrap BAD (no good value)"},
    {PERM_TAP_OPEN, "Open tap: phase PYROLYSIS, not TAP"},
    {PERM_PHASE_ADVANCE,
     "Advance phase: PYROLYSIS not ready: CO 2400 ppm > end of pyrolysis 500 ppm"},
};

struct fake_alarm {
    char name[CFG_NAME_MAX];
    int state, prio;
    double t, tr, su; /* last change, raised, shelved until */
    bool fo;
};

struct fake {
    const struct cfg *c;
    double t, t_phase;
    int phase;
    unsigned long noise;
    double sp[CFG_MAX_LOOPS], out[CFG_MAX_LOOPS];
    int mode[CFG_MAX_LOOPS];
    bool shed[CFG_MAX_LOOPS]; /* --shed: in MAN after a bad PV, until put back */
    const char *shed_loop;
    const char *held_loop, *comb_loop; /* --held, --comb */
    const char *trip;                  /* --trip pump|fan */
    int nal;
    struct fake_alarm al[MAX_FAKE_ALARMS];
    char role[16], user[CFG_NAME_MAX];
    int plc_mode;
    const char *alarms; /* --alarms, NULL: the scripted ones */
    FILE *log;
    char journal[JOURNAL_TAIL][256];
    int jn;
    int cfd[MAX_CLIENTS];
    uint32_t seq;
    struct snap s;
    struct proto_out o;
    struct proto_msg m;
};

static volatile sig_atomic_t quit, paused;

static void on_quit(int sig)
{
    quit = sig;
}
static void on_pause(int sig)
{
    paused = sig == SIGUSR1;
}

static double noise(struct fake *f, double amp)
{
    f->noise = f->noise * 6364136223846793005UL + 1442695040888963407UL;
    return amp * (((f->noise >> 33) & 0xffff) / 32768.0 - 1.0);
}

static void send_all(struct fake *f, int only)
{
    if (f->o.overflow)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (f->cfd[i] < 0 || (only >= 0 && i != only))
            continue;
        if (send(f->cfd[i], f->o.buf, f->o.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
            errno != EAGAIN) {
            close(f->cfd[i]);
            f->cfd[i] = -1;
        }
    }
}

static __attribute__((format(printf, 2, 3))) void journal(struct fake *f, const char *fmt, ...)
{
    char line[256], text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    long t = (long)f->t;
    snprintf(line, sizeof line, "%02ld:%02ld:%02ld %s", t / 3600 % 24, t / 60 % 60, t % 60, text);
    if (f->jn == JOURNAL_TAIL) {
        memmove(f->journal[0], f->journal[1], sizeof f->journal[0] * (JOURNAL_TAIL - 1));
        f->jn--;
    }
    snprintf(f->journal[f->jn++], sizeof f->journal[0], "%s", line);
    const char *lines[1] = {line};
    snap_journal_encode(lines, 1, &f->o);
    send_all(f, -1);
}

static void add_alarm(struct fake *f, const char *name, int state, double age, double su)
{
    const struct cfg_alarm *d = NULL;
    for (int i = 0; i < f->c->nalarms; i++)
        if (!strcmp(f->c->alarms[i].name, name))
            d = &f->c->alarms[i];
    if (!d || f->nal >= MAX_FAKE_ALARMS)
        return;
    struct fake_alarm *a = &f->al[f->nal++];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->state = state;
    a->prio = (int)d->priority;
    a->t = a->tr = f->t - age;
    a->su = su;
}

static void init(struct fake *f)
{
    f->t = 8 * 3600 + 12 * 60;
    f->phase = PH_PYROLYSIS;
    f->t_phase = 912;
    f->noise = 12345;
    for (int i = 0; i < f->c->nloops; i++) {
        f->sp[i] = f->c->loops[i].sp;
        f->mode[i] = (int)f->c->loops[i].mode;
        f->out[i] = f->c->loops[i].out_lo + 0.5 * (f->c->loops[i].out_hi - f->c->loops[i].out_lo);
    }
    if (!f->alarms) {
        add_alarm(f, "roof_h", ALARM_UNACK, 95, 0);
        add_alarm(f, "scrap_temp_bad", ALARM_ACKED, 400, 0);
        add_alarm(f, "o2_high", ALARM_SHELVED, 600, f->t + 1800);
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        f->cfd[i] = -1;
}

/* --alarms NAME:STATE:AGE[:fo],...; -1 with a sentence on stderr. */
static int parse_alarms(struct fake *f, const char *spec)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char name[CFG_NAME_MAX], state[16], fo[8] = "";
        double age;
        int k = sscanf(it, "%31[^:]:%15[^:]:%lf:%7s", name, state, &age, fo);
        int st = -1;
        for (int i = 0; k >= 3 && i < ALARM_STATE_COUNT; i++)
            if (!strcmp(alarm_state_name((enum alarm_state)i), state))
                st = i;
        int before = f->nal;
        if (st > ALARM_NORMAL)
            add_alarm(f, name, st, age, st == ALARM_SHELVED ? f->t + 1800 : 0);
        if (f->nal == before || (fo[0] && strcmp(fo, "fo") != 0)) {
            fprintf(stderr, "fakeserver: --alarms: \"%s\": expected NAME:STATE:AGE[:fo] with a "
                            "config alarm and a state such as UNACK\n", it);
            return -1;
        }
        f->al[f->nal - 1].fo = fo[0] != 0;
    }
    return 0;
}

static void tag_value(struct fake *f, const char *name, struct snap_tag *t)
{
    t->v = 0;
    t->q = Q_GOOD;
    for (size_t i = 0; i < sizeof drift / sizeof drift[0]; i++)
        if (!strcmp(drift[i].name, name))
            t->v = drift[i].base + drift[i].amp * sin(2 * M_PI * f->t / drift[i].period) +
                   noise(f, drift[i].noise);
    if (!strcmp(name, "scrap_temp")) {
        t->v = 380;
        t->q = Q_BAD_SENSOR;
        t->age_s = 400 + (f->t - 8 * 3600 - 12 * 60);
    }
    if (!strcmp(name, "plc_clock"))
        t->v = f->t;
    if (f->trip) {
        /* --trip DRIVE: the PLC's motor protection tripped, the motor stopped */
        char tr[40], run[40];
        snprintf(tr, sizeof tr, "%s_trip", f->trip);
        snprintf(run, sizeof run, "%s_running", f->trip);
        if (!strcmp(name, tr))
            t->v = 1;
        if (!strcmp(name, run) || (!strcmp(f->trip, "pump") && !strcmp(name, "pump_speed_fb")) ||
            (!strcmp(f->trip, "fan") && !strcmp(name, "fan_speed_fb")))
            t->v = 0;
        if (!strcmp(name, "plc_interlocks"))
            t->v = PLC_IL_DRIVE_TRIP;
    }
    t->raw = round(t->v * 10);
}

static void build(struct fake *f)
{
    struct snap *s = &f->s;
    const struct cfg *c = f->c;
    memset(s, 0, sizeof *s);
    s->seq = ++f->seq;
    s->t = f->t;
    s->wall = (double)time(NULL);
    s->cycles = f->seq * 1;
    s->late_p50_ms = 0.08;
    s->late_p99_ms = 0.4;
    s->late_max_ms = 2.1;
    s->period_ms = c->cycle.period_ms;
    s->link = LINK_UP;
    s->transactions = f->seq * 4;
    s->rtt_ms = 0.4;
    s->last_good_age_s = 0.1;
    snprintf(s->program, sizeof s->program, "%s", c->furnace.program);
    s->phase = f->phase;
    s->t_phase = f->t_phase;
    snprintf(s->phase_why, sizeof s->phase_why, "CO 2400 ppm > end of pyrolysis 500 ppm");
    for (int i = 0; i < c->ntags && i < CFG_MAX_TAGS; i++) {
        struct snap_tag *t = &s->tags[s->ntags++];
        snprintf(t->name, sizeof t->name, "%s", c->tags[i].name);
        tag_value(f, c->tags[i].name, t);
    }
    for (int i = 0; i < c->nloops; i++) {
        struct snap_loop *l = &s->loops[s->nloops++];
        snprintf(l->name, sizeof l->name, "%s", c->loops[i].name);
        l->mode = f->mode[i];
        l->sp = f->sp[i];
        l->wsp = f->sp[i];
        for (int k = 0; k < s->ntags; k++)
            if (!strcmp(s->tags[k].name, c->loops[i].pv)) {
                l->pv = s->tags[k].v;
                l->pv_q = s->tags[k].q;
            }
        l->out = f->out[i];
        if (f->shed[i])
            l->flags |= LF_SHED;
        if (f->held_loop && !strcmp(f->held_loop, c->loops[i].name))
            l->flags |= LF_OUT_HELD;
        if (f->comb_loop && !strcmp(f->comb_loop, c->loops[i].name)) {
            l->flags |= LF_OVERRIDE | LF_COMB_CUT;
            l->wsp = f->sp[i] - 20;
        }
    }
    for (int i = 0; i < f->nal; i++) {
        const struct fake_alarm *a = &f->al[i];
        if (a->state == ALARM_NORMAL || a->tr > f->t)
            continue; /* not raised (yet) */
        struct snap_alarm *x = &s->alarms[s->nalarms++];
        memcpy(x->name, a->name, sizeof x->name);
        x->state = a->state;
        x->prio = a->prio;
        x->t = a->t;
        x->t_raised = a->tr;
        x->shelved_until = a->su;
        x->first_out = a->fo;
        s->n_unacked += a->state == ALARM_UNACK || a->state == ALARM_RTN_UNACK;
        s->n_active += a->state == ALARM_UNACK || a->state == ALARM_ACKED; /* condition holds */
        s->n_shelved += a->state == ALARM_SHELVED;
    }
    s->alarms_per_10min = 2;
    for (int i = 0; i < PERM_COUNT && s->nperms < SNAP_MAX_PERMS; i++) {
        struct snap_perm *p = &s->perms[s->nperms++];
        snprintf(p->cmd, sizeof p->cmd, "%s", perm_cmd_name((enum perm_cmd)i));
        p->ready = true;
        for (size_t k = 0; k < sizeof blocked / sizeof blocked[0]; k++)
            if (blocked[k].cmd == (enum perm_cmd)i) {
                p->ready = false;
                snprintf(p->why, sizeof p->why, "%s", blocked[k].why);
            }
    }
}

static int loop_index(const struct cfg *c, const char *name, size_t len)
{
    for (int i = 0; i < c->nloops; i++)
        if (strlen(c->loops[i].name) == len && !strncmp(c->loops[i].name, name, len))
            return i;
    return -1;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && !errno && isfinite(*v) ? 0 : -1;
}

static struct fake_alarm *find_alarm(struct fake *f, const char *name)
{
    for (int i = 0; i < f->nal; i++)
        if (!strcmp(f->al[i].name, name) && f->al[i].state != ALARM_NORMAL)
            return &f->al[i];
    return NULL;
}

static bool do_set(struct fake *f, const struct snap_req *r, char *text, size_t n)
{
    const char *dot = strchr(r->target, '.');
    int li = dot ? loop_index(f->c, r->target, (size_t)(dot - r->target)) : -1;
    if (li < 0) {
        snprintf(text, n, "%s: no such loop (bath, hc, sc, pressure)", r->target);
        return false;
    }
    const struct cfg_loop *d = &f->c->loops[li];
    const struct cfg_tag *t = cfg_tag_find(f->c, d->pv);
    const char *unit = t ? t->unit : "";
    double v;
    if (!strcmp(dot + 1, "mode")) {
        int m = !strcmp(r->value, "MAN")    ? LOOP_MAN
                : !strcmp(r->value, "AUTO") ? LOOP_AUTO
                : !strcmp(r->value, "CAS")  ? LOOP_CAS
                                            : -1;
        if (m < 0) {
            snprintf(text, n, "%s: \"%s\" is not a mode (MAN, AUTO, CAS)", r->target, r->value);
            return false;
        }
        snprintf(text, n, "%s %s -> %s", r->target, cfg_loop_mode_name(f->mode[li]), r->value);
        f->mode[li] = m;
        if (m != LOOP_MAN)
            f->shed[li] = false; /* put back by an operator */
        return true;
    }
    if (parse_num(r->value, &v) < 0) {
        snprintf(text, n, "%s: \"%s\" is not a number", r->target, r->value);
        return false;
    }
    if (!strcmp(dot + 1, "sp")) {
        if (v < d->sp_lo || v > d->sp_hi) {
            snprintf(text, n, "%s %g refused: outside the setpoint limits %g to %g %s", r->target,
                     v, d->sp_lo, d->sp_hi, unit);
            return false;
        }
        if (d->sp_max_step > 0 && fabs(v - f->sp[li]) > d->sp_max_step) {
            snprintf(text, n, "%s %g refused: a step of %g %s, more than the largest step %g %s",
                     r->target, v, fabs(v - f->sp[li]), unit, d->sp_max_step, unit);
            return false;
        }
        snprintf(text, n, "%s %g -> %g %s", r->target, f->sp[li], v, unit);
        f->sp[li] = v;
        return true;
    }
    if (!strcmp(dot + 1, "out")) {
        if (f->mode[li] != LOOP_MAN) {
            snprintf(text, n, "%s refused: the loop is in %s, not MAN", r->target,
                     cfg_loop_mode_name(f->mode[li]));
            return false;
        }
        if (v < d->out_lo || v > d->out_hi) {
            snprintf(text, n, "%s %g refused: outside the output limits %g to %g", r->target, v,
                     d->out_lo, d->out_hi);
            return false;
        }
        snprintf(text, n, "%s %g -> %g", r->target, f->out[li], v);
        f->out[li] = v;
        return true;
    }
    snprintf(text, n, "%s: expected LOOP.sp, LOOP.mode or LOOP.out", r->target);
    return false;
}

static bool do_cmd(struct fake *f, const struct snap_req *r, char *text, size_t n)
{
    int cmd = perm_cmd_from_name(r->target);
    if (cmd < 0) {
        snprintf(text, n, "%s: no such command", r->target);
        return false;
    }
    for (size_t k = 0; k < sizeof blocked / sizeof blocked[0]; k++)
        if (blocked[k].cmd == (enum perm_cmd)cmd) {
            snprintf(text, n, "%s", blocked[k].why);
            return false;
        }
    if (cmd == PERM_LOCKOUT_RESET) {
        snprintf(text, n, "Reset burner lockout: the PLC refused it: there is no lockout to reset");
        return false;
    }
    if (cmd == PERM_CHARGE) {
        double v;
        if (parse_num(r->value, &v) < 0 || v <= 0 || v > f->c->limits.max_charge_t) {
            snprintf(text, n,
                     "Charge scrap: \"%s\" t is not a charge mass (more than 0, at most "
                     "%g t)",
                     r->value, f->c->limits.max_charge_t);
            return false;
        }
        snprintf(text, n, "Charge scrap %.1f t: done", v);
        return true;
    }
    snprintf(text, n, "%s: done", perm_cmd_label((enum perm_cmd)cmd));
    return true;
}

static bool do_alarm(struct fake *f, const struct snap_req *r, char *text, size_t n)
{
    if (!strcmp(r->verb, "ack") && !strcmp(r->target, "all")) {
        int k = 0;
        for (int i = 0; i < f->nal; i++)
            if (f->al[i].state == ALARM_UNACK || f->al[i].state == ALARM_RTN_UNACK) {
                f->al[i].state = f->al[i].state == ALARM_UNACK ? ALARM_ACKED : ALARM_NORMAL;
                k++;
            }
        snprintf(text, n, "%d alarm%s acknowledged", k, k == 1 ? "" : "s");
        return true;
    }
    struct fake_alarm *a = find_alarm(f, r->target);
    if (!a) {
        snprintf(text, n, "%s: no such active alarm", r->target);
        return false;
    }
    if (!strcmp(r->verb, "ack")) {
        if (a->state != ALARM_UNACK && a->state != ALARM_RTN_UNACK) {
            snprintf(text, n, "%s is not unacknowledged", a->name);
            return false;
        }
        a->state = a->state == ALARM_UNACK ? ALARM_ACKED : ALARM_NORMAL;
        snprintf(text, n, "%s acknowledged", a->name);
        return true;
    }
    if (!strcmp(r->verb, "shelve")) {
        double v;
        if (!r->reason[0]) {
            snprintf(text, n, "shelving %s needs a reason", a->name);
            return false;
        }
        if (parse_num(r->value, &v) < 0 || v <= 0) {
            snprintf(text, n, "shelving %s: \"%s\" is not a number of minutes", a->name, r->value);
            return false;
        }
        a->state = ALARM_SHELVED;
        a->su = f->t + 60 * v;
        snprintf(text, n, "%s shelved for %g min: %s", a->name, v, r->reason);
        return true;
    }
    if (a->state != ALARM_SHELVED) {
        snprintf(text, n, "%s is not shelved", a->name);
        return false;
    }
    a->state = ALARM_UNACK;
    a->su = 0;
    snprintf(text, n, "%s unshelved, now UNACK", a->name);
    return true;
}

#define EXPORT_LINES 40 /* CSV lines per journal message */

static void export_flush(struct fake *f, int ci, long id, char lines[][256], int n)
{
    proto_begin(&f->o, PT_JOURNAL);
    proto_kvi(&f->o, "id", id);
    for (int i = 0; i < n; i++) {
        proto_nl(&f->o);
        proto_add(&f->o, "j");
        proto_kv(&f->o, "l", lines[i]);
    }
    send_all(f, ci);
}

static bool do_export(struct fake *f, int ci, const struct snap_req *r, char *text, size_t n)
{
    double from, to;
    if (sscanf(r->value, "%lf %lf", &from, &to) != 2 || !(from < to)) {
        snprintf(text, n, "export \"%s\": expected FROM TO as Unix times, FROM before TO",
                 r->value);
        return false;
    }
    static char lines[EXPORT_LINES][256];
    char names[sizeof r->target], *save = NULL;
    const char *tag[32];
    int ntags = 0, nl = 0;
    snprintf(names, sizeof names, "%s", r->target);
    int len = snprintf(lines[nl], sizeof lines[0], "time");
    for (char *t = strtok_r(names, ",", &save); t && ntags < 32; t = strtok_r(NULL, ",", &save)) {
        tag[ntags++] = t;
        len += snprintf(lines[nl] + len, sizeof lines[0] - (size_t)len, ",%s", t);
    }
    nl++;
    double now = (double)time(NULL), t0 = fmax(from, now - 600);
    long rows = 0;
    for (double t = ceil(t0 / 10) * 10; t <= fmin(to, now - 30); t += 10, rows++) {
        time_t w = (time_t)t;
        struct tm tm;
        gmtime_r(&w, &tm);
        char *l = lines[nl++];
        len = (int)strftime(l, sizeof lines[0], "%Y-%m-%dT%H:%M:%S.000Z", &tm);
        for (int k = 0; k < ntags; k++) {
            char cell[32] = "";
            for (size_t d = 0; d < sizeof drift / sizeof drift[0]; d++)
                if (!strcmp(drift[d].name, tag[k]))
                    snprintf(cell, sizeof cell, "%.2f", 1.25 * drift[d].base);
            if (rows % 7 == 3)
                snprintf(cell, sizeof cell, "BAD");
            if (rows % 11 == 5)
                cell[0] = 0;
            len += snprintf(l + len, sizeof lines[0] - (size_t)len, ",%s", cell);
        }
        if (nl == EXPORT_LINES) {
            export_flush(f, ci, r->id, lines, nl);
            nl = 0;
        }
    }
    if (nl)
        export_flush(f, ci, r->id, lines, nl);
    snprintf(text, n, "%ld rows", rows);
    return true;
}

static bool answer(struct fake *f, const struct snap_req *r, char *text, size_t n)
{
    if (!strcmp(f->role, "viewer")) {
        snprintf(text, n, "%s %s refused: you are a viewer", r->verb, r->target);
        return false;
    }
    if (!strcmp(r->verb, "set"))
        return do_set(f, r, text, n);
    if (!strcmp(r->verb, "cmd"))
        return do_cmd(f, r, text, n);
    if (!strcmp(r->verb, "ack") || !strcmp(r->verb, "shelve") || !strcmp(r->verb, "unshelve"))
        return do_alarm(f, r, text, n);
    if (!strcmp(r->verb, "phase")) {
        int p = cfg_phase_from_name(r->target);
        if (p < 0) {
            snprintf(text, n, "phase \"%s\": no such phase", r->target);
            return false;
        }
        snprintf(text, n, "phase %s -> %s", cfg_phase_name(f->phase), r->target);
        f->phase = p;
        f->t_phase = 0;
        return true;
    }
    if (!strcmp(r->verb, "confirm")) {
        if (f->phase != PH_ALLOY) {
            snprintf(text, n, "chemistry: only in ALLOY, the phase is %s",
                     cfg_phase_name(f->phase));
            return false;
        }
        snprintf(text, n, "chemistry confirmed");
        return true;
    }
    snprintf(text, n, "%s: not a verb of this fake server", r->verb);
    return false;
}

static void request(struct fake *f, int ci, const char *buf, size_t len)
{
    char why[120];
    struct snap_req r;
    struct snap_reply rep;
    if (proto_parse(buf, len, &f->m, why, sizeof why) < 0 || snap_req_decode(&f->m, &r) < 0) {
        fprintf(f->log, "bad message from client %d: %s\n", ci, why);
        fflush(f->log);
        close(f->cfd[ci]);
        f->cfd[ci] = -1;
        return;
    }
    memset(&rep, 0, sizeof rep);
    rep.id = r.id;
    if (!strcmp(r.verb, "export"))
        rep.ok = do_export(f, ci, &r, rep.text, sizeof rep.text);
    else
        rep.ok = answer(f, &r, rep.text, sizeof rep.text);
    fprintf(f->log, "req id=%ld expect=%s verb=%s target=%s value=%s reason=%s -> %s: %s\n", r.id,
            r.expect, r.verb, r.target, r.value, r.reason, rep.ok ? "ok" : "refused", rep.text);
    fflush(f->log);
    snap_reply_encode(&rep, &f->o);
    send_all(f, ci);
    if (rep.ok && strcmp(r.verb, "export") != 0)
        journal(f, "%s@console %s %s %s%s%s", f->user, r.verb, r.target, rep.text,
                r.reason[0] ? " reason: " : "", r.reason);
}

static void welcome(struct fake *f, int ci, const char *config)
{
    struct snap_hello h;
    memset(&h, 0, sizeof h);
    snprintf(h.furnace, sizeof h.furnace, "%s", f->c->furnace.name);
    snprintf(h.user, sizeof h.user, "%s", f->user);
    snprintf(h.role, sizeof h.role, "%s", f->role);
    h.server_pid = (long)getpid();
    h.plc_mode = f->plc_mode;
    snprintf(h.config, sizeof h.config, "%s", config);
    snprintf(h.config_sha256, sizeof h.config_sha256, "%s", f->c->sha256);
    snap_hello_encode(&h, &f->o);
    send_all(f, ci);
    const char *lines[JOURNAL_TAIL];
    for (int i = 0; i < f->jn; i++)
        lines[i] = f->journal[i];
    snap_journal_encode(lines, f->jn, &f->o);
    send_all(f, ci);
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "fakeserver: socket path too long: %s\n", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
        fprintf(stderr, "fakeserver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: fakeserver [-c CONFIG] [-s SOCKET] [-l LOG] [--role ROLE] "
                    "[--user NAME] [--plc-mode N] [--rate HZ] [--alarms NAME:STATE:AGE,...] [--shed LOOP]\n"
                    "                  [--held LOOP] [--comb LOOP] [--trip pump|fan]\n");
}

int main(int argc, char **argv)
{
    const char *cfgfile = NULL, *sock = NULL, *logfile = "/dev/null";
    static struct fake f;
    static struct cfg c;
    static struct cfg_errors errs;
    double rate = 4;
    snprintf(f.role, sizeof f.role, "operator");
    snprintf(f.user, sizeof f.user, "%s", getenv("USER") ? getenv("USER") : "operator");
    f.plc_mode = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(argv[i], "-c"))
            cfgfile = v;
        else if (!strcmp(argv[i], "-s"))
            sock = v;
        else if (!strcmp(argv[i], "-l"))
            logfile = v;
        else if (!strcmp(argv[i], "--role"))
            snprintf(f.role, sizeof f.role, "%s", v);
        else if (!strcmp(argv[i], "--user"))
            snprintf(f.user, sizeof f.user, "%s", v);
        else if (!strcmp(argv[i], "--plc-mode"))
            f.plc_mode = atoi(v);
        else if (!strcmp(argv[i], "--shed"))
            f.shed_loop = v;
        else if (!strcmp(argv[i], "--held"))
            f.held_loop = v;
        else if (!strcmp(argv[i], "--comb"))
            f.comb_loop = v;
        else if (!strcmp(argv[i], "--trip"))
            f.trip = v;
        else if (!strcmp(argv[i], "--alarms"))
            f.alarms = v;
        else if (!strcmp(argv[i], "--rate"))
            rate = atof(v) > 0 ? atof(v) : 4;
        else {
            usage();
            return 2;
        }
        i++;
    }
    cfgfile = cfg_default_path(cfgfile);
    if (cfg_load(cfgfile, &c, &errs) < 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        return 1;
    }
    if (!sock)
        sock = c.server.socket;
    if (!sock[0]) {
        fprintf(stderr, "fakeserver: no socket: give -s PATH or [server] socket\n");
        return 2;
    }
    f.log = fopen(logfile, "a");
    if (!f.log) {
        fprintf(stderr, "fakeserver: %s: %s\n", logfile, strerror(errno));
        return 1;
    }
    f.c = &c;
    init(&f);
    if (f.alarms && parse_alarms(&f, f.alarms) < 0)
        return 2;
    for (int i = 0; f.shed_loop && i < c.nloops; i++)
        if (!strcmp(c.loops[i].name, f.shed_loop)) {
            f.shed[i] = true;
            f.mode[i] = LOOP_MAN;
        }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_quit;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_pause;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(sock);
    if (lfd < 0)
        return 1;
    journal(&f, "fakeserver started for furnace %s", c.furnace.name);
    double last = clock_mono_s(), next_snap = last;
    static char buf[PROTO_MAX_MSG + 1];
    while (!quit) {
        struct pollfd pf[MAX_CLIENTS + 1];
        pf[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (int i = 0; i < MAX_CLIENTS; i++)
            pf[i + 1] = (struct pollfd){.fd = f.cfd[i], .events = POLLIN};
        double wait = next_snap - clock_mono_s();
        int r = poll(pf, MAX_CLIENTS + 1, wait > 0 ? (int)(wait * 1000) + 1 : 0);
        double t = clock_mono_s();
        f.t += t - last;
        f.t_phase += t - last;
        last = t;
        if (r > 0 && (pf[0].revents & POLLIN)) {
            int fd = accept(lfd, NULL, NULL);
            for (int i = 0; fd >= 0 && i < MAX_CLIENTS; i++)
                if (f.cfd[i] < 0) {
                    f.cfd[i] = fd;
                    fd = -1;
                    welcome(&f, i, cfgfile);
                }
            if (fd >= 0)
                close(fd);
        }
        for (int i = 0; r > 0 && i < MAX_CLIENTS; i++) {
            if (f.cfd[i] < 0 || !(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = recv(f.cfd[i], buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) {
                close(f.cfd[i]);
                f.cfd[i] = -1;
            } else {
                request(&f, i, buf, (size_t)n);
            }
        }
        if (t >= next_snap) {
            next_snap = t + 1.0 / rate;
            if (!paused) {
                build(&f);
                snap_encode(&f.s, &f.o);
                send_all(&f, -1);
            }
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (f.cfd[i] >= 0)
            close(f.cfd[i]);
    close(lfd);
    unlink(sock);
    fclose(f.log);
    return 0;
}
