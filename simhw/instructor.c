/* instructor — one request on the inject channel, and the instructor station (see
 * instructor.h).
 *
 * The station redraws twice a second from three requests (glance, status, snapshots)
 * and turns each key into the inject verb a script would send, so the screen and
 * `meltsim inject` can never disagree about what an action does.  Keys (shown on the
 * bottom bar, as the console shows its keys):
 *   f  freeze / run          + -  speed up / down (1 2 5 10 20 30 60)
 *   s  snapshot NAME         r  restore NAME        b  backtrack MINUTES
 *   i  inject FAULT ...      c  clear every fault   q  quit
 * A line asked for (NAME, MINUTES, FAULT) is typed at the bottom; Enter sends it, an
 * empty line cancels.  The simulator's reply, ok or error with its reason, stays on
 * the reply line until the next action.
 */
#include "instructor.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int inst_request(const char *path, const char *req, char *rep, size_t n)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(rep, n, "socket path too long: %s", path);
        return -1;
    }
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        snprintf(rep, n, "no simulator at %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t k = poll(&p, 1, 3000) > 0 ? recv(fd, rep, n - 1, 0) : -1;
    close(fd);
    if (k <= 0) {
        snprintf(rep, n, "no answer from the simulator");
        return -1;
    }
    rep[k] = 0;
    return strncmp(rep, "ok", 2) == 0 ? 1 : 0;
}

/* ---- the station --------------------------------------------------------------------------- */

static const double speeds[] = {1, 2, 5, 10, 20, 30, 60};
#define NSPEEDS (sizeof speeds / sizeof speeds[0])

struct station {
    const char *path, *title;
    char glance[2048], status[1024], snaps[1024], reply[512];
    bool up;
    double speed;
    bool frozen;
};

static void bar(int row, const char *text)
{
    attron(A_REVERSE);
    mvhline(row, 0, ' ', COLS);
    mvaddnstr(row, 0, text, COLS);
    attroff(A_REVERSE);
}

/* Text after "ok: " (or the whole reply). */
static const char *body(const char *rep)
{
    if (!strncmp(rep, "ok:", 3))
        rep += 3;
    while (*rep == ' ' || *rep == '\n')
        rep++;
    return rep;
}

static void refresh_data(struct station *st)
{
    st->up = inst_request(st->path, "glance", st->glance, sizeof st->glance) == 1;
    if (!st->up)
        return;
    inst_request(st->path, "status", st->status, sizeof st->status);
    inst_request(st->path, "snapshots", st->snaps, sizeof st->snaps);
    const char *s = strstr(st->status, "speed ");
    if (s)
        st->speed = strtod(s + 6, NULL);
    st->frozen = strstr(st->status, ", frozen,") != NULL;
}

static void draw(const struct station *st)
{
    erase();
    char t[256];
    snprintf(t, sizeof t, " meltsim instructor - %s", st->title);
    bar(0, t);
    if (!st->up) {
        attron(A_BOLD);
        mvprintw(2, 1, "!! NO SIMULATOR - %s - retrying", st->glance);
        attroff(A_BOLD);
    } else {
        char right[64];
        snprintf(right, sizeof right, " %s %gx ", st->frozen ? "FROZEN" : "RUNNING", st->speed);
        attron(A_REVERSE | A_BOLD);
        mvaddstr(0, COLS - (int)strlen(right) > 0 ? COLS - (int)strlen(right) : 0, right);
        attroff(A_REVERSE | A_BOLD);
        attron(A_BOLD);
        mvaddstr(2, 1, "PLANT");
        attroff(A_BOLD);
        int row = 3;
        const char *g = body(st->glance);
        while (*g && row < LINES - 9) {
            const char *e = strchr(g, '\n');
            int len = e ? (int)(e - g) : (int)strlen(g);
            mvaddnstr(row++, 2, g, len < COLS - 3 ? len : COLS - 3);
            g += len + (e ? 1 : 0);
        }
        row++;
        attron(A_BOLD);
        mvaddstr(row, 1, "STATUS");
        attroff(A_BOLD);
        mvaddnstr(row, 11, body(st->status), COLS - 12);
        row += 2;
        attron(A_BOLD);
        mvaddstr(row, 1, "SNAPSHOTS");
        attroff(A_BOLD);
        mvaddnstr(row, 11, body(st->snaps), COLS - 12);
    }
    if (*st->reply) {
        attron(A_BOLD);
        mvaddstr(LINES - 3, 1, "REPLY");
        attroff(A_BOLD);
        mvaddnstr(LINES - 3, 11, st->reply, COLS - 12);
    }
    bar(LINES - 1, " f freeze/run  +/- speed  s snapshot  r restore  b backtrack  i inject  "
                   "c clear faults  q quit");
    refresh();
}

/* Ask for a line at the bottom; false when it was left empty. */
static bool ask(const char *prompt, char *buf, int n)
{
    move(LINES - 2, 0);
    clrtoeol();
    attron(A_BOLD);
    mvaddstr(LINES - 2, 1, prompt);
    attroff(A_BOLD);
    addstr(" ");
    echo();
    curs_set(1);
    timeout(-1);
    int rc = getnstr(buf, n - 1);
    noecho();
    curs_set(0);
    timeout(500);
    return rc != ERR && *buf;
}

static void act(struct station *st, const char *req)
{
    char rep[2048];
    inst_request(st->path, req, rep, sizeof rep);
    snprintf(st->reply, sizeof st->reply, "%.100s: %.400s", req, rep); /* one screen line */
}

int inst_main(const char *path, const char *title)
{
    if (!initscr()) {
        fprintf(stderr, "meltsim instructor: cannot use the terminal\n");
        return 1;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(500);
    static struct station st;
    st.path = path;
    st.title = title;
    for (;;) {
        refresh_data(&st);
        draw(&st);
        int ch = getch();
        char line[128], req[200];
        if (ch == 'q' || ch == 'Q')
            break;
        switch (ch) {
        case 'f':
            act(&st, st.frozen ? "run" : "freeze");
            break;
        case '+':
        case '-': {
            size_t k = 0;
            while (k + 1 < NSPEEDS && speeds[k] < st.speed - 1e-9)
                k++;
            if (ch == '+')
                k = speeds[k] > st.speed + 1e-9 ? k : (k + 1 < NSPEEDS ? k + 1 : k);
            else
                k = k > 0 ? k - 1 : 0;
            snprintf(req, sizeof req, "speed %g", speeds[k]);
            act(&st, req);
            break;
        }
        case 's':
        case 'r':
        case 'b':
        case 'i': {
            const char *prompt = ch == 's'   ? "snapshot NAME:"
                                 : ch == 'r' ? "restore NAME:"
                                 : ch == 'b' ? "backtrack MINUTES:"
                                             : "inject FAULT [TARGET] [VALUE]:";
            if (!ask(prompt, line, sizeof line))
                break;
            snprintf(req, sizeof req, "%s%s", ch == 's'   ? "snapshot "
                                              : ch == 'r' ? "restore "
                                              : ch == 'b' ? "backtrack "
                                                          : "",
                     line);
            act(&st, req);
            break;
        }
        case 'c':
            act(&st, "clear");
            break;
        default:
            break;
        }
    }
    endwin();
    return 0;
}
