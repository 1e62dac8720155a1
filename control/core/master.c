/* master — another Modbus master writing the PLC (see master.h).
 *
 * Listening (before the first write, and again after a release), per
 * writable register, reads both GOOD:
 *   moved(M)  = rb(M) != rb(M-1)       -> tripped (nobody else may write it)
 *   listened  = consecutive reads without a move (a failed read: 0)
 * Writing, per register r written by the core, at the read of step M (the
 * writes of step M-1 went out after it):
 *   match(M)  = rb == cur
 *             or (cur written in M-1 and (rb == old or there is no old))
 *   bad(M)    = match(M) ? 0 : bad(M-1) + 1         (reads not GOOD: held)
 *   tripped   once bad >= MASTER_PERSIST for any r
 * Tripped, per watched register: moved(M) as above;
 *   active = t_mono - (last t_mono with a move, or the trip) < MASTER_QUIET_S
 */
#include "master.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool same(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(a));
}

/* "firing_demand hr:0" */
static void reg_name(const struct master *m, int i, char *buf, size_t n)
{
    const struct cfg_tag *t = &m->cfg->tags[i];
    snprintf(buf, n, "%s %s:%d", t->name, cfg_table_name(t->table), t->addr);
}

/* detail (as many registers as fit, then "+N more") and text (all), the
 * most persistent first. */
static void describe(struct master *m, bool listening)
{
    size_t dl = 0, tl = 0;
    int shown = 0, more = 0;
    m->detail[0] = m->text[0] = 0;
    for (int want = MASTER_PERSIST; want >= 1; want--)
        for (int i = 0; i < m->cfg->ntags; i++) {
            const struct master_reg *r = &m->reg[i];
            if (!(want == MASTER_PERSIST ? r->bad >= want : r->bad == want))
                continue;
            char name[CFG_NAME_MAX + 16], one[160];
            reg_name(m, i, name, sizeof name);
            snprintf(one, sizeof one, listening ? "%s changed %g -> %g" : "%s wrote %g read %g",
                     name, r->wrote, r->read);
            size_t len = strlen(one);
            if (tl + len + 2 < sizeof m->text)
                tl += (size_t)snprintf(m->text + tl, sizeof m->text - tl, "%s%s", tl ? ", " : "",
                                       one);
            if (dl + len + 2 + 12 < sizeof m->detail) { /* room left for ", +NN more" */
                dl += (size_t)snprintf(m->detail + dl, sizeof m->detail - dl, "%s%s",
                                       dl ? ", " : "", one);
                shown++;
            } else {
                more++;
            }
        }
    if (more && shown)
        snprintf(m->detail + dl, sizeof m->detail - dl, ", +%d more", more);
}

static void trip(struct master *m, bool listening, double t_mono)
{
    describe(m, listening);
    m->tripped = m->tripped_now = m->active = true;
    m->t_activity = t_mono;
}

/* Has register i moved since the last read?  Keeps last_rb.  A STALE value
 * was not read this step (the link put its block off to a later cycle):
 * nothing to judge, and the last read stays the one to compare with. */
static bool moved(struct master_reg *r, struct tag_value v)
{
    if (v.q == Q_STALE)
        return false;
    if (v.q != Q_GOOD) {
        r->has_rb = false;
        return false;
    }
    bool mv = r->has_rb && !same(v.v, r->last_rb);
    if (mv) {
        r->wrote = r->last_rb;
        r->read = v.v;
    }
    r->last_rb = v.v;
    r->has_rb = true;
    return mv;
}

static void forget(struct master *m)
{
    for (int i = 0; i < m->cfg->ntags; i++)
        m->reg[i] = (struct master_reg){0};
    m->writing = false;
    m->listened = 0;
}

static void listen(struct master *m, const struct tag_value *tags, double t_mono)
{
    bool any = false, heard = false;
    for (int i = 0; i < m->cfg->ntags; i++) {
        if (!m->cfg->tags[i].writable)
            continue;
        struct master_reg *r = &m->reg[i];
        r->known = true; /* watched if it trips */
        any |= r->has_rb && tags[i].q == Q_GOOD; /* a fresh read to compare */
        if (moved(r, tags[i])) {
            r->bad = MASTER_PERSIST;
            heard = true;
        }
    }
    if (heard)
        trip(m, true, t_mono);
    else if (any)
        m->listened++;
}

