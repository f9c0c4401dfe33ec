/* cproc-bench-limits: what connections and peers cost a node, and whether
 * that memory comes back. Prints one JSON object per line:
 *   idle_connections  RSS per idle inbound connection (bytes), measured
 *                     in a forked node holding BENCH_CONNECTIONS (4000)
 *   peer_churn        BENCH_CHURN (100000) times: connect, send one
 *                     message, read its 202, disconnect, each from a new
 *                     address that the node answers (so it also makes and
 *                     forgets an outbound peer); messages/s, and the
 *                     node's heap growth once its peers expired
 *                     (mallinfo2, this process), after a 5,000-round
 *                     warm-up; BENCH_CHURN_PACE (1000; 0: none) bounds
 *                     the messages waiting for the sink
 *
 * Usage: cproc-bench-limits [NAME...]
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cproc/cproc.h"

static bool wanted(int argc, char **argv, const char *name)
{
    if (argc == 1)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

static int tcp_connect(uint32_t src, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (src) {
        struct sockaddr_in me = {.sin_family = AF_INET};
        me.sin_addr.s_addr = htonl(src);
        if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the end of one answer's head; returns its status or -1. */
static int read_status(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len < cap - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 30000) != 1)
            return -1;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            char *cl = strstr(buf, "Content-Length: ");
            size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
            if ((size_t)(end + 4 - buf) + body <= len)
                return atoi(buf + 9);
        }
    }
    return -1;
}

/* ---- idle_connections --------------------------------------------------- */

static long rss_bytes(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    long size = 0, rss = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

static long open_in(uint16_t port)
{
    int fd = tcp_connect(0, port);
    if (fd < 0)
        return -1;
    static const char req[] = "GET /metrics/snapshot HTTP/1.1\r\n\r\n";
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)sizeof req - 1) {
        close(fd);
        return -1;
    }
    static char buf[65536];
    long n = -1;
    if (read_status(fd, buf, sizeof buf) == 200) {
        char *k = strstr(buf, "\"transport/connections_open_in\":");
        if (k)
            n = strtol(k + 32, NULL, 10);
    }
    close(fd);
    return n;
}

static void bench_idle_connections(long n)
{
    int report[2], quit[2];
    if (pipe(report) != 0 || pipe(quit) != 0)
        exit(1);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        close(quit[1]);
        char cap[32];
        snprintf(cap, sizeof cap, "%ld", n + 16);
        setenv("CPROC_MAX_CONNECTIONS", cap, 1);
        setenv("CPROC_IDLE_TIMEOUT_MS", "0", 1);
        setenv("CPROC_RESERVED_CONNECTIONS", "0", 1);
        if (cp_runtime_start(NULL) != 0)
            _exit(1);
        uint32_t ip;
        uint16_t port;
        cp_runtime_address(&ip, &port);
        if (write(report[1], &port, sizeof port) != sizeof port)
            _exit(1);
        char c;
        while (read(quit[0], &c, 1) > 0) {
        }
        cp_runtime_stop();
        _exit(0);
    }
    close(report[1]);
    close(quit[0]);
    uint16_t port;
    if (read(report[0], &port, sizeof port) != sizeof port) {
        fprintf(stderr, "idle_connections: the node did not start\n");
        exit(1);
    }
    open_in(port); /* warm the node's endpoint path */
    long before = rss_bytes(child);
    int *fds = calloc((size_t)n, sizeof *fds);
    for (long i = 0; i < n; i++) {
        /* Spread over source addresses so no port range runs out. */
        fds[i] = tcp_connect(0x7f020000u | (uint32_t)(i / 1000 + 1), port);
        if (fds[i] < 0) {
            fprintf(stderr, "idle_connections: connect %ld failed\n", i);
            exit(1);
        }
    }
    /* Every connection accepted (the metrics request is one more). */
    long seen = 0;
    for (int tries = 0; tries < 3000 && seen != n + 1; tries++) {
        seen = open_in(port);
        if (seen != n + 1)
            poll(NULL, 0, 10);
    }
    long after = rss_bytes(child);
    printf("{\"bench\": \"idle_connections\", \"value\": %.0f, \"unit\": \"bytes/connection\", "
           "\"connections\": %ld, \"accepted\": %ld, \"rss_before\": %ld, \"rss_after\": %ld}\n",
           (double)(after - before) / (double)n, n, seen - 1, before, after);
    fflush(stdout);
    for (long i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    close(quit[1]);
    int status;
    waitpid(child, &status, 0);
}

/* ---- peer_churn ------------------------------------------------------- */

static _Atomic uint64_t answered;

static void sink_ping(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    cp_process_send(self, msg->from, "pong", NULL, 0);
    atomic_fetch_add(&answered, 1);
}

