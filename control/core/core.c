/* core — one furnace's control core as a functional step (see core.h).
 *
 * This file: init, the results queue, the sequencer's downloads, the step
 * and the PLC command handshake.  The gate is core_gate.c, the view
 * core_view.c, the state kept across restarts core_state.c.
 *
 * Order inside core_step, as control/README.md, 'The control cycle' lays it out:
 *   decode (done by the caller) -> plant roles -> another master? (the
 *   read-back against our last writes, master.c) -> PLC heartbeat watch ->
 *   sequencer (phase entry downloads the program's setpoints) -> alarms
 *   (after the sequencer, so suppression by phase sees the new phase) ->
 *   loops -> command handshake -> outputs.
 *
 * Decisions worth knowing:
 * - Control starts from the plant: the first writes wait until every output
 *   has been read back GOOD (or 20 cycles of a live link, said in the
 *   journal), so a restart or a PLC that refuses a block never bumps them,
 *   and until MASTER_LISTEN reads have shown nobody else writing (master.h).
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
 *   Commands asked for before control has started (and written once) wait.
 * - The scrap class of the last charge the PLC accepted (not one refused or
 *   not answered) is the loops' (struct loops_ext): with [scrap.NAME] classes
 *   the fan's bath priority acts only on the classes that ask for it.
 * - Another master writing the PLC (master.h) stops every write at once:
 *   control stops as if it had never started (loops not stepped, commands
 *   not sent) until an engineer acknowledges foreign_master after it has
 *   returned; then it starts again from the PLC's read-back, as above.
 */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core_int.h"
#include "numtext.h"
#include "util.h"

/* What a config without its own foreign_master alarm gets. */
static const struct cfg_alarm master_alarm_builtin = {
    .name = "foreign_master",
    .kind = ALARM_MASTER,
    .priority = PRIO_CRITICAL,
    .latching = true,
    .max_shelve_min = 0,
    .message = "Another master is writing the PLC: this server has stopped writing",
    .action = "Stop the other master (second server, tool); an engineer acknowledges",
};

/* What a config without its own overrun or refused alarm gets: the PLC's
 * link faults are never silent (issue 12). */
static const struct cfg_alarm link_alarms_builtin[] = {
    {.name = "cycle_overrun",
     .kind = ALARM_OVERRUN,
     .priority = PRIO_HIGH,
     .on_delay_s = 3,
     .off_delay_s = 5,
     .max_shelve_min = 480,
     .message = "Control cycle overrun: the PLC answers too slowly, values are read late",
     .action = "Check the PLC's load and the network; loops with STALE values are in MAN"},
    {.name = "plc_refused",
     .kind = ALARM_REFUSED,
     .priority = PRIO_HIGH,
     .max_shelve_min = 480,
     .message = "The PLC refuses a read or a write: those values are not live",
     .action = "Check the PLC program against the register map ([tag.NAME] addr)"},
};

/* Add the built-in alarm of def's kind unless the config has one of that kind. */
static int builtin_alarm(struct core *k, const struct cfg_alarm *def, char *err, size_t errlen)
{
    for (int i = 0; i < k->alarms.n; i++)
        if (k->alarms.al[i].def.kind == def->kind)
            return i;
    return alarm_add(&k->alarms, def, err, errlen);
}

const char *core_role_name(enum core_role r)
{
    static const char *const n[] = {"viewer", "operator", "engineer"};
    return (unsigned)r < 3 ? n[r] : "?";
}

/* ---- results ------------------------------------------------------------------ */

