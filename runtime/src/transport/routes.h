/* Internal: the route table as the server uses it (loop thread). */
#ifndef CPROC_TRANSPORT_ROUTES_H
#define CPROC_TRANSPORT_ROUTES_H

#include <stddef.h>

#include "transport/buf.h"
#include "transport/http_decoder.h"
#include "transport/server.h"

/* Serves `req` with the route it names and completes `s` later. Returns 0,
 * or CP_ENOENT when no route matches (s untouched), CP_ENOMEM. */
int cp__http_routes_serve(cp__http_slot_t *s, const cp__http_request_t *req);

/* Appends "/<id><route>\n" for every route, sorted; only process `id`'s
 * when id is not NULL. */
int cp__http_routes_help(cp__buf_t *out, const char *id, size_t id_len);

#endif
