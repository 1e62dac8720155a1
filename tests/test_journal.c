/* test_journal — SHA-256 against FIPS 180-4 vectors, HMAC-SHA-256 against RFC 4231;
 * journal lines round-trip through the file (append, tail, read since); the hash chain
 * verifies and finds a changed, removed or inserted line, across day files too; a failed
 * write (full device, file-size limit, failing fsync) is refused without breaking the
 * chain; a torn last line is repaired at open; prune keeps the rest verifiable.
 * The keyed chain: the key file (created 0400, refused when others may read it); a
 * fresh or an old unkeyed journal gets its `server rekey` line; a forger without the
 * key (the chain recomputed with SHA-256, or an HMAC with another key) fails; edit,
 * insert, delete with and without the key; truncation caught given the published heads
 * (and named as the last line otherwise); heads read back from journalctl's output.
 *
 * Write failures as root: permissions do not stop root, so a full disk is a day file
 * that is a symlink to /dev/full (every write ENOSPC), a half-written line comes from
 * RLIMIT_FSIZE (a write stops at the limit; root is bound by it too), and a failing
 * fsync from a day file that is a FIFO (fsync on a FIFO is EINVAL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

#define T0 1795946400.0   /* 2026-11-29T10:00:00Z */
#define DAY0 1795910400.0 /* 2026-11-29T00:00:00Z */
#define DAY 86400.0

/* ---- helpers -------------------------------------------------------------- */

static int mkdir_tmp(void **state)
{
    char *d = strdup("/tmp/test_journal.XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    *state = d;
    return 0;
}

static int rm_tmp(void **state)
{
    char *d = *state;
    DIR *dir = opendir(d);
    if (dir) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(dir)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", d, de->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(d);
    free(d);
    return 0;
}

static struct journal_entry ev(double t, const char *kind, const char *what, const char *old,
                               const char *nv, const char *reason, const char *result)
{
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    e.t = t;
    snprintf(e.user, sizeof e.user, "anna");
    snprintf(e.origin, sizeof e.origin, "pts/3");
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.what, sizeof e.what, "%s", what);
    snprintf(e.old_value, sizeof e.old_value, "%s", old);
    snprintf(e.new_value, sizeof e.new_value, "%s", nv);
    snprintf(e.reason, sizeof e.reason, "%s", reason);
    snprintf(e.result, sizeof e.result, "%s", result);
    return e;
}

/* n setpoint changes, one a minute from t */
static void write_sp(struct journal *j, double t, int n, int first)
{
    for (int i = 0; i < n; i++) {
        char o[16], nv[16];
        snprintf(o, sizeof o, "%d", 740 + first + i);
        snprintf(nv, sizeof nv, "%d", 741 + first + i);
        struct journal_entry e = ev(t + 60.0 * i, "set", "bath.sp", o, nv, "trim", "ok");
        assert_int_equal(journal_append(j, &e, i % 2 == 0), 0);
    }
}

static void day_path(char *out, size_t len, const char *dir, const char *date)
{
    snprintf(out, len, "%s/journal-%s.log", dir, date);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* start of line no (1-based) in buf */
static char *line_at(char *buf, int no)
{
    char *p = buf;
    for (int i = 1; i < no; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    return p;
}

/* ---- SHA-256 -------------------------------------------------------------- */

static void hex(const unsigned char *h, char *out)
{
    for (int i = 0; i < JOURNAL_HASH_LEN; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    unsigned char h[JOURNAL_HASH_LEN];
    char x[2 * JOURNAL_HASH_LEN + 1];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        journal_sha256(v[i].in, strlen(v[i].in), h);
        hex(h, x);
        assert_string_equal(x, v[i].out);
    }
}

/* padding at the block edges (55, 56, 63, 64, 119, 120 bytes) and one million 'a' */
static void test_sha256_lengths(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *out;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    unsigned char h[JOURNAL_HASH_LEN];
    char x[2 * JOURNAL_HASH_LEN + 1];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        journal_sha256(a, v[i].n, h);
        hex(h, x);
        assert_string_equal(x, v[i].out);
    }
    free(a);
}

/* ---- the line --------------------------------------------------------------- */

static void test_format_example(void **state)
{
    (void)state;
    struct journal_entry e = ev(T0 + 0.25, "set", "bath.sp", "740", "745", "after alloying", "ok");
    char line[JOURNAL_LINE_MAX];
    int n = journal_format(&e, line, sizeof line);
    assert_string_equal(line, "2026-11-29T10:00:00.250Z anna@pts/3 set bath.sp 740 -> 745 "
                              "reason=\"after alloying\" result=ok");
    assert_int_equal(n, (int)strlen(line));

    struct journal_entry r = ev(T0, "cmd", "open_sc_door", "", "", "",
                                "refused: Open charging door: firing 78 % > low-fire limit 30 %");
    snprintf(r.origin, sizeof r.origin, "ssh:10.1.2.3");
    journal_format(&r, line, sizeof line);
    assert_string_equal(line, "2026-11-29T10:00:00.000Z anna@ssh:10.1.2.3 cmd open_sc_door - -> - "
                              "reason=- result=\"refused: Open charging door: firing 78 % > "
                              "low-fire limit 30 %\"");
}

static void test_escape_roundtrip(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "-",           "->",        "a b",       "quote \" here",
        "back\\slash", "new\nline", "cr\rtab\t", "bell\x01",
        "del\x7f",     "mail@host", "reason=x",  "Temperatur gemäß Probe",
        "h=00",        " lead",     "trail ",    "\"",
        "\\x41",       "n=5",
    };
    char line[JOURNAL_LINE_MAX];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct journal_entry e =
            ev(T0 + 1.5, "set", texts[i], texts[i], texts[i], texts[i], texts[i]);
        snprintf(e.user, sizeof e.user, "%s", texts[i]);
        snprintf(e.origin, sizeof e.origin, "%s", texts[i]);
        assert_true(journal_format(&e, line, sizeof line) > 0);
        assert_null(strchr(line, '\n'));
        assert_null(strchr(line, '\r'));
        struct journal_entry b;
        assert_int_equal(journal_parse(line, &b), 0);
        assert_true(b.t == e.t);
        assert_string_equal(b.user, e.user);
        assert_string_equal(b.origin, e.origin);
        assert_string_equal(b.what, e.what);
        assert_string_equal(b.old_value, e.old_value);
        assert_string_equal(b.new_value, e.new_value);
        assert_string_equal(b.reason, e.reason);
        assert_string_equal(b.result, e.result);
    }
}

