/* core — one furnace's control core as a functional step (see core.h).
 *
 * Order inside core_step, as DESIGN.md §2 lays the cycle out:
 *   decode (done by the caller) -> plant roles -> PLC heartbeat watch ->
 *   alarms -> sequencer (phase entry downloads the program's setpoints) ->
 *   loops -> command handshake -> outputs.
 *
 * Decisions worth knowing:
 * - Control starts from the plant: the first writes wait until every output
 *   has been read back GOOD (or 20 cycles of a live link, said in the
 *   journal), so a restart or a PLC that refuses a block never bumps them.
 * - While the PLC link is down the loops are not stepped at all: outputs
 *   hold, modes stay, nothing winds up, and control resumes bumplessly when
 *   the link returns.  A single bad sensor on a live link drops its own loop
 *   to MAN (pid.c).
 * - A phase entry downloads the program's setpoints (bath SP; SC gas SP in
 *   pyrolysis; pump speed), journalled as an event; the operator may change
 *   them afterwards.  While charging or skimming the firing is capped.
 * - The HC loop tracks the firing feedback whenever the PLC forces firing
 *   (burner not modulating, door open, watchdog, roof limiter, E-stop).
 * - PLC commands go one at a time: code and argument first, the sequence
 *   number last, written once (cmd_out, not among the refreshed outputs: a
 *   refresh after a PLC restart must never repeat a command), then the
 *   result the PLC echoes.  Permissives are checked when asked and again just
 *   before sending.  No answer within cmd_timeout_ms (monotonic) fails it.
 */
#include "core.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define RESULT_TEXT sizeof(((struct core_result *)0)->text)

const char *core_role_name(enum core_role r)
{
    static const char *const n[] = {"viewer", "operator", "engineer"};
    return (unsigned)r < 3 ? n[r] : "?";
}

/* ---- results ------------------------------------------------------------------ */

static struct core_result *result_new(struct core *k, const struct core_req *r, const char *kind,
                                      const char *what)
{
    if (k->nresults == CORE_RESULTS) {
        memmove(&k->results[0], &k->results[1], sizeof k->results[0] * (CORE_RESULTS - 1));
        k->nresults--;
        k->results_dropped++;
    }
    struct core_result *res = &k->results[k->nresults++];
    memset(res, 0, sizeof *res);
    res->t = k->t_proc;
    res->client = -1;
    if (r) {
        res->id = r->id;
        res->client = r->client;
        str_copy(res->user, sizeof res->user, r->user);
        str_copy(res->origin, sizeof res->origin, r->origin);
        str_copy(res->reason, sizeof res->reason, r->reason);
    } else {
        str_copy(res->user, sizeof res->user, "meltcon");
        str_copy(res->origin, sizeof res->origin, "core");
    }
    str_copy(res->kind, sizeof res->kind, kind);
    str_copy(res->what, sizeof res->what, what);
    return res;
}

__attribute__((format(printf, 3, 4))) static int refuse(struct core *k, const struct core_req *r,
                                                       const char *fmt, ...)
{
    struct core_result *res = result_new(k, r, r->verb, r->target);
    res->ok = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->text, sizeof res->text, fmt, ap);
    va_end(ap);
    return -1;
}

int core_results_take(struct core *k, struct core_result *out, int max)
{
    int n = k->nresults < max ? k->nresults : max;
    memcpy(out, k->results, sizeof *out * (size_t)n);
    memmove(&k->results[0], &k->results[n], sizeof k->results[0] * (size_t)(k->nresults - n));
    k->nresults -= n;
    return n;
}

/* ---- init ------------------------------------------------------------------- */

static int loop_by_out(const struct core *k, const char *tag)
{
    int t = cfg_tag_index(k->cfg, tag);
    for (int i = 0; i < k->loops.n; i++)
        if (t >= 0 && k->loops.loop[i].out_tag == t)
            return i;
    return -1;
}

int core_init(struct core *k, const struct cfg *c, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->cfg = c;
    k->prog = cfg_program_find(c, c->furnace.program);
    if (!k->prog) {
        snprintf(err, errlen, "%s: [furnace] program: no melt program to run "
                 "(add a [program.NAME] section)", c->path);
        return -1;
    }
    plant_map_init(&k->pmap, c);
    if (loops_init(&k->loops, c, err, errlen) < 0)
        return -1;
    if (alarm_init(&k->alarms, c, err, errlen) < 0)
        return -1;
    seq_init(&k->seq, k->prog, PH_HOLD);
    k->t_cmd_code = cfg_tag_index(c, "cmd_code");
    k->t_cmd_arg = cfg_tag_index(c, "cmd_arg");
    k->t_cmd_seq = cfg_tag_index(c, "cmd_seq");
    k->t_console_hb = cfg_tag_index(c, "console_heartbeat");
    k->t_pump_demand = cfg_tag_index(c, "pump_demand");
    k->t_firing_demand = cfg_tag_index(c, "firing_demand");
    k->hc_loop = loop_by_out(k, "firing_demand");
    k->sc_loop = loop_by_out(k, "fan_demand");
    k->bath_loop = k->hc_loop >= 0 ? k->loops.loop[k->hc_loop].master : -1;
    k->pump_pct = k->prog->pump_pct[PH_HOLD];
    return 0;
}

