/* alarm — ISA-18.2 alarm states, floods and KPIs (see alarm.h).
 *
 * Condition (raw, this step), per kind, with L = limit and DB = deadband:
 *   HI         set when v >= L; once active, stays set while v >= L - DB
 *   LO         set when v <= L; once active, stays set while v <= L + DB
 *   ON         bool tag true            OFF, DOOR_OPEN   bool tag false
 *   BAD        tag quality not GOOD     LINK   link down
 *   STALE      PLC heartbeat frozen     DISK   journal/historian cannot write
 *   MASTER     another master writes the PLC (the core's detector, master.h)
 *   OVERRUN    cycles overrun (the shell's judgement)
 *   REFUSED    the PLC refuses a read block or a write; holds while the link is down
 *   DEV        |v - SP| >= L, SP the setpoint of def.loop; stays while >= L - DB
 *   DIFF       v - v2 >= L (when hi), v2 - v >= L (lo), |v - v2| >= L (both):
 *              v2 of tag2, two sensors disagree; same deadband
 *   AND        (v beyond L) and (v2 beyond limit2), each "beyond" hi (>=) or lo
 *              (<=) by when/when2, each with its deadband once active
 *   OVERRIDE   the overrides of def.loop (roof, combustion: loops.c) take >= L off its
 *              setpoint; stays while >= L - DB; holds without the loops' figures
 * Outside def.phases (when given) every condition is clear: the alarm does
 * not exist there (a bath deviation means something only in HOLD).  In
 * def.alt_phases, L is def.alt_limit (state-based alarming: the same fault, with
 * the limit the plant's state allows; the debounce runs on across the change).
 * HI, LO, ON, OFF, DOOR_OPEN, DEV, DIFF and AND hold (neither raise nor clear)
 * while a tag's quality is not GOOD: the BAD alarm of that tag covers it.  BAD and STALE
 * hold while the link is down (and BAD while the PLC is stale): they are
 * consequences of the LINK/STALE alarm, and raising every sensor's BAD alarm
 * at a link loss would be a flood of one cause.
 *
 * Debounce: `active` follows the raw condition only once the condition has
 * differed from it for on_delay_s (to become active) or off_delay_s (to
 * return), measured in process time; a hold restarts the delay.  DOOR_OPEN is
 * OFF whose on_delay_s is "open for longer than".
 *
 * States (not shelved, not out of service, not suppressed):
 *   NORMAL    --active-->  UNACK      (raised: one annunciation)
 *   UNACK     --return-->  RTN_UNACK  --ack--> NORMAL
 *   UNACK     --ack----->  ACKED
 *   ACKED     --return-->  NORMAL, or RTN_UNACK when latching
 *   RTN_UNACK --active-->  UNACK      (raised again)
 * SHELVED, SUPPRESSED and OOS hide the alarm whatever its condition; the
 * condition keeps being tracked, and on leaving them the alarm goes to
 * NORMAL and re-evaluates at once (raising if still active).  Precedence:
 * OOS over SHELVED over SUPPRESSED.
 *
 * Consequential suppression: alarm C named in A's `suppresses` whose
 * condition becomes active no earlier than A's and within A's suppress_s is
 * SUPPRESSED (recorded, not annunciated) for as long as its condition stays
 * active and A holds: A is not shelved, out of service or itself suppressed,
 * and A is active or still listed.  When A stops holding, a C still active is
 * raised.  A critical alarm is never a consequence (the loader refuses it).
 *
 * First-out: an alarm of a group (def.group) raised when no other alarm of
 * its group was raised within the last group_window_s is first-out; the
 * mark stays until it is NORMAL again.  Alarms raised in one step take config
 * order, so a group lists its causes first.
 *
 * Flood: n = annunciations in the last ALARM_FLOOD_WINDOW_S.  A flood starts
 * when n > ALARM_FLOOD_START and ends when n < ALARM_FLOOD_END (ISA-18.2:
 * more than 10 per 10 min, over below 5).  Chatter: an annunciation that is
 * the ALARM_CHATTER_N-th within ALARM_CHATTER_WINDOW_S of the same alarm.
 */
#include "alarm.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "input.h"

#define TIME_EPS 1e-9        /* against sums of dt landing a hair short of a delay */
#define ALARM_DETAIL_MAX 100 /* with a message (< CFG_TEXT_MAX) fits ALARM_EVENT_TEXT */

enum cond { C_CLEAR, C_SET, C_HOLD };

static bool listed(enum alarm_state s)
{
    return s == ALARM_UNACK || s == ALARM_ACKED || s == ALARM_RTN_UNACK;
}

static bool unacked(enum alarm_state s) { return s == ALARM_UNACK || s == ALARM_RTN_UNACK; }

static void say(char *msg, size_t len, const char *text)
{
    if (msg && len)
        snprintf(msg, len, "%s", text);
}

static const char *title(const struct alarm *al)
{
    return al->def.message[0] ? al->def.message : al->def.name;
}

