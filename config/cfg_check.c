/* cfg_check — the cross checks of a loaded file: what no single key can
 * tell.  A tag's type against its table, its registers against the others
 * of that table, its scaling against its raw type (never a tag that cannot
 * be read or written); the tags and loops a loop or alarm names; setpoint, output
 * and tapping windows; the furnace's program; the PLC and simulator
 * addresses; the scrap classes that ask for the bath priority against the
 * loops that give it.  Runs after every section is read; a tag whose own
 * keys failed is skipped here.
 */
#include "cfg_int.h"

#include <arpa/inet.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int sec_index(const struct cfg_ctx *x, const char *prefix, const char *name)
{
    char full[80];
    snprintf(full, sizeof full, "%s%s%s", prefix, *name && *prefix ? "." : "", name);
    return cfg_scan_find_sec(&x->sc, full);
}

/* Report an error at KEY of section PREFIX.NAME, quoting its value. */
__attribute__((format(printf, 5, 6))) static void xerr(struct cfg_ctx *x, const char *prefix,
                                                       const char *name, const char *key,
                                                       const char *fmt, ...)
{
    char sec[80], msg[480];
    snprintf(sec, sizeof sec, "%s%s%s", prefix, *name ? "." : "", name);
    int si = cfg_scan_find_sec(&x->sc, sec);
    const char *val = key && si >= 0 ? cfg_key_value(x, si, key) : NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_err(x, si >= 0 ? cfg_key_line(x, si, key ? key : "") : 0, sec, key, val, "%s", msg);
}

static void raw_type_limits(enum tag_type t, double *lo, double *hi)
{
    static const double lim[][2] = {
        [TAG_INT16] = {-32768, 32767},         [TAG_UINT16] = {0, 65535},
        [TAG_INT32] = {-2147483648.0, 2147483647.0}, [TAG_UINT32] = {0, 4294967295.0},
        [TAG_FLOAT32] = {-3.4e38, 3.4e38},      [TAG_BOOL] = {0, 1},
    };
    *lo = lim[t][0];
    *hi = lim[t][1];
}

/* The raw number tag.c's encoder computes for eng (to_raw there). */
static double eng_to_raw(const struct cfg_tag *t, double eng)
{
    double raw = (eng - t->offset) / t->scale;
    return t->type == TAG_FLOAT32 ? raw : nearbyint(raw);
}

/* v > 0 rounded up to `digits` significant digits: a suggested limit that
 * is printed short and still holds. */
static double round_up(double v, int digits)
{
    double f = pow(10, floor(log10(v)) - (digits - 1));
    return ceil(v / f) * f;
}

/* The scale of t's sign, smallest in magnitude and rounded up to 4 digits,
 * that maps eng vlo..vhi (with t's offset) into raw lo..hi; false when no
 * scale of that sign can (a negative raw value for an unsigned type). */
static bool needed_scale(const struct cfg_tag *t, double vlo, double vhi, double lo, double hi,
                         double *need)
{
    double sign = t->scale < 0 ? -1 : 1, m = 0, ends[2] = {vlo - t->offset, vhi - t->offset};
    for (int i = 0; i < 2; i++) {
        double d = ends[i] * sign;
        if (d > 0)
            m = fmax(m, d / hi);
        else if (d < 0 && lo < 0)
            m = fmax(m, -d / -lo);
        else if (d < 0)
            return false;
    }
    *need = m > 0 ? sign * round_up(m, 4) : sign;
    return true;
}

/* The key a scaling message is about: the one the file gave. */
static const char *scaling_key(struct cfg_ctx *x, int si, const struct cfg_tag *t)
{
    if (t->has_raw_range)
        return "raw_range";
    if (si >= 0 && !cfg_key_given(x, si, "scale") && t->has_range)
        return "range";
    return "scale";
}

/* Scale, offset and range of an analog tag, against its raw type: refused
 * when they make it unreadable (no raw value decodes inside `range`: every
 * reading BAD) or, for a writable tag, unwritable (its range, else its
 * eng_range, maps onto raw values the register cannot hold, or onto less
 * than one raw step).  The first fault found is reported. */
