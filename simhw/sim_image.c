/* simimg — the register image of a tag map (see sim_image.h).
 *
 * Layout: libmodbus's modbus_mapping_t holds the four tables (so the TCP
 * server hands it to modbus_reply() as it is); flags[table][addr] says which
 * addresses a tag covers (F_MAPPED) and which of those accept writes
 * (F_WRITABLE).  A request is checked against the flags before anything is
 * read or written, in the order of the Modbus spec: quantity (03 ILLEGAL DATA
 * VALUE), then addresses (02 ILLEGAL DATA ADDRESS).
 */
#include "sim_image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTABLES 4

enum { F_MAPPED = 1, F_WRITABLE = 2 };

struct simimg {
    modbus_mapping_t *map;
    int size[NTABLES];       /* highest mapped address + 1 */
    uint8_t *flags[NTABLES]; /* F_MAPPED | F_WRITABLE per address */
    int ntags;
    struct cfg_tag tags[CFG_MAX_TAGS];
    /* the simulated PLC: the field each tag carries, NULL none */
    const struct splc_field *out_fld[CFG_MAX_TAGS]; /* splc_out -> ir/di */
    const struct splc_field *in_fld[CFG_MAX_TAGS];  /* hr -> splc_in */
};

/* ---- tables -------------------------------------------------------------------- */

static bool bit_table(enum tag_table t)
{
    return t == TAG_DI || t == TAG_CO;
}

static uint16_t *regs_of(const struct simimg *m, enum tag_table t)
{
    return t == TAG_IR ? m->map->tab_input_registers : m->map->tab_registers;
}

static uint8_t *bits_of(const struct simimg *m, enum tag_table t)
{
    return t == TAG_DI ? m->map->tab_input_bits : m->map->tab_bits;
}

static void load_words(const struct simimg *m, const struct cfg_tag *t, uint16_t w[2])
{
    int n = tag_width(t);
    if (bit_table(t->table))
        for (int k = 0; k < n; k++)
            w[k] = bits_of(m, t->table)[t->addr + k];
    else
        memcpy(w, regs_of(m, t->table) + t->addr, (size_t)n * sizeof *w);
}

static void store_words(struct simimg *m, const struct cfg_tag *t, const uint16_t w[2])
{
    int n = tag_width(t);
    if (bit_table(t->table))
        for (int k = 0; k < n; k++)
            bits_of(m, t->table)[t->addr + k] = w[k] != 0;
    else
        memcpy(regs_of(m, t->table) + t->addr, w, (size_t)n * sizeof *w);
}

static bool valid_index(const struct simimg *m, int i)
{
    return i >= 0 && i < m->ntags;
}

static bool mapped(const struct simimg *m, enum tag_table t, int addr)
{
    return (unsigned)t < NTABLES && addr >= 0 && addr < m->size[t] &&
           (m->flags[t][addr] & F_MAPPED);
}

/* Every address of [addr, addr+n) has all the flags in `need`. */
static bool span_ok(const struct simimg *m, enum tag_table t, int addr, int n, uint8_t need)
{
    if ((unsigned)t >= NTABLES || addr < 0 || n < 0 || addr + n > m->size[t])
        return false;
    for (int a = addr; a < addr + n; a++)
        if ((m->flags[t][a] & need) != need)
            return false;
    return true;
}

static const struct splc_field *field_find(const struct splc_field *f, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].tag, tag))
            return &f[i];
    return NULL;
}

/* ---- the image ------------------------------------------------------------------- */

struct simimg *simimg_new(const struct cfg *c, char *err, size_t errlen)
{
    if (c->ntags < 0 || c->ntags > CFG_MAX_TAGS) {
        snprintf(err, errlen, "%d tags: expected 0 to %d", c->ntags, CFG_MAX_TAGS);
        return NULL;
    }
    for (int i = 0; i < c->ntags; i++) {
        const struct cfg_tag *t = &c->tags[i];
        if ((unsigned)t->table >= NTABLES || t->addr < 0 || t->addr + tag_width(t) > 65536) {
            snprintf(err, errlen, "[tag.%s] addr = %d: outside the Modbus address space", t->name,
                     t->addr);
            return NULL;
        }
    }
    struct simimg *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->ntags = c->ntags;
    memcpy(m->tags, c->tags, sizeof m->tags[0] * (size_t)c->ntags);
    for (int i = 0; i < m->ntags; i++) {
        const struct cfg_tag *t = &m->tags[i];
        int end = t->addr + tag_width(t);
        if (end > m->size[t->table])
            m->size[t->table] = end;
        m->out_fld[i] = field_find(splc_out_fields, splc_out_nfields, t->name);
        m->in_fld[i] = field_find(splc_in_fields, splc_in_nfields, t->name);
    }
    for (int k = 0; k < NTABLES; k++) {
        m->flags[k] = calloc((size_t)m->size[k] + 1, 1);
        if (!m->flags[k]) {
            snprintf(err, errlen, "out of memory");
            simimg_free(m);
            return NULL;
        }
    }
    for (int i = 0; i < m->ntags; i++) {
        const struct cfg_tag *t = &m->tags[i];
        for (int a = t->addr; a < t->addr + tag_width(t); a++)
            m->flags[t->table][a] |= F_MAPPED | (t->writable ? F_WRITABLE : 0);
    }
    m->map = modbus_mapping_new(m->size[TAG_CO], m->size[TAG_DI], m->size[TAG_HR], m->size[TAG_IR]);
    if (!m->map) {
        snprintf(err, errlen, "cannot set up the register image: %s", modbus_strerror(errno));
        simimg_free(m);
        return NULL;
    }
    return m;
}

