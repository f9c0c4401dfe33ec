/* Internal: the seam between the runtime core and the transport.
 *
 * The core calls these; the transport (runtime/src/transport/) implements
 * them. The core never includes any other transport header. All of them
 * may be called from any thread unless noted.
 */
#ifndef CPROC_TRANSPORT_H
#define CPROC_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/pid.h"

/* Called once by cp_runtime_start() on the event-loop thread, after the
 * loop exists and before any process runs. Reads LIBPROCESS_* / CPROC_*
 * configuration, binds and listens, and writes the node's advertised
 * address into *ip / *port (host order). Returns 0 or a CP_E* code; on
 * error the runtime does not start. */
int cp__transport_start(uint32_t *ip, uint16_t *port);

/* Called once by cp_runtime_stop() on the event-loop thread: closes every
 * socket and frees everything. */
void cp__transport_stop(void);

/* Sends a message to a process on another node. `body` is copied (or
 * serialized straight away); the call never blocks. Messages from one
 * thread to one peer address go out in call order. Returns 0 or a CP_E*
 * code (a connection failure is not an error here: it surfaces as exited
 * events for linkers, as libprocess does). */
int cp__transport_send(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                       const void *body, size_t len);

/* cp__transport_send() with extra header lines `headers` (`hlen` bytes of
 * "Name: value\r\n" lines, copied; cproc's call protocol, docs/wire.md)
 * after the libprocess ones. */
int cp__transport_send_headers(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                               const void *body, size_t len, const char *headers, size_t hlen);

/* Ensures a persistent connection to `to`'s node so that its loss can be
 * reported with cp__node_lost(). `relink` forces a new connection even if
 * one exists. Returns 0 or a CP_E* code. */
int cp__transport_link(const cp_upid_t *to, int relink);

#endif
