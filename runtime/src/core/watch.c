/* cp_watch: one small process per watched peer. It links to the peer (an
 * exited event says "down" at once) and to the watcher (it ends with it),
 * and probes the peer with the built-in "cproc.Probe" call on a period;
 * changes are dispatched into the watcher. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/watch.h"

/* What the watcher gave: shared with reports still queued in it. */
typedef struct watch_cb {
    _Atomic uint32_t refs;
    cp_watch_fn fn;
    void *arg;
    cp_free_fn arg_free;
} watch_cb_t;

typedef struct watch {
    cp_upid_t watcher, peer, me;
    uint64_t every_ns;
    watch_cb_t *cb;
    int known; /* -1 unknown, 0 down, 1 up */
    uint64_t probes; /* the probe in flight, to ignore stale answers */
    cp_future_t *inflight; /* its call, discarded if the watch ends first */
} watch_t;

static void cb_unref(watch_cb_t *cb)
{
    if (atomic_fetch_sub(&cb->refs, 1) != 1)
        return;
    if (cb->arg_free != NULL)
        cb->arg_free(cb->arg);
    free(cb);
}

typedef struct report {
    watch_cb_t *cb;
    cp_upid_t peer;
    bool up;
} report_t;

static void report_run(cp_process_t *self, void *args)
{
    report_t *r = args;
    r->cb->fn(self, &r->peer, r->up, r->cb->arg);
}

static void report_free(void *args)
{
    cb_unref(((report_t *)args)->cb);
}

static void set_state(watch_t *w, bool up)
{
    if (w->known == (int)up)
        return;
    w->known = up;
    atomic_fetch_add(&w->cb->refs, 1);
    report_t r = {w->cb, w->peer, up};
    cp_dispatch(&w->watcher, report_run, &r, sizeof r, report_free);
}

static void probe(cp_process_t *self, void *args);

static void schedule_probe(watch_t *w)
{
    cp_delay(w->every_ns, &w->me, probe, NULL, 0, NULL);
}

typedef struct answer {
    uint64_t probe;
} answer_t;

static void on_answer(cp_process_t *self, cp_future_t *f, void *arg)
{
    watch_t *w = cp_process_data(self);
    answer_t *a = arg;
    if (a->probe != w->probes)
        return;
    cp_future_unref(w->inflight);
    w->inflight = NULL;
    bool up = cp_future_is_ready(f);
    if (up && w->known != 1)
        cp_process_link(self, &w->peer); /* a fresh link for the new life */
    set_state(w, up);
    schedule_probe(w);
}

static void probe(cp_process_t *self, void *args)
{
    (void)args;
    watch_t *w = cp_process_data(self);
    cp_call_opts_t opts = {.timeout_ns = w->every_ns};
    static char dummy;
    cp_future_t *f = cp_call(&w->peer, &cp__probe_def, &dummy, NULL, &opts);
    answer_t *a = malloc(sizeof *a);
    if (a == NULL) {
        cp_future_unref(f);
        schedule_probe(w);
        return;
    }
    a->probe = ++w->probes;
    cp_future_on_any_defer(f, &w->me, on_answer, a, free);
    w->inflight = f;
}

static void watch_initialize(cp_process_t *self)
{
    watch_t *w = cp_process_data(self);
    w->me = cp_process_pid(self);
    cp_process_link(self, &w->watcher);
    cp_process_link(self, &w->peer);
    probe(self, NULL);
}

static void watch_exited(cp_process_t *self, const cp_upid_t *pid)
{
    watch_t *w = cp_process_data(self);
    if (cp_upid_equal(pid, &w->watcher)) {
        cp_process_terminate(&w->me, false);
        return;
    }
    /* The peer ended or its node went away: down now; the probes say
     * when it is back. */
    set_state(w, false);
}

static void watch_finalize(cp_process_t *self)
{
    watch_t *w = cp_process_data(self);
    if (w->inflight != NULL) {
        cp_future_discard(w->inflight); /* the call ends now */
        cp_future_unref(w->inflight);
        w->inflight = NULL;
    }
}

static void watch_destroy(void *data)
{
    watch_t *w = data;
    cb_unref(w->cb);
    free(w);
}

static const cp_process_ops_t watch_ops = {
    .initialize = watch_initialize,
    .finalize = watch_finalize,
    .exited = watch_exited,
    .destroy = watch_destroy,
};

int cp_watch(cp_process_t *self, const cp_upid_t *peer, uint64_t every_ns, cp_watch_fn fn,
             void *arg, cp_free_fn arg_free, cp_upid_t *watch)
{
    if (self == NULL || peer == NULL || cp_upid_is_null(peer) || fn == NULL || every_ns == 0) {
        if (arg_free != NULL)
            arg_free(arg);
        return CP_EINVAL;
    }
    watch_t *w = calloc(1, sizeof *w);
    watch_cb_t *cb = calloc(1, sizeof *cb);
    if (w == NULL || cb == NULL) {
        free(w);
        free(cb);
        if (arg_free != NULL)
            arg_free(arg);
        return CP_ENOMEM;
    }
    atomic_init(&cb->refs, 1);
    cb->fn = fn;
    cb->arg = arg;
    cb->arg_free = arg_free;
    w->cb = cb;
    w->watcher = cp_process_pid(self);
    w->peer = *peer;
    w->every_ns = every_ns;
    w->known = -1;
    char id[64];
    cp_process_id_generate("__watch__", id, sizeof id);
    int rc = cp_process_spawn(id, &watch_ops, w, watch);
    if (rc != 0)
        watch_destroy(w);
    return rc;
}

int cp_unwatch(const cp_upid_t *watch)
{
    return cp_process_terminate(watch, true);
}
