/* util — shared small helpers; see util.h. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool str_copy(char *dst, size_t n, const char *src)
{
    if (n == 0)
        return !src || !*src;
    size_t l = src ? strnlen(src, n) : 0;
    bool fits = l < n;
    if (!fits) {
        l = n - 1;
        /* never leave half a UTF-8 character: back up to its lead byte */
        while (l > 0 && ((unsigned char)src[l] & 0xC0) == 0x80)
            l--;
    }
    if (l)
        memcpy(dst, src, l);
    dst[l] = 0;
    return fits;
}

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

long dec_read(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

void dec_write(char *s, unsigned long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        s[i] = (char)('0' + v % 10);
}
