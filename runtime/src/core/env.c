/* Reading configuration variables: one number parser, one boolean parser,
 * one sentence form (see env.h). */
#include "core/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "core/transport_ops.h"
#include "cproc/error.h"

const char *cp__env_get(const char *suffix, char *name, size_t cap)
{
    if (name == NULL || cap == 0)
        return NULL;
    snprintf(name, cap, "LIBPROCESS_%s", suffix);
    const char *v = getenv(name);
    if (v)
        return v;
    snprintf(name, cap, "CPROC_%s", suffix);
    return getenv(name);
}

int cp__env_bad(char *err, const char *name, const char *value, const char *what)
{
    snprintf(err, CP__START_ERRLEN, "%s=\"%s\" is %s", name, value, what);
    return CP_EINVAL;
}

int cp__env_parse_u64(const char *name, const char *v, uint64_t min, uint64_t max,
                      uint64_t *out, char *err)
{
    uint64_t x = 0;
    bool ok = *v != '\0';
    for (const char *c = v; ok && *c; c++) {
        if (*c < '0' || *c > '9' || x > (UINT64_MAX - 9) / 10)
            ok = false;
        else
            x = x * 10 + (uint64_t)(*c - '0');
    }
    if (!ok || x < min || x > max) {
        char what[96];
        snprintf(what, sizeof what, "not a whole number from %llu to %llu",
                 (unsigned long long)min, (unsigned long long)max);
        return cp__env_bad(err, name, v, what);
    }
    *out = x;
    return 0;
}

int cp__env_parse_bool(const char *name, const char *v, bool *out, char *err)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return cp__env_bad(err, name, v, "not a boolean (true/false, yes/no, on/off, 1/0)");
}

int cp__env_u64(const char *suffix, uint64_t min, uint64_t max, uint64_t *out, bool *set,
                char *err)
{
    char name[96];
    const char *v = cp__env_get(suffix, name, sizeof name);
    if (set)
        *set = v != NULL;
    return v ? cp__env_parse_u64(name, v, min, max, out, err) : 0;
}

int cp__env_cproc_u64(const char *name, uint64_t min, uint64_t max, uint64_t *out, char *err)
{
    const char *v = getenv(name);
    return v ? cp__env_parse_u64(name, v, min, max, out, err) : 0;
}

int cp__env_bool(const char *suffix, bool *out, char *err)
{
    char name[96];
    const char *v = cp__env_get(suffix, name, sizeof name);
    return v ? cp__env_parse_bool(name, v, out, err) : 0;
}