static void test_parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-29T10:00:00.250Z",
        "2026-11-29 10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok",
        "2026-13-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok",
        "2026-02-30T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok",
        "2026-11-29T24:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok",
        "2026-11-29T10:00:00.250Z annapts/3 set x 1 -> 2 reason=- result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 2 reason=- result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=\"open result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=\"\\q\" result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=\"\\x00\" result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok trailing",
        "2026-11-29T10:00:00.250Z anna@pts/3 set  x 1 -> 2 reason=- result=ok",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok n=-3",
        "2026-11-29T10:00:00.250Z anna@pts/3 set x 1 -> 2 reason=- result=ok n=3 h=12",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct journal_entry e = ev(1, "keep", "keep", "", "", "", "");
        if (journal_parse(bad[i], &e) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(e.kind, "keep"); /* nothing changed */
    }
    struct journal_entry e = ev(T0, "set", "x", "1", "2", "", "ok");
    char line[64];
    assert_int_equal(journal_format(&e, line, sizeof line), -1); /* does not fit */
    e.t = -1;
    char big[JOURNAL_LINE_MAX];
    assert_int_equal(journal_format(&e, big, sizeof big), -1);
}

/* ---- append, tail, read --------------------------------------------------- */

struct seen {
    int n, stop_after;
    struct journal_entry e[16];
};

static int collect(const struct journal_entry *e, const char *line, void *ctx)
{
    struct seen *s = ctx;
    assert_non_null(strstr(line, " h="));
    assert_null(strchr(line, '\n'));
    assert_true(s->n < 16);
    s->e[s->n++] = *e;
    return s->stop_after > 0 && s->n >= s->stop_after;
}

static void test_append_tail_read(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 5, 0);
    struct journal_entry e = ev(T0 + 600, "alarm", "roof_h", "", "raised", "", "");
    assert_int_equal(journal_append(&j, &e, false), 0);
    assert_int_equal(j.seq, 6);
    assert_int_equal(j.appended, 6);
    journal_close(&j);

    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(strstr(text, "2026-11-29T10:00:00.000Z anna@pts/3 set bath.sp 740 -> 741 "
                                 "reason=trim result=ok n=1 h="));
    assert_non_null(strstr(text, "2026-11-29T10:10:00.000Z anna@pts/3 alarm roof_h - -> raised "
                                 "reason=- result=- n=6 h="));
    free(text);

    struct journal_entry t[4];
    assert_int_equal(journal_tail(dir, t, 4), 4);
    assert_string_equal(t[0].old_value, "742");
    assert_int_equal(t[0].seq, 3);
    assert_string_equal(t[2].new_value, "745");
    assert_string_equal(t[3].what, "roof_h");
    assert_true(t[3].t == T0 + 600);

    struct seen all = {0};
    /* since 10:02, until 10:04 (exclusive): 10:02 and 10:03 */
    assert_int_equal(journal_read(dir, T0 + 120, T0 + 240, collect, &all), 2);
    assert_int_equal(all.n, 2);
    assert_string_equal(all.e[0].old_value, "742");
    assert_string_equal(all.e[1].old_value, "743");
    memset(&all, 0, sizeof all);
    assert_int_equal(journal_read(dir, T0 + 120, 0, collect, &all), 4);
    assert_string_equal(all.e[3].what, "roof_h");
    memset(&all, 0, sizeof all);
    all.stop_after = 1; /* the callback stops the walk */
    assert_int_equal(journal_read(dir, 0, 0, collect, &all), 1);
    assert_int_equal(all.e[0].seq, 1);
    memset(&all, 0, sizeof all);
    assert_int_equal(journal_read(dir, T0 + DAY, 0, collect, &all), 0);
}

static void test_tail_across_days(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 3, 0);        /* 2026-11-29 */
    write_sp(&j, T0 + DAY, 2, 10); /* 2026-11-30 */
    journal_close(&j);
    struct journal_entry t[10];
    assert_int_equal(journal_tail(dir, t, 4), 4);
    assert_string_equal(t[0].old_value, "741");
    assert_string_equal(t[1].old_value, "742");
    assert_string_equal(t[2].old_value, "750");
    assert_string_equal(t[3].old_value, "751");
    assert_int_equal(journal_tail(dir, t, 10), 5); /* fewer than asked */
    assert_int_equal(t[0].seq, 1);
    assert_int_equal(t[4].seq, 5);
    assert_int_equal(journal_tail(dir, t, 1), 1);
    assert_int_equal(t[0].seq, 5);
}

/* ---- the chain ------------------------------------------------------------------ */

