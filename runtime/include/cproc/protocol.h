/* cproc — request/response between processes, libprocess's Protocol style.
 *
 * cp_request() spawns a temporary process that sends a named request to a
 * process (local or remote), waits for the named response sent back to it,
 * and completes a future with the decoded response. The future FAILS when
 * the server terminates or the connection to its node breaks (the
 * temporary process links to it), or when the response cannot be decoded.
 * Combine with cp_future_after() for a timeout; discarding the future ends
 * the temporary process and completes the future DISCARDED. The generated
 * rpc stubs (cproc-gen) use this.
 */
#ifndef CPROC_PROTOCOL_H
#define CPROC_PROTOCOL_H

#include <stddef.h>

#include "cproc/future.h"
#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes a response body into a new value, or returns NULL if malformed. */
typedef void *(*cp_decode_fn)(const void *body, size_t len);

/* Sends `request_name` with `body` (len bytes, copied) to `to` from a new
 * temporary process and returns a future of the decoded `response_name`
 * reply (value freed with free_response). Never NULL: errors (runtime not
 * running, out of memory) give a FAILED future. Thread-safe. */
cp_future_t *cp_request(const cp_upid_t *to, const char *request_name, const void *body,
                        size_t len, const char *response_name, cp_decode_fn decode,
                        cp_free_fn free_response);

#ifdef __cplusplus
}
#endif

#endif
