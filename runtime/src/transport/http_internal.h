/* Internal: HTTP endpoints shared between the route table and serving. */
#ifndef CPROC_TRANSPORT_HTTP_INTERNAL_H
#define CPROC_TRANSPORT_HTTP_INTERNAL_H

#include <stdbool.h>

#include "cproc/http.h"
#include "transport/buf.h"

/* Appends the encoded response; returns 0 or CP_ENOMEM. Any thread. */
int cp__http_response_encode(const cp_http_response_t *r, cp__buf_t *out, bool close);

/* Frees every route (runtime stop, loop thread). */
void cp__http_routes_free(void);

#endif
