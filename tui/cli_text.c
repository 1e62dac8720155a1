/* cli_text — the text of the verbs' arguments and answers (see cli.h):
 * time arguments (ISO-8601, relative, now, @UNIX) and JSON strings.
 * Pure: no I/O, testable without a server.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"

/* ---- time arguments ------------------------------------------------------------ */

static const struct {
    char unit;
    double seconds;
} time_units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM] */
static int parse_iso(const char *s, double *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, zh = 0, zm = 0;
    double frac = 0;
    bool utc = false;
    int zsign = 0;
    if (parse_digits(&p, 4, &y) < 0 || *p++ != '-' || parse_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &d) < 0)
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &mi) < 0)
            return -1;
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &se) < 0)
                return -1;
            if (*p == '.') { /* decimal digits only: no exponent, no locale */
                double scale = 0.1;
                const char *f0 = ++p;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                    frac += (*p - '0') * scale;
                if (p == f0)
                    return -1;
            }
        }
    }
    if (*p == 'Z') {
        utc = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        zsign = *p++ == '+' ? 1 : -1;
        if (parse_digits(&p, 2, &zh) < 0)
            return -1;
        if (*p == ':')
            p++;
        if (parse_digits(&p, 2, &zm) < 0 || zh > 23 || zm > 59)
            return -1;
        utc = true;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se,
                    .tm_isdst = -1};
    time_t t = utc ? timegm(&tm) : mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1) /* 2026-02-30 */
        return -1;
    *out = (double)t + frac - zsign * (zh * 3600.0 + zm * 60.0);
    return 0;
}

int cli_parse_time(const char *s, double now, double *out, char *err, size_t errlen)
{
    char shown[INPUT_SHOW_SIZE], num[INPUT_NUMBER_CHARS + 1];
    if (!s || !*s)
        goto bad;
    if (!strcmp(s, "now")) {
        *out = now;
        return 0;
    }
    /* the numbers in a time are read as every typed number is (input.h):
     * decimal only, so "@0x10" or "-1e3h" are mistakes, not times */
    double v;
    if (s[0] == '@') {
        if (input_number(s + 1, &v, NULL, 0) < 0 || v < 0 || s[1] == '-' || s[1] == '+')
            goto bad;
        *out = v;
        return 0;
    }
    size_t len = strlen(s);
    if ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9' && len - 2 < sizeof num) {
        memcpy(num, s + 1, len - 2);
        num[len - 2] = 0;
        if (input_number(num, &v, NULL, 0) < 0)
            goto bad;
        for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
            if (s[len - 1] == time_units[i].unit) {
                *out = now + (s[0] == '-' ? -v : v) * time_units[i].seconds;
                return 0;
            }
        goto bad;
    }
    if (parse_iso(s, out) == 0)
        return 0;
bad:
    input_show(shown, sizeof shown, s);
    snprintf(err, errlen,
             "\"%s\": expected a time like 2026-11-29T10:00 (local), 2026-11-29T10:00Z (UTC), "
             "-1h, -10m, -30s, -2d, now or @UNIX_SECONDS",
             shown);
    return -1;
}

/* ---- JSON ------------------------------------------------------------------------ */

int cli_json_str(char *dst, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    if (n < 3)
        goto small;
    dst[k++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc = 0;
        switch (*p) {
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        case '\b':
            esc = 'b';
            break;
        case '\f':
            esc = 'f';
            break;
        default:
            break;
        }
        if (esc || *p < 0x20 || *p == 0x7f) {
            size_t need = esc ? 2 : 6;
            if (k + need + 2 > n)
                goto small;
            dst[k++] = '\\';
            if (esc) {
                dst[k++] = esc;
            } else {
                memcpy(dst + k, "u00", 3);
                dst[k + 3] = hex[*p >> 4];
                dst[k + 4] = hex[*p & 15];
                k += 5;
            }
        } else {
            if (k + 3 > n)
                goto small;
            dst[k++] = (char)*p;
        }
    }
    dst[k++] = '"';
    dst[k] = 0;
    return (int)k;
small:
    if (n)
        dst[0] = 0;
    return -1;
}
