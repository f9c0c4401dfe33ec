/* The transport's configuration, from LIBPROCESS_* variables (libprocess's
 * names and meanings) or their CPROC_* twins; the LIBPROCESS_ name wins
 * when both are set. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netdb.h>
#include <unistd.h>

#include <uv.h>

#include "core/env.h"
#include "core/transport_ops.h"
#include "cproc/error.h"
#include "transport/transport_internal.h"

static int read_ip(const char *suffix, uint32_t *out, bool *set, char *err)
{
    char name[96];
    const char *v = cp__env_get(suffix, name, sizeof name);
    if (set)
        *set = v != NULL;
    if (!v)
        return 0;
    struct in_addr a;
    if (inet_pton(AF_INET, v, &a) != 1)
        return cp__env_bad(err, name, v, "not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)");
    *out = ntohl(a.s_addr);
    return 0;
}

/* Numbers go through the runtime's one parser (core/env.h). */
static int read_uint(const char *suffix, unsigned long long min, unsigned long long max,
                     unsigned long long *out, bool *set, char *err)
{
    uint64_t v = *out;
    int rc = cp__env_u64(suffix, min, max, &v, set, err);
    if (rc == 0)
        *out = v;
    return rc;
}

/* libprocess's rule for a wildcard address: the first IPv4 address the
 * host's own name resolves to. Returns 0 or CP_EINVAL with err set. */
int cp__transport_resolve_hostname(uint32_t *out, char *err)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0) {
        snprintf(err, CP__START_ERRLEN,
                 "cannot find an address to advertise: gethostname failed (%s); "
                 "set LIBPROCESS_ADVERTISE_IP",
                 strerror(errno));
        return CP_EINVAL;
    }
    host[sizeof host - 1] = '\0';
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, CP__START_ERRLEN,
                 "cannot find an address to advertise: the host name '%.64s' does not resolve "
                 "to an IPv4 address (%s); set LIBPROCESS_ADVERTISE_IP",
                 host, rc ? gai_strerror(rc) : "no address");
        if (res)
            freeaddrinfo(res);
        return CP_EINVAL;
    }
    *out = ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
    freeaddrinfo(res);
    return 0;
}

int cp__transport_config_read(cp__transport_config_t *cfg, char *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind_ip = CP__DEFAULT_BIND_IP;
    cfg->advertise_port = -1;
    cfg->max_connections = 4096;
    cfg->limits.max_header = CP_HTTP_DEFAULT_MAX_HEADER;
    cfg->limits.max_body = CP_HTTP_DEFAULT_MAX_BODY;
    cfg->warn_burst = 10;
    cfg->warn_interval_s = 60;
    unsigned long long v;
    bool set;
    int rc;
    if ((rc = read_ip("IP", &cfg->bind_ip, NULL, err)))
        return rc;
    v = 0;
    if ((rc = read_uint("PORT", 0, 65535, &v, NULL, err)))
        return rc;
    cfg->bind_port = (uint16_t)v;
    if ((rc = read_ip("ADVERTISE_IP", &cfg->advertise_ip, &cfg->have_advertise_ip, err)))
        return rc;
    if ((rc = read_uint("ADVERTISE_PORT", 1, 65535, &v, &set, err)))
        return rc;
    if (set)
        cfg->advertise_port = (int)v;
    if ((rc = cp__env_bool("REQUIRE_PEER_ADDRESS_IP_MATCH", &cfg->require_ip_match, err)))
        return rc;
    v = cfg->max_connections;
    if ((rc = read_uint("MAX_CONNECTIONS", 1, 1000000, &v, NULL, err)))
        return rc;
    cfg->max_connections = (size_t)v;
    v = cfg->limits.max_header;
    if ((rc = read_uint("MAX_HEADER_SIZE", CP__MIN_HEADER_SIZE, (size_t)1 << 30, &v, NULL, err)))
        return rc;
    cfg->limits.max_header = (size_t)v;
    v = cfg->limits.max_body;
    if ((rc = read_uint("MAX_BODY_SIZE", CP__MIN_BODY_SIZE, (size_t)1 << 40, &v, NULL, err)))
        return rc;
    cfg->limits.max_body = (size_t)v;
    v = cfg->warn_burst;
    if ((rc = read_uint("PEER_WARNINGS", 0, 1000000, &v, NULL, err)))
        return rc;
    cfg->warn_burst = (unsigned)v;
    v = cfg->warn_interval_s;
    if ((rc = read_uint("PEER_WARNINGS_INTERVAL", 1, 86400, &v, NULL, err)))
        return rc;
    cfg->warn_interval_s = (unsigned)v;
    /* As libprocess: the advertised address is LIBPROCESS_ADVERTISE_IP,
     * else the bound one; a wildcard is replaced by what the host name
     * resolves to. */
    if (!cfg->have_advertise_ip)
        cfg->advertise_ip = cfg->bind_ip;
    if (cfg->advertise_ip == 0 && (rc = cp__transport_resolve_hostname(&cfg->advertise_ip, err)))
        return rc;
    return 0;
}
