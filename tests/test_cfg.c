/* test_cfg — the loader: the shipped file loads; every kind of mistake is
 * reported with its section, key, value and line, and changes nothing; the
 * digest is the SHA-256 of the bytes loaded, and the path is absolute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_schema.h"
#include "sim_scenario.h"

static const char base[] = "[furnace]\n"
                           "name = t1\n"
                           "[plc]\n"
                           "port = 1502\n"
                           "[cycle]\n"
                           "slow_factor = 1.5\n"
                           "[tag.temp]\n"
                           "addr = ir:0\n"
                           "type = int16\n"
                           "scale = 0.1\n"
                           "range = 0, 1400\n"
                           "fault = 32767\n"
                           "[tag.flag]\n"
                           "addr = di:0\n"
                           "type = bool\n"
                           "[tag.out]\n"
                           "addr = hr:0\n"
                           "type = uint16\n"
                           "scale = 0.1\n"
                           "range = 0, 100\n"
                           "writable = yes\n"
                           "[tag.big]\n"
                           "addr = ir:10\n"
                           "type = uint32\n"
                           "[loop.l1]\n"
                           "pv = temp\n"
                           "out = out\n"
                           "kp = 1\n"
                           "sp = 700\n"
                           "sp_lo = 600\n"
                           "sp_hi = 800\n"
                           "[alarm.a1]\n"
                           "kind = hi\n"
                           "tag = temp\n"
                           "limit = 1000\n"
                           "priority = high\n"
                           "message = hot\n"
                           "[program.p1]\n"
                           "bath_sp = 740\n"
                           "tap_lo = 730\n"
                           "tap_hi = 750\n";

/* Apply a patch to the base text: replace the first `find` by `repl`, or
 * append `repl` when find is NULL, or prepend when find is "^". */
static char *patched(const char *find, const char *repl)
{
    size_t n = sizeof base + strlen(repl) + 16;
    char *s = malloc(n);
    assert_non_null(s);
    if (!find) {
        snprintf(s, n, "%s%s", base, repl);
    } else if (!strcmp(find, "^")) {
        snprintf(s, n, "%s%s", repl, base);
    } else {
        const char *p = strstr(base, find);
        assert_non_null(p);
        snprintf(s, n, "%.*s%s%s", (int)(p - base), base, repl, p + strlen(find));
    }
    return s;
}

struct bad_case {
    const char *find, *repl;
    const char *section, *key; /* the error must name these ("" = none) */
    const char *says;          /* and contain this */
};

