/* GET /__processes__ in libprocess's shape: each process's pending events
 * as a list, read inside the process itself (the only safe reader of its
 * mailbox), as libprocess dispatches into each process to describe it.
 *
 * [{"id":"pong","events":[{"type":"MESSAGE","name":"pingpong.Ping"},
 *   {"type":"DISPATCH"}],"state":"BLOCKED","handled":12}, ...]
 *
 * "state" and "handled" (events run so far) are cproc's own fields, and
 * "mailbox" for a process with a bounded mailbox (cproc/mailbox.h), read
 * from outside when the snapshot starts, so busy processes have it too. A
 * process that does not answer within the timeout (it is busy) is listed
 * with "events":[] and "busy":true. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/introspect.h"
#include "core/node.h"
#include "cproc/clock.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"
#include "metrics/format.h"
#include "metrics/metrics_http.h"
#include "transport/buf.h"

typedef struct proc {
    char *id;
    int state;
    uint64_t handled;
    char *events; /* "[...]", once answered (under mu) */
    bool bounded; /* mb holds its bounded mailbox's figures */
    cp_mailbox_stats_t mb;
} proc_t;

typedef struct psnap {
    atomic_uint refs;
    pthread_mutex_t mu;
    bool finished;
    size_t pending;
    bool has_timer;
    uint64_t timer_id;
    cp_promise_t *promise;
    proc_t *v;
    size_t n, cap;
    bool oom;
} psnap_t;

static void psnap_unref(void *p)
{
    psnap_t *s = p;
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].id);
        free(s->v[i].events);
    }
    free(s->v);
    cp_promise_free(s->promise);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const char *state_name(int s)
{
    static const char *const names[] = {"BOTTOM", "READY", "BLOCKED", "TERMINATING"};
    return s >= 0 && s < 4 ? names[s] : "UNKNOWN";
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const proc_t *)a)->id, ((const proc_t *)b)->id);
}

static void build(psnap_t *s)
{
    qsort(s->v, s->n, sizeof *s->v, by_id);
    cp__buf_t b;
    cp__buf_init(&b);
    int rc = cp__buf_append(&b, "[", 1);
    for (size_t i = 0; !rc && i < s->n; i++) {
        proc_t *p = &s->v[i];
        rc = cp__buf_append_str(&b, i ? ",{\"id\":" : "{\"id\":");
        if (!rc)
            rc = cp__json_string(&b, p->id, strlen(p->id));
        if (!rc)
            rc = cp__buf_append_str(&b, ",\"events\":");
        if (!rc)
            rc = cp__buf_append_str(&b, p->events ? p->events : "[]");
        if (!rc && p->bounded) {
            /* Read from outside (atomics): shown for busy processes too. */
            char m[192];
            int n = snprintf(m, sizeof m,
                             ",\"mailbox\":{\"bound\":%" PRIu32 ",\"policy\":\"%s\",\"queued\":%" PRIu32
                             ",\"rejected\":%" PRIu64 ",\"dropped\":%" PRIu64 "}",
                             p->mb.bound, p->mb.policy == CP_MAILBOX_REJECT ? "REJECT" : "DROP_OLDEST",
                             p->mb.queued, p->mb.rejected, p->mb.dropped);
            rc = cp__buf_append(&b, m, (size_t)n);
        }
        char tail[128];
        int n = snprintf(tail, sizeof tail, ",\"state\":\"%s\",\"handled\":%" PRIu64 "%s}",
                         state_name(p->state), p->handled, p->events ? "" : ",\"busy\":true");
        if (!rc)
            rc = cp__buf_append(&b, tail, (size_t)n);
    }
    if (!rc)
        rc = cp__buf_append(&b, "]", 2); /* and the NUL */
    if (rc || cp_promise_set(s->promise, b.data) != 0) {
        cp__buf_close(&b);
        cp_promise_fail(s->promise, "out of memory");
    }
}

static void finish(psnap_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool first = !s->finished;
    s->finished = true;
    bool cancel = s->has_timer;
    pthread_mutex_unlock(&s->mu);
    if (!first)
        return;
    if (cancel)
        cp_timer_cancel(s->timer_id);
    build(s);
}

static void one_less(psnap_t *s)
{
    pthread_mutex_lock(&s->mu);
    bool last = --s->pending == 0;
    pthread_mutex_unlock(&s->mu);
    if (last)
        finish(s);
}

static void on_timeout(void *arg)
{
    finish(arg);
}

static void gather(void *arg, const char *id, size_t id_len, int state, bool queued,
                   uint64_t events)
{
    psnap_t *s = arg;
    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        proc_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    char *copy = strndup(id, id_len);
    if (!copy) {
        s->oom = true;
        return;
    }
    s->v[s->n++] = (proc_t){copy, state, events, NULL, false, {0}};
}

