/* server_life — the server's own life (see server.h): its directories and
 * lock file, signals, start in the foreground or detached (with word back
 * to the starting process once the socket answers), and the orderly stop.
 */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "cov.h"
#include "mqtt.h"
#include "server.h"
#include "util.h"

#define NOTIFY_TIMEOUT_MS 15000 /* a detached server says it is up within this */
#define SERVER_LOG_MAX (1L << 20) /* server.log past this at a start becomes server.log.1 */

volatile sig_atomic_t server_stop_signal;

static void on_stop_signal(int sig)
{
    server_stop_signal = sig;
}

/* ---- start ---------------------------------------------------------------------------------- */

/* mkdir -p: path and every directory above it, mode for the new ones. */
static int mkdirs(const char *path, mode_t mode, char *err, size_t errlen)
{
    char p[CFG_PATH_MAX + 96];
    if (!str_copy(p, sizeof p, path)) /* a cut path would create the wrong directory */
        return err_set(err, errlen, "cannot create %s: path too long (at most %zu bytes)", path,
                       sizeof p - 1);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return err_set(err, errlen, "cannot create %s: %s", p, strerror(errno));
        *s = c;
        if (!c)
            break;
    }
    return 0;
}

/* Say how the start went to a waiting parent ("ok PID" / "error TEXT"). */
static void notify(int fd, const char *text)
{
    if (fd < 0)
        return;
    ssize_t n = write(fd, text, strlen(text));
    (void)n;
    close(fd);
}

static int fail_start(int notify_fd, char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    if (notify_fd >= 0) {
        char buf[700];
        snprintf(buf, sizeof buf, "error %s", text);
        notify(notify_fd, buf);
    }
    return 1;
}

/* fail_start once the system journal's sender runs: the heads it holds go first. */
static int fail_start_sj(struct server *sv, int notify_fd, char *msg, size_t msglen,
                         const char *text)
{
    sysjournal_stop(sv->sysj);
    sv->sysj = NULL;
    return fail_start(notify_fd, msg, msglen, text);
}

/* The journal's heads at the end of a day and at its close, to the system journal. */
static void publish_head(void *ctx, const char *event, long day, long seq, bool keyed,
                         const unsigned char *head)
{
    sysjournal_head(ctx, event, day, seq, keyed, head);
}

static void set_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL); /* an SSH server_drop never stops the control loop */
    sigaction(SIGPIPE, &sa, NULL);
}

/* Open the record, the core, the PLC link and the socket, run the loop until
 * a stop, then close everything in order.  notify_fd (or -1): the pipe to
 * the process that started a detached server.  Returns the exit status. */
