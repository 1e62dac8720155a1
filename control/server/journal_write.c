/* journal_write — appending to the journal: open (continuing the chain,
 * repairing a line torn by a crash, starting the keyed chain with a `server
 * rekey` line), append (with fsync on request, and a failed append cut back
 * so the chain carries on), publishing the head at the end of a day and at
 * close, close.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dayfile.h"
#include "util.h"

/* Cut off the half-written line a failed append left in the file of day j->day. */
static int cut_pending(struct journal *j)
{
    if (j->cut_to < 0)
        return 0;
    char path[JOURNAL_PATH_MAX + 32];
    journal_day_path(path, sizeof path, j->dir, j->day);
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)j->cut_to);
    int err = errno;
    close(fd);
    if (rc == 0)
        j->cut_to = -1;
    errno = err;
    return rc;
}

/* A replaced day file stays open until journal_sync has synced it (one
 * kept: a second replacement in one round syncs the first now). */
static void keep_old(struct journal *j, int fd)
{
    if (j->old_fd >= 0) {
        fsync(j->old_fd);
        close(j->old_fd);
    }
    j->old_fd = fd;
}

/* Open the file of `day` for appending.  O_NONBLOCK: a day file that is not a
 * regular file (a FIFO without a reader) fails instead of blocking the cycle. */
static int open_day(struct journal *j, long day)
{
    char path[JOURNAL_PATH_MAX + 32];
    journal_day_path(path, sizeof path, j->dir, day);
    int flags = O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC;
    int fd = open(path, flags | O_CREAT | O_EXCL, 0640);
    bool created = fd >= 0;
    if (fd < 0 && errno == EEXIST)
        fd = open(path, flags);
    if (fd < 0)
        return -1;
    if (created)
        journal_fsync_dir(j->dir);
    if (j->fd >= 0)
        keep_old(j, j->fd); /* its lines still wait for journal_sync */
    j->fd = fd;
    j->day = day;
    return 0;
}

static int fail(struct journal *j, int err)
{
    j->failures++;
    j->last_errno = err;
    errno = err;
    return -1;
}

int journal_append(struct journal *j, const struct journal_entry *e, bool sync)
{
    char line[JOURNAL_LINE_MAX + 1];
    int len = journal_format(e, line, sizeof line - HEX_LEN - 32);
    if (len < 0)
        return fail(j, EINVAL);
    long day = dayfile_day(e->t);
    if (j->day > day)
        day = j->day;
    if (j->publish && j->day >= 0 && day != j->day && j->seq > 0) /* the day's closing head */
        j->publish(j->publish_ctx, "day", j->day, j->seq, j->head_keyed, j->head);
    if (cut_pending(j) < 0 || ((j->fd < 0 || day != j->day) && open_day(j, day) < 0))
        return fail(j, errno);
    len += snprintf(line + len, sizeof line - (size_t)len, " n=%ld", j->seq + 1);
    unsigned char h[JOURNAL_HASH_LEN];
    journal_chain(j->keyed ? &j->mac : NULL, j->head, line, (size_t)len, h);
    memcpy(line + len, j->keyed ? " k=" : " h=", 3);
    journal_to_hex(h, line + len + 3);
    len += 3 + HEX_LEN;
    line[len++] = '\n';

    struct stat st;
    size_t done = 0;
    if (fstat(j->fd, &st) < 0 || dayfile_write(j->fd, line, (size_t)len, &done) < 0 ||
        (sync && fsync(j->fd) < 0)) {
        /* cut back what went in, and reopen next time (the file may have been
         * replaced, the disk remounted) */
        int err = errno;
        if (done > 0 && S_ISREG(st.st_mode)) {
            j->cut_to = (long long)st.st_size;
            if (ftruncate(j->fd, st.st_size) == 0)
                j->cut_to = -1;
        }
        keep_old(j, j->fd); /* the lines before this one still wait for journal_sync */
        j->fd = -1;
        return fail(j, err);
    }
    memcpy(j->head, h, sizeof h);
    j->head_keyed = j->keyed;
    j->seq++;
    j->appended++;
    return 0;
}

/* One line of the journal's own at open (a repair, the rekey), on disk before open returns. */
static int own_line(struct journal *j, double now, const char *what, const char *reason)
{
    struct journal_entry e = {.t = now};
    snprintf(e.user, sizeof e.user, "meltcon");
    snprintf(e.origin, sizeof e.origin, "journal");
    snprintf(e.kind, sizeof e.kind, "server");
    snprintf(e.what, sizeof e.what, "%s", what);
    snprintf(e.reason, sizeof e.reason, "%s", reason);
    snprintf(e.result, sizeof e.result, "ok");
    if (journal_append(j, &e, true) == 0)
        return 0;
    int err = errno;
    journal_close(j);
    errno = err;
    return -1;
}

