/* mqtt_metric — the metric table, the deadband and the Sparkplug B payloads
 * (see mqtt_metric.h for the metric names and the quality codes).
 *
 * Payloads are built on the stack (protobuf-c messages pointing at this
 * file's tables and the caller's values) and packed into the caller's
 * buffer: nothing is allocated, so the publisher's thread encodes without
 * touching the heap.
 */
#include "mqtt_metric.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sparkplug_b.pb-c.h> /* generated from control/wire/sparkplug_b.proto */

#include "alarm.h"
#include "tag.h"
#include "util.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload Payload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric Metric;
typedef Org__Eclipse__Tahu__Protobuf__Payload__PropertySet PropertySet;
typedef Org__Eclipse__Tahu__Protobuf__Payload__PropertyValue PropertyValue;

#define PHASE_TIME_DEADBAND_S 5.0
#define OUT_DEADBAND_PCT 0.1

static const char *const link_names[] = {"DOWN", "UP", "CONNECTING", NULL};
static const char *const prio_folder[] = {"low", "medium", "high", "critical"};

/* ---- the table ---------------------------------------------------------------------- */

/* A metric named FOLDER/A or FOLDER/A/B. */
static struct mm_def *add(struct mm_table *t, int type, const char *folder, const char *a,
                          const char *b)
{
    struct mm_def *d = &t->d[t->n++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s/%s%s%s", folder, a, *b ? "/" : "", b);
    d->type = type;
    d->prio = -1;
    return d;
}

static int count_names(const char *const *n)
{
    int k = 0;
    while (n[k])
        k++;
    return k;
}

static void set_names(struct mm_def *d, const char *const *names)
{
    d->names = names;
    d->nnames = count_names(names);
}

static double tag_deadband(const struct cfg *c, const struct cfg_tag *tg)
{
    if (tg->has_mqtt_deadband)
        return tg->mqtt_deadband;
    if (tg->has_range)
        return (tg->range_hi - tg->range_lo) * c->mqtt.deadband_pct / 100.0;
    return 0;
}

void mm_build(struct mm_table *t, const struct cfg *c)
{
    t->n = 0;
    for (int p = 0; p < PH_COUNT; p++)
        t->phase_names[p] = cfg_phase_name((enum cfg_phase)p);
    t->phase_names[PH_COUNT] = NULL;
    for (int m = 0; m < 3; m++)
        t->mode_names[m] = cfg_loop_mode_name((enum cfg_loop_mode)m);
    t->mode_names[3] = NULL;
    for (int i = 0; i < c->ntags; i++) {
        const struct cfg_tag *tg = &c->tags[i];
        struct mm_def *d =
            add(t, tg->type == TAG_BOOL ? SPB_BOOLEAN : SPB_DOUBLE, "tags", tg->name, "");
        (void)str_copy(d->unit, sizeof d->unit, tg->unit);
        d->deadband = tg->type == TAG_BOOL ? 0 : tag_deadband(c, tg);
    }
    for (int i = 0; i < c->nloops; i++) {
        const struct cfg_loop *l = &c->loops[i];
        int pv = cfg_tag_index(c, l->pv);
        const struct cfg_tag *pt = pv >= 0 ? &c->tags[pv] : NULL;
        set_names(add(t, SPB_STRING, "loops", l->name, "mode"), t->mode_names);
        struct mm_def *d = add(t, SPB_DOUBLE, "loops", l->name, "sp");
        if (pt) { /* a cascade slave's setpoint moves every cycle: the PV's deadband */
            (void)str_copy(d->unit, sizeof d->unit, pt->unit);
            d->deadband = tag_deadband(c, pt);
        }
        d = add(t, SPB_DOUBLE, "loops", l->name, "pv");
        if (pt) {
            (void)str_copy(d->unit, sizeof d->unit, pt->unit);
            d->deadband = tag_deadband(c, pt);
        }
        d = add(t, SPB_DOUBLE, "loops", l->name, "out");
        (void)str_copy(d->unit, sizeof d->unit, *l->out ? "%" : "");
        d->deadband = OUT_DEADBAND_PCT;
    }
    set_names(add(t, SPB_STRING, "melt", "phase", ""), t->phase_names);
    struct mm_def *d = add(t, SPB_DOUBLE, "melt", "phase_time_s", "");
    (void)str_copy(d->unit, sizeof d->unit, "s");
    d->deadband = PHASE_TIME_DEADBAND_S;
    for (int i = 0; i < c->nprograms && i < CFG_MAX_PROGRAMS; i++) {
        (void)str_copy(t->progs[i], sizeof t->progs[i], c->programs[i].name);
        t->prog_names[i] = t->progs[i];
    }
    t->prog_names[c->nprograms < CFG_MAX_PROGRAMS ? c->nprograms : CFG_MAX_PROGRAMS] = NULL;
    set_names(add(t, SPB_STRING, "melt", "program", ""), t->prog_names);
    add(t, SPB_INT32, "alarms", "active", "");
    add(t, SPB_INT32, "alarms", "unacked", "");
    add(t, SPB_INT32, "alarms", "shelved", "");
    for (int p = PRIO_CRITICAL; p >= PRIO_LOW; p--)
        add(t, SPB_INT32, "alarms", prio_folder[p], "");
    add(t, SPB_BOOLEAN, "alarms", "flood", "");
    for (int i = 0; i < c->nalarms; i++)
        add(t, SPB_INT32, "alarm", c->alarms[i].name, "")->prio = (int)c->alarms[i].priority;
    set_names(add(t, SPB_STRING, "link", "state", ""), link_names);
    add(t, SPB_INT64, "server", "slow_cycles", "");
}

/* ---- the image ---------------------------------------------------------------------- */

void mm_image(const struct mm_table *t, const struct cfg *c, const struct core_view *v,
              const struct mm_shell *sh, struct mm_val *out)
{
    int k = 0;
    for (int i = 0; i < c->ntags; i++, k++) {
        const struct core_view_tag *vt = i < v->ntags ? &v->tags[i] : NULL;
        out[k] = vt ? (struct mm_val){vt->v, vt->q} : (struct mm_val){0, Q_BAD_COMMS};
    }
    for (int i = 0; i < c->nloops; i++) {
        const struct core_view_loop *l = i < v->nloops ? &v->loops[i] : NULL;
        out[k++] = (struct mm_val){l ? l->mode : 0, Q_GOOD};
        out[k++] = (struct mm_val){l ? l->sp : 0, Q_GOOD};
        out[k++] = (struct mm_val){l ? l->pv : 0, l ? l->pv_q : Q_BAD_COMMS};
        out[k++] = (struct mm_val){l ? l->out : 0, Q_GOOD};
    }
    out[k++] = (struct mm_val){v->phase, Q_GOOD};
    out[k++] = (struct mm_val){v->t_phase, Q_GOOD};
    int prog = -1;
    for (int i = 0; i < c->nprograms; i++)
        if (!strcmp(c->programs[i].name, v->program))
            prog = i;
    out[k++] = (struct mm_val){prog, Q_GOOD};
    out[k++] = (struct mm_val){v->n_active, Q_GOOD};
    out[k++] = (struct mm_val){v->n_unacked, Q_GOOD};
    out[k++] = (struct mm_val){v->n_shelved, Q_GOOD};
    int byprio[4] = {0};
    for (int i = 0; i < v->nalarms; i++) {
        int s = v->alarms[i].state, p = v->alarms[i].prio;
        if ((s == ALARM_UNACK || s == ALARM_ACKED || s == ALARM_RTN_UNACK) && p >= 0 && p < 4)
            byprio[p]++;
    }
    for (int p = PRIO_CRITICAL; p >= PRIO_LOW; p--)
        out[k++] = (struct mm_val){byprio[p], Q_GOOD};
    out[k++] = (struct mm_val){v->flood, Q_GOOD};
    for (int i = 0; i < c->nalarms; i++) {
        int st = ALARM_NORMAL;
        for (int j = 0; j < v->nalarms; j++)
            if (!strcmp(v->alarms[j].name, c->alarms[i].name))
                st = v->alarms[j].state;
        out[k++] = (struct mm_val){st, Q_GOOD};
    }
    out[k++] = (struct mm_val){sh->link, Q_GOOD};
    out[k++] = (struct mm_val){(double)sh->slow_cycles, Q_GOOD};
    (void)t;
}

/* ---- what to publish -------------------------------------------------------------------- */

static bool moved(const struct mm_def *d, double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) != isnan(b);
    if (d->deadband <= 0 || d->type != SPB_DOUBLE)
        return a != b;
    return fabs(a - b) >= d->deadband;
}

