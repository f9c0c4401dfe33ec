/* The process table: spawn, lookup by hint or id, terminate, wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/core_internal.h"
#include "core/mailbox_queue.h"
#include "core/node.h"
#include "cproc/error.h"

#define TOMBSTONE ((struct cp_process *)&cp__rt)
#define CHUNK_MASK (CP__CHUNK_SIZE - 1u)

void cp__mailbox_drain(struct cp_process *p);

static _Atomic uint32_t next_gen;

/* Process structs are carved from 128-byte-aligned slabs (under tab_mu) and
 * never freed before the table: their two cache lines stay apart, they
 * form one 128-byte pair for the adjacent-line prefetcher (never a pair
 * with a neighbour's line), and there is no allocator header per process. */
#define SLAB_PROCS 256u

static struct {
    struct cp_process *cur;
    size_t left;
    void **slabs;
    size_t n, cap;
} slab;

static struct cp_process *slab_take(void)
{
    if (slab.left == 0) {
        if (slab.n == slab.cap) {
            size_t cap = slab.cap ? slab.cap * 2 : 64;
            void **a = realloc(slab.slabs, cap * sizeof *a);
            if (a == NULL)
                return NULL;
            slab.slabs = a;
            slab.cap = cap;
        }
        struct cp_process *b = aligned_alloc(128, SLAB_PROCS * sizeof *b);
        if (b == NULL)
            return NULL;
#ifdef MADV_POPULATE_WRITE
        /* The slab's whole pages faulted in by one call, not by a trap
         * each as spawns first touch them: a spawn is cheap enough that
         * page faults were about half its time (docs/benchmarks.md).
         * Older kernels refuse the advice; the pages then fault as
         * before. */
        {
            uintptr_t lo = ((uintptr_t)b + 4095u) & ~(uintptr_t)4095u;
            uintptr_t hi = ((uintptr_t)(b + SLAB_PROCS)) & ~(uintptr_t)4095u;
            if (hi > lo)
                madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
        }
#endif
        slab.slabs[slab.n++] = b;
        slab.cur = b;
        slab.left = SLAB_PROCS;
    }
    struct cp_process *p = slab.cur++;
    slab.left--;
    memset(p, 0, sizeof *p);
    return p;
}

static void slab_free_all(void)
{
    for (size_t i = 0; i < slab.n; i++)
        free(slab.slabs[i]);
    free(slab.slabs);
    memset(&slab, 0, sizeof slab);
}

static struct cp__map_entry *map_alloc(size_t cap);
static void map_release(struct cp__map_entry *m, size_t cap);

static uint64_t hash_id(const char *id, size_t len)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 1099511628211u;
    }
    return h;
}

int cp__table_init(void)
{
    pthread_mutex_init(&cp__rt.tab_mu, NULL);
    pthread_cond_init(&cp__rt.term_cv, NULL);
    __atomic_store_n(&cp__rt.map_cap, 1024, __ATOMIC_RELAXED);
    __atomic_store_n(&cp__rt.map, map_alloc(cp__rt.map_cap), __ATOMIC_RELAXED);
    if (cp__rt.map == NULL)
        return CP_ENOMEM;
    cp__rt.map_used = cp__rt.map_live = 0;
    cp__rt.next_slot = 0;
    cp__rt.live = 0;
    atomic_store(&cp__rt.next_id, 0);
    return 0;
}

void cp__table_free(void)
{
    for (size_t i = 0; i < cp__rt.all_len; i++) {
        struct cp_process *p = cp__rt.all[i];
        /* Events queued to dead processes after their drain. */
        cp__mailbox_drain(p);
        cp__mq_fini(p);
        cp__mailbox_fini(p);
        free(p->id);
    }
    slab_free_all();
    free(cp__rt.all);
    free(cp__rt.pool);
    free(cp__rt.free_slots);
    map_release(cp__rt.map, cp__rt.map_cap);
    for (size_t c = 0; c < CP__MAX_CHUNKS; c++) {
        free((void *)atomic_load(&cp__rt.chunks[c]));
        atomic_store(&cp__rt.chunks[c], NULL);
    }
    cp__rt.all = NULL;
    cp__rt.pool = NULL;
    cp__rt.free_slots = NULL;
    __atomic_store_n(&cp__rt.map, NULL, __ATOMIC_RELAXED);
    cp__rt.all_len = cp__rt.all_cap = cp__rt.pool_len = cp__rt.pool_cap = 0;
    cp__rt.free_len = cp__rt.free_cap = 0;
    pthread_mutex_destroy(&cp__rt.tab_mu);
    pthread_cond_destroy(&cp__rt.term_cv);
}

