/* sim_plc — what the furnace's safety PLC does, on top of the physics: burner management,
 * hard interlocks, the command handshake of plc_contract.h, the console watchdog, the sensors
 * (thermocouple lag, noise, drift, breakage) and the faults an instructor injects.
 *
 * One call per PLC scan: splc_step() reads what the console wrote (struct splc_in), runs
 * the logic and the physics for dt seconds of process time and fills every input register
 * and discrete input of config/README.md, 'The default register map' (struct splc_out), in engineering units.  Field names
 * are the tag names, and splc_out_get()/splc_in_set() look them up by name, so the Modbus
 * server maps the config's tag map onto these structs without knowing the fields.
 * No I/O, no clock, no globals: noise comes from a generator seeded in struct splc, so a
 * run is reproducible for a given seed.
 */
#ifndef MELTCON_SIM_PLC_H
#define MELTCON_SIM_PLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_physics.h"

/* bms_state register values (config/README.md, 'The default register map'). */
enum splc_bms {
    SPLC_BMS_OFF = 0,
    SPLC_BMS_PREPURGE = 1,
    SPLC_BMS_IGNITION = 2,
    SPLC_BMS_FIRING = 3,
    SPLC_BMS_LOCKOUT = 4,
    SPLC_BMS_STANDBY = 5, /* main flame off on low demand, relit through PREPURGE */
};

/* The temperature measurements, in tag order. */
enum splc_tc {
    SPLC_TC_HC_GAS,  /* hc_gas_temp */
    SPLC_TC_ROOF,    /* roof_temp */
    SPLC_TC_BATH_HC, /* bath_hc_temp */
    SPLC_TC_BATH_SC, /* bath_sc_temp */
    SPLC_TC_SC_GAS,  /* sc_gas_temp */
    SPLC_TC_FLUE,    /* flue_temp */
    SPLC_TC_SCRAP,   /* scrap_temp (pyrometer) */
    SPLC_TC_COUNT
};

struct splc_params {
    double watchdog_s;        /* console heartbeat unchanged this long: trip (5) */
    double purge_s;           /* pre-purge, counted only while air is proven (60) */
    double ignition_s;        /* trial for ignition (10) */
    double flame_detect_s;    /* flame proven this long into the trial, if it can light (3) */
    double low_fire_pct;      /* (10) */
    /* standby (high-low-off): demand below standby_below_pct for standby_delay_s takes the
     * main flame off, demand >= low fire relights; min_on/min_off against cycling */
    double standby_below_pct; /* (0 = no standby) */
    double standby_delay_s;   /* (120) */
    double standby_min_on_s;  /* firing at least this long before standby (600) */
    double standby_min_off_s; /* in standby at least this long before a relight (300) */
    double firing_rate_pct_s; /* modulating motor speed (5) */
    double pump_rate_pct_s;   /* (10) */
    double fan_rate_pct_s;    /* (5) */
    double damper_rate_pct_s; /* (10) */
    double door_travel_s;     /* closed to open (8) */
    double pusher_stroke_s;   /* out and back; the scrap drops at half stroke (40) */
    double pump_min_level_mm; /* pump stopped / refused below (350) */
    double pump_freeze_c;     /* pump stopped / refused with bath_sc_temp below (680) */
    double pump_remelt_hc_c;  /* ... unless bath_hc_temp >= this (remelt circulation; 0 never) */
    double pump_remelt_sc_c;  /* ... and bath_sc_temp >= this (640) */
    double heel_kg;           /* tap refused / closed at or below (25000) */
    double roof_hh_c;         /* excess-temperature limiter: low fire at or above (1250) */
    double gas_supply_mbar;   /* supply pressure at no flow (300) */
    double gas_min_mbar;      /* gas pressure switch (150) */
    double gas_low_mbar;      /* what the supply reads under the gas_low fault (60) */
    double gas_lhv_mj_nm3;    /* natural gas, for gas_flow (36) */
    double tc_lag_s;          /* thermocouple first-order lag (10) */
    double tc_lag_each_s[SPLC_TC_COUNT]; /* one sensor's own lag; < 0: tc_lag_s (-1) */
    double noise_k;           /* thermocouple noise, 1 sigma (0.5) */
    unsigned seed;            /* noise generator (1) */
    double charge_organics;   /* default charge: share of organics (0.03) */
    double charge_moisture;   /* ... of moisture (0) */
    double charge_temp_c;     /* ... temperature (25) */
    double charge_hv_mj_kg;   /* ... organics heating value, 0 = the physics default */
    double o2_trim_sp_pct;    /* afterburning air: flue O2 the trim holds (2) */
    double o2_trim_rate;      /* ... integral action, % of full-fire air per s per % O2 (1) */
    double afterburn_max_pct; /* ... its fan's capacity, % of the burners' full-fire air (150) */
    /* the hazard interlocks of the commands (sim_plc_cmd.c) */
    double door_co_max_ppm;   /* no door opens with flue CO above (3000) */
    double door_o2_min_pct;   /* ... or flue O2 below (0.5): fuel-rich atmosphere */
    double push_min_scrap_c;  /* no push with the scrap surface colder (350): wet */
    double push_min_dry_s;    /* ... or within this long of the last charge (600) */
    double max_level_mm;      /* no charge or push at or above this bath level (1050) */
    double capacity_kg;       /* ... nor one that takes metal + scrap past this (65000) */
};

