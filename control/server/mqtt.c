/* mqtt — the publisher's thread (see mqtt.h).
 *
 * The thread, every MQTT_TICK_MS or sooner when the socket wants it:
 *
 *   not connected: after the backoff (MQTT_BACKOFF_MIN_MS doubling to
 *     MQTT_BACKOFF_MAX_MS), bdSeq += 1, the will set to NDEATH with that
 *     bdSeq, mosquitto_connect (blocking this thread only);
 *   connected: mosquitto_loop (keepalive, reads, writes); a lost connection
 *     (an error, a missing PINGRESP) makes it not connected again;
 *   CONNACK accepted (on_connect): subscribe NCMD/DCMD of this node, then
 *     NBIRTH (seq 0, this bdSeq), DBIRTH (every metric, current values),
 *     then the store-and-forward buffer replayed in order, each metric
 *     marked historical, then live DDATA;
 *   each new image from the cycle: the metrics that moved past their
 *     deadband (or changed quality) go out as one DDATA when the node is
 *     born, else into the store-and-forward ring (at most [mqtt]
 *     store_forward messages; beyond it the oldest is dropped and counted,
 *     journalled once per outage).
 *
 * seq runs 0..255 over NBIRTH, DBIRTH and DDATA of one session.  A clean
 * stop publishes NDEATH itself (a normal DISCONNECT does not trigger the
 * will).  Messages are QoS 0, not retained, as Sparkplug B has them.
 *
 * Nothing sent is taken for delivered until the broker shows it was: a
 * broker that freezes keeps the connection open until the keepalive gives
 * up on it, and what was written into the socket meanwhile is lost with
 * it (QoS 0).  So each live DDATA stays in the store-and-forward ring
 * until a probe published after it (topic meltcon/probe/GROUP/NODE, the
 * probe's number as text, to which the node itself subscribes) comes back
 * from the broker: the broker handles one connection's messages in order,
 * so the echo proves everything before it arrived.  A connection lost
 * leaves in the ring exactly what was not proven, and the next birth
 * replays it, historical, before what was stored while away (it may
 * repeat a message the broker did pass on; never lose one).
 */
#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "core.h"
#include "core_view.h"
#include "mqtt_metric.h"
#include "util.h"

#define MQTT_TICK_MS 50
#define MQTT_BACKOFF_MIN_MS 250
#define MQTT_BACKOFF_MAX_MS 5000
#define MQTT_NOTES 32
#define MQTT_NOTE_MAX 240
#define MQTT_BUF (256 * 1024)

/* One stored DDATA: the metrics that changed, with their values.  probe:
 * for a DDATA sent but not yet known to have reached the broker, the
 * probe that will confirm it; 0 for one stored while away. */
struct sf_rec {
    uint64_t ms;
    uint32_t probe;
    int n;
    int *idx;
    bool *qchg;
    struct mm_val *v; /* indexed like the table (only idx[] matter) */
};

struct mqtt {
    const struct cfg *cfg;
    char topic_nbirth[160], topic_ndeath[160], topic_dbirth[200], topic_ddata[200];
    char topic_ncmd[160], topic_dcmd[200], topic_probe[200];
    char password[256];
    struct mm_table tab;
    pthread_t th;
    bool started;
    atomic_bool stop;
    /* the mailbox: the cycle writes under trylock, the thread reads under lock */
    pthread_mutex_t mx;
    uint64_t gen;
    double wall;
    struct mm_val box[MM_MAX];
    char notes[MQTT_NOTES][MQTT_NOTE_MAX];
    int note_head, note_n;
    unsigned long notes_lost;
    /* the cycle's own (only mqtt_cycle touches these) */
    struct core_view view;
    struct mm_val stage[MM_MAX];
    /* the thread's own */
    struct mosquitto *mq;
    bool sock;          /* connected (or connecting) at the socket level */
    bool online;        /* CONNACK accepted */
    bool born;          /* NBIRTH and DBIRTH out this session */
    atomic_bool rebirth;
    uint64_t bdseq;
    int seq;            /* next seq, 0..255 */
    int backoff_ms;
    int64_t next_try_ns;
    uint64_t seen_gen;
    uint32_t probe;     /* the last probe sent */
    double cur_wall;
    struct mm_val cur[MM_MAX], last[MM_MAX];
    bool have_cur, have_last;
    int idx[MM_MAX];
    bool qchg[MM_MAX];
    struct sf_rec *ring;
    int ring_cap, ring_head, ring_n;
    unsigned long overflow, overflow_said;
    unsigned long outage_stored;
    uint8_t *buf;
};

