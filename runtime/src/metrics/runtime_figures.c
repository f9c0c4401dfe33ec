/* Figures about processes that the snapshot adds beside the transport's:
 * per process type, how many processes have events waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "metrics/format.h"

typedef struct type_count {
    char *type;
    size_t len;
    double waiting;
} type_count_t;

typedef struct gather {
    type_count_t *v;
    size_t n, cap;
    double total;
    bool oom;
} gather_t;

/* A process's type: its id without a generated "(N)" suffix, as the
 * transport's processes/<type>/count. */
static size_t type_len(const char *id, size_t n)
{
    if (n > 0 && id[n - 1] == ')') {
        const char *open = memrchr(id, '(', n);
        if (open != NULL && open != id)
            return (size_t)(open - id);
    }
    return n;
}

static void one(void *arg, const char *id, size_t id_len, int state, bool queued, uint64_t events)
{
    gather_t *g = arg;
    g->total++;
    if (g->oom)
        return;
    size_t len = type_len(id, id_len);
    for (size_t i = 0; i < g->n; i++) {
        if (g->v[i].len == len && memcmp(g->v[i].type, id, len) == 0) {
            g->v[i].waiting += queued;
            return;
        }
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        type_count_t *v = realloc(g->v, cap * sizeof *v);
        if (!v) {
            g->oom = true;
            return;
        }
        g->v = v;
        g->cap = cap;
    }
    char *t = malloc(len + 1);
    if (!t) {
        g->oom = true;
        return;
    }
    memcpy(t, id, len);
    t[len] = 0;
    g->v[g->n++] = (type_count_t){t, len, queued};
}

void cp__runtime_figures(cp__fams_t *f)
{
    gather_t g = {0};
    cp__processes_each(one, &g);
    for (size_t i = 0; i < g.n; i++) {
        char name[320];
        int n = snprintf(name, sizeof name, "processes/%s/waiting", g.v[i].type);
        cp__fam_t *x = n > 0 && (size_t)n < sizeof name
                           ? cp__fams_add(f, name, (size_t)n,
                                          "Processes of this type with events waiting",
                                          CP__FAM_GAUGE)
                           : NULL;
        if (x) {
            x->has_value = true;
            x->value = g.v[i].waiting;
        }
        free(g.v[i].type);
    }
    free(g.v);
    cp__fam_t *x = cp__fams_add(f, "runtime/processes", 17, "Live processes", CP__FAM_GAUGE);
    if (x) {
        x->has_value = true;
        x->value = g.total;
    }
    if (g.oom)
        f->oom = true;
}
