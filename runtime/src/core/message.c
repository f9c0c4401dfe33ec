/* Named messages: install, send, delivery from the network, handling. */
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/error.h"
#include "core/transport_ops.h"

int cp_process_install(cp_process_t *self, const char *name, cp_message_handler handler,
                       void *arg, cp_free_fn arg_free)
{
    if (self == NULL || name == NULL || *name == '\0' || handler == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_EINVAL;
    }
    size_t len = strlen(name);
    for (cp__handler_t *h = self->handlers; h; h = h->next) {
        if (h->name_len == len && memcmp(h->name, name, len) == 0) {
            if (h->arg_free)
                h->arg_free(h->arg);
            h->fn = handler;
            h->arg = arg;
            h->arg_free = arg_free;
            return 0;
        }
    }
    cp__handler_t *h = malloc(sizeof *h + len + 1);
    if (h == NULL) {
        if (arg_free)
            arg_free(arg);
        return CP_ENOMEM;
    }
    h->fn = handler;
    h->arg = arg;
    h->arg_free = arg_free;
    h->name_len = len;
    memcpy(h->name, name, len + 1);
    h->next = self->handlers;
    self->handlers = h;
    return 0;
}

int cp__process_install_fallback(cp_process_t *self, cp_message_handler handler, void *arg)
{
    cp__handler_t *h = malloc(sizeof *h + 1);
    if (h == NULL)
        return CP_ENOMEM;
    h->fn = handler;
    h->arg = arg;
    h->arg_free = NULL;
    h->name_len = 0; /* matches what no named handler matches */
    h->name[0] = '\0';
    h->next = self->handlers;
    self->handlers = h;
    return 0;
}

void cp__handlers_free(struct cp_process *p)
{
    /* Calls still running in p fail now, while p's id is still its own. */
    cp__rpc_close(p);
    if (p->ext != NULL) {
        if (p->ext->ctx_free)
            p->ext->ctx_free(p->ext->ctx);
        free(p->ext);
        p->ext = NULL;
    }
    while (p->handlers) {
        cp__handler_t *h = p->handlers;
        p->handlers = h->next;
        if (h->arg_free)
            h->arg_free(h->arg);
        free(h);
    }
}

void cp__message_run(struct cp_process *p, cp__event_t *ev)
{
    cp_upid_t from;
    cp__sender_upid(ev->u.m.from, &from);
    if (ev->u.m.call != NULL) {
        /* Call requests go by method, not by name; cancels to the call. */
        cp__rpc_message(p, ev->u.m.call, ev->u.m.name, &from,
                        ev->u.m.len ? ev->u.m.body : NULL, ev->u.m.len);
        if (ev->u.m.body_owned)
            free(ev->u.m.body);
        cp__event_free(ev);
        return;
    }
    cp__handler_t *h = p->handlers, *fallback = NULL;
    while (h && !(h->name_len == ev->u.m.name_len &&
                  memcmp(h->name, ev->u.m.name, h->name_len) == 0)) {
        if (h->name_len == 0)
            fallback = h;
        h = h->next;
    }
    if (h == NULL)
        h = fallback;
    if (h) {
        cp_message_t msg = {.name = ev->u.m.name,
                            .name_len = ev->u.m.name_len,
                            .from = &from,
                            .body = ev->u.m.len ? ev->u.m.body : NULL,
                            .len = ev->u.m.len};
        h->fn(p, &msg, h->arg);
    } else {
        if (p->unhandled != UINT32_MAX)
            p->unhandled++;
        atomic_fetch_add_explicit(&cp__rt.unhandled_total, 1, memory_order_relaxed);
        cp_log(CP_LOG_DEBUG, "%s: dropped message '%s' (no handler)", p->id, ev->u.m.name);
    }
    if (ev->u.m.body_owned)
        free(ev->u.m.body);
    cp__event_free(ev);
}

/* One block: from, name, then the body unless it is owned elsewhere. */
/* Copies an id of len bytes and its NUL in whole 8-byte words: both ends
 * have room for them (a cp_upid_t's id array is 256 bytes, a sender's is
 * padded to 8), and for ids this short a word loop beats the string
 * instructions gcc picks for memcpy of an unknown length. */
static void copy_id(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i += 8)
        memcpy(dst + i, src + i, 8);
    dst[len] = '\0';
}

size_t cp__sender_size(const cp_upid_t *from)
{
    size_t len = from ? strnlen(from->id, CP_UPID_ID_MAX) : 0;
    return (sizeof(cp__sender_t) + len + 1 + 7) & ~(size_t)7;
}

void cp__sender_store(cp__sender_t *s, const cp_upid_t *from)
{
    static const cp_upid_t null_upid = {.id = ""};
    if (from == NULL)
        from = &null_upid;
    size_t len = strnlen(from->id, CP_UPID_ID_MAX);
    s->hint = from->hint;
    s->ip = from->ip;
    s->port = from->port;
    s->id_len = (uint16_t)len;
    copy_id(s->id, from->id, len);
}

void cp__sender_upid(const cp__sender_t *s, cp_upid_t *out)
{
    copy_id(out->id, s->id, s->id_len);
    out->ip = s->ip;
    out->port = s->port;
    out->hint = s->hint;
}

