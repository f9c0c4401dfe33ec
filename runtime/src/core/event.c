/* Event blocks: per-thread magazines of free blocks, a shared depot of
 * magazines, and dropping.
 *
 * Event blocks come in two size classes (128 and 512 bytes; larger events
 * are plain malloc); a third class holds zeroed 512-byte blocks for the
 * mailbox segments (cp__zblock_alloc). Free blocks are kept the way
 * Bonwick's slab allocator keeps them: each thread holds two magazines
 * (arrays of MAG pointers) per class, and full or empty magazines trade
 * through a depot under ev_mu.
 * A free block is never written while it sits in a magazine, so a block
 * that a worker frees stays shared in the caches instead of being pulled
 * over to the worker, and the allocating thread prefetches the blocks it
 * will hand out next. Moving a magazine is O(1), so a thread that only
 * allocates (the main thread dispatching) and threads that only free (the
 * workers running those dispatches) trade blocks in bulk, and steady
 * traffic needs no malloc. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"

#define HEADER_SIZE ((sizeof(cp__event_t) + 15u) & ~(size_t)15u)
#define CLASS1      128u
#define CLASS2      512u
/* Class 3: 512-byte blocks kept zeroed (mailbox segments), apart from
 * the events' class 2 so that no event's bytes are left in them. */
#define CLASS_ZERO 3u
#define NCLASS     4
#define MAG        126u
#define PREFETCH   4u

typedef struct mag {
    struct mag *next; /* in the depot */
    unsigned n;
    void *blk[MAG];
} mag_t;

typedef struct cache {
    mag_t *loaded[NCLASS];
    mag_t *prev[NCLASS];
    bool registered;
} cache_t;

/* initial-exec: a plain %fs access instead of a __tls_get_addr call. */
static _Thread_local cache_t tc __attribute__((tls_model("initial-exec")));

/* The depot (under cp__rt.ev_mu): full magazines per class, and empty
 * ones. `nfull` is read without the lock to skip it when empty. */
static mag_t *depot_full[NCLASS];
static mag_t *depot_empty;
static _Atomic unsigned nfull[NCLASS];

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
    pthread_setspecific(cache_key, &tc);
    tc.registered = true;
}

size_t cp__event_header_size(void)
{
    return HEADER_SIZE;
}

/* Event blocks (classes 1 and 2) start on a 128-byte boundary inside
 * their malloc chunk, `pad` bytes in (kept in the header): then no cache
 * line, nor any pair of lines that the adjacent-line prefetcher fetches
 * together, holds parts of two blocks. With malloc's 16-byte alignment a
 * block shared its first and last lines with its neighbours, which are
 * often in use on another core (blocks move between threads through the
 * depot): dispatch_throughput went from 23.9-24.1 M to 27.3-28.4 M
 * (docs/benchmarks.md). The padding is done by hand, not with
 * aligned_alloc, whose leftover fragments slowed the remote path's other
 * allocations by 4-8 %. */
static cp__event_t *block_new(size_t size)
{
    char *raw = malloc(size + 127);
    if (raw == NULL)
        return NULL;
    size_t pad = (size_t)(-(uintptr_t)raw & 127u);
    cp__event_t *ev = (cp__event_t *)(raw + pad);
    ev->pad = (uint8_t)pad;
    return ev;
}

static void block_free(void *blk, unsigned cls)
{
    if (cls == CLASS_ZERO)
        free(blk);
    else
        free((char *)blk - ((cp__event_t *)blk)->pad);
}

static void mag_free(mag_t *m, unsigned cls)
{
    if (m == NULL)
        return;
    for (unsigned i = 0; i < m->n; i++)
        block_free(m->blk[i], cls);
    free(m);
}

static bool running(void)
{
    return atomic_load_explicit(&cp__rt.running, memory_order_relaxed);
}

/* Trades the thread's empty `prev` for a full magazine from the depot. */
static bool depot_take_full(uint8_t cls)
{
    if (atomic_load_explicit(&nfull[cls], memory_order_relaxed) == 0 || !running())
        return false;
    if (!tc.registered)
        cache_register();
    pthread_mutex_lock(&cp__rt.ev_mu);
    mag_t *m = depot_full[cls];
    if (m) {
        depot_full[cls] = m->next;
        atomic_fetch_sub_explicit(&nfull[cls], 1, memory_order_relaxed);
        mag_t *e = tc.prev[cls];
        if (e) {
            e->next = depot_empty;
            depot_empty = e;
        }
    }
    pthread_mutex_unlock(&cp__rt.ev_mu);
    if (m == NULL)
        return false;
    tc.prev[cls] = tc.loaded[cls];
    tc.loaded[cls] = m;
    return true;
}

