/* cproc — named messages.
 *
 * A message is a name ("pingpong.Ping"), the sender's UPID and a byte body,
 * as libprocess's. Local messages are delivered by copying the body, never
 * serialized; messages to a UPID on another node go out over the wire
 * protocol. A process receives messages through handlers it installs by
 * name; a message whose name has no handler is dropped and counted.
 */
#ifndef CPROC_MESSAGE_H
#define CPROC_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h" /* cp_free_fn */
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A received message. Everything in it is borrowed for the handler call:
 * copy what must outlive it. */
typedef struct cp_message {
    const char *name;    /* NUL-terminated */
    size_t name_len;
    const cp_upid_t *from;
    const void *body;    /* NULL when len is 0 */
    size_t len;
} cp_message_t;

/* A message handler, run inside the process. */
typedef void (*cp_message_handler)(cp_process_t *self, const cp_message_t *msg, void *arg);

/* Installs `handler` for messages named `name` (copied) on self, replacing
 * any handler of that name. `arg` is passed to each call; the process
 * keeps it until it ends or the handler is replaced, then arg_free(arg)
 * runs (if not NULL). Returns 0, CP_EINVAL (empty name) or CP_ENOMEM (then
 * arg_free has run). Call inside self (typically in initialize). */
int cp_process_install(cp_process_t *self, const char *name, cp_message_handler handler,
                       void *arg, cp_free_fn arg_free);

/* Sends message `name` with `len` bytes of `body` (copied) from `from` to
 * `to`. A local `to` gets it queued (dropped if it does not exist); a
 * remote one gets it over the network. Returns 0, CP_EINVAL (empty name,
 * null to), CP_ENOENT (no such local process), CP_EFULL (a local process's
 * bounded mailbox is full, see mailbox.h), CP_ENOMEM, or the transport's
 * error: CP_EFULL when the bytes queued for that peer address reached
 * CPROC_MAX_PEER_QUEUE_BYTES (the message is dropped and counted; see
 * docs/wire.md). Thread-safe; `from` may be NULL or the null UPID (a remote
 * peer then sees the node's "__calls__" process as the sender). */
int cp_send(const cp_upid_t *from, const cp_upid_t *to, const char *name, const void *body,
            size_t len);

/* cp_send() from self (call inside self). */
int cp_process_send(cp_process_t *self, const cp_upid_t *to, const char *name, const void *body,
                    size_t len);

/* Messages dropped because no handler matched their name, over all
 * processes since the runtime started. */
uint64_t cp_message_unhandled_total(void);

#ifdef __cplusplus
}
#endif

#endif
