/* cproc — per-method metrics of generated actors.
 *
 * cproc-gen's actor stubs call these; a program never needs to. Every
 * generated actor type has one static cp_actor_metrics_t; its first spawn
 * registers, for each `on` message and each rpc, four metrics in the
 * metrics registry (cproc/metrics.h):
 *
 *   actor/<Actor>/on/<Message>/received     counter: messages that arrived
 *   actor/<Actor>/on/<Message>/failed       counter: did not unpack
 *   actor/<Actor>/on/<Message>/discarded    counter: no handler ran (NULL
 *                                           handler entry, or the process
 *                                           is not a <Actor>)
 *   actor/<Actor>/on/<Message>/latency_ms   timer: the handler's run time
 *                                           (sampled, see below)
 *   actor/<Actor>/rpc/<Rpc>/received        counter: calls served
 *   actor/<Actor>/rpc/<Rpc>/failed          counter: returned future FAILED
 *                                           (also "no handler")
 *   actor/<Actor>/rpc/<Rpc>/discarded       counter: returned future
 *                                           DISCARDED (e.g. the caller
 *                                           discarded the call)
 *   actor/<Actor>/rpc/<Rpc>/latency_ms      timer: from the handler's call
 *                                           until its future completed
 *
 * Counts are exact; latency is sampled: each thread times one handler run
 * in CP_METHOD_SAMPLE_DEFAULT (8; cp_method_latency_sampling() changes
 * it), which keeps two clock reads and the timer's lock off most calls.
 *
 * with <Actor> and <Message> the IDL's full names (pkg.Name) and <Rpc> the
 * rpc's name. The metrics are shared by every process of the actor type
 * and stay registered for the program's life (the registry outlives
 * runtime restarts), so spawning costs nothing after the first and the
 * number of metrics does not grow with the number of processes.
 *
 * Threads: every function is thread-safe; registration happens once even
 * when several threads spawn the first processes at the same time.
 */
#ifndef CPROC_ACTOR_METRICS_H
#define CPROC_ACTOR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_method_metrics {
    cp_metric_t *received, *failed, *discarded, *latency;
} cp_method_metrics_t;

/* One per generated actor type, static, zero-initialised apart from the
 * names; `methods[i]` is "on/<Message>" or "rpc/<Rpc>" and `m` has
 * `n_methods` entries. */
typedef struct cp_actor_metrics {
    const char *actor;
    const char *const *methods;
    size_t n_methods;
    cp_method_metrics_t *m;
    int registered; /* 0 no, 1 under way, 2 done (atomic builtins only) */
} cp_actor_metrics_t;

/* Registers am's metrics once per program (later calls return at once).
 * A name already taken (e.g. by the program) leaves that metric out: its
 * handle stays NULL and its updates do nothing. Never fails otherwise. */
void cp_actor_metrics_register(cp_actor_metrics_t *am);

/* A start time for cp_method_done()/cp_method_track(): the monotonic clock
 * in ns when this run's latency is sampled, else 0. */
uint64_t cp_method_start(void);

#define CP_METHOD_SAMPLE_DEFAULT 8u

/* Time one handler run in `every` per thread (1: all; 0 counts as 1).
 * For all actor types; takes effect at once. */
void cp_method_latency_sampling(unsigned every);

/* Outcomes of cp_method_done(). */
enum { CP_METHOD_OK = 0, CP_METHOD_FAILED, CP_METHOD_DISCARDED };

/* Counts one received message with its outcome; records the latency since
 * `start` (when not 0) if the outcome is CP_METHOD_OK. */
void cp_method_done(cp_method_metrics_t *mm, uint64_t start, int outcome);

/* Counts one received call whose handler returned `f` (borrowed) and
 * records, when f completes, its latency since `start` (when not 0) and whether it
 * failed or was discarded. */
void cp_method_track(cp_method_metrics_t *mm, uint64_t start, cp_future_t *f);

#ifdef __cplusplus
}
#endif

#endif
