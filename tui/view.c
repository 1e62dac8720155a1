/* view — pure derivations for the screens (see view.h).
 *
 * Alarm order (ISA-18.2 display): priority descending, then the time of the
 * last change descending.  The banner prefers UNACK to RTN_UNACK whatever
 * their priorities, because an alarm whose condition holds now needs the
 * operator more than one that has cleared (a cleared critical "PLC link
 * lost" must not hide a new bath TC fault, nor read as if the link were
 * still down).  The counts are taken from the alarm list by ISA-18.2 state,
 * never from the server's totals, which count a cleared-unacknowledged
 * alarm as listed.
 */
#include "view.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alarm.h"
#include "input.h"
#include "seq.h"
#include "tag.h"
#include "trend.h"

int view_tag(const struct snap *s, const char *name, int hint)
{
    if (hint >= 0 && hint < s->ntags && !strcmp(s->tags[hint].name, name))
        return hint;
    for (int i = 0; i < s->ntags; i++)
        if (!strcmp(s->tags[i].name, name))
            return i;
    return -1;
}

int view_loop(const struct snap *s, const char *name)
{
    for (int i = 0; i < s->nloops; i++)
        if (!strcmp(s->loops[i].name, name))
            return i;
    return -1;
}

double view_man_in(const struct cfg *c, const struct snap_loop *l, bool live)
{
    const struct cfg_loop *d = cfg_loop_find(c, l->name);
    if (!live || !d || !(l->flags & LF_BAD_PV) || !(l->man_in_s > 0))
        return 0;
    return l->man_in_s <= d->pv_bad_hold_s / 2 ? l->man_in_s : 0;
}

int view_quality(int q, bool live)
{
    if (!live && q == Q_GOOD)
        return Q_STALE;
    return q;
}

static bool listed(int state)
{
    return state == ALARM_UNACK || state == ALARM_ACKED || state == ALARM_RTN_UNACK;
}

/* Insertion sort of idx[0..n) by priority, then time, descending. */
static void sort_alarms(const struct snap *s, int *idx, int n)
{
    for (int i = 1; i < n; i++) {
        int k = idx[i], j = i - 1;
        const struct snap_alarm *a = &s->alarms[k];
        while (j >= 0) {
            const struct snap_alarm *b = &s->alarms[idx[j]];
            if (b->prio > a->prio || (b->prio == a->prio && b->t >= a->t))
                break;
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = k;
    }
}

int view_alarm_order(const struct snap *s, int *idx, int max)
{
    int n = 0;
    for (int i = 0; i < s->nalarms && n < max; i++)
        if (listed(s->alarms[i].state))
            idx[n++] = i;
    sort_alarms(s, idx, n);
    return n;
}

int view_alarm_hidden(const struct snap *s, int *idx, int max)
{
    int n = 0;
    for (int i = 0; i < s->nalarms && n < max; i++)
        if (s->alarms[i].state == ALARM_SHELVED || s->alarms[i].state == ALARM_SUPPRESSED ||
            s->alarms[i].state == ALARM_OOS)
            idx[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(s->alarms[idx[j - 1]].name, s->alarms[idx[j]].name) > 0;
             j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    return n;
}

int view_banner(const struct snap *s)
{
    int best = -1;
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        if (a->state != ALARM_UNACK && a->state != ALARM_RTN_UNACK)
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const struct snap_alarm *b = &s->alarms[best];
        int ua = a->state == ALARM_UNACK, ub = b->state == ALARM_UNACK;
        if (ua > ub || (ua == ub && (a->prio > b->prio || (a->prio == b->prio && a->t > b->t))))
            best = i;
    }
    return best;
}

void view_alarm_counts(const struct snap *s, struct view_counts *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < s->nalarms; i++) {
        switch (s->alarms[i].state) {
        case ALARM_UNACK:
            c->active++;
            c->active_unacked++;
            break;
        case ALARM_ACKED:
            c->active++;
            break;
        case ALARM_RTN_UNACK:
            c->cleared_unacked++;
            break;
        case ALARM_SHELVED:
            c->shelved++;
            break;
        case ALARM_SUPPRESSED:
        case ALARM_OOS:
            c->hidden++;
            break;
        default:
            break;
        }
    }
}