static const struct bad_case bad_cases[] = {
    /* syntax */
    {NULL, "[tag.x]\nwhat is this\n", "tag.x", "", "expected KEY = VALUE"},
    {"^", "port = 1\n", "", "port", "outside any section"},
    {NULL, "[tag.Bad-Name]\naddr = ir:50\ntype = int16\n", "tag.bad-name", "", "bad tag name"},
    {NULL, "[tag.x\naddr = ir:50\n", "", "", "section header alone"},
    {"[plc]\nport = 1502\n", "[plc]\nport = 1502\nport = 1503\n", "plc", "port",
     "duplicate key; it was already set on line 4"},
    {NULL, "[tag.temp]\nunit = K\n", "tag.temp", "", "duplicate section"},
    /* values iniparser would read otherwise than written (config/ini_value.h) */
    {"message = hot", "message = hot; very hot", "alarm.a1", "message",
     "iniparser would read only \"hot\": ';' and '#' start a comment, even inside a value; if "
     "they belong to the value, quote it: message = \"hot; very hot\""},
    {"message = hot", "message = Pump #2 hot", "alarm.a1", "message",
     "quote it: message = \"Pump #2 hot\""},
    {"port = 1502", "port = 1502 ; the Modbus port", "plc", "port",
     "else put the comment on a line of its own"},
    {"scale = 0.1\nrange = 0, 1400", "scale = 0.1#K\nrange = 0, 1400", "tag.temp", "scale",
     "iniparser would read only \"0.1\""},
    {"message = hot", "message = \"hot; very hot", "alarm.a1", "message",
     "the opening quote has no closing quote"},
    {"message = hot", "message = \"hot\" metal", "alarm.a1", "message",
     "iniparser would read only \"hot\" and drop what follows the closing quote"},
    /* unknown names */
    {"[furnace]", "[furnce]", "furnce", "", "did you mean \"furnace\""},
    {"port = 1502", "prot = 1502", "plc", "prot", "did you mean \"port\""},
    {"[tag.temp]", "[tags.temp]", "tags.temp", "", "did you mean \"tag.temp\""},
    {NULL, "[server]\nmode = sytem\n", "server", "mode", "did you mean \"system\""},
    /* numbers */
    {"port = 1502", "port = 12abc", "plc", "port", "not a whole decimal number"},
    {"port = 1502", "port = 70000", "plc", "port", "out of range: expected a whole number from 1 to 65535"},
    {"port = 1502", "port =", "plc", "port", "empty"},
    {"port = 1502", "port = 0x5de", "plc", "port", "not a whole decimal number"},
    {"slow_factor = 1.5", "slow_factor = nan", "cycle", "slow_factor", "not a finite number"},
    {"slow_factor = 1.5", "slow_factor = 1e999", "cycle", "slow_factor", "too large"},
    {"slow_factor = 1.5", "slow_factor = inf", "cycle", "slow_factor", "not a finite number"},
    {"slow_factor = 1.5", "slow_factor = 0.5", "cycle", "slow_factor", "out of range"},
    {"kp = 1\n", "kp = 1,5\n", "loop.l1", "kp", "not a number"},
    /* required */
    {"name = t1\n", "", "furnace", "name", "missing required key"},
    {"type = uint32\n", "", "tag.big", "type", "missing required key"},
    {"kp = 1\n", "", "loop.l1", "kp", "missing required key"},
    /* tag map */
    {"addr = ir:0", "addr = ir:7x", "tag.temp", "addr", "expected TABLE:ADDRESS"},
    {"addr = ir:0", "addr = xr:0", "tag.temp", "addr", "expected TABLE:ADDRESS"},
    {"addr = ir:0", "addr = ir:70000", "tag.temp", "addr", "expected TABLE:ADDRESS"},
    {NULL, "[tag.big2]\naddr = ir:11\ntype = int16\n", "tag.big2", "addr", "overlaps [tag.big]"},
    {NULL, "[tag.last]\naddr = hr:65535\ntype = float32\n", "tag.last", "addr",
     "needs two registers"},
    {"addr = ir:10\ntype = uint32\n", "addr = ir:10\ntype = uint32\nwritable = yes\n", "tag.big",
     "writable", "read-only"},
    {NULL, "[tag.b]\naddr = ir:40\ntype = bool\n", "tag.b", "type", "bool tag lives in di or co"},
    {NULL, "[tag.d]\naddr = di:5\ntype = uint16\n", "tag.d", "type", "single bits"},
    {"scale = 0.1\nrange = 0, 1400", "word_order = CDAB\nscale = 0.1\nrange = 0, 1400", "tag.temp",
     "word_order", "32-bit types only"},
    {"type = uint32\n", "type = uint32\nword_order = ABDC\n", "tag.big", "word_order",
     "expected one of ABCD, CDAB, BADC, DCBA"},
    {"type = int16", "type = int8", "tag.temp", "type", "expected one of int16"},
    {"range = 0, 1400", "range = 1400, 0", "tag.temp", "range", "LO must be below HI"},
    {"range = 0, 1400", "range = 1400", "tag.temp", "range", "expected LO, HI"},
    {"scale = 0.1\nrange = 0, 1400", "scale = 0\nrange = 0, 1400", "tag.temp", "scale",
     "must not be 0"},
    {"type = uint32\n", "type = uint32\nraw_range = 0, 4000\n", "tag.big", "raw_range",
     "go together"},
    {"scale = 0.1\nrange = 0, 1400", "scale = 0.1\nraw_range = 0, 100\neng_range = 0, 10",
     "tag.temp", "scale", "not both"},
    {"fault = 32767", "fault = 70000", "tag.temp", "fault", "must fit int16"},
    {"writable = yes", "writable = maybe", "tag.out", "writable", "expected yes or no"},
    {NULL, "[tag.d2]\naddr = di:1\ntype = bool\nscale = 2\n", "tag.d2", "type",
     "no scaling or range"},
    /* scaling that makes a tag unreadable or unwritable (the base's [tag.out]:
     * hr:0 uint16, scale 0.1, range 0..100, writable; [tag.temp]: int16,
     * scale 0.1, range 0..1400) */
    {"scale = 0.1\nrange = 0, 100\n", "scale = 1e-320\nrange = 0, 100\n", "tag.out", "scale",
     "the scale 9.99989e-321 is below the smallest normal number (2.22507e-308): every reading "
     "would lose its precision and no value could be written, since uint16 holds 0..65535; for "
     "its range 0..100, a scale of at least 0.001526 would be needed"},
    {"scale = 0.1\nrange = 0, 100\n", "scale = 1e-5\nrange = 0, 100\n", "tag.out", "scale",
     "writable, but with scale 1e-05 and offset 0 its range 0..100 needs raw values 0..1e+07, and "
     "uint16 holds 0..65535: a scale of at least 0.001526 (or a narrower range) would be "
     "needed"},
    {"scale = 0.1\nrange = 0, 100\n", "scale = 0.1\noffset = 50\nrange = 0, 100\n", "tag.out",
     "scale", "needs raw values -500..500, and uint16 holds 0..65535: uint16 holds no negative "
     "values: the offset or the type must change"},
    {"scale = 0.1\nrange = 0, 100\n", "scale = -0.001\nrange = -100, 0\n", "tag.out", "scale",
     "needs raw values 0..100000, and uint16 holds 0..65535: a scale of at least -0.001526"},
    {"scale = 0.1\nrange = 0, 100\n", "scale = 1000\nrange = 0, 100\n", "tag.out", "scale",
     "writable, but its range 0..100 spans less than one raw step of 1000: every value would be "
     "written as the same one or two numbers; a scale of at most 100 would be needed"},
    {"scale = 0.1\nrange = 0, 100\n", "range = 0, 100000\n", "tag.out", "range",
     "its range 0..100000 needs raw values 0..100000, and uint16 holds 0..65535"},
    {"scale = 0.1\nrange = 0, 1400", "scale = 0.1\nrange = 4000, 5000", "tag.temp", "scale",
     "every reading would be BAD: int16 with scale 0.1 and offset 0 reads -3276.8..3276.7 in "
     "steps of the scale, and no raw value decodes within the range 4000..5000"},
    {"scale = 0.1\nrange = 0, 1400", "scale = 1\nrange = 0.2, 0.7", "tag.temp", "scale",
     "every reading would be BAD: int16 with scale 1 and offset 0 reads -32768..32767 in steps"},
    {"type = uint32\n", "type = uint32\nraw_range = 0, 1e-300\neng_range = 0, 1e12\n",
     "tag.big", "raw_range",
     "raw_range 0..1e-300 onto eng_range 0..1e+12 gives a scale too large to be a number"},
    {"type = uint32\n", "type = uint32\nraw_range = 0, 1e12\neng_range = 0, 1e-300\n",
     "tag.big", "raw_range", "below the smallest normal number"},
    {NULL, "[tag.w]\naddr = hr:30\ntype = uint16\nraw_range = 0, 100000\neng_range = 0, 100\n"
     "writable = yes\n", "tag.w", "raw_range",
     "its eng_range 0..100 needs raw values 0..100000, and uint16 holds 0..65535"},
    {NULL, "[tag.f]\naddr = hr:40\ntype = float32\nscale = 1e-40\nrange = 0, 100\n"
     "writable = yes\n", "tag.f", "scale",
     "needs raw values 0..1e+42, and float32 holds -3.4e+38..3.4e+38"},
    {"kp = 1\n", "kp = 1\nout_hi = 120\n", "loop.l1", "out_hi",
     "[tag.out] takes 0..100 (its range): the loop's output must stay within it"},
    {"scale = 0.1\nrange = 0, 100\n", "scale = 0.001\n", "loop.l1", "out_hi",
     "[tag.out] (uint16, scale 0.001, offset 0) takes 0..65.535: the loop's output must stay "
     "within it"},
    /* loops */
    {"pv = temp", "pv = tmp", "loop.l1", "pv", "no [tag.tmp] in this file (did you mean \"temp\"?)"},
    {"out = out", "out = temp", "loop.l1", "out", "not a writable holding register"},
    {"sp = 700", "sp = 900", "loop.l1", "sp", "within sp_lo..sp_hi"},
    {"sp_hi = 800", "sp_hi = 500", "loop.l1", "sp_hi", "above sp_lo"},
    {"kp = 1\n", "kp = 1\nmode = CAS\n", "loop.l1", "mode", "CAS needs a master"},
    {"kp = 1\n", "kp = 1\ncascade_to = l9\n", "loop.l1", "cascade_to", "no other [loop.l9]"},
    /* loops: output gap and combustion override */
    {"kp = 1\n", "kp = 1\nout_deadband = -1\n", "loop.l1", "out_deadband", "out of range"},
    {"kp = 1\n", "kp = 1\npv_bad_hold_s = -1\n", "loop.l1", "pv_bad_hold_s", "out of range"},
    {"kp = 1\n", "kp = 1\npv_bad_hold_s = 61\n", "loop.l1", "pv_bad_hold_s", "out of range"},
    {"kp = 1\n", "kp = 1\npv_bad_hold_s = 2 s\n", "loop.l1", "pv_bad_hold_s", "a number"},
    {"kind = hi", "kind = override\nloop = l1", "alarm.a1", "tag", "an override alarm has no source tag"},
    {NULL, "[alarm.ov]\nkind = override\nlimit = 40\npriority = low\nmessage = m\n", "alarm.ov",
     "loop", "name the loop"},
    {NULL, "[alarm.ov]\nkind = override\nloop = l9\nlimit = 40\npriority = low\nmessage = m\n",
     "alarm.ov", "loop", "no [loop.l9]"},
    {NULL, "[alarm.ov]\nkind = override\nloop = l1\nlimit = 0\npriority = low\nmessage = m\n",
     "alarm.ov", "limit", "must be above 0"},
    {"kp = 1\n", "kp = 1\npv2_weight = 0.3\n", "loop.l1", "pv2_weight", "needs a pv2 tag"},
    {"kp = 1\n", "kp = 1\nsplit_max = 5\n", "loop.l1", "split_max", "needs a pv2 tag"},
    {"kp = 1\n", "kp = 1\nprio_gain = 5\n", "loop.l1", "prio_gain", "needs a prio_loop"},
    {"kp = 1\n", "kp = 1\nprio_loop = nope\n", "loop.l1", "prio_loop", "no other [loop.nope]"},
    {"kp = 1\n", "kp = 1\nd_band_per_min = -1\n", "loop.l1", "d_band_per_min", "out of range"},
    {"kp = 1\n", "kp = 1\npv2 = temp\npv2_weight = 1.5\n", "loop.l1", "pv2_weight", "out of range"},
    {"kp = 1\n", "kp = 1\npv2 = tmp2\n", "loop.l1", "pv2", "no [tag.tmp2] in this file"},
    {"kp = 1\n", "kp = 1\nff_charge_tau_s = 0\n", "loop.l1", "ff_charge_tau_s", "out of range"},
    {"kp = 1\n", "kp = 1\nff_charge_per_t = -1\n", "loop.l1", "ff_charge_per_t", "out of range"},
    {"kp = 1\n", "kp = 1\noverride_max_above_pv = -5\n", "loop.l1", "override_max_above_pv",
     "out of range"},
    {"kp = 1\n", "kp = 1\no2_pv = o2\n", "loop.l1", "o2_pv", "no [tag.o2] in this file"},
    {"kp = 1\n", "kp = 1\no2_gain = 100\n", "loop.l1", "o2_gain", "needs an o2_pv tag"},
    {"kp = 1\n", "kp = 1\no2_pv = temp\no2_limit = 25\n", "loop.l1", "o2_limit", "out of range"},
    {"kp = 1\n", "kp = 1\nco_gain = 0.1\n", "loop.l1", "co_gain", "needs a co_pv tag"},
    {"kp = 1\n", "kp = 1\nco_pv = temp\nco_gain = 11\n", "loop.l1", "co_gain", "out of range"},
    {"kp = 1\n", "kp = 1\nco_flow_pv = temp\n", "loop.l1", "co_flow_pv", "give a co_pv tag"},
    {"kp = 1\n", "kp = 1\nco_pv = temp\nco_flow_pv = fan\n", "loop.l1", "co_flow_pv",
     "no [tag.fan] in this file"},
    {"kp = 1\n", "kp = 1\nco_pv = temp\nco_flow_min = 1.5\n", "loop.l1", "co_flow_min",
     "out of range"},
    {"kp = 1\n", "kp = 1\ncomb_cap_gain = 1\n", "loop.l1", "comb_cap_gain",
     "needs an o2_pv or co_pv tag"},
    {"kp = 1\n", "kp = 1\nco_pv = temp\ncomb_release_per_min = x\n", "loop.l1",
     "comb_release_per_min", "not a number"},
    /* loops: high-limit override (the furnace pressure on the firing) */
    {"kp = 1\n", "kp = 1\nhicap_gain = 30\n", "loop.l1", "hicap_gain", "needs a hicap_pv tag"},
    {"kp = 1\n", "kp = 1\nhicap_pv = press\n", "loop.l1", "hicap_pv",
     "no [tag.press] in this file"},
    {"kp = 1\n", "kp = 1\nhicap_pv = temp\nhicap_gain = -3\n", "loop.l1", "hicap_gain",
     "out of range"},
    {"kp = 1\n", "kp = 1\nhicap_pv = temp\nhicap_start = 26 Pa\n", "loop.l1", "hicap_start",
     "not a number"},
    {"kp = 1\n", "kp = 1\nhicap_pv = temp\nhicap_release_per_min = -1\n", "loop.l1",
     "hicap_release_per_min", "out of range"},
    /* alarms */
    {"kind = hi", "kind = hihi", "alarm.a1", "kind", "expected one of hi, lo"},
    {"kind = hi", "kind = on", "alarm.a1", "kind", "need a bool tag"},
    {"kind = hi\ntag = temp", "kind = link\ntag = temp", "alarm.a1", "tag", "no source tag"},
    {"priority = high", "priority = urgent", "alarm.a1", "priority", "expected one of low"},
    /* foreign_master guards the outputs: it latches, raises at once, never hides */
#define FM "[alarm.fm]\nkind = foreign_master\npriority = critical\nmessage = m\n"
    {NULL, FM, "alarm.fm", "latching", "must latch"},
    {NULL, FM "latching = yes\non_delay_s = 2\n", "alarm.fm", "on_delay_s", "no on-delay"},
    {NULL, FM "latching = yes\nsuppress_phases = CHARGE\n", "alarm.fm", "suppress_phases",
     "never suppressed"},
    {NULL, FM "latching = yes\ntag = temp\n", "alarm.fm", "tag", "a foreign_master alarm has no"},
    {NULL, FM "latching = yes\n[alarm.fm2]\nkind = foreign_master\npriority = high\n"
           "latching = yes\nmessage = m2\n", "alarm.fm2", "kind", "only one foreign_master"},
#undef FM
    {"message = hot", "message = hot\nsuppress_phases = HOLD, BOIL", "alarm.a1",
     "suppress_phases", "\"BOIL\" is not a phase"},
    {"message = hot\n", "", "alarm.a1", "message", "missing required key"},
    /* the alarm philosophy's hard rules (config/cfg_alarms.c) */
    {"priority = high", "priority = critical", "alarm.a1", "latching", "a critical alarm must latch"},
    {"priority = high", "priority = critical\nlatching = yes\nmax_shelve_min = 30", "alarm.a1",
     "max_shelve_min", "a critical alarm is never shelved"},
    {"priority = high", "priority = critical\nlatching = yes\nsuppress_phases = CHARGE", "alarm.a1",
     "suppress_phases", "a critical alarm is never suppressed"},
    {"priority = high", "priority = high\nmax_shelve_min = 481", "alarm.a1", "max_shelve_min",
     "a high alarm is shelved at most 480 min"},
    {"priority = high", "priority = high\nsuppresses = a9", "alarm.a1", "suppresses",
     "no [alarm.a9] in this file"},
    {"priority = high", "priority = high\nsuppresses = a1", "alarm.a1", "suppresses",
     "its own consequence"},
    {NULL, "[alarm.a2]\nkind = on\ntag = flag\npriority = critical\nlatching = yes\nmessage = m\n"
           "suppresses = a1\n[alarm.a3]\nkind = lo\ntag = temp\npriority = low\nmessage = m\n"
           "suppresses = a2\n", "alarm.a3", "suppresses", "a critical alarm is never suppressed"},
    {"priority = high", "priority = high\ngroup = g\ngroup_window_s = 30\n[alarm.a4]\nkind = lo\n"
     "tag = temp\npriority = low\nmessage = m\ngroup = g\n", "alarm.a4", "group_window_s",
     "one group, one window"},
    {"kind = hi", "kind = dev", "alarm.a1", "loop", "name the loop"},
    {"kind = hi", "kind = dev\nloop = l9", "alarm.a1", "loop", "no [loop.l9]"},
    {"kind = hi", "kind = hi\nloop = l1", "alarm.a1", "loop", "only a dev alarm takes a loop"},
    {"kind = hi", "kind = diff", "alarm.a1", "tag2", "needs a second tag"},
    {"kind = hi", "kind = diff\ntag2 = temp", "alarm.a1", "tag2", "two different tags"},
    {"kind = hi", "kind = diff\ntag2 = nosuch", "alarm.a1", "tag2", "no [tag.nosuch]"},
    {"kind = hi", "kind = hi\ntag2 = temp", "alarm.a1", "tag2", "only diff and and"},
    {"kind = hi", "kind = and\ntag2 = temp\nwhen2 = lo", "alarm.a1", "when",
     "each condition hi or lo"},
    {"kind = hi", "kind = hi\nwhen = lo", "alarm.a1", "when", "only diff and and"},
    /* state-based limits: alt_limit and alt_phases together, where a limit exists */
    {"kind = hi", "kind = hi\nalt_limit = 90", "alarm.a1", "alt_limit", "needs alt_phases"},
    {"kind = hi", "kind = hi\nalt_phases = CHARGE", "alarm.a1", "alt_phases", "needs alt_limit"},
    {"kind = hi", "kind = hi\nalt_limit = 90\nalt_phases = CHARGE, STEW", "alarm.a1",
     "alt_phases", "\"STEW\" is not a phase"},
    {"kind = hi", "kind = hi\nalt_limit = hot\nalt_phases = CHARGE", "alarm.a1", "alt_limit",
     "number"},
    {"kind = hi", "kind = on\nalt_limit = 1\nalt_phases = CHARGE", "alarm.a1", "alt_limit",
     "only hi, lo, dev, diff, and and override alarms"},
    {"kind = hi", "kind = hi\nphases = HOLD\nalt_limit = 90\nalt_phases = CHARGE", "alarm.a1",
     "alt_phases", "must be one of phases"},
    {"kind = hi", "kind = diff\ntag2 = big\nalt_limit = 0\nalt_phases = CHARGE", "alarm.a1",
     "alt_limit", "above 0"},
    /* programs and the rest */
    {"tap_hi = 750", "tap_hi = 720", "program.p1", "tap_hi", "above tap_lo"},
    /* scrap classes and the organics limit of a charge */
/* a second loop that gives way to l1 */
#define PRIO_LOOP                                                                               \
    "[tag.out2]\naddr = hr:1\ntype = uint16\nscale = 0.1\nrange = 0, 100\nwritable = yes\n"     \
    "[loop.l2]\npv = temp\nout = out2\nkp = 1\nsp = 700\nsp_lo = 600\nsp_hi = 800\n"             \
    "prio_loop = l1\nprio_band = 3\nprio_gain = 20\n"
#define SCRAP "[limits]\nmax_organics_kg = 200\ndefault_scrap = mixed\n[scrap.mixed]\norganics_pct = 3\n"
    {NULL, SCRAP "[scrap.oily]\norganics_pct = 110\n", "scrap.oily", "organics_pct",
     "out of range"},
    {NULL, SCRAP "[scrap.oily]\norganics_pct = ten\n", "scrap.oily", "organics_pct",
     "not a number"},
    {NULL, SCRAP "[scrap.oily]\ndescription = swarf\n", "scrap.oily", "organics_pct",
     "missing required key"},
    {NULL, SCRAP "[scrap.oily]\norganics_pct = 10\norganic_pct = 10\n", "scrap.oily",
     "organic_pct", "unknown key"},
    {NULL, SCRAP "[scrap.oily-swarf]\norganics_pct = 10\n", "scrap.oily-swarf", "", "bad scrap name"},
    {NULL, "[limits]\ndefault_scrap = oily\n[scrap.mixed]\norganics_pct = 3\n", "limits",
     "default_scrap", "no [scrap.oily] in this file"},
    {NULL, "[limits]\nmax_organics_kg = 200\n[scrap.mixed]\norganics_pct = 3\n", "limits",
     "default_scrap", "missing: with [scrap.*] classes, name the class"},
    {NULL, "[limits]\nmax_organics_kg = 200\n", "limits", "max_organics_kg",
     "no [scrap.NAME] classes"},
    {NULL, "[limits]\nmax_organics_kg = -1\n", "limits", "max_organics_kg", "out of range"},
    {NULL, "[limits]\nmax_organics_kg = 200kg\ndefault_scrap = mixed\n[scrap.mixed]\n"
     "organics_pct = 3\n", "limits", "max_organics_kg", "not a number"},
    /* the bath priority by scrap class: a yes/no, asked for only where a loop gives it, and
     * given (with classes) only where a class asks */
    {NULL, SCRAP "[scrap.clean]\norganics_pct = 0\nbath_priority = maybe\n", "scrap.clean",
     "bath_priority", "expected yes or no"},
    {NULL, SCRAP "[scrap.clean]\norganics_pct = 0\nbath_priority = yes\n", "scrap.clean",
     "bath_priority", "asks for the bath priority, but no [loop.NAME] gives it"},
    {NULL, SCRAP PRIO_LOOP, "loop.l2", "prio_gain",
     "acts only while the last charge's class has bath_priority = yes, and none has"},
#undef SCRAP
    {"name = t1\n", "name = t1\nprogram = nosuch\n", "furnace", "program", "no [program.nosuch]"},
    {"name = t1\n", "name = t1\nheel_t = 70\n", "furnace", "heel_t", "smaller than the capacity"},
    {"name = t1\n", "name = Tank 1\n", "furnace", "name", "lower-case letters"},
    {"port = 1502\n", "port = 1502\nreconnect_min_ms = 9000\n", "plc", "reconnect_max_ms",
     "at least reconnect_min_ms"},
    {"port = 1502\n", "port = 1502\nhost = plc1.plant\n", "plc", "host",
     "expected an IPv4 address"},
    {"port = 1502\n", "port = 1502\nhost = 10.0.0.300\n", "plc", "host",
     "expected an IPv4 address"},
    {"[cycle]", "[sim]\nbind = localhost\n[cycle]", "sim", "bind", "expected an IPv4 address"},
    /* the PLC's time: one read and one write a cycle; a full round inside the watchdog */
    {"port = 1502\n", "port = 1502\nresponse_timeout_ms = 1000\n", "plc", "response_timeout_ms",
     "2 x 1000 ms must be less than [cycle] period_ms = 250 ms"},
    {"slow_factor = 1.5\n", "slow_factor = 1.5\nperiod_ms = 200\n", "plc",
     "response_timeout_ms", "2 x 100 ms must be less than [cycle] period_ms = 200 ms"},
    {"port = 1502\n", "port = 1502\nresponse_timeout_ms = 120\n[sim]\nwatchdog_s = 0.5\n", "plc",
     "response_timeout_ms", "takes 5 requests (4 reads, 1 writes); at response_timeout_ms = 120 "
     "ms that is 600 ms, which must be less than the PLC watchdog ([sim] watchdog_s = 0.5 s)"},
    {"[cycle]", "[sim]\nwatchdog_s = 0.5\n[cycle]", "plc", "response_timeout_ms",
     "that is 500 ms, which must be less than the PLC watchdog ([sim] watchdog_s = 0.5 s)"},
    {"slow_factor = 1.5\n", "slow_factor = 1.5\nplc_io_pct = 95\n", "cycle", "plc_io_pct",
     "out of range"},
    {"port = 1502\n", "port = 1502\nrefused_cycles = 0\n", "plc", "refused_cycles",
     "out of range"},
    {"kind = hi\ntag = temp", "kind = overrun\ntag = temp", "alarm.a1", "tag",
     "an overrun alarm has no source tag"},
    {"kind = hi\ntag = temp", "kind = refused\ntag = temp", "alarm.a1", "tag",
     "a refused alarm has no source tag"},
    {"[cycle]", "[sim]\ntc_lag_bath_hc_s = 400\n[cycle]", "sim", "tc_lag_bath_hc_s", "300"},
    {"[cycle]", "[sim]\ntc_lag_roof_s = 8s\n[cycle]", "sim", "tc_lag_roof_s", "number"},
    /* burner standby: strict, and below low fire ([furnace] low_fire_pct, 10 by default) */
    {"[cycle]", "[sim]\nstandby_below_pct = 10\n[cycle]", "sim", "standby_below_pct",
     "must be below [furnace] low_fire_pct (10)"},
    {"name = t1\n", "name = t1\nlow_fire_pct = 4\n[sim]\nstandby_below_pct = 5\n", "sim",
     "standby_below_pct", "must be below [furnace] low_fire_pct (4)"},
    {"[cycle]", "[sim]\nstandby_below_pct = 150\n[cycle]", "sim", "standby_below_pct", "100"},
    {"[cycle]", "[sim]\nstandby_below_pct = five\n[cycle]", "sim", "standby_below_pct",
     "number"},
    {"[cycle]", "[sim]\nstandby_delay_s = 0\n[cycle]", "sim", "standby_delay_s", "3600"},
    {"[cycle]", "[sim]\nstandby_min_on_s = 10min\n[cycle]", "sim", "standby_min_on_s",
     "number"},
    {"[cycle]", "[sim]\nstandby_min_off_s = -5\n[cycle]", "sim", "standby_min_off_s", "7200"},
    {"name = t1\n",
     "name = t1\ndescription = "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxx\n",
     "furnace", "description", "too long"},
};

