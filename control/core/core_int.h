/* core_int — what the files of the control core share and nobody else
 * sees: core.c (init, step, handshake, results), core_gate.c (the gate),
 * core_view.c (the view) and core_state.c (the state kept across restarts).
 * Not to be included outside control/core.
 */
#ifndef MELTCON_CORE_INT_H
#define MELTCON_CORE_INT_H

#include <stddef.h>

#include "core.h"

#define CORE_RESULT_TEXT sizeof(((struct core_result *)0)->text)

/* A new result at the end of k->results (the oldest is dropped and counted
 * when it is full), zeroed but for time, request (r, or the core itself
 * when NULL), kind and what.  The caller sets ok, the values and the text. */
struct core_result *core_result_new(struct core *k, const struct core_req *r, const char *kind,
                                    const char *what);

/* The phase moved from `from` to k->seq.phase: record it (by r, or by the
 * sequencer when NULL) and download the new phase's setpoints. */
void core_phase_event(struct core *k, const struct core_req *r, enum cfg_phase from,
                      const char *why);

/* Compare-and-set (core_cas.c).  core_cas_check: 0 when r has no expect=
 * or its base is still that value, else -1 with the refusal's sentence.
 * core_note_change: remember who changed a base to what, and when ("" when
 * the core did); core_note_request: the same for a request just carried
 * out, its base read back now. */
int core_cas_check(const struct core *k, const struct core_req *r, char *why, size_t n);
void core_note_change(struct core *k, const char *key, const char *value, const char *by,
                      const char *when);
void core_note_request(struct core *k, const struct core_req *r);

/* The permissives' view of the core now. */
void core_perm_context(const struct core *k, struct perm_ctx *ctx);

#endif