int view_horn_scan(const struct snap *s, struct view_horn *h, int *urgent)
{
    struct view_horn now = {.n = 0};
    int fresh = 0;
    for (int i = 0; i < s->nalarms && now.n < CFG_MAX_ALARMS; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        if (a->state != ALARM_UNACK || a->prio < PRIO_HIGH)
            continue;
        double tr = a->t_raised > 0 ? a->t_raised : a->t;
        bool known = false;
        for (int k = 0; k < h->n && !known; k++)
            known = !strcmp(h->name[k], a->name) && h->t_raised[k] == tr;
        fresh += !known;
        snprintf(now.name[now.n], CFG_NAME_MAX, "%s", a->name);
        now.t_raised[now.n++] = tr;
    }
    *h = now;
    *urgent = now.n;
    return fresh;
}

void view_counts_text(const struct view_counts *c, char *buf, size_t n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, n, "%d active", c->active);
    if (c->active_unacked && k < n)
        k += (size_t)snprintf(buf + k, n - k, " (%d unack)", c->active_unacked);
    if (c->cleared_unacked && k < n)
        k += (size_t)snprintf(buf + k, n - k, ", %d cleared-unack", c->cleared_unacked);
    if (c->shelved && k < n)
        snprintf(buf + k, n - k, ", %d shelved", c->shelved);
}

const struct cfg_alarm *view_alarm_def(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nalarms; i++)
        if (!strcmp(c->alarms[i].name, name))
            return &c->alarms[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static const struct {
    enum cfg_alarm_kind kind;
    const char *word, *outer; /* outer: the word of the second limit (HH, LL) */
    const char *suffix;
} kind_words[] = {
    {ALARM_HI, "H", "HH", "_hh"},  {ALARM_LO, "L", "LL", "_ll"},
    {ALARM_BAD, "BAD", "BAD", ""}, {ALARM_ON, "ON", "ON", ""},
    {ALARM_OFF, "OFF", "OFF", ""}, {ALARM_DOOR_OPEN, "OPEN", "OPEN", ""},
};

enum wg_sev view_tag_alarm(const struct cfg *c, const struct snap *s, const char *tag, char *word,
                           size_t n)
{
    int best_prio = -1;
    bool best_outer = false;
    const char *best_word = NULL;
    word[0] = 0;
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        if (a->state != ALARM_UNACK && a->state != ALARM_ACKED)
            continue;
        const struct cfg_alarm *d = view_alarm_def(c, a->name);
        if (!d || strcmp(d->tag, tag) != 0)
            continue;
        for (size_t k = 0; k < sizeof kind_words / sizeof kind_words[0]; k++) {
            if (kind_words[k].kind != d->kind)
                continue;
            bool outer = (kind_words[k].suffix[0] && ends_with(d->name, kind_words[k].suffix)) ||
                         d->priority == PRIO_CRITICAL;
            if (a->prio > best_prio || (a->prio == best_prio && outer && !best_outer)) {
                best_prio = a->prio;
                best_outer = outer;
                best_word = outer ? kind_words[k].outer : kind_words[k].word;
            }
        }
    }
    if (!best_word)
        return SEV_NONE;
    snprintf(word, n, "%s %s", wg_prio_glyph(best_prio), best_word);
    return wg_prio_sev(best_prio);
}

const struct cfg_loop *view_loop_of(const struct cfg *c, const char *tag)
{
    for (int i = 0; i < c->nloops; i++)
        if (!strcmp(c->loops[i].pv, tag))
            return &c->loops[i];
    return NULL;
}

