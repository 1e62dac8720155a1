/* session — the server's client sockets and the helpers clients share
 * (see session.h).
 *
 * Sending, per client, never waiting:
 *   send(MSG_DONTWAIT | MSG_NOSIGNAL) ok        -> t_sent = now
 *   EAGAIN, snapshot (queue = false)            -> skipped++
 *   EAGAIN, reply or job output (queue = true)  -> queued (SESSION_QUEUE deep);
 *                                                  a full queue fails the client
 *   any other error                             -> the caller closes the client
 *   now - t_sent > SESSION_DROP_S               -> stuck: the caller drops it
 * The sockets stay in blocking mode; only MSG_DONTWAIT makes the calls
 * non-blocking, so a forked job child may write to a pipe of its own with
 * plain blocking calls without changing the server's sockets.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ident.h"
#include "proto.h"
#include "util.h"

static bool in_groups(const char *name, const char (*groups)[CFG_NAME_MAX], int n)
{
    if (!name || !*name)
        return false;
    for (int i = 0; i < n; i++)
        if (!strcmp(groups[i], name))
            return true;
    return false;
}

int session_role(unsigned uid, const char (*groups)[CFG_NAME_MAX], int ngroups,
                 const struct cfg_server *srv)
{
    if (uid == 0 || in_groups(srv->engineer_group, groups, ngroups))
        return ROLE_ENGINEER;
    if (in_groups(srv->operator_group, groups, ngroups))
        return ROLE_OPERATOR;
    if (!*srv->viewer_group || in_groups(srv->viewer_group, groups, ngroups))
        return ROLE_VIEWER;
    return -1;
}

/* ---- paths ------------------------------------------------------------------- */

static int fits(char *buf, size_t len, int n, char *err, size_t errlen, const char *what)
{
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "%s: path too long (at most %zu bytes)", what, len - 1);
        return -1;
    }
    (void)buf;
    return 0;
}

/* A relative path, made absolute from the current directory. */
static int absolute(const char *p, char *buf, size_t len, char *err, size_t errlen,
                    const char *what)
{
    char cwd[PATH_MAX];
    if (p[0] == '/')
        return fits(buf, len, snprintf(buf, len, "%s", p), err, errlen, what);
    if (!getcwd(cwd, sizeof cwd)) {
        snprintf(err, errlen, "%s: cannot resolve \"%s\": %s", what, p, strerror(errno));
        return -1;
    }
    return fits(buf, len, snprintf(buf, len, "%s/%s", cwd, p), err, errlen, what);
}

int session_socket_path(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen)
{
    char tmp[CFG_PATH_MAX + 64];
    const char *rt = getenv("XDG_RUNTIME_DIR");
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
    if (*c->server.socket)
        snprintf(tmp, sizeof tmp, "%s", c->server.socket);
    else if (c->server.system)
        snprintf(tmp, sizeof tmp, "/run/meltcon/%s.sock", c->furnace.name);
    else if (rt && *rt)
        snprintf(tmp, sizeof tmp, "%s/meltcon-%s.sock", rt, c->furnace.name);
    else
        snprintf(tmp, sizeof tmp, "/tmp/meltcon-%u/meltcon-%s.sock", (unsigned)getuid(),
                 c->furnace.name);
    char full[sizeof tmp + PATH_MAX];
    if (absolute(tmp, full, sizeof full, err, errlen, "[server] socket") < 0)
        return -1;
    if (strlen(full) >= max || strlen(full) >= len) {
        snprintf(err, errlen,
                 "[server] socket = \"%s\": a Unix socket path has at most %zu bytes; "
                 "set a shorter path in %s",
                 full, (len < max ? len : max) - 1, c->path);
        return -1;
    }
    (void)str_copy(buf, len, full);
    return 0;
}