static bool check_scaling(struct cfg_ctx *x, int si, const struct cfg_tag *t)
{
    const char *key = scaling_key(x, si, t);
    const char *tn = cfg_type_names[t->type];
    if (!isfinite(t->scale) || !isfinite(t->offset)) {
        xerr(x, "tag", t->name, key,
             "raw_range %g..%g onto eng_range %g..%g gives a scale too large to be a number: "
             "the raw range must span more",
             t->raw_lo, t->raw_hi, t->eng_lo, t->eng_hi);
        return false;
    }
    if (t->scale == 0) {
        xerr(x, "tag", t->name, key, "scale must not be 0%s",
             t->has_raw_range ? " (raw_range and eng_range give 0 or less than the smallest "
                                "number)"
                              : "");
        return false;
    }
    double lo, hi, need;
    raw_type_limits(t->type, &lo, &hi);
    if (fabs(t->scale) < DBL_MIN) {
        char fix[160] = "";
        if (t->has_range && needed_scale(t, t->range_lo, t->range_hi, lo, hi, &need))
            snprintf(fix, sizeof fix, "; for its range %g..%g, a scale of at least %g would be "
                     "needed", t->range_lo, t->range_hi, need);
        xerr(x, "tag", t->name, key,
             "the scale %g is below the smallest normal number (%g): every reading would lose "
             "its precision and no value could be written, since %s holds %g..%g%s",
             t->scale, DBL_MIN, tn, lo, hi, fix);
        return false;
    }
    bool integer = t->type != TAG_FLOAT32;
    if (t->has_range) {
        /* some raw value must decode inside the range, as tag_decode computes it */
        double a = (t->range_lo - t->offset) / t->scale, b = (t->range_hi - t->offset) / t->scale;
        double rmin = fmax(fmin(a, b), lo), rmax = fmin(fmax(a, b), hi);
        bool readable = rmin <= rmax;
        if (readable && integer) {
            double tol = 1e-9 * fmax(1, fmax(fabs(rmin), fabs(rmax)));
            double cand[2] = {fmax(ceil(rmin - tol), lo), fmin(floor(rmax + tol), hi)};
            readable = false;
            for (int i = 0; i < 2; i++) {
                double v = cand[i] * t->scale + t->offset;
                readable = readable || (v >= t->range_lo && v <= t->range_hi);
            }
        }
        if (!readable) {
            double e0 = lo * t->scale + t->offset, e1 = hi * t->scale + t->offset;
            xerr(x, "tag", t->name, key,
                 "every reading would be BAD: %s with scale %g and offset %g reads %g..%g%s, and "
                 "no raw value decodes within the range %g..%g",
                 tn, t->scale, t->offset, fmin(e0, e1), fmax(e0, e1),
                 integer ? " in steps of the scale" : "", t->range_lo, t->range_hi);
            return false;
        }
    }
    if (!t->writable || (!t->has_range && !t->has_eng_range))
        return true;
    double vlo = t->has_range ? t->range_lo : t->eng_lo;
    double vhi = t->has_range ? t->range_hi : t->eng_hi;
    const char *what = t->has_range ? "range" : "eng_range";
    double r0 = eng_to_raw(t, vlo), r1 = eng_to_raw(t, vhi);
    double rmin = fmin(r0, r1) + 0.0, rmax = fmax(r0, r1) + 0.0; /* + 0.0: no "-0" */
    if (!(rmin >= lo && rmax <= hi)) {
        bool can = needed_scale(t, vlo, vhi, lo, hi, &need);
        char fix[160];
        if (can)
            snprintf(fix, sizeof fix, "a scale of at least %g (or a narrower %s) would be needed",
                     need, what);
        else
            snprintf(fix, sizeof fix,
                     "%s holds no negative values: the offset or the type must change", tn);
        xerr(x, "tag", t->name, key,
             "writable, but with scale %g and offset %g its %s %g..%g needs raw values %g..%g, "
             "and %s holds %g..%g: %s",
             t->scale, t->offset, what, vlo, vhi, rmin, rmax, tn, lo, hi, fix);
        return false;
    }
    if (integer && fabs(vhi - vlo) / fabs(t->scale) < 1) {
        xerr(x, "tag", t->name, key,
             "writable, but its %s %g..%g spans less than one raw step of %g: every value "
             "would be written as the same one or two numbers; a scale of at most %g would be "
             "needed",
             what, vlo, vhi, fabs(t->scale), fabs(vhi - vlo));
        return false;
    }
    return true;
}

static int tag_regs(const struct cfg_tag *t)
{
    return t->type == TAG_INT32 || t->type == TAG_UINT32 || t->type == TAG_FLOAT32 ? 2 : 1;
}

