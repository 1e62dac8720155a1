/* dayfile — daily files by UTC day (see dayfile.h). */
#include "dayfile.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms"). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long)yoe + era * 400 + (*m <= 2);
}

long dayfile_day(double t)
{
    long long s = (long long)floor(t);
    long long q = s / DAYFILE_SECS_PER_DAY;
    return (long)(q - (s % DAYFILE_SECS_PER_DAY != 0 && s < 0));
}

void dayfile_date(long day, char out[11])
{
    long y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    dec_write(out, (unsigned long)(y % 10000), 4);
    out[4] = '-';
    dec_write(out + 5, m, 2);
    out[7] = '-';
    dec_write(out + 8, d, 2);
    out[10] = '\0';
}

long dayfile_parse_date(const char *s)
{
    long y = dec_read(s, 4);
    if (y < 0 || s[4] != '-')
        return -1;
    long m = dec_read(s + 5, 2);
    if (m < 1 || m > 12 || s[7] != '-')
        return -1;
    long d = dec_read(s + 8, 2);
    if (d < 1)
        return -1;
    long day = days_from_civil(y, (unsigned)m, (unsigned)d);
    long yy;
    unsigned mm, dd;
    civil_from_days(day, &yy, &mm, &dd);
    return yy == y && (long)mm == m && (long)dd == d && day >= 0 ? day : -1;
}

void dayfile_path(char *out, size_t size, const char *dir, const char *prefix, long day,
                  const char *suffix)
{
    char date[11];
    dayfile_date(day, date);
    snprintf(out, size, "%s/%s-%s.%s", dir, prefix, date, suffix);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int dayfile_list(const char *dir, const char *prefix, const char *suffix,
                 struct dayfile_list *l)
{
    memset(l, 0, sizeof *l);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t np = strlen(prefix), ns = strlen(suffix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;
        /* PREFIX - YYYY-MM-DD . SUFFIX */
        if (strlen(s) != np + 1 + 10 + 1 + ns || strncmp(s, prefix, np) != 0 || s[np] != '-' ||
            s[np + 11] != '.' || strcmp(s + np + 12, suffix) != 0)
            continue;
        long day = dayfile_parse_date(s + np + 1);
        if (day < 0)
            continue;
        if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 64;
            long *p = realloc(l->day, (size_t)cap * sizeof *p);
            if (!p) {
                closedir(d);
                dayfile_list_free(l);
                errno = ENOMEM;
                return -1;
            }
            l->day = p;
            l->cap = cap;
        }
        l->day[l->n++] = day;
    }
    closedir(d);
    if (l->n > 1)
        qsort(l->day, (size_t)l->n, sizeof *l->day, cmp_long);
    return 0;
}

int dayfile_write(int fd, const void *buf, size_t len, size_t *done)
{
    const char *p = buf;
    if (done)
        *done = 0;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        if (done)
            *done += (size_t)n;
    }
    return 0;
}

void dayfile_list_free(struct dayfile_list *l)
{
    free(l->day);
    memset(l, 0, sizeof *l);
}
