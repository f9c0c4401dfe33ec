/* FIFO lists of waiting promises; see waitlist.h. */
#include <stdlib.h>

#include "async/waitlist.h"
#include "future/future_internal.h"

void cp__async_core_init(cp__async_core_t *core, void (*destroy)(cp__async_core_t *))
{
    pthread_mutex_init(&core->mu, NULL);
    atomic_init(&core->refs, 1);
    core->destroy = destroy;
}

void cp__async_core_ref(cp__async_core_t *core)
{
    atomic_fetch_add(&core->refs, 1);
}

void cp__async_core_unref(cp__async_core_t *core)
{
    if (atomic_fetch_sub(&core->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&core->mu);
    core->destroy(core);
}

void cp__waitlist_init(cp__waitlist_t *wl, cp__async_core_t *core)
{
    wl->head = wl->tail = NULL;
    wl->len = 0;
    wl->core = core;
}

cp__waiter_t *cp__waiter_push(cp__waitlist_t *wl, cp_free_fn free_value, cp_future_t **out)
{
    cp__waiter_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->promise = cp_promise_new(free_value);
    if (!w->promise) {
        free(w);
        return NULL;
    }
    *out = cp_promise_future(w->promise);
    atomic_init(&w->refs, 2); /* the list and the discard hook */
    w->core = wl->core;
    cp__async_core_ref(wl->core);
    w->list = wl;
    w->prev = wl->tail;
    if (wl->tail)
        wl->tail->next = w;
    else
        wl->head = w;
    wl->tail = w;
    wl->len++;
    return w;
}

static void unlink_waiter(cp__waiter_t *w)
{
    cp__waitlist_t *wl = w->list;
    if (w->prev)
        w->prev->next = w->next;
    else
        wl->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        wl->tail = w->prev;
    w->prev = w->next = NULL;
    w->list = NULL;
    wl->len--;
}

cp__waiter_t *cp__waitlist_pop(cp__waitlist_t *wl)
{
    cp__waiter_t *w = wl->head;
    if (w)
        unlink_waiter(w);
    return w;
}

static void on_discard(cp_future_t *f, void *arg)
{
    cp__waiter_t *w = arg;
    pthread_mutex_lock(&w->core->mu);
    bool mine = w->list != NULL;
    if (mine)
        unlink_waiter(w);
    pthread_mutex_unlock(&w->core->mu);
    if (mine) {
        cp_promise_discard(w->promise);
        cp__waiter_release(w); /* the list's reference */
    }
}

static void hook_free(void *arg)
{
    cp__waiter_unref(arg);
}

void cp__waiter_arm(cp__waiter_t *w, cp_future_t *f)
{
    /* On failure hook_free has already dropped the hook's reference; the
     * waiter then simply cannot be discarded early. */
    cp_future_on_discard(f, on_discard, w, hook_free);
}

void cp__waiter_unref(cp__waiter_t *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    cp__async_core_t *core = w->core;
    free(w);
    cp__async_core_unref(core);
}

void cp__waiter_release(cp__waiter_t *w)
{
    /* Freed now, not with the last reference: the discard hook's reference
     * lives in the future's state, which the promise keeps alive. */
    cp_promise_free(w->promise);
    w->promise = NULL;
    cp__waiter_unref(w);
}

bool cp__waiter_discarded(cp__waiter_t *w)
{
    cp_future_t *f = cp__promise_state(w->promise);
    if (cp__future_unobserved(f))
        return true; /* released (abandoned) unseen */
    bool d = cp_future_has_discard(f);
    if (d)
        cp_promise_discard(w->promise);
    return d;
}

bool cp__waiter_discard_requested(cp__waiter_t *w)
{
    cp_future_t *f = cp__promise_state(w->promise);
    return cp_future_has_discard(f) || cp__future_unobserved(f);
}
