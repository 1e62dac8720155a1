/* pid — one PID block (see pid.h).
 *
 * The law, in positional ISA form, evaluated every step of dt seconds:
 *
 *   PV     = PV + (PVraw - PV) * (1 - exp(-dt / Tpv))      (Tpv = pv_filter_s; 0 = PVraw;
 *            the first good sample after a start or a bad PV is taken as it is)
 *   s      = +1 for REVERSE action (output up when PV < SP), -1 for DIRECT
 *   e      = s * (SPeff - PV)                              error, action applied
 *   P      = Kp * e
 *   I     += Kp * dt / Ti * e         (not when Ti = 0; conditional, see below)
 *   Tf     = Td / N                   (N = d_filter; 0 = unfiltered)
 *   r      = Tf / (Tf + dt) * r  +  (PV - PVprev) / (Tf + dt)    filtered PV rate
 *   D      = -s * Kp * Td * band(r)
 *   band(r)= r                                  (B = d_band_per_min / 60 = 0)
 *          = sign(r) * max(0, |r| - B)          noise band: a PV drifting slower than B
 *            (holding: sensor noise and the loop's own dither) gives no D; a PV moving
 *            fast (a step, a recovery) gets D on the part beyond B
 *   u      = P + I + D + FF
 *   out    = clamp(ratelimit(u, out_prev, R * dt), lo, min(hi, cap))
 *   gap    (AUTO/CAS, G = out_deadband > 0): out = out_prev while |clamp(u, lo, hi) -
 *            out_prev| < G, out_prev lies within lo..min(hi, cap) and clamp(u) is at
 *            neither limit (compared before the rate limit, which would otherwise hold
 *            it for ever); the law and its integrator run on, so the output moves only
 *            once the law is G away, and noise smaller than G / Kp never reaches the
 *            actuator
 *
 * where
 *   Kp     proportional gain, output units per PV unit (>= 0; s sets the sign)
 *   Ti     integral time, s; Td derivative time, s; N derivative filter factor
 *   FF     feed-forward from the caller, output units
 *   R      output rate limit per s (0 = none); lo/hi the output limits; cap an
 *          optional lower high limit from the caller (sequencer)
 *   D      acts on the measurement only (a setpoint change never kicks it) and
 *          is the backward-Euler form of -s Kp Td p / (1 + Tf p) applied to PV
 *          (with B = 0; the band acts on the filtered rate, after the filter, because
 *          the rate of one step is mostly noise).
 *
 * Setpoint:
 *   target = MAN: local SP (= PV, clamped, if sp_track_pv)
 *            AUTO: the sequencer SP if given, else the local SP
 *            CAS: the remote SP
 *   SPwork moves toward clamp(target, sp_lo, sp_hi) by at most ramp/60 * dt
 *   SPeff  = clamp(SPwork - reduce, sp_lo, sp_hi)     reduce >= 0 (override)
 *   In CAS the local SP follows SPwork, so CAS -> AUTO keeps the setpoint.
 *
 * Anti-windup: the integration step dI is taken only if the limited output
 * did not stop u in dI's direction and the caller did not hold that
 * direction (a cascade master whose slave cannot follow).  The integrator
 * clamp [i_lo, i_hi] stops integration from carrying I past it.
 * Re-initialisation (below) may leave I outside the clamp (I = out - P with
 * a large P); such an I is pulled back to the clamp every step, whatever the
 * saturation (not against a direction the caller holds), by
 *   bleed  = R * dt            with an output rate limit R,
 *          = |I - clamp| dt/Ti without one (Ti > 0), else at once,
 * so the output moves no faster than it may anyway and the loop never sits
 * saturated on an integrator the clamp forbids (a fan held at 100 % with its
 * PV far above SP because I was set to 289 with a clamp of 0..100).
 *
 * Bumpless transfer: the output moves only in pid_step().  In MAN, while
 * tracking, and on the first AUTO/CAS step after a mode change or a restart,
 * I is re-initialised so that step reproduces the previous (or forced) output
 * exactly and the next steps continue from it:
 *   I = out                 when out sits at a limit (lo or min(hi, cap)) and
 *                           P + D + FF push past it (out + P + D + FF is then
 *                           clamped back to out: still bumpless),
 *     = out - P - D - FF    otherwise.
 * So the integrator is what the output actually is whenever that reproduces it.
 * (Before, always out - P - D - FF: a loop started or tracked at a limit far
 * from SP got an I far beyond the output, which the bleed then left at the far
 * end of its clamp: an air loop started at 0 % with its gas 300 K below SP held
 * I = 100 and went to full air 10 K before reaching its SP; a firing tracked at
 * low fire with its gas above SP held I at its old firing and fired up again
 * as its setpoint rose, the gas still above it.)
 *
 * A PV that is not GOOD (or not finite) holds the output.  In AUTO/CAS the
 * block keeps its mode for pv_bad_hold_s of bad PV without a break (a read put
 * off by the PLC link's budget or timed out once is a fraction of a second
 * old: no reason to hand the furnace to the operator); a PV still bad after
 * it drops the block to MAN with a sentence in `reason`, and the block stays
 * in MAN when the PV returns.  A PV good again within the hold resumes the
 * law as if the held steps had been one long step: the filter, D, the
 * integral, the setpoint ramp and the rate limit span the whole time since
 * the last good PV, and the output goes on from where it was held.
 */
