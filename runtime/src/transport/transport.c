/* Placeholder transport: no sockets yet. Replaced by the real transport. */
#include "transport/transport.h"

#include "cproc/error.h"

int cp__transport_start(uint32_t *ip, uint16_t *port)
{
    *ip = 0x7f000001u;
    *port = 0;
    return 0;
}

void cp__transport_stop(void)
{
}

int cp__transport_send(const cp_upid_t *from, const cp_upid_t *to, const char *name,
                       const void *body, size_t len)
{
    return CP_ENOTSUP;
}

int cp__transport_link(const cp_upid_t *to, int relink)
{
    return CP_ENOTSUP;
}
