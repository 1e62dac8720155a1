/* sim_physics — the lumped thermal model of the twin-chamber furnace.
 *
 * Nodes and their balances (W; T in degC, T4(x) = (x + 273.15)^4, s = Stefan-Boltzmann):
 *
 *   fuel      P' = (P_target - P) / fuel_tau,  P_target = burner * firing  (flame on, else 0)
 *   flue      f = flue_frac_1000 + flue_frac_per_100k * (Tg - 1000) / 100, clamped 0.1..0.8,
 *             fp = f + pyro_flue_extra (clamped the same): the HC receives (1 - f) P +
 *             (1 - fp) Ppyro_hc, the flue takes the rest.  The burners preheat their air in
 *             the regenerators; the pyrolysis gas burns with the cold afterburning air, and
 *             its larger flue volume bypasses them, so less of its heat stays
 *   HC gas    Cg Tg'  = (1-f) P + (1-fp) Ppyro_hc - Qgb - Qjet - Qgr - Qfan - Qdoor_hc - Qdil
 *   roof      Cr Tr'  = Qgr - Qrb - ua_roof (Tr - Ta)
 *   SC gas    Cs Ts'  = Qfan + Ppyro_sc - sum Qcharge - ua_scb (Ts - Tbs) - ua_sc (Ts - Ta)
 *                       - Qdoor_sc
 *   bath HC   m_h cpl Tbh' = Qgb + Qjet + Qrb - Qpump - ua_bhc (Tbh - Ta)
 *   bath SC   m_s cpl Tbs' = Qpump + ua_scb (Ts - Tbs) - Qmelt - ua_bsc (Tbs - Ta)
 *     Qgb = s a_gb d (T4(Tg) - T4(Tbh)), Qgr = s a_gr (T4(Tg) - T4(Tr)),
 *     Qrb = s a_rb d (T4(Tr) - T4(Tbh)), d = 1 - min(dross / dross_cover, 1) / 3
 *     Qjet = ua_jet d (P / burner)^0.8 (Tg - Tbh): the burner jets sweep the bath (forced
 *            convection, Nu ~ Re^0.8; the pyrolysis gas comes over through the fan duct and
 *            burns slowly, high in the chamber).  Radiation alone cannot give the figure
 *            table: a bath that holds at 740 with the atmosphere at ~900 would gain only
 *            ~3.5x its holding input at 1150 (T^4), far short of the ~4 MW a 6-10 t/h melt
 *            rate needs; the jets grow with the firing as well as with Tg - Tbh
 *     Qdil = X air_kg_mj cp_air (Tg - Ta): dilution air X (W of fuel it could burn) = air -
 *            burnt - ((air_ratio - 1) P + base_air burner), >= 0: the air that burns nothing
 *            beyond the burners' own excess (which f pays for) comes in cold and leaves at Tg
 *            in the flue (the excess-air mode's cooling: ~0.44 MW per MW of air at 1150 degC);
 *            it also adds X to the flue flow q of the pressure
 *     Qfan = (fan * fan_max + sc_nat) (Tg - Ts)
 *     Qpump = (pump * pump_max + bath_mix) cpl (Tbh - Tbs)
 *     Qdoor = open * (s a_door (T4(T) - T4(Ta)) + door_conv (T - Ta))
 *   charge i  m cps T' = Qcharge = ua_charge m (0.5 + 0.5 fan) (Ts - T); while wet, the charge
 *             stops at 100 degC and the heat evaporates water (latent_water) first
 *   organics  m_o' = -k(T) m_o, k = A(T) - A(pyro_start) above pyro_start (no step at the
 *             onset), A(T) = pyro_k450 exp(pyro_e (1/723.15 - 1/(T + 273.15))); the gas
 *             burns: share sc_burn * fan (+ sc_burn_door * door) in the SC (door closed, its
 *             oxygen comes only with the recirculated gas), the rest comes over to the HC's
 *             combustibles, with the organics burning off the bath (well_burn_tau)
 *   HC gas    combustibles E (J of heating value, m kg) burn only as far as the oxygen goes:
 *   burning   Ppyro_hc = min(E / comb_burn_tau, air - P) (air as below, in the fuel power it
 *             can burn); what does not burn stays in the HC and leaves unburnt in the flue
 *             with the residence time comb_flush / q (q as for the pressure).  With oxygen
 *             to spare ~comb_burn_tau / (comb_flush / q), 0.5-2.5 %, leaves unburnt; with
 *             none, no heat at all, the inventory grows and burns when the air comes back
 *   unmelted  Qmelt = ua_melt (m_t + 0.2)^(2/3) (0.25 + 0.75 pump) (Tbs - Tsol) raises Tsol
 *             to t_melt, then melts dm = Q / latent into the SC liquid (the frozen shell
 *             first; dross_frac of the scrap becomes dross, its oxide skin)
 *   freezing  a bath side below t_melt freezes: dm = m cpl (Tm - T) / latent joins the lump
 *             as its shell and the liquid stays at Tm (enthalpy kept exactly); at least
 *             500 kg stays liquid on each side (below that it cools, a model limit)
 *   dross     the HC bath oxidises at dross_ox_kg_h (O2 / 2 %) 2^((Tbh - 750) / dross_ox_
 *             double_k) kg/h: 15 kg/h at 750 degC and 2 % O2, doubling every 50 K, none
 *             without O2 (the metal leaves with its enthalpy; the oxidation heat is neglected)
 *   tap       m_h' = -tap_kg_s while open (not below 5 t of liquid)
 *   level     (liquid + unmelted) / (rho * area);  the liquid is redistributed every step so
 *             the HC side holds hc_split of it (the level equalises under the arch)
 *   pressure  p' = (K (q / o)^2 - draft - p) / p_tau, q = (P + Ppyro) / burner * (Tg+273)/1273
 *             + 0.05, o = damper_min + (1 - damper_min) damper; an open door vents it
 *   O2        20.9 * excess / (air + 0.06 burnt), air = lambda P + base_air burner
 *             + afterburn lambda burner (the PLC's O2 trim), excess = air - P - Ppyro_hc >= 0
 *             (dry-flue approximation for natural gas; the afterburning air's heat leaves
 *             in the flue share fp of what it burns)
 *   CO        co_base + co_per_kg_s pyro / (0.2 + 0.8 fan) + co_unburnt u / (1 + u), u the
 *             unburnt gas leaving (W of heating value) over air + burnt: the analyser reads
 *             percent-level CO from a fuel-rich HC (clamped at 30000 ppm, its range)
 *   sensors   phys_lag: a thermocouple's first-order lag y' = (x - y) / tau, stepped exactly
 *             for an input held over dt (the PLC gives each sensor its own tau)
 *
 * Integration: explicit Euler, all flows from the start-of-step state, each applied to both
 * of its nodes, so the ledger closes to rounding.  Liquid enthalpy per kg is affine in T
 * (h = cps (Tm - Ta) + latent + cpl (T - Tm)), so mixing by mass-weighted temperature
 * conserves it exactly.  Steps are split at max_substep_s.  Conductance/capacity ratios at
 * the defaults stay below ~0.1 /s (the pump across the SC side of a 5 t bath; ~0.05 /s for
 * the SC gas with four charges), so 1 s is well inside the stability limit (2 /s).  The
 * unmelted lump, whose capacity vanishes as it melts, is bounded explicitly: it can neither
 * pass t_melt without melting nor be cooled below the liquid around it.
 *
 * Energy balance (phys_balance): the ledger also counts, as breakdowns, the flue's three
 * parts (f P, fp Ppyro_hc, Qdil) and the fuel-weighted flue temperature, and as heat moved
 * inside the furnace the hearth's preheat (sum Qcharge less evaporation) and the lump's Qmelt
 * with its latent part; an interval's balance is two ledgers and two states apart.
 *
 * Simplifications: organics and water carry no heat capacity; pyrolysis is thermally neutral;
 * the pyrolysis gas needs the same air per joule as natural gas; the SC's share burns
 * whatever the HC's O2; metal frozen on either side joins the one lump melted from the SC
 * side; oxidation releases no heat; metal on the hearth never passes t_melt_c.  Only what
 * burns counts as pyro_j: unburnt gas leaves the ledger's scope (counted in unburnt_kg).
 *
 * Calibration (simhw/README.md, 'Typical figures'; tests/test_sim_physics.c measures each):
 *   holding 740 degC: 15.2 % firing (1.2 MW), HC gas 895, roof 845, empty SC with the fan
 *     stopped 580 (sc_nat is only leakage: the chambers exchange gas through the fan),
 *     walls 0.79 MW; available heat 0.65 of the fuel at 900 degC, 0.61 at 1115 degC, 0.46
 *     of the pyrolysis gas;
 *   full fire, bath at 735: HC gas 1115, the bath gains 4.1 MW net (jets 3.8 MW);
 *     cold 3 t pushed at full fire: 12 t/h with the HC gas below 1150;
 *   3 t into 62 t at 750, no heat: -46 K cold, -26 K at 500 degC; burners off: ~29 K in
 *     the first hour (then ~17 K/h over hours 2-4 as the bath reaches 660 and freezes: it
 *     was ~33 K/h down to ~610 degC while the model never froze metal);
 *   O2-limited burning: with the PLC's O2 trim the test cycle's fuel stays 491 kWh/t (489
 *     before), CO max 8600 ppm; without air, no heat and the gas piles up in the HC;
 *   c_roof: the roof's hot face over a melt cycle (~3 cm of a 40 m2 roof and the HC walls),
 *     not its whole thickness, which held the heat of a recovery for an hour;
 *   ua_charge, pyro kinetics: a 3 t charge under a 550 degC SC gas dries and pyrolyses in
 *     15-17 min (design figure: about 30 min at ~500 degC), 300-550 degC, peak ~430 degC;
 *   ua_melt: pushed scrap melts in 8 min (500 degC) to 12 min (cold) in the pumped bath;
 *   holding, the SC side sits 3.9 / 2.0 / 1.4 K under the HC side at 30 / 60 / 90 % pump
 *     (its ~250 kW sink over the pump's conductance);
 *   tap 20 kg/s (a taphole into a transfer crucible); p_k: with the damper open the flue
 *     passes the burners at full fire and 2.5 MW of pyrolysis gas at ~15 Pa.
 */
