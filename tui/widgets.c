/* widgets — pure string formatters for the console (see widgets.h).
 *
 * Bar:   cell i of w covers [lo + i*d, lo + (i+1)*d), d = (hi - lo) / w; it is
 *        filled when v >= its centre.  A mark x (setpoint, alarm limit) sits
 *        in cell floor((x - lo) / d), drawn only when lo <= x <= hi; limits
 *        are drawn over the fill, the setpoint over both.
 * Spark: with count >= w samples, cell c shows the mean of the finite
 *        samples [c*count/w, (c+1)*count/w); the level is
 *        floor(8 * (m - lo) / (hi - lo)) clamped to 0..7.
 * Chart: the same means in eighths of the chart's height: a cell of row r
 *        (0 top) holds clamp(E - 8 * (rows - 1 - r), 0, 8) eighths, E =
 *        round(8 * rows * (m - lo) / (hi - lo)).
 */
#include "widgets.h"

#include <math.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "snap.h"
#include "tag.h"

static const struct wg_glyphs utf8_glyphs = {
    .h = "─",
    .v = "│",
    .tl = "┌",
    .tr = "┐",
    .bl = "└",
    .br = "┘",
    .tee_down = "┬",
    .tee_up = "┴",
    .fill = "█",
    .empty = "·",
    .sp = "┃",
    .lim = "!",
    .nodata = "?",
    .spark = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
    .arrow = "→",
    .dot = "·",
    .wave = "≈",
    .utf8 = true,
};

static const struct wg_glyphs ascii_glyphs = {
    .h = "-",
    .v = "|",
    .tl = "+",
    .tr = "+",
    .bl = "+",
    .br = "+",
    .tee_down = "+",
    .tee_up = "+",
    .fill = "#",
    .empty = ".",
    .sp = "|",
    .lim = "!",
    .nodata = "?",
    .spark = {"_", ".", "-", "~", "=", "+", "*", "#"},
    .arrow = "->",
    .dot = ".",
    .wave = "~",
    .utf8 = false,
};

/* UTF-8 signs that server and config text use, and their ASCII spelling. */
static const struct {
    const char *utf8, *ascii;
} ascii_map[] = {
    {"°C", "degC"}, {"°", "deg"}, {"→", "->"},  {"←", "<-"}, {"≤", "<="}, {"≥", ">="}, {"–", "-"},
    {"—", "-"},     {"×", "x"},   {"±", "+/-"}, {"·", "."},  {"₂", "2"},  {"³", "3"},  {"…", "..."},
};

static const struct {
    const char *unit;
    int dec; /* -1: by the span */
} unit_decimals[] = {
    {"degC", 0}, {"Pa", 1}, {"t", 1}, {"ppm", 0}, {"mm", 0}, {"kg", 0}, {"s", 0},
};

static const struct {
    unsigned flag;
    const char *word;
} loop_flag_words[] = {
    {LF_SAT_HI, "SAT HI"}, {LF_SAT_LO, "SAT LO"},     {LF_RATE, "RATE"},
    {LF_BAD_PV, "BAD PV"}, {LF_OVERRIDE, "OVERRIDE"}, {LF_TRACK, "TRACK"},
    {LF_SHED, "SHED to MAN"}, {LF_OUT_HELD, "HELD by gap"}, {LF_COMB_CUT, "O2/CO CUT"},
    {LF_PRIO_CAP, "PRIO CAP"},
};

static const struct {
    const char *word, *glyph;
    enum wg_sev sev;
} prios[] = {
    [PRIO_LOW] = {"LOW", "!", SEV_NOTE},
    [PRIO_MEDIUM] = {"MED", "!", SEV_NOTE},
    [PRIO_HIGH] = {"HIGH", "!", SEV_HIGH},
    [PRIO_CRITICAL] = {"CRIT", "!!", SEV_CRIT},
};

const struct wg_glyphs *wg_glyphs(bool ascii)
{
    return ascii ? &ascii_glyphs : &utf8_glyphs;
}

static const char *const ascii_terms[] = {"linux", "vt1", "vt2", "vt3", "vt4", "vt5",
                                             "dumb",  "cons", NULL};

bool wg_need_ascii(const char *term, const char *codeset)
{
    if (!codeset || strcmp(codeset, "UTF-8") != 0)
        return true;
    if (!term || !*term)
        return true;
    for (int i = 0; ascii_terms[i]; i++)
        if (!strncmp(term, ascii_terms[i], strlen(ascii_terms[i])))
            return true;
    return false;
}

