/* Internal: call replies kept until the caller's node answers them, and
 * sent again when the connection that carried them breaks first.
 *
 * A call's reply (a message with a Cproc-Reply header, docs/wire.md) goes
 * out on this node's own connection to the caller's node. A node answers
 * every message it reads with an HTTP status, in order (server.c: 202 when
 * delivered, 404, 503, 400, 413...). So the n-th answer read on an outbound
 * connection says that the n-th message written on it was read: a reply
 * is kept (a copy of its encoded bytes) until its answer arrives. When the
 * connection breaks or is replaced before that, the kept replies go out
 * again, first, on the next connection to that node; the caller's node
 * ignores a reply whose call is no longer pending, so a duplicate is
 * harmless. Ordinary messages are not kept: they are lost with their
 * connection, as in libprocess.
 *
 * Bounds: at most CPROC_REPLY_RESEND_BYTES of kept replies per peer (the
 * oldest go first; a larger reply is not kept; 0 keeps none), and after
 * CP__RESEND_ROUNDS connections in a row broke with kept replies and not
 * one answer read, the kept replies are dropped (one rate-limited
 * warning). A peer that never answers (a libprocess node never gets
 * Cproc-Reply) keeps at most the byte bound until it is forgotten.
 *
 * Numbering: every message queued for a peer takes the next number of the
 * peer's sequence (seq_next). Messages leave in that order, so a
 * connection's first message number plus its answers count is the number
 * of the first message it has not had answered.
 *
 * Threads: the peer's cp__resend_t is guarded by cp__transport.mu; the
 * answer counter (cp__answers_t) belongs to the loop thread.
 */
#ifndef CPROC_TRANSPORT_RESEND_H
#define CPROC_TRANSPORT_RESEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llhttp.h"
#include "transport/buf.h"

/* Connections that may break in a row, with kept replies and no answer
 * read, before those replies are dropped. */
#define CP__RESEND_ROUNDS 3

/* Default of CPROC_REPLY_RESEND_BYTES. */
#define CP__RESEND_DEFAULT_BYTES ((size_t)1024 * 1024)

typedef struct cp__kept cp__kept_t;

/* A peer's kept replies, oldest first. Guarded by cp__transport.mu. */
typedef struct cp__resend {
    cp__kept_t *head, *tail;
    size_t bytes;      /* kept, counting a fixed overhead per reply */
    uint64_t seq_next; /* number of the next message queued for the peer */
    unsigned rounds;   /* connections broken in a row with no answer */
} cp__resend_t;

/* Counts the HTTP answers read on one outbound connection. Loop thread. */
typedef struct cp__answers {
    llhttp_t parser;
    uint64_t first;    /* number of the first message written on it */
    uint64_t handed;   /* messages handed to it so far */
    uint64_t answered; /* answers read */
    bool started;      /* first is set */
    bool broken;       /* unparsable answers: stop counting */
} cp__answers_t;

/* Prepares a connection's counter. */
void cp__answers_init(cp__answers_t *a);

/* Notes that `msgs` more messages were handed to the connection, the
 * first of them numbered `first` (ignored after the first call). */
void cp__answers_handed(cp__answers_t *a, uint64_t first, size_t msgs);

/* Parses bytes the peer sent back; returns true when answers were read,
 * and then *upto is the number of the first message not answered. */
bool cp__answers_read(cp__answers_t *a, const char *data, size_t len, uint64_t *upto);

/* True when a message with these extra header lines is a call reply. */
bool cp__resend_is_reply(const char *headers, size_t hlen);

/* A copy of a reply's encoded bytes to keep, made before taking the
 * mutex; NULL when it is over the bound (or memory ran out): then it is
 * not kept. Any thread. */
cp__kept_t *cp__resend_copy(const void *data, size_t len);

/* Keeps k (taken) as the message just queued for the peer, numbered
 * r->seq_next - 1; the oldest kept replies go when the bound is passed.
 * Call with cp__transport.mu held. */
void cp__resend_add(cp__resend_t *r, cp__kept_t *k);

/* Frees a copy that was not added. */
void cp__resend_free(cp__kept_t *k);

/* The peer answered every message numbered below `upto`: forgets those
 * replies and starts the round count again. Call with the mutex held. */
void cp__resend_answered(cp__resend_t *r, uint64_t upto);

/* What cp__resend_requeue did. */
typedef struct cp__requeue {
    size_t resent;   /* kept replies now first in the queue */
    size_t again;    /* of those, replies handed to a connection before:
                      * they are written (and counted) a second time */
    size_t dropped;  /* messages queued and never written, dropped now */
    size_t given_up; /* kept replies dropped: the rounds ran out */
} cp__requeue_t;

/* The peer's connection is gone. `*pending` holds the peer's
 * `*pending_msgs` messages not yet handed to any connection (the last
 * numbers). With `lost`, those are dropped, except kept replies, and the
 * round count goes up; else (the connection was replaced on purpose) they
 * stay, after the replies that were written and not answered. Rebuilds
 * *pending with the replies to send again first, renumbered, and sets
 * *pending_msgs; when the rounds ran out, drops every kept reply instead.
 * On CP_ENOMEM nothing is sent again either. Call with the mutex held. */
cp__requeue_t cp__resend_requeue(cp__resend_t *r, cp__buf_t *pending, size_t *pending_msgs,
                                 bool lost);

/* Frees every kept reply. Call with the mutex held (or alone). */
void cp__resend_clear(cp__resend_t *r);

#endif
