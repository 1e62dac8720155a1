/* input — numbers and reasons typed by people, read strictly; see input.h. */
#include "input.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* The character at p: its length in bytes (1 to 4) with *cp set, or 0 if
 * the bytes there are not valid UTF-8 (a stray continuation byte, a
 * truncated sequence, an overlong form, a surrogate, beyond U+10FFFF). */
static int utf8_next(const unsigned char *p, uint32_t *cp)
{
    unsigned char c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) /* also stops at the '\0' */
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* C0, DEL, C1, and the Unicode line and paragraph separators. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

/* Spaces that print as nothing: a reason of these alone is blank. */
static bool is_blank(uint32_t cp)
{
    return cp == ' ' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* ---- showing input in a sentence ---------------------------------------------------- */

void input_show(char *dst, size_t n, const char *s)
{
    if (n == 0)
        return;
    dst[0] = 0;
    if (!s)
        return;
    /* how many characters: shortened when more than INPUT_SHOW_CHARS */
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && chars <= INPUT_SHOW_CHARS;
         chars++) {
        uint32_t cp;
        int l = utf8_next(p, &cp);
        p += l ? l : 1;
    }
    bool cut = chars > INPUT_SHOW_CHARS;
    size_t keep = cut ? INPUT_SHOW_CHARS - 1 : chars, k = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < keep && *p; i++) {
        uint32_t cp;
        int l = utf8_next(p, &cp);
        bool plain = l > 0 && !is_control(cp);
        size_t w = plain ? (size_t)l : 1;
        if (k + w + 1 > n)
            break;
        if (plain)
            memcpy(dst + k, p, w);
        else
            dst[k] = '?';
        k += w;
        p += l ? l : 1;
    }
    if (cut && k + sizeof "…" <= n) {
        memcpy(dst + k, "…", sizeof "…" - 1);
        k += sizeof "…" - 1;
    }
    dst[k] = 0;
}

bool input_escape(char *dst, size_t n, const char *s)
{
    if (n == 0)
        return !s || !*s;
    size_t k = 0;
    dst[0] = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        uint32_t cp;
        int l = utf8_next(p, &cp);
        if (l > 0 && !is_control(cp)) {
            if (k + (size_t)l + 1 > n)
                return false;
            memcpy(dst + k, p, (size_t)l);
            k += (size_t)l;
            p += l;
        } else {
            /* the whole character when it is a valid (control) one */
            int w = l > 0 ? l : 1;
            if (k + 4 * (size_t)w + 1 > n)
                return false;
            for (int i = 0; i < w; i++, k += 4)
                snprintf(dst + k, 5, "\\x%02x", p[i]);
            p += w;
        }
        dst[k] = 0;
    }
    return true;
}

/* ---- numbers ---------------------------------------------------------------------------- */

/* 10^0 .. 10^22: every one an exact double. */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The shape of a number text: 0 and its parts, or -1 if it is not one. */
struct shape {
    bool neg;
    int sig;      /* significant digits: from the first non-zero digit on */
    int decimals; /* digits after the point */
    uint64_t m;   /* the digits as an integer (meaningful when sig <= 19) */
};

static int shape_of(const char *s, struct shape *sh)
{
    memset(sh, 0, sizeof *sh);
    const char *p = s;
    if (*p == '+' || *p == '-')
        sh->neg = *p++ == '-';
    int digits = 0;
    bool point = false;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
            if (point)
                sh->decimals++;
            if (sh->sig > 0 || *p != '0')
                sh->sig++;
            if (sh->sig > 0 && sh->sig <= 19)
                sh->m = sh->m * 10 + (uint64_t)(*p - '0');
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    return digits > 0 && *p == 0 ? 0 : -1;
}