int mm_changes(const struct mm_table *t, const struct mm_val *last, const struct mm_val *now,
               int *idx, bool *qchg)
{
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        bool q = last[i].q != now[i].q;
        if (q || moved(&t->d[i], last[i].v, now[i].v)) {
            idx[n] = i;
            qchg[n] = q;
            n++;
        }
    }
    return n;
}

int mm_quality_code(int q)
{
    switch (q) {
    case Q_GOOD:
        return MM_Q_GOOD;
    case Q_BAD_SENSOR:
        return MM_Q_BAD_SENSOR;
    case Q_STALE:
        return MM_Q_STALE;
    default:
        return MM_Q_BAD_COMMS;
    }
}

/* ---- encoding -------------------------------------------------------------------------- */

/* Per metric: its properties (at most engUnit, Quality, priority). */
struct props {
    PropertySet set;
    char *keys[3];
    PropertyValue vals[3];
    PropertyValue *pv[3];
};

static char k_unit[] = "engUnit", k_quality[] = "Quality", k_prio[] = "priority";

static void prop_str(struct props *p, char *key, const char *s)
{
    size_t i = p->set.n_keys++;
    p->keys[i] = key;
    org__eclipse__tahu__protobuf__payload__property_value__init(&p->vals[i]);
    p->vals[i].has_type = 1;
    p->vals[i].type = SPB_STRING;
    p->vals[i].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_VALUE__VALUE_STRING_VALUE;
    p->vals[i].string_value = (char *)s;
    p->pv[i] = &p->vals[i];
    p->set.n_values = p->set.n_keys;
}

