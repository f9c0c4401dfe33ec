/* Internal: deadlines of calls (core/call.c). One FIFO list per distinct
 * timeout (most calls share the default), in deadline order because the
 * clock only moves forward, with at most one runtime timer armed per list
 * for its head: a call starts with an O(1) append and ends with an O(1)
 * unlink, where a timer per call would cost a heap operation under the
 * clock's lock twice. Each thread appends to one of a few shards, so that
 * workers calling at once share no lock. Any thread. */
#ifndef CPROC_CORE_DEADLINE_H
#define CPROC_CORE_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Embedded in what has a deadline; zero-initialized. */
typedef struct cp__deadline {
    struct cp__deadline *prev, *next;
    uint64_t at; /* runtime clock */
    int list;    /* -1: not on a list */
    int shard;
    bool linked; /* under the shard's lock */
} cp__deadline_t;

/* Called on the loop thread when d is due, after it was unlinked (the
 * list's claim on it passes to the callee). Defined by call.c. */
void cp__deadline_expired(cp__deadline_t *d);

/* Appends d, due `timeout_ns` from now. False when every list of this
 * thread's shard serves another timeout (use a timer of your own). */
bool cp__deadline_add(cp__deadline_t *d, uint64_t timeout_ns);

/* Unlinks d; true when it was linked (its claim passes to the caller). */
bool cp__deadline_remove(cp__deadline_t *d);

/* Runtime stop, after the timers are gone: unlinks every deadline and
 * hands each to fn (as if expired, its claim with it). */
void cp__deadlines_drain(void (*fn)(cp__deadline_t *d));

#endif
