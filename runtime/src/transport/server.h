/* Internal: inbound connections as seen by HTTP endpoint code.
 *
 * Each HTTP request that is not a message gets a slot in its connection's
 * answer queue; the answer is written when every earlier slot is done, so
 * pipelined requests are answered in order. Loop thread only.
 */
#ifndef CPROC_TRANSPORT_SERVER_H
#define CPROC_TRANSPORT_SERVER_H

#include <stdbool.h>

#include "transport/buf.h"
#include "transport/http_decoder.h"

typedef struct cp__inconn cp__inconn_t;

typedef struct cp__http_slot {
    struct cp__http_slot *next;
    cp__inconn_t *conn; /* NULL once the connection closed */
    cp__buf_t bytes;    /* the encoded answer */
    bool ready;
    bool close; /* close the connection after this answer */
} cp__http_slot_t;

/* Appends a slot at the end of c's queue; NULL when out of memory. */
cp__http_slot_t *cp__http_slot_new(cp__inconn_t *c);

/* Marks the slot answered (s->bytes holds the response) and writes every
 * answer now in order. Frees the slot; when the connection is gone the
 * answer is dropped. */
void cp__http_slot_complete(cp__http_slot_t *s);

/* Frees a slot without answering (the connection is gone). */
void cp__http_slot_free(cp__http_slot_t *s);

/* Serves an HTTP request that is not a message: built-ins or a process's
 * route. Must complete `s` (now or later, on the loop thread). The request
 * is borrowed for the call. Implemented in endpoints.c. */
void cp__http_serve(cp__http_slot_t *s, cp__http_request_t *req);

#endif
