/* Streams: writes are batched — whatever is queued while one uv_write is
 * in flight goes out in the next, as one buffer. */
#include "transport/stream.h"

#include "core/node.h"
#include "cproc/error.h"

void cp__stream_init(cp__stream_t *s)
{
    uv_tcp_init(cp__loop(), &s->tcp);
    s->write.data = s;
    s->writing = false;
    s->closing = false;
    cp__buf_init(&s->wire);
    cp__buf_init(&s->pending);
    cp__buf_init(&s->plain);
    s->filter = NULL;
    s->filter_ctx = NULL;
    s->written = 0;
}

void cp__stream_set_filter(cp__stream_t *s, const cp__stream_filter_t *filter, void *ctx)
{
    s->filter = filter;
    s->filter_ctx = ctx;
}

static void stream_kick(cp__stream_t *s);

static void written(uv_write_t *w, int status)
{
    cp__stream_t *s = w->data;
    s->writing = false;
    if (status >= 0)
        s->written += s->wire.len;
    s->wire.len = 0;
    if (s->closing)
        return;
    if (status < 0) {
        s->pending.len = 0;
        if (s->on_drained)
            s->on_drained(s, status);
        return;
    }
    stream_kick(s);
    if (!s->writing && s->on_drained)
        s->on_drained(s, 0);
}

static void stream_kick(cp__stream_t *s)
{
    if (s->writing || s->closing || s->pending.len == 0)
        return;
    cp__buf_swap(&s->wire, &s->pending);
    uv_buf_t b = uv_buf_init(s->wire.data, (unsigned)s->wire.len);
    s->writing = true;
    int rc = uv_write(&s->write, (uv_stream_t *)&s->tcp, &b, 1, written);
    if (rc < 0) {
        s->writing = false;
        s->wire.len = 0;
        if (s->on_end)
            s->on_end(s, rc);
    }
}

int cp__stream_write(cp__stream_t *s, const void *data, size_t len)
{
    if (s->closing)
        return CP_ECONN;
    int rc = s->filter ? s->filter->output(s->filter_ctx, data, len, &s->pending)
                       : cp__buf_append(&s->pending, data, len);
    if (rc == 0)
        stream_kick(s);
    return rc;
}

int cp__stream_write_buf(cp__stream_t *s, cp__buf_t *buf)
{
    if (s->filter || s->pending.len) {
        int rc = cp__stream_write(s, buf->data, buf->len);
        buf->len = 0;
        return rc;
    }
    if (s->closing)
        return CP_ECONN;
    cp__buf_swap(&s->pending, buf);
    buf->len = 0;
    stream_kick(s);
    return 0;
}

bool cp__stream_busy(const cp__stream_t *s)
{
    return s->writing || s->pending.len > 0;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    /* What is read is parsed (and copied where kept) before the next read,
     * so one buffer per thread serves every connection. */
    static _Thread_local char in[65536];
    buf->base = in;
    buf->len = sizeof in;
}

static void read_cb(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
    cp__stream_t *s = (cp__stream_t *)h;
    if (s->closing || n == 0)
        return;
    if (n < 0) {
        uv_read_stop(h);
        if (s->on_end)
            s->on_end(s, (int)n);
        return;
    }
    if (!s->filter) {
        s->on_data(s, buf->base, (size_t)n);
        return;
    }
    s->plain.len = 0;
    int rc = s->filter->input(s->filter_ctx, buf->base, (size_t)n, &s->plain, &s->pending);
    stream_kick(s);
    if (s->plain.len && !s->closing)
        s->on_data(s, s->plain.data, s->plain.len);
    if (rc < 0 && !s->closing) {
        uv_read_stop(h);
        if (s->on_end)
            s->on_end(s, rc);
    }
}

int cp__stream_start(cp__stream_t *s)
{
    if (s->filter && s->filter->start) {
        int rc = s->filter->start(s->filter_ctx, &s->pending);
        if (rc)
            return rc;
    }
    if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) < 0)
        return CP_EIO;
    stream_kick(s);
    return 0;
}

void cp__stream_stop(cp__stream_t *s)
{
    uv_read_stop((uv_stream_t *)&s->tcp);
}

void cp__stream_trim(cp__stream_t *s)
{
    if (s->closing || cp__stream_busy(s))
        return;
    if (s->wire.cap > CP__STREAM_KEEP_BYTES)
        cp__buf_close(&s->wire);
    if (s->pending.cap > CP__STREAM_KEEP_BYTES)
        cp__buf_close(&s->pending);
    if (s->plain.cap > CP__STREAM_KEEP_BYTES)
        cp__buf_close(&s->plain);
}

int cp__stream_resume(cp__stream_t *s)
{
    if (s->closing)
        return CP_ECONN;
    return uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) < 0 ? CP_EIO : 0;
}

static void closed_cb(uv_handle_t *h)
{
    cp__stream_t *s = (cp__stream_t *)h;
    cp__buf_close(&s->wire);
    cp__buf_close(&s->pending);
    cp__buf_close(&s->plain);
    if (s->filter && s->filter->free)
        s->filter->free(s->filter_ctx);
    if (s->on_closed)
        s->on_closed(s);
}

void cp__stream_close(cp__stream_t *s)
{
    if (s->closing)
        return;
    s->closing = true;
    uv_close((uv_handle_t *)&s->tcp, closed_cb);
}
