/* journalbench — the cost of one journal line, unkeyed (h=, SHA-256: the
 * chain before the key) against keyed (k=, HMAC-SHA-256 with the furnace's
 * key), for tests/bench_journal.sh.
 *
 *   journalbench DIR LINES REPS
 *
 * For each of REPS rounds and each kind: a fresh journal in DIR/rN-KIND,
 * LINES setpoint changes appended without fsync (the writer syncs a round of
 * lines at once), timed with CLOCK_MONOTONIC; then the hash step alone over
 * a typical line.  Prints one line per figure, the median of the rounds:
 *   append unkeyed NS_PER_LINE / append keyed NS_PER_LINE
 *   hash unkeyed NS / hash keyed NS
 * Figures only: nothing here passes or fails on a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "journal.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* LINES appends into a fresh journal: ns per line, or -1. */
static double append_run(const char *dir, const unsigned char *key, long lines)
{
    if (mkdir(dir, 0700) < 0) {
        fprintf(stderr, "journalbench: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct journal j;
    double t0 = 1795946400.0;
    if (journal_open(&j, dir, t0, key) < 0) {
        fprintf(stderr, "journalbench: open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.user, sizeof e.user, "anna");
    snprintf(e.origin, sizeof e.origin, "pts/3");
    snprintf(e.kind, sizeof e.kind, "set");
    snprintf(e.what, sizeof e.what, "bath.sp");
    snprintf(e.reason, sizeof e.reason, "after alloying, trim for the next tap");
    snprintf(e.result, sizeof e.result, "ok");
    double a = now_ns();
    for (long i = 0; i < lines; i++) {
        e.t = t0 + (double)i * 0.02;
        snprintf(e.old_value, sizeof e.old_value, "%ld", 740 + i % 10);
        snprintf(e.new_value, sizeof e.new_value, "%ld", 741 + i % 10);
        if (journal_append(&j, &e, false) < 0) {
            fprintf(stderr, "journalbench: append: %s\n", strerror(errno));
            journal_close(&j);
            return -1;
        }
    }
    double b = now_ns();
    journal_close(&j);
    return (b - a) / (double)lines;
}

/* The chain step alone over a 200-byte line (32-byte head first): ns per hash. */
static double hash_run(const unsigned char *key, long n)
{
    unsigned char msg[JOURNAL_HASH_LEN + 200], out[JOURNAL_HASH_LEN];
    memset(msg, 'x', sizeof msg);
    double a = now_ns();
    for (long i = 0; i < n; i++) {
        if (key)
            journal_hmac(key, JOURNAL_KEY_LEN, msg, sizeof msg, out);
        else
            journal_sha256(msg, sizeof msg, out);
        msg[0] = out[0];
    }
    return (now_ns() - a) / (double)n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: journalbench DIR LINES REPS\n");
        return 2;
    }
    long lines = strtol(argv[2], NULL, 10);
    int reps = atoi(argv[3]);
    if (lines <= 0 || reps <= 0 || reps > 99) {
        fprintf(stderr, "journalbench: LINES > 0, REPS 1..99\n");
        return 2;
    }
    static const unsigned char key[JOURNAL_KEY_LEN] = "benchbenchbenchbenchbenchbench!!";
    double ap[2][99], hs[2][99];
    char dir[512];
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            snprintf(dir, sizeof dir, "%s/r%d-%s", argv[1], r, k ? "keyed" : "unkeyed");
            if ((ap[k][r] = append_run(dir, k ? key : NULL, lines)) < 0)
                return 1;
            hs[k][r] = hash_run(k ? key : NULL, 200000);
        }
    printf("append unkeyed %.0f\nappend keyed %.0f\nhash unkeyed %.0f\nhash keyed %.0f\n",
           median(ap[0], reps), median(ap[1], reps), median(hs[0], reps), median(hs[1], reps));
    return 0;
}
