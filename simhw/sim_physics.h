/* sim_physics — the lumped thermal model of the twin-chamber furnace behind meltsim.
 *
 * Plain C over plain structs: the caller owns a struct phys_state and a struct phys_params,
 * passes actuator positions and dt in, and reads temperatures, masses and the energy ledger
 * back.  No I/O, no clock, no globals, no allocation.  Stable for any dt (steps longer than
 * max_substep_s are split); the equations are at the top of sim_physics.c.
 *
 * Units: degC, kg, s, W and J inside; parameters carry their unit in their name.
 * Energies are counted from 25 degC solid aluminium (the ambient), so a charge at ambient
 * brings no enthalpy and every joule that enters or leaves appears in struct phys_ledger.
 */
#ifndef MELTCON_SIM_PHYSICS_H
#define MELTCON_SIM_PHYSICS_H

#include <stdbool.h>

#define PHYS_MAX_CHARGES 4 /* charges side by side on the scrap-chamber hearth */

/* Every constant of the model.  phys_params_default() fills the documented values; each is
 * chosen to meet simhw/README.md's 'Typical figures' (see the test file for the measured figures). */
struct phys_params {
    /* burners and flue */
    double burner_mw;          /* fuel power at 100 % firing (8) */
    double fuel_tau_s;         /* first-order lag firing -> fuel power (4) */
    double flue_frac_1000;     /* share of combustion heat leaving in the flue at HC 1000 degC */
    double flue_frac_per_100k; /* its rise per 100 K of HC gas temperature */
    double pyro_flue_extra;    /* added flue share of the pyrolysis gas burnt in the HC */
    double air_ratio;          /* burner lambda; 1.10 gives ~2 % O2 */
    double base_air_frac;      /* air leaking in with burners off, as a share of full-fire air */
    double flue_rise_k;        /* flue above HC gas at full fire (display only) */
    double air_kg_mj;          /* air per MJ of fuel burnt, stoichiometric (natural gas 0.345) */
    double cp_air_kj;          /* mean cp of air from ambient to the HC gas, kJ/kg K (1.13) */
    /* thermal capacities (effective, with the refractory skin) */
    double c_hc_gas_mj_k; /* HC atmosphere + hot-face lining */
    double c_roof_mj_k;   /* roof and upper walls */
    double c_sc_gas_mj_k; /* SC atmosphere + lining */
    /* radiation exchange, emissivity-weighted areas sigma*a*(T1^4 - T2^4) */
    double a_gas_bath_m2;
    double a_gas_roof_m2;
    double a_roof_bath_m2;
    double ua_jet_bath_kw_k; /* burner jets over the bath: forced convection gas -> HC bath at
                                100 % firing, scaling with firing^0.8 */
    /* losses to ambient, linear in (T - t_amb_c) */
    double ua_roof_loss_kw_k;    /* roof and HC walls */
    double ua_bath_hc_loss_kw_k; /* hearth and walls under the HC bath */
    double ua_bath_sc_loss_kw_k; /* charge well and SC bath */
    double ua_sc_loss_kw_k;      /* SC chamber shell */
    double ua_sc_bath_kw_k;      /* SC gas <-> SC bath surface */
    double door_a_m2;            /* radiating area of an open door (emissivity-weighted) */
    double door_conv_kw_k;       /* hot gas out / cold air in through an open door */
    /* recirculation fan, HC gas -> SC gas -> back */
    double fan_max_kw_k;    /* gas flow x cp at 100 % fan */
    double sc_nat_kw_k;     /* exchange through the connection with the fan off */
    double ua_charge_kw_tk; /* SC gas -> charge, kW/K per t of metal at 100 % fan (half at 0 %) */
    /* bath */
    double t_amb_c;
    double t_melt_c;       /* 660.3 */
    double cp_solid_kj;    /* 1.05, i.e. 666 kJ/kg from 25 to 660 degC */
    double cp_liquid_kj;   /* 1.18 */
    double latent_kj;      /* 397 */
    double rho_liquid;     /* 2375 kg/m3 */
    double hearth_area_m2; /* bath surface: 27.4 m2 gives 1000 mm at 65 t */
    double hc_split;       /* share of the liquid on the HC side of the partition */
    double pump_max_kg_s;  /* metal pump at 100 % (10 t/min) */
    double bath_mix_kg_s;  /* exchange under the arch with the pump stopped */
    double
        ua_melt_kw_tk; /* bath -> unmelted scrap, kW/K x (t + 0.2)^(2/3), 100 % pump (1/4 at 0) */
    double tap_kg_s;   /* tapping rate */
    double dross_frac; /* share of the melted scrap that becomes dross */
    double dross_cover_kg; /* dross at which the HC gas->bath transfer is cut by a third */
    double skim_kg_s;      /* dross removed while the HC door is open */
    double dross_ox_kg_h;  /* bath surface oxidation at 750 degC and 2 % flue O2, kg/h */
    double dross_ox_double_k; /* ... doubling every this many K of the HC bath */
    /* scrap on the hearth */
    double pyro_k450;        /* pyrolysis rate constant at 450 degC, 1/s */
    double pyro_e_k;         /* activation temperature, K (Arrhenius) */
    double pyro_start_c;     /* no pyrolysis below */
    double hv_default_mj_kg; /* organics heating value when a charge gives none */
    double sc_burn_frac;    /* share of pyrolysis gas burning in the SC at 100 % fan, door closed */
    double sc_burn_door;    /* added share with the charging door fully open */
    double well_burn_tau_s; /* organics pushed into the bath burn off with this time constant */
    double latent_water_mj; /* 2.26 */
    /* combustibles in the HC: pyrolysis gas burns only as far as the oxygen goes */
    double comb_burn_tau_s; /* mixing and burning with oxygen to spare (0.5) */
    double comb_flush_s;    /* unburnt gas leaves in the flue: HC residence at full-fire flow */
    /* gas analysis and pressure */
    double co_base_ppm;
    double co_ppm_per_kg_s; /* CO per kg/s of pyrolysis at 100 % fan (higher with less fan) */
    double co_ppm_unburnt;  /* CO reading per unit share of unburnt gas in the flue (by heat) */
    double p_k_pa;          /* pressure = p_k_pa * (flow / opening)^2 - p_draft_pa */
    double p_draft_pa;
    double p_tau_s;
    double damper_min_open; /* leakage opening of a closed damper, 0..1 */
    double max_substep_s;   /* integration step limit */
    double hold_fan_pct;    /* fan speed assumed by the hot start's steady state */
};