const char *wg_tonnes(const char *unit, double *v)
{
    if (unit && !strcmp(unit, "kg")) {
        *v /= 1000.0;
        return "t";
    }
    return unit;
}

void wg_utf8_signs(char *dst, size_t n, const char *s)
{
    size_t k = 0;
    if (!n)
        return;
    for (const char *p = s; *p && k + 1 < n;) {
        const char *rep = NULL;
        size_t skip = 0;
        bool word_start = p == s || !isalnum((unsigned char)p[-1]);
        if (p[0] == '-' && p[1] == '>') {
            rep = "→", skip = 2;
        } else if (!strncmp(p, "degC", 4) && !isalnum((unsigned char)p[4]) &&
                   (word_start || isdigit((unsigned char)p[-1]))) {
            rep = "°C", skip = 4;
        }
        if (rep) {
            size_t len = strlen(rep);
            if (k + len >= n)
                break;
            memcpy(dst + k, rep, len);
            k += len;
            p += skip;
        } else {
            dst[k++] = *p++;
        }
    }
    dst[k] = 0;
}

int wg_width(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Append src to dst[*k] within n bytes; false when it did not fit. */
static bool cat(char *dst, size_t n, size_t *k, const char *src)
{
    size_t l = strlen(src);
    if (*k + l + 1 > n)
        return false;
    memcpy(dst + *k, src, l + 1);
    *k += l;
    return true;
}

int wg_fit(char *dst, size_t n, const char *s, int cells, bool pad)
{
    size_t k = 0;
    int c = 0;
    if (n == 0)
        return 0;
    while (*s && c < cells) {
        size_t len = 1;
        while ((((unsigned char)s[len]) & 0xC0) == 0x80)
            len++;
        if (k + len + 1 > n)
            break;
        memcpy(dst + k, s, len);
        k += len;
        s += len;
        c++;
    }
    while (pad && c < cells && k + 2 <= n) {
        dst[k++] = ' ';
        c++;
    }
    dst[k] = 0;
    return c;
}

void wg_ascii(char *dst, size_t n, const char *s)
{
    size_t k = 0;
    if (n == 0)
        return;
    dst[0] = 0;
    while (*s) {
        if (!((unsigned char)*s & 0x80)) {
            char one[2] = {*s++, 0};
            if (!cat(dst, n, &k, one))
                return;
            continue;
        }
        const char *rep = "?";
        size_t skip = 1;
        while ((((unsigned char)s[skip]) & 0xC0) == 0x80)
            skip++;
        for (size_t i = 0; i < sizeof ascii_map / sizeof ascii_map[0]; i++) {
            size_t l = strlen(ascii_map[i].utf8);
            if (!strncmp(s, ascii_map[i].utf8, l)) {
                rep = ascii_map[i].ascii;
                skip = l;
                break;
            }
        }
        if (!cat(dst, n, &k, rep))
            return;
        s += skip;
    }
}

const char *wg_unit(const char *unit, const struct wg_glyphs *g)
{
    if (!unit)
        return "";
    if (g->utf8 && !strcmp(unit, "degC"))
        return "°C";
    return unit;
}

void wg_age(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, n, "%ds", (int)s);
    else if (s < 3600)
        snprintf(buf, n, "%dm", (int)(s / 60));
    else if (s < 86400)
        snprintf(buf, n, "%dh", (int)(s / 3600));
    else if (s < 99 * 86400.0)
        snprintf(buf, n, "%dd", (int)(s / 86400));
    else
        snprintf(buf, n, ">99d");
}

