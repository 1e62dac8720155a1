/* sysjournal — the server's events in the system journal (see sysjournal.h).
 *
 *   cycle thread:  sysjournal_put: lock, copy the entry into the ring (or
 *                  count it dropped when the ring is full), signal, unlock
 *   sender thread: wait for an entry, copy it out, unlock, sd_journal_send;
 *                  after a send, report the events dropped since the last
 *                  report
 * The mutex is never held across sd_journal_send, so the cycle waits at
 * most for one memcpy of the other thread.
 */
#include "sysjournal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "cfg.h"
#include "dayfile.h"
#include "util.h"

struct sysjournal {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, done;
    int head, n;                   /* ring: oldest at head */
    unsigned long dropped;         /* events the full ring did not take */
    char furnace[CFG_NAME_MAX];
    struct journal_entry q[SYSJOURNAL_QUEUE];
    int nh;                        /* heads waiting, oldest first */
    unsigned long heads_dropped;
    struct head {
        char event[8];
        long day, seq;
        bool keyed;
        unsigned char h[JOURNAL_HASH_LEN];
    } heads[SYSJOURNAL_HEADS];
};

/* One chain head as its message (journal_heads.c reads it back). */
static void send_head(const struct sysjournal *sj, const struct head *h)
{
    char msg[256], date[11], hex[2 * JOURNAL_HASH_LEN + 1];
    if (journal_head_text(msg, sizeof msg, sj->furnace, h->event, h->day, h->seq, h->keyed,
                          h->h) < 0)
        return;
    dayfile_date(h->day, date);
    for (int i = 0; i < JOURNAL_HASH_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h->h[i]);
    (void)sd_journal_send("MESSAGE=%s", msg, "MESSAGE_ID=%s", JOURNAL_HEAD_MSGID, "PRIORITY=%d",
                          LOG_NOTICE, "SYSLOG_IDENTIFIER=meltcon", "MELTCON_FURNACE=%s",
                          sj->furnace, "MELTCON_HEAD_EVENT=%s", h->event, "MELTCON_HEAD_DATE=%s",
                          date, "MELTCON_HEAD_SEQ=%ld", h->seq, "MELTCON_HEAD_HASH=%s", hex,
                          "MELTCON_HEAD_KEYED=%d", h->keyed ? 1 : 0, NULL);
}

static int priority_of(const struct journal_entry *e)
{
    if (!strncmp(e->result, "refused", 7) || !strcmp(e->kind, "alarm"))
        return LOG_WARNING;
    return strcmp(e->user, "meltcon") != 0 ? LOG_NOTICE : LOG_INFO;
}

/* One event as journald fields.  The thread's own, so it may block. */
static void send_one(const struct sysjournal *sj, const struct journal_entry *e)
{
    bool refused = !strncmp(e->result, "refused", 7);
    const char *text = e->result;
    if (!strncmp(text, "refused: ", 9))
        text += 9;
    else if (!strncmp(text, "ok: ", 4))
        text += 4;
    char change[2 * JOURNAL_VALUE_MAX + 8] = "";
    if (*e->old_value || *e->new_value)
        snprintf(change, sizeof change, " %s -> %s", e->old_value, e->new_value);
    char msg[JOURNAL_LINE_MAX];
    snprintf(msg, sizeof msg, "%s@%s %s %s%s: %s%s%s%s", e->user, e->origin, e->kind, e->what,
             change, *e->result ? e->result : "ok", *e->reason ? " (reason: " : "", e->reason,
             *e->reason ? ")" : "");
    (void)sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority_of(e),
                          "SYSLOG_IDENTIFIER=meltcon", "MELTCON_FURNACE=%s", sj->furnace,
                          "MELTCON_USER=%s", e->user, "MELTCON_ORIGIN=%s", e->origin,
                          "MELTCON_VERB=%s", e->kind, "MELTCON_TARGET=%s", e->what,
                          "MELTCON_RESULT=%s", refused ? "refused" : "ok", "MELTCON_TEXT=%s",
                          text, "MELTCON_OLD=%s", e->old_value, "MELTCON_NEW=%s", e->new_value,
                          "MELTCON_REASON=%s", e->reason, NULL);
}