#include "sim_physics.h"

#include <math.h>
#include <string.h>

#define SIGMA 5.670374e-8
#define TAP_MIN_LIQUID_KG 5000.0
#define FREEZE_MIN_LIQUID_KG 500.0 /* a side never freezes below this (it cools instead) */
#define T_DRY_C 100.0
#define MELT_FLOOR_T 0.2 /* t: the last of a lump still has surface */
#define JET_EXP 0.8      /* forced convection: Nu ~ Re^0.8 */

static const struct phys_params phys_defaults = {
    .burner_mw = 8.0,
    .fuel_tau_s = 4.0,
    .flue_frac_1000 = 0.37,
    .flue_frac_per_100k = 0.02,
    .pyro_flue_extra = 0.15,
    .air_ratio = 1.10,
    .base_air_frac = 0.01,
    .flue_rise_k = 80.0,
    .air_kg_mj = 0.345,
    .cp_air_kj = 1.13,
    .c_hc_gas_mj_k = 2.5,
    .c_roof_mj_k = 8.0,
    .c_sc_gas_mj_k = 1.0,
    .a_gas_bath_m2 = 2.0,
    .a_gas_roof_m2 = 20.0,
    .a_roof_bath_m2 = 3.5,
    .ua_jet_bath_kw_k = 10.0,
    .ua_roof_loss_kw_k = 0.3,
    .ua_bath_hc_loss_kw_k = 0.39,
    .ua_bath_sc_loss_kw_k = 0.22,
    .ua_sc_loss_kw_k = 0.2,
    .ua_sc_bath_kw_k = 0.6,
    .door_a_m2 = 3.0,
    .door_conv_kw_k = 0.30,
    .fan_max_kw_k = 7.0,
    .sc_nat_kw_k = 0.05,
    .ua_charge_kw_tk = 3.5,
    .t_amb_c = 25.0,
    .t_melt_c = 660.3,
    .cp_solid_kj = 1.05,
    .cp_liquid_kj = 1.18,
    .latent_kj = 397.0,
    .rho_liquid = 2375.0,
    .hearth_area_m2 = 27.37,
    .hc_split = 0.65,
    .pump_max_kg_s = 10000.0 / 60.0,
    .bath_mix_kg_s = 5.0,
    .ua_melt_kw_tk = 40.0,
    .tap_kg_s = 20.0,
    .dross_frac = 0.02,
    .dross_cover_kg = 3000.0,
    .skim_kg_s = 2.0,
    .dross_ox_kg_h = 15.0,
    .dross_ox_double_k = 50.0,
    .pyro_k450 = 1.0 / 200.0,
    .pyro_e_k = 6000.0,
    .pyro_start_c = 280.0,
    .hv_default_mj_kg = 30.0,
    .sc_burn_frac = 0.05,
    .sc_burn_door = 0.40,
    .well_burn_tau_s = 300.0,
    .latent_water_mj = 2.26,
    .comb_burn_tau_s = 0.5,
    .comb_flush_s = 20.0,
    .co_base_ppm = 30.0,
    .co_ppm_per_kg_s = 15000.0,
    .co_ppm_unburnt = 50000.0,
    .p_k_pa = 7.5,
    .p_draft_pa = 2.0,
    .p_tau_s = 2.0,
    .damper_min_open = 0.05,
    .max_substep_s = 1.0,
    .hold_fan_pct = 0.0,
};

