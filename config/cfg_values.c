/* cfg_values — values and sections against the schema (cfg_schema.c).
 *
 * Every value is taken as written from the line scan (cfg_scan.c), checked
 * against iniparser's dictionary when there is one (cfg.c), and parsed
 * here with strtod/strtoll and full checks (iniparser_getint takes "12abc"
 * as 12 and "010" as 8), then stored at the schema row's offset.  A section
 * is matched to its schema row, its keys checked one by one (unknown keys
 * get a "did you mean"), and its required keys must be present.
 */
#include "cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- value parsers: 0 or -1 with `why` ---------------------------------------- */

static int parse_double(const char *s, double *v, const char **why)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *why = "empty";
        return -1;
    }
    errno = 0;
    char *end;
    double d = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end) {
        *why = "not a number";
        return -1;
    }
    if (errno == ERANGE && fabs(d) > 1) {
        *why = "too large to be a number";
        return -1;
    }
    if (!isfinite(d)) {
        *why = "not a finite number";
        return -1;
    }
    *v = d;
    return 0;
}

static int parse_int(const char *s, long long *v, const char **why)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *why = "empty";
        return -1;
    }
    errno = 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end) {
        *why = "not a whole decimal number";
        return -1;
    }
    if (errno == ERANGE) {
        *why = "too large";
        return -1;
    }
    *v = n;
    return 0;
}

void cfg_join_names(char *out, size_t n, const char *const *names)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; names[i] && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s", i ? ", " : "", names[i]);
}

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

void cfg_fmt_num(char *out, size_t n, double v)
{
    if (fabs(v) >= 1e11)
        snprintf(out, n, "%s", v < 0 ? "-inf" : "inf");
    else
        snprintf(out, n, "%g", v);
}

static void range_text(char *out, size_t n, const struct cfg_key *k)
{
    char lo[32], hi[32];
    cfg_fmt_num(lo, sizeof lo, k->min);
    cfg_fmt_num(hi, sizeof hi, k->max);
    if (k->min <= -1e11 && k->max >= 1e11)
        snprintf(out, n, "a number");
    else if (k->max >= 1e11)
        snprintf(out, n, "a number of at least %s%s%s", lo, *k->unit ? " " : "", k->unit);
    else
        snprintf(out, n, "a number from %s to %s%s%s", lo, hi, *k->unit ? " " : "", k->unit);
}

/* Parse `val` for key `k` into the struct at `base`.  Reports and returns
 * -1 on a bad value, leaving the struct as it was. */
