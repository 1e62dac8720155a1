/* console — the imperative shell of the operator console (see console.h).
 *
 * Frame rule: a frame is drawn at once after a key or a resize; after new
 * data only when FRAME_MIN_S has passed since the last frame (at most 4 a
 * second); and at least every FRAME_MAX_S so ages and clocks move while
 * nothing else does.  Each frame rewrites every row of stdscr in place (never
 * an erase), then doupdate() sends only the cells that differ from the
 * terminal, and the screens show values through a display deadband, so a
 * steady furnace costs a few bytes a second.
 *
 * Signals: SIGTERM, SIGINT, SIGHUP end the loop (the handler only sets a
 * flag; the loop restores the terminal); SIGWINCH sets a flag and the loop
 * resizes at once (poll() is interrupted: no SA_RESTART); SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT restore the terminal with endwin() and re-raise;
 * SIGPIPE is ignored (a send to a dead server returns EPIPE instead).
 *
 * Trend history: when the trend screen opens, its span changes or a pen is
 * added (and on reconnecting while it is shown), the console asks the
 * server's historian for the span's window with `export`, as many pens per
 * request as a request's target holds, one request at a time.  The CSV
 * comes as journal messages tagged with the request's id (client.h
 * on_lines) into a trend_hist; after the last reply trend_merge() puts it
 * before the console's own samples.  A refusal or a lost connection leaves
 * a sentence on the trend screen and keeps what came.
 *
 * Same config: the console draws and checks with its own file's limits,
 * units and alarm texts, so every hello (the first, and each after a
 * reconnect) is checked against that file's digest (cfgmatch.h).  The
 * first is awaited before the terminal is touched, so a refusal is a plain
 * sentence on stderr and exit 1; a later mismatch (the server restarted
 * with another file) restores the terminal, then says the same.  A snapshot
 * on a connection whose hello was not accepted is refused the same way.
 */
#include "console.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "cfgmatch.h"
#include "client.h"
#include "clock.h"
#include "keys.h"
#include "screens.h"
#include "trend.h"
#include "view.h"

#define FRAME_MIN_S 0.25 /* at most 4 frames a second from data */
#define FRAME_MAX_S 1.0  /* ages and clocks move at least this often */
#define MSG_SHOW_S 15.0  /* a message stays on the message line this long */
/* The least important rows go first as the terminal shrinks: below FULL_ROWS
 * the message line's own row (80x23: tmux on an 80x24 terminal), below
 * BAR_ROWS the function-key bar (F1 still lists every key); the body keeps
 * the rest, each screen dropping its own last rows.  Below MIN_ROWS rows or
 * MIN_COLS columns the console says the terminal is too small (narrower than
 * 80 columns the overview's drawing would lose the scrap chamber). */
#define MIN_ROWS 20
#define MIN_COLS 80
#define FULL_ROWS 24 /* from here, the message line has its own row */
#define BAR_ROWS 23  /* from here, the function-key bar is shown */
#define MSG_ROWS 4   /* a long message wraps over at most this many rows */
#define HORN_REPEAT_S 10.0 /* the horn sounds again while not silenced */
#define ESC_DELAY_MS 25
#define HELLO_WAIT_S 3.0 /* for the first hello, before the terminal is touched */

enum { PAIR_NOTE = 1, PAIR_HIGH, PAIR_CRIT, PAIR_BAD };

static volatile sig_atomic_t sig_quit, sig_winch;

static void on_quit(int sig)
{
    sig_quit = sig;
}
static void on_winch(int sig)
{
    (void)sig;
    sig_winch = 1;
}
static void on_crash(int sig)
{
    endwin();
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int quit_signals[] = {SIGTERM, SIGINT, SIGHUP};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

struct saved_signals {
    struct sigaction quit[3], crash[5], winch, pipe;
};

static void signals_install(struct saved_signals *sv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit;
    for (int i = 0; i < 3; i++)
        sigaction(quit_signals[i], &sa, &sv->quit[i]);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, &sv->winch);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (int i = 0; i < 5; i++)
        sigaction(crash_signals[i], &sa, &sv->crash[i]);
    sa.sa_flags = 0;
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &sv->pipe);
}

static void signals_restore(const struct saved_signals *sv)
{
    for (int i = 0; i < 3; i++)
        sigaction(quit_signals[i], &sv->quit[i], NULL);
    for (int i = 0; i < 5; i++)
        sigaction(crash_signals[i], &sv->crash[i], NULL);
    sigaction(SIGWINCH, &sv->winch, NULL);
    sigaction(SIGPIPE, &sv->pipe, NULL);
}

