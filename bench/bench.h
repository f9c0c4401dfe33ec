/* What the benchmark programs share: a monotonic clock, parameters from
 * the environment, and sorting latencies. */
#ifndef CPROC_BENCH_H
#define CPROC_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The number in environment variable `name`, or `fallback`. */
static inline long bench_env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : fallback;
}

/* The command line of a benchmark program: names of its benchmarks (none:
 * all of them). --help or -h lists them and exits 0; any other word is
 * refused with the list, exit status 2, so a typo does not pass for a run
 * that printed nothing. */
static inline void bench_check_args(int argc, char **argv, const char *const *names, size_t n)
{
    for (int i = 1; i < argc; i++) {
        bool help = strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = strcmp(argv[i], names[k]) == 0;
        if (known)
            continue;
        FILE *out = help ? stdout : stderr;
        if (!help)
            fprintf(out, "%s: no benchmark named '%s'\n", argv[0], argv[i]);
        fprintf(out, "usage: %s [NAME...]   (no NAME: all of them)\nbenchmarks:", argv[0]);
        for (size_t k = 0; k < n; k++)
            fprintf(out, " %s", names[k]);
        fprintf(out, "\n");
        exit(help ? 0 : 2);
    }
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#endif
