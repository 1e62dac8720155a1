/* plcplan — the read plan of a config's register map, for `make bench`:
 * how many Modbus transactions one read cycle takes (plc_plan_build,
 * plc_plan_count) against the tags it reads (one transaction per tag being
 * the naive way).  Every tag is read, holding registers and coils too (the
 * outputs are read back).
 *
 *   plcplan [CONFIG]
 *
 * Prints three lines (per table: ir, hr, di, co):
 *   tags N: ir a, hr b, di c, co d
 *   blocks N: ir a, hr b, di c, co d (the link's default gaps taken in)
 *   blocks_nogap N: ir a, hr b, di c, co d (no gaps: ...)
 * the last being the plan the link ends up with when the PLC refuses every
 * block that reads unmapped addresses (meltsim does: it re-plans that table).
 * Exit 0, or 1 with the config's errors (2 on a usage mistake).
 */
#include <stdio.h>

#include "cfg.h"
#include "plc_link.h"
#include "tag.h"

static const char *const table_names[PLC_TABLES] = {
    [TAG_IR] = "ir",
    [TAG_HR] = "hr",
    [TAG_DI] = "di",
    [TAG_CO] = "co",
};

/* "ir a, hr b, di c, co d" for the counts n[table]. */
static void print_tables(const int *n)
{
    for (int t = 0; t < PLC_TABLES; t++)
        printf("%s%s %d", t ? ", " : "", table_names[t], n[t]);
}

static void print_plan(const char *label, const struct plc_plan *p, const char *note)
{
    int n[PLC_TABLES];
    for (int t = 0; t < PLC_TABLES; t++)
        n[t] = plc_plan_count(p, t);
    printf("%s %d: ", label, plc_plan_count(p, -1));
    print_tables(n);
    printf(" (%s)\n", note);
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: plcplan [CONFIG]\n");
        return 2;
    }
    static struct cfg c;
    static struct cfg_errors errs;
    const char *file = cfg_default_path(argc == 2 ? argv[1] : NULL);
    if (cfg_load(file, &c, &errs) < 0) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.e[i].text);
        return 1;
    }
    int ntags[PLC_TABLES] = {0};
    for (int i = 0; i < c.ntags; i++)
        ntags[c.tags[i].table]++;
    printf("tags %d: ", c.ntags);
    print_tables(ntags);
    printf("\n");

    static struct plc_plan p;
    plc_plan_build(&p, &c, NULL);
    print_plan("blocks", &p, "the link's default gaps taken in");
    static const int no_gap[PLC_TABLES] = {0};
    plc_plan_build(&p, &c, no_gap);
    print_plan("blocks_nogap", &p, "no gaps: for a PLC that refuses unmapped addresses");
    return 0;
}
