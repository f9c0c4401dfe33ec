/* Internal: the one seam between the runtime core and a transport.
 *
 * A transport fills a const table of operations and the core calls it
 * only through that table; the core includes no transport header and names
 * no transport function (nng's transports register the same way). The
 * transport calls back into the core only through core/node.h.
 *
 * Life of a transport, all driven by the core (runtime.c):
 *
 *   start     loop thread, once, before any process runs
 *   send/link any thread, between start and quiesce
 *   quiesce   loop thread, first step of cp_runtime_stop()
 *   fini      loop thread, last thing the loop does before it exits
 *
 * cp_runtime_stop() runs: quiesce (stop accepting, drop what is in flight,
 * close every connection) -> terminate every process -> fini and stop the
 * loop -> stop the workers. So once quiesce has returned nothing reaches
 * the scheduler from the network any more, and the run queue outlives
 * every thread that could push into it.
 */
#ifndef CPROC_CORE_TRANSPORT_OPS_H
#define CPROC_CORE_TRANSPORT_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/pid.h"

/* Room for the sentence a failing start writes. */
#define CP__START_ERRLEN 256

typedef struct cp__transport_ops {
    /* For log lines ("tcp"). */
    const char *name;

    /* Reads the transport's configuration, binds and listens, and writes
     * the node's advertised address into *ip / *port (host order). On
     * failure returns a CP_E* code, writes one sentence for the user into
     * err (CP__START_ERRLEN bytes, e.g. "cannot listen on 127.0.0.1:5050:
     * address already in use", naming the variable and value when a
     * setting is bad), and holds no resources (fini is not called).
     * Loop thread. */
    int (*start)(uint32_t *ip, uint16_t *port, char *err);

    /* Stops accepting, closes every connection (inbound and outbound) and
     * drops every message not yet written. From its return on, the
     * transport delivers nothing into the core (no cp__deliver_message,
     * no cp__node_lost), and send/link return CP_ESTATE. Memory that
     * answers still in flight may touch stays until fini. Loop thread;
     * called at most once after a successful start. */
    void (*quiesce)(void);

    /* Frees everything. Called after quiesce, once every post queued
     * before the loop stopped has run; nothing calls into the transport
     * afterwards until the next start. Loop thread. */
    void (*fini)(void);

    /* Sends a message to a process on another node. `body` (len bytes) is
     * copied or encoded before the call returns; the caller keeps it. Never
     * blocks on the network. Messages from one thread to one node leave in
     * call order. Returns 0 or a CP_E* code (CP_ESTATE after quiesce); a
     * connection failure is not an error here: it surfaces later as exited
     * events for linkers, as libprocess does. Any thread. */
    int (*send)(const cp_upid_t *from, const cp_upid_t *to, const char *name, const void *body,
                size_t len);

    /* send, plus `hlen` bytes of extra header lines ("Name: value\r\n"
     * each, copied) after the libprocess ones: cproc's call protocol
     * (docs/wire.md, core/call.c). Same contract as send. */
    int (*send_headers)(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                        const void *body, size_t len, const char *headers, size_t hlen);

    /* Keeps a connection to `to`'s node open so that its loss is reported
     * with cp__node_lost(); `relink` forces a fresh connection. Returns 0
     * or a CP_E* code (then the core reports the link broken at once). Any
     * thread. */
    int (*link)(const cp_upid_t *to, int relink);

    /* Writes what senders have queued now, instead of at the loop's next
     * wake-up: the core calls it after a pass of loop turns (loop_turns.c)
     * so that replies leave in the same loop iteration. Loop thread,
     * outside every transport callback. May be NULL. */
    void (*flush)(void);
} cp__transport_ops_t;

/* The transport that nodes use: TCP/HTTP with optional TLS, defined by
 * runtime/src/transport/transport.c. This table is the only thing the core
 * knows of it, and runtime.c reads it only through cp__rt's pointer. */
extern const cp__transport_ops_t cp__tcp_transport;

#endif