/* One charge on the hearth.  metal_kg == 0 marks a free slot. */
struct phys_charge {
    double metal_kg;
    double temp_c;
    double organics_kg;
    double moisture_kg;
    double hv_j_kg;
};

/* Every joule in and out since init, by path.  Stored energy now minus at init equals
 * in minus out (phys_ledger_in_j, phys_ledger_out_j, phys_stored_j). */
struct phys_ledger {
    double fuel_j;      /* in: burner fuel */
    double pyro_j;      /* in: organics burnt (SC, HC, or off the bath); unburnt gas that
                           leaves in the flue never counts (phys_state.unburnt_kg) */
    double charge_j;    /* in: sensible heat of charges put in above ambient */
    double flue_j;      /* out: flue gas */
    double roof_wall_j; /* out: roof and HC walls */
    double bath_wall_j; /* out: hearth, bath walls, charge well */
    double sc_wall_j;   /* out: SC chamber shell */
    double door_j;      /* out: open doors */
    double tap_j;       /* out: enthalpy of tapped metal */
    double dross_j;     /* out: enthalpy of metal turned to dross */
    double water_j;     /* out: moisture evaporated (latent) */
    /* the breakdown of the paths above (not added again by phys_ledger_in_j/out_j) */
    double flue_fuel_j;  /* of flue_j: the burners' flue share of their fuel */
    double flue_pyro_j;  /* of flue_j: the flue share of the pyrolysis gas burnt in the HC */
    double flue_dil_j;   /* of flue_j: dilution air, blown in cold, out at the HC gas */
    double flue_c_j;     /* integral of fuel power x flue temperature, J degC (its fuel-weighted
                            mean is flue_c_j / fuel_j) */
    /* heat moved inside the furnace (stays in phys_stored_j until it leaves) */
    double hearth_j; /* SC gas -> charges on the hearth, sensible (the scrap's preheat) */
    double lump_j;   /* SC bath -> unmelted lump in the bath, sensible and latent */
    double latent_j; /* of lump_j: latent heat of what melted (scrap and frozen shell) */
};

/* Actuator positions for one step (what the PLC drives). */
struct phys_in {
    double firing_pct; /* burner modulation, 0..100; no fuel unless flame_on */
    bool flame_on;
    double pump_pct;     /* metal pump speed 0..100 */
    double fan_pct;      /* recirculation fan 0..100 */
    double damper_pct;   /* flue damper opening 0..100 */
    double sc_door_open; /* charging door, 0 closed .. 1 fully open */
    double hc_door_open; /* HC (skimming) door */
    bool tap_open;
    double afterburn_pct; /* afterburning air, % of the burners' full-fire air (O2 trim) */
};

struct phys_state {
    double fuel_w; /* lagged fuel power */
    double hc_gas_c, roof_c, sc_gas_c;
    double bath_hc_kg, bath_hc_c;          /* liquid, HC side */
    double bath_sc_kg, bath_sc_c;          /* liquid, SC side and charge well */
    double solid_kg, solid_c;              /* pushed scrap not yet melted (one lump, <= t_melt_c) */
    double shell_kg;                       /* of solid_kg: metal frozen from the bath onto it */
    double well_organics_kg, well_hv_j_kg; /* organics pushed into the bath, burning off */
    double comb_kg, comb_j; /* unburnt pyrolysis gas in the HC: mass, heating value held */
    struct phys_charge hearth[PHYS_MAX_CHARGES];
    double dross_kg;
    double pressure_pa;
    /* derived, refreshed by every step */
    double o2_pct, co_ppm, flue_c, pyro_kg_s, level_mm;
    double comb_burn_w; /* pyrolysis gas burning in the HC now */
    /* counters since init */
    double time_s, melted_kg, tapped_kg, steam_kg; /* steam_kg: water pushed into metal */
    double frozen_kg, remelted_kg; /* bath metal frozen below t_melt_c; melted back (not in
                                      melted_kg, which counts scrap only) */
    double unburnt_kg;             /* pyrolysis gas that left in the flue unburnt */
    double dross_ox_kg;            /* dross from surface oxidation (the rest: melt loss) */
    struct phys_ledger led;
};

