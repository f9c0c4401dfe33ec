/* Internal: the shared state behind a future and its promise.
 *
 * A promise and its future are one allocation: cp_promise_t is the shared
 * state seen from the producer's side. The promise holds one reference,
 * each cp_future_t handle another.
 *
 * Locking: each state has one mutex guarding its callback list and the
 * transition out of PENDING. It is never held while user code (callbacks,
 * destructors, arg_free) runs, and never held together with another
 * state's mutex, so there is no lock order to respect.
 */
#ifndef CPROC_FUTURE_INTERNAL_H
#define CPROC_FUTURE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "cproc/future.h"

/* Events a callback entry can wait for. */
enum {
    CP_EV_READY = 1u << 0,
    CP_EV_FAILED = 1u << 1,
    CP_EV_DISCARDED = 1u << 2,
    CP_EV_ANY = CP_EV_READY | CP_EV_FAILED | CP_EV_DISCARDED,
    CP_EV_ABANDONED = 1u << 3,
    CP_EV_DISCARD_REQ = 1u << 4,
};

typedef struct cp_callback {
    cp_future_cb fn;
    void *arg;
    cp_free_fn arg_free;
    unsigned events; /* CP_EV_* the entry runs on (once, then it is gone) */
    bool any_group;  /* runs after the state-specific callbacks */
} cp_callback_t;

/* Most futures carry one or two callbacks (a then step and its discard
 * forwarder): those need no allocation beyond the state itself. */
#define CP_FUTURE_INLINE_CALLBACKS 2

struct cp_future {
    atomic_int refs;
    _Atomic cp_future_state_t state;
    atomic_bool abandoned;
    atomic_bool discard_requested;
    bool associated; /* the promise follows another future (under lock) */
    pthread_mutex_t lock;
    /* Written once before `state` leaves PENDING (release), read after an
     * acquire load of `state`. */
    void *value;
    cp_future_t *value_owner; /* a reference to the state that owns value,
                                 or NULL when this state owns it */
    cp_free_fn free_value;
    char *failure;
    cp_callback_t *callbacks; /* inline_callbacks or heap */
    unsigned ncallbacks, capacity;
    cp_callback_t inline_callbacks[CP_FUTURE_INLINE_CALLBACKS];
};

/* Registers a callback entry for `events`; runs it at once if one of them
 * has already happened. arg_free(arg) runs exactly once in every case,
 * errors included. */
int cp__future_register(cp_future_t *f, unsigned events, bool any_group, cp_future_cb fn,
                        void *arg, cp_free_fn arg_free);

/* Marks a pending future abandoned (as if its promise had gone) and runs
 * its on_abandoned callbacks. Used by combinators whose source was
 * abandoned. */
void cp__future_abandon(cp_future_t *f);

/* Completes the shared state directly (ignoring the association flag).
 * `value` and `failure` ownership passes on success only. Returns
 * CP_ESTATE if not pending (or abandoned). */
int cp__future_complete(cp_future_t *f, cp_future_state_t state, void *value, char *failure);

/* Fails `f` with a copy of `msg` (a fixed text if out of memory). Returns
 * what cp__future_complete returns. */
int cp__future_fail(cp_future_t *f, const char *msg);

/* A new pending state with one reference and no promise of its own: the
 * combinators complete it with cp__future_complete / cp__future_follow. */
cp_future_t *cp__future_pending(cp_free_fn free_value);

/* dst follows src: src's completion or abandonment is copied to dst (a
 * READY dst borrows src's value, keeping its owner alive); with
 * forward_discards, a discard requested on dst is requested on src. */
void cp__future_follow(cp_future_t *dst, cp_future_t *src, bool forward_discards);

/* True when the caller's reference (a promise's, say) is the only one left
 * and no callback waits for f to complete or be abandoned: nobody can ever
 * see what happens to f. Once true it stays true. */
bool cp__future_unobserved(cp_future_t *f);

/* cp_future_unref() as a cp_free_fn. */
void cp__future_unref_void(void *f);

/* The promise's future as shared state (no new reference). */
static inline cp_future_t *cp__promise_state(cp_promise_t *p)
{
    return (cp_future_t *)p;
}

/* core/loop_turns.c: true on the event-loop thread inside a loop turn. */
bool cp__in_loop_turn(void);

#endif