static bool has_error(const struct cfg_errors *e, const struct bad_case *c)
{
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->e[i].section, c->section) && !strcmp(e->e[i].key, c->key) &&
            strstr(e->e[i].text, c->says))
            return true;
    return false;
}

static void test_base_loads(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    int rc = cfg_load_text("base.ini", base, strlen(base), &c, &e);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_int_equal(c.ntags, 4);
    assert_int_equal(c.nloops, 1);
    assert_int_equal(c.nalarms, 1);
    assert_int_equal(c.nprograms, 1);
    assert_string_equal(c.furnace.program, "p1"); /* first program when none named */
    assert_int_equal(c.plc.response_timeout_ms, 100); /* default */
    assert_string_equal(c.plc.host, "127.0.0.1");
    const struct cfg_tag *t = cfg_tag_find(&c, "temp");
    assert_non_null(t);
    assert_int_equal(t->table, TAG_IR);
    assert_true(t->has_fault && t->fault == 32767);
    assert_true(t->has_range && t->range_hi == 1400);
    assert_int_equal(cfg_tag_index(&c, "nosuch"), -1);
}

/* The shipped file's recipe: its classes, the limit and the default, and the largest
 * charge of each class they allow (control/core/perm.h) as config/meltcon.ini says. */
static void test_scrap_classes_load(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    static const char extra[] = "[limits]\nmax_organics_kg = 150\ndefault_scrap = mixed\n"
                                "[scrap.clean]\norganics_pct = 0\n"
                                "[scrap.mixed]\ndescription = usual\norganics_pct = 3\n"
                                "[scrap.oily]\norganics_pct = 10\n";
    char *text = patched(NULL, extra);
    int rc = cfg_load_text("scrap.ini", text, strlen(text), &c, &e);
    free(text);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_int_equal(c.nscrap, 3);
    assert_float_equal(c.limits.max_organics_kg, 150, 0);
    assert_string_equal(c.limits.default_scrap, "mixed");
    const struct cfg_scrap *s = cfg_scrap_find(&c, "mixed");
    assert_non_null(s);
    assert_string_equal(s->description, "usual");
    assert_float_equal(s->organics_pct, 3, 0);
    assert_float_equal(cfg_scrap_find(&c, "oily")->organics_pct, 10, 0);
    assert_null(cfg_scrap_find(&c, "painted"));
    assert_null(cfg_scrap_find(&c, NULL));
    assert_false(cfg_scrap_find(&c, "mixed")->bath_priority); /* no by default */
    /* a class that asks for the bath priority, with a loop that gives it */
    char *prio = patched(NULL, "[limits]\ndefault_scrap = mixed\n"
                               "[scrap.clean]\norganics_pct = 0\nbath_priority = yes\n"
                               "[scrap.mixed]\norganics_pct = 3\nbath_priority = no\n"
                               PRIO_LOOP);
    rc = cfg_load_text("prio.ini", prio, strlen(prio), &c, &e);
    free(prio);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_true(cfg_scrap_find(&c, "clean")->bath_priority);
    assert_false(cfg_scrap_find(&c, "mixed")->bath_priority);
    /* without classes a loop gives it on every charge, as before there were classes */
    prio = patched(NULL, PRIO_LOOP);
    rc = cfg_load_text("prio.ini", prio, strlen(prio), &c, &e);
    free(prio);
    assert_int_equal(rc, 0);
    /* without any: no classes, no limit (the default), no default class */
    rc = cfg_load_text("base.ini", base, strlen(base), &c, &e);
    assert_int_equal(rc, 0);
    assert_int_equal(c.nscrap, 0);
    assert_float_equal(c.limits.max_organics_kg, 0, 0);
    assert_string_equal(c.limits.default_scrap, "");
}

