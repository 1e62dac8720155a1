/* cfg_check — the cross checks of a loaded file: what no single key can
 * tell.  A tag's type against its table, its registers against the others
 * of that table; the tags and loops a loop or alarm names; setpoint, output
 * and tapping windows; the furnace's program; the PLC and simulator
 * addresses.  Runs after every section is read; a tag whose own keys failed
 * is skipped here.
 */
#include "cfg_int.h"

#include <arpa/inet.h>
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
    char sec[80], msg[300];
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
        if (t->scale == 0)
            xerr(x, "tag", t->name, "scale", "scale must not be 0");
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

static void check_alarms(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->nalarms; i++) {
        struct cfg_alarm *a = &c->alarms[i];
        bool tagless = a->kind == ALARM_LINK || a->kind == ALARM_STALE || a->kind == ALARM_DISK;
        if (tagless) {
            if (*a->tag)
                xerr(x, "alarm", a->name, "tag", "a %s alarm has no source tag",
                     a->kind == ALARM_LINK ? "link" : a->kind == ALARM_STALE ? "stale" : "disk");
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

static void check_rest(struct cfg_ctx *x)
{
    struct cfg *c = x->c;
    for (int i = 0; i < c->nprograms; i++) {
        const struct cfg_program *p = &c->programs[i];
        if (p->tap_lo >= p->tap_hi)
            xerr(x, "program", p->name, "tap_hi", "tap_hi must be above tap_lo (%g)", p->tap_lo);
    }
    if (c->furnace.heel_t >= c->furnace.capacity_t)
        xerr(x, "furnace", "", "heel_t", "the heel must be smaller than the capacity (%g t)",
             c->furnace.capacity_t);
    if (*c->furnace.program && !cfg_program_find(c, c->furnace.program))
        xerr(x, "furnace", "", "program", "no [program.%s] in this file", c->furnace.program);
    if (!*c->furnace.program && c->nprograms > 0)
        str_copy(c->furnace.program, sizeof c->furnace.program, c->programs[0].name);
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
    if (cfg_scan_find_sec(&x->sc, "furnace") < 0)
        cfg_err(x, 0, "furnace", NULL, NULL, "missing section: every file names its furnace "
                "([furnace] name = ...)");
}

void cfg_check_cross(struct cfg_ctx *x)
{
    check_tags(x);
    check_loops(x);
    check_alarms(x);
    check_rest(x);
}