void view_bar_spec(const struct cfg *c, const char *tag, bool has_sp, double sp,
                   struct wg_bar_spec *b)
{
    memset(b, 0, sizeof *b);
    const struct cfg_tag *t = cfg_tag_find(c, tag);
    double rlo = t && t->has_range ? t->range_lo : NAN, rhi = t && t->has_range ? t->range_hi : NAN;
    double lo = INFINITY, hi = -INFINITY;
    const struct cfg_loop *l = view_loop_of(c, tag);
    if (l) {
        lo = fmin(lo, l->sp_lo);
        hi = fmax(hi, l->sp_hi);
    }
    for (int i = 0; i < c->nalarms; i++) {
        const struct cfg_alarm *a = &c->alarms[i];
        if (strcmp(a->tag, tag) != 0 || (a->kind != ALARM_HI && a->kind != ALARM_LO))
            continue;
        lo = fmin(lo, a->limit);
        hi = fmax(hi, a->limit);
        if (b->nlim < 4)
            b->lim[b->nlim++] = a->limit;
    }
    double rspan = isfinite(rlo) ? rhi - rlo : 0;
    if (!isfinite(lo)) {
        lo = isfinite(rlo) ? rlo : 0;
        hi = isfinite(rhi) ? rhi : 100;
    } else {
        double pad = hi > lo ? fmax(0.25 * (hi - lo), 0.05 * rspan)
                             : 0.25 * (rspan > 0      ? rspan
                                       : fabs(lo) > 0 ? fabs(lo)
                                                      : 1);
        lo -= pad;
        hi += pad;
        if (isfinite(rlo)) {
            lo = fmax(lo, rlo);
            hi = fmin(hi, rhi);
        }
    }
    b->lo = lo;
    b->hi = hi;
    b->has_sp = has_sp;
    b->sp = sp;
}

void view_timeline(char *buf, size_t n, int phase, int cells, const struct wg_glyphs *g)
{
    char line[512];
    for (int shortn = 0; shortn < 2; shortn++) {
        size_t k = 0;
        line[0] = 0;
        for (int p = 0; p < PH_COUNT; p++) {
            const char *name = cfg_phase_name((enum cfg_phase)p);
            int len = shortn ? 4 : (int)strlen(name);
            int w = snprintf(line + k, sizeof line - k, "%s%s%.*s%s", p ? " " : "",
                             p == phase ? "[" : "", len, name, p == phase ? "]" : "");
            if (w < 0 || (size_t)w >= sizeof line - k)
                break;
            k += (size_t)w;
            if (p + 1 < PH_COUNT && !shortn) {
                w = snprintf(line + k, sizeof line - k, " %s", g->dot);
                if (w < 0 || (size_t)w >= sizeof line - k)
                    break;
                k += (size_t)w;
            }
        }
        if (wg_width(line) <= cells)
            break;
    }
    wg_fit(buf, n, line, cells, false);
}

int view_split(const char *why, char out[][SNAP_WHY_MAX], int max)
{
    int k = 0;
    const char *p = why;
    while (p && *p && k < max) {
        const char *e = strstr(p, "; ");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= SNAP_WHY_MAX)
            len = SNAP_WHY_MAX - 1;
        if (len > 0) {
            memcpy(out[k], p, len);
            out[k][len] = 0;
            k++;
        }
        p = e ? e + 2 : NULL;
    }
    return k;
}

bool view_trend_scale(const float *v, int n, double min_span, double *lo, double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            mn = fmin(mn, v[i]);
            mx = fmax(mx, v[i]);
        }
    if (!isfinite(mn))
        return false;
    if (mx - mn < min_span) {
        double mid = 0.5 * (mn + mx);
        mn = mid - 0.5 * min_span;
        mx = mid + 0.5 * min_span;
    }
    *lo = mn;
    *hi = mx;
    return true;
}

int view_step(int sel, int n, int step)
{
    if (n <= 0)
        return -1;
    if (sel < 0 || sel >= n)
        return step < 0 ? n - 1 : 0;
    return ((sel + step) % n + n) % n;
}

bool view_match(const char *line, const char *filter)
{
    if (!filter || !*filter)
        return true;
    size_t fl = strlen(filter);
    for (const char *p = line; *p; p++) {
        size_t i = 0;
        while (i < fl && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)filter[i]))
            i++;
        if (i == fl)
            return true;
    }
    return false;
}

/* ---- the journal's filters ----------------------------------------------- */

/* The next space-separated word of *p into w; false at the end. */
static bool word(const char **p, char *w, size_t n)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    size_t k = 0;
    for (; *s && *s != ' '; s++)
        if (k + 1 < n)
            w[k++] = *s;
    w[k] = 0;
    *p = s;
    return true;
}

static bool tag_word(const char *w, const char *tag)
{
    size_t n = strlen(tag);
    if (*w == '"')
        w++;
    return strncasecmp(w, tag, n) == 0 &&
           (w[n] == 0 || w[n] == '.' || w[n] == '_' || w[n] == '"' || w[n] == ',');
}

