/* cproc — waiting on several futures: collect, await, select.
 *
 * Each takes an array of `n` futures (the array and the futures are
 * borrowed: the combinator keeps its own references) and returns a new
 * future the caller must cp_future_unref(). A NULL array with n > 0, or a
 * NULL element, gives a FAILED result saying so. Returns NULL only when
 * out of memory. Thread-safe; inputs may complete on any thread, and the
 * result completes on the thread that completes the deciding input.
 */
#ifndef CPROC_COLLECT_H
#define CPROC_COLLECT_H

#include <stddef.h>

#include "cproc/future.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of a collect() or await() future: the input futures, in input
 * order, each complete. It holds a reference to each (dropped when the
 * result is freed); the values inside stay owned by their futures, so
 * nothing is copied. Read-only: borrowed from the result future. */
typedef struct cp_collected {
    size_t count;
    cp_future_t **futures;
} cp_collected_t;

/* The i-th input's value (borrowed, valid while the result is held), or
 * NULL if it is not READY or i is out of range. */
void *cp_collected_value(const cp_collected_t *c, size_t i);

/* The i-th input future (borrowed; cp_future_ref() it to keep it), or NULL
 * if i is out of range. */
cp_future_t *cp_collected_future(const cp_collected_t *c, size_t i);

/* READY with a cp_collected_t when every input is READY (n == 0: at once).
 * FAILED with "Collect failed: <message>" as soon as one input fails;
 * DISCARDED as soon as one is discarded; abandoned if an input is
 * abandoned. A discard requested on the result is requested on every input,
 * then the result is DISCARDED at once (without waiting for the inputs). */
cp_future_t *cp_future_collect(cp_future_t *const *futures, size_t n);

/* READY with a cp_collected_t once every input is complete, whatever its
 * state: it never fails because an input did. Abandoned if an input is
 * abandoned. A discard requested on the result is requested on every
 * input, then the result is DISCARDED at once — the way to stop waiting for
 * a producer that ignores discards. */
cp_future_t *cp_future_await(cp_future_t *const *futures, size_t n);

/* READY as soon as one input becomes READY, with a reference to that input
 * as its value (cp_future_t *, borrowed from the result: read it with
 * cp_future_value()). Inputs that fail, are discarded or are abandoned are
 * ignored, as in libprocess; if all of them end that way the result is
 * abandoned. FAILED at once if n == 0. A discard requested on the result
 * makes it DISCARDED; the inputs are left alone (discard them yourself if
 * you no longer need them). */
cp_future_t *cp_future_select(cp_future_t *const *futures, size_t n);

#ifdef __cplusplus
}
#endif

#endif