static void set_attrs(struct ui *u)
{
    u->attr[SEV_NONE] = A_NORMAL;
    u->attr_bar = A_REVERSE;
    u->attr_key = A_BOLD;
    if (!u->mono && has_colors() && start_color() == OK) {
        use_default_colors();
        init_pair(PAIR_NOTE, COLOR_CYAN, -1);
        init_pair(PAIR_HIGH, COLOR_YELLOW, -1);
        init_pair(PAIR_CRIT, COLOR_WHITE, COLOR_RED);
        init_pair(PAIR_BAD, COLOR_MAGENTA, -1);
        u->attr[SEV_NOTE] = (int)COLOR_PAIR(PAIR_NOTE);
        u->attr[SEV_HIGH] = (int)(COLOR_PAIR(PAIR_HIGH) | A_BOLD);
        u->attr[SEV_CRIT] = (int)(COLOR_PAIR(PAIR_CRIT) | A_BOLD);
        u->attr[SEV_BAD] = (int)(COLOR_PAIR(PAIR_BAD) | A_BOLD);
        return;
    }
    u->mono = true;
    u->attr[SEV_NOTE] = A_BOLD;
    u->attr[SEV_HIGH] = A_REVERSE;
    u->attr[SEV_CRIT] = A_REVERSE | A_BOLD;
    u->attr[SEV_BAD] = A_UNDERLINE | A_BOLD;
}

/* ---- the frame ------------------------------------------------------------ */

/* A simulator's tag of the snapshot by name, when it is GOOD (the map may lack it). */
static bool sim_tag(const struct client *cl, const char *name, double *v)
{
    if (!cl->have_snap)
        return false;
    for (int i = 0; i < cl->snap.ntags; i++)
        if (!strcmp(cl->snap.tags[i].name, name) && cl->snap.tags[i].q == Q_GOOD) {
            *v = cl->snap.tags[i].v;
            return true;
        }
    return false;
}

/* The training banner with the simulator's clock (simhw/README.md, 'Training time'):
 * " SIMULATED PLC - TRAINING 30x " or "... FROZEN ", from sim_speed and sim_state. */
static void sim_banner(const struct client *cl, char *buf, size_t n)
{
    double speed, state;
    char clk[24] = "";
    if (sim_tag(cl, "sim_state", &state) && ((unsigned)state & 1u))
        snprintf(clk, sizeof clk, " FROZEN");
    else if (sim_tag(cl, "sim_speed", &speed) && speed > 0)
        snprintf(clk, sizeof clk, " %.4gx", speed);
    snprintf(buf, n, " SIMULATED PLC - TRAINING%s ", clk);
}

static void title(struct ui *u)
{
    const struct client *cl = u->cl;
    char clock[16] = "";
    if (cl->have_snap && cl->snap.wall > 0) {
        time_t w = (time_t)cl->snap.wall;
        struct tm tm;
        if (localtime_r(&w, &tm))
            strftime(clock, sizeof clock, "%H:%M", &tm);
    }
    bool sim = cl->have_hello && cl->hello.plc_mode == 1;
    char banner[64];
    sim_banner(cl, banner, sizeof banner);
    int right = (sim ? wg_width(banner) : 0) + (int)strlen(clock) + 2;
    screen_at(u, 0, 0, u->cols - right);
    screen_text(u, u->attr_bar, " meltcon ");
    char t[200];
    snprintf(t, sizeof t, "%s %s %s %s ", u->cfg->furnace.name, u->g->dot,
             screen_get(u->cur)->title, u->g->dot);
    screen_text(u, u->attr_bar | A_BOLD, t);
    if (cl->have_hello)
        snprintf(t, sizeof t, "%s (%s) ", cl->hello.user, cl->hello.role);
    else
        snprintf(t, sizeof t, "not attached ");
    screen_text(u, u->attr_bar, t);
    while (u->x < u->xmax)
        screen_text(u, u->attr_bar, " ");
    screen_at(u, 0, u->x, u->cols);
    if (sim)
        screen_text(u, A_BOLD, banner);
    snprintf(t, sizeof t, " %s ", clock);
    screen_text(u, u->attr_bar, t);
    while (u->x < u->xmax)
        screen_text(u, u->attr_bar, " ");
}

