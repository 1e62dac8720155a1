/* histbench — the historian's figures for tests/bench_historian.sh.
 *
 *   histbench cycle DIR SECONDS   a 4 Hz loop on absolute deadlines (as the control
 *                                 cycle keeps them) offering 50 tags that all move every
 *                                 cycle to hist_sample (historian_period_s 0.25, so every
 *                                 cycle is a sampling instant).  hist_sample runs on the
 *                                 loop's own thread here, a harder case than the server,
 *                                 where the writer thread calls it.  Prints the cycles,
 *                                 the slow ones (starting later than 1.5 x the period),
 *                                 hist_sample's cost (median, p99, max, in us) and the
 *                                 historian's counters (written, lost, commits).
 *   histbench fill DIR HOURS      HOURS of 50 tags, every one moving at every instant of
 *                                 historian_period_s 1 (the default), ending now, as fast
 *                                 as the thread writes them; prints the file's size.
 *   histbench export DIR HOURS    hist_export of the last HOURS, every tag, CSV to
 *                                 /dev/null, 5 times; prints each time (wall and this
 *                                 process's CPU), the medians (s) and the rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "hist.h"

#define NTAGS 50

static struct cfg cfg;
static struct tag_value img[CFG_MAX_TAGS];

static void tags_setup(double period)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.server.historian_period_s = period;
    cfg.server.historian_deadband_pct = 0.1;
    for (int i = 0; i < NTAGS; i++) {
        struct cfg_tag *t = &cfg.tags[i];
        snprintf(t->name, sizeof t->name, "tag_%02d", i);
        t->type = TAG_INT16;
        t->scale = 0.1;
        t->has_range = true;
        t->range_lo = 0;
        t->range_hi = 1000;
        snprintf(t->unit, sizeof t->unit, "degC");
    }
    cfg.ntags = NTAGS;
}

/* Every tag moves by more than its deadband (1 unit of 1000 at 0.1 %) each call. */
static void move(long k)
{
    for (int i = 0; i < NTAGS; i++) {
        img[i].v = 100 + i + 5.0 * (double)(k % 100);
        img[i].q = Q_GOOD;
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sleep_until(double mono)
{
    struct timespec ts = {.tv_sec = (time_t)mono,
                          .tv_nsec = (long)((mono - floor(mono)) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

static long long file_size(const char *dir)
{
    char p[CFG_PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, HIST_DB);
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static int cycle(const char *dir, double seconds)
{
    tags_setup(0.25);
    struct hist h;
    char err[300];
    if (hist_open_err(&h, dir, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "histbench: %s\n", err);
        return 1;
    }
    const double period = 0.25;
    long n = (long)(seconds / period), slow = 0;
    double *cost = malloc(sizeof *cost * (size_t)n);
    if (!cost)
        return 1;
    double start = clock_mono_s() + period, wall0 = clock_wall_s();
    for (long k = 0; k < n; k++) {
        double due = start + (double)k * period;
        sleep_until(due);
        double t0 = clock_mono_s();
        if (t0 - due > 0.5 * period) /* started later than 1.5 x period after the last */
            slow++;
        move(k);
        (void)hist_sample(&h, wall0 + (double)k * period, img);
        cost[k] = (clock_mono_s() - t0) * 1e6;
    }
    hist_flush(&h);
    struct hist_stats st;
    hist_status(&h, &st);
    hist_close(&h);
    qsort(cost, (size_t)n, sizeof *cost, cmp_d);
    printf("cycles %ld slow %ld sample_us_median %.1f p99 %.1f max %.1f written %llu lost %llu "
           "failed %llu commits %llu max_queue %d\n",
           n, slow, cost[n / 2], cost[(n * 99) / 100], cost[n - 1], st.written, st.lost,
           st.failed, st.commits, st.max_depth);
    free(cost);
    return 0;
}

static int fill(const char *dir, double hours)
{
    tags_setup(1);
    struct hist h;
    char err[300];
    if (hist_open_err(&h, dir, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "histbench: %s\n", err);
        return 1;
    }
    double now = floor(clock_wall_s()), t = now - hours * 3600;
    long k = 0;
    double t0 = clock_mono_s();
    for (; t < now; t += 1, k++) {
        move(k);
        (void)hist_sample(&h, t, img);
        if (k % 200 == 199) /* 10000 rows: well inside the queue */
            hist_flush(&h);
    }
    hist_flush(&h);
    struct hist_stats st;
    hist_status(&h, &st);
    hist_close(&h);
    printf("instants %ld rows %llu lost %llu seconds %.1f bytes %lld\n", k, st.written, st.lost,
           clock_mono_s() - t0, file_size(dir));
    return 0;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int export(const char *dir, double hours)
{
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        return 1;
    double now = clock_wall_s(), s[5], cpu[5];
    long rows = 0;
    for (int i = 0; i < 5; i++) {
        double t0 = clock_mono_s(), c0 = cpu_s();
        rows = hist_export(dir, now - hours * 3600, now, NULL, 0, 0, out);
        s[i] = clock_mono_s() - t0;
        cpu[i] = cpu_s() - c0;
        if (rows < 0) {
            perror("histbench: export");
            return 1;
        }
        printf("run %d %.3f s (cpu %.3f s)\n", i + 1, s[i], cpu[i]);
    }
    qsort(s, 5, sizeof *s, cmp_d);
    qsort(cpu, 5, sizeof *cpu, cmp_d);
    printf("rows %ld median_s %.3f median_cpu_s %.3f\n", rows, s[2], cpu[2]);
    fclose(out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "cycle"))
        return cycle(argv[2], atof(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "fill"))
        return fill(argv[2], atof(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "export"))
        return export(argv[2], atof(argv[3]));
    fprintf(stderr, "usage: histbench cycle|fill|export DIR SECONDS|HOURS\n");
    return 2;
}
