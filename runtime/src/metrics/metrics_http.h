/* Internal: the metrics, system and logging endpoints (loop thread). */
#ifndef CPROC_METRICS_HTTP_H
#define CPROC_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "transport/buf.h"
#include "transport/http_decoder.h"
#include "transport/server.h"

/* Serves GET /metrics/snapshot, /metrics/prometheus, /system/stats.json,
 * /logging/toggle and /__processes__, completing `s` now or later. Returns 0, or
 * CP_ENOENT for any other path (s untouched). Loop thread. */
int cp__metrics_http_serve(cp__http_slot_t *s, const cp__http_request_t *req);

/* GET /__processes__'s body: a future of a NUL-terminated JSON string
 * (freed with the future); processes that do not answer within timeout_ns
 * (runtime clock; UINT64_MAX: no limit) are listed as busy. NULL when out
 * of memory. Any thread; the runtime must be running. */
cp_future_t *cp__processes_snapshot(uint64_t timeout_ns);

/* "5secs", "100ms", ... → ns. 0 or CP_EINVAL. */
int cp__duration_parse(const char *text, size_t len, uint64_t *ns);

/* The raw value of `name` in a query string. */
bool cp__query_get(const char *q, size_t len, const char *name, const char **val, size_t *vlen);

#endif