/* ---- notes for the journal (thread -> cycle) --------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void note(struct mqtt *m, const char *fmt, ...)
{
    char line[MQTT_NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&m->mx);
    if (m->note_n == MQTT_NOTES) {
        m->notes_lost++;
    } else {
        (void)str_copy(m->notes[(m->note_head + m->note_n) % MQTT_NOTES], MQTT_NOTE_MAX, line);
        m->note_n++;
    }
    pthread_mutex_unlock(&m->mx);
}

int mqtt_note(struct mqtt *m, char *buf, size_t len)
{
    if (!m || pthread_mutex_trylock(&m->mx) != 0)
        return 0;
    int got = 0;
    if (m->note_n > 0) {
        (void)str_copy(buf, len, m->notes[m->note_head]);
        m->note_head = (m->note_head + 1) % MQTT_NOTES;
        m->note_n--;
        got = 1;
    } else if (m->notes_lost) {
        snprintf(buf, len, "MQTT: %lu journal lines of the publisher were lost (too many at once)",
                 m->notes_lost);
        m->notes_lost = 0;
        got = 1;
    }
    pthread_mutex_unlock(&m->mx);
    return got;
}

/* ---- the cycle's side --------------------------------------------------------------------- */

void mqtt_cycle(struct mqtt *m, const struct core *k, const struct tag_value *tags,
                const double *age, int link, uint64_t slow_cycles, double wall)
{
    if (!m)
        return;
    core_view_fill(k, tags, age, NULL, &m->view);
    struct mm_shell sh = {.link = link, .slow_cycles = slow_cycles};
    mm_image(&m->tab, m->cfg, &m->view, &sh, m->stage);
    if (pthread_mutex_trylock(&m->mx) != 0)
        return; /* the thread is reading the box: the next cycle's values supersede these */
    memcpy(m->box, m->stage, sizeof(struct mm_val) * (size_t)m->tab.n);
    m->wall = wall;
    m->gen++;
    pthread_mutex_unlock(&m->mx);
}

/* ---- publishing ------------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    return (uint64_t)(clock_wall_s() * 1000.0);
}

static int next_seq(struct mqtt *m)
{
    int s = m->seq;
    m->seq = (m->seq + 1) % 256;
    return s;
}

static bool pub(struct mqtt *m, const char *topic, size_t len)
{
    if (!len) {
        note(m, "MQTT: a payload for %s does not fit in %d bytes; not sent", topic, MQTT_BUF);
        return false;
    }
    int rc = mosquitto_publish(m->mq, NULL, topic, (int)len, m->buf, 0, false);
    return rc == MOSQ_ERR_SUCCESS;
}

static void sf_free(struct sf_rec *r)
{
    free(r->idx);
    free(r->qchg);
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Keep one DDATA's worth of changes for the replay (probe: see sf_rec). */
static void sf_put(struct mqtt *m, uint64_t ms, int n, uint32_t probe)
{
    if (m->ring_cap == 0) { /* store_forward = 0: nothing kept, nothing replayed */
        if (!probe)
            m->overflow++;
        return;
    }
    if (m->ring_n == m->ring_cap) { /* the oldest goes */
        sf_free(&m->ring[m->ring_head]);
        m->ring_head = (m->ring_head + 1) % m->ring_cap;
        m->ring_n--;
        m->overflow++;
    }
    struct sf_rec *r = &m->ring[(m->ring_head + m->ring_n) % m->ring_cap];
    r->idx = malloc(sizeof(int) * (size_t)n);
    r->qchg = malloc(sizeof(bool) * (size_t)n);
    r->v = malloc(sizeof(struct mm_val) * (size_t)m->tab.n);
    if (!r->idx || !r->qchg || !r->v) {
        sf_free(r);
        m->overflow++;
        return;
    }
    memcpy(r->idx, m->idx, sizeof(int) * (size_t)n);
    memcpy(r->qchg, m->qchg, sizeof(bool) * (size_t)n);
    memcpy(r->v, m->cur, sizeof(struct mm_val) * (size_t)m->tab.n);
    r->n = n;
    r->ms = ms;
    r->probe = probe;
    m->ring_n++;
    if (!probe)
        m->outage_stored++;
}

