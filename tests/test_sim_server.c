/* test_sim_server — meltsim's Modbus TCP server against a real libmodbus
 * client: the shipped map read table by table, writes and their read-back,
 * exceptions for unmapped addresses, read-only tags and unserved function
 * codes, clients that send garbage or half frames while another keeps being
 * answered, the client cap, idle clients closed after [sim] idle_timeout_s
 * (a busy one never), and "the PLC stops answering".
 *
 * The server runs in a second thread of this test, polled under a mutex; the
 * test reaches its image (simsrv_set/get/stats) under the same mutex.  The
 * server's clock is the test's `now`, which moves only when a test moves it,
 * so frame timeouts and mute are deterministic.  The thread stops itself
 * after 60 s whatever happens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "sim_server.h"
#include "tag.h"

/* A small map with what the shipped one lacks: coils (one writable, one
 * not), a holding register the PLC owns, a float32 in CDAB, gaps. */
static const char custom_ini[] = "[furnace]\n"
                                 "name = t1\n"
                                 "[tag.temp]\n"
                                 "addr = ir:0\n"
                                 "type = int16\n"
                                 "scale = 0.1\n"
                                 "range = 0, 1400\n"
                                 "fault = 32767\n"
                                 "[tag.count]\n"
                                 "addr = ir:5\n"
                                 "type = uint32\n"
                                 "word_order = CDAB\n"
                                 "[tag.ready]\n"
                                 "addr = di:0\n"
                                 "type = bool\n"
                                 "[tag.demand]\n"
                                 "addr = hr:0\n"
                                 "type = uint16\n"
                                 "scale = 0.1\n"
                                 "range = 0, 100\n"
                                 "writable = yes\n"
                                 "[tag.status]\n"
                                 "addr = hr:1\n"
                                 "type = uint16\n"
                                 "[tag.setpoint]\n"
                                 "addr = hr:4\n"
                                 "type = float32\n"
                                 "word_order = CDAB\n"
                                 "writable = yes\n"
                                 "[tag.run]\n"
                                 "addr = co:0\n"
                                 "type = bool\n"
                                 "writable = yes\n"
                                 "[tag.local]\n"
                                 "addr = co:1\n"
                                 "type = bool\n";

struct fx {
    struct cfg *cfg;
    struct simsrv *srv;
    int port;
    bool running;
    pthread_t th;
    pthread_mutex_t mu;
    atomic_bool stop;
    _Atomic int64_t now;
};

/* ---- helpers ------------------------------------------------------------------ */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Poll the server until told to stop, or 60 s at most.  The pause outside
 * the lock lets the test thread in. */