int input_decimals(const char *s)
{
    struct shape sh;
    if (!s || strlen(s) > INPUT_NUMBER_CHARS || shape_of(s, &sh) < 0 ||
        sh.sig > INPUT_NUMBER_DIGITS)
        return -1;
    return sh.decimals;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int input_number(const char *s, double *v, char *why, size_t n)
{
    char shown[INPUT_SHOW_SIZE], alt[INPUT_NUMBER_CHARS + 1], alt_shown[INPUT_SHOW_SIZE];
    struct shape sh;
    if (!s || !*s)
        return err_set(why, n, "no value given");
    input_show(shown, sizeof shown, s);
    size_t len = strlen(s);
    if (space(s[0]) || space(s[len - 1])) {
        /* say how it should look when the spaces are all that is wrong */
        size_t a = 0, b = len;
        while (a < b && space(s[a]))
            a++;
        while (b > a && space(s[b - 1]))
            b--;
        if (a == b)
            return err_set(why, n, "no value given");
        if (b - a <= INPUT_NUMBER_CHARS) {
            memcpy(alt, s + a, b - a);
            alt[b - a] = 0;
            if (shape_of(alt, &sh) == 0 && sh.sig <= INPUT_NUMBER_DIGITS) {
                input_show(alt_shown, sizeof alt_shown, alt);
                return err_set(why, n, "\"%s\": a number without spaces, e.g. %s", shown,
                               alt_shown);
            }
        }
    } else if (strchr(s, ',') && !strchr(s, '.') && len <= INPUT_NUMBER_CHARS) {
        memcpy(alt, s, len + 1);
        *strchr(alt, ',') = '.';
        if (shape_of(alt, &sh) == 0 && sh.sig <= INPUT_NUMBER_DIGITS) {
            input_show(alt_shown, sizeof alt_shown, alt);
            return err_set(why, n, "\"%s\": use a decimal point, e.g. %s", shown, alt_shown);
        }
    }
    if (shape_of(s, &sh) < 0)
        return err_set(why, n,
                       "\"%s\" is not a number: digits with an optional sign and decimal point, "
                       "e.g. 745 or -2.5",
                       shown);
    if (sh.sig > INPUT_NUMBER_DIGITS)
        return err_set(why, n, "\"%s\" has more than %d digits", shown, INPUT_NUMBER_DIGITS);
    if (len > INPUT_NUMBER_CHARS)
        return err_set(why, n, "\"%s\" is longer than %d characters", shown, INPUT_NUMBER_CHARS);
    /* decimals <= 19 (the text is at most 20 characters, one a point) and
     * m < 10^15: both exact, so the quotient is correctly rounded */
    double d = sh.m == 0 ? 0.0 : (double)sh.m / pow10_exact[sh.decimals];
    *v = sh.neg && sh.m ? -d : d;
    if (why && n)
        why[0] = 0;
    return 0;
}

/* ---- reasons ---------------------------------------------------------------------------- */

int input_reason(const char *s, bool required, int max_chars, size_t size, char *why, size_t n)
{
    if (!s || !*s) {
        if (required)
            return err_set(why, n, "a reason is required (it goes into the journal)");
        if (why && n)
            why[0] = 0;
        return 0;
    }
    int chars = 0;
    bool blank = true;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int l = utf8_next(p, &cp);
        chars++;
        if (l == 0)
            return err_set(why, n,
                           "the reason is not valid UTF-8 text (byte 0x%02X at character %d)", *p,
                           chars);
        if (is_control(cp)) {
            char what[24];
            if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029)
                str_copy(what, sizeof what, "a line break");
            else if (cp == '\t')
                str_copy(what, sizeof what, "a tab");
            else
                snprintf(what, sizeof what, "U+%04X", (unsigned)cp);
            return err_set(why, n,
                           "the reason has a control character (%s at character %d); write it "
                           "on one line",
                           what, chars);
        }
        if (!is_blank(cp))
            blank = false;
        p += l;
    }
    if (blank)
        return err_set(why, n, "the reason is blank: write why, not only spaces");
    if (chars > max_chars)
        return err_set(why, n, "the reason is %d characters long; the most is %d", chars,
                       max_chars);
    size_t bytes = (size_t)(p - (const unsigned char *)s);
    if (bytes + 1 > size)
        return err_set(why, n,
                       "the reason takes %zu bytes of UTF-8; at most %zu fit (accented letters "
                       "take two or more)",
                       bytes, size ? size - 1 : 0);
    if (why && n)
        why[0] = 0;
    return 0;
}
