/* test_snap — typed protocol messages round-trip exactly; a snapshot with
 * a malformed line is refused whole; the core's view becomes the snapshot
 * field for field, PID status bits becoming loop flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "core.h"
#include "snap.h"

static struct snap a, b;
static struct proto_out o;
static struct proto_msg m;

static void fill(struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->seq = 812;
    s->t = 3600.25;
    s->wall = 1795000000.5;
    s->cycles = 14400;
    s->slow_cycles = 2;
    s->late_p50_ms = 0.08;
    s->late_p99_ms = 0.5;
    s->late_max_ms = 3.25;
    s->period_ms = 250;
    s->link = LINK_UP;
    s->reconnects = 1;
    s->transactions = 43200;
    s->errors = 3;
    s->rtt_ms = 0.4;
    s->last_good_age_s = 0.25;
    strcpy(s->link_err, "Connection refused (last at 12:00)");
    strcpy(s->program, "a226");
    s->phase = PH_PYROLYSIS;
    s->t_phase = 912;
    s->ready = false;
    s->overrun = true;
    strcpy(s->phase_why, "CO 2400 ppm > end of pyrolysis 500 ppm; scrap 380 degC < 480 degC");
    s->n_unacked = 2;
    s->n_active = 3;
    s->n_shelved = 1;
    s->flood = true;
    s->alarms_per_10min = 12;
    s->ntags = CFG_MAX_TAGS;
    for (int i = 0; i < s->ntags; i++) {
        snprintf(s->tags[i].name, sizeof s->tags[i].name, "tag_%d", i);
        s->tags[i].v = 700.5 + i;
        s->tags[i].raw = 7005 + i;
        s->tags[i].q = i % 4;
        s->tags[i].age_s = i * 0.25;
    }
    s->nloops = 4;
    for (int i = 0; i < 4; i++) {
        snprintf(s->loops[i].name, sizeof s->loops[i].name, "loop%d", i);
        s->loops[i].mode = i % 3;
        s->loops[i].sp = 740 + i;
        s->loops[i].wsp = 739 + i;
        s->loops[i].pv = 738.5;
        s->loops[i].pv_q = 0;
        s->loops[i].out = 42.5;
        s->loops[i].flags = LF_SAT_HI | LF_OVERRIDE;
    }
    s->loops[1].flags |= LF_BAD_PV;
    s->loops[1].man_in_s = 3.25; /* in a bad PV's hold */
    s->nalarms = CFG_MAX_ALARMS;
    for (int i = 0; i < s->nalarms; i++) {
        snprintf(s->alarms[i].name, sizeof s->alarms[i].name, "alarm_%d", i);
        s->alarms[i].state = 1 + i % 6;
        s->alarms[i].prio = i % 4;
        s->alarms[i].t = 100 + i;
        s->alarms[i].shelved_until = i % 6 == 3 ? 5000 : 0;
        if (i % 6 == 3) {
            snprintf(s->alarms[i].shelved_by, sizeof s->alarms[i].shelved_by, "anna");
            snprintf(s->alarms[i].shelve_reason, sizeof s->alarms[i].shelve_reason,
                     "TC being replaced, back at 14:00");
        }
    }
    s->nperms = SNAP_MAX_PERMS;
    for (int i = 0; i < s->nperms; i++) {
        snprintf(s->perms[i].cmd, sizeof s->perms[i].cmd, "cmd_%d", i);
        s->perms[i].ready = i % 2;
        if (!s->perms[i].ready)
            snprintf(s->perms[i].why, sizeof s->perms[i].why,
                     "Open charging door: firing 78 %% > low-fire limit 30 %%; CO %d ppm", i);
    }
}

