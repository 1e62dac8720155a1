/* test_writer — the writer's thread on real files: lines in push order with
 * their sequence numbers; group commit (the lines queued while a round is
 * in its fsync make the next round, with one fsync of the journal); a
 * line's outcome is handed back only after the fsync of its round; the
 * loops' state written whole (tmp, fsync, rename, fsync of the directory)
 * before the line that needs it is handed back; a full disk (a day file
 * and a state file that are /dev/full: ENOSPC from the kernel) and a failed
 * fsync (EIO from the spy) hand back the errno, never success, and set the
 * status the DISK alarm and the gate read; a full queue refuses the push
 * (-1, counted, "behind") without waiting; wr_stop writes what is queued.
 *
 * The spy is the writer's fsync hook (struct wr_conf): it counts the files
 * synced, can hold a round in its fsync until the test lets go, and can
 * fail.  Waits are bounded at 10 s so a broken writer fails instead of
 * hanging; nothing here asserts on how fast anything is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dayfile.h"
#include "writer.h"

#define T0 1795946400.0 /* 2026-11-29T10:00:00Z */
#define WAIT_S 10.0     /* a bound for failure, not a measurement */

/* ---- the fsync spy ------------------------------------------------------------------ */

struct spy {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool hold, held; /* hold the next fsync until hold is cleared; held: one is waiting */
    char fail[32];   /* fail fsyncs of files whose name starts with this */
    int fail_errno;
    int n;
    char name[512][64]; /* the files synced, in order */
};

static struct spy spy;

static void file_name(int fd, char *out, size_t len)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash && slash[1] ? slash + 1 : "(dir)");
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(out, len, "(dir)");
}

static int spy_fsync(int fd, void *ctx)
{
    struct spy *s = ctx;
    char name[64];
    file_name(fd, name, sizeof name);
    pthread_mutex_lock(&s->mu);
    if (s->n < 512)
        snprintf(s->name[s->n++], sizeof s->name[0], "%s", name);
    if (s->hold) {
        s->held = true;
        pthread_cond_broadcast(&s->cv);
        while (s->hold)
            pthread_cond_wait(&s->cv, &s->mu);
        s->held = false;
    }
    bool fail = *s->fail && !strncmp(name, s->fail, strlen(s->fail));
    int e = s->fail_errno;
    pthread_mutex_unlock(&s->mu);
    if (fail) {
        errno = e;
        return -1;
    }
    return fsync(fd);
}

static void spy_hold(bool on)
{
    pthread_mutex_lock(&spy.mu);
    spy.hold = on;
    pthread_cond_broadcast(&spy.cv);
    pthread_mutex_unlock(&spy.mu);
}

/* Wait until a round sits in its fsync. */
static void spy_wait_held(void)
{
    double end = clock_mono_s() + WAIT_S;
    pthread_mutex_lock(&spy.mu);
    while (!spy.held && clock_mono_s() < end) {
        struct timespec ts = {0, 0};
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&spy.cv, &spy.mu, &ts);
    }
    bool held = spy.held;
    pthread_mutex_unlock(&spy.mu);
    assert_true(held);
}

static int spy_count(const char *prefix)
{
    int n = 0;
    pthread_mutex_lock(&spy.mu);
    for (int i = 0; i < spy.n; i++)
        n += !strncmp(spy.name[i], prefix, strlen(prefix));
    pthread_mutex_unlock(&spy.mu);
    return n;
}

/* ---- fixture ------------------------------------------------------------------------ */

struct fx {
    char dir[64], jdir[96], hdir[96];
    struct cfg cfg;
    struct wr *w;
};

static void rm_rf(const char *d)
{
    DIR *dir = opendir(d);
    if (!dir)
        return;
    struct dirent *de;
    char p[512];
    while ((de = readdir(dir)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
    }
    closedir(dir);
    rmdir(d);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_writer.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->jdir, sizeof f->jdir, "%s/journal", f->dir);
    snprintf(f->hdir, sizeof f->hdir, "%s/hist", f->dir);
    assert_int_equal(mkdir(f->jdir, 0750), 0);
    assert_int_equal(mkdir(f->hdir, 0750), 0);
    f->cfg.server.historian_period_s = 1;
    f->cfg.server.historian_deadband_pct = 0.1;
    struct cfg_tag *t = &f->cfg.tags[f->cfg.ntags++];
    snprintf(t->name, sizeof t->name, "bath_hc_temp");
    t->type = TAG_INT16;
    t->scale = 1;
    t->has_range = true;
    t->range_hi = 1100;
    pthread_mutex_lock(&spy.mu);
    spy.hold = spy.held = false;
    spy.fail[0] = 0;
    spy.n = 0;
    pthread_mutex_unlock(&spy.mu);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    spy_hold(false);
    wr_free(f->w);
    rm_rf(f->dir);
    free(f);
    return 0;
}