static struct tag_value source(const struct alarm *al, const struct alarm_inputs *in)
{
    struct tag_value v = {.v = 0, .q = Q_BAD_COMMS};
    if (al->tag >= 0 && in->tags && al->tag < in->ntags)
        v = in->tags[al->tag];
    return v;
}

static struct tag_value source2(const struct alarm *al, const struct alarm_inputs *in)
{
    struct tag_value v = {.v = 0, .q = Q_BAD_COMMS};
    if (al->tag2 >= 0 && in->tags && al->tag2 < in->ntags)
        v = in->tags[al->tag2];
    return v;
}

static enum cond cond_of(bool b) { return b ? C_SET : C_CLEAR; }

/* v beyond limit: v >= limit (hi) or v <= limit (lo); once active the limit
 * moves back by the deadband. */
static bool beyond(double v, bool lo, double limit, double db, bool active)
{
    if (lo)
        return v <= (active ? limit + db : limit);
    return v >= (active ? limit - db : limit);
}

/* The raw condition of one alarm this step (see the table at the top). */
/* The limit in the current phase: alt_limit in alt_phases, else limit. */
double alarm_limit_in(const struct cfg_alarm *d, enum cfg_phase phase)
{
    if (d->alt_phases && (unsigned)phase < PH_COUNT && (d->alt_phases >> phase & 1u))
        return d->alt_limit;
    return d->limit;
}

static enum cond condition(struct alarm *al, struct tag_value v,
                           struct tag_value v2, const struct alarm_inputs *in)
{
    const struct cfg_alarm *d = &al->def;
    bool good = v.q == Q_GOOD, good2 = v2.q == Q_GOOD;
    if (d->phases && (unsigned)in->phase < PH_COUNT && !(d->phases >> in->phase & 1u))
        return C_CLEAR;
    double lim = alarm_limit_in(d, in->phase);
    al->last_limit = lim;
    switch (d->kind) {
    case ALARM_HI:
        if (!good)
            return C_HOLD;
        return cond_of(v.v >= (al->active ? lim - d->deadband : lim));
    case ALARM_LO:
        if (!good)
            return C_HOLD;
        return cond_of(v.v <= (al->active ? lim + d->deadband : lim));
    case ALARM_ON: return good ? cond_of(v.v > 0.5) : C_HOLD;
    case ALARM_OFF:
    case ALARM_DOOR_OPEN: return good ? cond_of(v.v <= 0.5) : C_HOLD;
    case ALARM_BAD:
        if (!in->link_up || in->plc_stale)
            return C_HOLD;
        return cond_of(!good);
    case ALARM_LINK: return cond_of(!in->link_up);
    case ALARM_STALE: return in->link_up ? cond_of(in->plc_stale) : C_HOLD;
    case ALARM_DISK: return cond_of(!in->disk_ok);
    case ALARM_MASTER: return cond_of(in->foreign_master);
    case ALARM_OVERRUN: return cond_of(in->overrun);
    case ALARM_REFUSED: return in->link_up ? cond_of(in->refused) : C_HOLD;
    case ALARM_DEV:
        if (!good || !in->loop_sp || al->loop < 0 || al->loop >= in->nloops)
            return C_HOLD;
        return cond_of(beyond(fabs(v.v - in->loop_sp[al->loop]), false, lim, d->deadband,
                              al->active));
    case ALARM_OVERRIDE:
        if (!in->loop_reduce || al->loop < 0 || al->loop >= in->nloops)
            return C_HOLD;
        return cond_of(beyond(in->loop_reduce[al->loop], false, lim, d->deadband,
                              al->active));
    case ALARM_DIFF:
        if (!good || !good2)
            return C_HOLD;
        return cond_of(beyond(d->when == 0   ? v.v - v2.v
                              : d->when == 1 ? v2.v - v.v
                                             : fabs(v.v - v2.v),
                              false, lim, d->deadband, al->active));
    case ALARM_AND:
        if (!good || !good2)
            return C_HOLD;
        return cond_of(beyond(v.v, d->when == 1, lim, d->deadband, al->active) &&
                       beyond(v2.v, d->when2 == 1, d->limit2, d->deadband2, al->active));
    default: return C_HOLD;
    }
}

/* Move `active` towards the raw condition once it has lasted its delay. */
static void debounce(struct alarm *al, enum cond c, double now)
{
    if (c == C_HOLD) {
        al->pending = false;
        return;
    }
    bool want = c == C_SET;
    if (want == al->active) {
        al->pending = false;
        return;
    }
    if (!al->pending) {
        al->pending = true;
        al->pending_since = now;
    }
    double delay = want ? al->def.on_delay_s : al->def.off_delay_s;
    if (now - al->pending_since >= delay - TIME_EPS) {
        al->active = want;
        al->pending = false;
    }
}

/* What the source shows, for the journal: "roof_temp 1203.4 degC, limit
 * 1200.0 degC"; "" for kinds without a tag. */