static void *serve_loop(void *arg)
{
    struct fx *f = arg;
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 200000};
    double end = mono_s() + 60;
    while (!atomic_load(&f->stop) && mono_s() < end) {
        pthread_mutex_lock(&f->mu);
        simsrv_poll(f->srv, 1, atomic_load(&f->now));
        pthread_mutex_unlock(&f->mu);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* A port nobody listens on right now (the kernel's choice for port 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static struct cfg *load(bool shipped)
{
    struct cfg *c = calloc(1, sizeof *c);
    struct cfg_errors *e = calloc(1, sizeof *e);
    assert_non_null(c);
    assert_non_null(e);
    int rc;
    if (shipped) {
        char path[512];
        const char *src = getenv("MELTCON_SRC");
        snprintf(path, sizeof path, "%s/config/meltcon.ini", src ? src : MELTCON_SRC_DIR);
        rc = cfg_load(path, c, e);
    } else {
        rc = cfg_load_text("custom.ini", custom_ini, strlen(custom_ini), c, e);
    }
    for (int i = 0; i < e->n; i++)
        print_message("%s\n", e->e[i].text);
    free(e);
    assert_int_equal(rc, 0);
    return c;
}

static struct simsrv *open_free(const struct cfg *c, int *port)
{
    char err[300] = "";
    for (int tries = 0; tries < 5; tries++) {
        *port = free_port();
        struct simsrv *s = simsrv_open(c, "127.0.0.1", *port, err, sizeof err);
        if (s)
            return s;
    }
    print_message("simsrv_open: %s\n", err);
    return NULL;
}

static int fx_start(void **state, bool shipped)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->cfg = load(shipped);
    f->srv = open_free(f->cfg, &f->port);
    assert_non_null(f->srv);
    atomic_store(&f->now, 1000);
    atomic_store(&f->stop, false);
    pthread_mutex_init(&f->mu, NULL);
    assert_int_equal(pthread_create(&f->th, NULL, serve_loop, f), 0);
    f->running = true;
    *state = f;
    return 0;
}

static int setup_shipped(void **state)
{
    return fx_start(state, true);
}
static int setup_custom(void **state)
{
    return fx_start(state, false);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (!f)
        return 0;
    if (f->running) {
        atomic_store(&f->stop, true);
        pthread_join(f->th, NULL);
        pthread_mutex_destroy(&f->mu);
    }
    simsrv_close(f->srv);
    free(f->cfg);
    free(f);
    return 0;
}

static int idx(const struct fx *f, const char *name)
{
    int i = cfg_tag_index(f->cfg, name);
    assert_true(i >= 0);
    return i;
}

static void set(struct fx *f, const char *name, double v)
{
    pthread_mutex_lock(&f->mu);
    int rc = simsrv_set(f->srv, idx(f, name), v);
    pthread_mutex_unlock(&f->mu);
    assert_int_equal(rc, 0);
}

static void set_fault(struct fx *f, const char *name)
{
    pthread_mutex_lock(&f->mu);
    int rc = simsrv_set_fault(f->srv, idx(f, name));
    pthread_mutex_unlock(&f->mu);
    assert_int_equal(rc, 0);
}

static int get(struct fx *f, const char *name, double *v)
{
    pthread_mutex_lock(&f->mu);
    int q = simsrv_get(f->srv, idx(f, name), v);
    pthread_mutex_unlock(&f->mu);
    return q;
}

static struct simsrv_stats stats(struct fx *f)
{
    struct simsrv_stats st;
    pthread_mutex_lock(&f->mu);
    simsrv_stats(f->srv, &st);
    pthread_mutex_unlock(&f->mu);
    return st;
}

enum stat_field { ST_CLIENTS, ST_ACCEPTED, ST_DROPPED, ST_MUTED, ST_REFUSED, ST_IDLE };

/* Wait (at most 5 s) until a statistic reaches `want`; returns its value. */
static uint64_t wait_stat(struct fx *f, enum stat_field which, uint64_t want)
{
    uint64_t v = 0;
    for (int i = 0; i < 500; i++) {
        struct simsrv_stats st = stats(f);
        v = which == ST_CLIENTS    ? (uint64_t)st.clients
            : which == ST_ACCEPTED ? st.accepted
            : which == ST_DROPPED  ? st.dropped
            : which == ST_MUTED    ? st.muted
            : which == ST_IDLE     ? st.idle
                                   : st.refused;
        if (v == want)
            break;
        sleep_ms(10);
    }
    return v;
}

static int stats_clients(const struct simsrv *s)
{
    struct simsrv_stats st;
    simsrv_stats(s, &st);
    return st.clients;
}

static modbus_t *client(const struct fx *f, int timeout_ms)
{
    modbus_t *mb = modbus_new_tcp("127.0.0.1", f->port);
    assert_non_null(mb);
    modbus_set_response_timeout(mb, (uint32_t)timeout_ms / 1000,
                                (uint32_t)(timeout_ms % 1000) * 1000);
    assert_int_equal(modbus_connect(mb), 0);
    return mb;
}

static void client_free(modbus_t *mb)
{
    modbus_close(mb);
    modbus_free(mb);
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 3, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void raw_send(int fd, const uint8_t *b, size_t n)
{
    assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Read exactly n bytes (3 s at most); returns how many came. */
static size_t raw_recv(int fd, uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* True once the server has closed the connection (3 s at most). */
static bool raw_closed_by_server(int fd)
{
    uint8_t b[64];
    for (;;) {
        ssize_t r = recv(fd, b, sizeof b, 0);
        if (r == 0)
            return true;
        if (r < 0)
            return errno == ECONNRESET;
    }
}

/* A raw request, its expected exception reply. */
static void expect_exception(int fd, const uint8_t *req, size_t n, uint8_t code)
{
    uint8_t rsp[9];
    raw_send(fd, req, n);
    assert_int_equal(raw_recv(fd, rsp, sizeof rsp), sizeof rsp);
    assert_int_equal(rsp[0], req[0]); /* transaction id echoed */
    assert_int_equal(rsp[1], req[1]);
    assert_int_equal(rsp[5], 3);
    assert_int_equal(rsp[7], req[7] | 0x80);
    assert_int_equal(rsp[8], code);
}

static void expect_errno(int rc, int err)
{
    assert_int_equal(rc, -1);
    assert_int_equal(errno, err);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_open_refuses_bad_address_and_port(void **state)
{
    (void)state;
    struct cfg *c = load(false);
    char err[300];
    int port = free_port();
    assert_true(port > 0);

    assert_null(simsrv_open(c, "localhost", port, err, sizeof err));
    assert_non_null(strstr(err, "[sim] bind = \"localhost\""));
    assert_null(simsrv_open(c, "127.0.0", port, err, sizeof err));
    assert_non_null(strstr(err, "IPv4"));
    assert_null(simsrv_open(c, "127.0.0.1", 0, err, sizeof err));
    assert_non_null(strstr(err, "[sim] port = 0"));
    assert_null(simsrv_open(c, "127.0.0.1", 70000, err, sizeof err));
    assert_non_null(strstr(err, "1 to 65535"));

    struct simsrv *a = open_free(c, &port);
    assert_non_null(a);
    assert_null(simsrv_open(c, "127.0.0.1", port, err, sizeof err));
    char want[64];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%d", port);
    assert_non_null(strstr(err, want));
    simsrv_close(a);
    simsrv_close(NULL);
    free(c);
}

/* The image API without a client: indices, sentinels, strict and sensor
 * encoding, raw access to mapped addresses only. */
static void test_image_api(void **state)
{
    (void)state;
    struct cfg *c = load(false);
    int port;
    struct simsrv *s = open_free(c, &port);
    assert_non_null(s);
    int temp = cfg_tag_index(c, "temp"), demand = cfg_tag_index(c, "demand");
    int status = cfg_tag_index(c, "status"), run = cfg_tag_index(c, "run");
    double v = -1;
    uint16_t raw = 0;

    assert_int_equal(simsrv_set(s, -1, 1), -1);
    assert_int_equal(simsrv_set(s, c->ntags, 1), -1);
    assert_int_equal(simsrv_get(s, c->ntags, &v), -1);
    assert_int_equal(simsrv_set_fault(s, -1), -1);
    assert_int_equal(simsrv_set_fault(s, status), -1); /* no sentinel */

    /* a sensor: out of range goes out as it is, past int16 it saturates
     * without landing on the sentinel */
    assert_int_equal(simsrv_set(s, temp, 1500.0), 0);
    assert_int_equal(simsrv_get_raw(s, TAG_IR, 0, &raw), 0);
    assert_int_equal(raw, 15000);
    assert_int_equal(simsrv_get(s, temp, &v), Q_BAD_SENSOR);
    assert_float_equal(v, 1500.0, 1e-9);
    assert_int_equal(simsrv_set(s, temp, 4000.0), 0);
    simsrv_get_raw(s, TAG_IR, 0, &raw);
    assert_int_equal(raw, 32766);
    assert_int_equal(simsrv_set(s, temp, -4000.0), 0);
    simsrv_get_raw(s, TAG_IR, 0, &raw);
    assert_int_equal((int16_t)raw, -32768);
    assert_int_equal(simsrv_set_fault(s, temp), 0);
    simsrv_get_raw(s, TAG_IR, 0, &raw);
    assert_int_equal(raw, 32767);
    v = 12.0;
    assert_int_equal(simsrv_get(s, temp, &v), Q_BAD_SENSOR);
    assert_float_equal(v, 12.0, 0); /* untouched for a sentinel */

    /* a writable tag is encoded strictly: refused values change nothing */
    assert_int_equal(simsrv_set(s, demand, 40.0), 0);
    assert_int_equal(simsrv_set(s, demand, 150.0), -1);
    assert_int_equal(simsrv_get(s, demand, &v), Q_GOOD);
    assert_float_equal(v, 40.0, 1e-9);

    /* raw access: mapped addresses only, bits are 0/1 */
    assert_int_equal(simsrv_set_raw(s, TAG_HR, 2, 1), -1); /* gap */
    assert_int_equal(simsrv_get_raw(s, TAG_HR, 2, &raw), -1);
    assert_int_equal(simsrv_set_raw(s, TAG_IR, 7, 1), -1); /* past the end */
    assert_int_equal(simsrv_set_raw(s, TAG_IR, -1, 1), -1);
    assert_int_equal(simsrv_set_raw(s, TAG_CO, 0, 5), 0);
    assert_int_equal(simsrv_get_raw(s, TAG_CO, 0, &raw), 0);
    assert_int_equal(raw, 1);
    assert_int_equal(simsrv_get(s, run, &v), Q_GOOD);
    assert_float_equal(v, 1.0, 0);
    assert_int_equal(simsrv_set_raw(s, TAG_HR, 4, 0x1234), 0);
    assert_int_equal(simsrv_get_raw(s, TAG_HR, 4, &raw), 0);
    assert_int_equal(raw, 0x1234);

    struct simsrv_stats st;
    simsrv_stats(s, &st);
    assert_int_equal(st.clients, 0);
    assert_int_equal(st.requests, 0);
    simsrv_close(s);
    free(c);
}

/* Every tag of the shipped map read through a real client in its own table
 * equals the image, and the values set come out as config/README.md, 'The default register map' says. */
static void test_shipped_map_read_every_table(void **state)
{
    struct fx *f = *state;
    set(f, "hc_gas_temp", 1012.3);
    set(f, "roof_temp", 1105.0);
    set(f, "bath_hc_temp", 741.6);
    set_fault(f, "bath_sc_temp");
    set(f, "sc_gas_temp", 1300.0); /* past its range: sent as is */
    set(f, "flue_temp", 4000.0);   /* past int16: saturates below the sentinel */
    set(f, "furnace_pressure", -4.5);
    set(f, "o2_pct", 2.35);
    set(f, "co_ppm", 1800);
    set(f, "bath_level", 812);
    set(f, "bms_state", 3);
    set(f, "plc_heartbeat", 4242);
    set(f, "plc_mode", 1);
    set(f, "plc_clock", 100000);
    set(f, "metal_mass", 45000);
    set(f, "scrap_on_hearth", 3000);
    set(f, "flame_on", 1);
    set(f, "estop_ok", 1);
    set(f, "gas_ok", 1);
    set(f, "firing_demand", 55.5);
    set(f, "console_heartbeat", 17);

    modbus_t *mb = client(f, 1000);
    uint16_t ir[30];
    assert_int_equal(modbus_read_input_registers(mb, 0, 30, ir), 30);
    assert_int_equal(ir[0], 10123);
    assert_int_equal(ir[1], 11050);
    assert_int_equal(ir[2], 7416);
    assert_int_equal(ir[3], 32767);
    assert_int_equal(ir[4], 13000);
    assert_int_equal(ir[5], 32766);
    assert_int_equal((int16_t)ir[9], -45);
    assert_int_equal(ir[7], 235);
    assert_int_equal(ir[8], 1800);
    assert_int_equal(ir[16], 812);
    assert_int_equal(ir[17], 3);
    assert_int_equal(ir[20], 4242);
    assert_int_equal(ir[23], 1);
    assert_int_equal(ir[24], 0x0001); /* 100000 = 0x000186A0, ABCD */
    assert_int_equal(ir[25], 0x86A0);
    assert_int_equal(ir[26], 0);
    assert_int_equal(ir[27], 45000);
    assert_int_equal(ir[29], 3000);

    /* decoded by a reader: temperatures, the sentinel, a range violation */
    const struct cfg_tag *t = cfg_tag_find(f->cfg, "hc_gas_temp");
    double v = 0;
    assert_int_equal(tag_decode(t, &ir[t->addr], &v), Q_GOOD);
    assert_float_equal(v, 1012.3, 1e-9);
    t = cfg_tag_find(f->cfg, "bath_sc_temp");
    assert_int_equal(tag_decode(t, &ir[t->addr], &v), Q_BAD_SENSOR);
    t = cfg_tag_find(f->cfg, "sc_gas_temp");
    assert_int_equal(tag_decode(t, &ir[t->addr], &v), Q_BAD_SENSOR);
    assert_float_equal(v, 1300.0, 1e-9);
    t = cfg_tag_find(f->cfg, "plc_clock");
    assert_int_equal(tag_decode(t, &ir[t->addr], &v), Q_GOOD);
    assert_float_equal(v, 100000.0, 0);

    uint8_t di[15];
    assert_int_equal(modbus_read_input_bits(mb, 0, 15, di), 15);
    for (int a = 0; a < 15; a++)
        assert_int_equal(di[a], a == 2 || a == 3 || a == 4); /* flame, estop, gas */

    uint16_t hr[4];
    assert_int_equal(modbus_read_registers(mb, 0, 4, hr), 4);
    assert_int_equal(hr[0], 555);
    assert_int_equal(modbus_read_registers(mb, 10, 3, hr), 3);
    assert_int_equal(modbus_read_registers(mb, 20, 1, hr), 1);
    assert_int_equal(hr[0], 17);

    /* every tag, each by itself in its own table, equals the image */
    for (int i = 0; i < f->cfg->ntags; i++) {
        t = &f->cfg->tags[i];
        int w = tag_width(t);
        uint16_t regs[2] = {0, 0};
        uint8_t bits[2] = {0, 0};
        int rc = t->table == TAG_IR   ? modbus_read_input_registers(mb, t->addr, w, regs)
                 : t->table == TAG_HR ? modbus_read_registers(mb, t->addr, w, regs)
                 : t->table == TAG_DI ? modbus_read_input_bits(mb, t->addr, w, bits)
                                      : modbus_read_bits(mb, t->addr, w, bits);
        assert_int_equal(rc, w);
        for (int k = 0; k < w; k++) {
            uint16_t img = 0;
            pthread_mutex_lock(&f->mu);
            assert_int_equal(simsrv_get_raw(f->srv, t->table, t->addr + k, &img), 0);
            pthread_mutex_unlock(&f->mu);
            uint16_t got = t->table == TAG_DI || t->table == TAG_CO ? bits[k] : regs[k];
            assert_int_equal(got, img);
        }
    }
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.exceptions, 0);
    assert_true(st.requests >= (uint64_t)f->cfg->ntags + 5);
    client_free(mb);
}

static void test_write_holding_and_read_back(void **state)
{
    struct fx *f = *state;
    modbus_t *mb = client(f, 1000);
    double v = 0;

    assert_int_equal(modbus_write_register(mb, 0, 655), 1);
    assert_int_equal(get(f, "firing_demand", &v), Q_GOOD);
    assert_float_equal(v, 65.5, 1e-9);

    const uint16_t cmd[3] = {7, 300, 1};
    assert_int_equal(modbus_write_registers(mb, 10, 3, cmd), 3);
    assert_int_equal(get(f, "cmd_code", &v), Q_GOOD);
    assert_float_equal(v, 7, 0);
    assert_int_equal(get(f, "cmd_arg", &v), Q_GOOD);
    assert_float_equal(v, 300, 0);
    assert_int_equal(get(f, "cmd_seq", &v), Q_GOOD);
    assert_float_equal(v, 1, 0);

    const uint16_t hb = 99;
    uint16_t out[4] = {0, 0, 0, 0};
    assert_int_equal(modbus_write_and_read_registers(mb, 20, 1, &hb, 0, 4, out), 4);
    assert_int_equal(out[0], 655);
    assert_int_equal(get(f, "console_heartbeat", &v), Q_GOOD);
    assert_float_equal(v, 99, 0);

    /* the server stores what the client sends; judging it is the PLC's job */
    assert_int_equal(modbus_write_register(mb, 0, 1500), 1);
    assert_int_equal(get(f, "firing_demand", &v), Q_BAD_SENSOR);
    assert_float_equal(v, 150.0, 1e-9);

    struct simsrv_stats st = stats(f);
    assert_int_equal(st.writes, 4);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.exceptions, 0);
    client_free(mb);
}

static void test_unmapped_addresses_are_refused(void **state)
{
    struct fx *f = *state;
    modbus_t *mb = client(f, 1000);
    uint16_t r[40];
    uint8_t b[16];

    expect_errno(modbus_read_input_registers(mb, 33, 1, r), EMBXILADD);
    expect_errno(modbus_read_input_registers(mb, 32, 2, r), EMBXILADD); /* straddles the end */
    expect_errno(modbus_read_registers(mb, 0, 21, r), EMBXILADD);       /* gap hr:5..9 */
    expect_errno(modbus_read_registers(mb, 5, 1, r), EMBXILADD);
    expect_errno(modbus_write_register(mb, 5, 1), EMBXILADD);
    expect_errno(modbus_read_input_bits(mb, 16, 1, b), EMBXILADD);
    expect_errno(modbus_read_bits(mb, 0, 1, b), EMBXILADD); /* the map has no coils */
    expect_errno(modbus_write_bit(mb, 0, 1), EMBXILADD);

    /* the connection stays good */
    assert_int_equal(modbus_read_input_registers(mb, 0, 33, r), 33);
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.exceptions, 8);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.writes, 0);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.dropped, 0);
    client_free(mb);
}

