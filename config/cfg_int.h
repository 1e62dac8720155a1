/* cfg_int — what the files of the loader share (cfg.c, cfg_scan.c,
 * cfg_values.c, cfg_check.c, cfg_report.c, cfg_names.c).  Private to
 * config/: nothing outside the loader includes this.
 */
#ifndef MELTCON_CFG_INT_H
#define MELTCON_CFG_INT_H

#include <iniparser/iniparser.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "cfg_schema.h"

/* ---- the line scan (cfg_scan.c) ------------------------------------------ */

struct cfg_scan_key {
    int sec;                  /* index into secs */
    char key[64];
    int line;
    size_t val;               /* offset of its value, as written, in vals */
    bool bad;                 /* iniparser would not read it as written (reported) */
    bool dup;                 /* set again further down (reported; iniparser keeps the last) */
    int next;                 /* the section's next key, -1 */
};

struct cfg_scan_sec {
    char name[64];
    int line;
    int first_key, last_key;  /* its keys in file order, -1 none */
};

/* Sections and keys are found by name through two open-addressing hash
 * tables (index + 1, 0 empty) so that the scan and every lookup stay linear
 * in the size of the file. */
struct cfg_scan {
    struct cfg_scan_sec *secs;
    int nsecs, capsecs;
    struct cfg_scan_key *keys;
    int nkeys, capkeys;
    char *vals;               /* the values, NUL-terminated one after another */
    size_t nvals, capvals;
    int *sec_hash, *key_hash;
    size_t sec_hcap, key_hcap; /* powers of two, at most half full */
    int syntax_errors;
    bool no_memory;
};

/* One load in progress: the file's name, the errors so far, the line scan,
 * iniparser's dictionary and the struct being filled. */
struct cfg_ctx {
    const char *file;
    struct cfg_errors *errs;
    struct cfg_scan sc;
    dictionary *d;
    struct cfg *c;
    bool bad_tag[CFG_MAX_TAGS]; /* a key of this tag failed: skip its cross checks */
    /* another file's schema (cfg_table_load_text): its table and the struct it fills;
     * NULL: the furnace file's (cfg_sections into c) */
    const struct cfg_section *table;
    size_t ntable;
    char *base;
};

/* Record where every section and key of text[0..len-1] is, and its value as
 * written (ini_value.h), and report syntax errors, duplicates, keys outside
 * sections and values iniparser would read otherwise into x->errs. */
void cfg_scan_text(struct cfg_ctx *x, const char *text, size_t len);
void cfg_scan_free(struct cfg_scan *s);
/* Index of section `name` in the scan, -1 if absent. */
int cfg_scan_find_sec(const struct cfg_scan *s, const char *name);
/* Index of KEY of section sec in the scan, -1 if absent. */
int cfg_scan_find_key(const struct cfg_scan *s, int sec, const char *key);
/* Line of KEY in section sec (the section's own line if the key is not
 * given, 0 for no section). */
int cfg_key_line(const struct cfg_ctx *x, int sec, const char *key);
bool cfg_key_given(const struct cfg_ctx *x, int sec, const char *key);
/* The value of KEY in section sec as written, NULL if not given. */
const char *cfg_key_value(const struct cfg_ctx *x, int sec, const char *key);
/* s without leading and trailing white space (cuts the tail in place). */
char *cfg_strip(char *s);

/* ---- errors and suggestions (cfg_report.c) -------------------------------- */

/* Record one mistake.  The sentence starts "FILE:LINE: [SECTION] KEY =
 * "VALUE": " as far as those are known, then the message. */
__attribute__((format(printf, 6, 7))) void cfg_err(struct cfg_ctx *x, int line, const char *sec,
                                                   const char *key, const char *val,
                                                   const char *fmt, ...);

/* " (did you mean \"x\"?)" for the closest candidate, or "". */
void cfg_suggest(char *out, size_t n, const char *word, const char *const *cands, size_t ncand);

/* ---- values and sections (cfg_values.c) ----------------------------------- */

/* Apply a key's default (never fails for a well-formed table; a broken
 * default is reported like a bad value, naming the schema). */
void cfg_set_default(struct cfg_ctx *x, const char *sec, const struct cfg_key *k, char *base);

/* Read scanned section `sec` from the dictionary into x->c: every key
 * given parsed and checked against the schema, required keys present. */
void cfg_load_section(struct cfg_ctx *x, int sec);

/* A limit for messages and the key reference: "%g", or "inf"/"-inf" for
 * the schema's "no limit". */
void cfg_fmt_num(char *out, size_t n, double v);
/* names[] (NULL-terminated) as "a, b, c". */
void cfg_join_names(char *out, size_t n, const char *const *names);

/* ---- cross checks (cfg_check.c) ------------------------------------------- */

/* The checks between keys and sections once every section is read: tags
 * against their tables, the references of loops and alarms, the rest. */
void cfg_check_cross(struct cfg_ctx *x);

/* The alarm philosophy's rules (cfg_alarms.c); run by cfg_check_cross. */
void cfg_check_alarm_rules(struct cfg_ctx *x);

/* ---- names (cfg_names.c) -------------------------------------------------- */

/* Index of s in names[] (NULL-terminated, case-insensitive), -1 if absent. */
int cfg_enum_index(const char *s, const char *const *names);

#endif