static void detail(const struct alarm *al, char *buf, size_t len)
{
    const struct cfg_alarm *d = &al->def;
    const struct tag_value *v = &al->last;
    int cut = 0;
    buf[0] = '\0';
    switch (d->kind) {
    case ALARM_HI:
    case ALARM_LO:
        if (v->q == Q_GOOD)
            snprintf(buf, len, "%s %.1f %s, limit %.1f %s", d->tag, v->v, al->unit, al->last_limit,
                     al->unit);
        else
            snprintf(buf, len, "%s quality %s, limit %.1f %s", d->tag, tag_quality_name(v->q),
                     al->last_limit, al->unit);
        break;
    case ALARM_ON:
    case ALARM_OFF:
    case ALARM_DOOR_OPEN:
        if (v->q != Q_GOOD)
            snprintf(buf, len, "%s quality %s", d->tag, tag_quality_name(v->q));
        else
            snprintf(buf, len, "%s %s", d->tag, v->v > 0.5 ? "true" : "false");
        break;
    case ALARM_BAD: snprintf(buf, len, "%s quality %s", d->tag, tag_quality_name(v->q)); break;
    /* the kinds of two values may be cut to fit the event text: a decision */
    case ALARM_DEV:
        cut = snprintf(buf, len, "%s %.1f %s, setpoint %.1f, limit +-%.1f %s", d->tag, v->v, al->unit,
                 al->last_sp, al->last_limit, al->unit);
        break;
    case ALARM_DIFF:
        cut = snprintf(buf, len, "%s %.1f, %s %.1f: %.1f apart, limit %.1f", d->tag, v->v,
                       d->tag2, al->last2.v, fabs(v->v - al->last2.v), al->last_limit);
        break;
    case ALARM_AND:
        cut = snprintf(buf, len, "%s %.1f, %s %.1f", d->tag, v->v, d->tag2, al->last2.v);
        break;
    case ALARM_OVERRIDE:
        snprintf(buf, len, "loop %s: setpoint lowered %.1f by its overrides, limit %.1f",
                 d->loop, al->last_reduce, al->last_limit);
        break;
    case ALARM_MASTER:
    case ALARM_OVERRUN:
    case ALARM_REFUSED: snprintf(buf, len, "%s", al->note); break;
    default: break;
    }
    (void)cut;
}

static void push(struct alarms *a, const struct alarm_event *e)
{
    if (a->ev_count == ALARM_EVENTS_MAX) {
        a->ev_head = (a->ev_head + 1) % ALARM_EVENTS_MAX;
        a->ev_count--;
        a->events_dropped++;
    }
    a->ev[(a->ev_head + a->ev_count) % ALARM_EVENTS_MAX] = *e;
    a->ev_count++;
}

/* Change alarm i's state to `to` and queue the event saying so. */
static void emit(struct alarms *a, int i, enum alarm_event_kind kind, enum alarm_state to,
                 const char *user, const char *text)
{
    struct alarm *al = &a->al[i];
    struct alarm_event e = {
        .t = a->now, .kind = kind, .prio = al->def.priority, .from = al->state, .to = to};
    snprintf(e.name, sizeof e.name, "%s", al->def.name);
    snprintf(e.user, sizeof e.user, "%s", user ? user : "");
    snprintf(e.text, sizeof e.text, "%s", text);
    push(a, &e);
    al->state = to;
    al->t_state = a->now;
    if (to == ALARM_NORMAL)
        al->first_out = false;
}

/* Record one annunciation of alarm i for the rate, the top ten and chatter. */
static void annunciate(struct alarms *a, int i)
{
    struct alarm *al = &a->al[i];
    if (a->ann_count == ALARM_RATE_RING) {
        a->ann_head = (a->ann_head + 1) % ALARM_RATE_RING;
        a->ann_count--;
    }
    a->ann[(a->ann_head + a->ann_count) % ALARM_RATE_RING] = a->now;
    a->ann_count++;
    a->annunciations++;

    al->recent[al->annunciations % ALARM_CHATTER_N] = a->now;
    al->annunciations++;
    if (al->annunciations >= ALARM_CHATTER_N &&
        a->now - al->recent[al->annunciations % ALARM_CHATTER_N] <=
            ALARM_CHATTER_WINDOW_S + TIME_EPS)
        al->chatter++;
    al->t_raised = a->now;
}

/* Whether alarm i, raised now, is the first of its group in the window. */
static bool first_of_group(const struct alarms *a, int i)
{
    const struct alarm *al = &a->al[i];
    if (!al->def.group[0])
        return false;
    for (int k = 0; k < a->n; k++) {
        const struct alarm *o = &a->al[k];
        if (k != i && o->annunciations > 0 && !strcmp(o->def.group, al->def.group) &&
            a->now - o->t_raised < al->def.group_window_s - TIME_EPS)
            return false;
    }
    return true;
}

static void raise_alarm(struct alarms *a, int i)
{
    char d[ALARM_DETAIL_MAX], text[ALARM_EVENT_TEXT];
    struct alarm *al = &a->al[i];
    al->first_out = first_of_group(a, i);
    const char *fo = al->first_out ? ", first out" : "";
    detail(al, d, sizeof d);
    if (d[0])
        snprintf(text, sizeof text, "%s (%s%s)", title(al), d, fo);
    else if (al->first_out)
        snprintf(text, sizeof text, "%s (first out)", title(al));
    else
        snprintf(text, sizeof text, "%s", title(al));
    annunciate(a, i);
    emit(a, i, AEV_RAISED, ALARM_UNACK, "", text);
}

