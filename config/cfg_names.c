/* cfg_names — lookups by name in a loaded struct cfg and the names of its
 * enums.  Pure: only string functions, no I/O, no clock, no globals but the
 * schema's const name tables, so the functional core may call these (the
 * layer check holds this file to that rule).
 */
#include "cfg_int.h"

#include <string.h>
#include <strings.h>

int cfg_enum_index(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return -1;
}

const struct cfg_tag *cfg_tag_find(const struct cfg *c, const char *name)
{
    int i = cfg_tag_index(c, name);
    return i >= 0 ? &c->tags[i] : NULL;
}

int cfg_tag_index(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->ntags; i++)
        if (!strcmp(c->tags[i].name, name))
            return i;
    return -1;
}

const struct cfg_loop *cfg_loop_find(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nloops; i++)
        if (!strcmp(c->loops[i].name, name))
            return &c->loops[i];
    return NULL;
}

const struct cfg_program *cfg_program_find(const struct cfg *c, const char *name)
{
    for (int i = 0; i < c->nprograms; i++)
        if (!strcmp(c->programs[i].name, name))
            return &c->programs[i];
    return NULL;
}

const struct cfg_scrap *cfg_scrap_find(const struct cfg *c, const char *name)
{
    for (int i = 0; name && i < c->nscrap; i++)
        if (!strcmp(c->scrap[i].name, name))
            return &c->scrap[i];
    return NULL;
}

static const char *name_of(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}

const char *cfg_phase_name(enum cfg_phase p) { return name_of(cfg_phase_names, PH_COUNT, (int)p); }

int cfg_phase_from_name(const char *s) { return cfg_enum_index(s, cfg_phase_names); }

const char *cfg_priority_name(enum cfg_priority p)
{
    return name_of(cfg_priority_names, 4, (int)p);
}

const char *cfg_loop_mode_name(enum cfg_loop_mode m)
{
    return name_of(cfg_loop_mode_names, 3, (int)m);
}

const char *cfg_table_name(enum tag_table t) { return name_of(cfg_table_names, 4, (int)t); }

const char *cfg_type_name(enum tag_type t) { return name_of(cfg_type_names, 6, (int)t); }