static void test_foreign_master_alarm_loads(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *text = patched(NULL, "[alarm.fm]\nkind = foreign_master\npriority = critical\n"
                               "latching = yes\nmessage = another master\n");
    int rc = cfg_load_text("fm.ini", text, strlen(text), &c, &e);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_int_equal(c.nalarms, 2);
    assert_int_equal(c.alarms[1].kind, ALARM_MASTER);
    assert_true(c.alarms[1].latching);
    assert_string_equal(c.alarms[1].tag, "");
    free(text);
}

/* A thermocouple's own lag is optional: given, it is marked; not given, the sensor lags by
 * tc_lag_s (the simulator reads has_tc_lag). */
static void test_sim_tc_lag_per_sensor(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *text = patched("[cycle]", "[sim]\ntc_lag_s = 9\ntc_lag_bath_hc_s = 60\n[cycle]");
    int rc = cfg_load_text("lag.ini", text, strlen(text), &c, &e);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_true(c.sim.tc_lag_s == 9);
    assert_true(c.sim.has_tc_lag[2] && c.sim.tc_lag_each_s[2] == 60); /* bath_hc */
    for (int i = 0; i < CFG_SIM_TC_COUNT; i++)
        assert_true(i == 2 || !c.sim.has_tc_lag[i]);
    free(text);
}

