/* Sharded counters (counter.h). */
#include "core/counter.h"

#include "core/core_internal.h"

static _Atomic unsigned threads_seen;
/* This thread's shard number plus one; 0 until it first asks. */
static _Thread_local unsigned my_shard CP__TLS_IE;

unsigned cp__thread_shard(void)
{
    if (my_shard == 0)
        my_shard = atomic_fetch_add_explicit(&threads_seen, 1, memory_order_relaxed) + 1;
    return my_shard - 1;
}

int64_t cp__counter_sum(cp__counter_t *c)
{
    int64_t sum = 0;
    for (unsigned i = 0; i < CP__COUNTER_SHARDS; i++)
        sum += atomic_load_explicit(&c->shard[i].n, memory_order_relaxed);
    return sum;
}
