/* ini_value — the value of a KEY = VALUE line, read exactly as written (see
 * ini_value.h for iniparser 4.1's rules and why).  The rules here were taken
 * from iniparser_line() of iniparser 4.1 (its sscanf patterns
 * `%[^=] = "%[^"]"`, `%[^=] = '%[^']'` and `%[^=] = %[^;#]`) and are held to
 * the installed library by tests/test_cfg.c, which compares them with what
 * iniparser_load() stores for the same lines.
 */
#include "ini_value.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Copy s[0..len-1] without the white space around it into out[n]. */
static void copy_stripped(char *out, size_t n, const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (n == 0)
        return;
    if (len >= n)
        len = n - 1;
    memcpy(out, s, len);
    out[len] = 0;
}

/* What iniparser stores for an unquoted value: the text before the first
 * ';' or '#', stripped, and "" for a value written "" or ''. */
static void unquoted_read(char *out, size_t n, const char *p)
{
    copy_stripped(out, n, p, strcspn(p, ";#"));
    if (!strcmp(out, "\"\"") || !strcmp(out, "''"))
        out[0] = 0;
}

enum ini_value_fault ini_value(const char *raw, char *written, size_t nw, char *read, size_t nr)
{
    const char *p = raw;
    while (isspace((unsigned char)*p))
        p++;
    size_t len = strlen(p);
    copy_stripped(written, nw, p, len);
    if (*p != '"' && *p != '\'') {
        unquoted_read(read, nr, p);
        return p[strcspn(p, ";#")] ? INI_VALUE_COMMENT : INI_VALUE_OK;
    }
    const char *close = strchr(p + 1, *p);
    if (!close) {
        /* iniparser reads everything after the quote (the line is stripped) */
        if (p[1])
            copy_stripped(read, nr, p + 1, len - 1);
        else
            unquoted_read(read, nr, p);
        return INI_VALUE_UNCLOSED;
    }
    const char *rest = close + 1;
    while (isspace((unsigned char)*rest))
        rest++;
    bool comment_or_end = !*rest || *rest == ';' || *rest == '#';
    size_t inner = (size_t)(close - p - 1);
    if (inner > 0) {
        size_t k = inner < nr ? inner : nr - 1;
        if (nr > 0) {
            memcpy(read, p + 1, k);
            read[k] = 0;
        }
    } else {
        unquoted_read(read, nr, p); /* "" is no match for %[^"]: the unquoted pattern */
    }
    if (!comment_or_end)
        return INI_VALUE_AFTER_QUOTE;
    if (nw > 0) {
        size_t k = inner < nw ? inner : nw - 1;
        memcpy(written, p + 1, k);
        written[k] = 0;
    }
    return INI_VALUE_OK;
}

/* v shortened to about 100 characters for a sentence. */
static const char *shorten(char *buf, size_t n, const char *v)
{
    if (strlen(v) <= 100)
        return v;
    snprintf(buf, n, "%.97s...", v);
    return buf;
}

void ini_value_why(char *buf, size_t n, enum ini_value_fault f, const char *key,
                   const char *written, const char *read)
{
    char w[128], r[128];
    const char *ws = shorten(w, sizeof w, written), *rs = shorten(r, sizeof r, read);
    bool has_dq = strchr(written, '"') != NULL, has_sq = strchr(written, '\'') != NULL;
    char q = has_dq ? '\'' : '"';
    switch (f) {
    case INI_VALUE_OK:
        snprintf(buf, n, "%s", "");
        return;
    case INI_VALUE_COMMENT:
        if (has_dq && has_sq)
            snprintf(buf, n,
                     "iniparser would read only \"%s\": ';' and '#' start a comment, even "
                     "inside a value, and a value holding both quote characters cannot be "
                     "quoted: reword it, or put the comment on a line of its own",
                     rs);
        else
            snprintf(buf, n,
                     "iniparser would read only \"%s\": ';' and '#' start a comment, even "
                     "inside a value; if they belong to the value, quote it: %s = %c%s%c, "
                     "else put the comment on a line of its own",
                     rs, key, q, ws, q);
        return;
    case INI_VALUE_UNCLOSED:
        snprintf(buf, n,
                 "the opening quote has no closing quote (iniparser would read \"%s\"): close "
                 "it at the end of the value",
                 rs);
        return;
    case INI_VALUE_AFTER_QUOTE:
        snprintf(buf, n,
                 "iniparser would read only \"%s\" and drop what follows the closing quote: a "
                 "quoted value ends at its first closing quote, and only a comment (';' or "
                 "'#') may follow it%s",
                 rs,
                 has_dq && has_sq ? "; reword the value without one of the quote characters"
                 : has_dq         ? "; quote a value holding \" with single quotes"
                                  : "; quote a value holding ' with double quotes");
        return;
    }
}

int ini_value_check_text(const char *name, const char *text, size_t len, char *err,
                         size_t errlen)
{
    enum { LINE = 1024 }; /* iniparser 4.1's ASCIILINESZ: longer lines it refuses itself */
    char line[LINE + 1], sec[LINE + 1] = "", written[LINE + 1], read[LINE + 1];
    size_t pos = 0, have = 0;
    int lineno = 0, first = 0;
    while (pos < len) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        if (pos < len)
            pos++;
        lineno++;
        if (have == 0)
            first = lineno;
        if (have + n > LINE || memchr(text + start, 0, n)) {
            have = 0; /* iniparser refuses the file: not a question of values */
            continue;
        }
        memcpy(line + have, text + start, n);
        have += n;
        while (have > 0 && isspace((unsigned char)line[have - 1]))
            have--;
        if (have > 0 && line[have - 1] == '\\' && pos < len) {
            have--; /* a continuation: the next line goes where the '\' was */
            continue;
        }
        line[have] = 0;
        have = 0;
        char *l = line;
        while (isspace((unsigned char)*l))
            l++;
        if (!*l || *l == ';' || *l == '#')
            continue;
        size_t ll = strlen(l);
        if (*l == '[' && l[ll - 1] == ']') {
            copy_stripped(sec, sizeof sec, l + 1, ll - 2);
            for (char *c = sec; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq)
            continue;
        enum ini_value_fault f = ini_value(eq + 1, written, sizeof written, read, sizeof read);
        if (f == INI_VALUE_OK)
            continue;
        char key[LINE + 1], why[600];
        copy_stripped(key, sizeof key, l, (size_t)(eq - l));
        ini_value_why(why, sizeof why, f, key, written, read);
        snprintf(err, errlen, "%s:%d: [%s] %s = \"%.60s\": %s", name, first, sec, key, written,
                 why);
        return -1;
    }
    return 0;
}
