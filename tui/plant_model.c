/* plant_model — the plant overview's table of furnaces (see plant_model.h). */
#include "plant_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparkplug_b.pb-c.h> /* generated from control/wire/sparkplug_b.proto */

#include "util.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload Payload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric Metric;

#define Q_GOOD_CODE 192

/* The overview's fields by metric name. */
static const char *const field_names[PF_COUNT] = {
    [PF_PHASE] = "melt/phase",          [PF_PHASE_T] = "melt/phase_time_s",
    [PF_BATH] = "loops/bath/pv",        [PF_BATH_SP] = "loops/bath/sp",
    [PF_HC] = "tags/hc_gas_temp",       [PF_ROOF] = "tags/roof_temp",
    [PF_CRIT] = "alarms/critical",      [PF_HIGH] = "alarms/high",
    [PF_MED] = "alarms/medium",         [PF_LOW] = "alarms/low",
    [PF_ACTIVE] = "alarms/active",      [PF_UNACKED] = "alarms/unacked",
    [PF_LINK] = "link/state",
};

static struct plant_node *node_get(struct plant_tab *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->node[i]->name, name))
            return p->node[i];
    if (p->n == PLANT_MAX)
        return NULL;
    struct plant_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    (void)str_copy(n->name, sizeof n->name, name);
    for (int f = 0; f < PF_COUNT; f++)
        n->field[f] = -1;
    p->node[p->n++] = n;
    return n;
}

static void set_value(struct plant_metric *pm, const Metric *m)
{
    switch (m->value_case) {
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE:
        pm->v = (double)(int32_t)m->int_value;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE:
        pm->v = (double)(int64_t)m->long_value;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_FLOAT_VALUE:
        pm->v = m->float_value;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE:
        pm->v = m->double_value;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE:
        pm->v = m->boolean_value ? 1 : 0;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE:
        (void)str_copy(pm->s, sizeof pm->s, m->string_value ? m->string_value : "");
        break;
    default:
        break;
    }
}

static void take_props(struct plant_metric *pm, const Metric *m)
{
    if (!m->properties)
        return;
    for (size_t i = 0; i < m->properties->n_keys && i < m->properties->n_values; i++) {
        const char *k = m->properties->keys[i];
        const Org__Eclipse__Tahu__Protobuf__Payload__PropertyValue *v = m->properties->values[i];
        if (!strcmp(k, "Quality"))
            pm->quality = (int)v->int_value;
        else if (!strcmp(k, "engUnit") && v->string_value)
            (void)str_copy(pm->unit, sizeof pm->unit, v->string_value);
    }
}

static uint64_t node_bdseq(const Payload *pl, bool *found)
{
    *found = false;
    for (size_t i = 0; i < pl->n_metrics; i++)
        if (pl->metrics[i]->name && !strcmp(pl->metrics[i]->name, "bdSeq")) {
            *found = true;
            return pl->metrics[i]->long_value;
        }
    return 0;
}

