/* keys — the console's global key bindings as one const table.
 *
 * htop's scheme: function keys with letter aliases (F1 or ? help, F2..F8 or
 * a letter for the screens, F10 or q quit with a confirmation), Esc goes
 * back up (a dialog closes, a screen returns to the overview).  Terminals and
 * SSH clients that eat function keys: Esc then a digit is that F-key (Esc 0
 * is F10).  The same table draws the function-key bar and the help screen.
 * Each screen adds its own keys (screens.h); those are looked up after these
 * only when no dialog is open.
 */
#ifndef MELTCON_KEYS_H
#define MELTCON_KEYS_H

#include <stdbool.h>

enum key_act { KA_NONE, KA_HELP, KA_SCREEN, KA_QUIT, KA_BACK, KA_REDRAW, KA_SILENCE, KA_LASTMSG };

struct key_binding {
    int key;                /* ncurses key code */
    int alias;              /* letter alias, 0 = none */
    const char *key_name;   /* "F2" */
    const char *alias_name; /* "o" */
    enum key_act act;
    int screen;        /* enum screen_id, for KA_SCREEN */
    const char *label; /* for the function-key bar, "" = not shown there */
    const char *help;
};

struct keys_state {
    bool esc; /* the last key was Esc: a digit now is an F-key */
};

/* The global table and its length. */
const struct key_binding *keys_table(int *n);

/* The binding of key code or alias ch, or NULL. */
const struct key_binding *keys_find(int ch);

/* Esc-then-digit: returns ch unchanged, or KEY_F(d) (KEY_F(10) for 0) when
 * ch is a digit right after an Esc. */
int keys_translate(struct keys_state *st, int ch);

/* A printable name for a key code: "F5", "Enter", "Up", "q", "Ctrl-L". */
void keys_name(int ch, char *buf, int n);

#endif