#include "pid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static const char *sep(const char *unit)
{
    return unit[0] ? " " : "";
}

static double action_sign(const struct pid_params *prm)
{
    return prm->action == LOOP_DIRECT ? -1.0 : 1.0;
}

/* Rate limit toward u from the previous output, then clamp to [lo, hi].
 * Sets the saturation bits in *st. */
static double limit_output(const struct pid *p, double u, double lo, double hi, double dt,
                           unsigned *st)
{
    double y = u;
    if (p->prm.out_rate_per_s > 0) {
        double step = p->prm.out_rate_per_s * dt;
        if (y > p->out + step) {
            y = p->out + step;
            *st |= PID_ST_RATE;
        } else if (y < p->out - step) {
            y = p->out - step;
            *st |= PID_ST_RATE;
        }
    }
    if (y > hi)
        y = hi;
    if (y < lo)
        y = lo;
    if (y == hi && u >= hi)
        *st |= PID_ST_SAT_HI;
    else if (y == lo && u <= lo)
        *st |= PID_ST_SAT_LO;
    return y;
}

/* The setpoint part of a step: target, ramp, limits, override. */
static void step_setpoint(struct pid *p, const struct pid_in *in, double dt)
{
    const struct pid_params *prm = &p->prm;
    double want;

    switch (p->mode) {
    case LOOP_CAS:
        want = in->rsp;
        break;
    case LOOP_AUTO:
        want = in->sp_ext ? in->sp_ext_value : p->sp;
        break;
    case LOOP_MAN:
    default:
        if (prm->sp_track_pv) {
            p->sp = clampd(p->pv, prm->sp_lo, prm->sp_hi);
            p->sp_work = p->sp;
        }
        want = p->sp;
        break;
    }
    if (!isfinite(want))
        want = p->sp_work;
    double target = clampd(want, prm->sp_lo, prm->sp_hi);
    if (prm->sp_ramp_per_min > 0) {
        double step = prm->sp_ramp_per_min / 60.0 * dt;
        p->sp_work = clampd(target, p->sp_work - step, p->sp_work + step);
        if (p->sp_work != target)
            p->status |= PID_ST_SP_RAMP;
    } else {
        p->sp_work = target;
    }
    double reduce = isfinite(in->sp_reduce) && in->sp_reduce > 0 ? in->sp_reduce : 0;
    if (reduce > 0)
        p->status |= PID_ST_SP_REDUCED;
    p->sp_eff = clampd(p->sp_work - reduce, prm->sp_lo, prm->sp_hi);
    if (p->sp_eff < want)
        p->status |= PID_ST_SP_LIM_UP;
    else if (p->sp_eff > want)
        p->status |= PID_ST_SP_LIM_DOWN;
    if (p->mode == LOOP_CAS)
        p->sp = p->sp_work;
}

/* The derivative term on the measurement, with its first-order filter. */
static void step_derivative(struct pid *p, double pv, double dt)
{
    const struct pid_params *prm = &p->prm;
    if (prm->td_s <= 0 || !p->pv_valid) {
        p->d = 0;
        p->rate = 0;
        return;
    }
    double tf = prm->d_filter > 0 ? prm->td_s / prm->d_filter : 0;
    p->rate = tf / (tf + dt) * p->rate + (pv - p->pv) / (tf + dt);
    double band = prm->d_band_per_min > 0 ? prm->d_band_per_min / 60.0 : 0;
    double r = fabs(p->rate) <= band ? 0 : p->rate - copysign(band, p->rate);
    p->d = -action_sign(prm) * prm->kp * prm->td_s * r;
}

