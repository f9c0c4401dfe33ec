/* Calls, the client side (protocol.h): one record per call, ended exactly
 * once by whichever comes first of its answer, its deadline, a discard,
 * the loss of the server's node, or runtime stop. Remote calls sit in a
 * table by id, where replies find them; no process is spawned per call
 * (libprocess spawns a ReqResProcess). Replies by type name from
 * libprocess servers go to the node's one "__calls__" process and are
 * matched to the oldest pending call to that server for that type. */
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "core/counter.h"
#include "core/deadline.h"
#include "core/node.h"
#include "core/transport_ops.h"
#include "cproc/clock.h"
#include "cproc/error.h"
#include "cproc/message.h"

#define CALL_BUCKETS 1024u
#define CALLS_ID "__calls__"

struct cp__call {
    struct cp__call *tnext; /* table chain, remote calls */
    _Atomic uint32_t refs;
    _Atomic bool done;
    bool remote;
    bool in_table; /* under C.mu */
    /* local: where its dispatch is (LOCAL_*), so that a dispatch dropped
     * unrun reads as "terminated" and one never queued as "no process" */
    _Atomic int lstate;
    uint64_t id;
    _Atomic uint64_t timer; /* a timer of its own, when no deadline list took it */
    uint64_t timeout_ns;
    cp__deadline_t deadline; /* on a deadline list (deadline.h) */
    cp_promise_t *promise;
    const cp_rpc_def_t *def;
    cp_upid_t server;
    cp_upid_t from; /* remote: the node's calls process, which sent it */
    bool has_caller;
    cp_upid_t caller;
    /* local calls: the request until the server takes it, and the
     * server's handler future, to discard when the call ends first */
    void *request;
    cp_free_fn request_free;
    cp_future_t *_Atomic srv_future; /* a reference, set once */
};

/* The calls of this node. Any thread; `mu` guards the table and spawning
 * the calls process. */
static struct {
    pthread_mutex_t mu;
    struct cp__call *buckets[CALL_BUCKETS];
    _Atomic uint64_t next_id; /* of remote calls */
    cp__counter_t pending;
    _Atomic uint64_t default_ns;
    bool spawned;
    cp_upid_t calls_pid;
} C = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void fail(struct cp__call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stopped(cp__deadline_t *d);

uint64_t cp_call_default_timeout_ns(void)
{
    uint64_t ns = atomic_load_explicit(&C.default_ns, memory_order_relaxed);
    return ns ? ns : (uint64_t)CP_CALL_DEFAULT_TIMEOUT_MS * 1000000u;
}

uint64_t cp_call_pending(void)
{
    int64_t n = cp__counter_sum(&C.pending);
    return n > 0 ? (uint64_t)n : 0;
}

/* The first call id of this OS process: random, so that a node restarted
 * at the same address does not reuse its previous life's ids, and a reply
 * to one of those (sent again by a server node after a broken connection,
 * docs/wire.md) cannot complete a new call. Below 2^63: no wrap to 0. */
static uint64_t first_id(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * 0x9e3779b97f4a7c15u ^
               (uint64_t)getpid() << 32;
    }
    return seed >> 1;
}

void cp__calls_start(uint64_t default_ms)
{
    uint64_t ns = (default_ms ? default_ms : (uint64_t)CP_CALL_DEFAULT_TIMEOUT_MS) * 1000000u;
    atomic_store(&C.default_ns, ns);
    uint64_t zero = 0;
    atomic_compare_exchange_strong(&C.next_id, &zero, first_id());
    pthread_mutex_lock(&C.mu);
    C.spawned = false;
    pthread_mutex_unlock(&C.mu);
}

void cp__calls_stop(void)
{
    pthread_mutex_lock(&C.mu);
    C.spawned = false;
    pthread_mutex_unlock(&C.mu);
    /* The timers are gone: calls still on a deadline list end here. */
    cp__deadlines_drain(stopped);
}

/* ---- records -------------------------------------------------------- */

void cp__call_ref(struct cp__call *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void cp__call_unref(struct cp__call *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (c->request_free != NULL && c->request != NULL)
        c->request_free(c->request);
    cp_future_unref(atomic_load(&c->srv_future));
    cp_promise_free(c->promise);
    free(c);
}

static void unref_arg(void *c)
{
    cp__call_unref(c);
}

static size_t bucket(uint64_t id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 54) % CALL_BUCKETS;
}

