/* The event loop's delay: a timer due every TICK_MS records how late it
 * ran (uv_hrtime() against the time it was due). A blocked or busy loop
 * thread shows as a large delay. The gauge is the largest delay of the
 * current and the previous window of WINDOW_TICKS ticks. */
#include <stdatomic.h>
#include <stdint.h>

#include "metrics/loop_lag.h"

enum { TICK_MS = 100, WINDOW_TICKS = 10 };

/* Loop thread only, except the two published maxima. */
static uv_timer_t timer;
static uint64_t due_ns;
static unsigned ticks;
static _Atomic uint64_t cur_max_ns, prev_max_ns;

static void store_max(_Atomic uint64_t *a, uint64_t v)
{
    if (v > atomic_load_explicit(a, memory_order_relaxed))
        atomic_store_explicit(a, v, memory_order_relaxed);
}

static void tick(uv_timer_t *t)
{
    uint64_t now = uv_hrtime();
    store_max(&cur_max_ns, now > due_ns ? now - due_ns : 0);
    if (++ticks == WINDOW_TICKS) {
        ticks = 0;
        atomic_store_explicit(&prev_max_ns, atomic_load_explicit(&cur_max_ns, memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&cur_max_ns, 0, memory_order_relaxed);
    }
    due_ns = now + (uint64_t)TICK_MS * 1000000u;
}

void cp__loop_lag_start(uv_loop_t *loop)
{
    ticks = 0;
    atomic_store(&cur_max_ns, 0);
    atomic_store(&prev_max_ns, 0);
    if (uv_timer_init(loop, &timer) != 0)
        return;
    due_ns = uv_hrtime() + (uint64_t)TICK_MS * 1000000u;
    uv_timer_start(&timer, tick, TICK_MS, TICK_MS);
    uv_unref((uv_handle_t *)&timer);
}

double cp__loop_lag_ms(void)
{
    uint64_t a = atomic_load_explicit(&cur_max_ns, memory_order_relaxed);
    uint64_t b = atomic_load_explicit(&prev_max_ns, memory_order_relaxed);
    return (double)(a > b ? a : b) / 1e6;
}
