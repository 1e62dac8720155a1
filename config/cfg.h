/* cfg — meltcon's configuration: the schema, the loader and validation.
 *
 * One INI file describes a furnace: its identity, the PLC link, the control
 * cycle, the tag map, the loops, the alarms, the permissive limits, the melt
 * programs, the simulator and the server.  Every key of every section is a
 * row of the schema table (cfg_schema.c): type, range, default, unit and a
 * one-line help.  The loader, the validation and `meltcon check-config
 * --describe` all walk that one table.
 *
 * Loading never half-succeeds: cfg_load() either fills a struct cfg that has
 * passed every check, or returns every error found, each naming the file,
 * line, section, key, value and what was expected.  Nothing starts on a bad
 * file.
 */
#ifndef MELTCON_CFG_H
#define MELTCON_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX 32     /* tag, loop, alarm, program names */
#define CFG_TEXT_MAX 96     /* descriptions, messages */
#define CFG_PATH_MAX 256
#define CFG_MAX_TAGS 128
#define CFG_MAX_LOOPS 8
#define CFG_MAX_ALARMS 96
#define CFG_MAX_PROGRAMS 16
#define CFG_MAX_SCRAP 8       /* [scrap.NAME] classes */
#define CFG_MAX_ERRORS 64
#define CFG_SHA256_HEX 65   /* 64 hex digits and the NUL */

/* ---- the tag map --------------------------------------------------------- */

enum tag_table { TAG_IR, TAG_HR, TAG_DI, TAG_CO }; /* ir hr di co */
enum tag_type { TAG_INT16, TAG_UINT16, TAG_INT32, TAG_UINT32, TAG_FLOAT32, TAG_BOOL };
enum tag_word_order { WO_ABCD, WO_CDAB, WO_BADC, WO_DCBA };

/* One PLC point.  eng = raw * scale + offset (raw_range/eng_range in the
 * file are turned into scale/offset).  `fault` is a raw sentinel the device
 * sends for a broken sensor (e.g. 32767 for a broken thermocouple). */
struct cfg_tag {
    char name[CFG_NAME_MAX];
    enum tag_table table;
    int addr;                 /* 0-based protocol address */
    enum tag_type type;
    enum tag_word_order word_order;
    double scale, offset;
    bool has_range;           /* valid engineering range */
    double range_lo, range_hi;
    bool has_raw_range, has_eng_range; /* alternative to scale/offset */
    double raw_lo, raw_hi, eng_lo, eng_hi;
    bool has_fault;
    double fault;             /* raw sentinel */
    bool writable;
    char unit[16];
    char description[CFG_TEXT_MAX];
    bool has_mqtt_deadband;   /* the tag's own MQTT deadband, else [mqtt] deadband_pct */
    double mqtt_deadband;     /* in the tag's unit */
};

/* ---- sections with one instance ------------------------------------------ */

struct cfg_furnace {
    char name[CFG_NAME_MAX];  /* identity: socket, lock, journal names */
    char description[CFG_TEXT_MAX];
    char site[CFG_TEXT_MAX];
    double capacity_t;        /* bath capacity */
    double heel_t;            /* minimum heel */
    double burner_mw;         /* installed burner power at 100 % */
    double low_fire_pct;      /* burner low fire */
    char program[CFG_NAME_MAX]; /* melt program active at start */
};

struct cfg_plc {
    char host[64];
    int port;
    int unit_id;
    int response_timeout_ms;
    int byte_timeout_ms;
    int reconnect_min_ms;     /* first reconnect delay */
    int reconnect_max_ms;     /* backoff cap */
    int write_refresh_s;      /* unchanged outputs rewritten this often */
    double heartbeat_stale_s; /* plc_heartbeat unchanged this long = frozen PLC */
    int cmd_timeout_ms;       /* command handshake timeout */
    int refused_cycles;       /* a read block or write refused this often in a row: alarm */
};

enum cfg_clock { CLOCK_SRC_MONOTONIC, CLOCK_SRC_PLC };

