/* test_opt — the one getopt_long loop (config/opt.c): --opt=value and
 * --opt value, clusters, `--`, negative numbers as arguments, and a
 * sentence for every mistake; parsed twice in a row, each parse clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

struct got {
    char text[256]; /* "r=why j f " ... in the order taken */
};

static int take(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
    struct got *g = ctx;
    if (val == 'x') {
        snprintf(err, errlen, "-x is refused");
        return -1;
    }
    size_t n = strlen(g->text);
    snprintf(g->text + n, sizeof g->text - n, "%c%s%s ", val == 0x100 ? 'r' : val, arg ? "=" : "",
             arg ? arg : "");
    return 0;
}

static const struct option lo[] = {
    {"reason", required_argument, NULL, 0x100},
    {"json", no_argument, NULL, 'j'},
    {"foreground", no_argument, NULL, 'f'},
    {"config", required_argument, NULL, 'c'},
    {"xray", no_argument, NULL, 'x'},
    {"follow", no_argument, NULL, 'F'},
    {NULL, 0, NULL, 0},
};

/* Parse the words of `line` (split on spaces; "_" stands for an empty
 * word): the return, the options taken, the arguments, the error. */
static int parse(const char *line, bool stop, struct got *g, char *args, char *err)
{
    static char buf[256];
    char *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "prog %s", line);
    for (char *w = strtok(buf, " "); w && argc < 31; w = strtok(NULL, " "))
        argv[argc++] = strcmp(w, "_") ? w : w + 1;
    argv[argc] = NULL;
    memset(g, 0, sizeof *g);
    struct opt_spec s = {.shortopts = "jfc:x", .longopts = lo, .stop_at_arg = stop, .take = take,
                         .ctx = g};
    const char *pos[3];
    int npos = 0;
    err[0] = 0;
    int rc = opt_parse(&s, argc, argv, pos, 3, &npos, err, 200);
    args[0] = 0;
    for (int i = 0; i < npos; i++)
        sprintf(args + strlen(args), "[%s]", pos[i]);
    return rc < 0 ? -1 : rc == argc ? 0 : rc; /* 0: all parsed, else the index left */
}

static void test_good(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        bool stop;
        int rc;
        const char *taken, *args;
    } cases[] = {
        {"a -5 --reason=x", false, 0, "r=x ", "[a][-5]"},
        {"a --reason x -0.5", false, 0, "r=x ", "[a][-0.5]"},
        {"--reason -1h a", false, 0, "r=-1h ", "[a]"},
        {"--reason= a", false, 0, "r= ", "[a]"},
        {"-jf a", false, 0, "j f ", "[a]"},
        {"-cFILE a", false, 0, "c=FILE ", "[a]"},
        {"-c FILE --json", false, 0, "c=FILE j ", ""},
        {"--jso a", false, 0, "j ", "[a]"},
        {"--fol --fore", false, 0, "F f ", ""},
        {"a -- --json -x", false, 0, "", "[a][--json][-x]"},
        {"-- -j", false, 0, "", "[-j]"},
        {"_ a", false, 0, "", "[][a]"},
        {"- a", false, 0, "", "[-][a]"},
        {"-c f status --json", true, 3, "c=f ", ""},
        {"-c f -- status", true, 4, "c=f ", ""},
        {"--json", true, 0, "j ", ""},
        {"-5", false, 0, "", "[-5]"},
        {"-2.5 a", false, 0, "", "[-2.5][a]"},
        {"-.5", false, 0, "", "[-.5]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        char args[200], err[200];
        int rc = parse(cases[i].line, cases[i].stop, &g, args, err);
        if (rc != cases[i].rc || strcmp(g.text, cases[i].taken) || strcmp(args, cases[i].args)) {
            print_error("\"%s\": rc %d taken \"%s\" args \"%s\" err \"%s\"\n", cases[i].line, rc,
                        g.text, args, err);
            fail();
        }
    }
}

static void test_mistakes(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        bool stop;
        const char *says;
    } cases[] = {
        {"--bogus", false, "unknown option \"--bogus\""},
        {"a --bogus=1", false, "unknown option \"--bogus\""},
        {"-q", false, "unknown option \"-q\""},
        {"-jq", false, "unknown option \"-q\""},
        {"--reason", false, "option --reason needs a value"},
        {"a -c", false, "option -c needs a value"},
        {"--json=yes", false, "option --json takes no value"},
        {"--fo", false, "ambiguous option \"--fo\": write it out"}, /* --foreground, --follow */
        {"--fo=1", false, "ambiguous option \"--fo\": write it out"},
        {"a b c d", false, "one argument too many: \"d\""},
        {"a -- b c d", false, "one argument too many: \"d\""},
        {"-x", false, "-x is refused"},
        {"--bogus status", true, "unknown option \"--bogus\""},
        {"-5", true, "unknown option \"-5\""},
        /* only a decimal number (input.h) is taken for a negative argument */
        {"-0x5", false, "unknown option \"-0\""},
        {"-1e3", false, "unknown option \"-1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        char args[200], err[200];
        int rc = parse(cases[i].line, cases[i].stop, &g, args, err);
        if (rc != -1 || strcmp(err, cases[i].says)) {
            print_error("\"%s\": rc %d err \"%s\", want \"%s\"\n", cases[i].line, rc, err,
                        cases[i].says);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
