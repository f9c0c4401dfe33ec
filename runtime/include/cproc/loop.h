/* cproc — asynchronous loops.
 *
 * cp_loop() repeats iterate → body until body says break, without growing
 * the stack when steps complete synchronously. To run the steps inside a
 * process, have iterate/body dispatch (see dispatch.h) and return the
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

/* Runs the loop; the result is READY with the break value, FAILED or
 * DISCARDED when a step is, abandoned when a step is. A discard requested
 * on the result is requested on the step the loop is waiting for. arg is
 * shared by both functions; arg_free(arg) runs when the loop ends. A NULL
 * iterate skips that step (body gets NULL). */
cp_future_t *cp_loop(cp_loop_iterate_fn iterate, cp_loop_body_fn body, void *arg,
                     cp_free_fn arg_free);

#ifdef __cplusplus
}
#endif

#endif
