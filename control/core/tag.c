/* tag — registers <-> engineering values (see tag.h).
 *
 * A 32-bit value has bytes A B C D, A the most significant.  The word order
 * names how they sit in the two registers at addr and addr+1:
 *   ABCD  reg0 = AB  reg1 = CD   (big-endian, Modbus' usual)
 *   CDAB  reg0 = CD  reg1 = AB   (word-swapped)
 *   BADC  reg0 = BA  reg1 = DC   (byte-swapped)
 *   DCBA  reg0 = DC  reg1 = BA   (little-endian)
 * Engineering value: eng = raw * scale + offset; a decimal scale (the double
 * nearest 1/k, k an integer: 0.1, 0.01, 0.5) is applied as raw / k, so 7453
 * at 0.1 reads as the double nearest 745.3, not 745.3000000000001.
 *
 * The fault sentinel is a raw value, compared in the tag's own type: a float32
 * tag's -9999.9 is the float nearest it (-9999.900390625), which is what a PLC
 * sends.  NaN and infinity from the registers, and a value that scaling makes
 * infinite, are BAD_SENSOR and never reach the engineering value.
 */
#include "tag.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint16_t swap16(uint16_t w) { return (uint16_t)((w >> 8) | (w << 8)); }

static uint32_t get32(const struct cfg_tag *t, const uint16_t *r)
{
    switch (t->word_order) {
    case WO_CDAB: return (uint32_t)r[1] << 16 | r[0];
    case WO_BADC: return (uint32_t)swap16(r[0]) << 16 | swap16(r[1]);
    case WO_DCBA: return (uint32_t)swap16(r[1]) << 16 | swap16(r[0]);
    case WO_ABCD:
    default: return (uint32_t)r[0] << 16 | r[1];
    }
}

static void put32(const struct cfg_tag *t, uint32_t v, uint16_t *r)
{
    uint16_t hi = (uint16_t)(v >> 16), lo = (uint16_t)v;
    switch (t->word_order) {
    case WO_CDAB: r[0] = lo; r[1] = hi; break;
    case WO_BADC: r[0] = swap16(hi); r[1] = swap16(lo); break;
    case WO_DCBA: r[0] = swap16(lo); r[1] = swap16(hi); break;
    case WO_ABCD:
    default: r[0] = hi; r[1] = lo; break;
    }
}

static float u32_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t float_to_u32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Limits of the raw type, for the range check on encode. */
static void raw_limits(enum tag_type ty, double *lo, double *hi)
{
    switch (ty) {
    case TAG_INT16: *lo = -32768; *hi = 32767; break;
    case TAG_UINT16: *lo = 0; *hi = 65535; break;
    case TAG_INT32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    case TAG_UINT32: *lo = 0; *hi = 4294967295.0; break;
    case TAG_FLOAT32: *lo = -3.4028234e38; *hi = 3.4028234e38; break;
    case TAG_BOOL:
    default: *lo = 0; *hi = 1; break;
    }
}

/* Is `raw` the tag's fault sentinel, as the registers would carry it? */
static bool is_fault(const struct cfg_tag *t, double raw)
{
    if (!t->has_fault)
        return false;
    if (t->type == TAG_FLOAT32)
        return (float)raw == (float)t->fault;
    return raw == t->fault;
}

/* raw -> engineering value (see the top of the file for the decimal scale) */
static double scaled(const struct cfg_tag *t, double raw)
{
    double k = nearbyint(1.0 / t->scale);
    if (fabs(k) >= 2 && fabs(k) <= 9007199254740992.0 && 1.0 / k == t->scale)
        return raw / k + t->offset;
    return raw * t->scale + t->offset;
}

int tag_width(const struct cfg_tag *t)
{
    switch (t->type) {
    case TAG_INT32:
    case TAG_UINT32:
    case TAG_FLOAT32: return 2;
    default: return 1;
    }
}

double tag_raw(const struct cfg_tag *t, const uint16_t *regs)
{
    switch (t->type) {
    case TAG_INT16: return (int16_t)regs[0];
    case TAG_UINT16: return regs[0];
    case TAG_INT32: return (int32_t)get32(t, regs);
    case TAG_UINT32: return get32(t, regs);
    case TAG_FLOAT32: return u32_to_float(get32(t, regs));
    case TAG_BOOL:
    default: return regs[0] ? 1 : 0;
    }
}

