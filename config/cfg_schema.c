/* cfg_schema — every section and key of meltcon.ini, in one table.
 *
 * The loader (cfg.c; values in cfg_values.c), its validation, `meltcon
 * check-config --describe` and the comments of the shipped
 * config/meltcon.ini all come from here: add a key by adding a row.
 * Rows: key, type, range, default (NULL = required, "" = optional, no
 * default), unit, one-line help.
 */
#include "cfg_schema.h"

#include <float.h>
#include <stddef.h>

const char *const cfg_table_names[] = {"ir", "hr", "di", "co", NULL};
const char *const cfg_type_names[] = {"int16",   "uint16", "int32", "uint32",
                                      "float32", "bool",   NULL};
const char *const cfg_word_order_names[] = {"ABCD", "CDAB", "BADC", "DCBA", NULL};
const char *const cfg_phase_names[] = {"HOLD", "CHARGE", "PYROLYSIS", "PUSH", "MELT",
                                       "ALLOY", "SKIM", "TAP", NULL};
const char *const cfg_priority_names[] = {"low", "medium", "high", "critical", NULL};
const char *const cfg_loop_mode_names[] = {"MAN", "AUTO", "CAS", NULL};
static const char *const clock_names[] = {"monotonic", "plc", NULL};
static const char *const mode_names[] = {"auto", "system", "private", NULL};
static const char *const action_names[] = {"reverse", "direct", NULL};
static const char *const alarm_kind_names[] = {"hi",   "lo",    "on",        "off",
                                               "bad",  "link",  "stale",     "door_open",
                                               "disk", "foreign_master", "overrun",
                                               "refused", "dev", "diff", "and", "override", NULL};
static const char *const when_names[] = {"hi", "lo", "both", NULL};

#define BIG 1e12

#define K_(k, t, lo, hi, d, u, h, field)                                                       \
    {.key = k, .type = t, .min = lo, .max = hi, .def = d, .unit = u, .help = h,                 \
     .off = offsetof(S, field), .has = -1}
#define INT(k, f, lo, hi, d, u, h) K_(k, KT_INT, lo, hi, d, u, h, f)
#define DBL(k, f, lo, hi, d, u, h) K_(k, KT_DOUBLE, lo, hi, d, u, h, f)
#define BOOL(k, f, d, h) K_(k, KT_BOOL, 0, 1, d, "", h, f)
#define STR(k, f, d, h)                                                                         \
    {.key = k, .type = KT_STRING, .def = d, .unit = "", .help = h, .off = offsetof(S, f),       \
     .size = sizeof(((S *)0)->f), .has = -1}
#define NAME(k, f, d, h)                                                                        \
    {.key = k, .type = KT_NAME, .def = d, .unit = "", .help = h, .off = offsetof(S, f),         \
     .size = sizeof(((S *)0)->f), .has = -1}
#define ENUM(k, f, nm, d, h)                                                                    \
    {.key = k, .type = KT_ENUM, .def = d, .unit = "", .help = h, .off = offsetof(S, f),         \
     .names = nm, .has = -1}
#define END {.key = NULL}

#define S struct cfg_furnace
static const struct cfg_key furnace_keys[] = {
    NAME("name", name, NULL, "furnace identity: names the server's socket, lock and journal"),
    STR("description", description, "", "what this furnace is, shown in the console's title"),
    STR("site", site, "", "plant and line"),
    DBL("capacity_t", capacity_t, 1, 500, "65", "t", "bath capacity"),
    DBL("heel_t", heel_t, 0, 500, "25", "t", "minimum heel that always stays in"),
    DBL("burner_mw", burner_mw, 0.1, 100, "8", "MW", "installed burner power at 100 % firing"),
    DBL("low_fire_pct", low_fire_pct, 0, 100, "10", "%", "burner low fire"),
    NAME("program", program, "", "melt program active at start ([program.NAME])"),
    END,
};
#undef S

#define S struct cfg_plc
static const struct cfg_key plc_keys[] = {
    STR("host", host, "127.0.0.1", "PLC (or meltsim) IPv4 address"),
    INT("port", port, 1, 65535, "1502", "", "Modbus TCP port (502 on a plant PLC)"),
    INT("unit_id", unit_id, 0, 255, "1", "", "Modbus unit identifier"),
    INT("response_timeout_ms", response_timeout_ms, 10, 10000, "100", "ms",
        "a transaction without an answer in this time is an error"),
    INT("byte_timeout_ms", byte_timeout_ms, 1, 10000, "50", "ms",
        "largest gap between bytes of one answer"),
    INT("reconnect_min_ms", reconnect_min_ms, 10, 600000, "250", "ms",
        "first reconnect delay after the link drops; doubles each failure"),
    INT("reconnect_max_ms", reconnect_max_ms, 10, 600000, "5000", "ms", "reconnect backoff cap"),
    INT("write_refresh_s", write_refresh_s, 1, 3600, "10", "s",
        "unchanged outputs are written again this often"),
    DBL("heartbeat_stale_s", heartbeat_stale_s, 0.1, 600, "2", "s",
        "plc_heartbeat unchanged this long means the PLC program has stopped"),
    INT("cmd_timeout_ms", cmd_timeout_ms, 100, 60000, "3000", "ms",
        "a command not acknowledged by the PLC in this time is reported failed"),
    INT("refused_cycles", refused_cycles, 1, 1000, "4", "",
        "a read block or a write the PLC refuses this many times in a row raises the refused "
        "alarm, naming it"),
    END,
};
#undef S

