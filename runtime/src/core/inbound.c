/* Inbound backpressure, the core's half: the bytes of messages delivered
 * from the network whose events are still alive (queued, running, or
 * waiting in a filter), and a watch that tells the transport when they
 * have fallen low enough for it to read again (see node.h).
 *
 * Threads: messages are counted on the loop thread (delivery) and
 * uncounted on whatever thread frees their event (a worker that ran it,
 * a thread that drained a mailbox). The watch is armed on the loop thread;
 * the thread whose free takes the count to the low-water mark disarms it
 * with one exchange and posts the transport's function to the loop, so it
 * runs there exactly once per arming.
 */
#include <stdatomic.h>

#include "core/core_internal.h"
#include "core/node.h"

/* Written on every delivery and every free: a cache line of its own, so
 * the watch's fields, read on every free, are not dragged along. */
static _Alignas(64) _Atomic uint64_t inbound_bytes;
static _Alignas(64) _Atomic bool watch_armed;
static _Atomic uint64_t watch_low;
static void (*watch_fn)(void *); /* written before watch_armed is set */
static void *watch_arg;

/* What a message event holds: its block (header, sender, name) and body. */
static uint64_t event_bytes(const cp__event_t *ev)
{
    return (uint64_t)cp__event_header_size() + sizeof(cp_upid_t) + ev->u.m.name_len + 1 +
           ev->u.m.len;
}

void cp__inbound_count(cp__event_t *ev)
{
    ev->net = 1;
    atomic_fetch_add(&inbound_bytes, event_bytes(ev));
}

void cp__inbound_release(cp__event_t *ev)
{
    uint64_t n = event_bytes(ev);
    ev->net = 0;
    uint64_t left = atomic_fetch_sub(&inbound_bytes, n) - n;
    if (atomic_load(&watch_armed) && left <= atomic_load(&watch_low) &&
        atomic_exchange(&watch_armed, false))
        cp__loop_post(watch_fn, watch_arg); /* CP_ESTATE while stopping: nothing to resume */
}

uint64_t cp__node_inbound_bytes(void)
{
    return atomic_load(&inbound_bytes);
}

bool cp__node_inbound_watch(uint64_t low, void (*fn)(void *arg), void *arg)
{
    watch_fn = fn;
    watch_arg = arg;
    atomic_store(&watch_low, low);
    atomic_store(&watch_armed, true);
    /* A free between the caller's look and the arming would be missed. */
    if (atomic_load(&inbound_bytes) <= low && atomic_exchange(&watch_armed, false))
        return true;
    return false;
}

void cp__node_inbound_unwatch(void)
{
    atomic_store(&watch_armed, false);
}
