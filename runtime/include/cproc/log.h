/* cproc — logging.
 *
 * Leveled lines on stderr: "cproc W 18:02:11.123456 text". The level comes
 * from CPROC_LOG (off|error|warn|info|debug; default warn), read when the
 * runtime starts; cp_log_set_level() overrides it. Thread-safe.
 */
#ifndef CPROC_LOG_H
#define CPROC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cp_log_level {
    CP_LOG_OFF = 0,
    CP_LOG_ERROR,
    CP_LOG_WARN,
    CP_LOG_INFO,
    CP_LOG_DEBUG,
} cp_log_level_t;

/* Writes one line at `level` if the current level lets it through. */
void cp_log(cp_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when a line at `level` would be written (to skip costly formatting). */
int cp_log_enabled(cp_log_level_t level);

cp_log_level_t cp_log_get_level(void);
void cp_log_set_level(cp_log_level_t level);

/* Parses "off", "error", "warn", "info" or "debug". 0 or CP_EINVAL. */
int cp_log_parse_level(const char *text, cp_log_level_t *out);

#ifdef __cplusplus
}
#endif

#endif