#define S struct cfg_cycle
static const struct cfg_key cycle_keys[] = {
    INT("period_ms", period_ms, 10, 10000, "250", "ms", "control cycle period"),
    ENUM("clock", clock, clock_names, "plc",
         "process time for dt and timers: plc (plc_clock, follows a sped-up simulator) or "
         "monotonic"),
    DBL("ui_rate_hz", ui_rate_hz, 0.2, 10, "4", "Hz", "snapshots sent to consoles per second"),
    DBL("slow_factor", slow_factor, 1.01, 100, "1.5", "",
        "a cycle that starts later than this many periods after its deadline is counted slow"),
    BOOL("realtime", realtime, "no",
         "run the server with SCHED_FIFO at rt_priority and its memory locked (mlockall); "
         "a server not permitted both refuses to start"),
    INT("rt_priority", rt_priority, 1, 99, "50", "",
        "SCHED_FIFO priority of the server when realtime = yes"),
    INT("plc_io_pct", plc_io_pct, 10, 90, "60", "%",
        "share of each period the PLC reads and writes may use; what does not fit waits for "
        "the next cycles (its tags STALE meanwhile) and the rest of the period serves the "
        "consoles"),
    END,
};
#undef S

#define S struct cfg_server
static const struct cfg_key server_keys[] = {
    ENUM("mode", mode, mode_names, "auto",
         "system: one server for everyone, started by systemd only, socket and state under "
         "/run/meltcon and /var/lib/meltcon; private: the user's own, started by the console "
         "when none runs; auto: system when this file's real path is under /etc/meltcon/"),
    STR("socket", socket, "",
        "Unix socket of the server; empty = /run/meltcon/NAME.sock for a system furnace, "
        "$XDG_RUNTIME_DIR/meltcon-NAME.sock for a private one"),
    STR("state_dir", state_dir, "",
        "journal, historian and lock; empty = /var/lib/meltcon/NAME for a system furnace, "
        "$XDG_STATE_HOME/meltcon/NAME for a private one"),
    NAME("viewer_group", viewer_group, "", "Unix group whose members may watch (empty: everyone)"),
    NAME("operator_group", operator_group, "meltop",
         "Unix group whose members may change setpoints, command and acknowledge"),
    NAME("engineer_group", engineer_group, "melteng",
         "Unix group whose members may also tune, shelve long and set out of service"),
    DBL("historian_period_s", historian_period_s, 0.25, 3600, "1", "s",
        "historian sampling period"),
    DBL("historian_deadband_pct", historian_deadband_pct, 0, 50, "0.1", "%",
        "a sample is stored when it moved this much of the tag's range (or every minute)"),
    INT("historian_retention_days", historian_retention_days, 1, 3650, "30", "days",
        "historian samples older than this are deleted (once a day)"),
    INT("journal_retention_days", journal_retention_days, 1, 36500, "3650", "days",
        "journal files older than this are removed"),
    INT("max_clients", max_clients, 1, 256, "32", "", "consoles and CLI verbs attached at once"),
    INT("max_per_user", max_per_user, 0, 256, "8", "",
        "connections one account may hold at once (0: no limit); more are refused with a "
        "sentence"),
    INT("reserved_slots", reserved_slots, 0, 255, "4", "",
        "the last slots of max_clients, kept for operators and engineers: a viewer never "
        "takes them"),
    INT("refusals_per_10s", refusals_per_10s, 1, 1000, "10", "",
        "an account's refused requests and connections journalled one by one in 10 s; the "
        "rest are counted and journalled as one summary line"),
    INT("request_max_age_ms", request_max_age_ms, 100, 60000, "2000", "ms",
        "a request older than this when the server reads it (the server was busy) is "
        "refused, never carried out late"),
    END,
};
#undef S

#define S struct cfg_sim
/* One sensor's lag: optional; not given, the sensor lags by tc_lag_s. */
#define TC_LAG(k, i, what)                                                                      \
    {.key = k, .type = KT_DOUBLE, .min = 0, .max = 300, .def = "", .unit = "s",                 \
     .help = "first-order lag of " what "; not given: tc_lag_s",                                \
     .off = offsetof(S, tc_lag_each_s[i]), .has = offsetof(S, has_tc_lag[i])}
