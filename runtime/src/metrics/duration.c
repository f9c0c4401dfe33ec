/* libprocess's Duration::parse: "<number><unit>". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"
#include "metrics/metrics_http.h"

int cp__duration_parse(const char *text, size_t len, uint64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {
        {"ns", 1},           {"us", 1e3},          {"ms", 1e6},
        {"secs", 1e9},       {"mins", 60e9},       {"hrs", 3600e9},
        {"days", 86400e9},   {"weeks", 604800e9},
    };
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return CP_EINVAL;
    memcpy(buf, text, len);
    buf[len] = 0;
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || !isfinite(v) || v < 0 || buf[0] == '+' || buf[0] == ' ')
        return CP_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double t = v * units[i].ns;
            if (t >= 1.8e19)
                return CP_EINVAL;
            *ns = (uint64_t)t;
            return 0;
        }
    }
    return CP_EINVAL;
}

/* Finds `name`'s value in a query string "a=1&b=2" (not decoded). */
bool cp__query_get(const char *q, size_t len, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = q, *end = q + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= nl + 1 && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            *val = p + nl + 1;
            *vlen = (size_t)(stop - *val);
            return true;
        }
        p = stop + 1;
    }
    return false;
}
