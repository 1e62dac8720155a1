/* screen_events — the journal and audit trail as this console received it.
 *
 * The server sends the journal's tail on connect and every new line after;
 * the newest line is at the bottom.  / sets a filter (any text: a tag, an
 * alarm, a user, a time), Up/PgUp scroll back, End follows the newest again.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "screens.h"
#include "view.h"

static void draw(struct ui *u)
{
    const struct client *cl = u->cl;
    int rows = u->height - 1, total = 0;
    for (int i = 0; i < cl->j_count; i++)
        if (view_match(client_journal(cl, i), u->filter))
            total++;
    int *back = &u->scroll[SCR_EVENTS];
    if (*back > total - rows)
        *back = total - rows > 0 ? total - rows : 0;
    screen_row(u, 0);
    screen_add(u, SEV_NONE, " Journal: %d lines received", cl->j_count);
    if (u->filter[0])
        screen_add(u, SEV_NOTE, "  filter \"%s\": %d match", u->filter, total);
    if (*back)
        screen_add(u, SEV_NONE, "  (scrolled back %d; End follows)", *back);
    screen_eol(u);
    int skip = total - rows - *back, k = 0, y = 1;
    for (int i = 0; i < cl->j_count && y <= rows; i++) {
        const char *line = client_journal(cl, i);
        if (!view_match(line, u->filter))
            continue;
        if (k++ < skip)
            continue;
        screen_row(u, y++);
        screen_add(u, SEV_NONE, " %s", line);
        screen_eol(u);
    }
    screen_blank_from(u, y);
}

static bool key(struct ui *u, int ch)
{
    int page = u->height - 2, *back = &u->scroll[SCR_EVENTS];
    switch (ch) {
    case KEY_UP:
        (*back)++;
        return true;
    case KEY_DOWN:
        *back = *back > 0 ? *back - 1 : 0;
        return true;
    case KEY_PPAGE:
        *back += page;
        return true;
    case KEY_NPAGE:
        *back = *back > page ? *back - page : 0;
        return true;
    case KEY_END:
        *back = 0;
        return true;
    case '/': {
        struct dialog_spec s = {.kind = DV_TEXT};
        snprintf(s.title, sizeof s.title, "Show only journal lines containing (empty: all)");
        snprintf(s.initial, sizeof s.initial, "%s", u->filter);
        screen_dialog(u, &s);
        return true;
    }
    default:
        return false;
    }
}

static const struct screen_key keys[] = {
    {"/", "filter", "filter: show only lines containing a text (tag, user, time)", false},
    {"Up/PgUp", "back", "scroll back", false},
    {"End", "follow", "follow the newest line", false},
};

const struct screen screen_events = {
    .name = "events",
    .title = "Events",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