static void check_tags(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->ntags; i++) {
        struct cfg_tag *t = &c->tags[i];
        if (x->bad_tag[i])
            continue;
        int si = sec_index(x, "tag", t->name);
        bool bit_table = t->table == TAG_DI || t->table == TAG_CO;
        if (bit_table && t->type != TAG_BOOL)
            xerr(x, "tag", t->name, "type", "%s holds single bits: the type must be bool",
                 cfg_table_names[t->table]);
        if (!bit_table && t->type == TAG_BOOL)
            xerr(x, "tag", t->name, "type",
                 "a bool tag lives in di or co; for a register use uint16");
        if (t->writable && (t->table == TAG_IR || t->table == TAG_DI))
            xerr(x, "tag", t->name, "writable", "%s is read-only: a writable tag must be in %s",
                 t->table == TAG_IR ? "an input register (ir)" : "a discrete input (di)",
                 t->table == TAG_IR ? "hr" : "co");
        if (t->addr + tag_regs(t) - 1 > 65535)
            xerr(x, "tag", t->name, "addr",
                 "a 32-bit tag needs two registers and %d is the last address", 65535);
        if (tag_regs(t) == 1 && si >= 0 && cfg_key_given(x, si, "word_order"))
            xerr(x, "tag", t->name, "word_order", "word_order applies to 32-bit types only");
        if (t->type == TAG_BOOL && si >= 0 &&
            (cfg_key_given(x, si, "scale") || cfg_key_given(x, si, "offset") ||
             cfg_key_given(x, si, "raw_range") || cfg_key_given(x, si, "range")))
            xerr(x, "tag", t->name, "type", "a bool tag takes no scaling or range");
        if (t->has_raw_range != t->has_eng_range)
            xerr(x, "tag", t->name, t->has_raw_range ? "raw_range" : "eng_range",
                 "raw_range and eng_range go together");
        if (t->has_raw_range && si >= 0 &&
            (cfg_key_given(x, si, "scale") || cfg_key_given(x, si, "offset")))
            xerr(x, "tag", t->name, "scale",
                 "give either scale/offset or raw_range/eng_range, not both");
        if (t->has_raw_range && t->has_eng_range) {
            t->scale = (t->eng_hi - t->eng_lo) / (t->raw_hi - t->raw_lo);
            t->offset = t->eng_lo - t->raw_lo * t->scale;
        }
        if (t->type != TAG_BOOL && !check_scaling(x, si, t))
            x->bad_tag[i] = true; /* no loop is checked against it */
        if (t->has_fault) {
            double lo, hi;
            raw_type_limits(t->type, &lo, &hi);
            if (t->fault < lo || t->fault > hi || (t->type != TAG_FLOAT32 &&
                                                   t->fault != floor(t->fault)))
                xerr(x, "tag", t->name, "fault",
                     "the sentinel is a raw value and must fit %s (%g to %g)",
                     cfg_type_names[t->type], lo, hi);
        }
        /* overlaps with earlier tags of the same table */
        for (int j = 0; j < i; j++) {
            const struct cfg_tag *u = &c->tags[j];
            if (x->bad_tag[j] || u->table != t->table)
                continue;
            int a0 = t->addr, a1 = t->addr + tag_regs(t) - 1;
            int b0 = u->addr, b1 = u->addr + tag_regs(u) - 1;
            if (a0 <= b1 && b0 <= a1) {
                xerr(x, "tag", t->name, "addr", "overlaps [tag.%s] at %s:%d%s", u->name,
                     cfg_table_names[u->table], b0, b1 > b0 ? "-" : "");
                break;
            }
        }
    }
}

static const struct cfg_tag *need_tag(struct cfg_ctx *x, const char *prefix,
                                      const char *name, const char *key, const char *tag)
{
    const struct cfg_tag *t = cfg_tag_find(x->c, tag);
    if (!t) {
        const char *cands[CFG_MAX_TAGS];
        for (int i = 0; i < x->c->ntags; i++)
            cands[i] = x->c->tags[i].name;
        char dym[100];
        cfg_suggest(dym, sizeof dym, tag, cands, (size_t)x->c->ntags);
        xerr(x, prefix, name, key, "no [tag.%s] in this file%s", tag, dym);
    }
    return t;
}