/* Pull an integrator left outside [i_lo, i_hi] by a re-initialisation back
 * toward the clamp by one step's bleed (see the top of the file), unless the
 * caller holds that direction (a master whose slave cannot follow). */
static void bleed_integrator(struct pid *p, const struct pid_in *in, double dt)
{
    const struct pid_params *prm = &p->prm;
    double edge = p->i > prm->i_hi ? prm->i_hi : p->i < prm->i_lo ? prm->i_lo : p->i;
    double excess = fabs(p->i - edge);
    if (excess == 0 || (p->i < edge && in->hold_up) || (p->i > edge && in->hold_down))
        return;
    double b = excess;
    if (prm->out_rate_per_s > 0)
        b = prm->out_rate_per_s * dt;
    else if (prm->ti_s > 0)
        b = excess * dt / prm->ti_s;
    if (b > excess)
        b = excess;
    p->i += p->i > edge ? -b : b;
    p->status |= PID_ST_I_CLAMP;
}

/* The PV the law uses: the raw sample through the optional first-order
 * filter; a first sample (start, after a bad PV) passes as it is. */
static double filter_pv(const struct pid *p, double raw, double dt)
{
    double tf = p->prm.pv_filter_s;
    if (!(tf > 0) || !p->pv_valid)
        return raw;
    return p->pv + (raw - p->pv) * (1.0 - exp(-dt / tf));
}

/* The integrator a re-initialisation leaves (bumpless transfer, top of the file): the
 * output itself when the output is at a limit that P + D + FF push past, else what makes
 * the law reproduce the output exactly. */
static double reinit_integrator(double out, double pdf, double lo, double hi)
{
    if ((out <= lo && pdf <= 0) || (out >= hi && pdf >= 0))
        return out;
    return out - pdf;
}

/* A step of dt with a bad PV: hold the output (or follow the forced one); in
 * AUTO/CAS, once the PV has been bad pv_bad_hold_s, drop to MAN. */
static double step_bad_pv(struct pid *p, const struct pid_in *in, double dt)
{
    p->status |= PID_ST_BAD_PV;
    p->bad_s += dt;
    bool forced = in->track && isfinite(in->track_value);
    if (forced) {
        p->out = in->track_value;
        p->status |= PID_ST_TRACK;
        p->bumpless = true; /* the law resumes from the forced output */
    }
    p->man_out = p->out;
    if (p->mode != LOOP_MAN && p->bad_s < p->prm.pv_bad_hold_s) {
        p->held_s += dt;
        return p->out;
    }
    p->pv_valid = false;
    p->held_s = 0;
    p->bumpless = true;
    if (p->mode != LOOP_MAN) {
        p->mode = LOOP_MAN;
        p->shed = true;
        p->events |= PID_EV_DROPPED_MAN;
        char how_long[32] = ""; /* " for 5.0 s" after a hold */
        if (p->prm.pv_bad_hold_s > 0)
            snprintf(how_long, sizeof how_long, " for %.1f s", p->bad_s);
        snprintf(p->reason, sizeof p->reason,
                 "%s: PV %s%s: dropped to MAN, output held at %.1f%s%s", p->prm.name,
                 isfinite(in->pv.v) ? tag_quality_name(in->pv.q) : "not a number", how_long, p->out,
                 sep(p->prm.out_unit), p->prm.out_unit);
    }
    return p->out;
}

double pid_hold_left(const struct pid *p)
{
    if (!(p->status & PID_ST_BAD_PV) || p->mode == LOOP_MAN)
        return 0;
    double left = p->prm.pv_bad_hold_s - p->bad_s;
    return left > 0 ? left : 0;
}

