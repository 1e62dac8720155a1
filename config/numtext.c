/* numtext — the shortest exact decimal of a double (see numtext.h).
 *
 * %.15g, %.16g, %.17g in turn, keeping the first that strtod() reads back
 * bit for bit.  %.17g always does (17 significant digits identify every
 * double), and a value that a decimal of up to 15 digits identifies comes
 * out of %.15g as that decimal, its trailing zeros stripped: the shortest
 * form, without a search over every precision (three tries at most, which
 * matters at ~600 numbers a snapshot).
 */
#include "numtext.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

bool numtext(char *buf, size_t n, double v)
{
    char tmp[NUMTEXT_MAX];
    int saved = errno; /* strtod of a subnormal sets ERANGE: not the caller's business */
    if (isnan(v))
        snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v))
        snprintf(tmp, sizeof tmp, "%s", v < 0 ? "-inf" : "inf");
    else
        for (int p = 15; p <= 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*g", p, v);
            if (same_bits(strtod(tmp, NULL), v))
                break;
        }
    errno = saved;
    size_t len = strlen(tmp);
    if (n == 0)
        return false;
    if (len >= n) {
        memcpy(buf, tmp, n - 1);
        buf[n - 1] = 0;
        return false;
    }
    memcpy(buf, tmp, len + 1);
    return true;
}
