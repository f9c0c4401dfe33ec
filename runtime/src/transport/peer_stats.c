/* Per-peer traffic figures: a hash table owned by the event-loop thread
 * (peer_stats.h says why no lock is needed). */
#include "transport/peer_stats.h"

#include <stdlib.h>

#include "transport/limits.h"

#define BUCKETS 1024

static cp__peer_stats_t *buckets[BUCKETS];
static uint64_t live;
uint64_t cp__peer_stats_untracked;

static size_t bucket_of(uint32_t ip, uint16_t port)
{
    uint32_t h = ip * 2654435761u ^ (uint32_t)port * 40503u;
    return (h ^ h >> 16) % BUCKETS;
}

cp__peer_stats_t *cp__peer_stats_ref(uint32_t ip, uint16_t port)
{
    size_t b = bucket_of(ip, port);
    for (cp__peer_stats_t *s = buckets[b]; s; s = s->next) {
        if (s->ip == ip && s->port == port) {
            s->refs++;
            return s;
        }
    }
    if (live >= CP__PEER_STATS_MAX)
        return NULL;
    cp__peer_stats_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ip = ip;
    s->port = port;
    s->refs = 1;
    s->epoch = cp__peer_epoch;
    s->next = buckets[b];
    buckets[b] = s;
    live++;
    return s;
}

void cp__peer_stats_unref(cp__peer_stats_t *s)
{
    if (s && s->refs)
        s->refs--;
}

void cp__peer_stats_sweep(uint64_t ticks)
{
    if (!live)
        return;
    for (size_t b = 0; b < BUCKETS; b++) {
        for (cp__peer_stats_t **pp = &buckets[b]; *pp;) {
            cp__peer_stats_t *s = *pp;
            if (s->refs || cp__peer_epoch - s->epoch <= ticks) {
                pp = &s->next;
                continue;
            }
            *pp = s->next;
            free(s);
            live--;
        }
    }
}

void cp__peer_stats_clear(void)
{
    for (size_t b = 0; b < BUCKETS; b++) {
        while (buckets[b]) {
            cp__peer_stats_t *s = buckets[b];
            buckets[b] = s->next;
            free(s);
        }
    }
    live = 0;
}

void cp__peer_stats_each(void (*fn)(void *arg, const cp__peer_stats_t *s), void *arg)
{
    for (size_t b = 0; live && b < BUCKETS; b++)
        for (const cp__peer_stats_t *s = buckets[b]; s; s = s->next)
            fn(arg, s);
}