void pid_params_from_cfg(struct pid_params *prm, const struct cfg_loop *l)
{
    memset(prm, 0, sizeof *prm);
    snprintf(prm->name, sizeof prm->name, "%s", l->name);
    prm->action = l->action;
    prm->kp = l->kp;
    prm->ti_s = l->ti_s;
    prm->td_s = l->td_s;
    prm->d_filter = l->d_filter;
    prm->d_band_per_min = l->d_band_per_min;
    prm->pv_filter_s = l->pv_filter_s;
    prm->pv_bad_hold_s = l->pv_bad_hold_s;
    prm->sp_lo = l->sp_lo;
    prm->sp_hi = l->sp_hi;
    prm->sp_max_step = l->sp_max_step;
    prm->sp_ramp_per_min = l->sp_ramp_per_min;
    prm->out_lo = l->out_lo;
    prm->out_hi = l->out_hi;
    prm->out_rate_per_s = l->out_rate_per_s;
    prm->out_deadband = l->out_deadband;
    prm->i_lo = l->out_lo;
    prm->i_hi = l->out_hi;
}

void pid_init(struct pid *p, const struct pid_params *prm, enum cfg_loop_mode mode, double sp)
{
    memset(p, 0, sizeof *p);
    p->prm = *prm;
    p->mode = mode;
    p->sp = clampd(isfinite(sp) ? sp : prm->sp_lo, prm->sp_lo, prm->sp_hi);
    p->sp_work = p->sp;
    p->sp_eff = p->sp;
    p->out = prm->out_lo;
    p->man_out = p->out;
    p->i = p->out;
    p->bumpless = true;
}

void pid_init_output(struct pid *p, double out)
{
    if (!isfinite(out))
        return;
    p->out = out;
    p->man_out = out;
    p->bumpless = true;
}

struct pid_in pid_in_pv(double pv)
{
    struct pid_in in = {.pv = {.v = pv, .q = Q_GOOD}};
    return in;
}

/* One step: setpoint, terms, then the output by mode.  See the equations at
 * the top of the file. */
double pid_step(struct pid *p, const struct pid_in *in, double dt)
{
    const struct pid_params *prm = &p->prm;
    if (!isfinite(dt) || dt <= 0)
        return p->out;
    p->status = p->shed ? PID_ST_SHED : 0;
    p->events = 0;
    if (in->pv.q != Q_GOOD || !isfinite(in->pv.v))
        return step_bad_pv(p, in, dt);
    p->bad_s = 0;
    dt += p->held_s; /* a hold just ended: this step spans it (top of the file) */
    p->held_s = 0;

    double pv = filter_pv(p, in->pv.v, dt);
    step_derivative(p, pv, dt);
    p->pv = pv;
    p->pv_valid = true;
    step_setpoint(p, in, dt);

    double s = action_sign(prm);
    double ff = isfinite(in->ff) ? in->ff : 0;
    p->err = s * (p->sp_eff - pv);
    p->p = prm->kp * p->err;
    double lo = prm->out_lo, hi = prm->out_hi;
    if (in->out_cap && isfinite(in->out_cap_value) && in->out_cap_value < hi)
        hi = in->out_cap_value;
    if (lo > hi)
        lo = hi;
    double pdf = p->p + p->d + ff;

    if (in->track && isfinite(in->track_value)) {
        p->out = in->track_value;
        p->man_out = p->out;
        p->i = reinit_integrator(p->out, pdf, lo, hi);
        p->status |= PID_ST_TRACK;
        p->bumpless = false;
        return p->out;
    }
    if (p->mode == LOOP_MAN) {
        p->out = limit_output(p, p->man_out, lo, hi, dt, &p->status);
        p->i = reinit_integrator(p->out, pdf, lo, hi);
        p->bumpless = false;
        return p->out;
    }
    if (p->bumpless) {
        p->out = clampd(p->out, lo, hi);
        p->i = reinit_integrator(p->out, pdf, lo, hi);
        p->bumpless = false;
        return p->out;
    }

    bleed_integrator(p, in, dt);
    double di = prm->ti_s > 0 ? prm->kp * dt / prm->ti_s * p->err : 0;
    unsigned st = 0;
    double u_try = pdf + p->i + di;
    double y_try = limit_output(p, u_try, lo, hi, dt, &st);
    bool stop_up = y_try < u_try || in->hold_up;
    bool stop_down = y_try > u_try || in->hold_down;
    if ((di > 0 && stop_up) || (di < 0 && stop_down)) {
        p->status |= PID_ST_I_HELD;
    } else if (di != 0) {
        double ni = p->i + di;
        if (di > 0 && ni > prm->i_hi) {
            ni = p->i > prm->i_hi ? p->i : prm->i_hi;
            p->status |= PID_ST_I_CLAMP;
        } else if (di < 0 && ni < prm->i_lo) {
            ni = p->i < prm->i_lo ? p->i : prm->i_lo;
            p->status |= PID_ST_I_CLAMP;
        }
        p->i = ni;
    }
    double u = pdf + p->i;
    double prev = p->out;
    p->out = limit_output(p, u, lo, hi, dt, &p->status);
    double want = clampd(u, lo, hi);
    if (prm->out_deadband > 0 && fabs(want - prev) < prm->out_deadband && prev >= lo &&
        prev <= hi && want > lo && want < hi) {
        p->out = prev;
        p->status |= PID_ST_OUT_HELD;
        return p->out;
    }
    if (p->out < u)
        p->status |= PID_ST_LIM_UP;
    else if (p->out > u)
        p->status |= PID_ST_LIM_DOWN;
    return p->out;
}

