/* core_state — what must survive a restart of the server: each loop's
 * mode, setpoint and tuning as text lines (see core.h), written and read
 * back with every value checked against the loop's limits, and the class
 * of the last charge (the loops' priority follows it), read back only if
 * the file still has that class.
 */
#include "core.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

int core_state_save(const struct core *k, char *buf, size_t n)
{
    size_t len = 0;
    if (n)
        buf[0] = 0;
    for (int i = 0; i < k->loops.n; i++) {
        const struct pid *p = &k->loops.loop[i].pid;
        int w = snprintf(buf + len, n - len, "loop %s mode=%s sp=%.17g kp=%.17g ti_s=%.17g "
                         "td_s=%.17g\n",
                         k->cfg->loops[i].name, cfg_loop_mode_name(p->mode), p->sp, p->prm.kp,
                         p->prm.ti_s, p->prm.td_s);
        if (w < 0 || (size_t)w >= n - len)
            return -1;
        len += (size_t)w;
    }
    if (k->charge_scrap) {
        int w = snprintf(buf + len, n - len, "charge scrap=%s\n", k->charge_scrap->name);
        if (w < 0 || (size_t)w >= n - len)
            return -1;
        len += (size_t)w;
    }
    return (int)len;
}

static void add_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_err(char *err, size_t errlen, const char *fmt, ...)
{
    size_t l = strlen(err);
    if (l + 3 >= errlen)
        return;
    if (l)
        l += (size_t)snprintf(err + l, errlen - l, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + l, errlen - l, fmt, ap);
    va_end(ap);
}

/* A number as core_state_save() wrote it (%.17g: it may carry an exponent,
 * which a person's input may not, so not input_number()); 0 or -1.  The
 * server never sets a locale, so strtod reads the C locale's point. */
static int state_value(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(d))
        return -1;
    *v = d;
    return 0;
}

/* "key=NUMBER" among the words; 0 or -1. */
static int state_num(char *const *w, int nw, const char *key, double lo, double hi, double *v)
{
    size_t kl = strlen(key);
    for (int i = 0; i < nw; i++) {
        if (strncmp(w[i], key, kl) || w[i][kl] != '=')
            continue;
        double d;
        if (state_value(w[i] + kl + 1, &d) < 0 || d < lo || d > hi)
            return -1;
        *v = d;
        return 0;
    }
    return -1;
}

/* "charge scrap=NAME": the last charge's class, if the file still has it. */
static void restore_charge(struct core *k, char *const *w, int nw, char *err, size_t errlen)
{
    const struct cfg_scrap *s = NULL;
    if (nw == 2 && !strncmp(w[1], "scrap=", 6) && !(s = cfg_scrap_find(k->cfg, w[1] + 6))) {
        add_err(err, errlen, "the last charge's scrap class \"%.32s\" is not in %s: not known "
                "until the next charge", w[1] + 6, k->cfg->path);
        return;
    }
    if (!s) {
        add_err(err, errlen, "line \"charge %.40s\" not understood", nw > 1 ? w[1] : "");
        return;
    }
    k->charge_scrap = s;
}

int core_state_restore(struct core *k, const char *text, char *err, size_t errlen)
{
    char line[512];
    int restored = 0;
    if (errlen)
        err[0] = 0;
    while (*text) {
        size_t l = strcspn(text, "\n");
        snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1), text);
        text += l + (text[l] == '\n');
        char *w[8], *save = NULL;
        int nw = 0;
        for (char *t = strtok_r(line, " ", &save); t && nw < 8; t = strtok_r(NULL, " ", &save))
            w[nw++] = t;
        if (nw == 0)
            continue;
        if (!strcmp(w[0], "charge")) {
            restore_charge(k, w, nw, err, errlen);
            continue;
        }
        if (nw < 3 || strcmp(w[0], "loop")) {
            add_err(err, errlen, "line \"%.40s\" not understood", w[0]);
            continue;
        }
        int li = loops_find(&k->loops, w[1]);
        if (li < 0) {
            add_err(err, errlen, "no loop %s any more", w[1]);
            continue;
        }
        struct pid *p = &k->loops.loop[li].pid;
        int mode = -1;
        for (int i = 2; i < nw; i++)
            if (!strncmp(w[i], "mode=", 5))
                for (int m = LOOP_MAN; m <= LOOP_CAS; m++)
                    if (!strcmp(w[i] + 5, cfg_loop_mode_name((enum cfg_loop_mode)m)))
                        mode = m;
        double sp, kp, ti, td;
        if (mode < 0 || (mode == LOOP_CAS && !p->prm.cas_allowed) ||
            state_num(w, nw, "sp", p->prm.sp_lo, p->prm.sp_hi, &sp) < 0 ||
            state_num(w, nw, "kp", 0, 1000, &kp) < 0 || state_num(w, nw, "ti_s", 0, 100000, &ti) < 0 ||
            state_num(w, nw, "td_s", 0, 10000, &td) < 0) {
            add_err(err, errlen, "loop %s: a mode, setpoint or gain is missing or outside its "
                    "limits: kept as configured", w[1]);
            continue;
        }
        p->mode = (enum cfg_loop_mode)mode;
        p->sp = sp;
        p->sp_work = sp;
        p->prm.kp = kp;
        p->prm.ti_s = ti;
        p->prm.td_s = td;
        p->bumpless = true;
        restored++;
    }
    return restored;
}
