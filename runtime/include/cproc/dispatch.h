/* cproc — dispatch, defer, delay and async.
 *
 * dispatch runs a function inside a process, asynchronously, in the order
 * dispatches reach it. The function's arguments travel as an "argument
 * block": `size` bytes copied from `args` into the event (small blocks need
 * no allocation), handed to the function as a pointer to that copy.
 *
 * Ownership of an argument block: the copy is borrowed by the function for
 * the call. `args_free` (may be NULL) runs exactly once on the copy: right
 * after the function returned, or when the event is dropped without
 * running (unknown or terminated process, a filter dropped it, the runtime
 * stopped). Use it to free what the block points to; a function that wants
 * to keep such a pointer sets the field to NULL in the block.
 *
 * Local dispatch never serializes anything. All functions are thread-safe
 * and need a running runtime.
 */
#ifndef CPROC_DISPATCH_H
#define CPROC_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Frees what an argument block owns (not the block itself). */
typedef void (*cp_args_free_fn)(void *args);

/* A dispatched function: `args` is the copied block (NULL when size 0). */
typedef void (*cp_dispatch_fn)(cp_process_t *self, void *args);

/* A dispatched function producing a future: return cp_future_ready(v, free)
 * for a plain value, or any future (ownership passes to the runtime).
 * Returning NULL fails the result. */
typedef cp_future_t *(*cp_dispatch_future_fn)(cp_process_t *self, void *args);

/* Queues fn(self, copy of args) in process `pid`. Returns 0; CP_ENOENT when
 * no such local process exists (args_free has then run); CP_EFULL when its
 * bounded mailbox refused the event (args_free has run; see mailbox.h);
 * CP_ENOMEM; or CP_ENOTSUP for a remote pid (dispatch is local only). Even after 0, the
 * event is dropped if the process terminates first. */
int cp_dispatch(const cp_upid_t *pid, cp_dispatch_fn fn, const void *args, size_t size,
                cp_args_free_fn args_free);

/* Like cp_dispatch(), and returns a future that follows the future fn
 * returns. If the event never runs (unknown or terminated process, dropped
 * by a filter) the future is abandoned: it stays pending and its
 * on_abandoned callbacks run. Returns NULL only when out of memory. */
cp_future_t *cp_dispatch_future(const cp_upid_t *pid, cp_dispatch_future_fn fn, const void *args,
                                size_t size, cp_args_free_fn args_free);

/* Dispatches fn after `delay_ns` on the runtime clock (see clock.h), as
 * libprocess's delay(). Returns 0, CP_ENOMEM, or CP_ESTATE (not running);
 * an unknown process is found out when the delay expires (then args_free
 * runs). */
int cp_delay(uint64_t delay_ns, const cp_upid_t *pid, cp_dispatch_fn fn, const void *args,
             size_t size, cp_args_free_fn args_free);

/* ---- defer: future callbacks that run inside a process -------------- */

/* A continuation deferred into a process: gets the READY value (borrowed,
 * alive for the call) and `arg`, and returns the next future (ownership
 * passes), like cp_then_fn. */
typedef cp_future_t *(*cp_defer_then_fn)(cp_process_t *self, void *value, void *arg);

/* A completion callback deferred into a process; `f` is borrowed. */
typedef void (*cp_defer_cb)(cp_process_t *self, cp_future_t *f, void *arg);

/* f.then(defer(pid, fn)): when f is READY, dispatches fn into `pid`; the
 * result follows what fn returns. Failure and discard pass through as with
 * cp_future_then(); if the process is gone when f completes, the result is
 * abandoned. arg_free(arg) runs exactly once. Returns a new reference, NULL
 * only when out of memory. */
cp_future_t *cp_future_then_defer(cp_future_t *f, const cp_upid_t *pid, cp_defer_then_fn fn,
                                  void *arg, cp_free_fn arg_free);

/* f.onAny(defer(pid, cb)): when f completes (any state), dispatches cb into
 * `pid` with f. Returns 0 or CP_ENOMEM. arg_free(arg) runs exactly once. */
int cp_future_on_any_defer(cp_future_t *f, const cp_upid_t *pid, cp_defer_cb cb, void *arg,
                           cp_free_fn arg_free);

/* ---- async: blocking work off the process threads -------------------- */

/* A blocking function; returns the value of the future (may be NULL). */
typedef void *(*cp_async_fn)(void *arg);

/* Runs fn(arg) on a separate thread pool and returns a future READY with
 * its result (freed with free_value). `arg` is the caller's until fn
 * returns (then arg_free(arg) runs, if not NULL). Returns NULL when out of
 * memory or not running (arg_free has then run). */
cp_future_t *cp_async(cp_async_fn fn, void *arg, cp_free_fn arg_free, cp_free_fn free_value);

#ifdef __cplusplus
}
#endif

#endif
