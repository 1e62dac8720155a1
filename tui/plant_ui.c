/* plant_ui — the plant overview's screen and its broker connection (see
 * plant.h).  One thread: mosquitto_loop() with a short timeout takes the
 * broker's messages into the model (plant_model.c), then the keys, then a
 * redraw when something changed, at most every PLANT_REDRAW_MS (ncurses
 * sends only what differs, so a steady plant costs the terminal little).
 * The broker lost: a banner says so and since when, the rows keep their
 * state words, and no row is called LIVE on old news (NO-BRKR instead).
 *
 * For `make bench` (tests/bench_mqtt.sh): with MELTCON_PLANT_LATENCY=FILE
 * in the environment, each redraw appends to FILE, for every furnace row
 * it drew with new values, the seconds from the oldest of those values'
 * own timestamps (the server's cycle) to the redraw; at the end, a line
 * "# cpu_s=... maxrss_kb=... wall_s=..." (getrusage).  Nothing else reads it.
 *
 * Keys, as in the console: Up/Down (k/j) select, Enter opens the detail,
 * Esc or Left goes back, PgUp/PgDn page, q or F10 quits, Ctrl-L redraws.
 */
#include "plant_ui.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sparkplug_b.pb-c.h>

#include "clock.h"
#include "plant_model.h"
#include "util.h"

#define PLANT_REDRAW_MS 250
#define PLANT_TICK_MS 50

struct ui {
    const struct cfg *cfg;
    struct plant_tab p;
    struct mosquitto *mq;
    bool up;            /* CONNACK accepted */
    double t_down;      /* mono s the broker was lost (or first tried) */
    char why[400];
    bool dirty;
    int sel;            /* selected row (index into order) */
    int top;
    int detail;         /* node index shown in detail, -1 = the overview */
    int dtop;
    int order[PLANT_MAX];
    char topic_sub[160];
    FILE *lat;          /* MELTCON_PLANT_LATENCY, or NULL */
};

static volatile sig_atomic_t stop_sig;

static void on_sig(int s)
{
    stop_sig = s;
}

static double mono(void)
{
    return (double)clock_mono_ns() / 1e9;
}

static void ask_rebirth(struct ui *u, const char *node)
{
    Org__Eclipse__Tahu__Protobuf__Payload p;
    Org__Eclipse__Tahu__Protobuf__Payload__Metric m;
    Org__Eclipse__Tahu__Protobuf__Payload__Metric *mp[1] = {&m};
    org__eclipse__tahu__protobuf__payload__init(&p);
    org__eclipse__tahu__protobuf__payload__metric__init(&m);
    static char name[] = "Node Control/Rebirth";
    m.name = name;
    m.has_datatype = 1;
    m.datatype = 11;
    m.value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
    m.boolean_value = 1;
    p.n_metrics = 1;
    p.metrics = mp;
    p.has_timestamp = 1;
    p.timestamp = (uint64_t)(clock_wall_s() * 1000);
    uint8_t buf[128];
    size_t len = org__eclipse__tahu__protobuf__payload__pack(&p, buf);
    char topic[200];
    snprintf(topic, sizeof topic, "spBv1.0/%s/NCMD/%s", u->cfg->mqtt.group_id, node);
    mosquitto_publish(u->mq, NULL, topic, (int)len, buf, 0, false);
}

static void on_connect(struct mosquitto *mq, void *obj, int rc)
{
    struct ui *u = obj;
    if (rc) {
        snprintf(u->why, sizeof u->why, "refused: %s", mosquitto_connack_string(rc));
        return;
    }
    u->up = true;
    u->dirty = true;
    mosquitto_subscribe(mq, NULL, u->topic_sub, 0);
}

static void on_disconnect(struct mosquitto *mq, void *obj, int rc)
{
    (void)mq;
    struct ui *u = obj;
    if (u->up)
        u->t_down = mono();
    u->up = false;
    u->dirty = true;
    snprintf(u->why, sizeof u->why, "%s", rc ? mosquitto_strerror(rc) : "closed");
}

static void on_message(struct mosquitto *mq, void *obj, const struct mosquitto_message *msg)
{
    (void)mq;
    struct ui *u = obj;
    enum plant_take_rc rc =
        plant_take(&u->p, msg->topic, msg->payload, (size_t)msg->payloadlen, mono());
    if (rc == PT_ASK_REBIRTH) {
        const char *n = strchr(msg->topic + 8, '/');
        n = n ? strchr(n + 1, '/') : NULL;
        if (n) {
            char node[PLANT_NAME_MAX];
            (void)str_copy(node, sizeof node, n + 1);
            node[strcspn(node, "/")] = '\0';
            ask_rebirth(u, node);
        }
    }
    if (rc == PT_CHANGED)
        u->dirty = true;
}

/* ---- drawing ------------------------------------------------------------------------------- */

