/* Futures and promises: the shared state, its callbacks and its states. */
#include "future/future_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"

static cp_future_t *state_new(cp_free_fn free_value, int refs)
{
    cp_future_t *f = malloc(sizeof(*f));
    if (f == NULL)
        return NULL;
    atomic_init(&f->refs, refs);
    atomic_init(&f->state, CP_FUTURE_PENDING);
    atomic_init(&f->abandoned, false);
    atomic_init(&f->discard_requested, false);
    f->associated = false;
    f->promise_gone = false;
    f->value_is_source = false;
    pthread_mutex_init(&f->lock, NULL);
    f->value = NULL;
    f->free_value = free_value;
    f->failure = NULL;
    f->callbacks = f->inline_callbacks;
    f->ncallbacks = 0;
    f->capacity = CP_FUTURE_INLINE_CALLBACKS;
    return f;
}

static void callback_drop(cp_callback_t *cb)
{
    if (cb->arg_free != NULL)
        cb->arg_free(cb->arg);
}

static void state_free(cp_future_t *f)
{
    for (unsigned i = 0; i < f->ncallbacks; i++)
        callback_drop(&f->callbacks[i]);
    if (f->callbacks != f->inline_callbacks)
        free(f->callbacks);
    if (f->value_is_source)
        cp_future_unref(f->value);
    else if (f->value != NULL && f->free_value != NULL)
        f->free_value(f->value);
    free(f->failure);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

cp_future_t *cp_future_ref(cp_future_t *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

void cp_future_unref(cp_future_t *f)
{
    if (f == NULL)
        return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
        state_free(f);
}

void cp__future_unref_void(void *f)
{
    cp_future_unref(f);
}

/* ---- callback lists ------------------------------------------------- */

/* Moves the entries that wait for `event` out of f's list (f locked) into
 * *out (caller frees with take_free); entries that can never run any more
 * once the future is complete go too, flagged to be dropped. */
typedef struct taken {
    cp_callback_t *items;
    unsigned n;
    cp_callback_t small[4];
} taken_t;

static void take(cp_future_t *f, unsigned event, bool completing, taken_t *out)
{
    out->items = out->small;
    out->n = 0;
    unsigned keep = 0, ntaken = 0;
    for (unsigned i = 0; i < f->ncallbacks; i++)
        if (completing || (f->callbacks[i].events & event))
            ntaken++;
    if (ntaken > 4) {
        out->items = malloc(ntaken * sizeof(cp_callback_t));
        if (out->items == NULL) {
            /* Out of memory: run the callbacks in place while still
             * consistent is not possible without the lock; keep them queued
             * (they are dropped when the future is freed). */
            out->items = out->small;
            return;
        }
    }
    for (unsigned i = 0; i < f->ncallbacks; i++) {
        cp_callback_t *cb = &f->callbacks[i];
        if (completing || (cb->events & event))
            out->items[out->n++] = *cb;
        else
            f->callbacks[keep++] = *cb;
    }
    f->ncallbacks = keep;
}

static void take_free(taken_t *t)
{
    if (t->items != t->small)
        free(t->items);
}

/* Runs what `take` moved out: callbacks for `event` in libprocess order
 * (state-specific ones, then the on_any group), dropping the rest. */
static void run_taken(cp_future_t *f, unsigned event, taken_t *t)
{
    for (int group = 0; group < 2; group++) {
        for (unsigned i = 0; i < t->n; i++) {
            cp_callback_t *cb = &t->items[i];
            if (cb->any_group != (group == 1) || cb->fn == NULL)
                continue;
            if (cb->events & event)
                cb->fn(f, cb->arg);
            callback_drop(cb);
            cb->fn = NULL;
        }
    }
    take_free(t);
}

static unsigned state_event(cp_future_state_t s)
{
    switch (s) {
    case CP_FUTURE_READY:
        return CP_EV_READY;
    case CP_FUTURE_FAILED:
        return CP_EV_FAILED;
    case CP_FUTURE_DISCARDED:
        return CP_EV_DISCARDED;
    default:
        return 0;
    }
}

int cp__future_register(cp_future_t *f, unsigned events, bool any_group, cp_future_cb fn,
                        void *arg, cp_free_fn arg_free)
{
    pthread_mutex_lock(&f->lock);
    cp_future_state_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    unsigned happened = state_event(s);
    if (s == CP_FUTURE_PENDING) {
        if (atomic_load_explicit(&f->abandoned, memory_order_relaxed))
            happened |= CP_EV_ABANDONED;
        if (atomic_load_explicit(&f->discard_requested, memory_order_relaxed))
            happened |= CP_EV_DISCARD_REQ;
    }
    bool complete = s != CP_FUTURE_PENDING || (happened & CP_EV_ABANDONED);
    if (!complete && !(events & happened)) {
        if (f->ncallbacks == f->capacity) {
            unsigned cap = f->capacity * 2;
            cp_callback_t *grown = malloc(cap * sizeof(*grown));
            if (grown == NULL) {
                pthread_mutex_unlock(&f->lock);
                if (arg_free != NULL)
                    arg_free(arg);
                return CP_ENOMEM;
            }
            memcpy(grown, f->callbacks, f->ncallbacks * sizeof(*grown));
            if (f->callbacks != f->inline_callbacks)
                free(f->callbacks);
            f->callbacks = grown;
            f->capacity = cap;
        }
        f->callbacks[f->ncallbacks++] =
            (cp_callback_t){.fn = fn, .arg = arg, .arg_free = arg_free, .events = events,
                            .any_group = any_group};
        pthread_mutex_unlock(&f->lock);
        return 0;
    }
    pthread_mutex_unlock(&f->lock);
    /* Already happened: run now, on this thread. */
    if (events & happened)
        fn(f, arg);
    if (arg_free != NULL)
        arg_free(arg);
    return 0;
}

static int complete(cp_future_t *f, cp_future_state_t state, void *value, char *failure,
                    bool value_is_source)
{
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->abandoned, memory_order_relaxed)) {
        pthread_mutex_unlock(&f->lock);
        return CP_ESTATE;
    }
    f->value = value;
    f->value_is_source = value_is_source;
    f->failure = failure;
    atomic_store_explicit(&f->state, state, memory_order_release);
    taken_t t;
    take(f, 0, true, &t);
    pthread_mutex_unlock(&f->lock);
    /* Keep the state alive while its callbacks run: one may drop the last
     * reference the caller relied on. */
    cp_future_ref(f);
    run_taken(f, state_event(state), &t);
    cp_future_unref(f);
    return 0;
}

