/* screen_diag — for maintenance: the server, this console's connection,
 * the PLC link, the control cycle's timing, and the tag table (address, raw
 * register value, engineering value, quality, age).
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "screens.h"
#include "tag.h"
#include "view.h"

#define HEAD_ROWS 7

static const char *const link_words[] = {
    [LINK_DOWN] = "DOWN",
    [LINK_UP] = "UP",
    [LINK_CONNECTING] = "CONNECTING",
};

static void head(struct ui *u)
{
    const struct client *cl = u->cl;
    const struct snap *s = &cl->snap;
    screen_row(u, 0);
    screen_add(u, SEV_NONE, " Server   pid %ld  user %s  role %s  config %s", cl->hello.server_pid,
               cl->hello.user, cl->hello.role, cl->hello.config);
    screen_eol(u);
    screen_row(u, 1);
    screen_add(u, SEV_NONE,
               " Console  socket %s  connects %lu  rx %lu msgs %.1f kB  snaps %lu (last %.1f s "
               "ago)  bad %lu  tx %lu",
               cl->path, cl->connects, cl->rx_msgs, cl->rx_bytes / 1000.0, cl->snaps,
               client_snap_age(cl, u->now), cl->rx_bad, cl->tx_msgs);
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
    screen_add(
        u, SEV_NONE,
        "  %s:%d  reconnects %u  transactions %u  errors %u  rtt %.2f ms  last good %.1f s ago",
        u->cfg->plc.host, u->cfg->plc.port, s->reconnects, s->transactions, s->errors, s->rtt_ms,
        s->last_good_age_s);
    screen_eol(u);
    screen_row(u, 4);
    if (s->link_err[0])
        screen_add(u, SEV_NOTE, "   last link error: %s", s->link_err);
    screen_eol(u);
    screen_row(u, 5);
    screen_add(u, SEV_NONE,
               " Cycle    period %d ms  cycles %llu  slow %llu  lateness p50 %.2f ms  p99 %.2f ms  "
               "max %.2f ms",
               s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles,
               s->late_p50_ms, s->late_p99_ms, s->late_max_ms);
    screen_eol(u);
    screen_row(u, 6);
    screen_add(u, SEV_NONE, " %-20s %-7s %-7s %12s %14s  %-7s %s", "tag", "addr", "type", "raw",
               "value", "quality", "age");
    screen_eol(u);
}

static void draw(struct ui *u)
{
    const struct cfg *c = u->cfg;
    head(u);
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
        if (st)
            screen_add(u, SEV_NONE, "%12.10g %14.6g  ", st->raw, st->v);
        else
            screen_add(u, SEV_NONE, "%12s %14s  ", "-", "-");
        screen_add(u, q == Q_GOOD ? SEV_NONE : SEV_BAD, "%-7s",
                   tag_quality_name((enum tag_quality)q));
        screen_add(u, SEV_NONE, " %-4s %s %s", q == Q_GOOD ? "" : age, t->unit, t->description);
        screen_eol(u);
    }
    screen_blank_from(u, y);
}

static bool key(struct ui *u, int ch)
{
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
};

const struct screen screen_diag = {
    .name = "diag",
    .title = "Diagnostics",
    .draw = draw,
    .key = key,
    .keys = keys,
    .nkeys = sizeof keys / sizeof keys[0],
};
