/* process::Sequence in C: a FIFO of callbacks, at most one running.
 *
 * Starting the next callback happens in pump(), which one thread at a time
 * runs (the `pumping` flag): a callback whose future completes at once
 * does not recurse into the next one, so a long run of synchronous
 * callbacks uses constant stack. */
#include <stdbool.h>
#include <stdlib.h>

#include "async/waitlist.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/sequence.h"

typedef struct entry {
    struct entry *next;
    atomic_uint refs; /* the queue (until started) and the discard hook */
    bool queued;      /* under seq->core.mu */
    cp_sequence_t *seq;
    cp_promise_t *promise;
    cp_sequence_fn fn;
    void *arg;
    cp_free_fn arg_free;
    bool has_pid;
    cp_upid_t pid;
} entry_t;

struct cp_sequence {
    cp__async_core_t core; /* first */
    entry_t *head, *tail;
    size_t pending;
    bool running;
    bool pumping;
};

static void seq_destroy(cp__async_core_t *core)
{
    free(core);
}

cp_sequence_t *cp_sequence_new(void)
{
    cp_sequence_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    cp__async_core_init(&s->core, seq_destroy);
    return s;
}

static void entry_unref(entry_t *e)
{
    if (atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    cp_sequence_t *s = e->seq;
    cp_promise_free(e->promise);
    free(e);
    cp__async_core_unref(&s->core);
}

static void entry_drop_arg(entry_t *e)
{
    if (e->arg_free)
        e->arg_free(e->arg);
    e->arg_free = NULL;
}

static void unlink_entry(cp_sequence_t *s, entry_t *e)
{
    entry_t **pp = &s->head, *prev = NULL;
    while (*pp && *pp != e) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = e->next;
    if (s->tail == e)
        s->tail = prev;
    e->next = NULL;
    e->queued = false;
    s->pending--;
}

/* ---- one step ---------------------------------------------------------- */

typedef struct step {
    atomic_uint refs;
    atomic_bool done;
    cp_sequence_t *seq;
} step_t;

static void pump(cp_sequence_t *s);

static void step_unref(void *p)
{
    step_t *st = p;
    if (atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    cp__async_core_unref(&st->seq->core);
    free(st);
}

static void step_done(cp_future_t *f, void *arg)
{
    step_t *st = arg;
    if (atomic_exchange(&st->done, true))
        return;
    cp_sequence_t *s = st->seq;
    pthread_mutex_lock(&s->core.mu);
    s->running = false;
    pthread_mutex_unlock(&s->core.mu);
    pump(s);
}

typedef struct call {
    entry_t *e;
} call_t;

static cp_future_t *run_in_process(cp_process_t *self, void *args)
{
    entry_t *e = ((call_t *)args)->e;
    cp_future_t *f = e->fn(self, e->arg);
    entry_drop_arg(e);
    return f ? f : cp_future_failed("sequence callback returned NULL");
}

static void call_args_free(void *args)
{
    entry_t *e = ((call_t *)args)->e;
    entry_drop_arg(e); /* not run: the process was gone */
    entry_unref(e);
}

/* Runs e (started: no longer queued) and hooks the end of its future to
 * the next pump. Drops the queue's reference on e. */
static void start(cp_sequence_t *s, entry_t *e)
{
    cp_future_t *mine = cp_promise_future(e->promise);
    bool skip = cp_future_has_discard(mine);
    cp_future_unref(mine);
    if (skip) {
        cp_promise_discard(e->promise);
        entry_drop_arg(e);
        entry_unref(e);
        pthread_mutex_lock(&s->core.mu);
        s->running = false;
        pthread_mutex_unlock(&s->core.mu);
        return;
    }
    cp_future_t *f;
    if (e->has_pid) {
        atomic_fetch_add(&e->refs, 1); /* the dispatch's */
        call_t c = {e};
        f = cp_dispatch_future(&e->pid, run_in_process, &c, sizeof c, call_args_free);
        if (!f)
            f = cp_future_failed("out of memory");
    } else {
        f = e->fn(NULL, e->arg);
        entry_drop_arg(e);
        if (!f)
            f = cp_future_failed("sequence callback returned NULL");
    }
    step_t *st = f ? calloc(1, sizeof *st) : NULL;
    if (!f || !st) {
        cp_promise_fail(e->promise, "out of memory");
        free(st);
        cp_future_unref(f);
        entry_unref(e);
        pthread_mutex_lock(&s->core.mu);
        s->running = false;
        pthread_mutex_unlock(&s->core.mu);
        return;
    }
    cp_promise_associate(e->promise, f);
    entry_unref(e);
    atomic_init(&st->refs, 2);
    st->seq = s;
    cp__async_core_ref(&s->core);
    cp_future_on_any(f, step_done, st, step_unref);
    cp_future_on_abandoned(f, step_done, st, step_unref);
    cp_future_unref(f);
}

static void pump(cp_sequence_t *s)
{
    pthread_mutex_lock(&s->core.mu);
    if (s->pumping) {
        pthread_mutex_unlock(&s->core.mu);
        return;
    }
    s->pumping = true;
    while (!s->running && s->head) {
        entry_t *e = s->head;
        unlink_entry(s, e);
        s->running = true;
        pthread_mutex_unlock(&s->core.mu);
        start(s, e);
        pthread_mutex_lock(&s->core.mu);
    }
    s->pumping = false;
    pthread_mutex_unlock(&s->core.mu);
}

/* ---- adding and discarding --------------------------------------------- */

static void on_discard(cp_future_t *f, void *arg)
{
    entry_t *e = arg;
    cp_sequence_t *s = e->seq;
    pthread_mutex_lock(&s->core.mu);
    bool mine = e->queued;
    if (mine)
        unlink_entry(s, e);
    pthread_mutex_unlock(&s->core.mu);
    if (mine) {
        cp_promise_discard(e->promise);
        entry_drop_arg(e);
        entry_unref(e); /* the queue's */
    }
}

static void hook_free(void *arg)
{
    entry_unref(arg);
}

cp_future_t *cp_sequence_add(cp_sequence_t *s, const cp_upid_t *pid, cp_sequence_fn fn, void *arg,
                             cp_free_fn arg_free)
{
    entry_t *e = s && fn ? calloc(1, sizeof *e) : NULL;
    if (e)
        e->promise = cp_promise_new(NULL);
    if (!e || !e->promise) {
        free(e);
        if (arg_free)
            arg_free(arg);
        return NULL;
    }
    atomic_init(&e->refs, 2);
    e->seq = s;
    e->fn = fn;
    e->arg = arg;
    e->arg_free = arg_free;
    if (pid) {
        e->has_pid = true;
        e->pid = *pid;
    }
    cp__async_core_ref(&s->core);
    cp_future_t *f = cp_promise_future(e->promise);
    pthread_mutex_lock(&s->core.mu);
    e->queued = true;
    if (s->tail)
        s->tail->next = e;
    else
        s->head = e;
    s->tail = e;
    s->pending++;
    pthread_mutex_unlock(&s->core.mu);
    cp_future_on_discard(f, on_discard, e, hook_free);
    pump(s);
    return f;
}

void cp_sequence_free(cp_sequence_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->core.mu);
    entry_t *list = s->head;
    for (entry_t *e = list; e; e = e->next)
        e->queued = false;
    s->head = s->tail = NULL;
    s->pending = 0;
    pthread_mutex_unlock(&s->core.mu);
    while (list) {
        entry_t *e = list;
        list = e->next;
        cp_promise_discard(e->promise);
        entry_drop_arg(e);
        entry_unref(e);
    }
    cp__async_core_unref(&s->core);
}

size_t cp_sequence_pending(cp_sequence_t *s)
{
    if (!s)
        return 0;
    pthread_mutex_lock(&s->core.mu);
    size_t n = s->pending;
    pthread_mutex_unlock(&s->core.mu);
    return n;
}