static void test_read_only_tags_refuse_writes(void **state)
{
    struct fx *f = *state;
    set(f, "status", 7);
    set(f, "demand", 20.0);
    set(f, "ready", 1);
    modbus_t *mb = client(f, 1000);
    uint16_t r[8];
    uint8_t b[4];
    double v = 0;

    expect_errno(modbus_write_register(mb, 1, 9), EMBXILADD);
    assert_int_equal(modbus_read_registers(mb, 1, 1, r), 1);
    assert_int_equal(r[0], 7);
    const uint16_t two[2] = {400, 9};
    expect_errno(modbus_write_registers(mb, 0, 2, two), EMBXILADD);
    assert_int_equal(get(f, "demand", &v), Q_GOOD); /* nothing of it written */
    assert_float_equal(v, 20.0, 1e-9);
    const uint16_t one = 5;
    expect_errno(modbus_write_and_read_registers(mb, 1, 1, &one, 0, 2, r), EMBXILADD);

    expect_errno(modbus_write_bit(mb, 1, 1), EMBXILADD);
    const uint8_t ones[2] = {1, 1};
    expect_errno(modbus_write_bits(mb, 0, 2, ones), EMBXILADD);
    assert_int_equal(get(f, "run", &v), Q_GOOD);
    assert_float_equal(v, 0, 0);
    assert_int_equal(get(f, "local", &v), Q_GOOD);
    assert_float_equal(v, 0, 0);

    assert_int_equal(modbus_write_bit(mb, 0, 1), 1);
    assert_int_equal(get(f, "run", &v), Q_GOOD);
    assert_float_equal(v, 1, 0);
    assert_int_equal(modbus_read_bits(mb, 0, 2, b), 2);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 0);
    assert_int_equal(modbus_read_input_bits(mb, 0, 1, b), 1);
    assert_int_equal(b[0], 1);

    /* CDAB: the low word first (not modbus_set_float_cdab, which 3.1.6
     * also byte-swaps) */
    const float sp = 741.5f;
    uint32_t u;
    memcpy(&u, &sp, sizeof u);
    const uint16_t fw[2] = {(uint16_t)(u & 0xFFFF), (uint16_t)(u >> 16)};
    assert_int_equal(modbus_write_registers(mb, 4, 2, fw), 2);
    assert_int_equal(get(f, "setpoint", &v), Q_GOOD);
    assert_float_equal(v, 741.5, 0);

    expect_errno(modbus_read_input_registers(mb, 0, 7, r), EMBXILADD); /* gap ir:1..4 */
    assert_int_equal(modbus_read_input_registers(mb, 5, 2, r), 2);
    client_free(mb);
}

