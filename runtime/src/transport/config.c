/* The transport's configuration, from LIBPROCESS_* variables (libprocess's
 * names and meanings) or their CPROC_* twins; the LIBPROCESS_ name wins
 * when both are set. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "cproc/error.h"
#include "transport/transport_internal.h"

static const char *env(const char *suffix)
{
    char name[96];
    snprintf(name, sizeof name, "LIBPROCESS_%s", suffix);
    const char *v = getenv(name);
    if (v)
        return v;
    snprintf(name, sizeof name, "CPROC_%s", suffix);
    return getenv(name);
}

static int bad(const char *suffix, const char *value)
{
    fprintf(stderr, "cproc: invalid LIBPROCESS_%s (or CPROC_%s): '%s'\n", suffix, suffix, value);
    return CP_EINVAL;
}

static int read_ip(const char *suffix, uint32_t *out, bool *set)
{
    const char *v = env(suffix);
    if (set)
        *set = v != NULL;
    if (!v)
        return 0;
    struct in_addr a;
    if (inet_pton(AF_INET, v, &a) != 1)
        return bad(suffix, v);
    *out = ntohl(a.s_addr);
    return 0;
}

static int read_uint(const char *suffix, unsigned long long max, unsigned long long *out,
                     bool *set)
{
    const char *v = env(suffix);
    if (set)
        *set = v != NULL;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x > max)
        return bad(suffix, v);
    *out = x;
    return 0;
}

static int read_bool(const char *suffix, bool *out)
{
    const char *v = env(suffix);
    if (!v)
        return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !*v)
        *out = false;
    else
        return bad(suffix, v);
    return 0;
}

/* With no advertised ip and a wildcard bind, peers need a reachable
 * address: the first non-loopback IPv4 interface, else loopback. */
static uint32_t guess_ip(void)
{
    uv_interface_address_t *ifs;
    int n;
    uint32_t ip = 0x7f000001u;
    if (uv_interface_addresses(&ifs, &n) == 0) {
        for (int i = 0; i < n; i++) {
            if (!ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET) {
                ip = ntohl(ifs[i].address.address4.sin_addr.s_addr);
                break;
            }
        }
        uv_free_interface_addresses(ifs, n);
    }
    return ip;
}

int cp__transport_config_read(cp__transport_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->advertise_port = -1;
    cfg->max_connections = 4096;
    cfg->limits.max_header = CP_HTTP_DEFAULT_MAX_HEADER;
    cfg->limits.max_body = CP_HTTP_DEFAULT_MAX_BODY;
    unsigned long long v;
    bool set;
    int rc;
    if ((rc = read_ip("IP", &cfg->bind_ip, NULL)))
        return rc;
    v = 0;
    if ((rc = read_uint("PORT", 65535, &v, NULL)))
        return rc;
    cfg->bind_port = (uint16_t)v;
    if ((rc = read_ip("ADVERTISE_IP", &cfg->advertise_ip, &cfg->have_advertise_ip)))
        return rc;
    if ((rc = read_uint("ADVERTISE_PORT", 65535, &v, &set)))
        return rc;
    if (set)
        cfg->advertise_port = (int)v;
    if ((rc = read_bool("REQUIRE_PEER_ADDRESS_IP_MATCH", &cfg->require_ip_match)))
        return rc;
    v = cfg->max_connections;
    if ((rc = read_uint("MAX_CONNECTIONS", 1000000, &v, NULL)))
        return rc;
    if (v == 0)
        return bad("MAX_CONNECTIONS", "0");
    cfg->max_connections = (size_t)v;
    v = cfg->limits.max_header;
    if ((rc = read_uint("MAX_HEADER_SIZE", (size_t)1 << 30, &v, NULL)))
        return rc;
    cfg->limits.max_header = (size_t)v;
    v = cfg->limits.max_body;
    if ((rc = read_uint("MAX_BODY_SIZE", (size_t)1 << 40, &v, NULL)))
        return rc;
    cfg->limits.max_body = (size_t)v;
    if (!cfg->have_advertise_ip)
        cfg->advertise_ip = cfg->bind_ip ? cfg->bind_ip : guess_ip();
    return 0;
}
