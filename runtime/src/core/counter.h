/* Internal: counters that many threads add to. Each thread adds to its
 * shard (threads take shards round robin, in the order they first ask;
 * with more threads than shards, some share one), on cache lines no other
 * shard shares, so adds from different shards never move a line between
 * cores; reading sums the shards. A shard may go below zero when
 * one thread adds and another subtracts; the sum is exact once the adds it
 * should count happened before the read. */
#ifndef CPROC_CORE_COUNTER_H
#define CPROC_CORE_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

#define CP__COUNTER_SHARDS 8

typedef struct cp__counter {
    struct {
        _Alignas(128) _Atomic int64_t n;
    } shard[CP__COUNTER_SHARDS];
} cp__counter_t;

/* This thread's shard number: 0, 1, 2... in the order threads first ask.
 * Sharded structures take it modulo their number of shards. */
unsigned cp__thread_shard(void);

static inline void cp__counter_add(cp__counter_t *c, int64_t delta)
{
    atomic_fetch_add_explicit(&c->shard[cp__thread_shard() % CP__COUNTER_SHARDS].n, delta,
                              memory_order_relaxed);
}

/* The sum of the shards. */
int64_t cp__counter_sum(cp__counter_t *c);

#endif
