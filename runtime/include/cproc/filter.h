/* cproc — event filters (for tests).
 *
 * A filter sees every dispatch, message and exited event on its way into a
 * process's mailbox and may drop it, as libprocess's filter(): the basis of
 * "expect message X" and "drop message X" (see testing.h). Filters cost one
 * atomic load per event when none is installed.
 */
#ifndef CPROC_FILTER_H
#define CPROC_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/dispatch.h"
#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cp_event_kind {
    CP_EVENT_DISPATCH = 1,
    CP_EVENT_MESSAGE,
    CP_EVENT_EXITED,
} cp_event_kind_t;

/* An event as a filter sees it; everything is borrowed for the call. */
typedef struct cp_event_view {
    cp_event_kind_t kind;
    const cp_upid_t *to;      /* the receiving process */
    /* CP_EVENT_DISPATCH: the function and its argument block. Exactly one
     * of fn / future_fn is set. */
    cp_dispatch_fn fn;
    cp_dispatch_future_fn future_fn;
    const void *args;
    /* CP_EVENT_MESSAGE: name, sender and body. */
    const char *name;
    const cp_upid_t *from;
    const void *body;
    size_t len;
    /* CP_EVENT_EXITED: the process that ended. */
    const cp_upid_t *exited;
} cp_event_view_t;

/* Returns true to drop the event. Runs on whatever thread sends the event;
 * must be quick, must not block and must not send events itself. */
typedef bool (*cp_filter_fn)(const cp_event_view_t *ev, void *arg);

/* Adds a filter (filters run in the order added; the first that drops
 * wins). Writes an id for cp_filter_remove() to *id. `arg` is borrowed
 * until the filter is removed. Returns 0, CP_ENOMEM or CP_ESTATE. */
int cp_filter_add(cp_filter_fn fn, void *arg, uint64_t *id);

/* Removes a filter; when it returns the filter is not running and will not
 * run again. CP_ENOENT for an unknown id. cp_runtime_stop() removes all. */
int cp_filter_remove(uint64_t id);

#ifdef __cplusplus
}
#endif

#endif