enum plant_take_rc plant_take(struct plant_tab *p, const char *topic, const uint8_t *payload,
                              size_t len, double now)
{
    char kind[16], name[PLANT_NAME_MAX];
    /* spBv1.0/GROUP/KIND/NODE[/DEVICE] */
    const char *s = strchr(topic, '/');
    s = s ? strchr(s + 1, '/') : NULL;
    if (!s || strncmp(topic, "spBv1.0/", 8) != 0)
        return PT_IGNORED;
    const char *k = s + 1, *e = strchr(k, '/');
    if (!e || (size_t)(e - k) >= sizeof kind)
        return PT_IGNORED;
    memcpy(kind, k, (size_t)(e - k));
    kind[e - k] = '\0';
    const char *nd = e + 1, *ne = strchr(nd, '/');
    size_t nl = ne ? (size_t)(ne - nd) : strlen(nd);
    if (nl == 0 || nl >= sizeof name)
        return PT_IGNORED;
    memcpy(name, nd, nl);
    name[nl] = '\0';
    if (!strcmp(kind, "NCMD") || !strcmp(kind, "DCMD") || !strcmp(kind, "STATE"))
        return PT_IGNORED;
    p->msgs++;
    p->bytes += len;
    Payload *pl = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, payload);
    if (!pl) {
        p->dropped++;
        return PT_DROPPED;
    }
    enum plant_take_rc rc = PT_CHANGED;
    struct plant_node *n = NULL;
    if (!strcmp(kind, "NDEATH")) { /* the will of a node never seen makes no row */
        for (int i = 0; i < p->n && !n; i++)
            if (!strcmp(p->node[i]->name, name))
                n = p->node[i];
        if (!n) {
            rc = PT_IGNORED;
            goto out;
        }
    } else {
        n = node_get(p, name);
    }
    if (!n) {
        rc = PT_DROPPED;
        p->dropped++;
        goto out;
    }
    bool have;
    if (!strcmp(kind, "NBIRTH")) {
        uint64_t bd = node_bdseq(pl, &have);
        n->born = true;
        n->dbirth = false;
        n->bdseq = have ? bd : 0;
        n->t_death = 0;
        n->t_msg = now;
        n->rebirth_asked = false;
    } else if (!strcmp(kind, "NDEATH")) {
        uint64_t bd = node_bdseq(pl, &have);
        if (!n->born || !have || bd != n->bdseq) {
            rc = PT_IGNORED; /* a will of an older session */
            goto out;
        }
        n->born = false;
        n->dbirth = false;
        n->t_death = now;
    } else if (!strcmp(kind, "DBIRTH") || !strcmp(kind, "DDATA")) {
        bool birth = kind[1] == 'B';
        if (!n->born || (!birth && !n->dbirth)) {
            p->dropped++;
            if (n->rebirth_asked)
                rc = PT_DROPPED;
            else {
                n->rebirth_asked = true;
                rc = PT_ASK_REBIRTH;
            }
            goto out;
        }
        if (birth) {
            n->nm = 0;
            for (int f = 0; f < PF_COUNT; f++)
                n->field[f] = -1;
        }
        for (size_t i = 0; i < pl->n_metrics; i++) {
            const Metric *m = pl->metrics[i];
            if (m->is_historical)
                continue; /* backfill for historians; the overview shows the present */
            int at;
            if (birth) {
                if (!m->name || n->nm == PLANT_METRIC_MAX)
                    continue;
                at = m->has_alias && m->alias >= 1 && m->alias <= PLANT_METRIC_MAX
                         ? (int)m->alias - 1
                         : n->nm;
                if (at >= n->nm) {
                    for (int j = n->nm; j <= at; j++)
                        memset(&n->m[j], 0, sizeof n->m[j]);
                    n->nm = at + 1;
                }
                struct plant_metric *pm = &n->m[at];
                (void)str_copy(pm->name, sizeof pm->name, m->name);
                pm->type = (int)m->datatype;
                pm->quality = Q_GOOD_CODE;
                for (int f = 0; f < PF_COUNT; f++)
                    if (!strcmp(pm->name, field_names[f]))
                        n->field[f] = at;
            } else {
                if (!m->has_alias || m->alias < 1 || m->alias > (uint64_t)n->nm)
                    continue;
                at = (int)m->alias - 1;
            }
            set_value(&n->m[at], m);
            take_props(&n->m[at], m);
            if (at == n->field[PF_PHASE_T])
                n->t_phase_at = now;
            if (m->has_timestamp && m->timestamp > n->value_ms)
                n->value_ms = m->timestamp;
            if (m->has_timestamp && (!n->pending_ms || m->timestamp < n->pending_ms))
                n->pending_ms = m->timestamp;
        }
        if (birth)
            n->dbirth = true;
        n->t_msg = now;
    } else {
        rc = PT_IGNORED;
    }
out:
    org__eclipse__tahu__protobuf__payload__free_unpacked(pl, NULL);
    return rc;
}

const char *plant_state(const struct plant_node *n)
{
    if (n->born && n->dbirth)
        return "LIVE";
    if (n->t_death > 0)
        return "OFFLINE";
    return "WAIT";
}

static const struct plant_metric *fm(const struct plant_node *n, enum plant_field f)
{
    return n->field[f] >= 0 ? &n->m[n->field[f]] : NULL;
}

static double fv(const struct plant_node *n, enum plant_field f)
{
    const struct plant_metric *m = fm(n, f);
    return m ? m->v : 0;
}

int plant_rank(const struct plant_node *n)
{
    bool live = n->born && n->dbirth;
    const struct plant_metric *link = fm(n, PF_LINK);
    if (live && fv(n, PF_CRIT) > 0)
        return 0;
    if (!live)
        return 1;
    if (link && strcmp(link->s, "UP") != 0)
        return 2;
    if (fv(n, PF_HIGH) > 0)
        return 3;
    if (fv(n, PF_UNACKED) > 0)
        return 4;
    if (fv(n, PF_MED) + fv(n, PF_LOW) > 0)
        return 5;
    return 6;
}

static const struct plant_tab *sort_p;

static int cmp(const void *a, const void *b)
{
    const struct plant_node *x = sort_p->node[*(const int *)a], *y = sort_p->node[*(const int *)b];
    int rx = plant_rank(x), ry = plant_rank(y);
    if (rx != ry)
        return rx - ry;
    return strcmp(x->name, y->name);
}

void plant_order(const struct plant_tab *p, int *idx)
{
    for (int i = 0; i < p->n; i++)
        idx[i] = i;
    sort_p = p;
    qsort(idx, (size_t)p->n, sizeof *idx, cmp);
    sort_p = NULL;
}