static void table_remove_locked(struct cp__call *c)
{
    for (struct cp__call **pp = &C.buckets[bucket(c->id)]; *pp; pp = &(*pp)->tnext) {
        if (*pp == c) {
            *pp = c->tnext;
            c->in_table = false;
            return;
        }
    }
}

/* First step of ending a call: true for exactly one caller, who then
 * completes the promise. Releases the table entry and the timer at once. */
static bool finish_begin(struct cp__call *c, bool from_timer)
{
    if (atomic_exchange_explicit(&c->done, true, memory_order_acq_rel))
        return false;
    if (c->remote) {
        pthread_mutex_lock(&C.mu);
        if (c->in_table)
            table_remove_locked(c);
        pthread_mutex_unlock(&C.mu);
    }
    cp__counter_add(&C.pending, -1);
    if (cp__deadline_remove(&c->deadline))
        cp__call_unref(c); /* the list's reference */
    uint64_t t = atomic_load(&c->timer);
    if (!from_timer && t != 0)
        cp_timer_cancel(t);
    return true;
}

static void format_pid(const cp_upid_t *pid, char *buf, size_t size)
{
    cp_upid_format(pid, buf, size);
}

static void node_text(char *buf, size_t size, uint32_t ip, uint16_t port)
{
    snprintf(buf, size, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u,
             ip & 255u, port);
}

/* Tells the server that the caller gave up (deadline or discard). */
static void tell_server(struct cp__call *c)
{
    if (c->remote) {
        cp__callmeta_t meta = {.kind = CP__CALL_CANCEL, .id = c->id};
        cp__call_send_meta(&c->from, &c->server, "cproc.Cancel", &meta, NULL, 0);
        return;
    }
    /* Valid while c lives: its reference is dropped only when c is freed. */
    cp_future_t *f = atomic_load(&c->srv_future);
    if (f != NULL)
        cp_future_discard(f);
}

static void vfail(struct cp__call *c, bool from_timer, const char *fmt, va_list ap)
{
    if (!finish_begin(c, from_timer))
        return;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    cp_promise_fail(c->promise, "%s", text);
}

static void fail(struct cp__call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, false, fmt, ap);
    va_end(ap);
}

void cp__call_server_failed(struct cp__call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, false, fmt, ap);
    va_end(ap);
}

static void on_deadline(void *arg)
{
    struct cp__call *c = arg;
    if (!finish_begin(c, true))
        return;
    char server[CP_UPID_STRLEN];
    format_pid(&c->server, server, sizeof server);
    /* In ms when whole, else in the largest unit that is exact. */
    uint64_t ns = c->timeout_ns;
    const char *unit = ns % 1000000u == 0 ? "ms" : ns % 1000u == 0 ? "us" : "ns";
    uint64_t n = ns % 1000000u == 0 ? ns / 1000000u : ns % 1000u == 0 ? ns / 1000u : ns;
    cp_promise_fail(c->promise, "rpc %s to %s: deadline of %" PRIu64 " %s exceeded",
                    c->def->method, server, n, unit);
    tell_server(c);
}

void cp__deadline_expired(cp__deadline_t *d)
{
    struct cp__call *c = (struct cp__call *)((char *)d - offsetof(struct cp__call, deadline));
    on_deadline(c);
    cp__call_unref(c); /* the list's reference */
}

static void stopped(cp__deadline_t *d)
{
    struct cp__call *c = (struct cp__call *)((char *)d - offsetof(struct cp__call, deadline));
    fail(c, "rpc %s: the runtime stopped before the call ended", c->def->method);
    cp__call_unref(c);
}

/* The timer's reference: dropped when it fired, was cancelled, or the
 * runtime stopped (then the call ends here). */
static void deadline_free(void *arg)
{
    struct cp__call *c = arg;
    if (!atomic_load(&c->done))
        fail(c, "rpc %s: the runtime stopped before the call ended", c->def->method);
    cp__call_unref(c);
}

static void on_discard(cp_future_t *f, void *arg)
{
    (void)f;
    struct cp__call *c = arg;
    if (!finish_begin(c, false))
        return;
    cp_promise_discard(c->promise);
    tell_server(c);
}

/* ---- the local path (the server's side is in rpc.c) ------------------ */

