/* The raw-TCP floor printed beside remote_ping_pong: same machine, same
 * loopback, same body size, one message in flight, blocking read/write
 * with TCP_NODELAY, no runtime and no HTTP framing. */
#include "tcp_floor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int full_io(int fd, char *buf, size_t n, int writing)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = writing ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int bench_tcp_floor(size_t size, uint64_t rounds)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    char *buf = calloc(1, size);
    pid_t child = fork();
    if (child == 0) {
        int c = accept(ls, NULL, NULL);
        if (c >= 0) {
            nodelay(c);
            while (full_io(c, buf, size, 0) == 0 && full_io(c, buf, size, 1) == 0)
                ;
        }
        _exit(0);
    }
    close(ls);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (child < 0 || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        free(buf);
        return -1;
    }
    nodelay(fd);
    uint64_t *rtt = malloc(rounds * sizeof *rtt);
    int rc = 0;
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < rounds && rc == 0; i++) {
        uint64_t t0 = bench_now_ns();
        rc = full_io(fd, buf, size, 1) == 0 && full_io(fd, buf, size, 0) == 0 ? 0 : -1;
        rtt[i] = bench_now_ns() - t0;
    }
    double secs = (double)(bench_now_ns() - start) / 1e9;
    close(fd);
    waitpid(child, NULL, 0);
    if (rc == 0) {
        qsort(rtt, rounds, sizeof *rtt, bench_cmp_u64);
        printf("{\"bench\": \"raw_tcp_ping_pong\", \"value\": %.0f, \"unit\": \"round_trips/s\", "
               "\"in_flight\": 1, \"p50_us\": %.1f, \"p99_us\": %.1f, \"round_trips\": %llu, "
               "\"body_bytes\": %zu}\n",
               (double)rounds / secs, (double)rtt[rounds / 2] / 1e3,
               (double)rtt[rounds * 99 / 100] / 1e3, (unsigned long long)rounds, size);
        fflush(stdout);
    }
    free(rtt);
    free(buf);
    return rc;
}