/* ---- the sequencer's downloads ------------------------------------------------- */

static void set_loop_sp(struct core *k, int loop, double sp, const char *why)
{
    if (loop < 0)
        return;
    struct pid *p = &k->loops.loop[loop].pid;
    double old = p->sp;
    if (fabs(old - sp) < 1e-9)
        return;
    double lo = p->prm.sp_lo, hi = p->prm.sp_hi;
    double v = sp < lo ? lo : sp > hi ? hi : sp;
    /* a download is not an operator step: bypass sp_max_step, keep the limits */
    p->sp = v;
    char what[64];
    snprintf(what, sizeof what, "%s.sp", k->cfg->loops[loop].name);
    struct core_result *res = result_new(k, NULL, "program", what);
    res->ok = true;
    snprintf(res->old_v, sizeof res->old_v, "%g", old);
    snprintf(res->new_v, sizeof res->new_v, "%g", v);
    snprintf(res->text, sizeof res->text, "%s %g -> %g %s (%s, program %s)", what, old, v,
             p->prm.pv_unit, why, k->prog->name);
}

static void phase_entry(struct core *k, enum cfg_phase ph)
{
    char why[64];
    snprintf(why, sizeof why, "entering %s", cfg_phase_name(ph));
    set_loop_sp(k, k->bath_loop, k->seq.out.bath_sp, why);
    if (k->seq.out.sc_active)
        set_loop_sp(k, k->sc_loop, k->seq.out.sc_gas_sp, why);
    k->pump_pct = k->seq.out.pump_pct;
    k->pump_manual = false;
}

static void phase_event(struct core *k, const struct core_req *r, enum cfg_phase from,
                        const char *why)
{
    struct core_result *res = result_new(k, r, "phase", "phase");
    res->ok = true;
    str_copy(res->old_v, sizeof res->old_v, cfg_phase_name(from));
    str_copy(res->new_v, sizeof res->new_v, cfg_phase_name(k->seq.phase));
    snprintf(res->text, sizeof res->text, "phase %s -> %s: %s", cfg_phase_name(from),
             cfg_phase_name(k->seq.phase), why);
    seq_outputs(k->prog, k->seq.phase, &k->seq.out);
    phase_entry(k, k->seq.phase);
}

/* ---- the step --------------------------------------------------------------- */

static bool firing_forced(const struct plant *p)
{
    if (p->bms_state.q != Q_GOOD || (int)p->bms_state.v != BMS_FIRING)
        return true;
    unsigned il = p->plc_interlocks.q == Q_GOOD ? (unsigned)p->plc_interlocks.v : 0;
    return (il & (PLC_IL_ESTOP | PLC_IL_DOOR_OPEN_FIRING | PLC_IL_WATCHDOG | PLC_IL_ROOF_HH |
                  PLC_IL_LOCKOUT)) != 0;
}

static const char *plc_result_text(unsigned res)
{
    switch (res) {
    case PLC_RES_OK: return "done";
    case PLC_RES_INTERLOCK: return "refused by a PLC hard interlock";
    case PLC_RES_INVALID: return "refused by the PLC as invalid";
    case PLC_RES_BUSY: return "refused by the PLC: busy (watchdog tripped or a sequence running)";
    default: return "answered with an unknown result";
    }
}

static void interlock_text(char *buf, size_t n, const struct plant *p)
{
    static const char *const names[] = {"E-stop", "door open", "gas pressure", "combustion air",
                                        "burner lockout", "watchdog", "bath level low",
                                        "metal frozen", "at heel", "roof limiter"};
    buf[0] = 0;
    if (p->plc_interlocks.q != Q_GOOD)
        return;
    unsigned il = (unsigned)p->plc_interlocks.v;
    size_t k = 0;
    for (unsigned b = 0; b < sizeof names / sizeof names[0] && k < n; b++)
        if (il & (1u << b))
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : " (active: ", names[b]);
    if (k && k < n)
        snprintf(buf + k, n - k, ")");
}

static void finish_cmd(struct core *k, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish_cmd(struct core *k, bool ok, const char *fmt, ...)
{
    struct core_result *res = result_new(k, &k->cur.req, "cmd", k->cur.req.target);
    res->ok = ok;
    str_copy(res->new_v, sizeof res->new_v, k->cur.req.value);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->text, sizeof res->text, fmt, ap);
    va_end(ap);
    k->busy = false;
}

static void perm_context(const struct core *k, struct perm_ctx *ctx)
{
    ctx->plant = &k->plant;
    ctx->lim = &k->cfg->limits;
    ctx->furnace = &k->cfg->furnace;
    ctx->prog = k->prog;
    ctx->seq = &k->seq;
}

