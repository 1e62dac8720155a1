/* core_gate — core_request(), the one gate every operator change passes,
 * and its per-verb checks (see core.h): role -> value -> limits ->
 * permissives -> applied now, or queued for the PLC handshake (core.c).
 * Every refusal is a result with a sentence that says why.
 *
 * What a person typed is read by config/input.c, the same reader the
 * console's dialogs and the CLI use: numbers strictly decimal, reasons
 * printable UTF-8, not blank, at most INPUT_REASON_CHARS characters (checked
 * once for every verb in core_request(), required by set, tune and oos here
 * and by shelving in alarm.c).  What is accepted is exactly what is applied
 * and recorded: values typed are echoed with %.15g (every number the reader
 * accepts has at most 15 significant digits, so its text comes back whole),
 * a charge is refused with more decimals than the PLC's 0.01 t, a shelving
 * with a time that is not whole minutes (alarm.c).
 */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core_int.h"
#include "numtext.h"
#include "input.h"
#include "util.h"

__attribute__((format(printf, 3, 4))) static int refuse(struct core *k, const struct core_req *r,
                                                       const char *fmt, ...)
{
    struct core_result *res = core_result_new(k, r, r->verb, r->target);
    res->ok = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->text, sizeof res->text, fmt, ap);
    va_end(ap);
    return -1;
}

/* The reason of r, which the verb requires: given, and (like every reason,
 * core_request) printable, not blank, not too long. */
