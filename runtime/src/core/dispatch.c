/* dispatch, dispatch_future, delay, defer and async. */
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/error.h"

static cp__event_t *make_dispatch(cp_dispatch_fn fn, cp_dispatch_future_fn future_fn,
                                  const void *args, size_t size, cp_args_free_fn args_free)
{
    cp__event_t *ev = cp__event_alloc(size);
    if (ev == NULL)
        return NULL;
    ev->kind = fn ? CP__EV_DISPATCH : CP__EV_DISPATCH_FUTURE;
    ev->u.d.fn = fn;
    ev->u.d.future_fn = future_fn;
    ev->u.d.args_free = args_free;
    ev->u.d.promise = NULL;
    ev->u.d.size = size;
    if (size)
        memcpy(CP__EVENT_PAYLOAD(ev), args, size);
    return ev;
}

/* args_free runs on a copy so the caller's block is never touched. */
static void free_callers_args(const void *args, size_t size, cp_args_free_fn args_free)
{
    if (args_free == NULL)
        return;
    if (size == 0) {
        args_free(NULL);
        return;
    }
    void *copy = malloc(size);
    if (copy) {
        memcpy(copy, args, size);
        args_free(copy);
        free(copy);
    }
}

int cp_dispatch(const cp_upid_t *pid, cp_dispatch_fn fn, const void *args, size_t size,
                cp_args_free_fn args_free)
{
    if (pid == NULL || fn == NULL || (size && args == NULL))
        return CP_EINVAL;
    struct cp_process *p = cp__process_lookup(pid);
    if (p == NULL) {
        free_callers_args(args, size, args_free);
        return atomic_load(&cp__rt.running) && !cp__upid_is_local(pid) ? CP_ENOTSUP : CP_ENOENT;
    }
    cp__event_t *ev = make_dispatch(fn, NULL, args, size, args_free);
    if (ev == NULL) {
        cp__process_unref(p);
        free_callers_args(args, size, args_free);
        return CP_ENOMEM;
    }
    int rc = cp__enqueue(p, ev); /* CP_EFULL: a bounded mailbox is full */
    cp__process_unref(p);
    return rc;
}

cp_future_t *cp_dispatch_future(const cp_upid_t *pid, cp_dispatch_future_fn fn, const void *args,
                                size_t size, cp_args_free_fn args_free)
{
    cp_promise_t *pr = cp_promise_new(NULL);
    if (pr == NULL) {
        free_callers_args(args, size, args_free);
        return NULL;
    }
    cp_future_t *f = cp_promise_future(pr);
    if (pid == NULL || fn == NULL || (size && args == NULL)) {
        cp_promise_fail(pr, "cp_dispatch_future: invalid argument");
        cp_promise_free(pr);
        return f;
    }
    struct cp_process *p = cp__process_lookup(pid);
    cp__event_t *ev = p ? make_dispatch(NULL, fn, args, size, args_free) : NULL;
    if (ev == NULL) {
        if (p)
            cp__process_unref(p);
        free_callers_args(args, size, args_free);
        cp_promise_free(pr); /* abandons f */
        return f;
    }
    ev->u.d.promise = pr;
    cp__enqueue(p, ev);
    cp__process_unref(p);
    return f;
}

/* ---- delay ---------------------------------------------------------------- */

struct delayed {
    cp_upid_t pid;
    cp__event_t *ev;
};

static void delay_fire(void *arg)
{
    struct delayed *d = arg;
    struct cp_process *p = cp__process_lookup(&d->pid);
    if (p) {
        cp__enqueue(p, d->ev);
        d->ev = NULL;
        cp__process_unref(p);
    }
}

static void delay_free(void *arg)
{
    struct delayed *d = arg;
    if (d->ev)
        cp__event_drop(d->ev);
    free(d);
}

int cp_delay(uint64_t delay_ns, const cp_upid_t *pid, cp_dispatch_fn fn, const void *args,
             size_t size, cp_args_free_fn args_free)
{
    if (pid == NULL || fn == NULL || (size && args == NULL))
        return CP_EINVAL;
    struct delayed *d = malloc(sizeof *d);
    cp__event_t *ev = d ? make_dispatch(fn, NULL, args, size, args_free) : NULL;
    if (ev == NULL) {
        free(d);
        free_callers_args(args, size, args_free);
        return CP_ENOMEM;
    }
    d->pid = *pid;
    d->ev = ev;
    return cp_timer_start(delay_ns, delay_fire, d, delay_free, NULL);
}

/* ---- defer ------------------------------------------------------------- */

/* The context of a deferred continuation. It holds a reference to the
 * source future so its value outlives the then-callback until the process
 * runs; that reference is dropped when the source is abandoned, so an
 * unreachable pending future does not keep itself alive. */
struct defer_ctx {
    _Atomic int refs;
    cp_future_t *_Atomic src;
    cp_upid_t pid;
    cp_defer_then_fn fn;
    void *arg;
    cp_free_fn arg_free;
};

struct defer_run {
    cp_future_t *src;
    cp_defer_then_fn fn;
    void *arg;
    cp_free_fn arg_free;
};

static void defer_ctx_unref(void *p)
{
    struct defer_ctx *c = p;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    cp_future_t *src = atomic_exchange(&c->src, NULL);
    if (src)
        cp_future_unref(src);
    if (c->arg_free)
        c->arg_free(c->arg);
    free(c);
}

