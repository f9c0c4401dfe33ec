/* Rate limit for peer warnings: see warn_limit.h. */
#include "transport/warn_limit.h"

void cp__warn_limit_init(cp__warn_limit_t *w, unsigned burst, uint64_t interval_ns)
{
    w->burst = burst;
    w->interval_ns = interval_ns;
    w->window_start = 0;
    w->used = 0;
    w->suppressed = 0;
    w->open = false;
}

bool cp__warn_limit_take(cp__warn_limit_t *w, uint64_t now)
{
    if (w->interval_ns == 0)
        return true;
    if (!w->open || now - w->window_start >= w->interval_ns) {
        w->open = true;
        w->window_start = now;
        w->used = 0;
    }
    if (w->used < w->burst) {
        w->used++;
        return true;
    }
    w->suppressed++;
    return false;
}

uint64_t cp__warn_limit_flush(cp__warn_limit_t *w)
{
    uint64_t n = w->suppressed;
    w->suppressed = 0;
    return n;
}
