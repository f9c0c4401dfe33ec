/* Event blocks: per-thread free lists balanced through a shared pool, and
 * dropping. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"

#define HEADER_SIZE ((sizeof(cp__event_t) + 15u) & ~(size_t)15u)
#define CLASS1 128u
#define CLASS2 512u
#define CACHE_MAX 1024u
#define BATCH 256u

/* Each thread keeps freed blocks for reuse. A thread that frees more than
 * it allocates (a worker draining dispatches from outside) hands batches
 * to the shared pool; a thread that allocates more (the dispatcher) takes
 * them back, so steady traffic needs no malloc and no cross-thread free. */
static _Thread_local cp__event_t *cache[3];
static _Thread_local unsigned cache_len[3];
static _Thread_local bool cache_registered;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static void cache_at_thread_exit(void *unused)
{
    cp__event_cache_flush();
}

static void key_init(void)
{
    pthread_key_create(&cache_key, cache_at_thread_exit);
}

/* Makes sure a thread's cached blocks are freed when it exits. */
static void cache_register(void)
{
    pthread_once(&key_once, key_init);
    pthread_setspecific(cache_key, &cache_registered);
    cache_registered = true;
}

size_t cp__event_header_size(void)
{
    return HEADER_SIZE;
}

static void pool_take(uint8_t cls)
{
    if (!atomic_load_explicit(&cp__rt.running, memory_order_relaxed))
        return;
    if (!cache_registered)
        cache_register();
    pthread_mutex_lock(&cp__rt.ev_mu);
    cp__event_t *head = cp__rt.ev_pool[cls];
    cp__event_t *last = head;
    unsigned n = head ? 1 : 0;
    while (last && n < BATCH) {
        cp__event_t *next = atomic_load_explicit(&last->next, memory_order_relaxed);
        if (next == NULL)
            break;
        last = next;
        n++;
    }
    if (last) {
        cp__rt.ev_pool[cls] = atomic_load_explicit(&last->next, memory_order_relaxed);
        atomic_store_explicit(&last->next, cache[cls], memory_order_relaxed);
        cache[cls] = head;
        cache_len[cls] += n;
    }
    pthread_mutex_unlock(&cp__rt.ev_mu);
}

static void pool_give(uint8_t cls)
{
    cp__event_t *head = cache[cls];
    cp__event_t *last = head;
    for (unsigned i = 1; i < BATCH; i++)
        last = atomic_load_explicit(&last->next, memory_order_relaxed);
    cache[cls] = atomic_load_explicit(&last->next, memory_order_relaxed);
    cache_len[cls] -= BATCH;
    pthread_mutex_lock(&cp__rt.ev_mu);
    atomic_store_explicit(&last->next, cp__rt.ev_pool[cls], memory_order_relaxed);
    cp__rt.ev_pool[cls] = head;
    pthread_mutex_unlock(&cp__rt.ev_mu);
}

cp__event_t *cp__event_alloc(size_t payload)
{
    if (payload > SIZE_MAX / 2)
        return NULL; /* reported as CP_ENOMEM, never wrapped */
    size_t total = HEADER_SIZE + payload;
    uint8_t cls = total <= CLASS1 ? 1 : total <= CLASS2 ? 2 : 0;
    cp__event_t *ev;
    if (cls && cache[cls] == NULL)
        pool_take(cls);
    if (cls && cache[cls]) {
        ev = cache[cls];
        cache[cls] = atomic_load_explicit(&ev->next, memory_order_relaxed);
        cache_len[cls]--;
    } else {
        ev = malloc(cls == 1 ? CLASS1 : cls == 2 ? CLASS2 : total);
        if (ev == NULL)
            return NULL;
    }
    atomic_store_explicit(&ev->next, NULL, memory_order_relaxed);
    ev->size_class = cls;
    return ev;
}

void cp__event_free(cp__event_t *ev)
{
    uint8_t cls = ev->size_class;
    if (cls == 0) {
        free(ev);
        return;
    }
    if (!cache_registered)
        cache_register();
    atomic_store_explicit(&ev->next, cache[cls], memory_order_relaxed);
    cache[cls] = ev;
    cache_len[cls]++;
    if (cache_len[cls] >= CACHE_MAX) {
        if (atomic_load_explicit(&cp__rt.running, memory_order_relaxed))
            pool_give(cls);
        else
            cp__event_cache_flush();
    }
}

void cp__event_cache_flush(void)
{
    for (int c = 1; c < 3; c++) {
        while (cache[c]) {
            cp__event_t *n = atomic_load_explicit(&cache[c]->next, memory_order_relaxed);
            free(cache[c]);
            cache[c] = n;
        }
        cache_len[c] = 0;
    }
}

void cp__event_pool_free(void)
{
    pthread_mutex_lock(&cp__rt.ev_mu);
    for (int c = 1; c < 3; c++) {
        while (cp__rt.ev_pool[c]) {
            cp__event_t *n = atomic_load_explicit(&cp__rt.ev_pool[c]->next, memory_order_relaxed);
            free(cp__rt.ev_pool[c]);
            cp__rt.ev_pool[c] = n;
        }
    }
    pthread_mutex_unlock(&cp__rt.ev_mu);
}

void cp__event_drop(cp__event_t *ev)
{
    switch (ev->kind) {
    case CP__EV_DISPATCH:
    case CP__EV_DISPATCH_FUTURE:
        if (ev->u.d.args_free)
            ev->u.d.args_free(ev->u.d.size ? CP__EVENT_PAYLOAD(ev) : NULL);
        if (ev->u.d.promise)
            cp_promise_free(ev->u.d.promise); /* abandons the future */
        break;
    case CP__EV_MESSAGE:
        /* A call request dropped unrun still gets its answer. */
        if (ev->u.m.call != NULL && ev->u.m.call->kind == CP__CALL_REQUEST)
            cp__rpc_refuse(ev->u.m.call, ev->u.m.from, ev->u.m.call->to_id,
                           ev->u.m.call->to_id_len, true);
        if (ev->u.m.body_owned)
            free(ev->u.m.body);
        break;
    default:
        break;
    }
    cp__event_free(ev);
}
