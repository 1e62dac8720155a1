/* instructor — one request on the inject channel, and the instructor station (see
 * instructor.h).
 *
 * The station redraws twice a second from four requests (glance, status, snapshots,
 * pending) and turns each key into the inject verb a script would send, so the screen
 * and `meltsim inject` can never disagree about what an action does.  Keys (shown on the
 * bottom bar, as the console shows its keys):
 *   f  freeze / run          + -  speed up / down (1 2 5 10 20 30 60)
 *   s  snapshot NAME         r  restore NAME        b  backtrack MINUTES
 *   i  inject FAULT ...      t  timed: at ... or ramp ...   x  cancel N|all
 *   c  clear every fault     Ctrl-L  repaint        q  quit
 * A line asked for (NAME, MINUTES, FAULT) is typed at the bottom; Enter sends it, an
 * empty line cancels.  The simulator's reply, ok or error with its reason, stays on
 * the reply line until the next action.
 *
 * The trainee's side comes from the controller's own record, through its CLI (simhw may
 * not include the controller): a child `meltcon -c FILE journal --follow` streams the
 * journal, and the lines of people (not the server's own) are the ACTIONS panel, newest
 * last; every PROGRESS_S a child `meltcon -c FILE debrief --scenario FILE --progress`
 * (the scenario meltsim runs, from its `scenario` verb) gives every expectation's state
 * so far.  Both children are read without blocking, and reaped by their pid; the loop
 * waits on the keyboard and on both at once, so a line is drawn as it comes.
 */
#include "instructor.h"

#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>
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

/* ---- the children: meltcon's journal and its debrief --------------------------------------- */

#define PROGRESS_S 5   /* seconds between two debriefs */
#define RESTART_S 5    /* seconds before a journal reader that ended is started again */
#define NACTIONS 64    /* action lines kept */
#define NEXPECT 32     /* expectations shown */

/* A child whose standard output (and error) we read without blocking. */
struct child {
    pid_t pid;     /* 0 none */
    int fd;        /* -1 none */
    char buf[8192];
    size_t len;
    bool eof;
};

/* Start argv[0] (a path, or a name looked up in PATH) with its output into c->fd. */
static int child_start(struct child *c, char *const argv[])
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        /* a station that dies (a dropped SSH link) takes its journal reader along */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(0);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(1, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    c->pid = pid;
    c->fd = p[0];
    c->len = 0;
    c->eof = false;
    return 0;
}

/* Read what has come; true when the child's output has ended. */
static bool child_read(struct child *c)
{
    while (c->fd >= 0 && !c->eof) {
        if (c->len == sizeof c->buf - 1) /* a line longer than the buffer: keep its end */
            c->len = 0;
        ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (k > 0)
            c->len += (size_t)k;
        else if (k == 0 || (errno != EAGAIN && errno != EINTR))
            c->eof = true;
        else
            break;
    }
    c->buf[c->len] = 0;
    return c->eof;
}

/* End the child (signal it when asked) and reap it by its own pid. */
static void child_end(struct child *c, bool kill_it)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->pid > 0) {
        if (kill_it)
            kill(c->pid, SIGTERM);
        waitpid(c->pid, NULL, 0);
    }
    c->pid = 0;
}

/* ---- the station --------------------------------------------------------------------------- */

static const double speeds[] = {1, 2, 5, 10, 20, 30, 60};
#define NSPEEDS (sizeof speeds / sizeof speeds[0])

struct expect_row {
    char name[48], state[12];
};