int session_state_dir(const struct cfg *c, char *buf, size_t len, char *err, size_t errlen)
{
    char tmp[CFG_PATH_MAX + 128];
    const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (*c->server.state_dir)
        snprintf(tmp, sizeof tmp, "%s", c->server.state_dir);
    else if (c->server.system)
        snprintf(tmp, sizeof tmp, "/var/lib/meltcon/%s", c->furnace.name);
    else if (st && *st)
        snprintf(tmp, sizeof tmp, "%s/meltcon/%s", st, c->furnace.name);
    else if (home && *home)
        snprintf(tmp, sizeof tmp, "%s/.local/state/meltcon/%s", home, c->furnace.name);
    else {
        snprintf(err, errlen,
                 "%s: [server] state_dir is empty and neither $XDG_STATE_HOME nor "
                 "$HOME is set: set state_dir",
                 c->path);
        return -1;
    }
    return absolute(tmp, buf, len, err, errlen, "[server] state_dir");
}

void session_origin(char *buf, size_t len)
{
    const char *ssh = getenv("SSH_CLIENT");
    char tty[64] = "";
    if (ttyname_r(0, tty, sizeof tty) != 0)
        tty[0] = 0;
    const char *t = !strncmp(tty, "/dev/", 5) ? tty + 5 : tty;
    if (ssh && *ssh) {
        char addr[48];
        (void)str_copy(addr, sizeof addr, ssh);
        addr[strcspn(addr, " ")] = 0; /* "ADDR PORT PORT" */
        snprintf(buf, len, "ssh:%s%s%s", addr, *t ? " " : "", t);
    } else if (*t) {
        snprintf(buf, len, "%s", t);
    } else {
        snprintf(buf, len, "pid:%ld", (long)getpid());
    }
}

int session_connect(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "%s: socket path too long", path);
        errno = ENAMETOOLONG;
        return -1;
    }
    (void)str_copy(a.sun_path, sizeof a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ---- listening --------------------------------------------------------------- */

/* /tmp/meltcon-UID: ours, a directory, not a symlink, 0700. */
static int private_dir(const char *path, char *err, size_t errlen)
{
    char dir[108];
    (void)str_copy(dir, sizeof dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = 0;
    char want[64];
    snprintf(want, sizeof want, "/tmp/meltcon-%u", (unsigned)getuid());
    if (strcmp(dir, want) != 0)
        return 0;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
        snprintf(err, errlen, "%s: not a directory of ours; remove it or set [server] socket", dir);
        return -1;
    }
    if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int session_listen(struct sessions *ss, const char *path, int max, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memset(ss, 0, sizeof *ss);
    ss->listen_fd = -1;
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "%s: socket path too long", path);
        return -1;
    }
    if (private_dir(path, err, errlen) < 0)
        return -1;
    ss->s = calloc((size_t)max, sizeof *ss->s);
    if (!ss->s) {
        snprintf(err, errlen, "out of memory for %d client slots", max);
        return -1;
    }
    for (int i = 0; i < max; i++)
        ss->s[i].fd = -1;
    ss->max = max;
    ss->next_id = 1;
    (void)str_copy(a.sun_path, sizeof a.sun_path, path);
    (void)str_copy(ss->path, sizeof ss->path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        goto fail;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen,
                     "%s exists and is not a socket; remove it or set [server] "
                     "socket",
                     path);
            close(fd);
            goto fail;
        }
        char e2[160];
        int other = session_connect(path, e2, sizeof e2);
        if (other >= 0) { /* another furnace's server, configured with the same socket */
            close(other);
            snprintf(err, errlen,
                     "%s: another server answers on this socket; give each "
                     "furnace its own [server] socket",
                     path);
            close(fd);
            goto fail;
        }
        unlink(path); /* stale: nobody listens, and we hold this furnace's lock */
    }
    /* The socket file is 0666, set after bind whatever the umask: every
     * account may connect, and the server decides each peer's role (or
     * refuses it with a `bye`) from SO_PEERCRED and its groups.  Until the
     * chmod the file is 0600 (umask 0177), never more open than meant.
     * Who may reach the file at all is the directory's business: the
     * private /tmp/meltcon-UID is 0700. */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    umask(old);
    if (rc == 0 && chmod(path, 0666) < 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0 || listen(fd, 16) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s (see [server] socket)", path,
                 strerror(rc < 0 ? e : errno));
        close(fd);
        goto fail;
    }
    ss->listen_fd = fd;
    return 0;