enum tag_quality tag_decode(const struct cfg_tag *t, const uint16_t *regs, double *eng)
{
    double raw = tag_raw(t, regs);
    if (!isfinite(raw) || is_fault(t, raw))
        return Q_BAD_SENSOR;
    double v = t->type == TAG_BOOL ? raw : scaled(t, raw);
    if (!isfinite(v))
        return Q_BAD_SENSOR;
    *eng = v;
    if (t->has_range && (v < t->range_lo || v > t->range_hi))
        return Q_BAD_SENSOR;
    return Q_GOOD;
}

/* Raw number for `eng`, rounded for integer types; no checks. */
static double to_raw(const struct cfg_tag *t, double eng)
{
    if (t->type == TAG_BOOL)
        return eng != 0;
    double raw = (eng - t->offset) / t->scale;
    return t->type == TAG_FLOAT32 ? raw : nearbyint(raw);
}

static void store(const struct cfg_tag *t, double raw, uint16_t *regs)
{
    switch (t->type) {
    case TAG_INT16: regs[0] = (uint16_t)(int16_t)raw; break;
    case TAG_UINT16: regs[0] = (uint16_t)raw; break;
    case TAG_INT32: put32(t, (uint32_t)(int32_t)raw, regs); break;
    case TAG_UINT32: put32(t, (uint32_t)raw, regs); break;
    case TAG_FLOAT32: put32(t, float_to_u32((float)raw), regs); break;
    case TAG_BOOL:
    default: regs[0] = raw != 0; break;
    }
}

int tag_encode(const struct cfg_tag *t, double eng, uint16_t *regs, char *err, size_t errlen)
{
    if (!isfinite(eng)) {
        snprintf(err, errlen, "%s: %g is not a finite number", t->name, eng);
        return -1;
    }
    if (t->type == TAG_BOOL && eng != 0 && eng != 1) {
        snprintf(err, errlen, "%s: %g is not 0 or 1", t->name, eng);
        return -1;
    }
    if (t->has_range && (eng < t->range_lo || eng > t->range_hi)) {
        snprintf(err, errlen, "%s: %g %s is outside its range %g..%g %s", t->name, eng,
                 t->unit, t->range_lo, t->range_hi, t->unit);
        return -1;
    }
    double raw = to_raw(t, eng), lo, hi;
    raw_limits(t->type, &lo, &hi);
    /* a float32 too small for its type would arrive as 0 */
    bool lost = t->type == TAG_FLOAT32 && raw != 0 && (float)raw == 0;
    if (!isfinite(raw) || raw < lo || raw > hi || lost) {
        snprintf(err, errlen, "%s: %g %s does not fit the register (%s)", t->name, eng, t->unit,
                 cfg_type_name(t->type));
        return -1;
    }
    if (is_fault(t, raw)) {
        snprintf(err, errlen, "%s: %g %s would be sent as the fault sentinel %g", t->name, eng,
                 t->unit, t->fault);
        return -1;
    }
    store(t, raw, regs);
    return 0;
}

void tag_encode_sensor(const struct cfg_tag *t, double eng, uint16_t *regs)
{
    double raw = isfinite(eng) ? to_raw(t, eng) : 0, lo, hi;
    raw_limits(t->type, &lo, &hi);
    if (!isfinite(raw))
        raw = 0;
    if (raw < lo)
        raw = lo;
    if (raw > hi)
        raw = hi;
    if (is_fault(t, raw)) {
        if (t->type != TAG_FLOAT32) {
            raw += raw > lo ? -1 : 1;
        } else {
            /* the float next to the sentinel, towards zero (away from it at zero) */
            uint32_t u = float_to_u32((float)raw);
            raw = u32_to_float(u & 0x7fffffffu ? u - 1 : 1);
        }
    }
    store(t, raw, regs);
}

void tag_encode_fault(const struct cfg_tag *t, uint16_t *regs)
{
    if (t->has_fault)
        store(t, t->fault, regs);
}

const char *tag_quality_name(enum tag_quality q)
{
    static const char *const names[] = {
        [Q_GOOD] = "GOOD", [Q_BAD_SENSOR] = "BAD", [Q_BAD_COMMS] = "COMMS", [Q_STALE] = "STALE"};
    return (unsigned)q < sizeof names / sizeof names[0] ? names[q] : "?";
}