/* ---- id map (under tab_mu) ------------------------------------------ */

/* Large maps are aligned to huge pages and asked for them: a spawn's probe
 * lands on a random entry, and with 4 KiB pages a million processes make
 * that a TLB miss as well as a cache miss. (Still malloc memory, so the
 * heap figures count it.) */
#define HUGE_PAGE ((size_t)2 << 20)

static struct cp__map_entry *map_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(struct cp__map_entry);
    if (bytes < HUGE_PAGE)
        return calloc(cap, sizeof(struct cp__map_entry));
    void *m = aligned_alloc(HUGE_PAGE, bytes);
    if (m == NULL)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(m, bytes, MADV_HUGEPAGE);
#endif
    memset(m, 0, bytes);
    return m;
}

static void map_release(struct cp__map_entry *m, size_t cap)
{
    (void)cap;
    free(m);
}

static size_t map_find_slot(const char *id, size_t len)
{
    size_t mask = cp__rt.map_cap - 1;
    uint64_t h = hash_id(id, len);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct cp__map_entry *e = &cp__rt.map[i];
        if (e->p == NULL)
            return SIZE_MAX;
        if (e->hash == h && e->p != TOMBSTONE && e->p->id_len == len &&
            memcmp(e->p->id, id, len) == 0)
            return i;
    }
}

static int map_grow(void)
{
    size_t cap = cp__rt.map_cap;
    if ((cp__rt.map_live + 1) * 4 > cap)
        cap *= 2;
    struct cp__map_entry *m = map_alloc(cap);
    if (m == NULL)
        return CP_ENOMEM;
    for (size_t i = 0; i < cp__rt.map_cap; i++) {
        struct cp__map_entry *e = &cp__rt.map[i];
        if (e->p == NULL || e->p == TOMBSTONE)
            continue;
        size_t j = e->hash & (cap - 1);
        while (m[j].p)
            j = (j + 1) & (cap - 1);
        m[j] = *e;
    }
    map_release(cp__rt.map, cp__rt.map_cap);
    __atomic_store_n(&cp__rt.map, m, __ATOMIC_RELAXED); /* map_prefetch reads them */
    __atomic_store_n(&cp__rt.map_cap, cap, __ATOMIC_RELAXED);
    cp__rt.map_used = cp__rt.map_live;
    return 0;
}

/* Kept at most half full (tombstones included) so probes stay short. */
/* Starts fetching the entry a spawn's probe reads first: with a million
 * processes it is a cache and TLB miss, which this lets overlap the
 * allocations before the lock. Read without the lock, as a hint only (a
 * stale map or capacity prefetches a useless line); the probe under the
 * lock reads them again. */
static void map_prefetch(uint64_t h)
{
    struct cp__map_entry *m = __atomic_load_n(&cp__rt.map, __ATOMIC_RELAXED);
    size_t cap = __atomic_load_n(&cp__rt.map_cap, __ATOMIC_RELAXED);
    if (m != NULL && cap != 0)
        __builtin_prefetch(&m[h & (cap - 1)]);
}

static int map_reserve(void)
{
    if ((cp__rt.map_used + 1) * 2 > cp__rt.map_cap)
        return map_grow();
    return 0;
}

/* One probe for spawn: the index holding `id` (SIZE_MAX when absent) and,
 * through insert_at, where to put it (the first tombstone on the way, or
 * the empty entry that ends the probe). */
static size_t map_probe(const char *id, size_t len, uint64_t h, size_t *insert_at)
{
    size_t mask = cp__rt.map_cap - 1;
    size_t ins = SIZE_MAX;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct cp__map_entry *e = &cp__rt.map[i];
        if (e->p == NULL) {
            *insert_at = ins == SIZE_MAX ? i : ins;
            return SIZE_MAX;
        }
        if (e->p == TOMBSTONE) {
            if (ins == SIZE_MAX)
                ins = i;
        } else if (e->hash == h && e->p->id_len == len && memcmp(e->p->id, id, len) == 0) {
            return i;
        }
    }
}

static void map_put(size_t i, uint64_t h, struct cp_process *p)
{
    if (cp__rt.map[i].p == NULL)
        cp__rt.map_used++;
    cp__rt.map[i].p = p;
    cp__rt.map[i].hash = h;
    cp__rt.map_live++;
}