struct cfg_cycle {
    int period_ms;
    enum cfg_clock clock;     /* process time from plc_clock or monotonic */
    double ui_rate_hz;        /* snapshots to consoles */
    double slow_factor;       /* a cycle later than factor*period is "slow" */
    bool realtime;            /* SCHED_FIFO at rt_priority and mlockall, or refuse */
    int rt_priority;          /* 1..99 */
    int plc_io_pct;           /* share of the period the PLC I/O may use */
};

/* A system furnace is run by systemd with system-wide socket, lock and
 * state; a private one (training, make demo) by its user, auto-started. */
enum cfg_mode { MODE_AUTO, MODE_SYSTEM, MODE_PRIVATE };

struct cfg_server {
    enum cfg_mode mode;             /* as configured */
    bool system;                    /* resolved at load: see cfg_mode_is_system() */
    char socket[CFG_PATH_MAX];      /* "" = /run/meltcon/NAME.sock (system),
                                       $XDG_RUNTIME_DIR/meltcon-NAME.sock (private) */
    char state_dir[CFG_PATH_MAX];   /* "" = /var/lib/meltcon/NAME (system),
                                       $XDG_STATE_HOME/meltcon/NAME (private) */
    char viewer_group[CFG_NAME_MAX];
    char operator_group[CFG_NAME_MAX];
    char engineer_group[CFG_NAME_MAX];
    double historian_period_s;
    double historian_deadband_pct;  /* of the tag's range */
    int historian_retention_days;
    int journal_retention_days;
    int max_clients;
    int max_per_user;               /* connections of one account at once, 0 = no limit */
    int reserved_slots;             /* of max_clients, never given to a viewer */
    int refusals_per_10s;           /* an account's refusals journalled one by one */
    int request_max_age_ms;         /* an older request is refused, not carried out */
};

#define CFG_SIM_TC_COUNT 7 /* the simulator's thermocouples (tc_lag_*_s) */

struct cfg_sim {
    char bind[64];
    int port;
    double watchdog_s;
    unsigned seed;
    double speed;
    double scan_ms;           /* PLC scan period (process time) */
    double noise_k;           /* thermocouple noise, 1 sigma */
    double tc_lag_s;          /* thermocouple first-order lag */
    /* per sensor, in the order hc_gas, roof, bath_hc, bath_sc, sc_gas, flue, scrap: the
     * lag where given (has_tc_lag), else tc_lag_s */
    double tc_lag_each_s[CFG_SIM_TC_COUNT];
    bool has_tc_lag[CFG_SIM_TC_COUNT];
    double purge_s;           /* burner pre-purge time */
    double ignition_s;        /* trial for ignition */
    double pump_min_level_mm; /* PLC hard interlock: pump refused below */
    double pump_freeze_c;     /* PLC hard interlock: metal too cold to pump */
    double pump_remelt_hc_c;  /* ... unless the HC side is this hot (remelt), 0 never */
    double pump_remelt_sc_c;  /* ... and the SC side at least this (colder: frozen) */
    double door_co_max_ppm;   /* PLC: no door opens with flue CO above this ... */
    double door_o2_min_pct;   /* ... or flue O2 below this (fuel-rich atmosphere) */
    double push_min_scrap_c;  /* PLC: no push with the scrap surface colder (wet) ... */
    double push_min_dry_min;  /* ... or sooner than this after the last charge */
    double max_level_mm;      /* PLC: no charge or push at or above this level (overfill) */
    double standby_below_pct; /* PLC burner standby: demand below this (0 = never) ... */
    double standby_delay_s;   /* ... for this long takes the main flame off */
    double standby_min_on_s;  /* ... after this long lit; */
    double standby_min_off_s; /* off this long before a relight */
    char inject_socket[CFG_PATH_MAX]; /* instructor channel, "" = default */
    double idle_timeout_s;    /* a Modbus client silent this long is dropped, 0 = never */
};

