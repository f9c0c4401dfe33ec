/* Internal: the runtime core's shared structures. Only runtime/src/core/
 * includes this. */
#ifndef CPROC_CORE_INTERNAL_H
#define CPROC_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cproc/dispatch.h"
#include "cproc/filter.h"
#include "cproc/future.h"
#include "cproc/log.h"
#include "cproc/message.h"
#include "cproc/pid.h"
#include "cproc/process.h"

enum cp__event_kind {
    CP__EV_DISPATCH = 1,
    CP__EV_DISPATCH_FUTURE,
    CP__EV_MESSAGE,
    CP__EV_EXITED,
    CP__EV_TERMINATE,
    CP__EV_STUB,
};

/* One queued event. Payload follows the header; dispatch argument blocks
 * and message names/bodies live in the same allocation. */
/* A message's sender as its event carries it: the UPID without the unused
 * tail of its id array (a cp_upid_t is 272 bytes, an id mostly about 20),
 * so that a small message fits the 128-byte event class. */
typedef struct cp__sender {
    uint64_t hint;
    uint32_t ip;
    uint16_t port;
    uint16_t id_len;
    char id[]; /* id_len bytes and a NUL */
} cp__sender_t;

/* Bytes cp__sender_store() writes for `from` (NULL: the null UPID). */
size_t cp__sender_size(const cp_upid_t *from);
void cp__sender_store(cp__sender_t *s, const cp_upid_t *from);
/* The sender as a UPID. Only the id's bytes up to its NUL are written. */
void cp__sender_upid(const cp__sender_t *s, cp_upid_t *out);

typedef struct cp__event {
    uint8_t kind;
    uint8_t size_class; /* allocation class, see event.c */
    uint8_t net;        /* a message from the network, counted (inbound.c) */
    bool from_worker;   /* queued by a worker thread (sched.c: lingering) */
    uint8_t pad;        /* bytes before the block in its malloc chunk (event.c) */
    union {
        struct {
            cp_dispatch_fn fn;
            cp_dispatch_future_fn future_fn;
            cp_args_free_fn args_free;
            cp_promise_t *promise;
            size_t size;
        } d;
        struct {
            char *name; /* points into the block */
            size_t name_len;
            void *body; /* into the block, or owned malloc (body_owned) */
            size_t len;
            bool body_owned;
            cp__sender_t *from; /* into the block */
            /* Call metadata (core/call.h), NULL for a plain message: into
             * the block, with its method and the receiver's id. */
            struct cp__callmeta *call;
        } m;
        struct {
            cp_upid_t *pid; /* into the block */
        } x;
    } u;
    /* max_align_t-aligned payload follows */
} cp__event_t;

#define CP__EVENT_PAYLOAD(ev) ((void *)((char *)(ev) + cp__event_header_size()))
size_t cp__event_header_size(void);
cp__event_t *cp__event_alloc(size_t payload);
void cp__event_free(cp__event_t *ev);
/* Drops an event without running it: frees args, abandons promises. */
void cp__event_drop(cp__event_t *ev);
void cp__event_cache_flush(void);
/* Zeroed 512-byte blocks (mailbox segments) from magazines of their own:
 * whoever frees one gives it back zeroed, except where the caller says
 * otherwise (mailbox_queue.c rewrites its two header words). */
void *cp__zblock_alloc(void);
void cp__zblock_free(void *b);
/* Inbound backpressure (inbound.c): counts a message event delivered from
 * the network; cp__event_free uncounts it (any thread). */
void cp__inbound_count(cp__event_t *ev);
void cp__inbound_release(cp__event_t *ev);
/* cp__deliver_call() for a call between local processes: the same, but
 * not counted as inbound from the network. */
struct cp__callmeta;
int cp__deliver_call_local(const char *to_id, size_t id_len, const char *name, size_t name_len,
                           const cp_upid_t *from, void *body, size_t len,
                           const struct cp__callmeta *meta);
/* Frees the shared pool of event blocks (runtime stop). */
void cp__event_pool_free(void);

