/* cproc — the runtime: start and stop.
 *
 * Everything in cproc lives in one runtime context: the worker threads that
 * run processes, the libuv event-loop thread (timers, sockets), the process
 * table and the clock. Start it once before spawning anything and stop it
 * when done; a program may start it again after stopping it.
 */
#ifndef CPROC_RUNTIME_H
#define CPROC_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_runtime_options {
    /* Worker threads, 1..1024; 0 reads LIBPROCESS_NUM_WORKER_THREADS, then
     * CPROC_NUM_WORKER_THREADS, else uses the number of cores. */
    unsigned num_workers;
    /* Start with the clock paused (see clock.h). */
    bool clock_paused;
} cp_runtime_options_t;

/* Starts the runtime. `opts` is borrowed; NULL means all defaults (the
 * environment decides). The node listens on 127.0.0.1 unless LIBPROCESS_IP
 * says otherwise (docs/wire.md). Every thread the runtime creates has
 * SIGPIPE blocked, so a peer closing a connection never ends the process;
 * the process-wide SIGPIPE disposition is not changed.
 * Returns 0; CP_EINVAL for a bad setting in the options or the environment
 * (TLS files that cannot be loaded included); CP_ESTATE if already
 * running; CP_ENOMEM / CP_EIO if threads or the loop cannot be made or the
 * node cannot listen. On failure cp_runtime_start_error() says why, and the
 * same sentence is logged at error level. Call from a non-process thread. */
int cp_runtime_start(const cp_runtime_options_t *opts);

/* Why the last cp_runtime_start() failed, as one sentence naming what to
 * fix, e.g. "cannot listen on 127.0.0.1:5050: address already in use" or
 * "LIBPROCESS_PORT=\"http\" is not a whole number from 0 to 65535".
 * "" when it succeeded. Static storage, valid until the next start. */
const char *cp_runtime_start_error(void);

/* Stops the runtime, in this order: the transport stops accepting, drops
 * what is in flight and closes every connection (nothing arrives from the
 * network after this); every process terminates (finalize runs, pending
 * dispatch futures are abandoned); the event loop stops; the workers are
 * joined; everything is freed. No effect when not running. Call from a thread that
 * is not a runtime thread (never from inside a process or a timer). */
void cp_runtime_stop(void);

/* True between a successful cp_runtime_start() and cp_runtime_stop(). */
bool cp_runtime_running(void);

/* The number of worker threads of the running runtime (0 when stopped). */
unsigned cp_runtime_num_workers(void);

/* The node's address (what local UPIDs carry). Zero when stopped. */
void cp_runtime_address(uint32_t *ip, uint16_t *port);

/* Parses a worker count the way cp_runtime_start() reads the environment:
 * decimal 1..1024, nothing else. Returns 0 and writes *out, or CP_EINVAL. */
int cp_runtime_parse_workers(const char *text, unsigned *out);

#ifdef __cplusplus
}
#endif

#endif