/* Permissive limits used by the console's command tables (control/core/perm.c). */
struct cfg_limits {
    double low_fire_pct;      /* doors may open at or below this firing */
    double roof_max_c;        /* no high fire above this roof temperature */
    double sc_gas_max_door_c; /* charging door stays shut above this SC gas */
    double co_max_door_ppm;   /* ... or while CO is above this (pyrolysis gas) */
    double door_o2_min_pct;   /* no door opens with flue O2 below this (fuel-rich) */
    double push_min_scrap_c;  /* scrap dry: surface at least this */
    double push_min_dry_min;  /* minimum time in pyrolysis before a push */
    double pump_min_bath_c;   /* freezing guard */
    double pump_remelt_hc_c;  /* ... unless the HC side is this hot (remelt), 0 never */
    double pump_remelt_sc_c;  /* ... and the SC side at least this (colder: frozen) */
    double pump_min_level_mm;
    double max_level_mm;      /* overfill */
    double max_charge_t;      /* one charge */
    double heel_min_t;        /* tapping stops here */
    double max_organics_kg;   /* organics one charge may carry (mass x class), 0 = no limit */
    char default_scrap[CFG_NAME_MAX]; /* the class of a charge that names none, "" none */
};

/* ---- loops ---------------------------------------------------------------- */

enum cfg_loop_mode { LOOP_MAN, LOOP_AUTO, LOOP_CAS };
enum cfg_loop_action { LOOP_REVERSE, LOOP_DIRECT }; /* reverse: out up when pv < sp */

struct cfg_loop {
    char name[CFG_NAME_MAX];      /* bath, hc, sc, pressure */
    char description[CFG_TEXT_MAX];
    char pv[CFG_NAME_MAX];        /* tag */
    char out[CFG_NAME_MAX];       /* writable tag, or "" for a master loop */
    char cascade_to[CFG_NAME_MAX];/* slave loop whose SP this loop drives */
    enum cfg_loop_mode mode;      /* mode at start */
    enum cfg_loop_action action;
    double kp, ti_s, td_s;        /* ti 0 = no integral action */
    double d_filter;              /* derivative filter time = td / d_filter */
    double sp;                    /* setpoint at start */
    double sp_lo, sp_hi;          /* operator setpoint limits */
    double sp_max_step;           /* largest single change, 0 = none */
    double sp_ramp_per_min;       /* 0 = no ramp */
    double out_lo, out_hi;
    double out_rate_per_s;        /* 0 = no limit */
    /* override: a second measurement that lowers this loop's SP */
    char override_pv[CFG_NAME_MAX];
    double override_limit;        /* start lowering the SP at this value */
    double override_gain;         /* K of SP reduction per K over the limit */
    double pv_filter_s;           /* first-order PV filter time constant, 0 = none */
    double pv_bad_hold_s;         /* a bad PV holds the output this long before MAN, 0 = at once */
    /* combustion override: low O2 / high CO lower this loop's SP and cap its output */
    char o2_pv[CFG_NAME_MAX], co_pv[CFG_NAME_MAX]; /* tags, "" none */
    double o2_limit, o2_gain;     /* SP lowered by o2_gain x (o2_limit - O2), K/% */
    double co_limit, co_gain;     /* SP lowered by co_gain x (CO - co_limit), K/ppm */
    char co_flow_pv[CFG_NAME_MAX];/* % of the off-gas flow carrying the CO, "" none */
    double co_flow_min;           /* CO load = CO x (min + (1 - min) x flow / 100) */
    double comb_release_per_min;  /* the reduction falls at most this fast, 0 = at once */
    double comb_cap_gain;         /* out_hi lowered by this x the reduction, out units/K */
    double out_deadband;          /* output gap: moves only when the law is this far off */
    double override_max_above_pv; /* override PV this far above the PV: implausible, 0 none */
    char pv2[CFG_NAME_MAX];       /* second measurement, "" none */
    double pv2_weight;            /* its share of the PV */
    double split_max;             /* PV >= pv - split_max (split guard), 0 none */
    double ff_charge_per_t;       /* push feed-forward: output units per t pushed, 0 none */
    double ff_charge_tau_s;       /* ... decaying with this time constant */
    double d_band_per_min;        /* derivative noise band: PV rates within it give no D */
    /* bath priority: another loop's deficit below its SP caps this loop's output */
    char prio_loop[CFG_NAME_MAX]; /* loop whose deficit caps this output, "" none */
    double prio_band;             /* deficit allowed before the cap starts, PV units */
    double prio_gain;             /* out_hi lowered by gain x (deficit - band), out units per */
    /* high-limit override: another measurement (the furnace pressure) above a start value
     * lowers this loop's output high limit (loops.c) */
    char hicap_pv[CFG_NAME_MAX];  /* tag, "" none */
    double hicap_start;           /* the cap starts above this value of hicap_pv */
    double hicap_gain;            /* out_hi lowered by gain x (hicap_pv - start), out units per */
    double hicap_release_per_min; /* the cap rises back at most this fast, 0 = at once */
};

