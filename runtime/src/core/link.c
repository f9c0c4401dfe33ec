/* Links: exited events when a linked process (or its node) goes away. */
#include <stdlib.h>
#include <string.h>

#include "core/call.h"
#include "core/core_internal.h"
#include "core/node.h"
#include "cproc/error.h"
#include "core/transport_ops.h"

/* A link from a local process to a process on another node. */
struct cp__rlink {
    struct cp__rlink *next;
    cp_upid_t linker;
    cp_upid_t to;
};

static void links_lock(struct cp_process *p)
{
    while (atomic_flag_test_and_set_explicit(&p->links_lock, memory_order_acquire))
        ;
}

static void links_unlock(struct cp_process *p)
{
    atomic_flag_clear_explicit(&p->links_lock, memory_order_release);
}

int cp__send_exited(const cp_upid_t *to, const cp_upid_t *exited)
{
    struct cp_process *p = cp__process_lookup(to);
    if (p == NULL)
        return CP_ENOENT;
    cp__event_t *ev = cp__event_alloc(sizeof(cp_upid_t));
    if (ev == NULL) {
        cp__process_unref(p);
        return CP_ENOMEM;
    }
    ev->kind = CP__EV_EXITED;
    ev->u.x.pid = CP__EVENT_PAYLOAD(ev);
    *ev->u.x.pid = *exited;
    cp__enqueue(p, ev);
    cp__process_unref(p);
    return 0;
}

static int link_remote(cp_process_t *self, const cp_upid_t *to)
{
    cp_upid_t me;
    cp__process_fill_upid(self, &me);
    pthread_mutex_lock(&cp__rt.rlink_mu);
    for (struct cp__rlink *l = cp__rt.rlinks; l; l = l->next) {
        if (cp_upid_equal(&l->linker, &me) && cp_upid_equal(&l->to, to)) {
            pthread_mutex_unlock(&cp__rt.rlink_mu);
            return 0;
        }
    }
    struct cp__rlink *l = malloc(sizeof *l);
    if (l == NULL) {
        pthread_mutex_unlock(&cp__rt.rlink_mu);
        return CP_ENOMEM;
    }
    l->linker = me;
    l->to = *to;
    l->next = cp__rt.rlinks;
    cp__rt.rlinks = l;
    pthread_mutex_unlock(&cp__rt.rlink_mu);
    if (cp__rt.transport->link(to, 0) != 0) {
        /* Unreachable node: as libprocess, the link breaks at once. */
        cp__node_lost(to->ip, to->port);
    }
    return 0;
}

int cp_process_link(cp_process_t *self, const cp_upid_t *to)
{
    if (self == NULL || to == NULL || cp_upid_is_null(to))
        return CP_EINVAL;
    if (!cp__upid_is_local(to))
        return link_remote(self, to);
    cp_upid_t me;
    cp__process_fill_upid(self, &me);
    struct cp_process *p = cp__process_lookup(to);
    if (p == NULL)
        return cp__send_exited(&me, to) == CP_ENOMEM ? CP_ENOMEM : 0;
    links_lock(p);
    bool closed = p->links_closed;
    int rc = 0;
    if (!closed) {
        cp__link_t *l = p->linkers;
        while (l && strcmp(l->pid.id, me.id) != 0)
            l = l->next;
        if (l == NULL) {
            l = malloc(sizeof *l);
            if (l == NULL) {
                rc = CP_ENOMEM;
            } else {
                l->pid = me;
                l->next = p->linkers;
                p->linkers = l;
            }
        }
    }
    links_unlock(p);
    cp__process_unref(p);
    if (closed)
        return cp__send_exited(&me, to) == CP_ENOMEM ? CP_ENOMEM : 0;
    return rc;
}

void cp_process_unlink(cp_process_t *self, const cp_upid_t *to)
{
    if (self == NULL || to == NULL)
        return;
    cp_upid_t me;
    cp__process_fill_upid(self, &me);
    if (!cp__upid_is_local(to)) {
        pthread_mutex_lock(&cp__rt.rlink_mu);
        for (struct cp__rlink **l = &cp__rt.rlinks; *l;) {
            if (cp_upid_equal(&(*l)->linker, &me) && cp_upid_equal(&(*l)->to, to)) {
                struct cp__rlink *dead = *l;
                *l = dead->next;
                free(dead);
            } else {
                l = &(*l)->next;
            }
        }
        pthread_mutex_unlock(&cp__rt.rlink_mu);
        return;
    }
    struct cp_process *p = cp__process_lookup(to);
    if (p == NULL)
        return;
    links_lock(p);
    for (cp__link_t **l = &p->linkers; *l;) {
        if (strcmp((*l)->pid.id, me.id) == 0) {
            cp__link_t *dead = *l;
            *l = dead->next;
            free(dead);
        } else {
            l = &(*l)->next;
        }
    }
    links_unlock(p);
    cp__process_unref(p);
}

void cp__links_notify(struct cp_process *p)
{
    links_lock(p);
    p->links_closed = true;
    cp__link_t *list = p->linkers;
    p->linkers = NULL;
    links_unlock(p);
    if (list == NULL)
        return;
    cp_upid_t me;
    cp__process_fill_upid(p, &me);
    while (list) {
        cp__link_t *next = list->next;
        cp__send_exited(&list->pid, &me);
        free(list);
        list = next;
    }
}

void cp__node_lost(uint32_t ip, uint16_t port)
{
    cp__calls_node_lost(ip, port);
    struct cp__rlink *lost = NULL;
    pthread_mutex_lock(&cp__rt.rlink_mu);
    for (struct cp__rlink **l = &cp__rt.rlinks; *l;) {
        if ((*l)->to.ip == ip && (*l)->to.port == port) {
            struct cp__rlink *x = *l;
            *l = x->next;
            x->next = lost;
            lost = x;
        } else {
            l = &(*l)->next;
        }
    }
    pthread_mutex_unlock(&cp__rt.rlink_mu);
    while (lost) {
        struct cp__rlink *next = lost->next;
        cp__send_exited(&lost->linker, &lost->to);
        free(lost);
        lost = next;
    }
}

void cp__rlinks_free(void)
{
    while (cp__rt.rlinks) {
        struct cp__rlink *l = cp__rt.rlinks;
        cp__rt.rlinks = l->next;
        free(l);
    }
}