static int serve(struct server *sv, int notify_fd, char *msg, size_t msglen)
{
    const struct cfg *c = sv->cfg;
    char err[600];
    char pid[32];
    if (server_rt_enter(&c->cycle, err, sizeof err) < 0)
        return fail_start(notify_fd, msg, msglen, err);
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(sv->lock_fd, 0) < 0 || pwrite(sv->lock_fd, pid, (size_t)n, 0) != n)
        return fail_start(notify_fd, msg, msglen, "cannot write the pid to the lock file");
    set_signals();
    struct journal jnl;
    static struct hist hist; /* large; handed to the writer, which keeps its own copy */
    char key[sizeof sv->state_dir + 16];
    snprintf(key, sizeof key, "%s/%s", sv->state_dir, JOURNAL_KEY_FILE);
    int made = journal_key_ensure(key, sv->journal_key, err, sizeof err);
    if (made < 0)
        return fail_start(notify_fd, msg, msglen, err);
    /* the system journal first: it takes the chain's head at the start */
    sv->sysj = sysjournal_start(c->furnace.name);
    if (journal_open(&jnl, sv->journal_dir, clock_wall_s(), sv->journal_key) < 0) {
        snprintf(err, sizeof err, "cannot open the journal in %s: %s", sv->journal_dir,
                 strerror(errno));
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    if (made == 2 && !jnl.rekeyed && jnl.head_keyed &&
        journal_rekey(&jnl, clock_wall_s(),
                      "a new key: the journal's key was not there (lost or removed) and a new "
                      "one was made; the keyed lines before this one verify for their order and "
                      "form only") < 0) {
        snprintf(err, sizeof err, "cannot write the journal in %s: %s", sv->journal_dir,
                 strerror(errno));
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    sysjournal_head(sv->sysj, "start", jnl.day, jnl.seq, jnl.head_keyed, jnl.head);
    journal_publish(&jnl, publish_head, sv->sysj); /* each day's closing head, and the stop's */
    /* the tail clients get on connect starts from the file, read before the writer appends */
    server_tail_load(sv);
    sv->published_seq = jnl.seq; /* every line already in the file counts as published */
    server_jmsg_begin(&sv->bc, 0); /* journal lines for every client */
    char herr[400];
    if (hist_open_err(&hist, sv->hist_dir, c, herr, sizeof herr) < 0) {
        snprintf(err, sizeof err, "cannot open the historian: %s", herr);
        journal_close(&jnl);
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    if (core_init(&sv->core, c, err, sizeof err) < 0 ||
        server_record_start(sv, &jnl, &hist, err, sizeof err) < 0) {
        hist_close(&hist);
        journal_close(&jnl);
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    if (!(sv->mb = plc_modbus_new(&c->plc, err, sizeof err)) ||
        session_listen(&sv->ss, sv->sock, c->server.max_clients, err, sizeof err) < 0 ||
        !(sv->ss.ident = ident_start(&c->server, NULL))) {
        if (sv->ss.max && !sv->ss.ident)
            snprintf(err, sizeof err, "cannot start the account lookups: %s", strerror(errno));
        if (sv->ss.max)
            session_shutdown(&sv->ss, NULL);
        if (sv->mb)
            plc_modbus_free(sv->mb);
        server_record_stop(sv);
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    if (c->mqtt.enabled && !(sv->mqtt = mqtt_start(c, err, sizeof err))) {
        session_shutdown(&sv->ss, NULL);
        ident_stop(sv->ss.ident);
        sv->ss.ident = NULL;
        plc_modbus_free(sv->mb);
        server_record_stop(sv);
        return fail_start_sj(sv, notify_fd, msg, msglen, err);
    }
    server_restore_state(sv);
    int npfd = 3 + sv->ss.max + SERVER_JOBS; /* listening socket, writer, ident, clients, jobs */
    sv->pfd = calloc((size_t)npfd, sizeof *sv->pfd);
    sv->pfd_kind = calloc((size_t)npfd, sizeof *sv->pfd_kind);
    sv->pfd_ref = calloc((size_t)npfd, sizeof *sv->pfd_ref);
    int64_t t0 = clock_mono_ns();
    plc_open(&sv->link, c, &plc_modbus_ops, sv->mb, (uint64_t)(t0 / 1000000));
    sv->t_plc_clock = cfg_tag_index(c, "plc_clock");
    sv->t_plc_mode = cfg_tag_index(c, "plc_mode");
    sv->t_sim_speed = cfg_tag_index(c, "sim_speed");
    sv->t_sim_state = cfg_tag_index(c, "sim_state");
    sv->t_sim_restarts = cfg_tag_index(c, "sim_restarts");
    sv->sim_speed_seen = -1;
    sv->sim_state_seen = sv->sim_restarts_seen = -1;
    double res = sv->t_plc_clock >= 0 ? fabs(c->tags[sv->t_plc_clock].scale) : 1;
    cycle_pclock_init(&sv->pclock, c->cycle.clock == CLOCK_SRC_PLC && sv->t_plc_clock >= 0,
                      c->cycle.period_ms / 1000.0, res);
    cycle_lat_init(&sv->lat);
    sv->period_ns = (int64_t)c->cycle.period_ms * 1000000;
    sv->snap_every = 1.0 / c->cycle.ui_rate_hz;
    sv->next_snap = (double)t0 / 1e9;
    sv->link_state = -1;
    for (int i = 0; i < CFG_MAX_TAGS; i++)
        sv->tags[i] = (struct tag_value){.v = 0, .q = Q_BAD_COMMS};
    server_notify_init(sv, notify_fd < 0);
    char rt[64] = "";
    if (c->cycle.realtime)
        snprintf(rt, sizeof rt, ", real time (SCHED_FIFO %d, memory locked)", c->cycle.rt_priority);
    server_event(sv, "server", "start",
                 "server started: pid %ld, config %s, PLC %s:%d, socket %s, "
                 "period %d ms%s",
                 (long)getpid(), c->path, c->plc.host, c->plc.port, sv->sock, c->cycle.period_ms,
                 rt);
    char ok[64];
    snprintf(ok, sizeof ok, "ok %ld", (long)getpid());
    notify(notify_fd, ok);
    if (notify_fd < 0)
        fprintf(stderr, "meltcon server: furnace %s, pid %ld, socket %s, PLC %s:%d\n",
                c->furnace.name, (long)getpid(), sv->sock, c->plc.host, c->plc.port);

    server_run_loop(sv);

    server_jobs_kill(sv, -1);
    mqtt_stop(sv->mqtt); /* NDEATH, then the broker's connection closed */
    sv->mqtt = NULL;
    if (server_stop_signal)
        snprintf(sv->stop_by, sizeof sv->stop_by, "signal %s", strsignal(server_stop_signal));
    server_notify_stopping(sv);
    server_refusals_flush(sv, (double)clock_mono_ns() / 1e9, true);
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    (void)str_copy(e.user, sizeof e.user, "meltcon");
    (void)str_copy(e.origin, sizeof e.origin, "server");
    (void)str_copy(e.kind, sizeof e.kind, "server");
    (void)str_copy(e.what, sizeof e.what, "stop");
    snprintf(e.result, sizeof e.result, "server stopped (%s) after %llu cycles", sv->stop_by,
             (unsigned long long)sv->cycles);
    server_journal_put(sv, &e);
    server_record_stop(sv); /* every line on disk, the replies that waited for them sent */
    server_broadcast_flush(sv, (double)clock_mono_ns() / 1e9);
    session_shutdown(&sv->ss, "server stopped");
    ident_stop(sv->ss.ident); /* waits for a lookup in progress */
    sv->ss.ident = NULL;
    sysjournal_stop(sv->sysj);
    sv->sysj = NULL;
    plc_close(&sv->link);
    plc_modbus_free(sv->mb);
    free(sv->pfd);
    free(sv->pfd_kind);
    free(sv->pfd_ref);
    server_jobs_reap(sv, 1.0); /* each job's child by its pid; SIGKILLed above */
    if (notify_fd < 0)
        fprintf(stderr, "meltcon server: stopped (%s)\n", sv->stop_by);
    snprintf(msg, msglen, "server stopped (%s)", sv->stop_by);
    return 0;
}

/* ---- detached start ------------------------------------------------------------------------- */

/* Wait for the detached server's word, then for its socket to answer. */
static int wait_started(int rfd, const char *sock, char *msg, size_t msglen)
{
    char buf[700] = "";
    size_t got = 0;
    int64_t end = clock_mono_ns() + (int64_t)NOTIFY_TIMEOUT_MS * 1000000;
    for (;;) {
        int left = (int)((end - clock_mono_ns()) / 1000000);
        struct pollfd p = {.fd = rfd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            snprintf(msg, msglen, "the server did not report within %d s; see its log",
                     NOTIFY_TIMEOUT_MS / 1000);
            return 1;
        }
        ssize_t n = read(rfd, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    if (strncmp(buf, "ok ", 3) != 0) {
        snprintf(msg, msglen, "%s",
                 !strncmp(buf, "error ", 6) ? buf + 6
                                            : "the server ended before it was ready; see its log");
        return 1;
    }
    long pid = strtol(buf + 3, NULL, 10);
    char err[200];
    int fd = session_connect(sock, err, sizeof err);
    if (fd < 0) {
        snprintf(msg, msglen, "server started (pid %ld) but its socket does not answer: %s", pid,
                 err);
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 2000);
    close(fd);
    if (r <= 0) {
        snprintf(msg, msglen, "server started (pid %ld) but its socket does not answer", pid);
        return 1;
    }
    snprintf(msg, msglen, "server started (pid %ld), socket %s", pid, sock);
    return 0;
}

/* state_dir/server.log takes what a detached server writes to stdout and
 * stderr: little (the journal has the events), but it is appended at every
 * start.  Past SERVER_LOG_MAX at a start it becomes server.log.1 (the one
 * before is removed), so the two files stay under twice that plus what one
 * run writes. */
static int rotate_log(const char *log)
{
    struct stat st;
    char old[CFG_PATH_MAX + 112];
    if (stat(log, &st) < 0 || st.st_size <= SERVER_LOG_MAX)
        return 0;
    snprintf(old, sizeof old, "%s.1", log);
    return rename(log, old) < 0 ? errno : 0;
}

/* Fork twice (setsid between) so the server has no terminal and no parent
 * waiting for it, its output in state_dir/server.log (rotated, see
 * rotate_log); return once it reports (see wait_started). */
static int start_detached(struct server *sv, char *msg, size_t msglen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(msg, msglen, "pipe: %s", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return 1;
    }
    if (pid == 0) {
        close(p[0]);
        if (setsid() < 0) {
            cov_flush();
            _exit(1);
        }
        pid_t second = fork();
        if (second !=
            0) { /* the grandchild serves: not a session leader, it never gets a terminal */
            cov_flush();
            _exit(second < 0);
        }
        char log[CFG_PATH_MAX + 96];
        snprintf(log, sizeof log, "%s/server.log", sv->state_dir);
        int rot = rotate_log(log);
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (nul >= 0)
            dup2(nul, 0);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        if (rot)
            fprintf(stderr, "meltcon server: cannot rotate %s to %s.1: %s\n", log, log,
                    strerror(rot));
        if (nul > 2)
            close(nul);
        if (lf > 2)
            close(lf);
        if (chdir("/") < 0) {
            cov_flush();
            _exit(1);
        }
        char m[700];
        int rc = serve(sv, p[1], m, sizeof m);
        fflush(NULL);
        cov_flush();
        _exit(rc);
    }
    close(p[1]);
    waitpid(pid, NULL, 0);
    int rc = wait_started(p[0], sv->sock, msg, msglen);
    close(p[0]);
    return rc;
}

int server_run(const struct cfg *c, bool foreground, char *msg, size_t msglen)
{
    struct server *sv = calloc(1, sizeof *sv);
    char err[600];
    if (!sv) {
        snprintf(msg, msglen, "out of memory");
        return 1;
    }
    sv->cfg = c;
    sv->lock_fd = -1;
    int rc = 1;
    if (c->server.system && !foreground) { /* one controller: systemd's, nobody else's */
        char inst[CFG_PATH_MAX];
        cfg_instance(c, inst, sizeof inst);
        snprintf(msg, msglen,
                 "%s is a system furnace: its server is started by systemd only "
                 "(systemctl start meltcon@%s), which runs `meltcon -c %s server -f`",
                 c->furnace.name, inst, c->path);
        goto out;
    }
    if (session_state_dir(c, sv->state_dir, sizeof sv->state_dir, err, sizeof err) < 0 ||
        session_socket_path(c, sv->sock, sizeof sv->sock, err, sizeof err) < 0) {
        snprintf(msg, msglen, "%s", err);
        goto out;
    }
    snprintf(sv->journal_dir, sizeof sv->journal_dir, "%s/journal", sv->state_dir);
    /* the historian's database, historian.db, lives in the state directory itself (its
     * old day files, imported once, in state_dir/hist: hist.h) */
    snprintf(sv->hist_dir, sizeof sv->hist_dir, "%s", sv->state_dir);
    if (mkdirs(sv->journal_dir, 0750, err, sizeof err) < 0 ||
        mkdirs(sv->hist_dir, 0750, err, sizeof err) < 0) {
        snprintf(msg, msglen, "%s", err);
        goto out;
    }
    char lock[CFG_PATH_MAX + 96];
    snprintf(lock, sizeof lock, "%s/server.lock", sv->state_dir);
    sv->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (sv->lock_fd < 0) {
        snprintf(msg, msglen, "cannot open %s: %s", lock, strerror(errno));
        goto out;
    }
    if (flock(sv->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(sv->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        if (e == EWOULDBLOCK)
            snprintf(msg, msglen, "server already running (pid %s)", *pid ? pid : "?");
        else
            snprintf(msg, msglen, "cannot lock %s: %s", lock, strerror(e));
        goto out;
    }
    rc = foreground ? serve(sv, -1, msg, msglen) : start_detached(sv, msg, msglen);
out:
    if (sv->lock_fd >= 0)
        close(sv->lock_fd);
    free(sv);
    return rc;
}
