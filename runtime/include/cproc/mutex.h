/* cproc — an asynchronous mutex (libprocess's process::Mutex).
 *
 * cp_mutex_lock() returns a future that is READY when the caller holds the
 * mutex: at once when it is free, else when every earlier waiter has had
 * it (FIFO). cp_mutex_unlock() hands the mutex to the oldest waiter still
 * interested; a waiter whose future had a discard requested is skipped (its
 * future becomes DISCARDED) and never holds the mutex. Nothing blocks a
 * thread: the holder is whoever has a READY lock future and has not
 * unlocked yet, whichever process or thread that is.
 *
 * The usual pattern (libprocess's `mutex.lock().then(defer(self, f))
 * .onAny(unlock)`) is cp_mutex_run(): it locks, runs the critical section
 * inside a process once the lock is held, and unlocks on any outcome of the
 * future the section returns (READY, FAILED, DISCARDED or abandoned). By
 * hand: unlock exactly once per READY lock future, and never for a lock
 * future that ends DISCARDED. A pending lock future dropped without a
 * discard (its last reference unref'd, no callback registered on it, e.g.
 * no cp_future_then step) is skipped like a discarded one when its turn
 * comes: the mutex goes to the next waiter or unlocks. A READY lock future
 * dropped without cp_mutex_unlock() still holds the mutex.
 *
 * Threads: every function is thread-safe and never blocks. A waiter's
 * future is completed on the thread calling the unlock that grants it (its
 * callbacks run there, no mutex lock held). No runtime is needed, except
 * for cp_mutex_run().
 */
#ifndef CPROC_MUTEX_H
#define CPROC_MUTEX_H

#include <stdbool.h>
#include <stddef.h>

#include "cproc/dispatch.h"
#include "cproc/future.h"
#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_mutex cp_mutex_t;

/* A new unlocked mutex; NULL only when out of memory. */
cp_mutex_t *cp_mutex_new(void);

/* Frees the mutex (NULL is ignored). Lock futures still waiting are
 * abandoned (they stay pending; on_abandoned callbacks run). A
 * cp_mutex_run() in flight keeps the memory alive until it finishes. The
 * caller must not use `m` concurrently with this call. */
void cp_mutex_free(cp_mutex_t *m);

/* A future (new reference; value NULL) READY once the mutex is held by the
 * caller. NULL only when out of memory or m is NULL. */
cp_future_t *cp_mutex_lock(cp_mutex_t *m);

/* Releases the mutex, handing it to the next waiter. Returns 0, CP_EINVAL
 * (m NULL) or CP_ESTATE (not locked). */
int cp_mutex_unlock(cp_mutex_t *m);

/* True while some holder has the mutex. */
bool cp_mutex_locked(cp_mutex_t *m);

/* Lock futures waiting now (dropped ones count until their turn comes). */
size_t cp_mutex_waiting(cp_mutex_t *m);

/* lock → fn inside `pid` → unlock on any outcome. Returns a future that
 * follows the future fn returns (a new reference; NULL only when out of
 * memory). When the lock is discarded before it is held, fn does not run and
 * the result is DISCARDED; when `pid` is gone, the result is abandoned and
 * the mutex unlocked. arg_free(arg) runs exactly once. Needs the runtime. */
cp_future_t *cp_mutex_run(cp_mutex_t *m, const cp_upid_t *pid, cp_defer_then_fn fn, void *arg,
                          cp_free_fn arg_free);

#ifdef __cplusplus
}
#endif

#endif
