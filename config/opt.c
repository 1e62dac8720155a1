/* opt — one getopt_long loop for every command line (see opt.h).
 *
 * getopt_long runs in REQUIRE_ORDER mode ("+"): it stops at each argument
 * that is not an option, and this loop takes the argument and carries on
 * after it, so arguments and options may come in any order while
 * getopt never permutes argv.  Before each option the loop looks at what
 * comes next: a negative number is an argument (`meltcon set pressure.sp
 * -5`, `meltsim inject tc_drift roof_temp -4`); an option that wants a
 * value takes the next word whatever it looks like (`--since -1h`).
 * getopt keeps state between calls; opt_reset() starts it afresh on a
 * one-word vector so that every parse begins clean.
 */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

/* A fresh getopt: optind = 0 asks glibc to reinitialise, which it does on
 * the next call; make that call on a vector with nothing to parse. */
static void opt_reset(const char *optstring, const struct option *longopts)
{
    char name[] = "opt";
    char *none[] = {name, NULL};
    optind = 0;
    opterr = 0;
    (void)getopt_long(1, none, optstring, longopts, NULL);
}

/* "-5", "-2.5": a negative number (input.h's rule), not an option. */
static bool negative_number(const char *s)
{
    double v;
    return s[0] == '-' && input_number(s, &v, NULL, 0) == 0;
}

/* The long option named in "--name[=value]", or NULL. */
static const struct option *long_named(const struct option *lo, const char *word)
{
    size_t n = strcspn(word + 2, "=");
    for (; lo && lo->name; lo++)
        if (strlen(lo->name) == n && !strncmp(lo->name, word + 2, n))
            return lo;
    return NULL;
}

/* How many long options start with `part`. */
static int prefix_of(const struct option *lo, const char *part)
{
    int n = 0;
    for (; lo && lo->name; lo++)
        n += !strncmp(lo->name, part, strlen(part));
    return n;
}

/* The sentence for getopt's '?' or ':' on `word`, the word it was reading. */
static int mistake(const struct opt_spec *s, int ch, const char *word, char *err, size_t errlen)
{
    char shown[64];
    bool is_long = !strncmp(word, "--", 2);
    if (is_long)
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(word, "="), word);
    else
        snprintf(shown, sizeof shown, "-%c", optopt ? optopt : word[1]);
    if (ch == ':')
        snprintf(err, errlen, "option %s needs a value", shown);
    else if (is_long && strchr(word, '=') && long_named(s->longopts, word))
        snprintf(err, errlen, "option %s takes no value", shown);
    else if (is_long && prefix_of(s->longopts, shown + 2) > 1)
        snprintf(err, errlen, "ambiguous option \"%s\": write it out", shown);
    else
        snprintf(err, errlen, "unknown option \"%s\"", shown);
    return -1;
}

static int take_arg(const char *arg, const char **pos, int maxpos, int *npos, char *err,
                    size_t errlen)
{
    if (*npos >= maxpos) {
        snprintf(err, errlen, "one argument too many: \"%s\"", arg);
        return -1;
    }
    pos[(*npos)++] = arg;
    return 0;
}

int opt_parse(const struct opt_spec *s, int argc, char **argv, const char **pos, int maxpos,
              int *npos, char *err, size_t errlen)
{
    char optstring[64];
    snprintf(optstring, sizeof optstring, "+:%s", s->shortopts);
    opt_reset(optstring, s->longopts);
    optind = 1;
    *npos = 0;
    while (optind < argc) {
        int before = optind;
        if (!s->stop_at_arg && negative_number(argv[optind])) {
            if (take_arg(argv[optind++], pos, maxpos, npos, err, errlen) < 0)
                return -1;
            continue;
        }
        int ch = getopt_long(argc, argv, optstring, s->longopts, NULL);
        if (ch == -1) {
            bool dashdash = optind > before; /* what follows "--" are arguments */
            if (s->stop_at_arg)
                return optind;
            do {
                if (optind < argc && take_arg(argv[optind++], pos, maxpos, npos, err, errlen) < 0)
                    return -1;
            } while (dashdash && optind < argc);
            continue;
        }
        if (ch == '?' || ch == ':')
            return mistake(s, ch, argv[before], err, errlen);
        if (s->take(s->ctx, ch, optarg, err, errlen) < 0)
            return -1;
    }
    return argc;
}
