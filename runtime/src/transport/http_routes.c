/* Routes installed by processes, and the serving of a request by one.
 *
 * The route table is shared by every thread under one mutex; a route is
 * reference-counted so that a handler running in its process keeps its
 * arg alive while the route is replaced. A request is copied into one
 * block, dispatched into the process, and the handler's future is watched
 * from whatever thread completes it: the response is encoded there and
 * handed to the loop thread, which writes it in the connection's order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "transport/http_internal.h"
#include "transport/routes.h"
#include "transport/server.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

typedef struct route {
    struct route *next;
    _Atomic unsigned refs;
    cp_upid_t pid;
    char *path;
    size_t path_len;
    cp_http_handler handler;
    void *arg;
    cp_free_fn arg_free;
} route_t;

static pthread_mutex_t routes_mu = PTHREAD_MUTEX_INITIALIZER;
static route_t *routes;

static void route_unref(route_t *r)
{
    if (atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    if (r->arg_free)
        r->arg_free(r->arg);
    free(r->path);
    free(r);
}

static bool route_path_ok(const char *path)
{
    return path && path[0] == '/' && !strpbrk(path, "?# \r\n\t");
}

int cp_http_route(cp_process_t *self, const char *path, cp_http_handler handler, void *arg,
                  cp_free_fn arg_free)
{
    route_t *r = NULL;
    if (!self || !handler || !route_path_ok(path) || !(r = calloc(1, sizeof *r)) ||
        !(r->path = strdup(path))) {
        int rc = r ? CP_ENOMEM : (self && handler && route_path_ok(path) ? CP_ENOMEM : CP_EINVAL);
        free(r);
        if (arg_free)
            arg_free(arg);
        return rc;
    }
    r->path_len = strlen(path);
    /* "/stats/" and "/stats" name the same route. */
    if (r->path_len > 1 && r->path[r->path_len - 1] == '/')
        r->path[--r->path_len] = '\0';
    atomic_init(&r->refs, 1);
    r->pid = cp_process_pid(self);
    r->handler = handler;
    r->arg = arg;
    r->arg_free = arg_free;
    route_t *old = NULL;
    pthread_mutex_lock(&routes_mu);
    for (route_t **pp = &routes; *pp; pp = &(*pp)->next) {
        if (cp_upid_equal(&(*pp)->pid, &r->pid) && !strcmp((*pp)->path, r->path)) {
            old = *pp;
            *pp = old->next;
            break;
        }
    }
    r->next = routes;
    routes = r;
    pthread_mutex_unlock(&routes_mu);
    if (old)
        route_unref(old);
    return 0;
}

int cp_http_unroute(cp_process_t *self, const char *path)
{
    if (!self || !path)
        return CP_EINVAL;
    cp_upid_t pid = cp_process_pid(self);
    size_t n = strlen(path);
    if (n > 1 && path[n - 1] == '/')
        n--;
    route_t *old = NULL;
    pthread_mutex_lock(&routes_mu);
    for (route_t **pp = &routes; *pp; pp = &(*pp)->next) {
        if (cp_upid_equal(&(*pp)->pid, &pid) && (*pp)->path_len == n &&
            !memcmp((*pp)->path, path, n)) {
            old = *pp;
            *pp = old->next;
            break;
        }
    }
    pthread_mutex_unlock(&routes_mu);
    if (!old)
        return CP_ENOENT;
    route_unref(old);
    return 0;
}

