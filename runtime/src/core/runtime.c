/* The runtime context: start/stop, the event-loop thread and its posts. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async/async_internal.h"
#include "core/call.h"
#include "core/core_internal.h"
#include "core/env.h"
#include "core/node.h"
#include "cproc/error.h"
#include "cproc/runtime.h"
#include "metrics/loop_lag.h"
#include "core/transport_ops.h"

cp__runtime_t cp__rt = {
    .life_mu = PTHREAD_MUTEX_INITIALIZER,
    .ev_mu = PTHREAD_MUTEX_INITIALIZER,
    .log_level = CP_LOG_WARN,
};

static _Thread_local bool on_loop_thread CP__TLS_IE;

/* Why the last cp_runtime_start() failed ("" after a success). Written
 * under life_mu. */
static char start_error[CP__START_ERRLEN];

uint64_t cp__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cp_runtime_parse_workers(const char *text, unsigned *out)
{
    if (text == NULL || *text == '\0')
        return CP_EINVAL;
    unsigned long v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return CP_EINVAL;
        v = v * 10 + (unsigned long)(*c - '0');
        if (v > 1024)
            return CP_EINVAL;
    }
    if (v < 1)
        return CP_EINVAL;
    *out = (unsigned)v;
    return 0;
}

static int workers_from_env(unsigned *out)
{
    uint64_t v = 0;
    bool set = false;
    int rc = cp__env_u64("NUM_WORKER_THREADS", 1, 1024, &v, &set, start_error);
    if (rc != 0)
        return rc;
    if (set) {
        *out = (unsigned)v;
        return 0;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    *out = n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
    return 0;
}

/* ---- the loop thread -------------------------------------------------- */

uv_loop_t *cp__loop(void)
{
    return &cp__rt.loop;
}

bool cp__on_loop_thread(void)
{
    return on_loop_thread;
}

static void close_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void transport_quiesce(void)
{
    if (cp__rt.transport_quiesced)
        return;
    cp__rt.transport_quiesced = true;
    cp__rt.transport->quiesce();
}

/* The loop's last step: every post queued before the stop has run. */
static void loop_shutdown(void *arg)
{
    cp__loop_turns_stop();
    transport_quiesce();
    cp__subprocess_loop_shutdown();
    cp__rt.transport->fini();
    uv_walk(&cp__rt.loop, close_cb, NULL);
}

static void run_posts(uv_async_t *h)
{
    for (;;) {
        pthread_mutex_lock(&cp__rt.post_mu);
        struct cp__post *list = cp__rt.post_head;
        cp__rt.post_head = cp__rt.post_tail = NULL;
        bool stop = list == NULL && cp__rt.loop_stop && !cp__rt.loop_shut;
        if (stop)
            cp__rt.loop_shut = true;
        pthread_mutex_unlock(&cp__rt.post_mu);
        if (stop)
            loop_shutdown(NULL);
        if (list == NULL)
            break;
        while (list) {
            struct cp__post *next = list->next;
            list->fn(list->arg);
            free(list);
            atomic_fetch_sub(&cp__rt.loop_pending, 1);
            list = next;
        }
    }
}

int cp__loop_post(void (*fn)(void *arg), void *arg)
{
    struct cp__post *p = malloc(sizeof *p);
    if (p == NULL)
        return CP_ENOMEM;
    p->fn = fn;
    p->arg = arg;
    p->next = NULL;
    pthread_mutex_lock(&cp__rt.post_mu);
    if (cp__rt.loop_stop) {
        pthread_mutex_unlock(&cp__rt.post_mu);
        free(p);
        return CP_ESTATE;
    }
    atomic_fetch_add(&cp__rt.loop_pending, 1);
    if (cp__rt.post_tail)
        cp__rt.post_tail->next = p;
    else
        cp__rt.post_head = p;
    cp__rt.post_tail = p;
    uv_async_send(&cp__rt.async);
    pthread_mutex_unlock(&cp__rt.post_mu);
    return 0;
}

struct loop_start {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int rc;
};

/* Marks the loop for shutdown: later posts are refused, so nothing touches
 * the async handle once it is closed; run_posts() closes everything after
 * the posts already queued. */
static void post_shutdown(void)
{
    pthread_mutex_lock(&cp__rt.post_mu);
    cp__rt.loop_stop = true;
    uv_async_send(&cp__rt.async);
    pthread_mutex_unlock(&cp__rt.post_mu);
}

static void *loop_main(void *arg)
{
    struct loop_start *st = arg;
    on_loop_thread = true;
    int rc = 0;
    if (uv_loop_init(&cp__rt.loop) != 0)
        rc = CP_EIO;
    else if (uv_async_init(&cp__rt.loop, &cp__rt.async, run_posts) != 0) {
        uv_loop_close(&cp__rt.loop);
        rc = CP_EIO;
    } else {
        uv_timer_init(&cp__rt.loop, &cp__rt.uvtimer);
        cp__clock_loop_init();
        cp__loop_lag_start(&cp__rt.loop);
        cp__rt.transport_quiesced = false;
        rc = cp__loop_turns_start(&cp__rt.loop);
        if (rc == 0)
            rc = cp__rt.transport->start(&cp__rt.ip, &cp__rt.port, start_error);
        if (rc != 0) {
            uv_walk(&cp__rt.loop, close_cb, NULL);
            uv_run(&cp__rt.loop, UV_RUN_DEFAULT);
            uv_loop_close(&cp__rt.loop);
        }
    }
    pthread_mutex_lock(&st->mu);
    st->rc = rc;
    st->done = true;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    if (rc != 0)
        return NULL;
    uv_run(&cp__rt.loop, UV_RUN_DEFAULT);
    uv_loop_close(&cp__rt.loop);
    on_loop_thread = false;
    return NULL;
}

/* SIGPIPE: a peer that closes while the loop thread writes to it makes
 * write()/writev() fail with EPIPE and, unless the signal is blocked or
 * ignored, raise SIGPIPE, whose default action ends the process. libuv
 * writes TCP with write()/writev() and leaves SIGPIPE to the application.
 * The runtime blocks SIGPIPE in every thread it creates (the loop thread
 * and the workers inherit the mask of the thread that creates them), so a
 * write of the runtime's fails with EPIPE, which the transport handles,
 * and the signal is never delivered. The process-wide disposition is left
 * alone: nothing for the application to opt out of. */
static void block_sigpipe(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, saved);
}

