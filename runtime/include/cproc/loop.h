/* cproc — asynchronous loops.
 *
 * cp_loop() repeats iterate → body until body says break, without growing
 * the stack when steps complete synchronously (a million synchronous
 * iterations run in constant stack).
 *
 * Threads: the steps run on the caller's thread while they complete
 * synchronously, then on whichever thread completes the step the loop is
 * waiting for; never two at once, so iterate/body need no locking between
 * themselves. The loop needs no runtime. To run the steps inside a process,
 * have iterate/body dispatch into it (see dispatch.h) and return the
 * dispatch's future.
 */
#ifndef CPROC_LOOP_H
#define CPROC_LOOP_H

#include "cproc/future.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Produces the next item: returns a future (ownership passes). */
typedef cp_future_t *(*cp_loop_iterate_fn)(void *arg);

/* Consumes an item (the iterate future's value, borrowed) and returns a
 * future of a control value made by cp_loop_continue() or cp_loop_break()
 * (ownership passes). */
typedef cp_future_t *(*cp_loop_body_fn)(void *item, void *arg);

/* A READY future telling the loop to go on. */
cp_future_t *cp_loop_continue(void);

/* A READY future telling the loop to stop with `value` (ownership passes
 * to the loop's result, freed with free_value). */
cp_future_t *cp_loop_break(void *value, cp_free_fn free_value);

/* Runs the loop and returns its result (a new reference; NULL only when
 * out of memory): READY with the break value, FAILED or DISCARDED when a
 * step is, abandoned when a step is. A step returning NULL fails the loop.
 * A discard requested on the result is requested on the step the loop is
 * waiting for (and on every later step); the loop ends when that step is
 * discarded. arg is shared by both functions; arg_free(arg) runs exactly
 * once, when the loop ends (at once on error). A NULL iterate skips that
 * step (body gets NULL); a NULL body gives a FAILED result. */
cp_future_t *cp_loop(cp_loop_iterate_fn iterate, cp_loop_body_fn body, void *arg,
                     cp_free_fn arg_free);

#ifdef __cplusplus
}
#endif

#endif