static void births(struct mqtt *m)
{
    uint64_t ms = now_ms();
    m->seq = 0;
    size_t len = mm_encode_nbirth(m->bdseq, ms, m->buf, MQTT_BUF);
    next_seq(m); /* NBIRTH is seq 0 */
    if (!pub(m, m->topic_nbirth, len))
        return;
    len = mm_encode_dbirth(&m->tab, m->cur, (uint64_t)next_seq(m), ms, m->buf, MQTT_BUF);
    if (!pub(m, m->topic_dbirth, len))
        return;
    memcpy(m->last, m->cur, sizeof(struct mm_val) * (size_t)m->tab.n);
    m->have_last = true;
    m->born = true;
    /* the history kept while away, oldest first */
    int replayed = m->ring_n;
    while (m->ring_n > 0) {
        struct sf_rec *r = &m->ring[m->ring_head];
        len = mm_encode_ddata(&m->tab, r->v, r->idx, r->qchg, r->n, (uint64_t)next_seq(m), ms,
                              r->ms, true, m->buf, MQTT_BUF);
        (void)pub(m, m->topic_ddata, len);
        sf_free(r);
        m->ring_head = (m->ring_head + 1) % m->ring_cap;
        m->ring_n--;
    }
    note(m, "MQTT: node born on %s:%d (bdSeq %llu): NBIRTH, DBIRTH of %d metrics, %d stored "
         "messages replayed as historical",
         m->cfg->mqtt.host, m->cfg->mqtt.port, (unsigned long long)m->bdseq, m->tab.n, replayed);
    if (m->overflow > m->overflow_said) {
        note(m, "MQTT: store-and-forward full ([mqtt] store_forward = %d): %lu oldest data "
             "messages dropped while the broker was away",
             m->cfg->mqtt.store_forward, m->overflow - m->overflow_said);
        m->overflow_said = m->overflow;
    }
    m->outage_stored = 0;
}

/* A new image: publish (or store) what changed. */
static void take_image(struct mqtt *m)
{
    uint64_t ms = (uint64_t)(m->cur_wall * 1000.0);
    if (!m->have_last) {
        memcpy(m->last, m->cur, sizeof(struct mm_val) * (size_t)m->tab.n);
        m->have_last = true;
        if (!m->born)
            return; /* the DBIRTH will carry these */
    }
    int n = mm_changes(&m->tab, m->last, m->cur, m->idx, m->qchg);
    if (n == 0)
        return;
    for (int k = 0; k < n; k++)
        m->last[m->idx[k]] = m->cur[m->idx[k]];
    if (m->born) {
        size_t len = mm_encode_ddata(&m->tab, m->cur, m->idx, m->qchg, n, (uint64_t)next_seq(m),
                                     now_ms(), ms, false, m->buf, MQTT_BUF);
        if (!pub(m, m->topic_ddata, len))
            return;
        /* kept until the broker echoes the probe sent after it */
        char txt[16];
        int tl = snprintf(txt, sizeof txt, "%u", ++m->probe);
        sf_put(m, ms, n, m->probe);
        mosquitto_publish(m->mq, NULL, m->topic_probe, tl, txt, 0, false);
    } else {
        sf_put(m, ms, n, 0);
    }
}

