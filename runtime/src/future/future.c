/* Futures and promises: the shared state, its callbacks and its states. */
#include "future/future_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"

/* Shown when a failure message could not be allocated. */
static const char no_memory_failure[] = "(out of memory formatting the failure)";

static cp_future_t *state_new(cp_free_fn free_value)
{
    cp_future_t *f = malloc(sizeof(*f));
    if (f == NULL)
        return NULL;
    atomic_init(&f->refs, 1);
    atomic_init(&f->state, CP_FUTURE_PENDING);
    atomic_init(&f->abandoned, false);
    atomic_init(&f->discard_requested, false);
    f->associated = false;
    pthread_mutex_init(&f->lock, NULL);
    f->value = NULL;
    f->value_owner = NULL;
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
    if (f->value_owner != NULL)
        cp_future_unref(f->value_owner);
    else if (f->value != NULL && f->free_value != NULL)
        f->free_value(f->value);
    free(f->failure);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

cp_future_t *cp_future_ref(cp_future_t *f)
{
    if (f != NULL)
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

/* Every entry of a state's list, moved out under its lock when the state
 * completes or is abandoned (nothing can run later, so everything goes):
 * the heap array is stolen, an inline list copied, so completing never
 * allocates. */
typedef struct taken {
    cp_callback_t *items;
    unsigned n;
    cp_callback_t small[CP_FUTURE_INLINE_CALLBACKS];
} taken_t;

static void take_all(cp_future_t *f, taken_t *out)
{
    out->n = f->ncallbacks;
    if (f->callbacks == f->inline_callbacks) {
        memcpy(out->small, f->inline_callbacks, f->ncallbacks * sizeof(cp_callback_t));
        out->items = out->small;
    } else {
        out->items = f->callbacks;
        f->callbacks = f->inline_callbacks;
        f->capacity = CP_FUTURE_INLINE_CALLBACKS;
    }
    f->ncallbacks = 0;
}

/* Runs what take_all moved out, in libprocess order: the entries waiting
 * for `event` outside the on_any group, then those in it, each group in
 * registration order; every other entry is dropped. */
static void run_taken(cp_future_t *f, unsigned event, taken_t *t)
{
    for (int group = 0; group < 2; group++) {
        for (unsigned i = 0; i < t->n; i++) {
            cp_callback_t *cb = &t->items[i];
            if (cb->any_group != (group == 1))
                continue;
            if (cb->events & event)
                cb->fn(f, cb->arg);
            callback_drop(cb);
        }
    }
    if (t->items != t->small)
        free(t->items);
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

/* The events that have already happened to f (f locked). */
static unsigned happened_locked(cp_future_t *f)
{
    cp_future_state_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    if (s != CP_FUTURE_PENDING)
        return state_event(s);
    unsigned ev = 0;
    if (atomic_load_explicit(&f->abandoned, memory_order_relaxed))
        ev |= CP_EV_ABANDONED;
    if (atomic_load_explicit(&f->discard_requested, memory_order_relaxed))
        ev |= CP_EV_DISCARD_REQ;
    return ev;
}

static bool push_locked(cp_future_t *f, const cp_callback_t *cb)
{
    if (f->ncallbacks == f->capacity) {
        unsigned cap = f->capacity * 2;
        cp_callback_t *grown;
        if (f->callbacks == f->inline_callbacks) {
            grown = malloc(cap * sizeof(*grown));
            if (grown != NULL)
                memcpy(grown, f->callbacks, f->ncallbacks * sizeof(*grown));
        } else {
            grown = realloc(f->callbacks, cap * sizeof(*grown));
        }
        if (grown == NULL)
            return false;
        f->callbacks = grown;
        f->capacity = cap;
    }
    f->callbacks[f->ncallbacks++] = *cb;
    return true;
}

int cp__future_register(cp_future_t *f, unsigned events, bool any_group, cp_future_cb fn,
                        void *arg, cp_free_fn arg_free)
{
    if (f == NULL || fn == NULL) {
        if (arg_free != NULL)
            arg_free(arg);
        return CP_EINVAL;
    }
    pthread_mutex_lock(&f->lock);
    unsigned happened = happened_locked(f);
    /* Complete or abandoned: nothing else can happen any more. */
    bool final = (happened & (CP_EV_ANY | CP_EV_ABANDONED)) != 0;
    if (!final && !(events & happened)) {
        cp_callback_t cb = {
            .fn = fn, .arg = arg, .arg_free = arg_free, .events = events, .any_group = any_group};
        bool ok = push_locked(f, &cb);
        pthread_mutex_unlock(&f->lock);
        if (ok)
            return 0;
        if (arg_free != NULL)
            arg_free(arg);
        return CP_ENOMEM;
    }
    pthread_mutex_unlock(&f->lock);
    if (events & happened)
        fn(f, arg);
    if (arg_free != NULL)
        arg_free(arg);
    return 0;
}

/* Moves f out of PENDING. With `from_promise`, an associated promise is
 * refused in the same critical section that decides, so a set racing an
 * associate cannot both succeed. */
static int complete(cp_future_t *f, cp_future_state_t state, void *value, cp_future_t *owner,
                    char *failure, bool from_promise)
{
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->abandoned, memory_order_relaxed) ||
        (from_promise && f->associated)) {
        pthread_mutex_unlock(&f->lock);
        return CP_ESTATE;
    }
    f->value = value;
    f->value_owner = owner;
    f->failure = failure;
    /* Our own reference is taken before the state is published: a thread
     * that sees it complete may drop every reference it knows of (the
     * promise and its futures) while the callbacks below still run. */
    cp_future_ref(f);
    atomic_store_explicit(&f->state, state, memory_order_release);
    taken_t t;
    take_all(f, &t);
    pthread_mutex_unlock(&f->lock);
    run_taken(f, state_event(state), &t);
    cp_future_unref(f);
    return 0;
}

int cp__future_complete(cp_future_t *f, cp_future_state_t state, void *value, char *failure)
{
    return complete(f, state, value, NULL, failure, false);
}

int cp__future_fail(cp_future_t *f, const char *msg)
{
    char *copy = strdup(msg);
    int rc = complete(f, CP_FUTURE_FAILED, NULL, NULL, copy, false);
    if (rc != 0)
        free(copy);
    return rc;
}

static void abandon(cp_future_t *f, bool from_promise)
{
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->abandoned, memory_order_relaxed) ||
        (from_promise && f->associated)) {
        pthread_mutex_unlock(&f->lock);
        return;
    }
    cp_future_ref(f); /* before publishing, as in complete() */
    atomic_store_explicit(&f->abandoned, true, memory_order_release);
    /* Nothing can complete an abandoned future: every other callback is
     * dropped now, which also breaks reference cycles through them. */
    taken_t t;
    take_all(f, &t);
    pthread_mutex_unlock(&f->lock);
    run_taken(f, CP_EV_ABANDONED, &t);
    cp_future_unref(f);
}