static double clampd(double v, double lo, double hi)
{
    if (!(v >= lo)) /* also catches NaN */
        return lo;
    return v > hi ? hi : v;
}

static double t4(double c)
{
    double k = c + 273.15;
    double k2 = k * k;
    return k2 * k2;
}

/* Forced convection of the burner jets onto the HC bath at fuel power fuel_w, W (clean
 * bath). */
static double jet_w(const struct phys_params *p, double fuel_w, double tg, double tb)
{
    double load = fuel_w / (p->burner_mw * 1e6);
    if (!(load > 0))
        return 0;
    return p->ua_jet_bath_kw_k * 1e3 * pow(load, JET_EXP) * (tg - tb);
}

/* Liquid aluminium enthalpy per kg above 25 degC solid. */
static double h_liquid(const struct phys_params *p, double t)
{
    return p->cp_solid_kj * 1e3 * (p->t_melt_c - p->t_amb_c) + p->latent_kj * 1e3 +
           p->cp_liquid_kj * 1e3 * (t - p->t_melt_c);
}

static double flue_frac(const struct phys_params *p, double tg)
{
    return clampd(p->flue_frac_1000 + p->flue_frac_per_100k * (tg - 1000.0) / 100.0, 0.1, 0.8);
}

static double dross_factor(const struct phys_params *p, double dross_kg)
{
    if (p->dross_cover_kg <= 0)
        return 1.0;
    return 1.0 - clampd(dross_kg / p->dross_cover_kg, 0, 1) / 3.0;
}

static double arrhenius(const struct phys_params *p, double t)
{
    return p->pyro_k450 * exp(p->pyro_e_k * (1.0 / 723.15 - 1.0 / (t + 273.15)));
}

/* Pyrolysis rate constant, 1/s: zero at pyro_start and rising from there without a step. */
static double pyro_k(const struct phys_params *p, double t)
{
    if (t <= p->pyro_start_c)
        return 0;
    return arrhenius(p, t) - arrhenius(p, p->pyro_start_c);
}

/* Move mass dm (>= 0) of liquid at temperature tfrom into (m, t); returns the new t. */
static double mix_in(double m, double t, double dm, double tfrom)
{
    return m + dm > 0 ? (m * t + dm * tfrom) / (m + dm) : tfrom;
}

/* Put heat e (J, may be negative) into a charge: wet scrap stops at 100 degC until dry.
 * Returns the heat that went into evaporation. */
static double charge_heat(const struct phys_params *p, struct phys_charge *c, double e)
{
    double cap = c->metal_kg * p->cp_solid_kj * 1e3;
    double lw = p->latent_water_mj * 1e6;
    double evap = 0;
    if (e > 0 && c->moisture_kg > 0) {
        if (c->temp_c < T_DRY_C) {
            double need = cap * (T_DRY_C - c->temp_c);
            if (e <= need) {
                c->temp_c += e / cap;
                return 0;
            }
            c->temp_c = T_DRY_C;
            e -= need;
        }
        double dw = e / lw;
        if (dw >= c->moisture_kg)
            dw = c->moisture_kg;
        c->moisture_kg -= dw;
        evap = dw * lw;
        e -= evap;
    }
    c->temp_c += e / cap;
    return evap;
}

static void rebalance(struct phys_state *s, const struct phys_params *p)
{
    double target = p->hc_split * (s->bath_hc_kg + s->bath_sc_kg);
    double d = target - s->bath_hc_kg;
    if (d > 0) {
        s->bath_hc_c = mix_in(s->bath_hc_kg, s->bath_hc_c, d, s->bath_sc_c);
        s->bath_hc_kg += d;
        s->bath_sc_kg -= d;
    } else if (d < 0) {
        s->bath_sc_c = mix_in(s->bath_sc_kg, s->bath_sc_c, -d, s->bath_hc_c);
        s->bath_sc_kg -= d;
        s->bath_hc_kg += d;
    }
}

/* Combustion air, as fuel power it can burn (W): the burners' at their air ratio, the
 * leakage, and the afterburning air (a share of the burners' full-fire air). */
static double air_w(const struct phys_params *p, double fuel_w, double afterburn)
{
    double burner_w = p->burner_mw * 1e6;
    return p->air_ratio * (fuel_w + afterburn * burner_w) + p->base_air_frac * burner_w;
}

