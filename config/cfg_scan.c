/* cfg_scan — the line scan of meltcon.ini, the first of the loader's two
 * passes (see cfg.c).
 *
 * It records where every section and key is (for line numbers in messages)
 * and catches what iniparser 4.1 forgives or hides: duplicate sections and
 * keys (it keeps the last), keys outside any section, and syntax errors (it
 * reports them only to stderr).
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
    memset(s, 0, sizeof *s);
}

int cfg_scan_find_sec(const struct cfg_scan *s, const char *name)
{
    for (int i = 0; i < s->nsecs; i++)
        if (!strcmp(s->secs[i].name, name))
            return i;
    return -1;
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
            if (s->nsecs == s->capsecs && grow((void **)&s->secs, &s->capsecs, sizeof *s->secs))
                return;
            str_copy(s->secs[s->nsecs].name, sizeof s->secs[0].name, name);
            s->secs[s->nsecs].line = first;
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
        int dup = 0;
        for (int i = 0; i < s->nkeys; i++) {
            if (s->keys[i].sec == cur && !strcmp(s->keys[i].key, key)) {
                cfg_err(x, first, s->secs[cur].name, key, NULL,
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
        str_copy(s->keys[s->nkeys].key, sizeof s->keys[0].key, key);
        s->keys[s->nkeys].line = first;
        s->nkeys++;
    }
}

int cfg_key_line(const struct cfg_ctx *x, int sec, const char *key)
{
    for (int i = 0; i < x->sc.nkeys; i++)
        if (x->sc.keys[i].sec == sec && !strcmp(x->sc.keys[i].key, key))
            return x->sc.keys[i].line;
    return sec >= 0 ? x->sc.secs[sec].line : 0;
}

bool cfg_key_given(const struct cfg_ctx *x, int sec, const char *key)
{
    for (int i = 0; i < x->sc.nkeys; i++)
        if (x->sc.keys[i].sec == sec && !strcmp(x->sc.keys[i].key, key))
            return true;
    return false;
}