/* Trades the thread's full `prev` for an empty magazine. */
static bool depot_give_full(uint8_t cls)
{
    if (!running())
        return false;
    pthread_mutex_lock(&cp__rt.ev_mu);
    mag_t *e = depot_empty;
    if (e)
        depot_empty = e->next;
    pthread_mutex_unlock(&cp__rt.ev_mu);
    if (e == NULL && (e = malloc(sizeof *e)) == NULL)
        return false;
    e->n = 0;
    mag_t *f = tc.prev[cls];
    if (f) {
        pthread_mutex_lock(&cp__rt.ev_mu);
        f->next = depot_full[cls];
        depot_full[cls] = f;
        atomic_fetch_add_explicit(&nfull[cls], 1, memory_order_relaxed);
        pthread_mutex_unlock(&cp__rt.ev_mu);
    }
    tc.prev[cls] = tc.loaded[cls];
    tc.loaded[cls] = e;
    return true;
}

/* PREFETCHW where the CPU has it (a NOP on x86-64 CPUs without it):
 * the block comes over in a state this thread can write without asking
 * the core that freed it again. gcc emits it for __builtin_prefetch(p, 1)
 * only when told the CPU has it. */
static inline void prefetch_for_write(const void *p)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" ::"m"(*(const char *)p));
#else
    __builtin_prefetch(p, 1);
#endif
}

static void *cache_alloc(uint8_t cls)
{
    mag_t *m = tc.loaded[cls];
    if (m == NULL || m->n == 0) {
        mag_t *p = tc.prev[cls];
        if (p && p->n > 0) {
            tc.prev[cls] = m;
            tc.loaded[cls] = m = p;
        } else if (depot_take_full(cls)) {
            m = tc.loaded[cls];
        } else {
            return NULL;
        }
    }
    void *blk = m->blk[--m->n];
    /* Blocks freed on another core miss the cache: fetch the ones handed
     * out next while this one is being filled. */
    if (m->n >= PREFETCH)
        prefetch_for_write(m->blk[m->n - PREFETCH]);
    return blk;
}

cp__event_t *cp__event_alloc(size_t payload)
{
    if (payload > SIZE_MAX / 2)
        return NULL; /* reported as CP_ENOMEM, never wrapped */
    size_t total = HEADER_SIZE + payload;
    uint8_t cls = total <= CLASS1 ? 1 : total <= CLASS2 ? 2 : 0;
    cp__event_t *ev = cls ? cache_alloc(cls) : NULL;
    if (ev == NULL) {
        ev = cls ? block_new(cls == 1 ? CLASS1 : CLASS2) : malloc(total);
        if (ev == NULL)
            return NULL;
    }
    ev->size_class = cls;
    ev->net = 0;
    return ev;
}

/* Keeps a free block of class cls in this thread's magazines. */
static void cache_free(void *blk, uint8_t cls)
{
    if (!tc.registered)
        cache_register();
    mag_t *m = tc.loaded[cls];
    if (m == NULL || m->n == MAG) {
        mag_t *p = tc.prev[cls];
        if (p && p->n == 0) {
            tc.prev[cls] = m;
            tc.loaded[cls] = m = p;
        } else if (m == NULL && (m = malloc(sizeof *m)) != NULL) {
            m->n = 0;
            tc.loaded[cls] = m;
        } else if (m == NULL || !depot_give_full(cls)) {
            block_free(blk, cls);
            return;
        } else {
            m = tc.loaded[cls];
        }
    }
    m->blk[m->n++] = blk;
}

void cp__event_free(cp__event_t *ev)
{
    if (ev->net)
        cp__inbound_release(ev);
    uint8_t cls = ev->size_class;
    if (cls == 0)
        free(ev);
    else
        cache_free(ev, cls);
}

void *cp__zblock_alloc(void)
{
    void *b = cache_alloc(CLASS_ZERO);
    return b ? b : calloc(1, CLASS2);
}

void cp__zblock_free(void *b)
{
    cache_free(b, CLASS_ZERO);
}

void cp__event_cache_flush(void)
{
    for (int c = 1; c < NCLASS; c++) {
        mag_free(tc.loaded[c], c);
        mag_free(tc.prev[c], c);
        tc.loaded[c] = tc.prev[c] = NULL;
    }
}

void cp__event_pool_free(void)
{
    pthread_mutex_lock(&cp__rt.ev_mu);
    for (int c = 1; c < NCLASS; c++) {
        while (depot_full[c]) {
            mag_t *m = depot_full[c];
            depot_full[c] = m->next;
            mag_free(m, c);
        }
        atomic_store_explicit(&nfull[c], 0, memory_order_relaxed);
    }
    while (depot_empty) {
        mag_t *m = depot_empty;
        depot_empty = m->next;
        free(m);
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
        if (ev->u.m.call != NULL && ev->u.m.call->kind == CP__CALL_REQUEST) {
            cp_upid_t from;
            cp__sender_upid(ev->u.m.from, &from);
            cp__rpc_refuse(ev->u.m.call, &from, ev->u.m.call->to_id, ev->u.m.call->to_id_len,
                           CP__REFUSE_TERMINATED);
        }
        if (ev->u.m.body_owned)
            free(ev->u.m.body);
        break;
    default:
        break;
    }
    cp__event_free(ev);
}