/* Dilution air (W of fuel it could burn): the air that burns nothing beyond the burners'
 * own excess at their air ratio (which flue_frac already pays for).  Blown in cold, it
 * leaves at the HC gas temperature: the excess-air mode's cooling, and more flue volume. */
static double dilution_w(const struct phys_params *p, double fuel_w, double afterburn,
                         double burnt_w)
{
    double own = (p->air_ratio - 1.0) * fuel_w + p->base_air_frac * p->burner_mw * 1e6;
    double x = air_w(p, fuel_w, afterburn) - burnt_w - own;
    return x > 0 ? x : 0;
}

/* Residence time (s) of the HC's gas at the flue flow that burning burnt_w makes: the time
 * constant with which unburnt gas leaves in the flue. */
static double flush_tau(const struct phys_params *p, const struct phys_state *s, double burnt_w)
{
    double q = burnt_w / (p->burner_mw * 1e6) * (s->hc_gas_c + 273.15) / 1273.15 + 0.05;
    return p->comb_flush_s / (q > 0.05 ? q : 0.05);
}

/* Bath below t_melt_c freezes: the liquid (m, t) goes back to t_melt_c and the latent heat
 * of the metal that freezes pays for it, dm = m cpl (Tm - t) / latent (enthalpy kept
 * exactly); the frozen metal joins the unmelted lump as its shell.  Returns dm. */
static double freeze(struct phys_state *s, const struct phys_params *p, double *m, double *t)
{
    if (!(*t < p->t_melt_c) || *m <= 0)
        return 0;
    double deficit = *m * p->cp_liquid_kj * 1e3 * (p->t_melt_c - *t); /* J */
    double dm = deficit / (p->latent_kj * 1e3);
    if (dm > *m - FREEZE_MIN_LIQUID_KG) /* a frozen furnace: keep a pool (model limit) */
        dm = *m > FREEZE_MIN_LIQUID_KG ? *m - FREEZE_MIN_LIQUID_KG : 0;
    if (dm <= 0)
        return 0;
    *t = p->t_melt_c - (deficit - dm * p->latent_kj * 1e3) / ((*m - dm) * p->cp_liquid_kj * 1e3);
    *m -= dm;
    s->solid_c = s->solid_kg + dm > 0
                     ? (s->solid_kg * s->solid_c + dm * p->t_melt_c) / (s->solid_kg + dm)
                     : p->t_melt_c;
    s->solid_kg += dm;
    s->shell_kg += dm;
    s->frozen_kg += dm;
    return dm;
}

/* O2, pressure target and the rest of the derived values from the current state. */
static double pressure_target(const struct phys_params *p, const struct phys_state *s,
                              double burnt_w, double damper, double door)
{
    double burner_w = p->burner_mw * 1e6;
    double q = burnt_w / burner_w * (s->hc_gas_c + 273.15) / 1273.15 + 0.05;
    double o = p->damper_min_open + (1.0 - p->damper_min_open) * damper;
    return (p->p_k_pa * (q / o) * (q / o) - p->p_draft_pa) * (1.0 - 0.9 * door);
}

static void derive(struct phys_state *s, const struct phys_params *p, double pyro_hc_w,
                   double pyro_kg_s, double fan, double afterburn)
{
    double burner_w = p->burner_mw * 1e6;
    double air = air_w(p, s->fuel_w, afterburn);
    double burnt = s->fuel_w + pyro_hc_w;
    double excess = air - burnt;
    s->o2_pct = excess > 0 ? clampd(20.9 * excess / (air + 0.06 * burnt), 0, 20.9) : 0;
    s->pyro_kg_s = pyro_kg_s;
    s->comb_burn_w = pyro_hc_w;
    double co = p->co_base_ppm + p->co_ppm_per_kg_s * pyro_kg_s / (0.2 + 0.8 * fan);
    double out_w = s->comb_j / flush_tau(p, s, burnt);
    if (out_w > 0)
        co += p->co_ppm_unburnt * out_w / (air + burnt + out_w);
    s->co_ppm = clampd(co, 0, 30000.0);
    s->flue_c = s->hc_gas_c + p->flue_rise_k * s->fuel_w / burner_w;
    s->level_mm = phys_metal_kg(s) / (p->rho_liquid * p->hearth_area_m2) * 1000.0;
}