static void test_snapshot_round_trip_full(void **state)
{
    (void)state;
    char why[200];
    fill(&a);
    snap_encode(&a, &o);
    assert_false(o.overflow);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_decode(&m, &b), 0);
    assert_int_equal(b.seq, a.seq);
    assert_true(b.t == a.t && b.wall == a.wall);
    assert_int_equal(b.cycles, a.cycles);
    assert_int_equal(b.link, LINK_UP);
    assert_string_equal(b.link_err, a.link_err);
    assert_string_equal(b.phase_why, a.phase_why);
    assert_int_equal(b.phase, PH_PYROLYSIS);
    assert_true(b.overrun && !b.ready && b.flood);
    assert_int_equal(b.ntags, a.ntags);
    for (int i = 0; i < a.ntags; i++) {
        assert_string_equal(b.tags[i].name, a.tags[i].name);
        assert_true(b.tags[i].v == a.tags[i].v);
        assert_int_equal(b.tags[i].q, a.tags[i].q);
    }
    assert_int_equal(b.nloops, 4);
    assert_int_equal(b.loops[3].flags, LF_SAT_HI | LF_OVERRIDE);
    assert_true(b.loops[2].wsp == 741);
    /* the hold's countdown crosses exactly, and only where one runs */
    assert_true(b.loops[1].man_in_s == 3.25);
    assert_true(b.loops[0].man_in_s == 0 && b.loops[2].man_in_s == 0);
    const char *mi = strstr(o.buf, " mi=");
    assert_non_null(mi);
    assert_int_equal(strncmp(mi, " mi=3.25", 8), 0);
    assert_null(strstr(mi + 1, " mi=")); /* sent for the one loop in a hold only */
    assert_int_equal(b.nalarms, a.nalarms);
    assert_true(b.alarms[3].shelved_until == 5000);
    assert_string_equal(b.alarms[3].shelved_by, "anna");
    assert_string_equal(b.alarms[3].shelve_reason, "TC being replaced, back at 14:00");
    assert_string_equal(b.alarms[4].shelve_reason, "");
    assert_int_equal(b.nperms, a.nperms);
    assert_string_equal(b.perms[4].why, a.perms[4].why);
    assert_false(b.perms[4].ready);
}

static void test_snapshot_nan_value_kept_at_zero(void **state)
{
    (void)state;
    char why[200];
    fill(&a);
    a.ntags = 1;
    a.tags[0].v = 0.0 / 0.0;
    snap_encode(&a, &o);
    assert_non_null(strstr(o.buf, "v=nan"));
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_decode(&m, &b), 0);
    assert_true(b.tags[0].v == 0);
}

static void test_snapshot_malformed_refused(void **state)
{
    (void)state;
    char why[200];
    static const char *const bad[] = {
        "snap 1 t=1 link=1 ph=0",                   /* no seq */
        "snap 1 seq=1 t=1 link=1 ph=9",             /* phase out of range */
        "snap 1 seq=1 t=1 link=1 ph=0\ntag x v=1",  /* tag without quality */
        "snap 1 seq=1 t=1 link=1 ph=0\nwidget x",   /* unknown line */
        "snap 1 seq=1 t=1 link=1 ph=0\nloop",       /* no name */
        "snap 1 seq=1 t=abc link=1 ph=0",           /* not a number */
        "hello 1 furnace=x role=viewer",            /* not a snapshot */
        "snap 1 seq=1e15 t=1 link=1 ph=0",          /* found by fuzz_proto: no overflow */
        "snap 1 seq=1 t=1 link=1 ph=0 per=99999999999",
        "snap 1 seq=1 t=1 link=7 ph=0",             /* link state out of range */
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2e24 pvq=0",
        "snap 1 seq=1 t=1 link=1 ph=0\nperm c ok=2",
        /* a hold's countdown: a number in (0, 60] s, else the message is malformed */
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=0",
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=-1",
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=61",
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=nan",
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=4s",
        "snap 1 seq=1 t=1 link=1 ph=0\nloop b mode=2 pvq=2 mi=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(proto_parse(bad[i], strlen(bad[i]), &m, why, sizeof why), 0);
        assert_int_equal(snap_decode(&m, &b), -1);
    }
}