/* Unserved function codes, bad quantities and lengths, pipelined requests. */
static void test_function_codes_and_bad_values(void **state)
{
    struct fx *f = *state;
    set(f, "temp", 741.6);
    modbus_t *mb = client(f, 1000);
    uint8_t id[64];
    expect_errno(modbus_report_slave_id(mb, sizeof id, id), EMBXILFUN);
    expect_errno(modbus_mask_write_register(mb, 0, 0xFFFF, 0), EMBXILFUN);
    client_free(mb);

    int fd = raw_connect(f->port);
    static const uint8_t fc7[] = {0, 1, 0, 0, 0, 2, 1, 7};
    expect_exception(fd, fc7, sizeof fc7, MODBUS_EXCEPTION_ILLEGAL_FUNCTION);
    static const uint8_t count0[] = {0, 2, 0, 0, 0, 6, 1, 4, 0, 0, 0, 0};
    expect_exception(fd, count0, sizeof count0, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    static const uint8_t coil_value[] = {0, 3, 0, 0, 0, 6, 1, 5, 0, 0, 0x12, 0x34};
    expect_exception(fd, coil_value, sizeof coil_value, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    static const uint8_t extra_byte[] = {0, 4, 0, 0, 0, 7, 1, 3, 0, 0, 0, 1, 0};
    expect_exception(fd, extra_byte, sizeof extra_byte, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    static const uint8_t bytecount[] = {0, 5, 0, 0, 0, 10, 1, 16, 0, 0, 0, 1, 3, 0, 1, 2};
    expect_exception(fd, bytecount, sizeof bytecount, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
    static const uint8_t unmapped[] = {0, 6, 0, 0, 0, 6, 1, 4, 0, 1, 0, 1};
    expect_exception(fd, unmapped, sizeof unmapped, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);

    /* two requests in one segment, any unit id: two answers, in order */
    static const uint8_t two[] = {0, 10, 0, 0, 0, 6, 0xFF, 4, 0, 0, 0, 1,
                                  0, 11, 0, 0, 0, 6, 1,    4, 0, 0, 0, 1};
    uint8_t rsp[22];
    raw_send(fd, two, sizeof two);
    assert_int_equal(raw_recv(fd, rsp, sizeof rsp), sizeof rsp);
    for (int k = 0; k < 2; k++) {
        const uint8_t *p = rsp + 11 * k;
        assert_int_equal(p[1], 10 + k);
        assert_int_equal(p[5], 5);
        assert_int_equal(p[7], 4);
        assert_int_equal(p[8], 2);
        assert_int_equal(p[9] << 8 | p[10], 7416);
    }
    close(fd);

    struct simsrv_stats st = stats(f);
    assert_int_equal(st.exceptions, 8);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.dropped, 0);
}

/* Garbage, a half frame left hanging, a half frame then a disconnect, a bad
 * MBAP length: each such client is closed while a real client keeps being
 * answered. */
static void test_garbage_and_half_frames_do_not_stall_others(void **state)
{
    struct fx *f = *state;
    set(f, "hc_gas_temp", 1000.0);
    modbus_t *mb = client(f, 1000);
    uint16_t r[2];
    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);

    int g = raw_connect(f->port);
    static const char http[] = "GET / HTTP/1.0\r\n\r\n";
    raw_send(g, (const uint8_t *)http, sizeof http - 1);
    assert_true(raw_closed_by_server(g));
    close(g);
    assert_int_equal(wait_stat(f, ST_DROPPED, 1), 1);
    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);
    assert_int_equal(r[0], 10000);

    /* a whole request and the start of the next in one segment: the answer
     * proves the server holds the rest as an unfinished frame */
    int h = raw_connect(f->port);
    static const uint8_t req_and_half[] = {0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1, 0, 2, 0, 0, 0};
    uint8_t rsp[11];
    raw_send(h, req_and_half, sizeof req_and_half);
    assert_int_equal(raw_recv(h, rsp, sizeof rsp), sizeof rsp);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);
        assert_int_equal(r[0], 10000);
    }
    assert_int_equal(stats(f).clients, 2);

    int d = raw_connect(f->port);
    static const uint8_t half[] = {0, 3, 0, 0, 0, 6, 1, 4, 0};
    raw_send(d, half, sizeof half);
    close(d);
    assert_int_equal(wait_stat(f, ST_DROPPED, 2), 2);
    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);

    int z = raw_connect(f->port);
    static const uint8_t len0[] = {0, 4, 0, 0, 0, 0, 1, 4};
    raw_send(z, len0, sizeof len0);
    assert_true(raw_closed_by_server(z));
    close(z);
    assert_int_equal(wait_stat(f, ST_DROPPED, 3), 3);

    /* the hanging frame times out on the server's clock */
    assert_int_equal(stats(f).clients, 2);
    atomic_fetch_add(&f->now, SIMSRV_FRAME_TIMEOUT_MS + 1);
    assert_true(raw_closed_by_server(h));
    close(h);
    assert_int_equal(wait_stat(f, ST_DROPPED, 4), 4);

    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);
    assert_int_equal(r[0], 10000);
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.closed, 0);
    assert_int_equal(st.exceptions, 0);
    client_free(mb);
    assert_int_equal(wait_stat(f, ST_CLIENTS, 0), 0);
    assert_int_equal(stats(f).closed, 1);
}

