/* Internal: CPU time of the worker threads, for the runtime's
 * worker-utilisation gauge. Each worker registers its thread's CPU clock
 * when it starts and removes it before it ends, so the sum only ever reads
 * clocks of live threads. */
#ifndef CPROC_METRICS_WORKER_CPU_H
#define CPROC_METRICS_WORKER_CPU_H

#include <stdint.h>

/* Called by a worker thread on itself, first and last thing. */
void cp__worker_cpu_enter(void);
void cp__worker_cpu_leave(void);

/* CPU time used so far by the registered workers, in ns; *n gets how
 * many there are. Any thread. */
uint64_t cp__workers_cpu_ns(unsigned *n);

#endif