struct station {
    const struct inst_opts *o;
    char glance[2048], status[1024], snaps[1024], pending[4096], reply[512];
    bool up;
    double speed;
    bool frozen;
    /* the trainee's actions: meltcon journal --follow */
    struct child jr;
    time_t jr_retry;
    char actions[NACTIONS][160];
    int nactions;
    char jr_note[200];
    /* the exercise's progress: meltcon debrief --progress */
    struct child db;
    time_t db_next;
    char scenario[512]; /* the file meltsim runs, "" none */
    char title[120];
    struct expect_row ex[NEXPECT];
    int nex, earned, possible;
    bool have_progress;
    char db_note[200];
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

/* One journal line as the ACTIONS panel shows it, or false for a line that is not a
 * person's (the server's own "meltcon@..." lines, anything that is not a journal line):
 *   "2026-12-07T07:45:01.250Z anna@pts/1 cmd burner_start - -> - reason=- result=ok n=.."
 *   -> "07:45:01 anna@pts/1 cmd burner_start - -> - ok" */
static bool action_line(const char *line, char *out, size_t n)
{
    if (strlen(line) < 26 || line[10] != 'T' || line[23] != 'Z' || line[24] != ' ')
        return false;
    const char *who = line + 25;
    if (!strncmp(who, "meltcon@", 8) || !strchr(who, '@'))
        return false;
    char rest[400];
    snprintf(rest, sizeof rest, "%s", who);
    char *cut = strstr(rest, " n=");
    if (cut)
        *cut = 0;
    char *reason = strstr(rest, " reason=");
    char *result = strstr(rest, " result=");
    char tail[200] = "";
    if (result) { /* the result without the journal's quotes */
        const char *r = result + 8;
        size_t len = strlen(r);
        if (*r == '"' && len >= 2 && r[len - 1] == '"')
            snprintf(tail, sizeof tail, " %.*s", (int)(len - 2 < 190 ? len - 2 : 190), r + 1);
        else
            snprintf(tail, sizeof tail, " %.190s", r);
    }
    if (reason)
        *reason = 0;
    else if (result)
        *result = 0;
    snprintf(out, n, "%.8s %.110s%.40s", line + 11, rest, tail);
    return true;
}

static void journal_poll(struct station *st)
{
    time_t now = time(NULL);
    if (!st->jr.pid && now >= st->jr_retry) {
        char *argv[] = {(char *)st->o->meltcon, (char *)"-c", (char *)st->o->config,
                        (char *)"journal", (char *)"--follow", NULL};
        if (child_start(&st->jr, argv) < 0)
            snprintf(st->jr_note, sizeof st->jr_note, "cannot start %s: %s", st->o->meltcon,
                     strerror(errno));
        st->jr_retry = now + RESTART_S;
    }
    if (!st->jr.pid)
        return;
    bool ended = child_read(&st->jr);
    char *nl;
    while ((nl = memchr(st->jr.buf, '\n', st->jr.len))) {
        *nl = 0;
        char shown[160];
        if (action_line(st->jr.buf, shown, sizeof shown)) {
            if (st->nactions == NACTIONS) {
                memmove(st->actions[0], st->actions[1], sizeof st->actions[0] * (NACTIONS - 1));
                st->nactions--;
            }
            snprintf(st->actions[st->nactions++], sizeof st->actions[0], "%s", shown);
            st->jr_note[0] = 0;
        } else if (st->jr.buf[0] && !isdigit((unsigned char)st->jr.buf[0])) {
            snprintf(st->jr_note, sizeof st->jr_note, "%.199s", st->jr.buf); /* meltcon's sentence */
        }
        size_t used = (size_t)(nl - st->jr.buf) + 1;
        memmove(st->jr.buf, nl + 1, st->jr.len - used + 1);
        st->jr.len -= used;
    }
    if (ended) {
        child_end(&st->jr, false);
        st->jr_retry = now + RESTART_S;
        if (!st->jr_note[0])
            snprintf(st->jr_note, sizeof st->jr_note, "the journal reader ended; again in %d s",
                     RESTART_S);
    }
}

/* Parse debrief --progress's lines (tui/cli_debrief.c, print_progress). */
static void progress_parse(struct station *st, char *text)
{
    st->nex = 0;
    bool score = false;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[7] = {0}, *fs = NULL;
        int n = 0;
        for (char *t = strtok_r(l, "\t", &fs); t && n < 7; t = strtok_r(NULL, "\t", &fs))
            f[n++] = t;
        if (n >= 4 && !strcmp(f[0], "run"))
            snprintf(st->title, sizeof st->title, "%s", f[3]);
        else if (n >= 3 && !strcmp(f[0], "expect") && st->nex < NEXPECT) {
            struct expect_row *r = &st->ex[st->nex++];
            snprintf(r->name, sizeof r->name, "%s", f[1]);
            snprintf(r->state, sizeof r->state, "%s", f[2]);
        } else if (n >= 3 && !strcmp(f[0], "score")) {
            st->earned = atoi(f[1]);
            st->possible = atoi(f[2]);
            score = true;
        }
    }
    st->have_progress = score;
}

static void progress_poll(struct station *st)
{
    time_t now = time(NULL);
    if (!*st->scenario)
        return;
    if (!st->db.pid && now >= st->db_next) {
        char *argv[] = {(char *)st->o->meltcon, (char *)"-c", (char *)st->o->config,
                        (char *)"debrief", (char *)"--scenario", st->scenario,
                        (char *)"--progress", NULL};
        if (child_start(&st->db, argv) < 0)
            snprintf(st->db_note, sizeof st->db_note, "cannot start %s: %s", st->o->meltcon,
                     strerror(errno));
        st->db_next = now + PROGRESS_S;
    }
    if (!st->db.pid || !child_read(&st->db))
        return;
    int status = 0;
    close(st->db.fd);
    st->db.fd = -1;
    waitpid(st->db.pid, &status, 0);
    st->db.pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        progress_parse(st, st->db.buf);
        st->db_note[0] = 0;
    } else {
        char *nl = strchr(st->db.buf, '\n');
        if (nl)
            *nl = 0;
        snprintf(st->db_note, sizeof st->db_note, "%.199s", *st->db.buf ? st->db.buf
                                                                    : "debrief failed");
    }
}

