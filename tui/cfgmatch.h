/* cfgmatch — a console's limits are the server's.
 *
 * The console and the verbs read a config file of their own for the static
 * facts they show or check: units, alarm limits and texts, permissive
 * limits, loop setpoint ranges.  The server controls with the file it
 * loaded, and the two can differ (another -c, an edited file, another
 * user's copy).  The server's `hello` carries its config path and the
 * SHA-256 of the bytes it loaded; a program that shows or checks local
 * config facts compares that digest with its own file's and, when they
 * differ, refuses with a sentence naming both files.  The same bytes under
 * another path are the same facts, and pass.
 *
 * The rule, verb by verb (cfgmatch_verb_needs):
 *   attach (the console): refused on a mismatch; its screens and dialogs
 *     draw and check with local limits, units and alarm texts;
 *   status: refused; it prints local units and the PLC address;
 *   set, tune, cmd, ack, shelve, unshelve, oos, wet, phase, confirm,
 *     journal, export, stop: proceed; they send one
 *     request and print the server's reply, and the server checks the
 *     request with its own file (the local file only finds the socket);
 *   server: starts a server with the file given; nothing to compare.
 */
#ifndef MELTCON_CFGMATCH_H
#define MELTCON_CFGMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "snap.h"

/* 0 when the server said it controls with the bytes of *c; -1 with the
 * sentence in err otherwise (a different file, the same file changed since
 * the server loaded it, or a server that does not send a digest).  `who`
 * starts the sentence ("this console", "meltcon status"); `verb` ends the
 * command it suggests ("" for the console, "status"). */
int cfgmatch_check(const struct cfg *c, const struct snap_hello *h, const char *who,
                   const char *verb, char *err, size_t errlen);

/* True when the verb shows or checks local config facts and so must be
 * refused on a mismatch (the rule above). */
bool cfgmatch_verb_needs(const char *verb);

#endif
