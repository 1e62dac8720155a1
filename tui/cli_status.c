/* cli_status — `meltcon status [--json]`: wait for one snapshot and print
 * it as text for a person or as JSON for a script (the same figures).
 */
#include "cli_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "alarm.h"
#include "numtext.h"
#include "tag.h"
#include "widgets.h"

static void json_s(FILE *f, const char *s)
{
    char buf[4096];
    if (cli_json_str(buf, sizeof buf, s ? s : "") < 0)
        fputs("\"\"", f);
    else
        fputs(buf, f);
}

/* A number exactly as the server holds it (the shortest decimal that reads
 * back as the same double); null for one never read. */
static void json_n(FILE *f, double v)
{
    char num[NUMTEXT_MAX];
    if (isfinite(v) && numtext(num, sizeof num, v))
        fputs(num, f);
    else
        fputs("null", f);
}

/* `status --json`'s version: 2 added "schema" and the wall-clock times (the "time" keys
 * next to the process-time ones); a script checks it before reading. */
#define STATUS_SCHEMA 2

/* A wall-clock time as an ISO 8601 string in UTC with its zone, to the ms; null when
 * not finite. */
static void json_time(FILE *f, double wall)
{
    if (!isfinite(wall)) {
        fputs("null", f);
        return;
    }
    long long ms = llround(wall * 1000.0);
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        fputs("null", f);
        return;
    }
    fprintf(f, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", (tm.tm_year + 1900) % 10000,
            (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
            tm.tm_sec % 100, (int)(ms % 1000));
}

static const char *link_name(int l)
{
    return l == LINK_UP ? "UP" : l == LINK_CONNECTING ? "CONNECTING" : "DOWN";
}

static const char *q_name(int q)
{
    return tag_quality_name((enum tag_quality)q);
}

static const struct {
    unsigned bit;
    const char *name;
} loop_flags[] = {
    {LF_SAT_HI, "sat_hi"}, {LF_SAT_LO, "sat_lo"},     {LF_RATE, "rate"},
    {LF_BAD_PV, "bad_pv"}, {LF_OVERRIDE, "override"}, {LF_TRACK, "track"},
    {LF_SHED, "shed"},     {LF_OUT_HELD, "out_held"}, {LF_COMB_CUT, "comb_cut"},
    {LF_PRIO_CAP, "prio_cap"},
};

