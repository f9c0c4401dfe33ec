/* cproc — waiting on several futures: collect, await, select.
 *
 * Each takes an array of futures (borrowed: the combinator keeps its own
 * references) and returns a new future the caller must unref.
 */
#ifndef CPROC_COLLECT_H
#define CPROC_COLLECT_H

#include <stddef.h>

#include "cproc/future.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of a collect() or await() future: the input futures, in input
 * order, each complete. It holds a reference to each; the values inside
 * stay owned by their futures. */
typedef struct cp_collected {
    size_t count;
    cp_future_t **futures;
} cp_collected_t;

/* The i-th input's value (borrowed), or NULL if it is not READY. */
void *cp_collected_value(const cp_collected_t *c, size_t i);

/* READY with a cp_collected_t when every input is READY (n == 0: at once);
 * FAILED with the first failure's message as soon as one fails; DISCARDED
 * as soon as one is discarded; abandoned if an input is abandoned. A
 * discard requested on the result is requested on every input. */
cp_future_t *cp_future_collect(cp_future_t *const *futures, size_t n);

/* READY with a cp_collected_t once every input is complete, whatever its
 * state; never FAILED. Abandoned if an input is abandoned. A discard
 * requested on the result is requested on every input. */
cp_future_t *cp_future_await(cp_future_t *const *futures, size_t n);

/* READY, as soon as one input completes (in any state), with a reference
 * to that input as its value (use cp_future_value() on it; it is unref'd
 * with the result). FAILED if n == 0. A discard requested on the result
 * is requested on every input. */
cp_future_t *cp_future_select(cp_future_t *const *futures, size_t n);

#ifdef __cplusplus
}
#endif

#endif