/* A client that fires twenty requests and goes away without reading the
 * answers: the replies hit a dead socket (no SIGPIPE), the client is closed
 * one way or the other, and the server carries on. */
static void test_client_leaving_without_reading(void **state)
{
    struct fx *f = *state;
    modbus_t *mb = client(f, 1000);
    int q = raw_connect(f->port);
    uint8_t many[20 * 12];
    for (int k = 0; k < 20; k++) {
        const uint8_t req[12] = {0, (uint8_t)k, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1};
        memcpy(many + 12 * k, req, sizeof req);
    }
    raw_send(q, many, sizeof many);
    close(q);
    assert_int_equal(wait_stat(f, ST_ACCEPTED, 2), 2);
    assert_int_equal(wait_stat(f, ST_CLIENTS, 1), 1);
    uint16_t r[1];
    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.accepted, 2);
    assert_int_equal(st.dropped + st.closed, 1);
    client_free(mb);
}

static void test_mute_then_answer_again(void **state)
{
    struct fx *f = *state;
    set(f, "bath_hc_temp", 740.0);
    modbus_t *mb = client(f, 300);
    uint16_t r[1];
    assert_int_equal(modbus_read_input_registers(mb, 2, 1, r), 1);

    pthread_mutex_lock(&f->mu);
    simsrv_mute(f->srv, atomic_load(&f->now) + 5000);
    pthread_mutex_unlock(&f->mu);
    expect_errno(modbus_read_input_registers(mb, 2, 1, r), ETIMEDOUT);
    assert_int_equal(wait_stat(f, ST_MUTED, 1), 1);
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.clients, 1); /* the connection stays open */
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.requests, 1);

    atomic_fetch_add(&f->now, 5000);
    assert_int_equal(modbus_read_input_registers(mb, 2, 1, r), 1);
    assert_int_equal(r[0], 7400);
    st = stats(f);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.muted, 1);
    assert_int_equal(st.accepted, 1);
    client_free(mb);
}

