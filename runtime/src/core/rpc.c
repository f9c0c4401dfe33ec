/* Calls, the server side (protocol.h): a process's rpc handlers, and the
 * calls running in it. A call runs from the moment its handler returns a
 * future until that future completes, the caller cancels (the future is
 * discarded), or the process ends (the caller is told "server process P
 * terminated" at once). Each running call is answered exactly once: to a
 * local caller by pointer, to a cproc caller with a reply carrying its id
 * and status, to a libprocess caller by type name. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/error.h"
#include "cproc/message.h"

typedef struct rpc_entry {
    struct rpc_entry *next;
    const cp_rpc_def_t *def;
    unsigned flags;
    cp_rpc_handler fn;
    void *arg;
    cp_free_fn arg_free;
} rpc_entry_t;

enum srv_kind { SRV_LOCAL, SRV_REMOTE, SRV_LEGACY };

typedef struct srv_call srv_call_t;

struct cp__rpc_server {
    pthread_mutex_t mu;
    _Atomic uint32_t refs; /* the process's, and one per running call */
    bool closed;           /* under mu */
    srv_call_t *running;   /* under mu */
    rpc_entry_t *entries;  /* inside the process only */
    cp_upid_t self;
};

struct srv_call {
    srv_call_t *prev, *next; /* in srv->running, under srv->mu */
    bool in_list;
    _Atomic uint32_t refs;   /* the list's, and one per future callback */
    _Atomic bool done;
    uint8_t kind;
    struct cp__rpc_server *srv;
    const cp_rpc_def_t *def;
    struct cp__call *client; /* SRV_LOCAL */
    cp_upid_t reply_to;      /* SRV_REMOTE, SRV_LEGACY */
    uint64_t id;
    void *request;
    cp_free_fn request_free;
    cp_future_t *f; /* the handler's */
};

/* ---- the built-in probe ---------------------------------------------- */

static char probe_value;

static size_t probe_size(const void *msg)
{
    (void)msg;
    return 0;
}

static size_t probe_pack(const void *msg, uint8_t *out)
{
    (void)msg;
    (void)out;
    return 0;
}

static void *probe_unpack(const void *body, size_t len)
{
    (void)body;
    return len == 0 ? &probe_value : NULL;
}

static void probe_free(void *msg)
{
    (void)msg;
}

static const cp_msgtype_t probe_type = {"cproc.Probe", probe_size, probe_pack, probe_unpack,
                                        probe_free};

const cp_rpc_def_t cp__probe_def = {"cproc.Probe", &probe_type, &probe_type};

static bool is_probe(const char *method, size_t len)
{
    return len == 11 && memcmp(method, "cproc.Probe", 11) == 0;
}