static const struct cfg_key sim_keys[] = {
    STR("bind", bind, "127.0.0.1", "address meltsim listens on (loopback unless told otherwise)"),
    INT("port", port, 1, 65535, "1502", "", "Modbus TCP port meltsim listens on"),
    DBL("watchdog_s", watchdog_s, 0.5, 600, "5", "s",
        "console heartbeat unchanged this long trips the PLC watchdog"),
    INT("seed", seed, 0, 4294967295.0, "1", "", "random seed for sensor noise"),
    DBL("speed", speed, 0.1, 1000, "1", "x", "process time runs this many times the wall clock"),
    DBL("scan_ms", scan_ms, 10, 1000, "100", "ms", "PLC scan period (process time)"),
    DBL("noise_k", noise_k, 0, 20, "0.3", "K", "thermocouple noise, one standard deviation"),
    DBL("tc_lag_s", tc_lag_s, 0, 300, "8", "s",
        "thermocouple first-order lag (every sensor without its own tc_lag_*_s)"),
    TC_LAG("tc_lag_hc_gas_s", 0, "hc_gas_temp"),
    TC_LAG("tc_lag_roof_s", 1, "roof_temp"),
    TC_LAG("tc_lag_bath_hc_s", 2, "bath_hc_temp (a sheathed immersion thermocouple: 30-60 s)"),
    TC_LAG("tc_lag_bath_sc_s", 3, "bath_sc_temp (a sheathed immersion thermocouple: 30-60 s)"),
    TC_LAG("tc_lag_sc_gas_s", 4, "sc_gas_temp"),
    TC_LAG("tc_lag_flue_s", 5, "flue_temp"),
    TC_LAG("tc_lag_scrap_s", 6, "scrap_temp (the pyrometer)"),
    DBL("purge_s", purge_s, 1, 600, "60", "s", "burner pre-purge time (with air proven)"),
    DBL("ignition_s", ignition_s, 1, 60, "10", "s", "trial for ignition"),
    DBL("pump_min_level_mm", pump_min_level_mm, 0, 3000, "450", "mm",
        "PLC hard interlock: pump refused below this bath level"),
    DBL("pump_freeze_c", pump_freeze_c, 500, 800, "680", "degC",
        "PLC hard interlock: pump refused with the bath colder than this"),
    DBL("pump_remelt_hc_c", pump_remelt_hc_c, 0, 900, "0", "degC",
        "PLC: the pump may run colder than pump_freeze_c (remelt circulation) while the HC "
        "side it draws from is at least this hot, 0 = never"),
    DBL("pump_remelt_sc_c", pump_remelt_sc_c, 500, 800, "640", "degC",
        "PLC: ... and the SC side reads at least this (colder: frozen, or a wrong reading)"),
    DBL("door_co_max_ppm", door_co_max_ppm, 100, 100000, "3000", "ppm",
        "PLC hard interlock: no door opens with flue CO above this"),
    DBL("door_o2_min_pct", door_o2_min_pct, 0.1, 21, "0.5", "%",
        "PLC hard interlock: no door opens with flue O2 below this (fuel-rich)"),
    DBL("push_min_scrap_c", push_min_scrap_c, 100, 650, "350", "degC",
        "PLC hard interlock: no push with the scrap surface colder than this (wet)"),
    DBL("push_min_dry_min", push_min_dry_min, 1, 240, "10", "min",
        "PLC hard interlock: no push sooner than this after the last charge"),
    DBL("max_level_mm", max_level_mm, 100, 5000, "1050", "mm",
        "PLC hard interlock: no charge or push at or above this bath level"),
    STR("inject_socket", inject_socket, "",
        "instructor's fault channel; empty = $XDG_RUNTIME_DIR/meltsim-PORT.sock"),
    DBL("idle_timeout_s", idle_timeout_s, 0, 86400, "60", "s",
        "a Modbus client that sends nothing this long is dropped, so idle connections "
        "cannot hold every slot (0: never)"),
    DBL("standby_below_pct", standby_below_pct, 0, 100, "0", "%",
        "burner standby (high-low-off): a firing demand below this takes the main flame off "
        "(below [furnace] low_fire_pct; 0 = never)"),
    DBL("standby_delay_s", standby_delay_s, 1, 3600, "120", "s",
        "burner standby: ... once the demand has stayed below standby_below_pct this long"),
    DBL("standby_min_on_s", standby_min_on_s, 0, 7200, "600", "s",
        "burner standby: fired at least this long since lit before the flame goes off"),
    DBL("standby_min_off_s", standby_min_off_s, 0, 7200, "120", "s",
        "burner standby: off at least this long before a demand at low fire relights it"),
    END,
};
#undef TC_LAG
#undef S