static void start(struct fx *f)
{
    struct wr_conf c;
    memset(&c, 0, sizeof c);
    snprintf(c.state_dir, sizeof c.state_dir, "%s", f->dir);
    snprintf(c.journal_dir, sizeof c.journal_dir, "%s", f->jdir);
    snprintf(c.hist_dir, sizeof c.hist_dir, "%s", f->hdir);
    c.reserve_bytes = 0;
    c.fsync = spy_fsync;
    c.fsync_ctx = &spy;
    struct journal j;
    static struct hist h;
    char err[200];
    assert_int_equal(journal_open(&j, f->jdir, T0, NULL), 0);
    assert_int_equal(hist_open(&h, f->hdir, &f->cfg), 0);
    f->w = wr_start(&c, &j, &h, err, sizeof err);
    assert_non_null(f->w);
}

static void entry(struct journal_entry *e, const char *what, int i)
{
    memset(e, 0, sizeof *e);
    e->t = T0 + i * 0.001;
    snprintf(e->user, sizeof e->user, "anna");
    snprintf(e->origin, sizeof e->origin, "pts/1");
    snprintf(e->kind, sizeof e->kind, "set");
    snprintf(e->what, sizeof e->what, "%s", what);
    snprintf(e->result, sizeof e->result, "ok: line %d", i);
}

/* Take n finished lines (waiting at most WAIT_S in all). */
static void take_n(struct wr *w, struct wr_done *out, int n)
{
    double end = clock_mono_s() + WAIT_S;
    int got = 0;
    while (got < n) {
        if (wr_take(w, &out[got])) {
            got++;
            continue;
        }
        assert_true(clock_mono_s() < end);
        struct pollfd p = {.fd = wr_fd(w), .events = POLLIN};
        poll(&p, 1, 50);
        wr_ack(w);
    }
}

static int journal_lines(const char *jdir, char lines[][600], int max)
{
    char path[256];
    dayfile_path(path, sizeof path, jdir, "journal", dayfile_day(T0), "log");
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    int n = 0;
    while (n < max && fgets(lines[n], 600, fp))
        n++;
    fclose(fp);
    return n;
}

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = 0;
    fclose(fp);
}

/* ---- order, group commit, release after the fsync ------------------------------------- */

#define BATCH 20

static void test_group_commit(void **state)
{
    struct fx *f = *state;
    start(f);
    static struct wr_done d[BATCH + 1];
    struct journal_entry e;
    spy_hold(true);
    entry(&e, "first", 0);
    assert_int_equal(wr_push(f->w, &e, false), 0);
    spy_wait_held(); /* round 1 (the first line) sits in its fsync */
    for (int i = 1; i <= BATCH; i++) {
        entry(&e, "batch", i);
        assert_int_equal(wr_push(f->w, &e, false), i);
    }
    /* nothing is handed back while its round's fsync has not returned */
    assert_int_equal(wr_take(f->w, &d[0]), 0);
    struct wr_status st;
    wr_status(f->w, &st);
    assert_int_equal(st.queued, BATCH + 1);
    assert_int_equal(spy_count("journal-"), 1);
    spy_hold(false);
    take_n(f->w, d, BATCH + 1);
    for (int i = 0; i <= BATCH; i++) {
        assert_int_equal(d[i].seq, i);
        assert_int_equal(d[i].err, 0);
        assert_int_equal(d[i].e.seq, i + 1); /* the journal's own numbering */
    }
    /* two rounds: the first line, then the 20 queued meanwhile with one fsync */
    assert_int_equal(spy_count("journal-"), 2);
    wr_status(f->w, &st);
    assert_int_equal(st.rounds, 2);
    assert_int_equal(st.journal_fsyncs, 2);
    assert_int_equal(st.lines, BATCH + 1);
    assert_int_equal(st.queued, 0);
    assert_true(st.journal_ok);
    static char lines[64][600];
    assert_int_equal(journal_lines(f->jdir, lines, 64), BATCH + 1);
    for (int i = 0; i <= BATCH; i++) {
        char want[64];
        snprintf(want, sizeof want, "result=\"ok: line %d\" n=%d ", i, i + 1);
        assert_non_null(strstr(lines[i], want));
    }
}