const cp_rpc_def_t *cp__call_def(const struct cp__call *c)
{
    return c->def;
}

const cp_upid_t *cp__call_caller(const struct cp__call *c)
{
    return c->has_caller ? &c->caller : NULL;
}

void *cp__call_take_request(struct cp__call *c, cp_free_fn *request_free)
{
    void *r = c->request;
    *request_free = c->request_free;
    c->request = NULL;
    c->request_free = NULL;
    return r;
}

void cp__call_server_started(struct cp__call *c, cp_future_t *f)
{
    atomic_store(&c->srv_future, cp_future_ref(f));
    /* Ended (discard, deadline) before the handler ran: tell it now. */
    if (atomic_load(&c->done))
        cp_future_discard(f);
}

void cp__call_server_done(struct cp__call *c, cp_future_t *f)
{
    if (!finish_begin(c, false))
        return;
    switch (cp_future_state(f)) {
    case CP_FUTURE_READY:
        /* The response is shared with the handler's future, not copied. */
        cp_promise_associate(c->promise, f);
        break;
    case CP_FUTURE_FAILED:
        cp_promise_fail(c->promise, "%s", cp_future_failure(f));
        break;
    case CP_FUTURE_DISCARDED:
        cp_promise_discard(c->promise);
        break;
    default: {
        char server[CP_UPID_STRLEN];
        format_pid(&c->server, server, sizeof server);
        cp_promise_fail(c->promise, "rpc %s: the handler's future in %s was abandoned",
                        c->def->method, server);
        break;
    }
    }
}

typedef struct local_args {
    struct cp__call *c;
} local_args_t;

enum { LOCAL_DISPATCHING, LOCAL_QUEUED, LOCAL_RAN, LOCAL_DROPPED };

static void local_run(cp_process_t *self, void *args)
{
    struct cp__call *c = ((local_args_t *)args)->c;
    atomic_store(&c->lstate, LOCAL_RAN);
    cp__rpc_local(self, c);
}

static void fail_terminated(struct cp__call *c)
{
    char server[CP_UPID_STRLEN];
    format_pid(&c->server, server, sizeof server);
    fail(c, "server process %s terminated", server);
}

static void local_args_free(void *args)
{
    struct cp__call *c = ((local_args_t *)args)->c;
    int st = LOCAL_DISPATCHING;
    /* Still inside cp_dispatch: start_local reports it. */
    if (!atomic_compare_exchange_strong(&c->lstate, &st, LOCAL_DROPPED) && st == LOCAL_QUEUED)
        fail_terminated(c);
    cp__call_unref(c);
}

/* A copy of a borrowed request for a local server: packed and unpacked,
 * the one case in which a local call serializes. */
static void *copy_request(const cp_rpc_def_t *def, const void *request)
{
    size_t len = def->request->size(request);
    uint8_t small[512], *bytes = len <= sizeof small ? small : malloc(len);
    if (bytes == NULL)
        return NULL;
    def->request->pack(request, bytes);
    void *copy = def->request->unpack(bytes, len);
    if (bytes != small)
        free(bytes);
    return copy;
}

/* ---- the remote path ------------------------------------------------- */

static void legacy_reply(cp_process_t *self, const cp_message_t *msg, void *arg);

static void calls_initialize(cp_process_t *self)
{
    cp__process_install_fallback(self, legacy_reply, NULL);
}

static const cp_process_ops_t calls_ops = {.initialize = calls_initialize};

/* The node's calls process, spawned on first use. */
static int calls_pid(cp_upid_t *out)
{
    pthread_mutex_lock(&C.mu);
    int rc = 0;
    if (!C.spawned) {
        rc = cp_process_spawn(CALLS_ID, &calls_ops, NULL, &C.calls_pid);
        C.spawned = rc == 0;
    }
    *out = C.calls_pid;
    pthread_mutex_unlock(&C.mu);
    return rc;
}

int cp__calls_sender(cp_upid_t *out)
{
    return calls_pid(out);
}

