/* util — the small helpers every layer shares (config/ is the bottom of the
 * dependency graph, so the core, the server, the console and meltsim can
 * all use them).  Pure: no I/O, no clock, no globals, so the functional
 * core may call them (make check-layers holds this file to the same rule).
 */
#ifndef MELTCON_UTIL_H
#define MELTCON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Copy src (NULL counts as "") into dst of size n, always terminated.
 * Returns true if all of src fitted, false if it was cut: truncation is the
 * caller's decision (ignore it for a display label, refuse for a name).
 * A cut falls on a UTF-8 character boundary, so the copy stays valid text. */
bool str_copy(char *dst, size_t n, const char *src);

/* Write a sentence into err (if err and errlen) and return -1: the
 * "explain, then fail" tail of every function that reports to a caller. */
__attribute__((format(printf, 3, 4))) int err_set(char *err, size_t errlen, const char *fmt, ...);

/* The n decimal digits at s as a number; -1 if any of them is not a digit. */
long dec_read(const char *s, int n);

/* Write v as exactly n decimal digits at s (zero-padded, not terminated;
 * higher digits of v are dropped). */
void dec_write(char *s, unsigned long v, int n);

#endif