static void return_alarm(struct alarms *a, int i, enum alarm_state to)
{
    char d[ALARM_DETAIL_MAX], text[ALARM_EVENT_TEXT];
    detail(&a->al[i], d, sizeof d);
    if (d[0])
        snprintf(text, sizeof text, "%s: returned (%s)", title(&a->al[i]), d);
    else
        snprintf(text, sizeof text, "%s: returned", title(&a->al[i]));
    emit(a, i, AEV_RETURNED, to, "", text);
}

static bool phase_suppressed(const struct alarms *a, const struct alarm *al)
{
    return (unsigned)a->phase < PH_COUNT && (al->def.suppress_phases >> a->phase & 1u);
}

/* Whether alarm j (a cause) holds its consequences suppressed: it is, or is
 * about to be, annunciated, and active or still listed. */
static bool cause_holds(const struct alarms *a, const struct alarm *j)
{
    return !j->oos && !j->shelved && !phase_suppressed(a, j) && j->sup_by < 0 &&
           (j->active || listed(j->state));
}

/* Consequential suppression (see the top): release what no longer holds,
 * then mark the consequences newly active within their cause's window. */
static void consequences(struct alarms *a)
{
    for (int i = 0; i < a->n; i++) {
        struct alarm *c = &a->al[i];
        if (c->sup_by >= 0 && (!c->active || !cause_holds(a, &a->al[c->sup_by])))
            c->sup_by = -1;
    }
    for (int j = 0; j < a->n; j++) {
        const struct alarm *cause = &a->al[j];
        if (!cause->ncons || !cause->active || !cause_holds(a, cause))
            continue;
        for (int k = 0; k < cause->ncons; k++) {
            struct alarm *c = &a->al[cause->cons[k]];
            double after = c->t_active - cause->t_active;
            if (c->active && c->sup_by < 0 && !listed(c->state) && after >= -TIME_EPS &&
                after <= cause->def.suppress_s + TIME_EPS)
                c->sup_by = j;
        }
    }
}

/* Bring alarm i's state in line with its condition and the phase.  Shelved
 * and out-of-service alarms are left to their actions. */
static void settle(struct alarms *a, int i)
{
    struct alarm *al = &a->al[i];
    char text[ALARM_EVENT_TEXT];
    if (al->oos || al->shelved)
        return;
    bool by_phase = phase_suppressed(a, al);
    if (by_phase || al->sup_by >= 0) {
        if (al->state != ALARM_SUPPRESSED) {
            if (by_phase)
                snprintf(text, sizeof text, "%s: suppressed in %s", title(al),
                         cfg_phase_name(a->phase));
            else
                snprintf(text, sizeof text, "%s: suppressed as a consequence of %s",
                         title(al), a->al[al->sup_by].def.name);
            emit(a, i, AEV_SUPPRESSED, ALARM_SUPPRESSED, "", text);
        }
        return;
    }
    if (al->state == ALARM_SUPPRESSED) {
        snprintf(text, sizeof text, "%s: no longer suppressed (%s)", title(al),
                 cfg_phase_name(a->phase));
        emit(a, i, AEV_UNSUPPRESSED, ALARM_NORMAL, "", text);
    }
    switch (al->state) {
    case ALARM_NORMAL:
    case ALARM_RTN_UNACK:
        if (al->active)
            raise_alarm(a, i);
        break;
    case ALARM_UNACK:
        if (!al->active)
            return_alarm(a, i, ALARM_RTN_UNACK);
        break;
    case ALARM_ACKED:
        if (!al->active)
            return_alarm(a, i, al->def.latching ? ALARM_RTN_UNACK : ALARM_NORMAL);
        break;
    default: break;
    }
}

static int window_count(const struct alarms *a)
{
    int n = 0;
    for (int k = 0; k < a->ann_count; k++)
        if (a->ann[(a->ann_head + k) % ALARM_RATE_RING] > a->now - ALARM_FLOOD_WINDOW_S)
            n++;
    return n;
}

static void flood_event(struct alarms *a, enum alarm_event_kind kind, const char *text)
{
    struct alarm_event e = {
        .t = a->now, .kind = kind, .prio = PRIO_HIGH, .from = ALARM_NORMAL, .to = ALARM_NORMAL};
    snprintf(e.text, sizeof e.text, "%s", text);
    push(a, &e);
}