/* ---- alarms --------------------------------------------------------------- */

enum cfg_alarm_kind {
    ALARM_HI,       /* tag >= limit */
    ALARM_LO,       /* tag <= limit */
    ALARM_ON,       /* bool tag true */
    ALARM_OFF,      /* bool tag false */
    ALARM_BAD,      /* tag quality not GOOD */
    ALARM_LINK,     /* PLC link down */
    ALARM_STALE,    /* plc_heartbeat frozen */
    ALARM_DOOR_OPEN,/* bool tag false (door closed = false) for longer than delay */
    ALARM_DISK,     /* journal or historian cannot write */
    ALARM_MASTER,   /* another Modbus master writes the PLC (control/core/master.h) */
    ALARM_OVERRUN,  /* cycles overrun: PLC I/O put off by its budget, or deadlines missed */
    ALARM_REFUSED,  /* the PLC refuses a read block or a write, refused_cycles in a row */
    ALARM_DEV,      /* |tag - setpoint of loop| >= limit */
    ALARM_DIFF,     /* tag - tag2 beyond limit (when): two sensors disagree */
    ALARM_AND,      /* tag beyond limit (when) and tag2 beyond limit2 (when2) */
    ALARM_OVERRIDE, /* loop's overrides (roof, combustion) take >= limit off its setpoint */
};
enum cfg_priority { PRIO_LOW, PRIO_MEDIUM, PRIO_HIGH, PRIO_CRITICAL };

/* Phases of the batch cycle; bit i of a phase set is phase i. */
enum cfg_phase { PH_HOLD, PH_CHARGE, PH_PYROLYSIS, PH_PUSH, PH_MELT, PH_ALLOY, PH_SKIM,
                 PH_TAP, PH_COUNT };

struct cfg_alarm {
    char name[CFG_NAME_MAX];
    enum cfg_alarm_kind kind;
    char tag[CFG_NAME_MAX];       /* source tag ("" for link/stale/disk/foreign_master/
                                     overrun/refused) */
    double limit;
    double deadband;              /* return when clear of limit by this */
    double on_delay_s, off_delay_s;
    enum cfg_priority priority;
    bool latching;                /* stays until acknowledged after return */
    unsigned suppress_phases;     /* bit per enum cfg_phase */
    double max_shelve_min;        /* operator shelving limit; engineer may exceed (not a high) */
    bool has_max_shelve;          /* max_shelve_min given in the file */
    char loop[CFG_NAME_MAX];      /* dev: the loop whose setpoint is the reference */
    char tag2[CFG_NAME_MAX];      /* diff, and: the second tag */
    double limit2, deadband2;     /* and: the second condition */
    int when, when2;              /* 0 hi, 1 lo, 2 both (diff only): see the schema */
    unsigned phases;              /* evaluated only in these phases (bit per phase), 0 = all */
    double alt_limit;             /* the limit in alt_phases (state-based alarming) */
    bool has_alt_limit;           /* alt_limit given in the file */
    unsigned alt_phases;          /* bit per phase; 0 = limit in every phase */
    char suppresses[CFG_TEXT_MAX]; /* alarms it makes consequential, comma-separated */
    double suppress_s;            /* ... when they come within this after it */
    char group[CFG_NAME_MAX];     /* first-out group, "" = none */
    double group_window_s;        /* first-out: raised with none of its group this long before */
    char message[CFG_TEXT_MAX];
    char action[CFG_TEXT_MAX];    /* what the operator should do */
};

