/* Internal: reading configuration variables, one way for all of them.
 *
 * Every variable the runtime reads (LIBPROCESS_X, or its twin CPROC_X; the
 * LIBPROCESS_ name wins when both are set) is parsed by these functions,
 * so a number, a boolean and an error read the same whatever the
 * variable:
 *   - a number is ASCII digits only (no sign, no space, no 0x), within
 *     [min, max];
 *   - a boolean is 1/true/yes/on or 0/false/no/off, in any case;
 *   - a bad value gives one sentence, `NAME="value" is not <what>` (e.g.
 *     `LIBPROCESS_PORT=" 5" is not a whole number from 0 to 65535`).
 * Any thread; err is CP__START_ERRLEN bytes (core/transport_ops.h).
 */
#ifndef CPROC_CORE_ENV_H
#define CPROC_CORE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of LIBPROCESS_<suffix>, else CPROC_<suffix>, or NULL; `name`
 * (cap bytes) gets the full name of the variable that was read (or, when
 * neither is set, the CPROC_ one). */
const char *cp__env_get(const char *suffix, char *name, size_t cap);

/* Parses `v` (the value of `name`) as a whole number in [min, max].
 * 0, or CP_EINVAL with the sentence in err. */
int cp__env_parse_u64(const char *name, const char *v, uint64_t min, uint64_t max,
                      uint64_t *out, char *err);

/* Parses `v` as a boolean. 0, or CP_EINVAL with the sentence in err. */
int cp__env_parse_bool(const char *name, const char *v, bool *out, char *err);

/* Looks the variable up and parses it; *out is left alone when it is not
 * set, and *set (may be NULL) says whether it was. */
int cp__env_u64(const char *suffix, uint64_t min, uint64_t max, uint64_t *out, bool *set,
                char *err);
int cp__env_bool(const char *suffix, bool *out, char *err);

/* The same for a variable libprocess does not have, read only under its
 * full name (CPROC_CALL_TIMEOUT_MS, CPROC_LOOP_POLL_US). */
int cp__env_cproc_u64(const char *name, uint64_t min, uint64_t max, uint64_t *out, char *err);

/* Writes the sentence `NAME="value" is <what>` into err; returns CP_EINVAL. */
int cp__env_bad(char *err, const char *name, const char *value, const char *what);

#endif
