/* HTTP endpoints on processes, served by this very node and driven from
 * the test thread over a blocking loopback socket. */
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

#define BOUND_MS 30000

/* Sends one request and returns the whole answer (Content-Length framed). */
static char *roundtrip(const char *req)
{
    int fd = test_node_connect();
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    size_t cap = 8192, len = 0;
    char *buf = calloc(1, cap);
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && cl < end && (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10) <= len)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    return buf;
}

static cp_future_t *echo_handler(cp_process_t *self, const cp_http_request_t *req, void *arg)
{
    char text[512];
    const char *h = cp_http_request_header(req, "x-token");
    snprintf(text, sizeof text, "%s %s %s q=%s h=%s b=%.*s", req->method, req->path, req->route,
             req->query, h ? h : "-", (int)req->body_len, req->body ? (const char *)req->body : "");
    cp_http_response_t *r = cp_http_response_new(201, "text/plain", text, strlen(text));
    assert_int_equal(cp_http_response_add_header(r, "X-Reply", "yes"), 0);
    return cp_future_ready(r, cp_http_response_free);
}

static cp_future_t *failing_handler(cp_process_t *self, const cp_http_request_t *req, void *arg)
{
    return cp_future_failed("nope");
}

typedef struct routes {
    const char *path;
    cp_http_handler handler;
} routes_t;

static cp_future_t *install(cp_process_t *self, void *args)
{
    const routes_t *r = args;
    int rc = cp_http_route(self, r->path, r->handler, NULL, NULL);
    return rc ? cp_future_failed("route: %d", rc) : cp_future_ready(NULL, NULL);
}

static cp_future_t *uninstall(cp_process_t *self, void *args)
{
    const char *path = *(const char **)args;
    int first = cp_http_unroute(self, path), second = cp_http_unroute(self, path);
    if (first != 0 || second != CP_ENOENT)
        return cp_future_failed("unroute: %d then %d", first, second);
    return cp_future_ready(NULL, NULL);
}

static void run_in(const cp_upid_t *pid, cp_dispatch_future_fn fn, const void *args, size_t size)
{
    cp_future_t *f = cp_dispatch_future(pid, fn, args, size, NULL);
    CP_AWAIT_READY(f);
    cp_future_unref(f);
}

/* Spawns `id` and installs one route, waiting until it is in place. */
static cp_upid_t spawn_with_route(const char *id, const char *path, cp_http_handler h)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn(id, NULL, NULL, &pid), 0);
    routes_t r = {path, h};
    run_in(&pid, install, &r, sizeof r);
    return pid;
}

static void end(cp_upid_t *pid)
{
    cp_process_terminate(pid, false);
    cp_process_wait(pid, CP_WAIT_FOREVER);
}

static void test_http_route_gets_method_path_query_headers_and_body(void **state)
{
    cp_upid_t pid = spawn_with_route("web", "/echo", echo_handler);
    char *a = roundtrip(
        "POST /web/echo/more?x=1 HTTP/1.1\r\nX-Token: t1\r\nContent-Length: 3\r\n\r\nabc");
    assert_non_null(strstr(a, "HTTP/1.1 201 "));
    assert_non_null(strstr(a, "X-Reply: yes\r\n"));
    assert_non_null(strstr(a, "POST /web/echo/more /echo q=x=1 h=t1 b=abc"));
    free(a);
    end(&pid);
}

static void test_http_failed_handler_future_gives_500(void **state)
{
    cp_upid_t pid = spawn_with_route("web", "/boom", failing_handler);
    char *a = roundtrip("GET /web/boom HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(a, "HTTP/1.1 500 "));
    free(a);
    end(&pid);
}

static void test_http_unrouted_path_gives_404(void **state)
{
    cp_upid_t pid = spawn_with_route("web", "/echo", echo_handler);
    const char *path = "/echo";
    run_in(&pid, uninstall, &path, sizeof path);
    char *a = roundtrip("GET /web/echo HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(a, "HTTP/1.1 404 "));
    free(a);
    end(&pid);
}

static void test_http_route_of_ended_process_gives_404(void **state)
{
    cp_upid_t pid = spawn_with_route("gone", "/echo", echo_handler);
    end(&pid);
    char *a = roundtrip("GET /gone/echo HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(a, "HTTP/1.1 404 "));
    free(a);
}

static void test_http_longest_route_prefix_wins(void **state)
{
    cp_upid_t pid = spawn_with_route("web", "/a", failing_handler);
    routes_t r = {"/a/b", echo_handler};
    run_in(&pid, install, &r, sizeof r);
    char *a = roundtrip("GET /web/a/b/c HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(a, "HTTP/1.1 201 "));
    free(a);
    a = roundtrip("GET /web/a/bc HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(a, "HTTP/1.1 500 "));
    free(a);
    end(&pid);
}

static void test_http_response_rejects_bad_status_and_headers(void **state)
{
    assert_null(cp_http_response_new(99, NULL, NULL, 0));
    assert_null(cp_http_response_new(600, NULL, NULL, 0));
    cp_http_response_t *r = cp_http_response_new(200, NULL, NULL, 0);
    assert_non_null(r);
    assert_int_equal(cp_http_response_add_header(r, "X-A", "a\r\nX-Evil: 1"), CP_EINVAL);
    assert_int_equal(cp_http_response_add_header(r, "Content-Length", "5"), CP_EINVAL);
    assert_int_equal(cp_http_response_add_header(r, "Bad:Name", "v"), CP_EINVAL);
    assert_int_equal(cp_http_response_add_header(r, "X-Ok", "v"), 0);
    cp_http_response_free(r);
}

static void test_http_route_rejects_path_without_slash(void **state)
{
    cp_upid_t pid;
    assert_int_equal(cp_process_spawn("web", NULL, NULL, &pid), 0);
    routes_t r = {"nope", echo_handler};
    cp_future_t *f = cp_dispatch_future(&pid, install, &r, sizeof r, NULL);
    CP_AWAIT_FAILED(f);
    cp_future_unref(f);
    end(&pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_route_gets_method_path_query_headers_and_body,
                                        test_node_start, test_node_stop),
        cmocka_unit_test_setup_teardown(test_http_failed_handler_future_gives_500, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_http_unrouted_path_gives_404, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_http_route_of_ended_process_gives_404, test_node_start,
                                        test_node_stop),
        cmocka_unit_test_setup_teardown(test_http_longest_route_prefix_wins, test_node_start,
                                        test_node_stop),
        cmocka_unit_test(test_http_response_rejects_bad_status_and_headers),
        cmocka_unit_test_setup_teardown(test_http_route_rejects_path_without_slash, test_node_start,
                                        test_node_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