fail:
    free(ss->s);
    ss->s = NULL;
    ss->max = 0;
    return -1;
}

static void send_bye(int fd, const char *reason)
{
    struct proto_out *o = malloc(sizeof *o);
    if (!o)
        return;
    proto_begin(o, PT_BYE);
    proto_kv(o, "reason", reason);
    if (!o->overflow)
        (void)send(fd, o->buf, o->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    free(o);
}

void session_close(struct sessions *ss, int slot, const char *reason)
{
    struct session *s = &ss->s[slot];
    if (s->fd < 0)
        return;
    if (reason)
        send_bye(s->fd, reason);
    close(s->fd);
    s->fd = -1;
}

void session_shutdown(struct sessions *ss, const char *reason)
{
    for (int i = 0; i < ss->max; i++)
        session_close(ss, i, reason);
    for (int i = 0; i < ss->nwait; i++) {
        if (reason)
            send_bye(ss->wait[i].fd, reason);
        close(ss->wait[i].fd);
    }
    ss->nwait = 0;
    if (ss->listen_fd >= 0) {
        close(ss->listen_fd);
        unlink(ss->path);
    }
    ss->listen_fd = -1;
    free(ss->s);
    ss->s = NULL;
    ss->max = 0;
}

/* ---- who connected ------------------------------------------------------------ */

#define LOOKUP_BUF_MAX (1 << 20) /* an account database entry larger than this is an error */

/* getpwuid_r / getgrnam_r into a buffer that grows while the entry does
 * not fit (ERANGE).  0 with *found set or cleared, or an errno. */
static int pw_lookup(uid_t uid, struct passwd *pw, char **buf, bool *found)
{
    for (size_t len = 1024;; len *= 2) {
        char *b = realloc(*buf, len);
        if (!b)
            return ENOMEM;
        *buf = b;
        struct passwd *res = NULL;
        int e = getpwuid_r(uid, pw, b, len, &res);
        if (e == ERANGE && len < LOOKUP_BUF_MAX)
            continue;
        *found = e == 0 && res;
        /* "not found" comes back as 0 or, from some NSS modules, as one of these */
        return e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ? 0 : e;
    }
}

static int gr_lookup(const char *name, gid_t *gid, char **buf, bool *found)
{
    for (size_t len = 1024;; len *= 2) {
        char *b = realloc(*buf, len);
        if (!b)
            return ENOMEM;
        *buf = b;
        struct group gr, *res = NULL;
        int e = getgrnam_r(name, &gr, b, len, &res);
        if (e == ERANGE && len < LOOKUP_BUF_MAX)
            continue;
        *found = e == 0 && res;
        if (*found)
            *gid = gr.gr_gid;
        return e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ? 0 : e;
    }
}

/* Every group of user (primary gid first), in a buffer that grows until
 * getgrouplist has room for all of them: a user in many groups is never
 * judged on the first few.  The count, or -1 (out of memory). */
static int all_groups(const char *user, gid_t primary, gid_t **gids)
{
    int n = 64;
    for (;;) {
        gid_t *g = realloc(*gids, sizeof *g * (size_t)n);
        if (!g)
            return -1;
        *gids = g;
        int want = n;
        if (getgrouplist(user, primary, g, &want) >= 0)
            return want;
        if (want <= n) /* glibc reports the count it needs; grow by doubling otherwise */
            want = n * 2;
        if (want > 1 << 20)
            return -1;
        n = want;
    }
}

static bool has_gid(const gid_t *gids, int n, gid_t g)
{
    for (int i = 0; i < n; i++)
        if (gids[i] == g)
            return true;
    return false;
}

int session_lookup(unsigned uid, const struct cfg_server *srv, struct session_peer *p, char *err,
                   size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->uid = uid;
    snprintf(p->user, sizeof p->user, "uid%u", uid);
    char *buf = NULL;
    gid_t *gids = NULL;
    struct passwd pw;
    bool found = false;
    int rc = -2;
    int e = pw_lookup((uid_t)uid, &pw, &buf, &found);
    if (e) {
        snprintf(err, errlen,
                 "cannot look up uid %u in the account database (%s): the server cannot "
                 "tell your role",
                 uid, strerror(e));
        goto out;
    }
    rc = -1;
    if (!found) {
        snprintf(err, errlen,
                 "uid %u has no account in the account database: the server cannot tell its "
                 "groups, so it cannot tell its role",
                 uid);
        goto out;
    }
    /* a name cut to fit would journal actions under a name that is not the user's */
    if (!str_copy(p->user, sizeof p->user, pw.pw_name)) {
        snprintf(err, errlen, "user name \"%.40s...\" is longer than %d bytes", pw.pw_name,
                 CFG_NAME_MAX - 1);
        goto out;
    }
    if (uid == 0) { /* root is an engineer whatever its groups */
        rc = 0;
        goto out;
    }
    rc = -2;
    int ng = all_groups(pw.pw_name, pw.pw_gid, &gids);
    if (ng < 0) {
        snprintf(err, errlen, "cannot list the groups of %s: out of memory", p->user);
        goto out;
    }
    const char *role_group[] = {srv->viewer_group, srv->operator_group, srv->engineer_group};
    const char *key[] = {"viewer_group", "operator_group", "engineer_group"};
    for (int i = 0; i < 3; i++) {
        gid_t g = 0;
        if (!*role_group[i])
            continue;
        e = gr_lookup(role_group[i], &g, &buf, &found);
        if (e) {
            snprintf(err, errlen,
                     "cannot look up group %s ([server] %s) in the account database (%s): "
                     "the server cannot tell your role",
                     role_group[i], key[i], strerror(e));
            goto out;
        }
        if (found && has_gid(gids, ng, g))
            (void)str_copy(p->groups[p->ngroups++], CFG_NAME_MAX, role_group[i]);
    }
    rc = 0;
out:
    free(buf);
    free(gids);
    return rc;
}

int session_admit(const struct sessions *ss, const struct cfg_server *srv, const char *user,
                  int role, char *why, size_t whylen)
{
    int free_slots = 0, mine = 0;
    for (int i = 0; i < ss->max; i++) {
        if (ss->s[i].fd < 0)
            free_slots++;
        else if (!strcmp(ss->s[i].user, user))
            mine++;
    }
    if (srv->max_per_user > 0 && mine >= srv->max_per_user) {
        snprintf(why, whylen,
                 "user %s has %d connections to this server already, the most one account may "
                 "hold ([server] max_per_user); close a console or a `journal --follow` first",
                 user, mine);
        return -1;
    }
    if (free_slots == 0) {
        snprintf(why, whylen, "%d clients attached already ([server] max_clients)", ss->max);
        return -1;
    }
    if (role == ROLE_VIEWER && free_slots <= srv->reserved_slots) {
        snprintf(why, whylen,
                 "only %d of %d slots are free and the last %d are kept for operators and "
                 "engineers ([server] reserved_slots); as a viewer, try again when a console "
                 "closes",
                 free_slots, ss->max, srv->reserved_slots);
        return -1;
    }
    return 0;
}

/* The peer's uid and pid from the socket (no account database). */
static int peer_cred(int fd, unsigned *uid, long *pid, char *err, size_t errlen)
{
    struct ucred cr;
    socklen_t l = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0) {
        snprintf(err, errlen, "SO_PEERCRED: %s", strerror(errno));
        return -1;
    }
    *uid = cr.uid;
    *pid = cr.pid;
    return 0;
}

