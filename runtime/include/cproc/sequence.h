/* cproc — a sequence: callbacks run strictly one after another
 * (libprocess's process::Sequence).
 *
 * cp_sequence_add() queues a callback that returns a future. Callbacks
 * start in the order they were added, each only once the future of the one
 * before it is no longer pending (READY, FAILED, DISCARDED, or abandoned):
 * a failure or discard of one does not stop the ones after it. The future
 * add() returns follows the callback's future.
 *
 * Discard: discarding the future of a callback that has not started
 * removes it (it never runs; its future is DISCARDED at once); once
 * started, the discard request is forwarded to the callback's future and
 * the next callback waits until that future actually completes.
 * cp_sequence_free() discards every callback that has not started; the one
 * running (if any) goes on and its future stays valid.
 *
 * Ownership: arg_free(arg) runs exactly once: after the callback ran, or
 * when it is dropped without running (discarded, sequence freed, or its
 * process gone).
 *
 * Threads: every function is thread-safe and never blocks. With a `pid`,
 * the callback runs inside that process (as dispatch); without, it runs on
 * the thread that completed the previous callback's future, or on the
 * adding thread when nothing was running. Sequences need the runtime only
 * for the `pid` form.
 */
#ifndef CPROC_SEQUENCE_H
#define CPROC_SEQUENCE_H

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_sequence cp_sequence_t;

/* A callback in a sequence: `self` is the process it runs in (NULL in the
 * pid-less form). Returns a future (ownership passes); NULL fails it. */
typedef cp_future_t *(*cp_sequence_fn)(cp_process_t *self, void *arg);

/* A new empty sequence; NULL only when out of memory. */
cp_sequence_t *cp_sequence_new(void);

/* Frees the sequence (NULL is ignored): callbacks not started are
 * discarded (their futures become DISCARDED, their arg_free runs). Do not
 * call add() on it concurrently with or after this call. */
void cp_sequence_free(cp_sequence_t *s);

/* Queues fn(self, arg) to run after every callback added before it (into
 * `pid` when not NULL; copied). Returns a future that follows fn's future
 * (new reference): DISCARDED when removed before it ran, abandoned when
 * `pid` was gone at its turn. NULL only when out of memory or s or fn is
 * NULL (arg_free has then run). */
cp_future_t *cp_sequence_add(cp_sequence_t *s, const cp_upid_t *pid, cp_sequence_fn fn, void *arg,
                             cp_free_fn arg_free);

/* Callbacks added and not started yet. */
size_t cp_sequence_pending(cp_sequence_t *s);

#ifdef __cplusplus
}
#endif

#endif
