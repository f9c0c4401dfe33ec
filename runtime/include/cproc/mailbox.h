/* cproc — bounded mailboxes.
 *
 * A process's mailbox is unbounded by default (as libprocess's). A process
 * spawned with cp_process_spawn_bounded() has a bound on the events queued
 * for it and not yet started, and a policy for when it is reached:
 *
 * - CP_MAILBOX_REJECT: the event that would exceed the bound is refused.
 *   cp_dispatch() and cp_send() return CP_EFULL ("mailbox full", the
 *   arguments' args_free has run); cp_dispatch_future() returns a future
 *   FAILED with "mailbox full"; a typed call (cp_call) FAILS with a text
 *   starting "mailbox full", locally and from another node (whose call
 *   gets a `failed` reply, docs/wire.md); a message from another node is
 *   answered 503 Service Unavailable (404 stays "no such process"; senders'
 *   transports discard these answers today); a cp_delay()'d
 *   dispatch that finds the mailbox full is dropped. Nothing queued is lost.
 * - CP_MAILBOX_DROP_OLDEST: every event is accepted; when the process takes
 *   its next event while more than `bound` are queued, it drops the oldest
 *   ones (argument blocks freed, dispatch futures abandoned) until `bound`
 *   are left, so it always works on the newest. The bound is applied as the
 *   process consumes: while it is busy in one handler the queue can grow.
 *
 * Terminate and exited events are never refused, dropped or counted.
 * Refused and dropped events are counted per process (cp_mailbox_stats)
 * and in total (runtime/mailbox_rejected and runtime/mailbox_dropped in
 * /metrics/snapshot).
 *
 * Threads: thread-safe; the counts are atomic. Needs a running runtime.
 */
#ifndef CPROC_MAILBOX_H
#define CPROC_MAILBOX_H

#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cp_mailbox_policy {
    CP_MAILBOX_REJECT = 0,
    CP_MAILBOX_DROP_OLDEST,
} cp_mailbox_policy_t;

/* cp_process_spawn() with a mailbox bound (1 .. 2^31) and a policy. Returns
 * what cp_process_spawn() returns, or CP_EINVAL for a bound of 0 (use
 * cp_process_spawn for unbounded) or an unknown policy. */
int cp_process_spawn_bounded(const char *id, const cp_process_ops_t *ops, void *data,
                             uint32_t bound, cp_mailbox_policy_t policy, cp_upid_t *pid);

/* cp_process_spawn_ctx() with a mailbox bound and a policy, as
 * cp_process_spawn_bounded() (generated actors with `option mailbox` use
 * it). On error ctx stays the caller's. */
int cp_process_spawn_ctx_bounded(const char *id, const cp_process_ops_t *ops, void *data,
                                 void *ctx, cp_free_fn ctx_free, uint32_t bound,
                                 cp_mailbox_policy_t policy, cp_upid_t *pid);

typedef struct cp_mailbox_stats {
    uint32_t bound; /* 0: unbounded (then the counts stay 0) */
    cp_mailbox_policy_t policy;
    uint32_t queued; /* events waiting now (bounded mailboxes only) */
    uint64_t rejected, dropped;
} cp_mailbox_stats_t;

/* The mailbox figures of a local process. Returns 0, or CP_ENOENT. */
int cp_mailbox_stats(const cp_upid_t *pid, cp_mailbox_stats_t *out);

/* Totals over all processes since the program started. */
uint64_t cp_mailbox_rejected_total(void);
uint64_t cp_mailbox_dropped_total(void);

#ifdef __cplusplus
}
#endif

#endif
