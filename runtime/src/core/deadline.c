/* Deadlines of calls: FIFO lists per timeout, sharded per thread (see
 * deadline.h). */
#include "core/deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "core/counter.h"
#include "cproc/clock.h"

#define DL_LISTS 16
#define DL_SHARDS 4
#define DL_BATCH 64

typedef struct dl_list {
    uint64_t timeout_ns;
    cp__deadline_t *head, *tail;
    bool armed; /* a timer is due for this list */
} dl_list_t;

/* On lines of its own: a shard's mutex shared a line with the tail of
 * the shard before, which another thread reads on every call. */
typedef struct dl_shard {
    _Alignas(128) pthread_mutex_t mu;
    dl_list_t l[DL_LISTS];
    size_t n;
} dl_shard_t;

static dl_shard_t shards[DL_SHARDS] = {
    {.mu = PTHREAD_MUTEX_INITIALIZER},
    {.mu = PTHREAD_MUTEX_INITIALIZER},
    {.mu = PTHREAD_MUTEX_INITIALIZER},
    {.mu = PTHREAD_MUTEX_INITIALIZER},
};

static void unlink_locked(cp__deadline_t *d)
{
    dl_list_t *l = &shards[d->shard].l[d->list];
    if (d->prev)
        d->prev->next = d->next;
    else
        l->head = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        l->tail = d->prev;
    d->prev = d->next = NULL;
    d->linked = false;
}

/* The timer of list `arg` (shard * DL_LISTS + list): ends what is due,
 * then re-arms for the new head. */
static void fire(void *arg)
{
    dl_shard_t *s = &shards[(uintptr_t)arg / DL_LISTS];
    dl_list_t *l = &s->l[(uintptr_t)arg % DL_LISTS];
    for (;;) {
        cp__deadline_t *due[DL_BATCH];
        size_t n = 0;
        uint64_t next = 0;
        pthread_mutex_lock(&s->mu);
        uint64_t now = cp_clock_now();
        while (l->head != NULL && l->head->at <= now && n < DL_BATCH) {
            cp__deadline_t *d = l->head;
            unlink_locked(d);
            due[n++] = d;
        }
        if (n < DL_BATCH) {
            if (l->head != NULL)
                next = l->head->at - now;
            else
                l->armed = false;
        }
        pthread_mutex_unlock(&s->mu);
        for (size_t i = 0; i < n; i++)
            cp__deadline_expired(due[i]);
        if (n == DL_BATCH)
            continue;
        if (next > 0)
            cp_timer_start(next, fire, arg, NULL, NULL);
        return;
    }
}

bool cp__deadline_add(cp__deadline_t *d, uint64_t timeout_ns)
{
    int my_shard = (int)(cp__thread_shard() % DL_SHARDS);
    dl_shard_t *s = &shards[my_shard];
    pthread_mutex_lock(&s->mu);
    size_t i = 0;
    while (i < s->n && s->l[i].timeout_ns != timeout_ns)
        i++;
    if (i == s->n) {
        if (s->n == DL_LISTS) {
            pthread_mutex_unlock(&s->mu);
            d->list = -1;
            return false;
        }
        s->l[s->n++] = (dl_list_t){.timeout_ns = timeout_ns};
    }
    dl_list_t *l = &s->l[i];
    uint64_t now = cp_clock_now();
    d->at = now > UINT64_MAX - timeout_ns ? UINT64_MAX : now + timeout_ns;
    d->list = (int)i;
    d->shard = my_shard;
    d->linked = true;
    d->next = NULL;
    d->prev = l->tail;
    if (l->tail)
        l->tail->next = d;
    else
        l->head = d;
    l->tail = d;
    bool arm = !l->armed;
    l->armed = true;
    uintptr_t which = (uintptr_t)my_shard * DL_LISTS + i;
    pthread_mutex_unlock(&s->mu);
    /* Failing only when the runtime stops: drain ends the deadline then. */
    if (arm)
        cp_timer_start(timeout_ns, fire, (void *)which, NULL, NULL);
    return true;
}

bool cp__deadline_remove(cp__deadline_t *d)
{
    if (d->list < 0)
        return false;
    dl_shard_t *s = &shards[d->shard];
    pthread_mutex_lock(&s->mu);
    bool was = d->linked;
    if (was)
        unlink_locked(d);
    pthread_mutex_unlock(&s->mu);
    return was;
}

void cp__deadlines_drain(void (*fn)(cp__deadline_t *d))
{
    for (size_t i = 0; i < DL_SHARDS; i++) {
        dl_shard_t *s = &shards[i];
        for (;;) {
            cp__deadline_t *d = NULL;
            pthread_mutex_lock(&s->mu);
            for (size_t k = 0; k < s->n && d == NULL; k++)
                if ((d = s->l[k].head) != NULL)
                    unlink_locked(d);
            if (d == NULL) {
                s->n = 0; /* the timers are gone: every list starts unarmed */
                pthread_mutex_unlock(&s->mu);
                break;
            }
            pthread_mutex_unlock(&s->mu);
            fn(d);
        }
    }
}
