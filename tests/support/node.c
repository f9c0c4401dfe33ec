/* Tests' own node over raw loopback TCP (see node.h). */
#include "node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"

/* Long enough for a loaded 2-core machine under a sanitizer; only a hang
 * runs into them. test_node_post_status keeps the 30 s it had in
 * test_mailbox.c. */
#define BOUND_MS      60000
#define POST_BOUND_MS 30000

int test_node_start(void **state)
{
    (void)state;
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    return cp_runtime_start(NULL);
}

int test_node_stop(void **state)
{
    (void)state;
    cp_runtime_stop();
    return 0;
}

int test_node_connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

int test_node_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void *drain(void *arg)
{
    test_node_peer_t *p = arg;
    char buf[4096];
    while (read(p->fd, buf, sizeof buf) > 0)
        ;
    return NULL;
}

test_node_peer_t *test_node_peer_open(void)
{
    test_node_peer_t *p = malloc(sizeof *p);
    assert_non_null(p);
    p->fd = test_node_connect();
    assert_int_equal(pthread_create(&p->reader, NULL, drain, p), 0);
    return p;
}

void test_node_peer_close(test_node_peer_t *p)
{
    shutdown(p->fd, SHUT_RDWR);
    pthread_join(p->reader, NULL);
    close(p->fd);
    free(p);
}

pid_t test_node_spawn_self(const char *exe, const char *mode, int *to_child, int *from_child)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execl(exe, exe, mode, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    *to_child = in[1];
    *from_child = out[0];
    return child;
}

void test_node_tell_upid(const cp_upid_t *upid)
{
    char text[CP_UPID_STRLEN];
    cp_upid_format(upid, text, sizeof text);
    printf("%s\n", text);
    fflush(stdout);
}

void test_node_read_upid(FILE *fp, cp_upid_t *out)
{
    char line[CP_UPID_STRLEN] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    line[strcspn(line, "\n")] = '\0';
    assert_int_equal(cp_upid_parse(line, out), 0);
}

int test_node_connect(void)
{
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    return test_node_connect_to(port);
}

char *test_node_get(uint16_t port, const char *path)
{
    int fd = test_node_connect_to(port);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nConnection: close\r\n\r\n", path);
    assert_true(n > 0 && (size_t)n < sizeof req);
    test_node_send_all(fd, req, (size_t)n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = 0;
    close(fd);
    return buf;
}

void test_node_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        assert_true(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

int test_node_post_status(const char *path)
{
    int fd = test_node_connect();
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nLibprocess-From: peer@127.0.0.1:1\r\n"
                     "Connection: close\r\n\r\n",
                     path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    char buf[256] = {0};
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, POST_BOUND_MS), 1);
    assert_true(read(fd, buf, sizeof buf - 1) > 12);
    close(fd);
    return atoi(buf + 9);
}

/* Where the value of `"<name>":` starts in a JSON snapshot. */
static const char *json_at(const char *json, const char *name)
{
    char pat[300];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *at = strstr(json, pat);
    if (at == NULL)
        fail_msg("%s missing from the snapshot", name);
    return at + strlen(pat);
}

double test_node_json_value(const char *json, const char *name)
{
    return strtod(json_at(json, name), NULL);
}

long long test_node_metric(const char *key)
{
    int fd = test_node_connect();
    static const char req[] = "GET /metrics/snapshot HTTP/1.1\r\nConnection: close\r\n\r\n";
    test_node_send_all(fd, req, sizeof req - 1);
    static char buf[65536];
    size_t len = 0;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, BOUND_MS), 1);
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        assert_true(r >= 0);
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = 0;
    close(fd);
    return strtoll(json_at(buf, key), NULL, 10);
}