static void prop_int(struct props *p, char *key, int v)
{
    size_t i = p->set.n_keys++;
    p->keys[i] = key;
    org__eclipse__tahu__protobuf__payload__property_value__init(&p->vals[i]);
    p->vals[i].has_type = 1;
    p->vals[i].type = SPB_INT32;
    p->vals[i].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_VALUE__VALUE_INT_VALUE;
    p->vals[i].int_value = (uint32_t)v;
    p->pv[i] = &p->vals[i];
    p->set.n_values = p->set.n_keys;
}

static void props_init(struct props *p)
{
    org__eclipse__tahu__protobuf__payload__property_set__init(&p->set);
    p->set.keys = p->keys;
    p->set.values = p->pv;
}

static const char *enum_text(const struct mm_def *d, double v)
{
    int i = (int)v;
    if (d->names && i >= 0 && i < d->nnames)
        return d->names[i];
    return "";
}

/* Set m's value from val as d's datatype (text: a String metric's). */
static void set_value(Metric *m, const struct mm_def *d, const struct mm_val *val,
                      const char *text)
{
    switch (d->type) {
    case SPB_BOOLEAN:
        m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
        m->boolean_value = val->v != 0;
        break;
    case SPB_INT32:
        m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE;
        m->int_value = (uint32_t)(int32_t)val->v;
        break;
    case SPB_INT64:
        m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE;
        m->long_value = (uint64_t)(int64_t)val->v;
        break;
    case SPB_STRING:
        m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE;
        m->string_value = (char *)text;
        break;
    default:
        m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
        m->double_value = val->v;
        break;
    }
}

static size_t pack(Payload *p, uint8_t *buf, size_t cap)
{
    size_t need = org__eclipse__tahu__protobuf__payload__get_packed_size(p);
    if (need > cap)
        return 0;
    return org__eclipse__tahu__protobuf__payload__pack(p, buf);
}

static size_t node_msg(uint64_t bdseq, bool birth, uint64_t ts_ms, uint8_t *buf, size_t cap)
{
    Payload p;
    Metric m[2];
    Metric *mp[2] = {&m[0], &m[1]};
    org__eclipse__tahu__protobuf__payload__init(&p);
    p.has_timestamp = 1;
    p.timestamp = ts_ms;
    p.metrics = mp;
    static char bd[] = "bdSeq", rb[] = "Node Control/Rebirth";
    org__eclipse__tahu__protobuf__payload__metric__init(&m[0]);
    m[0].name = bd;
    m[0].has_datatype = 1;
    m[0].datatype = SPB_INT64;
    m[0].has_timestamp = 1;
    m[0].timestamp = ts_ms;
    m[0].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE;
    m[0].long_value = bdseq;
    p.n_metrics = 1;
    if (birth) {
        org__eclipse__tahu__protobuf__payload__metric__init(&m[1]);
        m[1].name = rb;
        m[1].has_datatype = 1;
        m[1].datatype = SPB_BOOLEAN;
        m[1].has_timestamp = 1;
        m[1].timestamp = ts_ms;
        m[1].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
        m[1].boolean_value = 0;
        p.n_metrics = 2;
        p.has_seq = 1;
        p.seq = 0;
    }
    return pack(&p, buf, cap);
}

