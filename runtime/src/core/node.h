/* Internal: what the transport may ask of the runtime core.
 *
 * The core (runtime/src/core/) implements these; the transport calls them.
 */
#ifndef CPROC_NODE_H
#define CPROC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cproc/pid.h"

/* The runtime's single libuv loop; touch it only on the loop thread. */
uv_loop_t *cp__loop(void);

/* True when the caller is the event-loop thread. */
bool cp__on_loop_thread(void);

/* Runs fn(arg) on the event-loop thread, soon and in call order. Safe from
 * any thread, including the loop thread itself (then it is queued, not run
 * inline). Returns 0, or CP_ENOMEM / CP_ESTATE (runtime stopping). */
int cp__loop_post(void (*fn)(void *arg), void *arg);

/* Delivers a message that arrived from the network to the local process
 * named `to_id` (`id_len` bytes, already percent-decoded). Takes ownership
 * of `body` (malloc'd, may be NULL when len is 0) in every case. Returns 0,
 * or CP_ENOENT when no such process exists (the body is freed). */
int cp__deliver_message(const char *to_id, size_t id_len, const char *name, size_t name_len,
                        const cp_upid_t *from, void *body, size_t len);

/* cp__deliver_message() for a message with call metadata (core/call.h;
 * may be NULL): a reply completes its call at once, in the calling thread;
 * a request for a process that does not exist is answered FAILED ("no
 * process P at node N") before CP_ENOENT is returned. `meta` is borrowed. */
struct cp__callmeta;
int cp__deliver_call(const char *to_id, size_t id_len, const char *name, size_t name_len,
                     const cp_upid_t *from, void *body, size_t len,
                     const struct cp__callmeta *meta);

/* Reports that the connection to the node at ip:port broke or could not be
 * made: every local process linked to a pid at that address gets an exited
 * event, as libprocess does. Call on the loop thread. */
void cp__node_lost(uint32_t ip, uint16_t port);

/* The node's advertised address (valid after cp__transport_start). */
void cp__node_address(uint32_t *ip, uint16_t *port);

/* Calls fn for every live process: its id (not NUL-terminated), state (a
 * cp_process_state_t), whether events are queued for it and how many
 * events it has run. Runs under the
 * process table's lock: fn must not call into the runtime. Any thread. */
void cp__processes_each(void (*fn)(void *arg, const char *id, size_t id_len, int state,
                                   bool queued, uint64_t events),
                        void *arg);

#endif
