/* tag — the codec between PLC registers and engineering values.
 *
 * A tag occupies 1 register (int16, uint16), 2 registers (int32, uint32,
 * float32, in the tag's word order) or 1 bit (bool).  Decoding gives an
 * engineering value and a quality; a broken sensor is a quality, never a
 * number.  Encoding a value refuses what the tag cannot hold: nothing is
 * clamped silently.  Shared by the controller and the simulator.
 */
#ifndef MELTCON_TAG_H
#define MELTCON_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

enum tag_quality {
    Q_GOOD,
    Q_BAD_SENSOR, /* the device's fault sentinel, or outside the valid range */
    Q_BAD_COMMS,  /* the PLC link is down or the read failed */
    Q_STALE,      /* the value has not been refreshed in time */
};

struct tag_value {
    double v;               /* engineering value; last good value when not GOOD */
    enum tag_quality q;
};

/* Registers (or bits, for bool) the tag occupies: 1 or 2. */
int tag_width(const struct cfg_tag *t);

/* Decode the tag from its registers: regs[0] is the register at t->addr
 * (for bool, regs[0] is 0 or 1).  Returns the quality; *eng is set to the
 * scaled value even when the quality is BAD_SENSOR because of the range
 * (so diagnostics can show it), and left untouched for a fault sentinel
 * (compared in the tag's type: a float32 tag's configured -9999.9 matches
 * the float -9999.900390625 a PLC sends), a NaN or infinity in the
 * registers, and a value that scaling makes infinite. */
enum tag_quality tag_decode(const struct cfg_tag *t, const uint16_t *regs, double *eng);

/* The raw (unscaled) integer or float held by the registers, for
 * diagnostics. */
double tag_raw(const struct cfg_tag *t, const uint16_t *regs);

/* Encode `eng` into regs[0..width-1].  Refuses (returns -1, message in err)
 * a value that is not finite, outside the tag's valid range, or that the raw
 * type cannot hold after scaling.  Nothing is written on refusal. */
int tag_encode(const struct cfg_tag *t, double eng, uint16_t *regs, char *err, size_t errlen);

/* Encode what a sensor would send: like tag_encode, but a value outside the
 * valid range is sent as it is (the reader will see BAD_SENSOR) and one past
 * the raw type's limits saturates at them, avoiding the fault sentinel.  For
 * the simulator. */
void tag_encode_sensor(const struct cfg_tag *t, double eng, uint16_t *regs);

/* Write the tag's fault sentinel (a broken sensor).  No-op without one. */
void tag_encode_fault(const struct cfg_tag *t, uint16_t *regs);

/* "GOOD" "BAD" "COMMS" "STALE" */
const char *tag_quality_name(enum tag_quality q);

#endif
