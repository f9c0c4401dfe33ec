/* cp_pipe: chunks in order, EOF, failure, reader close, discarded reads,
 * and the bounded mode's backpressure. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cproc/cproc.h"

static const cp_pipe_data_t *data_of(cp_future_t *f)
{
    assert_true(cp_future_is_ready(f));
    return cp_future_value(f);
}

static void expect_chunk(cp_pipe_reader_t *r, const char *s)
{
    cp_future_t *f = cp_pipe_read(r);
    const cp_pipe_data_t *d = data_of(f);
    assert_int_equal(d->len, strlen(s));
    assert_memory_equal(d->bytes, s, d->len);
    cp_future_unref(f);
}

static void write_ok(cp_pipe_writer_t *w, const char *s)
{
    cp_future_t *f = cp_pipe_write(w, s, strlen(s));
    assert_true(cp_future_is_ready(f));
    cp_future_unref(f);
}

static void test_chunks_arrive_in_order_then_eof(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    assert_int_equal(cp_pipe_new(0, &r, &w), 0);
    write_ok(w, "hello");
    write_ok(w, "world");
    assert_int_equal(cp_pipe_buffered(r), 10);
    assert_int_equal(cp_pipe_writer_close(w), 0);
    assert_int_equal(cp_pipe_writer_close(w), CP_ESTATE);
    expect_chunk(r, "hello");
    expect_chunk(r, "world");
    expect_chunk(r, ""); /* EOF, and again */
    expect_chunk(r, "");
    cp_future_t *late = cp_pipe_write(w, "x", 1);
    assert_true(cp_future_is_failed(late));
    assert_string_equal(cp_future_failure(late), "pipe: write end closed");
    cp_future_unref(late);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
}

static void test_waiting_reads_are_served_fifo(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(0, &r, &w);
    cp_future_t *a = cp_pipe_read(r), *b = cp_pipe_read(r), *c = cp_pipe_read(r);
    assert_true(cp_future_is_pending(a));
    write_ok(w, "1");
    write_ok(w, "2");
    assert_string_equal((const char *)data_of(a)->bytes, "1");
    assert_string_equal((const char *)data_of(b)->bytes, "2");
    assert_true(cp_future_is_pending(c));
    cp_pipe_writer_free(w); /* EOF to the waiting read */
    assert_int_equal(data_of(c)->len, 0);
    cp_future_unref(a);
    cp_future_unref(b);
    cp_future_unref(c);
    cp_pipe_reader_free(r);
}

static void test_discarded_read_loses_no_data(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(0, &r, &w);
    cp_future_t *a = cp_pipe_read(r), *b = cp_pipe_read(r);
    cp_future_discard(a);
    assert_true(cp_future_is_discarded(a));
    write_ok(w, "kept");
    assert_string_equal((const char *)data_of(b)->bytes, "kept");
    cp_future_unref(cp_pipe_read(r)); /* dropped while waiting */
    cp_future_unref(a);
    cp_future_unref(b);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
}

/* A read whose future nobody holds does not swallow the next chunk. */
static void test_dropped_read_loses_no_data(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(0, &r, &w);
    cp_future_unref(cp_pipe_read(r));
    write_ok(w, "one");
    assert_int_equal(cp_pipe_buffered(r), 3);
    expect_chunk(r, "one");
    cp_future_unref(cp_pipe_read(r));
    cp_future_t *b = cp_pipe_read(r);
    write_ok(w, "two");
    assert_string_equal((const char *)data_of(b)->bytes, "two");
    cp_future_unref(b);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
}

static void test_fail_reaches_reads_after_the_data(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(0, &r, &w);
    write_ok(w, "last words");
    assert_int_equal(cp_pipe_writer_fail(w, "disk %s", "gone"), 0);
    assert_int_equal(cp_pipe_writer_fail(w, "again"), CP_ESTATE);
    expect_chunk(r, "last words");
    cp_future_t *f = cp_pipe_read(r);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "disk gone");
    cp_future_unref(f);
    /* A read already waiting fails too. */
    cp_pipe_reader_t *r2;
    cp_pipe_writer_t *w2;
    cp_pipe_new(0, &r2, &w2);
    cp_future_t *g = cp_pipe_read(r2);
    cp_pipe_writer_fail(w2, "broken");
    assert_true(cp_future_is_failed(g));
    cp_future_unref(g);
    cp_pipe_reader_free(r2);
    cp_pipe_writer_free(w2);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
}

static void test_reader_close_makes_writes_fail(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(0, &r, &w);
    write_ok(w, "dropped");
    assert_false(cp_pipe_reader_closed(w));
    assert_int_equal(cp_pipe_reader_close(r), 0);
    assert_true(cp_pipe_reader_closed(w));
    cp_future_t *f = cp_pipe_write(w, "x", 1);
    assert_true(cp_future_is_failed(f));
    assert_string_equal(cp_future_failure(f), "pipe: read end closed");
    cp_future_unref(f);
    cp_future_t *g = cp_pipe_read(r);
    assert_true(cp_future_is_failed(g));
    cp_future_unref(g);
    cp_pipe_writer_free(w);
    cp_pipe_reader_free(r);
}