/* What the console writes (holding registers), in engineering units. */
struct splc_in {
    double firing_demand, pump_demand, fan_demand, damper_demand; /* % */
    double afterburn_demand; /* % of the afterburning fan: the console's floor under the trim */
    uint16_t cmd_code, cmd_arg, cmd_seq, console_heartbeat;
};

/* What the PLC reports (input registers and discrete inputs), in engineering units. */
struct splc_out {
    double hc_gas_temp, roof_temp, bath_hc_temp, bath_sc_temp, sc_gas_temp, flue_temp,
        scrap_temp;                                           /* degC */
    double o2_pct;                                            /* % */
    double co_ppm;                                            /* ppm */
    double furnace_pressure;                                  /* Pa */
    double gas_flow;                                          /* Nm3/h */
    double gas_pressure;                                      /* mbar */
    double firing_fb, pump_speed_fb, fan_speed_fb, damper_fb; /* % */
    double bath_level;                                        /* mm */
    uint16_t bms_state;                                       /* enum splc_bms */
    double purge_remaining;                                   /* s */
    uint16_t plc_interlocks;                                  /* enum plc_interlock bits */
    uint16_t plc_heartbeat, cmd_ack_seq, cmd_result, plc_mode;
    double plc_clock;                   /* s of process time */
    double sim_speed;                   /* process s per wall s; a real PLC has no such tag */
    uint16_t sim_state;                 /* enum plc_sim_state bits (plc_contract.h) */
    uint16_t sim_restarts;              /* restores and backtracks since meltsim started */
    double metal_mass, scrap_on_hearth; /* kg */
    bool sc_door_closed, hc_door_closed, flame_on, estop_ok, gas_ok, air_ok, pump_running,
        fan_running, tap_open, pusher_home, bms_lockout, watchdog_tripped;
    bool pump_trip, fan_trip;   /* motor protection tripped (while the fault lasts) */
    bool estop_released;        /* the E-stop button is not pressed (estop_ok is the latch) */
    bool flame_failure;         /* flame lost or never proven: latched until the lockout reset */
    bool broken[SPLC_TC_COUNT]; /* send the tag's fault sentinel instead */
};

/* Injected faults (instructor). */
struct splc_faults {
    bool tc_broken[SPLC_TC_COUNT];
    double tc_drift_k_min[SPLC_TC_COUNT];
    bool flame_failure, gas_low, air_low, pump_trip, fan_trip, sc_door_stuck, hc_door_stuck;
    bool estop;            /* the button is pressed */
    double wet_charge;     /* moisture share of the next charges, 0 = off */
    double heavy_organics; /* organics share of the next charges, 0 = off */
};

/* The whole PLC and the furnace behind it.  Plain data: copy it to fork a run. */
struct splc {
    struct splc_params prm;
    struct phys_params phys_prm;
    struct phys_state phys;
    struct splc_faults faults;
    double clock_s;
    uint16_t heartbeat;
    /* burner management */
    enum splc_bms bms;
    double bms_timer_s; /* purge remaining, or time into the trial for ignition */
    double bms_dwell_s; /* time in FIRING since lit, or in STANDBY since the flame went off */
    double low_demand_s; /* FIRING: how long the demand has been below standby_below_pct */
    double firing;      /* modulating position, % */
    bool flame_failed;  /* the flame-failure latch (cleared by LOCKOUT_RESET) */
    double afterburn;   /* afterburning air from the O2 trim, % of full-fire air */
    /* drives */
    bool pump_on, fan_on, tap_open;
    double pump_speed, fan_speed, damper;
    double sc_door, hc_door; /* position 0 closed .. 1 open */
    bool sc_door_opening, hc_door_opening;
    double pusher;  /* stroke position 0 home .. 1 out */
    int pusher_dir; /* +1 out, -1 back, 0 at rest */
    bool estop_latched;
    double since_charge_s; /* process time since the last accepted CHARGE (drying) */
    uint16_t interlocks;
    uint16_t refused; /* plc_interlock bits that refused the last command (held till the next) */
    /* command handshake */
    uint16_t last_seq, ack_seq, result;
    /* watchdog */
    bool hb_known, wd_armed, wd_tripped, hb_back;
    uint16_t hb_last;
    double hb_age_s;
    /* sensors */
    double tc_lagged[SPLC_TC_COUNT], tc_offset[SPLC_TC_COUNT], tc_meas[SPLC_TC_COUNT];
    double o2_meas, co_meas, pressure_meas, level_meas;
    uint64_t rng;
    double gauss_spare;
    bool has_spare;
    /* charge properties for CHARGE when no fault overrides them */
    double charge_organics, charge_moisture, charge_temp_c, charge_hv_mj_kg;
    /* the training clock (simhw/README.md, 'Training time').  Link-side, like the
     * heartbeats and the handshake: a restore keeps them (sim_snapshot.h) */
    double speed;           /* process s per wall s (1 at init); the watchdog counts dt/speed */
    bool frozen;            /* instructor's freeze: splc_frozen_scan() instead of splc_step() */
    uint16_t restarts;      /* restores and backtracks */
};