static void test_verify_ok_and_reopen(void **state)
{
    const char *dir = *state;
    struct journal j;
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0); /* empty journal */
    assert_int_equal(c.lines, 0);
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 4, 0);
    char head[65];
    journal_head_hex(&j, head);
    journal_close(&j);

    struct journal k;
    assert_int_equal(journal_open(&k, dir, T0 + 300, NULL), 0); /* a restart */
    char head2[65];
    journal_head_hex(&k, head2);
    assert_string_equal(head, head2);
    assert_int_equal(k.seq, 4);
    write_sp(&k, T0 + 300, 2, 4);
    journal_close(&k);
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_true(c.ok);
    assert_int_equal(c.lines, 6);
    assert_int_equal(c.files, 1);
    assert_non_null(strstr(c.text, "OK: 6 lines in 1 file verify"));
}

static void tampered(const char *dir, int expect_line, const char *expect_text)
{
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 1);
    assert_false(c.ok);
    assert_string_equal(c.file, "journal-2026-11-29.log");
    assert_int_equal(c.line, expect_line);
    if (!strstr(c.text, expect_text))
        fail_msg("verify said \"%s\", expected \"%s\"", c.text, expect_text);
}

static void test_verify_changed_char(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 6, 0);
    journal_close(&j);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    size_t len;
    char *text = slurp(path, &len);
    char *l4 = line_at(text, 4);
    char *v = strstr(l4, "-> 744");
    assert_non_null(v);
    v[5] = '9'; /* 743 -> 749 */
    spit(path, text, len);
    free(text);
    tampered(dir, 4, "journal-2026-11-29.log line 4: changed");
}

static void test_verify_removed_line(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 6, 0);
    journal_close(&j);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    size_t len;
    char *text = slurp(path, &len);
    char *l3 = line_at(text, 3), *l4 = line_at(text, 4);
    memmove(l3, l4, len - (size_t)(l4 - text)); /* drop line 3 */
    spit(path, text, len - (size_t)(l4 - l3));
    free(text);
    tampered(dir, 3, "1 line(s) removed before it");
}

static void test_verify_inserted_line(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 4, 0);
    journal_close(&j);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    size_t len;
    char *text = slurp(path, &len);
    /* line 2 copied in again after line 3 */
    char *l2 = line_at(text, 2), *l3 = line_at(text, 3), *l4 = line_at(text, 4);
    size_t n2 = (size_t)(l3 - l2), head = (size_t)(l4 - text);
    char *out = malloc(len + n2 + 1);
    assert_non_null(out);
    memcpy(out, text, head);
    memcpy(out + head, l2, n2);
    memcpy(out + head + n2, l4, len - head);
    spit(path, out, len + n2);
    free(out);
    free(text);
    tampered(dir, 4, "inserted");
}

static void test_day_rollover_chain(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, DAY0 + DAY - 2, NULL), 0);
    write_sp(&j, DAY0 + DAY - 120, 2, 0); /* 23:58, 23:59 on the 29th */
    write_sp(&j, DAY0 + DAY + 1, 2, 2);   /* 00:00:01, 00:01:01 on the 30th */
    /* the clock goes back an hour: the line stays in the newest file */
    struct journal_entry e = ev(DAY0 + DAY - 3600, "server", "clock", "", "", "NTP step", "");
    assert_int_equal(journal_append(&j, &e, true), 0);
    journal_close(&j);

    char p29[300], p30[300];
    day_path(p29, sizeof p29, dir, "2026-11-29");
    day_path(p30, sizeof p30, dir, "2026-11-30");
    size_t len;
    char *text = slurp(p30, &len);
    assert_non_null(strstr(text, "n=3 h="));
    assert_non_null(strstr(text, "2026-11-29T23:00:00.000Z anna@pts/3 server clock"));
    free(text);
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.files, 2);
    assert_int_equal(c.lines, 5);

    /* the first line of the 30th chains from the last of the 29th */
    text = slurp(p29, &len);
    char *l2 = line_at(text, 2);
    l2[24 + 10] = 'X'; /* anna@pts/3 -> anna@pts/X */
    spit(p29, text, len);
    assert_int_equal(journal_verify(dir, &c), 1);
    assert_string_equal(c.file, "journal-2026-11-29.log");
    assert_int_equal(c.line, 2);
    free(text);

    /* the whole first day removed */
    assert_int_equal(unlink(p29), 0);
    assert_int_equal(journal_verify(dir, &c), 1);
    assert_string_equal(c.file, "journal-2026-11-30.log");
    assert_int_equal(c.line, 1);
    assert_non_null(strstr(c.text, "2 line(s) removed before it"));
}

/* ---- failures ---------------------------------------------------------------- */

static void test_full_disk(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 2, 0);
    /* the next day's file is on a full device */
    char p30[300];
    day_path(p30, sizeof p30, dir, "2026-11-30");
    assert_int_equal(symlink("/dev/full", p30), 0);
    struct journal_entry e = ev(T0 + DAY, "set", "bath.sp", "742", "743", "", "ok");
    errno = 0;
    assert_int_equal(journal_append(&j, &e, true), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(journal_append(&j, &e, false), -1);
    assert_int_equal(j.failures, 2);
    assert_int_equal(j.last_errno, ENOSPC);
    assert_int_equal(j.seq, 2); /* the chain did not move */
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 1); /* and readers do not hang on it */
    assert_non_null(strstr(c.text, "journal-2026-11-30.log: not a regular file"));
    struct journal_entry t[3];
    assert_int_equal(journal_tail(dir, t, 3), 2);
    /* space again: the same open journal carries on */
    assert_int_equal(unlink(p30), 0);
    assert_int_equal(journal_append(&j, &e, true), 0);
    assert_int_equal(j.seq, 3);
    journal_close(&j);
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.lines, 3);
    assert_int_equal(c.files, 2);
}