static void banner(struct ui *u)
{
    const struct client *cl = u->cl;
    const struct snap *s = &cl->snap;
    char age[16];
    screen_at(u, 1, 0, u->cols);
    wg_age(age, sizeof age, client_snap_age(cl, u->now));
    if (!client_connected(cl)) {
        screen_add(u, SEV_CRIT, "!! ALL VALUES STALE - %s - retrying", cl->err);
        screen_eol(u);
        return;
    }
    if (!client_live(cl, u->now)) {
        screen_add(u, SEV_BAD, "STALE %s: no snapshot from the server; values are not live.", age);
        screen_eol(u);
        return;
    }
    int b = view_banner(s);
    struct view_counts vc;
    char counts[160], text[100];
    view_alarm_counts(s, &vc);
    view_counts_text(&vc, text, sizeof text);
    snprintf(counts, sizeof counts, " %s%s%s", u->horn ? "HORN (F9 silences)  " : "", text,
             s->flood ? "  FLOOD" : "");
    int cw = wg_width(counts);
    screen_at(u, 1, 0, u->cols - cw);
    if (b >= 0) {
        const struct snap_alarm *a = &s->alarms[b];
        const struct cfg_alarm *d = view_alarm_def(u->cfg, a->name);
        wg_age(age, sizeof age, s->t - a->t);
        if (a->state == ALARM_RTN_UNACK) {
            /* cleared: its message would read as if the condition held */
            screen_add(u, SEV_NOTE, "cleared %s, unacknowledged: %s", age, a->name);
        } else {
            screen_add(u, wg_prio_sev(a->prio), "%s %s %s %s", wg_prio_glyph(a->prio),
                       wg_prio_word(a->prio), a->name, d ? d->message : "");
            screen_add(u, SEV_NONE, " %s", age);
        }
    } else {
        screen_add(u, SEV_NONE, "No unacknowledged alarms");
    }
    screen_eol(u);
    screen_at(u, 1, u->cols - cw, u->cols);
    screen_add(u, s->flood ? SEV_CRIT : SEV_NONE, "%s", counts);
    screen_eol(u);
}

/* The message line, or the screen's keys when there is no fresh message.
 * A message longer than the line wraps upwards over the body's last rows
 * (at most MSG_ROWS), so a refusal is read whole, until the next key.
 * Below FULL_ROWS there is
 * no row of its own: the keys are not shown and a message covers the
 * body's last rows. */
static void message(struct ui *u)
{
    bool own_row = u->rows >= FULL_ROWS;
    int last = u->rows - (u->rows >= BAR_ROWS ? 2 : 1); /* the row a message ends on */
    if (u->msg[0] && u->now - u->msg_t < MSG_SHOW_S) {
        struct wg_lines l = {.n = 0};
        char text[sizeof u->msg + 16];
        /* a wrapped one that M shows again says so */
        bool kept = wg_width(u->msg) > u->cols - 1 && !strcmp(u->msg, u->last_msg);
        snprintf(text, sizeof text, "%s%s", u->msg, kept ? "  [M: again]" : "");
        wg_wrap(&l, text, u->cols - 1, MSG_ROWS, SEV_NONE);
        if (l.n == 0)
            l.n = 1, l.line[0][0] = 0;
        for (int i = 0; i < l.n; i++) {
            screen_at(u, last - (l.n - 1) + i, 0, u->cols);
            screen_add(u, u->msg_sev, "%s", l.line[i]);
            screen_eol(u);
        }
        return;
    }
    if (!own_row)
        return;
    screen_at(u, last, 0, u->cols);
    const struct screen *sc = screen_get(u->cur);
    bool viewer = u->cl->have_hello && !strcmp(u->cl->hello.role, "viewer");
    if (viewer)
        screen_add(u, SEV_NOTE, "viewer: read-only ");
    /* the keys that fit whole; the rest are on the help screen */
    const char *more = "? all keys";
    for (int i = 0; i < sc->nkeys; i++) {
        if (viewer && sc->keys[i].write)
            continue;
        int w = wg_width(sc->keys[i].key) + 1 + wg_width(sc->keys[i].hint) + 2;
        bool final = true;
        for (int k = i + 1; k < sc->nkeys; k++)
            final = final && viewer && sc->keys[k].write;
        if (u->x + w > u->cols - (final ? 0 : wg_width(more))) {
            screen_add(u, SEV_NONE, "%s", more);
            break;
        }
        screen_text(u, u->attr_key, sc->keys[i].key);
        screen_add(u, SEV_NONE, " %s  ", sc->keys[i].hint);
    }
    screen_eol(u);
}