int journal_open(struct journal *j, const char *dir, double now, const unsigned char *key)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->old_fd = -1;
    j->day = -1;
    j->cut_to = -1;
    if (strlen(dir) >= sizeof j->dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    str_copy(j->dir, sizeof j->dir, dir);
    struct dayfile_list l;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    char path[JOURNAL_PATH_MAX + 32], torn[TORN_SHOWN + 1] = "";
    off_t torn_bytes = 0;
    bool found = false;
    for (int i = l.n - 1; i >= 0 && !found; i--) {
        struct journal_end t;
        journal_day_path(path, sizeof path, dir, l.day[i]);
        if (journal_read_end(path, &t) < 0) {
            free(l.day);
            return -1;
        }
        if (t.size == 0)
            continue;
        if (j->day < 0) {
            j->day = l.day[i];
            if (t.cut < t.size) { /* torn by a crash: its append never returned */
                int fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || ftruncate(fd, t.cut) < 0 || fsync(fd) < 0) {
                    int err = errno;
                    if (fd >= 0)
                        close(fd);
                    free(l.day);
                    errno = err;
                    return -1;
                }
                close(fd);
                torn_bytes = t.size - t.cut;
                str_copy(torn, sizeof torn, t.torn);
            }
        }
        if (t.has_line) {
            memcpy(j->head, t.hash, sizeof j->head);
            j->seq = t.seq;
            j->head_keyed = t.keyed;
            found = true;
        }
    }
    free(l.day);
    long aday, aseq;
    unsigned char ah[JOURNAL_HASH_LEN];
    bool akeyed;
    if (!found && journal_anchor_state(dir, &aday, &aseq, ah, &akeyed) == 1) {
        memcpy(j->head, ah, sizeof ah);
        j->seq = aseq;
        j->head_keyed = akeyed;
    }
    if (!key && j->head_keyed) { /* an unkeyed line after keyed ones would never verify */
        errno = ENOKEY;
        return -1;
    }
    /* a repair line goes in keyed when the chain already is */
    if (key) {
        journal_mac_init(&j->mac, key);
        j->keyed = j->head_keyed;
    }
    if (torn_bytes > 0) {
        char why[JOURNAL_REASON_MAX];
        snprintf(why, sizeof why, "torn last line (%lld bytes) removed after a crash: %s",
                 (long long)torn_bytes, torn);
        if (own_line(j, now, "journal", why) < 0)
            return -1;
        j->repaired = (long)torn_bytes;
    }
    if (key && !j->keyed) { /* a new journal, or one from before the key */
        char why[JOURNAL_REASON_MAX];
        if (j->seq == 0)
            snprintf(why, sizeof why,
                     "the keyed chain starts here: this line and every one after it carry an "
                     "HMAC-SHA-256 with the furnace's key (k=)");
        else
            snprintf(why, sizeof why,
                     "the keyed chain starts here: this line and every one after it carry an "
                     "HMAC-SHA-256 with the furnace's key (k=); the lines up to n=%ld before "
                     "it carry unkeyed SHA-256 hashes (h=)",
                     j->seq);
        j->keyed = true;
        if (own_line(j, now, "rekey", why) < 0)
            return -1;
        j->rekeyed = true;
    }
    return 0;
}

int journal_rekey(struct journal *j, double now, const char *why)
{
    if (!j->keyed) {
        errno = ENOKEY;
        return -1;
    }
    return own_line(j, now, "rekey", why);
}

void journal_publish(struct journal *j,
                     void (*fn)(void *ctx, const char *event, long day, long seq, bool keyed,
                                const unsigned char *head),
                     void *ctx)
{
    j->publish = fn;
    j->publish_ctx = ctx;
}

int journal_sync(struct journal *j, int (*fsync_fn)(int fd, void *ctx), void *ctx)
{
    int rc = 0, err = 0;
    if (j->old_fd >= 0) {
        if ((fsync_fn ? fsync_fn(j->old_fd, ctx) : fsync(j->old_fd)) != 0) {
            rc = -1;
            err = errno;
        }
        close(j->old_fd);
        j->old_fd = -1;
    }
    if (j->fd >= 0 && (fsync_fn ? fsync_fn(j->fd, ctx) : fsync(j->fd)) != 0) {
        rc = -1;
        err = errno;
    }
    errno = err;
    return rc;
}

void journal_close(struct journal *j)
{
    if (j->publish && j->seq > 0)
        j->publish(j->publish_ctx, "stop", j->day, j->seq, j->head_keyed, j->head);
    j->publish = NULL; /* once */
    if (j->old_fd >= 0)
        close(j->old_fd);
    j->old_fd = -1;
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}

void journal_head_hex(const struct journal *j, char hex[2 * JOURNAL_HASH_LEN + 1])
{
    journal_to_hex(j->head, hex);
}
