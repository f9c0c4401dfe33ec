/* cproc — processes.
 *
 * A process is an actor: an id, a UPID (`id@ip:port`), a state, a mailbox
 * and user data. Events sent to it (dispatches, messages, exited
 * notifications, terminate) run one at a time, in arrival order, on one of
 * the runtime's worker threads: at most one thread is ever inside a given
 * process, so its data needs no locks. Handlers must not block.
 *
 * Lifetime: the runtime owns every process. cp_process_spawn() gives back a
 * UPID (a plain value); the process lives until it is terminated, when
 * `finalize` runs, then `destroy(data)`. Events still queued are dropped
 * (their argument blocks freed, their futures abandoned). A cp_process_t *
 * is valid only inside a callback running in that process.
 */
#ifndef CPROC_PROCESS_H
#define CPROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_process cp_process_t;

typedef enum cp_process_state {
    CP_PROCESS_BOTTOM = 0, /* spawned, not yet initialized */
    CP_PROCESS_READY,      /* has events queued, waiting for a worker */
    CP_PROCESS_BLOCKED,    /* idle: nothing queued */
    CP_PROCESS_TERMINATING /* terminate seen; finalize runs or ran */
} cp_process_state_t;

/* A process's behaviour. Every hook may be NULL. The ops struct is
 * borrowed for the process's whole life (use a static const). All hooks
 * run inside the process. */
typedef struct cp_process_ops {
    /* First thing the process runs, before any event. */
    void (*initialize)(cp_process_t *self);
    /* Last thing it runs, on terminate (also at cp_runtime_stop()). */
    void (*finalize)(cp_process_t *self);
    /* A process this one linked to (cp_process_link()) has ended. `pid` is
     * borrowed for the call. */
    void (*exited)(cp_process_t *self, const cp_upid_t *pid);
    /* Frees the user data after finalize; NULL leaves it to the caller. */
    void (*destroy)(void *data);
} cp_process_ops_t;

/* Spawns a process named `id` (NULL: a generated "__process__(N)"), with
 * `ops` (borrowed for the process's life, may be NULL) and `data` (owned by
 * the process from a successful call on: handed to ops->destroy at the end;
 * on error it stays the caller's). Writes its UPID to *pid (may be NULL).
 * Returns 0, CP_EINVAL (empty id, or '@' or '/' in it), CP_ESTATE (the
 * runtime is not running), CP_ETOOBIG (id too long), CP_EEXIST (id taken)
 * or CP_ENOMEM. Thread-safe. */
int cp_process_spawn(const char *id, const cp_process_ops_t *ops, void *data, cp_upid_t *pid);

/* cp_process_spawn() plus `ctx`, a second pointer for wrappers (the typed
 * actors cproc-gen emits keep their handler table there, so that `data`
 * stays the user's own state): read it with cp_process_ctx(self).
 * ctx_free(ctx) (may be NULL) runs once the process ends, after finalize
 * and before ops->destroy(data); on error ctx stays the caller's. */
int cp_process_spawn_ctx(const char *id, const cp_process_ops_t *ops, void *data, void *ctx,
                         void (*ctx_free)(void *ctx), cp_upid_t *pid);

/* Writes a fresh id "prefix(N)" into buf (N counts per runtime from 1, as
 * libprocess's ID::generate). Returns its length or CP_ETOOBIG / CP_EINVAL. */
int cp_process_id_generate(const char *prefix, char *buf, size_t size);

/* Asks the process to terminate. With `inject` the terminate jumps ahead of
 * every event already queued (they are dropped); without it, it runs after
 * them. Returns 0, or CP_ENOENT when no such local process exists (already
 * ended). Thread-safe; a process may terminate itself. */
int cp_process_terminate(const cp_upid_t *pid, bool inject);

/* Blocks until the process has terminated (finalize and destroy done), or
 * `timeout_ns` of real time passed (UINT64_MAX: forever). Returns 0 (also
 * for an unknown pid), CP_ETIMEDOUT, or CP_EDEADLK when called from inside
 * the very process waited on, or inside a loop turn (it would block the
 * event loop; cp_process_set_loop_turns). Intended for non-process threads;
 * from another process it works but blocks a worker. */
int cp_process_wait(const cp_upid_t *pid, uint64_t timeout_ns);

#define CP_WAIT_FOREVER UINT64_MAX

/* True when a local process with this UPID exists (not yet terminated). */
bool cp_process_exists(const cp_upid_t *pid);

/* ---- inside a process ------------------------------------------------ */

/* The process's UPID (a copy). */
cp_upid_t cp_process_pid(const cp_process_t *self);

/* The process's id (borrowed, NUL-terminated, valid while it lives). */
const char *cp_process_id(const cp_process_t *self);

/* The user data given to cp_process_spawn(). */
void *cp_process_data(const cp_process_t *self);

/* The `ctx` given to cp_process_spawn_ctx() (NULL otherwise). */
void *cp_process_ctx(const cp_process_t *self);

/* The process's state (from inside it: BOTTOM in initialize, TERMINATING in
 * finalize, READY otherwise). */
cp_process_state_t cp_process_state(const cp_process_t *self);

/* The process the calling thread is running inside, or NULL. */
cp_process_t *cp_process_current(void);

/* Links self to `to`: when `to` ends, self's `exited` hook runs with `to`.
 * Linking a process that does not exist (or has ended) gives the exited
 * event at once (queued, as any event). A remote `to` is watched through
 * its node's connection: losing it counts as `to` ending. Linking twice is
 * the same as once. Returns 0 or CP_ENOMEM. Call inside self. */
int cp_process_link(cp_process_t *self, const cp_upid_t *to);

/* Removes a link made by cp_process_link() (no exited event follows). */
void cp_process_unlink(cp_process_t *self, const cp_upid_t *to);

/* Messages dropped because no handler was installed for their name, by
 * this process (see message.h); stops counting at UINT32_MAX. */
uint64_t cp_process_unhandled_count(const cp_process_t *self);

/* Loop turns (docs/runtime.md, "Loop turns"). With `on`, a message
 * decoded from the network, or a timer, that finds this process idle
 * runs its turn on the node's event-loop thread, right after the loop's
 * I/O, instead of waking a worker: a remote request and its reply then
 * cross no thread. Still one thread at a time inside, FIFO per sender.
 * A loop turn runs at most 256 events and stops after 200 us; three loop
 * turns in a row that take longer than 1 ms turn this off again (with a
 * warning), and cp_future_wait() and cp_process_wait() inside a loop turn
 * fail at once instead of blocking the loop. Only for processes whose
 * handlers are short and never block: while one runs, no connection of
 * the node is read or written. Off by default. Call inside self. */
void cp_process_set_loop_turns(cp_process_t *self, bool on);

/* Whether self's turns may run on the event-loop thread: set with
 * cp_process_set_loop_turns() (or the IDL's option loop_turns) and not
 * turned off since by slow turns. Call inside self. */
bool cp_process_loop_turns(const cp_process_t *self);

#ifdef __cplusplus
}
#endif

#endif