void cp__http_routes_free(void)
{
    pthread_mutex_lock(&routes_mu);
    route_t *list = routes;
    routes = NULL;
    pthread_mutex_unlock(&routes_mu);
    while (list) {
        route_t *next = list->next;
        route_unref(list);
        list = next;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cp__http_routes_help(cp__buf_t *out, const char *id, size_t id_len)
{
    pthread_mutex_lock(&routes_mu);
    size_t n = 0;
    for (route_t *r = routes; r; r = r->next)
        n++;
    char **lines = calloc(n ? n : 1, sizeof *lines);
    size_t k = 0;
    int rc = lines ? 0 : CP_ENOMEM;
    for (route_t *r = routes; !rc && r; r = r->next) {
        size_t il = strlen(r->pid.id);
        if (id && (il != id_len || memcmp(r->pid.id, id, il)))
            continue;
        char *s = malloc(il + r->path_len + 3);
        if (!s) {
            rc = CP_ENOMEM;
            break;
        }
        s[0] = '/';
        memcpy(s + 1, r->pid.id, il);
        memcpy(s + 1 + il, r->path, r->path_len + 1);
        lines[k++] = s;
    }
    pthread_mutex_unlock(&routes_mu);
    if (lines)
        qsort(lines, k, sizeof *lines, cmp_str);
    for (size_t i = 0; i < k; i++) {
        if (!rc)
            rc = cp__buf_append_str(out, lines[i]);
        if (!rc)
            rc = cp__buf_append(out, "\n", 1);
        free(lines[i]);
    }
    free(lines);
    return rc;
}

/* ---- serving ---------------------------------------------------------- */

/* One request on its way through a process and back. Three references:
 * the loop's, and one per future callback registered. */
typedef struct call {
    _Atomic unsigned refs;
    atomic_bool answered;
    route_t *route;
    cp__http_slot_t *slot; /* loop thread only */
    cp__buf_t answer;
    bool close;
    bool encode_failed;
    cp_http_request_t req;
    cp_http_header_t *headers;
    char *store; /* every string and the body */
} call_t;

static void call_unref(void *p)
{
    call_t *c = p;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    route_unref(c->route);
    cp__buf_close(&c->answer);
    free(c->headers);
    free(c->store);
    free(c);
}

static void call_finish_on_loop(void *p)
{
    call_t *c = p;
    cp__http_slot_t *s = c->slot;
    cp__buf_swap(&s->bytes, &c->answer);
    if (c->encode_failed)
        s->close = true;
    cp__http_slot_complete(s);
    call_unref(c);
}

static void call_answer(call_t *c, cp_future_t *f)
{
    if (atomic_exchange(&c->answered, true))
        return;
    const cp_http_response_t *r = f && cp_future_is_ready(f) ? cp_future_value(f) : NULL;
    int rc;
    if (r) {
        rc = cp__http_response_encode(r, &c->answer, c->close);
    } else {
        bool gone = !f || cp_future_is_abandoned(f);
        const char *msg = gone ? "process ended" : "handler failed";
        rc = cp__wire_encode_response(&c->answer, gone ? 404 : 500, "Content-Type: text/plain\r\n",
                                      msg, strlen(msg), c->close);
    }
    if (rc)
        c->encode_failed = true;
    atomic_fetch_add(&c->refs, 1);
    if (cp__loop_post(call_finish_on_loop, c))
        call_unref(c); /* stopping: the slot goes with the server */
}

static void on_done(cp_future_t *f, void *arg)
{
    call_answer(arg, f);
}

static cp_future_t *run_in_process(cp_process_t *self, void *args)
{
    call_t *c = *(call_t **)args;
    cp_future_t *f = c->route->handler(self, &c->req, c->route->arg);
    return f ? f : cp_future_failed("handler returned NULL");
}

static void call_args_free(void *args)
{
    call_unref(*(call_t **)args);
}

/* Copies the request into one block the process can own. */
static call_t *call_new(route_t *r, cp__http_slot_t *s, const cp__http_request_t *req)
{
    call_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t need = req->path_len + 1 + req->query_len + 1 + strlen(req->method_name) + 1 +
                  req->body_len + 1;
    for (size_t i = 0; i < req->nheaders; i++)
        need += req->headers[i].name_len + req->headers[i].value_len + 2;
    c->store = malloc(need);
    c->headers = calloc(req->nheaders ? req->nheaders : 1, sizeof *c->headers);
    if (!c->store || !c->headers) {
        free(c->store);
        free(c->headers);
        free(c);
        return NULL;
    }
    char *p = c->store;
#define COPY(dst, src, n)                                                                          \
    do {                                                                                           \
        memcpy(p, (src), (n));                                                                     \
        p[(n)] = '\0';                                                                             \
        (dst) = p;                                                                                 \
        p += (n) + 1;                                                                              \
    } while (0)
    COPY(c->req.path, req->path, req->path_len);
    COPY(c->req.query, req->query, req->query_len);
    COPY(c->req.method, req->method_name, strlen(req->method_name));
    for (size_t i = 0; i < req->nheaders; i++) {
        COPY(c->headers[i].name, req->headers[i].name, req->headers[i].name_len);
        COPY(c->headers[i].value, req->headers[i].value, req->headers[i].value_len);
    }
    if (req->body_len) {
        memcpy(p, req->body, req->body_len);
        c->req.body = p;
        c->req.body_len = req->body_len;
    }
#undef COPY
    c->req.headers = c->headers;
    c->req.nheaders = req->nheaders;
    c->req.route = r->path;
    c->route = r;
    c->slot = s;
    c->close = s->close;
    cp__buf_init(&c->answer);
    /* The dispatch's argument block and the two future callbacks. */
    atomic_init(&c->refs, 3);
    return c;
}

/* Finds the route of process `id` whose path is the longest prefix of
 * `rest` on a segment boundary; takes a reference. */
static route_t *route_find(const char *id, size_t id_len, const char *rest, size_t rest_len)
{
    route_t *best = NULL;
    pthread_mutex_lock(&routes_mu);
    for (route_t *r = routes; r; r = r->next) {
        if (strlen(r->pid.id) != id_len || memcmp(r->pid.id, id, id_len))
            continue;
        size_t n = r->path_len;
        bool match = n == 1 || (rest_len >= n && !memcmp(rest, r->path, n) &&
                                (rest_len == n || rest[n] == '/'));
        if (match && (!best || n > best->path_len))
            best = r;
    }
    if (best)
        atomic_fetch_add(&best->refs, 1);
    pthread_mutex_unlock(&routes_mu);
    return best;
}

int cp__http_routes_serve(cp__http_slot_t *s, const cp__http_request_t *req)
{
    /* "/<id>" or "/<id>/rest..." */
    if (req->path_len < 2 || req->path[0] != '/')
        return CP_ENOENT;
    const char *id = req->path + 1;
    const char *slash = memchr(id, '/', req->path_len - 1);
    size_t id_len = slash ? (size_t)(slash - id) : req->path_len - 1;
    const char *rest = slash ? slash : "/";
    size_t rest_len = slash ? req->path_len - 1 - id_len : 1;
    route_t *r = route_find(id, id_len, rest, rest_len);
    if (!r)
        return CP_ENOENT;
    call_t *c = call_new(r, s, req);
    if (!c) {
        route_unref(r);
        return CP_ENOMEM;
    }
    cp_future_t *f = cp_dispatch_future(&r->pid, run_in_process, &c, sizeof c, call_args_free);
    if (!f) {
        call_answer(c, NULL);
        call_unref(c);
        call_unref(c);
        return 0;
    }
    if (cp_future_on_any(f, on_done, c, call_unref))
        call_unref(c);
    if (cp_future_on_abandoned(f, on_done, c, call_unref))
        call_unref(c);
    cp_future_unref(f);
    return 0;
}