int cp__future_complete(cp_future_t *f, cp_future_state_t state, void *value, char *failure)
{
    return complete(f, state, value, failure, false);
}

void cp__future_abandon(cp_future_t *f)
{
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->abandoned, memory_order_relaxed)) {
        pthread_mutex_unlock(&f->lock);
        return;
    }
    atomic_store_explicit(&f->abandoned, true, memory_order_release);
    /* Nothing can complete an abandoned future: every other callback is
     * dropped now, which also breaks reference cycles through them. */
    taken_t t;
    take(f, CP_EV_ABANDONED, true, &t);
    pthread_mutex_unlock(&f->lock);
    cp_future_ref(f);
    run_taken(f, CP_EV_ABANDONED, &t);
    cp_future_unref(f);
}

/* ---- promises ------------------------------------------------------- */

cp_promise_t *cp_promise_new(cp_free_fn free_value)
{
    return (cp_promise_t *)state_new(free_value, 1);
}

cp_future_t *cp_promise_future(cp_promise_t *p)
{
    return cp_future_ref(cp__promise_state(p));
}

void cp_promise_free(cp_promise_t *p)
{
    if (p == NULL)
        return;
    cp_future_t *f = cp__promise_state(p);
    pthread_mutex_lock(&f->lock);
    bool abandon = !f->associated;
    f->promise_gone = true;
    pthread_mutex_unlock(&f->lock);
    if (abandon)
        cp__future_abandon(f);
    cp_future_unref(f);
}

