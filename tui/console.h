/* console — the operator console: the terminal, the main loop, the frame.
 *
 * console_main() is what `meltcon` (attach) calls once it has the config and
 * the server's socket path.  The console is a client of the server and never
 * talks to the PLC: it polls the server socket and the keyboard, draws at most
 * 4 frames a second (a key is answered at once), builds each frame into the
 * same window so ncurses sends only the cells that changed, re-lays out at
 * once on SIGWINCH, shows a "too small" notice below 80x24, and restores the
 * terminal on exit, on SIGTERM/SIGINT/SIGHUP and on crash signals.
 *
 * Options (anywhere in argv after argv[0]):
 *   --mono              no colour (also when NO_COLOR is set and not empty)
 *   --ascii             no UTF-8 line drawing (also when the locale is not UTF-8)
 *   --screen NAME       start on overview|loops|commands|alarms|trends|events|diag|help
 *   --socket PATH       the server's socket (overrides socket_path)
 *   --bench-seconds N   leave after N seconds (make bench counts the bytes written)
 */
#ifndef MELTCON_CONSOLE_H
#define MELTCON_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

struct console_opts {
    bool mono, ascii;
    int screen;         /* enum screen_id to start on */
    const char *socket; /* NULL: the caller's socket_path */
    double bench_s;     /* > 0: leave after this many seconds */
};

/* Parse the options above from argv[1..argc-1].  Returns 0, or -1 with a
 * sentence in err (unknown option, missing or bad value). */
int console_parse(int argc, char **argv, struct console_opts *o, char *err, size_t errlen);

/* The options' help text, one option a line. */
const char *console_usage(void);

/* Run the console until the operator quits or a signal ends it.  Returns 0,
 * 1 when stdin/stdout is not a terminal (with a sentence on stderr), or
 * 128 + the signal that ended it. */
int console_run(const struct cfg *c, const char *socket_path, const struct console_opts *o);

/* Parse then run; 2 on a bad option (usage on stderr). */
int console_main(int argc, char **argv, const struct cfg *c, const char *socket_path);

#endif
