/* cproc — metrics (libprocess's process::metrics): counters, gauges, pull
 * gauges, timers and histograms, registered by name and served with the
 * runtime's own figures at GET /metrics/snapshot (JSON, libprocess's
 * shape) and GET /metrics/prometheus (Prometheus text format 0.0.4).
 *
 * Kinds:
 * - counter: a value that only goes up (cp_metric_increment/add).
 * - gauge: a value set or moved by the program (cp_metric_set/add).
 * - pull gauge: no stored value; at each snapshot its callback runs inside
 *   its process and returns the value (a process that is gone, or does not
 *   answer within the snapshot's timeout, leaves the metric out).
 * - timer: durations, recorded in milliseconds (name them "..._ms" as
 *   libprocess does): cp_metric_record_ns(), or cp_metric_time() for a
 *   future's pending time.
 * - histogram: any observed values (cp_metric_observe()).
 *
 * Statistics: timers and histograms (and counters or gauges made with
 * `.statistics = 1`; by default they keep none) keep their last `capacity`
 * samples (default 1000) not older than `window_ns` (0: no age limit). A
 * snapshot then has, beside "<name>" (the last value, kept after the
 * samples age out; a timer or histogram never sampled has none),
 * "<name>/count" always (0 when no sample is in the window) and "/min",
 * "/max", "/p50", "/p90", "/p95", "/p99" and "/p999" over the samples in
 * the window (percentiles interpolate linearly between ranks) once there
 * are at least two, as libprocess's TimeSeries statistics.
 *
 * Names: 1..255 visible ASCII characters (0x21..0x7e: no space, no control
 * character) other than '"' and '\\' ("a/b_c" style, as libprocess). A
 * help text is one line: no '\r' or '\n'. For Prometheus every character
 * outside [A-Za-z0-9_:] becomes '_' (and a leading digit gets a '_'
 * prefix); counters are TYPE counter with the suffix "_total" added unless
 * the name ends with it ("http/requests" -> http_requests_total), gauges
 * gauge, timers and histograms summary (quantile samples, _sum and _count;
 * always listed, _count 0 when the window is empty). The runtime's own
 * figures are typed as docs/metrics.md lists.
 *
 * Ownership: a cp_metric_*_new() registers the metric under its name and
 * returns a handle (one reference) that the caller drops with
 * cp_metric_unref(); the registry holds its own reference until
 * cp_metrics_remove(name). Updating a removed metric is harmless.
 *
 * Threads: every function is thread-safe; updates are lock-free for
 * counters and gauges and take a per-metric lock for samples. A pull
 * gauge's callback runs inside its process. The registry is one per
 * program and outlives runtime restarts; only the pull gauges and the HTTP
 * endpoints need the runtime.
 */
#ifndef CPROC_METRICS_H
#define CPROC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "cproc/future.h"
#include "cproc/pid.h"
#include "cproc/process.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_metric cp_metric_t;

typedef enum cp_metric_kind {
    CP_METRIC_COUNTER = 0,
    CP_METRIC_GAUGE,
    CP_METRIC_PULL_GAUGE,
    CP_METRIC_TIMER,
    CP_METRIC_HISTOGRAM,
} cp_metric_kind_t;

typedef struct cp_metric_options {
    const char *help;  /* HELP text (copied; one line: '\r' or '\n' is CP_EINVAL); NULL: none */
    uint64_t window_ns; /* statistics: samples younger than this (0: any age) */
    size_t capacity;    /* statistics: samples kept (0: 1000) */
    int statistics;     /* counters and gauges: non-zero keeps statistics */
} cp_metric_options_t;

/* Registers a counter, gauge, timer or histogram named `name` (copied;
 * `opts` borrowed, may be NULL) and writes a handle to *out (may be NULL:
 * no handle kept). Returns 0, CP_EINVAL (bad name, a help text with '\r'
 * or '\n', or a bad kind: use cp_metric_pull_gauge_new for pull gauges),
 * CP_EEXIST (name taken) or CP_ENOMEM. */
int cp_metric_new(cp_metric_kind_t kind, const char *name, const cp_metric_options_t *opts,
                  cp_metric_t **out);

/* A pull gauge's callback: runs inside the process with `arg`, returns
 * the value now. */
typedef double (*cp_metric_pull_fn)(cp_process_t *self, void *arg);

/* Registers a pull gauge read by fn(self, arg) inside process `pid`
 * (copied) at each snapshot. arg_free(arg) runs when the metric's last
 * reference goes (also on error, before returning). Returns as
 * cp_metric_new(). */
int cp_metric_pull_gauge_new(const char *name, const cp_metric_options_t *opts,
                             const cp_upid_t *pid, cp_metric_pull_fn fn, void *arg,
                             cp_free_fn arg_free, cp_metric_t **out);

/* Removes the metric registered under `name` (later snapshots leave it
 * out; handles stay valid). Returns 0 or CP_ENOENT. */
int cp_metrics_remove(const char *name);

/* Metrics registered now. */
size_t cp_metrics_count(void);

cp_metric_t *cp_metric_ref(cp_metric_t *m);
void cp_metric_unref(cp_metric_t *m);

/* Counter += 1 / counter or gauge += delta. No effect on other kinds (a
 * counter ignores a negative delta). */
void cp_metric_increment(cp_metric_t *m);
void cp_metric_add(cp_metric_t *m, double delta);

/* Gauge = v. No effect on other kinds. */
void cp_metric_set(cp_metric_t *m, double v);

/* Histogram (or timer, in milliseconds) sample. No effect on other kinds. */
void cp_metric_observe(cp_metric_t *m, double v);

/* Timer sample of `ns` nanoseconds (recorded as milliseconds). */
void cp_metric_record_ns(cp_metric_t *m, uint64_t ns);

/* Timer: records how long `f` stays pending from now (real time), when it
 * completes in any state. Returns 0, CP_EINVAL (not a timer, NULL) or
 * CP_ENOMEM. Borrows f. */
int cp_metric_time(cp_metric_t *m, cp_future_t *f);

/* The current value (the last sample for timers and histograms; NaN for a
 * pull gauge, which has no stored value). */
double cp_metric_value(cp_metric_t *m);

typedef enum cp_metrics_format {
    CP_METRICS_JSON = 0,
    CP_METRICS_PROMETHEUS,
} cp_metrics_format_t;

/* A snapshot of every registered metric (and, when the runtime runs, its
 * own figures), as the endpoints serve it. Pull gauges that do not answer
 * within `timeout_ns` on the runtime clock are left out (UINT64_MAX: wait
 * for all). Returns a future of a NUL-terminated char * (freed with the
 * future), NULL only when out of memory. Completes on the runtime's
 * event-loop thread when the runtime runs, else at once. */
cp_future_t *cp_metrics_snapshot(uint64_t timeout_ns, cp_metrics_format_t format);

#ifdef __cplusplus
}
#endif

#endif
