/* The worker threads' CPU clocks (see worker_cpu.h). A worker that ends
 * takes its clock out under the lock, so a sum never reads a dead thread's
 * clock; the CPU time it used is kept in `gone_ns` so the total never goes
 * back. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "metrics/worker_cpu.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static clockid_t *clocks; /* under mu */
static unsigned n, cap;   /* under mu */
static uint64_t gone_ns;  /* under mu: CPU time of workers that ended */

static uint64_t cpu_ns(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cp__worker_cpu_enter(void)
{
    clockid_t c;
    if (pthread_getcpuclockid(pthread_self(), &c) != 0)
        return;
    pthread_mutex_lock(&mu);
    if (n == cap) {
        unsigned ncap = cap ? 2 * cap : 16;
        clockid_t *v = realloc(clocks, ncap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&mu);
            return; /* not counted: the gauge then reads low */
        }
        clocks = v;
        cap = ncap;
    }
    clocks[n++] = c;
    pthread_mutex_unlock(&mu);
}

void cp__worker_cpu_leave(void)
{
    clockid_t c;
    if (pthread_getcpuclockid(pthread_self(), &c) != 0)
        return;
    pthread_mutex_lock(&mu);
    for (unsigned i = 0; i < n; i++) {
        if (clocks[i] == c) {
            gone_ns += cpu_ns(c);
            clocks[i] = clocks[--n];
            break;
        }
    }
    if (n == 0) {
        free(clocks);
        clocks = NULL;
        cap = 0;
    }
    pthread_mutex_unlock(&mu);
}

uint64_t cp__workers_cpu_ns(unsigned *count)
{
    pthread_mutex_lock(&mu);
    uint64_t sum = gone_ns;
    for (unsigned i = 0; i < n; i++)
        sum += cpu_ns(clocks[i]);
    *count = n;
    pthread_mutex_unlock(&mu);
    return sum;
}
