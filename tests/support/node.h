/* Tests' own node: start this process's cproc node on 127.0.0.1 with a
 * kernel-chosen port, and talk to it over raw loopback TCP from the test
 * (a stand-in for another node or an HTTP client). Every wait is a poll
 * with a bound; a failure fails the running cmocka test, so the helpers
 * that assert run on the test thread only (cmocka's assertions jump back
 * into it). */
#ifndef CPROC_TEST_NODE_H
#define CPROC_TEST_NODE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cproc/pid.h"

/* A cmocka setup: sets LIBPROCESS_IP=127.0.0.1 and LIBPROCESS_PORT=0 (the
 * process environment, left set) and returns cp_runtime_start(NULL), 0 or a
 * negative CP_E* code. Asserts nothing; `state` is unused (NULL is fine, for
 * a test that starts the node itself). Call on the test thread. */
int test_node_start(void **state);

/* A cmocka teardown: cp_runtime_stop(); returns 0. `state` is unused. Call
 * on the test thread, never from a process or callback. */
int test_node_stop(void **state);

/* A blocking TCP socket connected to the running node's port on 127.0.0.1
 * (from cp_runtime_address()). Asserts that connect succeeds. The caller
 * owns the descriptor and closes it. Test thread. */
int test_node_connect(void);

/* The same to another port on 127.0.0.1 (another node of the test). */
int test_node_connect_to(uint16_t port);

/* A listening TCP socket on 127.0.0.1 at a kernel-chosen port, written to
 * *port (backlog 16): a stand-in for another node. It accepts nothing by
 * itself. The caller owns the descriptor and closes it. Test thread. */
int test_node_listen(uint16_t *port);

/* A raw libprocess sender, as another node would be: a connection to the
 * running node (test_node_connect()) whose answers a thread of its own
 * reads and drops, so a long pipelined burst written on `fd` is never held
 * up by answers nobody reads. */
typedef struct test_node_peer {
    int fd;
    pthread_t reader;
} test_node_peer_t;

/* Opens one (asserts connect and the thread); free it with
 * test_node_peer_close(). Test thread. */
test_node_peer_t *test_node_peer_open(void);

/* Shuts the connection down, joins the reader, closes and frees. */
void test_node_peer_close(test_node_peer_t *p);

/* Another node of the test: this test program run again as `exe mode`
 * (its main serves as a node when it sees `mode`), in a child process
 * whose stdin and stdout are pipes. *to_child is the write end of its
 * stdin, *from_child the read end of its stdout; the caller owns both, and
 * waits for the returned pid. Asserts pipe and fork. Test thread. */
pid_t test_node_spawn_self(const char *exe, const char *mode, int *to_child, int *from_child);

/* The two ends of telling a parent a UPID through such a pipe: the child
 * prints it on a line of stdout (and flushes); the parent reads one line
 * from fp and parses it (asserting both). */
void test_node_tell_upid(const cp_upid_t *upid);
void test_node_read_upid(FILE *fp, cp_upid_t *out);

/* GET `path` from the node at 127.0.0.1:`port` on a connection of its own
 * (Connection: close) and the whole answer, status line to body, read to
 * the close (each read within 60 s), NUL-terminated. The caller frees it.
 * Test thread. */
char *test_node_get(uint16_t port, const char *path);

/* Writes all `n` bytes of `p` to `fd` with send(MSG_NOSIGNAL), so a closed
 * peer fails the test instead of raising SIGPIPE. Before each send asserts
 * that poll() reports the socket writable within 60 s; retries on EAGAIN
 * and EINTR; asserts every other send writes something. Borrows `p`. Test
 * thread, one writer per descriptor. */
void test_node_send_all(int fd, const void *p, size_t n);

/* One message from "another node": a connection of its own, a bodyless
 * `POST <path>` with Libprocess-From: peer@127.0.0.1:1 and Connection:
 * close, written with one write() (asserted whole). Asserts the answer
 * starts within 30 s and its first read holds more than 12 bytes
 * ("HTTP/1.1 NNN"); returns the status code (202, 404, 503, ...). `path`
 * is borrowed and must fit a 512-byte request with those headers. Test
 * thread. */
int test_node_post_status(const char *path);

/* The number after `"<name>":` in a JSON metrics snapshot; the test fails
 * when the name is missing. */
double test_node_json_value(const char *json, const char *name);

/* GET /metrics/snapshot on a connection of its own, read to its close
 * (each read within 60 s, at most 64 KiB in all); asserts `"<key>":` is in
 * the JSON and returns the number after it. Uses a static buffer: one
 * caller at a time, on the test thread. */
long long test_node_metric(const char *key);

#endif