static void test_every_mistake_reported_and_nothing_changed(void **state)
{
    (void)state;
    static struct cfg c, before;
    static struct cfg_errors e;
    size_t n = sizeof bad_cases / sizeof bad_cases[0];
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        char *text = patched(bad_cases[i].find, bad_cases[i].repl);
        memset(&c, 0x5a, sizeof c);
        memcpy(&before, &c, sizeof c);
        int rc = cfg_load_text("bad.ini", text, strlen(text), &c, &e);
        if (rc != -1 || !has_error(&e, &bad_cases[i])) {
            print_error("case %zu (%s): rc %d, want [%s] %s: %s\n", i, bad_cases[i].repl, rc,
                        bad_cases[i].section, bad_cases[i].key, bad_cases[i].says);
            for (int k = 0; k < e.n; k++)
                print_error("   got: %s\n", e.e[k].text);
            fail();
        }
        assert_memory_equal(&c, &before, sizeof c);
        for (int k = 0; k < e.n; k++)
            assert_non_null(strstr(e.e[k].text, "bad.ini:"));
        free(text);
    }
}

static void test_line_numbers_and_value_in_message(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *text = patched("addr = ir:0", "addr = ir:7x");
    assert_int_equal(cfg_load_text("m.ini", text, strlen(text), &c, &e), -1);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.e[0].line, 8);
    assert_string_equal(e.e[0].value, "ir:7x");
    assert_string_equal(e.e[0].text,
                        "m.ini:8: [tag.temp] addr = \"ir:7x\": expected TABLE:ADDRESS with "
                        "TABLE ir, hr, di or co and ADDRESS 0 to 65535, e.g. ir:2");
    free(text);
}

static void test_all_errors_collected(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *t1 = patched("port = 1502", "port = x");
    char *t2 = malloc(strlen(t1) + 64);
    assert_non_null(t2);
    const char *p = strstr(t1, "kp = 1");
    sprintf(t2, "%.*skp = -3%s", (int)(p - t1), t1, p + 6);
    assert_int_equal(cfg_load_text("m.ini", t2, strlen(t2), &c, &e), -1);
    assert_int_equal(e.n, 2);
    assert_string_equal(e.e[0].key, "port"); /* in file order */
    assert_string_equal(e.e[1].key, "kp");
    free(t1);
    free(t2);
}

static void test_decimal_not_octal_and_raw_range(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *text = patched("port = 1502\n", "port = 010\n");
    char *t2 = malloc(strlen(text) + 128);
    assert_non_null(t2);
    sprintf(t2, "%s[tag.lvl]\naddr = ir:20\ntype = uint16\nraw_range = 4000, 20000\n"
                "eng_range = 0, 2000\n",
            text);
    assert_int_equal(cfg_load_text("m.ini", t2, strlen(t2), &c, &e), 0);
    assert_int_equal(c.plc.port, 10);
    const struct cfg_tag *t = cfg_tag_find(&c, "lvl");
    assert_non_null(t);
    assert_true(t->scale == 0.125);
    assert_true(t->offset == -500);
    free(text);
    free(t2);
}

/* A quoted value is loaded as written between its quotes: ';', '#', the
 * other quote character and the spaces inside kept; a comment may follow. */
static void test_quoted_values_load_as_written(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char *text = patched("message = hot\n", "message = \"hot; very # hot\" ; a comment\n"
                                             "action = 'Say \"stop\"; then wait'\n");
    char *t2 = malloc(strlen(text) + 64);
    assert_non_null(t2);
    const char *p = strstr(text, "name = t1\n");
    sprintf(t2, "%.*sname = t1\ndescription = \"  Line 2; west  \"\nsite = \"\"\n%s",
            (int)(p - text), text, p + 10);
    int rc = cfg_load_text("q.ini", t2, strlen(t2), &c, &e);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    assert_string_equal(c.alarms[0].message, "hot; very # hot");
    assert_string_equal(c.alarms[0].action, "Say \"stop\"; then wait");
    assert_string_equal(c.furnace.description, "  Line 2; west  ");
    assert_string_equal(c.furnace.site, "");
    free(text);
    free(t2);
}

static void test_binary_junk_and_long_lines(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char junk[] = "[furnace]\nname = a\0b\n";
    assert_int_equal(cfg_load_text("j.ini", junk, sizeof junk - 1, &c, &e), -1);
    assert_non_null(strstr(e.e[0].text, "NUL byte"));
    char *lng = malloc(3000);
    assert_non_null(lng);
    memset(lng, 'x', 2999);
    lng[2999] = 0;
    memcpy(lng, "[furnace]\nname = ", 17);
    assert_int_equal(cfg_load_text("l.ini", lng, strlen(lng), &c, &e), -1);
    assert_non_null(strstr(e.e[0].text, "longer than"));
    free(lng);
    assert_int_equal(cfg_load("/nonexistent/meltcon.ini", &c, &e), -1);
    assert_non_null(strstr(e.e[0].text, "cannot open"));
}

/* nettle's SHA-256 of n bytes, as lowercase hex */
static void sha256_of(const char *text, size_t n, char hex[CFG_SHA256_HEX])
{
    struct sha256_ctx x;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&x);
    sha256_update(&x, n, (const uint8_t *)text);
    sha256_digest(&x, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* coreutils' sha256sum of a file: an implementation independent of nettle */
static void sha256sum_of(const char *file, char hex[CFG_SHA256_HEX])
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(hex, CFG_SHA256_HEX, p));
    assert_int_equal(pclose(p), 0);
}