struct core_result *core_result_new(struct core *k, const struct core_req *r, const char *kind,
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
        /* a reason refused as unprintable is recorded escaped, never raw
         * (and shortened with an ellipsis if the escapes do not fit) */
        if (!input_escape(res->reason, sizeof res->reason, r->reason)) {
            input_escape(res->reason, sizeof res->reason - 3, r->reason);
            size_t l = strlen(res->reason);
            memcpy(res->reason + l, "…", sizeof "…");
        }
    } else {
        str_copy(res->user, sizeof res->user, "meltcon");
        str_copy(res->origin, sizeof res->origin, "core");
    }
    str_copy(res->kind, sizeof res->kind, kind);
    str_copy(res->what, sizeof res->what, what);
    return res;
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
    master_init(&k->master, c);
    k->master_alarm = -1;
    for (int i = 0; i < k->alarms.n && k->master_alarm < 0; i++)
        if (k->alarms.al[i].def.kind == ALARM_MASTER)
            k->master_alarm = i;
    if (k->master_alarm < 0 &&
        (k->master_alarm = alarm_add(&k->alarms, &master_alarm_builtin, err, errlen)) < 0)
        return -1;
    for (size_t i = 0; i < sizeof link_alarms_builtin / sizeof link_alarms_builtin[0]; i++)
        if (builtin_alarm(k, &link_alarms_builtin[i], err, errlen) < 0)
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
    k->ff_t0 = -1;
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
    struct core_result *res = core_result_new(k, NULL, "program", what);
    res->ok = true;
    (void)numtext(res->old_v, sizeof res->old_v, old);
    (void)numtext(res->new_v, sizeof res->new_v, v);
    snprintf(res->text, sizeof res->text, "%s %s -> %s %s (%s, program %s)", what, res->old_v,
             res->new_v, p->prm.pv_unit, why, k->prog->name);
    char by[sizeof k->changes[0].by];
    snprintf(by, sizeof by, "the program %s", k->prog->name);
    core_note_change(k, what, res->new_v, by, "");
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
    /* a push: the scrap on the hearth goes into the bath, a known heat demand that the
     * bath loop's feed-forward answers at once instead of waiting for the bath to fall */
    if (ph == PH_PUSH && k->plant.scrap_on_hearth.q == Q_GOOD && k->plant.scrap_on_hearth.v > 0) {
        k->ff_mass_kg = k->plant.scrap_on_hearth.v;
        k->ff_t0 = k->t_proc;
    }
}

void core_phase_event(struct core *k, const struct core_req *r, enum cfg_phase from,
                      const char *why)
{
    struct core_result *res = core_result_new(k, r, "phase", "phase");
    res->ok = true;
    str_copy(res->old_v, sizeof res->old_v, cfg_phase_name(from));
    str_copy(res->new_v, sizeof res->new_v, cfg_phase_name(k->seq.phase));
    snprintf(res->text, sizeof res->text, "phase %s -> %s: %s", cfg_phase_name(from),
             cfg_phase_name(k->seq.phase), why);
    core_note_change(k, "phase", res->new_v, r ? r->user : "the sequencer", r ? r->when : "");
    seq_outputs(k->prog, k->seq.phase, &k->seq.out);
    phase_entry(k, k->seq.phase);
}

/* ---- the step --------------------------------------------------------------- */

static bool firing_forced(const struct plant *p)
{
    /* in STANDBY the demand is what relights the burner: the loop runs on */
    if (p->bms_state.q != Q_GOOD ||
        ((int)p->bms_state.v != BMS_FIRING && (int)p->bms_state.v != BMS_STANDBY))
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
                                        "metal frozen", "at heel", "roof limiter",
                                        "fuel-rich atmosphere", "scrap not dry", "overfill",
                                        "drive tripped", "charging door not open"};
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
    struct core_result *res = core_result_new(k, &k->cur.req, "cmd", k->cur.req.target);
    res->ok = ok;
    str_copy(res->new_v, sizeof res->new_v, k->cur.req.value);
    if (k->cur.pcmd == PERM_CHARGE) /* "cmd charge CLASS -> MASS" (rpt.h) */
        str_copy(res->old_v, sizeof res->old_v, k->cur.req.scrap);
    if (k->cur.pcmd == PERM_CHARGE && ok) /* the loops' priority follows it */
        k->charge_scrap = cfg_scrap_find(k->cfg, k->cur.req.scrap);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->text, sizeof res->text, fmt, ap);
    va_end(ap);
    k->busy = false;
}

