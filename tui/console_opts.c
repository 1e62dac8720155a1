/* console_opts — the console's own command-line options (--mono, --ascii,
 * --screen, --socket, --bench-seconds): their table for config/opt.c's
 * getopt_long loop, their usage text and how each is checked. */
#include "console.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "screens.h"

const char *console_usage(void)
{
    return "  --mono             no colour (also when NO_COLOR is set)\n"
           "  --ascii            plain ASCII, no UTF-8 line drawing\n"
           "  --screen=NAME      start on overview, loops, commands, alarms, trends,\n"
           "                     events, diag or help\n"
           "  --socket=PATH      the server's socket\n"
           "  --bench-seconds=N  leave after N seconds (benchmarks)\n";
}

enum { CO_MONO = CONSOLE_OPT_BASE, CO_ASCII, CO_SCREEN, CO_SOCKET, CO_BENCH };

const struct option console_options[] = {
    {"mono", no_argument, NULL, CO_MONO},
    {"ascii", no_argument, NULL, CO_ASCII},
    {"screen", required_argument, NULL, CO_SCREEN},
    {"socket", required_argument, NULL, CO_SOCKET},
    {"bench-seconds", required_argument, NULL, CO_BENCH},
    {NULL, 0, NULL, 0},
};

void console_opts_init(struct console_opts *o)
{
    memset(o, 0, sizeof *o);
}

int console_option(struct console_opts *o, int code, const char *arg, char *err, size_t errlen)
{
    char shown[INPUT_SHOW_SIZE];
    switch (code) {
    case CO_MONO:
        o->mono = true;
        return 0;
    case CO_ASCII:
        o->ascii = true;
        return 0;
    case CO_SOCKET:
        o->socket = arg;
        return 0;
    case CO_SCREEN:
        o->screen = screen_by_name(arg);
        if (o->screen >= 0)
            return 0;
        input_show(shown, sizeof shown, arg);
        snprintf(err, errlen,
                 "--screen \"%s\": expected overview, loops, commands, alarms, trends, events, "
                 "diag or help",
                 shown);
        return -1;
    case CO_BENCH:
        if (input_number(arg, &o->bench_s, NULL, 0) == 0 && o->bench_s > 0 && o->bench_s <= 86400)
            return 0;
        input_show(shown, sizeof shown, arg);
        snprintf(err, errlen,
                 "--bench-seconds \"%s\": expected seconds, more than 0 and at most 86400", shown);
        return -1;
    default:
        snprintf(err, errlen, "not an option of the console");
        return -1;
    }
}
