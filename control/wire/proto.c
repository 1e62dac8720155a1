/* proto — framing-free text codec of the client protocol (see proto.h). */
#include "proto.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

static const char *const type_names[PT_COUNT] = {
    [PT_HELLO] = "hello", [PT_SNAP] = "snap", [PT_JOURNAL] = "journal",
    [PT_REPLY] = "reply", [PT_REQ] = "req",   [PT_BYE] = "bye",
};

const char *proto_type_name(enum proto_type t)
{
    return (unsigned)t < PT_COUNT ? type_names[t] : "?";
}

static void put(struct proto_out *o, const char *s, size_t n)
{
    if (o->overflow || o->len + n >= sizeof o->buf) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = 0;
}

void proto_begin(struct proto_out *o, enum proto_type type)
{
    o->len = 0;
    o->overflow = false;
    o->buf[0] = 0;
    proto_add(o, "%s %d", proto_type_name(type), PROTO_VERSION);
}

void proto_add(struct proto_out *o, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        o->overflow = true;
        return;
    }
    put(o, tmp, (size_t)n);
}

void proto_nl(struct proto_out *o) { put(o, "\n", 1); }

static bool plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == ':' || c == '/' || c == '+';
}

void proto_esc(char *dst, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    if (n == 0)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (plain(c)) {
            if (k + 1 >= n)
                break;
            dst[k++] = (char)c;
        } else {
            if (k + 3 >= n)
                break;
            dst[k++] = '%';
            dst[k++] = hex[c >> 4];
            dst[k++] = hex[c & 15];
        }
    }
    dst[k] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int proto_unesc(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '%') {
            *w++ = *r;
            continue;
        }
        int hi = hexval(r[1]), lo = hi >= 0 ? hexval(r[2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *w++ = (char)(hi * 16 + lo);
        r += 2;
    }
    *w = 0;
    return 0;
}

/* The whole value, escaped a piece at a time: a value of any length goes
 * out whole, or the message is marked overflow; never cut. */
void proto_kv(struct proto_out *o, const char *key, const char *value)
{
    char esc[3 * 128 + 1], piece[129];
    proto_add(o, " %s=", key);
    for (const char *v = value ? value : ""; *v;) {
        size_t n = strnlen(v, sizeof piece - 1);
        memcpy(piece, v, n);
        piece[n] = 0;
        proto_esc(esc, sizeof esc, piece);
        put(o, esc, strlen(esc));
        v += n;
    }
}

void proto_kvf(struct proto_out *o, const char *key, double value)
{
    char num[NUMTEXT_MAX];
    if (!isfinite(value) || !numtext(num, sizeof num, value))
        proto_add(o, " %s=nan", key);
    else
        proto_add(o, " %s=%s", key, num);
}

void proto_kvi(struct proto_out *o, const char *key, long long value)
{
    proto_add(o, " %s=%lld", key, value);
}

int proto_parse(const char *data, size_t len, struct proto_msg *m, char *why, size_t whylen)
{
    if (len == 0 || len > PROTO_MAX_MSG) {
        snprintf(why, whylen, "message of %zu bytes (1 to %d allowed)", len, PROTO_MAX_MSG);
        return -1;
    }
    if (memchr(data, 0, len)) {
        snprintf(why, whylen, "message contains a NUL byte");
        return -1;
    }
    memcpy(m->store, data, len);
    m->store[len] = 0;
    m->nlines = 0;
    char *save = NULL;
    for (char *ln = strtok_r(m->store, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (m->nlines >= PROTO_MAX_LINES) {
            snprintf(why, whylen, "more than %d lines", PROTO_MAX_LINES);
            return -1;
        }
        struct proto_line *l = &m->line[m->nlines++];
        l->ntok = 0;
        char *s2 = NULL;
        for (char *t = strtok_r(ln, " ", &s2); t; t = strtok_r(NULL, " ", &s2)) {
            if (l->ntok >= PROTO_MAX_TOKENS) {
                snprintf(why, whylen, "line %d has more than %d tokens", m->nlines,
                         PROTO_MAX_TOKENS);
                return -1;
            }
            char *eq = strchr(t, '=');
            if (proto_unesc(eq ? eq + 1 : t) < 0) {
                snprintf(why, whylen, "line %d: bad %%-escape", m->nlines);
                return -1;
            }
            l->tok[l->ntok++] = t;
        }
        if (l->ntok == 0)
            m->nlines--;
    }
    if (m->nlines == 0 || m->line[0].ntok < 2) {
        snprintf(why, whylen, "no header line");
        return -1;
    }
    int type = -1;
    for (int i = 0; i < PT_COUNT; i++)
        if (!strcmp(m->line[0].tok[0], type_names[i]))
            type = i;
    if (type < 0) {
        snprintf(why, whylen, "unknown message type \"%.20s\"", m->line[0].tok[0]);
        return -1;
    }
    if (strcmp(m->line[0].tok[1], "1") != 0) {
        snprintf(why, whylen, "protocol version %.10s, this side speaks %d", m->line[0].tok[1],
                 PROTO_VERSION);
        return -1;
    }
    m->type = (enum proto_type)type;
    return 0;
}

const char *proto_get(const struct proto_line *l, const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < l->ntok; i++)
        if (!strncmp(l->tok[i], key, n) && l->tok[i][n] == '=')
            return l->tok[i] + n + 1;
    return NULL;
}

/* A decimal number as proto_kvf writes it: digits, sign, point, exponent,
 * and nothing else (no hex, no "inf"/"nan", no spaces), read in the C
 * numeric locale.  A subnormal reads exactly (strtod flags it ERANGE as an
 * underflow, but its value is the right one); an overflow is refused. */
int proto_getf(const struct proto_line *l, const char *key, double *v)
{
    const char *s = proto_get(l, key);
    if (!s || !*s || s[strspn(s, "0123456789+-.eE")])
        return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || !isfinite(d) || (errno == ERANGE && fabs(d) >= DBL_MIN))
        return -1;
    *v = d;
    return 0;
}

int proto_geti(const struct proto_line *l, const char *key, long long *v)
{
    const char *s = proto_get(l, key);
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *v = n;
    return 0;
}