static cp_future_t *defer_run_fn(cp_process_t *self, void *args)
{
    struct defer_run *r = args;
    return r->fn(self, cp_future_value(r->src), r->arg);
}

static void defer_run_free(void *args)
{
    struct defer_run *r = args;
    cp_future_unref(r->src);
    if (r->arg_free)
        r->arg_free(r->arg);
}

static cp_future_t *defer_then_cb(void *value, void *arg)
{
    struct defer_ctx *c = arg;
    struct defer_run r = {.src = atomic_exchange(&c->src, NULL),
                          .fn = c->fn,
                          .arg = c->arg,
                          .arg_free = c->arg_free};
    c->arg_free = NULL; /* moved into the dispatch */
    if (r.src == NULL)
        return cp_future_failed("deferred continuation lost its source");
    return cp_dispatch_future(&c->pid, defer_run_fn, &r, sizeof r, defer_run_free);
}

static void defer_abandoned_cb(cp_future_t *f, void *arg)
{
    struct defer_ctx *c = arg;
    cp_future_t *src = atomic_exchange(&c->src, NULL);
    if (src)
        cp_future_unref(src);
}

cp_future_t *cp_future_then_defer(cp_future_t *f, const cp_upid_t *pid, cp_defer_then_fn fn,
                                  void *arg, cp_free_fn arg_free)
{
    struct defer_ctx *c = malloc(sizeof *c);
    if (c == NULL) {
        if (arg_free)
            arg_free(arg);
        return NULL;
    }
    atomic_init(&c->refs, 2);
    atomic_init(&c->src, cp_future_ref(f));
    c->pid = *pid;
    c->fn = fn;
    c->arg = arg;
    c->arg_free = arg_free;
    if (cp_future_on_abandoned(f, defer_abandoned_cb, c, defer_ctx_unref) != 0)
        defer_ctx_unref(c);
    return cp_future_then(f, defer_then_cb, c, defer_ctx_unref);
}

struct defer_any {
    cp_future_t *f;
    cp_defer_cb cb;
    void *arg;
    cp_free_fn arg_free;
};

static void defer_any_run(cp_process_t *self, void *args)
{
    struct defer_any *a = args;
    a->cb(self, a->f, a->arg);
}

static void defer_any_free(void *args)
{
    struct defer_any *a = args;
    cp_future_unref(a->f);
    if (a->arg_free)
        a->arg_free(a->arg);
}

struct defer_any_ctx {
    cp_upid_t pid;
    cp_defer_cb cb;
    void *arg;
    cp_free_fn arg_free;
};

static void defer_any_cb(cp_future_t *f, void *arg)
{
    struct defer_any_ctx *c = arg;
    struct defer_any a = {cp_future_ref(f), c->cb, c->arg, c->arg_free};
    c->arg_free = NULL;
    cp_dispatch(&c->pid, defer_any_run, &a, sizeof a, defer_any_free);
}

static void defer_any_ctx_free(void *arg)
{
    struct defer_any_ctx *c = arg;
    if (c->arg_free)
        c->arg_free(c->arg);
    free(c);
}

int cp_future_on_any_defer(cp_future_t *f, const cp_upid_t *pid, cp_defer_cb cb, void *arg,
                           cp_free_fn arg_free)
{
    struct defer_any_ctx *c = malloc(sizeof *c);
    if (c == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_ENOMEM;
    }
    c->pid = *pid;
    c->cb = cb;
    c->arg = arg;
    c->arg_free = arg_free;
    return cp_future_on_any(f, defer_any_cb, c, defer_any_ctx_free);
}

/* ---- async ------------------------------------------------------------------ */

struct async_work {
    uv_work_t req;
    cp_async_fn fn;
    void *arg;
    cp_free_fn arg_free;
    void *result;
    cp_promise_t *promise;
};

static void async_work_cb(uv_work_t *req)
{
    struct async_work *w = req->data;
    w->result = w->fn(w->arg);
    if (w->arg_free)
        w->arg_free(w->arg);
}

static void async_after_cb(uv_work_t *req, int status)
{
    struct async_work *w = req->data;
    if (status == 0)
        cp_promise_set(w->promise, w->result);
    else
        cp_promise_fail(w->promise, "async work cancelled");
    cp_promise_free(w->promise);
    free(w);
}

static void async_start(void *arg)
{
    struct async_work *w = arg;
    w->req.data = w;
    if (uv_queue_work(cp__loop(), &w->req, async_work_cb, async_after_cb) != 0) {
        if (w->arg_free)
            w->arg_free(w->arg);
        cp_promise_fail(w->promise, "async: cannot queue work");
        cp_promise_free(w->promise);
        free(w);
    }
}

cp_future_t *cp_async(cp_async_fn fn, void *arg, cp_free_fn arg_free, cp_free_fn free_value)
{
    struct async_work *w = calloc(1, sizeof *w);
    cp_promise_t *pr = w ? cp_promise_new(free_value) : NULL;
    if (pr == NULL || fn == NULL) {
        if (pr)
            cp_promise_free(pr);
        free(w);
        if (arg_free)
            arg_free(arg);
        return NULL;
    }
    w->fn = fn;
    w->arg = arg;
    w->arg_free = arg_free;
    w->promise = pr;
    cp_future_t *f = cp_promise_future(pr);
    if (cp__loop_post(async_start, w) != 0) {
        cp_promise_free(pr);
        free(w);
        if (arg_free)
            arg_free(arg);
        cp_future_unref(f);
        return NULL;
    }
    return f;
}