static void keybar(struct ui *u)
{
    int n;
    const struct key_binding *kb = keys_table(&n);
    screen_at(u, u->rows - 1, 0, u->cols);
    for (int i = 0; i < n; i++) {
        if (!kb[i].label[0])
            continue;
        bool here = kb[i].act == KA_SCREEN && kb[i].screen == (int)u->cur;
        screen_text(u, u->attr_key, kb[i].key_name);
        screen_text(u, u->attr_bar | (here ? A_BOLD : 0), kb[i].label);
        screen_text(u, A_NORMAL, " ");
    }
    screen_eol(u);
}

/* A box of lines centred on the body. */
static void draw_box(struct ui *u, const struct wg_lines *l, int width)
{
    int h = l->n + 2, y0 = u->top + (u->height - h) / 2, x0 = (u->cols - width) / 2;
    if (y0 < u->top)
        y0 = u->top;
    screen_at(u, y0, x0, x0 + width);
    screen_text(u, A_NORMAL, u->g->tl);
    while (u->x < x0 + width - 1)
        screen_text(u, A_NORMAL, u->g->h);
    screen_text(u, A_NORMAL, u->g->tr);
    int bottom = u->top + u->height;
    for (int i = 0; i < l->n && y0 + 1 + i < bottom; i++) {
        screen_at(u, y0 + 1 + i, x0, x0 + width);
        screen_text(u, A_NORMAL, u->g->v);
        screen_text(u, A_NORMAL, " ");
        struct wg_lines one = {.n = 1};
        memcpy(one.line[0], l->line[i], WG_LINE);
        one.sev[0] = l->sev[i];
        one.mark_col[0] = l->mark_col[i];
        one.mark_len[0] = l->mark_len[i];
        screen_lines(u, y0 + 1 + i, x0 + 2, width - 4, &one, 1);
        screen_at(u, y0 + 1 + i, x0 + width - 2, x0 + width);
        screen_text(u, A_NORMAL, " ");
        screen_text(u, A_NORMAL, u->g->v);
    }
    int yb = y0 + 1 + l->n;
    if (yb < bottom) {
        screen_at(u, yb, x0, x0 + width);
        screen_text(u, A_NORMAL, u->g->bl);
        while (u->x < x0 + width - 1)
            screen_text(u, A_NORMAL, u->g->h);
        screen_text(u, A_NORMAL, u->g->br);
    }
}

static void dialog_box(struct ui *u)
{
    struct wg_lines l;
    int width = u->cols - 4 < 78 ? u->cols - 4 : 78;
    wg_dialog(&l, width - 4, &u->dlg, u->g);
    draw_box(u, &l, width);
}

/* The detail view: the whole of a text too long for its row. */
static void detail_box(struct ui *u)
{
    struct wg_lines l;
    memset(&l, 0, sizeof l);
    int width = u->cols - 4 < 78 ? u->cols - 4 : 78;
    wg_wrap(&l, u->detail_title, width - 4, 1, SEV_NOTE);
    const char *p = u->detail_text;
    while (*p && l.n < WG_MAX_LINES - 1) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char para[sizeof u->detail_text];
        memcpy(para, p, len);
        para[len] = 0;
        wg_wrap(&l, para, width - 4, WG_MAX_LINES - 1 - l.n, SEV_NONE);
        p += len + (nl ? 1 : 0);
    }
    snprintf(l.line[l.n], WG_LINE, "any key closes");
    l.sev[l.n] = SEV_NONE;
    l.n++;
    int room = u->height - 2;
    if (l.n > room && room > 1) {
        /* keep the closing line; the title and the first lines stay */
        memcpy(l.line[room - 1], l.line[l.n - 1], WG_LINE);
        l.n = room;
    }
    draw_box(u, &l, width);
}

static void quit_box(struct ui *u)
{
    struct wg_lines l;
    memset(&l, 0, sizeof l);
    l.n = 4;
    snprintf(l.line[0], WG_LINE, "Quit the console?");
    snprintf(l.line[1], WG_LINE, "The furnace and its server keep running.");
    snprintf(l.line[2], WG_LINE, " ");
    snprintf(l.line[3], WG_LINE, "y = quit      any other key = stay");
    draw_box(u, &l, 50);
}