/* The alarm philosophy's hard rules (config/meltcon.ini, control/README.md):
 * a critical alarm latches and is never shelved or suppressed; no high
 * alarm is shelved longer than one shift, by anyone. */
#define CFG_HIGH_SHELVE_MAX_MIN 480.0

/* ---- melt programs -------------------------------------------------------- */

/* One class of scrap ([scrap.NAME]) a charge is declared as: what it
 * carries in organics (paint, lacquer, oil), by mass.  The charge
 * permissive limits mass x organics_pct to [limits] max_organics_kg. */
struct cfg_scrap {
    char name[CFG_NAME_MAX];        /* clean, mixed, oily ... */
    char description[CFG_TEXT_MAX]; /* what it is, shown in the charge dialog */
    double organics_pct;            /* organics, % of the charge's mass */
    bool bath_priority;             /* a loop's prio_loop (the fan waiting for the bath)
                                       acts while a charge of this class is the last
                                       one charged (loops.h, struct loops_ext) */
};

struct cfg_program {
    char name[CFG_NAME_MAX];
    char description[CFG_TEXT_MAX];
    double bath_sp;                 /* holding setpoint, degC */
    double tap_lo, tap_hi;          /* tapping window, degC */
    double sc_pyro_sp;              /* SC gas setpoint in pyrolysis */
    double min_pyro_min;            /* minimum pyrolysis time */
    double co_end_ppm;              /* pyrolysis finished below this CO */
    double scrap_ready_c;           /* scrap surface temperature to push */
    double melt_flat_k;             /* "flat bath": within this of setpoint */
    double pump_pct[PH_COUNT];      /* pump speed per phase */
    double max_min[PH_COUNT];       /* maximum time per phase, 0 = none */
    double charge_fire_pct;         /* HC firing cap while charging */
    double tap_target_t;            /* metal to tap per tapping */
};

/* ---- the whole file ------------------------------------------------------- */

/* The operator console's own behaviour. */
enum cfg_horn { HORN_BELL, HORN_FLASH, HORN_OFF };
struct cfg_console {
    enum cfg_horn horn; /* on a new high or critical alarm */
};

/* [mqtt]: the Sparkplug B publisher (control/server/mqtt.c) and `meltcon
 * plant` (tui/plant_ui.c).  The node id is the furnace's name. */
struct cfg_mqtt {
    bool enabled;
    char host[CFG_PATH_MAX];
    int port;
    int keepalive_s;
    char tls_ca[CFG_PATH_MAX];       /* "" = plain TCP */
    char tls_cert[CFG_PATH_MAX];     /* client certificate, with tls_key */
    char tls_key[CFG_PATH_MAX];
    char username[CFG_NAME_MAX];     /* "" = none */
    char password_file[CFG_PATH_MAX]; /* its first line is the password */
    char group_id[CFG_NAME_MAX];
    int store_forward;               /* DDATA messages kept while the broker is away */
    double deadband_pct;             /* of a tag's range, unless the tag has its own */
};

struct cfg {
    char path[CFG_PATH_MAX];  /* the file, absolute when cfg_load could resolve it */
    /* SHA-256 of the exact bytes the loader parsed, lowercase hex: which
     * file a server controls with, told to its consoles in `hello`. */
    char sha256[CFG_SHA256_HEX];
    struct cfg_furnace furnace;
    struct cfg_plc plc;
    struct cfg_cycle cycle;
    struct cfg_server server;
    struct cfg_sim sim;
    struct cfg_limits limits;
    int ntags, nloops, nalarms, nprograms;
    struct cfg_tag tags[CFG_MAX_TAGS];
    struct cfg_loop loops[CFG_MAX_LOOPS];
    struct cfg_alarm alarms[CFG_MAX_ALARMS];
    struct cfg_program programs[CFG_MAX_PROGRAMS];
    struct cfg_console console;
    struct cfg_mqtt mqtt;
    int nscrap;
    struct cfg_scrap scrap[CFG_MAX_SCRAP];
};