/* The loop writes anything from out_lo to out_hi to its out tag: both ends
 * must be values the tag can take (within its range, and fitting its raw
 * type once scaled), or the loop's writes fail at its limits. */
static void check_out_window(struct cfg_ctx *x, const struct cfg_loop *l,
                             const struct cfg_tag *t)
{
    double lo, hi;
    raw_type_limits(t->type, &lo, &hi);
    double ends[2] = {l->out_lo, l->out_hi};
    for (int i = 0; i < 2; i++) {
        double v = ends[i], r = eng_to_raw(t, v);
        const char *key = i ? "out_hi" : "out_lo";
        if (t->has_range && (v < t->range_lo || v > t->range_hi)) {
            xerr(x, "loop", l->name, key,
                 "[tag.%s] takes %g..%g (its range): the loop's output must stay within it",
                 t->name, t->range_lo, t->range_hi);
            return;
        }
        if (!(r >= lo && r <= hi)) {
            double e0 = lo * t->scale + t->offset, e1 = hi * t->scale + t->offset;
            xerr(x, "loop", l->name, key,
                 "[tag.%s] (%s, scale %g, offset %g) takes %g..%g: the loop's output must stay "
                 "within it",
                 t->name, cfg_type_names[t->type], t->scale, t->offset, fmin(e0, e1),
                 fmax(e0, e1));
            return;
        }
    }
}

static void check_loops(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->nloops; i++) {
        struct cfg_loop *l = &c->loops[i];
        need_tag(x, "loop", l->name, "pv", l->pv);
        if (*l->out) {
            const struct cfg_tag *t = need_tag(x, "loop", l->name, "out", l->out);
            if (t && (!t->writable || t->table != TAG_HR))
                xerr(x, "loop", l->name, "out",
                     "[tag.%s] is not a writable holding register (hr, writable = yes)", l->out);
            else if (t && l->out_lo < l->out_hi && !x->bad_tag[cfg_tag_index(c, t->name)])
                check_out_window(x, l, t);
        }
        if (*l->cascade_to) {
            const struct cfg_loop *s = cfg_loop_find(c, l->cascade_to);
            if (!s || s == l)
                xerr(x, "loop", l->name, "cascade_to", "no other [loop.%s] in this file",
                     l->cascade_to);
        }
        if (!*l->out && !*l->cascade_to)
            xerr(x, "loop", l->name, "out", "a loop needs an out tag or a cascade_to loop");
        if (*l->override_pv)
            need_tag(x, "loop", l->name, "override_pv", l->override_pv);
        if (*l->pv2)
            need_tag(x, "loop", l->name, "pv2", l->pv2);
        else if (l->pv2_weight > 0 || l->split_max > 0)
            xerr(x, "loop", l->name, l->pv2_weight > 0 ? "pv2_weight" : "split_max",
                 "needs a pv2 tag to weigh against pv");
        if (*l->o2_pv)
            need_tag(x, "loop", l->name, "o2_pv", l->o2_pv);
        else if (l->o2_gain > 0)
            xerr(x, "loop", l->name, "o2_gain", "o2_gain needs an o2_pv tag to act on");
        if (*l->co_pv)
            need_tag(x, "loop", l->name, "co_pv", l->co_pv);
        else if (l->co_gain > 0)
            xerr(x, "loop", l->name, "co_gain", "co_gain needs a co_pv tag to act on");
        if (*l->co_flow_pv && !*l->co_pv)
            xerr(x, "loop", l->name, "co_flow_pv", "co_flow_pv scales co_pv: give a co_pv tag");
        else if (*l->co_flow_pv)
            need_tag(x, "loop", l->name, "co_flow_pv", l->co_flow_pv);
        if (l->comb_cap_gain > 0 && !*l->o2_pv && !*l->co_pv)
            xerr(x, "loop", l->name, "comb_cap_gain",
                 "comb_cap_gain needs an o2_pv or co_pv tag to act on");
        if (*l->prio_loop) {
            const struct cfg_loop *s = cfg_loop_find(c, l->prio_loop);
            if (!s || s == l)
                xerr(x, "loop", l->name, "prio_loop", "no other [loop.%s] in this file",
                     l->prio_loop);
        } else if (l->prio_gain > 0)
            xerr(x, "loop", l->name, "prio_gain", "prio_gain needs a prio_loop to act on");
        if (*l->hicap_pv)
            need_tag(x, "loop", l->name, "hicap_pv", l->hicap_pv);
        else if (l->hicap_gain > 0)
            xerr(x, "loop", l->name, "hicap_gain", "hicap_gain needs a hicap_pv tag to act on");
        if (l->sp_lo >= l->sp_hi)
            xerr(x, "loop", l->name, "sp_hi", "sp_hi must be above sp_lo (%g)", l->sp_lo);
        else if (l->sp < l->sp_lo || l->sp > l->sp_hi)
            xerr(x, "loop", l->name, "sp", "the setpoint must lie within sp_lo..sp_hi (%g..%g)",
                 l->sp_lo, l->sp_hi);
        if (l->out_lo >= l->out_hi)
            xerr(x, "loop", l->name, "out_hi", "out_hi must be above out_lo (%g)", l->out_lo);
        if (l->mode == LOOP_CAS) {
            bool slave = false;
            for (int j = 0; j < c->nloops; j++)
                if (!strcmp(c->loops[j].cascade_to, l->name))
                    slave = true;
            if (!slave)
                xerr(x, "loop", l->name, "mode",
                     "CAS needs a master loop with cascade_to = %s", l->name);
        }
    }
}