static void write_file(const char *file, const char *text)
{
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void test_digest_of_the_bytes_loaded(void **state)
{
    (void)state;
    static struct cfg c, c2;
    static struct cfg_errors e;
    char dir[] = "/tmp/test_cfg.XXXXXX", file[64], want[CFG_SHA256_HEX], real[PATH_MAX],
         old_cwd[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/m.ini", dir);
    write_file(file, base);

    /* loaded by a relative name: the path is absolute, the digest the file's */
    assert_non_null(getcwd(old_cwd, sizeof old_cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(cfg_load("m.ini", &c, &e), 0);
    assert_int_equal(chdir(old_cwd), 0);
    assert_non_null(realpath(file, real));
    assert_string_equal(c.path, real);
    sha256_of(base, strlen(base), want);
    assert_string_equal(c.sha256, want);
    sha256sum_of(file, want);
    assert_string_equal(c.sha256, want);
    /* the same bytes from memory: the same digest, the name as given */
    assert_int_equal(cfg_load_text("mem.ini", base, strlen(base), &c2, &e), 0);
    assert_string_equal(c2.sha256, c.sha256);
    assert_string_equal(c2.path, "mem.ini");

    /* one byte changed (port 1502 -> 1503): another digest, the new bytes' */
    char *one = strdup(base);
    assert_non_null(one);
    char *p = strstr(one, "port = 1502");
    assert_non_null(p);
    p[10] = '3';
    write_file(file, one);
    assert_int_equal(cfg_load(file, &c2, &e), 0);
    assert_int_equal(c2.plc.port, 1503);
    assert_string_not_equal(c2.sha256, c.sha256);
    sha256_of(one, strlen(one), want);
    assert_string_equal(c2.sha256, want);
    /* a comment is a change too: the bytes are the file's identity */
    size_t n = strlen(one);
    char *more = malloc(n + 3);
    assert_non_null(more);
    memcpy(more, one, n);
    memcpy(more + n, ";\n", 3);
    write_file(file, more);
    assert_int_equal(cfg_load(file, &c, &e), 0);
    assert_string_not_equal(c.sha256, c2.sha256);
    sha256sum_of(file, want);
    assert_string_equal(c.sha256, want);
    free(more);
    free(one);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
}

static const char *src(const char *rel, char *buf, size_t n)
{
    const char *root = getenv("MELTCON_SRC");
    snprintf(buf, n, "%s/%s", root ? root : MELTCON_SRC_DIR, rel);
    return buf;
}

static void test_shipped_config(void **state)
{
    (void)state;
    static struct cfg c;
    static struct cfg_errors e;
    char path[512];
    int rc = cfg_load(src("config/meltcon.ini", path, sizeof path), &c, &e);
    for (int i = 0; i < e.n; i++)
        print_error("%s\n", e.e[i].text);
    assert_int_equal(rc, 0);
    /* the full default map (config/README.md, 'The default register map') */
    static const struct {
        const char *name;
        enum tag_table t;
        int addr;
    } map[] = {
        {"hc_gas_temp", TAG_IR, 0},    {"roof_temp", TAG_IR, 1},      {"bath_hc_temp", TAG_IR, 2},
        {"bath_sc_temp", TAG_IR, 3},   {"sc_gas_temp", TAG_IR, 4},    {"flue_temp", TAG_IR, 5},
        {"scrap_temp", TAG_IR, 6},     {"o2_pct", TAG_IR, 7},         {"co_ppm", TAG_IR, 8},
        {"furnace_pressure", TAG_IR, 9}, {"gas_flow", TAG_IR, 10},    {"gas_pressure", TAG_IR, 11},
        {"firing_fb", TAG_IR, 12},     {"pump_speed_fb", TAG_IR, 13}, {"fan_speed_fb", TAG_IR, 14},
        {"damper_fb", TAG_IR, 15},     {"bath_level", TAG_IR, 16},    {"bms_state", TAG_IR, 17},
        {"purge_remaining", TAG_IR, 18}, {"plc_interlocks", TAG_IR, 19},
        {"plc_heartbeat", TAG_IR, 20}, {"cmd_ack_seq", TAG_IR, 21},   {"cmd_result", TAG_IR, 22},
        {"plc_mode", TAG_IR, 23},      {"plc_clock", TAG_IR, 24},     {"metal_mass", TAG_IR, 26},
        {"scrap_on_hearth", TAG_IR, 28}, {"sc_door_closed", TAG_DI, 0},
        {"hc_door_closed", TAG_DI, 1}, {"flame_on", TAG_DI, 2},       {"estop_ok", TAG_DI, 3},
        {"gas_ok", TAG_DI, 4},         {"air_ok", TAG_DI, 5},         {"pump_running", TAG_DI, 6},
        {"fan_running", TAG_DI, 7},    {"tap_open", TAG_DI, 8},       {"pusher_home", TAG_DI, 9},
        {"bms_lockout", TAG_DI, 10},   {"watchdog_tripped", TAG_DI, 11},
        {"firing_demand", TAG_HR, 0},  {"pump_demand", TAG_HR, 1},    {"fan_demand", TAG_HR, 2},
        {"damper_demand", TAG_HR, 3},  {"cmd_code", TAG_HR, 10},      {"cmd_arg", TAG_HR, 11},
        {"cmd_seq", TAG_HR, 12},       {"console_heartbeat", TAG_HR, 20},
        {"afterburn_demand", TAG_HR, 4},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const struct cfg_tag *t = cfg_tag_find(&c, map[i].name);
        assert_non_null(t);
        assert_int_equal(t->table, map[i].t);
        assert_int_equal(t->addr, map[i].addr);
    }
    const struct cfg_tag *hc = cfg_tag_find(&c, "hc_gas_temp");
    assert_true(hc->type == TAG_INT16 && hc->scale == 0.1 && hc->has_fault && hc->fault == 32767);
    assert_int_equal(cfg_tag_find(&c, "plc_clock")->type, TAG_UINT32);
    assert_true(c.nloops == 5 && cfg_loop_find(&c, "bath") && cfg_loop_find(&c, "hc") &&
                cfg_loop_find(&c, "sc") && cfg_loop_find(&c, "pressure") &&
                cfg_loop_find(&c, "air"));
    /* the air loop: direct action on the HC gas above the HC loop's reach (split range) */
    const struct cfg_loop *air = cfg_loop_find(&c, "air"), *hcl = cfg_loop_find(&c, "hc");
    assert_true(air->action == LOOP_DIRECT);
    assert_string_equal(air->pv, "hc_gas_temp");
    assert_string_equal(air->out, "afterburn_demand");
    /* its output is at most out_hi + kp (PV - SP): none at or below the hc loop's sp_hi */
    assert_true(air->sp_lo - air->out_hi / air->kp >= hcl->sp_hi && air->out_lo == 0);
    assert_true(c.nprograms >= 2);
    assert_true(c.nalarms >= 30);
    /* the fan's bath priority, on the classes it was measured to pay on (control/README.md,
     * 'Control loops', 'Bath priority') */
    const struct cfg_loop *scl = cfg_loop_find(&c, "sc");
    assert_true(!strcmp(scl->prio_loop, "bath") && scl->prio_gain > 0);
    static const struct {
        const char *name;
        bool yes;
    } prio[] = {{"clean", true}, {"mixed", false}, {"painted", false}, {"lacquered", true},
                {"oily", false}};
    for (size_t i = 0; i < sizeof prio / sizeof prio[0]; i++) {
        const struct cfg_scrap *sk = cfg_scrap_find(&c, prio[i].name);
        assert_non_null(sk);
        if (sk->bath_priority != prio[i].yes)
            fail_msg("[scrap.%s] bath_priority: expected %s", prio[i].name,
                     prio[i].yes ? "yes" : "no");
    }
}

/* ---- every shipped file read as written ------------------------------------------------- */

struct written {
    char sec[64], key[64], val[1024];
    int line;
};

/* The KEY = VALUE lines of text as a person reads them, independently of
 * the loader: the value is the text after '=' without the white space
 * around it and without one pair of quotes that encloses it whole.  At most
 * max lines into w; their number. */
static int read_written(const char *text, struct written *w, int max)
{
    char sec[64] = "";
    int n = 0, lineno = 0;
    for (const char *p = text; *p && n < max;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p += len + (e ? 1 : 0);
        lineno++;
        char *l = line, *end = line + strlen(line);
        while (isspace((unsigned char)*l))
            l++;
        while (end > l && isspace((unsigned char)end[-1]))
            *--end = 0;
        if (!*l || *l == ';' || *l == '#')
            continue;
        if (*l == '[') {
            snprintf(sec, sizeof sec, "%.*s", (int)(end - l - 2), l + 1);
            continue;
        }
        char *eq = strchr(l, '=');
        assert_non_null(eq);
        char *k = eq;
        while (k > l && isspace((unsigned char)k[-1]))
            k--;
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        size_t vl = strlen(v);
        if (vl >= 2 && (*v == '"' || *v == '\'') && v[vl - 1] == *v) {
            v++;
            vl -= 2;
        }
        snprintf(w[n].sec, sizeof w[n].sec, "%s", sec);
        snprintf(w[n].key, sizeof w[n].key, "%.*s", (int)(k - l), l);
        snprintf(w[n].val, sizeof w[n].val, "%.*s", (int)vl, v);
        for (char *c = w[n].sec; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        for (char *c = w[n].key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        w[n].line = lineno;
        n++;
    }
    return n;
}

/* The text field of the loaded struct that [sec] key fills, NULL for other types. */
static const char *loaded_text(const struct cfg *c, const char *sec, const char *key)
{
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        size_t l = strlen(s->name);
        const char *item_base = NULL;
        if (!s->multi && !strcmp(sec, s->name))
            item_base = (const char *)c + s->off;
        if (s->multi && !strncmp(sec, s->name, l) && sec[l] == '.') {
            int n = *(const int *)((const char *)c + s->count_off);
            for (int j = 0; j < n && !item_base; j++) {
                const char *item = (const char *)c + s->off + (size_t)j * s->item_size;
                if (!strcmp(item, sec + l + 1))
                    item_base = item;
            }
        }
        if (!item_base)
            continue;
        for (const struct cfg_key *k = s->keys; k->key; k++)
            if (!strcmp(k->key, key))
                return k->type == KT_STRING || k->type == KT_NAME ? item_base + k->off : NULL;
    }
    return NULL;
}

/* Every shipped file -- config/meltcon.ini and the lessons simhw/scenarios/ -- is
 * read as written: for every key, the value a person reads in the file is
 * the value iniparser stores and the value the program loaded.  (Before the
 * values holding ';' were quoted, 29 of meltcon.ini and 10 of six
 * scenarios failed here.) */
static void test_shipped_files_read_as_written(void **state)
{
    (void)state;
    char files[16][768], dirpath[512];
    int nfiles = 0;
    src("config/meltcon.ini", files[nfiles++], sizeof files[0]);
    DIR *d = opendir(src("simhw/scenarios", dirpath, sizeof dirpath));
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL && nfiles < 16;) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".ini"))
            snprintf(files[nfiles++], sizeof files[0], "%s/%s", dirpath, de->d_name);
    }
    closedir(d);
    assert_true(nfiles >= 8); /* meltcon.ini and seven lessons */

    static struct written w[2000];
    static char text[1 << 17];
    static struct cfg c;
    static struct cfg_errors e;
    static struct scenario sc;
    int cut = 0, values = 0;
    for (int f = 0; f < nfiles; f++) {
        FILE *fp = fopen(files[f], "r");
        assert_non_null(fp);
        size_t n = fread(text, 1, sizeof text - 1, fp);
        fclose(fp);
        text[n] = 0;
        int nw = read_written(text, w, 2000);
        assert_true(nw > 0 && nw < 2000);
        dictionary *dict = iniparser_load(files[f]);
        assert_non_null(dict);
        bool is_cfg = f == 0;
        char err[1024] = "";
        int rc = is_cfg ? cfg_load(files[f], &c, &e) : scen_load(files[f], &sc, err, sizeof err);
        if (rc != 0) {
            print_error("%s: %s\n", files[f], is_cfg ? e.e[0].text : err);
            cut++;
        }
        for (int i = 0; i < nw; i++) {
            char full[160];
            snprintf(full, sizeof full, "%s:%s", w[i].sec, w[i].key);
            const char *ini = iniparser_getstring(dict, full, "(none)");
            const char *got = NULL;
            if (rc == 0 && is_cfg) {
                got = loaded_text(&c, w[i].sec, w[i].key);
            } else if (rc == 0 && !strcmp(w[i].sec, "scenario")) {
                got = !strcmp(w[i].key, "title")       ? sc.title
                      : !strcmp(w[i].key, "situation") ? sc.situation
                      : !strcmp(w[i].key, "notice")    ? sc.notice
                      : !strcmp(w[i].key, "action")    ? sc.action
                                                       : NULL;
            }
            values++;
            if (strcmp(ini, w[i].val) || (got && strcmp(got, w[i].val))) {
                print_error("%s:%d: [%s] %s: written \"%s\", iniparser \"%s\", loaded \"%s\"\n",
                            files[f], w[i].line, w[i].sec, w[i].key, w[i].val, ini,
                            got ? got : "-");
                cut++;
            }
        }
        iniparser_freedict(dict);
    }
    assert_true(values > 700);
    assert_int_equal(cut, 0);
}

/* The shipped file is its own manual: every key of the schema is shown in
 * it, as a key or in a comment. */
static void test_shipped_config_documents_every_key(void **state)
{
    (void)state;
    char path[512];
    FILE *f = fopen(src("config/meltcon.ini", path, sizeof path), "r");
    assert_non_null(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    for (size_t i = 0; i < cfg_nsections; i++) {
        for (const struct cfg_key *k = cfg_sections[i].keys; k->key; k++) {
            if (!strstr(text, k->key)) {
                print_error("[%s] %s is not documented in meltcon.ini\n", cfg_sections[i].name,
                            k->key);
                fail();
            }
        }
    }
}

static void test_describe_lists_every_key(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cfg_describe(f);
    fclose(f);
    for (size_t i = 0; i < cfg_nsections; i++)
        for (const struct cfg_key *k = cfg_sections[i].keys; k->key; k++)
            assert_non_null(strstr(buf, k->key));
    assert_non_null(strstr(buf, "[tag.NAME]"));
    assert_non_null(strstr(buf, "(required)"));
    free(buf);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cfg_phase_name(PH_PYROLYSIS), "PYROLYSIS");
    assert_int_equal(cfg_phase_from_name("tap"), PH_TAP);
    assert_int_equal(cfg_phase_from_name("boil"), -1);
    assert_string_equal(cfg_priority_name(PRIO_CRITICAL), "critical");
    assert_string_equal(cfg_loop_mode_name(LOOP_CAS), "CAS");
    assert_string_equal(cfg_table_name(TAG_CO), "co");
    assert_string_equal(cfg_type_name(TAG_FLOAT32), "float32");
}

/* Where the file comes from: -c, then $MELTCON_CONFIG, then /etc/meltcon/
 * -- never the current directory, even one with a config/meltcon.ini. */
static void test_default_path_order(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *root = getenv("MELTCON_SRC");
    assert_int_equal(chdir(root ? root : MELTCON_SRC_DIR), 0);
    FILE *here = fopen("config/meltcon.ini", "r");
    assert_non_null(here); /* the trap: a config in the current directory */
    fclose(here);
    unsetenv("MELTCON_CONFIG");
    assert_string_equal(cfg_default_path(NULL), "/etc/meltcon/meltcon.ini");
    assert_string_equal(cfg_default_path(""), "/etc/meltcon/meltcon.ini");
    assert_string_equal(cfg_default_path("x.ini"), "x.ini");
    setenv("MELTCON_CONFIG", "", 1);
    assert_string_equal(cfg_default_path(NULL), "/etc/meltcon/meltcon.ini");
    setenv("MELTCON_CONFIG", "/tmp/y.ini", 1);
    assert_string_equal(cfg_default_path(NULL), "/tmp/y.ini");
    assert_string_equal(cfg_default_path("x.ini"), "x.ini"); /* -c wins */
    unsetenv("MELTCON_CONFIG");
    assert_int_equal(chdir(cwd), 0);

    /* the system folder: meltcon.ini, else its only furnace file, else meltcon.ini */
    char dir[] = "/tmp/test_cfg_dir.XXXXXX", d[64], a[96], b[96], m[96];
    assert_non_null(mkdtemp(dir));
    snprintf(d, sizeof d, "%s/", dir);
    snprintf(a, sizeof a, "%s/tcf1.ini", dir);
    snprintf(b, sizeof b, "%s/tcf2.ini", dir);
    snprintf(m, sizeof m, "%s/meltcon.ini", dir);
    assert_string_equal(cfg_default_path_in(NULL, d), m); /* empty folder */
    fclose(fopen(a, "w"));
    assert_string_equal(cfg_default_path_in(NULL, d), a); /* one furnace */
    assert_string_equal(cfg_default_path_in("x.ini", d), "x.ini");
    fclose(fopen(b, "w"));
    assert_string_equal(cfg_default_path_in(NULL, d), m); /* two: choose with -c */
    fclose(fopen(m, "w"));
    assert_string_equal(cfg_default_path_in(NULL, d), m);
    unlink(b);
    assert_string_equal(cfg_default_path_in(NULL, d), m); /* meltcon.ini first */
    unlink(a);
    unlink(m);
    rmdir(dir);

    /* the default that is not there says what to do */
    struct cfg c;
    struct cfg_errors e;
    if (access("/etc/meltcon/meltcon.ini", F_OK) != 0) {
        assert_int_equal(cfg_load("/etc/meltcon/meltcon.ini", &c, &e), -1);
        assert_non_null(strstr(e.e[0].text, "name the furnace's file with -c FILE"));
    }
}

/* [server] mode: system and private as said; auto by the real path. */
static void test_mode_resolution(void **state)
{
    (void)state;
    static const struct {
        enum cfg_mode mode;
        const char *real;
        bool system;
    } cases[] = {
        {MODE_AUTO, "/etc/meltcon/tcf1.ini", true},
        {MODE_AUTO, "/etc/meltcon/plant/tcf2.ini", true},
        {MODE_AUTO, "/etc/meltcon/", false},
        {MODE_AUTO, "/etc/meltcon", false},
        {MODE_AUTO, "/etc/meltconx/tcf1.ini", false},
        {MODE_AUTO, "etc/meltcon/tcf1.ini", false},
        {MODE_AUTO, "/home/op/meltcon/config/meltcon.ini", false},
        {MODE_AUTO, "/tmp/etc/meltcon/tcf1.ini", false},
        {MODE_AUTO, NULL, false},
        {MODE_SYSTEM, "/tmp/t/sys.ini", true},
        {MODE_SYSTEM, NULL, true},
        {MODE_PRIVATE, "/etc/meltcon/tcf1.ini", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cfg_mode_is_system(cases[i].mode, cases[i].real) != cases[i].system) {
            print_error("mode %d, %s: expected %s\n", cases[i].mode,
                        cases[i].real ? cases[i].real : "(null)",
                        cases[i].system ? "system" : "private");
            fail();
        }
    }

    /* through the loader: the key, its default, and the name standing for the path */
    static struct cfg c;
    static struct cfg_errors e;
    assert_int_equal(cfg_load_text("/etc/meltcon/t1.ini", base, strlen(base), &c, &e), 0);
    assert_int_equal(c.server.mode, MODE_AUTO);
    assert_true(c.server.system);
    assert_int_equal(cfg_load_text("/tmp/t1.ini", base, strlen(base), &c, &e), 0);
    assert_false(c.server.system);
    char *t = patched(NULL, "[server]\nmode = system\n");
    assert_int_equal(cfg_load_text("/tmp/t1.ini", t, strlen(t), &c, &e), 0);
    assert_int_equal(c.server.mode, MODE_SYSTEM);
    assert_true(c.server.system);
    free(t);
    t = patched(NULL, "[server]\nmode = Private\n");
    assert_int_equal(cfg_load_text("/etc/meltcon/t1.ini", t, strlen(t), &c, &e), 0);
    assert_false(c.server.system);
    free(t);

    /* a file through a symlink: the real path counts, not the link's */
    char dir[] = "/tmp/test_cfg.XXXXXX", file[64], link[64];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/real.ini", dir);
    snprintf(link, sizeof link, "%s/link.ini", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(base, f);
    fclose(f);
    assert_int_equal(symlink(file, link), 0);
    assert_int_equal(cfg_load(link, &c, &e), 0);
    assert_false(c.server.system);
    assert_string_equal(c.path, link);
    unlink(link);
    unlink(file);
    rmdir(dir);
}

static void test_instance(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/etc/meltcon/tcf1.ini", "tcf1"}, {"tcf2.ini", "tcf2"},   {"/a/b/plant", "plant"},
        {"/a/b.conf", "b.conf"},          {"/a/.ini", ".ini"},    {"x.ini.ini", "x.ini"},
    };
    struct cfg *c = calloc(1, sizeof *c);
    assert_non_null(c);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(c->path, sizeof c->path, "%s", cases[i][0]);
        cfg_instance(c, buf, sizeof buf);
        assert_string_equal(buf, cases[i][1]);
    }
    free(c);
}

