/* kvnode: one node of a replicated key-value store (kv.actor).
 *
 *   kvnode [--ip IP] [--port PORT] [--peer store@ip:port]...
 *
 * Prints its UPID (store@ip:port) on the first line, then serves until
 * SIGINT or SIGTERM. Every node keeps every key:
 *
 * - Put stores the value under a new version (a Lamport clock) and sends a
 *   Replicate to every peer that is up; Get answers from the local copy.
 * - Replicate applies a write when it is newer (higher version, then
 *   higher origin), so all nodes converge whatever the order.
 * - Peers are followed with cp_watch(): a peer that dies is marked down at
 *   once (its connection breaks), and when it answers again it is sent
 *   every key. A node started with --peer asks those nodes to Join it, so
 *   they follow it too.
 * - GET /store/stats shows the node, its keys and its peers as JSON.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.actor.h"

#define PEER_PROBE_NS (200 * CP_NS_PER_MS)

typedef struct entry {
    char *key;
    uint8_t *value;
    size_t len;
    uint64_t version;
    char *origin;
} entry_t;

typedef struct peer {
    Kv__Store_Pid pid;
    bool up;
} peer_t;

typedef struct store {
    char me[CP_UPID_STRLEN];
    entry_t *entries;
    size_t n_entries;
    peer_t *peers;
    size_t n_peers;
    uint64_t clock; /* Lamport: above every version seen */
    uint64_t puts, gets, applied;
    cp_upid_t *seeds; /* --peer, joined at start */
    size_t n_seeds;
} store_t;

/* ---- the data ----------------------------------------------------------- */

static entry_t *find(store_t *s, const char *key)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

/* Stores a write if it is newer than what the node has. */
static bool apply(store_t *s, const char *key, const uint8_t *value, size_t len,
                  uint64_t version, const char *origin)
{
    if (version > s->clock)
        s->clock = version;
    entry_t *e = find(s, key);
    if (e != NULL && (e->version > version ||
                      (e->version == version && strcmp(e->origin, origin) >= 0)))
        return false;
    if (e == NULL) {
        entry_t *grown = realloc(s->entries, (s->n_entries + 1) * sizeof(*grown));
        if (grown == NULL)
            return false;
        s->entries = grown;
        e = &s->entries[s->n_entries++];
        memset(e, 0, sizeof(*e));
        e->key = strdup(key);
    }
    free(e->value);
    free(e->origin);
    e->value = malloc(len > 0 ? len : 1);
    if (len > 0)
        memcpy(e->value, value, len);
    e->len = len;
    e->version = version;
    e->origin = strdup(origin);
    return true;
}

static void replicate_to(const peer_t *p, const entry_t *e)
{
    Kv__Replicate msg = KV__REPLICATE__INIT;
    msg.key = e->key;
    msg.value.data = e->value;
    msg.value.len = e->len;
    msg.version = e->version;
    msg.origin = e->origin;
    /* Typed one-way send: only a Store takes a Replicate. */
    kv__store__send_replicate(p->pid, &msg, NULL);
}

/* ---- peers -------------------------------------------------------------- */

static peer_t *peer_of(store_t *s, const cp_upid_t *pid)
{
    for (size_t i = 0; i < s->n_peers; i++)
        if (cp_upid_equal(&s->peers[i].pid.upid, pid))
            return &s->peers[i];
    return NULL;
}

static void peer_changed(cp_process_t *self, const cp_upid_t *pid, bool up, void *arg)
{
    store_t *s = cp_process_data(self);
    peer_t *p = peer_of(s, pid);
    if (p == NULL)
        return;
    char text[CP_UPID_STRLEN];
    cp_upid_format(pid, text, sizeof(text));
    fprintf(stderr, "kvnode %s: peer %s is %s\n", s->me, text, up ? "up" : "down");
    p->up = up;
    if (up) /* back (or new): catch it up with every key */
        for (size_t i = 0; i < s->n_entries; i++)
            replicate_to(p, &s->entries[i]);
}

