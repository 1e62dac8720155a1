/* simsrv — meltsim's Modbus TCP server over the register image of the tag map.
 *
 * The server serves exactly the tag map of a config, held in a struct simimg
 * (sim_image.h: one table per Modbus table (ir, hr, di, co) sized
 * 0..highest mapped address); an address no tag covers answers ILLEGAL DATA
 * ADDRESS, and only tags with `writable = yes` accept writes.  The server
 * itself knows nothing of the furnace: the simulator's glue puts live values
 * in with simimg_put_outputs() on simsrv_image() (or simsrv_set()) and reads
 * what clients wrote with simimg_get_inputs() (or simsrv_get()).
 *
 * Several clients at once, none able to stall the others: every socket is
 * non-blocking, frames are assembled per client from the MBAP length, so
 * simsrv_poll() blocks only in poll() for at most its timeout.  A client that
 * sends garbage (a bad MBAP header), leaves a frame unfinished for
 * SIMSRV_FRAME_TIMEOUT_MS, or disconnects mid-frame is closed; the others
 * carry on.  At most SIMSRV_MAX_CLIENTS connections; more are refused, and
 * a client that sends nothing for [sim] idle_timeout_s (0: never) is
 * closed, so idle connections cannot hold every slot for ever.
 *
 * Times (`now_ms`, `until_ms`) are milliseconds on one monotonic clock the
 * caller chooses; the server never reads a clock itself.  Not thread-safe:
 * one thread owns a struct simsrv.
 */
#ifndef MELTCON_SIM_SERVER_H
#define MELTCON_SIM_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sim_image.h"
#include "tag.h"

#define SIMSRV_MAX_CLIENTS 16
#define SIMSRV_FRAME_TIMEOUT_MS 1000 /* an unfinished frame older than this drops its client */

struct simsrv;

struct simsrv_stats {
    int clients;         /* connected now */
    uint64_t accepted;   /* connections accepted */
    uint64_t refused;    /* connections refused: SIMSRV_MAX_CLIENTS already connected */
    uint64_t dropped;    /* closed by the server: garbage, unfinished frame, send failed */
    uint64_t closed;     /* closed by the client between frames */
    uint64_t idle;       /* closed by the server: nothing received for idle_timeout_s */
    uint64_t requests;   /* requests answered normally */
    uint64_t writes;     /* ... of which wrote to the image */
    uint64_t exceptions; /* requests answered with a Modbus exception */
    uint64_t muted;      /* requests read and dropped unanswered while muted */
};

/* Listen on bind:port (bind an IPv4 address, "0.0.0.0" for every interface;
 * port 1..65535) and serve the tag map of *c, all registers 0 at first,
 * dropping clients idle for c->sim.idle_timeout_s (0: never).  The tags are
 * copied: *c need not outlive the server.  Returns NULL with a
 * sentence in err when the address is bad or the port cannot be bound. */
struct simsrv *simsrv_open(const struct cfg *c, const char *bind, int port, char *err,
                           size_t errlen);

/* Close every connection and the listening socket; free everything.  NULL
 * is allowed. */
void simsrv_close(struct simsrv *s);

/* Wait up to timeout_ms for activity (0: do not wait; negative: until
 * something happens), then accept new clients, serve every complete request
 * that has arrived and drop broken clients.  Never blocks on one client.
 * Returns the number of requests handled (answered, refused with an
 * exception, or dropped while muted), or -1 if poll() itself failed (errno
 * set). */
int simsrv_poll(struct simsrv *s, int timeout_ms, int64_t now_ms);

/* "The PLC stops answering": until now_ms reaches until_ms, requests are
 * read and dropped without a reply; connections stay open.  An until_ms in
 * the past (e.g. 0) ends it. */
void simsrv_mute(struct simsrv *s, int64_t until_ms);

/* The register image the server serves (owned by the server). */
struct simimg *simsrv_image(struct simsrv *s);

/* Put tag `tag_index` (index into cfg->tags) in the image.  A writable tag
 * is encoded strictly (tag_encode: -1 if refused, image unchanged); any other
 * tag as a sensor would send it (tag_encode_sensor: out of range goes out as
 * it is and saturates at the raw type's limits).  Returns 0, or -1 for an
 * unknown index or a refused value. */
int simsrv_set(struct simsrv *s, int tag_index, double eng);

/* Put the tag's fault sentinel in the image (a broken sensor).  Returns 0,
 * or -1 for an unknown index or a tag without a sentinel. */
int simsrv_set_fault(struct simsrv *s, int tag_index);

/* Decode tag `tag_index` from the image (e.g. what a client wrote into a
 * holding register or coil).  Returns the quality (>= 0, as tag_decode:
 * *eng untouched for a fault sentinel), or -1 for an unknown index. */
int simsrv_get(const struct simsrv *s, int tag_index, double *eng);

/* One raw register or bit (0/1) at a mapped address.  Return 0, or -1 when
 * no tag covers table:addr. */
int simsrv_set_raw(struct simsrv *s, enum tag_table table, int addr, uint16_t v);
int simsrv_get_raw(const struct simsrv *s, enum tag_table table, int addr, uint16_t *v);

void simsrv_stats(const struct simsrv *s, struct simsrv_stats *out);

#endif
