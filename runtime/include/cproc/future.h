/* cproc — futures and promises.
 *
 * A promise is the producer's end: it is completed once, with a value
 * (READY), a failure message (FAILED) or as DISCARDED. A future is the
 * consumer's end: a reference-counted handle to the shared state, from which
 * callbacks and combinators hang.
 *
 * Ownership
 * - A value belongs to the shared state once it is set, and is freed with
 *   the `free_value` destructor the promise was created with when the last
 *   future reference and the promise are gone. Callbacks and accessors get
 *   it borrowed: valid while the caller holds a future reference.
 * - Every function that returns `cp_future_t *` returns a new reference the
 *   caller must cp_future_unref(). Functions that take a future borrow it
 *   unless they say "takes a reference".
 * - Every callback is registered with an `arg` and an optional `arg_free`;
 *   arg_free(arg) runs exactly once: after the callback ran, or when it is
 *   dropped without running (the future completed in another state, or the
 *   last reference went away while pending).
 *
 * Threads: all functions are thread-safe. Callbacks run synchronously on the
 * thread that completes the future, or immediately on the registering
 * thread when the future is already complete. To run a callback inside a
 * process, defer it (see dispatch.h). Callbacks must not block.
 *
 * Ordering (as libprocess): when a future completes, the state-specific
 * callbacks (on_ready / on_failed / on_discarded) run first, then on_any,
 * each group in registration order.
 *
 * Abandonment: a promise freed while its future is pending (and not
 * associated) abandons the future: it stays PENDING forever, on_abandoned
 * callbacks run, every other callback is dropped (its arg_free runs), and
 * combinators such as recover() treat it as complete.
 *
 * Futures are a plain data structure: nothing here needs the runtime to be
 * started, except cp_future_after().
 *
 * Cost: a promise and its future are one allocation, references are
 * atomic, and the first two callbacks are stored inline in the state.
 */
#ifndef CPROC_FUTURE_H
#define CPROC_FUTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_future cp_future_t;
typedef struct cp_promise cp_promise_t;

typedef enum cp_future_state {
    CP_FUTURE_PENDING = 0,
    CP_FUTURE_READY,
    CP_FUTURE_FAILED,
    CP_FUTURE_DISCARDED,
} cp_future_state_t;

/* Frees a value or a callback argument. */
typedef void (*cp_free_fn)(void *ptr);

/* A plain completion callback: `f` is borrowed for the call. */
typedef void (*cp_future_cb)(cp_future_t *f, void *arg);

/* ---- promises -------------------------------------------------------- */

/* A new promise with a pending future. `free_value` (may be NULL) frees the
 * value set on it. Returns NULL only when out of memory. */
cp_promise_t *cp_promise_new(cp_free_fn free_value);

/* Frees the promise (NULL is ignored). If its future is still pending and
 * not associated, the future is abandoned; an associated future goes on
 * following what it was associated with. Future references stay valid. */
void cp_promise_free(cp_promise_t *p);

/* A new reference to the promise's future (NULL if p is NULL). Call it as
 * often as needed; every reference is unref'd separately. */
cp_future_t *cp_promise_future(cp_promise_t *p);

/* Completes the future with `value` and runs its callbacks on this thread
 * before returning. Takes ownership of value on success only; on failure
 * (CP_ESTATE: already completed, abandoned or associated; CP_EINVAL: p is
 * NULL) the value stays the caller's. */
int cp_promise_set(cp_promise_t *p, void *value);

/* Fails the future with a printf-style message (copied). CP_ESTATE if
 * already completed or associated, CP_EINVAL if p or fmt is NULL. */