#define S struct cfg_limits
static const struct cfg_key limits_keys[] = {
    DBL("low_fire_pct", low_fire_pct, 0, 100, "30", "%",
        "doors may open only with firing at or below this"),
    DBL("roof_max_c", roof_max_c, 500, 1500, "1180", "degC",
        "no burner start or high fire above this roof temperature"),
    DBL("sc_gas_max_door_c", sc_gas_max_door_c, 100, 1200, "450", "degC",
        "charging door stays shut above this SC gas temperature (pyrolysis gas)"),
    DBL("co_max_door_ppm", co_max_door_ppm, 0, 100000, "2000", "ppm",
        "charging door stays shut while CO in the SC is above this"),
    DBL("door_o2_min_pct", door_o2_min_pct, 0, 21, "1", "%",
        "no door opens with flue O2 below this (air into a fuel-rich chamber)"),
    DBL("push_min_scrap_c", push_min_scrap_c, 0, 650, "400", "degC",
        "scrap surface at least this before a push (dry scrap)"),
    DBL("push_min_dry_min", push_min_dry_min, 0, 240, "15", "min",
        "minimum time in pyrolysis before a push"),
    DBL("pump_min_bath_c", pump_min_bath_c, 500, 800, "690", "degC",
        "no pump start with the bath colder than this (freezing)"),
    DBL("pump_remelt_hc_c", pump_remelt_hc_c, 0, 900, "0", "degC",
        "... unless the HC side the pump draws from is at least this hot (remelt circulation), "
        "0 = never"),
    DBL("pump_remelt_sc_c", pump_remelt_sc_c, 500, 800, "645", "degC",
        "... and the SC side reads at least this (colder: frozen, or a wrong reading)"),
    DBL("pump_min_level_mm", pump_min_level_mm, 0, 3000, "500", "mm",
        "no pump start below this bath level"),
    DBL("max_level_mm", max_level_mm, 0, 5000, "1000", "mm", "no charge at or above this level"),
    DBL("max_charge_t", max_charge_t, 0.1, 20, "5", "t", "largest single charge"),
    DBL("heel_min_t", heel_min_t, 0, 500, "25", "t", "no tapping at or below this metal mass"),
    DBL("max_organics_kg", max_organics_kg, 0, 20000, "0", "kg",
        "organics one charge may carry (its mass x its class's organics_pct): air and flue "
        "burn only so much pyrolysis gas; 0 = no limit"),
    NAME("default_scrap", default_scrap, "",
         "the class ([scrap.NAME]) of a charge that names none: the plant's usual scrap; "
         "required when the file has [scrap.*] sections"),
    END,
};
#undef S

#define S struct cfg_tag
static const struct cfg_key tag_keys[] = {
    {.key = "addr", .type = KT_ADDR, .def = NULL, .unit = "",
     .help = "TABLE:ADDRESS, 0-based protocol address; TABLE is ir, hr, di or co",
     .off = offsetof(S, table), .off2 = offsetof(S, addr), .has = -1},
    ENUM("type", type, cfg_type_names, NULL, "register type"),
    {.key = "word_order", .type = KT_ENUM, .def = "ABCD", .unit = "",
     .help = "order of the bytes of a 32-bit value over its two registers",
     .off = offsetof(S, word_order), .names = cfg_word_order_names, .has = -1},
    DBL("scale", scale, -BIG, BIG, "1", "", "engineering value = raw * scale + offset"),
    DBL("offset", offset, -BIG, BIG, "0", "", "added after scaling"),
    {.key = "raw_range", .type = KT_PAIR, .min = -BIG, .max = BIG, .def = "", .unit = "",
     .help = "instead of scale/offset: raw LO, HI that map onto eng_range",
     .off = offsetof(S, raw_lo), .off2 = offsetof(S, raw_hi), .has = offsetof(S, has_raw_range)},
    {.key = "eng_range", .type = KT_PAIR, .min = -BIG, .max = BIG, .def = "", .unit = "",
     .help = "engineering LO, HI for raw_range", .off = offsetof(S, eng_lo),
     .off2 = offsetof(S, eng_hi), .has = offsetof(S, has_eng_range)},
    STR("unit", unit, "", "engineering unit, shown beside the value"),
    {.key = "range", .type = KT_PAIR, .min = -BIG, .max = BIG, .def = "", .unit = "",
     .help = "valid engineering LO, HI; outside it the value is BAD (sensor)",
     .off = offsetof(S, range_lo), .off2 = offsetof(S, range_hi), .has = offsetof(S, has_range)},
    {.key = "fault", .type = KT_DOUBLE, .min = -BIG, .max = BIG, .def = "", .unit = "raw",
     .help = "raw value the device sends for a broken sensor (32767 for a thermocouple)",
     .off = offsetof(S, fault), .has = offsetof(S, has_fault)},
    BOOL("writable", writable, "no", "the console writes it (holding registers and coils only)"),
    STR("description", description, "", "what the tag measures or drives"),
    {.key = "mqtt_deadband", .type = KT_DOUBLE, .min = 0, .max = BIG, .def = "", .unit = "",
     .help = "MQTT: a change smaller than this (in the tag's unit) is not published; empty = "
             "[mqtt] deadband_pct of the range",
     .off = offsetof(S, mqtt_deadband), .has = offsetof(S, has_mqtt_deadband)},
    END,
};
#undef S

