/* sim_run — headless simulation with a built-in schedule (see sim_run.h). */
#include "sim_run.h"

#include <math.h>
#include <string.h>

#include "clock.h"
#include "plc_contract.h"

enum step { S_HOLD, S_LOW_FIRE, S_DOOR_OPEN, S_CHARGE, S_DOOR_CLOSE, S_PYRO, S_PUSH, S_MELT };

struct sched {
    enum step step;
    double t_step;
    uint16_t seq;
    double next_charge_s;
};

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void command(struct sched *s, struct splc_in *in, enum plc_cmd code, int arg)
{
    in->cmd_code = (uint16_t)code;
    in->cmd_arg = (uint16_t)arg;
    in->cmd_seq = ++s->seq;
}

static void go(struct sched *s, enum step st, double t)
{
    s->step = st;
    s->t_step = t;
}

/* One scan of the stand-in operator. */
static void schedule(struct sched *s, const struct splc_out *o, struct splc_in *in, double t)
{
    double bath = 0.5 * (o->bath_hc_temp + o->bath_sc_temp);
    double fire = clampd(35 + 8 * (740 - bath), 10, 100);
    in->fan_demand = 30;
    in->damper_demand = clampd(50 + 3 * (o->furnace_pressure - 10), 5, 100);
    in->pump_demand = 40;
    in->console_heartbeat++;
    double since = t - s->t_step;
    switch (s->step) {
    case S_HOLD:
        if (t >= s->next_charge_s)
            go(s, S_LOW_FIRE, t);
        if (o->metal_mass > 55000 && !o->tap_open && o->bms_state == 3)
            command(s, in, PLC_CMD_TAP_OPEN, 0);
        if (o->tap_open && o->metal_mass < 52000)
            command(s, in, PLC_CMD_TAP_CLOSE, 0);
        break;
    case S_LOW_FIRE:
        fire = 10;
        if (o->firing_fb <= 25 && since > 10) {
            command(s, in, PLC_CMD_SC_DOOR_OPEN, 0);
            go(s, S_DOOR_OPEN, t);
        }
        break;
    case S_DOOR_OPEN:
        fire = 10;
        if (!o->sc_door_closed && since > 12) {
            command(s, in, PLC_CMD_CHARGE, 300);
            go(s, S_CHARGE, t);
        }
        break;
    case S_CHARGE:
        fire = 10;
        if (since > 120) {
            command(s, in, PLC_CMD_SC_DOOR_CLOSE, 0);
            go(s, S_DOOR_CLOSE, t);
        }
        break;
    case S_DOOR_CLOSE:
        fire = 10;
        if (o->sc_door_closed && since > 5)
            go(s, S_PYRO, t);
        break;
    case S_PYRO:
        in->fan_demand = 80;
        if (since > 30 * 60 || (o->scrap_temp > 480 && since > 15 * 60)) {
            command(s, in, PLC_CMD_PUSH, 0);
            go(s, S_PUSH, t);
        }
        break;
    case S_PUSH:
        in->pump_demand = 80;
        if (o->pusher_home && since > 5)
            go(s, S_MELT, t);
        break;
    case S_MELT:
        in->pump_demand = 90;
        if (bath > 735 || since > 60 * 60) {
            s->next_charge_s = t + 30 * 60;
            go(s, S_HOLD, t);
        }
        break;
    }
    in->firing_demand = fire;
}

static void csv_header(FILE *f)
{
    fprintf(f, "t_s,hc_gas_temp,roof_temp,bath_hc_temp,bath_sc_temp,sc_gas_temp,flue_temp,"
               "scrap_temp,o2_pct,co_ppm,furnace_pressure,firing_fb,pump_speed_fb,fan_speed_fb,"
               "damper_fb,bath_level,metal_mass,scrap_on_hearth,bms_state,plc_interlocks,step\n");
}

static void csv_row(FILE *f, double t, const struct splc_out *o, enum step st)
{
    fprintf(f, "%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.2f,%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.0f,"
               "%.0f,%.0f,%u,%u,%d\n",
            t, o->hc_gas_temp, o->roof_temp, o->bath_hc_temp, o->bath_sc_temp, o->sc_gas_temp,
            o->flue_temp, o->scrap_temp, o->o2_pct, o->co_ppm, o->furnace_pressure, o->firing_fb,
            o->pump_speed_fb, o->fan_speed_fb, o->damper_fb, o->bath_level, o->metal_mass,
            o->scrap_on_hearth, o->bms_state, o->plc_interlocks, (int)st);
}

int run_headless(const struct cfg *c, const struct run_opts *o, struct run_result *r, char *err,
                 size_t errlen)
{
    static struct splc plc;
    struct splc_params p;
    struct phys_params pp;
    splc_params_from_cfg(&p, &pp, c);
    p.seed = o->seed;
    bool cold = o->cold || (o->scen && o->scen->cold);
    splc_init(&plc, &p, &pp, cold);
    struct splc_in in;
    struct splc_out out;
    splc_in_initial(&plc, &in);
    splc_output(&plc, &out);
    struct sched s = {.step = S_HOLD, .next_charge_s = 20 * 60, .seq = in.cmd_seq};
    double dt = c->sim.scan_ms / 1000.0, end = o->hours * 3600, next_row = 0;
    if (!(o->hours > 0)) {
        snprintf(err, errlen, "--hours must be above 0");
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->bath_min_c = 1e9;
    r->bath_max_c = -1e9;
    double fuel0 = plc.phys.led.fuel_j, melted0 = plc.phys.melted_kg;
    if (o->csv)
        csv_header(o->csv);
    double w0 = clock_mono_s();
    for (double t = 0; t < end; t += dt) {
        if (o->scen)
            scen_run_due(o->scen, &plc, t, NULL, NULL, NULL);
        schedule(&s, &out, &in, t);
        splc_step(&plc, &in, &out, dt);
        r->scans++;
        double bath = out.bath_hc_temp;
        if (bath < r->bath_min_c)
            r->bath_min_c = bath;
        if (bath > r->bath_max_c)
            r->bath_max_c = bath;
        if (o->csv && o->every_s > 0 && t >= next_row) {
            csv_row(o->csv, t, &out, s.step);
            next_row += o->every_s;
            r->rows++;
        }
    }
    r->wall_s = clock_mono_s() - w0;
    r->sim_s = end;
    r->melted_t = (plc.phys.melted_kg - melted0) / 1000;
    r->fuel_kwh = (plc.phys.led.fuel_j - fuel0) / 3.6e6;
    r->kwh_per_t = r->melted_t > 0 ? r->fuel_kwh / r->melted_t : 0;
    return 0;
}
