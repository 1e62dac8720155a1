/* instructor — the instructor's side of the inject channel: one request and its reply
 * (what `meltsim inject` sends), and `meltsim instructor`, the ncurses station over the
 * same channel (simhw/README.md, 'Instructor station').
 *
 * The station reads everything it shows from the simulator's own socket (the verbs
 * `glance`, `status` and `snapshots`), so it needs no Modbus and no controller: only the
 * instructor's account can open it, which is the inject channel's rule.
 */
#ifndef MELTCON_INSTRUCTOR_H
#define MELTCON_INSTRUCTOR_H

#include <stddef.h>

/* Send req to the simulator's socket at path and wait up to 3 s for its reply (into rep,
 * NUL-terminated).  1 for an "ok" reply, 0 for an "error" one, -1 when there was none
 * (the reason in rep). */
int inst_request(const char *path, const char *req, char *rep, size_t n);

/* What the station needs: the simulator's socket, a title (furnace and port), and for
 * the trainee's side the meltcon program and the config file it is run with. */
struct inst_opts {
    const char *path, *title;
    const char *meltcon; /* a path, or "meltcon" looked up in PATH */
    const char *config;  /* the furnace's file, passed as meltcon -c */
};

/* Run the station until the instructor quits (q).  0, or 1 when the terminal cannot be
 * used. */
int inst_main(const struct inst_opts *o);

#endif
