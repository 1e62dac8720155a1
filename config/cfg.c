/* cfg — load and validate meltcon.ini against the schema (cfg_schema.c).
 *
 * Two passes over one file.  A line scan records where every section and
 * key is (for line numbers in messages) and catches what iniparser 4.1
 * forgives or hides: duplicate sections and keys (it keeps the last), keys
 * outside any section, and syntax errors (it reports them only to stderr).
 * iniparser then parses the file into its dictionary, and every value is
 * read from there as a string and parsed here with strtod/strtoll and full
 * checks (iniparser_getint takes "12abc" as 12 and "010" as 8).
 *
 * All errors are collected, not just the first, and the result is copied
 * out only when there are none: nothing starts on a bad file.
 */
#include "cfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <iniparser/iniparser.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cfg_schema.h"

#define LINE_MAX_LEN 1000

struct scan_key {
    int sec;                  /* index into secs, -1 outside any section */
    char key[64];
    int line;
};

struct scan_sec {
    char name[64];
    int line;
};

struct scan {
    struct scan_sec *secs;
    int nsecs, capsecs;
    struct scan_key *keys;
    int nkeys, capkeys;
    int syntax_errors;
};

struct ctx {
    const char *file;
    struct cfg_errors *errs;
    struct scan sc;
    dictionary *d;
    struct cfg *c;
    bool bad_tag[CFG_MAX_TAGS]; /* a key of this tag failed: skip its cross checks */
};

/* ---- errors ---------------------------------------------------------------- */

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Record one mistake.  The sentence starts "FILE:LINE: [SECTION] KEY =
 * "VALUE": " as far as those are known, then the message. */
