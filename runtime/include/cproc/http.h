/* cproc — HTTP endpoints on processes.
 *
 * Any HTTP request to a node that is not a libprocess message is routed by
 * its path: "/<process id>/<route>..." goes to the handler the process
 * installed for the longest matching route prefix ("/stats" matches
 * "/<id>/stats" and "/<id>/stats/today", not "/<id>/statistics"). The
 * handler runs inside the process, like any event, and returns a future of
 * a response; answers on one connection leave in request order even when
 * later requests finish first. Built in: GET /help and /<id>/help list the
 * routes, /__processes__ and /metrics/snapshot give JSON.
 */
#ifndef CPROC_HTTP_H
#define CPROC_HTTP_H

#include <stddef.h>

#include "cproc/future.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_http_header {
    const char *name; /* as received; compare case-insensitively */
    const char *value;
} cp_http_header_t;

/* A request as a handler sees it. Borrowed for the handler call: copy
 * what must outlive it. Strings are NUL-terminated. */
typedef struct cp_http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* the whole path, "/<id>/<route>...", not decoded */
    const char *route;  /* the route that matched, as installed */
    const char *query;  /* after '?', not decoded; "" when none */
    const cp_http_header_t *headers;
    size_t nheaders;
    const void *body; /* NULL when empty */
    size_t body_len;
} cp_http_request_t;

/* The value of the first header named `name` (case-insensitive), or NULL. */
const char *cp_http_request_header(const cp_http_request_t *req, const char *name);

typedef struct cp_http_response cp_http_response_t;

/* A response with `status` (100..599), a Content-Type (NULL: none) and a
 * copy of `len` bytes of body. Returns NULL when out of memory or for a bad
 * status. Free with cp_http_response_free() unless ownership passes (as
 * when it is the value of a handler's future). Thread-safe. */
cp_http_response_t *cp_http_response_new(int status, const char *content_type, const void *body,
                                         size_t len);

/* Adds a header line (copied). Names and values may not contain CR or LF
 * (CP_EINVAL); Content-Length and Date are written by the runtime. Returns
 * 0, CP_EINVAL or CP_ENOMEM. */
int cp_http_response_add_header(cp_http_response_t *r, const char *name, const char *value);

/* Frees a response (NULL is fine). Use as the cp_free_fn of a future. */
void cp_http_response_free(void *r);

/* A route handler: runs inside the process with the request (borrowed) and
 * returns a future whose value is a cp_http_response_t * freed with
 * cp_http_response_free (cp_future_ready(resp, cp_http_response_free)).
 * Ownership of the future passes to the runtime. A failed, discarded or
 * abandoned future (or NULL) is answered with 500. */
typedef cp_future_t *(*cp_http_handler)(cp_process_t *self, const cp_http_request_t *req,
                                        void *arg);

/* Installs `handler` for `path` (copied; starts with '/', no '?') on self,
 * replacing a handler for the same path. arg_free(arg) runs when the route
 * is replaced or removed, or at runtime stop. Returns 0, CP_EINVAL, or
 * CP_ENOMEM (arg_free has then run). Call inside self. Routes of a process
 * stay until cp_http_unroute() or runtime stop; requests for a process that
 * ended are answered with 404. Remove them in `finalize` when a process
 * with the same id may be spawned again, which would otherwise inherit
 * them. */
int cp_http_route(cp_process_t *self, const char *path, cp_http_handler handler, void *arg,
                  cp_free_fn arg_free);

/* Removes self's route for `path`. Returns 0 or CP_ENOENT. Call inside self. */
int cp_http_unroute(cp_process_t *self, const char *path);

#ifdef __cplusplus
}
#endif

#endif