/* A write cut short by the file-size limit leaves no half line behind. */
static void test_half_written_line_cut(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 2, 0);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 20;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    struct journal_entry e = ev(T0 + 600, "set", "bath.sp", "742", "743", "", "ok");
    int rc = journal_append(&j, &e, false);
    int err = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);

    assert_int_equal(rc, -1);
    assert_int_equal(err, EFBIG);
    struct stat st2;
    assert_int_equal(stat(path, &st2), 0);
    assert_int_equal(st2.st_size, st.st_size); /* the 20 bytes are gone again */
    assert_int_equal(journal_append(&j, &e, true), 0);
    journal_close(&j);
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.lines, 3);
}

/* sync means fsync: where fsync fails, a synced append fails and an unsynced one not. */
static void test_sync_calls_fsync(void **state)
{
    const char *dir = *state;
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    assert_int_equal(mkfifo(path, 0600), 0);
    int rd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    struct journal_entry e = ev(T0, "set", "bath.sp", "740", "741", "", "ok");
    assert_int_equal(journal_append(&j, &e, false), 0);
    errno = 0;
    assert_int_equal(journal_append(&j, &e, true), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(j.seq, 1);
    char buf[512];
    ssize_t n = read(rd, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "bath.sp 740 -> 741 reason=- result=ok n=1 h="));
    journal_close(&j);
    close(rd);
    unlink(path);

    /* on a regular file a synced append is on disk when it returns */
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    assert_int_equal(journal_append(&j, &e, true), 0);
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(strstr(text, "bath.sp 740 -> 741"));
    free(text);
    journal_close(&j);
}

static void test_open_missing_dir(void **state)
{
    const char *dir = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/nowhere", dir);
    struct journal j;
    errno = 0;
    assert_int_equal(journal_open(&j, path, T0, NULL), -1);
    assert_int_equal(errno, ENOENT);
    struct journal_entry t[2];
    assert_int_equal(journal_tail(path, t, 2), -1);
    struct journal_check c;
    assert_int_equal(journal_verify(path, &c), -1);
}

/* A crash during a write leaves a torn last line: verify notes it, open removes it and
 * journals what it removed. */
static void test_torn_line_repaired(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 3, 0);
    journal_close(&j);
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs("2026-11-29T10:05:00.000Z anna@pts/3 set bath.sp 74", f);
    fclose(f);

    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_non_null(strstr(c.text, "last line is incomplete"));
    assert_int_equal(c.lines, 3);

    assert_int_equal(journal_open(&j, dir, T0 + 600, NULL), 0);
    assert_int_equal(j.repaired, 50);
    assert_int_equal(j.seq, 4);
    journal_close(&j);
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.lines, 4);
    assert_null(strstr(c.text, "incomplete"));
    struct journal_entry t[1];
    assert_int_equal(journal_tail(dir, t, 1), 1);
    assert_string_equal(t[0].kind, "server");
    assert_non_null(strstr(t[0].reason, "(50 bytes) removed after a crash: "
                                        "2026-11-29T10:05:00.000Z anna@pts/3 set bath.sp 74"));
}

/* ---- retention ------------------------------------------------------------------- */

static void test_prune(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    for (int d = 0; d < 5; d++)
        write_sp(&j, T0 + d * DAY, 2, 2 * d); /* the 29th to the 3rd */
    journal_close(&j);
    double now = T0 + 4 * DAY;
    assert_int_equal(journal_prune(dir, now, 0), 0); /* 0 keeps everything */
    assert_int_equal(journal_prune(dir, now, 2), 3);
    char path[300];
    day_path(path, sizeof path, dir, "2026-12-01");
    assert_int_not_equal(access(path, F_OK), 0);
    day_path(path, sizeof path, dir, "2026-12-02");
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(journal_prune(dir, now, 2), 0);

    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.files, 2);
    assert_int_equal(c.lines, 4);
    assert_non_null(strstr(c.text, "anchor"));

    /* carries on after a restart, and a change is still found */
    assert_int_equal(journal_open(&j, dir, now, NULL), 0);
    assert_int_equal(j.seq, 10);
    write_sp(&j, now + 60, 1, 20);
    journal_close(&j);
    assert_int_equal(journal_verify(dir, &c), 0);
    assert_int_equal(c.lines, 5);
    day_path(path, sizeof path, dir, "2026-12-02");
    size_t len;
    char *text = slurp(path, &len);
    text[27] = 'o'; /* anna -> anoa */
    spit(path, text, len);
    free(text);
    assert_int_equal(journal_verify(dir, &c), 1);
    assert_string_equal(c.file, "journal-2026-12-02.log");
    assert_int_equal(c.line, 1);

    /* everything older than today pruned: the newest file stays */
    assert_int_equal(journal_prune(dir, now + 30 * DAY, 1), 1);
    day_path(path, sizeof path, dir, "2026-12-03");
    assert_int_equal(access(path, F_OK), 0);
}

/* A damaged anchor is reported, not silently ignored. */
static void test_damaged_anchor(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 1, 0);
    write_sp(&j, T0 + DAY, 1, 1);
    journal_close(&j);
    assert_int_equal(journal_prune(dir, T0 + DAY, 1), 1);
    char path[300];
    snprintf(path, sizeof path, "%s/journal.anchor", dir);
    spit(path, "2026-11-29 x\n", 13);
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 1);
    assert_string_equal(c.file, "journal.anchor");
    assert_non_null(strstr(c.text, "damaged"));
}


/* ---- the keyed chain ------------------------------------------------------------ */

static const unsigned char KEY[JOURNAL_KEY_LEN] = "0123456789abcdef0123456789abcdef";