/* The foreign_master alarm guards the outputs: writes stay suspended until
 * an engineer acknowledges it after it returned (control/core/master.h), so
 * it must latch, raise at once and never hide.  A file without one gets the
 * core's built-in one (core_init, control/core/core.c). */
static void check_master_alarm(struct cfg_ctx *x, const struct cfg_alarm *a, int *seen)
{
    if (++*seen > 1)
        xerr(x, "alarm", a->name, "kind", "only one foreign_master alarm per furnace");
    if (!a->latching)
        xerr(x, "alarm", a->name, "latching", "a foreign_master alarm must latch (latching = "
             "yes): control resumes only when an engineer acknowledges it");
    if (a->on_delay_s > 0)
        xerr(x, "alarm", a->name, "on_delay_s", "a foreign_master alarm takes no on-delay: the "
             "detector already waits for a mismatch over several cycles");
    if (a->suppress_phases)
        xerr(x, "alarm", a->name, "suppress_phases", "a foreign_master alarm is never "
             "suppressed: it holds the outputs until acknowledged");
}

static void check_alarms(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    int masters = 0;
    for (int i = 0; i < c->nalarms; i++) {
        struct cfg_alarm *a = &c->alarms[i];
        if (a->kind == ALARM_MASTER)
            check_master_alarm(x, a, &masters);
        static const char *const tagless[] = {
            [ALARM_LINK] = "link",   [ALARM_STALE] = "stale",     [ALARM_DISK] = "disk",
            [ALARM_MASTER] = "foreign_master", [ALARM_OVERRUN] = "overrun",
            [ALARM_REFUSED] = "refused", [ALARM_OVERRIDE] = "override"};
        if ((size_t)a->kind < sizeof tagless / sizeof tagless[0] && tagless[a->kind]) {
            if (*a->tag)
                xerr(x, "alarm", a->name, "tag", "%s %s alarm has no source tag",
                     strchr("aeiou", tagless[a->kind][0]) ? "an" : "a", tagless[a->kind]);
            continue;
        }
        if (!*a->tag) {
            xerr(x, "alarm", a->name, "tag", "this kind of alarm needs a source tag");
            continue;
        }
        const struct cfg_tag *t = need_tag(x, "alarm", a->name, "tag", a->tag);
        if (!t)
            continue;
        bool want_bool = a->kind == ALARM_ON || a->kind == ALARM_OFF || a->kind == ALARM_DOOR_OPEN;
        if (want_bool && t->type != TAG_BOOL)
            xerr(x, "alarm", a->name, "kind", "on, off and door_open alarms need a bool tag; "
                 "[tag.%s] is %s", a->tag, cfg_type_names[t->type]);
        if ((a->kind == ALARM_HI || a->kind == ALARM_LO) && t->type == TAG_BOOL)
            xerr(x, "alarm", a->name, "kind", "hi and lo alarms need an analog tag; use on or off "
                 "for [tag.%s]", a->tag);
    }
}

/* Requests a full round of PLC I/O takes at worst: one read per contiguous
 * run of addresses of a table (no unused gaps taken in, at most 125
 * registers or 2000 bits: the plan the link falls back to when the PLC
 * refuses unmapped addresses, control/server/plc_link.c), and one write per
 * contiguous run of writable holding registers plus one per writable coil. */