/* Headers of cproc's call protocol (docs/wire.md). */
static size_t format_meta(char *buf, size_t size, const cp__callmeta_t *meta)
{
    static const char *const status[] = {"ok", "failed", "discarded"};
    int n = 0;
    switch (meta->kind) {
    case CP__CALL_REQUEST: {
        n = snprintf(buf, size, "Cproc-Call: %" PRIu64 "\r\nCproc-Method: %.*s\r\n", meta->id,
                     (int)meta->method_len, meta->method);
        if (meta->has_caller && n > 0 && (size_t)n < size) {
            char caller[CP_UPID_STRLEN];
            format_pid(&meta->caller, caller, sizeof caller);
            n += snprintf(buf + n, size - (size_t)n, "Cproc-Caller: %s\r\n", caller);
        }
        break;
    }
    case CP__CALL_REPLY:
        n = snprintf(buf, size, "Cproc-Reply: %" PRIu64 "\r\nCproc-Status: %s\r\n", meta->id,
                     status[meta->status % 3]);
        break;
    case CP__CALL_CANCEL:
        n = snprintf(buf, size, "Cproc-Cancel: %" PRIu64 "\r\n", meta->id);
        break;
    default:
        break;
    }
    return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

int cp__call_send_meta(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                       const cp__callmeta_t *meta, const void *body, size_t len)
{
    if (!cp__upid_is_local(to)) {
        char hdrs[256 + CP_UPID_STRLEN];
        size_t n = format_meta(hdrs, sizeof hdrs, meta);
        return cp__rt.transport->send_headers(from, to, name, body, len, hdrs, n);
    }
    if (meta->kind == CP__CALL_REPLY) {
        cp__call_on_reply(meta, from, body, len);
        return 0;
    }
    void *copy = NULL;
    if (len > 0 && (copy = malloc(len)) == NULL)
        return CP_ENOMEM;
    if (len > 0)
        memcpy(copy, body, len);
    return cp__deliver_call_local(to->id, strlen(to->id), name, strlen(name), from, copy, len,
                                  meta);
}

static struct cp__call *table_take(uint64_t id)
{
    pthread_mutex_lock(&C.mu);
    struct cp__call *c = C.buckets[bucket(id)];
    while (c != NULL && c->id != id)
        c = c->tnext;
    if (c != NULL)
        cp__call_ref(c);
    pthread_mutex_unlock(&C.mu);
    return c;
}

static void complete_ok(struct cp__call *c, const void *body, size_t len)
{
    void *value = c->def->response->unpack(body, len);
    if (!finish_begin(c, false)) {
        if (value != NULL)
            c->def->response->free(value);
        return;
    }
    if (value == NULL) {
        cp_promise_fail(c->promise, "rpc %s: malformed %s in the reply", c->def->method,
                        c->def->response->name);
    } else if (cp_promise_set(c->promise, value) != 0) {
        c->def->response->free(value);
    }
}

void cp__call_on_reply(const cp__callmeta_t *meta, const cp_upid_t *from, const void *body,
                       size_t len)
{
    struct cp__call *c = table_take(meta->id);
    if (c == NULL)
        return; /* ended already (deadline, discard): nothing to do */
    /* Only the called process (or its node, in its name) answers a call;
     * the address is not compared, as a node may advertise another. */
    if (from == NULL || strcmp(from->id, c->server.id) != 0) {
        cp_log(CP_LOG_DEBUG, "calls: a reply to call %" PRIu64 " from %s ignored", meta->id,
               from != NULL ? from->id : "nobody");
        cp__call_unref(c);
        return;
    }
    switch (meta->status) {
    case CP__CALL_OK:
        complete_ok(c, body, len);
        break;
    case CP__CALL_DISCARDED:
        if (finish_begin(c, false))
            cp_promise_discard(c->promise);
        break;
    default:
        fail(c, "%.*s", (int)(len > 1024 ? 1024 : len), len ? (const char *)body : "failed");
        break;
    }
    cp__call_unref(c);
}

void cp__call_reply_too_large(const cp__callmeta_t *meta, const cp_upid_t *from, uint64_t len,
                              uint64_t max)
{
    if (meta == NULL || meta->kind != CP__CALL_REPLY)
        return;
    struct cp__call *c = table_take(meta->id);
    if (c == NULL)
        return;
    if (from != NULL && strcmp(from->id, c->server.id) == 0) {
        char server[CP_UPID_STRLEN];
        format_pid(&c->server, server, sizeof server);
        fail(c,
             "rpc %s to %s: reply of %" PRIu64 " bytes exceeds CPROC_MAX_BODY_SIZE (%" PRIu64
             ") on this node",
             c->def->method, server, len, max);
    }
    cp__call_unref(c);
}

/* A reply by type name, from a libprocess server: the oldest pending call
 * to that server expecting that type takes it. */
static void legacy_reply(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    (void)self;
    (void)arg;
    struct cp__call *best = NULL;
    pthread_mutex_lock(&C.mu);
    for (size_t b = 0; b < CALL_BUCKETS; b++)
        for (struct cp__call *c = C.buckets[b]; c != NULL; c = c->tnext)
            if (cp_upid_equal(&c->server, msg->from) &&
                strcmp(c->def->response->name, msg->name) == 0 &&
                (best == NULL || c->id < best->id))
                best = c;
    if (best != NULL)
        cp__call_ref(best);
    pthread_mutex_unlock(&C.mu);
    if (best == NULL) {
        cp_log(CP_LOG_DEBUG, "calls: dropped '%s' (no call waits for it)", msg->name);
        return;
    }
    complete_ok(best, msg->body, msg->len);
    cp__call_unref(best);
}

bool cp__calls_pending_to(uint32_t ip, uint16_t port)
{
    bool any = false;
    pthread_mutex_lock(&C.mu);
    for (size_t b = 0; b < CALL_BUCKETS && !any; b++)
        for (struct cp__call *c = C.buckets[b]; c != NULL && !any; c = c->tnext)
            any = c->server.ip == ip && c->server.port == port && !atomic_load(&c->done);
    pthread_mutex_unlock(&C.mu);
    return any;
}

void cp__calls_node_lost(uint32_t ip, uint16_t port)
{
    struct cp__call *lost[64];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&C.mu);
        for (size_t b = 0; b < CALL_BUCKETS && n < 64; b++)
            for (struct cp__call *c = C.buckets[b]; c != NULL && n < 64; c = c->tnext)
                if (c->server.ip == ip && c->server.port == port && !atomic_load(&c->done)) {
                    cp__call_ref(c);
                    lost[n++] = c;
                }
        pthread_mutex_unlock(&C.mu);
        for (size_t i = 0; i < n; i++) {
            char node[32];
            node_text(node, sizeof node, ip, port);
            fail(lost[i], "node %s unreachable", node);
            cp__call_unref(lost[i]);
        }
        if (n < 64)
            return;
    }
}