static void test_hmac_vectors(void **state)
{
    (void)state;
    unsigned char k1[20], h[JOURNAL_HASH_LEN];
    char x[2 * JOURNAL_HASH_LEN + 1];
    memset(k1, 0x0b, sizeof k1); /* RFC 4231 test case 1 */
    journal_hmac(k1, sizeof k1, "Hi There", 8, h);
    hex(h, x);
    assert_string_equal(x, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    journal_hmac("Jefe", 4, "what do ya want for nothing?", 28, h); /* test case 2 */
    hex(h, x);
    assert_string_equal(x, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static int verify_key(const char *dir, const unsigned char *key, struct journal_check *c)
{
    struct journal_verify_opts o = {.key_state = key ? 1 : -1, .key = key,
                                    .key_why = "Permission denied"};
    return journal_verify_with(dir, &o, c);
}

/* A fresh journal with the key: a rekey line, then keyed lines only. */
static void keyed_journal(const char *dir, int n)
{
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0 - 60, KEY), 0);
    write_sp(&j, T0, n, 0);
    journal_close(&j);
}

static void test_keyed_chain(void **state)
{
    const char *dir = *state;
    keyed_journal(dir, 5);
    char path[300];
    size_t len;
    day_path(path, sizeof path, dir, "2026-11-29");
    char *buf = slurp(path, &len);
    assert_non_null(strstr(line_at(buf, 1), " server rekey "));
    for (int i = 1; i <= 6; i++) {
        char *l = line_at(buf, i), *nl = strchr(l, '\n');
        assert_non_null(nl);
        assert_memory_equal(nl - 67, " k=", 3); /* every line keyed */
    }
    free(buf);
    struct journal_check c;
    assert_int_equal(verify_key(dir, KEY, &c), 0);
    assert_true(c.ok && c.key_checked);
    assert_int_equal(c.lines, 6);
    assert_int_equal(c.keyed, 6);
    assert_non_null(strstr(c.text, "HMAC checked with the key"));
    /* another key: the first line already fails */
    unsigned char other[JOURNAL_KEY_LEN];
    memcpy(other, KEY, sizeof other);
    other[0] ^= 1;
    assert_int_equal(verify_key(dir, other, &c), 1);
    assert_int_equal(c.line, 1);
    assert_non_null(strstr(c.text, "HMAC does not match"));
    /* without the key: order and form only, and said so */
    assert_int_equal(verify_key(dir, NULL, &c), 0);
    assert_false(c.key_checked);
    assert_non_null(strstr(c.text, "HMAC NOT checked"));
    assert_non_null(strstr(c.note, "the key was not checked (Permission denied)"));
    /* a keyed journal is not opened without the key */
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0 + 600, NULL), -1);
    assert_int_equal(errno, ENOKEY);
    /* reopened with the key: no second rekey line, the chain goes on */
    assert_int_equal(journal_open(&j, dir, T0 + 600, KEY), 0);
    assert_int_equal(j.seq, 6);
    write_sp(&j, T0 + 600, 1, 9);
    journal_close(&j);
    assert_int_equal(verify_key(dir, KEY, &c), 0);
    assert_int_equal(c.lines, 7);
}

/* Rewrite every line of a day file from the seed: line `edit` gets "trim" replaced by
 * "TRIM" and the chain is recomputed by a forger: mode 'h' SHA-256 (h=), 's' SHA-256
 * under the keyed tag (k=), 'k' an HMAC with key. */
static void forge(const char *path, int edit, char mode, const unsigned char *key)
{
    size_t len;
    char *buf = slurp(path, &len), *out = malloc(len + 1);
    assert_non_null(out);
    unsigned char head[JOURNAL_HASH_LEN] = {0};
    size_t o = 0;
    int no = 0;
    for (char *l = buf; *l; no++) {
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        char *n = strstr(l, " n=");
        assert_true(n && n < nl);
        char *hpos = nl - 67; /* " h=" or " k=" and 64 hex */
        size_t text = (size_t)(hpos - l);
        char msg[JOURNAL_HASH_LEN + JOURNAL_LINE_MAX];
        memcpy(msg, head, JOURNAL_HASH_LEN);
        memcpy(msg + JOURNAL_HASH_LEN, l, text);
        char *t = msg + JOURNAL_HASH_LEN;
        if (no + 1 == edit) {
            char *r = strstr(t, "trim");
            assert_true(r && (size_t)(r - t) < text);
            memcpy(r, "TRIM", 4);
        }
        if (mode == 'k')
            journal_hmac(key, JOURNAL_KEY_LEN, msg, JOURNAL_HASH_LEN + text, head);
        else
            journal_sha256(msg, JOURNAL_HASH_LEN + text, head);
        memcpy(out + o, t, text);
        o += text;
        o += (size_t)sprintf(out + o, " %c=", mode == 'h' ? 'h' : 'k');
        hex(head, out + o);
        o += 2 * JOURNAL_HASH_LEN;
        out[o++] = '\n';
        l = nl + 1;
    }
    spit(path, out, o);
    free(buf);
    free(out);
}