static void io_requests(const struct cfg *c, const bool *bad, int *reads, int *writes)
{
    *reads = *writes = 0;
    for (int t = TAG_IR; t <= TAG_CO; t++) {
        int idx[CFG_MAX_TAGS], n = 0;
        for (int i = 0; i < c->ntags; i++)
            if (!bad[i] && (int)c->tags[i].table == t) {
                int j = n++; /* insertion by address */
                for (; j > 0 && c->tags[idx[j - 1]].addr > c->tags[i].addr; j--)
                    idx[j] = idx[j - 1];
                idx[j] = i;
            }
        int maxn = t == TAG_DI || t == TAG_CO ? 2000 : 125;
        int r0 = 0, rend = -1, w0 = 0, wend = -1; /* the open read and write runs */
        for (int k = 0; k < n; k++) {
            const struct cfg_tag *g = &c->tags[idx[k]];
            int end = g->addr + tag_regs(g);
            if (rend < 0 || g->addr > rend || end - r0 > maxn) {
                (*reads)++;
                r0 = g->addr;
            }
            if (end > rend)
                rend = end;
            if (!g->writable || t == TAG_IR || t == TAG_DI) {
                wend = -1;
                continue;
            }
            if (t == TAG_CO || wend < 0 || g->addr != wend || end - w0 > 123) {
                (*writes)++;
                w0 = g->addr;
            }
            wend = end;
        }
    }
}

/* The PLC's time: a cycle always makes one read and one write, each of which
 * may take response_timeout_ms from a PLC answering just in time; that must
 * leave part of the period to serve the consoles.  A full round of I/O at
 * that speed must fit the PLC's watchdog (what the file says of it: [sim]
 * watchdog_s), which trips when the console heartbeat stops. */
static void check_timing(struct cfg_ctx *x)
{
    const struct cfg *c = x->c;
    int t = c->plc.response_timeout_ms, p = c->cycle.period_ms;
    if (2L * t >= p)
        xerr(x, "plc", "", "response_timeout_ms",
             "a cycle makes at least one read and one write, each taking up to "
             "response_timeout_ms: 2 x %d ms must be less than [cycle] period_ms = %d ms to "
             "leave time to serve the consoles; lower response_timeout_ms below %d or raise "
             "period_ms above %d",
             t, p, (p + 1) / 2, 2 * t);
    int reads, writes;
    io_requests(c, x->bad_tag, &reads, &writes);
    long round = (long)(reads + writes) * t, wd = lround(c->sim.watchdog_s * 1000.0);
    if (reads + writes > 0 && round >= wd)
        xerr(x, "plc", "", "response_timeout_ms",
             "reading every input and writing every output once takes %d requests (%d reads, "
             "%d writes); at response_timeout_ms = %d ms that is %ld ms, which must be less "
             "than the PLC watchdog ([sim] watchdog_s = %g s) or a PLC answering just in time "
             "trips it; lower response_timeout_ms below %ld",
             reads + writes, reads, writes, t, round, c->sim.watchdog_s,
             (wd + reads + writes - 1) / (reads + writes));
}