static void sink_init(cp_process_t *self)
{
    cp_process_install(self, "ping", sink_ping, NULL, NULL);
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static bool settled(uint16_t port, uint64_t want)
{
    /* Every message answered and every peer forgotten. */
    for (int tries = 0; tries < 6000; tries++) {
        if (atomic_load(&answered) >= want) {
            int fd = tcp_connect(0, port);
            static const char req[] = "GET /metrics/snapshot HTTP/1.1\r\n\r\n";
            static char buf[65536];
            bool none = false;
            if (fd >= 0 && send(fd, req, sizeof req - 1, MSG_NOSIGNAL) > 0 &&
                read_status(fd, buf, sizeof buf) == 200) {
                char *k = strstr(buf, "\"transport/peers\":");
                none = k && strtol(k + 18, NULL, 10) == 0;
            }
            if (fd >= 0)
                close(fd);
            if (none)
                return true;
        }
        poll(NULL, 0, 10);
    }
    return false;
}

/* One churn round from source address `src`: connect, one message whose
 * sender is at `src`, read the 202, close. */
static int churn_once(uint32_t src, uint16_t port, uint16_t reply_port)
{
    int fd = tcp_connect(src, port);
    if (fd < 0)
        return -1;
    char req[256];
    int n = snprintf(req, sizeof req,
                     "POST /sink/ping HTTP/1.1\r\nLibprocess-From: c@%u.%u.%u.%u:%u\r\n"
                     "Content-Length: 0\r\n\r\n",
                     src >> 24, src >> 16 & 0xff, src >> 8 & 0xff, src & 0xff, reply_port);
    int rc = send(fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
    char buf[512];
    if (rc == 0 && read_status(fd, buf, sizeof buf) != 202)
        rc = -1;
    close(fd);
    return rc;
}

static void bench_peer_churn(long n, long pace)
{
    /* Replies go to a port bound but not listening: refused at once. */
    int refuser = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    if (bind(refuser, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(refuser, (struct sockaddr *)&sa, &len) != 0)
        exit(1);
    uint16_t reply_port = ntohs(sa.sin_port);
    setenv("CPROC_PEER_IDLE_TIMEOUT_MS", "100", 1);
    if (cp_runtime_start(NULL) != 0)
        exit(1);
    static const cp_process_ops_t ops = {.initialize = sink_init};
    cp_upid_t sink;
    cp_process_spawn("sink", &ops, NULL, &sink);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    /* Warm up, then measure. */
    enum { WARM = 5000 };
    for (uint32_t i = 0; i < WARM; i++)
        if (churn_once(0x7f030000u | (i / 250 % 250) << 8 | (i % 250 + 1), port, reply_port))
            exit(1);
    if (!settled(port, WARM)) {
        fprintf(stderr, "peer_churn: warm-up did not settle\n");
        exit(1);
    }
    size_t before = heap_bytes();
    uint64_t start = bench_now_ns();
    for (long i = 0; i < n; i++) {
        uint32_t src = 0x7f040000u | (uint32_t)(i / 250 % 250) << 8 | (uint32_t)(i % 250 + 1);
        if (churn_once(src, port, reply_port)) {
            fprintf(stderr, "peer_churn: round %ld failed\n", i);
            exit(1);
        }
        /* BENCH_CHURN_PACE: at most that many messages waiting for the
         * sink (the core's event pool keeps its high-water mark). */
        if (pace && i % pace == pace - 1)
            while (atomic_load(&answered) + (uint64_t)pace < WARM + (uint64_t)i)
                sched_yield();
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    bool ok = settled(port, WARM + (uint64_t)n);
    size_t after = heap_bytes();
    printf("{\"bench\": \"peer_churn\", \"value\": %.0f, \"unit\": \"messages/s\", "
           "\"rounds\": %ld, \"heap_growth_bytes\": %lld, \"heap_before\": %zu, "
           "\"heap_after\": %zu, \"pace\": %ld, \"settled\": %s}\n",
           (double)n / secs, n, (long long)after - (long long)before, before, after, pace,
           ok ? "true" : "false");
    fflush(stdout);
    cp_runtime_stop();
    close(refuser);
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"idle_connections", "peer_churn"};
    bench_check_args(argc, argv, names, sizeof names / sizeof names[0]);
    signal(SIGPIPE, SIG_IGN);
    setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    setenv("LIBPROCESS_PORT", "0", 1);
    if (wanted(argc, argv, "idle_connections"))
        bench_idle_connections(bench_env_long("BENCH_CONNECTIONS", 4000));
    if (wanted(argc, argv, "peer_churn"))
        bench_peer_churn(bench_env_long("BENCH_CHURN", 100000),
                         bench_env_long("BENCH_CHURN_PACE", 1000));
    return 0;
}