static int set_value(struct cfg_ctx *x, int line, const char *sec, const struct cfg_key *k,
                     const char *val, char *base)
{
    const char *why = NULL;
    char exp[200];
    switch (k->type) {
    case KT_INT: {
        long long n;
        if (parse_int(val, &n, &why) == 0 && (n < k->min || n > k->max))
            why = "out of range";
        if (why) {
            char lo[32], hi[32];
            cfg_fmt_num(lo, sizeof lo, k->min);
            cfg_fmt_num(hi, sizeof hi, k->max);
            cfg_err(x, line, sec, k->key, val, "%s: expected a whole number from %s to %s%s%s", why,
                    lo, hi, *k->unit ? " " : "", k->unit);
            return -1;
        }
        if (k->max > 2147483647.0)
            *(unsigned *)(base + k->off) = (unsigned)n;
        else
            *(int *)(base + k->off) = (int)n;
        return 0;
    }
    case KT_DOUBLE: {
        double d;
        if (parse_double(val, &d, &why) == 0 && (d < k->min || d > k->max))
            why = "out of range";
        if (why) {
            range_text(exp, sizeof exp, k);
            cfg_err(x, line, sec, k->key, val, "%s: expected %s", why, exp);
            return -1;
        }
        *(double *)(base + k->off) = d;
        return 0;
    }
    case KT_BOOL: {
        static const char *const yes[] = {"yes", "true", "on", "1", NULL};
        static const char *const no[] = {"no", "false", "off", "0", NULL};
        if (cfg_enum_index(val, yes) >= 0)
            *(bool *)(base + k->off) = true;
        else if (cfg_enum_index(val, no) >= 0)
            *(bool *)(base + k->off) = false;
        else {
            cfg_err(x, line, sec, k->key, val, "expected yes or no");
            return -1;
        }
        return 0;
    }
    case KT_STRING:
        if (strlen(val) >= k->size) {
            cfg_err(x, line, sec, k->key, val, "too long: at most %zu characters", k->size - 1);
            return -1;
        }
        str_copy(base + k->off, k->size, val);
        return 0;
    case KT_NAME:
        if (strlen(val) >= k->size || (*val && !valid_name(val))) {
            cfg_err(x, line, sec, k->key, val,
                    "expected a name of at most %zu lower-case letters, digits and '_'",
                    k->size - 1);
            return -1;
        }
        str_copy(base + k->off, k->size, val);
        return 0;
    case KT_ENUM: {
        int i = cfg_enum_index(val, k->names);
        if (i < 0) {
            cfg_join_names(exp, sizeof exp, k->names);
            char dym[80];
            size_t nn = 0;
            while (k->names[nn])
                nn++;
            cfg_suggest(dym, sizeof dym, val, k->names, nn);
            cfg_err(x, line, sec, k->key, val, "expected one of %s%s", exp, dym);
            return -1;
        }
        *(int *)(base + k->off) = i;
        return 0;
    }
    case KT_PHASES: {
        unsigned mask = 0;
        char tmp[256];
        str_copy(tmp, sizeof tmp, val);
        for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            char *w = cfg_strip(t);
            int p = cfg_enum_index(w, cfg_phase_names);
            if (p < 0) {
                cfg_join_names(exp, sizeof exp, cfg_phase_names);
                cfg_err(x, line, sec, k->key, val,
                        "\"%s\" is not a phase: expected a list of %s", w, exp);
                return -1;
            }
            mask |= 1u << p;
        }
        *(unsigned *)(base + k->off) = mask;
        return 0;
    }
    case KT_ADDR: {
        char tmp[64];
        str_copy(tmp, sizeof tmp, val);
        char *colon = strchr(tmp, ':');
        long long a = -1;
        int t = -1;
        if (colon) {
            *colon = 0;
            t = cfg_enum_index(cfg_strip(tmp), cfg_table_names);
            if (parse_int(colon + 1, &a, &why) < 0 || a < 0 || a > 65535)
                a = -1;
        }
        if (t < 0 || a < 0) {
            cfg_err(x, line, sec, k->key, val,
                    "expected TABLE:ADDRESS with TABLE ir, hr, di or co and ADDRESS 0 to 65535, "
                    "e.g. ir:2");
            return -1;
        }
        *(enum tag_table *)(base + k->off) = (enum tag_table)t;
        *(int *)(base + k->off2) = (int)a;
        return 0;
    }
    case KT_PAIR: {
        char tmp[128];
        str_copy(tmp, sizeof tmp, val);
        char *comma = strchr(tmp, ',');
        double lo, hi;
        if (!comma) {
            cfg_err(x, line, sec, k->key, val, "expected LO, HI, e.g. 0, 1400");
            return -1;
        }
        *comma = 0;
        if (parse_double(tmp, &lo, &why) < 0 || parse_double(comma + 1, &hi, &why) < 0) {
            cfg_err(x, line, sec, k->key, val, "%s: expected LO, HI, e.g. 0, 1400", why);
            return -1;
        }
        if (lo >= hi) {
            cfg_err(x, line, sec, k->key, val, "LO must be below HI");
            return -1;
        }
        *(double *)(base + k->off) = lo;
        *(double *)(base + k->off2) = hi;
        return 0;
    }
    }
    return -1;
}

/* Apply a key's default (never fails for a well-formed table; a broken
 * default is reported like a bad value, naming the schema). */
void cfg_set_default(struct cfg_ctx *x, const char *sec, const struct cfg_key *k, char *base)
{
    if (k->def && *k->def)
        set_value(x, 0, sec, k, k->def, base);
}

/* ---- sections -------------------------------------------------------------- */

static const struct cfg_section *find_section(const struct cfg_ctx *x, const char *name,
                                              char *item, size_t n)
{
    const struct cfg_section *t = x->table ? x->table : cfg_sections;
    size_t nt = x->table ? x->ntable : cfg_nsections;
    for (size_t i = 0; i < nt; i++) {
        const struct cfg_section *s = &t[i];
        size_t l = strlen(s->name);
        if (!s->multi && !strcmp(name, s->name))
            return s;
        if (s->multi && !strncmp(name, s->name, l) && name[l] == '.') {
            str_copy(item, n, name + l + 1);
            return s;
        }
    }
    return NULL;
}

static void unknown_section(struct cfg_ctx *x, int sec)
{
    const char *name = x->sc.secs[sec].name;
    const char *cands[32];
    char buf[32][64];
    size_t nc = 0;
    const char *dot = strchr(name, '.');
    const struct cfg_section *t = x->table ? x->table : cfg_sections;
    size_t nt = x->table ? x->ntable : cfg_nsections;
    char list[300] = "";
    for (size_t i = 0; i < nt && nc < 32; i++) {
        const struct cfg_section *s = &t[i];
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s%s", l ? ", " : "", s->name,
                 s->multi ? ".NAME" : "");
        if (s->multi && dot)
            snprintf(buf[nc], sizeof buf[nc], "%s.%s", s->name, dot + 1);
        else
            str_copy(buf[nc], sizeof buf[nc], s->name);
        cands[nc] = buf[nc];
        nc++;
    }
    char dym[100];
    cfg_suggest(dym, sizeof dym, name, cands, nc);
    cfg_err(x, x->sc.secs[sec].line, name, NULL, NULL, "unknown section%s; sections are %s", dym,
            list);
}