/* One Euler step of h seconds. */
static void step1(struct phys_state *s, const struct phys_params *p, const struct phys_in *in,
                  double h)
{
    const double cps = p->cp_solid_kj * 1e3, cpl = p->cp_liquid_kj * 1e3;
    const double lat = p->latent_kj * 1e3, ta = p->t_amb_c;
    const double fire = clampd(in->firing_pct, 0, 100) / 100.0;
    const double pump = clampd(in->pump_pct, 0, 100) / 100.0;
    const double fan = clampd(in->fan_pct, 0, 100) / 100.0;
    const double damper = clampd(in->damper_pct, 0, 100) / 100.0;
    const double dsc = clampd(in->sc_door_open, 0, 1), dhc = clampd(in->hc_door_open, 0, 1);
    const double afterburn = clampd(in->afterburn_pct, 0, 1000) / 100.0;
    const double tg = s->hc_gas_c, tr = s->roof_c, ts = s->sc_gas_c;
    const double tbh = s->bath_hc_c, tbs = s->bath_sc_c;
    struct phys_ledger *led = &s->led;

    double target = in->flame_on ? fire * p->burner_mw * 1e6 : 0;
    s->fuel_w += (target - s->fuel_w) * (1.0 - exp(-h / p->fuel_tau_s));
    double fuel_j = s->fuel_w * h;

    /* scrap on the hearth: heating, drying, pyrolysis */
    double charge_j = 0, pyro_j = 0, pyro_kg = 0;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++) {
        struct phys_charge *c = &s->hearth[i];
        if (c->metal_kg <= 0)
            continue;
        double ua = p->ua_charge_kw_tk * c->metal_kg * (0.5 + 0.5 * fan); /* W/K: kW/t = W/kg */
        double e = ua * (ts - c->temp_c) * h;
        double room = c->metal_kg * cps * (p->t_melt_c - 1.0 - c->temp_c);
        if (e > room)
            e = room > 0 ? room : 0;
        charge_j += e;
        double evap = charge_heat(p, c, e);
        led->water_j += evap;
        led->hearth_j += e - evap;
        double k = pyro_k(p, c->temp_c);
        if (k > 0 && c->organics_kg > 0) {
            double dm = c->organics_kg * (1.0 - exp(-k * h));
            c->organics_kg -= dm;
            pyro_kg += dm;
            pyro_j += dm * c->hv_j_kg;
        }
    }
    double f_sc = clampd(p->sc_burn_frac * fan + p->sc_burn_door * dsc, 0, 1);
    double pyro_sc_j = f_sc * pyro_j;
    s->comb_kg += (1.0 - f_sc) * pyro_kg; /* the rest comes over to the HC */
    s->comb_j += pyro_j - pyro_sc_j;
    if (s->well_organics_kg > 0) {
        double dm = s->well_organics_kg * (1.0 - exp(-h / p->well_burn_tau_s));
        s->well_organics_kg -= dm;
        pyro_kg += dm;
        s->comb_kg += dm;
        s->comb_j += dm * s->well_hv_j_kg;
    }
    /* the HC's combustibles burn as far as the oxygen left by the burners goes; what does
     * not burn stays (a fuel-rich chamber) and leaves unburnt with the flue gas */
    double pyro_hc_j = 0;
    if (s->comb_j > 0) {
        double avail = air_w(p, s->fuel_w, afterburn) - s->fuel_w;
        double want = s->comb_j * (1.0 - exp(-h / p->comb_burn_tau_s));
        pyro_hc_j = clampd(want, 0, avail > 0 ? avail * h : 0);
        double left = s->comb_j - pyro_hc_j;
        double out = left * (1.0 - exp(-h / flush_tau(p, s, s->fuel_w + pyro_hc_j / h)));
        double kg_out = s->comb_kg * (pyro_hc_j + out) / s->comb_j;
        s->unburnt_kg += s->comb_kg * out / s->comb_j;
        s->comb_kg -= kg_out;
        s->comb_j = left - out;
        if (s->comb_j < 1.0 || s->comb_kg <= 0) /* below a joule: gone */
            s->comb_j = s->comb_kg = 0;
    }
    pyro_j = pyro_sc_j + pyro_hc_j; /* the heat released: only what burnt */

    /* unmelted scrap in the bath */
    double melt_j = 0, melted = 0;
    if (s->solid_kg > 0) {
        double ua = p->ua_melt_kw_tk * 1e3 * pow(s->solid_kg / 1000.0 + MELT_FLOOR_T, 2.0 / 3.0) *
                    (0.25 + 0.75 * pump);
        double e = ua * (tbs - s->solid_c) * h;
        if (e < 0 && e < s->solid_kg * cps * (tbs - s->solid_c))
            e = s->solid_kg * cps * (tbs - s->solid_c); /* never colder than the liquid */
        melt_j = e;
        double need = s->solid_kg * cps * (p->t_melt_c - s->solid_c);
        if (e <= need) {
            s->solid_c += e / (s->solid_kg * cps);
        } else {
            s->solid_c = p->t_melt_c;
            e -= need;
            melted = e / lat;
            if (melted >= s->solid_kg) {
                melted = s->solid_kg;
                melt_j -= e - melted * lat; /* the rest never left the liquid */
            }
            s->solid_kg -= melted;
        }
        led->lump_j += melt_j;
        led->latent_j += melted * lat;
    }

    /* heat exchange between the nodes */
    double d = dross_factor(p, s->dross_kg);
    double q_gb = SIGMA * p->a_gas_bath_m2 * d * (t4(tg) - t4(tbh));
    double q_jet = jet_w(p, s->fuel_w, tg, tbh) * d;
    double q_gr = SIGMA * p->a_gas_roof_m2 * (t4(tg) - t4(tr));
    double q_rb = SIGMA * p->a_roof_bath_m2 * d * (t4(tr) - t4(tbh));
    double q_rl = p->ua_roof_loss_kw_k * 1e3 * (tr - ta);
    double q_fan = (fan * p->fan_max_kw_k + p->sc_nat_kw_k) * 1e3 * (tg - ts);
    double q_sgb = p->ua_sc_bath_kw_k * 1e3 * (ts - tbs);
    double q_sgl = p->ua_sc_loss_kw_k * 1e3 * (ts - ta);
    double q_bhl = p->ua_bath_hc_loss_kw_k * 1e3 * (tbh - ta);
    double q_bsl = p->ua_bath_sc_loss_kw_k * 1e3 * (tbs - ta);
    double q_pump = (pump * p->pump_max_kg_s + p->bath_mix_kg_s) * cpl * (tbh - tbs);
    double q_dhc =
        dhc * (SIGMA * p->door_a_m2 * (t4(tg) - t4(ta)) + p->door_conv_kw_k * 1e3 * (tg - ta));
    double q_dsc =
        dsc * (SIGMA * p->door_a_m2 * (t4(ts) - t4(ta)) + p->door_conv_kw_k * 1e3 * (ts - ta));
    double ff = flue_frac(p, tg);
    double ffp = clampd(ff + p->pyro_flue_extra, 0.1, 0.8);
    double burnt_j = fuel_j + pyro_hc_j;
    double dil_w = dilution_w(p, s->fuel_w, afterburn, burnt_j / h);
    double q_dil = dil_w * 1e-6 * p->air_kg_mj * p->cp_air_kj * 1e3 * (tg - ta);
    double flue_j = ff * fuel_j + ffp * pyro_hc_j + h * q_dil;

    s->hc_gas_c +=
        (burnt_j - flue_j - h * (q_gb + q_jet + q_gr + q_fan + q_dhc)) / (p->c_hc_gas_mj_k * 1e6);
    s->roof_c += h * (q_gr - q_rb - q_rl) / (p->c_roof_mj_k * 1e6);
    s->sc_gas_c +=
        (pyro_sc_j - charge_j + h * (q_fan - q_sgb - q_sgl - q_dsc)) / (p->c_sc_gas_mj_k * 1e6);
    s->bath_hc_c += h * (q_gb + q_jet + q_rb - q_pump - q_bhl) / (s->bath_hc_kg * cpl);
    s->bath_sc_c += (h * (q_pump + q_sgb - q_bsl) - melt_j) / (s->bath_sc_kg * cpl);

    led->fuel_j += fuel_j;
    led->pyro_j += pyro_j;
    led->flue_j += flue_j;
    led->roof_wall_j += h * q_rl;
    led->bath_wall_j += h * (q_bhl + q_bsl);
    led->sc_wall_j += h * q_sgl;
    led->door_j += h * (q_dhc + q_dsc);
    led->flue_fuel_j += ff * fuel_j;
    led->flue_pyro_j += ffp * pyro_hc_j;
    led->flue_dil_j += h * q_dil;
    led->flue_c_j += fuel_j * (tg + p->flue_rise_k * s->fuel_w / (p->burner_mw * 1e6));

    /* mass moves: melt into the SC side, tap from the HC side, skim, level out */
    if (melted > 0) {
        double shell = fmin(melted, s->shell_kg); /* the frozen shell melts back first */
        s->shell_kg -= shell;
        s->remelted_kg += shell;
        double dd = (melted - shell) * p->dross_frac; /* melt loss of the scrap only */
        double dl = melted - dd;
        s->bath_sc_c = mix_in(s->bath_sc_kg, s->bath_sc_c, dl, p->t_melt_c);
        s->bath_sc_kg += dl;
        s->dross_kg += dd;
        led->dross_j += dd * h_liquid(p, p->t_melt_c);
        s->melted_kg += melted - shell;
    }
    if (s->solid_kg <= 0)
        s->shell_kg = 0;
    /* surface oxidation of the HC bath: dross from temperature and O2 (the metal leaves
     * the liquid with its enthalpy; the heat of oxidation is neglected) */
    if (p->dross_ox_kg_h > 0 && p->dross_ox_double_k > 0 && s->bath_hc_kg > TAP_MIN_LIQUID_KG) {
        double dm = p->dross_ox_kg_h / 3600.0 * h * s->o2_pct / 2.0 *
                    exp(log(2.0) * (s->bath_hc_c - 750.0) / p->dross_ox_double_k);
        dm = clampd(dm, 0, 0.01 * s->bath_hc_kg);
        led->dross_j += dm * h_liquid(p, s->bath_hc_c);
        s->bath_hc_kg -= dm;
        s->dross_kg += dm;
        s->dross_ox_kg += dm;
    }
    /* metal below the melting point freezes onto the lump (the heat it gives up is its
     * latent heat: nothing leaves the ledger) */
    freeze(s, p, &s->bath_sc_kg, &s->bath_sc_c);
    freeze(s, p, &s->bath_hc_kg, &s->bath_hc_c);
    if (in->tap_open) {
        double room = s->bath_hc_kg + s->bath_sc_kg - TAP_MIN_LIQUID_KG;
        double dm = clampd(p->tap_kg_s * h, 0, room > 0 ? room : 0);
        if (dm > 0.5 * s->bath_hc_kg)
            dm = 0.5 * s->bath_hc_kg;
        led->tap_j += dm * h_liquid(p, s->bath_hc_c);
        s->bath_hc_kg -= dm;
        s->tapped_kg += dm;
    }
    if (dhc > 0 && s->dross_kg > 0)
        s->dross_kg = clampd(s->dross_kg - p->skim_kg_s * dhc * h, 0, s->dross_kg);
    rebalance(s, p);

    double pt = pressure_target(p, s, burnt_j / h + dil_w, damper, dsc > dhc ? dsc : dhc);
    s->pressure_pa += (pt - s->pressure_pa) * (1.0 - exp(-h / p->p_tau_s));
    derive(s, p, pyro_hc_j / h, pyro_kg / h, fan, afterburn);
    s->time_s += h;
}

