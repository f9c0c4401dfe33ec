/* Internal: the metrics, system and logging endpoints (loop thread). */
#ifndef CPROC_METRICS_HTTP_H
#define CPROC_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/http_decoder.h"
#include "transport/server.h"

/* Serves GET /metrics/snapshot, /metrics/prometheus, /system/stats.json
 * and /logging/toggle, completing `s` now or later. Returns 0, or
 * CP_ENOENT for any other path (s untouched). Loop thread. */
int cp__metrics_http_serve(cp__http_slot_t *s, const cp__http_request_t *req);

/* "5secs", "100ms", ... → ns. 0 or CP_EINVAL. */
int cp__duration_parse(const char *text, size_t len, uint64_t *ns);

/* The raw value of `name` in a query string. */
bool cp__query_get(const char *q, size_t len, const char *name, const char **val, size_t *vlen);

#endif