static int need_reason(struct core *k, const struct core_req *r)
{
    char why[200];
    if (input_reason(r->reason, true, INPUT_REASON_CHARS, sizeof r->reason, why, sizeof why) < 0)
        return refuse(k, r, "%s: %s", r->target, why);
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
    core_perm_context(k, &ctx);
    bool is_mode = !strcmp(field, "mode");
    if (perm_eval(is_mode ? PERM_MODE : PERM_SETPOINT, &ctx, 0, &pr) != PERM_READY)
        return refuse(k, r, "%s", perm_join(&pr, why, sizeof why));
    char old[48], nw[48];
    int rc;
    if (!strcmp(field, "sp") || !strcmp(field, "out")) {
        double v;
        if (input_number(r->value, &v, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s", r->target, why);
        bool sp = field[0] == 's';
        (void)numtext(old, sizeof old, sp ? p->sp : p->out);
        rc = sp ? pid_set_sp(p, v, why, sizeof why) : pid_set_out(p, v, why, sizeof why);
        (void)numtext(nw, sizeof nw, v);
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
    struct core_result *res = core_result_new(k, r, "set", r->target);
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
        if (input_number(r->value, &v, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s", r->target, why);
        if (v < params[i].lo || v > params[i].hi)
            return refuse(k, r, "%s: %g is outside %g..%g", r->target, v, params[i].lo,
                          params[i].hi);
        double *f = (double *)((char *)&k->loops.loop[li].pid.prm + params[i].off);
        struct core_result *res = core_result_new(k, r, "tune", r->target);
        res->ok = true;
        (void)numtext(res->old_v, sizeof res->old_v, *f);
        (void)numtext(res->new_v, sizeof res->new_v, v);
        snprintf(res->text, sizeof res->text, "%s %s -> %s", r->target, res->old_v, res->new_v);
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
    core_phase_event(k, r, from, why);
    return 0;
}

/* "the classes are clean (0 %), mixed (3 %), ..." or that there are none. */
static const char *scrap_classes(const struct cfg *c, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, c->nscrap ? "the classes are " :
                                   "this file has no [scrap.NAME] classes");
    for (int i = 0; i < c->nscrap && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s (%g %%)", i ? ", " : "",
                                 c->scrap[i].name, c->scrap[i].organics_pct);
    return buf;
}

static int gate_cmd(struct core *k, const struct core_req *r)
{
    char why[CORE_RESULT_TEXT];
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
        if (input_number(r->value, &arg, why, sizeof why) < 0)
            return refuse(k, r, "%s: %s (%s)", perm_cmd_label(cmd), why,
                          cmd == PERM_CHARGE ? "charge mass in t" : "pump speed in %");
        /* the PLC takes the mass in 0.01 t: what is confirmed is what it gets */
        if (cmd == PERM_CHARGE && input_decimals(r->value) > 2)
            return refuse(k, r, "%s: %.15g t has more than 2 decimals; the PLC takes the mass "
                          "in 0.01 t", perm_cmd_label(cmd), arg);
    }
    if (cmd == PERM_SETPOINT || cmd == PERM_MODE)
        return refuse(k, r, "use `set LOOP.sp VALUE` or `set LOOP.mode MODE`");
    struct perm_ctx ctx;
    struct perm_result pr;
    core_perm_context(k, &ctx);
    if (r->scrap[0] && cmd != PERM_CHARGE)
        return refuse(k, r, "%s: a scrap class (\"%s\") goes with a charge only",
                      perm_cmd_label(cmd), r->scrap);
    if (r->scrap[0] && !(ctx.scrap = cfg_scrap_find(k->cfg, r->scrap)))
        return refuse(k, r, "%s: no scrap class \"%s\"; %s", perm_cmd_label(cmd), r->scrap,
                      scrap_classes(k->cfg, why, sizeof why));
    if (perm_eval(cmd, &ctx, arg, &pr) != PERM_READY)
        return refuse(k, r, "%s", perm_join(&pr, why, sizeof why));
    if (cmd == PERM_PHASE_ADVANCE)
        return gate_phase(k, r, seq_phase_next(k->seq.phase), false);
    if (cmd == PERM_PUMP_SPEED) {
        struct core_result *res = core_result_new(k, r, "cmd", r->target);
        res->ok = true;
        (void)numtext(res->old_v, sizeof res->old_v, k->pump_pct);
        (void)numtext(res->new_v, sizeof res->new_v, arg);
        snprintf(res->text, sizeof res->text, "pump speed %s -> %s %% (until the next phase)",
                 res->old_v, res->new_v);
        k->pump_pct = arg;
        k->pump_manual = true;
        return 0;
    }
    enum plc_cmd code = perm_cmd_plc(cmd);
    if (code == PLC_CMD_NONE)
        return refuse(k, r, "%s is not a PLC command", r->target);
    if (k->master.tripped)
        return refuse(k, r, "%s: not sent: another master is writing the PLC and this server "
                      "writes nothing until an engineer acknowledges %s",
                      perm_cmd_label(cmd), k->alarms.al[k->master_alarm].def.name);
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
    const struct cfg_scrap *cls = ctx.scrap ? ctx.scrap : ctx.scrap_default;
    if (cmd == PERM_CHARGE && cls) {
        /* the class it was judged as is the class recorded (the default named) */
        str_copy(q->req.scrap, sizeof q->req.scrap, cls->name);
        snprintf(q->label, sizeof q->label, "%s %.2f t of %s scrap", perm_cmd_label(cmd), arg,
                 cls->name);
    } else if (cmd == PERM_CHARGE)
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
    struct core_result *res = core_result_new(k, r, kind, r->target);
    res->ok = true;
    str_copy(res->new_v, sizeof res->new_v, r->value);
    str_copy(res->text, sizeof res->text, msg);
    return 0;
}

static bool awaits_ack(const struct alarm *al)
{
    return al->state == ALARM_UNACK || al->state == ALARM_RTN_UNACK;
}

/* `ack` where the foreign_master alarm is concerned.  Acknowledging it
 * gives the outputs back, so it is the engineer's: an operator's is refused
 * (and skipped by an operator's `ack all`, which acknowledges the others).
 * The engineer's acknowledgement of the returned alarm (RTN_UNACK ->
 * NORMAL) releases the writes: control restarts from the PLC's read-back
 * (core.c, start_from_plant); acknowledged while the other master still
 * writes, the alarm latches and the writes stay suspended. */
static int gate_ack(struct core *k, const struct core_req *r)
{
    char msg[300] = "";
    const struct alarm *ma = &k->alarms.al[k->master_alarm];
    const char *mname = ma->def.name;
    bool all = !strcmp(r->target, "all");
    bool engineer = r->role == ROLE_ENGINEER;
    if (!engineer && !strcmp(r->target, mname))
        return refuse(k, r, "%s: acknowledging it gives the PLC's outputs back to this server: "
                      "that needs the engineer role (members of group %s)", mname,
                      *k->cfg->server.engineer_group ? k->cfg->server.engineer_group : "(none)");
    if (!engineer && all && awaits_ack(ma)) {
        int n = 0;
        for (int i = 0; i < k->alarms.n; i++)
            if (i != k->master_alarm && awaits_ack(&k->alarms.al[i]) &&
                alarm_ack(&k->alarms, k->alarms.al[i].def.name, r->user, k->t_proc, NULL, 0) == 0)
                n++;
        snprintf(msg, sizeof msg, "%d alarm%s acknowledged; not %s: that needs the engineer role",
                 n, n == 1 ? "" : "s", mname);
        return alarm_result(k, r, n > 0 ? 0 : -1, msg, "ack");
    }
    bool was_rtn = ma->state == ALARM_RTN_UNACK;
    int rc = all ? alarm_ack_all(&k->alarms, r->user, k->t_proc, msg, sizeof msg)
                 : alarm_ack(&k->alarms, r->target, r->user, k->t_proc, msg, sizeof msg);
    if (rc == 0 && k->master.tripped && (all || !strcmp(r->target, mname))) {
        size_t l = strlen(msg);
        if (was_rtn && ma->state == ALARM_NORMAL) {
            master_release(&k->master);
            snprintf(msg + l, sizeof msg - l, "; control restarts from the PLC's read-back");
        } else {
            snprintf(msg + l, sizeof msg - l, "; the other master is still writing: this server "
                     "writes nothing until %s is acknowledged again once it has stopped", mname);
        }
    }
    return alarm_result(k, r, rc, msg, "ack");
}

/* ---- toward the safe state ------------------------------------------------------ */

/* What the gate still carries out while the record cannot be written: each
 * row moves the furnace toward its safe state (less heat, doors and tap
 * shut, things stopped) or brings an alarm back into view.  Every other
 * request is a change away from it and is refused, so nothing is changed
 * that the record could not keep.  control/README.md, 'The record'. */
enum safe_rule {
    SAFE_ALWAYS,
    SAFE_LOWER_SP,     /* LOOP.sp below the setpoint now, LOOP a temperature loop */
    SAFE_LOWER_FIRING, /* the HC loop's output (the firing) below what it is now */
    SAFE_ACK,          /* not the acknowledgement that gives the outputs back */
    SAFE_VALUE_OFF,    /* value "off" or "0" */
    SAFE_VALUE_ON,     /* any value but "no" or "0" */
};

static const struct {
    const char *verb, *target; /* target NULL: any; ".sp"/".out": LOOP.sp/LOOP.out */
    enum safe_rule rule;
} toward_safe[] = {
    {"cmd", "burner_stop", SAFE_ALWAYS},
    {"cmd", "sc_door_close", SAFE_ALWAYS},
    {"cmd", "hc_door_close", SAFE_ALWAYS},
    {"cmd", "pump_stop", SAFE_ALWAYS},
    {"cmd", "fan_stop", SAFE_ALWAYS},
    {"cmd", "tap_close", SAFE_ALWAYS},
    {"set", ".sp", SAFE_LOWER_SP},
    {"set", ".out", SAFE_LOWER_FIRING},
    {"ack", NULL, SAFE_ACK},
    {"unshelve", NULL, SAFE_ALWAYS},
    {"oos", NULL, SAFE_VALUE_OFF},
    {"wet", NULL, SAFE_VALUE_ON},
};

/* The loop of "LOOP.field" when field matches, else -1. */
static int loop_of(const struct core *k, const char *target, const char *field)
{
    const char *dot = strchr(target, '.');
    char name[CFG_NAME_MAX];
    if (!dot || strcmp(dot, field) || (size_t)(dot - target) >= sizeof name)
        return -1;
    snprintf(name, sizeof name, "%.*s", (int)(dot - target), target);
    return loops_find(&k->loops, name);
}

static bool safe_by_rule(const struct core *k, const struct core_req *r, enum safe_rule rule,
                         const char *field)
{
    char why[120];
    double v;
    int li;
    switch (rule) {
    case SAFE_ALWAYS:
        return true;
    case SAFE_LOWER_SP:
        li = loop_of(k, r->target, field);
        return li >= 0 && (li == k->bath_loop || li == k->hc_loop || li == k->sc_loop) &&
               input_number(r->value, &v, why, sizeof why) == 0 &&
               v < k->loops.loop[li].pid.sp;
    case SAFE_LOWER_FIRING:
        li = loop_of(k, r->target, field);
        return li >= 0 && li == k->hc_loop &&
               input_number(r->value, &v, why, sizeof why) == 0 &&
               v < k->loops.loop[li].pid.out;
    case SAFE_ACK: {
        const struct alarm *ma = &k->alarms.al[k->master_alarm];
        bool master = !strcmp(r->target, ma->def.name) ||
                      (!strcmp(r->target, "all") && awaits_ack(ma) && r->role == ROLE_ENGINEER);
        return !(master && k->master.tripped);
    }
    case SAFE_VALUE_OFF:
        return !strcasecmp(r->value, "off") || !strcmp(r->value, "0");
    case SAFE_VALUE_ON:
        return strcasecmp(r->value, "no") != 0 && strcmp(r->value, "0") != 0;
    }
    return false;
}

bool core_req_toward_safe(const struct core *k, const struct core_req *r)
{
    for (size_t i = 0; i < sizeof toward_safe / sizeof toward_safe[0]; i++) {
        const char *t = toward_safe[i].target;
        if (strcmp(r->verb, toward_safe[i].verb))
            continue;
        const char *dot = strchr(r->target, '.');
        if (t && (t[0] == '.' ? !dot || strcmp(dot, t) : strcmp(r->target, t)))
            continue;
        return safe_by_rule(k, r, toward_safe[i].rule, t);
    }
    return false;
}

void core_set_record(struct core *k, bool ok, const char *why)
{
    k->record_down = !ok;
    str_copy(k->record_why, sizeof k->record_why, ok ? "" : why);
}

static int dispatch(struct core *k, const struct core_req *r);

int core_request(struct core *k, const struct core_req *r)
{
    if (r->role == ROLE_VIEWER)
        return refuse(k, r, "%s %s: the viewer role may look but not change anything; "
                      "operators are members of group %s",
                      r->verb, r->target,
                      *k->cfg->server.operator_group ? k->cfg->server.operator_group : "(none)");
    /* every reason, required or not, is printable text within the maximum */
    char rwhy[200];
    if (input_reason(r->reason, false, INPUT_REASON_CHARS, sizeof r->reason, rwhy, sizeof rwhy) < 0)
        return refuse(k, r, "%s: %s", *r->target ? r->target : r->verb, rwhy);
    if (k->record_down && !core_req_toward_safe(k, r))
        return refuse(k, r, "%s %s: the record cannot be written (%s): changes are refused "
                      "until it can; stops, closes, lower temperature setpoints, lower firing, "
                      "acknowledgements and unshelving are still carried out",
                      r->verb, r->target, k->record_why);
    char cas[CORE_RESULT_TEXT];
    if (core_cas_check(k, r, cas, sizeof cas) < 0) {
        refuse(k, r, "%s", cas);
        /* the change the operator asked for, on what they saw: "740 -> 710" */
        struct core_result *res = &k->results[k->nresults - 1];
        (void)str_copy(res->old_v, sizeof res->old_v, r->expect);
        (void)str_copy(res->new_v, sizeof res->new_v, r->value);
        return -1;
    }
    int rc = dispatch(k, r);
    /* who changed the base, for a later request made on the old value; a
     * PLC command changes it later (the phase, when its result comes) */
    if (rc == 0 && (strcmp(r->verb, "cmd") != 0 || !strcmp(r->target, "pump_speed")) &&
        strcmp(r->verb, "phase") != 0 && strcmp(r->verb, "confirm") != 0)
        core_note_request(k, r);
    return rc;
}

/* core_request's verbs, once the request has passed role, reason, record
 * and compare-and-set. */
static int dispatch(struct core *k, const struct core_req *r)
{
    char msg[300] = "";
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
    if (!strcmp(r->verb, "ack"))
        return gate_ack(k, r);
    if ((!strcmp(r->verb, "shelve") || !strcmp(r->verb, "oos")) &&
        !strcmp(r->target, k->alarms.al[k->master_alarm].def.name))
        return refuse(k, r, "%s guards the PLC's outputs: it cannot be shelved or taken out of "
                      "service", r->target);
    if (!strcmp(r->verb, "shelve")) {
        double min;
        char why[200];
        if (input_number(r->value, &min, why, sizeof why) < 0)
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
