/* Internal: the libprocess wire format (DESIGN.md section 4).
 *
 * Encoding of messages and of responses into a cp__buf_t, and the reading
 * of a decoded request as a message: pure functions, no I/O, any thread.
 */
#ifndef CPROC_TRANSPORT_WIRE_H
#define CPROC_TRANSPORT_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/node.h"
#include "cproc/pid.h"
#include "transport/buf.h"
#include "transport/http_decoder.h"

/* Appends the request that carries message `name` with `body` (len bytes)
 * from `from` to `to`: request line, User-Agent, Libprocess-From,
 * Connection, Host, and, for a non-empty body, Transfer-Encoding: chunked
 * and one chunk. Bytes of the id that cannot appear in a request target
 * are percent-encoded. Returns 0, CP_EINVAL (empty or bad name) or
 * CP_ENOMEM (out is unchanged then). */
int cp__wire_encode_message(cp__buf_t *out, const cp_upid_t *from, const cp_upid_t *to,
                            const char *name, const void *body, size_t len);

/* cp__wire_encode_message() plus `hlen` bytes of extra header lines
 * ("Name: value\r\n" each) after Host. */
int cp__wire_encode_message_headers(cp__buf_t *out, const cp_upid_t *from, const cp_upid_t *to,
                                    const char *name, const void *body, size_t len,
                                    const char *headers, size_t hlen);

/* Writes "a.b.c.d" for a host-order IPv4 address; returns the length.
 * `buf` needs 16 bytes. */
size_t cp__wire_format_ip(char *buf, uint32_t ip);

/* The reason phrase for an HTTP status ("Accepted"), or "Unknown". */
const char *cp__wire_reason(int status);

/* Appends "HTTP/1.1 <status> <reason>", a Date, the given extra header
 * lines (each "Name: value\r\n", may be NULL), Content-Length, optionally
 * "Connection: close", then the body. Returns 0 or CP_ENOMEM. */
int cp__wire_encode_response(cp__buf_t *out, int status, const char *extra_headers,
                             const void *body, size_t len, bool close);

/* True when `req` is a libprocess message: a POST carrying
 * Libprocess-From or a User-Agent with "libprocess/". */
bool cp__wire_is_message(const cp__http_request_t *req);

/* Reads a message out of a request for which cp__wire_is_message() holds.
 * Percent-decodes the path in place: *id / *name point into the request
 * (NUL-terminated). Returns 0, or CP_EINVAL for a path not starting with
 * '/', an empty or undecodable id, no name, or a sender that does not
 * parse (answer 400). */
int cp__wire_parse_message(cp__http_request_t *req, const char **id, size_t *id_len,
                           const char **name, size_t *name_len, cp_upid_t *from);

/* Call metadata (Cproc-Call / Cproc-Reply / Cproc-Cancel, Cproc-Method,
 * Cproc-Status, Cproc-Caller; docs/wire.md) read from a message request.
 * Returns 1 when there is some (*meta filled, method borrowed from req),
 * 0 when none, CP_EINVAL when present but malformed (answer 400). */
int cp__wire_parse_call(const cp__http_request_t *req, struct cp__callmeta *meta);

/* The last sender seen on a connection: a peer sends from few UPIDs, so
 * comparing the header's text saves parsing it for every message. */
typedef struct cp__wire_sender_cache {
    size_t len; /* 0: empty */
    char text[CP_UPID_STRLEN];
    cp_upid_t pid;
} cp__wire_sender_cache_t;

/* cp__wire_parse_message() consulting and updating `cache` (may be NULL). */
int cp__wire_parse_message_cached(cp__http_request_t *req, cp__wire_sender_cache_t *cache,
                                  const char **id, size_t *id_len, const char **name,
                                  size_t *name_len, cp_upid_t *from);

/* Parses "id@a.b.c.d:port" (or "id@localhost:port"), `len` bytes, into
 * *out. Returns 0 or CP_EINVAL. */
int cp__wire_parse_upid(const char *text, size_t len, cp_upid_t *out);

/* Percent-decodes s[0..len) in place; returns the new length or -1 for a
 * malformed escape. */
long cp__wire_percent_decode(char *s, size_t len);

#endif