static bool promise_settable(cp_future_t *f)
{
    pthread_mutex_lock(&f->lock);
    bool ok = !f->associated;
    pthread_mutex_unlock(&f->lock);
    return ok;
}

int cp_promise_set(cp_promise_t *p, void *value)
{
    cp_future_t *f = cp__promise_state(p);
    if (!promise_settable(f))
        return CP_ESTATE;
    return cp__future_complete(f, CP_FUTURE_READY, value, NULL);
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

int cp_promise_fail(cp_promise_t *p, const char *fmt, ...)
{
    cp_future_t *f = cp__promise_state(p);
    if (!promise_settable(f))
        return CP_ESTATE;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    int rc = cp__future_complete(f, CP_FUTURE_FAILED, NULL, msg);
    if (rc != 0)
        free(msg);
    return rc;
}

int cp_promise_discard(cp_promise_t *p)
{
    cp_future_t *f = cp__promise_state(p);
    if (!promise_settable(f))
        return CP_ESTATE;
    return cp__future_complete(f, CP_FUTURE_DISCARDED, NULL, NULL);
}

/* ---- association: a state that follows another future ------------- */

static void follow_complete(cp_future_t *src, void *arg)
{
    cp_future_t *dst = arg;
    cp_future_state_t s = cp_future_state(src);
    if (s == CP_FUTURE_PENDING) { /* abandoned */
        cp__future_abandon(dst);
        return;
    }
    /* A value stays owned by src; dst borrows it through a reference to
     * src that it drops when it is freed. */
    void *value = s == CP_FUTURE_READY ? cp_future_ref(src) : NULL;
    char *failure = NULL;
    if (s == CP_FUTURE_FAILED)
        failure = strdup(src->failure != NULL ? src->failure : "");
    if (complete(dst, s, value, failure, s == CP_FUTURE_READY) != 0) {
        if (s == CP_FUTURE_READY)
            cp_future_unref(src);
        free(failure);
    }
}

static void forward_discard(cp_future_t *dst, void *arg)
{
    cp_future_discard(arg);
}

/* dst follows src: completion and abandonment flow down, discard requests
 * flow up. Both keep a reference to the other only until that happens. */
static void follow(cp_future_t *dst, cp_future_t *src, bool forward_discards)
{
    if (forward_discards)
        cp__future_register(dst, CP_EV_DISCARD_REQ, false, forward_discard, cp_future_ref(src),
                            cp__future_unref_void);
    cp__future_register(src, CP_EV_ANY | CP_EV_ABANDONED, true, follow_complete,
                        cp_future_ref(dst), cp__future_unref_void);
}

int cp_promise_associate(cp_promise_t *p, cp_future_t *f)
{
    cp_future_t *dst = cp__promise_state(p);
    pthread_mutex_lock(&dst->lock);
    if (dst->associated || atomic_load(&dst->state) != CP_FUTURE_PENDING) {
        pthread_mutex_unlock(&dst->lock);
        return CP_ESTATE;
    }
    dst->associated = true;
    pthread_mutex_unlock(&dst->lock);
    follow(dst, f, true);
    return 0;
}

/* ---- ready-made futures -------------------------------------------- */

cp_future_t *cp_future_ready(void *value, cp_free_fn free_value)
{
    cp_future_t *f = state_new(free_value, 1);
    if (f == NULL) {
        if (free_value != NULL && value != NULL)
            free_value(value);
        return NULL;
    }
    f->value = value;
    atomic_store(&f->state, CP_FUTURE_READY);
    return f;
}

cp_future_t *cp_future_failed(const char *fmt, ...)
{
    cp_future_t *f = state_new(NULL, 1);
    if (f == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    f->failure = vformat(fmt, ap);
    va_end(ap);
    atomic_store(&f->state, CP_FUTURE_FAILED);
    return f;
}

cp_future_t *cp_future_discarded(void)
{
    cp_future_t *f = state_new(NULL, 1);
    if (f != NULL)
        atomic_store(&f->state, CP_FUTURE_DISCARDED);
    return f;
}

/* ---- state ---------------------------------------------------------- */

cp_future_state_t cp_future_state(const cp_future_t *f)
{
    return atomic_load_explicit(&((cp_future_t *)f)->state, memory_order_acquire);
}

bool cp_future_is_pending(const cp_future_t *f)
{
    return cp_future_state(f) == CP_FUTURE_PENDING;
}

bool cp_future_is_ready(const cp_future_t *f)
{
    return cp_future_state(f) == CP_FUTURE_READY;
}

bool cp_future_is_failed(const cp_future_t *f)
{
    return cp_future_state(f) == CP_FUTURE_FAILED;
}

bool cp_future_is_discarded(const cp_future_t *f)
{
    return cp_future_state(f) == CP_FUTURE_DISCARDED;
}

bool cp_future_is_abandoned(const cp_future_t *f)
{
    return atomic_load(&((cp_future_t *)f)->abandoned);
}

bool cp_future_has_discard(const cp_future_t *f)
{
    return atomic_load(&((cp_future_t *)f)->discard_requested);
}

void *cp_future_value(const cp_future_t *f)
{
    if (cp_future_state(f) != CP_FUTURE_READY)
        return NULL;
    if (f->value_is_source)
        return cp_future_value(f->value);
    return f->value;
}

const char *cp_future_failure(const cp_future_t *f)
{
    if (cp_future_state(f) != CP_FUTURE_FAILED)
        return NULL;
    return f->failure != NULL ? f->failure : "(out of memory formatting the failure)";
}

const char *cp_future_state_name(cp_future_state_t s)
{
    switch (s) {
    case CP_FUTURE_PENDING:
        return "PENDING";
    case CP_FUTURE_READY:
        return "READY";
    case CP_FUTURE_FAILED:
        return "FAILED";
    case CP_FUTURE_DISCARDED:
        return "DISCARDED";
    }
    return "?";
}

void cp_future_discard(cp_future_t *f)
{
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->discard_requested, memory_order_relaxed)) {
        pthread_mutex_unlock(&f->lock);
        return;
    }
    atomic_store(&f->discard_requested, true);
    taken_t t;
    take(f, CP_EV_DISCARD_REQ, false, &t);
    pthread_mutex_unlock(&f->lock);
    cp_future_ref(f);
    run_taken(f, CP_EV_DISCARD_REQ, &t);
    cp_future_unref(f);
}

/* ---- public callbacks ---------------------------------------------- */

int cp_future_on_ready(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_READY, false, cb, arg, arg_free);
}

int cp_future_on_failed(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_FAILED, false, cb, arg, arg_free);
}

int cp_future_on_discarded(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_DISCARDED, false, cb, arg, arg_free);
}

int cp_future_on_any(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_ANY, true, cb, arg, arg_free);
}

int cp_future_on_discard(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_DISCARD_REQ, false, cb, arg, arg_free);
}

int cp_future_on_abandoned(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free)
{
    return cp__future_register(f, CP_EV_ABANDONED, false, cb, arg, arg_free);
}

/* ---- internal helpers shared by the combinators -------------------- */

cp_future_t *cp__future_pending(cp_free_fn free_value)
{
    return state_new(free_value, 1);
}

void cp__future_follow(cp_future_t *dst, cp_future_t *src, bool forward_discards)
{
    follow(dst, src, forward_discards);
}

char *cp__strdup_or_null(const char *s)
{
    return strdup(s);
}