static cp__event_t *make_message(const cp_upid_t *from, const char *name, size_t name_len,
                                 const void *body, size_t len, bool copy_body,
                                 const cp__callmeta_t *meta, const char *to_id, size_t to_len)
{
    if (len > SIZE_MAX / 4 || name_len > SIZE_MAX / 4)
        return NULL;
    /* Call metadata first (aligned), then its method and the receiver's
     * id, so that a request dropped unrun can still be answered. */
    size_t meta_size = 0;
    if (meta != NULL)
        meta_size = (sizeof(cp__callmeta_t) + meta->method_len + 1 + to_len + 1 + 15) & ~(size_t)15;
    size_t from_size = cp__sender_size(from);
    size_t payload = meta_size + from_size + name_len + 1 + (copy_body ? len : 0);
    cp__event_t *ev = cp__event_alloc(payload);
    if (ev == NULL)
        return NULL;
    char *blk = CP__EVENT_PAYLOAD(ev);
    ev->u.m.call = NULL;
    if (meta != NULL) {
        cp__callmeta_t *m = (cp__callmeta_t *)blk;
        *m = *meta;
        char *method = (char *)(m + 1);
        if (meta->method_len)
            memcpy(method, meta->method, meta->method_len);
        method[meta->method_len] = '\0';
        m->method = method;
        char *to = method + meta->method_len + 1;
        memcpy(to, to_id, to_len);
        to[to_len] = '\0';
        m->to_id = to;
        m->to_id_len = to_len;
        ev->u.m.call = m;
        blk += meta_size;
    }
    ev->kind = CP__EV_MESSAGE;
    ev->u.m.from = (cp__sender_t *)blk;
    cp__sender_store(ev->u.m.from, from);
    ev->u.m.name = blk + from_size;
    memcpy(ev->u.m.name, name, name_len);
    ev->u.m.name[name_len] = '\0';
    ev->u.m.name_len = name_len;
    ev->u.m.len = len;
    ev->u.m.body_owned = !copy_body;
    if (copy_body) {
        ev->u.m.body = ev->u.m.name + name_len + 1;
        if (len)
            memcpy(ev->u.m.body, body, len);
    } else {
        ev->u.m.body = (void *)body;
    }
    return ev;
}

int cp_send(const cp_upid_t *from, const cp_upid_t *to, const char *name, const void *body,
            size_t len)
{
    if (to == NULL || name == NULL || *name == '\0' || cp_upid_is_null(to) || (len && !body))
        return CP_EINVAL;
    if (!atomic_load_explicit(&cp__rt.running, memory_order_acquire))
        return CP_ESTATE;
    if (!cp__upid_is_local(to)) {
        /* The wire needs a sender: the node's calls process stands in. */
        cp_upid_t node;
        if ((from == NULL || cp_upid_is_null(from)) && cp__calls_sender(&node) == 0)
            from = &node;
        return cp__rt.transport->send(from ? from : &CP_UPID_NULL, to, name, body, len);
    }
    struct cp_process *p = cp__process_lookup(to);
    if (p == NULL)
        return CP_ENOENT;
    cp__event_t *ev = make_message(from, name, strlen(name), body, len, true, NULL, NULL, 0);
    if (ev == NULL) {
        cp__process_unref(p);
        return CP_ENOMEM;
    }
    int rc = cp__enqueue(p, ev); /* CP_EFULL: a bounded mailbox is full */
    cp__process_unref(p);
    return rc;
}

int cp_process_send(cp_process_t *self, const cp_upid_t *to, const char *name, const void *body,
                    size_t len)
{
    cp_upid_t from;
    cp__process_fill_upid(self, &from);
    return cp_send(&from, to, name, body, len);
}

uint64_t cp_message_unhandled_total(void)
{
    return atomic_load_explicit(&cp__rt.unhandled_total, memory_order_relaxed);
}

int cp__deliver_message(const char *to_id, size_t id_len, const char *name, size_t name_len,
                        const cp_upid_t *from, void *body, size_t len)
{
    return cp__deliver_call(to_id, id_len, name, name_len, from, body, len, NULL);
}

static int deliver(const char *to_id, size_t id_len, const char *name, size_t name_len,
                   const cp_upid_t *from, void *body, size_t len, const cp__callmeta_t *meta,
                   bool from_network);

int cp__deliver_call(const char *to_id, size_t id_len, const char *name, size_t name_len,
                     const cp_upid_t *from, void *body, size_t len, const cp__callmeta_t *meta)
{
    return deliver(to_id, id_len, name, name_len, from, body, len, meta, true);
}

int cp__deliver_call_local(const char *to_id, size_t id_len, const char *name, size_t name_len,
                           const cp_upid_t *from, void *body, size_t len,
                           const cp__callmeta_t *meta)
{
    return deliver(to_id, id_len, name, name_len, from, body, len, meta, false);
}

static int deliver(const char *to_id, size_t id_len, const char *name, size_t name_len,
                   const cp_upid_t *from, void *body, size_t len, const cp__callmeta_t *meta,
                   bool from_network)
{
    if (meta != NULL && meta->kind == CP__CALL_REPLY) {
        /* Replies complete their call here: no process runs them. */
        cp__call_on_reply(meta, from, body, len);
        free(body);
        return 0;
    }
    struct cp_process *p = cp__process_lookup_id(to_id, id_len);
    if (p == NULL) {
        if (meta != NULL && meta->kind == CP__CALL_REQUEST)
            cp__rpc_refuse(meta, from, to_id, id_len, CP__REFUSE_MISSING);
        free(body);
        return CP_ENOENT;
    }
    cp__event_t *ev = make_message(from, name, name_len, body, len, false, meta, to_id, id_len);
    if (ev == NULL) {
        cp__process_unref(p);
        free(body);
        return CP_ENOMEM;
    }
    if (from_network)
        cp__inbound_count(ev); /* uncounted when the event is freed */
    int rc = cp__enqueue(p, ev); /* CP_EFULL: a bounded mailbox is full */
    cp__process_unref(p);
    return rc;
}
