/* journal_key — the furnace's journal key: 32 random bytes in
 * STATE_DIR/journal.key (JOURNAL_KEY_FILE), created by the server at its
 * first start (getrandom(2); mode 0400, owned by the server's account, which
 * owns the state directory), read by the server at every start and by
 * `meltcon journal --verify` run as that account or root.  A key another
 * account could read is no secret: it is refused.  The key never leaves the
 * file (no log, no message shows it); back it up with the state directory,
 * apart from the journal's copies: who has the key can forge the journal.
 */
#include "journal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dayfile.h"

int journal_key_load(const char *path, unsigned char key[JOURNAL_KEY_LEN], char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        int err = errno;
        snprintf(why, n, "cannot read the journal key %s: %s%s", path, strerror(err),
                 err == EACCES ? " (only the server's account and root may)" : "");
        errno = err;
        return -1;
    }
    struct stat st;
    unsigned char extra;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        snprintf(why, n, "the journal key %s is not a regular file", path);
    else if (st.st_mode & 077)
        snprintf(why, n,
                 "the journal key %s has mode %04o: group or others may read it, so it is no "
                 "secret; expected 0400 or 0600 (chmod 0400 %s, and consider the journal "
                 "forgeable by whoever read it)",
                 path, (unsigned)(st.st_mode & 07777), path);
    else if (read(fd, key, JOURNAL_KEY_LEN) != JOURNAL_KEY_LEN || read(fd, &extra, 1) != 0)
        snprintf(why, n, "the journal key %s is not %d bytes long", path, JOURNAL_KEY_LEN);
    else {
        close(fd);
        return 1;
    }
    close(fd);
    memset(key, 0, JOURNAL_KEY_LEN);
    errno = EINVAL;
    return -1;
}

int journal_key_ensure(const char *path, unsigned char key[JOURNAL_KEY_LEN], char *why, size_t n)
{
    int rc = journal_key_load(path, key, why, n);
    if (rc != 0)
        return rc;
    size_t got = 0;
    while (got < JOURNAL_KEY_LEN) { /* getrandom blocks until the pool is ready: wanted here */
        ssize_t r = getrandom(key + got, JOURNAL_KEY_LEN - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, n, "cannot make the journal key: getrandom: %s", strerror(errno));
            return -1;
        }
        got += (size_t)r;
    }
    /* written whole under a temporary name, then linked in: a crash leaves no short key */
    char tmp[JOURNAL_PATH_MAX + 80];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
    size_t done = 0;
    int err = 0;
    if (fd < 0 || dayfile_write(fd, key, JOURNAL_KEY_LEN, &done) < 0 || fsync(fd) < 0)
        err = errno;
    if (fd >= 0 && close(fd) < 0 && !err)
        err = errno;
    if (!err && link(tmp, path) < 0)
        err = errno;
    unlink(tmp);
    if (err == EEXIST) /* another start made it first: use that one */
        return journal_key_load(path, key, why, n) == 1 ? 1 : -1;
    if (err) {
        snprintf(why, n, "cannot create the journal key %s: %s", path, strerror(err));
        memset(key, 0, JOURNAL_KEY_LEN);
        errno = err;
        return -1;
    }
    char dir[JOURNAL_PATH_MAX + 80];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        journal_fsync_dir(slash == dir ? "/" : dir);
    }
    return 2;
}