size_t mm_encode_nbirth(uint64_t bdseq, uint64_t ts_ms, uint8_t *buf, size_t cap)
{
    return node_msg(bdseq, true, ts_ms, buf, cap);
}

size_t mm_encode_ndeath(uint64_t bdseq, uint64_t ts_ms, uint8_t *buf, size_t cap)
{
    return node_msg(bdseq, false, ts_ms, buf, cap);
}

/* The scratch of one device payload: every metric of the table at most. */
struct scratch {
    Metric m[MM_MAX];
    Metric *mp[MM_MAX];
    struct props pr[MM_MAX];
    char text[MM_MAX][CFG_NAME_MAX];
};

static size_t device_msg(const struct mm_table *t, const struct mm_val *vals, const int *idx,
                         const bool *qchg, int n, bool birth, uint64_t seq, uint64_t ts_ms,
                         uint64_t val_ms, bool historical, uint8_t *buf, size_t cap)
{
    static _Thread_local struct scratch s; /* ~60 kB: not on a thread's stack */
    Payload p;
    org__eclipse__tahu__protobuf__payload__init(&p);
    p.has_timestamp = 1;
    p.timestamp = ts_ms;
    p.has_seq = 1;
    p.seq = seq;
    p.metrics = s.mp;
    for (int k = 0; k < n; k++) {
        int i = idx ? idx[k] : k;
        const struct mm_def *d = &t->d[i];
        Metric *m = &s.m[k];
        s.mp[k] = m;
        org__eclipse__tahu__protobuf__payload__metric__init(m);
        m->has_alias = 1;
        m->alias = (uint64_t)i + 1;
        m->has_timestamp = 1;
        m->timestamp = val_ms;
        if (birth) {
            m->name = (char *)d->name;
            m->has_datatype = 1;
            m->datatype = (uint32_t)d->type;
        }
        if (historical) {
            m->has_is_historical = 1;
            m->is_historical = 1;
        }
        (void)str_copy(s.text[k], sizeof s.text[k], enum_text(d, vals[i].v));
        set_value(m, d, &vals[i], s.text[k]);
        struct props *pr = &s.pr[k];
        props_init(pr);
        if (birth && *d->unit)
            prop_str(pr, k_unit, d->unit);
        if (birth || (qchg && qchg[k]))
            prop_int(pr, k_quality, mm_quality_code(vals[i].q));
        if (birth && d->prio >= 0)
            prop_str(pr, k_prio, cfg_priority_name((enum cfg_priority)d->prio));
        if (pr->set.n_keys)
            m->properties = &pr->set;
    }
    p.n_metrics = (size_t)n;
    return pack(&p, buf, cap);
}

size_t mm_encode_dbirth(const struct mm_table *t, const struct mm_val *vals, uint64_t seq,
                        uint64_t ts_ms, uint8_t *buf, size_t cap)
{
    return device_msg(t, vals, NULL, NULL, t->n, true, seq, ts_ms, ts_ms, false, buf, cap);
}

size_t mm_encode_ddata(const struct mm_table *t, const struct mm_val *vals, const int *idx,
                       const bool *qchg, int n, uint64_t seq, uint64_t ts_ms, uint64_t val_ms,
                       bool historical, uint8_t *buf, size_t cap)
{
    return device_msg(t, vals, idx, qchg, n, false, seq, ts_ms, val_ms, historical, buf, cap);
}

int mm_is_rebirth(const uint8_t *buf, size_t len, char *what, size_t whatlen)
{
    Payload *p = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    if (!p) {
        snprintf(what, whatlen, "a payload that is not Sparkplug B (%zu bytes)", len);
        return 0;
    }
    int ok = p->n_metrics > 0;
    what[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < p->n_metrics; i++) {
        const Metric *m = p->metrics[i];
        const char *name = m->name ? m->name : "(no name)";
        bool rb = m->name && !strcmp(m->name, "Node Control/Rebirth") &&
                  m->value_case ==
                      ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE &&
                  m->boolean_value;
        if (!rb)
            ok = 0;
        if (used < whatlen) {
            int w = snprintf(what + used, whatlen - used, "%s%s", i ? ", " : "", name);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (!p->n_metrics)
        snprintf(what, whatlen, "no metric");
    org__eclipse__tahu__protobuf__payload__free_unpacked(p, NULL);
    return ok;
}
