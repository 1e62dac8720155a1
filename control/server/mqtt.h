/* mqtt — the Sparkplug B publisher: the furnace on the plant's MQTT broker
 * ([mqtt] in the config; the metrics: mqtt_metric.h).
 *
 * The broker lives on a thread of its own (libmosquitto, driven by
 * mosquitto_loop there): connecting, publishing, reconnecting with backoff
 * and store-and-forward all happen on it.  The control cycle only hands
 * over its values: mqtt_cycle() copies them into a one-slot mailbox under
 * a mutex it only tries (pthread_mutex_trylock), so the cycle never waits
 * for the publisher, the broker or the network; a handoff that finds the
 * slot busy is skipped (the next cycle's values supersede it).
 *
 * Read-only by design: the node subscribes to its own NCMD and DCMD topics
 * only to answer the Sparkplug rebirth request ("Node Control/Rebirth");
 * every other command is refused and journalled, and nothing received over
 * MQTT reaches the control core.
 *
 * The journal lines the thread has to say (broker up/down, store-and-forward
 * overflow, refused commands) wait in a small ring for the cycle, which
 * journals them (mqtt_note).
 */
#ifndef MELTCON_MQTT_H
#define MELTCON_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "tag.h"

struct mqtt;
struct core;

/* Start the publisher for c ([mqtt] enabled).  NULL with a sentence in err
 * when it cannot start (a password file that cannot be read, no thread). */
struct mqtt *mqtt_start(const struct cfg *c, char *err, size_t errlen);

/* After each control cycle: the cycle's values to the publisher.  Never
 * blocks.  link: enum snap_link; wall: Unix time of the cycle. */
void mqtt_cycle(struct mqtt *m, const struct core *k, const struct tag_value *tags,
                const double *age, int link, uint64_t slow_cycles, double wall);

/* A journal line the publisher has for the cycle: 1 with it in buf, or 0. */
int mqtt_note(struct mqtt *m, char *buf, size_t len);

/* Publish NDEATH, disconnect and join the thread. */
void mqtt_stop(struct mqtt *m);

#endif