void phys_params_default(struct phys_params *p);

/* Hot start: 45 t at 740 degC on both sides and the steady state that holds it with the fan
 * at hold_fan_pct: HC gas (~900 degC at the defaults), roof and SC gas at their steady
 * temperatures, burners at that power (phys_hold_firing_pct). */
void phys_init_hot(struct phys_state *s, const struct phys_params *p);

/* Cold start: a 30 t heel at 700 degC (above the pump's freeze limit), burners off, HC gas
 * and roof at 700 degC, SC gas 400 degC, empty hearth. */
void phys_init_cold(struct phys_state *s, const struct phys_params *p);

/* Advance by dt seconds (any dt >= 0; split into steps of at most max_substep_s). */
void phys_step(struct phys_state *s, const struct phys_params *p, const struct phys_in *in,
               double dt);

/* Put a charge of mass_kg (metal + organics + moisture) on the hearth at temp_c.
 * organics_frac and moisture_frac are shares of mass_kg; hv_mj_kg <= 0 uses the default
 * heating value.  Returns -1 (and changes nothing) if the hearth holds PHYS_MAX_CHARGES
 * charges or a value is out of range, else 0. */
int phys_charge(struct phys_state *s, const struct phys_params *p, double mass_kg, double temp_c,
                double organics_frac, double moisture_frac, double hv_mj_kg);

/* Push everything on the hearth into the bath: the metal joins the unmelted lump, organics
 * left burn off the bath surface, moisture left flashes to steam at once (counted in
 * steam_kg: the hazard pre-drying exists for). */
void phys_push(struct phys_state *s, const struct phys_params *p);

/* Views of the state. */
double phys_metal_kg(const struct phys_state *s);  /* liquid + unmelted, in the bath */
double phys_hearth_kg(const struct phys_state *s); /* on the hearth, as the load cells weigh */
double phys_bath_c(const struct phys_state *s);    /* mass-weighted liquid temperature */
double phys_scrap_surface_c(const struct phys_state *s);
double phys_stored_j(const struct phys_state *s, const struct phys_params *p);
double phys_ledger_in_j(const struct phys_ledger *l);
double phys_ledger_out_j(const struct phys_ledger *l);

/* An energy balance over an interval, from the ledger: phys_mark() at its start,
 * phys_balance() at its end.  Where the heat of fuel and organics went, J:
 *   metal       the scrap melted in the interval, counted from 25 degC solid to t_ref_c
 *               liquid (the design's 325 kWh/t to 750 degC): sensible solid to t_melt_c,
 *               latent, liquid to t_ref_c; of its sensible solid, preheat_j came from the SC
 *               gas on the hearth (including charges still there at the end);
 *   losses      walls (roof, HC walls, hearth, charge well, SC shell), doors, the flue's
 *               three parts (the burners' share, the pyrolysis gas' share, dilution air)
 *               with the fuel-weighted mean flue temperature, dross (enthalpy of metal
 *               turned to dross), water evaporated;
 *   stored      the gas nodes and lining (refractory), and the metal's rest: tapped metal
 *               and the change of bath, lump and hearth less the melted scrap at t_ref_c
 *               (a heel cooler than t_ref_c at the end makes it negative).
 * in_j = fuel_j + organics_j + charge_j; parts_j their sum of the parts; closure_frac =
 * (in_j - parts_j) / in_j: the ledger's integrals against the state's change (zero to
 * rounding).  avail_heat is 1 - flue_fuel_j / fuel_j, the burners' available heat. */
struct phys_mark {
    struct phys_ledger led;
    double stored_j, refr_j, melted_kg, time_s;
};

struct phys_balance {
    double hours, melted_kg;
    double fuel_j, organics_j, charge_j, in_j;
    double metal_solid_j, metal_latent_j, metal_liquid_j, preheat_j;
    double walls_j, door_j, flue_fuel_j, flue_pyro_j, dilution_j, dross_j, water_j;
    double stored_refr_j, stored_metal_j;
    double parts_j, closure_frac;
    double flue_c, avail_heat;
};

void phys_mark(const struct phys_state *s, const struct phys_params *p, struct phys_mark *m);
void phys_balance(const struct phys_state *s, const struct phys_params *p,
                  const struct phys_mark *m, double t_ref_c, struct phys_balance *b);

/* A thermocouple's first-order lag: the reading y after dt seconds of a true value x held
 * over dt, with time constant tau_s (exact for a held input; tau_s <= 0: no lag). */
double phys_lag(double y, double x, double tau_s, double dt);

/* Firing (%) at which the hot-start state is steady; used by phys_init_hot. */
double phys_hold_firing_pct(const struct phys_params *p);

#endif