static void too_small(struct ui *u)
{
    for (int y = 0; y < u->rows; y++) {
        screen_at(u, y, 0, u->cols);
        if (y == u->rows / 2 - 1)
            screen_add(u, SEV_HIGH, "Terminal too small: %dx%d", u->cols, u->rows);
        else if (y == u->rows / 2)
            screen_add(u, SEV_NONE, "meltcon needs at least %dx%d.", MIN_COLS, MIN_ROWS);
        else if (y == u->rows / 2 + 1)
            screen_add(u, SEV_NONE, "%s",
                       u->quit_ask ? "Quit? y = quit, other = stay" : "Enlarge it, or q to quit.");
        screen_eol(u);
    }
}

static void frame(struct ui *u)
{
    getmaxyx(stdscr, u->rows, u->cols);
    if (u->rows < MIN_ROWS || u->cols < MIN_COLS) {
        too_small(u);
    } else {
        u->top = 2;
        u->height = u->rows - 2 - (u->rows >= FULL_ROWS) - (u->rows >= BAR_ROWS);
        title(u);
        banner(u);
        screen_get(u->cur)->draw(u);
        if (u->detail)
            detail_box(u);
        if (u->dlg.open) {
            u->literal = true; /* shown exactly as it will be sent */
            dialog_box(u);
            u->literal = false;
        }
        if (u->quit_ask)
            quit_box(u);
        message(u);
        if (u->rows >= BAR_ROWS)
            keybar(u);
    }
    wnoutrefresh(stdscr);
    doupdate();
}

/* ---- input ---------------------------------------------------------------- */

static void resize(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
}

/* A filter field of the events screen typed in its dialog ("" clears it). */
static void events_filter(struct ui *u, const char *field, const char *text)
{
    struct view_jfilter *f = &u->jf;
    char why[200];
    if (!strcmp(field, "since")) {
        const struct client *cl = u->cl;
        double now = cl->have_snap && cl->snap.wall > 0 ? cl->snap.wall : (double)time(NULL);
        if (!text[0]) {
            f->has_since = false;
        } else if (view_since(text, now, &f->since, why, sizeof why) == 0) {
            f->has_since = true;
        } else {
            screen_msg(u, SEV_HIGH, "%s", why);
            return;
        }
    } else {
        char *dst = !strcmp(field, "user") ? f->user : !strcmp(field, "tag") ? f->tag : f->text;
        snprintf(dst, VIEW_FILTER_MAX, "%s", text);
    }
    u->scroll[SCR_EVENTS] = 0;
}

static void dialog_input(struct ui *u, int ch)
{
    enum dialog_result r = dialog_key(&u->dlg, ch);
    if (r == DR_SEND) {
        struct snap_req q;
        char err[300];
        dialog_request(&u->dlg, &q);
        long id = client_send_scrap(u->cl, q.verb, q.target, q.value, q.reason, q.expect,
                                    q.scrap, err, sizeof err);
        dialog_sent(&u->dlg, id, id < 0 ? err : NULL);
    } else if (r == DR_TEXT) {
        events_filter(u, u->dlg.spec.target, u->dlg.value);
    }
}

static void go(struct ui *u, enum screen_id to)
{
    if (to != u->cur)
        u->prev = u->cur;
    u->cur = to;
    u->msg[0] = 0;
}

static void key(struct ui *u, struct keys_state *ks, int ch)
{
    ch = keys_translate(ks, ch);
    if (ch == '\r')
        ch = '\n';
    if (ch == KEY_RESIZE)
        return;
    /* a message wrapped over the body's last rows has been read: the next
     * key gives the rows back (a one-row message stays its MSG_SHOW_S) */
    if (u->msg[0] && wg_width(u->msg) > u->cols - 1)
        u->msg[0] = 0;
    if (u->quit_ask) {
        u->quit = ch == 'y' || ch == 'Y';
        u->quit_ask = false;
        return;
    }
    if (u->dlg.open) {
        dialog_input(u, ch);
        return;
    }
    const struct key_binding *kb = keys_find(ch);
    if (kb && kb->act == KA_SILENCE) {
        screen_msg(u, SEV_NONE, "%s", u->horn ? "Horn silenced; the alarms stay unacknowledged (k acknowledges)"
                                              : "The horn is not sounding");
        u->horn = false;
        return;
    }
    if (u->detail) {
        u->detail = false; /* any key closes the detail view, and only that */
        return;
    }
    if (kb) {
        switch (kb->act) {
        case KA_HELP:
        case KA_SCREEN:
            go(u, (enum screen_id)kb->screen);
            return;
        case KA_QUIT:
            u->quit_ask = true;
            return;
        case KA_BACK:
            if (u->cur == SCR_OVERVIEW)
                u->sel[SCR_OVERVIEW] = 0; /* Esc clears the overview's selection */
            go(u, u->cur == SCR_HELP ? u->prev : SCR_OVERVIEW);
            return;
        case KA_REDRAW:
            clearok(curscr, TRUE);
            return;
        case KA_LASTMSG:
            if (!u->last_msg[0]) {
                screen_msg(u, SEV_NONE, "No answer, refusal or warning yet this session");
            } else {
                char ago[16];
                wg_age(ago, sizeof ago, u->now - u->last_msg_t);
                screen_detail(u, "The last message", "%s\n\n(%s ago)", u->last_msg, ago);
            }
            return;
        case KA_SILENCE:
        case KA_NONE:
            break;
        }
    }
    if (u->rows < MIN_ROWS || u->cols < MIN_COLS)
        return;
    if (screen_get(u->cur)->key(u, ch))
        return;
    char name[24];
    keys_name(ch, name, sizeof name);
    screen_msg(u, SEV_NONE, "%s: nothing on this screen (F1 or ? lists every key)", name);
}