void simimg_free(struct simimg *m)
{
    if (!m)
        return;
    if (m->map)
        modbus_mapping_free(m->map);
    for (int k = 0; k < NTABLES; k++)
        free(m->flags[k]);
    free(m);
}

modbus_mapping_t *simimg_mapping(struct simimg *m)
{
    return m->map;
}

/* ---- transactions ---------------------------------------------------------------- */

int simimg_check(const struct simimg *m, enum tag_table table, int addr, int n, int max_n,
                 bool write)
{
    if (n < 1 || n > max_n)
        return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
    uint8_t need = F_MAPPED | (write ? F_WRITABLE : 0);
    return span_ok(m, table, addr, n, need) ? 0 : MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
}

int simimg_read(const struct simimg *m, enum tag_table table, int addr, int n, uint16_t *regs,
                uint8_t *bits)
{
    bool b = bit_table(table);
    int code = simimg_check(m, table, addr, n, b ? MODBUS_MAX_READ_BITS : MODBUS_MAX_READ_REGISTERS,
                            false);
    if (code)
        return code;
    if (b)
        memcpy(bits, bits_of(m, table) + addr, (size_t)n);
    else
        memcpy(regs, regs_of(m, table) + addr, (size_t)n * sizeof *regs);
    return 0;
}

int simimg_write_regs(struct simimg *m, int addr, int n, const uint16_t *src)
{
    int code = simimg_check(m, TAG_HR, addr, n, MODBUS_MAX_WRITE_REGISTERS, true);
    if (!code)
        memcpy(regs_of(m, TAG_HR) + addr, src, (size_t)n * sizeof *src);
    return code;
}

int simimg_write_bit(struct simimg *m, int addr, int value)
{
    int code = simimg_check(m, TAG_CO, addr, 1, 1, true);
    if (!code)
        bits_of(m, TAG_CO)[addr] = value != 0;
    return code;
}

/* ---- per tag ---------------------------------------------------------------------- */

int simimg_set(struct simimg *m, int tag_index, double eng)
{
    if (!valid_index(m, tag_index))
        return -1;
    const struct cfg_tag *t = &m->tags[tag_index];
    uint16_t w[2] = {0, 0};
    if (t->writable) {
        char err[200];
        if (tag_encode(t, eng, w, err, sizeof err) < 0)
            return -1;
    } else {
        tag_encode_sensor(t, eng, w);
    }
    store_words(m, t, w);
    return 0;
}

int simimg_set_fault(struct simimg *m, int tag_index)
{
    if (!valid_index(m, tag_index) || !m->tags[tag_index].has_fault)
        return -1;
    uint16_t w[2] = {0, 0};
    tag_encode_fault(&m->tags[tag_index], w);
    store_words(m, &m->tags[tag_index], w);
    return 0;
}

int simimg_get(const struct simimg *m, int tag_index, double *eng)
{
    if (!valid_index(m, tag_index))
        return -1;
    uint16_t w[2] = {0, 0};
    load_words(m, &m->tags[tag_index], w);
    return (int)tag_decode(&m->tags[tag_index], w, eng);
}

int simimg_set_raw(struct simimg *m, enum tag_table table, int addr, uint16_t v)
{
    if (!mapped(m, table, addr))
        return -1;
    if (bit_table(table))
        bits_of(m, table)[addr] = v != 0;
    else
        regs_of(m, table)[addr] = v;
    return 0;
}

int simimg_get_raw(const struct simimg *m, enum tag_table table, int addr, uint16_t *v)
{
    if (!mapped(m, table, addr))
        return -1;
    *v = bit_table(table) ? bits_of(m, table)[addr] : regs_of(m, table)[addr];
    return 0;
}

/* ---- the simulated PLC ------------------------------------------------------------ */

bool simimg_served(const struct simimg *m, int tag_index)
{
    return valid_index(m, tag_index) && (m->out_fld[tag_index] || m->in_fld[tag_index]);
}

void simimg_put_outputs(struct simimg *m, const struct splc_out *o)
{
    for (int i = 0; i < m->ntags; i++) {
        const struct splc_field *f = m->out_fld[i];
        if (!f)
            continue;
        if (f->tc >= 0 && o->broken[f->tc])
            simimg_set_fault(m, i);
        else
            simimg_set(m, i, splc_field_get(f, o));
    }
}

void simimg_put_inputs(struct simimg *m, const struct splc_in *in)
{
    for (int i = 0; i < m->ntags; i++)
        if (m->in_fld[i])
            simimg_set(m, i, splc_field_get(m->in_fld[i], in));
}

void simimg_get_inputs(const struct simimg *m, struct splc_in *in)
{
    for (int i = 0; i < m->ntags; i++) {
        const struct splc_field *f = m->in_fld[i];
        if (!f)
            continue;
        double v = splc_field_get(f, in);
        if (simimg_get(m, i, &v) >= 0)
            splc_field_set(f, in, v);
    }
}
