/* snap — typed protocol messages (see snap.h).
 *
 * Snapshot layout, one line each:
 *   snap 1 seq= t= wall= cyc= slow= p50= p99= max= per= link= rc= tx= err= rtt= age= lerr=
 *          prog= ph= tph= ready= over= [wet=1] why= unack= act= shelved= flood= apm=
 *   tag NAME v= raw= q= age=
 *   loop NAME mode= sp= wsp= pv= pvq= out= fl= kp= ti= td=
 *   alarm NAME st= pr= t= su= [sby= sr=]
 *   perm NAME ok= why=
 *
 * Hello: hello 1 furnace= user= role= pid= mode= config= config_sha256=
 * Request: req 1 id= t= verb= target= value= reason= [expect=] [scrap=]
 */
#include "snap.h"

#include <limits.h>
#include <string.h>

#include "util.h"

void snap_encode(const struct snap *s, struct proto_out *o)
{
    proto_begin(o, PT_SNAP);
    proto_kvi(o, "seq", s->seq);
    proto_kvf(o, "t", s->t);
    proto_kvf(o, "wall", s->wall);
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
    if (s->wet)
        proto_kvi(o, "wet", 1);
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
        proto_kvf(o, "kp", l->kp);
        proto_kvf(o, "ti", l->ti_s);
        proto_kvf(o, "td", l->td_s);
        proto_kvi(o, "fl", l->flags);
        if (l->man_in_s > 0)
            proto_kvf(o, "mi", l->man_in_s);
    }
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        proto_nl(o);
        proto_add(o, "alarm %s", a->name);
        proto_kvi(o, "st", a->state);
        proto_kvi(o, "pr", a->prio);
        proto_kvf(o, "t", a->t);
        proto_kvf(o, "tr", a->t_raised);
        proto_kvf(o, "su", a->shelved_until);
        if (a->first_out)
            proto_kvi(o, "fo", 1);
        if (*a->shelved_by || *a->shelve_reason) {
            proto_kv(o, "sby", a->shelved_by);
            proto_kv(o, "sr", a->shelve_reason);
        }
    }
    for (int i = 0; i < s->nperms; i++) {
        const struct snap_perm *p = &s->perms[i];
        proto_nl(o);
        proto_add(o, "perm %s", p->cmd);
        proto_kvi(o, "ok", p->ready);
        proto_kv(o, "why", p->why);
    }
}

/* Integers, range-checked before they meet their field (a malformed or
 * hostile message must not make a conversion overflow): a required one
 * absent or any one out of range makes the message malformed; an optional
 * one absent reads 0. */
static int geti(const struct proto_line *l, const char *k, long long lo, long long hi, bool need,
                long long *v)
{
    *v = 0;
    if (!proto_get(l, k))
        return need ? -1 : 0;
    if (proto_geti(l, k, v) < 0 || *v < lo || *v > hi)
        return -1;
    return 0;
}

#define I32 2147483647LL
#define U32 4294967295LL
#define NEEDI(l, k, lo, hi, dst)                                                                 \
    do {                                                                                         \
        long long v_;                                                                            \
        if (geti(l, k, lo, hi, true, &v_) < 0)                                                   \
            return -1;                                                                           \
        (dst) = v_;                                                                              \
    } while (0)
#define OPTI(l, k, lo, hi, dst)                                                                  \
    do {                                                                                         \
        long long v_;                                                                            \
        if (geti(l, k, lo, hi, false, &v_) < 0)                                                  \
            return -1;                                                                           \
        (dst) = v_;                                                                              \
    } while (0)
/* Real numbers: required ones must be finite; optional ones may be "nan"
 * (a value never read) and then read 0. */