static void handshake(struct core *k, const struct core_status *st)
{
    const struct plant *p = &k->plant;
    if (k->busy) {
        if (p->cmd_ack_seq.q == Q_GOOD && (uint16_t)p->cmd_ack_seq.v == k->seq_no &&
            p->cmd_result.q == Q_GOOD) {
            unsigned res = (unsigned)p->cmd_result.v;
            char il[160];
            interlock_text(il, sizeof il, p);
            finish_cmd(k, res == PLC_RES_OK, "%s: %s%s", k->cur.label, plc_result_text(res),
                       res == PLC_RES_INTERLOCK ? il : "");
        } else if (k->t_mono - k->t_sent > k->cfg->plc.cmd_timeout_ms / 1000.0) {
            finish_cmd(k, false, "%s: no answer from the PLC within %d ms; check the link",
                       k->cur.label, k->cfg->plc.cmd_timeout_ms);
        }
    }
    while (!k->busy && k->nqueue > 0) {
        k->cur = k->queue[0];
        memmove(&k->queue[0], &k->queue[1], sizeof k->queue[0] * (size_t)(--k->nqueue));
        k->busy = true;
        if (!st->link_up) {
            finish_cmd(k, false, "%s: not sent: the PLC link is down", k->cur.label);
            continue;
        }
        struct perm_ctx ctx;
        struct perm_result pr;
        perm_context(k, &ctx);
        double arg = k->cur.pcmd == PERM_CHARGE ? k->cur.arg / 100.0 : k->cur.arg;
        if (perm_eval(k->cur.pcmd, &ctx, arg, &pr) != PERM_READY) {
            char why[RESULT_TEXT];
            finish_cmd(k, false, "not sent, conditions changed: %s",
                       perm_join(&pr, why, sizeof why));
            continue;
        }
        k->seq_no = (uint16_t)(k->seq_no + 1);
        if (k->seq_no == 0)
            k->seq_no = 1;
        k->t_sent = k->t_mono;
        k->cmd_write = true;
    }
}

static void add_write(struct core *k, int tag, double v)
{
    if (tag < 0 || k->nwrites >= CFG_MAX_TAGS)
        return;
    k->writes[k->nwrites].tag = tag;
    k->writes[k->nwrites].value = v;
    k->nwrites++;
}

/* Every output the core will write has been read back GOOD. */
static bool readback_good(const struct core *k, const struct tag_value *tags)
{
    for (int i = 0; i < k->loops.n; i++) {
        int t = k->loops.loop[i].out_tag;
        if (t >= 0 && tags[t].q != Q_GOOD)
            return false;
    }
    return k->t_pump_demand < 0 || tags[k->t_pump_demand].q == Q_GOOD;
}

static void start_from_plant(struct core *k, const struct tag_value *tags)
{
    loops_init_outputs(&k->loops, tags);
    const struct plant *p = &k->plant;
    if (p->cmd_ack_seq.q == Q_GOOD)
        k->seq_no = (uint16_t)p->cmd_ack_seq.v;
    if (p->pump_demand.q == Q_GOOD)
        k->pump_pct = p->pump_demand.v;
    k->hb_last = p->plc_heartbeat.v;
    k->hb_t_change = k->t_mono;
    k->started = true;
    struct core_result *res = result_new(k, NULL, "server", "outputs");
    res->ok = true;
    if (readback_good(k, tags))
        snprintf(res->text, sizeof res->text,
                 "control started from the PLC's read-back: firing %.1f %%, pump %.1f %%, "
                 "phase %s",
                 p->firing_demand.v, k->pump_pct, cfg_phase_name(k->seq.phase));
    else
        snprintf(res->text, sizeof res->text,
                 "control started WITHOUT a good read-back of every output after %d cycles: "
                 "outputs without one start at their low limits; check the map's hr tags",
                 k->start_waits);
}

