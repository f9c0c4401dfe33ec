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

/* True inside a loop turn (core/loop_turns.c): the core flushes the
 * transport (its ops' flush) after the pass, so what a turn sends needs
 * no wake-up of the loop. */
bool cp__in_loop_turn(void);

/* Runs fn(arg) on the event-loop thread, soon and in call order. Safe from
 * any thread, including the loop thread itself (then it is queued, not run
 * inline). Returns 0, or CP_ENOMEM / CP_ESTATE (runtime stopping). */
int cp__loop_post(void (*fn)(void *arg), void *arg);

/* Delivers a message that arrived from the network to the local process
 * named `to_id` (`id_len` bytes, already percent-decoded). Takes ownership
 * of `body` (malloc'd, may be NULL when len is 0) in every case. Returns 0,
 * CP_ENOENT when no such process exists, or CP_EFULL when its bounded
 * mailbox refused the message (the body is freed in both cases). */
int cp__deliver_message(const char *to_id, size_t id_len, const char *name, size_t name_len,
                        const cp_upid_t *from, void *body, size_t len);

/* Inbound backpressure. The bytes of messages delivered from the network
 * (cp__deliver_message) whose events are not freed yet: queued, running,
 * or dropped but not yet freed. Any thread. */
uint64_t cp__node_inbound_bytes(void);

/* Arms the one watch: fn(arg) is posted to the loop thread once the
 * inbound bytes fall to `low` or below. Returns true, without arming,
 * when they already are (the caller acts now). Re-arming replaces the
 * previous watch. Loop thread. */
bool cp__node_inbound_watch(uint64_t low, void (*fn)(void *arg), void *arg);

/* Disarms the watch (the transport stopping). Loop thread. */
void cp__node_inbound_unwatch(void);

/* What a message carries besides name, sender and body (wire headers
 * Cproc-Call, Cproc-Reply, Cproc-Cancel; docs/wire.md). */
enum cp__call_kind {
    CP__CALL_NONE = 0,
    CP__CALL_REQUEST, /* Cproc-Call: id, Cproc-Method, optional Cproc-Caller */
    CP__CALL_REPLY,   /* Cproc-Reply: id, Cproc-Status */
    CP__CALL_CANCEL,  /* Cproc-Cancel: id */
};

enum cp__call_status {
    CP__CALL_OK = 0,
    CP__CALL_FAILED,
    CP__CALL_DISCARDED,
};

struct cp__callmeta {
    uint8_t kind;   /* enum cp__call_kind */
    uint8_t status; /* enum cp__call_status, replies */
    uint64_t id;
    const char *method; /* requests; borrowed */
    size_t method_len;
    bool has_caller;
    cp_upid_t caller;
    const char *to_id; /* the receiver's id, in queued requests */
    size_t to_id_len;
};
typedef struct cp__callmeta cp__callmeta_t;

/* cp__deliver_message() for a message with call metadata (may be NULL): a reply completes its call at once, in the calling thread;
 * a request for a process that does not exist is answered FAILED ("no
 * process P at node N") before CP_ENOENT is returned. `meta` is borrowed. */
int cp__deliver_call(const char *to_id, size_t id_len, const char *name, size_t name_len,
                     const cp_upid_t *from, void *body, size_t len,
                     const struct cp__callmeta *meta);

/* A message of `len` bytes was refused for exceeding this node's body
 * limit `max` (CPROC_MAX_BODY_SIZE) after its headers were read: when they
 * carry a reply (`meta`, from `from`) to a pending call, that call fails at
 * once naming the sizes. Anything else is ignored. Any thread. */
void cp__call_reply_too_large(const struct cp__callmeta *meta, const cp_upid_t *from,
                              uint64_t len, uint64_t max);

/* Reports that the connection to the node at ip:port broke or could not be
 * made: every local process linked to a pid at that address gets an exited
 * event, as libprocess does. Call on the loop thread. */
void cp__node_lost(uint32_t ip, uint16_t port);

/* True while a call from this node to a process at ip:port waits for its
 * reply: the transport then keeps its connection to that node, however
 * long it has been idle, so that the node's death still ends the call at
 * once. Takes the calls' lock (never held when calling the transport).
 * Any thread. */
bool cp__calls_pending_to(uint32_t ip, uint16_t port);

/* The node's advertised address (valid once the transport started). */
void cp__node_address(uint32_t *ip, uint16_t *port);

/* Calls fn for every live process: its id (not NUL-terminated), state (a
 * cp_process_state_t), whether events are queued for it and how many
 * events it has run. Runs under the
 * process table's lock: fn must not call into the runtime. Any thread. */
void cp__processes_each(void (*fn)(void *arg, const char *id, size_t id_len, int state,
                                   bool queued, uint64_t events),
                        void *arg);

#endif