#define S struct cfg_loop
static const struct cfg_key loop_keys[] = {
    STR("description", description, "", "what the loop controls"),
    NAME("pv", pv, NULL, "tag measured (process value)"),
    NAME("out", out, "", "writable tag driven; empty for a cascade master"),
    NAME("cascade_to", cascade_to, "", "slave loop whose setpoint this loop's output is"),
    ENUM("mode", mode, cfg_loop_mode_names, "AUTO", "mode at start: MAN, AUTO or CAS"),
    ENUM("action", action, action_names, "reverse",
         "reverse: output rises when PV is below SP (heating); direct: the opposite"),
    DBL("kp", kp, 0, 1000, NULL, "%/K", "proportional gain (output units per PV unit)"),
    DBL("ti_s", ti_s, 0, 100000, "0", "s", "integral time, 0 = no integral action"),
    DBL("td_s", td_s, 0, 10000, "0", "s", "derivative time (on measurement), 0 = none"),
    DBL("d_filter", d_filter, 1, 100, "8", "", "derivative filter: time constant td / d_filter"),
    DBL("pv_filter_s", pv_filter_s, 0, 3600, "0", "s",
        "first-order filter on the PV against sensor noise: time constant, 0 = none"),
    DBL("pv_bad_hold_s", pv_bad_hold_s, 0, 60, "0", "s",
        "a PV that is not GOOD (a late or failed read, a broken sensor) holds the output in "
        "AUTO/CAS this long; still bad after it, the loop drops to MAN; 0 = at once"),
    DBL("sp", sp, -BIG, BIG, NULL, "", "setpoint at start"),
    DBL("sp_lo", sp_lo, -BIG, BIG, NULL, "", "lowest setpoint an operator may enter"),
    DBL("sp_hi", sp_hi, -BIG, BIG, NULL, "", "highest setpoint an operator may enter"),
    DBL("sp_max_step", sp_max_step, 0, BIG, "0", "", "largest single setpoint change, 0 = any"),
    DBL("sp_ramp_per_min", sp_ramp_per_min, 0, BIG, "0", "/min",
        "working setpoint moves at most this fast, 0 = at once"),
    DBL("out_lo", out_lo, -BIG, BIG, "0", "", "output low limit"),
    DBL("out_hi", out_hi, -BIG, BIG, "100", "", "output high limit"),
    DBL("out_rate_per_s", out_rate_per_s, 0, BIG, "0", "/s", "output rate limit, 0 = none"),
    NAME("override_pv", override_pv, "", "tag that lowers the setpoint when high (roof)"),
    DBL("override_limit", override_limit, -BIG, BIG, "0", "",
        "the override starts lowering the setpoint above this value"),
    DBL("override_gain", override_gain, 0, 1000, "0", "K/K",
        "setpoint lowered by gain x (override_pv - override_limit)"),
    DBL("override_max_above_pv", override_max_above_pv, 0, BIG, "0", "K",
        "override_pv reading more than this above the loop's PV is implausible (a drifting "
        "sensor): the last reduction is held, 0 = no check"),
    NAME("pv2", pv2, "", "a second measurement of the same thing (the SC side's bath): the PV "
         "is their weighted mean"),
    DBL("pv2_weight", pv2_weight, 0, 1, "0", "", "pv2's share of the PV (1 - it: pv's)"),
    DBL("split_max", split_max, 0, BIG, "0", "",
        "split guard: the PV is never more than this below pv (0 = none), so pv cannot run "
        "away above SP while pv2 lags far behind"),
    DBL("ff_charge_per_t", ff_charge_per_t, 0, 1000, "0", "/t",
        "feed-forward at a push: output raised this much per t of scrap pushed into the bath"),
    DBL("ff_charge_tau_s", ff_charge_tau_s, 1, 36000, "600", "s",
        "... and decaying from the push with this time constant"),
    NAME("o2_pv", o2_pv, "", "combustion override: flue O2 tag that lowers the setpoint when low"),
    DBL("o2_limit", o2_limit, 0, 21, "0", "%",
        "the combustion override starts lowering the setpoint below this O2"),
    DBL("o2_gain", o2_gain, 0, 1000, "0", "K/%",
        "setpoint lowered by o2_gain x (o2_limit - o2_pv)"),
    NAME("co_pv", co_pv, "", "combustion override: CO tag that lowers the setpoint when high"),
    DBL("co_limit", co_limit, 0, BIG, "0", "ppm",
        "the combustion override starts lowering the setpoint above this CO"),
    DBL("co_gain", co_gain, 0, 10, "0", "K/ppm",
        "setpoint lowered by co_gain x (co_pv - co_limit)"),
    NAME("co_flow_pv", co_flow_pv, "",
         "combustion override: % tag of the off-gas flow that carries the CO (the fan speed)"),
    DBL("co_flow_min", co_flow_min, 0, 1, "1", "",
        "off-gas flow share at co_flow_pv 0: CO load = CO x (min + (1 - min) x pv / 100)"),
    DBL("out_deadband", out_deadband, 0, BIG, "0", "",
        "gap on the output: in AUTO/CAS it moves only when the law's output is this far from "
        "the output held, 0 = every step (against actuator wear)"),
    DBL("comb_release_per_min", comb_release_per_min, 0, BIG, "0", "K/min",
        "the combustion override's reduction falls back at most this fast, 0 = at once"),
    DBL("comb_cap_gain", comb_cap_gain, 0, 1000, "0", "%/K",
        "output high limit lowered by comb_cap_gain x the combustion override's reduction"),
    DBL("d_band_per_min", d_band_per_min, 0, BIG, "0", "/min",
        "derivative noise band: the D term acts only on the part of the filtered PV rate "
        "beyond this (a slow drift and sensor noise give no D), 0 = none"),
    NAME("prio_loop", prio_loop, "",
         "priority: the loop whose PV below its setpoint caps this loop's output (the fan "
         "waits for the bath)"),
    DBL("prio_band", prio_band, 0, BIG, "0", "",
        "priority: prio_loop's PV may be this far below its setpoint before the cap starts"),
    DBL("prio_gain", prio_gain, 0, BIG, "0", "",
        "priority: output high limit lowered by prio_gain x (the deficit - prio_band)"),
    NAME("hicap_pv", hicap_pv, "",
         "high-limit override: tag whose rise above hicap_start lowers this loop's output "
         "high limit (the furnace pressure on the firing: the flue passes only so much)"),
    DBL("hicap_start", hicap_start, -BIG, BIG, "0", "",
        "high-limit override: hicap_pv above this lowers the output high limit"),
    DBL("hicap_gain", hicap_gain, 0, BIG, "0", "",
        "high-limit override: output high limit lowered by hicap_gain x (hicap_pv - "
        "hicap_start), output units per unit of hicap_pv, 0 = off"),
    DBL("hicap_release_per_min", hicap_release_per_min, 0, BIG, "0", "/min",
        "high-limit override: the lowered limit rises back at most this fast (output units "
        "a minute), 0 = at once; it falls at once"),
    END,
};
#undef S