void phys_params_default(struct phys_params *p)
{
    *p = phys_defaults;
}

void phys_step(struct phys_state *s, const struct phys_params *p, const struct phys_in *in,
               double dt)
{
    if (!(dt > 0))
        return;
    double hmax = p->max_substep_s > 0 ? p->max_substep_s : 1.0;
    int n = (int)ceil(dt / hmax);
    if (n < 1)
        n = 1;
    for (int i = 0; i < n; i++)
        step1(s, p, in, dt / n);
}

/* Roof temperature at which its balance is zero, for given gas and bath temperatures. */
static double roof_steady(const struct phys_params *p, double tg, double tb)
{
    double lo = tb, hi = tg;
    for (int i = 0; i < 60; i++) {
        double tr = 0.5 * (lo + hi);
        double g = SIGMA * p->a_gas_roof_m2 * (t4(tg) - t4(tr)) -
                   SIGMA * p->a_roof_bath_m2 * (t4(tr) - t4(tb)) -
                   p->ua_roof_loss_kw_k * 1e3 * (tr - p->t_amb_c);
        if (g > 0)
            lo = tr;
        else
            hi = tr;
    }
    return 0.5 * (lo + hi);
}

struct hold {
    double tg, tr, ts, fuel_w;
};

/* Fuel power whose HC gas balance is zero at gas tg, roof tr, SC gas ts, bath tb (the jets
 * take a share that grows with the fuel: bisect). */
static double hold_fuel(const struct phys_params *p, double g, double tg, double tr, double ts,
                        double tb)
{
    double fixed = SIGMA * p->a_gas_bath_m2 * (t4(tg) - t4(tb)) +
                   SIGMA * p->a_gas_roof_m2 * (t4(tg) - t4(tr)) + g * (tg - ts);
    double keep = 1.0 - flue_frac(p, tg), lo = 0, hi = 4.0 * p->burner_mw * 1e6;
    for (int i = 0; i < 60; i++) {
        double f = 0.5 * (lo + hi);
        if (keep * f < fixed + jet_w(p, f, tg, tb))
            lo = f;
        else
            hi = f;
    }
    return 0.5 * (lo + hi);
}

