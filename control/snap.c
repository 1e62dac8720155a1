/* snap — typed protocol messages (see snap.h).
 *
 * Snapshot layout, one line each:
 *   snap 1 seq= t= wall= cyc= slow= p50= p99= max= per= link= rc= tx= err= rtt= age= lerr=
 *          prog= ph= tph= ready= over= why= unack= act= shelved= flood= apm=
 *   tag NAME v= raw= q= age=
 *   loop NAME mode= sp= wsp= pv= pvq= out= fl=
 *   alarm NAME st= pr= t= su=
 *   perm NAME ok= why=
 */
#include "snap.h"

#include <stdio.h>
#include <string.h>

static void cp(char *d, size_t n, const char *s) { snprintf(d, n, "%s", s ? s : ""); }

void snap_encode(const struct snap *s, struct proto_out *o)
{
    proto_begin(o, PT_SNAP);
    proto_kvi(o, "seq", s->seq);
    proto_kvf(o, "t", s->t);
    proto_add(o, " wall=%.3f", s->wall);
    proto_kvi(o, "cyc", (long long)s->cycles);
    proto_kvi(o, "slow", (long long)s->slow_cycles);
    proto_kvf(o, "p50", s->late_p50_ms);
    proto_kvf(o, "p99", s->late_p99_ms);
    proto_kvf(o, "max", s->late_max_ms);
    proto_kvi(o, "per", s->period_ms);
    proto_kvi(o, "link", s->link);
    proto_kvi(o, "rc", s->reconnects);
    proto_kvi(o, "tx", s->transactions);
    proto_kvi(o, "err", s->errors);
    proto_kvf(o, "rtt", s->rtt_ms);
    proto_kvf(o, "age", s->last_good_age_s);
    proto_kv(o, "lerr", s->link_err);
    proto_kv(o, "prog", s->program);
    proto_kvi(o, "ph", s->phase);
    proto_kvf(o, "tph", s->t_phase);
    proto_kvi(o, "ready", s->ready);
    proto_kvi(o, "over", s->overrun);
    proto_kv(o, "why", s->phase_why);
    proto_kvi(o, "unack", s->n_unacked);
    proto_kvi(o, "act", s->n_active);
    proto_kvi(o, "shelved", s->n_shelved);
    proto_kvi(o, "flood", s->flood);
    proto_kvf(o, "apm", s->alarms_per_10min);
    for (int i = 0; i < s->ntags; i++) {
        const struct snap_tag *t = &s->tags[i];
        proto_nl(o);
        proto_add(o, "tag %s", t->name);
        proto_kvf(o, "v", t->v);
        proto_kvf(o, "raw", t->raw);
        proto_kvi(o, "q", t->q);
        proto_kvf(o, "age", t->age_s);
    }
    for (int i = 0; i < s->nloops; i++) {
        const struct snap_loop *l = &s->loops[i];
        proto_nl(o);
        proto_add(o, "loop %s", l->name);
        proto_kvi(o, "mode", l->mode);
        proto_kvf(o, "sp", l->sp);
        proto_kvf(o, "wsp", l->wsp);
        proto_kvf(o, "pv", l->pv);
        proto_kvi(o, "pvq", l->pv_q);
        proto_kvf(o, "out", l->out);
        proto_kvi(o, "fl", l->flags);
    }
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        proto_nl(o);
        proto_add(o, "alarm %s", a->name);
        proto_kvi(o, "st", a->state);
        proto_kvi(o, "pr", a->prio);
        proto_kvf(o, "t", a->t);
        proto_kvf(o, "su", a->shelved_until);
    }
    for (int i = 0; i < s->nperms; i++) {
        const struct snap_perm *p = &s->perms[i];
        proto_nl(o);
        proto_add(o, "perm %s", p->cmd);
        proto_kvi(o, "ok", p->ready);
        proto_kv(o, "why", p->why);
    }
}