/* ---- inside each process ---------------------------------------------- */

typedef struct walk {
    cp__buf_t b;
    int rc;
} walk_t;

static void one_event(void *arg, cp__event_type_t type, const char *name, size_t name_len)
{
    static const char *const types[] = {"DISPATCH", "MESSAGE", "EXITED", "TERMINATE"};
    walk_t *w = arg;
    if (w->rc)
        return;
    w->rc = cp__buf_append_str(&w->b, w->b.len > 1 ? ",{\"type\":\"" : "{\"type\":\"");
    if (!w->rc)
        w->rc = cp__buf_append_str(&w->b, types[type]);
    if (!w->rc)
        w->rc = cp__buf_append(&w->b, "\"", 1);
    if (!w->rc && name) {
        w->rc = cp__buf_append_str(&w->b, ",\"name\":");
        if (!w->rc)
            w->rc = cp__json_string(&w->b, name, name_len);
    }
    if (!w->rc)
        w->rc = cp__buf_append(&w->b, "}", 1);
}

static cp_future_t *describe(cp_process_t *self, void *args)
{
    walk_t w = {.rc = 0};
    cp__buf_init(&w.b);
    w.rc = cp__buf_append(&w.b, "[", 1);
    cp__mailbox_walk(self, one_event, &w);
    if (!w.rc)
        w.rc = cp__buf_append(&w.b, "]", 1);
    if (!w.rc)
        w.rc = cp__buf_append(&w.b, "", 1);
    if (w.rc) {
        cp__buf_close(&w.b);
        return cp_future_failed("out of memory");
    }
    return cp_future_ready(w.b.data, free);
}

typedef struct ask {
    atomic_uint refs;
    atomic_bool done;
    psnap_t *s;
    size_t i;
} ask_t;

static void ask_unref(void *p)
{
    ask_t *a = p;
    if (atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    psnap_unref(a->s);
    free(a);
}

static void ask_done(cp_future_t *f, void *arg)
{
    ask_t *a = arg;
    if (atomic_exchange(&a->done, true))
        return;
    psnap_t *s = a->s;
    if (cp_future_is_ready(f)) {
        char *copy = strdup(cp_future_value(f));
        pthread_mutex_lock(&s->mu);
        if (!s->finished && copy) {
            s->v[a->i].events = copy;
            copy = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        free(copy);
    } else if (cp_future_is_abandoned(f)) {
        /* Ended meanwhile: nothing is pending any more. */
        char *none = strdup("[]");
        pthread_mutex_lock(&s->mu);
        if (!s->finished && none) {
            s->v[a->i].events = none;
            none = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        free(none);
    }
    one_less(s);
}

cp_future_t *cp__processes_snapshot(uint64_t timeout_ns)
{
    psnap_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->mu, NULL);
    s->pending = 1;
    s->promise = cp_promise_new(free);
    if (s->promise)
        cp__processes_each(gather, s);
    if (!s->promise || s->oom) {
        psnap_unref(s);
        return NULL;
    }
    cp_future_t *out = cp_promise_future(s->promise);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < s->n; i++) {
        cp_upid_t pid;
        bool have_pid = cp_upid_make(s->v[i].id, ip, port, &pid) == 0;
        /* A bounded mailbox's figures are atomics: read from here, so a
         * busy process shows them too (no dispatch answers for it). */
        if (have_pid && cp_mailbox_stats(&pid, &s->v[i].mb) == 0 && s->v[i].mb.bound)
            s->v[i].bounded = true;
        ask_t *a = malloc(sizeof *a);
        cp_future_t *f = NULL;
        if (a && have_pid)
            f = cp_dispatch_future(&pid, describe, NULL, 0, NULL);
        if (!f) {
            free(a);
            continue;
        }
        atomic_init(&a->refs, 2);
        atomic_init(&a->done, false);
        a->s = s;
        a->i = i;
        atomic_fetch_add(&s->refs, 1);
        pthread_mutex_lock(&s->mu);
        s->pending++;
        pthread_mutex_unlock(&s->mu);
        cp_future_on_any(f, ask_done, a, ask_unref);
        cp_future_on_abandoned(f, ask_done, a, ask_unref);
        cp_future_unref(f);
    }
    pthread_mutex_lock(&s->mu);
    bool waiting = s->pending > 1;
    pthread_mutex_unlock(&s->mu);
    if (waiting && timeout_ns != UINT64_MAX) {
        atomic_fetch_add(&s->refs, 1);
        uint64_t id;
        if (cp_timer_start(timeout_ns, on_timeout, s, psnap_unref, &id) == 0) {
            pthread_mutex_lock(&s->mu);
            s->has_timer = true;
            s->timer_id = id;
            pthread_mutex_unlock(&s->mu);
        }
    }
    one_less(s);
    psnap_unref(s);
    return out;
}
