/* sim_snapshot — snapshot files and the ring of automatic snapshots (see sim_snapshot.h for
 * the file format and what a restore keeps).
 *
 * The payload is struct splc as it is in memory: a snapshot is an initial condition for
 * the same build of meltsim, taken and restored in well under a millisecond, not an
 * archive format.  The layout word makes a file of another layout a clear refusal
 * ("written by a meltsim with another plant layout") instead of a misread plant; the
 * SHA-256 makes a damaged file one.  The plant checks after the digest catch a file
 * made by hand with a valid digest and nonsense in it (a NaN temperature would otherwise
 * spread through the physics at the first scan).
 */
#include "sim_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[16] = {'m', 'e', 'l', 't', 's', 'i', 'm', '-',
                               's', 'n', 'a', 'p', 's', 'h', 'o', 't'};
#define SSNAP_VERSION 1u

_Static_assert(sizeof(struct phys_state) % sizeof(double) == 0,
               "phys_state is all doubles: ssnap_decode checks each one is finite");

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t mix(uint32_t h, size_t v)
{
    h ^= (uint32_t)v;
    return h * 16777619u; /* FNV-1a step */
}

uint32_t ssnap_layout(void)
{
    uint32_t h = 2166136261u;
    h = mix(h, sizeof(struct splc));
    h = mix(h, sizeof(struct phys_state));
    h = mix(h, sizeof(struct phys_params));
    h = mix(h, sizeof(struct splc_params));
    h = mix(h, sizeof(struct splc_faults));
    h = mix(h, offsetof(struct splc, phys));
    h = mix(h, offsetof(struct splc, faults));
    h = mix(h, offsetof(struct splc, clock_s));
    h = mix(h, offsetof(struct splc, bms));
    h = mix(h, offsetof(struct splc, tc_meas));
    h = mix(h, offsetof(struct splc, rng));
    h = mix(h, offsetof(struct splc, speed));
    h = mix(h, SPLC_TC_COUNT);
    h = mix(h, PHYS_MAX_CHARGES);
    return h;
}

int ssnap_name_check(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n > SSNAP_NAME_MAX) {
        snprintf(err, errlen, "snapshot name \"%.60s\": expected 1 to %d characters", name,
                 SSNAP_NAME_MAX);
        return -1;
    }
    if (name[0] == '.') {
        snprintf(err, errlen, "snapshot name \"%s\": must not start with '.'", name);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            snprintf(err, errlen,
                     "snapshot name \"%s\": character %zu is not one of A-Z a-z 0-9 _ . -",
                     name, i + 1);
            return -1;
        }
    }
    return 0;
}

static void digest(const unsigned char *buf, size_t len, unsigned char out[SSNAP_DIGEST])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, buf);
    sha256_digest(&ctx, SSNAP_DIGEST, out);
}

size_t ssnap_encode(const struct ssnap *s, unsigned char *buf, size_t len)
{
    if (len < SSNAP_FILE_SIZE)
        return 0;
    memset(buf, 0, SSNAP_HEAD);
    memcpy(buf, magic, sizeof magic);
    put32(buf + 16, SSNAP_VERSION);
    put32(buf + 20, (uint32_t)sizeof(struct splc));
    put32(buf + 24, ssnap_layout());
    memcpy(buf + 32, &s->plc.clock_s, sizeof(double));
    memcpy(buf + 40, s->name, strnlen(s->name, SSNAP_NAME_MAX));
    memcpy(buf + SSNAP_HEAD, &s->plc, sizeof s->plc);
    digest(buf, SSNAP_HEAD + sizeof s->plc, buf + SSNAP_HEAD + sizeof s->plc);
    return SSNAP_FILE_SIZE;
}