static void test_client_cap(void **state)
{
    struct fx *f = *state;
    int fds[SIMSRV_MAX_CLIENTS];
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
        fds[i] = raw_connect(f->port);
    assert_int_equal(wait_stat(f, ST_CLIENTS, SIMSRV_MAX_CLIENTS), SIMSRV_MAX_CLIENTS);

    int extra = raw_connect(f->port);
    assert_true(raw_closed_by_server(extra));
    close(extra);
    assert_int_equal(wait_stat(f, ST_REFUSED, 1), 1);

    close(fds[0]);
    assert_int_equal(wait_stat(f, ST_CLIENTS, SIMSRV_MAX_CLIENTS - 1), SIMSRV_MAX_CLIENTS - 1);
    modbus_t *mb = client(f, 1000);
    uint16_t r[1];
    assert_int_equal(modbus_read_input_registers(mb, 0, 1, r), 1);
    client_free(mb);
    for (int i = 1; i < SIMSRV_MAX_CLIENTS; i++)
        close(fds[i]);
    assert_int_equal(wait_stat(f, ST_CLIENTS, 0), 0);
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.accepted, SIMSRV_MAX_CLIENTS + 1);
    assert_int_equal(st.closed, SIMSRV_MAX_CLIENTS + 1);
    assert_int_equal(st.dropped, 0);
}