static void add_peer(cp_process_t *self, store_t *s, const cp_upid_t *pid)
{
    cp_upid_t me = cp_process_pid(self);
    if (cp_upid_equal(pid, &me) || peer_of(s, pid) != NULL)
        return;
    peer_t *grown = realloc(s->peers, (s->n_peers + 1) * sizeof(*grown));
    if (grown == NULL)
        return;
    s->peers = grown;
    s->peers[s->n_peers++] = (peer_t){kv__store__pid(*pid), false};
    cp_watch(self, pid, PEER_PROBE_NS, peer_changed, NULL, NULL, NULL);
}

static void joined(cp_process_t *self, void *state, const Kv__JoinReply *reply, cp_future_t *f,
                   void *arg)
{
    store_t *s = state;
    if (reply == NULL)
        fprintf(stderr, "kvnode %s: join: %s\n", s->me,
                cp_future_is_failed(f) ? cp_future_failure(f) : "discarded");
}

/* ---- handlers ----------------------------------------------------------- */

static void initialize(cp_process_t *self, void *state)
{
    store_t *s = state;
    cp_upid_t me = cp_process_pid(self);
    cp_upid_format(&me, s->me, sizeof(s->me));
    Kv__JoinRequest join = KV__JOIN_REQUEST__INIT;
    join.node = s->me;
    for (size_t i = 0; i < s->n_seeds; i++) {
        add_peer(self, s, &s->seeds[i]);
        Kv__JoinReply_Future f = kv__store__join(kv__store__pid(s->seeds[i]), &join, NULL, NULL);
        kv__join_reply__future_defer(f, me, joined, NULL, NULL);
        kv__join_reply__future_unref(f);
    }
}

static Kv__PutReply_Future put(cp_process_t *self, void *state, const cp_upid_t *caller,
                               const Kv__PutRequest *request)
{
    store_t *s = state;
    if (request->key == NULL || request->key[0] == '\0')
        return kv__put_reply__future_failed("put: empty key");
    s->puts++;
    uint64_t version = s->clock + 1;
    apply(s, request->key, request->value.data, request->value.len, version, s->me);
    entry_t *e = find(s, request->key);
    for (size_t i = 0; i < s->n_peers; i++)
        if (s->peers[i].up)
            replicate_to(&s->peers[i], e);
    Kv__PutReply *reply = malloc(sizeof(*reply));
    if (reply == NULL)
        return kv__put_reply__future_failed("put: out of memory");
    kv__put_reply__init(reply);
    reply->version = version;
    return kv__put_reply__future_ready(reply, kv__put_reply__free);
}

static Kv__GetReply_Future get(cp_process_t *self, void *state, const cp_upid_t *caller,
                               const Kv__GetRequest *request)
{
    store_t *s = state;
    s->gets++;
    Kv__GetReply *reply = malloc(sizeof(*reply));
    if (reply == NULL)
        return kv__get_reply__future_failed("get: out of memory");
    kv__get_reply__init(reply);
    const entry_t *e = request->key != NULL ? find(s, request->key) : NULL;
    if (e != NULL) {
        reply->found = true;
        reply->version = e->version;
        reply->value.data = malloc(e->len > 0 ? e->len : 1);
        reply->value.len = e->len;
        if (reply->value.data == NULL) {
            free(reply);
            return kv__get_reply__future_failed("get: out of memory");
        }
        memcpy(reply->value.data, e->value, e->len);
    }
    return kv__get_reply__future_ready(reply, kv__get_reply__free);
}