static void server_unref(struct cp__rpc_server *srv)
{
    if (atomic_fetch_sub(&srv->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

static void node_text(char *buf, size_t size)
{
    uint32_t ip;
    uint16_t port;
    cp__node_address(&ip, &port);
    snprintf(buf, size, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u,
             ip & 255u, port);
}

/* ---- answering ------------------------------------------------------- */

static void reply(const cp_upid_t *from, const cp_upid_t *to, uint64_t id, const char *name,
                  uint8_t status, const void *body, size_t len)
{
    cp__callmeta_t meta = {.kind = CP__CALL_REPLY, .status = status, .id = id};
    int rc = cp__call_send_meta(from, to, name, &meta, body, len);
    /* CP_ESTATE: the node is stopping, and says nothing more. */
    if (rc != 0)
        cp_log(rc == CP_ESTATE ? CP_LOG_DEBUG : CP_LOG_WARN, "rpc: cannot answer call %" PRIu64 ": %s",
               id, cp_strerror(rc));
}

static void reply_failed(const cp_upid_t *from, const cp_upid_t *to, uint64_t id,
                         const char *text)
{
    reply(from, to, id, "cproc.Failed", CP__CALL_FAILED, text, strlen(text));
}

/* Serializes a READY value and sends it as the answer. */
static void send_value(srv_call_t *sc, const void *value)
{
    const cp_msgtype_t *t = sc->def->response;
    size_t len = t->size(value);
    uint8_t small[512], *bytes = len <= sizeof small ? small : malloc(len);
    if (bytes == NULL) {
        if (sc->kind == SRV_REMOTE)
            reply_failed(&sc->srv->self, &sc->reply_to, sc->id, "out of memory on the server");
        return;
    }
    t->pack(value, bytes);
    if (sc->kind == SRV_REMOTE)
        reply(&sc->srv->self, &sc->reply_to, sc->id, t->name, CP__CALL_OK, bytes, len);
    else
        cp_send(&sc->srv->self, &sc->reply_to, t->name, bytes, len);
    if (bytes != small)
        free(bytes);
}

static void answer(srv_call_t *sc)
{
    cp_future_t *f = sc->f;
    cp_future_state_t st = cp_future_state(f);
    if (sc->kind == SRV_LOCAL) {
        cp__call_server_done(sc->client, f);
        return;
    }
    if (st == CP_FUTURE_READY) {
        send_value(sc, cp_future_value(f));
        return;
    }
    /* The same text as a local call's (call.c). */
    char abandoned[512];
    if (st != CP_FUTURE_FAILED && st != CP_FUTURE_DISCARDED) {
        char self[CP_UPID_STRLEN];
        cp_upid_format(&sc->srv->self, self, sizeof self);
        snprintf(abandoned, sizeof abandoned, "rpc %s: the handler's future in %s was abandoned",
                 sc->def->method, self);
    }
    const char *why = st == CP_FUTURE_FAILED      ? cp_future_failure(f)
                      : st == CP_FUTURE_DISCARDED ? "discarded"
                                                  : abandoned;
    if (sc->kind == SRV_LEGACY) {
        /* libprocess's Protocol has no failure message: the caller learns
         * only through its deadline or a broken link. */
        cp_log(CP_LOG_WARN, "%s: rpc %s: no response sent: %s", sc->srv->self.id,
               sc->def->method, why);
    } else if (st == CP_FUTURE_DISCARDED) {
        reply(&sc->srv->self, &sc->reply_to, sc->id, sc->def->response->name,
              CP__CALL_DISCARDED, NULL, 0);
    } else {
        reply_failed(&sc->srv->self, &sc->reply_to, sc->id, why);
    }
}

static void sc_unref(void *arg)
{
    srv_call_t *sc = arg;
    if (atomic_fetch_sub(&sc->refs, 1) != 1)
        return;
    if (sc->request_free != NULL && sc->request != NULL)
        sc->request_free(sc->request);
    if (sc->client != NULL)
        cp__call_unref(sc->client);
    cp_future_unref(sc->f);
    server_unref(sc->srv);
    free(sc);
}

/* Takes sc off its server's list; true when this call did (and so owns
 * the list's reference). */
static bool detach(srv_call_t *sc)
{
    struct cp__rpc_server *srv = sc->srv;
    pthread_mutex_lock(&srv->mu);
    bool was = sc->in_list;
    if (was) {
        if (sc->prev)
            sc->prev->next = sc->next;
        else
            srv->running = sc->next;
        if (sc->next)
            sc->next->prev = sc->prev;
        sc->in_list = false;
    }
    pthread_mutex_unlock(&srv->mu);
    return was;
}

/* The handler's future completed (or was abandoned): any thread. */
static void srv_done(cp_future_t *f, void *arg)
{
    (void)f;
    srv_call_t *sc = arg;
    if (atomic_exchange(&sc->done, true))
        return;
    bool owned = detach(sc);
    answer(sc);
    if (owned)
        sc_unref(sc);
}

/* Runs the handler and follows its future. `request` is owned. */
static void start(cp_process_t *self, struct cp__rpc_server *srv, rpc_entry_t *e,
                  srv_call_t *sc, const cp_upid_t *caller)
{
    cp_future_t *f = e->fn(self, caller, sc->request, e->arg);
    if (f == NULL)
        f = cp_future_failed("rpc %s: the handler returned no future", e->def->method);
    sc->f = f;
    atomic_fetch_add(&srv->refs, 1);
    sc->srv = srv;
    if (!cp_future_is_pending(f)) {
        /* Answered at once (the common case): no list, no callbacks. */
        atomic_init(&sc->refs, 1);
        atomic_store(&sc->done, true);
        answer(sc);
        sc_unref(sc);
        return;
    }
    atomic_init(&sc->refs, 3); /* list, on_any, on_abandoned */
    pthread_mutex_lock(&srv->mu);
    sc->in_list = true;
    sc->prev = NULL;
    sc->next = srv->running;
    if (srv->running)
        srv->running->prev = sc;
    srv->running = sc;
    pthread_mutex_unlock(&srv->mu);
    if (sc->kind == SRV_LOCAL)
        cp__call_server_started(sc->client, f);
    cp_future_on_any(f, srv_done, sc, sc_unref);
    cp_future_on_abandoned(f, srv_done, sc, sc_unref);
}

static srv_call_t *sc_new(uint8_t kind, const cp_rpc_def_t *def, void *request,
                          cp_free_fn request_free)
{
    srv_call_t *sc = calloc(1, sizeof *sc);
    if (sc == NULL) {
        if (request_free != NULL && request != NULL)
            request_free(request);
        return NULL;
    }
    sc->kind = kind;
    sc->def = def;
    sc->request = request;
    sc->request_free = request_free;
    return sc;
}

/* ---- the table of handlers ------------------------------------------- */

static struct cp__rpc_server *server_of(cp_process_t *self)
{
    if (self->ext == NULL && (self->ext = calloc(1, sizeof *self->ext)) == NULL)
        return NULL;
    if (self->ext->rpc == NULL) {
        struct cp__rpc_server *srv = calloc(1, sizeof *srv);
        if (srv == NULL)
            return NULL;
        pthread_mutex_init(&srv->mu, NULL);
        atomic_init(&srv->refs, 1);
        cp__process_fill_upid(self, &srv->self);
        self->ext->rpc = srv;
    }
    return self->ext->rpc;
}

static rpc_entry_t *find(struct cp__rpc_server *srv, const char *method, size_t len)
{
    if (srv == NULL)
        return NULL;
    for (rpc_entry_t *e = srv->entries; e != NULL; e = e->next)
        if (strlen(e->def->method) == len && memcmp(e->def->method, method, len) == 0)
            return e;
    return NULL;
}

static void legacy_serve(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    rpc_entry_t *e = arg;
    void *request = e->def->request->unpack(msg->body, msg->len);
    if (request == NULL) {
        cp_log(CP_LOG_WARN, "%s: rpc %s: dropped a malformed %s", self->id, e->def->method,
               msg->name);
        return;
    }
    srv_call_t *sc = sc_new(SRV_LEGACY, e->def, request, e->def->request->free);
    if (sc == NULL)
        return;
    sc->reply_to = *msg->from;
    start(self, self->ext->rpc, e, sc, msg->from);
}

int cp_process_install_rpc(cp_process_t *self, const cp_rpc_def_t *def, unsigned flags,
                           cp_rpc_handler fn, void *arg, cp_free_fn arg_free)
{
    if (self == NULL || def == NULL || def->method == NULL || def->request == NULL ||
        def->response == NULL || fn == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_EINVAL;
    }
    struct cp__rpc_server *srv = server_of(self);
    if (srv == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_ENOMEM;
    }
    rpc_entry_t *e = find(srv, def->method, strlen(def->method));
    if (e != NULL) {
        if (e->arg_free)
            e->arg_free(e->arg);
    } else {
        e = calloc(1, sizeof *e);
        if (e == NULL) {
            if (arg_free)
                arg_free(arg);
            return CP_ENOMEM;
        }
        e->next = srv->entries;
        srv->entries = e;
    }
    e->def = def;
    e->flags = flags;
    e->fn = fn;
    e->arg = arg;
    e->arg_free = arg_free;
    if (flags & CP_RPC_BY_TYPE_NAME)
        return cp_process_install(self, def->request->name, legacy_serve, e, NULL);
    return 0;
}

/* ---- requests -------------------------------------------------------- */

void cp__rpc_message(struct cp_process *p, const cp__callmeta_t *meta, const char *name,
                     const cp_upid_t *from, const void *body, size_t len)
{
    struct cp__rpc_server *srv = p->ext != NULL ? p->ext->rpc : NULL;
    if (meta->kind == CP__CALL_CANCEL) {
        cp_future_t *f = NULL;
        if (srv != NULL) {
            pthread_mutex_lock(&srv->mu);
            for (srv_call_t *sc = srv->running; sc != NULL; sc = sc->next)
                if (sc->kind == SRV_REMOTE && sc->id == meta->id &&
                    cp_upid_equal(&sc->reply_to, from)) {
                    f = cp_future_ref(sc->f);
                    break;
                }
            pthread_mutex_unlock(&srv->mu);
        }
        if (f != NULL) {
            cp_future_discard(f);
            cp_future_unref(f);
        }
        return;
    }
    if (meta->kind != CP__CALL_REQUEST)
        return;
    if (is_probe(meta->method, meta->method_len)) {
        cp_upid_t self;
        cp__process_fill_upid(p, &self);
        reply(&self, from, meta->id, "cproc.Probe", CP__CALL_OK, NULL, 0);
        return;
    }
    char text[512];
    rpc_entry_t *e = find(srv, meta->method, meta->method_len);
    if (e == NULL) {
        snprintf(text, sizeof text, "no handler for rpc %.*s in %s", (int)meta->method_len,
                 meta->method, p->id);
        cp_upid_t self;
        cp__process_fill_upid(p, &self);
        reply_failed(&self, from, meta->id, text);
        return;
    }
    if (strcmp(name, e->def->request->name) != 0) {
        snprintf(text, sizeof text, "rpc %s of %s takes %s, not %s", e->def->method, p->id,
                 e->def->request->name, name);
        reply_failed(&srv->self, from, meta->id, text);
        return;
    }
    void *request = e->def->request->unpack(body, len);
    if (request == NULL) {
        snprintf(text, sizeof text, "rpc %s of %s: malformed %s", e->def->method, p->id, name);
        reply_failed(&srv->self, from, meta->id, text);
        return;
    }
    srv_call_t *sc = sc_new(SRV_REMOTE, e->def, request, e->def->request->free);
    if (sc == NULL) {
        reply_failed(&srv->self, from, meta->id, "out of memory on the server");
        return;
    }
    sc->reply_to = *from;
    sc->id = meta->id;
    start(p, srv, e, sc, meta->has_caller ? &meta->caller : NULL);
}

void cp__rpc_local(struct cp_process *p, struct cp__call *c)
{
    const cp_rpc_def_t *def = cp__call_def(c);
    if (def == &cp__probe_def) {
        cp_future_t *ready = cp_future_ready(&probe_value, NULL);
        cp__call_server_done(c, ready);
        cp_future_unref(ready);
        return;
    }
    struct cp__rpc_server *srv = p->ext != NULL ? p->ext->rpc : NULL;
    rpc_entry_t *e = NULL;
    if (srv != NULL)
        for (e = srv->entries; e != NULL && e->def != def; e = e->next)
            ;
    if (e == NULL)
        e = find(srv, def->method, strlen(def->method));
    if (e == NULL || e->def->request != def->request || e->def->response != def->response) {
        cp__call_server_failed(c, "no handler for rpc %s in %s", def->method, p->id);
        return;
    }
    cp_free_fn request_free;
    void *request = cp__call_take_request(c, &request_free);
    srv_call_t *sc = sc_new(SRV_LOCAL, def, request, request_free);
    if (sc == NULL) {
        cp__call_server_failed(c, "rpc %s: out of memory on the server", def->method);
        return;
    }
    cp__call_ref(c);
    sc->client = c;
    start(p, srv, e, sc, cp__call_caller(c));
}

void cp__rpc_refuse(const cp__callmeta_t *meta, const cp_upid_t *from, const char *to_id,
                    size_t to_id_len, int why)
{
    char node[32], text[512];
    node_text(node, sizeof node);
    if (why == CP__REFUSE_FULL)
        snprintf(text, sizeof text, "mailbox full: server process %.*s@%s", (int)to_id_len,
                 to_id, node);
    else if (why == CP__REFUSE_TERMINATED)
        snprintf(text, sizeof text, "server process %.*s@%s terminated", (int)to_id_len, to_id,
                 node);
    else
        snprintf(text, sizeof text, "no process %.*s at node %s", (int)to_id_len, to_id, node);
    /* Answered in the name of the missing process: a reply needs a sender. */
    cp_upid_t self = CP_UPID_NULL;
    uint32_t ip;
    uint16_t port;
    cp__node_address(&ip, &port);
    snprintf(self.id, sizeof self.id, "%.*s", (int)to_id_len, to_id);
    self.ip = ip;
    self.port = port;
    reply_failed(&self, from, meta->id, text);
}

void cp__rpc_close(struct cp_process *p)
{
    struct cp__rpc_server *srv = p->ext != NULL ? p->ext->rpc : NULL;
    if (srv == NULL)
        return;
    p->ext->rpc = NULL;
    pthread_mutex_lock(&srv->mu);
    srv->closed = true;
    srv_call_t *list = srv->running;
    srv->running = NULL;
    for (srv_call_t *sc = list; sc != NULL; sc = sc->next)
        sc->in_list = false;
    pthread_mutex_unlock(&srv->mu);
    char node[32], text[512];
    node_text(node, sizeof node);
    snprintf(text, sizeof text, "server process %s@%s terminated", p->id, node);
    while (list != NULL) {
        srv_call_t *sc = list;
        list = sc->next;
        if (!atomic_exchange(&sc->done, true)) {
            if (sc->kind == SRV_LOCAL)
                cp__call_server_failed(sc->client, "%s", text);
            else if (sc->kind == SRV_REMOTE)
                reply_failed(&srv->self, &sc->reply_to, sc->id, text);
        }
        /* The handler's work is moot now. */
        cp_future_discard(sc->f);
        sc_unref(sc);
    }
    while (srv->entries != NULL) {
        rpc_entry_t *e = srv->entries;
        srv->entries = e->next;
        if (e->arg_free)
            e->arg_free(e->arg);
        free(e);
    }
    server_unref(srv);
}
