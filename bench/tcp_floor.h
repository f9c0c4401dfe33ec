/* The floor for remote latency: a blocking ping-pong over a loopback TCP
 * connection between two OS processes, no runtime in between. */
#ifndef CPROC_BENCH_TCP_FLOOR_H
#define CPROC_BENCH_TCP_FLOOR_H

#include <stddef.h>
#include <stdint.h>

/* Forks an echo process, does `rounds` round trips of `size`-byte
 * messages one at a time and prints a "raw_tcp_ping_pong" JSON line.
 * Returns 0, or -1 when a socket call failed (the line is not printed). */
int bench_tcp_floor(size_t size, uint64_t rounds);

#endif
