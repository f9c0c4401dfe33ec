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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/introspect.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"
#include "metrics/ask.h"
#include "metrics/format.h"
#include "metrics/metrics_http.h"
#include "transport/buf.h"

typedef struct proc {
    char *id;
    int state;
    uint64_t handled;
    char *events; /* "[...]", once answered (under the ask's lock) */
    bool bounded; /* mb holds its bounded mailbox's figures */
    cp_mailbox_stats_t mb;
} proc_t;

typedef struct psnap {
    cp_promise_t *promise;
    proc_t *v;
    size_t n;
} psnap_t;

static void psnap_free(void *p)
{
    psnap_t *s = p;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].id);
        free(s->v[i].events);
    }
    free(s->v);
    cp_promise_free(s->promise);
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

static void build(void *arg)
{
    psnap_t *s = arg;
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

/* Under the ask's lock, before the build. */
static void answer(void *arg, size_t i, cp_future_t *f)
{
    psnap_t *s = arg;
    if (cp_future_is_ready(f))
        s->v[i].events = strdup(cp_future_value(f)); /* NULL: shown busy */
    else if (cp_future_is_abandoned(f))
        s->v[i].events = strdup("[]"); /* ended meanwhile: nothing is pending */
}

static const cp__ask_ops_t ops = {answer, build, psnap_free};

cp_future_t *cp__processes_snapshot(uint64_t timeout_ns)
{
    psnap_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->promise = cp_promise_new(free);
    cp__proc_info_t *list = NULL;
    size_t n = 0;
    cp__ask_t *a = NULL;
    if (s->promise && cp__processes_list(&list, &n) == 0) {
        s->v = n ? calloc(n, sizeof *s->v) : NULL;
        if (s->v || !n)
            a = cp__ask_new(&ops, s);
    }
    if (!a) {
        cp__processes_list_free(list, n);
        free(s->v);
        cp_promise_free(s->promise);
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) { /* the ids move over */
        s->v[i] = (proc_t){list[i].id, list[i].state, list[i].events, NULL, false, {0}};
        list[i].id = NULL;
    }
    s->n = n;
    cp__processes_list_free(list, n);
    cp_future_t *out = cp_promise_future(s->promise);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < s->n; i++) {
        cp_upid_t pid;
        if (cp_upid_make(s->v[i].id, ip, port, &pid) != 0)
            continue;
        /* A bounded mailbox's figures are atomics: read from here, so a
         * busy process shows them too (no dispatch answers for it). */
        if (cp_mailbox_stats(&pid, &s->v[i].mb) == 0 && s->v[i].mb.bound)
            s->v[i].bounded = true;
        cp__ask_one(a, i, &pid, describe, NULL, 0, NULL); /* not asked: shown busy */
    }
    cp__ask_start(a, timeout_ns);
    cp__ask_unref(a);
    return out;
}