static void test_hello_req_reply(void **state)
{
    (void)state;
    char why[200];
    struct snap_hello h = {.server_pid = 4242, .plc_mode = 1}, h2;
    strcpy(h.furnace, "tcf1");
    strcpy(h.user, "anna");
    strcpy(h.role, "operator");
    strcpy(h.config, "/etc/meltcon/meltcon.ini");
    snap_hello_encode(&h, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_hello_decode(&m, &h2), 0);
    assert_string_equal(h2.user, "anna");
    assert_int_equal(h2.server_pid, 4242);
    assert_int_equal(h2.plc_mode, 1);
    assert_string_equal(h2.config, h.config);
    assert_string_equal(h2.config_sha256, ""); /* none given, none sent */
    assert_null(strstr(o.buf, "config_sha256"));

    /* the config digest travels whole */
    strcpy(h.config_sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    snap_hello_encode(&h, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_hello_decode(&m, &h2), 0);
    assert_string_equal(h2.config_sha256, h.config_sha256);
    assert_string_equal(h2.config, h.config);
    /* an older server's hello (no digest) decodes, with "" for the digest */
    static const char older[] = "hello 1 furnace=tcf1 user=anna role=operator pid=7 mode=0 "
                                "config=/etc/meltcon/meltcon.ini";
    assert_int_equal(proto_parse(older, strlen(older), &m, why, sizeof why), 0);
    memset(&h2, 'x', sizeof h2);
    assert_int_equal(snap_hello_decode(&m, &h2), 0);
    assert_string_equal(h2.config_sha256, "");
    assert_string_equal(h2.furnace, "tcf1");
    /* a digest that is not one makes the hello malformed */
    static const char *const badsha[] = {
        "hello 1 furnace=t role=viewer config_sha256=abc",
        "hello 1 furnace=t role=viewer "
        "config_sha256=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "hello 1 furnace=t role=viewer "
        "config_sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "hello 1 furnace=t role=viewer "
        "config_sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
    };
    for (size_t i = 0; i < sizeof badsha / sizeof badsha[0]; i++) {
        assert_int_equal(proto_parse(badsha[i], strlen(badsha[i]), &m, why, sizeof why), 0);
        assert_int_equal(snap_hello_decode(&m, &h2), -1);
    }

    struct snap_req r = {.id = 9}, r2;
    strcpy(r.verb, "set");
    strcpy(r.target, "bath.sp");
    strcpy(r.value, "745");
    strcpy(r.reason, "alloy additions, +5 K");
    snap_req_encode(&r, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_req_decode(&m, &r2), 0);
    assert_int_equal(r2.id, 9);
    assert_string_equal(r2.reason, r.reason);
    assert_true(r2.t == 0); /* not stamped: no t= sent, read as 0 */
    assert_null(strstr(o.buf, " t="));
    assert_string_equal(r2.expect, ""); /* no base: no expect= sent */
    assert_null(strstr(o.buf, " expect="));
    /* compare-and-set: the base the operator saw goes whole */
    strcpy(r.expect, "740.5");
    snap_req_encode(&r, &o);
    assert_non_null(strstr(o.buf, " expect=740.5"));
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_req_decode(&m, &r2), 0);
    assert_string_equal(r2.expect, "740.5");
    r.expect[0] = 0;
    assert_int_equal(snap_reply_decode(&m, &(struct snap_reply){0}), -1);
    /* a charge's scrap class: sent only when named, read back whole */
    assert_string_equal(r2.scrap, "");
    strcpy(r.scrap, "oily");
    snap_req_encode(&r, &o);
    assert_non_null(strstr(o.buf, " scrap=oily"));
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_req_decode(&m, &r2), 0);
    assert_string_equal(r2.scrap, "oily");
    r.scrap[0] = 0;

    /* when the request was made, to the millisecond */
    r.t = 1795000000.25;
    snap_req_encode(&r, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_req_decode(&m, &r2), 0);
    assert_true(fabs(r2.t - 1795000000.25) < 1e-6);
    /* tolerant: a time that is absent or not one decodes as 0 (the server
     * refuses such a request with a sentence), the rest of the request whole */
    static const char *const badtime[] = {"req 1 id=4 verb=set target=bath.sp value=1",
                                          "req 1 id=4 t= verb=set target=bath.sp value=1",
                                          "req 1 id=4 t=soon verb=set target=bath.sp value=1",
                                          "req 1 id=4 t=-5 verb=set target=bath.sp value=1",
                                          "req 1 id=4 t=nan verb=set target=bath.sp value=1",
                                          "req 1 id=4 t=1e400 verb=set target=bath.sp value=1"};
    for (size_t i = 0; i < sizeof badtime / sizeof badtime[0]; i++) {
        assert_int_equal(proto_parse(badtime[i], strlen(badtime[i]), &m, why, sizeof why), 0);
        assert_int_equal(snap_req_decode(&m, &r2), 0);
        assert_true(r2.t == 0);
        assert_int_equal(r2.id, 4);
        assert_string_equal(r2.target, "bath.sp");
    }

    struct snap_reply y = {.id = 9, .ok = false}, y2;
    strcpy(y.text, "bath.sp: 900 is above the limit 800 degC");
    snap_reply_encode(&y, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_reply_decode(&m, &y2), 0);
    assert_false(y2.ok);
    assert_false(y2.unrecorded);
    assert_string_equal(y2.text, y.text);
    assert_null(strstr(o.buf, "unrec")); /* sent only when set */
    /* carried out but not recorded (a full disk) */
    y.unrecorded = true;
    snap_reply_encode(&y, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_reply_decode(&m, &y2), 0);
    assert_false(y2.ok);
    assert_true(y2.unrecorded);
    static const char bad_unrec[] = "reply 1 id=9 ok=0 unrec=2 text=x";
    assert_int_equal(proto_parse(bad_unrec, strlen(bad_unrec), &m, why, sizeof why), 0);
    assert_int_equal(snap_reply_decode(&m, &y2), -1);

    static const char *const badreq[] = {"req 1 verb=set", "req 1 id=x verb=set", "req 1 id=1",
                                         "req 1 id=1 verb=averyveryverylongverb",
                                         "req 1 id=1 verb=set expect=0123456789012345678901234"
                                         "5678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof badreq / sizeof badreq[0]; i++) {
        assert_int_equal(proto_parse(badreq[i], strlen(badreq[i]), &m, why, sizeof why), 0);
        assert_int_equal(snap_req_decode(&m, &r2), -1);
    }
}