int cp_promise_fail(cp_promise_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Completes the future as DISCARDED: the producer's answer to a discard
 * request (or its own decision). CP_ESTATE if already completed or
 * associated, CP_EINVAL if p is NULL. */
int cp_promise_discard(cp_promise_t *p);

/* Makes the promise's future follow `f`: it completes as f completes (a
 * READY value is shared, not copied, and stays owned by f's state), it is
 * abandoned if f is, and a discard request on it (already made or later)
 * is forwarded to f. After this, set/fail/discard on p return CP_ESTATE
 * and freeing p does not abandon the future. CP_ESTATE if the promise was
 * already completed, abandoned or associated; CP_EINVAL if p or f is NULL
 * or f is p's own future. Borrows f (keeps its own reference). */
int cp_promise_associate(cp_promise_t *p, cp_future_t *f);

/* ---- ready-made futures --------------------------------------------- */

/* A READY future holding `value` (takes ownership, even when it returns
 * NULL for lack of memory; freed with free_value, which may be NULL). */
cp_future_t *cp_future_ready(void *value, cp_free_fn free_value);

/* A FAILED future with a printf-style message (copied). NULL only when out
 * of memory. */
cp_future_t *cp_future_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A DISCARDED future. NULL only when out of memory. */
cp_future_t *cp_future_discarded(void);

/* ---- references and state ------------------------------------------- */

/* Adds a reference and returns f (NULL stays NULL). Atomic: any thread. */
cp_future_t *cp_future_ref(cp_future_t *f);

/* Drops a reference (NULL is ignored). The last one (the promise counts as
 * one) frees the state, its value, and the arg of every callback still
 * registered. */
void cp_future_unref(cp_future_t *f);

/* State queries: lock-free, any thread. A NULL f reads as PENDING and
 * false. A READY or FAILED answer is final and makes cp_future_value() /
 * cp_future_failure() safe to read from this thread. */
cp_future_state_t cp_future_state(const cp_future_t *f);
bool cp_future_is_pending(const cp_future_t *f);
bool cp_future_is_ready(const cp_future_t *f);
bool cp_future_is_failed(const cp_future_t *f);
bool cp_future_is_discarded(const cp_future_t *f);
/* True when the future's promise was freed while it was pending. */
bool cp_future_is_abandoned(const cp_future_t *f);
/* True once a discard has been requested (cp_future_discard()). */
bool cp_future_has_discard(const cp_future_t *f);

/* The value of a READY future (borrowed), else NULL. */
void *cp_future_value(const cp_future_t *f);

/* The message of a FAILED future (borrowed), else NULL. */
const char *cp_future_failure(const cp_future_t *f);

/* State name for messages: "PENDING", "READY", "FAILED", "DISCARDED". */
const char *cp_future_state_name(cp_future_state_t s);

/* Requests a discard: sets has_discard and runs the on_discard callbacks
 * once, on this thread. The producer decides whether to honour it (with
 * cp_promise_discard()). No effect on a completed future, a second time,
 * or on NULL. Combinators forward the request to what they wait for. */
void cp_future_discard(cp_future_t *f);

/* Blocks the calling thread until f completes or is abandoned, or until
 * `timeout_ns` of real time have passed (UINT64_MAX: no limit). Returns
 * true if f completed or was abandoned. For threads outside the runtime
 * (main, tests): a process that blocks here stalls its worker thread, and
 * inside a loop turn (cp_process_set_loop_turns) it returns false at once
 * unless f has already ended. */
bool cp_future_wait(cp_future_t *f, uint64_t timeout_ns);

/* ---- callbacks ------------------------------------------------------ */

/* Each returns 0, CP_EINVAL (f or cb NULL) or CP_ENOMEM; arg_free(arg) runs
 * exactly once in every case (on error: before returning). A callback for
 * an already-complete (or already-abandoned / already-discard-requested)
 * future runs on this thread before the function returns. A callback that
 * can no longer run (f completed in another state, or was abandoned) is
 * dropped at once. Callbacks may register more callbacks, complete other
 * promises and unref f; no cproc lock is held while they run. */
int cp_future_on_ready(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);
int cp_future_on_failed(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);
int cp_future_on_discarded(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);
int cp_future_on_any(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);
int cp_future_on_discard(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);
int cp_future_on_abandoned(cp_future_t *f, cp_future_cb cb, void *arg, cp_free_fn arg_free);

/* ---- composition ---------------------------------------------------- */

/* A continuation: gets the READY value (borrowed) and returns a future for
 * the next step (ownership passes to the runtime). Return
 * cp_future_ready(v, free) for a plain value, cp_future_failed() to fail.
 * Returning NULL fails the result with "continuation returned NULL".
 *
 * Each combinator below borrows f, returns a new future (NULL only when
 * out of memory), and runs arg_free(arg) exactly once, whether or not fn
 * ran. A NULL f or fn gives a FAILED result naming the function. A discard
 * requested on the result is forwarded to f and, once fn has run, to the
 * future fn returned (undiscardable() excepted). */
typedef cp_future_t *(*cp_then_fn)(void *value, void *arg);

/* A recovery step: gets the (failed, discarded or abandoned) future,
 * borrowed, and returns a replacement future (ownership passes). */
typedef cp_future_t *(*cp_recover_fn)(cp_future_t *f, void *arg);

/* A repair step: gets the failure message and returns a replacement. */
typedef cp_future_t *(*cp_repair_fn)(const char *failure, void *arg);

/* When f is READY, calls fn(value, arg) on the completing thread and the
 * result follows what fn returns. A failure or discard of f passes through
 * without calling fn, an abandoned f abandons the result. If a discard was
 * requested on the result before f became READY, the result is DISCARDED
 * and fn is not called (libprocess's then). */
cp_future_t *cp_future_then(cp_future_t *f, cp_then_fn fn, void *arg, cp_free_fn arg_free);

/* When f FAILS, the result follows fn(message, arg) (message borrowed for
 * the call); otherwise it follows f (READY, DISCARDED or abandoned). */
cp_future_t *cp_future_repair(cp_future_t *f, cp_repair_fn fn, void *arg, cp_free_fn arg_free);

/* When f FAILS, is DISCARDED or is abandoned, the result follows fn(f,
 * arg); otherwise (READY) it follows f. fn tells the cases apart with the
 * state queries (an abandoned f reads PENDING and is_abandoned). */
cp_future_t *cp_future_recover(cp_future_t *f, cp_recover_fn fn, void *arg, cp_free_fn arg_free);

/* A future that follows f (value shared, abandonment included) but on
 * which a discard request is not forwarded to f: for a computation that
 * must finish even if its caller loses interest. */
cp_future_t *cp_future_undiscardable(cp_future_t *f);

/* A timeout step: gets f (still pending, borrowed) and returns the result. */
typedef cp_future_t *(*cp_after_fn)(cp_future_t *f, void *arg);

/* If f is still pending after `timeout_ns` on the runtime clock (see
 * clock.h), the result follows fn(f, arg); otherwise it follows f and the
 * timer is cancelled. Needs the runtime to be started. Implemented by the
 * runtime core (runtime/src/core/after.c), not by the futures library. */
cp_future_t *cp_future_after(cp_future_t *f, uint64_t timeout_ns, cp_after_fn fn, void *arg,
                             cp_free_fn arg_free);

#ifdef __cplusplus
}
#endif

#endif