static void bar(int y, const char *text)
{
    attron(A_REVERSE);
    mvhline(y, 0, ' ', COLS);
    mvaddnstr(y, 0, text, COLS);
    attroff(A_REVERSE);
}

static void draw_overview(struct ui *u, double now)
{
    char line[256], title[400];
    int live = 0, off = 0;
    for (int i = 0; i < u->p.n; i++) {
        const char *st = plant_state(u->p.node[i]);
        live += !strcmp(st, "LIVE");
        off += !strcmp(st, "OFFLINE");
    }
    snprintf(title, sizeof title, "meltcon plant  group %s  %s:%d  %d furnaces: %d live, %d offline",
             u->cfg->mqtt.group_id, u->cfg->mqtt.host, u->cfg->mqtt.port, u->p.n, live, off);
    bar(0, title);
    int y = 1;
    if (!u->up) {
        char b[500];
        snprintf(b, sizeof b, "BROKER NOT CONNECTED for %.0f s (%s): nothing below is live",
                 now - u->t_down, u->why);
        attron(A_BOLD);
        mvaddnstr(y++, 0, b, COLS);
        clrtoeol();
        attroff(A_BOLD);
    }
    plant_header(line, sizeof line, COLS);
    attron(A_BOLD);
    mvaddnstr(y++, 0, line, COLS);
    clrtoeol();
    attroff(A_BOLD);
    plant_order(&u->p, u->order);
    int rows = LINES - y - 1;
    if (u->sel >= u->p.n)
        u->sel = u->p.n ? u->p.n - 1 : 0;
    if (u->sel < u->top)
        u->top = u->sel;
    if (rows > 0 && u->sel >= u->top + rows)
        u->top = u->sel - rows + 1;
    for (int r = 0; r < rows; r++) {
        int i = u->top + r;
        move(y + r, 0);
        clrtoeol();
        if (i >= u->p.n)
            continue;
        struct plant_node *n = u->p.node[u->order[i]];
        if (u->lat && n->pending_ms)
            fprintf(u->lat, "%.3f\n", clock_wall_s() - (double)n->pending_ms / 1000.0);
        n->pending_ms = 0;
        plant_row(n, now, line, sizeof line, COLS);
        char *word = strstr(line, " LIVE ");
        if (!u->up && word) /* old news is never live: the state word says why */
            memcpy(word + 1, "NO-BRKR", 7);
        int rank = plant_rank(n);
        int attr = (i == u->sel ? A_REVERSE : 0) | (rank <= 1 ? A_BOLD : 0);
        attron(attr);
        mvaddnstr(y + r, 0, line, COLS);
        attroff(attr);
    }
    char foot[160];
    snprintf(foot, sizeof foot, "Enter detail  Up/Down select  q quit   %lu msgs, %lu dropped",
             u->p.msgs, u->p.dropped);
    bar(LINES - 1, foot);
}

static void draw_detail(struct ui *u, double now)
{
    const struct plant_node *n = u->p.node[u->detail];
    char title[200], line[256], v[64];
    snprintf(title, sizeof title, "meltcon plant  furnace %s  %s  bdSeq %llu  last message %.0f s ago",
             n->name, plant_state(n), (unsigned long long)n->bdseq, now - n->t_msg);
    bar(0, title);
    int y = 1;
    bool live = !strcmp(plant_state(n), "LIVE") && u->up;
    if (!live) {
        attron(A_BOLD);
        mvaddnstr(y++, 0, u->up ? "OFFLINE: the values below are the last ones received"
                                : "BROKER NOT CONNECTED: the values below are old",
                  COLS);
        clrtoeol();
        attroff(A_BOLD);
    }
    int rows = LINES - y - 1;
    if (u->dtop > n->nm - 1)
        u->dtop = n->nm > 0 ? n->nm - 1 : 0;
    for (int r = 0; r < rows; r++) {
        int i = u->dtop + r;
        move(y + r, 0);
        clrtoeol();
        if (i >= n->nm)
            continue;
        plant_metric_text(&n->m[i], v, sizeof v);
        snprintf(line, sizeof line, "%-40.40s %s", n->m[i].name, v);
        mvaddnstr(y + r, 0, line, COLS);
    }
    bar(LINES - 1, "Esc back  Up/Down PgUp/PgDn scroll  q quit");
}

static void draw(struct ui *u)
{
    double now = mono();
    if (u->detail >= 0)
        draw_detail(u, now);
    else
        draw_overview(u, now);
    refresh();
}

/* ---- keys ------------------------------------------------------------------------------------ */

