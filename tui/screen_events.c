/* screen_events — the journal and audit trail as this console received it.
 *
 * The server sends the journal's tail on connect and every new line after;
 * the newest line is at the bottom.  Four filters, each its own field and
 * all shown on the first row (view_journal_match): / any text, u a user,
 * T a tag (t is the trends screen everywhere), s since a time (UTC, as the
 * lines' stamps); x clears them all.
 * Up/PgUp scroll back, End follows the newest again.  Nothing is cut
 * without a way to read it: Left/Right scroll every line sideways (a line
 * that goes on past the right edge ends in '>'), and Enter shows the
 * lowest line on the screen (marked '>' at the left) whole.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screens.h"
#include "view.h"

/* The dialog of each filter field; the console stores what is typed by
 * the target (console.c events_filter). */
static const struct {
    int key;
    const char *field, *title;
} fields[] = {
    {'/', "text", "Show only journal lines containing (empty: all)"},
    {'u', "user", "Show only the lines of user (empty: every user)"},
    {'T', "tag", "Show only the lines about tag, loop or alarm (empty: all)"},
    {'s', "since", "Since: -30m, -2h, -1d, HH:MM or YYYY-MM-DD HH:MM (UTC; empty: all)"},
};

static void initial(const struct ui *u, const char *field, char *buf, size_t n)
{
    const struct view_jfilter *f = &u->jf;
    buf[0] = 0;
    if (!strcmp(field, "since")) {
        time_t t = (time_t)f->since;
        struct tm tm;
        if (f->has_since && gmtime_r(&t, &tm))
            strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
        return;
    }
    snprintf(buf, n, "%s",
             !strcmp(field, "user")  ? f->user
             : !strcmp(field, "tag") ? f->tag
                                     : f->text);
}

/* The first row: the count and every filter that is set. */
static void head(struct ui *u, int total)
{
    const struct view_jfilter *f = &u->jf;
    screen_row(u, 0);
    screen_add(u, SEV_NONE, " Journal: %d lines", u->cl->j_count);
    bool any = f->text[0] || f->user[0] || f->tag[0] || f->has_since;
    if (any) {
        screen_add(u, SEV_NONE, "  filter");
        if (f->text[0])
            screen_add(u, SEV_NOTE, " text \"%s\"", f->text);
        if (f->user[0])
            screen_add(u, SEV_NOTE, " user %s", f->user);
        if (f->tag[0])
            screen_add(u, SEV_NOTE, " tag %s", f->tag);
        if (f->has_since) {
            char when[32];
            initial(u, "since", when, sizeof when);
            screen_add(u, SEV_NOTE, " since %s", when);
        }
        screen_add(u, SEV_NONE, ": %d match (x clears)", total);
    }
    if (u->scroll[SCR_EVENTS])
        screen_add(u, SEV_NONE, "  (back %d; End follows)", u->scroll[SCR_EVENTS]);
    if (u->hscroll)
        screen_add(u, SEV_NONE, "  (from column %d; Left scrolls back)", u->hscroll + 1);
    screen_eol(u);
}

/* s without its first `skip` cells (code points). */
static const char *skip_cells(const char *s, int skip)
{
    while (*s && skip > 0) {
        s++;
        while ((((unsigned char)*s) & 0xC0) == 0x80)
            s++;
        skip--;
    }
    return s;
}

/* The lowest line shown (what Enter opens), as draw() picks it. */
static const char *lowest(const struct ui *u)
{
    const struct client *cl = u->cl;
    const char *last = NULL;
    int skip = u->scroll[SCR_EVENTS];
    for (int i = cl->j_count - 1; i >= 0; i--) {
        const char *line = client_journal(cl, i);
        if (!view_journal_match(line, &u->jf))
            continue;
        if (skip-- == 0) {
            last = line;
            break;
        }
    }
    return last;
}

static void draw(struct ui *u)
{
    const struct client *cl = u->cl;
    int rows = u->height - 1, total = 0;
    for (int i = 0; i < cl->j_count; i++)
        if (view_journal_match(client_journal(cl, i), &u->jf))
            total++;
    int *back = &u->scroll[SCR_EVENTS];
    if (*back > total - rows)
        *back = total - rows > 0 ? total - rows : 0;
    head(u, total);
    int skip = total - rows - *back, k = 0, y = 1;
    for (int i = 0; i < cl->j_count && y <= rows; i++) {
        const char *line = client_journal(cl, i);
        if (!view_journal_match(line, &u->jf))
            continue;
        if (k++ < skip)
            continue;
        screen_row(u, y);
        const char *rest = skip_cells(line, u->hscroll);
        bool more = wg_width(rest) > u->cols - 2;
        screen_add(u, SEV_NONE, "%s", y == rows || (y == total && total <= rows) ? ">" : " ");
        u->xmax = u->cols - (more ? 1 : 0);
        screen_add(u, SEV_NONE, "%s", rest);
        u->xmax = u->cols;
        if (more)
            screen_add(u, SEV_NOTE, ">");
        screen_eol(u);
        y++;
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
    case KEY_RIGHT:
        u->hscroll += 20;
        if (u->hscroll > 400)
            u->hscroll = 400;
        return true;
    case KEY_LEFT:
        u->hscroll = u->hscroll > 20 ? u->hscroll - 20 : 0;
        return true;
    case '\n': {
        const char *line = lowest(u);
        if (line)
            screen_detail(u, "journal line", "%s", line);
        else
            screen_msg(u, SEV_NONE, "No journal line to show");
        return true;
    }
    case 'x':
        memset(&u->jf, 0, sizeof u->jf);
        *back = 0;
        return true;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (ch != fields[i].key)
            continue;
        struct dialog_spec s = {.kind = DV_TEXT};
        snprintf(s.title, sizeof s.title, "%s", fields[i].title);
        snprintf(s.target, sizeof s.target, "%s", fields[i].field);
        initial(u, fields[i].field, s.initial, sizeof s.initial);
        screen_dialog(u, &s);
        return true;
    }
    return false;
}

static const struct screen_key keys[] = {
    {"/", "text", "filter: only lines containing a text", false},
    {"u", "user", "filter: only the lines of a user", false},
    {"T", "tag", "filter: only lines about a tag, loop or alarm (bath: bath.sp too)", false},
    {"s", "since", "filter: only lines since -30m, -2h, -1d, HH:MM or a date (UTC)", false},
    {"x", "clear", "clear every filter", false},
    {"Up/PgUp", "back", "scroll back", false},
    {"End", "follow", "follow the newest line", false},
    {"Left/Right", "sideways", "scroll the lines sideways (a line cut at the edge ends in >)", false},
    {"Enter", "whole", "show the lowest line (marked >) whole", false},
};

const struct screen screen_events = {
    .name = "events",
    .title = "Events",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