void cp__future_abandon(cp_future_t *f)
{
    abandon(f, false);
}

/* ---- promises ------------------------------------------------------- */

cp_promise_t *cp_promise_new(cp_free_fn free_value)
{
    return (cp_promise_t *)state_new(free_value);
}

cp_future_t *cp_promise_future(cp_promise_t *p)
{
    if (p == NULL)
        return NULL;
    return cp_future_ref(cp__promise_state(p));
}

void cp_promise_free(cp_promise_t *p)
{
    if (p == NULL)
        return;
    cp_future_t *f = cp__promise_state(p);
    /* An associated future is abandoned only if what it follows is. */
    abandon(f, true);
    cp_future_unref(f);
}

int cp_promise_set(cp_promise_t *p, void *value)
{
    if (p == NULL)
        return CP_EINVAL;
    return complete(cp__promise_state(p), CP_FUTURE_READY, value, NULL, NULL, true);
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
    if (p == NULL || fmt == NULL)
        return CP_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    int rc = complete(cp__promise_state(p), CP_FUTURE_FAILED, NULL, NULL, msg, true);
    if (rc != 0)
        free(msg);
    return rc;
}

int cp_promise_discard(cp_promise_t *p)
{
    if (p == NULL)
        return CP_EINVAL;
    return complete(cp__promise_state(p), CP_FUTURE_DISCARDED, NULL, NULL, NULL, true);
}