static Kv__JoinReply_Future join(cp_process_t *self, void *state, const cp_upid_t *caller,
                                 const Kv__JoinRequest *request)
{
    store_t *s = state;
    cp_upid_t node;
    if (request->node == NULL || cp_upid_parse(request->node, &node) != 0)
        return kv__join_reply__future_failed("join: not a UPID");
    add_peer(self, s, &node);
    Kv__JoinReply *reply = malloc(sizeof(*reply));
    if (reply == NULL)
        return kv__join_reply__future_failed("join: out of memory");
    kv__join_reply__init(reply);
    reply->keys = s->n_entries;
    return kv__join_reply__future_ready(reply, kv__join_reply__free);
}

static void on_replicate(cp_process_t *self, void *state, const cp_upid_t *from,
                         const Kv__Replicate *msg)
{
    store_t *s = state;
    if (msg->key != NULL && msg->origin != NULL &&
        apply(s, msg->key, msg->value.data, msg->value.len, msg->version, msg->origin))
        s->applied++;
}

static cp_future_t *route_stats(cp_process_t *self, void *state, const cp_http_request_t *req)
{
    store_t *s = state;
    char body[4096];
    size_t n = (size_t)snprintf(body, sizeof(body),
                                "{\"node\": \"%s\", \"keys\": %zu, \"puts\": %llu, "
                                "\"gets\": %llu, \"applied\": %llu, \"peers\": [",
                                s->me, s->n_entries, (unsigned long long)s->puts,
                                (unsigned long long)s->gets, (unsigned long long)s->applied);
    for (size_t i = 0; i < s->n_peers && n < sizeof(body) - 128; i++) {
        char text[CP_UPID_STRLEN];
        cp_upid_format(&s->peers[i].pid.upid, text, sizeof(text));
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"pid\": \"%s\", \"up\": %s}",
                              i ? ", " : "", text, s->peers[i].up ? "true" : "false");
    }
    n += (size_t)snprintf(body + n, sizeof(body) - n, "]}\n");
    return cp_future_ready(cp_http_response_new(200, "application/json", body, n),
                           cp_http_response_free);
}

static const Kv__Store_Handlers handlers = {
    .initialize = initialize,
    .on_replicate = on_replicate,
    .put = put,
    .get = get,
    .join = join,
    .route_stats = route_stats,
};

static void store_free(void *state)
{
    store_t *s = state;
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].key);
        free(s->entries[i].value);
        free(s->entries[i].origin);
    }
    free(s->entries);
    free(s->peers);
    free(s->seeds);
    free(s);
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: kvnode [--ip IP] [--port PORT] [--peer store@ip:port]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    store_t *s = calloc(1, sizeof(*s));
    s->seeds = calloc((size_t)argc, sizeof(cp_upid_t));
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--ip") == 0) {
            setenv("LIBPROCESS_IP", argv[++i], 1);
        } else if (strcmp(argv[i], "--port") == 0) {
            setenv("LIBPROCESS_PORT", argv[++i], 1);
        } else if (strcmp(argv[i], "--peer") == 0) {
            if (cp_upid_parse(argv[++i], &s->seeds[s->n_seeds]) != 0) {
                fprintf(stderr, "kvnode: '%s' is not a UPID (store@ip:port)\n", argv[i]);
                return 2;
            }
            s->n_seeds++;
        } else {
            usage();
        }
    }
    if (getenv("LIBPROCESS_IP") == NULL)
        setenv("LIBPROCESS_IP", "127.0.0.1", 1);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        /* The runtime logged the sentence already, unless its log is off. */
        if (!cp_log_enabled(CP_LOG_ERROR))
            fprintf(stderr, "kvnode: cannot start: %s\n", cp_runtime_start_error());
        return 1;
    }
    Kv__Store_Pid pid;
    rc = kv__store__spawn("store", &handlers, s, store_free, &pid);
    if (rc != 0) {
        fprintf(stderr, "kvnode: cannot spawn: %s\n", cp_strerror(rc));
        store_free(s);
        cp_runtime_stop();
        return 1;
    }
    char text[CP_UPID_STRLEN];
    cp_upid_format(&pid.upid, text, sizeof(text));
    printf("%s\n", text);
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    cp_runtime_stop();
    return 0;
}