static void flood_step(struct alarms *a, double dt)
{
    char text[ALARM_EVENT_TEXT];
    if (a->flood && dt > 0)
        a->time_in_flood_s += dt;
    /* drop what left the window; what remains is the rate (time runs forward) */
    while (a->ann_count > 0 && a->ann[a->ann_head] <= a->now - ALARM_FLOOD_WINDOW_S) {
        a->ann_head = (a->ann_head + 1) % ALARM_RATE_RING;
        a->ann_count--;
    }
    int n = a->ann_count;
    if (!a->flood && n > ALARM_FLOOD_START) {
        a->flood = true;
        a->flood_since = a->now;
        a->floods++;
        snprintf(text, sizeof text, "Alarm flood: %d alarms in the last %.0f min", n,
                 ALARM_FLOOD_WINDOW_S / 60);
        flood_event(a, AEV_FLOOD_START, text);
    } else if (a->flood && n < ALARM_FLOOD_END) {
        a->flood = false;
        snprintf(text, sizeof text,
                 "Alarm flood over after %.1f min (%d alarms in the last %.0f min)",
                 (a->now - a->flood_since) / 60, n, ALARM_FLOOD_WINDOW_S / 60);
        flood_event(a, AEV_FLOOD_END, text);
    }
}

/* ---- public --------------------------------------------------------------- */

/* The first failure of alarm_init, as its sentence; later ones only count. */
static int init_fail(int rc, char *err, size_t errlen, const char *name, const char *key,
                     const char *val, const char *what)
{
    if (rc == 0 && err && errlen)
        snprintf(err, errlen, "[alarm.%s] %s = \"%s\": %s", name, key, val, what);
    return -1;
}

/* Resolve def.suppresses (comma-separated alarm names) into al->cons. */
static int init_consequences(struct alarms *a, int i, int rc, char *err, size_t errlen)
{
    struct alarm *al = &a->al[i];
    const char *p = al->def.suppresses;
    while (*p) {
        char name[CFG_NAME_MAX];
        size_t n = 0;
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        while (*p && *p != ',') {
            if (*p != ' ' && n < sizeof name - 1)
                name[n++] = *p;
            p++;
        }
        name[n] = '\0';
        int k = alarm_find(a, name);
        if (k < 0 || k == i)
            rc = init_fail(rc, err, errlen, al->def.name, "suppresses", name,
                           "no such other alarm");
        else if (al->ncons == ALARM_CONS_MAX)
            rc = init_fail(rc, err, errlen, al->def.name, "suppresses", name,
                           "more consequences than one alarm may suppress (8)");
        else
            al->cons[al->ncons++] = k;
    }
    return rc;
}

int alarm_init(struct alarms *a, const struct cfg *c, char *err, size_t errlen)
{
    int rc = 0;
    memset(a, 0, sizeof *a);
    a->phase = PH_HOLD;
    a->n = c->nalarms < 0 ? 0 : c->nalarms > ALARM_MAX ? ALARM_MAX : c->nalarms;
    say(err, errlen, "");
    for (int i = 0; i < a->n; i++) {
        struct alarm *al = &a->al[i];
        al->def = c->alarms[i];
        al->state = ALARM_NORMAL;
        al->tag = al->tag2 = al->loop = al->sup_by = -1;
        al->last.q = al->last2.q = Q_BAD_COMMS;
        al->last_limit = al->def.limit;
        if (al->def.tag2[0]) {
            al->tag2 = cfg_tag_index(c, al->def.tag2);
            if (al->tag2 < 0)
                rc = init_fail(rc, err, errlen, al->def.name, "tag2", al->def.tag2,
                               "no such tag in the tag map");
        }
        if (al->def.loop[0]) {
            const struct cfg_loop *l = cfg_loop_find(c, al->def.loop);
            if (!l)
                rc = init_fail(rc, err, errlen, al->def.name, "loop", al->def.loop,
                               "no such loop");
            else
                al->loop = (int)(l - c->loops);
        }
        if (al->def.tag[0] == '\0')
            continue;
        al->tag = cfg_tag_index(c, al->def.tag);
        if (al->tag < 0) {
            rc = init_fail(rc, err, errlen, al->def.name, "tag", al->def.tag,
                           "no such tag in the tag map");
            continue;
        }
        snprintf(al->unit, sizeof al->unit, "%s", c->tags[al->tag].unit);
    }
    for (int i = 0; i < a->n; i++)
        rc = init_consequences(a, i, rc, err, errlen);
    return rc;
}

int alarm_add(struct alarms *a, const struct cfg_alarm *def, char *err, size_t errlen)
{
    bool tagless = def->kind == ALARM_LINK || def->kind == ALARM_STALE ||
                   def->kind == ALARM_DISK || def->kind == ALARM_MASTER ||
                   def->kind == ALARM_OVERRUN || def->kind == ALARM_REFUSED;
    if (!tagless || def->tag[0]) {
        if (err && errlen)
            snprintf(err, errlen, "alarm %s: only alarms without a source tag can be added",
                     def->name);
        return -1;
    }
    if (a->n >= ALARM_MAX) {
        if (err && errlen)
            snprintf(err, errlen, "alarm %s: already %d alarms, no room for it; remove one",
                     def->name, ALARM_MAX);
        return -1;
    }
    struct alarm *al = &a->al[a->n];
    memset(al, 0, sizeof *al);
    al->def = *def;
    al->state = ALARM_NORMAL;
    al->tag = al->tag2 = al->loop = al->sup_by = -1;
    al->last.q = al->last2.q = Q_BAD_COMMS;
    return a->n++;
}

