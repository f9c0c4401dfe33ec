/* counter: a tour of the cproc runtime in one small program.
 *
 * A `counter` process keeps a total. The main thread dispatches increments
 * into it, asks for the total with a future-returning dispatch, delays a
 * final increment, and a `watcher` process links to the counter to hear
 * when it terminates.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cproc/cproc.h"

typedef struct counter {
    long total;
} counter_t;

static void add(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    c->total += *(const long *)args;
}

static cp_future_t *get_total(cp_process_t *self, void *args)
{
    counter_t *c = cp_process_data(self);
    long *v = malloc(sizeof(*v));
    if (v == NULL)
        return cp_future_failed("out of memory");
    *v = c->total;
    return cp_future_ready(v, free);
}

static void watcher_exited(cp_process_t *self, const cp_upid_t *pid)
{
    char text[CP_UPID_STRLEN];
    cp_upid_format(pid, text, sizeof(text));
    printf("watcher: %s has terminated\n", text);
    cp_promise_set(cp_process_data(self), NULL);
}

static void watch(cp_process_t *self, void *args)
{
    cp_process_link(self, args);
}

/* Waits for a future from the main thread (never from inside a process). */
static bool await(cp_future_t *f)
{
    return cp_future_wait(f, 10 * CP_NS_PER_SEC) && cp_future_is_ready(f);
}

int main(void)
{
    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        /* The runtime logged the sentence already, unless its log is off. */
        if (!cp_log_enabled(CP_LOG_ERROR))
            fprintf(stderr, "counter: cannot start the runtime: %s\n", cp_runtime_start_error());
        return 1;
    }

    counter_t *state = calloc(1, sizeof(*state));
    static const cp_process_ops_t counter_ops = {.destroy = free};
    static const cp_process_ops_t watcher_ops = {.exited = watcher_exited};
    cp_promise_t *heard = cp_promise_new(NULL);
    cp_future_t *exited = cp_promise_future(heard);
    cp_upid_t counter, watcher;
    if (state == NULL || cp_process_spawn("counter", &counter_ops, state, &counter) != 0 ||
        cp_process_spawn("watcher", &watcher_ops, heard, &watcher) != 0) {
        fprintf(stderr, "counter: cannot spawn\n");
        return 1;
    }
    cp_dispatch(&watcher, watch, &counter, sizeof(counter), NULL);

    for (long i = 1; i <= 100; i++)
        cp_dispatch(&counter, add, &i, sizeof(i), NULL);

    cp_future_t *total = cp_dispatch_future(&counter, get_total, NULL, 0, NULL);
    if (await(total))
        printf("counter: total after 100 dispatches is %ld\n", *(long *)cp_future_value(total));
    cp_future_unref(total);

    /* delay() dispatches after a while: the total changes only then. */
    long last = 1000;
    cp_delay(50 * CP_NS_PER_MS, &counter, add, &last, sizeof(last), NULL);
    cp_future_t *now = cp_dispatch_future(&counter, get_total, NULL, 0, NULL);
    if (await(now))
        printf("counter: right after delay() it is still %ld\n", *(long *)cp_future_value(now));
    cp_future_unref(now);

    cp_process_terminate(&counter, false);
    cp_process_wait(&counter, CP_WAIT_FOREVER);
    await(exited); /* the watcher hears of it through its link */
    cp_future_unref(exited);
    cp_runtime_stop();
    cp_promise_free(heard);
    return 0;
}
