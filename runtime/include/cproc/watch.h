/* cproc — following a peer that may go away and come back.
 *
 * cp_watch() tells a process when a peer (local or remote) is up or down:
 * "down" as soon as the peer's process ends or the connection to its node
 * breaks (a link), or a probe goes unanswered; "up" once a probe is
 * answered again, after which the peer is linked anew. A probe is a call
 * of the built-in method "cproc.Probe", which every cproc process answers
 * (a libprocess peer never does: it reads as down). Probes go out every
 * `every_ns` of the runtime clock, each with that deadline.
 *
 * Each watch is one small process (the watch's pid); it ends with the
 * watching process, or with cp_unwatch().
 */
#ifndef CPROC_WATCH_H
#define CPROC_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs inside the watching process at each change: first once the first
 * probe is answered (up) or fails (down), then at every flip. `peer` is
 * borrowed for the call. */
typedef void (*cp_watch_fn)(cp_process_t *self, const cp_upid_t *peer, bool up, void *arg);

/* Watches `peer` for self (call inside self). `arg` is passed to fn and
 * freed with arg_free (may be NULL) when the watch ends; it must stay
 * valid until then. Writes the watch's pid to *watch (may be NULL).
 * Returns 0, CP_EINVAL (no peer, no fn, every_ns 0) or CP_ENOMEM (then
 * arg_free ran). */
int cp_watch(cp_process_t *self, const cp_upid_t *peer, uint64_t every_ns, cp_watch_fn fn,
             void *arg, cp_free_fn arg_free, cp_upid_t *watch);

/* Ends a watch (no more calls of its fn once this returns... except one
 * already queued in the watching process). Returns 0 or CP_ENOENT. */
int cp_unwatch(const cp_upid_t *watch);

#ifdef __cplusplus
}
#endif

#endif
