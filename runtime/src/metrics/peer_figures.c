/* Per-peer traffic figures in a snapshot: four counters per remote node,
 * flat names in JSON (transport/peers/127.0.0.1:5051/messages_sent, as
 * libprocess names things) and one family per figure with a `peer` label
 * in Prometheus (transport_peer_messages_sent_total{peer="127.0.0.1:5051"}). */
#include <stdio.h>

#include "metrics/format.h"
#include "transport/peer_stats.h"
#include "transport/wire.h"

static const struct {
    const char *key;
    const char *prom;
    const char *help;
} figures[4] = {
    {"messages_sent", "transport/peer/messages_sent",
     "Messages written to this peer node's connection"},
    {"bytes_sent", "transport/peer/bytes_sent",
     "Bytes of messages written to this peer node's connection"},
    {"messages_received", "transport/peer/messages_received",
     "Messages from this peer node delivered to a local process"},
    {"bytes_received", "transport/peer/bytes_received",
     "Bytes read on connections carrying this peer node's messages"},
};

static void one(void *arg, const cp__peer_stats_t *s)
{
    cp__fams_t *f = arg;
    char ip[16], name[96], labels[64];
    cp__wire_format_ip(ip, s->ip);
    /* An address needs no escaping in a label value. */
    snprintf(labels, sizeof labels, "peer=\"%s:%u\"", ip, (unsigned)s->port);
    const uint64_t v[4] = {s->messages_sent, s->bytes_sent, s->messages_received,
                           s->bytes_received};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "transport/peers/%s:%u/%s", ip, (unsigned)s->port,
                 figures[i].key);
        cp__fam_t *x = cp__fams_add_labelled(f, name, figures[i].prom, labels, figures[i].help,
                                             CP__FAM_COUNTER);
        if (!x)
            return;
        x->has_value = true;
        x->value = (double)v[i];
    }
}

void cp__peer_figures(cp__fams_t *f)
{
    cp__peer_stats_each(one, f);
}