#define S struct cfg_alarm
static const struct cfg_key alarm_keys[] = {
    ENUM("kind", kind, alarm_kind_names, NULL,
         "hi, lo (analog limit), on, off (bool tag), bad (quality), link, stale, door_open, disk, "
         "foreign_master, overrun (cycles overrun), refused (the PLC refuses a read or write), "
         "dev (tag off its loop's setpoint), diff (tag and tag2 disagree), and (two limits at once), "
         "override (the loop's overrides take limit or more off its setpoint)"),
    NAME("tag", tag, "",
         "source tag (not for link, stale, disk, foreign_master, overrun, refused)"),
    DBL("limit", limit, -BIG, BIG, "0", "",
        "alarm limit for hi, lo and the first condition of and; for dev and diff the largest "
        "difference"),
    DBL("deadband", deadband, 0, BIG, "0", "", "returns only when this far back inside the limit"),
    NAME("loop", loop, "", "dev: the loop whose setpoint the tag is compared with"),
    NAME("tag2", tag2, "", "diff and and: the second tag"),
    ENUM("when", when, when_names, "both",
         "and: the first condition is tag >= limit (hi) or <= (lo); diff: tag - tag2 >= limit "
         "(hi), <= -limit (lo) or either (both)"),
    DBL("limit2", limit2, -BIG, BIG, "0", "", "and: the limit of tag2"),
    DBL("deadband2", deadband2, 0, BIG, "0", "", "and: the deadband of the second condition"),
    ENUM("when2", when2, when_names, "hi", "and: the second condition is tag2 >= limit2 (hi) or <= (lo)"),
    DBL("on_delay_s", on_delay_s, 0, 86400, "0", "s", "condition must last this long to alarm"),
    DBL("off_delay_s", off_delay_s, 0, 86400, "0", "s",
        "condition must be clear this long to return"),
    ENUM("priority", priority, cfg_priority_names, NULL,
         "low, medium, high or critical, by the philosophy at the top of the alarms"),
    BOOL("latching", latching, "no", "stays until acknowledged, even after returning (critical: must)"),
    {.key = "phases", .type = KT_PHASES, .def = "", .unit = "",
     .help = "melt phases in which the condition exists (the others: clear); none given = all",
     .off = offsetof(S, phases), .has = -1},
    {.key = "alt_limit", .type = KT_DOUBLE, .min = -BIG, .max = BIG, .def = "", .unit = "",
     .help = "the limit in alt_phases instead of limit (the same fault, a limit per plant "
             "state); given with alt_phases, for hi, lo, dev, diff, and and override alarms",
     .off = offsetof(S, alt_limit), .has = offsetof(S, has_alt_limit)},
    {.key = "alt_phases", .type = KT_PHASES, .def = "", .unit = "",
     .help = "melt phases in which alt_limit is the limit (none given: limit everywhere)",
     .off = offsetof(S, alt_phases), .has = -1},
    {.key = "suppress_phases", .type = KT_PHASES, .def = "", .unit = "",
     .help = "comma-separated melt phases in which the alarm is suppressed by design (not critical)",
     .off = offsetof(S, suppress_phases), .has = -1},
    {.key = "max_shelve_min", .type = KT_DOUBLE, .min = 0, .max = 100000, .def = "480",
     .unit = "min",
     .help = "longest shelving an operator may set; an engineer may exceed it, except for a high "
             "alarm (at most 480); critical alarms are never shelved",
     .off = offsetof(S, max_shelve_min), .has = offsetof(S, has_max_shelve)},
    STR("suppresses", suppresses, "",
        "alarms this one makes consequential, comma-separated: when they come within suppress_s "
        "of it they are recorded, not annunciated, while it is annunciated"),
    DBL("suppress_s", suppress_s, 0, 86400, "60", "s",
        "how soon after this alarm its consequences must come to be suppressed"),
    NAME("group", group, "", "first-out group: the first alarm of the group raised is marked"),
    DBL("group_window_s", group_window_s, 0, 86400, "60", "s",
        "first-out: raised with no other of its group raised this long before (same in a group)"),
    STR("message", message, NULL, "what the operator reads"),
    STR("action", action, "", "what the operator should do"),
    END,
};
#undef S

