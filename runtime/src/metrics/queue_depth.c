/* processes/<type>/queued: events waiting per process type, measured at
 * snapshot time (queue_depth.h says how and why). */
#include "metrics/queue_depth.h"

#include <stdlib.h>

#include "core/introspect.h"
#include "cproc/dispatch.h"
#include "cproc/mailbox.h"
#include "cproc/runtime.h"
#include "metrics/ask.h"

/* Per process, under the ask's lock once asked. */
enum { QD_KNOWN, QD_ASK, QD_ANSWERED };

struct cp__qd {
    cp__ask_t *ask;        /* owns this struct */
    cp__proc_info_t *list; /* the processes listed, n of them */
    size_t n;
    unsigned char *state; /* per process: QD_* */
    double *depth;        /* per process: its count, when known or answered */
    void (*done)(void *arg);
    void *arg;
};

static void qd_free(void *p)
{
    cp__qd_t *q = p;
    cp__processes_list_free(q->list, q->n);
    free(q->state);
    free(q->depth);
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
    cp__qd_t *q = arg;
    q->state[i] = QD_ANSWERED;
    if (cp_future_is_ready(f))
        q->depth[i] = (double)*(uint64_t *)cp_future_value(f);
    else if (cp_future_is_abandoned(f))
        q->depth[i] = 0; /* ended: nothing waits any more */
    else
        q->depth[i] = 1; /* failed (out of memory): the lower bound */
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
    if (!q || cp__processes_list(&q->list, &q->n) != 0) {
        free(q);
        return NULL;
    }
    q->state = q->n ? calloc(q->n, sizeof *q->state) : NULL;
    q->depth = q->n ? calloc(q->n, sizeof *q->depth) : NULL;
    q->ask = q->n && (!q->state || !q->depth) ? NULL : cp__ask_new(&ops, q);
    if (!q->ask) {
        qd_free(q);
        return NULL;
    }
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    for (size_t i = 0; i < q->n; i++) {
        if (!q->list[i].queued)
            continue; /* empty: 0 */
        q->state[i] = QD_ASK;
        /* A bounded mailbox counts its events itself: no need to ask. */
        cp_upid_t pid;
        cp_mailbox_stats_t st;
        if (cp_upid_make(q->list[i].id, ip, port, &pid) == 0 && cp_mailbox_stats(&pid, &st) == 0 &&
            st.bound) {
            q->depth[i] = st.queued;
            q->state[i] = QD_KNOWN;
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
        if (q->state[i] == QD_ASK && cp_upid_make(q->list[i].id, ip, port, &pid) == 0)
            cp__ask_one(q->ask, i, &pid, count_inside, NULL, 0, NULL);
    }
    cp__ask_start(q->ask, bound_ns);
}

void cp__qd_figures(cp__qd_t *q, cp__fams_t *f)
{
    cp__ask_close(q->ask); /* answers after this are dropped: no lock needed */
    for (size_t i = 0; i < q->n; i++)
        if (q->state[i] == QD_ASK)
            q->depth[i] = 1; /* not answered: the lower bound, all that is known */
    cp__per_type_gauges(f, q->list, q->depth, q->n, "queued",
                        "Events waiting in the mailboxes of processes of this type, measured "
                        "when the snapshot reached each process");
}
