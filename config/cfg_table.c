/* cfg_table — the schema machinery for another INI file than the furnace's: the same
 * line scan, value parsers, "did you mean" and sentences (FILE:LINE: [SECTION] KEY =
 * "VALUE": what was expected), over a caller's table of sections and keys filling the
 * caller's struct.  Used by the exercise expectations of a scenario file (exercise.c). */
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

static int by_line(const void *a, const void *b)
{
    int la = ((const struct cfg_error *)a)->line, lb = ((const struct cfg_error *)b)->line;
    if (la == 0)
        la = 1 << 30;
    if (lb == 0)
        lb = 1 << 30;
    return (la > lb) - (la < lb);
}

int cfg_table_load_text(const char *name, const char *text, size_t len,
                        const struct cfg_section *table, size_t ntable, void *base,
                        void (*check)(struct cfg_ctx *x), struct cfg_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    struct cfg_ctx x = {.file = name, .errs = errs, .table = table, .ntable = ntable,
                        .base = base};
    cfg_scan_text(&x, text, len);
    if (x.sc.syntax_errors == 0 && !x.sc.no_memory)
        for (int i = 0; i < x.sc.nsecs; i++)
            cfg_load_section(&x, i);
    if (check && x.sc.syntax_errors == 0 && !x.sc.no_memory)
        check(&x);
    qsort(errs->e, (size_t)errs->n, sizeof errs->e[0], by_line);
    cfg_scan_free(&x.sc);
    return errs->n || errs->dropped ? -1 : 0;
}