#define S struct cfg_program
#define PUMP(ph, k, d) DBL("pump_" k, pump_pct[ph], 0, 100, d, "%", "pump speed in " #ph)
#define MAXT(ph, k, d) DBL("max_" k "_min", max_min[ph], 0, 100000, d, "min", \
                           "longest time in " #ph " before it is flagged, 0 = no limit")
static const struct cfg_key program_keys[] = {
    STR("description", description, "", "alloy and use"),
    DBL("bath_sp", bath_sp, 660, 900, NULL, "degC", "bath holding setpoint"),
    DBL("tap_lo", tap_lo, 660, 900, NULL, "degC",
        "tapping window, low; ALLOY..TAP: bath_sp if in its middle half, else its middle"),
    DBL("tap_hi", tap_hi, 660, 900, NULL, "degC", "tapping window, high"),
    DBL("sc_pyro_sp", sc_pyro_sp, 200, 700, "500", "degC", "SC gas setpoint in pyrolysis"),
    DBL("min_pyro_min", min_pyro_min, 0, 600, "20", "min", "minimum pyrolysis time"),
    DBL("co_end_ppm", co_end_ppm, 0, 100000, "500", "ppm", "pyrolysis finished below this CO"),
    DBL("scrap_ready_c", scrap_ready_c, 100, 650, "480", "degC", "scrap surface ready to push"),
    DBL("melt_flat_k", melt_flat_k, 0.5, 50, "5", "K", "flat bath: both sides within this of SP"),
    DBL("charge_fire_pct", charge_fire_pct, 0, 100, "30", "%", "HC firing cap while charging"),
    DBL("tap_target_t", tap_target_t, 0, 500, "10", "t", "metal tapped per tapping"),
    PUMP(PH_HOLD, "hold", "30"), PUMP(PH_CHARGE, "charge", "30"),
    PUMP(PH_PYROLYSIS, "pyrolysis", "40"), PUMP(PH_PUSH, "push", "70"),
    PUMP(PH_MELT, "melt", "90"), PUMP(PH_ALLOY, "alloy", "60"), PUMP(PH_SKIM, "skim", "20"),
    PUMP(PH_TAP, "tap", "30"),
    MAXT(PH_HOLD, "hold", "0"), MAXT(PH_CHARGE, "charge", "20"),
    MAXT(PH_PYROLYSIS, "pyrolysis", "60"), MAXT(PH_PUSH, "push", "10"),
    MAXT(PH_MELT, "melt", "90"), MAXT(PH_ALLOY, "alloy", "45"), MAXT(PH_SKIM, "skim", "30"),
    MAXT(PH_TAP, "tap", "45"),
    END,
};
#undef S