/* One mistake, with everything needed to find and fix it. */
struct cfg_error {
    int line;                 /* 0 when not tied to a line */
    char section[48];
    char key[CFG_NAME_MAX];
    char value[64];
    char text[600];           /* the full sentence, "file:line: [sec] key = "v": ..." */
};

struct cfg_errors {
    int n;                    /* errors recorded (at most CFG_MAX_ERRORS) */
    int dropped;              /* more than that */
    struct cfg_error e[CFG_MAX_ERRORS];
};

/* Read and validate FILE.  Returns 0 and a complete *out, or -1 with every
 * error in *errs and *out unchanged.  The file is read once: the bytes read
 * are the bytes parsed and digested (out->sha256). */
int cfg_load(const char *file, struct cfg *out, struct cfg_errors *errs);

/* The same from a text buffer (fuzzing, tests).  `name` is used in messages
 * and stands for the real path for [server] mode = auto. */
int cfg_load_text(const char *name, const char *text, size_t len, struct cfg *out,
                  struct cfg_errors *errs);

/* Fill *c with the defaults of every single-instance section and no tags,
 * loops, alarms or programs. */
void cfg_defaults(struct cfg *c);

/* Which file to use: `opt` (-c FILE) if given, else $MELTCON_CONFIG, else
 * in CFG_SYSTEM_DIR: meltcon.ini if it exists, else the only *.ini there
 * when there is exactly one (a plant with one furnace, /etc/meltcon/tcf1.ini),
 * else meltcon.ini (whose "cannot open" then says what to do) -- never the
 * current directory, so what a program controls does not depend on where
 * it was started.  The result may point to static storage.
 * cfg_default_path_in() does the same in another folder (for tests). */
#define CFG_SYSTEM_DIR "/etc/meltcon/"
const char *cfg_default_path(const char *opt);
const char *cfg_default_path_in(const char *opt, const char *dir);

/* Whether a file in `mode` whose real path (symlinks resolved) is
 * `real` describes a system furnace: MODE_SYSTEM, or MODE_AUTO and the
 * file under CFG_SYSTEM_DIR.  cfg_load() stores this in server.system. */
bool cfg_mode_is_system(enum cfg_mode mode, const char *real);

/* The systemd instance of the furnace: the config file's name (its real
 * path's, when it is a link) without its directory and ".ini"
 * (/etc/meltcon/tcf1.ini -> "tcf1"), as in `systemctl start meltcon@tcf1`. */
void cfg_instance(const struct cfg *c, char *buf, size_t len);

/* The key reference and the manual page meltcon.ini(5), both from the
 * schema table (cfg_doc.c): the first as plain text (check-config
 * --describe), the second in roff with the man(7) macros (--man). */
void cfg_describe(void *stdio_file);
void cfg_man(void *stdio_file);

/* Lookups by name; NULL or -1 if absent. */
const struct cfg_tag *cfg_tag_find(const struct cfg *c, const char *name);
int cfg_tag_index(const struct cfg *c, const char *name);
const struct cfg_loop *cfg_loop_find(const struct cfg *c, const char *name);
const struct cfg_program *cfg_program_find(const struct cfg *c, const char *name);
const struct cfg_scrap *cfg_scrap_find(const struct cfg *c, const char *name); /* NULL: none */

/* Names for enums (for messages, the CLI and the screens). */
const char *cfg_phase_name(enum cfg_phase p);          /* "HOLD" ... */
int cfg_phase_from_name(const char *s);                /* -1 if unknown */
const char *cfg_priority_name(enum cfg_priority p);    /* "critical" ... */

/* The alarms by priority, the philosophy's figure (check-config prints it):
 * "alarms by priority: critical 3 (7 %), high 7 (16 %), medium 20 (44 %),
 * low 15 (33 %)". */
void cfg_alarm_shares(const struct cfg *c, char *buf, size_t len);
const char *cfg_loop_mode_name(enum cfg_loop_mode m);  /* "MAN" "AUTO" "CAS" */
const char *cfg_table_name(enum tag_table t);          /* "ir" ... */
const char *cfg_type_name(enum tag_type t);            /* "int16" ... */

#endif
