/* Internal: a rate limit for log lines a peer can cause.
 *
 * A peer that sends 100,000 malformed messages must not write 100,000
 * lines: the first `burst` warnings of an interval are logged, the rest
 * only counted, and the owner logs one summary line with the count when
 * the interval ends (transport.c arms a timer for it). Pure: the caller
 * passes the time, so tests need no clock. Not thread-safe; the
 * transport's limiter belongs to the loop thread.
 */
#ifndef CPROC_TRANSPORT_WARN_LIMIT_H
#define CPROC_TRANSPORT_WARN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cp__warn_limit {
    unsigned burst;       /* lines allowed per interval */
    uint64_t interval_ns; /* 0: not configured, every line passes */
    bool open; /* an interval has started */
    uint64_t window_start;
    unsigned used;       /* lines logged in the current interval */
    uint64_t suppressed; /* lines counted since the last flush */
} cp__warn_limit_t;

/* Configures w; the first interval starts at the first warning. */
void cp__warn_limit_init(cp__warn_limit_t *w, unsigned burst, uint64_t interval_ns);

/* A warning happens at `now` (ns, monotonic): true when it may be logged,
 * false when it was counted instead. */
bool cp__warn_limit_take(cp__warn_limit_t *w, uint64_t now);

/* Returns how many warnings were suppressed since the last flush, and
 * resets that count. */
uint64_t cp__warn_limit_flush(cp__warn_limit_t *w);

#endif