void wg_hms(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    long t = (long)s;
    if (t < 3600)
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

int wg_decimals(const char *unit, double span)
{
    for (size_t i = 0; unit && i < sizeof unit_decimals / sizeof unit_decimals[0]; i++)
        if (!strcmp(unit, unit_decimals[i].unit))
            return unit_decimals[i].dec;
    return span > 0 && span <= 30 ? 1 : 0;
}

double wg_deadband(double *shown, bool *init, double v, int dec)
{
    double step = pow(10.0, -dec);
    if (!*init || !isfinite(*shown) || !isfinite(v) || fabs(v - *shown) >= step) {
        *shown = v;
        *init = true;
    }
    return *shown;
}

enum wg_sev wg_value(char *buf, size_t n, double v, int q, double age_s, int dec, const char *unit)
{
    const char *sep = unit && *unit ? " " : "";
    if (q != Q_GOOD || !isfinite(v)) {
        char a[16];
        wg_age(a, sizeof a, age_s);
        snprintf(buf, n, "%s %s", q == Q_GOOD ? "BAD" : tag_quality_name((enum tag_quality)q), a);
        return SEV_BAD;
    }
    if (fabs(v) < 0.5 * pow(10.0, -dec))
        v = 0;
    snprintf(buf, n, "%.*f%s%s", dec, v, sep, unit ? unit : "");
    return SEV_NONE;
}

static int cell_of(double x, double lo, double hi, int width)
{
    int i = (int)floor((x - lo) / (hi - lo) * width);
    return i < 0 ? 0 : i >= width ? width - 1 : i;
}

void wg_bar(char *buf, size_t n, int width, double v, bool good, const struct wg_bar_spec *s,
            const struct wg_glyphs *g)
{
    const char *cell[256];
    size_t k = 0;
    if (width > 256)
        width = 256;
    buf[0] = 0;
    bool span_ok = s->hi > s->lo && isfinite(s->lo) && isfinite(s->hi);
    double d = span_ok ? (s->hi - s->lo) / width : 1;
    for (int i = 0; i < width; i++) {
        if (!good || !isfinite(v) || !span_ok)
            cell[i] = g->nodata;
        else
            cell[i] = v >= s->lo + (i + 0.5) * d ? g->fill : g->empty;
    }
    if (good && isfinite(v) && span_ok) {
        for (int j = 0; j < s->nlim && j < 4; j++)
            if (s->lim[j] >= s->lo && s->lim[j] <= s->hi)
                cell[cell_of(s->lim[j], s->lo, s->hi, width)] = g->lim;
        if (s->has_sp && s->sp >= s->lo && s->sp <= s->hi)
            cell[cell_of(s->sp, s->lo, s->hi, width)] = g->sp;
    }
    for (int i = 0; i < width; i++)
        if (!cat(buf, n, &k, cell[i]))
            return;
}

/* Column c of width: the mean of its finite samples, NAN if none.  Columns
 * left of `first` (right-alignment of a short series) are NAN. */
static double column_mean(const float *v, int count, int width, int c)
{
    int a, b;
    if (count >= width) {
        a = (int)((long)c * count / width);
        b = (int)((long)(c + 1) * count / width);
    } else {
        int first = width - count;
        if (c < first)
            return NAN;
        a = c - first;
        b = a + 1;
    }
    double sum = 0;
    int m = 0;
    for (int i = a; i < b; i++)
        if (isfinite(v[i])) {
            sum += v[i];
            m++;
        }
    return m ? sum / m : NAN;
}

static void autoscale(const float *v, int count, double *lo, double *hi)
{
    if (*lo < *hi)
        return;
    double mn = INFINITY, mx = -INFINITY;
    for (int i = 0; i < count; i++)
        if (isfinite(v[i])) {
            mn = fmin(mn, v[i]);
            mx = fmax(mx, v[i]);
        }
    if (!isfinite(mn)) {
        *lo = 0;
        *hi = 1;
    } else if (mx - mn < 1e-9) {
        *lo = mn - 1;
        *hi = mx + 1;
    } else {
        *lo = mn;
        *hi = mx;
    }
}

void wg_spark(char *buf, size_t n, const float *v, int count, int width, double lo, double hi,
              const struct wg_glyphs *g, double *used_lo, double *used_hi)
{
    size_t k = 0;
    buf[0] = 0;
    if (count < 0)
        count = 0;
    autoscale(v, count, &lo, &hi);
    for (int c = 0; c < width; c++) {
        double m = count ? column_mean(v, count, width, c) : NAN;
        const char *s = " ";
        if (isfinite(m)) {
            int lev = (int)floor(8 * (m - lo) / (hi - lo));
            s = g->spark[lev < 0 ? 0 : lev > 7 ? 7 : lev];
        }
        if (!cat(buf, n, &k, s))
            break;
    }
    if (used_lo)
        *used_lo = lo;
    if (used_hi)
        *used_hi = hi;
}

void wg_chart_row(char *buf, size_t n, const float *v, int count, int width, double lo, double hi,
                  int row, int nrows, const struct wg_glyphs *g)
{
    size_t k = 0;
    buf[0] = 0;
    if (count < 0)
        count = 0;
    autoscale(v, count, &lo, &hi);
    for (int c = 0; c < width; c++) {
        double m = count ? column_mean(v, count, width, c) : NAN;
        const char *s = " ";
        if (isfinite(m)) {
            double f = (m - lo) / (hi - lo);
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            int e = (int)lround(f * nrows * 8) - 8 * (nrows - 1 - row);
            if (row == nrows - 1 && e < 1)
                e = 1;
            if (e >= 8)
                s = g->spark[7];
            else if (e > 0)
                s = g->spark[e - 1];
        }
        if (!cat(buf, n, &k, s))
            break;
    }
}

void wg_man_in(char *buf, size_t n, double man_in_s)
{
    snprintf(buf, n, "MAN in %.0f s", ceil(man_in_s));
}

void wg_loop_flags(char *buf, size_t n, unsigned flags, double man_in_s)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof loop_flag_words / sizeof loop_flag_words[0]; i++)
        if (flags & loop_flag_words[i].flag) {
            if (k)
                cat(buf, n, &k, " ");
            cat(buf, n, &k, loop_flag_words[i].word);
            if (loop_flag_words[i].flag == LF_BAD_PV && man_in_s > 0) {
                char when[32];
                wg_man_in(when, sizeof when, man_in_s);
                cat(buf, n, &k, ", ");
                cat(buf, n, &k, when);
            }
        }
}