/* The forger without the key: every way of recomputing the chain fails. */
static void test_forged_without_key(void **state)
{
    const char *dir = *state;
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    unsigned char other[JOURNAL_KEY_LEN];
    memset(other, 7, sizeof other);
    struct journal_check c;
    /* SHA-256 under the keyed tag: the first line fails */
    keyed_journal(dir, 5);
    forge(path, 3, 's', NULL);
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 1);
    assert_non_null(strstr(c.text, "changed: its HMAC does not match"));
    /* an HMAC with a key of his own: the same */
    unlink(path);
    keyed_journal(dir, 5);
    forge(path, 3, 'k', other);
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 1);
    /* the whole file turned into an unkeyed chain: a key exists, so it must be keyed */
    unlink(path);
    keyed_journal(dir, 5);
    forge(path, 3, 'h', NULL);
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_non_null(strstr(c.text, "a key exists but no line is keyed"));
    assert_int_equal(verify_key(dir, NULL, &c), 1); /* even for one who cannot read the key */
    /* ... which is what a journal without a key file was: it verifies, said to be unkeyed */
    struct journal_verify_opts none = {0};
    assert_int_equal(journal_verify_with(dir, &none, &c), 0);
    assert_non_null(strstr(c.note, "the chain is unkeyed"));
    /* a genuine key holder (the server) writing the same edit: verifies */
    unlink(path);
    keyed_journal(dir, 5);
    forge(path, 3, 'k', KEY);
    assert_int_equal(verify_key(dir, KEY, &c), 0);
}

/* Edit, insert, delete in a keyed journal, with the key and without. */
static void test_keyed_tamper(void **state)
{
    const char *dir = *state;
    char path[300];
    day_path(path, sizeof path, dir, "2026-11-29");
    keyed_journal(dir, 6);
    size_t len;
    char *orig = slurp(path, &len);
    struct journal_check c;
    /* edit: one character of line 4's reason */
    char *buf = strdup(orig);
    char *r = strstr(line_at(buf, 4), "trim");
    r[0] = 'T';
    spit(path, buf, len);
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 4);
    assert_non_null(strstr(c.text, "changed"));
    assert_int_equal(verify_key(dir, NULL, &c), 0); /* without the key: not seen... */
    assert_non_null(strstr(c.note, "the key was not checked")); /* ...and said so */
    /* delete line 3 */
    strcpy(buf, orig);
    char *l3 = line_at(buf, 3), *l4 = line_at(buf, 4);
    memmove(l3, l4, strlen(l4) + 1);
    spit(path, buf, strlen(buf));
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 3);
    assert_non_null(strstr(c.text, "1 line(s) removed before it"));
    assert_int_equal(verify_key(dir, NULL, &c), 1); /* the numbers show it without the key */
    assert_int_equal(c.line, 3);
    /* insert: line 2 again after line 4 */
    char *ins = malloc(2 * len);
    assert_non_null(ins);
    strcpy(buf, orig);
    size_t a = (size_t)(line_at(buf, 5) - buf), l2 = (size_t)(line_at(buf, 3) - line_at(buf, 2));
    memcpy(ins, buf, a);
    memcpy(ins + a, line_at(buf, 2), l2);
    strcpy(ins + a + l2, buf + a);
    spit(path, ins, strlen(ins));
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 5);
    assert_non_null(strstr(c.text, "inserted"));
    assert_int_equal(verify_key(dir, NULL, &c), 1);
    assert_int_equal(c.line, 5);
    free(ins);
    free(buf);
    free(orig);
}

/* An old unkeyed journal: verified as before up to the rekey line, which binds it. */
static void test_upgrade_rekey(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, NULL), 0);
    write_sp(&j, T0, 3, 0);
    journal_close(&j);
    struct journal_check c;
    assert_int_equal(journal_verify(dir, &c), 0); /* before the upgrade */
    assert_int_equal(journal_open(&j, dir, T0 + 300, KEY), 0);
    assert_int_equal(j.seq, 4); /* the rekey line */
    write_sp(&j, T0 + 360, 2, 5);
    journal_close(&j);
    char path[300];
    size_t len;
    day_path(path, sizeof path, dir, "2026-11-29");
    char *buf = slurp(path, &len);
    assert_non_null(strstr(line_at(buf, 3), " h="));
    char *l4 = line_at(buf, 4);
    assert_true(strstr(l4, " server rekey ") < strchr(l4, '\n'));
    assert_non_null(strstr(l4, "the lines up to n=3 before it carry unkeyed SHA-256"));
    assert_int_equal(verify_key(dir, KEY, &c), 0);
    assert_int_equal(c.lines, 6);
    assert_int_equal(c.keyed, 3);
    assert_int_equal(verify_key(dir, NULL, &c), 0); /* the old part is checked in full */
    /* a forger edits an old line and recomputes the unkeyed part: the rekey line fails */
    char *r = strstr(line_at(buf, 2), "trim");
    memcpy(r, "TRIM", 4);
    unsigned char head[JOURNAL_HASH_LEN] = {0};
    for (int i = 1; i <= 3; i++) {
        char *l = line_at(buf, i), *nl = strchr(l, '\n');
        char msg[JOURNAL_HASH_LEN + JOURNAL_LINE_MAX];
        size_t text = (size_t)(nl - 67 - l);
        memcpy(msg, head, JOURNAL_HASH_LEN);
        memcpy(msg + JOURNAL_HASH_LEN, l, text);
        journal_sha256(msg, JOURNAL_HASH_LEN + text, head);
        hex(head, nl - 64);
        nl[0] = '\n'; /* hex() ended with a NUL */
    }
    spit(path, buf, len);
    assert_int_equal(verify_key(dir, KEY, &c), 1);
    assert_int_equal(c.line, 4);
    assert_non_null(strstr(c.text, "HMAC does not match"));
    /* an unkeyed line after the rekey line: refused even without the key */
    spit(path, buf, len);
    char *l6 = line_at(buf, 6), *nl6 = strchr(l6, '\n');
    nl6[-66] = 'h';
    spit(path, buf, len);
    assert_int_equal(verify_key(dir, NULL, &c), 1); /* without the key the rekey passes... */
    assert_int_equal(c.line, 6);                    /* ...but not the unkeyed line after it */
    assert_non_null(strstr(c.text, "an unkeyed line (h=) after the keyed chain started at "
                                   "journal-2026-11-29.log line 4"));
    free(buf);
}