static void refresh_data(struct station *st)
{
    const char *path = st->o->path;
    st->up = inst_request(path, "glance", st->glance, sizeof st->glance) == 1;
    if (st->up) {
        inst_request(path, "status", st->status, sizeof st->status);
        inst_request(path, "snapshots", st->snaps, sizeof st->snaps);
        inst_request(path, "pending", st->pending, sizeof st->pending);
        char scen[600];
        if (!*st->scenario && inst_request(path, "scenario", scen, sizeof scen) == 1 &&
            strcmp(body(scen), "none"))
            snprintf(st->scenario, sizeof st->scenario, "%.511s", body(scen));
        const char *s = strstr(st->status, "speed ");
        if (s)
            st->speed = strtod(s + 6, NULL);
        st->frozen = strstr(st->status, ", frozen,") != NULL;
    }
    journal_poll(st);
    progress_poll(st);
}

static void heading(int row, const char *name)
{
    attron(A_BOLD);
    mvaddstr(row, 1, name);
    attroff(A_BOLD);
}

/* The waiting and running timed malfunctions on one line (the done ones left out). */
static void timed_line(const struct station *st, char *out, size_t n)
{
    const char *p = strchr(st->pending, '\n');
    size_t k = 0;
    int shown = 0;
    out[0] = 0;
    while (p && k < n) {
        p++;
        const char *e = strchr(p, '\n');
        int len = e ? (int)(e - p) : (int)strlen(p);
        if (!strstr(p, " done ") || (e && strstr(p, " done ") > e)) {
            k += (size_t)snprintf(out + k, n - k, "%s%.*s", shown++ ? "; " : "", len, p);
        }
        p = e;
    }
    if (!shown)
        snprintf(out, n, "none waiting (t: at MIN FAULT, or ramp FAULT TAG FROM TO MIN)");
}

static void draw(const struct station *st)
{
    erase();
    char t[256];
    snprintf(t, sizeof t, " meltsim instructor - %s", st->o->title);
    bar(0, t);
    int bottom = LINES - 4; /* the last row the panels may use */
    int row = 1;
    if (!st->up) {
        attron(A_BOLD);
        mvprintw(2, 1, "!! NO SIMULATOR - %s - retrying", st->glance);
        attroff(A_BOLD);
        row = 4;
    } else {
        char right[64];
        snprintf(right, sizeof right, " %s %gx ", st->frozen ? "FROZEN" : "RUNNING", st->speed);
        attron(A_REVERSE | A_BOLD);
        mvaddstr(0, COLS - (int)strlen(right) > 0 ? COLS - (int)strlen(right) : 0, right);
        attroff(A_REVERSE | A_BOLD);
        bool roomy = LINES >= 34;
        if (roomy) {
            heading(++row, "PLANT");
            row++;
        }
        const char *g = body(st->glance);
        while (*g && row <= bottom) {
            const char *e = strchr(g, '\n');
            int len = e ? (int)(e - g) : (int)strlen(g);
            mvaddnstr(row++, 1, g, len < COLS - 2 ? len : COLS - 2);
            g += len + (e ? 1 : 0);
        }
        row += roomy;
        heading(row, "STATUS");
        mvaddnstr(row++, 11, body(st->status), COLS - 12);
        heading(row, "SNAPSHOTS");
        mvaddnstr(row++, 11, body(st->snaps), COLS - 12);
        char timed[1024];
        timed_line(st, timed, sizeof timed);
        heading(row, "TIMED");
        mvaddnstr(row++, 11, timed, COLS - 12);
    }
    /* the exercise's progress */
    heading(row, "EXERCISE");
    char line[512];
    if (!*st->scenario) {
        snprintf(line, sizeof line, "none: meltsim runs no --scenario");
    } else if (!st->have_progress) {
        snprintf(line, sizeof line, "%s", *st->db_note ? st->db_note : "reading the record...");
    } else {
        int met = 0, late = 0, pend = 0, missed = 0, taken = 0;
        for (int i = 0; i < st->nex; i++) {
            const char *s = st->ex[i].state;
            met += !strcmp(s, "MET");
            late += !strcmp(s, "LATE");
            pend += !strcmp(s, "PENDING");
            missed += !strcmp(s, "MISSED");
            taken += !strcmp(s, "TAKEN");
        }
        snprintf(line, sizeof line, "%d MET, %d LATE, %d pending, %d MISSED, %d TAKEN; "
                 "%d/%d points; %s", met, late, pend, missed, taken, st->earned, st->possible,
                 st->title);
    }
    mvaddnstr(row++, 11, line, COLS - 12);
    if (st->have_progress && st->nex) { /* the expectations, as many columns as fit */
        int colw = 26, cols = COLS / colw > 0 ? COLS / colw : 1;
        int rows_for = (st->nex + cols - 1) / cols, avail = bottom - row - 2;
        if (rows_for > avail)
            rows_for = avail > 1 ? avail : 1;
        for (int i = 0; i < st->nex && i < rows_for * cols; i++) {
            char cell[64];
            bool last = i == rows_for * cols - 1 && st->nex > rows_for * cols;
            if (last)
                snprintf(cell, sizeof cell, "... %d more", st->nex - i);
            else
                snprintf(cell, sizeof cell, "%-7s %s", st->ex[i].state, st->ex[i].name);
            bool bad = !strcmp(st->ex[i].state, "MISSED") || !strcmp(st->ex[i].state, "TAKEN");
            if (bad && !last)
                attron(A_BOLD);
            mvaddnstr(row + i / cols, 2 + (i % cols) * colw, cell, colw - 1);
            attroff(A_BOLD);
        }
        row += rows_for;
    }
    /* the trainee's actions, newest last */
    heading(row, "ACTIONS");
    if (*st->jr_note)
        mvaddnstr(row, 11, st->jr_note, COLS - 12);
    else if (!st->nactions)
        mvaddnstr(row, 11, "none yet (from meltcon journal --follow)", COLS - 12);
    row++;
    int space = bottom - row + 1;
    int first = st->nactions > space ? st->nactions - space : 0;
    for (int i = first; i < st->nactions && row <= bottom; i++)
        mvaddnstr(row++, 2, st->actions[i], COLS - 3);
    if (*st->reply) {
        heading(LINES - 3, "REPLY");
        mvaddnstr(LINES - 3, 11, st->reply, COLS - 12);
    }
    bar(LINES - 1, COLS >= 110 ? " f freeze/run  +/- speed  s snapshot  r restore  b backtrack  "
                                 "i inject  t timed  x cancel  c clear faults  q quit"
                               : " f freeze +- speed s snap r restore b back i fault t timed "
                                 "x cancel q quit");
    refresh();
}