const char *wg_prio_word(int prio)
{
    return prio >= PRIO_LOW && prio <= PRIO_CRITICAL ? prios[prio].word : "?";
}

enum wg_sev wg_prio_sev(int prio)
{
    return prio >= PRIO_LOW && prio <= PRIO_CRITICAL ? prios[prio].sev : SEV_NOTE;
}

const char *wg_prio_glyph(int prio)
{
    return prio == PRIO_CRITICAL ? "!!" : "!";
}

static __attribute__((format(printf, 5, 6))) void add_line(struct wg_lines *l, enum wg_sev sev,
                                                           int col, int len, const char *fmt, ...)
{
    if (l->n >= WG_MAX_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->line[l->n], WG_LINE, fmt, ap);
    va_end(ap);
    l->sev[l->n] = sev;
    l->mark_col[l->n] = col;
    l->mark_len[l->n] = len;
    l->n++;
}

int wg_wrap(struct wg_lines *l, const char *s, int cells, int max, enum wg_sev sev)
{
    int added = 0;
    if (cells < 8)
        cells = 8;
    while (*s && added < max && l->n < WG_MAX_LINES) {
        while (*s == ' ')
            s++;
        /* the longest prefix of at most `cells` cells, broken at a blank */
        const char *p = s, *brk = NULL;
        int c = 0;
        while (*p && c < cells) {
            if (*p == ' ')
                brk = p;
            p++;
            while ((((unsigned char)*p) & 0xC0) == 0x80)
                p++;
            c++;
        }
        const char *end = !*p ? p : (brk && brk > s ? brk : p);
        char part[WG_LINE];
        size_t len = (size_t)(end - s) < sizeof part - 1 ? (size_t)(end - s) : sizeof part - 1;
        memcpy(part, s, len);
        part[len] = 0;
        add_line(l, sev, 0, sev == SEV_NONE ? 0 : wg_width(part), "%s", part);
        added++;
        s = end;
    }
    return added;
}

