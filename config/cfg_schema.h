/* cfg_schema — the schema table's types, shared by the loader (cfg.c and
 * its parts, see cfg_int.h) and the table itself (cfg_schema.c).  Private
 * to config/. */
#ifndef MELTCON_CFG_SCHEMA_H
#define MELTCON_CFG_SCHEMA_H

#include <stddef.h>

#include "cfg.h"

enum cfg_ktype {
    KT_INT,     /* decimal integer in [min, max] */
    KT_DOUBLE,  /* finite number in [min, max] */
    KT_BOOL,    /* yes/no, true/false, on/off, 1/0 */
    KT_STRING,  /* text up to size-1 characters */
    KT_NAME,    /* a reference to a tag/loop/program name: [a-z0-9_] */
    KT_ENUM,    /* one of names[] (case-insensitive), stored as int */
    KT_PHASES,  /* comma-separated phase names, stored as unsigned bitmask */
    KT_ADDR,    /* TABLE:ADDRESS, stored as enum tag_table at off, int at off2 */
    KT_PAIR,    /* "LO, HI" with LO < HI, stored as doubles at off and off2 */
};

struct cfg_key {
    const char *key;
    enum cfg_ktype type;
    double min, max;           /* KT_INT, KT_DOUBLE, and each of a KT_PAIR */
    const char *def;           /* NULL: required; "": optional without default */
    const char *unit;
    const char *help;
    size_t off, off2;          /* into the section's struct */
    size_t size;               /* KT_STRING, KT_NAME: buffer size */
    const char *const *names;  /* KT_ENUM: NULL-terminated */
    ptrdiff_t has;             /* offset of a bool set when the key is given, -1 none */
};

struct cfg_section {
    const char *name;          /* "plc", or the prefix "tag" of [tag.NAME] */
    bool multi;                /* [name.ITEM] sections */
    const char *help;
    const struct cfg_key *keys;
    size_t off;                /* of the struct (or array) in struct cfg */
    size_t item_size;          /* multi: size of one item */
    size_t count_off;          /* multi: offset of the int count in struct cfg */
    int max_items;
    const char *example;       /* multi: an example section name, for help */
};

extern const struct cfg_section cfg_sections[];
extern const size_t cfg_nsections;

extern const char *const cfg_table_names[];
extern const char *const cfg_type_names[];
extern const char *const cfg_word_order_names[];
extern const char *const cfg_phase_names[];
extern const char *const cfg_priority_names[];
extern const char *const cfg_loop_mode_names[];

struct cfg_ctx;
/* Read text[0..len-1] (called `name` in messages) against another file's schema: every
 * section in table[0..ntable-1] (multi: [name.ITEM]), filling base (offsets as in the
 * furnace's table); unknown sections and keys, bad values and missing required keys are
 * errors in *errs; then check(x) (may be NULL) for the checks between keys, reporting
 * with cfg_err and x->base.  0, or -1 with every error (base then holds what was read).
 * No iniparser: the scan reads each value as written (cfg_table.c). */
int cfg_table_load_text(const char *name, const char *text, size_t len,
                        const struct cfg_section *table, size_t ntable, void *base,
                        void (*check)(struct cfg_ctx *x), struct cfg_errors *errs);

#endif