void core_step(struct core *k, const struct tag_value *tags, const struct core_status *st,
               const struct core_times *tm)
{
    double dt = tm->dt_proc > 0 && isfinite(tm->dt_proc) ? tm->dt_proc : 0;
    k->t_proc = tm->t_proc;
    k->t_mono = tm->t_mono;
    k->nwrites = 0;
    k->cmd_write = false;
    plant_from_tags(&k->plant, &k->pmap, tags);
    const struct plant *p = &k->plant;

    if (!k->started && st->link_up && (readback_good(k, tags) || ++k->start_waits > 20))
        start_from_plant(k, tags);

    /* the PLC's heartbeat, judged on the monotonic clock */
    if (st->link_up && p->plc_heartbeat.q == Q_GOOD) {
        if (p->plc_heartbeat.v != k->hb_last) {
            k->hb_last = p->plc_heartbeat.v;
            k->hb_t_change = k->t_mono;
        }
        k->plc_stale = k->t_mono - k->hb_t_change > k->cfg->plc.heartbeat_stale_s;
    } else if (!st->link_up) {
        k->hb_t_change = k->t_mono; /* the link alarm covers it */
        k->plc_stale = false;
    }

    /* the sequencer */
    enum cfg_phase before = k->seq.phase;
    bool moved = st->link_up && seq_step(&k->seq, k->prog, &k->cfg->limits, p, dt);
    if (moved || k->seq.phase != before)
        phase_event(k, NULL, before, k->seq.why);

    /* alarms */
    struct alarm_inputs ain = {.tags = tags,
                               .ntags = k->cfg->ntags,
                               .link_up = st->link_up,
                               .plc_stale = k->plc_stale,
                               .disk_ok = st->disk_ok,
                               .phase = k->seq.phase};
    alarm_step(&k->alarms, &ain, k->t_proc, dt);
    struct alarm_event ev[32];
    int nev;
    while ((nev = alarm_events_take(&k->alarms, ev, 32)) > 0) {
        for (int i = 0; i < nev; i++) {
            struct core_result *res = result_new(k, NULL, "alarm", ev[i].name);
            res->ok = true;
            if (*ev[i].user)
                str_copy(res->user, sizeof res->user, ev[i].user);
            str_copy(res->old_v, sizeof res->old_v, alarm_state_name(ev[i].from));
            str_copy(res->new_v, sizeof res->new_v, alarm_state_name(ev[i].to));
            snprintf(res->text, sizeof res->text, "%s %s: %s", alarm_event_name(ev[i].kind),
                     cfg_priority_name(ev[i].prio), ev[i].text);
        }
    }

    /* loops: held while the link is down */
    if (st->link_up && k->started) {
        struct loops_ext ext;
        memset(&ext, 0, sizeof ext);
        if (k->hc_loop >= 0) {
            struct loops_ext_loop *e = &ext.loop[k->hc_loop];
            if (k->seq.out.fire_cap_pct < 100) {
                e->cap = true;
                e->cap_value = k->seq.out.fire_cap_pct;
            }
            if (firing_forced(p) && p->firing_fb.q == Q_GOOD) {
                e->track = true;
                e->track_value = p->firing_fb.v;
            }
        }
        loops_step(&k->loops, tags, &ext, dt);
        for (int i = 0; i < k->loops.n; i++) {
            const struct pid *pid = &k->loops.loop[i].pid;
            if (pid->events & PID_EV_DROPPED_MAN) {
                char what[64];
                snprintf(what, sizeof what, "%s.mode", k->cfg->loops[i].name);
                struct core_result *res = result_new(k, NULL, "loop", what);
                res->ok = true;
                str_copy(res->new_v, sizeof res->new_v, "MAN");
                str_copy(res->text, sizeof res->text, pid->reason);
            }
        }
    }

    handshake(k, st);

    /* outputs: nothing is written before the plant has been read once */
    if (!k->started)
        return;
    for (int i = 0; i < k->loops.nout; i++)
        add_write(k, k->loops.out[i].tag, k->loops.out[i].value);
    add_write(k, k->t_pump_demand, k->pump_pct);
    if (k->cmd_write) {
        k->cmd_out[0] = (struct core_write){k->t_cmd_code, k->cur.code};
        k->cmd_out[1] = (struct core_write){k->t_cmd_arg, k->cur.arg};
        k->cmd_out[2] = (struct core_write){k->t_cmd_seq, k->seq_no};
    }
    k->console_hb = (uint16_t)(k->console_hb + 1);
    add_write(k, k->t_console_hb, k->console_hb);
}

/* ---- the gate ------------------------------------------------------------------ */

/* Parse an operator's number: 0, or -1 with a sentence. */
static int parse_value(const char *s, double *v, char *why, size_t n)
{
    while (*s == ' ')
        s++;
    if (!*s) {
        snprintf(why, n, "no value given");
        return -1;
    }
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end) {
        snprintf(why, n, "\"%.30s\" is not a number", s);
        return -1;
    }
    if (!isfinite(d) || errno == ERANGE) {
        snprintf(why, n, "\"%.30s\" is not a finite number", s);
        return -1;
    }
    *v = d;
    return 0;
}

static int need_reason(struct core *k, const struct core_req *r)
{
    const char *s = r->reason;
    while (*s == ' ')
        s++;
    if (!*s)
        return refuse(k, r, "%s: a reason is required (it goes into the journal)", r->target);
    return 0;
}

