/* Introspection (introspect.h): the process table copied, and a mailbox
 * walked from its consumer's side. */
#include "core/introspect.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/mailbox_queue.h"
#include "core/node.h"
#include "cproc/error.h"

typedef struct list {
    cp__proc_info_t *v;
    size_t n, cap;
    bool oom;
} list_t;

/* Under the process table's lock: copies only. */
static void copy_one(void *arg, const char *id, size_t id_len, int state, bool queued,
                     uint64_t events)
{
    list_t *l = arg;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        cp__proc_info_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    char *copy = malloc(id_len + 1); /* all id_len bytes, then a NUL */
    if (!copy) {
        l->oom = true;
        return;
    }
    memcpy(copy, id, id_len);
    copy[id_len] = 0;
    l->v[l->n++] = (cp__proc_info_t){copy, id_len, state, queued, events};
}

int cp__processes_list(cp__proc_info_t **v, size_t *n)
{
    list_t l = {0};
    cp__processes_each(copy_one, &l);
    if (l.oom) {
        cp__processes_list_free(l.v, l.n);
        *v = NULL;
        *n = 0;
        return CP_ENOMEM;
    }
    *v = l.v;
    *n = l.n;
    return 0;
}

size_t cp__process_type_len(const char *id, size_t n)
{
    if (n > 0 && id[n - 1] == ')') {
        const char *open = memrchr(id, '(', n);
        if (open != NULL && open != id)
            return (size_t)(open - id);
    }
    return n;
}

void cp__processes_list_free(cp__proc_info_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].id);
    free(v);
}

struct walk {
    void (*fn)(void *arg, cp__event_type_t type, const char *name, size_t name_len);
    void *arg;
};

static void walk_one(void *arg, const cp__event_t *ev)
{
    struct walk *w = arg;
    switch (ev->kind) {
    case CP__EV_MESSAGE:
        w->fn(w->arg, CP__EVT_MESSAGE, ev->u.m.name, ev->u.m.name_len);
        break;
    case CP__EV_EXITED:
        w->fn(w->arg, CP__EVT_EXITED, NULL, 0);
        break;
    case CP__EV_TERMINATE:
        w->fn(w->arg, CP__EVT_TERMINATE, NULL, 0);
        break;
    case CP__EV_DISPATCH:
    case CP__EV_DISPATCH_FUTURE:
        w->fn(w->arg, CP__EVT_DISPATCH, NULL, 0);
        break;
    default:
        break;
    }
}

void cp__mailbox_walk(cp_process_t *self,
                      void (*fn)(void *arg, cp__event_type_t type, const char *name,
                                 size_t name_len),
                      void *arg)
{
    struct walk w = {fn, arg};
    cp__mq_walk(self, walk_one, &w);
}