void core_perm_context(const struct core *k, struct perm_ctx *ctx)
{
    ctx->plant = &k->plant;
    ctx->lim = &k->cfg->limits;
    ctx->furnace = &k->cfg->furnace;
    ctx->prog = k->prog;
    ctx->seq = &k->seq;
    ctx->scrap = NULL;
    ctx->scrap_default = cfg_scrap_find(k->cfg, k->cfg->limits.default_scrap);
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
        /* queued until control has started and written once (its heartbeat
         * first: a PLC may refuse a command from a silent console) */
        if (st->link_up && !k->master.tripped && !(k->started && k->master.writing))
            break;
        k->cur = k->queue[0];
        memmove(&k->queue[0], &k->queue[1], sizeof k->queue[0] * (size_t)(--k->nqueue));
        k->busy = true;
        /* a command that waited its turn too long is not sent late: the
         * operator who asked may have given up on it (issue 12) */
        double age = k->t_mono - k->cur.req.t_made,
               max_age = k->cfg->server.request_max_age_ms / 1000.0;
        if (k->cur.req.t_made > 0 && age > max_age) {
            finish_cmd(k, false,
                       "%s: not sent: asked for %.1f s ago and it could not go sooner; requests "
                       "older than %.1f s are not carried out ([server] request_max_age_ms); "
                       "ask again",
                       k->cur.label, age, max_age);
            continue;
        }
        if (!st->link_up) {
            finish_cmd(k, false, "%s: not sent: the PLC link is down", k->cur.label);
            continue;
        }
        if (k->master.tripped) {
            finish_cmd(k, false, "%s: not sent: another master is writing the PLC and this "
                       "server writes nothing until an engineer acknowledges %s",
                       k->cur.label, k->alarms.al[k->master_alarm].def.name);
            continue;
        }
        struct perm_ctx ctx;
        struct perm_result pr;
        core_perm_context(k, &ctx);
        ctx.scrap = cfg_scrap_find(k->cfg, k->cur.req.scrap); /* the gate knew it */
        double arg = k->cur.pcmd == PERM_CHARGE ? k->cur.arg / 100.0 : k->cur.arg;
        if (perm_eval(k->cur.pcmd, &ctx, arg, &pr) != PERM_READY) {
            char why[CORE_RESULT_TEXT];
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
    struct core_result *res = core_result_new(k, NULL, "server", "outputs");
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

/* The detector tripped this step: stop as before the first start, and say
 * so in the journal with every register that did not read back. */
static void master_tripped(struct core *k)
{
    k->started = false;
    k->start_waits = 0;
    struct core_result *res = core_result_new(k, NULL, "server", "outputs");
    res->ok = true; /* an event of the core, as the start from the read-back */
    snprintf(res->text, sizeof res->text,
             "another master is writing the PLC (%s): this server writes nothing to it "
             "(demands, commands, heartbeat) until an engineer acknowledges %s",
             k->master.text, k->alarms.al[k->master_alarm].def.name);
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

    master_step(&k->master, tags, st->link_up && !st->writes_failed, k->t_mono);
    if (k->master.tripped_now)
        master_tripped(k);
    if (!k->started && !k->master.tripped && k->master.listened >= MASTER_LISTEN &&
        st->link_up && (readback_good(k, tags) || ++k->start_waits > 20))
        start_from_plant(k, tags);

    /* the PLC's heartbeat, judged on the monotonic clock */
    if (st->link_up && p->plc_heartbeat.q == Q_GOOD) {
        if (p->plc_heartbeat.v != k->hb_last || !k->hb_seen) {
            /* the first reading starts the watch: no stale verdict before it */
            k->hb_last = p->plc_heartbeat.v;
            k->hb_t_change = k->t_mono;
            k->hb_seen = true;
        }
        k->plc_stale = k->t_mono - k->hb_t_change > k->cfg->plc.heartbeat_stale_s;
    } else if (!st->link_up) {
        k->hb_t_change = k->t_mono; /* the link alarm covers it */
        k->hb_seen = false;
        k->plc_stale = false;
    }

    /* the sequencer */
    enum cfg_phase before = k->seq.phase;
    bool moved = st->link_up && seq_step(&k->seq, k->prog, &k->cfg->limits, p, dt);
    if (moved || k->seq.phase != before)
        core_phase_event(k, NULL, before, k->seq.why);

    /* alarms: dev alarms compare with each loop's setpoint */
    double loop_sp[CFG_MAX_LOOPS], loop_reduce[CFG_MAX_LOOPS];
    for (int i = 0; i < k->loops.n && i < CFG_MAX_LOOPS; i++) {
        const struct loops_loop *l = &k->loops.loop[i];
        loop_sp[i] = l->pid.sp;
        loop_reduce[i] = l->ovr_reduce > l->comb_reduce ? l->ovr_reduce : l->comb_reduce;
    }
    struct alarm_inputs ain = {.tags = tags,
                               .loop_sp = loop_sp,
                               .loop_reduce = loop_reduce,
                               .nloops = k->loops.n,
                               .ntags = k->cfg->ntags,
                               .link_up = st->link_up,
                               .plc_stale = k->plc_stale,
                               .disk_ok = st->disk_ok,
                               .phase = k->seq.phase,
                               .foreign_master = k->master.active,
                               .master_note = k->master.detail,
                               .overrun = st->overrun,
                               .overrun_note = st->overrun_note,
                               .refused = st->refused,
                               .refused_note = st->refused_note};
    alarm_step(&k->alarms, &ain, k->t_proc, dt);
    struct alarm_event ev[32];
    int nev;
    while ((nev = alarm_events_take(&k->alarms, ev, 32)) > 0) {
        for (int i = 0; i < nev; i++) {
            struct core_result *res = core_result_new(k, NULL, "alarm", ev[i].name);
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
    k->loops_live = st->link_up && k->started;
    if (k->loops_live) {
        struct loops_ext ext;
        memset(&ext, 0, sizeof ext);
        ext.scrap = k->charge_scrap;
        if (k->hc_loop >= 0) {
            struct loops_ext_loop *e = &ext.loop[k->hc_loop];
            struct pid_params *hp = &k->loops.loop[k->hc_loop].pid.prm;
            double lo = k->cfg->loops[k->hc_loop].out_lo, fl = k->cfg->furnace.low_fire_pct;
            bool off = p->bms_state.q == Q_GOOD && (int)p->bms_state.v == BMS_STANDBY;
            hp->out_lo = k->seq.out.standby_ok || (k->seq.out.standby_keep && off) || lo >= fl
                             ? lo
                             : fl;
            if (k->seq.out.fire_cap_pct < 100) {
                e->cap = true;
                e->cap_value = k->seq.out.fire_cap_pct;
            }
            if (firing_forced(p) && p->firing_fb.q == Q_GOOD) {
                e->track = true;
                e->track_value = p->firing_fb.v;
            }
        }
        for (int i = 0; i < k->loops.n; i++)
            if (k->ff_t0 >= 0)
                ext.loop[i].ff = loops_charge_ff(k->cfg->loops[i].ff_charge_per_t,
                                                 k->cfg->loops[i].ff_charge_tau_s, k->ff_mass_kg,
                                                 k->t_proc - k->ff_t0);
        loops_step(&k->loops, tags, &ext, dt);
        for (int i = 0; i < k->loops.n; i++) {
            const struct pid *pid = &k->loops.loop[i].pid;
            if (pid->events & PID_EV_DROPPED_MAN) {
                char what[64];
                snprintf(what, sizeof what, "%s.mode", k->cfg->loops[i].name);
                struct core_result *res = core_result_new(k, NULL, "loop", what);
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
        for (int i = 0; i < 3; i++)
            master_wrote(&k->master, k->cmd_out[i].tag, k->cmd_out[i].value);
    }
    k->console_hb = (uint16_t)(k->console_hb + 1);
    add_write(k, k->t_console_hb, k->console_hb);
    for (int i = 0; i < k->nwrites; i++)
        master_wrote(&k->master, k->writes[i].tag, k->writes[i].value);
}

bool core_writes_suspended(const struct core *k) { return k->master.tripped; }
