/* Event blocks: allocation with per-worker free lists, and dropping. */
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"

#define HEADER_SIZE ((sizeof(cp__event_t) + 15u) & ~(size_t)15u)
#define CLASS1 128u
#define CLASS2 512u
#define CACHE_MAX 4096u

/* Workers keep freed blocks for reuse: most events are freed on a worker,
 * and worker-to-worker traffic (ping-pong) then needs no malloc at all.
 * Other threads use malloc directly so nothing is cached on a thread the
 * runtime cannot flush. */
static _Thread_local cp__event_t *cache[3];
static _Thread_local unsigned cache_len[3];

size_t cp__event_header_size(void)
{
    return HEADER_SIZE;
}

cp__event_t *cp__event_alloc(size_t payload)
{
    size_t total = HEADER_SIZE + payload;
    uint8_t cls = total <= CLASS1 ? 1 : total <= CLASS2 ? 2 : 0;
    cp__event_t *ev = NULL;
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
    if (cls && cp__is_worker && cache_len[cls] < CACHE_MAX) {
        atomic_store_explicit(&ev->next, cache[cls], memory_order_relaxed);
        cache[cls] = ev;
        cache_len[cls]++;
        return;
    }
    free(ev);
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
        if (ev->u.m.body_owned)
            free(ev->u.m.body);
        break;
    default:
        break;
    }
    cp__event_free(ev);
}
