/* Internal: a process's pending events, for /__processes__. */
#ifndef CPROC_CORE_INTROSPECT_H
#define CPROC_CORE_INTROSPECT_H

#include <stddef.h>

#include "cproc/process.h"

typedef enum cp__event_type {
    CP__EVT_DISPATCH = 0,
    CP__EVT_MESSAGE,
    CP__EVT_EXITED,
    CP__EVT_TERMINATE,
} cp__event_type_t;

/* Calls fn for each event queued in self's mailbox, oldest first: its type
 * and, for a message, its name (not NUL-terminated, borrowed for the call;
 * NULL otherwise). Call inside self (the mailbox's only consumer): events
 * being pushed concurrently may or may not be seen. */
void cp__mailbox_walk(cp_process_t *self,
                      void (*fn)(void *arg, cp__event_type_t type, const char *name,
                                 size_t name_len),
                      void *arg);

#endif
