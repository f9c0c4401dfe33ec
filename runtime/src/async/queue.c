/* process::Queue in C: items and waiting gets under one lock. */
#include <stdlib.h>

#include "async/waitlist.h"
#include "cproc/error.h"
#include "cproc/queue.h"

typedef struct item {
    struct item *next;
    void *value;
} item_t;

struct cp_queue {
    cp__async_core_t core; /* first: the core is the allocation */
    cp_free_fn free_item;
    item_t *head, *tail;
    item_t *spare; /* one recycled node: put/get pairs allocate nothing */
    size_t size;
    cp__waitlist_t getters;
};

static void queue_destroy(cp__async_core_t *core)
{
    cp_queue_t *q = (cp_queue_t *)core;
    free(q->spare);
    free(q);
}

cp_queue_t *cp_queue_new(cp_free_fn free_item)
{
    cp_queue_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    cp__async_core_init(&q->core, queue_destroy);
    q->free_item = free_item;
    cp__waitlist_init(&q->getters, &q->core);
    return q;
}

void cp_queue_free(cp_queue_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->core.mu);
    item_t *items = q->head;
    q->head = q->tail = NULL;
    q->size = 0;
    cp__waiter_t *w, *waiters = NULL;
    while ((w = cp__waitlist_pop(&q->getters)) != NULL) {
        w->next = waiters;
        waiters = w;
    }
    pthread_mutex_unlock(&q->core.mu);
    while (items) {
        item_t *next = items->next;
        if (q->free_item)
            q->free_item(items->value);
        free(items);
        items = next;
    }
    while (waiters) {
        w = waiters;
        waiters = w->next;
        cp__waiter_release(w); /* abandons the pending get */
    }
    cp__async_core_unref(&q->core);
}

int cp_queue_put(cp_queue_t *q, void *item)
{
    if (!q)
        return CP_EINVAL;
again:
    pthread_mutex_lock(&q->core.mu);
    cp__waiter_t *w = cp__waitlist_pop(&q->getters);
    if (!w) {
        item_t *n = q->spare;
        q->spare = NULL;
        if (!n && !(n = malloc(sizeof *n))) {
            pthread_mutex_unlock(&q->core.mu);
            return CP_ENOMEM;
        }
        n->value = item;
        n->next = NULL;
        if (q->tail)
            q->tail->next = n;
        else
            q->head = n;
        q->tail = n;
        q->size++;
    }
    pthread_mutex_unlock(&q->core.mu);
    if (w && cp__waiter_discarded(w)) {
        cp__waiter_release(w);
        goto again;
    }
    if (w) {
        /* Completed outside the lock: its callbacks may use the queue. */
        cp_promise_set(w->promise, item);
        cp__waiter_release(w);
    }
    return 0;
}

cp_future_t *cp_queue_get(cp_queue_t *q)
{
    if (!q)
        return NULL;
    pthread_mutex_lock(&q->core.mu);
    item_t *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        q->size--;
        void *value = n->value;
        if (!q->spare) {
            q->spare = n;
            n = NULL;
        }
        pthread_mutex_unlock(&q->core.mu);
        free(n);
        cp_future_t *f = cp_future_ready(value, q->free_item);
        return f;
    }
    cp_future_t *f = NULL;
    cp__waiter_t *w = cp__waiter_push(&q->getters, q->free_item, &f);
    pthread_mutex_unlock(&q->core.mu);
    if (w)
        cp__waiter_arm(w, f);
    return f;
}

size_t cp_queue_size(cp_queue_t *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->core.mu);
    size_t n = q->size;
    pthread_mutex_unlock(&q->core.mu);
    return n;
}

size_t cp_queue_waiting(cp_queue_t *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->core.mu);
    size_t n = q->getters.len;
    pthread_mutex_unlock(&q->core.mu);
    return n;
}
