/* processes/<type>/queued: events waiting per process type, measured at
 * snapshot time (queue_depth.h says how and why). */
#include "metrics/queue_depth.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/introspect.h"
#include "cproc/dispatch.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"
#include "metrics/ask.h"

typedef struct qd_proc {
    char *id;      /* the whole id while it is to be asked, then NULL */
    char *type;
    bool ask;
    bool reported; /* under the ask's lock: answered */
    double depth;  /* under the ask's lock */
} qd_proc_t;

struct cp__qd {
    cp__ask_t *ask; /* owns this struct */
    qd_proc_t *v;
    size_t n;
    void (*done)(void *arg);
    void *arg;
};

static void qd_free(void *p)
{
    cp__qd_t *q = p;
    for (size_t i = 0; i < q->n; i++) {
        free(q->v[i].id);
        free(q->v[i].type);
    }
    free(q->v);
    free(q);
}

void cp__qd_free(cp__qd_t *q)
{
    if (q)
        cp__ask_unref(q->ask);
}

/* Under the ask's lock. */
static void answer(void *arg, size_t i, cp_future_t *f)
{
    qd_proc_t *p = &((cp__qd_t *)arg)->v[i];
    p->reported = true;
    if (cp_future_is_ready(f))
        p->depth = (double)*(uint64_t *)cp_future_value(f);
    else if (cp_future_is_abandoned(f))
        p->depth = 0; /* ended: nothing waits any more */
    else
        p->depth = 1; /* failed (out of memory): the lower bound */
}

static void finished(void *arg)
{
    cp__qd_t *q = arg;
    q->done(q->arg);
}

static const cp__ask_ops_t ops = {answer, finished, qd_free};

cp__qd_t *cp__qd_new(void)
{
    cp__qd_t *q = calloc(1, sizeof *q);
    cp__proc_info_t *list = NULL;
    size_t n = 0;
    if (!q || cp__processes_list(&list, &n) != 0) {
        free(q);
        return NULL;
    }
    q->v = n ? calloc(n, sizeof *q->v) : NULL;
    q->ask = n && !q->v ? NULL : cp__ask_new(&ops, q);
    for (size_t i = 0; q->ask && i < n; i++) {
        qd_proc_t *p = &q->v[q->n];
        p->type = strndup(list[i].id, cp__process_type_len(list[i].id, list[i].id_len));
        if (!p->type)
            break;
        q->n++;
        if (list[i].queued) { /* the id moves over */
            p->id = list[i].id;
            list[i].id = NULL;
            p->ask = true;
        }
    }
    bool oom = !q->ask || q->n < n;
    cp__processes_list_free(list, n);
    if (oom) {
        if (q->ask)
            cp__ask_unref(q->ask);
        else
            qd_free(q);
        return NULL;
    }
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < q->n; i++) {
        qd_proc_t *p = &q->v[i];
        /* A bounded mailbox counts its events itself: no need to ask. */
        cp_upid_t pid;
        cp_mailbox_stats_t st;
        if (p->ask && cp_upid_make(p->id, ip, port, &pid) == 0 &&
            cp_mailbox_stats(&pid, &st) == 0 && st.bound) {
            p->depth = st.queued;
            p->ask = false;
        }
    }
    return q;
}

static void count_one(void *arg, cp__event_type_t type, const char *name, size_t name_len)
{
    (*(uint64_t *)arg)++;
}

/* Inside the process: the events queued behind this dispatch. */
static cp_future_t *count_inside(cp_process_t *self, void *args)
{
    uint64_t *n = malloc(sizeof *n);
    if (!n)
        return cp_future_failed("out of memory");
    *n = 0;
    cp__mailbox_walk(self, count_one, n);
    return cp_future_ready(n, free);
}

void cp__qd_start(cp__qd_t *q, uint64_t bound_ns, void (*done)(void *arg), void *arg)
{
    q->done = done;
    q->arg = arg;
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < q->n; i++) {
        cp_upid_t pid;
        /* Not asked (out of memory): counts 1, as one not answered. */
        if (q->v[i].ask && cp_upid_make(q->v[i].id, ip, port, &pid) == 0)
            cp__ask_one(q->ask, i, &pid, count_inside, NULL, 0, NULL);
    }
    cp__ask_start(q->ask, bound_ns);
}

void cp__qd_figures(cp__qd_t *q, cp__fams_t *f)
{
    cp__ask_close(q->ask); /* answers after this are dropped */
    /* Sum per type: the list is short per type, as runtime_figures.c's. */
    typedef struct {
        const char *type;
        double sum;
    } sum_t;
    sum_t *sums = q->n ? malloc(q->n * sizeof *sums) : NULL;
    size_t ns = 0;
    if (q->n && !sums)
        f->oom = true;
    for (size_t i = 0; sums && i < q->n; i++) {
        qd_proc_t *p = &q->v[i];
        /* Not answered: the lower bound, all that is known. */
        double d = p->ask && !p->reported ? 1 : p->depth;
        size_t j = 0;
        while (j < ns && strcmp(sums[j].type, p->type) != 0)
            j++;
        if (j == ns)
            sums[ns++] = (sum_t){p->type, 0};
        sums[j].sum += d;
    }
    for (size_t j = 0; j < ns; j++) {
        char name[320];
        int n = snprintf(name, sizeof name, "processes/%s/queued", sums[j].type);
        cp__fam_t *x = n > 0 && (size_t)n < sizeof name
                           ? cp__fams_add(f, name, (size_t)n,
                                          "Events waiting in the mailboxes of processes of this "
                                          "type, measured when the snapshot reached each process",
                                          CP__FAM_GAUGE)
                           : NULL;
        if (x) {
            x->has_value = true;
            x->value = sums[j].sum;
        }
    }
    free(sums);
}
