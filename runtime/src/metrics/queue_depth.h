/* Internal: processes/<type>/queued, the events waiting per process type,
 * measured when a snapshot asks.
 *
 * The mailbox of an unbounded process keeps no count (its enqueue and
 * dequeue stay free of one), so the snapshot measures: when it starts it
 * lists every process; one whose mailbox is empty counts 0; one with a
 * bounded mailbox counts that mailbox's own count, read from outside
 * then; any other is asked, with a dispatch, to count the events queued
 * behind that dispatch when it runs it (cp__mailbox_walk, inside the
 * process: the only safe reader of its queue). A process that has not run
 * the ask within the bound counts 1, all that is known (its mailbox was
 * not empty); one that ended counts 0.
 *
 * The asking and the bound are an ask (metrics/ask.h). Threads: new and
 * start on any thread, answers on workers, the bound's timer and figures
 * on the loop thread; the ask's lock orders them.
 */
#ifndef CPROC_METRICS_QUEUE_DEPTH_H
#define CPROC_METRICS_QUEUE_DEPTH_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/format.h"

typedef struct cp__qd cp__qd_t;

/* Lists the processes (the runtime running). NULL when out of memory. */
cp__qd_t *cp__qd_new(void);

/* Asks them; done(arg) runs exactly once, when every process asked has
 * answered (or ended), or `bound_ns` on the runtime clock passed, or
 * cp__qd_figures() came first: on any thread, possibly before this
 * returns. Once. */
void cp__qd_start(cp__qd_t *q, uint64_t bound_ns, void (*done)(void *arg), void *arg);

/* Adds processes/<type>/queued for every type listed; answers that come
 * later are ignored (and done runs now if it has not). Loop thread, after
 * cp__qd_start(). */
void cp__qd_figures(cp__qd_t *q, cp__fams_t *f);

/* Drops the caller's reference: what is still asked keeps q alive until
 * it answers or the bound passes. NULL is fine. Any thread. */
void cp__qd_free(cp__qd_t *q);

#endif
