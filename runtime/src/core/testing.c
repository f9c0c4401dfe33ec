/* Test helpers: awaiting futures and expecting or dropping events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_internal.h"
#include "cproc/error.h"
#include "cproc/testing.h"

struct cp__expect {
    struct cp__expect *next;
    uint64_t id;
    cp_event_kind_t kind;
    bool drop;
    bool persistent;
    bool has_from, has_to;
    cp_upid_t from, to; /* from: the sender, or the exited pid */
    void (*fn)(void);
    char *name;
    cp_promise_t *promise;
};

bool cp_test_await(cp_future_t *f, uint64_t timeout_ns)
{
    uint64_t start = cp__mono_ns();
    long sleep_ns = 1000;
    while (cp_future_is_pending(f) && !cp_future_is_abandoned(f)) {
        if (cp__mono_ns() - start >= timeout_ns)
            return false;
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 1000000)
            sleep_ns *= 2;
    }
    return true;
}

static const char *outcome_name(cp_test_outcome_t o)
{
    switch (o) {
    case CP_TEST_READY:
        return "READY";
    case CP_TEST_FAILED:
        return "FAILED";
    case CP_TEST_DISCARDED:
        return "DISCARDED";
    case CP_TEST_ABANDONED:
        return "abandoned";
    }
    return "?";
}

bool cp_test_await_outcome(cp_future_t *f, cp_test_outcome_t want, uint64_t timeout_ns,
                           char *msg, size_t size)
{
    if (f == NULL) {
        snprintf(msg, size, "expected %s, got a NULL future", outcome_name(want));
        return false;
    }
    if (!cp_test_await(f, timeout_ns)) {
        snprintf(msg, size, "expected %s, still PENDING after %llu ms", outcome_name(want),
                 (unsigned long long)(timeout_ns / 1000000u));
        return false;
    }
    cp_test_outcome_t got = CP_TEST_ABANDONED;
    switch (cp_future_state(f)) {
    case CP_FUTURE_READY:
        got = CP_TEST_READY;
        break;
    case CP_FUTURE_FAILED:
        got = CP_TEST_FAILED;
        break;
    case CP_FUTURE_DISCARDED:
        got = CP_TEST_DISCARDED;
        break;
    case CP_FUTURE_PENDING:
        break;
    }
    if (got == want)
        return true;
    if (got == CP_TEST_FAILED)
        snprintf(msg, size, "expected %s, got FAILED: %s", outcome_name(want),
                 cp_future_failure(f));
    else
        snprintf(msg, size, "expected %s, got %s", outcome_name(want), outcome_name(got));
    return false;
}

/* ---- expectations ------------------------------------------------------ */

static void expect_free(struct cp__expect *e)
{
    if (e->promise)
        cp_promise_free(e->promise);
    free(e->name);
    free(e);
}

static bool expect_match(const struct cp__expect *e, const cp_event_view_t *ev)
{
    if (e->kind != ev->kind)
        return false;
    if (e->has_to && !cp_upid_equal(&e->to, ev->to))
        return false;
    switch (ev->kind) {
    case CP_EVENT_MESSAGE:
        return (e->name == NULL || strcmp(e->name, ev->name) == 0) &&
               (!e->has_from || cp_upid_equal(&e->from, ev->from));
    case CP_EVENT_DISPATCH:
        return e->fn == NULL || e->fn == (void (*)(void))ev->fn ||
               e->fn == (void (*)(void))ev->future_fn;
    case CP_EVENT_EXITED:
        return !e->has_from || cp_upid_equal(&e->from, ev->exited);
    }
    return false;
}

/* A copy of a message in one allocation, freed with free(). */
static cp_message_t *message_copy(const cp_event_view_t *ev)
{
    size_t name_len = strlen(ev->name);
    cp_message_t *m = malloc(sizeof *m + sizeof(cp_upid_t) + name_len + 1 + ev->len);
    if (m == NULL)
        return NULL;
    cp_upid_t *from = (cp_upid_t *)(m + 1);
    char *name = (char *)(from + 1);
    char *body = name + name_len + 1;
    *from = *ev->from;
    memcpy(name, ev->name, name_len + 1);
    if (ev->len)
        memcpy(body, ev->body, ev->len);
    m->name = name;
    m->name_len = name_len;
    m->from = from;
    m->body = ev->len ? body : NULL;
    m->len = ev->len;
    return m;
}

static bool test_filter(const cp_event_view_t *ev, void *arg)
{
    bool drop = false;
    struct cp__expect *hit = NULL;
    pthread_mutex_lock(&cp__rt.test_mu);
    for (struct cp__expect **e = &cp__rt.expects; *e; e = &(*e)->next) {
        if (!expect_match(*e, ev))
            continue;
        drop = (*e)->drop;
        if (!(*e)->persistent) {
            hit = *e;
            *e = hit->next;
        }
        break;
    }
    pthread_mutex_unlock(&cp__rt.test_mu);
    if (hit) {
        void *value = ev->kind == CP_EVENT_MESSAGE ? message_copy(ev) : NULL;
        if (ev->kind == CP_EVENT_MESSAGE && value == NULL)
            cp_promise_fail(hit->promise, "out of memory copying the message");
        else
            cp_promise_set(hit->promise, value);
        expect_free(hit);
    }
    return drop;
}