void alarm_step(struct alarms *a, const struct alarm_inputs *in, double now_s, double dt)
{
    char text[ALARM_EVENT_TEXT];
    a->now = now_s;
    a->phase = in->phase;
    for (int i = 0; i < a->n; i++) {
        struct alarm *al = &a->al[i];
        struct tag_value v = source(al, in), v2 = source2(al, in);
        al->last = v;
        al->last2 = v2;
        if (al->loop >= 0 && in->loop_sp && al->loop < in->nloops)
            al->last_sp = in->loop_sp[al->loop];
        if (al->loop >= 0 && in->loop_reduce && al->loop < in->nloops)
            al->last_reduce = in->loop_reduce[al->loop];
        const char *note = al->def.kind == ALARM_MASTER    ? in->master_note
                           : al->def.kind == ALARM_OVERRUN ? in->overrun_note
                           : al->def.kind == ALARM_REFUSED ? in->refused_note
                                                           : NULL;
        if (note && (al->def.kind != ALARM_REFUSED || *note))
            snprintf(al->note, sizeof al->note, "%s", note);
        bool was = al->active;
        debounce(al, condition(al, v, v2, in), now_s);
        if (al->active && !was)
            al->t_active = now_s;
    }
    consequences(a);
    for (int i = 0; i < a->n; i++) {
        struct alarm *al = &a->al[i];
        if (al->shelved && !al->oos && now_s >= al->shelve_until - TIME_EPS) {
            al->shelved = false;
            snprintf(text, sizeof text, "%s: shelving by %s expired", title(al),
                     al->shelve_user[0] ? al->shelve_user : "?");
            emit(a, i, AEV_SHELVE_EXPIRED, ALARM_NORMAL, "", text);
        }
        settle(a, i);
    }
    flood_step(a, dt);
}

static int lookup(const struct alarms *a, const char *name, char *msg, size_t len)
{
    int i = alarm_find(a, name);
    if (i < 0 && msg && len)
        snprintf(msg, len, "No alarm named \"%s\"", name ? name : "");
    return i;
}

static int ack_one(struct alarms *a, int i, const char *user)
{
    struct alarm *al = &a->al[i];
    char text[ALARM_EVENT_TEXT];
    if (!unacked(al->state))
        return -1;
    snprintf(text, sizeof text, "%s: acknowledged by %s", title(al), user && user[0] ? user : "?");
    emit(a, i, AEV_ACKED, al->state == ALARM_UNACK ? ALARM_ACKED : ALARM_NORMAL, user, text);
    return 0;
}

int alarm_ack(struct alarms *a, const char *name, const char *user, double now_s, char *msg,
              size_t msglen)
{
    char text[ALARM_EVENT_TEXT];
    int i = lookup(a, name, msg, msglen);
    if (i < 0)
        return -1;
    a->now = now_s;
    if (ack_one(a, i, user) < 0) {
        snprintf(text, sizeof text, "%s is %s: nothing to acknowledge", a->al[i].def.name,
                 alarm_state_name(a->al[i].state));
        say(msg, msglen, text);
        return -1;
    }
    snprintf(text, sizeof text, "%s acknowledged", a->al[i].def.name);
    say(msg, msglen, text);
    return 0;
}

int alarm_ack_all(struct alarms *a, const char *user, double now_s, char *msg, size_t msglen)
{
    char text[ALARM_EVENT_TEXT];
    int n = 0;
    a->now = now_s;
    for (int i = 0; i < a->n; i++)
        if (ack_one(a, i, user) == 0)
            n++;
    if (n == 0) {
        say(msg, msglen, "No alarm awaits acknowledgement");
        return -1;
    }
    snprintf(text, sizeof text, "%d alarm%s acknowledged", n, n == 1 ? "" : "s");
    say(msg, msglen, text);
    return 0;
}

