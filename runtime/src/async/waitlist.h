/* Internal: FIFO lists of waiting promises for the async primitives
 * (queue, mutex, pipe).
 *
 * Each primitive keeps a `cp__async_core_t` (its lock and a reference
 * count) and one or more waitlists under that lock. A waiter is a promise
 * in a list; a discard requested on its future removes it from the list and
 * completes it DISCARDED, so producers never see it again. A waiter whose
 * future was dropped unseen (see cp__waiter_discarded) is skipped when it
 * reaches the head, and freed then.
 *
 * References: the core counts its owner plus one per waiter alive, so a
 * waiter's discard callback can still lock the core after the owner freed
 * it. A waiter counts the list (while linked) and its discard callback.
 * Whoever unlinks a waiter under the core's lock takes over the list's
 * reference and must complete the promise (outside the lock) and then call
 * cp__waiter_release(), which frees the promise (abandoning it if still
 * pending) and drops that reference.
 */
#ifndef CPROC_ASYNC_WAITLIST_H
#define CPROC_ASYNC_WAITLIST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cproc/future.h"

typedef struct cp__async_core {
    pthread_mutex_t mu;
    atomic_uint refs;
    void (*destroy)(struct cp__async_core *core); /* frees the container */
} cp__async_core_t;

typedef struct cp__waiter {
    struct cp__waiter *prev, *next;
    struct cp__waitlist *list; /* NULL when unlinked (under core->mu) */
    atomic_uint refs;
    cp__async_core_t *core;
    cp_promise_t *promise;
    uint64_t mark; /* for the owner's use (a pipe's write offset) */
} cp__waiter_t;

typedef struct cp__waitlist {
    cp__waiter_t *head, *tail;
    size_t len;
    cp__async_core_t *core;
} cp__waitlist_t;

void cp__async_core_init(cp__async_core_t *core, void (*destroy)(cp__async_core_t *));
void cp__async_core_ref(cp__async_core_t *core);
void cp__async_core_unref(cp__async_core_t *core);

void cp__waitlist_init(cp__waitlist_t *wl, cp__async_core_t *core);

/* Makes a waiter with a fresh promise (free_value for its value), appends
 * it to `wl` (core->mu held by the caller) and returns a new reference to
 * its future in *out. The discard hook is installed by
 * cp__waiter_arm() once the lock is released. NULL when out of memory. */
cp__waiter_t *cp__waiter_push(cp__waitlist_t *wl, cp_free_fn free_value, cp_future_t **out);

/* Installs the discard hook (core->mu NOT held). Call once after push. */
void cp__waiter_arm(cp__waiter_t *w, cp_future_t *f);

/* Unlinks and returns the first waiter (core->mu held), or NULL. The
 * caller owns the list's reference from then on. */
cp__waiter_t *cp__waitlist_pop(cp__waitlist_t *wl);

/* True when w must not be served: a discard was requested on its future
 * (the request may be in flight on another thread, its hook not yet run)
 * or nobody can see it any more (every reference to its future was
 * dropped and no callback waits on it). The caller that popped it then
 * releases it instead of serving it, so the lock, item or chunk goes to the
 * next live waiter. A requested discard is completed here. */
bool cp__waiter_discarded(cp__waiter_t *w);

/* The same test without completing anything; usable with core->mu held
 * (the future's own lock is taken briefly, never the other way round). */
bool cp__waiter_discard_requested(cp__waiter_t *w);

/* Frees the promise (abandons it if pending) and drops the list's
 * reference. */
void cp__waiter_release(cp__waiter_t *w);

/* Drops a reference; the last one frees the waiter and drops its core
 * reference. */
void cp__waiter_unref(cp__waiter_t *w);

#endif