typedef struct cp__handler {
    struct cp__handler *next;
    cp_message_handler fn;
    void *arg;
    cp_free_fn arg_free;
    size_t name_len;
    char name[];
} cp__handler_t;

typedef struct cp__link {
    struct cp__link *next;
    cp_upid_t pid;
} cp__link_t;

/* What few processes need, kept out of struct cp_process to keep it at
 * two cache lines (core/rpc.c, cp_process_spawn_ctx()). Inside the
 * process only, freed when it ends (cp__handlers_free). */
struct cp__process_ext {
    struct cp__rpc_server *rpc;
    void *ctx;
    cp_free_fn ctx_free;
};

struct cp_process {
    /* First cache line: what senders touch (the mailbox's tail word,
     * which they add to; the scheduled flag; the lookup fields), what is
     * written once, and what is rarely touched by anyone. The thread
     * inside reads and writes only the second line while it runs events,
     * so a worker draining a mailbox never takes the line a sender on
     * another core is about to write (it touches the first line once per
     * turn, at its end). Processes come from 128-byte-aligned slabs
     * (process.c). */
    _Atomic uint64_t qtail; /* mailbox_queue.h: tail segment and claims */
    _Atomic uint32_t sched; /* 1 while queued on a run queue or running */
    _Atomic uint32_t refs;  /* 0: free slot memory (type-stable) */
    _Atomic uint32_t gen;
    uint32_t slot;
    char *id;
    uint32_t id_len;
    bool bounded; /* has a mailbox bound (mb below); set before publication */
    atomic_flag links_lock;
    bool links_closed;
    /* Bounded mailbox (mailbox.c), NULL when unbounded. */
    struct cp__mb *mb;
    struct cp_process *_Atomic runq_next; /* on the injection queue */
    cp__link_t *linkers;          /* processes to tell when this one ends */
    /* Second cache line: the consumer end of the mailbox (the segment and
     * slot it reads next; written by the thread inside only) and what the
     * thread inside uses for every event. */
    _Alignas(64) struct cp__mseg *_Atomic qhead;
    const cp_process_ops_t *ops;
    void *data;
    cp__handler_t *handlers;
    /* rpc handlers and calls in progress, and cp_process_spawn_ctx()'s
     * ctx: allocated only for processes that use them */
    struct cp__process_ext *ext;
    /* Events run so far; written by the thread inside, read by metrics. */
    _Atomic uint64_t events;
    /* Messages dropped for want of a handler (saturates at UINT32_MAX). */
    uint32_t unhandled;
    _Atomic uint32_t qidx;
    _Atomic uint8_t pstate;
    _Atomic bool inject; /* terminate ahead of the queue */
    bool initialized;
    bool dead;
    bool bounded_in; /* `bounded`, for the thread inside: its own line */
    /* Turns may run on the event-loop thread (loop_turns.c) when not 0:
     * 1 + the number of slow loop turns in a row. Written by the thread
     * inside, read by whoever claims `sched`. */
    uint8_t loop_turns;
    /* Not 0 while the process lingers on a worker after a turn that
     * emptied its mailbox (sched.c): 1 + the empty looks at it since. */
    uint8_t linger;
};

/* Two cache lines: an idle process's share of memory (issue 9's 256-byte
 * budget) and the sender/consumer split above depend on it. */
_Static_assert(sizeof(struct cp_process) == 128, "struct cp_process must stay two cache lines");


/* ---- runtime context ------------------------------------------------ */

struct cp__post {
    struct cp__post *next;
    void (*fn)(void *);
    void *arg;
};

typedef struct cp__timer_entry {
    uint64_t deadline;
    uint64_t id;
    void (*fn)(void *);
    void *arg;
    void (*arg_free)(void *);
} cp__timer_entry_t;

/* The hash sits next to the pointer so probing touches no process. */
struct cp__map_entry {
    uint64_t hash;
    struct cp_process *p;
};

typedef struct cp__filter_entry {
    struct cp__filter_entry *next;
    uint64_t id;
    cp_filter_fn fn;
    void *arg;
} cp__filter_entry_t;

#define CP__CHUNK_BITS 12
#define CP__CHUNK_SIZE (1u << CP__CHUNK_BITS)
#define CP__MAX_CHUNKS 1024

