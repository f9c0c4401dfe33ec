/* Internal: calls (protocol.h) inside the core. call.c is the client side
 * (table of pending calls, deadlines, replies), rpc.c the server side
 * (rpc handlers of a process, calls in progress in it). */
#ifndef CPROC_CORE_CALL_H
#define CPROC_CORE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/protocol.h"
#include "core/node.h"

struct cp_process;
struct cp__event;

/* cp__callmeta_t and its kinds are in core/node.h: they cross the seam. */

/* The built-in call every cproc process answers at once (method
 * "cproc.Probe", empty request and response): cp_watch's probe. */
extern const cp_rpc_def_t cp__probe_def;

/* Client side (call.c). */

/* A reply from `from` arrived (any thread): completes the call `meta->id`
 * if it is still pending and was made to a process of that id; otherwise
 * drops it. Takes nothing. */
void cp__call_on_reply(const cp__callmeta_t *meta, const cp_upid_t *from, const void *body,
                       size_t len);

/* The connection to ip:port broke or could not be made: every call to a
 * process there fails with "node ip:port unreachable". */
void cp__calls_node_lost(uint32_t ip, uint16_t port);

/* The node's calls process (spawned on first use): the sender of calls,
 * and of messages sent to other nodes from outside any process. */
int cp__calls_sender(cp_upid_t *out);

/* Runtime start / stop. */
/* default_ms: CPROC_CALL_TIMEOUT_MS as runtime.c read it (0: the default). */
void cp__calls_start(uint64_t default_ms);
void cp__calls_stop(void);

/* Sends a reply or cancel for call `id` from `from` to `to` (local or
 * remote) with message name `name`. Returns 0 or a CP_E* code. */
int cp__call_send_meta(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                       const cp__callmeta_t *meta, const void *body, size_t len);

/* Server side (rpc.c). */

/* Runs a message that carries a call request or cancel in process p.
 * Borrowed everything; returns after the handler was started. */
void cp__rpc_message(struct cp_process *p, const cp__callmeta_t *meta, const char *name,
                     const cp_upid_t *from, const void *body, size_t len);

/* A request message for a process that does not exist, that was dropped
 * unrun because its process ended, or that its bounded mailbox refused:
 * answers FAILED. */
enum { CP__REFUSE_MISSING = 0, CP__REFUSE_TERMINATED = 1, CP__REFUSE_FULL = 2 };
void cp__rpc_refuse(const cp__callmeta_t *meta, const cp_upid_t *from, const char *to_id,
                    size_t to_id_len, int why);

/* Local calls: runs call `c` (call.c's) inside p. */
struct cp__call;
void cp__rpc_local(struct cp_process *p, struct cp__call *c);

/* The process is ending: fails its running calls, frees its rpc table. */
void cp__rpc_close(struct cp_process *p);

/* Shared with rpc.c: a local call's completion by its server. */
void cp__call_server_started(struct cp__call *c, cp_future_t *f);
void cp__call_server_done(struct cp__call *c, cp_future_t *f);
void cp__call_server_failed(struct cp__call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const cp_rpc_def_t *cp__call_def(const struct cp__call *c);
void *cp__call_take_request(struct cp__call *c, cp_free_fn *request_free);
const cp_upid_t *cp__call_caller(const struct cp__call *c);
void cp__call_ref(struct cp__call *c);
void cp__call_unref(struct cp__call *c);

#endif