/* Numbers a snapshot cannot do without. */
#define NEEDF(l, k, dst)                                                                         \
    do {                                                                                         \
        double v_;                                                                               \
        if (proto_getf(l, k, &v_) < 0)                                                           \
            return -1;                                                                           \
        (dst) = v_;                                                                              \
    } while (0)
/* Numbers that may be "nan" (a value never read): keep 0. */
#define OPTF(l, k, dst)                                                                          \
    do {                                                                                         \
        double v_;                                                                               \
        (dst) = proto_getf(l, k, &v_) == 0 ? v_ : 0;                                             \
    } while (0)

int snap_decode(const struct proto_msg *m, struct snap *s)
{
    if (m->type != PT_SNAP)
        return -1;
    memset(s, 0, sizeof *s);
    const struct proto_line *h = &m->line[0];
    NEEDF(h, "seq", s->seq);
    NEEDF(h, "t", s->t);
    OPTF(h, "wall", s->wall);
    OPTF(h, "cyc", s->cycles);
    OPTF(h, "slow", s->slow_cycles);
    OPTF(h, "p50", s->late_p50_ms);
    OPTF(h, "p99", s->late_p99_ms);
    OPTF(h, "max", s->late_max_ms);
    OPTF(h, "per", s->period_ms);
    NEEDF(h, "link", s->link);
    OPTF(h, "rc", s->reconnects);
    OPTF(h, "tx", s->transactions);
    OPTF(h, "err", s->errors);
    OPTF(h, "rtt", s->rtt_ms);
    OPTF(h, "age", s->last_good_age_s);
    cp(s->link_err, sizeof s->link_err, proto_get(h, "lerr"));
    cp(s->program, sizeof s->program, proto_get(h, "prog"));
    NEEDF(h, "ph", s->phase);
    OPTF(h, "tph", s->t_phase);
    OPTF(h, "ready", s->ready);
    OPTF(h, "over", s->overrun);
    cp(s->phase_why, sizeof s->phase_why, proto_get(h, "why"));
    OPTF(h, "unack", s->n_unacked);
    OPTF(h, "act", s->n_active);
    OPTF(h, "shelved", s->n_shelved);
    OPTF(h, "flood", s->flood);
    OPTF(h, "apm", s->alarms_per_10min);
    if (s->phase < 0 || s->phase >= PH_COUNT)
        return -1;
    for (int i = 1; i < m->nlines; i++) {
        const struct proto_line *l = &m->line[i];
        if (l->ntok < 2)
            return -1;
        const char *kind = l->tok[0], *name = l->tok[1];
        if (strlen(name) >= CFG_NAME_MAX)
            return -1;
        if (!strcmp(kind, "tag")) {
            if (s->ntags >= CFG_MAX_TAGS)
                return -1;
            struct snap_tag *t = &s->tags[s->ntags++];
            cp(t->name, sizeof t->name, name);
            OPTF(l, "v", t->v);
            OPTF(l, "raw", t->raw);
            NEEDF(l, "q", t->q);
            OPTF(l, "age", t->age_s);
        } else if (!strcmp(kind, "loop")) {
            if (s->nloops >= CFG_MAX_LOOPS)
                return -1;
            struct snap_loop *p = &s->loops[s->nloops++];
            cp(p->name, sizeof p->name, name);
            NEEDF(l, "mode", p->mode);
            OPTF(l, "sp", p->sp);
            OPTF(l, "wsp", p->wsp);
            OPTF(l, "pv", p->pv);
            NEEDF(l, "pvq", p->pv_q);
            OPTF(l, "out", p->out);
            OPTF(l, "fl", p->flags);
        } else if (!strcmp(kind, "alarm")) {
            if (s->nalarms >= CFG_MAX_ALARMS)
                return -1;
            struct snap_alarm *a = &s->alarms[s->nalarms++];
            cp(a->name, sizeof a->name, name);
            NEEDF(l, "st", a->state);
            NEEDF(l, "pr", a->prio);
            OPTF(l, "t", a->t);
            OPTF(l, "su", a->shelved_until);
        } else if (!strcmp(kind, "perm")) {
            if (s->nperms >= SNAP_MAX_PERMS)
                return -1;
            struct snap_perm *p = &s->perms[s->nperms++];
            cp(p->cmd, sizeof p->cmd, name);
            double ok;
            NEEDF(l, "ok", ok);
            p->ready = ok != 0;
            cp(p->why, sizeof p->why, proto_get(l, "why"));
        } else {
            return -1;
        }
    }
    return 0;
}

