/* dayfile — daily files in a directory: PREFIX-YYYY-MM-DD.SUFFIX by UTC day.
 *
 * The journal and the historian each keep one file per UTC day; this is
 * the calendar arithmetic and the directory listing they share.  Day
 * numbers count days since 1970-01-01 (proleptic Gregorian, no time zone,
 * no locale, no timegm).
 */
#ifndef MELTCON_DAYFILE_H
#define MELTCON_DAYFILE_H

#include <stddef.h>

#define DAYFILE_SECS_PER_DAY 86400L

/* UTC day number of Unix time t (floor, so negative times work too). */
long dayfile_day(double t);

/* "YYYY-MM-DD" of a day number >= 0. */
void dayfile_date(long day, char out[11]);

/* The day number of "YYYY-MM-DD" at s (only the first 10 characters are
 * read); -1 if it is not a real date on or after 1970-01-01. */
long dayfile_parse_date(const char *s);

/* DIR/PREFIX-YYYY-MM-DD.SUFFIX */
void dayfile_path(char *out, size_t size, const char *dir, const char *prefix, long day,
                  const char *suffix);

/* Day numbers of every PREFIX-YYYY-MM-DD.SUFFIX in dir, ascending. */
struct dayfile_list {
    long *day;
    int n, cap;
};

/* 0, or -1 with errno (the directory cannot be read, or no memory).  Free
 * l->day with free() (or dayfile_list_free) after a 0. */
int dayfile_list(const char *dir, const char *prefix, const char *suffix,
                 struct dayfile_list *l);
void dayfile_list_free(struct dayfile_list *l);

/* Write all len bytes to fd, retrying short writes and EINTR.  0, or -1
 * with errno (a write of 0 bytes counts as ENOSPC).  *done, if not NULL,
 * counts the bytes that reached the file, so a caller can cut back a
 * half-written record. */
int dayfile_write(int fd, const void *p, size_t len, size_t *done);

#endif