/* ---- trend history -------------------------------------------------------- */

static void hist_lines(void *ctx, long id, const char *line)
{
    struct ui *u = ctx;
    if (u->hist_loading && id == u->hist_id)
        trend_hist_line(u->th, u->tr, line);
}

static void hist_finish(struct ui *u, const char *why)
{
    trend_merge(u->tr, u->th);
    u->hist_loading = false;
    u->hist_id = 0;
    if (why)
        snprintf(u->hist_note, sizeof u->hist_note, "history: %.180s", why);
    else if (!u->th->rows)
        snprintf(u->hist_note, sizeof u->hist_note, "(historian: nothing in this window)");
}

/* Ask for the next pens, or merge when every pen has been asked for. */
static void hist_send(struct ui *u)
{
    struct snap_req q;
    char err[300];
    int upto = trend_hist_target(u->tr, u->hist_next, q.target, sizeof q.target);
    if (upto == u->hist_next) {
        hist_finish(u, NULL);
        return;
    }
    snprintf(q.value, sizeof q.value, "%.0f %.0f", floor(u->hist_from), ceil(u->hist_to));
    long id = client_send(u->cl, "export", q.target, q.value, "", err, sizeof err);
    if (id < 0) {
        hist_finish(u, err);
        return;
    }
    u->hist_id = id;
    u->hist_upto = upto;
}

static void hist_start(struct ui *u)
{
    const struct snap *s = &u->cl->snap;
    if (!client_connected(u->cl) || !u->cl->have_snap || !(s->wall > 0) || !isfinite(s->t))
        return;
    trend_hist_begin(u->th, s->wall, 0); /* trends run on the wall clock (trend.c) */
    u->hist_to = s->wall + 1;
    u->hist_from = s->wall - trend_span_s(u->trend_span);
    u->hist_next = 0;
    u->hist_loading = true;
    u->hist_want = false;
    u->hist_note[0] = 0;
    hist_send(u);
}

/* The reply to the export in flight; false when r is another reply. */
static bool hist_reply(struct ui *u, const struct snap_reply *r)
{
    if (!u->hist_loading || r->id != u->hist_id)
        return false;
    if (!r->ok) {
        hist_finish(u, r->text);
        return true;
    }
    u->hist_next = u->hist_upto;
    hist_send(u);
    return true;
}

/* New replies: the dialog's goes to the dialog, the trend history's to the
 * trend, the others to the message line. */
static void replies(struct ui *u, unsigned long *seen)
{
    const struct client *cl = u->cl;
    unsigned long fresh = cl->r_total - *seen;
    if (fresh > CLIENT_REPLIES)
        fresh = CLIENT_REPLIES;
    for (int i = (int)fresh - 1; i >= 0; i--) {
        const struct snap_reply *r = client_reply_recent(cl, i);
        if (hist_reply(u, r))
            continue;
        bool mine = u->dlg.open && u->dlg.stage == DS_WAIT && r->id == u->dlg.req_id;
        if (mine) {
            if (dialog_reply(&u->dlg, r)) {
                screen_msg(u, SEV_NONE, "Done: %s", r->text);
                screen_msg_keep(u);
            }
        } else if (r->ok) {
            screen_msg(u, SEV_NONE, "Done: %s", r->text);
            screen_msg_keep(u);
        } else if (r->unrecorded) {
            screen_msg(u, SEV_HIGH, "Done, NOT RECORDED: %s", r->text);
        } else {
            screen_msg(u, SEV_HIGH, "REFUSED: %s", r->text);
        }
    }
    *seen = cl->r_total;
}

