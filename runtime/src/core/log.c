/* Leveled logging to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core_internal.h"
#include "cproc/error.h"
#include "cproc/log.h"

int cp_log_parse_level(const char *text, cp_log_level_t *out)
{
    static const char *const names[] = {"off", "error", "warn", "info", "debug"};
    if (text == NULL)
        return CP_EINVAL;
    for (int i = 0; i < 5; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (cp_log_level_t)i;
            return 0;
        }
    }
    return CP_EINVAL;
}

cp_log_level_t cp_log_get_level(void)
{
    return (cp_log_level_t)atomic_load_explicit(&cp__rt.log_level, memory_order_relaxed);
}

void cp_log_set_level(cp_log_level_t level)
{
    if (level >= CP_LOG_OFF && level <= CP_LOG_DEBUG)
        atomic_store_explicit(&cp__rt.log_level, (int)level, memory_order_relaxed);
}

int cp_log_enabled(cp_log_level_t level)
{
    return level != CP_LOG_OFF && (int)level <= (int)cp_log_get_level();
}

void cp_log(cp_log_level_t level, const char *fmt, ...)
{
    if (!cp_log_enabled(level))
        return;
    static const char letters[] = "-EWID";
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    time_t sec = ts.tv_sec;
    gmtime_r(&sec, &tm);
    int n = snprintf(line, sizeof line, "cproc %c %02d:%02d:%02d.%06ld ", letters[level], tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line keeps lines from different threads whole. */
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    fputs(line, stderr);
}