#define S struct cfg_scrap
static const struct cfg_key scrap_keys[] = {
    STR("description", description, "", "what scrap this is, shown in the charge dialog"),
    DBL("organics_pct", organics_pct, 0, 100, NULL, "%",
        "organics (paint, lacquer, oil, plastics) in % of the scrap's mass; declare the class "
        "whose figure is at or above the scrap's"),
    BOOL("bath_priority", bath_priority, "no",
         "yes: while a charge of this class is the last the PLC accepted, a loop with a prio_loop "
         "(the fan, [loop.sc]) gives way to it (the bath); no: that priority is off for it"),
    END,
};
#undef S

static const char *const horn_names[] = {"bell", "flash", "off", NULL};
#define S struct cfg_console
static const struct cfg_key console_keys[] = {
    ENUM("horn", horn, horn_names, "bell",
         "the console's horn on a new high or critical alarm: bell (the terminal's bell), "
         "flash (the screen flashes) or off; F9 silences it and acknowledges nothing"),
    END,
};
#undef S

#define S struct cfg_mqtt
static const struct cfg_key mqtt_keys[] = {
    BOOL("enabled", enabled, "no",
         "publish this furnace to an MQTT broker as a Sparkplug B edge node (read-only: no "
         "command of any kind reaches the furnace from MQTT)"),
    STR("host", host, "127.0.0.1", "the broker's host name or address"),
    INT("port", port, 1, 65535, "1883", "", "the broker's port (8883 with TLS)"),
    INT("keepalive_s", keepalive_s, 5, 3600, "10", "s",
        "MQTT keepalive (libmosquitto takes 5 s or more): the broker declares the node dead "
        "(NDEATH) after 1.5 times this"),
    STR("tls_ca", tls_ca, "", "CA certificate file: TLS to the broker when given"),
    STR("tls_cert", tls_cert, "", "client certificate file (with tls_key and tls_ca)"),
    STR("tls_key", tls_key, "", "client key file (with tls_cert)"),
    STR("username", username, "", "MQTT user name; empty = none"),
    STR("password_file", password_file, "",
        "file whose first line is the MQTT password (never the password in this file)"),
    NAME("group_id", group_id, "meltcon", "Sparkplug group id; the node id is the furnace name"),
    INT("store_forward", store_forward, 0, 100000, "1000", "",
        "data messages kept while the broker is away, replayed (historical) on reconnect; "
        "the oldest beyond this are dropped, counted and journalled"),
    DBL("deadband_pct", deadband_pct, 0, 50, "0.1", "%",
        "a tag is published when it moved this much of its range (or its quality changed); "
        "[tag.NAME] mqtt_deadband overrides"),
    END,
};
#undef S

#define SINGLE(n, field, k, h) {.name = n, .help = h, .keys = k, .off = offsetof(struct cfg, field)}
#define MULTI(n, arr, cnt, k, h, ex)                                                            \
    {.name = n, .multi = true, .help = h, .keys = k, .off = offsetof(struct cfg, arr),          \
     .item_size = sizeof(((struct cfg *)0)->arr[0]), .count_off = offsetof(struct cfg, cnt),    \
     .max_items = (int)(sizeof(((struct cfg *)0)->arr) / sizeof(((struct cfg *)0)->arr[0])),    \
     .example = ex}

const struct cfg_section cfg_sections[] = {
    SINGLE("furnace", furnace, furnace_keys, "the furnace this file describes"),
    SINGLE("plc", plc, plc_keys, "the link to the furnace PLC (Modbus TCP)"),
    SINGLE("cycle", cycle, cycle_keys, "the control cycle"),
    SINGLE("server", server, server_keys, "the meltcon server: socket, roles, journal, historian"),
    SINGLE("sim", sim, sim_keys, "meltsim, the simulated furnace and PLC"),
    SINGLE("limits", limits, limits_keys, "limits of the console's command permissives"),
    MULTI("tag", tags, ntags, tag_keys, "one PLC point of the register map", "tag.roof_temp"),
    MULTI("loop", loops, nloops, loop_keys, "one control loop (bath, hc, sc, pressure)",
          "loop.bath"),
    MULTI("alarm", alarms, nalarms, alarm_keys, "one alarm", "alarm.roof_hh"),
    MULTI("program", programs, nprograms, program_keys, "one melt program (recipe) per alloy",
          "program.a226"),
    SINGLE("console", console, console_keys, "the operator console"),
    SINGLE("mqtt", mqtt, mqtt_keys, "the plant's MQTT broker: Sparkplug B publishing"),
    MULTI("scrap", scrap, nscrap, scrap_keys,
          "one class of scrap a charge is declared as, by its organics", "scrap.oily"),
};
const size_t cfg_nsections = sizeof cfg_sections / sizeof cfg_sections[0];