static bool finite_in(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

/* The plant a decoded payload holds is one the scan can run from. */
static int plant_check(const struct splc *p, char *err, size_t errlen)
{
    const double *d = (const double *)(const void *)&p->phys;
    for (size_t i = 0; i < sizeof p->phys / sizeof(double); i++)
        if (!isfinite(d[i])) {
            snprintf(err, errlen, "the physics state holds a value that is not a number "
                                  "(word %zu)", i);
            return -1;
        }
    const char *bad = NULL;
    if (!finite_in(p->clock_s, 0, 1e9))
        bad = "process clock";
    else if (!(p->bms >= SPLC_BMS_OFF && p->bms <= SPLC_BMS_LOCKOUT))
        bad = "burner state";
    else if (!finite_in(p->firing, 0, 100) || !finite_in(p->pump_speed, 0, 100) ||
             !finite_in(p->fan_speed, 0, 100) || !finite_in(p->damper, 0, 100) ||
             !finite_in(p->afterburn, 0, 1000))
        bad = "drive position";
    else if (!finite_in(p->sc_door, 0, 1) || !finite_in(p->hc_door, 0, 1) ||
             !finite_in(p->pusher, 0, 1) || p->pusher_dir < -1 || p->pusher_dir > 1)
        bad = "door or pusher position";
    else if (!finite_in(p->bms_timer_s, -1e6, 1e6) || !finite_in(p->since_charge_s, -1, 1e10))
        bad = "PLC timer";
    else if (!finite_in(p->phys.bath_hc_kg, 0, 1e6) || !finite_in(p->phys.bath_sc_kg, 0, 1e6) ||
             !finite_in(p->phys.bath_hc_c, -50, 3000) || !finite_in(p->phys.hc_gas_c, -50, 3000))
        bad = "bath or gas state";
    for (int i = 0; !bad && i < SPLC_TC_COUNT; i++)
        if (!isfinite(p->tc_lagged[i]) || !isfinite(p->tc_offset[i]) ||
            !isfinite(p->tc_meas[i]) || !isfinite(p->faults.tc_drift_k_min[i]))
            bad = "thermocouple state";
    if (!bad && (!isfinite(p->o2_meas) || !isfinite(p->co_meas) || !isfinite(p->pressure_meas) ||
                 !isfinite(p->level_meas) || !finite_in(p->faults.wet_charge, 0, 1) ||
                 !finite_in(p->faults.heavy_organics, 0, 1)))
        bad = "sensor or fault state";
    if (bad) {
        snprintf(err, errlen, "the plant it holds is not one meltsim can run: bad %s", bad);
        return -1;
    }
    return 0;
}

int ssnap_decode(const unsigned char *buf, size_t len, struct ssnap *s, char *err,
                 size_t errlen)
{
    if (len < SSNAP_HEAD || memcmp(buf, magic, sizeof magic) != 0) {
        snprintf(err, errlen, "not a meltsim snapshot (no \"meltsim-snapshot\" header)");
        return -1;
    }
    uint32_t ver = get32(buf + 16), size = get32(buf + 20), layout = get32(buf + 24);
    if (ver != SSNAP_VERSION) {
        snprintf(err, errlen, "snapshot format version %u: this meltsim reads version %u",
                 (unsigned)ver, SSNAP_VERSION);
        return -1;
    }
    if (size != sizeof(struct splc) || layout != ssnap_layout()) {
        snprintf(err, errlen,
                 "written by a meltsim with another plant layout (payload %u bytes, layout "
                 "%08x; this one: %zu, %08x): take the snapshot again with this meltsim",
                 (unsigned)size, (unsigned)layout, sizeof(struct splc),
                 (unsigned)ssnap_layout());
        return -1;
    }
    if (len != SSNAP_FILE_SIZE) {
        snprintf(err, errlen, "%s: %zu bytes, expected %zu",
                 len < SSNAP_FILE_SIZE ? "truncated" : "trailing bytes", len,
                 (size_t)SSNAP_FILE_SIZE);
        return -1;
    }
    if (get32(buf + 28) != 0) {
        snprintf(err, errlen, "header word at offset 28 is not zero");
        return -1;
    }
    char name[SSNAP_NAME_MAX + 1];
    if (memchr(buf + 40, 0, 48) == NULL) {
        snprintf(err, errlen, "the name field is not terminated");
        return -1;
    }
    memcpy(name, buf + 40, sizeof name);
    for (size_t i = strlen(name); i < 48; i++)
        if (buf[40 + i] != 0) {
            snprintf(err, errlen, "the name field has bytes after its end");
            return -1;
        }
    char why[160];
    if (ssnap_name_check(name, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    unsigned char d[SSNAP_DIGEST];
    digest(buf, SSNAP_HEAD + sizeof(struct splc), d);
    if (memcmp(d, buf + SSNAP_HEAD + sizeof(struct splc), SSNAP_DIGEST) != 0) {
        snprintf(err, errlen, "damaged: its SHA-256 does not match its contents");
        return -1;
    }
    static struct splc p; /* large: not on the caller's stack */
    memcpy(&p, buf + SSNAP_HEAD, sizeof p);
    double head_clock;
    memcpy(&head_clock, buf + 32, sizeof head_clock);
    if (plant_check(&p, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (head_clock != p.clock_s) {
        snprintf(err, errlen, "the header's clock (%g s) is not the plant's (%g s)", head_clock,
                 p.clock_s);
        return -1;
    }
    memcpy(s->name, name, sizeof s->name);
    s->plc = p;
    return 0;
}

static int file_path(char *buf, size_t n, const char *dir, const char *name, const char *ext,
                     char *err, size_t errlen)
{
    int k = snprintf(buf, n, "%s/%s%s", dir, name, ext);
    if (k < 0 || (size_t)k >= n) {
        snprintf(err, errlen, "snapshot path too long: %s/%s%s", dir, name, ext);
        return -1;
    }
    return 0;
}

int ssnap_save(const char *dir, const struct ssnap *s, char *err, size_t errlen)
{
    if (ssnap_name_check(s->name, err, errlen) < 0)
        return -1;
    char path[512], tmp[520];
    if (file_path(path, sizeof path, dir, s->name, ".snap", err, errlen) < 0 ||
        file_path(tmp, sizeof tmp, dir, s->name, ".snap.tmp", err, errlen) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the snapshot folder %s: %s", dir, strerror(errno));
        return -1;
    }
    static unsigned char buf[SSNAP_FILE_SIZE];
    size_t n = ssnap_encode(s, buf, sizeof buf);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    ssize_t w = write(fd, buf, n);
    int e = w < 0 ? errno : EIO;
    if (close(fd) < 0 && w == (ssize_t)n) {
        w = -1;
        e = errno;
    }
    if (w != (ssize_t)n || rename(tmp, path) < 0) {
        if (w == (ssize_t)n)
            e = errno;
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ssnap_load(const char *dir, const char *name, struct ssnap *s, char *err, size_t errlen)
{
    if (ssnap_name_check(name, err, errlen) < 0)
        return -1;
    char path[512];
    if (file_path(path, sizeof path, dir, name, ".snap", err, errlen) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "no snapshot \"%s\" (%s: %s)", name, path, strerror(errno));
        return -1;
    }
    static unsigned char buf[SSNAP_FILE_SIZE + 1];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf && (r = read(fd, buf + got, sizeof buf - got)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    char why[300];
    if (ssnap_decode(buf, got, s, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

void ssnap_restore(struct splc *plc, const struct splc *saved)
{
    struct splc keep = *plc;
    *plc = *saved;
    /* today's config */
    plc->prm = keep.prm;
    plc->phys_prm = keep.phys_prm;
    /* the link: heartbeats, watchdog, handshake */
    plc->heartbeat = keep.heartbeat;
    plc->hb_known = keep.hb_known;
    plc->wd_armed = keep.wd_armed;
    plc->wd_tripped = keep.wd_tripped;
    plc->hb_back = keep.hb_back;
    plc->hb_last = keep.hb_last;
    plc->hb_age_s = keep.hb_age_s;
    plc->last_seq = keep.last_seq;
    plc->ack_seq = keep.ack_seq;
    plc->result = keep.result;
    /* the training clock */
    plc->speed = keep.speed;
    plc->frozen = keep.frozen;
    plc->restarts = (uint16_t)(keep.restarts + 1);
}

/* ---- the ring ------------------------------------------------------------------------------- */

void ssnap_ring_init(struct ssnap_ring *r)
{
    r->n = r->head = 0;
    r->last_min = -1;
}

int ssnap_ring_tick(struct ssnap_ring *r, const struct splc *plc)
{
    double m = floor(plc->clock_s / SSNAP_RING_EVERY_S);
    if (r->n > 0 && m <= r->last_min)
        return 0;
    r->slot[r->head] = *plc;
    r->head = (r->head + 1) % SSNAP_RING;
    if (r->n < SSNAP_RING)
        r->n++;
    r->last_min = m;
    return 1;
}

/* The i-th newest entry (0 = newest). */
static const struct splc *nth(const struct ssnap_ring *r, int i)
{
    return &r->slot[(r->head - 1 - i + 2 * SSNAP_RING) % SSNAP_RING];
}

const struct splc *ssnap_ring_find(const struct ssnap_ring *r, double now_s, double minutes,
                                   char *err, size_t errlen)
{
    if (!(minutes >= 1 && minutes <= SSNAP_RING)) {
        snprintf(err, errlen, "backtrack MINUTES: expected 1 to %d", SSNAP_RING);
        return NULL;
    }
    double want = now_s - SSNAP_RING_EVERY_S * minutes;
    for (int i = 0; i < r->n; i++) {
        const struct splc *p = nth(r, i);
        if (p->clock_s <= want + 1e-6)
            return p;
    }
    snprintf(err, errlen, "cannot go back %g min: the automatic snapshots reach back %.1f min",
             minutes, ssnap_ring_span_min(r, now_s));
    return NULL;
}

void ssnap_ring_cut(struct ssnap_ring *r, double t)
{
    while (r->n > 0 && nth(r, 0)->clock_s > t + 1e-6) {
        r->head = (r->head - 1 + SSNAP_RING) % SSNAP_RING;
        r->n--;
    }
    r->last_min = r->n > 0 ? floor(nth(r, 0)->clock_s / SSNAP_RING_EVERY_S) : -1;
}

double ssnap_ring_span_min(const struct ssnap_ring *r, double now_s)
{
    if (r->n == 0)
        return 0;
    double span = (now_s - nth(r, r->n - 1)->clock_s) / SSNAP_RING_EVERY_S;
    return span > 0 ? span : 0;
}
