/* cproc — an asynchronous FIFO queue (libprocess's process::Queue).
 *
 * cp_queue_put() never blocks; cp_queue_get() returns a future that is
 * READY at once when an item is queued, or is completed by a later put.
 * Waiting getters are served first come, first served. A discard requested
 * on a pending get's future removes it from the waiters (the future becomes
 * DISCARDED) so that no item is ever handed to it.
 *
 * Ownership of items: cp_queue_put() takes ownership of `item`. It passes
 * to the future of the get that receives it: the item is that future's
 * value, borrowed by whoever holds a reference to the future, and freed with
 * the queue's `free_item` when the future's last reference goes. With a
 * NULL `free_item` the queue never frees an item: the getter owns what it
 * receives (it must free it itself) and items still queued at
 * cp_queue_free() are the caller's to drain first.
 *
 * A waiting get whose future is dropped without a discard (its last
 * reference unref'd and no callback registered on it) is skipped like a
 * discarded one: the item goes to the next waiting get or stays queued.
 *
 * Threads: every function is thread-safe and never blocks; a get's future
 * is completed on the thread calling the put that serves it (its callbacks
 * run there, with no queue lock held). No runtime is needed.
 */
#ifndef CPROC_QUEUE_H
#define CPROC_QUEUE_H

#include <stddef.h>

#include "cproc/future.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_queue cp_queue_t;

/* A new empty queue; `free_item` (may be NULL) frees items, see above.
 * NULL only when out of memory. */
cp_queue_t *cp_queue_new(cp_free_fn free_item);

/* Frees the queue (NULL is ignored): items still queued are freed with
 * free_item; the futures of gets still waiting are abandoned (they stay
 * pending and their on_abandoned callbacks run). Futures already handed out
 * stay valid. The caller must not use `q` concurrently with this call. */
void cp_queue_free(cp_queue_t *q);

/* Appends `item` or hands it to the oldest waiting get. Returns 0, or
 * CP_EINVAL (q NULL) / CP_ENOMEM, in which case the item stays the
 * caller's. */
int cp_queue_put(cp_queue_t *q, void *item);

/* A future of the next item (a new reference; NULL only when out of memory
 * or q is NULL). */
cp_future_t *cp_queue_get(cp_queue_t *q);

/* Items queued now (not handed out), and gets waiting now (a dropped get
 * counts until a put reaches it). */
size_t cp_queue_size(cp_queue_t *q);
size_t cp_queue_waiting(cp_queue_t *q);

#ifdef __cplusplus
}
#endif

#endif
