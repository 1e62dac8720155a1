/* screen_diag — for maintenance: the server, this console's connection,
 * the PLC link, the control cycle's timing, and the tag table (address, raw
 * register value, engineering value, quality, age).
 *
 * Few bytes: the counters (messages, bytes, cycles, transactions) and the
 * raw registers and values are taken again at most every DIAG_SLOW_S; the
 * link state, a connection error and each tag's quality are drawn from the
 * newest snapshot every frame, so nothing that stops being live looks live.
 * Values are shown with the precision of their tag and the console's units.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "screens.h"
#include "tag.h"
#include "view.h"

#define HEAD_ROWS 7
#define DIAG_SLOW_S 2.0

/* The slow fields as last drawn. */
static struct {
    double t; /* u->now when taken; 0: never */
    char console[300], link[300], cycle[300];
    char raw[CFG_MAX_TAGS][24], val[CFG_MAX_TAGS][32];
} slow;

static const char *const link_words[] = {
    [LINK_DOWN] = "DOWN",
    [LINK_UP] = "UP",
    [LINK_CONNECTING] = "CONNECTING",
};

static void head(struct ui *u, bool again)
{
    const struct client *cl = u->cl;
    const struct snap *s = &cl->snap;
    if (again) {
        snprintf(slow.console, sizeof slow.console,
                 " Console  socket %s  connects %lu  rx %lu msgs %.1f kB  snaps %lu  bad %lu  "
                 "tx %lu",
                 cl->path, cl->connects, cl->rx_msgs, cl->rx_bytes / 1000.0, cl->snaps,
                 cl->rx_bad, cl->tx_msgs);
        snprintf(slow.link, sizeof slow.link,
                 "  %s:%d  reconnects %u  transactions %u  errors %u  rtt %.2f ms", u->cfg->plc.host,
                 u->cfg->plc.port, s->reconnects, s->transactions, s->errors, s->rtt_ms);
        snprintf(slow.cycle, sizeof slow.cycle,
                 " Cycle    period %d ms  cycles %llu  slow %llu  lateness p50 %.2f ms  p99 %.2f "
                 "ms  max %.2f ms",
                 s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles,
                 s->late_p50_ms, s->late_p99_ms, s->late_max_ms);
    }
    screen_row(u, 0);
    screen_add(u, SEV_NONE, " Server   pid %ld  user %s  role %s  config %s", cl->hello.server_pid,
               cl->hello.user, cl->hello.role, cl->hello.config);
    screen_eol(u);
    screen_row(u, 1);
    screen_add(u, SEV_NONE, "%s", slow.console);
    if (!screen_live(u)) {
        char age[16];
        wg_age(age, sizeof age, client_snap_age(cl, u->now));
        screen_add(u, SEV_BAD, "  no snapshot for %s", age);
    }
    screen_eol(u);
    screen_row(u, 2);
    if (!client_connected(cl))
        screen_add(u, SEV_CRIT, " !! %s", cl->err);
    else if (cl->rx_bad)
        screen_add(u, SEV_NOTE, " last bad message: %s", cl->last_bad);
    screen_eol(u);
    screen_row(u, 3);
    int lk = s->link >= LINK_DOWN && s->link <= LINK_CONNECTING ? s->link : LINK_DOWN;
    screen_add(u, SEV_NONE, " PLC link ");
    screen_add(u, lk == LINK_UP ? SEV_NONE : SEV_CRIT, "%s%s", lk == LINK_UP ? "" : "!! ",
               cl->have_snap ? link_words[lk] : "unknown");
    screen_add(u, SEV_NONE, "%s", slow.link);
    if (s->last_good_age_s >= 1.0) {
        char age[16];
        wg_age(age, sizeof age, s->last_good_age_s);
        screen_add(u, SEV_HIGH, "  last good %s ago", age);
    }
    screen_eol(u);
    screen_row(u, 4);
    if (s->link_err[0])
        screen_add(u, SEV_NOTE, "   last link error: %s", s->link_err);
    screen_eol(u);
    screen_row(u, 5);
    screen_add(u, SEV_NONE, "%s", slow.cycle);
    screen_eol(u);
    screen_row(u, 6);
    screen_add(u, SEV_NONE, " %-20s %-7s %-7s %12s %14s  %-7s %s", "tag", "addr", "type", "raw",
               "value", "quality", "age");
    screen_eol(u);
}