struct pub {
    int n;
    char event[4][8];
    long day[4], seq[4];
    unsigned char head[4][JOURNAL_HASH_LEN];
};

static void on_head(void *ctx, const char *event, long day, long seq, bool keyed,
                    const unsigned char *head)
{
    struct pub *p = ctx;
    assert_true(keyed);
    assert_true(p->n < 4);
    snprintf(p->event[p->n], sizeof p->event[0], "%s", event);
    p->day[p->n] = day;
    p->seq[p->n] = seq;
    memcpy(p->head[p->n], head, JOURNAL_HASH_LEN);
    p->n++;
}

/* The heads at a day's end and at close; truncation caught with them, named without. */
static void test_heads_truncation(void **state)
{
    const char *dir = *state;
    struct journal j;
    struct pub p = {0};
    assert_int_equal(journal_open(&j, dir, T0, KEY), 0);
    journal_publish(&j, on_head, &p);
    write_sp(&j, T0, 3, 0);
    unsigned char day_end[JOURNAL_HASH_LEN];
    memcpy(day_end, j.head, sizeof day_end);
    write_sp(&j, T0 + DAY, 4, 3); /* the next day: 2026-11-30 */
    journal_close(&j);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.event[0], "day");
    assert_int_equal(p.seq[0], 4);
    assert_int_equal(p.day[0], (long)(DAY0 / DAY));
    assert_memory_equal(p.head[0], day_end, JOURNAL_HASH_LEN);
    assert_string_equal(p.event[1], "stop");
    assert_int_equal(p.seq[1], 8);
    /* the heads as the system journal has them: journalctl -o short, with a boot line */
    char heads[300], text[200];
    snprintf(heads, sizeof heads, "%s/heads.txt", dir);
    FILE *f = fopen(heads, "w");
    assert_non_null(f);
    fprintf(f, "-- Boot 0123 --\n");
    for (int i = 0; i < 2; i++) {
        assert_true(journal_head_text(text, sizeof text, "tcf1", p.event[i], p.day[i], p.seq[i],
                                      true, p.head[i]) > 0);
        fprintf(f, "Nov 30 10:03:00 host meltcon[42]: %s\n", text);
    }
    fclose(f);
    f = fopen(heads, "r");
    struct journal_head *hd;
    char why[300];
    assert_int_equal(journal_heads_read(f, "heads.txt", "tcf1", &hd, why, sizeof why), 2);
    fclose(f);
    assert_int_equal(hd[1].seq, 8);
    assert_int_equal(hd[1].src, 3);
    assert_string_equal(hd[0].date, "2026-11-29");
    struct journal_verify_opts o = {.key_state = 1, .key = KEY, .heads = hd, .nheads = 2};
    struct journal_check c;
    assert_int_equal(journal_verify_with(dir, &o, &c), 0);
    assert_int_equal(c.heads, 2);
    /* cut the last two lines off: the chain still verifies, the heads do not */
    char path[300];
    size_t len;
    day_path(path, sizeof path, dir, "2026-11-30");
    char *buf = slurp(path, &len);
    *line_at(buf, 3) = '\0';
    spit(path, buf, strlen(buf));
    free(buf);
    assert_int_equal(verify_key(dir, KEY, &c), 0);
    assert_non_null(strstr(c.note, "the last line (journal-2026-11-30.log line 2, n=6) is not "
                                   "the server's stop line"));
    assert_int_equal(journal_verify_with(dir, &o, &c), 1);
    assert_string_equal(c.file, "journal-2026-11-30.log");
    assert_int_equal(c.line, 2);
    assert_non_null(strstr(c.text, "truncated after journal-2026-11-30.log line 2 (n=6)"));
    assert_non_null(strstr(c.text, "at least 2 line(s) were cut off"));
    o.key_state = -1; /* caught without the key too */
    o.key = NULL;
    assert_int_equal(journal_verify_with(dir, &o, &c), 1);
    assert_non_null(strstr(c.text, "truncated after"));
    /* a head that differs from its line: rewritten */
    hd[0].hash[0] ^= 1;
    o.nheads = 1;
    assert_int_equal(journal_verify_with(dir, &o, &c), 1);
    assert_string_equal(c.file, "journal-2026-11-29.log");
    assert_int_equal(c.line, 4);
    assert_non_null(strstr(c.text, "the journal was rewritten here or before"));
    free(hd);
}

static void test_heads_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } v[] = {
        {"some other line\n", "heads line 1: no \"journal-head \""},
        {"\njournal-head furnace=tcf2 event=stop date=2026-11-29 n=3 k="
         "0000000000000000000000000000000000000000000000000000000000000000\n",
         "heads line 2: a head of furnace tcf2, not of tcf1"},
        {"journal-head furnace=tcf1 event=stop date=2026-11-29 n=3 k=00\n", "heads line 1: expected"},
        {"journal-head furnace=tcf1 event=boot date=2026-11-29 n=3 k="
         "0000000000000000000000000000000000000000000000000000000000000000\n",
         "heads line 1: expected"},
        {"journal-head furnace=tcf1 event=stop date=2026-11-29 n=-3 k="
         "0000000000000000000000000000000000000000000000000000000000000000\n",
         "heads line 1: expected"},
        {"journal-head furnace=tcf1 event=stop date=2026-11-29 n=3 k="
         "0000000000000000000000000000000000000000000000000000000000000000 x\n",
         "heads line 1: expected"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        FILE *f = fmemopen((void *)v[i].text, strlen(v[i].text), "r");
        struct journal_head *hd = (void *)1;
        char why[400];
        assert_int_equal(journal_heads_read(f, "heads", "tcf1", &hd, why, sizeof why), -1);
        fclose(f);
        assert_null(hd);
        if (!strstr(why, v[i].want))
            fail_msg("%s: got \"%s\"", v[i].text, why);
    }
}

