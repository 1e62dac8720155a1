/* cli — meltcon's one-shot verbs for maintenance scripts, and attach.
 *
 *   meltcon [-c FILE] server [-f]
 *   meltcon [-c FILE] stop [--reason TEXT]
 *   meltcon [-c FILE] status [--json]
 *   meltcon [-c FILE] set LOOP.sp|LOOP.mode|LOOP.out VALUE --reason TEXT
 *   meltcon [-c FILE] cmd NAME [ARG] [--reason TEXT]
 *   meltcon [-c FILE] ack ALARM|--all
 *   meltcon [-c FILE] shelve ALARM MINUTES --reason TEXT
 *   meltcon [-c FILE] journal [--since T] [--follow] [--verify [--heads FILE]]
 *   meltcon [-c FILE] export --from T --to T [--tags a,b] [--csv]
 *   meltcon [-c FILE] report charge|shift|day [--from T] [--to T] [--csv|--json]
 *   meltcon [-c FILE] debrief --scenario FILE [--from T] [--to T] [--speed X] [--html FILE |
 *                     --progress]
 *   meltcon [-c FILE] [CONSOLE OPTIONS]      attach (start the server if needed)
 *
 * Every verb takes -h/--help (its help on stdout, exit 0); options take
 * --opt=value or --opt value, and `--` ends them (a negative VALUE may
 * also be written as it is).  Every verb but `server` and attach talks to
 * the running server over its socket and starts nothing (report and debrief read the
 * record's files and need no server).  `status` and
 * attach show local config facts and refuse when the server controls with
 * other bytes (cfgmatch.h).  Exit status: 0 with the server's accepted text
 * on stdout; 1 with the server's sentence on stderr when it refused (or
 * there is no server); 2 for a usage mistake.  Times: ISO-8601 local time
 * (2026-11-29T10:00, seconds optional, Z or +HH:MM for another zone), a
 * relative time (-1h, -10m, -30s, -2d), `now`, or @UNIX_SECONDS.
 */
#ifndef MELTCON_CLI_H
#define MELTCON_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "console.h"

/* True when name is one of the verbs above (not check-config). */
bool cli_is_verb(const char *name);

/* Run the verb argv[0] with its arguments.  cfgopt: -c FILE or NULL. */
int cli_main(const char *cfgopt, int argc, char **argv);

/* Attach: make sure the furnace's server runs, then run the console with
 * options o.  A private furnace's server is started detached when none
 * runs; a system furnace's never is (systemd runs it): without it, say so
 * and how to start it, and return 1. */
int cli_attach(const char *cfgopt, const struct console_opts *o);

/* Parse a time argument (see above) relative to `now` (Unix seconds) into
 * *out.  Returns 0, or -1 with a sentence in err. */
int cli_parse_time(const char *s, double now, double *out, char *err, size_t errlen);

/* s as a JSON string with its quotes into dst (always terminated).
 * Returns the length, or -1 when dst is too small (dst then holds "").
 * Control bytes become \n \t ... or \u00XX; other bytes pass as they are
 * (the journal and the config are UTF-8). */
int cli_json_str(char *dst, size_t n, const char *s);

#endif
