/* Internal: ask a set of processes something, collect the answers, finish
 * once.
 *
 * A cp__ask_t dispatches a function into each process asked
 * (cp__ask_one), hands each answer to its user, and calls the user's
 * finish exactly once: when the last answer came, or when the timeout on
 * the runtime clock passed, or at cp__ask_close(), whichever is first.
 * Answers after that are dropped. It is shared (refcounted): the user's
 * data is freed, with ops->free, when the last reference goes, which may
 * be on any thread and after finish.
 *
 * Used by /__processes__ (processes_json.c), the queue depths
 * (queue_depth.c) and cp_metrics_snapshot() (snapshot.c).
 */
#ifndef CPROC_METRICS_ASK_H
#define CPROC_METRICS_ASK_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/dispatch.h"
#include "cproc/future.h"
#include "cproc/pid.h"

typedef struct cp__ask cp__ask_t;

typedef struct cp__ask_ops {
    /* Answer `i` (the index given to cp__ask_one): f is ready, failed or
     * abandoned (the process ended first). Runs at most once per ask and
     * only before finish, with the ask's lock held: it stores what it
     * needs and must not call into the ask. On any thread: the worker
     * that completed f, the asker's, or wherever f was abandoned. May be
     * NULL. */
    void (*answer)(void *user, size_t i, cp_future_t *f);
    /* Runs exactly once, without the lock: on the thread of the last
     * answer, on the loop thread (the timer), or in cp__ask_start() /
     * cp__ask_release() / cp__ask_close(). After it, user's data is no
     * longer written by answers. */
    void (*finish)(void *user);
    /* Frees user when the last reference goes. May be NULL. */
    void (*free)(void *user);
} cp__ask_ops_t;

/* A new ask holding one reference (the caller's) and the start: finish
 * cannot run before cp__ask_start(). `ops` is borrowed (static); `user`
 * is owned from here on success (NULL, out of memory: still the
 * caller's). Any thread. */
cp__ask_t *cp__ask_new(const cp__ask_ops_t *ops, void *user);

/* Dispatches fn(args) into pid (cp_dispatch_future(), same ownership of
 * args) and counts one answer pending, for index i; a process that is
 * gone answers at once, abandoned. Returns 0; or CP_ENOMEM, nothing asked
 * (args_free ran). Before cp__ask_start(); any thread. */
int cp__ask_one(cp__ask_t *a, size_t i, const cp_upid_t *pid, cp_dispatch_future_fn fn,
                const void *args, size_t size, cp_args_free_fn args_free);

/* Counts one more thing to wait for that is not a dispatch, released by
 * cp__ask_release() once (any thread, before or after finish). Takes a
 * reference that the release drops. Before cp__ask_start(). */
void cp__ask_hold(cp__ask_t *a);
void cp__ask_release(cp__ask_t *a);

/* Ends the start: arms the timeout (`timeout_ns` on the runtime clock;
 * UINT64_MAX: none; also none when nothing is pending or the timer cannot
 * start) and finishes now if nothing is pending. Once, from the thread
 * that made the ask. Does not drop the caller's reference. */
void cp__ask_start(cp__ask_t *a, uint64_t timeout_ns);

/* Finishes now if not finished yet (answers after this are dropped) and
 * cancels the timer. Any thread, not under the ask's lock. */
void cp__ask_close(cp__ask_t *a);

/* Any thread. The last unref frees user (ops->free); unref(NULL) is a
 * no-op. */
cp__ask_t *cp__ask_ref(cp__ask_t *a);
void cp__ask_unref(cp__ask_t *a);

#endif
