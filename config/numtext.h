/* numtext — a double as text for another program: the client protocol, the
 * JSON of `meltcon status --json`, the history CSV, the journal's values.
 *
 * numtext() writes a decimal that strtod() reads back as exactly the same
 * double, the shortest one for every value with up to 15 significant
 * digits: 745.5 -> "745.5", 5002754 -> "5002754", 0.1 -> "0.1", -0.0 ->
 * "-0", 7453 * 0.1 -> "745.3000000000001" (not 745.3: it is another
 * double), the smallest subnormal -> "4.94065645841247e-324".  At most 24
 * characters ("-2.2250738585072014e-308"), so NUMTEXT_MAX always holds it.
 * Non-finite values are written "nan", "inf", "-inf"; a caller that must not
 * pass them on (JSON, the protocol) checks isfinite() first.
 *
 * Text and strtod() are in the C numeric locale: meltcon and meltsim never
 * set LC_NUMERIC (the console takes LC_CTYPE only, for ncursesw), so a
 * decimal point is '.' whatever LANG says.  Pure: the core may call it.
 */
#ifndef MELTCON_NUMTEXT_H
#define MELTCON_NUMTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define NUMTEXT_MAX 32

/* Write v into buf of size n (always terminated when n > 0); false if it
 * was cut (n < NUMTEXT_MAX can cut). */
bool numtext(char *buf, size_t n, double v);

#endif