/* ---- the loops' state ---------------------------------------------------------------- */

static void test_state_before_release(void **state)
{
    struct fx *f = *state;
    start(f);
    char path[256], tmp[300], buf[256];
    wr_state_path(f->dir, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct journal_entry e;
    struct wr_done d;
    const char *text = "loop bath mode=AUTO sp=760 kp=80 ti_s=3000 td_s=0\n";
    wr_state(f->w, text, strlen(text));
    entry(&e, "bath.sp", 1);
    assert_int_equal(wr_push(f->w, &e, true), 0);
    take_n(f->w, &d, 1);
    assert_true(d.state);
    assert_int_equal(d.err, 0);
    assert_int_equal(d.state_err, 0);
    /* the state was on disk when the line came back: file, dir and journal synced */
    read_file(path, buf, sizeof buf);
    assert_string_equal(buf, text);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(spy_count("loops.state"), 1);
    assert_true(spy_count("(dir)") >= 1);
    assert_int_equal(spy_count("journal-"), 1);
    struct wr_status st;
    wr_status(f->w, &st);
    assert_true(st.state_ok);
    assert_int_equal(st.state_saves, 1);
}

/* ---- a full disk: the kernel's ENOSPC from /dev/full -------------------------------------- */

static void test_full_disk_journal(void **state)
{
    struct fx *f = *state;
    char path[256];
    dayfile_path(path, sizeof path, f->jdir, "journal", dayfile_day(T0), "log");
    assert_int_equal(symlink("/dev/full", path), 0);
    start(f);
    struct journal_entry e;
    struct wr_done d[2];
    entry(&e, "bath.sp", 1);
    assert_int_equal(wr_push(f->w, &e, false), 0);
    entry(&e, "bath.sp", 2);
    assert_int_equal(wr_push(f->w, &e, false), 1);
    take_n(f->w, d, 2);
    assert_int_equal(d[0].err, ENOSPC);
    assert_int_equal(d[1].err, ENOSPC);
    struct wr_status st;
    wr_status(f->w, &st);
    assert_false(st.journal_ok);
    assert_int_equal(st.journal_errno, ENOSPC);
    assert_int_equal(st.failed, 2);
    assert_int_equal(st.lines, 0);
    /* space again: the next line is written and the status clears */
    assert_int_equal(unlink(path), 0);
    entry(&e, "bath.sp", 3);
    assert_int_equal(wr_push(f->w, &e, false), 2);
    take_n(f->w, d, 1);
    assert_int_equal(d[0].err, 0);
    wr_status(f->w, &st);
    assert_true(st.journal_ok);
}

static void test_full_disk_state(void **state)
{
    struct fx *f = *state;
    char path[256], tmp[300], buf[256];
    wr_state_path(f->dir, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("loop bath mode=AUTO sp=750\n", fp);
    fclose(fp);
    assert_int_equal(symlink("/dev/full", tmp), 0);
    start(f);
    const char *text = "loop bath mode=AUTO sp=760\n";
    wr_state(f->w, text, strlen(text));
    /* The failed save removes its temporary file, and the writer retries
     * after WR_RETRY_S: on a loaded machine that retry may come before the
     * push's round and find room.  So wait for the first failure, put the
     * full "disk" back, and only then push: every save until the link goes
     * fails, whichever round it falls in. */
    struct wr_status st;
    for (int i = 0; i < 1000; i++) {
        wr_status(f->w, &st);
        if (!st.state_ok)
            break;
        usleep(10000);
    }
    assert_false(st.state_ok);
    unlink(tmp);
    assert_int_equal(symlink("/dev/full", tmp), 0);
    struct journal_entry e;
    struct wr_done d;
    entry(&e, "bath.sp", 1);
    wr_push(f->w, &e, true);
    take_n(f->w, &d, 1);
    assert_int_equal(d.err, 0);            /* the journal took the line */
    assert_int_equal(d.state_err, ENOSPC); /* but not the state: never "ok" */
    wr_status(f->w, &st);
    assert_false(st.state_ok);
    assert_int_equal(st.state_errno, ENOSPC);
    read_file(path, buf, sizeof buf); /* the old state is whole */
    assert_string_equal(buf, "loop bath mode=AUTO sp=750\n");
    char what[64], note[WR_NOTE_MAX];
    assert_int_equal(wr_note(f->w, what, sizeof what, note, sizeof note), 1);
    assert_string_equal(what, "state");
    assert_non_null(strstr(note, "cannot keep the loops' settings in"));
    assert_non_null(strstr(note, "No space left on device"));
    /* room again (the tmp link gone): the next change is kept */
    unlink(tmp);
    const char *t2 = "loop bath mode=AUTO sp=765\n";
    wr_state(f->w, t2, strlen(t2));
    entry(&e, "bath.sp", 2);
    wr_push(f->w, &e, true);
    take_n(f->w, &d, 1);
    assert_int_equal(d.state_err, 0);
    read_file(path, buf, sizeof buf);
    assert_string_equal(buf, t2);
    wr_status(f->w, &st);
    assert_true(st.state_ok);
}

/* A failed fsync: the lines were written but may not be on disk, so none
 * of the round is handed back as done. */
static void test_fsync_error(void **state)
{
    struct fx *f = *state;
    start(f);
    pthread_mutex_lock(&spy.mu);
    snprintf(spy.fail, sizeof spy.fail, "journal-");
    spy.fail_errno = EIO;
    pthread_mutex_unlock(&spy.mu);
    struct journal_entry e;
    struct wr_done d[3];
    for (int i = 0; i < 3; i++) {
        entry(&e, "x", i);
        wr_push(f->w, &e, false);
    }
    take_n(f->w, d, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(d[i].err, EIO);
    struct wr_status st;
    wr_status(f->w, &st);
    assert_false(st.journal_ok);
    assert_int_equal(st.journal_errno, EIO);
}

/* ---- a full queue ------------------------------------------------------------------------ */

static void test_queue_full(void **state)
{
    struct fx *f = *state;
    start(f);
    struct journal_entry e;
    spy_hold(true);
    entry(&e, "x", 0);
    assert_int_equal(wr_push(f->w, &e, false), 0);
    spy_wait_held();
    struct wr_status st;
    int i = 1;
    for (; i < WR_QUEUE; i++) {
        entry(&e, "x", i);
        assert_int_equal(wr_push(f->w, &e, false), i);
        wr_status(f->w, &st);
        assert_int_equal(st.behind, WR_QUEUE - (i + 1) < WR_HEADROOM);
    }
    /* full: refused at once, counted; nothing waits */
    entry(&e, "x", i);
    assert_int_equal(wr_push(f->w, &e, false), -1);
    assert_int_equal(wr_push(f->w, &e, false), -1);
    wr_status(f->w, &st);
    assert_int_equal(st.lost, 2);
    assert_int_equal(st.queued, WR_QUEUE);
    assert_true(st.behind);
    spy_hold(false);
    static struct wr_done d[WR_QUEUE];
    take_n(f->w, d, WR_QUEUE);
    for (int k = 0; k < WR_QUEUE; k++)
        assert_int_equal(d[k].err, 0);
    wr_status(f->w, &st);
    assert_false(st.behind);
    assert_int_equal(st.queued, 0);
    /* room again */
    assert_int_equal(wr_push(f->w, &e, false), WR_QUEUE);
}

/* ---- the historian, and the stop -------------------------------------------------------- */

static int one_value(const struct hist_point *p, void *ctx)
{
    *(double *)ctx = p->v;
    return 0;
}

static void test_sample_and_stop(void **state)
{
    struct fx *f = *state;
    start(f);
    struct tag_value img[1] = {{.v = 745.5, .q = Q_GOOD}};
    wr_sample(f->w, T0, img, 1);
    const char *text = "loop bath mode=AUTO sp=750\n";
    struct journal_entry e;
    for (int i = 0; i < 5; i++) {
        entry(&e, "x", i);
        wr_push(f->w, &e, false);
    }
    wr_state(f->w, text, strlen(text));
    wr_stop(f->w); /* returns once everything queued is written */
    struct wr_done d[5];
    for (int i = 0; i < 5; i++) {
        assert_int_equal(wr_take(f->w, &d[i]), 1);
        assert_int_equal(d[i].err, 0);
    }
    assert_int_equal(wr_take(f->w, &d[0]), 0);
    char path[256], buf[256];
    wr_state_path(f->dir, path, sizeof path);
    read_file(path, buf, sizeof buf);
    assert_string_equal(buf, text);
    const char *tags[] = {"bath_hc_temp"};
    double v = 0;
    assert_int_equal(hist_query(f->hdir, tags, 1, T0 - 1, T0 + 1, false, one_value, &v), 1);
    assert_true(v == 745.5);
    /* a push after the stop is refused, not lost in a queue nobody writes */
    assert_int_equal(wr_push(f->w, &e, false), -1);
}

int main(void)
{
    pthread_mutex_init(&spy.mu, NULL);
    pthread_cond_init(&spy.cv, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_before_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_and_stop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
