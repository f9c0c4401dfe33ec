/* Internal: what the runtime's own introspection reads of its processes:
 * the process table (a copy) and a process's pending events. */
#ifndef CPROC_CORE_INTROSPECT_H
#define CPROC_CORE_INTROSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* One live process, as cp__processes_list() copied it. */
typedef struct cp__proc_info {
    char *id; /* id_len bytes and a NUL, owned by the list */
    size_t id_len;
    int state;       /* a cp_process_state_t */
    bool queued;     /* events were waiting for it */
    uint64_t events; /* events it has run so far */
} cp__proc_info_t;

/* Copies every live process into *v (malloc'd, *n entries, table order;
 * NULL when there are none), taking the process table's lock only to
 * copy. Returns 0, or CP_ENOMEM leaving *v NULL and *n 0. Free with
 * cp__processes_list_free(). Any thread. */
int cp__processes_list(cp__proc_info_t **v, size_t *n);
void cp__processes_list_free(cp__proc_info_t *v, size_t n);

/* The length of a process id's type: the id without a generated "(N)"
 * suffix, so that "__req_res__(3)" and "__req_res__(9)" count together
 * (processes/<type>/... in the transport's and the metrics' figures). */
size_t cp__process_type_len(const char *id, size_t n);

#endif