__attribute__((format(printf, 6, 7))) static void err(struct ctx *x, int line, const char *sec,
                                                      const char *key, const char *val,
                                                      const char *fmt, ...)
{
    if (x->errs->n >= CFG_MAX_ERRORS) {
        x->errs->dropped++;
        return;
    }
    struct cfg_error *e = &x->errs->e[x->errs->n++];
    e->line = line;
    copy(e->section, sizeof e->section, sec);
    copy(e->key, sizeof e->key, key);
    copy(e->value, sizeof e->value, val);

    char where[256];
    int n = line > 0 ? snprintf(where, sizeof where, "%s:%d:", x->file, line)
                     : snprintf(where, sizeof where, "%s:", x->file);
    if (sec && *sec)
        n += snprintf(where + n, sizeof where - (size_t)n, " [%s]", sec);
    if (key && *key) {
        if (val)
            snprintf(where + n, sizeof where - (size_t)n, " %s = \"%.60s\"", key, val);
        else
            snprintf(where + n, sizeof where - (size_t)n, " %s", key);
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(e->text, sizeof e->text, "%s: %s", where, msg);
}

/* ---- did you mean ------------------------------------------------------------ */

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and transpositions of neighbours ("prot" is one step from "port"). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* " (did you mean \"x\"?)" for the closest candidate, or "". */
static void suggest(char *out, size_t n, const char *word, const char *const *cands, size_t ncand)
{
    int best = 99;
    const char *pick = NULL;
    for (size_t i = 0; i < ncand; i++) {
        int dd = edit_distance(word, cands[i]);
        if (dd < best) {
            best = dd;
            pick = cands[i];
        }
    }
    int allowed = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;
    if (pick && best <= allowed)
        snprintf(out, n, " (did you mean \"%s\"?)", pick);
    else
        out[0] = 0;
}

/* ---- line scan --------------------------------------------------------------- */

static char *strip(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int grow(void **p, int *cap, size_t size)
{
    int ncap = *cap ? *cap * 2 : 64;
    void *q = realloc(*p, (size_t)ncap * size);
    if (!q)
        return -1;
    *p = q;
    *cap = ncap;
    return 0;
}

static void scan_free(struct scan *s)
{
    free(s->secs);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

static int scan_find_sec(const struct scan *s, const char *name)
{
    for (int i = 0; i < s->nsecs; i++)
        if (!strcmp(s->secs[i].name, name))
            return i;
    return -1;
}

/* Classify each line the way iniparser 4.1 does: blank, comment (; or #),
 * [section], key = value, else a syntax error.  A trailing backslash joins
 * the next line. */
static void scan_text(struct ctx *x, const char *text, size_t len)
{
    struct scan *s = &x->sc;
    size_t pos = 0;
    int lineno = 0, cur = -1;
    char buf[LINE_MAX_LEN + 2];

    while (pos < len) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        if (pos < len)
            pos++;
        lineno++;
        int first = lineno;
        if (memchr(text + start, 0, n)) {
            err(x, lineno, NULL, NULL, NULL, "the line contains a NUL byte; is this a text file?");
            s->syntax_errors++;
            continue;
        }
        if (n > LINE_MAX_LEN) {
            err(x, lineno, NULL, NULL, NULL, "line longer than %d characters", LINE_MAX_LEN);
            s->syntax_errors++;
            continue;
        }
        memcpy(buf, text + start, n);
        buf[n] = 0;
        /* continuation lines */
        size_t bl = strlen(strip(buf)) ? strlen(buf) : 0;
        while (bl > 0 && buf[bl - 1] == '\\' && pos < len) {
            buf[--bl] = 0;
            size_t st2 = pos;
            while (pos < len && text[pos] != '\n')
                pos++;
            size_t n2 = pos - st2;
            if (pos < len)
                pos++;
            lineno++;
            if (bl + n2 > LINE_MAX_LEN || memchr(text + st2, 0, n2)) {
                err(x, lineno, NULL, NULL, NULL, "continued line too long or not text");
                s->syntax_errors++;
                bl = 0;
                buf[0] = 0;
                break;
            }
            memcpy(buf + bl, text + st2, n2);
            bl += n2;
            buf[bl] = 0;
            while (bl > 0 && isspace((unsigned char)buf[bl - 1]))
                buf[--bl] = 0;
        }
        char *l = strip(buf);
        if (!*l || *l == ';' || *l == '#')
            continue;
        size_t ll = strlen(l);
        if (*l == '[') {
            if (l[ll - 1] != ']') {
                err(x, first, NULL, NULL, NULL,
                    "expected a section header alone on its line, e.g. [tag.roof_temp]; got "
                    "\"%.60s\"",
                    l);
                s->syntax_errors++;
                continue;
            }
            l[ll - 1] = 0;
            char *name = strip(l + 1);
            lower(name);
            if (!*name || strpbrk(name, ":[]") || strlen(name) >= sizeof s->secs[0].name) {
                err(x, first, NULL, NULL, NULL,
                    "bad section name \"%.60s\": expected letters, digits, '_' and '.'", name);
                s->syntax_errors++;
                continue;
            }
            int prev = scan_find_sec(s, name);
            if (prev >= 0) {
                err(x, first, name, NULL, NULL,
                    "duplicate section; it was first opened on line %d", s->secs[prev].line);
                cur = prev;
                continue;
            }
            if (s->nsecs == s->capsecs && grow((void **)&s->secs, &s->capsecs, sizeof *s->secs))
                return;
            copy(s->secs[s->nsecs].name, sizeof s->secs[0].name, name);
            s->secs[s->nsecs].line = first;
            cur = s->nsecs++;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq || eq == l) {
            err(x, first, cur >= 0 ? s->secs[cur].name : NULL, NULL, NULL,
                "expected KEY = VALUE or [SECTION]; got \"%.60s\"", l);
            s->syntax_errors++;
            continue;
        }
        *eq = 0;
        char *key = strip(l);
        lower(key);
        if (!*key || strchr(key, ':') || strlen(key) >= sizeof s->keys[0].key) {
            err(x, first, cur >= 0 ? s->secs[cur].name : NULL, NULL, NULL,
                "bad key name \"%.60s\"", key);
            s->syntax_errors++;
            continue;
        }
        if (cur < 0) {
            err(x, first, NULL, key, NULL,
                "key outside any section; put it under its [section]");
            s->syntax_errors++;
            continue;
        }
        int dup = 0;
        for (int i = 0; i < s->nkeys; i++) {
            if (s->keys[i].sec == cur && !strcmp(s->keys[i].key, key)) {
                err(x, first, s->secs[cur].name, key, NULL,
                    "duplicate key; it was already set on line %d", s->keys[i].line);
                dup = 1;
                break;
            }
        }
        if (dup)
            continue;
        if (s->nkeys == s->capkeys && grow((void **)&s->keys, &s->capkeys, sizeof *s->keys))
            return;
        s->keys[s->nkeys].sec = cur;
        copy(s->keys[s->nkeys].key, sizeof s->keys[0].key, key);
        s->keys[s->nkeys].line = first;
        s->nkeys++;
    }
}

static int key_line(const struct ctx *x, int sec, const char *key)
{
    for (int i = 0; i < x->sc.nkeys; i++)
        if (x->sc.keys[i].sec == sec && !strcmp(x->sc.keys[i].key, key))
            return x->sc.keys[i].line;
    return sec >= 0 ? x->sc.secs[sec].line : 0;
}

static bool key_given(const struct ctx *x, int sec, const char *key)
{
    for (int i = 0; i < x->sc.nkeys; i++)
        if (x->sc.keys[i].sec == sec && !strcmp(x->sc.keys[i].key, key))
            return true;
    return false;
}

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

static int parse_enum(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return -1;
}

static void join_names(char *out, size_t n, const char *const *names)
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

static void fmt_num(char *out, size_t n, double v)
{
    if (fabs(v) >= 1e11)
        snprintf(out, n, "%s", v < 0 ? "-inf" : "inf");
    else
        snprintf(out, n, "%g", v);
}

static void range_text(char *out, size_t n, const struct cfg_key *k)
{
    char lo[32], hi[32];
    fmt_num(lo, sizeof lo, k->min);
    fmt_num(hi, sizeof hi, k->max);
    if (k->min <= -1e11 && k->max >= 1e11)
        snprintf(out, n, "a number");
    else if (k->max >= 1e11)
        snprintf(out, n, "a number of at least %s%s%s", lo, *k->unit ? " " : "", k->unit);
    else
        snprintf(out, n, "a number from %s to %s%s%s", lo, hi, *k->unit ? " " : "", k->unit);
}

/* Parse `val` for key `k` into the struct at `base`.  Reports and returns
 * -1 on a bad value, leaving the struct as it was. */
static int set_value(struct ctx *x, int line, const char *sec, const struct cfg_key *k,
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
            fmt_num(lo, sizeof lo, k->min);
            fmt_num(hi, sizeof hi, k->max);
            err(x, line, sec, k->key, val, "%s: expected a whole number from %s to %s%s%s", why,
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
            err(x, line, sec, k->key, val, "%s: expected %s", why, exp);
            return -1;
        }
        *(double *)(base + k->off) = d;
        return 0;
    }
    case KT_BOOL: {
        static const char *const yes[] = {"yes", "true", "on", "1", NULL};
        static const char *const no[] = {"no", "false", "off", "0", NULL};
        if (parse_enum(val, yes) >= 0)
            *(bool *)(base + k->off) = true;
        else if (parse_enum(val, no) >= 0)
            *(bool *)(base + k->off) = false;
        else {
            err(x, line, sec, k->key, val, "expected yes or no");
            return -1;
        }
        return 0;
    }
    case KT_STRING:
        if (strlen(val) >= k->size) {
            err(x, line, sec, k->key, val, "too long: at most %zu characters", k->size - 1);
            return -1;
        }
        copy(base + k->off, k->size, val);
        return 0;
    case KT_NAME:
        if (strlen(val) >= k->size || (*val && !valid_name(val))) {
            err(x, line, sec, k->key, val,
                "expected a name of at most %zu lower-case letters, digits and '_'", k->size - 1);
            return -1;
        }
        copy(base + k->off, k->size, val);
        return 0;
    case KT_ENUM: {
        int i = parse_enum(val, k->names);
        if (i < 0) {
            join_names(exp, sizeof exp, k->names);
            char dym[80];
            size_t nn = 0;
            while (k->names[nn])
                nn++;
            suggest(dym, sizeof dym, val, k->names, nn);
            err(x, line, sec, k->key, val, "expected one of %s%s", exp, dym);
            return -1;
        }
        *(int *)(base + k->off) = i;
        return 0;
    }
    case KT_PHASES: {
        unsigned mask = 0;
        char tmp[256];
        copy(tmp, sizeof tmp, val);
        for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            char *w = strip(t);
            int p = parse_enum(w, cfg_phase_names);
            if (p < 0) {
                join_names(exp, sizeof exp, cfg_phase_names);
                err(x, line, sec, k->key, val, "\"%s\" is not a phase: expected a list of %s", w,
                    exp);
                return -1;
            }
            mask |= 1u << p;
        }
        *(unsigned *)(base + k->off) = mask;
        return 0;
    }
    case KT_ADDR: {
        char tmp[64];
        copy(tmp, sizeof tmp, val);
        char *colon = strchr(tmp, ':');
        long long a = -1;
        int t = -1;
        if (colon) {
            *colon = 0;
            t = parse_enum(strip(tmp), cfg_table_names);
            if (parse_int(colon + 1, &a, &why) < 0 || a < 0 || a > 65535)
                a = -1;
        }
        if (t < 0 || a < 0) {
            err(x, line, sec, k->key, val,
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
        copy(tmp, sizeof tmp, val);
        char *comma = strchr(tmp, ',');
        double lo, hi;
        if (!comma) {
            err(x, line, sec, k->key, val, "expected LO, HI, e.g. 0, 1400");
            return -1;
        }
        *comma = 0;
        if (parse_double(tmp, &lo, &why) < 0 || parse_double(comma + 1, &hi, &why) < 0) {
            err(x, line, sec, k->key, val, "%s: expected LO, HI, e.g. 0, 1400", why);
            return -1;
        }
        if (lo >= hi) {
            err(x, line, sec, k->key, val, "LO must be below HI");
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
static void set_default(struct ctx *x, const char *sec, const struct cfg_key *k, char *base)
{
    if (k->def && *k->def)
        set_value(x, 0, sec, k, k->def, base);
}

/* ---- sections -------------------------------------------------------------- */

static const struct cfg_section *find_section(const char *name, char *item, size_t n)
{
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        size_t l = strlen(s->name);
        if (!s->multi && !strcmp(name, s->name))
            return s;
        if (s->multi && !strncmp(name, s->name, l) && name[l] == '.') {
            copy(item, n, name + l + 1);
            return s;
        }
    }
    return NULL;
}

static void unknown_section(struct ctx *x, int sec)
{
    const char *name = x->sc.secs[sec].name;
    const char *cands[32];
    char buf[32][64];
    size_t nc = 0;
    const char *dot = strchr(name, '.');
    for (size_t i = 0; i < cfg_nsections && nc < 32; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        if (s->multi && dot)
            snprintf(buf[nc], sizeof buf[nc], "%s.%s", s->name, dot + 1);
        else
            copy(buf[nc], sizeof buf[nc], s->name);
        cands[nc] = buf[nc];
        nc++;
    }
    char dym[100];
    suggest(dym, sizeof dym, name, cands, nc);
    err(x, x->sc.secs[sec].line, name, NULL, NULL,
        "unknown section%s; sections are furnace, plc, cycle, server, sim, limits, tag.NAME, "
        "loop.NAME, alarm.NAME, program.NAME",
        dym);
}

static void load_section(struct ctx *x, int sec)
{
    const char *secname = x->sc.secs[sec].name;
    char item[64] = "";
    const struct cfg_section *s = find_section(secname, item, sizeof item);
    if (!s) {
        unknown_section(x, sec);
        return;
    }
    char *base = (char *)x->c + s->off;
    if (s->multi) {
        if (!valid_name(item) || strlen(item) >= CFG_NAME_MAX) {
            err(x, x->sc.secs[sec].line, secname, NULL, NULL,
                "bad %s name \"%s\": expected at most %d lower-case letters, digits and '_'",
                s->name, item, CFG_NAME_MAX - 1);
            return;
        }
        int *count = (int *)((char *)x->c + s->count_off);
        if (*count >= s->max_items) {
            err(x, x->sc.secs[sec].line, secname, NULL, NULL, "too many [%s.*] sections: at most %d",
                s->name, s->max_items);
            return;
        }
        base += (size_t)*count * s->item_size;
        memset(base, 0, s->item_size);
        copy(base, CFG_NAME_MAX, item); /* every item struct starts with its name */
        for (const struct cfg_key *k = s->keys; k->key; k++) {
            if (k->has >= 0)
                *(bool *)(base + k->has) = false;
            set_default(x, secname, k, base);
        }
        (*count)++;
    }
    int errs_before = x->errs->n + x->errs->dropped;

    /* keys given */
    for (int i = 0; i < x->sc.nkeys; i++) {
        if (x->sc.keys[i].sec != sec)
            continue;
        const char *key = x->sc.keys[i].key;
        const struct cfg_key *k = s->keys;
        while (k->key && strcmp(k->key, key))
            k++;
        if (!k->key) {
            const char *cands[64];
            size_t nc = 0;
            for (const struct cfg_key *q = s->keys; q->key && nc < 64; q++)
                cands[nc++] = q->key;
            char dym[100];
            suggest(dym, sizeof dym, key, cands, nc);
            err(x, x->sc.keys[i].line, secname, key, NULL,
                "unknown key%s; `meltcon check-config --describe` lists the keys of [%s%s]", dym,
                s->name, s->multi ? ".NAME" : "");
            continue;
        }
        char full[160];
        snprintf(full, sizeof full, "%s:%s", secname, key);
        const char *val = iniparser_getstring(x->d, full, NULL);
        if (!val)
            val = "";
        if (set_value(x, x->sc.keys[i].line, secname, k, val, base) == 0 && k->has >= 0)
            *(bool *)(base + k->has) = true;
    }
    /* required keys missing */
    for (const struct cfg_key *k = s->keys; k->key; k++)
        if (!k->def && !key_given(x, sec, k->key))
            err(x, x->sc.secs[sec].line, secname, k->key, NULL, "missing required key (%s)",
                k->help);
    if (s->multi && !strcmp(s->name, "tag") && x->errs->n + x->errs->dropped > errs_before)
        x->bad_tag[*(int *)((char *)x->c + s->count_off) - 1] = true;
}

/* ---- cross checks ------------------------------------------------------------ */

static int sec_index(const struct ctx *x, const char *prefix, const char *name)
{
    char full[80];
    snprintf(full, sizeof full, "%s%s%s", prefix, *name && *prefix ? "." : "", name);
    return scan_find_sec(&x->sc, full);
}

/* Report an error at KEY of section PREFIX.NAME, quoting its value. */
__attribute__((format(printf, 5, 6))) static void xerr(struct ctx *x, const char *prefix,
                                                       const char *name, const char *key,
                                                       const char *fmt, ...)
{
    char sec[80], msg[300], full[160];
    snprintf(sec, sizeof sec, "%s%s%s", prefix, *name ? "." : "", name);
    int si = scan_find_sec(&x->sc, sec);
    const char *val = NULL;
    if (key && si >= 0 && key_given(x, si, key)) {
        snprintf(full, sizeof full, "%s:%s", sec, key);
        val = iniparser_getstring(x->d, full, NULL);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err(x, si >= 0 ? key_line(x, si, key ? key : "") : 0, sec, key, val, "%s", msg);
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

static void check_tags(struct ctx *x)
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
        if (tag_regs(t) == 1 && si >= 0 && key_given(x, si, "word_order"))
            xerr(x, "tag", t->name, "word_order", "word_order applies to 32-bit types only");
        if (t->type == TAG_BOOL && si >= 0 &&
            (key_given(x, si, "scale") || key_given(x, si, "offset") ||
             key_given(x, si, "raw_range") || key_given(x, si, "range")))
            xerr(x, "tag", t->name, "type", "a bool tag takes no scaling or range");
        if (t->has_raw_range != t->has_eng_range)
            xerr(x, "tag", t->name, t->has_raw_range ? "raw_range" : "eng_range",
                 "raw_range and eng_range go together");
        if (t->has_raw_range && si >= 0 &&
            (key_given(x, si, "scale") || key_given(x, si, "offset")))
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

static const struct cfg_tag *need_tag(struct ctx *x, const char *prefix, const char *name,
                                      const char *key, const char *tag)
{
    const struct cfg_tag *t = cfg_tag_find(x->c, tag);
    if (!t) {
        const char *cands[CFG_MAX_TAGS];
        for (int i = 0; i < x->c->ntags; i++)
            cands[i] = x->c->tags[i].name;
        char dym[100];
        suggest(dym, sizeof dym, tag, cands, (size_t)x->c->ntags);
        xerr(x, prefix, name, key, "no [tag.%s] in this file%s", tag, dym);
    }
    return t;
}

static void check_loops(struct ctx *x)
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

static void check_alarms(struct ctx *x)
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

static void check_rest(struct ctx *x)
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
        copy(c->furnace.program, sizeof c->furnace.program, c->programs[0].name);
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
    if (scan_find_sec(&x->sc, "furnace") < 0)
        err(x, 0, "furnace", NULL, NULL, "missing section: every file names its furnace "
            "([furnace] name = ...)");
}

/* ---- public ------------------------------------------------------------------- */

static int ini_errback(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

void cfg_defaults(struct cfg *c)
{
    struct cfg_errors errs = {0};
    struct ctx x = {.file = "(defaults)", .errs = &errs, .c = c};
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        if (s->multi)
            continue;
        for (const struct cfg_key *k = s->keys; k->key; k++)
            set_default(&x, s->name, k, (char *)c + s->off);
    }
}

/* Errors in file order; those tied to no line last. */
static int by_line(const void *a, const void *b)
{
    int la = ((const struct cfg_error *)a)->line, lb = ((const struct cfg_error *)b)->line;
    if (la == 0)
        la = 1 << 30;
    if (lb == 0)
        lb = 1 << 30;
    return (la > lb) - (la < lb);
}

static int load(const char *name, const char *path, const char *text, size_t len,
                struct cfg *out, struct cfg_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    struct ctx x = {.file = name, .errs = errs};
    x.c = malloc(sizeof *x.c);
    if (!x.c) {
        err(&x, 0, NULL, NULL, NULL, "out of memory");
        return -1;
    }
    cfg_defaults(x.c);
    copy(x.c->path, sizeof x.c->path, name);

    scan_text(&x, text, len);
    if (x.sc.syntax_errors == 0) {
        iniparser_set_error_callback(ini_errback);
        x.d = iniparser_load(path);
        iniparser_set_error_callback(NULL);
        if (!x.d)
            err(&x, 0, NULL, NULL, NULL, "iniparser could not parse the file");
    }
    if (x.d) {
        for (int i = 0; i < x.sc.nsecs; i++)
            load_section(&x, i);
        check_tags(&x);
        check_loops(&x);
        check_alarms(&x);
        check_rest(&x);
        iniparser_freedict(x.d);
    }
    qsort(errs->e, (size_t)errs->n, sizeof errs->e[0], by_line);
    int rc = errs->n ? -1 : 0;
    if (rc == 0)
        memcpy(out, x.c, sizeof *out);
    scan_free(&x.sc);
    free(x.c);
    return rc;
}

int cfg_load(const char *file, struct cfg *out, struct cfg_errors *errs)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        memset(errs, 0, sizeof *errs);
        struct ctx x = {.file = file, .errs = errs};
        err(&x, 0, NULL, NULL, NULL, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        memset(errs, 0, sizeof *errs);
        struct ctx x = {.file = file, .errs = errs};
        err(&x, 0, NULL, NULL, NULL, "too large or out of memory");
        return -1;
    }
    int rc = load(file, file, buf, len, out, errs);
    free(buf);
    return rc;
}

int cfg_load_text(const char *name, const char *text, size_t len, struct cfg *out,
                  struct cfg_errors *errs)
{
    /* iniparser 4.1 reads only from a path: hand it an anonymous memory file. */
    int fd = memfd_create("meltcon-cfg", MFD_CLOEXEC);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        memset(errs, 0, sizeof *errs);
        struct ctx x = {.file = name, .errs = errs};
        err(&x, 0, NULL, NULL, NULL, "cannot buffer the text: %s", strerror(errno));
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rc = load(name, path, text, len, out, errs);
    close(fd);
    return rc;
}

const char *cfg_default_path(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("MELTCON_CONFIG");
    if (env && *env)
        return env;
    if (access("config/meltcon.ini", R_OK) == 0)
        return "config/meltcon.ini";
    return "/etc/meltcon/meltcon.ini";
}

static const char *ktype_name(const struct cfg_key *k)
{
    static const char *const n[] = {
        [KT_INT] = "integer", [KT_DOUBLE] = "number", [KT_BOOL] = "yes/no",
        [KT_STRING] = "text",  [KT_NAME] = "name",     [KT_ENUM] = "choice",
        [KT_PHASES] = "phases", [KT_ADDR] = "address", [KT_PAIR] = "LO, HI",
    };
    return n[k->type];
}

void cfg_describe(void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "meltcon.ini keys (required keys have no default)\n");
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        fprintf(f, "\n[%s%s]  %s\n", s->name, s->multi ? ".NAME" : "", s->help);
        for (const struct cfg_key *k = s->keys; k->key; k++) {
            char range[160] = "";
            if (k->type == KT_INT || k->type == KT_DOUBLE) {
                char lo[32], hi[32];
                fmt_num(lo, sizeof lo, k->min);
                fmt_num(hi, sizeof hi, k->max);
                snprintf(range, sizeof range, "%s..%s", lo, hi);
            } else if (k->type == KT_ENUM) {
                join_names(range, sizeof range, k->names);
            }
            fprintf(f, "  %-22s %-8s %-20s %-12s %-5s %s\n", k->key, ktype_name(k), range,
                    !k->def ? "(required)" : *k->def ? k->def : "-", k->unit, k->help);
        }
    }
}

const struct cfg_tag *cfg_tag_find(const struct cfg *c, const char *name)
{
    int i = cfg_tag_index(c, name);
    return i >= 0 ? &c->tags[i] : NULL;
}

int cfg_tag_index(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->ntags; i++)
        if (!strcmp(c->tags[i].name, name))
            return i;
    return -1;
}

const struct cfg_loop *cfg_loop_find(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nloops; i++)
        if (!strcmp(c->loops[i].name, name))
            return &c->loops[i];
    return NULL;
}

const struct cfg_program *cfg_program_find(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nprograms; i++)
        if (!strcmp(c->programs[i].name, name))
            return &c->programs[i];
    return NULL;
}

static const char *name_of(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}

const char *cfg_phase_name(enum cfg_phase p) { return name_of(cfg_phase_names, PH_COUNT, (int)p); }

int cfg_phase_from_name(const char *s) { return parse_enum(s, cfg_phase_names); }

const char *cfg_priority_name(enum cfg_priority p)
{
    return name_of(cfg_priority_names, 4, (int)p);
}

const char *cfg_loop_mode_name(enum cfg_loop_mode m)
{
    return name_of(cfg_loop_mode_names, 3, (int)m);
}

const char *cfg_table_name(enum tag_table t) { return name_of(cfg_table_names, 4, (int)t); }

const char *cfg_type_name(enum tag_type t) { return name_of(cfg_type_names, 6, (int)t); }