/* ---- cp_call --------------------------------------------------------- */

static bool method_ok(const char *m)
{
    if (m == NULL || *m == '\0' || strlen(m) > 128)
        return false;
    for (const char *p = m; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.'))
            return false;
    return true;
}

static cp_future_t *failed_call(void *request, cp_free_fn request_free, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cp_future_t *failed_call(void *request, cp_free_fn request_free, const char *fmt, ...)
{
    if (request_free != NULL && request != NULL)
        request_free(request);
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cp_future_failed("%s", text);
}

static int start_remote(struct cp__call *c, void *request, cp_free_fn request_free)
{
    cp_upid_t from = c->from;
    int rc;
    size_t len = c->def->request->size(request);
    uint8_t small[512], *bytes = len <= sizeof small ? small : malloc(len);
    if (bytes == NULL) {
        if (request_free != NULL)
            request_free(request);
        fail(c, "rpc %s: out of memory", c->def->method);
        return CP_ENOMEM;
    }
    c->def->request->pack(request, bytes);
    if (request_free != NULL)
        request_free(request);
    /* Not when the call already ended (its deadline may be that short):
     * finish_begin() removed nothing then, and nothing would remove it. */
    pthread_mutex_lock(&C.mu);
    if (!atomic_load(&c->done)) {
        size_t b = bucket(c->id);
        c->tnext = C.buckets[b];
        C.buckets[b] = c;
        c->in_table = true;
    }
    pthread_mutex_unlock(&C.mu);
    cp__callmeta_t meta = {.kind = CP__CALL_REQUEST,
                           .id = c->id,
                           .method = c->def->method,
                           .method_len = strlen(c->def->method),
                           .has_caller = c->has_caller,
                           .caller = c->caller};
    rc = cp__call_send_meta(&from, &c->server, c->def->request->name, &meta, bytes, len);
    if (bytes != small)
        free(bytes);
    if (rc != 0) {
        char server[CP_UPID_STRLEN];
        format_pid(&c->server, server, sizeof server);
        fail(c, "rpc %s to %s: cannot send: %s", c->def->method, server, cp_strerror(rc));
    }
    return rc;
}

static int start_local(struct cp__call *c, void *request, cp_free_fn request_free)
{
    if (request_free == NULL) {
        request = copy_request(c->def, request);
        request_free = c->def->request->free;
        if (request == NULL) {
            fail(c, "rpc %s: cannot copy the request (out of memory)", c->def->method);
            return CP_ENOMEM;
        }
    }
    c->request = request;
    c->request_free = request_free;
    cp__call_ref(c); /* the dispatch's */
    local_args_t a = {c};
    int rc = cp_dispatch(&c->server, local_run, &a, sizeof a, local_args_free);
    int st = LOCAL_DISPATCHING;
    if (rc == 0 && !atomic_compare_exchange_strong(&c->lstate, &st, LOCAL_QUEUED) &&
        st == LOCAL_DROPPED) {
        fail_terminated(c); /* queued and dropped at once (a filter, or its end) */
    } else if (rc == CP_ENOENT) {
        char node[32];
        node_text(node, sizeof node, c->server.ip, c->server.port);
        fail(c, "no process %s at node %s", c->server.id, node);
    } else if (rc != 0) {
        char server[CP_UPID_STRLEN];
        format_pid(&c->server, server, sizeof server);
        if (rc == CP_EFULL)
            fail(c, "mailbox full: server process %s (rpc %s)", server, c->def->method);
        else
            fail(c, "rpc %s to %s: %s", c->def->method, server, cp_strerror(rc));
    }
    return rc;
}

cp_future_t *cp_call(const cp_upid_t *to, const cp_rpc_def_t *def, void *request,
                     cp_free_fn request_free, const cp_call_opts_t *opts)
{
    if (def == NULL || def->request == NULL || def->response == NULL || !method_ok(def->method))
        return failed_call(request, request_free, "rpc: invalid rpc definition");
    if (to == NULL || cp_upid_is_null(to) || request == NULL)
        return failed_call(request, request_free, "rpc %s: %s", def->method,
                           request == NULL ? "no request" : "no server pid");
    if (!atomic_load_explicit(&cp__rt.running, memory_order_acquire))
        return failed_call(request, request_free, "rpc %s: the runtime is not running",
                           def->method);
    struct cp__call *c = calloc(1, sizeof *c);
    cp_promise_t *promise = c != NULL ? cp_promise_new(def->response->free) : NULL;
    if (promise == NULL) {
        free(c);
        return failed_call(request, request_free, "rpc %s: out of memory", def->method);
    }
    atomic_init(&c->refs, 1);
    c->deadline.list = -1;
    c->promise = promise;
    c->def = def;
    c->server = *to;
    c->remote = !cp__upid_is_local(to);
    struct cp_process *self = cp__current;
    if (self != NULL) {
        cp__process_fill_upid(self, &c->caller);
        c->has_caller = true;
    }
    c->timeout_ns = opts != NULL && opts->timeout_ns ? opts->timeout_ns
                                                     : cp_call_default_timeout_ns();
    if (c->remote) {
        /* Only a remote call needs an id: its reply names it. */
        c->id = atomic_fetch_add(&C.next_id, 1) + 1;
        int src = calls_pid(&c->from);
        if (src != 0) {
            cp_promise_free(promise);
            free(c);
            return failed_call(request, request_free, "rpc %s: cannot spawn the calls process: %s",
                               def->method, cp_strerror(src));
        }
    }
    cp__counter_add(&C.pending, 1);
    cp_future_t *result = cp_promise_future(promise);

    /* The deadline first, so that nothing can end the call before its
     * deadline can be removed (finish_begin unlinks it, or cancels its
     * timer by id). */
    int rc = 0;
    cp__call_ref(c); /* the deadline list's */
    if (!cp__deadline_add(&c->deadline, c->timeout_ns)) {
        cp__call_unref(c);
        uint64_t timer = 0;
        cp__call_ref(c);
        rc = cp_timer_start(c->timeout_ns, on_deadline, c, deadline_free, &timer);
        atomic_store(&c->timer, timer);
    }
    if (rc == 0) {
        cp__call_ref(c);
        cp_future_on_discard(result, on_discard, c, unref_arg);
        if (c->remote)
            start_remote(c, request, request_free);
        else
            start_local(c, request, request_free);
    } else if (request_free != NULL) {
        request_free(request);
    }
    cp__call_unref(c);
    return result;
}
