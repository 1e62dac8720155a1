/* cfgmatch — compare the server's config digest with this program's (see
 * cfgmatch.h for the rule, verb by verb).
 */
#include "cfgmatch.h"

#include <stdio.h>
#include <string.h>

/* Verbs that may proceed on a mismatch: they send one request and print
 * the server's reply, and the server judges the request with its own file. */
static const char *const server_only[] = {
    "set", "cmd", "ack", "shelve", "journal", "export", "stop", "server",
    "tune", "unshelve", "oos", "wet", "phase", "confirm",
};

bool cfgmatch_verb_needs(const char *verb)
{
    for (size_t i = 0; i < sizeof server_only / sizeof server_only[0]; i++)
        if (!strcmp(server_only[i], verb))
            return false;
    return true;
}

int cfgmatch_check(const struct cfg *c, const struct snap_hello *h, const char *who,
                   const char *verb, char *err, size_t errlen)
{
    if (!*h->config_sha256) {
        snprintf(err, errlen,
                 "%s read %s, but the server for %s (pid %ld) does not say which configuration "
                 "it controls with (it is older than this meltcon): limits shown might not be "
                 "the server's; restart the server with this version of meltcon",
                 who, c->path, h->furnace, h->server_pid);
        return -1;
    }
    if (!strcmp(h->config_sha256, c->sha256))
        return 0;
    if (!strcmp(h->config, c->path)) {
        snprintf(err, errlen,
                 "%s read %s, but the server for %s controls with that file as it was when the "
                 "server started (it has changed since): limits shown would not be the server's; "
                 "check the file (meltcon check-config %s) and restart the server to load it, "
                 "or undo the change",
                 who, c->path, h->furnace, c->path);
        return -1;
    }
    if (!*h->config) {
        snprintf(err, errlen,
                 "%s read %s but the server for %s controls with a different file it does not "
                 "name: limits shown would not be the server's; run meltcon -c with the "
                 "server's config file",
                 who, c->path, h->furnace);
        return -1;
    }
    snprintf(err, errlen,
             "%s read %s but the server for %s controls with %s (a different file): limits "
             "shown would not be the server's; run meltcon -c %s%s%s",
             who, c->path, h->furnace, h->config, h->config, *verb ? " " : "", verb);
    return -1;
}