#define NEEDF(l, k, dst)                                                                         \
    do {                                                                                         \
        double v_;                                                                               \
        if (proto_getf(l, k, &v_) < 0)                                                           \
            return -1;                                                                           \
        (dst) = v_;                                                                              \
    } while (0)
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
    NEEDI(h, "seq", 0, U32, s->seq);
    NEEDF(h, "t", s->t);
    OPTF(h, "wall", s->wall);
    OPTI(h, "cyc", 0, LLONG_MAX, s->cycles);
    OPTI(h, "slow", 0, LLONG_MAX, s->slow_cycles);
    OPTF(h, "p50", s->late_p50_ms);
    OPTF(h, "p99", s->late_p99_ms);
    OPTF(h, "max", s->late_max_ms);
    OPTI(h, "per", 0, I32, s->period_ms);
    NEEDI(h, "link", LINK_DOWN, LINK_CONNECTING, s->link);
    OPTI(h, "rc", 0, U32, s->reconnects);
    OPTI(h, "tx", 0, U32, s->transactions);
    OPTI(h, "err", 0, U32, s->errors);
    OPTF(h, "rtt", s->rtt_ms);
    OPTF(h, "age", s->last_good_age_s);
    str_copy(s->link_err, sizeof s->link_err, proto_get(h, "lerr"));
    str_copy(s->program, sizeof s->program, proto_get(h, "prog"));
    NEEDI(h, "ph", 0, PH_COUNT - 1, s->phase);
    OPTF(h, "tph", s->t_phase);
    OPTI(h, "ready", 0, 1, s->ready);
    OPTI(h, "over", 0, 1, s->overrun);
    OPTI(h, "wet", 0, 1, s->wet);
    str_copy(s->phase_why, sizeof s->phase_why, proto_get(h, "why"));
    OPTI(h, "unack", 0, I32, s->n_unacked);
    OPTI(h, "act", 0, I32, s->n_active);
    OPTI(h, "shelved", 0, I32, s->n_shelved);
    OPTI(h, "flood", 0, 1, s->flood);
    OPTF(h, "apm", s->alarms_per_10min);
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
            str_copy(t->name, sizeof t->name, name);
            OPTF(l, "v", t->v);
            OPTF(l, "raw", t->raw);
            NEEDI(l, "q", 0, 3, t->q);
            OPTF(l, "age", t->age_s);
        } else if (!strcmp(kind, "loop")) {
            if (s->nloops >= CFG_MAX_LOOPS)
                return -1;
            struct snap_loop *p = &s->loops[s->nloops++];
            str_copy(p->name, sizeof p->name, name);
            NEEDI(l, "mode", 0, 2, p->mode);
            OPTF(l, "sp", p->sp);
            OPTF(l, "wsp", p->wsp);
            OPTF(l, "pv", p->pv);
            NEEDI(l, "pvq", 0, 3, p->pv_q);
            OPTF(l, "out", p->out);
            OPTF(l, "kp", p->kp);
            OPTF(l, "ti", p->ti_s);
            OPTF(l, "td", p->td_s);
            OPTI(l, "fl", 0, U32, p->flags);
            if (proto_get(l, "mi") && (proto_getf(l, "mi", &p->man_in_s) < 0 ||
                                       !(p->man_in_s > 0 && p->man_in_s <= SNAP_HOLD_MAX_S)))
                return -1;
        } else if (!strcmp(kind, "alarm")) {
            if (s->nalarms >= CFG_MAX_ALARMS)
                return -1;
            struct snap_alarm *a = &s->alarms[s->nalarms++];
            str_copy(a->name, sizeof a->name, name);
            NEEDI(l, "st", 0, 255, a->state);
            NEEDI(l, "pr", 0, PRIO_CRITICAL, a->prio);
            OPTF(l, "t", a->t);
            OPTF(l, "tr", a->t_raised);
            OPTF(l, "su", a->shelved_until);
            int fo = 0;
            OPTI(l, "fo", 0, 1, fo);
            a->first_out = fo == 1;
            str_copy(a->shelved_by, sizeof a->shelved_by, proto_get(l, "sby"));
            str_copy(a->shelve_reason, sizeof a->shelve_reason, proto_get(l, "sr"));
        } else if (!strcmp(kind, "perm")) {
            if (s->nperms >= SNAP_MAX_PERMS)
                return -1;
            struct snap_perm *p = &s->perms[s->nperms++];
            str_copy(p->cmd, sizeof p->cmd, name);
            NEEDI(l, "ok", 0, 1, p->ready);
            str_copy(p->why, sizeof p->why, proto_get(l, "why"));
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
    if (*h->config_sha256)
        proto_kv(o, "config_sha256", h->config_sha256);
}