/* The steady state that holds the whole bath at tb with the fan at hold_fan_pct: bisect the
 * HC gas temperature for the bath balance, the fuel read off the HC gas balance at each. */
static struct hold hold_solve(const struct phys_params *p, double tb)
{
    double g = (p->hold_fan_pct / 100.0 * p->fan_max_kw_k + p->sc_nat_kw_k) * 1e3;
    double ua_sb = p->ua_sc_bath_kw_k * 1e3, ua_sl = p->ua_sc_loss_kw_k * 1e3;
    double loss = (p->ua_bath_hc_loss_kw_k + p->ua_bath_sc_loss_kw_k) * 1e3 * (tb - p->t_amb_c);
    double lo = tb, hi = 2000.0;
    struct hold r = {0};
    for (int i = 0; i < 60; i++) {
        r.tg = 0.5 * (lo + hi);
        r.tr = roof_steady(p, r.tg, tb);
        r.ts = (g * r.tg + ua_sb * tb + ua_sl * p->t_amb_c) / (g + ua_sb + ua_sl);
        r.fuel_w = hold_fuel(p, g, r.tg, r.tr, r.ts, tb);
        double in = SIGMA * p->a_gas_bath_m2 * (t4(r.tg) - t4(tb)) + jet_w(p, r.fuel_w, r.tg, tb) +
                    SIGMA * p->a_roof_bath_m2 * (t4(r.tr) - t4(tb)) + ua_sb * (r.ts - tb);
        if (in < loss)
            lo = r.tg;
        else
            hi = r.tg;
    }
    return r;
}

#define HOT_BATH_KG 45000.0
#define HOT_BATH_C 740.0
#define COLD_BATH_KG 30000.0
#define COLD_BATH_C 700.0

double phys_hold_firing_pct(const struct phys_params *p)
{
    return 100.0 * hold_solve(p, HOT_BATH_C).fuel_w / (p->burner_mw * 1e6);
}

static void init_common(struct phys_state *s, const struct phys_params *p, double bath_kg,
                        double bath_c)
{
    memset(s, 0, sizeof *s);
    s->bath_hc_kg = p->hc_split * bath_kg;
    s->bath_sc_kg = bath_kg - s->bath_hc_kg;
    s->bath_hc_c = s->bath_sc_c = bath_c;
    s->solid_c = p->t_amb_c;
}

void phys_init_hot(struct phys_state *s, const struct phys_params *p)
{
    init_common(s, p, HOT_BATH_KG, HOT_BATH_C);
    struct hold h = hold_solve(p, HOT_BATH_C);
    s->fuel_w = h.fuel_w;
    s->hc_gas_c = h.tg;
    s->roof_c = h.tr;
    s->sc_gas_c = h.ts;
    s->pressure_pa = pressure_target(p, s, s->fuel_w, 0.5, 0);
    derive(s, p, 0, 0, p->hold_fan_pct / 100.0, 0);
}

void phys_init_cold(struct phys_state *s, const struct phys_params *p)
{
    init_common(s, p, COLD_BATH_KG, COLD_BATH_C);
    s->hc_gas_c = s->roof_c = COLD_BATH_C;
    s->sc_gas_c = 400.0;
    s->pressure_pa = pressure_target(p, s, 0, 0.5, 0);
    derive(s, p, 0, 0, 0, 0);
}

int phys_charge(struct phys_state *s, const struct phys_params *p, double mass_kg, double temp_c,
                double organics_frac, double moisture_frac, double hv_mj_kg)
{
    if (!(mass_kg > 0 && mass_kg <= 20000.0) || !(temp_c >= -40 && temp_c < p->t_melt_c) ||
        !(organics_frac >= 0) || !(moisture_frac >= 0) || !(organics_frac + moisture_frac < 0.9) ||
        !(hv_mj_kg <= 100.0) || isnan(hv_mj_kg))
        return -1;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++) {
        struct phys_charge *c = &s->hearth[i];
        if (c->metal_kg > 0)
            continue;
        c->metal_kg = mass_kg * (1.0 - organics_frac - moisture_frac);
        c->organics_kg = mass_kg * organics_frac;
        c->moisture_kg = mass_kg * moisture_frac;
        c->temp_c = temp_c;
        c->hv_j_kg = (hv_mj_kg > 0 ? hv_mj_kg : p->hv_default_mj_kg) * 1e6;
        s->led.charge_j += c->metal_kg * p->cp_solid_kj * 1e3 * (temp_c - p->t_amb_c);
        return 0;
    }
    return -1;
}

void phys_push(struct phys_state *s, const struct phys_params *p)
{
    for (int i = 0; i < PHYS_MAX_CHARGES; i++) {
        struct phys_charge *c = &s->hearth[i];
        if (c->metal_kg <= 0)
            continue;
        s->solid_c = mix_in(s->solid_kg, s->solid_c, c->metal_kg, c->temp_c);
        s->solid_kg += c->metal_kg;
        if (c->organics_kg > 0) {
            double m = s->well_organics_kg + c->organics_kg;
            s->well_hv_j_kg =
                (s->well_organics_kg * s->well_hv_j_kg + c->organics_kg * c->hv_j_kg) / m;
            s->well_organics_kg = m;
        }
        if (c->moisture_kg > 0) {
            double e = c->moisture_kg * p->latent_water_mj * 1e6;
            s->bath_sc_c -= e / (s->bath_sc_kg * p->cp_liquid_kj * 1e3);
            s->led.water_j += e;
            s->steam_kg += c->moisture_kg;
        }
        memset(c, 0, sizeof *c);
    }
    s->level_mm = phys_metal_kg(s) / (p->rho_liquid * p->hearth_area_m2) * 1000.0;
}

double phys_lag(double y, double x, double tau_s, double dt)
{
    if (!(tau_s > 0))
        return x;
    return y + (x - y) * (1.0 - exp(-dt / tau_s));
}

double phys_metal_kg(const struct phys_state *s)
{
    return s->bath_hc_kg + s->bath_sc_kg + s->solid_kg;
}