/* ---- following another future ------------------------------------- */

static void follow_complete(cp_future_t *src, void *arg)
{
    cp_future_t *dst = arg;
    cp_future_state_t s = cp_future_state(src);
    if (s == CP_FUTURE_PENDING) { /* abandoned */
        cp__future_abandon(dst);
        return;
    }
    /* dst borrows the value and keeps its owner alive; pointing at the
     * owner rather than at src keeps reads O(1) along long chains. */
    cp_future_t *owner = NULL;
    if (s == CP_FUTURE_READY)
        owner = cp_future_ref(src->value_owner != NULL ? src->value_owner : src);
    char *failure = NULL;
    if (s == CP_FUTURE_FAILED && src->failure != NULL)
        failure = strdup(src->failure);
    if (complete(dst, s, src->value, owner, failure, false) != 0) {
        cp_future_unref(owner);
        free(failure);
    }
}

static void forward_discard(cp_future_t *dst, void *src)
{
    cp_future_discard(src);
}

/* Completion and abandonment flow down, discard requests flow up. Each
 * side holds a reference to the other only until src completes or is
 * abandoned (or dst completes, for the discard forwarder). */
void cp__future_follow(cp_future_t *dst, cp_future_t *src, bool forward_discards)
{
    if (forward_discards)
        cp__future_register(dst, CP_EV_DISCARD_REQ, false, forward_discard, cp_future_ref(src),
                            cp__future_unref_void);
    cp__future_register(src, CP_EV_ANY | CP_EV_ABANDONED, true, follow_complete,
                        cp_future_ref(dst), cp__future_unref_void);
}

int cp_promise_associate(cp_promise_t *p, cp_future_t *f)
{
    if (p == NULL || f == NULL)
        return CP_EINVAL;
    cp_future_t *dst = cp__promise_state(p);
    if (dst == f)
        return CP_EINVAL;
    pthread_mutex_lock(&dst->lock);
    if (dst->associated || atomic_load_explicit(&dst->state, memory_order_relaxed) !=
                               CP_FUTURE_PENDING ||
        atomic_load_explicit(&dst->abandoned, memory_order_relaxed)) {
        pthread_mutex_unlock(&dst->lock);
        return CP_ESTATE;
    }
    dst->associated = true;
    pthread_mutex_unlock(&dst->lock);
    cp__future_follow(dst, f, true);
    return 0;
}

/* ---- ready-made futures -------------------------------------------- */

cp_future_t *cp_future_ready(void *value, cp_free_fn free_value)
{
    cp_future_t *f = state_new(free_value);
    if (f == NULL) {
        if (free_value != NULL && value != NULL)
            free_value(value);
        return NULL;
    }
    f->value = value;
    atomic_store_explicit(&f->state, CP_FUTURE_READY, memory_order_release);
    return f;
}

cp_future_t *cp_future_failed(const char *fmt, ...)
{
    cp_future_t *f = state_new(NULL);
    if (f == NULL)
        return NULL;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        f->failure = vformat(fmt, ap);
        va_end(ap);
    } else {
        f->failure = strdup("cp_future_failed: NULL format");
    }
    atomic_store_explicit(&f->state, CP_FUTURE_FAILED, memory_order_release);
    return f;
}

cp_future_t *cp_future_discarded(void)
{
    cp_future_t *f = state_new(NULL);
    if (f != NULL)
        atomic_store_explicit(&f->state, CP_FUTURE_DISCARDED, memory_order_release);
    return f;
}