void wg_faceplate(struct wg_lines *l, int width, const struct wg_faceplate *f,
                  const struct wg_glyphs *g)
{
    char pv[48], sp[32], wsp[32], out[32], flags[80], bar[1024], spark[2048], tmp[WG_LINE];
    const char *pu = wg_unit(f->pv_unit, g), *ou = wg_unit(f->out_unit, g);
    l->n = 0;
    snprintf(tmp, sizeof tmp, "%s %-9s %-5s %s", f->selected ? ">" : " ", f->name, f->mode,
             f->description);
    add_line(l, SEV_NONE, 0, 0, "%s", tmp);

    enum wg_sev pv_sev = wg_value(pv, sizeof pv, f->pv, f->pv_q, f->pv_age, f->pv_dec, pu);
    snprintf(sp, sizeof sp, "%.*f", f->pv_dec, f->sp);
    snprintf(wsp, sizeof wsp, "%.*f", f->pv_dec, f->wsp);
    snprintf(out, sizeof out, "%.*f%s%s", f->out_dec, f->out, *ou ? " " : "", ou);
    wg_loop_flags(flags, sizeof flags, f->flags, f->man_in_s);
    /* printf pads bytes: widen by the UTF-8 continuation bytes of the unit */
    int pv_pad = 11 + (int)strlen(pv) - wg_width(pv);
    int out_pad = 12 + (int)strlen(out) - wg_width(out);
    snprintf(tmp, sizeof tmp, "  PV %-*s SP %-7s WSP %-7s OUT %-*s ", pv_pad, pv, sp, wsp, out_pad,
             out);
    int flags_col = wg_width(tmp);
    size_t k = strlen(tmp);
    snprintf(tmp + k, sizeof tmp - k, "%s", flags);
    add_line(l, pv_sev, 5, wg_width(pv), "%s", tmp);
    if (flags[0]) {
        /* the flags get their own mark when the PV is fine */
        if (pv_sev == SEV_NONE) {
            l->sev[l->n - 1] = (f->flags & LF_BAD_PV) ? SEV_BAD : SEV_NOTE;
            l->mark_col[l->n - 1] = flags_col;
            l->mark_len[l->n - 1] = wg_width(flags);
        }
    }

    int bw = width - 46;
    if (bw < 10)
        bw = 10;
    if (bw > 60)
        bw = 60;
    wg_bar(bar, sizeof bar, bw, f->pv, f->pv_q == Q_GOOD, &f->bar, g);
    char step[32] = "";
    if (f->sp_max_step > 0)
        snprintf(step, sizeof step, ", step %.*f", f->pv_dec, f->sp_max_step);
    add_line(l, SEV_NONE, 0, 0, "  [%s] SP %.*f to %.*f%s  OUT %.*f to %.*f", bar, f->pv_dec,
             f->sp_lo, f->pv_dec, f->sp_hi, step, f->out_dec, f->out_lo, f->out_dec, f->out_hi);

    double lo = 0, hi = 0;
    wg_spark(spark, sizeof spark, f->hist, f->nhist, bw, f->hist_lo, f->hist_hi, g, &lo, &hi);
    if (f->nhist > 0)
        add_line(l, SEV_NONE, 0, 0, "   %s  %s: %.*f to %.*f%s%s", spark, f->span, f->pv_dec, lo,
                 f->pv_dec, hi, *pu ? " " : "", pu);
    else
        add_line(l, SEV_NONE, 0, 0,
                 "   (no samples yet: the trend starts when this console attached)");
    for (int i = 0; i < l->n; i++) {
        wg_fit(tmp, sizeof tmp, l->line[i], width, false);
        snprintf(l->line[i], WG_LINE, "%s", tmp);
    }
}

