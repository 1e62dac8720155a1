/* ident — the uid cache and its lookup thread (see ident.h).
 *
 * Each entry is in one of three states, under one mutex:
 *   ASKED  a connection waits; the thread has not answered yet
 *   DONE   answered at t_done (ok, or refused with a sentence); `again` set
 *          when a caller found it older than IDENT_FRESH_S: the thread looks
 *          it up again while the answer is still served
 *   free   (used = false)
 * The thread takes ASKED entries first, then those to refresh; it runs the
 * lookup without the lock, so ident_get never waits on the database.
 */
#include "ident.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "util.h"

enum ent_state { ENT_ASKED, ENT_DONE };

struct ent {
    bool used;
    enum ent_state state;
    unsigned uid;
    bool ok, transient, again;
    struct session_peer p;
    char err[300];
    double t_done, t_used;
};

struct ident {
    struct cfg_server srv;
    ident_lookup_fn lookup;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int efd;
    bool stop;
    unsigned long lookups;
    struct ent e[IDENT_CACHE];
};

/* The next uid to look up (lock held): a first lookup before a refresh. */
static struct ent *next_job(struct ident *c)
{
    for (int i = 0; i < IDENT_CACHE; i++)
        if (c->e[i].used && c->e[i].state == ENT_ASKED)
            return &c->e[i];
    for (int i = 0; i < IDENT_CACHE; i++)
        if (c->e[i].used && c->e[i].again)
            return &c->e[i];
    return NULL;
}

static void *run(void *arg)
{
    struct ident *c = arg;
    struct session_peer *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct ent *x;
        while (!c->stop && !(x = next_job(c)))
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        unsigned uid = x->uid;
        bool refresh = x->state == ENT_DONE;
        x->again = false;
        pthread_mutex_unlock(&c->mu);
        char err[300] = "";
        int rc = c->lookup(uid, &c->srv, p, err, sizeof err);
        double now = clock_mono_s();
        pthread_mutex_lock(&c->mu);
        c->lookups++;
        /* the entry may have been reused for another uid meanwhile: find it again */
        x = NULL;
        for (int i = 0; i < IDENT_CACHE && !x; i++)
            if (c->e[i].used && c->e[i].uid == uid)
                x = &c->e[i];
        if (!x)
            continue;
        if (refresh && rc == -2 && x->ok) {
            x->t_done = now; /* the database failed: keep the good answer we had */
        } else {
            x->state = ENT_DONE;
            x->ok = rc == 0;
            x->transient = rc == -2;
            x->p = *p;
            (void)str_copy(x->err, sizeof x->err, err);
            x->t_done = now;
        }
        uint64_t one = 1;
        ssize_t n = write(c->efd, &one, sizeof one);
        (void)n;
    }
    pthread_mutex_unlock(&c->mu);
    free(p);
    return NULL;
}

struct ident *ident_start(const struct cfg_server *srv, ident_lookup_fn lookup)
{
    struct ident *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->srv = *srv;
    c->lookup = lookup ? lookup : session_lookup;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->efd < 0 || pthread_create(&c->thread, NULL, run, c) != 0) {
        if (c->efd >= 0)
            close(c->efd);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}

/* Stop: a lookup in progress is waited for (NSS cannot be interrupted);
 * its answer is dropped. */
void ident_stop(struct ident *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    close(c->efd);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* A slot for a new uid (lock held): a free one, else the least recently
 * used answered one; NULL when every slot has a connection waiting. */
static struct ent *slot_for(struct ident *c)
{
    struct ent *lru = NULL;
    for (int i = 0; i < IDENT_CACHE; i++) {
        struct ent *x = &c->e[i];
        if (!x->used)
            return x;
        if (x->state == ENT_DONE && !x->again && (!lru || x->t_used < lru->t_used))
            lru = x;
    }
    return lru;
}

enum ident_answer ident_get(struct ident *c, unsigned uid, double now, struct session_peer *p,
                            char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    struct ent *x = NULL;
    for (int i = 0; i < IDENT_CACHE && !x; i++)
        if (c->e[i].used && c->e[i].uid == uid)
            x = &c->e[i];
    if (x && x->state == ENT_DONE && x->transient && now - x->t_done > IDENT_RETRY_S) {
        x->state = ENT_ASKED; /* a failed lookup is not an answer to keep */
        pthread_cond_signal(&c->cv);
    }
    enum ident_answer a = IDENT_WAIT;
    if (!x) {
        x = slot_for(c);
        if (x) {
            memset(x, 0, sizeof *x);
            x->used = true;
            x->uid = uid;
            x->state = ENT_ASKED;
            x->t_used = now;
            pthread_cond_signal(&c->cv);
        }
    } else if (x->state == ENT_DONE) {
        x->t_used = now;
        if (now - x->t_done > IDENT_FRESH_S && !x->again && !x->transient) {
            x->again = true; /* served now, looked up again for the next */
            pthread_cond_signal(&c->cv);
        }
        a = x->ok ? IDENT_OK : IDENT_REFUSED;
        if (x->ok)
            *p = x->p;
        else
            (void)str_copy(err, errlen, x->err);
    }
    pthread_mutex_unlock(&c->mu);
    return a;
}

int ident_fd(const struct ident *c)
{
    return c->efd;
}

void ident_ack(struct ident *c)
{
    uint64_t v;
    ssize_t n = read(c->efd, &v, sizeof v);
    (void)n;
}

unsigned long ident_lookups(struct ident *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned long n = c->lookups;
    pthread_mutex_unlock(&c->mu);
    return n;
}