void snap_hello_encode(const struct snap_hello *h, struct proto_out *o)
{
    proto_begin(o, PT_HELLO);
    proto_kv(o, "furnace", h->furnace);
    proto_kv(o, "user", h->user);
    proto_kv(o, "role", h->role);
    proto_kvi(o, "pid", h->server_pid);
    proto_kvi(o, "mode", h->plc_mode);
    proto_kv(o, "config", h->config);
}

int snap_hello_decode(const struct proto_msg *m, struct snap_hello *h)
{
    if (m->type != PT_HELLO)
        return -1;
    memset(h, 0, sizeof *h);
    const struct proto_line *l = &m->line[0];
    const char *f = proto_get(l, "furnace"), *r = proto_get(l, "role");
    if (!f || !r)
        return -1;
    cp(h->furnace, sizeof h->furnace, f);
    cp(h->role, sizeof h->role, r);
    cp(h->user, sizeof h->user, proto_get(l, "user"));
    cp(h->config, sizeof h->config, proto_get(l, "config"));
    long long v;
    h->server_pid = proto_geti(l, "pid", &v) == 0 ? (long)v : 0;
    h->plc_mode = proto_geti(l, "mode", &v) == 0 ? (int)v : 0;
    return 0;
}

void snap_req_encode(const struct snap_req *r, struct proto_out *o)
{
    proto_begin(o, PT_REQ);
    proto_kvi(o, "id", r->id);
    proto_kv(o, "verb", r->verb);
    proto_kv(o, "target", r->target);
    proto_kv(o, "value", r->value);
    proto_kv(o, "reason", r->reason);
}

int snap_req_decode(const struct proto_msg *m, struct snap_req *r)
{
    if (m->type != PT_REQ)
        return -1;
    memset(r, 0, sizeof *r);
    const struct proto_line *l = &m->line[0];
    long long id;
    const char *verb = proto_get(l, "verb");
    if (proto_geti(l, "id", &id) < 0 || !verb || !*verb || strlen(verb) >= sizeof r->verb)
        return -1;
    const char *t = proto_get(l, "target"), *v = proto_get(l, "value"),
               *why = proto_get(l, "reason");
    if ((t && strlen(t) >= sizeof r->target) || (v && strlen(v) >= sizeof r->value) ||
        (why && strlen(why) >= sizeof r->reason))
        return -1;
    r->id = (long)id;
    cp(r->verb, sizeof r->verb, verb);
    cp(r->target, sizeof r->target, t);
    cp(r->value, sizeof r->value, v);
    cp(r->reason, sizeof r->reason, why);
    return 0;
}

void snap_reply_encode(const struct snap_reply *r, struct proto_out *o)
{
    proto_begin(o, PT_REPLY);
    proto_kvi(o, "id", r->id);
    proto_kvi(o, "ok", r->ok);
    proto_kv(o, "text", r->text);
}

int snap_reply_decode(const struct proto_msg *m, struct snap_reply *r)
{
    if (m->type != PT_REPLY)
        return -1;
    memset(r, 0, sizeof *r);
    const struct proto_line *l = &m->line[0];
    long long id, ok;
    if (proto_geti(l, "id", &id) < 0 || proto_geti(l, "ok", &ok) < 0)
        return -1;
    r->id = (long)id;
    r->ok = ok != 0;
    cp(r->text, sizeof r->text, proto_get(l, "text"));
    return 0;
}

void snap_journal_encode(const char *const *lines, int n, struct proto_out *o)
{
    proto_begin(o, PT_JOURNAL);
    for (int i = 0; i < n; i++) {
        proto_nl(o);
        proto_add(o, "j");
        proto_kv(o, "l", lines[i]);
    }
}
