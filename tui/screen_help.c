/* screen_help — every key, from the key tables: the global bindings
 * (keys.c) and each screen's own (screens.h).  Write keys a viewer cannot
 * use are marked.  A row longer than the terminal is wrapped (its
 * continuation indented under the text), never cut; Up/Down scroll by
 * screen rows.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "screens.h"

#define HELP_LINE 400

/* Row r of the help text into buf (*sev its severity); false past the end. */
static bool help_row(const struct ui *u, int r, bool viewer, char *buf, enum wg_sev *sev)
{
    *sev = SEV_NONE;
    buf[0] = 0;
    int n, k = 0;
    const struct key_binding *kb = keys_table(&n);
    if (r == k++) {
        snprintf(buf, HELP_LINE, " Keys everywhere (Esc then a digit works as that F-key):");
        return true;
    }
    for (int i = 0; i < n; i++)
        if (r == k++) {
            char both[24];
            snprintf(both, sizeof both, "%s%s%s", kb[i].key_name, kb[i].alias ? " / " : "",
                     kb[i].alias ? kb[i].alias_name : "");
            snprintf(buf, HELP_LINE, "   %-14s %s", both, kb[i].help);
            return true;
        }
    for (int s = 0; s < SCR_COUNT; s++) {
        const struct screen *sc = screen_get((enum screen_id)s);
        if (!sc->nkeys)
            continue;
        if (r == k++)
            return true;
        if (r == k++) {
            snprintf(buf, HELP_LINE, " %s:", sc->title);
            return true;
        }
        for (int i = 0; i < sc->nkeys; i++)
            if (r == k++) {
                snprintf(buf, HELP_LINE, "   %-14s %s%s", sc->keys[i].key, sc->keys[i].help,
                         sc->keys[i].write && viewer ? "  (unavailable: you are a viewer)" : "");
                if (sc->keys[i].write && viewer)
                    *sev = SEV_NOTE;
                return true;
            }
    }
    if (r == k++)
        return true;
    if (r == k++) {
        snprintf(buf, HELP_LINE,
                 " Signs: !! critical, ! high or lower; HH H L LL alarm limits; BAD, COMMS, "
                 "STALE + age: not a live value; FO first out of its group; SHED a loop "
                 "dropped to MAN by a bad PV, until put back;");
        return true;
    }
    if (r == k++) {
        snprintf(buf, HELP_LINE,
                 "        bars: %s setpoint, %s alarm limit, %s no good value.  NO_COLOR, "
                 "--mono, --ascii are honoured.",
                 u->g->sp, u->g->lim, u->g->nodata);
        return true;
    }
    return false;
}

/* Every row of the help, wrapped to the terminal's width: display row d
 * (from 0) into the cursor when it is in [first, first + height); returns
 * how many display rows there are. */
static int help_walk(struct ui *u, int first, bool draw_it)
{
    bool viewer = u->cl->have_hello && !strcmp(u->cl->hello.role, "viewer");
    char buf[HELP_LINE];
    enum wg_sev sev;
    int d = 0;
    for (int r = 0; help_row(u, r, viewer, buf, &sev); r++) {
        struct wg_lines l = {.n = 0};
        if (!buf[0]) {
            l.n = 1;
            l.line[0][0] = 0;
        } else {
            /* the continuation goes under the text, after the key column */
            int indent = buf[0] == ' ' && buf[1] == ' ' ? 18 : 8;
            int w = u->cols - 1 - indent;
            wg_fit(l.line[0], WG_LINE, buf, u->cols - 1, false);
            l.n = 1;
            const char *rest = buf + strlen(l.line[0]);
            if (*rest) {
                /* break the first row at a blank */
                char *sp = strrchr(l.line[0], ' ');
                if (sp && sp > l.line[0] + indent) {
                    rest = buf + (sp - l.line[0]);
                    *sp = 0;
                }
                wg_wrap(&l, rest, w, WG_MAX_LINES - 1, SEV_NONE);
                for (int k = 1; k < l.n; k++) {
                    char tmp[WG_LINE];
                    snprintf(tmp, sizeof tmp, "%*s%s", indent, "", l.line[k]);
                    memcpy(l.line[k], tmp, WG_LINE);
                }
            }
        }
        for (int k = 0; k < l.n; k++, d++) {
            if (!draw_it || d < first || d >= first + u->height)
                continue;
            screen_row(u, d - first);
            screen_add(u, sev, "%s", l.line[k]);
            screen_eol(u);
        }
    }
    return d;
}

static void draw(struct ui *u)
{
    int *first = &u->scroll[SCR_HELP];
    int total = help_walk(u, 0, false);
    int max_first = total - u->height;
    if (*first > max_first)
        *first = max_first > 0 ? max_first : 0;
    help_walk(u, *first, true);
    screen_blank_from(u, total - *first < u->height ? total - *first : u->height);
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