/* ---- libmosquitto's callbacks (on this thread, inside mosquitto_loop) ----------------------- */

static void on_connect(struct mosquitto *mq, void *obj, int rc)
{
    struct mqtt *m = obj;
    if (rc != 0) {
        note(m, "MQTT: the broker %s:%d refused the connection: %s", m->cfg->mqtt.host,
             m->cfg->mqtt.port, mosquitto_connack_string(rc));
        return;
    }
    m->online = true;
    m->backoff_ms = MQTT_BACKOFF_MIN_MS;
    mosquitto_subscribe(mq, NULL, m->topic_ncmd, 0);
    mosquitto_subscribe(mq, NULL, m->topic_dcmd, 0);
    mosquitto_subscribe(mq, NULL, m->topic_probe, 0);
    if (m->have_cur)
        births(m);
}

static void on_disconnect(struct mosquitto *mq, void *obj, int rc)
{
    (void)mq;
    struct mqtt *m = obj;
    if (m->online)
        note(m, "MQTT: connection to the broker %s:%d lost (%s); storing up to %d data messages",
             m->cfg->mqtt.host, m->cfg->mqtt.port, rc ? mosquitto_strerror(rc) : "closed",
             m->cfg->mqtt.store_forward);
    m->online = false;
    m->born = false;
    m->sock = false;
}

static void on_message(struct mosquitto *mq, void *obj, const struct mosquitto_message *msg)
{
    (void)mq;
    struct mqtt *m = obj;
    char what[160];
    if (!strcmp(msg->topic, m->topic_probe)) { /* what was sent before it reached the broker */
        char txt[16] = "";
        memcpy(txt, msg->payload, msg->payloadlen < 15 ? (size_t)msg->payloadlen : 15);
        uint32_t n = (uint32_t)strtoul(txt, NULL, 10);
        while (m->ring_n > 0 && m->ring[m->ring_head].probe && m->ring[m->ring_head].probe <= n) {
            sf_free(&m->ring[m->ring_head]);
            m->ring_head = (m->ring_head + 1) % m->ring_cap;
            m->ring_n--;
        }
        return;
    }
    bool ncmd = !strcmp(msg->topic, m->topic_ncmd);
    if (ncmd && mm_is_rebirth(msg->payload, (size_t)msg->payloadlen, what, sizeof what)) {
        atomic_store(&m->rebirth, true);
        note(m, "MQTT: rebirth requested by NCMD: NBIRTH and DBIRTH again");
        return;
    }
    if (!ncmd)
        mm_is_rebirth(msg->payload, (size_t)msg->payloadlen, what, sizeof what);
    note(m, "MQTT: command refused: %s on %s (%s): this server is read-only over MQTT; only "
         "Node Control/Rebirth is answered",
         ncmd ? "NCMD" : "DCMD", msg->topic, what);
}

/* ---- the thread ------------------------------------------------------------------------------ */

/* A connection attempt failed, or a connection (online when `was_online`)
 * was lost: try again after the backoff, which doubles while attempts fail.
 * The first failure of an outage is journalled. */
static void retry_later(struct mqtt *m, int rc, bool was_online)
{
    const struct cfg_mqtt *c = &m->cfg->mqtt;
    int e = errno;
    if (m->online)
        on_disconnect(m->mq, m, rc); /* libmosquitto did not say it */
    m->online = m->born = m->sock = false;
    if (!was_online && m->backoff_ms == MQTT_BACKOFF_MIN_MS)
        note(m, "MQTT: cannot reach the broker %s:%d: %s; retrying every %d s at most", c->host,
             c->port, rc == MOSQ_ERR_ERRNO ? strerror(e) : mosquitto_strerror(rc),
             MQTT_BACKOFF_MAX_MS / 1000);
    m->next_try_ns = clock_mono_ns() + (int64_t)m->backoff_ms * 1000000;
    if (!was_online)
        m->backoff_ms =
            m->backoff_ms * 2 > MQTT_BACKOFF_MAX_MS ? MQTT_BACKOFF_MAX_MS : m->backoff_ms * 2;
}