static void status_json(const struct cfg *cfg, const struct snap_hello *h, const struct snap *s)
{
    FILE *f = stdout;
    /* process times (t, alarm t, shelved_until) turn into wall-clock ones through the
     * snapshot's pair (t, wall) */
    double off = s->wall - s->t;
    fprintf(f, "{\"schema\":%d,\"time\":", STATUS_SCHEMA);
    json_time(f, s->wall);
    fputs(",\"furnace\":", f);
    json_s(f, h->furnace);
    fprintf(f, ",\"server_pid\":%ld,\"user\":", h->server_pid);
    json_s(f, h->user);
    fputs(",\"role\":", f);
    json_s(f, h->role);
    fprintf(f, ",\"plc_mode\":%d,\"seq\":%u,\"t\":", h->plc_mode, (unsigned)s->seq);
    json_n(f, s->t);
    fputs(",\"wall\":", f);
    json_n(f, s->wall);
    fprintf(f,
            ",\n\"link\":{\"state\":\"%s\",\"reconnects\":%u,\"transactions\":%u,"
            "\"errors\":%u,\"rtt_ms\":",
            link_name(s->link), (unsigned)s->reconnects, (unsigned)s->transactions,
            (unsigned)s->errors);
    json_n(f, s->rtt_ms);
    fputs(",\"last_good_age_s\":", f);
    json_n(f, s->last_good_age_s);
    fputs(",\"last_good_time\":", f);
    json_time(f, s->wall - s->last_good_age_s);
    fputs(",\"last_error\":", f);
    json_s(f, s->link_err);
    fprintf(f, "},\n\"cycle\":{\"period_ms\":%d,\"cycles\":%llu,\"slow\":%llu,\"late_p50_ms\":",
            s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles);
    json_n(f, s->late_p50_ms);
    fputs(",\"late_p99_ms\":", f);
    json_n(f, s->late_p99_ms);
    fputs(",\"late_max_ms\":", f);
    json_n(f, s->late_max_ms);
    fputs("},\n\"program\":", f);
    json_s(f, s->program);
    fprintf(f, ",\"phase\":{\"name\":\"%s\",\"t_s\":", cfg_phase_name((enum cfg_phase)s->phase));
    json_n(f, s->t_phase);
    fputs(",\"since\":", f);
    json_time(f, s->wall - s->t_phase);
    fprintf(f, ",\"ready\":%s,\"overrun\":%s,\"why\":", s->ready ? "true" : "false",
            s->overrun ? "true" : "false");
    json_s(f, s->phase_why);
    fputs("},\n\"loops\":[", f);
    for (int i = 0; i < s->nloops; i++) {
        const struct snap_loop *l = &s->loops[i];
        fprintf(f, "%s\n {\"name\":", i ? "," : "");
        json_s(f, l->name);
        fprintf(f, ",\"mode\":\"%s\",\"sp\":", cfg_loop_mode_name((enum cfg_loop_mode)l->mode));
        json_n(f, l->sp);
        fputs(",\"wsp\":", f);
        json_n(f, l->wsp);
        fputs(",\"pv\":", f);
        json_n(f, l->pv);
        fprintf(f, ",\"pv_quality\":\"%s\",\"out\":", q_name(l->pv_q));
        json_n(f, l->out);
        fputs(",\"man_in_s\":", f); /* a bad PV's hold: s until MAN; null: none runs */
        if (l->man_in_s > 0)
            json_n(f, l->man_in_s);
        else
            fputs("null", f);
        fputs(",\"flags\":[", f);
        int k = 0;
        for (size_t b = 0; b < sizeof loop_flags / sizeof loop_flags[0]; b++)
            if (l->flags & loop_flags[b].bit)
                fprintf(f, "%s\"%s\"", k++ ? "," : "", loop_flags[b].name);
        fputs("]}", f);
    }
    fputs("],\n\"tags\":{", f);
    for (int i = 0; i < s->ntags; i++) {
        const struct snap_tag *t = &s->tags[i];
        const struct cfg_tag *ct = cfg_tag_find(cfg, t->name);
        fprintf(f, "%s\n ", i ? "," : "");
        json_s(f, t->name);
        fputs(":{\"v\":", f);
        json_n(f, t->v);
        fprintf(f, ",\"q\":\"%s\",\"unit\":", q_name(t->q));
        json_s(f, ct ? ct->unit : "");
        fputs(",\"age_s\":", f);
        json_n(f, t->age_s);
        fputs("}", f);
    }
    fputs("},\n\"alarms\":[", f);
    for (int i = 0; i < s->nalarms; i++) {
        const struct snap_alarm *a = &s->alarms[i];
        fprintf(f, "%s\n {\"name\":", i ? "," : "");
        json_s(f, a->name);
        fprintf(f, ",\"state\":\"%s\",\"priority\":\"%s\",\"t\":",
                alarm_state_name((enum alarm_state)a->state),
                cfg_priority_name((enum cfg_priority)a->prio));
        json_n(f, a->t);
        fputs(",\"time\":", f);
        json_time(f, a->t + off);
        fputs(",\"shelved_until\":", f);
        json_n(f, a->shelved_until);
        fputs(",\"shelved_until_time\":", f);
        json_time(f, a->shelved_until > 0 ? a->shelved_until + off : NAN);
        fprintf(f, ",\"first_out\":%s}", a->first_out ? "true" : "false");
    }
    fprintf(f,
            "],\n\"alarm_counts\":{\"active\":%d,\"unacked\":%d,\"shelved\":%d,"
            "\"flood\":%s,\"per_10min\":",
            s->n_active, s->n_unacked, s->n_shelved, s->flood ? "true" : "false");
    json_n(f, s->alarms_per_10min);
    fputs("},\n\"permissives\":{", f);
    for (int i = 0; i < s->nperms; i++) {
        fprintf(f, "%s\n ", i ? "," : "");
        json_s(f, s->perms[i].cmd);
        fprintf(f, ":{\"ready\":%s,\"why\":", s->perms[i].ready ? "true" : "false");
        json_s(f, s->perms[i].why);
        fputs("}", f);
    }
    fputs("}}\n", f);
}