/* "1:05" (m:ss) under an hour, "2h05" beyond. */
static void dur(char *b, size_t len, double s)
{
    if (s < 0 || !isfinite(s) || s >= 360000)
        snprintf(b, len, "-");
    else if (s < 3600)
        snprintf(b, len, "%u:%02u", (unsigned)s / 60 % 60, (unsigned)s % 60);
    else
        snprintf(b, len, "%uh%02u", (unsigned)(s / 3600) % 100, (unsigned)s % 3600 / 60);
}

static void age(char *b, size_t len, double s)
{
    if (s < 0)
        s = 0;
    if (s < 100)
        snprintf(b, len, "%ds", (int)s);
    else if (s < 6000)
        snprintf(b, len, "%dm", (int)(s / 60));
    else
        snprintf(b, len, "%dh", (int)(s / 3600) % 10000);
}

/* A temperature cell: the value, or its quality's word when not GOOD. */
static void temp(char *b, size_t len, const struct plant_metric *m)
{
    if (!m)
        snprintf(b, len, "-");
    else if (m->quality == Q_GOOD_CODE)
        snprintf(b, len, "%.0f", m->v);
    else
        snprintf(b, len, "%s", m->quality == 68 ? "STL" : "BAD");
}

void plant_header(char *buf, size_t len, int width)
{
    snprintf(buf, len, "%-9.9s %-9s %5s %9s %4s %4s %-9s %-4s %-7s %4s", "FURNACE", "PHASE",
             "TIME", "BATH/SP", "HC", "ROOF", "AL C H M L", "PLC", "SERVER", "AGE");
    if (width > 0 && (size_t)width < len)
        buf[width] = '\0';
}

void plant_row(const struct plant_node *n, double now, char *buf, size_t len, int width)
{
    char a[8];
    const char *st = plant_state(n);
    if (strcmp(st, "LIVE") != 0) {
        /* never a value of a dead node on the overview: only how long it has been gone */
        age(a, sizeof a, now - (n->t_death > 0 ? n->t_death : n->t_msg));
        snprintf(buf, len, "%-9.9s %-9s %5s %9s %4s %4s %-9s %-4s %-7s %4s", n->name, "-", "-",
                 "-", "-", "-", "-", "-", st, a);
    } else {
        char t[12], bath[12], sp[12], bs[24], hc[12], roof[12], al[24];
        const struct plant_metric *ph = fm(n, PF_PHASE), *link = fm(n, PF_LINK);
        dur(t, sizeof t, fv(n, PF_PHASE_T) + (n->t_phase_at > 0 ? now - n->t_phase_at : 0));
        temp(bath, sizeof bath, fm(n, PF_BATH));
        snprintf(sp, sizeof sp, "%.0f", fv(n, PF_BATH_SP));
        snprintf(bs, sizeof bs, "%s/%s", bath, sp);
        temp(hc, sizeof hc, fm(n, PF_HC));
        temp(roof, sizeof roof, fm(n, PF_ROOF));
        /* one digit each: 9 stands for nine or more */
        snprintf(al, sizeof al, "%u %u %u %u", (unsigned)fmin(fv(n, PF_CRIT), 9),
                 (unsigned)fmin(fv(n, PF_HIGH), 9), (unsigned)fmin(fv(n, PF_MED), 9),
                 (unsigned)fmin(fv(n, PF_LOW), 9));
        age(a, sizeof a, now - n->t_msg);
        snprintf(buf, len, "%-9.9s %-9.9s %5.5s %9.9s %4.4s %4.4s   %-7.7s %-4.4s %-7s %4s",
                 n->name, ph ? ph->s : "?", t, bs, hc, roof, al, link ? link->s : "?", st, a);
    }
    if (width > 0 && (size_t)width < len)
        buf[width] = '\0';
}

void plant_metric_text(const struct plant_metric *m, char *buf, size_t len)
{
    char v[40];
    if (m->type == 12)
        snprintf(v, sizeof v, "%s", m->s);
    else if (m->type == 11)
        snprintf(v, sizeof v, "%s", m->v != 0 ? "true" : "false");
    else if (m->type == 3 || m->type == 4)
        snprintf(v, sizeof v, "%.0f", m->v);
    else
        snprintf(v, sizeof v, "%.6g", m->v);
    const char *q = m->quality == Q_GOOD_CODE ? ""
                    : m->quality == 68        ? " (STALE)"
                    : m->quality == 16        ? " (BAD sensor)"
                                              : " (BAD comms)";
    snprintf(buf, len, "%s%s%s%s", v, *m->unit ? " " : "", m->unit, q);
}

void plant_free(struct plant_tab *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->node[i]);
    p->n = 0;
}