/* Refuse a connection before it has a slot: a `bye` that says why. */
static int refuse_fd(struct sessions *ss, int fd, char *why, size_t whylen, const char *text)
{
    snprintf(why, whylen, "%s", text);
    send_bye(fd, why);
    close(fd);
    ss->refused++;
    return -1;
}

/* Give a connection whose peer is known a slot and a role, or refuse it. */
static int admit(struct sessions *ss, const struct cfg_server *srv, int fd,
                 const struct session_peer *p, double now, char *why, size_t whylen)
{
    int slot = -1;
    for (int i = 0; i < ss->max && slot < 0; i++)
        if (ss->s[i].fd < 0)
            slot = i;
    if (slot < 0) {
        char t[120];
        snprintf(t, sizeof t, "%d clients attached already ([server] max_clients)", ss->max);
        return refuse_fd(ss, fd, why, whylen, t);
    }
    int role = session_role(p->uid, (const char(*)[CFG_NAME_MAX])p->groups, p->ngroups, srv);
    if (role < 0) {
        char names[3 * CFG_NAME_MAX + 8] = "", t[600];
        const char *g[] = {srv->viewer_group, srv->operator_group, srv->engineer_group};
        for (int i = 0; i < 3; i++)
            if (*g[i])
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         *names ? ", " : "", g[i]);
        snprintf(t, sizeof t,
                 "user %s is in none of the groups allowed to view this furnace (%s); ask for "
                 "membership of %s",
                 p->user, names, srv->viewer_group);
        return refuse_fd(ss, fd, why, whylen, t);
    }
    char t[600];
    if (session_admit(ss, srv, p->user, role, t, sizeof t) < 0)
        return refuse_fd(ss, fd, why, whylen, t);
    /* a snapshot is one packet: the default buffer (net.core.wmem_default)
     * may be smaller than the largest; the kernel caps this at wmem_max */
    int sndbuf = 2 * PROTO_MAX_MSG;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct session *s = &ss->s[slot];
    s->fd = fd;
    s->id = ss->next_id++;
    s->role = (enum core_role)role;
    (void)str_copy(s->user, sizeof s->user, p->user);
    snprintf(s->origin, sizeof s->origin, "pid:%ld", p->pid);
    s->t_connect = s->t_sent = now;
    s->sent = s->skipped = 0;
    s->quiet = false;
    s->nqueue = 0;
    ss->accepted++;
    return slot;
}

