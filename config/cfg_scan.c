/* cfg_scan — the line scan of meltcon.ini, the first of the loader's two
 * passes (see cfg.c).
 *
 * It records where every section and key is (for line numbers in messages)
 * and each value as written, and catches what iniparser 4.1 forgives or
 * hides: duplicate sections and keys (it keeps the last), keys outside any
 * section, syntax errors (it reports them only to stderr) and values it
 * would cut at a ';' or '#' (ini_value.h).  Sections and keys are found
 * again through hash tables: the scan and every lookup are linear in the
 * size of the file (40,000 sections are checked in well under a second).
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ini_value.h"
#include "util.h"

#define LINE_MAX_LEN 1000

char *cfg_strip(char *s)
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

void cfg_scan_free(struct cfg_scan *s)
{
    free(s->secs);
    free(s->keys);
    free(s->vals);
    free(s->sec_hash);
    free(s->key_hash);
    memset(s, 0, sizeof *s);
}

/* FNV-1a of name and sec, then murmur3's finalizer: the low bits that pick
 * the slot depend on every bit (FNV alone leaves similar names of
 * consecutive sections in long runs of neighbouring slots). */
static size_t hash(const char *name, int sec)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    h ^= (uint32_t)sec * 0x9e3779b1u;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* Slot of (name, sec) in table t: its entry, or the empty slot where it
 * goes.  `key` selects the key table (sec matters) or the section table. */
static size_t slot(const struct cfg_scan *s, bool key, const char *name, int sec)
{
    const int *t = key ? s->key_hash : s->sec_hash;
    size_t mask = (key ? s->key_hcap : s->sec_hcap) - 1;
    for (size_t i = hash(name, key ? sec : 0) & mask;; i = (i + 1) & mask) {
        int e = t[i] - 1;
        if (e < 0)
            return i;
        if (key ? s->keys[e].sec == sec && !strcmp(s->keys[e].key, name)
                : !strcmp(s->secs[e].name, name))
            return i;
    }
}

/* Make room for one more entry in a table holding n: at most half full. */
static int hash_room(struct cfg_scan *s, bool key, int n)
{
    size_t cap = key ? s->key_hcap : s->sec_hcap;
    if ((size_t)n + 1 <= cap / 2)
        return 0;
    size_t ncap = cap ? cap * 2 : 256;
    int *t = calloc(ncap, sizeof *t);
    if (!t)
        return -1;
    free(key ? s->key_hash : s->sec_hash);
    if (key) {
        s->key_hash = t;
        s->key_hcap = ncap;
    } else {
        s->sec_hash = t;
        s->sec_hcap = ncap;
    }
    for (int e = 0; e < n; e++)
        t[key ? slot(s, true, s->keys[e].key, s->keys[e].sec)
              : slot(s, false, s->secs[e].name, 0)] = e + 1;
    return 0;
}

int cfg_scan_find_sec(const struct cfg_scan *s, const char *name)
{
    return s->sec_hcap ? s->sec_hash[slot(s, false, name, 0)] - 1 : -1;
}

int cfg_scan_find_key(const struct cfg_scan *s, int sec, const char *key)
{
    return sec >= 0 && s->key_hcap ? s->key_hash[slot(s, true, key, sec)] - 1 : -1;
}

/* Keep value v; its offset in s->vals, or (size_t)-1 out of memory. */
static size_t keep_value(struct cfg_scan *s, const char *v)
{
    size_t n = strlen(v) + 1;
    if (s->nvals + n > s->capvals) {
        size_t ncap = s->capvals ? s->capvals : 1 << 14;
        while (s->nvals + n > ncap)
            ncap *= 2;
        char *q = realloc(s->vals, ncap);
        if (!q)
            return (size_t)-1;
        s->vals = q;
        s->capvals = ncap;
    }
    memcpy(s->vals + s->nvals, v, n);
    s->nvals += n;
    return s->nvals - n;
}

static void out_of_memory(struct cfg_ctx *x)
{
    cfg_err(x, 0, NULL, NULL, NULL, "out of memory while reading the file");
    x->sc.syntax_errors++;
    x->sc.no_memory = true;
}

/* Classify each line the way iniparser 4.1 does: blank, comment (; or #),
 * [section], key = value, else a syntax error.  A trailing backslash joins
 * the next line. */