double phys_hearth_kg(const struct phys_state *s)
{
    double m = 0;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        m += s->hearth[i].metal_kg + s->hearth[i].organics_kg + s->hearth[i].moisture_kg;
    return m;
}

double phys_bath_c(const struct phys_state *s)
{
    return (s->bath_hc_kg * s->bath_hc_c + s->bath_sc_kg * s->bath_sc_c) /
           (s->bath_hc_kg + s->bath_sc_kg);
}

/* What a pyrometer aimed at the hearth sees: the surface of the heaviest charge runs a third
 * of the way from its bulk towards the gas; an empty hearth reads the gas. */
double phys_scrap_surface_c(const struct phys_state *s)
{
    const struct phys_charge *best = NULL;
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        if (s->hearth[i].metal_kg > 0 && (!best || s->hearth[i].metal_kg > best->metal_kg))
            best = &s->hearth[i];
    if (!best)
        return s->sc_gas_c;
    return best->temp_c + (s->sc_gas_c - best->temp_c) / 3.0;
}

double phys_stored_j(const struct phys_state *s, const struct phys_params *p)
{
    const double ta = p->t_amb_c, cps = p->cp_solid_kj * 1e3;
    double e =
        p->c_hc_gas_mj_k * 1e6 * (s->hc_gas_c - ta) + p->c_roof_mj_k * 1e6 * (s->roof_c - ta) +
        p->c_sc_gas_mj_k * 1e6 * (s->sc_gas_c - ta) + s->bath_hc_kg * h_liquid(p, s->bath_hc_c) +
        s->bath_sc_kg * h_liquid(p, s->bath_sc_c) + s->solid_kg * cps * (s->solid_c - ta);
    for (int i = 0; i < PHYS_MAX_CHARGES; i++)
        e += s->hearth[i].metal_kg * cps * (s->hearth[i].temp_c - ta);
    return e;
}

double phys_ledger_in_j(const struct phys_ledger *l)
{
    return l->fuel_j + l->pyro_j + l->charge_j;
}

double phys_ledger_out_j(const struct phys_ledger *l)
{
    return l->flue_j + l->roof_wall_j + l->bath_wall_j + l->sc_wall_j + l->door_j + l->tap_j +
           l->dross_j + l->water_j;
}

/* Heat held by the gas nodes and the lining over ambient. */
static double refr_j(const struct phys_state *s, const struct phys_params *p)
{
    const double ta = p->t_amb_c;
    return p->c_hc_gas_mj_k * 1e6 * (s->hc_gas_c - ta) + p->c_roof_mj_k * 1e6 * (s->roof_c - ta) +
           p->c_sc_gas_mj_k * 1e6 * (s->sc_gas_c - ta);
}

void phys_mark(const struct phys_state *s, const struct phys_params *p, struct phys_mark *m)
{
    m->led = s->led;
    m->stored_j = phys_stored_j(s, p);
    m->refr_j = refr_j(s, p);
    m->melted_kg = s->melted_kg;
    m->time_s = s->time_s;
}

/* Every figure is a difference of two ledgers or two states, so the balance of any interval
 * closes as the ledger does; the metal's split is the melted mass times the enthalpy steps of
 * h_liquid, and what the bath, lump and hearth hold beyond that is the metal's rest. */
void phys_balance(const struct phys_state *s, const struct phys_params *p,
                  const struct phys_mark *m, double t_ref_c, struct phys_balance *b)
{
    const struct phys_ledger *l = &s->led, *l0 = &m->led;
    memset(b, 0, sizeof *b);
    b->hours = (s->time_s - m->time_s) / 3600.0;
    b->melted_kg = s->melted_kg - m->melted_kg;
    b->fuel_j = l->fuel_j - l0->fuel_j;
    b->organics_j = l->pyro_j - l0->pyro_j;
    b->charge_j = l->charge_j - l0->charge_j;
    b->in_j = b->fuel_j + b->organics_j + b->charge_j;
    b->metal_solid_j = b->melted_kg * p->cp_solid_kj * 1e3 * (p->t_melt_c - p->t_amb_c);
    b->metal_latent_j = b->melted_kg * p->latent_kj * 1e3;
    b->metal_liquid_j = b->melted_kg * p->cp_liquid_kj * 1e3 * (t_ref_c - p->t_melt_c);
    b->preheat_j = l->hearth_j - l0->hearth_j;
    b->walls_j = (l->roof_wall_j - l0->roof_wall_j) + (l->bath_wall_j - l0->bath_wall_j) +
                 (l->sc_wall_j - l0->sc_wall_j);
    b->door_j = l->door_j - l0->door_j;
    b->flue_fuel_j = l->flue_fuel_j - l0->flue_fuel_j;
    b->flue_pyro_j = l->flue_pyro_j - l0->flue_pyro_j;
    b->dilution_j = l->flue_dil_j - l0->flue_dil_j;
    b->dross_j = l->dross_j - l0->dross_j;
    b->water_j = l->water_j - l0->water_j;
    double d_refr = refr_j(s, p) - m->refr_j;
    double d_metal = (phys_stored_j(s, p) - m->stored_j) - d_refr + (l->tap_j - l0->tap_j);
    b->stored_refr_j = d_refr;
    b->stored_metal_j = d_metal - (b->metal_solid_j + b->metal_latent_j + b->metal_liquid_j);
    b->parts_j = b->metal_solid_j + b->metal_latent_j + b->metal_liquid_j + b->walls_j +
                 b->door_j + b->flue_fuel_j + b->flue_pyro_j + b->dilution_j + b->dross_j +
                 b->water_j + b->stored_refr_j + b->stored_metal_j;
    b->closure_frac = b->in_j != 0 ? (b->in_j - b->parts_j) / b->in_j : 0;
    b->flue_c = b->fuel_j > 0 ? (l->flue_c_j - l0->flue_c_j) / b->fuel_j : NAN;
    b->avail_heat = b->fuel_j > 0 ? 1.0 - b->flue_fuel_j / b->fuel_j : NAN;
}