static void test_journal_lines(void **state)
{
    (void)state;
    char why[200];
    const char *lines[] = {"2026-11-29T10:00:00Z anna@pts/1 set bath.sp 740 -> 745 ok",
                           "second line = with equals"};
    snap_journal_encode(lines, 2, &o);
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(m.type, PT_JOURNAL);
    assert_int_equal(m.nlines, 3);
    assert_string_equal(proto_get(&m.line[1], "l"), lines[0]);
    assert_string_equal(proto_get(&m.line[2], "l"), lines[1]);
}

static void test_from_view(void **state)
{
    (void)state;
    static struct core_view v;
    memset(&v, 0, sizeof v);
    memset(&a, 0, sizeof a);
    a.seq = 7; /* the shell's own fields are left alone */
    v.t = 120.5;
    snprintf(v.program, sizeof v.program, "std_6063");
    v.phase = PH_MELT;
    v.t_phase = 42;
    v.overrun = true;
    snprintf(v.phase_why, sizeof v.phase_why, "over time; bath 700 < 745");
    v.ntags = 1;
    snprintf(v.tags[0].name, sizeof v.tags[0].name, "bath_temp");
    v.tags[0].v = 731.5;
    v.tags[0].raw = 7315;
    v.tags[0].q = Q_GOOD;
    v.tags[0].age_s = 0.25;
    v.nloops = 3;
    snprintf(v.loops[0].name, sizeof v.loops[0].name, "roof");
    v.loops[0].status = PID_ST_SAT_HI | PID_ST_I_CLAMP | PID_ST_SP_REDUCED | PID_ST_TRACK;
    v.loops[1].status = PID_ST_SAT_LO | PID_ST_RATE | PID_ST_BAD_PV | PID_ST_SP_RAMP;
    v.loops[2].status =
        PID_ST_OUT_HELD | PID_ST_COMB_CUT | PID_ST_SP_REDUCED | PID_ST_SHED | PID_ST_PRIO_CAP;
    v.loops[1].man_in_s = 7.5;
    v.loops[1].sp = 745;
    v.loops[1].wsp = 700;
    v.nalarms = 1;
    snprintf(v.alarms[0].name, sizeof v.alarms[0].name, "roof_hi");
    v.alarms[0].state = 4;
    v.alarms[0].shelved_until = 900;
    snprintf(v.alarms[0].shelved_by, sizeof v.alarms[0].shelved_by, "eng1");
    snprintf(v.alarms[0].shelve_reason, sizeof v.alarms[0].shelve_reason, "sensor swap");
    v.n_unacked = 3;
    v.n_active = 5;
    v.n_shelved = 1;
    v.flood = true;
    v.alarms_per_10min = 12.5;
    v.nperms = PERM_COUNT - 2;
    for (int i = 0; i < v.nperms; i++) {
        snprintf(v.perms[i].cmd, sizeof v.perms[i].cmd, "c%d", i);
        v.perms[i].ready = i % 2;
        memset(v.perms[i].why, 'w', sizeof v.perms[i].why - 1); /* the longest why passes whole */
    }
    snap_from_view(&v, &a);
    assert_int_equal(a.seq, 7);
    assert_true(a.t == 120.5 && a.t_phase == 42 && a.overrun && !a.ready);
    assert_string_equal(a.program, "std_6063");
    assert_int_equal(a.phase, PH_MELT);
    assert_string_equal(a.phase_why, v.phase_why);
    assert_int_equal(a.ntags, 1);
    assert_string_equal(a.tags[0].name, "bath_temp");
    assert_true(a.tags[0].v == 731.5 && a.tags[0].raw == 7315 && a.tags[0].age_s == 0.25);
    assert_int_equal(a.tags[0].q, Q_GOOD);
    assert_int_equal(a.nloops, 3);
    assert_string_equal(a.loops[0].name, "roof");
    assert_int_equal(a.loops[0].flags, LF_SAT_HI | LF_OVERRIDE | LF_TRACK);
    assert_int_equal(a.loops[1].flags, LF_SAT_LO | LF_RATE | LF_BAD_PV);
    /* the output gap, the O2/CO cut and the bath priority's cap (issue 13) reach the console */
    assert_int_equal(a.loops[2].flags,
                     LF_OUT_HELD | LF_COMB_CUT | LF_OVERRIDE | LF_SHED | LF_PRIO_CAP);
    assert_true(a.loops[1].sp == 745 && a.loops[1].wsp == 700);
    assert_true(a.loops[1].man_in_s == 7.5 && a.loops[0].man_in_s == 0);
    assert_int_equal(a.nalarms, 1);
    assert_string_equal(a.alarms[0].shelved_by, "eng1");
    assert_string_equal(a.alarms[0].shelve_reason, "sensor swap");
    assert_true(a.alarms[0].shelved_until == 900);
    assert_true(a.n_unacked == 3 && a.n_active == 5 && a.n_shelved == 1 && a.flood);
    assert_true(a.alarms_per_10min == 12.5);
    assert_int_equal(a.nperms, PERM_COUNT - 2 < SNAP_MAX_PERMS ? PERM_COUNT - 2 : SNAP_MAX_PERMS);
    assert_string_equal(a.perms[1].cmd, "c1");
    assert_true(a.perms[1].ready && !a.perms[0].ready);
    assert_int_equal(strlen(a.perms[0].why), sizeof v.perms[0].why - 1);
}

