/* Internal: per-peer traffic figures, one entry per remote node address
 * (ip:port) this node sends to or receives messages from.
 *
 * Threads: everything here belongs to the event-loop thread: the counts
 * are made where the transport already counts its totals (a finished
 * write in transport.c, a delivered message in server.c), both on the
 * loop thread, and the snapshot formats on the loop thread too. So the
 * counters are plain integers: no lock and no atomic on any path.
 *
 * Lifetime: an outbound peer (cp__peer_t) and an inbound connection each
 * hold a reference to the entry they count into. The sweep (peer.c) frees
 * an entry once nothing refers to it and nothing was counted into it for
 * CPROC_PEER_IDLE_TIMEOUT_MS, the same idle time after which the peer
 * itself is forgotten; the quiesce frees them all. At most
 * CP__PEER_STATS_MAX entries exist: traffic with a further address is
 * counted only in the totals (transport/peers_untracked says how much).
 */
#ifndef CPROC_TRANSPORT_PEER_STATS_H
#define CPROC_TRANSPORT_PEER_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define CP__PEER_STATS_MAX 4096

typedef struct cp__peer_stats {
    struct cp__peer_stats *next;
    uint32_t ip;
    uint16_t port;
    uint32_t refs;  /* outbound peer and inbound connections counting here */
    uint64_t epoch; /* cp__peer_epoch when last counted into */
    uint64_t messages_sent, bytes_sent;         /* written to its connection */
    uint64_t messages_received, bytes_received; /* read from its connections */
} cp__peer_stats_t;

/* Messages counted only in the totals: no entry could be made. */
extern uint64_t cp__peer_stats_untracked;

/* The entry for ip:port, made when missing, with one more reference;
 * NULL when the table is full or memory is short. */
cp__peer_stats_t *cp__peer_stats_ref(uint32_t ip, uint16_t port);

/* Drops a reference (s may be NULL); the sweep frees the entry later. */
void cp__peer_stats_unref(cp__peer_stats_t *s);

/* Frees the entries nobody refers to that were not counted into for more
 * than `ticks` sweeps. From cp__peer_sweep. */
void cp__peer_stats_sweep(uint64_t ticks);

/* Frees every entry (the transport stopping; nothing refers to them). */
void cp__peer_stats_clear(void);

/* Calls fn for every entry. */
void cp__peer_stats_each(void (*fn)(void *arg, const cp__peer_stats_t *s), void *arg);

#endif