/* 64 lowercase hex digits, as struct cfg holds a digest. */
static bool sha256_hex_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == CFG_SHA256_HEX - 1;
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
    str_copy(h->furnace, sizeof h->furnace, f);
    str_copy(h->role, sizeof h->role, r);
    str_copy(h->user, sizeof h->user, proto_get(l, "user"));
    str_copy(h->config, sizeof h->config, proto_get(l, "config"));
    /* absent (an older server): left "", which a console takes as a mismatch;
     * present, it must be a digest */
    const char *sha = proto_get(l, "config_sha256");
    if (sha && !sha256_hex_ok(sha))
        return -1;
    str_copy(h->config_sha256, sizeof h->config_sha256, sha);
    long long pid, mode;
    if (geti(l, "pid", 0, I32, false, &pid) < 0 || geti(l, "mode", 0, 1, false, &mode) < 0)
        return -1;
    h->server_pid = (long)pid;
    h->plc_mode = (int)mode;
    return 0;
}

void snap_req_encode(const struct snap_req *r, struct proto_out *o)
{
    proto_begin(o, PT_REQ);
    proto_kvi(o, "id", r->id);
    if (r->t > 0)
        proto_add(o, " t=%.3f", r->t);
    proto_kv(o, "verb", r->verb);
    proto_kv(o, "target", r->target);
    proto_kv(o, "value", r->value);
    proto_kv(o, "reason", r->reason);
    if (r->expect[0])
        proto_kv(o, "expect", r->expect);
    if (r->scrap[0])
        proto_kv(o, "scrap", r->scrap);
}

int snap_req_decode(const struct proto_msg *m, struct snap_req *r)
{
    if (m->type != PT_REQ)
        return -1;
    memset(r, 0, sizeof *r);
    const struct proto_line *l = &m->line[0];
    long long id;
    const char *verb = proto_get(l, "verb");
    if (geti(l, "id", 0, I32, true, &id) < 0 || !verb || !*verb || strlen(verb) >= sizeof r->verb)
        return -1;
    const char *t = proto_get(l, "target"), *v = proto_get(l, "value"),
               *why = proto_get(l, "reason"), *ex = proto_get(l, "expect"),
               *scrap = proto_get(l, "scrap");
    if ((t && strlen(t) >= sizeof r->target) || (v && strlen(v) >= sizeof r->value) ||
        (why && strlen(why) >= sizeof r->reason) || (ex && strlen(ex) >= sizeof r->expect) ||
        (scrap && strlen(scrap) >= sizeof r->scrap))
        return -1;
    r->id = (long)id;
    /* tolerant: a request without a usable time decodes, with t = 0, and the
     * server refuses it with a sentence rather than dropping the client */
    double when;
    r->t = proto_getf(l, "t", &when) == 0 && when > 0 ? when : 0;
    str_copy(r->verb, sizeof r->verb, verb);
    str_copy(r->target, sizeof r->target, t);
    str_copy(r->value, sizeof r->value, v);
    str_copy(r->reason, sizeof r->reason, why);
    str_copy(r->expect, sizeof r->expect, ex);
    str_copy(r->scrap, sizeof r->scrap, scrap);
    return 0;
}

void snap_reply_encode(const struct snap_reply *r, struct proto_out *o)
{
    proto_begin(o, PT_REPLY);
    proto_kvi(o, "id", r->id);
    proto_kvi(o, "ok", r->ok);
    if (r->unrecorded)
        proto_kvi(o, "unrec", 1);
    proto_kv(o, "text", r->text);
}

int snap_reply_decode(const struct proto_msg *m, struct snap_reply *r)
{
    if (m->type != PT_REPLY)
        return -1;
    memset(r, 0, sizeof *r);
    const struct proto_line *l = &m->line[0];
    long long id, ok, unrec;
    if (geti(l, "id", 0, I32, true, &id) < 0 || geti(l, "ok", 0, 1, true, &ok) < 0 ||
        geti(l, "unrec", 0, 1, false, &unrec) < 0)
        return -1;
    r->id = (long)id;
    r->ok = ok != 0;
    r->unrecorded = unrec != 0 && !r->ok;
    str_copy(r->text, sizeof r->text, proto_get(l, "text"));
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
