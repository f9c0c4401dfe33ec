/* Event filters: a list under a read-write lock, skipped when empty. */
#include <stdlib.h>

#include "core/core_internal.h"
#include "cproc/error.h"

int cp_filter_add(cp_filter_fn fn, void *arg, uint64_t *id)
{
    if (fn == NULL)
        return CP_EINVAL;
    if (!atomic_load(&cp__rt.running))
        return CP_ESTATE;
    cp__filter_entry_t *f = malloc(sizeof *f);
    if (f == NULL)
        return CP_ENOMEM;
    f->fn = fn;
    f->arg = arg;
    f->next = NULL;
    pthread_rwlock_wrlock(&cp__rt.filter_mu);
    f->id = ++cp__rt.next_filter_id;
    cp__filter_entry_t **tail = &cp__rt.filters;
    while (*tail)
        tail = &(*tail)->next;
    *tail = f;
    atomic_fetch_add(&cp__rt.nfilters, 1);
    pthread_rwlock_unlock(&cp__rt.filter_mu);
    if (id)
        *id = f->id;
    return 0;
}

int cp_filter_remove(uint64_t id)
{
    if (!atomic_load(&cp__rt.running))
        return CP_ENOENT;
    int rc = CP_ENOENT;
    pthread_rwlock_wrlock(&cp__rt.filter_mu);
    for (cp__filter_entry_t **f = &cp__rt.filters; *f; f = &(*f)->next) {
        if ((*f)->id == id) {
            cp__filter_entry_t *dead = *f;
            *f = dead->next;
            free(dead);
            atomic_fetch_sub(&cp__rt.nfilters, 1);
            rc = 0;
            break;
        }
    }
    pthread_rwlock_unlock(&cp__rt.filter_mu);
    return rc;
}

void cp__filters_free(void)
{
    pthread_rwlock_wrlock(&cp__rt.filter_mu);
    while (cp__rt.filters) {
        cp__filter_entry_t *f = cp__rt.filters;
        cp__rt.filters = f->next;
        free(f);
    }
    atomic_store(&cp__rt.nfilters, 0);
    pthread_rwlock_unlock(&cp__rt.filter_mu);
}