static void status_text(const struct cfg *cfg, const struct snap_hello *h, const struct snap *s)
{
    printf("furnace %s: server pid %ld; you are %s (%s)%s\n", h->furnace, h->server_pid, h->user,
           h->role, h->plc_mode == 1 ? "; PLC: simulated hardware" : "");
    printf("link    %s %s:%d, rtt %.1f ms, %u reconnects, %u transactions, %u errors%s%s\n",
           link_name(s->link), cfg->plc.host, cfg->plc.port, s->rtt_ms, (unsigned)s->reconnects,
           (unsigned)s->transactions, (unsigned)s->errors, *s->link_err ? "; last error: " : "",
           s->link_err);
    printf("cycle   %d ms, %llu cycles, %llu slow; lateness p50 %.2f ms, p99 %.2f ms, max %.2f "
           "ms\n",
           s->period_ms, (unsigned long long)s->cycles, (unsigned long long)s->slow_cycles,
           s->late_p50_ms, s->late_p99_ms, s->late_max_ms);
    printf("phase   %s for %.0f s, program %s%s%s\n", cfg_phase_name((enum cfg_phase)s->phase),
           s->t_phase, s->program, *s->phase_why ? ": " : "", s->phase_why);
    printf("alarms  %d active, %d unacknowledged, %d shelved%s\n", s->n_active, s->n_unacked,
           s->n_shelved, s->flood ? ", FLOOD" : "");
    printf("\n%-10s %-5s %9s %9s %9s %-6s %7s\n", "loop", "mode", "sp", "wsp", "pv", "pv q", "out");
    for (int i = 0; i < s->nloops; i++) {
        const struct snap_loop *l = &s->loops[i];
        char when[32] = "  "; /* a bad PV's hold: when the loop drops to MAN */
        if (l->man_in_s > 0)
            wg_man_in(when + 2, sizeof when - 2, l->man_in_s);
        else
            when[0] = 0;
        printf("%-10s %-5s %9.1f %9.1f %9.1f %-6s %7.1f%s\n", l->name,
               cfg_loop_mode_name((enum cfg_loop_mode)l->mode), l->sp, l->wsp, l->pv,
               q_name(l->pv_q), l->out, when);
    }
    printf("\n%-20s %12s %-7s %-6s %s\n", "tag", "value", "unit", "q", "age s");
    for (int i = 0; i < s->ntags; i++) {
        const struct snap_tag *t = &s->tags[i];
        const struct cfg_tag *ct = cfg_tag_find(cfg, t->name);
        printf("%-20s %12.*f %-7s %-6s %.1f\n", t->name, ct && ct->scale < 1 ? 2 : 1, t->v,
               ct ? ct->unit : "", q_name(t->q), t->age_s);
    }
    if (s->nalarms) {
        printf("\n%-20s %-10s %-9s %s\n", "alarm", "state", "priority", "since (process s)");
        for (int i = 0; i < s->nalarms; i++)
            printf("%-20s %-10s %-9s %.0f\n", s->alarms[i].name,
                   alarm_state_name((enum alarm_state)s->alarms[i].state),
                   cfg_priority_name((enum cfg_priority)s->alarms[i].prio), s->alarms[i].t);
    }
}

int cli_verb_status(struct cli_conn *c, const struct cfg *cfg, const struct cli_args *a)
{
    struct snap *s = malloc(sizeof *s);
    int64_t end = cli_now_ms() + REPLY_WAIT_MS;
    int rc = 1;
    while (s) {
        int t = cli_conn_recv(c, end);
        if (t < 0) {
            fprintf(stderr, "meltcon status: %s\n",
                    t == -2 ? "no snapshot from the server in 5 s"
                            : "the server closed the "
                              "connection");
            break;
        }
        if (t == PT_SNAP && snap_decode(&c->msg, s) == 0) {
            if (a->json)
                status_json(cfg, &c->hello, s);
            else
                status_text(cfg, &c->hello, s);
            rc = 0;
            break;
        }
    }
    free(s);
    return rc;
}