/* ---- the horn -------------------------------------------------------------- */

static void horn_sound(struct ui *u)
{
    if (u->cfg->console.horn == HORN_FLASH)
        flash();
    else
        beep();
    u->horn_last = u->now;
}

/* After a snapshot: a new UNACK high or critical alarm starts the horn
 * (unless [console] horn = off); it sounds again every HORN_REPEAT_S until
 * F9 silences it or no such alarm is left unacknowledged.  The alarms
 * present when the console attaches are known, not new. */
static void horn_snap(struct ui *u)
{
    int urgent;
    int fresh = view_horn_scan(&u->cl->snap, &u->hmem, &urgent);
    bool primed = u->horn_primed;
    u->horn_primed = true;
    if (!urgent)
        u->horn = false;
    if (fresh && primed && u->cfg->console.horn != HORN_OFF) {
        u->horn = true;
        horn_sound(u);
    }
}

static void horn_tick(struct ui *u)
{
    if (u->horn && u->now - u->horn_last >= HORN_REPEAT_S)
        horn_sound(u);
}

/* ---- the loop ------------------------------------------------------------- */

/* After client_poll() returned `got`: check a new hello against our file,
 * and refuse a snapshot that came without an accepted hello.  0, or -1 with
 * the sentence in err. */
static int same_config(struct ui *u, unsigned got, bool *hello_ok, char *err, size_t errlen)
{
    if (got & CL_GOT_HELLO) {
        if (cfgmatch_check(u->cfg, &u->cl->hello, "this console", "", err, errlen) < 0)
            return -1;
        *hello_ok = true;
    }
    if ((got & CL_GOT_SNAP) && !*hello_ok) {
        snprintf(err, errlen,
                 "the server at %s sent values without a valid hello, so this console cannot "
                 "tell whether it controls with %s: limits shown might not be the server's",
                 u->cl->path, u->cfg->path);
        return -1;
    }
    return 0;
}

/* Connect and take the first hello, at most HELLO_WAIT_S: 0 (checked, or
 * no server yet: the loop checks when one answers), or -1 with the
 * sentence of a refusal in err. */
static int first_hello(struct ui *u, bool *hello_ok, char *err, size_t errlen)
{
    double end = clock_mono_s() + HELLO_WAIT_S;
    if (!(client_tick(u->cl, clock_mono_s()) & CL_CONNECTED))
        return 0;
    for (;;) {
        unsigned got = client_poll(u->cl, clock_mono_s());
        if (same_config(u, got, hello_ok, err, errlen) < 0)
            return -1;
        double left = end - clock_mono_s();
        if (*hello_ok || (got & CL_LOST) || left <= 0)
            return 0;
        struct pollfd pf = {.fd = u->cl->fd, .events = POLLIN};
        if (poll(&pf, 1, (int)ceil(left * 1000)) < 0 && errno != EINTR)
            return 0;
    }
}

/* Until the operator quits or a signal ends it; 1 with the sentence in
 * refused when the server's config is not ours. */