typedef struct cp__runtime {
    _Atomic bool running;
    _Atomic bool stopping;
    pthread_mutex_t life_mu; /* start/stop */
    unsigned num_workers;
    uint64_t loop_poll_ns; /* CPROC_LOOP_POLL_US, see loop_turns.c */
    pthread_t *workers;
    pthread_t loop_thread;
    uint32_t ip;
    uint16_t port;
    _Atomic int log_level;
    /* The transport, called only through this table (transport_ops.h).
     * Set before the loop starts, never cleared. */
    const struct cp__transport_ops *transport;
    bool transport_quiesced; /* loop thread */

    /* run queues: sched.c keeps them. This counts resumes for settle; every
     * worker writes it once per turn, so it has a cache line of its own
     * (the fields around it are read by every send). */
    _Alignas(64) _Atomic uint64_t resumes;

    /* process table: chunks of slots, a free-slot stack and an id map */
    _Alignas(64) pthread_mutex_t tab_mu;
    /* read by every lookup: apart from the lock, written by every spawn */
    _Alignas(64) struct cp_process *_Atomic *_Atomic chunks[CP__MAX_CHUNKS];
    struct cp_process **pool; /* type-stable process structs, free ones */
    size_t pool_len, pool_cap;
    struct cp_process **all; /* every struct ever made, for the final free */
    size_t all_len, all_cap;
    uint32_t *free_slots;
    size_t free_len, free_cap;
    uint32_t next_slot;
    struct cp__map_entry *map; /* open addressing by id hash, NULL/TOMBSTONE */
    size_t map_cap, map_used, map_live;
    _Atomic uint64_t next_id;
    size_t live;
    pthread_cond_t term_cv; /* broadcast when a process ends */
    _Atomic unsigned waiters;

    /* event loop */
    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t uvtimer;
    pthread_mutex_t post_mu;
    struct cp__post *post_head, *post_tail;
    _Atomic uint64_t loop_pending; /* posts not yet finished */
    bool loop_stop;
    bool loop_shut;

    /* clock and timers */
    pthread_mutex_t clock_mu;
    _Atomic bool paused;
    _Atomic uint64_t paused_at;
    _Atomic int64_t offset;
    cp__timer_entry_t *heap;
    size_t heap_len, heap_cap;
    uint64_t next_timer_id;

    /* filters */
    pthread_rwlock_t filter_mu;
    _Atomic unsigned nfilters;
    cp__filter_entry_t *filters;
    uint64_t next_filter_id;

    /* remote links: linker pid + remote pid */
    pthread_mutex_t rlink_mu;
    struct cp__rlink *rlinks;

    _Atomic uint64_t unhandled_total;

    /* guards event.c's depot of magazines of free event blocks */
    pthread_mutex_t ev_mu;

    /* testing.c state */
    pthread_mutex_t test_mu;
    struct cp__expect *expects;
    uint64_t test_filter_id;
} cp__runtime_t;

extern cp__runtime_t cp__rt;

/* The process the current thread runs inside (NULL elsewhere). */
/* Small thread-locals of the library use the initial-exec model: a plain
 * %fs access instead of a __tls_get_addr call (they fit the static TLS
 * space glibc keeps for libraries loaded later). */
#define CP__TLS_IE __attribute__((tls_model("initial-exec")))

extern _Thread_local struct cp_process *cp__current CP__TLS_IE;
extern _Thread_local bool cp__is_worker CP__TLS_IE;

/* ---- process table (process.c) --------------------------------------- */
int cp__table_init(void);
void cp__table_free(void);
/* Finds a local process and takes a reference; NULL when none. */
struct cp_process *cp__process_lookup(const cp_upid_t *pid);
struct cp_process *cp__process_lookup_id(const char *id, size_t len);
void cp__process_unref(struct cp_process *p);
bool cp__upid_is_local(const cp_upid_t *pid);
void cp__process_fill_upid(const struct cp_process *p, cp_upid_t *out);
/* Removes p from the table after finalize; wakes waiters. */
void cp__process_retire(struct cp_process *p);
/* Terminates every process and waits for them (runtime stop). */
/* Asks every live process to terminate ahead of its queue (the event it
 * is running finishes; nothing more of its mailbox runs) without waiting:
 * the first step of cp_runtime_stop(). */