void splc_params_default(struct splc_params *p);

/* Defaults, then the [sim] and [furnace] values of a loaded config: watchdog, purge,
 * ignition, noise, lag, seed, pump limits, the door, push and overfill interlocks, heel,
 * capacity, low fire into *p, and the burner power into *pp (which may be NULL). */
void splc_params_from_cfg(struct splc_params *p, struct phys_params *pp, const struct cfg *c);

/* Start the PLC and the furnace: hot (45 t at 740 degC, burners firing at the holding
 * power, pump 30 %, fan at the physics' hold_fan_pct, damper 50 %) or cold (30 t heel at
 * 700 degC, burners off, pump and fan stopped). */
void splc_init(struct splc *plc, const struct splc_params *p, const struct phys_params *pp,
               bool cold);

/* Holding-register values that match the start state, so a server can preset them and
 * the furnace does not bump on the first scan. */
void splc_in_initial(const struct splc *plc, struct splc_in *in);

/* One scan of dt seconds of process time: watchdog (counting dt / speed: it watches the
 * console's link, which lives in wall time whatever the speed), handshake (acts once per new cmd_seq),
 * burner management, interlocks, drives, physics, sensors; *out gets every input. */
void splc_step(struct splc *plc, const struct splc_in *in, struct splc_out *out, double dt);

/* A scan while the instructor has frozen process time, wall_dt seconds of the wall clock
 * after the last: the PLC's CPU runs on and the plant stands still.  The heartbeat counts,
 * the watchdog watches the console (in wall time, as in splc_step), a new cmd_seq is
 * answered PLC_RES_BUSY (acted on never, not even after the run); the physics, sensors,
 * drives and every process timer stay where they are. */
void splc_frozen_scan(struct splc *plc, const struct splc_in *in, struct splc_out *out,
                      double wall_dt);

/* The inputs as of the last scan, without stepping. */
void splc_output(const struct splc *plc, struct splc_out *out);

/* Default properties of the next charges (a scenario's charge event): organics and
 * moisture shares, temperature, heating value (0 = physics default).  The wet_charge and
 * heavy_organics faults override them while active.  -1 if out of range. */
int splc_set_charge(struct splc *plc, double organics, double moisture, double temp_c,
                    double hv_mj_kg);

/* ---- tag access by name --------------------------------------------------- */

enum splc_kind { SPLC_DOUBLE, SPLC_U16, SPLC_BOOL };

struct splc_field {
    const char *tag;
    enum splc_kind kind;
    size_t off;
    int tc; /* enum splc_tc for temperatures, else -1 */
};

extern const struct splc_field splc_out_fields[];
extern const size_t splc_out_nfields;
extern const struct splc_field splc_in_fields[];
extern const size_t splc_in_nfields;

/* Value of output tag `tag` (bools as 0/1) and whether its sensor is broken.  -1 if the
 * tag is not a PLC input. */
int splc_out_get(const struct splc_out *o, const char *tag, double *v, bool *broken);

/* Store what the console wrote to holding register `tag`; integers are rounded and
 * wrapped to 16 bits.  -1 if the tag is not a PLC output. */
int splc_in_set(struct splc_in *in, const char *tag, double v);

/* The same by field, for a caller that looked the field up once: the value of field f
 * of the struct at base (splc_out or splc_in; bools as 0/1), and storing v into it
 * (integers rounded and wrapped to 16 bits, bools v != 0; -1 for a v not finite). */
double splc_field_get(const struct splc_field *f, const void *base);
int splc_field_set(const struct splc_field *f, void *base, double v);

/* ---- faults --------------------------------------------------------------- */

struct splc_fault_desc {
    const char *name;
    const char *target; /* what TARGET takes, NULL if none */
    const char *value;  /* what VALUE means, NULL if none */
    double vmin, vmax;  /* VALUE range */
    const char *help;
};

extern const struct splc_fault_desc splc_faults[];
extern const size_t splc_nfaults;

/* Inject fault `name` (meltsim inject NAME [TARGET] [VALUE]).  target may be NULL or "";
 * value is NAN when none was given.  "clear" with no target clears every fault, with a
 * fault name clears that one.  Returns 0, or -1 with a sentence in err (unknown fault,
 * target or a value out of range) and nothing changed. */
int splc_fault(struct splc *plc, const char *name, const char *target, double value, char *err,
               size_t errlen);

/* The active faults as text ("tc_broken roof_temp, gas_low"), "none" if none. */
void splc_fault_describe(const struct splc *plc, char *buf, size_t len);

/* Tag name of a temperature measurement, and back (-1 if unknown). */
const char *splc_tc_name(enum splc_tc tc);
int splc_tc_from_name(const char *tag);

#endif