/* Start a connection without waiting for it (mosquitto_connect_async: a
 * broker that does not answer the SYN holds nothing up, not even a stop);
 * mosquitto_loop finishes it, or the keepalive gives up on it. */
static void try_connect(struct mqtt *m)
{
    if (clock_mono_ns() < m->next_try_ns)
        return;
    const struct cfg_mqtt *c = &m->cfg->mqtt;
    m->bdseq++;
    size_t len = mm_encode_ndeath(m->bdseq, now_ms(), m->buf, MQTT_BUF);
    mosquitto_will_clear(m->mq);
    mosquitto_will_set(m->mq, m->topic_ndeath, (int)len, m->buf, 0, false);
    int rc = mosquitto_connect_async(m->mq, c->host, c->port, c->keepalive_s);
    if (rc == MOSQ_ERR_SUCCESS)
        m->sock = true;
    else
        retry_later(m, rc, false);
}

static void *run(void *arg)
{
    struct mqtt *m = arg;
    while (!atomic_load(&m->stop)) {
        if (!m->sock) {
            try_connect(m);
            if (!m->sock) {
                struct timespec ts = {0, MQTT_TICK_MS * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (m->sock) {
            bool was_online = m->online;
            int rc = mosquitto_loop(m->mq, MQTT_TICK_MS, 1);
            if (rc != MOSQ_ERR_SUCCESS) {
                mosquitto_disconnect(m->mq);
                retry_later(m, rc, was_online);
            }
        }
        pthread_mutex_lock(&m->mx);
        bool fresh = m->gen != m->seen_gen;
        if (fresh) {
            memcpy(m->cur, m->box, sizeof(struct mm_val) * (size_t)m->tab.n);
            m->cur_wall = m->wall;
            m->seen_gen = m->gen;
        }
        pthread_mutex_unlock(&m->mx);
        if (fresh) {
            m->have_cur = true;
            if (m->online && !m->born)
                births(m);
            else
                take_image(m);
        }
        if (m->online && m->have_cur && atomic_exchange(&m->rebirth, false))
            births(m);
    }
    if (m->online) { /* a clean stop: the death certificate ourselves */
        size_t len = mm_encode_ndeath(m->bdseq, now_ms(), m->buf, MQTT_BUF);
        mosquitto_publish(m->mq, NULL, m->topic_ndeath, (int)len, m->buf, 0, false);
        mosquitto_loop(m->mq, 100, 1);
        mosquitto_disconnect(m->mq);
        mosquitto_loop(m->mq, 100, 1);
    }
    return NULL;
}

static int read_password(const char *file, char *out, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        snprintf(err, errlen, "[mqtt] password_file = \"%s\": cannot read it: %s", file,
                 strerror(errno));
        return -1;
    }
    if (!fgets(out, (int)len, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

struct mqtt *mqtt_start(const struct cfg *c, char *err, size_t errlen)
{
    struct mqtt *m = calloc(1, sizeof *m);
    if (!m || !(m->buf = malloc(MQTT_BUF))) {
        snprintf(err, errlen, "MQTT: out of memory");
        free(m);
        return NULL;
    }
    m->cfg = c;
    const struct cfg_mqtt *q = &c->mqtt;
    const char *g = q->group_id, *n = c->furnace.name;
    snprintf(m->topic_nbirth, sizeof m->topic_nbirth, "spBv1.0/%s/NBIRTH/%s", g, n);
    snprintf(m->topic_ndeath, sizeof m->topic_ndeath, "spBv1.0/%s/NDEATH/%s", g, n);
    snprintf(m->topic_ncmd, sizeof m->topic_ncmd, "spBv1.0/%s/NCMD/%s", g, n);
    snprintf(m->topic_dbirth, sizeof m->topic_dbirth, "spBv1.0/%s/DBIRTH/%s/%s", g, n,
             MQTT_DEVICE);
    snprintf(m->topic_ddata, sizeof m->topic_ddata, "spBv1.0/%s/DDATA/%s/%s", g, n, MQTT_DEVICE);
    snprintf(m->topic_dcmd, sizeof m->topic_dcmd, "spBv1.0/%s/DCMD/%s/#", g, n);
    snprintf(m->topic_probe, sizeof m->topic_probe, "meltcon/probe/%s/%s", g, n);
    mm_build(&m->tab, c);
    m->ring_cap = q->store_forward;
    if (m->ring_cap && !(m->ring = calloc((size_t)m->ring_cap, sizeof *m->ring))) {
        snprintf(err, errlen, "MQTT: out of memory for store_forward = %d", m->ring_cap);
        goto fail;
    }
    if (*q->password_file && read_password(q->password_file, m->password, sizeof m->password,
                                           err, errlen) < 0)
        goto fail;
    mosquitto_lib_init();
    char id[96];
    snprintf(id, sizeof id, "meltcon-%s-%s", g, n);
    if (!(m->mq = mosquitto_new(id, true, m))) {
        snprintf(err, errlen, "MQTT: cannot create the client: %s", strerror(errno));
        goto fail;
    }
    mosquitto_connect_callback_set(m->mq, on_connect);
    mosquitto_disconnect_callback_set(m->mq, on_disconnect);
    mosquitto_message_callback_set(m->mq, on_message);
    if (*q->username)
        mosquitto_username_pw_set(m->mq, q->username, *q->password_file ? m->password : NULL);
    if (*q->tls_ca) {
        /* each file by its key first: libmosquitto's own error names none of them */
        const struct { const char *key, *file; } tf[] = {
            {"tls_ca", q->tls_ca}, {"tls_cert", q->tls_cert}, {"tls_key", q->tls_key}};
        for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++) {
            FILE *f = *tf[i].file ? fopen(tf[i].file, "re") : NULL;
            if (*tf[i].file && !f) {
                snprintf(err, errlen, "[mqtt] %s = \"%s\": cannot read it: %s", tf[i].key,
                         tf[i].file, strerror(errno));
                goto fail;
            }
            if (f)
                fclose(f);
        }
        int rc = mosquitto_tls_set(m->mq, q->tls_ca, NULL, *q->tls_cert ? q->tls_cert : NULL,
                                   *q->tls_key ? q->tls_key : NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "[mqtt] tls_ca/tls_cert/tls_key: %s",
                     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            goto fail;
        }
    }
    pthread_mutex_init(&m->mx, NULL);
    m->backoff_ms = MQTT_BACKOFF_MIN_MS;
    note(m, "MQTT: publishing to %s:%d as Sparkplug B node spBv1.0/%s/%s, device %s, %d "
         "metrics; read-only: only Node Control/Rebirth is answered",
         q->host, q->port, g, n, MQTT_DEVICE, m->tab.n);
    if (pthread_create(&m->th, NULL, run, m) != 0) {
        snprintf(err, errlen, "MQTT: cannot start the publisher's thread");
        pthread_mutex_destroy(&m->mx);
        goto fail;
    }
    m->started = true;
    return m;
fail:
    if (m->mq)
        mosquitto_destroy(m->mq);
    free(m->ring);
    free(m->buf);
    free(m);
    return NULL;
}

void mqtt_stop(struct mqtt *m)
{
    if (!m)
        return;
    atomic_store(&m->stop, true);
    pthread_join(m->th, NULL);
    for (int i = 0; i < m->ring_n; i++)
        sf_free(&m->ring[(m->ring_head + i) % m->ring_cap]);
    mosquitto_destroy(m->mq);
    mosquitto_lib_cleanup();
    pthread_mutex_destroy(&m->mx);
    free(m->ring);
    free(m->buf);
    free(m);
}