static void check_rest(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->nprograms; i++) {
        const struct cfg_program *p = &c->programs[i];
        if (p->tap_lo >= p->tap_hi)
            xerr(x, "program", p->name, "tap_hi", "tap_hi must be above tap_lo (%g)", p->tap_lo);
    }
    if (c->sim.standby_below_pct > 0 && c->sim.standby_below_pct >= c->furnace.low_fire_pct)
        xerr(x, "sim", "", "standby_below_pct",
             "must be below [furnace] low_fire_pct (%g): a demand at low fire relights a "
             "standby burner, so one below that taking it off again would cycle it; e.g. %g",
             c->furnace.low_fire_pct, c->furnace.low_fire_pct / 2);
    if (c->furnace.heel_t >= c->furnace.capacity_t)
        xerr(x, "furnace", "", "heel_t", "the heel must be smaller than the capacity (%g t)",
             c->furnace.capacity_t);
    if (*c->furnace.program && !cfg_program_find(c, c->furnace.program))
        xerr(x, "furnace", "", "program", "no [program.%s] in this file", c->furnace.program);
    if (!*c->furnace.program && c->nprograms > 0)
        str_copy(c->furnace.program, sizeof c->furnace.program, c->programs[0].name);
    if (*c->limits.default_scrap && !cfg_scrap_find(c, c->limits.default_scrap))
        xerr(x, "limits", "", "default_scrap", "no [scrap.%s] in this file", c->limits.default_scrap);
    if (!*c->limits.default_scrap && c->nscrap > 0)
        xerr(x, "limits", "", "default_scrap",
             "missing: with [scrap.*] classes, name the class a charge that names none is "
             "taken as (the plant's usual scrap), e.g. default_scrap = %s", c->scrap[0].name);
    if (c->limits.max_organics_kg > 0 && c->nscrap == 0)
        xerr(x, "limits", "", "max_organics_kg",
             "limits the organics of a charge, but the file has no [scrap.NAME] classes to "
             "know them by; add them (organics_pct) or set 0");
    struct in_addr ia;
    if (inet_pton(AF_INET, c->plc.host, &ia) != 1)
        xerr(x, "plc", "", "host", "expected an IPv4 address such as 192.168.10.20 (the Modbus "
             "library takes no host names)");
    if (inet_pton(AF_INET, c->sim.bind, &ia) != 1)
        xerr(x, "sim", "", "bind", "expected an IPv4 address such as 127.0.0.1 (0.0.0.0 for "
             "every interface)");
    if (c->plc.reconnect_min_ms > c->plc.reconnect_max_ms)
        xerr(x, "plc", "", "reconnect_max_ms", "must be at least reconnect_min_ms (%d)",
             c->plc.reconnect_min_ms);
    if (c->server.reserved_slots >= c->server.max_clients)
        xerr(x, "server", "", "reserved_slots",
             "must be below max_clients (%d): viewers need at least one slot",
             c->server.max_clients);
    const struct cfg_mqtt *mq = &c->mqtt;
    if (!*mq->tls_cert != !*mq->tls_key)
        xerr(x, "mqtt", "", *mq->tls_cert ? "tls_cert" : "tls_key",
             "tls_cert and tls_key go together: give both or neither");
    if (*mq->tls_cert && !*mq->tls_ca)
        xerr(x, "mqtt", "", "tls_cert", "a client certificate needs tls_ca (TLS to the broker)");
    if (*mq->password_file && !*mq->username)
        xerr(x, "mqtt", "", "password_file", "a password needs a username");
    if (strpbrk(mq->host, " /+#") || (mq->enabled && !*mq->host))
        xerr(x, "mqtt", "", "host", "expected a host name or address, e.g. broker.plant.local");
    if (cfg_scan_find_sec(&x->sc, "furnace") < 0)
        cfg_err(x, 0, "furnace", NULL, NULL, "missing section: every file names its furnace "
                "([furnace] name = ...)");
}

/* The bath priority by scrap class: a class that asks for it needs a loop that gives it (a
 * prio_loop with prio_gain > 0), and with classes a loop that gives it needs a class that asks
 * (without classes it acts on every charge, as before there were classes). */
static void check_scrap_priority(struct cfg_ctx *x)
{
    const struct cfg *c = x->c;
    const struct cfg_loop *giver = NULL;
    for (int i = 0; i < c->nloops && !giver; i++)
        if (*c->loops[i].prio_loop && c->loops[i].prio_gain > 0)
            giver = &c->loops[i];
    const struct cfg_scrap *asker = NULL;
    for (int i = 0; i < c->nscrap; i++) {
        if (!c->scrap[i].bath_priority)
            continue;
        if (!asker)
            asker = &c->scrap[i];
        if (!giver)
            xerr(x, "scrap", c->scrap[i].name, "bath_priority",
                 "asks for the bath priority, but no [loop.NAME] gives it (a prio_loop with "
                 "prio_gain above 0, e.g. the fan's [loop.sc]); give one or set no");
    }
    if (giver && c->nscrap > 0 && !asker)
        xerr(x, "loop", giver->name, "prio_gain",
             "with [scrap.NAME] classes the priority acts only while the last charge's class "
             "has bath_priority = yes, and none has: set it on the classes that need it (e.g. "
             "[scrap.%s]) or prio_gain = 0", c->scrap[0].name);
}

void cfg_check_cross(struct cfg_ctx *x)
{
    check_tags(x);
    check_loops(x);
    check_alarms(x);
    check_timing(x);
    cfg_check_alarm_rules(x);
    check_rest(x);
    check_scrap_priority(x);
}
