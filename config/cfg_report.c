/* cfg_report — how the loader reports: one error record per mistake, each
 * sentence naming the file, line, section, key and value, and the "did you
 * mean" suggestion for a misspelt name.  Writes only into the caller's
 * struct cfg_errors; no I/O.
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Record one mistake.  The sentence starts "FILE:LINE: [SECTION] KEY =
 * "VALUE": " as far as those are known, then the message. */
void cfg_err(struct cfg_ctx *x, int line, const char *sec, const char *key, const char *val,
             const char *fmt, ...)
{
    if (x->errs->n >= CFG_MAX_ERRORS) {
        x->errs->dropped++;
        return;
    }
    struct cfg_error *e = &x->errs->e[x->errs->n++];
    e->line = line;
    str_copy(e->section, sizeof e->section, sec);
    str_copy(e->key, sizeof e->key, key);
    str_copy(e->value, sizeof e->value, val);

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
void cfg_suggest(char *out, size_t n, const char *word, const char *const *cands, size_t ncand)
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