static void map_remove(struct cp_process *p)
{
    size_t i = map_find_slot(p->id, p->id_len);
    if (i != SIZE_MAX && cp__rt.map[i].p == p) {
        cp__rt.map[i].p = TOMBSTONE;
        cp__rt.map_live--;
    }
}

/* ---- references ------------------------------------------------------ */

static bool ref_if_live(struct cp_process *p)
{
    /* First guess the usual count (the process's own reference alone): a
     * compare-and-swap that succeeds takes the line once, where a load
     * first would fetch it shared and then ask again to write it. */
    uint32_t r = 1;
    while (r != 0) {
        if (atomic_compare_exchange_weak_explicit(&p->refs, &r, r + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    }
    return false;
}

void cp__process_unref(struct cp_process *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Nobody can push any more: drop what late senders queued. */
    cp__mailbox_drain(p);
    cp__mq_fini(p);
    pthread_mutex_lock(&cp__rt.tab_mu);
    free(p->id);
    p->id = NULL;
    p->id_len = 0;
    if (cp__rt.free_slots)
        cp__rt.free_slots[cp__rt.free_len++] = p->slot;
    if (cp__rt.pool)
        cp__rt.pool[cp__rt.pool_len++] = p;
    pthread_mutex_unlock(&cp__rt.tab_mu);
}

static struct cp_process **slot_ref(uint32_t slot)
{
    struct cp_process *_Atomic *chunk =
        atomic_load_explicit(&cp__rt.chunks[slot >> CP__CHUNK_BITS], memory_order_acquire);
    return chunk ? (struct cp_process **)&chunk[slot & CHUNK_MASK] : NULL;
}

bool cp__upid_is_local(const cp_upid_t *pid)
{
    return (pid->ip == cp__rt.ip && pid->port == cp__rt.port) || (pid->ip == 0 && pid->port == 0);
}

struct cp_process *cp__process_lookup_id(const char *id, size_t len)
{
    struct cp_process *p = NULL;
    pthread_mutex_lock(&cp__rt.tab_mu);
    if (cp__rt.map) {
        size_t i = map_find_slot(id, len);
        if (i != SIZE_MAX) {
            p = cp__rt.map[i].p;
            if (!ref_if_live(p))
                p = NULL;
        }
    }
    pthread_mutex_unlock(&cp__rt.tab_mu);
    return p;
}

struct cp_process *cp__process_lookup(const cp_upid_t *pid)
{
    if (!atomic_load_explicit(&cp__rt.running, memory_order_acquire) || !cp__upid_is_local(pid))
        return NULL;
    if (pid->hint) {
        uint32_t slot = (uint32_t)pid->hint - 1u;
        uint32_t gen = (uint32_t)(pid->hint >> 32);
        struct cp_process **sp = slot < CP__CHUNK_SIZE * CP__MAX_CHUNKS ? slot_ref(slot) : NULL;
        struct cp_process *p =
            sp ? atomic_load_explicit((struct cp_process *_Atomic *)sp, memory_order_acquire) : NULL;
        if (p && ref_if_live(p)) {
            if (atomic_load_explicit(&p->gen, memory_order_acquire) == gen && p->id &&
                strcmp(p->id, pid->id) == 0)
                return p;
            cp__process_unref(p);
        }
    }
    return cp__process_lookup_id(pid->id, strlen(pid->id));
}

void cp__process_fill_upid(const struct cp_process *p, cp_upid_t *out)
{
    memcpy(out->id, p->id, p->id_len + 1);
    out->ip = cp__rt.ip;
    out->port = cp__rt.port;
    out->hint = ((uint64_t)atomic_load(&p->gen) << 32) | (uint64_t)(p->slot + 1u);
}

/* ---- spawn -------------------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 1024;
    while (n < need)
        n *= 2;
    void *a = realloc(*arr, n * elem);
    if (a == NULL)
        return CP_ENOMEM;
    *arr = a;
    *cap = n;
    return 0;
}

static int take_slot(uint32_t *out)
{
    if (cp__rt.free_len > 0) {
        *out = cp__rt.free_slots[--cp__rt.free_len];
        return 0;
    }
    uint32_t s = cp__rt.next_slot;
    if (s >= CP__CHUNK_SIZE * CP__MAX_CHUNKS)
        return CP_ENOMEM;
    size_t c = s >> CP__CHUNK_BITS;
    if (atomic_load(&cp__rt.chunks[c]) == NULL) {
        struct cp_process *_Atomic *chunk = calloc(CP__CHUNK_SIZE, sizeof *chunk);
        if (chunk == NULL)
            return CP_ENOMEM;
        atomic_store_explicit(&cp__rt.chunks[c], chunk, memory_order_release);
    }
    cp__rt.next_slot++;
    *out = s;
    return 0;
}

static int check_id(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || strpbrk(id, "@/") != NULL)
        return CP_EINVAL;
    if (len > CP_UPID_ID_MAX)
        return CP_ETOOBIG;
    return 0;
}

int cp_process_id_generate(const char *prefix, char *buf, size_t size)
{
    if (prefix == NULL || buf == NULL)
        return CP_EINVAL;
    uint64_t n = atomic_fetch_add(&cp__rt.next_id, 1) + 1;
    /* "prefix(n)" without snprintf: spawning without an id makes one each. */
    char digits[20];
    size_t nd = 0;
    do
        digits[nd++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    size_t plen = strlen(prefix);
    size_t w = plen + nd + 2;
    if (w > INT32_MAX)
        return CP_EINVAL;
    if (w >= size)
        return CP_ETOOBIG;
    memcpy(buf, prefix, plen);
    buf[plen] = '(';
    for (size_t i = 0; i < nd; i++)
        buf[plen + 1 + i] = digits[nd - 1 - i];
    buf[w - 1] = ')';
    buf[w] = '\0';
    return (int)w;
}

static int spawn(const char *id, const cp_process_ops_t *ops, void *data, void *ctx,
                 cp_free_fn ctx_free, cp_upid_t *pid);

int cp_process_spawn(const char *id, const cp_process_ops_t *ops, void *data, cp_upid_t *pid)
{
    return spawn(id, ops, data, NULL, NULL, pid);
}

int cp_process_spawn_ctx(const char *id, const cp_process_ops_t *ops, void *data, void *ctx,
                         cp_free_fn ctx_free, cp_upid_t *pid)
{
    return spawn(id, ops, data, ctx, ctx_free, pid);
}

static int spawn(const char *id, const cp_process_ops_t *ops, void *data, void *ctx,
                 cp_free_fn ctx_free, cp_upid_t *pid)
{
    char gen_id[64];
    if (!atomic_load(&cp__rt.running) || atomic_load(&cp__rt.stopping))
        return CP_ESTATE;
    if (id == NULL) {
        cp_process_id_generate("__process__", gen_id, sizeof gen_id);
        id = gen_id;
    }
    int rc = check_id(id);
    if (rc != 0)
        return rc;
    size_t len = strlen(id);
    uint64_t hash = hash_id(id, len);
    map_prefetch(hash);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return CP_ENOMEM;
    memcpy(copy, id, len + 1);
    /* The extension only for processes that use it: most do not. */
    struct cp__process_ext *ext = NULL;
    if (ctx != NULL || ctx_free != NULL) {
        ext = calloc(1, sizeof *ext);
        if (ext == NULL) {
            free(copy);
            return CP_ENOMEM;
        }
        ext->ctx = ctx;
        ext->ctx_free = ctx_free;
    }

    pthread_mutex_lock(&cp__rt.tab_mu);
    struct cp_process *p = NULL;
    uint32_t slot = 0;
    size_t at = 0;
    if ((rc = map_reserve()) != 0)
        goto fail;
    if (map_probe(id, len, hash, &at) != SIZE_MAX) {
        rc = CP_EEXIST;
        goto fail;
    }
    if ((rc = grow((void **)&cp__rt.free_slots, &cp__rt.free_cap, cp__rt.all_len + 1,
                   sizeof *cp__rt.free_slots)) != 0 ||
        (rc = grow((void **)&cp__rt.pool, &cp__rt.pool_cap, cp__rt.all_len + 1,
                   sizeof *cp__rt.pool)) != 0 ||
        (rc = grow((void **)&cp__rt.all, &cp__rt.all_cap, cp__rt.all_len + 1,
                   sizeof *cp__rt.all)) != 0)
        goto fail;
    if ((rc = take_slot(&slot)) != 0)
        goto fail;
    if (cp__rt.pool_len > 0) {
        p = cp__rt.pool[--cp__rt.pool_len];
    } else {
        p = slab_take();
        if (p == NULL) {
            cp__rt.free_slots[cp__rt.free_len++] = slot;
            rc = CP_ENOMEM;
            goto fail;
        }
        cp__rt.all[cp__rt.all_len++] = p;
        atomic_flag_clear(&p->links_lock);
    }
    p->id = copy;
    p->id_len = (uint32_t)len;
    map_put(at, hash, p);
    p->slot = slot;
    p->ops = ops;
    p->data = data;
    p->ext = ext;
    /* Empty, without a segment (a pooled struct was emptied by
     * cp__mq_fini at its last reference). */
    atomic_store(&p->qtail, 0);
    atomic_store(&p->qhead, NULL);
    atomic_store(&p->qidx, 0);
    atomic_store(&p->sched, 0);
    atomic_store(&p->inject, false);
    atomic_store(&p->pstate, CP_PROCESS_BOTTOM);
    p->initialized = false;
    p->dead = false;
    p->links_closed = false;
    p->linkers = NULL;
    p->handlers = NULL;
    p->unhandled = 0;
    p->loop_turns = 0;
    p->linger = 0;
    atomic_store_explicit(&p->events, 0, memory_order_relaxed);
    cp__mailbox_init(p);
    uint32_t g;
    do
        g = atomic_fetch_add(&next_gen, 1) + 1;
    while (g == 0);
    atomic_store(&p->gen, g);
    atomic_store_explicit(&p->refs, 1, memory_order_release);
    atomic_store_explicit((struct cp_process *_Atomic *)slot_ref(slot), p, memory_order_release);
    cp__rt.live++;
    if (pid)
        cp__process_fill_upid(p, pid);
    /* Without an initialize hook there is nothing to run yet: the process
     * starts idle, which keeps spawning many idle processes cheap. */
    bool has_init = ops && ops->initialize;
    if (!has_init) {
        p->initialized = true;
        atomic_store(&p->pstate, CP_PROCESS_BLOCKED);
    }
    pthread_mutex_unlock(&cp__rt.tab_mu);
    if (has_init)
        cp__schedule(p); /* runs initialize */
    return 0;

fail:
    pthread_mutex_unlock(&cp__rt.tab_mu);
    free(copy);
    free(ext);
    return rc;
}

void cp__process_retire(struct cp_process *p)
{
    pthread_mutex_lock(&cp__rt.tab_mu);
    map_remove(p);
    atomic_store_explicit((struct cp_process *_Atomic *)slot_ref(p->slot), NULL,
                          memory_order_release);
    cp__rt.live--;
    pthread_cond_broadcast(&cp__rt.term_cv);
    pthread_mutex_unlock(&cp__rt.tab_mu);
}

/* ---- terminate / wait ------------------------------------------------- */

int cp_process_terminate(const cp_upid_t *pid, bool inject)
{
    if (pid == NULL)
        return CP_EINVAL;
    struct cp_process *p = cp__process_lookup(pid);
    if (p == NULL)
        return CP_ENOENT;
    if (inject)
        atomic_store_explicit(&p->inject, true, memory_order_release);
    cp__event_t *ev = cp__event_alloc(0);
    int rc = 0;
    if (ev) {
        ev->kind = CP__EV_TERMINATE;
        cp__enqueue(p, ev);
    } else if (inject) {
        cp__schedule(p);
    } else {
        rc = CP_ENOMEM;
    }
    cp__process_unref(p);
    return rc;
}

bool cp_process_exists(const cp_upid_t *pid)
{
    /* In the table means not yet retired; `dead` is the worker's own
     * field and is not read here (a data race from another thread). */
    struct cp_process *p = pid ? cp__process_lookup(pid) : NULL;
    if (p == NULL)
        return false;
    cp__process_unref(p);
    return true;
}

int cp_process_wait(const cp_upid_t *pid, uint64_t timeout_ns)
{
    if (pid == NULL)
        return CP_EINVAL;
    struct cp_process *me = cp__current;
    if (me && me->id && strcmp(me->id, pid->id) == 0 && cp__upid_is_local(pid))
        return CP_EDEADLK;
    if (cp__in_loop_turn())
        return CP_EDEADLK; /* the process may be waiting for this very loop */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    bool forever = timeout_ns == CP_WAIT_FOREVER;
    if (!forever) {
        uint64_t ns = (uint64_t)deadline.tv_nsec + timeout_ns % 1000000000u;
        deadline.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
    }
    int rc = 0;
    if (!atomic_load(&cp__rt.running))
        return 0;
    pthread_mutex_lock(&cp__rt.tab_mu);
    for (;;) {
        size_t i = cp__rt.map ? map_find_slot(pid->id, strlen(pid->id)) : SIZE_MAX;
        if (i == SIZE_MAX || !cp__upid_is_local(pid))
            break;
        if (pid->hint && atomic_load(&cp__rt.map[i].p->gen) != (uint32_t)(pid->hint >> 32))
            break; /* same id, a later process */
        if (forever) {
            pthread_cond_wait(&cp__rt.term_cv, &cp__rt.tab_mu);
        } else if (pthread_cond_timedwait(&cp__rt.term_cv, &cp__rt.tab_mu, &deadline) ==
                   ETIMEDOUT) {
            rc = CP_ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&cp__rt.tab_mu);
    return rc;
}

void cp__process_terminate_all_ahead(void)
{
    pthread_mutex_lock(&cp__rt.tab_mu);
    size_t n = 0;
    cp_upid_t *pids = cp__rt.live > 0 ? malloc(cp__rt.live * sizeof *pids) : NULL;
    for (uint32_t s = 0; pids && s < cp__rt.next_slot && n < cp__rt.live; s++) {
        struct cp_process *p = atomic_load((struct cp_process *_Atomic *)slot_ref(s));
        if (p)
            cp__process_fill_upid(p, &pids[n++]);
    }
    pthread_mutex_unlock(&cp__rt.tab_mu);
    /* Without memory the wait in cp__process_terminate_all does it. */
    for (size_t i = 0; i < n; i++)
        cp_process_terminate(&pids[i], true);
    free(pids);
}

void cp__process_terminate_all(void)
{
    for (;;) {
        pthread_mutex_lock(&cp__rt.tab_mu);
        size_t n = 0;
        cp_upid_t *pids = NULL;
        if (cp__rt.live > 0)
            pids = malloc(cp__rt.live * sizeof *pids);
        for (uint32_t s = 0; pids && s < cp__rt.next_slot && n < cp__rt.live; s++) {
            struct cp_process *p = atomic_load((struct cp_process *_Atomic *)slot_ref(s));
            if (p)
                cp__process_fill_upid(p, &pids[n++]);
        }
        size_t live = cp__rt.live;
        pthread_mutex_unlock(&cp__rt.tab_mu);
        if (live == 0) {
            free(pids);
            return;
        }
        for (size_t i = 0; i < n; i++)
            cp_process_terminate(&pids[i], true);
        for (size_t i = 0; i < n; i++)
            cp_process_wait(&pids[i], CP_WAIT_FOREVER);
        free(pids);
    }
}

/* ---- inside a process --------------------------------------------------- */

cp_upid_t cp_process_pid(const cp_process_t *self)
{
    cp_upid_t u;
    cp__process_fill_upid(self, &u);
    return u;
}

const char *cp_process_id(const cp_process_t *self)
{
    return self->id;
}

void *cp_process_data(const cp_process_t *self)
{
    return self->data;
}

void *cp_process_ctx(const cp_process_t *self)
{
    return self->ext != NULL ? self->ext->ctx : NULL;
}

cp_process_state_t cp_process_state(const cp_process_t *self)
{
    return (cp_process_state_t)atomic_load(&self->pstate);
}

cp_process_t *cp_process_current(void)
{
    return cp__current;
}

void cp_process_set_loop_turns(cp_process_t *self, bool on)
{
    self->loop_turns = on ? 1 : 0;
}

bool cp_process_loop_turns(const cp_process_t *self)
{
    return self->loop_turns != 0;
}

uint64_t cp_process_unhandled_count(const cp_process_t *self)
{
    return self->unhandled;
}

void cp__processes_each(void (*fn)(void *arg, const char *id, size_t id_len, int state,
                                   bool queued, uint64_t events),
                        void *arg)
{
    pthread_mutex_lock(&cp__rt.tab_mu);
    for (size_t i = 0; cp__rt.map && i < cp__rt.map_cap; i++) {
        struct cp_process *p = cp__rt.map[i].p;
        if (p && p != TOMBSTONE)
            fn(arg, p->id, p->id_len, (int)atomic_load(&p->pstate), cp__mailbox_nonempty(p),
               atomic_load_explicit(&p->events, memory_order_relaxed));
    }
    pthread_mutex_unlock(&cp__rt.tab_mu);
}