/* Ask for a line at the bottom; false when it was left empty. */
static bool ask(const char *prompt, char *buf, int n)
{
    move(LINES - 2, 0);
    clrtoeol();
    attron(A_BOLD);
    mvaddnstr(LINES - 2, 1, prompt, COLS - 2);
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
    char rep[4096];
    inst_request(st->o->path, req, rep, sizeof rep);
    snprintf(st->reply, sizeof st->reply, "%.100s: %.400s", req, rep); /* one screen line */
}

int inst_main(const struct inst_opts *o)
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
    st.o = o;
    st.jr.fd = st.db.fd = -1;
    for (;;) {
        refresh_data(&st);
        draw(&st);
        /* a key, or a line from a child, or half a second: a trainee's action is drawn
         * as soon as its journal line comes, not at the next tick */
        struct pollfd pf[3] = {{.fd = 0, .events = POLLIN}, {.fd = st.jr.fd, .events = POLLIN},
                               {.fd = st.db.fd, .events = POLLIN}};
        (void)poll(pf, 3, 500); /* a negative fd is ignored */
        timeout(0);
        int ch = getch();
        timeout(500);
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
        case 'i':
        case 't':
        case 'x': {
            const char *prompt = ch == 's'   ? "snapshot NAME:"
                                 : ch == 'r' ? "restore NAME:"
                                 : ch == 'b' ? "backtrack MINUTES:"
                                 : ch == 'i' ? "inject FAULT [TARGET] [VALUE]:"
                                 : ch == 't' ? "at MIN|HH:MM FAULT [TARGET] [VALUE], or ramp "
                                               "FAULT [TARGET] FROM TO MIN:"
                                             : "cancel N|all:";
            if (!ask(prompt, line, sizeof line))
                break;
            const char *verb = ch == 's'   ? "snapshot "
                               : ch == 'r' ? "restore "
                               : ch == 'b' ? "backtrack "
                               : ch == 'x' ? "cancel "
                                           : "";
            if (ch == 't' && strncmp(line, "at ", 3) && strncmp(line, "ramp ", 5))
                verb = "at "; /* a timed key never injects now */
            snprintf(req, sizeof req, "%s%s", verb, line);
            act(&st, req);
            break;
        }
        case 'c':
            act(&st, "clear");
            break;
        case 12: /* Ctrl-L, as in the console */
            clearok(curscr, TRUE);
            break;
        default:
            break;
        }
    }
    endwin();
    child_end(&st.jr, true);
    child_end(&st.db, true);
    return 0;
}