int alarm_shelve(struct alarms *a, const char *name, double minutes, const char *reason,
                 const char *user, bool role_is_engineer, double now_s, char *msg, size_t msglen)
{
    char text[ALARM_EVENT_TEXT], why[160];
    int i = lookup(a, name, msg, msglen);
    if (i < 0)
        return -1;
    struct alarm *al = &a->al[i];
    const char *n = al->def.name;
    double lim = al->def.max_shelve_min;
    bool high = al->def.priority == PRIO_HIGH;
    if (al->oos)
        snprintf(text, sizeof text, "Shelve %s: it is out of service", n);
    else if (al->def.priority == PRIO_CRITICAL)
        snprintf(text, sizeof text,
                 "Shelve %s: a critical alarm cannot be shelved, by anyone; clear its cause "
                 "(an engineer may take it out of service for repair)",
                 n);
    else if (input_reason(reason, true, ALARM_REASON_MAX - 1, ALARM_REASON_MAX, why, sizeof why) <
             0)
        snprintf(text, sizeof text, "Shelve %s: %s", n, why);
    else if (isfinite(minutes) && minutes != floor(minutes))
        snprintf(text, sizeof text,
                 "Shelve %s: %.15g min is not a whole number of minutes; shelving is in whole "
                 "minutes",
                 n, minutes);
    else if (!isfinite(minutes) || minutes < 1)
        snprintf(text, sizeof text, "Shelve %s: the time must be at least 1 min", n);
    else if (minutes > ALARM_SHELVE_LIMIT_MIN)
        snprintf(text, sizeof text,
                 "Shelve %s: %.0f min is more than the %.0f min anyone may shelve; take it out "
                 "of service instead",
                 n, minutes, ALARM_SHELVE_LIMIT_MIN);
    else if (high && lim <= 0)
        snprintf(text, sizeof text, "Shelve %s: this high alarm cannot be shelved "
                 "(max_shelve_min = 0)", n);
    else if (high && minutes > lim)
        snprintf(text, sizeof text,
                 "Shelve %s: %.0f min is more than the %.0f min this high alarm may be shelved, "
                 "by anyone",
                 n, minutes, lim);
    else if (!role_is_engineer && lim <= 0)
        snprintf(text, sizeof text, "Shelve %s: only an engineer may shelve this alarm", n);
    else if (!role_is_engineer && minutes > lim)
        snprintf(text, sizeof text,
                 "Shelve %s: %.0f min is more than the operator limit of %.0f min; an engineer "
                 "may shelve it longer",
                 n, minutes, lim);
    else
        text[0] = '\0';
    if (text[0]) {
        say(msg, msglen, text);
        return -1;
    }
    a->now = now_s;
    al->shelved = true;
    al->shelve_until = now_s + minutes * 60;
    snprintf(al->shelve_reason, sizeof al->shelve_reason, "%s", reason);
    snprintf(al->shelve_user, sizeof al->shelve_user, "%s", user ? user : "");
    snprintf(text, sizeof text, "%s: shelved for %.0f min by %s: %s", title(al), minutes,
             user && user[0] ? user : "?", reason);
    emit(a, i, AEV_SHELVED, ALARM_SHELVED, user, text);
    snprintf(text, sizeof text, "%s shelved for %.0f min", n, minutes);
    say(msg, msglen, text);
    return 0;
}

int alarm_unshelve(struct alarms *a, const char *name, const char *user, double now_s, char *msg,
                   size_t msglen)
{
    char text[ALARM_EVENT_TEXT];
    int i = lookup(a, name, msg, msglen);
    if (i < 0)
        return -1;
    struct alarm *al = &a->al[i];
    if (!al->shelved) {
        snprintf(text, sizeof text, "%s is not shelved", al->def.name);
        say(msg, msglen, text);
        return -1;
    }
    a->now = now_s;
    al->shelved = false;
    snprintf(text, sizeof text, "%s: unshelved by %s", title(al), user && user[0] ? user : "?");
    emit(a, i, AEV_UNSHELVED, ALARM_NORMAL, user, text);
    settle(a, i);
    snprintf(text, sizeof text, "%s unshelved, now %s", al->def.name, alarm_state_name(al->state));
    say(msg, msglen, text);
    return 0;
}

int alarm_set_oos(struct alarms *a, const char *name, bool oos, const char *user, double now_s,
                  char *msg, size_t msglen)
{
    char text[ALARM_EVENT_TEXT];
    int i = lookup(a, name, msg, msglen);
    if (i < 0)
        return -1;
    struct alarm *al = &a->al[i];
    if (al->oos == oos) {
        snprintf(text, sizeof text, "%s is already %s", al->def.name,
                 oos ? "out of service" : "in service");
        say(msg, msglen, text);
        return -1;
    }
    a->now = now_s;
    al->oos = oos;
    al->shelved = false;
    const char *who = user && user[0] ? user : "?";
    if (oos) {
        snprintf(text, sizeof text, "%s: taken out of service by %s", title(al), who);
        emit(a, i, AEV_OOS_ON, ALARM_OOS, user, text);
    } else {
        snprintf(text, sizeof text, "%s: returned to service by %s", title(al), who);
        emit(a, i, AEV_OOS_OFF, ALARM_NORMAL, user, text);
        settle(a, i);
    }
    snprintf(text, sizeof text, "%s %s, now %s", al->def.name,
             oos ? "out of service" : "back in service", alarm_state_name(al->state));
    say(msg, msglen, text);
    return 0;
}

int alarm_events_take(struct alarms *a, struct alarm_event *out, int max)
{
    int n = 0;
    while (n < max && a->ev_count > 0) {
        out[n++] = a->ev[a->ev_head];
        a->ev_head = (a->ev_head + 1) % ALARM_EVENTS_MAX;
        a->ev_count--;
    }
    return n;
}

int alarm_find(const struct alarms *a, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->al[i].def.name, name) == 0)
            return i;
    return -1;
}

const struct alarm *alarm_get(const struct alarms *a, const char *name)
{
    int i = alarm_find(a, name);
    return i < 0 ? NULL : &a->al[i];
}

/* Is alarm i more urgent than alarm j in the list?  Priority, then (for the
 * banner only) unacknowledged-active first, then newest, then config order. */
