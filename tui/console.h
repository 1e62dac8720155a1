/* console — the operator console: the terminal, the main loop, the frame.
 *
 * console_run() is what `meltcon` (attach) calls once it has the config and
 * the server's socket path.  The console is a client of the server and never
 * talks to the PLC: it polls the server socket and the keyboard, draws at most
 * 4 frames a second (a key is answered at once), builds each frame into the
 * same window so ncurses sends only the cells that changed, re-lays out at
 * once on SIGWINCH, shows a "too small" notice below 80x24, and restores the
 * terminal on exit, on SIGTERM/SIGINT/SIGHUP and on crash signals.
 *
 * Options (parsed by meltcon's getopt_long with its own, tui/main.c):
 *   --mono              no colour (also when NO_COLOR is set and not empty)
 *   --ascii             no UTF-8 line drawing (also when the locale is not UTF-8)
 *   --screen=NAME       start on overview|loops|commands|alarms|trends|events|diag|help
 *   --socket=PATH       the server's socket (overrides socket_path)
 *   --bench-seconds=N   leave after N seconds (make bench counts the bytes written)
 */
#ifndef MELTCON_CONSOLE_H
#define MELTCON_CONSOLE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

struct console_opts {
    bool mono, ascii;
    int screen;         /* enum screen_id to start on */
    const char *socket; /* NULL: the caller's socket_path */
    double bench_s;     /* > 0: leave after this many seconds */
};

/* The options above for getopt_long (ending in a zero row); their codes
 * are CONSOLE_OPT_BASE and up, clear of any letter. */
#define CONSOLE_OPT_BASE 0x200
extern const struct option console_options[];

void console_opts_init(struct console_opts *o);

/* Apply option `code` with its argument (NULL for a flag): 0, or -1 with a
 * sentence in err (a bad value). */
int console_option(struct console_opts *o, int code, const char *arg, char *err, size_t errlen);

/* The options' help text, one option a line. */
const char *console_usage(void);

/* Run the console until the operator quits or a signal ends it.  Returns 0,
 * 1 when stdin/stdout is not a terminal (with a sentence on stderr), or
 * 128 + the signal that ended it. */
int console_run(const struct cfg *c, const char *socket_path, const struct console_opts *o);

#endif