static void *sender(void *arg)
{
    struct sysjournal *sj = arg;
    struct journal_entry *e = malloc(sizeof *e);
    unsigned long reported = 0, heads_reported = 0;
    pthread_mutex_lock(&sj->mu);
    for (;;) {
        while (sj->n == 0 && sj->nh == 0 && !sj->stop)
            pthread_cond_wait(&sj->cv, &sj->mu);
        if (sj->nh > 0) { /* heads first: few, and what a forger would want lost */
            struct head h = sj->heads[0];
            memmove(sj->heads, sj->heads + 1, sizeof h * (size_t)(sj->nh - 1));
            sj->nh--;
            unsigned long lost = sj->heads_dropped;
            pthread_mutex_unlock(&sj->mu);
            send_head(sj, &h);
            if (lost > heads_reported) {
                (void)sd_journal_send("MESSAGE=%lu journal heads of furnace %s were not passed "
                                      "to the system journal: it did not take them fast enough",
                                      lost - heads_reported, sj->furnace, "PRIORITY=%d",
                                      LOG_WARNING, "SYSLOG_IDENTIFIER=meltcon",
                                      "MELTCON_FURNACE=%s", sj->furnace,
                                      "MELTCON_HEADS_DROPPED=%lu", lost - heads_reported, NULL);
                heads_reported = lost;
            }
            pthread_mutex_lock(&sj->mu);
            continue;
        }
        if (sj->n == 0 || !e)
            break;
        *e = sj->q[sj->head];
        sj->head = (sj->head + 1) % SYSJOURNAL_QUEUE;
        sj->n--;
        unsigned long dropped = sj->dropped;
        pthread_mutex_unlock(&sj->mu);
        send_one(sj, e);
        if (dropped > reported) {
            (void)sd_journal_send("MESSAGE=%lu events of furnace %s were not passed to the "
                                  "system journal: it did not take them fast enough (the "
                                  "meltcon journal keeps them)",
                                  dropped - reported, sj->furnace, "PRIORITY=%d", LOG_WARNING,
                                  "SYSLOG_IDENTIFIER=meltcon", "MELTCON_FURNACE=%s",
                                  sj->furnace, "MELTCON_DROPPED=%lu", dropped - reported, NULL);
            reported = dropped;
        }
        pthread_mutex_lock(&sj->mu);
    }
    sj->done = true;
    pthread_mutex_unlock(&sj->mu);
    free(e);
    return NULL;
}

struct sysjournal *sysjournal_start(const char *furnace)
{
    struct sysjournal *sj = calloc(1, sizeof *sj);
    if (!sj)
        return NULL;
    (void)str_copy(sj->furnace, sizeof sj->furnace, furnace);
    pthread_mutex_init(&sj->mu, NULL);
    pthread_cond_init(&sj->cv, NULL);
    /* the thread takes no signals: SIGTERM and SIGINT stay with the cycle */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&sj->th, NULL, sender, sj);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&sj->cv);
        pthread_mutex_destroy(&sj->mu);
        free(sj);
        return NULL;
    }
    return sj;
}

void sysjournal_put(struct sysjournal *sj, const struct journal_entry *e)
{
    if (!sj)
        return;
    pthread_mutex_lock(&sj->mu);
    if (sj->n < SYSJOURNAL_QUEUE) {
        sj->q[(sj->head + sj->n) % SYSJOURNAL_QUEUE] = *e;
        sj->n++;
        pthread_cond_signal(&sj->cv);
    } else {
        sj->dropped++;
    }
    pthread_mutex_unlock(&sj->mu);
}

void sysjournal_head(struct sysjournal *sj, const char *event, long day, long seq, bool keyed,
                     const unsigned char *head)
{
    if (!sj || seq <= 0 || day < 0)
        return;
    pthread_mutex_lock(&sj->mu);
    if (sj->nh < SYSJOURNAL_HEADS) {
        struct head *h = &sj->heads[sj->nh++];
        (void)str_copy(h->event, sizeof h->event, event);
        h->day = day;
        h->seq = seq;
        h->keyed = keyed;
        memcpy(h->h, head, JOURNAL_HASH_LEN);
        pthread_cond_signal(&sj->cv);
    } else {
        sj->heads_dropped++;
    }
    pthread_mutex_unlock(&sj->mu);
}

void sysjournal_stop(struct sysjournal *sj)
{
    if (!sj)
        return;
    pthread_mutex_lock(&sj->mu);
    sj->stop = true;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->mu);
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += SYSJOURNAL_STOP_MS / 1000;
    end.tv_nsec += (long)(SYSJOURNAL_STOP_MS % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(sj->th, NULL, &end) != 0) {
        /* the thread waits in sendmsg() for a journald that does not read:
         * leave it (and its memory) to the process's exit */
        pthread_detach(sj->th);
        return;
    }
    pthread_cond_destroy(&sj->cv);
    pthread_mutex_destroy(&sj->mu);
    free(sj);
}
