/* cproc — the runtime clock.
 *
 * Time in cproc (delay(), cp_future_after(), timers) is read from one
 * clock: monotonic real time by default. Tests pause it, advance it by hand
 * and settle the runtime, so a five-minute timeout runs in microseconds.
 * All times are nanoseconds. All functions are thread-safe and need a
 * running runtime (cp_clock_now() works without one, on real time).
 */
#ifndef CPROC_CLOCK_H
#define CPROC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CP_NS_PER_US UINT64_C(1000)
#define CP_NS_PER_MS UINT64_C(1000000)
#define CP_NS_PER_SEC UINT64_C(1000000000)

/* The current time on the runtime clock (frozen while paused). */
uint64_t cp_clock_now(void);

/* Freezes the clock at its current time. Timers stop firing until the
 * clock is advanced or resumed. Pausing twice is harmless. */
void cp_clock_pause(void);

/* True while paused. */
bool cp_clock_paused(void);

/* Moves a paused clock forward by `ns` and fires the timers that became
 * due (asynchronously, on the event-loop thread; cp_clock_settle() waits
 * for them). CP_ESTATE when not paused. */
int cp_clock_advance(uint64_t ns);

/* Resumes real time: the clock continues from real time (time spent paused
 * is not replayed) and due timers fire. */
void cp_clock_resume(void);

/* Blocks until the runtime is quiet: no process has queued work, none is
 * running, and no timer is due. Call from a non-process thread (returns
 * CP_EDEADLK from inside a process). Returns 0 or CP_ESTATE (not running). */
int cp_clock_settle(void);

/* A one-shot timer on the runtime clock. */
typedef void (*cp_timer_fn)(void *arg);

/* Runs fn(arg) on the event-loop thread once `delay_ns` have passed on the
 * runtime clock, and writes an id for cp_timer_cancel() to *id (may be
 * NULL). arg_free(arg) (may be NULL) runs exactly once: after fn, or on
 * cancel, or at runtime stop. fn must not block. Returns 0, CP_ENOMEM (then
 * arg_free ran) or CP_ESTATE (not running; then arg_free ran). */
int cp_timer_start(uint64_t delay_ns, cp_timer_fn fn, void *arg, void (*arg_free)(void *),
                   uint64_t *id);

/* Cancels a timer that has not fired: returns 0 (arg_free ran, fn never
 * will) or CP_ENOENT (already fired, cancelled or unknown). */
int cp_timer_cancel(uint64_t id);

#ifdef __cplusplus
}
#endif

#endif