void cfg_scan_text(struct cfg_ctx *x, const char *text, size_t len)
{
    struct cfg_scan *s = &x->sc;
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
            cfg_err(x, lineno, NULL, NULL, NULL,
                    "the line contains a NUL byte; is this a text file?");
            s->syntax_errors++;
            continue;
        }
        if (n > LINE_MAX_LEN) {
            cfg_err(x, lineno, NULL, NULL, NULL, "line longer than %d characters", LINE_MAX_LEN);
            s->syntax_errors++;
            continue;
        }
        memcpy(buf, text + start, n);
        buf[n] = 0;
        /* continuation lines */
        size_t bl = strlen(cfg_strip(buf)) ? strlen(buf) : 0;
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
                cfg_err(x, lineno, NULL, NULL, NULL, "continued line too long or not text");
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
        char *l = cfg_strip(buf);
        if (!*l || *l == ';' || *l == '#')
            continue;
        size_t ll = strlen(l);
        if (*l == '[') {
            if (l[ll - 1] != ']') {
                cfg_err(x, first, NULL, NULL, NULL,
                        "expected a section header alone on its line, e.g. [tag.roof_temp]; got "
                        "\"%.60s\"",
                        l);
                s->syntax_errors++;
                continue;
            }
            l[ll - 1] = 0;
            char *name = cfg_strip(l + 1);
            lower(name);
            if (!*name || strpbrk(name, ":[]") || strlen(name) >= sizeof s->secs[0].name) {
                cfg_err(x, first, NULL, NULL, NULL,
                        "bad section name \"%.60s\": expected letters, digits, '_' and '.'", name);
                s->syntax_errors++;
                continue;
            }
            int prev = cfg_scan_find_sec(s, name);
            if (prev >= 0) {
                cfg_err(x, first, name, NULL, NULL,
                        "duplicate section; it was first opened on line %d", s->secs[prev].line);
                cur = prev;
                continue;
            }
            if ((s->nsecs == s->capsecs && grow((void **)&s->secs, &s->capsecs, sizeof *s->secs)) ||
                hash_room(s, false, s->nsecs)) {
                out_of_memory(x);
                return;
            }
            struct cfg_scan_sec *ns = &s->secs[s->nsecs];
            str_copy(ns->name, sizeof ns->name, name);
            ns->line = first;
            ns->first_key = ns->last_key = -1;
            s->sec_hash[slot(s, false, name, 0)] = s->nsecs + 1;
            cur = s->nsecs++;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq || eq == l) {
            cfg_err(x, first, cur >= 0 ? s->secs[cur].name : NULL, NULL, NULL,
                    "expected KEY = VALUE or [SECTION]; got \"%.60s\"", l);
            s->syntax_errors++;
            continue;
        }
        *eq = 0;
        char *key = cfg_strip(l);
        lower(key);
        if (!*key || strchr(key, ':') || strlen(key) >= sizeof s->keys[0].key) {
            cfg_err(x, first, cur >= 0 ? s->secs[cur].name : NULL, NULL, NULL,
                    "bad key name \"%.60s\"", key);
            s->syntax_errors++;
            continue;
        }
        if (cur < 0) {
            cfg_err(x, first, NULL, key, NULL,
                    "key outside any section; put it under its [section]");
            s->syntax_errors++;
            continue;
        }
        int prev = cfg_scan_find_key(s, cur, key);
        if (prev >= 0) {
            cfg_err(x, first, s->secs[cur].name, key, NULL,
                    "duplicate key; it was already set on line %d", s->keys[prev].line);
            s->keys[prev].dup = true;
            continue;
        }
        char written[LINE_MAX_LEN + 2], read[LINE_MAX_LEN + 2];
        enum ini_value_fault f = ini_value(eq + 1, written, sizeof written, read, sizeof read);
        if (f != INI_VALUE_OK) {
            char why[600];
            ini_value_why(why, sizeof why, f, key, written, read);
            cfg_err(x, first, s->secs[cur].name, key, written, "%s", why);
        }
        size_t val = keep_value(s, written);
        if (val == (size_t)-1 ||
            (s->nkeys == s->capkeys && grow((void **)&s->keys, &s->capkeys, sizeof *s->keys)) ||
            hash_room(s, true, s->nkeys)) {
            out_of_memory(x);
            return;
        }
        struct cfg_scan_key *k = &s->keys[s->nkeys];
        k->sec = cur;
        str_copy(k->key, sizeof k->key, key);
        k->line = first;
        k->val = val;
        k->bad = f != INI_VALUE_OK;
        k->dup = false;
        k->next = -1;
        if (s->secs[cur].last_key >= 0)
            s->keys[s->secs[cur].last_key].next = s->nkeys;
        else
            s->secs[cur].first_key = s->nkeys;
        s->secs[cur].last_key = s->nkeys;
        s->key_hash[slot(s, true, key, cur)] = s->nkeys + 1;
        s->nkeys++;
    }
}

int cfg_key_line(const struct cfg_ctx *x, int sec, const char *key)
{
    int k = cfg_scan_find_key(&x->sc, sec, key);
    return k >= 0 ? x->sc.keys[k].line : sec >= 0 ? x->sc.secs[sec].line : 0;
}

bool cfg_key_given(const struct cfg_ctx *x, int sec, const char *key)
{
    return cfg_scan_find_key(&x->sc, sec, key) >= 0;
}

const char *cfg_key_value(const struct cfg_ctx *x, int sec, const char *key)
{
    int k = cfg_scan_find_key(&x->sc, sec, key);
    return k >= 0 ? x->sc.vals + x->sc.keys[k].val : NULL;
}