int pid_set_sp(struct pid *p, double sp, char *err, size_t errlen)
{
    const struct pid_params *prm = &p->prm;
    const char *u = prm->pv_unit;
    if (!isfinite(sp))
        return err_set(err, errlen, "%s: setpoint refused: not a number", prm->name);
    if (p->mode == LOOP_CAS)
        return err_set(err, errlen,
                       "%s: setpoint refused: in CAS it comes from the master; switch to AUTO "
                       "first",
                       prm->name);
    if (p->mode == LOOP_MAN && prm->sp_track_pv)
        return err_set(err, errlen,
                       "%s: setpoint refused: in MAN it follows the PV; switch to AUTO first",
                       prm->name);
    if (sp < prm->sp_lo || sp > prm->sp_hi)
        return err_set(err, errlen,
                       "%s: setpoint %.1f%s%s refused: outside the limits %.1f .. %.1f%s%s",
                       prm->name, sp, sep(u), u, prm->sp_lo, prm->sp_hi, sep(u), u);
    if (prm->sp_max_step > 0 && fabs(sp - p->sp) > prm->sp_max_step)
        return err_set(err, errlen,
                       "%s: setpoint %.1f%s%s refused: a change of %.1f%s%s from %.1f is more "
                       "than the largest step %.1f%s%s",
                       prm->name, sp, sep(u), u, fabs(sp - p->sp), sep(u), u, p->sp,
                       prm->sp_max_step, sep(u), u);
    p->sp = sp;
    return 0;
}

int pid_set_mode(struct pid *p, enum cfg_loop_mode mode, char *err, size_t errlen)
{
    const struct pid_params *prm = &p->prm;
    if (mode != LOOP_MAN && mode != LOOP_AUTO && mode != LOOP_CAS)
        return err_set(err, errlen, "%s: mode refused: unknown mode %d", prm->name, (int)mode);
    if (mode == p->mode)
        return 0;
    if (mode == LOOP_CAS && !prm->cas_allowed)
        return err_set(err, errlen, "%s: CAS refused: the loop has no master to follow", prm->name);
    if (mode != LOOP_MAN && (p->status & PID_ST_BAD_PV))
        return err_set(err, errlen, "%s: %s refused: the PV is bad; the loop stays in %s",
                       prm->name, cfg_loop_mode_name(mode), cfg_loop_mode_name(p->mode));
    if (mode == LOOP_MAN)
        p->man_out = p->out;
    p->mode = mode;
    if (mode != LOOP_MAN) {
        p->shed = false; /* an operator put it back */
        p->status &= ~PID_ST_SHED;
    }
    p->bumpless = true;
    return 0;
}

int pid_set_out(struct pid *p, double out, char *err, size_t errlen)
{
    const struct pid_params *prm = &p->prm;
    const char *u = prm->out_unit;
    if (p->mode != LOOP_MAN)
        return err_set(err, errlen, "%s: output refused: only in MAN (the loop is in %s)",
                       prm->name, cfg_loop_mode_name(p->mode));
    if (!isfinite(out))
        return err_set(err, errlen, "%s: output refused: not a number", prm->name);
    if (out < prm->out_lo || out > prm->out_hi)
        return err_set(err, errlen,
                       "%s: output %.1f%s%s refused: outside the limits %.1f .. %.1f%s%s",
                       prm->name, out, sep(u), u, prm->out_lo, prm->out_hi, sep(u), u);
    p->man_out = out;
    return 0;
}