static void restore_sigmask(const sigset_t *saved)
{
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Runs the transport's quiesce on the loop thread and waits for it: once
 * it returns, nothing from the network reaches a process any more. */
struct sync_call {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
};

static void quiesce_on_loop(void *arg)
{
    struct sync_call *c = arg;
    transport_quiesce();
    pthread_mutex_lock(&c->mu);
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void quiesce_transport_sync(void)
{
    struct sync_call c = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    if (cp__loop_post(quiesce_on_loop, &c) != 0)
        return; /* the loop is stopping already and quiesces on its way out */
    pthread_mutex_lock(&c.mu);
    while (!c.done)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
}

const char *cp_runtime_start_error(void)
{
    return start_error;
}

/* CPROC_LOG, in any case; a bad value stops the start like any other
 * variable's (the level stays at warn so the sentence is logged). */
static int log_level_from_env(int *level)
{
    const char *v = getenv("CPROC_LOG");
    cp_log_level_t lvl = CP_LOG_WARN;
    *level = (int)lvl;
    if (!v)
        return 0;
    char low[8];
    size_t n = 0;
    for (; v[n] && n < sizeof low - 1; n++)
        low[n] = (char)tolower((unsigned char)v[n]);
    low[n] = '\0';
    if (v[n] != '\0' || cp_log_parse_level(low, &lvl) != 0)
        return cp__env_bad(start_error, "CPROC_LOG", v,
                           "not a log level (off, error, warn, info or debug)");
    *level = (int)lvl;
    return 0;
}

int cp_runtime_start(const cp_runtime_options_t *opts)
{
    pthread_mutex_lock(&cp__rt.life_mu);
    if (atomic_load(&cp__rt.running)) {
        snprintf(start_error, sizeof start_error, "the runtime is already running");
        pthread_mutex_unlock(&cp__rt.life_mu);
        return CP_ESTATE;
    }
    start_error[0] = '\0';
    int level;
    int rc = log_level_from_env(&level);
    atomic_store(&cp__rt.log_level, level);
    if (rc != 0)
        goto fail;
    cp__rt.transport = &cp__tcp_transport;
    unsigned n = opts ? opts->num_workers : 0;
    if (n > 1024) {
        snprintf(start_error, sizeof start_error,
                 "num_workers=%u is not a whole number from 1 to 1024", n);
        rc = CP_EINVAL;
        goto fail;
    }
    if (n == 0 && (rc = workers_from_env(&n)) != 0)
        goto fail;
    /* The calls' default deadline, and the longest the loop polls after
     * loop turns (loop_turns.c), parsed as every variable (core/env.h). */
    uint64_t call_ms = 0, poll_us = CP__LOOP_POLL_US_DEFAULT;
    if ((rc = cp__env_cproc_u64("CPROC_CALL_TIMEOUT_MS", 1, 86400000u, &call_ms, start_error)) ||
        (rc = cp__env_cproc_u64("CPROC_LOOP_POLL_US", 0, 10000, &poll_us, start_error)))
        goto fail;
    cp__rt.loop_poll_ns = poll_us * 1000u;
    cp__rt.num_workers = n;
    atomic_store(&cp__rt.stopping, false);
    pthread_mutex_init(&cp__rt.post_mu, NULL);
    cp__rt.loop_stop = false;
    cp__rt.loop_shut = false;
    cp__rt.post_head = cp__rt.post_tail = NULL;
    atomic_store(&cp__rt.loop_pending, 0);
    atomic_store(&cp__rt.unhandled_total, 0);
    pthread_mutex_init(&cp__rt.rlink_mu, NULL);
    pthread_mutex_init(&cp__rt.test_mu, NULL);
    pthread_rwlock_init(&cp__rt.filter_mu, NULL);
    if ((rc = cp__table_init()) != 0)
        goto fail;
    if ((rc = cp__clock_init(opts && opts->clock_paused)) != 0) {
        cp__table_free();
        goto fail;
    }

    struct loop_start st = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    sigset_t saved;
    block_sigpipe(&saved);
    if (pthread_create(&cp__rt.loop_thread, NULL, loop_main, &st) != 0) {
        restore_sigmask(&saved);
        snprintf(start_error, sizeof start_error, "cannot create the event-loop thread");
        rc = CP_EIO;
        goto fail_tables;
    }
    pthread_mutex_lock(&st.mu);
    while (!st.done)
        pthread_cond_wait(&st.cv, &st.mu);
    pthread_mutex_unlock(&st.mu);
    pthread_mutex_destroy(&st.mu);
    pthread_cond_destroy(&st.cv);
    if (st.rc != 0) {
        restore_sigmask(&saved);
        pthread_join(cp__rt.loop_thread, NULL);
        rc = st.rc;
        goto fail_tables;
    }
    rc = cp__sched_start(n);
    restore_sigmask(&saved);
    if (rc != 0) {
        snprintf(start_error, sizeof start_error, "cannot create %u worker threads: %s", n,
                 cp_strerror(rc));
        post_shutdown();
        pthread_join(cp__rt.loop_thread, NULL);
        goto fail_tables;
    }
    cp__calls_start(call_ms);
    atomic_store(&cp__rt.running, true);
    pthread_mutex_unlock(&cp__rt.life_mu);
    cp_log(CP_LOG_INFO, "runtime started: %u workers", n);
    return 0;

fail_tables:
    cp__timers_free();
    cp__table_free();
fail:
    if (start_error[0] == '\0')
        snprintf(start_error, sizeof start_error, "%s", cp_strerror(rc));
    cp_log(CP_LOG_ERROR, "cannot start: %s", start_error);
    pthread_mutex_unlock(&cp__rt.life_mu);
    return rc;
}

void cp_runtime_stop(void)
{
    if (cp__is_worker || on_loop_thread) {
        /* Joining the thread we run on would hang forever. */
        cp_log(CP_LOG_ERROR, "cp_runtime_stop() called from a runtime thread; ignored");
        return;
    }
    pthread_mutex_lock(&cp__rt.life_mu);
    if (!atomic_load(&cp__rt.running)) {
        pthread_mutex_unlock(&cp__rt.life_mu);
        return;
    }
    atomic_store(&cp__rt.stopping, true);
    /* Stop is prompt: every process is told to terminate ahead of its
     * queue first, so what is queued (a flood from the network, say) is
     * dropped, not run, while the steps below proceed. Then one order,
     * each step quiet before the next: the network (no more deliveries),
     * then the processes (waited for), then the loop (no more timers or
     * posts), then the workers, whose run queue everything above pushes
     * into. */
    cp__process_terminate_all_ahead();
    quiesce_transport_sync();
    cp__testing_reset();
    cp__filters_free();
    cp__process_terminate_all();
    post_shutdown();
    pthread_join(cp__rt.loop_thread, NULL);
    cp__sched_stop();
    /* From here lookups find nothing, so what the freeing below triggers
     * (abandoned futures, their callbacks) cannot reach a process. */
    atomic_store(&cp__rt.running, false);
    cp__timers_free(); /* calls still pending end here */
    cp__calls_stop();
    cp__rlinks_free();
    cp__table_free();
    cp__event_cache_flush();
    cp__event_pool_free();
    pthread_mutex_destroy(&cp__rt.post_mu);
    pthread_mutex_destroy(&cp__rt.rlink_mu);
    pthread_mutex_destroy(&cp__rt.test_mu);
    pthread_rwlock_destroy(&cp__rt.filter_mu);
    cp__rt.ip = 0;
    cp__rt.port = 0;
    cp__rt.num_workers = 0;
    pthread_mutex_unlock(&cp__rt.life_mu);
}

bool cp_runtime_running(void)
{
    return atomic_load(&cp__rt.running);
}

unsigned cp_runtime_num_workers(void)
{
    return atomic_load(&cp__rt.running) ? cp__rt.num_workers : 0;
}

void cp_runtime_address(uint32_t *ip, uint16_t *port)
{
    cp__node_address(ip, port);
}

void cp__node_address(uint32_t *ip, uint16_t *port)
{
    if (ip)
        *ip = cp__rt.ip;
    if (port)
        *port = cp__rt.port;
}
