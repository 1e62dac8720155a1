/* journal_files — the journal's directory: its day files, reading them line
 * by line, the end of a day file (for open and prune), the anchor, and
 * pruning old days.
 *
 * Files: DIR/journal-YYYY-MM-DD.log (the UTC date of the lines it holds; when the clock
 * goes back a day, lines go on into the newest file so that file order is chain order).
 * DIR/journal.anchor, written by journal_prune: "YYYY-MM-DD SEQ HASH\n", the chain state
 * at the end of the newest pruned day; verification starts there.  "YYYY-MM-DD SEQ HASH
 * keyed\n" when that day's last line was a keyed one: the lines after it must be too.
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

void journal_day_path(char *out, size_t size, const char *dir, long day)
{
    dayfile_path(out, size, dir, "journal", day, "log");
}

/* The next line of f into buf (at most size-1 bytes, newline removed, NUL added).
 * Returns its length, or -1 at the end of the file.  A line longer than the buffer
 * is LINE_LONG and the rest of it skipped; a last line without newline is LINE_TORN. */
long journal_next_line(FILE *f, char *buf, size_t size, enum journal_line_status *st)
{
    size_t n = 0;
    int c;
    *st = LINE_OK;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 < size)
            buf[n++] = (char)c;
        else
            *st = LINE_LONG;
    }
    buf[n] = '\0';
    if (c == EOF && n == 0 && *st == LINE_OK)
        return -1;
    if (c == EOF && *st == LINE_OK)
        *st = LINE_TORN;
    return (long)n;
}

/* A file for reading; NULL with EINVAL when it is not a regular file (a FIFO would
 * block, a device never end). */
FILE *journal_open_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

/* Read the end of one day file.  A line is at most JOURNAL_LINE_MAX bytes, so the
 * last 2*JOURNAL_LINE_MAX bytes hold the last complete line and any torn one. */
int journal_read_end(const char *path, struct journal_end *t)
{
    static const size_t win = 2 * JOURNAL_LINE_MAX;
    memset(t, 0, sizeof *t);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    char *buf = malloc(win + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    off_t start = st.st_size > (off_t)win ? st.st_size - (off_t)win : 0;
    ssize_t n = pread(fd, buf, (size_t)(st.st_size - start), start);
    close(fd);
    if (n < 0) {
        free(buf);
        return -1;
    }
    t->size = start + n;
    size_t end = (size_t)n;
    while (end > 0 && buf[end - 1] != '\n')
        end--;
    if (end == 0 && start > 0) { /* no newline in the window: leave the file alone */
        t->cut = t->size;
        free(buf);
        return 0;
    }
    t->cut = start + (off_t)end;
    size_t torn = (size_t)n - end;
    snprintf(t->torn, sizeof t->torn, "%.*s", (int)(torn < TORN_SHOWN ? torn : TORN_SHOWN),
             buf + end);
    if (torn > 0 && t->torn[0] == '\0') /* a torn line that starts with NUL bytes */
        snprintf(t->torn, sizeof t->torn, "(%zu bytes)", torn);
    if (end > 0) {
        size_t b = end - 1;
        while (b > 0 && buf[b - 1] != '\n')
            b--;
        buf[end - 1] = '\0';
        t->has_line = true;
        if (journal_split_line(buf + b, end - 1 - b, &t->seq, t->hash, &t->keyed) < 0) {
            /* not a journal line: chain on from its digest; verify reports it */
            journal_sha256(buf + b, end - 1 - b, t->hash);
            t->seq = 0;
            t->keyed = false;
        }
    }
    free(buf);
    return 0;
}

/* The anchor, with strict parsing: 1 present and valid, 0 absent, -2 damaged, -1 I/O. */
int journal_anchor_state(const char *dir, long *day, long *seq, unsigned char *hash, bool *keyed)
{
    char path[JOURNAL_PATH_MAX + 32], line[160];
    snprintf(path, sizeof path, "%s/%s", dir, ANCHOR);
    FILE *f = journal_open_read(path);
    if (!f)
        return errno == ENOENT ? 0 : -1;
    bool ok = fgets(line, sizeof line, f) != NULL && getc(f) == EOF;
    fclose(f);
    char *end = NULL;
    ok = ok && strlen(line) > 13 && line[10] == ' ' && (*day = dayfile_parse_date(line)) >= 0;
    if (ok) {
        *seq = strtol(line + 11, &end, 10);
        size_t rest = strlen(end + 1);
        *keyed = rest == HEX_LEN + 7 && strcmp(end + 1 + HEX_LEN, " keyed\n") == 0;
        ok = end > line + 11 && *seq >= 0 && *end == ' ' &&
             (*keyed || (rest == HEX_LEN + 1 && end[1 + HEX_LEN] == '\n')) &&
             journal_from_hex(end + 1, hash) == 0;
    }
    return ok ? 1 : -2;
}

void journal_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int journal_prune(const char *dir, double now, int keep_days)
{
    if (keep_days <= 0)
        return 0;
    struct dayfile_list l;
    if (dayfile_list(dir, "journal", "log", &l) < 0)
        return -1;
    long cutoff = dayfile_day(now) - keep_days + 1;
    int victims = 0;
    while (victims < l.n - 1 && l.day[victims] < cutoff)
        victims++;
    if (victims == 0) {
        free(l.day);
        return 0;
    }
    /* the chain state at the end of the newest victim */
    unsigned char head[JOURNAL_HASH_LEN] = {0};
    long seq = 0, aday;
    bool found = false, keyed = false;
    char path[JOURNAL_PATH_MAX + 32], tmp[JOURNAL_PATH_MAX + 40];
    for (int i = victims - 1; i >= 0 && !found; i--) {
        struct journal_end t;
        journal_day_path(path, sizeof path, dir, l.day[i]);
        if (journal_read_end(path, &t) == 0 && t.has_line) {
            memcpy(head, t.hash, sizeof head);
            seq = t.seq;
            keyed = t.keyed;
            found = true;
        }
    }
    if (!found && journal_anchor_state(dir, &aday, &seq, head, &keyed) != 1) {
        memset(head, 0, sizeof head);
        seq = 0;
        keyed = false;
    }
    char date[11], hex[HEX_LEN + 1], text[HEX_LEN + 48];
    dayfile_date(l.day[victims - 1], date);
    journal_to_hex(head, hex);
    int len = snprintf(text, sizeof text, "%s %ld %s%s\n", date, seq, hex, keyed ? " keyed" : "");
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, ANCHOR);
    snprintf(path, sizeof path, "%s/%s", dir, ANCHOR);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    size_t done;
    int rc = fd < 0 || dayfile_write(fd, text, (size_t)len, &done) < 0 || fsync(fd) < 0 ? -1 : 0;
    int err = errno;
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        err = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        free(l.day);
        errno = err;
        return -1;
    }
    journal_fsync_dir(dir);
    int removed = 0;
    for (int i = 0; i < victims; i++) {
        journal_day_path(path, sizeof path, dir, l.day[i]);
        removed += unlink(path) == 0;
    }
    free(l.day);
    return removed;
}