/* ---- state ---------------------------------------------------------- */

cp_future_state_t cp_future_state(const cp_future_t *f)
{
    if (f == NULL)
        return CP_FUTURE_PENDING;
    return atomic_load_explicit(&((cp_future_t *)f)->state, memory_order_acquire);
}

bool cp_future_is_pending(const cp_future_t *f)
{
    return f != NULL && cp_future_state(f) == CP_FUTURE_PENDING;
}

bool cp_future_is_ready(const cp_future_t *f)
{
    return f != NULL && cp_future_state(f) == CP_FUTURE_READY;
}

bool cp_future_is_failed(const cp_future_t *f)
{
    return f != NULL && cp_future_state(f) == CP_FUTURE_FAILED;
}

bool cp_future_is_discarded(const cp_future_t *f)
{
    return f != NULL && cp_future_state(f) == CP_FUTURE_DISCARDED;
}

bool cp_future_is_abandoned(const cp_future_t *f)
{
    return f != NULL && atomic_load(&((cp_future_t *)f)->abandoned);
}

bool cp_future_has_discard(const cp_future_t *f)
{
    return f != NULL && atomic_load(&((cp_future_t *)f)->discard_requested);
}

bool cp__future_unobserved(cp_future_t *f)
{
    if (atomic_load_explicit(&f->refs, memory_order_acquire) != 1)
        return false;
    /* Only the caller's reference is left: nobody else can register a
     * callback any more, so the answer cannot change back. */
    pthread_mutex_lock(&f->lock);
    bool watched = false;
    for (unsigned i = 0; i < f->ncallbacks && !watched; i++)
        watched = (f->callbacks[i].events & (CP_EV_ANY | CP_EV_ABANDONED)) != 0;
    pthread_mutex_unlock(&f->lock);
    return !watched;
}

void *cp_future_value(const cp_future_t *f)
{
    if (f == NULL || cp_future_state(f) != CP_FUTURE_READY)
        return NULL;
    return f->value;
}

const char *cp_future_failure(const cp_future_t *f)
{
    if (f == NULL || cp_future_state(f) != CP_FUTURE_FAILED)
        return NULL;
    return f->failure != NULL ? f->failure : no_memory_failure;
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

/* Removes and returns the first on_discard entry (f locked). */
static bool pop_discard_locked(cp_future_t *f, cp_callback_t *out)
{
    for (unsigned i = 0; i < f->ncallbacks; i++) {
        if (f->callbacks[i].events & CP_EV_DISCARD_REQ) {
            *out = f->callbacks[i];
            memmove(&f->callbacks[i], &f->callbacks[i + 1],
                    (f->ncallbacks - i - 1) * sizeof(cp_callback_t));
            f->ncallbacks--;
            return true;
        }
    }
    return false;
}

void cp_future_discard(cp_future_t *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    if (atomic_load_explicit(&f->state, memory_order_relaxed) != CP_FUTURE_PENDING ||
        atomic_load_explicit(&f->discard_requested, memory_order_relaxed)) {
        pthread_mutex_unlock(&f->lock);
        return;
    }
    atomic_store_explicit(&f->discard_requested, true, memory_order_release);
    pthread_mutex_unlock(&f->lock);
    /* One entry at a time, in registration order, without allocating: a
     * discard is rare and lists are short. Entries registered from now on
     * run at once instead of joining the list, so this ends. */
    cp_future_ref(f);
    for (;;) {
        cp_callback_t cb;
        pthread_mutex_lock(&f->lock);
        bool found = pop_discard_locked(f, &cb);
        pthread_mutex_unlock(&f->lock);
        if (!found)
            break;
        cb.fn(f, cb.arg);
        callback_drop(&cb);
    }
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

cp_future_t *cp__future_pending(cp_free_fn free_value)
{
    return state_new(free_value);
}