static void draw(struct ui *u)
{
    const struct cfg *c = u->cfg;
    bool again = !(slow.t > 0) || u->now - slow.t >= DIAG_SLOW_S || u->now < slow.t;
    if (again)
        slow.t = u->now;
    head(u, again);
    int rows = u->height - HEAD_ROWS, *first = &u->scroll[SCR_DIAG];
    screen_follow(u->sel[SCR_DIAG], rows, first);
    int y = HEAD_ROWS;
    for (int i = *first; i < c->ntags && y < u->height; i++) {
        const struct cfg_tag *t = &c->tags[i];
        int si = u->cl->have_snap ? view_tag(&u->cl->snap, t->name, i) : -1;
        const struct snap_tag *st = si >= 0 ? &u->cl->snap.tags[si] : NULL;
        int q = st ? view_quality(st->q, screen_live(u)) : Q_STALE;
        char addr[16], age[16];
        snprintf(addr, sizeof addr, "%s:%d", cfg_table_name(t->table), t->addr);
        wg_age(age, sizeof age, st ? st->age_s : 0);
        screen_row(u, y++);
        screen_add(u, SEV_NONE, "%s%-20s %-7s %-7s ", i == u->sel[SCR_DIAG] ? ">" : " ", t->name,
                   addr, cfg_type_name(t->type));
        if (again || !slow.raw[i][0]) {
            double scale = 1;
            const char *unit = wg_tonnes(t->unit, &scale);
            int dec = wg_decimals(unit, t->has_range ? (t->range_hi - t->range_lo) * scale : 0);
            if (st) {
                snprintf(slow.raw[i], sizeof slow.raw[i], "%.10g", st->raw);
                snprintf(slow.val[i], sizeof slow.val[i], "%.*f", dec, st->v * scale);
            } else {
                snprintf(slow.raw[i], sizeof slow.raw[i], "-");
                snprintf(slow.val[i], sizeof slow.val[i], "-");
            }
        }
        screen_add(u, SEV_NONE, "%12s %14s  ", slow.raw[i], slow.val[i]);
        screen_add(u, q == Q_GOOD ? SEV_NONE : SEV_BAD, "%-7s",
                   tag_quality_name((enum tag_quality)q));
        double one = 1;
        screen_add(u, SEV_NONE, " %-4s %s %s", q == Q_GOOD ? "" : age,
                   wg_unit(wg_tonnes(t->unit, &one), u->g),
                   t->description);
        screen_eol(u);
    }
    screen_blank_from(u, y);
}

/* Enter: the header's lines and the selected tag, whole (the rows are cut
 * at the terminal's width). */
static void detail(struct ui *u)
{
    const struct client *cl = u->cl;
    const struct snap *s = &cl->snap;
    const struct cfg_tag *t = u->sel[SCR_DIAG] < u->cfg->ntags ? &u->cfg->tags[u->sel[SCR_DIAG]]
                                                                : NULL;
    int si = t && cl->have_snap ? view_tag(s, t->name, u->sel[SCR_DIAG]) : -1;
    char tag[300] = "";
    if (t) {
        double one = 1;
        snprintf(tag, sizeof tag, "\nTag %s (%s:%d %s): raw %s, value %s %s, %s; %s", t->name,
                 cfg_table_name(t->table), t->addr, cfg_type_name(t->type),
                 si >= 0 ? slow.raw[u->sel[SCR_DIAG]] : "-",
                 si >= 0 ? slow.val[u->sel[SCR_DIAG]] : "-", wg_unit(wg_tonnes(t->unit, &one), u->g),
                 si >= 0 ? tag_quality_name((enum tag_quality)view_quality(s->tags[si].q,
                                                                             screen_live(u)))
                         : "no value",
                 t->description);
    }
    screen_detail(u, "diagnostics",
                  "Server pid %ld, user %s, role %s, config %s\n%s\nPLC link %s%s%s%s\n%s%s",
                  cl->hello.server_pid, cl->hello.user, cl->hello.role, cl->hello.config,
                  slow.console + 1,
                  cl->have_snap && s->link >= LINK_DOWN && s->link <= LINK_CONNECTING
                      ? link_words[s->link]
                      : "unknown",
                  slow.link, s->link_err[0] ? "; last error: " : "",
                  s->link_err, slow.cycle + 1, tag);
}

static bool key(struct ui *u, int ch)
{
    if (ch == '\n') {
        detail(u);
        return true;
    }
    if (ch == 'g') {
        if (u->sel[SCR_DIAG] < u->cfg->ntags)
            screen_trend_open(u, u->cfg->tags[u->sel[SCR_DIAG]].name);
        return true;
    }
    return screen_nav(ch, &u->sel[SCR_DIAG], u->cfg->ntags, u->height - HEAD_ROWS);
}

static const struct screen_key keys[] = {
    {"Up/Down PgUp/PgDn", "move", "move through the tag table", false},
    {"g", "trend", "trend of the selected tag (added as a pen when it is not one)", false},
    {"Enter", "whole", "the server, link and cycle lines and the selected tag, whole", false},
};

const struct screen screen_diag = {
    .name = "diag",
    .title = "Diagnostics",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
