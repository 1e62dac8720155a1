/* sim_snapshot — the whole simulated plant as an initial condition: a named file an
 * instructor saves and restores, and the ring of automatic snapshots (one per minute of
 * process time, the last 60) that a backtrack rewinds to.
 *
 * What a snapshot holds is struct splc whole: the physics, the PLC's latches and timers,
 * the injected faults, the sensors' lags, the noise generator and the process clock.  The
 * scenario's position is the clock: an event is done when its at_s is at or before it.
 *
 * The file (simhw/README.md, 'Snapshots'), all integers little-endian:
 *
 *   off  size  field
 *   0    16    magic "meltsim-snapshot"
 *   16   4     format version, 1
 *   20   4     payload size: sizeof(struct splc) of the build that wrote it
 *   24   4     layout word: ssnap_layout(), the sizes and offsets the payload depends on
 *   28   4     zero
 *   32   8     process clock, s (IEEE double): the same as in the payload, for listing
 *   40   48    name, NUL-padded (1 to SSNAP_NAME_MAX characters of [A-Za-z0-9_.-])
 *   88   P     payload: struct splc as the build holds it in memory
 *   88+P 32    SHA-256 (nettle) of every byte before it
 *
 * A file is read whole and judged before anything changes: its size, magic, version,
 * payload size and layout word (a file from another build's layout is refused by name,
 * not misread), the name, the digest, then the plant it holds (a finite clock, the
 * enumerations and positions in range, finite temperatures).
 *
 * Restoring (ssnap_restore) takes the plant from the snapshot and keeps the link-side
 * state of the running PLC: the heartbeats, the watchdog, the command handshake (so no
 * command is repeated or lost), the parameters from today's config, the speed and the
 * freeze; it counts one restart (sim_restarts).  The holding registers are not in the
 * snapshot: they keep what the console wrote last, so the drives go on toward the
 * demands the controller holds now and nothing bumps.
 */
#ifndef MELTCON_SIM_SNAPSHOT_H
#define MELTCON_SIM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_plc.h"

#define SSNAP_NAME_MAX 47
#define SSNAP_HEAD 88
#define SSNAP_DIGEST 32
#define SSNAP_FILE_SIZE (SSNAP_HEAD + sizeof(struct splc) + SSNAP_DIGEST)
#define SSNAP_RING 60          /* automatic snapshots kept: one per process minute */
#define SSNAP_RING_EVERY_S 60.0

struct ssnap {
    char name[SSNAP_NAME_MAX + 1];
    struct splc plc;
};

/* The layout word of this build (a hash of the sizes and offsets the payload depends on). */
uint32_t ssnap_layout(void);

/* A name as a file name: 1..SSNAP_NAME_MAX of [A-Za-z0-9_.-], not starting with '.'.
 * 0, or -1 with the reason in err. */
int ssnap_name_check(const char *name, char *err, size_t errlen);

/* Encode s into buf (at least SSNAP_FILE_SIZE bytes): the file's bytes.  Returns the size. */
size_t ssnap_encode(const struct ssnap *s, unsigned char *buf, size_t len);

/* Decode a file's bytes.  0 and *s filled, or -1 with a sentence in err and *s unchanged. */
int ssnap_decode(const unsigned char *buf, size_t len, struct ssnap *s, char *err,
                 size_t errlen);

/* Save as DIR/NAME.snap (written to a temporary file, then renamed: a reader never sees
 * half of one), creating DIR (0700) if needed.  0, or -1 with the file and the reason. */
int ssnap_save(const char *dir, const struct ssnap *s, char *err, size_t errlen);

/* Read and decode DIR/NAME.snap.  0, or -1 with the file and the reason, *s unchanged. */
int ssnap_load(const char *dir, const char *name, struct ssnap *s, char *err, size_t errlen);

/* Put the plant of `saved` into the running *plc, keeping its link-side state (above). */
void ssnap_restore(struct splc *plc, const struct splc *saved);

/* ---- the ring of automatic snapshots ---------------------------------------------------- */

struct ssnap_ring {
    struct splc slot[SSNAP_RING];
    int n, head;       /* entries, and where the next goes */
    double last_min;   /* process minute of the newest entry; -1 when empty */
};

void ssnap_ring_init(struct ssnap_ring *r);

/* Take a snapshot when the PLC's clock has entered a process minute not yet taken.
 * Returns 1 when one was taken. */
int ssnap_ring_tick(struct ssnap_ring *r, const struct splc *plc);

/* The entry for `minutes` (1..SSNAP_RING) minutes before the clock `now_s`: the newest one
 * taken at or before now_s - 60 x minutes.  NULL with the reason in err when the ring does
 * not reach back that far. */
const struct splc *ssnap_ring_find(const struct ssnap_ring *r, double now_s, double minutes,
                                   char *err, size_t errlen);

/* After a restore to clock t: forget the entries after t (a future that will not happen). */
void ssnap_ring_cut(struct ssnap_ring *r, double t);

/* Process minutes the ring reaches back from now_s (0 when empty). */
double ssnap_ring_span_min(const struct ssnap_ring *r, double now_s);

#endif