bool view_journal_match(const char *line, const struct view_jfilter *f)
{
    if (f->text[0] && !view_match(line, f->text))
        return false;
    if (!f->has_since && !f->user[0] && !f->tag[0])
        return true;
    char w[128];
    const char *p = line;
    bool first = true, user_ok = !f->user[0], tag_ok = !f->tag[0], time_ok = !f->has_since;
    while (word(&p, w, sizeof w)) {
        if (first && f->has_since) {
            double t;
            time_ok = trend_csv_time(w, &t) && t >= f->since;
        }
        first = false;
        const char *at = strchr(w, '@');
        if (!user_ok && at) {
            const char *u = w[0] == '"' ? w + 1 : w;
            size_t n = at > u ? (size_t)(at - u) : 0;
            if (n > 0 && u[n - 1] == '"')
                n--;
            user_ok = strlen(f->user) == n && strncasecmp(u, f->user, n) == 0;
            if (!user_ok)
                return false;
        }
        if (!tag_ok)
            tag_ok = tag_word(w, f->tag);
    }
    return user_ok && tag_ok && time_ok;
}

int view_since(const char *text, double now, double *since, char *why, size_t n)
{
    static const struct {
        char unit;
        double s;
    } units[] = {{'m', 60}, {'h', 3600}, {'d', 86400}};
    int a, b, used = 0;
    double v;
    char num[INPUT_NUMBER_CHARS + 1];
    size_t len = strlen(text);
    /* -N followed by a unit; N read as every typed number is (input.h) */
    if (text[0] == '-' && len >= 3 && len - 2 < sizeof num && text[1] != '-' && text[1] != '+') {
        memcpy(num, text + 1, len - 2);
        num[len - 2] = 0;
        if (input_number(num, &v, NULL, 0) == 0 && v >= 0 && v <= 3650)
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (text[len - 1] == units[i].unit) {
                    *since = now - v * units[i].s;
                    return 0;
                }
    }
    if (sscanf(text, "%2d:%2d%n", &a, &b, &used) == 2 && !text[used] && a >= 0 && a < 24 &&
        b >= 0 && b < 60) {
        double day = floor(now / 86400) * 86400, t = day + a * 3600 + b * 60;
        *since = t > now ? t - 86400 : t;
        return 0;
    }
    char iso[40];
    if (strlen(text) == 16 && (text[10] == ' ' || text[10] == 'T')) {
        snprintf(iso, sizeof iso, "%.10sT%.5s:00Z", text, text + 11);
        double t;
        if (trend_csv_time(iso, &t)) {
            *since = t;
            return 0;
        }
    }
    char shown[INPUT_SHOW_SIZE];
    input_show(shown, sizeof shown, text);
    if (why && n)
        snprintf(why, n,
                 "since \"%s\": expected -30m, -2h, -1d, HH:MM or YYYY-MM-DD HH:MM (UTC, as the "
                 "journal's times)",
                 shown);
    return -1;
}

bool view_next_charge(const struct snap *s, char *why, size_t n)
{
    const char *label = "Start next charge";
    size_t len = 0;
    why[0] = 0;
    if (s->phase != PH_MELT)
        len += (size_t)snprintf(why + len, n - len, "%s: phase %s, not MELT", label,
                                cfg_phase_name((enum cfg_phase)s->phase));
    int i = view_tag(s, "scrap_on_hearth", -1);
    const char *sep = len ? "; " : "";
    if (len >= n)
        return false;
    if (i < 0)
        snprintf(why + len, n - len, "%s%s: scrap on hearth not reported", sep, label);
    else if (s->tags[i].q != Q_GOOD)
        snprintf(why + len, n - len, "%s%s: scrap on hearth %s (no good value)", sep, label,
                 tag_quality_name((enum tag_quality)s->tags[i].q));
    else if (s->tags[i].v >= SEQ_HEARTH_EMPTY_KG)
        snprintf(why + len, n - len, "%s%s: scrap on hearth %.2f t >= empty below %.2f t", sep,
                 label, s->tags[i].v / 1000.0, SEQ_HEARTH_EMPTY_KG / 1000.0);
    return why[0] == 0;
}
