/* clock — the clocks, read in one place.  Not for the functional core:
 * the core is given its times as arguments (make check-layers refuses a
 * core object that calls these). */
#ifndef MELTCON_CLOCK_H
#define MELTCON_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t clock_mono_ns(void);          /* CLOCK_MONOTONIC, nanoseconds */
double clock_mono_s(void);            /* CLOCK_MONOTONIC, seconds */
double clock_wall_s(void);            /* CLOCK_REALTIME (Unix time), seconds */
struct timespec clock_ts(int64_t ns); /* nanoseconds as a timespec */

#endif
