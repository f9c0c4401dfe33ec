/* The stream seam TLS plugs into: a connection filter installed through
 * the transport's factory transforms every byte both ways, and its start
 * hook speaks first. Here the filter XORs with 0x5a and greets with "HI". */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"
#include "node.h"
#include "transport/transport_internal.h"

#define BOUND_MS 30000
#define KEY      0x5a

static int xor_into(const char *in, size_t len, cp__buf_t *out)
{
    if (cp__buf_reserve(out, len))
        return CP_ENOMEM;
    for (size_t i = 0; i < len; i++)
        out->data[out->len + i] = (char)(in[i] ^ KEY);
    out->len += len;
    return 0;
}

static int xor_start(void *ctx, cp__buf_t *wire)
{
    return xor_into("HI", 2, wire);
}

static int xor_input(void *ctx, const char *in, size_t len, cp__buf_t *plain, cp__buf_t *wire)
{
    return xor_into(in, len, plain);
}

static int xor_output(void *ctx, const char *plain, size_t len, cp__buf_t *wire)
{
    return xor_into(plain, len, wire);
}

static void xor_free(void *ctx)
{
    free(ctx);
}

static const cp__stream_filter_t xor_filter = {xor_start, xor_input, xor_output, xor_free};

static int factory(bool server, uint32_t ip, uint16_t port, const cp__stream_filter_t **f,
                   void **ctx)
{
    *f = server ? &xor_filter : NULL;
    *ctx = server ? malloc(1) : NULL;
    return 0;
}

static void xor_buf(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(p[i] ^ KEY);
}

static void test_filter_transforms_both_ways_and_speaks_first(void **state)
{
    cp__transport_set_filter_factory(factory);
    assert_int_equal(test_node_start(NULL), 0);
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("sink", NULL, NULL, &pid), 0);
    cp_future_t *seen = cp_test_expect_message("m", NULL, &pid, true);

    int fd = test_node_connect();
    char req[] = "POST /sink/m HTTP/1.1\r\nLibprocess-From: t@127.0.0.1:1\r\n"
                 "Content-Length: 3\r\n\r\nabc";
    xor_buf(req, sizeof req - 1);
    assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));

    char buf[512] = {0};
    size_t len = 0;
    while (len < 2 + 9 || !memmem(buf, len, "\r\n\r\n", 4)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf + len, sizeof buf - len - 1);
        assert_true(r > 0);
        xor_buf(buf + len, (size_t)r);
        len += (size_t)r;
    }
    assert_memory_equal(buf, "HIHTTP/1.1 202 Accepted\r\n", 25);
    close(fd);
    CP_AWAIT_READY(seen);
    const cp_message_t *m = cp_future_value(seen);
    assert_int_equal(m->len, 3);
    assert_memory_equal(m->body, "abc", 3);
    cp_future_unref(seen);
    cp_runtime_stop();
    cp__transport_set_filter_factory(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_transforms_both_ways_and_speaks_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
