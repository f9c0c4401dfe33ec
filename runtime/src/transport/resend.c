/* Call replies kept until answered, and sent again after a break
 * (resend.h says why and how). */
#include "transport/resend.h"

#include <stdlib.h>
#include <string.h>

#include "transport/limits.h"

struct cp__kept {
    cp__kept_t *next;
    uint64_t seq;
    size_t len;
    char data[];
};

/* Counted per kept reply on top of its bytes, so many small replies are
 * bounded too. */
#define KEPT_OVERHEAD 64u

static size_t kept_size(size_t len)
{
    return len + KEPT_OVERHEAD;
}

/* ---- answers ------------------------------------------------------------ */

static int on_answer(llhttp_t *parser)
{
    cp__answers_t *a = parser->data;
    a->answered++;
    return 0;
}

/* Every other callback is NULL, as llhttp_settings_init() leaves them. */
static const llhttp_settings_t answer_settings = {.on_message_complete = on_answer};

void cp__answers_init(cp__answers_t *a)
{
    memset(a, 0, sizeof *a);
    llhttp_init(&a->parser, HTTP_RESPONSE, &answer_settings);
    a->parser.data = a;
}

void cp__answers_handed(cp__answers_t *a, uint64_t first, size_t msgs)
{
    if (!a->started) {
        a->first = first;
        a->started = true;
    }
    a->handed += msgs;
}

bool cp__answers_read(cp__answers_t *a, const char *data, size_t len, uint64_t *upto)
{
    if (a->broken || !a->started)
        return false;
    uint64_t before = a->answered;
    if (llhttp_execute(&a->parser, data, len) != HPE_OK)
        a->broken = true; /* not HTTP answers we can count: keep what is kept */
    if (a->answered == before)
        return false;
    /* A peer cannot answer more than it was sent. */
    uint64_t n = a->answered < a->handed ? a->answered : a->handed;
    *upto = a->first + n;
    return true;
}

/* ---- kept replies --------------------------------------------------------- */

bool cp__resend_is_reply(const char *headers, size_t hlen)
{
    return headers && hlen >= 12 && memmem(headers, hlen, "Cproc-Reply:", 12) != NULL;
}

static void drop_head(cp__resend_t *r)
{
    cp__kept_t *k = r->head;
    r->head = k->next;
    if (!r->head)
        r->tail = NULL;
    r->bytes -= kept_size(k->len);
    free(k);
}

cp__kept_t *cp__resend_copy(const void *data, size_t len)
{
    if (kept_size(len) > cp__limits.resend_bytes)
        return NULL;
    cp__kept_t *k = malloc(sizeof *k + len);
    if (!k)
        return NULL;
    k->next = NULL;
    k->seq = 0;
    k->len = len;
    memcpy(k->data, data, len);
    return k;
}

void cp__resend_free(cp__kept_t *k)
{
    free(k);
}

void cp__resend_add(cp__resend_t *r, cp__kept_t *k)
{
    k->seq = r->seq_next - 1;
    if (r->tail)
        r->tail->next = k;
    else
        r->head = k;
    r->tail = k;
    r->bytes += kept_size(k->len);
    while (r->bytes > cp__limits.resend_bytes)
        drop_head(r);
}

void cp__resend_answered(cp__resend_t *r, uint64_t upto)
{
    r->rounds = 0;
    while (r->head && r->head->seq < upto)
        drop_head(r);
}

void cp__resend_clear(cp__resend_t *r)
{
    while (r->head)
        drop_head(r);
    r->rounds = 0;
}

cp__requeue_t cp__resend_requeue(cp__resend_t *r, cp__buf_t *pending, size_t *pending_msgs,
                                 bool lost)
{
    cp__requeue_t out = {0, 0, 0, 0};
    /* Messages numbered from `base` on were never handed to a connection. */
    uint64_t base = r->seq_next - *pending_msgs;
    size_t written = 0, unsent = 0, bytes = 0;
    for (cp__kept_t *k = r->head; k; k = k->next) {
        if (k->seq < base)
            written++;
        else
            unsent++;
        bytes += k->len;
    }
    bool give_up = lost && r->head && ++r->rounds > CP__RESEND_ROUNDS;
    cp__buf_t next;
    cp__buf_init(&next);
    size_t need = lost ? bytes : bytes + pending->len;
    if (r->head && !give_up && (lost || written) && cp__buf_reserve(&next, need ? need : 1))
        give_up = true; /* no memory to rebuild the queue */
    if (give_up) {
        /* The written ones were counted as sent (or dropped) already; the
         * others are in the queue, dropped with it when it was lost. */
        out.given_up = written + unsent;
        cp__resend_clear(r);
        written = unsent = 0;
    }
    if (!r->head || (!lost && written == 0)) {
        /* Nothing to send again ahead of what is queued. */
        if (lost) {
            out.dropped += *pending_msgs;
            cp__buf_close(pending);
            *pending_msgs = 0;
        }
        cp__buf_close(&next);
        return out;
    }
    /* New numbers from seq_next on: the replies written before, then (lost)
     * the kept replies never written, or (not lost) the whole queue with
     * its kept replies at their old offsets. */
    uint64_t start = r->seq_next;
    uint64_t i = 0;
    for (cp__kept_t *k = r->head; k; k = k->next) {
        if (k->seq >= base && !lost)
            continue;
        cp__buf_append(&next, k->data, k->len); /* reserved: cannot fail */
        k->seq = start + i++;
    }
    size_t msgs;
    if (lost) {
        msgs = written + unsent;
        out.dropped = *pending_msgs - unsent;
    } else {
        for (cp__kept_t *k = r->head; k; k = k->next)
            if (k->seq >= base && k->seq < start)
                k->seq = start + written + (k->seq - base);
        cp__buf_append(&next, pending->data, pending->len);
        msgs = written + *pending_msgs;
    }
    out.resent = lost ? written + unsent : written;
    out.again = written;
    cp__buf_close(pending);
    *pending = next;
    *pending_msgs = msgs;
    r->seq_next = start + msgs;
    return out;
}