/* The key file: created 32 bytes 0400, loaded again; refused when others may read it. */
static void test_key_file(void **state)
{
    const char *dir = *state;
    char path[300], why[400];
    snprintf(path, sizeof path, "%s/journal.key", dir);
    unsigned char k[JOURNAL_KEY_LEN], k2[JOURNAL_KEY_LEN];
    assert_int_equal(journal_key_load(path, k, why, sizeof why), 0);
    assert_int_equal(journal_key_ensure(path, k, why, sizeof why), 2);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0400);
    assert_int_equal(st.st_size, JOURNAL_KEY_LEN);
    assert_int_equal(st.st_uid, getuid());
    assert_int_equal(journal_key_ensure(path, k2, why, sizeof why), 1);
    assert_memory_equal(k, k2, sizeof k);
    unsigned char zero[JOURNAL_KEY_LEN] = {0};
    assert_memory_not_equal(k, zero, sizeof k);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(journal_key_ensure(path, k2, why, sizeof why), -1);
    assert_non_null(strstr(why, "has mode 0644: group or others may read it"));
    assert_int_equal(unlink(path), 0);
    spit(path, "short", 5);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(journal_key_load(path, k2, why, sizeof why), -1);
    assert_non_null(strstr(why, "is not 32 bytes long"));
    unlink(path);
}

/* Prune a keyed journal: the anchor says keyed, and a forger cannot take that back. */
static void test_prune_keyed(void **state)
{
    const char *dir = *state;
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0, KEY), 0);
    write_sp(&j, T0, 2, 0);
    write_sp(&j, T0 + DAY, 2, 2);
    journal_close(&j);
    assert_int_equal(journal_prune(dir, T0 + DAY, 1), 1);
    char path[300];
    size_t len;
    snprintf(path, sizeof path, "%s/journal.anchor", dir);
    char *buf = slurp(path, &len);
    assert_string_equal(buf + len - 7, " keyed\n");
    struct journal_check c;
    assert_int_equal(verify_key(dir, KEY, &c), 0);
    assert_int_equal(c.lines, 2);
    strcpy(buf + len - 7, "\n"); /* without " keyed" ... */
    spit(path, buf, len - 6);
    assert_int_equal(verify_key(dir, KEY, &c), 1); /* ...the first line is keyed but no rekey */
    assert_non_null(strstr(c.text, "before any `server rekey` line"));
    free(buf);
}

/* The key lost and a new one made: a second rekey line; the new key is checked from it on. */
static void test_new_key(void **state)
{
    const char *dir = *state;
    keyed_journal(dir, 3); /* lines 1-4 under KEY */
    unsigned char k2[JOURNAL_KEY_LEN];
    memset(k2, 0x5a, sizeof k2);
    struct journal j;
    assert_int_equal(journal_open(&j, dir, T0 + 600, k2), 0);
    assert_false(j.rekeyed); /* the chain was keyed: open cannot tell the key changed */
    assert_int_equal(journal_rekey(&j, T0 + 600, "a new key"), 0);
    write_sp(&j, T0 + 660, 2, 5); /* lines 6-7 */
    journal_close(&j);
    struct journal_check c;
    assert_int_equal(verify_key(dir, k2, &c), 0);
    assert_int_equal(c.lines, 7);
    assert_int_equal(c.early, 4);
    assert_non_null(strstr(c.note, "4 keyed lines before the last rekey line "
                                   "(journal-2026-11-29.log line 5) carry the HMAC of an earlier"));
    assert_int_equal(verify_key(dir, KEY, &c), 1); /* the old key: fails at the new rekey */
    assert_int_equal(c.line, 5);
    /* a forged rekey line at the end, to move the check past an edit: fails at itself */
    char path[300];
    size_t len;
    day_path(path, sizeof path, dir, "2026-11-29");
    char *buf = slurp(path, &len);
    char *l5 = line_at(buf, 5), *l6 = line_at(buf, 6);
    char *r = strstr(line_at(buf, 7), "trim");
    memcpy(r, "TRIM", 4);
    char *out = malloc(len + (size_t)(l6 - l5) + 1);
    assert_non_null(out);
    memcpy(out, buf, len);
    memcpy(out + len, l5, (size_t)(l6 - l5)); /* line 5 again as line 8, n=5 */
    spit(path, out, len + (size_t)(l6 - l5));
    assert_int_equal(verify_key(dir, k2, &c), 1); /* the check starts at the forged line... */
    assert_int_equal(c.line, 8);                  /* ...and fails there */
    assert_non_null(strstr(c.text, "inserted"));
    free(out);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_lengths),
        cmocka_unit_test(test_format_example),
        cmocka_unit_test(test_escape_roundtrip),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test_setup_teardown(test_append_tail_read, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_tail_across_days, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_verify_ok_and_reopen, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_verify_changed_char, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_verify_removed_line, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_verify_inserted_line, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_day_rollover_chain, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_full_disk, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_half_written_line_cut, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_sync_calls_fsync, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_open_missing_dir, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_torn_line_repaired, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_prune, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_damaged_anchor, mkdir_tmp, rm_tmp),
        cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test_setup_teardown(test_keyed_chain, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_forged_without_key, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_keyed_tamper, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_upgrade_rekey, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_heads_truncation, mkdir_tmp, rm_tmp),
        cmocka_unit_test(test_heads_refused),
        cmocka_unit_test_setup_teardown(test_key_file, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_prune_keyed, mkdir_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_new_key, mkdir_tmp, rm_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
