/* HTTP requests that are not messages: the built-in endpoints, answered on
 * the loop thread. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/node.h"
#include "cproc/error.h"
#include "metrics/metrics_http.h"
#include "transport/endpoints.h"
#include "transport/http_internal.h"
#include "transport/limits.h"
#include "transport/peer_stats.h"
#include "transport/routes.h"
#include "transport/server.h"
#include "transport/transport_internal.h"
#include "transport/wire.h"

#define T cp__transport
#define L cp__limits_stats

static void answer(cp__http_slot_t *s, int status, const char *type, const char *body, size_t len)
{
    char headers[96];
    snprintf(headers, sizeof headers, "Content-Type: %s\r\n", type);
    if (cp__wire_encode_response(&s->bytes, status, headers, body, len, s->close))
        s->close = true;
    cp__http_slot_complete(s);
}

static int append_counter(cp__buf_t *out, bool *first, const char *key, uint64_t v)
{
    char line[128];
    int n = snprintf(line, sizeof line, "%s\"%s\":%" PRIu64, *first ? "" : ",", key, v);
    *first = false;
    return cp__buf_append(out, line, (size_t)n);
}

int cp__transport_metrics_json(cp__buf_t *out)
{
    /* Keys in sorted order, as libprocess's metrics snapshot. */
    struct {
        const char *key;
        uint64_t v;
    } m[] = {
        {"transport/bytes_received", atomic_load(&T.bytes_received)},
        {"transport/bytes_sent", atomic_load(&T.bytes_sent)},
        {"transport/connections_in", atomic_load(&T.connections_in)},
        {"transport/connections_lost", atomic_load(&T.connections_lost)},
        {"transport/connections_open_in", T.inbound},
        {"transport/connections_out", atomic_load(&T.connections_out)},
        {"transport/connections_refused", atomic_load(&L.connections_refused)},
        {"transport/connects_failed", atomic_load(&T.connects_failed)},
        {"transport/http_errors", atomic_load(&T.http_errors)},
        {"transport/http_requests", atomic_load(&T.http_requests)},
        {"transport/inbound_bytes", cp__node_inbound_bytes()},
        {"transport/messages_dropped", atomic_load(&T.messages_dropped)},
        {"transport/messages_dropped_full", atomic_load(&L.messages_full)},
        {"transport/messages_from_mismatch", atomic_load(&T.messages_from_mismatch)},
        {"transport/messages_received", atomic_load(&T.messages_received)},
        {"transport/messages_refused", atomic_load(&T.messages_refused)},
        {"transport/messages_sent", atomic_load(&T.messages_sent)},
        {"transport/peers", atomic_load(&cp__peers_live)},
        {"transport/peers_expired", atomic_load(&L.peers_expired)},
        {"transport/peers_untracked", cp__peer_stats_untracked}, /* loop thread, as here */
        {"transport/reads_paused", atomic_load(&L.reads_paused)},
        {"transport/reads_paused_inbound", atomic_load(&L.reads_paused_inbound)},
        {"transport/replies_given_up", atomic_load(&L.replies_given_up)},
        {"transport/replies_resent", atomic_load(&L.replies_resent)},
        {"transport/timeouts_body", atomic_load(&L.timeouts_body)},
        {"transport/timeouts_header", atomic_load(&L.timeouts_header)},
        {"transport/timeouts_idle", atomic_load(&L.timeouts_idle)},
        {"transport/timeouts_send", atomic_load(&L.timeouts_send)},
        {"transport/timeouts_tls", atomic_load(&L.timeouts_tls)},
    };
    bool first = true;
    int rc = cp__buf_append(out, "{", 1);
    /* "processes/..." sorts before "transport/...". */
    if (!rc)
        rc = cp__process_metrics_json(out, &first);
    for (size_t i = 0; !rc && i < sizeof m / sizeof m[0]; i++)
        rc = append_counter(out, &first, m[i].key, m[i].v);
    return rc ? rc : cp__buf_append(out, "}", 1);
}

static bool path_is(const cp__http_request_t *req, const char *p)
{
    size_t n = strlen(p);
    return req->path_len == n && memcmp(req->path, p, n) == 0;
}

static const char builtin_help[] = "/__processes__\n/help\n/logging/toggle\n/metrics/prometheus\n"
                                   "/metrics/snapshot\n/system/stats.json\n";

static void serve_help(cp__http_slot_t *s, const char *id, size_t id_len)
{
    cp__buf_t b;
    cp__buf_init(&b);
    int rc = id ? 0 : cp__buf_append_str(&b, builtin_help);
    if (!rc)
        rc = cp__http_routes_help(&b, id, id_len);
    if (rc)
        answer(s, 500, "text/plain", "out of memory", 13);
    else
        answer(s, 200, "text/plain", b.data ? b.data : "", b.len);
    cp__buf_close(&b);
}

void cp__http_serve(cp__http_slot_t *s, cp__http_request_t *req)
{
    /* /metrics/snapshot, /metrics/prometheus, /system/stats.json,
     * /logging/toggle and /__processes__: runtime/src/metrics/. */
    if (cp__metrics_http_serve(s, req) == 0)
        return;
    if (path_is(req, "/help") || path_is(req, "/help/")) {
        serve_help(s, NULL, 0);
        return;
    }
    /* "/<id>/help" */
    if (req->path_len > 6 && !memcmp(req->path + req->path_len - 5, "/help", 5)) {
        const char *id = req->path + 1;
        size_t id_len = req->path_len - 6;
        if (!memchr(id, '/', id_len)) {
            serve_help(s, id, id_len);
            return;
        }
    }
    int rc = cp__http_routes_serve(s, req);
    if (rc == 0)
        return;
    static const char nf[] = "no such endpoint";
    if (rc == CP_ENOENT)
        answer(s, 404, "text/plain", nf, sizeof nf - 1);
    else
        answer(s, 500, "text/plain", "out of memory", 13);
}
