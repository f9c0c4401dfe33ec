/* Internal: the event loop's delay, measured on the loop thread by a
 * periodic timer: how late each tick runs after it was due. */
#ifndef CPROC_METRICS_LOOP_LAG_H
#define CPROC_METRICS_LOOP_LAG_H

#include <uv.h>

/* Starts the measuring timer on `loop` (unref'd: it never keeps the loop
 * alive; the loop's shutdown closes it with every other handle). Loop
 * thread, once per runtime start. */
void cp__loop_lag_start(uv_loop_t *loop);

/* The largest delay seen over the last one to two seconds, in ms (0
 * before the first tick). Any thread. */
double cp__loop_lag_ms(void);

#endif