/* The peer of a connection: from the cache (IDENT_WAIT: not known yet), or
 * looked up here when the server has no cache (a test). */
static enum ident_answer peer_of(struct sessions *ss, const struct cfg_server *srv, unsigned uid,
                                 long pid, double now, struct session_peer *p, char *err,
                                 size_t errlen)
{
    enum ident_answer a;
    if (ss->ident)
        a = ident_get(ss->ident, uid, now, p, err, errlen);
    else
        a = session_lookup(uid, srv, p, err, errlen) == 0 ? IDENT_OK : IDENT_REFUSED;
    p->pid = pid;
    return a;
}

/* A connection that waited for the account database and now has its
 * answer (or has waited SESSION_WAIT_S): admitted or refused, -2 none. */
static int admit_waiting(struct sessions *ss, const struct cfg_server *srv, double now, char *why,
                         size_t whylen, char who[CFG_NAME_MAX])
{
    for (int i = 0; i < ss->nwait; i++) {
        struct session_wait *w = &ss->wait[i];
        struct session_peer p;
        char err[300];
        enum ident_answer a = peer_of(ss, srv, w->uid, w->pid, now, &p, err, sizeof err);
        if (a == IDENT_WAIT && now - w->since < SESSION_WAIT_S)
            continue;
        int fd = w->fd;
        unsigned uid = w->uid;
        ss->nwait--;
        memmove(&ss->wait[i], &ss->wait[i + 1], sizeof ss->wait[0] * (size_t)(ss->nwait - i));
        if (a == IDENT_OK) {
            (void)str_copy(who, CFG_NAME_MAX, p.user);
            return admit(ss, srv, fd, &p, now, why, whylen);
        }
        if (a == IDENT_WAIT)
            snprintf(err, sizeof err,
                     "the account database did not answer for uid %u within %.0f s: the server "
                     "cannot tell your role; try again",
                     uid, SESSION_WAIT_S);
        snprintf(who, CFG_NAME_MAX, "uid%u", uid);
        return refuse_fd(ss, fd, why, whylen, err);
    }
    return -2;
}