/* Sixteen connections that never send a thing hold every slot: a real
 * client is refused until idle_timeout_s (60 s by default) has passed on
 * the server's clock, then all sixteen are closed and it gets in.  A client
 * that keeps asking is never closed, however long it stays. */
static void test_idle_clients_closed(void **state)
{
    struct fx *f = *state;
    int64_t idle_ms = (int64_t)(f->cfg->sim.idle_timeout_s * 1000);
    assert_int_equal(idle_ms, 60000);
    int fds[SIMSRV_MAX_CLIENTS];
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
        fds[i] = raw_connect(f->port);
    assert_int_equal(wait_stat(f, ST_CLIENTS, SIMSRV_MAX_CLIENTS), SIMSRV_MAX_CLIENTS);
    int early = raw_connect(f->port);
    assert_true(raw_closed_by_server(early)); /* every slot held */
    close(early);
    assert_int_equal(wait_stat(f, ST_REFUSED, 1), 1);

    atomic_fetch_add(&f->now, idle_ms); /* exactly the timeout: not yet */
    int still = raw_connect(f->port);
    assert_true(raw_closed_by_server(still));
    close(still);
    assert_int_equal(wait_stat(f, ST_REFUSED, 2), 2);
    assert_int_equal(stats(f).idle, 0);

    atomic_fetch_add(&f->now, 1);
    assert_int_equal(wait_stat(f, ST_IDLE, SIMSRV_MAX_CLIENTS), SIMSRV_MAX_CLIENTS);
    for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++) {
        assert_true(raw_closed_by_server(fds[i]));
        close(fds[i]);
    }
    set(f, "hc_gas_temp", 950.0);
    modbus_t *busy = client(f, 1000);
    uint16_t r[1];
    assert_int_equal(modbus_read_input_registers(busy, 0, 1, r), 1);
    assert_int_equal(r[0], 9500);

    /* ten minutes on the server's clock, a request every 10 s */
    for (int k = 0; k < 60; k++) {
        atomic_fetch_add(&f->now, 10000);
        assert_int_equal(modbus_read_input_registers(busy, 0, 1, r), 1);
    }
    struct simsrv_stats st = stats(f);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.idle, SIMSRV_MAX_CLIENTS);
    assert_int_equal(st.dropped, 0);
    /* and silent for longer than the timeout, it goes too */
    atomic_fetch_add(&f->now, idle_ms + 1);
    assert_int_equal(wait_stat(f, ST_IDLE, SIMSRV_MAX_CLIENTS + 1), SIMSRV_MAX_CLIENTS + 1);
    assert_int_equal(wait_stat(f, ST_CLIENTS, 0), 0);
    client_free(busy);
}

