/* Walks a mailbox from its consumer's side (Vyukov's queue: from tail,
 * following next, skipping the stub), without taking anything out. */
#include "core/core_internal.h"
#include "core/introspect.h"

void cp__mailbox_walk(cp_process_t *self,
                      void (*fn)(void *arg, cp__event_type_t type, const char *name,
                                 size_t name_len),
                      void *arg)
{
    cp__event_t *ev = self->tail;
    while (ev) {
        if (ev != CP__MB_STUB(self)) {
            switch (ev->kind) {
            case CP__EV_MESSAGE:
                fn(arg, CP__EVT_MESSAGE, ev->u.m.name, ev->u.m.name_len);
                break;
            case CP__EV_EXITED:
                fn(arg, CP__EVT_EXITED, NULL, 0);
                break;
            case CP__EV_TERMINATE:
                fn(arg, CP__EVT_TERMINATE, NULL, 0);
                break;
            case CP__EV_DISPATCH:
            case CP__EV_DISPATCH_FUTURE:
                fn(arg, CP__EVT_DISPATCH, NULL, 0);
                break;
            default:
                break;
            }
        }
        ev = atomic_load_explicit(&ev->next, memory_order_acquire);
    }
}