void cfg_load_section(struct cfg_ctx *x, int sec)
{
    const char *secname = x->sc.secs[sec].name;
    char item[64] = "";
    const struct cfg_section *s = find_section(x, secname, item, sizeof item);
    if (!s) {
        unknown_section(x, sec);
        return;
    }
    char *root = x->table ? x->base : (char *)x->c;
    char *base = root + s->off;
    if (s->multi) {
        if (!valid_name(item) || strlen(item) >= CFG_NAME_MAX) {
            cfg_err(x, x->sc.secs[sec].line, secname, NULL, NULL,
                    "bad %s name \"%s\": expected at most %d lower-case letters, digits and '_'",
                    s->name, item, CFG_NAME_MAX - 1);
            return;
        }
        int *count = (int *)(root + s->count_off);
        if (*count >= s->max_items) {
            cfg_err(x, x->sc.secs[sec].line, secname, NULL, NULL,
                    "too many [%s.*] sections: at most %d", s->name, s->max_items);
            return;
        }
        base += (size_t)*count * s->item_size;
        memset(base, 0, s->item_size);
        str_copy(base, CFG_NAME_MAX, item); /* every item struct starts with its name */
        for (const struct cfg_key *k = s->keys; k->key; k++) {
            if (k->has >= 0)
                *(bool *)(base + k->has) = false;
            cfg_set_default(x, secname, k, base);
        }
        (*count)++;
    }
    int errs_before = x->errs->n + x->errs->dropped;

    /* keys given, in file order */
    bool bad = false;
    for (int i = x->sc.secs[sec].first_key; i >= 0; i = x->sc.keys[i].next) {
        const struct cfg_scan_key *sk = &x->sc.keys[i];
        const char *key = sk->key;
        const struct cfg_key *k = s->keys;
        while (k->key && strcmp(k->key, key))
            k++;
        if (!k->key) {
            const char *cands[64];
            size_t nc = 0;
            for (const struct cfg_key *q = s->keys; q->key && nc < 64; q++)
                cands[nc++] = q->key;
            char dym[100];
            cfg_suggest(dym, sizeof dym, key, cands, nc);
            if (x->table) { /* another file: name its keys here */
                char list[300] = "";
                for (size_t q = 0; q < nc; q++) {
                    size_t l = strlen(list);
                    snprintf(list + l, sizeof list - l, "%s%s", q ? ", " : "", cands[q]);
                }
                cfg_err(x, sk->line, secname, key, NULL, "unknown key%s; the keys of [%s%s] are %s",
                        dym, s->name, s->multi ? ".NAME" : "", list);
            } else {
                cfg_err(x, sk->line, secname, key, NULL,
                        "unknown key%s; `meltcon check-config --describe` lists the keys of [%s%s]",
                        dym, s->name, s->multi ? ".NAME" : "");
            }
            continue;
        }
        if (sk->bad) { /* reported by the scan: iniparser would read it otherwise */
            bad = true;
            continue;
        }
        const char *val = x->sc.vals + sk->val;
        if (x->d && !sk->dup) {
            /* iniparser, the reference reader of the format, must agree */
            char full[160];
            snprintf(full, sizeof full, "%s:%s", secname, key);
            const char *got = iniparser_getstring(x->d, full, NULL);
            if (!got || strcmp(got, val)) {
                cfg_err(x, sk->line, secname, key, val,
                        "iniparser reads \"%.60s\" here, not the value as written; quote the "
                        "value",
                        got ? got : "(nothing)");
                bad = true;
                continue;
            }
        }
        if (set_value(x, sk->line, secname, k, val, base) == 0 && k->has >= 0)
            *(bool *)(base + k->has) = true;
    }
    /* required keys missing */
    for (const struct cfg_key *k = s->keys; k->key; k++)
        if (!k->def && !cfg_key_given(x, sec, k->key))
            cfg_err(x, x->sc.secs[sec].line, secname, k->key, NULL, "missing required key (%s)",
                    k->help);
    if (s->multi && !strcmp(s->name, "tag") &&
        (bad || x->errs->n + x->errs->dropped > errs_before))
        x->bad_tag[*(int *)(root + s->count_off) - 1] = true;
}