void cp__process_terminate_all_ahead(void);
void cp__process_terminate_all(void);

/* ---- scheduling (sched.c) -------------------------------------------- */
/* Queues ev on p (takes ownership of ev). Runs filters first unless
 * `filtered` is already done. Returns 0 (queued or dropped by a filter). */
/* Queues ev for p. Returns 0 (also when a filter dropped it), or
 * CP_EFULL when p's bounded mailbox refused it (ev dropped). */
int cp__enqueue(struct cp_process *p, cp__event_t *ev);
/* Bounded mailboxes (mailbox.c). */
void cp__mailbox_init(struct cp_process *p);
void cp__mailbox_fini(struct cp_process *p);
int cp__mailbox_admit(struct cp_process *p, cp__event_t *ev);
/* Takes back an admission whose event could not be queued after all. */
void cp__mailbox_unadmit(struct cp_process *p, const cp__event_t *ev);
bool cp__mailbox_skip(struct cp_process *p, cp__event_t *ev);
void cp__schedule(struct cp_process *p);
/* sched.c for loop_turns.c: queue p (claimed: sched 1) for a worker; run
 * one turn of p here, begun at CLOCK_MONOTONIC `start` (at most max
 * events, until `until`; slow turns longer than slow_ns in a row turn p's
 * loop turns off), then hand it to a worker if it has events left, and
 * return the clock at the turn's end; the clock they use. */
void cp__sched_inject(struct cp_process *p);
uint64_t cp__sched_loop_turn(struct cp_process *p, int max, uint64_t start, uint64_t until,
                             uint64_t slow_ns);
uint64_t cp__sched_now_ns(void);
/* loop_turns.c: takes p (claimed) to run on the event-loop thread when
 * called there while loop turns run; false otherwise. Start and stop run
 * on the loop thread; stop hands what is waiting to the workers. */
bool cp__loop_turns_take(struct cp_process *p);
#define CP__LOOP_POLL_US_DEFAULT 100u
/* Loop turns run, and processes whose loop turns slow turns ended (sched.c
 * counts those); for the metrics. Any thread. */
void cp__loop_turns_counts(uint64_t *run, uint64_t *revoked);
void cp__loop_turns_revoked(void);
int cp__loop_turns_start(uv_loop_t *loop);
void cp__loop_turns_stop(void);
int cp__sched_start(unsigned n);
void cp__sched_stop(void);
/* Worker utilisation (sched.c): each worker's time spent running
 * processes (busy_ns[i], at most max workers), the monotonic clock now and
 * at the scheduler's start. Returns the number of workers. Call while the
 * runtime runs (the loop thread). */
unsigned cp__sched_busy(uint64_t *busy_ns, unsigned max, uint64_t *now_ns, uint64_t *start_ns);
bool cp__mailbox_nonempty(struct cp_process *p);
/* Runs filters on ev bound for `to`; true when it must be dropped. */
bool cp__filter_drop(const cp_upid_t *to, const cp__event_t *ev);

/* ---- messages / links ------------------------------------------------- */
void cp__message_run(struct cp_process *p, cp__event_t *ev);
void cp__handlers_free(struct cp_process *p);
/* Installs a handler for messages no named handler takes (the calls
 * process's: libprocess replies come by type name). Inside self. */
int cp__process_install_fallback(cp_process_t *self, cp_message_handler handler, void *arg);
void cp__links_notify(struct cp_process *p);
void cp__rlinks_free(void);
int cp__send_exited(const cp_upid_t *to, const cp_upid_t *exited);

/* ---- clock (clock.c) -------------------------------------------------- */
int cp__clock_init(bool paused);
void cp__clock_loop_init(void);
void cp__timers_free(void);
bool cp__timers_due(void);

/* ---- testing / filters ------------------------------------------------ */
void cp__filters_free(void);
void cp__testing_reset(void);

uint64_t cp__mono_ns(void);

#endif