int session_accept(struct sessions *ss, const struct cfg_server *srv, double now, char *why,
                   size_t whylen, char who[CFG_NAME_MAX])
{
    why[0] = 0;
    (void)str_copy(who, CFG_NAME_MAX, "?");
    int got = admit_waiting(ss, srv, now, why, whylen, who);
    if (got != -2)
        return got;
    int fd = accept4(ss->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    unsigned uid;
    long pid;
    char err[300];
    if (peer_cred(fd, &uid, &pid, err, sizeof err) < 0)
        return refuse_fd(ss, fd, why, whylen, err);
    snprintf(who, CFG_NAME_MAX, "uid%u", uid);
    struct session_peer *p = malloc(sizeof *p);
    if (!p)
        return refuse_fd(ss, fd, why, whylen, "out of memory");
    enum ident_answer a = peer_of(ss, srv, uid, pid, now, p, err, sizeof err);
    int rc = -1;
    if (a == IDENT_WAIT && ss->nwait < SESSION_WAITING) {
        /* the client waits for the account database; the cycle does not */
        ss->wait[ss->nwait++] = (struct session_wait){.fd = fd, .uid = uid, .pid = pid,
                                                      .since = now};
    } else if (a == IDENT_WAIT) {
        rc = refuse_fd(ss, fd, why, whylen,
                       "too many connections are waiting for the account database; try again");
    } else if (a == IDENT_REFUSED) {
        rc = refuse_fd(ss, fd, why, whylen, err);
    } else {
        (void)str_copy(who, CFG_NAME_MAX, p->user);
        rc = admit(ss, srv, fd, p, now, why, whylen);
    }
    free(p);
    return rc;
}

int session_waiting(const struct sessions *ss)
{
    return ss->nwait;
}

int session_find(const struct sessions *ss, int id)
{
    for (int i = 0; i < ss->max; i++)
        if (ss->s[i].fd >= 0 && ss->s[i].id == id)
            return i;
    return -1;
}

/* ---- sending ------------------------------------------------------------------ */

/* 1 sent, 0 the socket is full, -1 failed. */
static int try_send(struct session *s, const void *buf, size_t len, double now)
{
    ssize_t n = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == (ssize_t)len) {
        s->sent++;
        s->t_sent = now;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
        return 0;
    return -1;
}

int session_flush(struct session *s, double now)
{
    while (s->nqueue > 0) {
        int r = try_send(s, s->queue[0], s->qlen[0], now);
        if (r < 0)
            return -1;
        if (r == 0)
            return s->nqueue;
        s->nqueue--;
        memmove(s->qlen, s->qlen + 1, sizeof s->qlen[0] * (size_t)s->nqueue);
        memmove(s->queue, s->queue + 1, sizeof s->queue[0] * (size_t)s->nqueue);
    }
    return 0;
}

int session_try(struct session *s, const void *buf, size_t len, double now)
{
    if (s->fd < 0)
        return -1;
    int q = session_flush(s, now);
    if (q != 0)
        return q < 0 ? -1 : 0;
    return try_send(s, buf, len, now);
}

int session_send(struct session *s, const void *buf, size_t len, bool queue, double now)
{
    int r = session_try(s, buf, len, now);
    if (r != 0)
        return r;
    if (!queue) {
        s->skipped++;
        return 0;
    }
    if (s->nqueue >= SESSION_QUEUE || len > SESSION_QUEUE_MSG)
        return -1; /* it has not read its replies: it is not coming back */
    memcpy(s->queue[s->nqueue], buf, len);
    s->qlen[s->nqueue++] = len;
    return 0;
}

bool session_stuck(const struct session *s, double now)
{
    return s->fd >= 0 && now - s->t_sent > SESSION_DROP_S;
}