static int loop(struct ui *u, const struct console_opts *o, bool hello_ok, char *refused,
                size_t refusedlen)
{
    struct client *cl = u->cl;
    struct keys_state ks = {0};
    double t0 = clock_mono_s(), last_frame = -1e9;
    bool dirty = true, urgent = true;
    unsigned long seen = 0;
    enum screen_id last_cur = SCR_COUNT;
    int last_span = -1, last_npens = -1;
    while (!u->quit && !sig_quit) {
        u->now = clock_mono_s();
        if (o->bench_s > 0 && u->now - t0 >= o->bench_s)
            break;
        if (client_tick(cl, u->now) & CL_CONNECTED) {
            hello_ok = false;
            urgent = true;
            seen = cl->r_total;
            u->hist_want = u->cur == SCR_TRENDS;
        }
        if (u->cur == SCR_TRENDS &&
            (last_cur != SCR_TRENDS || last_span != u->trend_span || last_npens != u->tr->npens))
            u->hist_want = true;
        last_cur = u->cur;
        last_span = u->trend_span;
        last_npens = u->tr->npens;
        if (u->hist_want && !u->hist_loading)
            hist_start(u);
        if (sig_winch) {
            sig_winch = 0;
            resize();
            urgent = true;
        }
        if (urgent || (dirty && u->now - last_frame >= FRAME_MIN_S) ||
            u->now - last_frame >= FRAME_MAX_S) {
            frame(u);
            last_frame = u->now;
            dirty = urgent = false;
        }
        double wait = last_frame + (dirty ? FRAME_MIN_S : FRAME_MAX_S) - u->now;
        if (!client_connected(cl) && cl->next_try - u->now < wait)
            wait = cl->next_try - u->now;
        if (o->bench_s > 0 && t0 + o->bench_s - u->now < wait)
            wait = t0 + o->bench_s - u->now;
        struct pollfd pf[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                               {.fd = cl->fd, .events = POLLIN}};
        int r = poll(pf, client_connected(cl) ? 2 : 1, wait > 0 ? (int)ceil(wait * 1000) : 0);
        if (r < 0 && errno != EINTR)
            return 1;
        u->now = clock_mono_s();
        if (r > 0 && (pf[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
            return 128 + SIGHUP;
        if (r > 0 && (pf[0].revents & POLLIN)) {
            int ch;
            while ((ch = getch()) != ERR)
                key(u, &ks, ch);
            urgent = true;
        }
        unsigned got = client_poll(cl, u->now);
        if (same_config(u, got, &hello_ok, refused, refusedlen) < 0)
            return 1;
        if (got & CL_GOT_SNAP) {
            trend_add_snap(u->tr, &cl->snap);
            dialog_track(&u->dlg, &cl->snap); /* the live value beside what was shown */
            bool was = u->horn;
            horn_snap(u);
            if (u->horn != was)
                urgent = true;
        }
        horn_tick(u);
        if (got & CL_GOT_REPLY) {
            replies(u, &seen);
            urgent = true;
        }
        if (got & CL_LOST) {
            urgent = true;
            if (u->hist_loading)
                hist_finish(u, "the connection was lost while loading");
        }
        if (got)
            dirty = true;
    }
    return sig_quit ? 128 + sig_quit : 0;
}

int console_run(const struct cfg *c, const char *socket_path, const struct console_opts *o)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "meltcon: the console needs a terminal; for scripts use the verbs "
                        "(meltcon status, set, cmd, ack)\n");
        return 1;
    }
    struct client *cl = calloc(1, sizeof *cl);
    struct trend *tr = calloc(1, sizeof *tr);
    struct ui *u = calloc(1, sizeof *u);
    struct trend_hist *th = calloc(1, sizeof *th);
    if (!cl || !tr || !u || !th) {
        free(cl);
        free(tr);
        free(u);
        free(th);
        fprintf(stderr, "meltcon: out of memory\n");
        return 1;
    }
    double ui_hz = c->cycle.ui_rate_hz > 0 ? c->cycle.ui_rate_hz : 4;
    client_init(cl, o->socket ? o->socket : socket_path, fmax(1.0, 4.0 / ui_hz));
    trend_init(tr, c);
    /* LC_CTYPE only, for ncursesw's UTF-8: never LC_ALL or LC_NUMERIC, so
     * strtod and printf of the wire's, the config's and the dialogs' numbers
     * stay in the C locale (under de_DE a ',' decimal point would read
     * "745.3" as 745 and show the wire's values as 0) */
    setlocale(LC_CTYPE, "");
    const char *nc = getenv("NO_COLOR");
    u->cfg = c;
    u->cl = cl;
    u->tr = tr;
    u->th = th;
    cl->on_lines = hist_lines;
    cl->on_lines_ctx = u;
    u->ascii = o->ascii || wg_need_ascii(getenv("TERM"), nl_langinfo(CODESET));
    u->mono = o->mono || (nc && *nc);
    u->g = wg_glyphs(u->ascii);
    u->cur = u->prev = (enum screen_id)(o->screen >= 0 && o->screen < SCR_COUNT ? o->screen : 0);

    char refused[700] = "";
    bool hello_ok = false;
    int rc = 1;
    if (first_hello(u, &hello_ok, refused, sizeof refused) < 0)
        goto out;
    struct saved_signals sv;
    sig_quit = sig_winch = 0;
    signals_install(&sv);
    set_escdelay(ESC_DELAY_MS);
    initscr();
    set_escdelay(ESC_DELAY_MS);
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    leaveok(stdscr, TRUE);
    scrollok(stdscr, FALSE);
    curs_set(0);
    set_attrs(u);
    rc = loop(u, o, hello_ok, refused, sizeof refused);
    endwin();
    signals_restore(&sv);
out:
    if (*refused)
        fprintf(stderr, "meltcon: %s\n", refused);
    client_close(cl);
    free(cl);
    free(tr);
    free(u);
    free(th);
    return rc;
}
