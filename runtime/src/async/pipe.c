/* http::Pipe in C: a list of chunks, a FIFO of waiting reads and, in
 * bounded mode, a FIFO of writes waiting for the reader to catch up. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async/waitlist.h"
#include "cproc/error.h"
#include "cproc/pipe.h"

typedef struct chunk {
    struct chunk *next;
    cp_pipe_data_t data; /* what a read's future holds */
} chunk_t;

typedef struct pipe_core {
    cp__async_core_t core; /* first */
    size_t bound;
    chunk_t *head, *tail;
    uint64_t written, read; /* bytes, for the bound */
    bool writer_closed, reader_closed;
    char *failure; /* set by writer_fail */
    cp__waitlist_t reads;
    cp__waitlist_t writes; /* mark: `written` at the end of the write */
} pipe_core_t;

struct cp_pipe_reader {
    pipe_core_t *p;
};

struct cp_pipe_writer {
    pipe_core_t *p;
};

static void chunk_free(void *d)
{
    free((char *)d - offsetof(chunk_t, data));
}

static chunk_t *chunk_new(const void *bytes, size_t len)
{
    if (len > SIZE_MAX - sizeof(chunk_t) - 1)
        return NULL;
    chunk_t *c = malloc(sizeof *c + len + 1);
    if (!c)
        return NULL;
    unsigned char *b = (unsigned char *)(c + 1);
    if (len)
        memcpy(b, bytes, len);
    b[len] = 0;
    c->next = NULL;
    c->data.len = len;
    c->data.bytes = b;
    return c;
}

static void pipe_destroy(cp__async_core_t *core)
{
    pipe_core_t *p = (pipe_core_t *)core;
    while (p->head) {
        chunk_t *c = p->head;
        p->head = c->next;
        free(c);
    }
    free(p->failure);
    free(p);
}

int cp_pipe_new(size_t bound, cp_pipe_reader_t **reader, cp_pipe_writer_t **writer)
{
    if (!reader || !writer)
        return CP_EINVAL;
    pipe_core_t *p = calloc(1, sizeof *p);
    cp_pipe_reader_t *r = malloc(sizeof *r);
    cp_pipe_writer_t *w = malloc(sizeof *w);
    if (!p || !r || !w) {
        free(p);
        free(r);
        free(w);
        return CP_ENOMEM;
    }
    cp__async_core_init(&p->core, pipe_destroy);
    cp__async_core_ref(&p->core); /* one per end */
    p->bound = bound;
    cp__waitlist_init(&p->reads, &p->core);
    cp__waitlist_init(&p->writes, &p->core);
    r->p = p;
    w->p = p;
    *reader = r;
    *writer = w;
    return 0;
}

/* A list of waiters popped under the lock, completed after it. */
typedef struct done_list {
    cp__waiter_t *head;
} done_list_t;

static void done_push(done_list_t *d, cp__waiter_t *w)
{
    w->next = d->head;
    d->head = w;
}

/* Completes every waiter with `how`: 0 set NULL, 1 discard, 2 fail. */
static void done_finish(done_list_t *d, int how, const char *msg)
{
    while (d->head) {
        cp__waiter_t *w = d->head;
        d->head = w->next;
        if (how == 0)
            cp_promise_set(w->promise, NULL);
        else if (how == 1)
            cp_promise_discard(w->promise);
        else
            cp_promise_fail(w->promise, "%s", msg);
        cp__waiter_release(w);
    }
}

/* Pops the bounded writes that the bytes read so far have released. */
static void release_writes(pipe_core_t *p, done_list_t *d)
{
    while (p->writes.head && p->writes.head->mark - p->read <= p->bound)
        done_push(d, cp__waitlist_pop(&p->writes));
}

/* ---- read end ---------------------------------------------------------- */

cp_future_t *cp_pipe_read(cp_pipe_reader_t *r)
{
    if (!r)
        return NULL;
    pipe_core_t *p = r->p;
    done_list_t released = {NULL};
    pthread_mutex_lock(&p->core.mu);
    if (p->reader_closed) {
        pthread_mutex_unlock(&p->core.mu);
        return cp_future_failed("pipe: read end closed");
    }
    chunk_t *c = p->head;
    if (c) {
        p->head = c->next;
        if (!p->head)
            p->tail = NULL;
        p->read += c->data.len;
        release_writes(p, &released);
        pthread_mutex_unlock(&p->core.mu);
        done_finish(&released, 0, NULL);
        return cp_future_ready(&c->data, chunk_free);
    }
    if (p->failure) {
        cp_future_t *f = cp_future_failed("%s", p->failure);
        pthread_mutex_unlock(&p->core.mu);
        return f;
    }
    if (p->writer_closed) {
        pthread_mutex_unlock(&p->core.mu);
        chunk_t *eof = chunk_new(NULL, 0);
        return eof ? cp_future_ready(&eof->data, chunk_free) : NULL;
    }
    cp_future_t *f = NULL;
    cp__waiter_t *w = cp__waiter_push(&p->reads, chunk_free, &f);
    pthread_mutex_unlock(&p->core.mu);
    if (w)
        cp__waiter_arm(w, f);
    return f;
}

