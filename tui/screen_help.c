/* screen_help — every key, from the key tables: the global bindings
 * (keys.c) and each screen's own (screens.h).  Write keys a viewer cannot
 * use are marked.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "screens.h"

/* Row r of the help text into the cursor; false past the end. */
static bool help_row(struct ui *u, int r, bool viewer)
{
    int n, k = 0;
    const struct key_binding *kb = keys_table(&n);
    if (r == k++) {
        screen_add(u, SEV_NONE, " Keys everywhere (Esc then a digit works as that F-key):");
        return true;
    }
    for (int i = 0; i < n; i++)
        if (r == k++) {
            char both[24];
            snprintf(both, sizeof both, "%s%s%s", kb[i].key_name, kb[i].alias ? " / " : "",
                     kb[i].alias ? kb[i].alias_name : "");
            screen_add(u, SEV_NONE, "   %-14s %s", both, kb[i].help);
            return true;
        }
    for (int s = 0; s < SCR_COUNT; s++) {
        const struct screen *sc = screen_get((enum screen_id)s);
        if (!sc->nkeys)
            continue;
        if (r == k++)
            return true;
        if (r == k++) {
            screen_add(u, SEV_NONE, " %s:", sc->title);
            return true;
        }
        for (int i = 0; i < sc->nkeys; i++)
            if (r == k++) {
                screen_add(u, SEV_NONE, "   %-14s %s", sc->keys[i].key, sc->keys[i].help);
                if (sc->keys[i].write && viewer)
                    screen_add(u, SEV_NOTE, "  (unavailable: you are a viewer)");
                return true;
            }
    }
    if (r == k++)
        return true;
    if (r == k++) {
        screen_add(u, SEV_NONE,
                   " Signs: !! critical, ! high or lower; HH H L LL alarm limits; BAD, COMMS, "
                   "STALE + age: not a live value;");
        return true;
    }
    if (r == k++) {
        screen_add(u, SEV_NONE,
                   "        bars: %s setpoint, %s alarm limit, %s no good value.  NO_COLOR, "
                   "--mono, --ascii are honoured.",
                   u->g->sp, u->g->lim, u->g->nodata);
        return true;
    }
    return false;
}

/* Rows help_row() has: the global keys, each screen's keys, the signs. */
static int help_total(void)
{
    int n, total = 1 + 3;
    keys_table(&n);
    total += n;
    for (int s = 0; s < SCR_COUNT; s++) {
        const struct screen *sc = screen_get((enum screen_id)s);
        if (sc->nkeys)
            total += 2 + sc->nkeys;
    }
    return total;
}

static void draw(struct ui *u)
{
    bool viewer = u->cl->have_hello && !strcmp(u->cl->hello.role, "viewer");
    int y = 0, *first = &u->scroll[SCR_HELP];
    int max_first = help_total() - u->height;
    if (*first > max_first)
        *first = max_first > 0 ? max_first : 0;
    for (int r = *first; y < u->height; r++) {
        screen_row(u, y);
        bool more = help_row(u, r, viewer);
        screen_eol(u);
        y++;
        if (!more)
            break;
    }
    screen_blank_from(u, y);
}

static bool key(struct ui *u, int ch)
{
    int *first = &u->scroll[SCR_HELP];
    if (ch == KEY_DOWN || ch == KEY_NPAGE) {
        *first += ch == KEY_DOWN ? 1 : u->height - 1;
        return true;
    }
    if (ch == KEY_UP || ch == KEY_PPAGE || ch == KEY_HOME) {
        *first -= ch == KEY_UP ? 1 : ch == KEY_HOME ? *first : u->height - 1;
        if (*first < 0)
            *first = 0;
        return true;
    }
    return false;
}

static const struct screen_key keys[] = {
    {"Up/Down PgUp/PgDn", "scroll", "scroll this help", false},
};

const struct screen screen_help = {
    .name = "help",
    .title = "Help",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
