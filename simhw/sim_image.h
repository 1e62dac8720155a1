/* simimg — the register image of a tag map as the simulated PLC serves it,
 * and the simulated PLC's place in it.  Two users: meltsim's Modbus TCP
 * server (sim_server.c frames the requests and answers them from this image)
 * and the closed-loop harness, which runs the console's real PLC link
 * (control/server/plc_link.c) against it in memory (tests/closed_loop_link.c).
 *
 * The image holds exactly the tag map of a config: one table per Modbus
 * table (ir, hr, di, co) sized 0..highest mapped address.  A request is
 * allowed (simimg_check) when its quantity is within the function's limit
 * and every address it touches is covered by a tag, and for a write by a tag
 * with `writable = yes`; otherwise it gets the exception code a Modbus
 * server answers (ILLEGAL DATA VALUE, ILLEGAL DATA ADDRESS), and nothing
 * changes.  Values go in and out through the tag codec (control/core/tag.h),
 * so quantisation, word order, valid ranges and fault sentinels are the ones
 * the console decodes.
 *
 * The simulated PLC on the image (simimg_put_outputs and after): every PLC output
 * (struct splc_out) the map has a tag for is encoded into its registers, a
 * broken sensor as the tag's fault sentinel (a tag without one keeps its last
 * value, as a frozen reading); every holding register the map has for a PLC
 * input (struct splc_in) is decoded into it.  Fields the map lacks are left
 * alone.  Not thread-safe; no clock, no I/O.
 */
#ifndef MELTCON_SIM_IMAGE_H
#define MELTCON_SIM_IMAGE_H

#include <modbus.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_plc.h"
#include "tag.h"

struct simimg;

/* The image of the tag map of *c, every register and bit 0.  The tags are
 * copied: *c need not outlive the image.  Returns NULL with a sentence in err
 * (a tag outside the Modbus address space, out of memory). */
struct simimg *simimg_new(const struct cfg *c, char *err, size_t errlen);
void simimg_free(struct simimg *m); /* NULL is allowed */

/* The tables as libmodbus's modbus_reply() serves them. */
modbus_mapping_t *simimg_mapping(struct simimg *m);

/* The exception code (MODBUS_EXCEPTION_*) a server answers for a read
 * (write = false) or a write of n registers or bits at table:addr, whose
 * function takes at most max_n: 0 allowed; ILLEGAL DATA VALUE for n outside
 * 1..max_n; ILLEGAL DATA ADDRESS when an address is covered by no tag or, for
 * a write, by a tag that is not writable. */
int simimg_check(const struct simimg *m, enum tag_table table, int addr, int n, int max_n,
                 bool write);

/* Transactions as the server performs them, checked first (read: the limits
 * of FC 1-4; write: FC 16 and FC 5).  Return 0, or the exception code with
 * nothing read or written.  simimg_read fills regs[] for TAG_IR/TAG_HR and
 * bits[] (0/1) for TAG_DI/TAG_CO. */
int simimg_read(const struct simimg *m, enum tag_table table, int addr, int n, uint16_t *regs,
                uint8_t *bits);
int simimg_write_regs(struct simimg *m, int addr, int n, const uint16_t *src);
int simimg_write_bit(struct simimg *m, int addr, int value);

/* Per tag (index into cfg->tags), as simsrv_set/_set_fault/_get/_set_raw/
 * _get_raw describe them (sim_server.h). */
int simimg_set(struct simimg *m, int tag_index, double eng);
int simimg_set_fault(struct simimg *m, int tag_index);
int simimg_get(const struct simimg *m, int tag_index, double *eng);
int simimg_set_raw(struct simimg *m, enum tag_table table, int addr, uint16_t v);
int simimg_get_raw(const struct simimg *m, enum tag_table table, int addr, uint16_t *v);

/* ---- the simulated PLC on the image ----------------------------------------- */

/* Does the simulated PLC carry tag `tag_index` (a field of struct splc_out or
 * splc_in by that name)?  Looked up once, in simimg_new.  A tag it does not
 * carry stays as it is in the image (0 unless set). */
bool simimg_served(const struct simimg *m, int tag_index);

/* Every PLC output the map has into its registers (a broken sensor as its
 * fault sentinel). */
void simimg_put_outputs(struct simimg *m, const struct splc_out *o);
/* The PLC's inputs into their holding registers (the start state, as the
 * PLC presets them). */
void simimg_put_inputs(struct simimg *m, const struct splc_in *in);
/* What the console wrote into the holding registers, into the PLC's inputs. */
void simimg_get_inputs(const struct simimg *m, struct splc_in *in);

#endif
