/* keys — the global key bindings (see keys.h). */
#include "keys.h"

#include <curses.h>
#include <stdio.h>

#include "screens.h"

#define KEY_ESC 27
#define CTRL(c) ((c)&0x1f)

static const struct key_binding table[] = {
    {.key = KEY_F(1),
     .alias = '?',
     .key_name = "F1",
     .alias_name = "?",
     .act = KA_HELP,
     .screen = SCR_HELP,
     .label = "Help",
     .help = "help: every key (this screen)"},
    {.key = KEY_F(2),
     .alias = 'o',
     .key_name = "F2",
     .alias_name = "o",
     .act = KA_SCREEN,
     .screen = SCR_OVERVIEW,
     .label = "Overview",
     .help = "overview: the furnace at a glance"},
    {.key = KEY_F(3),
     .alias = 'l',
     .key_name = "F3",
     .alias_name = "l",
     .act = KA_SCREEN,
     .screen = SCR_LOOPS,
     .label = "Loops",
     .help = "loops: faceplates, setpoint, mode, output"},
    {.key = KEY_F(4),
     .alias = 'c',
     .key_name = "F4",
     .alias_name = "c",
     .act = KA_SCREEN,
     .screen = SCR_COMMANDS,
     .label = "Commands",
     .help = "commands: READY or BLOCKED and why; issue one"},
    {.key = KEY_F(5),
     .alias = 'a',
     .key_name = "F5",
     .alias_name = "a",
     .act = KA_SCREEN,
     .screen = SCR_ALARMS,
     .label = "Alarms",
     .help = "alarms: acknowledge, shelve"},
    {.key = KEY_F(6),
     .alias = 't',
     .key_name = "F6",
     .alias_name = "t",
     .act = KA_SCREEN,
     .screen = SCR_TRENDS,
     .label = "Trends",
     .help = "trends: pens over 10 min, 1 h, 8 h"},
    {.key = KEY_F(7),
     .alias = 'e',
     .key_name = "F7",
     .alias_name = "e",
     .act = KA_SCREEN,
     .screen = SCR_EVENTS,
     .label = "Events",
     .help = "events: the journal, with a filter"},
    {.key = KEY_F(8),
     .alias = 'd',
     .key_name = "F8",
     .alias_name = "d",
     .act = KA_SCREEN,
     .screen = SCR_DIAG,
     .label = "Diag",
     .help = "diagnostics: PLC link, tag table, cycle figures"},
    {.key = KEY_F(10),
     .alias = 'q',
     .key_name = "F10",
     .alias_name = "q",
     .act = KA_QUIT,
     .label = "Quit",
     .help = "quit the console (asks first; the server keeps running)"},
    {.key = KEY_ESC,
     .key_name = "Esc",
     .act = KA_BACK,
     .label = "",
     .help = "back: close the dialog, or go up to the overview; Esc then a digit = F-key"},
    {.key = CTRL('L'),
     .key_name = "Ctrl-L",
     .act = KA_REDRAW,
     .label = "",
     .help = "repaint the whole terminal"},
    {.key = KEY_F(9),
     .key_name = "F9",
     .act = KA_SILENCE,
     .label = "",
     .help = "silence the alarm horn (bell or flash); acknowledges nothing"},
    {.key = 'M',
     .key_name = "M",
     .act = KA_LASTMSG,
     .label = "",
     .help = "the last answer, refusal or warning whole (a long one wraps only until the next key)"},
};

const struct key_binding *keys_table(int *n)
{
    *n = (int)(sizeof table / sizeof table[0]);
    return table;
}

const struct key_binding *keys_find(int ch)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].key == ch || (table[i].alias && table[i].alias == ch))
            return &table[i];
    return NULL;
}

int keys_translate(struct keys_state *st, int ch)
{
    bool was_esc = st->esc;
    st->esc = ch == KEY_ESC;
    if (was_esc && ch >= '0' && ch <= '9')
        return KEY_F(ch == '0' ? 10 : ch - '0');
    return ch;
}

static const struct {
    int key;
    const char *name;
} names[] = {
    {'\n', "Enter"},    {KEY_ENTER, "Enter"},    {KEY_UP, "Up"},         {KEY_DOWN, "Down"},
    {KEY_LEFT, "Left"}, {KEY_RIGHT, "Right"},    {KEY_PPAGE, "PgUp"},    {KEY_NPAGE, "PgDn"},
    {KEY_HOME, "Home"}, {KEY_END, "End"},        {KEY_ESC, "Esc"},       {' ', "Space"},
    {'\t', "Tab"},      {KEY_BACKSPACE, "Bksp"}, {KEY_RESIZE, "resize"},
};

void keys_name(int ch, char *buf, int n)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].key == ch) {
            snprintf(buf, (size_t)n, "%s", names[i].name);
            return;
        }
    if (ch >= KEY_F(1) && ch <= KEY_F(12))
        snprintf(buf, (size_t)n, "F%d", ch - KEY_F(0));
    else if (ch > 0 && ch < 32)
        snprintf(buf, (size_t)n, "Ctrl-%c", ch + '@');
    else if (ch >= 32 && ch < 127)
        snprintf(buf, (size_t)n, "%c", ch);
    else
        snprintf(buf, (size_t)n, "key %d", ch);
}