static void watch_tripped(struct master *m, const struct tag_value *tags, double t_mono)
{
    for (int i = 0; i < m->cfg->ntags; i++) {
        struct master_reg *r = &m->reg[i];
        if (!r->known || !moved(r, tags[i]))
            continue;
        if (!m->active) { /* moving again after a quiet spell: say what moved */
            char name[CFG_NAME_MAX + 16];
            reg_name(m, i, name, sizeof name);
            snprintf(m->detail, sizeof m->detail, "%.40s changed %g -> %g (another master)", name,
                     r->wrote, r->read);
            m->active = true;
        }
        m->t_activity = t_mono;
    }
    m->active = t_mono - m->t_activity < MASTER_QUIET_S;
    if (!m->active)
        snprintf(m->detail, sizeof m->detail,
                 "nothing has changed the registers this server writes for %.0f s",
                 MASTER_QUIET_S);
}

static void compare(struct master *m, const struct tag_value *tags, double t_mono)
{
    bool persistent = false;
    for (int i = 0; i < m->cfg->ntags; i++) {
        struct master_reg *r = &m->reg[i];
        if (!r->known || tags[i].q != Q_GOOD)
            continue;
        double rb = tags[i].v;
        r->last_rb = rb;
        r->has_rb = true;
        bool fresh = m->step - r->step <= 1;
        if (same(rb, r->cur) || (fresh && (!r->has_old || same(rb, r->old)))) {
            r->bad = 0;
            continue;
        }
        r->bad++;
        r->wrote = r->cur;
        r->read = rb;
        persistent |= r->bad >= MASTER_PERSIST;
    }
    if (persistent)
        trip(m, false, t_mono);
}

void master_init(struct master *m, const struct cfg *c)
{
    memset(m, 0, sizeof *m);
    m->cfg = c;
}

void master_step(struct master *m, const struct tag_value *tags, bool ok, double t_mono)
{
    m->step++;
    m->tripped_now = false;
    if (!ok) {
        /* nothing to judge: a tripped watch keeps its registers and judges
         * quiet on the monotonic clock; listening starts again; writing
         * forgets what it wrote (it may not have reached the PLC) */
        if (m->tripped) {
            for (int i = 0; i < m->cfg->ntags; i++)
                m->reg[i].has_rb = false;
            m->active = t_mono - m->t_activity < MASTER_QUIET_S;
        } else {
            bool writing = m->writing;
            forget(m);
            m->writing = writing;
        }
        return;
    }
    if (m->tripped)
        watch_tripped(m, tags, t_mono);
    else if (!m->writing)
        listen(m, tags, t_mono);
    else
        compare(m, tags, t_mono);
}

void master_wrote(struct master *m, int tag, double value)
{
    if (tag < 0 || tag >= m->cfg->ntags)
        return;
    if (!m->writing) { /* the listening's registers are not ours yet */
        for (int i = 0; i < m->cfg->ntags; i++)
            m->reg[i] = (struct master_reg){0};
        m->writing = true;
    }
    struct master_reg *r = &m->reg[tag];
    const struct cfg_tag *t = &m->cfg->tags[tag];
    uint16_t regs[2] = {0, 0};
    char err[160];
    double e = 0;
    if (tag_encode(t, value, regs, err, sizeof err) < 0 || tag_decode(t, regs, &e) != Q_GOOD) {
        *r = (struct master_reg){0};
        return;
    }
    if (!r->known) {
        *r = (struct master_reg){.known = true, .cur = e, .step = m->step};
        return;
    }
    if (!same(e, r->cur)) {
        r->old = r->cur;
        r->has_old = true;
        r->cur = e;
        r->step = m->step;
    }
}

void master_release(struct master *m)
{
    forget(m);
    m->tripped = m->tripped_now = m->active = false;
    m->detail[0] = m->text[0] = 0;
}