static int gate_set(struct core *k, const struct core_req *r)
{
    char loopname[CFG_NAME_MAX], why[200];
    const char *dot = strchr(r->target, '.');
    if (!dot || (size_t)(dot - r->target) >= sizeof loopname)
        return refuse(k, r, "\"%s\": expected LOOP.sp, LOOP.mode or LOOP.out", r->target);
    snprintf(loopname, sizeof loopname, "%.*s", (int)(dot - r->target), r->target);
    int li = loops_find(&k->loops, loopname);
    if (li < 0) {
        char names[200] = "";
        size_t n = 0;
        for (int i = 0; i < k->loops.n && n < sizeof names; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                  k->cfg->loops[i].name);
        return refuse(k, r, "no loop \"%s\"; loops are %s", loopname, names);
    }
    const char *field = dot + 1;
    struct pid *p = &k->loops.loop[li].pid;
    if (need_reason(k, r) < 0)
        return -1;
    struct perm_ctx ctx;
    struct perm_result pr;
    perm_context(k, &ctx);
    bool is_mode = !strcmp(field, "mode");
    if (perm_eval(is_mode ? PERM_MODE : PERM_SETPOINT, &ctx, 0, &pr) != PERM_READY)
        return refuse(k, r, "%s", perm_join(&pr, why, sizeof why));
    char old[48], nw[48];
    int rc;
    if (!strcmp(field, "sp") || !strcmp(field, "out")) {
        double v;
        if (parse_value(r->value, &v, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s", r->target, why);
        bool sp = field[0] == 's';
        snprintf(old, sizeof old, "%g", sp ? p->sp : p->out);
        rc = sp ? pid_set_sp(p, v, why, sizeof why) : pid_set_out(p, v, why, sizeof why);
        snprintf(nw, sizeof nw, "%g", v);
    } else if (is_mode) {
        int m = -1;
        for (int i = LOOP_MAN; i <= LOOP_CAS; i++)
            if (!strcasecmp(r->value, cfg_loop_mode_name((enum cfg_loop_mode)i)))
                m = i;
        if (m < 0)
            return refuse(k, r, "%s: \"%s\" is not a mode; expected MAN, AUTO or CAS", r->target,
                          r->value);
        str_copy(old, sizeof old, cfg_loop_mode_name(p->mode));
        rc = pid_set_mode(p, (enum cfg_loop_mode)m, why, sizeof why);
        str_copy(nw, sizeof nw, cfg_loop_mode_name((enum cfg_loop_mode)m));
    } else {
        return refuse(k, r, "\"%s\": expected LOOP.sp, LOOP.mode or LOOP.out", r->target);
    }
    if (rc < 0)
        return refuse(k, r, "%s", why);
    struct core_result *res = result_new(k, r, "set", r->target);
    res->ok = true;
    str_copy(res->old_v, sizeof res->old_v, old);
    str_copy(res->new_v, sizeof res->new_v, nw);
    snprintf(res->text, sizeof res->text, "%s %s -> %s%s%s", r->target, old, nw,
             is_mode ? "" : " ", is_mode ? "" : (field[0] == 's' ? p->prm.pv_unit : p->prm.out_unit));
    return 0;
}

static int gate_tune(struct core *k, const struct core_req *r)
{
    static const struct {
        const char *name;
        double lo, hi;
        size_t off;
    } params[] = {
        {"kp", 0, 1000, offsetof(struct pid_params, kp)},
        {"ti_s", 0, 100000, offsetof(struct pid_params, ti_s)},
        {"td_s", 0, 10000, offsetof(struct pid_params, td_s)},
    };
    if (r->role != ROLE_ENGINEER)
        return refuse(k, r, "%s: tuning needs the engineer role", r->target);
    char loopname[CFG_NAME_MAX], why[200];
    const char *dot = strchr(r->target, '.');
    if (!dot || (size_t)(dot - r->target) >= sizeof loopname)
        return refuse(k, r, "\"%s\": expected LOOP.kp, LOOP.ti_s or LOOP.td_s", r->target);
    snprintf(loopname, sizeof loopname, "%.*s", (int)(dot - r->target), r->target);
    int li = loops_find(&k->loops, loopname);
    if (li < 0)
        return refuse(k, r, "no loop \"%s\"", loopname);
    if (need_reason(k, r) < 0)
        return -1;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (strcmp(dot + 1, params[i].name))
            continue;
        double v;
        if (parse_value(r->value, &v, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s", r->target, why);
        if (v < params[i].lo || v > params[i].hi)
            return refuse(k, r, "%s: %g is outside %g..%g", r->target, v, params[i].lo,
                          params[i].hi);
        double *f = (double *)((char *)&k->loops.loop[li].pid.prm + params[i].off);
        struct core_result *res = result_new(k, r, "tune", r->target);
        res->ok = true;
        snprintf(res->old_v, sizeof res->old_v, "%g", *f);
        snprintf(res->new_v, sizeof res->new_v, "%g", v);
        snprintf(res->text, sizeof res->text, "%s %g -> %g", r->target, *f, v);
        *f = v;
        /* re-initialise the integrator from the output: a retune never bumps */
        pid_init_output(&k->loops.loop[li].pid, k->loops.loop[li].pid.out);
        return 0;
    }
    return refuse(k, r, "\"%s\": expected LOOP.kp, LOOP.ti_s or LOOP.td_s", r->target);
}

static int gate_phase(struct core *k, const struct core_req *r, enum cfg_phase target, bool force)
{
    char why[200];
    enum cfg_phase from = k->seq.phase;
    if (force && r->role != ROLE_ENGINEER)
        return refuse(k, r, "forcing a phase needs the engineer role");
    if (seq_request(&k->seq, target, force, why, sizeof why) < 0)
        return refuse(k, r, "%s", why);
    phase_event(k, r, from, why);
    return 0;
}

static int gate_cmd(struct core *k, const struct core_req *r)
{
    char why[RESULT_TEXT];
    int pc = perm_cmd_from_name(r->target);
    if (pc < 0) {
        size_t n = 0;
        for (int i = 0; i < PERM_COUNT && n < 400; i++)
            n += (size_t)snprintf(why + n, 400 - n, "%s%s", i ? ", " : "",
                                  perm_cmd_name((enum perm_cmd)i));
        return refuse(k, r, "unknown command \"%s\"; commands are %s", r->target, why);
    }
    enum perm_cmd cmd = (enum perm_cmd)pc;
    double arg = 0;
    if (cmd == PERM_CHARGE || cmd == PERM_PUMP_SPEED) {
        if (parse_value(r->value, &arg, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s (%s)", perm_cmd_label(cmd), why,
                          cmd == PERM_CHARGE ? "charge mass in t" : "pump speed in %");
    }
    if (cmd == PERM_SETPOINT || cmd == PERM_MODE)
        return refuse(k, r, "use `set LOOP.sp VALUE` or `set LOOP.mode MODE`");
    struct perm_ctx ctx;
    struct perm_result pr;
    perm_context(k, &ctx);
    if (perm_eval(cmd, &ctx, arg, &pr) != PERM_READY)
        return refuse(k, r, "%s", perm_join(&pr, why, sizeof why));
    if (cmd == PERM_PHASE_ADVANCE)
        return gate_phase(k, r, seq_phase_next(k->seq.phase), false);
    if (cmd == PERM_PUMP_SPEED) {
        struct core_result *res = result_new(k, r, "cmd", r->target);
        res->ok = true;
        snprintf(res->old_v, sizeof res->old_v, "%g", k->pump_pct);
        snprintf(res->new_v, sizeof res->new_v, "%g", arg);
        snprintf(res->text, sizeof res->text, "pump speed %g -> %g %% (until the next phase)",
                 k->pump_pct, arg);
        k->pump_pct = arg;
        k->pump_manual = true;
        return 0;
    }
    enum plc_cmd code = perm_cmd_plc(cmd);
    if (code == PLC_CMD_NONE)
        return refuse(k, r, "%s is not a PLC command", r->target);
    if (k->t_cmd_code < 0 || k->t_cmd_arg < 0 || k->t_cmd_seq < 0)
        return refuse(k, r, "%s: the tag map has no cmd_code, cmd_arg and cmd_seq; see %s",
                      perm_cmd_label(cmd), k->cfg->path);
    if (k->nqueue >= CORE_QUEUE)
        return refuse(k, r, "%s: %d commands are already waiting for the PLC", perm_cmd_label(cmd),
                      CORE_QUEUE);
    struct core_cmd *q = &k->queue[k->nqueue++];
    memset(q, 0, sizeof *q);
    q->req = *r;
    q->pcmd = cmd;
    q->code = code;
    q->arg = cmd == PERM_CHARGE ? (int)lround(arg * 100.0) : 0;
    if (cmd == PERM_CHARGE)
        snprintf(q->label, sizeof q->label, "%s %.2f t", perm_cmd_label(cmd), arg);
    else
        str_copy(q->label, sizeof q->label, perm_cmd_label(cmd));
    return 0;
}

static int alarm_result(struct core *k, const struct core_req *r, int rc, const char *msg,
                        const char *kind)
{
    if (rc < 0)
        return refuse(k, r, "%s", msg);
    struct core_result *res = result_new(k, r, kind, r->target);
    res->ok = true;
    str_copy(res->new_v, sizeof res->new_v, r->value);
    str_copy(res->text, sizeof res->text, msg);
    return 0;
}

int core_request(struct core *k, const struct core_req *r)
{
    char msg[300] = "";
    if (r->role == ROLE_VIEWER)
        return refuse(k, r, "%s %s: the viewer role may look but not change anything; "
                      "operators are members of group %s",
                      r->verb, r->target,
                      *k->cfg->server.operator_group ? k->cfg->server.operator_group : "(none)");
    if (!strcmp(r->verb, "set"))
        return gate_set(k, r);
    if (!strcmp(r->verb, "tune"))
        return gate_tune(k, r);
    if (!strcmp(r->verb, "cmd"))
        return gate_cmd(k, r);
    if (!strcmp(r->verb, "phase")) {
        int ph = cfg_phase_from_name(r->target);
        if (ph < 0)
            return refuse(k, r, "\"%s\" is not a phase; phases are HOLD, CHARGE, PYROLYSIS, "
                          "PUSH, MELT, ALLOY, SKIM, TAP", r->target);
        return gate_phase(k, r, (enum cfg_phase)ph, !strcmp(r->value, "force"));
    }
    if (!strcmp(r->verb, "confirm")) {
        int rc = seq_confirm_chemistry(&k->seq, msg, sizeof msg);
        if (rc == 0 && !*msg)
            snprintf(msg, sizeof msg, "chemistry confirmed");
        return alarm_result(k, r, rc, msg, "confirm");
    }
    if (!strcmp(r->verb, "wet")) {
        bool wet = strcasecmp(r->value, "no") != 0 && strcmp(r->value, "0") != 0;
        seq_flag_wet(&k->seq, wet);
        snprintf(msg, sizeof msg, "charge %s", wet ? "flagged wet: no push until cleared"
                                                   : "wet flag cleared");
        return alarm_result(k, r, 0, msg, "wet");
    }
    if (!strcmp(r->verb, "ack")) {
        int rc = !strcmp(r->target, "all")
                     ? alarm_ack_all(&k->alarms, r->user, k->t_proc, msg, sizeof msg)
                     : alarm_ack(&k->alarms, r->target, r->user, k->t_proc, msg, sizeof msg);
        return alarm_result(k, r, rc, msg, "ack");
    }
    if (!strcmp(r->verb, "shelve")) {
        double min;
        char why[200];
        if (parse_value(r->value, &min, why, sizeof why) < 0)
            return refuse(k, r, "shelve %s: %s (minutes)", r->target, why);
        int rc = alarm_shelve(&k->alarms, r->target, min, r->reason, r->user,
                              r->role == ROLE_ENGINEER, k->t_proc, msg, sizeof msg);
        return alarm_result(k, r, rc, msg, "shelve");
    }
    if (!strcmp(r->verb, "unshelve")) {
        int rc = alarm_unshelve(&k->alarms, r->target, r->user, k->t_proc, msg, sizeof msg);
        return alarm_result(k, r, rc, msg, "unshelve");
    }
    if (!strcmp(r->verb, "oos")) {
        if (r->role != ROLE_ENGINEER)
            return refuse(k, r, "out of service needs the engineer role");
        if (need_reason(k, r) < 0)
            return -1;
        bool on = strcasecmp(r->value, "off") != 0 && strcmp(r->value, "0") != 0;
        int rc = alarm_set_oos(&k->alarms, r->target, on, r->user, k->t_proc, msg, sizeof msg);
        return alarm_result(k, r, rc, msg, "oos");
    }
    return refuse(k, r, "unknown request \"%s\"; requests are set, tune, cmd, phase, confirm, "
                  "wet, ack, shelve, unshelve, oos", r->verb);
}

/* ---- snapshot ------------------------------------------------------------------ */

void core_snapshot(const struct core *k, const struct tag_value *tags, const double *age_s,
                   const double *raw, struct snap *s)
{
    const struct cfg *c = k->cfg;
    s->t = k->t_proc;
    str_copy(s->program, sizeof s->program, k->prog->name);
    s->phase = k->seq.phase;
    s->t_phase = k->seq.t_phase_s;
    s->ready = k->seq.ready;
    s->overrun = k->seq.overrun;
    if (k->seq.overrun)
        snprintf(s->phase_why, sizeof s->phase_why, "%s; %s", k->seq.overrun_why, k->seq.why);
    else
        str_copy(s->phase_why, sizeof s->phase_why, k->seq.why);
    s->ntags = c->ntags;
    for (int i = 0; i < c->ntags; i++) {
        struct snap_tag *t = &s->tags[i];
        str_copy(t->name, sizeof t->name, c->tags[i].name);
        t->v = tags[i].v;
        t->q = tags[i].q;
        t->age_s = age_s ? age_s[i] : 0;
        t->raw = raw ? raw[i] : 0;
    }
    s->nloops = k->loops.n;
    for (int i = 0; i < k->loops.n; i++) {
        const struct loops_loop *l = &k->loops.loop[i];
        struct snap_loop *o = &s->loops[i];
        str_copy(o->name, sizeof o->name, c->loops[i].name);
        o->mode = l->pid.mode;
        o->sp = l->pid.sp;
        o->wsp = l->pid.sp_eff;
        o->pv = l->pid.pv;
        o->pv_q = l->pv_tag >= 0 ? tags[l->pv_tag].q : Q_BAD_COMMS;
        o->out = l->pid.out;
        unsigned st = l->pid.status, f = 0;
        if (st & PID_ST_SAT_HI)
            f |= LF_SAT_HI;
        if (st & PID_ST_SAT_LO)
            f |= LF_SAT_LO;
        if (st & PID_ST_RATE)
            f |= LF_RATE;
        if (st & PID_ST_BAD_PV)
            f |= LF_BAD_PV;
        if (st & PID_ST_SP_REDUCED)
            f |= LF_OVERRIDE;
        if (st & PID_ST_TRACK)
            f |= LF_TRACK;
        o->flags = f;
    }
    s->nalarms = 0;
    for (int i = 0; i < k->alarms.n && s->nalarms < CFG_MAX_ALARMS; i++) {
        const struct alarm *a = &k->alarms.al[i];
        if (a->state == ALARM_NORMAL)
            continue;
        struct snap_alarm *o = &s->alarms[s->nalarms++];
        str_copy(o->name, sizeof o->name, a->def.name);
        o->state = a->state;
        o->prio = a->def.priority;
        o->t = a->t_state;
        o->shelved_until = a->shelved ? a->shelve_until : 0;
        if (a->shelved) {
            str_copy(o->shelved_by, sizeof o->shelved_by, a->shelve_user);
            str_copy(o->shelve_reason, sizeof o->shelve_reason, a->shelve_reason);
        } else {
            o->shelved_by[0] = o->shelve_reason[0] = 0;
        }
    }
    struct alarm_counts ac;
    alarm_counts(&k->alarms, &ac);
    s->n_unacked = 0;
    s->n_active = 0;
    for (int p = 0; p <= PRIO_CRITICAL; p++) {
        s->n_unacked += ac.unacked[p];
        s->n_active += ac.listed[p];
    }
    s->n_shelved = ac.by_state[ALARM_SHELVED];
    struct alarm_kpi kpi;
    alarm_kpi(&k->alarms, &kpi);
    s->flood = kpi.flood_active;
    s->alarms_per_10min = kpi.per_10min;
    struct perm_ctx ctx;
    perm_context(k, &ctx);
    s->nperms = 0;
    for (int i = 0; i < PERM_COUNT && s->nperms < SNAP_MAX_PERMS; i++) {
        enum perm_cmd cmd = (enum perm_cmd)i;
        if (cmd == PERM_SETPOINT || cmd == PERM_MODE)
            continue;
        double arg = cmd == PERM_CHARGE ? 3.0 : cmd == PERM_PUMP_SPEED ? k->pump_pct : 0;
        struct perm_result pr;
        struct snap_perm *o = &s->perms[s->nperms++];
        str_copy(o->cmd, sizeof o->cmd, perm_cmd_name(cmd));
        o->ready = perm_eval(cmd, &ctx, arg, &pr) == PERM_READY;
        perm_join(&pr, o->why, sizeof o->why);
    }
}

/* ---- state kept across restarts -------------------------------------------------- */

int core_state_save(const struct core *k, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = 0;
    for (int i = 0; i < k->loops.n; i++) {
        const struct pid *p = &k->loops.loop[i].pid;
        int w = snprintf(buf + len, n - len, "loop %s mode=%s sp=%.17g kp=%.17g ti_s=%.17g "
                         "td_s=%.17g\n",
                         k->cfg->loops[i].name, cfg_loop_mode_name(p->mode), p->sp, p->prm.kp,
                         p->prm.ti_s, p->prm.td_s);
        if (w < 0 || (size_t)w >= n - len)
            return -1;
        len += (size_t)w;
    }
    return (int)len;
}

static void add_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_err(char *err, size_t errlen, const char *fmt, ...)
{
    size_t l = strlen(err);
    if (l + 3 >= errlen)
        return;
    if (l)
        l += (size_t)snprintf(err + l, errlen - l, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + l, errlen - l, fmt, ap);
    va_end(ap);
}

/* "key=NUMBER" among the words; 0 or -1. */
static int state_num(char *const *w, int nw, const char *key, double lo, double hi, double *v)
{
    size_t kl = strlen(key);
    for (int i = 0; i < nw; i++) {
        if (strncmp(w[i], key, kl) || w[i][kl] != '=')
            continue;
        char why[80];
        double d;
        if (parse_value(w[i] + kl + 1, &d, why, sizeof why) < 0 || d < lo || d > hi)
            return -1;
        *v = d;
        return 0;
    }
    return -1;
}

int core_state_restore(struct core *k, const char *text, char *err, size_t errlen)
{
    char line[512];
    int restored = 0;
    if (errlen)
        err[0] = 0;
    while (*text) {
        size_t l = strcspn(text, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), text);
        text += l + (text[l] == '\n');
        char *w[8], *save = NULL;
        int nw = 0;
        for (char *t = strtok_r(line, " ", &save); t && nw < 8; t = strtok_r(NULL, " ", &save))
            w[nw++] = t;
        if (nw == 0)
            continue;
        if (nw < 3 || strcmp(w[0], "loop")) {
            add_err(err, errlen, "line \"%.40s\" not understood", w[0]);
            continue;
        }
        int li = loops_find(&k->loops, w[1]);
        if (li < 0) {
            add_err(err, errlen, "no loop %s any more", w[1]);
            continue;
        }
        struct pid *p = &k->loops.loop[li].pid;
        int mode = -1;
        for (int i = 2; i < nw; i++)
            if (!strncmp(w[i], "mode=", 5))
                for (int m = LOOP_MAN; m <= LOOP_CAS; m++)
                    if (!strcmp(w[i] + 5, cfg_loop_mode_name((enum cfg_loop_mode)m)))
                        mode = m;
        double sp, kp, ti, td;
        if (mode < 0 || (mode == LOOP_CAS && !p->prm.cas_allowed) ||
            state_num(w, nw, "sp", p->prm.sp_lo, p->prm.sp_hi, &sp) < 0 ||
            state_num(w, nw, "kp", 0, 1000, &kp) < 0 || state_num(w, nw, "ti_s", 0, 100000, &ti) < 0 ||
            state_num(w, nw, "td_s", 0, 10000, &td) < 0) {
            add_err(err, errlen, "loop %s: a mode, setpoint or gain is missing or outside its "
                    "limits: kept as configured", w[1]);
            continue;
        }
        p->mode = (enum cfg_loop_mode)mode;
        p->sp = sp;
        p->sp_work = sp;
        p->prm.kp = kp;
        p->prm.ti_s = ti;
        p->prm.td_s = td;
        p->bumpless = true;
        restored++;
    }
    return restored;
}