int cp_pipe_reader_close(cp_pipe_reader_t *r)
{
    if (!r)
        return CP_EINVAL;
    pipe_core_t *p = r->p;
    done_list_t reads = {NULL}, writes = {NULL};
    pthread_mutex_lock(&p->core.mu);
    if (p->reader_closed) {
        pthread_mutex_unlock(&p->core.mu);
        return CP_ESTATE;
    }
    p->reader_closed = true;
    chunk_t *chunks = p->head;
    p->head = p->tail = NULL;
    cp__waiter_t *w;
    while ((w = cp__waitlist_pop(&p->reads)) != NULL)
        done_push(&reads, w);
    while ((w = cp__waitlist_pop(&p->writes)) != NULL)
        done_push(&writes, w);
    pthread_mutex_unlock(&p->core.mu);
    while (chunks) {
        chunk_t *c = chunks;
        chunks = c->next;
        free(c);
    }
    done_finish(&reads, 1, NULL);
    done_finish(&writes, 2, "pipe: read end closed");
    return 0;
}

size_t cp_pipe_buffered(cp_pipe_reader_t *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->p->core.mu);
    size_t n = r->p->reader_closed ? 0 : (size_t)(r->p->written - r->p->read);
    pthread_mutex_unlock(&r->p->core.mu);
    return n;
}

void cp_pipe_reader_free(cp_pipe_reader_t *r)
{
    if (!r)
        return;
    cp_pipe_reader_close(r);
    cp__async_core_unref(&r->p->core);
    free(r);
}

/* ---- write end --------------------------------------------------------- */

cp_future_t *cp_pipe_write(cp_pipe_writer_t *w, const void *data, size_t len)
{
    if (!w || (!data && len))
        return NULL;
    pipe_core_t *p = w->p;
    chunk_t *c = len ? chunk_new(data, len) : NULL;
    if (len && !c)
        return NULL;
    done_list_t discarded = {NULL};
    pthread_mutex_lock(&p->core.mu);
    const char *why = p->writer_closed   ? "pipe: write end closed"
                      : p->reader_closed ? "pipe: read end closed"
                                         : NULL;
    if (why) {
        pthread_mutex_unlock(&p->core.mu);
        free(c);
        return cp_future_failed("%s", why);
    }
    if (!c) {
        pthread_mutex_unlock(&p->core.mu);
        return cp_future_ready(NULL, NULL);
    }
    p->written += len;
    cp__waiter_t *reader = NULL;
    while ((reader = cp__waitlist_pop(&p->reads)) != NULL) {
        if (!cp__waiter_discard_requested(reader))
            break;
        done_push(&discarded, reader);
    }
    if (reader) {
        p->read += len;
    } else {
        if (p->tail)
            p->tail->next = c;
        else
            p->head = c;
        p->tail = c;
    }
    cp_future_t *f = NULL;
    cp__waiter_t *wait = NULL;
    bool must_wait = p->bound && p->written - p->read > p->bound;
    if (must_wait) {
        wait = cp__waiter_push(&p->writes, NULL, &f);
        if (wait)
            wait->mark = p->written;
    }
    pthread_mutex_unlock(&p->core.mu);
    done_finish(&discarded, 1, NULL);
    if (reader) {
        cp_promise_set(reader->promise, &c->data);
        cp__waiter_release(reader);
    }
    if (wait) {
        cp__waiter_arm(wait, f);
        return f;
    }
    if (must_wait)
        return NULL; /* out of memory for the waiter; the data is written */
    return cp_future_ready(NULL, NULL);
}

static int writer_end(cp_pipe_writer_t *w, char *failure)
{
    pipe_core_t *p = w->p;
    done_list_t readers = {NULL};
    pthread_mutex_lock(&p->core.mu);
    if (p->writer_closed) {
        pthread_mutex_unlock(&p->core.mu);
        free(failure);
        return CP_ESTATE;
    }
    p->writer_closed = true;
    p->failure = failure;
    /* Reads wait only when nothing is buffered: they get the end now. */
    cp__waiter_t *r;
    while ((r = cp__waitlist_pop(&p->reads)) != NULL)
        done_push(&readers, r);
    pthread_mutex_unlock(&p->core.mu);
    while (readers.head) {
        r = readers.head;
        readers.head = r->next;
        if (failure) {
            cp_promise_fail(r->promise, "%s", failure);
        } else {
            chunk_t *eof = chunk_new(NULL, 0);
            if (!eof || cp_promise_set(r->promise, &eof->data) != 0)
                free(eof);
            if (!eof)
                cp_promise_fail(r->promise, "out of memory");
        }
        cp__waiter_release(r);
    }
    return 0;
}

int cp_pipe_writer_close(cp_pipe_writer_t *w)
{
    return w ? writer_end(w, NULL) : CP_EINVAL;
}

int cp_pipe_writer_fail(cp_pipe_writer_t *w, const char *fmt, ...)
{
    if (!w || !fmt)
        return CP_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CP_ENOMEM;
    return writer_end(w, msg);
}

bool cp_pipe_reader_closed(cp_pipe_writer_t *w)
{
    if (!w)
        return true;
    pthread_mutex_lock(&w->p->core.mu);
    bool c = w->p->reader_closed;
    pthread_mutex_unlock(&w->p->core.mu);
    return c;
}

void cp_pipe_writer_free(cp_pipe_writer_t *w)
{
    if (!w)
        return;
    cp_pipe_writer_close(w);
    cp__async_core_unref(&w->p->core);
    free(w);
}