static bool before(const struct alarms *a, int i, int j, bool banner)
{
    const struct alarm *x = &a->al[i], *y = &a->al[j];
    if (x->def.priority != y->def.priority)
        return x->def.priority > y->def.priority;
    if (banner && (x->state == ALARM_UNACK) != (y->state == ALARM_UNACK))
        return x->state == ALARM_UNACK;
    if (x->t_raised != y->t_raised)
        return x->t_raised > y->t_raised;
    return i < j;
}

int alarm_list_active(const struct alarms *a, int *idx, int max)
{
    int all[ALARM_MAX] = {0}, n = 0;
    for (int i = 0; i < a->n; i++) {
        if (!listed(a->al[i].state))
            continue;
        int k = n++;
        while (k > 0 && before(a, i, all[k - 1], false)) {
            all[k] = all[k - 1];
            k--;
        }
        all[k] = i;
    }
    if (n > max)
        n = max > 0 ? max : 0;
    for (int k = 0; k < n; k++)
        idx[k] = all[k];
    return n;
}

int alarm_banner(const struct alarms *a)
{
    int best = -1;
    for (int i = 0; i < a->n; i++)
        if (unacked(a->al[i].state) && (best < 0 || before(a, i, best, true)))
            best = i;
    return best;
}

void alarm_counts(const struct alarms *a, struct alarm_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < a->n; i++) {
        const struct alarm *al = &a->al[i];
        unsigned p = (unsigned)al->def.priority <= PRIO_CRITICAL ? al->def.priority : PRIO_LOW;
        if ((unsigned)al->state < ALARM_STATE_COUNT)
            out->by_state[al->state]++;
        if (listed(al->state))
            out->listed[p]++;
        if (unacked(al->state))
            out->unacked[p]++;
    }
}

static unsigned long source_count(const struct alarm *al, bool chatter)
{
    return chatter ? al->chatter : al->annunciations;
}

/* The up to ALARM_KPI_TOP alarms with the largest nonzero counter, largest
 * first, config order among equals, into out[0..*nout-1]; returns how many
 * alarms have a nonzero counter. */
static int top_sources(const struct alarms *a, bool chatter, struct alarm_kpi_source *out,
                       int *nout)
{
    bool taken[ALARM_MAX] = {false};
    int nonzero = 0;
    for (int i = 0; i < a->n; i++)
        nonzero += source_count(&a->al[i], chatter) > 0;
    for (*nout = 0; *nout < ALARM_KPI_TOP; (*nout)++) {
        int best = -1;
        for (int i = 0; i < a->n; i++)
            if (!taken[i] && source_count(&a->al[i], chatter) > 0 &&
                (best < 0 ||
                 source_count(&a->al[i], chatter) > source_count(&a->al[best], chatter)))
                best = i;
        if (best < 0)
            break;
        taken[best] = true;
        snprintf(out[*nout].name, sizeof out[*nout].name, "%s", a->al[best].def.name);
        out[*nout].count = source_count(&a->al[best], chatter);
    }
    return nonzero;
}

void alarm_kpi(const struct alarms *a, struct alarm_kpi *out)
{
    memset(out, 0, sizeof *out);
    out->per_10min = window_count(a);
    out->annunciations = a->annunciations;
    out->flood_active = a->flood;
    out->floods = a->floods;
    out->time_in_flood_s = a->time_in_flood_s;
    top_sources(a, false, out->top, &out->ntop);
    int shown;
    out->nchattering = top_sources(a, true, out->chattering, &shown);
    out->events_dropped = a->events_dropped;
}

static const char *const state_names[ALARM_STATE_COUNT] = {
    [ALARM_NORMAL] = "NORMAL",   [ALARM_UNACK] = "UNACK",
    [ALARM_ACKED] = "ACKED",     [ALARM_RTN_UNACK] = "RTN_UNACK",
    [ALARM_SHELVED] = "SHELVED", [ALARM_SUPPRESSED] = "SUPPRESSED",
    [ALARM_OOS] = "OOS",
};

static const char *const event_names[AEV_KIND_COUNT] = {
    [AEV_RAISED] = "raised",
    [AEV_RETURNED] = "returned",
    [AEV_ACKED] = "acked",
    [AEV_SHELVED] = "shelved",
    [AEV_UNSHELVED] = "unshelved",
    [AEV_SHELVE_EXPIRED] = "shelve expired",
    [AEV_SUPPRESSED] = "suppressed",
    [AEV_UNSUPPRESSED] = "unsuppressed",
    [AEV_OOS_ON] = "out of service",
    [AEV_OOS_OFF] = "in service",
    [AEV_FLOOD_START] = "flood start",
    [AEV_FLOOD_END] = "flood end",
};

const char *alarm_state_name(enum alarm_state s)
{
    return (unsigned)s < ALARM_STATE_COUNT ? state_names[s] : "?";
}

const char *alarm_event_name(enum alarm_event_kind k)
{
    return (unsigned)k < AEV_KIND_COUNT ? event_names[k] : "?";
}