/* Every number of a snapshot crosses exactly: a PLC up 11.6 days (clock
 * 1,002,240.25 s), plc_clock 5,002,754, counters past 10 digits, process
 * times with fractions of a second, the wall clock to the microsecond. */
static void test_snapshot_ten_digit_values_exact(void **state)
{
    (void)state;
    char why[200];
    fill(&a);
    a.t = 1002240.25;
    a.wall = 1795000000.123456;
    a.cycles = 4010000123ull;
    a.t_phase = 1002239.75;
    a.tags[0].v = 5002754;
    a.tags[0].raw = 5002754;
    a.tags[1].v = 1002240.1;
    a.tags[2].v = 7453 * 0.1; /* not 745.3: another double, and it must stay that one */
    a.loops[0].sp = 745.5;
    a.loops[0].out = 12.345678901234;
    a.alarms[0].t = 1002240.125;
    a.alarms[3].shelved_until = 1005840.125;
    snap_encode(&a, &o);
    assert_false(o.overflow);
    assert_non_null(strstr(o.buf, " t=1002240.25 "));
    assert_non_null(strstr(o.buf, "tag tag_0 v=5002754 raw=5002754 "));
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_decode(&m, &b), 0);
    assert_memory_equal(&b.t, &a.t, sizeof a.t);
    assert_memory_equal(&b.wall, &a.wall, sizeof a.wall);
    assert_int_equal(b.cycles, a.cycles);
    assert_memory_equal(&b.t_phase, &a.t_phase, sizeof a.t_phase);
    for (int i = 0; i < a.ntags; i++) {
        assert_memory_equal(&b.tags[i].v, &a.tags[i].v, sizeof(double));
        assert_memory_equal(&b.tags[i].raw, &a.tags[i].raw, sizeof(double));
        assert_memory_equal(&b.tags[i].age_s, &a.tags[i].age_s, sizeof(double));
    }
    for (int i = 0; i < a.nloops; i++) {
        assert_memory_equal(&b.loops[i].sp, &a.loops[i].sp, sizeof(double));
        assert_memory_equal(&b.loops[i].out, &a.loops[i].out, sizeof(double));
    }
    for (int i = 0; i < a.nalarms; i++) {
        assert_memory_equal(&b.alarms[i].t, &a.alarms[i].t, sizeof(double));
        assert_memory_equal(&b.alarms[i].shelved_until, &a.alarms[i].shelved_until,
                            sizeof(double));
    }
}

