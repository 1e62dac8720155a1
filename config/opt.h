/* opt — the command lines of meltcon and meltsim, on getopt_long.
 *
 * One loop for every parser (the programs, the verbs, meltsim's subverbs),
 * so that they all behave alike: --opt=value and --opt value, -c FILE and
 * -cFILE, `--` ends the options, a negative number (-5, -0.5) where an
 * argument is expected is an argument and not an option, and every mistake
 * (an unknown or ambiguous option, a value missing or not wanted, one
 * argument too many) is a sentence for the caller to print with its usage
 * before anything has started.
 */
#ifndef MELTCON_OPT_H
#define MELTCON_OPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct opt_spec {
    const char *shortopts;         /* getopt's letters, e.g. "c:hV" (no leading + or :) */
    const struct option *longopts; /* ends in a zero row; flag pointers unused (NULL) */
    bool stop_at_arg;              /* stop at the first argument: a verb follows */
    /* Take option `val` (its argument or NULL): 0, or -1 with a sentence
     * in err (a bad value).  Called in command-line order. */
    int (*take)(void *ctx, int val, const char *arg, char *err, size_t errlen);
    void *ctx;
};

/* Parse argv[1..argc-1].  The arguments that are not options go to
 * pos[0..maxpos-1] (*npos of them); with stop_at_arg the parse ends at the
 * first one instead.  Returns the index of the first argument left
 * (argc when none is), or -1 with a sentence in err. */
int opt_parse(const struct opt_spec *s, int argc, char **argv, const char **pos, int maxpos,
              int *npos, char *err, size_t errlen);

#endif
