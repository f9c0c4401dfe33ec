/* The libprocess framing: exact bytes out, messages read back in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cproc/error.h"
#include "transport/wire.h"

static cp_upid_t upid(const char *id, uint32_t ip, uint16_t port)
{
    cp_upid_t p = CP_UPID_NULL;
    snprintf(p.id, sizeof p.id, "%s", id);
    p.ip = ip;
    p.port = port;
    return p;
}

static void assert_buf_eq(const cp__buf_t *b, const char *expect)
{
    size_t n = strlen(expect);
    if (b->len != n || memcmp(b->data, expect, n) != 0)
        fail_msg("got [%.*s]\nexpected [%s]", (int)b->len, b->data, expect);
}

static void test_wire_encodes_message_with_body_as_one_chunk(void **state)
{
    cp_upid_t from = upid("ping", 0x7f000001, 5051), to = upid("pong", 0x0a000102, 5050);
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "pingpong.Ping", "hello world!xyzw", 16), 0);
    assert_buf_eq(&b, "POST /pong/pingpong.Ping HTTP/1.1\r\n"
                      "User-Agent: libprocess/ping@127.0.0.1:5051\r\n"
                      "Libprocess-From: ping@127.0.0.1:5051\r\n"
                      "Connection: Keep-Alive\r\n"
                      "Host: 10.0.1.2:5050\r\n"
                      "Transfer-Encoding: chunked\r\n"
                      "\r\n"
                      "10\r\nhello world!xyzw\r\n0\r\n\r\n");
    cp__buf_close(&b);
}

static void test_wire_encodes_empty_body_without_transfer_encoding(void **state)
{
    cp_upid_t from = upid("a", 0, 0), to = upid("b(1)", 0xffffffff, 65535);
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "x", NULL, 0), 0);
    assert_buf_eq(&b, "POST /b(1)/x HTTP/1.1\r\n"
                      "User-Agent: libprocess/a@0.0.0.0:0\r\n"
                      "Libprocess-From: a@0.0.0.0:0\r\n"
                      "Connection: Keep-Alive\r\n"
                      "Host: 255.255.255.255:65535\r\n"
                      "\r\n");
    cp__buf_close(&b);
}

static void test_wire_percent_encodes_unsafe_id_bytes(void **state)
{
    cp_upid_t from = upid("a", 1, 2), to = upid("my id/%", 1, 2);
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "n", NULL, 0), 0);
    assert_true(b.len > 24);
    assert_memory_equal(b.data, "POST /my%20id%2F%25/n HTTP/1.1\r\n", 32);
    cp__buf_close(&b);
}

static void test_wire_rejects_message_name_with_space(void **state)
{
    cp_upid_t from = upid("a", 1, 2), to = upid("b", 1, 2);
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "bad name", NULL, 0), CP_EINVAL);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "", NULL, 0), CP_EINVAL);
    assert_int_equal(b.len, 0);
    cp__buf_close(&b);
}

static void test_wire_appends_messages_back_to_back(void **state)
{
    cp_upid_t from = upid("a", 1, 2), to = upid("b", 1, 2);
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "m", "1", 1), 0);
    size_t one = b.len;
    assert_int_equal(cp__wire_encode_message(&b, &from, &to, "m", "1", 1), 0);
    assert_int_equal(b.len, 2 * one);
    assert_memory_equal(b.data, b.data + one, one);
    cp__buf_close(&b);
}

static void test_wire_encodes_202_with_date_and_zero_length(void **state)
{
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_response(&b, 202, NULL, NULL, 0, false), 0);
    assert_true(b.len > 40);
    assert_memory_equal(b.data, "HTTP/1.1 202 Accepted\r\nDate: ", 29);
    const char *tail = "GMT\r\nContent-Length: 0\r\n\r\n";
    assert_memory_equal(b.data + b.len - strlen(tail), tail, strlen(tail));
    cp__buf_close(&b);
}

static void test_wire_encodes_response_with_body_and_close(void **state)
{
    cp__buf_t b;
    cp__buf_init(&b);
    assert_int_equal(cp__wire_encode_response(&b, 404, "Content-Type: text/plain\r\n", "nope", 4, true), 0);
    char *s = strndup(b.data, b.len);
    assert_non_null(strstr(s, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(s, "\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope"));
    free(s);
    cp__buf_close(&b);
}

static void test_wire_percent_decode_rejects_truncated_escape(void **state)
{
    char a[] = "a%2";
    assert_int_equal(cp__wire_percent_decode(a, 3), -1);
    char c[] = "a%zz";
    assert_int_equal(cp__wire_percent_decode(c, 4), -1);
    char d[] = "%41%62c";
    assert_int_equal(cp__wire_percent_decode(d, 7), 3);
    assert_memory_equal(d, "Abc", 3);
}

static void test_wire_formats_ip(void **state)
{
    char buf[16];
    assert_int_equal(cp__wire_format_ip(buf, 0x7f000001), 9);
    assert_string_equal(buf, "127.0.0.1");
    cp__wire_format_ip(buf, 0xc0a80a64);
    assert_string_equal(buf, "192.168.10.100");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_encodes_message_with_body_as_one_chunk),
        cmocka_unit_test(test_wire_encodes_empty_body_without_transfer_encoding),
        cmocka_unit_test(test_wire_percent_encodes_unsafe_id_bytes),
        cmocka_unit_test(test_wire_rejects_message_name_with_space),
        cmocka_unit_test(test_wire_appends_messages_back_to_back),
        cmocka_unit_test(test_wire_encodes_202_with_date_and_zero_length),
        cmocka_unit_test(test_wire_encodes_response_with_body_and_close),
        cmocka_unit_test(test_wire_percent_decode_rejects_truncated_escape),
        cmocka_unit_test(test_wire_formats_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