/* meltcon.ini(5): every section a subsection, every key a tagged paragraph,
 * quoting explained, and no line of text that roff would take for a request. */
static void test_man_page(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cfg_man(f);
    fclose(f);
    assert_non_null(strstr(buf, ".TH MELTCON.INI 5 "));
    for (size_t i = 0; i < cfg_nsections; i++) {
        char want[96];
        snprintf(want, sizeof want, "\n.SS [%s%s]\n", cfg_sections[i].name,
                 cfg_sections[i].multi ? ".NAME" : "");
        assert_non_null(strstr(buf, want));
        const char *sec = strstr(buf, want);
        const char *next = strstr(sec + 1, "\n.SS ");
        for (const struct cfg_key *k = cfg_sections[i].keys; k->key; k++) {
            char kw[96];
            snprintf(kw, sizeof kw, "\n.TP\n.B %s\n", k->key);
            const char *at = strstr(sec, kw);
            if (!at || (next && at > next)) {
                print_error("[%s] %s is not in its subsection\n", cfg_sections[i].name, k->key);
                fail();
            }
        }
    }
    static const char *const macros[] = {".\\\"", ".TH ", ".SH ", ".SS ", ".TP", ".B ",
                                         ".BR ", ".I ", ".IR ", ".PP", ".RS\n", ".RE\n",
                                         ".EX\n", ".EE\n", NULL};
    /* quoting, with its example: a value holding ';' in double quotes */
    assert_non_null(strstr(buf, "\n.SS Quoting\n"));
    assert_non_null(strstr(buf, "\n.EX\naction = \"Reduce firing; check the roof override\"\n"));
    for (const char *line = buf; *line; line = strchr(line, '\n') + 1) {
        if (*line == '.' || *line == '\'') {
            bool known = false;
            for (int m = 0; macros[m] && !known; m++)
                known = !strncmp(line, macros[m], strlen(macros[m]));
            if (!known) {
                print_error("not a macro: %.40s\n", line);
                fail();
            }
        }
        assert_non_null(strchr(line, '\n'));
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_loads),
        cmocka_unit_test(test_scrap_classes_load),
        cmocka_unit_test(test_foreign_master_alarm_loads),
        cmocka_unit_test(test_sim_tc_lag_per_sensor),
        cmocka_unit_test(test_every_mistake_reported_and_nothing_changed),
        cmocka_unit_test(test_line_numbers_and_value_in_message),
        cmocka_unit_test(test_all_errors_collected),
        cmocka_unit_test(test_decimal_not_octal_and_raw_range),
        cmocka_unit_test(test_quoted_values_load_as_written),
        cmocka_unit_test(test_binary_junk_and_long_lines),
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_shipped_config_documents_every_key),
        cmocka_unit_test(test_shipped_files_read_as_written),
        cmocka_unit_test(test_describe_lists_every_key),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_path_order),
        cmocka_unit_test(test_mode_resolution),
        cmocka_unit_test(test_instance),
        cmocka_unit_test(test_man_page),
        cmocka_unit_test(test_digest_of_the_bytes_loaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