/* Returns false to quit. */
static bool key(struct ui *u, int ch)
{
    int page = LINES > 4 ? LINES - 4 : 1;
    bool det = u->detail >= 0;
    int *pos = det ? &u->dtop : &u->sel;
    switch (ch) {
    case 'q':
    case KEY_F(10):
        return false;
    case KEY_UP:
    case 'k':
        if (*pos > 0)
            (*pos)--;
        break;
    case KEY_DOWN:
    case 'j':
        (*pos)++;
        break;
    case KEY_PPAGE:
        *pos = *pos > page ? *pos - page : 0;
        break;
    case KEY_NPAGE:
        *pos += page;
        break;
    case '\n':
    case '\r':
    case KEY_ENTER:
        if (!det && u->sel < u->p.n) {
            u->detail = u->order[u->sel];
            u->dtop = 0;
        }
        break;
    case 27:
    case KEY_LEFT:
    case KEY_BACKSPACE:
        u->detail = -1;
        break;
    case 12: /* Ctrl-L */
        clearok(curscr, TRUE);
        break;
    default:
        return true;
    }
    if (!det && u->sel >= u->p.n)
        u->sel = u->p.n ? u->p.n - 1 : 0;
    u->dirty = true;
    return true;
}

int plant_run(const struct cfg *c)
{
    static struct ui u;
    memset(&u, 0, sizeof u);
    u.cfg = c;
    u.detail = -1;
    u.t_down = mono();
    double t_start = u.t_down;
    const char *lat = getenv("MELTCON_PLANT_LATENCY");
    if (lat && *lat && !(u.lat = fopen(lat, "ae"))) {
        fprintf(stderr, "meltcon plant: MELTCON_PLANT_LATENCY=%s: %s\n", lat, strerror(errno));
        return 1;
    }
    snprintf(u.why, sizeof u.why, "connecting");
    snprintf(u.topic_sub, sizeof u.topic_sub, "spBv1.0/%s/#", c->mqtt.group_id);
    mosquitto_lib_init();
    char id[64];
    snprintf(id, sizeof id, "meltcon-plant-%ld", (long)getpid());
    u.mq = mosquitto_new(id, true, &u);
    if (!u.mq) {
        fprintf(stderr, "meltcon plant: cannot create the MQTT client: %s\n", strerror(errno));
        return 1;
    }
    const struct cfg_mqtt *q = &c->mqtt;
    if (*q->tls_ca &&
        mosquitto_tls_set(u.mq, q->tls_ca, NULL, *q->tls_cert ? q->tls_cert : NULL,
                          *q->tls_key ? q->tls_key : NULL, NULL) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "meltcon plant: [mqtt] tls_ca/tls_cert/tls_key: cannot use them\n");
        mosquitto_destroy(u.mq);
        return 1;
    }
    mosquitto_connect_callback_set(u.mq, on_connect);
    mosquitto_disconnect_callback_set(u.mq, on_disconnect);
    mosquitto_message_callback_set(u.mq, on_message);
    mosquitto_reconnect_delay_set(u.mq, 1, 5, false);

    setlocale(LC_CTYPE, ""); /* LC_CTYPE only: numbers stay in the C locale */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    signal(SIGHUP, on_sig);
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(0);
    set_escdelay(25);

    bool sock = mosquitto_connect(u.mq, q->host, q->port, q->keepalive_s) == MOSQ_ERR_SUCCESS;
    if (!sock)
        snprintf(u.why, sizeof u.why, "cannot reach %s:%d: %s", q->host, q->port, strerror(errno));
    double next_draw = 0, next_try = mono() + 1, next_age = 0;
    u.dirty = true;
    bool run = true;
    while (run && !stop_sig) {
        double now = mono();
        if (sock) {
            if (mosquitto_loop(u.mq, PLANT_TICK_MS, 1) != MOSQ_ERR_SUCCESS) {
                on_disconnect(u.mq, &u, MOSQ_ERR_CONN_LOST);
                sock = false;
                next_try = now + 1;
            }
        } else {
            struct timespec ts = {0, PLANT_TICK_MS * 1000000L};
            nanosleep(&ts, NULL);
            if (now >= next_try) {
                sock = mosquitto_reconnect(u.mq) == MOSQ_ERR_SUCCESS;
                next_try = now + 2;
            }
        }
        int ch;
        while ((ch = getch()) != ERR)
            if (!(run = key(&u, ch)))
                break;
        now = mono();
        if (now >= next_age) { /* the ages tick once a second */
            u.dirty = true;
            next_age = now + 1;
        }
        if (u.dirty && now >= next_draw) {
            draw(&u);
            u.dirty = false;
            next_draw = now + PLANT_REDRAW_MS / 1000.0;
        }
    }
    endwin();
    if (u.lat) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(u.lat, "# cpu_s=%.3f maxrss_kb=%ld wall_s=%.1f\n",
                (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
                ru.ru_maxrss, mono() - t_start);
        fclose(u.lat);
    }
    mosquitto_disconnect(u.mq);
    mosquitto_destroy(u.mq);
    mosquitto_lib_cleanup();
    plant_free(&u.p);
    return 0;
}