static void test_bounded_write_waits_for_the_reader(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(8, &r, &w);
    cp_future_t *a = cp_pipe_write(w, "12345", 5); /* 5 <= 8 */
    assert_true(cp_future_is_ready(a));
    cp_future_t *b = cp_pipe_write(w, "67890", 5); /* 10 > 8 */
    assert_true(cp_future_is_pending(b));
    cp_future_t *c = cp_pipe_write(w, "ab", 2); /* 12 */
    assert_true(cp_future_is_pending(c));
    expect_chunk(r, "12345"); /* 7 left, up to b's end: 5 <= 8 */
    assert_true(cp_future_is_ready(b));
    assert_true(cp_future_is_ready(c));
    cp_future_t *d = cp_pipe_write(w, "0123456789", 10);
    assert_true(cp_future_is_pending(d));
    cp_future_discard(d); /* the write itself stays */
    assert_true(cp_future_is_discarded(d));
    expect_chunk(r, "67890");
    expect_chunk(r, "ab");
    expect_chunk(r, "0123456789");
    cp_future_unref(cp_pipe_write(w, "dropped", 7)); /* READY, dropped */
    cp_future_unref(cp_pipe_write(w, "0123456789", 10)); /* waiting, dropped: no leak */
    cp_future_t *e = cp_pipe_write(w, "0123456789", 10);
    cp_pipe_reader_close(r); /* a waiting write fails */
    assert_true(cp_future_is_failed(e));
    cp_future_unref(a);
    cp_future_unref(b);
    cp_future_unref(c);
    cp_future_unref(d);
    cp_future_unref(e);
    cp_pipe_writer_free(w);
    cp_pipe_reader_free(r);
}

static void test_empty_write_and_bad_arguments(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    assert_int_equal(cp_pipe_new(0, NULL, &w), CP_EINVAL);
    cp_pipe_new(0, &r, &w);
    cp_future_t *f = cp_pipe_write(w, NULL, 0);
    assert_true(cp_future_is_ready(f));
    cp_future_unref(f);
    assert_int_equal(cp_pipe_buffered(r), 0);
    assert_null(cp_pipe_write(NULL, "x", 1));
    assert_null(cp_pipe_write(w, NULL, 3));
    assert_null(cp_pipe_read(NULL));
    assert_int_equal(cp_pipe_writer_fail(w, NULL), CP_EINVAL);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
    cp_pipe_reader_free(NULL);
    cp_pipe_writer_free(NULL);
}

/* A writer thread that awaits each bounded write, a reader thread. */
enum { CHUNKS = 2000, CHUNK = 100, BOUND = 1000 };

static void *writer_main(void *arg)
{
    cp_pipe_writer_t *w = arg;
    char buf[CHUNK];
    for (int i = 0; i < CHUNKS; i++) {
        memset(buf, 'a' + i % 26, sizeof buf);
        cp_future_t *f = cp_pipe_write(w, buf, sizeof buf);
        assert_true(cp_future_wait(f, CP_TEST_TIMEOUT_NS));
        assert_true(cp_future_is_ready(f));
        cp_future_unref(f);
    }
    cp_pipe_writer_close(w);
    return NULL;
}

static void test_bounded_threads_transfer_everything(void **state)
{
    cp_pipe_reader_t *r;
    cp_pipe_writer_t *w;
    cp_pipe_new(BOUND, &r, &w);
    pthread_t t;
    pthread_create(&t, NULL, writer_main, w);
    size_t total = 0, max_buffered = 0;
    int i = 0;
    for (;;) {
        size_t b = cp_pipe_buffered(r);
        if (b > max_buffered)
            max_buffered = b;
        cp_future_t *f = cp_pipe_read(r);
        assert_true(cp_future_wait(f, CP_TEST_TIMEOUT_NS));
        const cp_pipe_data_t *d = data_of(f);
        if (d->len == 0) {
            cp_future_unref(f);
            break;
        }
        assert_int_equal(d->bytes[0], 'a' + i % 26);
        total += d->len;
        i++;
        cp_future_unref(f);
    }
    pthread_join(t, NULL);
    assert_int_equal(total, (size_t)CHUNKS * CHUNK);
    assert_true(max_buffered <= BOUND + CHUNK);
    cp_pipe_reader_free(r);
    cp_pipe_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_arrive_in_order_then_eof),
        cmocka_unit_test(test_waiting_reads_are_served_fifo),
        cmocka_unit_test(test_discarded_read_loses_no_data),
        cmocka_unit_test(test_dropped_read_loses_no_data),
        cmocka_unit_test(test_fail_reaches_reads_after_the_data),
        cmocka_unit_test(test_reader_close_makes_writes_fail),
        cmocka_unit_test(test_bounded_write_waits_for_the_reader),
        cmocka_unit_test(test_empty_write_and_bad_arguments),
        cmocka_unit_test(test_bounded_threads_transfer_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
