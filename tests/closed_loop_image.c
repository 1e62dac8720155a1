/* closed_loop_image — the register image between the control core and the simulated PLC:
 * every PLC input encoded into its registers with the tag codec (tag_encode_sensor,
 * tag_encode_fault for a broken sensor) and decoded with tag_decode, and every value the
 * core writes encoded into its holding register and handed to the PLC, as meltsim's server
 * does.  So quantisation, valid ranges and fault sentinels are the real ones.
 */
#include <string.h>

#include "closed_loop.h"

static const struct splc_field *field_find(const struct splc_field *f, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].tag, tag))
            return &f[i];
    return NULL;
}

static double field_get(const struct splc_field *f, const void *base)
{
    const char *p = (const char *)base + f->off;
    double d;
    uint16_t u;
    bool b;
    switch (f->kind) {
    case SPLC_DOUBLE:
        memcpy(&d, p, sizeof d);
        return d;
    case SPLC_U16:
        memcpy(&u, p, sizeof u);
        return u;
    case SPLC_BOOL:
    default:
        memcpy(&b, p, sizeof b);
        return b;
    }
}

/* Decode tag i from its registers into the image (a sentinel keeps the last value). */
static void decode(struct harness *h, int i)
{
    double v = h->tags[i].v;
    h->tags[i].q = tag_decode(&h->cfg.tags[i], h->im.regs[i], &v);
    h->tags[i].v = v;
}

/* Map every tag of the config onto the PLC once; preset the holding registers from the
 * PLC's start state, as meltsim presets them.  Tags the PLC does not serve read COMMS. */
void image_init(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    for (int i = 0; i < c->ntags; i++) {
        const char *name = c->tags[i].name;
        struct image *im = &h->im;
        h->tags[i] = (struct tag_value){.v = 0, .q = Q_BAD_COMMS};
        im->src[i] = SRC_NONE;
        if ((im->fld[i] = field_find(splc_out_fields, splc_out_nfields, name)))
            im->src[i] = SRC_OUT;
        else if ((im->fld[i] = field_find(splc_in_fields, splc_in_nfields, name)))
            im->src[i] = SRC_HR;
        if (im->src[i] == SRC_NONE && !h->quiet)
            printf("note: tag %s is not served by the simulated PLC: it reads COMMS\n", name);
        if (im->src[i] == SRC_HR) {
            tag_encode_sensor(&c->tags[i], field_get(im->fld[i], &h->in), im->regs[i]);
            decode(h, i);
        }
    }
}

/* The PLC's inputs as a Modbus client reads them: through the registers. */
void image_read(struct harness *h)
{
    const struct cfg *c = &h->cfg;
    struct image *im = &h->im;
    bool silent = h->t < h->silent_until;
    for (int i = 0; i < c->ntags; i++) {
        const struct cfg_tag *tg = &c->tags[i];
        if (im->src[i] == SRC_OUT) {
            double v = field_get(im->fld[i], &h->out);
            bool broken = im->fld[i]->tc >= 0 && h->out.broken[im->fld[i]->tc];
            if (broken && tg->has_fault)
                tag_encode_fault(tg, im->regs[i]);
            else
                tag_encode_sensor(tg, v, im->regs[i]);
        }
        if (silent || im->src[i] == SRC_NONE)
            h->tags[i].q = Q_BAD_COMMS;
        else
            decode(h, i);
    }
}

/* One value the console writes: into the holding register through the codec, and from
 * there to the PLC as meltsim's server hands it over. */
static void write_hr(struct harness *h, int tag, double v)
{
    const struct cfg_tag *tg = &h->cfg.tags[tag];
    char err[200];
    if (tag_encode(tg, v, h->im.regs[tag], err, sizeof err) < 0) {
        h->f.write_errors++;
        say(h, "WRITE REFUSED by the codec: %s", err);
        return;
    }
    decode(h, tag);
    if (h->im.src[tag] == SRC_HR)
        splc_in_set(&h->in, tg->name, h->tags[tag].v);
}

/* k->writes, then cmd_code, cmd_arg, cmd_seq in that order, once.  Nothing arrives while
 * the link is silent. */
void image_apply_writes(struct harness *h)
{
    const struct core *k = &h->core;
    if (h->t < h->silent_until)
        return;
    for (int i = 0; i < k->nwrites; i++)
        write_hr(h, k->writes[i].tag, k->writes[i].value);
    if (k->cmd_write)
        for (int i = 0; i < 3; i++)
            write_hr(h, k->cmd_out[i].tag, k->cmd_out[i].value);
}
