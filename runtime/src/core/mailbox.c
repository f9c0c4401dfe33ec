/* Bounded mailboxes: admission at enqueue (reject policy) and dropping
 * at dequeue (drop-oldest policy, the only place the oldest event can be
 * taken out of a multi-producer queue). Only processes with a bound pay
 * for the count. */
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/error.h"
#include "cproc/mailbox.h"

/* A bounded mailbox's state, apart from the process struct (whose two
 * cache lines are full): only bounded processes pay for it. */
struct cp__mb {
    uint32_t bound;
    uint8_t policy;
    _Atomic uint32_t queued;
    _Atomic uint64_t rejected, dropped;
};

/* The state for the process being spawned by this thread: how
 * cp_process_spawn_bounded() hands it to cp_process_spawn(), which installs
 * it before the process is published (cp__mailbox_init). */
static _Thread_local struct cp__mb *spawn_mb CP__TLS_IE;

/* Totals over all processes, for the metrics. */
static _Atomic uint64_t rejected_total, dropped_total;

static bool exempt(const cp__event_t *ev)
{
    return ev->kind == CP__EV_TERMINATE || ev->kind == CP__EV_EXITED;
}

void cp__mailbox_init(struct cp_process *p)
{
    /* A pooled struct may still carry the previous process's state. */
    free(p->mb);
    p->mb = spawn_mb;
    p->bounded = p->bounded_in = spawn_mb != NULL;
    spawn_mb = NULL;
}

void cp__mailbox_fini(struct cp_process *p)
{
    free(p->mb);
    p->mb = NULL;
    p->bounded = p->bounded_in = false;
}

/* A call request refused or dropped by the bound is answered FAILED with
 * "mailbox full" (not the "terminated" a plain drop would give). */
static void refuse_call(cp__event_t *ev)
{
    if (ev->kind != CP__EV_MESSAGE || ev->u.m.call == NULL ||
        ev->u.m.call->kind != CP__CALL_REQUEST)
        return;
    cp_upid_t from;
    cp__sender_upid(ev->u.m.from, &from);
    cp__rpc_refuse(ev->u.m.call, &from, ev->u.m.call->to_id, ev->u.m.call->to_id_len,
                   CP__REFUSE_FULL);
    ev->u.m.call->kind = CP__CALL_NONE; /* answered: cp__event_drop adds nothing */
}

int cp__mailbox_admit(struct cp_process *p, cp__event_t *ev)
{
    struct cp__mb *mb = p->mb;
    if (exempt(ev))
        return 0;
    uint32_t before = atomic_fetch_add_explicit(&mb->queued, 1, memory_order_relaxed);
    if (mb->policy != CP_MAILBOX_REJECT || before < mb->bound)
        return 0;
    atomic_fetch_sub_explicit(&mb->queued, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&mb->rejected, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rejected_total, 1, memory_order_relaxed);
    if (ev->kind == CP__EV_DISPATCH_FUTURE && ev->u.d.promise)
        cp_promise_fail(ev->u.d.promise, "mailbox full");
    refuse_call(ev);
    cp__event_drop(ev);
    return CP_EFULL;
}

void cp__mailbox_unadmit(struct cp_process *p, const cp__event_t *ev)
{
    if (!exempt(ev))
        atomic_fetch_sub_explicit(&p->mb->queued, 1, memory_order_relaxed);
}

bool cp__mailbox_skip(struct cp_process *p, cp__event_t *ev)
{
    struct cp__mb *mb = p->mb;
    if (exempt(ev))
        return false;
    uint32_t left = atomic_fetch_sub_explicit(&mb->queued, 1, memory_order_relaxed) - 1;
    if (mb->policy != CP_MAILBOX_DROP_OLDEST || left < mb->bound)
        return false;
    atomic_fetch_add_explicit(&mb->dropped, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&dropped_total, 1, memory_order_relaxed);
    refuse_call(ev);
    cp__event_drop(ev);
    return true;
}

int cp_process_spawn_bounded(const char *id, const cp_process_ops_t *ops, void *data,
                             uint32_t bound, cp_mailbox_policy_t policy, cp_upid_t *pid)
{
    return cp_process_spawn_ctx_bounded(id, ops, data, NULL, NULL, bound, policy, pid);
}

int cp_process_spawn_ctx_bounded(const char *id, const cp_process_ops_t *ops, void *data, void *ctx,
                                 cp_free_fn ctx_free, uint32_t bound, cp_mailbox_policy_t policy,
                                 cp_upid_t *pid)
{
    if (bound == 0 || bound > (UINT32_C(1) << 31) ||
        (policy != CP_MAILBOX_REJECT && policy != CP_MAILBOX_DROP_OLDEST))
        return CP_EINVAL;
    struct cp__mb *mb = calloc(1, sizeof *mb);
    if (!mb)
        return CP_ENOMEM;
    mb->bound = bound;
    mb->policy = (uint8_t)policy;
    spawn_mb = mb;
    int rc = cp_process_spawn_ctx(id, ops, data, ctx, ctx_free, pid);
    free(spawn_mb); /* not taken: the spawn failed before installing it */
    spawn_mb = NULL;
    return rc;
}

int cp_mailbox_stats(const cp_upid_t *pid, cp_mailbox_stats_t *out)
{
    struct cp_process *p = pid ? cp__process_lookup(pid) : NULL;
    if (!p)
        return CP_ENOENT;
    struct cp__mb *mb = p->mb;
    memset(out, 0, sizeof *out);
    if (mb) {
        out->bound = mb->bound;
        out->policy = (cp_mailbox_policy_t)mb->policy;
        out->queued = atomic_load_explicit(&mb->queued, memory_order_relaxed);
        out->rejected = atomic_load_explicit(&mb->rejected, memory_order_relaxed);
        out->dropped = atomic_load_explicit(&mb->dropped, memory_order_relaxed);
    }
    cp__process_unref(p);
    return 0;
}

uint64_t cp_mailbox_rejected_total(void)
{
    return atomic_load_explicit(&rejected_total, memory_order_relaxed);
}

uint64_t cp_mailbox_dropped_total(void)
{
    return atomic_load_explicit(&dropped_total, memory_order_relaxed);
}