/* The shared filter is added without holding test_mu: filters run under
 * the filter lock and then take test_mu, so the other order would invert. */
static int expect_add(struct cp__expect *e)
{
    if (!atomic_load(&cp__rt.running))
        return CP_ESTATE;
    pthread_mutex_lock(&cp__rt.test_mu);
    bool have = cp__rt.test_filter_id != 0;
    pthread_mutex_unlock(&cp__rt.test_mu);
    if (!have) {
        uint64_t fid = 0;
        int rc = cp_filter_add(test_filter, NULL, &fid);
        if (rc != 0)
            return rc;
        pthread_mutex_lock(&cp__rt.test_mu);
        if (cp__rt.test_filter_id == 0) {
            cp__rt.test_filter_id = fid;
            fid = 0;
        }
        pthread_mutex_unlock(&cp__rt.test_mu);
        if (fid)
            cp_filter_remove(fid);
    }
    static _Atomic uint64_t next_id;
    e->id = atomic_fetch_add(&next_id, 1) + 1;
    pthread_mutex_lock(&cp__rt.test_mu);
    struct cp__expect **tail = &cp__rt.expects;
    while (*tail)
        tail = &(*tail)->next;
    *tail = e;
    pthread_mutex_unlock(&cp__rt.test_mu);
    return 0;
}

static struct cp__expect *expect_new(cp_event_kind_t kind, const cp_upid_t *from,
                                     const cp_upid_t *to, bool drop, bool persistent)
{
    struct cp__expect *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->kind = kind;
    e->drop = drop;
    e->persistent = persistent;
    if (from) {
        e->has_from = true;
        e->from = *from;
    }
    if (to) {
        e->has_to = true;
        e->to = *to;
    }
    return e;
}

static cp_future_t *expect_future(struct cp__expect *e, cp_free_fn free_value)
{
    e->promise = cp_promise_new(free_value);
    if (e->promise == NULL) {
        expect_free(e);
        return NULL;
    }
    cp_future_t *f = cp_promise_future(e->promise);
    if (expect_add(e) != 0) {
        expect_free(e);
        cp_future_unref(f);
        return NULL;
    }
    return f;
}

cp_future_t *cp_test_expect_message(const char *name, const cp_upid_t *from,
                                    const cp_upid_t *to, bool drop)
{
    struct cp__expect *e = expect_new(CP_EVENT_MESSAGE, from, to, drop, false);
    if (e && name && (e->name = strdup(name)) == NULL) {
        expect_free(e);
        return NULL;
    }
    return e ? expect_future(e, free) : NULL;
}

cp_future_t *cp_test_expect_dispatch(const cp_upid_t *to, void (*fn)(void), bool drop)
{
    struct cp__expect *e = expect_new(CP_EVENT_DISPATCH, NULL, to, drop, false);
    if (e)
        e->fn = fn;
    return e ? expect_future(e, NULL) : NULL;
}

cp_future_t *cp_test_expect_exited(const cp_upid_t *exited, const cp_upid_t *to, bool drop)
{
    struct cp__expect *e = expect_new(CP_EVENT_EXITED, exited, to, drop, false);
    return e ? expect_future(e, NULL) : NULL;
}

int cp_test_drop_messages(const char *name, const cp_upid_t *from, const cp_upid_t *to,
                          uint64_t *id)
{
    struct cp__expect *e = expect_new(CP_EVENT_MESSAGE, from, to, true, true);
    if (e == NULL)
        return CP_ENOMEM;
    if (name && (e->name = strdup(name)) == NULL) {
        expect_free(e);
        return CP_ENOMEM;
    }
    int rc = expect_add(e);
    if (rc != 0) {
        expect_free(e);
        return rc;
    }
    if (id)
        *id = e->id;
    return 0;
}

int cp_test_drop_stop(uint64_t id)
{
    struct cp__expect *hit = NULL;
    if (!atomic_load(&cp__rt.running))
        return CP_ENOENT;
    pthread_mutex_lock(&cp__rt.test_mu);
    for (struct cp__expect **e = &cp__rt.expects; *e; e = &(*e)->next) {
        if ((*e)->id == id && (*e)->persistent) {
            hit = *e;
            *e = hit->next;
            break;
        }
    }
    pthread_mutex_unlock(&cp__rt.test_mu);
    if (hit == NULL)
        return CP_ENOENT;
    expect_free(hit);
    return 0;
}

void cp__testing_reset(void)
{
    pthread_mutex_lock(&cp__rt.test_mu);
    struct cp__expect *list = cp__rt.expects;
    cp__rt.expects = NULL;
    cp__rt.test_filter_id = 0;
    pthread_mutex_unlock(&cp__rt.test_mu);
    while (list) {
        struct cp__expect *next = list->next;
        expect_free(list);
        list = next;
    }
}

int cp_test_inject_exited(const cp_upid_t *exited, const cp_upid_t *to)
{
    return cp__send_exited(to, exited);
}