/* The largest snapshot there can be fits one message: every table full,
 * every name and text at its longest and made of bytes that escape to three
 * (a space is %20), every number the longest exact decimal. */
static void fill_text(char *d, size_t n, char c)
{
    memset(d, c, n - 1);
    d[n - 1] = 0;
}

static void test_snapshot_worst_case_fits(void **state)
{
    (void)state;
    char why[200];
    const double num = -2.2250738585072014e-308; /* 24 characters, the most numtext writes */
    memset(&a, 0, sizeof a);
    a.seq = 4294967295u;
    a.t = a.wall = a.late_p50_ms = a.late_p99_ms = a.late_max_ms = num;
    a.rtt_ms = a.last_good_age_s = a.t_phase = a.alarms_per_10min = num;
    a.cycles = a.slow_cycles = 9223372036854775807ull;
    a.period_ms = a.n_unacked = a.n_active = a.n_shelved = 2147483647;
    a.reconnects = a.transactions = a.errors = 4294967295u;
    a.link = LINK_CONNECTING;
    a.phase = PH_COUNT - 1;
    a.wet = true;
    fill_text(a.link_err, sizeof a.link_err, ' ');
    fill_text(a.program, sizeof a.program, ' ');
    fill_text(a.phase_why, sizeof a.phase_why, ' ');
    a.ntags = CFG_MAX_TAGS;
    a.nloops = CFG_MAX_LOOPS;
    a.nalarms = CFG_MAX_ALARMS;
    a.nperms = SNAP_MAX_PERMS;
    for (int i = 0; i < a.ntags; i++) {
        fill_text(a.tags[i].name, CFG_NAME_MAX, 'x');
        a.tags[i].v = a.tags[i].raw = a.tags[i].age_s = num;
        a.tags[i].q = 3;
    }
    for (int i = 0; i < a.nloops; i++) {
        fill_text(a.loops[i].name, CFG_NAME_MAX, 'x');
        a.loops[i].sp = a.loops[i].wsp = a.loops[i].pv = a.loops[i].out = num;
        a.loops[i].kp = a.loops[i].ti_s = a.loops[i].td_s = num;
        a.loops[i].mode = 2;
        a.loops[i].pv_q = 3;
        a.loops[i].flags = 4294967295u;
        a.loops[i].man_in_s = -num; /* in range (0, 60], and as long as a number gets */
    }
    for (int i = 0; i < a.nalarms; i++) {
        fill_text(a.alarms[i].name, CFG_NAME_MAX, 'x');
        a.alarms[i].state = 255;
        a.alarms[i].prio = PRIO_CRITICAL;
        a.alarms[i].t = a.alarms[i].shelved_until = num;
        fill_text(a.alarms[i].shelved_by, CFG_NAME_MAX, ' ');
        fill_text(a.alarms[i].shelve_reason, sizeof a.alarms[i].shelve_reason, ' ');
    }
    for (int i = 0; i < a.nperms; i++) {
        fill_text(a.perms[i].cmd, CFG_NAME_MAX, 'x');
        a.perms[i].ready = true;
        fill_text(a.perms[i].why, SNAP_WHY_MAX, ' ');
    }
    snap_encode(&a, &o);
    print_message("the largest snapshot: %zu bytes of %d\n", o.len, PROTO_MAX_MSG);
    assert_false(o.overflow);
    assert_true(o.len > 100000); /* it is the worst case: PROTO_MAX_MSG's comment says 108,000 */
    assert_int_equal(proto_parse(o.buf, o.len, &m, why, sizeof why), 0);
    assert_int_equal(snap_decode(&m, &b), 0);
    assert_int_equal(b.nperms, SNAP_MAX_PERMS);
    assert_string_equal(b.perms[SNAP_MAX_PERMS - 1].why, a.perms[SNAP_MAX_PERMS - 1].why);
    assert_memory_equal(&b.tags[CFG_MAX_TAGS - 1].age_s, &num, sizeof num);
    assert_true(b.loops[CFG_MAX_LOOPS - 1].man_in_s == -num);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_round_trip_full),
        cmocka_unit_test(test_snapshot_nan_value_kept_at_zero),
        cmocka_unit_test(test_snapshot_ten_digit_values_exact),
        cmocka_unit_test(test_snapshot_worst_case_fits),
        cmocka_unit_test(test_snapshot_malformed_refused),
        cmocka_unit_test(test_hello_req_reply),
        cmocka_unit_test(test_journal_lines),
        cmocka_unit_test(test_from_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