/* idle_timeout_s = 0: an idle client stays, whatever the time. */
static void test_idle_timeout_off(void **state)
{
    (void)state;
    struct cfg *c = load(false);
    c->sim.idle_timeout_s = 0;
    int port;
    struct simsrv *s = open_free(c, &port);
    assert_non_null(s);
    int fd = raw_connect(port);
    for (int i = 0; i < 50 && simsrv_poll(s, 10, 1000) >= 0 && !stats_clients(s); i++)
        ;
    assert_int_equal(stats_clients(s), 1);
    simsrv_poll(s, 0, 1000 + 86400000LL);
    assert_int_equal(stats_clients(s), 1);
    struct simsrv_stats st;
    simsrv_stats(s, &st);
    assert_int_equal(st.idle, 0);
    close(fd);
    simsrv_close(s);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses_bad_address_and_port),
        cmocka_unit_test(test_image_api),
        cmocka_unit_test_setup_teardown(test_shipped_map_read_every_table, setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(test_write_holding_and_read_back, setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(test_unmapped_addresses_are_refused, setup_shipped,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_only_tags_refuse_writes, setup_custom, teardown),
        cmocka_unit_test_setup_teardown(test_function_codes_and_bad_values, setup_custom, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_and_half_frames_do_not_stall_others,
                                        setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(test_client_leaving_without_reading, setup_shipped,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mute_then_answer_again, setup_shipped, teardown),
        cmocka_unit_test_setup_teardown(test_client_cap, setup_custom, teardown),
        cmocka_unit_test_setup_teardown(test_idle_clients_closed, setup_shipped, teardown),
        cmocka_unit_test(test_idle_timeout_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