void wg_dialog(struct wg_lines *l, int width, const struct dialog *d, const struct wg_glyphs *g)
{
    const struct dialog_spec *s = &d->spec;
    char lim[200], val[64], tmp[WG_LINE];
    const char *unit = wg_unit(s->unit, g);
    l->n = 0;
    add_line(l, SEV_NONE, 0, 0, "%s", s->title);
    if (s->kind == DV_NUMBER && s->has_old)
    {
        /* at most the dialog's decimals, no trailing zeros: 740, 84.85 */
        char cur[64];
        snprintf(cur, sizeof cur, "%.*f", s->dec > 0 ? s->dec : 0, s->old);
        if (strchr(cur, '.')) {
            char *e = cur + strlen(cur) - 1;
            while (*e == '0')
                *e-- = 0;
            if (*e == '.')
                *e = 0;
        }
        add_line(l, SEV_NONE, 0, 0, "Current    %s%s%s", cur, *unit ? " " : "", unit);
    }
    else if (s->kind == DV_CHOICE && s->has_old && (int)s->old >= 0 && (int)s->old < s->nchoices)
        add_line(l, SEV_NONE, 0, 0, "Current    %s", s->choices[(int)s->old]);
    if (d->moved) /* compare-and-set: what the operator decided on has moved */
        add_line(l, SEV_HIGH, 0, 0, "Now        %s%s%s: changed since this opened; sending is "
                 "refused", d->live, s->kind == DV_NUMBER && *unit ? " " : "",
                 s->kind == DV_NUMBER ? unit : "");
    dialog_limits_text(s, lim, sizeof lim);
    if (lim[0])
        add_line(l, SEV_NONE, 0, 0, "Allowed    %s", lim);
    bool cursor = d->stage == DS_EDIT;
    if (s->kind == DV_NUMBER || s->kind == DV_TEXT) {
        snprintf(val, sizeof val, "%s%s", d->value, cursor && d->field == 0 ? "_" : "");
        add_line(l, SEV_NONE, 0, 0, "%s %s[%-*s]", s->kind == DV_TEXT ? "Text      " : "New value ",
                 d->field == 0 && cursor ? ">" : " ", DIALOG_VALUE_MAX, val);
        if (s->nclasses > 0 && d->cls >= 0 && d->cls < s->nclasses) /* a charge's class */
            add_line(l, SEV_NOTE, 0, 0, "Scrap      %s %s %g %% organics %s  at most %.2f t",
                     cursor && d->field == 0 ? "<" : " ", s->classes[d->cls],
                     s->class_pct[d->cls], cursor && d->field == 0 ? ">" : " ",
                     s->class_max[d->cls]);
    } else if (s->kind == DV_CHOICE) {
        size_t k = 0;
        tmp[0] = 0;
        for (int i = 0; i < s->nchoices; i++) {
            char one[24];
            snprintf(one, sizeof one, i == d->choice ? "[%s] " : " %s  ", s->choices[i]);
            cat(tmp, sizeof tmp, &k, one);
        }
        add_line(l, SEV_NONE, 0, 0, "New mode  %s %s", d->field == 0 && cursor ? ">" : " ", tmp);
    }
    if (d->problem[0])
        wg_wrap(l, d->problem, width, 2, SEV_HIGH);
    else
        add_line(l, SEV_NONE, 0, 0, " ");
    if (s->ask_reason || s->kind == DV_NONE) {
        /* the field is 40 wide; a longer reason shows its end, where one types */
        const char *r = d->reason;
        int nch = 0;
        for (const char *p = r; *p; p++)
            nch += ((unsigned char)*p & 0xC0) != 0x80;
        for (; nch > 38; r++)
            if (((unsigned char)r[1] & 0xC0) != 0x80)
                nch--;
        char rv[4 * 40 + 8]; /* 38 characters of UTF-8, the mark and the cursor */
        size_t k = 0;
        rv[0] = 0;
        (void)(cat(rv, sizeof rv, &k, r == d->reason ? "" : g->utf8 ? "…" : "<") &&
               cat(rv, sizeof rv, &k, r) && cat(rv, sizeof rv, &k, cursor && d->field == 1 ? "_" : ""));
        int pad = 40 - wg_width(rv);
        add_line(l, SEV_NONE, 0, 0, "Reason%s %s[%s%*s]", s->reason_required ? "*   " : "    ",
                 d->field == 1 && cursor ? ">" : " ", rv, pad > 0 ? pad : 0, "");
    }
    add_line(l, SEV_NONE, 0, 0, " ");
    switch (d->stage) {
    case DS_EDIT:
        add_line(l, SEV_NONE, 0, 0, "%s",
                 s->kind == DV_TEXT   ? "Enter apply   Esc cancel"
                 : s->kind == DV_NONE ? "Enter continue   Esc cancel"
                 : s->kind == DV_CHOICE
                     ? "Left/Right or letter choose  Tab reason  Enter continue  Esc cancel"
                 : s->nclasses > 0
                     ? "Left/Right scrap class  Tab next field  Enter continue  Esc cancel"
                     : "Enter continue   Tab next field   Esc cancel");
        break;
    case DS_CONFIRM:
        dialog_confirm_text(d, tmp, sizeof tmp, g->arrow);
        add_line(l, SEV_NOTE, 0, wg_width(tmp), "%s", tmp);
        if (s->hotkey)
            add_line(l, SEV_NONE, 0, 0, "y or %c = send   n or Esc = back%s", s->hotkey,
                     s->kind == DV_NONE && s->ask_reason ? "   Tab = add a reason" : "");
        else
            add_line(l, SEV_NONE, 0, 0, "y = send    n or Esc = back");
        break;
    case DS_WAIT:
        add_line(l, SEV_NONE, 0, 0, "Sent; waiting for the server ...   Esc closes");
        break;
    case DS_RESULT: {
        char refused[sizeof d->reply + 16];
        snprintf(refused, sizeof refused, "REFUSED: %s", d->reply);
        wg_wrap(l, refused, width, 4, SEV_HIGH);
        add_line(l, SEV_NONE, 0, 0, "%s", d->moved ? "any key: again, on the value now   Esc closes"
                                                   : "any key closes");
        break;
    }
    }
    for (int i = 0; i < l->n; i++) {
        wg_fit(tmp, sizeof tmp, l->line[i], width, false);
        snprintf(l->line[i], WG_LINE, "%s", tmp);
    }
}
